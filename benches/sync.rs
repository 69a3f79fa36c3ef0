//! Sync through the real HTTP path against a generated mirror on 127.0.0.1.
//!
//! `cargo bench --bench sync` (defaults: 200,000 documents, 1,000 changed per round, 10 rounds),
//! or `cargo bench --bench sync -- DOCS CHANGED ROUNDS [index-only] [mirror-apart]`
//! (`index-only`: the served native / OSV / CVE 5 directories publish only `index.txt`, no
//! per-entry times). Prints, per phase: wall time, requests the mirror answered (200 / 304 / 404,
//! and 200s of documents), advisories new / updated, resident memory before the phase and its
//! peak (VmHWM reset before each phase), and the store's size on disk.
//!
//! By default the mirror and its documents live in this process too, so the peak minus the RSS
//! before is what the sync added. With `mirror-apart` the mirror runs in a child process (this
//! binary again, with the hidden `--serve-mirror` argument), so each phase's peak is the client's
//! alone, its CPU time is the client's alone, and each phase also prints the mirror's CPU time
//! (the two share the machine's cores); the mirror process's own peak is printed at the end.
//!
//! Targets: full sync ≤ 30 s (issue #8), ≤ 10 s with the client's peak ≤ 512 MiB (issue #25);
//! re-sync with nothing changed ≤ 2 s with zero document downloads; 1,000 changed ≤ 1 s. The
//! store is on the default engine; `FIRMWATCH_STORE_ENGINE=sled` measures the other.

#[path = "support/docs.rs"]
mod docs;
#[path = "support/mirror.rs"]
mod mirror;
#[path = "support/sync_run.rs"]
mod sync_run;

fn main() {
    firmwatch::allocator::configure();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(sync_run::SERVE_MIRROR) {
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
        let listing = match arg(3) {
            "index-only" => sync_run::Listing::IndexOnly,
            _ => sync_run::Listing::Timed,
        };
        let seed = arg(1).parse().expect("--serve-mirror SEED DOCS LISTING");
        let n = arg(2).parse().expect("--serve-mirror SEED DOCS LISTING");
        sync_run::serve_mirror(seed, n, listing);
        return;
    }
    let apart = args.iter().any(|a| a == "mirror-apart");
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let n = nums.first().copied().unwrap_or(200_000);
    let changed = nums.get(1).copied().unwrap_or(1_000);
    let rounds = nums.get(2).copied().unwrap_or(10);
    let listing = if std::env::args().skip(1).any(|a| a == "index-only") {
        sync_run::Listing::IndexOnly
    } else {
        sync_run::Listing::Timed
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "sync bench ({} store): {n} documents, {changed} changed per round, {rounds} rounds; served dirs listed by {}; mirror {}",
        std::env::var("FIRMWATCH_STORE_ENGINE").unwrap_or_else(|_| "redb".into()),
        match listing {
            sync_run::Listing::Timed => "changes.csv / modified_id.csv (+ index.txt)",
            sync_run::Listing::IndexOnly => "index.txt only",
        },
        if apart {
            "in a child process (RSS: the client's alone)"
        } else {
            "in this process (RSS: mirror and client)"
        }
    );
    let exe = std::env::current_exe().expect("this bench's path");
    let print_phase = |p: &sync_run::Phase| {
        println!(
            "{:<34} {:>9.2?} (CPU {:>8.2?}{})  req {:>7} (200 {:>7}, 304 {:>7}, 404 {:>5}; documents downloaded {:>7})  new {:>7} upd {:>5}  RSS {:>5.0}→peak {:>5.0} MiB  store {:>6.1} MiB{}",
            p.name,
            p.elapsed,
            p.cpu,
            p.mirror_cpu
                .map(|c| format!(", mirror {c:>8.2?}"))
                .unwrap_or_default(),
            p.counts.requests,
            p.counts.ok,
            p.counts.not_modified,
            p.counts.not_found,
            p.counts.document_downloads,
            p.new,
            p.updated,
            p.rss_before_mib,
            p.peak_rss_mib,
            p.store_bytes as f64 / (1024.0 * 1024.0),
            if p.failed.is_empty() { String::new() } else { format!("  FAILED: {:?}", p.failed) }
        );
    };
    let figures = if apart {
        rt.block_on(sync_run::run_apart(
            &exe,
            42,
            n,
            changed,
            rounds,
            listing,
            dir.path(),
            print_phase,
        ))
    } else {
        rt.block_on(sync_run::run(
            42,
            n,
            changed,
            rounds,
            listing,
            dir.path(),
            print_phase,
        ))
    };
    println!(
        "generated and published {} documents ({:.0} MiB) in {:.2?} (not timed)",
        figures.docs, figures.published_mib, figures.generate
    );
    if let Some(mib) = figures.mirror_peak_mib {
        println!("mirror process peak RSS {mib:.0} MiB (not the client's)");
    }
    if let (Some(first), Some(last)) = (figures.phases.first(), figures.phases.last()) {
        println!(
            "store size: {:.1} MiB after the full sync, {:.1} MiB after the last round ({:+.1} %)",
            first.store_bytes as f64 / 1048576.0,
            last.store_bytes as f64 / 1048576.0,
            (last.store_bytes as f64 / first.store_bytes.max(1) as f64 - 1.0) * 100.0
        );
    }
}

/// Measured with the allocator of the `firmwatch` command (`src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
