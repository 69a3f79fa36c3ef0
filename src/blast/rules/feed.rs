//! Shared failure domains (SoftEther 2021): a bug in what *feeds* a domain — a PDU, a UPS, a
//! power supply, a breaker panel, a top-of-rack or SAN switch, a shelf's IOM — takes down what is
//! in that domain.
//!
//! An advisory with the effect `power-loss` or `path-loss` on a part named in a domain's `fed_by`
//! loses that domain. Each system with a member in it (itself or one of its parts) is then:
//!
//! - **down** when every domain *of the same kind* it is in is lost: a domain is lost when any
//!   part that feeds it runs the same buggy firmware, anywhere in the estate (two PDUs on one
//!   firmware are one failure, common mode). A system whose only feed is the affected part is
//!   named a single point of failure;
//! - **running on a second feed** otherwise, named with that feed: it is not counted as down.
//!
//! The finding reaches what depends on the systems that are down (their services, users and
//! tenants), not the feeding part's own system. When any of them is down the consequence is a
//! service outage (`domain-down`); when every one keeps a second feed it is redundancy lost. A
//! service that carries notifications (`notification_channel`) among those down is named: the
//! owners may not be told. A part that feeds no recorded domain cannot be followed: the reading
//! says so, and stays an outage of its own system until `fed_by` is recorded.

use rustc_hash::FxHashSet as HashSet;

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::reach::and_list;
use crate::blast::topology::{Context, Exp, LostDomains, Pos};
use crate::inventory::FailureDomain;
use crate::matcher::Exposure;
use crate::model::Effect;

/// The reading of a `power-loss` or `path-loss` effect on the finding's parts.
pub(super) fn feed_loss(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    exps: &[Exp<'_>],
    effect: Effect,
    base: Urgency,
) -> Reading {
    let what = match effect {
        Effect::PathLoss => "its paths",
        _ => "its power",
    };
    // The domains this finding's parts feed, and every domain the bug reaches a feeder of.
    let no_loss = LostDomains::default();
    let lost = ctx.lost_domains.get(&(adv_idx as u32)).unwrap_or(&no_loss);
    let mine: Vec<&FailureDomain> = lost
        .by_feeder_system
        .get(&sys_idx)
        .into_iter()
        .flatten()
        .map(|&d| &ctx.topo.fed[d as usize])
        .filter(|(_, feeders)| {
            feeders
                .iter()
                .any(|&pos| pos.0 == sys_idx && fed_by_exposed(ctx, adv_idx, pos, exps))
        })
        .map(|(d, _)| *d)
        .collect();
    if mine.is_empty() {
        let parts: Vec<String> = exps.iter().map(|e| e.subject.to_string()).collect();
        return Reading::new(
            FindingCode::ServiceOutage,
            Consequence::ServiceOutage,
            base,
            format!(
                "{} can drop {what} ({effect}), but no failure domain names it in `fed_by`: what \
                 it feeds is unknown — record it to see the blast",
                parts.join(", ")
            ),
        );
    }
    let feeders = exps
        .iter()
        .map(|e| e.subject.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let fed = mine
        .iter()
        .map(|d| d.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut reasons = Vec::new();
    let mut down: Vec<u32> = Vec::new();
    let mut alone: Vec<&str> = Vec::new();
    let mut common: Vec<String> = Vec::new();
    let mut second: Vec<String> = Vec::new();
    let mut seen: HashSet<u32> = HashSet::default();
    for d in &mine {
        for m in &d.members {
            let Ok(s) = ctx.topo.systems.binary_search_by(|s| s.id.cmp(&m.system)) else {
                continue;
            };
            let s = s as u32;
            if !seen.insert(s) {
                continue;
            }
            let sys = ctx.topo.systems[s as usize];
            let supplies: Vec<&FailureDomain> = ctx.topo.domains[s as usize]
                .iter()
                .copied()
                .filter(|x| x.kind == d.kind)
                .collect();
            match supplies.iter().find(|x| !lost.ids.contains(x.id.as_str())) {
                Some(spare) => second.push(format!("{} (on {})", sys.id, spare.id)),
                None => {
                    down.push(s);
                    if supplies.len() <= 1 {
                        alone.push(sys.id.as_str());
                    } else {
                        common.push(format!(
                            "{} ({})",
                            sys.id,
                            supplies
                                .iter()
                                .map(|x| x.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
        }
    }
    // The first line says it all (the table shows it): what drops, and what goes down with it.
    // Positions follow the systems' id order, so sorted positions name them sorted.
    down.sort_unstable();
    let names: Vec<&str> = down
        .iter()
        .map(|&s| ctx.topo.systems[s as usize].id.as_str())
        .collect();
    reasons.insert(
        0,
        if names.is_empty() {
            format!(
                "{feeders} feeds {fed} and can drop {what} ({effect}): every system there keeps \
                 a second feed"
            )
        } else {
            format!(
                "{feeders} feeds {fed} and can drop {what} ({effect}): {} {} down with it",
                and_list(&names),
                if names.len() == 1 { "goes" } else { "go" }
            )
        },
    );
    if !alone.is_empty() {
        alone.sort_unstable();
        reasons.push(format!(
            "{} {} no other {} feed: a single point of failure — {} down",
            and_list(&alone),
            if alone.len() == 1 { "has" } else { "have" },
            mine[0].kind.as_str(),
            if alone.len() == 1 {
                "it goes"
            } else {
                "they go"
            },
        ));
    }
    if !common.is_empty() {
        reasons.push(format!(
            "every feed of {} is fed by parts on this firmware (common mode): down too",
            common.join(", ")
        ));
    }
    if !second.is_empty() {
        reasons.push(format!(
            "keeps running on a second feed, not counted as down: {}",
            second.join(", ")
        ));
    }
    if let Some(line) = channels_down(ctx, &down) {
        reasons.push(line);
    }
    let mut r = if down.is_empty() {
        Reading::with_reasons(
            FindingCode::RedundancyLost,
            Consequence::RedundancyLost,
            base,
            reasons,
        )
    } else {
        Reading::with_reasons(
            FindingCode::DomainDown,
            Consequence::ServiceOutage,
            base,
            reasons,
        )
    };
    r.across = Some(down);
    r
}

/// Does the bug reach the feeder at `pos`? A system feeder is reached through its own firmware or
/// any of its parts; a part through itself (or, for a controller, its system's OS). `run` is the
/// finding's exposures when `pos` is on its system, else empty (all exposures are searched).
fn fed_by_exposed(ctx: &Context<'_>, adv_idx: usize, pos: Pos, run: &[Exp<'_>]) -> bool {
    if pos.1 == Exposure::SYSTEM {
        return ctx.system_exposed(adv_idx, pos.0);
    }
    ctx.member_exposed(adv_idx, pos, run)
}

/// The line naming the notification channels among the services of `down`, if any, with the
/// systems they depend on that go down.
fn channels_down(ctx: &Context<'_>, down: &[u32]) -> Option<String> {
    let mut channels: Vec<(&str, Vec<&str>)> = Vec::new();
    for &s in down {
        let sys = ctx.topo.systems[s as usize];
        for svc in ctx.topo.services[s as usize]
            .iter()
            .filter(|svc| svc.notification_channel)
        {
            match channels.iter_mut().find(|(id, _)| *id == svc.id.as_str()) {
                Some((_, on)) => on.push(sys.id.as_str()),
                None => channels.push((svc.id.as_str(), vec![sys.id.as_str()])),
            }
        }
    }
    if channels.is_empty() {
        return None;
    }
    let list: Vec<String> = channels
        .into_iter()
        .map(|(id, mut on)| {
            on.sort_unstable();
            format!("{id} (on {})", and_list(&on))
        })
        .collect();
    Some(format!(
        "owners may not be told: the notification channel {} goes down with it — call them",
        list.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use crate::blast::rating::{Consequence, FindingCode, Severity};
    use crate::blast::Finding;
    use crate::inventory::{Criticality, DomainKind};
    use crate::model::{Advisory, ComponentKind, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    /// The SoftEther office: a VPN server whose one power supply sits on breaker-2 with the
    /// office router, the mail server and the L3 switch.
    fn office() -> Estate {
        Estate::new()
            .system("vpn", "Supermicro", "SYS-1029P", Scheme::Intdot, "3.4")
            .component(
                "vpn",
                "psu",
                ComponentKind::Psu,
                "Delta",
                "PWS-1K",
                Scheme::Intdot,
                "1.2",
                1,
            )
            .system("router", "Yamaha", "RTX1210", Scheme::Intdot, "14.01")
            .system("mail", "Supermicro", "SYS-5019C", Scheme::Intdot, "3.4")
            .system("l3sw", "Cisco", "C9300", Scheme::Intdot, "17.9")
            .fed_domain(
                "breaker-2",
                DomainKind::Breaker,
                &["vpn", "router", "mail", "l3sw"],
                &["vpn/psu"],
            )
            .service(
                "vpn-service",
                120_000,
                &["customers"],
                Criticality::Critical,
                &["vpn", "router"],
            )
            .service("office-mail", 40, &[], Criticality::High, &["mail"])
            .notification_channel("office-mail")
    }

    fn psu_trips_breaker() -> Advisory {
        advisory_for("FWN-PSU", "Delta", "PWS-1K", "vers:intdot/<1.3")
            .on(ComponentKind::Psu)
            .effects(&[Effect::PowerLoss])
    }

    fn lines(f: &Finding) -> Vec<&str> {
        f.rating.reasons.iter().map(|l| &**l).collect()
    }

    #[test]
    fn a_power_supply_on_a_shared_breaker_takes_down_everything_on_it() {
        let f = run(&office(), &[psu_trips_breaker()]);
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.system.as_str(), "vpn");
        assert_eq!(f.rating.code, FindingCode::DomainDown);
        assert_eq!(f.rating.consequence, Consequence::ServiceOutage);
        let l = lines(f);
        assert_eq!(
            l[1..5],
            [
                "vpn/psu feeds breaker-2 and can drop its power (power-loss): l3sw, mail, router \
                 and vpn go down with it",
                "l3sw, mail, router and vpn have no other breaker feed: a single point of failure \
                 — they go down",
                "owners may not be told: the notification channel office-mail (on mail) goes down \
                 with it — call them",
                "reaches 2 services, 120,040 users, 1 tenant",
            ],
            "{l:?}"
        );
        let services: Vec<&str> = f.rating.reach.services.iter().map(|s| s.as_str()).collect();
        assert_eq!(services, ["office-mail", "vpn-service"]);
        assert_eq!(f.rating.severity, Severity::Critical);
    }

    #[test]
    fn a_system_with_a_second_independent_feed_is_not_counted_as_down() {
        // The mail server gets a second breaker fed by a healthy supply elsewhere.
        let e = office()
            .system("ups", "APC", "SRT5K", Scheme::Intdot, "15.0")
            .fed_domain("breaker-3", DomainKind::Breaker, &["mail"], &["ups"]);
        let f = &run(&e, &[psu_trips_breaker()])[0];
        let l = lines(f);
        assert!(
            l.contains(&"keeps running on a second feed, not counted as down: mail (on breaker-3)"),
            "{l:?}"
        );
        assert!(l.contains(&"l3sw, router and vpn have no other breaker feed: a single point of failure — they go down"), "{l:?}");
        assert!(!l.iter().any(|x| x.contains("may not be told")), "{l:?}");
        let services: Vec<&str> = f.rating.reach.services.iter().map(|s| s.as_str()).collect();
        assert_eq!(services, ["vpn-service"]);
        assert_eq!(f.rating.reach.users, 120_000);
    }

    #[test]
    fn two_feeds_on_the_same_buggy_firmware_are_one_failure() {
        // An array on feeds A and B, each from a PDU on the same firmware: common mode.
        let pdu_bug = advisory_for("FWN-PDU", "APC", "AP8959", "vers:intdot/<7.1")
            .effects(&[Effect::PowerLoss]);
        let e = Estate::new()
            .system("pdu-a", "APC", "AP8959", Scheme::Intdot, "7.0")
            .system("pdu-b", "APC", "AP8959", Scheme::Intdot, "7.0")
            .system("arr", "Dell EMC", "Unity 480F", Scheme::Intdot, "5.1.0")
            .fed_domain("feed-a", DomainKind::PowerFeed, &["arr"], &["pdu-a"])
            .fed_domain("feed-b", DomainKind::PowerFeed, &["arr"], &["pdu-b"])
            .service("vms", 500, &[], Criticality::High, &["arr"]);
        let f = run(&e, std::slice::from_ref(&pdu_bug));
        assert_eq!(f.len(), 2, "one finding per PDU");
        assert!(f.iter().all(|f| f.rating.code == FindingCode::DomainDown));
        assert!(lines(&f[0]).contains(
            &"every feed of arr (feed-a, feed-b) is fed by parts on this firmware (common mode): down too"
        ));
        // pdu-b updated: arr keeps feed-b, redundancy lost only.
        let mut e = e;
        e.sys("pdu-b").firmware = fw(Scheme::Intdot, "7.1");
        let f = run(&e, &[pdu_bug]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rating.code, FindingCode::RedundancyLost);
        assert_eq!(f[0].rating.consequence, Consequence::RedundancyLost);
        assert!(f[0].rating.reach.services.is_empty(), "nothing is down");
        assert!(lines(&f[0])
            .contains(&"keeps running on a second feed, not counted as down: arr (on feed-b)"));
    }

    #[test]
    fn a_feeder_of_no_recorded_domain_says_what_to_record() {
        let e = Estate::new().system("pdu-a", "APC", "AP8959", Scheme::Intdot, "7.0");
        let bug = advisory_for("FWN-PDU", "APC", "AP8959", "vers:intdot/<7.1")
            .effects(&[Effect::PowerLoss]);
        let f = &run(&e, &[bug])[0];
        assert_eq!(f.rating.code, FindingCode::ServiceOutage);
        assert!(
            lines(f)[1].contains("no failure domain names it in `fed_by`"),
            "{:?}",
            lines(f)
        );
    }
}
