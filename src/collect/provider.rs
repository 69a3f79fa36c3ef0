//! CSAF provider collector (CSAF 2.0 §7): `provider-metadata.json` → ROLIE feeds, or a directory
//! listed by `changes.csv` / `index.txt` → documents.
//!
//! Real providers bend the standard, so reading is lenient where the reference (formats.md §8)
//! documents a quirk: ROLIE links with `ref` instead of `rel` (quirk 20); `changes.csv` quoted or
//! not, unsorted, with paths relative to the repository root rather than to the directory (21) —
//! an entry that contains the directory's own name is cut after it; hash files as `<hex>  <name>`
//! (22); a ROLIE entry's `content.src` that disagrees with its `self` link (23) — the `self` link
//! wins, `content.src` is the fallback. If a provider offers ROLIE feeds they are preferred
//! (§7.3.1); directory distributions are used otherwise.
//!
//! Incremental: a listing with per-entry times (ROLIE feed, `changes.csv`) is fetched with the
//! saved ETag / Last-Modified and compared by SHA-256; an unchanged listing means no document is
//! requested at all. When it changed, a document is fetched if it is new, its listed timestamp
//! changed, or the timestamp lies within the overlap window of the checkpoint; each such fetch is
//! conditional, and a 304 for an entry whose time moved saves the new time. An `index.txt` has no
//! times, so it is read in full every time and every entry is revalidated with a conditional GET
//! (a document can be rewritten in place without the listing changing).
//!
//! Concurrency: the documents one listing wants are fetched up to
//! [`SyncOptions::fetch_concurrency`] at a time (`buffer_unordered`); a document's hash and
//! signature files follow it in the same slot. Before the first request, every URL any of them may
//! request is checked against the URL policy ([`super::policy`]), so a hostile listing fails the
//! feed before anything it names is fetched. Outcomes are put back in listing order before they
//! are recorded, so the result does not depend on which response arrived first; the first failure
//! drops the requests still in flight and fails the feed as before. A document's `.sha512` / `.sha256` is checked before it is parsed; a
//! mismatch fails the feed. When the feed names a `key_file` (the operator's trust decision; keys
//! listed in the provider metadata are not trusted by themselves), every document's detached `.asc`
//! signature (ROLIE `signature` link, else `<document>.asc`) must verify with that key or one of its
//! subkeys (rPGP, verification only); a missing or bad signature fails the feed.
//!
//! [`SyncOptions::fetch_concurrency`]: super::ctx::SyncOptions::fetch_concurrency

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::http::{sha256_hex, Fetched, HttpErrorKind};

/// One listing entry: a path (or URL) and its listed timestamp, if any.
pub type ListingEntry = (String, Option<DateTime<Utc>>);

/// Parse a listing into (entry, timestamp) pairs: `changes.csv` (`"<path>","<time>"`), OSV's
/// `modified_id.csv` (`<time>,<id>` → `<id>.json`) or `index.txt` (one path a line, no times).
pub fn parse_index(name: &str, text: &str) -> Result<Vec<ListingEntry>, String> {
    let mut out = Vec::new();
    if name == "modified_id.csv" {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            let Some((time, id)) = l.split_once(',') else {
                return Err(format!("line {}: expected `<modified>,<id>`", i + 1));
            };
            let (time, id) = (time.trim(), id.trim());
            let Ok(when) = DateTime::parse_from_rfc3339(time) else {
                if i == 0 {
                    continue; // a header line (`modified,id`)
                }
                return Err(format!("line {}: `{time}` is not an RFC 3339 time", i + 1));
            };
            if id.is_empty() {
                return Err(format!("line {}: no id", i + 1));
            }
            out.push((format!("{id}.json"), Some(when.with_timezone(&Utc))));
        }
    } else if name.ends_with(".csv") {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("line {}: {e}", i + 1))?;
            let Some(path) = rec.get(0).filter(|p| !p.is_empty()) else {
                continue;
            };
            let when = rec
                .get(1)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            out.push((path.to_string(), when));
        }
    } else {
        for line in text.lines() {
            let l = line.trim();
            if !l.is_empty() && !l.starts_with('#') {
                out.push((l.to_string(), None));
            }
        }
    }
    Ok(out)
}

/// Make a listing entry relative to its directory: `csaf_files/IT/white/2024/x.json` in the
/// directory `…/white/` becomes `2024/x.json` (quirk 21). Absolute URLs are kept.
pub fn resolve_entry(dir_name: &str, entry: &str) -> String {
    let e = entry.trim().trim_start_matches("./");
    if e.contains("://") || dir_name.is_empty() {
        return e.to_string();
    }
    let segs: Vec<&str> = e.split('/').collect();
    match segs.iter().rposition(|s| *s == dir_name) {
        Some(i) if i + 1 < segs.len() => segs[i + 1..].join("/"),
        _ => e.to_string(),
    }
}

/// Check `bytes` against a `.sha256` / `.sha512` file's text (`<hex>[  <name>]`, quirk 22).
pub fn verify_hash_text(url: &str, text: &str, bytes: &[u8]) -> Result<(), FeedError> {
    let expected = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let (algo, actual) = match expected.len() {
        64 => ("sha256", hex::encode(Sha256::digest(bytes))),
        128 => ("sha512", hex::encode(Sha512::digest(bytes))),
        _ => {
            return Err(FeedError::Listing {
                url: url.to_string(),
                reason: "hash file holds no SHA-256 or SHA-512 hex digest".into(),
            })
        }
    };
    if actual != expected {
        return Err(FeedError::HashMismatch {
            url: url.to_string(),
            algo,
            expected,
            actual,
        });
    }
    Ok(())
}

fn join(base: &Url, s: &str) -> Result<Url, FeedError> {
    base.join(s).map_err(|e| FeedError::Listing {
        url: base.to_string(),
        reason: format!("bad link `{s}`: {e}"),
    })
}

fn dir_url(u: &Url) -> Url {
    let mut u = u.clone();
    if !u.path().ends_with('/') {
        u.set_path(&format!("{}/", u.path()));
    }
    u
}

/// Fetch a listing; `None` when it did not change since the last successful sync. With
/// `may_skip = false` (a listing without per-entry times, whose entries must be revalidated even
/// when it is unchanged) it is fetched unconditionally and its body always returned.
async fn fetch_listing(
    ctx: &CollectCtx<'_>,
    url: &str,
    may_skip: bool,
    out: &mut Collected,
) -> Result<Option<Vec<u8>>, FeedError> {
    super::policy::follow(ctx, url)?;
    let saved = if may_skip {
        ctx.listing_validators(url)
    } else {
        None
    };
    match ctx.http.get(url, saved).await? {
        Fetched::NotModified if may_skip => Ok(None),
        Fetched::NotModified => Err(FeedError::Listing {
            url: url.to_string(),
            reason: "answered 304 Not Modified to an unconditional request".into(),
        }),
        Fetched::Body { bytes, validators } => {
            let same = may_skip
                && !ctx.opts.force
                && ctx
                    .state
                    .validators
                    .get(url)
                    .and_then(|v| v.sha256.as_deref())
                    == validators.sha256.as_deref();
            out.validators.insert(url.to_string(), validators);
            Ok(if same { None } else { Some(bytes) })
        }
    }
}

/// An unchanged listing still names every document it named before.
fn keep_listed(listing: &str, out: &mut Collected) {
    out.kept_listings.insert(listing.to_string());
}

fn should_fetch(
    ctx: &CollectCtx<'_>,
    listing: &str,
    url: &str,
    updated: Option<DateTime<Utc>>,
) -> Result<bool, FeedError> {
    if ctx.opts.force {
        return Ok(true);
    }
    let Some(known) = ctx.listed_time(listing, url)? else {
        return Ok(true);
    };
    Ok(fetch_known(ctx, known, updated))
}

/// Whether to fetch a known document listed at `updated`, saved with the listed time `known`:
/// its time moved, or lies within the overlap window of the checkpoint.
fn fetch_known(
    ctx: &CollectCtx<'_>,
    known: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
) -> bool {
    if ctx.opts.force {
        return true;
    }
    match (updated, known, ctx.state.checkpoint) {
        (Some(u), Some(k), _) if u != k => true,
        (Some(u), _, Some(cp)) => u >= cp - ctx.opts.overlap,
        (None, _, _) | (Some(_), None, None) => true,
        (Some(_), Some(_), None) => false,
    }
}

/// Read an armored OpenPGP public key (the feed's `key_file`).
pub fn load_key(path: &std::path::Path) -> Result<SignedPublicKey, FeedError> {
    let text = std::fs::read_to_string(path).map_err(|source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (key, _) = SignedPublicKey::from_string(&text).map_err(|e| FeedError::Signature {
        url: path.display().to_string(),
        reason: format!("not an armored OpenPGP public key: {e}"),
    })?;
    Ok(key)
}

/// Verify an armored detached signature over `data` with the key or one of its subkeys.
pub fn verify_signature(key: &SignedPublicKey, armored: &str, data: &[u8]) -> Result<(), String> {
    let (sig, _) = DetachedSignature::from_string(armored)
        .map_err(|e| format!("not an armored OpenPGP signature: {e}"))?;
    if sig.verify(key, data).is_ok() {
        return Ok(());
    }
    for sub in &key.public_subkeys {
        if sig.verify(sub, data).is_ok() {
            return Ok(());
        }
    }
    Err("signature does not verify with the configured key".into())
}

/// One document to fetch, with everything needed to check it.
pub(crate) struct Wanted {
    pub(crate) url: Url,
    /// Detached signature (checked when the feed has a key).
    pub(crate) signature: Option<Url>,
    pub(crate) updated: Option<DateTime<Utc>>,
    /// Hash files to try in order; `probe` = they are guesses (a 404 moves on).
    pub(crate) hashes: Vec<Url>,
    pub(crate) probe: bool,
    /// Warn when no hash file was found (CSAF documents should have one; served OSV / CVE 5 /
    /// native directories have none by format).
    pub(crate) expect_hash: bool,
}

impl Wanted {
    /// Every URL this document's fetch may request: the document, its hash files, its signature.
    fn urls(&self) -> Result<Vec<Url>, FeedError> {
        let mut v = vec![self.url.clone()];
        v.extend(self.hashes.iter().cloned());
        v.push(self.signature_url()?);
        Ok(v)
    }

    fn signature_url(&self) -> Result<Url, FeedError> {
        match &self.signature {
            Some(s) => Ok(s.clone()),
            None => join(
                &self.url,
                &format!("{}.asc", self.url.path().rsplit('/').next().unwrap_or("")),
            ),
        }
    }
}

/// What fetching one listed document found.
enum DocOutcome {
    /// Unchanged (304, or the same bytes at the same listed time); the validators to save, and
    /// the listed time when it moved without the content changing.
    Kept {
        url: String,
        validators: Option<crate::store::Validators>,
        touched: Option<Option<DateTime<Utc>>>,
    },
    /// New or changed content, verified, to be parsed.
    Changed { doc: Doc, warning: Option<String> },
}

async fn fetch_document(
    ctx: &CollectCtx<'_>,
    w: Wanted,
    tlp: Option<&str>,
    listing: &str,
) -> Result<DocOutcome, FeedError> {
    let url = w.url.to_string();
    ctx.step(format!("GET {url}"));
    let known = ctx.document(&url)?;
    let touched = known
        .as_ref()
        .filter(|d| d.updated != w.updated)
        .map(|_| w.updated);
    let (bytes, validators) = match ctx.http.get(&url, ctx.validators(&url)?.as_ref()).await? {
        Fetched::NotModified if known.is_some() => {
            return Ok(DocOutcome::Kept {
                url,
                validators: None,
                touched,
            })
        }
        // Validators without a document record (a state written by an older firmwatch): the
        // body is needed, so ask again unconditionally.
        Fetched::NotModified => match ctx.http.get(&url, None).await? {
            Fetched::Body { bytes, validators } => (bytes, validators),
            Fetched::NotModified => {
                return Err(FeedError::Listing {
                    url,
                    reason: "answered 304 Not Modified to an unconditional request".into(),
                })
            }
        },
        Fetched::Body { bytes, validators } => (bytes, validators),
    };
    let sha = sha256_hex(&bytes);
    if touched.is_none() && ctx.known_unchanged(&url, &sha)? {
        return Ok(DocOutcome::Kept {
            url,
            validators: Some(validators),
            touched: None,
        });
    }
    let mut verified = false;
    for h in &w.hashes {
        match ctx.http.get(h.as_str(), None).await {
            Ok(Fetched::Body { bytes: text, .. }) => {
                verify_hash_text(&url, &String::from_utf8_lossy(&text), &bytes)?;
                verified = true;
                break;
            }
            Err(e) if w.probe && matches!(e.kind, HttpErrorKind::Status(404)) => continue,
            Ok(Fetched::NotModified) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let warning =
        (!verified && w.expect_hash).then(|| format!("{url}: no hash file, integrity not checked"));
    if let Some(key) = ctx.key {
        let sig_url = w.signature_url()?;
        let sig = match ctx.http.get(sig_url.as_str(), None).await? {
            Fetched::Body { bytes, .. } => bytes,
            Fetched::NotModified => Vec::new(),
        };
        verify_signature(key, &String::from_utf8_lossy(&sig), &bytes).map_err(|reason| {
            FeedError::Signature {
                url: url.clone(),
                reason,
            }
        })?;
    }
    Ok(DocOutcome::Changed {
        doc: Doc {
            location: url,
            bytes,
            updated: w.updated,
            tlp: tlp.map(str::to_string),
            validators: Some(validators),
            listing: Some(listing.to_string()),
            per_advisory: false,
        },
        warning,
    })
}

/// Fetch the wanted documents of one listing, up to [`SyncOptions::fetch_concurrency`] at a time,
/// and record the outcomes in listing order (so what is parsed and committed does not depend on
/// which response came first).
///
/// Every URL any of them may request is checked against the URL policy first, so a hostile
/// listing fails the feed before anything it names is fetched. The first failure ends the feed's
/// collection: requests still in flight are dropped, and nothing of this sync is written.
///
/// [`SyncOptions::fetch_concurrency`]: super::ctx::SyncOptions::fetch_concurrency
pub(crate) async fn fetch_all(
    ctx: &CollectCtx<'_>,
    wanted: Vec<Wanted>,
    tlp: Option<&str>,
    listing: &str,
    out: &mut Collected,
) -> Result<(), FeedError> {
    for w in &wanted {
        for u in w.urls()? {
            super::policy::follow(ctx, u.as_str())?;
        }
    }
    let mut results: Vec<(usize, DocOutcome)> = Vec::with_capacity(wanted.len());
    let mut pending = stream::iter(wanted.into_iter().enumerate())
        .map(|(i, w)| async move { (i, fetch_document(ctx, w, tlp, listing).await) })
        .buffer_unordered(ctx.opts.fetch_concurrency.max(1));
    while let Some((i, r)) = pending.next().await {
        results.push((i, r?));
    }
    drop(pending);
    results.sort_unstable_by_key(|(i, _)| *i);
    for (_, r) in results {
        match r {
            DocOutcome::Kept {
                url,
                validators,
                touched,
            } => {
                if let Some(updated) = touched {
                    out.touched.push((url.clone(), updated));
                }
                if let Some(v) = validators {
                    out.validators.insert(url, v);
                }
            }
            DocOutcome::Changed { doc, warning } => {
                out.warnings.extend(warning);
                out.changed.push(doc);
            }
        }
    }
    Ok(())
}

fn bump(out: &mut Collected, t: Option<DateTime<Utc>>) {
    if let Some(t) = t {
        out.checkpoint = Some(out.checkpoint.map_or(t, |c| c.max(t)));
    }
}

/// A directory distribution listed by `changes.csv` (else `index.txt`).
pub async fn collect_directory(
    ctx: &CollectCtx<'_>,
    dir: &Url,
    tlp: Option<&str>,
) -> Result<Collected, FeedError> {
    let mut out = Collected::default();
    let found =
        collect_directory_into(ctx, dir, tlp, Listings::CSAF, HashFiles::Probe, &mut out).await?;
    if !found {
        return Err(FeedError::Listing {
            url: dir_url(dir).to_string(),
            reason: "neither changes.csv nor index.txt is served".into(),
        });
    }
    Ok(out)
}

/// The listing files a directory is read through, tried in order (the first one served wins).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listings(pub(crate) &'static [&'static str]);

impl Listings {
    /// A CSAF directory distribution (CSAF 2.0 §7.1.13 / §7.1.12).
    pub(crate) const CSAF: Listings = Listings(&["changes.csv", "index.txt"]);
}

/// Whether documents come with `.sha512` / `.sha256` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFiles {
    /// Probe `<doc>.sha512`, then `<doc>.sha256` (a 404 moves on); warn when neither exists.
    Probe,
    /// The format has none: request none.
    None,
}

/// Whether a listing file carries a time per entry (`changes.csv`, `modified_id.csv`) — only
/// then may an unchanged listing stand for unchanged documents.
pub(crate) fn has_times(name: &str) -> bool {
    name.ends_with(".csv")
}

/// Read a directory through the first of `listings` it serves. Returns `false` when it serves
/// none of them (every one answered 404), with nothing collected.
///
/// A listing with per-entry times that did not change (304 or the same SHA-256) keeps every
/// document it named without requesting any; when it changed, an entry is fetched if it is new,
/// its time moved, or its time lies within the overlap window of the checkpoint. A listing without
/// times (`index.txt`) is always read in full and every entry is revalidated with a conditional
/// GET, since a document can change in place without the listing changing.
pub(crate) async fn collect_directory_into(
    ctx: &CollectCtx<'_>,
    dir: &Url,
    tlp: Option<&str>,
    listings: Listings,
    hash_files: HashFiles,
    out: &mut Collected,
) -> Result<bool, FeedError> {
    let base = dir_url(dir);
    let dir_name = base
        .path_segments()
        .and_then(|mut s| s.rfind(|x| !x.is_empty()))
        .unwrap_or("")
        .to_string();
    let mut listing = None;
    for &name in listings.0 {
        let url = join(&base, name)?.to_string();
        match fetch_listing(ctx, &url, has_times(name), out).await {
            Ok(body) => {
                listing = Some((name, url, body));
                break;
            }
            Err(FeedError::Http(e)) if matches!(e.kind, HttpErrorKind::Status(404)) => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((name, listing_url, body)) = listing else {
        return Ok(false);
    };
    let Some(body) = body else {
        keep_listed(&listing_url, out);
        return Ok(true);
    };
    let entries = parse_index(name, &String::from_utf8_lossy(&body)).map_err(|reason| {
        FeedError::Listing {
            url: listing_url.clone(),
            reason,
        }
    })?;
    let mut wanted = Vec::new();
    let index = ctx.listed_before(&listing_url)?;
    for (entry, updated) in entries {
        let entry = resolve_entry(&dir_name, &entry);
        bump(out, updated);
        // An entry the listing named before is found by its URL string (the index's key), so
        // only the entries fetched are parsed as URLs: a large listing has tens of thousands.
        if let Some(index) = &index {
            let relative = !entry.contains("://") && !entry.starts_with('/');
            if relative && base.as_str().ends_with('/') {
                let loc = format!("{}{entry}", base.as_str());
                if let Some(&known) = index.get(&loc) {
                    if !fetch_known(ctx, known, updated) {
                        out.listed.insert(loc);
                        continue;
                    }
                }
            }
        }
        let url = join_entry(&base, &entry)?;
        out.listed.insert(url.to_string());
        if !should_fetch(ctx, &listing_url, url.as_str(), updated)? {
            continue;
        }
        let hashes = match hash_files {
            HashFiles::Probe => {
                let file = url.path().rsplit('/').next().unwrap_or("").to_string();
                vec![
                    join(&url, &format!("{file}.sha512"))?,
                    join(&url, &format!("{file}.sha256"))?,
                ]
            }
            HashFiles::None => Vec::new(),
        };
        wanted.push(Wanted {
            url,
            signature: None,
            updated,
            hashes,
            probe: true,
            expect_hash: hash_files == HashFiles::Probe,
        });
    }
    fetch_all(ctx, wanted, tlp, &listing_url, out).await?;
    Ok(true)
}

/// Join a listing entry to its directory. A relative entry is joined as `./entry`, so a first
/// segment with a colon (OSV's `Debian:11/…`) is a path, not a URL scheme.
fn join_entry(base: &Url, entry: &str) -> Result<Url, FeedError> {
    if entry.contains("://") || entry.starts_with('/') {
        join(base, entry)
    } else {
        join(base, &format!("./{entry}"))
    }
}

/// A ROLIE feed, as much of it as the collector reads: deserialized straight into these types
/// (a provider's feed runs to tens of megabytes; a `serde_json::Value` of it cost more than the
/// rest of an incremental sync). Unknown members are skipped. Inside an entry, a member of an
/// unexpected type counts as absent ([`Lenient`]), as providers bend the format; a feed without
/// an `entry` array, or an entry that is not an object, is an error.
#[derive(serde::Deserialize)]
struct RolieFile {
    feed: Option<RolieFeed>,
}

#[derive(serde::Deserialize)]
struct RolieFeed {
    entry: Option<Vec<RolieEntry>>,
}

#[derive(serde::Deserialize)]
struct RolieEntry {
    link: Option<Lenient<Vec<Lenient<RolieLink>>>>,
    content: Option<Lenient<RolieContent>>,
    updated: Option<Lenient<String>>,
}

#[derive(serde::Deserialize)]
struct RolieLink {
    rel: Option<Lenient<String>>,
    /// Quirk 20: some providers write `ref` for `rel`.
    #[serde(rename = "ref")]
    ref_: Option<Lenient<String>>,
    href: Option<Lenient<String>>,
}

#[derive(serde::Deserialize)]
struct RolieContent {
    src: Option<Lenient<String>>,
}

/// A value of the expected type, or anything else (which the collector treats as absent).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Ok(T),
    Other(serde::de::IgnoredAny),
}

impl<T> Lenient<T> {
    fn get(&self) -> Option<&T> {
        match self {
            Lenient::Ok(v) => Some(v),
            Lenient::Other(_) => None,
        }
    }
}

fn lenient<T>(v: &Option<Lenient<T>>) -> Option<&T> {
    v.as_ref().and_then(Lenient::get)
}

impl RolieLink {
    fn rel(&self) -> Option<&str> {
        match &self.rel {
            Some(rel) => rel.get().map(String::as_str),
            None => lenient(&self.ref_).map(String::as_str),
        }
    }
}

fn parse_time(v: Option<&str>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn collect_rolie(
    ctx: &CollectCtx<'_>,
    feed_url: &Url,
    tlp: Option<&str>,
    out: &mut Collected,
) -> Result<(), FeedError> {
    let listing = feed_url.to_string();
    let Some(body) = fetch_listing(ctx, &listing, true, out).await? else {
        keep_listed(&listing, out);
        return Ok(());
    };
    let bad = |reason: String| FeedError::Listing {
        url: listing.clone(),
        reason,
    };
    let file: RolieFile =
        serde_json::from_slice(&body).map_err(|e| bad(format!("not a ROLIE JSON feed: {e}")))?;
    let entries = file
        .feed
        .and_then(|f| f.entry)
        .ok_or_else(|| bad("no feed.entry array".into()))?;
    let mut wanted = Vec::new();
    let index = ctx.listed_before(&listing)?;
    for entry in &entries {
        let links: &[Lenient<RolieLink>] = lenient(&entry.link).map_or(&[], Vec::as_slice);
        let href = |rel: &str| {
            links
                .iter()
                .filter_map(Lenient::get)
                .filter(|l| l.rel() == Some(rel))
                .filter_map(|l| lenient(&l.href).map(String::as_str))
                .collect::<Vec<_>>()
        };
        let doc = href("self")
            .first()
            .copied()
            .or_else(|| {
                lenient(&entry.content)
                    .and_then(|c| lenient(&c.src))
                    .map(String::as_str)
            })
            .ok_or_else(|| bad("an entry has neither a self link nor content.src".into()))?;
        let updated = parse_time(lenient(&entry.updated).map(String::as_str));
        bump(out, updated);
        // A document the feed named before is found by its URL string (the index's key);
        // only the entries fetched are parsed as URLs.
        if let Some(&known) = index.as_ref().and_then(|i| i.get(doc)) {
            if !fetch_known(ctx, known, updated) {
                out.listed.insert(doc.to_string());
                continue;
            }
        }
        let url = join(feed_url, doc)?;
        out.listed.insert(url.to_string());
        if !should_fetch(ctx, &listing, url.as_str(), updated)? {
            continue;
        }
        let mut hashes = href("hash");
        hashes.sort_by_key(|h| !h.ends_with(".sha512"));
        let hashes = hashes
            .into_iter()
            .map(|h| join(feed_url, h))
            .collect::<Result<Vec<_>, _>>()?;
        let signature = href("signature")
            .first()
            .map(|s| join(feed_url, s))
            .transpose()?;
        wanted.push(Wanted {
            url,
            signature,
            updated,
            hashes,
            probe: false,
            expect_hash: true,
        });
    }
    fetch_all(ctx, wanted, tlp, &listing, out).await
}

/// A provider from its `provider-metadata.json`.
pub async fn collect_provider(
    ctx: &CollectCtx<'_>,
    meta_url: &Url,
) -> Result<Collected, FeedError> {
    let mut out = Collected::default();
    let url = meta_url.to_string();
    let bytes = match ctx.http.get(&url, None).await? {
        Fetched::Body { bytes, .. } => bytes,
        Fetched::NotModified => Vec::new(),
    };
    let bad = |reason: String| FeedError::Listing {
        url: url.clone(),
        reason,
    };
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("not a provider-metadata.json: {e}")))?;
    let dists = v
        .get("distributions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no distributions".into()))?;
    let mut rolie = Vec::new();
    let mut dirs = Vec::new();
    for d in dists {
        if let Some(feeds) = d.pointer("/rolie/feeds").and_then(Value::as_array) {
            for f in feeds {
                if let Some(u) = f.get("url").and_then(Value::as_str) {
                    let tlp = f
                        .get("tlp_label")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    rolie.push((join(meta_url, u)?, tlp));
                }
            }
        }
        if let Some(u) = d.get("directory_url").and_then(Value::as_str) {
            dirs.push(join(meta_url, u)?);
        }
    }
    if !rolie.is_empty() {
        for (u, tlp) in &rolie {
            collect_rolie(ctx, u, tlp.as_deref(), &mut out).await?;
        }
    } else if !dirs.is_empty() {
        for d in &dirs {
            let found =
                collect_directory_into(ctx, d, None, Listings::CSAF, HashFiles::Probe, &mut out)
                    .await?;
            if !found {
                return Err(FeedError::Listing {
                    url: dir_url(d).to_string(),
                    reason: "neither changes.csv nor index.txt is served".into(),
                });
            }
        }
    } else {
        return Err(bad("no ROLIE feed and no directory_url".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_csv_quoted_and_unquoted() {
        let q = parse_index(
            "changes.csv",
            "\"a/b.json\",\"2020-01-01T00:00:00+00:00\"\n",
        )
        .unwrap();
        assert_eq!(q[0].0, "a/b.json");
        assert!(q[0].1.is_some());
        let u = parse_index(
            "changes.csv",
            "csaf_files/IT/white/2024/va-24-254-02.json,2024-10-03T16:03:00.000Z\n\n",
        )
        .unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].1.unwrap().to_rfc3339(), "2024-10-03T16:03:00+00:00");
        let i = parse_index("index.txt", "a.json\n# c\n\n b.json \n").unwrap();
        assert_eq!(
            i.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["a.json", "b.json"]
        );
    }

    #[test]
    fn osv_modified_id_csv() {
        let m = parse_index(
            "modified_id.csv",
            "modified,id\n2024-05-20T16:03:47Z,GO-2020-0001\n\n2023-06-05T01:13:00.534973Z,PyPI/PYSEC-2023-74\n",
        )
        .unwrap();
        assert_eq!(
            m.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["GO-2020-0001.json", "PyPI/PYSEC-2023-74.json"]
        );
        assert_eq!(m[0].1.unwrap().to_rfc3339(), "2024-05-20T16:03:47+00:00");
        assert!(parse_index("modified_id.csv", "2024-05-20T16:03:47Z,A\nsoon,B\n").is_err());
        assert!(parse_index("modified_id.csv", "2024-05-20T16:03:47Z\n").is_err());
        assert!(has_times("modified_id.csv") && has_times("changes.csv"));
        assert!(!has_times("index.txt"));
    }

    #[test]
    fn entries_with_a_colon_are_paths() {
        let base = Url::parse("https://osv.example/all/").unwrap();
        assert_eq!(
            join_entry(&base, "Debian:11/DSA-1.json").unwrap().as_str(),
            "https://osv.example/all/Debian:11/DSA-1.json"
        );
        assert_eq!(
            join_entry(&base, "https://osv.example/x.json")
                .unwrap()
                .as_str(),
            "https://osv.example/x.json"
        );
    }

    #[test]
    fn entries_relative_to_repo_root_are_cut_at_the_directory() {
        assert_eq!(
            resolve_entry("white", "csaf_files/IT/white/2024/x.json"),
            "2024/x.json"
        );
        assert_eq!(resolve_entry("white", "2024/x.json"), "2024/x.json");
        assert_eq!(resolve_entry("white", "./x.json"), "x.json");
        assert_eq!(
            resolve_entry("white", "https://h/white/x.json"),
            "https://h/white/x.json"
        );
    }

    #[test]
    fn hash_files_with_trailing_name() {
        let body = b"hello";
        let h256 = hex::encode(Sha256::digest(body));
        let h512 = hex::encode(Sha512::digest(body));
        verify_hash_text("u", &format!("{h256}  x.json\n"), body).unwrap();
        verify_hash_text("u", &h512.to_uppercase(), body).unwrap();
        let err = verify_hash_text("http://h/x.json", &h256, b"other").unwrap_err();
        assert!(
            err.to_string().contains("http://h/x.json: sha256 mismatch"),
            "{err}"
        );
        assert!(verify_hash_text("u", "zz", body).is_err());
    }

    #[test]
    fn rolie_entries_read_leniently_inside_and_strictly_outside() {
        let feed = br#"{"feed": {"id": "x", "entry": [
            {"link": [{"ref": "self", "href": "a.json"}, "junk", {"rel": 7, "href": "b.json"}],
             "updated": "2024-01-02T03:04:05Z", "summary": {"content": "ignored"}},
            {"link": {"not": "an array"}, "content": {"src": "c.json"}, "updated": 12},
            {"content": "not an object"}
        ]}}"#;
        let file: RolieFile = serde_json::from_slice(feed).unwrap();
        let entries = file.feed.and_then(|f| f.entry).unwrap();
        let links: Vec<&RolieLink> = lenient(&entries[0].link)
            .unwrap()
            .iter()
            .filter_map(Lenient::get)
            .collect();
        // `ref` stands for `rel`; a `rel` of the wrong type is no relation (not a fallback).
        assert_eq!(
            links.iter().map(|l| l.rel()).collect::<Vec<_>>(),
            [Some("self"), None]
        );
        assert_eq!(lenient(&links[0].href).map(String::as_str), Some("a.json"));
        assert!(parse_time(lenient(&entries[0].updated).map(String::as_str)).is_some());
        assert!(lenient(&entries[1].link).is_none());
        let src = lenient(&entries[1].content).and_then(|c| lenient(&c.src));
        assert_eq!(src.map(String::as_str), Some("c.json"));
        assert!(lenient(&entries[1].updated).is_none());
        assert!(lenient(&entries[2].content).is_none());
        // No entry array, or an entry that is not an object: not a feed this collector reads.
        for bad in [
            &br#"{"feed": {"entry": {}}}"#[..],
            br#"{"feed": {"entry": [3]}}"#,
        ] {
            assert!(serde_json::from_slice::<RolieFile>(bad).is_err());
        }
        let none: RolieFile = serde_json::from_slice(br#"{"feed": {}}"#).unwrap();
        assert!(none.feed.and_then(|f| f.entry).is_none());
    }
}
