//! The rules: one file per way a bug can hurt this deployment, each turning a finding's exposures
//! into [`Reading`]s.
//!
//! The advisory's effects choose the rules ([`readings`], the one place that maps effects to
//! rules); a time trigger (power-on hours) adds the dated drive-failure rule whatever the effects
//! say. A rule reads the [`Context`] and returns readings with their reason lines; which reading
//! decides, and the score, are `rating`'s business.
//!
//! - `failover`: a failover-path bug makes the pair a single point of failure.
//! - `feed`: a PDU, UPS or switch drops what it feeds: the failure domains it feeds go down.
//! - `partner`: a compatibility statement broken by a partner's version.
//! - `crash`: a member crashes; can the survivors carry the load, is it common mode?
//! - `time_bomb`: drives failing at a power-on-hours threshold, dated, against RAID tolerance.
//! - `uptime`: bugs that fire after N days of uptime, dated from each part's boot.
//! - `data_loss`: lost or corrupted data, and whether an independent backup exists.
//! - `unavailable`: the exposed scope stops serving data (a whole system or one enclosure).
//! - `security`: a CVSS-rated weakness, an outage when an attacker can stop the system.
//! - `lifecycle`: a release line at or past its end of support (no future fixes).
//! - `plain`: what follows from the effect alone (performance, management plane, unclassified).

pub(super) mod crash;
mod data_loss;
mod failover;
mod feed;
pub(super) mod lifecycle;
mod partner;
mod plain;
mod security;
pub(super) mod time_bomb;
mod unavailable;
pub(super) mod uptime;

use smallvec::SmallVec;

use super::rating::{Consequence, FindingCode, Reading, Urgency};
use super::reach::Shared;
use super::topology::{Context, Exp, GroupInfo, Pos};
use crate::inventory::GroupKind;
use crate::matcher::Exposure;
use crate::model::{Advisory, Effect, Trigger};

/// The readings of every rule the advisory's effects call for, in the order of its effects; at
/// least one (an advisory that does not say what the bug does is `unclassified`).
pub(super) fn readings(
    ctx: &Context<'_>,
    shared: &mut Shared,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
) -> Vec<Reading> {
    let adv = &ctx.advisories[adv_idx];
    let system = ctx.topo.systems[sys_idx as usize];
    let mut readings: Vec<Reading> = Vec::new();
    let mut base_urgency = trigger_urgency(adv);
    let clocks =
        uptime::uptime_days(adv).map(|days| uptime::clocks(ctx, days, clock_subjects(ctx, exps)));
    if let Some(c) = &clocks {
        base_urgency = c.urgency;
    }

    for &effect in &adv.effects {
        match effect {
            Effect::FailoverFailure => {
                readings.push(failover::failover(ctx, exps, base_urgency));
            }
            Effect::ComponentCrash => {
                readings.extend(crash::crash(
                    ctx,
                    shared,
                    adv_idx,
                    system,
                    exps,
                    base_urgency,
                ));
            }
            // A security weakness rated by CVSS is an outage only as an attacker can cause
            // it: the security rule reads availability with the attack vector.
            Effect::DataUnavailable if !attacker_rated(adv) => {
                readings.push(unavailable::unavailable(system, exps, base_urgency));
            }
            Effect::DataUnavailable => {}
            Effect::DataLoss => {
                // Time-triggered drive failures are handled with their dates below.
                if !has_time_trigger(adv) {
                    readings.push(data_loss::data_loss(
                        ctx,
                        adv_idx,
                        sys_idx,
                        base_urgency,
                        "data-loss",
                    ));
                }
            }
            Effect::PowerLoss | Effect::PathLoss => {
                readings.push(feed::feed_loss(
                    ctx,
                    adv_idx,
                    sys_idx,
                    exps,
                    effect,
                    base_urgency,
                ));
            }
            Effect::Performance => readings.push(plain::performance(base_urgency)),
            Effect::Security => readings.push(security::security(adv, system)),
            Effect::ManagementPlane => readings.push(plain::management_plane(base_urgency)),
            Effect::EndOfSupport => readings.push(lifecycle::end_of_support(ctx, adv, exps)),
        }
    }
    if has_time_trigger(adv) {
        readings.extend(time_bomb::time_bomb(ctx, adv_idx, sys_idx, exps));
    }
    if !adv.requires.is_empty() {
        // First, so that it decides among equals: the finding is the unsupported combination.
        let worst = readings.iter().map(|r| r.consequence).max();
        readings.insert(
            0,
            partner::partner(ctx, adv_idx, sys_idx, exps, worst, base_urgency),
        );
    }
    if readings.is_empty() {
        readings.push(plain::unclassified());
    }
    if let Some(c) = clocks {
        // The clock's lines, never the deciding reading.
        let mut r = Reading::with_reasons(
            FindingCode::Unclassified,
            Consequence::Informational,
            c.urgency,
            c.lines,
        );
        r.undecided = c.undecided;
        readings.push(r);
    }
    readings
}

/// The subjects whose uptime clocks date a finding: each exposed part, and for the system's own
/// firmware its controllers (they run it, each with its own clock) or, without controllers, the
/// system.
fn clock_subjects(ctx: &Context<'_>, exps: &[Exp<'_>]) -> Vec<(Pos, String)> {
    let mut out = Vec::new();
    for e in exps {
        let (s, c) = e.pos;
        if c != Exposure::SYSTEM {
            out.push((e.pos, e.subject.to_string()));
            continue;
        }
        let system = ctx.topo.systems[s as usize];
        let before = out.len();
        for (ci, comp) in system.components.iter().enumerate() {
            if comp.kind == crate::model::ComponentKind::Controller
                && !exps.iter().any(|x| x.pos == (s, ci as u32))
            {
                out.push(((s, ci as u32), format!("{}/{}", system.id, comp.id)));
            }
        }
        if out.len() == before {
            out.push((e.pos, e.subject.to_string()));
        }
    }
    out
}

/// A security weakness with a CVSS vector: the security rule rates what an attacker can stop.
fn attacker_rated(adv: &Advisory) -> bool {
    adv.cvss.is_some() && adv.effects.contains(&Effect::Security)
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

/// The groups a finding has told of, by their address in the topology: a finding meets a few.
#[derive(Default)]
pub(super) struct Told(SmallVec<[usize; 4]>);

impl Told {
    /// Whether `g` is told of for the first time (and is now told).
    pub(super) fn first(&mut self, g: &GroupInfo<'_>) -> bool {
        let at = std::ptr::from_ref(g) as usize;
        if self.0.contains(&at) {
            return false;
        }
        self.0.push(at);
        true
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::rating::FindingCode;
    use crate::blast::testing::*;
    use crate::model::ComponentKind;
    use crate::testkit::*;

    #[test]
    fn hardware_fault_outranks_conditions_and_settings_leave_anytime() {
        let mut a = advisory_for("A", "Dell", "Unity", "vers:intdot/<9").any_part();
        assert_eq!(trigger_urgency(&a), Urgency::Anytime);
        a.triggers = vec![Trigger::Setting {
            name: "x".into(),
            value: true,
        }];
        assert_eq!(trigger_urgency(&a), Urgency::Anytime, "the setting is on");
        a.triggers.push(Trigger::DegradedMode);
        assert_eq!(trigger_urgency(&a), Urgency::NeedsCondition);
        a.triggers.push(Trigger::HardwareFault);
        assert_eq!(trigger_urgency(&a), Urgency::NeedsFault);
        a.triggers.push(Trigger::DegradedMode);
        assert_eq!(
            trigger_urgency(&a),
            Urgency::NeedsFault,
            "a later condition does not lower a needed fault"
        );
    }

    #[test]
    fn every_effect_adds_its_reading_and_no_effect_is_unclassified() {
        let e = unity();
        let a = advisory_for("A", "Dell", "Unity", "vers:intdot/<9")
            .effects(&[Effect::Performance, Effect::ManagementPlane]);
        let codes: Vec<_> = on_run(&e, &[a], "arr", |ctx, a, s, exps| {
            readings(ctx, &mut Shared::default(), a, s, exps)
                .iter()
                .map(|r| r.code)
                .collect()
        });
        assert_eq!(
            codes,
            [FindingCode::Performance, FindingCode::ManagementPlane]
        );

        let bare = advisory_for("B", "Dell", "Unity", "vers:intdot/<9").any_part();
        let codes: Vec<_> = on_run(&e, &[bare], "arr", |ctx, a, s, exps| {
            readings(ctx, &mut Shared::default(), a, s, exps)
                .iter()
                .map(|r| r.code)
                .collect()
        });
        assert_eq!(codes, [FindingCode::Unclassified]);
    }

    #[test]
    fn a_time_trigger_dates_data_loss_instead_of_the_plain_data_loss_rule() {
        let e = Estate::new()
            .system("srv", "HPE", "DL380", crate::version::Scheme::Intdot, "1.0")
            .component(
                "srv",
                "ssd",
                ComponentKind::Drive,
                "HPE",
                "VO1920",
                crate::version::Scheme::Opaque,
                "HPD7",
                2,
            )
            .hours("srv", "ssd", 1_000, "2026-11-01");
        let a = advisory_for("A", "HPE", "VO1920", "vers:opaque/HPD7")
            .on(ComponentKind::Drive)
            .effects(&[Effect::DataLoss])
            .triggers(&[Trigger::PowerOnHours { hours: 32_768 }]);
        let codes: Vec<_> = on_run(&e, &[a], "srv", |ctx, a, s, exps| {
            readings(ctx, &mut Shared::default(), a, s, exps)
                .iter()
                .map(|r| r.code)
                .collect()
        });
        assert_eq!(codes, [FindingCode::TimeBomb]);
    }

    #[test]
    fn a_system_exposure_brings_its_controller_groups_but_not_its_raid_groups() {
        let e = unity()
            .group(
                "arr-paths",
                GroupKind::Multipath,
                &["arr/spa", "arr/spb"],
                None,
            )
            .component(
                "arr",
                "disks",
                ComponentKind::Drive,
                "Seagate",
                "ST4000",
                crate::version::Scheme::Opaque,
                "CS01",
                6,
            )
            .group(
                "arr-rg",
                GroupKind::RaidGroup { tolerance: 2 },
                &["arr/disks"],
                None,
            );
        let a =
            advisory_for("A", "Dell", "Unity", "vers:intdot/<9").effects(&[Effect::ComponentCrash]);
        let ids: Vec<String> = on_run(&e, &[a], "arr", |ctx, _, _, exps| {
            let system = exps
                .iter()
                .find(|e| e.pos.1 == Exposure::SYSTEM)
                .expect("system-level exposure");
            groups_for(ctx, system)
                .iter()
                .map(|g| g.group.id.to_string())
                .collect()
        });
        assert_eq!(ids, ["arr-paths", "arr-sp"]);
    }
}
