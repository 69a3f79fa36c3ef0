//! `serve --every`: the cycle runs `run`'s step (sync, rate, notify, record) on its schedule, and
//! the pages follow it.

use std::time::{Duration, Instant};

use super::{get, start};
use crate::security::leaks::setup;
use crate::support::http::{Reply, Server};

/// Wait (up to two minutes) until `/healthz` satisfies `done`.
fn wait_for(
    server: &crate::support::listen::Listening,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let waited = Instant::now();
    loop {
        let h = get(server, "/healthz").json();
        if done(&h) {
            return h;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "waited in vain: {h}\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_cycle_notifies_records_and_is_served() {
    // Owners A and B take webhooks on this loopback peer; A and C also e-mail, and there is no
    // SMTP server: those deliveries fail and wait in the outbox.
    let hook = Server::start();
    hook.set_fallback(Reply::Status(200, vec![], b"{}".to_vec()));
    let fx = setup(&hook, None);
    let server = start(
        fx.fw().env("FW_HOOK_SECRET", "hook-secret"),
        &["--every", "2s"],
    );
    let health = get(&server, "/healthz").expect(200).json();
    assert_eq!(health["status"], "ok", "{health}");
    let outbox = get(&server, "/api/v1/outbox").expect(200).json();
    let outbox = outbox.as_array().unwrap().clone();
    let with = |status: &str, channel: &str| {
        outbox
            .iter()
            .filter(|d| d["status"] == status && d["channel"] == channel)
            .count()
    };
    assert_eq!(with("delivered", "webhook"), 2, "{outbox:#?}");
    assert_eq!(with("failed", "email"), 2, "{outbox:#?}");
    assert!(hook.requests().len() >= 2, "the webhooks were called");
    let page = get(&server, "/notifications").expect(200).body;
    assert!(
        page.contains("2 failed (retried with backoff) · 0 pending · 2 delivered"),
        "{page}"
    );
    let metrics = get(&server, "/metrics").expect(200).body;
    for line in [
        "firmwatch_outbox_deliveries{status=\"failed\"} 2",
        "firmwatch_outbox_deliveries{status=\"delivered\"} 2",
        // The history was recorded by the cycle.
        "firmwatch_history_observations 1",
    ] {
        assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
    }

    // The next cycles come on schedule and are served; nothing new is told twice.
    wait_for(&server, |h| {
        h["cycles"].as_u64().unwrap() >= 3 && h["status"] == "ok"
    });
    let again = get(&server, "/api/v1/outbox").json();
    assert_eq!(again.as_array().unwrap().len(), outbox.len(), "{again:#}");

    // A broken inventory fails the next cycle; the last good snapshot stays, marked.
    std::fs::write(fx.inventory().join("broken.toml"), "[[systems]\n").unwrap();
    let h = wait_for(&server, |h| h["status"] == "degraded");
    assert!(h["last_error"].as_str().unwrap().contains("invalid"), "{h}");
    let page = get(&server, "/").expect(200).body;
    assert!(page.contains("the last cycle failed"), "{page}");
    assert!(
        page.contains("LEAK-1") || page.contains("Open findings: 4"),
        "{page}"
    );
    let metrics = get(&server, "/metrics").expect(200).body;
    assert!(metrics.contains("firmwatch_cycle_failed 1"), "{metrics}");
}
