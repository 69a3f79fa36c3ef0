//! Synthetic estates and advisory sets for scale benchmarks and smoke tests.
//!
//! Deterministic for a seed (a SplitMix64 stream, so results do not depend on a crate's RNG
//! algorithm changing). The shapes follow the real world as far as it matters for speed:
//! - an estate of storage systems from the vendors and version schemes of `reference/versions.md`
//!   (Unity and PowerStore intdot, ONTAP, Pure semver, FlashSystem intdot, HPE MSA, Hitachi), each
//!   with a controller pair, enclosures, HBAs, a BMC and many drives in RAID groups, services and
//!   tenants, backups to another system;
//! - an advisory set where most advisories concern software no storage estate runs (as in NVD or
//!   OSV), and a few percent concern storage vendors with realistic range shapes (upper bounds,
//!   train ranges, explicit opaque drive-firmware lists, firmware on hardware models).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};

use crate::inventory::*;
use crate::model::*;
use crate::version::{FwVersion, Scheme, VersRange};

/// SplitMix64: tiny, fast, and stable across releases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A storage product family: vendor, model, scheme, and the firmware versions deployed.
pub struct Family {
    pub vendor: &'static str,
    pub models: &'static [&'static str],
    pub scheme: Scheme,
    pub versions: &'static [&'static str],
}

/// The families the generator deploys (schemes that parse today).
pub const FAMILIES: &[Family] = &[
    Family {
        vendor: "Dell EMC",
        models: &["Unity 380F", "Unity 480F", "Unity 680F", "Unity 880F"],
        scheme: Scheme::Intdot,
        versions: &[
            "5.0.3.0.5.011",
            "5.1.0.0.5.394",
            "5.1.2.0.5.007",
            "5.2.1.0.5.012",
            "5.3.0.0.5.120",
            "5.4.0.0.5.094",
        ],
    },
    Family {
        vendor: "Dell EMC",
        models: &["PowerStore 1200T", "PowerStore 3200T", "PowerStore 5200T"],
        scheme: Scheme::Intdot,
        versions: &["2.1.1.0", "3.0.0.0", "3.2.0.1", "3.5.0.2", "4.0.0.0"],
    },
    Family {
        vendor: "NetApp",
        models: &["AFF A400", "AFF A800", "FAS8300", "FAS2750"],
        scheme: Scheme::Ontap,
        versions: &[
            "9.8P3",
            "9.8P16",
            "9.9.1P9",
            "9.10.1P12",
            "9.11.1P8",
            "9.12.1P2",
            "9.13.1P4",
        ],
    },
    Family {
        vendor: "Pure Storage",
        models: &["FlashArray//X70", "FlashArray//C60"],
        scheme: Scheme::Semver,
        versions: &["6.1.22", "6.3.14", "6.4.10", "6.5.8", "6.6.2"],
    },
    Family {
        vendor: "IBM",
        models: &["FlashSystem 5200", "FlashSystem 7300", "FlashSystem 9500"],
        scheme: Scheme::Intdot,
        versions: &["8.4.0.7", "8.5.0.9", "8.6.0.2", "8.6.0.11", "8.7.0.13"],
    },
];

/// Drive models with their firmware ids (opaque).
pub const DRIVES: &[(&str, &str, &[&str])] = &[
    ("HPE", "VO1920JFDGV", &["HPD5", "HPD7", "HPD8"]),
    ("HPE", "MO1600JVYPR", &["HPD6", "HPD7"]),
    ("Seagate", "ST4000NM0035", &["TN04", "TN05"]),
    ("Samsung", "MZILT3T8HBLS", &["GXA7602Q", "GXA7802Q"]),
    ("Western Digital", "WUSTR6440ASS204", &["C8C0", "C990"]),
];

/// Variants (capacities, endurance classes) per catalogue drive: 5 × 8 = 40 drive models in an
/// estate, a realistic spread for a million drives.
pub const DRIVE_VARIANTS: u64 = 8;

fn drive_model(base: &str, variant: u64) -> &'static str {
    // Leak-free static names: a fixed table of base × variant.
    const NAMES: [[&str; 8]; 5] = [
        [
            "VO1920JFDGV",
            "VO0480JFDGT",
            "VO0960JFDGU",
            "VO3840JFDHA",
            "MO0400JFFCF",
            "MO0800JFFCH",
            "MO1600JFFCK",
            "MO3200JFFCL",
        ],
        [
            "MO1600JVYPR",
            "EK0800JVYPN",
            "EO1600JVYPP",
            "MK0800JVYPQ",
            "EK0400JVYPM",
            "EO0800JVYPL",
            "MK1600JVYPS",
            "MO3200JVYPT",
        ],
        [
            "ST4000NM0035",
            "ST2000NM0055",
            "ST6000NM0115",
            "ST8000NM0055",
            "ST10000NM0016",
            "ST12000NM0007",
            "ST14000NM0018",
            "ST16000NM001G",
        ],
        [
            "MZILT3T8HBLS",
            "MZILT1T9HBJR",
            "MZILT7T6HALA",
            "MZILT960HBHQ",
            "MZILT800HBHQ",
            "MZILT15THALA",
            "MZILT30THALA",
            "MZILT400HBHQ",
        ],
        [
            "WUSTR6440ASS204",
            "WUSTR6480ASS204",
            "WUSTR1519ASS200",
            "WUSTR1538ASS200",
            "WUSTM3240ASS204",
            "WUSTM3280ASS204",
            "WUSTR6420ASS204",
            "WUSTR6410ASS204",
        ],
    ];
    let row = DRIVES.iter().position(|(_, m, _)| *m == base).unwrap_or(0);
    NAMES[row][variant as usize % 8]
}

/// Build an estate with about `components` component entries.
pub fn estate(seed: u64, components: usize) -> Inventory {
    let mut rng = Rng::new(seed);
    let mut inv = Inventory::default();
    let owners = 50usize;
    for o in 0..owners {
        let id: OwnerId = format!("team-{o:02}").parse().expect("valid id");
        inv.owners.insert(
            id.clone(),
            Owner {
                id,
                name: format!("Team {o}"),
                email: Some(format!("team-{o:02}@example.net")),
                webhook: None,
            },
        );
    }
    let per_system = 300usize;
    let systems = components.div_ceil(per_system).max(1);
    let read_on: NaiveDate = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    for s in 0..systems {
        let fam = rng.pick(FAMILIES);
        let model = *rng.pick(fam.models);
        let version = *rng.pick(fam.versions);
        let id: SystemId = format!("sys-{s:05}").parse().expect("valid id");
        let owner: OwnerId = format!("team-{:02}", s % owners).parse().expect("valid id");
        let fw = |scheme: Scheme, v: &str| Firmware {
            version: FwVersion::parse(scheme, v)
                .expect("generator versions parse")
                .into(),
        };
        let mut comps = Vec::with_capacity(per_system);
        for c in ["ctl-a", "ctl-b"] {
            comps.push(Component {
                id: c.into(),
                kind: ComponentKind::Controller,
                vendor: fam.vendor.into(),
                model: format!("{model} controller").into(),
                firmware: fw(fam.scheme, version),
                count: 1,
                power_on_hours: None,
                in_service: None,
                booted: None,
                serial: None,
            });
        }
        let n = per_system
            .min(components.saturating_sub(s * per_system))
            .max(3);
        let mut raid_members: Vec<Vec<ComponentRef>> = Vec::new();
        for i in 2..n {
            let (kind, vendor, cmodel, scheme, fwv) = match i % 50 {
                0 => (
                    ComponentKind::Enclosure,
                    fam.vendor,
                    "DS224C",
                    Scheme::Intdot,
                    *rng.pick(&["0220", "0230", "0240"]),
                ),
                1 => (
                    ComponentKind::Hba,
                    "Broadcom",
                    "9500-16i",
                    Scheme::Intdot,
                    *rng.pick(&["24.00.00.00", "26.00.00.00", "28.00.00.00"]),
                ),
                _ => {
                    let (dv, dm, fws) = rng.pick(DRIVES);
                    (
                        ComponentKind::Drive,
                        *dv,
                        drive_model(dm, rng.below(DRIVE_VARIANTS)),
                        Scheme::Opaque,
                        *rng.pick(fws),
                    )
                }
            };
            let cid: std::sync::Arc<str> = format!("{}-{i:03}", kind.as_str()).into();
            let poh = (kind == ComponentKind::Drive).then(|| PowerOnHours {
                hours: 20_000 + rng.below(20_000),
                read_on,
            });
            if kind == ComponentKind::Drive {
                if raid_members.last().is_none_or(|g| g.len() >= 8) {
                    raid_members.push(Vec::new());
                }
                if let Some(g) = raid_members.last_mut() {
                    g.push(ComponentRef {
                        system: id.clone(),
                        component: Some(cid.clone()),
                    });
                }
            }
            comps.push(Component {
                id: cid,
                kind,
                vendor: vendor.into(),
                model: cmodel.into(),
                firmware: fw(scheme, fwv),
                count: 1,
                power_on_hours: poh,
                in_service: None,
                booted: None,
                serial: None,
            });
        }
        for (gi, members) in raid_members.into_iter().enumerate() {
            let gid: GroupId = format!("{id}-rg{gi:02}").parse().expect("valid id");
            inv.groups.insert(
                gid.clone(),
                RedundancyGroup {
                    id: gid,
                    kind: GroupKind::RaidGroup {
                        tolerance: 1 + (gi as u32 % 2),
                    },
                    members,
                    load: None,
                },
            );
        }
        let gid: GroupId = format!("{id}-ha").parse().expect("valid id");
        inv.groups.insert(
            gid.clone(),
            RedundancyGroup {
                id: gid,
                kind: GroupKind::ControllerPair,
                members: vec![
                    format!("{id}/ctl-a").parse().expect("ref"),
                    format!("{id}/ctl-b").parse().expect("ref"),
                ],
                load: Some(0.2 + rng.below(50) as f64 / 100.0),
            },
        );
        let mut settings = BTreeMap::new();
        if rng.chance(50) {
            settings.insert("async-replication-compression".to_string(), rng.chance(30));
        }
        let tenants = if rng.chance(10) {
            (0..rng.below(70))
                .map(|t| format!("tenant-{t:03}"))
                .collect()
        } else {
            Vec::new()
        };
        inv.systems.insert(
            id.clone(),
            System {
                id: id.clone(),
                name: format!("{model} #{s}"),
                vendor: fam.vendor.into(),
                model: model.into(),
                site: None,
                owner: owner.clone(),
                firmware: fw(fam.scheme, version),
                components: comps,
                settings,
                tenants,
                booted: None,
                discover: None,
            },
        );
        let sid: ServiceId = format!("svc-{s:05}").parse().expect("valid id");
        inv.services.insert(
            sid.clone(),
            Service {
                id: sid,
                name: format!("service {s}"),
                owner,
                users: rng.below(200_000),
                tenants: vec![],
                criticality: *rng.pick(&[
                    Criticality::Low,
                    Criticality::Medium,
                    Criticality::High,
                    Criticality::Critical,
                ]),
                depends_on: vec![ComponentRef {
                    system: id.clone(),
                    component: None,
                }],
                notification_channel: false,
            },
        );
        if s > 0 && rng.chance(60) {
            let to: SystemId = format!("sys-{:05}", rng.below(s as u64))
                .parse()
                .expect("valid id");
            inv.backups.push(Backup {
                of: id,
                to,
                kind: BackupKind::Backup,
            });
        }
    }
    inv
}

fn source(feed: &str, i: usize) -> Source {
    Source {
        feed: feed.parse().expect("valid id"),
        format: SourceFormat::Native,
        location: format!("synthetic/{i}"),
        sha256: String::new(),
    }
}

/// Build `n` advisories; about 4 % concern the storage families above.
pub fn advisories(seed: u64, n: usize) -> Vec<Advisory> {
    let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
    let date = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // 4 % concern storage vendors; of those, most name products or drive models this estate
        // does not run (the vendors' catalogues are far larger than any estate).
        let storage = rng.chance(4);
        let deployed = storage && rng.chance(8);
        let mut requires = Vec::new();
        let (vendor, product, models, component, versions, effects, triggers) = if deployed {
            // Drive-firmware bugs are rare (a few per drive model, ever); system bugs are common.
            // A few are uptime clocks, PDU power losses and partner requirements.
            let kind = match rng.below(100) {
                0..=2 => 1,
                3..=5 => 3,
                6..=7 => 4,
                8..=9 => 5,
                _ => 2 * rng.below(2),
            };
            match kind {
                3 => {
                    let fam = rng.pick(FAMILIES);
                    let hi = fam.versions[fam.versions.len() - 1];
                    let range =
                        VersRange::parse(&format!("vers:{}/<{hi}", fam.scheme)).expect("range");
                    let product = fam.models[0].split(' ').next().unwrap_or("x").to_string();
                    (
                        fam.vendor.to_string(),
                        product,
                        vec![],
                        Some(ComponentKind::Controller),
                        VersionSpec::Range(range),
                        vec![Effect::ComponentCrash],
                        vec![Trigger::UptimeDays {
                            days: *rng.pick(&[248u64, 497]),
                        }],
                    )
                }
                4 => (
                    "APC".to_string(),
                    "AP8959".to_string(),
                    vec![],
                    None,
                    VersionSpec::Range(VersRange::parse("vers:intdot/<7.1").expect("range")),
                    vec![Effect::PowerLoss],
                    vec![],
                ),
                5 => {
                    let fam = rng.pick(FAMILIES);
                    let mid = fam.versions[fam.versions.len() / 2];
                    let range =
                        VersRange::parse(&format!("vers:{}/>={mid}", fam.scheme)).expect("range");
                    let product = fam.models[0].split(' ').next().unwrap_or("x").to_string();
                    requires.push(PartnerRequirement {
                        partner: Partner::ReplicaTarget,
                        vendor: String::new(),
                        product: product.clone(),
                        models: vec![],
                        scheme: Some(fam.scheme),
                        versions: VersionSpec::Range(range.clone()),
                    });
                    (
                        fam.vendor.to_string(),
                        product,
                        vec![],
                        Some(ComponentKind::System),
                        VersionSpec::Range(range),
                        vec![Effect::DataUnavailable],
                        vec![],
                    )
                }
                0 => {
                    let fam = rng.pick(FAMILIES);
                    let hi = rng.pick(fam.versions);
                    let range =
                        VersRange::parse(&format!("vers:{}/<{hi}", fam.scheme)).expect("range");
                    let product = fam.models[0].split(' ').next().unwrap_or("x").to_string();
                    (
                        fam.vendor.to_string(),
                        product,
                        vec![],
                        Some(ComponentKind::System),
                        VersionSpec::Range(range),
                        vec![*rng.pick(&[
                            Effect::ComponentCrash,
                            Effect::FailoverFailure,
                            Effect::DataUnavailable,
                            Effect::Performance,
                        ])],
                        vec![],
                    )
                }
                1 => {
                    let (dv, dm, fws) = rng.pick(DRIVES);
                    let list = fws[..fws.len() - 1].join("|");
                    (
                        dv.to_string(),
                        "SAS SSD".to_string(),
                        (0..3)
                            .map(|_| drive_model(dm, rng.below(DRIVE_VARIANTS)).to_string())
                            .collect(),
                        Some(ComponentKind::Drive),
                        VersionSpec::Range(
                            VersRange::parse(&format!("vers:opaque/{list}")).expect("range"),
                        ),
                        vec![Effect::ComponentCrash, Effect::DataLoss],
                        vec![Trigger::PowerOnHours {
                            hours: *rng.pick(&[32_768u64, 40_000]),
                        }],
                    )
                }
                _ => {
                    let fam = rng.pick(FAMILIES);
                    let lo = fam.versions[0];
                    let hi = fam.versions[fam.versions.len() / 2];
                    let range = VersRange::parse(&format!("vers:{}/>={lo}|<{hi}", fam.scheme))
                        .expect("range");
                    let product = fam.models[0].split(' ').next().unwrap_or("x").to_string();
                    (
                        fam.vendor.to_string(),
                        product,
                        vec![],
                        Some(ComponentKind::Controller),
                        VersionSpec::Range(range),
                        vec![Effect::ComponentCrash],
                        vec![Trigger::Setting {
                            name: "async-replication-compression".into(),
                            value: true,
                        }],
                    )
                }
            }
        } else if storage {
            // Same vendors, products and drive models outside this estate.
            let fam = rng.pick(FAMILIES);
            if rng.chance(40) {
                let (dv, _, _) = rng.pick(DRIVES);
                let model = format!("XD{:05}", rng.below(20_000));
                (
                    dv.to_string(),
                    "SAS SSD".to_string(),
                    vec![model],
                    Some(ComponentKind::Drive),
                    VersionSpec::Range(VersRange::parse("vers:opaque/XD01|XD02").expect("range")),
                    vec![Effect::ComponentCrash],
                    vec![],
                )
            } else {
                let product = format!(
                    "{} {}",
                    rng.pick(&["Appliance", "Gateway", "Manager", "Agent", "Switch"]),
                    rng.below(400)
                );
                let range = VersRange::parse(&format!(
                    "vers:intdot/<{}.{}",
                    1 + rng.below(9),
                    rng.below(20)
                ))
                .expect("range");
                (
                    fam.vendor.to_string(),
                    product,
                    vec![],
                    None,
                    VersionSpec::Range(range),
                    vec![Effect::Security],
                    vec![],
                )
            }
        } else {
            let v = rng.below(5000);
            (
                format!("vendor-{v}"),
                format!("product-{}", rng.below(50)),
                vec![],
                None,
                VersionSpec::Range(
                    VersRange::parse(&format!(
                        "vers:intdot/>={}.0|<{}.{}",
                        rng.below(5),
                        5 + rng.below(5),
                        rng.below(20)
                    ))
                    .expect("range"),
                ),
                vec![Effect::Security],
                vec![],
            )
        };
        out.push(Advisory {
            id: format!("SYN-{i:07}").parse().expect("valid id"),
            aliases: vec![],
            vendor: vendor.clone(),
            title: format!("synthetic advisory {i}"),
            summary: String::new(),
            published: date,
            modified: date,
            withdrawn: None,
            affected: vec![AffectedProduct {
                vendor,
                product,
                models,
                component,
                scheme: None,
                status: ProductStatus::Affected,
                versions,
                fixed_in: vec![],
                identifiers: vec![],
                recommended: false,
            }],
            remediations: vec![],
            references: vec![],
            effects,
            triggers,
            cvss: None,
            cwes: vec![],
            effect_notes: vec![],
            vendor_severity: None,
            tlp: None,
            exploited: None,
            epss: None,
            requires,
            lifecycle: None,
            source: source("synthetic", i),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let a = estate(7, 3_000);
        let b = estate(7, 3_000);
        assert_eq!(a, b);
        assert!(a.component_count() >= 2_900, "{}", a.component_count());
        let x = advisories(7, 1_000);
        assert_eq!(x, advisories(7, 1_000));
        let storage = x
            .iter()
            .filter(|a| !a.vendor.starts_with("vendor-"))
            .count();
        assert!((10..100).contains(&storage), "{storage}");
        // A realistic estate is hit by few advisories per component.
        let inv = estate(7, 30_000);
        let adv = advisories(7, 30_000);
        let idx = crate::matcher::Index::build(&adv);
        let exp = crate::matcher::match_inventory(&inv, &adv, &idx);
        assert!(exp.len() < 3 * 30_000, "{}", exp.len());
    }

    #[test]
    fn matching_beside_other_work_finds_what_matching_alone_does() {
        use crate::matcher::{match_beside, match_inventory, Index, Matches};
        let inv = estate(11, 60_000);
        assert!(
            inv.systems.len() > 150,
            "{} systems: many blocks",
            inv.systems.len()
        );
        let adv = advisories(11, 30_000);
        let idx = Index::build(&adv);
        let alone = match_inventory(&inv, &adv, &idx);
        assert!(alone.len() > 1_000, "{}", alone.len());
        let (beside, other) = match_beside(&inv, &adv, &idx, || "topology");
        assert_eq!(other, "topology");
        // The same exposures in the same order, each with the same decision (numbered apart).
        let resolved = |m: &Matches| -> Vec<_> {
            m.exposures
                .iter()
                .map(|e| (e.advisory, e.system, e.component, m.decision(e).clone()))
                .collect()
        };
        assert!(resolved(&alone) == resolved(&beside));
    }
}
