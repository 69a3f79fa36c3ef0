//! Incremental syncs agree with a sync from scratch. A served OSV directory listed by
//! `changes.csv` goes through random rounds of what real feeds do — a document revised, a time
//! moved without a change, a new document, a second document for an advisory already served, a
//! document removed, a document whose advisory id changes. After every round the incrementally
//! synced store passes `store check` (head counts, advisory count and listing indexes agree with
//! the document records) and holds the same documents and the same live advisories as a store
//! that synced the final state once.

use std::collections::BTreeSet;

use super::{fast_options, feed_state, report_of, url_feed};
use crate::support::fixture::feeds;
use crate::support::http::Server;
use firmwatch::collect::{self, SyncStatus};
use firmwatch::store::{AnyStore, Store};

/// One served file: its advisory id, content revision and listed time (hours after the base).
#[derive(Clone)]
struct File {
    id: String,
    revision: u32,
    hour: u32,
}

fn osv(f: &File) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schema_version": "1.6.0",
        "id": f.id,
        "modified": time(f.hour),
        "summary": format!("{} revision {}", f.id, f.revision),
        "affected": [{
            "package": {"ecosystem": "Go", "name": "example.com/storage"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": format!("1.{}.0", f.revision + 1)}]}]
        }]
    }))
    .unwrap()
}

fn time(hour: u32) -> String {
    (chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
        + chrono::Duration::hours(i64::from(hour)))
    .to_utc()
    .format("%Y-%m-%dT%H:%M:%SZ")
    .to_string()
}

fn publish(server: &Server, files: &[(String, File)]) {
    let mut csv = String::new();
    for (name, f) in files {
        server.set_ok(&format!("/o/{name}"), osv(f));
        csv.push_str(&format!("{name},{}\n", time(f.hour)));
    }
    server.set_ok("/o/changes.csv", csv);
}

/// The feed's documents (location → sha, advisories, listing, time) and live advisory ids.
fn content(store: &AnyStore) -> (String, BTreeSet<String>) {
    let state = feed_state(store, "served");
    let docs = format!(
        "{:?} {:?} {}",
        state.documents, state.listed_by, state.advisory_count
    );
    let live = store
        .all_advisories()
        .unwrap()
        .into_iter()
        .filter(|a| a.withdrawn.is_none())
        .map(|a| a.id.to_string())
        .collect();
    (docs, live)
}

#[tokio::test]
async fn random_rounds_converge_to_a_sync_from_scratch() {
    let server = Server::start();
    let (_d, defs) = feeds(&[("served", url_feed("osv-dir", &server.url("/o/")))]);
    let opts = fast_options();
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(dir.path().join("incremental"), None).unwrap();
    let mut files: Vec<(String, File)> = (0..12)
        .map(|i| {
            let f = File {
                id: format!("GO-2026-{i:04}"),
                revision: 0,
                hour: i,
            };
            (format!("f{i}.json"), f)
        })
        .collect();
    // Deterministic (the generator the synthetic estate uses), so a failure reproduces.
    let mut rng = firmwatch::synth::Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut below = |n: usize| rng.below(n as u64) as usize;
    let mut next = 12;
    for round in 1..=40u32 {
        let hour = 100 + round * 3;
        for _ in 0..1 + below(3) {
            let i = below(files.len());
            match below(6) {
                0 => {
                    files[i].1.revision += 1;
                    files[i].1.hour = hour;
                }
                1 => files[i].1.hour = hour,
                2 => {
                    let f = File {
                        id: format!("GO-2026-{next:04}"),
                        revision: 0,
                        hour,
                    };
                    files.push((format!("f{next}.json"), f));
                    next += 1;
                }
                3 => {
                    let mut f = files[i].1.clone();
                    f.hour = hour;
                    files.push((format!("f{next}.json"), f));
                    next += 1;
                }
                4 if files.len() > 3 => {
                    files.remove(i);
                }
                _ => {
                    files[i].1.id = format!("GO-2026-{next:04}");
                    files[i].1.hour = hour;
                    next += 1;
                }
            }
        }
        publish(&server, &files);
        let r = collect::sync(&store, &defs, &opts).await;
        let f = report_of(&r, "served");
        assert_eq!(f.status, SyncStatus::Ok, "round {round}: {f:?}");
        let problems = firmwatch::store::check::check(&store).unwrap().problems;
        assert!(problems.is_empty(), "round {round}: {problems:?}");

        let fresh = AnyStore::open(dir.path().join(format!("fresh-{round}")), None).unwrap();
        let r = collect::sync(&fresh, &defs, &opts).await;
        assert_eq!(report_of(&r, "served").status, SyncStatus::Ok);
        let (docs, live) = content(&store);
        let (fresh_docs, fresh_live) = content(&fresh);
        assert_eq!(docs, fresh_docs, "round {round}: documents differ");
        // The incremental store also keeps withdrawn advisories (marked); the live ones agree.
        assert_eq!(live, fresh_live, "round {round}: live advisories differ");
    }
}
