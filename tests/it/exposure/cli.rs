//! End to end: the `firmwatch` binary on the bundled offline feeds and the example estate, as a new
//! user runs it. Exit codes and JSON fields are a contract.

use std::path::Path;

use crate::support::cmd::{Fw, Run};
use crate::support::project;

/// The binary in the project root (bundled feeds, example estate) on the store `store`.
fn firmwatch(store: &Path, args: &[&str]) -> Run {
    Fw::new().in_project().store(store).run_with(args)
}

#[test]
fn exposure_on_a_fresh_store_syncs_the_bundled_feeds_and_rates_the_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let out = firmwatch(
        dir.path(),
        &["exposure", "--format", "json", "--today", "2026-11-22"],
    );
    out.expect(0);
    let v = out.json();
    assert_eq!(v["schema_version"], 2);
    let findings = v["findings"].as_array().unwrap();
    let code = |id: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["rating"]["code"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no finding {id}"))
    };
    assert_eq!(code("FWN-2026-0001@carrier-aff"), "failover-spof");
    assert_eq!(code("FWN-2026-0002@mail-unity"), "survivor-overload");
    assert_eq!(code("FWN-2019-0032768@subscriber-db-1"), "raid-time-bomb");
    assert_eq!(code("FWN-2026-0003@iaas-unity"), "data-loss-no-backup");
    assert_eq!(code("FWN-2026-0004@hosting-fas"), "data-unavailable");
    // Every feed synced and is fresh.
    assert!(
        v["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["stale"] == false),
        "{}",
        v["feeds"]
    );
    // Sorted by score.
    let scores: Vec<u64> = findings
        .iter()
        .map(|f| f["rating"]["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn fail_on_owner_filter_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let out = firmwatch(
        dir.path(),
        &["exposure", "--fail-on", "critical", "--today", "2026-11-22"],
    );
    assert_eq!(
        out.code(),
        Some(3),
        "critical findings exist in the example estate"
    );
    let text = out.stdout();
    assert!(text.contains("FWN-2026-0001"), "{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }

    let out = firmwatch(
        dir.path(),
        &[
            "exposure",
            "--no-sync",
            "--owner",
            "office-it",
            "--format",
            "json",
            "--today",
            "2026-11-22",
        ],
    );
    let v = out.json();
    let owners: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["owner"].as_str().unwrap())
        .collect();
    assert!(!owners.is_empty());
    assert!(owners.iter().all(|o| *o == "office-it"), "{owners:?}");

    let out = firmwatch(
        dir.path(),
        &[
            "exposure",
            "--no-sync",
            "--explain",
            "FWN-2026-0002@mail-unity",
            "--today",
            "2026-11-22",
        ],
    );
    out.expect(0);
    let text = out.stdout();
    assert!(
        text.contains("120 %") && text.contains("async-replication-compression"),
        "{text}"
    );

    let out = firmwatch(
        dir.path(),
        &["exposure", "--no-sync", "--explain", "NOPE@x"],
    );
    out.expect(1);
    let out = firmwatch(
        dir.path(),
        &["exposure", "--no-sync", "--system", "no-such-system"],
    );
    out.expect(1);
    assert!(out.stderr().contains("no-such-system"));
}

#[test]
fn check_update_verdicts_gate_a_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = firmwatch(
        dir.path(),
        &[
            "check-update",
            "--plan",
            "tests/fixtures/plans/iaas-together.toml",
            "--today",
            "2026-11-22",
        ],
    );
    out.expect(4);
    assert!(out.stdout().contains("backup must lag behind"));

    let out = firmwatch(
        dir.path(),
        &[
            "check-update",
            "--no-sync",
            "--plan",
            "tests/fixtures/plans/iaas-staged.toml",
            "--format",
            "json",
            "--today",
            "2026-11-22",
        ],
    );
    out.expect(0);
    let v = out.json();
    assert_eq!(v["verdict"], "go");
    assert_eq!(v["systems"][0]["fixed"][0]["advisory"], "FWN-2026-0003");

    // The Docomo case: the update's own takeover exercises the running version's failover bug.
    let out = firmwatch(
        dir.path(),
        &[
            "check-update",
            "--no-sync",
            "--system",
            "carrier-aff",
            "--to",
            "9.8P6",
            "--today",
            "2026-11-22",
        ],
    );
    out.expect(4);
    assert!(out.stdout().contains("the update itself triggers failover"));

    // A plan naming a system that does not exist: diagnostics, exit 1.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[step]]\nname = \"x\"\nupdate = [\"nope\"]\nto = \"1.0\"\n",
    )
    .unwrap();
    let out = firmwatch(
        dir.path(),
        &["check-update", "--no-sync", "--plan", bad.to_str().unwrap()],
    );
    out.expect(1);
    let err = out.stderr();
    assert!(
        err.contains("unknown-reference") && err.contains("bad.toml:3:"),
        "{err}"
    );
}

#[test]
fn broken_inventory_is_an_error_not_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = firmwatch(
        dir.path(),
        &[
            "--inventory",
            "tests/fixtures/inventory/broken",
            "exposure",
            "--no-sync",
        ],
    );
    out.expect(1);
    assert!(out.stdout().is_empty());
    assert!(out.stderr().contains("nothing was loaded"));
}

/// The annotations example in the README parses and does what it says: the accepted risk closes
/// its finding (kept for audit with the decision) until it expires, then it is open with a warning.
#[test]
fn readme_annotations_example_and_triage_end_to_end() {
    let readme = std::fs::read_to_string(project().join("README.md")).unwrap();
    let section = readme
        .split("## Annotations and triage")
        .nth(1)
        .expect("section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let o = firmwatch::classify::Overrides::parse("README.md", example).unwrap();
    assert_eq!(o.annotations.len(), 1);
    assert_eq!(o.triage.entries().len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("active.toml");
    std::fs::write(&active, example).unwrap();
    let out = firmwatch(
        dir.path(),
        &[
            "exposure",
            "--annotations",
            active.to_str().unwrap(),
            "--format",
            "json",
            "--today",
            "2026-11-22",
        ],
    );
    let v = out.json();
    let shown: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!shown.contains(&"FWN-2026-0004@hosting-fas"), "{shown:?}");
    assert_eq!(v["triaged"][0]["id"], "FWN-2026-0004@hosting-fas");
    let triage = &v["triaged"][0]["triage"];
    assert_eq!(triage["state"], "accepted-risk");
    assert_eq!(triage["entry"]["by"], "k.sato");
    assert_eq!(triage["entry"]["approver"], "m.tanaka");

    // After the expiry date the finding is back, with a warning saying so.
    let out = firmwatch(
        dir.path(),
        &[
            "exposure",
            "--no-sync",
            "--annotations",
            active.to_str().unwrap(),
            "--format",
            "json",
            "--today",
            "2027-02-01",
        ],
    );
    let v = out.json();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "FWN-2026-0004@hosting-fas"));
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("EXPIRED on 2027-01-31"), "{warnings}");

    // A broken annotations file is an error naming the file and line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[suppression]]\nadvisory = \"X\"\n").unwrap();
    let out = firmwatch(
        dir.path(),
        &[
            "exposure",
            "--no-sync",
            "--annotations",
            bad.to_str().unwrap(),
        ],
    );
    out.expect(1);
    let err = out.stderr();
    assert!(err.contains("bad.toml") && err.contains("line 1"), "{err}");
}

/// `exposure` syncs the feeds that are due, but a feed whose last sync failed is retried only
/// after a wait (a minute after the first failure, growing with the failures, capped at its
/// schedule), not on every call; an explicit `sync` always tries. The failing mirror serves an
/// HTML page as its `changes.csv`, one request per attempt; "a minute later" is the recorded
/// failure moved two minutes back.
#[test]
fn exposure_retries_a_failing_feed_only_after_a_wait() {
    use crate::support::fixture::{Fixture, Inventory};
    use crate::support::http::Server;
    use firmwatch::store::{AnyStore, Store};

    let server = Server::start();
    server.set_ok(
        "/broken/changes.csv",
        "<!DOCTYPE html>\n<html><body>Bad gateway</body></html>\n",
    );
    let fx = Fixture::new();
    fx.feed(
        "broken",
        &format!(
            "kind = \"csaf-dir\"\nurl = \"{}\"\nschedule = \"1d\"\n",
            server.url("/broken/")
        ),
    );
    fx.inventory_file(
        "estate.toml",
        Inventory::new()
            .owner("ops", "Ops", "email = \"ops@example.net\"")
            .aff("arr", "Array", "ops"),
    );
    let attempts = || server.requested(|p| p.starts_with("/broken/")).len();
    let exposure = || fx.fw().run_with(&["exposure"]);

    let first = exposure();
    assert!(
        first.all().contains("feed broken could not be synced"),
        "{}",
        first.show()
    );
    assert_eq!(attempts(), 1, "{:?}", server.requests());
    let second = exposure();
    assert_eq!(attempts(), 1, "retried at once: {}", second.show());

    // The failure happened two minutes ago: past the first wait.
    let feed = "broken".parse().unwrap();
    {
        let store = AnyStore::open(fx.store(), None).unwrap();
        let st = store.feed_state(&feed).unwrap().unwrap();
        let (error, at) = (st.last_error.unwrap(), st.last_error_at.unwrap());
        store
            .record_failure(&feed, &error, at - chrono::Duration::minutes(2))
            .unwrap();
    }
    exposure();
    assert_eq!(attempts(), 2, "not retried after the wait");
    exposure();
    assert_eq!(attempts(), 2, "the new failure waits again");

    let sync = fx.fw().run_with(&["sync"]);
    assert_eq!(
        attempts(),
        3,
        "an explicit sync always tries: {}",
        sync.show()
    );
}

/// `feeds/vendors.toml` adds an operator's spelling of a vendor: a system named so meets the
/// vendor's advisories; a file that does not parse stops the command, naming it.
#[test]
fn an_operators_vendor_spelling_reaches_the_vendors_advisories() {
    use crate::support::fixture::{Fixture, Inventory, Native};
    let fx = Fixture::new();
    fx.native_feed("notes", &[Native::takeover("FWN-T1")]);
    fx.inventory_file(
        "estate.toml",
        Inventory::new()
            .owner("ops", "Ops", "email = \"ops@example.net\"")
            .line(
                "\n[[systems]]\nid = \"arr\"\nvendor = \"NTAP Storage Co.\"\nmodel = \"AFF A400\"\n\
                 owner = \"ops\"\nfirmware = \"9.8P3\"\nscheme = \"ontap\"",
            ),
    );
    let count = || {
        let out = fx.fw().run_with(&["exposure", "--format", "json"]);
        out.json()["findings"].as_array().unwrap().len()
    };
    assert_eq!(count(), 0, "an unknown spelling is its own vendor");
    fx.file(
        "feeds/vendors.toml",
        "[[vendor]]\nname = \"NetApp\"\naliases = [\"NTAP Storage\"]\n",
    );
    assert_eq!(count(), 1);
    fx.file(
        "feeds/vendors.toml",
        "[[vendor]]\nname = \"NetApp\"\naliases = 3\n",
    );
    let bad = fx.fw().run_with(&["exposure"]);
    bad.expect(1);
    assert!(bad.stderr().contains("vendors.toml"), "{}", bad.show());
    assert!(bad.stderr().contains("line 3"), "{}", bad.show());
}
