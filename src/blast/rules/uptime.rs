//! Uptime clocks: bugs that fire after N days of continuous uptime (a controller that panics at
//! 248 days, a BMC that hangs at 497).
//!
//! A subject's clock started when it last booted: its own `booted` date, or for a part without
//! one its system's ([`crate::inventory::System::booted`]). It runs out on boot + N days, and the
//! finding is dated by the first exposed subject to get there, so it nears and grows urgent like
//! a power-on-hours time bomb (90, 30 and 7 days, then past). A date already past means the
//! recorded boot is stale or the bug is due now: it is rated as triggering.
//!
//! Members of a redundancy group whose clocks run out within [`TOGETHER_DAYS`] of each other fail
//! together: the pair that was booted the same day is an outage on that day, not a degraded pair
//! (`crash` reads [`together`]). A failed member reboots and starts a new clock, so members
//! booted further apart fail one at a time, each on its own date. A subject whose boot time is
//! not recorded has no date: the finding says its date is UNKNOWN, and a group with such a member
//! is rated as if its members started together, since nothing says they did not.

use chrono::{Duration, NaiveDate};

use crate::blast::rating::Urgency;
use crate::blast::topology::{Context, Pos};
use crate::inventory::ComponentRef;
use crate::model::{Advisory, Trigger};

/// Members whose uptime clocks run out within this many days of each other fail together: a
/// member down on its day is back (with a fresh clock) the next.
pub const TOGETHER_DAYS: i64 = 1;

/// The days of uptime after which the advisory's bug fires, if it has such a trigger.
pub(super) fn uptime_days(adv: &Advisory) -> Option<u64> {
    adv.triggers.iter().find_map(|t| match t {
        Trigger::UptimeDays { days } => Some(*days),
        _ => None,
    })
}

/// When one subject's clock runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Runs {
    /// Booted on the first date, runs out on the second.
    Out(NaiveDate, NaiveDate),
    /// Its boot time is not recorded.
    Unrecorded,
    /// Boot + days is outside any calendar (a bad number in the advisory).
    OutOfRange,
}

/// The clock of the subject at `pos`.
pub(super) fn runs_out(ctx: &Context<'_>, pos: Pos, days: u64) -> Runs {
    let Some(system) = ctx.topo.systems.get(pos.0 as usize) else {
        return Runs::Unrecorded;
    };
    let Some(boot) = system.booted(ctx.topo.component(pos)) else {
        return Runs::Unrecorded;
    };
    i64::try_from(days)
        .ok()
        .and_then(Duration::try_days)
        .and_then(|d| boot.checked_add_signed(d))
        .map_or(Runs::OutOfRange, |out| Runs::Out(boot, out))
}

/// The clocks of a finding's exposed subjects: its urgency and the lines that say why.
pub(super) struct Clocks {
    pub(super) urgency: Urgency,
    pub(super) lines: Vec<String>,
    /// Set when the figures give no calendar date: the finding is then undecided.
    pub(super) undecided: Option<String>,
}

/// Date a finding by the first of `subjects` (exposed, with their names) to run out.
pub(super) fn clocks(
    ctx: &Context<'_>,
    days: u64,
    subjects: impl IntoIterator<Item = (Pos, String)>,
) -> Clocks {
    let mut first: Option<(NaiveDate, NaiveDate, String)> = None;
    let mut undated = Vec::new();
    let mut out_of_range = Vec::new();
    for (pos, r) in subjects {
        match runs_out(ctx, pos, days) {
            Runs::Out(boot, out) => {
                if first.as_ref().is_none_or(|(_, f, _)| out < *f) {
                    first = Some((boot, out, r));
                }
            }
            Runs::Unrecorded => undated.push(r),
            Runs::OutOfRange => out_of_range.push(r),
        }
    }
    let mut lines = Vec::new();
    let mut urgency = Urgency::NeedsCondition;
    if let Some((boot, out, r)) = &first {
        let (boot, out) = (*boot, *out);
        lines.push(match out.cmp(&ctx.today) {
            std::cmp::Ordering::Greater => format!(
                "{r} booted on {boot} reaches {days} days of uptime on {out}, when the bug fires"
            ),
            _ => format!(
                "{r} booted on {boot} reached {days} days of uptime on {out} (past: the recorded \
                 boot is stale, or the bug is due now — check its uptime)"
            ),
        });
        urgency = if out <= ctx.today {
            Urgency::Triggering
        } else {
            Urgency::ByDate(out)
        };
    }
    if !undated.is_empty() {
        lines.push(format!(
            "boot time not recorded for {}: the day the bug fires is UNKNOWN (any day within {days} \
             days of uptime) — record `booted`",
            undated.join(", ")
        ));
        // Any day: at least as urgent as a bug that can fire in normal operation.
        if first.is_none() {
            urgency = Urgency::Anytime;
        }
    }
    let undecided = (!out_of_range.is_empty()).then(|| {
        format!(
            "{days} days of uptime after the boot of {} gives no calendar date: check the \
             advisory's figure",
            out_of_range.join(", ")
        )
    });
    lines.extend(undecided.clone());
    Clocks {
        urgency,
        lines,
        undecided,
    }
}

/// How the clocks of a group's exposed members meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Together {
    /// They run out within [`TOGETHER_DAYS`] of each other: the line says when.
    Yes(String),
    /// Not every boot is recorded: rated as if together, the line says so.
    Assumed(String),
    /// They run out apart: one at a time, the line gives each date.
    Apart(String),
}

/// Whether the members `(pos, reference)` fail together on an uptime bug of `days`.
pub(super) fn together(ctx: &Context<'_>, days: u64, members: &[(Pos, &ComponentRef)]) -> Together {
    let mut dated: Vec<(NaiveDate, NaiveDate, &ComponentRef)> = Vec::new();
    let mut undated = Vec::new();
    for &(pos, r) in members {
        match runs_out(ctx, pos, days) {
            Runs::Out(boot, out) => dated.push((out, boot, r)),
            Runs::Unrecorded | Runs::OutOfRange => undated.push(r.to_string()),
        }
    }
    let names = || crate::blast::reach::names(members.iter().map(|(_, r)| *r));
    if !undated.is_empty() {
        return Together::Assumed(format!(
            "the trigger is {days} days of uptime and the boot time of {} is not recorded: rated \
             as if {} started together and fail at the same time",
            undated.join(", "),
            names()
        ));
    }
    dated.sort();
    let (Some(first), Some(last)) = (dated.first(), dated.last()) else {
        return Together::Assumed(String::new());
    };
    let each = dated
        .iter()
        .map(|(out, boot, r)| {
            format!(
                "{} on {out} (booted {boot})",
                crate::blast::reach::short_name(r)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let spread = (last.0 - first.0).num_days();
    if spread <= TOGETHER_DAYS {
        Together::Yes(format!(
            "the trigger is {days} days of uptime and {} booted within {TOGETHER_DAYS} day of each \
             other: {each} — they fail at the same time",
            names()
        ))
    } else {
        Together::Apart(format!(
            "the trigger is {days} days of uptime and {} booted {spread} days apart: {each} — one \
             fails at a time",
            names()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::rating::{Consequence, FindingCode, Severity};
    use crate::blast::Finding;
    use crate::matcher::MatchState;
    use crate::model::{ComponentKind, Effect};
    use crate::testkit::*;

    /// A Unity pair `arr` (spa, spb at `load` each) and a controller panic after 248 days of uptime.
    fn pair(load: f64) -> Estate {
        Estate::new().unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", load)
    }

    fn panic_at(days: u64) -> Advisory {
        advisory_for("FWN-248", "Dell", "Unity", "vers:intdot/<5.1.2.0.5.009")
            .on(ComponentKind::Controller)
            .effects(&[Effect::ComponentCrash])
            .triggers(&[Trigger::UptimeDays { days }])
    }

    fn rate(e: &Estate, days: u64) -> Finding {
        let f = run(e, &[panic_at(days)]);
        assert_eq!(f.len(), 1, "{f:?}");
        f.into_iter().next().unwrap()
    }

    fn lines(f: &Finding) -> Vec<&str> {
        f.rating.reasons.iter().map(|l| &**l).collect()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_pair_booted_the_same_day_fails_together_on_the_date() {
        // 2026-03-20 + 248 days = 2026-11-23, tomorrow.
        let e = pair(0.3)
            .booted("arr/spa", "2026-03-20")
            .booted("arr/spb", "2026-03-20");
        let f = rate(&e, 248);
        assert_eq!(f.rating.code, FindingCode::CommonModeOutage);
        assert_eq!(f.rating.consequence, Consequence::ServiceOutage);
        assert_eq!(f.rating.urgency, Urgency::ByDate(day("2026-11-23")));
        assert_eq!(f.state, MatchState::Confirmed);
        let l = lines(&f);
        assert_eq!(
            l[1],
            "the trigger is 248 days of uptime and spa and spb booted within 1 day of each other: \
             spa on 2026-11-23 (booted 2026-03-20), spb on 2026-11-23 (booted 2026-03-20) — they \
             fail at the same time"
        );
        assert!(
            l.contains(
                &"arr/spa booted on 2026-03-20 reaches 248 days of uptime on 2026-11-23, when the \
                  bug fires"
            ),
            "{l:?}"
        );
        // A day apart is still together; the system's boot date stands in for a part's.
        let e = pair(0.3)
            .booted("arr", "2026-03-20")
            .booted("arr/spb", "2026-03-21");
        assert_eq!(rate(&e, 248).rating.code, FindingCode::CommonModeOutage);
    }

    #[test]
    fn a_staggered_pair_fails_one_member_at_a_time_with_each_date() {
        let e = pair(0.3)
            .booted("arr/spa", "2026-03-20")
            .booted("arr/spb", "2026-06-01");
        let f = rate(&e, 248);
        // 30 % each: the survivor carries 60 %, degraded but running.
        assert_eq!(f.rating.code, FindingCode::RedundancyLost);
        assert_eq!(f.rating.consequence, Consequence::RedundancyLost);
        assert_eq!(f.rating.urgency, Urgency::ByDate(day("2026-11-23")));
        let l = lines(&f);
        assert!(
            l.contains(
                &"the trigger is 248 days of uptime and spa and spb booted 73 days apart: spa on \
                  2026-11-23 (booted 2026-03-20), spb on 2027-02-04 (booted 2026-06-01) — one fails \
                  at a time"
            ),
            "{l:?}"
        );
        // At 60 % each the survivor is overloaded even one at a time.
        let e = pair(0.6)
            .booted("arr/spa", "2026-03-20")
            .booted("arr/spb", "2026-06-01");
        assert_eq!(rate(&e, 248).rating.code, FindingCode::SurvivorOverload);
    }

    #[test]
    fn an_unknown_boot_time_is_an_unknown_date_rated_as_failing_together() {
        let f = rate(&pair(0.3).booted("arr/spa", "2026-03-20"), 248);
        assert_eq!(f.rating.code, FindingCode::CommonModeOutage);
        let l = lines(&f);
        assert_eq!(
            l[1],
            "the trigger is 248 days of uptime and the boot time of arr/spb is not recorded: rated \
             as if spa and spb started together and fail at the same time"
        );
        assert!(l.contains(
            &"boot time not recorded for arr/spb: the day the bug fires is UNKNOWN (any day within \
              248 days of uptime) — record `booted`"
        ));
        // Dated by the one clock that is known.
        assert_eq!(f.rating.urgency, Urgency::ByDate(day("2026-11-23")));

        let f = rate(&pair(0.3), 248);
        assert_eq!(f.rating.code, FindingCode::CommonModeOutage);
        assert_eq!(f.rating.urgency, Urgency::Anytime, "never silently undated");
    }

    #[test]
    fn the_date_nears_and_a_past_date_is_triggering() {
        let at = |boot: &str| {
            let e = pair(0.3).booted("arr/spa", boot).booted("arr/spb", boot);
            rate(&e, 248).rating
        };
        // 2026-11-22 is today: 248 days after 2026-03-19.
        let past = at("2026-03-01");
        assert_eq!(past.urgency, Urgency::Triggering);
        assert!(past
            .reasons
            .iter()
            .any(|l| l.contains("(past: the recorded boot is stale")));
        let week = at("2026-03-27");
        let quarter = at("2026-05-20");
        let years = at("2026-11-20");
        assert_eq!(week.urgency, Urgency::ByDate(day("2026-11-30")));
        assert!(past.score >= week.score);
        assert!(week.score > years.score);
        assert!(quarter.score >= years.score);
        // Well within a year: no cap; 248 days out is within the year too.
        assert_ne!(years.severity, Severity::Info);
    }

    #[test]
    fn a_boot_date_that_gives_no_calendar_date_makes_the_finding_unknown() {
        let e = pair(0.3)
            .booted("arr/spa", "2026-03-20")
            .booted("arr/spb", "2026-03-20");
        let f = rate(&e, u64::MAX);
        assert_eq!(f.state, MatchState::Unknown);
        assert!(lines(&f)
            .iter()
            .any(|l| l.contains("gives no calendar date")));
    }

    #[test]
    fn a_system_exposure_is_dated_by_its_controllers_or_itself() {
        let bug = advisory_for("FWN-497", "Dell", "Unity", "vers:intdot/<9")
            .effects(&[Effect::DataUnavailable])
            .triggers(&[Trigger::UptimeDays { days: 497 }]);
        let e = pair(0.3)
            .booted("arr", "2026-01-01")
            .booted("arr/spb", "2025-08-01");
        let f = run(&e, std::slice::from_ref(&bug));
        // spb's clock runs out first: 2025-08-01 + 497 days.
        assert_eq!(f[0].rating.urgency, Urgency::ByDate(day("2026-12-11")));
        let lone = Estate::new()
            .system(
                "nas",
                "Dell",
                "Unity 380",
                crate::version::Scheme::Intdot,
                "5.0",
            )
            .booted("nas", "2026-01-01");
        let f = run(&lone, &[bug]);
        assert_eq!(f[0].rating.urgency, Urgency::ByDate(day("2027-05-13")));
    }
}
