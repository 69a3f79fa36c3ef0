//! `firmwatch store check` on a real store (bundled feeds synced, the example estate notified so the
//! notifier's trees hold data): clean → exit 0; then deliberately corrupted in every tree → exit 1
//! with each problem and its key; a locked store and a newer schema are refused as by every command.
//! `store check --repair` rebuilds what is derived from the records, and a command reading a
//! vendor index that disagrees with its count refuses to answer from it.

use std::path::Path;

use firmwatch::model::FeedId;
use firmwatch::store::{AnyStore, DocState, RawRecords, Store, Tree};

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
        let store = AnyStore::open(&store_dir, None).unwrap();
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
            "feeds `bundled-native`: the head counts 16 advisories, the document records name 17",
            "feed_docs `bundled-native/lhttp://nowhere/changes.csv`: index of a listing that names no document",
            "outbox `20260101T000000.000000Z/storage-team/email`: stored value",
            "findings `no-separator`: malformed key",
            // Both damaged vendors' counts disagree with their entries now.
            "meta `index_count/netapp`: counts 8 index entries for `netapp`, the index holds 9",
            "10 problem(s)",
        ] {
            assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
        }
    }

    // Held open by this process (and no wait asked for): the check fails and says why.
    let store = AnyStore::open(&store_dir, None).unwrap();
    let locked = Fw::new()
        .env("FIRMWATCH_LOCK_WAIT", "0")
        .store(&store_dir)
        .run_with(&["store", "check"]);
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

#[test]
fn a_damaged_vendor_index_is_refused_by_exposure_and_rebuilt_by_repair() {
    let fx = Fixture::new();
    let store_dir = fx.store();
    let exposure = |store: &Path| {
        firmwatch(
            store,
            &[
                "exposure",
                "--no-sync",
                "--today",
                "2026-11-22",
                "--format",
                "json",
            ],
        )
    };
    firmwatch(&store_dir, &["sync", "-q"]).expect(0);
    let before = exposure(&store_dir).expect(0).json()["findings"].clone();
    assert_eq!(before.as_array().unwrap().len(), 19);

    // What a half-written commit leaves: an advisory whose index entry is missing, and one
    // advisory lost while its document's record says it was read.
    let lost = {
        let store = AnyStore::open(&store_dir, None).unwrap();
        let (entry, _) = store
            .records(Tree::IndexVendor)
            .unwrap()
            .map(Result::unwrap)
            .find(|(k, _)| k.starts_with(b"netapp\0"))
            .unwrap();
        store
            .put_raw_for_tests(Tree::IndexVendor, &entry, None)
            .unwrap();
        let lost = b"bundled-native/FWN-2026-0003".to_vec();
        store
            .put_raw_for_tests(Tree::Advisories, &lost, None)
            .unwrap();
        store.flush().unwrap();
        String::from_utf8(lost).unwrap()
    };
    let refused = exposure(&store_dir);
    refused.expect(1);
    assert!(
        refused
            .stderr()
            .contains("error: the store is inconsistent: the vendor index of `")
            && refused.stderr().contains("firmwatch store check --repair"),
        "{}",
        refused.show()
    );
    firmwatch(&store_dir, &["store", "check"]).expect(1);

    let repair = firmwatch(&store_dir, &["store", "check", "--repair"]);
    let out = repair.expect(0).stdout();
    assert!(
        out.contains(
            "repair: vendor index 1 entries added, 1 removed, 1 count(s) rewritten; 1 feed head(s)"
        ),
        "{out}"
    );
    assert!(
        out.contains("dropped the record of bundled-native document `fwn-2026-0003.toml`"),
        "{out}"
    );
    assert!(out.contains(": ok ("), "{out}");
    // Answers again — without the lost advisory, until a forced sync reads its document again.
    let repaired = exposure(&store_dir).expect(0).json()["findings"].clone();
    assert!(
        repaired.as_array().unwrap().len() < 19 && !repaired.to_string().contains(&lost[15..]),
        "{repaired}"
    );
    firmwatch(&store_dir, &["sync", "-q", "--force"]).expect(0);
    assert_eq!(exposure(&store_dir).expect(0).json()["findings"], before);
    firmwatch(&store_dir, &["store", "check"]).expect(0);
    let again = firmwatch(&store_dir, &["store", "check", "--repair"]);
    assert!(again
        .expect(0)
        .stdout()
        .contains("repair: nothing to rebuild"));
}
