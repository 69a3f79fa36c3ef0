//! Loading a generated inventory of 1,000,000 component entries from JSON: wall time and peak RSS.
//!
//! `cargo bench --bench inventory_load` (set `FIRMWATCH_BENCH_SYSTEMS` to change the size; each
//! system has 250 component entries). The parent generates the file; a child process (this binary
//! re-run with `FIRMWATCH_BENCH_LOAD=<file>`) does only the load, so its peak RSS (`VmHWM` from
//! `/proc/self/status`) is the loader's, not the generator's. Targets: < 5 s, < 1 GB.

#[path = "support/inventory_gen.rs"]
mod inventory_gen;
#[path = "support/proc_stat.rs"]
mod proc_stat;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PER_SYSTEM: usize = 250;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn child(path: &Path) {
    let cpu0 = proc_stat::cpu_time();
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
    let cpu = proc_stat::cpu_time().saturating_sub(cpu0).as_secs_f64();
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
