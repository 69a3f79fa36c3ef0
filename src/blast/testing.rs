//! Running the rules on one finding's exposures of a [`testkit`](crate::testkit) estate, as
//! [`assess`](super::assess) hands them over, so a rule's tests assert its own readings.

use super::topology::{Context, Exp};
use crate::matcher::{match_inventory, Index};
use crate::model::Advisory;
use crate::testkit::{today, Estate};

/// A Unity array `arr` on 5.1.2.0.5.007 with storage processors `spa` and `spb` in controller
/// pair `arr-sp`, each at 60 % load.
pub(super) fn unity() -> Estate {
    Estate::new().unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", 0.6)
}

/// Match `advisories` against the estate and call `f` with the context, the first advisory's
/// index and `system`'s position and that advisory's exposures on `system`. Panics when there are
/// none: a rule test needs a run to rate.
pub(super) fn on_run<R>(
    estate: &Estate,
    advisories: &[Advisory],
    system: &str,
    f: impl FnOnce(&Context<'_>, usize, u32, &[Exp<'_>]) -> R,
) -> R {
    let index = Index::build(advisories);
    let matches = match_inventory(&estate.0, advisories, &index);
    let ctx = Context::new(&estate.0, advisories, &matches, today());
    let sys = ctx
        .topo
        .systems
        .iter()
        .position(|s| s.id.as_str() == system)
        .unwrap_or_else(|| panic!("no system {system}")) as u32;
    let exps: Vec<Exp<'_>> = matches
        .exposures
        .iter()
        .filter(|e| e.advisory == 0 && e.system == sys)
        .map(|e| ctx.exp(e))
        .collect();
    assert!(!exps.is_empty(), "the advisory matches nothing on {system}");
    f(&ctx, 0, sys, &exps)
}
