//! Walking one Redfish / Swordfish service into a [`Snapshot`].
//!
//! # What is read
//!
//! From the service root: `Systems`, `Chassis`, `Managers`, `UpdateService` and (Swordfish 1.2+)
//! the service-level `Storage`. From there only the links that lead to firmware facts are
//! followed, not every `@odata.id` (sensors, logs and accounts are never asked for):
//!
//! | resource | becomes |
//! |---|---|
//! | ComputerSystem | `facts`: `Manufacturer` → vendor, `Model`, `SerialNumber`, `LastResetTime` → `booted` (of the first system by resource path); `BiosVersion` → a part `bios` (kind `other`, the system's vendor and model); its `Storage` is followed |
//! | Manager | a part `bmc` (`bmc-<id>` when there are several) with `FirmwareVersion`, `LastResetTime` → `booted`. `ManagerType` `BMC` (or none) is kind `bmc`; `ManagementController` — a storage array's controller, as Seagate's — is `controller`; `EnclosureManager` is `enclosure`; any other type `other` |
//! | Chassis | `PowerSubsystem/PowerSupplies/<id>` → `psu-<id>`; the legacy `Power.PowerSupplies[]` only for a chassis without the former (both describe the same supplies); its `Drives` are followed |
//! | Storage | controllers, inline `StorageControllers[]` or the `Controllers` collection → `controller-<id>` (kind `controller`: Redfish does not tell a RAID controller from a pass-through HBA reliably); `Drives`, `Volumes` and Swordfish `StoragePools` are followed |
//! | Drive | `drive-<id>`: `Revision` → firmware (or HPE's OEM `FirmwareVersion` `{"Current": {"VersionString"}}`), `Manufacturer`, `Model`, `SerialNumber`; its `Metrics` (DriveMetrics) `PowerOnHours` or `NVMeSMART.PowerOnHours` → `power_on_hours`, read at the response's `Date` when it is a plausible time, else at the crawl's clock |
//! | UpdateService | `FirmwareInventory` and `SoftwareInventory` entries (see below) |
//! | Volume, StoragePool | a RAID group (`raid-<id>`) with `RAIDType` (a pool: its one `SupportedRAIDTypes`) and the drives of `Links.Drives` / `CapacitySources[].ProvidingDrives` |
//!
//! A part whose `Status.State` is `Absent` (an empty bay) is left out. A Storage served both under
//! its system and at the service root (`/Systems/<id>/Storage/x` and `/Storage/x`, as Seagate
//! does) is read once: its parts are kept at the service-level location. Text is trimmed and an
//! empty string is no value (BMCs pad serials with spaces, or send `""`). A `LastResetTime` before
//! 2000 or after the crawl (a BMC's unset clock says 1970) is no boot time.
//!
//! **Firmware inventory entries** say what the update service can flash. An entry tied to a part —
//! by its `RelatedItem`, or as a manager's `ActiveSoftwareImage` / `SoftwareImages` — is that
//! part's firmware: it fills the part's firmware when the part states none and is the only entry
//! tied to it, and adds nothing when the part states its own (the same firmware, as the part
//! reports it). Every other entry (tied to nothing we read, or one of several tied to one part
//! without a version of its own, as BlueField's ten host images on its BIOS) is a part of its own,
//! `fw-<id>`, kind `other`, with its `Version`, `Manufacturer` and `Name` as the model (its `Id`
//! when the name is only `Software Inventory`).
//!
//! **Ids** are valid component ids (ASCII letters, digits, `-`, `_`, `.`), stable from one walk
//! to the next: a kind prefix and the last segment of the resource path (the member id of an inline
//! array entry), widened with the segments before it only when two parts would otherwise share
//! an id (Swordfish's two `NVMeIOController`s become `controller-IPAttachedDrive1-NVMeIOController`
//! and `controller-IPAttachedDrive2-…`). `location` is the resource path (with its `#/…` fragment
//! for an inline entry).
//!
//! **RAID groups**: a volume or pool is a group only when every drive it names was read and
//! there are at least two (one drive protects nothing); others are noted, not guessed.
//!
//! **Not read** (yet): `BootProgress` (its time is a boot stage's, and BlueField sends 1970 for
//! "unknown"; `LastResetTime` says when it started), network adapters'
//! `FirmwarePackageVersion`, fabric switches, processors' microcode, batteries, `TrustedModules`,
//! the pre-2021 Swordfish `StorageServices` / `StorageSystems` model, and OEM sections beyond HPE's
//! drive and controller firmware object.
//!
//! # Paging, expansion, limits
//!
//! `Members@odata.nextLink` pages are followed up to [`Limits::max_pages`]; a page that links back
//! to one already read fails the endpoint (it would never end). Collections are asked with
//! `$expand=.($levels=1)` (or `*`) only when the root advertises `ProtocolFeaturesSupported.
//! ExpandQuery`; members that come back expanded are read inline, the others fetched; a service
//! that refuses the query (400/501) is asked again without it. Every resource is read once (a
//! visited set: Redfish links run in cycles, a drive links its chassis back), at most
//! [`Limits::max_resources`] of them, within [`Limits::endpoint_deadline`].
//!
//! # What fails an endpoint
//!
//! A snapshot is the whole of what the service said: a partial one would make parts look removed.
//! So the walk fails — and the CLI keeps the last good snapshot, marked stale — when the service
//! root cannot be read; when the login is refused; when any resource walked answers 401 or 403, a
//! status other than 2xx/404/410, malformed JSON, times out or cannot be connected to (after the
//! retries); when paging loops or exceeds its cap; when the resource cap or the deadline is hit.
//! A 404 or 410 is a dead link, tolerated and counted: real services and the trimmed mockups
//! link to resources that are not there.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::client::{Client, Credentials, FetchError, Got, Limits, Reason};
use super::snapshot::{Hours, Part, RaidSet, Snapshot, SourceKind, SystemFacts};
use crate::inventory::{DiscoverAuth, DiscoverTrust};
use crate::model::ComponentKind;

/// One endpoint to walk.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The service root.
    pub root: reqwest::Url,
    pub auth: DiscoverAuth,
    pub trust: DiscoverTrust,
    pub credentials: Option<Credentials>,
}

/// Why a walk failed; every variant names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: more than {limit} resources (the per-endpoint cap); the walk was stopped")]
    ResourceCap { url: String, limit: usize },
    #[error("{url}: more than {limit} pages of members (paging does not end)")]
    PageCap { url: String, limit: usize },
    #[error("{url}: the next page links back to a page already read (paging loops)")]
    PageLoop { url: String },
    #[error("{url}: not finished within the endpoint's deadline ({limit})")]
    Deadline { url: String, limit: String },
}

/// A finished walk.
#[derive(Debug, Clone)]
pub struct Crawl {
    pub snapshot: Snapshot,
    /// What was read but could not be used, or was skipped (dead links, incomplete groups).
    pub notes: Vec<String>,
    /// Requests sent, retries, login and logout included.
    pub requests: usize,
}

/// Walk the service of `endpoint` for the system `system`: log in, read, log out.
pub async fn discover(
    system: &str,
    endpoint: &Endpoint,
    limits: &Limits,
    overall: Arc<Semaphore>,
) -> Result<Crawl, DiscoverError> {
    let now = Utc::now();
    let mut client = Client::new(endpoint.root.clone(), &endpoint.trust, limits, overall)?;
    let deadline = tokio::time::Instant::now() + limits.endpoint_deadline;
    let session_mode = Client::needs_session(endpoint.auth, endpoint.credentials.as_ref());
    if let (DiscoverAuth::Basic, Some(c)) = (endpoint.auth, &endpoint.credentials) {
        client.use_basic(c.clone());
    }
    let root = endpoint.root.clone();
    let over = |_| DiscoverError::Deadline {
        url: root.to_string(),
        limit: format!("{:?}", limits.endpoint_deadline),
    };
    // The root answers without a login (the Redfish spec); it says where to log in.
    let first = tokio::time::timeout_at(deadline, client.get(&root))
        .await
        .map_err(over)?;
    let mut session = None;
    // Only a refusal is a reason to log in and ask again; any other failure of the root is the
    // endpoint's failure.
    let first = match first {
        Err(e) if !matches!(e.reason, Reason::Unauthorized(_)) => return Err(e.into()),
        other => other,
    };
    let first = if session_mode {
        let sessions = match &first {
            Ok(Got::Json { value, .. }) => {
                link(value, &["Links", "Sessions"]).and_then(|l| client.resolve(l))
            }
            _ => None,
        }
        .or_else(|| {
            let base = root.path().trim_end_matches('/');
            client.resolve(&format!("{base}/SessionService/Sessions"))
        });
        let Some(sessions) = sessions else {
            return Err(DiscoverError::Fetch(FetchError {
                url: root.to_string(),
                reason: Reason::Setup("no SessionService to log in to".into()),
            }));
        };
        let creds = endpoint
            .credentials
            .as_ref()
            .expect("session mode has credentials");
        let login = tokio::time::timeout_at(deadline, client.login(&sessions, creds))
            .await
            .map_err(over)?;
        session = Some(login?);
        match first {
            // Asked anonymously and refused: ask again, logged in.
            Err(FetchError {
                reason: Reason::Unauthorized(_),
                ..
            }) => tokio::time::timeout_at(deadline, client.get(&root))
                .await
                .map_err(over)?,
            other => other,
        }
    } else {
        first
    };
    let walk = async {
        let root_value = match first? {
            Got::Json { value, .. } => value,
            Got::Missing(status) => {
                return Err(DiscoverError::Fetch(FetchError {
                    url: root.to_string(),
                    reason: Reason::Status(status),
                }))
            }
        };
        let mut w = Walk::new(&client, limits, now);
        w.run(root_value).await?;
        Ok(w.finish(system))
    };
    let result = match tokio::time::timeout_at(deadline, walk).await {
        Ok(r) => r,
        Err(e) => Err(over(e)),
    };
    if let Some(s) = session {
        client.logout(s).await;
    }
    result.map(|(snapshot, notes)| Crawl {
        snapshot,
        notes,
        requests: client.requests(),
    })
}

/// What a resource is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    System,
    Chassis,
    Power,
    PowerSubsystem,
    PowerSupply,
    Manager,
    UpdateService,
    Firmware,
    Storage,
    Controller,
    Drive,
    DriveMetrics,
    Volume,
    Pool,
}

#[derive(Debug, Clone, Copy)]
enum Task {
    Resource(Res),
    /// A page (from 1) of a collection of `of`; `expand` when asked with `$expand`.
    Collection {
        of: Res,
        page: usize,
        expand: bool,
    },
}

/// A part as read, before its id is chosen.
#[derive(Debug)]
struct Draft {
    kind: ComponentKind,
    prefix: &'static str,
    /// May be the bare prefix when it is the only one (`bmc`, `bios`).
    bare: bool,
    /// Segments naming it, most general first (the last one alone is tried first).
    segs: Vec<String>,
    vendor: Option<String>,
    model: Option<String>,
    firmware: Option<String>,
    serial: Option<String>,
    hours: Option<Hours>,
    booted: Option<DateTime<Utc>>,
    location: String,
    /// Legacy `Power.PowerSupplies[]` of this chassis.
    legacy_psu_of: Option<String>,
}

#[derive(Debug)]
struct FwEntry {
    path: String,
    id: Option<String>,
    segs: Vec<String>,
    name: Option<String>,
    version: Option<String>,
    vendor: Option<String>,
    related: Vec<String>,
}

#[derive(Debug)]
struct RaidDraft {
    path: String,
    segs: Vec<String>,
    raid_type: Option<String>,
    drives: Vec<String>,
}

#[derive(Debug)]
struct SystemDraft {
    path: String,
    facts: SystemFacts,
}

type Pending<'a> = Pin<
    Box<dyn Future<Output = (reqwest::Url, String, Task, Result<Got, FetchError>)> + Send + 'a>,
>;

struct Walk<'a> {
    client: &'a Client,
    limits: &'a Limits,
    now: DateTime<Utc>,
    expand: Option<&'static str>,
    visited: HashSet<String>,
    pending: FuturesUnordered<Pending<'a>>,
    parts: Vec<Draft>,
    /// Other paths that name a part, to its location (a system's `Bios` resource names its BIOS
    /// part).
    aliases: HashMap<String, String>,
    /// A drive's metrics resource path → the drive's path.
    metrics_of: HashMap<String, String>,
    firmware: Vec<FwEntry>,
    /// Firmware inventory entry path → the manager path that runs or holds it.
    images: Vec<(String, String)>,
    raids: Vec<RaidDraft>,
    systems: Vec<SystemDraft>,
    metrics: Vec<(String, Hours)>,
    chassis_with_subsystem_psus: HashSet<String>,
    dead: BTreeSet<String>,
    notes: Vec<String>,
}

/// The present members of the inline array `v[key]` (legacy `Power.PowerSupplies[]`, inline
/// `StorageControllers[]`), each with its member id (`MemberId`, else its index) and location
/// (its `@odata.id`, else `path#/key/index`).
fn inline_members<'v>(v: &'v Value, key: &str, path: &str) -> Vec<(&'v Value, String, String)> {
    let members = v.get(key).and_then(Value::as_array);
    members
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, m)| !absent(m))
        .map(|(n, m)| {
            let member = text(m, "MemberId").unwrap_or_else(|| n.to_string());
            let location = m
                .get("@odata.id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{path}#/{key}/{n}"), str::to_string);
            (m, member, location)
        })
        .collect()
}

/// The `@odata.id` of `v[k0][k1]…`.
fn link<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v str> {
    let mut at = v;
    for k in keys {
        at = at.get(*k)?;
    }
    at.get("@odata.id")?.as_str()
}

/// The `@odata.id`s of the array `v[k0][k1]…` (a single link object counts as one).
fn links<'v>(v: &'v Value, keys: &[&str]) -> Vec<&'v str> {
    let mut at = v;
    for k in keys {
        match at.get(*k) {
            Some(x) => at = x,
            None => return Vec::new(),
        }
    }
    match at {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.get("@odata.id")?.as_str())
            .collect(),
        Value::Object(_) => at
            .get("@odata.id")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// `v[key]` as trimmed, non-empty text.
fn text(v: &Value, key: &str) -> Option<String> {
    let t = v.get(key)?.as_str()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn absent(v: &Value) -> bool {
    v.get("Status")
        .and_then(|s| s.get("State"))
        .and_then(Value::as_str)
        == Some("Absent")
}

/// A URL's path without a trailing `/`, and its query if `query`: the key of the visited set
/// and the `location` of parts.
fn key_of(u: &reqwest::Url, query: bool) -> String {
    let path = u.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    match (query, u.query()) {
        (true, Some(q)) => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

/// Path segments that name collections, not members: left out of part ids.
const COLLECTION_WORDS: [&str; 16] = [
    "redfish",
    "v1",
    "Systems",
    "Chassis",
    "Managers",
    "Storage",
    "Drives",
    "Controllers",
    "StorageControllers",
    "PowerSubsystem",
    "PowerSupplies",
    "Power",
    "UpdateService",
    "FirmwareInventory",
    "SoftwareInventory",
    "Volumes",
];

/// The naming segments of a resource path (the `StoragePools` word too), plus `member` for an
/// inline array entry.
fn segs_of(path: &str, member: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && !COLLECTION_WORDS.contains(s) && *s != "StoragePools")
        .map(str::to_string)
        .collect();
    if let Some(m) = member {
        out.push(m.to_string());
    }
    out
}

/// `s` with every character outside `[A-Za-z0-9._-]` replaced by `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Ids for items named by `(prefix, bare, segments)`: `prefix-<last segment>`, widened by the
/// segments before it while two items share an id, `-2`, `-3` … as the last resort.
fn assign_ids(items: &[(&str, bool, &[String])]) -> Vec<String> {
    let name = |(prefix, segs, k): (&str, &[String], usize)| -> String {
        if k == 0 {
            return prefix.to_string();
        }
        let from = segs.len().saturating_sub(k);
        let tail: Vec<String> = segs[from..].iter().map(|s| sanitize(s)).collect();
        if tail.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}-{}", tail.join("-"))
        }
    };
    let mut k: Vec<usize> = items
        .iter()
        .map(|(_, bare, _)| usize::from(!bare))
        .collect();
    loop {
        let ids: Vec<String> = items
            .iter()
            .zip(&k)
            .map(|((p, _, s), &k)| name((p, s, k)))
            .collect();
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            groups.entry(id.as_str()).or_default().push(i);
        }
        let mut widened = false;
        for members in groups.values().filter(|m| m.len() > 1) {
            for &i in members {
                if k[i] < items[i].2.len() {
                    k[i] += 1;
                    widened = true;
                }
            }
        }
        if !widened {
            // Nothing left to widen: number what still collides, in the given order.
            let mut seen: HashMap<String, usize> = HashMap::new();
            return ids
                .into_iter()
                .map(|id| {
                    let n = seen.entry(id.clone()).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        id
                    } else {
                        format!("{id}-{n}")
                    }
                })
                .collect();
        }
    }
}

impl<'a> Walk<'a> {
    fn new(client: &'a Client, limits: &'a Limits, now: DateTime<Utc>) -> Walk<'a> {
        Walk {
            client,
            limits,
            now,
            expand: None,
            visited: HashSet::new(),
            pending: FuturesUnordered::new(),
            parts: Vec::new(),
            aliases: HashMap::new(),
            metrics_of: HashMap::new(),
            firmware: Vec::new(),
            images: Vec::new(),
            raids: Vec::new(),
            systems: Vec::new(),
            metrics: Vec::new(),
            chassis_with_subsystem_psus: HashSet::new(),
            dead: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    /// A plausible instant: after 2000 and not after the crawl (a day's clock skew allowed).
    fn plausible(&self, t: DateTime<Utc>) -> bool {
        let floor = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        floor.is_some_and(|f| t >= f) && t <= self.now + chrono::Duration::days(1)
    }

    fn time(&self, v: &Value, key: &str) -> Option<DateTime<Utc>> {
        let t = DateTime::parse_from_rfc3339(v.get(key)?.as_str()?.trim()).ok()?;
        let t = t.with_timezone(&Utc);
        self.plausible(t).then_some(t)
    }

    /// Queue `link` to be read as `task` unless it was read already; `page_of` for a next page.
    fn follow(&mut self, link: &str, task: Task) -> Result<(), DiscoverError> {
        let Some(mut url) = self.client.resolve(link) else {
            self.notes
                .push(format!("{link}: not followed (not a link of this service)"));
            return Ok(());
        };
        let next_page = matches!(task, Task::Collection { page, .. } if page > 1);
        let key = key_of(&url, next_page);
        if !self.visited.insert(key.clone()) {
            if next_page {
                return Err(DiscoverError::PageLoop {
                    url: url.to_string(),
                });
            }
            return Ok(());
        }
        if self.visited.len() > self.limits.max_resources {
            return Err(DiscoverError::ResourceCap {
                url: self.client.root().to_string(),
                limit: self.limits.max_resources,
            });
        }
        let mut task = task;
        if let (
            Task::Collection {
                page: 1, expand, ..
            },
            Some(q),
        ) = (&mut task, self.expand)
        {
            if url.query().is_none() {
                url.set_query(Some(q));
                *expand = true;
            }
        }
        self.push(url, key, task);
        Ok(())
    }

    fn push(&mut self, url: reqwest::Url, key: String, task: Task) {
        let client = self.client;
        self.pending.push(Box::pin(async move {
            let got = client.get(&url).await;
            (url, key, task, got)
        }));
    }

    async fn run(&mut self, root: Value) -> Result<(), DiscoverError> {
        let root_key = key_of(self.client.root(), false);
        self.visited.insert(root_key);
        if let Some(e) = root
            .get("ProtocolFeaturesSupported")
            .and_then(|p| p.get("ExpandQuery"))
        {
            let yes = |k: &str| e.get(k).and_then(Value::as_bool) == Some(true);
            let levels = yes("Levels");
            self.expand = match (yes("NoLinks"), yes("ExpandAll"), levels) {
                (true, _, true) => Some("$expand=.($levels=1)"),
                (true, _, false) => Some("$expand=."),
                (false, true, true) => Some("$expand=*($levels=1)"),
                (false, true, false) => Some("$expand=*"),
                _ => None,
            };
        }
        for (key, of) in [
            ("Systems", Res::System),
            ("Chassis", Res::Chassis),
            ("Managers", Res::Manager),
            ("Storage", Res::Storage),
        ] {
            if let Some(l) = link(&root, &[key]) {
                self.follow(
                    l,
                    Task::Collection {
                        of,
                        page: 1,
                        expand: false,
                    },
                )?;
            }
        }
        if let Some(l) = link(&root, &["UpdateService"]) {
            self.follow(l, Task::Resource(Res::UpdateService))?;
        }
        while let Some((url, key, task, got)) = self.pending.next().await {
            match got {
                Ok(Got::Json { value, date }) => self.read(&key, task, &value, date)?,
                Ok(Got::Missing(status)) => {
                    self.dead
                        .insert(format!("{} ({status})", key_of(&url, true)));
                }
                Err(FetchError {
                    reason: Reason::Status(400 | 501),
                    ..
                }) if matches!(task, Task::Collection { expand: true, .. }) => {
                    // The service advertised $expand but refuses it: ask plainly from now on.
                    self.expand = None;
                    let mut plain = url.clone();
                    plain.set_query(None);
                    if let Task::Collection { of, page, .. } = task {
                        self.push(
                            plain,
                            key,
                            Task::Collection {
                                of,
                                page,
                                expand: false,
                            },
                        );
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Read a fetched (or expanded) resource at `path` as `task`.
    fn read(
        &mut self,
        path: &str,
        task: Task,
        v: &Value,
        date: Option<DateTime<Utc>>,
    ) -> Result<(), DiscoverError> {
        match task {
            Task::Collection { of, page, .. } => self.collection(path, of, page, v, date),
            Task::Resource(res) => self.resource(path, res, v, date),
        }
    }

    fn collection(
        &mut self,
        path: &str,
        of: Res,
        page: usize,
        v: &Value,
        date: Option<DateTime<Utc>>,
    ) -> Result<(), DiscoverError> {
        let Some(members) = v.get("Members").and_then(Value::as_array) else {
            if v.get("error").is_some() {
                self.notes.push(format!(
                    "{path}: answered an error object instead of members"
                ));
            }
            return Ok(());
        };
        for m in members {
            let Some(id) = m.get("@odata.id").and_then(Value::as_str) else {
                continue;
            };
            let expanded = m
                .as_object()
                .is_some_and(|o| o.keys().any(|k| !k.starts_with('@')));
            if expanded {
                if let Some(u) = self.client.resolve(id) {
                    let key = key_of(&u, false);
                    if self.visited.insert(key.clone()) {
                        self.resource(&key, of, m, date)?;
                    }
                }
            } else {
                self.follow(id, Task::Resource(of))?;
            }
        }
        if let Some(next) = v.get("Members@odata.nextLink").and_then(Value::as_str) {
            if page >= self.limits.max_pages {
                return Err(DiscoverError::PageCap {
                    url: self
                        .client
                        .resolve(next)
                        .map_or(next.to_string(), |u| u.to_string()),
                    limit: self.limits.max_pages,
                });
            }
            self.follow(
                next,
                Task::Collection {
                    of,
                    page: page + 1,
                    expand: false,
                },
            )?;
        }
        Ok(())
    }

    fn collection_link(&mut self, v: &Value, key: &str, of: Res) -> Result<(), DiscoverError> {
        if let Some(l) = link(v, &[key]) {
            self.follow(
                l,
                Task::Collection {
                    of,
                    page: 1,
                    expand: false,
                },
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn part(
        &mut self,
        kind: ComponentKind,
        prefix: &'static str,
        location: String,
        segs: Vec<String>,
        v: &Value,
        firmware: Option<String>,
    ) -> usize {
        let draft = Draft {
            kind,
            prefix,
            bare: false,
            segs,
            vendor: text(v, "Manufacturer"),
            model: text(v, "Model"),
            firmware,
            serial: text(v, "SerialNumber"),
            hours: None,
            booted: None,
            location,
            legacy_psu_of: None,
        };
        self.parts.push(draft);
        self.parts.len() - 1
    }

    fn resource(
        &mut self,
        path: &str,
        res: Res,
        v: &Value,
        date: Option<DateTime<Utc>>,
    ) -> Result<(), DiscoverError> {
        match res {
            Res::System => {
                let facts = SystemFacts {
                    vendor: text(v, "Manufacturer"),
                    model: text(v, "Model"),
                    serial: text(v, "SerialNumber"),
                    firmware: None,
                    booted: self.time(v, "LastResetTime"),
                };
                if let Some(bios) = text(v, "BiosVersion") {
                    let i = self.part(
                        ComponentKind::Other,
                        "bios",
                        path.to_string(),
                        segs_of(path, None),
                        v,
                        Some(bios),
                    );
                    self.parts[i].bare = true;
                    self.parts[i].model = text(v, "Model").or(Some("BIOS".into()));
                    self.parts[i].serial = None;
                    let mut names = vec![format!("{path}/Bios")];
                    names.extend(link(v, &["Bios"]).and_then(|l| self.alias_key(l)));
                    for n in names {
                        self.aliases.insert(n, path.to_string());
                    }
                }
                self.systems.push(SystemDraft {
                    path: path.to_string(),
                    facts,
                });
                self.collection_link(v, "Storage", Res::Storage)?;
            }
            Res::Chassis => {
                if let Some(l) = link(v, &["PowerSubsystem"]) {
                    self.follow(l, Task::Resource(Res::PowerSubsystem))?;
                }
                if let Some(l) = link(v, &["Power"]) {
                    self.follow(l, Task::Resource(Res::Power))?;
                }
                self.collection_link(v, "Drives", Res::Drive)?;
                for l in links(v, &["Links", "Drives"]) {
                    self.follow(l, Task::Resource(Res::Drive))?;
                }
            }
            Res::Power => {
                let chassis = path.trim_end_matches("/Power").to_string();
                for (s, member, location) in inline_members(v, "PowerSupplies", path) {
                    let i = self.part(
                        ComponentKind::Psu,
                        "psu",
                        location,
                        segs_of(&chassis, Some(&member)),
                        s,
                        text(s, "FirmwareVersion"),
                    );
                    self.parts[i].legacy_psu_of = Some(chassis.clone());
                }
            }
            Res::PowerSubsystem => {
                self.collection_link(v, "PowerSupplies", Res::PowerSupply)?;
            }
            Res::PowerSupply => {
                if !absent(v) {
                    if let Some(at) = path.find("/PowerSubsystem") {
                        self.chassis_with_subsystem_psus
                            .insert(path[..at].to_string());
                    }
                    self.part(
                        ComponentKind::Psu,
                        "psu",
                        path.to_string(),
                        segs_of(path, None),
                        v,
                        text(v, "FirmwareVersion"),
                    );
                }
            }
            Res::Manager => {
                let (kind, prefix) = match v.get("ManagerType").and_then(Value::as_str) {
                    None | Some("BMC") => (ComponentKind::Bmc, "bmc"),
                    Some("ManagementController") => (ComponentKind::Controller, "controller"),
                    Some("EnclosureManager") => (ComponentKind::Enclosure, "enclosure"),
                    Some(_) => (ComponentKind::Other, "manager"),
                };
                let i = self.part(
                    kind,
                    prefix,
                    path.to_string(),
                    segs_of(path, None),
                    v,
                    text(v, "FirmwareVersion"),
                );
                self.parts[i].bare = kind == ComponentKind::Bmc;
                self.parts[i].booted = self.time(v, "LastResetTime");
                let mut imgs = links(v, &["Links", "ActiveSoftwareImage"]);
                imgs.extend(links(v, &["Links", "SoftwareImages"]));
                for l in imgs {
                    if let Some(k) = self.alias_key(l) {
                        self.images.push((k, path.to_string()));
                    }
                }
            }
            Res::UpdateService => {
                self.collection_link(v, "FirmwareInventory", Res::Firmware)?;
                self.collection_link(v, "SoftwareInventory", Res::Firmware)?;
            }
            Res::Firmware => {
                if !absent(v) {
                    let related = links(v, &["RelatedItem"])
                        .into_iter()
                        .filter_map(|l| self.alias_key(l))
                        .collect();
                    self.firmware.push(FwEntry {
                        path: path.to_string(),
                        id: text(v, "Id").or_else(|| path.rsplit('/').next().map(str::to_string)),
                        segs: segs_of(path, None),
                        name: text(v, "Name"),
                        version: text(v, "Version"),
                        vendor: text(v, "Manufacturer"),
                        related,
                    });
                }
            }
            Res::Storage => {
                for (c, member, location) in inline_members(v, "StorageControllers", path) {
                    let fw = firmware_of(c);
                    self.part(
                        ComponentKind::Controller,
                        "controller",
                        location,
                        segs_of(path, Some(&member)),
                        c,
                        fw,
                    );
                }
                self.collection_link(v, "Controllers", Res::Controller)?;
                for l in links(v, &["Drives"]) {
                    self.follow(l, Task::Resource(Res::Drive))?;
                }
                self.collection_link(v, "Volumes", Res::Volume)?;
                self.collection_link(v, "StoragePools", Res::Pool)?;
            }
            Res::Controller => {
                if !absent(v) {
                    let fw = firmware_of(v);
                    self.part(
                        ComponentKind::Controller,
                        "controller",
                        path.to_string(),
                        segs_of(path, None),
                        v,
                        fw,
                    );
                }
            }
            Res::Drive => {
                if !absent(v) {
                    let fw = text(v, "Revision").or_else(|| firmware_of(v));
                    self.part(
                        ComponentKind::Drive,
                        "drive",
                        path.to_string(),
                        segs_of(path, None),
                        v,
                        fw,
                    );
                    if let Some(l) = link(v, &["Metrics"]) {
                        if let Some(k) = self.alias_key(l) {
                            self.metrics_of.insert(k, path.to_string());
                        }
                        self.follow(l, Task::Resource(Res::DriveMetrics))?;
                    }
                }
            }
            Res::DriveMetrics => {
                let hours = v
                    .get("PowerOnHours")
                    .and_then(Value::as_f64)
                    .or_else(|| {
                        v.get("NVMeSMART")
                            .and_then(|s| s.get("PowerOnHours"))
                            .and_then(Value::as_f64)
                    })
                    .filter(|h| h.is_finite() && *h >= 0.0);
                if let Some(h) = hours {
                    let read_at = date.filter(|d| self.plausible(*d)).unwrap_or(self.now);
                    let drive = self
                        .metrics_of
                        .get(path)
                        .cloned()
                        .unwrap_or_else(|| path.trim_end_matches("/Metrics").to_string());
                    // Whole hours: the counter as a drive keeps it (SMART counts whole hours).
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let hours = h.floor() as u64;
                    self.metrics.push((drive, Hours { hours, read_at }));
                }
            }
            Res::Volume | Res::Pool => {
                let mut drives: Vec<&str> = links(v, &["Links", "Drives"]);
                if let Some(sources) = v.get("CapacitySources").and_then(Value::as_array) {
                    for s in sources {
                        drives.extend(links(s, &["ProvidingDrives", "Members"]));
                    }
                }
                let raid_type = text(v, "RAIDType").or_else(|| {
                    let types = v.get("SupportedRAIDTypes")?.as_array()?;
                    match types.as_slice() {
                        [one] => one.as_str().map(str::to_string),
                        _ => None,
                    }
                });
                let drives: Vec<String> = drives
                    .into_iter()
                    .filter_map(|l| self.alias_key(l))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !drives.is_empty() {
                    self.raids.push(RaidDraft {
                        path: path.to_string(),
                        segs: segs_of(path, None),
                        raid_type,
                        drives,
                    });
                }
            }
        }
        Ok(())
    }

    /// The key (path, no trailing `/`) of a link of this service.
    fn alias_key(&self, link: &str) -> Option<String> {
        self.client.resolve(link).map(|u| key_of(&u, false))
    }

    /// Everything read, as a snapshot, and the notes.
    fn finish(mut self, system: &str) -> (Snapshot, Vec<String>) {
        // The legacy Power resource repeats the PowerSubsystem's supplies: keep the newer form.
        let modern = std::mem::take(&mut self.chassis_with_subsystem_psus);
        self.parts
            .retain(|p| p.legacy_psu_of.as_ref().is_none_or(|c| !modern.contains(c)));
        // One Storage at two URIs (Seagate serves it under its system and at the service root,
        // as Swordfish allows): a part of the one is the part of the other, kept at the shorter
        // location; the other location still names it.
        let mut order: Vec<usize> = (0..self.parts.len()).collect();
        order.sort_by_key(|&i| (self.parts[i].location.len(), self.parts[i].location.clone()));
        let mut seen: HashMap<(ComponentKind, String), usize> = HashMap::new();
        let mut drop = vec![false; self.parts.len()];
        for i in order {
            let p = &self.parts[i];
            let key = (p.kind, service_level(&p.location));
            match seen.entry(key) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    let kept = self.parts[*o.get()].location.clone();
                    self.aliases.insert(p.location.clone(), kept);
                    drop[i] = true;
                }
            }
        }
        let mut n = 0;
        self.parts.retain(|_| {
            n += 1;
            !drop[n - 1]
        });
        let mut by_path: HashMap<String, usize> = HashMap::new();
        for (i, p) in self.parts.iter().enumerate() {
            by_path.insert(p.location.clone(), i);
        }
        for (alias, location) in &self.aliases {
            if let Some(&i) = by_path.get(location) {
                by_path.insert(alias.clone(), i);
            }
        }
        // Firmware inventory: tie entries to parts.
        let mut tied: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut entry_parts: Vec<Vec<usize>> = Vec::new();
        for (e, entry) in self.firmware.iter().enumerate() {
            let mut parts: Vec<usize> = entry
                .related
                .iter()
                .chain(
                    self.images
                        .iter()
                        .filter(|(img, _)| *img == entry.path)
                        .map(|(_, mgr)| mgr),
                )
                .filter_map(|p| by_path.get(p).copied())
                .collect();
            parts.sort_unstable();
            parts.dedup();
            for &p in &parts {
                tied.entry(p).or_default().push(e);
            }
            entry_parts.push(parts);
        }
        let mut own: Vec<bool> = self.parts.iter().map(|p| p.firmware.is_some()).collect();
        for (e, entry) in std::mem::take(&mut self.firmware).into_iter().enumerate() {
            let parts = &entry_parts[e];
            if parts.iter().any(|&p| own[p]) {
                continue; // the part states its own firmware: this entry is that firmware
            }
            if let [p] = parts.as_slice() {
                if tied.get(p).is_some_and(|es| es.len() == 1) && entry.version.is_some() {
                    self.parts[*p].firmware = entry.version;
                    own[*p] = true;
                    continue;
                }
            }
            self.parts.push(Draft {
                kind: ComponentKind::Other,
                prefix: "fw",
                bare: false,
                segs: entry.segs,
                vendor: entry.vendor,
                model: entry.name.filter(|n| !generic_name(n)).or(entry.id),
                firmware: entry.version,
                serial: None,
                hours: None,
                booted: None,
                location: entry.path,
                legacy_psu_of: None,
            });
        }
        // Power-on hours onto their drives.
        for (drive, hours) in std::mem::take(&mut self.metrics) {
            let at = self.aliases.get(&drive).unwrap_or(&drive);
            match self.parts.iter_mut().find(|p| p.location == *at) {
                Some(p) => p.hours = Some(hours),
                None => self.notes.push(format!(
                    "{drive}/Metrics: power-on hours of a drive not read"
                )),
            }
        }
        let keys: Vec<(&str, bool, &[String])> = self
            .parts
            .iter()
            .map(|p| (p.prefix, p.bare, p.segs.as_slice()))
            .collect();
        let ids = assign_ids(&keys);
        let id_at: HashMap<&str, &str> = self
            .parts
            .iter()
            .zip(&ids)
            .map(|(p, id)| (p.location.as_str(), id.as_str()))
            .collect();
        // RAID groups whose drives were all read.
        let mut groups: Vec<(&RaidDraft, Vec<String>)> = Vec::new();
        for r in &self.raids {
            let members: Vec<String> = r
                .drives
                .iter()
                .filter_map(|d| {
                    let d = self.aliases.get(d).unwrap_or(d);
                    id_at.get(d.as_str()).map(|s| s.to_string())
                })
                .collect();
            if members.len() < r.drives.len() {
                self.notes.push(format!(
                    "{}: not a RAID group here: {} of its {} drives were not read",
                    r.path,
                    r.drives.len() - members.len(),
                    r.drives.len()
                ));
            } else if members.len() >= 2 {
                groups.push((r, members));
            }
        }
        let group_keys: Vec<(&str, bool, &[String])> = groups
            .iter()
            .map(|(r, _)| ("raid", false, r.segs.as_slice()))
            .collect();
        let group_ids = assign_ids(&group_keys);
        let mut raid_groups: Vec<RaidSet> = groups
            .iter()
            .zip(group_ids)
            .map(|((r, members), id)| {
                let mut members = members.clone();
                members.sort();
                RaidSet {
                    id,
                    raid_type: r.raid_type.clone(),
                    members,
                    location: r.path.clone(),
                }
            })
            .collect();
        raid_groups.sort_by(|a, b| a.id.cmp(&b.id));
        let mut components: Vec<Part> = self
            .parts
            .into_iter()
            .zip(ids)
            .map(|(d, id)| Part {
                id,
                kind: d.kind,
                vendor: d.vendor,
                model: d.model,
                firmware: d.firmware,
                serial: d.serial,
                power_on_hours: d.hours,
                booted: d.booted,
                location: d.location,
            })
            .collect();
        components.sort_by(|a, b| a.id.cmp(&b.id));
        self.systems.sort_by(|a, b| a.path.cmp(&b.path));
        let mut snap = Snapshot::new(
            system,
            SourceKind::Redfish,
            self.client.root().as_str(),
            self.now,
        );
        if let Some(first) = self.systems.into_iter().next() {
            snap.facts = first.facts;
        }
        snap.components = components;
        snap.raid_groups = raid_groups;
        let mut notes = self.notes;
        if !self.dead.is_empty() {
            let n = self.dead.len();
            let shown: Vec<&str> = self.dead.iter().take(5).map(String::as_str).collect();
            notes.push(format!(
                "{n} dead link{} (tolerated): {}{}",
                if n == 1 { "" } else { "s" },
                shown.join(", "),
                if n > 5 { ", …" } else { "" }
            ));
        }
        (snap, notes)
    }
}

/// A storage resource's location as the service root serves it: `/redfish/v1/Systems/<id>/Storage/…`
/// is `/redfish/v1/Storage/…`; any other location is itself.
fn service_level(location: &str) -> String {
    if let Some(rest) = location.strip_prefix("/redfish/v1/Systems/") {
        if let Some(at) = rest.find("/Storage/") {
            return format!("/redfish/v1{}", &rest[at..]);
        }
    }
    location.to_string()
}

/// A name that says only what kind of resource it is (BlueField names every entry `Software
/// Inventory`): the entry's `Id` says more.
fn generic_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("software inventory") || n.contains("firmware inventory")
}

/// A `FirmwareVersion` as a string, or HPE's OEM object `{"Current": {"VersionString": …}}`.
fn firmware_of(v: &Value) -> Option<String> {
    match v.get("FirmwareVersion")? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string),
        Value::Object(_) => {
            let s = v
                .get("FirmwareVersion")?
                .get("Current")?
                .get("VersionString")?
                .as_str()?
                .trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ids_widen_only_where_they_collide() {
        let a = segs(&["IPAttachedDrive1", "NVMeIOController"]);
        let b = segs(&["IPAttachedDrive2", "NVMeIOController"]);
        let c = segs(&["EBOFEnclosure", "IPAttachedDrive1"]);
        let bmc = segs(&["EBOF-SoC"]);
        let ids = assign_ids(&[
            ("controller", false, &a),
            ("controller", false, &b),
            ("drive", false, &c),
            ("bmc", true, &bmc),
        ]);
        assert_eq!(
            ids,
            [
                "controller-IPAttachedDrive1-NVMeIOController",
                "controller-IPAttachedDrive2-NVMeIOController",
                "drive-IPAttachedDrive1",
                "bmc"
            ]
        );
        // Two managers: each named; identical paths: numbered.
        let x = segs(&["BMC1"]);
        let y = segs(&["BMC 2/x"]);
        let ids = assign_ids(&[("bmc", true, &x), ("bmc", true, &y), ("bmc", true, &x)]);
        assert_eq!(ids, ["bmc-BMC1", "bmc-BMC_2_x", "bmc-BMC1-2"]);
    }

    #[test]
    fn segments_leave_out_collection_words() {
        assert_eq!(
            segs_of(
                "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay1",
                None
            ),
            ["1U", "Bay1"]
        );
        assert_eq!(
            segs_of("/redfish/v1/Systems/437XR1138R2/Storage/1", Some("0")),
            ["437XR1138R2", "1", "0"]
        );
        assert_eq!(sanitize("a b/c:d"), "a_b_c_d");
    }

    #[test]
    fn storage_under_a_system_is_the_service_level_storage() {
        assert_eq!(
            service_level("/redfish/v1/Systems/S1/Storage/c_a#/StorageControllers/0"),
            "/redfish/v1/Storage/c_a#/StorageControllers/0"
        );
        assert_eq!(
            service_level("/redfish/v1/Managers/BMC"),
            "/redfish/v1/Managers/BMC"
        );
    }

    #[test]
    fn hpe_oem_firmware_objects_are_read() {
        let v: Value =
            serde_json::json!({"FirmwareVersion": {"Current": {"VersionString": "HPDC"}}});
        assert_eq!(firmware_of(&v).as_deref(), Some("HPDC"));
        let v: Value = serde_json::json!({"FirmwareVersion": "  "});
        assert_eq!(firmware_of(&v), None);
    }
}
