//! Who a finding hits, and how its lines are worded and shared.
//!
//! Reach is what depends on the exposed system: its services with their users and tenants, and the
//! tenants sharing the system itself (every tenant of a shared array counts). For an enclosure it
//! is limited to what is placed on that enclosure.
//!
//! A system's lines and reach recur in the finding of every advisory on it, so one rating thread
//! keeps each distinct line and each system's reach once ([`Shared`]); with hundreds of thousands
//! of findings that is most of the rating's memory.

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::rating::Line;
use super::topology::Context;
use crate::inventory::{ComponentRef, Criticality, ServiceId, SystemId};

/// Who is hit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    pub services: Vec<ServiceId>,
    pub users: u64,
    /// Sorted, without repeats.
    pub tenants: Vec<String>,
    pub max_criticality: Option<Criticality>,
    /// The systems that go down when the bug fires, when that is not simply the finding's own
    /// system: for a domain-down finding, every system its feed takes down (sorted). Empty
    /// otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<SystemId>,
}

/// Services, users and tenants that depend on `system` (limited to `scope` components if given).
pub(super) fn reach(ctx: &Context<'_>, sys_idx: u32, scope: Option<&[ComponentRef]>) -> Reach {
    let system = ctx.topo.systems[sys_idx as usize];
    let mut r = Reach::default();
    for s in &ctx.topo.services[sys_idx as usize] {
        let hit = s.depends_on.iter().any(|d| {
            d.system == system.id
                && match (scope, &d.component) {
                    (None, _) => true,
                    (Some(_), None) => true,
                    (Some(sc), Some(_)) => sc.contains(d),
                }
        });
        if hit {
            r.services.push(s.id.clone());
            r.users += s.users;
            r.tenants.extend(s.tenants.iter().cloned());
            r.max_criticality = r.max_criticality.max(Some(s.criticality));
        }
    }
    r.tenants.extend(system.tenants.iter().cloned());
    r.tenants.sort_unstable();
    r.tenants.dedup();
    r
}

/// Services, users and tenants that depend on any of `systems` (each service counted once).
pub(super) fn reach_across(ctx: &Context<'_>, systems: &[u32]) -> Reach {
    let mut r = Reach::default();
    for &s in systems {
        let one = reach(ctx, s, None);
        for id in &one.services {
            if !r.services.contains(id) {
                r.users += ctx.inventory.services[id].users;
                r.services.push(id.clone());
            }
        }
        r.tenants.extend(one.tenants);
        r.max_criticality = r.max_criticality.max(one.max_criticality);
    }
    r.services.sort_unstable();
    r.tenants.sort_unstable();
    r.tenants.dedup();
    r.systems = systems
        .iter()
        .map(|&s| ctx.topo.systems[s as usize].id.clone())
        .collect();
    r.systems.sort_unstable();
    r.systems.dedup();
    r
}

impl Reach {
    /// "reaches 3 services, 167,813 users, 3 tenants", if it reaches anything.
    pub fn line(&self) -> Option<String> {
        reach_line(self)
    }
}

/// The reason line naming what a finding reaches, if it reaches anything.
pub(super) fn reach_line(reach: &Reach) -> Option<String> {
    if reach.services.is_empty() && reach.tenants.is_empty() {
        return None;
    }
    Some(format!(
        "reaches {} service{}, {} users, {} tenant{}",
        reach.services.len(),
        if reach.services.len() == 1 { "" } else { "s" },
        thousands(reach.users),
        reach.tenants.len(),
        if reach.tenants.len() == 1 { "" } else { "s" },
    ))
}

/// A reach and its reason line, if it reaches anything.
type ReachAndLine = (Arc<Reach>, Option<Arc<str>>);

/// What the findings rated by one thread share: each distinct reason line once, each system's
/// reach, and the reach of each set of systems a failure domain takes down. A system's lines
/// (its backups, its reach, a crash of its controller pair …) recur in the finding of every
/// advisory on it, so each is held once, not once per finding.
#[derive(Default)]
pub(super) struct Shared {
    lines: HashSet<Arc<str>>,
    /// By system index: the reach of the whole system and its reason line.
    reach: HashMap<u32, ReachAndLine>,
    /// By the systems a domain takes down (sorted): their reach together and its line. Every
    /// advisory on a feeder takes down the same systems.
    across: HashMap<Box<[u32]>, ReachAndLine>,
    /// Group crash readings already worded.
    pub(super) crashes: super::rules::crash::Kept,
}

impl Shared {
    /// A reading's line as a shared line: looked up (and kept) when it was worded.
    pub(super) fn keep(&mut self, line: Line) -> Arc<str> {
        match line {
            Line::Worded(text) => self.line(text),
            Line::Shared(a) => a,
        }
    }

    pub(super) fn line(&mut self, text: String) -> Arc<str> {
        if let Some(a) = self.lines.get(text.as_str()) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(text);
        self.lines.insert(a.clone());
        a
    }

    /// The reach of every system in `systems` together, computed once per set of systems.
    pub(super) fn reach_across(&mut self, ctx: &Context<'_>, systems: &[u32]) -> ReachAndLine {
        if let Some(r) = self.across.get(systems) {
            return r.clone();
        }
        let r = reach_across(ctx, systems);
        let line = reach_line(&r).map(|l| self.line(l));
        let out = (Arc::new(r), line);
        self.across.insert(systems.into(), out.clone());
        out
    }

    /// The reach of `sys_idx` limited to `scope` (`None`: the whole system, computed once).
    pub(super) fn reach(
        &mut self,
        ctx: &Context<'_>,
        sys_idx: u32,
        scope: Option<&[ComponentRef]>,
    ) -> ReachAndLine {
        if scope.is_none() {
            if let Some(r) = self.reach.get(&sys_idx) {
                return r.clone();
            }
        }
        let r = reach(ctx, sys_idx, scope);
        let line = reach_line(&r).map(|l| self.line(l));
        let out = (Arc::new(r), line);
        if scope.is_none() {
            self.reach.insert(sys_idx, out.clone());
        }
        out
    }
}

/// `n` with thousands separators: `2,200,000`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` as a whole percentage. The same text as `format!("{:.0} %", x * 100.0)` (which rounds
/// the exact value, ties to even) without the float formatting machinery; a load is finite.
pub fn pct(x: f64) -> String {
    format!("{} %", (x * 100.0).round_ties_even() as i64)
}

/// "a", "a and b", "a, b and c": each part by its component id (a system by its id).
pub(super) fn names<'r>(refs: impl IntoIterator<Item = &'r ComponentRef>) -> String {
    let v: SmallVec<[&str; 8]> = refs.into_iter().map(short_name).collect();
    and_list(&v)
}

/// A part by its component id, a system by its id.
pub(super) fn short_name(r: &ComponentRef) -> &str {
    r.component.as_deref().unwrap_or(r.system.as_str())
}

/// "a", "a and b", "a, b and c".
pub(super) fn and_list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == items.len() { " and " } else { ", " });
        }
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::on_run;
    use crate::model::Effect;
    use crate::testkit::*;
    use crate::version::Scheme;

    #[test]
    fn numbers_and_names_are_written_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(2_200_000), "2,200,000");
        assert_eq!(pct(1.2), "120 %");
        assert_eq!(pct(0.6), "60 %");
        // Ties round to even, as `{:.0}` does.
        assert_eq!(pct(0.625), "62 %");
        assert_eq!(pct(0.375), "38 %");
        let refs = [r("arr/spa"), r("arr/spb"), r("bk")];
        assert_eq!(names(&refs[..1]), "spa");
        assert_eq!(names(&refs[..2]), "spa and spb");
        assert_eq!(names(&refs), "spa, spb and bk");
    }

    fn fas() -> Estate {
        Estate::new()
            .system("fas", "NetApp", "FAS8300", Scheme::Ontap, "9.12.1P2")
            .netapp_shelf("fas", "shelf-1", "0230")
            .tenants("fas", 2)
            .service(
                "mailboxes",
                166_803,
                &["tenant-002", "isp-b"],
                Criticality::High,
                &["fas/shelf-1"],
            )
            .service("archive", 1_000, &[], Criticality::Low, &["fas/shelf-2"])
            .service("backup", 10, &[], Criticality::Critical, &["fas"])
    }

    fn reach_of(scope: Option<&[ComponentRef]>) -> Reach {
        let a = advisory_for("FWN-4", "NetApp", "ONTAP", "vers:ontap/<9.13")
            .effects(&[Effect::DataUnavailable]);
        on_run(&fas(), &[a], "fas", |ctx, _, s, _| reach(ctx, s, scope))
    }

    #[test]
    fn the_whole_system_reaches_every_dependent_service_and_tenant() {
        let all = reach_of(None);
        let services: Vec<&str> = all.services.iter().map(|s| s.as_str()).collect();
        assert_eq!(services, ["archive", "backup", "mailboxes"]);
        assert_eq!(all.users, 167_813);
        assert_eq!(all.tenants, ["isp-b", "tenant-001", "tenant-002"]);
        assert_eq!(all.max_criticality, Some(Criticality::Critical));
        assert_eq!(
            reach_line(&all).unwrap(),
            "reaches 3 services, 167,813 users, 3 tenants"
        );
    }

    #[test]
    fn an_enclosure_reaches_what_is_placed_on_it_and_what_needs_the_whole_system() {
        let shelf = reach_of(Some(&[r("fas/shelf-1")]));
        let services: Vec<&str> = shelf.services.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            services,
            ["backup", "mailboxes"],
            "not the archive on shelf-2"
        );
        assert_eq!(shelf.users, 166_813);
        // The system's own tenants share every part of it.
        assert_eq!(shelf.tenants, ["isp-b", "tenant-001", "tenant-002"]);
    }

    #[test]
    fn the_reach_of_systems_down_together_is_computed_once_per_set_of_systems() {
        let a = advisory_for("FWN-4", "NetApp", "ONTAP", "vers:ontap/<9.13")
            .effects(&[Effect::PowerLoss]);
        on_run(&fas(), &[a], "fas", |ctx, _, s, _| {
            let mut shared = Shared::default();
            let (first, line) = shared.reach_across(ctx, &[s]);
            let (again, line_again) = shared.reach_across(ctx, &[s]);
            assert!(Arc::ptr_eq(&first, &again), "kept, not computed again");
            assert!(Arc::ptr_eq(
                line.as_ref().unwrap(),
                line_again.as_ref().unwrap()
            ));
            assert_eq!(*first, reach_across(ctx, &[s]));
            assert_eq!(first.users, 167_813);
            assert_eq!(first.systems, ["fas".parse::<SystemId>().unwrap()]);
            let (nothing, no_line) = shared.reach_across(ctx, &[]);
            assert_eq!(*nothing, Reach::default(), "another set is its own");
            assert_eq!(no_line, None);
        });
    }

    #[test]
    fn nothing_reached_is_no_line_and_one_of_each_is_singular() {
        assert_eq!(reach_line(&Reach::default()), None);
        let one = Reach {
            services: vec!["vms".parse().unwrap()],
            users: 1,
            tenants: vec!["acme".into()],
            max_criticality: None,
            systems: vec![],
        };
        assert_eq!(
            reach_line(&one).unwrap(),
            "reaches 1 service, 1 users, 1 tenant"
        );
    }
}
