//! Secrets and leaks.
//!
//! 1. A canary secret in every credential variable (SMTP user/password, webhook bearer, NVD API
//!    key), peers on 127.0.0.1 that fail (SMTP rejecting AUTH, a webhook and NVD answering 500, a
//!    closed port), every command with `-vvv` and `FIRMWATCH_LOG=trace`/`RUST_LOG=trace`: the canary
//!    (raw or base64) never appears on stdout, stderr, in any store file or report — while the
//!    peers prove it was really used. `Debug` of the structs that carry secrets redacts them.
//! 2. Three owners: C's system and service never reach A (notifications as received by a live
//!    SMTP server and webhook, and `exposure --owner` in every format); A, entitled to a system B
//!    runs through A's service, sees that system but not C's service on it.
//! 3. Hostile advisory text (`<script>`, quotes, CRLF, `=cmd|…`, markdown links, ANSI escapes) is
//!    inert in every exposure format, the e-mail (headers and both parts) and both webhook formats.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const CANARY: &str = "CANARY-s3cr3t-7f1d9a";

/// Everything a fake peer received, one entry per connection.
type Log = Arc<Mutex<Vec<String>>>;

/// An HTTP peer answering every request with `status`, recording each raw request.
fn http_peer(status: u16) -> (u16, Log) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            s.set_read_timeout(Some(std::time::Duration::from_millis(300)))
                .unwrap();
            // Read headers, then the body by Content-Length.
            loop {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= h + 4 + len {
                        break;
                    }
                }
            }
            log2.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
            );
        }
    });
    (port, log)
}

/// A line-based SMTP peer. With `reject_auth` it advertises AUTH and refuses every login;
/// otherwise it accepts every message. Records each session.
fn smtp_peer(reject_auth: bool) -> (u16, Log) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            let mut session = String::new();
            let _ = w.write_all(b"220 localhost ESMTP\r\n");
            let mut line = String::new();
            let mut in_data = false;
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                session.push_str(&line);
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        let _ = w.write_all(b"250 queued\r\n");
                    }
                    continue;
                }
                let cmd = line.to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("EHLO") {
                    if reject_auth {
                        b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n"
                    } else {
                        b"250 localhost\r\n"
                    }
                } else if cmd.starts_with("AUTH") {
                    b"535 5.7.8 authentication failed\r\n"
                } else if cmd.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if cmd.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 ok\r\n"
                };
                let _ = w.write_all(reply);
            }
            log2.lock().unwrap().push(session);
        }
    });
    (port, log)
}

const HOSTILE_TITLE: &str = "=cmd|' /C calc'!A0 <script>alert(1)</script> \\\"q\\\" [x](javascript:alert(1)) \\u001b[31mred\\r\\nBcc: victim@evil.example";

/// Feeds: one native advisory with a hostile title, summary and product name, hitting every
/// NetApp AFF in the estate; optionally an NVD feed on `nvd_port`.
fn setup(dir: &Path, hook_port: u16, nvd_port: Option<u16>) {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("native")).unwrap();
    std::fs::write(
        feeds.join("n.toml"),
        "id = \"n\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    )
    .unwrap();
    if let Some(p) = nvd_port {
        std::fs::write(
            feeds.join("nvd.toml"),
            format!(
                "id = \"nvd\"\nkind = \"nvd\"\nurl = \"http://127.0.0.1:{p}/rest/json/cves/2.0\"\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(
        feeds.join("native/n.toml"),
        format!(
            "[[advisory]]\nid = \"LEAK-1\"\nvendor = \"NetApp\"\ntitle = \"{HOSTILE_TITLE}\"\n\
             summary = \"<img src=x onerror=alert(1)> =HYPERLINK(\\\"http://evil\\\")\"\n\
             published = \"2026-01-01\"\nmodified = \"2026-01-01\"\neffects = [\"failover-failure\"]\n\
             triggers = [\"hardware-fault\"]\n\n[[advisory.affected]]\nproduct = \"ONTAP <b onmouseover=x>\"\n\
             component = \"system\"\nscheme = \"ontap\"\nstatus = \"affected\"\n\
             versions = \"vers:ontap/>=9.8|<9.8P6\"\nfixed_in = [\"9.8P6\"]\n"
        ),
    )
    .unwrap();
    let inv = dir.join("inventory");
    std::fs::create_dir_all(&inv).unwrap();
    let sys = |id: &str, name: &str, owner: &str| {
        format!(
            "[[systems]]\nid = \"{id}\"\nname = \"{name}\"\nvendor = \"NetApp\"\nmodel = \"AFF A400\"\nowner = \"{owner}\"\nfirmware = \"9.8P3\"\n\n"
        )
    };
    let text = format!(
        "[[owners]]\nid = \"owner-a\"\nname = \"Team A\"\nemail = \"a@example.net\"\n\
         webhook = {{ url = \"http://127.0.0.1:{hook_port}/a\", secret_env = \"FW_HOOK_SECRET\" }}\n\n\
         [[owners]]\nid = \"owner-b\"\nname = \"Team B\"\nwebhook = {{ url = \"http://127.0.0.1:{hook_port}/b\", format = \"slack\" }}\n\n\
         [[owners]]\nid = \"owner-c\"\nname = \"Team C\"\nemail = \"c@example.net\"\n\n\
         {}{}{}{}\
         [[services]]\nid = \"svc-a\"\nname = \"Service of A\"\nowner = \"owner-a\"\nusers = 100\ncriticality = \"high\"\ndepends_on = [\"arr-shared\"]\n\n\
         [[services]]\nid = \"svc-c-secretive\"\nname = \"Hidden service of C\"\nowner = \"owner-c\"\nusers = 7777\ntenants = [\"tenant-of-c\"]\ncriticality = \"critical\"\ndepends_on = [\"arr-shared\"]\n",
        sys("arr-a", "Array A", "owner-a"),
        sys("arr-b", "Array B", "owner-b"),
        sys("arr-c", "Array C of team C", "owner-c"),
        sys("arr-shared", "Shared array", "owner-b"),
    );
    std::fs::write(inv.join("estate.toml"), text).unwrap();
}

fn fw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firmwatch"))
        .arg("--store")
        .arg(dir.join("store"))
        .arg("--feeds")
        .arg(dir.join("feeds"))
        .arg("--inventory")
        .arg(dir.join("inventory"))
        .args(args)
        .env("FW_SMTP_USER", CANARY)
        .env("FW_SMTP_PASS", CANARY)
        .env("FW_HOOK_SECRET", CANARY)
        .env("FIRMWATCH_NVD_API_KEY", CANARY)
        .env("FIRMWATCH_LOG", "trace")
        .env("RUST_LOG", "trace")
        .env_remove("FIRMWATCH_SMTP_URL")
        .output()
        .unwrap()
}

fn all_output(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn encodings() -> Vec<String> {
    vec![
        CANARY.to_string(),
        b64(CANARY),
        b64(&format!("\0{CANARY}\0{CANARY}")),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for e in encodings() {
        assert!(!text.contains(&e), "{what} leaks the secret ({e}):\n{text}");
    }
}

fn scan_dir(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scan_dir(&p);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for enc in encodings() {
                assert!(!text.contains(&enc), "{} holds the secret", p.display());
            }
        }
    }
}

#[test]
fn canary_secrets_never_leak() {
    let dir = tempfile::tempdir().unwrap();
    let (hook_port, hook_log) = http_peer(500);
    let (nvd_port, nvd_log) = http_peer(500);
    let (smtp_port, smtp_log) = smtp_peer(true);
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    setup(dir.path(), hook_port, Some(nvd_port));
    let smtp = format!("smtp://127.0.0.1:{smtp_port}");
    let smtp_closed = format!("smtp://127.0.0.1:{closed}");
    let notify_args = |url: &str| -> Vec<String> {
        [
            "notify",
            "-vvv",
            "--smtp-url",
            url,
            "--smtp-tls",
            "none",
            "--smtp-user-env",
            "FW_SMTP_USER",
            "--smtp-password-env",
            "FW_SMTP_PASS",
            "--retry-now",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let mut runs: Vec<(String, Output)> = Vec::new();
    let mut run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        runs.push((args.join(" "), fw(dir.path(), &a)));
    };
    run(vec!["sync".into(), "-vvv".into()]);
    let no_sync = |url: &str| {
        let mut a = notify_args(url);
        a.push("--no-sync".into());
        a
    };
    run(no_sync(&smtp));
    run(no_sync(&smtp_closed));
    let mut as_run = notify_args(&smtp);
    as_run[0] = "run".into();
    as_run.push("--once".into());
    run(as_run);
    run(vec!["notify".into(), "--status".into()]);
    for f in ["table", "json", "csv", "markdown", "html"] {
        run(vec![
            "exposure".into(),
            "-vvv".into(),
            "--no-sync".into(),
            "--format".into(),
            f.into(),
        ]);
    }
    run(vec!["sync".into(), "--help".into()]);
    run(vec!["notify".into(), "--help".into()]);
    run(vec!["store".into(), "check".into()]);

    for (args, out) in &runs {
        assert_clean(&format!("`firmwatch {args}`"), &all_output(out));
    }
    // The runs were real: the sync reached NVD and failed, notify failed against both SMTP peers.
    let sync = all_output(&runs[0].1);
    assert!(sync.contains("nvd"), "{sync}");
    assert_eq!(runs[0].1.status.code(), Some(5), "{sync}");
    assert_eq!(
        runs[1].1.status.code(),
        Some(5),
        "{}",
        all_output(&runs[1].1)
    );
    assert!(all_output(&runs[1].1).contains("FAILED"));
    scan_dir(&dir.path().join("store"));

    // The peers saw the secret where it belongs — so the runs above did use it.
    assert!(
        hook_log
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.contains(&format!("Bearer {CANARY}"))),
        "the webhook got its bearer token"
    );
    assert!(
        nvd_log.lock().unwrap().iter().any(|r| r.contains(CANARY)),
        "NVD got its API key"
    );
    let smtp_sessions = smtp_log.lock().unwrap().join("");
    assert!(
        smtp_sessions.contains("AUTH")
            && (smtp_sessions.contains(&b64(&format!("\0{CANARY}\0{CANARY}")))
                || smtp_sessions.contains(&b64(CANARY))),
        "SMTP was offered the credentials: {smtp_sessions}"
    );
}

#[test]
fn debug_of_secret_holders_redacts() {
    let opts = firmwatch::collect::SyncOptions {
        nvd_api_key: Some(CANARY.into()),
        ..Default::default()
    };
    assert_clean("SyncOptions Debug", &format!("{opts:?}"));
    std::env::set_var("FW_DEBUG_PASS", CANARY);
    let cfg = firmwatch::notify::email::SmtpConfig::from_url(
        "smtp://127.0.0.1:25",
        firmwatch::notify::email::Tls::None,
        "x@example.net".into(),
        Some("FW_DEBUG_PASS".into()),
        Some("FW_DEBUG_PASS".into()),
    )
    .unwrap();
    assert_clean("SmtpConfig Debug", &format!("{cfg:?}"));
    // Credentials inside the URL are refused, and the refusal does not echo them.
    let err = firmwatch::notify::email::SmtpConfig::from_url(
        &format!("smtp://user:{CANARY}@127.0.0.1:25"),
        firmwatch::notify::email::Tls::None,
        "x@example.net".into(),
        None,
        None,
    )
    .unwrap_err();
    assert_clean("SmtpConfig URL error", &err.to_string());
}

fn exposure(dir: &Path, args: &[&str]) -> String {
    let mut a = vec!["exposure", "--no-sync"];
    a.extend_from_slice(args);
    let o = fw(dir, &a);
    assert!(o.status.success(), "{}", all_output(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What C's systems and services are called anywhere.
const OF_C: [&str; 5] = [
    "arr-c",
    "Array C of team C",
    "svc-c-secretive",
    "Hidden service of C",
    "tenant-of-c",
];

#[test]
fn owners_see_only_their_own_and_hostile_text_stays_inert() {
    let dir = tempfile::tempdir().unwrap();
    let (hook_port, hook_log) = http_peer(200);
    let (smtp_port, smtp_log) = smtp_peer(false);
    setup(dir.path(), hook_port, None);
    assert_eq!(fw(dir.path(), &["sync", "-q"]).status.code(), Some(0));
    let o = fw(
        dir.path(),
        &[
            "notify",
            "--no-sync",
            "--smtp-url",
            &format!("smtp://127.0.0.1:{smtp_port}"),
            "--smtp-tls",
            "none",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));

    // What each owner received.
    let mails = smtp_log.lock().unwrap().clone();
    let mail_to = |addr: &str| {
        mails
            .iter()
            .find(|m| m.contains(&format!("RCPT TO:<{addr}>")))
            .cloned()
            .unwrap_or_else(|| panic!("no mail to {addr}: {mails:?}"))
    };
    let mail_a = mail_to("a@example.net");
    let mail_c = mail_to("c@example.net");
    let hooks = hook_log.lock().unwrap().clone();
    let hook = |path: &str| {
        hooks
            .iter()
            .find(|r| r.starts_with(&format!("POST {path} ")))
            .cloned()
            .unwrap_or_else(|| panic!("no webhook {path}: {hooks:?}"))
    };
    let hook_a = hook("/a");
    let hook_b = hook("/b");

    // A gets its own system and the shared one (through svc-a), never anything of C.
    let a_decoded = quoted_printable_decode(&mail_a);
    for m in [&a_decoded, &hook_a] {
        assert!(m.contains("arr-a") && m.contains("arr-shared"), "{m}");
        assert!(m.contains("svc-a"), "{m}");
        for c in OF_C {
            assert!(!m.contains(c), "A received `{c}`:\n{m}");
        }
        assert!(!m.contains("arr-b\""), "A received B's own system:\n{m}");
    }
    // C gets arr-c and the shared array its service depends on; B (slack) gets its systems.
    let c_decoded = quoted_printable_decode(&mail_c);
    assert!(c_decoded.contains("arr-c") && c_decoded.contains("arr-shared"));
    assert!(!c_decoded.contains("svc-a") && !c_decoded.contains("arr-a "));
    assert!(hook_b.contains("arr-b") && !hook_b.contains("arr-c"));

    // exposure --owner owner-a: every format, the same rule.
    for f in ["table", "json", "csv", "markdown", "html"] {
        let out = exposure(dir.path(), &["--owner", "owner-a", "--format", f]);
        assert!(
            out.contains("arr-a") && out.contains("arr-shared"),
            "{f}: {out}"
        );
        for c in OF_C {
            assert!(
                !out.contains(c),
                "{f}: exposure --owner owner-a shows `{c}`:\n{out}"
            );
        }
    }
    let expl = exposure(
        dir.path(),
        &["--owner", "owner-a", "--explain", "LEAK-1@arr-shared"],
    );
    for c in OF_C {
        assert!(!expl.contains(c), "explain shows `{c}`:\n{expl}");
    }
    let json: serde_json::Value = serde_json::from_str(&exposure(
        dir.path(),
        &["--owner", "owner-a", "--format", "json"],
    ))
    .unwrap();
    let shared = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["system"] == "arr-shared")
        .unwrap();
    assert_eq!(shared["rating"]["reach"]["users"], 100, "only A's users");
    assert_eq!(
        shared["rating"]["reach"]["max_criticality"], "high",
        "not the criticality of C's service"
    );

    // Hostile text: inert everywhere.
    let html = exposure(dir.path(), &["--format", "html"]);
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b "));
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let csv = exposure(dir.path(), &["--format", "csv"]);
    for cell in csv_cells(&csv) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "CSV formula cell `{cell}`"
        );
    }
    assert!(csv.contains("'=cmd|"), "{csv}");
    let md = exposure(dir.path(), &["--format", "markdown"]);
    assert!(
        !md.contains("<script>") && !md.contains("[x](javascript"),
        "{md}"
    );
    let table = exposure(dir.path(), &["--format", "table"]);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\r'),
        "{table:?}"
    );
    let json_all = exposure(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json_all).unwrap();
    assert!(
        v["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("<script>"),
        "JSON keeps the exact text (it is data, not markup)"
    );

    // E-mail: no injected header; the HTML part escaped; webhooks carry no raw markup.
    let headers = mail_a.split("\r\n\r\n").next().unwrap();
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
    // The text/plain part carries the exact title (plain text is not markup); the HTML part
    // must carry it escaped.
    let html_part = a_decoded
        .split("Content-Type: text/html")
        .nth(1)
        .unwrap_or_else(|| panic!("no HTML part: {a_decoded}"));
    assert!(!html_part.contains("<script>alert"), "{html_part}");
    assert!(html_part.contains("&lt;script&gt;"), "{html_part}");
    for h in [&hook_a, &hook_b] {
        let body = h.split("\r\n\r\n").nth(1).unwrap();
        assert!(!body.contains('<') && !body.contains('>'), "{body}");
        let _: serde_json::Value = serde_json::from_str(body).unwrap();
    }
    assert!(
        hook_b.contains("&lt;script&gt;") || hook_b.contains("\\u0026lt;script"),
        "{hook_b}"
    );
}

/// Undo quoted-printable soft breaks and `=XX` escapes (enough to read a digest).
fn quoted_printable_decode(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn csv_cells(csv: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_bytes());
    r.records()
        .flat_map(|rec| rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Standard base64 (how SMTP AUTH carries credentials).
fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut o = String::new();
    for c in b.chunks(3) {
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
