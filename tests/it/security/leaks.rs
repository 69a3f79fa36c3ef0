//! Secrets and leaks.
//!
//! 1. A canary secret in every credential variable (SMTP user/password, webhook bearer, NVD API
//!    key), peers on 127.0.0.1 that fail (SMTP rejecting AUTH, a webhook and NVD answering 500, a
//!    closed port), every command with `-vvv` and `FIRMWATCH_LOG=trace`/`RUST_LOG=trace`: the canary
//!    (raw or base64) never appears on stdout, stderr, in any store file or report — while the
//!    peers prove it was really used. `Debug` of the structs that carry secrets redacts them.
//!    `discover` likewise: the canary as a BMC user and password, logged in by session and by
//!    Basic auth, refused, every log on — never on stdout, stderr or in a discovered file, while
//!    the service proves it got them.
//! 2. Three owners: C's system and service never reach A (notifications as received by a live
//!    SMTP server and webhook, and `exposure --owner` in every format); A, entitled to a system B
//!    runs through A's service, sees that system but not C's service on it.
//! 3. Hostile advisory text (`<script>`, quotes, CRLF, `=cmd|…`, markdown links, ANSI escapes) is
//!    inert in every exposure format, the e-mail (headers and both parts) and both webhook formats.

use std::path::Path;

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::{Fixture, Inventory, Native};
use crate::support::http::{Reply, Server};
use crate::support::smtp::{mail_part, qp_decode, Smtp};

const CANARY: &str = "CANARY-s3cr3t-7f1d9a";

/// An HTTP peer answering every request with `status` and a `{}` body.
fn http_peer(status: u16) -> Server {
    let peer = Server::start();
    peer.set_fallback(Reply::Status(status, vec![], b"{}".to_vec()));
    peer
}

pub(crate) const HOSTILE_TITLE: &str = "=cmd|' /C calc'!A0 <script>alert(1)</script> \"q\" [x](javascript:alert(1)) \u{1b}[31mred\r\nBcc: victim@evil.example";

/// Feeds: one native advisory with a hostile title, summary and product name, hitting every
/// NetApp AFF in the estate; optionally an NVD feed on `nvd`. Owners A (e-mail and a generic
/// webhook with a bearer token), B (Slack) and C (e-mail) on `hook`; A's service depends on the
/// array B runs, and so does C's.
pub(crate) fn setup(hook: &Server, nvd: Option<&Server>) -> Fixture {
    let fx = Fixture::new();
    fx.native_feed(
        "n",
        &[Native::takeover("LEAK-1")
            .title(HOSTILE_TITLE)
            .summary("<img src=x onerror=alert(1)> =HYPERLINK(\"http://evil\")")
            .product("ONTAP <b onmouseover=x>")],
    );
    if let Some(nvd) = nvd {
        fx.feed(
            "nvd",
            &format!(
                "id = \"nvd\"\nkind = \"nvd\"\nurl = \"{}\"\n",
                nvd.url("/rest/json/cves/2.0")
            ),
        );
    }
    let inventory = Inventory::new()
        .owner(
            "owner-a",
            "Team A",
            &format!(
                "email = \"a@example.net\"\nwebhook = {{ url = \"{}\", secret_env = \"FW_HOOK_SECRET\" }}",
                hook.url("/a")
            ),
        )
        .owner(
            "owner-b",
            "Team B",
            &format!(
                "webhook = {{ url = \"{}\", format = \"slack\" }}",
                hook.url("/b")
            ),
        )
        .owner("owner-c", "Team C", "email = \"c@example.net\"")
        .aff("arr-a", "Array A", "owner-a")
        .aff("arr-b", "Array B", "owner-b")
        .aff("arr-c", "Array C of team C", "owner-c")
        .aff("arr-shared", "Shared array", "owner-b")
        .service("svc-a", "Service of A", "owner-a", 100, "high", &["arr-shared"])
        .service(
            "svc-c-secretive",
            "Hidden service of C",
            "owner-c",
            7777,
            "critical",
            &["arr-shared"],
        )
        .line("tenants = [\"tenant-of-c\"]");
    fx.inventory_file("estate.toml", inventory);
    fx
}

/// The binary on the fixture, with the canary in every credential variable and every log on.
fn fw(fx: &Fixture) -> Fw {
    fx.fw()
        .env("FW_SMTP_USER", CANARY)
        .env("FW_SMTP_PASS", CANARY)
        .env("FW_HOOK_SECRET", CANARY)
        .env("FIRMWATCH_NVD_API_KEY", CANARY)
        .env("FIRMWATCH_LOG", "trace")
        .env("RUST_LOG", "trace")
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
    let hook = http_peer(500);
    let nvd = http_peer(500);
    let smtp = Smtp::rejecting_auth();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fx = setup(&hook, Some(&nvd));
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
    let fw = fw(&fx);
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut run = |args: Vec<String>| {
        let out = fw.run_with(&args);
        runs.push((args.join(" "), out));
    };
    run(vec!["sync".into(), "-vvv".into()]);
    let no_sync = |url: &str| {
        let mut a = notify_args(url);
        a.push("--no-sync".into());
        a
    };
    run(no_sync(&smtp.url()));
    run(no_sync(&smtp_closed));
    let mut as_run = notify_args(&smtp.url());
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
        assert_clean(&format!("`firmwatch {args}`"), &out.all());
    }
    // The runs were real: the sync reached NVD and failed, notify failed against both SMTP peers.
    let sync = runs[0].1.all();
    assert!(sync.contains("nvd"), "{sync}");
    assert_eq!(runs[0].1.code(), Some(5), "{sync}");
    runs[1].1.expect(5);
    assert!(runs[1].1.all().contains("FAILED"));
    scan_dir(&fx.store());

    // The peers saw the secret where it belongs — so the runs above did use it.
    let bearer = format!("Bearer {CANARY}");
    assert!(
        hook.log()
            .iter()
            .any(|r| r.headers.get("authorization") == Some(&bearer)),
        "the webhook got its bearer token"
    );
    assert!(
        nvd.log()
            .iter()
            .any(|r| r.headers.get("apikey").map(String::as_str) == Some(CANARY)),
        "NVD got its API key"
    );
    let smtp_sessions = smtp.sessions().join("");
    assert!(
        smtp_sessions.contains("AUTH")
            && (smtp_sessions.contains(&b64(&format!("\0{CANARY}\0{CANARY}")))
                || smtp_sessions.contains(&b64(CANARY))),
        "SMTP was offered the credentials: {smtp_sessions}"
    );
}

#[test]
fn help_never_shows_environment_values() {
    // Every variable a command reads, holding the canary — as a credential in a URL, or as a
    // value that only names a place (which `--help` has no business showing either).
    let fw = Fw::new()
        .env(
            "FIRMWATCH_SMTP_URL",
            format!("smtp://user:{CANARY}@127.0.0.1:25"),
        )
        .env("FIRMWATCH_MAIL_FROM", format!("{CANARY}@example.net"))
        .env("FIRMWATCH_SMTP_TLS", "none")
        .env("FIRMWATCH_STORE", format!("/var/{CANARY}/store"))
        .env("FIRMWATCH_FEEDS", format!("/etc/{CANARY}/feeds"))
        .env("FIRMWATCH_INVENTORY", format!("/etc/{CANARY}/inventory"));
    let commands: [&[&str]; 13] = [
        &[],
        &["discover"],
        &["exposure"],
        &["check-update"],
        &["notify"],
        &["run"],
        &["sync"],
        &["inventory"],
        &["inventory", "check"],
        &["store"],
        &["store", "check"],
        &["versions"],
        &["versions", "compare"],
    ];
    for cmd in commands {
        for flag in ["--help", "-h"] {
            let mut args: Vec<&str> = cmd.to_vec();
            args.push(flag);
            let out = fw.run_with(&args);
            out.expect(0);
            assert_clean(&format!("`firmwatch {}`", args.join(" ")), &out.all());
        }
    }
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

fn exposure(fx: &Fixture, args: &[&str]) -> String {
    fw(fx)
        .args(["exposure", "--no-sync"])
        .run_with(args)
        .expect(0)
        .stdout()
}

/// What C's systems and services are called anywhere.
pub(crate) const OF_C: [&str; 5] = [
    "arr-c",
    "Array C of team C",
    "svc-c-secretive",
    "Hidden service of C",
    "tenant-of-c",
];

#[test]
fn owners_see_only_their_own_and_hostile_text_stays_inert() {
    let hook = http_peer(200);
    let smtp = Smtp::start();
    let fx = setup(&hook, None);
    fw(&fx).run_with(&["sync", "-q"]).expect(0);
    fw(&fx)
        .run_with(&[
            "notify",
            "--no-sync",
            "--smtp-url",
            &smtp.url(),
            "--smtp-tls",
            "none",
        ])
        .expect(0);

    // What each owner received.
    let mails = smtp.received();
    let mail_to = |addr: &str| {
        mails
            .iter()
            .find(|m| m.rcpt.iter().any(|r| r == addr))
            .map(|m| m.data.clone())
            .unwrap_or_else(|| panic!("no mail to {addr}: {mails:?}"))
    };
    let mail_a = mail_to("a@example.net");
    let mail_c = mail_to("c@example.net");
    let hooks = hook.delivered();
    let body_to = |path: &str| {
        hooks
            .iter()
            .find(|r| r.method == "POST" && r.path == path)
            .map(|r| r.body.clone())
            .unwrap_or_else(|| panic!("no webhook {path}: {hooks:?}"))
    };
    let hook_a = body_to("/a");
    let hook_b = body_to("/b");

    // A gets its own system and the shared one (through svc-a), never anything of C.
    let a_decoded = qp_decode(&mail_a);
    for m in [&a_decoded, &hook_a] {
        assert!(m.contains("arr-a") && m.contains("arr-shared"), "{m}");
        assert!(m.contains("svc-a"), "{m}");
        for c in OF_C {
            assert!(!m.contains(c), "A received `{c}`:\n{m}");
        }
        assert!(!m.contains("arr-b\""), "A received B's own system:\n{m}");
    }
    // C gets arr-c and the shared array its service depends on; B (slack) gets its systems.
    let c_decoded = qp_decode(&mail_c);
    assert!(c_decoded.contains("arr-c") && c_decoded.contains("arr-shared"));
    assert!(!c_decoded.contains("svc-a") && !c_decoded.contains("arr-a "));
    assert!(hook_b.contains("arr-b") && !hook_b.contains("arr-c"));

    // exposure --owner owner-a: every format, the same rule.
    for f in ["table", "json", "csv", "markdown", "html"] {
        let out = exposure(&fx, &["--owner", "owner-a", "--format", f]);
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
        &fx,
        &["--owner", "owner-a", "--explain", "LEAK-1@arr-shared"],
    );
    for c in OF_C {
        assert!(!expl.contains(c), "explain shows `{c}`:\n{expl}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&exposure(&fx, &["--owner", "owner-a", "--format", "json"])).unwrap();
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
    let html = exposure(&fx, &["--format", "html"]);
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b "));
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let csv = exposure(&fx, &["--format", "csv"]);
    for cell in csv_cells(&csv) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "CSV formula cell `{cell}`"
        );
    }
    assert!(csv.contains("'=cmd|"), "{csv}");
    let md = exposure(&fx, &["--format", "markdown"]);
    assert!(
        !md.contains("<script>") && !md.contains("[x](javascript"),
        "{md}"
    );
    let table = exposure(&fx, &["--format", "table"]);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\r'),
        "{table:?}"
    );
    let json_all = exposure(&fx, &["--format", "json"]);
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
    let html_part =
        mail_part(&mail_a, "text/html").unwrap_or_else(|| panic!("no HTML part: {a_decoded}"));
    assert!(!html_part.contains("<script>alert"), "{html_part}");
    assert!(html_part.contains("&lt;script&gt;"), "{html_part}");
    for body in [&hook_a, &hook_b] {
        assert!(!body.contains('<') && !body.contains('>'), "{body}");
        let _: serde_json::Value = serde_json::from_str(body).unwrap();
    }
    assert!(
        hook_b.contains("&lt;script&gt;") || hook_b.contains("\\u0026lt;script"),
        "{hook_b}"
    );
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

/// `firmwatch discover` with the canary as the BMC credentials: a session login, Basic auth and
/// a refused login, `-vvv` and every log on.
#[test]
fn discover_never_leaks_bmc_credentials() {
    use crate::bench_support::redfish_mock::{base64, Login, RedfishMock, Setup, Tree};
    let Some(tree) = crate::discover::corpus_tree("dmtf-public-localstorage") else {
        return;
    };
    let user = format!("user-{CANARY}");
    let serve = |login: Login| {
        let mut setup = Setup::new(Tree::load(&tree));
        setup.login = login;
        RedfishMock::start(setup)
    };
    let session = serve(Login::Session {
        user: user.clone(),
        password: CANARY.into(),
    });
    let basic = serve(Login::Basic {
        user: user.clone(),
        password: CANARY.into(),
    });
    let refusing = serve(Login::Session {
        user: "someone-else".into(),
        password: "other".into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let creds = "user_env = \"FW_BMC_USER\"\npassword_env = \"FW_BMC_PASS\"";
    let mut text = String::from("[[owners]]\nid = \"ops\"\nemail = \"ops@example.net\"\n");
    for (id, url, auth) in [
        ("by-session", session.root(), "session"),
        ("by-basic", basic.root(), "basic"),
        ("refused", refusing.root(), "session"),
    ] {
        text.push_str(&format!(
            "[[systems]]\nid = \"{id}\"\nvendor = \"V\"\nmodel = \"M\"\nowner = \"ops\"\nfirmware = \"1\"\n[systems.discover]\nredfish = \"{url}\"\nauth = \"{auth}\"\n{creds}\n"
        ));
    }
    std::fs::write(dir.path().join("estate.toml"), text).unwrap();
    let fw = Fw::new()
        .inventory(dir.path())
        .env("FW_BMC_USER", &user)
        .env("FW_BMC_PASS", CANARY)
        .env("FIRMWATCH_LOG", "trace")
        .env("RUST_LOG", "trace");
    for args in [
        vec!["discover", "-vvv"],
        vec!["discover", "-vvv", "--json"],
        vec!["discover", "--help"],
    ] {
        let out = fw.run_with(&args);
        assert_clean(&format!("`firmwatch {}`", args.join(" ")), &out.all());
        if args[1] == "-vvv" {
            out.expect(5);
            assert!(
                out.all().contains("login refused: HTTP 401"),
                "{}",
                out.show()
            );
        }
    }
    scan_dir(dir.path());
    // The runs were real: each service got the credentials where they belong.
    let posted = session
        .log()
        .iter()
        .any(|r| r.method == "POST" && r.body.contains(CANARY));
    assert!(posted, "the session login carried the password");
    assert_eq!(session.open_sessions(), 0, "and logged out");
    let header = format!("Basic {}", base64(&format!("{user}:{CANARY}")));
    assert!(basic
        .log()
        .iter()
        .any(|r| r.authorization.as_deref() == Some(header.as_str())));
    assert!(dir.path().join("discovered/by-session.json").is_file());
    assert!(dir.path().join("discovered/by-basic.json").is_file());
    // Debug of the credentials redacts them.
    let c = firmwatch::discover::Credentials::new(user.clone(), CANARY.into());
    assert_clean("Credentials Debug", &format!("{c:?}"));
}
