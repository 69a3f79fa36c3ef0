//! A small builder for inventories and advisories in tests, so a scenario reads as a few lines of
//! topology instead of inventory files.
//!
//! Compiled for the crate's own unit tests and, with the `testkit` feature, for the integration
//! tests and benchmarks (the crate is its own dev-dependency with that feature on, so they get it
//! without flags); a release build does not contain it. Every builder panics on a malformed
//! literal: that is a mistake in the test, and the panic points at it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::blast::{assess, Context, Finding};
use crate::classify::Overrides;
use crate::inventory::*;
use crate::matcher::{match_inventory, Index};
use crate::model::*;
use crate::version::{FwVersion, Scheme, VersRange};

/// The date [`run`] rates on (fixed, so dates computed from power-on hours are stable).
pub fn today() -> NaiveDate {
    "2026-11-22".parse().unwrap()
}

/// Firmware `raw` under scheme `s`.
pub fn fw(s: Scheme, raw: &str) -> Firmware {
    Firmware {
        version: FwVersion::parse(s, raw).unwrap().into(),
    }
}

/// A `system` or `system/component` reference.
pub fn r(s: &str) -> ComponentRef {
    s.parse().unwrap()
}

/// An inventory under construction; every item belongs to the owner `storage-team`.
pub struct Estate(pub Inventory);

impl Default for Estate {
    fn default() -> Estate {
        Estate::new()
    }
}

impl Estate {
    /// An empty estate with its one owner.
    pub fn new() -> Estate {
        let mut inv = Inventory::default();
        let owner = Owner {
            id: "storage-team".parse().unwrap(),
            name: "Storage team".into(),
            email: Some("storage@example.net".into()),
            webhook: None,
        };
        inv.owners.insert(owner.id.clone(), owner);
        Estate(inv)
    }

    /// A system without components.
    pub fn system(
        mut self,
        id: &str,
        vendor: &str,
        model: &str,
        scheme: Scheme,
        firmware: &str,
    ) -> Estate {
        let s = System {
            id: id.parse().unwrap(),
            name: id.to_string(),
            vendor: vendor.into(),
            model: model.into(),
            site: None,
            owner: "storage-team".parse().unwrap(),
            firmware: fw(scheme, firmware),
            components: vec![],
            settings: BTreeMap::new(),
            tenants: vec![],
            booted: None,
            discover: None,
        };
        self.0.systems.insert(s.id.clone(), s);
        self
    }

    /// The system `id`, to change what the builders do not cover.
    pub fn sys(&mut self, id: &str) -> &mut System {
        self.0
            .systems
            .get_mut(&id.parse::<SystemId>().unwrap())
            .unwrap()
    }

    /// A component (or a set of `count` identical parts) of `system`.
    #[allow(clippy::too_many_arguments)]
    pub fn component(
        mut self,
        system: &str,
        id: &str,
        kind: ComponentKind,
        vendor: &str,
        model: &str,
        scheme: Scheme,
        firmware: &str,
        count: u32,
    ) -> Estate {
        self.sys(system).components.push(Component {
            id: id.into(),
            kind,
            vendor: vendor.into(),
            model: model.into(),
            firmware: fw(scheme, firmware),
            count,
            power_on_hours: None,
            in_service: None,
            booted: None,
            serial: None,
        });
        self
    }

    /// `count` HPE SAS SSDs (model VO1920JFDGV, opaque firmware such as `HPD7`): the drives of the
    /// power-on-hours incidents.
    pub fn hpe_ssds(self, system: &str, id: &str, firmware: &str, count: u32) -> Estate {
        let (kind, scheme) = (ComponentKind::Drive, Scheme::Opaque);
        self.component(
            system,
            id,
            kind,
            "HPE",
            "VO1920JFDGV",
            scheme,
            firmware,
            count,
        )
    }

    /// A NetApp DS224C disk shelf (enclosure firmware such as `0230`).
    pub fn netapp_shelf(self, system: &str, id: &str, firmware: &str) -> Estate {
        let (kind, scheme) = (ComponentKind::Enclosure, Scheme::Intdot);
        self.component(system, id, kind, "NetApp", "DS224C", scheme, firmware, 1)
    }

    /// A Dell iDRAC9 BMC.
    pub fn idrac(self, system: &str, id: &str, firmware: &str) -> Estate {
        let (kind, scheme) = (ComponentKind::Bmc, Scheme::Intdot);
        self.component(system, id, kind, "Dell", "iDRAC9", scheme, firmware, 1)
    }

    /// A Dell EMC storage processor (model `SP`) on the system's OS firmware scheme.
    pub fn dell_sp(self, system: &str, id: &str, firmware: &str) -> Estate {
        let (kind, scheme) = (ComponentKind::Controller, Scheme::Intdot);
        self.component(system, id, kind, "Dell EMC", "SP", scheme, firmware, 1)
    }

    /// A Unity array `id` with storage processors `spa`/`spb` in controller pair `<id>-sp`.
    pub fn unity_pair(self, id: &str, model: &str, firmware: &str, load: f64) -> Estate {
        let sp = |c: &str| format!("{id}/{c}");
        self.system(id, "Dell EMC", model, Scheme::Intdot, firmware)
            .component(
                id,
                "spa",
                ComponentKind::Controller,
                "Dell EMC",
                "SP",
                Scheme::Intdot,
                firmware,
                1,
            )
            .component(
                id,
                "spb",
                ComponentKind::Controller,
                "Dell EMC",
                "SP",
                Scheme::Intdot,
                firmware,
                1,
            )
            .group(
                &format!("{id}-sp"),
                GroupKind::ControllerPair,
                &[&sp("spa"), &sp("spb")],
                Some(load),
            )
    }

    /// The component `comp` of `system`.
    pub fn comp(&mut self, system: &str, comp: &str) -> &mut Component {
        self.sys(system)
            .components
            .iter_mut()
            .find(|c| &*c.id == comp)
            .unwrap()
    }

    /// A power-on-hours reading of `system/comp` taken on `read_on`.
    pub fn hours(mut self, system: &str, comp: &str, hours: u64, read_on: &str) -> Estate {
        self.comp(system, comp).power_on_hours = Some(PowerOnHours {
            hours,
            read_on: read_on.parse().unwrap(),
        });
        self
    }

    /// The date `system/comp` went into service.
    pub fn in_service(mut self, system: &str, comp: &str, date: &str) -> Estate {
        self.comp(system, comp).in_service = Some(date.parse().unwrap());
        self
    }

    /// A recorded setting of `system`.
    pub fn setting(mut self, system: &str, name: &str, on: bool) -> Estate {
        self.sys(system).settings.insert(name.into(), on);
        self
    }

    /// `n` tenants (`tenant-001` …) sharing `system`.
    pub fn tenants(mut self, system: &str, n: usize) -> Estate {
        self.sys(system).tenants = (1..=n).map(|i| format!("tenant-{i:03}")).collect();
        self
    }

    /// A redundancy group of `members` (`system` or `system/component`).
    pub fn group(
        mut self,
        id: &str,
        kind: GroupKind,
        members: &[&str],
        load: Option<f64>,
    ) -> Estate {
        let g = RedundancyGroup {
            id: id.parse().unwrap(),
            kind,
            members: members.iter().map(|m| r(m)).collect(),
            load,
        };
        self.0.groups.insert(g.id.clone(), g);
        self
    }

    /// A failure domain of `members`.
    pub fn domain(mut self, id: &str, kind: DomainKind, members: &[&str]) -> Estate {
        let d = FailureDomain {
            id: id.parse().unwrap(),
            kind,
            members: members.iter().map(|m| r(m)).collect(),
            fed_by: vec![],
        };
        self.0.domains.insert(d.id.clone(), d);
        self
    }

    /// A failure domain of `members` fed by `fed_by` (a PDU, a switch).
    pub fn fed_domain(
        mut self,
        id: &str,
        kind: DomainKind,
        members: &[&str],
        fed_by: &[&str],
    ) -> Estate {
        let d = FailureDomain {
            id: id.parse().unwrap(),
            kind,
            members: members.iter().map(|m| r(m)).collect(),
            fed_by: fed_by.iter().map(|m| r(m)).collect(),
        };
        self.0.domains.insert(d.id.clone(), d);
        self
    }

    /// `subject` (`system` or `system/component`) last started on `date`.
    pub fn booted(mut self, subject: &str, date: &str) -> Estate {
        let at = r(subject);
        let date = date.parse().unwrap();
        let sys = self.sys(at.system.as_str());
        match at.component.as_deref() {
            None => sys.booted = Some(date),
            Some(c) => {
                sys.components
                    .iter_mut()
                    .find(|x| &*x.id == c)
                    .unwrap()
                    .booted = Some(date)
            }
        }
        self
    }

    /// A service of `users` users and `tenants` depending on `depends`.
    pub fn service(
        mut self,
        id: &str,
        users: u64,
        tenants: &[&str],
        criticality: Criticality,
        depends: &[&str],
    ) -> Estate {
        let s = Service {
            id: id.parse().unwrap(),
            name: id.into(),
            owner: "storage-team".parse().unwrap(),
            users,
            tenants: tenants.iter().map(|t| t.to_string()).collect(),
            criticality,
            depends_on: depends.iter().map(|d| r(d)).collect(),
            notification_channel: false,
        };
        self.0.services.insert(s.id.clone(), s);
        self
    }

    /// The service `id` carries notifications (mail relay, chat).
    pub fn notification_channel(mut self, id: &str) -> Estate {
        let id: ServiceId = id.parse().unwrap();
        self.0.services.get_mut(&id).unwrap().notification_channel = true;
        self
    }

    /// `of` is backed up to `to`.
    pub fn backup(self, of: &str, to: &str) -> Estate {
        self.recoverable(of, to, BackupKind::Backup)
    }

    /// `of` is replicated to `to`.
    pub fn replica(self, of: &str, to: &str) -> Estate {
        self.recoverable(of, to, BackupKind::Replica)
    }

    fn recoverable(mut self, of: &str, to: &str, kind: BackupKind) -> Estate {
        self.0.backups.push(Backup {
            of: of.parse().unwrap(),
            to: to.parse().unwrap(),
            kind,
        });
        self
    }
}

/// A test advisory: `product` of `vendor` in `range` (a `vers:` string), on the system itself,
/// with no effects or triggers until [`BugExt`] adds them:
/// `advisory_for("FWN-1", "Dell", "Unity", "vers:intdot/<5.0.6").effects(&[Effect::DataLoss])`.
pub fn advisory_for(id: &str, vendor: &str, product: &str, range: &str) -> Advisory {
    Advisory {
        affected: vec![AffectedProduct {
            vendor: vendor.into(),
            product: product.into(),
            models: vec![],
            component: Some(ComponentKind::System),
            scheme: None,
            status: ProductStatus::Affected,
            versions: VersionSpec::Range(VersRange::parse(range).unwrap()),
            fixed_in: vec![],
            identifiers: vec![],
            recommended: false,
        }],
        ..Advisory::new(
            id.parse().unwrap(),
            vendor.into(),
            format!("{id} test advisory"),
            Source {
                feed: "test".parse().unwrap(),
                format: SourceFormat::Native,
                location: "test".into(),
                sha256: String::new(),
            },
        )
    }
}

/// What a test advisory from [`advisory_for`] says beyond its product and range.
pub trait BugExt {
    /// The bug is in this kind of part (its first statement's component).
    fn on(self, kind: ComponentKind) -> Self;
    /// The statement names no component: it applies to any part of the product.
    fn any_part(self) -> Self;
    fn effects(self, effects: &[Effect]) -> Self;
    fn triggers(self, triggers: &[Trigger]) -> Self;
    /// A compatibility requirement: each `partner` that is `product` (of the advisory's vendor)
    /// must run a version in `range` (a `vers:` string).
    fn requires(self, partner: Partner, product: &str, range: &str) -> Self;
}

impl BugExt for Advisory {
    fn on(mut self, kind: ComponentKind) -> Self {
        self.affected[0].component = Some(kind);
        self
    }
    fn any_part(mut self) -> Self {
        self.affected[0].component = None;
        self
    }
    fn effects(mut self, effects: &[Effect]) -> Self {
        self.effects = effects.to_vec();
        self
    }
    fn triggers(mut self, triggers: &[Trigger]) -> Self {
        self.triggers = triggers.to_vec();
        self
    }
    fn requires(mut self, partner: Partner, product: &str, range: &str) -> Self {
        let range = VersRange::parse(range).unwrap();
        self.requires.push(PartnerRequirement {
            partner,
            vendor: String::new(),
            product: product.into(),
            models: vec![],
            scheme: range.scheme(),
            versions: VersionSpec::Range(range),
        });
        self
    }
}

/// Match and rate `advisories` against the estate on [`today`], without overrides.
pub fn run(estate: &Estate, advisories: &[Advisory]) -> Vec<Finding> {
    let index = Index::build(advisories);
    let exposures = match_inventory(&estate.0, advisories, &index);
    let ctx = Context::new(&estate.0, advisories, &exposures, today());
    assess(&ctx, &Overrides::default())
}
