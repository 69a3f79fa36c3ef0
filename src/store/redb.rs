//! The redb engine under [`Store`], [`NotifyStore`] and [`RawRecords`]: [`RedbStore`], the
//! default.
//!
//! This is the only file that names redb. The store is one file, `store.redb`, in the store
//! directory; each tree of the layout (the store's module documentation; keys and values are
//! built by `layout.rs`, the same bytes as under sled) is a redb table of byte keys and values.
//!
//! Why redb: it is copy-on-write with a two-slot header. A write transaction writes new pages
//! and, on commit, fsyncs them and then flips the header to the new root; until that flip the
//! previous commit is the database. A commit that fails — a full disk included — leaves the
//! previous commit whole, and the next open (which repairs after an unclean close) finds it. A
//! read transaction is a snapshot, so a read of the vendor index and its count never sees half
//! of a concurrent commit. Opening a store writes nothing but the header page in place; reads
//! need no free space (`tests/it/store/disk_full.rs`).
//!
//! What must be atomic is one write transaction, committed with redb's default durability
//! (fsync before the commit returns): a feed's commit, a notification plan, a repair, a
//! migration. A store is held by one process at a time (redb locks the file); a second open is
//! [`StoreError::Locked`].

// redb's own error (160 bytes) is returned by the helpers here and turned into a `StoreError` at
// each trait method; boxing it in between would only add an allocation to every call.
#![allow(clippy::result_large_err)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::redb::{
    Database, DatabaseError, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableError, WriteTransaction,
};
use chrono::{DateTime, Utc};

use super::layout::{
    advisory_key, apply_changes, check_count, check_of_feed, count_delta, count_key, decode,
    decode_count, decode_index, doc_key, docs_prefix, encode, encode_advisories, encode_feed_state,
    index_key, listing_key, moved_count, printable, read_doc_records, same_value, seen_key,
    stage_prefix, state_key, val_key, vendor_keys, withdrawn_value, CountDeltas, DocEntry,
    EncodedAdvisory, FeedSeen, DOC_TAG, SCHEMA_KEY, VAL_TAG,
};
use super::stage::Stages;
use super::{
    DocState, EngineError, FeedCommit, FeedState, ListingIndex, LocationState, NotifyCommit,
    NotifyStore, PutSummary, RawRecords, RawWrite, Records, StateChanges, Store, StoreError, Tree,
    Validators, SCHEMA_VERSION,
};
use crate::model::{Advisory, AdvisoryId, FeedId};
use crate::notify::outbox::Delivery;
use crate::notify::plan::{Notified, State};

/// The database file in the store directory.
pub const FILE: &str = "store.redb";

/// Staged advisories moved at a time in a feed's commit.
const MOVE_BATCH: usize = 1_000;

/// Bytes of staged advisories moved at a time in a feed's commit (large advisories: a thousand
/// of 200 KiB would be 200 MB).
const MOVE_BYTES: usize = 16 * 1024 * 1024;

/// redb's page cache (its default is 1 GiB).
const CACHE_SIZE: usize = 64 * 1024 * 1024;

type Table = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// The table of a tree.
fn table(tree: Tree) -> Table {
    TableDefinition::new(tree.name())
}

/// The redb-backed store. A clone is another handle on the same open database, which is how
/// concurrent feed syncs each hold one; their commits take turns (one write transaction at a
/// time).
#[derive(Clone)]
pub struct RedbStore {
    path: PathBuf,
    db: Arc<Database>,
    pub(super) stages: Arc<Stages>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish()
    }
}

/// A redb failure on `what` (a key, a tree, an operation) as a [`StoreError`].
fn io<E: Into<::redb::Error>>(what: impl Into<String>) -> impl FnOnce(E) -> StoreError {
    let what = what.into();
    move |e| StoreError::Io {
        what,
        source: EngineError::new(e.into()),
    }
}

/// A value read from a table, as bytes.
type Got = Option<Vec<u8>>;

/// Records read from a table, as bytes.
type Kvs = Vec<(Vec<u8>, Vec<u8>)>;

fn get_in(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
) -> Result<Got, ::redb::Error> {
    Ok(t.get(key)?.map(|v| v.value().to_vec()))
}

/// Whether `t` holds a record whose key starts with `prefix`.
fn any_with_prefix(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    prefix: &[u8],
) -> Result<bool, ::redb::Error> {
    match t.range::<&[u8]>(prefix..)?.next() {
        Some(kv) => Ok(kv?.0.value().starts_with(prefix)),
        None => Ok(false),
    }
}

/// Every record of `t` whose key starts with `prefix`, in key order.
fn scan_in(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    prefix: &[u8],
) -> Result<Kvs, ::redb::Error> {
    let mut out = Vec::new();
    for kv in t.range::<&[u8]>(prefix..)? {
        let (k, v) = kv?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

impl RedbStore {
    /// Open (or create) the store in the directory `path`, checking its schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |e: ::redb::Error| StoreError::Open {
            path: path.clone(),
            source: EngineError::new(e),
        };
        std::fs::create_dir_all(&path).map_err(|e| open_err(e.into()))?;
        let file = path.join(FILE);
        if !file.exists() {
            create(&path).map_err(open_err)?;
        }
        let db = match Database::builder().set_cache_size(CACHE_SIZE).open(&file) {
            Ok(db) => db,
            Err(DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked { path });
            }
            Err(e) => return Err(open_err(e.into())),
        };
        let store = RedbStore {
            path: path.clone(),
            db: Arc::new(db),
            stages: Arc::new(Stages::new(path.clone())),
        };
        // A store that has its tables and the current schema is only read here: opening for
        // a read writes nothing.
        match store.schema().map_err(open_err)? {
            Some(found) if found > SCHEMA_VERSION => Err(StoreError::NewerSchema {
                path,
                found,
                supported: SCHEMA_VERSION,
            }),
            Some(found) if found == SCHEMA_VERSION => {
                store.add_missing_tables().map_err(open_err)?;
                Ok(store)
            }
            Some(found) if found < 3 => Err(StoreError::BadSchemaRecord { path }),
            Some(found) => {
                // Schema 3 → 4: the vendor index and its counts (redb stores start at 4). 4 → 5
                // rewrites nothing (`migrate.rs`).
                let mut writes = Vec::new();
                if found < 4 {
                    super::repair::vendor_index(&store, &mut writes, &mut Default::default())?;
                }
                writes.push((
                    Tree::Meta,
                    SCHEMA_KEY.to_vec(),
                    Some(SCHEMA_VERSION.to_be_bytes().to_vec()),
                ));
                store.rewrite(&writes).map_err(|e| match e {
                    StoreError::Io { source, .. } => StoreError::Io {
                        what: format!("migration from schema {found}"),
                        source,
                    },
                    other => other,
                })?;
                Ok(store)
            }
            None => Err(open_err(::redb::Error::Corrupted(
                "the database has no schema version record".into(),
            ))),
        }
    }

    /// The stored schema version, `None` for a new (empty) database.
    fn schema(&self) -> Result<Option<u32>, ::redb::Error> {
        let tx = self.db.begin_read()?;
        let meta = match tx.open_table(table(Tree::Meta)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(v) = get_in(&meta, SCHEMA_KEY)? else {
            return Ok(None);
        };
        match <[u8; 4]>::try_from(v.as_slice()) {
            Ok(b) => Ok(Some(u32::from_be_bytes(b))),
            Err(_) => Err(::redb::Error::Corrupted(
                "malformed schema version record".into(),
            )),
        }
    }

    /// Create the tables a store made before they existed lacks (`stage`): an empty table
    /// needs no migration. Writes only when one is missing.
    fn add_missing_tables(&self) -> Result<(), ::redb::Error> {
        let tx = self.db.begin_read()?;
        let mut missing = false;
        for tree in Tree::ALL {
            match tx.open_table(table(tree)) {
                Ok(_) => {}
                Err(TableError::TableDoesNotExist(_)) => missing = true,
                Err(e) => return Err(e.into()),
            }
        }
        drop(tx);
        if missing {
            let tx = self.db.begin_write()?;
            for tree in Tree::ALL {
                tx.open_table(table(tree))?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self, what: &str) -> Result<ReadTransaction, StoreError> {
        self.db.begin_read().map_err(io(what))
    }

    fn write(&self, what: &str) -> Result<WriteTransaction, StoreError> {
        self.db.begin_write().map_err(io(what))
    }

    /// One value of `tree`, in a read transaction of its own.
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Got, StoreError> {
        let what = || printable(key);
        let tx = self.read(&what())?;
        let t = tx.open_table(table(tree)).map_err(io(what()))?;
        get_in(&t, key).map_err(io(what()))
    }

    /// Overwrite the stored schema version (tests of the refusal path).
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, v: u32) -> Result<(), StoreError> {
        self.rewrite(&[(
            Tree::Meta,
            SCHEMA_KEY.to_vec(),
            Some(v.to_be_bytes().to_vec()),
        )])
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
        self.rewrite(&[(tree, key.to_vec(), value.map(<[u8]>::to_vec))])
    }

    /// Bytes the store occupies on disk (the database file's length).
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        std::fs::metadata(self.path.join(FILE))
            .map(|m| m.len())
            .map_err(io("size on disk"))
    }

    /// Number of keys in the vendor index (tests and diagnostics).
    pub fn index_len(&self) -> usize {
        self.tree_len(Tree::IndexVendor)
    }

    /// Number of records in `tree` (0 when it cannot be read).
    pub fn tree_len(&self, tree: Tree) -> usize {
        let Ok(tx) = self.db.begin_read() else {
            return 0;
        };
        tx.open_table(table(tree))
            .and_then(|t| Ok(t.len()?))
            .map_or(0, |n| n as usize)
    }

    /// A feed's `d` records (documents, with their validators) when `documents`, and its `v`
    /// records, each sorted by location, from one snapshot.
    #[allow(clippy::type_complexity)]
    fn scan_docs(
        &self,
        tx: &ReadTransaction,
        feed: &FeedId,
        documents: bool,
    ) -> Result<(Vec<(String, DocState)>, Vec<(String, Validators)>), StoreError> {
        let what = || format!("documents of feed {feed}");
        let t = tx.open_table(table(Tree::FeedDocs)).map_err(io(what()))?;
        let scan = |tag: u8| -> Result<Kvs, StoreError> {
            let mut prefix = docs_prefix(feed);
            prefix.push(tag);
            scan_in(&t, &prefix).map_err(io(what()))
        };
        let docs = if documents {
            scan(DOC_TAG)?
        } else {
            Vec::new()
        };
        read_doc_records(
            feed,
            docs.into_iter().map(Ok),
            scan(VAL_TAG)?.into_iter().map(Ok),
        )
    }

    /// The head and `seen` record of a feed, from one snapshot.
    fn head_and_seen(
        &self,
        tx: &ReadTransaction,
        feed: &FeedId,
    ) -> Result<Option<FeedState>, StoreError> {
        let key = feed.as_str();
        let t = tx.open_table(table(Tree::Feeds)).map_err(io(key))?;
        let Some(head) = get_in(&t, key.as_bytes()).map_err(io(key))? else {
            return Ok(None);
        };
        let mut state: FeedState = decode(key, &head)?;
        let seen_key = seen_key(feed);
        if let Some(v) = get_in(&t, seen_key.as_bytes()).map_err(io(&seen_key))? {
            let seen: FeedSeen = decode(&seen_key, &v)?;
            state.last_success = seen.last_success;
            state.last_error = seen.last_error;
            state.last_error_at = seen.last_error_at;
        }
        Ok(Some(state))
    }
}

/// A new store in `dir`: the database is made under a name of this process's own — every table
/// and the schema version in one commit, written to disk — and then linked as [`FILE`], so a
/// process killed while creating it leaves no half-made database that would not open (the next
/// open starts over). The link never replaces a file: of two processes creating the store at
/// once, one database wins and the other process opens it.
fn create(dir: &Path) -> Result<(), ::redb::Error> {
    let tmp = dir.join(format!("{FILE}.new-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    {
        let db = Database::builder()
            .set_cache_size(CACHE_SIZE)
            .create_with_file_format_v3(true)
            .create(&tmp)?;
        let tx = db.begin_write()?;
        for tree in Tree::ALL {
            tx.open_table(table(tree))?;
        }
        tx.open_table(table(Tree::Meta))?
            .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes()[..])?;
        tx.commit()?;
    }
    let linked = std::fs::hard_link(&tmp, dir.join(FILE));
    std::fs::remove_file(&tmp)?;
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e.into()),
        _ => {}
    }
    // The new name itself is made durable with the directory.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Mark the advisories `ids` of `feed` withdrawn at `when` (unknown ids and advisories withdrawn
/// already are left as they are).
fn write_withdrawals(
    adv: &mut ::redb::Table<&'static [u8], &'static [u8]>,
    feed: &FeedId,
    ids: &[AdvisoryId],
    when: DateTime<Utc>,
) -> Result<(), StoreError> {
    for id in ids {
        let key = advisory_key(feed, id);
        let Some(v) = get_in(adv, key.as_bytes()).map_err(io(&key))? else {
            continue;
        };
        if let Some(value) = withdrawn_value(&key, &v, when)? {
            adv.insert(key.as_bytes(), value.as_slice())
                .map_err(io(&key))?;
        }
    }
    Ok(())
}

/// A feed's head (rewritten only when it changed) and its `seen` record.
fn write_head(
    tx: &WriteTransaction,
    feed: &FeedId,
    bulk: &[u8],
    seen: &[u8],
) -> Result<(), ::redb::Error> {
    let mut feeds = tx.open_table(table(Tree::Feeds))?;
    let key = feed.as_str().as_bytes();
    if get_in(&feeds, key)?.as_deref() != Some(bulk) {
        feeds.insert(key, bulk)?;
    }
    feeds.insert(seen_key(feed).as_bytes(), seen)?;
    Ok(())
}

/// Write advisories and their index entries in a write transaction, counting by content; the
/// index entries added and removed per vendor go to `deltas`. An unchanged advisory gets any
/// index entry it lacks back, uncounted (as under sled: `sync --force` mends a lost entry).
fn write_advisories(
    tx: &WriteTransaction,
    items: &[EncodedAdvisory],
    deltas: &mut CountDeltas,
) -> Result<PutSummary, ::redb::Error> {
    let mut adv = tx.open_table(table(Tree::Advisories))?;
    let mut idx = tx.open_table(table(Tree::IndexVendor))?;
    let mut summary = PutSummary::default();
    for EncodedAdvisory {
        key,
        value,
        vendors,
    } in items
    {
        let old = get_in(&adv, key.as_bytes())?;
        match &old {
            Some(o) if same_value(o, value) => {
                summary.unchanged += 1;
                for v in vendors {
                    let k = index_key(v, key);
                    if idx.get(k.as_slice())?.is_none() {
                        idx.insert(k.as_slice(), &[][..])?;
                    }
                }
                continue;
            }
            Some(o) => {
                summary.updated += 1;
                // Drop index entries for vendors the new version no longer names.
                if let Ok(prev) = decode::<Advisory>(key, o) {
                    for v in vendor_keys(&prev).difference(vendors) {
                        if idx.remove(index_key(v, key).as_slice())?.is_some() {
                            count_delta(deltas, v, -1);
                        }
                    }
                }
            }
            None => summary.new += 1,
        }
        adv.insert(key.as_bytes(), value.as_slice())?;
        for v in vendors {
            if idx.insert(index_key(v, key).as_slice(), &[][..])?.is_none() {
                count_delta(deltas, v, 1);
            }
        }
    }
    Ok(summary)
}

/// Remove what an unfinished sync of an earlier firmwatch staged for the feed in the `stage`
/// tree (usually nothing: one range lookup).
fn drop_old_stage(tx: &WriteTransaction, feed: &FeedId) -> Result<(), ::redb::Error> {
    let mut stage = tx.open_table(table(Tree::Stage))?;
    let old: Vec<Vec<u8>> = scan_in(&stage, stage_prefix(feed).as_bytes())?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for k in old {
        stage.remove(k.as_slice())?;
    }
    Ok(())
}

/// Move the vendor index's counts in `meta` by `deltas`, in the transaction that wrote the
/// entries.
fn write_counts(tx: &WriteTransaction, deltas: &CountDeltas) -> Result<(), StoreError> {
    let mut meta = tx
        .open_table(table(Tree::Meta))
        .map_err(io("index counts"))?;
    for (vendor, delta) in deltas.iter().filter(|(_, d)| **d != 0) {
        let key = count_key(vendor);
        let stored = get_in(&meta, &key).map_err(io("index counts"))?;
        match moved_count(&key, stored.as_deref(), *delta)? {
            Some(n) => meta.insert(key.as_slice(), &n[..]).map(|_| ()),
            None => meta.remove(key.as_slice()).map(|_| ()),
        }
        .map_err(io("index counts"))?;
    }
    Ok(())
}

fn write_doc(
    docs: &mut ::redb::Table<'_, &'static [u8], &'static [u8]>,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<(), ::redb::Error> {
    match value {
        Some(v) => docs.insert(key, v)?,
        None => docs.remove(key)?,
    };
    Ok(())
}

/// Apply a feed's record changes in `tx`: each stored record is read, merged and rewritten in
/// turn ([`apply_changes`]), none of the new records held beyond its write.
fn write_changes(
    tx: &WriteTransaction,
    feed: &FeedId,
    changes: &StateChanges,
    what: &str,
) -> Result<(), StoreError> {
    let docs = RefCell::new(tx.open_table(table(Tree::FeedDocs)).map_err(io(what))?);
    // A feed without records (its first sync) has nothing to merge into: one range lookup, not
    // two lookups a location. Only this function writes a feed's records, and it reads each key
    // before it writes it, so none is there to read.
    let none_stored = !any_with_prefix(&*docs.borrow(), &docs_prefix(feed)).map_err(io(what))?;
    apply_changes(
        |k| {
            if none_stored {
                Ok(None)
            } else {
                get_in(&*docs.borrow(), k).map_err(EngineError::new)
            }
        },
        |k, v| write_doc(&mut docs.borrow_mut(), &k, v.as_deref()).map_err(io(what)),
        feed,
        changes,
    )
}

/// Commit `tx`; a failed commit leaves the previous one in place.
fn commit(tx: WriteTransaction, what: impl Into<String>) -> Result<(), StoreError> {
    tx.commit().map_err(io(what))
}

impl Store for RedbStore {
    fn put_advisories(
        &self,
        feed: &FeedId,
        advisories: &[Advisory],
    ) -> Result<PutSummary, StoreError> {
        let what = format!("advisories of feed {feed}");
        let items = encode_advisories(feed, advisories)?;
        let tx = self.write(&what)?;
        let mut deltas = CountDeltas::new();
        let summary = write_advisories(&tx, &items, &mut deltas).map_err(io(&what))?;
        write_counts(&tx, &deltas)?;
        commit(tx, what)?;
        Ok(summary)
    }

    fn commit_feed(&self, c: &FeedCommit<'_>) -> Result<PutSummary, StoreError> {
        let feed = c.feed;
        let what = format!("advisories of feed {feed}");
        let (bulk, seen) = encode_feed_state(feed, c.state)?;
        check_of_feed(feed, c.advisories, &what)?;
        let tx = self.write(&what)?;
        // The stage is read a batch at a time, so a large feed's advisories are never whole in
        // memory (redb spills the transaction's dirty pages to the file, uncommitted, as it grows).
        let mut deltas = CountDeltas::new();
        let mut summary = PutSummary::default();
        // The staged advisories first (the commit's own win over them), a batch at a time.
        if c.staged {
            let mut staged = self.stages.take(feed)?;
            loop {
                let items = staged.next_batch(MOVE_BATCH, MOVE_BYTES)?;
                if items.is_empty() {
                    break;
                }
                summary.add(write_advisories(&tx, &items, &mut deltas).map_err(io(&what))?);
            }
        }
        drop_old_stage(&tx, feed).map_err(io(&what))?;
        summary.add(write_advisories(&tx, c.advisories, &mut deltas).map_err(io(&what))?);
        write_counts(&tx, &deltas)?;
        {
            let mut adv = tx.open_table(table(Tree::Advisories)).map_err(io(&what))?;
            write_withdrawals(&mut adv, feed, c.withdrawn, c.when)?;
        }
        write_head(&tx, feed, &bulk, &seen).map_err(io(&what))?;
        // The stored records the changes merge into are read in the same transaction, and each
        // new record is written as it is decided.
        write_changes(&tx, feed, c.changes, &what)?;
        commit(tx, what)?;
        Ok(summary)
    }

    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let what = format!("withdrawals of feed {feed}");
        let tx = self.write(&what)?;
        {
            let mut adv = tx.open_table(table(Tree::Advisories)).map_err(io(&what))?;
            write_withdrawals(&mut adv, feed, ids, when)?;
        }
        commit(tx, what)
    }

    fn advisory(&self, feed: &FeedId, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        let key = advisory_key(feed, id);
        match self.get(Tree::Advisories, key.as_bytes())? {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    fn all_advisories(&self) -> Result<Vec<Advisory>, StoreError> {
        let mut out = Vec::new();
        for kv in self.records(Tree::Advisories)? {
            let (k, v) = kv?;
            out.push(decode(&String::from_utf8_lossy(&k), &v)?);
        }
        Ok(out)
    }

    /// Read through the index in one snapshot, and checked against it: the entries found must
    /// be as many as the count committed with them, and each must name a stored advisory.
    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError> {
        let what = format!("index of {vendor_key}");
        let mut prefix = vendor_key.as_bytes().to_vec();
        prefix.push(0);
        let tx = self.read(&what)?;
        let idx = tx.open_table(table(Tree::IndexVendor)).map_err(io(&what))?;
        let adv = tx.open_table(table(Tree::Advisories)).map_err(io(&what))?;
        let meta = tx.open_table(table(Tree::Meta)).map_err(io(&what))?;
        let mut out = Vec::new();
        let mut entries = 0u64;
        for kv in idx.range::<&[u8]>(prefix.as_slice()..).map_err(io(&what))? {
            let (k, _) = kv.map_err(io(&what))?;
            let k = k.value();
            if !k.starts_with(&prefix) {
                break;
            }
            entries += 1;
            let adv_key = &k[prefix.len()..];
            match adv.get(adv_key).map_err(io("advisories"))? {
                Some(v) => out.push(decode(&String::from_utf8_lossy(adv_key), v.value())?),
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
        let key = count_key(vendor_key);
        let count = match get_in(&meta, &key).map_err(io("index counts"))? {
            Some(v) => decode_count(&key, &v)?,
            None => 0,
        };
        check_count(vendor_key, entries, count)?;
        Ok(out)
    }

    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let tx = self.read(&format!("state of feed {feed}"))?;
        let Some(mut state) = self.head_and_seen(&tx, feed)? else {
            return Ok(None);
        };
        let (documents, validators) = self.scan_docs(&tx, feed, true)?;
        state.documents.extend(documents);
        state.validators.extend(validators);
        Ok(Some(state))
    }

    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError> {
        let what = || format!("{feed}/{location}");
        let mut out = LocationState::default();
        if let Some(v) = self.get(Tree::FeedDocs, &doc_key(feed, location))? {
            let entry: DocEntry = decode(&what(), &v)?;
            out = LocationState {
                document: entry.doc,
                validators: entry.validators,
            };
        }
        if out.validators.is_none() {
            if let Some(v) = self.get(Tree::FeedDocs, &val_key(feed, location))? {
                out.validators = Some(decode(&what(), &v)?);
            }
        }
        Ok(out)
    }

    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError> {
        let what = format!("{feed}/{listing} (listing index)");
        match self.get(Tree::FeedDocs, &listing_key(feed, listing))? {
            Some(v) => decode_index(&what, &v),
            None => Ok(ListingIndex::new()),
        }
    }

    fn feed_head(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let tx = self.read(&format!("state of feed {feed}"))?;
        let Some(mut state) = self.head_and_seen(&tx, feed)? else {
            return Ok(None);
        };
        let (_, validators) = self.scan_docs(&tx, feed, false)?;
        state.validators.extend(validators);
        Ok(Some(state))
    }

    /// The head is rewritten only when it changed, and only the per-document records that
    /// differ from the stored ones; the small `seen` record on every call.
    fn save_feed_state(&self, feed: &FeedId, state: &FeedState) -> Result<(), StoreError> {
        let what = format!("state of feed {feed}");
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
        let tx = self.write(&what)?;
        write_head(&tx, feed, &bulk, &seen).map_err(io(&what))?;
        write_changes(&tx, feed, &StateChanges::between(&stored, state), &what)?;
        commit(tx, what)
    }

    /// Only the small `seen` record is written (and an empty head for a feed that never
    /// succeeded, so the failure is still found through [`Store::feed_state`]).
    fn record_failure(
        &self,
        feed: &FeedId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let what = format!("state of feed {feed}");
        let key = feed.as_str().as_bytes();
        let seen_key = seen_key(feed);
        let tx = self.write(&what)?;
        {
            let mut feeds = tx.open_table(table(Tree::Feeds)).map_err(io(&what))?;
            let mut seen: FeedSeen = match get_in(&feeds, seen_key.as_bytes()).map_err(io(&what))? {
                Some(v) => decode(&seen_key, &v)?,
                None => FeedSeen::default(),
            };
            seen.last_error = Some(error.to_string());
            seen.last_error_at = Some(at);
            if get_in(&feeds, key).map_err(io(&what))?.is_none() {
                let (head, _) = encode_feed_state(feed, &FeedState::default())?;
                feeds.insert(key, head.as_slice()).map_err(io(&what))?;
            }
            let value = encode(&seen_key, &seen)?;
            feeds
                .insert(seen_key.as_bytes(), value.as_slice())
                .map_err(io(&what))?;
        }
        commit(tx, what)
    }

    /// Every commit is durable when it returns; nothing is left to flush.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
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

impl NotifyStore for RedbStore {
    fn notified(&self) -> Result<State, StoreError> {
        let mut out = State::new();
        for kv in self.records(Tree::Findings)? {
            let (k, v) = kv?;
            let key = String::from_utf8_lossy(&k);
            let Some((owner, finding)) = key.split_once('\0') else {
                continue;
            };
            let n: Notified = decode(&printable(&k), &v)?;
            out.insert((owner.to_string(), finding.to_string()), n);
        }
        Ok(out)
    }

    fn commit_notifications(&self, c: &NotifyCommit<'_>) -> Result<(), StoreError> {
        let mut writes: Vec<RawWrite> = Vec::new();
        for ((owner, finding), n) in c.upserts {
            writes.push((
                Tree::Findings,
                state_key(owner, finding),
                Some(encode(finding, n)?),
            ));
        }
        for (o, f) in c.removals {
            writes.push((Tree::Findings, state_key(o, f), None));
        }
        for (key, d) in c.deliveries {
            let value = encode(&printable(key.as_bytes()), d)?;
            writes.push((Tree::Outbox, key.as_bytes().to_vec(), Some(value)));
        }
        self.rewrite(&writes).map_err(|e| match e {
            StoreError::Io { source, .. } => StoreError::Io {
                what: "notification plan".into(),
                source,
            },
            other => other,
        })
    }

    fn deliveries(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.records(Tree::Outbox)? {
            let (k, v) = kv?;
            let d: Delivery = decode(&printable(&k), &v)?;
            out.push((String::from_utf8_lossy(&k).into_owned(), d));
        }
        Ok(out)
    }

    fn put_delivery(&self, key: &str, delivery: &Delivery) -> Result<(), StoreError> {
        let value = encode(&printable(key.as_bytes()), delivery)?;
        self.rewrite(&[(Tree::Outbox, key.as_bytes().to_vec(), Some(value))])
    }

    fn remove_deliveries(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let writes: Vec<RawWrite> = keys
            .iter()
            .map(|k| (Tree::Outbox, k.as_bytes().to_vec(), None))
            .collect();
        self.rewrite(&writes)
    }
}

impl RawRecords for RedbStore {
    fn records(&self, tree: Tree) -> Result<Records<'_>, StoreError> {
        let what = format!("tree {tree}");
        let tx = self.read(&what)?;
        let t = tx.open_table(table(tree)).map_err(io(&what))?;
        // The range keeps its snapshot alive until it is dropped.
        let range = t.range::<&[u8]>(..).map_err(io(&what))?;
        Ok(Box::new(range.map(move |kv| {
            kv.map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
                .map_err(io(format!("tree {tree}")))
        })))
    }

    fn contains(&self, tree: Tree, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(tree, key)?.is_some())
    }

    fn rewrite(&self, writes: &[RawWrite]) -> Result<(), StoreError> {
        let what = "rewrite of the store";
        let tx = self.write(what)?;
        for tree in Tree::ALL {
            if !writes.iter().any(|(t, _, _)| *t == tree) {
                continue;
            }
            let mut t = tx.open_table(table(tree)).map_err(io(what))?;
            for (_, key, value) in writes.iter().filter(|(t, _, _)| *t == tree) {
                match value {
                    Some(v) => t.insert(key.as_slice(), v.as_slice()).map(|_| ()),
                    None => t.remove(key.as_slice()).map(|_| ()),
                }
                .map_err(io(printable(key)))?;
            }
        }
        commit(tx, what)
    }
}
