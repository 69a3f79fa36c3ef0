//! Memory bounded by design, not by feed size: `firmwatch sync`'s own peak resident memory
//! (the kernel's `ru_maxrss` for the child, from `wait4`) must stay within 512 MiB on
//!
//! - a 200,000-entry listing: a CSAF folder of 200,000 documents named by its `changes.csv`;
//! - 1,000 documents of 200 KiB each (≈ 200 MB) served over HTTP by a CSAF provider;
//!
//! and the sync must store every advisory. Each document is parsed as it arrives and its bytes
//! dropped; advisories go to the store's stage in batches and the feed's commit moves them in
//! (`src/collect/ctx.rs`, `Store::stage_advisories`).
//!
//! The process's own peak is measured rather than a memory cgroup's: a cgroup also charges the
//! page cache of the store file being written, which the kernel may not write back fast enough —
//! that is the disk's speed, not the process's memory.
//!
//! These runs take minutes in a debug build, so they are `#[ignore]`d in the normal suite and
//! run optimised by `.ci/run` (`cargo test --profile memtest --test it memory -- --ignored`).

use std::process::Command;
use std::sync::Arc;

use firmwatch::store::{AnyStore, Store};

use super::{provider_metadata, sha512_file, url_feed};
use crate::support::cmd::Fw;
use crate::support::fixture::Fixture;
use crate::support::http::{Reply, Server};

const LIMIT: u64 = 512 * 1024 * 1024;

/// GNU time, which reports a child's peak resident memory (`%M`, the kernel's `ru_maxrss`).
const TIME: &str = "/usr/bin/time";

/// Whether GNU time is here; without it the tests print a notice and pass, unless
/// `FIRMWATCH_REQUIRE_MEMLIMIT=1` (set by `.ci/run`, which installs it).
fn have_time() -> bool {
    if std::path::Path::new(TIME).exists() {
        return true;
    }
    if std::env::var("FIRMWATCH_REQUIRE_MEMLIMIT").is_ok_and(|v| v == "1") {
        panic!("FIRMWATCH_REQUIRE_MEMLIMIT=1 but {TIME} is missing (Debian package `time`)");
    }
    eprintln!("notice: {TIME} is missing; skipping the memory-bound test");
    false
}

/// Run `fw` to its end under GNU time: its exit code (`None` when a signal ended it), both
/// streams, and its peak resident memory in bytes.
fn run_measured(fw: &Fw, dir: &std::path::Path) -> (Option<i32>, String, u64) {
    let inner = fw.command();
    let report = dir.join("time.txt");
    let mut c = Command::new(TIME);
    c.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output().expect("run firmwatch under GNU time");
    let shown = format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The last line is the figure (a line before it says how the command ended, if not well).
    let kib: u64 = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {}\n{shown}", report.display()));
    (out.status.code(), shown, kib * 1024)
}

/// A small valid CSAF document with tracking id `id`, its vulnerability described by `pad` more
/// bytes of text (which the advisory keeps as its summary).
fn csaf(id: &str, pad: usize) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Acme", "namespace": "https://acme.example"},
            "title": format!("Controller firmware advisory {id}"),
            "tracking": {
                "id": id,
                "current_release_date": "2024-01-01T00:00:00Z",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "Initial"}],
                "status": "final",
                "version": "1"
            },
        },
        "product_tree": {"branches": [{"category": "vendor", "name": "Acme", "branches": [
            {"category": "product_name", "name": "Array", "branches": [
                {"category": "product_version", "name": "1.0",
                 "product": {"product_id": "P1", "name": "Acme Array 1.0"}}]}]}]},
        "vulnerabilities": [{"product_status": {"known_affected": ["P1"]},
                              "notes": [{"category": "description",
                                         "text": format!("A controller may stop. {}", "x".repeat(pad))}]}]
    }))
    .unwrap()
}

/// A sync of the fixture's feeds, asserting it finished within [`LIMIT`] and stored `n`
/// advisories.
fn sync_within_limit(fx: &Fixture, n: usize, what: &str) {
    let fw = Fw::new()
        .store(fx.store())
        .feeds(fx.feeds())
        .args(["sync", "--quiet"]);
    let (code, shown, peak) = run_measured(&fw, fx.path());
    assert_eq!(code, Some(0), "{what}: the sync failed:\n{shown}");
    let stored = AnyStore::open(fx.store(), None)
        .unwrap()
        .all_advisories()
        .unwrap()
        .len();
    assert_eq!(stored, n, "{what}: every advisory stored");
    eprintln!("{what}: peak RSS {} MiB", peak >> 20);
    assert!(
        peak <= LIMIT,
        "{what}: peak RSS {} MiB, over the {} MiB bound",
        peak >> 20,
        LIMIT >> 20
    );
}

#[test]
#[ignore = "minutes in a debug build; `.ci/run` runs it optimised (profile memtest)"]
fn a_200000_entry_listing_syncs_within_512_mib() {
    if !have_time() {
        return;
    }
    const N: usize = 200_000;
    let fx = Fixture::new();
    let root = fx.path().join("csaf");
    std::fs::create_dir_all(root.join("2024")).unwrap();
    let mut csv = String::new();
    for i in 0..N {
        let name = format!("2024/m{i:06}.json");
        std::fs::write(root.join(&name), csaf(&format!("MEM-{i:06}"), 0)).unwrap();
        csv.push_str(&format!("\"{name}\",\"2024-01-01T00:00:00Z\"\n"));
    }
    std::fs::write(root.join("changes.csv"), csv).unwrap();
    fx.feed(
        "big",
        &format!("kind = \"csaf-dir\"\npath = \"{}\"\n", root.display()),
    );
    sync_within_limit(&fx, N, "200,000-entry listing");
}

#[test]
#[ignore = "minutes in a debug build; `.ci/run` runs it optimised (profile memtest)"]
fn a_thousand_documents_of_200_kib_sync_within_512_mib() {
    if !have_time() {
        return;
    }
    const N: usize = 1_000;
    let server = Server::start();
    let meta = server.url("/big/provider-metadata.json");
    server.set_ok(
        "/big/provider-metadata.json",
        provider_metadata(
            &meta,
            &[serde_json::json!({"directory_url": server.url("/big/white/")})],
        ),
    );
    // Documents made on request, so the server does not hold 200 MB itself.
    let doc = |i: usize| csaf(&format!("BIG-{i:04}"), 200 * 1024);
    let mut csv = String::new();
    for i in 0..N {
        let name = format!("b{i:04}.json");
        server.set_fn(
            &format!("/big/white/2024/{name}"),
            Arc::new(move |_| Reply::Ok(doc(i))),
        );
        let name2 = name.clone();
        server.set_fn(
            &format!("/big/white/2024/{name}.sha512"),
            Arc::new(move |_| Reply::Ok(sha512_file(&doc(i), &name2))),
        );
        csv.push_str(&format!("\"2024/{name}\",\"2024-01-01T00:00:00Z\"\n"));
    }
    server.set_ok("/big/white/changes.csv", csv);
    let fx = Fixture::new();
    fx.feed("big", &url_feed("csaf-provider", &meta));
    sync_within_limit(&fx, N, "1,000 documents of 200 KiB");
}
