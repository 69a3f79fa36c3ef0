//! A hostile advisory title (HTML and script) arrives escaped in the e-mail HTML part, in the
//! generic webhook JSON and in the Slack payload — and still reads as the original text.

use std::time::Duration;

use super::TODAY;
use crate::support::fixture::{Fixture, Inventory, Native};
use crate::support::http::Server;
use crate::support::smtp::{mail_part, Smtp};

const TITLE: &str = "<script>alert(1)</script> & <img src=x onerror=alert(2)> \"q\"";

/// The array team (e-mail and a generic webhook) owns the affected array; the app team (Slack)
/// owns a service depending on it.
fn setup(hook: &Server) -> Fixture {
    let fx = Fixture::new();
    fx.native_feed("hostile", &[Native::takeover("EVIL-1").title(TITLE)]);
    fx.inventory_file(
        "estate.toml",
        Inventory::new()
            .owner(
                "array-team",
                "Array team",
                &format!(
                    "email = \"array@example.net\"\nwebhook = {{ url = \"{}\" }}",
                    hook.url("/generic")
                ),
            )
            .owner(
                "app-team",
                "App team",
                &format!(
                    "webhook = {{ url = \"{}\", format = \"slack\" }}",
                    hook.url("/slack")
                ),
            )
            .aff("arr-1", "Array 1", "array-team")
            .service("app", "App", "app-team", 1000, "high", &["arr-1"]),
    );
    fx
}

#[test]
fn hostile_title_is_escaped_in_email_html_and_webhook_json() {
    let smtp = Smtp::start();
    let hook = Server::receiver(Duration::ZERO);
    let fx = setup(&hook);
    let o = fx.fw().run_with(&[
        "notify",
        "--today",
        TODAY,
        "--smtp-url",
        &smtp.url(),
        "--smtp-tls",
        "none",
    ]);
    o.expect(0);

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{}", o.show());
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

    let hooks = hook.delivered();
    assert_eq!(hooks.len(), 2, "{}", o.show());
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
