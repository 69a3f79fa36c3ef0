//! A Redfish service on 127.0.0.1 for the `discover` tests and bench: it serves a mockup tree the
//! way `shared/corpus/redfish/serve.py` does (`GET /redfish/v1/A/B` → `<tree>/A/B/index.json`,
//! a trailing slash accepted, `/redfish` → `{"v1": "/redfish/v1/"}`, 404 with a Redfish error body
//! for anything else), and what a real BMC does that the mockups don't show:
//!
//! - logins: none, HTTP Basic, or a Redfish session (POST `…/SessionService/Sessions` → 201 with
//!   `X-Auth-Token` and `Location`, DELETE of that location logs out); the root answers without;
//! - TLS with a given rustls server config (a self-signed or CA-signed certificate);
//! - routes that override the tree per path: a status, a raw (malformed) body, an added resource,
//!   a slow answer, or a reply computed from the query (endless paging);
//! - many services at once: with `prefixes`, `/e0001/redfish/v1/…` serves the same tree with
//!   every `"/redfish/v1` link in the bodies rewritten under that prefix (the 1,000-endpoint bench);
//! - a `Date` header on every answer (fixed, or the clock).
//!
//! HTTP/1.1 with keep-alive and Content-Length bodies. Every request is logged (method, path, the
//! credential headers it carried, its body) for the tests to assert on.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// A mockup tree: relative path (`""`, `Systems`, `Systems/1`) → body.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    files: HashMap<String, Arc<Vec<u8>>>,
}

impl Tree {
    /// Every `index.json` under `dir`.
    pub fn load(dir: &Path) -> Tree {
        fn walk(root: &Path, d: &Path, out: &mut HashMap<String, Arc<Vec<u8>>>) {
            for e in std::fs::read_dir(d).expect("read tree") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else if p.file_name().is_some_and(|n| n == "index.json") {
                    let rel = p
                        .parent()
                        .expect("parent")
                        .strip_prefix(root)
                        .expect("under root")
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.insert(rel, Arc::new(std::fs::read(&p).expect("read file")));
                }
            }
        }
        let mut files = HashMap::new();
        walk(dir, dir, &mut files);
        Tree { files }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }
}

/// How the service wants to be logged in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    None,
    Basic { user: String, password: String },
    Session { user: String, password: String },
}

/// A computed reply: status and body from the request's query.
pub type Compute = Arc<dyn Fn(&str) -> (u16, Vec<u8>) + Send + Sync>;

/// What a path answers instead of (or on top of) the tree.
#[derive(Clone)]
pub enum Route {
    /// This status and a Redfish error body.
    Status(u16),
    /// 200 with these bytes as they are (malformed JSON, say).
    Raw(Vec<u8>),
    /// 200 with this JSON (a resource the tree lacks, or an edited one).
    Json(serde_json::Value),
    /// Wait, then answer from the tree.
    Slow(Duration),
    /// Computed from the query.
    Compute(Compute),
    /// 302 to this URL.
    Redirect(String),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub body: String,
    pub status: u16,
}

/// The service's set-up.
#[derive(Clone)]
pub struct Setup {
    pub tree: Arc<Tree>,
    pub login: Login,
    /// Serve `/eNNNN/redfish/v1/…` (1 ≤ NNNN ≤ prefixes) instead of `/redfish/v1/…`.
    pub prefixes: Option<usize>,
    pub routes: HashMap<String, Route>,
    /// The `Date` header; the clock when `None`.
    pub date: Option<String>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Keep a log of requests (off for the bench).
    pub log: bool,
    /// The root too wants a login (some BMCs; the Redfish spec says it should not).
    pub root_needs_login: bool,
}

impl Setup {
    pub fn new(tree: Tree) -> Setup {
        Setup {
            tree: Arc::new(tree),
            login: Login::None,
            prefixes: None,
            routes: HashMap::new(),
            date: None,
            tls: None,
            log: true,
            root_needs_login: false,
        }
    }

    /// `path` (`/redfish/v1/…`, no query) answers `route`.
    pub fn route(mut self, path: &str, route: Route) -> Setup {
        self.routes.insert(path.to_string(), route);
        self
    }
}

#[derive(Default)]
struct State {
    log: Mutex<Vec<Logged>>,
    tokens: Mutex<HashSet<String>>,
    next_session: AtomicU64,
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// A running service; stops when dropped.
pub struct RedfishMock {
    /// `http://127.0.0.1:PORT` or `https://…`.
    pub base: String,
    state: Arc<State>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl RedfishMock {
    /// Start on a random loopback port, on a thread and runtime of its own.
    pub fn start(setup: Setup) -> RedfishMock {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let scheme = if setup.tls.is_some() { "https" } else { "http" };
        let state = Arc::new(State::default());
        let (stop, on_stop) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                let setup = Arc::new(setup);
                let acceptor = setup.tls.clone().map(tokio_rustls::TlsAcceptor::from);
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = sock.set_nodelay(true);
                        let (setup, st, acceptor) = (setup.clone(), st.clone(), acceptor.clone());
                        tokio::spawn(async move {
                            match acceptor {
                                Some(a) => {
                                    if let Ok(tls) = a.accept(sock).await {
                                        let _ = serve(tls, &setup, &st).await;
                                    }
                                }
                                None => {
                                    let _ = serve(sock, &setup, &st).await;
                                }
                            }
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = on_stop => {}
                }
            });
        });
        RedfishMock {
            base: format!("{scheme}://127.0.0.1:{port}"),
            state,
            _stop: stop,
        }
    }

    /// The service root URL (of prefix `n` when serving prefixes).
    pub fn root(&self) -> String {
        format!("{}/redfish/v1", self.base)
    }

    pub fn prefixed_root(&self, n: usize) -> String {
        format!("{}/e{n:04}/redfish/v1", self.base)
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.log.lock().expect("log").clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// The most requests it was answering at once.
    pub fn max_in_flight(&self) -> u64 {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Sessions logged in and not logged out.
    pub fn open_sessions(&self) -> usize {
        self.state.tokens.lock().expect("tokens").len()
    }
}

/// Standard base64 (HTTP Basic).
pub fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                o.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

struct Request {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// The next request on the connection; `None` at its end.
async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("/").to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::json!({"error": {"code": code, "message": message}})
        .to_string()
        .into_bytes()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    setup: &Setup,
    st: &State,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut s, &mut buf).await? {
        st.requests.fetch_add(1, Ordering::Relaxed);
        let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        st.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let reply = answer(&req, setup, st).await;
        st.in_flight.fetch_sub(1, Ordering::SeqCst);
        if setup.log {
            st.log.lock().expect("log").push(Logged {
                method: req.method.clone(),
                target: req.target.clone(),
                authorization: req.headers.get("authorization").cloned(),
                token: req.headers.get("x-auth-token").cloned(),
                body: String::from_utf8_lossy(&req.body).to_string(),
                status: reply.status,
            });
        }
        let date = setup.date.clone().unwrap_or_else(|| {
            chrono::Utc::now()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        });
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json; charset=utf-8\r\nodata-version: 4.0\r\ndate: {date}\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        // One write: a head and a body written apart meet Nagle and delayed ACKs (40 ms a reply).
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&reply.body);
        s.write_all(&bytes).await?;
        s.flush().await?;
        if req
            .headers
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            break;
        }
    }
    let _ = s.shutdown().await;
    Ok(())
}

/// `(prefix, path)`: the `/eNNNN` prefix (empty without prefixes) and the rest, without query or
/// trailing slash.
fn split_target(target: &str, prefixes: Option<usize>) -> Option<(String, String, String)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    match prefixes {
        None => Some((String::new(), path.to_string(), query.to_string())),
        Some(n) => {
            let rest = path.strip_prefix("/e")?;
            let (num, rest) = rest.split_at(rest.find('/')?);
            let k: usize = num.parse().ok()?;
            (1..=n)
                .contains(&k)
                .then(|| (format!("/e{num}"), rest.to_string(), query.to_string()))
        }
    }
}

fn authorised(req: &Request, setup: &Setup, st: &State) -> bool {
    match &setup.login {
        Login::None => true,
        Login::Basic { user, password } => {
            req.headers.get("authorization")
                == Some(&format!("Basic {}", base64(&format!("{user}:{password}"))))
        }
        Login::Session { .. } => req
            .headers
            .get("x-auth-token")
            .is_some_and(|t| st.tokens.lock().expect("tokens").contains(t)),
    }
}

async fn answer(req: &Request, setup: &Setup, st: &State) -> Reply {
    let Some((prefix, path, query)) = split_target(&req.target, setup.prefixes) else {
        return Reply::json(
            404,
            error_body("Base.1.0.ResourceMissingAtURI", "no such path"),
        );
    };
    let sessions = "/redfish/v1/SessionService/Sessions";
    match (req.method.as_str(), &setup.login) {
        ("POST", Login::Session { user, password }) if path == sessions => {
            let body: serde_json::Value =
                serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
            if body["UserName"] == user.as_str() && body["Password"] == password.as_str() {
                let n = st.next_session.fetch_add(1, Ordering::Relaxed) + 1;
                let token = format!("tok-{n}-{:x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                st.tokens.lock().expect("tokens").insert(token.clone());
                let location = format!("{prefix}{sessions}/{n}");
                return Reply {
                    status: 201,
                    headers: vec![
                        ("x-auth-token".into(), token),
                        ("location".into(), location.clone()),
                    ],
                    body: serde_json::json!({"@odata.id": location, "Id": n.to_string()})
                        .to_string()
                        .into_bytes(),
                };
            }
            return Reply::json(401, error_body("Base.1.0.NoValidSession", "login refused"));
        }
        ("DELETE", Login::Session { .. }) if path.starts_with(&format!("{sessions}/")) => {
            let token = req.headers.get("x-auth-token").cloned().unwrap_or_default();
            let removed = st.tokens.lock().expect("tokens").remove(&token);
            return Reply::json(if removed { 204 } else { 401 }, Vec::new());
        }
        ("GET", _) => {}
        _ => {
            return Reply::json(
                405,
                error_body("Base.1.0.OperationNotAllowed", "read-only mockup"),
            )
        }
    }
    // The root and `/redfish` answer without a login, as the Redfish spec says.
    let open = (path == "/redfish/v1" && !setup.root_needs_login) || path == "/redfish";
    if !open && !authorised(req, setup, st) {
        return Reply::json(401, error_body("Base.1.0.NoValidSession", "no valid login"));
    }
    let rewrite = |body: &[u8]| -> Vec<u8> {
        if prefix.is_empty() {
            return body.to_vec();
        }
        String::from_utf8_lossy(body)
            .replace("\"/redfish/v1", &format!("\"{prefix}/redfish/v1"))
            .into_bytes()
    };
    match setup.routes.get(&path) {
        Some(Route::Status(s)) => {
            return Reply::json(*s, error_body("Base.1.0.InternalError", "scripted status"))
        }
        Some(Route::Raw(b)) => return Reply::json(200, b.clone()),
        Some(Route::Json(v)) => return Reply::json(200, rewrite(v.to_string().as_bytes())),
        Some(Route::Compute(f)) => {
            let (status, body) = f(&query);
            return Reply::json(status, rewrite(&body));
        }
        Some(Route::Redirect(to)) => {
            return Reply {
                status: 302,
                headers: vec![("location".into(), to.clone())],
                body: Vec::new(),
            }
        }
        Some(Route::Slow(d)) => tokio::time::sleep(*d).await,
        None => {}
    }
    if path == "/redfish" {
        return Reply::json(200, rewrite(br#"{"v1": "/redfish/v1/"}"#));
    }
    let rel = if path == "/redfish/v1" {
        Some("")
    } else {
        path.strip_prefix("/redfish/v1/")
    };
    match rel.and_then(|r| setup.tree.files.get(r)) {
        Some(body) => Reply::json(200, rewrite(body)),
        None => Reply::json(
            404,
            error_body(
                "Base.1.0.ResourceMissingAtURI",
                &format!("no resource at {path}"),
            ),
        ),
    }
}
