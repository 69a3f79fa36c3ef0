//! Directory feeds: `csaf-dir`, `osv-dir`, `cve5-dir`, `nvd-dir` (NVD API 2.0 responses or JSON
//! feed files, each holding many CVEs), `native-dir` as a local folder or a served
//! directory.
//!
//! A local folder is read recursively (`.json`, plus `.toml` for native); a file whose SHA-256 equals
//! the stored one is not parsed again, and a file that vanished makes its advisories withdrawn
//! ("removed from feed"). A file that does not parse, or does not match its hash file, is rejected
//! alone ([`super::ctx`] has the rule); every file is read on every sync, so it is retried. A CSAF folder that has a `changes.csv` or `index.txt` is listed through it
//! (so unlisted files and ROLIE/metadata JSON are not mistaken for advisories), and a `.sha256` /
//! `.sha512` next to a document is checked. A listed file (and its hash file) must lie inside the
//! folder once symbolic links are resolved ([`super::listing`] says what a listing may name); an
//! unlisted folder is walked without following symbolic links.
//!
//! A served directory (`url = …` on a non-CSAF dir kind) is read through the first listing it
//! serves of:
//! 1. `changes.csv` — `<path>,<time>` a line (quoted or not, any order), as a CSAF directory
//!    distribution has it and as a mirror of firmwatch's should publish it;
//! 2. for `osv-dir` only, OSV's own `modified_id.csv` — `<RFC 3339 modified>,<id>` a line, newest
//!    first, as the OSV export bucket publishes it per ecosystem; `<id>` names `<id>.json` next to
//!    it (the top-level file's `<ecosystem>/<id>` works the same way); an optional header line is
//!    skipped. It is read as the complete listing, like `changes.csv`;
//! 3. `index.txt` — one relative path a line, no times.
//!
//! With per-entry times (1, 2) the directory is incremental exactly like a CSAF provider's
//! `changes.csv` ([`super::provider`]): an unchanged listing (304, or the same SHA-256) means no
//! document is requested; a changed one fetches only the entries that are new, whose time moved,
//! or whose time lies within the overlap window before the checkpoint. Entries missing from the
//! listing are withdrawn. Without times (3) nothing proves a document unchanged, since a file can
//! be rewritten in place: every document is revalidated with a conditional GET on every sync (an
//! unchanged mirror costs one small 304 per document and no downloads). Either way the documents
//! of a feed are fetched up to [`SyncOptions::fetch_concurrency`] at a time. Served OSV / CVE 5 /
//! native directories carry no hash files by format, so none are requested.
//!
//! Reading the listings, which files of a folder are documents and how entries become locations
//! is [`super::listing`]; this module reads the files and the served listings and decides.
//!
//! [`SyncOptions::fetch_concurrency`]: super::ctx::SyncOptions::fetch_concurrency

use std::path::{Path, PathBuf};

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::feed::FeedKind;
use super::http::sha256_hex;
use super::integrity::verify_hash_text;
use super::listing::{
    confine_entry, is_document_file, parse_index, relative_location, resolve_entry, ListingEntry,
    Listings,
};
use super::provider::{collect_directory_into, HashFiles};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FeedError + '_ {
    move |source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A local file, read only when it is no larger than `limit` bytes (the HTTP client's body cap):
/// a huge file in a feed folder is an error naming it, not a process that runs out of memory.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FeedError> {
    let len = std::fs::metadata(path).map_err(io(path))?.len();
    if len > limit {
        return Err(FeedError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "file of {len} bytes, larger than the {limit}-byte cap"
            )),
        });
    }
    std::fs::read(path).map_err(io(path))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FeedError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let ft = e.file_type().map_err(io(&p))?;
        if ft.is_dir() {
            walk(&p, out)?;
        } else if ft.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

/// The documents of a local CSAF folder per its `changes.csv` / `index.txt`, if it has one. Every
/// entry must name a file inside the folder ([`confine_entry`], [`inside_folder`]).
/// `canonical_root` is `root` canonicalized.
fn csaf_listing(
    root: &Path,
    canonical_root: &Path,
    limit: u64,
) -> Result<Option<Vec<ListingEntry>>, FeedError> {
    let root_name = root.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for name in ["changes.csv", "index.txt"] {
        let p = root.join(name);
        if p.is_file() {
            let text = String::from_utf8(read_capped(&p, limit)?).map_err(|e| FeedError::Io {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            let bad = |reason: String| FeedError::Listing {
                url: p.display().to_string(),
                reason,
            };
            let mut out = Vec::new();
            for (entry, time) in parse_index(name, &text).map_err(bad)? {
                let entry = resolve_entry(root_name, &entry);
                confine_entry(&entry, false).map_err(bad)?;
                inside_folder(canonical_root, &root.join(&entry))
                    .map_err(|reason| bad(format!("entry `{entry}` {reason}")))?;
                out.push((entry, time));
            }
            return Ok(Some(out));
        }
    }
    Ok(None)
}

/// Check that `path`, symbolic links resolved, lies inside the folder `canonical_root` (itself
/// canonical): a listing that names a link to `/etc/passwd` reads nothing outside its folder. A
/// path that does not exist passes here; reading it fails with its own error.
fn inside_folder(canonical_root: &Path, path: &Path) -> Result<(), String> {
    match path.canonicalize() {
        Ok(real) if !real.starts_with(canonical_root) => Err(format!(
            "resolves to {}, outside the feed folder {}",
            real.display(),
            canonical_root.display()
        )),
        _ => Ok(()),
    }
}

/// Collect a local folder.
pub fn collect_local(
    ctx: &CollectCtx<'_>,
    root: &Path,
    kind: FeedKind,
) -> Result<Collected, FeedError> {
    if !root.is_dir() {
        return Err(FeedError::Io {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let canonical_root = root.canonicalize().map_err(io(root))?;
    let listing = if kind == FeedKind::CsafDir {
        csaf_listing(root, &canonical_root, ctx.http.config().max_listing_body)?
    } else {
        None
    };
    let files: Vec<ListingEntry> = match listing {
        Some(l) => l,
        None => {
            let mut paths = Vec::new();
            walk(root, &mut paths)?;
            paths
                .into_iter()
                .filter(|p| is_document_file(kind, p))
                .map(|p| (relative_location(root, &p), None))
                .collect()
        }
    };
    // Every file is read and compared, so read every saved record at once.
    ctx.full_state()?;
    let mut out = Collected::default();
    for (loc, updated) in files {
        let path = root.join(&loc);
        let bytes = read_capped(&path, ctx.http.config().max_body)?;
        out.listed.insert(loc.clone());
        if let Some(t) = updated {
            out.checkpoint = Some(out.checkpoint.map_or(t, |c| c.max(t)));
        }
        let sha = sha256_hex(&bytes);
        if ctx.known_unchanged(&loc, &sha)? {
            continue;
        }
        if kind == FeedKind::CsafDir {
            if let Some(hp) = ["sha512", "sha256"]
                .iter()
                .map(|ext| root.join(format!("{loc}.{ext}")))
                .find(|hp| hp.is_file())
            {
                inside_folder(&canonical_root, &hp).map_err(|reason| FeedError::Listing {
                    url: hp.display().to_string(),
                    reason,
                })?;
                let text = std::fs::read_to_string(&hp).map_err(io(&hp))?;
                if let Err(e) =
                    verify_hash_text(&path.display().to_string(), &text, &bytes, Some(&sha))
                {
                    out.reject(ctx, loc, None, e)?;
                    continue;
                }
            }
        }
        out.add_document(
            ctx,
            Doc {
                location: loc,
                bytes,
                updated,
                tlp: None,
                validators: None,
                listing: None,
                per_advisory: false,
                sha256: Some(sha),
            },
        )?;
    }
    Ok(out)
}

/// Collect a served directory: through its `changes.csv` (or, for `osv-dir`, OSV's
/// `modified_id.csv`) when it serves one, else its `index.txt`.
pub async fn collect_served(ctx: &CollectCtx<'_>, base: &url::Url) -> Result<Collected, FeedError> {
    let listings = match ctx.feed.kind {
        FeedKind::OsvDir => Listings(&["changes.csv", "modified_id.csv", "index.txt"]),
        _ => Listings(&["changes.csv", "index.txt"]),
    };
    let mut out = Collected::default();
    let found =
        collect_directory_into(ctx, base, None, listings, HashFiles::None, &mut out).await?;
    if !found {
        return Err(FeedError::Listing {
            url: base.to_string(),
            reason: format!("none of {} is served", listings.0.join(", ")),
        });
    }
    Ok(out)
}
