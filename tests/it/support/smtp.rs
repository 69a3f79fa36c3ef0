//! A loopback SMTP peer for the notify and leak tests, and the functions that read the mails it
//! took (quoted-printable, MIME parts, headers).
//!
//! Just enough SMTP: 220, EHLO/HELO → 250, MAIL/RCPT → 250, DATA → 354, "." → 250, QUIT → 221.
//! It records every mail transaction, and every line each connection sent (so a test can see what
//! credentials a client offered). It can refuse the next n transactions (451 at MAIL, not
//! recorded) and can advertise AUTH only to refuse every login (535).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{serve_loopback, Running};

/// One mail transaction as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub rcpt: Vec<String>,
    /// Everything between DATA and the final dot: headers, a blank line, the body.
    pub data: String,
}

#[derive(Default)]
struct State {
    mails: Vec<Mail>,
    /// Each connection's lines as sent, in order of connection.
    sessions: Vec<String>,
    /// Transactions still to refuse.
    fail_next: u32,
    reject_auth: bool,
}

/// The SMTP peer; it shuts down when the last clone is dropped.
#[derive(Clone)]
pub struct Smtp {
    pub port: u16,
    state: Arc<Mutex<State>>,
    _running: Running,
}

impl Smtp {
    /// A peer that takes every mail.
    pub fn start() -> Smtp {
        Smtp::with(State::default())
    }

    /// A peer that advertises `AUTH PLAIN LOGIN` and refuses every login with 535.
    pub fn rejecting_auth() -> Smtp {
        Smtp::with(State {
            reject_auth: true,
            ..State::default()
        })
    }

    fn with(state: State) -> Smtp {
        let state = Arc::new(Mutex::new(state));
        let st = state.clone();
        let (port, running) = serve_loopback(move |sock| {
            let st = st.clone();
            async move { session(sock, st).await }
        });
        Smtp {
            port,
            state,
            _running: running,
        }
    }

    /// `smtp://127.0.0.1:<port>`, for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The mails taken so far.
    pub fn received(&self) -> Vec<Mail> {
        self.state.lock().unwrap().mails.clone()
    }

    /// Every line each connection sent so far, one string per connection.
    pub fn sessions(&self) -> Vec<String> {
        self.state.lock().unwrap().sessions.clone()
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().mails.clear();
    }

    /// Refuse the next `n` transactions (451 at MAIL FROM).
    pub fn fail(&self, n: u32) {
        self.state.lock().unwrap().fail_next = n;
    }
}

async fn session(sock: TcpStream, st: Arc<Mutex<State>>) {
    let (rd, mut wr) = sock.into_split();
    let mut r = BufReader::new(rd);
    let at = {
        let mut s = st.lock().unwrap();
        s.sessions.push(String::new());
        s.sessions.len() - 1
    };
    let heard = |line: &str| st.lock().unwrap().sessions[at].push_str(line);
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
        heard(&line);
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            if st.lock().unwrap().reject_auth {
                b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n"
            } else {
                b"250 localhost\r\n"
            }
        } else if upper.starts_with("AUTH") && st.lock().unwrap().reject_auth {
            b"535 5.7.8 authentication failed\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            let failing = {
                let mut s = st.lock().unwrap();
                let failing = s.fail_next > 0;
                if failing {
                    s.fail_next -= 1;
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
                heard(&l);
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            mail.data = data;
            st.lock().unwrap().mails.push(mail.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};

    #[test]
    fn qp_decoding() {
        assert_eq!(qp_decode("a=3Db=\r\nc =E2=80=94"), "a=bc —");
    }

    /// Talk to the peer as a client does; returns its reply to each line.
    fn converse(peer: &Smtp, lines: &[&str]) -> Vec<String> {
        let s = std::net::TcpStream::connect(("127.0.0.1", peer.port)).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut reply = || {
            let mut all = String::new();
            loop {
                let mut l = String::new();
                r.read_line(&mut l).unwrap();
                all.push_str(&l);
                if l.as_bytes().get(3) != Some(&b'-') {
                    return all;
                }
            }
        };
        reply(); // greeting
        lines
            .iter()
            .map(|l| {
                w.write_all(format!("{l}\r\n").as_bytes()).unwrap();
                reply()
            })
            .collect()
    }

    #[test]
    fn takes_a_mail_after_a_refused_one() {
        let peer = Smtp::start();
        peer.fail(1);
        let first = converse(&peer, &["EHLO x", "MAIL FROM:<a@x>", "QUIT"]);
        assert!(first[1].starts_with("451"), "{first:?}");
        let mail = ["EHLO x", "MAIL FROM:<a@x>", "RCPT TO:<b@y>", "DATA"];
        let second = converse(
            &peer,
            &[&mail[..], &["Subject: hi\r\n\r\nbody\r\n."]].concat(),
        );
        assert!(second[4].starts_with("250"), "{second:?}");
        let got = peer.received();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].from.as_str(), got[0].rcpt.as_slice()),
            ("<a@x>", &["b@y".to_string()][..])
        );
        assert_eq!(mail_header(&got[0].data, "subject").as_deref(), Some("hi"));
        assert_eq!(peer.sessions().len(), 2);
    }

    #[test]
    fn rejecting_auth_advertises_it_and_records_the_attempt() {
        let peer = Smtp::rejecting_auth();
        let got = converse(&peer, &["EHLO x", "AUTH PLAIN AGFAYg=="]);
        assert!(got[0].contains("AUTH PLAIN LOGIN"), "{got:?}");
        assert!(got[1].starts_with("535"), "{got:?}");
        assert!(peer.sessions()[0].contains("AUTH PLAIN AGFAYg=="));
        assert!(peer.received().is_empty());
    }
}
