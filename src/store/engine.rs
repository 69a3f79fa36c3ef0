//! Which engine holds a store, and the store on it: [`Engine`], [`AnyStore`].
//!
//! A store directory says which engine wrote it by its files: redb keeps one file,
//! `store.redb`; sled keeps `conf` and `db` (and snapshots). An existing store is always opened
//! with its own engine; a new one gets the engine asked for, or [`Engine::DEFAULT`]. Asking for
//! the other engine than the directory holds is refused, naming both — moving a store from one
//! engine to the other is `firmwatch store migrate` ([`migrate_engine`]).
//!
//! Why redb is the default: under a full disk, sled 0.34.7 lost stores — it writes on every open
//! (it pads its log segment and writes a snapshot), and a full disk during that left a store
//! that never opened again ("Read corrupted data"); redb passed every disk-full test
//! (`tests/it/store/disk_full.rs`; the figures are in the README's Reliability section). sled
//! stays selectable for stores that exist.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::redb::{RedbStore, FILE as REDB_FILE};
use super::sled::SledStore;
use super::stage::Stages;
use super::{
    check, Advisory, AdvisoryId, DateTime, Delivery, EncodedAdvisory, FeedCommit, FeedId,
    FeedState, ListingIndex, LocationState, NotifyCommit, NotifyStore, PutSummary, RawRecords,
    RawWrite, Records, State, Store, StoreError, Tree, Utc,
};

/// A storage engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Redb,
    Sled,
}

impl Engine {
    /// The engine of a new store.
    pub const DEFAULT: Engine = Engine::Redb;
    pub const ALL: [Engine; 2] = [Engine::Redb, Engine::Sled];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Redb => "redb",
            Engine::Sled => "sled",
        }
    }

    /// The engine whose files are in `dir`, if any.
    pub fn of_dir(dir: &Path) -> Option<Engine> {
        if dir.join(REDB_FILE).exists() {
            Some(Engine::Redb)
        } else if dir.join("conf").exists() || dir.join("db").exists() {
            Some(Engine::Sled)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Engine, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown store engine `{s}` (expected redb or sled)"))
    }
}

/// Call `$call` on the store inside `$self`, whichever engine it is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Redb($s) => $call,
            AnyStore::Sled($s) => $call,
        }
    };
}

/// The store on whichever engine its directory holds.
#[derive(Debug, Clone)]
pub enum AnyStore {
    Redb(RedbStore),
    Sled(SledStore),
}

impl AnyStore {
    /// Keep the syncs' staged advisories in `stages` (shared by every opening of one
    /// [`OnDemandStore`](super::on_demand::OnDemandStore)) instead of this opening's own.
    pub(super) fn share_stages(&mut self, stages: Arc<Stages>) {
        match self {
            AnyStore::Redb(s) => s.stages = stages,
            AnyStore::Sled(s) => s.stages = stages,
        }
    }

    /// Open the store in `dir` with the engine that wrote it; a new store gets `wanted` (or
    /// [`Engine::DEFAULT`]). `wanted` naming the other engine than an existing store's is
    /// refused.
    pub fn open(dir: impl AsRef<Path>, wanted: Option<Engine>) -> Result<AnyStore, StoreError> {
        let dir = dir.as_ref();
        let engine = match (Engine::of_dir(dir), wanted) {
            (Some(found), Some(wanted)) if found != wanted => {
                return Err(StoreError::OtherEngine {
                    path: dir.to_path_buf(),
                    found: found.name(),
                    wanted: wanted.name(),
                })
            }
            (Some(found), _) => found,
            (None, wanted) => wanted.unwrap_or(Engine::DEFAULT),
        };
        Ok(match engine {
            Engine::Redb => AnyStore::Redb(RedbStore::open(dir)?),
            Engine::Sled => AnyStore::Sled(SledStore::open(dir)?),
        })
    }

    pub fn engine(&self) -> Engine {
        match self {
            AnyStore::Redb(_) => Engine::Redb,
            AnyStore::Sled(_) => Engine::Sled,
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            AnyStore::Redb(s) => s.path(),
            AnyStore::Sled(s) => s.path(),
        }
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        match self {
            AnyStore::Redb(s) => s.size_on_disk(),
            AnyStore::Sled(s) => s.size_on_disk(),
        }
    }

    /// Overwrite the stored schema version (tests of the refusal path).
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, v: u32) -> Result<(), StoreError> {
        match self {
            AnyStore::Redb(s) => s.set_schema_version_for_tests(v),
            AnyStore::Sled(s) => s.set_schema_version_for_tests(v),
        }
    }

    /// Number of keys in the vendor index (tests and diagnostics).
    pub fn index_len(&self) -> usize {
        each!(self, s => s.index_len())
    }

    /// Number of records in `tree` (0 when it cannot be read; tests).
    #[cfg(test)]
    pub(super) fn tree_len(&self, tree: Tree) -> usize {
        each!(self, s => s.tree_len(tree))
    }

    /// One raw record (tests).
    #[cfg(test)]
    pub(super) fn raw_get(&self, tree: Tree, key: &[u8]) -> Option<Vec<u8>> {
        self.records(tree)
            .ok()?
            .filter_map(Result::ok)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Write or remove one raw record, bypassing every check (tests that plant damage).
    #[doc(hidden)]
    pub fn put_raw_for_tests(
        &self,
        tree: Tree,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        match self {
            AnyStore::Redb(s) => s.put_raw_for_tests(tree, key, value),
            AnyStore::Sled(s) => s.put_raw_for_tests(tree, key, value),
        }
    }
}

impl Store for AnyStore {
    fn put_advisories(
        &self,
        feed: &FeedId,
        advisories: &[Advisory],
    ) -> Result<PutSummary, StoreError> {
        each!(self, s => s.put_advisories(feed, advisories))
    }
    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.mark_withdrawn(feed, ids, when))
    }
    fn advisory(&self, feed: &FeedId, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        each!(self, s => s.advisory(feed, id))
    }
    fn all_advisories(&self) -> Result<Vec<Advisory>, StoreError> {
        each!(self, s => s.all_advisories())
    }
    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError> {
        each!(self, s => s.advisories_for_vendor(vendor_key))
    }
    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        each!(self, s => s.feed_state(feed))
    }
    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError> {
        each!(self, s => s.location_state(feed, location))
    }
    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError> {
        each!(self, s => s.listing_index(feed, listing))
    }
    fn feed_head(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        each!(self, s => s.feed_head(feed))
    }
    fn commit_feed(&self, commit: &FeedCommit<'_>) -> Result<PutSummary, StoreError> {
        each!(self, s => s.commit_feed(commit))
    }
    fn save_feed_state(&self, feed: &FeedId, state: &FeedState) -> Result<(), StoreError> {
        each!(self, s => s.save_feed_state(feed, state))
    }
    fn record_failure(
        &self,
        feed: &FeedId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.record_failure(feed, error, at))
    }
    fn flush(&self) -> Result<(), StoreError> {
        each!(self, s => s.flush())
    }
    fn stage_advisories(
        &self,
        feed: &FeedId,
        advisories: &[EncodedAdvisory],
        first: bool,
    ) -> Result<(), StoreError> {
        each!(self, s => s.stage_advisories(feed, advisories, first))
    }
    fn discard_staged(&self, feed: &FeedId) {
        each!(self, s => s.discard_staged(feed))
    }
}

impl NotifyStore for AnyStore {
    fn notified(&self) -> Result<State, StoreError> {
        each!(self, s => s.notified())
    }
    fn commit_notifications(&self, commit: &NotifyCommit<'_>) -> Result<(), StoreError> {
        each!(self, s => s.commit_notifications(commit))
    }
    fn deliveries(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        each!(self, s => s.deliveries())
    }
    fn put_delivery(&self, key: &str, delivery: &Delivery) -> Result<(), StoreError> {
        each!(self, s => s.put_delivery(key, delivery))
    }
    fn remove_deliveries(&self, keys: &[String]) -> Result<(), StoreError> {
        each!(self, s => s.remove_deliveries(keys))
    }
}

impl RawRecords for AnyStore {
    fn records(&self, tree: Tree) -> Result<Records<'_>, StoreError> {
        each!(self, s => s.records(tree))
    }
    fn contains(&self, tree: Tree, key: &[u8]) -> Result<bool, StoreError> {
        each!(self, s => s.contains(tree, key))
    }
    fn rewrite(&self, writes: &[RawWrite]) -> Result<(), StoreError> {
        each!(self, s => s.rewrite(writes))
    }
}

/// What [`migrate_engine`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineMigration {
    pub from: Engine,
    pub to: Engine,
    /// Records copied per tree.
    pub records: Vec<(Tree, usize)>,
    /// Where the store of the old engine was kept.
    pub kept_at: PathBuf,
}

/// Records copied per transaction: a large store is not held in memory whole.
const COPY_BATCH: usize = 20_000;

/// Move the store in `dir` to engine `to`: every record of every tree is copied into a new store
/// beside it (`<dir>.migrating`), the copy is checked (`store check`, and the same number of
/// records in each tree), and only then are the directories swapped; the old store is kept at
/// `<dir>.<engine>-old` for the operator to remove. A failure at any point before the swap
/// leaves `dir` as it was (and removes the partial copy).
pub fn migrate_engine(dir: &Path, to: Engine) -> Result<EngineMigration, StoreError> {
    let io_err = |what: String| {
        move |e: std::io::Error| StoreError::Io {
            what,
            source: super::EngineError::new(e),
        }
    };
    let from = Engine::of_dir(dir).ok_or_else(|| StoreError::NoStore {
        path: dir.to_path_buf(),
    })?;
    if from == to {
        return Err(StoreError::OtherEngine {
            path: dir.to_path_buf(),
            found: from.name(),
            wanted: to.name(),
        });
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    let tmp = dir.with_file_name(format!("{name}.migrating"));
    let kept_at = dir.with_file_name(format!("{name}.{from}-old"));
    if kept_at.exists() {
        return Err(StoreError::Io {
            what: format!(
                "{} exists (a store kept by an earlier migration): move it away first",
                kept_at.display()
            ),
            source: super::EngineError::new(std::io::Error::from(
                std::io::ErrorKind::AlreadyExists,
            )),
        });
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let copied = (|| {
        let source = AnyStore::open(dir, Some(from))?;
        let target = AnyStore::open(&tmp, Some(to))?;
        let mut records = Vec::new();
        for tree in Tree::ALL {
            let mut n = 0;
            let mut batch: Vec<RawWrite> = Vec::new();
            for kv in source.records(tree)? {
                let (k, v) = kv?;
                batch.push((tree, k, Some(v)));
                n += 1;
                if batch.len() == COPY_BATCH {
                    target.rewrite(&batch)?;
                    batch.clear();
                }
            }
            target.rewrite(&batch)?;
            let copied = target.records(tree)?.count();
            if copied != n {
                return Err(StoreError::Inconsistent {
                    what: format!("the copy of tree {tree}"),
                    detail: format!("holds {copied} records, the store {n}"),
                });
            }
            records.push((tree, n));
        }
        let health = check::check(&target)?;
        if let Some(p) = health.problems.first() {
            return Err(StoreError::Inconsistent {
                what: "the copied store".into(),
                detail: format!(
                    "fails `store check` ({} problem(s), first: {p}); run `firmwatch store check --repair` on the store first",
                    health.problems.len()
                ),
            });
        }
        Ok(records)
    })();
    let records = match copied {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(dir, &kept_at).map_err(io_err(format!("moving {} aside", dir.display())))?;
    std::fs::rename(&tmp, dir).map_err(io_err(format!("moving the copy to {}", dir.display())))?;
    Ok(EngineMigration {
        from,
        to,
        records,
        kept_at,
    })
}
