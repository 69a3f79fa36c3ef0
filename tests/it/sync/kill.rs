//! kill -9 of `firmwatch sync` at random moments, until 20 runs were killed mid-sync, against a
//! loopback CSAF provider whose 20 documents flip between two revisions: after every run the store
//! reopens, every stored advisory is exactly one whole revision (never a mix, never unreadable),
//! the vendor index agrees with the advisories, `store check` finds nothing (feed heads, listing
//! indexes and document records agree), and the store holds either what it held before the run or
//! the revision that run was syncing, never less; a final uninterrupted sync converges to the same
//! content as a sync into a fresh store.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use firmwatch::model::{vendor_key, Advisory};
use firmwatch::store::{AnyStore, Engine, Store};

use super::{feed_state, provider_metadata, sha512_file, url_feed};
use crate::support::cmd::{Fw, KillTrials, Killed};
use crate::support::fixture::Fixture;
use crate::support::http::Server;

const DOCS: usize = 20;
/// Runs that must be killed mid-sync.
const KILLS: usize = 20;
/// Runs that may be started to get there (about four in five kills land mid-sync).
const MAX_RUNS: usize = 200;

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

fn content(store: &AnyStore) -> BTreeMap<String, Advisory> {
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
fn check_consistent(store: &AnyStore) -> Option<usize> {
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
    revs.into_iter()
        .next()
        .map(|c| c.to_digit(10).unwrap() as usize)
}

/// `sync --json`, quiet, of `feeds` into `store`.
fn sync(feeds: &Path, store: &Path, engine: Engine) -> Fw {
    Fw::new()
        .env("FIRMWATCH_STORE_ENGINE", engine.name())
        .arg("--quiet")
        .feeds(feeds)
        .store(store)
        .args(["sync", "--json"])
}

#[test]
fn kill_nine_at_random_moments() {
    kill_nine(Engine::DEFAULT)
}

#[test]
fn kill_nine_at_random_moments_on_sled() {
    kill_nine(Engine::Sled)
}

fn kill_nine(engine: Engine) {
    let corpus = corpus_or_skip!();
    let template = std::fs::read(
        corpus.join("csaf/provider/gocsaf-csaf-documents/valid/avendor-advisory-0004.json"),
    )
    .unwrap();
    let server = Server::start();
    server.set_delay(Duration::from_millis(1));
    server.set_ok(
        "/kill/provider-metadata.json",
        provider_metadata(
            &server.url("/kill/provider-metadata.json"),
            &[serde_json::json!({"directory_url": server.url("/kill/white/")})],
        ),
    );
    let fx = Fixture::new();
    fx.feed(
        "kill",
        &url_feed("csaf-provider", &server.url("/kill/provider-metadata.json")),
    );

    // How long an uninterrupted run takes, to spread the kills over it.
    publish(&server, &template, 0);
    let t0 = Instant::now();
    sync(&fx.feeds(), &fx.path().join("timing"), engine)
        .run()
        .expect(0);
    let span = t0.elapsed();
    eprintln!("uninterrupted sync: {span:?}");

    let store_path = fx.path().join("killed");
    let killed = sync(&fx.feeds(), &store_path, engine);
    let mut trials = KillTrials::new(KILLS, MAX_RUNS);
    let mut held = None;
    let mut outcomes = Vec::new();
    while let Some(run) = trials.next_run() {
        let rev = run % 2;
        publish(&server, &template, rev);
        let at = trials.moment(Duration::ZERO, span + span / 5);
        let how = trials.kill(&killed, at);
        if let Killed::Finished(code) = how {
            assert_eq!(
                code,
                Some(0),
                "run {run}: a sync that was not killed failed"
            );
        }
        // With the engine under test: a run killed before it created the store leaves none, and
        // opening with the default engine would create a store of the other engine.
        let store = AnyStore::open(&store_path, Some(engine)).expect("store reopens after kill -9");
        let now = check_consistent(&store);
        // Nothing lost: what was stored stays until a whole new revision replaces it, and a sync
        // that finished stored the revision it was given.
        assert!(
            now == held || now == Some(rev),
            "run {run} ({how:?}): held {held:?}, syncing {rev}, now {now:?}"
        );
        if held.is_some() {
            assert_eq!(content(&store).len(), DOCS, "run {run}: advisories lost");
        }
        if how != Killed::MidRun {
            assert_eq!(
                now,
                Some(rev),
                "run {run}: a finished sync stored another revision"
            );
        }
        held = now;
        outcomes.push(now);
    }
    eprintln!(
        "kills mid-sync: {KILLS} of {} runs; stored revision after each: {outcomes:?}",
        trials.runs()
    );

    // Converge: one uninterrupted sync vs a fresh store synced once.
    publish(&server, &template, 1);
    sync(&fx.feeds(), &store_path, engine).run().expect(0);
    let fresh_path = fx.path().join("fresh");
    sync(&fx.feeds(), &fresh_path, engine).run().expect(0);
    let got = content(&AnyStore::open(&store_path, None).unwrap());
    let want = content(&AnyStore::open(&fresh_path, None).unwrap());
    assert_eq!(got.len(), DOCS);
    assert_eq!(got, want);
    // And the converged feed state says so: a further sync finds nothing to download.
    let store = AnyStore::open(&store_path, None).unwrap();
    assert_eq!(
        store.engine(),
        engine,
        "the runs made a store of the engine asked for"
    );
    let st = feed_state(&store, "kill");
    assert_eq!(st.documents.len(), DOCS);
    drop(store);
}
