//! Numbers from advisories and inventories are untrusted: a power-on-hours threshold of 10^14 (a
//! typo, or a hostile document) must neither panic a command nor be rated as if it gave a date.

use std::path::Path;

use crate::support::fixture::Fixture;
use crate::support::project;

/// The bundled feeds and the example estate, with the 32,768-hour SSD bug's threshold replaced.
fn estate_with_threshold(hours: &str) -> Fixture {
    let fx = Fixture::new();
    let root = project();
    for dir in ["feeds", "feeds/native", "inventory"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.replace(
                    "\"power-on-hours 32768\"",
                    &format!("\"power-on-hours {hours}\""),
                );
                fx.file(Path::new(dir).join(path.file_name().unwrap()), text);
            }
        }
    }
    // The bundled CSAF snapshot is left out: the native notes are what this is about.
    std::fs::remove_file(fx.feeds().join("bundled-csaf.toml")).unwrap();
    fx
}

#[test]
fn a_threshold_beyond_any_calendar_is_an_unknown_finding_in_every_command() {
    let fx = estate_with_threshold("100000000000000");
    let fw = fx.fw();
    let json = fw.run_with(&["exposure", "--today", "2026-12-05", "--format", "json"]);
    assert_eq!(json.code(), Some(0), "{}", json.show());
    let report: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "FWN-2019-0032768@subscriber-db-1")
        .expect("the finding is listed, not dropped");
    assert_eq!(finding["state"], "unknown", "{finding}");
    let reasons = finding["rating"]["reasons"].to_string();
    assert!(reasons.contains("gives no calendar date"), "{reasons}");

    for args in [
        &["notify", "--dry-run", "--no-sync", "--today", "2026-12-05"][..],
        &[
            "check-update",
            "--no-sync",
            "--today",
            "2026-12-05",
            "--system",
            "subscriber-db-1",
            "--to",
            "2.72",
        ],
    ] {
        let out = fw.run_with(args);
        assert_ne!(out.code(), Some(101), "{args:?} panicked: {}", out.show());
        assert!(
            !out.stderr().contains("panicked"),
            "{args:?}: {}",
            out.show()
        );
    }
}
