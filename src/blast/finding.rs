//! A finding: one advisory on one system, with its exposed parts, its rating and what the team
//! decided about it (its triage).
//!
//! The matcher's exposures of one advisory on one system (a *run*) become one finding, so a
//! system with two exposed controllers and a drive set reads as one finding with three parts, not
//! three findings. Findings carry the advisory's id and texts as one shared value made once per
//! advisory ([`AdvisoryTexts`]): an estate with 400,000 findings holds each title once.

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
///
/// Serialized flat, the advisory's texts beside the finding's own fields (`advisory` is the
/// advisory's id): reports, the dashboard and notifications read the same shape whatever the
/// finding holds in memory.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "FlatFinding")]
pub struct Finding {
    /// `ADVISORY@system`, stable across runs.
    pub id: String,
    /// The advisory's id and texts, one value shared by every finding of that advisory: an
    /// estate with 400,000 findings holds each title once, and each finding one pointer to it.
    pub advisory: Arc<AdvisoryTexts>,
    pub cvss: Option<f64>,
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
}

/// An advisory as its findings carry it, made once per advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryTexts {
    pub id: Arc<str>,
    pub aliases: Arc<[String]>,
    pub title: Arc<str>,
    pub vendor: Arc<str>,
    pub vendor_severity: Option<Arc<str>>,
    pub effects: Arc<[Effect]>,
    /// Where the advisory was read (its document's URL or path).
    pub source: Arc<str>,
    pub references: Arc<[String]>,
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

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let a = &*self.advisory;
        let mut s = serializer.serialize_struct("Finding", 20)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("advisory", &a.id)?;
        s.serialize_field("aliases", &a.aliases)?;
        s.serialize_field("title", &a.title)?;
        s.serialize_field("vendor", &a.vendor)?;
        s.serialize_field("vendor_severity", &a.vendor_severity)?;
        s.serialize_field("cvss", &self.cvss)?;
        s.serialize_field("effects", &a.effects)?;
        s.serialize_field("system", &self.system)?;
        s.serialize_field("system_name", &self.system_name)?;
        s.serialize_field("owner", &self.owner)?;
        s.serialize_field("state", &self.state)?;
        s.serialize_field("evidence", &self.evidence)?;
        s.serialize_field("parts", &self.parts)?;
        s.serialize_field("part_count", &self.part_count)?;
        s.serialize_field("fixed_in", &self.fixed_in)?;
        s.serialize_field("rating", &self.rating)?;
        s.serialize_field("triage", &self.triage)?;
        s.serialize_field("source", &a.source)?;
        s.serialize_field("references", &a.references)?;
        s.end()
    }
}

/// A finding as it is written ([`Finding`]'s `Serialize`), read back.
#[derive(Deserialize)]
struct FlatFinding {
    id: String,
    advisory: Arc<str>,
    aliases: Arc<[String]>,
    title: Arc<str>,
    vendor: Arc<str>,
    vendor_severity: Option<Arc<str>>,
    cvss: Option<f64>,
    effects: Arc<[Effect]>,
    system: SystemId,
    system_name: Arc<str>,
    owner: OwnerId,
    state: MatchState,
    evidence: Arc<str>,
    parts: Vec<Part>,
    part_count: u64,
    fixed_in: Vec<String>,
    rating: Rating,
    triage: Triage,
    source: Arc<str>,
    references: Arc<[String]>,
}

impl From<FlatFinding> for Finding {
    fn from(f: FlatFinding) -> Finding {
        Finding {
            id: f.id,
            advisory: Arc::new(AdvisoryTexts {
                id: f.advisory,
                aliases: f.aliases,
                title: f.title,
                vendor: f.vendor,
                vendor_severity: f.vendor_severity,
                effects: f.effects,
                source: f.source,
                references: f.references,
            }),
            cvss: f.cvss,
            system: f.system,
            system_name: f.system_name,
            owner: f.owner,
            state: f.state,
            evidence: f.evidence,
            parts: f.parts,
            part_count: f.part_count,
            fixed_in: f.fixed_in,
            rating: f.rating,
            triage: f.triage,
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
    Finding {
        id: format!("{}@{}", adv.id, system.id),
        advisory: ctx.texts[&(adv_idx as u32)].clone(),
        cvss: adv.cvss.as_ref().map(|c| c.base_score),
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
