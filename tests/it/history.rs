//! The findings' history end to end, over a series of simulated days (`--today`): `history
//! --record` and `notify` record observations, `firmwatch triage` and a firmware update change
//! them, and `history` adds them up — the series, exposure-days, time to resolve, per owner.

use crate::support::fixture::{Fixture, Inventory, Native};
use crate::support::http::Server;

/// Two teams, each owning one array hit by `TAKE-1` and reached by a webhook of `hook`; `fixed`
/// arrays run the fixed release.
fn inventory(hook: &Server, fixed: &[&str]) -> String {
    let mut inv = Inventory::new();
    for i in 0..2 {
        let channel = format!(
            "webhook = {{ url = \"{}\" }}",
            hook.url(&format!("/team-{i}"))
        );
        inv = inv
            .owner(&format!("team-{i}"), &format!("Team {i}"), &channel)
            .aff(
                &format!("arr-{i}"),
                &format!("Array {i}"),
                &format!("team-{i}"),
            );
    }
    // Each array's firmware line follows its id: swap the fixed ones' release.
    let mut text = String::new();
    let mut current = String::new();
    for line in inv.as_ref().lines() {
        if let Some(id) = line.strip_prefix("id = ") {
            current = id.trim_matches('"').to_string();
        }
        if line == "firmware = \"9.8P3\"" && fixed.contains(&current.as_str()) {
            text.push_str("firmware = \"9.8P6\"\n");
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

fn estate(hook: &Server) -> Fixture {
    let fx = Fixture::new();
    fx.native_feed("t", &[Native::takeover("TAKE-1")]);
    fx.inventory_file("estate.toml", inventory(hook, &[]));
    fx
}

fn record(fx: &Fixture, day: &str) {
    let r = fx.fw().args(["history", "--record", "--today", day]).run();
    r.expect(0);
    assert!(
        r.stderr()
            .contains(&format!("recorded the observation of {day}")),
        "{}",
        r.show()
    );
}

fn summary(fx: &Fixture, extra: &[&str]) -> serde_json::Value {
    fx.fw()
        .args(["history", "--format", "json"])
        .args(extra)
        .run()
        .json()
}

#[test]
fn a_series_of_days_shows_the_trend_exposure_and_time_to_resolve() {
    let hook = Server::receiver(std::time::Duration::ZERO);
    let fx = estate(&hook);
    let empty = fx.fw().args(["history"]).run();
    empty.expect(0);
    assert!(
        empty.stdout().contains("no observation"),
        "{}",
        empty.show()
    );

    // Day 1: both arrays exposed.
    record(&fx, "2026-11-01");
    // Day 3: team-0 accepts the risk.
    fx.fw()
        .args(["triage", "TAKE-1@arr-0", "--state", "accepted-risk"])
        .args(["--reason", "spare controller on site", "--by", "kato"])
        .args(["--approver", "tanaka", "--expires", "2027-03-31"])
        .args(["--today", "2026-11-03"])
        .run()
        .expect(0);
    record(&fx, "2026-11-03");
    // Day 5: team-1 updates its array to the fixed release.
    fx.inventory_file("estate.toml", inventory(&hook, &["arr-1"]));
    record(&fx, "2026-11-05");

    // A day before the last observation is refused, and nothing is written.
    let late = fx
        .fw()
        .args(["history", "--record", "--today", "2026-11-04"])
        .run();
    late.expect(1);
    assert!(
        late.stderr()
            .contains("observations are recorded in date order"),
        "{}",
        late.show()
    );

    let v = summary(&fx, &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["observations"], 3, "{v:#}");
    let days: Vec<&str> = v["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-11-01", "2026-11-03", "2026-11-05"]);
    let open = |i: usize| -> u64 {
        v["days"][i]["open"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    };
    let accepted = |i: usize| -> u64 {
        v["days"][i]["accepted_risk"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    };
    assert_eq!((open(0), accepted(0)), (2, 0));
    assert_eq!((open(1), accepted(1)), (1, 1));
    assert_eq!((open(2), accepted(2)), (0, 1));

    // team-1: exposed from the 1st to the 5th, resolved after 4 days.
    let t1 = &v["by_owner"]["team-1"];
    assert_eq!(t1["exposure_days"], 4, "{v:#}");
    assert_eq!(t1["resolved"], 1);
    assert_eq!(t1["mean_days_to_resolve"], 4.0);
    assert_eq!(t1["open_now"], 0);
    // team-0: still exposed (an accepted risk is not fixed), 4 days to the last observation.
    let t0 = &v["by_owner"]["team-0"];
    assert_eq!(t0["exposure_days"], 4);
    assert_eq!(t0["resolved"], 0);
    assert_eq!(t0["closed_now"], 1);
    assert!(t0.get("mean_days_to_resolve").is_none());
    assert_eq!(v["total"]["exposure_days"], 8);

    // One owner's view holds only their findings.
    let mine = summary(&fx, &["--owner", "team-1"]);
    assert_eq!(mine["by_owner"].as_object().unwrap().len(), 1);
    assert_eq!(mine["total"]["resolved"], 1);
    assert_eq!(mine["days"][1]["accepted_risk"], serde_json::json!({}));

    // --since clips the stretches to the period.
    let late = summary(&fx, &["--since", "2026-11-03"]);
    assert_eq!(late["observations"], 2);
    assert_eq!(late["by_owner"]["team-1"]["exposure_days"], 2);

    // One finding's life, as text.
    let one = fx.fw().args(["history", "--finding", "TAKE-1@arr-0"]).run();
    one.expect(0);
    let text = one.stdout();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("2026-11-01  found"))
            && lines
                .iter()
                .any(|l| l.starts_with("2026-11-03  triage") && l.ends_with("accepted-risk")),
        "{text}"
    );

    // The table says the same for people.
    let table = fx.fw().args(["history"]).run();
    table.expect(0);
    let t = table.stdout();
    assert!(
        t.contains("3 observation(s), 2026-11-01 … 2026-11-05"),
        "{t}"
    );
    assert!(t.contains("team-1"), "{t}");

    // The history is part of what `store check` reads.
    let check = fx.fw().args(["store", "check"]).run();
    check.expect(0);
    assert!(check.stdout().contains("history"), "{}", check.show());
}

#[test]
fn notify_records_an_observation_on_every_run() {
    let hook = Server::receiver(std::time::Duration::ZERO);
    let fx = estate(&hook);
    fx.fw()
        .args(["notify", "--today", "2026-11-10"])
        .run()
        .expect(0);
    fx.fw()
        .args(["notify", "--today", "2026-11-11"])
        .run()
        .expect(0);
    let v = summary(&fx, &[]);
    assert_eq!(v["observations"], 2, "{v:#}");
    assert_eq!(v["total"]["open_now"], 2);
    assert_eq!(v["total"]["exposure_days"], 2);
    // A dry run is a preview: it records nothing.
    fx.fw()
        .args(["notify", "--dry-run", "--today", "2026-11-12"])
        .run()
        .expect(0);
    assert_eq!(summary(&fx, &[])["observations"], 2);
}
