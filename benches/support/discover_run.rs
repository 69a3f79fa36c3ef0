//! The `discover` bench's harness: `endpoints` Redfish services — one mockup tree served by one
//! loopback server under as many prefixes (`/e0001/redfish/v1/…`, links rewritten) — in an
//! inventory of as many systems, walked by the `firmwatch discover` binary; wall time and the
//! child's peak RSS (GNU time's `%M`, when `/usr/bin/time` is there).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::redfish_mock::{RedfishMock, Setup, Tree};

/// What a run measured.
#[derive(Debug)]
pub struct Figures {
    pub endpoints: usize,
    pub wall: Duration,
    /// Peak resident memory of the `firmwatch` process, MiB (`None` without GNU time).
    pub peak_rss_mib: Option<f64>,
    pub ok: usize,
    pub failed: usize,
    /// Parts in all the snapshot files written.
    pub parts: usize,
    /// Requests the server answered.
    pub requests: u64,
    pub exit: Option<i32>,
}

/// Serve `tree` under `endpoints` prefixes, write the inventory into `dir`, run
/// `firmwatch discover --json` with `args` added, and measure it.
pub fn run(firmwatch: &Path, tree: &Path, endpoints: usize, args: &[&str], dir: &Path) -> Figures {
    let mut setup = Setup::new(Tree::load(tree));
    setup.prefixes = Some(endpoints);
    setup.log = false;
    let mock = RedfishMock::start(setup);
    let inv = dir.join("inventory");
    std::fs::create_dir_all(&inv).expect("inventory dir");
    let mut text = String::from("[[owners]]\nid = \"ops\"\nemail = \"ops@example.net\"\n");
    for n in 1..=endpoints {
        text.push_str(&format!(
            "\n[[systems]]\nid = \"bmc{n:04}\"\nvendor = \"Contoso\"\nmodel = \"3500RX\"\nowner = \"ops\"\nfirmware = \"1.0\"\n[systems.discover]\nredfish = \"{}\"\n",
            mock.prefixed_root(n)
        ));
    }
    std::fs::write(inv.join("estate.toml"), text).expect("write inventory");
    let gnu_time = Path::new("/usr/bin/time").is_file();
    let rss_file = dir.join("rss.txt");
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(firmwatch);
        c
    } else {
        Command::new(firmwatch)
    };
    cmd.arg("--inventory")
        .arg(&inv)
        .args(["discover", "--json"])
        .args(args)
        .env_remove("FIRMWATCH_LOG")
        .env_remove("RUST_LOG");
    let start = Instant::now();
    let out = cmd.output().expect("run firmwatch");
    let wall = start.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rows = report["endpoints"].as_array().expect("endpoints");
    let ok = rows.iter().filter(|r| r["status"] == "ok").count();
    let parts = rows.iter().filter_map(|r| r["parts"].as_u64()).sum::<u64>() as usize;
    let peak_rss_mib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0);
    Figures {
        endpoints,
        wall,
        peak_rss_mib,
        ok,
        failed: rows.len() - ok,
        parts,
        requests: mock.requests(),
        exit: out.status.code(),
    }
}
