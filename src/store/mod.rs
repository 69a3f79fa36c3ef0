//! The advisory store: a small synchronous [`Store`] trait and its sled implementation.
//!
//! Design. Everything the rest of firmwatch persists goes through [`Store`], so sled is named in
//! this file only and a different backend (a shared SQL store) can slot in later. The sled layout:
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `schema_version` | `u32` big-endian: the store layout version ([`SCHEMA_VERSION`]) |
//! | `advisories` | `feed/advisory-id` | [`Advisory`] |
//! | `index_vendor` | `vendor_key \0 feed/advisory-id` | empty: the matcher's index by vendor |
//! | `feeds` | `feed` / `feed \0seen` | [`FeedState`] head (checkpoint, advisory count) / its last success and error |
//! | `feed_docs` | `feed \0 d location` / `feed \0 v url` / `feed \0 l listing` | one document's record ([`DocState`] and its URL's validators) / validators of a listing or page / what a listing named ([`ListingIndex`]) |
//! | `findings` | reserved for the notifier (findings already seen, by stable finding key) | |
//! | `outbox` | reserved for the notifier (notifications waiting to be sent) | |
//!
//! Every value starts with one encoding-version byte ([`VALUE_VERSION`]) followed by serde_json,
//! so a later encoding can be told apart. Raw documents are never stored in these hot trees.
//!
//! Per-document state lives in `feed_docs`, one small record per location, not inside the feed's
//! head: a sync that changes 1,000 of a feed's 60,000 documents rewrites 1,000 records, not one
//! value holding all 60,000 (which sled, being log-structured, would append in full on every
//! such sync — the store grew and shrank by whole copies of it, and encoding and comparing it
//! dominated an incremental sync). A document's record (`d`) also holds its URL's validators;
//! validators of URLs that are not documents (listings, pages) have `v` records. [`Store::feed_state`]
//! still returns the whole [`FeedState`] (one prefix scan); [`Store::feed_head`] returns the head and
//! the `v` records only, which is all a sync with unchanged listings reads. [`FeedCommit::changes`]
//! names the locations that changed, so only their records are written. Schema 1 stores
//! (everything in the head) are migrated to this layout in one transaction when opened.
//!
//! Each listing that named documents (ROLIE feed, `changes.csv`, `index.txt` URL) also has an
//! `l` record: every location it named with its listed time ([`ListingIndex`]), kept by the
//! store itself in the same write as the document records ([`Store::commit_feed`],
//! [`Store::save_feed_state`]), so it always agrees with them. When a listing changes, a sync
//! compares the new listing with this index (one small value) and reads the records of only the
//! documents it fetches ([`Store::location_state`]), instead of every record of the feed.
//! Schema 2 stores get their indexes built when opened.
//!
//! Durability: a feed's sync result — advisories, index entries, withdrawals and the feed's new
//! state (checkpoint, validators, document hashes) — is written in **one** multi-tree transaction
//! ([`Store::commit_feed`]) and flushed. A crash leaves either the old state with the old advisories
//! or the new state with the new ones, never half of either. (An earlier layout flushed the
//! advisories and then saved the state separately; a kill between the two left validators that
//! described older content than the store held, so a later sync could skip a document it needed —
//! `tests/sync_kill.rs` caught it.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use crate::model::{vendor_key, Advisory, AdvisoryId, FeedId};

pub mod check;

/// Layout version of the store; a store written by a newer firmwatch is refused, an older one is
/// migrated when opened. 2: per-document feed state in its own tree (`feed_docs`). 3: plus an
/// index per listing (`l` records).
pub const SCHEMA_VERSION: u32 = 3;
/// First byte of every stored value: the value encoding (1 = serde_json).
pub const VALUE_VERSION: u8 = 1;
/// sled page cache size set explicitly (sled's default is 1 GiB).
pub const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;
/// Name of the tree reserved for the notifier's findings.
pub const FINDINGS_TREE: &str = "findings";
/// Name of the tree reserved for the notifier's outbox.
pub const OUTBOX_TREE: &str = "outbox";

const META_TREE: &str = "meta";
const ADVISORIES_TREE: &str = "advisories";
const INDEX_TREE: &str = "index_vendor";
const FEEDS_TREE: &str = "feeds";
const DOCS_TREE: &str = "feed_docs";
const SCHEMA_KEY: &[u8] = b"schema_version";

/// A store failure, naming the store path or the key involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("store at {path} is in use by another firmwatch process (sync, exposure or notify); try again when it has finished")]
    Locked { path: PathBuf },
    #[error("store at {path} has schema version {found}, this firmwatch understands up to {supported}; upgrade firmwatch or use another --store")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("store at {path} has a malformed schema version record")]
    BadSchemaRecord { path: PathBuf },
    #[error("store I/O on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: sled::Error,
    },
    #[error("stored value for {key} is not readable: {reason}")]
    Decode { key: String, reason: String },
    #[error("cannot encode value for {key}: {source}")]
    Encode {
        key: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Counts of one [`Store::put_advisories`] call, decided by content (encoded bytes) comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSummary {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl PutSummary {
    /// Add another summary's counts to this one.
    pub fn add(&mut self, other: PutSummary) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// Validators kept per URL for conditional GET and change detection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// SHA-256 of the last body, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What the store remembers about one document of a feed (a file or a URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocState {
    /// SHA-256 of the document bytes, hex.
    pub sha256: String,
    /// The listing's timestamp for this document (ROLIE `updated`, `changes.csv` date), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// The advisories this document produced.
    #[serde(default)]
    pub advisories: Vec<AdvisoryId>,
    /// The listing (ROLIE feed, `changes.csv`, `index.txt` URL) that named it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
}

/// Per-feed sync state: checkpoint, validators, last error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// When the feed last synced completely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Newest listing timestamp seen (ROLIE `updated`, `changes.csv`, OSV `modified`, NVD last-modified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<DateTime<Utc>>,
    /// Conditional-GET validators by URL (listings and documents).
    #[serde(default)]
    pub validators: std::collections::BTreeMap<String, Validators>,
    /// Documents by location (URL or path relative to the feed root).
    #[serde(default)]
    pub documents: std::collections::BTreeMap<String, DocState>,
    /// Last failure message and when it happened (kept across successes for history; cleared on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<DateTime<Utc>>,
    /// Number of advisories the feed held after its last successful sync.
    #[serde(default)]
    pub advisory_count: usize,
    /// How many documents each listing (URL) named after the last successful sync, and how many
    /// advisory records they gave; documents without a listing are counted under `""`. Kept in
    /// the head, so a sync whose listings are all unchanged can finish without reading the
    /// per-document records ([`Store::feed_head`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub listed_by: std::collections::BTreeMap<String, ListingCount>,
}

/// Documents of one listing and the advisory records they gave ([`FeedState::listed_by`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingCount {
    pub documents: usize,
    pub advisories: usize,
}

impl FeedState {
    /// Each listing's index ([`ListingIndex`]) computed from `documents` — what the store's `l`
    /// records must hold.
    pub fn listing_indexes(&self) -> std::collections::BTreeMap<&str, ListingIndex> {
        let mut out: std::collections::BTreeMap<&str, ListingIndex> = Default::default();
        for (location, d) in &self.documents {
            if let Some(l) = &d.listing {
                out.entry(l)
                    .or_default()
                    .insert(location.clone(), d.updated);
            }
        }
        out
    }

    /// [`FeedState::listed_by`] computed from `documents`.
    pub fn count_listings(&self) -> std::collections::BTreeMap<String, ListingCount> {
        let mut out: std::collections::BTreeMap<String, ListingCount> = Default::default();
        for d in self.documents.values() {
            let c = out
                .entry(d.listing.clone().unwrap_or_default())
                .or_default();
            c.documents += 1;
            c.advisories += d.advisories.len();
        }
        out
    }
}

/// What one listing named after the last successful sync: location → the listing's time for it
/// (the documents whose [`DocState::listing`] is that listing, with their [`DocState::updated`]).
pub type ListingIndex = std::collections::BTreeMap<String, Option<DateTime<Utc>>>;

/// What the store holds for one location of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationState {
    pub document: Option<DocState>,
    /// The URL's validators (a document's, or a listing's or page's).
    pub validators: Option<Validators>,
}

/// Everything one successful sync of a feed writes ([`Store::commit_feed`]).
#[derive(Debug, Clone, Copy)]
pub struct FeedCommit<'a> {
    pub feed: &'a FeedId,
    pub advisories: &'a [Advisory],
    /// Advisories of this feed to mark withdrawn at `when` (unknown ids are skipped).
    pub withdrawn: &'a [AdvisoryId],
    pub when: DateTime<Utc>,
    /// The feed's new head: checkpoint, advisory count, last success / error. Its `documents`
    /// and `validators` are not read; what changes in them is in `changes`.
    pub state: &'a FeedState,
    /// The per-location changes to the stored documents and validators. Locations not named
    /// keep their records untouched, so a sync that changed k documents writes k records.
    pub changes: &'a StateChanges,
}

/// Per-location changes of a feed's [`FeedState::documents`] and [`FeedState::validators`],
/// relative to what the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// The new record of each changed document (`None`: the document is gone).
    pub documents: std::collections::BTreeMap<String, Option<DocState>>,
    /// The new validators of each changed URL (`None`: forget them).
    pub validators: std::collections::BTreeMap<String, Option<Validators>>,
}

impl StateChanges {
    /// The changes that turn `from` into `to` (one merge walk over each map).
    pub fn between(from: &FeedState, to: &FeedState) -> StateChanges {
        let mut keys = BTreeSet::new();
        differing_keys(&from.documents, &to.documents, &mut keys);
        let documents = keys
            .into_iter()
            .map(|k| (k.to_string(), to.documents.get(k).cloned()))
            .collect();
        let mut keys = BTreeSet::new();
        differing_keys(&from.validators, &to.validators, &mut keys);
        let validators = keys
            .into_iter()
            .map(|k| (k.to_string(), to.validators.get(k).cloned()))
            .collect();
        StateChanges {
            documents,
            validators,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty() && self.validators.is_empty()
    }
}

/// The frequently rewritten part of a [`FeedState`], stored apart from the bulky part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FeedSeen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_success: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error_at: Option<DateTime<Utc>>,
}

/// One location's record in `feed_docs`: what [`FeedState::documents`] and
/// [`FeedState::validators`] hold for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct DocEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doc: Option<DocState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    validators: Option<Validators>,
}

/// The persistence interface used by sync, the matcher and the notifier.
pub trait Store {
    /// Write a feed's advisories and their index entries atomically (one transaction per call).
    fn put_advisories(
        &self,
        feed: &FeedId,
        advisories: &[Advisory],
    ) -> Result<PutSummary, StoreError>;
    /// Mark advisories of a feed withdrawn (kept, but matching ignores them). Unknown ids are skipped.
    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn advisory(&self, feed: &FeedId, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError>;
    /// Every stored advisory (all feeds) — used for small estates and tests.
    fn all_advisories(&self) -> Result<Vec<Advisory>, StoreError>;
    /// Advisories with at least one statement whose `model::vendor_key(vendor)` equals `vendor_key`.
    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError>;
    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError>;
    /// A feed's state without its per-document records: `documents` is empty and `validators`
    /// holds only those of URLs that are not documents (listings, pages). Cheap whatever the size
    /// of the feed; a sync reads the rest ([`Store::feed_state`]) only when it needs it.
    /// One location's record, without reading the others.
    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError>;
    /// What `listing` named ([`ListingIndex`]; empty when it named nothing).
    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError>;
    fn feed_head(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        Ok(self.feed_state(feed)?.map(|mut s| {
            for k in s.documents.keys() {
                s.validators.remove(k);
            }
            s.documents.clear();
            s
        }))
    }
    /// A feed's whole sync result in **one** transaction, then flushed: its advisories and index
    /// entries, the withdrawals, and its new state. A crash leaves either the old state with the old
    /// advisories or the new state with the new ones, so the saved validators and timestamps never
    /// describe content the store does not hold.
    fn commit_feed(&self, commit: &FeedCommit<'_>) -> Result<PutSummary, StoreError>;
    /// Save a feed's whole state alone; flushes itself. [`FeedState::listed_by`] is recomputed
    /// from `documents` (it must agree with them: a sync trusts it to skip reading documents).
    fn save_feed_state(&self, feed: &FeedId, state: &FeedState) -> Result<(), StoreError>;
    /// Record that a sync of the feed failed (its data, checkpoint and last success stay as they
    /// are); flushes itself.
    fn record_failure(
        &self,
        feed: &FeedId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut state = self.feed_state(feed)?.unwrap_or_default();
        state.last_error = Some(error.to_string());
        state.last_error_at = Some(at);
        self.save_feed_state(feed, &state)
    }
    fn flush(&self) -> Result<(), StoreError>;
}

/// The sled-backed [`Store`]. A clone is another handle on the same open database (sled's
/// handles are shared), which is how concurrent feed syncs each hold one.
#[derive(Clone)]
pub struct SledStore {
    path: PathBuf,
    db: sled::Db,
    advisories: sled::Tree,
    index: sled::Tree,
    feeds: sled::Tree,
    docs: sled::Tree,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .finish()
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(sled::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

fn advisory_key(feed: &FeedId, id: &AdvisoryId) -> String {
    format!("{feed}/{id}")
}

fn index_key(vendor: &str, adv_key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(vendor.len() + 1 + adv_key.len());
    k.extend_from_slice(vendor.as_bytes());
    k.push(0);
    k.extend_from_slice(adv_key.as_bytes());
    k
}

/// The vendor keys an advisory is indexed under: its own vendor and every statement's vendor.
fn vendor_keys(a: &Advisory) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = a.affected.iter().map(|p| vendor_key(&p.vendor)).collect();
    if keys.is_empty() {
        keys.insert(vendor_key(&a.vendor));
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// Encode a value: version byte + serde_json.
pub fn encode<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![VALUE_VERSION];
    serde_json::to_writer(&mut out, value).map_err(|source| StoreError::Encode {
        key: key.to_string(),
        source,
    })?;
    Ok(out)
}

/// Decode a value written by [`encode`].
pub fn decode<T: for<'de> Deserialize<'de>>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&VALUE_VERSION, rest)) => {
            serde_json::from_slice(rest).map_err(|e| StoreError::Decode {
                key: key.to_string(),
                reason: e.to_string(),
            })
        }
        Some((v, _)) => Err(StoreError::Decode {
            key: key.to_string(),
            reason: format!("unknown value encoding version {v}"),
        }),
        None => Err(StoreError::Decode {
            key: key.to_string(),
            reason: "empty value".into(),
        }),
    }
}

/// Advisories encoded for a write: store key, value bytes, vendor keys.
type Encoded = Vec<(String, Vec<u8>, BTreeSet<String>)>;

/// Encode outside the transaction (its closure may be retried and must stay cheap).
fn encode_advisories(feed: &FeedId, advisories: &[Advisory]) -> Result<Encoded, StoreError> {
    advisories
        .iter()
        .map(|a| {
            let key = advisory_key(feed, &a.id);
            let value = encode(&key, a)?;
            Ok((key, value, vendor_keys(a)))
        })
        .collect()
}

type TxError = ConflictableTransactionError<StoreError>;

/// Write advisories and their index entries inside a transaction, counting by content.
fn write_advisories(
    adv: &TransactionalTree,
    idx: &TransactionalTree,
    items: &Encoded,
) -> Result<PutSummary, TxError> {
    let mut summary = PutSummary::default();
    for (key, value, vendors) in items {
        let old = adv.get(key.as_bytes())?;
        match &old {
            Some(o) if o.as_ref() == value.as_slice() => {
                summary.unchanged += 1;
                continue;
            }
            Some(o) => {
                summary.updated += 1;
                // Drop index entries for vendors the new version no longer names.
                if let Ok(prev) = SledStore::decode_advisory(key.as_bytes(), o) {
                    for v in vendor_keys(&prev).difference(vendors) {
                        idx.remove(index_key(v, key))?;
                    }
                }
            }
            None => summary.new += 1,
        }
        adv.insert(key.as_bytes(), value.as_slice())?;
        for v in vendors {
            idx.insert(index_key(v, key), &[] as &[u8])?;
        }
    }
    Ok(summary)
}

fn write_docs(docs: &TransactionalTree, writes: &DocWrites) -> Result<(), TxError> {
    for (k, v) in writes {
        match v {
            Some(v) => docs.insert(k.as_slice(), v.as_slice())?,
            None => docs.remove(k.as_slice())?,
        };
    }
    Ok(())
}

fn tx_result<T>(
    result: Result<T, TransactionError<StoreError>>,
    feed: &FeedId,
) -> Result<T, StoreError> {
    match result {
        Ok(s) => Ok(s),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(source)) => Err(StoreError::Io {
            what: format!("advisories of feed {feed}"),
            source,
        }),
    }
}

fn seen_key(feed: &FeedId) -> String {
    format!("{}\0seen", feed.as_str())
}

/// A feed state's head (checkpoint, advisory count; its documents and validators go to
/// `feed_docs`) and its small `seen` record (last success / error), both encoded.
fn encode_feed_state(feed: &FeedId, state: &FeedState) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    let bulk = FeedState {
        last_success: None,
        checkpoint: state.checkpoint,
        validators: Default::default(),
        documents: Default::default(),
        last_error: None,
        last_error_at: None,
        advisory_count: state.advisory_count,
        listed_by: state.listed_by.clone(),
    };
    let seen = FeedSeen {
        last_success: state.last_success,
        last_error: state.last_error.clone(),
        last_error_at: state.last_error_at,
    };
    Ok((
        encode(feed.as_str(), &bulk)?,
        encode(&seen_key(feed), &seen)?,
    ))
}

/// `feed \0` — the prefix of a feed's records in `feed_docs`.
fn docs_prefix(feed: &FeedId) -> Vec<u8> {
    let mut k = feed.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

/// `feed \0 d location`: a document's record (with its URL's validators).
fn doc_key(feed: &FeedId, location: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(DOC_TAG);
    k.extend_from_slice(location.as_bytes());
    k
}

/// `feed \0 v url`: validators of a URL that is not a document (a listing, a page).
fn val_key(feed: &FeedId, url: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(VAL_TAG);
    k.extend_from_slice(url.as_bytes());
    k
}

/// `feed \0 l listing`: what a listing named ([`ListingIndex`]).
fn listing_key(feed: &FeedId, listing: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(LIST_TAG);
    k.extend_from_slice(listing.as_bytes());
    k
}

const DOC_TAG: u8 = b'd';
const VAL_TAG: u8 = b'v';
const LIST_TAG: u8 = b'l';

/// Add to `out` every key whose value differs between two maps (present in one only, or unequal),
/// in one merge walk over both (they are sorted the same way).
fn differing_keys<'a, V: PartialEq>(
    a: &'a std::collections::BTreeMap<String, V>,
    b: &'a std::collections::BTreeMap<String, V>,
    out: &mut BTreeSet<&'a str>,
) {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return,
            (Some((k, _)), None) => {
                out.insert(k.as_str());
                a.next();
            }
            (None, Some((k, _))) => {
                out.insert(k.as_str());
                b.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    out.insert(ka.as_str());
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    out.insert(kb.as_str());
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    if va != vb {
                        out.insert(ka.as_str());
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
}

/// One edit of a listing's index: a location set to its listed time (`Some`), or dropped.
type IndexEdit<'a> = (&'a str, Option<Option<DateTime<Utc>>>);

/// Writes to `feed_docs` (key, `Some(value)` to insert / `None` to remove).
type DocWrites = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The `feed_docs` writes that apply `changes`. A location's final document and validators
/// decide where they live: with a document, one `d` record holds both; validators alone go to a
/// `v` record (so [`Store::feed_head`] finds listing validators without reading documents). The
/// stored records are read and the changes merged in here, outside any transaction (the caller
/// holds the store alone); unchanged records are not rewritten.
fn store_changes(
    docs: &sled::Tree,
    feed: &FeedId,
    changes: &StateChanges,
) -> Result<DocWrites, StoreError> {
    let mut locs: BTreeSet<&str> = changes.documents.keys().map(String::as_str).collect();
    locs.extend(changes.validators.keys().map(String::as_str));
    let mut out = Vec::new();
    let mut listed: std::collections::BTreeMap<String, Vec<IndexEdit<'_>>> = Default::default();
    for loc in locs {
        let what = || format!("{feed}/{loc}");
        let (dk, vk) = (doc_key(feed, loc), val_key(feed, loc));
        let old_d = docs.get(&dk).map_err(io(what()))?;
        let old_v = docs.get(&vk).map_err(io(what()))?;
        let mut entry: DocEntry = match &old_d {
            Some(v) => decode(&what(), v)?,
            None => DocEntry::default(),
        };
        if entry.validators.is_none() {
            if let Some(v) = &old_v {
                entry.validators = Some(decode(&what(), v)?);
            }
        }
        if let Some(d) = changes.documents.get(loc) {
            let old = entry
                .doc
                .as_ref()
                .and_then(|o| Some((o.listing.as_deref()?, o.updated)));
            let new = d
                .as_ref()
                .and_then(|n| Some((n.listing.as_deref()?, n.updated)));
            if old != new {
                if let Some((l, _)) = old.filter(|(l, _)| new.map(|n| n.0) != Some(*l)) {
                    listed.entry(l.to_string()).or_default().push((loc, None));
                }
                if let Some((l, t)) = new {
                    listed
                        .entry(l.to_string())
                        .or_default()
                        .push((loc, Some(t)));
                }
            }
            entry.doc.clone_from(d);
        }
        if let Some(v) = changes.validators.get(loc) {
            entry.validators.clone_from(v);
        }
        let (new_d, new_v) = match (&entry.doc, &entry.validators) {
            (Some(_), _) => (Some(encode(&what(), &entry)?), None),
            (None, Some(v)) => (None, Some(encode(&what(), v)?)),
            (None, None) => (None, None),
        };
        for (key, old, new) in [(dk, old_d, new_d), (vk, old_v, new_v)] {
            if old.as_deref() != new.as_deref() {
                out.push((key, new));
            }
        }
    }
    for (listing, edits) in listed {
        let key = listing_key(feed, &listing);
        let what = || format!("{feed}/{listing} (listing index)");
        let mut index: ListingIndex = match docs.get(&key).map_err(io(what()))? {
            Some(v) => decode_index(&what(), &v)?,
            None => ListingIndex::new(),
        };
        for (loc, time) in edits {
            match time {
                Some(t) => index.insert(loc.to_string(), t),
                None => index.remove(loc),
            };
        }
        out.push((
            key,
            (!index.is_empty())
                .then(|| encode_index(&what(), &index))
                .transpose()?,
        ));
    }
    Ok(out)
}

/// A listing index as stored: `[[location, [seconds, nanoseconds] | null], …]` in location
/// order — exact, and several times cheaper to read and write than RFC 3339 strings (a large
/// provider's index holds tens of thousands of entries and is read and rewritten whenever its
/// listing changes).
fn encode_index(key: &str, index: &ListingIndex) -> Result<Vec<u8>, StoreError> {
    let entries: Vec<(&str, Option<(i64, u32)>)> = index
        .iter()
        .map(|(loc, t)| {
            (
                loc.as_str(),
                t.map(|t| (t.timestamp(), t.timestamp_subsec_nanos())),
            )
        })
        .collect();
    encode(key, &entries)
}

fn decode_index(key: &str, bytes: &[u8]) -> Result<ListingIndex, StoreError> {
    let entries: Vec<(String, Option<(i64, u32)>)> = decode(key, bytes)?;
    entries
        .into_iter()
        .map(|(loc, t)| match t {
            None => Ok((loc, None)),
            Some((secs, nanos)) => match DateTime::from_timestamp(secs, nanos) {
                Some(t) => Ok((loc, Some(t))),
                None => Err(StoreError::Decode {
                    key: key.to_string(),
                    reason: format!("time of {loc} out of range"),
                }),
            },
        })
        .collect()
}

/// Schema 2 → 3: build every listing's index from the document records, and set the schema
/// version, in one transaction, then flush.
fn migrate_v2(db: &sled::Db, meta: &sled::Tree) -> Result<(), StoreError> {
    let docs = db.open_tree(DOCS_TREE).map_err(io(DOCS_TREE))?;
    let mut indexes: std::collections::BTreeMap<Vec<u8>, ListingIndex> = Default::default();
    for kv in docs.iter() {
        let (k, v) = kv.map_err(io(DOCS_TREE))?;
        let Some(split) = k.iter().position(|b| *b == 0) else {
            continue;
        };
        if k.get(split + 1) != Some(&DOC_TAG) {
            continue;
        }
        // A record that does not decode is left to `store check` and the feed's next sync.
        let Ok(DocEntry { doc: Some(d), .. }) = decode::<DocEntry>("", &v) else {
            continue;
        };
        let Some(listing) = &d.listing else {
            continue;
        };
        let mut key = k[..=split].to_vec();
        key.push(LIST_TAG);
        key.extend_from_slice(listing.as_bytes());
        let loc = String::from_utf8_lossy(&k[split + 2..]).into_owned();
        indexes.entry(key).or_default().insert(loc, d.updated);
    }
    let mut writes: DocWrites = Vec::new();
    for (k, index) in &indexes {
        writes.push((k.clone(), Some(encode_index("listing index", index)?)));
    }
    let result = (meta, &docs).transaction(|(m, d)| {
        write_docs(d, &writes)?;
        m.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
        Ok::<_, ConflictableTransactionError<StoreError>>(())
    });
    end_migration(db, result, "migration to schema 3")
}

/// A migration's transaction result, then the flush that makes it durable.
fn end_migration(
    db: &sled::Db,
    result: Result<(), TransactionError<StoreError>>,
    what: &str,
) -> Result<(), StoreError> {
    match result {
        Ok(()) => {}
        Err(TransactionError::Abort(e)) => return Err(e),
        Err(TransactionError::Storage(source)) => {
            return Err(StoreError::Io {
                what: what.into(),
                source,
            })
        }
    }
    db.flush().map_err(io("flush after migration"))?;
    Ok(())
}

/// Schema 1 → 2: move every feed's documents and validators out of its head into `feed_docs`,
/// and set the schema version, in one transaction, then flush. A head that does not decode is left
/// as it is (`store check` and the next sync of that feed report it).
fn migrate_v1(db: &sled::Db, meta: &sled::Tree) -> Result<(), StoreError> {
    let feeds = db.open_tree(FEEDS_TREE).map_err(io(FEEDS_TREE))?;
    let docs = db.open_tree(DOCS_TREE).map_err(io(DOCS_TREE))?;
    let mut heads = Vec::new();
    let mut entries: DocWrites = Vec::new();
    for kv in feeds.iter() {
        let (k, v) = kv.map_err(io(FEEDS_TREE))?;
        if k.contains(&0) {
            continue; // a `seen` record
        }
        let name = String::from_utf8_lossy(&k).into_owned();
        let (Ok(feed), Ok(state)) = (name.parse::<FeedId>(), decode::<FeedState>(&name, &v)) else {
            continue;
        };
        let mut state = state;
        state.listed_by = state.count_listings();
        let (head, _) = encode_feed_state(&feed, &state)?;
        entries.extend(store_changes(
            &docs,
            &feed,
            &StateChanges::between(&FeedState::default(), &state),
        )?);
        heads.push((k, head));
    }
    let result = (meta, &feeds, &docs).transaction(|(m, f, d)| {
        for (k, head) in &heads {
            f.insert(k, head.as_slice())?;
        }
        for (k, v) in &entries {
            if let Some(v) = v {
                d.insert(k.as_slice(), v.as_slice())?;
            }
        }
        m.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
        Ok::<_, ConflictableTransactionError<StoreError>>(())
    });
    end_migration(db, result, "migration from schema 1")
}

impl SledStore {
    /// Open (or create) the store at `path`, checking its schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<SledStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        // sled (pinned =0.34.7) holds an exclusive file lock on the database while it is open and
        // reports a second open as this I/O error. Its `Drop` does not wait for the background
        // flusher that holds the lock (spacejam/sled#1289), so a store closed and reopened by
        // the same process can find it held for a few milliseconds: the open is retried (for
        // 1.3 s in all) before the store is reported as locked by someone else.
        let locked = |e: &sled::Error| {
            matches!(e, sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("could not acquire lock"))
        };
        let config = sled::Config::new()
            .path(&path)
            .cache_capacity(CACHE_CAPACITY);
        let mut wait = std::time::Duration::from_millis(5);
        let db = loop {
            match config.open() {
                Ok(db) => break db,
                Err(e) if locked(&e) && wait < std::time::Duration::from_millis(700) => {
                    std::thread::sleep(wait);
                    wait *= 2;
                }
                Err(e) if locked(&e) => return Err(StoreError::Locked { path: path.clone() }),
                Err(e) => return Err(open_err(e)),
            }
        };
        let meta = db.open_tree(META_TREE).map_err(open_err)?;
        match meta.get(SCHEMA_KEY).map_err(open_err)? {
            Some(v) => {
                let bytes: [u8; 4] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::BadSchemaRecord { path: path.clone() })?;
                let found = u32::from_be_bytes(bytes);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        path,
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found < SCHEMA_VERSION {
                    // Schema 1's migration writes through `store_changes`, which builds the
                    // listing indexes too.
                    let migrate = if found < 2 { migrate_v1 } else { migrate_v2 };
                    migrate(&db, &meta).map_err(|e| match e {
                        StoreError::Io { source, .. } => open_err(source),
                        other => other,
                    })?;
                }
            }
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(open_err)?;
                db.flush().map_err(open_err)?;
            }
        }
        let advisories = db.open_tree(ADVISORIES_TREE).map_err(open_err)?;
        let index = db.open_tree(INDEX_TREE).map_err(open_err)?;
        let feeds = db.open_tree(FEEDS_TREE).map_err(open_err)?;
        let docs = db.open_tree(DOCS_TREE).map_err(open_err)?;
        // Reserved for the notifier; opened so they exist and are listed in the store.
        db.open_tree(FINDINGS_TREE).map_err(open_err)?;
        db.open_tree(OUTBOX_TREE).map_err(open_err)?;
        Ok(SledStore {
            path,
            db,
            advisories,
            index,
            feeds,
            docs,
        })
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A named tree of the underlying database, for modules that own one of the reserved trees
    /// ([`FINDINGS_TREE`], [`OUTBOX_TREE`]). Only for code that knows it is on sled.
    pub fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        self.db.open_tree(name).map_err(io(format!("tree {name}")))
    }

    /// Overwrite the stored schema version (tests of the refusal path).
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, v: u32) -> Result<(), StoreError> {
        let meta = self.tree(META_TREE)?;
        meta.insert(SCHEMA_KEY, &v.to_be_bytes())
            .map_err(io("meta"))?;
        self.flush()
    }

    /// Bytes the store occupies on disk (sled's own count).
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(io("size on disk"))
    }

    /// Number of keys in the vendor index (tests and diagnostics).
    pub fn index_len(&self) -> usize {
        self.index.len()
    }

    /// The feed's head record as stored, without its `d`, `v` or `seen` records.
    fn head_record(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let key = feed.as_str();
        match self.feeds.get(key.as_bytes()).map_err(io(key))? {
            Some(v) => decode(key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// A feed's `d` records (documents, with their validators) when `documents`, and its `v`
    /// records (validators of URLs that are not documents), each sorted by location.
    #[allow(clippy::type_complexity)]
    fn scan_docs(
        &self,
        feed: &FeedId,
        documents: bool,
    ) -> Result<(Vec<(String, DocState)>, Vec<(String, Validators)>), StoreError> {
        let mut docs = Vec::new();
        let mut validators = Vec::new();
        if documents {
            let mut prefix = docs_prefix(feed);
            prefix.push(DOC_TAG);
            for kv in self.docs.scan_prefix(&prefix) {
                let (k, v) = kv.map_err(io(format!("documents of feed {feed}")))?;
                let loc = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
                let entry: DocEntry = decode(&format!("{feed}/{loc}"), &v)?;
                if let Some(v) = entry.validators {
                    validators.push((loc.clone(), v));
                }
                if let Some(d) = entry.doc {
                    docs.push((loc, d));
                }
            }
        }
        let mut prefix = docs_prefix(feed);
        prefix.push(VAL_TAG);
        let mut listing_validators = Vec::new();
        for kv in self.docs.scan_prefix(&prefix) {
            let (k, v) = kv.map_err(io(format!("validators of feed {feed}")))?;
            let url = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            listing_validators.push((url.clone(), decode(&format!("{feed}/{url}"), &v)?));
        }
        if validators.is_empty() {
            validators = listing_validators;
        } else {
            validators.extend(listing_validators);
            validators.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok((docs, validators))
    }

    /// Fill in the `seen` record (last success / error).
    fn read_seen(&self, feed: &FeedId, state: &mut FeedState) -> Result<(), StoreError> {
        let seen_key = seen_key(feed);
        if let Some(v) = self.feeds.get(seen_key.as_bytes()).map_err(io(&seen_key))? {
            let seen: FeedSeen = decode(&seen_key, &v)?;
            state.last_success = seen.last_success;
            state.last_error = seen.last_error;
            state.last_error_at = seen.last_error_at;
        }
        Ok(())
    }

    fn decode_advisory(key: &[u8], v: &[u8]) -> Result<Advisory, StoreError> {
        decode(&String::from_utf8_lossy(key), v)
    }
}

impl Store for SledStore {
    fn put_advisories(
        &self,
        feed: &FeedId,
        advisories: &[Advisory],
    ) -> Result<PutSummary, StoreError> {
        let items = encode_advisories(feed, advisories)?;
        let result = (&self.advisories, &self.index)
            .transaction(|(adv, idx)| write_advisories(adv, idx, &items));
        tx_result(result, feed)
    }

    fn commit_feed(&self, commit: &FeedCommit<'_>) -> Result<PutSummary, StoreError> {
        let feed = commit.feed;
        let items = encode_advisories(feed, commit.advisories)?;
        let doc_writes = store_changes(&self.docs, feed, commit.changes)?;
        let withdrawn: Vec<String> = commit
            .withdrawn
            .iter()
            .map(|id| advisory_key(feed, id))
            .collect();
        let (bulk, seen) = encode_feed_state(feed, commit.state)?;
        let key = feed.as_str();
        let seen_key = seen_key(feed);
        let result = (&self.advisories, &self.index, &self.feeds, &self.docs).transaction(
            |(adv, idx, feeds, docs)| {
                let summary = write_advisories(adv, idx, &items)?;
                for k in &withdrawn {
                    let Some(v) = adv.get(k.as_bytes())? else {
                        continue;
                    };
                    let mut a: Advisory =
                        decode(k, &v).map_err(ConflictableTransactionError::Abort)?;
                    if a.withdrawn.is_some() {
                        continue;
                    }
                    a.withdrawn = Some(commit.when);
                    let value = encode(k, &a).map_err(ConflictableTransactionError::Abort)?;
                    adv.insert(k.as_bytes(), value)?;
                }
                if feeds.get(key.as_bytes())?.as_deref() != Some(bulk.as_slice()) {
                    feeds.insert(key.as_bytes(), bulk.as_slice())?;
                }
                feeds.insert(seen_key.as_bytes(), seen.as_slice())?;
                write_docs(docs, &doc_writes)?;
                Ok(summary)
            },
        );
        let summary = tx_result(result, feed)?;
        self.flush()?;
        Ok(summary)
    }

    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for id in ids {
            let key = advisory_key(feed, id);
            let Some(v) = self.advisories.get(key.as_bytes()).map_err(io(&key))? else {
                continue;
            };
            let mut a: Advisory = decode(&key, &v)?;
            if a.withdrawn.is_some() {
                continue;
            }
            a.withdrawn = Some(when);
            batch.insert(key.as_bytes(), encode(&key, &a)?);
        }
        self.advisories
            .apply_batch(batch)
            .map_err(io(format!("withdrawals of feed {feed}")))
    }

    fn advisory(&self, feed: &FeedId, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        let key = advisory_key(feed, id);
        match self.advisories.get(key.as_bytes()).map_err(io(&key))? {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    fn all_advisories(&self) -> Result<Vec<Advisory>, StoreError> {
        let mut out = Vec::new();
        for kv in self.advisories.iter() {
            let (k, v) = kv.map_err(io("advisories"))?;
            out.push(Self::decode_advisory(&k, &v)?);
        }
        Ok(out)
    }

    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError> {
        let mut prefix = vendor_key.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let (k, _) = kv.map_err(io(format!("index of {vendor_key}")))?;
            let adv_key = &k[prefix.len()..];
            if let Some(v) = self.advisories.get(adv_key).map_err(io("advisories"))? {
                out.push(Self::decode_advisory(adv_key, &v)?);
            }
        }
        Ok(out)
    }

    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let Some(mut state) = self.head_record(feed)? else {
            return Ok(None);
        };
        let (documents, validators) = self.scan_docs(feed, true)?;
        // Sorted by key already (sled order is byte order, as is `String`'s), so these build
        // the maps in bulk. A head still holding documents cannot exist after the migration;
        // were one there, the records would win.
        if state.documents.is_empty() {
            state.documents = documents.into_iter().collect();
        } else {
            state.documents.extend(documents);
        }
        if state.validators.is_empty() {
            state.validators = validators.into_iter().collect();
        } else {
            state.validators.extend(validators);
        }
        self.read_seen(feed, &mut state)?;
        Ok(Some(state))
    }

    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError> {
        let what = || format!("{feed}/{location}");
        let mut out = LocationState::default();
        if let Some(v) = self.docs.get(doc_key(feed, location)).map_err(io(what()))? {
            let entry: DocEntry = decode(&what(), &v)?;
            out = LocationState {
                document: entry.doc,
                validators: entry.validators,
            };
        }
        if out.validators.is_none() {
            if let Some(v) = self.docs.get(val_key(feed, location)).map_err(io(what()))? {
                out.validators = Some(decode(&what(), &v)?);
            }
        }
        Ok(out)
    }

    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError> {
        let what = format!("{feed}/{listing} (listing index)");
        match self
            .docs
            .get(listing_key(feed, listing))
            .map_err(io(&what))?
        {
            Some(v) => decode_index(&what, &v),
            None => Ok(ListingIndex::new()),
        }
    }

    fn feed_head(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let Some(mut state) = self.head_record(feed)? else {
            return Ok(None);
        };
        let (_, validators) = self.scan_docs(feed, false)?;
        state.validators.extend(validators);
        self.read_seen(feed, &mut state)?;
        Ok(Some(state))
    }

    /// The head is rewritten only when it changed, and only the per-document records that
    /// differ from the stored ones (read first); the small `seen` record (last success / error)
    /// on every call.
    fn save_feed_state(&self, feed: &FeedId, state: &FeedState) -> Result<(), StoreError> {
        let key = feed.as_str();
        let head = FeedState {
            last_success: state.last_success,
            checkpoint: state.checkpoint,
            validators: Default::default(),
            documents: Default::default(),
            last_error: state.last_error.clone(),
            last_error_at: state.last_error_at,
            advisory_count: state.advisory_count,
            listed_by: state.count_listings(),
        };
        let (bulk, seen) = encode_feed_state(feed, &head)?;
        let stored = self.feed_state(feed)?.unwrap_or_default();
        let doc_writes = store_changes(&self.docs, feed, &StateChanges::between(&stored, state))?;
        let seen_key = seen_key(feed);
        let result = (&self.feeds, &self.docs).transaction(|(feeds, docs)| {
            if feeds.get(key.as_bytes())?.as_deref() != Some(bulk.as_slice()) {
                feeds.insert(key.as_bytes(), bulk.as_slice())?;
            }
            feeds.insert(seen_key.as_bytes(), seen.as_slice())?;
            write_docs(docs, &doc_writes)?;
            Ok(())
        });
        tx_result(result, feed)?;
        self.flush()
    }

    /// Only the small `seen` record is written (and an empty head for a feed that never
    /// succeeded, so the failure is still found through [`Store::feed_state`]).
    fn record_failure(
        &self,
        feed: &FeedId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = feed.as_str();
        let seen_key = seen_key(feed);
        let mut seen: FeedSeen = match self.feeds.get(seen_key.as_bytes()).map_err(io(&seen_key))? {
            Some(v) => decode(&seen_key, &v)?,
            None => FeedSeen::default(),
        };
        seen.last_error = Some(error.to_string());
        seen.last_error_at = Some(at);
        let mut batch = sled::Batch::default();
        if !self.feeds.contains_key(key.as_bytes()).map_err(io(key))? {
            let (head, _) = encode_feed_state(feed, &FeedState::default())?;
            batch.insert(key.as_bytes(), head);
        }
        batch.insert(seen_key.as_bytes(), encode(&seen_key, &seen)?);
        self.feeds
            .apply_batch(batch)
            .map_err(io(format!("state of feed {feed}")))?;
        self.flush()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(io(format!("flush of {}", self.path.display())))
    }
}

#[cfg(test)]
mod tests;
