//! Triage: what the team decided about a finding, who decided it and when.
//!
//! Decisions are `[[triage]]` entries in the operator file `feeds/annotations.toml` (beside the
//! annotations that correct an advisory's effects), so they are reviewed like any change to the
//! operator's repository. The file is an audit trail: `firmwatch triage` appends an entry and
//! never rewrites one, and of the entries for one finding the latest (by `on`, then by place in
//! the file) is its state. An entry names `ADVISORY@system` (any alias of the advisory), or
//! `ADVISORY` alone for every system.
//!
//! | state | needs | the finding |
//! |---|---|---|
//! | `new` | — | open (the state of a finding without entries) |
//! | `acknowledged`, `in-progress` | `reason` | open, its state shown |
//! | `accepted-risk` | `reason`, `approver`, `expires` | closed until `expires`, then open again |
//! | `false-positive` | `reason` | closed (until `expires` when given) |
//! | `mitigated` | `reason` (what was done); optional `setting` | closed — unless the inventory says the setting is otherwise, then open, saying so |
//!
//! A closed finding is kept in the report for audit (`triaged`) and is announced to its owners
//! once by its own event (`ACCEPTED`, `FALSE-POSITIVE`, `MITIGATED`), never as resolved: accepting a
//! risk is not fixing it. When it opens again (an expiry, a contradicted mitigation) it is
//! announced as `REOPENED`.
//!
//! The older `[[suppression]]` entries ("not affected here" until a date) are read as
//! `false-positive` entries with that expiry.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::Advisory;

/// Where a finding stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriageState {
    #[default]
    New,
    Acknowledged,
    InProgress,
    AcceptedRisk,
    FalsePositive,
    Mitigated,
}

impl TriageState {
    pub const ALL: [TriageState; 6] = [
        TriageState::New,
        TriageState::Acknowledged,
        TriageState::InProgress,
        TriageState::AcceptedRisk,
        TriageState::FalsePositive,
        TriageState::Mitigated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::Acknowledged => "acknowledged",
            TriageState::InProgress => "in-progress",
            TriageState::AcceptedRisk => "accepted-risk",
            TriageState::FalsePositive => "false-positive",
            TriageState::Mitigated => "mitigated",
        }
    }

    /// A decision that takes the finding off the open list (while it holds).
    pub fn closes(self) -> bool {
        matches!(
            self,
            TriageState::AcceptedRisk | TriageState::FalsePositive | TriageState::Mitigated
        )
    }
}

impl fmt::Display for TriageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TriageState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TriageState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = TriageState::ALL.iter().map(|t| t.as_str()).collect();
                format!("`{s}` is not a triage state ({})", all.join(", "))
            })
    }
}

/// The configuration switch a mitigation set, checked against the inventory's `settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub name: String,
    pub value: bool,
}

/// One decision as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `ADVISORY@system`, or `ADVISORY` for every system.
    pub finding: String,
    pub state: TriageState,
    #[serde(default)]
    pub reason: String,
    /// Who decided.
    pub by: String,
    /// When (required in `[[triage]]`; unknown for a converted `[[suppression]]`).
    #[serde(
        default,
        deserialize_with = "crate::classify::opt_toml_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub on: Option<NaiveDate>,
    /// Who approved an accepted risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// The last day the decision holds.
    #[serde(
        default,
        deserialize_with = "crate::classify::opt_toml_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<NaiveDate>,
    /// A mitigation's setting, checked against the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<Setting>,
}

impl Entry {
    /// What the state requires, or why the entry cannot stand.
    pub fn check(&self) -> Result<(), String> {
        let who = format!("triage of `{}`", self.finding);
        if self.finding.trim().is_empty() {
            return Err("a triage entry needs `finding` (ADVISORY@system)".into());
        }
        if self.by.trim().is_empty() {
            return Err(format!("{who}: `by` (who decided) is empty"));
        }
        if self.on.is_none() {
            return Err(format!("{who}: `on` (the date of the decision) is missing"));
        }
        let needs_reason = self.state != TriageState::New;
        if needs_reason && self.reason.trim().is_empty() {
            return Err(format!("{who}: state {} needs a `reason`", self.state));
        }
        if self.state == TriageState::AcceptedRisk {
            if self.approver.as_deref().is_none_or(|a| a.trim().is_empty()) {
                return Err(format!("{who}: an accepted risk needs an `approver`"));
            }
            if self.expires.is_none() {
                return Err(format!(
                    "{who}: an accepted risk needs `expires` (when it is decided again)"
                ));
            }
        }
        if self.setting.is_some() && self.state != TriageState::Mitigated {
            return Err(format!(
                "{who}: `setting` belongs to a mitigated entry, not {}",
                self.state
            ));
        }
        Ok(())
    }

    fn advisory(&self) -> &str {
        self.finding
            .rsplit_once('@')
            .map_or(self.finding.as_str(), |(a, _)| a)
    }

    fn system(&self) -> Option<&str> {
        self.finding.rsplit_once('@').map(|(_, s)| s)
    }
}

/// A finding's triage as reports and notifications show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub state: TriageState,
    /// The deciding entry, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Arc<Entry>>,
    /// A closing decision that no longer holds: it expired on this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<NaiveDate>,
    /// A mitigation the inventory contradicts: what it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contradicted: Option<String>,
}

impl Triage {
    /// The finding is off the open list.
    pub fn closed(&self) -> bool {
        self.state.closes() && self.expired.is_none() && self.contradicted.is_none()
    }

    /// It was closed and is open again.
    pub fn reopened(&self) -> bool {
        self.state.closes() && !self.closed()
    }

    /// One line for reports: "accepted-risk by k.sato on 2026-11-02 (approved by m.tanaka, until
    /// 2027-01-31): reason".
    pub fn describe(&self) -> Option<String> {
        let e = self.entry.as_deref()?;
        let mut s = format!("{} by {}", self.state, e.by);
        if let Some(on) = e.on {
            s.push_str(&format!(" on {on}"));
        }
        let mut extra = Vec::new();
        if let Some(a) = &e.approver {
            extra.push(format!("approved by {a}"));
        }
        if let Some(x) = e.expires {
            extra.push(format!("until {x}"));
        }
        if let Some(set) = &e.setting {
            extra.push(format!("set {} = {}", set.name, set.value));
        }
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        if !e.reason.is_empty() {
            s.push_str(&format!(": {}", e.reason));
        }
        if let Some(x) = self.expired {
            s.push_str(&format!(" — EXPIRED on {x}: open again"));
        }
        if let Some(c) = &self.contradicted {
            s.push_str(&format!(" — but {c}: open again"));
        }
        Some(s)
    }
}

/// Every entry of the operator file, looked up by advisory id.
#[derive(Debug, Clone, Default)]
pub struct Book {
    entries: Vec<Arc<Entry>>,
    by_advisory: BTreeMap<String, Vec<usize>>,
}

impl Book {
    pub fn new(entries: Vec<Entry>) -> Book {
        let entries: Vec<Arc<Entry>> = entries.into_iter().map(Arc::new).collect();
        let mut by_advisory: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_advisory
                .entry(e.advisory().to_string())
                .or_default()
                .push(i);
        }
        Book {
            entries,
            by_advisory,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }

    /// The triage of `adv` on `system` on `today`: the latest entry naming it (an entry for the
    /// system outranks one for every system of the same date), checked for expiry and, for a
    /// mitigation, against the system's `settings`.
    pub fn for_finding(
        &self,
        adv: &Advisory,
        system: &str,
        settings: &BTreeMap<String, bool>,
        today: NaiveDate,
    ) -> Triage {
        if self.entries.is_empty() {
            return Triage::default();
        }
        let ids = std::iter::once(adv.id.as_str()).chain(adv.aliases.iter().map(|a| a.as_str()));
        let latest = ids
            .filter_map(|id| self.by_advisory.get(id))
            .flatten()
            .copied()
            .filter(|&i| self.entries[i].system().is_none_or(|s| s == system))
            .max_by_key(|&i| {
                let e = &self.entries[i];
                (e.on, e.system().is_some(), i)
            });
        let Some(i) = latest else {
            return Triage::default();
        };
        let e = self.entries[i].clone();
        let expired = e.expires.filter(|x| *x < today && e.state.closes());
        let contradicted = e.setting.as_ref().and_then(|want| {
            let have = settings.get(&want.name)?;
            (*have != want.value)
                .then(|| format!("the inventory says {} = {have} on {system}", want.name))
        });
        Triage {
            state: e.state,
            entry: Some(e),
            expired,
            contradicted,
        }
    }

    /// Entries that name no finding among `findings` (`(advisory, aliases, system)` of every
    /// finding, open or closed): a decision about nothing, probably mistyped.
    pub fn unused<'a, 'f>(
        &'a self,
        findings: impl IntoIterator<Item = (&'f str, &'f [String], &'f str)>,
    ) -> Vec<&'a Entry> {
        use std::collections::HashSet;
        let mut ids: HashSet<&str> = HashSet::new();
        let mut pairs: HashSet<(&str, &str)> = HashSet::new();
        for (adv, aliases, system) in findings {
            for id in std::iter::once(adv).chain(aliases.iter().map(String::as_str)) {
                if self.by_advisory.contains_key(id) {
                    ids.insert(id);
                    pairs.insert((id, system));
                }
            }
        }
        self.entries
            .iter()
            .filter(|e| match e.system() {
                None => !ids.contains(e.advisory()),
                Some(sys) => !pairs.contains(&(e.advisory(), sys)),
            })
            .map(|e| &**e)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(finding: &str, state: TriageState, on: &str) -> Entry {
        Entry {
            finding: finding.into(),
            state,
            reason: "r".into(),
            by: "kato".into(),
            on: Some(on.parse().unwrap()),
            approver: None,
            expires: None,
            setting: None,
        }
    }

    fn adv(id: &str) -> Advisory {
        crate::testkit::advisory_for(id, "NetApp", "ONTAP", "vers:ontap/<9.13")
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_latest_entry_decides_and_a_system_entry_outranks_an_estate_wide_one() {
        let book = Book::new(vec![
            entry("A-1@fas", TriageState::Acknowledged, "2026-11-01"),
            entry("A-1@fas", TriageState::InProgress, "2026-11-03"),
            entry("A-1", TriageState::FalsePositive, "2026-11-03"),
            entry("A-1", TriageState::Acknowledged, "2026-11-02"),
        ]);
        let none = BTreeMap::new();
        let t = book.for_finding(&adv("A-1"), "fas", &none, d("2026-12-01"));
        assert_eq!(t.state, TriageState::InProgress);
        assert!(!t.closed());
        let t = book.for_finding(&adv("A-1"), "aff", &none, d("2026-12-01"));
        assert_eq!(t.state, TriageState::FalsePositive);
        assert!(t.closed());
        let t = book.for_finding(&adv("B-2"), "fas", &none, d("2026-12-01"));
        assert_eq!(t, Triage::default());
    }

    #[test]
    fn an_accepted_risk_opens_again_after_it_expires() {
        let mut e = entry("A-1@fas", TriageState::AcceptedRisk, "2026-11-01");
        e.approver = Some("tanaka".into());
        e.expires = Some(d("2026-12-31"));
        e.check().unwrap();
        let book = Book::new(vec![e]);
        let none = BTreeMap::new();
        assert!(book
            .for_finding(&adv("A-1"), "fas", &none, d("2026-12-31"))
            .closed());
        let t = book.for_finding(&adv("A-1"), "fas", &none, d("2027-01-01"));
        assert!(t.reopened());
        assert_eq!(t.expired, Some(d("2026-12-31")));
        assert!(t.describe().unwrap().contains("EXPIRED on 2026-12-31"));
    }

    #[test]
    fn a_mitigation_the_inventory_contradicts_is_open_and_says_why() {
        let mut e = entry("A-1@fas", TriageState::Mitigated, "2026-11-01");
        e.setting = Some(Setting {
            name: "inline-compression".into(),
            value: false,
        });
        let book = Book::new(vec![e]);
        let on = BTreeMap::from([("inline-compression".to_string(), true)]);
        let t = book.for_finding(&adv("A-1"), "fas", &on, d("2026-12-01"));
        assert!(t.reopened());
        assert_eq!(
            t.contradicted.as_deref(),
            Some("the inventory says inline-compression = true on fas")
        );
        let off = BTreeMap::from([("inline-compression".to_string(), false)]);
        assert!(book
            .for_finding(&adv("A-1"), "fas", &off, d("2026-12-01"))
            .closed());
        // Not recorded in the inventory: the operator's word stands.
        assert!(book
            .for_finding(&adv("A-1"), "fas", &BTreeMap::new(), d("2026-12-01"))
            .closed());
    }

    #[test]
    fn each_state_requires_what_makes_it_reviewable() {
        let mut e = entry("A-1@fas", TriageState::AcceptedRisk, "2026-11-01");
        assert!(e.check().unwrap_err().contains("approver"));
        e.approver = Some("tanaka".into());
        assert!(e.check().unwrap_err().contains("expires"));
        e.expires = Some(d("2027-01-31"));
        e.check().unwrap();
        let mut e = entry("A-1@fas", TriageState::FalsePositive, "2026-11-01");
        e.reason = " ".into();
        assert!(e.check().unwrap_err().contains("reason"));
        let mut e = entry("A-1@fas", TriageState::Acknowledged, "2026-11-01");
        e.on = None;
        assert!(e.check().unwrap_err().contains("`on`"));
        let mut e = entry("A-1@fas", TriageState::Acknowledged, "2026-11-01");
        e.setting = Some(Setting {
            name: "x".into(),
            value: true,
        });
        assert!(e.check().unwrap_err().contains("mitigated"));
        assert!("accepted".parse::<TriageState>().is_err());
        assert_eq!(
            "false-positive".parse::<TriageState>(),
            Ok(TriageState::FalsePositive)
        );
    }

    #[test]
    fn an_entry_naming_no_finding_is_unused() {
        let book = Book::new(vec![
            entry("A-1@fas", TriageState::Acknowledged, "2026-11-01"),
            entry("CVE-1@fas", TriageState::Acknowledged, "2026-11-01"),
            entry("A-1@typo", TriageState::Acknowledged, "2026-11-01"),
        ]);
        let aliases = vec!["CVE-1".to_string()];
        let unused = book.unused([("A-1", aliases.as_slice(), "fas")]);
        let names: Vec<&str> = unused.iter().map(|e| e.finding.as_str()).collect();
        assert_eq!(names, ["A-1@typo"]);
    }
}
