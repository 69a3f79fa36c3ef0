//! A fast in-memory advisory mirror on 127.0.0.1 for the sync bench and its smoke test.
//!
//! Minimal HTTP/1.1 (GET only, keep-alive, Content-Length bodies): every path maps to bytes and a
//! strong ETag (a counter bumped on each `put`, so replacing a body changes the tag);
//! `If-None-Match` with the current tag gets 304. Unknown paths get 404. Counters record requests,
//! 200s, 304s and 404s, and 200s of *documents* (paths the harness registered as documents), which
//! is what "zero document downloads" is measured on. Serving from a `HashMap` behind a `RwLock`
//! keeps the server far cheaper than the client, so the figures are the client's.
//!
//! A path no body was published for may be answered by a [`Dynamic`] handler (set once with
//! [`Mirror::set_dynamic`]), which sees the path and the query and makes the body on request: the
//! real-sized sync bench serves its hundreds of thousands of documents that way instead of holding
//! them. Such answers carry no ETag.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Files {
    bodies: HashMap<String, (Arc<Vec<u8>>, String)>,
    documents: HashSet<String>,
    next_tag: u64,
}

/// Request counters since the last [`Mirror::reset_counts`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub ok: u64,
    pub not_modified: u64,
    pub not_found: u64,
    /// 200 responses for registered document paths (bodies actually downloaded).
    pub document_downloads: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    ok: AtomicU64,
    not_modified: AtomicU64,
    not_found: AtomicU64,
    document_downloads: AtomicU64,
}

/// Makes the body of a path nothing was published for: `(path, query)` → `(body, is a
/// document)`, or `None` for a 404.
pub type Dynamic = Arc<dyn Fn(&str, &str) -> Option<(Vec<u8>, bool)> + Send + Sync>;

#[derive(Clone)]
pub struct Mirror {
    pub base: String,
    files: Arc<RwLock<Files>>,
    counters: Arc<Counters>,
    dynamic: Arc<OnceLock<Dynamic>>,
}

impl Mirror {
    /// Bind a random loopback port and serve (needs a tokio runtime).
    pub async fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let m = Mirror {
            base,
            files: Arc::default(),
            counters: Arc::default(),
            dynamic: Arc::default(),
        };
        let srv = m.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let srv = srv.clone();
                tokio::spawn(async move {
                    let _ = srv.serve(sock).await;
                });
            }
        });
        m
    }

    /// Publish (or replace) `path` (starting with `/`).
    pub fn put(&self, path: &str, body: Vec<u8>, document: bool) {
        let mut f = self.files.write().expect("lock");
        f.next_tag += 1;
        let tag = format!("\"t{}\"", f.next_tag);
        f.bodies.insert(path.to_string(), (Arc::new(body), tag));
        if document {
            f.documents.insert(path.to_string());
        }
    }

    /// Answer the paths nothing was published for with `handler` (once; later calls are ignored).
    pub fn set_dynamic(&self, handler: Dynamic) {
        let _ = self.dynamic.set(handler);
    }

    pub fn counts(&self) -> Counts {
        let c = &self.counters;
        Counts {
            requests: c.requests.load(Ordering::Relaxed),
            ok: c.ok.load(Ordering::Relaxed),
            not_modified: c.not_modified.load(Ordering::Relaxed),
            not_found: c.not_found.load(Ordering::Relaxed),
            document_downloads: c.document_downloads.load(Ordering::Relaxed),
        }
    }

    pub fn reset_counts(&self) {
        let c = &self.counters;
        for a in [
            &c.requests,
            &c.ok,
            &c.not_modified,
            &c.not_found,
            &c.document_downloads,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    /// Bytes served in total (all published bodies).
    pub fn published_bytes(&self) -> usize {
        let f = self.files.read().expect("lock");
        f.bodies.values().map(|(b, _)| b.len()).sum()
    }

    async fn serve(&self, mut sock: TcpStream) -> std::io::Result<()> {
        sock.set_nodelay(true)?;
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        loop {
            // Read one request head (GET has no body).
            let end = loop {
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break p + 4;
                }
                let n = sock.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            };
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end);
            let mut lines = head.split("\r\n");
            let target = lines
                .next()
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or("/");
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let (path, query) = (path.to_string(), query.to_string());
            let inm = lines.find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("if-none-match")
                    .then(|| v.trim().to_string())
            });
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let found = {
                let f = self.files.read().expect("lock");
                f.bodies
                    .get(&path)
                    .map(|(b, t)| (b.clone(), t.clone(), f.documents.contains(&path)))
            };
            let found = found.or_else(|| {
                let (body, doc) = (self.dynamic.get()?)(&path, &query)?;
                Some((Arc::new(body), String::new(), doc))
            });
            match found {
                None => {
                    self.counters.not_found.fetch_add(1, Ordering::Relaxed);
                    sock.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        .await?;
                }
                Some((_, tag, _)) if !tag.is_empty() && inm.as_deref() == Some(tag.as_str()) => {
                    self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                    let h = format!("HTTP/1.1 304 Not Modified\r\netag: {tag}\r\n\r\n");
                    sock.write_all(h.as_bytes()).await?;
                }
                Some((body, tag, doc)) => {
                    self.counters.ok.fetch_add(1, Ordering::Relaxed);
                    if doc {
                        self.counters
                            .document_downloads
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    let etag = if tag.is_empty() {
                        String::new()
                    } else {
                        format!("etag: {tag}\r\n")
                    };
                    let h = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n{etag}content-length: {}\r\n\r\n",
                        body.len()
                    );
                    let mut out = Vec::with_capacity(h.len() + body.len());
                    out.extend_from_slice(h.as_bytes());
                    out.extend_from_slice(&body);
                    sock.write_all(&out).await?;
                }
            }
        }
    }
}
