//! The advisory store: small synchronous traits ([`Store`], [`NotifyStore`]) and their two
//! implementations, [`RedbStore`] (the default) and [`SledStore`], behind [`AnyStore`].
//!
//! Design. Everything the rest of firmwatch persists goes through these traits: sync, the matcher
//! and the CLI through [`Store`], the notifier through [`NotifyStore`] (its notified state and
//! outbox). Each engine is named in its own file only — no engine type appears in a signature or in
//! [`StoreError`] (its failures travel as the opaque [`EngineError`]) — so another engine can
//! implement the same traits without touching sync or the notifier. The module's files:
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | this design, the traits, [`StoreError`], [`Tree`] |
//! | `state.rs` | the state types the traits take and return ([`FeedState`], [`FeedCommit`], [`NotifyCommit`] …) |
//! | `layout.rs` | the keys of each tree, the value encoding, how a feed's changes become record writes — what any engine stores |
//! | `redb.rs` | the redb engine (the default): [`RedbStore`], its tables, reads, writes and transactions |
//! | `sled.rs` | the sled engine: [`SledStore`], its trees, reads, writes and transactions |
//! | `on_demand.rs` | [`OnDemandStore`]: the store held only while it is worked on (syncs wait on the network between operations), and the bounded wait for a store another process holds |
//! | `engine.rs` | which engine a store directory holds ([`Engine`], [`AnyStore`]) and `store migrate` between them |
//! | `migrate.rs` | the migrations of older layouts (schema 1, 2 and 3 → 4), run when a store is opened |
//! | `check.rs` | `firmwatch store check`: every record read and cross-checked |
//! | `repair.rs` | `firmwatch store check --repair`: what is derived from the records, rebuilt |
//!
//! The layout, the same for any engine (a tree is a sled tree, or a table of another engine):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `schema_version` | `u32` big-endian: the store layout version ([`SCHEMA_VERSION`]) |
//! | `meta` | `index_count \0 vendor_key` | `u64` big-endian: the vendor index's entries under that vendor |
//! | `advisories` | `feed/advisory-id` | [`Advisory`] |
//! | `index_vendor` | `vendor_key \0 feed/advisory-id` | empty: the matcher's index by vendor |
//! | `feeds` | `feed` / `feed \0seen` | [`FeedState`] head (checkpoint, advisory count, per-listing counts, rejected documents) / its last success and error |
//! | `feed_docs` | `feed \0 d location` / `feed \0 v url` / `feed \0 l listing` | one document's record ([`DocState`] and its URL's validators) / validators of a listing or page / what a listing named ([`ListingIndex`]) |
//! | `findings` | `owner \0 finding-id` | the notifier's state: what the owner was last told ([`Notified`](crate::notify::plan::Notified)) |
//! | `outbox` | `generation \0 owner \0 channel` (the notifier's key) | one notification on one channel ([`Delivery`]) |
//! | `stage` | `feed/advisory-id` | no longer written: a sync's staged advisories are in a file of their own (`stage.rs`); a feed's commit drops what an earlier firmwatch left here |
//! | `history` | `f \0 finding-id` / `d \0 YYYY-MM-DD` | a finding's life ([`FindingRecord`](crate::history::FindingRecord)) / one observation day's counts ([`Day`](crate::history::Day)) — [`HistoryStore`] |
//!
//! Every value starts with one encoding-version byte: [`VALUE_VERSION`] followed by serde_json,
//! or, for a value of 512 bytes of JSON or more, [`VALUE_LZ4`] followed by the JSON's length
//! (`u32` little-endian) and the JSON compressed as one LZ4 block. Advisories are most of a
//! store's bytes and their JSON compresses about 3× (the corpus's: 3.3×, at ~950 MB/s on one
//! core): a full sync writes, checksums and keeps a third of the bytes. Raw documents are never
//! stored in these hot trees.
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
//! The documents a feed's last successful sync rejected ([`Rejected`]: listed, but not parsed or
//! not verified) are a field of its head, written with the rest of the head in the feed's commit:
//! every sync reads them with the head (to retry them), and `exposure` counts them without
//! reading a document record. The field is optional in the encoding — a head written before it
//! existed reads as "none rejected", and an older firmwatch ignores it — so it needed no schema
//! version.
//!
//! Durability: a feed's sync result — advisories, index entries, withdrawals and the feed's new
//! state (checkpoint, validators, document hashes) — is written in **one** multi-tree transaction
//! ([`Store::commit_feed`]) and flushed. A crash leaves either the old state with the old advisories
//! or the new state with the new ones, never half of either. (An earlier layout flushed the
//! advisories and then saved the state separately; a kill between the two left validators that
//! described older content than the store held, so a later sync could skip a document it needed —
//! `tests/it/sync/kill.rs` caught it.) Likewise a notification plan's deliveries and notified-state
//! changes are one transaction, flushed before anything is sent
//! ([`NotifyStore::commit_notifications`]), and each delivery's new status is flushed as it is
//! written (`tests/it/notify/kill.rs`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::history::{Commit as HistoryCommit, History};
use crate::model::{Advisory, AdvisoryId, FeedId};
use crate::notify::outbox::Delivery;
use crate::notify::plan::State;

pub mod check;
mod engine;
mod layout;
mod migrate;
mod on_demand;
mod redb;
pub mod repair;
mod sled;
mod stage;
mod state;

pub use self::engine::{migrate_engine, AnyStore, Engine, EngineMigration};
pub use self::layout::EncodedAdvisory;
pub use self::on_demand::{lock_wait, open_waiting, OnDemandStore};
pub use self::redb::RedbStore;
pub use self::sled::SledStore;
pub use self::state::{
    DocState, FeedCommit, FeedState, ListingCount, ListingIndex, LocationState, NotifyCommit,
    PutSummary, Rejected, StateChanges, Validators,
};

/// Layout version of the store; a store written by a newer firmwatch is refused, an older one is
/// migrated when opened. 2: per-document feed state in its own tree (`feed_docs`). 3: plus an
/// index per listing (`l` records). 4: plus the vendor index's per-vendor counts (`meta`). 5:
/// values of 512 bytes or more compressed ([`VALUE_LZ4`]).
pub const SCHEMA_VERSION: u32 = 5;
/// First byte of a value stored plain: serde_json follows.
pub const VALUE_VERSION: u8 = 1;
/// First byte of a value stored compressed: serde_json in an LZ4 block (`layout::encode`).
pub const VALUE_LZ4: u8 = 2;

/// The trees of the store (the layout above). Named in `store check`'s report and its problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tree {
    Meta,
    Advisories,
    IndexVendor,
    Feeds,
    FeedDocs,
    Findings,
    Outbox,
    Stage,
    History,
}

impl Tree {
    /// Every tree, in the order a new store creates them.
    pub const ALL: [Tree; 9] = [
        Tree::Meta,
        Tree::Advisories,
        Tree::IndexVendor,
        Tree::Feeds,
        Tree::FeedDocs,
        Tree::Findings,
        Tree::Outbox,
        Tree::Stage,
        Tree::History,
    ];

    /// The tree's name in the store.
    pub fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Advisories => "advisories",
            Tree::IndexVendor => "index_vendor",
            Tree::Feeds => "feeds",
            Tree::FeedDocs => "feed_docs",
            Tree::Findings => "findings",
            Tree::Outbox => "outbox",
            Tree::Stage => "stage",
            Tree::History => "history",
        }
    }
}

impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A failure of the storage engine, opaque so that no engine type is part of the store's
/// interface. Its message and cause chain are the engine's own.
#[derive(Debug)]
pub struct EngineError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl EngineError {
    fn new(e: impl std::error::Error + Send + Sync + 'static) -> EngineError {
        EngineError(Box::new(e))
    }
}

/// sled ends some messages with the backtrace it captured, which outside its `testing` feature is
/// `()`: `Read corrupted data at file offset None backtrace ()`. The empty suffix is dropped here,
/// the one place every engine error passes through.
const EMPTY_BACKTRACE: &str = " backtrace ()";

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0.to_string();
        f.write_str(m.strip_suffix(EMPTY_BACKTRACE).unwrap_or(&m))
    }
}

impl std::error::Error for EngineError {
    // The engine's error is shown in this one's message, so the chain continues with its cause.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// A store failure, naming the store path or the key involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: EngineError,
    },
    #[error("store at {path} is in use by another firmwatch process (sync, exposure or notify); try again when it has finished")]
    Locked { path: PathBuf },
    #[error("store at {path} has schema version {found}, this firmwatch understands up to {supported}; upgrade firmwatch or use another --store")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("not enough free space to open the store at {path}: {available} bytes free, {needed} needed; nothing was written — free some space and run the command again")]
    NoSpace {
        path: PathBuf,
        available: u64,
        needed: u64,
    },
    #[error("store at {path} is a {found} store, and {wanted} was asked for; `firmwatch store migrate --to {wanted}` moves it")]
    OtherEngine {
        path: PathBuf,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("no store at {path}")]
    NoStore { path: PathBuf },
    #[error("store at {path} has a malformed schema version record")]
    BadSchemaRecord { path: PathBuf },
    #[error("store I/O on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: EngineError,
    },
    #[error("the store is inconsistent: {what} {detail}; nothing was answered from it — run `firmwatch store check --repair` to rebuild it from the stored records")]
    Inconsistent { what: String, detail: String },
    #[error("stored value for {key} is not readable: {reason}")]
    Decode { key: String, reason: String },
    #[error("cannot encode value for {key}: {source}")]
    Encode {
        key: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The persistence of advisories and feed state, used by sync, the matcher and `store check`.
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
    /// A feed's whole state: its head, every per-document record, its last success and error.
    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError>;
    /// One location's record, without reading the others.
    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError>;
    /// What `listing` named ([`ListingIndex`]; empty when it named nothing).
    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError>;
    /// A feed's state without its per-document records: `documents` is empty and `validators`
    /// holds only those of URLs that are not documents (listings, pages). Cheap whatever the size
    /// of the feed; a sync reads the rest ([`Store::feed_state`]) only when it needs it.
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
    /// Make every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Put advisories of a feed's sync in progress aside, outside the database (`stage.rs`): no
    /// reader sees them, and the feed's [`Store::commit_feed`] with [`FeedCommit::staged`] moves
    /// them into `advisories` (before its own `advisories`, which win over a staged one with the
    /// same id; a later staged one wins over an earlier). A sync stages batch by batch so that a
    /// large feed's advisories are never all in memory; the first batch of a sync clears what an
    /// earlier, unfinished sync of the feed left. The stage lives as long as this handle's store
    /// is open: the sync that stages commits through the same store.
    fn stage_advisories(
        &self,
        feed: &FeedId,
        advisories: &[EncodedAdvisory],
        first: bool,
    ) -> Result<(), StoreError>;
    /// Drop what the feed's failed sync staged (its file's space is freed now, not when the
    /// process ends or the feed next stages).
    fn discard_staged(&self, feed: &FeedId);
}

/// The notifier's persistence: its notified state (`findings`) and its outbox (`outbox`).
///
/// The notifier decides what to write and when a delivery is due; the store keeps the guarantees
/// the notifier's crash safety rests on: a plan's state changes and its deliveries are written
/// together ([`NotifyStore::commit_notifications`]), and every write is flushed before the call
/// returns. After a crash the state says "told" only if the message that tells it is in the
/// outbox, and a delivery marked sent stays marked.
pub trait NotifyStore {
    /// The notified state: `(owner, finding id)` → what was last sent.
    fn notified(&self) -> Result<State, StoreError>;
    /// A plan's notified-state changes and its new deliveries in **one** transaction, then flushed.
    fn commit_notifications(&self, commit: &NotifyCommit<'_>) -> Result<(), StoreError>;
    /// Every delivery with its outbox key, in key order (the notifier's keys sort in plan order).
    fn deliveries(&self) -> Result<Vec<(String, Delivery)>, StoreError>;
    /// Write one delivery under its key, replacing what was there; flushed.
    fn put_delivery(&self, key: &str, delivery: &Delivery) -> Result<(), StoreError>;
    /// Remove deliveries in one write, flushed; an empty `keys` writes nothing.
    fn remove_deliveries(&self, keys: &[String]) -> Result<(), StoreError>;
}

/// The findings' history ([`crate::history`]): every finding's record and every observation day.
///
/// An observation's record changes and its day summary are written in **one** transaction, then
/// flushed ([`HistoryStore::commit_history`]): a crash leaves the history before the observation
/// or after it. Implemented for every store that reads and writes raw records, the same way on
/// every engine (the keys and values are the layout's).
pub trait HistoryStore {
    /// Every finding record and every observation day (in date order).
    fn history(&self) -> Result<History, StoreError>;
    /// One observation's writes, in one transaction, flushed.
    fn commit_history(&self, commit: &HistoryCommit) -> Result<(), StoreError>;
}

impl<T: RawRecords> HistoryStore for T {
    fn history(&self) -> Result<History, StoreError> {
        layout::read_history(self.records(Tree::History)?)
    }
    fn commit_history(&self, commit: &HistoryCommit) -> Result<(), StoreError> {
        self.rewrite(&layout::history_writes(commit)?)
    }
}

/// One raw write: a record of a tree set (`Some`) or removed (`None`).
pub type RawWrite = (Tree, Vec<u8>, Option<Vec<u8>>);

/// Records of one tree as bytes, `(key, value)` in key order ([`RawRecords::records`]).
pub type Records<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + 'a>;

/// The store's records as bytes, tree by tree. `store check` ([`check::check`]) reads through it
/// besides [`Store`], so that it sees the values that do not decode as well as those that do, on
/// whatever engine implements it.
pub trait RawRecords {
    /// Every record of `tree`, in key order.
    fn records(&self, tree: Tree) -> Result<Records<'_>, StoreError>;
    /// Whether `tree` holds a record under `key`.
    fn contains(&self, tree: Tree, key: &[u8]) -> Result<bool, StoreError>;
    /// Set (`Some`) or remove (`None`) records in **one** transaction, then flushed: a repair's
    /// writes ([`repair::repair`]). No check of any kind: the caller computed them from the
    /// records.
    fn rewrite(&self, writes: &[RawWrite]) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests;
