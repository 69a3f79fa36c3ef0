//! `firmwatch sync` exit codes and output: 0 when every feed landed, 5 when some failed (the
//! others still land), 1 on invalid feed definitions (with file:line:column).

use std::path::Path;

use crate::support::cmd::Fw;

fn firmwatch(feeds: &Path, store: &Path, extra: &[&str]) -> std::process::Output {
    Fw::new()
        .feeds(feeds)
        .store(store)
        .arg("sync")
        .args(extra)
        .run()
        .0
}

#[test]
fn bundled_feeds_exit_zero_with_json_summary() {
    let feeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds");
    let store = tempfile::tempdir().unwrap();
    let out = firmwatch(&feeds, store.path(), &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 3);
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
    let out = firmwatch(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds"),
        store.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("bundled-native") && table.contains("unchanged"),
        "{table}"
    );
}

#[test]
fn a_failed_feed_is_exit_five_and_the_others_land() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds/native");
    std::fs::write(
        dir.path().join("good.toml"),
        format!("kind = \"native-dir\"\npath = \"{}\"\n", bundled.display()),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("gone.toml"),
        "kind = \"native-dir\"\npath = \"does-not-exist\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("off.toml"),
        "kind = \"native-dir\"\npath = \"x\"\nenabled = false\n",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    let out = firmwatch(dir.path(), store.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(5));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
    let out = firmwatch(dir.path(), store.path(), &["--json", "--feed", "good"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn invalid_feed_definitions_are_exit_one_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "kind = \"native-dir\"\npath = \"n\"\nschedule = \"soon\"\n",
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    let out = firmwatch(dir.path(), store.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
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
    let out = firmwatch(dir.path(), store.path(), &["--feed", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}
