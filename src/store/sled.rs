//! The sled engine under [`Store`], [`NotifyStore`] and [`RawRecords`]: [`SledStore`].
//!
//! This is the only file that names sled. Each tree of the layout (the store's module
//! documentation; keys and values are built by `layout.rs`) is a sled tree, held open for the
//! store's lifetime. What must be atomic is one sled multi-tree transaction: a feed's commit
//! (`advisories`, `index_vendor`, `feeds`, `feed_docs`), a notification plan (`findings`,
//! `outbox`), a migration (`meta`, `feeds`, `feed_docs`). Values are encoded before a
//! transaction starts, because sled may run its closure more than once. Every write that a
//! caller relies on after a crash is followed by a flush of the whole database.
//!
//! sled's own errors become [`EngineError`]s here, with the key or operation they concern.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use ::sled::Transactional;
use chrono::{DateTime, Utc};

use super::layout::{
    advisory_key, check_count, check_of_feed, count_delta, count_key, decode, decode_count,
    decode_index, doc_key, docs_prefix, encode, encode_advisories, encode_feed_state, index_key,
    listing_key, moved_count, printable, read_doc_records, same_value, seen_key, stage_prefix,
    state_key, store_changes, val_key, vendor_keys, withdrawn_value, CountDeltas, DocEntry,
    DocWrites, EncodedAdvisory, FeedSeen, DOC_TAG, SCHEMA_KEY, VAL_TAG,
};
use super::migrate::{self, Migration};
use super::stage::Stages;
use super::{
    DocState, EngineError, FeedCommit, FeedState, ListingIndex, LocationState, NotifyCommit,
    NotifyStore, PutSummary, RawRecords, RawWrite, Records, StateChanges, Store, StoreError, Tree,
    Validators, SCHEMA_VERSION,
};
use crate::model::{Advisory, AdvisoryId, FeedId};
use crate::notify::outbox::Delivery;
use crate::notify::plan::{Notified, State};

/// sled page cache size set explicitly (sled's default is 1 GiB).
const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

/// Free space sled needs to open a store without risking it. Opening an existing store writes:
/// sled pads the log's last segment (512 KiB) with zeros, fsyncs, and writes a snapshot file —
/// even for a command that only reads. When the disk fills during that, the store never opens
/// again ("Read corrupted data"; `tests/it/store/disk_full.rs`). So the open is refused unless a
/// segment and as much again for the snapshot and the command's own writes are free.
const SLED_HEADROOM: u64 = 1024 * 1024;

/// Refuse to open when the disk holding `path` (or its nearest existing ancestor) has less than
/// [`SLED_HEADROOM`] free (or `FIRMWATCH_STORE_MIN_FREE` bytes; 0 turns the check off). A check,
/// not a reservation: another process can still fill the disk after it — which the disk-full
/// tests play by turning it off, to see what sled itself does.
fn preflight(path: &Path) -> Result<(), StoreError> {
    let needed = std::env::var("FIRMWATCH_STORE_MIN_FREE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SLED_HEADROOM);
    if needed == 0 {
        return Ok(());
    }
    let Some(existing) = path.ancestors().find(|p| p.exists()) else {
        return Ok(());
    };
    let Ok(available) = fs2::available_space(existing) else {
        return Ok(()); // unknown: sled's own error tells if it comes to that
    };
    if available < needed {
        return Err(StoreError::NoSpace {
            path: path.to_path_buf(),
            available,
            needed,
        });
    }
    Ok(())
}

/// Remove the snapshot a kill left unfinished, holding sled's own lock on the store's `db` file
/// meanwhile (a store held by another process is reported as sled reports it: locked).
///
/// sled 0.34.7 writes a snapshot on every open that finds something logged since the last one:
/// to `snap.<lsn>.generating`, synced, then renamed to `snap.<lsn>`, and only then are the older
/// ones removed. But when it reads, it takes the greatest `snap.` name, `.generating` included
/// (spacejam/sled#1527), so a kill before the rename leaves a half-written file that keeps the
/// store shut for good ("Read corrupted data at file offset None"). Snapshots are written nowhere
/// else, and by then the open has written only what recovery redoes; so without the unfinished
/// file sled recovers from the last finished snapshot and the log, as after a kill a moment
/// earlier.
fn drop_unfinished_snapshots(path: &Path) -> std::io::Result<()> {
    use fs2::FileExt;
    let db = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.join("db"))
    {
        Ok(db) => db,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()), // a new store
        Err(e) => return Err(e),
    };
    db.try_lock_exclusive()?;
    for entry in std::fs::read_dir(path)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(path.join(&*name))?;
        }
    }
    Ok(()) // the lock goes with `db`, before sled takes it
}

/// The sled-backed store. A clone is another handle on the same open database (sled's
/// handles are shared), which is how concurrent feed syncs each hold one.
#[derive(Clone)]
pub struct SledStore {
    path: PathBuf,
    db: ::sled::Db,
    meta: ::sled::Tree,
    advisories: ::sled::Tree,
    index: ::sled::Tree,
    feeds: ::sled::Tree,
    docs: ::sled::Tree,
    findings: ::sled::Tree,
    outbox: ::sled::Tree,
    stage: ::sled::Tree,
    history: ::sled::Tree,
    pub(super) stages: Arc<Stages>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .finish()
    }
}

/// A sled failure on `what` (a key, a tree, an operation) as a [`StoreError`].
fn io(what: impl Into<String>) -> impl FnOnce(::sled::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io {
        what,
        source: EngineError::new(source),
    }
}

type TxError = ConflictableTransactionError<StoreError>;

/// Write advisories and their index entries inside a transaction, counting by content; the index
/// entries added and removed per vendor go to `deltas` (for [`write_counts`]). An unchanged
/// advisory gets any index entry it lacks back — without counting it: its entry was counted when
/// it was first written, and lost since — so `sync --force` mends an index that lost entries.
fn write_advisories(
    adv: &TransactionalTree,
    idx: &TransactionalTree,
    items: &[EncodedAdvisory],
    deltas: &mut CountDeltas,
) -> Result<PutSummary, TxError> {
    let mut summary = PutSummary::default();
    for EncodedAdvisory {
        key,
        value,
        vendors,
    } in items
    {
        let old = adv.get(key.as_bytes())?;
        match &old {
            Some(o) if same_value(o, value) => {
                summary.unchanged += 1;
                for v in vendors {
                    let k = index_key(v, key);
                    if idx.get(&k)?.is_none() {
                        idx.insert(k, &[] as &[u8])?;
                    }
                }
                continue;
            }
            Some(o) => {
                summary.updated += 1;
                // Drop index entries for vendors the new version no longer names.
                if let Ok(prev) = SledStore::decode_advisory(key.as_bytes(), o) {
                    for v in vendor_keys(&prev).difference(vendors) {
                        if idx.remove(index_key(v, key))?.is_some() {
                            count_delta(deltas, v, -1);
                        }
                    }
                }
            }
            None => summary.new += 1,
        }
        adv.insert(key.as_bytes(), value.as_slice())?;
        for v in vendors {
            if idx.insert(index_key(v, key), &[] as &[u8])?.is_none() {
                count_delta(deltas, v, 1);
            }
        }
    }
    Ok(summary)
}

/// Move the vendor index's counts in `meta` by `deltas`, in the transaction that wrote the
/// entries.
fn write_counts(meta: &TransactionalTree, deltas: &CountDeltas) -> Result<(), TxError> {
    for (vendor, delta) in deltas.iter().filter(|(_, d)| **d != 0) {
        let key = count_key(vendor);
        let stored = meta.get(&key)?;
        match moved_count(&key, stored.as_deref(), *delta)
            .map_err(ConflictableTransactionError::Abort)?
        {
            Some(n) => meta.insert(key, &n[..])?,
            None => meta.remove(key)?,
        };
    }
    Ok(())
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

/// A transaction's outcome: an abort carries the store's own error; a storage failure is sled's,
/// on `what`.
fn tx_result<T>(
    result: Result<T, TransactionError<StoreError>>,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    match result {
        Ok(s) => Ok(s),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(source)) => Err(StoreError::Io {
            what: what(),
            source: EngineError::new(source),
        }),
    }
}

impl SledStore {
    /// Open (or create) the store at `path`, checking its schema version; an older layout is
    /// migrated (`migrate.rs`) before the store is returned.
    pub fn open(path: impl AsRef<Path>) -> Result<SledStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source: EngineError::new(source),
        };
        // sled (pinned =0.34.7) holds an exclusive file lock on the database while it is open and
        // reports a second open as this I/O error. Its `Drop` does not wait for the background
        // flusher that holds the lock (spacejam/sled#1289), so a store closed and reopened by
        // the same process can find it held for a few milliseconds: the open is retried (for
        // 1.3 s in all) before the store is reported as locked by someone else.
        let locked = |e: &::sled::Error| {
            matches!(e, ::sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("could not acquire lock"))
        };
        preflight(&path)?;
        let config = ::sled::Config::new()
            .path(&path)
            .cache_capacity(CACHE_CAPACITY);
        let mut wait = std::time::Duration::from_millis(5);
        let db = loop {
            match drop_unfinished_snapshots(&path)
                .map_err(::sled::Error::Io)
                .and_then(|()| config.open())
            {
                Ok(db) => break db,
                Err(e) if locked(&e) && wait < std::time::Duration::from_millis(700) => {
                    std::thread::sleep(wait);
                    wait *= 2;
                }
                Err(e) if locked(&e) => return Err(StoreError::Locked { path: path.clone() }),
                Err(e) => return Err(open_err(e)),
            }
        };
        let meta = db.open_tree(Tree::Meta.name()).map_err(open_err)?;
        let mut older = None;
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
                    older = Some(found);
                }
            }
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(open_err)?;
                db.flush().map_err(open_err)?;
            }
        }
        let open_tree = |tree: Tree| db.open_tree(tree.name()).map_err(open_err);
        let store = SledStore {
            advisories: open_tree(Tree::Advisories)?,
            index: open_tree(Tree::IndexVendor)?,
            feeds: open_tree(Tree::Feeds)?,
            docs: open_tree(Tree::FeedDocs)?,
            findings: open_tree(Tree::Findings)?,
            outbox: open_tree(Tree::Outbox)?,
            stage: open_tree(Tree::Stage)?,
            history: open_tree(Tree::History)?,
            meta,
            db: db.clone(),
            path: path.clone(),
            stages: Arc::new(Stages::new(path.clone())),
        };
        if let Some(found) = older {
            store.migrate(found).map_err(|e| match e {
                StoreError::Io { source, .. } => StoreError::Open { path, source },
                other => other,
            })?;
        }
        Ok(store)
    }

    /// Bring a store of schema `found` to [`SCHEMA_VERSION`]: the migrations' records and the
    /// new schema version in one transaction, then flushed.
    fn migrate(&self, found: u32) -> Result<(), StoreError> {
        let mut m = if found < 2 {
            let feeds = self.feeds.iter().map(|kv| kv.map_err(EngineError::new));
            let get_doc = |k: &[u8]| self.docs.get(k).map_err(EngineError::new);
            migrate::from_v1(feeds, get_doc)?
        } else if found < 3 {
            let docs = self.docs.iter().map(|kv| kv.map_err(EngineError::new));
            migrate::from_v2(docs)?
        } else {
            Migration::default()
        };
        // Schema 3 → 4 (and every older one on its way): the vendor index and its counts. 4 → 5
        // rewrites nothing (`migrate.rs`).
        if found < 4 {
            super::repair::vendor_index(self, &mut m.writes, &mut Default::default())?;
        }
        m.writes.push((
            Tree::Meta,
            SCHEMA_KEY.to_vec(),
            Some(SCHEMA_VERSION.to_be_bytes().to_vec()),
        ));
        self.rewrite(&m.writes).map_err(|e| match e {
            StoreError::Io { source, .. } => StoreError::Io {
                what: format!("migration from schema {found}"),
                source,
            },
            other => other,
        })
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn tree(&self, tree: Tree) -> &::sled::Tree {
        match tree {
            Tree::Meta => &self.meta,
            Tree::Advisories => &self.advisories,
            Tree::IndexVendor => &self.index,
            Tree::Feeds => &self.feeds,
            Tree::FeedDocs => &self.docs,
            Tree::Findings => &self.findings,
            Tree::Outbox => &self.outbox,
            Tree::Stage => &self.stage,
            Tree::History => &self.history,
        }
    }

    /// Overwrite the stored schema version (tests of the refusal path).
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, v: u32) -> Result<(), StoreError> {
        self.meta
            .insert(SCHEMA_KEY, &v.to_be_bytes())
            .map_err(io("meta"))?;
        self.flush()
    }

    /// Write (`Some`) or remove (`None`) one record as raw bytes, bypassing every check (tests
    /// that plant damage for `store check` to find).
    #[doc(hidden)]
    pub fn put_raw_for_tests(
        &self,
        tree: Tree,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let t = self.tree(tree);
        match value {
            Some(v) => t.insert(key, v).map(|_| ()),
            None => t.remove(key).map(|_| ()),
        }
        .map_err(io(printable(key)))
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
        let scan = |tag: u8| {
            let mut prefix = docs_prefix(feed);
            prefix.push(tag);
            self.docs
                .scan_prefix(prefix)
                .map(move |kv| kv.map_err(io(format!("documents of feed {feed}"))))
        };
        let docs = documents.then(|| scan(DOC_TAG)).into_iter().flatten();
        read_doc_records(feed, docs, scan(VAL_TAG))
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
        let result = (&self.meta, &self.advisories, &self.index).transaction(|(meta, adv, idx)| {
            let mut deltas = CountDeltas::new();
            let summary = write_advisories(adv, idx, &items, &mut deltas)?;
            write_counts(meta, &deltas)?;
            Ok(summary)
        });
        tx_result(result, || format!("advisories of feed {feed}"))
    }

    /// The feed's staged advisories are read whole into the commit (sled's transactions hold
    /// their writes in memory anyway): memory bounded by batches is the redb engine's.
    fn commit_feed(&self, commit: &FeedCommit<'_>) -> Result<PutSummary, StoreError> {
        let feed = commit.feed;
        check_of_feed(
            feed,
            commit.advisories,
            &format!("advisories of feed {feed}"),
        )?;
        let mut items = Vec::new();
        if commit.staged {
            let mut staged = self.stages.take(feed)?;
            loop {
                let batch = staged.next_batch(usize::MAX, usize::MAX)?;
                if batch.is_empty() {
                    break;
                }
                items.extend(batch);
            }
        }
        // What an unfinished sync of an earlier firmwatch left in the `stage` tree.
        let staged_keys: Vec<::sled::IVec> = self
            .stage
            .scan_prefix(stage_prefix(feed))
            .keys()
            .collect::<Result<_, _>>()
            .map_err(io(Tree::Stage.name()))?;
        items.extend(commit.advisories.iter().cloned());
        let doc_writes = store_changes(
            |k| self.docs.get(k).map_err(EngineError::new),
            feed,
            commit.changes,
        )?;
        let withdrawn: Vec<String> = commit
            .withdrawn
            .iter()
            .map(|id| advisory_key(feed, id))
            .collect();
        let (bulk, seen) = encode_feed_state(feed, commit.state)?;
        let key = feed.as_str();
        let seen_key = seen_key(feed);
        // `meta` (the index's counts) first: sled applies a transaction tree by tree in this
        // order, so were a commit ever cut short, the counts would disagree with the index
        // and readers would say so.
        let trees = (
            &self.meta,
            &self.advisories,
            &self.index,
            &self.feeds,
            &self.docs,
            &self.stage,
        );
        let result = trees.transaction(|(meta, adv, idx, feeds, docs, stage)| {
            let mut deltas = CountDeltas::new();
            let summary = write_advisories(adv, idx, &items, &mut deltas)?;
            for k in &staged_keys {
                stage.remove(k)?;
            }
            write_counts(meta, &deltas)?;
            for k in &withdrawn {
                let Some(v) = adv.get(k.as_bytes())? else {
                    continue;
                };
                if let Some(value) = withdrawn_value(k, &v, commit.when)
                    .map_err(ConflictableTransactionError::Abort)?
                {
                    adv.insert(k.as_bytes(), value)?;
                }
            }
            if feeds.get(key.as_bytes())?.as_deref() != Some(bulk.as_slice()) {
                feeds.insert(key.as_bytes(), bulk.as_slice())?;
            }
            feeds.insert(seen_key.as_bytes(), seen.as_slice())?;
            write_docs(docs, &doc_writes)?;
            Ok(summary)
        });
        let summary = tx_result(result, || format!("advisories of feed {feed}"))?;
        self.flush()?;
        Ok(summary)
    }

    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut batch = ::sled::Batch::default();
        for id in ids {
            let key = advisory_key(feed, id);
            let Some(v) = self.advisories.get(key.as_bytes()).map_err(io(&key))? else {
                continue;
            };
            if let Some(value) = withdrawn_value(&key, &v, when)? {
                batch.insert(key.as_bytes(), value);
            }
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

    /// Read through the index, and checked against it: the entries found must be as many as
    /// the count committed with them, and each must name a stored advisory. (sled has no
    /// snapshot across reads: a count that moved during the scan means a commit landed, and the
    /// read is repeated.)
    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError> {
        let mut prefix = vendor_key.as_bytes().to_vec();
        prefix.push(0);
        let count_key = count_key(vendor_key);
        let count = || -> Result<u64, StoreError> {
            match self.meta.get(&count_key).map_err(io("index counts"))? {
                Some(v) => decode_count(&count_key, &v),
                None => Ok(0),
            }
        };
        let mut attempts = 0;
        loop {
            let before = count()?;
            let mut out = Vec::new();
            let mut entries = 0u64;
            for kv in self.index.scan_prefix(&prefix) {
                let (k, _) = kv.map_err(io(format!("index of {vendor_key}")))?;
                entries += 1;
                let adv_key = &k[prefix.len()..];
                match self.advisories.get(adv_key).map_err(io("advisories"))? {
                    Some(v) => out.push(Self::decode_advisory(adv_key, &v)?),
                    None => {
                        return Err(StoreError::Inconsistent {
                            what: format!("the vendor index of `{vendor_key}`"),
                            detail: format!(
                                "names advisory `{}`, which is not stored",
                                printable(adv_key)
                            ),
                        })
                    }
                }
            }
            let after = count()?;
            attempts += 1;
            if before != after && attempts < 3 {
                continue;
            }
            check_count(vendor_key, entries, after)?;
            return Ok(out);
        }
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
            rejected: state.rejected.clone(),
        };
        let (bulk, seen) = encode_feed_state(feed, &head)?;
        let stored = self.feed_state(feed)?.unwrap_or_default();
        let doc_writes = store_changes(
            |k| self.docs.get(k).map_err(EngineError::new),
            feed,
            &StateChanges::between(&stored, state),
        )?;
        let seen_key = seen_key(feed);
        let result = (&self.feeds, &self.docs).transaction(|(feeds, docs)| {
            if feeds.get(key.as_bytes())?.as_deref() != Some(bulk.as_slice()) {
                feeds.insert(key.as_bytes(), bulk.as_slice())?;
            }
            feeds.insert(seen_key.as_bytes(), seen.as_slice())?;
            write_docs(docs, &doc_writes)?;
            Ok(())
        });
        tx_result(result, || format!("advisories of feed {feed}"))?;
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
        let mut batch = ::sled::Batch::default();
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

    fn stage_advisories(
        &self,
        feed: &FeedId,
        advisories: &[EncodedAdvisory],
        first: bool,
    ) -> Result<(), StoreError> {
        self.stages.put(feed, advisories, first)
    }

    fn discard_staged(&self, feed: &FeedId) {
        self.stages.discard(feed);
    }
}

impl NotifyStore for SledStore {
    fn notified(&self) -> Result<State, StoreError> {
        let mut out = State::new();
        for kv in self.findings.iter() {
            let (k, v) = kv.map_err(io(Tree::Findings.name()))?;
            let key = String::from_utf8_lossy(&k);
            let Some((owner, finding)) = key.split_once('\0') else {
                continue;
            };
            let n: Notified = decode(&printable(&k), &v)?;
            out.insert((owner.to_string(), finding.to_string()), n);
        }
        Ok(out)
    }

    fn commit_notifications(&self, commit: &NotifyCommit<'_>) -> Result<(), StoreError> {
        let mut puts: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for ((owner, finding), n) in commit.upserts {
            puts.push((state_key(owner, finding), encode(finding, n)?));
        }
        let dels: Vec<Vec<u8>> = commit
            .removals
            .iter()
            .map(|(o, f)| state_key(o, f))
            .collect();
        let mut outs: Vec<(&[u8], Vec<u8>)> = Vec::new();
        for (key, d) in commit.deliveries {
            outs.push((key.as_bytes(), encode(&printable(key.as_bytes()), d)?));
        }
        let result = (&self.findings, &self.outbox).transaction(|(fnd, obx)| {
            for (k, v) in &puts {
                fnd.insert(k.as_slice(), v.as_slice())?;
            }
            for k in &dels {
                fnd.remove(k.as_slice())?;
            }
            for (k, v) in &outs {
                obx.insert(*k, v.as_slice())?;
            }
            Ok::<_, TxError>(())
        });
        tx_result(result, || "notification plan".to_string())?;
        self.flush()
    }

    fn deliveries(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.outbox.iter() {
            let (k, v) = kv.map_err(io(Tree::Outbox.name()))?;
            let d: Delivery = decode(&printable(&k), &v)?;
            out.push((String::from_utf8_lossy(&k).into_owned(), d));
        }
        Ok(out)
    }

    fn put_delivery(&self, key: &str, delivery: &Delivery) -> Result<(), StoreError> {
        let what = printable(key.as_bytes());
        self.outbox
            .insert(key.as_bytes(), encode(&what, delivery)?)
            .map_err(io(what))?;
        self.flush()
    }

    fn remove_deliveries(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut batch = ::sled::Batch::default();
        for k in keys {
            batch.remove(k.as_bytes());
        }
        self.outbox
            .apply_batch(batch)
            .map_err(io(Tree::Outbox.name()))?;
        self.flush()
    }
}

impl RawRecords for SledStore {
    fn records(&self, tree: Tree) -> Result<Records<'_>, StoreError> {
        Ok(Box::new(self.tree(tree).iter().map(move |kv| {
            kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(io(format!("tree {tree}")))
        })))
    }

    fn contains(&self, tree: Tree, key: &[u8]) -> Result<bool, StoreError> {
        self.tree(tree)
            .contains_key(key)
            .map_err(io(format!("tree {tree}")))
    }

    fn rewrite(&self, writes: &[RawWrite]) -> Result<(), StoreError> {
        // One transaction over the trees the writes touch.
        let used: Vec<Tree> = Tree::ALL
            .into_iter()
            .filter(|t| writes.iter().any(|(w, _, _)| w == t))
            .collect();
        if used.is_empty() {
            return Ok(());
        }
        let trees: Vec<&::sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        let result = trees.as_slice().transaction(|views| {
            for (tree, key, value) in writes {
                let Some(at) = used.iter().position(|t| t == tree) else {
                    continue;
                };
                let view = &views[at];
                match value {
                    Some(v) => view.insert(key.as_slice(), v.as_slice())?,
                    None => view.remove(key.as_slice())?,
                };
            }
            Ok::<_, TxError>(())
        });
        tx_result(result, || "repair of the store".to_string())?;
        self.flush()
    }
}

/// Views of the engine for the store's own tests: record counts, raw values and the keys a
/// write touches, which the traits deliberately do not show.
#[cfg(test)]
impl SledStore {
    pub(super) fn tree_len(&self, tree: Tree) -> usize {
        self.tree(tree).len()
    }

    pub(super) fn raw_get(&self, tree: Tree, key: &[u8]) -> Option<Vec<u8>> {
        self.tree(tree).get(key).unwrap().map(|v| v.to_vec())
    }

    /// Starts recording the keys written under `feed`'s prefix in `feed_docs`.
    pub(super) fn watch_docs(&self, feed: &FeedId) -> DocsWatch {
        DocsWatch(self.docs.watch_prefix(docs_prefix(feed)))
    }
}

/// Keys written to `feed_docs` under one feed's prefix since [`SledStore::watch_docs`].
#[cfg(test)]
pub(super) struct DocsWatch(::sled::Subscriber);

#[cfg(test)]
impl DocsWatch {
    /// The keys inserted or removed (with repeats), until none came for `quiet`.
    pub(super) fn keys(&mut self, quiet: std::time::Duration) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(ev) = self.0.next_timeout(quiet) {
            out.push(match ev {
                ::sled::Event::Insert { key, .. } => key.to_vec(),
                ::sled::Event::Remove { key } => key.to_vec(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{EngineError, SledStore, Store, StoreError, Tree};

    /// A kill while sled writes its snapshot (it does on every open) leaves a half-written
    /// `snap.<lsn>.generating` file, which sled 0.34.7 would read as the newest snapshot and refuse
    /// the store over ("Read corrupted data at file offset None", spacejam/sled#1527). The store
    /// opens with everything it held, and the file is gone.
    #[test]
    fn a_snapshot_half_written_by_a_kill_does_not_keep_the_store_shut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let store = SledStore::open(&path).unwrap();
        store
            .put_raw_for_tests(Tree::Findings, b"kept", Some(b"value"))
            .unwrap();
        store.flush().unwrap();
        drop(store);
        // sled writes a snapshot when it opens a store with something logged since the last one.
        drop(SledStore::open(&path).unwrap());
        let snapshots: Vec<String> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("snap."))
            .collect();
        let newest = snapshots.iter().max().expect("sled wrote a snapshot");
        let lsn = u64::from_str_radix(newest.trim_start_matches("snap."), 16).unwrap();
        let complete = std::fs::read(path.join(newest)).unwrap();
        let half = path.join(format!("snap.{:016X}.generating", lsn + 1));
        std::fs::write(&half, &complete[..complete.len() / 2]).unwrap();

        let store = SledStore::open(&path).expect("the store opens");
        assert_eq!(store.tree_len(Tree::Findings), 1, "the record is kept");
        assert!(!half.exists(), "the half-written snapshot is removed");
    }

    /// sled's corruption error ends with the backtrace it captured, `()` in a normal build;
    /// printed through the store's error and the chain printer, the message appears once and
    /// without it.
    #[test]
    fn an_engine_message_loses_its_empty_backtrace_and_is_printed_once() {
        let sled_error = sled::Error::Corruption { at: None, bt: () };
        assert_eq!(
            sled_error.to_string(),
            "Read corrupted data at file offset None backtrace ()"
        );
        let e = StoreError::Open {
            path: "/s".into(),
            source: EngineError::new(sled_error),
        };
        assert_eq!(
            crate::error::chain(&e),
            "cannot open store at /s: Read corrupted data at file offset None"
        );
    }
}
