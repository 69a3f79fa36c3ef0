//! Loading a generated inventory of 1,000,000 component entries from JSON: wall time and peak RSS.
//!
//! `cargo bench --bench inventory_load` (set `FIRMWATCH_BENCH_SYSTEMS` to change the size; each
//! system has 250 component entries). The parent generates the file; a child process (this binary
//! re-run with `FIRMWATCH_BENCH_LOAD=<file>`) does only the load, so its peak RSS (`VmHWM` from
//! `/proc/self/status`) is the loader's, not the generator's. Targets: < 5 s, < 1 GB.

#[path = "support/inventory_gen.rs"]
mod inventory_gen;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PER_SYSTEM: usize = 250;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of this process, all its threads (a large JSON file is parsed on all cores), in
/// seconds: user + system time from `/proc/self/stat`, in clock ticks of 1/100 s (Linux's
/// `USER_HZ`). On a shared machine wall time includes waiting for a core; this does not.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn child(path: &Path) {
    let cpu0 = cpu_secs().unwrap_or(0.0);
    let start = Instant::now();
    let inv = match firmwatch::inventory::load_path(path) {
        Ok(inv) => inv,
        Err(firmwatch::inventory::LoadError::Invalid(report)) => {
            eprint!("{}", report.render_plain());
            std::process::exit(1);
        }
        Err(e) => panic!("{e}"),
    };
    let elapsed = start.elapsed();
    let cpu = cpu_secs().unwrap_or(0.0) - cpu0;
    let entries: usize = inv.systems.values().map(|s| s.components.len()).sum();
    println!(
        "loaded {} systems, {entries} component entries ({} components), {} groups in {:.2} s wall, {cpu:.2} s CPU; peak RSS {:.0} MiB",
        inv.systems.len(),
        inv.component_count(),
        inv.groups.len(),
        elapsed.as_secs_f64(),
        vm_hwm_kib().unwrap_or(0) as f64 / 1024.0
    );
}

fn main() {
    firmwatch::allocator::configure();
    if let Some(path) = std::env::var_os("FIRMWATCH_BENCH_LOAD") {
        child(Path::new(&path));
        return;
    }
    let systems: usize = std::env::var("FIRMWATCH_BENCH_SYSTEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4_000);
    let shape = inventory_gen::Shape {
        systems,
        entries_per_system: PER_SYSTEM,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("estate.json");
    let start = Instant::now();
    let text = inventory_gen::generate(&shape);
    std::fs::write(&file, &text).expect("write");
    println!(
        "generated {} component entries ({:.0} MiB JSON) in {:.2} s",
        shape.entries(),
        text.len() as f64 / (1024.0 * 1024.0),
        start.elapsed().as_secs_f64()
    );
    drop(text);
    let exe = std::env::current_exe().expect("current exe");
    let status = Command::new(exe)
        .env("FIRMWATCH_BENCH_LOAD", &file)
        .status()
        .expect("run the load");
    assert!(status.success(), "load failed");
}

/// Measured with the allocator of the `firmwatch` command (`src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
