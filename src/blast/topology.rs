//! The inventory's relations indexed for rating, and the context every rule reads.
//!
//! The matcher names an exposure by position (`system`, `component` index), and the rules ask
//! about positions: which groups is this part in, which services depend on this system, where are
//! its backups, is that member exposed too. [`Topology`] answers each from vectors indexed by
//! position, built once per inventory, so rating a finding never scans the estate and never hashes
//! an id; it depends on the inventory alone, so it can be built while the estate is matched
//! ([`Context::with_topology`]).

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::finding::AdvisoryTexts;
use super::rating::UNKNOWN_REASON;
use crate::inventory::{
    Backup, Component, ComponentRef, FailureDomain, Inventory, RedundancyGroup, Service, System,
    SystemId,
};
use crate::matcher::{Decision, Exposure, Matches};
use crate::model::{Advisory, ComponentKind, Effect};

/// `(system, component)` positions as the matcher gives them ([`Exposure::SYSTEM`] for the system).
pub(super) type Pos = (u32, u32);

/// A redundancy group with its members resolved to positions (same order as `group.members`).
pub(super) struct GroupInfo<'a> {
    pub(super) group: &'a RedundancyGroup,
    pub(super) members: Vec<Pos>,
}

/// The inventory's relations indexed by position, so rating a finding never scans the estate and
/// never hashes an id: built once, every member reference resolved once. It depends on the
/// inventory alone, so it can be built while the estate is matched ([`Context::with_topology`]).
pub struct Topology<'a> {
    pub(super) inventory: &'a Inventory,
    /// In id order (the inventory's map): positions order as the systems' ids.
    pub(super) systems: Vec<&'a System>,
    /// Each system's display name, shared by its findings.
    pub(super) names: Vec<Arc<str>>,
    pub(super) groups: Vec<GroupInfo<'a>>,
    /// Per system: its subjects' first index in `member_groups_at` (the system itself, then its
    /// components), so a subject's number is `subject_base[s] + component + 1` (system: `+ 0`).
    subject_base: Vec<u32>,
    /// The groups each subject is a member of, as ranges of `member_groups`.
    member_groups_at: Vec<u32>,
    member_groups: Vec<u32>,
    /// Groups with a member in each system, in inventory order.
    pub(super) system_groups: Vec<Vec<u32>>,
    pub(super) services: Vec<Vec<&'a Service>>,
    pub(super) domains: Vec<Vec<&'a FailureDomain>>,
    /// Backups of each system, with the target's position.
    pub(super) backups: Vec<Vec<(&'a Backup, Option<u32>)>>,
    /// Replication and cluster partners, for compatibility statements.
    pub(super) relations: crate::compat::Relations<'a>,
    /// Failure domains with a `fed_by`, each with its feeders resolved to positions.
    pub(super) fed: Vec<(&'a FailureDomain, Vec<Pos>)>,
}

/// The groups index of a [`Topology`]: each group's members resolved, and the groups of every
/// subject and of every system.
struct Membership<'a> {
    groups: Vec<GroupInfo<'a>>,
    system_groups: Vec<Vec<u32>>,
    member_groups_at: Vec<u32>,
    member_groups: Vec<u32>,
}

impl<'a> Topology<'a> {
    pub fn new(inv: &'a Inventory) -> Topology<'a> {
        let systems: Vec<&System> = inv.systems.values().collect();
        let n = systems.len();
        let sys_index: HashMap<&str, u32> = systems
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as u32))
            .collect();
        let subject_base = subject_bases(&systems);
        let Membership {
            groups,
            system_groups,
            member_groups_at,
            member_groups,
        } = membership(inv, &systems, &sys_index, &subject_base);
        let mut services = vec![Vec::new(); n];
        for svc in inv.services.values() {
            for d in &svc.depends_on {
                if let Some(&s) = sys_index.get(d.system.as_str()) {
                    push_once(&mut services[s as usize], svc);
                }
            }
        }
        let mut domains = vec![Vec::new(); n];
        for dom in inv.domains.values() {
            for m in &dom.members {
                if let Some(&s) = sys_index.get(m.system.as_str()) {
                    push_once(&mut domains[s as usize], dom);
                }
            }
        }
        let fed = inv
            .domains
            .values()
            .filter(|d| !d.fed_by.is_empty())
            .map(|d| {
                let feeders = d
                    .fed_by
                    .iter()
                    .filter_map(|f| {
                        let s = *sys_index.get(f.system.as_str())?;
                        match f.component.as_deref() {
                            None => Some((s, Exposure::SYSTEM)),
                            Some(c) => systems[s as usize]
                                .components
                                .iter()
                                .position(|x| &*x.id == c)
                                .map(|i| (s, i as u32)),
                        }
                    })
                    .collect();
                (d, feeders)
            })
            .collect();
        let mut backups: Vec<Vec<(&Backup, Option<u32>)>> = vec![Vec::new(); n];
        for b in &inv.backups {
            if let Some(&s) = sys_index.get(b.of.as_str()) {
                let list = &mut backups[s as usize];
                if !list.iter().any(|(x, _)| std::ptr::eq(*x, b)) {
                    list.push((b, sys_index.get(b.to.as_str()).copied()));
                }
            }
        }
        Topology {
            inventory: inv,
            names: systems.iter().map(|s| Arc::from(s.name.as_str())).collect(),
            systems,
            groups,
            subject_base,
            member_groups_at,
            member_groups,
            system_groups,
            services,
            domains,
            backups,
            relations: crate::compat::Relations::new(inv),
            fed,
        }
    }

    pub(super) fn component(&self, (s, c): Pos) -> Option<&'a Component> {
        self.systems.get(s as usize)?.components.get(c as usize)
    }

    /// Groups the subject at `pos` is a member of, in inventory order.
    pub(super) fn member_groups(&self, (s, c): Pos) -> impl Iterator<Item = &GroupInfo<'a>> + '_ {
        let subject = self.subject_base[s as usize] + c.wrapping_add(1);
        let from = self.member_groups_at[subject as usize] as usize;
        let to = self.member_groups_at[subject as usize + 1] as usize;
        self.member_groups[from..to]
            .iter()
            .map(|&g| &self.groups[g as usize])
    }
}

/// `v` with `x` added unless it holds that very item already.
fn push_once<'x, T>(v: &mut Vec<&'x T>, x: &'x T) {
    if !v.iter().any(|y| std::ptr::eq(*y, x)) {
        v.push(x);
    }
}

/// Each system's first subject number (the system itself, then its components), and the total
/// number of subjects at the end.
fn subject_bases(systems: &[&System]) -> Vec<u32> {
    let mut subject_base = Vec::with_capacity(systems.len() + 1);
    let mut next = 0u32;
    for s in systems {
        subject_base.push(next);
        next += 1 + s.components.len() as u32;
    }
    subject_base.push(next);
    subject_base
}

/// Resolve every group's members to positions and index which groups each subject and each
/// system belongs to.
fn membership<'a>(
    inv: &'a Inventory,
    systems: &[&'a System],
    sys_index: &HashMap<&str, u32>,
    subject_base: &[u32],
) -> Membership<'a> {
    let subjects = *subject_base.last().unwrap_or(&0);
    // Component lookups by id, per system, built only for systems that references name.
    let mut by_id: HashMap<u32, HashMap<&str, u32>> = HashMap::default();
    let mut resolve = |r: &ComponentRef| -> Option<Pos> {
        let s = *sys_index.get(r.system.as_str())?;
        let Some(c) = r.component.as_deref() else {
            return Some((s, Exposure::SYSTEM));
        };
        let ids = by_id.entry(s).or_insert_with(|| {
            systems[s as usize]
                .components
                .iter()
                .enumerate()
                .map(|(i, c)| (&*c.id, i as u32))
                .collect()
        });
        Some((s, *ids.get(c)?))
    };
    let mut groups = Vec::with_capacity(inv.groups.len());
    let mut system_groups: Vec<Vec<u32>> = vec![Vec::new(); systems.len()];
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for g in inv.groups.values() {
        let gi = groups.len() as u32;
        let members: Vec<Pos> = g.members.iter().filter_map(&mut resolve).collect();
        for &(s, c) in &members {
            let sg = &mut system_groups[s as usize];
            if sg.last() != Some(&gi) {
                sg.push(gi);
            }
            let subject = subject_base[s as usize] + c.wrapping_add(1);
            pairs.push((subject, gi));
        }
        groups.push(GroupInfo { group: g, members });
    }
    for sg in &mut system_groups {
        sg.dedup();
    }
    // Group order per subject stays inventory order (stable sort by subject).
    pairs.sort_by_key(|&(subject, _)| subject);
    let mut member_groups_at = Vec::with_capacity(subjects as usize + 1);
    let mut k = 0;
    for subject in 0..subjects {
        member_groups_at.push(k as u32);
        while k < pairs.len() && pairs[k].0 == subject {
            k += 1;
        }
    }
    member_groups_at.push(k as u32);
    let member_groups = pairs.into_iter().map(|(_, g)| g).collect();
    Membership {
        groups,
        system_groups,
        member_groups_at,
        member_groups,
    }
}

/// A [`ComponentRef`] borrowed from the inventory: the rating names subjects in its lines without
/// touching their ids' reference counts (shared by both rating threads); a finding's parts take
/// owned copies.
#[derive(Clone, Copy)]
pub(super) struct SubjectRef<'a> {
    pub(super) system: &'a SystemId,
    pub(super) component: Option<&'a Arc<str>>,
}

impl SubjectRef<'_> {
    pub(super) fn to_ref(self) -> ComponentRef {
        ComponentRef {
            system: self.system.clone(),
            component: self.component.cloned(),
        }
    }
}

impl fmt::Display for SubjectRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.component {
            None => write!(f, "{}", self.system),
            Some(c) => write!(f, "{}/{}", self.system, c),
        }
    }
}

/// The failure domains one advisory loses, indexed for its findings: each finding on a feeder
/// asks which of them its system feeds, and which of another system's domains are lost — each
/// answered without walking every lost domain of the estate.
#[derive(Default)]
pub(super) struct LostDomains<'a> {
    /// Ids of the lost domains.
    pub(super) ids: HashSet<&'a str>,
    /// By system position: the lost domains (positions in `topo.fed`, ascending) with a feeder
    /// on that system.
    pub(super) by_feeder_system: HashMap<u32, Vec<u32>>,
}

impl<'a> LostDomains<'a> {
    /// `lost`: positions in `topo.fed`, ascending.
    fn new(topo: &Topology<'a>, lost: impl Iterator<Item = u32>) -> LostDomains<'a> {
        let mut out = LostDomains::default();
        for d in lost {
            let (domain, feeders) = &topo.fed[d as usize];
            out.ids.insert(domain.id.as_str());
            for &(s, _) in feeders {
                let on = out.by_feeder_system.entry(s).or_default();
                if on.last() != Some(&d) {
                    on.push(d);
                }
            }
        }
        out
    }
}

/// An exposure as the rating reads it: the matcher's positions resolved against the inventory.
pub(super) struct Exp<'a> {
    pub(super) pos: Pos,
    pub(super) subject: SubjectRef<'a>,
    pub(super) kind: ComponentKind,
    pub(super) count: u32,
    pub(super) decision: &'a Decision,
}

/// Everything the rating reads.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub advisories: &'a [Advisory],
    pub matches: &'a Matches,
    pub today: NaiveDate,
    pub(super) topo: Topology<'a>,
    /// Shared texts of each advisory with exposures (by advisory index).
    pub(super) texts: HashMap<u32, Arc<AdvisoryTexts>>,
    /// For each advisory that drops power or paths: the domains a feeder of which it reaches
    /// anywhere in the estate.
    pub(super) lost_domains: HashMap<u32, LostDomains<'a>>,
    /// The reason line every unknown finding ends with.
    pub(super) unknown_line: Arc<str>,
}

impl<'a> Context<'a> {
    pub fn new(
        inventory: &'a Inventory,
        advisories: &'a [Advisory],
        matches: &'a Matches,
        today: NaiveDate,
    ) -> Context<'a> {
        Context::with_topology(Topology::new(inventory), advisories, matches, today)
    }

    /// As [`Context::new`], with the inventory's topology built already.
    pub fn with_topology(
        topo: Topology<'a>,
        advisories: &'a [Advisory],
        matches: &'a Matches,
        today: NaiveDate,
    ) -> Context<'a> {
        // The exposures are sorted by advisory: each advisory's texts made at its first.
        let mut texts = HashMap::default();
        let mut last = None;
        for e in &matches.exposures {
            if last != Some(e.advisory) {
                last = Some(e.advisory);
                texts.insert(
                    e.advisory,
                    Arc::new(AdvisoryTexts::of(&advisories[e.advisory as usize])),
                );
            }
        }
        let mut lost_domains = HashMap::default();
        if !topo.fed.is_empty() {
            for &adv in texts.keys() {
                let effects = &advisories[adv as usize].effects;
                if !effects
                    .iter()
                    .any(|e| matches!(e, Effect::PowerLoss | Effect::PathLoss))
                {
                    continue;
                }
                let lost = (0..topo.fed.len() as u32).filter(|&d| {
                    topo.fed[d as usize]
                        .1
                        .iter()
                        .any(|&pos| feeder_exposed(&topo, matches, adv, pos))
                });
                lost_domains.insert(adv, LostDomains::new(&topo, lost));
            }
        }
        Context {
            inventory: topo.inventory,
            advisories,
            matches,
            today,
            topo,
            texts,
            lost_domains,
            unknown_line: Arc::from(UNKNOWN_REASON),
        }
    }

    pub(super) fn exp(&self, e: &Exposure) -> Exp<'a> {
        let system = self.topo.systems[e.system as usize];
        let component = self.topo.component((e.system, e.component));
        Exp {
            pos: (e.system, e.component),
            subject: SubjectRef {
                system: &system.id,
                component: component.map(|c| &c.id),
            },
            kind: component.map_or(ComponentKind::System, |c| c.kind),
            count: component.map_or(1, |c| c.count),
            decision: self.matches.decision(e),
        }
    }

    /// Is the member at `pos` exposed to advisory `adv`? Controllers run their system's OS, so a
    /// system-level exposure covers its controllers too. `run` is the finding's exposures (of
    /// `adv` on one system, in the matcher's order): a member of that system is looked up there
    /// instead of among all the estate's exposures.
    pub(super) fn member_exposed(&self, adv: usize, (s, c): Pos, run: &[Exp<'_>]) -> bool {
        let adv = adv as u32;
        let exposed = |c: u32| match run.first() {
            Some(e) if e.pos.0 == s => run
                .binary_search_by_key(&c.wrapping_add(1), |e| e.pos.1.wrapping_add(1))
                .is_ok(),
            _ => self.matches.is_exposed(adv, s, c),
        };
        if exposed(c) {
            return true;
        }
        if c == Exposure::SYSTEM || !exposed(Exposure::SYSTEM) {
            return false;
        }
        self.topo
            .component((s, c))
            .is_some_and(|c| c.kind == ComponentKind::Controller)
    }

    pub(super) fn system_exposed(&self, adv: usize, system: u32) -> bool {
        !self.matches.on_system(adv as u32, system).is_empty()
    }
}

/// Does advisory `adv` reach the feeder at `pos`? A system feeder through its own firmware or any
/// of its parts; a part through itself or, for a controller, its system's OS.
fn feeder_exposed(topo: &Topology<'_>, matches: &Matches, adv: u32, (s, c): Pos) -> bool {
    if c == Exposure::SYSTEM {
        return !matches.on_system(adv, s).is_empty();
    }
    matches.is_exposed(adv, s, c)
        || (matches.is_exposed(adv, s, Exposure::SYSTEM)
            && topo
                .component((s, c))
                .is_some_and(|x| x.kind == ComponentKind::Controller))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::{on_run, unity};
    use crate::inventory::GroupKind;
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    #[test]
    fn each_subject_knows_its_groups_in_inventory_order() {
        let e = unity()
            .group(
                "arr-paths",
                GroupKind::Multipath,
                &["arr/spa", "arr/spb"],
                None,
            )
            .system("other", "Dell EMC", "Unity 380", Scheme::Intdot, "5.1.0")
            .group("z-repl", GroupKind::ReplicaPair, &["arr", "other"], None);
        let topo = Topology::new(&e.0);
        let ids = |pos: Pos| -> Vec<String> {
            topo.member_groups(pos)
                .map(|g| g.group.id.to_string())
                .collect()
        };
        // `arr` is system 0; its components are spa (0) and spb (1).
        assert_eq!(ids((0, 0)), ["arr-paths", "arr-sp"]);
        assert_eq!(ids((0, 1)), ["arr-paths", "arr-sp"]);
        assert_eq!(ids((0, Exposure::SYSTEM)), ["z-repl"]);
        assert_eq!(ids((1, Exposure::SYSTEM)), ["z-repl"]);
        assert_eq!(topo.system_groups[0], [0, 1, 2]);
        assert_eq!(topo.system_groups[1], [2]);
        let members = &topo.groups[2].members;
        assert_eq!(members, &[(0, Exposure::SYSTEM), (1, Exposure::SYSTEM)]);
    }

    #[test]
    fn a_system_exposure_covers_its_controllers_but_not_its_other_parts() {
        let e = unity().component(
            "arr",
            "shelf",
            ComponentKind::Enclosure,
            "Dell EMC",
            "DAE",
            Scheme::Intdot,
            "1.0",
            1,
        );
        let os = advisory_for("FWN-1", "Dell", "Unity", "vers:intdot/<9")
            .effects(&[Effect::ComponentCrash]);
        on_run(&e, &[os], "arr", |ctx, a, s, exps| {
            assert_eq!(exps.len(), 1, "the system's own firmware only");
            assert!(ctx.member_exposed(a, (s, Exposure::SYSTEM), exps));
            assert!(ctx.member_exposed(a, (s, 0), exps), "spa runs the OS");
            assert!(ctx.member_exposed(a, (s, 1), exps), "spb runs the OS");
            assert!(
                !ctx.member_exposed(a, (s, 2), exps),
                "the shelf has its own"
            );
            // Looked up among all exposures when the run is another system's.
            assert!(ctx.member_exposed(a, (s, 0), &[]));
            assert!(ctx.system_exposed(a, s));
        });
    }

    #[test]
    fn references_to_unknown_parts_are_left_out_of_a_group() {
        let e = unity().group(
            "arr-sp",
            GroupKind::ControllerPair,
            &["arr/spa", "arr/spz", "nowhere/spa"],
            Some(0.6),
        );
        let topo = Topology::new(&e.0);
        assert_eq!(topo.groups[0].members, [(0, 0)]);
        assert_eq!(topo.groups[0].group.members.len(), 3);
    }
}
