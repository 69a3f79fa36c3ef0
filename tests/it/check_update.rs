//! `check-update` scenarios: each rollout hazard of the incidents, and a clean canary-first plan.

use firmwatch::check::{check, parse_plan, CheckReport, Hazard, HazardCode, PlanCode, Verdict};
use firmwatch::classify::Overrides;
use firmwatch::inventory::Criticality;
use firmwatch::model::{Advisory, Effect, Trigger};
use firmwatch::testkit::*;
use firmwatch::version::Scheme;

fn pair_estate(load: f64) -> Estate {
    Estate::new()
        .unity_pair("arr-1", "Unity 480F", "5.1.2.0.5.007", load)
        .unity_pair("arr-2", "Unity 480F", "5.1.2.0.5.007", 0.3)
        .system(
            "arr-bk",
            "Dell EMC",
            "Unity 380",
            Scheme::Intdot,
            "5.1.2.0.5.007",
        )
        .backup("arr-1", "arr-bk")
        .service("mail", 50_000, &[], Criticality::High, &["arr-1"])
}

fn fixed_by_009(id: &str, effect: Effect) -> Advisory {
    let mut a = advisory_for(id, "Dell", "Unity", "vers:intdot/>=5.1.0|<5.1.2.0.5.009")
        .any_part()
        .effects(&[effect]);
    a.affected[0].fixed_in = vec!["5.1.2.0.5.009".into()];
    a
}

fn run_plan(e: &Estate, advisories: &[Advisory], plan: &str) -> CheckReport {
    let plan = parse_plan(plan, &e.0).unwrap_or_else(|d| panic!("{d:?}"));
    check(&e.0, advisories, &Overrides::default(), &plan, today())
}

/// A plan of one step updating `update` to 5.1.2.0.5.009.
fn one_step(name: &str, update: &[&str]) -> String {
    let update: Vec<String> = update.iter().map(|u| format!("\"{u}\"")).collect();
    format!(
        "[[step]]\nname = \"{name}\"\nupdate = [{}]\nto = \"5.1.2.0.5.009\"\n",
        update.join(", ")
    )
}

/// The hazard of `code` the check found.
fn hazard(r: &CheckReport, code: HazardCode) -> &Hazard {
    r.hazards
        .iter()
        .find(|h| h.code == code)
        .unwrap_or_else(|| panic!("no {code:?} hazard in {:?}", r.hazards))
}

fn decided(r: &CheckReport) -> String {
    r.decided_by.join("\n")
}

#[test]
fn both_controllers_in_one_step_block() {
    let r = run_plan(
        &pair_estate(0.3),
        &[],
        &one_step("all at once", &["arr-2/spa", "arr-2/spb"]),
    );
    assert_eq!(r.verdict, Verdict::Block, "{}", decided(&r));
    assert!(r
        .hazards
        .iter()
        .any(|h| h.code == HazardCode::GroupInOneStep));
}

#[test]
fn primary_and_backup_in_one_step_block() {
    let r = run_plan(
        &pair_estate(0.3),
        &[],
        &one_step("primary and backup", &["arr-1", "arr-bk"]),
    );
    assert_eq!(r.verdict, Verdict::Block);
    let h = hazard(&r, HazardCode::BackupWithPrimary);
    assert!(h.reason.contains("backup must lag behind"), "{}", h.reason);
}

#[test]
fn primary_and_backup_in_one_window_block() {
    let r = run_plan(
        &pair_estate(0.3),
        &[],
        r#"
[[step]]
name = "primary"
window = "sat-night"
update = ["arr-1"]
to = "5.1.2.0.5.009"

[[step]]
name = "backup"
window = "sat-night"
update = ["arr-bk"]
to = "5.1.2.0.5.009"
"#,
    );
    assert_eq!(r.verdict, Verdict::Block, "{}", decided(&r));
    assert!(r
        .hazards
        .iter()
        .any(|h| h.code == HazardCode::BackupWithPrimary && h.reason.contains("sat-night")));
}

#[test]
fn rolling_update_with_survivor_at_120_percent_blocks_with_the_figure() {
    let r = run_plan(&pair_estate(0.6), &[], &one_step("rolling", &["arr-1"]));
    assert_eq!(r.verdict, Verdict::Block);
    let h = hazard(&r, HazardCode::RolloutOverload);
    assert!(h.reason.contains("120 %"), "{}", h.reason);
}

#[test]
fn failover_bug_in_the_running_version_is_exercised_by_the_update() {
    let bug = advisory_for(
        "FWN-1",
        "Dell",
        "Unity",
        "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
    )
    .any_part()
    .effects(&[Effect::FailoverFailure])
    .triggers(&[Trigger::HardwareFault]);
    let r = run_plan(&pair_estate(0.3), &[bug], &one_step("canary", &["arr-2"]));
    assert_eq!(r.verdict, Verdict::Block);
    let h = hazard(&r, HazardCode::FailoverBugExercised);
    assert!(
        h.reason.contains("the update itself triggers failover"),
        "{}",
        h.reason
    );
    // ... and the move does fix it.
    assert_eq!(r.systems[0].fixed.len(), 1);
}

#[test]
fn target_that_fixes_two_but_introduces_a_du_bug_is_not_go() {
    let advisories = vec![
        fixed_by_009("FWN-A", Effect::Performance),
        fixed_by_009("FWN-B", Effect::ComponentCrash),
        {
            let mut a = advisory_for(
                "FWN-C",
                "Dell",
                "Unity",
                "vers:intdot/>=5.1.2.0.5.009|<5.1.3",
            )
            .any_part()
            .effects(&[Effect::DataUnavailable]);
            a.title = "LUNs go offline after snapshot expiry".into();
            a
        },
    ];
    let r = run_plan(
        &pair_estate(0.3),
        &advisories,
        &one_step("canary", &["arr-1"]),
    );
    let d = &r.systems[0];
    let mut fixed: Vec<&str> = d.fixed.iter().map(|f| &*f.advisory.id).collect();
    fixed.sort();
    assert_eq!(fixed, vec!["FWN-A", "FWN-B"]);
    assert_eq!(d.introduced.len(), 1);
    assert_eq!(&*d.introduced[0].advisory.id, "FWN-C");
    assert_ne!(r.verdict, Verdict::Go, "{}", decided(&r));
    assert!(decided(&r).contains("introduces FWN-C"), "{}", decided(&r));
}

#[test]
fn clean_canary_first_plan_is_go() {
    let advisories = vec![fixed_by_009("FWN-A", Effect::Performance)];
    let r = run_plan(
        &pair_estate(0.3),
        &advisories,
        r#"
[[step]]
name = "canary"
date = 2026-12-01
update = ["arr-2"]
to = "5.1.2.0.5.009"

[[step]]
name = "production"
date = 2026-12-08
update = ["arr-1"]
to = "5.1.2.0.5.009"

[[step]]
name = "backup, a week later"
date = 2026-12-15
update = ["arr-bk"]
to = "5.1.2.0.5.009"
"#,
    );
    assert_eq!(r.verdict, Verdict::Go, "{}", decided(&r));
    assert!(r.hazards.is_empty(), "{:?}", r.hazards);
}

#[test]
fn no_canary_and_downgrade_are_cautions() {
    let r = run_plan(
        &pair_estate(0.3),
        &[],
        &one_step("both arrays", &["arr-1", "arr-2"]),
    );
    assert!(
        r.hazards.iter().any(|h| h.code == HazardCode::NoCanary),
        "{:?}",
        r.hazards
    );
    assert_eq!(r.verdict, Verdict::Caution, "{}", decided(&r));
    let r = run_plan(
        &pair_estate(0.3),
        &[],
        "[[step]]\nname = \"back\"\nupdate = [\"arr-2\"]\nto = \"5.1.2.0.5.001\"\n",
    );
    assert!(r.hazards.iter().any(|h| h.code == HazardCode::Downgrade));
}

#[test]
fn plan_diagnostics_point_at_the_text() {
    let e = pair_estate(0.3);
    let text = "[[step]]\nname = \"x\"\nupdate = [\"arr-9\", \"arr-1/spc\"]\nto = \"5.1.x\"\n";
    let d = parse_plan(text, &e.0).unwrap_err();
    let codes: Vec<PlanCode> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec![PlanCode::UnknownReference, PlanCode::UnknownReference]
    );
    let span = d[0].span.clone().unwrap();
    assert_eq!(&text[span], "\"arr-9\"");
    let d = parse_plan(
        "[[step]]\nname = \"x\"\nupdate = [\"arr-1\"]\nto = \"5.1.x\"\n",
        &e.0,
    )
    .unwrap_err();
    assert_eq!(d[0].code, PlanCode::BadFirmware);
    let d = parse_plan(
        "[[step]]\nname = \"x\"\nupdate = [\"arr-1\"]\nto = \"5.1\"\nextra = 1\n",
        &e.0,
    )
    .unwrap_err();
    assert_eq!(d[0].code, PlanCode::ParseError);
    assert!(d[0].message.contains("extra"), "{}", d[0].message);
}

#[test]
fn json_output_snapshot() {
    let advisories = vec![fixed_by_009("FWN-A", Effect::Performance)];
    let r = run_plan(
        &pair_estate(0.6),
        &advisories,
        &one_step("rolling", &["arr-1"]),
    );
    insta::assert_json_snapshot!(r);
}

/// The example estate's subscriber-db-1 drives reach the 32,768-hour bug on 2026-11-22: a plan
/// that updates them after that date is blocked as too late (exit 4), one dated well before it
/// is not.
#[test]
fn a_plan_dated_after_a_time_bomb_fires_is_blocked_as_too_late() {
    use crate::support::cmd::Fw;
    let fx = crate::support::fixture::Fixture::new();
    let plan = |date: &str| {
        let path = fx.path().join(format!("plan-{date}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[step]]\nname = \"drives\"\ndate = {date}\nupdate = [\"subscriber-db-1/ssd-data\"]\nto = \"HPD8\"\n"
            ),
        )
        .unwrap();
        path
    };
    let run = |date: &str| {
        Fw::new()
            .in_project()
            .store(fx.store())
            .arg("check-update")
            .arg("--plan")
            .arg(plan(date))
            .args(["--today", "2026-11-01", "--format", "json"])
            .run()
    };
    let late = run("2026-11-25");
    late.expect(4);
    let j = late.json();
    let too_late: Vec<&serde_json::Value> = j["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["code"] == "too-late")
        .collect();
    assert_eq!(too_late.len(), 1, "{j:#}");
    assert_eq!(too_late[0]["level"], "block");
    assert!(
        too_late[0]["reason"]
            .as_str()
            .unwrap()
            .contains("fires on 2026-11-22"),
        "{j:#}"
    );
    let timely = run("2026-11-05");
    let j = timely.json();
    assert!(
        j["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["code"] != "too-late"),
        "{j:#}"
    );
}
