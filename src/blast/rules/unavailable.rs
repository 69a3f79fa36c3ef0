//! Data unavailable (Canon 2020): an outage of the exposed scope.
//!
//! The scope is the whole system, unless every exposed part is an enclosure: then only the
//! services placed on those enclosures stop, and the reading carries that scope so the reach is
//! limited to them.

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::reach::names;
use crate::blast::topology::Exp;
use crate::inventory::{ComponentRef, System};
use crate::model::ComponentKind;

pub(super) fn unavailable(system: &System, exps: &[Exp<'_>], base: Urgency) -> Reading {
    let enclosure_scope: Vec<ComponentRef> = exps
        .iter()
        .filter(|e| e.kind == ComponentKind::Enclosure)
        .map(|e| e.subject.to_ref())
        .collect();
    if !enclosure_scope.is_empty() && exps.iter().all(|e| e.kind == ComponentKind::Enclosure) {
        let mut r = Reading::new(
            FindingCode::DataUnavailable,
            Consequence::ServiceOutage,
            base,
            format!(
                "data on {} becomes unavailable: what is placed there stops",
                names(&enclosure_scope)
            ),
        );
        r.scope = Some(enclosure_scope);
        return r;
    }
    Reading::new(
        FindingCode::DataUnavailable,
        Consequence::ServiceOutage,
        base,
        format!(
            "data on {} becomes unavailable (LUNs offline / outage)",
            system.id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::*;
    use crate::model::{Advisory, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    fn fas() -> Estate {
        Estate::new()
            .system("fas", "NetApp", "FAS8300", Scheme::Ontap, "9.12.1P2")
            .netapp_shelf("fas", "shelf-1", "0230")
            .netapp_shelf("fas", "shelf-2", "0230")
    }

    fn shelf_bug(component: Option<ComponentKind>, product: &str, range: &str) -> Advisory {
        let mut a =
            advisory_for("FWN-4", "NetApp", product, range).effects(&[Effect::DataUnavailable]);
        a.affected[0].component = component;
        a
    }

    fn reading(e: &Estate, a: Advisory) -> Reading {
        on_run(e, &[a], "fas", |ctx, _, s, exps| {
            unavailable(ctx.topo.systems[s as usize], exps, Urgency::NeedsFault)
        })
    }

    #[test]
    fn an_enclosure_bug_stops_only_what_is_placed_on_the_enclosures() {
        let r = reading(
            &fas(),
            shelf_bug(
                Some(ComponentKind::Enclosure),
                "DS224C",
                "vers:intdot/<0240",
            ),
        );
        assert_eq!(r.code, FindingCode::DataUnavailable);
        assert_eq!(r.consequence, Consequence::ServiceOutage);
        assert_eq!(r.urgency, Urgency::NeedsFault);
        assert_eq!(
            r.reasons,
            ["data on shelf-1 and shelf-2 becomes unavailable: what is placed there stops"]
        );
        let scope: Vec<String> = r.scope.unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(scope, ["fas/shelf-1", "fas/shelf-2"]);
    }

    #[test]
    fn a_system_bug_takes_the_whole_system() {
        let r = reading(
            &fas(),
            shelf_bug(Some(ComponentKind::System), "ONTAP", "vers:ontap/<9.13"),
        );
        assert_eq!(r.code, FindingCode::DataUnavailable);
        assert!(r.scope.is_none(), "the whole system");
        assert_eq!(
            r.reasons,
            ["data on fas becomes unavailable (LUNs offline / outage)"]
        );
    }
}
