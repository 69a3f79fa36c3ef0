//! The deployed estate and its topology: what runs which firmware, what protects what, what shares
//! a failure domain, and who depends on it.
//!
//! These are the *validated* domain types: every reference resolves, every firmware string parsed
//! under its scheme, every load is within `0..=1`. They are built only by the loader (files →
//! raw types → diagnostics → [`Inventory`]), so the rest of the program never re-checks them.
//!
//! The loader lives beside them: [`raw`] is the file schema (shared by TOML and JSON), `load`
//! checks it and builds an [`Inventory`] ([`load_path`], [`load_sources`]), and [`diag`] holds the
//! stable diagnostic codes; the diagnostics themselves and their rendering (`file:line:col` with the
//! offending text underlined) are the shared [`crate::diag`]. A load with any problem returns all
//! of them and no inventory.
//!
//! Identifiers: systems, owners, sites, services, groups and domains have ids unique in the whole
//! inventory, and components ids unique in their system, both ignoring ASCII case (`arr1` and
//! `ARR1` are one name to people and to the tools around an inventory). References are exact. A
//! component is addressed as `system/component` ([`ComponentRef`]); a bare `system` in a reference
//! list means the system itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::ComponentKind;
use crate::version::FwVersion;

pub use diag::{Diagnostic, Diagnostics, InventoryCode};
pub use ids::{ComponentRef, DomainId, GroupId, OwnerId, ServiceId, SiteId, SystemId};
pub use load::{load_path, load_sources, parse_path, LoadError, Parsed};

pub mod diag;
mod handoff;
mod load;
pub mod raw;
mod secrets;

pub use secrets::parse_fingerprint;

mod ids {
    use std::fmt;
    use std::str::FromStr;
    use std::sync::Arc;

    use serde::{Deserialize, Serialize};

    use crate::model::IdError;

    macro_rules! inv_id {
        ($(#[$doc:meta])* $name:ident, $what:literal) => {
            $(#[$doc])*
            ///
            /// Shared text (`Arc<str>`): the loader hands every reference the defining id, so a
            /// million group members and findings naming a system hold one copy of its id.
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
            #[serde(try_from = "String")]
            pub struct $name(Arc<str>);

            /// Written as its text, without a copy (a report names ids millions of times).
            impl Serialize for $name {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_str(&self.0)
                }
            }

            impl $name {
                pub fn as_str(&self) -> &str {
                    &self.0
                }
            }

            impl std::borrow::Borrow<str> for $name {
                fn borrow(&self) -> &str {
                    &self.0
                }
            }

            impl FromStr for $name {
                type Err = IdError;
                fn from_str(s: &str) -> Result<Self, IdError> {
                    if s.is_empty() {
                        return Err(IdError { what: $what, raw: s.to_string(), why: "is empty" });
                    }
                    if !s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                        return Err(IdError {
                            what: $what,
                            raw: s.to_string(),
                            why: "may only contain ASCII letters, digits, `-`, `_` and `.`",
                        });
                    }
                    Ok($name(Arc::from(s)))
                }
            }

            impl TryFrom<String> for $name {
                type Error = IdError;
                fn try_from(s: String) -> Result<Self, IdError> {
                    s.parse()
                }
            }

            impl From<$name> for String {
                fn from(id: $name) -> String {
                    id.0.to_string()
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(&self.0)
                }
            }
        };
    }

    inv_id!(/// An owner (team or person) that is told about findings.
        OwnerId, "owner id");
    inv_id!(/// A site (data centre, room).
        SiteId, "site id");
    inv_id!(/// A system: array, server, appliance.
        SystemId, "system id");
    inv_id!(/// A service that depends on systems.
        ServiceId, "service id");
    inv_id!(/// A redundancy group.
        GroupId, "group id");
    inv_id!(/// A failure domain (power feed, breaker, rack …).
        DomainId, "failure domain id");

    /// `system` or `system/component`: what redundancy groups, failure domains and services point at.
    #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
    #[serde(try_from = "String")]
    pub struct ComponentRef {
        pub system: SystemId,
        /// `None`: the system as a whole. Shared with the component's own id (see [`SystemId`]).
        pub component: Option<Arc<str>>,
    }

    impl FromStr for ComponentRef {
        type Err = IdError;
        fn from_str(s: &str) -> Result<Self, IdError> {
            match s.split_once('/') {
                None => Ok(ComponentRef {
                    system: s.parse()?,
                    component: None,
                }),
                Some((sys, comp)) => {
                    if comp.is_empty() || comp.contains('/') {
                        return Err(IdError {
                            what: "component reference",
                            raw: s.to_string(),
                            why: "must be `system` or `system/component`",
                        });
                    }
                    Ok(ComponentRef {
                        system: sys.parse()?,
                        component: Some(Arc::from(comp)),
                    })
                }
            }
        }
    }

    /// Written as `system` or `system/component`, straight into the output (`collect_str`).
    impl Serialize for ComponentRef {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match &self.component {
                None => s.serialize_str(self.system.as_str()),
                Some(_) => s.collect_str(self),
            }
        }
    }

    impl TryFrom<String> for ComponentRef {
        type Error = IdError;
        fn try_from(s: String) -> Result<Self, IdError> {
            s.parse()
        }
    }

    impl From<ComponentRef> for String {
        fn from(r: ComponentRef) -> String {
            r.to_string()
        }
    }

    impl fmt::Display for ComponentRef {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match &self.component {
                None => write!(f, "{}", self.system),
                Some(c) => write!(f, "{}/{}", self.system, c),
            }
        }
    }
}

/// Where notifications go. Secrets are never stored: only the *name* of an environment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: OwnerId,
    pub name: String,
    pub email: Option<String>,
    pub webhook: Option<Webhook>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookFormat {
    Generic,
    Slack,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub url: String,
    pub format: WebhookFormat,
    /// Name of the environment variable holding a bearer token / signing secret, if any.
    pub secret_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
}

/// A firmware version as deployed: the verbatim string and its parse under the item's scheme.
/// Shared: the loader parses each distinct (scheme, version) once, and every drive running it
/// points at that one value.
#[derive(Debug, Clone, PartialEq)]
pub struct Firmware {
    pub version: Arc<FwVersion>,
}

impl Firmware {
    pub fn new(version: FwVersion) -> Firmware {
        Firmware {
            version: Arc::new(version),
        }
    }

    pub fn raw(&self) -> &str {
        self.version.raw()
    }
}

/// Power-on hours read from a drive (SMART) on a date; the blast rating extrapolates from it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerOnHours {
    pub hours: u64,
    pub read_on: NaiveDate,
}

/// A part with its own firmware. Its text fields are shared (`Arc<str>`): an estate of a million
/// drives has a few dozen distinct vendors, models and ids, and the loader keeps one copy of each.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Unique within its system.
    pub id: Arc<str>,
    pub kind: ComponentKind,
    /// Defaults to the system's vendor.
    pub vendor: Arc<str>,
    /// Model number (`PM1643a MZILT3T8HBLS-000H9`, `EK0800JVYPN`, `9460-16i`).
    pub model: Arc<str>,
    pub firmware: Firmware,
    /// How many identical parts this entry stands for (a drive set). At least 1.
    pub count: u32,
    pub power_on_hours: Option<PowerOnHours>,
    /// When the parts went into service (used when no power-on-hours reading exists; assumes 24/7).
    pub in_service: Option<NaiveDate>,
    /// When the part last started (its uptime clock), as a UTC date; `None`: its system's.
    pub booted: Option<NaiveDate>,
    /// The part's serial number (one part: never on a set), written or discovered.
    pub serial: Option<Arc<str>>,
}

/// A storage array, server or appliance.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    pub id: SystemId,
    pub name: String,
    pub vendor: String,
    /// Product family / model as the vendor names it (`Unity 480F`, `AFF A400`, `MSA 2050`).
    pub model: String,
    pub site: Option<SiteId>,
    pub owner: OwnerId,
    /// The system OS firmware.
    pub firmware: Firmware,
    pub components: Vec<Component>,
    /// Named configuration switches. A setting not listed is *unknown*, not off.
    pub settings: BTreeMap<String, bool>,
    /// Tenants that share this system directly (shared IaaS storage), beyond those of services.
    pub tenants: Vec<String>,
    /// When the system last started (its uptime clock), as a UTC date.
    pub booted: Option<NaiveDate>,
    /// Where `firmwatch discover` reads the system's firmware facts from, if anywhere.
    pub discover: Option<DiscoverSource>,
}

/// How `firmwatch discover` logs in to a Redfish service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiscoverAuth {
    /// A Redfish session: one login (POST to the SessionService), `X-Auth-Token` on every GET,
    /// one logout (DELETE of the session) at the end. The default: a BMC checks the password
    /// once, not on every request.
    #[default]
    Session,
    /// HTTP Basic on every request.
    Basic,
}

/// Which certificate an https service must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoverTrust {
    /// A chain to the public web roots, naming the host.
    WebRoots,
    /// A chain to the certificates of this PEM file (and only those), naming the host.
    CaFile(std::path::PathBuf),
    /// Exactly this leaf certificate (SHA-256 of its DER), whatever its chain and names.
    Fingerprint([u8; 32]),
}

/// A system's `[systems.discover]`, checked: an http(s) URL without credentials, environment
/// variable *names* (never values), one trust rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverSource {
    /// The service root (`https://bmc1.example/redfish/v1`).
    pub redfish: url::Url,
    pub user_env: Option<String>,
    pub password_env: Option<String>,
    pub auth: DiscoverAuth,
    pub trust: DiscoverTrust,
}

impl System {
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| &*c.id == id)
    }

    /// When the subject last started: a component's own boot date, else its system's.
    pub fn booted(&self, component: Option<&Component>) -> Option<NaiveDate> {
        component.and_then(|c| c.booted).or(self.booted)
    }
}

/// What kind of protection a redundancy group gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GroupKind {
    /// Controllers that take over each other's work.
    ControllerPair,
    /// Drives of a RAID group; `tolerance` = how many may fail without data loss.
    RaidGroup { tolerance: u32 },
    /// Redundant I/O paths.
    Multipath,
    /// Systems replicating to each other.
    ReplicaPair,
    /// Power supplies of one chassis.
    PowerSupplies,
    /// Members of one cluster (scale-out nodes, a metro cluster): each must run firmware its
    /// peers support.
    Cluster,
}

/// Members that protect each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedundancyGroup {
    pub id: GroupId,
    pub kind: GroupKind,
    pub members: Vec<ComponentRef>,
    /// Load each member carries in normal operation, as a fraction of one member's capacity
    /// (`0.6` = 60 %). `None` when not recorded.
    pub load: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainKind {
    PowerFeed,
    Breaker,
    Enclosure,
    Rack,
    Site,
    Network,
}

impl DomainKind {
    /// The kebab-case name used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainKind::PowerFeed => "power-feed",
            DomainKind::Breaker => "breaker",
            DomainKind::Enclosure => "enclosure",
            DomainKind::Rack => "rack",
            DomainKind::Site => "site",
            DomainKind::Network => "network",
        }
    }
}

/// Things that fail together when the domain fails.
///
/// `fed_by` names what feeds the domain: the PDU or UPS of a power feed, the switch of a network,
/// the controller of a shelf. A bug that makes one of those drop its power or paths (the effects
/// `power-loss`, `path-loss`) takes the domain down; a member that is also in another domain of
/// the same kind, fed by parts the bug does not touch, keeps running on that second feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureDomain {
    pub id: DomainId,
    pub kind: DomainKind,
    pub members: Vec<ComponentRef>,
    pub fed_by: Vec<ComponentRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

/// Something people use that depends on systems (or on specific components, e.g. the enclosure its
/// volumes sit on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub owner: OwnerId,
    pub users: u64,
    pub tenants: Vec<String>,
    pub criticality: Criticality,
    pub depends_on: Vec<ComponentRef>,
    /// It carries notifications (mail relay, chat): when it is down, owners may not be told.
    pub notification_channel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupKind {
    Backup,
    Replica,
}

/// `of`'s data can be recovered from `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub of: SystemId,
    pub to: SystemId,
    pub kind: BackupKind,
}

/// A validated inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub owners: BTreeMap<OwnerId, Owner>,
    pub sites: BTreeMap<SiteId, Site>,
    pub systems: BTreeMap<SystemId, System>,
    pub groups: BTreeMap<GroupId, RedundancyGroup>,
    pub domains: BTreeMap<DomainId, FailureDomain>,
    pub services: BTreeMap<ServiceId, Service>,
    pub backups: Vec<Backup>,
    /// Systems with a discovered snapshot merged in: the snapshot and how it differed from the
    /// hand-written files (`firmwatch inventory drift`).
    pub discovered: BTreeMap<SystemId, crate::discover::merge::Discovered>,
}

impl Inventory {
    /// Groups that `r` (or, for a system reference, any of its components) is a member of.
    pub fn groups_of<'a>(
        &'a self,
        r: &'a ComponentRef,
    ) -> impl Iterator<Item = &'a RedundancyGroup> + 'a {
        self.groups
            .values()
            .filter(move |g| g.members.iter().any(|m| m == r))
    }

    /// Services that depend on the system, or on any of its components.
    pub fn services_of<'a>(
        &'a self,
        system: &'a SystemId,
    ) -> impl Iterator<Item = &'a Service> + 'a {
        self.services
            .values()
            .filter(move |s| s.depends_on.iter().any(|d| &d.system == system))
    }

    /// Where `system`'s data can be recovered from.
    pub fn backups_of<'a>(&'a self, system: &'a SystemId) -> impl Iterator<Item = &'a Backup> + 'a {
        self.backups.iter().filter(move |b| &b.of == system)
    }

    /// Failure domains that contain the reference (or its system as a whole).
    pub fn domains_of<'a>(
        &'a self,
        r: &'a ComponentRef,
    ) -> impl Iterator<Item = &'a FailureDomain> + 'a {
        self.domains.values().filter(move |d| {
            d.members
                .iter()
                .any(|m| m == r || (m.component.is_none() && m.system == r.system))
        })
    }

    /// Number of components, counting a drive set of 24 as 24.
    pub fn component_count(&self) -> u64 {
        self.systems
            .values()
            .flat_map(|s| s.components.iter())
            .map(|c| u64::from(c.count))
            .sum()
    }
}
