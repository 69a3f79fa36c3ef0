//! Exposure at scale: match and rate a generated estate against a generated advisory set.
//!
//! `cargo bench --bench exposure` (defaults: 1,000,000 components, 300,000 advisories), or
//! `cargo bench --bench exposure -- COMPONENTS ADVISORIES`. Prints the time of each phase and the
//! process's peak resident memory (VmHWM). Generation is not timed. Targets (issue #5): match +
//! rate ≤ 5 s end to end, ≤ 1 GB.

use std::time::Instant;

use chrono::NaiveDate;
use firmwatch::blast::{assess, Context};
use firmwatch::classify::Overrides;
use firmwatch::matcher::{match_inventory, Index};
use firmwatch::synth;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    firmwatch::allocator::configure();
    // `cargo bench` passes `--bench`; positional numbers override the sizes.
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let components = nums.first().copied().unwrap_or(1_000_000);
    let n_adv = nums.get(1).copied().unwrap_or(300_000);

    let t = Instant::now();
    let inv = synth::estate(42, components);
    let advisories = synth::advisories(42, n_adv);
    println!(
        "generated {} systems / {} components and {} advisories in {:.2?} (not timed below)",
        inv.systems.len(),
        inv.component_count(),
        advisories.len(),
        t.elapsed()
    );

    println!("peak RSS after generation {:.0} MiB", peak_rss_mib());
    let start = Instant::now();
    let index = Index::build(&advisories);
    let t_index = start.elapsed();
    let t = Instant::now();
    let exposures = match_inventory(&inv, &advisories, &index);
    let t_match = t.elapsed();
    let t = Instant::now();
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let ctx = Context::new(&inv, &advisories, &exposures, today);
    let findings = assess(&ctx, &Overrides::default());
    let t_rate = t.elapsed();
    let total = start.elapsed();
    println!("index     {:>10.2?}  ({} statements)", t_index, index.len());
    println!(
        "match     {:>10.2?}  ({} exposures)",
        t_match,
        exposures.len()
    );
    println!("rate      {:>10.2?}  ({} findings)", t_rate, findings.len());
    println!("total     {:>10.2?}  (target ≤ 5 s)", total);
    println!("peak RSS  {:>10.0} MiB (target ≤ 1024 MiB)", peak_rss_mib());
}

/// Measured with the allocator of the `firmwatch` command (`src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
