//! Sync orchestration: run every selected feed's collector, parse what changed, write it to the
//! store, and report per feed.
//!
//! Each feed runs in three steps. **Collect** (async, the only step with network I/O) asks the
//! feed's collector for the documents that changed since the saved [`FeedState`] and for the full
//! list of documents the source currently names. **Parse** runs the pure parsers of
//! [`super::formats`] over the changed documents. **Commit** writes, in one store transaction, the
//! advisories, the withdrawal of those whose document vanished from the source (or that a changed
//! document no longer contains), and the feed's new state ([`Store::commit_feed`]). A failure
//! in any step leaves the store and the checkpoint as they were (only the error is recorded), and the
//! other feeds go on: feeds run concurrently up to [`SyncOptions::concurrency`], and within a
//! feed up to [`SyncOptions::fetch_concurrency`] documents are fetched at once (results are put
//! back in listing order before parsing, so the outcome does not depend on response order).
//!
//! State is read in parts. The feed's head ([`Store::feed_head`]: checkpoint, listing
//! validators, how many documents each listing named) is read first. When every listing is
//! unchanged and nothing was fetched, the commit proves from the head's counts that every known
//! document is still named and writes only the head and `seen` record: a no-change sync costs
//! O(listings), not O(documents). When a listing changed, it is compared with the store's index of
//! what it named ([`Store::listing_index`]) and only the records of the documents fetched are read
//! ([`Store::location_state`]); the commit derives the new counts from the head
//! (`compare_listed`) unless a document vanished or a document's advisories changed — then, as
//! when a collector compares every document (a local folder, NVD, an RSS feed), the whole state is
//! read ([`CollectCtx::full_state`]) and every known document compared (`compare_all`).
//! The commit hands the store per-location [`StateChanges`], so k changed documents are k records.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::feed::{FeedDef, FeedKind, FeedLocation};
use super::formats::{parse_document, DocContext, DocFormat, FormatError};
use super::http::{sha256_hex, HttpClient, HttpConfig, HttpError};
use crate::model::{Advisory, AdvisoryId, FeedId};
use crate::store::{
    DocState, FeedCommit, FeedState, ListingCount, ListingIndex, LocationState, StateChanges,
    Store, StoreError, Validators,
};

/// Version of the JSON [`SyncReport`].
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// A progress notification for a front end (the CLI draws bars from these).
#[derive(Debug, Clone)]
pub enum ProgressEvent {
    Started { feed: FeedId },
    Step { feed: FeedId, message: String },
    Finished { feed: FeedId, ok: bool },
}

/// Callback receiving [`ProgressEvent`]s.
pub type ProgressFn = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// Default of [`SyncOptions::fetch_concurrency`]: enough to hide a round trip per document on a
/// real network, few enough to stay polite to one vendor's server (browsers open ~6 per host).
pub const DEFAULT_FETCH_CONCURRENCY: usize = 8;

/// How a sync runs.
#[derive(Clone)]
pub struct SyncOptions {
    /// Only these feeds (empty: every enabled feed).
    pub only: Vec<FeedId>,
    /// Ignore saved validators and hashes: fetch and parse every document again.
    pub force: bool,
    /// Skip feeds whose schedule has not elapsed ([`FeedDef::is_due`]).
    pub only_due: bool,
    /// Feeds fetched at the same time.
    pub concurrency: usize,
    /// Document requests in flight at the same time *within* one feed (each document's hash and
    /// signature files are fetched after it, inside the same slot). So at most
    /// `concurrency × fetch_concurrency` requests are open at once.
    pub fetch_concurrency: usize,
    pub http: HttpConfig,
    /// Listing entries this close to the checkpoint are revalidated when the listing changed.
    pub overlap: chrono::Duration,
    pub progress: Option<ProgressFn>,
    /// Pause between NVD API requests (rate limit).
    pub nvd_delay: std::time::Duration,
    /// NVD API key, sent as the `apiKey` header (allows a shorter `nvd_delay`).
    pub nvd_api_key: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            only: Vec::new(),
            force: false,
            only_due: false,
            concurrency: 4,
            fetch_concurrency: DEFAULT_FETCH_CONCURRENCY,
            http: HttpConfig::default(),
            overlap: chrono::Duration::days(1),
            progress: None,
            nvd_delay: std::time::Duration::from_secs(6),
            nvd_api_key: None,
        }
    }
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("only", &self.only)
            .field("force", &self.force)
            .field("only_due", &self.only_due)
            .field("concurrency", &self.concurrency)
            .field("fetch_concurrency", &self.fetch_concurrency)
            .finish_non_exhaustive()
    }
}

/// Why a feed failed. Every variant names the URL, path or document.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: {algo} mismatch (listed {expected}, got {actual})")]
    HashMismatch {
        url: String,
        algo: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{url}: {reason}")]
    Listing { url: String, reason: String },
    #[error("{url}: OpenPGP signature check failed: {reason}")]
    Signature { url: String, reason: String },
    #[error(transparent)]
    Refused(#[from] super::policy::UrlRefused),
}

/// How one feed's sync ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedStatus {
    Ok,
    Failed,
    Disabled,
    NotDue,
}

/// The outcome of one feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedReport {
    pub feed: FeedId,
    pub kind: FeedKind,
    pub status: FeedStatus,
    /// Advisories seen for the first time.
    pub new: usize,
    /// Advisories whose content changed.
    pub updated: usize,
    /// Advisories whose document was unchanged or re-parsed to the same content.
    pub unchanged: usize,
    /// Advisories marked withdrawn in this run (document removed from the feed, or dropped by it).
    pub withdrawn: usize,
    /// Documents downloaded or read in this run (not counting listings and hash files).
    pub documents_fetched: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Last complete sync of this feed (this run when it succeeded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Seconds since `last_success` — how old the feed's data is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_age_secs: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The outcome of a sync: one report per selected feed, sorted by feed id.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub schema_version: u32,
    pub started: DateTime<Utc>,
    pub feeds: Vec<FeedReport>,
}

impl SyncReport {
    /// `true` when any feed failed.
    pub fn any_failed(&self) -> bool {
        self.feeds.iter().any(|f| f.status == FeedStatus::Failed)
    }
}

/// One document a collector delivers for parsing.
#[derive(Debug, Clone)]
pub struct Doc {
    /// URL, or path relative to the feed root: the key in [`FeedState::documents`].
    pub location: String,
    pub bytes: Vec<u8>,
    /// The listing's timestamp for it.
    pub updated: Option<DateTime<Utc>>,
    /// TLP label of the listing it came from (ROLIE feed).
    pub tlp: Option<String>,
    /// Validators to save for the document URL.
    pub validators: Option<Validators>,
    pub listing: Option<String>,
    /// Keep one document record per advisory instead of one per location (NVD pages).
    pub per_advisory: bool,
}

/// What a collector found.
#[derive(Debug, Default)]
pub struct Collected {
    /// Documents to parse (new or changed).
    pub changed: Vec<Doc>,
    /// Every document the source currently names; previously known documents missing from it
    /// (and from `kept_listings`) are withdrawn.
    pub listed: rustc_hash::FxHashSet<String>,
    /// Listings found unchanged: every known document they named is still named (so they need
    /// not be copied into `listed` one by one).
    pub kept_listings: BTreeSet<String>,
    /// Newest listing timestamp seen.
    pub checkpoint: Option<DateTime<Utc>>,
    /// Validators of listings (and of documents revalidated unchanged) to save.
    pub validators: BTreeMap<String, Validators>,
    /// Known documents whose content did not change but whose listed time did (a 304 for an
    /// entry with a new time): the new time is saved without parsing anything.
    pub touched: Vec<(String, Option<DateTime<Utc>>)>,
    pub warnings: Vec<String>,
}

/// What a collector may read.
///
/// Two ways to the feed's saved records. A collector that compares every document (a local
/// folder, NVD, an RSS feed) reads them all at once ([`CollectCtx::full_state`]). A listing-based
/// one (CSAF provider, served directory) compares a changed listing with the index of what it
/// named before ([`CollectCtx::listed_time`]) and reads the record of only each document it
/// fetches ([`CollectCtx::document`]): a sync that changes k of a feed's n documents reads k
/// records and one index per changed listing, not n records. Once the whole state is read,
/// every lookup uses it.
pub struct CollectCtx<'a> {
    pub feed: &'a FeedDef,
    /// The feed's saved head: checkpoint, counts, last success / error, and the validators of
    /// URLs that are not documents (listings, pages); `documents` is empty. The whole state is
    /// [`CollectCtx::full_state`].
    pub state: &'a FeedState,
    pub http: &'a HttpClient,
    pub opts: &'a SyncOptions,
    /// The feed's OpenPGP key, when it names a `key_file`.
    pub key: Option<&'a pgp::composed::SignedPublicKey>,
    store: &'a (dyn Store + Sync),
    full: OnceLock<FeedState>,
    locations: Mutex<HashMap<String, LocationState>>,
    indexes: Mutex<HashMap<String, Option<Arc<ListingIndex>>>>,
}

impl CollectCtx<'_> {
    /// The feed's whole saved state, documents included, read from the store on first use.
    pub fn full_state(&self) -> Result<&FeedState, FeedError> {
        if let Some(s) = self.full.get() {
            return Ok(s);
        }
        let s = blocking(|| self.store.feed_state(&self.feed.id))?.unwrap_or_default();
        Ok(self.full.get_or_init(|| s))
    }

    /// Whether the whole state has been read (then the commit compares against all of it).
    fn full_loaded(&self) -> bool {
        self.full.get().is_some()
    }

    /// What the store holds for one location (read once, then remembered).
    fn location(&self, location: &str) -> Result<LocationState, FeedError> {
        if let Some(full) = self.full.get() {
            return Ok(LocationState {
                document: full.documents.get(location).cloned(),
                validators: full.validators.get(location).cloned(),
            });
        }
        if self.state.listed_by.is_empty() {
            // The feed holds no document (a first sync): nothing to read.
            return Ok(LocationState {
                document: None,
                validators: self.state.validators.get(location).cloned(),
            });
        }
        let mut cache = self.locations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = cache.get(location) {
            return Ok(l.clone());
        }
        let l = self.store.location_state(&self.feed.id, location)?;
        cache.insert(location.to_string(), l.clone());
        Ok(l)
    }

    /// What `listing` named at the last successful sync, when its index agrees with the head's
    /// count for it (`None` otherwise: the caller reads the whole state instead).
    fn listing_index(&self, listing: &str) -> Result<Option<Arc<ListingIndex>>, FeedError> {
        let mut cache = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.get(listing) {
            return Ok(i.clone());
        }
        let index = self.store.listing_index(&self.feed.id, listing)?;
        let expected = self.state.listed_by.get(listing).map_or(0, |c| c.documents);
        let index = if index.len() == expected {
            Some(Arc::new(index))
        } else {
            tracing::debug!(
                feed = %self.feed.id,
                "listing index of {listing} names {} documents, the head counts {expected}: reading the whole state",
                index.len()
            );
            None
        };
        cache.insert(listing.to_string(), index.clone());
        Ok(index)
    }

    /// The listed time saved for a document named by `listing`: `None` when the document is
    /// not known, `Some(None)` when it is known without a time.
    pub fn listed_time(
        &self,
        listing: &str,
        location: &str,
    ) -> Result<Option<Option<DateTime<Utc>>>, FeedError> {
        if !self.full_loaded() {
            if let Some(index) = self.listing_index(listing)? {
                if let Some(t) = index.get(location) {
                    return Ok(Some(*t));
                }
                // Not named by this listing before: new, or known under another listing.
                return Ok(self.document(location)?.map(|d| d.updated));
            }
        }
        Ok(self
            .full_state()?
            .documents
            .get(location)
            .map(|d| d.updated))
    }

    /// What `listing` named at the last successful sync, with the listed times (its index), for
    /// a collector to look entries up by URL; `None` when the whole state is read instead (then
    /// [`CollectCtx::listed_time`] answers).
    pub fn listed_before(&self, listing: &str) -> Result<Option<Arc<ListingIndex>>, FeedError> {
        if self.full_loaded() {
            return Ok(None);
        }
        self.listing_index(listing)
    }

    /// Saved validators of a listing or page (not a document), unless `--force`. Never reads the
    /// per-document records.
    pub fn listing_validators(&self, url: &str) -> Option<&Validators> {
        if self.opts.force {
            None
        } else {
            self.state.validators.get(url)
        }
    }

    /// Saved validators for any URL, unless `--force`.
    pub fn validators(&self, url: &str) -> Result<Option<Validators>, FeedError> {
        if self.opts.force {
            return Ok(None);
        }
        self.validators_saved(url)
    }

    /// Saved validators for any URL, `--force` or not (what a commit compares with).
    fn validators_saved(&self, url: &str) -> Result<Option<Validators>, FeedError> {
        match self.state.validators.get(url) {
            Some(v) => Ok(Some(v.clone())),
            None => Ok(self.location(url)?.validators),
        }
    }

    /// The saved record of a document.
    pub fn document(&self, location: &str) -> Result<Option<DocState>, FeedError> {
        Ok(self.location(location)?.document)
    }

    /// Whether a document with these bytes is already stored unchanged.
    pub fn known_unchanged(&self, location: &str, sha256: &str) -> Result<bool, FeedError> {
        Ok(!self.opts.force && self.document(location)?.is_some_and(|d| d.sha256 == sha256))
    }

    pub fn step(&self, message: impl Into<String>) {
        if let Some(p) = &self.opts.progress {
            p(ProgressEvent::Step {
                feed: self.feed.id.clone(),
                message: message.into(),
            });
        }
    }
}

/// The document format a feed kind carries.
pub fn doc_format(kind: FeedKind) -> Option<DocFormat> {
    match kind {
        FeedKind::CsafProvider | FeedKind::CsafDir => Some(DocFormat::Csaf),
        FeedKind::OsvDir => Some(DocFormat::Osv),
        FeedKind::Cve5Dir => Some(DocFormat::Cve5),
        FeedKind::NativeDir => Some(DocFormat::Native),
        FeedKind::Nvd => Some(DocFormat::Nvd),
        FeedKind::Rss | FeedKind::Atom | FeedKind::Html => None,
    }
}

/// Sync the selected feeds into `store`. Never fails as a whole: per-feed failures are in the report.
///
/// Each feed runs as a task of its own ([`tokio::spawn`]), so on a multi-threaded runtime feeds
/// use every core (a feed's parsing and commit are CPU work); at most
/// [`SyncOptions::concurrency`] run at once. A feed whose task panics is reported failed.
pub async fn sync<S>(store: &S, feeds: &[FeedDef], opts: &SyncOptions) -> SyncReport
where
    S: Store + Clone + Send + Sync + 'static,
{
    let started = Utc::now();
    let http = match HttpClient::new(opts.http.clone()) {
        Ok(h) => h,
        Err(e) => {
            let e = e.to_string();
            return SyncReport {
                schema_version: REPORT_SCHEMA_VERSION,
                started,
                feeds: selected(feeds, opts)
                    .map(|f| failed_report(f, None, e.clone()))
                    .collect(),
            };
        }
    };
    let mut reports: Vec<FeedReport> = stream::iter(selected(feeds, opts))
        .map(|feed| {
            let (store, feed, http, opts) =
                (store.clone(), feed.clone(), http.clone(), opts.clone());
            async move {
                let task = tokio::spawn({
                    let feed = feed.clone();
                    async move { run_feed(&store, &feed, &http, &opts).await }
                });
                task.await.unwrap_or_else(|e| {
                    failed_report(&feed, None, format!("the feed's sync task failed: {e}"))
                })
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    SyncReport {
        schema_version: REPORT_SCHEMA_VERSION,
        started,
        feeds: reports,
    }
}

fn selected<'a>(
    feeds: &'a [FeedDef],
    opts: &'a SyncOptions,
) -> impl Iterator<Item = &'a FeedDef> + 'a {
    feeds
        .iter()
        .filter(|f| opts.only.is_empty() || opts.only.contains(&f.id))
}

/// Run CPU-bound or blocking work (reading a feed's records, a commit) without stalling the
/// runtime: on a multi-threaded runtime the worker hands its other tasks to another thread
/// first ([`tokio::task::block_in_place`]); on a current-thread runtime it simply runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn empty_report(feed: &FeedDef, status: FeedStatus, state: Option<&FeedState>) -> FeedReport {
    let last_success = state.and_then(|s| s.last_success);
    FeedReport {
        feed: feed.id.clone(),
        kind: feed.kind,
        status,
        new: 0,
        updated: 0,
        unchanged: 0,
        withdrawn: 0,
        documents_fetched: 0,
        error: None,
        last_success,
        data_age_secs: last_success.map(|t| (Utc::now() - t).num_seconds()),
        warnings: Vec::new(),
    }
}

fn failed_report(feed: &FeedDef, state: Option<&FeedState>, error: String) -> FeedReport {
    let mut r = empty_report(feed, FeedStatus::Failed, state);
    r.error = Some(error);
    r
}

/// An error with its whole source chain on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

async fn run_feed<S: Store + Sync>(
    store: &S,
    feed: &FeedDef,
    http: &HttpClient,
    opts: &SyncOptions,
) -> FeedReport {
    // The head only; the per-document records are read if and when the collector or the
    // commit needs them (not at all when every listing is unchanged).
    let state = match store.feed_head(&feed.id) {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return failed_report(feed, None, chain(&e)),
    };
    if !feed.enabled {
        return empty_report(feed, FeedStatus::Disabled, Some(&state));
    }
    let now = Utc::now();
    if opts.only_due && !opts.force && !feed.is_due(&state, now) {
        return empty_report(feed, FeedStatus::NotDue, Some(&state));
    }
    if let Some(p) = &opts.progress {
        p(ProgressEvent::Started {
            feed: feed.id.clone(),
        });
    }
    let key = match &feed.key_file {
        Some(path) => match super::provider::load_key(path) {
            Ok(k) => Some(k),
            Err(e) => {
                if let Some(p) = &opts.progress {
                    p(ProgressEvent::Finished {
                        feed: feed.id.clone(),
                        ok: false,
                    });
                }
                return failed_report(feed, Some(&state), chain(&e));
            }
        },
        None => None,
    };
    let ctx = CollectCtx {
        feed,
        state: &state,
        http,
        opts,
        key: key.as_ref(),
        store,
        full: OnceLock::new(),
        locations: Mutex::default(),
        indexes: Mutex::default(),
    };
    let result = match collect(&ctx).await {
        Ok(collected) => blocking(|| commit(store, &ctx, collected, now)),
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let msg = chain(&e);
            tracing::warn!(feed = %feed.id, "sync failed: {msg}");
            // Keep data and checkpoint; remember only the failure.
            let mut r = failed_report(feed, Some(&state), msg.clone());
            if let Err(e) = store.record_failure(&feed.id, &msg, now) {
                r.warnings
                    .push(format!("could not record the failure: {}", chain(&e)));
            }
            r
        }
    };
    if let Some(p) = &opts.progress {
        p(ProgressEvent::Finished {
            feed: feed.id.clone(),
            ok: report.status == FeedStatus::Ok,
        });
    }
    report
}

async fn collect(ctx: &CollectCtx<'_>) -> Result<Collected, FeedError> {
    let feed = ctx.feed;
    match (&feed.location, feed.kind) {
        (FeedLocation::Path(root), kind) => super::dir::collect_local(ctx, root, kind),
        (FeedLocation::Url(url), FeedKind::CsafProvider) => {
            super::provider::collect_provider(ctx, url).await
        }
        (FeedLocation::Url(url), FeedKind::CsafDir) => {
            super::provider::collect_directory(ctx, url, None).await
        }
        (FeedLocation::Url(url), FeedKind::OsvDir | FeedKind::Cve5Dir | FeedKind::NativeDir) => {
            super::dir::collect_served(ctx, url).await
        }
        (FeedLocation::Url(url), FeedKind::Nvd) => super::nvd::collect_nvd(ctx, url).await,
        (FeedLocation::Url(url), FeedKind::Html) => super::html::collect_html(ctx, url).await,
        (FeedLocation::Url(url), FeedKind::Rss | FeedKind::Atom) => {
            super::html::collect_syndication(ctx, url).await
        }
    }
}

/// Parse the changed documents, write, withdraw, flush, save state.
fn commit<S: Store>(
    store: &S,
    ctx: &CollectCtx<'_>,
    mut collected: Collected,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let feed = ctx.feed;
    let head = ctx.state;
    let format = doc_format(feed.kind);
    let mut report = empty_report(feed, FeedStatus::Ok, Some(head));
    report.warnings = std::mem::take(&mut collected.warnings);
    report.documents_fetched = collected.changed.len();
    let checkpoint = match (head.checkpoint, collected.checkpoint) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    // Every listing unchanged and nothing else named or fetched: every known document stays as
    // it is, which the head's per-listing counts prove without reading a document record.
    if collected.changed.is_empty()
        && collected.touched.is_empty()
        && collected.listed.is_empty()
        && head
            .listed_by
            .keys()
            .all(|l| collected.kept_listings.contains(l))
    {
        let mut changes = StateChanges::default();
        for (url, v) in collected.validators {
            if head.validators.get(&url) != Some(&v) {
                changes.validators.insert(url, Some(v));
            }
        }
        report.unchanged = head.listed_by.values().map(|c| c.advisories).sum();
        let next = FeedState {
            last_success: Some(now),
            checkpoint,
            advisory_count: head.advisory_count,
            listed_by: head.listed_by.clone(),
            ..FeedState::default()
        };
        return finish(store, feed, &next, &[], &[], &changes, now, report);
    }
    // Parse everything first: one bad document fails the feed before anything is written.
    let mut advisories: BTreeMap<AdvisoryId, Advisory> = BTreeMap::new();
    let mut parsed_docs: Vec<(String, DocState)> = Vec::new();
    let mut doc_validators: Vec<(String, Validators)> = Vec::new();
    for doc in &collected.changed {
        let ctx = DocContext {
            feed: &feed.id,
            location: &doc.location,
            default_vendor: feed.vendor.as_deref(),
            default_scheme: feed.scheme,
        };
        let sha = sha256_hex(&doc.bytes);
        let mut ids = Vec::new();
        let parsed = match format {
            Some(format) => parse_document(format, &doc.bytes, &ctx)?,
            None => super::html::parse_page(feed, &doc.location, &doc.bytes)?,
        };
        for mut a in parsed {
            if a.tlp.is_none() {
                a.tlp.clone_from(&doc.tlp);
            }
            ids.push(a.id.clone());
            advisories.insert(a.id.clone(), a);
        }
        if let Some(v) = &doc.validators {
            doc_validators.push((doc.location.clone(), v.clone()));
        }
        if doc.per_advisory {
            for id in ids {
                let a = &advisories[&id];
                parsed_docs.push((
                    id.to_string(),
                    DocState {
                        sha256: sha256_hex(&serde_json::to_vec(a).unwrap_or_default()),
                        updated: a.modified,
                        advisories: vec![id.clone()],
                        listing: None,
                    },
                ));
            }
            continue;
        }
        parsed_docs.push((
            doc.location.clone(),
            DocState {
                sha256: sha,
                updated: doc.updated,
                advisories: ids,
                listing: doc.listing.clone(),
            },
        ));
    }
    let outcome = match compare_listed(store, ctx, &collected, &parsed_docs, &doc_validators)? {
        Some(o) => o,
        None => compare_all(ctx.full_state()?, &collected, parsed_docs, doc_validators),
    };
    report.unchanged += outcome.unchanged;
    report.withdrawn = outcome.withdrawn.len();
    let list: Vec<Advisory> = advisories.into_values().collect();
    let next = FeedState {
        last_success: Some(now),
        checkpoint,
        advisory_count: outcome.advisory_count,
        listed_by: outcome.listed_by,
        ..FeedState::default()
    };
    finish(
        store,
        feed,
        &next,
        &list,
        &outcome.withdrawn,
        &outcome.changes,
        now,
        report,
    )
}

/// What a commit derives from comparing the parsed documents and the listings with the saved
/// state: the record changes, the withdrawals and the new head's counts.
struct Outcome {
    changes: StateChanges,
    withdrawn: Vec<AdvisoryId>,
    advisory_count: usize,
    listed_by: BTreeMap<String, ListingCount>,
    /// Advisories of documents kept as they were.
    unchanged: usize,
}

/// Compare with the whole saved state: one pass over every known document — re-parsed ones,
/// ones the source no longer names, the rest kept as they are.
fn compare_all(
    prev: &FeedState,
    collected: &Collected,
    parsed_docs: Vec<(String, DocState)>,
    doc_validators: Vec<(String, Validators)>,
) -> Outcome {
    let mut changes = StateChanges::default();
    let mut unchanged = 0;
    // One pass over the known documents: re-parsed ones (`fresh`), ones the source no longer
    // names (`gone`), the rest kept as they are. The advisories of the first two may be withdrawn.
    let fresh: HashSet<&str> = parsed_docs.iter().map(|(l, _)| l.as_str()).collect();
    let listed = |loc: &str, d: &DocState| {
        collected.listed.contains(loc)
            || d.listing
                .as_ref()
                .is_some_and(|l| collected.kept_listings.contains(l))
    };
    let mut gone: HashSet<&str> = HashSet::new();
    let mut listed_by: BTreeMap<String, ListingCount> = BTreeMap::new();
    let mut candidates: HashSet<&AdvisoryId> = HashSet::new();
    for (loc, d) in &prev.documents {
        if fresh.contains(loc.as_str()) {
            candidates.extend(&d.advisories);
        } else if !listed(loc, d) {
            gone.insert(loc);
            candidates.extend(&d.advisories);
        } else {
            unchanged += d.advisories.len();
            count_listed(&mut listed_by, d);
        }
    }
    for (_, d) in &parsed_docs {
        count_listed(&mut listed_by, d);
    }
    let kept = |loc: &str| !fresh.contains(loc) && !gone.contains(loc);
    // Withdraw what the feed no longer provides anywhere: a candidate named by no re-parsed
    // document and no kept one.
    let mut provided: HashSet<&AdvisoryId> = parsed_docs
        .iter()
        .flat_map(|(_, d)| d.advisories.iter())
        .collect();
    if candidates.iter().any(|id| !provided.contains(id)) {
        for (loc, d) in &prev.documents {
            if kept(loc) {
                provided.extend(d.advisories.iter().filter(|id| candidates.contains(id)));
            }
        }
    }
    let mut withdrawn: Vec<AdvisoryId> = candidates
        .into_iter()
        .filter(|id| !provided.contains(id))
        .cloned()
        .collect();
    withdrawn.sort();
    // Distinct advisories the feed holds after this commit (counted again only if it changed).
    let advisory_count = if fresh.is_empty() && gone.is_empty() {
        prev.advisory_count
    } else {
        let mut all: HashSet<&AdvisoryId> = provided;
        for (loc, d) in &prev.documents {
            if kept(loc) {
                all.extend(&d.advisories);
            }
        }
        all.len()
    };
    // The state changes, written as records of their own.
    for loc in &gone {
        changes.documents.insert(loc.to_string(), None);
        if prev.validators.contains_key(*loc) {
            changes.validators.insert(loc.to_string(), None);
        }
    }
    for (loc, updated) in &collected.touched {
        if let Some(d) = prev.documents.get(loc).filter(|_| kept(loc)) {
            if d.updated != *updated {
                let mut d = d.clone();
                d.updated = *updated;
                changes.documents.insert(loc.clone(), Some(d));
            }
        }
    }
    for (loc, d) in parsed_docs {
        if prev.documents.get(&loc) != Some(&d) {
            changes.documents.insert(loc, Some(d));
        }
    }
    let validators = collected
        .validators
        .iter()
        .map(|(u, v)| (u.clone(), v.clone()));
    for (url, v) in validators.chain(doc_validators) {
        if !gone.contains(url.as_str()) && prev.validators.get(&url) != Some(&v) {
            changes.validators.insert(url, Some(v));
        }
    }
    Outcome {
        changes,
        withdrawn,
        advisory_count,
        listed_by,
        unchanged,
    }
}

/// Compare through the listing indexes and the records of the parsed documents only, when that
/// decides everything: no document vanished from a changed listing, every re-parsed document
/// gives the same advisories as before, and every new document gives advisories the store has
/// never held (so nothing is withdrawn, and the feed's count grows by exactly those). `None`
/// when any of that does not hold, or the documents have no listing, or the whole state is
/// read anyway: then [`compare_all`] decides.
fn compare_listed<S: Store>(
    store: &S,
    ctx: &CollectCtx<'_>,
    collected: &Collected,
    parsed_docs: &[(String, DocState)],
    doc_validators: &[(String, Validators)],
) -> Result<Option<Outcome>, FeedError> {
    let head = ctx.state;
    if ctx.full_loaded() {
        return Ok(None);
    }
    for listing in head.listed_by.keys() {
        if collected.kept_listings.contains(listing) {
            continue;
        }
        if listing.is_empty() {
            return Ok(None);
        }
        let Some(index) = ctx.listing_index(listing)? else {
            return Ok(None);
        };
        if index.keys().any(|loc| !collected.listed.contains(loc)) {
            return Ok(None); // something vanished
        }
    }
    let mut changes = StateChanges::default();
    let mut listed_by = head.listed_by.clone();
    let mut unchanged: usize = head.listed_by.values().map(|c| c.advisories).sum();
    let mut new_ids: HashSet<&AdvisoryId> = HashSet::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (loc, d) in parsed_docs {
        if d.listing.is_none() || !seen.insert(loc) {
            return Ok(None);
        }
        match ctx.document(loc)? {
            Some(old) => {
                let same: BTreeSet<&AdvisoryId> = old.advisories.iter().collect();
                if same != d.advisories.iter().collect::<BTreeSet<_>>() {
                    return Ok(None);
                }
                // Counted in the head under its old listing (else the head disagrees).
                let n = old.advisories.len();
                let counted = listed_by
                    .get_mut(old.listing.as_deref().unwrap_or_default())
                    .filter(|c| c.documents > 0 && c.advisories >= n);
                let (Some(c), Some(rest)) = (counted, unchanged.checked_sub(n)) else {
                    return Ok(None);
                };
                c.documents -= 1;
                c.advisories -= n;
                unchanged = rest;
                if old != *d {
                    changes.documents.insert(loc.clone(), Some(d.clone()));
                }
            }
            None => {
                for id in &d.advisories {
                    // A feed without documents provides nothing yet; otherwise an id the store
                    // holds may be provided by a document not read here.
                    if !head.listed_by.is_empty() && store.advisory(&ctx.feed.id, id)?.is_some() {
                        return Ok(None);
                    }
                    new_ids.insert(id);
                }
                changes.documents.insert(loc.clone(), Some(d.clone()));
            }
        }
        count_listed(&mut listed_by, d);
    }
    listed_by.retain(|_, c| c.documents > 0);
    for (loc, updated) in &collected.touched {
        if seen.contains(loc.as_str()) {
            continue;
        }
        if let Some(mut d) = ctx.document(loc)? {
            if d.updated != *updated {
                d.updated = *updated;
                changes.documents.insert(loc.clone(), Some(d));
            }
        }
    }
    for (url, v) in collected
        .validators
        .iter()
        .chain(doc_validators.iter().map(|(u, v)| (u, v)))
    {
        if ctx.validators_saved(url)?.as_ref() != Some(v) {
            changes.validators.insert(url.clone(), Some(v.clone()));
        }
    }
    Ok(Some(Outcome {
        changes,
        withdrawn: Vec::new(),
        advisory_count: head.advisory_count + new_ids.len(),
        listed_by,
        unchanged,
    }))
}

/// Count a document (and its advisories) under the listing that named it, for the head's
/// per-listing counts.
fn count_listed(listed_by: &mut BTreeMap<String, ListingCount>, d: &DocState) {
    let c = listed_by
        .entry(d.listing.clone().unwrap_or_default())
        .or_default();
    c.documents += 1;
    c.advisories += d.advisories.len();
}

/// Write one feed's result in one transaction ([`Store::commit_feed`]) and complete its report.
#[allow(clippy::too_many_arguments)]
fn finish<S: Store>(
    store: &S,
    feed: &FeedDef,
    next: &FeedState,
    advisories: &[Advisory],
    withdrawn: &[AdvisoryId],
    changes: &StateChanges,
    now: DateTime<Utc>,
    mut report: FeedReport,
) -> Result<FeedReport, FeedError> {
    let put = store.commit_feed(&FeedCommit {
        feed: &feed.id,
        advisories,
        withdrawn,
        when: now,
        state: next,
        changes,
    })?;
    report.new += put.new;
    report.updated += put.updated;
    report.unchanged += put.unchanged;
    report.last_success = Some(now);
    report.data_age_secs = Some(0);
    Ok(report)
}
