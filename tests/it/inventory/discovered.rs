//! Discovered snapshots (`<inventory>/discovered/*.json`) in the loader: merged into the
//! hand-written systems (a split set keeps its groups and services), and bad snapshots reported
//! with their file while nothing loads.

use std::path::Path;

use chrono::{DateTime, Utc};
use firmwatch::discover::merge::DriftCode;
use firmwatch::discover::snapshot::{Hours, Part, Snapshot, SourceKind};
use firmwatch::inventory::{load_path, ComponentRef, Diagnostics, InventoryCode, LoadError};
use firmwatch::model::ComponentKind;

/// One array with a controller pair (serials written), a set of 8 drives in a RAID group, and a
/// service on that set.
pub const ESTATE: &str = r#"
[[owners]]
id = "ops"
email = "ops@example.net"

[[systems]]
id = "arr"
vendor = "Dell EMC"
model = "Unity 480F"
owner = "ops"
firmware = "5.1.2.0.5.007"

[[systems.components]]
id = "spa"
kind = "controller"
model = "Unity 480F"
firmware = "5.1.2.0.5.007"
serial = "CKM-A"

[[systems.components]]
id = "spb"
kind = "controller"
model = "Unity 480F"
firmware = "5.1.2.0.5.007"
serial = "CKM-B"

[[systems.components]]
id = "ssd"
kind = "drive"
vendor = "HPE"
model = "VO1920JFDGV"
firmware = "HPD8"
count = 8

[[groups]]
id = "arr-rg"
kind = "raid-group"
tolerance = 1
members = ["arr/ssd"]

[[services]]
id = "mail"
owner = "ops"
users = 1000
criticality = "high"
depends_on = ["arr/ssd"]
"#;

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn drive(k: usize, firmware: &str) -> Part {
    Part {
        id: format!("drive-{k}"),
        kind: ComponentKind::Drive,
        vendor: Some("HPE".into()),
        model: Some("VO1920JFDGV".into()),
        firmware: Some(firmware.into()),
        serial: Some(format!("SN{k:04}")),
        power_on_hours: Some(Hours {
            hours: 20_000,
            read_at: at("2026-11-01T00:00:00Z"),
        }),
        booted: None,
        location: format!("/redfish/v1/Chassis/1/Drives/{k}"),
    }
}

/// A snapshot of `arr` read on 2026-11-01 with `parts`.
pub fn snapshot(parts: Vec<Part>) -> Snapshot {
    let mut s = Snapshot::new(
        "arr",
        SourceKind::Redfish,
        "https://arr-bmc.example.net/redfish/v1",
        at("2026-11-01T00:00:00Z"),
    );
    s.components = parts;
    s
}

/// An inventory directory with [`ESTATE`].
pub fn estate_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("estate.toml"), ESTATE).unwrap();
    dir
}

fn problems(dir: &Path) -> Diagnostics {
    match load_path(dir) {
        Ok(_) => panic!("expected problems"),
        Err(LoadError::Invalid(r)) => *r,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn normalize(dir: &Path, s: &str) -> String {
    s.replace(&dir.display().to_string(), "<inventory>")
}

#[test]
fn a_snapshot_merges_and_a_split_set_keeps_its_group_and_service() {
    let dir = estate_dir();
    let mut parts: Vec<Part> = (0..6).map(|k| drive(k, "HPD8")).collect();
    parts.extend((6..8).map(|k| drive(k, "HPD7")));
    let mut spb = drive(9, "5.1.2.0.5.009");
    (spb.id, spb.kind, spb.model, spb.serial) = (
        "sp-b".into(),
        ComponentKind::Controller,
        Some("Unity 480F".into()),
        Some("ckm-b".into()),
    );
    parts.push(spb);
    snapshot(parts)
        .write(&Snapshot::path(dir.path(), "arr"))
        .unwrap();
    let inv = load_path(dir.path()).unwrap_or_else(|e| match e {
        LoadError::Invalid(r) => panic!("{}", r.render_plain()),
        e => panic!("{e}"),
    });
    let arr = &inv.systems["arr"];
    let ssd = arr.component("ssd").unwrap();
    assert_eq!((ssd.firmware.raw(), ssd.count), ("HPD8", 6));
    let old = arr.component("ssd~HPD7").unwrap();
    assert_eq!((old.firmware.raw(), old.count), ("HPD7", 2));
    assert_eq!(old.power_on_hours.unwrap().hours, 20_000);
    // Tied by serial (ignoring case), not by id.
    let spb = arr.component("spb").unwrap();
    assert_eq!(
        (spb.firmware.raw(), spb.serial.as_deref()),
        ("5.1.2.0.5.009", Some("ckm-b"))
    );
    assert_eq!(arr.components.len(), 4, "nothing added");
    // The RAID group and the service name both entries: 8 drives, as written.
    let split: ComponentRef = "arr/ssd~HPD7".parse().unwrap();
    let rg = &inv.groups["arr-rg"];
    assert!(rg.members.contains(&split), "{:?}", rg.members);
    assert_eq!(rg.members.len(), 2);
    assert!(inv.services["mail"].depends_on.contains(&split));
    let d = &inv.discovered["arr"];
    assert_eq!(d.source, SourceKind::Redfish);
    assert!(d.file.ends_with("discovered/arr.json"), "{}", d.file);
    let codes: Vec<DriftCode> = d.drift.iter().map(|x| x.code).collect();
    assert!(codes.contains(&DriftCode::SetSplit), "{codes:?}");
    assert!(codes.contains(&DriftCode::NotReported), "spa: {codes:?}");
}

#[test]
fn a_directory_without_snapshots_has_no_discovered_data() {
    let dir = estate_dir();
    let inv = load_path(dir.path()).unwrap();
    assert!(inv.discovered.is_empty());
    assert_eq!(inv.systems["arr"].component("ssd").unwrap().count, 8);
    // Only `discovered/*.json` is read there: other files (a temporary file of an interrupted
    // write, notes) are not.
    let disc = dir.path().join("discovered");
    std::fs::create_dir(&disc).unwrap();
    std::fs::write(disc.join(".arr.json.123.tmp"), "{").unwrap();
    std::fs::write(disc.join("README.txt"), "machine-owned").unwrap();
    assert!(load_path(dir.path()).unwrap().discovered.is_empty());
}

#[test]
fn snapshots_that_do_not_parse_are_reported_with_their_file_and_nothing_loads() {
    let dir = estate_dir();
    let disc = dir.path().join("discovered");
    std::fs::create_dir(&disc).unwrap();
    std::fs::write(
        disc.join("arr.json"),
        "{\"firmwatch_discovered\": 1,\n  \"system\": ",
    )
    .unwrap();
    let mut future = snapshot(Vec::new());
    future.firmwatch_discovered = 2;
    future.system = "other".into();
    let text = serde_json::to_string_pretty(&future).unwrap();
    std::fs::write(disc.join("other.json"), text).unwrap();
    let r = problems(dir.path());
    let codes: Vec<InventoryCode> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [InventoryCode::ParseError, InventoryCode::ParseError]
    );
    let shown = normalize(dir.path(), &r.render_plain());
    assert!(
        shown.contains("<inventory>/discovered/arr.json:2:"),
        "{shown}"
    );
    assert!(
        shown.contains("snapshot layout 2; this build reads layout 1"),
        "{shown}"
    );
    assert!(
        shown.contains("at <inventory>/discovered/other.json: firmwatch_discovered"),
        "{shown}"
    );
}

#[test]
fn diagnostic_discovered_unknown_system() {
    let dir = estate_dir();
    let mut s = snapshot(vec![drive(0, "HPD8")]);
    s.system = "ARR".into();
    s.write(&Snapshot::path(dir.path(), "ARR-copy")).unwrap();
    // Reported together with a problem of a merged value: a reading beyond any lifetime.
    let mut bad = snapshot(vec![drive(0, "HPD8")]);
    bad.components[0].power_on_hours = Some(Hours {
        hours: 100_000_000,
        read_at: at("2026-11-01T00:00:00Z"),
    });
    bad.write(&Snapshot::path(dir.path(), "arr")).unwrap();
    let r = problems(dir.path());
    let codes: Vec<InventoryCode> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            InventoryCode::DiscoveredUnknownSystem,
            InventoryCode::InvalidValue
        ],
        "{}",
        r.render_plain()
    );
    insta::assert_snapshot!(
        "discovered_unknown_system",
        normalize(dir.path(), &r.render_plain())
    );
}

#[test]
fn a_discovered_firmware_that_does_not_parse_is_shown_in_its_snapshot() {
    let dir = estate_dir();
    let mut spa = drive(0, "five");
    (spa.id, spa.kind, spa.model, spa.serial) = (
        "spa".into(),
        ComponentKind::Controller,
        Some("Unity 480F".into()),
        None,
    );
    snapshot(vec![spa])
        .write(&Snapshot::path(dir.path(), "arr"))
        .unwrap();
    let r = problems(dir.path());
    assert_eq!(r.diagnostics.len(), 1, "{}", r.render_plain());
    assert_eq!(r.diagnostics[0].code, InventoryCode::BadFirmware);
    let shown = normalize(dir.path(), &r.render_plain());
    assert!(
        shown.contains("at <inventory>/discovered/arr.json: components[0].firmware"),
        "{shown}"
    );
    assert!(
        shown.contains("reported at /redfish/v1/Chassis/1/Drives/0"),
        "{shown}"
    );
}

#[test]
fn diagnostic_discovered_ambiguous() {
    let dir = tempfile::tempdir().unwrap();
    let two_sets = ESTATE.replace(
        "[[groups]]",
        "[[systems.components]]\nid = \"ssd2\"\nkind = \"drive\"\nvendor = \"HPE\"\nmodel = \"VO1920JFDGV\"\nfirmware = \"HPD8\"\ncount = 8\n\n[[groups]]",
    );
    std::fs::write(dir.path().join("estate.toml"), two_sets).unwrap();
    let mut parts: Vec<Part> = (0..15).map(|k| drive(k, "HPD8")).collect();
    parts.push(drive(15, "HPD7"));
    snapshot(parts)
        .write(&Snapshot::path(dir.path(), "arr"))
        .unwrap();
    let r = problems(dir.path());
    let codes: Vec<InventoryCode> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [InventoryCode::DiscoveredAmbiguous]);
    insta::assert_snapshot!(
        "discovered_ambiguous",
        normalize(dir.path(), &r.render_plain())
    );
}
