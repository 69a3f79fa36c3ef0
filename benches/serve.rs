//! The dashboard on the benchmark estate: how fast `firmwatch serve` answers after its cycle, and
//! its memory.
//!
//! `cargo bench --bench serve` (defaults: 1,000,000 components, 300,000 advisories, the estate of
//! `exposure_e2e`), or `cargo bench --bench serve -- COMPONENTS ADVISORIES`; `FIRMWATCH_BENCH_DIR`
//! keeps and reuses the generated files. The parent writes the files (not timed), starts the
//! release binary (`firmwatch serve --no-sync --listen 127.0.0.1:0`), times the first snapshot (the
//! rating the cycle does before the server listens), then asks each page over loopback HTTP, one
//! request at a time: the first answer (cold) and the median of the next ones. The server has a
//! token file: the pages are asked with the whole estate's token, then three with an owner's
//! (`team-7`), whose first request builds that owner's view. The server's peak RSS is read from
//! `/proc/<pid>/status` (VmHWM) at the end. Targets (issue #23): overview and a
//! findings page ≤ 300 ms, a finding page ≤ 100 ms, RSS ≤ 1.5 GB.

#[path = "support/exposure_run.rs"]
mod exposure_run;
#[path = "support/inventory_gen.rs"]
mod inventory_gen;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole estate's token and an owner's (`team-7`), from the token file the server is given.
const ESTATE_TOKEN: &str = "bench-estate-token-0123456789";
const OWNER_TOKEN: &str = "bench-owner-token-0123456789";

/// One GET over a fresh connection with `token`: (status, body, time).
fn get_as(addr: &str, path: &str, token: &str) -> (u16, String, Duration) {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body, took)
}

/// One GET with the whole estate's token.
fn get(addr: &str, path: &str) -> (u16, String, Duration) {
    get_as(addr, path, ESTATE_TOKEN)
}

/// First answer and the median of `n` more, with `token`.
fn time_as(addr: &str, path: &str, n: usize, token: &str) -> (Duration, Duration, usize) {
    let (status, body, first) = get_as(addr, path, token);
    assert_eq!(status, 200, "{path}: {body}");
    let mut rest: Vec<Duration> = (0..n).map(|_| get_as(addr, path, token).2).collect();
    rest.sort();
    (first, rest[rest.len() / 2], body.len())
}

fn time(addr: &str, path: &str, n: usize) -> (Duration, Duration, usize) {
    time_as(addr, path, n, ESTATE_TOKEN)
}

fn vm(pid: u32, field: &str) -> f64 {
    exposure_run::proc_status_mib_of(&pid.to_string(), field)
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = exposure_run::bench_files(tmp.path());
    let feeds = dir.join("no-feeds");
    std::fs::create_dir_all(&feeds).expect("feeds dir");
    let tokens = tmp.path().join("tokens.toml");
    std::fs::write(
        &tokens,
        format!(
            "[[token]]\nname = \"estate\"\ntoken = \"{ESTATE_TOKEN}\"\n\n\
             [[token]]\nname = \"team-7\"\ntoken = \"{OWNER_TOKEN}\"\nowner = \"team-7\"\n"
        ),
    )
    .expect("token file");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firmwatch"))
        .arg("--inventory")
        .arg(dir.join("inventory.json"))
        .arg("--store")
        .arg(dir.join("store"))
        .arg("--feeds")
        .arg(&feeds)
        .args([
            "serve",
            "--no-sync",
            "--today",
            "2026-11-22",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
        ])
        .arg(&tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start firmwatch serve");
    let pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("firmwatch serve exited before listening")
            .expect("read");
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().to_string();
        }
    };
    println!(
        "first cycle (rate the estate, build the snapshot) until listening: {:.2?}; RSS {:.0} MiB",
        started.elapsed(),
        vm(pid, "VmRSS:")
    );
    let (_, list, _) = get(&addr, "/findings");
    let ids: Vec<String> = list
        .split("href=\"/findings/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .take(10)
        .collect();
    let matched = list
        .split(" finding(s)")
        .next()
        .and_then(|s| s.rsplit('>').next())
        .unwrap_or("?")
        .trim()
        .to_string();
    println!("{matched} open findings");
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "page", "first", "median", "bytes"
    );
    let mut rows: Vec<(String, (Duration, Duration, usize))> = Vec::new();
    for path in [
        "/",
        "/findings",
        "/findings?page=2000",
        "/findings?severity=critical",
        "/findings?owner=team-7&severity=high",
        "/timeline",
        "/feeds",
        "/notifications",
        "/metrics",
    ] {
        rows.push((path.to_string(), time(&addr, path, 9)));
    }
    for id in &ids {
        rows.push((
            format!("/findings/{id}"),
            time(&addr, &format!("/findings/{id}"), 9),
        ));
    }
    // An owner's token: the first request builds the owner's view (their cut of every finding),
    // kept with the snapshot for the next ones.
    for path in ["/", "/findings", "/timeline"] {
        rows.push((
            format!("{path} (owner team-7)"),
            time_as(&addr, path, 9, OWNER_TOKEN),
        ));
    }
    for (path, (first, median, bytes)) in &rows {
        println!("{path:<44} {first:>10.2?} {median:>10.2?} {bytes:>10}");
    }
    let finding_pages: Vec<&(Duration, Duration, usize)> = rows
        .iter()
        .filter(|(p, _)| p.starts_with("/findings/"))
        .map(|(_, t)| t)
        .collect();
    if !finding_pages.is_empty() {
        let worst_first = finding_pages.iter().map(|t| t.0).max().unwrap_or_default();
        let worst_median = finding_pages.iter().map(|t| t.1).max().unwrap_or_default();
        println!(
            "finding pages: worst first {worst_first:.2?}, worst median {worst_median:.2?} (target ≤ 100 ms)"
        );
    }
    println!(
        "server RSS now {:.0} MiB, peak {:.0} MiB (target ≤ 1536 MiB)",
        vm(pid, "VmRSS:"),
        vm(pid, "VmHWM:")
    );
    let _ = child.kill();
    let _ = child.wait();
}
