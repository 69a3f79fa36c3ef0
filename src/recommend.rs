//! Which release to go to: the lowest known release of a part's scheme that fixes every open
//! finding on it and introduces none known.
//!
//! **Candidates** are the releases the advisories name for the part's product — fixed versions,
//! vendor-fix remediations, the versions and range bounds of their statements, versions the vendor
//! recommends, the bounds partner requirements put on it — newer than the installed one under the
//! part's scheme. Lifecycle documents name lines, not releases, and add none. A name that does not
//! parse under the scheme, or cannot be ordered against the installed version (an ONTAP `X`
//! build), is listed as such and never guessed into place.
//!
//! **Each candidate** is tried by moving the part there (a system's OS moves with the controllers
//! that run it, as in `check-update`) and matching and rating again. It passes when every
//! finding open on the part today is gone, and no finding appears on the system that was not
//! there — confirmed or undecidable. A line out of standard support counts as an open finding (a
//! recommendation must leave it); a line whose end of support is still ahead does not (it is shown
//! as a note). The first passing candidate, lowest first, is the recommendation; when none passes
//! the answer names the findings that block it: one that no known release fixes, or the findings
//! every fixing release introduces.
//!
//! **Opaque schemes** (drive firmware `HPD8`) have no order, so no *lowest* release exists: the
//! answer is "no recommendation" with that reason, and the named releases that fix everything
//! are listed for the operator to choose with the vendor's notes.
//!
//! **Cost.** Only the part's system and the systems it shares a group, failure domain or backup
//! with are matched per candidate (their exposures are all the rules read across systems); the
//! topology is the whole inventory's, so the findings of the part's system are the ones the whole
//! estate's rating gives it. A million-component estate is not rated again per candidate.
//!
//! Pure: inventory, advisories and annotations in, [`Recommendation`] out.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::blast::{assess, Consequence, Context, Finding, FindingCode};
use crate::classify::Overrides;
use crate::inventory::{Component, ComponentRef, Inventory, System, SystemId};
use crate::matcher::{match_systems, names_subject, Index, MatchState};
use crate::model::{Advisory, AffectedProduct, ComponentKind, ProductStatus, VersionSpec};
use crate::version::{Cmp, Comparator, FwVersion, Scheme};

/// Version of the JSON layout of [`Recommendation`].
pub const SCHEMA_VERSION: u32 = 1;

/// What the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `release` is the lowest known release that fixes every open finding and introduces none.
    Recommended,
    /// Nothing is open on the part today and nothing is undecided: no move is needed for the
    /// known advisories.
    Current,
    /// No known release passes; `blocked_by` says which findings block it.
    NoneFound,
    /// The scheme has no order (opaque drive firmware): no lowest release can be named.
    Unorderable,
}

/// One candidate release and what moving there does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub version: String,
    /// Where the advisories name it: `FWN-2026-0006 fixed_in`, `… range bound`, `… recommended`.
    pub named_by: Vec<String>,
    pub passes: bool,
    /// Today's open findings of the part that are gone there.
    pub fixes: Vec<String>,
    /// Today's open findings of the part still there.
    pub leaves_open: Vec<String>,
    /// Findings on the system there that are not here today (`ID (severity)`).
    pub introduces: Vec<String>,
    /// Findings on the system that cannot be decided there and were not open here.
    pub undecided: Vec<String>,
    /// Informative: a line whose end of support is ahead, a vendor recommendation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A release the vendor recommends for the part's product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorRecommended {
    pub version: String,
    pub advisory: String,
}

/// The answer for one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub schema_version: u32,
    pub today: NaiveDate,
    /// `system` or `system/component`.
    pub subject: String,
    pub installed: String,
    pub scheme: Scheme,
    pub outcome: Outcome,
    /// The recommended release (outcome `recommended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// One sentence: why this answer.
    pub reason: String,
    /// Findings open on the part today (`ID (severity)`): what a recommendation must fix.
    pub open: Vec<String>,
    /// The findings that block every candidate, and how (outcome `none-found`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
    /// Outcome `none-found`: the lowest candidate leaving the fewest findings behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest: Option<String>,
    pub vendor_recommended: Vec<VendorRecommended>,
    /// Every candidate tried, lowest first (in the named order for an opaque scheme).
    pub candidates: Vec<Candidate>,
    /// Names that are not candidates: not a version of the scheme, or not comparable with the
    /// installed one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_candidates: Vec<String>,
}

/// Why a recommendation cannot be computed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecommendError {
    #[error("no system `{0}` in the inventory")]
    NoSystem(String),
    #[error("system `{system}` has no component `{component}`")]
    NoComponent { system: String, component: String },
}

/// The parts that move when `subject` is updated: the system's OS and the controllers running
/// it, or one component. Positions: `None` = the system, `Some(i)` = component `i`.
fn moving(system: &System, component: Option<usize>) -> Vec<Option<usize>> {
    match component {
        Some(i) => vec![Some(i)],
        None => {
            let os = &system.firmware.version;
            std::iter::once(None)
                .chain(
                    system
                        .components
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            c.kind == ComponentKind::Controller
                                && c.firmware.version.raw() == os.raw()
                                && c.firmware.version.scheme() == os.scheme()
                        })
                        .map(|(i, _)| Some(i)),
                )
                .collect()
        }
    }
}

fn part_ref(system: &System, part: Option<usize>) -> ComponentRef {
    ComponentRef {
        system: system.id.clone(),
        component: part.map(|i| system.components[i].id.clone()),
    }
}

/// Systems whose exposures the rating of `sys` reads: itself and those it shares a group, a
/// failure domain or a backup with.
fn related(inv: &Inventory, sys: &SystemId) -> BTreeSet<SystemId> {
    let mut out = BTreeSet::from([sys.clone()]);
    let mut add = |members: &mut dyn Iterator<Item = &ComponentRef>| {
        let ms: Vec<&ComponentRef> = members.collect();
        if ms.iter().any(|m| m.system == *sys) {
            out.extend(ms.iter().map(|m| m.system.clone()));
        }
    };
    for g in inv.groups.values() {
        add(&mut g.members.iter());
    }
    for d in inv.domains.values() {
        add(&mut d.members.iter().chain(&d.fed_by));
    }
    for b in &inv.backups {
        if b.of == *sys || b.to == *sys {
            out.insert(b.of.clone());
            out.insert(b.to.clone());
        }
    }
    out
}

/// The findings of system `sys` in `inv`, matching only the systems in `keep`.
fn rate_system(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    overrides: &Overrides,
    keep: &BTreeSet<SystemId>,
    sys: &SystemId,
    today: NaiveDate,
) -> Vec<Finding> {
    let positions: HashSet<usize> = inv
        .systems
        .keys()
        .enumerate()
        .filter(|(_, id)| keep.contains(*id))
        .map(|(i, _)| i)
        .collect();
    let matches = match_systems(inv, advisories, index, |i| positions.contains(&i));
    let ctx = Context::new(inv, advisories, &matches, today);
    let mut findings = assess(&ctx, overrides);
    findings.retain(|f| f.system == *sys);
    findings
}

fn label(f: &Finding) -> String {
    format!("{} ({})", f.advisory.id, f.rating.severity)
}

/// An end of support still ahead: informative only.
fn approaching_eos(f: &Finding) -> bool {
    f.rating.code == FindingCode::EndOfSupport && f.rating.consequence != Consequence::Unsupported
}

/// Open today on the moving parts: not closed by triage, and not an end of support still ahead.
fn is_open_on(f: &Finding, parts: &[ComponentRef]) -> bool {
    !f.triage.closed() && !approaching_eos(f) && f.parts.iter().any(|p| parts.contains(&p.subject))
}

/// Releases the advisories name for the moving parts, with where.
fn named_releases(
    advisories: &[Advisory],
    system: &System,
    parts: &[Option<usize>],
) -> (BTreeMap<String, Vec<String>>, Vec<VendorRecommended>) {
    let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut recommended: Vec<VendorRecommended> = Vec::new();
    let comps: Vec<Option<&Component>> = parts
        .iter()
        .map(|p| p.map(|i| &system.components[i]))
        .collect();
    // A system's OS is what its controllers run: a release named for the controllers of the
    // product is a release of the OS too (a system with no controllers recorded still has one).
    let names = |st: &AffectedProduct, vendor: &str| {
        comps.iter().any(|c| {
            names_subject(st, vendor, system, *c)
                || (c.is_none()
                    && st.component == Some(ComponentKind::Controller)
                    && names_subject(
                        &AffectedProduct {
                            component: None,
                            ..st.clone()
                        },
                        vendor,
                        system,
                        None,
                    ))
        })
    };
    let mut add = |v: &str, by: String| {
        let e = named.entry(v.trim().to_string()).or_default();
        if !e.contains(&by) {
            e.push(by);
        }
    };
    for adv in advisories {
        if adv.lifecycle.is_some() || adv.withdrawn.is_some() {
            continue;
        }
        let mut any = false;
        for st in adv.affected.iter().filter(|st| names(st, &adv.vendor)) {
            any = true;
            for f in &st.fixed_in {
                add(f, format!("{} fixed_in", adv.id));
            }
            let listed: Vec<&str> = match &st.versions {
                VersionSpec::Exact(v) => vec![v.as_str()],
                VersionSpec::Range(r) => r.exact_versions().unwrap_or_default(),
                _ => vec![],
            };
            if st.recommended && st.status != ProductStatus::Affected {
                for v in &listed {
                    add(v, format!("{} recommended", adv.id));
                    if !recommended.iter().any(|r| r.version == *v) {
                        recommended.push(VendorRecommended {
                            version: v.to_string(),
                            advisory: adv.id.to_string(),
                        });
                    }
                }
            }
            match &st.versions {
                VersionSpec::Range(r) if r.exact_versions().is_none() => {
                    for c in r.constraints() {
                        if c.comparator != Comparator::Ne {
                            add(&c.raw, format!("{} range bound", adv.id));
                        }
                    }
                }
                _ => {
                    for v in listed {
                        add(v, format!("{} {}", adv.id, status_word(st.status)));
                    }
                }
            }
        }
        if any {
            for r in &adv.remediations {
                if let Some(v) = &r.version {
                    add(v, format!("{} remediation", adv.id));
                }
            }
        }
        for req in &adv.requires {
            // Whatever part the requirement names, its bounds are releases of that product.
            let st = AffectedProduct {
                component: None,
                ..crate::compat::statement(req)
            };
            if let (true, VersionSpec::Range(r)) = (names(&st, &adv.vendor), &req.versions) {
                for c in r.constraints() {
                    if c.comparator != Comparator::Ne {
                        add(&c.raw, format!("{} partner requirement", adv.id));
                    }
                }
            }
        }
    }
    (named, recommended)
}

fn status_word(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Affected => "affected version",
        ProductStatus::NotAffected => "not-affected version",
        ProductStatus::Fixed => "fixed version",
        ProductStatus::UnderInvestigation => "version under investigation",
        ProductStatus::Unknown => "version of unknown status",
    }
}

/// The recommendation for `system` (its OS) or `system/component`. `advisories` are prepared
/// (deduplicated, classified) as for `exposure`.
pub fn recommend(
    inv: &Inventory,
    advisories: &[Advisory],
    overrides: &Overrides,
    system: &str,
    component: Option<&str>,
    today: NaiveDate,
) -> Result<Recommendation, RecommendError> {
    let index = Index::build(advisories);
    recommend_with(inv, advisories, &index, overrides, system, component, today)
}

/// [`recommend`] with the advisories indexed already.
pub fn recommend_with(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    overrides: &Overrides,
    system: &str,
    component: Option<&str>,
    today: NaiveDate,
) -> Result<Recommendation, RecommendError> {
    let sys = inv
        .systems
        .values()
        .find(|s| s.id.as_str() == system)
        .ok_or_else(|| RecommendError::NoSystem(system.to_string()))?;
    let comp = match component {
        None => None,
        Some(c) => Some(
            sys.components
                .iter()
                .position(|x| &*x.id == c)
                .ok_or_else(|| RecommendError::NoComponent {
                    system: system.to_string(),
                    component: c.to_string(),
                })?,
        ),
    };
    let installed: Arc<FwVersion> = match comp {
        None => sys.firmware.version.clone(),
        Some(i) => sys.components[i].firmware.version.clone(),
    };
    let scheme = installed.scheme();
    let parts = moving(sys, comp);
    let part_refs: Vec<ComponentRef> = parts.iter().map(|p| part_ref(sys, *p)).collect();
    let subject = part_ref(sys, comp).to_string();
    let keep = related(inv, &sys.id);
    let before = rate_system(inv, advisories, index, overrides, &keep, &sys.id, today);
    let open: Vec<&Finding> = before
        .iter()
        .filter(|f| is_open_on(f, &part_refs))
        .collect();
    let before_ids: HashSet<&str> = before.iter().map(|f| f.id.as_str()).collect();

    let (named, vendor_recommended) = named_releases(advisories, sys, &parts);
    let mut not_candidates = Vec::new();
    let mut candidates: Vec<(FwVersion, Vec<String>)> = Vec::new();
    for (raw, by) in named {
        let v = match FwVersion::parse(scheme, &raw) {
            Ok(v) => v,
            Err(_) => {
                not_candidates.push(format!("{raw} ({}): not a {scheme} version", by.join(", ")));
                continue;
            }
        };
        if scheme == Scheme::Opaque {
            // Without an order, a release named only as affected is no way out of it.
            let only_affected = by.iter().all(|b| b.ends_with(" affected version"));
            if v.raw() != installed.raw() && !only_affected {
                candidates.push((v, by));
            }
            continue;
        }
        match v.compare(&installed) {
            Cmp::Greater => {}
            Cmp::Equal | Cmp::Less => continue,
            Cmp::Incomparable(why) => {
                not_candidates.push(format!(
                    "{raw} ({}): cannot be ordered against {}: {why}",
                    by.join(", "),
                    installed.raw()
                ));
                continue;
            }
        }
        // One release written two ways (`5.0.6` and `5.0.6.0`) is one candidate: keep the
        // first spelling, gather the names.
        match candidates
            .iter_mut()
            .find(|(c, _)| c.compare(&v) == Cmp::Equal)
        {
            Some((_, b)) => b.extend(by),
            None => candidates.push((v, by)),
        }
    }
    if scheme != Scheme::Opaque {
        // Candidates are all newer than the installed version of one ordered scheme; two that
        // cannot be ordered between themselves keep their name order (the sort is stable).
        candidates.sort_by(|a, b| match a.0.compare(&b.0) {
            Cmp::Less => std::cmp::Ordering::Less,
            Cmp::Greater => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        });
    }

    let mut work = inv.clone();
    let mut tried = Vec::new();
    for (v, by) in candidates {
        let v = Arc::new(v);
        if let Some(s) = work.systems.get_mut(&sys.id) {
            for p in &parts {
                match p {
                    None => s.firmware.version = v.clone(),
                    Some(i) => s.components[*i].firmware.version = v.clone(),
                }
            }
        }
        let after = rate_system(&work, advisories, index, overrides, &keep, &sys.id, today);
        let after_ids: HashSet<&str> = after.iter().map(|f| f.id.as_str()).collect();
        let mut c = Candidate {
            version: v.raw().to_string(),
            named_by: by,
            passes: false,
            fixes: vec![],
            leaves_open: vec![],
            introduces: vec![],
            undecided: vec![],
            notes: vec![],
        };
        for f in &open {
            if after_ids.contains(f.id.as_str()) {
                c.leaves_open.push(label(f));
            } else {
                c.fixes.push(label(f));
            }
        }
        for f in after
            .iter()
            .filter(|f| !before_ids.contains(f.id.as_str()) && !f.triage.closed())
        {
            if approaching_eos(f) {
                c.notes.push(format!(
                    "{}: {}",
                    f.advisory.id,
                    f.rating.reasons.get(1).map_or("", |r| &**r)
                ));
            } else if f.state == MatchState::Unknown {
                c.undecided
                    .push(format!("{}: {}", f.advisory.id, f.evidence));
            } else {
                c.introduces.push(label(f));
            }
        }
        if vendor_recommended.iter().any(|r| r.version == c.version) {
            c.notes
                .push("the vendor recommends this release".to_string());
        }
        c.passes = c.leaves_open.is_empty() && c.introduces.is_empty() && c.undecided.is_empty();
        tried.push(c);
    }

    let open_labels: Vec<String> = open.iter().map(|f| label(f)).collect();
    let mut rec = Recommendation {
        schema_version: SCHEMA_VERSION,
        today,
        subject,
        installed: installed.raw().to_string(),
        scheme,
        outcome: Outcome::NoneFound,
        release: None,
        reason: String::new(),
        open: open_labels,
        blocked_by: vec![],
        closest: None,
        vendor_recommended,
        candidates: tried,
        not_candidates,
    };
    decide(&mut rec, &open);
    Ok(rec)
}

/// The outcome, the reason and, when nothing passes, what blocks it.
fn decide(rec: &mut Recommendation, open: &[&Finding]) {
    let vendor = match rec.vendor_recommended.as_slice() {
        [] => String::new(),
        rs => format!(
            "; the vendor recommends {}",
            rs.iter()
                .map(|r| format!("{} ({})", r.version, r.advisory))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if open.is_empty() {
        rec.outcome = Outcome::Current;
        rec.reason = format!(
            "no finding is open or undecided on {} at {}: no move is needed for the known \
             advisories{vendor}",
            rec.subject, rec.installed
        );
        return;
    }
    if rec.scheme == Scheme::Opaque {
        rec.outcome = Outcome::Unorderable;
        let clean: Vec<&str> = rec
            .candidates
            .iter()
            .filter(|c| c.passes)
            .map(|c| c.version.as_str())
            .collect();
        rec.reason =
            format!(
            "{} is an opaque firmware id: its releases have no order firmwatch may assume, so no \
             lowest release can be named{}{vendor}",
            rec.installed,
            if clean.is_empty() {
                String::from("; no named release fixes every open finding here")
            } else {
                format!(
                    "; of the releases the advisories name, {} {} every open finding here and \
                     {} none known — choose with the vendor's release notes",
                    clean.join(", "),
                    if clean.len() == 1 { "fixes" } else { "fix" },
                    if clean.len() == 1 { "introduces" } else { "introduce" }
                )
            }
        );
        return;
    }
    if let Some(c) = rec.candidates.iter().find(|c| c.passes) {
        rec.outcome = Outcome::Recommended;
        rec.release = Some(c.version.clone());
        rec.reason = format!(
            "{} is the lowest known {} release that fixes {} and introduces no known \
             finding{vendor}",
            c.version,
            rec.scheme,
            match c.fixes.as_slice() {
                [one] => format!("the open finding {one}"),
                all => format!("all {} open findings ({})", all.len(), all.join(", ")),
            }
        );
        return;
    }
    rec.outcome = Outcome::NoneFound;
    if rec.candidates.is_empty() {
        rec.reason = format!(
            "no advisory names a {} release newer than {} for this product{vendor}",
            rec.scheme, rec.installed
        );
        for f in open {
            rec.blocked_by.push(match f.fixed_in.as_slice() {
                [] => format!("{}: no fixed version is known", f.advisory.id),
                fixed => format!(
                    "{}: its fixed versions ({}) are not newer releases of {}",
                    f.advisory.id,
                    fixed.join(", "),
                    rec.installed
                ),
            });
        }
        return;
    }
    for f in open {
        let l = label(f);
        let fixing: Vec<&Candidate> = rec
            .candidates
            .iter()
            .filter(|c| c.fixes.contains(&l))
            .collect();
        if fixing.is_empty() {
            rec.blocked_by
                .push(if f.rating.code == FindingCode::EndOfSupport {
                    format!(
                    "{}: the line is out of support, and no advisory names a release of a later \
                     line that leaves it ({})",
                    f.advisory.id,
                    crate::report::top_reason(f)
                )
                } else if f.fixed_in.is_empty() {
                    format!(
                    "{}: no fixed version is known, and it stays open at every known release ({})",
                    f.advisory.id,
                    crate::report::top_reason(f)
                )
                } else {
                    format!(
                        "{}: stays open at every known release (fixed in {}: {})",
                        f.advisory.id,
                        f.fixed_in.join(", "),
                        crate::report::top_reason(f)
                    )
                });
        }
    }
    if rec.blocked_by.is_empty() {
        // Each open finding has a fixing release, but none fixes all of them cleanly.
        for c in rec.candidates.iter().filter(|c| c.leaves_open.is_empty()) {
            let mut what: Vec<String> = c.introduces.clone();
            what.extend(c.undecided.iter().map(|u| format!("undecided {u}")));
            rec.blocked_by.push(format!(
                "{} fixes every open finding but introduces {}",
                c.version,
                what.join(", ")
            ));
        }
        if rec.blocked_by.is_empty() {
            rec.blocked_by.push(
                "no single known release fixes every open finding: each fixes some and leaves others"
                    .to_string(),
            );
        }
    }
    rec.closest = rec
        .candidates
        .iter()
        .min_by_key(|c| c.leaves_open.len() + c.introduces.len() + c.undecided.len())
        .map(|c| c.version.clone());
    rec.reason = format!(
        "no known release fixes every open finding on {} without introducing one{vendor}",
        rec.subject
    );
}

impl Recommendation {
    /// One line: `recommended release for X: V (why)` or `no recommendation for X: why`.
    pub fn line(&self) -> String {
        match (&self.outcome, &self.release) {
            (Outcome::Recommended, Some(v)) => format!(
                "recommended release for {}: {v} ({})",
                self.subject, self.reason
            ),
            (Outcome::Current, _) => format!(
                "recommended release for {}: stay on {} ({})",
                self.subject, self.installed, self.reason
            ),
            _ => format!("no recommendation for {}: {}", self.subject, self.reason),
        }
    }

    /// The whole answer as text: the line, what is open, what blocks, the vendor's choice, and
    /// every candidate with what moving there does.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.line());
        let _ = writeln!(o, "  installed: {} ({})", self.installed, self.scheme);
        let _ = writeln!(
            o,
            "  open here: {}",
            if self.open.is_empty() {
                "none".to_string()
            } else {
                self.open.join(", ")
            }
        );
        for b in &self.blocked_by {
            let _ = writeln!(o, "  blocked by: {b}");
        }
        if let Some(c) = &self.closest {
            let _ = writeln!(o, "  closest: {c}");
        }
        for r in &self.vendor_recommended {
            let _ = writeln!(o, "  vendor recommends: {} ({})", r.version, r.advisory);
        }
        if self.candidates.is_empty() {
            let _ = writeln!(o, "  candidates: none");
        } else {
            let _ = writeln!(
                o,
                "  candidates{}:",
                if self.scheme == Scheme::Opaque {
                    " (no order)"
                } else {
                    ", lowest first"
                }
            );
        }
        let none = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        for c in &self.candidates {
            let _ = writeln!(
                o,
                "    {} {} — named by {}",
                if c.passes { "pass" } else { "fail" },
                c.version,
                c.named_by.join(", ")
            );
            let _ = writeln!(
                o,
                "      fixes {}; leaves open {}; introduces {}",
                none(&c.fixes),
                none(&c.leaves_open),
                none(&c.introduces)
            );
            for u in &c.undecided {
                let _ = writeln!(o, "      undecided: {u}");
            }
            for n in &c.notes {
                let _ = writeln!(o, "      note: {n}");
            }
        }
        for n in &self.not_candidates {
            let _ = writeln!(o, "  not a candidate: {n}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Effect, Lifecycle};
    use crate::testkit::*;

    fn bug(id: &str, product: &str, range: &str, fixed: &[&str]) -> Advisory {
        let vendor = if range.starts_with("vers:ontap") {
            "NetApp"
        } else {
            "Dell"
        };
        let mut a = advisory_for(id, vendor, product, range).effects(&[Effect::DataUnavailable]);
        a.affected[0].fixed_in = fixed.iter().map(|s| s.to_string()).collect();
        a
    }

    fn rec(
        e: &Estate,
        advisories: &[Advisory],
        system: &str,
        comp: Option<&str>,
    ) -> Recommendation {
        recommend(
            &e.0,
            advisories,
            &Overrides::default(),
            system,
            comp,
            today(),
        )
        .unwrap()
    }

    fn versions(r: &Recommendation) -> Vec<&str> {
        r.candidates.iter().map(|c| c.version.as_str()).collect()
    }

    fn fas(fw: &str) -> Estate {
        Estate::new().system("fas", "NetApp", "FAS8300", Scheme::Ontap, fw)
    }

    #[test]
    fn ontap_p_releases_order_by_number_not_by_text() {
        // "9.12.1P10" < "9.12.1P5" as text; as releases P5 < P10 < 9.13.1.
        let advisories = [
            bug(
                "FWN-A",
                "ONTAP",
                "vers:ontap/>=9.12.1|<9.12.1P10",
                &["9.12.1P10"],
            ),
            bug(
                "FWN-B",
                "ONTAP",
                "vers:ontap/>=9.12.1|<9.12.1P5",
                &["9.12.1P5"],
            ),
            bug(
                "FWN-C",
                "ONTAP",
                "vers:ontap/>=9.13.1|<9.13.1P2",
                &["9.13.1P2"],
            ),
        ];
        let r = rec(&fas("9.12.1P2"), &advisories, "fas", None);
        assert_eq!(
            versions(&r),
            ["9.12.1P5", "9.12.1P10", "9.13.1", "9.13.1P2"],
            "9.12.1 is not newer than 9.12.1P2"
        );
        assert_eq!(r.outcome, Outcome::Recommended);
        assert_eq!(r.release.as_deref(), Some("9.12.1P10"));
        assert_eq!(r.candidates[0].leaves_open, ["FWN-A (high)"]);
        assert!(r.candidates[2]
            .introduces
            .iter()
            .any(|i| i.starts_with("FWN-C")));
        assert!(
            r.reason.contains("fixes all 2 open findings"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn unity_six_part_releases_and_a_release_that_introduces_a_bug() {
        let e = Estate::new().system(
            "u",
            "Dell EMC",
            "Unity 480F",
            Scheme::Intdot,
            "5.1.2.0.5.007",
        );
        let advisories = [
            bug(
                "FWN-A",
                "Unity",
                "vers:intdot/<5.1.2.0.5.10",
                &["5.1.2.0.5.10"],
            ),
            bug(
                "FWN-B",
                "Unity",
                "vers:intdot/<5.1.2.0.5.009",
                &["5.1.2.0.5.009"],
            ),
            bug(
                "FWN-C",
                "Unity",
                "vers:intdot/>=5.1.2.0.5.10|<5.1.3",
                &["5.1.3"],
            ),
        ];
        let r = rec(&e, &advisories, "u", None);
        // 009 < 10 numerically (leading zeros are insignificant).
        assert_eq!(versions(&r), ["5.1.2.0.5.009", "5.1.2.0.5.10", "5.1.3"]);
        assert_eq!(r.candidates[0].leaves_open, ["FWN-A (high)"]);
        assert_eq!(r.candidates[1].introduces, ["FWN-C (high)"]);
        assert_eq!(r.release.as_deref(), Some("5.1.3"));
    }

    #[test]
    fn drive_firmware_cannot_be_ordered_so_no_release_is_recommended() {
        let e = Estate::new()
            .system("db", "HPE", "ProLiant DL380 Gen10", Scheme::Intdot, "2.90")
            .hpe_ssds("db", "ssd", "HPD7", 8);
        let mut a = advisory_for("FWN-SSD", "HPE", "SAS SSD", "vers:opaque/HPD5|HPD6|HPD7")
            .on(ComponentKind::Drive)
            .effects(&[Effect::DataLoss]);
        a.affected[0].fixed_in = vec!["HPD8".into()];
        a.affected[0].models = vec!["VO1920JFDGV".into()];
        let r = rec(&e, &[a], "db", Some("ssd"));
        assert_eq!(r.outcome, Outcome::Unorderable);
        assert_eq!(r.release, None);
        assert_eq!(versions(&r), ["HPD8"], "named only as affected: no way out");
        assert!(r.reason.contains("opaque firmware id"), "{}", r.reason);
        assert!(
            r.reason.contains("HPD8 fixes every open finding"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn no_fixed_version_names_the_blocking_finding() {
        let advisories = [
            bug("FWN-NOFIX", "ONTAP", "vers:ontap/>=9.8", &[]),
            bug("FWN-B", "ONTAP", "vers:ontap/<9.9.1", &["9.9.1"]),
        ];
        let r = rec(&fas("9.8P3"), &advisories, "fas", None);
        assert_eq!(r.outcome, Outcome::NoneFound);
        assert_eq!(r.release, None);
        assert!(
            r.blocked_by
                .iter()
                .any(|b| b.starts_with("FWN-NOFIX: no fixed version is known")),
            "{:?}",
            r.blocked_by
        );
        assert_eq!(r.closest.as_deref(), Some("9.9.1"));
    }

    #[test]
    fn every_fixing_release_introducing_a_bug_is_named() {
        let advisories = [
            bug("FWN-OLD", "ONTAP", "vers:ontap/<9.9.1", &["9.9.1"]),
            bug("FWN-NEW", "ONTAP", "vers:ontap/>=9.9.1", &[]),
        ];
        let r = rec(&fas("9.8P3"), &advisories, "fas", None);
        assert_eq!(r.outcome, Outcome::NoneFound);
        assert_eq!(
            r.blocked_by,
            ["9.9.1 fixes every open finding but introduces FWN-NEW (high)"]
        );
    }

    #[test]
    fn nothing_open_is_current_with_the_evidence_and_nothing_named_is_none_found() {
        let advisories = [bug("FWN-A", "ONTAP", "vers:ontap/<9.8P3", &["9.8P3"])];
        let r = rec(&fas("9.8P3"), &advisories, "fas", None);
        assert_eq!(r.outcome, Outcome::Current);
        assert!(r.open.is_empty());
        assert!(r.line().contains("stay on 9.8P3"), "{}", r.line());

        // A bound is a named release: `<9.9` names 9.9, which is outside the range.
        let r = rec(
            &fas("9.8P3"),
            &[bug("FWN-X", "ONTAP", "vers:ontap/<9.9", &[])],
            "fas",
            None,
        );
        assert_eq!(r.release.as_deref(), Some("9.9"));
        // Nothing newer is named at all.
        let r = rec(
            &fas("9.8P3"),
            &[bug("FWN-X", "ONTAP", "vers:ontap/>=9.8|<=9.8P3", &[])],
            "fas",
            None,
        );
        assert_eq!(r.outcome, Outcome::NoneFound);
        assert!(r.candidates.is_empty());
        assert!(
            r.reason
                .contains("no advisory names a ontap release newer than 9.8P3"),
            "{}",
            r.reason
        );
        assert_eq!(r.blocked_by, ["FWN-X: no fixed version is known"]);
    }

    #[test]
    fn an_out_of_support_line_must_be_left_and_one_still_supported_is_a_note() {
        let mut line = advisory_for("FWL-98", "NetApp", "ONTAP", "vers:ontap/>=9.8RC0|<9.9")
            .effects(&[Effect::EndOfSupport]);
        line.lifecycle = Some(Lifecycle {
            line: "9.8".into(),
            end_of_standard_support: "2025-01-01".parse().unwrap(),
            end_of_extended_support: None,
            source: "https://vendor.example".into(),
            illustrative: false,
        });
        let mut next = advisory_for("FWL-991", "NetApp", "ONTAP", "vers:ontap/>=9.9.1RC0|<9.9.2")
            .effects(&[Effect::EndOfSupport]);
        next.lifecycle = Some(Lifecycle {
            line: "9.9.1".into(),
            end_of_standard_support: "2027-06-01".parse().unwrap(),
            ..line.lifecycle.clone().unwrap()
        });
        let advisories = [
            bug("FWN-A", "ONTAP", "vers:ontap/>=9.8|<9.8P6", &["9.8P6"]),
            bug(
                "FWN-B",
                "ONTAP",
                "vers:ontap/>=9.9.1|<9.9.1P1",
                &["9.9.1P1"],
            ),
            line,
            next,
        ];
        let r = rec(&fas("9.8P3"), &advisories, "fas", None);
        assert!(
            r.open.iter().any(|o| o.starts_with("FWL-98 ")),
            "{:?}",
            r.open
        );
        assert_eq!(r.candidates[0].version, "9.8P6");
        assert!(r.candidates[0]
            .leaves_open
            .iter()
            .any(|o| o.starts_with("FWL-98 ")));
        assert_eq!(r.release.as_deref(), Some("9.9.1P1"));
        let pick = r.candidates.iter().find(|c| c.passes).unwrap();
        assert!(
            pick.notes.iter().any(|n| n.starts_with("FWL-991: ")),
            "{:?}",
            pick.notes
        );
    }

    #[test]
    fn the_vendors_recommendation_is_shown_and_is_a_candidate() {
        let mut a = bug(
            "FWN-A",
            "ONTAP",
            "vers:ontap/>=9.12.1|<9.12.1P5",
            &["9.12.1P5"],
        );
        let mut rec_st = a.affected[0].clone();
        rec_st.status = ProductStatus::Fixed;
        rec_st.versions = VersionSpec::Exact("9.12.1P10".into());
        rec_st.fixed_in.clear();
        rec_st.recommended = true;
        a.affected.push(rec_st);
        let r = rec(&fas("9.12.1P2"), &[a], "fas", None);
        assert_eq!(r.release.as_deref(), Some("9.12.1P5"));
        assert_eq!(
            r.vendor_recommended,
            [VendorRecommended {
                version: "9.12.1P10".into(),
                advisory: "FWN-A".into()
            }]
        );
        assert!(r.reason.contains("the vendor recommends 9.12.1P10 (FWN-A)"));
        assert_eq!(versions(&r), ["9.12.1P5", "9.12.1P10"]);
    }

    #[test]
    fn rating_the_related_systems_only_gives_the_whole_estates_findings_of_the_system() {
        // A replica pair with a partner requirement, a group and a backup across systems.
        let e = Estate::new()
            .system("src", "NetApp", "AFF A400", Scheme::Ontap, "9.8P6")
            .system("dst", "NetApp", "AFF A400", Scheme::Ontap, "9.8P3")
            .system("other", "NetApp", "AFF A400", Scheme::Ontap, "9.8P3")
            .replica("src", "dst");
        let advisories = [
            bug("FWN-A", "ONTAP", "vers:ontap/>=9.8|<9.8P6", &["9.8P6"]),
            advisory_for("FWN-R", "NetApp", "ONTAP", "vers:ontap/>=9.8P6").requires(
                crate::model::Partner::ReplicaTarget,
                "ONTAP",
                "vers:ontap/>=9.8P6",
            ),
        ];
        let index = Index::build(&advisories);
        let all = run(&e, &advisories);
        for sys in ["src", "dst", "other"] {
            let id: SystemId = sys.parse().unwrap();
            let keep = related(&e.0, &id);
            let mine = rate_system(
                &e.0,
                &advisories,
                &index,
                &Overrides::default(),
                &keep,
                &id,
                today(),
            );
            let whole: Vec<&Finding> = all.iter().filter(|f| f.system == id).collect();
            assert_eq!(mine.iter().collect::<Vec<_>>(), whole, "{sys}");
            assert!(!mine.is_empty(), "{sys} has findings to compare");
        }
        assert!(
            !related(&e.0, &"src".parse().unwrap()).contains(&"other".parse::<SystemId>().unwrap())
        );
    }
}
