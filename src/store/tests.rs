use chrono::Utc;

use super::layout::{self, decode, encode, listing_key, seen_key, FeedSeen, SCHEMA_KEY};
use super::*;
use crate::model::{AffectedProduct, ProductStatus, Source, SourceFormat, VersionSpec};

/// An advisory encoded for a commit or a stage of its feed.
fn encoded(a: Advisory) -> EncodedAdvisory {
    EncodedAdvisory::new(&a.source.feed, &a).unwrap()
}

pub(crate) fn advisory(feed: &str, id: &str, vendors: &[&str], title: &str) -> Advisory {
    Advisory {
        affected: vendors
            .iter()
            .map(|v| AffectedProduct {
                vendor: v.to_string(),
                product: "Array".into(),
                models: vec![],
                component: None,
                scheme: None,
                status: ProductStatus::Affected,
                versions: VersionSpec::All,
                fixed_in: vec![],
                identifiers: vec![],
                recommended: false,
            })
            .collect(),
        ..Advisory::new(
            id.parse().unwrap(),
            vendors.first().copied().unwrap_or("Acme").to_string(),
            title.to_string(),
            Source {
                feed: feed.parse().unwrap(),
                format: SourceFormat::Native,
                location: "test".into(),
                sha256: String::new(),
            },
        )
    }
}

/// A store of `engine` in `dir`.
fn open(engine: Engine, dir: &std::path::Path) -> AnyStore {
    AnyStore::open(dir, Some(engine)).unwrap()
}

/// The store tests every engine passes: each `fn name(engine)` named here runs once per engine,
/// in the submodules `redb` and `sled`. Tests of one engine's own machinery (sled's schema
/// 1–3 migrations, its change feed) stay plain `#[test]`s.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod redb {
            $( #[test] fn $name() { super::$name($crate::store::Engine::Redb) } )*
        }
        mod sled {
            $( #[test] fn $name() { super::$name($crate::store::Engine::Sled) } )*
        }
    };
}

conformance!(
    staged_advisories_are_invisible_until_the_feeds_commit_moves_them,
    advisories_encoded_for_another_feed_are_refused,
    a_sync_stages_across_reopenings_of_an_on_demand_store,
    what_an_earlier_firmwatch_staged_in_the_tree_is_dropped_by_the_commit,
    put_counts_new_updated_unchanged_by_content,
    index_by_vendor_key_follows_updates,
    withdrawn_is_marked_not_removed,
    corrupt_record_is_reported_with_its_key,
    put_is_one_transaction_across_advisories_and_index,
    newer_schema_is_refused_and_state_round_trips,
    a_second_open_is_refused_clearly_while_the_store_is_in_use,
    commit_feed_writes_advisories_withdrawals_and_state_together,
    a_vendor_index_that_disagrees_with_its_count_is_refused_not_answered_from,
    rejected_documents_are_kept_in_the_head_until_a_commit_drops_them,
    a_schema_4_store_keeps_its_plain_values_and_compresses_what_it_writes_next,
    a_feeds_first_commit_writes_its_records_and_the_next_merges_into_them,
    a_first_commit_that_writes_an_advisory_twice_counts_and_indexes_it_once,
);

fn feed(s: &str) -> FeedId {
    s.parse().unwrap()
}

fn put_counts_new_updated_unchanged_by_content(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let a = advisory("f1", "A-1", &["Dell EMC"], "one");
    let b = advisory("f1", "A-2", &["NetApp"], "two");
    let s = store.put_advisories(&f, &[a.clone(), b.clone()]).unwrap();
    assert_eq!((s.new, s.updated, s.unchanged), (2, 0, 0));
    let b2 = advisory("f1", "A-2", &["NetApp"], "two, revised");
    let s = store.put_advisories(&f, &[a.clone(), b2.clone()]).unwrap();
    assert_eq!((s.new, s.updated, s.unchanged), (0, 1, 1));
    assert_eq!(
        store.advisory(&f, &b.id).unwrap().unwrap().title,
        "two, revised"
    );
    assert_eq!(store.all_advisories().unwrap().len(), 2);
}

fn index_by_vendor_key_follows_updates(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let a = advisory("f1", "A-1", &["Dell EMC", "NetApp Inc"], "one");
    store.put_advisories(&f, &[a]).unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1);
    assert_eq!(store.advisories_for_vendor("netapp").unwrap().len(), 1);
    assert!(store.advisories_for_vendor("hpe").unwrap().is_empty());
    // The same advisory no longer names NetApp: its index entry goes away.
    let a2 = advisory("f1", "A-1", &["Dell Technologies"], "one");
    store.put_advisories(&f, &[a2]).unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1);
    assert!(store.advisories_for_vendor("netapp").unwrap().is_empty());
    assert_eq!(store.index_len(), 1);
    // The same id in another feed is a different record.
    store
        .put_advisories(&feed("f2"), &[advisory("f2", "A-1", &["Dell"], "x")])
        .unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 2);
}

fn withdrawn_is_marked_not_removed(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let a = advisory("f1", "A-1", &["Dell"], "one");
    store.put_advisories(&f, std::slice::from_ref(&a)).unwrap();
    let when = Utc::now();
    store
        .mark_withdrawn(&f, &[a.id.clone(), "NOT-THERE".parse().unwrap()], when)
        .unwrap();
    let got = store.advisory(&f, &a.id).unwrap().unwrap();
    assert_eq!(got.withdrawn, Some(when));
    // Still indexed, so the matcher sees it and can say it is withdrawn.
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1);
    // A second mark keeps the first date.
    store
        .mark_withdrawn(
            &f,
            std::slice::from_ref(&a.id),
            when + chrono::Duration::days(1),
        )
        .unwrap();
    assert_eq!(
        store.advisory(&f, &a.id).unwrap().unwrap().withdrawn,
        Some(when)
    );
}

fn corrupt_record_is_reported_with_its_key(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    store
        .put_advisories(&f, &[advisory("f1", "A-1", &["Dell"], "one")])
        .unwrap();
    store
        .put_raw_for_tests(Tree::Advisories, b"f1/A-9", Some(b"\x07garbage"))
        .unwrap();
    let err = store.all_advisories().unwrap_err();
    assert!(err.to_string().contains("f1/A-9"), "{err}");
    assert!(err.to_string().contains("encoding version 7"), "{err}");
}

/// An advisory with a long summary, so that its JSON is compressed.
fn large_advisory(feed: &str, id: &str) -> Advisory {
    Advisory {
        summary: "A controller failover defect. ".repeat(40),
        ..advisory(feed, id, &["Dell"], "large")
    }
}

#[test]
fn large_values_are_compressed_small_ones_stay_plain_and_both_decode() {
    let small = advisory("f1", "A-1", &["Dell"], "one");
    let large = large_advisory("f1", "A-2");
    let (s, l) = (encode("k", &small).unwrap(), encode("k", &large).unwrap());
    assert_eq!(s[0], VALUE_VERSION);
    assert_eq!(s[1..], serde_json::to_vec(&small).unwrap());
    assert_eq!(l[0], VALUE_LZ4);
    let json = serde_json::to_vec(&large).unwrap();
    assert_eq!(l[1..5], (json.len() as u32).to_le_bytes());
    assert!(l.len() < json.len() / 4, "{} of {}", l.len(), json.len());
    assert_eq!(decode::<Advisory>("k", &s).unwrap(), small);
    assert_eq!(decode::<Advisory>("k", &l).unwrap(), large);
    // The same advisory written plainly, as an earlier firmwatch did, reads the same.
    let plain = [&[VALUE_VERSION][..], &json].concat();
    assert_eq!(decode::<Advisory>("k", &plain).unwrap(), large);
}

#[test]
fn a_damaged_compressed_value_is_an_error_naming_its_key() {
    let l = encode("k", &large_advisory("f1", "A-2")).unwrap();
    let damaged = |bytes: Vec<u8>, expect: &str| {
        let err = decode::<Advisory>("f1/A-2", &bytes).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("f1/A-2") && msg.contains(expect), "{msg}");
    };
    // Cut short; its header only; a length no LZ4 block of that size can hold; a wrong length.
    damaged(l[..l.len() / 2].to_vec(), "compressed value");
    damaged(vec![VALUE_LZ4, 1, 0], "shorter than its header");
    let mut huge = l.clone();
    huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    damaged(huge, "claims 4294967295 bytes");
    let mut short = l;
    short[1..5].copy_from_slice(&10u32.to_le_bytes());
    damaged(short, "compressed value");
}

fn a_schema_4_store_keeps_its_plain_values_and_compresses_what_it_writes_next(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let f = feed("f1");
    let (a1, a2) = (large_advisory("f1", "A-1"), large_advisory("f1", "A-2"));
    {
        let store = open(engine, dir.path());
        store.put_advisories(&f, std::slice::from_ref(&a1)).unwrap();
        // Schema 4 wrote every value as plain JSON.
        let plain = [&[VALUE_VERSION][..], &serde_json::to_vec(&a1).unwrap()].concat();
        store
            .put_raw_for_tests(Tree::Advisories, b"f1/A-1", Some(&plain))
            .unwrap();
        store.set_schema_version_for_tests(4).unwrap();
    }
    let store = open(engine, dir.path());
    assert_eq!(
        store.raw_get(Tree::Meta, SCHEMA_KEY).unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
    // Nothing was rewritten: the plain value is still there and reads.
    assert_eq!(
        store.raw_get(Tree::Advisories, b"f1/A-1").unwrap()[0],
        VALUE_VERSION
    );
    assert_eq!(store.advisory(&f, &a1.id).unwrap(), Some(a1.clone()));
    // The same advisory synced again is unchanged, not an update.
    let summary = store.put_advisories(&f, &[a1, a2.clone()]).unwrap();
    assert_eq!((summary.new, summary.updated, summary.unchanged), (1, 0, 1));
    assert_eq!(
        store.raw_get(Tree::Advisories, b"f1/A-2").unwrap()[0],
        VALUE_LZ4
    );
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 2);
    let report = check::check(&store).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn put_is_one_transaction_across_advisories_and_index(engine: Engine) {
    // Many advisories written in one call become visible together: a concurrent reader sees
    // either none of them or all of them with their index entries.
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(engine, dir.path()));
    let f = feed("f1");
    let batch: Vec<Advisory> = (0..300)
        .map(|i| advisory("f1", &format!("A-{i}"), &["Dell"], "t"))
        .collect();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..200 {
                let n = store.tree_len(Tree::Advisories);
                let m = store.tree_len(Tree::IndexVendor);
                seen.insert((n, m));
            }
            seen
        })
    };
    store.put_advisories(&f, &batch).unwrap();
    let seen = reader.join().unwrap();
    for (n, m) in &seen {
        assert!(*n == 0 || *n == 300, "partial advisories visible: {n}");
        assert!(*m == 0 || *m == 300, "partial index visible: {m}");
    }
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 300);
}

fn newer_schema_is_refused_and_state_round_trips(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(engine, dir.path());
        let mut st = FeedState {
            checkpoint: Some(Utc::now()),
            ..FeedState::default()
        };
        st.documents.insert(
            "a.json".into(),
            DocState {
                sha256: "ab".into(),
                updated: None,
                advisories: vec!["A-1".parse().unwrap()],
                listing: None,
            },
        );
        // `save_feed_state` keeps the per-listing counts true to the documents.
        st.listed_by = st.count_listings();
        store.save_feed_state(&feed("f1"), &st).unwrap();
        assert_eq!(store.feed_state(&feed("f1")).unwrap(), Some(st));
        assert_eq!(store.feed_state(&feed("f2")).unwrap(), None);
    }
    {
        let store = open(engine, dir.path());
        assert!(store.feed_state(&feed("f1")).unwrap().is_some());
        store
            .set_schema_version_for_tests(SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = AnyStore::open(dir.path(), Some(engine)).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(err.to_string().contains("schema version"), "{err}");
}

fn a_second_open_is_refused_clearly_while_the_store_is_in_use(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(engine, dir.path());
    let err = AnyStore::open(dir.path(), Some(engine)).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("in use by another firmwatch process"),
        "{err}"
    );
}

fn commit_feed_writes_advisories_withdrawals_and_state_together(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let f = feed("f1");
    let a = advisory("f1", "A-1", &["Dell"], "one");
    let b = advisory("f1", "A-2", &["NetApp"], "two");
    let when = Utc::now();
    {
        let store = open(engine, dir.path());
        store.put_advisories(&f, std::slice::from_ref(&b)).unwrap();
        let mut st = FeedState {
            checkpoint: Some(when),
            last_success: Some(when),
            ..FeedState::default()
        };
        st.documents.insert(
            "a.json".into(),
            DocState {
                sha256: "ab".into(),
                updated: Some(when),
                advisories: vec![a.id.clone()],
                listing: None,
            },
        );
        let put = store
            .commit_feed(&FeedCommit {
                feed: &f,
                advisories: &[encoded(a.clone())],
                withdrawn: &[b.id.clone(), "NOT-THERE".parse().unwrap()],
                when,
                state: &st,
                changes: &StateChanges::between(&FeedState::default(), &st),
                staged: false,
            })
            .unwrap();
        assert_eq!((put.new, put.updated, put.unchanged), (1, 0, 0));
    }
    // Reopened: all three parts are there (commit_feed flushes).
    let store = open(engine, dir.path());
    assert_eq!(store.advisory(&f, &a.id).unwrap().unwrap().title, "one");
    assert_eq!(
        store.advisory(&f, &b.id).unwrap().unwrap().withdrawn,
        Some(when)
    );
    let st = store.feed_state(&f).unwrap().unwrap();
    assert_eq!(st.last_success, Some(when));
    assert_eq!(st.documents["a.json"].advisories, vec![a.id.clone()]);
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1);
}

/// A feed's first commit (no record of it stored yet) and its next one, beside a feed whose name
/// starts with its own: the first writes every record, the next merges its changes into them
/// (one changed, one gone, one new, one location's validators changed), and the other feed's
/// records stay as they were.
fn a_feeds_first_commit_writes_its_records_and_the_next_merges_into_them(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let when = Utc::now();
    // "f1" first, so that "f"'s keys sort just before records of another feed.
    let (f, f1) = (feed("f"), feed("f1"));
    let other = listed_state(3, "11", when);
    commit_state(&store, &f1, &other, &FeedState::default());
    let first = listed_state(50, "aa", when);
    commit_state(&store, &f, &first, &FeedState::default());
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&first));
    assert_eq!(
        store
            .listing_index(&f, "http://h/changes.csv")
            .unwrap()
            .len(),
        50
    );

    let next = four_changes(&first);
    commit_state(&store, &f, &next, &first);
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&next));
    let index = store.listing_index(&f, "http://h/changes.csv").unwrap();
    assert!(index.contains_key("http://h/new.json") && !index.contains_key("http://h/d002.json"));
    assert_eq!(index.len(), 50);
    assert_eq!(store.feed_state(&f1).unwrap().as_ref(), Some(&other));
}

/// The documents a sync rejected travel with the feed's head: written by its commit, read by
/// `feed_head` and `feed_state`, untouched by a recorded failure, kept by `save_feed_state`, and
/// gone once a commit names none. A head written before the field existed reads as none, and a
/// store holding rejected documents checks clean.
fn rejected_documents_are_kept_in_the_head_until_a_commit_drops_them(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let when = Utc::now();
    let a = advisory("f1", "A-1", &["Dell"], "one");
    let mut st = FeedState {
        last_success: Some(when),
        advisory_count: 1,
        ..FeedState::default()
    };
    st.documents.insert("a.json".into(), doc("aa", "A-1"));
    st.listed_by = st.count_listings();
    let rejected = Rejected {
        reason: "b.json: not valid JSON: EOF while parsing".into(),
        since: when - chrono::Duration::days(2),
        last_tried: when,
        listing: Some("http://h/changes.csv".into()),
    };
    st.rejected.insert("b.json".into(), rejected.clone());
    let changes = StateChanges::between(&FeedState::default(), &st);
    store
        .commit_feed(&FeedCommit {
            feed: &f,
            advisories: &[encoded(a.clone())],
            withdrawn: &[],
            when,
            state: &st,
            changes: &changes,
            staged: false,
        })
        .unwrap();
    let head = store.feed_head(&f).unwrap().unwrap();
    assert_eq!(head.rejected.get("b.json"), Some(&rejected));
    assert!(head.rejected_from("http://h/changes.csv"));
    assert!(!head.rejected_from("http://h/index.txt"));
    assert_eq!(store.feed_state(&f).unwrap().unwrap().rejected, st.rejected);
    // The rejected document has no record of its own: only the good one is a document.
    assert_eq!(
        store
            .feed_state(&f)
            .unwrap()
            .unwrap()
            .documents
            .keys()
            .collect::<Vec<_>>(),
        ["a.json"]
    );
    let report = check::check(&store).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // A failed sync changes nothing of it; saving the whole state keeps it.
    store.record_failure(&f, "timed out", when).unwrap();
    assert_eq!(store.feed_head(&f).unwrap().unwrap().rejected, st.rejected);
    let mut saved = store.feed_state(&f).unwrap().unwrap();
    saved.checkpoint = Some(when);
    store.save_feed_state(&f, &saved).unwrap();
    assert_eq!(store.feed_head(&f).unwrap().unwrap().rejected, st.rejected);

    // The next commit rejects nothing: the list is gone.
    let mut next = st.clone();
    next.rejected.clear();
    store
        .commit_feed(&FeedCommit {
            feed: &f,
            advisories: &[],
            withdrawn: &[],
            when,
            state: &next,
            changes: &StateChanges::default(),
            staged: false,
        })
        .unwrap();
    assert!(store.feed_head(&f).unwrap().unwrap().rejected.is_empty());

    // A head as firmwatch wrote it before rejected documents were kept.
    let old = encode(
        "f1",
        &serde_json::json!({"checkpoint": null, "advisory_count": 1}),
    )
    .unwrap();
    let head: FeedState = decode("f1", &old).unwrap();
    assert!(head.rejected.is_empty());
}

fn doc(sha: &str, id: &str) -> DocState {
    DocState {
        sha256: sha.into(),
        updated: None,
        advisories: vec![id.parse().unwrap()],
        listing: Some("http://h/changes.csv".into()),
    }
}

fn validators(tag: &str) -> Validators {
    Validators {
        etag: Some(tag.into()),
        last_modified: None,
        sha256: Some("00".into()),
    }
}

/// A successful sync's state of `n` documents (`http://h/dNNN.json`, listed by
/// `http://h/changes.csv`), each with its validators.
fn listed_state(n: usize, sha: &str, when: DateTime<Utc>) -> FeedState {
    let mut st = FeedState {
        checkpoint: Some(when),
        last_success: Some(when),
        ..FeedState::default()
    };
    for i in 0..n {
        let loc = format!("http://h/d{i:03}.json");
        st.documents
            .insert(loc.clone(), doc(sha, &format!("A-{i}")));
        st.validators.insert(loc, validators("\"1\""));
    }
    st
}

/// `st` with one document changed (`d001`), one gone with its validators (`d002`), one
/// location's validators changed (`d003`) and one new document.
fn four_changes(st: &FeedState) -> FeedState {
    let mut next = st.clone();
    next.documents
        .insert("http://h/d001.json".into(), doc("bb", "A-1"));
    next.documents.remove("http://h/d002.json");
    next.validators.remove("http://h/d002.json");
    next.validators
        .insert("http://h/d003.json".into(), validators("\"2\""));
    next.documents
        .insert("http://h/new.json".into(), doc("cc", "A-NEW"));
    next
}

/// Commit feed `f`'s `state` (no advisories) as its changes from `previous`.
fn commit_state(store: &impl Store, f: &FeedId, state: &FeedState, previous: &FeedState) {
    store
        .commit_feed(&FeedCommit {
            feed: f,
            advisories: &[],
            withdrawn: &[],
            when: state.last_success.unwrap(),
            state,
            changes: &StateChanges::between(previous, state),
            staged: false,
        })
        .unwrap();
}

#[test]
fn per_document_records_are_rewritten_only_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let f = feed("f1");
    let when = Utc::now();
    let mut st = listed_state(100, "aa", when);
    st.validators
        .insert("http://h/changes.csv".into(), validators("\"l1\""));
    let commit =
        |state: &FeedState, previous: &FeedState| commit_state(&store, &f, state, previous);
    commit(&st, &FeedState::default());
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&st));
    // 100 documents, the listing's validators, the listing's index.
    assert_eq!(store.tree_len(Tree::FeedDocs), 102);
    assert_eq!(
        store
            .listing_index(&f, "http://h/changes.csv")
            .unwrap()
            .len(),
        100
    );
    // The head holds no per-document data.
    let head: FeedState = decode("f1", &store.raw_get(Tree::Feeds, b"f1").unwrap()).unwrap();
    assert!(head.documents.is_empty() && head.validators.is_empty());

    // One document changed, one removed, one location's validators changed, one new: exactly
    // four records are written, and the listing's index (a document left it, one joined); the
    // other 97 are not touched.
    let next = four_changes(&st);
    let mut events = store.watch_docs(&f);
    commit(&next, &st);
    let mut seen: Vec<String> = events
        .keys(std::time::Duration::from_millis(200))
        .iter()
        .map(|key| String::from_utf8_lossy(&key[4..]).into_owned())
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "http://h/changes.csv",
            "http://h/d001.json",
            "http://h/d002.json",
            "http://h/d003.json",
            "http://h/new.json"
        ]
    );
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&next));
    assert_eq!(store.tree_len(Tree::FeedDocs), 102);
    let index = store.listing_index(&f, "http://h/changes.csv").unwrap();
    assert!(index.contains_key("http://h/new.json") && !index.contains_key("http://h/d002.json"));
    assert_eq!(index.len(), 100);

    // `save_feed_state` compares against what the store holds, with the same result.
    let mut again = next.clone();
    again.documents.remove("http://h/new.json");
    // (`save_feed_state` keeps the per-listing counts true to the documents it is given.)
    again.listed_by = again.count_listings();
    store.save_feed_state(&f, &again).unwrap();
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&again));
    // Recording a failure writes no per-document record.
    let mut events = store.watch_docs(&f);
    let mut failed = again.clone();
    failed.last_error = Some("boom".into());
    failed.last_error_at = Some(when);
    store.save_feed_state(&f, &failed).unwrap();
    assert!(events
        .keys(std::time::Duration::from_millis(200))
        .is_empty());
    assert_eq!(store.feed_state(&f).unwrap().as_ref(), Some(&failed));
    // Another feed's records are its own.
    assert_eq!(store.feed_state(&feed("f")).unwrap(), None);
}

#[test]
fn a_schema_1_store_is_migrated_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = FeedState {
        checkpoint: Some(Utc::now()),
        advisory_count: 2,
        ..FeedState::default()
    };
    st.documents.insert("a.json".into(), doc("aa", "A-1"));
    st.documents.insert("b.json".into(), doc("bb", "A-2"));
    st.validators
        .insert("http://h/index.txt".into(), validators("\"x\""));
    {
        // Write the schema 1 layout by hand: the whole state in the feed's head.
        let store = SledStore::open(dir.path()).unwrap();
        store
            .put_advisories(
                &feed("f1"),
                &[
                    advisory("f1", "A-1", &["Dell"], "one"),
                    advisory("f1", "A-2", &["Dell"], "two"),
                ],
            )
            .unwrap();
        store
            .put_raw_for_tests(Tree::Feeds, b"f1", Some(&encode("f1", &st).unwrap()))
            .unwrap();
        store
            .put_raw_for_tests(
                Tree::Feeds,
                seen_key(&feed("f1")).as_bytes(),
                Some(&encode("seen", &FeedSeen::default()).unwrap()),
            )
            .unwrap();
        store.set_schema_version_for_tests(1).unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.raw_get(Tree::Meta, SCHEMA_KEY).unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
    let mut want = st.clone();
    want.listed_by = st.count_listings();
    assert_eq!(
        want.listed_by["http://h/changes.csv"],
        ListingCount {
            documents: 2,
            advisories: 2
        }
    );
    assert_eq!(store.feed_state(&feed("f1")).unwrap(), Some(want));
    // Two documents, the index's validators, the listing's index.
    assert_eq!(store.tree_len(Tree::FeedDocs), 4);
    assert_eq!(
        store
            .listing_index(&feed("f1"), "http://h/changes.csv")
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["a.json", "b.json"]
    );
    // The head alone: no documents, only the validators of URLs that are not documents.
    let head = store.feed_head(&feed("f1")).unwrap().unwrap();
    assert!(head.documents.is_empty());
    assert_eq!(
        head.validators.keys().collect::<Vec<_>>(),
        ["http://h/index.txt"]
    );
    let head: FeedState = decode("f1", &store.raw_get(Tree::Feeds, b"f1").unwrap()).unwrap();
    assert!(head.documents.is_empty() && head.validators.is_empty());
    assert_eq!((head.checkpoint, head.advisory_count), (st.checkpoint, 2));
    let report = check::check(&store).unwrap();
    assert!(
        report.problems.iter().all(|p| !p.tree.starts_with("feed")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_schema_2_store_gets_its_listing_indexes_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let f = feed("f1");
    let mut st = FeedState {
        advisory_count: 2,
        ..FeedState::default()
    };
    st.documents.insert("a.json".into(), doc("aa", "A-1"));
    let mut other = doc("bb", "A-2");
    other.listing = Some("http://h/other.csv".into());
    other.updated = Some(Utc::now());
    st.documents.insert("b.json".into(), other);
    {
        let store = SledStore::open(dir.path()).unwrap();
        store
            .put_advisories(
                &f,
                &[
                    advisory("f1", "A-1", &["Dell"], "one"),
                    advisory("f1", "A-2", &["Dell"], "two"),
                ],
            )
            .unwrap();
        store.save_feed_state(&f, &st).unwrap();
        // Schema 2 had no `l` records.
        for l in ["http://h/changes.csv", "http://h/other.csv"] {
            let key = listing_key(&f, l);
            assert!(store.raw_get(Tree::FeedDocs, &key).is_some());
            store.put_raw_for_tests(Tree::FeedDocs, &key, None).unwrap();
        }
        store.set_schema_version_for_tests(2).unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.raw_get(Tree::Meta, SCHEMA_KEY).unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
    let index = store.listing_index(&f, "http://h/other.csv").unwrap();
    assert_eq!(index.get("b.json"), Some(&st.documents["b.json"].updated));
    assert_eq!(index.len(), 1);
    assert_eq!(
        store
            .listing_index(&f, "http://h/changes.csv")
            .unwrap()
            .len(),
        1
    );
    let report = check::check(&store).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn a_schema_3_store_gets_its_vendor_index_rebuilt_and_counted_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let f = feed("f1");
    {
        let store = SledStore::open(dir.path()).unwrap();
        store
            .put_advisories(
                &f,
                &[
                    advisory("f1", "A-1", &["Dell", "NetApp"], "one"),
                    advisory("f1", "A-2", &["Dell"], "two"),
                ],
            )
            .unwrap();
        // Schema 3 had no counts; and this one lost an index entry on a full disk.
        for vendor in ["dell", "netapp"] {
            let key = layout::count_key(vendor);
            assert!(store.raw_get(Tree::Meta, &key).is_some(), "{vendor}");
            store.put_raw_for_tests(Tree::Meta, &key, None).unwrap();
        }
        store
            .put_raw_for_tests(Tree::IndexVendor, b"dell\0f1/A-2", None)
            .unwrap();
        store.set_schema_version_for_tests(3).unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.raw_get(Tree::Meta, SCHEMA_KEY).unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 2);
    assert_eq!(store.advisories_for_vendor("netapp").unwrap().len(), 1);
    let report = check::check(&store).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn a_vendor_index_that_disagrees_with_its_count_is_refused_not_answered_from(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    store
        .put_advisories(
            &f,
            &[
                advisory("f1", "A-1", &["Dell"], "one"),
                advisory("f1", "A-2", &["Dell"], "two"),
            ],
        )
        .unwrap();
    assert_eq!(
        store
            .raw_get(Tree::Meta, &layout::count_key("dell"))
            .unwrap(),
        2u64.to_be_bytes()
    );
    store
        .put_raw_for_tests(Tree::IndexVendor, b"dell\0f1/A-2", None)
        .unwrap();
    let err = store.advisories_for_vendor("dell").unwrap_err();
    assert!(
        matches!(err, StoreError::Inconsistent { .. }) && err.to_string().contains("--repair"),
        "{err}"
    );
    // A second write of the same advisories puts the entry back, and the count stays right.
    store
        .put_advisories(&f, &[advisory("f1", "A-2", &["Dell"], "two")])
        .unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1 + 1);
}

mod notifier {
    use super::*;
    use crate::blast::Severity;
    use crate::notify::outbox::{delivery_key, Channel, Delivery, Status};
    use crate::notify::plan::{Message, Notified};

    conformance!(
        a_plan_commit_writes_state_and_deliveries_durably_and_lists_them_in_key_order,
        deliveries_are_replaced_and_removed_by_key,
        an_unreadable_notifier_record_fails_loudly_with_its_key,
        store_check_reads_the_notifier_trees_against_their_keys,
    );

    fn notified(title: &str) -> Notified {
        Notified {
            severity: Severity::High,
            title: title.into(),
            fixed_in: vec!["2".into()],
            effects: vec![],
            window: None,
            undecided: None,
            triage: None,
        }
    }

    fn delivery(generation: &str, owner: &str, channel: Channel) -> (String, Delivery) {
        let message = Message {
            owner: owner.into(),
            owner_name: owner.into(),
            generation: generation.into(),
            key: format!("key-{generation}-{owner}"),
            items: vec![],
            data_note: None,
        };
        let now = Utc::now();
        (
            delivery_key(&message, channel),
            Delivery::pending(channel, "ops@example.com".into(), None, message, now),
        )
    }

    fn key(owner: &str, finding: &str) -> (String, String) {
        (owner.into(), finding.into())
    }

    fn a_plan_commit_writes_state_and_deliveries_durably_and_lists_them_in_key_order(
        engine: Engine,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let later = delivery("g2", "a", Channel::Email);
        let earlier = delivery("g1", "b", Channel::Webhook);
        {
            let store = open(engine, dir.path());
            store
                .commit_notifications(&NotifyCommit {
                    upserts: &[
                        (key("a", "X@s1"), notified("x")),
                        (key("b", "Y@s2"), notified("y")),
                    ],
                    removals: &[],
                    deliveries: &[later.clone(), earlier.clone()],
                })
                .unwrap();
        }
        // Reopened: the commit was flushed.
        let store = open(engine, dir.path());
        let state = store.notified().unwrap();
        assert_eq!(state.len(), 2);
        assert_eq!(state[&key("a", "X@s1")], notified("x"));
        // Plan order: the earlier generation first, whatever the commit's order.
        assert_eq!(store.deliveries().unwrap(), vec![earlier, later]);

        // A later plan replaces one entry and removes the other, in the same write.
        store
            .commit_notifications(&NotifyCommit {
                upserts: &[(key("a", "X@s1"), notified("x, revised"))],
                removals: &[key("b", "Y@s2")],
                deliveries: &[],
            })
            .unwrap();
        let state = store.notified().unwrap();
        assert_eq!(state.keys().collect::<Vec<_>>(), [&key("a", "X@s1")]);
        assert_eq!(state[&key("a", "X@s1")].title, "x, revised");
        assert!(check::check(&store).unwrap().problems.is_empty());
    }

    fn deliveries_are_replaced_and_removed_by_key(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(engine, dir.path());
        let (k1, mut d1) = delivery("g1", "a", Channel::Email);
        let (k2, d2) = delivery("g1", "a", Channel::Webhook);
        let deliveries = [(k1.clone(), d1.clone()), (k2.clone(), d2.clone())];
        store
            .commit_notifications(&NotifyCommit {
                upserts: &[],
                removals: &[],
                deliveries: &deliveries,
            })
            .unwrap();
        d1.status = Status::Sent;
        d1.attempts = 1;
        store.put_delivery(&k1, &d1).unwrap();
        assert_eq!(
            store.deliveries().unwrap(),
            vec![(k1.clone(), d1), (k2.clone(), d2.clone())]
        );
        store.remove_deliveries(&[]).unwrap();
        assert_eq!(store.deliveries().unwrap().len(), 2);
        store.remove_deliveries(&[k1]).unwrap();
        assert_eq!(store.deliveries().unwrap(), vec![(k2, d2)]);
    }

    fn an_unreadable_notifier_record_fails_loudly_with_its_key(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(engine, dir.path());
        store
            .put_raw_for_tests(Tree::Findings, b"a\0X@s1", Some(b"\x01[]"))
            .unwrap();
        let err = store.notified().unwrap_err();
        assert!(err.to_string().contains("a/X@s1"), "{err}");
        store
            .put_raw_for_tests(Tree::Outbox, b"g1\0a\0email", Some(b"\x09{}"))
            .unwrap();
        let err = store.deliveries().unwrap_err();
        assert!(err.to_string().contains("g1/a/email"), "{err}");
        assert!(err.to_string().contains("encoding version 9"), "{err}");
    }

    fn store_check_reads_the_notifier_trees_against_their_keys(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(engine, dir.path());
        let good = delivery("g1", "a", Channel::Email);
        store
            .commit_notifications(&NotifyCommit {
                upserts: &[(key("a", "X@s1"), notified("x"))],
                removals: &[],
                deliveries: std::slice::from_ref(&good),
            })
            .unwrap();
        let report = check::check(&store).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!((report.counts["findings"], report.counts["outbox"]), (1, 1));

        // A delivery for `a` by e-mail stored under `b`'s webhook key; a key with two parts; a
        // state entry without a finding.
        let (_, misplaced) = delivery("g1", "a", Channel::Email);
        let value = encode("", &misplaced).unwrap();
        store
            .put_raw_for_tests(Tree::Outbox, b"g1\0b\0webhook", Some(&value))
            .unwrap();
        store
            .put_raw_for_tests(Tree::Outbox, b"g1\0b", Some(&value))
            .unwrap();
        store
            .put_raw_for_tests(Tree::Findings, b"a\0", Some(b"\x01{}"))
            .unwrap();
        let report = check::check(&store).unwrap();
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            [
                "findings `a/`: malformed key (expected `owner \\0 finding`)",
                "outbox `g1/b`: malformed key (expected `generation \\0 owner \\0 channel`)",
                "outbox `g1/b/webhook`: holds a email delivery for `a` under another key",
            ]
        );
        assert_eq!((report.counts["findings"], report.counts["outbox"]), (2, 3));
    }
}

fn staged_advisories_are_invisible_until_the_feeds_commit_moves_them(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    // What an earlier sync staged and never committed, then this sync's two batches.
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "OLD-1", &["Dell"], "left over"))],
            true,
        )
        .unwrap();
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "A-1", &["Dell"], "staged"))],
            true,
        )
        .unwrap();
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "A-2", &["NetApp"], "staged"))],
            false,
        )
        .unwrap();
    // Another feed's stage is its own.
    store
        .stage_advisories(
            &feed("f2"),
            &[encoded(advisory("f2", "B-1", &["Dell"], "b"))],
            true,
        )
        .unwrap();
    assert!(
        store.all_advisories().unwrap().is_empty(),
        "staged is not visible"
    );
    assert!(store.advisories_for_vendor("dell").unwrap().is_empty());
    // The commit's own advisories win over a staged one with the same id.
    let own = [encoded(advisory("f1", "A-2", &["NetApp"], "parsed last"))];
    let put = commit_advisories(&store, &f, &own, true).unwrap();
    let titles: Vec<(String, String)> = store
        .all_advisories()
        .unwrap()
        .into_iter()
        .map(|a| (a.id.to_string(), a.title))
        .collect();
    assert_eq!(
        titles,
        [
            ("A-1".to_string(), "staged".to_string()),
            ("A-2".to_string(), "parsed last".to_string())
        ]
    );
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 1);
    assert_eq!(store.advisories_for_vendor("netapp").unwrap().len(), 1);
    assert_eq!(put.new + put.updated, 3, "{put:?}");
    assert!(check::check(&store).unwrap().problems.is_empty());
    // f2's stage waited for its own commit; nothing was staged in the database.
    assert_eq!(store.records(Tree::Stage).unwrap().count(), 0);
    commit_staged(&store, &feed("f2")).unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 2);
}

/// A feed's first commit finds none of its advisories stored, but one it writes twice (staged,
/// then its own; or staged twice) is found the second time: updated or unchanged, indexed and
/// counted under its last vendors only.
fn a_first_commit_that_writes_an_advisory_twice_counts_and_indexes_it_once(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let staged = [
        encoded(advisory("f1", "A-1", &["Dell"], "staged")),
        encoded(advisory("f1", "A-2", &["Dell"], "staged")),
        encoded(advisory("f1", "A-3", &["Hitachi"], "staged twice")),
    ];
    store.stage_advisories(&f, &staged, true).unwrap();
    store.stage_advisories(&f, &staged[2..], false).unwrap();
    let own = [encoded(advisory("f1", "A-1", &["NetApp"], "parsed last"))];
    let put = commit_advisories(&store, &f, &own, true).unwrap();
    assert_eq!((put.new, put.updated, put.unchanged), (3, 1, 1), "{put:?}");
    let ids = |vendor: &str| -> Vec<String> {
        let mut ids: Vec<String> = store
            .advisories_for_vendor(vendor)
            .unwrap()
            .into_iter()
            .map(|a| a.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids("dell"), ["A-2"]);
    assert_eq!(ids("netapp"), ["A-1"]);
    assert_eq!(ids("hitachi"), ["A-3"]);
    assert!(check::check(&store).unwrap().problems.is_empty());
    // The next commit finds them stored.
    let put = commit_advisories(&store, &f, &own, false).unwrap();
    assert_eq!((put.new, put.updated, put.unchanged), (0, 0, 1), "{put:?}");
}

fn advisories_encoded_for_another_feed_are_refused(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    let other = [encoded(advisory("f2", "B-1", &["Dell"], "b"))];
    let err = store.stage_advisories(&f, &other, true).unwrap_err();
    assert!(err.to_string().contains("`f2/B-1`"), "{err}");
    let err = commit_advisories(&store, &f, &other, false).unwrap_err();
    assert!(err.to_string().contains("`f2/B-1`"), "{err}");
    assert!(store.all_advisories().unwrap().is_empty());
}

/// A feed's commit of what it staged, and nothing else.
fn commit_staged(store: &impl Store, feed: &FeedId) -> Result<PutSummary, StoreError> {
    commit_advisories(store, feed, &[], true)
}

/// A feed's commit of `advisories` (after what it staged, if `staged`), and nothing else.
fn commit_advisories(
    store: &impl Store,
    feed: &FeedId,
    advisories: &[EncodedAdvisory],
    staged: bool,
) -> Result<PutSummary, StoreError> {
    store.commit_feed(&FeedCommit {
        feed,
        advisories,
        withdrawn: &[],
        when: Utc::now(),
        state: &FeedState::default(),
        changes: &StateChanges::default(),
        staged,
    })
}

fn a_sync_stages_across_reopenings_of_an_on_demand_store(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let wait = std::time::Duration::from_secs(5);
    let store = on_demand::OnDemandStore::new(dir.path(), Some(engine), wait);
    let closed = || {
        let start = std::time::Instant::now();
        while store.is_open() {
            assert!(start.elapsed() < wait, "the idle store was not closed");
            std::thread::sleep(on_demand::IDLE / 4);
        }
    };
    let f = feed("f1");
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "A-1", &["Dell"], "one"))],
            true,
        )
        .unwrap();
    // The store closes while the sync waits on the network, and opens again for the next batch.
    closed();
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "A-2", &["Dell"], "two"))],
            false,
        )
        .unwrap();
    closed();
    commit_staged(&store, &f).unwrap();
    assert_eq!(store.advisories_for_vendor("dell").unwrap().len(), 2);
}

fn what_an_earlier_firmwatch_staged_in_the_tree_is_dropped_by_the_commit(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(engine, dir.path());
    let f = feed("f1");
    // An unfinished sync of an earlier firmwatch staged into the `stage` tree.
    let old = advisory("f1", "A-2", &["NetApp"], "left over");
    let value = encode("f1/A-2", &old).unwrap();
    store
        .put_raw_for_tests(Tree::Stage, b"f1/A-2", Some(&value))
        .unwrap();
    store
        .put_raw_for_tests(Tree::Stage, b"f2/B-1", Some(&value))
        .unwrap();
    store
        .stage_advisories(
            &f,
            &[encoded(advisory("f1", "A-1", &["Dell"], "staged"))],
            true,
        )
        .unwrap();
    commit_staged(&store, &f).unwrap();
    let titles: Vec<String> = store
        .all_advisories()
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert_eq!(titles, ["staged"]);
    assert!(store.advisories_for_vendor("netapp").unwrap().is_empty());
    let left: Vec<Vec<u8>> = store
        .records(Tree::Stage)
        .unwrap()
        .map(|kv| kv.unwrap().0)
        .collect();
    assert_eq!(
        left,
        [b"f2/B-1".to_vec()],
        "only the feed's own are dropped"
    );
    // A commit that says it staged, when nothing was: an error, and nothing is written.
    let err = commit_staged(&store, &f).unwrap_err();
    assert!(err.to_string().contains("none were staged"), "{err}");
    assert_eq!(store.all_advisories().unwrap().len(), 1);
}

#[test]
fn a_redb_store_whose_creation_was_killed_is_created_afresh() {
    // A process killed while creating the store leaves only its temporary file; the store file
    // appears whole or not at all.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("store.redb.new-4242"), b"half a header").unwrap();
    assert_eq!(Engine::of_dir(dir.path()), None);
    let store = open(Engine::Redb, dir.path());
    assert_eq!(store.engine(), Engine::Redb);
    store
        .put_advisories(&feed("f1"), &[advisory("f1", "A-1", &["Dell"], "one")])
        .unwrap();
    drop(store);
    let store = AnyStore::open(dir.path(), None).unwrap();
    assert_eq!(store.all_advisories().unwrap().len(), 1);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"store.redb".to_string()), "{names:?}");
}

#[test]
fn an_engine_failure_keeps_the_engines_message_and_cause_chain() {
    use std::error::Error as _;
    #[derive(Debug)]
    struct Engine(std::io::Error);
    impl std::fmt::Display for Engine {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "engine write failed: {}", self.0)
        }
    }
    impl std::error::Error for Engine {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let e = StoreError::Io {
        what: "tree outbox".into(),
        source: EngineError::new(Engine(std::io::Error::other("no space left on device"))),
    };
    assert_eq!(
        e.to_string(),
        "store I/O on tree outbox: engine write failed: no space left on device"
    );
    let chain: Vec<String> = std::iter::successors(e.source(), |e| (*e).source())
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        chain,
        [
            "engine write failed: no space left on device",
            "no space left on device"
        ]
    );
}
