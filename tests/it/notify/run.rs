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
