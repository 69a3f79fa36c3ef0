//! What the move changes: the inventory with the targets applied, rated again and compared with
//! today, system by system.
//!
//! A finding of today missing after the move is **fixed**; one present on both sides is **still
//! open** (or **unknown** if the move makes it undecidable); one only after the move is
//! **introduced** by the target (a known bug of the target version) or unknown.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::plan::{RolloutPlan, Step};
use crate::blast::{assess, Context, Finding};
use crate::classify::Overrides;
use crate::inventory::{Inventory, SystemId};
use crate::matcher::{match_inventory, Index, MatchState};
use crate::model::{Advisory, ComponentKind};
use crate::version::FwVersion;

/// What the move does to one system's exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemDiff {
    pub system: SystemId,
    pub moves: Vec<String>,
    pub fixed: Vec<Finding>,
    pub still_open: Vec<Finding>,
    pub introduced: Vec<Finding>,
    pub unknown: Vec<Finding>,
}

/// The inventory with the plan's targets applied (controllers on the system's OS version move with it).
pub fn apply(inv: &Inventory, plan: &RolloutPlan) -> Inventory {
    let mut out = inv.clone();
    for step in &plan.steps {
        apply_step(&mut out, step);
    }
    out
}

/// Apply one step's targets to `inv` in place.
pub(super) fn apply_step(inv: &mut Inventory, step: &Step) {
    for t in &step.targets {
        let Some(sys) = inv.systems.get_mut(&t.subject.system) else {
            continue;
        };
        match &t.subject.component {
            None => {
                let old = sys.firmware.version.raw().to_string();
                if let Ok(v) = FwVersion::parse(sys.firmware.version.scheme(), &t.to) {
                    let v = std::sync::Arc::new(v);
                    for c in sys.components.iter_mut() {
                        if c.kind == ComponentKind::Controller
                            && c.firmware.version.raw() == old
                            && c.firmware.version.scheme() == v.scheme()
                        {
                            c.firmware.version = v.clone();
                        }
                    }
                    sys.firmware.version = v;
                }
            }
            Some(cid) => {
                if let Some(c) = sys.components.iter_mut().find(|c| c.id == *cid) {
                    if let Ok(v) = FwVersion::parse(c.firmware.version.scheme(), &t.to) {
                        c.firmware.version = v.into();
                    }
                }
            }
        }
    }
}

/// Match and rate the whole of `inv`.
pub(super) fn rate_all(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    overrides: &Overrides,
    today: NaiveDate,
) -> Vec<Finding> {
    let exposures = match_inventory(inv, advisories, index);
    let ctx = Context::new(inv, advisories, &exposures, today);
    assess(&ctx, overrides)
}

/// Each touched system's diff, in system id order. `before` and `after` are the estate rated
/// today and after the move.
pub(super) fn diffs(plan: &RolloutPlan, before: &[Finding], after: &[Finding]) -> Vec<SystemDiff> {
    let touched: BTreeSet<&SystemId> = plan
        .steps
        .iter()
        .flat_map(|s| s.targets.iter().map(|t| &t.subject.system))
        .collect();
    let by_id = |v: &[Finding]| -> HashMap<String, Finding> {
        v.iter().map(|f| (f.id.clone(), f.clone())).collect()
    };
    let (b, a) = (by_id(before), by_id(after));
    let mut systems = Vec::new();
    for sys in &touched {
        let mut d = SystemDiff {
            system: (*sys).clone(),
            moves: vec![],
            fixed: vec![],
            still_open: vec![],
            introduced: vec![],
            unknown: vec![],
        };
        for step in &plan.steps {
            for t in step.targets.iter().filter(|t| &&t.subject.system == sys) {
                d.moves
                    .push(format!("{}: {} → {}", step.name, t.subject, t.to));
            }
        }
        for f in before.iter().filter(|f| &&f.system == sys) {
            match a.get(&f.id) {
                None => d.fixed.push(f.clone()),
                Some(after) if after.state == MatchState::Unknown => d.unknown.push(after.clone()),
                Some(after) => d.still_open.push(after.clone()),
            }
        }
        for f in after
            .iter()
            .filter(|f| &&f.system == sys && !b.contains_key(&f.id))
        {
            if f.state == MatchState::Unknown {
                d.unknown.push(f.clone());
            } else {
                d.introduced.push(f.clone());
            }
        }
        systems.push(d);
    }
    systems
}
