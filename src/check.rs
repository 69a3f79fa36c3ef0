//! Checking a planned firmware update before rollout.
//!
//! A plan is an ordered list of steps; each step moves some systems or components to a target
//! version, optionally in a named window or on a date. The check answers two questions:
//!
//! 1. **What does the move change?** The inventory is copied with the target versions applied,
//!    matched and rated again, and compared with today: advisories **fixed** by the move, **still
//!    open**, **introduced** by the target (known bugs of the target version), and **unknown**.
//! 2. **Is the rollout itself dangerous?** Each hazard comes from an incident:
//!    - all members of a redundancy group in one step (both controllers at once);
//!    - a system and its backup or replica in the same step or window (First Server 2012: the backup
//!      must lag behind the update it protects against);
//!    - a controller update takes one controller down: the survivors carry the group's load, and
//!      above 100 % that is an outage (CTY 2017);
//!    - the update's own takeover/giveback exercises failover, so a failover-path bug in the running
//!      version becomes a certain outage (Docomo 2020);
//!    - no earlier step on a system of the same model (no canary; Jip-Base 2019 had no test
//!      environment);
//!    - a target version newer than any release the feeds know, or released very recently;
//!    - a downgrade.
//!
//! A system-level update of a system with a controller pair is taken to be a rolling
//! (non-disruptive) update: controllers go down one at a time, and controllers running the system's
//! OS version move with it.
//!
//! The verdict is `block` when any blocking hazard exists or the target introduces a high or
//! critical finding; `caution` for the other hazards, introduced lesser findings, unknowns, or
//! high/critical findings the move leaves open; `go` otherwise. Pure: plan text in, report out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::blast::{assess, Context, Finding, Severity};
use crate::classify::Overrides;
use crate::inventory::{ComponentRef, GroupKind, Inventory, SystemId};
use crate::matcher::{match_inventory, Index, MatchState};
use crate::model::{vendor_key, Advisory, ComponentKind, Effect, VersionSpec};
use crate::version::{Cmp, FwVersion};

/// Version of the JSON layout of [`CheckReport`].
pub const SCHEMA_VERSION: u32 = 1;

/// A release younger than this many days counts as "very recent".
pub const RECENT_DAYS: i64 = 14;

/// One thing a step updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub subject: ComponentRef,
    pub to: String,
}

/// One step of a rollout: everything in it happens at the same time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub window: Option<String>,
    pub date: Option<NaiveDate>,
    pub targets: Vec<Target>,
}

/// A validated plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

// ----------------------------------------------------------------------------------------------
// Plan files

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: toml::Spanned<String>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    date: Option<toml::Spanned<toml::value::Datetime>>,
    update: Vec<toml::Spanned<String>>,
    to: toml::Spanned<String>,
}

/// A problem in a plan file, with the byte range of the offending text.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDiagnostic {
    /// Stable kebab-case code.
    pub code: &'static str,
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// Stable codes of plan diagnostics.
pub const PLAN_CODES: &[&str] = &[
    "parse-error",
    "unknown-reference",
    "bad-firmware",
    "duplicate-step",
    "empty-plan",
    "bad-date",
];

/// Parse and validate a plan file against the inventory; every problem is reported, nothing
/// partial is returned.
pub fn parse_plan(text: &str, inv: &Inventory) -> Result<Plan, Vec<PlanDiagnostic>> {
    let raw: RawPlan = toml::from_str(text).map_err(|e| {
        vec![PlanDiagnostic {
            code: "parse-error",
            message: e.message().to_string(),
            span: e.span(),
        }]
    })?;
    let mut diags = Vec::new();
    let mut names = HashSet::new();
    let mut steps = Vec::new();
    if raw.step.is_empty() {
        diags.push(PlanDiagnostic {
            code: "empty-plan",
            message: "the plan has no [[step]]".into(),
            span: None,
        });
    }
    for s in raw.step {
        if !names.insert(s.name.get_ref().clone()) {
            diags.push(PlanDiagnostic {
                code: "duplicate-step",
                message: format!("step `{}` is defined twice", s.name.get_ref()),
                span: Some(s.name.span()),
            });
        }
        let date = match &s.date {
            None => None,
            Some(d) => match d.get_ref().date {
                Some(dd) if d.get_ref().time.is_none() => NaiveDate::from_ymd_opt(
                    i32::from(dd.year),
                    u32::from(dd.month),
                    u32::from(dd.day),
                ),
                _ => {
                    diags.push(PlanDiagnostic {
                        code: "bad-date",
                        message: "`date` must be a plain date such as 2026-12-05".into(),
                        span: Some(d.span()),
                    });
                    None
                }
            },
        };
        let mut targets = Vec::new();
        for u in &s.update {
            match resolve_target(inv, u.get_ref(), s.to.get_ref()) {
                Ok(t) => targets.push(t),
                Err((code, message)) => {
                    let span = if code == "bad-firmware" {
                        s.to.span()
                    } else {
                        u.span()
                    };
                    diags.push(PlanDiagnostic {
                        code,
                        message,
                        span: Some(span),
                    });
                }
            }
        }
        steps.push(Step {
            name: s.name.into_inner(),
            window: s.window,
            date,
            targets,
        });
    }
    if diags.is_empty() {
        Ok(Plan { steps })
    } else {
        Err(diags)
    }
}

/// Validate one `system` or `system/component` reference and its target version.
pub fn resolve_target(
    inv: &Inventory,
    reference: &str,
    to: &str,
) -> Result<Target, (&'static str, String)> {
    let subject: ComponentRef = reference
        .parse()
        .map_err(|e| ("unknown-reference", format!("{e}")))?;
    let system = inv.systems.get(&subject.system).ok_or_else(|| {
        (
            "unknown-reference",
            format!("no system `{}` in the inventory", subject.system),
        )
    })?;
    let current = match &subject.component {
        None => &system.firmware.version,
        Some(c) => {
            &system
                .component(c)
                .ok_or_else(|| {
                    (
                        "unknown-reference",
                        format!("system `{}` has no component `{c}`", system.id),
                    )
                })?
                .firmware
                .version
        }
    };
    FwVersion::parse(current.scheme(), to)
        .map_err(|e| ("bad-firmware", format!("target for {subject}: {e}")))?;
    Ok(Target {
        subject,
        to: to.trim().to_string(),
    })
}

// ----------------------------------------------------------------------------------------------
// The check

/// go / caution / block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Go,
    Caution,
    Block,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Go => "go",
            Verdict::Caution => "caution",
            Verdict::Block => "block",
        })
    }
}

/// A danger of the rollout itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// Stable code (see [`HAZARD_CODES`]).
    pub code: String,
    pub level: Verdict,
    pub step: String,
    pub reason: String,
}

/// Stable hazard codes.
pub const HAZARD_CODES: &[&str] = &[
    "group-in-one-step",
    "backup-with-primary",
    "survivor-overload",
    "failover-bug-exercised",
    "no-canary",
    "unknown-release",
    "recent-release",
    "downgrade",
    "no-redundancy-recorded",
    "load-not-recorded",
];

/// What the move does to one system's exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemDiff {
    pub system: SystemId,
    pub moves: Vec<String>,
    pub fixed: Vec<Finding>,
    pub still_open: Vec<Finding>,
    pub introduced: Vec<Finding>,
    pub unknown: Vec<Finding>,
}

/// The result of checking a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub today: NaiveDate,
    pub verdict: Verdict,
    /// The reasons that decided the verdict.
    pub decided_by: Vec<String>,
    pub plan: Plan,
    pub systems: Vec<SystemDiff>,
    pub hazards: Vec<Hazard>,
}

/// The inventory with the plan's targets applied (controllers on the system's OS version move with it).
pub fn apply(inv: &Inventory, plan: &Plan) -> Inventory {
    let mut out = inv.clone();
    for step in &plan.steps {
        for t in &step.targets {
            let Some(sys) = out.systems.get_mut(&t.subject.system) else {
                continue;
            };
            match &t.subject.component {
                None => {
                    let old = sys.firmware.version.raw().to_string();
                    if let Ok(v) = FwVersion::parse(sys.firmware.version.scheme(), &t.to) {
                        let v = std::sync::Arc::new(v);
                        for c in sys.components.iter_mut() {
                            if c.kind == ComponentKind::Controller
                                && c.firmware.version.raw() == old
                                && c.firmware.version.scheme() == v.scheme()
                            {
                                c.firmware.version = v.clone();
                            }
                        }
                        sys.firmware.version = v;
                    }
                }
                Some(cid) => {
                    if let Some(c) = sys.components.iter_mut().find(|c| c.id == *cid) {
                        if let Ok(v) = FwVersion::parse(c.firmware.version.scheme(), &t.to) {
                            c.firmware.version = v.into();
                        }
                    }
                }
            }
        }
    }
    out
}

fn rate_all(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    overrides: &Overrides,
    today: NaiveDate,
) -> Vec<Finding> {
    let exposures = match_inventory(inv, advisories, index);
    let ctx = Context::new(inv, advisories, &exposures, today);
    assess(&ctx, overrides)
}

/// Check a plan. `advisories` should already be classified and deduplicated.
pub fn check(
    inv: &Inventory,
    advisories: &[Advisory],
    overrides: &Overrides,
    plan: &Plan,
    today: NaiveDate,
) -> CheckReport {
    let index = Index::build(advisories);
    let before = rate_all(inv, advisories, &index, overrides, today);
    let after_inv = apply(inv, plan);
    let after = rate_all(&after_inv, advisories, &index, overrides, today);

    let touched: BTreeSet<&SystemId> = plan
        .steps
        .iter()
        .flat_map(|s| s.targets.iter().map(|t| &t.subject.system))
        .collect();
    let by_id = |v: &[Finding]| -> HashMap<String, Finding> {
        v.iter().map(|f| (f.id.clone(), f.clone())).collect()
    };
    let (b, a) = (by_id(&before), by_id(&after));
    let mut systems = Vec::new();
    for sys in &touched {
        let mut d = SystemDiff {
            system: (*sys).clone(),
            moves: vec![],
            fixed: vec![],
            still_open: vec![],
            introduced: vec![],
            unknown: vec![],
        };
        for step in &plan.steps {
            for t in step.targets.iter().filter(|t| &&t.subject.system == sys) {
                d.moves
                    .push(format!("{}: {} → {}", step.name, t.subject, t.to));
            }
        }
        for f in before.iter().filter(|f| &&f.system == sys) {
            match a.get(&f.id) {
                None => d.fixed.push(f.clone()),
                Some(after) if after.state == MatchState::Unknown => d.unknown.push(after.clone()),
                Some(after) => d.still_open.push(after.clone()),
            }
        }
        for f in after
            .iter()
            .filter(|f| &&f.system == sys && !b.contains_key(&f.id))
        {
            if f.state == MatchState::Unknown {
                d.unknown.push(f.clone());
            } else {
                d.introduced.push(f.clone());
            }
        }
        systems.push(d);
    }

    let hazards = hazards(inv, advisories, &before, plan, today);
    let mut decided_by = Vec::new();
    let mut verdict = Verdict::Go;
    for h in &hazards {
        if h.level > Verdict::Go {
            decided_by.push(format!("{}: {} [{}]", h.level, h.reason, h.code));
            verdict = verdict.max(h.level);
        }
    }
    for d in &systems {
        for f in &d.introduced {
            let level = if f.rating.severity >= Severity::High {
                Verdict::Block
            } else {
                Verdict::Caution
            };
            decided_by.push(format!(
                "{level}: the target introduces {} on {} ({}, {}: {})",
                f.advisory, d.system, f.rating.severity, f.rating.consequence, f.title
            ));
            verdict = verdict.max(level);
        }
        for f in &d.unknown {
            decided_by.push(format!(
                "caution: {} on {} cannot be decided after the move: {}",
                f.advisory, d.system, f.evidence
            ));
            verdict = verdict.max(Verdict::Caution);
        }
        for f in d
            .still_open
            .iter()
            .filter(|f| f.rating.severity >= Severity::High)
        {
            decided_by.push(format!(
                "caution: {} ({}) stays open on {} after the move",
                f.advisory, f.rating.severity, d.system
            ));
            verdict = verdict.max(Verdict::Caution);
        }
    }
    if decided_by.is_empty() {
        decided_by.push(
            "go: no hazard in the rollout and the target brings no known bug here".to_string(),
        );
    }
    CheckReport {
        schema_version: SCHEMA_VERSION,
        today,
        verdict,
        decided_by,
        plan: plan.clone(),
        systems,
        hazards,
    }
}

fn hazards(
    inv: &Inventory,
    advisories: &[Advisory],
    before: &[Finding],
    plan: &Plan,
    today: NaiveDate,
) -> Vec<Hazard> {
    let mut out = Vec::new();
    let mut h = |code: &str, level: Verdict, step: &str, reason: String| {
        out.push(Hazard {
            code: code.to_string(),
            level,
            step: step.to_string(),
            reason,
        });
    };
    let mut models_done: HashSet<String> = HashSet::new();
    let mut windows: BTreeMap<String, Vec<&SystemId>> = BTreeMap::new();

    for step in &plan.steps {
        let systems: BTreeSet<&SystemId> = step.targets.iter().map(|t| &t.subject.system).collect();
        let explicit: HashSet<&ComponentRef> = step.targets.iter().map(|t| &t.subject).collect();

        // All members of a redundancy group in one step.
        for g in inv.groups.values() {
            let updated: Vec<&ComponentRef> =
                g.members.iter().filter(|m| explicit.contains(m)).collect();
            if g.members.len() > 1 && updated.len() == g.members.len() {
                h("group-in-one-step", Verdict::Block, &step.name, format!(
                    "all {} members of {} ({}) are updated in the same step: nothing stays up to carry the load or keep the data",
                    g.members.len(), g.id, g.members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
            }
        }

        // A system and its backup or replica in the same step or window.
        for b in &inv.backups {
            if systems.contains(&b.of) && systems.contains(&b.to) && b.of != b.to {
                h("backup-with-primary", Verdict::Block, &step.name, format!(
                    "{} and its backup {} are updated in the same step: the backup must lag behind the update it protects against", b.of, b.to));
            }
        }
        if let Some(w) = &step.window {
            windows
                .entry(w.clone())
                .or_default()
                .extend(systems.iter().copied());
        }

        // Controllers going down during the update: survivors' load and failover exercised.
        for t in &step.targets {
            let Some(sys) = inv.systems.get(&t.subject.system) else {
                continue;
            };
            let groups: Vec<_> = inv
                .groups
                .values()
                .filter(|g| {
                    matches!(g.kind, GroupKind::ControllerPair)
                        && g.members.iter().any(|m| {
                            m == &t.subject || (t.subject.component.is_none() && m.system == sys.id)
                        })
                })
                .collect();
            let is_controller_update = t.subject.component.is_none()
                || sys
                    .component(t.subject.component.as_deref().unwrap_or_default())
                    .is_some_and(|c| c.kind == ComponentKind::Controller);
            if !is_controller_update {
                continue;
            }
            if groups.is_empty()
                && t.subject.component.is_none()
                && sys
                    .components
                    .iter()
                    .any(|c| c.kind == ComponentKind::Controller)
            {
                h("no-redundancy-recorded", Verdict::Caution, &step.name, format!("{}: no controller pair is recorded, so the update may take the system down", sys.id));
            }
            for g in groups {
                let n = g.members.len();
                match g.load {
                    Some(load) if n > 1 => {
                        let survivor = load * n as f64 / (n - 1) as f64;
                        if survivor > 1.0 {
                            h("survivor-overload", Verdict::Block, &step.name, format!(
                                "while one controller of {} is down for its update, the survivor carries {:.0} % of its capacity ({:.0} % each normally): over 100 % is an outage",
                                g.id, survivor * 100.0, load * 100.0));
                        } else if survivor > 0.9 {
                            h("survivor-overload", Verdict::Caution, &step.name, format!(
                                "while one controller of {} is down for its update, the survivor carries {:.0} % of its capacity: little headroom — schedule it at low load",
                                g.id, survivor * 100.0));
                        }
                    }
                    None => h("load-not-recorded", Verdict::Caution, &step.name, format!("{}: load per controller not recorded; cannot tell whether the survivor carries it during the update", g.id)),
                    _ => {}
                }
                for f in before.iter().filter(|f| {
                    f.system == sys.id
                        && f.state == MatchState::Confirmed
                        && f.effects.contains(&Effect::FailoverFailure)
                }) {
                    h("failover-bug-exercised", Verdict::Block, &step.name, format!(
                        "the running version has failover-path bug {} ({}); the update itself triggers failover (takeover/giveback) on {}, so the bug is certain to be exercised — fix it first by another path or with the vendor",
                        f.advisory, f.title, g.id));
                }
            }
        }

        // No canary: a step that moves several systems of a model no earlier step touched.
        let mut per_model: BTreeMap<String, Vec<&SystemId>> = BTreeMap::new();
        for s in &systems {
            if let Some(sys) = inv.systems.get(*s) {
                per_model
                    .entry(format!(
                        "{} {}",
                        vendor_key(&sys.vendor),
                        sys.model.to_lowercase()
                    ))
                    .or_default()
                    .push(s);
            }
        }
        for (model, ss) in &per_model {
            if !models_done.contains(model) && ss.len() > 1 {
                h("no-canary", Verdict::Caution, &step.name, format!(
                    "{} systems of model {model} ({}) are updated together with no earlier step on that model: update one first as a canary",
                    ss.len(), ss.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
            }
        }
        models_done.extend(per_model.into_keys());

        // Target versions: downgrade, unknown or very recent release.
        for t in &step.targets {
            release_hazards(inv, advisories, t, today, &step.name, &mut h);
        }
    }
    for (w, systems) in windows {
        for b in &inv.backups {
            if b.of != b.to && systems.contains(&&b.of) && systems.contains(&&b.to) {
                let same_step = plan.steps.iter().any(|s| {
                    s.targets.iter().any(|t| t.subject.system == b.of)
                        && s.targets.iter().any(|t| t.subject.system == b.to)
                });
                if !same_step {
                    h("backup-with-primary", Verdict::Block, &w, format!(
                        "{} and its backup {} are updated in the same window `{w}`: the backup must lag behind", b.of, b.to));
                }
            }
        }
    }
    out
}

fn release_hazards(
    inv: &Inventory,
    advisories: &[Advisory],
    t: &Target,
    today: NaiveDate,
    step: &str,
    h: &mut impl FnMut(&str, Verdict, &str, String),
) {
    let Some(sys) = inv.systems.get(&t.subject.system) else {
        return;
    };
    let (current, vendor) = match &t.subject.component {
        None => (&sys.firmware.version, sys.vendor.as_str()),
        Some(c) => match sys.component(c) {
            Some(c) => (&c.firmware.version, &*c.vendor),
            None => return,
        },
    };
    let Ok(target) = FwVersion::parse(current.scheme(), &t.to) else {
        return;
    };
    match target.compare(current) {
        Cmp::Less => h(
            "downgrade",
            Verdict::Caution,
            step,
            format!(
                "{}: {} → {} is a downgrade",
                t.subject,
                current.raw(),
                target.raw()
            ),
        ),
        Cmp::Incomparable(why) => h(
            "unknown-release",
            Verdict::Caution,
            step,
            format!(
                "{}: cannot order {} against the running {}: {why}",
                t.subject,
                target.raw(),
                current.raw()
            ),
        ),
        _ => {}
    }
    // Releases the feeds know for this vendor and scheme: fixed versions and range bounds.
    let vk = vendor_key(vendor);
    let mut known: Vec<FwVersion> = Vec::new();
    let mut released: Option<NaiveDate> = None;
    for a in advisories {
        for st in &a.affected {
            if vendor_key(if st.vendor.is_empty() {
                &a.vendor
            } else {
                &st.vendor
            }) != vk
            {
                continue;
            }
            let mut strings: Vec<&str> = st.fixed_in.iter().map(String::as_str).collect();
            match &st.versions {
                VersionSpec::Exact(v) => strings.push(v),
                VersionSpec::Range(r) => {
                    strings.extend(r.constraints().iter().map(|c| c.raw.as_str()))
                }
                _ => {}
            }
            for s in strings {
                if let Ok(v) = FwVersion::parse(current.scheme(), s) {
                    if v.compare(&target) == Cmp::Equal && st.fixed_in.iter().any(|f| f == s) {
                        if let Some(p) = a.published.or(a.modified) {
                            let d = p.date_naive();
                            released = Some(released.map_or(d, |r: NaiveDate| r.min(d)));
                        }
                    }
                    known.push(v);
                }
            }
        }
    }
    let newest_known = known
        .iter()
        .all(|k| !matches!(target.compare(k), Cmp::Less | Cmp::Equal));
    if !known.is_empty() && newest_known && known.iter().any(|k| target.compare(k) == Cmp::Greater)
    {
        h("unknown-release", Verdict::Caution, step, format!(
            "{}: target {} is newer than any release the feeds know for {vendor}: no advisory has vetted it yet", t.subject, target.raw()));
    }
    if let Some(d) = released {
        let age = (today - d).num_days();
        if age < RECENT_DAYS {
            h(
                "recent-release",
                Verdict::Caution,
                step,
                format!(
                    "{}: {} was released {age} days ago ({d}): let it age or canary it first",
                    t.subject,
                    target.raw()
                ),
            );
        }
    }
}
