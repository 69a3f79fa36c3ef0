//! Loopback peers for the notify tests: a minimal SMTP server and an HTTP/1.1 webhook receiver,
//! both on 127.0.0.1, recording what they accept. Included by `notify_*.rs` via `#[path]`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One HTTP request as received.
#[derive(Debug, Clone)]
pub struct HttpReq {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// One mail transaction as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub rcpt: Vec<String>,
    pub data: String,
}

/// A peer running on its own thread and runtime (the code under test is a child process).
pub struct Peer<T> {
    pub port: u16,
    pub got: Arc<Mutex<Vec<T>>>,
    /// Number of requests/transactions still to refuse.
    pub fail_next: Arc<Mutex<u32>>,
}

impl<T: Clone> Peer<T> {
    pub fn received(&self) -> Vec<T> {
        self.got.lock().unwrap().clone()
    }
    pub fn clear(&self) {
        self.got.lock().unwrap().clear();
    }
    pub fn fail(&self, n: u32) {
        *self.fail_next.lock().unwrap() = n;
    }
}

fn spawn_runtime<F>(f: F)
where
    F: FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + 'static,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(f());
    });
}

/// An HTTP/1.1 receiver: records every complete request, then (after `delay`) answers 200, or
/// 500 while `fail_next` > 0 (failed requests are not recorded).
pub fn webhook_receiver(delay: Duration) -> Peer<HttpReq> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let fail_next = Arc::new(Mutex::new(0u32));
    let (g, fl) = (got.clone(), fail_next.clone());
    spawn_runtime(move || {
        Box::pin(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let (g, fl) = (g.clone(), fl.clone());
                tokio::spawn(async move {
                    let mut r = BufReader::new(sock);
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut headers = HashMap::new();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                        }
                    }
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let failing = {
                        let mut f = fl.lock().unwrap();
                        let failing = *f > 0;
                        if failing {
                            *f -= 1;
                        }
                        failing
                    };
                    if !failing {
                        g.lock().unwrap().push(HttpReq {
                            path,
                            headers,
                            body: String::from_utf8_lossy(&body).to_string(),
                        });
                    }
                    tokio::time::sleep(delay).await;
                    let status = if failing {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let mut sock = r.into_inner();
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        })
    });
    Peer {
        port,
        got,
        fail_next,
    }
}

/// Just enough SMTP: 220, EHLO/HELO → 250, MAIL/RCPT → 250, DATA → 354, "." → 250, QUIT → 221.
/// While `fail_next` > 0, a transaction is refused at MAIL with 451 (and not recorded).
pub fn smtp_server() -> Peer<Mail> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let fail_next = Arc::new(Mutex::new(0u32));
    let (g, fl) = (got.clone(), fail_next.clone());
    spawn_runtime(move || {
        Box::pin(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let (g, fl) = (g.clone(), fl.clone());
                tokio::spawn(async move {
                    let (rd, mut wr) = sock.into_split();
                    let mut r = BufReader::new(rd);
                    let _ = wr.write_all(b"220 localhost ESMTP test\r\n").await;
                    let mut mail = Mail {
                        from: String::new(),
                        rcpt: Vec::new(),
                        data: String::new(),
                    };
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let cmd = line.trim_end().to_string();
                        let upper = cmd.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250 localhost\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            let failing = {
                                let mut f = fl.lock().unwrap();
                                let failing = *f > 0;
                                if failing {
                                    *f -= 1;
                                }
                                failing
                            };
                            if failing {
                                b"451 4.3.0 try again later\r\n"
                            } else {
                                mail.from = cmd[10..].trim().to_string();
                                b"250 OK\r\n"
                            }
                        } else if upper.starts_with("RCPT TO:") {
                            mail.rcpt.push(
                                cmd[8..]
                                    .trim()
                                    .trim_matches(|c| c == '<' || c == '>')
                                    .to_string(),
                            );
                            b"250 OK\r\n"
                        } else if upper == "DATA" {
                            let _ = wr.write_all(b"354 end with .\r\n").await;
                            let mut data = String::new();
                            loop {
                                let mut l = String::new();
                                if r.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if l == ".\r\n" || l == ".\n" {
                                    break;
                                }
                                data.push_str(&l);
                            }
                            mail.data = data;
                            g.lock().unwrap().push(mail.clone());
                            mail.rcpt.clear();
                            b"250 OK queued\r\n"
                        } else if upper == "QUIT" {
                            let _ = wr.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = wr.write_all(reply).await;
                    }
                });
            }
        })
    });
    Peer {
        port,
        got,
        fail_next,
    }
}

/// Decode a quoted-printable body.
pub fn qp_decode(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The decoded part of a mail with this content type (`text/plain`, `text/html`).
pub fn mail_part(data: &str, content_type: &str) -> Option<String> {
    let start = data.find(&format!("Content-Type: {content_type}"))?;
    let rest = &data[start..];
    let body_start = rest.find("\r\n\r\n")? + 4;
    let body = &rest[body_start..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    Some(qp_decode(&body[..end]))
}

/// A header value of a raw mail.
pub fn mail_header(data: &str, name: &str) -> Option<String> {
    data.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

/// Run the binary with a store, feeds and inventory.
pub fn firmwatch(dir: &Path, feeds: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firmwatch"))
        .arg("--store")
        .arg(dir.join("store"))
        .arg("--feeds")
        .arg(feeds)
        .arg("--inventory")
        .arg(dir.join("inventory"))
        .args(args)
        .env("FIRMWATCH_TEST_TOKEN", "t0ken")
        .env_remove("FIRMWATCH_SMTP_URL")
        .output()
        .expect("run firmwatch")
}

pub fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn qp_decoding() {
    assert_eq!(qp_decode("a=3Db=\r\nc =E2=80=94"), "a=bc —");
}
