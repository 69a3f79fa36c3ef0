//! The merge: a discovered snapshot laid over the hand-written system it names, before the
//! inventory's checks run, so that every check (firmware parses under the item's scheme, readings
//! and boots not in the future, RAID sizes) runs on the merged values, and a problem in a value
//! that came from discovery names the snapshot file and where the source said it.
//!
//! # The rule
//!
//! The hand-written files own the **topology** and the **names**: ids, kinds, vendor and model
//! spelling, scheme overrides, counts of parts nobody reported, groups, loads, domains, services,
//! owners, backups, settings and tenants. Advisories are matched on the operator's names, so a
//! model or kind that discovery spells differently is reported (drift `model-differs`,
//! `kind-differs`), never applied. Vendors are not compared at all: sources report the bus or the
//! OEM (`ATA`, `HGST`) as often as the vendor an advisory names.
//!
//! Discovery owns the **facts of the running parts**: firmware, serial number, power-on hours (the
//! reading's UTC date) and boot time (its UTC date). The system's own firmware is replaced only
//! when the snapshot states it (`facts.firmware`), its boot only by `facts.booted`.
//!
//! A discovered part is tied to a hand-written component of its system, in this order (each
//! hand-written single part is tied at most once):
//!
//! 1. by serial number, when both have one (ignoring case and surrounding space);
//! 2. by id, ignoring ASCII case (a part whose id is a set's id belongs to that set);
//! 3. by kind and model (models compared ignoring case, spaces and punctuation), when exactly one
//!    untied hand-written single part (count 1) and exactly one untied discovered part share
//!    them — two discovered controllers of one model are never both laid over one written one;
//! 4. to a **set** (`count` > 1) of its kind and model, when exactly one set has them.
//!
//! A part tied to nothing is **added** as a component of the system (id from the snapshot,
//! made unique with `~2`, `~3` …; vendor from the snapshot, else the system's; no scheme
//! override, so drives are `opaque`), so its firmware is matched and rated; one without firmware
//! or model, or whose firmware does not parse under that scheme (HPE's BIOS `P79 v1.45
//! (12/06/2017)` as `opaque`), cannot be and is only listed (`unrated-part`). A hand-written component discovery did
//! not report is kept as written (a source may not see every part) and listed (`not-reported`).
//!
//! **Sets.** The parts attributed to a set say what its members run. When they all run one
//! firmware and cover the set, the set takes that firmware. When they run several, one version
//! for the set would claim firmware some members do not run — a bug in the other version would
//! be "not affected" without evidence — so the set is **split** into one entry per firmware,
//! with its count: the entry with the most parts keeps the set's id, each other is named
//! `<set>~<firmware>` (characters an id cannot hold become `-`). Members discovery did not see
//! (or saw without a firmware) keep the written firmware and count with the entry of that
//! firmware. Each entry's power-on hours are those of its oldest reading part (the first to reach
//! an hours threshold). A group, failure domain, `fed_by` or service naming the set names every
//! entry (the loader adds them to the list after it), so a RAID group keeps its size and the
//! blast rating sees each firmware's members. A set whose discovered count exceeds the written
//! one grows to it (`count-differs`).
//!
//! When several sets share a kind and model, discovered parts of that model cannot be told apart
//! between them. If they run the firmware every candidate set records, nothing changes; if not,
//! the load fails (`discovered-ambiguous`): guessing would move a firmware into the wrong RAID
//! group. Writing those parts one entry each with their serials (or ids) resolves it.
//!
//! A stale snapshot (its last attempt failed) still merges — its facts are the best known — and
//! is reported by `inventory drift` and `exposure`. Snapshot RAID sets are not merged: groups
//! stay hand-written.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::snapshot::{Part, Snapshot, SourceKind, Stale};
use crate::diag::{DocPath, Place};
use crate::inventory::raw::{RawComponent, RawDate, RawHours, RawSystem};
use crate::inventory::{Diagnostic, InventoryCode};
use crate::model::ComponentKind;
use crate::version::{scheme_for, FwVersion, Scheme};

crate::diag::codes! {
    /// Stable codes of the differences between the hand-written inventory and discovery.
    pub enum DriftCode {
        /// The written firmware differs from the discovered one (which is used).
        FirmwareDiffers = "firmware-differs",
        /// A discovered part the hand-written files do not have: added and rated.
        AddedPart = "added-part",
        /// A discovered part the hand-written files do not have, without firmware or model:
        /// it cannot be rated and is not added.
        UnratedPart = "unrated-part",
        /// A hand-written component (or members of a set) discovery did not report: kept as
        /// written.
        NotReported = "not-reported",
        /// The discovered model is spelt differently: the written one is kept.
        ModelDiffers = "model-differs",
        /// The discovered kind differs: the written one is kept.
        KindDiffers = "kind-differs",
        /// The written serial number differs from the discovered one (a swapped part).
        SerialDiffers = "serial-differs",
        /// Discovery found more members of a set than it counts: the set grows.
        CountDiffers = "count-differs",
        /// A set whose members run several firmware versions, split into one entry per version.
        SetSplit = "set-split",
    }
}

/// One difference between what is written and what was discovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub code: DriftCode,
    /// The component as the merged inventory names it; `None`: the system itself, or a part the
    /// files do not have and that was not added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The snapshot's part ids this is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// What the hand-written file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// What discovery says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovered: Option<String>,
    /// How many parts (a set's members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Where the source said it (a Redfish resource, `file:line` of an import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The difference in words.
    pub message: String,
}

/// What a system's snapshot was and how it differed from the hand-written system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovered {
    /// The snapshot file.
    pub file: String,
    pub source: SourceKind,
    pub endpoint: String,
    pub read_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<Stale>,
    pub drift: Vec<Drift>,
}

/// Where a merged value came from: the snapshot file (its index among the inventory's files),
/// the item's path in it, and where the source said it.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub file: usize,
    /// The part (`components[3]`) or `facts`; the checks add the key.
    pub path: DocPath,
    pub location: String,
}

/// Which values of one merged component came from discovery.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartOrigin {
    /// The hand-written component an added entry derives from (a set's split entry): problems
    /// with what it kept from there are shown at that component.
    pub written: Option<usize>,
    pub firmware: Option<Origin>,
    pub power_on_hours: Option<Origin>,
    pub booted: Option<Origin>,
}

/// Which values of a merged system came from discovery.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origins {
    pub firmware: Option<Origin>,
    pub booted: Option<Origin>,
    /// One per component of the merged system, in order.
    pub components: Vec<PartOrigin>,
}

/// The outcome of merging one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub origins: Origins,
    pub discovered: Discovered,
    /// Sets split by firmware: the set's id and the ids of the entries added for it.
    pub splits: Vec<(String, Vec<String>)>,
}

/// Where the snapshot and the hand-written system are, for diagnostics.
pub struct Places<'a> {
    /// The snapshot's index among the inventory's files, and its name.
    pub snapshot: usize,
    pub snapshot_name: &'a str,
    /// The hand-written file of the system and the system's path in it.
    pub written: usize,
    pub system: &'a DocPath,
}

/// How a discovered part is tied to the hand-written system.
#[derive(Debug, Clone, PartialEq)]
enum Tie {
    Single(usize),
    Set(usize),
    Ambiguous(Vec<usize>),
    New,
}

/// The source's name as the files write it (`redfish`, `cyclonedx`, `csv`).
pub fn source_name(s: SourceKind) -> &'static str {
    match s {
        SourceKind::Redfish => "redfish",
        SourceKind::Cyclonedx => "cyclonedx",
        SourceKind::Csv => "csv",
    }
}

/// Text compared ignoring case, spaces and punctuation (`VO1920 JFDGV` = `vo1920-jfdgv`).
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A part's serial number, unless the source left it blank.
fn serial_of(p: &Part) -> Option<&str> {
    p.serial.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn same_serial(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// `s` as a component id: `/` and white space (which references cannot hold) become `-`.
fn as_id(s: &str) -> String {
    let id: String = s
        .trim()
        .chars()
        .map(|c| {
            if c == '/' || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    if id.is_empty() {
        "part".to_string()
    } else {
        id
    }
}

/// Component ids in use, folded to lower case: new ids must differ ignoring case.
struct Ids(HashSet<String>);

impl Ids {
    fn unique(&mut self, base: &str) -> String {
        let mut id = base.to_string();
        let mut n = 2;
        while !self.0.insert(id.to_ascii_lowercase()) {
            id = format!("{base}~{n}");
            n += 1;
        }
        id
    }
}

fn date_of(t: &DateTime<Utc>) -> RawDate {
    RawDate(t.date_naive().format("%Y-%m-%d").to_string().into())
}

fn time_of(t: &DateTime<Utc>) -> RawDate {
    RawDate(t.to_rfc3339().into())
}

/// Lay `snap` over `sys` (see the module doc). Problems that stop the load (a part that could
/// belong to several sets that record another firmware) go to `d`.
pub fn merge(
    sys: &mut RawSystem,
    snap: &Snapshot,
    at: &Places<'_>,
    d: &mut Vec<Diagnostic>,
) -> Merged {
    let part_path = |k: usize| DocPath::default().key("components").index(k);
    let origin = |path: DocPath, location: &str| Origin {
        file: at.snapshot,
        path,
        location: location.to_string(),
    };
    let n = sys.components.len();
    let mut origins = Origins {
        components: vec![PartOrigin::default(); n],
        ..Origins::default()
    };
    let mut drift = Vec::new();

    let facts = &snap.facts;
    if let Some(fw) = &facts.firmware {
        if fw.trim() != sys.firmware.trim() {
            drift.push(Drift {
                code: DriftCode::FirmwareDiffers,
                component: None,
                parts: Vec::new(),
                written: Some(sys.firmware.clone()),
                discovered: Some(fw.clone()),
                count: None,
                location: Some(snap.endpoint.clone()),
                message: format!(
                    "the system runs {fw}, written {}: the discovered version is used",
                    sys.firmware
                ),
            });
        }
        sys.firmware = fw.trim().to_string();
        origins.firmware = Some(origin(DocPath::default().key("facts"), &snap.endpoint));
    }
    if let Some(b) = &facts.booted {
        sys.booted = Some(time_of(b));
        origins.booted = Some(origin(DocPath::default().key("facts"), &snap.endpoint));
    }
    if let Some(model) = &facts.model {
        if fold(model) != fold(&sys.model) {
            drift.push(spelling(
                DriftCode::ModelDiffers,
                None,
                Vec::new(),
                &sys.model,
                model,
                &snap.endpoint,
            ));
        }
    }

    // Ties, pass by pass (see the module doc).
    let parts = &snap.components;
    let count = |c: &RawComponent| c.count.unwrap_or(1);
    let mut ties: Vec<Option<Tie>> = vec![None; parts.len()];
    let mut taken = vec![false; n];
    let by_serial: HashMap<String, usize> = sys
        .components
        .iter()
        .enumerate()
        .filter_map(|(j, c)| Some((c.serial.as_deref()?.trim().to_ascii_lowercase(), j)))
        .collect();
    for (k, p) in parts.iter().enumerate() {
        let Some(serial) = serial_of(p) else { continue };
        if let Some(&j) = by_serial.get(&serial.trim().to_ascii_lowercase()) {
            if !taken[j] && count(&sys.components[j]) <= 1 {
                taken[j] = true;
                ties[k] = Some(Tie::Single(j));
            }
        }
    }
    let mut by_id: HashMap<String, usize> = HashMap::with_capacity(n);
    for (j, c) in sys.components.iter().enumerate() {
        by_id.entry(c.id.as_str().to_ascii_lowercase()).or_insert(j);
    }
    for (k, p) in parts.iter().enumerate() {
        if ties[k].is_some() {
            continue;
        }
        if let Some(&j) = by_id.get(&p.id.trim().to_ascii_lowercase()) {
            if count(&sys.components[j]) > 1 {
                ties[k] = Some(Tie::Set(j));
            } else if !taken[j] {
                taken[j] = true;
                ties[k] = Some(Tie::Single(j));
            }
        }
    }
    // Kind and model: one untied written single part and one untied discovered part.
    let key = |kind: ComponentKind, model: &str| (kind, fold(model));
    let mut open_parts: BTreeMap<(ComponentKind, String), Vec<usize>> = BTreeMap::new();
    for (k, p) in parts.iter().enumerate() {
        if let (None, Some(model)) = (&ties[k], &p.model) {
            open_parts.entry(key(p.kind, model)).or_default().push(k);
        }
    }
    let mut singles: HashMap<(ComponentKind, String), Vec<usize>> = HashMap::new();
    let mut sets: HashMap<(ComponentKind, String), Vec<usize>> = HashMap::new();
    for (j, c) in sys.components.iter().enumerate() {
        let to = if count(c) > 1 {
            &mut sets
        } else if !taken[j] {
            &mut singles
        } else {
            continue;
        };
        to.entry(key(c.kind, &c.model)).or_default().push(j);
    }
    for (kk, ks) in &open_parts {
        if let (Some(js), [k]) = (singles.get(kk), ks.as_slice()) {
            if let [j] = js.as_slice() {
                taken[*j] = true;
                ties[*k] = Some(Tie::Single(*j));
                continue;
            }
        }
        for &k in ks {
            ties[k] = Some(match sets.get(kk).map(Vec::as_slice) {
                Some([j]) => Tie::Set(*j),
                Some(js) if js.len() > 1 => Tie::Ambiguous(js.to_vec()),
                _ => Tie::New,
            });
        }
    }

    let mut ids = Ids(sys
        .components
        .iter()
        .map(|c| c.id.as_str().to_ascii_lowercase())
        .collect());
    let mut per_set: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut ambiguous: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
    let mut new_parts = Vec::new();
    for (k, tie) in ties.into_iter().enumerate() {
        let p = &parts[k];
        let po = || origin(part_path(k), &p.location);
        match tie.unwrap_or(Tie::New) {
            Tie::Single(j) => {
                let c = &mut sys.components[j];
                let o = &mut origins.components[j];
                apply(c, p, o, &po, &mut drift);
            }
            Tie::Set(j) => per_set.entry(j).or_default().push(k),
            Tie::Ambiguous(js) => ambiguous.entry(js).or_default().push(k),
            Tie::New => new_parts.push(k),
        }
    }

    // What discovery saw of the written parts: tied singles, sets with parts attributed, and
    // the sets an ambiguous part could belong to.
    let mut reported = taken;
    for j in per_set.keys().chain(ambiguous.keys().flatten()) {
        reported[*j] = true;
    }
    let mut splits = Vec::new();
    for (j, ks) in per_set {
        if let Some(split) = merge_set(
            sys,
            j,
            &ks,
            parts,
            &mut origins,
            &mut ids,
            &mut drift,
            &|k| origin(part_path(k), &parts[k].location),
        ) {
            splits.push(split);
        }
    }

    for (js, ks) in ambiguous {
        let conflicting: Vec<usize> = ks
            .iter()
            .copied()
            .filter(|&k| {
                parts[k].firmware.as_deref().is_some_and(|f| {
                    js.iter()
                        .any(|&j| sys.components[j].firmware.trim() != f.trim())
                })
            })
            .collect();
        let Some(&first) = conflicting.first() else {
            continue;
        };
        let p = &parts[first];
        let names: Vec<String> = js
            .iter()
            .map(|&j| {
                let c = &sys.components[j];
                format!("`{}` ({} × {})", c.id, count(c), c.firmware)
            })
            .collect();
        let mut diag = Diagnostic::new(
            InventoryCode::DiscoveredAmbiguous,
            Place::at(at.snapshot, part_path(first).key("firmware")),
            {
                let n = conflicting.len();
                let (s, verb, they) = if n == 1 {
                    ("", "runs", "it")
                } else {
                    ("s", "run", "they")
                };
                format!(
                    "{n} discovered {}{s} of model `{}` in system `{}` {verb} firmware the sets {they} could belong to do not record: {}",
                    p.kind,
                    p.model.as_deref().unwrap_or_default(),
                    sys.id,
                    names.join(", ")
                )
            },
        )
        .label(format!(
            "`{}` runs {} ({})",
            p.id,
            p.firmware.as_deref().unwrap_or_default(),
            p.location
        ));
        for &j in &js {
            diag = diag.also(
                Place::at(at.written, at.system.key("components").index(j)),
                "a set of that kind and model",
            );
        }
        d.push(diag.note(
            "which set holds them cannot be told: write those parts one entry each with their \
             `serial` (or the discovered ids), so each firmware lands in its own RAID group",
        ));
    }

    for k in new_parts {
        let p = &parts[k];
        let (Some(model), Some(firmware)) = (&p.model, &p.firmware) else {
            let missing = if p.firmware.is_none() {
                "firmware"
            } else {
                "model"
            };
            drift.push(Drift {
                code: DriftCode::UnratedPart,
                component: None,
                parts: vec![p.id.clone()],
                written: None,
                discovered: p.firmware.clone().or_else(|| p.model.clone()),
                count: None,
                location: Some(p.location.clone()),
                message: format!(
                    "discovered {} `{}` is not in the inventory and reports no {missing}: it cannot be rated",
                    p.kind, p.id
                ),
            });
            continue;
        };
        // Rated under the scheme the loader gives it (no override: drives `opaque`, other parts
        // by vendor and model, else `opaque`); a firmware that does not parse there is a part
        // that cannot be rated, listed — never a load that fails over a machine-read string.
        let vendor = p.vendor.as_deref().unwrap_or(&sys.vendor);
        let scheme = match p.kind {
            ComponentKind::Drive => Scheme::Opaque,
            _ => scheme_for(vendor, model).unwrap_or(Scheme::Opaque),
        };
        if let Err(e) = FwVersion::parse(scheme, firmware.trim()) {
            drift.push(Drift {
                code: DriftCode::UnratedPart,
                component: None,
                parts: vec![p.id.clone()],
                written: None,
                discovered: Some(firmware.clone()),
                count: None,
                location: Some(p.location.clone()),
                message: format!(
                    "discovered {} `{}` is not in the inventory and its firmware `{firmware}` does not \
                     parse as `{}` ({e}): it cannot be rated; write it with a `scheme` to rate it",
                    p.kind,
                    p.id,
                    scheme.as_str()
                ),
            });
            continue;
        }
        let id = ids.unique(&as_id(&p.id));
        let po = || origin(part_path(k), &p.location);
        drift.push(Drift {
            code: DriftCode::AddedPart,
            component: Some(id.clone()),
            parts: vec![p.id.clone()],
            written: None,
            discovered: Some(firmware.clone()),
            count: Some(1),
            location: Some(p.location.clone()),
            message: format!(
                "discovered {} `{}` ({model}, firmware {firmware}) is not in the inventory: added as `{id}`",
                p.kind, p.id
            ),
        });
        sys.components.push(RawComponent {
            id: id.into(),
            kind: p.kind,
            vendor: p.vendor.as_deref().map(Into::into),
            model: model.as_str().into(),
            firmware: firmware.trim().into(),
            scheme: None,
            serial: serial_of(p).map(Into::into),
            count: None,
            power_on_hours: p.power_on_hours.map(|h| RawHours {
                hours: h.hours,
                read_on: date_of(&h.read_at),
            }),
            in_service: None,
            booted: p.booted.as_ref().map(time_of),
        });
        origins.components.push(PartOrigin {
            written: None,
            firmware: Some(po()),
            power_on_hours: p.power_on_hours.map(|_| po()),
            booted: p.booted.map(|_| po()),
        });
    }

    // Written parts nobody reported (a set seen in part reports its own shortfall).
    for (j, reported) in reported.iter().enumerate() {
        let c = &sys.components[j];
        if *reported {
            continue;
        }
        let n = count(c);
        drift.push(Drift {
            code: DriftCode::NotReported,
            component: Some(c.id.to_string()),
            parts: Vec::new(),
            written: Some(c.firmware.to_string()),
            discovered: None,
            count: Some(n),
            location: None,
            message: if n > 1 {
                format!(
                    "discovery reported none of the {n} parts of `{}`: kept as written",
                    c.id
                )
            } else {
                format!("discovery did not report `{}`: kept as written", c.id)
            },
        });
    }

    Merged {
        origins,
        discovered: Discovered {
            file: at.snapshot_name.to_string(),
            source: snap.source,
            endpoint: snap.endpoint.clone(),
            read_at: snap.read_at,
            stale: snap.stale.clone(),
            drift,
        },
        splits,
    }
}

fn spelling(
    code: DriftCode,
    component: Option<String>,
    parts: Vec<String>,
    written: &str,
    discovered: &str,
    location: &str,
) -> Drift {
    let (what, subject) = match code {
        DriftCode::KindDiffers => ("kind", "kind"),
        _ => ("model", "model"),
    };
    let whose = component
        .as_deref()
        .map_or("the system".to_string(), |c| format!("`{c}`"));
    Drift {
        code,
        component,
        parts,
        written: Some(written.to_string()),
        discovered: Some(discovered.to_string()),
        count: None,
        location: Some(location.to_string()),
        message: format!(
            "discovery reports the {what} of {whose} as `{discovered}`, written `{written}`: the written {subject} is kept (advisories match on it)"
        ),
    }
}

/// Lay one discovered part over the hand-written single component it is tied to.
fn apply(
    c: &mut RawComponent,
    p: &Part,
    o: &mut PartOrigin,
    origin: &dyn Fn() -> Origin,
    drift: &mut Vec<Drift>,
) {
    let parts = || vec![p.id.clone()];
    if let Some(fw) = &p.firmware {
        if fw.trim() != c.firmware.trim() {
            drift.push(Drift {
                code: DriftCode::FirmwareDiffers,
                component: Some(c.id.to_string()),
                parts: parts(),
                written: Some(c.firmware.to_string()),
                discovered: Some(fw.clone()),
                count: Some(1),
                location: Some(p.location.clone()),
                message: format!(
                    "`{}` runs {fw}, written {}: the discovered version is used",
                    c.id, c.firmware
                ),
            });
        }
        c.firmware = fw.trim().into();
        o.firmware = Some(origin());
    }
    if let Some(serial) = serial_of(p) {
        if let Some(written) = c.serial.as_deref().filter(|w| !same_serial(w, serial)) {
            drift.push(Drift {
                code: DriftCode::SerialDiffers,
                component: Some(c.id.to_string()),
                parts: parts(),
                written: Some(written.to_string()),
                discovered: Some(serial.to_string()),
                count: Some(1),
                location: Some(p.location.clone()),
                message: format!(
                    "`{}` has serial {serial}, written {written}: the part was replaced?",
                    c.id
                ),
            });
        }
        c.serial = Some(serial.into());
    }
    if let Some(h) = &p.power_on_hours {
        c.power_on_hours = Some(RawHours {
            hours: h.hours,
            read_on: date_of(&h.read_at),
        });
        o.power_on_hours = Some(origin());
    }
    if let Some(b) = &p.booted {
        c.booted = Some(time_of(b));
        o.booted = Some(origin());
    }
    if let Some(model) = &p.model {
        if fold(model) != fold(&c.model) {
            drift.push(spelling(
                DriftCode::ModelDiffers,
                Some(c.id.to_string()),
                parts(),
                &c.model,
                model,
                &p.location,
            ));
        }
    }
    if p.kind != c.kind {
        drift.push(spelling(
            DriftCode::KindDiffers,
            Some(c.id.to_string()),
            parts(),
            c.kind.as_str(),
            p.kind.as_str(),
            &p.location,
        ));
    }
}

/// One entry of a set after the merge: a firmware, how many members run it, and the discovered
/// parts among them.
struct Entry {
    firmware: String,
    count: u32,
    parts: Vec<usize>,
}

/// The part among `ks` with the highest power-on-hours reading (the first to reach a threshold).
fn oldest(parts: &[Part], ks: &[usize]) -> Option<usize> {
    ks.iter()
        .copied()
        .filter(|&k| parts[k].power_on_hours.is_some())
        .max_by_key(|&k| parts[k].power_on_hours.map(|h| h.hours))
}

/// Lay the parts `ks` attributed to the set `j` over it; the split, when there is one.
#[allow(clippy::too_many_arguments)]
fn merge_set(
    sys: &mut RawSystem,
    j: usize,
    ks: &[usize],
    parts: &[Part],
    origins: &mut Origins,
    ids: &mut Ids,
    drift: &mut Vec<Drift>,
    origin: &dyn Fn(usize) -> Origin,
) -> Option<(String, Vec<String>)> {
    let set = sys.components[j].clone();
    let written = set.count.unwrap_or(1);
    let seen = u32::try_from(ks.len()).unwrap_or(u32::MAX);
    let total = written.max(seen);
    let part_ids =
        |ks: &[usize]| -> Vec<String> { ks.iter().map(|&k| parts[k].id.clone()).collect() };

    let mut by_fw: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &k in ks {
        if let Some(f) = &parts[k].firmware {
            by_fw.entry(f.trim().to_string()).or_default().push(k);
        }
    }
    let with_fw: u32 = by_fw.values().map(|v| v.len() as u32).sum();
    let mut entries: Vec<Entry> = by_fw
        .into_iter()
        .map(|(firmware, parts)| Entry {
            count: parts.len() as u32,
            firmware,
            parts,
        })
        .collect();
    // Members not seen (or seen without a firmware) keep the written firmware.
    let rest = total - with_fw;
    if rest > 0 {
        match entries
            .iter_mut()
            .find(|e| e.firmware == set.firmware.trim())
        {
            Some(e) => e.count += rest,
            None => entries.push(Entry {
                firmware: set.firmware.trim().to_string(),
                count: rest,
                parts: Vec::new(),
            }),
        }
    }
    entries.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| {
                (b.firmware == set.firmware.trim()).cmp(&(a.firmware == set.firmware.trim()))
            })
            .then_with(|| a.firmware.cmp(&b.firmware))
    });

    if seen > written {
        drift.push(Drift {
            code: DriftCode::CountDiffers,
            component: Some(set.id.to_string()),
            parts: part_ids(ks),
            written: Some(written.to_string()),
            discovered: Some(seen.to_string()),
            count: Some(seen),
            location: None,
            message: format!(
                "discovery found {seen} parts of `{}`, written {written}: the set counts {seen}",
                set.id
            ),
        });
    } else if seen < written {
        drift.push(Drift {
            code: DriftCode::NotReported,
            component: Some(set.id.to_string()),
            parts: Vec::new(),
            written: Some(set.firmware.to_string()),
            discovered: None,
            count: Some(written - seen),
            location: None,
            message: format!(
                "discovery reported {seen} of the {written} parts of `{}`: the other {} keep the written firmware {}",
                set.id,
                written - seen,
                set.firmware
            ),
        });
    }
    if let Some(model) = ks.iter().find_map(|&k| parts[k].model.as_deref()) {
        if fold(model) != fold(&set.model) {
            drift.push(spelling(
                DriftCode::ModelDiffers,
                Some(set.id.to_string()),
                part_ids(ks),
                &set.model,
                model,
                &parts[ks[0]].location,
            ));
        }
    }

    let mut names = Vec::with_capacity(entries.len());
    let mut added = Vec::new();
    for (e_no, e) in entries.iter().enumerate() {
        let id = if e_no == 0 {
            set.id.to_string()
        } else {
            ids.unique(&format!("{}~{}", set.id, as_id(&e.firmware)))
        };
        if e.firmware != set.firmware.trim() {
            let loc = e.parts.first().map(|&k| parts[k].location.clone());
            drift.push(Drift {
                code: DriftCode::FirmwareDiffers,
                component: Some(id.clone()),
                parts: part_ids(&e.parts),
                written: Some(set.firmware.to_string()),
                discovered: Some(e.firmware.clone()),
                count: Some(e.count),
                location: loc,
                message: format!(
                    "{} of `{}` run {}, written {}{}",
                    e.count,
                    set.id,
                    e.firmware,
                    set.firmware,
                    if id == set.id {
                        String::new()
                    } else {
                        format!(": they are entry `{id}`")
                    }
                ),
            });
        }
        names.push(format!("`{id}`: {} × {}", e.count, e.firmware));
        let hours = oldest(parts, &e.parts);
        let entry_origin = PartOrigin {
            written: (e_no > 0).then_some(j),
            firmware: e.parts.first().map(|&k| origin(k)),
            power_on_hours: hours.map(origin),
            booted: None,
        };
        let power_on_hours = match hours.and_then(|k| parts[k].power_on_hours) {
            Some(h) => Some(RawHours {
                hours: h.hours,
                read_on: date_of(&h.read_at),
            }),
            None => set.power_on_hours.clone(),
        };
        if e_no == 0 {
            let c = &mut sys.components[j];
            c.firmware = e.firmware.as_str().into();
            c.count = Some(e.count);
            c.power_on_hours = power_on_hours;
            origins.components[j] = entry_origin;
        } else {
            sys.components.push(RawComponent {
                id: id.as_str().into(),
                firmware: e.firmware.as_str().into(),
                count: Some(e.count),
                power_on_hours,
                serial: None,
                ..set.clone()
            });
            origins.components.push(entry_origin);
            added.push(id);
        }
    }
    if added.is_empty() {
        return None;
    }
    drift.push(Drift {
        code: DriftCode::SetSplit,
        component: Some(set.id.to_string()),
        parts: part_ids(ks),
        written: Some(format!("{written} × {}", set.firmware)),
        discovered: Some(
            entries
                .iter()
                .map(|e| format!("{} × {}", e.count, e.firmware))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        count: Some(total),
        location: None,
        message: format!(
            "the parts of `{}` run {} firmware versions: split into {}",
            set.id,
            entries.len(),
            names.join(", ")
        ),
    });
    Some((set.id.into(), added))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::snapshot::{Hours, SystemFacts};
    use crate::inventory::raw::RawDoc;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A hand-written system: a controller pair with serials, a BMC, and a set of 8 drives.
    const ARRAY: &str = r#"
[[systems]]
id = "arr"
vendor = "NetApp"
model = "FAS8300"
owner = "ops"
firmware = "9.12.1P2"

[[systems.components]]
id = "ctl-a"
kind = "controller"
model = "FAS8300"
firmware = "9.12.1P2"
serial = "S-A"

[[systems.components]]
id = "ctl-b"
kind = "controller"
model = "FAS8300"
firmware = "9.12.1P2"
serial = "S-B"

[[systems.components]]
id = "bmc"
kind = "bmc"
vendor = "NetApp"
model = "SP 5"
firmware = "5.10"

[[systems.components]]
id = "ssd"
kind = "drive"
vendor = "HPE"
model = "VO1920JFDGV"
firmware = "HPD7"
count = 8
power_on_hours = { hours = 100, read_on = 2026-01-01 }
"#;

    fn array(extra: &str) -> RawSystem {
        let doc: RawDoc = toml::from_str(&format!("{ARRAY}{extra}")).unwrap();
        doc.systems.into_iter().next().unwrap()
    }

    fn part(id: &str, kind: ComponentKind, model: &str, firmware: &str) -> Part {
        Part {
            id: id.into(),
            kind,
            vendor: None,
            model: Some(model.into()),
            firmware: Some(firmware.into()),
            serial: None,
            power_on_hours: None,
            booted: None,
            location: format!("/redfish/v1/{id}"),
        }
    }

    fn drive(k: usize, firmware: &str, hours: u64) -> Part {
        Part {
            power_on_hours: Some(Hours {
                hours,
                read_at: at("2026-11-30T23:30:00Z"),
            }),
            ..part(
                &format!("drive-{k}"),
                ComponentKind::Drive,
                "VO1920 JFDGV",
                firmware,
            )
        }
    }

    fn snap(parts: Vec<Part>) -> Snapshot {
        let mut s = Snapshot::new(
            "arr",
            SourceKind::Redfish,
            "https://bmc.example.net/redfish/v1",
            at("2026-12-01T10:00:00Z"),
        );
        s.components = parts;
        s
    }

    fn run(sys: &mut RawSystem, snap: &Snapshot) -> (Merged, Vec<Diagnostic>) {
        let system = DocPath::default().key("systems").index(0);
        let places = Places {
            snapshot: 1,
            snapshot_name: "inventory/discovered/arr.json",
            written: 0,
            system: &system,
        };
        let mut d = Vec::new();
        let m = merge(sys, snap, &places, &mut d);
        assert_eq!(m.origins.components.len(), sys.components.len());
        (m, d)
    }

    fn comp<'a>(sys: &'a RawSystem, id: &str) -> &'a RawComponent {
        sys.components
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no component {id}: {:?}", sys.components))
    }

    fn codes(m: &Merged) -> Vec<(DriftCode, Option<&str>)> {
        m.discovered
            .drift
            .iter()
            .map(|x| (x.code, x.component.as_deref()))
            .collect()
    }

    #[test]
    fn a_serial_ties_before_an_id_and_ignores_case() {
        let mut sys = array("");
        // The part discovery calls `ctl-a` is the board written as `ctl-b` (same serial).
        let mut p = part("ctl-a", ComponentKind::Controller, "FAS8300", "9.12.1P5");
        p.serial = Some(" s-b ".into());
        let (m, d) = run(&mut sys, &snap(vec![p]));
        assert!(d.is_empty());
        assert_eq!(comp(&sys, "ctl-b").firmware, "9.12.1P5");
        assert_eq!(comp(&sys, "ctl-a").firmware, "9.12.1P2", "not tied by id");
        assert!(codes(&m).contains(&(DriftCode::FirmwareDiffers, Some("ctl-b"))));
        assert!(codes(&m).contains(&(DriftCode::NotReported, Some("ctl-a"))));
        let o = m.origins.components[1].firmware.as_ref().unwrap();
        assert_eq!((o.file, o.location.as_str()), (1, "/redfish/v1/ctl-a"));
        assert_eq!(o.path.to_string(), "components[0]");
    }

    #[test]
    fn an_id_ties_ignoring_ascii_case() {
        let mut sys = array("");
        let p = part("CTL-A", ComponentKind::Controller, "FAS8300", "9.12.1P5");
        let (_, d) = run(&mut sys, &snap(vec![p]));
        assert!(d.is_empty());
        assert_eq!(comp(&sys, "ctl-a").firmware, "9.12.1P5");
        assert_eq!(comp(&sys, "ctl-b").firmware, "9.12.1P2");
    }

    #[test]
    fn kind_and_model_tie_only_one_written_part_to_one_discovered_part() {
        // One written BMC, one discovered BMC of that model spelt otherwise: tied.
        let mut sys = array("");
        let (m, _) = run(
            &mut sys,
            &snap(vec![part("Manager-1", ComponentKind::Bmc, "sp5", "5.12")]),
        );
        assert_eq!(comp(&sys, "bmc").firmware, "5.12");
        assert_eq!(
            comp(&sys, "bmc").model,
            "SP 5",
            "the written spelling stays"
        );
        assert!(!codes(&m).iter().any(|(c, _)| *c == DriftCode::ModelDiffers));

        // Two discovered BMCs of that model: which one is written cannot be told, so both are
        // added (rated) and the written one is listed as not reported.
        let mut sys = array("");
        let (m, _) = run(
            &mut sys,
            &snap(vec![
                part("m1", ComponentKind::Bmc, "SP 5", "5.12"),
                part("m2", ComponentKind::Bmc, "SP 5", "5.10"),
            ]),
        );
        assert_eq!(comp(&sys, "bmc").firmware, "5.10", "kept as written");
        assert_eq!(comp(&sys, "m1").firmware, "5.12");
        assert_eq!(comp(&sys, "m2").firmware, "5.10");
        let c = codes(&m);
        assert!(c.contains(&(DriftCode::AddedPart, Some("m1"))), "{c:?}");
        assert!(c.contains(&(DriftCode::AddedPart, Some("m2"))), "{c:?}");
        assert!(c.contains(&(DriftCode::NotReported, Some("bmc"))), "{c:?}");
    }

    #[test]
    fn discovery_wins_for_running_facts_and_the_file_for_names() {
        let mut sys = array("");
        let mut p = part("ctl-a", ComponentKind::Bmc, "AFF A400", "9.13.1");
        p.vendor = Some("ATA".into());
        p.serial = Some("S-NEW".into());
        p.power_on_hours = Some(Hours {
            hours: 5000,
            read_at: at("2026-11-30T23:59:00-02:00"),
        });
        p.booted = Some(at("2026-10-02T04:00:00Z"));
        let (m, _) = run(&mut sys, &snap(vec![p]));
        let c = comp(&sys, "ctl-a");
        assert_eq!(c.firmware, "9.13.1");
        assert_eq!(c.serial.as_deref(), Some("S-NEW"));
        let h = c.power_on_hours.as_ref().unwrap();
        // The reading's UTC date: 23:59 at -02:00 is the next day in UTC.
        assert_eq!((h.hours, h.read_on.0.as_str()), (5000, "2026-12-01"));
        assert_eq!(
            c.booted.as_ref().map(|b| b.0.as_str()),
            Some("2026-10-02T04:00:00+00:00")
        );
        // Names, kind and vendor stay as written; the differences are reported.
        assert_eq!(
            (c.kind, c.model.as_str(), c.vendor.as_deref()),
            (ComponentKind::Controller, "FAS8300", None)
        );
        let codes = codes(&m);
        for code in [
            DriftCode::FirmwareDiffers,
            DriftCode::SerialDiffers,
            DriftCode::ModelDiffers,
            DriftCode::KindDiffers,
        ] {
            assert!(codes.contains(&(code, Some("ctl-a"))), "{code}: {codes:?}");
        }
        let o = &m.origins.components[0];
        assert!(o.firmware.is_some() && o.power_on_hours.is_some() && o.booted.is_some());
    }

    #[test]
    fn the_system_firmware_and_boot_change_only_when_the_snapshot_states_them() {
        let mut sys = array("");
        let (m, _) = run(&mut sys, &snap(Vec::new()));
        assert_eq!(
            (sys.firmware.as_str(), sys.booted.is_none()),
            ("9.12.1P2", true)
        );
        assert!(m.origins.firmware.is_none());

        let mut sys = array("");
        let mut s = snap(Vec::new());
        s.facts = SystemFacts {
            firmware: Some("9.14.1".into()),
            booted: Some(at("2026-11-01T00:00:00Z")),
            model: Some("fas-8300".into()),
            ..SystemFacts::default()
        };
        let (m, _) = run(&mut sys, &s);
        assert_eq!(sys.firmware, "9.14.1");
        assert!(sys.booted.is_some());
        assert_eq!(
            m.origins.firmware.as_ref().unwrap().path.to_string(),
            "facts"
        );
        let c = codes(&m);
        assert!(c.contains(&(DriftCode::FirmwareDiffers, None)), "{c:?}");
        assert!(
            !c.contains(&(DriftCode::ModelDiffers, None)),
            "same model folded"
        );
    }

    #[test]
    fn a_set_whose_parts_run_one_firmware_takes_it_with_the_oldest_reading() {
        let mut sys = array("");
        let parts = (0..8)
            .map(|k| drive(k, "HPD5", 30_000 + k as u64))
            .collect();
        let (m, d) = run(&mut sys, &snap(parts));
        assert!(d.is_empty());
        let ssd = comp(&sys, "ssd");
        assert_eq!((ssd.firmware.as_str(), ssd.count), ("HPD5", Some(8)));
        assert_eq!(ssd.power_on_hours.as_ref().unwrap().hours, 30_007);
        assert!(m.splits.is_empty());
        assert_eq!(sys.components.len(), 4, "nothing added");
        assert!(codes(&m).contains(&(DriftCode::FirmwareDiffers, Some("ssd"))));
    }

    #[test]
    fn a_set_whose_parts_run_several_firmware_versions_is_split() {
        let mut sys = array("");
        let mut parts: Vec<Part> = (0..5).map(|k| drive(k, "HPD7", 100)).collect();
        parts.extend((5..8).map(|k| drive(k, "HPD5", 200 + k as u64)));
        let (m, d) = run(&mut sys, &snap(parts));
        assert!(d.is_empty());
        let ssd = comp(&sys, "ssd");
        assert_eq!((ssd.firmware.as_str(), ssd.count), ("HPD7", Some(5)));
        let old = comp(&sys, "ssd~HPD5");
        assert_eq!((old.firmware.as_str(), old.count), ("HPD5", Some(3)));
        assert_eq!(old.power_on_hours.as_ref().unwrap().hours, 207);
        assert_eq!(
            (old.model.as_str(), old.vendor.as_deref(), old.kind),
            ("VO1920JFDGV", Some("HPE"), ComponentKind::Drive)
        );
        assert_eq!(
            m.splits,
            [("ssd".to_string(), vec!["ssd~HPD5".to_string()])]
        );
        // The split entry's problems are shown at the set as written.
        assert_eq!(m.origins.components[4].written, Some(3));
        let c = codes(&m);
        assert!(c.contains(&(DriftCode::SetSplit, Some("ssd"))), "{c:?}");
        assert!(
            c.contains(&(DriftCode::FirmwareDiffers, Some("ssd~HPD5"))),
            "{c:?}"
        );
    }

    #[test]
    fn members_discovery_did_not_see_keep_the_written_firmware() {
        let mut sys = array("");
        // 4 of 8 seen, all on HPD5: the other 4 are as written (HPD7) — the set is not all HPD5.
        let parts = (0..4).map(|k| drive(k, "HPD5", 100)).collect();
        let (m, _) = run(&mut sys, &snap(parts));
        let ssd = comp(&sys, "ssd");
        // A tie in count: the written firmware keeps the set's id.
        assert_eq!((ssd.firmware.as_str(), ssd.count), ("HPD7", Some(4)));
        assert_eq!(ssd.power_on_hours.as_ref().unwrap().hours, 100);
        let seen = comp(&sys, "ssd~HPD5");
        assert_eq!(seen.count, Some(4));
        let not_seen = m
            .discovered
            .drift
            .iter()
            .find(|x| x.code == DriftCode::NotReported)
            .unwrap();
        assert_eq!(
            (not_seen.component.as_deref(), not_seen.count),
            (Some("ssd"), Some(4))
        );
    }

    #[test]
    fn a_set_grows_to_the_parts_discovered() {
        let mut sys = array("");
        let parts = (0..10).map(|k| drive(k, "HPD7", 100)).collect();
        let (m, _) = run(&mut sys, &snap(parts));
        assert_eq!(comp(&sys, "ssd").count, Some(10));
        assert!(codes(&m).contains(&(DriftCode::CountDiffers, Some("ssd"))));
    }

    #[test]
    fn parts_that_could_belong_to_several_sets_stop_the_load_only_when_their_firmware_differs() {
        let two_sets = r#"
[[systems.components]]
id = "ssd2"
kind = "drive"
vendor = "HPE"
model = "VO1920JFDGV"
firmware = "HPD7"
count = 8
"#;
        let mut sys = array(two_sets);
        let parts = (0..16).map(|k| drive(k, "HPD7", 100)).collect();
        let (m, d) = run(&mut sys, &snap(parts));
        assert!(d.is_empty(), "consistent with both sets: {d:?}");
        assert_eq!(comp(&sys, "ssd").firmware, "HPD7");
        assert!(!codes(&m)
            .iter()
            .any(|(_, c)| *c == Some("ssd") || *c == Some("ssd2")));

        let mut sys = array(two_sets);
        let mut parts: Vec<Part> = (0..12).map(|k| drive(k, "HPD7", 100)).collect();
        parts.extend((12..16).map(|k| drive(k, "HPD5", 100)));
        let (_, d) = run(&mut sys, &snap(parts));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, InventoryCode::DiscoveredAmbiguous);
        assert_eq!(d[0].primary.file, 1, "the snapshot file");
        assert_eq!(
            d[0].primary.path.as_ref().unwrap().to_string(),
            "components[12].firmware"
        );
        assert!(
            d[0].message.contains("`ssd` (8 × HPD7), `ssd2` (8 × HPD7)"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].secondary.len(), 2, "both written sets shown");
    }

    #[test]
    fn new_parts_are_added_with_unique_ids_unless_they_cannot_be_rated() {
        let mut sys = array("");
        let mut psu = part("BMC", ComponentKind::Psu, "PWS-1K", "1.2");
        psu.vendor = Some("Delta".into());
        psu.serial = Some("P1".into());
        let mut blind = part("fan/0", ComponentKind::Other, "FAN", "x");
        blind.firmware = None;
        // HPE's BIOS string has spaces, which `opaque` does not take: listed, not a failed load.
        let bios = part(
            "bios",
            ComponentKind::Other,
            "ProLiant",
            "P79 v1.45 (12/06/2017)",
        );
        let (m, _) = run(
            &mut sys,
            &snap(vec![
                part(
                    "Enclosure 1/IOM A",
                    ComponentKind::Enclosure,
                    "DS224C",
                    "0230",
                ),
                psu,
                blind,
                bios,
            ]),
        );
        let iom = comp(&sys, "Enclosure-1-IOM-A");
        assert_eq!(
            (iom.kind, iom.firmware.as_str(), iom.count),
            (ComponentKind::Enclosure, "0230", None)
        );
        assert!(iom.scheme.is_none() && iom.vendor.is_none());
        // `BMC` is the written `bmc`'s id ignoring case but a PSU: it is tied by id (the written
        // kind stays, the difference is reported), so nothing is added for it.
        assert_eq!(comp(&sys, "bmc").firmware, "1.2");
        assert!(codes(&m).contains(&(DriftCode::KindDiffers, Some("bmc"))));
        let unrated: Vec<&Drift> = m
            .discovered
            .drift
            .iter()
            .filter(|x| x.code == DriftCode::UnratedPart)
            .collect();
        assert_eq!(unrated[0].parts, ["fan/0"]);
        assert!(
            unrated[0].message.contains("no firmware"),
            "{}",
            unrated[0].message
        );
        assert_eq!(unrated[1].parts, ["bios"]);
        assert!(
            unrated[1].message.contains("does not parse as `opaque`"),
            "{}",
            unrated[1].message
        );
        assert_eq!(sys.components.len(), 5);

        // An added part whose id is taken (ignoring case) gets a suffix.
        let mut sys = array("");
        let s = snap(vec![
            part("psu", ComponentKind::Psu, "A", "1"),
            part("PSU", ComponentKind::Psu, "B", "1"),
        ]);
        run(&mut sys, &s);
        assert_eq!(comp(&sys, "PSU~2").model, "B");
    }

    #[test]
    fn a_stale_snapshot_still_merges_and_says_so() {
        let mut sys = array("");
        let mut s = snap(vec![part(
            "ctl-a",
            ComponentKind::Controller,
            "FAS8300",
            "9.12.1P5",
        )]);
        s.stale = Some(Stale {
            since: at("2026-12-02T00:00:00Z"),
            error: "HTTP 503".into(),
        });
        let (m, _) = run(&mut sys, &s);
        assert_eq!(comp(&sys, "ctl-a").firmware, "9.12.1P5");
        assert_eq!(m.discovered.stale.as_ref().unwrap().error, "HTTP 503");
        assert_eq!(m.discovered.read_at, at("2026-12-01T10:00:00Z"));
        assert_eq!(m.discovered.file, "inventory/discovered/arr.json");
    }

    #[test]
    fn drift_codes_are_kebab_case_and_unique() {
        let texts: HashSet<&str> = DriftCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), DriftCode::ALL.len());
        assert!(texts
            .iter()
            .all(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }
}
