//! `firmwatch discover` against 1,000 Redfish endpoints: the DMTF `public-localstorage` mockup
//! (BMC, BIOS, a RAID controller, four drives, a power supply, three volumes) served from one
//! loopback server under 1,000 prefixes, walked with the command's default bounds (16 endpoints,
//! 64 requests in flight, 4 per endpoint).
//!
//! `cargo bench --bench discover` (defaults: 1,000 endpoints), or
//! `cargo bench --bench discover -- ENDPOINTS [firmwatch discover options…]`. Needs the corpus
//! (`../shared/corpus`, or `FIRMWATCH_CORPUS`). Prints the wall time of the `firmwatch` process,
//! its peak RSS (GNU time `%M`), the endpoints read and the requests served. Targets (issue #22):
//! ≤ 60 s and ≤ 512 MiB on the 2-core machine.

#[path = "support/discover_run.rs"]
mod discover_run;
#[path = "support/redfish_mock.rs"]
mod redfish_mock;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let endpoints = args
        .first()
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000);
    let extra: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let corpus = std::env::var_os("FIRMWATCH_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    let tree = corpus.join("redfish/mockups/dmtf-public-localstorage");
    assert!(tree.is_dir(), "no corpus tree at {}", tree.display());
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_firmwatch"));
    let f = discover_run::run(bin, &tree, endpoints, &extra, dir.path());
    println!(
        "discover bench: {} endpoints (dmtf-public-localstorage), options {:?}",
        f.endpoints, extra
    );
    println!(
        "wall {:.2?}  peak RSS {}  ok {}  failed {}  parts {}  requests served {}  exit {:?}",
        f.wall,
        f.peak_rss_mib
            .map_or("n/a (no /usr/bin/time)".into(), |m| format!("{m:.0} MiB")),
        f.ok,
        f.failed,
        f.parts,
        f.requests,
        f.exit
    );
}
