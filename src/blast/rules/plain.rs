//! Readings that follow from the advisory's effect alone, whatever the topology: slower service,
//! a management plane that misbehaves while data flows, and an advisory that does not say what
//! the bug does (rated as a possible loss of redundancy until someone annotates it, so it is
//! neither ignored nor inflated).

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};

pub(super) fn performance(base: Urgency) -> Reading {
    Reading::new(
        FindingCode::Performance,
        Consequence::Performance,
        base,
        "the bug degrades performance (latency or throughput)".to_string(),
    )
}

pub(super) fn management_plane(base: Urgency) -> Reading {
    Reading::new(
        FindingCode::ManagementPlane,
        Consequence::Informational,
        base,
        "management plane only: the data path is not affected".to_string(),
    )
}

pub(super) fn unclassified() -> Reading {
    Reading::new(
        FindingCode::Unclassified,
        Consequence::RedundancyLost,
        Urgency::NeedsCondition,
        "the advisory does not say what the bug does: rated as a possible loss of redundancy until annotated".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plain_reading_has_its_code_consequence_and_line() {
        let r = performance(Urgency::NeedsFault);
        assert_eq!(
            (r.code, r.consequence, r.urgency),
            (
                FindingCode::Performance,
                Consequence::Performance,
                Urgency::NeedsFault
            )
        );
        assert_eq!(
            r.reasons,
            ["the bug degrades performance (latency or throughput)"]
        );

        let r = management_plane(Urgency::Anytime);
        assert_eq!(
            (r.code, r.consequence, r.urgency),
            (
                FindingCode::ManagementPlane,
                Consequence::Informational,
                Urgency::Anytime
            )
        );
        assert!(r.reasons[0].contains("data path is not affected"));

        let r = unclassified();
        assert_eq!(
            (r.code, r.consequence, r.urgency),
            (
                FindingCode::Unclassified,
                Consequence::RedundancyLost,
                Urgency::NeedsCondition
            )
        );
        assert!(r.reasons[0].contains("until annotated"));
    }
}
