//! Imports: firmware facts an estate already keeps elsewhere — a CMDB export, a hardware BOM —
//! turned into the same snapshots discovery writes, so they go through the same merge.
//!
//! Two formats, both parsed whole before anything is written: a bad row or document is a problem
//! with its place (`file:line` and the column for CSV, the JSON path for CycloneDX), all problems
//! are reported, and an import with any problem writes nothing.
//!
//! **CSV** ([`csv`]): a header row naming columns from [`CSV_COLUMNS`] in any order (`system`,
//! `id` and `kind` required), then one row per component. A row of kind `system` states the facts
//! of the system itself (`vendor`, `model`, `serial`, `firmware`, `booted`; its `id` empty or the
//! system's). Empty cells state nothing. `power_on_hours` needs `read_on` (when it was read) and
//! the other way round; dates are `YYYY-MM-DD` (midnight UTC) or RFC 3339 timestamps. One snapshot
//! per system named in the `system` column.
//!
//! **CycloneDX 1.5 / 1.6 JSON** ([`cyclonedx`]): parsed with serde over the fields read here
//! (the spec's many others are ignored; no CycloneDX crate is needed for five fields). Each
//! component of type `device`, at any depth of `components`, is a part: its `name` is the model,
//! `manufacturer.name` (1.6) else `supplier.name` the vendor, the property `cdx:device:serialNumber`
//! (or the older `cdx:deviceInfo:serialNumber`, CycloneDX property taxonomy) the serial, and its
//! firmware the `version` of its first child of type `firmware` (else `operating-system`) — the
//! spec's way to describe a device and the software it runs. A device's own `version` is *not*
//! read as firmware: the spec leaves it to the hardware, and a hardware revision taken for a
//! firmware version would match advisories wrongly. A `firmware` component under no device is a
//! part by itself, its `version` the firmware. `metadata.component`, when a device, is the system
//! itself (its firmware child the system's firmware). Properties in the `firmwatch:` namespace
//! say what the spec has no field for: `firmwatch:kind` (a component kind, or `system`),
//! `firmwatch:id`, `firmwatch:firmware`, `firmwatch:power-on-hours` (read at the BOM's time),
//! `firmwatch:booted`. Without `firmwatch:kind`, the kind comes from words of the name and
//! description (`psu`/`power supply`, `bmc`/`idrac`/`ilo`, `hba`, `enclosure`/`shelf`/`chassis`,
//! `controller`, `drive`/`disk`/`ssd`/`hdd`/`nvme`, `switch`), else `other`. The snapshot's read
//! time is `metadata.timestamp`, else the time the caller gives (the file's modification time).
//! Component hashes are digests of software, not serial numbers, and are not read.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::snapshot::{Hours, Part, Snapshot, SourceKind, SystemFacts};
use crate::inventory::SystemId;
use crate::model::ComponentKind;

/// The CSV columns, in the documented order.
pub const CSV_COLUMNS: [&str; 10] = [
    "system",
    "id",
    "kind",
    "vendor",
    "model",
    "firmware",
    "serial",
    "power_on_hours",
    "read_on",
    "booted",
];

/// One problem of an import: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line (CSV).
    pub line: Option<u64>,
    /// The CSV column, or the JSON path of a CycloneDX item.
    pub column: Option<String>,
    pub message: String,
}

/// Every problem of an import file; nothing of it is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in `{}`; nothing was imported",
            if n == 1 { "" } else { "s" },
            self.file
        )
    }
}

impl ImportError {
    fn one(file: &str, line: Option<u64>, column: Option<&str>, message: String) -> ImportError {
        ImportError {
            file: file.to_string(),
            problems: vec![Problem {
                line,
                column: column.map(str::to_string),
                message,
            }],
        }
    }

    /// Each problem as `file:line: column `c`: message`.
    pub fn lines(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|p| {
                let mut s = self.file.clone();
                if let Some(l) = p.line {
                    s.push_str(&format!(":{l}"));
                }
                match (&p.column, p.line) {
                    (Some(c), Some(_)) => s.push_str(&format!(": column `{c}`")),
                    (Some(c), None) => s.push_str(&format!(": {c}")),
                    _ => {}
                }
                format!("{s}: {}", p.message)
            })
            .collect()
    }
}

const KINDS: [ComponentKind; 8] = [
    ComponentKind::Controller,
    ComponentKind::Enclosure,
    ComponentKind::Drive,
    ComponentKind::Hba,
    ComponentKind::Bmc,
    ComponentKind::Psu,
    ComponentKind::Switch,
    ComponentKind::Other,
];

/// What a row or a CycloneDX component is: a part of a kind, or the system itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    System,
    Part(ComponentKind),
}

fn subject(s: &str) -> Option<Subject> {
    let s = s.trim().to_ascii_lowercase();
    if s == "system" {
        return Some(Subject::System);
    }
    KINDS
        .into_iter()
        .find(|k| k.as_str() == s)
        .map(Subject::Part)
}

fn kinds_list() -> String {
    let mut names: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
    names.push("system");
    names.join(", ")
}

/// `YYYY-MM-DD` (midnight UTC), an RFC 3339 timestamp, or one without offset (taken as UTC).
fn instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Snapshot part ids must be unique: a repeated one gets `~2`, `~3` …
fn unique(ids: &mut HashMap<String, u32>, id: &str) -> String {
    let n = ids.entry(id.to_ascii_lowercase()).or_insert(0);
    *n += 1;
    if *n == 1 {
        id.to_string()
    } else {
        format!("{id}~{n}")
    }
}

/// Read the documented CSV: one snapshot per system, read at `read_at` (see the module doc).
pub fn csv(file: &str, text: &str, read_at: DateTime<Utc>) -> Result<Vec<Snapshot>, ImportError> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ImportError::one(file, Some(1), None, e.to_string())),
    };
    let mut problems = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == name) {
            Some(c) => {
                if at.insert(c, i).is_some() {
                    problems.push(Problem {
                        line: Some(1),
                        column: Some(h.to_string()),
                        message: "the column is named twice".into(),
                    });
                }
            }
            None => problems.push(Problem {
                line: Some(1),
                column: Some(h.to_string()),
                message: format!(
                    "unknown column (the columns are {})",
                    CSV_COLUMNS.join(", ")
                ),
            }),
        }
    }
    for required in ["system", "id", "kind"] {
        if !at.contains_key(required) {
            problems.push(Problem {
                line: Some(1),
                column: Some(required.into()),
                message: "this column is required".into(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ImportError {
            file: file.into(),
            problems,
        });
    }

    let mut snaps: BTreeMap<String, Snapshot> = BTreeMap::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut facts_at: HashMap<String, u64> = HashMap::new();
    let mut rows = 0;
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                let message = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields, the header has {expected_len}"),
                    _ => e.to_string(),
                };
                problems.push(Problem {
                    line,
                    column: None,
                    message,
                });
                if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        };
        rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: &str| {
            at.get(c)
                .and_then(|&i| record.get(i))
                .filter(|v| !v.is_empty())
        };
        let mut bad = |column: &str, message: String| {
            problems.push(Problem {
                line: Some(line),
                column: Some(column.into()),
                message,
            })
        };
        let system = match cell("system") {
            None => {
                bad("system", "empty: every row names its system".into());
                None
            }
            Some(s) => match s.parse::<SystemId>() {
                Ok(id) => Some(id.to_string()),
                Err(e) => {
                    bad("system", e.to_string());
                    None
                }
            },
        };
        let kind = match cell("kind") {
            None => {
                bad("kind", format!("empty (one of {})", kinds_list()));
                None
            }
            Some(k) => subject(k).or_else(|| {
                bad(
                    "kind",
                    format!("unknown kind `{k}` (one of {})", kinds_list()),
                );
                None
            }),
        };
        let text = |c: &str| cell(c).map(str::to_string);
        let hours = cell("power_on_hours").and_then(|h| match h.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad(
                    "power_on_hours",
                    format!("`{h}` is not a whole number of hours"),
                );
                None
            }
        });
        let read_on = cell("read_on").and_then(|r| {
            instant(r).or_else(|| {
                bad(
                    "read_on",
                    format!("`{r}` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
                );
                None
            })
        });
        match (cell("power_on_hours").is_some(), cell("read_on").is_some()) {
            (true, false) => bad(
                "read_on",
                "power-on hours need the date they were read".into(),
            ),
            (false, true) => bad("power_on_hours", "a read date without hours".into()),
            _ => {}
        }
        let booted = cell("booted").and_then(|b| {
            instant(b).or_else(|| {
                bad(
                    "booted",
                    format!("`{b}` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
                );
                None
            })
        });
        let id = cell("id");
        let (Some(system), Some(kind)) = (system, kind) else {
            continue;
        };
        let snap = snaps
            .entry(system.clone())
            .or_insert_with(|| Snapshot::new(&system, SourceKind::Csv, file, read_at));
        match kind {
            Subject::System => {
                if id.is_some_and(|i| i != system) {
                    bad(
                        "id",
                        "a `system` row's id is empty or the system's own".into(),
                    );
                }
                if hours.is_some() || cell("read_on").is_some() {
                    bad(
                        "power_on_hours",
                        "a `system` row has no power-on hours (give them per part)".into(),
                    );
                }
                if let Some(first) = facts_at.insert(system.clone(), line) {
                    bad(
                        "kind",
                        format!("a second `system` row for `{system}` (the first is line {first})"),
                    );
                }
                snap.facts = SystemFacts {
                    vendor: text("vendor"),
                    model: text("model"),
                    serial: text("serial"),
                    firmware: text("firmware"),
                    booted,
                };
            }
            Subject::Part(kind) => {
                let Some(id) = id else {
                    bad("id", "empty: every part row has an id".into());
                    continue;
                };
                let key = (system.clone(), id.to_ascii_lowercase());
                if let Some(first) = seen.insert(key, line) {
                    bad(
                        "id",
                        format!("`{id}` of `{system}` is also on line {first} (ids are compared ignoring case)"),
                    );
                    continue;
                }
                snap.components.push(Part {
                    id: id.to_string(),
                    kind,
                    vendor: text("vendor"),
                    model: text("model"),
                    firmware: text("firmware"),
                    serial: text("serial"),
                    power_on_hours: hours
                        .zip(read_on)
                        .map(|(hours, read_at)| Hours { hours, read_at }),
                    booted,
                    location: format!("{file}:{line}"),
                });
            }
        }
    }
    if rows == 0 && problems.is_empty() {
        problems.push(Problem {
            line: None,
            column: None,
            message: "no rows after the header".into(),
        });
    }
    if problems.is_empty() {
        Ok(snaps.into_values().collect())
    } else {
        Err(ImportError {
            file: file.into(),
            problems,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: String,
    spec_version: String,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Cdx>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    component: Option<Cdx>,
}

#[derive(Deserialize)]
struct Cdx {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(rename = "bom-ref", default)]
    bom_ref: Option<String>,
    #[serde(default)]
    manufacturer: Option<Org>,
    #[serde(default)]
    supplier: Option<Org>,
    #[serde(default)]
    properties: Vec<Property>,
    #[serde(default)]
    components: Vec<Cdx>,
}

#[derive(Deserialize)]
struct Org {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

impl Cdx {
    fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn serial(&self) -> Option<String> {
        self.property("cdx:device:serialNumber")
            .or_else(|| self.property("cdx:deviceInfo:serialNumber"))
            .map(str::to_string)
    }

    fn vendor(&self) -> Option<String> {
        let name = |o: &Option<Org>| o.as_ref().and_then(|o| o.name.clone());
        name(&self.manufacturer).or_else(|| name(&self.supplier))
    }

    /// The firmware it runs: `firmwatch:firmware`, else its first firmware (or OS) child's
    /// version; a `firmware` component's own version.
    fn firmware(&self) -> Option<String> {
        if let Some(f) = self.property("firmwatch:firmware") {
            return Some(f.to_string());
        }
        if self.kind == "firmware" {
            return self.version.clone();
        }
        let child = |t: &str| {
            self.components
                .iter()
                .find(|c| c.kind == t)
                .and_then(|c| c.version.clone())
        };
        child("firmware").or_else(|| child("operating-system"))
    }

    /// What it is: `firmwatch:kind`, else words of its name and description.
    fn subject(&self) -> Result<Subject, String> {
        if let Some(k) = self.property("firmwatch:kind") {
            return subject(k).ok_or_else(|| {
                format!(
                    "firmwatch:kind `{k}` is not a kind (one of {})",
                    kinds_list()
                )
            });
        }
        let text = format!(
            "{} {}",
            self.name,
            self.description.as_deref().unwrap_or_default()
        )
        .to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
        // A word, or a word and a generation number (`idrac9`, `ilo5`).
        let has = |keys: &[&str]| {
            words.iter().any(|w| {
                keys.iter().any(|k| {
                    w.strip_prefix(k)
                        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
                })
            })
        };
        let kind = if has(&["psu"]) || text.contains("power supply") {
            ComponentKind::Psu
        } else if has(&["bmc", "idrac", "ilo", "xcc"]) || text.contains("baseboard management") {
            ComponentKind::Bmc
        } else if has(&["hba"]) || text.contains("host bus adapter") {
            ComponentKind::Hba
        } else if has(&["enclosure", "shelf", "chassis", "iom"]) {
            ComponentKind::Enclosure
        } else if has(&["controller"]) {
            ComponentKind::Controller
        } else if has(&["drive", "disk", "ssd", "hdd", "nvme"]) {
            ComponentKind::Drive
        } else if has(&["switch"]) {
            ComponentKind::Switch
        } else {
            ComponentKind::Other
        };
        Ok(Subject::Part(kind))
    }
}

/// Read a CycloneDX 1.5/1.6 JSON BOM of the hand-written system `system` (see the module doc);
/// `read_at` is used when the BOM has no `metadata.timestamp`.
pub fn cyclonedx(
    file: &str,
    text: &str,
    system: &str,
    read_at: DateTime<Utc>,
) -> Result<Snapshot, ImportError> {
    let bom: Bom = serde_json::from_str(text).map_err(|e| {
        ImportError::one(
            file,
            Some(e.line() as u64),
            None,
            format!("not a CycloneDX JSON BOM: {e}"),
        )
    })?;
    if bom.bom_format != "CycloneDX" {
        return Err(ImportError::one(
            file,
            None,
            Some("bomFormat"),
            format!("`{}`, expected `CycloneDX`", bom.bom_format),
        ));
    }
    if !matches!(bom.spec_version.as_str(), "1.5" | "1.6") {
        return Err(ImportError::one(
            file,
            None,
            Some("specVersion"),
            format!(
                "CycloneDX {}: this import reads 1.5 and 1.6",
                bom.spec_version
            ),
        ));
    }
    let mut problems = Vec::new();
    let (timestamp, subject) = match bom.metadata {
        Some(m) => (m.timestamp, m.component),
        None => (None, None),
    };
    let read_at = match timestamp {
        None => read_at,
        Some(t) => instant(&t).unwrap_or_else(|| {
            problems.push(Problem {
                line: None,
                column: Some("metadata.timestamp".into()),
                message: format!("`{t}` is not an RFC 3339 timestamp"),
            });
            read_at
        }),
    };
    let mut snap = Snapshot::new(system, SourceKind::Cyclonedx, file, read_at);
    let mut walk = Walk {
        file,
        read_at,
        ids: HashMap::new(),
        problems: &mut problems,
        snap: &mut snap,
    };
    if let Some(c) = subject.filter(|c| c.kind == "device") {
        walk.facts(&c, "metadata.component");
        walk.children(&c.components, "metadata.component.components", true);
    }
    walk.children(&bom.components, "components", false);
    if problems.is_empty() {
        Ok(snap)
    } else {
        Err(ImportError {
            file: file.into(),
            problems,
        })
    }
}

struct Walk<'a> {
    file: &'a str,
    read_at: DateTime<Utc>,
    ids: HashMap<String, u32>,
    problems: &'a mut Vec<Problem>,
    snap: &'a mut Snapshot,
}

impl Walk<'_> {
    fn bad(&mut self, path: &str, message: String) {
        self.problems.push(Problem {
            line: None,
            column: Some(path.to_string()),
            message,
        });
    }

    fn booted(&mut self, c: &Cdx, path: &str) -> Option<DateTime<Utc>> {
        let b = c.property("firmwatch:booted")?;
        let t = instant(b);
        if t.is_none() {
            self.bad(
                path,
                format!("firmwatch:booted `{b}` is not a date or RFC 3339 timestamp"),
            );
        }
        t
    }

    fn facts(&mut self, c: &Cdx, path: &str) {
        let booted = self.booted(c, path);
        self.snap.facts = SystemFacts {
            vendor: c.vendor(),
            model: Some(c.name.clone()),
            serial: c.serial(),
            firmware: c.firmware(),
            booted,
        };
    }

    /// The parts among `list`; `in_device`: the list is a device's own, whose firmware was read
    /// with it.
    fn children(&mut self, list: &[Cdx], path: &str, in_device: bool) {
        for (i, c) in list.iter().enumerate() {
            let here = format!("{path}[{i}]");
            match c.kind.as_str() {
                "device" => {
                    self.device(c, &here);
                    self.children(&c.components, &format!("{here}.components"), true);
                }
                "firmware" if !in_device => self.device(c, &here),
                "firmware" | "operating-system" if in_device => {}
                // Software and the rest describe no part; their children may.
                _ => self.children(&c.components, &format!("{here}.components"), false),
            }
        }
    }

    fn device(&mut self, c: &Cdx, path: &str) {
        let kind = match c.subject() {
            Ok(Subject::System) => {
                self.facts(c, path);
                return;
            }
            Ok(Subject::Part(k)) => k,
            Err(e) => {
                self.bad(path, e);
                return;
            }
        };
        let hours = c.property("firmwatch:power-on-hours").and_then(|h| {
            h.parse::<u64>().ok().or_else(|| {
                self.bad(
                    path,
                    format!("firmwatch:power-on-hours `{h}` is not a whole number"),
                );
                None
            })
        });
        let booted = self.booted(c, path);
        let base = c
            .property("firmwatch:id")
            .map(str::to_string)
            .or_else(|| c.bom_ref.clone())
            .unwrap_or_else(|| c.name.clone());
        let id = unique(&mut self.ids, &base);
        self.snap.components.push(Part {
            id,
            kind,
            vendor: c.vendor(),
            model: Some(c.name.clone()),
            firmware: c.firmware(),
            serial: c.serial(),
            power_on_hours: hours.map(|hours| Hours {
                hours,
                read_at: self.read_at,
            }),
            booted,
            location: format!("{}: {path}", self.file),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_csv_gives_one_snapshot_per_system() {
        let text = "\
system,id,kind,vendor,model,firmware,serial,power_on_hours,read_on,booted
arr,ssd-0,drive,HPE,VO1920JFDGV,HPD7,SN1,31000,2026-11-30,
arr, ,system,Dell EMC,Unity 480F,5.1.2.0.5.009,,,,2026-11-02T03:00:00Z
fas,ctl-a,controller,,FAS8300,9.12.1P5,,,,
";
        let snaps = csv("estate.csv", text, now()).unwrap();
        assert_eq!(snaps.len(), 2);
        let arr = &snaps[0];
        assert_eq!((arr.system.as_str(), arr.source), ("arr", SourceKind::Csv));
        assert_eq!(arr.endpoint, "estate.csv");
        assert_eq!(arr.facts.firmware.as_deref(), Some("5.1.2.0.5.009"));
        assert_eq!(arr.facts.booted, "2026-11-02T03:00:00Z".parse().ok());
        let d = &arr.components[0];
        assert_eq!(d.location, "estate.csv:2");
        assert_eq!(d.power_on_hours.unwrap().hours, 31000);
        assert_eq!(
            d.power_on_hours.unwrap().read_at,
            "2026-11-30T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            snaps[1].components[0].vendor, None,
            "an empty cell says nothing"
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let text = "\
system,id,kind,firmware,power_on_hours,read_on
arr,d0,dirve,X,,
arr,d1,drive,X,many,2026-11-30
arr,d2,drive,X,5,
bad id,d3,drive,X,,
arr,D1,drive,X,,
arr,d4,drive
";
        let e = csv("estate.csv", text, now()).unwrap_err();
        let lines = e.lines();
        let expect = [
            "estate.csv:2: column `kind`: unknown kind `dirve`",
            "estate.csv:3: column `power_on_hours`: `many` is not a whole number",
            "estate.csv:4: column `read_on`: power-on hours need the date they were read",
            "estate.csv:5: column `system`: invalid system id `bad id`",
            "estate.csv:6: column `id`: `D1` of `arr` is also on line 3",
            "estate.csv:7: 3 fields, the header has 6",
        ];
        assert_eq!(lines.len(), expect.len(), "{lines:#?}");
        for (line, want) in lines.iter().zip(expect) {
            assert!(
                line.starts_with(want),
                "{line:?} does not start with {want:?}"
            );
        }
        let header = csv("x.csv", "system,id,colour\n", now()).unwrap_err();
        let lines = header.lines();
        assert!(
            lines[0].starts_with("x.csv:1: column `colour`: unknown column"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("x.csv:1: column `kind`: this column is required"),
            "{lines:?}"
        );
        assert!(csv("x.csv", "system,id,kind\n", now()).is_err(), "no rows");
    }

    #[test]
    fn a_cyclonedx_1_6_bom_gives_the_system_and_its_parts() {
        let text = include_str!("../../tests/fixtures/cyclonedx/array-1.6.json");
        let s = cyclonedx("arr-1.6.json", text, "arr", now()).unwrap();
        assert_eq!(
            (s.system.as_str(), s.source),
            ("arr", SourceKind::Cyclonedx)
        );
        assert_eq!(
            s.read_at,
            "2026-11-28T09:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // metadata.component is the system: its OS child is the system firmware.
        assert_eq!(s.facts.firmware.as_deref(), Some("5.1.2.0.5.009"));
        assert_eq!(s.facts.vendor.as_deref(), Some("Dell EMC"));
        assert_eq!(s.facts.serial.as_deref(), Some("CKM00190100001"));
        assert!(s.facts.booted.is_some());
        // Two devices; the library describes no part.
        assert_eq!(s.components.len(), 2, "{:?}", s.components);
        let spa = &s.components[0];
        assert_eq!(
            (
                spa.id.as_str(),
                spa.kind,
                spa.firmware.as_deref(),
                spa.serial.as_deref()
            ),
            (
                "spa",
                ComponentKind::Controller,
                Some("5.1.2.0.5.009"),
                Some("CKM-A")
            )
        );
        let d = &s.components[1];
        assert_eq!(
            (d.kind, d.vendor.as_deref()),
            (ComponentKind::Drive, Some("HPE"))
        );
        assert_eq!(
            (d.model.as_deref(), d.firmware.as_deref()),
            (Some("VO1920JFDGV"), Some("HPD7"))
        );
        assert_eq!(
            d.power_on_hours.map(|h| (h.hours, h.read_at)),
            Some((31000, s.read_at))
        );
        assert_eq!(d.location, "arr-1.6.json: components[1]");
    }

    #[test]
    fn a_cyclonedx_1_5_bom_reads_suppliers_nested_devices_and_lone_firmware() {
        let text = include_str!("../../tests/fixtures/cyclonedx/array-1.5.json");
        let s = cyclonedx("fas-1.5.json", text, "fas", now()).unwrap();
        assert_eq!(s.facts, SystemFacts::default(), "no metadata.component");
        let by_id = |id: &str| s.components.iter().find(|p| p.id == id).unwrap();
        let shelf = by_id("shelf-1");
        assert_eq!(
            (
                shelf.kind,
                shelf.vendor.as_deref(),
                shelf.firmware.as_deref(),
                shelf.serial.as_deref()
            ),
            (
                ComponentKind::Enclosure,
                Some("NetApp"),
                Some("0230"),
                Some("SHFMS1234")
            )
        );
        let psu = by_id("shelf-1-psu-1");
        assert_eq!(
            (psu.kind, psu.firmware.as_deref()),
            (ComponentKind::Psu, Some("1.05"))
        );
        let sp = by_id("sp");
        assert_eq!(
            (sp.kind, sp.firmware.as_deref()),
            (ComponentKind::Bmc, Some("5.10"))
        );
        // A device's own version is a hardware revision, not firmware.
        assert_eq!(by_id("fan-1").firmware, None);
        assert_eq!(s.components.len(), 4);
    }

    #[test]
    fn other_formats_and_versions_are_refused_naming_the_field() {
        let doc = |format: &str, version: &str| {
            format!(r#"{{"bomFormat": "{format}", "specVersion": "{version}", "components": []}}"#)
        };
        let e = cyclonedx("b.json", &doc("CycloneDX", "1.4"), "arr", now()).unwrap_err();
        assert_eq!(
            e.lines(),
            ["b.json: specVersion: CycloneDX 1.4: this import reads 1.5 and 1.6"]
        );
        let e = cyclonedx("b.json", &doc("SPDX", "1.6"), "arr", now()).unwrap_err();
        assert!(
            e.lines()[0].starts_with("b.json: bomFormat:"),
            "{:?}",
            e.lines()
        );
        let e = cyclonedx("b.json", "{\n \"bomFormat\": 1", "arr", now()).unwrap_err();
        assert!(
            e.lines()[0].starts_with("b.json:2: not a CycloneDX JSON BOM"),
            "{:?}",
            e.lines()
        );
        assert!(cyclonedx("b.json", &doc("CycloneDX", "1.5"), "arr", now())
            .unwrap()
            .components
            .is_empty());
    }

    #[test]
    fn kinds_come_from_the_property_else_from_words() {
        let c = |name: &str| Cdx {
            kind: "device".into(),
            name: name.into(),
            version: None,
            description: None,
            bom_ref: None,
            manufacturer: None,
            supplier: None,
            properties: Vec::new(),
            components: Vec::new(),
        };
        for (name, kind) in [
            ("HPE 800W Flex Slot Power Supply", ComponentKind::Psu),
            ("iDRAC9", ComponentKind::Bmc),
            ("DS224C disk shelf", ComponentKind::Enclosure),
            ("RAID controller", ComponentKind::Controller),
            ("1.92TB SAS SSD", ComponentKind::Drive),
            ("Nexus 3232C switch", ComponentKind::Switch),
            ("VO1920JFDGV", ComponentKind::Other),
        ] {
            assert_eq!(c(name).subject(), Ok(Subject::Part(kind)), "{name}");
        }
        let mut named = c("VO1920JFDGV");
        named.properties.push(Property {
            name: "firmwatch:kind".into(),
            value: Some("drive".into()),
        });
        assert_eq!(named.subject(), Ok(Subject::Part(ComponentKind::Drive)));
    }
}
