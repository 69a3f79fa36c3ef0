//! Security weaknesses, rated from the advisory's CVSS.
//!
//! A weakness whose availability impact is high and that is reachable from the network (or an
//! adjacent one) lets an attacker stop the system: a service outage that needs an attacker, not a
//! fault. Any other weakness is rated as a security consequence; either way it needs a condition
//! (someone exploiting it), which the inventory cannot confirm — unless a catalog of known
//! exploitation (CISA's KEV) names it: then it is triggering, and the reason says since when.
//! A weakness that FIRST's EPSS gives at least a 10 % chance of exploitation within 30 days
//! (`collect::formats::epss::KEEP_FROM`; lower scores are not kept) can fire at any time: the
//! condition is one attackers are likely to bring.

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::inventory::System;
use crate::model::Advisory;

pub(super) fn security(adv: &Advisory, system: &System) -> Reading {
    let mut reading = weakness(adv, system);
    // Known exploited: attackers use it now — no longer a condition to wait for.
    if let Some(e) = &adv.exploited {
        reading.urgency = Urgency::Triggering;
        reading.reasons.push(
            format!(
                "known exploited ({}{}{}): attackers use it now",
                e.source,
                e.added.map(|d| format!(", added {d}")).unwrap_or_default(),
                if e.ransomware {
                    ", used in ransomware campaigns"
                } else {
                    ""
                }
            )
            .into(),
        );
    }
    if let Some(e) = &adv.epss {
        if reading.urgency == Urgency::NeedsCondition {
            reading.urgency = Urgency::Anytime;
        }
        reading.reasons.push(
            format!(
                "likely to be exploited: EPSS {:.0} % chance within 30 days (percentile {:.1}{}); \
             attackers are likely to bring the condition",
                e.score * 100.0,
                e.percentile * 100.0,
                e.scored_on
                    .map(|d| format!(", scored {d}"))
                    .unwrap_or_default()
            )
            .into(),
        );
    }
    reading
}

fn weakness(adv: &Advisory, system: &System) -> Reading {
    let text = match &adv.cvss {
        Some(c) => format!(
            "security weakness, CVSS {} {} ({})",
            c.version, c.base_score, c.vector
        ),
        None => "security weakness (no CVSS given)".to_string(),
    };
    let network_dos = adv.cvss.as_ref().is_some_and(|c| {
        c.availability() == Some('H') && matches!(c.metric("AV"), Some('N') | Some('A'))
    });
    if network_dos {
        Reading::new(
            FindingCode::SecurityDos,
            Consequence::ServiceOutage,
            Urgency::NeedsCondition,
            format!(
                "{text}: an attacker who can reach it can stop {} (availability impact high)",
                system.id
            ),
        )
    } else {
        Reading::new(
            FindingCode::Security,
            Consequence::Security,
            Urgency::NeedsCondition,
            text,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cvss, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    fn weakness(vector: Option<&str>) -> (Estate, Advisory) {
        let e = Estate::new().system("bmc-host", "Dell", "PowerEdge R650", Scheme::Intdot, "6.10");
        let mut a = advisory_for("FWN-S", "Dell", "PowerEdge", "vers:intdot/<7")
            .any_part()
            .effects(&[Effect::Security]);
        a.cvss = vector.map(|v| Cvss {
            version: "3.1".into(),
            vector: v.into(),
            base_score: 7.5,
        });
        (e, a)
    }

    fn reading(vector: Option<&str>) -> Reading {
        let (e, a) = weakness(vector);
        security(&a, e.0.systems.values().next().unwrap())
    }

    #[test]
    fn a_network_reachable_availability_impact_is_an_attacker_triggered_outage() {
        for av in ["N", "A"] {
            let r = reading(Some(&format!(
                "CVSS:3.1/AV:{av}/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
            )));
            assert_eq!(r.code, FindingCode::SecurityDos, "AV:{av}");
            assert_eq!(r.consequence, Consequence::ServiceOutage);
            assert_eq!(r.urgency, Urgency::NeedsCondition);
            assert_eq!(
                r.reasons,
                [format!(
                    "security weakness, CVSS 3.1 7.5 (CVSS:3.1/AV:{av}/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H): \
                     an attacker who can reach it can stop bmc-host (availability impact high)"
                )]
            );
        }
    }

    #[test]
    fn a_local_or_confidentiality_weakness_is_a_security_finding() {
        for v in [
            "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        ] {
            let r = reading(Some(v));
            assert_eq!(r.code, FindingCode::Security, "{v}");
            assert_eq!(r.consequence, Consequence::Security);
            assert_eq!(
                r.reasons,
                [format!("security weakness, CVSS 3.1 7.5 ({v})")]
            );
        }
        let r = reading(None);
        assert_eq!(r.code, FindingCode::Security);
        assert_eq!(r.reasons, ["security weakness (no CVSS given)"]);
    }

    #[test]
    fn a_likely_exploited_weakness_can_fire_any_time_and_known_exploited_stays_triggering() {
        let (e, mut a) = weakness(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
        a.epss = Some(crate::model::Epss {
            score: 0.4321,
            percentile: 0.9712,
            scored_on: Some("2026-12-05".parse().unwrap()),
        });
        let sys = e.0.systems.values().next().unwrap();
        let r = security(&a, sys);
        assert_eq!(r.urgency, Urgency::Anytime);
        assert_eq!(
            r.reasons.last().unwrap(),
            "likely to be exploited: EPSS 43 % chance within 30 days (percentile 97.1, scored \
             2026-12-05); attackers are likely to bring the condition"
        );
        a.exploited = Some(crate::model::Exploited {
            source: "KEV".into(),
            added: None,
            ransomware: false,
        });
        let r = security(&a, sys);
        assert_eq!(r.urgency, Urgency::Triggering, "KEV outranks EPSS");
        assert_eq!(r.reasons.len(), 3, "{:?}", r.reasons);
    }
}
