//! NVD CVE API 2.0 collector.
//!
//! The feed `url` is the API endpoint, optionally with its own filters
//! (`…/cves/2.0?virtualMatchString=cpe:2.3:o:netapp`). The first sync pages through everything the
//! filters select; later syncs ask only for CVEs modified since the checkpoint minus the overlap,
//! in `lastModStartDate`/`lastModEndDate` windows of at most 120 days (the API's limit), paging
//! with `startIndex` until `totalResults`. Requests are spaced by [`SyncOptions::nvd_delay`]
//! (NVD allows about 5 requests in 30 s without an API key, 50 with one) and carry the `apiKey`
//! header when one is configured. Every page is a document for the NVD parser (a page is parsed on
//! the parse threads while the next one is fetched); the store keeps one
//! document record per CVE, so a CVE seen again in a later window replaces its earlier record and
//! nothing is withdrawn by absence (NVD withdraws by `vulnStatus: Rejected`, which the parser maps).
//! A page that does not parse fails the feed (it is not a document that can be rejected alone and
//! retried by its location: its URL names a time window that moves with every sync).
//!
//! [`SyncOptions::nvd_delay`]: super::ctx::SyncOptions::nvd_delay

use chrono::{DateTime, Duration, Utc};
use url::Url;

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::http::Fetched;

/// The API's longest `lastModStartDate`..`lastModEndDate` span.
pub const MAX_WINDOW_DAYS: i64 = 120;
/// Page size asked for (the API maximum).
pub const RESULTS_PER_PAGE: u64 = 2000;

/// Split `start..end` into consecutive windows of at most 120 days.
pub fn windows(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + Duration::days(MAX_WINDOW_DAYS)).min(end);
        out.push((from, to));
        from = to;
    }
    out
}

/// The API's date format (extended ISO-8601 with an explicit offset).
pub fn nvd_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

/// A page request URL.
pub fn page_url(
    base: &Url,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    start_index: u64,
    per_page: u64,
) -> Url {
    let mut u = base.clone();
    {
        let mut q = u.query_pairs_mut();
        if let Some((from, to)) = window {
            q.append_pair("lastModStartDate", &nvd_date(from));
            q.append_pair("lastModEndDate", &nvd_date(to));
        }
        q.append_pair("resultsPerPage", &per_page.to_string());
        q.append_pair("startIndex", &start_index.to_string());
    }
    u
}

/// A page's `totalResults`, `resultsPerPage` and number of `vulnerabilities`, read without
/// building the page's tree (the parser reads the bytes again).
fn page_counts(url: &str, bytes: &[u8]) -> Result<(u64, u64, u64), FeedError> {
    /// Only the counts: each vulnerability is skipped, not built.
    #[derive(serde::Deserialize)]
    struct Counts {
        #[serde(rename = "totalResults")]
        total: Option<u64>,
        #[serde(rename = "resultsPerPage")]
        per_page: Option<u64>,
        vulnerabilities: Option<Vec<serde::de::IgnoredAny>>,
    }
    let c: Counts = serde_json::from_slice(bytes).map_err(|e| FeedError::Listing {
        url: url.to_string(),
        reason: format!("not an NVD API response: {e}"),
    })?;
    let (Some(total), Some(per_page)) = (c.total, c.per_page) else {
        return Err(FeedError::Listing {
            url: url.to_string(),
            reason: "no totalResults/resultsPerPage".into(),
        });
    };
    Ok((
        total,
        per_page,
        c.vulnerabilities.map_or(0, |v| v.len()) as u64,
    ))
}

/// Collect an NVD feed.
pub async fn collect_nvd(ctx: &CollectCtx<'_>, base: &Url) -> Result<Collected, FeedError> {
    let now = Utc::now();
    let mut out = Collected {
        // No withdrawal by absence: every known CVE stays listed.
        listed: ctx.full_state()?.documents.keys().cloned().collect(),
        ..Collected::default()
    };
    let wins: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> = match ctx.state.checkpoint {
        Some(cp) if !ctx.opts.force => windows(cp - ctx.opts.overlap, now)
            .into_iter()
            .map(Some)
            .collect(),
        _ => vec![None],
    };
    let mut first = true;
    // The previous page's parse, running while the next page is fetched.
    let mut parsing = None;
    for win in wins {
        let mut start = 0u64;
        loop {
            if !first && !ctx.opts.nvd_delay.is_zero() {
                tokio::time::sleep(ctx.opts.nvd_delay).await;
            }
            first = false;
            let url = page_url(base, win, start, RESULTS_PER_PAGE).to_string();
            ctx.step(|| format!("GET {url}"));
            let key: Vec<(&str, &str)> = ctx
                .opts
                .nvd_api_key
                .as_deref()
                .map(|k| ("apiKey", k))
                .into_iter()
                .collect();
            // The body's SHA-256 was computed as it arrived (its validators): the page's record
            // reuses it instead of hashing the page again.
            let (bytes, sha256) = match ctx.http.get_listing(&url, None, &key).await? {
                Fetched::Body { bytes, validators } => (bytes, validators.sha256),
                Fetched::NotModified => (Vec::new(), None),
            };
            let (total, per_page, count) = page_counts(&url, &bytes)?;
            if count > 0 {
                // A page that does not parse fails the feed, not only itself: it is the answer to
                // a query, and the checkpoint cannot move past it without losing its CVEs.
                let page = Doc {
                    location: url.clone(),
                    bytes,
                    updated: None,
                    tlp: None,
                    validators: None,
                    listing: None,
                    per_advisory: true,
                    sha256,
                };
                if let Some(previous) = parsing.take() {
                    out.add_parsed(ctx, previous.await?)?;
                }
                parsing = Some(super::ctx::start_parse(ctx.feed, page));
            }
            start += per_page.max(count);
            if count == 0 || start >= total {
                break;
            }
        }
    }
    if let Some(last) = parsing {
        out.add_parsed(ctx, last.await?)?;
    }
    out.checkpoint = Some(now);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn windows_are_at_most_120_days_and_contiguous() {
        let w = windows(t("2024-01-01T00:00:00Z"), t("2024-12-31T00:00:00Z"));
        assert_eq!(w.len(), 4); // 120 + 120 + 120 + 5 days
        assert_eq!(w[0].0, t("2024-01-01T00:00:00Z"));
        assert_eq!(w[3].1, t("2024-12-31T00:00:00Z"));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
        assert!(w.iter().all(|(a, b)| *b - *a <= Duration::days(120)));
        assert!(windows(t("2024-01-01T00:00:00Z"), t("2024-01-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn page_url_encodes_the_plus() {
        let base = Url::parse(
            "https://nvd.example/rest/json/cves/2.0?virtualMatchString=cpe:2.3:o:netapp",
        )
        .unwrap();
        let u = page_url(
            &base,
            Some((t("2024-04-01T13:00:00Z"), t("2024-04-02T13:00:00Z"))),
            2000,
            2000,
        );
        let s = u.as_str();
        assert!(s.contains("virtualMatchString=cpe"), "{s}");
        assert!(
            s.contains("lastModStartDate=2024-04-01T13%3A00%3A00.000%2B00%3A00"),
            "{s}"
        );
        assert!(s.contains("startIndex=2000"), "{s}");
    }
}
