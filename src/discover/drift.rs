//! The drift report: for each system with a snapshot, how the hand-written files and discovery
//! differ (recorded by the merge, [`super::merge::Drift`]), where the facts came from, how old
//! they are, and whether the last attempt to refresh them failed. Pure: the inventory and the
//! time in, the report out; `inventory drift` renders it and `exposure` takes its warnings.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::merge::Drift;
use super::snapshot::{SourceKind, Stale};
use crate::inventory::Inventory;

/// The JSON layout version of [`DriftReport`].
pub const SCHEMA_VERSION: u32 = 1;

/// `inventory drift`'s report; its JSON form is this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    /// Discovered data older than this is reported as too old.
    pub max_age_hours: u64,
    /// Systems with a snapshot, by id.
    pub systems: Vec<SystemDrift>,
    /// Differences over all systems.
    pub drift: usize,
    /// Snapshots whose last refresh failed.
    pub stale: usize,
    /// Snapshots older than the maximum age.
    pub too_old: usize,
}

/// One system's snapshot and its differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemDrift {
    pub system: String,
    pub file: String,
    pub source: SourceKind,
    pub endpoint: String,
    pub read_at: DateTime<Utc>,
    pub age_hours: i64,
    pub too_old: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<Stale>,
    pub drift: Vec<Drift>,
}

impl DriftReport {
    pub fn new(inv: &Inventory, now: DateTime<Utc>, max_age: Duration) -> DriftReport {
        let systems: Vec<SystemDrift> = inv
            .discovered
            .iter()
            .map(|(id, d)| {
                let age_hours = (now - d.read_at).num_hours();
                SystemDrift {
                    system: id.to_string(),
                    file: d.file.clone(),
                    source: d.source,
                    endpoint: d.endpoint.clone(),
                    read_at: d.read_at,
                    age_hours,
                    too_old: too_old(now, d.read_at, max_age),
                    stale: d.stale.clone(),
                    drift: d.drift.clone(),
                }
            })
            .collect();
        DriftReport {
            schema_version: SCHEMA_VERSION,
            generated_at: now,
            max_age_hours: max_age.as_secs() / 3600,
            drift: systems.iter().map(|s| s.drift.len()).sum(),
            stale: systems.iter().filter(|s| s.stale.is_some()).count(),
            too_old: systems.iter().filter(|s| s.too_old).count(),
            systems,
        }
    }

    /// Nothing differs and every snapshot is fresh.
    pub fn clean(&self) -> bool {
        self.drift == 0 && self.stale == 0 && self.too_old == 0
    }
}

fn too_old(now: DateTime<Utc>, read_at: DateTime<Utc>, max_age: Duration) -> bool {
    let age = (now - read_at).to_std().unwrap_or_default();
    age > max_age
}

/// An age for people: hours under two days, else days.
pub fn age_text(hours: i64) -> String {
    if hours < 48 {
        format!("{hours} h")
    } else {
        format!("{} days", hours / 24)
    }
}

/// What `exposure` says about discovered data: one warning per system whose snapshot is older
/// than `max_age`, and one per snapshot whose last refresh failed — the findings on that system
/// rest on facts of that age.
pub fn warnings(inv: &Inventory, now: DateTime<Utc>, max_age: Duration) -> Vec<String> {
    let mut out = Vec::new();
    for (id, d) in &inv.discovered {
        let read = d.read_at.format("%Y-%m-%d %H:%M UTC");
        let source = super::merge::source_name(d.source);
        if too_old(now, d.read_at, max_age) {
            out.push(format!(
                "discovered data of system {id} is {} old ({source}, read {read}, {}): older than {}",
                age_text((now - d.read_at).num_hours()),
                d.file,
                duration_text(max_age)
            ));
        }
        if let Some(s) = &d.stale {
            out.push(format!(
                "discovery of system {id} has failed since {} ({}): its facts are from {read}",
                s.since.format("%Y-%m-%d %H:%M UTC"),
                s.error
            ));
        }
    }
    out
}

/// `7d`, `36h`, `90m`: the way the options take durations.
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::merge::{Discovered, DriftCode};

    fn inv(read_at: &str, stale: Option<Stale>, drift: Vec<Drift>) -> Inventory {
        let mut inv = Inventory::default();
        inv.discovered.insert(
            "arr".parse().unwrap(),
            Discovered {
                file: "inventory/discovered/arr.json".into(),
                source: SourceKind::Csv,
                endpoint: "estate.csv".into(),
                read_at: read_at.parse().unwrap(),
                stale,
                drift,
            },
        );
        inv
    }

    fn now() -> DateTime<Utc> {
        "2026-12-10T12:00:00Z".parse().unwrap()
    }

    const WEEK: Duration = Duration::from_secs(7 * 86_400);

    #[test]
    fn fresh_data_without_differences_is_clean_and_warns_of_nothing() {
        let inv = inv("2026-12-09T12:00:00Z", None, Vec::new());
        let r = DriftReport::new(&inv, now(), WEEK);
        assert!(r.clean());
        assert_eq!((r.systems[0].age_hours, r.max_age_hours), (24, 168));
        assert!(warnings(&inv, now(), WEEK).is_empty());
    }

    #[test]
    fn old_or_stale_data_and_differences_are_reported() {
        let stale = Stale {
            since: "2026-12-05T00:00:00Z".parse().unwrap(),
            error: "HTTP 503".into(),
        };
        let d = Drift {
            code: DriftCode::FirmwareDiffers,
            component: Some("ssd".into()),
            parts: vec!["d0".into()],
            written: Some("HPD8".into()),
            discovered: Some("HPD7".into()),
            count: Some(1),
            location: None,
            message: "m".into(),
        };
        let inv = inv("2026-11-01T12:00:00Z", Some(stale), vec![d]);
        let r = DriftReport::new(&inv, now(), WEEK);
        assert_eq!((r.drift, r.stale, r.too_old), (1, 1, 1));
        assert!(!r.clean());
        let w = warnings(&inv, now(), WEEK);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(
            w[0],
            "discovered data of system arr is 39 days old (csv, read 2026-11-01 12:00 UTC, \
             inventory/discovered/arr.json): older than 7d"
        );
        assert!(
            w[1].contains("has failed since 2026-12-05 00:00 UTC (HTTP 503)"),
            "{w:?}"
        );
        // A longer limit: only the failure is left.
        assert_eq!(warnings(&inv, now(), WEEK * 10).len(), 1);
    }
}
