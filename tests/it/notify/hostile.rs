//! A hostile advisory title (HTML and script) arrives escaped in the e-mail HTML part, in the
//! generic webhook JSON and in the Slack payload — and still reads as the original text.

use std::path::Path;
use std::time::Duration;

use crate::support::smtp::*;

const TITLE: &str = "<script>alert(1)</script> & <img src=x onerror=alert(2)> \"q\"";

fn setup(dir: &Path, hook_port: u16) {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("native")).unwrap();
    std::fs::write(
        feeds.join("hostile.toml"),
        "id = \"hostile\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("native/x.toml"),
        format!(
            r#"[[advisory]]
id = "EVIL-1"
vendor = "NetApp"
title = {title}
summary = "Takeover can fail."
published = "2026-01-01"
modified = "2026-01-01"
effects = ["failover-failure"]
triggers = ["hardware-fault"]

[[advisory.affected]]
product = "ONTAP"
component = "system"
scheme = "ontap"
status = "affected"
versions = "vers:ontap/>=9.8|<9.8P6"
fixed_in = ["9.8P6"]
"#,
            title = toml_str(TITLE)
        ),
    )
    .unwrap();
    let inv = dir.join("inventory");
    std::fs::create_dir_all(&inv).unwrap();
    std::fs::write(
        inv.join("estate.toml"),
        format!(
            r#"[[owners]]
id = "array-team"
name = "Array team"
email = "array@example.net"
webhook = {{ url = "http://127.0.0.1:{hook_port}/generic" }}

[[owners]]
id = "app-team"
name = "App team"
webhook = {{ url = "http://127.0.0.1:{hook_port}/slack", format = "slack" }}

[[systems]]
id = "arr-1"
name = "Array 1"
vendor = "NetApp"
model = "AFF A400"
owner = "array-team"
firmware = "9.8P3"

[[services]]
id = "app"
name = "App"
owner = "app-team"
users = 1000
criticality = "high"
depends_on = ["arr-1"]
"#
        ),
    )
    .unwrap();
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn hostile_title_is_escaped_in_email_html_and_webhook_json() {
    let smtp = smtp_server();
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), hook.port);
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let o = firmwatch(
        dir.path(),
        &dir.path().join("feeds"),
        &[
            "notify",
            "--today",
            "2026-11-22",
            "--smtp-url",
            &url,
            "--smtp-tls",
            "none",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{}", show(&o));
    let html = mail_part(&mails[0].data, "text/html").expect("html part");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt; &quot;q&quot;"),
        "{html}"
    );
    // The text part carries the title verbatim (plain text is not markup).
    let text = mail_part(&mails[0].data, "text/plain").unwrap();
    assert!(text.contains(TITLE), "{text}");

    let hooks = hook.received();
    assert_eq!(hooks.len(), 2, "{}", show(&o));
    let generic = hooks.iter().find(|h| h.path == "/generic").unwrap();
    assert!(
        !generic.body.contains('<') && !generic.body.contains('>'),
        "{}",
        generic.body
    );
    assert!(
        generic.body.contains("\\u003cscript\\u003e"),
        "{}",
        generic.body
    );
    let v: serde_json::Value = serde_json::from_str(&generic.body).unwrap();
    assert_eq!(v["items"][0]["title"], TITLE, "decodes to the exact title");

    let slack = hooks.iter().find(|h| h.path == "/slack").unwrap();
    assert!(!slack.body.contains('<'), "{}", slack.body);
    let v: serde_json::Value = serde_json::from_str(&slack.body).unwrap();
    let section = v["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img"),
        "{section}"
    );
    // The service owner sees the system it depends on and its own service, not the array team's reasons.
    assert!(section.contains("arr-1"), "{section}");
}
