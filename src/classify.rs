//! What a bug does and what sets it off, derived from what the source says.
//!
//! Sources rarely state effects in a structured way. The native format does; everything else is
//! read from the wording vendors use for storage failures (failover / takeover / giveback, panic,
//! DU / DL, LUN offline, corruption, power-on hours, latency) and from the CVSS vector. The rules are
//! deliberately plain keyword rules: an operator must be able to see *why* an advisory was read as
//! "failover failure", and correct it with an **annotation** when the reading is wrong. Annotations
//! (and suppressions, "not affected here" with a reason, an author and an expiry date) live in one
//! operator file, `feeds/annotations.toml`; an annotation always wins over the derived reading.
//!
//! Everything here is pure: the CLI reads the file and passes its text.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Advisory, AdvisoryId, Effect, Trigger};

/// Where a reading came from, so reports can say "effects from the vendor's wording".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The source stated effects explicitly (native format).
    Stated,
    /// Derived from wording and CVSS by the rules below.
    Derived,
    /// Set by an operator annotation.
    Annotated,
    /// Nothing to go on: the advisory does not say what the bug does.
    Unclassified,
}

/// Derive effects and triggers from the advisory's text and CVSS, unless the source stated them.
/// Returns the basis used. Idempotent.
pub fn classify(adv: &mut Advisory) -> Basis {
    if !adv.effects.is_empty() {
        return Basis::Stated;
    }
    let text = format!("{}\n{}", adv.title, adv.summary).to_lowercase();
    let mut effects = effects_from_text(&text);
    // The CVSS vector (availability vs confidentiality) is read by the blast rating of the
    // security effect, where the attack condition can be stated.
    if adv.cvss.is_some() || adv.id.is_cve() || adv.aliases.iter().any(AdvisoryId::is_cve) {
        effects.push(Effect::Security);
    }
    effects.sort();
    effects.dedup();
    for t in triggers_from_text(&text) {
        if !adv.triggers.contains(&t) {
            adv.triggers.push(t);
        }
    }
    adv.effects = effects;
    if adv.effects.is_empty() {
        Basis::Unclassified
    } else {
        Basis::Derived
    }
}

fn has_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_word(text, w))
}

/// `word` occurs in `text` delimited by non-alphanumerics (so "du" does not match "during").
fn contains_word(text: &str, word: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = text[start..].find(word) {
        let at = start + pos;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if edge(before) && edge(after) {
            return true;
        }
        start = at + word.len().max(1);
        if start >= text.len() {
            break;
        }
    }
    false
}

fn effects_from_text(text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    let failover = has_any(
        text,
        &[
            "failover",
            "fail over",
            "fail-over",
            "takeover",
            "take over",
            "giveback",
            "switchover",
        ],
    );
    let failing = has_any(
        text,
        &[
            "fail",
            "fails",
            "failed",
            "not",
            "unable",
            "prevent",
            "prevents",
            "hang",
            "hangs",
            "stall",
            "stalls",
            "does not occur",
            "doesn't",
        ],
    );
    if failover && failing {
        out.push(Effect::FailoverFailure);
    }
    if has_any(
        text,
        &[
            "panic",
            "panics",
            "crash",
            "crashes",
            "reboot",
            "reboots",
            "unexpected reboot",
            "restart unexpectedly",
            "watchdog",
            "hang",
            "hangs",
            "drive failure",
            "ssd failure",
            "fails at",
            "stops responding",
            "bricked",
        ],
    ) {
        out.push(Effect::ComponentCrash);
    }
    if has_any(
        text,
        &[
            "outlets turn off",
            "outlets to turn off",
            "outlets power off",
            "outlets to power off",
            "outlets are switched off",
            "cuts power to",
            "shuts off power to",
            "loss of output power",
            "output power is lost",
            "drops the load",
            "transfers the load to battery and shuts down",
        ],
    ) {
        out.push(Effect::PowerLoss);
    }
    if has_any(
        text,
        &[
            "all ports go down",
            "ports go down",
            "links go down",
            "all links down",
            "stops forwarding",
            "all paths are lost",
            "loss of all paths",
            "path loss",
        ],
    ) {
        out.push(Effect::PathLoss);
    }
    if has_any(
        text,
        &[
            "data unavailable",
            "data unavailability",
            "du",
            "lun offline",
            "luns offline",
            "luns go offline",
            "taken offline",
            "go offline",
            "goes offline",
            "loss of access",
            "inaccessible",
            "outage",
            "service interruption",
            "unavailable",
        ],
    ) {
        out.push(Effect::DataUnavailable);
    }
    if has_any(
        text,
        &[
            "data loss",
            "dl",
            "loss of data",
            "corruption",
            "corrupted",
            "corrupt",
            "data integrity",
            "cannot be recovered",
            "unrecoverable",
        ],
    ) {
        out.push(Effect::DataLoss);
    }
    if has_any(
        text,
        &[
            "latency",
            "performance degradation",
            "degraded performance",
            "slow",
            "throughput",
        ],
    ) {
        out.push(Effect::Performance);
    }
    if out.is_empty()
        && has_any(
            text,
            &[
                "web interface",
                "management interface",
                "gui",
                "web ui",
                "rest api",
                "management console",
                "bmc",
                "idrac",
                "ilo",
            ],
        )
    {
        out.push(Effect::ManagementPlane);
    }
    out
}

fn triggers_from_text(text: &str) -> Vec<Trigger> {
    let mut out = Vec::new();
    // "32,768 hours", "40000 power-on hours": a number followed by (power-on) hours.
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let digits: String = w.chars().filter(|c| c.is_ascii_digit()).collect();
        let clean = w.trim_end_matches([',', '.']);
        if digits.is_empty() || !clean.chars().all(|c| c.is_ascii_digit() || c == ',') {
            continue;
        }
        let next = words.get(i + 1).copied().unwrap_or("");
        let next2 = words.get(i + 2).copied().unwrap_or("");
        let hours = next.starts_with("hour")
            || ((next == "power-on" || next == "power") && next2.starts_with("hour"))
            || (next == "power" && next2 == "on");
        if let (true, Ok(n)) = (hours, digits.parse::<u64>()) {
            if n >= 1000 {
                let t = Trigger::PowerOnHours { hours: n };
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        if next.starts_with("day") && has_any(text, &["uptime", "continuous operation", "after"]) {
            if let Ok(n) = digits.parse::<u64>() {
                if n >= 30 {
                    let t = Trigger::UptimeDays { days: n };
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    if has_any(
        text,
        &[
            "degraded mode",
            "degraded state",
            "while degraded",
            "single controller",
        ],
    ) {
        out.push(Trigger::DegradedMode);
    }
    if has_any(
        text,
        &["hardware fault", "hardware failure", "component failure"],
    ) {
        out.push(Trigger::HardwareFault);
    }
    out
}

/// An operator's correction of an advisory's effects or triggers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    pub advisory: AdvisoryId,
    #[serde(default)]
    pub effects: Option<Vec<Effect>>,
    #[serde(default)]
    pub triggers: Option<Vec<Trigger>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// "Not affected here": hides a finding until `expires`, with a reason and an author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    pub advisory: AdvisoryId,
    /// Limit to one system; `None` means every system.
    #[serde(default)]
    pub system: Option<String>,
    pub reason: String,
    pub author: String,
    #[serde(deserialize_with = "toml_date")]
    pub expires: NaiveDate,
}

/// A TOML local date (`2026-12-31`) or a string holding one.
fn toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Toml(dt) => match (dt.date, dt.time) {
            (Some(date), None) => date.to_string(),
            _ => {
                return Err(serde::de::Error::custom(
                    "expected a date such as 2026-12-31",
                ))
            }
        },
        Raw::Text(t) => t,
    };
    text.parse().map_err(serde::de::Error::custom)
}

/// The operator file `feeds/annotations.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default, rename = "annotation")]
    pub annotations: Vec<Annotation>,
    #[serde(default, rename = "suppression")]
    pub suppressions: Vec<Suppression>,
}

/// A problem in the overrides file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct OverridesError {
    pub file: String,
    pub message: String,
}

impl Overrides {
    /// Parse the overrides file text; `file` names it in errors (toml errors carry line and column).
    pub fn parse(file: &str, text: &str) -> Result<Overrides, OverridesError> {
        toml::from_str(text).map_err(|e| OverridesError {
            file: file.to_string(),
            message: e.to_string(),
        })
    }

    /// Apply annotations (they win over stated and derived readings). Returns how the advisory's
    /// reading was obtained.
    pub fn apply(&self, adv: &mut Advisory, derived: Basis) -> (Basis, Option<String>) {
        let ids: Vec<&AdvisoryId> = std::iter::once(&adv.id).chain(adv.aliases.iter()).collect();
        let Some(a) = self.annotations.iter().find(|a| ids.contains(&&a.advisory)) else {
            return (derived, None);
        };
        if let Some(e) = &a.effects {
            adv.effects = e.clone();
        }
        if let Some(t) = &a.triggers {
            adv.triggers = t.clone();
        }
        (Basis::Annotated, a.note.clone())
    }

    /// The suppression that applies to (advisory, system) on `today`, and expired ones that would
    /// have applied (so the report can say "suppression expired on …").
    pub fn suppression_for(
        &self,
        adv: &Advisory,
        system: &str,
        today: NaiveDate,
    ) -> SuppressionState<'_> {
        let mut expired = None;
        for s in &self.suppressions {
            let id_match = s.advisory == adv.id || adv.aliases.contains(&s.advisory);
            let sys_match = s.system.as_deref().is_none_or(|x| x == system);
            if !(id_match && sys_match) {
                continue;
            }
            if s.expires >= today {
                return SuppressionState::Active(s);
            }
            expired = Some(s);
        }
        match expired {
            Some(s) => SuppressionState::Expired(s),
            None => SuppressionState::None,
        }
    }

    /// Annotations by advisory id, for listing.
    pub fn annotation_index(&self) -> BTreeMap<&AdvisoryId, &Annotation> {
        self.annotations.iter().map(|a| (&a.advisory, a)).collect()
    }
}

/// Whether a suppression hides a finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SuppressionState<'a> {
    None,
    Active(&'a Suppression),
    Expired(&'a Suppression),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cvss, FeedId, Source, SourceFormat};

    fn adv(title: &str, summary: &str) -> Advisory {
        Advisory {
            summary: summary.into(),
            ..Advisory::new(
                "X-1".parse().unwrap(),
                "NetApp".into(),
                title.into(),
                Source {
                    feed: "t".parse::<FeedId>().unwrap(),
                    format: SourceFormat::Native,
                    location: "t".into(),
                    sha256: String::new(),
                },
            )
        }
    }

    #[test]
    fn vendor_wording() {
        let mut a = adv(
            "Takeover does not occur after a controller hardware fault",
            "In rare cases the partner fails to take over, resulting in data unavailability (DU).",
        );
        assert_eq!(classify(&mut a), Basis::Derived);
        assert!(
            a.effects.contains(&Effect::FailoverFailure),
            "{:?}",
            a.effects
        );
        assert!(a.effects.contains(&Effect::DataUnavailable));
        assert!(a.triggers.contains(&Trigger::HardwareFault));

        let mut b = adv(
            "SSD failure at 32,768 hours of operation",
            "Drives fail at 32,768 power-on hours; the data cannot be recovered.",
        );
        classify(&mut b);
        assert!(b.effects.contains(&Effect::ComponentCrash));
        assert!(b.effects.contains(&Effect::DataLoss));
        assert!(b.triggers.contains(&Trigger::PowerOnHours { hours: 32768 }));
    }

    #[test]
    fn power_and_path_loss_only_on_explicit_wording() {
        let mut pdu = adv(
            "Rack PDU firmware can switch all outlets off",
            "After a network management card restart the outlets turn off for up to 30 seconds.",
        );
        classify(&mut pdu);
        assert_eq!(pdu.effects, [Effect::PowerLoss]);
        let mut switch = adv(
            "FC switch stops forwarding after a zoning change",
            "All ports go down until the switch is rebooted.",
        );
        classify(&mut switch);
        assert_eq!(switch.effects, [Effect::PathLoss]);
        // A power loss as the trigger of another bug is not the part cutting power.
        let mut after = adv(
            "Cache is not flushed after a power loss",
            "After a power loss the array may report corrupted blocks.",
        );
        classify(&mut after);
        assert!(
            !after.effects.contains(&Effect::PowerLoss),
            "{:?}",
            after.effects
        );
    }

    #[test]
    fn du_is_a_word_not_a_substring() {
        let mut a = adv("Issue during upgrade produces a log message", "");
        assert_eq!(classify(&mut a), Basis::Unclassified);
        assert!(a.effects.is_empty());
    }

    #[test]
    fn cvss_availability() {
        let mut a = adv("Web interface vulnerability", "");
        a.id = "CVE-2024-0001".parse().unwrap();
        a.cvss = Some(Cvss {
            version: "3.1".into(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            base_score: 7.5,
        });
        classify(&mut a);
        assert!(a.effects.contains(&Effect::Security));
        // Not read as a bug that fires by itself: blast rates it as an attacker-triggered outage.
        assert!(!a.effects.contains(&Effect::DataUnavailable));
    }

    #[test]
    fn stated_effects_are_kept() {
        let mut a = adv("controller panic", "");
        a.effects = vec![Effect::Performance];
        assert_eq!(classify(&mut a), Basis::Stated);
        assert_eq!(a.effects, vec![Effect::Performance]);
    }

    #[test]
    fn annotations_win_and_suppressions_expire() {
        let o = Overrides::parse(
            "annotations.toml",
            r#"
[[annotation]]
advisory = "X-1"
effects = ["failover-failure"]
triggers = [{ kind = "hardware-fault" }]
note = "vendor KB 123: takeover hangs"

[[suppression]]
advisory = "X-1"
system = "arr-1"
reason = "feature not licensed"
author = "kato"
expires = 2026-12-31
"#,
        )
        .unwrap();
        let mut a = adv("misc", "");
        let (basis, note) = o.apply(&mut a, Basis::Unclassified);
        assert_eq!(basis, Basis::Annotated);
        assert_eq!(note.as_deref(), Some("vendor KB 123: takeover hangs"));
        assert_eq!(a.effects, vec![Effect::FailoverFailure]);
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(matches!(
            o.suppression_for(&a, "arr-1", d("2026-11-22")),
            SuppressionState::Active(_)
        ));
        assert!(matches!(
            o.suppression_for(&a, "arr-1", d("2027-01-01")),
            SuppressionState::Expired(_)
        ));
        assert!(matches!(
            o.suppression_for(&a, "arr-2", d("2026-11-22")),
            SuppressionState::None
        ));
        assert!(Overrides::parse("f", "[[suppression]]\nadvisory='X'\n").is_err());
    }
}
