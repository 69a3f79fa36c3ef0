//! `firmwatch discover` as an operator runs it: one file per endpoint under
//! `<inventory>/discovered/`, a failed endpoint keeping its last good file (marked stale, with the
//! URL and reason) while the others are written, exit 0 / 5 / 1, `--system`, `--json`, `--help`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;

use super::{corpus_tree, RedfishMock, Route, Setup, Tree};
use crate::support::cmd::Fw;

fn inventory(dir: &Path, systems: &[(&str, String)]) {
    let mut text = String::from("[[owners]]\nid = \"ops\"\nemail = \"ops@example.net\"\n");
    for (id, discover) in systems {
        text.push_str(&format!(
            "\n[[systems]]\nid = \"{id}\"\nvendor = \"Contoso\"\nmodel = \"3500\"\nowner = \"ops\"\nfirmware = \"1.0\"\n[systems.discover]\n{discover}\n"
        ));
    }
    std::fs::write(dir.join("estate.toml"), text).unwrap();
}

fn snapshot(dir: &Path, system: &str) -> Value {
    let p = dir.join("discovered").join(format!("{system}.json"));
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

#[test]
fn a_failed_endpoint_keeps_its_last_good_file_marked_stale_and_the_others_are_written() {
    let (Some(rack), Some(local)) = (
        corpus_tree("dmtf-public-rackmount1"),
        corpus_tree("dmtf-public-localstorage"),
    ) else {
        return;
    };
    let a = RedfishMock::start(Setup::new(Tree::load(&rack)));
    // B answers until told to fail: then its root is a 500.
    let failing = Arc::new(AtomicBool::new(false));
    let flag = failing.clone();
    let root = std::fs::read(local.join("index.json")).unwrap();
    let b = RedfishMock::start(Setup::new(Tree::load(&local)).route(
        "/redfish/v1",
        Route::Compute(Arc::new(move |_q: &str| {
            if flag.load(Ordering::SeqCst) {
                (500, b"{}".to_vec())
            } else {
                (200, root.clone())
            }
        })),
    ));
    let dir = tempfile::tempdir().unwrap();
    inventory(
        dir.path(),
        &[
            ("arr-a", format!("redfish = \"{}\"", a.root())),
            ("arr-b", format!("redfish = \"{}\"", b.root())),
        ],
    );
    let fw = Fw::new().inventory(dir.path()).arg("discover");
    let first = fw.run();
    first.expect(0);
    let out = first.stdout();
    assert!(out.contains("arr-a") && out.contains("arr-b"), "{out}");
    assert_eq!(out.matches("┆ ok ").count(), 2, "{out}");
    let b_before = snapshot(dir.path(), "arr-b");
    assert_eq!(b_before["components"].as_array().unwrap().len(), 8);
    assert!(b_before.get("stale").is_none());

    failing.store(true, Ordering::SeqCst);
    let second = fw.run_with(&["--json"]);
    second.expect(5);
    let report = second.json();
    assert_eq!(report["schema_version"], 1);
    let rows = report["endpoints"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["system"], "arr-a");
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["parts"], 4);
    assert_eq!(rows[1]["status"], "failed");
    let error = rows[1]["error"].as_str().unwrap();
    assert!(
        error.contains(&b.root()) && error.contains("HTTP 500"),
        "{error}"
    );
    assert!(rows[1]["file"].as_str().unwrap().ends_with("arr-b.json"));
    // B's file: the same facts and parts, now stale since this run, saying why.
    let b_after = snapshot(dir.path(), "arr-b");
    for key in ["components", "facts", "raid_groups", "read_at"] {
        assert_eq!(b_after[key], b_before[key], "{key}");
    }
    assert_eq!(b_after["stale"]["error"].as_str(), Some(error));
    // A was written again, fresh.
    assert!(snapshot(dir.path(), "arr-a").get("stale").is_none());
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("discovered"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // The table says the same; `--system` walks one.
    let third = fw.run();
    third.expect(5);
    assert!(
        third
            .stdout()
            .contains("FAILED, previous file kept (stale)"),
        "{}",
        third.show()
    );
    let only = fw.run_with(&["--system", "arr-a"]);
    only.expect(0);
    assert!(!only.stdout().contains("arr-b"), "{}", only.show());
}

#[test]
fn an_unset_credential_variable_fails_that_endpoint_alone() {
    let Some(rack) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let a = RedfishMock::start(Setup::new(Tree::load(&rack)));
    let dir = tempfile::tempdir().unwrap();
    inventory(
        dir.path(),
        &[
            ("arr-a", format!("redfish = \"{}\"", a.root())),
            (
                "arr-c",
                format!(
                    "redfish = \"{}\"\nuser_env = \"FW_TEST_UNSET_USER\"\npassword_env = \"FW_TEST_UNSET_PASS\"",
                    a.root()
                ),
            ),
        ],
    );
    let run = Fw::new()
        .inventory(dir.path())
        .args(["discover", "--json"])
        .run();
    run.expect(5);
    let report = run.json();
    let c = &report["endpoints"][1];
    assert_eq!(c["status"], "failed");
    assert!(
        c["error"]
            .as_str()
            .unwrap()
            .contains("environment variable FW_TEST_UNSET_USER is not set"),
        "{c}"
    );
    assert_eq!(c["file"], Value::Null, "no earlier file to keep");
    assert!(dir.path().join("discovered/arr-a.json").is_file());
    assert!(!dir.path().join("discovered/arr-c.json").exists());
}

#[test]
fn usage_errors_and_help() {
    let dir = tempfile::tempdir().unwrap();
    inventory(dir.path(), &[]);
    std::fs::write(
        dir.path().join("estate.toml"),
        "[[owners]]\nid = \"ops\"\nemail = \"o@example.net\"\n[[systems]]\nid = \"x\"\nvendor = \"V\"\nmodel = \"M\"\nowner = \"ops\"\nfirmware = \"1\"\n",
    )
    .unwrap();
    let fw = Fw::new().inventory(dir.path()).arg("discover");
    let none = fw.run();
    none.expect(1);
    assert!(
        none.stderr().contains("has a [systems.discover] source"),
        "{}",
        none.show()
    );
    let unknown = fw.run_with(&["--system", "nope"]);
    unknown.expect(1);
    assert!(
        unknown.stderr().contains("no system `nope`"),
        "{}",
        unknown.show()
    );
    let help = Fw::new().args(["discover", "--help"]).run();
    help.expect(0);
    let text = help.stdout();
    for needle in [
        "Redfish",
        "discovered/<system>.json",
        "--jobs",
        "--deadline",
        "stale",
        "never printed",
    ] {
        assert!(text.contains(needle), "`{needle}` in:\n{text}");
    }
}
