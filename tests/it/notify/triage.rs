//! Triage end to end: `firmwatch triage` appends a decision to the operator file, `exposure`
//! closes or reopens the finding with it, and `notify` tells the owner what was decided —
//! `accepted`, never `resolved` — once, and `reopened` when the acceptance expires.

use super::{teams, TODAY};
use crate::support::fixture::Fixture;
use crate::support::http::Server;

fn events(hook: &Server) -> Vec<(String, String)> {
    hook.delivered()
        .iter()
        .flat_map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["event"].as_str().unwrap().to_string(),
                        i["triage"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn annotations(fx: &Fixture) -> String {
    std::fs::read_to_string(fx.path().join("feeds/annotations.toml")).unwrap_or_default()
}

#[test]
fn an_accepted_risk_is_told_as_accepted_once_and_as_reopened_when_it_expires() {
    let hook = Server::receiver(std::time::Duration::ZERO);
    let fx = teams(1, &hook, "t", "TRI-1");
    fx.fw().args(["notify", "--today", TODAY]).run().expect(0);
    assert_eq!(events(&hook), [("new".to_string(), String::new())]);

    // Refused, and nothing written: an accepted risk without an approver, a system not in the
    // inventory.
    let refused = fx
        .fw()
        .args(["triage", "TRI-1@arr-0", "--state", "accepted-risk"])
        .args(["--reason", "spare controller on order", "--by", "kato"])
        .args(["--expires", "2026-12-31"])
        .run();
    refused.expect(1);
    assert!(refused.stderr().contains("approver"), "{}", refused.show());
    let typo = fx
        .fw()
        .args([
            "triage",
            "TRI-1@arr-9",
            "--state",
            "acknowledged",
            "--reason",
            "x",
        ])
        .args(["--by", "kato"])
        .run();
    typo.expect(1);
    assert!(
        typo.stderr().contains("no system `arr-9`"),
        "{}",
        typo.show()
    );
    assert_eq!(annotations(&fx), "", "nothing was written");

    let ok = fx
        .fw()
        .args(["triage", "TRI-1@arr-0", "--state", "accepted-risk"])
        .args(["--reason", "spare controller on order", "--by", "kato"])
        .args(["--approver", "tanaka", "--expires", "2026-12-31"])
        .args(["--today", "2026-11-21"])
        .run();
    ok.expect(0);
    let file = annotations(&fx);
    assert!(
        file.contains("[[triage]]\nfinding = \"TRI-1@arr-0\"\nstate = \"accepted-risk\"")
            && file.contains("on = 2026-11-21\napprover = \"tanaka\"\nexpires = 2026-12-31"),
        "{file}"
    );

    // The finding leaves the open list, kept for audit with the decision.
    let v = fx
        .fw()
        .args(["exposure", "--format", "json", "--today", TODAY])
        .run()
        .json();
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
    assert_eq!(v["triaged"][0]["triage"]["state"], "accepted-risk");

    // Told once, as accepted with who decided and who approved; not as resolved.
    fx.fw().args(["notify", "--today", TODAY]).run().expect(0);
    let told = events(&hook);
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[1].0, "accepted");
    assert!(
        told[1].1.starts_with(
            "accepted-risk by kato on 2026-11-21 (approved by tanaka, until 2026-12-31)"
        ),
        "{told:?}"
    );
    fx.fw().args(["notify", "--today", TODAY]).run().expect(0);
    assert_eq!(events(&hook).len(), 2, "told once");

    // After the expiry the finding is open again, with a warning, and told as reopened.
    let v = fx
        .fw()
        .args(["exposure", "--format", "json", "--today", "2027-01-02"])
        .run()
        .json();
    assert_eq!(v["findings"][0]["id"], "TRI-1@arr-0");
    assert!(
        v["warnings"].to_string().contains("EXPIRED on 2026-12-31"),
        "{}",
        v["warnings"]
    );
    fx.fw()
        .args(["notify", "--today", "2027-01-02"])
        .run()
        .expect(0);
    let told = events(&hook);
    assert_eq!(told.last().unwrap().0, "reopened", "{told:?}");
}

#[test]
fn a_contradicted_mitigation_stays_open_and_an_entry_naming_nothing_warns() {
    let hook = Server::receiver(std::time::Duration::ZERO);
    let fx = teams(1, &hook, "t", "TRI-2");
    // The inventory records the setting the mitigation says was turned off.
    let inv = std::fs::read_to_string(fx.path().join("inventory/estate.toml")).unwrap();
    std::fs::write(
        fx.path().join("inventory/estate.toml"),
        inv.replace(
            "firmware = \"9.8P3\"",
            "firmware = \"9.8P3\"\nsettings = { \"auto-giveback\" = true }",
        ),
    )
    .unwrap();
    for args in [
        vec![
            "TRI-2@arr-0",
            "--state",
            "mitigated",
            "--setting",
            "auto-giveback=false",
        ],
        vec!["TRI-9", "--state", "false-positive"],
    ] {
        fx.fw()
            .arg("triage")
            .args(args)
            .args(["--reason", "per vendor KB", "--by", "kato"])
            .run()
            .expect(0);
    }
    let v = fx
        .fw()
        .args(["exposure", "--format", "json", "--today", TODAY])
        .run()
        .json();
    assert_eq!(v["findings"][0]["id"], "TRI-2@arr-0", "{v:#}");
    assert_eq!(
        v["findings"][0]["triage"]["contradicted"],
        "the inventory says auto-giveback = true on arr-0"
    );
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("but the inventory says auto-giveback = true on arr-0: open again"),
        "{warnings}"
    );
    assert!(
        warnings
            .contains("unused: the triage of `TRI-9` (false-positive by kato) names no finding"),
        "{warnings}"
    );
}
