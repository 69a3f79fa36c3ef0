//! `sync`: every feed kind against loopback servers and local directories, hostile servers,
//! incremental rounds, kill -9, and the command's exit codes.
//!
//! The functions here are what several sync tests (and the URL policy test) need beside the kit:
//! a fresh store with feeds loaded and fast HTTP settings, the report of one feed, lookups in the
//! store, and what providers publish (hash files, provider metadata).

mod cli;
mod epss;
mod hostile;
mod html;
mod incremental;
mod kev;
mod kill;
mod local;
mod memory;
mod noise;
mod nvd;
mod provider;
mod quarantine;
mod served;

use std::time::Duration;

use firmwatch::collect::{FeedDef, FeedReport, SyncOptions, SyncReport};
use firmwatch::model::Advisory;
use firmwatch::store::{AnyStore, FeedState, Store};
use sha2::Digest;

use crate::support::fixture::{feeds, Fixture};

/// The temporary directories behind [`prepare`]: keep it for the test's length.
pub type Dirs = (Fixture, tempfile::TempDir);

/// What a library sync test starts from: the feed definitions `defs` loaded, a fresh store, and
/// [`fast_options`].
pub fn prepare(defs: &[(&str, String)]) -> (Dirs, Vec<FeedDef>, AnyStore, SyncOptions) {
    let (fx, defs) = feeds(defs);
    let (dir, store) = temp_store();
    ((fx, dir), defs, store, fast_options())
}

/// `<hex sha512>  <name>` as providers write it.
pub fn sha512_file(bytes: &[u8], name: &str) -> Vec<u8> {
    format!("{}  {name}\n", hex::encode(sha2::Sha512::digest(bytes))).into_bytes()
}

/// Change a CSAF document's title (a content change that keeps it valid).
pub fn retitle(doc: &[u8], title: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(doc).unwrap();
    v["document"]["title"] = serde_json::Value::String(title.to_string());
    serde_json::to_vec_pretty(&v).unwrap()
}

/// A feed definition of `kind` (a served directory or a CSAF provider) at `url`.
pub fn url_feed(kind: &str, url: &str) -> String {
    format!("kind = \"{kind}\"\nurl = \"{url}\"\n")
}

/// A CSAF `provider-metadata.json` whose canonical URL is `canonical`, listing `distributions`
/// (`{"directory_url": …}` or `{"rolie": …}` objects).
pub fn provider_metadata(canonical: &str, distributions: &[serde_json::Value]) -> String {
    serde_json::json!({
        "canonical_url": canonical, "metadata_version": "2.0", "role": "csaf_provider",
        "last_updated": "2024-01-01T00:00:00Z",
        "publisher": {"category": "vendor", "name": "Test", "namespace": "https://example.com"},
        "distributions": distributions
    })
    .to_string()
}

/// Fast HTTP settings so hostile cases finish in about a second.
pub fn fast_options() -> SyncOptions {
    let mut o = SyncOptions {
        concurrency: 16,
        ..Default::default()
    };
    o.http.total_timeout = Duration::from_millis(1500);
    o.http.connect_timeout = Duration::from_millis(500);
    o.http.retries = 2;
    o.http.backoff = Duration::from_millis(20);
    o.http.max_retry_wait = Duration::from_secs(2);
    o.http.max_body = 1024 * 1024;
    o.http.max_listing_body = 2 * 1024 * 1024;
    o
}

pub fn report_of<'a>(r: &'a SyncReport, id: &str) -> &'a FeedReport {
    r.feeds.iter().find(|f| f.feed.as_str() == id).unwrap()
}

/// A store in a fresh temporary directory (kept while the directory is).
pub fn temp_store() -> (tempfile::TempDir, AnyStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(dir.path(), None).unwrap();
    (dir, store)
}

/// The saved state of `feed`.
pub fn feed_state(store: &impl Store, feed: &str) -> FeedState {
    store.feed_state(&feed.parse().unwrap()).unwrap().unwrap()
}

/// The checkpoint of `feed`, in RFC 3339.
pub fn checkpoint(store: &impl Store, feed: &str) -> String {
    feed_state(store, feed).checkpoint.unwrap().to_rfc3339()
}

/// The stored advisory `id` of `feed`.
pub fn advisory(store: &impl Store, feed: &str, id: &str) -> Advisory {
    store
        .advisory(&feed.parse().unwrap(), &id.parse().unwrap())
        .unwrap()
        .unwrap()
}

/// The advisories stored from `feed`.
pub fn stored(store: &AnyStore, feed: &str) -> Vec<Advisory> {
    store
        .all_advisories()
        .unwrap()
        .into_iter()
        .filter(|a| a.source.feed.as_str() == feed)
        .collect()
}
