//! Exposure end to end, as `firmwatch exposure` does it: JSON inventory from disk, advisories from
//! the store through the vendor index, prepare, match and rate.
//!
//! `cargo bench --bench exposure_e2e` (defaults: 1,000,000 components, 300,000 advisories), or
//! `cargo bench --bench exposure_e2e -- COMPONENTS ADVISORIES`. The parent writes the files (not
//! timed); a child process (this binary with `FIRMWATCH_BENCH_E2E=<dir>`) runs only the timed
//! steps, so the peak RSS printed (VmHWM) is the pipeline's. Targets (issue #8): ≤ 5 s end to end,
//! ≤ 1 GB.

#[path = "support/exposure_run.rs"]
mod exposure_run;
#[path = "support/inventory_gen.rs"]
mod inventory_gen;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn child(dir: &Path) {
    let m = exposure_run::measure(dir);
    println!("open store       {:>9.2?}", m.open_store);
    println!("parse inventory  {:>9.2?}", m.parse_inventory);
    println!(
        "check inventory + read advisories {:>9.2?}  ({} components; {} advisories read through the vendor index)",
        m.check_and_advisories, m.components, m.advisories_read
    );
    println!("prepare          {:>9.2?}", m.prepare);
    println!(
        "match + rate     {:>9.2?}  ({} findings)",
        m.findings, m.findings_count
    );
    println!("total            {:>9.2?}  (target ≤ 5 s)", m.total);
    println!("findings digest  {}", m.digest);
    for (step, mib) in &m.rss_after {
        println!("RSS after {step:<16} {mib:>6.0} MiB");
    }
    println!(
        "peak RSS         {:>9.0} MiB (target ≤ 1024 MiB)",
        exposure_run::proc_status_mib("VmHWM:")
    );
}

fn main() {
    firmwatch::allocator::configure();
    if let Some(dir) = std::env::var_os("FIRMWATCH_BENCH_E2E") {
        child(Path::new(&dir));
        return;
    }
    // `FIRMWATCH_BENCH_DIR=<dir>` keeps the generated files there (and reuses them when present),
    // so the measured child can be re-run under a profiler:
    // `FIRMWATCH_BENCH_E2E=<dir> perf record --call-graph dwarf <bench binary>`.
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = exposure_run::bench_files(tmp.path());
    let exe = std::env::current_exe().expect("current exe");
    let status = Command::new(exe)
        .env("FIRMWATCH_BENCH_E2E", &dir)
        .status()
        .expect("run the child");
    assert!(status.success(), "measurement failed");
    // The real command on the same files, output included: `firmwatch exposure --no-sync` in
    // every format, written to /dev/null (each format streams; the 1 GB target holds for all).
    let feeds = dir.join("no-feeds");
    std::fs::create_dir_all(&feeds).expect("feeds dir");
    for format in ["json", "table", "csv", "markdown", "html"] {
        let t = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(env!("CARGO_BIN_EXE_firmwatch"))
            .arg("--inventory")
            .arg(dir.join("inventory.json"))
            .arg("--store")
            .arg(dir.join("store"))
            .arg("--feeds")
            .arg(&feeds)
            .args([
                "exposure",
                "--no-sync",
                "--today",
                "2026-11-22",
                "--format",
                format,
            ])
            .stdout(std::process::Stdio::null())
            .output()
            .expect("run firmwatch under /usr/bin/time");
        let wall = t.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak_kib: f64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(f64::NAN);
        println!(
            "firmwatch exposure --format {format:<8} {:>9.2?}  peak RSS {:>6.0} MiB  (exit {})",
            wall,
            peak_kib / 1024.0,
            out.status.code().unwrap_or(-1)
        );
    }
}

/// Measured with the allocator of the `firmwatch` command (`src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
