//! Memory bounded by design, not by feed size: `firmwatch sync` runs inside a memory cgroup
//! limited to 512 MiB (RSS and page cache together; no swap) on
//!
//! - a 200,000-entry listing: a CSAF folder of 200,000 documents named by its `changes.csv`;
//! - 1,000 documents of 200 KiB each (≈ 200 MB) served over HTTP by a CSAF provider;
//!
//! and must finish (exit 0, every advisory stored) instead of being killed by the kernel. Each
//! document is parsed as it arrives and its bytes dropped; advisories go to the store's stage in
//! batches and the feed's commit moves them in (`src/collect/ctx.rs`, `Store::stage_advisories`).
//!
//! These runs take minutes in a debug build, so they are `#[ignore]`d in the normal suite and
//! run in release by `.ci/run` (`cargo test --release --test it memory -- --ignored`). Setting
//! up a cgroup needs root; without it the tests print a notice and pass, unless
//! `FIRMWATCH_REQUIRE_MEMLIMIT=1` (set by `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use firmwatch::store::{AnyStore, Store};

use super::{provider_metadata, sha512_file, url_feed};
use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;
use crate::support::http::{Reply, Server};

const LIMIT: u64 = 512 * 1024 * 1024;

/// A memory cgroup (v1 or v2) of its own, removed when dropped.
struct MemCgroup {
    dir: PathBuf,
    v2: bool,
}

impl MemCgroup {
    /// A cgroup limited to `limit` bytes, or `None` after a notice where this machine does not
    /// allow one (and `FIRMWATCH_REQUIRE_MEMLIMIT` is not `1`).
    fn new(limit: u64) -> Option<MemCgroup> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "firmwatch-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let v1 = Path::new("/sys/fs/cgroup/memory");
        let v2 = Path::new("/sys/fs/cgroup");
        let made = if v1.join("memory.limit_in_bytes").exists() {
            let dir = v1.join(&name);
            std::fs::create_dir(&dir)
                .and_then(|_| std::fs::write(dir.join("memory.limit_in_bytes"), limit.to_string()))
                .and_then(|_| {
                    // No swap to escape to, where the kernel accounts for it.
                    let memsw = dir.join("memory.memsw.limit_in_bytes");
                    if memsw.exists() {
                        std::fs::write(memsw, limit.to_string())?;
                    }
                    Ok(())
                })
                .map(|_| MemCgroup { dir, v2: false })
        } else if std::fs::read_to_string(v2.join("cgroup.controllers"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"))
        {
            let dir = v2.join(&name);
            std::fs::create_dir(&dir)
                .and_then(|_| std::fs::write(dir.join("memory.max"), limit.to_string()))
                .and_then(|_| {
                    let swap = dir.join("memory.swap.max");
                    if swap.exists() {
                        std::fs::write(swap, "0")?;
                    }
                    Ok(())
                })
                .map(|_| MemCgroup { dir, v2: true })
        } else {
            Err(std::io::Error::other("no memory cgroup controller"))
        };
        match made {
            Ok(c) => Some(c),
            Err(e) => {
                if std::env::var("FIRMWATCH_REQUIRE_MEMLIMIT").is_ok_and(|v| v == "1") {
                    panic!("FIRMWATCH_REQUIRE_MEMLIMIT=1 but no memory cgroup can be made: {e}");
                }
                eprintln!("notice: no memory cgroup ({e}); skipping the memory-bound test");
                None
            }
        }
    }

    /// Run `fw` inside the cgroup (it joins before `exec`, so all of its memory counts), and
    /// the most the cgroup was charged, in bytes.
    fn run(&self, fw: &Fw) -> (Run, u64) {
        let inner = fw.command();
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"")
            .arg(&self.dir)
            .arg(inner.get_program())
            .args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let run = Run(c.output().expect("run firmwatch in the cgroup"));
        let peak = if self.v2 {
            "memory.peak"
        } else {
            "memory.max_usage_in_bytes"
        };
        let peak = std::fs::read_to_string(self.dir.join(peak))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        (run, peak)
    }
}

impl Drop for MemCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
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

/// A sync inside the cgroup, asserting it finished and stored `n` advisories.
fn sync_within_limit(cg: &MemCgroup, fx: &Fixture, n: usize, what: &str) {
    let fw = Fw::new()
        .store(fx.store())
        .feeds(fx.feeds())
        .args(["sync", "--quiet"]);
    let (run, peak) = cg.run(&fw);
    assert_eq!(
        run.code(),
        Some(0),
        "{what}: the sync must finish within {} MiB (killed by the kernel when it exits by a signal):\n{}",
        LIMIT >> 20,
        run.show()
    );
    let stored = AnyStore::open(fx.store(), None)
        .unwrap()
        .all_advisories()
        .unwrap()
        .len();
    assert_eq!(stored, n, "{what}: every advisory stored");
    eprintln!(
        "{what}: finished under a {} MiB limit, cgroup charged at most {} MiB (RSS and page cache)",
        LIMIT >> 20,
        peak >> 20
    );
}

#[test]
#[ignore = "minutes in a debug build; `.ci/run` runs it in release"]
fn a_200000_entry_listing_syncs_within_512_mib() {
    let Some(cg) = MemCgroup::new(LIMIT) else {
        return;
    };
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
    sync_within_limit(&cg, &fx, N, "200,000-entry listing");
}

#[test]
#[ignore = "minutes in a debug build; `.ci/run` runs it in release"]
fn a_thousand_documents_of_200_kib_sync_within_512_mib() {
    let Some(cg) = MemCgroup::new(LIMIT) else {
        return;
    };
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
    sync_within_limit(&cg, &fx, N, "1,000 documents of 200 KiB");
}
