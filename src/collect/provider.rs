//! CSAF provider collector (CSAF 2.0 §7): `provider-metadata.json` → ROLIE feeds, or a directory
//! listed by `changes.csv` / `index.txt` → documents.
//!
//! This module fetches and decides what to fetch; reading the listings it fetches (and the
//! providers' quirks in them) is [`super::listing`], checking hash files and signatures is
//! [`super::integrity`]. If a provider offers ROLIE feeds they are preferred (§7.3.1); directory
//! distributions are used otherwise.
//!
//! Incremental: a listing with per-entry times (ROLIE feed, `changes.csv`) is fetched with the
//! saved ETag / Last-Modified and compared by SHA-256; an unchanged listing means no document is
//! requested at all. When it changed, a document is fetched if it is new, its listed timestamp
//! changed, or the timestamp lies within the overlap window of the checkpoint; each such fetch is
//! conditional, and a 304 for an entry whose time moved saves the new time. An `index.txt` has no
//! times, so it is read in full every time and every entry is revalidated with a conditional GET
//! (a document can be rewritten in place without the listing changing).
//!
//! Concurrency: a listing's documents are requested up to [`SyncOptions::fetch_concurrency`] at a
//! time; a document's hash and signature files follow it under the same permit, which it gives
//! back before it is parsed (a document the feed did not know has its first listed hash file
//! requested beside it, under that permit: it will be verified, so it costs one round trip, not
//! two). Up to [`DOCS_PER_REQUEST`] times as many documents are in progress
//! (`buffered`): requested, parsed, or waiting for those listed before them. Before the first
//! request, every URL any of them may request is checked against the URL policy
//! ([`super::policy`]), so a hostile listing fails the feed before anything it names is fetched.
//! Outcomes are recorded in listing order as they come, so the result does not depend on which
//! response arrived first and no more than the documents in progress wait in memory; the first
//! failure drops the requests still in flight and fails the feed as before. A document's `.sha512` /
//! `.sha256` is checked before it is parsed. When the feed names a `key_file`, every document's
//! detached `.asc` signature (ROLIE `signature` link, else `<document>.asc`) must verify with that
//! key or one of its subkeys. A document that does not match its hash (or whose listed hash file
//! is missing), whose signature is missing or bad, or that does not parse is rejected alone and
//! the rest of the feed lands ([`super::ctx`] has the rule); the listing that named it is read in
//! full at the next sync, even unchanged, and the document fetched again.
//!
//! [`SyncOptions::fetch_concurrency`]: super::ctx::SyncOptions::fetch_concurrency

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use tokio::sync::Semaphore;
use url::Url;

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::http::{body_sha256, Fetched, HttpErrorKind};
use super::integrity::{verify_hash_text, verify_signature};
use super::listing::{
    confine_entry, dir_name, dir_url, has_times, hash_probes, inside_dir, join, join_entry,
    known_location, parse_index, provider_distributions, resolve_entry, rolie_entries, sibling,
    Distributions, Listings,
};
use super::warning::{SyncWarning, SyncWarningCode};

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
    match ctx.http.get_listing(url, saved, &[]).await? {
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
    if ctx.opts.force || ctx.was_rejected(url) {
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
    /// Every URL this document's fetch may request that the policy must pass: the document, its
    /// hash files and a linked signature. A signature without a link of its own is the document's
    /// sibling (the same scheme, host and port), so the document's own check answers for it.
    fn checked_urls(&self) -> impl Iterator<Item = &Url> {
        std::iter::once(&self.url)
            .chain(&self.hashes)
            .chain(&self.signature)
    }

    fn signature_url(&self) -> Result<Url, FeedError> {
        match &self.signature {
            Some(s) => Ok(s.clone()),
            None => sibling(&self.url, ".asc"),
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
    /// New or changed content, verified and parsed (its bytes already dropped), with its
    /// warnings.
    Changed { doc: super::commit::ParsedDoc },
    /// Content that did not verify or parse ([`FeedError::rejects_document`]).
    Rejected { url: String, error: FeedError },
}

async fn fetch_document(
    ctx: &CollectCtx<'_>,
    requests: &Semaphore,
    w: Wanted,
    tlp: Option<&str>,
    listing: &str,
) -> Result<DocOutcome, FeedError> {
    let permit = requests
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let url = w.url.to_string();
    ctx.step(|| format!("GET {url}"));
    let known = ctx.document(&url)?;
    let touched = known
        .as_ref()
        .filter(|d| d.updated != w.updated)
        .map(|_| w.updated);
    // A document not known before will be verified: its (first) listed hash file is asked for
    // beside it, so a new document costs one round trip, not two. A known one may come back
    // unchanged, and then its hash file is not needed.
    let validators = ctx.validators(&url)?;
    let document = ctx.http.get_url(&w.url, validators.as_ref());
    let (first, hash) = match w.hashes.first().filter(|_| known.is_none() && !w.probe) {
        Some(h) => {
            let (document, hash) = tokio::join!(document, ctx.http.get_url(h, None));
            (document, Some(hash))
        }
        None => (document.await, None),
    };
    let first = match first {
        Ok(f) => f,
        Err(e) if super::ctx::document_gone(&e) => {
            return Ok(DocOutcome::Rejected {
                url,
                error: e.into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let (bytes, validators) = match first {
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
    let sha = body_sha256(&validators, &bytes);
    if touched.is_none() && ctx.known_unchanged(&url, &sha)? {
        return Ok(DocOutcome::Kept {
            url,
            validators: Some(validators),
            touched: None,
        });
    }
    let warning = match verify(ctx, &w, &url, &bytes, &sha, hash).await {
        Ok(warning) => warning,
        Err(error) if error.rejects_document() => return Ok(DocOutcome::Rejected { url, error }),
        Err(e) => return Err(e),
    };
    let doc = Doc {
        location: url,
        bytes,
        updated: w.updated,
        tlp: tlp.map(str::to_string),
        validators: Some(validators),
        listing: Some(listing.to_string()),
        per_advisory: false,
        sha256: Some(sha),
    };
    drop(permit);
    match super::ctx::parse_apart(ctx.feed, doc).await {
        Ok(doc) => Ok(DocOutcome::Changed {
            doc: doc.with_warnings(warning),
        }),
        Err(error) if error.rejects_document() => Ok(DocOutcome::Rejected {
            url: w.url.to_string(),
            error,
        }),
        Err(e) => Err(e),
    }
}

/// Check a fetched document's bytes against its hash file and, when the feed has a key, its
/// signature. A mismatch, a listed hash file or a signature that is not there (404) is the
/// document's fault ([`FeedError::rejects_document`]); any other failure to fetch them is a
/// transport error of the feed. `first_hash` is the answer for the first listed hash file when it
/// was asked for beside the document. Returns the warning for a document without a hash file.
async fn verify(
    ctx: &CollectCtx<'_>,
    w: &Wanted,
    url: &str,
    bytes: &[u8],
    sha256: &str,
    mut first_hash: Option<Result<Fetched, super::http::HttpError>>,
) -> Result<Option<SyncWarning>, FeedError> {
    let not_found = |e: &super::http::HttpError| matches!(e.kind, HttpErrorKind::Status(404));
    let mut verified = false;
    for h in &w.hashes {
        // The first hash file's answer, when it was asked for beside the document.
        let answer = match first_hash.take() {
            Some(answer) => answer,
            None => ctx.http.get_url(h, None).await,
        };
        match answer {
            Ok(Fetched::Body { bytes: text, .. }) => {
                verify_hash_text(url, &String::from_utf8_lossy(&text), bytes, Some(sha256))?;
                verified = true;
                break;
            }
            Err(e) if w.probe && not_found(&e) => continue,
            Err(e) if not_found(&e) => {
                return Err(FeedError::HashFile {
                    url: url.to_string(),
                    reason: format!("its listed hash file {h} is not there (HTTP 404)"),
                })
            }
            Ok(Fetched::NotModified) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let warning = (!verified && w.expect_hash).then(|| {
        tracing::info!(feed = %ctx.feed.id, "{url}: no hash file, integrity not checked");
        SyncWarning::document(
            SyncWarningCode::NoHashFile,
            url,
            "no hash file, integrity not checked",
        )
    });
    if let Some(key) = ctx.key {
        let sig_url = w.signature_url()?;
        let sig = match ctx.http.get_url(&sig_url, None).await {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(Fetched::NotModified) => Vec::new(),
            Err(e) if not_found(&e) => {
                return Err(FeedError::Signature {
                    url: url.to_string(),
                    reason: format!("no signature at {sig_url} (HTTP 404)"),
                })
            }
            Err(e) => return Err(e.into()),
        };
        verify_signature(key, &String::from_utf8_lossy(&sig), bytes).map_err(|reason| {
            FeedError::Signature {
                url: url.to_string(),
                reason,
            }
        })?;
    }
    Ok(warning)
}

/// How many documents of a listing are in progress for each request [`fetch_all`] may have in
/// flight. The outcomes are taken in listing order, so a document that takes long to parse holds
/// up those after it; with only as many documents as requests in progress, the requests and the
/// parse threads then waited (the real-sized CSAF provider at half scale used 1.2 cores of two).
const DOCS_PER_REQUEST: usize = 4;

/// Fetch the wanted documents of one listing, up to [`SyncOptions::fetch_concurrency`] requests at
/// a time, and record each outcome as its turn in listing order comes (so what is parsed and
/// committed does not depend on which response came first).
///
/// The documents are fetched and parsed concurrently, but their outcomes are taken in listing
/// order (`buffered`, not `buffer_unordered`) and recorded at once, so at most
/// [`DOCS_PER_REQUEST`] × `fetch_concurrency` parsed documents wait here: a listing's documents
/// are never all in memory together, and what is recorded goes on to the store's stage in
/// batches ([`Collected::add_parsed`]).
///
/// Every URL any of them may request is checked against the URL policy first, so a hostile
/// listing fails the feed before anything it names is fetched. A document whose bytes do not
/// verify or parse is rejected alone; the first other failure (in listing order) ends the feed's
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
        for u in w.checked_urls() {
            super::policy::follow_url(ctx, u)?;
        }
    }
    let concurrency = ctx.opts.fetch_concurrency.max(1);
    let requests = Semaphore::new(concurrency);
    let mut outcomes = stream::iter(wanted)
        .map(|w| fetch_document(ctx, &requests, w, tlp, listing))
        .buffered(concurrency * DOCS_PER_REQUEST);
    while let Some(r) = outcomes.next().await {
        match r? {
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
            DocOutcome::Changed { doc } => out.add_parsed(ctx, doc)?,
            DocOutcome::Rejected { url, error } => {
                out.reject(ctx, url, Some(listing.to_string()), error)?
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

/// Whether documents come with `.sha512` / `.sha256` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFiles {
    /// Probe `<doc>.sha512`, then `<doc>.sha256` (a 404 moves on); warn when neither exists.
    Probe,
    /// The format has none: request none.
    None,
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
    let dir_name = dir_name(&base);
    let mut listing = None;
    for &name in listings.0 {
        let url = join(&base, name)?.to_string();
        // A listing that named a rejected document is read in full, to retry it.
        let may_skip = has_times(name) && !ctx.retries_from(&url);
        match fetch_listing(ctx, &url, may_skip, out).await {
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
    let refused = |reason: String| FeedError::Listing {
        url: listing_url.clone(),
        reason,
    };
    for (entry, updated) in entries {
        let entry = resolve_entry(dir_name, &entry);
        confine_entry(&entry, true).map_err(refused)?;
        bump(out, updated);
        // An entry the listing named before is found by its URL string (the index's key), so
        // only the entries fetched are parsed as URLs: a large listing has tens of thousands.
        if let Some(index) = &index {
            if let Some(loc) = known_location(&base, &entry) {
                if let Some(&known) = index.get(&loc) {
                    if !fetch_known(ctx, known, updated) && !ctx.was_rejected(&loc) {
                        out.listed.insert(loc);
                        continue;
                    }
                }
            }
        }
        let url = join_entry(&base, &entry)?;
        // Outside the directory only as a link to another host that the URL policy lets the
        // feed follow (the operator listed it in `allow_hosts`); its error names the host.
        if !inside_dir(&base, &url) {
            super::policy::follow_url(ctx, &url)?;
            if url.origin() == base.origin() {
                return Err(refused(format!(
                    "entry `{entry}` resolves to {url}, outside the directory {base}"
                )));
            }
        }
        out.listed.insert(url.to_string());
        if !should_fetch(ctx, &listing_url, url.as_str(), updated)? {
            continue;
        }
        let hashes = match hash_files {
            HashFiles::Probe => hash_probes(&url)?,
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
    drop(body);
    fetch_all(ctx, wanted, tlp, &listing_url, out).await?;
    Ok(true)
}

async fn collect_rolie(
    ctx: &CollectCtx<'_>,
    feed_url: &Url,
    tlp: Option<&str>,
    out: &mut Collected,
) -> Result<(), FeedError> {
    let listing = feed_url.to_string();
    // A feed that named a rejected document is read in full, to retry it.
    let may_skip = !ctx.retries_from(&listing);
    let Some(body) = fetch_listing(ctx, &listing, may_skip, out).await? else {
        keep_listed(&listing, out);
        return Ok(());
    };
    let bad = |reason: String| FeedError::Listing {
        url: listing.clone(),
        reason,
    };
    let entries = rolie_entries(&body).map_err(bad)?;
    let mut wanted = Vec::new();
    let index = ctx.listed_before(&listing)?;
    for entry in &entries {
        let doc = entry
            .document()
            .ok_or_else(|| bad("an entry has neither a self link nor content.src".into()))?;
        let updated = entry.updated();
        bump(out, updated);
        // A document the feed named before is found by its URL string (the index's key);
        // only the entries fetched are parsed as URLs.
        if let Some(&known) = index.as_ref().and_then(|i| i.get(doc)) {
            if !fetch_known(ctx, known, updated) && !ctx.was_rejected(doc) {
                out.listed.insert(doc.to_string());
                continue;
            }
        }
        let url = join(feed_url, doc)?;
        out.listed.insert(url.to_string());
        if !should_fetch(ctx, &listing, url.as_str(), updated)? {
            continue;
        }
        let mut hashes: Vec<&str> = entry.hrefs("hash").collect();
        hashes.sort_by_key(|h| !h.ends_with(".sha512"));
        let hashes = hashes
            .into_iter()
            .map(|h| join(feed_url, h))
            .collect::<Result<Vec<_>, _>>()?;
        let signature = entry
            .hrefs("signature")
            .next()
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
    // The feed's text and entries are not needed while its documents are fetched (a large
    // provider's ROLIE feed is tens of megabytes).
    drop(entries);
    drop(body);
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
    let Distributions {
        rolie,
        directories: dirs,
    } = provider_distributions(meta_url, &bytes)?;
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
        return Err(FeedError::Listing {
            url,
            reason: "no ROLIE feed and no directory_url".into(),
        });
    }
    Ok(out)
}
