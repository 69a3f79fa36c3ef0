//! Served `osv-dir` / `cve5-dir` / `native-dir` directories on 127.0.0.1, with the real corpus
//! documents: listed incrementally by `changes.csv` or OSV's `modified_id.csv` (an unchanged
//! listing costs one request and no document; a changed entry is fetched, a removed one
//! withdrawn), by `index.txt` alone (every document revalidated, so a change in place is still
//! seen), and fetched concurrently within the feed without losing the hostile-server guarantees
//! or the order of the result.

use std::time::{Duration, Instant};

use super::{
    advisory, checkpoint, fast_options, feed_state, prepare, provider_metadata, report_of,
    sha512_file, stored, url_feed,
};
use crate::support::fixture::feeds;
use crate::support::http::{Reply, Server};
use firmwatch::collect::{self, SyncOptions, SyncStatus};
use firmwatch::model::Advisory;
use firmwatch::store::{AnyStore, Store};

const OSV: [&str; 4] = [
    "GO-2020-0001",
    "PYSEC-2023-74",
    "GHSA-838r-hvwh-24h8",
    "CVE-2022-27449",
];
const CVE5: [&str; 4] = [
    "CVE-2021-44228",
    "CVE-2022-25929",
    "CVE-2022-31231",
    "CVE-2023-22466",
];

/// A listing with per-entry times, as the directory publishes it.
#[derive(Clone, Copy, PartialEq)]
enum Timed {
    /// `changes.csv`: `<path>,<time>`, unquoted.
    ChangesCsv,
    /// OSV's `modified_id.csv`: `<time>,<id>` for `<id>.json`, newest first.
    ModifiedId,
}

fn listing(kind: Timed, entries: &[(&str, &str)]) -> String {
    let mut sorted = entries.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(a.1));
    sorted
        .iter()
        .map(|(id, t)| match kind {
            Timed::ChangesCsv => format!("{id}.json,{t}\n"),
            Timed::ModifiedId => format!("{t},{id}\n"),
        })
        .collect()
}

/// First sync ingests everything; an unchanged second sync requests only the listing(s); then
/// one document changes (new time) and one leaves the listing: only the changed one is
/// downloaded, it is updated, the other is withdrawn.
async fn timed_listing_scenario(kind: &str, timed: Timed, corpus_dir: &str, ids: &[&str]) {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let name = match timed {
        Timed::ChangesCsv => "changes.csv",
        Timed::ModifiedId => "modified_id.csv",
    };
    let times = [
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        "2024-04-01T00:00:00Z",
    ];
    let mut entries: Vec<(&str, &str)> = ids.iter().copied().zip(times).collect();
    for id in ids {
        let bytes = std::fs::read(corpus.join(corpus_dir).join(format!("{id}.json"))).unwrap();
        server.set_ok(&format!("/d/{id}.json"), bytes);
    }
    server.set_ok(&format!("/d/{name}"), listing(timed, &entries));
    // An index.txt naming a file that must not be read: the timed listing wins.
    server.set_ok("/d/index.txt", "not-listed.json\n");
    let (_dirs, defs, store, opts) = prepare(&[("served", url_feed(kind, &server.url("/d/")))]);

    let r1 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r1, "served");
    assert_eq!(
        (f.status.clone(), f.new, f.documents_fetched),
        (SyncStatus::Ok, ids.len(), ids.len()),
        "{f:?}"
    );
    assert!(!server.requests().iter().any(|p| p.contains("index.txt")));
    assert_eq!(checkpoint(&store, "served"), "2024-04-01T00:00:00+00:00");

    // Nothing changed: the listing answers 304 and no document is requested.
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r2, "served");
    assert_eq!(
        (
            f.status.clone(),
            f.new,
            f.updated,
            f.unchanged,
            f.documents_fetched
        ),
        (SyncStatus::Ok, 0, 0, ids.len(), 0),
        "{f:?}"
    );
    let expected: Vec<String> = match timed {
        Timed::ChangesCsv => vec!["/d/changes.csv".into()],
        // changes.csv is tried first (404), then OSV's own listing.
        Timed::ModifiedId => vec!["/d/changes.csv".into(), "/d/modified_id.csv".into()],
    };
    assert_eq!(server.requests(), expected);
    assert_eq!(server.not_modified(), vec![format!("/d/{name}")]);

    // The oldest document changes (new time), the second one leaves the listing.
    let (changed_id, removed_id) = (ids[0], ids[1]);
    let path = corpus.join(corpus_dir).join(format!("{changed_id}.json"));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    match kind {
        "osv-dir" => v["summary"] = "Changed by the mirror".into(),
        _ => v["containers"]["cna"]["title"] = "Changed by the mirror".into(),
    }
    server.set_ok(
        &format!("/d/{changed_id}.json"),
        serde_json::to_vec(&v).unwrap(),
    );
    entries[0].1 = "2024-05-01T00:00:00Z";
    entries.remove(1);
    server.set_ok(&format!("/d/{name}"), listing(timed, &entries));
    server.clear_log();
    let r3 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r3, "served");
    assert_eq!(
        (
            f.status.clone(),
            f.updated,
            f.withdrawn,
            f.documents_fetched
        ),
        (SyncStatus::Ok, 1, 1, 1),
        "{f:?}"
    );
    let docs = server.requested(|p| p.ends_with(".json"));
    // The changed entry is downloaded; the entry at the old checkpoint (inside the one-day
    // overlap window) is revalidated and answered 304; the two older ones are not requested.
    assert_eq!(
        server.downloaded(|p| p.ends_with(".json")),
        vec![format!("/d/{changed_id}.json")],
        "{docs:?}"
    );
    assert_eq!(
        server.not_modified(),
        vec![format!("/d/{}.json", ids[3])],
        "{docs:?}"
    );
    assert_eq!(docs.len(), 2, "{docs:?}");
    let a = advisory(&store, "served", changed_id);
    assert_eq!(a.title, "Changed by the mirror");
    let gone = advisory(&store, "served", removed_id);
    assert!(gone.withdrawn.is_some(), "{removed_id} not withdrawn");
    assert_eq!(checkpoint(&store, "served"), "2024-05-01T00:00:00+00:00");
}

#[tokio::test]
async fn osv_dir_listed_by_modified_id_csv() {
    timed_listing_scenario("osv-dir", Timed::ModifiedId, "osv", &OSV).await;
}

#[tokio::test]
async fn osv_dir_listed_by_changes_csv() {
    timed_listing_scenario("osv-dir", Timed::ChangesCsv, "osv", &OSV).await;
}

#[tokio::test]
async fn cve5_dir_listed_by_changes_csv() {
    timed_listing_scenario("cve5-dir", Timed::ChangesCsv, "cve5", &CVE5).await;
}

/// A directory with only `index.txt` carries no times, so an unchanged listing does not mean
/// unchanged documents: each is revalidated (304), and a document changed in place is seen.
#[tokio::test]
async fn index_txt_only_directory_revalidates_every_document() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let mut index = String::new();
    for id in CVE5 {
        let bytes = std::fs::read(corpus.join("cve5").join(format!("{id}.json"))).unwrap();
        server.set_ok(&format!("/d/{id}.json"), bytes);
        index.push_str(&format!("{id}.json\n"));
    }
    server.set_ok("/d/index.txt", index);
    let (_dirs, defs, store, opts) =
        prepare(&[("served", url_feed("cve5-dir", &server.url("/d/")))]);
    let r1 = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r1, "served").new, 4, "{:?}", r1.feeds);

    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r2, "served");
    assert_eq!((f.unchanged, f.documents_fetched), (4, 0), "{f:?}");
    let mut revalidated = server.not_modified();
    revalidated.sort();
    let mut want: Vec<String> = CVE5.iter().map(|id| format!("/d/{id}.json")).collect();
    want.sort();
    assert_eq!(
        revalidated, want,
        "every document revalidated, none downloaded"
    );

    // Changed in place: same index.txt.
    let id = CVE5[2];
    let mut v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(corpus.join("cve5").join(format!("{id}.json"))).unwrap(),
    )
    .unwrap();
    v["containers"]["cna"]["title"] = "Changed in place".into();
    server.set_ok(&format!("/d/{id}.json"), serde_json::to_vec(&v).unwrap());
    let r3 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r3, "served");
    assert_eq!(
        (
            f.status.clone(),
            f.updated,
            f.unchanged,
            f.documents_fetched
        ),
        (SyncStatus::Ok, 1, 3, 1),
        "{f:?}"
    );
    let a = advisory(&store, "served", id);
    assert_eq!(a.title, "Changed in place");
}

/// Many documents, fetched 8 at a time: with every reply delayed, the sync takes a fraction of
/// the sequential time, and the store content equals that of a one-at-a-time sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetches_are_faster_and_give_the_same_store() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("osv/GO-2020-0001.json")).unwrap())
            .unwrap();
    const N: usize = 32;
    let mut csv = String::new();
    for i in 0..N {
        let mut v = template.clone();
        // Two documents per advisory id: which copy wins must not depend on response order.
        v["id"] = format!("SRV-{:03}", i / 2).into();
        v["summary"] = format!("copy {i}").into();
        server.set_ok(
            &format!("/d/doc-{i:03}.json"),
            serde_json::to_vec(&v).unwrap(),
        );
        csv.push_str(&format!("doc-{i:03}.json,2024-01-01T00:{i:02}:00Z\n"));
    }
    server.set_ok("/d/changes.csv", csv);
    server.set_delay(Duration::from_millis(100));
    let (_d, defs) = feeds(&[("served", url_feed("osv-dir", &server.url("/d/")))]);

    let mut stores = Vec::new();
    let mut times = Vec::new();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (dir, jobs) in dirs.iter().zip([1, 8]) {
        let store = AnyStore::open(dir.path(), None).unwrap();
        let opts = SyncOptions {
            fetch_concurrency: jobs,
            ..fast_options()
        };
        let t = Instant::now();
        let r = collect::sync(&store, &defs, &opts).await;
        times.push(t.elapsed());
        let f = report_of(&r, "served");
        assert_eq!(
            (f.status.clone(), f.documents_fetched),
            (SyncStatus::Ok, N),
            "{f:?}"
        );
        stores.push(store);
    }
    // 33 requests of 100 ms each one at a time; 1 + 32 / 8 rounds of them 8 at a time.
    assert!(times[0] >= Duration::from_millis(3300), "{times:?}");
    assert!(times[1] < times[0] / 2, "{times:?}");
    let a = stored(&stores[0], "served");
    let b = stored(&stores[1], "served");
    assert_eq!(a.len(), N / 2);
    assert_eq!(a, b);
    // The later document of each pair (listing order) wins, as in a sequential read.
    assert!(a.iter().all(|x| {
        let i: usize = x.id.as_str()[4..].parse().unwrap();
        x.title == format!("copy {}", 2 * i + 1)
    }));
}

/// One hostile document among many fetched concurrently fails the feed naming its URL, keeps the
/// previous data and checkpoint, and a listing naming a foreign host fails before any document
/// is requested; one document that is not valid JSON is rejected alone and the others land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetch_keeps_the_hostile_server_guarantees() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("osv/GO-2020-0001.json")).unwrap())
            .unwrap();
    const N: usize = 24;
    let doc = |case: &str, i: usize| format!("/{case}/doc-{i:03}.json");
    let body = |i: usize, rev: &str| {
        let mut v = template.clone();
        v["id"] = format!("HOST-{i:03}").into();
        v["summary"] = format!("doc {i} {rev}").into();
        serde_json::to_vec(&v).unwrap()
    };
    let csv = |date: &str| -> String {
        (0..N)
            .map(|i| format!("doc-{i:03}.json,{date}\n"))
            .collect()
    };
    let cases = ["oversize", "always-500", "invalid-json", "other-host"];
    for c in cases {
        for i in 0..N {
            server.set_ok(&doc(c, i), body(i, "old"));
        }
        server.set_ok(&format!("/{c}/changes.csv"), csv("2024-01-01T00:00:00Z"));
    }
    let defs: Vec<(&str, String)> = cases
        .iter()
        .map(|c| (*c, url_feed("osv-dir", &server.url(&format!("/{c}/")))))
        .collect();
    let (_dirs, defs, store, opts) = prepare(&defs);
    assert!(opts.fetch_concurrency > 1);
    let r1 = collect::sync(&store, &defs, &opts).await;
    assert!(!r1.any_failed(), "{:#?}", r1.feeds);

    // Every document gets a new revision and time; one in the middle of each feed turns hostile.
    for c in cases {
        for i in 0..N {
            server.set_ok(&doc(c, i), body(i, "new"));
        }
        server.set_ok(&format!("/{c}/changes.csv"), csv("2024-02-01T00:00:00Z"));
    }
    let bad = N / 2;
    server.set(&doc("oversize", bad), vec![Reply::Huge(3 * 1024 * 1024)]);
    server.set(
        &doc("always-500", bad),
        vec![Reply::Status(503, vec![], vec![])],
    );
    server.set_ok(&doc("invalid-json", bad), b"{\"id\": ".to_vec());
    let port = server.port().to_string();
    let foreign = format!("http://localhost:{port}/other-host/doc-{bad:03}.json");
    let mut lines: Vec<String> = csv("2024-02-01T00:00:00Z")
        .lines()
        .map(str::to_string)
        .collect();
    lines[bad] = format!("{foreign},2024-02-01T00:00:00Z");
    server.set_ok("/other-host/changes.csv", lines.join("\n"));
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    for (case, what, url) in [
        (
            "oversize",
            "body larger than",
            server.url(&doc("oversize", bad)),
        ),
        (
            "always-500",
            "HTTP status 503",
            server.url(&doc("always-500", bad)),
        ),
        ("other-host", "refusing to follow", foreign.clone()),
    ] {
        let f = report_of(&r2, case);
        let err = f.error.clone().unwrap_or_default();
        assert_eq!(f.status, SyncStatus::Failed, "{case}: {f:?}");
        assert!(err.contains(what), "{case}: `{err}` lacks `{what}`");
        assert!(err.contains(&url), "{case}: `{err}` does not name {url}");
        let kept = stored(&store, case);
        assert_eq!(kept.len(), N, "{case}");
        assert!(
            kept.iter().all(|a| a.title.ends_with(" old")),
            "{case}: store changed"
        );
        let st = feed_state(&store, case);
        assert_eq!(
            st.checkpoint.unwrap().to_rfc3339(),
            "2024-01-01T00:00:00+00:00",
            "{case}"
        );
        assert!(st.last_error.is_some(), "{case}");
    }
    // The invalid document is rejected, naming it; every other one got its new revision, and the
    // rejected one keeps its previous advisory.
    let f = report_of(&r2, "invalid-json");
    assert_eq!(
        (f.status.clone(), f.updated),
        (SyncStatus::Ok, N - 1),
        "{f:?}"
    );
    assert_eq!(f.rejected.len(), 1, "{f:?}");
    assert_eq!(
        f.rejected[0].location,
        server.url(&doc("invalid-json", bad))
    );
    assert!(f.rejected[0].reason.contains("not valid JSON"), "{f:?}");
    let kept = stored(&store, "invalid-json");
    assert_eq!(kept.len(), N);
    for a in &kept {
        let rev = if a.id.as_str() == format!("HOST-{bad:03}") {
            " old"
        } else {
            " new"
        };
        assert!(a.title.ends_with(rev), "{a:?}");
        assert!(a.withdrawn.is_none());
    }
    // The URL policy is checked for the whole listing before any of it is fetched.
    let reqs = server.requests();
    assert_eq!(
        reqs.iter()
            .filter(|p| p.starts_with("/other-host/"))
            .collect::<Vec<_>>(),
        vec!["/other-host/changes.csv"],
        "{reqs:?}"
    );
}

/// A store that counts full feed-state reads, to show what an unchanged sync avoids (clones,
/// as each feed's sync task holds one, share the count).
#[derive(Clone)]
struct Counting {
    inner: AnyStore,
    full_reads: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl firmwatch::store::Store for Counting {
    fn put_advisories(
        &self,
        feed: &firmwatch::model::FeedId,
        advisories: &[Advisory],
    ) -> Result<firmwatch::store::PutSummary, firmwatch::store::StoreError> {
        self.inner.put_advisories(feed, advisories)
    }
    fn mark_withdrawn(
        &self,
        feed: &firmwatch::model::FeedId,
        ids: &[firmwatch::model::AdvisoryId],
        when: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), firmwatch::store::StoreError> {
        self.inner.mark_withdrawn(feed, ids, when)
    }
    fn advisory(
        &self,
        feed: &firmwatch::model::FeedId,
        id: &firmwatch::model::AdvisoryId,
    ) -> Result<Option<Advisory>, firmwatch::store::StoreError> {
        self.inner.advisory(feed, id)
    }
    fn all_advisories(&self) -> Result<Vec<Advisory>, firmwatch::store::StoreError> {
        self.inner.all_advisories()
    }
    fn advisories_for_vendor(
        &self,
        vendor_key: &str,
    ) -> Result<Vec<Advisory>, firmwatch::store::StoreError> {
        self.inner.advisories_for_vendor(vendor_key)
    }
    fn feed_state(
        &self,
        feed: &firmwatch::model::FeedId,
    ) -> Result<Option<firmwatch::store::FeedState>, firmwatch::store::StoreError> {
        self.full_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.feed_state(feed)
    }
    fn feed_head(
        &self,
        feed: &firmwatch::model::FeedId,
    ) -> Result<Option<firmwatch::store::FeedState>, firmwatch::store::StoreError> {
        self.inner.feed_head(feed)
    }
    fn location_state(
        &self,
        feed: &firmwatch::model::FeedId,
        location: &str,
    ) -> Result<firmwatch::store::LocationState, firmwatch::store::StoreError> {
        self.inner.location_state(feed, location)
    }
    fn listing_index(
        &self,
        feed: &firmwatch::model::FeedId,
        listing: &str,
    ) -> Result<firmwatch::store::ListingIndex, firmwatch::store::StoreError> {
        self.inner.listing_index(feed, listing)
    }
    fn commit_feed(
        &self,
        commit: &firmwatch::store::FeedCommit<'_>,
    ) -> Result<firmwatch::store::PutSummary, firmwatch::store::StoreError> {
        self.inner.commit_feed(commit)
    }
    fn save_feed_state(
        &self,
        feed: &firmwatch::model::FeedId,
        state: &firmwatch::store::FeedState,
    ) -> Result<(), firmwatch::store::StoreError> {
        self.inner.save_feed_state(feed, state)
    }
    fn record_failure(
        &self,
        feed: &firmwatch::model::FeedId,
        error: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), firmwatch::store::StoreError> {
        self.inner.record_failure(feed, error, at)
    }
    fn flush(&self) -> Result<(), firmwatch::store::StoreError> {
        self.inner.flush()
    }
    fn stage_advisories(
        &self,
        feed: &firmwatch::model::FeedId,
        advisories: &[firmwatch::store::EncodedAdvisory],
        first: bool,
    ) -> Result<(), firmwatch::store::StoreError> {
        self.inner.stage_advisories(feed, advisories, first)
    }
    fn discard_staged(&self, feed: &firmwatch::model::FeedId) {
        self.inner.discard_staged(feed)
    }
}

/// An unchanged timed listing finishes from the feed's head alone (no per-document record is
/// read); a changed one reads them; a listing that disappears from a provider's metadata still
/// has its documents withdrawn (the head's per-listing counts show they are no longer covered).
#[tokio::test]
async fn unchanged_listings_need_no_document_records() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let doc = std::fs::read(corpus.join("osv/GO-2020-0001.json")).unwrap();
    let mut other: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    other["id"] = "GO-OTHER-1".into();
    server.set_ok("/a/GO-2020-0001.json", doc.clone());
    server.set_ok("/a/changes.csv", "GO-2020-0001.json,2024-01-01T00:00:00Z\n");
    server.set_ok("/b/GO-OTHER-1.json", serde_json::to_vec(&other).unwrap());
    server.set_ok("/b/changes.csv", "GO-OTHER-1.json,2024-01-01T00:00:00Z\n");
    let (_d, defs) = feeds(&[("served", url_feed("osv-dir", &server.url("/a/")))]);
    let store_dir = tempfile::tempdir().unwrap();
    let store = Counting {
        inner: AnyStore::open(store_dir.path(), None).unwrap(),
        full_reads: Default::default(),
    };
    let reads = || store.full_reads.load(std::sync::atomic::Ordering::Relaxed);
    let opts = fast_options();
    let r1 = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r1, "served").new, 1, "{:?}", r1.feeds);
    let before = reads();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r2, "served");
    assert_eq!(
        (f.status.clone(), f.unchanged),
        (SyncStatus::Ok, 1),
        "{f:?}"
    );
    assert_eq!(
        reads(),
        before,
        "an unchanged sync read the document records"
    );
    // A changed listing is compared with the listing's index; only the records of the
    // documents it fetches are read (here: the one whose time moved, revalidated unchanged).
    server.set_ok("/a/changes.csv", "GO-2020-0001.json,2024-02-01T00:00:00Z\n");
    let r3 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r3, "served");
    assert_eq!(
        (f.status.clone(), f.unchanged),
        (SyncStatus::Ok, 1),
        "{f:?}"
    );
    assert_eq!(
        reads(),
        before,
        "a changed listing read every document record"
    );
    let saved = store
        .inner
        .feed_state(&"served".parse().unwrap())
        .unwrap()
        .unwrap();
    let moved = saved.documents.values().next().and_then(|d| d.updated);
    assert_eq!(
        moved.map(|t| t.to_rfc3339()),
        Some("2024-02-01T00:00:00+00:00".into())
    );
    let index = store
        .inner
        .listing_index(&"served".parse().unwrap(), &server.url("/a/changes.csv"))
        .unwrap();
    assert_eq!(index.values().collect::<Vec<_>>(), vec![&moved]);
    // A document gone from the listing: the whole state is compared, and it is withdrawn.
    server.set_ok("/a/changes.csv", "");
    let r4 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r4, "served");
    assert_eq!(
        (f.status.clone(), f.withdrawn),
        (SyncStatus::Ok, 1),
        "{f:?}"
    );
    assert!(reads() > before);
    assert!(store
        .inner
        .listing_index(&"served".parse().unwrap(), &server.url("/a/changes.csv"))
        .unwrap()
        .is_empty());

    // A provider whose metadata drops one of its two directories: the remaining listing is
    // unchanged, yet the dropped one's document is withdrawn.
    let meta = |dirs: &[&str]| {
        let dists: Vec<serde_json::Value> = dirs
            .iter()
            .map(|d| serde_json::json!({"directory_url": server.url(d)}))
            .collect();
        provider_metadata(&server.url("/p/provider-metadata.json"), &dists)
    };
    let csaf = std::fs::read(
        corpus.join("csaf/provider/gocsaf-csaf-documents/valid/avendor-advisory-0004.json"),
    )
    .unwrap();
    let mut second: serde_json::Value = serde_json::from_slice(&csaf).unwrap();
    second["document"]["tracking"]["id"] = "SECOND-1".into();
    for (dir, body) in [
        ("/p/one/", csaf.clone()),
        ("/p/two/", serde_json::to_vec(&second).unwrap()),
    ] {
        server.set_ok(&format!("{dir}doc.json"), body.clone());
        server.set_ok(
            &format!("{dir}doc.json.sha512"),
            sha512_file(&body, "doc.json"),
        );
        server.set_ok(
            &format!("{dir}changes.csv"),
            "doc.json,2024-01-01T00:00:00Z\n",
        );
    }
    server.set_ok("/p/provider-metadata.json", meta(&["/p/one/", "/p/two/"]));
    let (_d2, defs) = feeds(&[(
        "prov",
        url_feed("csaf-provider", &server.url("/p/provider-metadata.json")),
    )]);
    let r = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r, "prov").new, 2, "{:?}", r.feeds);
    server.set_ok("/p/provider-metadata.json", meta(&["/p/one/"]));
    let r = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r, "prov");
    assert_eq!(
        (f.status.clone(), f.withdrawn, f.unchanged),
        (SyncStatus::Ok, 1, 1),
        "{f:?}"
    );
    let gone = advisory(&store, "prov", "SECOND-1");
    assert!(gone.withdrawn.is_some());
}

/// `nvd-dir`: NVD API 2.0 responses kept as local files (an offline kit or a mirror), each
/// holding one or many CVEs, read like the other directory feeds — and served the same way.
#[tokio::test]
async fn nvd_dir_reads_every_cve_of_local_and_served_response_files() {
    let corpus = corpus_or_skip!();
    let nvd = corpus.join("nvd");
    let (_dirs, defs, store, opts) = prepare(&[(
        "local",
        format!("kind = \"nvd-dir\"\npath = \"{}\"\n", nvd.display()),
    )]);
    let r = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r, "local");
    assert_eq!(f.status, SyncStatus::Ok, "{f:?}");
    // Every CVE of every response file, each once.
    let mut expected = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(&nvd).unwrap() {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
        for item in v["vulnerabilities"].as_array().unwrap() {
            expected.insert(item["cve"]["id"].as_str().unwrap().to_string());
        }
    }
    assert!(expected.len() > 6, "the corpus holds a multi-CVE response");
    assert_eq!(f.new, expected.len(), "{f:?}");
    assert!(stored(&store, "local")
        .iter()
        .any(|a| a.id.as_str() == "CVE-2023-4863"));

    let server = Server::start();
    let mut index = String::new();
    for e in std::fs::read_dir(&nvd).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        server.set_ok(&format!("/nvd/{name}"), std::fs::read(&p).unwrap());
        index.push_str(&format!("{name}\n"));
    }
    server.set_ok("/nvd/index.txt", index);
    let (_dirs, defs, store, opts) =
        prepare(&[("served", url_feed("nvd-dir", &server.url("/nvd/")))]);
    let r = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r, "served").new, expected.len());
}
