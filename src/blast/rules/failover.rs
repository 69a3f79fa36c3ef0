//! Failover-path bugs (Docomo 2020): a redundant pair whose takeover is broken is a single point
//! of failure.
//!
//! One hardware fault on either member is then an outage of everything behind the pair, so the
//! consequence is *service outage* and the urgency *needs a fault* (or the advisory's own,
//! stricter condition). The vendor's "rare case" label does not lower it: the fault is ordinary,
//! only the bug makes it an outage.

use super::groups_for;
use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::reach::names;
use crate::blast::topology::{Context, Exp};
use crate::inventory::GroupKind;

pub(super) fn failover(ctx: &Context<'_>, exps: &[Exp<'_>], base: Urgency) -> Reading {
    let urgency = if base == Urgency::Anytime {
        Urgency::NeedsFault
    } else {
        base
    };
    // Takeover between controllers (or paths) is what a failover-path bug breaks first; a replica
    // pair is the fallback only when no controller pair or multipath group is recorded.
    let rank = |k: &GroupKind| match k {
        GroupKind::ControllerPair => 0,
        GroupKind::Multipath => 1,
        GroupKind::ReplicaPair => 2,
        _ => 3,
    };
    let best = exps
        .iter()
        .flat_map(|e| groups_for(ctx, e).into_iter().map(move |g| (e, g)))
        .filter(|(_, g)| rank(&g.group.kind) < 3)
        .min_by_key(|(_, g)| rank(&g.group.kind));
    if let Some((e, g)) = best {
        let g = g.group;
        return Reading::new(
            FindingCode::FailoverSpof,
            Consequence::ServiceOutage,
            urgency,
            format!(
                "failover between {} ({}) is broken by this bug: one hardware fault on either member stops {} — the pair is a single point of failure",
                names(&g.members),
                g.id,
                e.subject.system
            ),
        );
    }
    Reading::new(
        FindingCode::RedundancyLost,
        Consequence::RedundancyLost,
        urgency,
        "failover is broken, but no controller pair or multipath group is recorded for the exposed parts".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::*;
    use crate::model::{ComponentKind, Effect, Trigger};
    use crate::testkit::*;
    use crate::version::Scheme;

    fn bug(triggers: &[Trigger]) -> crate::model::Advisory {
        advisory_for("FWN-1", "Dell", "Unity", "vers:intdot/<9")
            .on(ComponentKind::Controller)
            .effects(&[Effect::FailoverFailure])
            .triggers(triggers)
    }

    #[test]
    fn a_controller_pair_with_broken_failover_is_a_single_point_of_failure() {
        let r = on_run(&unity(), &[bug(&[])], "arr", |ctx, _, _, exps| {
            failover(ctx, exps, Urgency::Anytime)
        });
        assert_eq!(r.code, FindingCode::FailoverSpof);
        assert_eq!(r.consequence, Consequence::ServiceOutage);
        assert_eq!(r.urgency, Urgency::NeedsFault, "one hardware fault away");
        assert_eq!(
            r.reasons,
            ["failover between spa and spb (arr-sp) is broken by this bug: one hardware fault on \
              either member stops arr — the pair is a single point of failure"]
        );
    }

    #[test]
    fn a_stricter_condition_of_the_advisory_is_kept() {
        let r = on_run(
            &unity(),
            &[bug(&[Trigger::DegradedMode])],
            "arr",
            |ctx, _, _, exps| failover(ctx, exps, Urgency::NeedsCondition),
        );
        assert_eq!(r.code, FindingCode::FailoverSpof);
        assert_eq!(r.urgency, Urgency::NeedsCondition);
    }

    #[test]
    fn the_controller_pair_is_named_before_a_replica_pair() {
        let e = unity()
            .unity_pair("arr-dr", "Unity 480F", "5.1.2.0.5.007", 0.2)
            .group("arr-repl", GroupKind::ReplicaPair, &["arr", "arr-dr"], None);
        let r = on_run(&e, &[bug_on_system()], "arr", |ctx, _, _, exps| {
            failover(ctx, exps, Urgency::Anytime)
        });
        assert!(r.reasons[0].contains("(arr-sp)"), "{:?}", r.reasons);

        // Without a controller pair the replica pair is what fails over.
        let mut lone = e;
        lone.0.groups.retain(|id, _| id.as_str() == "arr-repl");
        let r = on_run(&lone, &[bug_on_system()], "arr", |ctx, _, _, exps| {
            failover(ctx, exps, Urgency::Anytime)
        });
        assert_eq!(r.code, FindingCode::FailoverSpof);
        assert!(
            r.reasons[0].starts_with("failover between arr and arr-dr (arr-repl)"),
            "{:?}",
            r.reasons
        );
    }

    fn bug_on_system() -> crate::model::Advisory {
        advisory_for("FWN-1", "Dell", "Unity", "vers:intdot/<9").effects(&[Effect::FailoverFailure])
    }

    #[test]
    fn no_recorded_pair_is_lost_redundancy_not_an_outage() {
        let e = Estate::new().system("box", "Dell EMC", "Unity 380", Scheme::Intdot, "5.1.0");
        let r = on_run(&e, &[bug_on_system()], "box", |ctx, _, _, exps| {
            failover(ctx, exps, Urgency::Anytime)
        });
        assert_eq!(r.code, FindingCode::RedundancyLost);
        assert_eq!(r.consequence, Consequence::RedundancyLost);
        assert_eq!(r.urgency, Urgency::NeedsFault);
        assert!(r.reasons[0].contains("no controller pair or multipath group is recorded"));
    }
}
