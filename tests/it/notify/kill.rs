//! kill -9 during delivery, 20+ times: no planned message is lost, and the only repeats are
//! in-flight messages carrying the same idempotency key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use firmwatch::notify::{Outbox, Status};
use firmwatch::store::SledStore;
use crate::support::smtp::*;

const OWNERS: usize = 40;
const TRIALS: usize = 22;

fn setup(dir: &Path, hook_port: u16) {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("native")).unwrap();
    std::fs::write(
        feeds.join("k.toml"),
        "id = \"k\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("native/k.toml"),
        r#"[[advisory]]
id = "KILL-1"
vendor = "NetApp"
title = "Takeover can fail"
summary = "Takeover can fail."
published = "2026-01-01"
modified = "2026-01-01"
effects = ["failover-failure"]
triggers = ["hardware-fault"]

[[advisory.affected]]
product = "ONTAP"
component = "system"
scheme = "ontap"
status = "affected"
versions = "vers:ontap/>=9.8|<9.8P6"
fixed_in = ["9.8P6"]
"#,
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

/// A small deterministic generator (seed printed for reproduction).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn kill_9_during_delivery_loses_nothing_and_repeats_only_in_flight() {
    let hook = webhook_receiver(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), hook.port);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut rng = Lcg(seed);
    let cmd = |d: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_firmwatch"));
        c.arg("--store")
            .arg(d.join("store"))
            .arg("--feeds")
            .arg(d.join("feeds"))
            .arg("--inventory")
            .arg(d.join("inventory"))
            .args(["notify", "--today", "2026-11-22", "--retry-now"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let mut killed = 0;
    for _ in 0..TRIALS {
        let mut child = cmd(dir.path()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(30 + rng.next(350)));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let received_while_killing = hook.received().len();
    let o = cmd(dir.path()).stdout(Stdio::piped()).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    eprintln!(
        "{killed} of {TRIALS} runs killed mid-flight; {received_while_killing} requests before the final run"
    );
    assert!(killed >= 20, "only {killed} kills landed during a run");

    // The store opens, and every planned delivery is marked sent.
    let store = SledStore::open(dir.path().join("store")).unwrap();
    let entries = Outbox::new(&store).all().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|(_, d)| d.status == Status::Sent));
    let planned: BTreeMap<String, String> = entries
        .iter()
        .map(|(_, d)| (d.message.key.clone(), d.message.owner.clone()))
        .collect();
    // One digest per owner was planned over all runs (a run killed before its commit planned nothing).
    let owners: BTreeSet<&String> = planned.values().collect();
    assert_eq!(owners.len(), OWNERS);
    assert_eq!(planned.len(), OWNERS, "a finding was planned twice");

    // Everything planned arrived; every request carries a planned key for its own owner; repeats
    // of an owner's digest carry the same key.
    let got = hook.received();
    let mut per_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &got {
        let key = r.headers["idempotency-key"].clone();
        let owner = r.path.trim_start_matches('/').to_string();
        assert_eq!(
            planned.get(&key),
            Some(&owner),
            "unplanned or misrouted {key}"
        );
        per_owner.entry(owner).or_default().push(key);
    }
    for (owner, keys) in &planned
        .iter()
        .map(|(k, o)| (o.clone(), k.clone()))
        .collect::<BTreeMap<_, _>>()
    {
        let got = per_owner
            .get(owner)
            .unwrap_or_else(|| panic!("{owner} lost its digest"));
        assert!(
            got.iter().all(|k| k == keys),
            "{owner}: different keys {got:?}"
        );
    }
    let repeats = got.len() - planned.len();
    eprintln!(
        "{} deliveries, {repeats} repeated in-flight message(s)",
        got.len()
    );
    // At most one delivery is in flight per killed run.
    assert!(repeats <= killed, "{repeats} repeats from {killed} kills");
}
