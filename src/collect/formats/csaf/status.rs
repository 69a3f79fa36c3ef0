//! Per-vulnerability product statuses: the ids each vulnerability names, checked (tests 6.1.1
//! and 6.1.6), and the statements of the one advisory the document becomes.
//!
//! CSAF states status per vulnerability; firmwatch keeps one advisory per document. So the
//! statements of every vulnerability are merged: known/first/last_affected → Affected,
//! known_not_affected → NotAffected, fixed/first_fixed/recommended → Fixed, under_investigation →
//! UnderInvestigation, unknown (2.1) → Unknown, de-duplicated by (product id, status); and a product id that is affected
//! by one vulnerability and fixed or not affected for another keeps only its most severe status,
//! so a per-vulnerability "fixed" never hides another vulnerability's "affected".

use std::collections::{HashMap, HashSet};

use super::product_tree::{rule_611, Tree};
use super::raw::{RawStatus, RawVuln};
use crate::collect::formats::util::Text;
use crate::collect::formats::FormatError;
use crate::model::ProductStatus;

/// A vulnerability's product ids by status group, as test 6.1.6 groups them (2.1 adds unknown).
fn status_groups<'a>(s: &'a RawStatus<'_>) -> [(&'static str, Vec<&'a str>); 5] {
    [
        (
            "affected",
            s.first_affected
                .iter()
                .chain(&s.known_affected)
                .chain(&s.last_affected)
                .map(Text::as_str)
                .collect(),
        ),
        (
            "not affected",
            s.known_not_affected.iter().map(Text::as_str).collect(),
        ),
        (
            "fixed",
            s.first_fixed
                .iter()
                .chain(&s.fixed)
                .map(Text::as_str)
                .collect(),
        ),
        (
            "under investigation",
            s.under_investigation.iter().map(Text::as_str).collect(),
        ),
        ("unknown", s.unknown.iter().map(Text::as_str).collect()),
    ]
}

/// Test 6.1.1 for every product id a vulnerability references, and 6.1.6: the four status groups
/// of a vulnerability are disjoint.
pub(super) fn check_vulnerability(
    v: &RawVuln<'_>,
    i: usize,
    location: &str,
    tree: &Tree<'_>,
) -> Result<(), FormatError> {
    let path = format!("$.vulnerabilities[{i}]");
    let known = |id: &str, what: &str| -> Result<(), FormatError> {
        if tree.products.contains_key(id) {
            Ok(())
        } else {
            Err(rule_611(location, id, &format!("{path}.{what}")))
        }
    };
    let s = &v.product_status;
    for (_, ids) in status_groups(s) {
        for id in ids {
            known(id, "product_status")?;
        }
    }
    for id in &s.recommended {
        known(id, "product_status.recommended")?;
    }
    for r in &v.remediations {
        for id in &r.product_ids {
            known(id, "remediations")?;
        }
    }
    for sc in &v.scores {
        for id in &sc.products {
            known(id, "scores")?;
        }
    }
    for m in &v.metrics {
        for id in &m.products {
            known(id, "metrics")?;
        }
    }
    for t in v.threats.iter().chain(&v.flags) {
        for id in &t.product_ids {
            known(id, "threats/flags")?;
        }
    }
    // 6.1.6: the four status groups are disjoint per vulnerability.
    let mut seen: HashMap<&str, &'static str> = HashMap::new();
    for (group, ids) in status_groups(s) {
        for id in ids {
            if let Some(other) = seen.get(id).filter(|other| **other != group) {
                return Err(FormatError::CsafRule {
                    location: location.to_string(),
                    rule: "6.1.6",
                    message: format!(
                        "product `{id}` is both {other} and {group} in {path}.product_status"
                    ),
                });
            }
            seen.insert(id, group);
        }
    }
    Ok(())
}

/// The statements of the advisory, before they are tied to products.
pub(super) struct Statements<'a> {
    /// (product id, status), in document order, the most severe status per id only.
    pub(super) list: Vec<(&'a str, ProductStatus)>,
    /// Product ids whose version is recommended: a fixed version for the same product's
    /// affected statements.
    pub(super) recommended: Vec<&'a str>,
}

/// Merge the statuses of every vulnerability into the advisory's statements.
pub(super) fn statements<'a>(vulnerabilities: &'a [RawVuln<'a>]) -> Statements<'a> {
    // De-duplicated by (product id, status) across vulnerabilities.
    let mut seen: HashSet<(&str, ProductStatus)> = HashSet::new();
    let mut statements: Vec<(&str, ProductStatus)> = Vec::new();
    let mut recommended: Vec<&str> = Vec::new();
    for v in vulnerabilities {
        let s = &v.product_status;
        let lists: [(&Vec<Text<'_>>, ProductStatus); 9] = [
            (&s.known_affected, ProductStatus::Affected),
            (&s.first_affected, ProductStatus::Affected),
            (&s.last_affected, ProductStatus::Affected),
            (&s.known_not_affected, ProductStatus::NotAffected),
            (&s.fixed, ProductStatus::Fixed),
            (&s.first_fixed, ProductStatus::Fixed),
            (&s.recommended, ProductStatus::Fixed),
            (&s.under_investigation, ProductStatus::UnderInvestigation),
            (&s.unknown, ProductStatus::Unknown),
        ];
        for (ids, status) in lists {
            for id in ids {
                if seen.insert((id.as_str(), status)) {
                    statements.push((id.as_str(), status));
                }
            }
        }
        recommended.extend(s.recommended.iter().map(Text::as_str));
    }
    // Per product id only the most severe status survives (Affected > UnderInvestigation >
    // Fixed / NotAffected).
    let rank = |s: ProductStatus| match s {
        ProductStatus::Affected => 3,
        ProductStatus::UnderInvestigation | ProductStatus::Unknown => 2,
        ProductStatus::Fixed | ProductStatus::NotAffected => 1,
    };
    let mut worst: HashMap<&str, u8> = HashMap::new();
    for (pid, status) in &statements {
        let r = worst.entry(pid).or_insert(0);
        *r = (*r).max(rank(*status));
    }
    statements.retain(|(pid, status)| worst.get(pid).is_some_and(|r| *r == rank(*status)));
    Statements {
        list: statements,
        recommended,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vuln(status: RawStatus<'static>) -> RawVuln<'static> {
        RawVuln {
            product_status: status,
            ..RawVuln::default()
        }
    }

    fn ids(s: &[&'static str]) -> Vec<Text<'static>> {
        s.iter().map(|&s| Text::from(s)).collect()
    }

    #[test]
    fn the_most_severe_status_of_every_vulnerability_wins() {
        let vulns = [
            vuln(RawStatus {
                fixed: ids(&["a", "b"]),
                known_not_affected: ids(&["c"]),
                recommended: ids(&["r"]),
                ..RawStatus::default()
            }),
            vuln(RawStatus {
                known_affected: ids(&["a"]),
                under_investigation: ids(&["b"]),
                first_affected: ids(&["a"]),
                fixed: ids(&["c"]),
                ..RawStatus::default()
            }),
        ];
        // In document order: per vulnerability affected, not affected, fixed, recommended, under
        // investigation; a repeated (id, status) once.
        let s = statements(&vulns);
        assert_eq!(
            s.list,
            [
                ("c", ProductStatus::NotAffected),
                ("r", ProductStatus::Fixed),
                ("a", ProductStatus::Affected),
                // Not affected and fixed are equally mild: both stay.
                ("c", ProductStatus::Fixed),
                ("b", ProductStatus::UnderInvestigation),
            ]
        );
        assert_eq!(s.recommended, ["r"]);
    }
}
