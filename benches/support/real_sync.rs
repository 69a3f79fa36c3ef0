//! The real-sized sync benchmark's harness (issue #25), shared by `benches/sync_real.rs` and
//! `tests/it/bench_smoke.rs`.
//!
//! Documents of real size and shape: the real NVD CVE records of the corpus (`nvd/*.json`, the
//! `vulnerabilities[].cve` objects of NVD API 2.0 responses) and the real CSAF documents under
//! `csaf/` (validator test cases left out) are the templates. Document `i` of a kind takes the
//! template a seeded hash of `i` picks (uniformly, so the served sizes follow the templates'), and
//! changes in it:
//! - its id: `CVE-YYYY-NNNNNN` (NNNNNN = 100,000 + `i`, so every id is distinct) for NVD,
//!   `SYN-CSAF-YYYY-NNNNNN` as the CSAF `document.tracking.id`;
//! - its dates (NVD `published` / `lastModified`; CSAF tracking, revision history and
//!   vulnerability dates): the year moved back 0–3 years, the same for every date of a document so
//!   their order holds (a 29 February stays in its year);
//! - its affected product versions (NVD `cpeMatch` criteria versions and `versionStart…` /
//!   `versionEnd…` bounds; CSAF `product_version` and `product_version_range` branch names): every
//!   run of digits plus the same 1–9, which keeps a range's order and a vers string valid.
//!
//! A template is kept as the bytes of its serialization cut at those values ([`Template`]), so a
//! document is made on request by copying the pieces and writing the values between them: the
//! mirror holds the templates, a SHA-256 per CSAF document and the ROLIE feed, not the documents.
//! NVD records are written compactly (as the API sends them), CSAF documents pretty-printed with
//! two spaces (as providers publish them). A template firmwatch's own parser rejects is left out.
//!
//! Served ([`serve`]) on the loopback [`Mirror`]: `GET /rest/json/cves/2.0?startIndex=…
//! &resultsPerPage=…` answers an NVD API 2.0 response (`resultsPerPage`, `startIndex`,
//! `totalResults`, `format`, `version`, `timestamp`, `vulnerabilities`) of at most 2,000 records,
//! and `/csaf/provider-metadata.json` names one ROLIE feed whose entries link each document and
//! its `.sha256`. The bench runs this in a child process ([`MirrorProcess`]); the client
//! ([`sync_client`]) runs `collect::sync` with an `nvd` and a `csaf-provider` feed.

#![allow(dead_code)]

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firmwatch::collect::formats::{parse_document, DocContext, DocFormat};
use firmwatch::collect::{self, FeedDef, SyncOptions};
use firmwatch::store::AnyStore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::mirror::{Dynamic, Mirror};
use crate::sync_run;

/// NVD records at scale 1 (issue #25).
pub const NVD_AT_1X: f64 = 400_000.0;
/// CSAF documents at scale 1.
pub const CSAF_AT_1X: f64 = 100_000.0;
/// The NVD API's largest page, which the client asks for.
pub const PAGE: usize = 2_000;
/// The NVD API endpoint's path.
pub const NVD_PATH: &str = "/rest/json/cves/2.0";
/// The argument that makes the bench binary serve instead of measuring:
/// `<bench> --serve-real SEED NVD CSAF`.
pub const SERVE_REAL: &str = "--serve-real";

/// The corpus: `FIRMWATCH_CORPUS`, else `../shared/corpus`; `None` if it has no `nvd/` and `csaf/`.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FIRMWATCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    (dir.join("nvd").is_dir() && dir.join("csaf").is_dir()).then_some(dir)
}

/// What a cut-out value becomes in document `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    Id,
    Date,
    Version,
    /// A CPE 2.3 name: only its version field changes.
    Cpe,
}

/// A template document cut at its id, dates and versions.
pub struct Template {
    /// `holes.len() + 1` pieces of the serialized template.
    pieces: Vec<Vec<u8>>,
    holes: Vec<(Hole, String)>,
    /// The year of its first date (the id's year before the shift).
    year: i32,
    pub name: String,
    /// The template file's size on disk (a record's share of its file for NVD responses).
    pub source_bytes: usize,
}

const MARK: &[u8] = b"\"@@H";

impl Template {
    /// Cut `value`: `mark` replaces the strings to vary by markers and lists them.
    fn new(name: String, mut value: Value, pretty: bool, source_bytes: usize) -> Template {
        let mut holes = Vec::new();
        mark(&mut value, &mut Vec::new(), &mut holes);
        let bytes = if pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        }
        .expect("serialize a template");
        // The markers in the order they appear in the bytes (a map's order need not be the walk's).
        let mut pieces = Vec::new();
        let mut ordered = Vec::new();
        let mut rest = &bytes[..];
        while let Some(p) = find(rest, MARK) {
            pieces.push(rest[..p].to_vec());
            let after = &rest[p + MARK.len()..];
            let end = find(after, b"@@\"").expect("a marker's end");
            let k: usize = std::str::from_utf8(&after[..end])
                .expect("marker")
                .parse()
                .expect("marker number");
            ordered.push(holes[k].clone());
            rest = &after[end + 3..];
        }
        pieces.push(rest.to_vec());
        let year = ordered
            .iter()
            .find(|(h, _)| *h == Hole::Date)
            .and_then(|(_, d)| d.get(..4)?.parse().ok())
            .unwrap_or(2024);
        Template {
            pieces,
            holes: ordered,
            year,
            name,
            source_bytes,
        }
    }

    /// Write document `i` with parameters `p` and id `id` into `out`.
    fn render(&self, p: Params, id: &str, out: &mut Vec<u8>) {
        for (k, piece) in self.pieces.iter().enumerate() {
            out.extend_from_slice(piece);
            let Some((hole, orig)) = self.holes.get(k) else {
                break;
            };
            let value = match hole {
                Hole::Id => id.to_string(),
                Hole::Date => shift_year(orig, p.shift),
                Hole::Version => bump(orig, p.bump),
                Hole::Cpe => bump_cpe(orig, p.bump),
            };
            serde_json::to_writer(&mut *out, &value).expect("write a string");
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut from = 0;
    while let Some(off) = hay[from..].iter().position(|&b| b == first) {
        let p = from + off;
        if hay[p..].starts_with(needle) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// Replace the strings a document of the bench varies by `"@@H<k>@@"` and record them. `path` is
/// the object keys from the root (array indices left out).
fn mark(v: &mut Value, path: &mut Vec<String>, holes: &mut Vec<(Hole, String)>) {
    match v {
        Value::Object(map) => {
            let branch_version = matches!(
                map.get("category").and_then(Value::as_str),
                Some("product_version" | "product_version_range")
            );
            for (k, child) in map.iter_mut() {
                let hole = match (path.last().map(String::as_str), k.as_str()) {
                    // NVD: the record (`cve`) and its cpeMatch entries.
                    (None, "id")
                        if path.is_empty()
                            && child.as_str().is_some_and(|s| s.starts_with("CVE-")) =>
                    {
                        Some(Hole::Id)
                    }
                    (None, "published" | "lastModified") => Some(Hole::Date),
                    (Some("cpeMatch"), "criteria") => Some(Hole::Cpe),
                    (
                        Some("cpeMatch"),
                        "versionStartIncluding"
                        | "versionStartExcluding"
                        | "versionEndIncluding"
                        | "versionEndExcluding",
                    ) => Some(Hole::Version),
                    // CSAF.
                    (Some("tracking"), "id") => Some(Hole::Id),
                    (Some("tracking"), "initial_release_date" | "current_release_date") => {
                        Some(Hole::Date)
                    }
                    (Some("revision_history"), "date") => Some(Hole::Date),
                    (Some("vulnerabilities"), "discovery_date" | "release_date") => {
                        Some(Hole::Date)
                    }
                    (Some("branches"), "name") if branch_version => Some(Hole::Version),
                    _ => None,
                };
                match (hole, child.as_str()) {
                    (Some(h), Some(s)) => {
                        holes.push((h, s.to_string()));
                        *child = Value::String(format!("@@H{}@@", holes.len() - 1));
                    }
                    _ => {
                        path.push(k.clone());
                        mark(child, path, holes);
                        path.pop();
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                mark(item, path, holes);
            }
        }
        _ => {}
    }
}

/// The year of a date string moved back `shift` years (a 29 February keeps its year).
fn shift_year(date: &str, shift: i32) -> String {
    match date.get(..4).and_then(|y| y.parse::<i32>().ok()) {
        Some(y) if !date.contains("-02-29") && date.len() > 4 => {
            format!("{:04}{}", y - shift, &date[4..])
        }
        _ => date.to_string(),
    }
}

/// Every run of ASCII digits plus `k`, zero-padded to its width: keeps the order of versions
/// (each component moves by the same amount) and the syntax around them.
fn bump(s: &str, k: u64) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let run = &s[start..i];
            match run.parse::<u64>() {
                Ok(n) if run.len() <= 18 => {
                    out.push_str(&format!("{:0width$}", n + k, width = run.len()))
                }
                _ => out.push_str(run),
            }
        } else {
            let c = s[i..].chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A CPE 2.3 name with its version field (the sixth) bumped, unless it is `*` or `-`.
fn bump_cpe(cpe: &str, k: u64) -> String {
    let fields: Vec<&str> = cpe.split(':').collect();
    if fields.len() < 6 || fields[5] == "*" || fields[5] == "-" {
        return cpe.to_string();
    }
    let mut out: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    out[5] = bump(fields[5], k);
    out.join(":")
}

#[derive(Debug, Clone, Copy)]
struct Params {
    template: usize,
    shift: i32,
    bump: u64,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Every document of the bench, made on request from the templates.
pub struct Generator {
    seed: u64,
    pub nvd: Vec<Template>,
    pub csaf: Vec<Template>,
    pub n_nvd: usize,
    pub n_csaf: usize,
}

impl Generator {
    /// Read the templates from `corpus` and keep those firmwatch parses once made into documents.
    pub fn load(corpus: &Path, seed: u64, n_nvd: usize, n_csaf: usize) -> Generator {
        let mut nvd = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("nvd"))
            .expect("corpus nvd/")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut seen = std::collections::HashSet::new();
        for f in files {
            let bytes = std::fs::read(&f).expect("read an NVD file");
            let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
                continue;
            };
            let items = v["vulnerabilities"].as_array().cloned().unwrap_or_default();
            let share = bytes.len() / items.len().max(1);
            for item in items {
                let cve = item["cve"].clone();
                let id = cve["id"].as_str().unwrap_or_default().to_string();
                if !seen.insert(id.clone()) {
                    continue;
                }
                nvd.push(Template::new(id, cve, false, share));
            }
        }
        let mut csaf = Vec::new();
        let mut files = Vec::new();
        walk(&corpus.join("csaf"), &mut files);
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("read a CSAF file");
            let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
                continue;
            };
            if v["document"]["csaf_version"].as_str().is_none() {
                continue;
            }
            let name = f.strip_prefix(corpus).unwrap_or(&f).display().to_string();
            csaf.push(Template::new(name, v, true, bytes.len()));
        }
        let mut g = Generator {
            seed,
            nvd,
            csaf,
            n_nvd,
            n_csaf,
        };
        g.keep_parsed();
        g
    }

    /// Drop the templates whose documents firmwatch's parser rejects (each is tried as document 0
    /// with its own parameters).
    fn keep_parsed(&mut self) {
        let feed = "bench".parse().expect("feed id");
        let ctx = DocContext {
            feed: &feed,
            location: "bench",
            default_vendor: None,
            default_scheme: None,
        };
        let p = Params {
            template: 0,
            shift: 1,
            bump: 3,
        };
        self.nvd.retain(|t| {
            let mut out = br#"{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2026-12-06T00:00:00.000","vulnerabilities":[{"cve":"#.to_vec();
            t.render(p, "CVE-2020-100000", &mut out);
            out.extend_from_slice(b"}]}");
            parse_document(DocFormat::Nvd, &out, &ctx).is_ok_and(|a| a.len() == 1)
        });
        self.csaf.retain(|t| {
            let mut out = Vec::new();
            t.render(p, "SYN-CSAF-2020-000000", &mut out);
            parse_document(DocFormat::Csaf, &out, &ctx).is_ok()
        });
        assert!(
            !self.nvd.is_empty() && !self.csaf.is_empty(),
            "no NVD or no CSAF template parses"
        );
    }

    fn params(&self, stream: u64, i: usize, templates: usize) -> Params {
        let h = splitmix(self.seed ^ stream.wrapping_mul(0x100_0000_01B3) ^ splitmix(i as u64));
        Params {
            template: (h % templates as u64) as usize,
            shift: ((h >> 20) % 4) as i32,
            bump: 1 + (h >> 30) % 9,
        }
    }

    fn nvd_params(&self, i: usize) -> Params {
        self.params(1, i, self.nvd.len())
    }

    fn csaf_params(&self, i: usize) -> Params {
        self.params(2, i, self.csaf.len())
    }

    pub fn nvd_id(&self, i: usize) -> String {
        let p = self.nvd_params(i);
        format!(
            "CVE-{}-{}",
            self.nvd[p.template].year - p.shift,
            100_000 + i
        )
    }

    /// NVD record `i` (the `cve` object), appended to `out`.
    pub fn nvd_record(&self, i: usize, out: &mut Vec<u8>) {
        let p = self.nvd_params(i);
        self.nvd[p.template].render(p, &self.nvd_id(i), out);
    }

    pub fn csaf_id(&self, i: usize) -> String {
        let p = self.csaf_params(i);
        format!("SYN-CSAF-{}-{i:06}", self.csaf[p.template].year - p.shift)
    }

    /// Where CSAF document `i` is served: `/csaf/white/YYYY/<id, lower case>.json`.
    pub fn csaf_path(&self, i: usize) -> String {
        let p = self.csaf_params(i);
        format!(
            "/csaf/white/{}/{}.json",
            self.csaf[p.template].year - p.shift,
            self.csaf_id(i).to_ascii_lowercase()
        )
    }

    /// CSAF document `i`, appended to `out`.
    pub fn csaf_doc(&self, i: usize, out: &mut Vec<u8>) {
        let p = self.csaf_params(i);
        self.csaf[p.template].render(p, &self.csaf_id(i), out);
    }

    /// The NVD API's answer to `startIndex=start&resultsPerPage=per_page` (at most [`PAGE`]).
    pub fn nvd_page(&self, start: usize, per_page: usize) -> Vec<u8> {
        let end = start.saturating_add(per_page.min(PAGE)).min(self.n_nvd);
        let count = end.saturating_sub(start);
        let mut out = Vec::with_capacity(count * 6_000 + 256);
        write!(
            out,
            r#"{{"resultsPerPage":{count},"startIndex":{start},"totalResults":{},"format":"NVD_CVE","version":"2.0","timestamp":"2026-12-06T00:00:00.000","vulnerabilities":["#,
            self.n_nvd
        )
        .expect("write");
        for i in start..end {
            if i > start {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"cve":"#);
            self.nvd_record(i, &mut out);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            // Validator test cases (many invalid on purpose) are not documents a provider serves.
            if p.file_name().is_some_and(|n| n != "testcases") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Minimum, median, mean and maximum of sizes in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sizes {
    pub count: usize,
    pub total: u64,
    pub min: usize,
    pub median: usize,
    pub mean: f64,
    pub max: usize,
}

impl Sizes {
    pub fn of(mut v: Vec<usize>) -> Sizes {
        v.sort_unstable();
        let total: u64 = v.iter().map(|&n| n as u64).sum();
        Sizes {
            count: v.len(),
            total,
            min: v.first().copied().unwrap_or(0),
            median: v.get(v.len() / 2).copied().unwrap_or(0),
            mean: total as f64 / v.len().max(1) as f64,
            max: v.last().copied().unwrap_or(0),
        }
    }

    fn words(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.count, self.total, self.min, self.median, self.mean, self.max
        )
    }

    fn parse(words: &[&str]) -> Option<Sizes> {
        Some(Sizes {
            count: words.first()?.parse().ok()?,
            total: words.get(1)?.parse().ok()?,
            min: words.get(2)?.parse().ok()?,
            median: words.get(3)?.parse().ok()?,
            mean: words.get(4)?.parse().ok()?,
            max: words.get(5)?.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Sizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} documents, {:.1} MiB: min {} / median {} / mean {:.0} / max {} bytes",
            self.count,
            self.total as f64 / 1048576.0,
            self.min,
            self.median,
            self.mean,
            self.max
        )
    }
}

/// What the mirror serves, measured before it listens.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// NVD records as they appear in the pages (`{"cve":…}` without the envelope).
    pub nvd: Sizes,
    pub csaf: Sizes,
    /// The ROLIE feed's size.
    pub rolie_bytes: usize,
    pub nvd_templates: usize,
    pub csaf_templates: usize,
    /// Generating the documents once (sizes, CSAF hashes) and publishing the listings.
    pub prepare: Duration,
}

/// Bytes of bodies the mirror's handler made, by kind.
#[derive(Debug, Default)]
pub struct Served {
    pub nvd_pages: AtomicU64,
    pub nvd_bytes: AtomicU64,
    pub csaf_docs: AtomicU64,
    pub csaf_bytes: AtomicU64,
}

/// Make every document once (sizes; CSAF SHA-256s, on two threads), publish the provider
/// metadata and the ROLIE feed on `mirror`, and answer the NVD API and the documents on request.
pub fn serve(g: Arc<Generator>, mirror: &Mirror) -> (Published, Arc<Served>) {
    let t = Instant::now();
    let nvd_sizes: Vec<usize> = (0..g.n_nvd)
        .map(|i| {
            let mut out = Vec::new();
            g.nvd_record(i, &mut out);
            out.len()
        })
        .collect();
    let half = g.n_csaf / 2;
    let hash_range = |r: std::ops::Range<usize>| {
        let mut out = Vec::new();
        r.map(|i| {
            out.clear();
            g.csaf_doc(i, &mut out);
            (out.len(), <[u8; 32]>::from(Sha256::digest(&out)))
        })
        .collect::<Vec<_>>()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| hash_range(0..half));
        let b = hash_range(half..g.n_csaf);
        (a.join().expect("hash thread"), b)
    });
    let csaf: Vec<(usize, [u8; 32])> = a.into_iter().chain(b).collect();
    let base = &mirror.base;
    mirror.put(
        "/csaf/provider-metadata.json",
        sync_run::rolie_provider_metadata(base, "csaf"),
        false,
    );
    let entries: Vec<Value> = (0..g.n_csaf)
        .map(|i| {
            let url = format!("{base}{}", g.csaf_path(i));
            let id = g.csaf_id(i);
            let updated = chrono::DateTime::parse_from_rfc3339("2023-01-01T00:00:00Z")
                .expect("time")
                + chrono::Duration::minutes((i as i64 * 7) % (3 * 365 * 24 * 60));
            let updated = updated.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            sync_run::rolie_entry(&id, &updated, "2023-01-01T00:00:00Z", &url)
        })
        .collect();
    let feed = sync_run::rolie_feed(base, "csaf", entries);
    let rolie_bytes = feed.len();
    mirror.put("/csaf/white-feed.json", feed, false);
    // Document paths → index, and their hashes.
    let index: std::collections::HashMap<String, usize> =
        (0..g.n_csaf).map(|i| (g.csaf_path(i), i)).collect();
    let hashes: Vec<[u8; 32]> = csaf.iter().map(|(_, h)| *h).collect();
    let published = Published {
        nvd: Sizes::of(nvd_sizes.iter().map(|n| n + 8).collect()),
        csaf: Sizes::of(csaf.iter().map(|(n, _)| *n).collect()),
        rolie_bytes,
        nvd_templates: g.nvd.len(),
        csaf_templates: g.csaf.len(),
        prepare: t.elapsed(),
    };
    let served = Arc::new(Served::default());
    let (gen, counts) = (g.clone(), served.clone());
    let handler: Dynamic = Arc::new(move |path: &str, query: &str| {
        if path == NVD_PATH {
            let mut start = 0;
            let mut per_page = PAGE;
            let mut window = false;
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                match &*k {
                    "startIndex" => start = v.parse().ok()?,
                    "resultsPerPage" => per_page = v.parse().ok()?,
                    "lastModStartDate" => window = true,
                    _ => {}
                }
            }
            // A later sync's window of recent changes: nothing changed.
            let body = if window {
                gen.nvd_page(gen.n_nvd, 0)
            } else {
                gen.nvd_page(start, per_page)
            };
            counts.nvd_pages.fetch_add(1, Ordering::Relaxed);
            counts
                .nvd_bytes
                .fetch_add(body.len() as u64, Ordering::Relaxed);
            return Some((body, true));
        }
        if let Some(doc) = path.strip_suffix(".sha256") {
            let i = *index.get(doc)?;
            let name = doc.rsplit('/').next().unwrap_or(doc);
            return Some((
                format!("{}  {name}\n", hex::encode(hashes[i])).into_bytes(),
                false,
            ));
        }
        let i = *index.get(path)?;
        let mut body = Vec::with_capacity(64 * 1024);
        gen.csaf_doc(i, &mut body);
        counts.csaf_docs.fetch_add(1, Ordering::Relaxed);
        counts
            .csaf_bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        Some((body, true))
    });
    mirror.set_dynamic(handler);
    (published, served)
}

/// The two feed definitions naming the mirror at `base`: `nvd` (the API endpoint) and `csaf`
/// (the provider metadata).
pub fn feeds(base: &str, dir: &Path) -> Vec<FeedDef> {
    [
        ("nvd", "nvd", format!("{base}{NVD_PATH}")),
        (
            "csaf",
            "csaf-provider",
            format!("{base}/csaf/provider-metadata.json"),
        ),
    ]
    .into_iter()
    .map(|(id, kind, url)| {
        let text = format!("id = \"{id}\"\nkind = \"{kind}\"\nurl = \"{url}\"\n");
        let file = dir.join(format!("{id}.toml"));
        collect::feed::parse_feed(&text, &file, dir).expect("feed definition")
    })
    .collect()
}

/// The client's figures.
#[derive(Debug, Clone, Default)]
pub struct ClientRun {
    pub wall: Duration,
    pub cpu: Duration,
    pub rss_before_mib: f64,
    pub peak_rss_mib: f64,
    /// (seconds since the start, VmRSS MiB), sampled every 100 ms.
    pub rss_timeline: Vec<(f64, f64)>,
    /// Per feed: (id, new, documents fetched, error).
    pub feeds: Vec<(String, usize, usize, Option<String>)>,
    pub store_bytes: u64,
}

/// The timed client: `collect::sync` of `feeds` into a fresh store in `dir` (default options but
/// no pause between NVD pages: the real service's 6 s would be 20 minutes of sleep at 1×).
///
/// `only` names one feed to sync alone (`nvd` or `csaf`), to tell their memory apart.
pub async fn sync_client(feeds: &[FeedDef], dir: &Path, only: Option<&str>) -> ClientRun {
    let store = AnyStore::open(dir.join("store"), None).expect("open store");
    let opts = SyncOptions {
        nvd_delay: Duration::ZERO,
        only: only
            .map(|f| f.parse().expect("a feed id"))
            .into_iter()
            .collect(),
        ..SyncOptions::default()
    };
    let rss_before_mib = sync_run::rss_mib();
    sync_run::reset_peak_rss();
    let done = Arc::new(AtomicBool::new(false));
    let timeline = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (done, timeline) = (done.clone(), timeline.clone());
        std::thread::spawn(move || {
            let t = Instant::now();
            while !done.load(Ordering::Relaxed) {
                let rss = sync_run::rss_mib();
                timeline
                    .lock()
                    .expect("timeline")
                    .push((t.elapsed().as_secs_f64(), rss));
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let cpu = sync_run::cpu_time();
    let t = Instant::now();
    let report = collect::sync(&store, feeds, &opts).await;
    let wall = t.elapsed();
    let cpu = sync_run::cpu_time().saturating_sub(cpu);
    let peak_rss_mib = sync_run::peak_rss_mib();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let rss_timeline = std::mem::take(&mut *timeline.lock().expect("timeline"));
    ClientRun {
        wall,
        cpu,
        rss_before_mib,
        peak_rss_mib,
        rss_timeline,
        feeds: report
            .feeds
            .iter()
            .map(|f| {
                (
                    f.feed.to_string(),
                    f.new,
                    f.documents_fetched,
                    f.error.as_ref().map(|e| e.to_string()),
                )
            })
            .collect(),
        store_bytes: store.size_on_disk().unwrap_or(0),
    }
}

/// The mirror process: `<bench> --serve-real SEED NVD CSAF`. Loads the corpus, serves, prints
/// `listening on http://ADDR` and `published …`, then answers `served` (bytes made by kind) and
/// `peak` (its VmHWM) on stdin until it closes.
pub fn serve_process(seed: u64, n_nvd: usize, n_csaf: usize) {
    let corpus = corpus_dir().expect("the corpus (FIRMWATCH_CORPUS or ../shared/corpus)");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mirror = rt.block_on(Mirror::start());
    let g = Arc::new(Generator::load(&corpus, seed, n_nvd, n_csaf));
    let (p, served) = serve(g, &mirror);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}{}", sync_run::READY, mirror.base).expect("stdout");
    writeln!(
        out,
        "published {} {} {} {} {} {}",
        p.nvd.words(),
        p.csaf.words(),
        p.rolie_bytes,
        p.nvd_templates,
        p.csaf_templates,
        p.prepare.as_secs_f64()
    )
    .expect("stdout");
    out.flush().expect("stdout");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = match line.trim() {
            "served" => {
                let c = mirror.counts();
                format!(
                    "served {} {} {} {} {} {}",
                    served.nvd_pages.load(Ordering::Relaxed),
                    served.nvd_bytes.load(Ordering::Relaxed),
                    served.csaf_docs.load(Ordering::Relaxed),
                    served.csaf_bytes.load(Ordering::Relaxed),
                    c.requests,
                    c.not_found
                )
            }
            "peak" => format!("peak {:.1}", sync_run::peak_rss_mib()),
            "cpu" => format!("cpu {:.2}", sync_run::cpu_time().as_secs_f64()),
            other => format!("error: unknown command `{other}`"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}

/// What the mirror process made and answered, read after the sync.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServedCounts {
    pub nvd_pages: u64,
    pub nvd_bytes: u64,
    pub csaf_docs: u64,
    pub csaf_bytes: u64,
    pub requests: u64,
    pub not_found: u64,
}

/// The mirror process's `published …` line (as [`serve_process`] prints it).
fn parse_published(line: &str) -> Option<Published> {
    let w: Vec<&str> = line
        .strip_prefix("published ")?
        .split_whitespace()
        .collect();
    if w.len() != 16 {
        return None;
    }
    Some(Published {
        nvd: Sizes::parse(&w[0..6])?,
        csaf: Sizes::parse(&w[6..12])?,
        rolie_bytes: w[12].parse().ok()?,
        nvd_templates: w[13].parse().ok()?,
        csaf_templates: w[14].parse().ok()?,
        prepare: Duration::from_secs_f64(w[15].parse().ok()?),
    })
}

/// The mirror in a child process ([`sync_run::ChildServer`]), killed when dropped.
pub struct MirrorProcess {
    process: sync_run::ChildServer,
    pub base: String,
    pub published: Published,
}

impl MirrorProcess {
    /// Start `exe --serve-real …` and wait until it serves (the documents are made once first).
    pub fn start(exe: &Path, seed: u64, n_nvd: usize, n_csaf: usize) -> MirrorProcess {
        let mut process = sync_run::ChildServer::start(
            exe,
            &[
                SERVE_REAL,
                &seed.to_string(),
                &n_nvd.to_string(),
                &n_csaf.to_string(),
            ],
        );
        let line = process.line();
        let published = parse_published(&line)
            .unwrap_or_else(|| panic!("the mirror process's `published` line: `{line}`"));
        MirrorProcess {
            base: process.base.clone(),
            process,
            published,
        }
    }

    pub fn served(&mut self) -> ServedCounts {
        let v = self.process.ask_counts("served", 6);
        ServedCounts {
            nvd_pages: v[0],
            nvd_bytes: v[1],
            csaf_docs: v[2],
            csaf_bytes: v[3],
            requests: v[4],
            not_found: v[5],
        }
    }

    pub fn peak_rss_mib(&mut self) -> f64 {
        self.process.peak_rss_mib()
    }

    /// The mirror process's CPU time so far (every thread, user + system).
    pub fn cpu_time(&mut self) -> std::time::Duration {
        self.process.cpu_time()
    }
}

/// Documents at `scale`: (NVD records, CSAF documents), at least one each.
pub fn sizes_at(scale: f64) -> (usize, usize) {
    (
        ((NVD_AT_1X * scale).round() as usize).max(1),
        ((CSAF_AT_1X * scale).round() as usize).max(1),
    )
}
