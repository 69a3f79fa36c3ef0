//! `firmwatch store check` on a real store (bundled feeds synced, the example estate notified so the
//! notifier's trees hold data): clean → exit 0; then deliberately corrupted in every tree → exit 1
//! with each problem and its key; a locked store and a newer schema are refused as by every command.

use std::path::Path;

use firmwatch::model::FeedId;
use firmwatch::store::{DocState, RawRecords, SledStore, Store, Tree};

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;
use crate::support::project;

/// The binary on the bundled feeds and the example estate, with the store at `store`.
fn firmwatch(store: &Path, args: &[&str]) -> Run {
    Fw::new()
        .store(store)
        .feeds(project().join("feeds"))
        .inventory(project().join("inventory"))
        .run_with(args)
}

#[test]
fn store_check_finds_every_planted_problem() {
    let fx = Fixture::new();
    let store_dir = fx.store();
    firmwatch(&store_dir, &["sync", "-q"]).expect(0);
    // No SMTP server: e-mail digests wait in the outbox (exit 5), so both notifier trees hold data.
    firmwatch(&store_dir, &["notify", "--no-sync"]).expect(5);

    let clean = firmwatch(&store_dir, &["store", "check"]);
    let out = clean.all();
    assert_eq!(clean.code(), Some(0), "{out}");
    assert!(out.contains(": ok ("), "{out}");
    assert!(
        !out.contains(", 0 outbox") && !out.contains(", 0 findings"),
        "{out}"
    );

    let removed_adv = {
        let store = SledStore::open(&store_dir).unwrap();
        store
            .put_raw_for_tests(
                Tree::Advisories,
                b"bundled-native/FWN-BROKEN",
                Some(b"\x01{not json"),
            )
            .unwrap();
        // An index entry for an advisory that is not stored, and one real entry removed.
        store
            .put_raw_for_tests(
                Tree::IndexVendor,
                b"netapp\0bundled-native/FWN-GONE",
                Some(&[]),
            )
            .unwrap();
        let (removed, _) = store
            .records(Tree::IndexVendor)
            .unwrap()
            .map(Result::unwrap)
            .find(|(k, _)| !k.ends_with(b"FWN-GONE"))
            .unwrap();
        store
            .put_raw_for_tests(Tree::IndexVendor, &removed, None)
            .unwrap();
        let removed = String::from_utf8_lossy(&removed).into_owned();
        let (_, removed_adv) = removed.split_once('\0').unwrap();
        let removed_adv = removed_adv.to_string();
        // A feed state remembering a document whose advisory is gone.
        let feed: FeedId = "bundled-native".parse().unwrap();
        let mut state = store.feed_state(&feed).unwrap().unwrap();
        state.documents.insert(
            "ghost.toml".into(),
            DocState {
                sha256: "00".into(),
                advisories: vec!["FWN-MISSING".parse().unwrap()],
                ..DocState::default()
            },
        );
        store.save_feed_state(&feed, &state).unwrap();
        // The index of a listing no document names.
        store
            .put_raw_for_tests(
                Tree::FeedDocs,
                b"bundled-native\0lhttp://nowhere/changes.csv",
                Some(b"\x01{}"),
            )
            .unwrap();
        // The notifier's trees: an unreadable delivery and a malformed state key.
        store
            .put_raw_for_tests(
                Tree::Outbox,
                b"20260101T000000.000000Z\0storage-team\0email",
                Some(b"\x01[]"),
            )
            .unwrap();
        store
            .put_raw_for_tests(Tree::Findings, b"no-separator", Some(b"\x01{}"))
            .unwrap();
        store.flush().unwrap();
        removed_adv
    };
    {
        let bad = firmwatch(&store_dir, &["store", "check"]);
        let out = bad.all();
        assert_eq!(bad.code(), Some(1), "{out}");
        for needle in [
            "advisories `bundled-native/FWN-BROKEN`: stored value for bundled-native/FWN-BROKEN is not readable",
            "index_vendor `netapp/bundled-native/FWN-GONE`: names advisory `bundled-native/FWN-GONE`, which is not stored",
            &format!("advisories `{removed_adv}`: missing from the vendor index"),
            "feeds `bundled-native`: document `ghost.toml` lists advisory `FWN-MISSING`, which is not stored",
            // The ghost document's advisory is not in the head's count.
            "feeds `bundled-native`: the head counts 6 advisories, the document records name 7",
            "feed_docs `bundled-native/lhttp://nowhere/changes.csv`: index of a listing that names no document",
            "outbox `20260101T000000.000000Z/storage-team/email`: stored value",
            "findings `no-separator`: malformed key",
            "8 problem(s)",
        ] {
            assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
        }
    }

    // Held open by this process: the check fails at once and says why.
    let store = SledStore::open(&store_dir).unwrap();
    let locked = firmwatch(&store_dir, &["store", "check"]);
    locked.expect(1);
    assert!(
        locked
            .all()
            .contains("is in use by another firmwatch process"),
        "{}",
        locked.all()
    );
    store.set_schema_version_for_tests(99).unwrap();
    drop(store);
    let newer = firmwatch(&store_dir, &["store", "check"]);
    newer.expect(1);
    assert!(
        newer.all().contains("has schema version 99"),
        "{}",
        newer.all()
    );
}
