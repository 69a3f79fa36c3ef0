//! kill -9 of `firmwatch sync` at random moments (20 trials) against a loopback CSAF provider whose
//! 20 documents flip between two revisions: after every kill the store reopens, every stored
//! advisory is exactly one whole revision (never a mix, never unreadable), the vendor index agrees
//! with the advisories, `store check` finds nothing (feed heads, listing indexes and document
//! records agree), and a final uninterrupted sync converges to the same content as a sync
//! into a fresh store.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::sha512_file;
use crate::support::http::Server;
use firmwatch::model::{vendor_key, Advisory};
use firmwatch::store::{SledStore, Store};

const DOCS: usize = 20;
const TRIALS: usize = 20;

fn revision(template: &[u8], i: usize, rev: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(template).unwrap();
    v["document"]["tracking"]["id"] = format!("KILL-{i:03}").into();
    v["document"]["title"] = format!("document {i} revision {rev}").into();
    serde_json::to_vec_pretty(&v).unwrap()
}

fn publish(server: &Server, template: &[u8], rev: usize) {
    let mut csv = String::new();
    for i in 0..DOCS {
        let doc = revision(template, i, rev);
        let name = format!("k{i:03}.json");
        server.set_ok(&format!("/kill/white/2024/{name}"), doc.clone());
        server.set_ok(
            &format!("/kill/white/2024/{name}.sha512"),
            sha512_file(&doc, &name),
        );
        csv.push_str(&format!(
            "\"2024/{name}\",\"2024-01-{:02}T00:00:00Z\"\n",
            rev + 1
        ));
    }
    server.set_ok("/kill/white/changes.csv", csv);
}

fn content(store: &SledStore) -> BTreeMap<String, Advisory> {
    store
        .all_advisories()
        .expect("every stored advisory decodes")
        .into_iter()
        .map(|a| (a.id.to_string(), a))
        .collect()
}

/// No half-written state: each advisory is a whole revision and is indexed under its vendors, and
/// since a feed's advisories are written in one transaction, all of them carry the same revision.
/// Returns that revision (None for an empty store).
fn check_consistent(store: &SledStore) -> Option<char> {
    let all = content(store);
    let revs: std::collections::BTreeSet<char> = all
        .values()
        .filter_map(|a| a.title.chars().last())
        .collect();
    assert!(
        revs.len() <= 1,
        "advisories from different revisions side by side: {revs:?}"
    );
    let mut pairs = 0;
    for (id, a) in &all {
        let i: usize = id.trim_start_matches("KILL-").parse().unwrap();
        assert!(
            a.title == format!("document {i} revision 0")
                || a.title == format!("document {i} revision 1"),
            "{id}: unexpected title {:?}",
            a.title
        );
        let mut keys: Vec<String> = a.affected.iter().map(|p| vendor_key(&p.vendor)).collect();
        if keys.is_empty() {
            keys.push(vendor_key(&a.vendor));
        }
        keys.sort();
        keys.dedup();
        for k in keys.iter().filter(|k| !k.is_empty()) {
            pairs += 1;
            let hits = store.advisories_for_vendor(k).unwrap();
            assert!(
                hits.iter().any(|h| h.id == a.id),
                "{id} missing from index {k}"
            );
        }
    }
    assert_eq!(store.index_len(), pairs, "index entries without advisory");
    // And everything `store check` cross-checks: feed heads, per-document records, listing
    // indexes and counts agree.
    let problems = firmwatch::store::check::check(store).unwrap().problems;
    assert!(problems.is_empty(), "after a kill: {problems:?}");
    revs.into_iter().next()
}

fn run_sync(feeds: &Path, store: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_firmwatch"))
        .args(["--quiet", "--feeds"])
        .arg(feeds)
        .arg("--store")
        .arg(store)
        .args(["sync", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_at_random_moments() {
    let corpus = corpus_or_skip!();
    let template = std::fs::read(
        corpus.join("csaf/provider/gocsaf-csaf-documents/valid/avendor-advisory-0004.json"),
    )
    .unwrap();
    let server = Server::start();
    server.set_delay(Duration::from_millis(1));
    let meta = serde_json::json!({
        "canonical_url": server.url("/kill/provider-metadata.json"), "metadata_version": "2.0",
        "role": "csaf_provider", "last_updated": "2024-01-01T00:00:00Z",
        "publisher": {"category": "vendor", "name": "Test", "namespace": "https://example.com"},
        "distributions": [{"directory_url": server.url("/kill/white/")}]
    });
    server.set_ok("/kill/provider-metadata.json", meta.to_string());
    let feeds = tempfile::tempdir().unwrap();
    std::fs::write(
        feeds.path().join("kill.toml"),
        format!(
            "kind = \"csaf-provider\"\nurl = \"{}\"\n",
            server.url("/kill/provider-metadata.json")
        ),
    )
    .unwrap();
    let store_dir = tempfile::tempdir().unwrap();

    // How long an uninterrupted run takes, to spread the kills over it.
    publish(&server, &template, 0);
    let t0 = Instant::now();
    let status = run_sync(feeds.path(), &store_dir.path().join("timing"))
        .wait()
        .unwrap();
    assert!(status.success());
    let span = t0.elapsed().as_millis() as u64;
    eprintln!("uninterrupted sync: {span} ms");

    let store_path = store_dir.path().join("killed");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ (std::process::id() as u64);
    let mut killed_mid_run = 0;
    let mut outcomes = Vec::new();
    for trial in 0..TRIALS {
        publish(&server, &template, trial % 2);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = Duration::from_millis((seed >> 33) % (span + span / 5 + 1));
        let mut child = run_sync(feeds.path(), &store_path);
        tokio::time::sleep(at).await;
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let store = SledStore::open(&store_path).expect("store reopens after kill -9");
        outcomes.push(check_consistent(&store));
    }
    eprintln!(
        "kills mid-run: {killed_mid_run}/{TRIALS}; stored revision after each trial: {outcomes:?}"
    );
    assert!(
        killed_mid_run >= TRIALS / 3,
        "only {killed_mid_run} kills landed mid-run"
    );

    // Converge: one uninterrupted sync vs a fresh store synced once.
    publish(&server, &template, 1);
    assert!(run_sync(feeds.path(), &store_path)
        .wait()
        .unwrap()
        .success());
    let fresh_path = store_dir.path().join("fresh");
    assert!(run_sync(feeds.path(), &fresh_path)
        .wait()
        .unwrap()
        .success());
    let got = content(&SledStore::open(&store_path).unwrap());
    let want = content(&SledStore::open(&fresh_path).unwrap());
    assert_eq!(got.len(), DOCS);
    assert_eq!(got, want);
    // And the converged feed state says so: a further sync finds nothing to download.
    let store = SledStore::open(&store_path).unwrap();
    let st = store.feed_state(&"kill".parse().unwrap()).unwrap().unwrap();
    assert_eq!(st.documents.len(), DOCS);
    drop(store);
}
