//! End of support: a release line whose vendor support ends (or has ended), from a lifecycle
//! document ([`crate::model::Lifecycle`]).
//!
//! End of support is not a fault: nothing stops on the day. What it takes away is the future —
//! once a line is out of support the vendor publishes no fixes for it, so every bug found in it
//! later stays, and the bugs already open on it cannot be fixed by waiting. The rating says that
//! and no more:
//!
//! - **before the end of standard support**: `informational`, dated by that day (notices at 180,
//!   90 and 30 days, `notify::LIFECYCLE_WARNING_WINDOWS`), and **at most low** — a date, not a
//!   fault;
//! - **out of standard support, extended support running**: `unsupported`, dated by the end of
//!   extended support (fixes only under an extended-support contract), **at least medium**;
//! - **out of all support**: `unsupported`, `triggering` (it is in effect now), at least medium;
//! - **out of standard support with open high or critical findings on the line**: **at least
//!   high** — those findings cannot be fixed by waiting, and each of them says so in its reasons
//!   ([`annotate`], after every finding is rated).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::blast::finding::{Finding, Part};
use crate::blast::rating::{Consequence, FindingCode, Reading, Severity, Urgency};
use crate::blast::topology::{Context, Exp};
use crate::matcher::MatchState;
use crate::model::{Advisory, ComponentKind, Lifecycle};

/// The most an end of support that has not come yet can score (low).
pub(in crate::blast) const BEFORE_CAP: u8 = 39;
/// The least a line out of standard support scores (medium).
pub(in crate::blast) const PAST_FLOOR: u8 = 40;
/// The least it scores with open high or critical findings on the line (high).
pub(in crate::blast) const BLOCKED_FLOOR: u8 = 60;

/// `ONTAP 9.8` — the product and the line as the document writes them.
pub(crate) fn line_name(adv: &Advisory, lc: &Lifecycle) -> String {
    let product = adv.affected.first().map_or("", |s| s.product.as_str());
    format!("{product} {}", lc.line).trim().to_string()
}

fn days(from: NaiveDate, to: NaiveDate) -> String {
    let n = (to - from).num_days();
    match n {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        n if n > 0 => format!("in {n} days"),
        -1 => "1 day ago".to_string(),
        n => format!("{} days ago", -n),
    }
}

/// The reading of a lifecycle finding.
pub(super) fn end_of_support(ctx: &Context<'_>, adv: &Advisory, exps: &[Exp<'_>]) -> Reading {
    let Some(lc) = &adv.lifecycle else {
        return Reading::new(
            FindingCode::EndOfSupport,
            Consequence::Informational,
            Urgency::NeedsCondition,
            "the advisory says end of support but gives no dates (only a [[lifecycle]] document \
             does): review when support ends"
                .to_string(),
        );
    };
    let today = ctx.today;
    let name = line_name(adv, lc);
    let mut firmware: Vec<&str> = exps.iter().map(|e| &*e.decision.firmware).collect();
    firmware.sort_unstable();
    firmware.dedup();
    let on = firmware.join(", ");
    let std = lc.end_of_standard_support;
    let (consequence, urgency, head) = if !lc.past_standard(today) {
        let ext = match lc.end_of_extended_support {
            Some(e) => format!("; extended support until {e}"),
            None => String::new(),
        };
        (
            Consequence::Informational,
            Urgency::ByDate(std),
            format!(
                "{on} is on {name}, whose standard support ends {std} ({}){ext}: plan the move \
                 to a supported line before then",
                days(today, std)
            ),
        )
    } else if !lc.past_all(today) {
        let ext = lc.end_of_support();
        (
            Consequence::Unsupported,
            Urgency::ByDate(ext),
            format!(
                "{on} is on {name}, out of standard support since {std}: no regular fixes; \
                 extended support ends {ext} ({}) — new fixes only under an extended-support \
                 contract",
                days(today, ext)
            ),
        )
    } else {
        let end = lc.end_of_support();
        (
            Consequence::Unsupported,
            Urgency::Triggering,
            format!(
                "{on} is on {name}, out of support since {end}: the vendor publishes no more \
                 fixes for it — its bugs cannot be fixed by waiting; move to a supported line"
            ),
        )
    };
    let mut reasons = vec![head];
    reasons.push(
        "end of support is no fault by itself: it takes away future fixes (at most low before \
         the date, at least medium after it, at least high with open high findings on the line)"
            .to_string(),
    );
    reasons.push(format!("lifecycle source: {}", lc.source));
    if lc.illustrative {
        reasons.push(
            "illustrative data: these dates are made up for the example estate, not the vendor's"
                .to_string(),
        );
    }
    Reading::with_reasons(FindingCode::EndOfSupport, consequence, urgency, reasons)
}

/// The score of an end-of-support finding within its bounds: at most low before the date, at
/// least medium after it.
pub(in crate::blast) fn bound(score: u8, consequence: Consequence) -> u8 {
    if consequence == Consequence::Unsupported {
        score.max(PAST_FLOOR)
    } else {
        score.min(BEFORE_CAP)
    }
}

/// A line out of standard support on one system, and the parts on it.
struct OutOfSupport {
    finding: usize,
    parts: Vec<Part>,
    /// "cannot be fixed by waiting: …", said on every other finding of these parts.
    line: String,
    /// The open high or critical findings on these parts.
    blocked: Vec<String>,
}

/// Does `part` run on the out-of-support `line_part`? The part itself, or a controller running
/// the system's OS when the line is the system's.
fn on_line(part: &Part, line_part: &Part) -> bool {
    if part.subject == line_part.subject {
        return true;
    }
    line_part.kind == ComponentKind::System
        && part.kind == ComponentKind::Controller
        && part.subject.system == line_part.subject.system
        && part.firmware == line_part.firmware
}

/// After every finding is rated: each finding on a part whose line is out of standard support
/// says it cannot be fixed by waiting, and an out-of-support line with open high or critical
/// findings on it is at least high, naming them. Called only when a lifecycle document has
/// exposures, so an estate without lifecycle data pays nothing.
pub(in crate::blast) fn annotate(ctx: &Context<'_>, slots: &mut [Option<Finding>]) {
    let lifecycles: HashMap<&str, &Advisory> = ctx
        .advisories
        .iter()
        .filter(|a| a.lifecycle.is_some())
        .map(|a| (a.id.as_str(), a))
        .collect();
    let mut by_system: HashMap<String, Vec<OutOfSupport>> = HashMap::new();
    for (i, f) in slots.iter().enumerate() {
        let Some(f) = f else { continue };
        if f.rating.code != FindingCode::EndOfSupport
            || f.rating.consequence != Consequence::Unsupported
            || f.state != MatchState::Confirmed
        {
            continue;
        }
        let Some(adv) = lifecycles.get(&*f.advisory.id) else {
            continue;
        };
        let Some(lc) = &adv.lifecycle else { continue };
        let name = line_name(adv, lc);
        let line = if lc.past_all(ctx.today) {
            format!(
                "cannot be fixed by waiting: {name} is out of support since {} ({}): no new \
                 fixes will come for it — apply a released fix or move to a supported line",
                lc.end_of_support(),
                adv.id
            )
        } else {
            format!(
                "cannot be fixed by waiting: {name} is out of standard support since {} ({}): \
                 new fixes only under an extended-support contract (until {}) — apply a released \
                 fix or move to a supported line",
                lc.end_of_standard_support,
                adv.id,
                lc.end_of_support()
            )
        };
        by_system
            .entry(f.system.to_string())
            .or_default()
            .push(OutOfSupport {
                finding: i,
                parts: f.parts.clone(),
                line,
                blocked: Vec::new(),
            });
    }
    if by_system.is_empty() {
        return;
    }
    for f in slots.iter_mut().flatten() {
        if f.rating.code == FindingCode::EndOfSupport {
            continue;
        }
        let Some(lines) = by_system.get_mut(f.system.as_str()) else {
            continue;
        };
        for oos in lines.iter_mut() {
            if !f
                .parts
                .iter()
                .any(|p| oos.parts.iter().any(|l| on_line(p, l)))
            {
                continue;
            }
            f.rating.reasons.push(oos.line.as_str().into());
            if f.state == MatchState::Confirmed
                && !f.triage.closed()
                && f.rating.severity >= Severity::High
            {
                oos.blocked
                    .push(format!("{} {}", f.advisory.id, f.rating.severity));
            }
        }
    }
    for oos in by_system.into_values().flatten() {
        if oos.blocked.is_empty() {
            continue;
        }
        let Some(f) = slots[oos.finding].as_mut() else {
            continue;
        };
        let n = oos.blocked.len();
        f.rating.reasons.push(
            format!(
                "{n} open high or critical finding{} on this line cannot be fixed by waiting ({}): \
                 at least high",
                if n == 1 { "" } else { "s" },
                oos.blocked.join(", ")
            )
            .into(),
        );
        if f.rating.score < BLOCKED_FLOOR {
            f.rating.score = BLOCKED_FLOOR;
            f.rating.severity = Severity::from_score(BLOCKED_FLOOR);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::Finding;
    use crate::classify::Overrides;
    use crate::matcher::{match_inventory, Index};
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A lifecycle advisory for ONTAP `line` with these dates.
    fn eos(id: &str, line: &str, std: &str, ext: Option<&str>) -> Advisory {
        let range = crate::version::line_range(Scheme::Ontap, line).unwrap();
        let mut a = advisory_for(id, "NetApp", "ONTAP", &range.to_string())
            .effects(&[Effect::EndOfSupport]);
        a.lifecycle = Some(Lifecycle {
            line: line.into(),
            end_of_standard_support: d(std),
            end_of_extended_support: ext.map(d),
            source: "https://vendor.example/lifecycle".into(),
            illustrative: true,
        });
        a
    }

    fn reasons(f: &Finding) -> String {
        f.rating.reasons.join("\n")
    }

    fn rate_on(e: &Estate, advisories: &[Advisory], today: NaiveDate) -> Vec<Finding> {
        let index = Index::build(advisories);
        let matches = match_inventory(&e.0, advisories, &index);
        let ctx = Context::new(&e.0, advisories, &matches, today);
        crate::blast::assess(&ctx, &Overrides::default())
    }

    fn aff(firmware: &str) -> Estate {
        Estate::new()
            .system("aff", "NetApp", "AFF A400", Scheme::Ontap, firmware)
            .service(
                "subscribers",
                2_200_000,
                &[],
                crate::inventory::Criticality::Critical,
                &["aff"],
            )
    }

    #[test]
    fn before_the_date_it_is_informational_dated_and_at_most_low() {
        let f = rate_on(
            &aff("9.8P3"),
            &[eos("FWL-1", "9.8", "2027-03-01", Some("2028-03-01"))],
            today(),
        );
        let r = &f[0].rating;
        assert_eq!(r.code, FindingCode::EndOfSupport);
        assert_eq!(r.consequence, Consequence::Informational);
        assert_eq!(r.urgency, Urgency::ByDate(d("2027-03-01")));
        assert!(r.score <= BEFORE_CAP, "{}", r.score);
        let text = reasons(&f[0]);
        assert!(
            text.contains("standard support ends 2027-03-01 (in 99 days)"),
            "{text}"
        );
        assert!(text.contains("illustrative data"), "{text}");
        assert!(
            text.contains("lifecycle source: https://vendor.example/lifecycle"),
            "{text}"
        );
        // Not on the line: no finding at all.
        assert!(rate_on(
            &aff("9.12.1P2"),
            &[eos("FWL-1", "9.8", "2027-03-01", None)],
            today()
        )
        .is_empty());
    }

    #[test]
    fn in_extended_support_it_is_unsupported_dated_by_the_extended_end_and_at_least_medium() {
        let f = rate_on(
            &aff("9.8P16"),
            &[eos("FWL-1", "9.8", "2026-01-01", Some("2027-06-30"))],
            today(),
        );
        let r = &f[0].rating;
        assert_eq!(r.consequence, Consequence::Unsupported);
        assert_eq!(r.urgency, Urgency::ByDate(d("2027-06-30")));
        assert!(
            r.score >= PAST_FLOOR && r.score < BLOCKED_FLOOR,
            "{}",
            r.score
        );
        assert!(reasons(&f[0]).contains("new fixes only under an extended-support contract"));
    }

    #[test]
    fn past_all_support_it_is_triggering_and_on_the_end_date_it_is_past() {
        let a = eos("FWL-1", "9.8", "2026-11-22", None);
        let f = rate_on(&aff("9.8P3"), std::slice::from_ref(&a), today());
        assert_eq!(
            f[0].rating.urgency,
            Urgency::Triggering,
            "the end date itself is past"
        );
        assert!(reasons(&f[0]).contains("out of support since 2026-11-22"));
        let f = rate_on(&aff("9.8P3"), &[a], d("2026-11-21"));
        assert_eq!(f[0].rating.urgency, Urgency::ByDate(d("2026-11-22")));
    }

    #[test]
    fn findings_on_an_out_of_support_line_cannot_be_fixed_by_waiting_and_raise_it_to_high() {
        let bug = advisory_for("FWN-1", "NetApp", "ONTAP", "vers:ontap/<9.9")
            .effects(&[Effect::DataUnavailable]);
        let line = eos("FWL-1", "9.8", "2025-01-01", None);
        let f = rate_on(&aff("9.8P3"), &[bug.clone(), line.clone()], today());
        let bug_f = f.iter().find(|f| &*f.advisory.id == "FWN-1").unwrap();
        let eos_f = f.iter().find(|f| &*f.advisory.id == "FWL-1").unwrap();
        assert!(bug_f.rating.severity >= Severity::High);
        assert!(
            reasons(bug_f).contains(
                "cannot be fixed by waiting: ONTAP 9.8 is out of support since 2025-01-01 (FWL-1)"
            ),
            "{}",
            reasons(bug_f)
        );
        assert!(eos_f.rating.severity >= Severity::High);
        assert!(reasons(eos_f).contains(
            "1 open high or critical finding on this line cannot be fixed by waiting (FWN-1"
        ));

        // The same bug on a line whose support is still ahead: nothing said, nothing raised.
        let f = rate_on(
            &aff("9.8P3"),
            &[bug, eos("FWL-1", "9.8", "2027-06-01", None)],
            today(),
        );
        let bug_f = f.iter().find(|f| &*f.advisory.id == "FWN-1").unwrap();
        assert!(!reasons(bug_f).contains("cannot be fixed by waiting"));
        let eos_f = f.iter().find(|f| &*f.advisory.id == "FWL-1").unwrap();
        assert!(eos_f.rating.severity <= Severity::Low);
    }

    #[test]
    fn a_controller_running_the_out_of_support_os_is_on_the_line() {
        let e = aff("9.8P3")
            .component(
                "aff",
                "ctl-a",
                ComponentKind::Controller,
                "NetApp",
                "AFF A400",
                Scheme::Ontap,
                "9.8P3",
                1,
            )
            .component(
                "aff",
                "ctl-b",
                ComponentKind::Controller,
                "NetApp",
                "AFF A400",
                Scheme::Ontap,
                "9.12.1P2",
                1,
            );
        let bug = advisory_for("FWN-2", "NetApp", "ONTAP", "vers:ontap/<9.13")
            .on(ComponentKind::Controller)
            .effects(&[Effect::Performance]);
        let f = rate_on(
            &e,
            &[
                bug.clone(),
                eos("FWL-1", "9.8", "2025-01-01", Some("2026-01-01")),
            ],
            today(),
        );
        let bug_f = f.iter().find(|f| &*f.advisory.id == "FWN-2").unwrap();
        assert!(
            reasons(bug_f).contains("cannot be fixed by waiting"),
            "ctl-a runs 9.8P3"
        );
        // Only ctl-b is exposed: it runs 9.12.1P2, not the system's line.
        let e2 = aff("9.8P3").component(
            "aff",
            "ctl-b",
            ComponentKind::Controller,
            "NetApp",
            "AFF A400",
            Scheme::Ontap,
            "9.12.1P2",
            1,
        );
        let f = rate_on(
            &e2,
            &[bug, eos("FWL-1", "9.8", "2025-01-01", None)],
            today(),
        );
        let bug_f = f.iter().find(|f| &*f.advisory.id == "FWN-2").unwrap();
        assert!(!reasons(bug_f).contains("cannot be fixed by waiting"));
    }
}
