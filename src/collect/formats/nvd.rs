//! NVD CVE API 2.0 responses → one [`Advisory`] per `vulnerabilities[].cve`.
//!
//! The response counters (`resultsPerPage`, `totalResults`) are never used to size anything: the
//! array is what it is (the corpus holds a response claiming 1 result with 13 items). Every
//! vulnerable `cpeMatch` becomes an Affected statement: CPE vendor/product become vendor/product
//! (underscores → spaces), a concrete CPE version is an exact version, `*` plus
//! `versionStart/End{Including,Excluding}` a range (no bounds: every version), and
//! `versionEndExcluding` is recorded as `fixed_in`. The firmware-on-hardware pattern — a
//! configuration with `operator: AND` whose other node holds non-vulnerable `h:` (hardware) CPEs —
//! limits the statements of that configuration to those hardware models (`models` = the hardware
//! product names). Nodes or configurations with `negate: true` are not evaluated (NVD uses them
//! rarely and their meaning is "everything except"): their vulnerable matches become `Unparsed`
//! statements so the match is reported as unknown instead of dropped. `vulnStatus: Rejected` sets
//! `withdrawn` (at `lastModified`). NVD has no title: the description's first sentence is used.

use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::csaf::best_cvss;
use super::util::{
    choose_scheme, english, invalid, parse_date, parse_json, range_from_bounds, title_from,
    LangText, UrlRef,
};
use super::{DocContext, FormatError};
use crate::model::{
    Advisory, AdvisoryId, AffectedProduct, Cvss, ProductStatus, Source, VersionSpec,
};
use crate::version::{Comparator, FwVersion};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawResponse {
    vulnerabilities: Option<Vec<RawItem>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawItem {
    cve: Option<RawCve>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawCve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    descriptions: Vec<LangText>,
    metrics: RawMetrics,
    configurations: Vec<RawConfig>,
    references: Vec<UrlRef>,
    weaknesses: Vec<RawWeakness>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawWeakness {
    description: Vec<LangText>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMetrics {
    #[serde(rename = "cvssMetricV40")]
    v40: Vec<RawMetric>,
    #[serde(rename = "cvssMetricV31")]
    v31: Vec<RawMetric>,
    #[serde(rename = "cvssMetricV30")]
    v30: Vec<RawMetric>,
    #[serde(rename = "cvssMetricV2")]
    v2: Vec<RawMetric>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMetric {
    cvss_data: RawCvssData,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawCvssData {
    version: Option<String>,
    vector_string: Option<String>,
    base_score: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    operator: Option<String>,
    negate: bool,
    nodes: Vec<RawNode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawNode {
    negate: bool,
    #[serde(rename = "cpeMatch")]
    cpe_match: Vec<RawMatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMatch {
    vulnerable: bool,
    criteria: String,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
}

/// The fields of a CPE 2.3 formatted string (`cpe:2.3:part:vendor:product:version:update:…`),
/// honouring `\:` escapes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cpe {
    pub part: String,
    pub vendor: String,
    pub product: String,
    pub version: String,
    pub update: String,
}

pub(crate) fn parse_cpe(s: &str) -> Option<Cpe> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ':' => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    if fields.len() < 7 || fields[0] != "cpe" || fields[1] != "2.3" {
        return None;
    }
    Some(Cpe {
        part: fields[2].clone(),
        vendor: fields[3].clone(),
        product: fields[4].clone(),
        version: fields[5].clone(),
        update: fields[6].clone(),
    })
}

fn cpe_name(s: &str) -> String {
    s.replace('_', " ").trim().to_string()
}

fn statement(
    m: &RawMatch,
    cpe: &Cpe,
    models: &[String],
    negated: bool,
    ctx: &DocContext<'_>,
) -> AffectedProduct {
    let vendor = cpe_name(&cpe.vendor);
    let product = cpe_name(&cpe.product);
    let lower = [
        (Comparator::Ge, &m.version_start_including),
        (Comparator::Gt, &m.version_start_excluding),
    ];
    let upper = [
        (Comparator::Le, &m.version_end_including),
        (Comparator::Lt, &m.version_end_excluding),
    ];
    let bounds: Vec<(Comparator, &str)> = lower
        .iter()
        .chain(&upper)
        .filter_map(|(c, v)| v.as_deref().map(|v| (*c, v.trim())))
        .collect();
    let concrete = !matches!(cpe.version.as_str(), "*" | "-" | "");
    let mut version_strings: Vec<&str> = bounds.iter().map(|(_, v)| *v).collect();
    if concrete {
        version_strings.push(&cpe.version);
    }
    let scheme = choose_scheme(ctx.default_scheme, &vendor, &product, &version_strings);
    let describe = || {
        let mut t = m.criteria.clone();
        for (c, v) in &bounds {
            t.push_str(&format!(" {}{}", c.as_str(), v));
        }
        t
    };
    let versions = if negated {
        VersionSpec::Unparsed(format!("negated configuration: {}", describe()))
    } else if concrete {
        let v = if matches!(cpe.update.as_str(), "*" | "-" | "") {
            cpe.version.clone()
        } else {
            format!("{} {}", cpe.version, cpe.update)
        };
        if FwVersion::parse(scheme, &v).is_ok() {
            VersionSpec::Exact(v)
        } else {
            VersionSpec::Unparsed(describe())
        }
    } else if bounds.is_empty() {
        VersionSpec::All
    } else {
        match range_from_bounds(scheme, &bounds) {
            Some(r) => VersionSpec::Range(r),
            None => VersionSpec::Unparsed(describe()),
        }
    };
    AffectedProduct {
        vendor,
        product,
        models: models.to_vec(),
        component: None,
        scheme: Some(scheme),
        status: ProductStatus::Affected,
        versions,
        fixed_in: m.version_end_excluding.iter().cloned().collect(),
        identifiers: vec![m.criteria.clone()],
        recommended: false,
    }
}

fn convert(
    cve: &RawCve,
    ctx: &DocContext<'_>,
    source: &Source,
    path: &str,
) -> Result<Advisory, FormatError> {
    let id: AdvisoryId = cve.id.parse().map_err(|e: crate::model::IdError| {
        invalid(ctx.location, format!("{path}.id"), e.to_string())
    })?;
    let mut affected: Vec<AffectedProduct> = Vec::new();
    // A statement names its `cpeMatch` criteria (its one identifier), so equal statements have
    // equal criteria: a new one is compared only with the earlier ones of its criteria.
    let mut by_criteria: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for cfg in &cve.configurations {
        let and = cfg
            .operator
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case("AND"));
        // Hardware the vulnerable parts run on: non-vulnerable `h:` CPEs of an AND configuration.
        let models: Vec<String> = if and {
            cfg.nodes
                .iter()
                .filter(|n| !n.negate)
                .flat_map(|n| &n.cpe_match)
                .filter(|m| !m.vulnerable)
                .filter_map(|m| parse_cpe(&m.criteria))
                .filter(|c| c.part == "h")
                .map(|c| cpe_name(&c.product))
                .collect()
        } else {
            Vec::new()
        };
        for node in &cfg.nodes {
            for m in node.cpe_match.iter().filter(|m| m.vulnerable) {
                let Some(cpe) = parse_cpe(&m.criteria) else {
                    continue;
                };
                let st = statement(m, &cpe, &models, cfg.negate || node.negate, ctx);
                let same = by_criteria.entry(&m.criteria).or_default();
                if !same.iter().any(|&i| affected[i] == st) {
                    same.push(affected.len());
                    affected.push(st);
                }
            }
        }
    }
    let descriptions = english(&cve.descriptions);
    let summary = descriptions.join("\n\n");
    let m = &cve.metrics;
    let scores = [
        (&m.v40, "4.0"),
        (&m.v31, "3.1"),
        (&m.v30, "3.0"),
        (&m.v2, "2.0"),
    ]
    .into_iter()
    .flat_map(|(list, default)| {
        list.iter().filter_map(move |x| {
            Some(Cvss {
                version: x
                    .cvss_data
                    .version
                    .clone()
                    .unwrap_or_else(|| default.to_string()),
                vector: x.cvss_data.vector_string.clone()?,
                base_score: x.cvss_data.base_score?,
            })
        })
    });
    let withdrawn = cve
        .vuln_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("rejected"))
        .then(|| {
            cve.last_modified
                .as_deref()
                .or(cve.published.as_deref())
                .and_then(parse_date)
                .unwrap_or(chrono::DateTime::UNIX_EPOCH)
        });
    let vendor = ctx
        .default_vendor
        .map(str::to_string)
        .or_else(|| affected.first().map(|a| a.vendor.clone()))
        .unwrap_or_else(|| "unknown".to_string());
    Ok(Advisory {
        title: title_from(&summary, id.as_str()),
        id,
        aliases: Vec::new(),
        vendor,
        summary,
        published: cve.published.as_deref().and_then(parse_date),
        modified: cve.last_modified.as_deref().and_then(parse_date),
        withdrawn,
        affected,
        remediations: Vec::new(),
        references: cve
            .references
            .iter()
            .map(|r| r.url.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect(),
        effects: Vec::new(),
        triggers: Vec::new(),
        cvss: best_cvss(scores),
        cwes: crate::model::cwe_ids(
            cve.weaknesses
                .iter()
                .flat_map(|w| &w.description)
                .map(|d| d.value.as_str()),
        ),
        effect_notes: Vec::new(),
        vendor_severity: None,
        tlp: None,
        exploited: None,
        epss: None,
        requires: vec![],
        lifecycle: None,
        source: source.clone(),
    })
}

pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Vec<Advisory>, FormatError> {
    let raw: RawResponse = parse_json(bytes, ctx.location)?;
    let items = raw.vulnerabilities.ok_or_else(|| {
        invalid(
            ctx.location,
            "$.vulnerabilities",
            "not an NVD CVE API response (no `vulnerabilities`)",
        )
    })?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("$.vulnerabilities[{i}].cve");
        let cve = item
            .cve
            .as_ref()
            .ok_or_else(|| invalid(ctx.location, &path, "missing `cve`"))?;
        out.push(convert(cve, ctx, &source, &path)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_fields_with_escapes() {
        let c = parse_cpe("cpe:2.3:o:dell:idrac9\\:firmware:6.10.30.00:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.part, "o");
        assert_eq!(c.product, "idrac9:firmware");
        assert_eq!(c.version, "6.10.30.00");
        assert!(parse_cpe("cpe:/o:dell:idrac").is_none());
        assert!(parse_cpe("").is_none());
    }
}
