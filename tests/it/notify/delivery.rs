//! `firmwatch notify` end to end against an SMTP server and a webhook receiver on 127.0.0.1: the
//! example estate's owners, rerouted to the loopback peers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use super::TODAY;
use crate::support::cmd::{Fw, Run};
use crate::support::fixture::Fixture;
use crate::support::http::Server;
use crate::support::project;
use crate::support::smtp::{mail_header, mail_part, Smtp};

/// The example estate with owners pointing at the loopback peers, and the bundled feeds.
fn estate(hook: &Server) -> Fixture {
    let fx = Fixture::new();
    for f in [
        "office.toml",
        "services.toml",
        "site-osaka.toml",
        "site-tokyo.toml",
    ] {
        fx.inventory_file(
            f,
            std::fs::read_to_string(project().join("inventory").join(f)).unwrap(),
        );
    }
    let owners = std::fs::read_to_string(project().join("inventory/owners.toml"))
        .unwrap()
        .replace(
            "https://chat.example.net/hooks/storage\", format = \"slack\", secret_env = \"FIRMWATCH_SLACK_TOKEN\"",
            &format!("{}\", format = \"slack\", secret_env = \"FIRMWATCH_TEST_TOKEN\"", hook.url("/storage")),
        )
        .replace("https://alerts.example.org/firmwatch", &hook.url("/office"));
    assert!(owners.contains("127.0.0.1"));
    fx.inventory_file("owners.toml", owners);
    fx
}

/// `firmwatch` on the estate with the bundled feeds (and the Slack token in its variable).
fn firmwatch(fx: &Fixture, args: &[&str]) -> Run {
    Fw::new()
        .store(fx.store())
        .feeds(project().join("feeds"))
        .inventory(fx.inventory())
        .env("FIRMWATCH_TEST_TOKEN", "t0ken")
        .run_with(args)
}

fn notify(fx: &Fixture, smtp: &Smtp, extra: &[&str]) -> Run {
    let url = smtp.url();
    let mut args = vec![
        "notify",
        "--today",
        TODAY,
        "--smtp-url",
        &url,
        "--smtp-tls",
        "none",
        "--mail-from",
        "firmwatch@example.net",
    ];
    args.extend_from_slice(extra);
    firmwatch(fx, &args)
}

/// Who may see what: owner → systems they own or their services depend on (from the files).
fn entitlement(inventory: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let inv = firmwatch::inventory::load_path(inventory).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in inv.systems.values() {
        out.entry(s.owner.to_string())
            .or_default()
            .insert(s.id.to_string());
    }
    for svc in inv.services.values() {
        for d in &svc.depends_on {
            out.entry(svc.owner.to_string())
                .or_default()
                .insert(d.system.to_string());
        }
    }
    out
}

/// `ADVISORY@system` ids mentioned in a text digest (`[NEW high] ADV on Name (system)`).
fn text_items(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| l.starts_with('['))
        .map(|l| {
            let (head, rest) = l.split_once("] ").unwrap();
            let adv = rest.split_whitespace().next().unwrap();
            let sys = rest.rsplit_once('(').unwrap().1.trim_end_matches(')');
            (
                head.trim_start_matches('[').to_string(),
                format!("{adv}@{sys}"),
            )
        })
        .collect()
}

fn owner_of_address(addr: &str) -> &'static str {
    match addr {
        "storage-oncall@example.net" => "storage-team",
        "platform-oncall@example.net" => "carrier-platform",
        "hosting-ops@example.net" => "hosting-ops",
        other => panic!("mail to an unexpected address {other}"),
    }
}

#[test]
fn digests_reach_the_right_owners_once_and_escalations_once() {
    let smtp = Smtp::start();
    let hook = Server::receiver(Duration::ZERO);
    let fx = estate(&hook);
    let allowed = entitlement(&fx.inventory());

    // Run 1: everything new is delivered.
    let o = notify(&fx, &smtp, &[]);
    o.expect(0);
    let mails = smtp.received();
    let hooks = hook.delivered();
    let mut seen_owners = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for m in &mails {
        assert_eq!(m.rcpt.len(), 1);
        let owner = owner_of_address(&m.rcpt[0]);
        assert!(
            seen_owners.insert(owner),
            "two digests for {owner} in one run"
        );
        let text = mail_part(&m.data, "text/plain").expect("text part");
        assert!(mail_part(&m.data, "text/html").is_some(), "html part");
        let items = text_items(&text);
        assert!(!items.is_empty(), "{text}");
        for (_, id) in &items {
            let sys = id.split_once('@').unwrap().1;
            assert!(
                allowed[owner].contains(sys),
                "{owner} was told about {id}, which is not theirs:\n{text}"
            );
        }
        let mid = mail_header(&m.data, "Message-ID").unwrap();
        let key = mid
            .trim_matches(|c| c == '<' || c == '>')
            .split('@')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(key.len(), 32);
        keys.insert((owner.to_string(), key));
    }
    // Every owner with an email address and a stake in a finding got a digest.
    assert_eq!(
        seen_owners,
        BTreeSet::from(["storage-team", "carrier-platform", "hosting-ops"]),
        "{}",
        o.show()
    );
    // The other team's systems never reach carrier-platform: no hosting or office system.
    let platform = mails
        .iter()
        .find(|m| m.rcpt[0] == "platform-oncall@example.net")
        .unwrap();
    let text = mail_part(&platform.data, "text/plain").unwrap();
    for foreign in ["mail-unity", "hosting-fas", "iaas-unity", "vpn-gw-1"] {
        assert!(!text.contains(foreign), "{foreign} leaked:\n{text}");
    }

    // Webhooks: storage-team (Slack shape, bearer token from the named variable) and office-it
    // (generic JSON), each once, with the same idempotency key as the owner's mail.
    let paths: BTreeSet<&str> = hooks.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(hooks.len(), paths.len(), "a webhook got two digests");
    let slack = hooks
        .iter()
        .find(|h| h.path == "/storage")
        .expect("slack hook");
    assert_eq!(slack.headers["authorization"], "Bearer t0ken");
    let v: serde_json::Value = serde_json::from_str(&slack.body).unwrap();
    assert!(v["text"].is_string() && v["blocks"].is_array(), "{v}");
    assert!(keys.contains(&(
        "storage-team".into(),
        slack.headers["idempotency-key"].clone()
    )));
    if let Some(office) = hooks.iter().find(|h| h.path == "/office") {
        let v: serde_json::Value = serde_json::from_str(&office.body).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["owner"], "office-it");
        assert_eq!(
            v["idempotency_key"],
            office.headers["idempotency-key"].as_str()
        );
        for it in v["items"].as_array().unwrap() {
            assert!(
                allowed["office-it"].contains(it["system"].as_str().unwrap()),
                "{it}"
            );
        }
    }

    // Run 2: nothing changed, nothing is sent.
    smtp.clear();
    hook.clear_log();
    let o = notify(&fx, &smtp, &[]);
    o.expect(0);
    assert!(smtp.received().is_empty(), "{}", o.show());
    assert!(hook.delivered().is_empty(), "{}", o.show());
    assert!(o.stdout().contains("0 new digest(s)"));

    // Run 3: the DR array becomes a dependency of the 2.2-million-user service: its finding's
    // severity rises, and exactly one update goes to its owner.
    let services = fx.inventory().join("services.toml");
    let text = std::fs::read_to_string(&services).unwrap().replace(
        "depends_on = [\"carrier-aff\", \"subscriber-db-1\"]",
        "depends_on = [\"carrier-aff\", \"subscriber-db-1\", \"carrier-aff-dr\"]",
    );
    std::fs::write(&services, text).unwrap();
    let o = notify(&fx, &smtp, &[]);
    o.expect(0);
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{}", o.show());
    assert_eq!(
        mails[0].rcpt,
        vec!["platform-oncall@example.net".to_string()]
    );
    let items = text_items(&mail_part(&mails[0].data, "text/plain").unwrap());
    // The bug rises, and with it the (illustrative) end of support of carrier-aff-dr's ONTAP
    // 9.8 line, which now has an open critical finding it cannot fix by waiting.
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        items.iter().all(|i| i.0.starts_with("ESCALATED")),
        "{items:?}"
    );
    assert_eq!(items[0].1, "FWN-2026-0001@carrier-aff-dr");
    assert_eq!(items[1].1, "FWL-ONTAP-9.8@carrier-aff-dr");
    assert!(hook.delivered().is_empty());

    // Run 4: the dependency is removed again: severity falls; no message (only rises are news).
    smtp.clear();
    let text = std::fs::read_to_string(&services)
        .unwrap()
        .replace(", \"carrier-aff-dr\"]", "]");
    std::fs::write(&services, text).unwrap();
    let o = notify(&fx, &smtp, &[]);
    o.expect(0);
    assert!(smtp.received().is_empty(), "{}", o.show());
}

#[test]
fn a_failing_channel_is_retried_next_run_and_delivers_once() {
    let smtp = Smtp::start();
    let hook = Server::receiver(Duration::ZERO);
    let fx = estate(&hook);
    smtp.fail(1);
    hook.fail_next(1);

    let o = notify(&fx, &smtp, &[]);
    o.expect(5);
    let stdout = o.stdout();
    assert_eq!(stdout.matches("FAILED").count(), 2, "{stdout}");
    let first_mails = smtp.received().len();
    let first_hooks = hook.delivered().len();

    // --status shows the two pending deliveries with their errors (exit 5: something waits).
    let st = firmwatch(&fx, &["notify", "--status"]);
    st.expect(5);
    let st_out = st.stdout();
    assert!(st_out.contains("outbox: 2 pending"), "{st_out}");
    assert!(st_out.contains("451") && st_out.contains("500"), "{st_out}");

    // Without --retry-now the backoff holds them back (exit 5, nothing sent).
    let o = notify(&fx, &smtp, &[]);
    o.expect(5);
    assert_eq!(smtp.received().len(), first_mails);

    // The next run past the backoff delivers each exactly once.
    let o = notify(&fx, &smtp, &["--retry-now"]);
    o.expect(0);
    assert_eq!(smtp.received().len(), first_mails + 1, "{}", o.show());
    assert_eq!(hook.delivered().len(), first_hooks + 1, "{}", o.show());
    let again = notify(&fx, &smtp, &["--retry-now"]);
    again.expect(0);
    assert_eq!(smtp.received().len(), first_mails + 1);
    assert_eq!(hook.delivered().len(), first_hooks + 1);
    // Every owner got exactly one mail over all runs.
    let mut rcpts: Vec<String> = smtp.received().iter().map(|m| m.rcpt[0].clone()).collect();
    rcpts.sort();
    let n = rcpts.len();
    rcpts.dedup();
    assert_eq!(rcpts.len(), n, "{rcpts:?}");
    let st = firmwatch(&fx, &["notify", "--status"]);
    st.expect(0);
}

#[test]
fn dry_run_prints_and_sends_nothing() {
    let smtp = Smtp::start();
    let hook = Server::receiver(Duration::ZERO);
    let fx = estate(&hook);
    let o = notify(&fx, &smtp, &["--dry-run"]);
    o.expect(0);
    let out = o.stdout();
    assert!(out.contains("=== to carrier-platform by email"), "{out}");
    assert!(smtp.received().is_empty() && hook.delivered().is_empty());
    // The real run afterwards still sends everything.
    let o = notify(&fx, &smtp, &[]);
    o.expect(0);
    assert_eq!(smtp.received().len(), 3, "{}", o.show());
}
