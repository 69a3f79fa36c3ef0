//! The end-to-end exposure benchmark's harness, shared by `benches/exposure_e2e.rs` and
//! `tests/it/bench_smoke.rs`: the same steps `firmwatch exposure` takes, on a generated estate and
//! advisory set.
//!
//! [`prepare_files`] (not timed) writes the estate as a JSON inventory (`inventory_gen`, Unity
//! arrays with HPE drives) and puts `advisories` synthetic advisories (`firmwatch::synth`) into a
//! `AnyStore` through `Store::put_advisories`, in batches of 10,000 (one transaction each).
//! [`measure`] then times opening the store, `inventory::parse_path`, `pipeline::load_estate`
//! (the inventory's checks, with its vendors' advisories read through the vendor index beside
//! them), `pipeline::prepare` and `pipeline::findings` (index, match, rate). The bench runs
//! [`measure`] in a child process so its peak RSS is the pipeline's alone.

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use firmwatch::classify::Overrides;
use firmwatch::model::FeedId;
use firmwatch::pipeline;
use firmwatch::store::{AnyStore, Store};

use crate::inventory_gen;

/// Component entries per generated system (as in the `inventory_load` bench).
pub const PER_SYSTEM: usize = 250;

/// Write `inventory.json` and the store under `dir`. Returns (components, advisories).
pub fn prepare_files(dir: &Path, components: usize, advisories: usize) -> (usize, usize) {
    let shape = inventory_gen::Shape {
        systems: components.div_ceil(PER_SYSTEM).max(1),
        entries_per_system: PER_SYSTEM,
    };
    std::fs::write(dir.join("inventory.json"), inventory_gen::generate(&shape)).expect("write");
    let store = AnyStore::open(dir.join("store"), engine()).expect("store");
    let feed: FeedId = "synthetic".parse().expect("feed id");
    let all = firmwatch::synth::advisories(42, advisories);
    for chunk in all.chunks(10_000) {
        store.put_advisories(&feed, chunk).expect("put");
    }
    store.flush().expect("flush");
    (shape.entries(), all.len())
}

/// The files of a bench run on this estate: `-- COMPONENTS ADVISORIES` from the command line
/// (defaults 1,000,000 and 300,000), in `FIRMWATCH_BENCH_DIR` (kept and reused when present, so
/// A/B runs and profilers see the same data) or else in `tmp`; written when missing (not timed).
pub fn bench_files(tmp: &Path) -> std::path::PathBuf {
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let components = nums.first().copied().unwrap_or(1_000_000);
    let advisories = nums.get(1).copied().unwrap_or(300_000);
    let dir = std::env::var_os("FIRMWATCH_BENCH_DIR")
        .map_or_else(|| tmp.to_path_buf(), std::path::PathBuf::from);
    if dir.join("inventory.json").is_file() {
        println!("reusing the files in {}", dir.display());
    } else {
        std::fs::create_dir_all(&dir).expect("create dir");
        let t = Instant::now();
        let (c, a) = prepare_files(&dir, components, advisories);
        println!("wrote {c} component entries as JSON and {a} advisories into a store in {:.2?} (not timed)", t.elapsed());
    }
    dir
}

#[derive(Debug, Default)]
pub struct Measured {
    pub open_store: Duration,
    pub parse_inventory: Duration,
    /// The inventory's checks and, beside them, reading its advisories.
    pub check_and_advisories: Duration,
    pub prepare: Duration,
    pub findings: Duration,
    pub total: Duration,
    pub components: u64,
    pub advisories_read: usize,
    pub findings_count: usize,
    /// SHA-256 of the findings as JSON (in their sorted order): equal digests = identical results,
    /// used to check that a performance change did not change behaviour.
    pub digest: String,
    /// Resident memory (VmRSS, MiB) after each step, to see where the peak comes from.
    pub rss_after: Vec<(&'static str, f64)>,
}

/// VmRSS or VmHWM of this process in MiB.
pub fn proc_status_mib(field: &str) -> f64 {
    proc_status_mib_of("self", field)
}

/// VmRSS or VmHWM of process `pid` (`self`: this one) in MiB.
pub fn proc_status_mib_of(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// An `io::Write` that feeds a SHA-256.
struct HashWriter(sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The timed part: what `firmwatch exposure` does before rendering.
pub fn measure(dir: &Path) -> Measured {
    let mut m = Measured::default();
    let start = Instant::now();
    let t = Instant::now();
    let store = AnyStore::open(dir.join("store"), engine()).expect("store");
    m.open_store = t.elapsed();
    let t = Instant::now();
    let parsed = firmwatch::inventory::parse_path(&dir.join("inventory.json")).expect("read");
    m.parse_inventory = t.elapsed();
    m.rss_after
        .push(("parse inventory", proc_status_mib("VmRSS:")));
    let t = Instant::now();
    let (inv, advisories) = pipeline::load_estate(parsed, &store);
    let inv = match inv {
        Ok(inv) => inv,
        Err(firmwatch::inventory::LoadError::Invalid(report)) => {
            panic!("generated inventory invalid:\n{}", report.render_plain())
        }
        Err(e) => panic!("{e}"),
    };
    let advisories = advisories.expect("load advisories");
    m.check_and_advisories = t.elapsed();
    m.components = inv.component_count();
    m.advisories_read = advisories.len();
    m.rss_after
        .push(("check + advisories", proc_status_mib("VmRSS:")));
    let overrides = Overrides::default();
    let t = Instant::now();
    let advisories = pipeline::prepare(advisories, &overrides);
    m.prepare = t.elapsed();
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let t = Instant::now();
    let findings = pipeline::findings(&inv, &advisories, &overrides, today);
    m.findings = t.elapsed();
    m.findings_count = findings.len();
    m.rss_after
        .push(("match + rate", proc_status_mib("VmRSS:")));
    m.total = start.elapsed();
    // Streamed into the hash, so the digest adds no buffer to the peak memory measured after.
    let mut hasher = HashWriter(<sha2::Sha256 as sha2::Digest>::new());
    serde_json::to_writer(&mut hasher, &findings).expect("findings serialize");
    m.digest = hex::encode(sha2::Digest::finalize(hasher.0));
    m
}

/// The engine of the bench's new store: `FIRMWATCH_STORE_ENGINE` (`redb` or `sled`), or the
/// default.
fn engine() -> Option<firmwatch::store::Engine> {
    std::env::var("FIRMWATCH_STORE_ENGINE")
        .ok()
        .map(|e| e.parse().expect("FIRMWATCH_STORE_ENGINE is redb or sled"))
}
