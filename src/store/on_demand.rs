//! The store for commands that wait on the network between store operations ([`OnDemandStore`]):
//! it holds the store — and with it the one-process lock — only while it works on it.
//!
//! `sync` and the auto-sync of `exposure`, `check-update`, `notify` and `run` spend most of their
//! time waiting for feeds (and `notify` for mail and webhook peers). Holding the store all that
//! time would keep every other command out for as long as the slowest feed takes. Instead the
//! store is opened at its first use, kept open while operations follow one another, and closed
//! once [`IDLE`] passes without one — so a sync waiting on a slow feed leaves the store free, and
//! reopens it (waiting, if need be, for another process's store work, never for its network) when
//! it has something to read or commit. Each commit is one transaction either way; nothing a
//! reader sees changes.
//!
//! Every command opens the store through [`open_waiting`]: a store held by another process is
//! waited for up to [`lock_wait`] (`FIRMWATCH_LOCK_WAIT` seconds, default 30) before the command
//! fails with "in use by another firmwatch process".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::stage::Stages;
use super::{
    AnyStore, DateTime, Delivery, EncodedAdvisory, Engine, FeedCommit, FeedState, HistoryStore,
    ListingIndex, LocationState, NotifyCommit, NotifyStore, PutSummary, State, Store, StoreError,
    Utc,
};
use crate::history::{Commit as HistoryCommit, History};
use crate::model::{Advisory, AdvisoryId, FeedId};

/// How long the store stays open without an operation.
pub const IDLE: Duration = Duration::from_millis(100);

/// How long a command waits for a store another process holds: `FIRMWATCH_LOCK_WAIT` seconds,
/// default 30.
pub fn lock_wait() -> Duration {
    std::env::var("FIRMWATCH_LOCK_WAIT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(30), Duration::from_secs_f64)
}

/// Open the store in `dir` ([`AnyStore::open`]), waiting up to `wait` while another process
/// holds it.
pub fn open_waiting(
    dir: &Path,
    engine: Option<Engine>,
    wait: Duration,
) -> Result<AnyStore, StoreError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match AnyStore::open(dir, engine) {
            Err(StoreError::Locked { .. }) if start.elapsed() < wait => {
                std::thread::sleep(pause.min(wait.saturating_sub(start.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// The store of `dir`, open only while it is used ([module docs](self)). Clones share it.
#[derive(Clone)]
pub struct OnDemandStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    engine: Option<Engine>,
    wait: Duration,
    slot: Mutex<Slot>,
    /// The syncs' staged advisories: they outlive each opening of the store, since a sync stages
    /// while the store is closed between its batches and commits after reopening it.
    stages: Arc<Stages>,
}

#[derive(Default)]
struct Slot {
    store: Option<AnyStore>,
    /// Operations under way (the store is not closed under them).
    busy: usize,
    last: Option<Instant>,
}

impl std::fmt::Debug for OnDemandStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnDemandStore")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

impl OnDemandStore {
    /// The store in `dir` (a new one on `engine`), waiting up to `wait` for another process at
    /// each opening. Nothing is opened yet.
    pub fn new(dir: impl AsRef<Path>, engine: Option<Engine>, wait: Duration) -> OnDemandStore {
        let inner = Arc::new(Inner {
            dir: dir.as_ref().to_path_buf(),
            engine,
            wait,
            slot: Mutex::default(),
            stages: Arc::new(Stages::new(dir.as_ref().to_path_buf())),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::spawn(move || close_when_idle(weak));
        OnDemandStore { inner }
    }

    /// Whether the store is open now (tests).
    #[doc(hidden)]
    pub fn is_open(&self) -> bool {
        self.slot().store.is_some()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.inner.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` on the store, opening it first if it is closed.
    fn with<T>(&self, f: impl FnOnce(&AnyStore) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let store = {
            let mut slot = self.slot();
            if slot.store.is_none() {
                let i = &self.inner;
                let mut store = open_waiting(&i.dir, i.engine, i.wait)?;
                store.share_stages(i.stages.clone());
                slot.store = Some(store);
            }
            slot.busy += 1;
            slot.store.clone().expect("opened above")
        };
        let result = f(&store);
        drop(store);
        let mut slot = self.slot();
        slot.busy -= 1;
        slot.last = Some(Instant::now());
        result
    }
}

/// Close the store of `inner` once it has been idle for [`IDLE`]; ends with the last handle.
fn close_when_idle(inner: Weak<Inner>) {
    loop {
        std::thread::sleep(IDLE / 4);
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let mut slot = inner.slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.store.is_some() && slot.busy == 0 && slot.last.is_some_and(|t| t.elapsed() >= IDLE)
        {
            slot.store = None;
        }
    }
}

impl Store for OnDemandStore {
    fn put_advisories(
        &self,
        feed: &FeedId,
        advisories: &[Advisory],
    ) -> Result<PutSummary, StoreError> {
        self.with(|s| s.put_advisories(feed, advisories))
    }
    fn mark_withdrawn(
        &self,
        feed: &FeedId,
        ids: &[AdvisoryId],
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|s| s.mark_withdrawn(feed, ids, when))
    }
    fn advisory(&self, feed: &FeedId, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        self.with(|s| s.advisory(feed, id))
    }
    fn all_advisories(&self) -> Result<Vec<Advisory>, StoreError> {
        self.with(|s| s.all_advisories())
    }
    fn advisories_for_vendor(&self, vendor_key: &str) -> Result<Vec<Advisory>, StoreError> {
        self.with(|s| s.advisories_for_vendor(vendor_key))
    }
    fn feed_state(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        self.with(|s| s.feed_state(feed))
    }
    fn location_state(&self, feed: &FeedId, location: &str) -> Result<LocationState, StoreError> {
        self.with(|s| s.location_state(feed, location))
    }
    fn listing_index(&self, feed: &FeedId, listing: &str) -> Result<ListingIndex, StoreError> {
        self.with(|s| s.listing_index(feed, listing))
    }
    fn feed_head(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        self.with(|s| s.feed_head(feed))
    }
    fn commit_feed(&self, commit: &FeedCommit<'_>) -> Result<PutSummary, StoreError> {
        self.with(|s| s.commit_feed(commit))
    }
    fn save_feed_state(&self, feed: &FeedId, state: &FeedState) -> Result<(), StoreError> {
        self.with(|s| s.save_feed_state(feed, state))
    }
    fn record_failure(
        &self,
        feed: &FeedId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|s| s.record_failure(feed, error, at))
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.with(|s| s.flush())
    }
    fn stage_advisories(
        &self,
        feed: &FeedId,
        advisories: &[EncodedAdvisory],
        first: bool,
    ) -> Result<(), StoreError> {
        self.with(|s| s.stage_advisories(feed, advisories, first))
    }
    /// Needs no opening of the store: the stages are this handle's.
    fn discard_staged(&self, feed: &FeedId) {
        self.inner.stages.discard(feed);
    }
}

impl NotifyStore for OnDemandStore {
    fn notified(&self) -> Result<State, StoreError> {
        self.with(|s| s.notified())
    }
    fn commit_notifications(&self, commit: &NotifyCommit<'_>) -> Result<(), StoreError> {
        self.with(|s| s.commit_notifications(commit))
    }
    fn deliveries(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        self.with(|s| s.deliveries())
    }
    fn put_delivery(&self, key: &str, delivery: &Delivery) -> Result<(), StoreError> {
        self.with(|s| s.put_delivery(key, delivery))
    }
    fn remove_deliveries(&self, keys: &[String]) -> Result<(), StoreError> {
        self.with(|s| s.remove_deliveries(keys))
    }
}

impl HistoryStore for OnDemandStore {
    fn history(&self) -> Result<History, StoreError> {
        self.with(|s| s.history())
    }
    fn commit_history(&self, commit: &HistoryCommit) -> Result<(), StoreError> {
        self.with(|s| s.commit_history(commit))
    }
}
