//! A discovered snapshot: the firmware facts one source reported for one hand-written system, as
//! the machine-owned file `<inventory>/discovered/<system>.json`.
//!
//! A snapshot is written whole or not at all ([`Snapshot::write`]: a temporary file in the same
//! directory, flushed to disk, then renamed over the old one), so a crash or a full disk leaves
//! the previous file. When a source fails, its last good snapshot stays and is marked stale
//! ([`mark_stale`]) with the time and the reason: the facts it holds are still the best known,
//! and whoever reads them is told how old they are.
//!
//! Times are UTC instants (`read_at`, `booted`, a reading's time); the loader keeps their date.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::ComponentKind;

/// The layout version this build writes and reads (`firmwatch_discovered` in the file).
pub const LAYOUT: u32 = 1;

/// The directory of snapshots inside an inventory directory.
pub const DIR: &str = "discovered";

/// Where a snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A Redfish / Swordfish service, walked by `firmwatch discover`.
    Redfish,
    /// A CycloneDX 1.5/1.6 BOM, imported.
    Cyclonedx,
    /// The documented CSV, imported.
    Csv,
}

/// Everything one source said about one system at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The layout version, [`LAYOUT`].
    pub firmwatch_discovered: u32,
    /// The hand-written system these facts belong to.
    pub system: String,
    pub source: SourceKind,
    /// The service root URL (never with credentials) or the imported file's path.
    pub endpoint: String,
    /// When the facts were read.
    pub read_at: DateTime<Utc>,
    /// Set when the latest attempt failed: the facts are from `read_at`, not from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<Stale>,
    #[serde(default)]
    pub facts: SystemFacts,
    #[serde(default)]
    pub components: Vec<Part>,
    /// Sets of parts that protect each other's data (Swordfish pools and volumes, RAID volumes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raid_groups: Vec<RaidSet>,
}

/// A failed attempt after the last good read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stale {
    pub since: DateTime<Utc>,
    pub error: String,
}

/// What the source said of the system as a whole. Every field is optional: a BMC knows its own
/// firmware, not the array OS's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The system OS firmware, only when the source states it as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booted: Option<DateTime<Utc>>,
}

/// One part the source reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Stable within the snapshot, usable as a component id (`drive-0`, `bmc`, `psu-1`).
    pub id: String,
    pub kind: ComponentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_on_hours: Option<Hours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booted: Option<DateTime<Utc>>,
    /// Where the source said it: a Redfish resource path, `file:line` of an import.
    pub location: String,
}

/// A power-on-hours counter and when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub hours: u64,
    pub read_at: DateTime<Utc>,
}

/// Parts that form one redundancy set (a RAID volume or pool) as the source reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaidSet {
    pub id: String,
    /// As the source names it (`RAID5`, `RAID1`, `Mirrored`); `None` when not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raid_type: Option<String>,
    /// Part ids of this snapshot.
    pub members: Vec<String>,
    pub location: String,
}

/// Why a snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{}` is not a discovered snapshot: {source}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{}` has layout {found}; this build reads layout {LAYOUT}", path.display())]
    Layout { path: PathBuf, found: u32 },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Snapshot {
    /// An empty, fresh snapshot of `system` read now from `endpoint`.
    pub fn new(system: &str, source: SourceKind, endpoint: &str, read_at: DateTime<Utc>) -> Self {
        Snapshot {
            firmwatch_discovered: LAYOUT,
            system: system.to_string(),
            source,
            endpoint: endpoint.to_string(),
            read_at,
            stale: None,
            facts: SystemFacts::default(),
            components: Vec::new(),
            raid_groups: Vec::new(),
        }
    }

    /// The snapshot file of `system` in the inventory directory `inventory`.
    pub fn path(inventory: &Path, system: &str) -> PathBuf {
        inventory.join(DIR).join(format!("{system}.json"))
    }

    /// Parse a snapshot's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Snapshot, SnapshotError> {
        let snap: Snapshot = serde_json::from_str(text).map_err(|source| SnapshotError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if snap.firmwatch_discovered != LAYOUT {
            return Err(SnapshotError::Layout {
                path: path.to_path_buf(),
                found: snap.firmwatch_discovered,
            });
        }
        Ok(snap)
    }

    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = fs::read_to_string(path).map_err(|source| SnapshotError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Snapshot::parse(path, &text)
    }

    /// Write to `path` whole or not at all; creates the directory.
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        let mut text = serde_json::to_string_pretty(self).expect("a snapshot always serializes");
        text.push('\n');
        write_atomic(path, text.as_bytes()).map_err(|source| SnapshotError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Mark the snapshot at `path` stale after a failed attempt: its facts stay, `stale` says since
/// when and why. `Ok(false)` when there is no earlier snapshot to mark.
pub fn mark_stale(path: &Path, since: DateTime<Utc>, error: &str) -> Result<bool, SnapshotError> {
    if !path.exists() {
        return Ok(false);
    }
    let mut snap = Snapshot::read(path)?;
    // The first failure after a good read is when the data started to age; later failures keep it.
    let since = snap.stale.as_ref().map_or(since, |s| s.since);
    snap.stale = Some(Stale {
        since,
        error: error.to_string(),
    });
    snap.write(path)?;
    Ok(true)
}

/// Temporary file beside `path`, flushed, renamed over it, and the directory flushed.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("snapshot");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_and_marks_stale_keeping_the_facts() {
        let dir = tempfile::tempdir().unwrap();
        let path = Snapshot::path(dir.path(), "fas1");
        let mut snap = Snapshot::new(
            "fas1",
            SourceKind::Redfish,
            "https://bmc/redfish/v1",
            at("2026-12-01T10:00:00Z"),
        );
        snap.components.push(Part {
            id: "drive-0".into(),
            kind: ComponentKind::Drive,
            vendor: Some("Seagate".into()),
            model: Some("ST8000NM0055".into()),
            firmware: Some("C003".into()),
            serial: Some("ZA1".into()),
            power_on_hours: Some(Hours {
                hours: 3,
                read_at: at("2026-12-01T10:00:00Z"),
            }),
            booted: None,
            location: "/redfish/v1/Chassis/1/Drives/0".into(),
        });
        snap.write(&path).unwrap();
        assert_eq!(Snapshot::read(&path).unwrap(), snap);

        assert!(mark_stale(&path, at("2026-12-02T10:00:00Z"), "HTTP 500").unwrap());
        assert!(mark_stale(&path, at("2026-12-03T10:00:00Z"), "timed out").unwrap());
        let stale = Snapshot::read(&path).unwrap();
        assert_eq!(stale.components, snap.components);
        assert_eq!(
            stale.stale,
            Some(Stale {
                since: at("2026-12-02T10:00:00Z"),
                error: "timed out".into()
            })
        );
        assert!(!mark_stale(
            &dir.path().join("none.json"),
            at("2026-12-02T10:00:00Z"),
            "x"
        )
        .unwrap());
    }

    #[test]
    fn another_layout_or_an_unknown_key_is_refused_with_the_path() {
        let p = Path::new("inventory/discovered/x.json");
        let text = r#"{"firmwatch_discovered":2,"system":"x","source":"csv","endpoint":"e","read_at":"2026-12-01T00:00:00Z"}"#;
        let e = Snapshot::parse(p, text).unwrap_err();
        assert!(e.to_string().contains("inventory/discovered/x.json"), "{e}");
        assert!(e.to_string().contains("layout 2"), "{e}");
        let text = r#"{"firmwatch_discovered":1,"system":"x","source":"csv","endpoint":"e","read_at":"2026-12-01T00:00:00Z","colour":1}"#;
        assert!(Snapshot::parse(p, text).is_err());
    }
}
