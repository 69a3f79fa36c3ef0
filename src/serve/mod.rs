//! `firmwatch serve`: the dashboard and the REST API, served from the latest results.
//!
//! The server never rates anything on a request. A cycle (the `firmwatch` binary's: sync the due
//! feeds, rate, notify, record the history) ends by building a [`Snapshot`] — the report, the
//! inventory and prepared advisories it was rated on, the outbox, the feeds' rejected documents,
//! the history's totals — and the server swaps it in whole. Every page and API answer is read from
//! one snapshot, so a page never mixes two cycles, and the store is never opened by a request
//! (another command can use it between cycles).
//!
//! - [`auth`]: who may see what — the tokens, each for the whole estate or one owner;
//! - [`web`]: the routes, the pages (askama templates under `templates/serve/`) and the API;
//! - [`metrics`]: `/metrics` in the Prometheus text format.
//!
//! An owner's token sees exactly what `exposure --owner` shows ([`crate::notify::plan::Audience::view_for`]:
//! the findings on their systems in full, those on systems their services depend on cut to what
//! is theirs); the blast-radius picture, which draws a system's topology, is for the system's
//! owner only, as on the command line.

pub mod auth;
pub mod metrics;
pub mod web;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveDate, Utc};

use crate::blast::{Finding, Severity};
use crate::check::RolloutPlan;
use crate::classify::Overrides;
use crate::history::Summary;
use crate::inventory::Inventory;
use crate::model::Advisory;
use crate::notify::outbox::Delivery;
use crate::notify::plan::Audience;
use crate::report::timeline::{self, Timeline};
use crate::report::Report;
use crate::store::Rejected;

pub use auth::{Scope, Tokens};

/// How many months ahead the timeline and the overview's next triggers look.
pub const HORIZON_MONTHS: u32 = 24;

/// Everything the pages and the API show, from one cycle.
pub struct Snapshot {
    /// The report of the whole estate (every finding, unfiltered).
    pub report: Report,
    pub inv: Inventory,
    /// The prepared advisories the estate was rated on (the check-update page rates plans on them).
    pub advisories: Vec<Advisory>,
    pub overrides: Overrides,
    /// The outbox as the cycle left it: `(key, delivery)`.
    pub outbox: Vec<(String, Delivery)>,
    /// Per feed, the documents its last syncs rejected: `(location, rejection)`.
    pub rejected: BTreeMap<String, Vec<(String, Rejected)>>,
    /// The history's totals (`firmwatch history`), if any observation is recorded.
    pub history: Option<Summary>,
    /// The rollout plan whose steps the timeline marks (`serve --plan`).
    pub plan: Option<RolloutPlan>,
    /// How the cycle that built it went.
    pub cycle: Cycle,
    /// Finding id → (closed by triage, index in `report.triaged` or `report.findings`).
    ids: HashMap<String, (bool, usize)>,
    /// Advisory id → index in `advisories`.
    advisory_ids: HashMap<String, usize>,
    /// The whole estate's view, built with the snapshot; owners' views on first use.
    estate_view: View,
    owner_views: Mutex<HashMap<String, Arc<View>>>,
}

/// One cycle's timing and outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cycle {
    pub number: u64,
    pub finished: DateTime<Utc>,
    pub seconds: f64,
    /// What the notify step said (`None` when the cycle does not notify).
    pub notify: Option<String>,
}

/// The parts of a [`Snapshot`] a cycle hands over.
pub struct Parts {
    pub report: Report,
    pub inv: Inventory,
    pub advisories: Vec<Advisory>,
    pub overrides: Overrides,
    pub outbox: Vec<(String, Delivery)>,
    pub rejected: BTreeMap<String, Vec<(String, Rejected)>>,
    pub history: Option<Summary>,
    pub plan: Option<RolloutPlan>,
    pub cycle: Cycle,
}

/// A finding's severity counts, highest first: critical, high, medium, low, info.
pub type Counts = [usize; 5];

/// The index of a severity in [`Counts`].
pub fn count_slot(s: Severity) -> usize {
    match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

/// The severities in [`Counts`] order.
pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// What one scope sees, summed up for the overview and drawn for the timeline.
pub struct View {
    /// The scoped report (`None` for the whole estate: the snapshot's own report).
    scoped: Option<Report>,
    pub by_owner: Vec<(String, Counts)>,
    pub by_site: Vec<(String, Counts)>,
    /// The next dated triggers: (date, already past, finding id, system, title).
    pub next_triggers: Vec<Trigger>,
    pub timeline: Timeline,
}

/// A dated trigger ahead (or passed, still open).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Trigger {
    pub date: NaiveDate,
    pub past: bool,
    pub finding: String,
    pub system: String,
    pub severity: Severity,
    pub title: String,
}

impl View {
    fn build(
        report: Option<Report>,
        whole: &Report,
        inv: &Inventory,
        plan: Option<&RolloutPlan>,
        today: NaiveDate,
    ) -> View {
        let r = report.as_ref().unwrap_or(whole);
        let mut by_owner: BTreeMap<String, Counts> = BTreeMap::new();
        let mut by_site: BTreeMap<String, Counts> = BTreeMap::new();
        let mut triggers = Vec::new();
        let horizon = today
            .checked_add_months(chrono::Months::new(HORIZON_MONTHS))
            .unwrap_or(today);
        for f in &r.findings {
            let slot = count_slot(f.rating.severity);
            by_owner.entry(f.owner.to_string()).or_default()[slot] += 1;
            let site = inv
                .systems
                .get(&f.system)
                .and_then(|s| s.site.as_ref())
                .map_or_else(|| "(no site)".to_string(), ToString::to_string);
            by_site.entry(site).or_default()[slot] += 1;
            if let Some((date, past)) = timeline::dated(f, today) {
                if date <= horizon {
                    triggers.push(Trigger {
                        date,
                        past,
                        finding: f.id.clone(),
                        system: f.system.to_string(),
                        severity: f.rating.severity,
                        title: f.advisory.title.to_string(),
                    });
                }
            }
        }
        triggers.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.finding.cmp(&b.finding)));
        triggers.truncate(10);
        let timeline = timeline::build(&r.findings, inv, today, HORIZON_MONTHS, plan);
        View {
            scoped: report,
            by_owner: by_owner.into_iter().collect(),
            by_site: by_site.into_iter().collect(),
            next_triggers: triggers,
            timeline,
        }
    }

    /// The report this view is of.
    pub fn report<'a>(&'a self, snap: &'a Snapshot) -> &'a Report {
        self.scoped.as_ref().unwrap_or(&snap.report)
    }
}

impl Snapshot {
    pub fn new(p: Parts) -> Snapshot {
        let mut ids = HashMap::with_capacity(p.report.findings.len() + p.report.triaged.len());
        for (i, f) in p.report.findings.iter().enumerate() {
            ids.insert(f.id.clone(), (false, i));
        }
        for (i, f) in p.report.triaged.iter().enumerate() {
            ids.insert(f.id.clone(), (true, i));
        }
        let advisory_ids = p
            .advisories
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.to_string(), i))
            .collect();
        let estate_view = View::build(None, &p.report, &p.inv, p.plan.as_ref(), p.report.today);
        Snapshot {
            report: p.report,
            inv: p.inv,
            advisories: p.advisories,
            overrides: p.overrides,
            outbox: p.outbox,
            rejected: p.rejected,
            history: p.history,
            plan: p.plan,
            cycle: p.cycle,
            ids,
            advisory_ids,
            estate_view,
            owner_views: Mutex::new(HashMap::new()),
        }
    }

    /// The rating date.
    pub fn today(&self) -> NaiveDate {
        self.report.today
    }

    /// What one owner sees, built on first use and kept with the snapshot.
    fn owner_view(&self, owner: &str) -> Arc<View> {
        let mut views = self
            .owner_views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        views
            .entry(owner.to_string())
            .or_insert_with(|| {
                let audience = Audience::new(&self.inv);
                let r = self.report.mapped(|f| audience.view_for(f, &[owner]));
                Arc::new(View::build(
                    Some(r),
                    &self.report,
                    &self.inv,
                    self.plan.as_ref(),
                    self.today(),
                ))
            })
            .clone()
    }

    /// Run `f` on what `scope` sees.
    pub fn with_view<T>(&self, scope: &Scope, f: impl FnOnce(&View) -> T) -> T {
        match scope {
            Scope::Estate => f(&self.estate_view),
            Scope::Owner(o) => f(&self.owner_view(o)),
        }
    }

    /// The finding `id` as `scope` sees it (an owner's cut of it), and whether triage closed it.
    pub fn finding(&self, scope: &Scope, id: &str) -> Option<(Finding, bool)> {
        let &(closed, i) = self.ids.get(id)?;
        let f = if closed {
            &self.report.triaged[i]
        } else {
            &self.report.findings[i]
        };
        match scope {
            Scope::Estate => Some((f.clone(), closed)),
            Scope::Owner(o) => Audience::new(&self.inv)
                .view_for(f, &[o.as_str()])
                .map(|f| (f, closed)),
        }
    }

    /// The advisory a finding is of.
    pub fn advisory(&self, id: &str) -> Option<&Advisory> {
        self.advisory_ids.get(id).map(|&i| &self.advisories[i])
    }

    /// Whether `scope` may see the topology of `system` (the blast-radius picture).
    pub fn may_draw(&self, scope: &Scope, f: &Finding) -> bool {
        match scope {
            Scope::Estate => true,
            Scope::Owner(o) => f.owner.as_str() == o,
        }
    }

    /// The outbox entries `scope` may see.
    pub fn outbox<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a (String, Delivery)> {
        self.outbox.iter().filter(move |(_, d)| match scope {
            Scope::Estate => true,
            Scope::Owner(o) => d.message.owner.as_str() == o,
        })
    }
}

/// The snapshot being served, swapped whole at the end of each cycle, and how the cycles go.
#[derive(Clone)]
pub struct Shared {
    current: Arc<RwLock<Arc<Snapshot>>>,
    status: Arc<Mutex<Status>>,
}

/// The cycles so far.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Status {
    pub cycles: u64,
    /// The last failed cycle's error, cleared by the next good one.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl Shared {
    pub fn new(first: Snapshot) -> Shared {
        Shared {
            current: Arc::new(RwLock::new(Arc::new(first))),
            status: Arc::new(Mutex::new(Status {
                cycles: 1,
                ..Status::default()
            })),
        }
    }

    /// The snapshot now served.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Serve `next` from now on.
    pub fn replace(&self, next: Snapshot) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(next);
        let mut s = self.status();
        s.cycles += 1;
        s.last_error = None;
        s.last_error_at = None;
    }

    /// A cycle failed: the previous snapshot stays, the error is shown.
    pub fn failed(&self, error: String, at: DateTime<Utc>) {
        let mut s = self.status();
        s.cycles += 1;
        s.last_error = Some(error);
        s.last_error_at = Some(at);
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn status_now(&self) -> Status {
        self.status().clone()
    }
}
