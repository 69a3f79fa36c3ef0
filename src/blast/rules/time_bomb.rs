//! Time-triggered drive failures (HPE SSDs at 32,768 / 40,000 power-on hours).
//!
//! Each drive set's date of reaching the threshold is computed from its last power-on-hours
//! reading, or from its in-service date assuming 24/7 operation ([`threshold_date`]). Drives of one
//! RAID group that reach it within [`WINDOW_DAYS`] of each other fail together: when more of them
//! do than the group tolerates, the consequence is data loss on that date, softened only by an
//! independent backup. Drives that cannot be dated are named; a RAID group with undated drives and
//! none dated is rated as if they failed together, since nothing says they will not.

use chrono::{Duration, NaiveDate};

use super::data_loss::backup_verdict;
use super::Told;
use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::reach::thousands;
use crate::blast::topology::{Context, Exp, GroupInfo};
use crate::inventory::{Component, GroupKind};
use crate::model::Trigger;

/// Drives reaching a power-on-hours threshold within this many days count as failing together
/// (a rebuild of a large SSD group takes days; replacements must be ordered and fitted).
pub const WINDOW_DAYS: i64 = 30;

/// When a drive set reaches a power-on-hours threshold, assuming 24/7 operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dating {
    /// On this date.
    On(NaiveDate),
    /// Neither its power-on hours nor its in-service date is recorded.
    Unrecorded,
    /// The figures put the date outside any calendar (a threshold or reading of 10^14 hours):
    /// a bad number in the advisory or the inventory, not a date to rate by.
    OutOfRange,
}

/// The date a drive set reaches `hours` power-on hours, from its last reading (or its in-service
/// date), assuming 24/7 operation. Every step is checked: the numbers come from advisory text and
/// inventory files.
pub fn threshold_date(c: &Component, hours: u64) -> Dating {
    let (from, remaining) = match (c.power_on_hours, c.in_service) {
        (Some(poh), _) => (poh.read_on, i128::from(hours) - i128::from(poh.hours)),
        (None, Some(d)) => (d, i128::from(hours)),
        (None, None) => return Dating::Unrecorded,
    };
    i64::try_from(remaining)
        .ok()
        .and_then(Duration::try_hours)
        .and_then(|left| from.checked_add_signed(left))
        .map_or(Dating::OutOfRange, Dating::On)
}

/// One reading per RAID group with exposed drives, and one per exposed drive set in no RAID
/// group; nothing when the advisory has no power-on-hours trigger.
pub(super) fn time_bomb(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
) -> Vec<Reading> {
    let adv = &ctx.advisories[adv_idx];
    let Some(hours) = adv.triggers.iter().find_map(|t| match t {
        Trigger::PowerOnHours { hours } => Some(*hours),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut told = Told::default();
    // Whether the system's data survives does not depend on the group: asked once.
    let mut verdict = None;
    for e in exps {
        let raid = ctx
            .topo
            .member_groups(e.pos)
            .find(|g| matches!(g.group.kind, GroupKind::RaidGroup { .. }));
        match raid {
            Some(info) => {
                if !told.first(info) {
                    continue;
                }
                let backup = || {
                    verdict
                        .get_or_insert_with(|| backup_verdict(ctx, adv_idx, sys_idx))
                        .clone()
                };
                out.extend(raid_group(ctx, adv_idx, e, info, exps, hours, backup));
            }
            None => out.extend(outside_raid(ctx, adv_idx, sys_idx, e, hours)),
        }
    }
    out
}

/// The exposed drive sets of a RAID group against its tolerance. `e` is the exposure that led
/// to the group (its firmware is named); `backup` tells whether the system's data survives
/// ([`backup_verdict`]), asked only when the group loses data.
fn raid_group(
    ctx: &Context<'_>,
    adv_idx: usize,
    e: &Exp<'_>,
    info: &GroupInfo<'_>,
    exps: &[Exp<'_>],
    hours: u64,
    backup: impl FnOnce() -> (Consequence, Vec<String>),
) -> Option<Reading> {
    let g = info.group;
    let GroupKind::RaidGroup { tolerance } = g.kind else {
        return None;
    };
    let drives = drive_dates(ctx, adv_idx, info, exps, hours);
    let (worst, first) = worst_window(&drives.dated);
    let mut reasons = Vec::new();
    if let Some(first) = first {
        reasons.push(format!(
            "{} drives of {} ({}) {} — {} power-on hours, the bug's threshold; the RAID group tolerates {} of {}",
            worst, g.id, e.decision.firmware, when(first, ctx.today), thousands(hours), tolerance, drives.group_size
        ));
    }
    if !drives.undated.is_empty() {
        reasons.push(format!(
            "power-on hours and in-service date not recorded for {}: cannot date their failure",
            drives.undated.join(", ")
        ));
    }
    let undecided = (!drives.out_of_range.is_empty()).then(|| {
        format!(
            "{} power-on hours with the readings of {} gives no calendar date: check the \
             advisory's threshold and the inventory's readings",
            thousands(hours),
            drives.out_of_range.join(", ")
        )
    });
    reasons.extend(undecided.clone());
    let urgency = urgency(first, ctx.today);
    let uncounted = !drives.undated.is_empty() || undecided.is_some();
    let mut reading = if worst > tolerance || (uncounted && first.is_none()) {
        let (consequence, more) = backup();
        let backup = more.join("; ");
        reasons.extend(more);
        let mut r = Reading::with_reasons(FindingCode::RaidTimeBomb, consequence, urgency, reasons);
        r.backup = Some(backup);
        r
    } else {
        reasons.push("fewer drives fail together than the group tolerates: redundancy is lost, data survives if rebuilds finish".to_string());
        Reading::with_reasons(
            FindingCode::TimeBomb,
            Consequence::RedundancyLost,
            urgency,
            reasons,
        )
    };
    reading.undecided = undecided;
    Some(reading)
}

/// A RAID group's drive sets as the threshold meets them.
struct DriveDates {
    /// Exposed sets with a date: `(date, drives, place in the group)`, sorted (the place only
    /// breaks ties).
    dated: Vec<(NaiveDate, u32, usize)>,
    /// Exposed sets that cannot be dated, by reference.
    undated: Vec<String>,
    /// Exposed sets whose date would be outside any calendar, by reference.
    out_of_range: Vec<String>,
    /// Drives in the group, exposed or not.
    group_size: u32,
}

fn drive_dates(
    ctx: &Context<'_>,
    adv_idx: usize,
    info: &GroupInfo<'_>,
    exps: &[Exp<'_>],
    hours: u64,
) -> DriveDates {
    let mut dated: Vec<(NaiveDate, u32, usize)> = Vec::new();
    let mut undated = Vec::new();
    let mut out_of_range = Vec::new();
    let mut group_size = 0u32;
    for (k, (m, &pos)) in info.group.members.iter().zip(&info.members).enumerate() {
        let Some(c) = ctx.topo.component(pos) else {
            continue;
        };
        group_size += c.count;
        if !ctx.member_exposed(adv_idx, pos, exps) {
            continue;
        }
        match threshold_date(c, hours) {
            Dating::On(d) => dated.push((d, c.count, k)),
            Dating::Unrecorded => undated.push(m.to_string()),
            Dating::OutOfRange => out_of_range.push(m.to_string()),
        }
    }
    dated.sort();
    DriveDates {
        dated,
        undated,
        out_of_range,
        group_size,
    }
}

/// The largest number of drives reaching the threshold within [`WINDOW_DAYS`] of the first of
/// them, and that first date (`None` when nothing is dated). `dated` is sorted by date.
fn worst_window(dated: &[(NaiveDate, u32, usize)]) -> (u32, Option<NaiveDate>) {
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
    worst
}

/// "reach it on …", said against today.
fn when(first: NaiveDate, today: NaiveDate) -> String {
    match first.cmp(&today) {
        std::cmp::Ordering::Less => {
            format!("reached it on {first} (past: check these drives now)")
        }
        std::cmp::Ordering::Equal => format!("reach it today ({first})"),
        std::cmp::Ordering::Greater => format!("reach it on {first}"),
    }
}

/// A threshold date already reached is triggering; an unknown one needs a condition.
fn urgency(date: Option<NaiveDate>, today: NaiveDate) -> Urgency {
    match date {
        Some(d) if d <= today => Urgency::Triggering,
        Some(d) => Urgency::ByDate(d),
        None => Urgency::NeedsCondition,
    }
}

/// A drive set in no RAID group: when it fails its data is gone unless a backup holds it.
fn outside_raid(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    e: &Exp<'_>,
    hours: u64,
) -> Option<Reading> {
    let comp = ctx.topo.component(e.pos)?;
    let dating = threshold_date(comp, hours);
    let (consequence, mut reasons) = backup_verdict(ctx, adv_idx, sys_idx);
    let backup = reasons.join("; ");
    let mut undecided = None;
    reasons.insert(0, match dating {
        Dating::On(d) => format!("{} × {} ({}) reach {} power-on hours on {d} and fail; no RAID group is recorded for them", comp.count, e.subject, e.decision.firmware, thousands(hours)),
        Dating::Unrecorded => format!("{} fails at {} power-on hours; hours and in-service date are not recorded", e.subject, thousands(hours)),
        Dating::OutOfRange => {
            let line = format!("{} fails at {} power-on hours, which with its readings gives no calendar date: check the advisory's threshold and the inventory's readings", e.subject, thousands(hours));
            undecided = Some(line.clone());
            line
        }
    });
    let date = match dating {
        Dating::On(d) => Some(d),
        Dating::Unrecorded | Dating::OutOfRange => None,
    };
    let mut reading = Reading::with_reasons(
        FindingCode::TimeBomb,
        consequence,
        urgency(date, ctx.today),
        reasons,
    );
    reading.undecided = undecided;
    reading.backup = Some(backup);
    Some(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::*;
    use crate::inventory::DomainKind;
    use crate::model::{Advisory, ComponentKind, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    const HOURS: u64 = 32_768;

    /// Drive sets `ssd-a` (8 drives) and `ssd-b` (4) on `srv`, both on HPD7.
    fn srv() -> Estate {
        Estate::new()
            .system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.72")
            .hpe_ssds("srv", "ssd-a", "HPD7", 8)
            .hpe_ssds("srv", "ssd-b", "HPD7", 4)
    }

    fn raid(e: Estate, tolerance: u32) -> Estate {
        e.group(
            "rg-1",
            GroupKind::RaidGroup { tolerance },
            &["srv/ssd-a", "srv/ssd-b"],
            None,
        )
    }

    /// A reading that puts `comp` at the threshold `days` after today.
    fn due_in(e: Estate, comp: &str, days: i64) -> Estate {
        let hours = (HOURS as i64 - 24 * days) as u64;
        e.hours("srv", comp, hours, "2026-11-22")
    }

    fn ssd_bug() -> Advisory {
        let mut a = advisory_for("FWN-32768", "HPE", "SAS SSD", "vers:opaque/HPD7")
            .on(ComponentKind::Drive)
            .effects(&[Effect::DataLoss])
            .triggers(&[Trigger::PowerOnHours { hours: HOURS }]);
        a.affected[0].models = vec!["VO1920JFDGV".into()];
        a
    }

    fn bombs(e: &Estate) -> Vec<Reading> {
        on_run(e, &[ssd_bug()], "srv", |ctx, a, s, exps| {
            time_bomb(ctx, a, s, exps)
        })
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_threshold_is_dated_from_the_last_reading_or_the_in_service_date() {
        let e = srv()
            .hours("srv", "ssd-a", 31_500, "2026-10-01")
            .in_service("srv", "ssd-b", "2024-01-01");
        let inv = &e.0;
        let sys = inv.systems.values().next().unwrap();
        // 1,268 hours after the reading: 52 whole days.
        assert_eq!(
            threshold_date(&sys.components[0], HOURS),
            Dating::On(day("2026-11-22"))
        );
        // 32,768 hours = 1,365 whole days of 24/7 operation.
        assert_eq!(
            threshold_date(&sys.components[1], HOURS),
            Dating::On(day("2027-09-27"))
        );
        let mut bare = sys.components[1].clone();
        bare.in_service = None;
        assert_eq!(threshold_date(&bare, HOURS), Dating::Unrecorded);
    }

    #[test]
    fn a_threshold_beyond_any_calendar_is_out_of_range_not_a_panic() {
        let e = srv()
            .hours("srv", "ssd-a", 31_500, "2026-10-01")
            .in_service("srv", "ssd-b", "2024-01-01");
        let sys = e.0.systems.values().next().unwrap();
        for hours in [100_000_000_000_000, u64::MAX] {
            assert_eq!(
                threshold_date(&sys.components[0], hours),
                Dating::OutOfRange
            );
            assert_eq!(
                threshold_date(&sys.components[1], hours),
                Dating::OutOfRange
            );
        }
        // A reading far beyond the threshold dates the failure in the past, still a date.
        let mut read = sys.components[0].clone();
        read.power_on_hours.as_mut().unwrap().hours = 10_000_000;
        assert!(matches!(threshold_date(&read, HOURS), Dating::On(_)));
        read.power_on_hours.as_mut().unwrap().hours = u64::MAX;
        assert_eq!(threshold_date(&read, HOURS), Dating::OutOfRange);
    }

    #[test]
    fn an_out_of_range_threshold_makes_the_finding_unknown_with_its_reason() {
        let e = raid(srv().hours("srv", "ssd-a", 31_500, "2026-10-01"), 1).hours(
            "srv",
            "ssd-b",
            31_500,
            "2026-10-01",
        );
        let mut bug = ssd_bug();
        bug.triggers = vec![Trigger::PowerOnHours {
            hours: 100_000_000_000_000,
        }];
        let f = run(&e, &[bug.clone()]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].state, crate::matcher::MatchState::Unknown);
        assert!(
            f[0].rating
                .reasons
                .iter()
                .any(|r| r.contains("gives no calendar date")),
            "{:?}",
            f[0].rating.reasons
        );
        assert_eq!(
            f[0].rating.reasons.last().map(|r| &**r),
            Some(crate::blast::UNKNOWN_REASON)
        );
        // The same drives outside any RAID group.
        let loose = srv().hours("srv", "ssd-a", 31_500, "2026-10-01");
        let f = run(&loose, &[bug]);
        assert!(f
            .iter()
            .all(|f| f.state == crate::matcher::MatchState::Unknown));
    }

    #[test]
    fn more_drives_in_the_window_than_the_group_tolerates_is_data_loss_on_that_date() {
        let e = due_in(due_in(raid(srv(), 1), "ssd-a", 100), "ssd-b", 110);
        let r = bombs(&e);
        assert_eq!(r.len(), 1, "one reading for the group");
        assert_eq!(r[0].code, FindingCode::RaidTimeBomb);
        assert_eq!(r[0].consequence, Consequence::DataLossNoBackup);
        assert_eq!(r[0].urgency, Urgency::ByDate(day("2027-03-02")));
        assert_eq!(
            r[0].reasons,
            [
                "12 drives of rg-1 (HPD7) reach it on 2027-03-02 — 32,768 power-on hours, the \
                 bug's threshold; the RAID group tolerates 1 of 12",
                "no backup or replica of srv is recorded",
            ]
        );
    }

    #[test]
    fn an_independent_backup_makes_the_same_window_a_loss_with_backup() {
        let e = due_in(raid(srv(), 1), "ssd-a", 100)
            .system("bk", "HPE", "StoreOnce 5660", Scheme::Intdot, "4.3.2")
            .backup("srv", "bk");
        let r = bombs(&e);
        assert_eq!(r[0].code, FindingCode::RaidTimeBomb);
        assert_eq!(r[0].consequence, Consequence::DataLossWithBackup);
        assert!(r[0]
            .reasons
            .iter()
            .any(|l| l.contains("recoverable from backup on bk")));
    }

    #[test]
    fn drives_further_apart_than_the_window_fail_one_set_at_a_time() {
        // 8 + 4 drives, 31 days apart, tolerance 8: at most 8 fail together.
        let e = due_in(due_in(raid(srv(), 8), "ssd-a", 100), "ssd-b", 131);
        let r = bombs(&e);
        assert_eq!(r[0].code, FindingCode::TimeBomb);
        assert_eq!(r[0].consequence, Consequence::RedundancyLost);
        assert_eq!(r[0].urgency, Urgency::ByDate(day("2027-03-02")));
        assert!(r[0].reasons[0].starts_with("8 drives of rg-1 (HPD7) reach it on 2027-03-02"));
        assert_eq!(
            r[0].reasons[1],
            "fewer drives fail together than the group tolerates: redundancy is lost, data \
             survives if rebuilds finish"
        );
        // Exactly WINDOW_DAYS apart is together: 12 > 8.
        let e = due_in(due_in(raid(srv(), 8), "ssd-a", 100), "ssd-b", 130);
        assert_eq!(bombs(&e)[0].code, FindingCode::RaidTimeBomb);
    }

    #[test]
    fn the_later_window_counts_when_it_holds_more_drives() {
        // ssd-b (4) first, ssd-a (8) 40 days later: the worst window starts at ssd-a.
        let e = due_in(due_in(raid(srv(), 4), "ssd-b", 100), "ssd-a", 140);
        let r = bombs(&e);
        assert_eq!(r[0].code, FindingCode::RaidTimeBomb);
        assert_eq!(r[0].urgency, Urgency::ByDate(day("2027-04-11")));
        assert!(
            r[0].reasons[0].starts_with("8 drives of rg-1"),
            "{:?}",
            r[0].reasons
        );
    }

    #[test]
    fn a_date_reached_already_or_today_is_triggering() {
        let r = bombs(&due_in(raid(srv(), 1), "ssd-a", -3));
        assert_eq!(r[0].urgency, Urgency::Triggering);
        assert!(
            r[0].reasons[0].contains("reached it on 2026-11-19 (past: check these drives now)"),
            "{:?}",
            r[0].reasons
        );
        let r = bombs(&due_in(raid(srv(), 1), "ssd-a", 0));
        assert_eq!(r[0].urgency, Urgency::Triggering);
        assert!(r[0].reasons[0].contains("reach it today (2026-11-22)"));
    }

    #[test]
    fn undated_drives_are_named_and_a_group_with_none_dated_is_rated_as_failing_together() {
        let r = bombs(&raid(srv(), 1));
        assert_eq!(r[0].code, FindingCode::RaidTimeBomb);
        assert_eq!(r[0].consequence, Consequence::DataLossNoBackup);
        assert_eq!(r[0].urgency, Urgency::NeedsCondition);
        assert_eq!(
            r[0].reasons[0],
            "power-on hours and in-service date not recorded for srv/ssd-a, srv/ssd-b: cannot \
             date their failure"
        );

        // One set dated within tolerance, the other undated: lost redundancy, both named.
        let r = bombs(&due_in(raid(srv(), 4), "ssd-b", 100));
        assert_eq!(r[0].code, FindingCode::TimeBomb);
        assert_eq!(r[0].urgency, Urgency::ByDate(day("2027-03-02")));
        assert!(r[0].reasons[0].starts_with("4 drives of rg-1"));
        assert!(r[0].reasons[1].contains("not recorded for srv/ssd-a"));
    }

    #[test]
    fn drives_outside_a_raid_group_lose_their_data_on_the_date() {
        let e = due_in(srv(), "ssd-a", 100)
            .system("bk", "HPE", "StoreOnce 5660", Scheme::Intdot, "4.3.2")
            .backup("srv", "bk")
            .domain("rack-1", DomainKind::Rack, &["srv", "bk"]);
        let r = bombs(&e);
        assert_eq!(r.len(), 2, "one reading per drive set");
        assert_eq!(r[0].code, FindingCode::TimeBomb);
        assert_eq!(r[0].consequence, Consequence::DataLossNoBackup);
        assert_eq!(r[0].urgency, Urgency::ByDate(day("2027-03-02")));
        assert_eq!(
            r[0].reasons,
            [
                "8 × srv/ssd-a (HPD7) reach 32,768 power-on hours on 2027-03-02 and fail; no \
                 RAID group is recorded for them",
                "backup target bk shares failure domain rack-1 with srv",
            ]
        );
        assert_eq!(r[1].urgency, Urgency::NeedsCondition);
        assert_eq!(
            r[1].reasons[0],
            "srv/ssd-b fails at 32,768 power-on hours; hours and in-service date are not recorded"
        );
    }

    #[test]
    fn the_window_search_counts_drives_not_sets() {
        let d = day("2027-01-01");
        let dated = [
            (d, 2, 0),
            (d + Duration::days(10), 3, 1),
            (d + Duration::days(35), 4, 2),
            (d + Duration::days(36), 1, 3),
        ];
        assert_eq!(worst_window(&dated), (8, Some(d + Duration::days(10))));
        assert_eq!(worst_window(&[]), (0, None));
    }
}
