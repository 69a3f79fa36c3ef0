//! Sync orchestration: run every selected feed's collector, parse what changed, write it to the
//! store, and report per feed.
//!
//! Each feed runs in three steps. **Collect** (async, the only step with network I/O) asks the
//! feed's collector for the documents that changed since the saved [`FeedState`] and for the full
//! list of documents the source currently names. **Parse** runs the pure parsers of
//! [`super::formats`] over the changed documents. **Commit** decides, without writing, what
//! changes (`commit`: new, changed, touched and gone document records, withdrawals, the new
//! head), then writes it in one store transaction: the advisories, the withdrawal of those whose
//! document vanished from the source (or that a changed document no longer contains), and the
//! feed's new state ([`Store::commit_feed`]). A failure in any step leaves the store and the
//! checkpoint as they were (only the error is recorded), and the other feeds go on: feeds run
//! concurrently up to [`SyncOptions::concurrency`], and within a feed up to
//! [`SyncOptions::fetch_concurrency`] documents are fetched at once (results are put back in
//! listing order before parsing, so the outcome does not depend on response order).
//!
//! One document's fault is not its feed's: a document whose bytes do not parse, do not match
//! their listed hash or whose signature fails is rejected alone (the rule is
//! [`ctx`](super::ctx)'s), the rest of the feed is committed, and the feed's new head lists the
//! rejected documents (`commit::rejected`) — reported by every sync until they parse or leave
//! their listing, and retried each time.
//!
//! State is read in parts. The feed's head ([`Store::feed_head`]: checkpoint, listing
//! validators, how many documents each listing named) is read first; the collector's context
//! ([`CollectCtx`]) reads the rest from the store only as it is asked for it, and the commit
//! reads through the same context. When every listing is unchanged and nothing was fetched, the
//! head's counts prove that every known document is still named, and only the head and `seen`
//! record are written: a no-change sync costs O(listings), not O(documents). How a changed
//! listing is compared — through its index and the records of the fetched documents, or against
//! the whole state — is the commit module's design note.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::commit::{self, CommitPlan, ParsedDoc};
use super::ctx::{
    blocking, CollectCtx, Collected, Doc, FeedError, ProgressEvent, SyncOptions, WITHDRAW_LIMIT,
};
use super::feed::{FeedDef, FeedKind, FeedLocation};
use super::formats::{parse_document_hashed, DocContext, DocFormat};
use super::http::HttpClient;
use super::warning::{document_problems, summarize, NotListed, SyncWarning, SyncWarningCode};
use crate::error::chain;
use crate::model::FeedId;
use crate::store::{FeedState, Rejected, Store};

/// Version of the JSON [`SyncReport`]. 2: a warning is an object (`code`, `document`,
/// `message`), no longer a string. 3: every feed has `rejected[]` (the documents its source lists
/// that did not parse or verify: `location`, `reason`, `since`, `last_tried`), and a warning has
/// the JSON `path` in its document where it is known, with the codes of the problems that change
/// what can be matched.
pub const REPORT_SCHEMA_VERSION: u32 = 3;

/// How one feed's sync ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncStatus {
    Ok,
    Failed,
    Disabled,
    NotDue,
}

/// The outcome of one feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedReport {
    pub feed: FeedId,
    pub kind: FeedKind,
    pub status: SyncStatus,
    /// Advisories seen for the first time.
    pub new: usize,
    /// Advisories whose content changed.
    pub updated: usize,
    /// Advisories whose document was unchanged or re-parsed to the same content.
    pub unchanged: usize,
    /// Advisories marked withdrawn in this run (document removed from the feed, or dropped by it).
    pub withdrawn: usize,
    /// Documents downloaded or read in this run (not counting listings and hash files).
    pub documents_fetched: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Last complete sync of this feed (this run when it succeeded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Seconds since `last_success` — how old the feed's data is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_age_secs: Option<i64>,
    /// The warnings, each with its document: one per document and problem (a person reads
    /// them per code, [`summarize`]), listed for the first
    /// [`LISTED_DOCUMENTS_PER_CODE`](super::warning::LISTED_DOCUMENTS_PER_CODE) documents of each
    /// code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SyncWarning>,
    /// Per code, the documents past those, whose warnings were counted and not listed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub warnings_not_listed: BTreeMap<SyncWarningCode, NotListed>,
    /// Documents the source lists that did not parse or verify, by location: those this sync
    /// rejected, or — when the feed was not synced (failed, not due) — those the last successful
    /// sync rejected. Each is retried by the next sync.
    pub rejected: Vec<RejectedReport>,
}

/// A rejected document as the report shows it ([`Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedReport {
    /// URL, or path relative to the feed root.
    pub location: String,
    /// Why: the parse error, hash mismatch or signature failure, naming the document.
    pub reason: String,
    /// The first sync that rejected it.
    pub since: DateTime<Utc>,
    /// The last sync that fetched it and rejected it again.
    pub last_tried: DateTime<Utc>,
}

impl RejectedReport {
    fn list(rejected: &BTreeMap<String, Rejected>) -> Vec<RejectedReport> {
        rejected
            .iter()
            .map(|(location, r)| RejectedReport {
                location: location.clone(),
                reason: r.reason.clone(),
                since: r.since,
                last_tried: r.last_tried,
            })
            .collect()
    }
}

/// The outcome of a sync: one report per selected feed, sorted by feed id.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub schema_version: u32,
    pub started: DateTime<Utc>,
    pub feeds: Vec<FeedReport>,
}

impl SyncReport {
    /// `true` when any feed failed.
    pub fn any_failed(&self) -> bool {
        self.feeds.iter().any(|f| f.status == SyncStatus::Failed)
    }

    /// `true` when any feed has rejected documents (they will be retried).
    pub fn any_rejected(&self) -> bool {
        self.feeds.iter().any(|f| !f.rejected.is_empty())
    }
}

/// The document format a feed kind carries.
pub fn doc_format(kind: FeedKind) -> Option<DocFormat> {
    match kind {
        FeedKind::CsafProvider | FeedKind::CsafDir => Some(DocFormat::Csaf),
        FeedKind::OsvDir => Some(DocFormat::Osv),
        FeedKind::Cve5Dir => Some(DocFormat::Cve5),
        FeedKind::NativeDir => Some(DocFormat::Native),
        FeedKind::Nvd | FeedKind::NvdDir => Some(DocFormat::Nvd),
        FeedKind::Kev => Some(DocFormat::Kev),
        FeedKind::Epss => Some(DocFormat::Epss),
        FeedKind::Rss | FeedKind::Atom | FeedKind::Html => None,
    }
}

/// Sync the selected feeds into `store`. Never fails as a whole: per-feed failures are in the report.
///
/// Each feed runs as a task of its own ([`tokio::spawn`]), so on a multi-threaded runtime feeds
/// use every core (a feed's parsing and commit are CPU work); at most
/// [`SyncOptions::concurrency`] run at once. A feed whose task panics is reported failed.
pub async fn sync<S>(store: &S, feeds: &[FeedDef], opts: &SyncOptions) -> SyncReport
where
    S: Store + Clone + Send + Sync + 'static,
{
    let started = Utc::now();
    let http = match HttpClient::new(opts.http.clone()) {
        Ok(h) => h,
        Err(e) => {
            let e = e.to_string();
            return SyncReport {
                schema_version: REPORT_SCHEMA_VERSION,
                started,
                feeds: selected(feeds, opts)
                    .map(|f| failed_report(f, None, e.clone()))
                    .collect(),
            };
        }
    };
    let mut reports: Vec<FeedReport> = stream::iter(selected(feeds, opts))
        .map(|feed| {
            // A feed with a URL gets a client whose redirects stay where the feed may go.
            let http = match &feed.location {
                FeedLocation::Url(u) => {
                    HttpClient::for_feed(opts.http.clone(), u.clone(), feed.allow_hosts.clone())
                }
                FeedLocation::Path(_) => Ok(http.clone()),
            };
            let (store, feed, opts) = (store.clone(), feed.clone(), opts.clone());
            async move {
                let http = match http {
                    Ok(h) => h,
                    Err(e) => return failed_report(&feed, None, e.to_string()),
                };
                let task = tokio::spawn({
                    let feed = feed.clone();
                    async move { run_feed(&store, &feed, &http, &opts).await }
                });
                task.await.unwrap_or_else(|e| {
                    failed_report(&feed, None, format!("the feed's sync task failed: {e}"))
                })
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    SyncReport {
        schema_version: REPORT_SCHEMA_VERSION,
        started,
        feeds: reports,
    }
}

fn selected<'a>(
    feeds: &'a [FeedDef],
    opts: &'a SyncOptions,
) -> impl Iterator<Item = &'a FeedDef> + 'a {
    feeds
        .iter()
        .filter(|f| opts.only.is_empty() || opts.only.contains(&f.id))
}

fn empty_report(feed: &FeedDef, status: SyncStatus, state: Option<&FeedState>) -> FeedReport {
    let last_success = state.and_then(|s| s.last_success);
    // What the store still holds rejected; a disabled feed is not synced at all.
    let rejected = match (status == SyncStatus::Disabled, state) {
        (false, Some(s)) => RejectedReport::list(&s.rejected),
        _ => Vec::new(),
    };
    FeedReport {
        feed: feed.id.clone(),
        kind: feed.kind,
        status,
        new: 0,
        updated: 0,
        unchanged: 0,
        withdrawn: 0,
        documents_fetched: 0,
        error: None,
        last_success,
        data_age_secs: last_success.map(|t| (Utc::now() - t).num_seconds()),
        warnings: Vec::new(),
        warnings_not_listed: BTreeMap::new(),
        rejected,
    }
}

fn failed_report(feed: &FeedDef, state: Option<&FeedState>, error: String) -> FeedReport {
    let mut r = empty_report(feed, SyncStatus::Failed, state);
    r.error = Some(error);
    r
}

async fn run_feed<S: Store + Sync>(
    store: &S,
    feed: &FeedDef,
    http: &HttpClient,
    opts: &SyncOptions,
) -> FeedReport {
    // The head only; the per-document records are read if and when the collector or the
    // commit needs them (not at all when every listing is unchanged).
    let state = match store.feed_head(&feed.id) {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return failed_report(feed, None, chain(&e)),
    };
    if !feed.enabled {
        return empty_report(feed, SyncStatus::Disabled, Some(&state));
    }
    let now = Utc::now();
    if opts.only_due && !opts.force && !feed.is_due(&state, now) {
        return empty_report(feed, SyncStatus::NotDue, Some(&state));
    }
    if let Some(p) = &opts.progress {
        p(ProgressEvent::Started {
            feed: feed.id.clone(),
        });
    }
    let key = match &feed.key_file {
        Some(path) => match super::integrity::load_key(path) {
            Ok(k) => Some(k),
            Err(e) => {
                if let Some(p) = &opts.progress {
                    p(ProgressEvent::Finished {
                        feed: feed.id.clone(),
                        ok: false,
                    });
                }
                return failed_report(feed, Some(&state), chain(&e));
            }
        },
        None => None,
    };
    let ctx = CollectCtx::new(feed, &state, http, opts, key.as_ref(), store);
    let result = match collect(&ctx).await {
        Ok(collected) => blocking(|| commit(store, &ctx, collected, now)),
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let msg = chain(&e);
            tracing::warn!(feed = %feed.id, "sync failed: {msg}");
            // Keep data and checkpoint; remember only the failure.
            store.discard_staged(&feed.id);
            let mut r = failed_report(feed, Some(&state), msg.clone());
            if let Err(e) = store.record_failure(&feed.id, &msg, now) {
                r.warnings.push(SyncWarning::feed(
                    SyncWarningCode::FailureNotRecorded,
                    format!("could not record the failure: {}", chain(&e)),
                ));
            }
            r
        }
    };
    // One line per kind of warning, however many documents it concerns; each document's
    // warning was logged at info level as it was found.
    for s in summarize(&report.warnings, &report.warnings_not_listed) {
        tracing::warn!("feed {}: {s}", feed.id);
    }
    if let Some(first) = report.rejected.first() {
        let n = report.rejected.len();
        let s = if n == 1 { "" } else { "s" };
        tracing::warn!(
            "feed {}: {n} document{s} rejected, to be retried (first: {})",
            feed.id,
            first.reason
        );
    }
    if let Some(p) = &opts.progress {
        p(ProgressEvent::Finished {
            feed: feed.id.clone(),
            ok: report.status == SyncStatus::Ok,
        });
    }
    report
}

async fn collect(ctx: &CollectCtx<'_>) -> Result<Collected, FeedError> {
    let feed = ctx.feed;
    match (&feed.location, feed.kind) {
        (FeedLocation::Path(root), kind) => super::dir::collect_local(ctx, root, kind),
        (FeedLocation::Url(url), FeedKind::CsafProvider) => {
            super::provider::collect_provider(ctx, url).await
        }
        (FeedLocation::Url(url), FeedKind::CsafDir) => {
            super::provider::collect_directory(ctx, url, None).await
        }
        (
            FeedLocation::Url(url),
            FeedKind::OsvDir | FeedKind::Cve5Dir | FeedKind::NvdDir | FeedKind::NativeDir,
        ) => super::dir::collect_served(ctx, url).await,
        (FeedLocation::Url(url), FeedKind::Nvd) => super::nvd::collect_nvd(ctx, url).await,
        // One document at a URL: a vendor's page, the KEV catalog, the EPSS scores.
        (FeedLocation::Url(url), FeedKind::Html | FeedKind::Kev | FeedKind::Epss) => {
            super::pages::collect_html(ctx, url).await
        }
        (FeedLocation::Url(url), FeedKind::Rss | FeedKind::Atom) => {
            super::pages::collect_syndication(ctx, url).await
        }
    }
}

/// Parse the changed documents, decide the commit ([`super::commit`]), write it.
fn commit<S: Store>(
    store: &S,
    ctx: &CollectCtx<'_>,
    mut collected: Collected,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let feed = ctx.feed;
    let head = ctx.state;
    let mut report = empty_report(feed, SyncStatus::Ok, Some(head));
    report.warnings = std::mem::take(&mut collected.warnings);
    let parsed_warnings = std::mem::take(&mut collected.parsed.warnings);
    report.warnings.extend(parsed_warnings.listed);
    report.warnings_not_listed = parsed_warnings.not_listed;
    let rejections = std::mem::take(&mut collected.rejected);
    report.documents_fetched = collected.parsed.documents + rejections.len();
    let mut plan = if commit::all_kept(head, &collected) && rejections.is_empty() {
        commit::keep_all(head, collected, now)
    } else {
        // Every document was parsed as it arrived; a rejected one left nothing here (a known
        // one keeps its record because it is still listed), and any other failure has already
        // failed the feed, before anything was written.
        let parsed = std::mem::take(&mut collected.parsed);
        commit::diff(ctx, head, &collected, parsed, now)?
    };
    plan.state.rejected = commit::rejected(head, rejections, now);
    report.rejected = RejectedReport::list(&plan.state.rejected);
    let (withdrawn, of) = (plan.withdrawn.len(), head.advisory_count);
    if !ctx.opts.accept_withdrawals
        && withdrawn > 1
        && withdrawn as f64 > of as f64 * WITHDRAW_LIMIT
    {
        return Err(FeedError::WithdrawalsHeld { withdrawn, of });
    }
    finish(store, feed, &plan, now, report)
}

/// The parse step, for one changed document as it arrives: through its format's parser (a page
/// of an html, rss or atom feed through the feed's selectors), its advisories then encoded for
/// the store ([`ParsedDoc::hashed`]).
pub(super) fn parse(feed: &FeedDef, doc: Doc) -> Result<ParsedDoc, FeedError> {
    let ctx = DocContext {
        feed: &feed.id,
        location: &doc.location,
        default_vendor: feed.vendor.as_deref(),
        default_scheme: feed.scheme,
    };
    let sha256 = doc.sha256();
    let (advisories, warnings) = match doc_format(feed.kind) {
        Some(format) => parse_document_hashed(format, &doc.bytes, sha256.clone(), &ctx)?,
        None => (
            super::formats::html::parse_page(feed, &doc.location, &doc.bytes)
                .map_err(FeedError::Page)?,
            Vec::new(),
        ),
    };
    let mut warnings: Vec<SyncWarning> = warnings
        .iter()
        .map(|w| SyncWarning::csaf(&doc.location, w))
        .collect();
    let problems = document_problems(&doc.location, &advisories);
    for p in &problems {
        tracing::info!(feed = %feed.id, "{p}");
    }
    warnings.extend(problems);
    Ok(ParsedDoc::hashed(&feed.id, doc, sha256, advisories)?.with_warnings(warnings))
}

/// Write one feed's plan in one transaction ([`Store::commit_feed`]) and complete its report.
fn finish<S: Store>(
    store: &S,
    feed: &FeedDef,
    plan: &CommitPlan,
    now: DateTime<Utc>,
    mut report: FeedReport,
) -> Result<FeedReport, FeedError> {
    let put = store.commit_feed(&plan.commit(&feed.id, now))?;
    report.unchanged += plan.unchanged;
    report.withdrawn = plan.withdrawn.len();
    report.new += put.new;
    report.updated += put.updated;
    report.unchanged += put.unchanged;
    report.last_success = Some(now);
    report.data_age_secs = Some(0);
    Ok(report)
}
