//! `firmwatch run`: one cycle, a loop, and SIGTERM arriving mid-delivery (the step finishes, then
//! the command exits 0).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{teams, TODAY};
use crate::support::cmd::Fw;
use crate::support::fixture::Fixture;
use crate::support::http::Server;

const OWNERS: usize = 5;

/// `firmwatch run` on the teams' estate, with `extra` arguments.
fn run_cmd(fx: &Fixture, extra: &[&str]) -> Fw {
    fx.fw().args(["run", "--today", TODAY]).args(extra)
}

/// `run --every 1h` in the background, its stderr going to a file (returned) to watch.
fn start_loop(fx: &Fixture) -> (Child, PathBuf) {
    let log = fx.path().join("stderr.log");
    let child = run_cmd(fx, &["--every", "1h"])
        .command()
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (child, log)
}

/// Wait until `done()`, failing with `what` after 10 s.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sigterm(child: &Child) {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn run_once_syncs_and_notifies() {
    let hook = Server::receiver(Duration::ZERO);
    let fx = teams(OWNERS, &hook, "r", "RUN-1");
    let o = run_cmd(&fx, &["--once"]).run();
    o.expect(0);
    assert_eq!(hook.delivered().len(), OWNERS);
    let err = o.stderr();
    assert!(err.contains("cycle 1 done"), "{err}");
    // Feed schedule honoured: the second cycle does not refetch, and nothing new is sent.
    let o = run_cmd(&fx, &[]).arg("-v").run();
    o.expect(0);
    assert_eq!(hook.delivered().len(), OWNERS);
    let err = o.stderr();
    assert!(
        err.contains("feed r: NotDue"),
        "a not-due feed was synced: {err}"
    );
    assert!(err.contains("planned 0 digest(s)"), "{err}");
}

/// An inventory that lost most of its systems at once (an empty or cut CMDB export) does not
/// announce everything as RESOLVED: the run stops, names what vanished and sends nothing, until the
/// operator says the shrink is real.
#[test]
fn an_inventory_that_lost_most_systems_stops_before_resolving_them() {
    let hook = Server::receiver(Duration::ZERO);
    let fx = teams(OWNERS, &hook, "r", "RUN-1");
    run_cmd(&fx, &["--once"]).run().expect(0);
    assert_eq!(hook.delivered().len(), OWNERS);

    // Only arr-0 and arr-1 are left: 3 of the 5 systems owners were told about vanished.
    let full = std::fs::read_to_string(fx.inventory().join("estate.toml")).unwrap();
    let cut = full
        .split("[[systems]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[systems]]");
    let cut = cut.trim_end().trim_end_matches("[[owners]]");
    fx.inventory_file("estate.toml", cut);
    let o = run_cmd(&fx, &["--once"]).run();
    o.expect(1);
    let err = o.stderr();
    assert!(
        err.contains(
            "no longer holds 3 of the 5 systems owners were told about (arr-2, arr-3, arr-4)"
        ),
        "{err}"
    );
    assert!(err.contains("--accept-inventory-shrink"), "{err}");
    assert_eq!(hook.delivered().len(), OWNERS, "nothing sent");

    // Accepted: the resolved notice goes out to the team still in the inventory (teams 3 and 4
    // left with their arrays; nobody is left to tell).
    run_cmd(&fx, &["--once", "--accept-inventory-shrink"])
        .run()
        .expect(0);
    let new: Vec<String> = hook.delivered()[OWNERS..]
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].contains("\"owner\":\"team-2\"")
            && new[0].contains("\"event\":\"resolved\",\"finding\":\"RUN-1@arr-2\""),
        "{}",
        new[0]
    );
}

#[test]
fn sigterm_mid_delivery_finishes_the_step_then_exits_0() {
    let hook = Server::receiver(Duration::from_millis(200));
    let fx = teams(OWNERS, &hook, "r", "RUN-1");
    let (mut child, log) = start_loop(&fx);
    wait_for("no delivery started", || !hook.delivered().is_empty());
    sigterm(&child);
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    // The step in progress finished: every owner got its digest, once.
    assert_eq!(hook.delivered().len(), OWNERS, "{err}");
    assert!(err.contains("signal received"), "{err}");
    assert!(err.contains("cycle 1 done"), "{err}");
    assert!(!err.contains("cycle 2"), "{err}");
}

#[test]
fn between_cycles_the_store_is_readable_and_sigterm_ends_the_sleep() {
    let hook = Server::receiver(Duration::ZERO);
    let fx = teams(OWNERS, &hook, "r", "RUN-1");
    let (mut child, log) = start_loop(&fx);
    let t0 = Instant::now();
    wait_for("cycle 1 did not finish", || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("cycle 1 done")
    });
    let st = Fw::new()
        .store(fx.store())
        .run_with(&["notify", "--status"]);
    st.expect(0);
    assert!(st
        .stdout()
        .contains(&format!("0 pending, {OWNERS} delivered")));
    sigterm(&child);
    let status = child.wait().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "the 1h sleep was not cut short"
    );
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("stopped after cycle 1"), "{err}");
    assert_eq!(hook.delivered().len(), OWNERS);
}
