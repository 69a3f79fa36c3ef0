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
//!
//! ## Where things are
//!
//! - `mod.rs` (here): [`check`] and the [`Verdict`] it reaches.
//! - `plan.rs`: plan files, parsed and validated ([`parse_plan`], [`RolloutPlan`], [`PlanCode`]).
//! - `diff.rs`: the inventory after the move ([`apply`]) and what it changes per system.
//! - `hazards.rs`: one function per rollout hazard ([`Hazard`], [`HazardCode`]).
//!
//! Each part the plan updates also gets the release [`crate::recommend`] recommends for it,
//! beside the plan's target ([`PlanRecommendation`]). It informs and does not move the verdict:
//! what the target itself leaves open or introduces is already in the diff and the verdict.

mod diff;
mod hazards;
mod plan;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use diff::{apply, SystemDiff};
pub use hazards::{Hazard, HazardCode, RECENT_DAYS};
pub use plan::{
    parse_plan, plan_diagnostics, resolve_target, PlanCode, PlanDiagnostic, RolloutPlan, Step,
    Target,
};

use crate::blast::Severity;
use crate::classify::Overrides;
use crate::inventory::Inventory;
use crate::matcher::Index;
use crate::model::Advisory;
use crate::recommend::Recommendation;

/// Version of the JSON layout of [`CheckReport`] (3: `recommendations[]`).
pub const SCHEMA_VERSION: u32 = 3;

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

/// The result of checking a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub today: NaiveDate,
    pub verdict: Verdict,
    /// The reasons that decided the verdict.
    pub decided_by: Vec<String>,
    pub plan: RolloutPlan,
    pub systems: Vec<SystemDiff>,
    pub hazards: Vec<Hazard>,
    /// For each part the plan updates: the recommended release ([`crate::recommend`]) beside
    /// the plan's target. Informative: it does not move the verdict.
    pub recommendations: Vec<PlanRecommendation>,
}

/// The recommended release of one part the plan updates, and how the plan's target compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecommendation {
    /// The plan's last target for the part.
    pub target: String,
    /// `same`, `below` (the target is lower than the recommended release), `above`,
    /// `incomparable`, or `none` (no release is recommended).
    pub target_is: TargetIs,
    /// One line on what that means.
    pub note: String,
    pub recommendation: Recommendation,
}

/// How the plan's target compares with the recommended release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetIs {
    Same,
    Below,
    Above,
    Incomparable,
    None,
}

/// A check against old or missing advisory data cannot say `go`: with `max_data_age` (days) and
/// a feed older than that, or with no data for a feed at all, a `go` becomes `caution`, and
/// `decided_by` says why.
pub fn caution_on_data(
    report: &mut CheckReport,
    feeds: &[crate::report::FeedFreshness],
    max_data_age: Option<i64>,
) {
    if let Some(days) = max_data_age {
        if feeds.iter().any(|f| f.stale) {
            if report.verdict == Verdict::Go {
                report.verdict = Verdict::Caution;
            }
            report.decided_by.push(format!(
                "advisory data older than --max-data-age ({days} days): {}",
                crate::report::stale_feeds(feeds)
            ));
        }
    }
    if let Some(why) = crate::report::missing_data(feeds) {
        if report.verdict == Verdict::Go {
            report.verdict = Verdict::Caution;
        }
        report
            .decided_by
            .push(format!("advisory data missing: {why}"));
    }
}

/// Check a plan. `advisories` should already be classified and deduplicated.
pub fn check(
    inv: &Inventory,
    advisories: &[Advisory],
    overrides: &Overrides,
    plan: &RolloutPlan,
    today: NaiveDate,
) -> CheckReport {
    let index = Index::build(advisories);
    let before = diff::rate_all(inv, advisories, &index, overrides, today);
    let after_inv = apply(inv, plan);
    let after = diff::rate_all(&after_inv, advisories, &index, overrides, today);
    let systems = diff::diffs(plan, &before, &after);
    let hazards = hazards::hazards(inv, advisories, &before, plan, today);
    let (verdict, decided_by) = verdict(&hazards, &systems);
    let recommendations = recommendations(inv, advisories, &index, overrides, plan, today);
    CheckReport {
        schema_version: SCHEMA_VERSION,
        today,
        verdict,
        decided_by,
        plan: plan.clone(),
        systems,
        hazards,
        recommendations,
    }
}

/// The recommendation for every part the plan updates (in plan order, each once), compared
/// with the plan's last target for it.
fn recommendations(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    overrides: &Overrides,
    plan: &RolloutPlan,
    today: NaiveDate,
) -> Vec<PlanRecommendation> {
    let mut targets: Vec<(&crate::inventory::ComponentRef, &str)> = Vec::new();
    for t in plan.steps.iter().flat_map(|s| &s.targets) {
        match targets.iter_mut().find(|(s, _)| *s == &t.subject) {
            Some(slot) => slot.1 = &t.to,
            None => targets.push((&t.subject, &t.to)),
        }
    }
    let mut out = Vec::new();
    for (subject, to) in targets {
        // A plan's subjects are checked against the inventory when it is parsed; one that is
        // not there has nothing to recommend.
        let Ok(rec) = crate::recommend::recommend_with(
            inv,
            advisories,
            index,
            overrides,
            subject.system.as_str(),
            subject.component.as_deref(),
            today,
        ) else {
            continue;
        };
        let (target_is, note) = compare_target(&rec, to);
        out.push(PlanRecommendation {
            target: to.to_string(),
            target_is,
            note,
            recommendation: rec,
        });
    }
    out
}

fn compare_target(rec: &Recommendation, to: &str) -> (TargetIs, String) {
    let Some(release) = &rec.release else {
        return (TargetIs::None, rec.line());
    };
    let parse = |v: &str| crate::version::FwVersion::parse(rec.scheme, v).ok();
    let (Some(t), Some(r)) = (parse(to), parse(release)) else {
        return (
            TargetIs::Incomparable,
            format!(
                "the plan's target {to} cannot be read as a {} version",
                rec.scheme
            ),
        );
    };
    let candidate = rec
        .candidates
        .iter()
        .find(|c| parse(&c.version).is_some_and(|v| v.compare(&t) == crate::version::Cmp::Equal));
    match t.compare(&r) {
        crate::version::Cmp::Equal => (
            TargetIs::Same,
            format!("the plan's target {to} is the recommended release"),
        ),
        crate::version::Cmp::Less => (
            TargetIs::Below,
            match candidate {
                Some(c) => format!(
                    "the plan's target {to} is below the recommended {release}: it leaves open {}{}",
                    if c.leaves_open.is_empty() { "none".to_string() } else { c.leaves_open.join(", ") },
                    if c.introduces.is_empty() { String::new() } else { format!(" and introduces {}", c.introduces.join(", ")) }
                ),
                None => format!("the plan's target {to} is below the recommended {release}"),
            },
        ),
        crate::version::Cmp::Greater => (
            TargetIs::Above,
            format!(
                "the plan's target {to} is above the lowest clean release {release}: what it \
                 changes is in the diff above"
            ),
        ),
        crate::version::Cmp::Incomparable(why) => (
            TargetIs::Incomparable,
            format!("the plan's target {to} cannot be ordered against {release}: {why}"),
        ),
    }
}

/// An end-of-support finding whose date has not come yet.
fn approaching_end_of_support(f: &crate::blast::Finding) -> bool {
    f.rating.code == crate::blast::FindingCode::EndOfSupport
        && f.rating.consequence == crate::blast::Consequence::Informational
}

/// The verdict and the reasons that decided it: every hazard above `go`, every introduced
/// finding (blocking when high or critical), every finding undecidable after the move, and every
/// high or critical finding the move leaves open.
fn verdict(hazards: &[Hazard], systems: &[SystemDiff]) -> (Verdict, Vec<String>) {
    let mut decided_by = Vec::new();
    let mut verdict = Verdict::Go;
    for h in hazards {
        if h.level > Verdict::Go {
            decided_by.push(format!("{}: {} [{}]", h.level, h.reason, h.code));
            verdict = verdict.max(h.level);
        }
    }
    for d in systems {
        // A target line whose support ends some day is informative, not a reason for caution;
        // one already out of support is (`unsupported`, rated like any introduced finding).
        for f in d
            .introduced
            .iter()
            .filter(|f| !approaching_end_of_support(f))
        {
            let level = if f.rating.severity >= Severity::High {
                Verdict::Block
            } else {
                Verdict::Caution
            };
            decided_by.push(format!(
                "{level}: the target introduces {} on {} ({}, {}: {})",
                f.advisory.id, d.system, f.rating.severity, f.rating.consequence, f.advisory.title
            ));
            verdict = verdict.max(level);
        }
        for f in &d.unknown {
            decided_by.push(format!(
                "caution: {} on {} cannot be decided after the move: {}",
                f.advisory.id, d.system, f.evidence
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
                f.advisory.id, f.rating.severity, d.system
            ));
            verdict = verdict.max(Verdict::Caution);
        }
    }
    if decided_by.is_empty() {
        decided_by.push(
            "go: no hazard in the rollout and the target brings no known bug here".to_string(),
        );
    }
    (verdict, decided_by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    fn diff(
        introduced: Vec<crate::blast::Finding>,
        still_open: Vec<crate::blast::Finding>,
    ) -> SystemDiff {
        SystemDiff {
            system: "arr".parse().unwrap(),
            moves: vec![],
            fixed: vec![],
            still_open,
            introduced,
            unknown: vec![],
        }
    }

    /// Findings on a system with no backup: a data-loss bug (critical) and a performance bug.
    fn findings() -> (crate::blast::Finding, crate::blast::Finding) {
        let e = Estate::new().system("arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3");
        let bug = |id: &str, effect| {
            advisory_for(id, "Dell", "Unity", "vers:intdot/<6").effects(&[effect])
        };
        let f = run(
            &e,
            &[
                bug("FWN-1", Effect::DataLoss),
                bug("FWN-2", Effect::Performance),
            ],
        );
        (f[0].clone(), f[1].clone())
    }

    #[test]
    fn nothing_to_say_is_go_with_its_line() {
        let (v, why) = verdict(&[], &[diff(vec![], vec![])]);
        assert_eq!(v, Verdict::Go);
        assert_eq!(
            why,
            ["go: no hazard in the rollout and the target brings no known bug here"]
        );
    }

    #[test]
    fn hazards_then_introduced_and_open_findings_decide() {
        let (critical, minor) = findings();
        let hazard = Hazard {
            code: HazardCode::NoCanary,
            level: Verdict::Caution,
            step: "s".into(),
            reason: "two at once".into(),
        };
        let (v, why) = verdict(
            std::slice::from_ref(&hazard),
            &[diff(vec![minor.clone()], vec![])],
        );
        assert_eq!(v, Verdict::Caution);
        assert_eq!(why[0], "caution: two at once [no-canary]");
        assert!(
            why[1].starts_with("caution: the target introduces FWN-2 on arr (low, performance"),
            "{why:?}"
        );

        let (v, why) = verdict(&[], &[diff(vec![critical.clone()], vec![])]);
        assert_eq!(v, Verdict::Block, "{why:?}");
        assert!(why[0].starts_with(
            "block: the target introduces FWN-1 on arr (critical, data-loss-no-backup"
        ));

        let (v, why) = verdict(&[], &[diff(vec![], vec![critical, minor])]);
        assert_eq!(v, Verdict::Caution);
        assert_eq!(
            why,
            ["caution: FWN-1 (critical) stays open on arr after the move"]
        );
    }
}
