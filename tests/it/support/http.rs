//! A small scriptable HTTP/1.1 server on 127.0.0.1: the one peer behind every test that talks
//! HTTP. It serves files or scripted replies per path, answers `If-None-Match` with 304, logs every
//! request (path, headers, body and the status it got), and can misbehave (slow body, truncated
//! body, redirects, 5xx/429 sequences, failing the next n requests). With a fallback reply for
//! every path and a delay it is also the webhook receiver of the notify tests.
//!
//! Every connection gets one answer and is closed (`connection: close`), which keeps the reading
//! side simple and makes each request a connection of its own in the log.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{serve_loopback, Running};

#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with an ETag (sha256 of the body); 304 when `If-None-Match` matches.
    Ok(Vec<u8>),
    /// Any status with extra headers and a body.
    Status(u16, Vec<(String, String)>, Vec<u8>),
    /// 200 announcing `declared` bytes, sending `body`, then closing.
    Truncated { declared: usize, body: Vec<u8> },
    /// 200, then one byte every 100 ms, forever.
    Slow,
    /// 200 with `n` bytes of `x` and no Content-Length (chunked).
    Huge(usize),
}

impl Reply {
    /// `status` with no headers and an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::Status(status, vec![], vec![])
    }
}

/// A reply computed from the request's query string.
pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// One request as received, with the status it was answered with.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub status: u16,
}

#[derive(Default)]
struct State {
    /// Dynamic routes by path (without query), used when no exact route matches.
    handlers: HashMap<String, Handler>,
    /// Replies per path; the last one repeats.
    routes: HashMap<String, Vec<Reply>>,
    /// The reply to a path with neither a route nor a handler (404 when unset).
    fallback: Option<Reply>,
    hits: HashMap<String, usize>,
    log: Vec<Request>,
    /// Paths answered 304.
    not_modified: Vec<String>,
    /// Wait between taking a request and answering it.
    delay: Duration,
    /// Requests still to answer 500, whatever their path.
    fail_next: u32,
}

#[derive(Clone)]
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    state: Arc<Mutex<State>>,
    _running: Running,
}

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..16])
}

impl Server {
    /// Start on a random loopback port; every path is 404 until given a reply.
    pub fn start() -> Server {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let (port, running) = serve_loopback(move |sock| {
            let st = st.clone();
            async move {
                let _ = handle(sock, st).await;
            }
        });
        Server {
            base: format!("http://127.0.0.1:{port}"),
            state,
            _running: running,
        }
    }

    /// A webhook receiver: every request, to any path, is answered 200 with an empty body after
    /// `delay` (and is in [`Server::delivered`] from the moment it is read).
    pub fn receiver(delay: Duration) -> Server {
        let server = Server::start();
        server.set_fallback(Reply::status(200));
        server.set_delay(delay);
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn set(&self, path: &str, replies: Vec<Reply>) {
        let mut s = self.state.lock().unwrap();
        s.routes.insert(path.to_string(), replies);
        s.hits.remove(path);
    }

    /// Answer every request to `path` (any query) with `f(query)`.
    pub fn set_fn(&self, path: &str, f: Handler) {
        self.state
            .lock()
            .unwrap()
            .handlers
            .insert(path.to_string(), f);
    }

    pub fn set_ok(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.set(path, vec![Reply::Ok(body.into())]);
    }

    /// Answer every path that has no route or handler with `reply`.
    pub fn set_fallback(&self, reply: Reply) {
        self.state.lock().unwrap().fallback = Some(reply);
    }

    /// Serve every file under `dir` at `prefix/<relative path>`, after `edit(relative path, bytes)`.
    pub fn serve_dir(&self, prefix: &str, dir: &Path, edit: &dyn Fn(&str, Vec<u8>) -> Vec<u8>) {
        fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out)
                } else {
                    out.push(p)
                }
            }
        }
        let mut files = Vec::new();
        walk(dir, &mut files);
        for f in files {
            let rel = f
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            self.set_ok(
                &format!("{prefix}/{rel}"),
                edit(&rel, std::fs::read(&f).unwrap()),
            );
        }
    }

    /// Paths requested so far (in order).
    pub fn requests(&self) -> Vec<String> {
        self.log().into_iter().map(|r| r.path).collect()
    }

    /// Paths requested so far that `pred` accepts (in order).
    pub fn requested(&self, pred: impl Fn(&str) -> bool) -> Vec<String> {
        self.requests().into_iter().filter(|p| pred(p)).collect()
    }

    /// Of the paths [`Server::requested`] gives, those whose body was sent: requests not
    /// answered 304.
    pub fn downloaded(&self, pred: impl Fn(&str) -> bool) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|r| r.status != 304 && pred(&r.path))
            .map(|r| r.path)
            .collect()
    }

    /// Every request so far (in order), whatever it was answered.
    pub fn log(&self) -> Vec<Request> {
        self.state.lock().unwrap().log.clone()
    }

    /// The requests answered with a 2xx status: what a webhook receiver took.
    pub fn delivered(&self) -> Vec<Request> {
        self.log()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Delay every reply (to make a sync take a while, or a delivery be in flight).
    pub fn set_delay(&self, d: Duration) {
        self.state.lock().unwrap().delay = d;
    }

    /// Answer the next `n` requests, to any path, with 500.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().fail_next = n;
    }

    /// Paths answered with 304 Not Modified so far.
    pub fn not_modified(&self) -> Vec<String> {
        self.state.lock().unwrap().not_modified.clone()
    }

    pub fn clear_log(&self) {
        let mut s = self.state.lock().unwrap();
        s.log.clear();
        s.not_modified.clear();
    }
}

/// The request line and headers, and the body by `Content-Length`; `None` when the peer closed
/// the connection before a whole request arrived.
async fn read_request(sock: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or("").split_whitespace();
    let method = request_line.next().unwrap_or("").to_string();
    let path = request_line.next().unwrap_or("/").to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Ok(Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string(),
        status: 0,
    }))
}

/// The reply scripted for `req` (404 when nothing is), counting the hit.
fn choose(s: &mut State, req: &Request) -> Reply {
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return Reply::status(500);
    }
    let path = &req.path;
    let hit = *s.hits.get(path).unwrap_or(&0);
    s.hits.insert(path.clone(), hit + 1);
    let (bare, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
    match s.routes.get(path) {
        Some(r) => r[hit.min(r.len() - 1)].clone(),
        None => match s.handlers.get(bare) {
            Some(h) => h(query),
            None => s
                .fallback
                .clone()
                .unwrap_or_else(|| Reply::Status(404, vec![], b"not found".to_vec())),
        },
    }
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {len}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

async fn write(
    sock: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut bytes = head(status, headers, body.len());
    bytes.extend_from_slice(body);
    sock.write_all(&bytes).await?;
    sock.shutdown().await
}

async fn handle(mut sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(mut req) = read_request(&mut sock).await? else {
        return Ok(());
    };
    // Decide and log on arrival: a request is in the log while its answer is still delayed, as a
    // delivery counts as received before the sender sees the reply.
    let (reply, delay) = {
        let mut s = st.lock().unwrap();
        let mut reply = choose(&mut s, &req);
        if let Reply::Ok(body) = &reply {
            let tag = etag(body);
            if req.headers.get("if-none-match") == Some(&tag) {
                s.not_modified.push(req.path.clone());
                reply = Reply::Status(304, vec![("etag".into(), tag)], vec![]);
            }
        }
        req.status = match &reply {
            Reply::Status(code, ..) => *code,
            _ => 200,
        };
        s.log.push(req);
        (reply, s.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match reply {
        Reply::Ok(body) => write(&mut sock, 200, &[("etag".into(), etag(&body))], &body).await?,
        Reply::Status(code, headers, body) => write(&mut sock, code, &headers, &body).await?,
        Reply::Truncated { declared, body } => {
            let h = format!(
                "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {declared}\r\n\r\n"
            );
            sock.write_all(h.as_bytes()).await?;
            sock.write_all(&body).await?;
            sock.shutdown().await?;
        }
        Reply::Slow => {
            sock.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await?;
            loop {
                sock.write_all(b"1\r\nx\r\n").await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Reply::Huge(n) => {
            sock.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await?;
            let chunk = vec![b'x'; 8192];
            let mut sent = 0;
            while sent < n {
                sock.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                sock.write_all(&chunk).await?;
                sock.write_all(b"\r\n").await?;
                sent += chunk.len();
            }
            sock.write_all(b"0\r\n\r\n").await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET over a fresh connection, as a client with no keep-alive sends it.
    fn get(server: &Server, path: &str, extra: &str) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n{extra}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn scripted_replies_repeat_the_last_and_conditional_gets_answer_304() {
        let server = Server::start();
        server.set(
            "/doc",
            vec![Reply::status(503), Reply::Ok(b"body".to_vec())],
        );
        assert!(get(&server, "/doc", "").starts_with("HTTP/1.1 503 "));
        let ok = get(&server, "/doc", "");
        assert!(
            ok.starts_with("HTTP/1.1 200 ") && ok.ends_with("\r\n\r\nbody"),
            "{ok}"
        );
        let tag = etag(b"body");
        assert!(ok.contains(&format!("etag: {tag}")), "{ok}");
        let again = get(&server, "/doc", &format!("if-none-match: {tag}\r\n"));
        assert!(again.starts_with("HTTP/1.1 304 "), "{again}");
        assert!(get(&server, "/other", "").starts_with("HTTP/1.1 404 "));
        assert_eq!(server.requests(), ["/doc", "/doc", "/doc", "/other"]);
        assert_eq!(server.not_modified(), ["/doc"]);
        let statuses: Vec<u16> = server.log().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [503, 200, 304, 404]);
    }

    #[test]
    fn a_receiver_records_bodies_and_fails_on_request() {
        use std::io::{Read, Write};
        let hook = Server::receiver(Duration::ZERO);
        hook.fail_next(1);
        let post = |path: &str, body: &str| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", hook.port())).unwrap();
            write!(
                s,
                "POST {path} HTTP/1.1\r\nAuthorization: Bearer t\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        assert!(post("/a", "{\"n\":1}").starts_with("HTTP/1.1 500 "));
        assert!(post("/a", "{\"n\":2}").starts_with("HTTP/1.1 200 "));
        let got = hook.delivered();
        assert_eq!(got.len(), 1, "the failed request is not a delivery");
        assert_eq!(
            (got[0].method.as_str(), got[0].path.as_str()),
            ("POST", "/a")
        );
        assert_eq!(got[0].body, "{\"n\":2}");
        assert_eq!(got[0].headers["authorization"], "Bearer t");
        assert_eq!(hook.log().len(), 2);
    }
}
