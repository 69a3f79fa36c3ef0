//! The one HTTP client every collector uses, with the hygiene a feed fetcher needs.
//!
//! Connect and total timeouts; a body size cap enforced while streaming the *decoded* body (so a
//! gzip bomb stops at the cap, not after expansion); at most N redirects and only to http(s); retries
//! with exponential backoff on 5xx and 429, honouring `Retry-After` up to a cap (all delays are
//! configurable so tests stay fast); conditional GET with the ETag / Last-Modified saved in the
//! feed state. The decisions (which headers to send, what a status means, how long to wait) are pure
//! functions with unit tests; [`HttpClient::get`] only performs them. Every error names the URL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ETAG, LAST_MODIFIED, RETRY_AFTER};
use sha2::{Digest, Sha256};
use url::Url;

use crate::store::Validators;

/// Limits and delays of the client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub total_timeout: Duration,
    /// Largest accepted body after decoding, in bytes (documents, hash and signature files,
    /// metadata, pages).
    pub max_body: u64,
    /// Largest accepted listing after decoding, in bytes: a ROLIE feed, a `changes.csv` or
    /// `index.txt`, an NVD API page. A large provider's listing legitimately passes the document
    /// cap (a ROLIE feed of 400,000 entries is about 60 MB; an NVD page of 2,000 real CVE records
    /// tens of MB); it is read once per sync and dropped after it is parsed.
    pub max_listing_body: u64,
    pub max_redirects: usize,
    /// Retries after the first attempt on 5xx / 429 / connection failure.
    pub retries: u32,
    /// First backoff delay; doubled on every retry.
    pub backoff: Duration,
    /// Longest wait before a retry, whatever `Retry-After` asks for.
    pub max_retry_wait: Duration,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_body: 32 * 1024 * 1024,
            max_listing_body: 256 * 1024 * 1024,
            max_redirects: 5,
            retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
            user_agent: concat!("firmwatch/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpErrorKind {
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("body larger than the {limit}-byte cap")]
    TooLarge { limit: u64 },
    #[error("timed out")]
    Timeout,
    #[error("redirect refused: {0}")]
    Redirect(String),
    #[error("body could not be read (truncated or corrupt): {0}")]
    Body(String),
    #[error("{0}")]
    Transport(String),
    #[error("only http and https URLs are fetched")]
    Scheme,
}

/// A failed fetch, naming the URL.
#[derive(Debug, thiserror::Error)]
#[error("GET {url}: {kind}")]
pub struct HttpError {
    pub url: String,
    pub kind: HttpErrorKind,
}

/// A fetched resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the saved validators still hold.
    NotModified,
    /// A full body and the validators to save for next time.
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// What a response status means for the fetch loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    Ok,
    NotModified,
    /// Try again after at least this long (from `Retry-After` when given).
    Retry(Option<Duration>),
    Fail,
}

/// Request headers for a conditional GET from saved validators.
pub fn conditional_headers(v: Option<&Validators>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(v) = v {
        if let Some(e) = &v.etag {
            out.push(("if-none-match", e.clone()));
        }
        if let Some(l) = &v.last_modified {
            out.push(("if-modified-since", l.clone()));
        }
    }
    out
}

/// Classify a response by status and headers.
pub fn outcome(status: u16, retry_after: Option<&str>, now: DateTime<Utc>) -> FetchOutcome {
    match status {
        200..=299 => FetchOutcome::Ok,
        304 => FetchOutcome::NotModified,
        429 | 500..=599 => FetchOutcome::Retry(retry_after.and_then(|v| parse_retry_after(v, now))),
        _ => FetchOutcome::Fail,
    }
}

/// `Retry-After` as delay-seconds or an HTTP date.
pub fn parse_retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// The wait before retry number `attempt` (0-based): `Retry-After` if given, else exponential
/// backoff; never more than `cap`.
pub fn retry_delay(
    attempt: u32,
    asked: Option<Duration>,
    base: Duration,
    cap: Duration,
) -> Duration {
    let backoff = base.saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX));
    asked.unwrap_or(backoff).min(cap)
}

/// Validators to keep from a 200 response.
pub fn validators_from(headers: &HeaderMap, body: &[u8]) -> Validators {
    let get = |h| {
        headers
            .get(h)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    Validators {
        etag: get(ETAG),
        last_modified: get(LAST_MODIFIED),
        sha256: Some(sha256_hex(body)),
    }
}

/// The hex SHA-256 of a fetched body: the one its validators hold (computed as it arrived,
/// [`validators_from`]), else computed now.
pub fn body_sha256(validators: &Validators, bytes: &[u8]) -> String {
    validators
        .sha256
        .clone()
        .unwrap_or_else(|| sha256_hex(bytes))
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The shared client.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    config: HttpConfig,
}

impl HttpClient {
    /// A client for URLs that are not a feed's (nothing to confine redirects to but http(s)).
    pub fn new(config: HttpConfig) -> Result<HttpClient, HttpError> {
        HttpClient::build(config, None)
    }

    /// A client for one feed: a redirect is followed only where the feed may go itself
    /// ([`super::policy::check_follow`] against the feed's `url` and `allow_hosts`), so a 302 to
    /// another host, to loopback from a remote feed, or from https to http is refused like the URL
    /// would be.
    pub fn for_feed(
        config: HttpConfig,
        feed_url: url::Url,
        allow_hosts: Vec<String>,
    ) -> Result<HttpClient, HttpError> {
        HttpClient::build(config, Some((feed_url, allow_hosts)))
    }

    fn build(
        config: HttpConfig,
        confine: Option<(url::Url, Vec<String>)>,
    ) -> Result<HttpClient, HttpError> {
        let max = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let refused = confine.as_ref().and_then(|(feed, hosts)| {
                super::policy::check_follow(feed, hosts, attempt.url()).err()
            });
            if !matches!(attempt.url().scheme(), "http" | "https") {
                let msg = format!("to non-http(s) URL {}", attempt.url());
                attempt.error(msg)
            } else if let Some(refused) = refused {
                attempt.error(refused.to_string())
            } else if attempt.previous().len() > max {
                let msg = format!("more than {max} redirects (ending at {})", attempt.url());
                attempt.error(msg)
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .redirect(policy)
            .user_agent(config.user_agent.clone())
            .gzip(true)
            .build()
            .map_err(|e| HttpError {
                url: String::new(),
                kind: HttpErrorKind::Transport(format!("cannot build HTTP client: {e}")),
            })?;
        Ok(HttpClient { client, config })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// GET `url`, conditionally when validators are given, retrying as configured.
    pub async fn get(&self, url: &str, saved: Option<&Validators>) -> Result<Fetched, HttpError> {
        self.get_with(url, saved, &[]).await
    }

    /// [`HttpClient::get`] of a URL already parsed.
    pub async fn get_url(
        &self,
        url: &Url,
        saved: Option<&Validators>,
    ) -> Result<Fetched, HttpError> {
        self.fetch_parsed(url.as_str(), url, saved, &[], self.config.max_body)
            .await
    }

    /// [`HttpClient::get`] with extra request headers (an API key).
    pub async fn get_with(
        &self,
        url: &str,
        saved: Option<&Validators>,
        extra: &[(&str, &str)],
    ) -> Result<Fetched, HttpError> {
        self.fetch(url, saved, extra, self.config.max_body).await
    }

    /// [`HttpClient::get_with`] for a listing: its body may be up to
    /// [`HttpConfig::max_listing_body`].
    pub async fn get_listing(
        &self,
        url: &str,
        saved: Option<&Validators>,
        extra: &[(&str, &str)],
    ) -> Result<Fetched, HttpError> {
        self.fetch(url, saved, extra, self.config.max_listing_body)
            .await
    }

    async fn fetch(
        &self,
        url: &str,
        saved: Option<&Validators>,
        extra: &[(&str, &str)],
        limit: u64,
    ) -> Result<Fetched, HttpError> {
        let parsed = Url::parse(url).map_err(|e| HttpError {
            url: url.to_string(),
            kind: HttpErrorKind::Transport(e.to_string()),
        })?;
        self.fetch_parsed(url, &parsed, saved, extra, limit).await
    }

    /// [`HttpClient::fetch`] of `parsed`; errors name it as `url`.
    async fn fetch_parsed(
        &self,
        url: &str,
        parsed: &Url,
        saved: Option<&Validators>,
        extra: &[(&str, &str)],
        limit: u64,
    ) -> Result<Fetched, HttpError> {
        let err = |kind| HttpError {
            url: url.to_string(),
            kind,
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(err(HttpErrorKind::Scheme));
        }
        let mut attempt = 0u32;
        loop {
            let mut req = self.client.get(parsed.clone());
            for (h, v) in conditional_headers(saved) {
                req = req.header(h, v);
            }
            for (h, v) in extra {
                req = req.header(*h, *v);
            }
            let result = self.once(req, limit).await;
            let (asked, last_err) = match result {
                Ok((status, headers, body)) => {
                    let ra = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
                    match outcome(status, ra, Utc::now()) {
                        FetchOutcome::Ok => {
                            let body = body.unwrap_or_default();
                            let validators = validators_from(&headers, &body);
                            return Ok(Fetched::Body {
                                bytes: body,
                                validators,
                            });
                        }
                        FetchOutcome::NotModified => return Ok(Fetched::NotModified),
                        FetchOutcome::Fail => return Err(err(HttpErrorKind::Status(status))),
                        FetchOutcome::Retry(asked) => (asked, HttpErrorKind::Status(status)),
                    }
                }
                Err(kind @ HttpErrorKind::Transport(_)) => (None, kind),
                Err(kind) => return Err(err(kind)),
            };
            if attempt >= self.config.retries {
                return Err(err(last_err));
            }
            let wait = retry_delay(
                attempt,
                asked,
                self.config.backoff,
                self.config.max_retry_wait,
            );
            tracing::debug!(url, attempt, ?wait, "retrying after {last_err}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One request: status, headers and (for 2xx) the body, at most `limit` bytes.
    async fn once(
        &self,
        req: reqwest::RequestBuilder,
        limit: u64,
    ) -> Result<(u16, HeaderMap, Option<Vec<u8>>), HttpErrorKind> {
        let mut resp = req.send().await.map_err(classify_error)?;
        let status = resp.status().as_u16();
        // Taken, not copied: the body is read through the response's own body, not its headers.
        let headers = std::mem::take(resp.headers_mut());
        if !(200..300).contains(&status) {
            return Ok((status, headers, None));
        }
        // A declared length over the cap fails before reading (only meaningful without gzip).
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(HttpErrorKind::TooLarge { limit });
        }
        // Sized once from the declared length (at most the cap): a listing of tens of megabytes
        // is not copied through every doubling of the buffer.
        let declared = resp.content_length().map_or(0, |n| n.min(limit));
        let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(classify_error)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(HttpErrorKind::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, Some(body)))
    }
}

fn classify_error(e: reqwest::Error) -> HttpErrorKind {
    // Walk the source chain: reqwest wraps the redirect policy's message.
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_redirect() {
        HttpErrorKind::Redirect(detail)
    } else if e.is_body() || e.is_decode() {
        HttpErrorKind::Body(detail)
    } else if e.is_connect() {
        HttpErrorKind::Transport(detail)
    } else {
        HttpErrorKind::Body(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_headers_from_validators() {
        assert!(conditional_headers(None).is_empty());
        let v = Validators {
            etag: Some("\"abc\"".into()),
            last_modified: Some("Tue, 21 Apr 2020 16:00:00 GMT".into()),
            sha256: Some("00".into()),
        };
        let h = conditional_headers(Some(&v));
        assert_eq!(
            h,
            vec![
                ("if-none-match", "\"abc\"".to_string()),
                (
                    "if-modified-since",
                    "Tue, 21 Apr 2020 16:00:00 GMT".to_string()
                )
            ]
        );
        assert!(conditional_headers(Some(&Validators::default())).is_empty());
    }

    #[test]
    fn outcomes_by_status() {
        let now = Utc::now();
        assert_eq!(outcome(200, None, now), FetchOutcome::Ok);
        assert_eq!(outcome(304, None, now), FetchOutcome::NotModified);
        assert_eq!(outcome(404, None, now), FetchOutcome::Fail);
        assert_eq!(outcome(503, None, now), FetchOutcome::Retry(None));
        assert_eq!(
            outcome(429, Some("7"), now),
            FetchOutcome::Retry(Some(Duration::from_secs(7)))
        );
    }

    #[test]
    fn retry_after_as_date_and_caps() {
        let now = DateTime::parse_from_rfc3339("2020-04-21T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("Tue, 21 Apr 2020 16:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Tue, 21 Apr 2020 15:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        assert_eq!(retry_delay(0, None, base, cap), base);
        assert_eq!(retry_delay(2, None, base, cap), Duration::from_millis(400));
        assert_eq!(retry_delay(9, None, base, cap), cap);
        assert_eq!(
            retry_delay(0, Some(Duration::from_secs(3600)), base, cap),
            cap
        );
    }
}
