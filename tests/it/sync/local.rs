//! Local directory feeds: the bundled offline feeds sync into a fresh store with no network, a
//! second sync reports everything unchanged, and file changes / removals are picked up.

use std::path::PathBuf;

use firmwatch::collect::{self, SyncOptions, SyncStatus};
use firmwatch::store::Store;

use super::{feed_state, temp_store};
use crate::support::fixture::Fixture;
use crate::support::project;

fn bundled_dir() -> PathBuf {
    project().join("feeds")
}

#[tokio::test]
async fn bundled_feeds_sync_offline_then_all_unchanged() {
    let feeds = collect::load_feeds(&bundled_dir()).unwrap();
    assert!(feeds.iter().any(|f| f.id.as_str() == "bundled-native"));
    assert!(feeds.iter().any(|f| f.id.as_str() == "bundled-csaf"));
    let (_dir, store) = temp_store();
    let opts = SyncOptions::default();
    let r1 = collect::sync(&store, &feeds, &opts).await;
    assert!(!r1.any_failed(), "{:#?}", r1.feeds);
    let total_new: usize = r1.feeds.iter().map(|f| f.new).sum();
    assert!(total_new >= 6, "{:#?}", r1.feeds);
    assert_eq!(store.all_advisories().unwrap().len(), total_new);

    let r2 = collect::sync(&store, &feeds, &opts).await;
    for f in &r2.feeds {
        assert_eq!(f.status, SyncStatus::Ok, "{f:?}");
        assert_eq!(
            (f.new, f.updated, f.withdrawn, f.documents_fetched),
            (0, 0, 0, 0),
            "{f:?}"
        );
    }
    assert_eq!(
        r2.feeds.iter().map(|f| f.unchanged).sum::<usize>(),
        total_new
    );
}

#[tokio::test]
async fn local_dir_changes_and_removals() {
    let src = bundled_dir().join("native");
    let fx = Fixture::new();
    let native = fx.feeds().join("native");
    std::fs::create_dir_all(native.join("sub")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    let (a, b) = (&names[0], &names[1]);
    std::fs::copy(a, native.join("a.toml")).unwrap();
    std::fs::copy(b, native.join("sub/b.toml")).unwrap();
    std::fs::write(native.join("README.md"), "not an advisory").unwrap();
    fx.feed("local", "kind = \"native-dir\"\npath = \"native\"\n");
    let feeds = fx.load_feeds();
    let (_dir, store) = temp_store();
    let opts = SyncOptions::default();
    let r1 = collect::sync(&store, &feeds, &opts).await;
    let f = &r1.feeds[0];
    assert_eq!(
        (f.status.clone(), f.documents_fetched),
        (SyncStatus::Ok, 2),
        "{f:?}"
    );
    let n = f.new;
    assert!(n >= 2);

    // Edit one file's title, remove the other.
    let text = std::fs::read_to_string(native.join("a.toml")).unwrap();
    let edited = text.replacen("title = \"", "title = \"EDITED ", 1);
    assert_ne!(edited, text, "fixture has a title line");
    std::fs::write(native.join("a.toml"), edited).unwrap();
    let removed_ids = feed_state(&store, "local").documents["sub/b.toml"]
        .advisories
        .clone();
    std::fs::remove_file(native.join("sub/b.toml")).unwrap();
    let r2 = collect::sync(&store, &feeds, &opts).await;
    let f = &r2.feeds[0];
    assert_eq!(f.status, SyncStatus::Ok, "{f:?}");
    assert_eq!(f.documents_fetched, 1);
    assert!(f.updated >= 1, "{f:?}");
    assert_eq!(f.withdrawn, removed_ids.len(), "{f:?}");
    for id in &removed_ids {
        let adv = store
            .advisory(&"local".parse().unwrap(), id)
            .unwrap()
            .unwrap();
        assert!(
            adv.withdrawn.is_some(),
            "{id} kept but not marked withdrawn"
        );
    }
    let all = store.all_advisories().unwrap();
    assert!(all.iter().any(|a| a.title.starts_with("EDITED ")));
    assert_eq!(
        all.len(),
        n,
        "withdrawn advisories stay in the store, marked"
    );

    // --force re-reads everything and finds it unchanged.
    let forced = SyncOptions {
        force: true,
        ..SyncOptions::default()
    };
    let r3 = collect::sync(&store, &feeds, &forced).await;
    assert_eq!(r3.feeds[0].documents_fetched, 1);
    assert_eq!(r3.feeds[0].updated, 0);
}

#[tokio::test]
async fn unchanged_resyncs_append_only_a_small_state_record() {
    // sled is log-structured: every rewrite appends. An unchanged re-sync must not rewrite
    // advisories or the feed's document map, only the small "last seen" record. Measured here:
    // growth per unchanged sync. (sled reclaims segments only later; the README notes the
    // export/import compaction for long-running stores.)
    let feeds: Vec<_> = collect::load_feeds(&bundled_dir())
        .unwrap()
        .into_iter()
        .filter(|f| f.id.as_str() == "bundled-native")
        .collect();
    let (_dir, store) = temp_store();
    let opts = SyncOptions::default();
    let mut sizes = Vec::new();
    for _ in 0..300 {
        let r = collect::sync(&store, &feeds, &opts).await;
        assert!(!r.any_failed());
        sizes.push(store.size_on_disk().unwrap());
    }
    let per_sync = (sizes[299] - sizes[49]) / 250;
    eprintln!(
        "store size after syncs 1/50/300: {} {} {}; {per_sync} bytes per unchanged sync",
        sizes[0], sizes[49], sizes[299]
    );
    assert!(
        per_sync < 400,
        "{per_sync} bytes appended per unchanged sync"
    );
}

/// A listing that suddenly shrinks (here: the feed's one document of five advisories is gone) does
/// not withdraw more than a fifth of a feed at once: the feed fails saying so and keeps its data,
/// until `--accept-withdrawals`.
#[test]
fn a_mass_withdrawal_is_held_back_until_accepted() {
    let fx = Fixture::new();
    let notes: Vec<_> = (1..=5)
        .map(|i| crate::support::fixture::Native::takeover(&format!("GONE-{i}")))
        .collect();
    fx.native_feed("n", &notes);
    let fw = fx.fw();
    fw.run_with(&["sync", "-q"]).expect(0);
    std::fs::remove_file(fx.feeds().join("native/n.toml")).unwrap();

    let held = fw.run_with(&["sync", "--json"]);
    held.expect(5);
    let r: serde_json::Value = serde_json::from_str(&held.stdout()).unwrap();
    let err = r["feeds"][0]["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("would withdraw 5 of the feed's 5 advisories at once")
            && err.contains("--accept-withdrawals"),
        "{err}"
    );
    let store = firmwatch::store::AnyStore::open(fx.store(), None).unwrap();
    let kept = store.all_advisories().unwrap();
    assert_eq!(kept.len(), 5);
    assert!(
        kept.iter().all(|a| a.withdrawn.is_none()),
        "nothing withdrawn"
    );
    drop(store);

    let accepted = fw.run_with(&["sync", "--json", "--accept-withdrawals"]);
    accepted.expect(0);
    let r: serde_json::Value = serde_json::from_str(&accepted.stdout()).unwrap();
    assert_eq!(r["feeds"][0]["withdrawn"], 5, "{r}");
}

#[tokio::test]
async fn a_local_file_over_the_size_cap_fails_its_feed_naming_it() {
    // The cap of HTTP bodies holds for files of a local folder too (fast_options: 1 MiB): a
    // huge file is an error naming it, never read whole into memory.
    let fx = Fixture::new();
    let native = fx.feeds().join("native");
    std::fs::create_dir_all(&native).unwrap();
    let src = bundled_dir().join("native");
    let first = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .unwrap();
    std::fs::copy(&first, native.join("ok.toml")).unwrap();
    let huge = native.join("huge.toml");
    std::fs::write(&huge, vec![b'#'; 1024 * 1024 + 1]).unwrap();
    fx.feed("local", "kind = \"native-dir\"\npath = \"native\"\n");
    let (_dir, store) = temp_store();
    let r = collect::sync(&store, &fx.load_feeds(), &super::fast_options()).await;
    let f = &r.feeds[0];
    assert_eq!(f.status, SyncStatus::Failed, "{f:?}");
    let err = f.error.as_deref().unwrap();
    assert!(
        err.contains("huge.toml") && err.contains("larger than the 1048576-byte cap"),
        "{err}"
    );
    assert!(
        store.all_advisories().unwrap().is_empty(),
        "nothing half-synced"
    );
}
