//! What a bug does and what sets it off, derived from what the source says.
//!
//! Sources rarely state effects in a structured way. The native format does; everything else is
//! read from the wording vendors use for storage failures (failover / takeover / giveback, panic,
//! DU / DL, LUN offline, corruption, power-on hours, latency) and from the CVSS vector. The rules are
//! deliberately plain keyword rules: an operator must be able to see *why* an advisory was read as
//! "failover failure", and correct it with an **annotation** when the reading is wrong. Annotations
//! live in one operator file, `feeds/annotations.toml`, with the team's triage decisions
//! ([`crate::triage`]); an annotation always wins over the derived reading.
//!
//! Everything here is pure: the CLI reads the file and passes its text.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod effects;

use crate::model::{Advisory, AdvisoryId, Effect, Trigger};
use crate::triage::{Book, Entry, TriageState};
use effects::has_any;

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
    let reading = effects::read(adv, &text);
    let effects = reading.effects;
    adv.effect_notes = reading.notes;
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

/// The older form of a false-positive decision: "not affected here" until `expires`, with a reason
/// and an author. Read as a `false-positive` [`crate::triage::Entry`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suppression {
    advisory: AdvisoryId,
    /// Limit to one system; `None` means every system.
    #[serde(default)]
    system: Option<String>,
    reason: String,
    author: String,
    #[serde(deserialize_with = "toml_date")]
    expires: NaiveDate,
}

impl Suppression {
    fn into_entry(self) -> Entry {
        Entry {
            finding: match self.system {
                Some(sys) => format!("{}@{sys}", self.advisory),
                None => self.advisory.to_string(),
            },
            state: TriageState::FalsePositive,
            reason: self.reason,
            by: self.author,
            on: None,
            approver: None,
            expires: Some(self.expires),
            setting: None,
        }
    }
}

/// An optional [`toml_date`].
pub(crate) fn opt_toml_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDate>, D::Error> {
    toml_date(d).map(Some)
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

/// The operator file `feeds/annotations.toml`: annotations and triage decisions.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub annotations: Vec<Annotation>,
    pub triage: Book,
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverrides {
    #[serde(default, rename = "annotation")]
    annotations: Vec<Annotation>,
    #[serde(default)]
    triage: Vec<Entry>,
    #[serde(default, rename = "suppression")]
    suppressions: Vec<Suppression>,
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
    /// Every triage entry must carry what its state requires ([`Entry::check`]).
    pub fn parse(file: &str, text: &str) -> Result<Overrides, OverridesError> {
        let err = |message: String| OverridesError {
            file: file.to_string(),
            message,
        };
        let raw: RawOverrides = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (i, e) in raw.triage.iter().enumerate() {
            e.check()
                .map_err(|m| err(format!("[[triage]] #{}: {m}", i + 1)))?;
        }
        let entries = raw
            .suppressions
            .into_iter()
            .map(Suppression::into_entry)
            .chain(raw.triage)
            .collect();
        Ok(Overrides {
            annotations: raw.annotations,
            triage: Book::new(entries),
        })
    }

    /// Apply annotations (they win over stated and derived readings). Returns how the advisory's
    /// reading was obtained. The annotation and its note join the advisory's `effect_notes`, so
    /// every rating (and `--explain`) says the operator set it; notes about the derived reading
    /// go when the annotation replaces the effects.
    pub fn apply(&self, adv: &mut Advisory, derived: Basis) -> (Basis, Option<String>) {
        let ids: Vec<&AdvisoryId> = std::iter::once(&adv.id).chain(adv.aliases.iter()).collect();
        let Some(a) = self.annotations.iter().find(|a| ids.contains(&&a.advisory)) else {
            return (derived, None);
        };
        let mut what = Vec::new();
        if let Some(e) = &a.effects {
            adv.effects = e.clone();
            adv.effect_notes.clear();
            let names: Vec<&str> = e.iter().map(|e| e.as_str()).collect();
            what.push(format!("effects {}", names.join(", ")));
        }
        if let Some(t) = &a.triggers {
            adv.triggers = t.clone();
            what.push(format!("{} trigger(s)", t.len()));
        }
        let mut line = format!("annotated by the operator ({})", what.join("; "));
        if let Some(n) = &a.note {
            line.push_str(&format!(": {n}"));
        }
        adv.effect_notes.push(line);
        (Basis::Annotated, a.note.clone())
    }

    /// Annotations by advisory id, for listing.
    pub fn annotation_index(&self) -> BTreeMap<&AdvisoryId, &Annotation> {
        self.annotations.iter().map(|a| (&a.advisory, a)).collect()
    }
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
        // The document states a denial of service; the blast rating reads it with its attack
        // condition (the security rule), not as a bug that fires by itself.
        assert!(a.effects.contains(&Effect::DataUnavailable));
        assert!(a.effects.contains(&Effect::ManagementPlane));
    }

    #[test]
    fn stated_effects_are_kept() {
        let mut a = adv("controller panic", "");
        a.effects = vec![Effect::Performance];
        assert_eq!(classify(&mut a), Basis::Stated);
        assert_eq!(a.effects, vec![Effect::Performance]);
    }

    #[test]
    fn annotations_win_and_suppressions_are_false_positives_that_expire() {
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
        assert_eq!(
            a.effect_notes,
            ["annotated by the operator (effects failover-failure; 1 trigger(s)): vendor KB 123: takeover hangs"]
        );
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // A suppression is a false positive until its date.
        let none = BTreeMap::new();
        let t = o.triage.for_finding(&a, "arr-1", &none, d("2026-11-22"));
        assert_eq!(t.state, TriageState::FalsePositive);
        assert!(t.closed());
        let t = o.triage.for_finding(&a, "arr-1", &none, d("2027-01-01"));
        assert_eq!(t.expired, Some(d("2026-12-31")));
        assert!(!o
            .triage
            .for_finding(&a, "arr-2", &none, d("2026-11-22"))
            .closed());
        assert!(Overrides::parse("f", "[[suppression]]\nadvisory='X'\n").is_err());
        // A triage entry without what its state needs is refused, naming it.
        let e = Overrides::parse(
            "f",
            "[[triage]]\nfinding='X-1@a'\nstate='accepted-risk'\nreason='r'\nby='k'\non=2026-11-01\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("[[triage]] #1") && e.to_string().contains("approver"),
            "{e}"
        );
    }
}
