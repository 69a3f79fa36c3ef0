//! `/metrics`: the snapshot in the Prometheus text exposition format (0.0.4).
//!
//! Gauges only, each from the snapshot the pages show: open findings by severity and owner,
//! unknown matches, findings closed by triage, each feed's data age, staleness and rejected
//! documents, the outbox by status, the last cycle's duration and end, failed cycles, and the
//! history's totals (exposure-days per severity, findings resolved and the mean days to resolve
//! per owner).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Snapshot, Status};
use crate::notify::outbox;

/// A label value, escaped as the format requires (`\`, `"` and newlines).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn head(&mut self, name: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", label(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }
}

/// The metrics of `snap`, as of `now`.
pub fn render(snap: &Snapshot, status: &Status, now: DateTime<Utc>) -> String {
    let r = &snap.report;
    let mut o = Out(String::new());

    o.head(
        "firmwatch_findings",
        "Open findings (not closed by triage) by severity and system owner.",
    );
    let mut by: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &r.findings {
        *by.entry((f.rating.severity.as_str(), f.owner.as_str()))
            .or_default() += 1;
    }
    for ((sev, owner), n) in &by {
        o.sample(
            "firmwatch_findings",
            &[("severity", sev), ("owner", owner)],
            n,
        );
    }
    o.head(
        "firmwatch_findings_unknown",
        "Open findings whose match could not be decided.",
    );
    o.sample("firmwatch_findings_unknown", &[], r.unknown);
    o.head(
        "firmwatch_findings_closed",
        "Findings closed by a triage decision.",
    );
    o.sample("firmwatch_findings_closed", &[], r.triaged.len());

    o.head(
        "firmwatch_feed_data_age_seconds",
        "Seconds since the feed's last successful sync (absent: never synced).",
    );
    for f in &r.feeds {
        if let Some(t) = f.last_success {
            o.sample(
                "firmwatch_feed_data_age_seconds",
                &[("feed", &f.feed)],
                (now - t).num_seconds().max(0),
            );
        }
    }
    o.head(
        "firmwatch_feed_stale",
        "1 when the feed's data is stale or it never synced.",
    );
    for f in &r.feeds {
        o.sample(
            "firmwatch_feed_stale",
            &[("feed", &f.feed)],
            u8::from(f.stale),
        );
    }
    o.head(
        "firmwatch_feed_failing",
        "1 when the feed's last sync failed.",
    );
    for f in &r.feeds {
        o.sample(
            "firmwatch_feed_failing",
            &[("feed", &f.feed)],
            u8::from(f.failing),
        );
    }
    o.head(
        "firmwatch_feed_rejected_documents",
        "Documents of the feed its syncs rejected (retried on each sync).",
    );
    for f in &r.feeds {
        o.sample(
            "firmwatch_feed_rejected_documents",
            &[("feed", &f.feed)],
            f.rejected,
        );
    }

    o.head(
        "firmwatch_outbox_deliveries",
        "Deliveries in the outbox by status (pending, failed: pending after a failed attempt, delivered).",
    );
    let mut outbox = [("pending", 0usize), ("failed", 0), ("delivered", 0)];
    for (_, d) in &snap.outbox {
        let slot = match (d.status, &d.last_error) {
            (outbox::Status::Sent, _) => 2,
            (outbox::Status::Pending, Some(_)) => 1,
            (outbox::Status::Pending, None) => 0,
        };
        outbox[slot].1 += 1;
    }
    for (s, n) in outbox {
        o.sample("firmwatch_outbox_deliveries", &[("status", s)], n);
    }

    o.head(
        "firmwatch_cycle_duration_seconds",
        "Duration of the cycle the snapshot is from.",
    );
    o.sample(
        "firmwatch_cycle_duration_seconds",
        &[],
        format!("{:.3}", snap.cycle.seconds),
    );
    o.head(
        "firmwatch_cycle_end_timestamp_seconds",
        "When the cycle the snapshot is from ended (Unix time).",
    );
    o.sample(
        "firmwatch_cycle_end_timestamp_seconds",
        &[],
        snap.cycle.finished.timestamp(),
    );
    o.head("firmwatch_cycles", "Cycles run since the server started.");
    o.sample("firmwatch_cycles", &[], status.cycles);
    o.head(
        "firmwatch_cycle_failed",
        "1 when the last cycle failed (the snapshot is older).",
    );
    o.sample(
        "firmwatch_cycle_failed",
        &[],
        u8::from(status.last_error.is_some()),
    );

    if let Some(h) = &snap.history {
        o.head(
            "firmwatch_history_observations",
            "Observations in the history.",
        );
        o.sample("firmwatch_history_observations", &[], h.observations);
        o.head(
            "firmwatch_history_exposure_days",
            "Exposure-days in the history by severity (each day a finding was open).",
        );
        for (sev, t) in &h.by_severity {
            o.sample(
                "firmwatch_history_exposure_days",
                &[("severity", sev.as_str())],
                t.exposure_days,
            );
        }
        o.head(
            "firmwatch_history_resolved",
            "Findings resolved in the history, by owner.",
        );
        for (owner, t) in &h.by_owner {
            o.sample(
                "firmwatch_history_resolved",
                &[("owner", owner)],
                t.resolved,
            );
        }
        o.head(
            "firmwatch_history_mean_days_to_resolve",
            "Mean days from found to resolved, by owner (absent: nothing resolved yet).",
        );
        for (owner, t) in &h.by_owner {
            if let Some(d) = t.mean_days_to_resolve {
                o.sample(
                    "firmwatch_history_mean_days_to_resolve",
                    &[("owner", owner)],
                    format!("{d:.2}"),
                );
            }
        }
    }
    o.0
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
