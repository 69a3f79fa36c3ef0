//! What every command that rates the estate shares: the options that say which data to rate it on
//! (`--no-sync`, `--annotations`, `--today`, `--max-data-age`, `--max-discovered-age`), and
//! loading the inventory, the feed definitions and the annotations, with their diagnostics printed
//! the one way, and syncing the feeds that are due. `exposure`, `check-update`, `notify` and `run` use these, so they rate alike.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;

use firmwatch::classify::Overrides;
use firmwatch::collect::{self, FeedDef, SyncOptions};
use firmwatch::inventory::Inventory;
use firmwatch::store::Store;

use super::Global;

/// The data an estate is rated on, shared by `exposure`, `check-update`, `notify` and `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct EstateArgs {
    /// Do not sync the feeds whose data is older than their schedule first.
    #[arg(long)]
    pub no_sync: bool,
    /// Operator annotations and suppressions (default: `<feeds>/annotations.toml` if present).
    #[arg(long, value_name = "FILE")]
    pub annotations: Option<PathBuf>,
    /// The date time-triggered bugs are measured from (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
    /// Treat feed data older than this many days as stale: every output says so, and the run exits
    /// 3 (`exposure` with --fail-on; `check-update`: a `go` becomes `caution`; `notify` after
    /// delivering).
    #[arg(long, value_name = "DAYS")]
    pub max_data_age: Option<i64>,
    /// Warn when a system's discovered data (`<inventory>/discovered/`) is older than this
    /// (`36h`, `7d`, `2w`), or its last refresh failed.
    #[arg(long, value_name = "DURATION", value_parser = firmwatch::collect::feed::parse_schedule, default_value = "7d")]
    pub max_discovered_age: std::time::Duration,
}

/// Load the inventory, printing its diagnostics on failure.
pub fn load_inventory(global: &Global) -> Result<Option<Inventory>> {
    super::inventory::load_or_report(&global.inventory, global.color)
}

/// Load the feed definitions; on invalid files print the diagnostics to stderr and return `None`.
pub fn load_feeds(global: &Global) -> Result<Option<Vec<FeedDef>>> {
    match collect::load_feeds(&global.feeds) {
        Ok(feeds) => Ok(Some(feeds)),
        Err(err) => match &err {
            collect::FeedDefError::Invalid(diags) => {
                super::diagnostics::emit(
                    diags,
                    global.color,
                    format!("{err}; nothing was loaded"),
                )?;
                Ok(None)
            }
            collect::FeedDefError::Io { .. } => {
                Err(err).with_context(|| format!("loading feeds from {}", global.feeds.display()))
            }
        },
    }
}

/// Read the annotations file: the explicit one must exist; the default one is optional.
pub fn load_overrides(explicit: Option<&Path>, feeds_dir: &Path) -> Result<Overrides> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (feeds_dir.join(collect::ANNOTATIONS_FILE), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Overrides::parse(&path.display().to_string(), &text)?),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Overrides::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// What a rating command that is given its inventory rates on: the annotations, the advisories
/// of the inventory's vendors (due feeds synced first unless `--no-sync`), prepared, and the
/// feeds' freshness, as of `now` and the rating date `today`.
pub struct Rated {
    pub overrides: Overrides,
    pub advisories: Vec<firmwatch::model::Advisory>,
    pub statuses: Vec<firmwatch::report::FeedFreshness>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub today: NaiveDate,
}

/// Load what [`Rated`] holds for `inv`; `None` when the feed definitions are invalid (their
/// diagnostics printed).
pub fn load_rated(global: &Global, estate: &EstateArgs, inv: &Inventory) -> Result<Option<Rated>> {
    let Some(feeds) = load_feeds(global)? else {
        return Ok(None);
    };
    let overrides = load_overrides(estate.annotations.as_deref(), &global.feeds)?;
    if !estate.no_sync {
        // Held only while worked on, so a slow feed keeps no other command out.
        let syncing = global.on_demand_store();
        for w in super::runtime()?.block_on(sync_due(&syncing, &feeds)) {
            tracing::warn!("{w}");
        }
    }
    let store = global.open_store()?;
    let now = chrono::Utc::now();
    let today = estate.today.unwrap_or_else(|| now.date_naive());
    let advisories = firmwatch::pipeline::prepare(
        firmwatch::pipeline::load_advisories(&store, inv)?,
        &overrides,
    );
    let statuses = firmwatch::pipeline::feed_statuses(&store, &feeds, now, estate.max_data_age)?;
    Ok(Some(Rated {
        overrides,
        advisories,
        statuses,
        now,
        today,
    }))
}

/// An estate rated: the inventory, the advisories and annotations it was rated on, every
/// finding, and the feeds' freshness (what `serve` shows after a cycle).
pub struct RatedEstate {
    pub inv: Inventory,
    pub advisories: Vec<firmwatch::model::Advisory>,
    pub overrides: Overrides,
    pub findings: Vec<firmwatch::blast::Finding>,
    pub statuses: Vec<firmwatch::report::FeedFreshness>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub today: NaiveDate,
}

/// Sync the feeds that are due ([`FeedDef::is_due`](firmwatch::collect::FeedDef::is_due): a
/// failing feed only after its retry wait, so a broken mirror is not asked on every command). A
/// feed that fails is not an error here: its data age shows in the output; the returned lines say
/// which feeds could not be synced, and why.
pub async fn sync_due<S>(store: &S, feeds: &[FeedDef]) -> Vec<String>
where
    S: Store + Clone + Send + Sync + 'static,
{
    let opts = SyncOptions {
        only_due: true,
        nvd_api_key: std::env::var(super::sync::NVD_API_KEY_ENV)
            .ok()
            .filter(|k| !k.trim().is_empty()),
        ..SyncOptions::default()
    };
    let report = collect::sync(store, feeds, &opts).await;
    let mut failed = Vec::new();
    for f in &report.feeds {
        match &f.error {
            Some(e) => failed.push(format!("feed {} could not be synced: {e}", f.feed)),
            None => tracing::info!(
                "feed {}: {:?}, {} new, {} updated",
                f.feed,
                f.status,
                f.new,
                f.updated
            ),
        }
    }
    failed
}
