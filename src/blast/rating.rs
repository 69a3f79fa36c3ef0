//! What a rating is made of, and how the rules' readings become one rating.
//!
//! Each rule (`rules/`) answers with [`Reading`]s: a code, a consequence, an urgency and the lines
//! that state the facts behind them. The reading with the worst consequence decides; the others
//! only add their lines, so an operator sees every fact the rules found, not just the winner's.
//! The score is a plain sum ([`score`]) so that each term that moved it has a line in the reasons.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::reach::{Reach, Shared};
use super::rules;
use super::topology::{Context, Exp};
use crate::inventory::{ComponentRef, Criticality};
use crate::matcher::MatchState;

/// The reason line every finding with an undecided match ends with.
pub const UNKNOWN_REASON: &str =
    "UNKNOWN: the match could not be decided — review it; rated as if it applied, scaled down";

/// What happens if the bug fires here, ordered from least to most harmful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Consequence {
    Informational,
    /// The release line is out of vendor support: no fault by itself, but no future fixes.
    Unsupported,
    Performance,
    Security,
    RedundancyLost,
    ServiceOutage,
    DataLossWithBackup,
    DataLossNoBackup,
}

impl Consequence {
    pub fn as_str(self) -> &'static str {
        match self {
            Consequence::Informational => "informational",
            Consequence::Unsupported => "unsupported",
            Consequence::Performance => "performance",
            Consequence::Security => "security",
            Consequence::RedundancyLost => "redundancy-lost",
            Consequence::ServiceOutage => "service-outage",
            Consequence::DataLossWithBackup => "data-loss-with-backup",
            Consequence::DataLossNoBackup => "data-loss-no-backup",
        }
    }

    fn base_score(self) -> f64 {
        match self {
            Consequence::Informational => 5.0,
            Consequence::Unsupported => 25.0,
            Consequence::Performance => 20.0,
            Consequence::Security => 15.0,
            Consequence::RedundancyLost => 40.0,
            Consequence::ServiceOutage => 60.0,
            Consequence::DataLossWithBackup => 65.0,
            Consequence::DataLossNoBackup => 80.0,
        }
    }
}

impl fmt::Display for Consequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the bug can fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "date", rename_all = "kebab-case")]
pub enum Urgency {
    /// Already past its trigger (a threshold date has passed) or firing now.
    Triggering,
    /// Fires on this date (time-triggered).
    ByDate(NaiveDate),
    /// Can fire at any time in normal operation (no trigger, or its condition is present).
    Anytime,
    /// Needs a hardware fault elsewhere (failover-path bugs).
    NeedsFault,
    /// Needs a condition the inventory cannot confirm (a workload, degraded mode, unknown date).
    NeedsCondition,
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Urgency::Triggering => f.write_str("triggering"),
            Urgency::ByDate(d) => write!(f, "fires {d}"),
            Urgency::Anytime => f.write_str("anytime"),
            Urgency::NeedsFault => f.write_str("needs a fault"),
            Urgency::NeedsCondition => f.write_str("needs a condition"),
        }
    }
}

/// Severity class derived from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_score(score: u8) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            20..=39 => Severity::Low,
            _ => Severity::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high, critical)"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::diag::codes! {
    /// Stable code of the rule that decided a rating, used in JSON, reports and notifications.
    ///
    /// Kebab-case on the wire (`failover-spof`); closed, so a new rule adds a variant here and the
    /// codes test keeps every code of the crate unique.
    pub enum FindingCode {
        /// A failover-path bug on a redundant pair: one hardware fault stops the service.
        FailoverSpof = "failover-spof",
        /// A member crashes and the survivors would carry over 100 % of their capacity.
        SurvivorOverload = "survivor-overload",
        /// Every member runs the firmware and a time-based trigger fires on all of them together.
        CommonModeOutage = "common-mode-outage",
        /// Redundancy is lost but the service keeps running (or the load is not recorded).
        RedundancyLost = "redundancy-lost",
        /// The exposed part stops what it serves and nothing recorded takes over.
        ServiceOutage = "service-outage",
        /// More drives of one RAID group reach a power-on-hours threshold together than it tolerates.
        RaidTimeBomb = "raid-time-bomb",
        /// Drives reach a power-on-hours threshold, within what their RAID group tolerates or in none.
        TimeBomb = "time-bomb",
        /// Data can be lost and no independent backup exists.
        DataLossNoBackup = "data-loss-no-backup",
        /// Data can be lost and an independent, unexposed backup exists.
        DataLossWithBackup = "data-loss-with-backup",
        /// The exposed scope (a system or an enclosure) stops serving data.
        DataUnavailable = "data-unavailable",
        /// A part that feeds a failure domain (PDU, UPS, switch) drops it, and systems in it have
        /// no second feed.
        DomainDown = "domain-down",
        Performance = "performance",
        /// A security weakness without a network-reachable availability impact.
        Security = "security",
        /// A network-reachable weakness with high availability impact: an attacker can stop it.
        SecurityDos = "security-dos",
        /// Management plane only: the data path is not affected.
        ManagementPlane = "management-plane",
        /// A partner (replica, cluster peer, drive, shelf, HBA) runs a version this part's
        /// firmware does not support with it.
        UnsupportedCombination = "unsupported-combination",
        /// The advisory does not say what the bug does.
        Unclassified = "unclassified",
        /// The part's release line reaches, or is past, the end of its vendor support (a
        /// lifecycle document): no future fixes once past.
        EndOfSupport = "end-of-support",
    }
}

/// The rating of one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Stable code of the deciding rule.
    pub code: FindingCode,
    pub consequence: Consequence,
    pub urgency: Urgency,
    /// Shared by the findings on one system that reach all of it (most of them).
    pub reach: Arc<Reach>,
    pub score: u8,
    pub severity: Severity,
    /// One line per fact that produced the rating. A line is shared by every finding that states
    /// it (the match evidence, a system's backups and reach …): each distinct text is held once.
    pub reasons: Vec<Arc<str>>,
    /// For data loss: whether an independent backup exists, and why (also among `reasons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Arc<str>>,
}

/// A reason line of a [`Reading`]: worded for this finding, or already one of the rating
/// thread's shared lines ([`Shared::line`]), as a rule hands on a reading it keeps
/// (`crash`'s group readings), so the line is neither worded nor looked up again.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Line {
    Worded(String),
    Shared(Arc<str>),
}

impl std::ops::Deref for Line {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Line::Worded(s) => s,
            Line::Shared(a) => a,
        }
    }
}

impl From<String> for Line {
    fn from(s: String) -> Line {
        Line::Worded(s)
    }
}

impl PartialEq<&str> for Line {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl PartialEq<str> for Line {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<String> for Line {
    fn eq(&self, other: &String) -> bool {
        **self == **other
    }
}

/// One candidate reading of the consequence; the worst one decides.
#[derive(Debug)]
pub(super) struct Reading {
    pub(super) code: FindingCode,
    pub(super) consequence: Consequence,
    pub(super) urgency: Urgency,
    pub(super) reasons: Vec<Line>,
    /// Limit reach to services placed on these components (an enclosure); `None` = whole system.
    pub(super) scope: Option<Vec<ComponentRef>>,
    /// Why the rule could not decide (a figure that gives no date): the finding is then
    /// undecided whatever the match says, and this line is among its reasons.
    pub(super) undecided: Option<String>,
    /// The reach is what depends on these systems (by position) instead of the finding's own:
    /// a PDU's bug reaches what it powers.
    pub(super) across: Option<Vec<u32>>,
    /// The backup reasoning of a data-loss reading (`data_loss::backup_verdict`'s lines).
    pub(super) backup: Option<String>,
}

impl Reading {
    /// A reading of the whole system with one reason line.
    pub(super) fn new(
        code: FindingCode,
        consequence: Consequence,
        urgency: Urgency,
        reason: String,
    ) -> Self {
        Reading::with_lines(code, consequence, urgency, vec![reason.into()])
    }

    /// A reading of the whole system with its reason lines.
    pub(super) fn with_reasons(
        code: FindingCode,
        consequence: Consequence,
        urgency: Urgency,
        reasons: Vec<String>,
    ) -> Self {
        let lines = reasons.into_iter().map(Line::Worded).collect();
        Reading::with_lines(code, consequence, urgency, lines)
    }

    /// A reading of the whole system with its reason lines, worded or shared.
    pub(super) fn with_lines(
        code: FindingCode,
        consequence: Consequence,
        urgency: Urgency,
        reasons: Vec<Line>,
    ) -> Self {
        Reading {
            code,
            consequence,
            urgency,
            reasons,
            scope: None,
            undecided: None,
            across: None,
            backup: None,
        }
    }
}

/// Rate one finding: the advisory at `adv_idx` on the system at `sys_idx`, exposed through `exps`.
/// Returns the rating and the finding's state: `state` as the match decided it, or unknown when a
/// rule could not decide ([`Reading::undecided`]).
pub(super) fn rate(
    ctx: &Context<'_>,
    shared: &mut Shared,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
    state: MatchState,
    evidence: &Arc<str>,
) -> (Rating, MatchState) {
    let adv = &ctx.advisories[adv_idx];
    let mut readings = rules::readings(ctx, shared, adv_idx, sys_idx, exps);
    let undecided = readings.iter().any(|r| r.undecided.is_some());

    // The worst reading decides; the others add their reasons.
    readings.sort_by_key(|r| std::cmp::Reverse(r.consequence));
    let mut top = readings.remove(0);
    let backup = top.backup.take().map(|l| shared.line(l));
    // Gathered on the stack, then moved into a vector of exactly their number: a few hundred
    // thousand findings keep no spare capacity.
    let mut reasons: SmallVec<[Arc<str>; 12]> = smallvec::smallvec![evidence.clone()];
    reasons.extend(
        std::mem::take(&mut top.reasons)
            .into_iter()
            .map(|l| shared.keep(l)),
    );
    for r in readings {
        for line in r.reasons {
            if !reasons.iter().any(|x| **x == *line) {
                reasons.push(shared.keep(line));
            }
        }
    }
    let (reach, reach_line) = match &top.across {
        Some(systems) => shared.reach_across(ctx, systems),
        None => shared.reach(ctx, sys_idx, top.scope.as_deref()),
    };
    reasons.extend(reach_line);
    for note in &adv.effect_notes {
        reasons.push(shared.line(note.clone()));
    }
    if let Some(vs) = &adv.vendor_severity {
        reasons.push(shared.line(format!(
            "vendor's own rating: \"{vs}\" (an input, not the answer)"
        )));
    }
    let unknown = state == MatchState::Unknown || undecided;
    if unknown {
        reasons.push(ctx.unknown_line.clone());
    }
    // An end of support is a date, not a fault: its own bounds (`rules::lifecycle`) replace
    // severity-follows-time.
    let eos = top.code == FindingCode::EndOfSupport;
    let timed = if eos {
        ByTime::Unchanged
    } else {
        by_time(top.consequence, top.urgency, ctx.today)
    };
    match timed {
        ByTime::Distant(days) => reasons.push(shared.line(format!(
            "it fires in {days} days, more than a year away: at most medium until it nears"
        ))),
        ByTime::Imminent(days) => {
            reasons.push(shared.line(format!("it fires in {days} days and loses data: critical")))
        }
        ByTime::Unchanged => {}
    }
    let mut score = score_by(
        top.consequence,
        &reach,
        top.urgency,
        ctx.today,
        unknown,
        timed,
    );
    if eos {
        score = rules::lifecycle::bound(score, top.consequence);
    }
    let rating = Rating {
        code: top.code,
        consequence: top.consequence,
        urgency: top.urgency,
        reach,
        score,
        severity: Severity::from_score(score),
        reasons: reasons.into_vec(),
        backup,
    };
    let state = if unknown {
        MatchState::Unknown
    } else {
        MatchState::Confirmed
    };
    (rating, state)
}

/// How the date a bug fires moves its severity: severity follows time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ByTime {
    /// More than [`DISTANT_DAYS`] away (the days): at most medium today, whatever it would do.
    Distant(i64),
    /// Within [`IMMINENT_DAYS`] (the days) and it loses data: critical.
    Imminent(i64),
    Unchanged,
}

/// A dated bug further away than this is at most medium.
pub const DISTANT_DAYS: i64 = 365;
/// A dated data-loss bug this close is critical.
pub const IMMINENT_DAYS: i64 = 30;

pub(super) fn by_time(consequence: Consequence, urgency: Urgency, today: NaiveDate) -> ByTime {
    let Urgency::ByDate(d) = urgency else {
        return ByTime::Unchanged;
    };
    let days = (d - today).num_days();
    let loses_data = matches!(
        consequence,
        Consequence::DataLossNoBackup | Consequence::DataLossWithBackup
    );
    if days > DISTANT_DAYS {
        ByTime::Distant(days)
    } else if days <= IMMINENT_DAYS && loses_data {
        ByTime::Imminent(days)
    } else {
        ByTime::Unchanged
    }
}

/// The score (0–100): the consequence's base, plus reach (users on a log scale, tenants sharing
/// the system, the most critical service), plus how soon the bug can fire. An undecided match
/// keeps its consequence but is scaled to 70 %, and its reasons say why it is undecided.
#[cfg(test)]
pub(super) fn score(
    consequence: Consequence,
    reach: &Reach,
    urgency: Urgency,
    today: NaiveDate,
    unknown: bool,
) -> u8 {
    let timed = by_time(consequence, urgency, today);
    score_by(consequence, reach, urgency, today, unknown, timed)
}

/// [`score`] with the move by time decided by the caller.
fn score_by(
    consequence: Consequence,
    reach: &Reach,
    urgency: Urgency,
    today: NaiveDate,
    unknown: bool,
    timed: ByTime,
) -> u8 {
    let mut score = consequence.base_score();
    if reach.users > 0 {
        let add = ((reach.users as f64).log10() * 3.0).min(20.0);
        score += add;
    }
    if reach.tenants.len() > 1 {
        score += (2.0 * (reach.tenants.len() as f64).log2()).min(10.0);
    }
    match reach.max_criticality {
        Some(Criticality::Critical) => score += 5.0,
        Some(Criticality::High) => score += 3.0,
        _ => {}
    }
    score += match urgency {
        Urgency::Triggering => 10.0,
        Urgency::ByDate(d) => {
            let days = (d - today).num_days();
            if days <= 90 {
                8.0
            } else if days <= 365 {
                4.0
            } else {
                0.0
            }
        }
        Urgency::Anytime => 2.0,
        Urgency::NeedsFault => -3.0,
        Urgency::NeedsCondition => -5.0,
    };
    match timed {
        ByTime::Distant(_) => score = score.min(59.0),
        ByTime::Imminent(_) => score = score.max(80.0),
        ByTime::Unchanged => {}
    }
    if unknown {
        score *= 0.7;
    }
    score.clamp(0.0, 100.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Criticality, DomainKind};
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    fn reach(users: u64, tenants: usize, max_criticality: Option<Criticality>) -> Reach {
        Reach {
            services: vec![],
            users,
            tenants: (0..tenants).map(|i| format!("t{i}")).collect(),
            max_criticality,
            systems: vec![],
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn finding_codes_read_back_as_they_are_written() {
        for c in FindingCode::ALL {
            assert_eq!(c.as_str().parse::<FindingCode>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""), "serde writes the same code");
            assert_eq!(serde_json::from_str::<FindingCode>(&json).unwrap(), c);
        }
        assert!("survivor_overload".parse::<FindingCode>().is_err());
    }

    #[test]
    fn the_score_is_base_plus_reach_plus_urgency() {
        let today = day("2026-11-22");
        let nobody = reach(0, 0, None);
        let s = |c, r: &Reach, u| score(c, r, u, today, false);
        assert_eq!(s(Consequence::ServiceOutage, &nobody, Urgency::Anytime), 62);
        assert_eq!(
            s(Consequence::ServiceOutage, &nobody, Urgency::NeedsFault),
            57
        );
        assert_eq!(
            s(Consequence::Security, &nobody, Urgency::NeedsCondition),
            10
        );
        // Users on a log scale: 1,000 users add 9, two million hit the cap of 20 almost.
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(1_000, 0, None),
                Urgency::Anytime
            ),
            51
        );
        assert_eq!(
            s(
                Consequence::ServiceOutage,
                &reach(2_200_000, 0, Some(Criticality::Critical)),
                Urgency::NeedsFault
            ),
            81
        );
        // Tenants: one adds nothing (it is not shared), 4 add 4, 70 hit the cap of 10.
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(0, 1, None),
                Urgency::Anytime
            ),
            42
        );
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(0, 4, None),
                Urgency::Anytime
            ),
            46
        );
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(0, 70, None),
                Urgency::Anytime
            ),
            52
        );
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(0, 0, Some(Criticality::High)),
                Urgency::Anytime
            ),
            45
        );
        assert_eq!(
            s(
                Consequence::RedundancyLost,
                &reach(0, 0, Some(Criticality::Medium)),
                Urgency::Anytime
            ),
            42
        );
    }

    #[test]
    fn a_date_adds_more_the_sooner_it_comes() {
        let today = day("2026-11-22");
        let s = |u| {
            score(
                Consequence::RedundancyLost,
                &reach(0, 0, None),
                u,
                today,
                false,
            )
        };
        assert_eq!(s(Urgency::Triggering), 50);
        assert_eq!(s(Urgency::ByDate(day("2027-02-20"))), 48, "90 days");
        assert_eq!(s(Urgency::ByDate(day("2027-02-21"))), 44, "91 days");
        assert_eq!(s(Urgency::ByDate(day("2027-11-22"))), 44, "365 days");
        assert_eq!(s(Urgency::ByDate(day("2027-11-23"))), 40, "366 days");
    }

    #[test]
    fn severity_follows_time_distant_dates_cap_at_medium_and_imminent_data_loss_is_critical() {
        let today = day("2026-11-22");
        let many = reach(2_200_000, 0, Some(Criticality::Critical));
        let s = |c, r: &Reach, d: &str| score(c, r, Urgency::ByDate(day(d)), today, false);
        // Data loss on a service of 2.2 M users: critical next week, medium two years out.
        assert_eq!(
            Severity::from_score(s(Consequence::DataLossNoBackup, &many, "2026-11-29")),
            Severity::Critical
        );
        assert_eq!(s(Consequence::DataLossNoBackup, &many, "2028-11-22"), 59);
        assert_eq!(
            by_time(
                Consequence::DataLossNoBackup,
                Urgency::ByDate(day("2028-11-22")),
                today
            ),
            ByTime::Distant(731)
        );
        // Within the year: as scored.
        assert_eq!(s(Consequence::DataLossNoBackup, &many, "2027-11-22"), 100);
        // Imminent data loss with nobody recorded is still critical.
        let nobody = reach(0, 0, None);
        assert_eq!(
            s(Consequence::DataLossWithBackup, &nobody, "2026-12-22"),
            80
        );
        assert_eq!(
            s(Consequence::DataLossWithBackup, &nobody, "2026-12-23"),
            73,
            "31 days: high, as scored"
        );
        // Not data loss: nearness is the usual bonus only.
        assert_eq!(s(Consequence::RedundancyLost, &nobody, "2026-11-29"), 48);
        assert_eq!(
            by_time(Consequence::ServiceOutage, Urgency::Anytime, today),
            ByTime::Unchanged
        );
    }

    #[test]
    fn unknown_matches_are_scaled_down_and_the_score_stays_in_range() {
        let today = day("2026-11-22");
        let nobody = reach(0, 0, None);
        assert_eq!(
            score(
                Consequence::ServiceOutage,
                &nobody,
                Urgency::Anytime,
                today,
                true
            ),
            43,
            "62 × 0.7 = 43.4"
        );
        let most = reach(10_000_000, 100, Some(Criticality::Critical));
        assert_eq!(
            score(
                Consequence::DataLossNoBackup,
                &most,
                Urgency::Triggering,
                today,
                false
            ),
            100
        );
        assert_eq!(
            score(
                Consequence::Informational,
                &nobody,
                Urgency::NeedsCondition,
                today,
                false
            ),
            0
        );
    }

    #[test]
    fn severity_classes_follow_the_score() {
        let class = |s| Severity::from_score(s);
        assert_eq!(
            [0, 19, 20, 39, 40, 59, 60, 79, 80, 100].map(class),
            [
                Severity::Info,
                Severity::Info,
                Severity::Low,
                Severity::Low,
                Severity::Medium,
                Severity::Medium,
                Severity::High,
                Severity::High,
                Severity::Critical,
                Severity::Critical,
            ]
        );
        for s in [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
        }
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn the_worst_reading_decides_and_the_others_add_their_lines_once() {
        // Performance and data loss on a system with no backup, behind a service of 1,000 users.
        let e = Estate::new()
            .system("arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3")
            .domain("rack-a", DomainKind::Rack, &["arr"])
            .service("vms", 1_000, &["acme"], Criticality::High, &["arr"]);
        let mut a = advisory_for("FWN-9", "Dell", "Unity", "vers:intdot/<5.0.6").effects(&[
            Effect::Performance,
            Effect::DataLoss,
            Effect::Performance,
        ]);
        a.vendor_severity = Some("low".into());
        let f = run(&e, &[a]);
        let r = &f[0].rating;
        assert_eq!(r.code, FindingCode::DataLossNoBackup);
        assert_eq!(r.consequence, Consequence::DataLossNoBackup);
        assert_eq!(r.urgency, Urgency::Anytime);
        let lines: Vec<&str> = r.reasons.iter().map(|l| &**l).collect();
        assert_eq!(
            lines[1..],
            [
                "the bug can lose or corrupt data on arr (data-loss)",
                "no backup or replica of arr is recorded",
                "the bug degrades performance (latency or throughput)",
                "reaches 1 service, 1,000 users, 1 tenant",
                "vendor's own rating: \"low\" (an input, not the answer)",
            ]
        );
        assert_eq!(lines[0], &*f[0].evidence, "the match evidence comes first");
        // 80 + 9 (1,000 users) + 3 (high) + 2 (anytime).
        assert_eq!(r.score, 94);
        assert_eq!(r.severity, Severity::Critical);
    }

    #[test]
    fn an_undecided_match_ends_with_the_unknown_line() {
        let e = Estate::new().system("arr", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3");
        let mut a = advisory_for("FWN-9", "Dell", "Unity", "vers:intdot/<5.0.6")
            .effects(&[Effect::Performance]);
        a.affected[0].versions = crate::model::VersionSpec::Unparsed("before 5.0.6".into());
        let f = run(&e, &[a]);
        assert_eq!(f[0].state, MatchState::Unknown);
        assert_eq!(
            f[0].rating.reasons.last().map(|l| &**l),
            Some(UNKNOWN_REASON)
        );
        // 20 + 2, scaled to 70 %.
        assert_eq!(f[0].rating.score, 15);
    }
}
