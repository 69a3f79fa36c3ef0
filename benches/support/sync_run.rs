//! The sync benchmark's harness, shared by `benches/sync.rs` and `tests/it/bench_smoke.rs`.
//!
//! Generates `docs` synthetic advisories (`firmwatch::synth::advisories`), writes each as one
//! document into one of five served feeds on a [`Mirror`]:
//! - `prov-rolie`: a CSAF provider whose `provider-metadata.json` names one ROLIE feed; each entry
//!   links the document and its `.sha256` (2 requests per new document);
//! - `prov-dir`: a CSAF provider with only a `directory_url`, listed by `changes.csv`, with
//!   `.sha512` files (the collector probes `.sha512` first, so again 2 requests per document);
//! - `native`, `osv`, `cve5`: served directories with an `index.txt` and, in [`Listing::Timed`]
//!   (the default), per-entry times: `changes.csv` for native and CVE 5, OSV's `modified_id.csv`
//!   for OSV (so the OSV feed also pays one 404 per sync for the `changes.csv` tried first).
//!
//! Deployed-storage advisories go to `native` (only that format says what a bug does); the rest is
//! spread 30 % / 20 % / 15 % / 20 % / 15 % over ROLIE / directory / native / OSV / CVE 5.
//!
//! Then it runs `collect::sync` into a fresh `AnyStore` — full sync, re-sync with nothing
//! changed, and `rounds` incremental rounds that each change `changed` documents (new revision:
//! title and dates change, listings get the new time) — and reports time, requests and memory.
//!
//! The mirror runs either in this process ([`run`]), so its documents count in this process's
//! resident memory, or in a child process ([`run_apart`], [`MirrorChild`]): the same bench binary
//! started with [`SERVE_MIRROR`] generates and serves the corpus, prints `listening on
//! http://ADDR`, and answers one-line commands on stdin ([`answer`]): reset and read its request
//! counters, change a round of documents, report its own peak memory. Then this process holds only
//! the client, and its peak is the client's alone.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use firmwatch::collect::{self, FeedDef, SyncOptions, SyncReport};
use firmwatch::model::Advisory;
use firmwatch::store::AnyStore;
use firmwatch::synth::{self, Rng};
use sha2::{Digest, Sha256, Sha512};

#[path = "proc_stat.rs"]
mod proc_stat;
pub use proc_stat::cpu_time;

use crate::docs;
use crate::mirror::{Counts, Mirror};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Rolie,
    Dir,
    Native,
    Osv,
    Cve5,
}

impl Slot {
    pub const ALL: [Slot; 5] = [Slot::Rolie, Slot::Dir, Slot::Native, Slot::Osv, Slot::Cve5];
}

pub struct Doc {
    pub advisory: usize,
    pub slot: Slot,
    pub revision: u32,
    /// The change round that last touched it (0: original).
    pub round: u32,
}

pub struct Corpus {
    pub advisories: Vec<Advisory>,
    pub docs: Vec<Doc>,
    pub listing: Listing,
}

fn file_name(a: &Advisory, slot: Slot) -> String {
    let id = a.id.to_string().to_ascii_lowercase();
    match slot {
        Slot::Cve5 => format!("{id}.cve.json"),
        // As in OSV's export: `<ID>.json`, the id exactly as `modified_id.csv` names it.
        Slot::Osv => format!("{}.json", a.id),
        _ => format!("{id}.json"),
    }
}

/// How the served `native` / `osv` / `cve5` directories are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// What a mirror of firmwatch's publishes: `index.txt` plus per-entry times — `changes.csv`
    /// (`<path>,<time>`, newest first) for native and CVE 5, OSV's own `modified_id.csv`
    /// (`<time>,<id>`, newest first) for OSV. The collector reads the timed listing.
    Timed,
    /// `index.txt` only: every document is revalidated on every sync.
    IndexOnly,
}

impl Corpus {
    pub fn generate(seed: u64, n: usize, listing: Listing) -> Corpus {
        let advisories = synth::advisories(seed, n);
        let mut rng = Rng::new(seed ^ 0x5EED);
        let docs = advisories
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let deployed_storage = !a.vendor.starts_with("vendor-")
                    && (!a.effects.is_empty() && a.effects != [firmwatch::model::Effect::Security]
                        || !a.triggers.is_empty());
                let slot = if deployed_storage {
                    Slot::Native
                } else {
                    match rng.below(100) {
                        0..=29 => Slot::Rolie,
                        30..=49 => Slot::Dir,
                        50..=64 => Slot::Native,
                        65..=84 => Slot::Osv,
                        _ => Slot::Cve5,
                    }
                };
                Doc {
                    advisory: i,
                    slot,
                    revision: 0,
                    round: 0,
                }
            })
            .collect();
        Corpus {
            advisories,
            docs,
            listing,
        }
    }

    fn body(&self, d: &Doc) -> Vec<u8> {
        let a = &self.advisories[d.advisory];
        let v = match d.slot {
            Slot::Rolie | Slot::Dir => docs::csaf(a, d.revision),
            Slot::Native => docs::native(a, d.revision),
            Slot::Osv => docs::osv(a, d.revision),
            Slot::Cve5 => docs::cve5(a, d.revision),
        };
        serde_json::to_vec(&v).expect("serialize")
    }

    /// Listed time: originals spread over three years (as a real provider's history), a changed
    /// document gets the time of its change round (an hour apart).
    fn time(&self, d: &Doc) -> String {
        let t = if d.round == 0 {
            let base = chrono::DateTime::parse_from_rfc3339("2023-01-01T00:00:00Z").expect("time");
            base + chrono::Duration::minutes((d.advisory as i64 * 7) % (3 * 365 * 24 * 60))
        } else {
            let base = chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z").expect("time");
            base + chrono::Duration::hours(i64::from(d.round))
        };
        t.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    fn path(&self, d: &Doc) -> String {
        let a = &self.advisories[d.advisory];
        let name = file_name(a, d.slot);
        match d.slot {
            Slot::Rolie => format!("/rolie/docs/{name}"),
            Slot::Dir => format!("/dirprov/white/2026/{name}"),
            Slot::Native => format!("/native/{name}"),
            Slot::Osv => format!("/osv/{name}"),
            Slot::Cve5 => format!("/cve5/{name}"),
        }
    }

    /// Publish one document (and its hash file).
    fn put_doc(&self, m: &Mirror, d: &Doc) {
        let body = self.body(d);
        let path = self.path(d);
        match d.slot {
            Slot::Rolie => {
                let h = format!("{}  x.json\n", hex::encode(Sha256::digest(&body)));
                m.put(&format!("{path}.sha256"), h.into_bytes(), false);
            }
            Slot::Dir => {
                let h = format!("{}  x.json\n", hex::encode(Sha512::digest(&body)));
                m.put(&format!("{path}.sha512"), h.into_bytes(), false);
            }
            _ => {}
        }
        m.put(&path, body, true);
    }

    /// Publish the listings (provider metadata, ROLIE feed, changes.csv, index.txt files).
    fn put_listings(&self, m: &Mirror) {
        let base = &m.base;
        m.put(
            "/rolie/provider-metadata.json",
            rolie_provider_metadata(base, "rolie"),
            false,
        );
        m.put(
            "/dirprov/provider-metadata.json",
            serde_json::to_vec(&serde_json::json!({
                "canonical_url": format!("{base}/dirprov/provider-metadata.json"),
                "distributions": [{"directory_url": format!("{base}/dirprov/white/")}],
                "metadata_version": "2.0",
                "list_on_CSAF_aggregators": true,
                "publisher": {"category": "vendor", "name": "Mirror", "namespace": "https://mirror.example"},
                "role": "csaf_provider"
            }))
            .expect("json"),
            false,
        );
        let mut entries = Vec::new();
        let mut changes = String::new();
        let mut index = [String::new(), String::new(), String::new()];
        // (time, line) per served directory, sorted newest first below.
        let mut timed: [Vec<(String, String)>; 3] = Default::default();
        for d in &self.docs {
            let a = &self.advisories[d.advisory];
            let name = file_name(a, d.slot);
            match d.slot {
                Slot::Rolie => {
                    let url = format!("{base}{}", self.path(d));
                    let id = a.id.to_string();
                    entries.push(rolie_entry(
                        &id,
                        &self.time(d),
                        "2026-01-01T00:00:00Z",
                        &url,
                    ));
                }
                Slot::Dir => {
                    changes.push_str(&format!("\"2026/{name}\",\"{}\"\n", self.time(d)));
                }
                Slot::Native | Slot::Osv | Slot::Cve5 => {
                    let k = match d.slot {
                        Slot::Native => 0,
                        Slot::Osv => 1,
                        _ => 2,
                    };
                    index[k].push_str(&format!("{name}\n"));
                    let t = self.time(d);
                    let line = if d.slot == Slot::Osv {
                        format!("{t},{}\n", a.id)
                    } else {
                        format!("{name},{t}\n")
                    };
                    timed[k].push((t, line));
                }
            }
        }
        m.put(
            "/rolie/white-feed.json",
            rolie_feed(base, "rolie", entries),
            false,
        );
        m.put("/dirprov/white/changes.csv", changes.into_bytes(), false);
        for (dir, text) in ["native", "osv", "cve5"].iter().zip(index) {
            m.put(&format!("/{dir}/index.txt"), text.into_bytes(), false);
        }
        if self.listing == Listing::Timed {
            for (dir, mut lines) in ["native", "osv", "cve5"].into_iter().zip(timed) {
                lines.sort_by(|a, b| b.0.cmp(&a.0));
                let text: String = lines.into_iter().map(|(_, l)| l).collect();
                let name = if dir == "osv" {
                    "modified_id.csv"
                } else {
                    "changes.csv"
                };
                m.put(&format!("/{dir}/{name}"), text.into_bytes(), false);
            }
        }
    }

    pub fn publish(&self, m: &Mirror) {
        for d in &self.docs {
            self.put_doc(m, d);
        }
        self.put_listings(m);
    }

    /// Give `k` documents (chosen by `rng`, distinct) a new revision and republish them.
    pub fn change(&mut self, m: &Mirror, rng: &mut Rng, k: usize, round: u32) {
        let n = self.docs.len();
        let k = k.min(n);
        let mut chosen = std::collections::HashSet::new();
        while chosen.len() < k {
            chosen.insert(rng.below(n as u64) as usize);
        }
        for &i in &chosen {
            self.docs[i].revision += 1;
            self.docs[i].round = round;
        }
        for &i in &chosen {
            self.put_doc(m, &self.docs[i]);
        }
        self.put_listings(m);
    }
}

/// A CSAF provider's `provider-metadata.json` at `{base}/{dir}/`, naming one ROLIE feed of TLP
/// WHITE there (`white-feed.json`).
pub fn rolie_provider_metadata(base: &str, dir: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "canonical_url": format!("{base}/{dir}/provider-metadata.json"),
        "distributions": [{"rolie": {"feeds": [{"summary": "WHITE advisories", "tlp_label": "WHITE", "url": format!("{base}/{dir}/white-feed.json")}]}}],
        "metadata_version": "2.0",
        "list_on_CSAF_aggregators": true,
        "publisher": {"category": "vendor", "name": "Mirror", "namespace": "https://mirror.example"},
        "role": "csaf_provider"
    }))
    .expect("json")
}

/// A ROLIE entry for the CSAF document `id` at `url`, with its `.sha256` file.
pub fn rolie_entry(id: &str, updated: &str, published: &str, url: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": id,
        "updated": updated,
        "published": published,
        "link": [{"rel": "self", "href": url}, {"rel": "hash", "href": format!("{url}.sha256")}],
        "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
        "content": {"type": "application/json", "src": url}
    })
}

/// The ROLIE feed `{base}/{dir}/white-feed.json` of `entries`.
pub fn rolie_feed(base: &str, dir: &str, entries: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"feed": {
        "id": "mirror-white", "title": "Mirror WHITE advisories",
        "link": [{"rel": "self", "href": format!("{base}/{dir}/white-feed.json")}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": "2026-01-01T00:00:00Z",
        "entry": entries
    }}))
    .expect("json")
}

/// The five feed definitions naming the mirror at `base` (`http://ADDR`).
pub fn feeds(base: &str, dir: &std::path::Path) -> Vec<FeedDef> {
    [
        (
            "prov-rolie",
            "csaf-provider",
            format!("{base}/rolie/provider-metadata.json"),
        ),
        (
            "prov-dir",
            "csaf-provider",
            format!("{base}/dirprov/provider-metadata.json"),
        ),
        ("mirror-native", "native-dir", format!("{base}/native/")),
        ("mirror-osv", "osv-dir", format!("{base}/osv/")),
        ("mirror-cve5", "cve5-dir", format!("{base}/cve5/")),
    ]
    .into_iter()
    .map(|(id, kind, url)| {
        let text = format!("id = \"{id}\"\nkind = \"{kind}\"\nurl = \"{url}\"\n");
        let file = dir.join(format!("{id}.toml"));
        collect::feed::parse_feed(&text, &file, dir).expect("feed definition")
    })
    .collect()
}

/// Peak resident memory of this process (VmHWM), MiB.
pub fn peak_rss_mib() -> f64 {
    proc_status_kib("VmHWM:") / 1024.0
}

/// Current resident memory (VmRSS), MiB.
pub fn rss_mib() -> f64 {
    proc_status_kib("VmRSS:") / 1024.0
}

fn proc_status_kib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN)
}

/// Reset VmHWM to the current RSS (Linux `clear_refs` value 5), so a phase's peak can be read.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub elapsed: Duration,
    /// CPU time of this process in the phase (the client's alone when the mirror runs apart).
    pub cpu: Duration,
    /// The mirror process's CPU time in the phase, when it runs apart: with the client's, what
    /// the phase took of the machine's cores.
    pub mirror_cpu: Option<Duration>,
    pub counts: Counts,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub fetched: usize,
    pub failed: Vec<String>,
    pub rss_before_mib: f64,
    pub peak_rss_mib: f64,
    pub store_bytes: u64,
}

pub struct Figures {
    pub docs: usize,
    pub published_mib: f64,
    /// Generating and publishing the corpus (in the child: from its start to its `listening` line).
    pub generate: Duration,
    pub phases: Vec<Phase>,
    /// The mirror process's own peak resident memory (VmHWM), MiB, when it ran apart.
    pub mirror_peak_mib: Option<f64>,
}

/// The mirror the client syncs from, and what changes its documents between rounds.
pub enum Served {
    /// In this process: its documents count in this process's memory.
    Here {
        corpus: Corpus,
        mirror: Mirror,
        rng: Rng,
    },
    /// In a child process.
    Apart(MirrorChild),
}

impl Served {
    fn base(&self) -> &str {
        match self {
            Served::Here { mirror, .. } => &mirror.base,
            Served::Apart(c) => &c.base,
        }
    }

    fn reset_counts(&mut self) {
        match self {
            Served::Here { mirror, .. } => mirror.reset_counts(),
            Served::Apart(c) => c.expect_ok("reset"),
        }
    }

    fn counts(&mut self) -> Counts {
        match self {
            Served::Here { mirror, .. } => mirror.counts(),
            Served::Apart(c) => c.counts(),
        }
    }

    /// The mirror process's CPU time so far; `None` in this process (not told apart from the
    /// client's).
    fn cpu_time(&mut self) -> Option<Duration> {
        match self {
            Served::Here { .. } => None,
            Served::Apart(c) => Some(c.process.cpu_time()),
        }
    }

    /// Give `k` documents a new revision in change round `round`.
    fn change(&mut self, k: usize, round: u32) {
        match self {
            Served::Here {
                corpus,
                mirror,
                rng,
            } => corpus.change(mirror, rng, k, round),
            Served::Apart(c) => c.expect_ok(&format!("change {k} {round}")),
        }
    }
}

/// The argument that makes the sync bench binary serve a mirror instead of measuring:
/// `<bench> --serve-mirror SEED DOCS timed|index-only`.
pub const SERVE_MIRROR: &str = "--serve-mirror";

/// The line a mirror process prints once it serves every document, before its address.
pub const READY: &str = "listening on ";

/// Change rounds draw their documents from this seed (mixed with the corpus seed), wherever the
/// mirror runs, so both placements change the same documents.
const CHANGE_SEED: u64 = 0xC4A5;

/// A bench's server in a child process (the bench binary started with a hidden argument): it
/// prints `listening on http://ADDR` once it serves, then answers one-line commands on its stdin
/// (`peak`: its own VmHWM, `cpu`: its CPU time so far, and each mirror's own); killed when dropped.
pub struct ChildServer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// `http://ADDR` as the child printed it.
    pub base: String,
}

impl ChildServer {
    /// Start `exe ARGS` and wait for its `listening on` line (it may first generate a large
    /// corpus).
    pub fn start(exe: &std::path::Path, args: &[&str]) -> ChildServer {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start the mirror process {}: {e}", exe.display()));
        let stdin = child.stdin.take().expect("child stdin");
        let stdout = BufReader::new(child.stdout.take().expect("child stdout"));
        let mut c = ChildServer {
            child,
            stdin,
            stdout,
            base: String::new(),
        };
        let line = c.line();
        c.base = line
            .strip_prefix(READY)
            .unwrap_or_else(|| panic!("the mirror process printed `{line}`, not its address"))
            .to_string();
        c
    }

    /// The next line the child prints.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .expect("read the mirror process");
        assert!(n > 0, "the mirror process ended");
        line.trim_end().to_string()
    }

    /// Send one command, return its one-line answer.
    pub fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("write to the mirror process");
        self.stdin.flush().expect("write to the mirror process");
        self.line()
    }

    /// Send `command` and read the `n` counts of its answer (the words after the first).
    pub fn ask_counts(&mut self, command: &str, n: usize) -> Vec<u64> {
        let answer = self.ask(command);
        let v: Vec<u64> = answer
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().expect("a count"))
            .collect();
        assert_eq!(v.len(), n, "the child's answer to `{command}`: `{answer}`");
        v
    }

    /// The child's own peak resident memory, MiB.
    pub fn peak_rss_mib(&mut self) -> f64 {
        self.ask("peak")
            .strip_prefix("peak ")
            .and_then(|m| m.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// The child's CPU time so far (every thread, user + system).
    pub fn cpu_time(&mut self) -> Duration {
        let answer = self.ask("cpu");
        let secs: f64 = answer
            .strip_prefix("cpu ")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("the mirror process's `cpu`: `{answer}`"));
        Duration::from_secs_f64(secs)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mirror in a child process (`exe` started with [`SERVE_MIRROR`]).
pub struct MirrorChild {
    process: ChildServer,
    /// `http://ADDR` as the child printed it.
    pub base: String,
    /// Bytes of every published body.
    pub published_bytes: u64,
}

impl MirrorChild {
    /// Start `exe --serve-mirror …` and wait for its `listening on` line (it comes once the
    /// corpus is generated and published, so it may take a while for a large one).
    pub fn start(exe: &std::path::Path, seed: u64, n: usize, listing: Listing) -> MirrorChild {
        let listing = match listing {
            Listing::Timed => "timed",
            Listing::IndexOnly => "index-only",
        };
        let mut process = ChildServer::start(
            exe,
            &[SERVE_MIRROR, &seed.to_string(), &n.to_string(), listing],
        );
        let published_bytes = process
            .line()
            .strip_prefix("published ")
            .and_then(|b| b.parse().ok())
            .expect("the mirror process's `published BYTES` line");
        MirrorChild {
            base: process.base.clone(),
            process,
            published_bytes,
        }
    }

    fn ask(&mut self, command: &str) -> String {
        self.process.ask(command)
    }

    fn expect_ok(&mut self, command: &str) {
        let answer = self.ask(command);
        assert_eq!(answer, "ok", "the mirror process's answer to `{command}`");
    }

    fn counts(&mut self) -> Counts {
        let v = self.process.ask_counts("counts", 5);
        Counts {
            requests: v[0],
            ok: v[1],
            not_modified: v[2],
            not_found: v[3],
            document_downloads: v[4],
        }
    }

    /// The mirror process's own peak resident memory, MiB.
    pub fn peak_rss_mib(&mut self) -> f64 {
        self.process.peak_rss_mib()
    }
}

/// The mirror process: generate the corpus, serve it on 127.0.0.1, print `listening on
/// http://ADDR` and `published BYTES`, then answer commands from stdin until it closes.
pub fn serve_mirror(seed: u64, n: usize, listing: Listing) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The accept loop and the connections run on the runtime's workers; this thread answers.
    let mirror = rt.block_on(Mirror::start());
    let corpus = Corpus::generate(seed, n, listing);
    corpus.publish(&mirror);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{READY}{}", mirror.base).expect("stdout");
    writeln!(out, "published {}", mirror.published_bytes()).expect("stdout");
    out.flush().expect("stdout");
    let rng = Rng::new(seed ^ CHANGE_SEED);
    answer(corpus, &mirror, rng, std::io::stdin().lock(), out);
}

/// Answer a mirror process's commands, one a line, until `input` ends: `reset` (the request
/// counters) and `change K ROUND` answer `ok`; `counts` answers `counts REQUESTS OK NOT_MODIFIED
/// NOT_FOUND DOCUMENT_DOWNLOADS`; `peak` answers `peak MIB` (this process's VmHWM); `cpu`
/// answers `cpu SECONDS` (this process's CPU time so far).
pub fn answer(
    mut corpus: Corpus,
    mirror: &Mirror,
    mut rng: Rng,
    input: impl BufRead,
    mut output: impl Write,
) {
    for line in input.lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["reset"] => {
                mirror.reset_counts();
                "ok".to_string()
            }
            ["counts"] => {
                let c = mirror.counts();
                format!(
                    "counts {} {} {} {} {}",
                    c.requests, c.ok, c.not_modified, c.not_found, c.document_downloads
                )
            }
            ["change", k, round] => match (k.parse(), round.parse()) {
                (Ok(k), Ok(round)) => {
                    corpus.change(mirror, &mut rng, k, round);
                    "ok".to_string()
                }
                _ => format!("error: `{line}`"),
            },
            ["peak"] => format!("peak {:.1}", peak_rss_mib()),
            ["cpu"] => format!("cpu {:.2}", cpu_time().as_secs_f64()),
            _ => format!("error: unknown command `{line}`"),
        };
        if writeln!(output, "{reply}")
            .and_then(|()| output.flush())
            .is_err()
        {
            break;
        }
    }
}

async fn phase(
    name: &str,
    store: &AnyStore,
    feeds: &[FeedDef],
    served: &mut Served,
) -> (Phase, SyncReport) {
    let opts = SyncOptions::default();
    // For profiling: an idle gap before each phase makes the phases easy to tell apart in a
    // `perf record` timeline (`perf report --time`). Not part of the timed phase.
    if let Some(ms) = std::env::var("FIRMWATCH_BENCH_GAP_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("phase `{name}` starts after a {ms} ms gap");
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    served.reset_counts();
    let mirror_cpu = served.cpu_time();
    let rss_before_mib = rss_mib();
    reset_peak_rss();
    let t = Instant::now();
    let cpu = cpu_time();
    let r = collect::sync(store, feeds, &opts).await;
    let elapsed = t.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    let mirror_cpu = mirror_cpu
        .zip(served.cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    let peak_rss_mib = peak_rss_mib();
    let p = Phase {
        name: name.to_string(),
        elapsed,
        cpu,
        mirror_cpu,
        counts: served.counts(),
        new: r.feeds.iter().map(|f| f.new).sum(),
        updated: r.feeds.iter().map(|f| f.updated).sum(),
        unchanged: r.feeds.iter().map(|f| f.unchanged).sum(),
        fetched: r.feeds.iter().map(|f| f.documents_fetched).sum(),
        failed: r
            .feeds
            .iter()
            .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.feed)))
            .collect(),
        rss_before_mib,
        peak_rss_mib,
        store_bytes: store.size_on_disk().unwrap_or(0),
    };
    (p, r)
}

/// Run the whole scenario with the mirror in this process. `on_phase` sees each phase as it
/// finishes (for live printing).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    seed: u64,
    n: usize,
    changed: usize,
    rounds: usize,
    listing: Listing,
    store_dir: &std::path::Path,
    on_phase: impl FnMut(&Phase),
) -> Figures {
    let t = Instant::now();
    let corpus = Corpus::generate(seed, n, listing);
    let mirror = Mirror::start().await;
    corpus.publish(&mirror);
    let generate = t.elapsed();
    let published_mib = mirror.published_bytes() as f64 / (1024.0 * 1024.0);
    let mut served = Served::Here {
        corpus,
        mirror,
        rng: Rng::new(seed ^ CHANGE_SEED),
    };
    let phases = run_phases(&mut served, changed, rounds, store_dir, on_phase).await;
    Figures {
        docs: n,
        published_mib,
        generate,
        phases,
        mirror_peak_mib: None,
    }
}

/// Run the whole scenario with the mirror in a child process (`exe` is this bench binary), so
/// this process holds only the client: its phases' peaks are the client's alone.
#[allow(clippy::too_many_arguments)]
pub async fn run_apart(
    exe: &std::path::Path,
    seed: u64,
    n: usize,
    changed: usize,
    rounds: usize,
    listing: Listing,
    store_dir: &std::path::Path,
    on_phase: impl FnMut(&Phase),
) -> Figures {
    let t = Instant::now();
    // Blocks until the child has published the corpus; nothing else runs meanwhile.
    let child = MirrorChild::start(exe, seed, n, listing);
    let generate = t.elapsed();
    let published_mib = child.published_bytes as f64 / (1024.0 * 1024.0);
    let mut served = Served::Apart(child);
    let phases = run_phases(&mut served, changed, rounds, store_dir, on_phase).await;
    let mirror_peak_mib = match &mut served {
        Served::Apart(c) => Some(c.peak_rss_mib()),
        Served::Here { .. } => None,
    };
    Figures {
        docs: n,
        published_mib,
        generate,
        phases,
        mirror_peak_mib,
    }
}

async fn run_phases(
    served: &mut Served,
    changed: usize,
    rounds: usize,
    store_dir: &std::path::Path,
    mut on_phase: impl FnMut(&Phase),
) -> Vec<Phase> {
    let feeds = feeds(served.base(), store_dir);
    let store = AnyStore::open(store_dir.join("store"), engine()).expect("open store");
    let mut phases = Vec::new();
    let (p, _) = phase("full sync", &store, &feeds, served).await;
    on_phase(&p);
    phases.push(p);
    let (p, _) = phase("re-sync, nothing changed", &store, &feeds, served).await;
    on_phase(&p);
    phases.push(p);
    for round in 1..=rounds {
        served.change(changed, round as u32);
        let (p, _) = phase(
            &format!("incremental round {round}: {changed} changed"),
            &store,
            &feeds,
            served,
        )
        .await;
        on_phase(&p);
        phases.push(p);
    }
    phases
}

/// The engine of the bench's new store: `FIRMWATCH_STORE_ENGINE` (`redb` or `sled`), or the
/// default.
fn engine() -> Option<firmwatch::store::Engine> {
    std::env::var("FIRMWATCH_STORE_ENGINE")
        .ok()
        .map(|e| e.parse().expect("FIRMWATCH_STORE_ENGINE is redb or sled"))
}
