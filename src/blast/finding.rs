//! A finding: one advisory on one system, with its exposed parts, its rating and what the team
//! decided about it (its triage).
//!
//! The matcher's exposures of one advisory on one system (a *run*) become one finding, so a
//! system with two exposed controllers and a drive set reads as one finding with three parts, not
//! three findings. Findings carry the advisory's texts as shared strings made once per advisory:
//! an estate with 400,000 findings holds each title once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::rating::{rate, Rating};
use super::reach::Shared;
use super::topology::{Context, Exp};
use crate::classify::Overrides;
use crate::inventory::{ComponentRef, OwnerId, SystemId};
use crate::matcher::MatchState;
use crate::model::{Advisory, ComponentKind, Effect};
use crate::triage::Triage;

/// One exposed part within a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub subject: ComponentRef,
    pub kind: ComponentKind,
    pub count: u32,
    pub firmware: Arc<str>,
}

/// One advisory on one system, rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `ADVISORY@system`, stable across runs.
    pub id: String,
    // Texts of the advisory and the match are shared by every finding of that advisory
    // (`Arc<str>`): an estate with 400,000 findings holds each title once.
    pub advisory: Arc<str>,
    pub aliases: Arc<[String]>,
    pub title: Arc<str>,
    pub vendor: Arc<str>,
    pub vendor_severity: Option<Arc<str>>,
    pub cvss: Option<f64>,
    pub effects: Arc<[Effect]>,
    pub system: SystemId,
    pub system_name: Arc<str>,
    pub owner: OwnerId,
    pub state: MatchState,
    /// Why it matched, or why it could not be decided.
    pub evidence: Arc<str>,
    pub parts: Vec<Part>,
    /// How many parts in all (a drive set of 8 counts 8).
    pub part_count: u64,
    pub fixed_in: Vec<String>,
    pub rating: Rating,
    /// What the team decided about it ([`crate::triage`]); `new` without a decision.
    pub triage: Triage,
    pub source: Arc<str>,
    pub references: Arc<[String]>,
}

/// An advisory's texts as findings carry them, made once per advisory.
pub(super) struct AdvisoryTexts {
    id: Arc<str>,
    aliases: Arc<[String]>,
    title: Arc<str>,
    vendor: Arc<str>,
    vendor_severity: Option<Arc<str>>,
    effects: Arc<[Effect]>,
    source: Arc<str>,
    references: Arc<[String]>,
}

impl AdvisoryTexts {
    pub(super) fn of(a: &Advisory) -> AdvisoryTexts {
        AdvisoryTexts {
            id: a.id.to_string().into(),
            aliases: a.aliases.iter().map(ToString::to_string).collect(),
            title: a.title.as_str().into(),
            vendor: a.vendor.as_str().into(),
            vendor_severity: a.vendor_severity.as_deref().map(Arc::from),
            effects: a.effects.as_slice().into(),
            source: a.source.location.as_str().into(),
            references: a.references.as_slice().into(),
        }
    }
}

/// The finding of the run `exps`: the exposures of the advisory at `adv_idx` on the system at
/// `sys_idx`, in the matcher's order.
pub(super) fn finding(
    ctx: &Context<'_>,
    shared: &mut Shared,
    overrides: &Overrides,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
) -> Finding {
    let adv = &ctx.advisories[adv_idx];
    let system = ctx.topo.systems[sys_idx as usize];
    // One undecided part makes the whole finding undecided: it is shown with the evidence of
    // that part, so the reader sees what to review.
    let state = if exps
        .iter()
        .all(|e| e.decision.state == MatchState::Confirmed)
    {
        MatchState::Confirmed
    } else {
        MatchState::Unknown
    };
    let evidence = exps
        .iter()
        .find(|e| e.decision.state == state)
        .map_or_else(|| Arc::from(""), |e| e.decision.evidence.clone());
    let (rating, state) = rate(ctx, shared, adv_idx, sys_idx, exps, state, &evidence);
    let triage = overrides
        .triage
        .for_finding(adv, system.id.as_str(), &system.settings, ctx.today);
    let texts = &ctx.texts[&(adv_idx as u32)];
    Finding {
        id: format!("{}@{}", adv.id, system.id),
        advisory: texts.id.clone(),
        aliases: texts.aliases.clone(),
        title: texts.title.clone(),
        vendor: texts.vendor.clone(),
        vendor_severity: texts.vendor_severity.clone(),
        cvss: adv.cvss.as_ref().map(|c| c.base_score),
        effects: texts.effects.clone(),
        system: system.id.clone(),
        system_name: ctx.topo.names[sys_idx as usize].clone(),
        owner: system.owner.clone(),
        state,
        evidence,
        parts: exps
            .iter()
            .map(|e| Part {
                subject: e.subject.to_ref(),
                kind: e.kind,
                count: e.count,
                firmware: e.decision.firmware.clone(),
            })
            .collect(),
        part_count: exps.iter().map(|e| u64::from(e.count)).sum(),
        fixed_in: fixed_in(exps),
        rating,
        triage,
        source: texts.source.clone(),
        references: texts.references.clone(),
    }
}

/// The fixed versions of every part, sorted, each once.
fn fixed_in(exps: &[Exp<'_>]) -> Vec<String> {
    let mut fixed_in: Vec<String> = exps
        .iter()
        .flat_map(|e| e.decision.fixed_in.iter().cloned())
        .collect();
    fixed_in.sort();
    fixed_in.dedup();
    fixed_in
}
