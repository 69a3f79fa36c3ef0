//! Blast radius: what a matched bug does **in this deployment**.
//!
//! Vendors rate a bug without knowing your topology; firmwatch rates it by walking the inventory and
//! answering, in plain words, *if this bug fires here, what stops, who is hit, can we recover, and
//! when can it fire?* Every rule below comes from a real outage (see `incidents.md`):
//!
//! - **Failover-path bug** (Docomo 2020): a redundant pair whose takeover is broken is a single point
//!   of failure. One hardware fault on either member is an outage of everything behind the pair, so
//!   the consequence is *service outage*, urgency *needs a fault*. The vendor's "rare case" label does
//!   not lower it.
//! - **Crash bug on members of a group** (CTY 2017): when one member crashes its load moves to the
//!   survivors: survivor load = group load / survivors. Above 100 % of one member's capacity that is
//!   an outage, not a slowdown (60 % + 60 % = 120 %). At or below 100 % it is *redundancy lost*.
//!   When every member runs the affected firmware the pair cannot protect against this bug (reason
//!   "common mode"), and when the trigger is time-based (uptime) the members fail *together*: outage.
//! - **Time-triggered bug** (HPE SSDs at 32,768 / 40,000 power-on hours): each drive set's date of
//!   reaching the threshold is computed from its last reading (or in-service date, assuming 24/7).
//!   When more drives of one RAID group reach it within [`WINDOW_DAYS`] than the group tolerates, the
//!   consequence is data loss on that date.
//! - **Data loss** (Jip-Base 2019, First Server 2012): recoverable only from a backup or replica that
//!   is on another system, shares no failure domain with the source, and is not itself exposed to the
//!   same advisory. Otherwise the loss is *without an independent backup*, the worst consequence.
//! - **Data unavailable**: an outage of the exposed scope: the whole system, or for an enclosure only
//!   the services placed on it (Canon 2020).
//! - **Settings**: the matcher only confirms a setting-triggered bug where the setting is on; the
//!   reason says so.
//! - **Reach**: services, users and tenants that depend on the system (for an enclosure: on that
//!   enclosure); a shared system counts every tenant.
//!
//! The **score** (0–100) is a base per consequence plus reach (users on a log scale, tenants,
//! criticality) plus urgency; the **severity** class follows from the score. Every term that moved the
//! score is a line in `reasons`, so an operator can argue with the rating. An *unknown* match keeps its
//! consequence but is scored lower and says why it is unknown.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::classify::{Overrides, SuppressionState};
use crate::inventory::{
    ComponentRef, GroupId, GroupKind, Inventory, OwnerId, RedundancyGroup, ServiceId, System,
    SystemId,
};
use crate::matcher::{Decision, Exposure, MatchState, Matches};
use crate::model::{Advisory, ComponentKind, Effect, Trigger};

/// Drives reaching a power-on-hours threshold within this many days count as failing together
/// (a rebuild of a large SSD group takes days; replacements must be ordered and fitted).
pub const WINDOW_DAYS: i64 = 30;

/// The reason line every finding with an undecided match ends with.
pub const UNKNOWN_REASON: &str =
    "UNKNOWN: the match could not be decided — review it; rated as if it applied, scaled down";

/// What happens if the bug fires here, ordered from least to most harmful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Consequence {
    Informational,
    Performance,
    Security,
    RedundancyLost,
    ServiceOutage,
    DataLossWithBackup,
    DataLossNoBackup,
}

impl Consequence {
    pub fn as_str(self) -> &'static str {
        match self {
            Consequence::Informational => "informational",
            Consequence::Performance => "performance",
            Consequence::Security => "security",
            Consequence::RedundancyLost => "redundancy-lost",
            Consequence::ServiceOutage => "service-outage",
            Consequence::DataLossWithBackup => "data-loss-with-backup",
            Consequence::DataLossNoBackup => "data-loss-no-backup",
        }
    }

    fn base_score(self) -> f64 {
        match self {
            Consequence::Informational => 5.0,
            Consequence::Performance => 20.0,
            Consequence::Security => 15.0,
            Consequence::RedundancyLost => 40.0,
            Consequence::ServiceOutage => 60.0,
            Consequence::DataLossWithBackup => 65.0,
            Consequence::DataLossNoBackup => 80.0,
        }
    }
}

impl fmt::Display for Consequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the bug can fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "date", rename_all = "kebab-case")]
pub enum Urgency {
    /// Already past its trigger (a threshold date has passed) or firing now.
    Triggering,
    /// Fires on this date (time-triggered).
    ByDate(NaiveDate),
    /// Can fire at any time in normal operation (no trigger, or its condition is present).
    Anytime,
    /// Needs a hardware fault elsewhere (failover-path bugs).
    NeedsFault,
    /// Needs a condition the inventory cannot confirm (a workload, degraded mode, unknown date).
    NeedsCondition,
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Urgency::Triggering => f.write_str("triggering"),
            Urgency::ByDate(d) => write!(f, "fires {d}"),
            Urgency::Anytime => f.write_str("anytime"),
            Urgency::NeedsFault => f.write_str("needs a fault"),
            Urgency::NeedsCondition => f.write_str("needs a condition"),
        }
    }
}

/// Severity class derived from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_score(score: u8) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            20..=39 => Severity::Low,
            _ => Severity::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high, critical)"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable codes of finding kinds, used in JSON, notifications and suppressions.
pub const CODES: &[&str] = &[
    "failover-spof",
    "survivor-overload",
    "common-mode-outage",
    "redundancy-lost",
    "service-outage",
    "raid-time-bomb",
    "time-bomb",
    "data-loss-no-backup",
    "data-loss-with-backup",
    "data-unavailable",
    "performance",
    "security",
    "security-dos",
    "management-plane",
    "unclassified",
];

/// Who is hit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    pub services: Vec<ServiceId>,
    pub users: u64,
    /// Sorted, without repeats.
    pub tenants: Vec<String>,
    pub max_criticality: Option<crate::inventory::Criticality>,
}

/// The rating of one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Stable code of the deciding rule (see [`CODES`]); borrowed from the rule, owned only when
    /// read back from JSON.
    pub code: Cow<'static, str>,
    pub consequence: Consequence,
    pub urgency: Urgency,
    /// Shared by the findings on one system that reach all of it (most of them).
    pub reach: Arc<Reach>,
    pub score: u8,
    pub severity: Severity,
    /// One line per fact that produced the rating. A line is shared by every finding that states
    /// it (the match evidence, a system's backups and reach …): each distinct text is held once.
    pub reasons: Vec<Arc<str>>,
}

/// One exposed part within a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub subject: ComponentRef,
    pub kind: ComponentKind,
    pub count: u32,
    pub firmware: Arc<str>,
}

/// Whether a finding is hidden by an operator suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Suppressed {
    No,
    Yes {
        reason: String,
        author: String,
        expires: NaiveDate,
    },
    Expired {
        reason: String,
        author: String,
        expired: NaiveDate,
    },
}

/// One advisory on one system, rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `ADVISORY@system`, stable across runs.
    pub id: String,
    // Texts of the advisory and the match are shared by every finding of that advisory
    // (`Arc<str>`): an estate with 400,000 findings holds each title once.
    pub advisory: Arc<str>,
    pub aliases: Arc<[String]>,
    pub title: Arc<str>,
    pub vendor: Arc<str>,
    pub vendor_severity: Option<Arc<str>>,
    pub cvss: Option<f64>,
    pub effects: Arc<[Effect]>,
    pub system: SystemId,
    pub system_name: Arc<str>,
    pub owner: OwnerId,
    pub state: MatchState,
    /// Why it matched, or why it could not be decided.
    pub evidence: Arc<str>,
    pub parts: Vec<Part>,
    /// How many parts in all (a drive set of 8 counts 8).
    pub part_count: u64,
    pub fixed_in: Vec<String>,
    pub rating: Rating,
    pub suppressed: Suppressed,
    pub source: Arc<str>,
    pub references: Arc<[String]>,
}

/// Everything the rating reads.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub advisories: &'a [Advisory],
    pub matches: &'a Matches,
    pub today: NaiveDate,
    topo: Topology<'a>,
    /// Shared texts of each advisory with exposures (by advisory index).
    texts: HashMap<u32, AdvisoryTexts>,
    /// The reason line every unknown finding ends with.
    unknown_line: Arc<str>,
}

/// An advisory's texts as findings carry them, made once per advisory.
struct AdvisoryTexts {
    id: Arc<str>,
    aliases: Arc<[String]>,
    title: Arc<str>,
    vendor: Arc<str>,
    vendor_severity: Option<Arc<str>>,
    effects: Arc<[Effect]>,
    source: Arc<str>,
    references: Arc<[String]>,
}

/// `(system, component)` positions as the matcher gives them ([`Exposure::SYSTEM`] for the system).
type Pos = (u32, u32);

/// A redundancy group with its members resolved to positions (same order as `group.members`).
struct GroupInfo<'a> {
    group: &'a RedundancyGroup,
    members: Vec<Pos>,
}

/// The inventory's relations indexed by position, so rating a finding never scans the estate and
/// never hashes an id: built once, every member reference resolved once. It depends on the
/// inventory alone, so it can be built while the estate is matched ([`Context::with_topology`]).
pub struct Topology<'a> {
    inventory: &'a Inventory,
    systems: Vec<&'a System>,
    /// Each system's display name, shared by its findings.
    names: Vec<Arc<str>>,
    groups: Vec<GroupInfo<'a>>,
    /// Per system: its subjects' first index in `member_groups_at` (the system itself, then its
    /// components), so a subject's number is `subject_base[s] + component + 1` (system: `+ 0`).
    subject_base: Vec<u32>,
    /// The groups each subject is a member of, as ranges of `member_groups`.
    member_groups_at: Vec<u32>,
    member_groups: Vec<u32>,
    /// Groups with a member in each system, in inventory order.
    system_groups: Vec<Vec<u32>>,
    services: Vec<Vec<&'a crate::inventory::Service>>,
    domains: Vec<Vec<&'a crate::inventory::FailureDomain>>,
    /// Backups of each system, with the target's position.
    backups: Vec<Vec<(&'a crate::inventory::Backup, Option<u32>)>>,
}

impl<'a> Topology<'a> {
    pub fn new(inv: &'a Inventory) -> Topology<'a> {
        fn push<'x, T>(v: &mut Vec<&'x T>, x: &'x T) {
            if !v.iter().any(|y| std::ptr::eq(*y, x)) {
                v.push(x);
            }
        }
        let systems: Vec<&System> = inv.systems.values().collect();
        let n = systems.len();
        let sys_index: HashMap<&str, u32> = systems
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as u32))
            .collect();
        let mut subject_base = Vec::with_capacity(n + 1);
        let mut next = 0u32;
        for s in &systems {
            subject_base.push(next);
            next += 1 + s.components.len() as u32;
        }
        subject_base.push(next);
        // Component lookups by id, per system, built only for systems that references name.
        let mut by_id: HashMap<u32, HashMap<&str, u32>> = HashMap::default();
        let mut resolve = |r: &ComponentRef| -> Option<Pos> {
            let s = *sys_index.get(r.system.as_str())?;
            let Some(c) = r.component.as_deref() else {
                return Some((s, Exposure::SYSTEM));
            };
            let ids = by_id.entry(s).or_insert_with(|| {
                systems[s as usize]
                    .components
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (&*c.id, i as u32))
                    .collect()
            });
            Some((s, *ids.get(c)?))
        };
        let mut groups = Vec::with_capacity(inv.groups.len());
        let mut system_groups: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for g in inv.groups.values() {
            let gi = groups.len() as u32;
            let members: Vec<Pos> = g.members.iter().filter_map(&mut resolve).collect();
            for &(s, c) in &members {
                let sg = &mut system_groups[s as usize];
                if sg.last() != Some(&gi) {
                    sg.push(gi);
                }
                let subject = subject_base[s as usize] + c.wrapping_add(1);
                pairs.push((subject, gi));
            }
            groups.push(GroupInfo { group: g, members });
        }
        for sg in &mut system_groups {
            sg.dedup();
        }
        // Group order per subject stays inventory order (stable sort by subject).
        pairs.sort_by_key(|&(subject, _)| subject);
        let mut member_groups_at = Vec::with_capacity(next as usize + 1);
        let mut k = 0;
        for subject in 0..next {
            member_groups_at.push(k as u32);
            while k < pairs.len() && pairs[k].0 == subject {
                k += 1;
            }
        }
        member_groups_at.push(k as u32);
        let member_groups = pairs.into_iter().map(|(_, g)| g).collect();
        let mut services = vec![Vec::new(); n];
        for svc in inv.services.values() {
            for d in &svc.depends_on {
                if let Some(&s) = sys_index.get(d.system.as_str()) {
                    push(&mut services[s as usize], svc);
                }
            }
        }
        let mut domains = vec![Vec::new(); n];
        for dom in inv.domains.values() {
            for m in &dom.members {
                if let Some(&s) = sys_index.get(m.system.as_str()) {
                    push(&mut domains[s as usize], dom);
                }
            }
        }
        let mut backups: Vec<Vec<(&crate::inventory::Backup, Option<u32>)>> = vec![Vec::new(); n];
        for b in &inv.backups {
            if let Some(&s) = sys_index.get(b.of.as_str()) {
                let list = &mut backups[s as usize];
                if !list.iter().any(|(x, _)| std::ptr::eq(*x, b)) {
                    list.push((b, sys_index.get(b.to.as_str()).copied()));
                }
            }
        }
        Topology {
            inventory: inv,
            names: systems.iter().map(|s| Arc::from(s.name.as_str())).collect(),
            systems,
            groups,
            subject_base,
            member_groups_at,
            member_groups,
            system_groups,
            services,
            domains,
            backups,
        }
    }

    fn component(&self, (s, c): Pos) -> Option<&'a crate::inventory::Component> {
        self.systems.get(s as usize)?.components.get(c as usize)
    }

    /// Groups the subject at `pos` is a member of, in inventory order.
    fn member_groups(&self, (s, c): Pos) -> impl Iterator<Item = &GroupInfo<'a>> + '_ {
        let subject = self.subject_base[s as usize] + c.wrapping_add(1);
        let from = self.member_groups_at[subject as usize] as usize;
        let to = self.member_groups_at[subject as usize + 1] as usize;
        self.member_groups[from..to]
            .iter()
            .map(|&g| &self.groups[g as usize])
    }
}

/// A [`ComponentRef`] borrowed from the inventory: the rating names subjects in its lines without
/// touching their ids' reference counts (shared by both rating threads); a finding's parts take
/// owned copies.
#[derive(Clone, Copy)]
struct SubjectRef<'a> {
    system: &'a SystemId,
    component: Option<&'a Arc<str>>,
}

impl SubjectRef<'_> {
    fn to_ref(self) -> ComponentRef {
        ComponentRef {
            system: self.system.clone(),
            component: self.component.cloned(),
        }
    }
}

impl fmt::Display for SubjectRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.component {
            None => write!(f, "{}", self.system),
            Some(c) => write!(f, "{}/{}", self.system, c),
        }
    }
}

/// An exposure as the rating reads it: the matcher's positions resolved against the inventory.
struct Exp<'a> {
    pos: Pos,
    subject: SubjectRef<'a>,
    kind: ComponentKind,
    count: u32,
    decision: &'a Decision,
}

impl<'a> Context<'a> {
    pub fn new(
        inventory: &'a Inventory,
        advisories: &'a [Advisory],
        matches: &'a Matches,
        today: NaiveDate,
    ) -> Context<'a> {
        Context::with_topology(Topology::new(inventory), advisories, matches, today)
    }

    /// As [`Context::new`], with the inventory's topology built already.
    pub fn with_topology(
        topo: Topology<'a>,
        advisories: &'a [Advisory],
        matches: &'a Matches,
        today: NaiveDate,
    ) -> Context<'a> {
        let mut texts = HashMap::default();
        for e in &matches.exposures {
            texts.entry(e.advisory).or_insert_with(|| {
                let a = &advisories[e.advisory as usize];
                AdvisoryTexts {
                    id: a.id.to_string().into(),
                    aliases: a.aliases.iter().map(ToString::to_string).collect(),
                    title: a.title.as_str().into(),
                    vendor: a.vendor.as_str().into(),
                    vendor_severity: a.vendor_severity.as_deref().map(Arc::from),
                    effects: a.effects.as_slice().into(),
                    source: a.source.location.as_str().into(),
                    references: a.references.as_slice().into(),
                }
            });
        }
        Context {
            inventory: topo.inventory,
            advisories,
            matches,
            today,
            topo,
            texts,
            unknown_line: Arc::from(UNKNOWN_REASON),
        }
    }

    fn exp(&self, e: &Exposure) -> Exp<'a> {
        let system = self.topo.systems[e.system as usize];
        let component = self.topo.component((e.system, e.component));
        Exp {
            pos: (e.system, e.component),
            subject: SubjectRef {
                system: &system.id,
                component: component.map(|c| &c.id),
            },
            kind: component.map_or(ComponentKind::System, |c| c.kind),
            count: component.map_or(1, |c| c.count),
            decision: self.matches.decision(e),
        }
    }

    /// Is the member at `pos` exposed to advisory `adv`? Controllers run their system's OS, so a
    /// system-level exposure covers its controllers too. `run` is the finding's exposures (of
    /// `adv` on one system, in the matcher's order): a member of that system is looked up there
    /// instead of among all the estate's exposures.
    fn member_exposed(&self, adv: usize, (s, c): Pos, run: &[Exp<'_>]) -> bool {
        let adv = adv as u32;
        let exposed = |c: u32| match run.first() {
            Some(e) if e.pos.0 == s => run
                .binary_search_by_key(&c.wrapping_add(1), |e| e.pos.1.wrapping_add(1))
                .is_ok(),
            _ => self.matches.is_exposed(adv, s, c),
        };
        if exposed(c) {
            return true;
        }
        if c == Exposure::SYSTEM || !exposed(Exposure::SYSTEM) {
            return false;
        }
        self.topo
            .component((s, c))
            .is_some_and(|c| c.kind == ComponentKind::Controller)
    }

    fn system_exposed(&self, adv: usize, system: u32) -> bool {
        !self.matches.on_system(adv as u32, system).is_empty()
    }
}

/// Rate every exposure, grouped into findings per (advisory, system), sorted by score, then by
/// advisory id and system id.
pub fn assess(ctx: &Context<'_>, overrides: &Overrides) -> Vec<Finding> {
    // The exposures are sorted by (advisory, system): each run is one finding.
    let all = &ctx.matches.exposures;
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut from = 0;
    for i in 1..=all.len() {
        if i == all.len()
            || (all[i].advisory, all[i].system) != (all[from].advisory, all[from].system)
        {
            runs.push(from..i);
            from = i;
        }
    }
    // Each finding is rated on its own from shared read-only data, so the runs are split over
    // the available cores, each filling its own part of one vector (no second copy of a few
    // hundred thousand findings); the sort below makes the order independent of the split.
    let rate_into = |runs: &[std::ops::Range<usize>], slots: &mut [Option<Finding>]| {
        let mut shared = Shared::default();
        for (run, slot) in runs.iter().zip(slots) {
            let exps: Vec<Exp<'_>> = all[run.clone()].iter().map(|e| ctx.exp(e)).collect();
            let first = &all[run.start];
            *slot = Some(finding(
                ctx,
                &mut shared,
                overrides,
                first.advisory as usize,
                first.system,
                &exps,
            ));
        }
    };
    let mut slots: Vec<Option<Finding>> = (0..runs.len()).map(|_| None).collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || runs.len() < 2_000 {
        rate_into(&runs, &mut slots);
    } else {
        let per = runs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            for (r, sl) in runs.chunks(per).zip(slots.chunks_mut(per)) {
                scope.spawn(move || rate_into(r, sl));
            }
        });
    }
    // Highest score first; equal scores keep the runs' order: advisory, then system (the
    // inventory's systems are in id order, and so are prepared advisories, `pipeline::prepare`).
    // A stable sort of positions by a score gathered beforehand (no finding is visited at random
    // during the sort), then each finding moved once into place along the permutation's cycles,
    // reusing the vector.
    let scores: Vec<u8> = slots
        .iter()
        .map(|f| f.as_ref().map_or(0, |f| f.rating.score))
        .collect();
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(scores[i]));
    for start in 0..order.len() {
        if order[start] == start {
            continue;
        }
        let first = slots[start].take();
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut order[at], at);
            if from == start {
                slots[at] = first;
                break;
            }
            slots[at] = slots[from].take();
            at = from;
        }
    }
    // `filter_map` (unlike `flatten`) collects in place: same size and alignment, no copy.
    #[allow(clippy::filter_map_identity)]
    slots.into_iter().filter_map(|f| f).collect()
}

/// What the findings rated by one thread share: each distinct reason line once, and each
/// system's reach. A system's lines (its backups, its reach, a crash of its controller pair …)
/// recur in the finding of every advisory on it, so each is held once, not once per finding.
#[derive(Default)]
struct Shared {
    lines: HashSet<Arc<str>>,
    /// By system index: the reach of the whole system and its reason line.
    reach: HashMap<u32, (Arc<Reach>, Option<Arc<str>>)>,
}

impl Shared {
    fn line(&mut self, text: String) -> Arc<str> {
        if let Some(a) = self.lines.get(text.as_str()) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(text);
        self.lines.insert(a.clone());
        a
    }

    /// The reach of `sys_idx` limited to `scope` (`None`: the whole system, computed once).
    fn reach(
        &mut self,
        ctx: &Context<'_>,
        sys_idx: u32,
        scope: Option<&[ComponentRef]>,
    ) -> (Arc<Reach>, Option<Arc<str>>) {
        if scope.is_none() {
            if let Some(r) = self.reach.get(&sys_idx) {
                return r.clone();
            }
        }
        let r = reach(ctx, sys_idx, scope);
        let line = reach_line(&r).map(|l| self.line(l));
        let out = (Arc::new(r), line);
        if scope.is_none() {
            self.reach.insert(sys_idx, out.clone());
        }
        out
    }
}

fn finding(
    ctx: &Context<'_>,
    shared: &mut Shared,
    overrides: &Overrides,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
) -> Finding {
    let adv = &ctx.advisories[adv_idx];
    let system = ctx.topo.systems[sys_idx as usize];
    let state = if exps
        .iter()
        .all(|e| e.decision.state == MatchState::Confirmed)
    {
        MatchState::Confirmed
    } else {
        MatchState::Unknown
    };
    let evidence = exps
        .iter()
        .find(|e| e.decision.state == state)
        .map_or_else(|| Arc::from(""), |e| e.decision.evidence.clone());
    let rating = rate(ctx, shared, adv_idx, sys_idx, exps, state, &evidence);
    let suppressed = match overrides.suppression_for(adv, system.id.as_str(), ctx.today) {
        SuppressionState::None => Suppressed::No,
        SuppressionState::Active(s) => Suppressed::Yes {
            reason: s.reason.clone(),
            author: s.author.clone(),
            expires: s.expires,
        },
        SuppressionState::Expired(s) => Suppressed::Expired {
            reason: s.reason.clone(),
            author: s.author.clone(),
            expired: s.expires,
        },
    };
    let mut fixed_in: Vec<String> = exps
        .iter()
        .flat_map(|e| e.decision.fixed_in.iter().cloned())
        .collect();
    fixed_in.sort();
    fixed_in.dedup();
    let texts = &ctx.texts[&(adv_idx as u32)];
    Finding {
        id: format!("{}@{}", adv.id, system.id),
        advisory: texts.id.clone(),
        aliases: texts.aliases.clone(),
        title: texts.title.clone(),
        vendor: texts.vendor.clone(),
        vendor_severity: texts.vendor_severity.clone(),
        cvss: adv.cvss.as_ref().map(|c| c.base_score),
        effects: texts.effects.clone(),
        system: system.id.clone(),
        system_name: ctx.topo.names[sys_idx as usize].clone(),
        owner: system.owner.clone(),
        state,
        evidence,
        parts: exps
            .iter()
            .map(|e| Part {
                subject: e.subject.to_ref(),
                kind: e.kind,
                count: e.count,
                firmware: e.decision.firmware.clone(),
            })
            .collect(),
        part_count: exps.iter().map(|e| u64::from(e.count)).sum(),
        fixed_in,
        rating,
        suppressed,
        source: texts.source.clone(),
        references: texts.references.clone(),
    }
}

/// One candidate reading of the consequence; the worst one decides.
struct Reading {
    code: &'static str,
    consequence: Consequence,
    urgency: Urgency,
    reasons: Vec<String>,
    /// Limit reach to services placed on these components (an enclosure); `None` = whole system.
    scope: Option<Vec<ComponentRef>>,
}

impl Reading {
    fn new(code: &'static str, consequence: Consequence, urgency: Urgency, reason: String) -> Self {
        Reading {
            code,
            consequence,
            urgency,
            reasons: vec![reason],
            scope: None,
        }
    }
}

/// `x` as a whole percentage. The same text as `format!("{:.0} %", x * 100.0)` (which rounds
/// the exact value, ties to even) without the float formatting machinery; a load is finite.
fn pct(x: f64) -> String {
    format!("{} %", (x * 100.0).round_ties_even() as i64)
}

/// "a", "a and b", "a, b and c": each part by its component id (a system by its id).
fn names<'r>(refs: impl IntoIterator<Item = &'r ComponentRef>) -> String {
    let v: SmallVec<[&str; 8]> = refs
        .into_iter()
        .map(|r| r.component.as_deref().unwrap_or(r.system.as_str()))
        .collect();
    let mut out = String::new();
    for (i, name) in v.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == v.len() { " and " } else { ", " });
        }
        out.push_str(name);
    }
    out
}

/// Redundancy groups relevant to an exposed subject: groups it is in; for a system-level exposure,
/// controller groups with members in that system.
fn groups_for<'c, 'a>(ctx: &'c Context<'a>, e: &Exp<'_>) -> SmallVec<[&'c GroupInfo<'a>; 4]> {
    let mut out: SmallVec<[&GroupInfo<'a>; 4]> = ctx.topo.member_groups(e.pos).collect();
    if e.pos.1 == Exposure::SYSTEM {
        for &gi in &ctx.topo.system_groups[e.pos.0 as usize] {
            let g = &ctx.topo.groups[gi as usize];
            if matches!(
                g.group.kind,
                GroupKind::ControllerPair | GroupKind::Multipath
            ) && !out.iter().any(|x| std::ptr::eq(*x, g))
            {
                out.push(g);
            }
        }
    }
    out
}

fn rate(
    ctx: &Context<'_>,
    shared: &mut Shared,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
    state: MatchState,
    evidence: &Arc<str>,
) -> Rating {
    let adv = &ctx.advisories[adv_idx];
    let system = ctx.topo.systems[sys_idx as usize];
    let mut readings: Vec<Reading> = Vec::new();
    let base_urgency = trigger_urgency(adv);

    for &effect in &adv.effects {
        match effect {
            Effect::FailoverFailure => readings.push(failover(ctx, exps, base_urgency)),
            Effect::ComponentCrash => {
                readings.extend(crash(ctx, adv_idx, system, exps, base_urgency))
            }
            Effect::DataUnavailable => readings.push(unavailable(system, exps, base_urgency)),
            Effect::DataLoss => {
                // Time-triggered drive failures are handled with their dates below.
                if !has_time_trigger(adv) {
                    readings.push(data_loss(ctx, adv_idx, sys_idx, base_urgency, "data-loss"));
                }
            }
            Effect::Performance => readings.push(Reading::new(
                "performance",
                Consequence::Performance,
                base_urgency,
                "the bug degrades performance (latency or throughput)".to_string(),
            )),
            Effect::Security => {
                let text = match &adv.cvss {
                    Some(c) => format!(
                        "security weakness, CVSS {} {} ({})",
                        c.version, c.base_score, c.vector
                    ),
                    None => "security weakness (no CVSS given)".to_string(),
                };
                let network_dos = adv.cvss.as_ref().is_some_and(|c| {
                    c.availability() == Some('H') && matches!(c.metric("AV"), Some('N') | Some('A'))
                });
                if network_dos {
                    readings.push(Reading::new(
                        "security-dos",
                        Consequence::ServiceOutage,
                        Urgency::NeedsCondition,
                        format!("{text}: an attacker who can reach it can stop {} (availability impact high)", system.id),
                    ));
                } else {
                    readings.push(Reading::new(
                        "security",
                        Consequence::Security,
                        Urgency::NeedsCondition,
                        text,
                    ));
                }
            }
            Effect::ManagementPlane => readings.push(Reading::new(
                "management-plane",
                Consequence::Informational,
                base_urgency,
                "management plane only: the data path is not affected".to_string(),
            )),
        }
    }
    if has_time_trigger(adv) {
        readings.extend(time_bomb(ctx, adv_idx, sys_idx, exps));
    }
    if readings.is_empty() {
        readings.push(Reading::new(
            "unclassified",
            Consequence::RedundancyLost,
            Urgency::NeedsCondition,
            "the advisory does not say what the bug does: rated as a possible loss of redundancy until annotated".to_string(),
        ));
    }

    // The worst reading decides; the others add their reasons.
    readings.sort_by_key(|r| std::cmp::Reverse(r.consequence));
    let mut top = readings.remove(0);
    let mut reasons: Vec<Arc<str>> = vec![evidence.clone()];
    reasons.extend(
        std::mem::take(&mut top.reasons)
            .into_iter()
            .map(|l| shared.line(l)),
    );
    for r in readings {
        for line in r.reasons {
            if !reasons.iter().any(|x| **x == *line) {
                reasons.push(shared.line(line));
            }
        }
    }
    let (reach, reach_line) = shared.reach(ctx, sys_idx, top.scope.as_deref());
    let mut score = top.consequence.base_score();
    if reach.users > 0 {
        let add = ((reach.users as f64).log10() * 3.0).min(20.0);
        score += add;
    }
    if reach.tenants.len() > 1 {
        score += (2.0 * (reach.tenants.len() as f64).log2()).min(10.0);
    }
    match reach.max_criticality {
        Some(crate::inventory::Criticality::Critical) => score += 5.0,
        Some(crate::inventory::Criticality::High) => score += 3.0,
        _ => {}
    }
    reasons.extend(reach_line);
    score += match top.urgency {
        Urgency::Triggering => 10.0,
        Urgency::ByDate(d) => {
            let days = (d - ctx.today).num_days();
            if days <= 90 {
                8.0
            } else if days <= 365 {
                4.0
            } else {
                0.0
            }
        }
        Urgency::Anytime => 2.0,
        Urgency::NeedsFault => -3.0,
        Urgency::NeedsCondition => -5.0,
    };
    if let Some(vs) = &adv.vendor_severity {
        reasons.push(shared.line(format!(
            "vendor's own rating: \"{vs}\" (an input, not the answer)"
        )));
    }
    if state == MatchState::Unknown {
        score *= 0.7;
        reasons.push(ctx.unknown_line.clone());
    }
    let score = score.clamp(0.0, 100.0).round() as u8;
    Rating {
        code: Cow::Borrowed(top.code),
        consequence: top.consequence,
        urgency: top.urgency,
        reach,
        score,
        severity: Severity::from_score(score),
        reasons,
    }
}

/// The reason line naming what a finding reaches, if it reaches anything.
fn reach_line(reach: &Reach) -> Option<String> {
    if reach.services.is_empty() && reach.tenants.is_empty() {
        return None;
    }
    Some(format!(
        "reaches {} service{}, {} users, {} tenant{}",
        reach.services.len(),
        if reach.services.len() == 1 { "" } else { "s" },
        thousands(reach.users),
        reach.tenants.len(),
        if reach.tenants.len() == 1 { "" } else { "s" },
    ))
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn has_time_trigger(adv: &Advisory) -> bool {
    adv.triggers
        .iter()
        .any(|t| matches!(t, Trigger::PowerOnHours { .. }))
}

/// Urgency implied by the advisory's non-time triggers.
fn trigger_urgency(adv: &Advisory) -> Urgency {
    let mut u = Urgency::Anytime;
    for t in &adv.triggers {
        match t {
            Trigger::HardwareFault => u = Urgency::NeedsFault,
            Trigger::DegradedMode | Trigger::Workload { .. } | Trigger::UptimeDays { .. } => {
                if u == Urgency::Anytime {
                    u = Urgency::NeedsCondition
                }
            }
            // The matcher confirmed the setting is on: the condition is present.
            Trigger::Setting { .. }
            | Trigger::PowerOnHours { .. }
            | Trigger::PlannedAction { .. } => {}
        }
    }
    u
}

fn failover(ctx: &Context<'_>, exps: &[Exp<'_>], base: Urgency) -> Reading {
    let urgency = if base == Urgency::Anytime {
        Urgency::NeedsFault
    } else {
        base
    };
    // Takeover between controllers (or paths) is what a failover-path bug breaks first; a replica
    // pair is the fallback only when no controller pair or multipath group is recorded.
    let rank = |k: &GroupKind| match k {
        GroupKind::ControllerPair => 0,
        GroupKind::Multipath => 1,
        GroupKind::ReplicaPair => 2,
        _ => 3,
    };
    let best = exps
        .iter()
        .flat_map(|e| groups_for(ctx, e).into_iter().map(move |g| (e, g)))
        .filter(|(_, g)| rank(&g.group.kind) < 3)
        .min_by_key(|(_, g)| rank(&g.group.kind));
    if let Some((e, g)) = best {
        let g = g.group;
        return Reading::new(
            "failover-spof",
            Consequence::ServiceOutage,
            urgency,
            format!(
                "failover between {} ({}) is broken by this bug: one hardware fault on either member stops {} — the pair is a single point of failure",
                names(&g.members),
                g.id,
                e.subject.system
            ),
        );
    }
    Reading::new(
        "redundancy-lost",
        Consequence::RedundancyLost,
        urgency,
        "failover is broken, but no controller pair or multipath group is recorded for the exposed parts".to_string(),
    )
}

/// How a drive crash bug meets the RAID group holding `e`: `None` when `e` is in no RAID group,
/// `Some(None)` when that group was described already, else the line naming how many of its
/// drives run the firmware against what the group tolerates.
fn raid_exposure<'a>(
    ctx: &'a Context<'_>,
    adv_idx: usize,
    e: &Exp<'_>,
    exps: &[Exp<'_>],
    seen: &mut HashSet<&'a GroupId>,
) -> Option<Option<String>> {
    let info = ctx
        .topo
        .member_groups(e.pos)
        .find(|g| matches!(g.group.kind, GroupKind::RaidGroup { .. }))?;
    let g = info.group;
    let GroupKind::RaidGroup { tolerance } = g.kind else {
        return None;
    };
    if !seen.insert(&g.id) {
        return Some(None);
    }
    let (mut size, mut exposed) = (0u32, 0u32);
    for &pos in &info.members {
        let Some(c) = ctx.topo.component(pos) else {
            continue;
        };
        size += c.count;
        if ctx.member_exposed(adv_idx, pos, exps) {
            exposed += c.count;
        }
    }
    Some(Some(if exposed > tolerance {
        format!(
            "{exposed} of {size} drives of {} run {} and can fail the same way; the RAID group \
             tolerates {tolerance}: more failures before a rebuild finishes lose its data",
            g.id, e.decision.firmware
        )
    } else {
        format!(
            "{exposed} of {size} drives of {} run {}; the RAID group tolerates {tolerance}: \
             redundancy is lost, data survives if rebuilds finish",
            g.id, e.decision.firmware
        )
    }))
}

fn crash(
    ctx: &Context<'_>,
    adv_idx: usize,
    system: &System,
    exps: &[Exp<'_>],
    base: Urgency,
) -> Vec<Reading> {
    let adv = &ctx.advisories[adv_idx];
    let simultaneous = adv
        .triggers
        .iter()
        .any(|t| matches!(t, Trigger::UptimeDays { .. }));
    let mut out = Vec::new();
    let mut seen = HashSet::default();
    for e in exps {
        let mut groups = groups_for(ctx, e);
        groups.retain(|g| !matches!(g.group.kind, GroupKind::RaidGroup { .. }));
        if groups.is_empty() {
            if has_time_trigger(adv) && e.kind == ComponentKind::Drive {
                continue; // dated by time_bomb
            }
            if e.kind == ComponentKind::Drive {
                if let Some(line) = raid_exposure(ctx, adv_idx, e, exps, &mut seen) {
                    if let Some(line) = line {
                        out.push(Reading::new(
                            "redundancy-lost",
                            Consequence::RedundancyLost,
                            base,
                            line,
                        ));
                    }
                    continue;
                }
            }
            out.push(match e.kind {
                ComponentKind::System
                | ComponentKind::Controller
                | ComponentKind::Hba
                | ComponentKind::Enclosure => Reading::new(
                    "service-outage",
                    Consequence::ServiceOutage,
                    base,
                    format!(
                        "{} crashes and nothing recorded takes over: {} stops",
                        e.subject, system.id
                    ),
                ),
                ComponentKind::Drive => Reading::new(
                    "redundancy-lost",
                    Consequence::RedundancyLost,
                    base,
                    format!(
                        "drives {} can fail; no RAID group is recorded for them",
                        e.subject
                    ),
                ),
                _ => Reading::new(
                    "redundancy-lost",
                    Consequence::RedundancyLost,
                    base,
                    format!("{} ({}) can crash", e.subject, e.kind),
                ),
            });
            continue;
        }
        for info in groups {
            let g = info.group;
            if !seen.insert(&g.id) {
                continue;
            }
            let members = &g.members;
            let mut exposed = members
                .iter()
                .zip(&info.members)
                .filter(|(_, &pos)| ctx.member_exposed(adv_idx, pos, exps))
                .map(|(m, _)| m);
            let first_exposed = exposed.next();
            let n_exposed = usize::from(first_exposed.is_some()) + exposed.count();
            let n = members.len();
            let all = n_exposed == n;
            let mut reasons = Vec::new();
            if all && n > 1 {
                reasons.push(format!(
                    "{} {} run {} (common mode): the survivor can crash the same way",
                    names(members),
                    if n == 2 { "both" } else { "all" },
                    e.decision.firmware
                ));
            }
            if all && simultaneous {
                reasons.insert(0, format!("the trigger is time-based and {} started together: they fail at the same time", names(members)));
                out.push(Reading {
                    code: "common-mode-outage",
                    consequence: Consequence::ServiceOutage,
                    urgency: base,
                    reasons,
                    scope: None,
                });
                continue;
            }
            let survivors = n.saturating_sub(1);
            if survivors == 0 {
                reasons.insert(
                    0,
                    format!(
                        "{} is the only member of {}: its crash is an outage",
                        names(members),
                        g.id
                    ),
                );
                out.push(Reading {
                    code: "service-outage",
                    consequence: Consequence::ServiceOutage,
                    urgency: base,
                    reasons,
                    scope: None,
                });
                continue;
            }
            match g.load {
                Some(load) => {
                    let survivor = load * n as f64 / survivors as f64;
                    let crashed = first_exposed.unwrap_or(&members[0]);
                    let others = || members.iter().filter(|m| *m != crashed);
                    let line = format!(
                        "if {} crashes, {} would carry {} of {} capacity ({} each in normal operation)",
                        names([crashed]),
                        names(others()),
                        pct(survivor),
                        if others().count() == 1 { "its" } else { "their" },
                        pct(load)
                    );
                    if survivor > 1.0 {
                        reasons.insert(
                            0,
                            format!("{line}: over 100 % is an outage, not a slowdown"),
                        );
                        out.push(Reading {
                            code: "survivor-overload",
                            consequence: Consequence::ServiceOutage,
                            urgency: base,
                            reasons,
                            scope: None,
                        });
                    } else {
                        reasons.insert(0, format!("{line}: degraded but running"));
                        out.push(Reading {
                            code: "redundancy-lost",
                            consequence: Consequence::RedundancyLost,
                            urgency: base,
                            reasons,
                            scope: None,
                        });
                    }
                }
                None => {
                    reasons.insert(0, format!("a crash leaves {} degraded; the load per member is not recorded, so whether the survivors can carry it is unknown", g.id));
                    out.push(Reading {
                        code: "redundancy-lost",
                        consequence: Consequence::RedundancyLost,
                        urgency: base,
                        reasons,
                        scope: None,
                    });
                }
            }
        }
    }
    out
}

fn unavailable(system: &System, exps: &[Exp<'_>], base: Urgency) -> Reading {
    let enclosure_scope: Vec<ComponentRef> = exps
        .iter()
        .filter(|e| e.kind == ComponentKind::Enclosure)
        .map(|e| e.subject.to_ref())
        .collect();
    if !enclosure_scope.is_empty() && exps.iter().all(|e| e.kind == ComponentKind::Enclosure) {
        let mut r = Reading::new(
            "data-unavailable",
            Consequence::ServiceOutage,
            base,
            format!(
                "data on {} becomes unavailable: what is placed there stops",
                names(&enclosure_scope)
            ),
        );
        r.scope = Some(enclosure_scope);
        return r;
    }
    Reading::new(
        "data-unavailable",
        Consequence::ServiceOutage,
        base,
        format!(
            "data on {} becomes unavailable (LUNs offline / outage)",
            system.id
        ),
    )
}

/// Is there an independent, unexposed backup of `system`? Returns the consequence and reasons.
fn backup_verdict(ctx: &Context<'_>, adv_idx: usize, sys_idx: u32) -> (Consequence, Vec<String>) {
    let system = ctx.topo.systems[sys_idx as usize];
    let my_domains: HashSet<_> = ctx.topo.domains[sys_idx as usize]
        .iter()
        .map(|d| &d.id)
        .collect();
    let mut reasons = Vec::new();
    let backups = &ctx.topo.backups[sys_idx as usize];
    if backups.is_empty() {
        reasons.push(format!("no backup or replica of {} is recorded", system.id));
        return (Consequence::DataLossNoBackup, reasons);
    }
    for &(b, to) in backups {
        let kind = match b.kind {
            crate::inventory::BackupKind::Backup => "backup",
            crate::inventory::BackupKind::Replica => "replica",
        };
        if b.to == system.id {
            reasons.push(format!("the {kind} of {} is on the same system", system.id));
            continue;
        }
        // The domains that hold the target system as a whole (what `Inventory::domains_of` answers
        // for a system-level ref), read from the per-system index in inventory order instead of
        // scanning every domain.
        let shared: Vec<String> = to
            .map_or(&[][..], |t| ctx.topo.domains[t as usize].as_slice())
            .iter()
            .filter(|d| {
                d.members
                    .iter()
                    .any(|m| m.component.is_none() && m.system == b.to)
            })
            .filter(|d| my_domains.contains(&d.id))
            .map(|d| d.id.to_string())
            .collect();
        if !shared.is_empty() {
            reasons.push(format!(
                "{kind} target {} shares failure domain {} with {}",
                b.to,
                shared.join(", "),
                system.id
            ));
            continue;
        }
        if to.is_some_and(|t| ctx.system_exposed(adv_idx, t)) {
            reasons.push(format!(
                "{kind} target {} is exposed to the same advisory",
                b.to
            ));
            continue;
        }
        return (
            Consequence::DataLossWithBackup,
            vec![format!("recoverable from {kind} on {} (another system and failure domain, not exposed to this advisory)", b.to)],
        );
    }
    (Consequence::DataLossNoBackup, reasons)
}

fn data_loss(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    base: Urgency,
    what: &str,
) -> Reading {
    let system = ctx.topo.systems[sys_idx as usize];
    let (consequence, mut reasons) = backup_verdict(ctx, adv_idx, sys_idx);
    let code = if consequence == Consequence::DataLossNoBackup {
        "data-loss-no-backup"
    } else {
        "data-loss-with-backup"
    };
    reasons.insert(
        0,
        format!("the bug can lose or corrupt data on {} ({what})", system.id),
    );
    Reading {
        code,
        consequence,
        urgency: base,
        reasons,
        scope: None,
    }
}

/// The date a drive set reaches `hours` power-on hours, assuming 24/7 operation.
pub fn threshold_date(c: &crate::inventory::Component, hours: u64) -> Option<NaiveDate> {
    if let Some(poh) = c.power_on_hours {
        let remaining = hours as i64 - poh.hours as i64;
        return poh.read_on.checked_add_signed(Duration::hours(remaining));
    }
    c.in_service
        .and_then(|d| d.checked_add_signed(Duration::hours(hours as i64)))
}

fn time_bomb(ctx: &Context<'_>, adv_idx: usize, sys_idx: u32, exps: &[Exp<'_>]) -> Vec<Reading> {
    let adv = &ctx.advisories[adv_idx];
    let Some(hours) = adv.triggers.iter().find_map(|t| match t {
        Trigger::PowerOnHours { hours } => Some(*hours),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen_groups = HashSet::default();
    for e in exps {
        let raid = ctx
            .topo
            .member_groups(e.pos)
            .find(|g| matches!(g.group.kind, GroupKind::RaidGroup { .. }));
        match raid {
            Some(info) => {
                let g = info.group;
                if !seen_groups.insert(&g.id) {
                    continue;
                }
                let GroupKind::RaidGroup { tolerance } = g.kind else {
                    continue;
                };
                // Every exposed drive set of the group with its date (and its place in the group,
                // which only breaks ties).
                let mut dated: Vec<(NaiveDate, u32, usize)> = Vec::new();
                let mut undated = Vec::new();
                let mut group_size = 0u32;
                for (k, (m, &pos)) in g.members.iter().zip(&info.members).enumerate() {
                    let Some(c) = ctx.topo.component(pos) else {
                        continue;
                    };
                    group_size += c.count;
                    if !ctx.member_exposed(adv_idx, pos, exps) {
                        continue;
                    }
                    match threshold_date(c, hours) {
                        Some(d) => dated.push((d, c.count, k)),
                        None => undated.push(m.to_string()),
                    }
                }
                dated.sort();
                // The largest number of drives reaching the threshold within WINDOW_DAYS.
                let mut worst = (0u32, None::<NaiveDate>);
                for (i, (start, _, _)) in dated.iter().enumerate() {
                    let n: u32 = dated[i..]
                        .iter()
                        .take_while(|(d, _, _)| (*d - *start).num_days() <= WINDOW_DAYS)
                        .map(|(_, c, _)| c)
                        .sum();
                    if n > worst.0 {
                        worst = (n, Some(*start));
                    }
                }
                let mut reasons = Vec::new();
                if let Some(first) = worst.1 {
                    let when = match first.cmp(&ctx.today) {
                        std::cmp::Ordering::Less => {
                            format!("reached it on {first} (past: check these drives now)")
                        }
                        std::cmp::Ordering::Equal => format!("reach it today ({first})"),
                        std::cmp::Ordering::Greater => format!("reach it on {first}"),
                    };
                    reasons.push(format!(
                        "{} drives of {} ({}) {} — {} power-on hours, the bug's threshold; the RAID group tolerates {} of {}",
                        worst.0, g.id, e.decision.firmware, when, thousands(hours), tolerance, group_size
                    ));
                }
                if !undated.is_empty() {
                    reasons.push(format!("power-on hours and in-service date not recorded for {}: cannot date their failure", undated.join(", ")));
                }
                let urgency = match worst.1 {
                    Some(d) if d <= ctx.today => Urgency::Triggering,
                    Some(d) => Urgency::ByDate(d),
                    None => Urgency::NeedsCondition,
                };
                if worst.0 > tolerance || (!undated.is_empty() && worst.1.is_none()) {
                    let (consequence, more) = backup_verdict(ctx, adv_idx, sys_idx);
                    reasons.extend(more);
                    out.push(Reading {
                        code: "raid-time-bomb",
                        consequence,
                        urgency,
                        reasons,
                        scope: None,
                    });
                } else {
                    reasons.push("fewer drives fail together than the group tolerates: redundancy is lost, data survives if rebuilds finish".to_string());
                    out.push(Reading {
                        code: "time-bomb",
                        consequence: Consequence::RedundancyLost,
                        urgency,
                        reasons,
                        scope: None,
                    });
                }
            }
            None => {
                let Some(comp) = ctx.topo.component(e.pos) else {
                    continue;
                };
                let date = threshold_date(comp, hours);
                let (consequence, mut reasons) = backup_verdict(ctx, adv_idx, sys_idx);
                let urgency = match date {
                    Some(d) if d <= ctx.today => Urgency::Triggering,
                    Some(d) => Urgency::ByDate(d),
                    None => Urgency::NeedsCondition,
                };
                reasons.insert(0, match date {
                    Some(d) => format!("{} × {} ({}) reach {} power-on hours on {d} and fail; no RAID group is recorded for them", comp.count, e.subject, e.decision.firmware, thousands(hours)),
                    None => format!("{} fails at {} power-on hours; hours and in-service date are not recorded", e.subject, thousands(hours)),
                });
                out.push(Reading {
                    code: "time-bomb",
                    consequence,
                    urgency,
                    reasons,
                    scope: None,
                });
            }
        }
    }
    out
}

/// Services, users and tenants that depend on `system` (limited to `scope` components if given).
fn reach(ctx: &Context<'_>, sys_idx: u32, scope: Option<&[ComponentRef]>) -> Reach {
    let system = ctx.topo.systems[sys_idx as usize];
    let mut r = Reach::default();
    for s in &ctx.topo.services[sys_idx as usize] {
        let hit = s.depends_on.iter().any(|d| {
            d.system == system.id
                && match (scope, &d.component) {
                    (None, _) => true,
                    (Some(_), None) => true,
                    (Some(sc), Some(_)) => sc.contains(d),
                }
        });
        if hit {
            r.services.push(s.id.clone());
            r.users += s.users;
            r.tenants.extend(s.tenants.iter().cloned());
            r.max_criticality = r.max_criticality.max(Some(s.criticality));
        }
    }
    r.tenants.extend(system.tenants.iter().cloned());
    r.tenants.sort_unstable();
    r.tenants.dedup();
    r
}
