//! OSV records (ossf/osv-schema 1.x) → one [`Advisory`].
//!
//! Vendor/product come from `package.ecosystem` (the part before the first `:`, so
//! `Red Hat:rhel_aus:8.6::appstream` → `Red Hat`) and `package.name`, unless the feed sets a default
//! vendor; an entry without a package (GIT-only records) is named after its repository (vendor
//! `git`, product = last path segment, the URL as identifier). Each `ranges[]` entry becomes one statement: `SEMVER`/`ECOSYSTEM` events turn into a
//! canonical range (`introduced` → `>=`, `fixed` → `<`, `last_affected` → `<=`, `limit` → `<`;
//! `introduced: "0"` is no lower bound), `fixed` versions go to `fixed_in`; `GIT` ranges (commit
//! hashes) stay `Unparsed` because deciding them needs the repository graph. A `versions[]` list is
//! one more statement (an exact list). The scheme is the feed's default, else `semver` for a SEMVER
//! range whose versions all are SemVer, else [`choose_scheme`] (intdot when every version is
//! dotted numbers — GHSA's SEMVER `introduced: "0.1"` is not SemVer — else opaque, which keeps the
//! range unparsed). Records without `affected` yield an advisory with no statements; `withdrawn`
//! is carried over. OSV severities are bare CVSS vectors without a score, so `cvss` stays empty
//! (`classify` reads the vector-less record from the text); `database_specific.severity` becomes
//! `vendor_severity`.

use serde::Deserialize;

use super::util::{
    choose_scheme, invalid, parse_date, parse_json, range_from_bounds, spec_from_list, title_from,
};
use super::{DocContext, FormatError};
use crate::model::{Advisory, AdvisoryId, AffectedProduct, ProductStatus, Source, VersionSpec};
use crate::version::{Comparator, FwVersion, Scheme};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawOsv {
    id: String,
    modified: String,
    published: Option<String>,
    withdrawn: Option<String>,
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    affected: Vec<RawAffected>,
    references: Vec<RawRef>,
    database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawAffected {
    package: Option<RawPackage>,
    ranges: Vec<RawRange>,
    versions: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPackage {
    ecosystem: String,
    name: String,
    purl: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    repo: Option<String>,
    events: Vec<RawEvent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRef {
    url: String,
}

fn describe(r: &RawRange) -> String {
    let events: Vec<String> = r
        .events
        .iter()
        .flat_map(|e| {
            [
                e.introduced.as_ref().map(|v| format!("introduced {v}")),
                e.fixed.as_ref().map(|v| format!("fixed {v}")),
                e.last_affected
                    .as_ref()
                    .map(|v| format!("last_affected {v}")),
                e.limit.as_ref().map(|v| format!("limit {v}")),
            ]
        })
        .flatten()
        .collect();
    match &r.repo {
        Some(repo) => format!("{} range in {repo}: {}", r.kind, events.join(", ")),
        None => format!("{} range: {}", r.kind, events.join(", ")),
    }
}

/// The bounds of a SEMVER/ECOSYSTEM range, in event order.
fn bounds(r: &RawRange) -> Vec<(Comparator, &str)> {
    let mut out = Vec::new();
    for e in &r.events {
        if let Some(v) = e.introduced.as_deref().filter(|v| *v != "0") {
            out.push((Comparator::Ge, v));
        }
        if let Some(v) = e.fixed.as_deref() {
            out.push((Comparator::Lt, v));
        }
        if let Some(v) = e.last_affected.as_deref() {
            out.push((Comparator::Le, v));
        }
        if let Some(v) = e.limit.as_deref().filter(|v| *v != "*") {
            out.push((Comparator::Lt, v));
        }
    }
    out
}

fn range_scheme(
    ctx: &DocContext<'_>,
    kind: &str,
    vendor: &str,
    product: &str,
    versions: &[&str],
) -> Scheme {
    if let Some(s) = ctx.default_scheme {
        return s;
    }
    if kind == "SEMVER"
        && !versions.is_empty()
        && versions
            .iter()
            .all(|v| FwVersion::parse(Scheme::Semver, v).is_ok())
    {
        return Scheme::Semver;
    }
    choose_scheme(None, vendor, product, versions)
}

pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Advisory, FormatError> {
    let location = ctx.location;
    let raw: RawOsv = parse_json(bytes, location)?;
    let id: AdvisoryId = raw
        .id
        .parse()
        .map_err(|e: crate::model::IdError| invalid(location, "$.id", e.to_string()))?;

    let mut affected = Vec::new();
    let mut first_ecosystem = None;
    for a in &raw.affected {
        // Without a package (GIT-only records) the repository names the product.
        let repo = a.ranges.iter().find_map(|r| r.repo.as_deref());
        let (ecosystem, product, identifiers) = match (&a.package, repo) {
            (Some(pkg), _) => (
                pkg.ecosystem
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                pkg.name.trim().to_string(),
                pkg.purl.iter().cloned().collect::<Vec<_>>(),
            ),
            (None, Some(repo)) => (
                "git".to_string(),
                repo.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(repo)
                    .to_string(),
                vec![repo.to_string()],
            ),
            (None, None) => continue,
        };
        if a.package.is_some() {
            first_ecosystem.get_or_insert_with(|| ecosystem.clone());
        }
        let vendor = ctx.default_vendor.map(str::to_string).unwrap_or(ecosystem);
        let statement =
            |scheme: Scheme, versions: VersionSpec, fixed_in: Vec<String>| AffectedProduct {
                vendor: vendor.clone(),
                product: product.clone(),
                models: Vec::new(),
                component: None,
                scheme: Some(scheme),
                status: ProductStatus::Affected,
                versions,
                fixed_in,
                identifiers: identifiers.clone(),
                recommended: false,
            };
        for r in &a.ranges {
            let fixed_in: Vec<String> = r.events.iter().filter_map(|e| e.fixed.clone()).collect();
            let b = bounds(r);
            let versions: Vec<&str> = b.iter().map(|(_, v)| *v).collect();
            let scheme = range_scheme(ctx, &r.kind, &vendor, &product, &versions);
            let spec = match r.kind.as_str() {
                "SEMVER" | "ECOSYSTEM" if b.is_empty() => VersionSpec::All,
                "SEMVER" | "ECOSYSTEM" => match range_from_bounds(scheme, &b) {
                    Some(range) => VersionSpec::Range(range),
                    None => VersionSpec::Unparsed(describe(r)),
                },
                _ => VersionSpec::Unparsed(describe(r)),
            };
            let st = statement(scheme, spec, fixed_in);
            // Alpine:v3.3, Alpine:v3.4 … give identical statements once the release is dropped.
            if !affected.contains(&st) {
                affected.push(st);
            }
        }
        if !a.versions.is_empty() {
            let refs: Vec<&str> = a.versions.iter().map(String::as_str).collect();
            let scheme = range_scheme(ctx, "ECOSYSTEM", &vendor, &product, &refs);
            affected.push(statement(
                scheme,
                spec_from_list(&a.versions, scheme),
                Vec::new(),
            ));
        }
    }

    let summary = [raw.summary.as_deref(), raw.details.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let title = match raw.summary.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => title_from(raw.details.as_deref().unwrap_or(""), id.as_str()),
    };
    // GitHub's and others' `database_specific.cwe_ids`.
    let cwes = crate::model::cwe_ids(
        raw.database_specific
            .as_ref()
            .and_then(|d| d.get("cwe_ids"))
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str()),
    );
    let vendor_severity = raw
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .map(str::to_string);
    let aliases = raw
        .aliases
        .iter()
        .filter_map(|a| a.parse::<AdvisoryId>().ok())
        .filter(|a| *a != id)
        .collect();
    Ok(Advisory {
        aliases,
        summary,
        published: raw.published.as_deref().and_then(parse_date),
        modified: parse_date(&raw.modified),
        withdrawn: raw.withdrawn.as_deref().and_then(parse_date),
        affected,
        remediations: Vec::new(),
        references: raw
            .references
            .into_iter()
            .map(|r| r.url)
            .filter(|u| !u.is_empty())
            .collect(),
        effects: Vec::new(),
        triggers: Vec::new(),
        vendor_severity,
        cwes,
        ..Advisory::new(
            id,
            ctx.default_vendor
                .map(str::to_string)
                .or(first_ecosystem)
                .unwrap_or_else(|| "unknown".to_string()),
            title,
            source,
        )
    })
}
