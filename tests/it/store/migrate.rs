//! `firmwatch store migrate`: a store made on sled moves to redb with every record, the answers
//! the same before and after, the old store kept beside it; asking for the other engine than a
//! store holds is refused, naming both.

use std::path::Path;

use firmwatch::store::{AnyStore, Engine, RawRecords, Tree};

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;
use crate::support::project;

const TODAY: &str = "2026-11-22";

fn firmwatch(store: &Path, engine: Option<Engine>, args: &[&str]) -> Run {
    let mut fw = Fw::new()
        .store(store)
        .feeds(project().join("feeds"))
        .inventory(project().join("inventory"));
    if let Some(e) = engine {
        fw = fw.env("FIRMWATCH_STORE_ENGINE", e.name());
    }
    fw.run_with(args)
}

/// Every record of every tree, as bytes.
fn records(store: &Path) -> Vec<(Tree, Vec<u8>, Vec<u8>)> {
    let store = AnyStore::open(store, None).unwrap();
    let mut out = Vec::new();
    for tree in Tree::ALL {
        for kv in store.records(tree).unwrap() {
            let (k, v) = kv.unwrap();
            out.push((tree, k, v));
        }
    }
    out
}

#[test]
fn a_sled_store_migrates_to_redb_with_every_record_and_the_same_answers() {
    let fx = Fixture::new();
    let store = fx.store();
    firmwatch(&store, Some(Engine::Sled), &["sync", "-q"]).expect(0);
    // No SMTP server: digests wait in the outbox, so the notifier's trees hold data too.
    firmwatch(&store, None, &["notify", "--no-sync", "--today", TODAY]).expect(5);
    assert_eq!(AnyStore::open(&store, None).unwrap().engine(), Engine::Sled);
    let exposure = [
        "exposure",
        "--no-sync",
        "--today",
        TODAY,
        "--format",
        "json",
    ];
    let before = firmwatch(&store, None, &exposure);
    before.expect(0);
    let records_before = records(&store);
    assert!(records_before.iter().any(|(t, _, _)| *t == Tree::Outbox));

    let run = firmwatch(&store, None, &["store", "migrate", "--to", "redb"]);
    run.expect(0);
    assert!(
        run.stdout().contains("moved from sled to redb"),
        "{}",
        run.show()
    );
    assert_eq!(AnyStore::open(&store, None).unwrap().engine(), Engine::Redb);
    assert_eq!(
        records(&store),
        records_before,
        "every record, byte for byte"
    );
    let after = firmwatch(&store, None, &exposure);
    after.expect(0);
    // The same report but for the moment it was made.
    let answer = |run: &Run| {
        let mut j = run.json();
        j.as_object_mut().unwrap().remove("generated_at");
        j
    };
    assert!(
        answer(&after) == answer(&before),
        "exposure differs after the migration"
    );
    firmwatch(&store, None, &["store", "check"]).expect(0);
    // The sled store is kept, whole, beside it.
    let kept = store.with_file_name("store.sled-old");
    assert_eq!(AnyStore::open(&kept, None).unwrap().engine(), Engine::Sled);
    assert_eq!(records(&kept), records_before);

    // The same engine again, or the other engine asked of an existing store: refused, naming both.
    let again = firmwatch(&store, None, &["store", "migrate", "--to", "redb"]);
    assert_eq!(again.code(), Some(1), "{}", again.show());
    let other = firmwatch(&store, Some(Engine::Sled), &["store", "check"]);
    assert_eq!(other.code(), Some(1), "{}", other.show());
    assert!(
        other
            .stderr()
            .contains("is a redb store, and sled was asked for"),
        "{}",
        other.show()
    );
}
