//! `firmwatch run`: one cycle, a loop, and SIGTERM arriving mid-delivery (the step finishes, then
//! the command exits 0).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::smtp::*;

const OWNERS: usize = 5;

fn setup(dir: &Path, hook_port: u16) {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("native")).unwrap();
    std::fs::write(
        feeds.join("r.toml"),
        "id = \"r\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("native/r.toml"),
        "[[advisory]]\nid = \"RUN-1\"\nvendor = \"NetApp\"\ntitle = \"Takeover can fail\"\nsummary = \"x\"\n\
         published = \"2026-01-01\"\nmodified = \"2026-01-01\"\neffects = [\"failover-failure\"]\n\
         triggers = [\"hardware-fault\"]\n\n[[advisory.affected]]\nproduct = \"ONTAP\"\ncomponent = \"system\"\n\
         scheme = \"ontap\"\nstatus = \"affected\"\nversions = \"vers:ontap/>=9.8|<9.8P6\"\nfixed_in = [\"9.8P6\"]\n",
    )
    .unwrap();
    let inv = dir.join("inventory");
    std::fs::create_dir_all(&inv).unwrap();
    let mut s = String::new();
    for i in 0..OWNERS {
        s.push_str(&format!(
            "[[owners]]\nid = \"team-{i}\"\nname = \"Team {i}\"\nwebhook = {{ url = \"http://127.0.0.1:{hook_port}/team-{i}\" }}\n\n\
             [[systems]]\nid = \"arr-{i}\"\nname = \"Array {i}\"\nvendor = \"NetApp\"\nmodel = \"AFF A400\"\nowner = \"team-{i}\"\nfirmware = \"9.8P3\"\n\n"
        ));
    }
    std::fs::write(inv.join("estate.toml"), s).unwrap();
}

fn run_cmd(dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_firmwatch"));
    c.arg("--store")
        .arg(dir.join("store"))
        .arg("--feeds")
        .arg(dir.join("feeds"))
        .arg("--inventory")
        .arg(dir.join("inventory"))
        .args(["run", "--today", "2026-11-22"])
        .args(extra);
    c
}

#[test]
fn run_once_syncs_and_notifies() {
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), hook.port);
    let o = run_cmd(dir.path(), &["--once"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(hook.received().len(), OWNERS);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cycle 1 done"), "{err}");
    // Feed schedule honoured: the second cycle does not refetch, and nothing new is sent.
    let o = run_cmd(dir.path(), &[]).arg("-v").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(hook.received().len(), OWNERS);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("feed r: NotDue"),
        "a not-due feed was synced: {err}"
    );
    assert!(err.contains("planned 0 digest(s)"), "{err}");
}

#[test]
fn sigterm_mid_delivery_finishes_the_step_then_exits_0() {
    let hook = webhook_receiver(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), hook.port);
    let log = dir.path().join("stderr.log");
    let mut child = run_cmd(dir.path(), &["--every", "1h"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while hook.received().is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no delivery started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    // The step in progress finished: every owner got its digest, once.
    assert_eq!(hook.received().len(), OWNERS, "{err}");
    assert!(err.contains("signal received"), "{err}");
    assert!(err.contains("cycle 1 done"), "{err}");
    assert!(!err.contains("cycle 2"), "{err}");
}

#[test]
fn between_cycles_the_store_is_readable_and_sigterm_ends_the_sleep() {
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), hook.port);
    let log = dir.path().join("stderr.log");
    let mut child = run_cmd(dir.path(), &["--every", "1h"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("cycle 1 done")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "cycle 1 did not finish"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let st = Command::new(env!("CARGO_BIN_EXE_firmwatch"))
        .arg("--store")
        .arg(dir.path().join("store"))
        .args(["notify", "--status"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(0), "{}", show(&st));
    assert!(String::from_utf8_lossy(&st.stdout).contains(&format!("0 pending, {OWNERS} delivered")));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "the 1h sleep was not cut short"
    );
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("stopped after cycle 1"), "{err}");
    assert_eq!(hook.received().len(), OWNERS);
}
