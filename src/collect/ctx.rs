//! The vocabulary every collector speaks: what it is given ([`CollectCtx`], [`SyncOptions`]),
//! what it hands back ([`Collected`], [`Doc`]) and how it fails ([`FeedError`]).
//!
//! These types live apart from the orchestrator ([`sync`](mod@super::sync)) so that a collector
//! depends on what it may read and must return, never on how feeds are scheduled, parsed or
//! committed: the collectors import `super::ctx`, the orchestrator imports them, and nothing
//! imports the other way. [`CollectCtx`] is also the one door to the feed's saved records: it
//! reads them from the store lazily and remembers what it read, so a collector and the commit
//! that follows it (`commit`) never read a record twice.
//!
//! **What fails a feed, and what rejects one document.** One vendor's broken file must not hide
//! the good ones, and a broken source must not read as a feed that shrank. So an error is
//! classified by whose fault it proves ([`FeedError::rejects_document`]):
//! * **The document's own bytes** reject that document only: they do not parse
//!   ([`FeedError::Format`]; a scraped page its selectors cannot read, [`FeedError::Page`]), they
//!   do not match the hash its source lists for them ([`FeedError::HashMismatch`]; a listed hash
//!   file that is missing or holds no digest, [`FeedError::HashFile`]), or their OpenPGP
//!   signature is missing or does not verify ([`FeedError::Signature`]), or a listed document's
//!   server answers 404 or 410 ([`document_gone`]: the listing names a file that is gone). The
//!   document is
//!   *rejected* ([`Collected::reject`]): the good documents land, and the feed's state lists it
//!   with its location and reason ([`Rejected`](crate::store::Rejected)) until it parses or its
//!   source stops listing it. A document known before keeps its record and advisories (it is
//!   still listed, so nothing is withdrawn); a new one contributes nothing. Its record never takes
//!   the rejected bytes' hash or validators, and the listing that named it is read in full at the
//!   next sync even when unchanged, so it is fetched and read again.
//! * **Everything else fails the feed**, keeping its data and checkpoint: what names the
//!   documents (provider metadata, ROLIE feed, `changes.csv` / `index.txt` / `modified_id.csv`,
//!   an RSS/Atom listing, a listing entry outside its directory or refused by the URL policy);
//!   transport errors of anything else, documents included (a timeout, a 5xx, a body over the cap or
//!   cut short says nothing about the document, and the feed is retried as a whole); the feed's
//!   key file; a local file that cannot be read; an NVD page (it is the API's answer to a query,
//!   the feed's listing as much as its documents, and the checkpoint cannot move past it without
//!   losing its CVEs); the withdrawal hold ([`FeedError::WithdrawalsHeld`]); the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};

use super::feed::FeedDef;
use super::formats::{FormatError, PageError};
use super::http::{HttpClient, HttpConfig, HttpError};
use super::warning::SyncWarning;
use crate::model::{AdvisoryId, FeedId};
use crate::store::{
    DocState, FeedState, ListingIndex, LocationState, Store, StoreError, Validators,
};

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
    /// Skip feeds whose schedule has not elapsed, or that failed less than their retry wait ago
    /// ([`FeedDef::is_due`]).
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
    /// Commit a sync that withdraws more than [`WITHDRAW_LIMIT`] of a feed's advisories at once
    /// (otherwise such a sync fails its feed and keeps the previous data).
    pub accept_withdrawals: bool,
}

/// The share of a feed's advisories one sync may withdraw before it is held back: a listing
/// that suddenly shrinks (an empty `changes.csv` served with 200, a mirror's index of 0 entries)
/// is more often a broken source than a publisher withdrawing a fifth of its advisories. A single
/// withdrawal always passes (a small feed dropping one document).
pub const WITHDRAW_LIMIT: f64 = 0.2;

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
            accept_withdrawals: false,
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
    /// The hash file a document's source lists for it is missing or holds no digest.
    #[error("{url}: {reason}")]
    HashFile { url: String, reason: String },
    /// A scraped page (of an `html`, `rss` or `atom` feed) its selectors cannot read.
    #[error("{0}")]
    Page(PageError),
    #[error(transparent)]
    Refused(#[from] super::policy::UrlRefused),
    #[error("this sync would withdraw {withdrawn} of the feed's {of} advisories at once (over {limit} %): held back as a likely broken listing, the previous data is kept; run `sync --accept-withdrawals` if the publisher really withdrew them", limit = (WITHDRAW_LIMIT * 100.0) as u32)]
    WithdrawalsHeld { withdrawn: usize, of: usize },
}

impl FeedError {
    /// Whether the error is the fault of one document's bytes — it does not parse, does not match
    /// its listed hash, or its signature fails — so that document is rejected and the rest of its
    /// feed lands (the rule is the module's documentation). Every other error fails the feed.
    pub fn rejects_document(&self) -> bool {
        matches!(
            self,
            FeedError::Format(_)
                | FeedError::Page(_)
                | FeedError::HashMismatch { .. }
                | FeedError::HashFile { .. }
                | FeedError::Signature { .. }
        ) || matches!(self, FeedError::Http(e) if document_gone(e))
    }
}

/// A listed document its server says is not there (404, 410): the listing names a file that is
/// gone, which says nothing about the rest of the feed. Only a *document's* fetch is read this
/// way; a listing that is not there fails its feed.
pub fn document_gone(e: &HttpError) -> bool {
    matches!(e.kind, super::http::HttpErrorKind::Status(404 | 410))
}

/// A listing (RSS/Atom) that cannot be read fails its feed like any other listing.
impl From<PageError> for FeedError {
    fn from(e: PageError) -> Self {
        FeedError::Listing {
            url: e.url,
            reason: e.reason,
        }
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
    /// The hex SHA-256 of `bytes` when the collector has it already (to compare with the saved
    /// record or a hash file); else [`Doc::sha256`] takes the one `validators` hold or computes it.
    pub sha256: Option<String>,
}

impl Doc {
    /// The hex SHA-256 of the bytes, computed once per document: the collector's, else the one
    /// the fetch's validators hold, else computed now.
    pub fn sha256(&self) -> String {
        match (&self.sha256, &self.validators) {
            (Some(sha), _) => sha.clone(),
            (None, Some(v)) => super::http::body_sha256(v, &self.bytes),
            (None, None) => super::http::sha256_hex(&self.bytes),
        }
    }
}

/// What a collector found.
#[derive(Debug, Default)]
pub struct Collected {
    /// The new or changed documents, each parsed as it arrived ([`Collected::add_document`]).
    pub parsed: super::commit::Parsed,
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
    /// Warnings about the feed as a whole; those about one document travel with its parse
    /// ([`super::commit::ParsedDoc::with_warnings`]).
    pub warnings: Vec<SyncWarning>,
    /// Documents rejected in this sync, in the order they were met ([`Collected::reject`]).
    pub rejected: Vec<RejectedDoc>,
}

/// A document rejected by this sync: listed, but its bytes did not parse or verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedDoc {
    pub location: String,
    /// The error, naming the document.
    pub reason: String,
    /// The listing that named it, if any.
    pub listing: Option<String>,
}

/// Advisories held in memory before they are staged in the store (a batch of
/// [`Store::stage_advisories`]), or the bytes of the documents they came from, whichever is
/// reached first. A batch is appended to a file, so small batches cost little.
const STAGE_BATCH: usize = 2_000;
const STAGE_BYTES: usize = 8 * 1024 * 1024;

impl Collected {
    /// A new or changed document: parsed now, its advisories and record kept, its bytes dropped
    /// (so the documents of a feed are never all in memory at once). A document that does not
    /// parse is rejected ([`Collected::reject`]); the feed goes on.
    pub fn add_document(&mut self, ctx: &CollectCtx<'_>, doc: Doc) -> Result<(), FeedError> {
        let (location, listing) = (doc.location.clone(), doc.listing.clone());
        match super::sync::parse(ctx.feed, doc) {
            Ok(parsed) => self.add_parsed(ctx, parsed),
            Err(e) => self.reject(ctx, location, listing, e),
        }
    }

    /// A document whose bytes are at fault ([`FeedError::rejects_document`]) is rejected: listed
    /// with its reason, and nothing of it kept — neither advisories nor a new record or validators,
    /// so a known document keeps what it had and the next sync reads it again. Any other error is
    /// returned, to fail the feed.
    pub fn reject(
        &mut self,
        ctx: &CollectCtx<'_>,
        location: String,
        listing: Option<String>,
        error: FeedError,
    ) -> Result<(), FeedError> {
        if !error.rejects_document() {
            return Err(error);
        }
        let reason = crate::error::chain(&error);
        tracing::info!(feed = %ctx.feed.id, "rejected {location}: {reason}");
        self.rejected.push(RejectedDoc {
            location,
            reason,
            listing,
        });
        Ok(())
    }

    /// A parsed document. Once [`STAGE_BATCH`] advisories are held, they go to the store's stage
    /// (invisible to readers until the feed's commit), so memory stays bounded by the batch,
    /// not by the feed.
    pub(super) fn add_parsed(
        &mut self,
        ctx: &CollectCtx<'_>,
        parsed: super::commit::ParsedDoc,
    ) -> Result<(), FeedError> {
        self.parsed.add(parsed);
        if self.parsed.advisories.len() >= STAGE_BATCH || self.parsed.held_bytes >= STAGE_BYTES {
            self.parsed.held_bytes = 0;
            let batch: Vec<_> = std::mem::take(&mut self.parsed.advisories)
                .into_values()
                .collect();
            let first = !self.parsed.staged;
            blocking(|| ctx.store.stage_advisories(&ctx.feed.id, &batch, first))?;
            self.parsed.staged = true;
        }
        Ok(())
    }
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

impl<'a> CollectCtx<'a> {
    /// A context over the feed's saved head; the rest of its records are read from `store` when
    /// first asked for.
    pub(super) fn new(
        feed: &'a FeedDef,
        state: &'a FeedState,
        http: &'a HttpClient,
        opts: &'a SyncOptions,
        key: Option<&'a pgp::composed::SignedPublicKey>,
        store: &'a (dyn Store + Sync),
    ) -> Self {
        CollectCtx {
            feed,
            state,
            http,
            opts,
            key,
            store,
            full: OnceLock::new(),
            locations: Mutex::default(),
            indexes: Mutex::default(),
        }
    }

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

    /// Whether the last sync rejected this document (then it is fetched and read again, whatever
    /// its listing says).
    pub fn was_rejected(&self, location: &str) -> bool {
        self.state.rejected.contains_key(location)
    }

    /// Whether a listing named a document the last sync rejected: then it is read in full even
    /// when unchanged, so that document is retried.
    pub fn retries_from(&self, listing: &str) -> bool {
        self.state.rejected_from(listing)
    }

    /// Whether a document with these bytes is already stored unchanged.
    pub fn known_unchanged(&self, location: &str, sha256: &str) -> Result<bool, FeedError> {
        Ok(!self.opts.force && self.document(location)?.is_some_and(|d| d.sha256 == sha256))
    }

    /// Report a step to the progress display, if there is one (the message is made only then:
    /// a step is reported for every document).
    pub fn step(&self, message: impl FnOnce() -> String) {
        if let Some(p) = &self.opts.progress {
            p(ProgressEvent::Step {
                feed: self.feed.id.clone(),
                message: message(),
            });
        }
    }
}

/// Run CPU-bound or blocking work (reading a feed's records, a commit) without stalling the
/// runtime: on a multi-threaded runtime the worker hands its other tasks to another thread
/// first ([`tokio::task::block_in_place`]); on a current-thread runtime it simply runs.
pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Documents up to this size are parsed on the task that fetched them (a few tens of
/// microseconds); larger ones on the parse threads ([`parse_apart`]).
const PARSE_HERE_BYTES: usize = 16 * 1024;

/// Parse a fetched document. A large one is parsed on the parse threads, so the documents a
/// feed has in flight parse side by side on every core while the feed's task goes on with its
/// requests and the store; a small one is parsed here, where handing it over would cost more
/// than the parse.
pub(super) async fn parse_apart(
    feed: &FeedDef,
    doc: Doc,
) -> Result<super::commit::ParsedDoc, FeedError> {
    if doc.bytes.len() <= PARSE_HERE_BYTES {
        return super::sync::parse(feed, doc);
    }
    start_parse(feed, doc).await
}

/// Start parsing `doc` on the parse threads now; the future returned waits for the parse.
/// A panic in the parse is raised again where the future is awaited.
pub(super) fn start_parse(
    feed: &FeedDef,
    doc: Doc,
) -> impl std::future::Future<Output = Result<super::commit::ParsedDoc, FeedError>> {
    let location = doc.location.clone();
    let feed = feed.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    parse_threads::run(Box::new(move || {
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            super::sync::parse(&feed, doc)
        }));
        let _ = tx.send(parsed);
    }));
    async move {
        match rx.await {
            Ok(Ok(parsed)) => parsed,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(e) => Err(FeedError::Listing {
                url: location,
                reason: format!("its parse did not finish: {e}"),
            }),
        }
    }
}

/// The threads large documents are parsed on: one per core, started on first use and kept for
/// the life of the process, taking parses in the order they come.
///
/// Not tokio's blocking pool: that pool starts a thread for every parse that finds none idle
/// (a sync kept a dozen busy) and wakes any of them, and each thread's allocator heap holds the
/// memory of its last parse. A parse then allocated its strings in memory that was no longer in
/// the core's cache. On the same threads every time, the real-sized sync at half scale took 55–56
/// s of CPU instead of 66–67 s and peaked 60 MiB lower (`BENCHMARKS.md`).
mod parse_threads {
    use std::sync::mpsc::{channel, Sender};
    use std::sync::{Arc, Mutex, OnceLock};

    pub(super) type Job = Box<dyn FnOnce() + Send>;

    /// Queue `job` for the next free parse thread.
    pub(super) fn run(job: Job) {
        static JOBS: OnceLock<Sender<Job>> = OnceLock::new();
        let jobs = JOBS.get_or_init(|| {
            let (tx, rx) = channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            for i in 0..threads {
                let rx = Arc::clone(&rx);
                std::thread::Builder::new()
                    .name(format!("firmwatch-parse-{i}"))
                    .spawn(move || loop {
                        // The lock is held while waiting, and released before the job runs.
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    })
                    .expect("the OS starts a parse thread");
            }
            tx
        });
        // The receiver lives in the threads, which never end while the sender (static) exists.
        jobs.send(job).expect("the parse threads are running");
    }
}

/// The commit reads through the same caches the collector filled, so a record the collector
/// read is not read again.
impl super::commit::SavedRecords for CollectCtx<'_> {
    fn full_state(&self) -> Result<&FeedState, FeedError> {
        CollectCtx::full_state(self)
    }

    fn full_loaded(&self) -> bool {
        CollectCtx::full_loaded(self)
    }

    fn listing_index(&self, listing: &str) -> Result<Option<Arc<ListingIndex>>, FeedError> {
        CollectCtx::listing_index(self, listing)
    }

    fn document(&self, location: &str) -> Result<Option<DocState>, FeedError> {
        CollectCtx::document(self, location)
    }

    fn validators_saved(&self, url: &str) -> Result<Option<Validators>, FeedError> {
        CollectCtx::validators_saved(self, url)
    }

    fn advisory_known(&self, id: &AdvisoryId) -> Result<bool, FeedError> {
        Ok(self.store.advisory(&self.feed.id, id)?.is_some())
    }
}
