//! VEX out: firmwatch's decisions about the estate as CSAF 2.0 VEX (`exposure --format csaf-vex`)
//! and OpenVEX 0.2.0 (`--format openvex`), so other tools and auditors can consume them.
//!
//! A VEX statement says, for one vulnerability and one product, *affected*, *not affected* (and
//! why), *fixed*, or *under investigation*. Here the vulnerability is an advisory (its id; a CVE id
//! becomes CSAF `cve`, any other id CSAF `ids` under the feed it was read from) and the product is
//! a **deployed subject**: a system's own firmware or one of its components, identified by vendor,
//! model and installed firmware version, at its place in the inventory (`system` or
//! `system/component` — the inventory records no serial numbers, so none are given). One finding
//! (`ADVISORY@system`) becomes one statement over the subjects it names, so every statement can be
//! traced back to the finding and its triage entry.
//!
//! | firmwatch | OpenVEX | CSAF 2.0 `product_status` | with |
//! |---|---|---|---|
//! | confirmed finding, open (`new`, `acknowledged`, `in-progress`, or a decision that expired or the inventory contradicts) | `affected` | `known_affected` | action: the fixed versions the advisory names, else "no fixed version stated"; CSAF `remediations` (`vendor_fix`, the advisory's own, else `none_available`) |
//! | confirmed, `accepted-risk` | `affected` | `known_affected` | the same, and the decision (who, approver, until when, why): accepting a risk is not fixing it |
//! | confirmed, `mitigated` | `affected` | `known_affected` | the same, and the mitigation (CSAF remediation `mitigation`) |
//! | unknown match (not triaged `false-positive`) | `under_investigation` | `under_investigation` | why it could not be decided — never "not affected" without evidence |
//! | `false-positive` (confirmed or unknown) | `not_affected` | `known_not_affected` | `impact_statement` / CSAF `threats` of category `impact`: the decision and its reason |
//! | no finding; the vendor states the deployed version **fixed** | `fixed` | `fixed` | the advisory's statement |
//! | no finding; the vendor states the deployed version **not affected** | `not_affected` | `known_not_affected` | impact statement: the vendor's statement |
//! | an end-of-support finding (a lifecycle document: no vulnerability) | — | — | no statement |
//! | anything else (an advisory that names nothing deployed, or whose affected ranges merely leave the deployed version out) | — | — | no statement |
//!
//! Why so:
//! - **Mitigated stays affected.** The vulnerable firmware still runs; the mitigation is an
//!   operator setting that can be turned back. OpenVEX's `inline_mitigations_already_exist` is for
//!   protections built into the product that "cannot be configured or disabled by the user", which
//!   an operator's setting is not, and a `not_affected` would tell consumers no action is needed.
//!   The mitigation is given as what it is: CSAF remediation `mitigation`, and in the OpenVEX
//!   action statement.
//! - **No machine justification is invented.** A `false-positive` entry says why in words; which of
//!   the fixed justification labels (`component_not_present`, `vulnerable_code_not_present`, …)
//!   applies is not something firmwatch can know, so none is claimed: OpenVEX gets the
//!   `impact_statement` the specification allows instead, CSAF a `threats` entry of category
//!   `impact` (test 6.1.27.9), and no `flags`.
//! - **Silence is not "not affected".** An advisory that matched nothing in the estate gives no
//!   statement: firmwatch only knows that the advisory does not name the deployed product, or that
//!   the deployed version is outside the ranges it lists — a statement about other versions, not
//!   about this one. Only a vendor statement naming the deployed version itself as fixed or not
//!   affected becomes `fixed` / `not_affected` (the same rule as the matcher's first rule: such a
//!   statement wins).
//! - **Which findings.** Those `exposure` shows after its filters (`--system`, `--owner`,
//!   `--min-severity`) and the triaged ones under the same filters — they carry the decisions an
//!   auditor asks about. The vendor's fixed / not-affected statements cover the systems in scope
//!   (`--system`, the systems the `--owner`s own, else every system); they have no severity, so
//!   `--min-severity` leaves them out.
//!
//! Identifiers. CSAF product ids are the subject references themselves (`hosting-fas/ctl-a`), under
//! branches vendor → `product_name` (the model) → `product_version` (the installed firmware) →
//! `host_name` (where it is deployed). OpenVEX products have the IRI
//! `urn:firmwatch:deployed:<system>[/<component>]` as `@id` (a purl names a package, not the one
//! deployed instance: two arrays of one model and firmware may carry different decisions), and
//! `identifiers.purl` `pkg:generic/<vendor>/<model>@<firmware>` (percent-encoded) for matching by
//! model and version; CSAF carries the same purl in `product_identification_helper`.
//!
//! Determinism. Both documents are a function of the report, the inventory, the advisories and the
//! issue time: statements in advisory-id, then system order, keys sorted. The document id
//! (`tracking.id`, the OpenVEX `@id`) is `firmwatch-vex-<date>-<12 hex digits of the SHA-256 of the
//! statements>`, so the same statements on the same day give the same id and bytes (with `--today`,
//! the issue time is that day at 00:00 UTC). The CSAF document is `final`, version `1`: each run is
//! a new document, not a revision of the last. It carries the strictest TLP of the advisories it
//! quotes (CLEAR is CSAF 2.0's WHITE; AMBER+STRICT, which 2.0 cannot say, becomes RED); OpenVEX has
//! no place for a TLP.
//!
//! An empty scope: OpenVEX allows a document without statements; a CSAF VEX document needs at least
//! one vulnerability, so [`write_csaf`] refuses ([`VexError::Empty`]).
//!
//! CycloneDX VEX is not produced: CycloneDX expresses VEX as `vulnerabilities[].analysis` against
//! components of a BOM, and firmwatch has no BOM of the estate to anchor `bom-ref`s in; writing one
//! up only to hang VEX on it is a separate feature (its 1.6 schema is obtainable for the tests).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::blast::Finding;
use crate::inventory::{Component, Firmware, Inventory, System, SystemId};
use crate::matcher::{names_subject, spec_contains, MatchState};
use crate::model::{vendor_key, Advisory, ComponentKind, ProductStatus, RemediationKind};
use crate::triage::TriageState;
use crate::version::Containment;

use super::Report;

/// The OpenVEX JSON-LD context of the version written.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// The publisher (CSAF) / author (OpenVEX) when none is given.
pub const DEFAULT_AUTHOR: &str = "firmwatch operator";

/// The CSAF publisher namespace when none is given: a URN, plainly no one's URL.
pub const DEFAULT_NAMESPACE: &str = "urn:firmwatch:operator";

/// Why a VEX document cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error(
        "nothing to state: no finding and no vendor statement about the deployed versions in \
         scope, and a CSAF VEX document needs at least one vulnerability (OpenVEX can be empty)"
    )]
    Empty,
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Who issues the document, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Issuer {
    /// CSAF `publisher.name`, OpenVEX `author`.
    pub author: String,
    /// CSAF `publisher.namespace` (a URI).
    pub namespace: String,
    /// The issue time: every date in the documents.
    pub issued: DateTime<Utc>,
}

impl Issuer {
    pub fn new(issued: DateTime<Utc>) -> Issuer {
        Issuer {
            author: DEFAULT_AUTHOR.to_string(),
            namespace: DEFAULT_NAMESPACE.to_string(),
            issued,
        }
    }
}

/// Which systems the vendor's fixed / not-affected statements cover.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// `None`: every system of the inventory.
    pub systems: Option<BTreeSet<String>>,
    /// `false` (under `--min-severity`): none at all.
    pub vendor_statements: bool,
}

impl Scope {
    /// Every system, with the vendor's statements.
    pub fn all() -> Scope {
        Scope {
            systems: None,
            vendor_statements: true,
        }
    }
}

/// A VEX status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    Affected,
    UnderInvestigation,
    NotAffected,
    Fixed,
}

impl VexStatus {
    /// The OpenVEX status label.
    pub fn openvex(self) -> &'static str {
        match self {
            VexStatus::Affected => "affected",
            VexStatus::UnderInvestigation => "under_investigation",
            VexStatus::NotAffected => "not_affected",
            VexStatus::Fixed => "fixed",
        }
    }

    /// The CSAF `product_status` list.
    pub fn csaf(self) -> &'static str {
        match self {
            VexStatus::Affected => "known_affected",
            VexStatus::UnderInvestigation => "under_investigation",
            VexStatus::NotAffected => "known_not_affected",
            VexStatus::Fixed => "fixed",
        }
    }
}

/// One deployed subject: a system's own firmware or one of its components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// `system` or `system/component`.
    pub id: String,
    pub system: String,
    pub vendor: String,
    pub model: String,
    pub kind: ComponentKind,
    /// The installed firmware, verbatim.
    pub firmware: String,
    /// Identical parts the entry stands for (a drive set).
    pub count: u32,
}

impl Product {
    /// The CSAF product name.
    fn name(&self) -> String {
        let parts = if self.count > 1 {
            format!(", {} parts", self.count)
        } else {
            String::new()
        };
        format!(
            "{} {} ({}) firmware {} at {}{parts}",
            self.vendor,
            self.model,
            self.kind.as_str(),
            self.firmware,
            self.id
        )
    }

    /// The OpenVEX `@id`.
    pub fn iri(&self) -> String {
        format!("urn:firmwatch:deployed:{}", pct(&self.id, b"/"))
    }

    /// `pkg:generic/<vendor>/<model>@<firmware>`.
    pub fn purl(&self) -> String {
        format!(
            "pkg:generic/{}/{}@{}",
            pct(&self.vendor, b""),
            pct(&self.model, b""),
            pct(&self.firmware, b"")
        )
    }
}

/// Percent-encoding of everything but RFC 3986 unreserved characters (and `keep`).
fn pct(s: &str, keep: &[u8]) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// One statement: a status of some products of one system for one vulnerability, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// `ADVISORY@system` when the statement is a finding's.
    pub finding: Option<String>,
    pub system: String,
    pub status: VexStatus,
    /// Product ids, sorted.
    pub products: Vec<String>,
    /// `affected`: what to do.
    pub action: Option<String>,
    /// `not_affected`: why not.
    pub impact: Option<String>,
    /// How the status was reached (the evidence, the triage decision).
    pub notes: Option<String>,
    /// `affected`: the fixed versions the advisory names.
    pub fixed_in: Vec<String>,
    /// `affected` and triaged `mitigated`: the mitigation as decided.
    pub mitigation: Option<String>,
}

/// One vulnerability (advisory) and its statements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    pub title: String,
    pub summary: String,
    /// The feed it was read from (CSAF `ids[].system_name` for a non-CVE id).
    pub feed: String,
    pub source: String,
    /// The vendor's remediations: (kind, details, url).
    pub remediations: Vec<(RemediationKind, String, Option<String>)>,
    pub statements: Vec<Statement>,
}

/// The VEX of an estate: products and vulnerabilities, both documents' content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vex {
    /// `firmwatch-vex-<date>-<hash>`.
    pub id: String,
    #[serde(skip)]
    pub issuer: Issuer,
    pub products: BTreeMap<String, Product>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// The strictest TLP of the advisories quoted, as CSAF 2.0 writes it.
    pub tlp: Option<&'static str>,
}

/// Build the VEX of a report: its findings and triaged findings (already filtered), and the
/// vendor's fixed / not-affected statements about the deployed versions of the systems in
/// `scope`.
pub fn build(
    report: &Report,
    inv: &Inventory,
    advisories: &[Advisory],
    scope: &Scope,
    issuer: Issuer,
) -> Vex {
    let by_id: HashMap<&str, &Advisory> = advisories.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut products = BTreeMap::new();
    let mut vulns: BTreeMap<String, Vulnerability> = BTreeMap::new();
    // (advisory, product) pairs a finding already speaks for: a vendor statement does not repeat
    // them (a product is in one status group per vulnerability, CSAF test 6.1.6).
    let mut stated: BTreeSet<(String, String)> = BTreeSet::new();

    for f in report.findings.iter().chain(&report.triaged) {
        let Some(adv) = by_id.get(&*f.advisory.id).copied() else {
            continue;
        };
        // An end of support is no vulnerability: a VEX statement about it would tell consumers
        // the product is affected by something with no exploit, fix or CVE.
        if adv.lifecycle.is_some() {
            continue;
        }
        let mut ids = Vec::new();
        for p in &f.parts {
            let Some(product) = product_of(
                inv,
                p.subject.system.as_str(),
                p.subject.component.as_deref(),
                &p.firmware,
                p.count,
            ) else {
                continue;
            };
            stated.insert((adv.id.to_string(), product.id.clone()));
            ids.push(product.id.clone());
            products.entry(product.id.clone()).or_insert(product);
        }
        if ids.is_empty() {
            continue;
        }
        ids.sort();
        ids.dedup();
        vuln_of(&mut vulns, adv)
            .statements
            .push(finding_statement(f, ids));
    }

    if scope.vendor_statements {
        for (adv, product, status, versions) in vendor_statements(inv, advisories, scope) {
            if !stated.insert((adv.id.to_string(), product.id.clone())) {
                continue;
            }
            let words = match status {
                VexStatus::Fixed => "fixed",
                _ => "not affected",
            };
            let text = format!(
                "the vendor states {} {} {} {words} (the advisory's statement: {versions})",
                product.vendor, product.model, product.firmware
            );
            let st = Statement {
                finding: None,
                system: product.system.clone(),
                status,
                products: vec![product.id.clone()],
                action: None,
                impact: (status == VexStatus::NotAffected).then(|| text.clone()),
                notes: Some(text),
                fixed_in: Vec::new(),
                mitigation: None,
            };
            vuln_of(&mut vulns, adv).statements.push(st);
            products.entry(product.id.clone()).or_insert(product);
        }
    }

    let mut vulnerabilities: Vec<Vulnerability> = vulns.into_values().collect();
    for v in &mut vulnerabilities {
        v.statements.sort_by(|a, b| {
            (&a.system, a.status, &a.products, &a.finding).cmp(&(
                &b.system,
                b.status,
                &b.products,
                &b.finding,
            ))
        });
    }
    let tlp = vulnerabilities
        .iter()
        .filter_map(|v| by_id.get(v.id.as_str()))
        .filter_map(|a| a.tlp.as_deref())
        .filter_map(tlp_rank)
        .max()
        .map(|r| TLP20[r]);
    let digest = {
        let mut h = Sha256::new();
        // Serializing plain data into memory cannot fail.
        h.update(serde_json::to_vec(&(&products, &vulnerabilities, tlp)).unwrap_or_default());
        hex::encode(h.finalize())
    };
    Vex {
        id: format!(
            "firmwatch-vex-{}-{}",
            issuer.issued.format("%Y-%m-%d"),
            &digest[..12]
        ),
        issuer,
        products,
        vulnerabilities,
        tlp,
    }
}

/// CSAF 2.0 TLP labels, least strict first.
const TLP20: [&str; 4] = ["WHITE", "GREEN", "AMBER", "RED"];

/// Where a TLP label (1.0 or 2.0 spelling) stands in [`TLP20`]; AMBER+STRICT goes to RED, the
/// nearest 2.0 label that does not loosen it.
fn tlp_rank(label: &str) -> Option<usize> {
    let l = label.trim().to_ascii_uppercase();
    let l = l.strip_prefix("TLP:").unwrap_or(&l);
    match l {
        "WHITE" | "CLEAR" => Some(0),
        "GREEN" => Some(1),
        "AMBER" => Some(2),
        "AMBER+STRICT" | "RED" => Some(3),
        _ => None,
    }
}

fn vuln_of<'v>(
    vulns: &'v mut BTreeMap<String, Vulnerability>,
    adv: &Advisory,
) -> &'v mut Vulnerability {
    vulns
        .entry(adv.id.to_string())
        .or_insert_with(|| Vulnerability {
            id: adv.id.to_string(),
            aliases: adv.aliases.iter().map(ToString::to_string).collect(),
            title: adv.title.clone(),
            summary: adv.summary.clone(),
            feed: adv.source.feed.to_string(),
            source: adv.source.location.clone(),
            remediations: adv
                .remediations
                .iter()
                .map(|r| (r.kind, r.details.clone(), r.url.clone()))
                .collect(),
            statements: Vec::new(),
        })
}

/// The product of a subject, from the inventory.
fn product_of(
    inv: &Inventory,
    system: &str,
    component: Option<&str>,
    firmware: &str,
    count: u32,
) -> Option<Product> {
    let sys = inv.systems.get(&system.parse::<SystemId>().ok()?)?;
    Some(match component {
        None => Product {
            id: system.to_string(),
            system: system.to_string(),
            vendor: sys.vendor.clone(),
            model: sys.model.clone(),
            kind: ComponentKind::System,
            firmware: firmware.to_string(),
            count,
        },
        Some(c) => {
            let comp = sys.component(c)?;
            Product {
                id: format!("{system}/{c}"),
                system: system.to_string(),
                vendor: comp.vendor.to_string(),
                model: comp.model.to_string(),
                kind: comp.kind,
                firmware: firmware.to_string(),
                count,
            }
        }
    })
}

/// The statement of one finding over its products (the mapping table above).
fn finding_statement(f: &Finding, products: Vec<String>) -> Statement {
    let decision = f.triage.describe();
    let false_positive = f.triage.state == TriageState::FalsePositive && f.triage.closed();
    let status = if false_positive {
        VexStatus::NotAffected
    } else if f.state == MatchState::Unknown {
        VexStatus::UnderInvestigation
    } else {
        VexStatus::Affected
    };
    let decided = |what: &str| decision.as_ref().map(|d| format!("{what}{d}"));
    let mut notes = Vec::new();
    match status {
        VexStatus::UnderInvestigation => notes.push(format!(
            "firmwatch could not decide the match: {}",
            f.evidence
        )),
        _ if !f.evidence.is_empty() => notes.push(format!("match: {}", f.evidence)),
        _ => {}
    }
    notes.extend(decided("triage: "));
    let (action, mitigation) = if status == VexStatus::Affected {
        let mut a = if f.fixed_in.is_empty() {
            "No fixed version is stated by the advisory; follow the vendor's remediation."
                .to_string()
        } else {
            format!(
                "Update to a fixed version: {} (the versions the advisory names as fixing it).",
                f.fixed_in.join(", ")
            )
        };
        let mitigation = (f.triage.state == TriageState::Mitigated)
            .then(|| decision.clone())
            .flatten();
        match f.triage.state {
            TriageState::AcceptedRisk if f.triage.closed() => {
                a.push_str(" Risk accepted, not fixed: ");
            }
            TriageState::Mitigated if f.triage.closed() => a.push_str(" Mitigated, not fixed: "),
            _ if decision.is_some() => a.push_str(" Triage: "),
            _ => {}
        }
        if let Some(d) = &decision {
            a.push_str(d);
        }
        (Some(a), mitigation)
    } else {
        (None, None)
    };
    let impact = (status == VexStatus::NotAffected).then(|| {
        format!(
            "Not affected by the operator's decision ({})",
            decision.clone().unwrap_or_default()
        )
    });
    Statement {
        finding: Some(f.id.clone()),
        system: f.system.to_string(),
        status,
        products,
        action,
        impact,
        notes: (!notes.is_empty()).then(|| notes.join("; ")),
        fixed_in: if status == VexStatus::Affected {
            f.fixed_in.clone()
        } else {
            Vec::new()
        },
        mitigation,
    }
}

/// The vendor's statements naming a deployed version of a system in scope as fixed or not
/// affected: (advisory, product, status, the statement's versions). Statements are looked up by
/// vendor, and each distinct (system model, part vendor, model, kind, firmware) is decided once.
fn vendor_statements<'a>(
    inv: &Inventory,
    advisories: &'a [Advisory],
    scope: &Scope,
) -> Vec<(&'a Advisory, Product, VexStatus, String)> {
    let mut by_vendor: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (ai, a) in advisories.iter().enumerate() {
        if a.withdrawn.is_some() || a.source.format.is_signal() {
            continue;
        }
        for (si, st) in a.affected.iter().enumerate() {
            if matches!(st.status, ProductStatus::Fixed | ProductStatus::NotAffected) {
                let v = if st.vendor.trim().is_empty() {
                    &a.vendor
                } else {
                    &st.vendor
                };
                by_vendor.entry(vendor_key(v)).or_default().push((ai, si));
            }
        }
    }
    if by_vendor.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    type Key = (String, String, String, String, ComponentKind, String);
    let mut memo: HashMap<Key, Vec<(usize, usize)>> = HashMap::new();
    for sys in inv.systems.values() {
        if scope
            .systems
            .as_ref()
            .is_some_and(|s| !s.contains(sys.id.as_str()))
        {
            continue;
        }
        let subjects = std::iter::once(None).chain(sys.components.iter().map(Some));
        for comp in subjects {
            let (vendor, model, kind, fw) = match comp {
                None => (
                    sys.vendor.as_str(),
                    sys.model.as_str(),
                    ComponentKind::System,
                    &sys.firmware,
                ),
                Some(c) => (&*c.vendor, &*c.model, c.kind, &c.firmware),
            };
            let key = (
                sys.vendor.clone(),
                sys.model.clone(),
                vendor.to_string(),
                model.to_string(),
                kind,
                fw.raw().to_string(),
            );
            let hits = memo
                .entry(key)
                .or_insert_with(|| decide(advisories, &by_vendor, sys, comp, vendor, fw))
                .clone();
            for (ai, si) in hits {
                let a = &advisories[ai];
                let st = &a.affected[si];
                let status = if st.status == ProductStatus::Fixed {
                    VexStatus::Fixed
                } else {
                    VexStatus::NotAffected
                };
                let Some(product) = product_of(
                    inv,
                    sys.id.as_str(),
                    comp.map(|c| &*c.id),
                    fw.raw(),
                    comp.map_or(1, |c| c.count),
                ) else {
                    continue;
                };
                out.push((a, product, status, st.versions.to_string()));
            }
        }
    }
    out
}

/// The (advisory, statement) pairs that name the subject and contain its version, first per
/// advisory: one statement is enough to say it.
fn decide(
    advisories: &[Advisory],
    by_vendor: &HashMap<String, Vec<(usize, usize)>>,
    sys: &System,
    comp: Option<&Component>,
    vendor: &str,
    fw: &Firmware,
) -> Vec<(usize, usize)> {
    let mut hits: Vec<(usize, usize)> = Vec::new();
    for &(ai, si) in by_vendor.get(&vendor_key(vendor)).into_iter().flatten() {
        if hits.last().is_some_and(|(a, _)| *a == ai) {
            continue;
        }
        let a = &advisories[ai];
        let st = &a.affected[si];
        if names_subject(st, &a.vendor, sys, comp)
            && spec_contains(&st.versions, &fw.version) == Containment::Affected
        {
            hits.push((ai, si));
        }
    }
    hits
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Text for a JSON string that the schema wants non-empty.
fn or(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

/// A CVE id as CSAF's `cve` pattern (`^CVE-[0-9]{4}-[0-9]{4,}$`) takes it.
fn cve(id: &str) -> Option<String> {
    let rest = id.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && digits(year) && num.len() >= 4 && digits(num)).then(|| id.to_string())
}

fn csaf_remediation(kind: RemediationKind) -> &'static str {
    match kind {
        RemediationKind::VendorFix => "vendor_fix",
        RemediationKind::Workaround => "workaround",
        RemediationKind::Mitigation => "mitigation",
        RemediationKind::NoFixPlanned => "no_fix_planned",
        RemediationKind::NoneAvailable => "none_available",
    }
}

/// The CSAF 2.0 `csaf_vex` document.
pub fn csaf(v: &Vex) -> Result<Value, VexError> {
    if v.vulnerabilities.is_empty() {
        return Err(VexError::Empty);
    }
    let issued = time(&v.issuer.issued);
    // vendor → model → firmware → deployed products
    let mut tree: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, Vec<&Product>>>> = BTreeMap::new();
    for p in v.products.values() {
        tree.entry(&p.vendor)
            .or_default()
            .entry(&p.model)
            .or_default()
            .entry(&p.firmware)
            .or_default()
            .push(p);
    }
    let branches: Vec<Value> = tree
        .iter()
        .map(|(vendor, models)| {
            let models: Vec<Value> = models
                .iter()
                .map(|(model, versions)| {
                    let versions: Vec<Value> = versions
                        .iter()
                        .map(|(fw, ps)| {
                            let hosts: Vec<Value> = ps
                                .iter()
                                .map(|p| {
                                    json!({
                                        "category": "host_name",
                                        "name": p.id,
                                        "product": {
                                            "name": p.name(),
                                            "product_id": p.id,
                                            "product_identification_helper": { "purl": p.purl() },
                                        },
                                    })
                                })
                                .collect();
                            json!({ "category": "product_version", "name": or(fw, "unknown"), "branches": hosts })
                        })
                        .collect();
                    json!({ "category": "product_name", "name": or(model, "unknown"), "branches": versions })
                })
                .collect();
            json!({ "category": "vendor", "name": or(vendor, "unknown"), "branches": models })
        })
        .collect();

    let mut used_cves = BTreeSet::new();
    let vulnerabilities: Vec<Value> = v
        .vulnerabilities
        .iter()
        .map(|vu| csaf_vulnerability(vu, &mut used_cves))
        .collect();

    let mut document = json!({
        "category": "csaf_vex",
        "csaf_version": "2.0",
        "lang": "en",
        "title": format!("VEX of the estate of {} as of {}", v.issuer.author, v.issuer.issued.format("%Y-%m-%d")),
        "publisher": {
            "category": "user",
            "name": or(&v.issuer.author, DEFAULT_AUTHOR),
            "namespace": or(&v.issuer.namespace, DEFAULT_NAMESPACE),
        },
        "notes": [{
            "category": "summary",
            "title": "What this document states",
            "text": "Statements about the deployed systems and components of one estate, made by firmwatch \
                     from the operator's inventory, the vendors' advisories and the operator's triage \
                     decisions. Products are deployed parts (vendor, model, installed firmware, and \
                     where they run). known_affected: a confirmed match that is open, accepted as a \
                     risk or mitigated (not fixed); under_investigation: a match firmwatch could not \
                     decide; known_not_affected: a false positive decided by the operator, or a \
                     vendor statement naming the deployed version; fixed: a vendor statement naming \
                     the deployed version fixed. An advisory that names nothing deployed has no \
                     statement here.",
        }],
        "tracking": {
            "id": v.id,
            "status": "final",
            "version": "1",
            "initial_release_date": issued,
            "current_release_date": issued,
            "revision_history": [{ "date": issued, "number": "1", "summary": "Generated by firmwatch." }],
            "generator": {
                "date": issued,
                "engine": { "name": "firmwatch", "version": env!("CARGO_PKG_VERSION") },
            },
        },
    });
    if let Some(label) = v.tlp {
        document["distribution"] = json!({ "tlp": { "label": label } });
    }
    Ok(json!({
        "document": document,
        "product_tree": { "branches": branches },
        "vulnerabilities": vulnerabilities,
    }))
}

fn csaf_vulnerability(vu: &Vulnerability, used_cves: &mut BTreeSet<String>) -> Value {
    let mut out = serde_json::Map::new();
    // The id as `cve` when it is one, else the first CVE alias not used by another vulnerability
    // (a CVE appears once per document, test 6.1.23); the advisory id is always in `ids` unless
    // it is the `cve`.
    let cve_id = cve(&vu.id)
        .or_else(|| vu.aliases.iter().find_map(|a| cve(a)))
        .filter(|c| used_cves.insert(c.clone()));
    if let Some(c) = &cve_id {
        out.insert("cve".into(), json!(c));
    }
    if cve_id.as_deref() != Some(vu.id.as_str()) {
        out.insert(
            "ids".into(),
            json!([{ "system_name": or(&vu.feed, "firmwatch"), "text": vu.id }]),
        );
    }
    out.insert("title".into(), json!(or(&vu.title, &vu.id)));

    let mut notes = vec![json!({
        "category": "description",
        "title": "Advisory",
        "text": format!("{} (read from {})", or(&vu.summary, &or(&vu.title, &vu.id)), vu.source),
    })];
    if !vu.aliases.is_empty() {
        notes.push(
            json!({ "category": "other", "title": "Aliases", "text": vu.aliases.join(", ") }),
        );
    }
    let mut status: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut threats = Vec::new();
    let mut remediations = Vec::new();
    for st in &vu.statements {
        status
            .entry(st.status.csaf())
            .or_default()
            .extend(st.products.iter().map(String::as_str));
        if let Some(n) = &st.notes {
            let title = match &st.finding {
                Some(f) => format!("Finding {f}"),
                None => format!("Vendor statement for {}", st.products.join(", ")),
            };
            notes.push(json!({ "category": "details", "title": title, "text": n }));
        }
        if let Some(i) = &st.impact {
            threats.push(json!({ "category": "impact", "details": i, "product_ids": st.products }));
        }
        if st.status == VexStatus::Affected {
            remediations.extend(csaf_remediations(vu, st));
        }
    }
    out.insert("notes".into(), json!(notes));
    out.insert("product_status".into(), json!(status));
    if !threats.is_empty() {
        out.insert("threats".into(), json!(threats));
    }
    if !remediations.is_empty() {
        out.insert("remediations".into(), json!(remediations));
    }
    Value::Object(out)
}

/// An affected statement's action statements (test 6.1.27.10): the fixed versions, the vendor's
/// remediations, else that none is stated; and a decided mitigation.
fn csaf_remediations(vu: &Vulnerability, st: &Statement) -> Vec<Value> {
    let mut out = Vec::new();
    let has_vendor_fix = vu
        .remediations
        .iter()
        .any(|(k, _, _)| *k == RemediationKind::VendorFix);
    if !st.fixed_in.is_empty() && !has_vendor_fix {
        out.push(json!({
            "category": "vendor_fix",
            "details": format!("Update to a fixed version: {}.", st.fixed_in.join(", ")),
            "product_ids": st.products,
        }));
    }
    for (kind, details, url) in &vu.remediations {
        let mut r = json!({
            "category": csaf_remediation(*kind),
            "details": or(details, "See the advisory."),
            "product_ids": st.products,
        });
        if let Some(u) = url.as_deref().filter(|u| u.starts_with("http")) {
            r["url"] = json!(u);
        }
        out.push(r);
    }
    if out.is_empty() {
        out.push(json!({
            "category": "none_available",
            "details": "The advisory states no fixed version and no remediation.",
            "product_ids": st.products,
        }));
    }
    if let Some(m) = &st.mitigation {
        out.push(json!({
            "category": "mitigation",
            "details": format!("Mitigation decided by the operator: {m}"),
            "product_ids": st.products,
        }));
    }
    out
}

/// The OpenVEX 0.2.0 document.
pub fn openvex(v: &Vex) -> Value {
    let issued = time(&v.issuer.issued);
    let mut statements = Vec::new();
    for vu in &v.vulnerabilities {
        let mut vuln = json!({ "name": vu.id });
        if !vu.title.trim().is_empty() {
            vuln["description"] = json!(vu.title);
        }
        if !vu.aliases.is_empty() {
            vuln["aliases"] = json!(vu.aliases);
        }
        for st in &vu.statements {
            let products: Vec<Value> = st
                .products
                .iter()
                .filter_map(|id| v.products.get(id))
                .map(|p| json!({ "@id": p.iri(), "identifiers": { "purl": p.purl() } }))
                .collect();
            let mut s = json!({
                "vulnerability": vuln,
                "products": products,
                "status": st.status.openvex(),
            });
            if let Some(n) = &st.notes {
                s["status_notes"] = json!(n);
            }
            if let Some(i) = &st.impact {
                s["impact_statement"] = json!(i);
            }
            if let Some(a) = &st.action {
                s["action_statement"] = json!(a);
                s["action_statement_timestamp"] = json!(issued);
            }
            statements.push(s);
        }
    }
    json!({
        "@context": OPENVEX_CONTEXT,
        "@id": format!("urn:firmwatch:vex:{}", v.id),
        "author": or(&v.issuer.author, DEFAULT_AUTHOR),
        "role": "operator of the deployed estate",
        "timestamp": issued,
        "version": 1,
        "tooling": format!("firmwatch {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

/// The CSAF VEX document, pretty-printed, to `w`.
pub fn write_csaf(v: &Vex, mut w: impl std::io::Write) -> Result<(), VexError> {
    let doc = csaf(v)?;
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// The OpenVEX document, pretty-printed, to `w`.
pub fn write_openvex(v: &Vex, mut w: impl std::io::Write) -> Result<(), VexError> {
    serde_json::to_writer_pretty(&mut w, &openvex(v))?;
    w.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::classify::Overrides;
    use crate::model::{AffectedProduct, VersionSpec};
    use crate::testkit::{advisory_for, today, Estate};
    use crate::triage::{Book, Entry};
    use crate::version::Scheme;

    /// A Unity on 5.0.3 with two SPs, and one advisory per row of the mapping table.
    fn estate() -> Estate {
        Estate::new()
            .system("arr", "Dell", "Unity 480F", Scheme::Intdot, "5.0.3")
            .dell_sp("arr", "spa", "5.0.3")
            .system("other", "Dell", "Unity 480F", Scheme::Intdot, "5.0.9")
    }

    fn statement(product: &str, status: ProductStatus, versions: VersionSpec) -> AffectedProduct {
        AffectedProduct {
            vendor: "Dell".into(),
            product: product.into(),
            models: vec![],
            component: Some(ComponentKind::System),
            scheme: None,
            status,
            versions,
            fixed_in: vec![],
            identifiers: vec![],
            recommended: false,
        }
    }

    fn advisories() -> Vec<Advisory> {
        let mut open = advisory_for("CVE-2026-1001", "Dell", "Unity", "vers:intdot/<5.0.6");
        open.affected[0].fixed_in = vec!["5.0.6".into()];
        let mut unknown = advisory_for("FWN-UNKNOWN", "Dell", "Unity", "vers:intdot/<5.0.6");
        unknown.affected[0].status = ProductStatus::UnderInvestigation;
        let fp = advisory_for("FWN-FP", "Dell", "Unity", "vers:intdot/<5.0.6");
        let risk = advisory_for("FWN-RISK", "Dell", "Unity", "vers:intdot/<5.0.6");
        let mitigated = advisory_for("FWN-MIT", "Dell", "Unity", "vers:intdot/<5.0.6");
        // The vendor names 5.0.3 fixed for one bug and not affected for another; a third bug's
        // range merely leaves 5.0.3 out.
        let mut fixed = advisory_for("FWN-FIXED", "Dell", "Unity", "vers:intdot/>=5.0.9");
        fixed.affected.push(statement(
            "Unity",
            ProductStatus::Fixed,
            VersionSpec::Exact("5.0.3".into()),
        ));
        let mut not_affected = advisory_for("FWN-NA", "Dell", "Unity", "vers:intdot/>=5.0.9");
        not_affected.affected.push(statement(
            "Unity",
            ProductStatus::NotAffected,
            VersionSpec::Exact("5.0.3".into()),
        ));
        let outside = advisory_for("FWN-OUTSIDE", "Dell", "Unity", "vers:intdot/>=6.0.0");
        vec![
            open,
            unknown,
            fp,
            risk,
            mitigated,
            fixed,
            not_affected,
            outside,
        ]
    }

    fn entry(finding: &str, state: TriageState, reason: &str) -> Entry {
        Entry {
            finding: finding.into(),
            state,
            reason: reason.into(),
            by: "k.sato".into(),
            on: Some(today()),
            approver: (state == TriageState::AcceptedRisk).then(|| "m.tanaka".into()),
            expires: (state == TriageState::AcceptedRisk).then(|| "2027-01-31".parse().unwrap()),
            setting: None,
        }
    }

    fn vex_of(estate: &Estate, advisories: &[Advisory], scope: &Scope) -> Vex {
        let overrides = Overrides {
            annotations: vec![],
            triage: Book::new(vec![
                entry(
                    "FWN-FP@arr",
                    TriageState::FalsePositive,
                    "no NFS on this array",
                ),
                entry(
                    "FWN-RISK@arr",
                    TriageState::AcceptedRisk,
                    "replaced in January",
                ),
                entry(
                    "FWN-MIT@arr",
                    TriageState::Mitigated,
                    "feature switched off",
                ),
            ]),
        };
        let issued = today().and_time(chrono::NaiveTime::MIN).and_utc();
        let report = crate::pipeline::exposure_report(
            &estate.0,
            advisories,
            &overrides,
            vec![],
            issued,
            today(),
        );
        build(&report, &estate.0, advisories, scope, Issuer::new(issued))
    }

    /// Status per (advisory, product id).
    fn statuses(v: &Vex) -> BTreeMap<(String, String), VexStatus> {
        let mut out = BTreeMap::new();
        for vu in &v.vulnerabilities {
            for st in &vu.statements {
                for p in &st.products {
                    let old = out.insert((vu.id.clone(), p.clone()), st.status);
                    assert!(old.is_none(), "{} {p} stated twice", vu.id);
                }
            }
        }
        out
    }

    #[test]
    fn every_row_of_the_mapping_table() {
        let v = vex_of(&estate(), &advisories(), &Scope::all());
        let s = statuses(&v);
        let at = |adv: &str, p: &str| s.get(&(adv.to_string(), p.to_string())).copied();
        assert_eq!(at("CVE-2026-1001", "arr"), Some(VexStatus::Affected));
        assert_eq!(
            at("CVE-2026-1001", "other"),
            None,
            "5.0.9 is outside the range"
        );
        assert_eq!(
            at("FWN-UNKNOWN", "arr"),
            Some(VexStatus::UnderInvestigation)
        );
        assert_eq!(at("FWN-FP", "arr"), Some(VexStatus::NotAffected));
        assert_eq!(at("FWN-RISK", "arr"), Some(VexStatus::Affected));
        assert_eq!(at("FWN-MIT", "arr"), Some(VexStatus::Affected));
        assert_eq!(at("FWN-FIXED", "arr"), Some(VexStatus::Fixed));
        assert_eq!(at("FWN-FIXED", "other"), Some(VexStatus::Affected));
        assert_eq!(at("FWN-NA", "arr"), Some(VexStatus::NotAffected));
        // Outside a range is not a statement about the deployed version.
        assert!(!v.vulnerabilities.iter().any(|x| x.id == "FWN-OUTSIDE"));

        let one = |adv: &str| {
            v.vulnerabilities
                .iter()
                .find(|x| x.id == adv)
                .unwrap()
                .statements[0]
                .clone()
        };
        let open = one("CVE-2026-1001");
        assert!(
            open.action.as_deref().unwrap().contains("5.0.6"),
            "{open:?}"
        );
        let risk = one("FWN-RISK");
        let action = risk.action.unwrap();
        assert!(action.contains("Risk accepted, not fixed"), "{action}");
        assert!(
            action.contains("m.tanaka") && action.contains("2027-01-31"),
            "{action}"
        );
        let mit = one("FWN-MIT");
        assert!(mit.mitigation.unwrap().contains("feature switched off"));
        let fp = one("FWN-FP");
        assert!(fp.impact.unwrap().contains("no NFS on this array"));
        let unknown = one("FWN-UNKNOWN");
        assert!(
            unknown.notes.unwrap().contains("could not decide"),
            "the reason it is undecided is kept"
        );
        let na = one("FWN-NA");
        assert!(na
            .impact
            .unwrap()
            .contains("the vendor states Dell Unity 480F 5.0.3 not affected"));
    }

    #[test]
    fn csaf_gives_every_affected_product_an_action_and_every_not_affected_an_impact() {
        let v = vex_of(&estate(), &advisories(), &Scope::all());
        let doc = csaf(&v).unwrap();
        assert_eq!(doc["document"]["category"], "csaf_vex");
        let tree = serde_json::to_string(&doc["product_tree"]).unwrap();
        for vu in doc["vulnerabilities"].as_array().unwrap() {
            assert!(vu.get("cve").is_some() || vu.get("ids").is_some(), "{vu}");
            let ids = |list: &str| -> Vec<String> {
                vu["product_status"][list]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default()
            };
            let covered = |key: &str, pred: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
                vu[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|x| pred(x))
                    .flat_map(|x| x["product_ids"].as_array().unwrap().clone())
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect()
            };
            let acted = covered("remediations", &|_| true);
            let impact = covered("threats", &|t| t["category"] == "impact");
            for p in ids("known_affected") {
                assert!(acted.contains(&p), "6.1.27.10: {p} in {vu}");
            }
            for p in ids("known_not_affected") {
                assert!(impact.contains(&p), "6.1.27.9: {p} in {vu}");
            }
            for list in [
                "known_affected",
                "known_not_affected",
                "fixed",
                "under_investigation",
            ] {
                for p in ids(list) {
                    assert!(
                        tree.contains(&format!("\"product_id\":\"{p}\"")),
                        "6.1.1: {p}"
                    );
                }
            }
        }
        let cve = doc["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["cve"] == "CVE-2026-1001")
            .unwrap();
        assert!(
            cve.get("ids").is_none(),
            "a CVE id is the cve, not an id: {cve}"
        );
        let mit = doc["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["ids"][0]["text"] == "FWN-MIT")
            .unwrap();
        assert!(
            mit["remediations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["category"] == "mitigation"),
            "{mit}"
        );
    }

    #[test]
    fn the_same_input_gives_the_same_document_and_other_statements_another_id() {
        let a = vex_of(&estate(), &advisories(), &Scope::all());
        let b = vex_of(&estate(), &advisories(), &Scope::all());
        let text = |v: &Vex| {
            let mut o = Vec::new();
            write_csaf(v, &mut o).unwrap();
            write_openvex(v, &mut o).unwrap();
            o
        };
        assert_eq!(text(&a), text(&b));
        assert!(a.id.starts_with("firmwatch-vex-2026-11-22-"), "{}", a.id);
        let fewer = vex_of(&estate(), &advisories()[..2], &Scope::all());
        assert_ne!(a.id, fewer.id);
    }

    #[test]
    fn scope_limits_the_vendor_statements_and_min_severity_drops_them() {
        let only_other = Scope {
            systems: Some(["other".to_string()].into()),
            vendor_statements: true,
        };
        let s = statuses(&vex_of(&estate(), &advisories(), &only_other));
        assert!(
            !s.contains_key(&("FWN-FIXED".into(), "arr".into())),
            "{s:?}"
        );
        let none = Scope {
            systems: None,
            vendor_statements: false,
        };
        let s = statuses(&vex_of(&estate(), &advisories(), &none));
        assert!(s.values().all(|st| *st != VexStatus::Fixed), "{s:?}");
    }

    #[test]
    fn an_empty_scope_is_an_empty_openvex_and_no_csaf() {
        let v = vex_of(&estate(), &[], &Scope::all());
        assert!(matches!(csaf(&v), Err(VexError::Empty)));
        assert_eq!(openvex(&v)["statements"], json!([]));
    }

    #[test]
    fn identifiers_are_percent_encoded() {
        let p = Product {
            id: "arr/spa".into(),
            system: "arr".into(),
            vendor: "Dell EMC".into(),
            model: "Unity 480F/x".into(),
            kind: ComponentKind::Controller,
            firmware: "5.0.3+b@1".into(),
            count: 1,
        };
        assert_eq!(
            p.purl(),
            "pkg:generic/Dell%20EMC/Unity%20480F%2Fx@5.0.3%2Bb%401"
        );
        assert_eq!(p.iri(), "urn:firmwatch:deployed:arr/spa");
    }

    #[test]
    fn tlp_takes_the_strictest_and_never_loosens() {
        assert_eq!(tlp_rank("CLEAR"), Some(0));
        assert_eq!(tlp_rank("tlp:amber"), Some(2));
        assert_eq!(TLP20[tlp_rank("AMBER+STRICT").unwrap()], "RED");
        assert_eq!(tlp_rank("purple"), None);
    }

    #[test]
    fn only_well_formed_cve_ids_are_cve() {
        assert_eq!(cve("CVE-2023-43074").as_deref(), Some("CVE-2023-43074"));
        assert_eq!(cve("cve-2023-43074"), None);
        assert_eq!(cve("CVE-2023-123"), None);
        assert_eq!(cve("FWN-2026-0001"), None);
    }
}
