//! Message bodies, pure: a plain-text digest, its HTML alternative, the generic webhook JSON and a
//! Slack-compatible payload.
//!
//! Every advisory-derived string is untrusted (titles come from vendors' feeds and from scraped
//! pages). The HTML body escapes everything with [`html_escape`]. Both JSON payloads additionally
//! write `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`: the JSON still decodes to the exact
//! title, but a receiver that pastes raw bytes into a page gets no markup. Slack text escapes `&`,
//! `<`, `>` as Slack's mrkdwn requires, so a title cannot forge a link or a mention.

use serde::Serialize;

use super::plan::{EventKind, Item, Message};
use crate::report::{html_escape, plain};

/// Version of the generic webhook JSON.
pub const WEBHOOK_SCHEMA_VERSION: u32 = 1;

/// The e-mail subject line.
pub fn subject(m: &Message) -> String {
    let count = |k: EventKind| m.items.iter().filter(|i| i.event == k).count();
    let open = m.items.len() - count(EventKind::Resolved);
    let top = m
        .items
        .iter()
        .filter(|i| i.event != EventKind::Resolved)
        .map(|i| i.severity)
        .max();
    match top {
        Some(sev) => format!(
            "[firmwatch] {open} firmware exposure update(s) for {} (highest: {sev})",
            m.owner_name
        ),
        None => format!(
            "[firmwatch] {} firmware exposure(s) resolved for {}",
            count(EventKind::Resolved),
            m.owner_name
        ),
    }
    .chars()
    .filter(|c| !c.is_control())
    .collect()
}

fn headline(i: &Item) -> String {
    match i.event {
        EventKind::New => format!("NEW {}", i.severity),
        EventKind::Reopened => format!("REOPENED {}", i.severity),
        EventKind::Escalated => format!(
            "ESCALATED {} (was {})",
            i.severity,
            i.previous_severity
                .map(|s| s.to_string())
                .unwrap_or_default()
        ),
        EventKind::Changed => format!("CHANGED {}", i.severity),
        EventKind::Warning => format!(
            "WARNING {}: fires in {} day(s)",
            i.severity,
            i.days_left.unwrap_or(0)
        ),
        EventKind::Accepted => "ACCEPTED (risk accepted, not fixed)".to_string(),
        EventKind::Mitigated => "MITIGATED (not fixed)".to_string(),
        EventKind::FalsePositive => "FALSE-POSITIVE".to_string(),
        EventKind::Resolved => "RESOLVED".to_string(),
    }
}

/// The plain-text digest. Every value from an advisory or the inventory goes through
/// [`plain`]: a control character in a title (a newline, an escape sequence) cannot start a line
/// of its own that looks like another item, nor drive the reader's terminal.
pub fn text(m: &Message) -> String {
    let p = plain;
    let list = |v: &[String]| p(&v.join(", "));
    let mut o = format!(
        "firmwatch digest for {} ({})\n{} item(s). Idempotency key: {}\n",
        p(&m.owner_name),
        p(&m.owner),
        m.items.len(),
        m.key
    );
    if let Some(note) = &m.data_note {
        o.push_str(&format!("WARNING: {}\n", p(note)));
    }
    for i in &m.items {
        o.push_str(&format!(
            "\n[{}] {} on {} ({})\n",
            headline(i),
            p(&i.advisory),
            p(&i.system_name),
            p(&i.system)
        ));
        if !i.title.is_empty() {
            o.push_str(&format!("  {}\n", p(&i.title)));
        }
        if let Some(t) = &i.triage {
            o.push_str(&format!("  Triage: {}\n", p(t)));
        }
        if i.event == EventKind::Resolved {
            o.push_str("  No longer found (fixed or removed from the inventory).\n");
            continue;
        }
        o.push_str(&format!(
            "  Rating: {} ({}), {}\n",
            i.code, i.severity, i.urgency
        ));
        if let Some(why) = &i.undecided {
            o.push_str(&format!(
                "  Match UNKNOWN (could not be decided): {}\n",
                p(why)
            ));
        }
        if !i.services.is_empty() {
            o.push_str(&format!("  Your services: {}\n", list(&i.services)));
        }
        if !i.effects.is_empty() {
            o.push_str(&format!("  Effects: {}\n", list(&i.effects)));
        }
        if !i.fixed_in.is_empty() {
            o.push_str(&format!("  Fixed in: {}\n", list(&i.fixed_in)));
        }
        for r in &i.reasons {
            o.push_str(&format!("  - {}\n", p(r)));
        }
        for r in i.references.iter().take(3) {
            o.push_str(&format!("  {}\n", p(r)));
        }
    }
    o.push_str(&format!(
        "\nRun `firmwatch exposure --owner {}` for details.\n",
        p(&m.owner)
    ));
    o
}

/// The HTML alternative: everything escaped, no scripts, no remote content.
pub fn html(m: &Message) -> String {
    let e = html_escape;
    let mut o = format!(
        "<!DOCTYPE html><html><body><h2>firmwatch digest for {}</h2><p>{} item(s).</p><table border=\"1\" cellpadding=\"4\"><tr><th>Event</th><th>Advisory</th><th>System</th><th>Rating</th><th>Fixed in</th></tr>",
        e(&m.owner_name),
        m.items.len()
    );
    if let Some(note) = &m.data_note {
        o.push_str(&format!("<p><b>Warning:</b> {}</p>", e(note)));
    }
    for i in &m.items {
        let rating = if i.event == EventKind::Resolved {
            String::new()
        } else {
            let unknown = match &i.undecided {
                Some(why) => format!(" — match UNKNOWN (could not be decided): {}", e(why)),
                None => String::new(),
            };
            let triage = match &i.triage {
                Some(t) => format!("<br>triage: {}", e(t)),
                None => String::new(),
            };
            format!(
                "{} ({}), {}{unknown}{triage}",
                e(&i.code),
                i.severity,
                e(&i.urgency)
            )
        };
        o.push_str(&format!(
            "<tr><td>{}</td><td><b>{}</b><br>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
            e(&headline(i)),
            e(&i.advisory),
            e(&i.title),
            e(&i.system_name),
            e(&i.system),
            rating,
            e(&i.fixed_in.join(", "))
        ));
    }
    o.push_str(&format!(
        "</table><p>Idempotency key: <code>{}</code></p></body></html>",
        e(&m.key)
    ));
    o
}

/// Write `<`, `>`, `&` in serialized JSON as unicode escapes (they only occur inside strings).
fn json_safe(s: String) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[derive(Serialize)]
struct Generic<'a> {
    schema_version: u32,
    kind: &'static str,
    idempotency_key: &'a str,
    generation: &'a str,
    owner: &'a str,
    owner_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_note: Option<&'a str>,
    items: &'a [Item],
}

/// The generic webhook JSON.
pub fn generic_json(m: &Message) -> Result<String, serde_json::Error> {
    let body = serde_json::to_string(&Generic {
        schema_version: WEBHOOK_SCHEMA_VERSION,
        kind: "firmwatch-digest",
        idempotency_key: &m.key,
        generation: &m.generation,
        owner: &m.owner,
        owner_name: &m.owner_name,
        data_note: m.data_note.as_deref(),
        items: &m.items,
    })?;
    Ok(json_safe(body))
}

/// Escape for Slack mrkdwn.
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack-compatible payload: `text` (fallback) and one section block per item (at most 45:
/// Slack allows 50 blocks).
pub fn slack_json(m: &Message) -> Result<String, serde_json::Error> {
    let s = slack_escape;
    let mut blocks = vec![serde_json::json!({
        "type": "header",
        "text": {"type": "plain_text", "text": format!("firmwatch: {} item(s) for {}", m.items.len(), m.owner_name)}
    })];
    if let Some(note) = &m.data_note {
        blocks.push(serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*Warning:* {}", s(note))}}));
    }
    for i in m.items.iter().take(45) {
        let mut t = format!(
            "*{}* `{}` on {} ({})",
            s(&headline(i)),
            s(&i.advisory),
            s(&i.system_name),
            s(&i.system)
        );
        if !i.title.is_empty() {
            t.push_str(&format!("\n{}", s(&i.title)));
        }
        if i.event != EventKind::Resolved {
            t.push_str(&format!("\n{} · {}", s(&i.code), s(&i.urgency)));
            if let Some(why) = &i.undecided {
                t.push_str(&format!(" · match UNKNOWN: {}", s(why)));
            }
            if !i.fixed_in.is_empty() {
                t.push_str(&format!(" · fixed in {}", s(&i.fixed_in.join(", "))));
            }
            if let Some(tr) = &i.triage {
                t.push_str(&format!("\ntriage: {}", s(tr)));
            }
        }
        blocks.push(serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": t}}));
    }
    let fallback = s(&subject(m));
    let body = serde_json::to_string(&serde_json::json!({
        "text": fallback,
        "blocks": blocks,
    }))?;
    Ok(json_safe(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::Severity;

    fn msg(title: &str) -> Message {
        Message {
            owner: "o".into(),
            owner_name: "Team <i>".into(),
            generation: "g".into(),
            key: "k".into(),
            data_note: None,
            items: vec![Item {
                event: EventKind::New,
                finding: "A@s".into(),
                advisory: "A".into(),
                title: title.into(),
                vendor: "V".into(),
                severity: Severity::High,
                previous_severity: None,
                code: "security".into(),
                urgency: "anytime".into(),
                fires_on: None,
                days_left: None,
                system: "s".into(),
                system_name: "S".into(),
                undecided: None,
                services: vec![],
                effects: vec![],
                fixed_in: vec!["2 & up".into()],
                reasons: vec![],
                references: vec![],
                triage: None,
            }],
        }
    }

    #[test]
    fn control_characters_never_reach_the_text_or_html_part() {
        let mut m = msg("Panic\n\n[NEW critical] FAKE-9 on everything\u{1b}[2J\u{0}");
        m.items[0].reasons = vec!["line one\r\n  - forged reason".into()];
        let t = text(&m);
        assert!(
            !t.contains('\u{1b}') && !t.contains('\u{0}') && !t.contains('\r'),
            "{t:?}"
        );
        assert!(
            !t.lines().any(|l| l.starts_with("[NEW critical] FAKE-9")),
            "no item of its own: {t}"
        );
        assert!(!t.lines().any(|l| l == "  - forged reason"), "{t}");
        assert!(
            t.contains("Panic  [NEW critical] FAKE-9 on everything [2J "),
            "{t}"
        );
        let h = html(&m);
        assert!(!h.contains('\u{1b}') && !h.contains('\u{0}'), "{h:?}");
    }

    #[test]
    fn untrusted_text_is_escaped_everywhere_but_plain_text() {
        let m = msg("<script>x</script>");
        assert!(text(&m).contains("<script>x</script>"));
        let h = html(&m);
        assert!(!h.contains("<script") && !h.contains("<i>"), "{h}");
        assert!(h.contains("&lt;script&gt;x&lt;/script&gt;") && h.contains("2 &amp; up"));
        for body in [generic_json(&m).unwrap(), slack_json(&m).unwrap()] {
            assert!(!body.contains('<') && !body.contains('>'), "{body}");
            let _: serde_json::Value = serde_json::from_str(&body).unwrap();
        }
        let g: serde_json::Value = serde_json::from_str(&generic_json(&m).unwrap()).unwrap();
        assert_eq!(g["items"][0]["title"], "<script>x</script>");
        assert_eq!(g["schema_version"], WEBHOOK_SCHEMA_VERSION);
        let s: serde_json::Value = serde_json::from_str(&slack_json(&m).unwrap()).unwrap();
        assert!(s["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("&lt;script&gt;"));
    }

    #[test]
    fn subject_has_no_control_characters() {
        let mut m = msg("t");
        m.owner_name = "Evil\r\nBcc: x@y".into();
        assert!(!subject(&m).contains('\n') && !subject(&m).contains('\r'));
    }
}
