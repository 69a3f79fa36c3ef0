//! `firmwatch exposure`: the binary end to end, and the report renderers.

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;

mod browser;
mod cli;
mod pictures;
mod report;
mod vex;

/// The day the example estate's pictures and report tests rate it on (the README's day).
const TODAY: &str = "2026-11-22";
/// The rollout plan the timeline tests mark.
const PLAN: &str = "tests/fixtures/plans/iaas-staged.toml";

/// `firmwatch exposure --today TODAY ARGS` on the example estate, with `fx`'s store.
fn exposure(fx: &Fixture, args: &[&str]) -> Run {
    Fw::new()
        .in_project()
        .store(fx.store())
        .arg("exposure")
        .args(["--today", TODAY])
        .args(args)
        .run()
}
