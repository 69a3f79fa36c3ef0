//! CSAF 2.0 and 2.1 documents → one [`Advisory`].
//!
//! The published `csaf` crates deserialize into the full, strict schema; real provider data breaks
//! them (CISA's `vers:all/<V7.0.3`, product versions that are ranges, non-standard document
//! categories, 2.0 and 2.1 fields in one code path). So this module reads its own lenient serde
//! structs — every field optional or defaulted, unknown fields ignored, key order irrelevant — and
//! applies the CSAF rules that matter for matching itself:
//!
//! * **Product tree resolution.** Branches are walked (depth capped at [`MAX_BRANCH_DEPTH`]):
//!   `vendor` gives the vendor, `product_name` (else `product_family`) the product,
//!   `product_version` / `product_version_range` the versions; `service_pack` / `patch_level` under a
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
//! * **Versions.** Scheme per product via [`choose_scheme`]; ranges through [`spec_from_text`]; a
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

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Deserialize;

use super::util::{
    choose_scheme, invalid, normalize_version, parse_date, parse_json, spec_from_text,
    versions_in_text,
};
use super::{DocContext, FormatError, MAX_BRANCH_DEPTH};
use crate::model::{
    normalize_name, Advisory, AdvisoryId, AffectedProduct, Cvss, ProductStatus, Remediation,
    RemediationKind, Source, VersionSpec,
};
use crate::version::{Comparator, VersRange};

// ---------------------------------------------------------------------------------------------
// Raw, lenient document structs.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCsaf {
    document: Option<RawDocument>,
    product_tree: RawTree,
    vulnerabilities: Vec<RawVuln>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDocument {
    csaf_version: String,
    title: String,
    notes: Vec<RawNote>,
    references: Vec<RawRef>,
    aggregate_severity: Option<RawText>,
    publisher: RawPublisher,
    distribution: RawDistribution,
    tracking: Option<RawTracking>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawNote {
    category: String,
    text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRef {
    url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawText {
    text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPublisher {
    category: String,
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDistribution {
    tlp: Option<RawTlp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTlp {
    label: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTracking {
    id: String,
    initial_release_date: String,
    current_release_date: String,
    aliases: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTree {
    branches: Vec<RawBranch>,
    full_product_names: Vec<RawFpn>,
    product_groups: Vec<RawGroup>,
    relationships: Vec<RawRelationship>,
    product_paths: Vec<RawPath>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBranch {
    category: String,
    name: String,
    branches: Vec<RawBranch>,
    product: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFpn {
    name: String,
    product_id: String,
    product_identification_helper: Option<RawHelper>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawHelper {
    cpe: Option<String>,
    purl: Option<String>,
    purls: Vec<String>,
    model_numbers: Vec<String>,
    skus: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawGroup {
    group_id: String,
    product_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRelationship {
    product_reference: String,
    relates_to_product_reference: String,
    full_product_name: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPath {
    beginning_product_reference: String,
    subpaths: Vec<RawSubpath>,
    full_product_name: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSubpath {
    next_product_reference: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawVuln {
    cve: Option<String>,
    notes: Vec<RawNote>,
    product_status: RawStatus,
    remediations: Vec<RawRemediation>,
    scores: Vec<RawScore>,
    metrics: Vec<RawMetric>,
    references: Vec<RawRef>,
    threats: Vec<RawIds>,
    flags: Vec<RawIds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawStatus {
    first_affected: Vec<String>,
    known_affected: Vec<String>,
    last_affected: Vec<String>,
    known_not_affected: Vec<String>,
    first_fixed: Vec<String>,
    fixed: Vec<String>,
    recommended: Vec<String>,
    under_investigation: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRemediation {
    category: String,
    details: String,
    product_ids: Vec<String>,
    group_ids: Vec<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawIds {
    product_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawScore {
    products: Vec<String>,
    cvss_v2: Option<RawCvss>,
    cvss_v3: Option<RawCvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMetric {
    products: Vec<String>,
    content: RawMetricContent,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMetricContent {
    cvss_v2: Option<RawCvss>,
    cvss_v3: Option<RawCvss>,
    cvss_v4: Option<RawCvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawCvss {
    version: Option<String>,
    vector_string: Option<String>,
    base_score: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// Validation findings.

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

// ---------------------------------------------------------------------------------------------
// Product tree.

#[derive(Debug, Clone, PartialEq)]
enum Ver {
    None,
    Version(String),
    Range(String),
}

#[derive(Debug, Clone)]
struct Product {
    vendor: Option<String>,
    product: String,
    version: Ver,
    models: Vec<String>,
    identifiers: Vec<String>,
    /// Models (or names) of the hardware this product is installed on / a component of.
    on: Vec<String>,
}

struct Tree {
    products: HashMap<String, Product>,
    groups: HashMap<String, Vec<String>>,
    warnings: Vec<CsafWarning>,
}

const RANGE_WORDS: [&str; 7] = [
    "after", "all", "before", "earlier", "later", "prior", "versions",
];

/// Test 6.1.31's word list, matched on whole words (the spec's substring match would also flag
/// names like "Install Base").
fn looks_like_range(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.contains('<')
        || lower.contains('>')
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| RANGE_WORDS.contains(&w))
}

/// vers (canonical) or vls (`<=2`, `>=5.3|<=6.4`: comparator + version, no spaces) — 6.1.50.
fn is_vers_or_vls(name: &str) -> bool {
    if name.starts_with("vers:") {
        return VersRange::parse(name).is_ok();
    }
    !name.is_empty()
        && name.split('|').all(|part| {
            let v = part.trim_start_matches(['<', '>', '=', '!']);
            !v.is_empty() && !v.contains(|c: char| c.is_whitespace() || "<>=!|".contains(c))
        })
}

#[derive(Clone, Default)]
struct Walk {
    vendor: Option<String>,
    family: Option<String>,
    name: Option<String>,
    extras: Vec<String>,
    version: Option<String>,
    range: Option<String>,
}

struct Walker<'a> {
    location: &'a str,
    is_21: bool,
    tree: Tree,
}

impl Walker<'_> {
    fn walk(
        &mut self,
        branches: &[RawBranch],
        state: &Walk,
        depth: usize,
        path: &str,
    ) -> Result<(), FormatError> {
        if depth > MAX_BRANCH_DEPTH {
            return Err(FormatError::TooDeep {
                location: self.location.to_string(),
                path: path.to_string(),
                limit: MAX_BRANCH_DEPTH,
            });
        }
        for (i, b) in branches.iter().enumerate() {
            let bpath = format!("{path}[{i}]");
            let name = b.name.trim().to_string();
            let mut s = state.clone();
            match b.category.as_str() {
                "vendor" => s.vendor = Some(name),
                "product_family" => s.family = Some(name),
                "product_name" => s.name = Some(name),
                "product_version" => {
                    if name.starts_with("vers:") {
                        self.tree.warnings.push(CsafWarning {
                            rule: "6.1.31",
                            path: format!("{bpath}.name"),
                            message: format!(
                                "product_version `{name}` is a vers range; read as product_version_range"
                            ),
                        });
                        s.range = Some(name);
                    } else if looks_like_range(&name) {
                        return Err(FormatError::CsafRule {
                            location: self.location.to_string(),
                            rule: "6.1.31",
                            message: format!(
                                "product_version `{name}` at {bpath}.name contains a version range"
                            ),
                        });
                    } else {
                        s.version = Some(name);
                    }
                }
                "product_version_range" => {
                    self.check_range_name(&name, &format!("{bpath}.name"))?;
                    s.range = Some(name);
                }
                "service_pack" | "patch_level" if s.version.is_some() => s.version = Some(name),
                _ => {
                    if !name.is_empty() {
                        s.extras.push(name);
                    }
                }
            }
            if let Some(p) = &b.product {
                let mut product = s
                    .name
                    .clone()
                    .or_else(|| s.family.clone())
                    .unwrap_or_else(|| p.name.trim().to_string());
                for e in &s.extras {
                    product.push(' ');
                    product.push_str(e);
                }
                let version = match (&s.version, &s.range) {
                    (Some(v), _) => Ver::Version(v.clone()),
                    (None, Some(r)) => Ver::Range(r.clone()),
                    (None, None) => Ver::None,
                };
                define(&mut self.tree, p, s.vendor.clone(), product, version);
            }
            self.walk(&b.branches, &s, depth + 1, &format!("{bpath}.branches"))?;
        }
        Ok(())
    }

    fn check_range_name(&mut self, name: &str, path: &str) -> Result<(), FormatError> {
        if self.is_21 {
            if !is_vers_or_vls(name) {
                return Err(FormatError::CsafRule {
                    location: self.location.to_string(),
                    rule: "6.1.50",
                    message: format!(
                        "product_version_range `{name}` at {path} is neither a vers string nor vls"
                    ),
                });
            }
            // 6.2.49: upper-open ranges (`vers:intdot/>=4.2.0`) are suspicious but precise.
            if let Ok(r) = VersRange::parse(name) {
                let open = !r.is_star()
                    && r.constraints()
                        .last()
                        .is_some_and(|c| matches!(c.comparator, Comparator::Gt | Comparator::Ge));
                if open {
                    self.tree.warnings.push(CsafWarning {
                        rule: "6.2.49",
                        path: path.to_string(),
                        message: format!("product_version_range `{name}` has no upper bound"),
                    });
                }
            }
        } else if !name.starts_with("vers:") {
            self.tree.warnings.push(CsafWarning {
                rule: "6.2.18",
                path: path.to_string(),
                message: format!("product_version_range `{name}` is not in vers form"),
            });
        }
        Ok(())
    }
}

fn helper_parts(h: Option<&RawHelper>) -> (Vec<String>, Vec<String>) {
    let Some(h) = h else {
        return (Vec::new(), Vec::new());
    };
    let models = h
        .model_numbers
        .iter()
        .chain(&h.skus)
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let identifiers = h
        .cpe
        .iter()
        .chain(&h.purl)
        .chain(&h.purls)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (models, identifiers)
}

fn define(tree: &mut Tree, p: &RawFpn, vendor: Option<String>, product: String, version: Ver) {
    let (models, identifiers) = helper_parts(p.product_identification_helper.as_ref());
    tree.products.insert(
        p.product_id.clone(),
        Product {
            vendor,
            product,
            version,
            models,
            identifiers,
            on: Vec::new(),
        },
    );
}

fn hardware_models(p: &Product) -> Vec<String> {
    if !p.models.is_empty() {
        p.models.clone()
    } else {
        vec![p.product.clone()]
    }
}

fn rule_611(location: &str, id: &str, path: &str) -> FormatError {
    FormatError::CsafRule {
        location: location.to_string(),
        rule: "6.1.1",
        message: format!(
            "product id `{id}` referenced at {path} is not defined in the product tree"
        ),
    }
}

/// A relationship / product path waiting for its references to be defined.
struct Combination<'a> {
    component: &'a str,
    hosts: Vec<&'a str>,
    fpn: &'a RawFpn,
    path: String,
}

fn resolve(raw: &RawCsaf, location: &str) -> Result<Tree, FormatError> {
    let doc = raw
        .document
        .as_ref()
        .ok_or_else(|| invalid(location, "$.document", "missing `document`"))?;
    let mut walker = Walker {
        location,
        is_21: doc.csaf_version.trim() == "2.1",
        tree: Tree {
            products: HashMap::new(),
            groups: HashMap::new(),
            warnings: Vec::new(),
        },
    };
    let pt = &raw.product_tree;
    walker.walk(&pt.branches, &Walk::default(), 1, "$.product_tree.branches")?;
    let mut tree = walker.tree;
    for p in &pt.full_product_names {
        define(&mut tree, p, None, p.name.trim().to_string(), Ver::None);
    }
    // Relationships and product paths may reference each other: resolve until no progress.
    let mut pending: Vec<Combination<'_>> = Vec::new();
    for (i, r) in pt.relationships.iter().enumerate() {
        if let Some(fpn) = &r.full_product_name {
            pending.push(Combination {
                component: &r.product_reference,
                hosts: vec![&r.relates_to_product_reference],
                fpn,
                path: format!("$.product_tree.relationships[{i}]"),
            });
        }
    }
    for (i, p) in pt.product_paths.iter().enumerate() {
        if let Some(fpn) = &p.full_product_name {
            pending.push(Combination {
                component: &p.beginning_product_reference,
                hosts: p
                    .subpaths
                    .iter()
                    .map(|s| s.next_product_reference.as_str())
                    .collect(),
                fpn,
                path: format!("$.product_tree.product_paths[{i}]"),
            });
        }
    }
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for c in pending {
            let ready = tree.products.contains_key(c.component)
                && c.hosts.iter().all(|h| tree.products.contains_key(*h));
            if !ready {
                rest.push(c);
                continue;
            }
            let Some(mut combined) = tree.products.get(c.component).cloned() else {
                continue;
            };
            for h in &c.hosts {
                if let Some(hw) = tree.products.get(*h) {
                    combined.on.extend(hardware_models(hw));
                }
            }
            let (models, identifiers) = helper_parts(c.fpn.product_identification_helper.as_ref());
            combined.on.extend(models);
            combined.identifiers.extend(identifiers);
            tree.products.insert(c.fpn.product_id.clone(), combined);
        }
        if rest.len() == before {
            let c = &rest[0];
            let missing = std::iter::once(&c.component)
                .chain(&c.hosts)
                .find(|id| !tree.products.contains_key(**id))
                .copied()
                .unwrap_or(c.component);
            return Err(rule_611(location, missing, &c.path));
        }
        pending = rest;
    }
    for (i, g) in pt.product_groups.iter().enumerate() {
        for id in &g.product_ids {
            if !tree.products.contains_key(id) {
                return Err(rule_611(
                    location,
                    id,
                    &format!("$.product_tree.product_groups[{i}]"),
                ));
            }
        }
        tree.groups
            .insert(g.group_id.clone(), g.product_ids.clone());
    }
    for (i, v) in raw.vulnerabilities.iter().enumerate() {
        check_vulnerability(v, i, location, &tree)?;
    }
    for w in &tree.warnings {
        tracing::warn!(location, rule = w.rule, path = %w.path, "{}", w.message);
    }
    Ok(tree)
}

fn status_groups(s: &RawStatus) -> [(&'static str, Vec<&String>); 4] {
    [
        (
            "affected",
            s.first_affected
                .iter()
                .chain(&s.known_affected)
                .chain(&s.last_affected)
                .collect(),
        ),
        ("not affected", s.known_not_affected.iter().collect()),
        ("fixed", s.first_fixed.iter().chain(&s.fixed).collect()),
        (
            "under investigation",
            s.under_investigation.iter().collect(),
        ),
    ]
}

fn check_vulnerability(
    v: &RawVuln,
    i: usize,
    location: &str,
    tree: &Tree,
) -> Result<(), FormatError> {
    let path = format!("$.vulnerabilities[{i}]");
    let known = |id: &String, what: &str| -> Result<(), FormatError> {
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
    let mut seen: HashMap<&String, &'static str> = HashMap::new();
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

// ---------------------------------------------------------------------------------------------
// Mapping.

/// The single version named in remediation text ("Update to V7.0.3 or later version",
/// "Update P3 cameras to firmware version MX-V4.7.2.18 or later …"); `None` when zero or several.
pub(crate) fn version_in_text(text: &str) -> Option<String> {
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

fn wildcard_version(v: &str) -> bool {
    v.contains('*') || v.split('.').any(|seg| seg.eq_ignore_ascii_case("x"))
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

fn cvss_from(raw: &RawCvss, default_version: &str) -> Option<Cvss> {
    let vector = raw.vector_string.clone()?;
    let version = raw
        .version
        .clone()
        .unwrap_or_else(|| default_version.to_string());
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

pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Advisory, FormatError> {
    let location = ctx.location;
    let raw: RawCsaf = parse_json(bytes, location)?;
    let tree = resolve(&raw, location)?;
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

    let publisher_vendor = (doc.publisher.category == "vendor" && !doc.publisher.name.is_empty())
        .then(|| doc.publisher.name.clone());
    let fallback_vendor = ctx
        .default_vendor
        .map(str::to_string)
        .or_else(|| publisher_vendor.clone())
        .unwrap_or_else(|| doc.publisher.name.clone());
    let vendor_of = |p: &Product| p.vendor.clone().unwrap_or_else(|| fallback_vendor.clone());

    // Scheme per (vendor, product): every version string the tree gives that product.
    let mut product_versions: HashMap<(String, String), Vec<String>> = HashMap::new();
    for p in tree.products.values() {
        let key = (normalize_name(&vendor_of(p)), normalize_name(&p.product));
        let entry = product_versions.entry(key).or_default();
        match &p.version {
            Ver::Version(v) => entry.push(v.clone()),
            Ver::Range(r) => entry.extend(versions_in_text(r).into_iter().map(str::to_string)),
            Ver::None => {}
        }
    }
    let scheme_of = |p: &Product| {
        let vendor = vendor_of(p);
        let key = (normalize_name(&vendor), normalize_name(&p.product));
        let versions: Vec<&str> = product_versions
            .get(&key)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        choose_scheme(ctx.default_scheme, &vendor, &p.product, &versions)
    };

    // Remediations, and the fixed version a vendor_fix names, per product id.
    let mut fix_for: HashMap<&str, Vec<String>> = HashMap::new();
    let mut remediations: Vec<Remediation> = Vec::new();
    for v in &raw.vulnerabilities {
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
                    .filter_map(|g| tree.groups.get(g))
                    .flatten();
                for pid in r.product_ids.iter().chain(grouped) {
                    let e = fix_for.entry(pid.as_str()).or_default();
                    if !e.contains(ver) {
                        e.push(ver.clone());
                    }
                }
            }
            let rem = Remediation {
                kind,
                version,
                details: r.details.trim().to_string(),
                url: r.url.clone(),
            };
            if !remediations.contains(&rem) {
                remediations.push(rem);
            }
        }
    }

    // Statements, de-duplicated by (product id, status) across vulnerabilities.
    let mut seen: HashSet<(&str, ProductStatus)> = HashSet::new();
    let mut statements: Vec<(&str, ProductStatus)> = Vec::new();
    let mut recommended: Vec<&str> = Vec::new();
    for v in &raw.vulnerabilities {
        let s = &v.product_status;
        let lists: [(&Vec<String>, ProductStatus); 8] = [
            (&s.known_affected, ProductStatus::Affected),
            (&s.first_affected, ProductStatus::Affected),
            (&s.last_affected, ProductStatus::Affected),
            (&s.known_not_affected, ProductStatus::NotAffected),
            (&s.fixed, ProductStatus::Fixed),
            (&s.first_fixed, ProductStatus::Fixed),
            (&s.recommended, ProductStatus::Fixed),
            (&s.under_investigation, ProductStatus::UnderInvestigation),
        ];
        for (ids, status) in lists {
            for id in ids {
                if seen.insert((id.as_str(), status)) {
                    statements.push((id.as_str(), status));
                }
            }
        }
        recommended.extend(s.recommended.iter().map(String::as_str));
    }

    // One advisory carries every vulnerability of the document, so a product that is affected by
    // one vulnerability and fixed for another is affected: per product id only the most severe
    // status survives (Affected > UnderInvestigation > Fixed / NotAffected).
    let rank = |s: ProductStatus| match s {
        ProductStatus::Affected => 3,
        ProductStatus::UnderInvestigation => 2,
        ProductStatus::Fixed | ProductStatus::NotAffected => 1,
    };
    let mut worst: HashMap<&str, u8> = HashMap::new();
    for (pid, status) in &statements {
        let r = worst.entry(pid).or_insert(0);
        *r = (*r).max(rank(*status));
    }
    statements.retain(|(pid, status)| worst.get(pid).is_some_and(|r| *r == rank(*status)));

    let mut affected: Vec<AffectedProduct> = Vec::new();
    for (pid, status) in statements {
        // Every id was checked by `resolve` (6.1.1); `get` only avoids an index panic.
        let Some(p) = tree.products.get(pid) else {
            continue;
        };
        let mut scheme = scheme_of(p);
        let versions = match &p.version {
            Ver::None => VersionSpec::All,
            Ver::Version(v) if wildcard_version(v) => VersionSpec::Unparsed(v.clone()),
            Ver::Version(v) => VersionSpec::Exact(normalize_version(scheme, v)),
            Ver::Range(r) => spec_from_text(r, scheme),
        };
        // A vers string names its scheme; the statement must agree with its own range.
        if let VersionSpec::Range(r) = &versions {
            if let Some(s) = r.scheme() {
                scheme = s;
            }
        }
        let mut models = p.models.clone();
        models.extend(p.on.iter().cloned());
        // Fixed versions are written as the product's scheme reads them (`V7.0.3` → `7.0.3` under
        // intdot), so that they compare with installed versions.
        let fixed_in = if status == ProductStatus::Affected {
            fix_for
                .get(pid)
                .map(|v| v.iter().map(|f| normalize_version(scheme, f)).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        push_merged(
            &mut affected,
            AffectedProduct {
                vendor: vendor_of(p),
                product: p.product.clone(),
                models,
                component: None,
                scheme: Some(scheme),
                status,
                versions,
                fixed_in,
                identifiers: p.identifiers.clone(),
            },
        );
    }
    // A recommended product's version is a fixed version for the same product's affected statements.
    for pid in recommended {
        let Some(p) = tree.products.get(pid) else {
            continue;
        };
        let Ver::Version(raw) = &p.version else {
            continue;
        };
        let v = &normalize_version(scheme_of(p), raw);
        let (vk, pk) = (normalize_name(&vendor_of(p)), normalize_name(&p.product));
        for st in affected.iter_mut().filter(|s| {
            s.status == ProductStatus::Affected
                && normalize_name(&s.vendor) == vk
                && normalize_name(&s.product) == pk
        }) {
            if !st.fixed_in.contains(v) {
                st.fixed_in.push(v.clone());
            }
        }
    }

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
        .unwrap_or(fallback_vendor.clone());

    let mut summary_parts: Vec<String> = Vec::new();
    let push_note = |parts: &mut Vec<String>, t: &str| {
        let t = t.trim();
        if !t.is_empty() && !parts.iter().any(|s| s == t) {
            parts.push(t.to_string());
        }
    };
    for n in doc.notes.iter().filter(|n| n.category == "summary") {
        push_note(&mut summary_parts, &n.text);
    }
    for v in &raw.vulnerabilities {
        for n in v
            .notes
            .iter()
            .filter(|n| n.category == "summary" || n.category == "description")
        {
            push_note(&mut summary_parts, &n.text);
        }
    }
    if summary_parts.is_empty() {
        for n in doc.notes.iter().filter(|n| n.category == "description") {
            push_note(&mut summary_parts, &n.text);
        }
    }

    let mut aliases: Vec<AdvisoryId> = Vec::new();
    for a in tracking
        .aliases
        .iter()
        .chain(raw.vulnerabilities.iter().filter_map(|v| v.cve.as_ref()))
    {
        if let Ok(a) = a.parse::<AdvisoryId>() {
            if a != id && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
    }
    let mut references: Vec<String> = Vec::new();
    for r in doc
        .references
        .iter()
        .chain(raw.vulnerabilities.iter().flat_map(|v| &v.references))
    {
        let u = r.url.trim();
        if !u.is_empty() && !references.iter().any(|x| x == u) {
            references.push(u.to_string());
        }
    }
    let mut scores: Vec<Cvss> = Vec::new();
    for v in &raw.vulnerabilities {
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

    Ok(Advisory {
        id,
        aliases,
        vendor,
        title: doc.title.trim().to_string(),
        summary: summary_parts.join("\n\n"),
        published: parse_date(&tracking.initial_release_date),
        modified: parse_date(&tracking.current_release_date),
        withdrawn: None,
        affected,
        remediations,
        references,
        effects: Vec::new(),
        triggers: Vec::new(),
        cvss: best_cvss(scores),
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
        source,
    })
}

/// Add a statement, or merge its models into an identical one (same everything but models).
fn push_merged(out: &mut Vec<AffectedProduct>, st: AffectedProduct) {
    let same = |a: &AffectedProduct| {
        a.vendor == st.vendor
            && a.product == st.product
            && a.status == st.status
            && a.versions == st.versions
            && a.scheme == st.scheme
            && a.fixed_in == st.fixed_in
            && a.identifiers == st.identifiers
            && a.models.is_empty() == st.models.is_empty()
    };
    if let Some(existing) = out.iter_mut().find(|a| same(a)) {
        for m in st.models {
            if !existing.models.contains(&m) {
                existing.models.push(m);
            }
        }
    } else {
        out.push(st);
    }
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
    fn range_detection() {
        assert!(looks_like_range("prior to 4.2"));
        assert!(looks_like_range("<4.2"));
        assert!(!looks_like_range("MX-V4.0.1.15"));
        assert!(!looks_like_range("install base 2"));
        assert!(is_vers_or_vls("<=2"));
        assert!(is_vers_or_vls(">10.9a|!=10.9c|<=10.9k"));
        assert!(is_vers_or_vls("vers:intdot/>=4.2.0"));
        assert!(!is_vers_or_vls("all versions < 4.2.0"));
        assert!(!is_vers_or_vls("vers:all/<V7.0.3"));
    }

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

    #[test]
    fn wildcards_are_not_exact_versions() {
        assert!(wildcard_version("2.0.x"));
        assert!(wildcard_version("5.*"));
        assert!(!wildcard_version("MX-V4.0.1.15"));
    }
}
