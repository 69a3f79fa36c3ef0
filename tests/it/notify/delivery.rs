//! `firmwatch notify` end to end against an SMTP server and a webhook receiver on 127.0.0.1: the
//! example estate's owners, rerouted to the loopback peers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::smtp::*;

const TODAY: &str = "2026-11-22";

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example estate with owners pointing at the loopback peers.
fn estate(dir: &Path, hook_port: u16) {
    let inv = dir.join("inventory");
    std::fs::create_dir_all(&inv).unwrap();
    for f in [
        "office.toml",
        "services.toml",
        "site-osaka.toml",
        "site-tokyo.toml",
    ] {
        std::fs::copy(project().join("inventory").join(f), inv.join(f)).unwrap();
    }
    let owners = std::fs::read_to_string(project().join("inventory/owners.toml"))
        .unwrap()
        .replace(
            "https://chat.example.net/hooks/storage\", format = \"slack\", secret_env = \"FIRMWATCH_SLACK_TOKEN\"",
            &format!("http://127.0.0.1:{hook_port}/storage\", format = \"slack\", secret_env = \"FIRMWATCH_TEST_TOKEN\""),
        )
        .replace(
            "https://alerts.example.org/firmwatch",
            &format!("http://127.0.0.1:{hook_port}/office"),
        );
    assert!(owners.contains("127.0.0.1"));
    std::fs::write(inv.join("owners.toml"), owners).unwrap();
}

fn notify(dir: &Path, smtp_port: u16, extra: &[&str]) -> std::process::Output {
    let url = format!("smtp://127.0.0.1:{smtp_port}");
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
    firmwatch(dir, &project().join("feeds"), &args)
}

/// Who may see what: owner → systems they own or their services depend on (from the files).
fn entitlement(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let inv = firmwatch::inventory::load_path(&dir.join("inventory")).unwrap();
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
    let smtp = smtp_server();
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path(), hook.port);
    let allowed = entitlement(dir.path());

    // Run 1: everything new is delivered.
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let mails = smtp.received();
    let hooks = hook.received();
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
        show(&o)
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
    hook.clear();
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(smtp.received().is_empty(), "{}", show(&o));
    assert!(hook.received().is_empty(), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 new digest(s)"));

    // Run 3: the DR array becomes a dependency of the 2.2-million-user service: its finding's
    // severity rises, and exactly one update goes to its owner.
    let services = dir.path().join("inventory/services.toml");
    let text = std::fs::read_to_string(&services).unwrap().replace(
        "depends_on = [\"carrier-aff\", \"subscriber-db-1\"]",
        "depends_on = [\"carrier-aff\", \"subscriber-db-1\", \"carrier-aff-dr\"]",
    );
    std::fs::write(&services, text).unwrap();
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{}", show(&o));
    assert_eq!(
        mails[0].rcpt,
        vec!["platform-oncall@example.net".to_string()]
    );
    let items = text_items(&mail_part(&mails[0].data, "text/plain").unwrap());
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].0.starts_with("ESCALATED"), "{items:?}");
    assert_eq!(items[0].1, "FWN-2026-0001@carrier-aff-dr");
    assert!(hook.received().is_empty());

    // Run 4: the dependency is removed again: severity falls; no message (only rises are news).
    smtp.clear();
    let text = std::fs::read_to_string(&services)
        .unwrap()
        .replace(", \"carrier-aff-dr\"]", "]");
    std::fs::write(&services, text).unwrap();
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(smtp.received().is_empty(), "{}", show(&o));
}

#[test]
fn a_failing_channel_is_retried_next_run_and_delivers_once() {
    let smtp = smtp_server();
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path(), hook.port);
    smtp.fail(1);
    hook.fail(1);

    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(stdout.matches("FAILED").count(), 2, "{stdout}");
    let first_mails = smtp.received().len();
    let first_hooks = hook.received().len();

    // --status shows the two pending deliveries with their errors (exit 5: something waits).
    let st = firmwatch(
        dir.path(),
        &project().join("feeds"),
        &["notify", "--status"],
    );
    assert_eq!(st.status.code(), Some(5), "{}", show(&st));
    let st_out = String::from_utf8_lossy(&st.stdout);
    assert!(st_out.contains("outbox: 2 pending"), "{st_out}");
    assert!(st_out.contains("451") && st_out.contains("500"), "{st_out}");

    // Without --retry-now the backoff holds them back (exit 5, nothing sent).
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert_eq!(smtp.received().len(), first_mails);

    // The next run past the backoff delivers each exactly once.
    let o = notify(dir.path(), smtp.port, &["--retry-now"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(smtp.received().len(), first_mails + 1, "{}", show(&o));
    assert_eq!(hook.received().len(), first_hooks + 1, "{}", show(&o));
    let again = notify(dir.path(), smtp.port, &["--retry-now"]);
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert_eq!(smtp.received().len(), first_mails + 1);
    assert_eq!(hook.received().len(), first_hooks + 1);
    // Every owner got exactly one mail over all runs.
    let mut rcpts: Vec<String> = smtp.received().iter().map(|m| m.rcpt[0].clone()).collect();
    rcpts.sort();
    let n = rcpts.len();
    rcpts.dedup();
    assert_eq!(rcpts.len(), n, "{rcpts:?}");
    let st = firmwatch(
        dir.path(),
        &project().join("feeds"),
        &["notify", "--status"],
    );
    assert_eq!(st.status.code(), Some(0), "{}", show(&st));
}

#[test]
fn dry_run_prints_and_sends_nothing() {
    let smtp = smtp_server();
    let hook = webhook_receiver(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    estate(dir.path(), hook.port);
    let o = notify(dir.path(), smtp.port, &["--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("=== to carrier-platform by email"), "{out}");
    assert!(smtp.received().is_empty() && hook.received().is_empty());
    // The real run afterwards still sends everything.
    let o = notify(dir.path(), smtp.port, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(smtp.received().len(), 3, "{}", show(&o));
}
