//! A real-sized full sync, the client's memory measured alone (issue #25).
//!
//! `cargo bench --bench sync_real [-- SCALE [nvd-only|csaf-only]]` (default 1.0: 400,000 NVD CVE
//! records and 100,000 CSAF documents, each × SCALE; `nvd-only` / `csaf-only` sync that feed alone,
//! to tell the feeds' memory apart). The documents are made from the corpus's real NVD records and
//! CSAF documents (`benches/support/real_sync.rs` says how) and served by a child process (this
//! binary again, with the hidden `--serve-real` argument): an NVD API 2.0 endpoint paging 2,000
//! records at a time, and a CSAF provider with a ROLIE feed and `.sha256` files. This process runs
//! only the client: `collect::sync` of an `nvd` and a `csaf-provider` feed into a fresh store.
//!
//! Printed: the sizes of what is served (min / median / mean / max bytes), wall time, the client's
//! CPU time, its peak RSS (VmHWM of this process) and its RSS over time, advisories stored per
//! feed, the JSON bytes the mirror served, the store's size on disk and its ratio to that JSON.
//!
//! Targets (issue #25): ≤ 60 s wall, client peak RSS ≤ 512 MiB, store ≤ 1.5× the JSON it keeps.
//! The corpus is `FIRMWATCH_CORPUS` or `../shared/corpus`; without it the bench says so and stops.
//! `FIRMWATCH_BENCH_KEEP=<dir>` keeps the synced store in `<dir>`.

#[path = "support/docs.rs"]
mod docs;
#[path = "support/mirror.rs"]
mod mirror;
#[path = "support/real_sync.rs"]
mod real_sync;
#[path = "support/sync_run.rs"]
mod sync_run;

const SEED: u64 = 42;

fn main() {
    firmwatch::allocator::configure();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(real_sync::SERVE_REAL) {
        let arg = |i: usize| -> usize {
            args.get(i)
                .and_then(|a| a.parse().ok())
                .expect("--serve-real SEED NVD CSAF")
        };
        real_sync::serve_process(arg(1) as u64, arg(2), arg(3));
        return;
    }
    let scale: f64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1.0);
    if real_sync::corpus_dir().is_none() {
        println!(
            "sync_real: no corpus (set FIRMWATCH_CORPUS or put it at ../shared/corpus); skipped"
        );
        return;
    }
    let (n_nvd, n_csaf) = real_sync::sizes_at(scale);
    println!(
        "sync_real bench (redb store): scale {scale}: {n_nvd} NVD CVE records in pages of {} and {n_csaf} CSAF documents from a ROLIE provider; mirror in a child process (RSS: the client's alone)",
        real_sync::PAGE
    );
    let exe = std::env::current_exe().expect("this bench's path");
    let t = std::time::Instant::now();
    let mut child = real_sync::MirrorProcess::start(&exe, SEED, n_nvd, n_csaf);
    let p = child.published.clone();
    println!(
        "mirror ready in {:.2?} (not timed; making every document once: {:.2?}); templates: {} NVD records, {} CSAF documents",
        t.elapsed(),
        p.prepare,
        p.nvd_templates,
        p.csaf_templates
    );
    println!("served NVD records: {}", p.nvd);
    println!("served CSAF documents: {}", p.csaf);
    println!("ROLIE feed {:.1} MiB", p.rolie_bytes as f64 / 1048576.0);
    // `FIRMWATCH_BENCH_KEEP=<dir>`: the store is synced into <dir> and kept there (to compare
    // the stores two builds sync from the same documents); otherwise into a temporary directory.
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = match std::env::var_os("FIRMWATCH_BENCH_KEEP") {
        Some(keep) => std::path::PathBuf::from(keep),
        None => temp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).expect("store directory");
    let feeds = real_sync::feeds(&child.base, &dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let only = args
        .iter()
        .find_map(|a| a.strip_suffix("-only"))
        .map(str::to_string);
    if let Some(feed) = &only {
        println!("only the `{feed}` feed is synced (the other is served, not asked for)");
    }
    let mirror_cpu = child.cpu_time();
    let run = rt.block_on(real_sync::sync_client(&feeds, &dir, only.as_deref()));
    let mirror_cpu = child.cpu_time().saturating_sub(mirror_cpu);
    let served = child.served();
    let mirror_peak = child.peak_rss_mib();
    drop(child);
    let mib = |b: u64| b as f64 / 1048576.0;
    println!(
        "full sync: wall {:.2?}, client CPU {:.2?} ({:.2} cores), client RSS {:.0} MiB before → peak {:.0} MiB (VmHWM)",
        run.wall,
        run.cpu,
        run.cpu.as_secs_f64() / run.wall.as_secs_f64().max(1e-9),
        run.rss_before_mib,
        run.peak_rss_mib
    );
    for (feed, new, fetched, error) in &run.feeds {
        println!(
            "  feed {feed}: {new} advisories stored, {fetched} documents fetched{}",
            error
                .as_ref()
                .map(|e| format!(", FAILED: {e}"))
                .unwrap_or_default()
        );
    }
    let json = served.nvd_bytes + served.csaf_bytes;
    println!(
        "served JSON: {:.1} MiB ({} NVD pages, {:.1} MiB; {} CSAF documents, {:.1} MiB); {} requests, {} not found",
        mib(json),
        served.nvd_pages,
        mib(served.nvd_bytes),
        served.csaf_docs,
        mib(served.csaf_bytes),
        served.requests,
        served.not_found
    );
    println!(
        "store on disk {:.1} MiB = {:.2}× the JSON served",
        mib(run.store_bytes),
        run.store_bytes as f64 / json.max(1) as f64
    );
    // RSS over the sync, the largest sample of each tenth of it.
    let tenths: Vec<String> = (0..10)
        .map(|k| {
            let (lo, hi) = (
                run.wall.as_secs_f64() * k as f64 / 10.0,
                run.wall.as_secs_f64() * (k + 1) as f64 / 10.0,
            );
            let m = run
                .rss_timeline
                .iter()
                .filter(|(t, _)| *t >= lo && *t < hi)
                .map(|(_, r)| *r)
                .fold(f64::NAN, f64::max);
            format!("{m:.0}")
        })
        .collect();
    println!(
        "client RSS by tenth of the sync (MiB, largest 100 ms sample): {}",
        tenths.join(" ")
    );
    println!(
        "mirror process peak RSS {mirror_peak:.0} MiB, CPU in the sync {mirror_cpu:.2?} (not the client's)"
    );
}

/// Measured with the allocator of the `firmwatch` command (`src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
