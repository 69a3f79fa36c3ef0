//! Routing and dedup, pure: findings + inventory + what each owner was already told → this run's
//! digests (one per owner) and the new notified state.
//!
//! Routing: a finding goes to the owner of the affected system and to the owners of the services
//! that depend on it. What a recipient sees is cut to what they are entitled to: the system owner
//! sees the finding with the services that depend on their system; a service owner sees the system
//! their service depends on, only their own services, and none of the rating's reasons (those name
//! other teams' services, users and tenants).
//!
//! Dedup: the state keeps, per (owner, finding id), what was last sent: severity, fixed versions,
//! effects, whether the match was undecided, the warning window of a time-triggered bug, and the
//! triage decision that closed it. A finding is sent again only when the severity rose above what
//! was sent, the fixed versions or effects changed, the match turned unknown or confirmed, or a
//! dated trigger entered a closer window ([`WARNING_WINDOWS`]). A finding the team closes by
//! triage is sent once as what was decided (`accepted`, `false-positive`, `mitigated`) — never as
//! resolved — and, when the decision stops holding (an accepted risk expires, a mitigation is
//! contradicted by the inventory), once as `reopened`. A state entry whose finding is gone (fixed,
//! inventory changed) is sent once as resolved and dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::blast::{Finding, FindingCode, Severity, Urgency};
use crate::inventory::{Inventory, OwnerId, Service, SystemId};
use crate::matcher::MatchState;
use crate::triage::TriageState;

/// Days before a time-triggered bug's date at which it is announced again (closest last).
pub const WARNING_WINDOWS: [i64; 3] = [90, 30, 7];

/// Days before an end of support (`end-of-support` findings) at which it is announced again:
/// moving a line takes longer than patching a bug, so the notices start earlier. Once the date
/// has passed, the finding is in window 0 and told once more.
pub const LIFECYCLE_WARNING_WINDOWS: [i64; 3] = [180, 90, 30];

/// What the notifier last told one owner about one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub severity: Severity,
    /// The advisory title, so a later `resolved` notice can name it.
    #[serde(default)]
    pub title: String,
    pub fixed_in: Vec<String>,
    pub effects: Vec<String>,
    /// The warning window (days) last announced for a dated trigger; 0 = the date has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<i64>,
    /// Whether the match was undecided (unknown) when sent; `None` in state written before this
    /// was recorded (then a change is not announced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided: Option<bool>,
    /// The triage decision that closed it, once announced; `None` while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageState>,
}

/// The notified state: `(owner, finding id)` → what was sent.
pub type State = BTreeMap<(String, String), Notified>;

/// Why an item is in a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// First time this owner hears of it.
    New,
    /// It was closed by a triage decision that no longer holds.
    Reopened,
    /// Its severity rose above what was sent.
    Escalated,
    /// The advisory changed materially: new fixed version or new effect.
    Changed,
    /// A dated trigger came within a closer warning window.
    Warning,
    /// The team accepted the risk (until a date, approved by someone).
    Accepted,
    /// The team mitigated it (a setting, a workaround).
    Mitigated,
    /// The team found it does not apply here.
    FalsePositive,
    /// It is gone: fixed or no longer in the inventory.
    Resolved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Reopened => "reopened",
            EventKind::Escalated => "escalated",
            EventKind::Changed => "changed",
            EventKind::Warning => "warning",
            EventKind::Accepted => "accepted",
            EventKind::Mitigated => "mitigated",
            EventKind::FalsePositive => "false-positive",
            EventKind::Resolved => "resolved",
        }
    }
}

/// One finding as one recipient may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub event: EventKind,
    /// `ADVISORY@system`.
    pub finding: String,
    pub advisory: String,
    pub title: String,
    pub vendor: String,
    /// Current severity (for `resolved`: the last one sent).
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<Severity>,
    /// Stable code of the deciding rule (empty for `resolved`).
    pub code: String,
    pub urgency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fires_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    pub system: String,
    pub system_name: String,
    /// Set when the match could not be decided (unknown, not "not affected"): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
    /// Only services this recipient is entitled to see.
    pub services: Vec<String>,
    pub effects: Vec<String>,
    pub fixed_in: Vec<String>,
    /// The rating's reasons; only for the system's own owner.
    pub reasons: Vec<String>,
    pub references: Vec<String>,
    /// The team's decision, when there is one: in full for the system's owner, the state alone
    /// for others (its reason may name other teams' affairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<String>,
}

/// One owner's digest of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub owner: String,
    pub owner_name: String,
    /// The plan generation that produced it (one per run).
    pub generation: String,
    /// Stable idempotency key, reused on every retry of this message.
    pub key: String,
    /// Sorted by event, then severity (highest first), then finding id.
    pub items: Vec<Item>,
    /// Set when the advisory data behind this digest is stale: which feeds, how old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_note: Option<String>,
}

/// The outcome of planning: digests to send and the state to store with them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestPlan {
    pub messages: Vec<Message>,
    /// Entries to write (insert or replace).
    pub upserts: Vec<((String, String), Notified)>,
    /// Entries to delete.
    pub removals: Vec<(String, String)>,
}

/// The idempotency key: sha256 over owner, sorted `finding:event` pairs and the generation, first
/// 32 hex digits.
pub fn idempotency_key(owner: &str, items: &[Item], generation: &str) -> String {
    let mut parts: Vec<String> = items
        .iter()
        .map(|i| format!("{}:{}", i.finding, i.event.as_str()))
        .collect();
    parts.sort();
    let mut h = Sha256::new();
    h.update(owner.as_bytes());
    h.update([0]);
    for p in &parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.update(generation.as_bytes());
    let mut hex = hex::encode(h.finalize());
    hex.truncate(32);
    hex
}

/// The warning window a date falls in: the closest window containing it, 0 once passed, `None`
/// when further away than the widest window.
pub fn window_for(fires_on: NaiveDate, today: NaiveDate) -> Option<i64> {
    window_in(&WARNING_WINDOWS, fires_on, today)
}

fn window_in(windows: &[i64], fires_on: NaiveDate, today: NaiveDate) -> Option<i64> {
    let days = (fires_on - today).num_days();
    if days < 0 {
        return Some(0);
    }
    windows.iter().rev().copied().find(|w| days <= *w)
}

/// The warning window of a finding: a dated bug by [`WARNING_WINDOWS`]; an end of support by
/// [`LIFECYCLE_WARNING_WINDOWS`], and window 0 once all support has passed (`triggering`).
pub fn finding_window(f: &Finding, today: NaiveDate) -> Option<i64> {
    let lifecycle = f.rating.code == FindingCode::EndOfSupport;
    match f.rating.urgency {
        Urgency::ByDate(d) if lifecycle => window_in(&LIFECYCLE_WARNING_WINDOWS, d, today),
        Urgency::ByDate(d) => window_in(&WARNING_WINDOWS, d, today),
        Urgency::Triggering if lifecycle => Some(0),
        _ => None,
    }
}

fn effects_of(f: &Finding) -> Vec<String> {
    let mut e: Vec<String> = f
        .advisory
        .effects
        .iter()
        .map(|e| e.as_str().to_string())
        .collect();
    e.sort();
    e.dedup();
    e
}

fn item_for(f: &Finding, audience: &Audience<'_>, recipient: &str, today: NaiveDate) -> Item {
    let system_owner = f.owner.as_str() == recipient;
    // Not entitled → no services at all (`plan` only calls this for entitled recipients).
    let services: Vec<String> = audience
        .view_for(f, &[recipient])
        .map(|v| {
            v.rating
                .reach
                .services
                .iter()
                .map(|s| s.to_string())
                .collect()
        })
        .unwrap_or_default();
    let fires_on = match f.rating.urgency {
        Urgency::ByDate(d) => Some(d),
        _ => None,
    };
    Item {
        event: EventKind::New,
        finding: f.id.clone(),
        advisory: f.advisory.id.to_string(),
        title: f.advisory.title.to_string(),
        vendor: f.advisory.vendor.to_string(),
        severity: f.rating.severity,
        previous_severity: None,
        code: f.rating.code.as_str().to_owned(),
        urgency: f.rating.urgency.to_string(),
        fires_on,
        days_left: fires_on.map(|d| (d - today).num_days()),
        system: f.system.to_string(),
        system_name: f.system_name.to_string(),
        undecided: (f.state == MatchState::Unknown).then(|| f.evidence.to_string()),
        services,
        effects: effects_of(f),
        fixed_in: f.fixed_in.clone(),
        reasons: if system_owner {
            f.rating.reasons.iter().map(|r| r.to_string()).collect()
        } else {
            Vec::new()
        },
        references: f.advisory.references.to_vec(),
        triage: match (&f.triage.entry, system_owner) {
            (None, _) => None,
            (Some(_), true) => f.triage.describe(),
            (Some(_), false) => Some(f.triage.state.to_string()),
        },
    }
}

/// What one owner is entitled to see of a finding. This is the one rule behind both the
/// notifications and `exposure --owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entitlement {
    /// Neither the system's owner nor the owner of a service depending on it: sees nothing.
    None,
    /// The system's owner: sees the whole finding.
    SystemOwner,
    /// Owns a service that depends on the system (in the rating's reach, or listed as depending
    /// on the system): sees the system and the finding, only their own services, no reasons
    /// beyond the match evidence, and no other team's tenants.
    ServiceOwner,
}

/// The one rule of who sees what ([`Entitlement`]) over one inventory, with the services that
/// depend on each system indexed once: asking the inventory which services depend on a system
/// scans every service, and a large estate asks that for each of hundreds of thousands of
/// findings.
pub struct Audience<'a> {
    inv: &'a Inventory,
    dependents: HashMap<&'a SystemId, Vec<&'a Service>>,
}

impl<'a> Audience<'a> {
    pub fn new(inv: &'a Inventory) -> Audience<'a> {
        let mut dependents: HashMap<&SystemId, Vec<&Service>> = HashMap::new();
        for svc in inv.services.values() {
            for d in &svc.depends_on {
                let list = dependents.entry(&d.system).or_default();
                // Once per service, however many parts of the system it depends on.
                if list.last().is_none_or(|last| last.id != svc.id) {
                    list.push(svc);
                }
            }
        }
        Audience { inv, dependents }
    }

    /// The services that depend on `system` or any of its parts, in id order
    /// ([`Inventory::services_of`]).
    fn services_of(&self, system: &SystemId) -> impl Iterator<Item = &'a Service> + '_ {
        self.dependents.get(system).into_iter().flatten().copied()
    }

    /// Decide what `owner` may see of `f`.
    pub fn entitlement(&self, f: &Finding, owner: &str) -> Entitlement {
        if f.owner.as_str() == owner {
            return Entitlement::SystemOwner;
        }
        let owns = |svc: &Service| svc.owner.as_str() == owner;
        let via_reach = f
            .rating
            .reach
            .services
            .iter()
            .any(|s| self.inv.services.get(s).is_some_and(owns));
        if via_reach || self.services_of(&f.system).any(owns) {
            Entitlement::ServiceOwner
        } else {
            Entitlement::None
        }
    }

    /// Who must hear of a finding: everyone [`Audience::entitlement`] lets see it — the system's
    /// owner and the owners of services depending on it.
    pub fn recipients(&self, f: &Finding) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        out.insert(f.owner.to_string());
        for s in &f.rating.reach.services {
            if let Some(svc) = self.inv.services.get(s) {
                out.insert(svc.owner.to_string());
            }
        }
        for svc in self.services_of(&f.system) {
            out.insert(svc.owner.to_string());
        }
        out.retain(|o| self.entitlement(f, o) != Entitlement::None);
        out
    }

    /// The finding as the given owners (together) may see it: `None` when none is entitled; the
    /// whole finding when one owns the system; otherwise a copy cut to their services, with the
    /// rating's reasons reduced to the match evidence (the others name other teams' services, users
    /// and tenants), no backup reasoning (it names the backup targets) and other teams' tenants
    /// removed. Used by notifications and `exposure --owner`.
    pub fn view_for(&self, f: &Finding, owners: &[&str]) -> Option<Finding> {
        let inv = self.inv;
        let ents: Vec<Entitlement> = owners.iter().map(|o| self.entitlement(f, o)).collect();
        if ents.contains(&Entitlement::SystemOwner) {
            return Some(f.clone());
        }
        if !ents.contains(&Entitlement::ServiceOwner) {
            return None;
        }
        let mine = |s: &crate::inventory::ServiceId| {
            inv.services
                .get(s)
                .is_some_and(|svc| owners.contains(&svc.owner.as_str()))
        };
        let mut v = f.clone();
        let reach = Arc::make_mut(&mut v.rating.reach);
        reach.services.retain(mine);
        let own_tenants: BTreeSet<String> = reach
            .services
            .iter()
            .filter_map(|s| inv.services.get(s))
            .flat_map(|svc| svc.tenants.iter().cloned())
            .collect();
        reach.tenants.retain(|t| own_tenants.contains(t));
        reach.users = reach
            .services
            .iter()
            .filter_map(|s| inv.services.get(s))
            .map(|svc| svc.users)
            .sum();
        reach.max_criticality = reach
            .services
            .iter()
            .filter_map(|s| inv.services.get(s))
            .map(|svc| svc.criticality)
            .max();
        // The systems a domain-down finding takes down: only those their own services depend on.
        let kept: Vec<&crate::inventory::Service> = reach
            .services
            .iter()
            .filter_map(|s| inv.services.get(s))
            .collect();
        reach.systems.retain(|sys| {
            kept.iter()
                .any(|svc| svc.depends_on.iter().any(|d| &d.system == sys))
        });
        let evidence = f
            .rating
            .reasons
            .first()
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::from(""));
        // The backup reasoning names the backup targets and what they share: the system owner's.
        v.rating.backup = None;
        v.rating.reasons = vec![
        evidence,
        format!(
            "system {} is owned by {}; shown because your services depend on it (the full reasoning is for its owner)",
            f.system, f.owner
        )
        .into(),
    ];
        if f.state == MatchState::Unknown {
            v.rating.reasons.push(crate::blast::UNKNOWN_REASON.into());
        }
        Some(v)
    }
}

/// Systems the owners were told about (in the notified `state`) that the inventory no longer holds,
/// sorted, and how many systems the state names in all.
///
/// An inventory that lost most of its systems at once (an empty CMDB export, a wrong path) would
/// otherwise announce every finding on them as RESOLVED; the caller stops above
/// [`SHRINK_LIMIT`] unless told the shrink is real.
pub fn vanished_systems(state: &State, inv: &Inventory) -> (Vec<String>, usize) {
    let told: BTreeSet<&str> = state
        .keys()
        .filter_map(|(_, finding)| finding.rsplit_once('@').map(|(_, system)| system))
        .collect();
    let gone = told
        .iter()
        .filter(|s| !inv.systems.contains_key(**s))
        .map(|s| s.to_string())
        .collect();
    (gone, told.len())
}

/// The share of the systems owners were told about that may vanish from the inventory in one run
/// before `notify` and `run` stop (`--accept-inventory-shrink` lets it through): more than half.
pub const SHRINK_LIMIT: f64 = 0.5;

/// Whether `gone` of `known` systems vanishing is over [`SHRINK_LIMIT`].
pub fn shrink_over_limit(gone: usize, known: usize) -> bool {
    known > 0 && gone as f64 > known as f64 * SHRINK_LIMIT
}

/// Plan one run. `findings` include those closed by triage (announced once as what was decided);
/// `state` is what was sent before; `generation` identifies this run's plan.
pub fn plan(
    findings: &[Finding],
    inv: &Inventory,
    state: &State,
    today: NaiveDate,
    generation: &str,
) -> DigestPlan {
    let mut out = DigestPlan::default();
    let mut per_owner: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut live: BTreeSet<(String, String)> = BTreeSet::new();

    let audience = Audience::new(inv);
    for f in findings {
        for owner in audience.recipients(f) {
            if !inv.owners.keys().any(|o| o.as_str() == owner) {
                continue;
            }
            let key = (owner.clone(), f.id.clone());
            live.insert(key.clone());
            if f.triage.closed() {
                // Told once what was decided; never told of what it was never told of.
                let Some(prev) = state.get(&key) else {
                    continue;
                };
                if prev.triage == Some(f.triage.state) {
                    continue;
                }
                let mut item = item_for(f, &audience, &owner, today);
                item.event = match f.triage.state {
                    TriageState::AcceptedRisk => EventKind::Accepted,
                    TriageState::Mitigated => EventKind::Mitigated,
                    _ => EventKind::FalsePositive,
                };
                per_owner.entry(owner).or_default().push(item);
                let told = Notified {
                    triage: Some(f.triage.state),
                    ..prev.clone()
                };
                out.upserts.push((key, told));
                continue;
            }
            let mut item = item_for(f, &audience, &owner, today);
            let window = finding_window(f, today);
            let now = Notified {
                severity: item.severity,
                title: item.title.clone(),
                fixed_in: item.fixed_in.clone(),
                effects: item.effects.clone(),
                window,
                undecided: Some(item.undecided.is_some()),
                triage: None,
            };
            let event = match state.get(&key) {
                None => Some(EventKind::New),
                Some(prev) if prev.triage.is_some() => Some(EventKind::Reopened),
                Some(prev) if now.severity > prev.severity => {
                    item.previous_severity = Some(prev.severity);
                    Some(EventKind::Escalated)
                }
                // A confirmed match becoming unknown (the advisory was withdrawn, its range turned
                // into text) or the reverse is news even when the severity fell.
                Some(prev)
                    if now.fixed_in != prev.fixed_in
                        || now.effects.iter().any(|e| !prev.effects.contains(e))
                        || prev.undecided.is_some_and(|u| Some(u) != now.undecided) =>
                {
                    Some(EventKind::Changed)
                }
                Some(prev) if window.is_some_and(|w| prev.window.is_none_or(|p| w < p)) => {
                    Some(EventKind::Warning)
                }
                Some(_) => None,
            };
            if let Some(event) = event {
                item.event = event;
                per_owner.entry(owner).or_default().push(item);
                out.upserts.push((key, now));
            }
        }
    }

    for (key, prev) in state {
        if live.contains(key) {
            continue;
        }
        out.removals.push(key.clone());
        let (owner, finding) = key;
        // An owner removed from the inventory cannot be told; the entry is only dropped.
        if !inv.owners.keys().any(|o| o.as_str() == owner) {
            continue;
        }
        let (advisory, system) = finding
            .rsplit_once('@')
            .map(|(a, s)| (a.to_string(), s.to_string()))
            .unwrap_or_else(|| (finding.clone(), String::new()));
        let system_name = inv
            .systems
            .get(system.as_str())
            .map(|s| s.name.clone())
            .unwrap_or_default();
        per_owner.entry(owner.clone()).or_default().push(Item {
            event: EventKind::Resolved,
            finding: finding.clone(),
            advisory,
            title: prev.title.clone(),
            vendor: String::new(),
            severity: prev.severity,
            previous_severity: None,
            code: String::new(),
            urgency: String::new(),
            fires_on: None,
            days_left: None,
            system,
            system_name,
            undecided: None,
            services: Vec::new(),
            effects: prev.effects.clone(),
            fixed_in: prev.fixed_in.clone(),
            reasons: Vec::new(),
            references: Vec::new(),
            triage: None,
        });
    }

    for (owner, mut items) in per_owner {
        items.sort_by(|a, b| {
            a.event
                .cmp(&b.event)
                .then(b.severity.cmp(&a.severity))
                .then(a.finding.cmp(&b.finding))
        });
        let owner_name = owner
            .parse::<OwnerId>()
            .ok()
            .and_then(|id| inv.owners.get(&id))
            .map(|o| o.name.clone())
            .unwrap_or_else(|| owner.clone());
        let key = idempotency_key(&owner, &items, generation);
        out.messages.push(Message {
            owner,
            owner_name,
            generation: generation.to_string(),
            key,
            items,
            data_note: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn vanished_systems_are_those_told_about_and_gone() {
        let inv = crate::testkit::Estate::new()
            .system(
                "a",
                "Dell EMC",
                "Unity",
                crate::version::Scheme::Intdot,
                "5.0",
            )
            .0;
        let told = |f: &str| {
            (
                ("o".to_string(), f.to_string()),
                Notified {
                    severity: Severity::High,
                    title: String::new(),
                    fixed_in: vec![],
                    effects: vec![],
                    window: None,
                    undecided: None,
                    triage: None,
                },
            )
        };
        let state: State = [told("X-1@a"), told("X-2@a"), told("X-1@b"), told("A@B@c")]
            .into_iter()
            .collect();
        let (gone, known) = vanished_systems(&state, &inv);
        assert_eq!((gone, known), (vec!["b".to_string(), "c".to_string()], 3));
        assert!(shrink_over_limit(2, 3));
        assert!(!shrink_over_limit(1, 2), "half is not more than half");
        assert!(shrink_over_limit(1, 1));
        assert!(!shrink_over_limit(0, 0));
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn windows_narrow_towards_the_date() {
        let today = d("2026-11-22");
        assert_eq!(window_for(d("2027-06-01"), today), None);
        assert_eq!(window_for(d("2027-01-20"), today), Some(90));
        assert_eq!(window_for(d("2026-12-20"), today), Some(30));
        assert_eq!(window_for(d("2026-11-29"), today), Some(7));
        assert_eq!(window_for(d("2026-11-22"), today), Some(7));
        assert_eq!(window_for(d("2026-11-21"), today), Some(0));
    }

    /// The ONTAP 9.8 line of `aff` ends standard support on `std` (extended support to `ext`),
    /// rated on `today`.
    fn eos_findings(std: &str, ext: Option<&str>, on: NaiveDate) -> Vec<Finding> {
        use crate::model::{Effect, Lifecycle};
        use crate::testkit::{advisory_for, BugExt, Estate};
        let e = Estate::new().system(
            "aff",
            "NetApp",
            "AFF A400",
            crate::version::Scheme::Ontap,
            "9.8P3",
        );
        let mut a = advisory_for("FWL-1", "NetApp", "ONTAP", "vers:ontap/>=9.8RC0|<9.9")
            .effects(&[Effect::EndOfSupport]);
        a.lifecycle = Some(Lifecycle {
            line: "9.8".into(),
            end_of_standard_support: d(std),
            end_of_extended_support: ext.map(d),
            source: "https://vendor.example".into(),
            illustrative: false,
        });
        let advisories = [a];
        let index = crate::matcher::Index::build(&advisories);
        let m = crate::matcher::match_inventory(&e.0, &advisories, &index);
        let ctx = crate::blast::Context::new(&e.0, &advisories, &m, on);
        crate::blast::assess(&ctx, &crate::classify::Overrides::default())
    }

    #[test]
    fn an_end_of_support_is_announced_at_180_90_and_30_days_and_once_past() {
        let std = "2027-06-30";
        let f = |today: &str| eos_findings(std, None, d(today));
        assert_eq!(
            finding_window(&f("2026-11-22")[0], d("2026-11-22")),
            None,
            "220 days"
        );
        assert_eq!(
            finding_window(&f("2027-01-01")[0], d("2027-01-01")),
            Some(180)
        );
        assert_eq!(
            finding_window(&f("2027-04-01")[0], d("2027-04-01")),
            Some(90)
        );
        assert_eq!(
            finding_window(&f("2027-06-01")[0], d("2027-06-01")),
            Some(30)
        );
        assert_eq!(
            finding_window(&f("2027-06-30")[0], d("2027-06-30")),
            Some(0)
        );
        // A time bomb's windows are still 90/30/7.
        assert_eq!(window_for(d("2027-06-30"), d("2027-01-01")), None);

        // The digests: new once, a warning on entering each window, told once more when passed.
        let e = crate::testkit::Estate::new().system(
            "aff",
            "NetApp",
            "AFF A400",
            crate::version::Scheme::Ontap,
            "9.8P3",
        );
        let mut state = State::new();
        let mut told = Vec::new();
        for today in [
            "2026-11-22",
            "2026-12-01",
            "2027-01-01",
            "2027-01-02",
            "2027-04-01",
            "2027-06-01",
            "2027-06-30",
            "2027-07-15",
        ] {
            let p = plan(&f(today), &e.0, &state, d(today), today);
            for (k, v) in p.upserts {
                state.insert(k, v);
            }
            let events: Vec<EventKind> = p
                .messages
                .iter()
                .flat_map(|m| m.items.iter().map(|i| i.event))
                .collect();
            told.push((today, events));
        }
        assert_eq!(
            told,
            [
                ("2026-11-22", vec![EventKind::New]),
                ("2026-12-01", vec![]),
                ("2027-01-01", vec![EventKind::Warning]),
                ("2027-01-02", vec![]),
                ("2027-04-01", vec![EventKind::Warning]),
                ("2027-06-01", vec![EventKind::Warning]),
                ("2027-06-30", vec![EventKind::Escalated]),
                ("2027-07-15", vec![]),
            ]
        );
    }

    #[test]
    fn idempotency_key_ignores_item_order_and_depends_on_generation() {
        let item = |f: &str, e| Item {
            event: e,
            finding: f.into(),
            advisory: String::new(),
            title: String::new(),
            vendor: String::new(),
            severity: Severity::High,
            previous_severity: None,
            code: String::new(),
            urgency: String::new(),
            fires_on: None,
            days_left: None,
            system: String::new(),
            system_name: String::new(),
            undecided: None,
            services: vec![],
            effects: vec![],
            fixed_in: vec![],
            reasons: vec![],
            references: vec![],
            triage: None,
        };
        let a = [
            item("A@x", EventKind::New),
            item("B@y", EventKind::Resolved),
        ];
        let b = [
            item("B@y", EventKind::Resolved),
            item("A@x", EventKind::New),
        ];
        let k = idempotency_key("o", &a, "g1");
        assert_eq!(k.len(), 32);
        assert_eq!(k, idempotency_key("o", &b, "g1"));
        assert_ne!(k, idempotency_key("o", &a, "g2"));
        assert_ne!(k, idempotency_key("p", &a, "g1"));
    }
}
