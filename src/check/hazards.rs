//! Hazards of the rollout itself, one function per hazard, each from an incident.
//!
//! [`hazards`] walks the plan step by step and asks each question in a fixed order (the order the
//! report lists them in): are all members of a group in this step, is a system updated with its
//! backup, what happens to each controller group while one member is down for its update, is a
//! model updated without a canary, and is each target version a downgrade, unknown or very
//! recent. Backups updated with their primary in one *window* across steps are found last.
//!
//! The file is over 700 lines because every hazard's unit tests sit beside it (the code is about
//! 520 lines, the rest is tests): one function and its tests read together.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::plan::{RolloutPlan, Step, Target};
use super::Verdict;
use crate::blast::{Finding, Urgency};
use crate::compat;
use crate::inventory::{ComponentRef, GroupKind, Inventory, RedundancyGroup, System, SystemId};
use crate::matcher::MatchState;
use crate::model::{vendor_key, Advisory, ComponentKind, Effect, VersionSpec};
use crate::version::{Cmp, FwVersion};

/// A release younger than this many days counts as "very recent".
pub const RECENT_DAYS: i64 = 14;

/// A danger of the rollout itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    pub code: HazardCode,
    pub level: Verdict,
    pub step: String,
    pub reason: String,
}

crate::diag::codes! {
    /// Stable code of a rollout hazard, used in the check report (JSON, table, Markdown) and in the
    /// reasons of the verdict. Kebab-case on the wire; closed, so every hazard above has its code
    /// here and the codes test keeps every code of the crate unique.
    pub enum HazardCode {
        /// All members of a redundancy group in one step.
        GroupInOneStep = "group-in-one-step",
        /// A system and its backup or replica in one step or one window.
        BackupWithPrimary = "backup-with-primary",
        /// A controller down for its update overloads the survivor: above 90 % (caution) or 100 %
        /// (block). Not the finding code `survivor-overload`, which is about a crash.
        RolloutOverload = "rollout-overload",
        /// The update's takeover exercises a failover-path bug of the running version.
        FailoverBugExercised = "failover-bug-exercised",
        /// Several systems of one model in a step with no earlier step on that model.
        NoCanary = "no-canary",
        /// A target that cannot be ordered, or newer than any release the feeds know.
        UnknownRelease = "unknown-release",
        /// A target released fewer than [`RECENT_DAYS`] ago.
        RecentRelease = "recent-release",
        /// A step after which a part runs a version its partner (replica, cluster peer, drive,
        /// shelf, HBA) does not support, by a compatibility statement of the feeds (block; caution
        /// when it cannot be decided).
        PartnerIncompatible = "partner-incompatible",
        /// A step that updates parts on or after the date a dated bug of theirs fires (block),
        /// within [`LATE_MARGIN_DAYS`] before it, or without a date of its own (caution).
        TooLate = "too-late",
        /// A target older than the running version.
        Downgrade = "downgrade",
        /// A system with controllers but no recorded controller pair.
        NoRedundancyRecorded = "no-redundancy-recorded",
        /// A controller pair without a recorded load.
        LoadNotRecorded = "load-not-recorded",
    }
}

fn hazard(code: HazardCode, level: Verdict, step: &str, reason: String) -> Hazard {
    Hazard {
        code,
        level,
        step: step.to_string(),
        reason,
    }
}

/// Every hazard of `plan`, step by step. `before` is today's rating of the estate (the running
/// versions' bugs).
pub(super) fn hazards(
    inv: &Inventory,
    advisories: &[Advisory],
    before: &[Finding],
    plan: &RolloutPlan,
    today: NaiveDate,
) -> Vec<Hazard> {
    let mut out = Vec::new();
    let mut models_done: HashSet<String> = HashSet::new();
    let mut windows: BTreeMap<String, Vec<&SystemId>> = BTreeMap::new();

    for step in &plan.steps {
        let systems: BTreeSet<&SystemId> = step.targets.iter().map(|t| &t.subject.system).collect();
        group_in_one_step(inv, step, &mut out);
        backup_with_primary(inv, step, &systems, &mut out);
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
            if !is_controller_update(sys, t) {
                continue;
            }
            let groups = controller_groups(inv, sys, t);
            no_redundancy_recorded(sys, t, &groups, step, &mut out);
            for g in groups {
                rollout_overload(g, step, &mut out);
                load_not_recorded(g, step, &mut out);
                failover_bug_exercised(sys, g, before, step, &mut out);
            }
        }

        no_canary(inv, step, &systems, &mut models_done, &mut out);
        too_late(before, step, today, &mut out);

        // Target versions: downgrade, unknown or very recent release.
        for t in &step.targets {
            let Some(v) = versions(inv, t) else {
                continue;
            };
            downgrade(t, &v, step, &mut out);
            let known = known_releases(advisories, &v);
            // The feeds name this exact version as a fix: known, though opaque drive firmware
            // (HPD7 → HPD8) cannot be ordered.
            if !known.target_is_a_fix {
                unorderable_release(t, &v, step, &mut out);
            }
            unknown_release(t, &v, &known, step, &mut out);
            recent_release(t, &v, &known, today, step, &mut out);
        }
    }
    backup_in_one_window(inv, plan, &windows, &mut out);
    partner_incompatible(inv, advisories, plan, &mut out);
    out
}

/// The estate after each step, in order, against the feeds' compatibility statements: a step
/// that leaves a part on a version its partner does not support (and that was not so before the
/// step) is blocked, naming both sides and the versions required; one that leaves it undecidable
/// is a caution. A plan that updates the partner first passes.
fn partner_incompatible(
    inv: &Inventory,
    advisories: &[Advisory],
    plan: &RolloutPlan,
    out: &mut Vec<Hazard>,
) {
    if advisories.iter().all(|a| a.requires.is_empty()) {
        return;
    }
    let key = |v: &compat::Violation| (v.advisory.clone(), v.subject.clone(), v.partner.clone());
    let mut before: HashSet<_> = compat::violations(inv, advisories)
        .iter()
        .map(key)
        .collect();
    let mut running = inv.clone();
    for step in &plan.steps {
        super::diff::apply_step(&mut running, step);
        let now = compat::violations(&running, advisories);
        for v in now.iter().filter(|v| !before.contains(&key(v))) {
            let level = if v.broken {
                Verdict::Block
            } else {
                Verdict::Caution
            };
            out.push(hazard(
                HazardCode::PartnerIncompatible,
                level,
                &step.name,
                format!("after this step {}", v.line),
            ));
        }
        before = now.iter().map(key).collect();
    }
}

/// A step landing this close before a dated bug fires is a caution.
pub const LATE_MARGIN_DAYS: i64 = 7;

/// Whether updating `target` updates `part` (the part itself, or its whole system).
fn covers(target: &ComponentRef, part: &ComponentRef) -> bool {
    target == part || (target.component.is_none() && target.system == part.system)
}

/// Dated findings on the parts a step updates (a power-on-hours time bomb) set a deadline: a
/// step on or after the date updates parts that have already failed (block), one within
/// [`LATE_MARGIN_DAYS`] before it leaves no margin for a slipped window (caution), and a step
/// without a date cannot be checked against it (caution, naming the date). A finding already
/// past its date (`triggering`) fires before any step can land.
fn too_late(before: &[Finding], step: &Step, today: NaiveDate, out: &mut Vec<Hazard>) {
    // An end of support is no deadline for an update: moving off the line is the remedy.
    for f in before.iter().filter(|f| {
        f.state == MatchState::Confirmed && f.rating.code != crate::blast::FindingCode::EndOfSupport
    }) {
        let fires = match f.rating.urgency {
            Urgency::ByDate(d) => d,
            Urgency::Triggering => today,
            _ => continue,
        };
        let parts: Vec<String> = f
            .parts
            .iter()
            .filter(|p| step.targets.iter().any(|t| covers(&t.subject, &p.subject)))
            .map(|p| format!("{} × {}", p.count, p.subject))
            .collect();
        if parts.is_empty() {
            continue;
        }
        let what = format!(
            "{} ({}) on {}",
            f.advisory.id,
            f.advisory.title,
            parts.join(", ")
        );
        let Some(date) = step.date else {
            out.push(hazard(HazardCode::TooLate, Verdict::Caution, &step.name, format!(
                "the plan gives no date for this step, and {what} fires on {fires}: date the step before then")));
            continue;
        };
        let margin = (fires - date).num_days();
        if margin <= 0 {
            out.push(hazard(HazardCode::TooLate, Verdict::Block, &step.name, format!(
                "the step is dated {date}, but {what} fires on {fires}: the parts fail before the update reaches them — move the step before {fires}")));
        } else if margin <= LATE_MARGIN_DAYS {
            out.push(hazard(HazardCode::TooLate, Verdict::Caution, &step.name, format!(
                "the step is dated {date}, only {margin} day(s) before {what} fires on {fires}: a slipped window is too late")));
        }
    }
}

/// All members of a redundancy group in one step (both controllers at once): nothing stays up.
fn group_in_one_step(inv: &Inventory, step: &Step, out: &mut Vec<Hazard>) {
    let explicit: HashSet<&ComponentRef> = step.targets.iter().map(|t| &t.subject).collect();
    for g in inv.groups.values() {
        let updated = g.members.iter().filter(|m| explicit.contains(m)).count();
        if g.members.len() > 1 && updated == g.members.len() {
            out.push(hazard(HazardCode::GroupInOneStep, Verdict::Block, &step.name, format!(
                "all {} members of {} ({}) are updated in the same step: nothing stays up to carry the load or keep the data",
                g.members.len(), g.id, g.members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))));
        }
    }
}

/// A system and its backup or replica in the same step (First Server 2012): the backup must lag
/// behind the update it protects against.
fn backup_with_primary(
    inv: &Inventory,
    step: &Step,
    systems: &BTreeSet<&SystemId>,
    out: &mut Vec<Hazard>,
) {
    for b in &inv.backups {
        if systems.contains(&b.of) && systems.contains(&b.to) && b.of != b.to {
            out.push(hazard(HazardCode::BackupWithPrimary, Verdict::Block, &step.name, format!(
                "{} and its backup {} are updated in the same step: the backup must lag behind the update it protects against", b.of, b.to)));
        }
    }
}

/// A system and its backup in different steps of one window: as bad as one step.
fn backup_in_one_window(
    inv: &Inventory,
    plan: &RolloutPlan,
    windows: &BTreeMap<String, Vec<&SystemId>>,
    out: &mut Vec<Hazard>,
) {
    for (w, systems) in windows {
        for b in &inv.backups {
            if b.of != b.to && systems.contains(&&b.of) && systems.contains(&&b.to) {
                let same_step = plan.steps.iter().any(|s| {
                    s.targets.iter().any(|t| t.subject.system == b.of)
                        && s.targets.iter().any(|t| t.subject.system == b.to)
                });
                if !same_step {
                    out.push(hazard(HazardCode::BackupWithPrimary, Verdict::Block, w, format!(
                        "{} and its backup {} are updated in the same window `{w}`: the backup must lag behind", b.of, b.to)));
                }
            }
        }
    }
}

/// Does updating `t` take a controller down? A system-level update is a rolling update of its
/// controllers.
fn is_controller_update(sys: &System, t: &Target) -> bool {
    t.subject.component.is_none()
        || sys
            .component(t.subject.component.as_deref().unwrap_or_default())
            .is_some_and(|c| c.kind == ComponentKind::Controller)
}

/// The controller pairs the update of `t` takes a member of down.
fn controller_groups<'i>(inv: &'i Inventory, sys: &System, t: &Target) -> Vec<&'i RedundancyGroup> {
    inv.groups
        .values()
        .filter(|g| {
            matches!(g.kind, GroupKind::ControllerPair)
                && g.members.iter().any(|m| {
                    m == &t.subject || (t.subject.component.is_none() && m.system == sys.id)
                })
        })
        .collect()
}

/// A system with controllers but no recorded pair: the update may take it down.
fn no_redundancy_recorded(
    sys: &System,
    t: &Target,
    groups: &[&RedundancyGroup],
    step: &Step,
    out: &mut Vec<Hazard>,
) {
    if groups.is_empty()
        && t.subject.component.is_none()
        && sys
            .components
            .iter()
            .any(|c| c.kind == ComponentKind::Controller)
    {
        out.push(hazard(
            HazardCode::NoRedundancyRecorded,
            Verdict::Caution,
            &step.name,
            format!(
                "{}: no controller pair is recorded, so the update may take the system down",
                sys.id
            ),
        ));
    }
}

/// One controller down for its update (CTY 2017): the survivors carry the group's load; above
/// 100 % that is an outage, above 90 % there is little headroom.
fn rollout_overload(g: &RedundancyGroup, step: &Step, out: &mut Vec<Hazard>) {
    let n = g.members.len();
    let Some(load) = g.load else {
        return;
    };
    if n < 2 {
        return;
    }
    let survivor = load * n as f64 / (n - 1) as f64;
    if survivor > 1.0 {
        out.push(hazard(HazardCode::RolloutOverload, Verdict::Block, &step.name, format!(
            "while one controller of {} is down for its update, the survivor carries {:.0} % of its capacity ({:.0} % each normally): over 100 % is an outage",
            g.id, survivor * 100.0, load * 100.0)));
    } else if survivor > 0.9 {
        out.push(hazard(HazardCode::RolloutOverload, Verdict::Caution, &step.name, format!(
            "while one controller of {} is down for its update, the survivor carries {:.0} % of its capacity: little headroom — schedule it at low load",
            g.id, survivor * 100.0)));
    }
}

/// No recorded load: whether the survivor carries it during the update is unknown.
fn load_not_recorded(g: &RedundancyGroup, step: &Step, out: &mut Vec<Hazard>) {
    if g.load.is_none() {
        out.push(hazard(HazardCode::LoadNotRecorded, Verdict::Caution, &step.name, format!("{}: load per controller not recorded; cannot tell whether the survivor carries it during the update", g.id)));
    }
}

/// The update's own takeover and giveback exercise failover (Docomo 2020): a failover-path bug in
/// the running version becomes a certain outage.
fn failover_bug_exercised(
    sys: &System,
    g: &RedundancyGroup,
    before: &[Finding],
    step: &Step,
    out: &mut Vec<Hazard>,
) {
    for f in before.iter().filter(|f| {
        f.system == sys.id
            && f.state == MatchState::Confirmed
            && f.advisory.effects.contains(&Effect::FailoverFailure)
    }) {
        out.push(hazard(HazardCode::FailoverBugExercised, Verdict::Block, &step.name, format!(
            "the running version has failover-path bug {} ({}); the update itself triggers failover (takeover/giveback) on {}, so the bug is certain to be exercised — fix it first by another path or with the vendor",
            f.advisory.id, f.advisory.title, g.id)));
    }
}

/// Several systems of a model no earlier step touched, in one step (Jip-Base 2019 had no test
/// environment): update one first as a canary. `models_done` collects the models of every step.
fn no_canary(
    inv: &Inventory,
    step: &Step,
    systems: &BTreeSet<&SystemId>,
    models_done: &mut HashSet<String>,
    out: &mut Vec<Hazard>,
) {
    let mut per_model: BTreeMap<String, Vec<&SystemId>> = BTreeMap::new();
    for s in systems {
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
            out.push(hazard(HazardCode::NoCanary, Verdict::Caution, &step.name, format!(
                "{} systems of model {model} ({}) are updated together with no earlier step on that model: update one first as a canary",
                ss.len(), ss.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))));
        }
    }
    models_done.extend(per_model.into_keys());
}

/// A target's running version, its vendor, and the target parsed under the running scheme.
struct Versions<'i> {
    current: &'i FwVersion,
    vendor: &'i str,
    target: FwVersion,
}

/// `None` when the target names nothing in the inventory or does not parse (the plan was
/// validated, so only for hand-built plans).
fn versions<'i>(inv: &'i Inventory, t: &Target) -> Option<Versions<'i>> {
    let sys = inv.systems.get(&t.subject.system)?;
    let (current, vendor) = match &t.subject.component {
        None => (&*sys.firmware.version, sys.vendor.as_str()),
        Some(c) => {
            let c = sys.component(c)?;
            (&*c.firmware.version, &*c.vendor)
        }
    };
    let target = FwVersion::parse(current.scheme(), &t.to).ok()?;
    Some(Versions {
        current,
        vendor,
        target,
    })
}

/// Moving to an older version.
fn downgrade(t: &Target, v: &Versions<'_>, step: &Step, out: &mut Vec<Hazard>) {
    if v.target.compare(v.current) == Cmp::Less {
        out.push(hazard(
            HazardCode::Downgrade,
            Verdict::Caution,
            &step.name,
            format!(
                "{}: {} → {} is a downgrade",
                t.subject,
                v.current.raw(),
                v.target.raw()
            ),
        ));
    }
}

/// A target that cannot be ordered against the running version (an engineering build).
fn unorderable_release(t: &Target, v: &Versions<'_>, step: &Step, out: &mut Vec<Hazard>) {
    if let Cmp::Incomparable(why) = v.target.compare(v.current) {
        out.push(hazard(
            HazardCode::UnknownRelease,
            Verdict::Caution,
            &step.name,
            format!(
                "{}: cannot order {} against the running {}: {why}",
                t.subject,
                v.target.raw(),
                v.current.raw()
            ),
        ));
    }
}

/// What the feeds know of this vendor's releases in the target's scheme.
struct KnownReleases {
    /// Fixed versions and range bounds.
    versions: Vec<FwVersion>,
    /// The earliest publication of an advisory naming the target as a fixed version.
    target_released: Option<NaiveDate>,
    /// Some advisory of the vendor names the target as a fixed version.
    target_is_a_fix: bool,
}

fn known_releases(advisories: &[Advisory], v: &Versions<'_>) -> KnownReleases {
    let vk = vendor_key(v.vendor);
    let mut known: Vec<FwVersion> = Vec::new();
    let mut released: Option<NaiveDate> = None;
    let mut target_is_a_fix = false;
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
                VersionSpec::Exact(x) => strings.push(x),
                VersionSpec::Range(r) => {
                    strings.extend(r.constraints().iter().map(|c| c.raw.as_str()))
                }
                _ => {}
            }
            for s in strings {
                if let Ok(k) = FwVersion::parse(v.current.scheme(), s) {
                    if k.compare(&v.target) == Cmp::Equal && st.fixed_in.iter().any(|f| f == s) {
                        target_is_a_fix = true;
                        if let Some(p) = a.published.or(a.modified) {
                            let d = p.date_naive();
                            released = Some(released.map_or(d, |r: NaiveDate| r.min(d)));
                        }
                    }
                    known.push(k);
                }
            }
        }
    }
    KnownReleases {
        versions: known,
        target_released: released,
        target_is_a_fix,
    }
}

/// A target newer than any release the feeds know: no advisory has vetted it yet.
fn unknown_release(
    t: &Target,
    v: &Versions<'_>,
    known: &KnownReleases,
    step: &Step,
    out: &mut Vec<Hazard>,
) {
    let known = &known.versions;
    let newest_known = known
        .iter()
        .all(|k| !matches!(v.target.compare(k), Cmp::Less | Cmp::Equal));
    if !known.is_empty()
        && newest_known
        && known.iter().any(|k| v.target.compare(k) == Cmp::Greater)
    {
        out.push(hazard(HazardCode::UnknownRelease, Verdict::Caution, &step.name, format!(
            "{}: target {} is newer than any release the feeds know for {}: no advisory has vetted it yet", t.subject, v.target.raw(), v.vendor)));
    }
}

/// A target released fewer than [`RECENT_DAYS`] ago: let it age or canary it first.
fn recent_release(
    t: &Target,
    v: &Versions<'_>,
    known: &KnownReleases,
    today: NaiveDate,
    step: &Step,
    out: &mut Vec<Hazard>,
) {
    let Some(d) = known.target_released else {
        return;
    };
    let age = (today - d).num_days();
    if age < RECENT_DAYS {
        out.push(hazard(
            HazardCode::RecentRelease,
            Verdict::Caution,
            &step.name,
            format!(
                "{}: {} was released {age} days ago ({d}): let it age or canary it first",
                t.subject,
                v.target.raw()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn codes_read_back_as_they_are_written() {
        for c in HazardCode::ALL {
            assert_eq!(c.as_str().parse::<HazardCode>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""), "serde writes the same code");
            assert_eq!(serde_json::from_str::<HazardCode>(&json).unwrap(), c);
        }
        assert!("Downgrade".parse::<HazardCode>().is_err());
    }

    use super::*;
    use crate::inventory::Criticality;
    use crate::testkit::*;
    use crate::version::Scheme;

    /// `arr-1` (pair at `load`) backed up to `arr-bk`, and `arr-2` (pair at 30 %), all Unity
    /// 480F on 5.1.2.0.5.007 except the Unity 380 backup.
    fn estate(load: Option<f64>) -> Estate {
        let mut e = Estate::new()
            .unity_pair("arr-1", "Unity 480F", "5.1.2.0.5.007", 0.6)
            .unity_pair("arr-2", "Unity 480F", "5.1.2.0.5.007", 0.3)
            .system(
                "arr-bk",
                "Dell EMC",
                "Unity 380",
                Scheme::Intdot,
                "5.1.2.0.5.007",
            )
            .backup("arr-1", "arr-bk")
            .service("mail", 50_000, &[], Criticality::High, &["arr-1"]);
        e.0.groups
            .values_mut()
            .find(|g| g.id.as_str() == "arr-1-sp")
            .unwrap()
            .load = load;
        e
    }

    fn step(name: &str, window: Option<&str>, refs: &[&str], to: &str) -> Step {
        Step {
            name: name.into(),
            window: window.map(Into::into),
            date: None,
            targets: refs
                .iter()
                .map(|x| Target {
                    subject: r(x),
                    to: to.into(),
                })
                .collect(),
        }
    }

    fn of(e: &Estate, advisories: &[Advisory], steps: Vec<Step>) -> Vec<Hazard> {
        let before = run(e, advisories);
        hazards(&e.0, advisories, &before, &RolloutPlan { steps }, today())
    }

    /// The hazards of a plan of one step (no window) and no advisories.
    fn of_one(e: &Estate, name: &str, refs: &[&str], to: &str) -> Vec<Hazard> {
        of(e, &[], vec![step(name, None, refs, to)])
    }

    fn codes(h: &[Hazard]) -> Vec<HazardCode> {
        h.iter().map(|h| h.code).collect()
    }

    const NEXT: &str = "5.1.2.0.5.009";

    #[test]
    fn a_whole_group_in_one_step_blocks_and_a_rolling_update_does_not() {
        let e = estate(Some(0.3));
        let s = step("both", None, &["arr-2/spa", "arr-2/spb"], NEXT);
        let mut out = Vec::new();
        group_in_one_step(&e.0, &s, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, HazardCode::GroupInOneStep);
        assert_eq!(out[0].level, Verdict::Block);
        assert_eq!(out[0].step, "both");
        assert_eq!(
            out[0].reason,
            "all 2 members of arr-2-sp (arr-2/spa, arr-2/spb) are updated in the same step: \
             nothing stays up to carry the load or keep the data"
        );
        for refs in [&["arr-2/spa"][..], &["arr-2"]] {
            let mut out = Vec::new();
            group_in_one_step(&e.0, &step("one", None, refs, NEXT), &mut out);
            assert!(out.is_empty(), "{refs:?}: {out:?}");
        }
    }

    #[test]
    fn a_backup_updated_with_its_primary_blocks_in_a_step_or_a_window() {
        let e = estate(Some(0.3));
        let h = of_one(&e, "both", &["arr-1", "arr-bk"], NEXT);
        let b: Vec<&Hazard> = h
            .iter()
            .filter(|h| h.code == HazardCode::BackupWithPrimary)
            .collect();
        assert_eq!(b.len(), 1, "{h:?}");
        assert_eq!(b[0].level, Verdict::Block);
        assert_eq!(
            b[0].reason,
            "arr-1 and its backup arr-bk are updated in the same step: the backup must lag \
             behind the update it protects against"
        );

        let h = of(
            &e,
            &[],
            vec![
                step("primary", Some("sat-night"), &["arr-1"], NEXT),
                step("backup", Some("sat-night"), &["arr-bk"], NEXT),
            ],
        );
        let b: Vec<&Hazard> = h
            .iter()
            .filter(|h| h.code == HazardCode::BackupWithPrimary)
            .collect();
        assert_eq!(b.len(), 1, "{h:?}");
        assert_eq!(b[0].step, "sat-night", "named by the window");
        assert_eq!(
            b[0].reason,
            "arr-1 and its backup arr-bk are updated in the same window `sat-night`: the backup \
             must lag behind"
        );

        // A week apart in different windows: the backup lags.
        let h = of(
            &e,
            &[],
            vec![
                step("primary", Some("sat-1"), &["arr-1"], NEXT),
                step("backup", Some("sat-2"), &["arr-bk"], NEXT),
            ],
        );
        assert!(!codes(&h).contains(&HazardCode::BackupWithPrimary), "{h:?}");
    }

    #[test]
    fn a_survivor_over_100_percent_during_the_update_blocks_over_90_cautions() {
        let pair = |load| {
            estate(Some(load))
                .0
                .groups
                .values()
                .find(|g| g.id.as_str() == "arr-1-sp")
                .cloned()
                .unwrap()
        };
        let s = step("rolling", None, &["arr-1"], NEXT);
        let mut out = Vec::new();
        rollout_overload(&pair(0.6), &s, &mut out);
        assert_eq!(out[0].code, HazardCode::RolloutOverload);
        assert_eq!(out[0].level, Verdict::Block);
        assert_eq!(
            out[0].reason,
            "while one controller of arr-1-sp is down for its update, the survivor carries 120 % \
             of its capacity (60 % each normally): over 100 % is an outage"
        );
        let mut out = Vec::new();
        rollout_overload(&pair(0.46), &s, &mut out);
        assert_eq!(out[0].level, Verdict::Caution);
        assert!(out[0].reason.contains("carries 92 %"), "{}", out[0].reason);
        assert!(out[0].reason.contains("little headroom"));
        let mut out = Vec::new();
        rollout_overload(&pair(0.45), &s, &mut out);
        assert!(out.is_empty(), "90 % is enough headroom: {out:?}");
    }

    #[test]
    fn an_unrecorded_load_or_pair_is_a_caution() {
        let h = of(&estate(None), &[], vec![step("s", None, &["arr-1"], NEXT)]);
        let l: Vec<&Hazard> = h
            .iter()
            .filter(|h| h.code == HazardCode::LoadNotRecorded)
            .collect();
        assert_eq!(l.len(), 1, "{h:?}");
        assert_eq!(l[0].level, Verdict::Caution);
        assert!(l[0]
            .reason
            .starts_with("arr-1-sp: load per controller not recorded"));

        let mut e = estate(Some(0.3));
        e.0.groups.retain(|id, _| id.as_str() != "arr-1-sp");
        let h = of_one(&e, "s", &["arr-1"], NEXT);
        assert_eq!(codes(&h), [HazardCode::NoRedundancyRecorded]);
        assert_eq!(
            h[0].reason,
            "arr-1: no controller pair is recorded, so the update may take the system down"
        );
        // A system without controllers, or one controller updated on its own, says nothing.
        let h = of(
            &e,
            &[],
            vec![
                step("s", None, &["arr-bk"], NEXT),
                step("t", None, &["arr-1/spa"], NEXT),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn a_non_controller_part_takes_no_controller_down() {
        let e = estate(None).component(
            "arr-1",
            "dae-1",
            crate::model::ComponentKind::Enclosure,
            "Dell EMC",
            "DAE",
            Scheme::Intdot,
            "2.0",
            1,
        );
        let h = of_one(&e, "s", &["arr-1/dae-1"], "2.1");
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn a_failover_bug_in_the_running_version_is_exercised_by_the_update() {
        let bug = advisory_for(
            "FWN-1",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        )
        .any_part()
        .effects(&[Effect::FailoverFailure]);
        let h = of(
            &estate(Some(0.3)),
            &[bug],
            vec![step("s", None, &["arr-1"], NEXT)],
        );
        assert_eq!(codes(&h), [HazardCode::FailoverBugExercised]);
        assert_eq!(h[0].level, Verdict::Block);
        assert_eq!(
            h[0].reason,
            "the running version has failover-path bug FWN-1 (FWN-1 test advisory); the update \
             itself triggers failover (takeover/giveback) on arr-1-sp, so the bug is certain to \
             be exercised — fix it first by another path or with the vendor"
        );

        // An undecided match is not certain to be exercised.
        let mut unknown = advisory_for(
            "FWN-1",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        )
        .any_part()
        .effects(&[Effect::FailoverFailure]);
        unknown.affected[0].versions = VersionSpec::Unparsed("5.1 before 5.1.2.0.5.009".into());
        let h = of(
            &estate(Some(0.3)),
            &[unknown],
            vec![step("s", None, &["arr-1"], NEXT)],
        );
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn several_systems_of_a_model_need_a_canary_first() {
        let e = estate(Some(0.3));
        let h = of_one(&e, "all", &["arr-1", "arr-2"], NEXT);
        assert_eq!(codes(&h), [HazardCode::NoCanary]);
        assert_eq!(
            h[0].reason,
            "2 systems of model dell unity 480f (arr-1, arr-2) are updated together with no \
             earlier step on that model: update one first as a canary"
        );
        let h = of(
            &e,
            &[],
            vec![
                step("canary", None, &["arr-2"], NEXT),
                step("rest", None, &["arr-1", "arr-2"], NEXT),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn a_downgrade_or_an_unorderable_target_is_a_caution() {
        let e = estate(Some(0.3));
        let h = of_one(&e, "back", &["arr-2"], "5.1.2.0.5.001");
        assert_eq!(codes(&h), [HazardCode::Downgrade]);
        assert_eq!(h[0].level, Verdict::Caution);
        assert_eq!(
            h[0].reason,
            "arr-2: 5.1.2.0.5.007 → 5.1.2.0.5.001 is a downgrade"
        );

        let e = Estate::new().system("aff", "NetApp", "AFF A400", Scheme::Ontap, "9.10.1");
        let h = of_one(&e, "eng", &["aff"], "9.10.1X12");
        assert_eq!(codes(&h), [HazardCode::UnknownRelease]);
        assert!(
            h[0].reason
                .starts_with("aff: cannot order 9.10.1X12 against the running 9.10.1: "),
            "{}",
            h[0].reason
        );
    }

    #[test]
    fn drive_firmware_named_as_the_fix_is_known_though_it_cannot_be_ordered() {
        let e = Estate::new()
            .system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.72")
            .hpe_ssds("srv", "ssd", "HPD7", 8);
        let mut bug = advisory_for("FWN-SSD", "HPE", "SAS SSD", "vers:opaque/HPD5|HPD6|HPD7")
            .on(crate::model::ComponentKind::Drive)
            .effects(&[Effect::DataLoss]);
        bug.affected[0].fixed_in = vec!["HPD8".into()];
        let plan = |to: &str| vec![step("drives", None, &["srv/ssd"], to)];
        let h = of(&e, std::slice::from_ref(&bug), plan("HPD8"));
        assert!(codes(&h).is_empty(), "the advisory's own fix: {h:?}");
        // A version no advisory names stays an unknown release.
        let h = of(&e, &[bug], plan("HPD9"));
        assert_eq!(codes(&h), [HazardCode::UnknownRelease], "{h:?}");
    }

    /// 8 HPE SSDs on `srv` (HPD7) that reach the bug's 32,768 power-on hours `days` after today
    /// (negative: already past), and the bug, fixed in HPD8.
    fn time_bomb(days: i64) -> (Estate, Advisory) {
        let hours = 32_768 - 24 * days;
        let e = Estate::new()
            .system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.72")
            .hpe_ssds("srv", "ssd", "HPD7", 8)
            .hours("srv", "ssd", hours as u64, "2026-11-22");
        let mut bug = advisory_for("FWN-32768", "HPE", "SAS SSD", "vers:opaque/HPD7")
            .on(crate::model::ComponentKind::Drive)
            .effects(&[Effect::DataLoss])
            .triggers(&[crate::model::Trigger::PowerOnHours { hours: 32_768 }]);
        bug.affected[0].fixed_in = vec!["HPD8".into()];
        bug.affected[0].models = vec!["VO1920JFDGV".into()];
        (e, bug)
    }

    fn dated(date: Option<&str>, refs: &[&str]) -> Step {
        Step {
            date: date.map(|d| d.parse().unwrap()),
            ..step("drives", None, refs, "HPD8")
        }
    }

    #[test]
    fn a_step_after_a_time_bomb_fires_is_too_late_and_one_well_before_is_not() {
        // Fires 2026-12-12, twenty days after today.
        let (e, bug) = time_bomb(20);
        let check = |date: Option<&str>| {
            let h = of(
                &e,
                std::slice::from_ref(&bug),
                vec![dated(date, &["srv/ssd"])],
            );
            h.into_iter()
                .filter(|h| h.code == HazardCode::TooLate)
                .collect::<Vec<_>>()
        };
        let late = check(Some("2026-12-15"));
        assert_eq!(late.len(), 1, "{late:?}");
        assert_eq!(late[0].level, Verdict::Block);
        assert_eq!(
            late[0].reason,
            "the step is dated 2026-12-15, but FWN-32768 (FWN-32768 test advisory) on 8 × srv/ssd fires \
             on 2026-12-12: the parts fail before the update reaches them — move the step before \
             2026-12-12"
        );
        // On the day itself: too late as well.
        assert_eq!(check(Some("2026-12-12"))[0].level, Verdict::Block);
        // Five days before: no margin for a slipped window.
        let close = check(Some("2026-12-07"));
        assert_eq!(close[0].level, Verdict::Caution, "{close:?}");
        assert!(
            close[0].reason.contains("only 5 day(s) before"),
            "{close:?}"
        );
        // Ten days before: in time.
        assert!(check(Some("2026-12-02")).is_empty());
        // No date: the plan cannot be checked against the date, and says which.
        let undated = check(None);
        assert_eq!(undated[0].level, Verdict::Caution);
        assert!(
            undated[0]
                .reason
                .starts_with("the plan gives no date for this step, and FWN-32768"),
            "{undated:?}"
        );
        assert!(undated[0].reason.contains("fires on 2026-12-12"));
    }

    #[test]
    fn a_time_bomb_already_past_makes_any_step_too_late_and_other_parts_are_not_concerned() {
        let (e, bug) = time_bomb(-3);
        let h = of(
            &e,
            std::slice::from_ref(&bug),
            vec![dated(Some("2026-11-23"), &["srv"])],
        );
        let late: Vec<_> = h.iter().filter(|h| h.code == HazardCode::TooLate).collect();
        assert_eq!(late.len(), 1, "the whole system covers its drives: {h:?}");
        assert_eq!(late[0].level, Verdict::Block);
        // A step on another system is not about these drives.
        let e = e.system("other", "HPE", "ProLiant DL380", Scheme::Intdot, "2.72");
        let h = of(&e, &[bug], vec![dated(Some("2026-11-23"), &["other"])]);
        assert!(h.iter().all(|h| h.code != HazardCode::TooLate), "{h:?}");
    }

    fn fixed_in(published: Option<&str>) -> Advisory {
        let mut a = advisory_for(
            "FWN-9",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        )
        .any_part()
        .effects(&[Effect::Performance]);
        a.affected[0].fixed_in = vec![NEXT.into()];
        a.published = published.map(|d| {
            let d: NaiveDate = d.parse().unwrap();
            Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
        });
        a
    }

    #[test]
    fn a_target_newer_than_any_known_release_is_unvetted() {
        let e = estate(Some(0.3));
        let h = of(
            &e,
            &[fixed_in(None)],
            vec![step("s", None, &["arr-2"], "5.1.3.0.0.001")],
        );
        assert_eq!(codes(&h), [HazardCode::UnknownRelease]);
        assert_eq!(
            h[0].reason,
            "arr-2: target 5.1.3.0.0.001 is newer than any release the feeds know for Dell EMC: \
             no advisory has vetted it yet"
        );
        // The fixed version itself is known.
        let h = of(
            &e,
            &[fixed_in(None)],
            vec![step("s", None, &["arr-2"], NEXT)],
        );
        assert!(h.is_empty(), "{h:?}");
        // With no releases known at all there is nothing to compare against.
        let h = of_one(&e, "s", &["arr-2"], "5.1.3.0.0.001");
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn a_target_released_days_ago_should_age_first() {
        let e = estate(Some(0.3));
        let h = of(
            &e,
            &[fixed_in(Some("2026-11-17"))],
            vec![step("s", None, &["arr-2"], NEXT)],
        );
        assert_eq!(codes(&h), [HazardCode::RecentRelease]);
        assert_eq!(
            h[0].reason,
            "arr-2: 5.1.2.0.5.009 was released 5 days ago (2026-11-17): let it age or canary it \
             first"
        );
        let h = of(
            &e,
            &[fixed_in(Some("2026-11-08"))],
            vec![step("s", None, &["arr-2"], NEXT)],
        );
        assert!(h.is_empty(), "14 days is old enough: {h:?}");
    }

    #[test]
    fn hazards_are_listed_step_by_step_in_a_fixed_order() {
        let e = estate(Some(0.6));
        let h = of(
            &e,
            &[],
            vec![
                step("first", Some("w"), &["arr-1", "arr-2", "arr-bk"], NEXT),
                step(
                    "second",
                    Some("w"),
                    &["arr-2/spa", "arr-2/spb"],
                    "5.1.2.0.5.001",
                ),
            ],
        );
        let listed: Vec<(&str, HazardCode)> = h.iter().map(|h| (h.step.as_str(), h.code)).collect();
        assert_eq!(
            listed,
            [
                ("first", HazardCode::BackupWithPrimary),
                ("first", HazardCode::RolloutOverload),
                ("first", HazardCode::NoCanary),
                ("second", HazardCode::GroupInOneStep),
                ("second", HazardCode::Downgrade),
                ("second", HazardCode::Downgrade),
            ]
        );
    }
}
