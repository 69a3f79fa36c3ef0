//! Compatibility statements: a part whose partner runs a version its firmware does not support
//! (the requirements and partners are `compat`'s). The matcher keeps such an advisory only where a
//! requirement is broken or undecidable; this rule names both sides and the versions required.
//!
//! What an unsupported combination does is what the statement's effects say (replication stops,
//! a shelf goes offline …); without effects it is at least lost redundancy. The reading takes the
//! worst of those so that the finding is told as `unsupported-combination`, with the effects'
//! lines after it.

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::topology::{Context, Exp};
use crate::compat::{check, Outcome};

/// The reading of a compatibility statement on the finding's parts; `worst` is the worst
/// consequence the statement's effects gave.
pub(super) fn partner(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
    worst: Option<Consequence>,
    base: Urgency,
) -> Reading {
    let adv = &ctx.advisories[adv_idx];
    let system = ctx.topo.systems[sys_idx as usize];
    let mut lines = Vec::new();
    let mut unknown = Vec::new();
    let mut broken = false;
    for e in exps {
        let component = ctx.topo.component(e.pos);
        let subject = e.subject.to_string();
        for c in check(ctx.inventory, &ctx.topo.relations, adv, system, component) {
            let line = c.line(adv.id.as_str(), &subject, &e.decision.firmware);
            match c.outcome {
                Outcome::Met => continue,
                Outcome::Broken => broken = true,
                Outcome::Unknown(_) => unknown.push(line.clone()),
            }
            lines.push(line);
        }
    }
    let consequence = worst
        .unwrap_or(Consequence::RedundancyLost)
        .max(Consequence::RedundancyLost);
    let mut r = Reading::with_reasons(
        FindingCode::UnsupportedCombination,
        consequence,
        base,
        lines,
    );
    if !broken {
        r.undecided = unknown.into_iter().next();
    }
    r
}
