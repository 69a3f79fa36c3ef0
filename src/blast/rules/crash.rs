//! Crash bugs (CTY 2017): what a member's crash does to the group it belongs to.
//!
//! When one member of a redundancy group crashes, its load moves to the survivors: survivor load =
//! group load / survivors, i.e. the per-member load × n / (n − 1). Above 100 % of one member's
//! capacity that is an outage, not a slowdown (60 % + 60 % = 120 %); at or below 100 % it is
//! *redundancy lost*. When every member runs the affected firmware the group cannot protect
//! against this bug (the reason says "common mode"), and when the trigger is uptime the members
//! whose clocks run out on the same day fail *together*: an outage (`uptime` dates them). A group's only member, or a part in no group,
//! stops what it serves.
//!
//! Drives are the exception: their redundancy is the RAID group's tolerance, told against how many
//! of its drives run the firmware; drives with a time trigger are dated by `time_bomb` instead.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::uptime::{self, uptime_days, Together};
use super::{groups_for, has_time_trigger, Told};
use crate::blast::rating::{Consequence, FindingCode, Line, Reading, Urgency};
use crate::blast::reach::{names, pct, Shared};
use crate::blast::topology::{Context, Exp, GroupInfo, Pos};
use crate::inventory::{ComponentRef, GroupKind, System};
use crate::model::ComponentKind;

pub(super) fn crash(
    ctx: &Context<'_>,
    shared: &mut Shared,
    adv_idx: usize,
    system: &System,
    exps: &[Exp<'_>],
    base: Urgency,
) -> Vec<Reading> {
    let uptime = uptime_days(&ctx.advisories[adv_idx]);
    let mut out = Vec::new();
    // Each group is told once, however many of its members are exposed.
    let mut told = Told::default();
    for e in exps {
        let groups = groups_for(ctx, e);
        let mut covered = false;
        for info in groups
            .into_iter()
            .filter(|g| !matches!(g.group.kind, GroupKind::RaidGroup { .. }))
        {
            covered = true;
            if told.first(info) {
                out.push(group_crash(
                    ctx,
                    shared,
                    adv_idx,
                    info,
                    exps,
                    &e.decision.firmware,
                    uptime,
                    base,
                ));
            }
        }
        if !covered {
            out.extend(ungrouped(ctx, adv_idx, system, e, exps, base, &mut told));
        }
    }
    out
}

/// A crash of a part no controller, path or replica group covers: drives by their RAID group, the
/// rest by what stops.
fn ungrouped(
    ctx: &Context<'_>,
    adv_idx: usize,
    system: &System,
    e: &Exp<'_>,
    exps: &[Exp<'_>],
    base: Urgency,
    told: &mut Told,
) -> Option<Reading> {
    if e.kind == ComponentKind::Drive {
        if has_time_trigger(&ctx.advisories[adv_idx]) {
            return None; // dated by time_bomb
        }
        if let Some(line) = raid_exposure(ctx, adv_idx, e, exps, told) {
            return line.map(|line| {
                Reading::new(
                    FindingCode::RedundancyLost,
                    Consequence::RedundancyLost,
                    base,
                    line,
                )
            });
        }
    }
    Some(match e.kind {
        ComponentKind::System
        | ComponentKind::Controller
        | ComponentKind::Hba
        | ComponentKind::Enclosure => Reading::new(
            FindingCode::ServiceOutage,
            Consequence::ServiceOutage,
            base,
            format!(
                "{} crashes and nothing recorded takes over: {} stops",
                e.subject, system.id
            ),
        ),
        ComponentKind::Drive => Reading::new(
            FindingCode::RedundancyLost,
            Consequence::RedundancyLost,
            base,
            format!(
                "drives {} can fail; no RAID group is recorded for them",
                e.subject
            ),
        ),
        _ => Reading::new(
            FindingCode::RedundancyLost,
            Consequence::RedundancyLost,
            base,
            format!("{} ({}) can crash", e.subject, e.kind),
        ),
    })
}

/// How a drive crash bug meets the RAID group holding `e`: `None` when `e` is in no RAID group,
/// `Some(None)` when that group was described already, else the line naming how many of its
/// drives run the firmware against what the group tolerates.
fn raid_exposure(
    ctx: &Context<'_>,
    adv_idx: usize,
    e: &Exp<'_>,
    exps: &[Exp<'_>],
    told: &mut Told,
) -> Option<Option<String>> {
    let info = ctx
        .topo
        .member_groups(e.pos)
        .find(|g| matches!(g.group.kind, GroupKind::RaidGroup { .. }))?;
    let g = info.group;
    let GroupKind::RaidGroup { tolerance } = g.kind else {
        return None;
    };
    if !told.first(info) {
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

/// Group crash readings a rating thread has worded, kept by all they depend on: the group, its
/// first exposed member and how many are exposed, the firmware, the uptime trigger and the
/// urgency. Every crash bug of a group's firmware meets the group, and those that meet it the same
/// way read the same, so each reading is worded once and handed on as shared lines.
#[derive(Default)]
pub(in crate::blast) struct Kept(HashMap<KeptKey, KeptReading>);

/// The group and its first exposed member by address (the topology outlives the rating), the
/// number exposed, the firmware by its text's address (equal addresses are equal strings,
/// [`Decision::firmware`](crate::matcher::Decision::firmware): a string with two texts is worded
/// twice, the same way; the decisions outlive the rating), the uptime trigger in days and the
/// urgency.
type KeptKey = (usize, usize, usize, usize, Option<u64>, Urgency);

struct KeptReading {
    code: FindingCode,
    consequence: Consequence,
    urgency: Urgency,
    lines: Box<[Arc<str>]>,
}

impl KeptReading {
    fn reading(&self) -> Reading {
        let lines = self.lines.iter().cloned().map(Line::Shared).collect();
        Reading::with_lines(self.code, self.consequence, self.urgency, lines)
    }
}

/// A crash of one exposed member of the group in `info`: common mode, the only member, or the
/// load the survivors must carry. `firmware` is the crashing part's.
#[allow(clippy::too_many_arguments)]
fn group_crash(
    ctx: &Context<'_>,
    shared: &mut Shared,
    adv_idx: usize,
    info: &GroupInfo<'_>,
    exps: &[Exp<'_>],
    firmware: &Arc<str>,
    uptime: Option<u64>,
    base: Urgency,
) -> Reading {
    let (first_exposed, n_exposed) = exposed_members(ctx, adv_idx, info, exps);
    let key = (
        std::ptr::from_ref(info) as usize,
        first_exposed.map_or(0, |m| std::ptr::from_ref(m) as usize),
        n_exposed,
        firmware.as_ptr() as usize,
        uptime,
        base,
    );
    if let Some(kept) = shared.crashes.0.get(&key) {
        return kept.reading();
    }
    let r = word_group_crash(ctx, info, first_exposed, n_exposed, firmware, uptime, base);
    debug_assert!(r.scope.is_none() && r.across.is_none() && r.backup.is_none());
    debug_assert!(r.undecided.is_none());
    let kept = KeptReading {
        code: r.code,
        consequence: r.consequence,
        urgency: r.urgency,
        lines: r.reasons.into_iter().map(|l| shared.keep(l)).collect(),
    };
    let out = kept.reading();
    shared.crashes.0.insert(key, kept);
    out
}

/// What a crash of the group's `first_exposed` member (of `n_exposed`) means for the group.
fn word_group_crash(
    ctx: &Context<'_>,
    info: &GroupInfo<'_>,
    first_exposed: Option<&ComponentRef>,
    n_exposed: usize,
    firmware: &str,
    uptime: Option<u64>,
    base: Urgency,
) -> Reading {
    let g = info.group;
    let members = &g.members;
    let n = members.len();
    let all = n_exposed == n;
    let mut reasons = Vec::new();
    if all && n > 1 {
        reasons.push(format!(
            "{} {} run {} (common mode): the survivor can crash the same way",
            names(members),
            if n == 2 { "both" } else { "all" },
            firmware
        ));
    }
    let together = match uptime {
        Some(days) if all && n > 1 => {
            let clocks: Vec<(Pos, &ComponentRef)> =
                info.members.iter().copied().zip(members.iter()).collect();
            Some(uptime::together(ctx, days, &clocks))
        }
        _ => None,
    };
    if let Some(Together::Apart(line)) = together {
        reasons.push(line);
    } else if let Some(Together::Yes(line) | Together::Assumed(line)) = together {
        reasons.insert(0, line);
        return Reading::with_reasons(
            FindingCode::CommonModeOutage,
            Consequence::ServiceOutage,
            base,
            reasons,
        );
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
        return Reading::with_reasons(
            FindingCode::ServiceOutage,
            Consequence::ServiceOutage,
            base,
            reasons,
        );
    }
    let Some(load) = g.load else {
        reasons.insert(0, format!("a crash leaves {} degraded; the load per member is not recorded, so whether the survivors can carry it is unknown", g.id));
        return Reading::with_reasons(
            FindingCode::RedundancyLost,
            Consequence::RedundancyLost,
            base,
            reasons,
        );
    };
    let crashed = first_exposed.unwrap_or(&members[0]);
    survivors_carry(crashed, members, load, reasons, base)
}

/// The first exposed member of the group in `info` (in the group's order) and how many are
/// exposed.
fn exposed_members<'g>(
    ctx: &Context<'_>,
    adv_idx: usize,
    info: &'g GroupInfo<'_>,
    exps: &[Exp<'_>],
) -> (Option<&'g ComponentRef>, usize) {
    let mut exposed = info
        .group
        .members
        .iter()
        .zip(&info.members)
        .filter(|(_, &pos)| ctx.member_exposed(adv_idx, pos, exps))
        .map(|(m, _)| m);
    let first = exposed.next();
    (first, usize::from(first.is_some()) + exposed.count())
}

/// The load on each survivor when `crashed` goes down: its `load` share of `n` members moves to
/// the `n - 1` others (`n` ≥ 2). Public for the pictures, which draw the same figure.
pub fn survivor_load(load: f64, n: usize) -> f64 {
    load * n as f64 / (n - 1) as f64
}

/// `crashed` is down and the other `members` carry its share; `reasons` holds the lines found so
/// far (common mode), and the load line goes first.
fn survivors_carry(
    crashed: &ComponentRef,
    members: &[ComponentRef],
    load: f64,
    mut reasons: Vec<String>,
    base: Urgency,
) -> Reading {
    let survivor = survivor_load(load, members.len());
    let others = || members.iter().filter(|m| *m != crashed);
    let line = format!(
        "if {} crashes, {} would carry {} of {} capacity ({} each in normal operation)",
        names([crashed]),
        names(others()),
        pct(survivor),
        if others().count() == 1 {
            "its"
        } else {
            "their"
        },
        pct(load)
    );
    if survivor > 1.0 {
        reasons.insert(
            0,
            format!("{line}: over 100 % is an outage, not a slowdown"),
        );
        Reading::with_reasons(
            FindingCode::SurvivorOverload,
            Consequence::ServiceOutage,
            base,
            reasons,
        )
    } else {
        reasons.insert(0, format!("{line}: degraded but running"));
        Reading::with_reasons(
            FindingCode::RedundancyLost,
            Consequence::RedundancyLost,
            base,
            reasons,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::*;
    use crate::model::{Advisory, Effect, Trigger};
    use crate::testkit::*;
    use crate::version::Scheme;

    fn controller_bug(triggers: &[Trigger]) -> Advisory {
        advisory_for(
            "FWN-2",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        )
        .on(ComponentKind::Controller)
        .effects(&[Effect::ComponentCrash])
        .triggers(triggers)
    }

    fn crash_of(e: &Estate, a: Advisory, system: &str) -> Vec<Reading> {
        on_run(e, &[a], system, |ctx, a, s, exps| {
            crash(
                ctx,
                &mut Shared::default(),
                a,
                ctx.topo.systems[s as usize],
                exps,
                Urgency::Anytime,
            )
        })
    }

    fn pair(load: f64) -> Estate {
        Estate::new().unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", load)
    }

    /// The crash readings of each advisory on each system, in that order, rated by one thread
    /// (one [`Shared`]), as `assess` rates runs.
    fn crashes_in_turn(e: &Estate, advisories: &[Advisory], systems: &[&str]) -> Vec<Vec<Reading>> {
        let index = crate::matcher::Index::build(advisories);
        let matches = crate::matcher::match_inventory(&e.0, advisories, &index);
        let ctx = Context::new(&e.0, advisories, &matches, today());
        let mut shared = Shared::default();
        let mut out = Vec::new();
        for a in 0..advisories.len() {
            for name in systems {
                let sys = ctx.topo.systems.iter().position(|s| s.id.as_str() == *name);
                let sys = sys.unwrap() as u32;
                let exps: Vec<Exp<'_>> = (matches.exposures.iter())
                    .filter(|x| x.advisory == a as u32 && x.system == sys)
                    .map(|x| ctx.exp(x))
                    .collect();
                let system = ctx.topo.systems[sys as usize];
                out.push(crash(&ctx, &mut shared, a, system, &exps, Urgency::Anytime));
            }
        }
        out
    }

    #[test]
    fn a_group_worded_once_reads_the_same_for_the_next_advisory() {
        let e = pair(0.6).unity_pair("arr2", "Unity 480F", "5.1.2.0.5.007", 0.4);
        let mut other = controller_bug(&[]);
        other.id = "FWN-3".parse().unwrap();
        let advisories = [controller_bug(&[]), other];
        let r = crashes_in_turn(&e, &advisories, &["arr", "arr2"]);
        // Each group is worded for its own load: kept readings are not handed to another group.
        assert!(r[0][0].reasons[0].contains("would carry 120 % of its capacity"));
        assert!(r[1][0].reasons[0].contains("would carry 80 % of its capacity"));
        // The second advisory meets both groups so and is handed the kept lines themselves.
        for (first, again) in [(&r[0][0], &r[2][0]), (&r[1][0], &r[3][0])] {
            assert_eq!((first.code, first.urgency), (again.code, again.urgency));
            assert_eq!(first.reasons, again.reasons);
            let (Line::Shared(a), Line::Shared(b)) = (&first.reasons[0], &again.reasons[0]) else {
                panic!("kept lines are shared lines");
            };
            assert!(Arc::ptr_eq(a, b));
        }
        // A fresh thread words the same reading.
        let fresh = crash_of(&e, advisories[1].clone(), "arr");
        assert_eq!(fresh[0].reasons, r[2][0].reasons);
    }

    #[test]
    fn sixty_and_sixty_percent_is_a_survivor_at_120_percent_an_outage() {
        let r = crash_of(&pair(0.6), controller_bug(&[]), "arr");
        assert_eq!(r.len(), 1, "one reading per group, not per member");
        assert_eq!(r[0].code, FindingCode::SurvivorOverload);
        assert_eq!(r[0].consequence, Consequence::ServiceOutage);
        assert_eq!(r[0].urgency, Urgency::Anytime);
        assert_eq!(
            r[0].reasons,
            [
                "if spa crashes, spb would carry 120 % of its capacity (60 % each in normal \
                 operation): over 100 % is an outage, not a slowdown",
                "spa and spb both run 5.1.2.0.5.007 (common mode): the survivor can crash the \
                 same way",
            ]
        );
    }

    #[test]
    fn a_survivor_at_exactly_100_percent_is_degraded_not_down() {
        for (load, carried) in [(0.5, "100 %"), (0.4, "80 %")] {
            let r = crash_of(&pair(load), controller_bug(&[]), "arr");
            assert_eq!(r[0].code, FindingCode::RedundancyLost, "{load}");
            assert_eq!(r[0].consequence, Consequence::RedundancyLost);
            assert!(
                r[0].reasons[0].contains(&format!("would carry {carried} of its capacity")),
                "{:?}",
                r[0].reasons
            );
            assert!(r[0].reasons[0].ends_with(": degraded but running"));
        }
    }

    #[test]
    fn three_members_share_the_load_of_the_crashed_one() {
        let e = pair(0.6).dell_sp("arr", "spc", "5.1.2.0.5.007").group(
            "arr-sp",
            GroupKind::ControllerPair,
            &["arr/spa", "arr/spb", "arr/spc"],
            Some(0.6),
        );
        let r = crash_of(&e, controller_bug(&[]), "arr");
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
        assert_eq!(
            r[0].reasons,
            [
                "if spa crashes, spb and spc would carry 90 % of their capacity (60 % each in \
                 normal operation): degraded but running",
                "spa, spb and spc all run 5.1.2.0.5.007 (common mode): the survivor can crash \
                 the same way",
            ]
        );
    }

    #[test]
    fn only_the_exposed_member_crashes_and_there_is_no_common_mode() {
        let mut e = pair(0.6);
        e.comp("arr", "spa").firmware = fw(Scheme::Intdot, "5.1.2.0.5.009");
        let r = crash_of(&e, controller_bug(&[]), "arr");
        assert_eq!(r[0].code, FindingCode::SurvivorOverload);
        assert_eq!(r[0].reasons.len(), 1, "{:?}", r[0].reasons);
        assert!(
            r[0].reasons[0].starts_with("if spb crashes, spa would carry 120 %"),
            "{:?}",
            r[0].reasons
        );
    }

    #[test]
    fn an_uptime_trigger_on_every_member_is_a_common_mode_outage() {
        let r = crash_of(
            &pair(0.3),
            controller_bug(&[Trigger::UptimeDays { days: 248 }]),
            "arr",
        );
        assert_eq!(r[0].code, FindingCode::CommonModeOutage);
        assert_eq!(r[0].consequence, Consequence::ServiceOutage);
        assert_eq!(
            r[0].reasons[0],
            "the trigger is 248 days of uptime and the boot time of arr/spa, arr/spb is not \
             recorded: rated as if spa and spb started together and fail at the same time"
        );
        assert!(r[0].reasons[1].contains("(common mode)"));

        // One member on a fixed version: the other survives the day.
        let mut e = pair(0.3);
        e.comp("arr", "spb").firmware = fw(Scheme::Intdot, "5.1.2.0.5.009");
        let r = crash_of(
            &e,
            controller_bug(&[Trigger::UptimeDays { days: 248 }]),
            "arr",
        );
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
    }

    #[test]
    fn the_only_member_of_a_group_takes_the_service_down() {
        let e = pair(0.6).group("arr-sp", GroupKind::ControllerPair, &["arr/spa"], Some(0.6));
        let r = crash_of(&e, controller_bug(&[]), "arr");
        // spb is in no group now: its crash is told on its own.
        let only = r
            .iter()
            .find(|r| r.reasons[0].contains("only member"))
            .unwrap();
        assert_eq!(only.code, FindingCode::ServiceOutage);
        assert_eq!(only.consequence, Consequence::ServiceOutage);
        assert_eq!(
            only.reasons[0],
            "spa is the only member of arr-sp: its crash is an outage"
        );
        let lone = r.iter().find(|r| r.reasons[0].contains("arr/spb")).unwrap();
        assert_eq!(
            lone.reasons,
            ["arr/spb crashes and nothing recorded takes over: arr stops"]
        );
        assert_eq!(lone.code, FindingCode::ServiceOutage);
    }

    #[test]
    fn an_unrecorded_load_is_lost_redundancy_with_the_doubt_stated() {
        let e = pair(0.6).group(
            "arr-sp",
            GroupKind::ControllerPair,
            &["arr/spa", "arr/spb"],
            None,
        );
        let r = crash_of(&e, controller_bug(&[]), "arr");
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
        assert_eq!(r[0].consequence, Consequence::RedundancyLost);
        assert!(
            r[0].reasons[0].contains("the load per member is not recorded"),
            "{:?}",
            r[0].reasons
        );
    }

    fn drives(tolerance: Option<u32>) -> Estate {
        let e = Estate::new()
            .system("srv", "HPE", "DL380", Scheme::Intdot, "2.72")
            .hpe_ssds("srv", "ssd-a", "HPD7", 2)
            .hpe_ssds("srv", "ssd-b", "HPD8", 6);
        match tolerance {
            Some(tolerance) => e.group(
                "rg-1",
                GroupKind::RaidGroup { tolerance },
                &["srv/ssd-a", "srv/ssd-b"],
                None,
            ),
            None => e,
        }
    }

    fn drive_bug(firmware: &str, triggers: &[Trigger]) -> Advisory {
        let mut a = advisory_for(
            "FWN-DRV",
            "HPE",
            "SAS SSD",
            &format!("vers:opaque/{firmware}"),
        )
        .on(ComponentKind::Drive)
        .effects(&[Effect::ComponentCrash])
        .triggers(triggers);
        a.affected[0].models = vec!["VO1920JFDGV".into()];
        a
    }

    #[test]
    fn drives_are_told_against_their_raid_group_tolerance() {
        let r = crash_of(&drives(Some(1)), drive_bug("HPD7|HPD8", &[]), "srv");
        assert_eq!(r.len(), 1, "the group is told once for both drive sets");
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
        assert_eq!(
            r[0].reasons,
            [
                "8 of 8 drives of rg-1 run HPD7 and can fail the same way; the RAID group \
              tolerates 1: more failures before a rebuild finishes lose its data"
            ]
        );

        let r = crash_of(&drives(Some(2)), drive_bug("HPD7", &[]), "srv");
        assert_eq!(
            r[0].reasons,
            [
                "2 of 8 drives of rg-1 run HPD7; the RAID group tolerates 2: redundancy is lost, \
              data survives if rebuilds finish"
            ]
        );
    }

    #[test]
    fn drives_in_no_raid_group_say_so() {
        let r = crash_of(&drives(None), drive_bug("HPD7", &[]), "srv");
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
        assert_eq!(
            r[0].reasons,
            ["drives srv/ssd-a can fail; no RAID group is recorded for them"]
        );
    }

    #[test]
    fn time_triggered_drives_are_left_to_the_dated_rule() {
        let r = crash_of(
            &drives(Some(1)),
            drive_bug("HPD7", &[Trigger::PowerOnHours { hours: 32_768 }]),
            "srv",
        );
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn a_part_in_no_group_stops_the_system_or_loses_redundancy_by_kind() {
        let e = Estate::new()
            .system("srv", "Dell", "PowerEdge R650", Scheme::Intdot, "2.19.1")
            .idrac("srv", "bmc", "6.10");
        let bmc = advisory_for("FWN-B", "Dell", "iDRAC9", "vers:intdot/<7")
            .on(ComponentKind::Bmc)
            .effects(&[Effect::ComponentCrash]);
        let r = crash_of(&e, bmc, "srv");
        assert_eq!(r[0].code, FindingCode::RedundancyLost);
        assert_eq!(r[0].reasons, ["srv/bmc (bmc) can crash"]);

        let whole = advisory_for("FWN-S", "Dell", "PowerEdge", "vers:intdot/<3")
            .effects(&[Effect::ComponentCrash]);
        let r = crash_of(&e, whole, "srv");
        assert_eq!(r[0].code, FindingCode::ServiceOutage);
        assert_eq!(
            r[0].reasons,
            ["srv crashes and nothing recorded takes over: srv stops"]
        );
    }

    #[test]
    fn the_survivor_load_is_the_crashed_share_spread_over_the_others() {
        assert_eq!(survivor_load(0.6, 2), 1.2);
        assert_eq!(survivor_load(0.5, 2), 1.0);
        assert!((survivor_load(0.6, 3) - 0.9).abs() < 1e-12);
    }
}
