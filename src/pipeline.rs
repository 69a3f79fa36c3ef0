//! The exposure pipeline shared by `exposure`, `check-update`, `notify` and `run`: which advisories
//! to read for an estate, how they are prepared (deduplicated, classified, annotated), and how feed
//! freshness is judged. One place, so every command rates the same way.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::blast::{assess, Context, Finding, Topology};
use crate::classify::{classify, Overrides};
use crate::collect::FeedDef;
use crate::history::{self, OutOfOrder};
use crate::inventory::{Inventory, LoadError, Parsed};
use crate::matcher::{dedup_advisories, match_beside, Index};
use crate::model::{vendor_key, Advisory};
use crate::report::{FeedFreshness, InventorySummary, Report};
use crate::store::{HistoryStore, Store, StoreError};

/// Vendor keys of everything in the inventory (systems and components).
pub fn vendor_keys(inv: &Inventory) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in inv.systems.values() {
        out.insert(vendor_key(&s.vendor));
        for c in &s.components {
            out.insert(vendor_key(&c.vendor));
        }
    }
    out
}

/// Read only the advisories that name a vendor present in the estate (through the store's vendor
/// index); an advisory about another vendor cannot match anything here.
pub fn load_advisories(store: &impl Store, inv: &Inventory) -> Result<Vec<Advisory>, StoreError> {
    advisories_for(store, &vendor_keys(inv))
}

/// The advisories naming any of these vendor keys, each once. Each key is read under every
/// spelling of its vendor ([`crate::vendor::spellings`]): a record indexed before an alias was
/// known sits under the alias's own spelling.
fn advisories_for(
    store: &impl Store,
    keys: &BTreeSet<String>,
) -> Result<Vec<Advisory>, StoreError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut spellings: BTreeSet<String> = keys
        .iter()
        .flat_map(|k| crate::vendor::spellings(k))
        .collect();
    // Exploitation signals concern every vendor.
    spellings.insert(crate::vendor::SIGNALS.to_string());
    for vk in &spellings {
        for a in store.advisories_for_vendor(vk)? {
            if seen.insert((a.source.feed.clone(), a.id.clone())) {
                out.push(a);
            }
        }
    }
    Ok(out)
}

/// Check a parsed inventory and read its advisories at the same time: the vendors are known from
/// the files before the references are checked, so the store lookups run beside the checks instead
/// of after them. The advisories are those [`load_advisories`] reads for the checked inventory
/// (on an inventory that checks, the vendors named in its files are its vendors); with an invalid
/// inventory they are read for nothing and the caller reports the inventory's problems.
pub fn load_estate<S: Store + Sync>(
    parsed: Parsed,
    store: &S,
) -> (
    Result<Inventory, LoadError>,
    Result<Vec<Advisory>, StoreError>,
) {
    let keys: BTreeSet<String> = parsed.vendors().into_iter().map(vendor_key).collect();
    std::thread::scope(|scope| {
        let advisories = scope.spawn(|| advisories_for(store, &keys));
        let inv = parsed.check();
        let advisories = advisories
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (inv, advisories)
    })
}

/// Deduplicate across feeds, derive effects and triggers, apply operator annotations.
pub fn prepare(advisories: Vec<Advisory>, overrides: &Overrides) -> Vec<Advisory> {
    let mut advisories = dedup_advisories(join_exploitation(advisories));
    for a in &mut advisories {
        let basis = classify(a);
        overrides.apply(a, basis);
    }
    advisories
}

/// Exploitation signals (KEV entries and EPSS rows: records of a signal format) joined into the
/// advisories of the same id or alias, and dropped as records: they name no products, so alone
/// they match nothing.
fn join_exploitation(advisories: Vec<Advisory>) -> Vec<Advisory> {
    let (signals, mut rest): (Vec<Advisory>, Vec<Advisory>) = advisories
        .into_iter()
        .partition(|a| a.source.format.is_signal());
    if signals.is_empty() {
        return rest;
    }
    let mut kev = std::collections::HashMap::new();
    let mut epss = std::collections::HashMap::new();
    for s in &signals {
        if let Some(e) = &s.exploited {
            kev.insert(s.id.as_str(), e);
        }
        if let Some(e) = &s.epss {
            epss.insert(s.id.as_str(), e);
        }
    }
    for a in &mut rest {
        let ids = || std::iter::once(&a.id).chain(&a.aliases);
        if a.exploited.is_none() {
            a.exploited = ids()
                .find_map(|id| kev.get(id.as_str()))
                .map(|e| (*e).clone());
        }
        if a.epss.is_none() {
            a.epss = ids().find_map(|id| epss.get(id.as_str())).map(|e| **e);
        }
    }
    rest
}

/// Match and rate prepared advisories against the estate.
pub fn findings(
    inv: &Inventory,
    advisories: &[Advisory],
    overrides: &Overrides,
    today: NaiveDate,
) -> Vec<Finding> {
    // The topology needs only the inventory: it is built on another core while the estate is
    // matched, and that core then matches too.
    let index = Index::build(advisories);
    let (exposures, topo) = match_beside(inv, advisories, &index, || Topology::new(inv));
    let ctx = Context::with_topology(topo, advisories, &exposures, today);
    assess(&ctx, overrides)
}

/// What one observation wrote to the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub day: NaiveDate,
    pub findings: usize,
    /// Finding records that changed (found, changed, resolved).
    pub changed: usize,
}

/// Fold `findings`, every finding of the estate rated as of `day`, into the store's history
/// ([`crate::history`]) in one transaction. `Ok(Err(_))`: the history already has a later day,
/// and nothing was written.
pub fn record_history(
    store: &impl HistoryStore,
    inv: &Inventory,
    findings: &[Finding],
    day: NaiveDate,
) -> Result<Result<Recorded, OutOfOrder>, StoreError> {
    let history = store.history()?;
    let commit = match history::observe(&history, findings, |s| inv.systems.contains_key(s), day) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    drop(history);
    store.commit_history(&commit)?;
    Ok(Ok(Recorded {
        day,
        findings: findings.len(),
        changed: commit.records.len(),
    }))
}

/// How fresh each feed's data is. A feed is stale when its last success is older than
/// `max_age_days`, or (without that limit) older than three times its schedule.
pub fn feed_statuses(
    store: &impl Store,
    feeds: &[FeedDef],
    now: DateTime<Utc>,
    max_age_days: Option<i64>,
) -> Result<Vec<FeedFreshness>, StoreError> {
    let mut out = Vec::new();
    for f in feeds.iter().filter(|f| f.enabled) {
        // The head only: the per-document records (hundreds of thousands in a large feed) say
        // nothing about freshness.
        let state = store.feed_head(&f.id)?.unwrap_or_default();
        let age = state.last_success.map(|t| (now - t).num_days());
        let limit = max_age_days.unwrap_or_else(|| {
            let sched = chrono::Duration::from_std(f.schedule)
                .unwrap_or_else(|_| chrono::Duration::days(1));
            (sched * 3).num_days().max(1)
        });
        let stale = state
            .last_success
            .is_none_or(|t| (now - t).num_days() >= limit);
        out.push(FeedFreshness {
            feed: f.id.to_string(),
            last_success: state.last_success,
            age_days: age,
            stale,
            last_error: state.last_error.clone(),
            failing: state
                .last_error_at
                .is_some_and(|e| state.last_success.is_none_or(|s| e > s)),
            rejected: state.rejected.len(),
        });
    }
    Ok(out)
}

/// Everything `exposure` shows, before filters.
pub fn exposure_report(
    inv: &Inventory,
    advisories: &[Advisory],
    overrides: &Overrides,
    feeds: Vec<FeedFreshness>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Report {
    let all = findings(inv, advisories, overrides, today);
    let unused = unused_triage(overrides, &all);
    let mut report = Report::new(
        now,
        today,
        InventorySummary {
            systems: inv.systems.len(),
            components: inv.component_count(),
            services: inv.services.len(),
            owners: inv.owners.len(),
        },
        advisories.len(),
        feeds,
        all,
    );
    report.warnings.extend(unused);
    report
}

/// A warning per triage entry that names no finding (a mistyped id, a fixed finding): a decision
/// about nothing.
pub fn unused_triage(overrides: &Overrides, findings: &[Finding]) -> Vec<String> {
    if overrides.triage.is_empty() {
        return Vec::new();
    }
    let keys = findings
        .iter()
        .map(|f| (&*f.advisory.id, &*f.advisory.aliases, f.system.as_str()));
    overrides
        .triage
        .unused(keys)
        .into_iter()
        .map(|e| {
            format!(
                "unused: the triage of `{}` ({} by {}) names no finding",
                e.finding, e.state, e.by
            )
        })
        .collect()
}
