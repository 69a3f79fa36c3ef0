//! CVE JSON 5.x records → one [`Advisory`].
//!
//! Each CNA `affected[]` product yields statements, one per `versions[]` entry (and per segment of
//! its `changes[]`): status `affected` → Affected, `unaffected` → NotAffected, `unknown` →
//! UnderInvestigation. A range entry is `version ≤ v < lessThan` (or `≤ lessThanOrEqual`); `"0"`
//! and `"*"` as `version` mean no lower bound, `"*"` as the upper bound means unbounded, and
//! `lessThanOrEqual: "5.15.*"` means the whole 5.15 series (`< 5.16`); any other wildcard bound
//! (`lessThan: "2.*"`, `log4j-core*`) or a bound that does not parse keeps the entry `Unparsed`
//! with its text. A single `version` that is free text ("Versions prior to 5.3.0.0.5.120",
//! ">= 1.7.0, < 1.18.4") goes through `version::parse_loose`. `versionType` is not trusted for
//! ordering: real records declare `semver` for `1.1.0-10053` (formats.md §8 quirk 7), so the
//! scheme is chosen per product like everywhere else; only `versionType: git` is honoured, as
//! "these are commit hashes" (kept `Unparsed`, excluded from the scheme choice). The `lessThan` of
//! an affected range and the `at` of a change to `unaffected` are recorded as `fixed_in` (the CVE
//! convention for "fixed in").
//!
//! `defaultStatus` is the answer for versions no entry covers, and is mapped so that the matcher's
//! rules give the CVE meaning: `affected` adds an Affected/All statement after the entries (an
//! unaffected entry that contains the version still wins), `unaffected` adds nothing (outside the
//! affected entries is then not affected), and absent/`unknown` adds an Affected statement with
//! `Unparsed` text — so a version outside every listed entry is **unknown**, never silently not
//! affected. `state: REJECTED` sets `withdrawn` (`dateRejected`, else `dateUpdated`, else
//! `datePublished`, else the Unix epoch). ADP containers: their `affected[]` is ignored (it is a
//! third party's guess and is demonstrably wrong in the corpus — CVE-2024-10443 maps BeePhotos to
//! `synology:photo_station`), their CVSS metrics are kept as candidates for `cvss`.

use serde::Deserialize;

use super::csaf::best_cvss;
use super::util::{
    choose_scheme, english, invalid, normalize_version, parse_date, parse_json, range_from_bounds,
    spec_from_text, title_from, LangText, UrlRef,
};
use super::{DocContext, FormatError};
use crate::model::{
    Advisory, AdvisoryId, AffectedProduct, Cvss, ProductStatus, Remediation, RemediationKind,
    Source, VersionSpec,
};
use crate::version::{Comparator, FwVersion, Scheme};

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawRecord {
    cve_metadata: RawMeta,
    containers: RawContainers,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMeta {
    cve_id: String,
    state: String,
    assigner_short_name: Option<String>,
    date_published: Option<String>,
    date_updated: Option<String>,
    date_rejected: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawContainers {
    cna: RawContainer,
    adp: Vec<RawContainer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawContainer {
    title: Option<String>,
    descriptions: Vec<LangText>,
    rejected_reasons: Vec<LangText>,
    affected: Vec<RawProduct>,
    metrics: Vec<RawMetric>,
    references: Vec<UrlRef>,
    solutions: Vec<LangText>,
    workarounds: Vec<LangText>,
    problem_types: Vec<RawProblemType>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawProblemType {
    descriptions: Vec<RawProblem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawProblem {
    cwe_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawProduct {
    vendor: Option<String>,
    product: Option<String>,
    package_name: Option<String>,
    cpes: Vec<String>,
    default_status: Option<String>,
    versions: Vec<RawVersion>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawVersion {
    version: String,
    status: String,
    version_type: Option<String>,
    less_than: Option<String>,
    less_than_or_equal: Option<String>,
    changes: Vec<RawChange>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawChange {
    at: String,
    status: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMetric {
    #[serde(rename = "cvssV4_0")]
    v40: Option<RawCvss>,
    #[serde(rename = "cvssV3_1")]
    v31: Option<RawCvss>,
    #[serde(rename = "cvssV3_0")]
    v30: Option<RawCvss>,
    #[serde(rename = "cvssV2_0")]
    v20: Option<RawCvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawCvss {
    version: Option<String>,
    vector_string: Option<String>,
    base_score: Option<f64>,
}

/// CVE 5 `status`: `affected`, `unaffected` or `unknown`; anything else is read as unknown too
/// (never as not affected).
fn status_of(s: &str) -> ProductStatus {
    match s.trim() {
        "affected" => ProductStatus::Affected,
        "unaffected" => ProductStatus::NotAffected,
        _ => ProductStatus::Unknown,
    }
}

/// `versionType: git` is the one declared type that is trusted: it says the strings are commits.
fn is_git(e: &RawVersion) -> bool {
    e.version_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("git"))
}

fn no_lower(v: &str) -> bool {
    matches!(v.trim(), "0" | "*" | "")
}

fn unknown_word(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "unspecified" | "n/a" | "unknown"
    )
}

/// `<= A.B.*` → the exclusive bound `A.(B+1)`; `None` for anything else.
fn series_upper(cmp: Comparator, upper: &str) -> Option<String> {
    if cmp != Comparator::Le {
        return None;
    }
    let prefix = upper.strip_suffix(".*")?;
    let mut parts: Vec<u64> = prefix
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let last = parts.last_mut()?;
    *last = last.checked_add(1)?;
    Some(
        parts
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// One entry of `versions[]` → (spec, status, fixed_in) segments.
fn entry_statements(
    e: &RawVersion,
    scheme: Scheme,
) -> Vec<(VersionSpec, ProductStatus, Vec<String>)> {
    let status = status_of(&e.status);
    if is_git(e) {
        // Commit hashes: deciding them needs the repository graph.
        let mut text = format!("git commit {}", e.version.trim());
        if let Some(u) = e.less_than.as_ref().or(e.less_than_or_equal.as_ref()) {
            text.push_str(&format!(" up to {}", u.trim()));
        }
        return vec![(VersionSpec::Unparsed(text), status, Vec::new())];
    }
    let upper = match (&e.less_than, &e.less_than_or_equal) {
        (Some(u), _) => Some((Comparator::Lt, u.trim())),
        (None, Some(u)) => Some((Comparator::Le, u.trim())),
        (None, None) => None,
    };
    let Some((upper_cmp, upper)) = upper else {
        // A single version (or free text in the version field).
        let v = e.version.trim();
        let spec = if v == "*" {
            VersionSpec::All
        } else if unknown_word(v) || v.is_empty() {
            VersionSpec::Unparsed(v.to_string())
        } else if FwVersion::parse(scheme, &normalize_version(scheme, v)).is_ok() {
            VersionSpec::Exact(normalize_version(scheme, v))
        } else {
            spec_from_text(v, scheme)
        };
        return vec![(spec, status, Vec::new())];
    };
    let text = format!(
        "version {} {} {}",
        e.version.trim(),
        if upper_cmp == Comparator::Lt {
            "lessThan"
        } else {
            "lessThanOrEqual"
        },
        upper
    );
    // `lessThanOrEqual: "5.15.*"` is the whole 5.15 series: `< 5.16`. Any other wildcard bound
    // (`lessThan: "2.*"`, `log4j-core*`) has no agreed reading and stays unparsed.
    let series_end = series_upper(upper_cmp, upper).unwrap_or_default();
    let (upper_cmp, upper) = if series_end.is_empty() {
        (upper_cmp, upper)
    } else {
        (Comparator::Lt, series_end.as_str())
    };
    if unknown_word(&e.version) || unknown_word(upper) || (upper != "*" && upper.contains('*')) {
        return vec![(VersionSpec::Unparsed(text), status, Vec::new())];
    }
    let is_series = !series_end.is_empty();
    // Segment boundaries: lower, each change's `at`, upper.
    let mut out = Vec::new();
    let mut start: Option<&str> = (!no_lower(&e.version)).then(|| e.version.trim());
    let mut current = status;
    for c in &e.changes {
        let at = c.at.trim();
        out.push((start, Some((Comparator::Lt, at)), current));
        start = Some(at);
        current = status_of(&c.status);
    }
    out.push((start, (upper != "*").then_some((upper_cmp, upper)), current));
    out.into_iter()
        .map(|(lo, hi, st)| {
            let mut bounds = Vec::new();
            if let Some(lo) = lo {
                bounds.push((Comparator::Ge, lo));
            }
            if let Some(hi) = hi {
                bounds.push(hi);
            }
            let spec = if bounds.is_empty() {
                VersionSpec::All
            } else {
                match range_from_bounds(scheme, &bounds) {
                    Some(r) => VersionSpec::Range(r),
                    None => VersionSpec::Unparsed(text.clone()),
                }
            };
            let fixed_in = match hi {
                Some((Comparator::Lt, v)) if st == ProductStatus::Affected && !is_series => {
                    vec![v.to_string()]
                }
                _ => Vec::new(),
            };
            (spec, st, fixed_in)
        })
        .collect()
}

fn cvss_of(m: &RawMetric) -> Vec<Cvss> {
    [
        (&m.v40, "4.0"),
        (&m.v31, "3.1"),
        (&m.v30, "3.0"),
        (&m.v20, "2.0"),
    ]
    .into_iter()
    .filter_map(|(c, default)| {
        let c = c.as_ref()?;
        Some(Cvss {
            version: c.version.clone().unwrap_or_else(|| default.to_string()),
            vector: c.vector_string.clone()?,
            base_score: c.base_score?,
        })
    })
    .collect()
}

pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Advisory, FormatError> {
    let location = ctx.location;
    let raw: RawRecord = parse_json(bytes, location)?;
    let meta = &raw.cve_metadata;
    let id: AdvisoryId = meta.cve_id.parse().map_err(|e: crate::model::IdError| {
        invalid(location, "$.cveMetadata.cveId", e.to_string())
    })?;
    let cna = &raw.containers.cna;

    let mut affected = Vec::new();
    for p in &cna.affected {
        let product = p
            .product
            .as_deref()
            .or(p.package_name.as_deref())
            .unwrap_or("")
            .trim()
            .to_string();
        // A record that names no vendor ("n/a"): from its CPEs, its product's first words or
        // its CNA, when they name a vendor; else the text as written.
        let vendor = match (p.vendor.as_deref().map(str::trim), ctx.default_vendor) {
            (Some(v), _) if !v.is_empty() && !unknown_word(v) => v.to_string(),
            (_, Some(d)) => d.to_string(),
            (v, None) => {
                crate::vendor::resolve(&product, &p.cpes, meta.assigner_short_name.as_deref())
                    .or_else(|| v.map(str::to_string))
                    .or_else(|| meta.assigner_short_name.clone())
                    .unwrap_or_default()
            }
        };
        let mut strings: Vec<&str> = Vec::new();
        for e in p.versions.iter().filter(|e| !is_git(e)) {
            let candidates = [
                Some(e.version.as_str()),
                e.less_than.as_deref(),
                e.less_than_or_equal.as_deref(),
            ];
            for s in candidates.into_iter().flatten() {
                let s = s.trim();
                if no_lower(s) || unknown_word(s) || s.contains('*') {
                    continue;
                }
                if s.contains(char::is_whitespace) {
                    strings.extend(
                        s.split(|c: char| c.is_whitespace() || c == ',')
                            .map(|w| w.trim_start_matches(['<', '>', '=']))
                            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit())),
                    );
                } else {
                    strings.push(s);
                }
            }
            strings.extend(e.changes.iter().map(|c| c.at.as_str()));
        }
        let scheme = choose_scheme(ctx.default_scheme, &vendor, &product, &strings);
        let statement =
            |versions: VersionSpec, status: ProductStatus, fixed_in: Vec<String>| AffectedProduct {
                vendor: vendor.clone(),
                product: product.clone(),
                models: Vec::new(),
                component: None,
                scheme: Some(scheme),
                status,
                versions,
                fixed_in,
                identifiers: p.cpes.clone(),
                recommended: false,
            };
        for e in &p.versions {
            for (spec, status, fixed_in) in entry_statements(e, scheme) {
                affected.push(statement(spec, status, fixed_in));
            }
        }
        match p.default_status.as_deref().map(str::trim) {
            Some("affected") => affected.push(statement(
                VersionSpec::All,
                ProductStatus::Affected,
                Vec::new(),
            )),
            Some("unaffected") => {}
            _ => affected.push(statement(
                VersionSpec::Unparsed(
                    "versions not listed in the record (defaultStatus unknown)".to_string(),
                ),
                ProductStatus::Affected,
                Vec::new(),
            )),
        }
    }

    let descriptions = english(&cna.descriptions);
    let mut summary = descriptions.join("\n\n");
    let rejected = meta.state.trim().eq_ignore_ascii_case("REJECTED");
    if rejected && summary.is_empty() {
        summary = english(&cna.rejected_reasons).join("\n\n");
    }
    let title = match cna.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => title_from(&summary, id.as_str()),
    };
    let withdrawn = rejected.then(|| {
        [
            &meta.date_rejected,
            &meta.date_updated,
            &meta.date_published,
        ]
        .into_iter()
        .flatten()
        .find_map(|d| parse_date(d))
        .unwrap_or(chrono::DateTime::UNIX_EPOCH)
    });
    let mut remediations = Vec::new();
    for (texts, kind) in [
        (&cna.solutions, RemediationKind::VendorFix),
        (&cna.workarounds, RemediationKind::Workaround),
    ] {
        for details in english(texts) {
            remediations.push(Remediation {
                kind,
                version: None,
                details,
                url: None,
            });
        }
    }
    let cvss = best_cvss(
        cna.metrics
            .iter()
            .chain(raw.containers.adp.iter().flat_map(|a| &a.metrics))
            .flat_map(cvss_of),
    );
    let vendor = ctx
        .default_vendor
        .map(str::to_string)
        .or_else(|| {
            affected
                .iter()
                .map(|a| a.vendor.clone())
                .find(|v| !v.is_empty() && !unknown_word(v))
        })
        .or_else(|| meta.assigner_short_name.clone())
        .unwrap_or_else(|| "unknown".to_string());
    let mut references: Vec<String> = Vec::new();
    for r in &cna.references {
        let u = r.url.trim();
        if !u.is_empty() && !references.iter().any(|x| x == u) {
            references.push(u.to_string());
        }
    }
    Ok(Advisory {
        aliases: Vec::new(),
        summary,
        published: meta.date_published.as_deref().and_then(parse_date),
        modified: meta.date_updated.as_deref().and_then(parse_date),
        withdrawn,
        affected,
        remediations,
        references,
        effects: Vec::new(),
        triggers: Vec::new(),
        cvss,
        cwes: crate::model::cwe_ids(
            std::iter::once(cna)
                .chain(&raw.containers.adp)
                .flat_map(|c| &c.problem_types)
                .flat_map(|p| &p.descriptions)
                .filter_map(|d| d.cwe_id.as_deref()),
        ),
        ..Advisory::new(id, vendor, title, source)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: &str, lt: Option<&str>, changes: &[(&str, &str)]) -> RawVersion {
        RawVersion {
            version: version.into(),
            status: "affected".into(),
            less_than: lt.map(String::from),
            less_than_or_equal: None,
            version_type: None,
            changes: changes
                .iter()
                .map(|(at, status)| RawChange {
                    at: (*at).into(),
                    status: (*status).into(),
                })
                .collect(),
        }
    }

    fn spec_text(s: &VersionSpec) -> String {
        match s {
            VersionSpec::Range(r) => r.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn ranges_with_zero_star_and_changes() {
        let out = entry_statements(&entry("0", Some("5.26.300"), &[]), Scheme::Intdot);
        assert_eq!(spec_text(&out[0].0), "vers:intdot/<5.26.300");
        assert_eq!(out[0].2, ["5.26.300"]);

        let out = entry_statements(&entry("1.0", Some("*"), &[]), Scheme::Intdot);
        assert_eq!(spec_text(&out[0].0), "vers:intdot/>=1.0");

        let out = entry_statements(
            &entry("1.0", Some("2.0"), &[("1.5", "unaffected")]),
            Scheme::Intdot,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(spec_text(&out[0].0), "vers:intdot/>=1.0|<1.5");
        assert_eq!(out[0].1, ProductStatus::Affected);
        assert_eq!(out[0].2, ["1.5"]);
        assert_eq!(spec_text(&out[1].0), "vers:intdot/>=1.5|<2.0");
        assert_eq!(out[1].1, ProductStatus::NotAffected);

        let out = entry_statements(&entry("5.15", Some("5.15.*"), &[]), Scheme::Intdot);
        assert!(
            matches!(out[0].0, VersionSpec::Unparsed(_)),
            "lessThan 5.15.* has no reading"
        );
        let mut le = entry("5.15.177", None, &[]);
        le.less_than_or_equal = Some("5.15.*".into());
        let out = entry_statements(&le, Scheme::Intdot);
        assert_eq!(spec_text(&out[0].0), "vers:intdot/>=5.15.177|<5.16");
        assert!(out[0].2.is_empty(), "a series end is not a fixed version");
        assert_eq!(series_upper(Comparator::Le, "6.x"), None);
        let out = entry_statements(&entry("unspecified", Some("1.0"), &[]), Scheme::Intdot);
        assert!(matches!(out[0].0, VersionSpec::Unparsed(_)));
        let out = entry_statements(&entry("*", None, &[]), Scheme::Intdot);
        assert_eq!(out[0].0, VersionSpec::All);
    }
}
