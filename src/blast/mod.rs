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
//!   "common mode"), and when the trigger is uptime and the members booted within a day of each
//!   other they fail *together*: outage. Members booted further apart fail one at a time.
//! - **Uptime clocks**: a bug that fires after N days of uptime is dated from each exposed part's
//!   boot (`booted`); an unrecorded boot makes its date UNKNOWN, said in the reasons.
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
//!
//! ## Where things are
//!
//! - `mod.rs` (here): [`assess`], which cuts the matcher's exposures into findings, rates them in
//!   parallel and sorts them.
//! - `topology.rs`: [`Topology`], the inventory indexed by position, and the [`Context`] the rules
//!   read.
//! - `finding.rs`: [`Finding`] and how one run of exposures becomes one.
//! - `rating.rs`: [`Consequence`], [`Urgency`], [`Severity`], [`FindingCode`], [`Rating`]; how the rules' readings
//!   become one rating, and the score.
//! - `reach.rs`: [`Reach`] (services, users, tenants) and the wording shared by the lines.
//! - `rules/`: one file per rule above; `rules/mod.rs` maps an advisory's effects to its rules.

mod finding;
mod rating;
mod reach;
mod rules;
#[cfg(test)]
mod testing;
mod topology;

use std::ops::Range;

pub use finding::{AdvisoryTexts, Finding, Part};
pub use rating::{Consequence, FindingCode, Rating, Severity, Urgency, UNKNOWN_REASON};
pub use reach::{pct, thousands, Reach};
pub use rules::crash::survivor_load;
pub use rules::time_bomb::{threshold_date, Dating, WINDOW_DAYS};
pub use topology::{Context, Topology};

use crate::classify::Overrides;
use crate::matcher::{counting_order, Exposure};
use reach::Shared;
use topology::Exp;

/// Rate every exposure, grouped into findings per (advisory, system), sorted by score, then by
/// advisory id and system id.
pub fn assess(ctx: &Context<'_>, overrides: &Overrides) -> Vec<Finding> {
    let runs = runs(&ctx.matches.exposures);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut slots = rate_runs(ctx, overrides, &runs, threads);
    // Lifecycle findings and the findings on out-of-support lines read each other; checked per
    // advisory with exposures, so an estate without lifecycle data pays nothing per finding.
    if ctx
        .texts
        .keys()
        .any(|&a| ctx.advisories[a as usize].lifecycle.is_some())
    {
        rules::lifecycle::annotate(ctx, &mut slots);
    }
    sort_by_score(&mut slots);
    // `filter_map` (unlike `flatten`) collects in place: same size and alignment, no copy.
    #[allow(clippy::filter_map_identity)]
    slots.into_iter().filter_map(|f| f).collect()
}

/// Runs rated as one piece of work by one thread ([`rate_runs`]).
const RATE_BLOCK: usize = 1024;

/// The finding of each run, in the runs' order, rated on up to `threads` threads.
///
/// Each finding is rated on its own from shared read-only data, each into its own slot of one
/// vector (no second copy of a few hundred thousand findings). Findings cost unevenly (a feeder's
/// finding walks the domains it feeds, a common-mode pair dates both clocks), so the runs are
/// handed out in blocks: a thread that drew cheap ones takes the next block instead of waiting
/// for the other at the end. Each thread keeps its own [`Shared`] lines.
fn rate_runs(
    ctx: &Context<'_>,
    overrides: &Overrides,
    runs: &[Range<usize>],
    threads: usize,
) -> Vec<Option<Finding>> {
    let all = &ctx.matches.exposures;
    let rate_into = |shared: &mut Shared, runs: &[Range<usize>], slots: &mut [Option<Finding>]| {
        for (run, slot) in runs.iter().zip(slots) {
            let exps: Vec<Exp<'_>> = all[run.clone()].iter().map(|e| ctx.exp(e)).collect();
            let first = &all[run.start];
            *slot = Some(finding::finding(
                ctx,
                shared,
                overrides,
                first.advisory as usize,
                first.system,
                &exps,
            ));
        }
    };
    let mut slots: Vec<Option<Finding>> = (0..runs.len()).map(|_| None).collect();
    if threads < 2 || runs.len() < 2 * RATE_BLOCK {
        rate_into(&mut Shared::default(), runs, &mut slots);
        return slots;
    }
    let blocks = std::sync::Mutex::new(runs.chunks(RATE_BLOCK).zip(slots.chunks_mut(RATE_BLOCK)));
    let next = || {
        blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next()
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut shared = Shared::default();
                while let Some((runs, slots)) = next() {
                    rate_into(&mut shared, runs, slots);
                }
            });
        }
    });
    slots
}

/// The exposures are sorted by (advisory, system): each run of one pair is one finding.
fn runs(all: &[Exposure]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut from = 0;
    for i in 1..=all.len() {
        if i == all.len()
            || (all[i].advisory, all[i].system) != (all[from].advisory, all[from].system)
        {
            runs.push(from..i);
            from = i;
        }
    }
    runs
}

/// Highest score first; equal scores keep the runs' order: advisory, then system (the
/// inventory's systems are in id order, and so are prepared advisories, `pipeline::prepare`).
/// A stable counting sort of positions by a score gathered beforehand (no finding is visited at
/// random during the sort), then each finding moved once into place along the permutation's
/// cycles, reusing the vector.
fn sort_by_score(slots: &mut [Option<Finding>]) {
    let scores: Vec<u8> = slots
        .iter()
        .map(|f| f.as_ref().map_or(0, |f| f.rating.score))
        .collect();
    let top = usize::from(u8::MAX);
    let mut order = counting_order(scores.len(), top + 1, |i| top - usize::from(scores[i]));
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{match_inventory, Index};
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    fn exposure(advisory: u32, system: u32, component: u32) -> Exposure {
        Exposure {
            advisory,
            system,
            component,
            decision: 0,
        }
    }

    #[test]
    fn a_run_is_one_advisory_on_one_system() {
        let all = [
            exposure(0, 0, 0),
            exposure(0, 0, 1),
            exposure(0, 1, 0),
            exposure(1, 1, 0),
            exposure(1, 1, 2),
        ];
        assert_eq!(runs(&all), [0..2, 2..3, 3..5]);
        assert!(runs(&[]).is_empty());
    }

    #[test]
    fn findings_come_highest_score_first_then_in_advisory_and_system_order() {
        // Two systems with the same bugs: the data-loss bug outranks the performance bug on both,
        // and equal scores keep advisory order, then system order.
        let e = Estate::new()
            .system("a-arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3")
            .system("b-arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3");
        let bug = |id: &str, effect| {
            advisory_for(id, "Dell", "Unity", "vers:intdot/<5.0.6").effects(&[effect])
        };
        let advisories = [
            bug("FWN-1", Effect::Performance),
            bug("FWN-2", Effect::DataLoss),
        ];
        let f = run(&e, &advisories);
        let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            ["FWN-2@a-arr", "FWN-2@b-arr", "FWN-1@a-arr", "FWN-1@b-arr"]
        );
        assert!(f[1].rating.score > f[2].rating.score);
    }

    #[test]
    fn findings_rated_on_several_threads_are_those_rated_on_one() {
        // More runs than four blocks, rated by two rules (crash, data loss).
        let mut e = Estate::new();
        for i in 0..2 * RATE_BLOCK + 300 {
            e = e.system(
                &format!("arr-{i:05}"),
                "Dell EMC",
                "Unity 680F",
                Scheme::Intdot,
                "5.0.3",
            );
        }
        let advisories = [
            advisory_for("FWN-1", "Dell", "Unity", "vers:intdot/<5.0.6")
                .effects(&[Effect::ComponentCrash]),
            advisory_for("FWN-2", "Dell", "Unity", "vers:intdot/<5.0.6")
                .effects(&[Effect::DataLoss]),
        ];
        let index = Index::build(&advisories);
        let matches = match_inventory(&e.0, &advisories, &index);
        let ctx = Context::new(&e.0, &advisories, &matches, today());
        let runs = runs(&matches.exposures);
        assert!(runs.len() > 4 * RATE_BLOCK, "{}", runs.len());
        let one = rate_runs(&ctx, &Overrides::default(), &runs, 1);
        for threads in [2, 3] {
            assert_eq!(rate_runs(&ctx, &Overrides::default(), &runs, threads), one);
        }
        assert!(one.iter().all(Option::is_some));
    }

    #[test]
    fn the_score_sort_moves_every_finding_to_its_place() {
        let e = Estate::new().system("arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3");
        let advisories: Vec<_> = [
            Effect::Performance,
            Effect::DataLoss,
            Effect::ManagementPlane,
            Effect::DataUnavailable,
            Effect::Performance,
        ]
        .iter()
        .enumerate()
        .map(|(i, &effect)| {
            advisory_for(&format!("FWN-{i}"), "Dell", "Unity", "vers:intdot/<5.0.6")
                .any_part()
                .effects(&[effect])
        })
        .collect();
        let index = Index::build(&advisories);
        let matches = match_inventory(&e.0, &advisories, &index);
        let ctx = Context::new(&e.0, &advisories, &matches, today());
        let f = assess(&ctx, &Overrides::default());
        let ids: Vec<&str> = f.iter().map(|f| f.advisory.id.as_ref()).collect();
        assert_eq!(ids, ["FWN-1", "FWN-3", "FWN-0", "FWN-4", "FWN-2"]);
        assert!(f.windows(2).all(|w| w[0].rating.score >= w[1].rating.score));
    }
}
