//! Each finding's life across the days the estate was rated: when it was first seen, how its
//! severity and triage state changed, when it was resolved — and what that adds up to: open
//! findings over time, exposure-days per severity, mean time to resolve, per owner.
//!
//! Why a history at all: a rating says where the estate stands today; a risk review asks whether
//! it is getting better, who is slow to fix, and how long the worst findings stay open. None of
//! that can be recomputed from today's findings, so every full rating of the estate that feeds a
//! decision (`notify`, `run`, `history --record`) is an **observation**, folded into the store's
//! `history` tree ([`crate::store::HistoryStore`]):
//!
//! - one record per finding ever seen ([`FindingRecord`]): its system and owner, first seen, and
//!   its events ([`Event`]: found, reappeared, severity or triage changed, resolved, system
//!   removed), each with the severity and triage state from then on. A finding that did not
//!   change is not written again, so a daily observation of a quiet estate writes almost nothing.
//! - one summary per observation day ([`Day`]): the findings present that day, by class (open,
//!   accepted risk, mitigated, false positive) and severity, for the estate and per owner — the
//!   series is read from these, exactly as it was that day, whatever the triage file says now.
//!
//! Observations are recorded in date order; a rating dated before the last observation is refused
//! ([`OutOfOrder`]), so a replayed `--today` cannot rewrite the past. A second observation on the
//! same day is folded in like any other (its events are dated that day) and replaces the day's
//! summary.
//!
//! What the figures mean ([`summarise`]):
//! - **resolved**: the finding is no longer reported while its system is still in the inventory
//!   (updated firmware, a corrected inventory, a withdrawn advisory — the history cannot tell
//!   which). A finding whose system left the inventory is counted apart (`left with its system`),
//!   not as a resolution. A finding that comes back reopens its record (`reappeared`).
//! - **exposure-days**: for every day a finding was present and not marked false positive, one day
//!   at the severity it had then; an accepted or mitigated risk still counts (the bug is still
//!   there). Measured from the event that started a stretch to the one that ended it, or to the
//!   last observation.
//! - **time to resolve**: from the start of a stretch (found or reappeared) to its resolution, in
//!   days; the mean over resolutions in the period, by the severity at resolution. A stretch
//!   that ended as false positive is not a resolution.
//! - `--since` clips stretches to the period and counts resolutions dated in it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::blast::{Finding, Severity};
use crate::triage::TriageState;

/// What happened to a finding on one observation day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// First seen.
    Found,
    /// Seen again after it had been resolved or had left with its system.
    Reappeared,
    /// Its severity changed.
    Severity,
    /// Its triage state changed (a decision recorded, expired, or no longer holding).
    Triage,
    /// No longer reported while its system is still in the inventory.
    Resolved,
    /// Its system is no longer in the inventory.
    SystemRemoved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Found => "found",
            EventKind::Reappeared => "reappeared",
            EventKind::Severity => "severity",
            EventKind::Triage => "triage",
            EventKind::Resolved => "resolved",
            EventKind::SystemRemoved => "system-removed",
        }
    }

    /// The event ends a stretch of presence.
    pub fn ends(self) -> bool {
        matches!(self, EventKind::Resolved | EventKind::SystemRemoved)
    }
}

/// One event, with the finding's severity and triage state from then on (for an event that ends
/// a stretch: the last ones it had).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub on: NaiveDate,
    pub kind: EventKind,
    pub severity: Severity,
    pub triage: TriageState,
}

/// A finding's life, as the store keeps it under its id (`ADVISORY@system`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub system: String,
    /// The system's owner at the last observation that saw the finding.
    pub owner: String,
    /// In date order; the first is `found`.
    pub events: Vec<Event>,
}

impl FindingRecord {
    pub fn first_seen(&self) -> Option<NaiveDate> {
        self.events.first().map(|e| e.on)
    }

    fn last(&self) -> Option<&Event> {
        self.events.last()
    }

    /// Present at the last observation (not resolved, not gone with its system).
    pub fn is_present(&self) -> bool {
        self.last().is_some_and(|e| !e.kind.ends())
    }
}

/// Findings present on one day, by severity.
pub type BySeverity = BTreeMap<Severity, u64>;

/// Findings present on one observation day, by class and severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Not closed by a decision (`new`, `acknowledged`, `in-progress`).
    pub open: BySeverity,
    pub accepted_risk: BySeverity,
    pub mitigated: BySeverity,
    pub false_positive: BySeverity,
}

impl Counts {
    fn add(&mut self, severity: Severity, triage: TriageState) {
        let class = match triage {
            TriageState::AcceptedRisk => &mut self.accepted_risk,
            TriageState::Mitigated => &mut self.mitigated,
            TriageState::FalsePositive => &mut self.false_positive,
            TriageState::New | TriageState::Acknowledged | TriageState::InProgress => {
                &mut self.open
            }
        };
        *class.entry(severity).or_default() += 1;
    }
}

/// The summary of one observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub day: NaiveDate,
    pub estate: Counts,
    pub owners: BTreeMap<String, Counts>,
}

/// What the store holds: every finding's record and every observation day, in date order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub findings: HashMap<String, FindingRecord>,
    pub days: Vec<Day>,
}

impl History {
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.days.last().map(|d| d.day)
    }
}

/// One observation's writes: the records that changed and the day's summary, written together
/// in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub records: Vec<(String, FindingRecord)>,
    pub day: Day,
}

/// A rating dated before the last observation: nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the history's last observation is of {last}, and this rating is dated {day}; observations are recorded in date order, so nothing was recorded")]
pub struct OutOfOrder {
    pub last: NaiveDate,
    pub day: NaiveDate,
}

/// Fold one full rating of the estate, dated `day`, into the history: `findings` are every
/// finding of the estate (not an owner's view), `in_inventory` tells whether a system is still in
/// the inventory.
pub fn observe(
    history: &History,
    findings: &[Finding],
    in_inventory: impl Fn(&str) -> bool,
    day: NaiveDate,
) -> Result<Commit, OutOfOrder> {
    if let Some(last) = history.last_day().filter(|last| *last > day) {
        return Err(OutOfOrder { last, day });
    }
    let mut records = Vec::new();
    let mut summary = Day {
        day,
        estate: Counts::default(),
        owners: BTreeMap::new(),
    };
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for f in findings {
        if !seen.insert(f.id.as_str()) {
            continue;
        }
        let severity = f.rating.severity;
        let triage = f.triage.state;
        let owner = f.owner.as_str();
        summary.estate.add(severity, triage);
        match summary.owners.get_mut(owner) {
            Some(counts) => counts.add(severity, triage),
            None => {
                let mut counts = Counts::default();
                counts.add(severity, triage);
                summary.owners.insert(owner.to_string(), counts);
            }
        }
        let event = |kind| Event {
            on: day,
            kind,
            severity,
            triage,
        };
        let updated = match history.findings.get(&f.id) {
            None => Some(FindingRecord {
                system: f.system.to_string(),
                owner: owner.to_string(),
                events: vec![event(EventKind::Found)],
            }),
            Some(rec) => {
                // Most findings do not change from one observation to the next: the record is
                // copied only when it gets an event or a new system or owner.
                let mut events = Vec::new();
                match rec.last() {
                    Some(last) if !last.kind.ends() => {
                        if last.severity != severity {
                            events.push(event(EventKind::Severity));
                        }
                        if last.triage != triage {
                            events.push(event(EventKind::Triage));
                        }
                    }
                    _ => events.push(event(EventKind::Reappeared)),
                }
                let moved = rec.owner != owner || rec.system != f.system.as_str();
                (moved || !events.is_empty()).then(|| {
                    let mut rec = rec.clone();
                    rec.events.extend(events);
                    rec.owner = owner.to_string();
                    rec.system = f.system.to_string();
                    rec
                })
            }
        };
        if let Some(rec) = updated {
            records.push((f.id.clone(), rec));
        }
    }
    let mut gone: Vec<(&String, &FindingRecord)> = history
        .findings
        .iter()
        .filter(|(id, rec)| rec.is_present() && !seen.contains(id.as_str()))
        .collect();
    gone.sort_by(|a, b| a.0.cmp(b.0));
    for (id, rec) in gone {
        let last = *rec.last().expect("a present record has an event");
        let kind = if in_inventory(&rec.system) {
            EventKind::Resolved
        } else {
            EventKind::SystemRemoved
        };
        let mut rec = rec.clone();
        rec.events.push(Event {
            on: day,
            kind,
            ..last
        });
        records.push((id.clone(), rec));
    }
    Ok(Commit {
        records,
        day: summary,
    })
}

/// Which part of the history to sum up.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// One owner's findings only (the owner of the system at the last observation that saw it).
    pub owner: Option<String>,
    /// From this day on.
    pub since: Option<NaiveDate>,
}

/// One observation day in the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRow {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub counts: Counts,
}

/// What one severity (or one owner) adds up to over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Present at the last observation and not closed by a decision.
    pub open_now: u64,
    /// Present at the last observation, closed by a decision (accepted risk, mitigated).
    pub closed_now: u64,
    pub exposure_days: u64,
    pub resolved: u64,
    /// Mean days from found (or reappeared) to resolved, over `resolved`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_days_to_resolve: Option<f64>,
    /// Findings whose system left the inventory in the period.
    pub left_with_system: u64,
}

/// The history summed up ([`summarise`]); `firmwatch history --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// Observations in the period.
    pub observations: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_day: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_day: Option<NaiveDate>,
    pub days: Vec<DayRow>,
    pub by_severity: BTreeMap<Severity, Totals>,
    pub by_owner: BTreeMap<String, Totals>,
    pub total: Totals,
}

/// Schema of [`Summary`]'s JSON.
pub const SUMMARY_SCHEMA: u32 = 1;

/// Accumulates resolutions for a mean.
#[derive(Default)]
struct Tally {
    totals: Totals,
    resolve_days: u64,
}

impl Tally {
    fn finish(mut self) -> Totals {
        self.totals.mean_days_to_resolve = (self.totals.resolved > 0)
            .then(|| self.resolve_days as f64 / self.totals.resolved as f64);
        self.totals
    }
}

/// Sum the history up for `query`.
pub fn summarise(history: &History, query: &Query) -> Summary {
    let since = query.since;
    let days: Vec<&Day> = history
        .days
        .iter()
        .filter(|d| since.is_none_or(|s| d.day >= s))
        .collect();
    let rows = days
        .iter()
        .map(|d| {
            let counts = match &query.owner {
                Some(o) => d.owners.get(o).cloned().unwrap_or_default(),
                None => d.estate.clone(),
            };
            DayRow { day: d.day, counts }
        })
        .collect();
    let last_day = history.last_day();
    let mut by_severity: BTreeMap<Severity, Tally> = BTreeMap::new();
    let mut by_owner: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut ids: Vec<&String> = history.findings.keys().collect();
    ids.sort();
    for id in ids {
        let rec = &history.findings[id];
        if query.owner.as_ref().is_some_and(|o| *o != rec.owner) {
            continue;
        }
        let owner = by_owner.entry(rec.owner.clone()).or_default();
        let mut each = |severity: Severity, f: &dyn Fn(&mut Tally)| {
            f(by_severity.entry(severity).or_default());
            f(owner);
            f(&mut total);
        };
        // Exposure-days and resolutions, stretch by stretch.
        let mut start: Option<NaiveDate> = None;
        for (i, e) in rec.events.iter().enumerate() {
            if matches!(e.kind, EventKind::Found | EventKind::Reappeared) {
                start = Some(e.on);
            }
            if !e.kind.ends() && e.triage != TriageState::FalsePositive {
                let end = rec.events.get(i + 1).map(|n| n.on).or(last_day);
                if let Some(end) = end {
                    let from = since.map_or(e.on, |s| s.max(e.on));
                    let n = (end - from).num_days().max(0) as u64;
                    each(e.severity, &|t| t.totals.exposure_days += n);
                }
            }
            if since.is_some_and(|s| e.on < s) {
                continue;
            }
            match e.kind {
                EventKind::Resolved if e.triage != TriageState::FalsePositive => {
                    let took = start.map_or(0, |s| (e.on - s).num_days().max(0) as u64);
                    each(e.severity, &|t| {
                        t.totals.resolved += 1;
                        t.resolve_days += took;
                    });
                }
                EventKind::SystemRemoved => {
                    each(e.severity, &|t| t.totals.left_with_system += 1);
                }
                _ => {}
            }
        }
        if let Some(last) = rec.last().filter(|e| !e.kind.ends()) {
            match last.triage {
                TriageState::New | TriageState::Acknowledged | TriageState::InProgress => {
                    each(last.severity, &|t| t.totals.open_now += 1);
                }
                TriageState::AcceptedRisk | TriageState::Mitigated => {
                    each(last.severity, &|t| t.totals.closed_now += 1);
                }
                TriageState::FalsePositive => {}
            }
        }
    }
    Summary {
        schema_version: SUMMARY_SCHEMA,
        owner: query.owner.clone(),
        since,
        observations: days.len(),
        first_day: days.first().map(|d| d.day),
        last_day: days.last().map(|d| d.day),
        days: rows,
        by_severity: by_severity
            .into_iter()
            .map(|(s, t)| (s, t.finish()))
            .collect(),
        by_owner: by_owner.into_iter().map(|(o, t)| (o, t.finish())).collect(),
        total: total.finish(),
    }
}

/// The severities from the worst down, as the tables list them.
const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

fn mean(t: &Totals) -> String {
    t.mean_days_to_resolve
        .map_or_else(|| "–".to_string(), |m| format!("{m:.1}"))
}

fn sum(s: &BySeverity) -> u64 {
    s.values().sum()
}

/// The summary as plain-text tables: the series (open findings by severity, and those closed by
/// a decision), then the totals by severity and by owner.
pub fn render_text(s: &Summary) -> String {
    let mut out = String::new();
    let whose = s
        .owner
        .as_ref()
        .map_or_else(|| "the estate".to_string(), |o| format!("owner {o}"));
    let (Some(first), Some(last)) = (s.first_day, s.last_day) else {
        let _ = writeln!(
            out,
            "no observation of {whose} recorded yet: `firmwatch history --record`, `notify` and `run` record one"
        );
        return out;
    };
    let _ = writeln!(
        out,
        "history of {whose}: {} observation(s), {first} … {last}\n",
        s.observations
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    let mut header = vec!["day".to_string()];
    header.extend(SEVERITIES.iter().map(|v| format!("open {v}")));
    header.extend(["accepted risk", "mitigated", "false positive"].map(String::from));
    t.set_header(header);
    for d in &s.days {
        let mut row = vec![d.day.to_string()];
        row.extend(
            SEVERITIES
                .iter()
                .map(|v| d.counts.open.get(v).copied().unwrap_or(0).to_string()),
        );
        row.push(sum(&d.counts.accepted_risk).to_string());
        row.push(sum(&d.counts.mitigated).to_string());
        row.push(sum(&d.counts.false_positive).to_string());
        t.add_row(row);
    }
    let _ = writeln!(out, "{t}\n");
    let totals_header = [
        "open now",
        "closed now",
        "exposure-days",
        "resolved",
        "mean days to resolve",
        "left with system",
    ];
    let row = |first: String, v: &Totals| {
        vec![
            first,
            v.open_now.to_string(),
            v.closed_now.to_string(),
            v.exposure_days.to_string(),
            v.resolved.to_string(),
            mean(v),
            v.left_with_system.to_string(),
        ]
    };
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    let mut header = vec!["severity".to_string()];
    header.extend(totals_header.map(String::from));
    t.set_header(header);
    for v in SEVERITIES {
        if let Some(tot) = s.by_severity.get(&v) {
            t.add_row(row(v.to_string(), tot));
        }
    }
    t.add_row(row("all".to_string(), &s.total));
    let _ = writeln!(out, "{t}\n");
    if s.owner.is_none() {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
        let mut header = vec!["owner".to_string()];
        header.extend(totals_header.map(String::from));
        t.set_header(header);
        for (o, tot) in &s.by_owner {
            t.add_row(row(o.clone(), tot));
        }
        let _ = writeln!(out, "{t}\n");
    }
    let _ = writeln!(
        out,
        "exposure-days: days present at that severity, false positives excluded; resolved: no \
         longer reported while the system is still in the inventory; closed now: accepted risk \
         or mitigated."
    );
    out
}

/// One finding's events as text lines, oldest first.
pub fn render_finding(id: &str, rec: &FindingRecord) -> String {
    let mut out = format!("{id} (system {}, owner {})\n", rec.system, rec.owner);
    for e in &rec.events {
        let _ = writeln!(
            out,
            "  {}  {:<14} {:<8} {}",
            e.on,
            e.kind.as_str(),
            e.severity.as_str(),
            e.triage.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{advisory_for, run as rate, Estate};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A finding of `id` on `system` owned by `owner`, with `severity` and `triage`.
    fn finding(id: &str, owner: &str, severity: Severity, triage: TriageState) -> Finding {
        let e = Estate::new().unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", 0.6);
        let a = advisory_for(
            "FWN-2",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        );
        let mut f = rate(&e, &[a]).remove(0);
        let system = id.split_once('@').expect("ADVISORY@system").1;
        f.id = id.into();
        f.system = system.parse().unwrap();
        f.owner = owner.parse().unwrap();
        f.rating.severity = severity;
        f.triage.state = triage;
        f
    }

    fn apply(h: &mut History, c: Commit) {
        for (id, rec) in c.records {
            h.findings.insert(id, rec);
        }
        h.days.retain(|x| x.day != c.day.day);
        h.days.push(c.day);
    }

    fn run(h: &mut History, day: &str, findings: &[Finding], systems: &[&str]) -> usize {
        let c = observe(h, findings, |s| systems.contains(&s), d(day)).unwrap();
        let n = c.records.len();
        apply(h, c);
        n
    }

    #[test]
    fn a_series_of_days_gives_first_seen_changes_and_resolution() {
        use Severity::*;
        use TriageState::*;
        let mut h = History::default();
        let a = |sev, tri| finding("A@s1", "ops", sev, tri);
        let b = |sev, tri| finding("B@s2", "dba", sev, tri);
        // Day 1: both found.
        assert_eq!(
            run(
                &mut h,
                "2026-12-01",
                &[a(High, New), b(Low, New)],
                &["s1", "s2"]
            ),
            2
        );
        // Day 2: nothing changed: nothing written.
        assert_eq!(
            run(
                &mut h,
                "2026-12-02",
                &[a(High, New), b(Low, New)],
                &["s1", "s2"]
            ),
            0
        );
        // Day 4: A worsens and is accepted; B is fixed.
        assert_eq!(
            run(
                &mut h,
                "2026-12-04",
                &[a(Critical, AcceptedRisk)],
                &["s1", "s2"]
            ),
            2
        );
        // Day 6: A's system leaves the inventory.
        assert_eq!(run(&mut h, "2026-12-06", &[], &["s2"]), 1);

        let rec_a = &h.findings["A@s1"];
        let kinds: Vec<_> = rec_a.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Found,
                EventKind::Severity,
                EventKind::Triage,
                EventKind::SystemRemoved
            ]
        );
        assert_eq!(rec_a.first_seen(), Some(d("2026-12-01")));
        let rec_b = &h.findings["B@s2"];
        assert_eq!(rec_b.events.last().unwrap().kind, EventKind::Resolved);
        assert_eq!(rec_b.events.last().unwrap().on, d("2026-12-04"));

        let s = summarise(&h, &Query::default());
        assert_eq!(s.observations, 4);
        let open: Vec<u64> = s.days.iter().map(|r| sum(&r.counts.open)).collect();
        assert_eq!(open, [2, 2, 0, 0]);
        assert_eq!(sum(&s.days[2].counts.accepted_risk), 1);
        // A: high from the 1st to the 4th (3 days), critical from the 4th to the 6th (2 days).
        assert_eq!(s.by_severity[&High].exposure_days, 3);
        assert_eq!(s.by_severity[&Critical].exposure_days, 2);
        // B: low for 3 days, resolved after 3 days.
        assert_eq!(s.by_severity[&Low].exposure_days, 3);
        assert_eq!(s.by_severity[&Low].resolved, 1);
        assert_eq!(s.by_severity[&Low].mean_days_to_resolve, Some(3.0));
        assert_eq!(s.total.resolved, 1);
        assert_eq!(s.total.left_with_system, 1);
        assert_eq!(s.by_owner["ops"].left_with_system, 1);
        assert_eq!(s.by_owner["dba"].resolved, 1);
        assert_eq!(s.total.open_now, 0);
    }

    #[test]
    fn a_finding_that_comes_back_reopens_and_each_stretch_is_timed() {
        use Severity::*;
        use TriageState::*;
        let mut h = History::default();
        let a = || finding("A@s1", "ops", Medium, New);
        run(&mut h, "2026-11-01", &[a()], &["s1"]);
        run(&mut h, "2026-11-03", &[], &["s1"]);
        run(&mut h, "2026-11-10", &[a()], &["s1"]);
        run(&mut h, "2026-11-20", &[], &["s1"]);
        let kinds: Vec<_> = h.findings["A@s1"].events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Found,
                EventKind::Resolved,
                EventKind::Reappeared,
                EventKind::Resolved
            ]
        );
        let s = summarise(&h, &Query::default());
        // 2 days, then 10 days: mean 6.
        assert_eq!(s.by_severity[&Medium].resolved, 2);
        assert_eq!(s.by_severity[&Medium].mean_days_to_resolve, Some(6.0));
        assert_eq!(s.by_severity[&Medium].exposure_days, 12);
        // Since the 5th: the second stretch only.
        let s = summarise(
            &h,
            &Query {
                since: Some(d("2026-11-05")),
                ..Query::default()
            },
        );
        assert_eq!(s.by_severity[&Medium].resolved, 1);
        assert_eq!(s.by_severity[&Medium].exposure_days, 10);
        assert_eq!(s.observations, 2);
    }

    #[test]
    fn false_positives_add_no_exposure_and_no_resolution() {
        use Severity::*;
        use TriageState::*;
        let mut h = History::default();
        run(
            &mut h,
            "2026-11-01",
            &[finding("A@s1", "ops", High, New)],
            &["s1"],
        );
        run(
            &mut h,
            "2026-11-02",
            &[finding("A@s1", "ops", High, FalsePositive)],
            &["s1"],
        );
        run(&mut h, "2026-11-09", &[], &["s1"]);
        let s = summarise(&h, &Query::default());
        assert_eq!(s.by_severity[&High].exposure_days, 1);
        assert_eq!(s.by_severity[&High].resolved, 0);
        assert_eq!(sum(&s.days[1].counts.false_positive), 1);
    }

    #[test]
    fn an_older_day_is_refused_and_the_same_day_replaces_its_summary() {
        use Severity::*;
        use TriageState::*;
        let mut h = History::default();
        run(
            &mut h,
            "2026-12-05",
            &[finding("A@s1", "ops", High, New)],
            &["s1"],
        );
        let err = observe(&h, &[], |_| true, d("2026-12-04")).unwrap_err();
        assert_eq!(err.last, d("2026-12-05"));
        assert!(err.to_string().contains("nothing was recorded"));
        run(
            &mut h,
            "2026-12-05",
            &[finding("A@s1", "ops", High, Acknowledged)],
            &["s1"],
        );
        assert_eq!(h.days.len(), 1);
        assert_eq!(h.findings["A@s1"].events.len(), 2);
    }

    #[test]
    fn an_owner_sees_only_their_findings() {
        use Severity::*;
        use TriageState::*;
        let mut h = History::default();
        run(
            &mut h,
            "2026-12-01",
            &[
                finding("A@s1", "ops", High, New),
                finding("B@s2", "dba", Low, New),
            ],
            &["s1", "s2"],
        );
        let s = summarise(
            &h,
            &Query {
                owner: Some("dba".into()),
                ..Query::default()
            },
        );
        assert_eq!(s.total.open_now, 1);
        assert_eq!(s.by_owner.keys().collect::<Vec<_>>(), ["dba"]);
        assert_eq!(sum(&s.days[0].counts.open), 1);
        assert!(!render_text(&s).contains("ops"));
    }
}
