//! A small builder for inventories and advisories in tests (no files needed).
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use firmwatch::blast::{assess, Context, Finding};
use firmwatch::classify::Overrides;
use firmwatch::inventory::*;
use firmwatch::matcher::{match_inventory, Index};
use firmwatch::model::*;
use firmwatch::version::{FwVersion, Scheme, VersRange};

pub fn today() -> NaiveDate {
    "2026-11-22".parse().unwrap()
}

pub fn fw(s: Scheme, raw: &str) -> Firmware {
    Firmware {
        version: FwVersion::parse(s, raw).unwrap().into(),
    }
}

pub fn r(s: &str) -> ComponentRef {
    s.parse().unwrap()
}

pub struct Estate(pub Inventory);

impl Estate {
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
        };
        self.0.systems.insert(s.id.clone(), s);
        self
    }

    pub fn sys(&mut self, id: &str) -> &mut System {
        self.0
            .systems
            .get_mut(&id.parse::<SystemId>().unwrap())
            .unwrap()
    }

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
        });
        self
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

    pub fn hours(mut self, system: &str, comp: &str, hours: u64, read_on: &str) -> Estate {
        let c = self
            .sys(system)
            .components
            .iter_mut()
            .find(|c| &*c.id == comp)
            .unwrap();
        c.power_on_hours = Some(PowerOnHours {
            hours,
            read_on: read_on.parse().unwrap(),
        });
        self
    }

    pub fn setting(mut self, system: &str, name: &str, on: bool) -> Estate {
        self.sys(system).settings.insert(name.into(), on);
        self
    }

    pub fn tenants(mut self, system: &str, n: usize) -> Estate {
        self.sys(system).tenants = (1..=n).map(|i| format!("tenant-{i:03}")).collect();
        self
    }

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

    pub fn domain(mut self, id: &str, kind: DomainKind, members: &[&str]) -> Estate {
        let d = FailureDomain {
            id: id.parse().unwrap(),
            kind,
            members: members.iter().map(|m| r(m)).collect(),
        };
        self.0.domains.insert(d.id.clone(), d);
        self
    }

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
        };
        self.0.services.insert(s.id.clone(), s);
        self
    }

    pub fn backup(mut self, of: &str, to: &str) -> Estate {
        self.0.backups.push(Backup {
            of: of.parse().unwrap(),
            to: to.parse().unwrap(),
            kind: BackupKind::Backup,
        });
        self
    }
}

pub fn advisory(
    id: &str,
    vendor: &str,
    product: &str,
    component: Option<ComponentKind>,
    range: &str,
    effects: &[Effect],
    triggers: &[Trigger],
) -> Advisory {
    Advisory {
        id: id.parse().unwrap(),
        aliases: vec![],
        vendor: vendor.into(),
        title: format!("{id} test advisory"),
        summary: String::new(),
        published: None,
        modified: None,
        withdrawn: None,
        affected: vec![AffectedProduct {
            vendor: vendor.into(),
            product: product.into(),
            models: vec![],
            component,
            scheme: None,
            status: ProductStatus::Affected,
            versions: VersionSpec::Range(VersRange::parse(range).unwrap()),
            fixed_in: vec![],
            identifiers: vec![],
        }],
        remediations: vec![],
        references: vec![],
        effects: effects.to_vec(),
        triggers: triggers.to_vec(),
        cvss: None,
        vendor_severity: None,
        tlp: None,
        source: Source {
            feed: "test".parse().unwrap(),
            format: SourceFormat::Native,
            location: "test".into(),
            sha256: String::new(),
        },
    }
}

pub fn run(estate: &Estate, advisories: &[Advisory]) -> Vec<Finding> {
    let index = Index::build(advisories);
    let exposures = match_inventory(&estate.0, advisories, &index);
    let ctx = Context::new(&estate.0, advisories, &exposures, today());
    assess(&ctx, &Overrides::default())
}
