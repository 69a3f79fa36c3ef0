//! Remediations: what the document tells to do (vendor fix, workaround, mitigation, none), and
//! the fixed version a `vendor_fix` names in its text ("Update to V7.0.3 or later"), which
//! becomes `fixed_in` of the statements of the products it is for — when exactly one
//! version-like token is there; zero or several name no version.

use std::collections::{BTreeSet, HashMap};

use super::product_tree::Tree;
use super::raw::RawVuln;
use crate::model::{Remediation, RemediationKind};

/// The remediations of every vulnerability, and the versions vendor fixes name per product id.
pub(super) struct Fixes<'a> {
    /// De-duplicated, in document order.
    pub(super) remediations: Vec<Remediation>,
    /// Product id (directly or through a group) → versions named by its vendor fixes.
    pub(super) fix_for: HashMap<&'a str, Vec<String>>,
}

/// Read every vulnerability's remediations. A category firmwatch does not know is skipped.
pub(super) fn remediations<'a>(vulnerabilities: &'a [RawVuln<'a>], tree: &Tree<'a>) -> Fixes<'a> {
    let mut fix_for: HashMap<&str, Vec<String>> = HashMap::new();
    let mut remediations: Vec<Remediation> = Vec::new();
    for v in vulnerabilities {
        for r in &v.remediations {
            let Some(kind) = remediation_kind(&r.category) else {
                continue;
            };
            let version = (kind == RemediationKind::VendorFix)
                .then(|| version_in_text(&r.details))
                .flatten();
            if let Some(ver) = &version {
                let grouped = r
                    .group_ids
                    .iter()
                    .filter_map(|g| tree.groups.get(g.as_str()))
                    .flatten()
                    .copied();
                for pid in r.product_ids.iter().map(|id| id.as_str()).chain(grouped) {
                    let e = fix_for.entry(pid).or_default();
                    if !e.contains(ver) {
                        e.push(ver.clone());
                    }
                }
            }
            let rem = Remediation {
                kind,
                version,
                details: r.details.trim().to_string(),
                url: r.url.as_deref().map(str::to_string),
            };
            if !remediations.contains(&rem) {
                remediations.push(rem);
            }
        }
    }
    Fixes {
        remediations,
        fix_for,
    }
}

/// The single version named in remediation text ("Update to V7.0.3 or later version",
/// "Update P3 cameras to firmware version MX-V4.7.2.18 or later …"); `None` when zero or several.
pub(super) fn version_in_text(text: &str) -> Option<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    for raw in text.split_whitespace() {
        let t = raw.trim_matches(|c: char| ",;:()[]\"'".contains(c));
        let t = t.strip_suffix('.').unwrap_or(t);
        if t.contains("://") || t.contains('/') || t.to_ascii_uppercase().starts_with("CVE-") {
            continue;
        }
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        let dotted = t.contains('.') && t.split('.').filter(|p| !p.is_empty()).count() >= 2;
        let v_prefixed = t.len() > 1
            && t.starts_with(['V', 'v'])
            && t[1..].starts_with(|c: char| c.is_ascii_digit());
        let wildcard = t
            .split('.')
            .any(|seg| seg.eq_ignore_ascii_case("x") || seg == "*");
        if has_digit && (dotted || v_prefixed) && !wildcard {
            found.insert(t.to_string());
        }
    }
    if found.len() == 1 {
        found.into_iter().next()
    } else {
        None
    }
}

fn remediation_kind(category: &str) -> Option<RemediationKind> {
    Some(match category {
        "vendor_fix" | "optional_patch" => RemediationKind::VendorFix,
        "workaround" => RemediationKind::Workaround,
        "mitigation" => RemediationKind::Mitigation,
        "no_fix_planned" => RemediationKind::NoFixPlanned,
        // 2.1 `fix_planned`: nothing to install yet.
        "none_available" | "fix_planned" => RemediationKind::NoneAvailable,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remediation_versions() {
        assert_eq!(
            version_in_text("Update to V7.0.3 or later version").as_deref(),
            Some("V7.0.3")
        );
        assert_eq!(
            version_in_text(
                "Update P3 cameras to firmware version MX-V4.7.2.18 or later that includes a fix."
            )
            .as_deref(),
            Some("MX-V4.7.2.18")
        );
        assert_eq!(version_in_text("Update to V2.1 or V3.0.2"), None);
        assert_eq!(
            version_in_text("See https://example.com/a/1.2.3 for details"),
            None
        );
        assert_eq!(version_in_text("Restrict network access."), None);
        assert_eq!(version_in_text("Upgrade to V4.x"), None);
    }

    #[test]
    fn categories_map_to_kinds() {
        assert_eq!(
            remediation_kind("optional_patch"),
            Some(RemediationKind::VendorFix)
        );
        assert_eq!(
            remediation_kind("fix_planned"),
            Some(RemediationKind::NoneAvailable)
        );
        assert_eq!(remediation_kind("self_help"), None);
    }
}
