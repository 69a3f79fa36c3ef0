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

// --- The commands: `inventory import`, `inventory drift`, `exposure` on discovered data ---------

use crate::support::fixture::Fixture;
use crate::support::project;

/// The CSV of `arr` an operator exports: the controllers by serial, the eight drives of `ssd`
/// (two on HPD7), and the system's own firmware.
const CSV: &str = "\
system,id,kind,vendor,model,firmware,serial,power_on_hours,read_on,booted
arr,,system,Dell EMC,Unity 480F,5.1.2.0.5.007,,,,
arr,SP A,controller,Dell EMC,Unity 480F,5.1.2.0.5.007,CKM-A,,,2026-11-02T03:00:00Z
arr,SP B,controller,Dell EMC,Unity 480F,5.1.2.0.5.007,CKM-B,,,
arr,d0,drive,HPE,VO1920JFDGV,HPD8,SN0,20000,2026-11-01,
arr,d1,drive,HPE,VO1920JFDGV,HPD8,SN1,20000,2026-11-01,
arr,d2,drive,HPE,VO1920JFDGV,HPD8,SN2,20000,2026-11-01,
arr,d3,drive,HPE,VO1920JFDGV,HPD8,SN3,20000,2026-11-01,
arr,d4,drive,HPE,VO1920JFDGV,HPD8,SN4,20000,2026-11-01,
arr,d5,drive,HPE,VO1920JFDGV,HPD8,SN5,20000,2026-11-01,
arr,d6,drive,HPE,VO1920JFDGV,HPD7,SN6,20000,2026-11-01,
arr,d7,drive,HPE,VO1920JFDGV,HPD7,SN7,20000,2026-11-01,
";

fn fixture() -> Fixture {
    let fx = Fixture::new();
    fx.inventory_file("estate.toml", ESTATE);
    fx
}

#[test]
fn a_csv_import_is_merged_and_drift_shows_what_differs() {
    let fx = fixture();
    let csv = fx.file("estate.csv", CSV);
    let run = fx
        .fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .run();
    run.expect(0);
    assert!(
        run.stdout().contains("imported 10 part(s) of system arr"),
        "{}",
        run.show()
    );
    let snap = Snapshot::read(&Snapshot::path(&fx.inventory(), "arr")).unwrap();
    assert_eq!(snap.source, SourceKind::Csv);
    assert_eq!(snap.endpoint, csv.display().to_string());
    assert_eq!(snap.components[1].location, format!("{}:4", csv.display()));

    let check = fx.fw().run_with(&["inventory", "check"]);
    check.expect(0);
    assert!(
        check
            .stdout()
            .contains("discovered data merged for 1 system(s), 2 difference(s)"),
        "{}",
        check.show()
    );

    let table = fx.fw().run_with(&["inventory", "drift"]);
    table.expect(3);
    let shown = table.stdout();
    for words in [
        "│ arr    ┆ csv",
        "fresh",
        "set-split",
        "firmware-differs",
        "ssd~HPD7",
        "1 system(s) with discovered data: 2 difference(s), 0 stale, 0 older than 7d",
    ] {
        assert!(shown.contains(words), "{words}: {}", table.show());
    }

    let json = fx.fw().run_with(&["inventory", "drift", "--json"]);
    let v = json.expect(3).json();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["max_age_hours"], 168);
    let sys = &v["systems"][0];
    assert_eq!(
        (sys["system"].as_str(), sys["source"].as_str()),
        (Some("arr"), Some("csv"))
    );
    assert_eq!(sys["too_old"], false);
    let drift = sys["drift"].as_array().unwrap();
    let split = drift.iter().find(|d| d["code"] == "set-split").unwrap();
    assert_eq!(split["written"], "8 × HPD8");
    assert_eq!(split["discovered"], "6 × HPD8, 2 × HPD7");
    let fw = drift
        .iter()
        .find(|d| d["code"] == "firmware-differs")
        .unwrap();
    assert_eq!(
        (
            fw["component"].as_str(),
            fw["count"].as_u64(),
            fw["parts"].as_array().map(Vec::len)
        ),
        (Some("ssd~HPD7"), Some(2), Some(2))
    );
}

#[test]
fn drift_exits_0_when_discovery_agrees_with_the_files_and_3_when_data_is_old() {
    let fx = fixture();
    let agree: String = CSV.replace("HPD7", "HPD8");
    let csv = fx.file("agree.csv", agree);
    fx.fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .run()
        .expect(0);
    let run = fx.fw().run_with(&["inventory", "drift"]);
    run.expect(0);
    assert!(
        run.stdout()
            .contains("0 difference(s), 0 stale, 0 older than 7d"),
        "{}",
        run.show()
    );
    // The same facts read three weeks ago: too old for the default, not for 30 days.
    fx.fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .args(["--read-at", "2020-01-01T00:00:00Z"])
        .run()
        .expect(0);
    let old = fx.fw().run_with(&["inventory", "drift", "--json"]);
    let v = old.expect(3).json();
    assert_eq!(
        (v["too_old"].as_u64(), v["drift"].as_u64()),
        (Some(1), Some(0))
    );
    fx.fw()
        .run_with(&["inventory", "drift", "--max-age", "10000d"])
        .expect(0);
}

#[test]
fn a_bad_csv_names_file_line_and_column_and_writes_nothing() {
    let fx = fixture();
    let bad = CSV
        .replace("arr,d3,drive", "arr,d3,dirve")
        .replace("SN5,20000,2026-11-01", "SN5,lots,2026-11-01");
    let csv = fx.file("estate.csv", bad);
    let run = fx
        .fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .run();
    run.expect(1);
    let err = run.stderr();
    let name = csv.display().to_string();
    assert!(
        err.contains(&format!(
            "error: {name}:8: column `kind`: unknown kind `dirve`"
        )),
        "{}",
        run.show()
    );
    assert!(
        err.contains(&format!(
            "error: {name}:10: column `power_on_hours`: `lots` is not a whole number"
        )),
        "{}",
        run.show()
    );
    assert!(err.contains("2 problems in"), "{}", run.show());
    assert!(
        !fx.inventory().join("discovered").exists(),
        "nothing written"
    );

    // Rows that parse but name a system no file defines: the inventory check refuses them.
    let csv = fx.file("other.csv", "system,id,kind,firmware\nnas,d0,drive,X\n");
    let run = fx
        .fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .run();
    run.expect(1);
    assert!(
        run.stderr().contains("error[discovered-unknown-system]"),
        "{}",
        run.show()
    );
    assert!(
        run.stderr().contains("nothing was imported"),
        "{}",
        run.show()
    );
    assert!(
        !fx.inventory().join("discovered").exists(),
        "nothing written"
    );
}

#[test]
fn a_cyclonedx_import_is_merged() {
    let fx = fixture();
    let bom = project().join("tests/fixtures/cyclonedx/array-1.6.json");
    let run = fx
        .fw()
        .arg("inventory")
        .arg("import")
        .arg("--cyclonedx")
        .arg(&bom)
        .args(["--system", "arr"])
        .run();
    run.expect(0);
    let snap = Snapshot::read(&Snapshot::path(&fx.inventory(), "arr")).unwrap();
    assert_eq!(snap.source, SourceKind::Cyclonedx);
    assert_eq!(
        snap.read_at,
        at("2026-11-28T09:30:00Z"),
        "the BOM's timestamp"
    );
    let inv = load_path(&fx.inventory()).unwrap();
    let arr = &inv.systems["arr"];
    assert_eq!(arr.firmware.raw(), "5.1.2.0.5.009", "the system's OS");
    assert_eq!(
        arr.component("spa").unwrap().firmware.raw(),
        "5.1.2.0.5.009"
    );
    // One drive of the set seen, on HPD7: the other seven keep the written HPD8.
    assert_eq!(arr.component("ssd").unwrap().count, 7);
    assert_eq!(arr.component("ssd~HPD7").unwrap().count, 1);
    // --system is needed with --cyclonedx (usage error).
    fx.fw()
        .arg("inventory")
        .arg("import")
        .arg("--cyclonedx")
        .arg(&bom)
        .run()
        .expect(2);
}

/// The HPE bulletin of the bundled feed (SSDs before HPD8 fail at 32,768 hours) as the only
/// advisory of a feed.
fn hpe_feed(fx: &Fixture) {
    fx.feed(
        "hpe",
        "id = \"hpe\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    );
    let text =
        std::fs::read_to_string(project().join("feeds/native/fwn-2019-0032768.toml")).unwrap();
    fx.file("feeds/native/fwn-2019-0032768.toml", text);
}

fn finding_ids(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_finding_that_exists_only_because_of_the_discovered_firmware() {
    let fx = fixture();
    hpe_feed(&fx);
    // As written, every drive runs the fixed HPD8: nothing to report.
    let before = fx.fw().run_with(&["exposure", "--format", "json"]);
    let v = before.expect(0).json();
    assert!(finding_ids(&v).is_empty(), "{}", before.show());

    // The CMDB export says two drives were swapped for spares on the old HPD7.
    let csv = fx.file("estate.csv", CSV);
    fx.fw()
        .arg("inventory")
        .arg("import")
        .arg("--csv")
        .arg(&csv)
        .run()
        .expect(0);
    let after = fx
        .fw()
        .run_with(&["exposure", "--format", "json", "--no-sync"]);
    let v = after.expect(0).json();
    assert_eq!(
        finding_ids(&v),
        ["FWN-2019-0032768@arr"],
        "{}",
        after.show()
    );
    let f = &v["findings"][0];
    assert_eq!(f["state"], "confirmed");
    assert_eq!(f["part_count"], 2);
    assert_eq!(f["parts"][0]["subject"], "arr/ssd~HPD7");
    assert_eq!(f["parts"][0]["firmware"], "HPD7");
}

#[test]
fn every_rating_command_warns_when_discovered_data_is_old_or_stale() {
    let fx = fixture();
    hpe_feed(&fx);
    let mut snap = snapshot((0..8).map(|k| drive(k, "HPD8")).collect());
    snap.read_at = at("2026-01-01T00:00:00Z");
    snap.write(&Snapshot::path(&fx.inventory(), "arr")).unwrap();
    let run = fx.fw().run_with(&["exposure", "--format", "json"]);
    let v = run.expect(0).json();
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let old: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.starts_with("discovered data of system arr is "))
        .collect();
    assert_eq!(old.len(), 1, "{warnings:?}");
    assert!(
        old[0].contains("(redfish, read 2026-01-01 00:00 UTC,"),
        "{old:?}"
    );
    assert!(old[0].ends_with("older than 7d"), "{old:?}");
    // check-update and notify rate on the same data and say so too.
    let check = fx.fw().run_with(&[
        "check-update",
        "--no-sync",
        "--system",
        "arr",
        "--to",
        "9.9",
        "--format",
        "json",
    ]);
    assert!(
        check.all().contains("discovered data of system arr is "),
        "{}",
        check.show()
    );
    let notify = fx.fw().run_with(&["notify", "--no-sync", "--dry-run"]);
    assert!(
        notify.all().contains("discovered data of system arr is "),
        "{}",
        notify.show()
    );
    // The table shows it where it shows stale feeds.
    let table = fx.fw().run_with(&["exposure", "--no-sync"]);
    assert!(
        table
            .expect(0)
            .stdout()
            .contains("discovered data of system arr is "),
        "{}",
        table.show()
    );
    // A longer limit: no warning; a failed refresh: a warning whatever the age.
    let quiet = fx.fw().run_with(&[
        "exposure",
        "--format",
        "json",
        "--no-sync",
        "--max-discovered-age",
        "5000d",
    ]);
    assert!(
        !quiet
            .expect(0)
            .stdout()
            .contains("discovered data of system"),
        "{}",
        quiet.show()
    );
    firmwatch::discover::snapshot::mark_stale(
        &Snapshot::path(&fx.inventory(), "arr"),
        at("2026-01-02T00:00:00Z"),
        "HTTP 503 from the BMC",
    )
    .unwrap();
    let stale = fx.fw().run_with(&[
        "exposure",
        "--format",
        "json",
        "--no-sync",
        "--max-discovered-age",
        "5000d",
    ]);
    assert!(
        stale.expect(0).stdout().contains(
            "discovery of system arr has failed since 2026-01-02 00:00 UTC (HTTP 503 from the BMC)"
        ),
        "{}",
        stale.show()
    );
}
