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
//! Incremental: each listing (ROLIE feed, `changes.csv`, `index.txt`) is fetched with the saved
//! ETag / Last-Modified and compared by SHA-256; an unchanged listing means no document is
//! requested at all. When a listing changed, a document is fetched if it is new, its listed
//! timestamp changed, or the timestamp lies within the overlap window of the checkpoint; each such
//! fetch is conditional. A document's `.sha512` / `.sha256` is checked before it is parsed; a
//! mismatch fails the feed. When the feed names a `key_file` (the operator's trust decision; keys
//! listed in the provider metadata are not trusted by themselves), every document's detached `.asc`
//! signature (ROLIE `signature` link, else `<document>.asc`) must verify with that key or one of its
//! subkeys (rPGP, verification only); a missing or bad signature fails the feed.

use chrono::{DateTime, Utc};
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use super::http::{sha256_hex, Fetched, HttpErrorKind};
use super::sync::{CollectCtx, Collected, Doc, FeedError};

/// One listing entry: a path (or URL) and its listed timestamp, if any.
pub type ListingEntry = (String, Option<DateTime<Utc>>);

/// Parse a `changes.csv` (`name` ends in `.csv`) or `index.txt` into (entry, timestamp) pairs.
pub fn parse_index(name: &str, text: &str) -> Result<Vec<ListingEntry>, String> {
    let mut out = Vec::new();
    if name.ends_with(".csv") {
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

/// Fetch a listing; `None` when it did not change since the last successful sync.
async fn fetch_listing(
    ctx: &CollectCtx<'_>,
    url: &str,
    out: &mut Collected,
) -> Result<Option<Vec<u8>>, FeedError> {
    super::policy::follow(ctx, url)?;
    match ctx.http.get(url, ctx.validators(url)).await? {
        Fetched::NotModified => Ok(None),
        Fetched::Body { bytes, validators } => {
            let same = !ctx.opts.force
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
fn keep_listed(ctx: &CollectCtx<'_>, listing: &str, out: &mut Collected) {
    for (loc, d) in &ctx.state.documents {
        if d.listing.as_deref() == Some(listing) {
            out.listed.insert(loc.clone());
        }
    }
}

fn should_fetch(ctx: &CollectCtx<'_>, url: &str, updated: Option<DateTime<Utc>>) -> bool {
    if ctx.opts.force {
        return true;
    }
    let Some(known) = ctx.state.documents.get(url) else {
        return true;
    };
    match (updated, known.updated, ctx.state.checkpoint) {
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

struct Wanted {
    url: Url,
    /// Detached signature (checked when the feed has a key).
    signature: Option<Url>,
    updated: Option<DateTime<Utc>>,
    /// Hash files to try in order; `probe` = they are guesses (a 404 moves on).
    hashes: Vec<Url>,
    probe: bool,
}

async fn fetch_document(
    ctx: &CollectCtx<'_>,
    w: Wanted,
    tlp: Option<&str>,
    listing: &str,
    out: &mut Collected,
) -> Result<(), FeedError> {
    let url = w.url.to_string();
    (std::iter::once(&w.url).chain(&w.hashes).chain(&w.signature))
        .try_for_each(|u| super::policy::follow(ctx, u.as_str()))?;
    ctx.step(format!("GET {url}"));
    let (bytes, validators) = match ctx.http.get(&url, ctx.validators(&url)).await? {
        Fetched::NotModified => return Ok(()),
        Fetched::Body { bytes, validators } => (bytes, validators),
    };
    let sha = sha256_hex(&bytes);
    let same_time = ctx
        .state
        .documents
        .get(&url)
        .is_some_and(|d| d.updated == w.updated);
    if same_time && ctx.known_unchanged(&url, &sha) {
        out.validators.insert(url, validators);
        return Ok(());
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
    if !verified {
        out.warnings
            .push(format!("{url}: no hash file, integrity not checked"));
    }
    if let Some(key) = ctx.key {
        let sig_url = match &w.signature {
            Some(s) => s.clone(),
            None => join(
                &w.url,
                &format!("{}.asc", w.url.path().rsplit('/').next().unwrap_or("")),
            )?,
        };
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
    out.changed.push(Doc {
        location: url,
        bytes,
        updated: w.updated,
        tlp: tlp.map(str::to_string),
        validators: Some(validators),
        listing: Some(listing.to_string()),
        per_advisory: false,
    });
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
    collect_directory_into(ctx, dir, tlp, &mut out).await?;
    Ok(out)
}

async fn collect_directory_into(
    ctx: &CollectCtx<'_>,
    dir: &Url,
    tlp: Option<&str>,
    out: &mut Collected,
) -> Result<(), FeedError> {
    let base = dir_url(dir);
    let dir_name = base
        .path_segments()
        .and_then(|mut s| s.rfind(|x| !x.is_empty()))
        .unwrap_or("")
        .to_string();
    let mut listing = None;
    for name in ["changes.csv", "index.txt"] {
        let url = join(&base, name)?.to_string();
        match fetch_listing(ctx, &url, out).await {
            Ok(body) => {
                listing = Some((name, url, body));
                break;
            }
            Err(FeedError::Http(e)) if matches!(e.kind, HttpErrorKind::Status(404)) => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((name, listing_url, body)) = listing else {
        return Err(FeedError::Listing {
            url: base.to_string(),
            reason: "neither changes.csv nor index.txt is served".into(),
        });
    };
    let Some(body) = body else {
        keep_listed(ctx, &listing_url, out);
        return Ok(());
    };
    let entries = parse_index(name, &String::from_utf8_lossy(&body)).map_err(|reason| {
        FeedError::Listing {
            url: listing_url.clone(),
            reason,
        }
    })?;
    for (entry, updated) in entries {
        let url = join(&base, &resolve_entry(&dir_name, &entry))?;
        out.listed.insert(url.to_string());
        bump(out, updated);
        if !should_fetch(ctx, url.as_str(), updated) {
            continue;
        }
        let hashes = vec![
            join(
                &url,
                &format!("{}.sha512", url.path().rsplit('/').next().unwrap_or("")),
            )?,
            join(
                &url,
                &format!("{}.sha256", url.path().rsplit('/').next().unwrap_or("")),
            )?,
        ];
        let w = Wanted {
            url,
            signature: None,
            updated,
            hashes,
            probe: true,
        };
        fetch_document(ctx, w, tlp, &listing_url, out).await?;
    }
    Ok(())
}

fn link_rel(l: &Value) -> Option<&str> {
    l.get("rel")
        .or_else(|| l.get("ref"))
        .and_then(Value::as_str)
}

fn parse_time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn collect_rolie(
    ctx: &CollectCtx<'_>,
    feed_url: &Url,
    tlp: Option<&str>,
    out: &mut Collected,
) -> Result<(), FeedError> {
    let listing = feed_url.to_string();
    let Some(body) = fetch_listing(ctx, &listing, out).await? else {
        keep_listed(ctx, &listing, out);
        return Ok(());
    };
    let bad = |reason: String| FeedError::Listing {
        url: listing.clone(),
        reason,
    };
    let v: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("not a ROLIE JSON feed: {e}")))?;
    let entries = v
        .pointer("/feed/entry")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no feed.entry array".into()))?;
    for entry in entries {
        let links: &[Value] = entry
            .get("link")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let href = |rel: &str| {
            links
                .iter()
                .filter(|l| link_rel(l) == Some(rel))
                .filter_map(|l| l.get("href").and_then(Value::as_str))
                .collect::<Vec<_>>()
        };
        let doc = href("self")
            .first()
            .copied()
            .or_else(|| entry.pointer("/content/src").and_then(Value::as_str))
            .ok_or_else(|| bad("an entry has neither a self link nor content.src".into()))?;
        let url = join(feed_url, doc)?;
        let updated = parse_time(entry.get("updated"));
        out.listed.insert(url.to_string());
        bump(out, updated);
        if !should_fetch(ctx, url.as_str(), updated) {
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
        let w = Wanted {
            url,
            signature,
            updated,
            hashes,
            probe: false,
        };
        fetch_document(ctx, w, tlp, &listing, out).await?;
    }
    Ok(())
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
            collect_directory_into(ctx, d, None, &mut out).await?;
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
}
