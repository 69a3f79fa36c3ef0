//! `firmwatch sync` exit codes and output: 0 when every feed landed, 5 when some failed (the
//! others still land), 1 on invalid feed definitions (with file:line:column).

use std::path::Path;

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;
use crate::support::project;

fn sync(feeds: &Path, store: &Path, extra: &[&str]) -> Run {
    Fw::new()
        .feeds(feeds)
        .store(store)
        .arg("sync")
        .run_with(extra)
}

#[test]
fn bundled_feeds_exit_zero_with_json_summary() {
    let feeds = project().join("feeds");
    let store = tempfile::tempdir().unwrap();
    let v = sync(&feeds, store.path(), &["--json"]).expect(0).json();
    assert_eq!(v["schema_version"], 1);
    let feeds = v["feeds"].as_array().unwrap();
    assert!(feeds.iter().all(|f| f["status"] == "ok"), "{v:#}");
    assert!(
        feeds
            .iter()
            .map(|f| f["new"].as_u64().unwrap())
            .sum::<u64>()
            > 0
    );
    // Table output on a second run: everything unchanged.
    let table = sync(&project().join("feeds"), store.path(), &[])
        .expect(0)
        .stdout();
    assert!(
        table.contains("bundled-native") && table.contains("unchanged"),
        "{table}"
    );
}

#[test]
fn a_failed_feed_is_exit_five_and_the_others_land() {
    let fx = Fixture::new();
    let bundled = project().join("feeds/native");
    fx.feed(
        "good",
        &format!("kind = \"native-dir\"\npath = \"{}\"\n", bundled.display()),
    )
    .feed("gone", "kind = \"native-dir\"\npath = \"does-not-exist\"\n")
    .feed(
        "off",
        "kind = \"native-dir\"\npath = \"x\"\nenabled = false\n",
    );
    let v = sync(&fx.feeds(), &fx.store(), &["--json"]).expect(5).json();
    let by = |id: &str| {
        v["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feed"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by("good")["status"], "ok");
    assert!(by("good")["new"].as_u64().unwrap() > 0);
    assert_eq!(by("gone")["status"], "failed");
    assert!(by("gone")["error"]
        .as_str()
        .unwrap()
        .contains("does-not-exist"));
    assert_eq!(by("off")["status"], "disabled");
    // --feed selects one feed.
    sync(&fx.feeds(), &fx.store(), &["--json", "--feed", "good"]).expect(0);
}

#[test]
fn invalid_feed_definitions_are_exit_one_with_positions() {
    let fx = Fixture::new();
    fx.feed(
        "bad",
        "kind = \"native-dir\"\npath = \"n\"\nschedule = \"soon\"\n",
    );
    let err = sync(&fx.feeds(), &fx.store(), &[]).expect(1).stderr();
    assert!(err.contains("bad.toml:3:12"), "{err}");
    assert!(err.contains("error[bad-schedule]"), "{err}");
    assert!(
        err.contains("error: 1 problem in the feed definitions; nothing was loaded"),
        "{err}"
    );
    assert!(
        !err.contains('\x1b'),
        "no colour when stderr is not a terminal: {err}"
    );
    sync(&fx.feeds(), &fx.store(), &["--feed", "nope"]).expect(1);
}
