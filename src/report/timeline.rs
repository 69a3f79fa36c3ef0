//! The time bombs ahead: the findings whose rating gives a date, over the coming months, by the
//! RAID group, redundancy group or system their parts sit in, with the planned update steps.
//!
//! Every date is the rating's own ([`Urgency`]): a finding rated `ByDate(d)` (a power-on-hours
//! threshold, an uptime clock) is placed on `d`, and one rated `Triggering` (its date has passed,
//! or it fires now) on today as *past due*. A finding whose parts sit in two groups is placed in
//! both rows on its date (its earliest trigger, the one its rating goes by). A row is the first
//! group, by kind, that holds the part (a RAID group for drives, a controller pair or cluster for
//! controllers, the power supplies for a PSU), else the part's system. A rollout plan's dated
//! steps are marked across the picture and in the rows of the systems they update, so an update
//! that comes after the bomb is seen as such.
//!
//! [`Timeline`] is the data; [`write_text`] lists it for a terminal, the JSON form is the
//! serialized [`Timeline`], and `svg::timeline` draws it. Pure: no I/O, no clock.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::plain;
use crate::blast::{Finding, FindingCode, Severity, Urgency};
use crate::check::RolloutPlan;
use crate::inventory::{ComponentRef, GroupKind, Inventory, SystemId};

/// Version of the JSON timeline layout.
pub const TIMELINE_SCHEMA_VERSION: u32 = 1;
/// The span shown unless told otherwise.
pub const DEFAULT_MONTHS: u32 = 24;
/// The longest span accepted (ten years).
pub const MAX_MONTHS: u32 = 120;

/// The dated triggers between `today` and `until`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub schema_version: u32,
    pub today: NaiveDate,
    pub until: NaiveDate,
    pub months: u32,
    /// Rows with at least one trigger in the span, the earliest first (then by row id).
    pub rows: Vec<Row>,
    /// Findings dated after `until` (not in `rows`).
    pub later: usize,
    /// The plan's steps, in the plan's order (`None`: no plan given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<PlanStep>>,
}

/// Where a row's triggers sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowKind {
    RaidGroup,
    ControllerPair,
    Cluster,
    PowerSupplies,
    System,
}

impl RowKind {
    /// Words for a label: "RAID group", "controller pair".
    pub fn label(self) -> &'static str {
        match self {
            RowKind::RaidGroup => "RAID group",
            RowKind::ControllerPair => "controller pair",
            RowKind::Cluster => "cluster",
            RowKind::PowerSupplies => "power supplies",
            RowKind::System => "system",
        }
    }

    /// The row kind of a group kind; `None` for groups that say nothing about where a part fails
    /// (paths, replicas).
    fn of(kind: &GroupKind) -> Option<RowKind> {
        match kind {
            GroupKind::RaidGroup { .. } => Some(RowKind::RaidGroup),
            GroupKind::ControllerPair => Some(RowKind::ControllerPair),
            GroupKind::Cluster => Some(RowKind::Cluster),
            GroupKind::PowerSupplies => Some(RowKind::PowerSupplies),
            GroupKind::Multipath | GroupKind::ReplicaPair => None,
        }
    }
}

/// One RAID group, redundancy group or system with its triggers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub kind: RowKind,
    /// The group's id, or the system's for a system row.
    pub id: String,
    pub system: SystemId,
    /// By date, then finding id.
    pub marks: Vec<Mark>,
    /// Dated plan steps that update this row's system, by date.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<Update>,
}

/// One finding's trigger in one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub finding: String,
    pub advisory: String,
    pub title: String,
    /// The rating's date; today when past due.
    pub date: NaiveDate,
    /// Rated `triggering`: its date has passed or it fires now.
    pub past_due: bool,
    /// The finding's parts in this row: "8 × drive".
    pub parts: String,
    pub severity: Severity,
    pub code: FindingCode,
}

/// A dated plan step that updates a row's system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    pub step: String,
    pub date: NaiveDate,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    pub name: String,
    pub date: Option<NaiveDate>,
    /// `subject → version` for each target.
    pub targets: Vec<String>,
}

impl Timeline {
    /// The steps with a date within the span.
    pub fn steps_in_span(&self) -> impl Iterator<Item = (&PlanStep, NaiveDate)> {
        self.steps.iter().flatten().filter_map(|s| {
            s.date
                .filter(|d| *d >= self.today && *d <= self.until)
                .map(|d| (s, d))
        })
    }

    /// How many triggers the rows hold.
    pub fn marks(&self) -> usize {
        self.rows.iter().map(|r| r.marks.len()).sum()
    }
}

/// The date a finding's rating places it on, and whether it is past due; `None` when its rating
/// gives no date.
pub fn dated(f: &Finding, today: NaiveDate) -> Option<(NaiveDate, bool)> {
    match f.rating.urgency {
        Urgency::ByDate(d) if d <= today => Some((today, true)),
        Urgency::ByDate(d) => Some((d, false)),
        Urgency::Triggering => Some((today, true)),
        _ => None,
    }
}

/// A row's kind and id.
type RowKey = (RowKind, String);

/// The timeline of `findings` from `today` over `months` (clamped to 1..=[`MAX_MONTHS`]), rows
/// named from `inv`, with the steps of `plan` if given.
pub fn build(
    findings: &[Finding],
    inv: &Inventory,
    today: NaiveDate,
    months: u32,
    plan: Option<&RolloutPlan>,
) -> Timeline {
    let months = months.clamp(1, MAX_MONTHS);
    let until = today
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    let mut later = 0;
    let dated: Vec<(&Finding, NaiveDate, bool)> = findings
        .iter()
        .filter_map(|f| dated(f, today).map(|(d, past)| (f, d, past)))
        .filter(|(_, d, _)| {
            let after = *d > until;
            later += usize::from(after);
            !after
        })
        .collect();
    let rows_of = row_index(inv, dated.iter().flat_map(|(f, _, _)| &f.parts));

    // (kind, id) → row; BTreeMap for a stable order before the final sort.
    let mut rows: BTreeMap<RowKey, Row> = BTreeMap::new();
    for (f, date, past_due) in &dated {
        // The finding's parts by row, counted per kind.
        let mut by_row: BTreeMap<RowKey, (SystemId, BTreeMap<&str, u64>)> = BTreeMap::new();
        for p in &f.parts {
            let (kind, id) = rows_of
                .get(&p.subject)
                .map(|(k, id)| (*k, id.clone()))
                .unwrap_or_else(|| (RowKind::System, p.subject.system.to_string()));
            let entry = by_row
                .entry((kind, id))
                .or_insert_with(|| (p.subject.system.clone(), BTreeMap::new()));
            *entry.1.entry(p.kind.as_str()).or_insert(0) += u64::from(p.count);
        }
        for (key, (system, kinds)) in by_row {
            let row = rows.entry(key.clone()).or_insert_with(|| Row {
                kind: key.0,
                id: key.1.clone(),
                system,
                marks: Vec::new(),
                updates: Vec::new(),
            });
            row.marks.push(Mark {
                finding: f.id.clone(),
                advisory: f.advisory.id.to_string(),
                title: f.advisory.title.to_string(),
                date: *date,
                past_due: *past_due,
                parts: kinds
                    .iter()
                    .map(|(k, n)| format!("{n} × {k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                severity: f.rating.severity,
                code: f.rating.code,
            });
        }
    }
    let steps = plan.map(|p| {
        p.steps
            .iter()
            .map(|s| PlanStep {
                name: s.name.clone(),
                date: s.date,
                targets: s
                    .targets
                    .iter()
                    .map(|t| format!("{} → {}", t.subject, t.to))
                    .collect(),
            })
            .collect::<Vec<_>>()
    });
    let mut rows: Vec<Row> = rows.into_values().collect();
    for row in &mut rows {
        row.marks
            .sort_by(|a, b| (a.date, &a.finding).cmp(&(b.date, &b.finding)));
        if let Some(plan) = plan {
            for s in &plan.steps {
                let Some(date) = s.date.filter(|d| *d >= today && *d <= until) else {
                    continue;
                };
                if s.targets.iter().any(|t| t.subject.system == row.system) {
                    row.updates.push(Update {
                        step: s.name.clone(),
                        date,
                    });
                }
            }
            row.updates
                .sort_by(|a, b| (a.date, &a.step).cmp(&(b.date, &b.step)));
        }
    }
    rows.sort_by(|a, b| (a.marks[0].date, a.kind, &a.id).cmp(&(b.marks[0].date, b.kind, &b.id)));
    Timeline {
        schema_version: TIMELINE_SCHEMA_VERSION,
        today,
        until,
        months,
        rows,
        later,
        steps,
    }
}

/// For each of `parts`, the row it belongs in when a group holds it: the first group of the
/// best kind (RAID group, controller pair, cluster, power supplies), groups in id order. One pass
/// over the groups, looking up only the parts asked about.
fn row_index<'a>(
    inv: &Inventory,
    parts: impl Iterator<Item = &'a crate::blast::Part>,
) -> BTreeMap<ComponentRef, (RowKind, String)> {
    let wanted: BTreeSet<&ComponentRef> = parts.map(|p| &p.subject).collect();
    let mut out: BTreeMap<ComponentRef, (RowKind, String)> = BTreeMap::new();
    if wanted.is_empty() {
        return out;
    }
    for g in inv.groups.values() {
        let Some(kind) = RowKind::of(&g.kind) else {
            continue;
        };
        for m in g.members.iter().filter(|m| wanted.contains(m)) {
            match out.get(m) {
                Some((k, _)) if *k <= kind => {}
                _ => {
                    out.insert(m.clone(), (kind, g.id.to_string()));
                }
            }
        }
    }
    out
}

/// The timeline as text for a terminal: one block per row, one line per trigger, then the plan's
/// steps. Advisory text has its control characters replaced ([`plain`]).
pub fn write_text(t: &Timeline, w: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "dated triggers from {} to {} ({} months): {} in {} row{}",
        t.today,
        t.until,
        t.months,
        t.marks(),
        t.rows.len(),
        if t.rows.len() == 1 { "" } else { "s" }
    );
    for row in &t.rows {
        let _ = writeln!(
            o,
            "\n{} {}{}",
            row.kind.label(),
            row.id,
            if row.kind == RowKind::System {
                String::new()
            } else {
                format!(" (on {})", row.system)
            }
        );
        for m in &row.marks {
            let when = if m.past_due {
                "PAST DUE".to_string()
            } else {
                format!("in {} days", (m.date - t.today).num_days())
            };
            let _ = writeln!(
                o,
                "  {}  {:<12} {}  {}  {} [{}]  {}",
                m.date,
                when,
                plain(&m.advisory),
                m.parts,
                m.severity,
                m.code,
                plain(&m.title)
            );
        }
        for u in &row.updates {
            let _ = writeln!(o, "  {}  update       plan step {}", u.date, plain(&u.step));
        }
    }
    if t.later > 0 {
        let _ = writeln!(
            o,
            "\n{} more dated trigger{} after {}",
            t.later,
            if t.later == 1 { "" } else { "s" },
            t.until
        );
    }
    if let Some(steps) = &t.steps {
        let _ = writeln!(o, "\nplan steps:");
        for s in steps {
            let _ = writeln!(
                o,
                "  {}  {}: {}",
                s.date.map_or("(no date)".to_string(), |d| d.to_string()),
                plain(&s.name),
                plain(&s.targets.join(", "))
            );
        }
    }
    w.write_all(o.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Step, Target};
    use crate::model::{ComponentKind, Effect, Trigger};
    use crate::testkit::*;
    use crate::version::Scheme;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A server with two drive sets in two RAID groups and one set in none, a power-on-hours bug
    /// on all three, each set reaching the threshold on another day.
    fn estate() -> Estate {
        Estate::new()
            .system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.90")
            .hpe_ssds("srv", "data", "HPD7", 8)
            .hpe_ssds("srv", "logs", "HPD7", 4)
            .hpe_ssds("srv", "spare", "HPD7", 2)
            .group(
                "srv-data",
                GroupKind::RaidGroup { tolerance: 1 },
                &["srv/data"],
                None,
            )
            .group(
                "srv-logs",
                GroupKind::RaidGroup { tolerance: 1 },
                &["srv/logs"],
                None,
            )
            .group("srv-paths", GroupKind::Multipath, &["srv/data"], None)
    }

    fn bug() -> crate::model::Advisory {
        let mut a = advisory_for("FWN-32768", "HPE", "SAS SSD", "vers:opaque/HPD7")
            .on(ComponentKind::Drive)
            .effects(&[Effect::DataLoss])
            .triggers(&[Trigger::PowerOnHours { hours: 32_768 }]);
        a.affected[0].models = vec!["VO1920JFDGV".into()];
        a
    }

    #[test]
    fn a_finding_sits_in_the_rows_of_its_parts_on_the_ratings_date() {
        let e = estate()
            .hours("srv", "data", 32_000, "2026-11-01")
            .hours("srv", "logs", 32_000, "2026-11-01")
            .hours("srv", "spare", 32_000, "2026-11-01");
        let findings = run(&e, &[bug()]);
        let f = &findings[0];
        let crate::blast::Urgency::ByDate(date) = f.rating.urgency else {
            panic!("{:?}", f.rating.urgency);
        };
        let t = build(&findings, &e.0, today(), 24, None);
        let rows: Vec<(RowKind, &str)> = t.rows.iter().map(|r| (r.kind, r.id.as_str())).collect();
        // Multipath says nothing of where a drive fails: a RAID group is the row, and the set in
        // no RAID group sits in its system's row.
        assert_eq!(
            rows,
            [
                (RowKind::RaidGroup, "srv-data"),
                (RowKind::RaidGroup, "srv-logs"),
                (RowKind::System, "srv")
            ]
        );
        let parts: Vec<&str> = t.rows.iter().map(|r| r.marks[0].parts.as_str()).collect();
        assert_eq!(parts, ["8 × drive", "4 × drive", "2 × drive"]);
        assert!(t
            .rows
            .iter()
            .all(|r| r.marks[0].date == date && !r.marks[0].past_due));
        assert_eq!(t.later, 0);
        assert_eq!(t.until, day("2028-11-22"));
    }

    #[test]
    fn past_due_sits_on_today_and_beyond_the_span_is_counted() {
        let e = estate().hours("srv", "data", 33_000, "2026-11-01");
        let findings = run(&e, &[bug()]);
        let t = build(&findings, &e.0, today(), 24, None);
        // One finding, one date (the rating's, its earliest): every row of its parts shows it,
        // the sets without a reading included.
        assert_eq!(t.rows.len(), 3, "{t:?}");
        for row in &t.rows {
            assert!(row.marks[0].past_due);
            assert_eq!(row.marks[0].date, today());
        }

        // 20,000 hours left: beyond 12 months, within 36.
        let e = Estate::new()
            .system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.90")
            .hpe_ssds("srv", "data", "HPD7", 8)
            .hours("srv", "data", 12_768, "2026-11-22");
        let findings = run(&e, &[bug()]);
        let short = build(&findings, &e.0, today(), 12, None);
        assert!(short.rows.is_empty());
        assert_eq!(short.later, 1);
        let long = build(&findings, &e.0, today(), 36, None);
        assert_eq!(long.rows.len(), 1);
        // 20,000 hours: 833 days and 8 hours.
        assert_eq!(long.rows[0].marks[0].date, day("2029-03-04"));
        // The span is clamped: never empty, never beyond ten years.
        assert_eq!(build(&findings, &e.0, today(), 0, None).months, 1);
        assert_eq!(
            build(&findings, &e.0, today(), 1_000, None).months,
            MAX_MONTHS
        );
    }

    #[test]
    fn plan_steps_are_kept_in_order_and_marked_in_the_rows_they_update() {
        let e = estate().hours("srv", "data", 32_000, "2026-11-01");
        let findings = run(&e, &[bug()]);
        let target = |s: &str| Target {
            subject: r(s),
            to: "HPD8".into(),
        };
        let step = |name: &str, date: Option<&str>, t: &str| Step {
            name: name.into(),
            window: None,
            date: date.map(day),
            targets: vec![target(t)],
        };
        let plan = RolloutPlan {
            steps: vec![
                step("drives", Some("2026-12-01"), "srv/data"),
                step("later", None, "srv/logs"),
                step("elsewhere", Some("2026-12-02"), "other"),
            ],
        };
        let t = build(&findings, &e.0, today(), 24, Some(&plan));
        let names: Vec<&str> = t
            .steps
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["drives", "later", "elsewhere"]);
        assert_eq!(
            t.rows[0].updates,
            [Update {
                step: "drives".into(),
                date: day("2026-12-01")
            }]
        );
        assert_eq!(t.steps_in_span().count(), 2);
        let mut text = Vec::new();
        write_text(&t, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("  2026-12-01  update       plan step drives"),
            "{text}"
        );
        assert!(
            text.contains("  (no date)  later: srv/logs → HPD8"),
            "{text}"
        );
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["schema_version"], TIMELINE_SCHEMA_VERSION);
        assert_eq!(json["rows"][0]["kind"], "raid-group");
        assert_eq!(json["rows"][0]["marks"][0]["code"], "raid-time-bomb");
    }
}
