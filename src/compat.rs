//! Partner compatibility: versions that must stay within supported combinations.
//!
//! Replication partners, cluster members, and an array with its drives, shelves and HBAs must run
//! firmware that supports each other; an update of one side can break the other. A native
//! advisory states it as requirements (`[[advisory.requires]]`): "the versions in `affected`
//! require each `partner` that is `product` to run `versions`". Partners are found in the
//! inventory:
//!
//! - `replica`: the systems a system replicates to or from (`backups` of kind `replica`, members
//!   of its `replica-pair` groups); `replica-target` and `replica-source` only one direction of
//!   the `backups` of kind `replica` (a destination may run newer firmware than its source);
//! - `cluster`: the other members of its `cluster` groups;
//! - a part kind (`drive`, `enclosure`, `hba` …): the parts of that kind in the same system.
//!
//! A requirement applies to a partner the requirement's product names (the matcher's rule,
//! [`crate::matcher::names_subject`]); it is **broken** when the partner's version is outside the
//! required versions, and **unknown** when that cannot be decided. An advisory with requirements
//! concerns a part only where one is broken or unknown: the matcher drops its other exposures
//! ([`keeps`]), `exposure` rates what is left (`partner-incompatible`), and `check-update` runs
//! [`violations`] after every step of a plan, in order, so a step that breaks a partner is
//! blocked and a plan that updates the partner first passes.

use rustc_hash::FxHashMap as HashMap;

use crate::inventory::{
    BackupKind, Component, ComponentRef, GroupKind, Inventory, System, SystemId,
};
use crate::matcher::{match_inventory, names_subject, spec_contains, Index};
use crate::model::{Advisory, AffectedProduct, Partner, PartnerRequirement, ProductStatus};
use crate::version::Containment;

/// The replication and cluster partners of every system, indexed once.
#[derive(Debug, Default)]
pub struct Relations<'a> {
    replica: HashMap<&'a str, Vec<&'a SystemId>>,
    targets: HashMap<&'a str, Vec<&'a SystemId>>,
    sources: HashMap<&'a str, Vec<&'a SystemId>>,
    cluster: HashMap<&'a str, Vec<&'a SystemId>>,
}

impl<'a> Relations<'a> {
    pub fn new(inv: &'a Inventory) -> Relations<'a> {
        type Map<'a> = HashMap<&'a str, Vec<&'a SystemId>>;
        fn add<'a>(map: &mut Map<'a>, a: &'a SystemId, b: &'a SystemId) {
            let list = map.entry(a.as_str()).or_default();
            if a != b && !list.contains(&b) {
                list.push(b);
            }
        }
        fn link<'a>(map: &mut Map<'a>, a: &'a SystemId, b: &'a SystemId) {
            add(map, a, b);
            add(map, b, a);
        }
        let mut r = Relations::default();
        for b in &inv.backups {
            if b.kind == BackupKind::Replica {
                link(&mut r.replica, &b.of, &b.to);
                add(&mut r.targets, &b.of, &b.to);
                add(&mut r.sources, &b.to, &b.of);
            }
        }
        for g in inv.groups.values() {
            let map = match g.kind {
                GroupKind::ReplicaPair => &mut r.replica,
                GroupKind::Cluster => &mut r.cluster,
                _ => continue,
            };
            for (i, a) in g.members.iter().enumerate() {
                for b in &g.members[i + 1..] {
                    link(map, &a.system, &b.system);
                }
            }
        }
        r
    }

    fn systems(&self, partner: Partner, of: &SystemId) -> &[&'a SystemId] {
        let map = match partner {
            Partner::Replica => &self.replica,
            Partner::ReplicaTarget => &self.targets,
            Partner::ReplicaSource => &self.sources,
            Partner::Cluster => &self.cluster,
            Partner::Part(_) => return &[],
        };
        map.get(of.as_str()).map_or(&[], Vec::as_slice)
    }
}

/// How one partner meets one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Broken,
    /// Cannot be decided, and why.
    Unknown(String),
}

/// One requirement checked against one partner.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerCheck<'a> {
    pub requirement: &'a PartnerRequirement,
    pub partner: ComponentRef,
    /// The partner's version, verbatim.
    pub firmware: &'a str,
    pub outcome: Outcome,
}

impl PartnerCheck<'_> {
    /// The reason line: `subject` on `firmware` and what its partner runs.
    pub fn line(&self, advisory: &str, subject: &str, firmware: &str) -> String {
        let r = self.requirement;
        let who = match r.partner {
            Partner::Replica => "replication partner",
            Partner::ReplicaTarget => "replication target",
            Partner::ReplicaSource => "replication source",
            Partner::Cluster => "cluster peer",
            Partner::Part(k) => k.as_str(),
        };
        match &self.outcome {
            Outcome::Met => format!(
                "{subject} on {firmware} requires its {who} {} ({}) at {}; it runs {}: supported",
                self.partner, r.product, r.versions, self.firmware
            ),
            Outcome::Broken => format!(
                "{subject} on {firmware} requires its {who} {} ({}) at {}, which runs {}: not a \
                 supported combination ({advisory}) — update {} first",
                self.partner, r.product, r.versions, self.firmware, self.partner
            ),
            Outcome::Unknown(why) => format!(
                "{subject} on {firmware} requires its {who} {} ({}) at {}; whether {} is cannot be \
                 decided: {why}",
                self.partner, r.product, r.versions, self.firmware
            ),
        }
    }
}

/// A requirement as a statement the matcher reads: the partner's product, models, scheme and
/// required versions (a part kind of the same system as the statement's component).
pub(crate) fn statement(req: &PartnerRequirement) -> AffectedProduct {
    AffectedProduct {
        vendor: req.vendor.clone(),
        product: req.product.clone(),
        models: req.models.clone(),
        component: match req.partner {
            Partner::Part(k) => Some(k),
            _ => None,
        },
        scheme: req.scheme,
        status: ProductStatus::Affected,
        versions: req.versions.clone(),
        fixed_in: vec![],
        identifiers: vec![],
        recommended: false,
    }
}

/// Every requirement of `adv` checked against the partners of `system`'s firmware (or of its
/// `component`) that the requirement's product names.
pub fn check<'a>(
    inv: &'a Inventory,
    relations: &Relations<'a>,
    adv: &'a Advisory,
    system: &'a System,
    component: Option<&'a Component>,
) -> Vec<PartnerCheck<'a>> {
    let mut out = Vec::new();
    for req in &adv.requires {
        let statement = statement(req);
        let mut checked = |sys: &'a System, comp: Option<&'a Component>| {
            if !names_subject(&statement, &adv.vendor, sys, comp) {
                return;
            }
            let fw = comp.map_or(&sys.firmware, |c| &c.firmware);
            let outcome = match spec_contains(&req.versions, &fw.version) {
                Containment::Affected => Outcome::Met,
                Containment::NotAffected => Outcome::Broken,
                Containment::Unknown(why) => Outcome::Unknown(why),
            };
            out.push(PartnerCheck {
                requirement: req,
                partner: ComponentRef {
                    system: sys.id.clone(),
                    component: comp.map(|c| c.id.clone()),
                },
                firmware: fw.raw(),
                outcome,
            });
        };
        match req.partner {
            Partner::Part(kind) => {
                for c in system.components.iter().filter(|c| c.kind == kind) {
                    if !component.is_some_and(|me| std::ptr::eq(me, c)) {
                        checked(system, Some(c));
                    }
                }
            }
            p => {
                for id in relations.systems(p, &system.id) {
                    if let Some(sys) = inv.systems.get(*id) {
                        checked(sys, None);
                    }
                }
            }
        }
    }
    out
}

/// Whether an exposure of `adv` on `system` (or its `component`) is kept: always for an advisory
/// without requirements; for a compatibility statement only where a partner breaks a requirement
/// or cannot be decided.
pub fn keeps<'a>(
    inv: &'a Inventory,
    relations: &Relations<'a>,
    adv: &'a Advisory,
    system: &'a System,
    component: Option<&'a Component>,
) -> bool {
    adv.requires.is_empty()
        || check(inv, relations, adv, system, component)
            .iter()
            .any(|c| c.outcome != Outcome::Met)
}

/// A requirement broken (or undecidable) in an inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Violation {
    pub advisory: String,
    /// The side whose version makes the requirement.
    pub subject: ComponentRef,
    pub partner: ComponentRef,
    /// The reason line.
    pub line: String,
    /// `false`: it cannot be decided.
    pub broken: bool,
}

/// Every broken or undecidable partner requirement of `advisories` in `inv`.
pub fn violations(inv: &Inventory, advisories: &[Advisory]) -> Vec<Violation> {
    let statements: Vec<Advisory> = advisories
        .iter()
        .filter(|a| !a.requires.is_empty() && a.withdrawn.is_none())
        .cloned()
        .collect();
    if statements.is_empty() {
        return Vec::new();
    }
    let index = Index::build(&statements);
    let matches = match_inventory(inv, &statements, &index);
    let relations = Relations::new(inv);
    let systems: Vec<&System> = inv.systems.values().collect();
    let mut out = Vec::new();
    for e in &matches.exposures {
        let adv = &statements[e.advisory as usize];
        let system = systems[e.system as usize];
        let component = system.components.get(e.component as usize);
        let subject = ComponentRef {
            system: system.id.clone(),
            component: component.map(|c| c.id.clone()),
        };
        let firmware = component.map_or(&system.firmware, |c| &c.firmware).raw();
        for c in check(inv, &relations, adv, system, component) {
            if c.outcome == Outcome::Met {
                continue;
            }
            out.push(Violation {
                advisory: adv.id.to_string(),
                line: c.line(adv.id.as_str(), &subject.to_string(), firmware),
                broken: c.outcome == Outcome::Broken,
                subject: subject.clone(),
                partner: c.partner,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::{Consequence, FindingCode};
    use crate::check::{check, parse_plan, HazardCode, Verdict};
    use crate::classify::Overrides;
    use crate::matcher::MatchState;
    use crate::model::{ComponentKind, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    /// SnapMirror partners `src` and `dst`, both on ONTAP 9.12.1.
    fn pair(src: &str, dst: &str) -> Estate {
        Estate::new()
            .system("src", "NetApp", "AFF A400", Scheme::Ontap, src)
            .system("dst", "NetApp", "FAS8300", Scheme::Ontap, dst)
            .replica("src", "dst")
    }

    /// ONTAP 9.14.1 and later require the replication partner at 9.13.1 or later.
    fn snapmirror() -> Advisory {
        advisory_for("FWN-COMPAT-1", "NetApp", "ONTAP", "vers:ontap/>=9.14.1")
            .effects(&[Effect::DataUnavailable])
            .requires(Partner::Replica, "ONTAP", "vers:ontap/>=9.13.1")
    }

    #[test]
    fn a_supported_combination_is_no_finding_and_a_broken_one_names_both_sides() {
        assert!(run(&pair("9.14.1", "9.13.1"), &[snapmirror()]).is_empty());
        assert!(
            run(&pair("9.12.1", "9.12.1"), &[snapmirror()]).is_empty(),
            "not in range"
        );
        let f = run(&pair("9.14.1", "9.12.1"), &[snapmirror()]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].system.as_str(), "src");
        assert_eq!(f[0].rating.code, FindingCode::UnsupportedCombination);
        assert_eq!(
            f[0].rating.consequence,
            Consequence::ServiceOutage,
            "its effects"
        );
        assert_eq!(
            &*f[0].rating.reasons[1],
            "src on 9.14.1 requires its replication partner dst (ONTAP) at vers:ontap/>=9.13.1, \
             which runs 9.12.1: not a supported combination (FWN-COMPAT-1) — update dst first"
        );
        // Both directions are partners: dst on 9.14.1 with src behind.
        let f = run(&pair("9.12.1", "9.14.1"), &[snapmirror()]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].system.as_str(), "dst");
    }

    #[test]
    fn a_partner_that_cannot_be_compared_is_unknown() {
        let mut e = pair("9.14.1", "9.13.1");
        e.sys("dst").firmware = fw(Scheme::Opaque, "weird-build");
        let f = run(&e, &[snapmirror()]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].state, MatchState::Unknown);
        assert!(
            f[0].rating.reasons[1].contains("cannot be decided"),
            "{:?}",
            f[0].rating.reasons
        );
    }

    #[test]
    fn parts_of_a_kind_are_partners_of_the_system() {
        // Shelf firmware below 0230 is not supported by ONTAP 9.14.1 and later.
        let shelf = advisory_for("FWN-COMPAT-2", "NetApp", "ONTAP", "vers:ontap/>=9.14.1")
            .requires(
                Partner::Part(ComponentKind::Enclosure),
                "DS224C",
                "vers:intdot/>=0230",
            );
        let e = Estate::new()
            .system("fas", "NetApp", "FAS8300", Scheme::Ontap, "9.14.1")
            .netapp_shelf("fas", "shelf-1", "0220")
            .netapp_shelf("fas", "shelf-2", "0240");
        let f = run(&e, &[shelf]);
        assert_eq!(f.len(), 1);
        let l: Vec<&str> = f[0].rating.reasons.iter().map(|l| &**l).collect();
        assert!(
            l[1].starts_with("fas on 9.14.1 requires its enclosure fas/shelf-1 (DS224C)"),
            "{l:?}"
        );
        assert!(!l.iter().any(|x| x.contains("shelf-2")), "{l:?}");
        assert_eq!(
            f[0].rating.consequence,
            Consequence::RedundancyLost,
            "no effects: at least"
        );
    }

    #[test]
    fn a_plan_that_updates_one_side_first_is_blocked_and_the_partner_first_passes() {
        let e = pair("9.12.1", "9.12.1");
        let advisories = [snapmirror()];
        let plan = |first: &str, second: &str| {
            let text = format!(
                "[[step]]\nname = \"one\"\nupdate = [\"{first}\"]\nto = \"9.14.1\"\n\n\
                 [[step]]\nname = \"two\"\nupdate = [\"{second}\"]\nto = \"9.14.1\"\n"
            );
            let plan = parse_plan(&text, &e.0).unwrap();
            check(&e.0, &advisories, &Overrides::default(), &plan, today())
        };
        let src_first = plan("src", "dst");
        let h: Vec<_> = src_first
            .hazards
            .iter()
            .filter(|h| h.code == HazardCode::PartnerIncompatible)
            .collect();
        assert_eq!(h.len(), 1, "{:?}", src_first.hazards);
        assert_eq!(h[0].step, "one");
        assert_eq!(h[0].level, Verdict::Block);
        assert_eq!(
            h[0].reason,
            "after this step src on 9.14.1 requires its replication partner dst (ONTAP) at \
             vers:ontap/>=9.13.1, which runs 9.12.1: not a supported combination (FWN-COMPAT-1) \
             — update dst first"
        );
        assert_eq!(src_first.verdict, Verdict::Block);

        // The same move with the partner first: dst on 9.14.1 needs src at 9.13.1 — also broken
        // after step one. A partner first to a version both sides support passes.
        let text = "[[step]]\nname = \"dst-to-9.13.1\"\nupdate = [\"dst\"]\nto = \"9.13.1\"\n\n\
                    [[step]]\nname = \"src\"\nupdate = [\"src\"]\nto = \"9.14.1\"\n";
        let plan = parse_plan(text, &e.0).unwrap();
        let r = check(&e.0, &advisories, &Overrides::default(), &plan, today());
        assert!(
            !r.hazards
                .iter()
                .any(|h| h.code == HazardCode::PartnerIncompatible),
            "{:?}",
            r.hazards
        );
    }

    #[test]
    fn a_directed_requirement_passes_when_the_target_is_updated_first() {
        // The destination may run newer firmware than its source, not older.
        let newer_target = advisory_for("FWN-COMPAT-3", "NetApp", "ONTAP", "vers:ontap/>=9.14.1")
            .requires(Partner::ReplicaTarget, "ONTAP", "vers:ontap/>=9.14.1");
        let e = pair("9.12.1", "9.12.1");
        let advisories = [newer_target];
        let verdict = |first: &str, second: &str| {
            let text = format!(
                "[[step]]\nname = \"{first}\"\nupdate = [\"{first}\"]\nto = \"9.14.1\"\n\n\
                 [[step]]\nname = \"{second}\"\nupdate = [\"{second}\"]\nto = \"9.14.1\"\n"
            );
            let plan = parse_plan(&text, &e.0).unwrap();
            let r = check(&e.0, &advisories, &Overrides::default(), &plan, today());
            r.hazards
                .into_iter()
                .filter(|h| h.code == HazardCode::PartnerIncompatible)
                .map(|h| (h.step, h.level))
                .collect::<Vec<_>>()
        };
        assert_eq!(verdict("src", "dst"), [("src".to_string(), Verdict::Block)]);
        assert_eq!(verdict("dst", "src"), []);
        // Today: the target newer than its source is supported.
        assert!(run(&pair("9.12.1", "9.14.1"), &advisories).is_empty());
    }

    #[test]
    fn violations_lists_each_broken_pair_once() {
        let v = violations(&pair("9.14.1", "9.12.1").0, &[snapmirror()]);
        assert_eq!(v.len(), 1);
        assert!(v[0].broken);
        assert_eq!(v[0].subject.to_string(), "src");
        assert_eq!(v[0].partner.to_string(), "dst");
        assert!(violations(&pair("9.14.1", "9.14.1").0, &[snapmirror()]).is_empty());
    }
}
