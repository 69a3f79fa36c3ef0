//! CSAF 2.0 and 2.1 documents → one [`Advisory`].
//!
//! The published `csaf` crates deserialize into the full, strict schema; real provider data breaks
//! them (CISA's `vers:all/<V7.0.3`, product versions that are ranges, non-standard document
//! categories, 2.0 and 2.1 fields in one code path). So this module reads its own lenient serde
//! structs — every field optional or defaulted, unknown fields ignored, key order irrelevant — and
//! applies the CSAF rules that matter for matching itself:
//!
//! * **Product tree resolution.** Branches are walked (depth capped at
//!   [`MAX_BRANCH_DEPTH`](super::MAX_BRANCH_DEPTH)): `vendor` gives the vendor, `product_name`
//!   (else `product_family`) the product, `product_version` / `product_version_range` the versions; `service_pack` / `patch_level` under a
//!   version refine that version (Cisco `12.2SE` → `12.2(55)SE`), elsewhere they and `legacy`,
//!   `platform`, `architecture`, `language`, `specification`, `host_name` stay part of the product
//!   name. `model_numbers` and `skus` become `models`; `cpe`, `purl`, `purls` become `identifiers`.
//!   2.0 `relationships` and 2.1 `product_paths` define combined products ("firmware X installed on
//!   hardware Y"): the statement is about the firmware's product and version, and the hardware's
//!   model numbers (else its name) become `models`. Identical statements that differ only in models
//!   are merged, so Mobotix' 644 "firmware on camera" ids become a handful of statements.
//! * **Statuses.** known/first/last_affected → Affected, known_not_affected → NotAffected,
//!   fixed/first_fixed → Fixed, under_investigation → UnderInvestigation, recommended → Fixed, and the
//!   recommended version also lands in `fixed_in` of the same product's affected statements; a
//!   `vendor_fix` remediation adds the version named in its text ("Update to V7.0.3 or later") when
//!   exactly one version-like token is there.
//! * **Several vulnerabilities, one advisory.** A product id that is affected by one vulnerability
//!   and fixed / not affected for another keeps only its most severe status (Affected >
//!   UnderInvestigation > Fixed / NotAffected), so a per-vulnerability "fixed" never hides another
//!   vulnerability's "affected".
//! * **Versions.** Scheme per product via [`choose_scheme`](super::choose_scheme); ranges through
//!   [`spec_from_text`](super::spec_from_text); a
//!   `product_version` with an `x`/`*` wildcard segment stays `Unparsed`.
//!
//! **Validation.** Mandatory tests that make a document meaningless for matching reject it:
//! 6.1.1 (a referenced product id is not defined), 6.1.6 (one product in contradicting status
//! groups of a vulnerability), 6.1.31 (a range written as `product_version`, e.g. "prior to 4.2"),
//! and for CSAF 2.1 6.1.50 (a `product_version_range` that is neither vers nor vls). One tolerated
//! exception to 6.1.31: a `product_version` that is itself a `vers:` string (GE's `vers:all/*`, quirk
//! 4) is read as a range and reported as a warning, because the intent is unambiguous. The optional
//! 2.0 test 6.2.18 (range not in vers form) and the recommended 2.1 test 6.2.49 (upper-open range)
//! only **warn** (`tracing::warn!`, and [`validate`] returns them): nearly every real CISA document
//! uses vls, and an upper-open range is still a precise statement — rejecting either would drop real
//! advisories without making matching safer.
//!
//! **Stages.** [`parse`] reads top-down, one stage a module: the lenient structs ([`raw`]); the
//! product tree flattened into one product per id, with the tree's own tests ([`product_tree`]);
//! every vulnerability's references and status groups checked, then its statuses merged into the
//! advisory's statements ([`status`]); remediations and the fixed versions they name
//! ([`remediation`]); statements tied to products, versions read as ranges under each product's
//! scheme ([`affected`]); and here, the document header and the advisory assembled around them.

mod affected;
mod product_tree;
mod raw;
mod remediation;
mod status;

use affected::Naming;
use product_tree::Tree;
use raw::{RawCsaf, RawCvss, RawDocument, RawTracking, RawVuln};

use super::util::{invalid, parse_date, parse_json};
use super::{DocContext, FormatError};
use crate::model::{Advisory, AdvisoryId, Cvss, Source};

/// A CSAF test that failed only as a warning (optional / recommended tests, tolerated quirks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsafWarning {
    /// The CSAF test number (`6.2.18`, `6.2.49`, `6.1.31` for the tolerated `vers:` quirk).
    pub rule: &'static str,
    pub path: String,
    pub message: String,
}

/// Run the checks CSAF parsing runs and return the warnings; a rejection is the same `Err` that
/// [`parse_document`](super::parse_document) returns.
pub fn validate(bytes: &[u8], location: &str) -> Result<Vec<CsafWarning>, FormatError> {
    let raw: RawCsaf = parse_json(bytes, location)?;
    let tree = resolve(&raw, location)?;
    Ok(tree.warnings)
}

/// The product tree resolved and every mandatory test run: what both [`parse`] and [`validate`]
/// need. Warnings are logged here at info level (`-v`), once per document; a sync counts them per
/// feed and warns once per kind.
fn resolve<'a>(raw: &'a RawCsaf<'a>, location: &str) -> Result<Tree<'a>, FormatError> {
    let doc = raw
        .document
        .as_ref()
        .ok_or_else(|| invalid(location, "$.document", "missing `document`"))?;
    let is_21 = doc.csaf_version.trim() == "2.1";
    let tree = product_tree::resolve(&raw.product_tree, is_21, location)?;
    for (i, v) in raw.vulnerabilities.iter().enumerate() {
        status::check_vulnerability(v, i, location, &tree)?;
    }
    for w in &tree.warnings {
        tracing::info!(location, rule = w.rule, path = %w.path, "{}", w.message);
    }
    Ok(tree)
}

/// One CSAF document → its advisory, and the warnings of the tests that only warn.
pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<(Advisory, Vec<CsafWarning>), FormatError> {
    let location = ctx.location;
    let raw: RawCsaf = parse_json(bytes, location)?;
    let tree = resolve(&raw, location)?;
    let warnings = tree.warnings.clone();
    let header = Header::read(&raw, location)?;
    let publisher_vendor = header.publisher_vendor();
    let fallback_vendor = ctx
        .default_vendor
        .map(str::to_string)
        .or_else(|| publisher_vendor.clone())
        .unwrap_or_else(|| header.doc.publisher.name.to_string());
    let naming = Naming::new(&tree, fallback_vendor, ctx.default_scheme);
    let fixes = remediation::remediations(&raw.vulnerabilities, &tree);
    let statements = status::statements(&raw.vulnerabilities);
    let affected = affected::affected(&tree, &naming, &statements, &fixes.fix_for);

    // The advisory's vendor: a vendor publisher, else the feed default, else the first vendor
    // branch (CISA republishes other vendors' advisories), else the publisher.
    let first_branch_vendor = raw
        .product_tree
        .branches
        .iter()
        .find(|b| b.category == "vendor")
        .map(|b| b.name.trim().to_string());
    let vendor = publisher_vendor
        .or_else(|| ctx.default_vendor.map(str::to_string))
        .or(first_branch_vendor)
        .unwrap_or(naming.fallback_vendor);

    let (doc, tracking, vulns) = (header.doc, header.tracking, &raw.vulnerabilities);
    let advisory = Advisory {
        aliases: aliases(tracking, vulns, &header.id),
        summary: summary(doc, vulns),
        published: parse_date(&tracking.initial_release_date),
        modified: parse_date(&tracking.current_release_date),
        // CSAF 2.1: a withdrawn or superseded document still names its products; what they
        // match is listed as withdrawn by its source, never dropped.
        withdrawn: matches!(doc.category.as_str(), "csaf_withdrawn" | "csaf_superseded").then(
            || {
                parse_date(&tracking.current_release_date)
                    .or_else(|| parse_date(&tracking.initial_release_date))
                    .unwrap_or(chrono::DateTime::UNIX_EPOCH)
            },
        ),
        affected,
        remediations: fixes.remediations,
        references: references(doc, vulns),
        effects: Vec::new(),
        triggers: Vec::new(),
        cvss: best_cvss(scores(vulns)),
        cwes: crate::model::cwe_ids(
            vulns
                .iter()
                .flat_map(|v| v.cwe.iter().chain(&v.cwes))
                .map(|c| c.id.as_str()),
        ),
        vendor_severity: doc
            .aggregate_severity
            .as_ref()
            .map(|s| s.text.trim().to_string())
            .filter(|s| !s.is_empty()),
        tlp: doc
            .distribution
            .tlp
            .as_ref()
            .map(|t| t.label.trim().to_string())
            .filter(|s| !s.is_empty()),
        ..Advisory::new(header.id, vendor, doc.title.trim().to_string(), source)
    };
    Ok((advisory, warnings))
}

/// The document's header: its `document` member, its tracking and the advisory id.
struct Header<'a> {
    doc: &'a RawDocument<'a>,
    tracking: &'a RawTracking<'a>,
    id: AdvisoryId,
}

impl<'a> Header<'a> {
    fn read(raw: &'a RawCsaf<'a>, location: &str) -> Result<Header<'a>, FormatError> {
        let Some(doc) = raw.document.as_ref() else {
            return Err(invalid(location, "$.document", "missing `document`"));
        };
        let tracking = doc
            .tracking
            .as_ref()
            .ok_or_else(|| invalid(location, "$.document.tracking", "missing `tracking`"))?;
        let id: AdvisoryId = tracking.id.parse().map_err(|e: crate::model::IdError| {
            invalid(location, "$.document.tracking.id", e.to_string())
        })?;
        Ok(Header { doc, tracking, id })
    }

    /// The publisher, when it publishes as the vendor.
    fn publisher_vendor(&self) -> Option<String> {
        let p = &self.doc.publisher;
        (p.category == "vendor" && !p.name.is_empty()).then(|| p.name.to_string())
    }
}

/// The document's summary notes and every vulnerability's summary / description notes, each
/// once; the document's description notes only when there are none of those.
fn summary(doc: &RawDocument<'_>, vulnerabilities: &[RawVuln<'_>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let push_note = |parts: &mut Vec<String>, t: &str| {
        let t = t.trim();
        if !t.is_empty() && !parts.iter().any(|s| s == t) {
            parts.push(t.to_string());
        }
    };
    for n in doc.notes.iter().filter(|n| n.category == "summary") {
        push_note(&mut parts, &n.text);
    }
    for v in vulnerabilities {
        for n in v
            .notes
            .iter()
            .filter(|n| n.category == "summary" || n.category == "description")
        {
            push_note(&mut parts, &n.text);
        }
    }
    if parts.is_empty() {
        for n in doc.notes.iter().filter(|n| n.category == "description") {
            push_note(&mut parts, &n.text);
        }
    }
    parts.join("\n\n")
}

/// The tracking aliases and the vulnerabilities' CVE ids that are valid ids, each once, without
/// the advisory's own id.
fn aliases(
    tracking: &RawTracking<'_>,
    vulnerabilities: &[RawVuln<'_>],
    id: &AdvisoryId,
) -> Vec<AdvisoryId> {
    let mut aliases: Vec<AdvisoryId> = Vec::new();
    for a in tracking
        .aliases
        .iter()
        .chain(vulnerabilities.iter().filter_map(|v| v.cve.as_ref()))
    {
        if let Ok(a) = a.parse::<AdvisoryId>() {
            if a != *id && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
    }
    aliases
}

/// The document's and the vulnerabilities' reference URLs, each once.
fn references(doc: &RawDocument<'_>, vulnerabilities: &[RawVuln<'_>]) -> Vec<String> {
    let mut references: Vec<String> = Vec::new();
    for r in doc
        .references
        .iter()
        .chain(vulnerabilities.iter().flat_map(|v| &v.references))
    {
        let u = r.url.trim();
        if !u.is_empty() && !references.iter().any(|x| x == u) {
            references.push(u.to_string());
        }
    }
    references
}

/// Every CVSS score of every vulnerability: 2.0 `scores` and 2.1 `metrics`.
fn scores(vulnerabilities: &[RawVuln<'_>]) -> Vec<Cvss> {
    let mut scores: Vec<Cvss> = Vec::new();
    for v in vulnerabilities {
        for s in &v.scores {
            scores.extend(s.cvss_v3.as_ref().and_then(|c| cvss_from(c, "3.0")));
            scores.extend(s.cvss_v2.as_ref().and_then(|c| cvss_from(c, "2.0")));
        }
        for m in &v.metrics {
            scores.extend(m.content.cvss_v4.as_ref().and_then(|c| cvss_from(c, "4.0")));
            scores.extend(m.content.cvss_v3.as_ref().and_then(|c| cvss_from(c, "3.0")));
            scores.extend(m.content.cvss_v2.as_ref().and_then(|c| cvss_from(c, "2.0")));
        }
    }
    scores
}

fn cvss_from(raw: &RawCvss<'_>, default_version: &str) -> Option<Cvss> {
    let vector = raw.vector_string.as_deref()?.to_string();
    let version = raw
        .version
        .as_deref()
        .unwrap_or(default_version)
        .to_string();
    Some(Cvss {
        version,
        vector,
        base_score: raw.base_score?,
    })
}

/// Highest CVSS version wins; within a version the highest base score.
pub(crate) fn best_cvss(all: impl IntoIterator<Item = Cvss>) -> Option<Cvss> {
    let key = |c: &Cvss| {
        let v: f64 = c.version.parse().unwrap_or(0.0);
        (v, c.base_score)
    };
    all.into_iter()
        .fold(None, |best: Option<Cvss>, c| match &best {
            Some(b) if key(b) >= key(&c) => best,
            _ => Some(c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_cvss_prefers_newer_versions() {
        let c = |v: &str, s: f64| Cvss {
            version: v.into(),
            vector: format!("CVSS:{v}/AV:N"),
            base_score: s,
        };
        let best =
            best_cvss([c("3.0", 9.8), c("3.1", 5.0), c("3.1", 7.5), c("2.0", 10.0)]).unwrap();
        assert_eq!((best.version.as_str(), best.base_score), ("3.1", 7.5));
        assert!(best_cvss([]).is_none());
    }
}
