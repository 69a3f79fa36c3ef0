//! A small scriptable HTTP/1.1 server on 127.0.0.1 for the sync tests: serves files or scripted
//! replies per path, answers `If-None-Match` with 304, logs every request path, and can misbehave
//! (slow body, truncated body, redirects, 5xx/429 sequences).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A reply computed from the request's query string.
pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    /// Dynamic routes by path (without query), used when no exact route matches.
    handlers: HashMap<String, Handler>,
    /// Replies per path; the last one repeats.
    routes: HashMap<String, Vec<Reply>>,
    hits: HashMap<String, usize>,
    log: Vec<String>,
    /// Paths answered 304.
    not_modified: Vec<String>,
    /// Wait before every reply.
    delay: Duration,
}

#[derive(Clone)]
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
}

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..16])
}

impl Server {
    /// Start on a random loopback port (needs a tokio runtime).
    pub async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = handle(sock, st).await;
                });
            }
        });
        Server { base, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn set(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), replies);
        self.state.lock().unwrap().hits.remove(path);
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
        self.state.lock().unwrap().log.clone()
    }

    /// Delay every reply (to make a sync take a while).
    pub fn set_delay(&self, d: Duration) {
        self.state.lock().unwrap().delay = d;
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

async fn handle(mut sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let inm = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("if-none-match"))
        .map(|(_, v)| v.trim().to_string());
    let delay = st.lock().unwrap().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = {
        let mut s = st.lock().unwrap();
        s.log.push(path.clone());
        let hit = *s.hits.get(&path).unwrap_or(&0);
        s.hits.insert(path.clone(), hit + 1);
        let (bare, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
        match s.routes.get(&path) {
            Some(r) => Some(r[hit.min(r.len() - 1)].clone()),
            None => s.handlers.get(bare).map(|h| h(query)),
        }
    };
    let write = |status: u16, headers: &[(String, String)], body: &[u8]| {
        let mut out = format!(
            "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    };
    match reply {
        None => sock.write_all(&write(404, &[], b"not found")).await?,
        Some(Reply::Ok(body)) => {
            let tag = etag(&body);
            if inm.as_deref() == Some(tag.as_str()) {
                st.lock().unwrap().not_modified.push(path.clone());
                sock.write_all(&write(304, &[("etag".into(), tag)], b""))
                    .await?
            } else {
                sock.write_all(&write(200, &[("etag".into(), tag)], &body))
                    .await?
            }
        }
        Some(Reply::Status(code, headers, body)) => {
            sock.write_all(&write(code, &headers, &body)).await?
        }
        Some(Reply::Truncated { declared, body }) => {
            let h = format!(
                "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {declared}\r\n\r\n"
            );
            sock.write_all(h.as_bytes()).await?;
            sock.write_all(&body).await?;
            sock.shutdown().await?;
        }
        Some(Reply::Slow) => {
            sock.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await?;
            loop {
                sock.write_all(b"1\r\nx\r\n").await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Some(Reply::Huge(n)) => {
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

/// `<hex sha512>  <name>` as providers write it.
pub fn sha512_file(bytes: &[u8], name: &str) -> Vec<u8> {
    format!("{}  {name}\n", hex::encode(sha2::Sha512::digest(bytes))).into_bytes()
}

/// Change a CSAF document's title (a content change that keeps it valid).
pub fn retitle(doc: &[u8], title: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(doc).unwrap();
    v["document"]["title"] = serde_json::Value::String(title.to_string());
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Write feed files into a temp dir and load them.
pub fn feeds(defs: &[(&str, String)]) -> (tempfile::TempDir, Vec<firmwatch::collect::FeedDef>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in defs {
        std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    }
    let loaded = firmwatch::collect::load_feeds(dir.path()).unwrap();
    (dir, loaded)
}

/// Fast HTTP settings so hostile cases finish in about a second.
pub fn fast_options() -> firmwatch::collect::SyncOptions {
    let mut o = firmwatch::collect::SyncOptions {
        concurrency: 16,
        ..Default::default()
    };
    o.http.total_timeout = Duration::from_millis(1500);
    o.http.connect_timeout = Duration::from_millis(500);
    o.http.retries = 2;
    o.http.backoff = Duration::from_millis(20);
    o.http.max_retry_wait = Duration::from_secs(2);
    o.http.max_body = 1024 * 1024;
    o
}

pub fn report_of<'a>(
    r: &'a firmwatch::collect::SyncReport,
    id: &str,
) -> &'a firmwatch::collect::FeedReport {
    r.feeds.iter().find(|f| f.feed.as_str() == id).unwrap()
}
