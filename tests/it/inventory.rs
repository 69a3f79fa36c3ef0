//! Inventory loading: the example estate, every diagnostic (rendered text snapshots), references
//! across files and formats, all-or-nothing loading, and a 10,000-entry generated estate.

mod discovered;

use crate::inventory_gen;
use crate::support::cmd::Fw;
use crate::support::project;

use std::path::{Path, PathBuf};

use firmwatch::inventory::{
    load_path, load_sources, BackupKind, Diagnostics, GroupKind, Inventory, InventoryCode,
    LoadError,
};
use firmwatch::model::ComponentKind;

fn manifest() -> PathBuf {
    project().to_path_buf()
}

fn fixture(name: &str) -> PathBuf {
    manifest().join("tests/fixtures/inventory").join(name)
}

/// A minimal valid base most cases add to.
const OWNERS: &str = r#"
[[owners]]
id = "ops"
email = "ops@example.net"
"#;

fn report(sources: &[(&str, &str)]) -> Diagnostics {
    match load_sources(sources) {
        Ok(inv) => panic!("expected problems, loaded {} systems", inv.systems.len()),
        Err(LoadError::Invalid(r)) => *r,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn codes(r: &Diagnostics) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

/// Load `text` after the owners file and snapshot the rendered diagnostics; check the one code.
fn check_one(name: &str, text: &str, code: InventoryCode) {
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", text)]);
    assert_eq!(codes(&r), vec![code.as_str()], "{}", r.render_plain());
    insta::assert_snapshot!(name, r.render_plain());
}

fn load_ok(sources: &[(&str, &str)]) -> Inventory {
    match load_sources(sources) {
        Ok(inv) => inv,
        Err(LoadError::Invalid(r)) => panic!("{}", r.render_plain()),
        Err(e) => panic!("{e}"),
    }
}

const UNITY: &str = r#"
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

[[systems.components]]
id = "spb"
kind = "controller"
model = "Unity 480F"
firmware = "5.1.2.0.5.007"

[[systems.components]]
id = "ssd"
kind = "drive"
model = "VO1920JFDGV"
firmware = "HPD7"
count = 8
"#;

fn with_unity(extra: &str) -> String {
    format!("{UNITY}\n{extra}")
}

#[test]
fn example_estate_is_valid_and_models_the_incidents() {
    let inv = load_path(&manifest().join("inventory")).unwrap_or_else(|e| match e {
        LoadError::Invalid(r) => panic!("{}", r.render_plain()),
        e => panic!("{e}"),
    });
    // Values that the bundled native advisories pair with (see the README's example estate).
    let sys = |id: &str| {
        inv.systems
            .get(id)
            .unwrap_or_else(|| panic!("no system {id}"))
    };
    let aff = sys("carrier-aff");
    assert_eq!(
        (aff.vendor.as_str(), aff.firmware.raw()),
        ("NetApp", "9.8P3")
    );
    let dns = inv.services_of(&aff.id).map(|s| s.users).max().unwrap_or(0);
    assert_eq!(dns, 2_200_000);

    let mail = sys("mail-unity");
    assert_eq!(
        mail.settings.get("async-replication-compression"),
        Some(&true)
    );
    let sps = inv
        .groups
        .values()
        .find(|g| g.members.iter().any(|m| m.system == mail.id))
        .unwrap();
    assert_eq!((sps.kind, sps.load), (GroupKind::ControllerPair, Some(0.6)));

    let iaas = sys("iaas-unity");
    assert!(iaas.tenants.len() >= 70);
    let backup = inv.backups_of(&iaas.id).next().unwrap();
    let shared: Vec<_> = inv
        .domains
        .values()
        .filter(|d| {
            d.members.iter().any(|m| m.system == iaas.id)
                && d.members.iter().any(|m| m.system == backup.to)
        })
        .collect();
    assert!(
        !shared.is_empty(),
        "the IaaS backup must share a failure domain"
    );

    let fas = sys("hosting-fas");
    let shelf1 = fas.component("shelf-1").unwrap();
    assert_eq!(
        (shelf1.kind, shelf1.firmware.raw()),
        (ComponentKind::Enclosure, "0230")
    );
    assert!(inv.services.values().any(|s| s.users == 166_803
        && s.depends_on
            .iter()
            .any(|d| d.to_string() == "hosting-fas/shelf-1")));

    let db = sys("subscriber-db-1");
    let ssd = db.component("ssd-data").unwrap();
    assert_eq!(
        (&*ssd.model, ssd.firmware.raw(), ssd.count),
        ("VO1920JFDGV", "HPD7", 8)
    );
    assert_eq!(ssd.power_on_hours.unwrap().hours, 31_500);

    let vpn = sys("vpn-gw-1");
    let psus = vpn
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::Psu)
        .count();
    assert_eq!(psus, 1);
    let breaker = inv
        .domains
        .values()
        .find(|d| d.members.iter().any(|m| m.system == vpn.id))
        .unwrap();
    assert!(breaker.members.len() >= 3);
    assert!(inv.backups.iter().any(|b| b.kind == BackupKind::Replica));
}

#[test]
fn references_work_across_files_and_formats() {
    let inv = match load_path(&fixture("cross-file")) {
        Ok(inv) => inv,
        Err(LoadError::Invalid(r)) => panic!("{}", r.render_plain()),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(inv.systems.len(), 2);
    // The JSON file's group points at components defined in a TOML file, the TOML systems at
    // owners and sites defined in a third.
    let g = &inv.groups["arr-ctl"];
    assert_eq!(g.members.len(), 2);
    let dr = &inv.systems["arr-dr"];
    let nvme = dr.component("nvme").unwrap();
    assert_eq!(nvme.count, 24);
    assert_eq!(
        nvme.power_on_hours.unwrap().read_on.to_string(),
        "2026-09-30"
    );
    assert_eq!(inv.component_count(), 26);
    assert_eq!(inv.backups.len(), 1);
}

#[test]
fn a_broken_file_loads_nothing() {
    let err = load_path(&fixture("broken")).unwrap_err();
    let LoadError::Invalid(r) = err else {
        panic!("expected diagnostics")
    };
    assert_eq!(codes(&r), vec!["unknown-reference"]);
    insta::assert_snapshot!("broken_dir", normalize(&r.render_plain()));
}

/// Fixture paths are absolute; keep snapshots independent of the checkout location.
fn normalize(s: &str) -> String {
    s.replace(&manifest().display().to_string(), "<crate>")
}

#[test]
fn diagnostic_unknown_reference() {
    check_one(
        "unknown_reference",
        &with_unity(
            r#"
[[groups]]
id = "sps"
kind = "controller-pair"
members = ["arr/spa", "arr/spc"]
"#,
        ),
        InventoryCode::UnknownReference,
    );
}

#[test]
fn diagnostic_duplicate_id() {
    let r = report(&[
        ("owners.toml", OWNERS),
        ("a.toml", UNITY),
        ("b.toml", UNITY),
    ]);
    assert_eq!(codes(&r), vec!["duplicate-id"]);
    insta::assert_snapshot!("duplicate_id", r.render_plain());
}

#[test]
fn diagnostic_bad_firmware() {
    check_one(
        "bad_firmware",
        &UNITY.replacen(
            "firmware = \"5.1.2.0.5.007\"",
            "firmware = \"5.1.2 SP1\"",
            1,
        ),
        InventoryCode::BadFirmware,
    );
}

#[test]
fn diagnostic_load_out_of_range() {
    check_one(
        "load_out_of_range",
        &with_unity(
            r#"
[[groups]]
id = "sps"
kind = "controller-pair"
members = ["arr/spa", "arr/spb"]
load = 60
"#,
        ),
        InventoryCode::LoadOutOfRange,
    );
}

#[test]
fn diagnostic_raid_tolerance_too_large() {
    check_one(
        "raid_tolerance_too_large",
        &with_unity(
            r#"
[[groups]]
id = "rg"
kind = "raid-group"
tolerance = 8
members = ["arr/ssd"]
"#,
        ),
        InventoryCode::RaidToleranceTooLarge,
    );
}

#[test]
fn diagnostic_backup_to_itself() {
    check_one(
        "backup_to_itself",
        &with_unity("[[backups]]\nof = \"arr\"\nto = \"arr\"\n"),
        InventoryCode::BackupToItself,
    );
}

#[test]
fn diagnostic_owner_without_channel() {
    check_one(
        "owner_without_channel",
        &format!("[[owners]]\nid = \"nobody\"\nname = \"Nobody in particular\"\n{UNITY}"),
        InventoryCode::OwnerWithoutChannel,
    );
}

#[test]
fn diagnostic_parse_error_unknown_field() {
    check_one(
        "parse_error_unknown_field",
        &UNITY.replacen("owner = \"ops\"", "owner = \"ops\"\nfirmwre = \"5.1\"", 1),
        InventoryCode::ParseError,
    );
}

#[test]
fn diagnostic_parse_error_syntax() {
    check_one(
        "parse_error_syntax",
        "[[systems]\nid = \"arr\"\n",
        InventoryCode::ParseError,
    );
}

#[test]
fn diagnostic_unknown_scheme() {
    check_one(
        "unknown_scheme",
        &UNITY.replacen("owner = \"ops\"", "owner = \"ops\"\nscheme = \"unity\"", 1),
        InventoryCode::UnknownScheme,
    );
}

#[test]
fn diagnostic_raid_tolerance_misplaced() {
    check_one(
        "raid_tolerance_misplaced",
        &with_unity(
            r#"
[[groups]]
id = "sps"
kind = "controller-pair"
tolerance = 1
members = ["arr/spa", "arr/spb"]
"#,
        ),
        InventoryCode::RaidToleranceMisplaced,
    );
}

#[test]
fn diagnostic_bad_group_member() {
    check_one(
        "bad_group_member",
        &with_unity(
            r#"
[[groups]]
id = "rg"
kind = "raid-group"
tolerance = 1
members = ["arr/ssd", "arr/spa"]
"#,
        ),
        InventoryCode::BadGroupMember,
    );
}

#[test]
fn diagnostic_secret_inline() {
    check_one(
        "secret_inline",
        &format!("[[owners]]\nid = \"chat\"\nwebhook = {{ url = \"https://chat.example.net/h\", secret_env = \"xoxb-1234-abcd\" }}\n{UNITY}"),
        InventoryCode::SecretInline,
    );
}

#[test]
fn diagnostic_invalid_value() {
    check_one(
        "invalid_value",
        &UNITY.replacen(
            "count = 8",
            "count = 8\npower_on_hours = { hours = 31500, read_on = \"2026-13-01\" }",
            1,
        ),
        InventoryCode::InvalidValue,
    );
}

#[test]
fn power_on_hours_beyond_a_lifetime_are_rejected_where_they_are_written() {
    let text = UNITY.replacen(
        "count = 8",
        "count = 8\npower_on_hours = { hours = 100000000000000, read_on = \"2026-10-01\" }",
        1,
    );
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", &text)]);
    assert_eq!(codes(&r), ["invalid-value"], "{}", r.render_plain());
    let shown = r.render_plain();
    assert!(
        shown.contains("100000000000000 power-on hours is over 100 years of operation"),
        "{shown}"
    );
    assert!(shown.contains("estate.toml:"), "file and line: {shown}");
    // A lifetime's worth still loads.
    let ok = UNITY.replacen(
        "count = 8",
        "count = 8\npower_on_hours = { hours = 876000, read_on = \"2026-10-01\" }",
        1,
    );
    load_ok(&[("owners.toml", OWNERS), ("estate.toml", &ok)]);
}

#[test]
fn serial_numbers_load_on_single_parts_and_are_refused_on_sets_or_empty() {
    let text = UNITY.replacen(
        "id = \"spa\"",
        "id = \"spa\"\nserial = \" CKM00190100123 \"",
        1,
    );
    let inv = load_ok(&[("owners.toml", OWNERS), ("estate.toml", &text)]);
    let arr = &inv.systems["arr"];
    assert_eq!(
        arr.component("spa").and_then(|c| c.serial.as_deref()),
        Some("CKM00190100123"),
        "kept trimmed"
    );
    assert_eq!(arr.component("spb").and_then(|c| c.serial.as_deref()), None);

    let on_set = UNITY.replacen("count = 8", "count = 8\nserial = \"S1\"", 1);
    let empty = UNITY.replacen("id = \"spb\"", "id = \"spb\"\nserial = \"  \"", 1);
    for (text, words) in [
        (on_set, "names one part, not a set"),
        (empty, "an empty serial number"),
    ] {
        let r = report(&[("owners.toml", OWNERS), ("estate.toml", &text)]);
        assert_eq!(codes(&r), ["invalid-value"], "{}", r.render_plain());
        let shown = r.render_plain();
        assert!(shown.contains(words), "{shown}");
        assert!(shown.contains("estate.toml:"), "file and line: {shown}");
    }
}

/// A path with an inventory file name that cannot be read as one is an error naming it — never
/// skipped (the inventory would silently lose systems) and never read when it would block.
#[test]
fn unreadable_inventory_entries_are_errors_with_their_path() {
    type Make = fn(&Path);
    let cases: [(&str, Make); 4] = [
        ("dangling.toml", |p| {
            std::os::unix::fs::symlink(p.with_file_name("missing.toml"), p).unwrap()
        }),
        ("loop.toml", |p| std::os::unix::fs::symlink(p, p).unwrap()),
        ("folder.toml", |p| std::fs::create_dir(p).unwrap()),
        ("pipe.json", |p| {
            let ok = std::process::Command::new("mkfifo")
                .arg(p)
                .status()
                .unwrap();
            assert!(ok.success());
        }),
    ];
    for (name, make) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("owners.toml"), OWNERS).unwrap();
        let bad = dir.path().join(name);
        make(&bad);
        let err = load_path(dir.path()).expect_err(name);
        let shown = format!("{err:#}");
        assert!(
            shown.contains(&bad.display().to_string()),
            "{name}: the error names the path: {shown}"
        );
        // The entry alone, given as the path, is refused the same way.
        assert!(load_path(&bad).is_err(), "{name}");
    }
}

#[test]
fn every_code_has_a_snapshot_test() {
    // The diagnostic tests above cover these codes; a new code needs a new test.
    let covered = [
        InventoryCode::ParseError,
        InventoryCode::DuplicateId,
        InventoryCode::UnknownReference,
        InventoryCode::BadFirmware,
        InventoryCode::UnknownScheme,
        InventoryCode::LoadOutOfRange,
        InventoryCode::RaidToleranceTooLarge,
        InventoryCode::RaidToleranceMisplaced,
        InventoryCode::BadGroupMember,
        InventoryCode::BackupToItself,
        InventoryCode::OwnerWithoutChannel,
        InventoryCode::SecretInline,
        InventoryCode::InvalidValue,
        // In `discovered.rs`.
        InventoryCode::DiscoveredUnknownSystem,
        InventoryCode::DiscoveredAmbiguous,
    ];
    assert_eq!(covered.len(), InventoryCode::ALL.len());
    for c in InventoryCode::ALL {
        assert!(covered.contains(&c), "{c} has no test");
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = with_unity(
        r#"
[[groups]]
id = "sps"
kind = "controller-pair"
members = ["arr/spa", "ghost/spb"]
load = 1.2

[[backups]]
of = "arr"
to = "arr"
"#,
    )
    .replacen("firmware = \"HPD7\"", "firmware = \"HP D7\"", 1);
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", &text)]);
    let mut got = codes(&r);
    got.sort_unstable();
    assert_eq!(
        got,
        vec![
            "backup-to-itself",
            "bad-firmware",
            "load-out-of-range",
            "unknown-reference"
        ]
    );
    // Sorted by position in the file.
    let starts: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| d.primary.span.clone().unwrap().start)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn json_semantic_errors_name_the_path() {
    let json = r#"{"systems": [{"id": "arr", "vendor": "NetApp", "model": "AFF A400", "owner": "ops",
      "firmware": "9.8P3", "components": [
        {"id": "ctl-a", "kind": "controller", "model": "AFF A400", "firmware": "9.8P3"},
        {"id": "ctl-b", "kind": "controller", "model": "AFF A400", "firmware": "nine-eight"}]}]}"#;
    let r = report(&[("owners.toml", OWNERS), ("cmdb.json", json)]);
    assert_eq!(codes(&r), vec!["bad-firmware"]);
    insta::assert_snapshot!("json_path", r.render_plain());
}

#[test]
fn json_syntax_errors_have_line_and_column() {
    let r = report(&[("cmdb.json", "{\"owners\": [\n  {\"id\": \"ops\",, }\n]}")]);
    assert_eq!(codes(&r), vec!["parse-error"]);
    insta::assert_snapshot!("json_syntax", r.render_plain());
}

#[test]
fn defaults_and_schemes() {
    let inv = load_ok(&[("owners.toml", OWNERS), ("estate.toml", UNITY)]);
    let arr = &inv.systems["arr"];
    // Unity → intdot; drives opaque unless overridden; vendor inherited; name defaults to id.
    assert_eq!(arr.firmware.version.scheme().as_str(), "intdot");
    let ssd = arr.component("ssd").unwrap();
    assert_eq!(ssd.firmware.version.scheme().as_str(), "opaque");
    assert_eq!(&*ssd.vendor, "Dell EMC");
    assert_eq!(arr.name, "arr");
    assert_eq!(arr.component("spa").unwrap().count, 1);
}

#[test]
fn missing_directory_and_empty_directory_are_errors() {
    assert!(matches!(
        load_path(Path::new("/nonexistent/inventory")),
        Err(LoadError::Io { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(load_path(dir.path()), Err(LoadError::NoFiles(_))));
}

#[test]
fn generated_estate_of_10000_entries_loads() {
    let shape = inventory_gen::Shape {
        systems: 40,
        entries_per_system: 250,
    };
    let text = inventory_gen::generate(&shape);
    let inv = load_ok(&[("gen.json", text.as_str())]);
    let entries: usize = inv.systems.values().map(|s| s.components.len()).sum();
    assert_eq!(entries, shape.entries());
    // 40 arrays and two PDUs per rack of 10; each rack a rack domain and two power feeds.
    assert_eq!(inv.systems.len(), 48);
    assert_eq!(inv.domains.len(), 4 * 3);
    assert_eq!(
        inv.domains
            .values()
            .filter(|d| !d.fed_by.is_empty())
            .count(),
        8
    );
    assert_eq!(inv.services.len(), 40);
    assert_eq!(inv.backups.len(), 40);
    // One controller pair plus one RAID group per 12 of the 240 drives, per system.
    assert_eq!(inv.groups.len(), 40 * (1 + 240 / 12));
}

#[test]
fn cli_check_exit_codes() {
    let check = Fw::new().args(["--color", "never", "inventory", "check"]);
    let stdout = check
        .clone()
        .arg(manifest().join("inventory"))
        .run()
        .expect(0)
        .stdout();
    assert!(stdout.contains("valid: 12 systems"), "{stdout}");

    let stderr = check.arg(fixture("broken")).run().expect(1).stderr();
    assert!(stderr.contains("error[unknown-reference]"), "{stderr}");
    assert!(stderr.contains("b-bad.toml:10:6"), "{stderr}");
}

#[test]
fn readme_example_is_valid() {
    let readme = std::fs::read_to_string(manifest().join("README.md")).unwrap();
    let section = readme.split("## Inventory files").nth(1).unwrap();
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let inv = load_ok(&[("README.toml", block)]);
    assert_eq!(inv.systems.len(), 3);
    assert_eq!(inv.groups.len(), 2);
    assert_eq!(inv.domains.values().next().unwrap().fed_by.len(), 1);
}

#[test]
fn large_systems_resolve_references_and_catch_duplicate_components() {
    // More than 16 components: lookups go through the sorted index.
    let mut text = String::from(
        "[[systems]]\nid = \"big\"\nvendor = \"NetApp\"\nmodel = \"FAS8300\"\nowner = \"ops\"\nfirmware = \"9.12.1P2\"\n",
    );
    for k in (0..20).rev() {
        text.push_str(&format!(
            "[[systems.components]]\nid = \"shelf-{k}\"\nkind = \"enclosure\"\nmodel = \"DS224C\"\nfirmware = \"02{k:02}\"\nscheme = \"intdot\"\n"
        ));
    }
    let ok = format!(
        "{text}[[domains]]\nid = \"s\"\nkind = \"enclosure\"\nmembers = [\"big/shelf-0\", \"big/shelf-19\", \"big/shelf-7\"]\n"
    );
    let inv = load_ok(&[("owners.toml", OWNERS), ("big.toml", &ok)]);
    assert_eq!(inv.domains.values().next().unwrap().members.len(), 3);

    let missing = format!(
        "{text}[[domains]]\nid = \"s\"\nkind = \"enclosure\"\nmembers = [\"big/shelf-20\"]\n"
    );
    let r = report(&[("owners.toml", OWNERS), ("big.toml", &missing)]);
    assert_eq!(codes(&r), vec!["unknown-reference"]);

    let dup = text.replacen("id = \"shelf-3\"", "id = \"shelf-11\"", 1);
    let r = report(&[("owners.toml", OWNERS), ("big.toml", &dup)]);
    assert_eq!(codes(&r), vec!["duplicate-id"]);
    assert!(r
        .render_plain()
        .contains("component id `shelf-11` appears twice"));
}

#[test]
fn cli_show_lists_contents_and_dependants() {
    let show = Fw::new().inventory(manifest().join("inventory")).args([
        "--color",
        "never",
        "inventory",
        "show",
    ]);
    let run = |args: &[&str]| show.run_with(args);
    let all = run(&[]);
    all.expect(0);
    let table = all.stdout();
    assert!(table.contains("iaas-unity-backup"), "{table}");

    let one = run(&["hosting-fas"]);
    one.expect(0);
    let text = one.stdout();
    for want in [
        "shelf-1",
        "0230 (intdot)",
        "hosted-mailboxes (high, 166803 users) via hosting-fas/shelf-1",
        "Holds backups of: mail-unity (backup)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    let missing = run(&["no-such-array"]);
    missing.expect(1);
    assert!(missing.stderr().contains("no system `no-such-array`"));
}

#[test]
fn credentials_in_webhook_urls_are_rejected() {
    for url in [
        "https://bot:hunter2@chat.example.net/hook",
        "https://chat.example.net/hook?access_token=abc",
    ] {
        let text = format!("[[owners]]\nid = \"chat\"\nwebhook = {{ url = \"{url}\" }}\n");
        let r = report(&[
            ("owners.toml", OWNERS),
            ("chat.toml", &text),
            ("estate.toml", UNITY),
        ]);
        assert_eq!(codes(&r), vec!["secret-inline"], "{url}");
    }
    // A plain URL with a secret named by environment variable is fine.
    load_ok(&[
        ("owners.toml", OWNERS),
        (
            "chat.toml",
            "[[owners]]\nid = \"chat\"\nwebhook = { url = \"https://chat.example.net/hook?channel=ops\", secret_env = \"HOOK_TOKEN\" }\n",
        ),
        ("estate.toml", UNITY),
    ]);
}

/// The example estate copied into a temporary directory, to break one file of it.
fn example_estate_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&manifest().join("inventory"), dir.path());
    dir
}

/// A file that does not parse defines nothing, so every reference into it would fail too: the
/// syntax errors (of every file) are reported alone, not after a screenful of follow-on
/// `unknown-reference` errors that the fix makes go away.
#[test]
fn syntax_errors_are_reported_alone() {
    let dir = example_estate_copy();
    // site-tokyo.toml defines systems that services.toml depends on.
    let tokyo = dir.path().join("site-tokyo.toml");
    let text = std::fs::read_to_string(&tokyo).unwrap();
    std::fs::write(&tokyo, text.replacen("[[systems]]", "[[systems]", 1)).unwrap();
    std::fs::write(dir.path().join("cmdb.json"), "{\"systems\": [,]}").unwrap();

    let run = Fw::new()
        .args(["--color", "never", "inventory", "check"])
        .arg(dir.path())
        .run();
    run.expect(1);
    let stderr = run.stderr();
    assert_eq!(stderr.matches("error[").count(), 2, "{stderr}");
    assert_eq!(stderr.matches("error[parse-error]").count(), 2, "{stderr}");
    assert!(stderr.contains("site-tokyo.toml:5:10"), "{stderr}");
    assert!(stderr.contains("cmdb.json:1:14"), "{stderr}");
    assert!(stderr.contains("nothing was loaded"), "{stderr}");
}

/// A JSON file must hold an object. serde reads a struct from a JSON array too (its fields in
/// order), so `[]` from a broken export used to load as a file that defines nothing.
#[test]
fn a_json_file_that_is_not_an_object_is_rejected_where_its_value_starts() {
    for (text, kind, at) in [
        ("[]", "an array", "cmdb.json:1:1"),
        ("\n  [{\"owners\": []}]", "an array", "cmdb.json:2:3"),
        ("null", "null", "cmdb.json:1:1"),
        ("42", "a number", "cmdb.json:1:1"),
        ("-1", "a number", "cmdb.json:1:1"),
        ("\"x\"", "a string", "cmdb.json:1:1"),
        ("true", "a boolean", "cmdb.json:1:1"),
    ] {
        let r = report(&[
            ("owners.toml", OWNERS),
            ("estate.toml", UNITY),
            ("cmdb.json", text),
        ]);
        assert_eq!(codes(&r), ["parse-error"], "{text}");
        let shown = r.render_plain();
        assert!(
            shown.contains(&format!(
                "the top level of an inventory file must be an object, not {kind}"
            )),
            "{text}: {shown}"
        );
        assert!(shown.contains(at), "{text}: {shown}");
    }
}

/// An inventory that defines no system at all is an empty export or the wrong path, never an
/// estate to rate: it is refused as a whole. A single file without systems (owners, services) is
/// normal, and `{}` among other files is a file that adds nothing.
#[test]
fn an_inventory_without_systems_is_refused() {
    for sources in [
        vec![("cmdb.json", "{}")],
        vec![("empty.toml", "")],
        vec![("owners.toml", OWNERS), ("cmdb.json", "{}")],
    ] {
        let err = load_sources(&sources).unwrap_err();
        assert!(matches!(err, LoadError::NoSystems { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.contains("the inventory defines no systems"),
            "{shown}"
        );
        for (name, _) in &sources {
            assert!(shown.contains(name), "{shown}");
        }
    }
    let inv = load_ok(&[
        ("owners.toml", OWNERS),
        ("estate.toml", UNITY),
        ("cmdb.json", "{}"),
    ]);
    assert_eq!(inv.systems.len(), 1);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cmdb.json"), "{}").unwrap();
    let run = Fw::new()
        .args(["--color", "never", "inventory", "check"])
        .arg(dir.path())
        .run();
    run.expect(1);
    assert!(
        run.stderr().contains("the inventory defines no systems"),
        "{}",
        run.stderr()
    );
}

/// A power-on-hours reading cannot have been taken after today: a date in the future is a typo
/// (`2062` for `2026`) that would move every threshold date of the part by as much. One day of
/// slack covers a reading taken where the calendar is already on tomorrow.
#[test]
fn readings_dated_in_the_future_are_rejected_where_they_are_written() {
    let today = chrono::Utc::now().date_naive();
    let reading = |days: i64| {
        UNITY.replacen(
            "count = 8",
            &format!(
                "count = 8\npower_on_hours = {{ hours = 31500, read_on = {} }}",
                today + chrono::Duration::days(days)
            ),
            1,
        )
    };
    // Three days ahead: still beyond the slack if the date turns while the test runs.
    let future = today + chrono::Duration::days(3);
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", &reading(3))]);
    assert_eq!(codes(&r), ["invalid-value"], "{}", r.render_plain());
    let shown = r.render_plain();
    assert!(
        shown.contains(&format!("power-on hours read on {future}, after today (")),
        "{shown}"
    );
    assert!(
        shown.contains("estate.toml:27:45"),
        "file and line: {shown}"
    );
    // Tomorrow is within the slack; today and the past are plain readings.
    for days in [1, 0, -400] {
        load_ok(&[("owners.toml", OWNERS), ("estate.toml", &reading(days))]);
    }
}

/// One of every kind of item with an id, for the case tests below (on top of `UNITY`).
const EVERY_KIND: &str = r#"
[[sites]]
id = "dc1"

[[groups]]
id = "sps"
kind = "controller-pair"
members = ["arr/spa", "arr/spb"]

[[domains]]
id = "feed-a"
kind = "power-feed"
members = ["arr"]

[[services]]
id = "mail"
owner = "ops"
criticality = "high"
depends_on = ["arr"]
"#;

/// Ids that differ only in ASCII case name the same thing to people, CMDBs, spreadsheets and
/// case-insensitive file systems: `arr1` and `ARR1` are one array exported twice, or two arrays
/// that reports and notifications would mix up. Each is a `duplicate-id` at the second, naming
/// where the first is.
#[test]
fn ids_differing_only_in_case_are_duplicates() {
    let base = with_unity(EVERY_KIND);
    load_ok(&[("owners.toml", OWNERS), ("estate.toml", &base)]);
    let system = UNITY.replacen("id = \"arr\"", "id = \"ARR\"", 1);
    for (what, first, second, text) in [
        ("owner", "ops", "OPS", "[[owners]]\nid = \"OPS\"\nemail = \"x@example.net\"\n"),
        ("site", "dc1", "DC1", "[[sites]]\nid = \"DC1\"\n"),
        ("system", "arr", "ARR", system.as_str()),
        (
            "group",
            "sps",
            "SPS",
            "[[groups]]\nid = \"SPS\"\nkind = \"multipath\"\nmembers = [\"arr/spa\", \"arr/spb\"]\n",
        ),
        (
            "failure domain",
            "feed-a",
            "Feed-A",
            "[[domains]]\nid = \"Feed-A\"\nkind = \"rack\"\nmembers = [\"arr\"]\n",
        ),
        (
            "service",
            "mail",
            "Mail",
            "[[services]]\nid = \"Mail\"\nowner = \"ops\"\ncriticality = \"low\"\ndepends_on = [\"arr\"]\n",
        ),
    ] {
        let r = report(&[
            ("owners.toml", OWNERS),
            ("estate.toml", &base),
            ("second.toml", text),
        ]);
        assert_eq!(codes(&r), ["duplicate-id"], "{what}: {}", r.render_plain());
        let shown = r.render_plain();
        let message = format!("{what} id `{second}` differs from `{first}` only in case");
        assert!(shown.contains(&message), "{what}: {shown}");
        assert!(shown.contains("second.toml:"), "{what}: {shown}");
        let first_file = if what == "owner" { "owners.toml:" } else { "estate.toml:" };
        assert!(shown.contains(first_file), "{what}, the first: {shown}");
        assert!(
            shown.contains(&format!("│ id = \"{first}\"\n")) && shown.contains("first defined here"),
            "{what}, the first: {shown}"
        );
    }
}

#[test]
fn component_ids_differing_only_in_case_are_duplicates() {
    let text = UNITY.replacen("id = \"spb\"", "id = \"SPA\"", 1);
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", &text)]);
    assert_eq!(codes(&r), ["duplicate-id"], "{}", r.render_plain());
    let shown = r.render_plain();
    assert!(
        shown.contains("component id `SPA` in system `arr` differs from `spa` only in case"),
        "{shown}"
    );
    assert!(shown.contains("estate.toml:16:6"), "the second: {shown}");
    assert!(
        shown.contains("10 │ id = \"spa\"") && shown.contains("first defined here"),
        "the first: {shown}"
    );

    // A large system (looked up through its sorted index), where the two are far apart by
    // byte order: `SHELF-11` sorts before every lowercase id.
    let mut big = String::from(
        "[[systems]]\nid = \"big\"\nvendor = \"NetApp\"\nmodel = \"FAS8300\"\nowner = \"ops\"\nfirmware = \"9.12.1P2\"\n",
    );
    for k in 0..20 {
        let id = if k == 3 {
            "SHELF-11".to_string()
        } else {
            format!("shelf-{k}")
        };
        big.push_str(&format!(
            "[[systems.components]]\nid = \"{id}\"\nkind = \"enclosure\"\nmodel = \"DS224C\"\nfirmware = \"0230\"\nscheme = \"intdot\"\n"
        ));
    }
    let r = report(&[("owners.toml", OWNERS), ("big.toml", &big)]);
    assert_eq!(codes(&r), ["duplicate-id"], "{}", r.render_plain());
    let shown = r.render_plain();
    assert!(
        shown.contains(
            "component id `shelf-11` in system `big` differs from `SHELF-11` only in case"
        ),
        "{shown}"
    );

    // References stay exact: the index, ordered ignoring case, does not resolve another spelling.
    let fixed = big.replacen("SHELF-11", "shelf-3", 1);
    let text = format!(
        "{fixed}[[domains]]\nid = \"s\"\nkind = \"enclosure\"\nmembers = [\"big/shelf-19\", \"big/Shelf-0\"]\n"
    );
    let r = report(&[("owners.toml", OWNERS), ("big.toml", &text)]);
    assert_eq!(codes(&r), ["unknown-reference"], "{}", r.render_plain());
    assert!(r
        .render_plain()
        .contains("system `big` has no component `Shelf-0`"));
}

/// Boot dates (uptime clocks), domains fed by parts, notification channels and cluster groups:
/// read from the files, and diagnosed where they are written.
#[test]
fn boot_dates_feeds_channels_and_clusters_load_and_are_diagnosed_in_place() {
    let good = with_unity(
        r#"
[[systems]]
id = "pdu-a"
vendor = "APC"
model = "AP8959"
owner = "ops"
firmware = "7.0.4"
booted = 2026-03-01T04:10:00+09:00

[[domains]]
id = "feed-a"
kind = "power-feed"
members = ["arr"]
fed_by = ["pdu-a"]

[[groups]]
id = "scale-out"
kind = "cluster"
members = ["arr", "pdu-a"]

[[services]]
id = "relay"
owner = "ops"
criticality = "high"
depends_on = ["arr"]
notification_channel = true
"#,
    )
    .replacen("id = \"spa\"", "id = \"spa\"\nbooted = \"2026-02-14\"", 1);
    let inv = load_ok(&[("owners.toml", OWNERS), ("estate.toml", &good)]);
    let arr = &inv.systems[&"arr".parse::<firmwatch::inventory::SystemId>().unwrap()];
    assert_eq!(
        arr.components[0].booted,
        Some("2026-02-14".parse().unwrap())
    );
    assert_eq!(arr.booted(Some(&arr.components[1])), None);
    let pdu = &inv.systems[&"pdu-a".parse::<firmwatch::inventory::SystemId>().unwrap()];
    // 04:10 in Tokyo is the previous day in UTC.
    assert_eq!(pdu.booted, Some("2026-02-28".parse().unwrap()));
    let feed = inv.domains.values().next().unwrap();
    assert_eq!(feed.fed_by[0].to_string(), "pdu-a");
    assert!(inv.services.values().next().unwrap().notification_channel);
    assert!(matches!(
        inv.groups.values().next().unwrap().kind,
        firmwatch::inventory::GroupKind::Cluster
    ));

    // A boot that is not a date, a boot in the future, a feeder that does not exist.
    let future = chrono::Utc::now().date_naive() + chrono::Duration::days(3);
    let bad = good
        .replacen("booted = \"2026-02-14\"", "booted = \"last tuesday\"", 1)
        .replacen(
            "booted = 2026-03-01T04:10:00+09:00",
            &format!("booted = {future}"),
            1,
        )
        .replacen("fed_by = [\"pdu-a\"]", "fed_by = [\"pdu-z\"]", 1);
    let r = report(&[("owners.toml", OWNERS), ("estate.toml", &bad)]);
    assert_eq!(
        codes(&r),
        ["invalid-value", "invalid-value", "unknown-reference"],
        "{}",
        r.render_plain()
    );
    let shown = r.render_plain();
    assert!(
        shown.contains("`last tuesday` is not a date or timestamp"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("booted on {future}, after today (")),
        "{shown}"
    );
    assert!(
        shown.contains("estate.toml:11:10"),
        "the boot's place: {shown}"
    );
    assert!(
        shown.contains("estate.toml:42:11"),
        "the feeder's place: {shown}"
    );
    assert!(shown.contains("pdu-z"), "{shown}");
}
