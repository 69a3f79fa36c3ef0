//! The read-only Redfish client of one endpoint: which certificate it trusts, how it logs in, and
//! the limits every request runs under.
//!
//! **Read-only.** Resources are only ever read with GET. The two other requests are a Redfish
//! session's own: one POST to the service's `SessionService/Sessions` collection to log in and
//! one DELETE of the session it created to log out, both only with `auth = "session"`. Nothing
//! else is ever sent: no PATCH, no action, no other POST.
//!
//! **Credentials** come in as [`Credentials`] (the CLI reads them from the environment variables
//! the inventory names) and leave only as a request header marked sensitive — HTTP Basic on every
//! request, or the session's `X-Auth-Token` — and only to the origin (scheme, host and port) of
//! the service root: links and redirects to any other origin are not followed. Neither the
//! credentials nor the token are ever logged, printed or put into an error (`Debug` redacts
//! them); error messages carry the URL, which holds no credential (the inventory refuses one).
//!
//! **TLS** is verified, always: against the public web roots by default; against the
//! certificates of a per-endpoint CA file only (the name still checked); or, for a BMC with a
//! self-signed certificate, by pinning the SHA-256 fingerprint of its leaf certificate — exactly
//! that certificate is accepted whatever its chain, names or dates, and the handshake signature is
//! still checked against its key, so a peer without the private key is refused. There is no
//! switch that turns verification off.
//!
//! **Limits** ([`Limits`]): a connect and a per-request timeout, a body size cap, a number of
//! requests in flight per endpoint (a semaphore of this client) and overall (a semaphore shared by
//! every endpoint of a run), a few retries of 429/502/503/504 and failed connections. The
//! per-endpoint deadline, the cap on resources walked and the page cap are the crawler's
//! (`super::redfish`).

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, CONTENT_TYPE, DATE, LOCATION};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::inventory::{DiscoverAuth, DiscoverTrust};

/// The bounds one endpoint is walked under.
#[derive(Debug, Clone)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// One request, body included.
    pub request_timeout: Duration,
    /// The whole walk of one endpoint, login and logout excepted.
    pub endpoint_deadline: Duration,
    /// Resources (GETs, pages included) walked per endpoint before it fails.
    pub max_resources: usize,
    /// Pages of one collection (`Members@odata.nextLink`) before it fails.
    pub max_pages: usize,
    /// Requests in flight to one endpoint.
    pub per_endpoint: usize,
    /// Largest body read, in bytes.
    pub max_body: usize,
    /// Retries of a request answered 429/502/503/504 or whose connection failed.
    pub retries: u32,
    /// First wait before a retry, doubled each time.
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            endpoint_deadline: Duration::from_secs(300),
            max_resources: 5_000,
            max_pages: 200,
            per_endpoint: 4,
            max_body: 16 * 1024 * 1024,
            retries: 2,
            backoff: Duration::from_millis(250),
        }
    }
}

/// A user name and password, from the environment. `Debug` shows neither.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: String,
}

impl Credentials {
    pub fn new(user: String, password: String) -> Credentials {
        Credentials { user, password }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

/// Why a request (or the set-up of the client) failed. The URL is carried by [`FetchError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("HTTP {0} (credentials refused)")]
    Unauthorized(u16),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("timed out after {0}")]
    Timeout(String),
    #[error("{0}")]
    Transport(String),
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("login refused: HTTP {0}")]
    LoginRefused(u16),
    #[error("login answered without an X-Auth-Token")]
    NoToken,
    #[error("{0}")]
    Setup(String),
}

/// A failed request, naming the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct FetchError {
    pub url: String,
    pub reason: Reason,
}

/// What a GET gave.
#[derive(Debug)]
pub enum Got {
    /// 404 or 410: the link leads nowhere (tolerated by the crawler).
    Missing(u16),
    /// A JSON body, and the response's `Date` if it parsed.
    Json {
        value: serde_json::Value,
        date: Option<DateTime<Utc>>,
    },
}

/// How requests are authorised after the login.
enum Auth {
    Anonymous,
    Basic(Credentials),
    Token(HeaderValue),
}

/// A logged-in session, to be logged out.
pub struct Session {
    url: reqwest::Url,
}

/// The client of one endpoint.
pub struct Client {
    http: reqwest::Client,
    root: reqwest::Url,
    limits: Limits,
    auth: Auth,
    slots: Semaphore,
    overall: Arc<Semaphore>,
    requests: AtomicUsize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("root", &self.root.as_str())
            .finish_non_exhaustive()
    }
}

/// Whether `a` and `b` have the same scheme, host and port.
pub fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Accepts exactly the certificate whose DER hashes to the pinned SHA-256, and checks the
/// handshake's signature against its key.
#[derive(Debug)]
struct Pinned {
    sha256: [u8; 32],
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint sha256:{} is not the pinned one",
                hex::encode(got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The reqwest error and its sources on one line.
fn chain(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let s_text = s.to_string();
        if !detail.contains(&s_text) {
            detail = format!("{detail}: {s_text}");
        }
        src = s.source();
    }
    detail
}

impl Client {
    /// A client of the service at `root`, trusting per `trust`; `overall` bounds the requests
    /// in flight across every endpoint of the run.
    pub fn new(
        root: reqwest::Url,
        trust: &DiscoverTrust,
        limits: &Limits,
        overall: Arc<Semaphore>,
    ) -> Result<Client, FetchError> {
        let setup = |reason: String| FetchError {
            url: root.to_string(),
            reason: Reason::Setup(reason),
        };
        let origin = root.clone();
        // A redirect is followed only within the service's origin: a token header is not
        // stripped by a redirect elsewhere, so it must never go there.
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if !same_origin(&origin, attempt.url()) {
                let to = attempt.url().to_string();
                attempt.error(format!("redirect off the service's origin to {to}"))
            } else if attempt.previous().len() > 3 {
                attempt.error("more than 3 redirects")
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .redirect(policy)
            .user_agent(concat!("firmwatch/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(limits.per_endpoint.max(1))
            .https_only(root.scheme() == "https");
        match trust {
            DiscoverTrust::WebRoots => {}
            DiscoverTrust::CaFile(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| setup(format!("cannot read CA file {}: {e}", path.display())))?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| setup(format!("CA file {} is not PEM: {e}", path.display())))?;
                if certs.is_empty() {
                    return Err(setup(format!(
                        "CA file {} holds no certificate",
                        path.display()
                    )));
                }
                builder = builder.tls_built_in_root_certs(false);
                for c in certs {
                    builder = builder.add_root_certificate(c);
                }
            }
            DiscoverTrust::Fingerprint(sha256) => {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| setup(format!("TLS set-up: {e}")))?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Pinned {
                        sha256: *sha256,
                        provider,
                    }))
                    .with_no_client_auth();
                builder = builder.use_preconfigured_tls(config);
            }
        }
        let http = builder
            .build()
            .map_err(|e| setup(format!("cannot build the HTTP client: {}", chain(&e))))?;
        Ok(Client {
            http,
            root,
            limits: limits.clone(),
            auth: Auth::Anonymous,
            slots: Semaphore::new(limits.per_endpoint.max(1)),
            overall,
            requests: AtomicUsize::new(0),
        })
    }

    /// The service root.
    pub fn root(&self) -> &reqwest::Url {
        &self.root
    }

    /// Requests sent so far (retries, login and logout included).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// `link` (an `@odata.id`, usually an absolute path) as a URL of this service, without its
    /// fragment; `None` when it is not a URL or leads off the service's origin.
    pub fn resolve(&self, link: &str) -> Option<reqwest::Url> {
        let mut u = self.root.join(link).ok()?;
        u.set_fragment(None);
        same_origin(&self.root, &u).then_some(u)
    }

    /// Send HTTP Basic credentials on every request from now on.
    pub fn use_basic(&mut self, credentials: Credentials) {
        self.auth = Auth::Basic(credentials);
    }

    fn authorise(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::Anonymous => req,
            Auth::Basic(c) => req.basic_auth(&c.user, Some(&c.password)),
            Auth::Token(t) => req.header("X-Auth-Token", t.clone()),
        }
    }

    /// One slot of this endpoint and one of the run, held while a request is in flight.
    async fn slot(
        &self,
    ) -> (
        tokio::sync::SemaphorePermit<'_>,
        tokio::sync::OwnedSemaphorePermit,
    ) {
        let mine = self.slots.acquire().await.expect("never closed");
        let all = self
            .overall
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        (mine, all)
    }

    fn classify(&self, e: &reqwest::Error) -> Reason {
        if e.is_timeout() {
            Reason::Timeout(format!("{:?}", self.limits.request_timeout))
        } else {
            Reason::Transport(chain(e))
        }
    }

    /// GET `url` (retrying as [`Limits::retries`] says) and parse its JSON body.
    pub async fn get(&self, url: &reqwest::Url) -> Result<Got, FetchError> {
        let err = |reason| FetchError {
            url: url.to_string(),
            reason,
        };
        let mut attempt = 0u32;
        loop {
            let result = {
                let _slot = self.slot().await;
                self.requests.fetch_add(1, Ordering::Relaxed);
                self.get_once(url).await
            };
            let retry = match &result {
                Err(Reason::Status(s)) => matches!(s, 429 | 502 | 503 | 504),
                Err(Reason::Transport(_)) => true,
                _ => false,
            };
            if !retry || attempt >= self.limits.retries {
                return result.map_err(err);
            }
            let wait = self.limits.backoff.saturating_mul(1 << attempt.min(8));
            tracing::debug!(url = url.as_str(), attempt, ?wait, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn get_once(&self, url: &reqwest::Url) -> Result<Got, Reason> {
        let req = self
            .authorise(self.http.get(url.clone()))
            .header("Accept", "application/json")
            .header("OData-Version", "4.0");
        let mut resp = req.send().await.map_err(|e| self.classify(&e))?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => {}
            404 | 410 => return Ok(Got::Missing(status)),
            401 | 403 => return Err(Reason::Unauthorized(status)),
            _ => return Err(Reason::Status(status)),
        }
        let date = resp
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&Utc));
        let limit = self.limits.max_body;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(Reason::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| Reason::Json(e.to_string()))?;
        if !value.is_object() {
            return Err(Reason::Json("the body is not a JSON object".into()));
        }
        Ok(Got::Json { value, date })
    }

    /// Log in at `sessions` (the SessionService's Sessions collection): POST the user name and
    /// password, keep the `X-Auth-Token` for every later request, and return the session to
    /// [`Client::logout`] from.
    pub async fn login(
        &mut self,
        sessions: &reqwest::Url,
        credentials: &Credentials,
    ) -> Result<Session, FetchError> {
        let err = |reason| FetchError {
            url: sessions.to_string(),
            reason,
        };
        let body = serde_json::json!({
            "UserName": credentials.user,
            "Password": credentials.password,
        });
        let resp = {
            let _slot = self.slot().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.http
                .post(sessions.clone())
                .header("Accept", "application/json")
                .header("OData-Version", "4.0")
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await
                .map_err(|e| err(self.classify(&e)))?
        };
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(err(Reason::LoginRefused(status)));
        }
        let mut token = resp
            .headers()
            .get("X-Auth-Token")
            .cloned()
            .ok_or_else(|| err(Reason::NoToken))?;
        token.set_sensitive(true);
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The session's own URL: the Location header, else the body's `@odata.id`.
        let location = match location {
            Some(l) => Some(l),
            None => resp
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v.get("@odata.id")?.as_str().map(str::to_string)),
        };
        self.auth = Auth::Token(token);
        let url = location
            .and_then(|l: String| self.resolve(&l))
            .ok_or_else(|| {
                err(Reason::Setup(
                    "the login did not say where its session is".into(),
                ))
            })?;
        Ok(Session { url })
    }

    /// Log out: DELETE the session. Best effort (the service expires it anyway); failures are
    /// logged with the session's URL, never its token.
    pub async fn logout(&self, session: Session) {
        let _slot = self.slot().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let req = self.authorise(self.http.delete(session.url.clone()));
        match req.send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::warn!(
                url = session.url.as_str(),
                status = r.status().as_u16(),
                "logout refused"
            ),
            Err(e) => tracing::warn!(url = session.url.as_str(), "logout failed: {}", chain(&e)),
        }
    }

    /// The auth mode's login, when it has one: `Basic` is set up at once, `Session` needs the
    /// Sessions URL ([`Client::login`]).
    pub fn needs_session(auth: DiscoverAuth, credentials: Option<&Credentials>) -> bool {
        auth == DiscoverAuth::Session && credentials.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug() {
        let c = Credentials::new("root-user".into(), "hunter2".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("root-user"),
            "{shown}"
        );
    }

    #[test]
    fn origins() {
        let a: reqwest::Url = "https://bmc.example/redfish/v1".parse().unwrap();
        let b: reqwest::Url = "https://bmc.example:443/redfish/v1/Systems"
            .parse()
            .unwrap();
        let c: reqwest::Url = "https://other.example/redfish/v1".parse().unwrap();
        let d: reqwest::Url = "http://bmc.example/redfish/v1".parse().unwrap();
        assert!(same_origin(&a, &b));
        assert!(!same_origin(&a, &c) && !same_origin(&a, &d));
    }
}
