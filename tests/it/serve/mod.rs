//! `firmwatch serve`: the binary started on a loopback port and asked over HTTP, as a browser or
//! a script would — every route, the auth rules, escaping, limits, the cycle — and the pages in
//! a real browser.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::cmd::Fw;
use crate::support::listen::Listening;

mod auth;
mod browser;
mod cycle;
mod routes;

/// The example estate's rating day (the README's).
const TODAY: &str = "2026-11-22";
/// How long a server may take to rate and bind (a loaded machine, a debug build).
const START: Duration = Duration::from_secs(180);

/// `firmwatch serve --listen 127.0.0.1:0 ARGS` with `fw`'s options, once it listens.
fn start(fw: Fw, args: &[&str]) -> Listening {
    Listening::start(
        fw.args(["serve", "--listen", "127.0.0.1:0", "--today", TODAY])
            .args(args)
            .command(),
        START,
    )
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The status is `status`, or the panic shows the answer.
    fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "{self:#?}");
        self
    }
}

/// One request over a fresh connection, the path sent exactly as given (no client
/// normalises `..` away).
fn request(
    server: &Listening,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let addr = server.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before it has read all of a large body.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {path}: no HTTP answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

fn get(server: &Listening, path: &str) -> Answer {
    request(server, "GET", path, &[], b"")
}

fn get_with(server: &Listening, path: &str, token: &str) -> Answer {
    request(
        server,
        "GET",
        path,
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    )
}

/// A `multipart/form-data` body of text fields, and its content type.
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "fw-boundary-7d1c";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}
