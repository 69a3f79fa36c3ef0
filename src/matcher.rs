//! Which advisories hit which parts of the inventory: confirmed, or unknown with the reason.
//!
//! A *subject* is anything with its own firmware: a system (its OS) or one of its components. An
//! advisory statement ([`AffectedProduct`]) applies to a subject when
//! - the vendors agree after folding ([`vendor_key`]),
//! - the component kind agrees (when the statement names one),
//! - and either a **model number** of the statement matches the subject's own model (drive model
//!   numbers are more specific than any product name), or a model number matches the *host* system's
//!   model and the product names the subject's firmware (firmware installed on hardware, CSAF
//!   `installed_on`, NVD `AND` configurations), or — with no model numbers — the statement's product
//!   names the subject (its model, or for a system also the name of its OS: "ONTAP" for an AFF A400,
//!   "Unity OE" for a Unity 480F; the table is [`OS_NAMES`]). Controllers run their system's OS, so
//!   a controller also answers to its host system's model and OS names.
//!
//! Product names match when one's words appear, in order, inside the other's ("Unity" in "Unity
//! 480F"; "ONTAP" in "ONTAP 9").
//!
//! Versions are then decided with the subject's scheme. Statements say Affected, NotAffected, Fixed
//! or UnderInvestigation; the combination is:
//! 1. a NotAffected or Fixed statement containing the version is evidence of *not affected*;
//! 2. otherwise an Affected statement containing it *confirms* the exposure;
//! 3. otherwise any undecidable statement (unparsable text, incomparable versions, another scheme,
//!    "under investigation") makes it **unknown**;
//! 4. otherwise, if the advisory has Affected statements for the subject and the version is outside
//!    all of them, that is evidence of *not affected*; if it only lists fixed versions and ours is not
//!    among them, that is **unknown** — never a silent "not affected".
//!
//! A bug that needs a setting is confirmed only when the inventory records the setting at the
//! triggering value; not affected when recorded otherwise; unknown when not recorded.
//!
//! Speed: statements are indexed by vendor; candidate lists, grouped by advisory, are memoized per
//! distinct (vendor, model, host model, kind), so a million components with a few thousand distinct
//! models cost a few thousand product comparisons. Decisions are memoized per (shape, firmware)
//! (and the system's settings, for an advisory whose triggers name some), so a subject like one
//! before it costs two lookups.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::inventory::{Component, Inventory, System};
use crate::model::{
    normalize_name, vendor_key, Advisory, AffectedProduct, ComponentKind, ProductStatus, Trigger,
    VersionSpec,
};
use crate::version::{Cmp, Comparator, Containment, FwVersion, VersRange};

/// Names under which a system's own OS appears in advisories, by vendor key and a word of the model.
pub const OS_NAMES: &[(&str, &[&str], &[&str])] = &[
    ("netapp", &["aff", "fas", "asa"], &["ontap", "data ontap"]),
    (
        "netapp",
        &[
            "e2800", "e5700", "ef600", "ef300", "e4000", "eseries", "e-series",
        ],
        &["santricity", "santricity os"],
    ),
    (
        "dell",
        &["unity"],
        &["unity", "unity oe", "unity operating environment"],
    ),
    (
        "dell",
        &["powerstore"],
        &["powerstore", "powerstoreos", "powerstore os"],
    ),
    (
        "dell",
        &["powermax", "vmax"],
        &["powermaxos", "powermax os", "powermax"],
    ),
    (
        "dell",
        &["powervault", "me4", "me5"],
        &["powervault me4", "powervault me5", "me4", "me5"],
    ),
    ("dell", &["poweredge"], &["bios"]),
    (
        "ibm",
        &["flashsystem", "svc", "storwize"],
        &["spectrum virtualize", "storage virtualize"],
    ),
    ("hpe", &["3par", "primera"], &["3par os", "hpe 3par os"]),
    ("hpe", &["msa"], &["msa"]),
    ("hpe", &["nimble", "alletra"], &["nimbleos", "nimble os"]),
    (
        "pure storage",
        &["flasharray", "fa"],
        &["purity", "purity fa", "flasharray"],
    ),
    ("hitachi", &["vsp"], &["svos", "vsp"]),
];

/// Whether an exposure is established or could not be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    Confirmed,
    Unknown,
}

/// One advisory hitting one subject, by position, so a million exposures cost 16 bytes each:
/// `system` indexes the inventory's systems in their (id) order, `component` the system's
/// components, or is [`Exposure::SYSTEM`] for the system's own firmware; `decision` indexes
/// [`Matches::decisions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exposure {
    /// Index of the advisory in the slice given to [`match_inventory`].
    pub advisory: u32,
    pub system: u32,
    pub component: u32,
    pub decision: u32,
}

impl Exposure {
    /// `component` of an exposure of the system's own firmware.
    pub const SYSTEM: u32 = u32::MAX;

    /// The order of [`Matches::exposures`]: by advisory, system, then the system's own firmware
    /// before its components in inventory order.
    pub fn order_key(&self) -> (u32, u32, u32) {
        (self.advisory, self.system, self.component.wrapping_add(1))
    }
}

/// What was decided for one advisory on one subject. Shared by every subject of the same shape,
/// firmware and trigger settings: a bug on 400,000 drives of one model is one decision, not
/// 400,000 copies of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: MatchState,
    /// Why: the range that contains the version, or why it could not be decided.
    pub evidence: Arc<str>,
    /// The installed version, verbatim: one text per firmware string across the decisions one
    /// matching thread made (at most two texts of a string in one [`Matches`],
    /// [`match_beside`]), so equal addresses are equal strings.
    pub firmware: Arc<str>,
    /// Versions the vendor names as fixing it.
    pub fixed_in: Arc<[String]>,
}

/// The exposures of an estate, sorted by (advisory, system, component), and the decisions they
/// point at. Positions refer to the inventory and advisory slice given to [`match_inventory`]; the
/// result means nothing with any other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matches {
    pub exposures: Vec<Exposure>,
    pub decisions: Vec<Decision>,
}

impl Matches {
    pub fn len(&self) -> usize {
        self.exposures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exposures.is_empty()
    }

    pub fn decision(&self, e: &Exposure) -> &Decision {
        &self.decisions[e.decision as usize]
    }

    /// The exposures of advisory `adv` on system `sys` (one run of the sorted list).
    pub fn on_system(&self, adv: u32, sys: u32) -> &[Exposure] {
        let from = self
            .exposures
            .partition_point(|e| (e.advisory, e.system) < (adv, sys));
        let len = self.exposures[from..].partition_point(|e| (e.advisory, e.system) == (adv, sys));
        &self.exposures[from..from + len]
    }

    /// Is part `comp` of system `sys` (or the system itself, [`Exposure::SYSTEM`]) exposed to `adv`?
    pub fn is_exposed(&self, adv: u32, sys: u32, comp: u32) -> bool {
        let probe = Exposure {
            advisory: adv,
            system: sys,
            component: comp,
            decision: 0,
        };
        self.exposures
            .binary_search_by(|e| e.order_key().cmp(&probe.order_key()))
            .is_ok()
    }
}

/// A statement pre-normalized for fast matching.
struct Stmt {
    advisory: u32,
    index: u32,
    product_words: Vec<String>,
    /// The product without the vendor's name in front and without spaces or punctuation
    /// (`Dell EMC Unity 480F` → `unity480f`), for comparing with model numbers.
    product_compact: String,
    /// The product's first word after the vendor, when it can name a model family (see
    /// [`resembles`]); `None` for a statement with model numbers.
    family: Option<String>,
    models: Vec<ModelPattern>,
}

impl Stmt {
    fn new(advisory: u32, index: u32, product: &str, models: &[String]) -> Stmt {
        let product_words = words(product);
        let skip = leading_vendor_words(&product_words);
        let family = product_words
            .get(skip)
            .filter(|w| {
                models.is_empty()
                    && w.len() >= 3
                    && !GENERIC.contains(&w.as_str())
                    && w.starts_with(char::is_alphabetic)
            })
            .cloned();
        Stmt {
            advisory,
            index,
            product_compact: product_words[skip..].concat(),
            family,
            product_words,
            models: models.iter().map(|m| ModelPattern::new(m)).collect(),
        }
    }
}

/// How many of the first words name a vendor ("dell emc unity" → 2).
fn leading_vendor_words(words: &[String]) -> usize {
    (1..=words.len().saturating_sub(1).min(3))
        .rev()
        .find(|&n| crate::vendor::is_known(&words[..n].join(" ")))
        .unwrap_or(0)
}

/// Words too generic to say two products are one family.
const GENERIC: &[&str] = &[
    "storage",
    "system",
    "systems",
    "array",
    "server",
    "servers",
    "firmware",
    "software",
    "series",
    "controller",
    "drive",
    "drives",
    "ssd",
    "hdd",
    "sas",
    "sata",
    "nvme",
    "disk",
    "the",
    "and",
    "for",
    "all",
    "model",
    "models",
    "os",
    "operating",
    "environment",
    "appliance",
    "switch",
];

/// Why a statement whose product does not name the subject may still be about it: its first
/// word (after the vendor) is the family of the subject's model ("Unity XT" and "Unity 480F"),
/// or runs into the model number ("FAS" and "FAS8300"). `None` when nothing suggests it.
fn resembles(stmt: &Stmt, key: &SubjectKey<'_>, names: &SubjectNames) -> Option<String> {
    let first = stmt.family.as_deref()?;
    // The model's own words are the first of the subject's names.
    let model = names.names.first()?;
    let family = model.first().is_some_and(|w| w == first);
    let glued = model.iter().any(|w| {
        w.len() > first.len()
            && w.starts_with(first)
            && w[first.len()..].starts_with(|c: char| c.is_ascii_digit())
    });
    (family || glued).then(|| key.model.to_string())
}

/// A model number as an advisory writes it: literal, or a pattern where `*` stands for any run of
/// characters (CSAF's partial model numbers and SKUs, `PM1643*`, `ST*NM0055`) and `?` for one;
/// `\*` and `\?` are literal. It compares like a model, without case, spaces or punctuation. A
/// pattern with no letter or digit (`*`) names every model of its product.
struct ModelPattern(Vec<Piece>);

#[derive(Debug, PartialEq)]
enum Piece {
    Lit(String),
    Any,
    One,
}

impl ModelPattern {
    fn new(raw: &str) -> ModelPattern {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = raw.trim().chars();
        while let Some(c) = chars.next() {
            let wild = match c {
                '\\' => {
                    // An escaped wildcard is a literal character, which comparing drops anyway.
                    chars.next();
                    None
                }
                '*' => Some(Piece::Any),
                '?' => Some(Piece::One),
                c if c.is_alphanumeric() => {
                    lit.extend(c.to_lowercase());
                    None
                }
                _ => None,
            };
            if let Some(w) = wild {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                if !(w == Piece::Any && pieces.last() == Some(&Piece::Any)) {
                    pieces.push(w);
                }
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        ModelPattern(pieces)
    }

    /// `model` is normalized ([`normalize_model`]).
    fn matches(&self, model: &str) -> bool {
        if self.0.is_empty() || model.is_empty() {
            return false;
        }
        glob(&self.0, model)
    }
}

fn glob(pieces: &[Piece], s: &str) -> bool {
    match pieces.split_first() {
        None => s.is_empty(),
        Some((Piece::Lit(l), rest)) => s.strip_prefix(l.as_str()).is_some_and(|t| glob(rest, t)),
        Some((Piece::One, rest)) => {
            let mut cs = s.chars();
            cs.next().is_some() && glob(rest, cs.as_str())
        }
        Some((Piece::Any, rest)) => s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .any(|i| glob(rest, &s[i..])),
    }
}

/// Model numbers compare without case, spaces or punctuation (`VO1920 JFDGV` = `vo1920jfdgv`).
fn normalize_model(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn words(s: &str) -> Vec<String> {
    normalize_name(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// `needle`'s words appear contiguously in `hay`.
fn contains_words(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty()
        && needle.len() <= hay.len()
        && hay.windows(needle.len()).any(|w| w == needle)
}

/// Statements indexed by vendor key.
pub struct Index {
    by_vendor: HashMap<String, Vec<Stmt>>,
}

impl Index {
    /// Index every statement of every advisory (a withdrawn one matches as unknown, see
    /// [`match_inventory`]).
    pub fn build(advisories: &[Advisory]) -> Index {
        let mut by_vendor: HashMap<String, Vec<Stmt>> = HashMap::default();
        for (ai, adv) in advisories.iter().enumerate() {
            for (si, st) in adv.affected.iter().enumerate() {
                let vendor = if st.vendor.trim().is_empty() {
                    &adv.vendor
                } else {
                    &st.vendor
                };
                by_vendor
                    .entry(vendor_key(vendor))
                    .or_default()
                    .push(Stmt::new(ai as u32, si as u32, &st.product, &st.models));
            }
        }
        Index { by_vendor }
    }

    /// Number of indexed statements.
    pub fn len(&self) -> usize {
        self.by_vendor.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a subject looks like to product matching, borrowed from the inventory.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SubjectKey<'a> {
    vendor: &'a str,
    kind: ComponentKind,
    model: &'a str,
    /// The host system's vendor and model (for components).
    host_vendor: &'a str,
    host_model: &'a str,
    /// For a system: the distinct models of its components, sorted (firmware installed on the
    /// system's hardware may be one of them, e.g. a BMC).
    parts: Vec<&'a str>,
}

struct SubjectNames {
    model_norm: String,
    host_norm: String,
    names: Vec<Vec<String>>,
    /// For controllers: the host system's model and OS names, used only by statements that name
    /// the controller kind (otherwise a system-wide statement would count the system twice).
    host_names: Vec<Vec<String>>,
    /// For systems: the words of their components' models.
    part_names: Vec<Vec<String>>,
}

fn subject_names(key: &SubjectKey<'_>) -> SubjectNames {
    let mut names = vec![words(key.model)];
    let mut host_names = Vec::new();
    // Controllers run their system's OS: they also answer to the host's model and OS names.
    let (os_model, target) = match key.kind {
        ComponentKind::System => (Some(key.model), &mut names),
        ComponentKind::Controller => {
            host_names.push(words(key.host_model));
            (Some(key.host_model), &mut host_names)
        }
        _ => (None, &mut names),
    };
    if let Some(os_model) = os_model {
        let model_words = words(os_model);
        let vk = vendor_key(key.host_vendor);
        for (vendor, model_hints, os) in OS_NAMES {
            if *vendor == vk
                && model_words
                    .iter()
                    .any(|w| model_hints.iter().any(|h| w == h || w.starts_with(h)))
            {
                target.extend(os.iter().map(|n| words(n)));
            }
        }
    }
    SubjectNames {
        model_norm: normalize_model(key.model),
        host_norm: normalize_model(key.host_model),
        names,
        host_names,
        part_names: key.parts.iter().map(|p| words(p)).collect(),
    }
}

fn statement_applies(
    stmt: &Stmt,
    st: &AffectedProduct,
    key: &SubjectKey<'_>,
    n: &SubjectNames,
) -> bool {
    if let Some(kind) = st.component {
        if kind != key.kind {
            return false;
        }
    }
    let host = if st.component == Some(ComponentKind::Controller) {
        &n.host_names[..]
    } else {
        &[]
    };
    let product_matches = || {
        n.names.iter().chain(host).any(|name| {
            contains_words(name, &stmt.product_words) || contains_words(&stmt.product_words, name)
        })
    };
    if stmt.models.is_empty() {
        // A statement naming no product (and no model) cannot be placed: it applies to every part
        // of the vendor, and `decide` makes it unknown — never silently nothing. Spacing and
        // punctuation do not matter (`AFF-A400`, `AFFA400`, `AFF A400`).
        return stmt.product_words.is_empty()
            || product_matches()
            || (!stmt.product_compact.is_empty() && stmt.product_compact == n.model_norm);
    }
    if stmt.models.iter().any(|m| m.matches(&n.model_norm)) {
        // A part's own model number (a drive's) is specific enough. A system's model is hardware:
        // the statement is about the system's own firmware unless its product names one of the
        // system's components (an iDRAC on a PowerEdge) — then that component is the subject.
        if key.kind != ComponentKind::System || product_matches() {
            return true;
        }
        let names_a_part = n.part_names.iter().any(|p| {
            contains_words(p, &stmt.product_words) || contains_words(&stmt.product_words, p)
        });
        return !names_a_part;
    }
    key.kind != ComponentKind::System
        && stmt.models.iter().any(|m| m.matches(&n.host_norm))
        && product_matches()
}

/// Whether the statement `st` (vendor, product, models, kind) names the subject: `system`'s own
/// firmware, or its `component`. `fallback_vendor` stands in for a statement without a vendor.
/// The same rule as matching, for one subject (partner requirements, `compat`).
pub fn names_subject(
    st: &AffectedProduct,
    fallback_vendor: &str,
    system: &System,
    component: Option<&Component>,
) -> bool {
    let vendor = if st.vendor.trim().is_empty() {
        fallback_vendor
    } else {
        &st.vendor
    };
    let key = Subject { system, component }.key();
    if vendor_key(vendor) != vendor_key(key.vendor) {
        return false;
    }
    let stmt = Stmt::new(0, 0, &st.product, &st.models);
    statement_applies(&stmt, st, &key, &subject_names(&key))
}

/// Decide one version spec for one installed version.
pub fn spec_contains(spec: &VersionSpec, fw: &FwVersion) -> Containment {
    match spec {
        VersionSpec::All => Containment::Affected,
        VersionSpec::Unparsed(text) => Containment::Unknown(format!(
            "the advisory states versions only as text: \"{}\"",
            text.trim()
        )),
        VersionSpec::Exact(raw) => match FwVersion::parse(fw.scheme(), raw) {
            Ok(v) => match fw.compare(&v) {
                Cmp::Equal => Containment::Affected,
                Cmp::Less | Cmp::Greater => Containment::NotAffected,
                // An exact version of an unordered scheme: equality decides.
                Cmp::Incomparable(_) if v.scheme() == fw.scheme() && v.family() == fw.family() => {
                    Containment::NotAffected
                }
                Cmp::Incomparable(why) => Containment::Unknown(why),
            },
            Err(e) => Containment::Unknown(format!("advisory version not comparable: {e}")),
        },
        VersionSpec::Range(range) => {
            if range.scheme() == Some(fw.scheme()) || range.is_star() {
                return range.contains(fw);
            }
            // The source wrote the range in another (often guessed) scheme: re-read its bounds
            // under the installed version's scheme; if that fails the match is undecidable.
            match reparse(range, fw) {
                Some(r) => r.contains(fw),
                None => Containment::Unknown(format!(
                    "range {range} cannot be read as {} versions like `{}`",
                    fw.scheme(),
                    fw.raw()
                )),
            }
        }
    }
}

fn reparse(range: &VersRange, fw: &FwVersion) -> Option<VersRange> {
    let constraints = range
        .constraints()
        .iter()
        .map(|c| {
            FwVersion::parse(fw.scheme(), &c.raw)
                .ok()
                .map(|v| (c.comparator, v))
        })
        .collect::<Option<Vec<(Comparator, FwVersion)>>>()?;
    VersRange::from_constraints(fw.scheme(), constraints).ok()
}

/// A subject: a system's OS or one of its components.
#[derive(Clone, Copy)]
struct Subject<'a> {
    system: &'a System,
    component: Option<&'a Component>,
}

impl<'a> Subject<'a> {
    fn key(&self) -> SubjectKey<'a> {
        let system = self.system;
        match self.component {
            None => SubjectKey {
                vendor: &system.vendor,
                kind: ComponentKind::System,
                model: &system.model,
                host_vendor: &system.vendor,
                host_model: "",
                parts: {
                    let mut p: Vec<&str> = system.components.iter().map(|c| &*c.model).collect();
                    p.sort_unstable();
                    p.dedup();
                    p
                },
            },
            Some(c) => SubjectKey {
                vendor: &c.vendor,
                kind: c.kind,
                model: &c.model,
                host_vendor: &system.vendor,
                host_model: &system.model,
                parts: Vec::new(),
            },
        }
    }

    fn firmware(&self) -> &'a FwVersion {
        match self.component {
            None => &self.system.firmware.version,
            Some(c) => &c.firmware.version,
        }
    }
}

/// The verdict of one advisory for one subject.
enum Verdict {
    Affected(String),
    NotAffected,
    Unknown(String),
}

fn describe(st: &AffectedProduct) -> String {
    st.versions.to_string()
}

fn decide(adv: &Advisory, stmts: &[&AffectedProduct], fw: &FwVersion, system: &System) -> Verdict {
    let mut affected = None;
    let mut unknown = None;
    let mut has_affected_stmt = false;
    for st in stmts {
        if normalize_name(&st.product).is_empty() && st.models.is_empty() {
            unknown.get_or_insert_with(|| {
                format!(
                    "the advisory names no product of {}, so whether it covers this part cannot be decided",
                    if st.vendor.trim().is_empty() {
                        &adv.vendor
                    } else {
                        &st.vendor
                    }
                )
            });
            continue;
        }
        let c = spec_contains(&st.versions, fw);
        match (st.status, c) {
            (ProductStatus::NotAffected | ProductStatus::Fixed, Containment::Affected) => {
                return Verdict::NotAffected;
            }
            (ProductStatus::Affected, Containment::Affected) => {
                has_affected_stmt = true;
                affected.get_or_insert_with(|| format!("{} is in {}", fw.raw(), describe(st)));
            }
            (ProductStatus::Unknown, Containment::Affected) => {
                unknown.get_or_insert_with(|| {
                    "the vendor states that whether this product is affected is unknown".to_string()
                });
            }
            (ProductStatus::UnderInvestigation, Containment::Affected) => {
                unknown.get_or_insert_with(|| {
                    "the vendor lists this product as under investigation".to_string()
                });
            }
            (ProductStatus::Affected, Containment::NotAffected) => has_affected_stmt = true,
            (ProductStatus::Affected, Containment::Unknown(why)) => {
                has_affected_stmt = true;
                unknown.get_or_insert(why);
            }
            (_, Containment::Unknown(why)) => {
                unknown.get_or_insert(why);
            }
            (_, Containment::NotAffected) => {}
        }
    }
    if let Some(evidence) = affected {
        return settings_gate(adv, system, evidence);
    }
    if let Some(why) = unknown {
        return Verdict::Unknown(why);
    }
    if has_affected_stmt {
        Verdict::NotAffected
    } else {
        Verdict::Unknown(format!(
            "the advisory lists only fixed or unaffected versions for this product; {} is not among them",
            fw.raw()
        ))
    }
}

/// A bug that needs a setting is exposed only where the setting is on; unknown where unrecorded.
fn settings_gate(adv: &Advisory, system: &System, evidence: String) -> Verdict {
    let mut evidence = evidence;
    for t in &adv.triggers {
        if let Trigger::Setting { name, value } = t {
            match system.settings.get(name) {
                Some(v) if v == value => {
                    evidence.push_str(&format!("; setting `{name}` is {}", on_off(*v)));
                }
                Some(_) => return Verdict::NotAffected,
                None => {
                    return Verdict::Unknown(format!(
                        "{evidence}, but it only fires with setting `{name}` {} and the inventory does not record that setting",
                        on_off(*value)
                    ))
                }
            }
        }
    }
    Verdict::Affected(evidence)
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// The values a system gives the settings an advisory's triggers name, two bits each (not
/// recorded / off / on): decisions with the same signature are the same. `None` past 16 settings.
fn settings_signature(adv: &Advisory, system: &System) -> Option<u32> {
    let mut sig = 0u32;
    let mut n = 0;
    for t in &adv.triggers {
        if let Trigger::Setting { name, .. } = t {
            if n == 16 {
                return None;
            }
            let v = match system.settings.get(name) {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            };
            sig |= v << (2 * n);
            n += 1;
        }
    }
    Some(sig)
}

/// What the matcher knows of one subject shape ([`SubjectKey`]), found once for every subject
/// of that shape.
struct Shape<'x> {
    /// Numbered in the order shapes are met.
    id: u32,
    /// The statements that name the shape, by advisory, in advisory order: the advisory, its
    /// statements, and whether its triggers name settings (then the system's settings take part
    /// in the decision).
    advisories: Vec<(u32, Vec<&'x AffectedProduct>, bool)>,
    /// Statements that may name it (`resembles`): advisory, statement and the model it may be.
    doubts: Vec<(u32, u32, String)>,
}

impl<'x> Shape<'x> {
    fn new(id: u32, key: &SubjectKey<'_>, advisories: &'x [Advisory], index: &Index) -> Self {
        let names = subject_names(key);
        let mut by_advisory: Vec<(u32, Vec<&'x AffectedProduct>, bool)> = Vec::new();
        let mut doubts = Vec::new();
        for s in index
            .by_vendor
            .get(&vendor_key(key.vendor))
            .into_iter()
            .flatten()
        {
            let adv = &advisories[s.advisory as usize];
            let st = &adv.affected[s.index as usize];
            if statement_applies(s, st, key, &names) {
                // The index lists statements in advisory order.
                match by_advisory.last_mut() {
                    Some((last, v, _)) if *last == s.advisory => v.push(st),
                    _ => {
                        let by_setting = adv
                            .triggers
                            .iter()
                            .any(|t| matches!(t, Trigger::Setting { .. }));
                        by_advisory.push((s.advisory, vec![st], by_setting));
                    }
                }
            } else if st.component.is_none_or(|k| k == key.kind) {
                if let Some(model) = resembles(s, key, &names) {
                    doubts.push((s.advisory, s.index, model));
                }
            }
        }
        Shape {
            id,
            advisories: by_advisory,
            doubts,
        }
    }
}

/// Match every subject of the inventory against the indexed advisories.
pub fn match_inventory(inv: &Inventory, advisories: &[Advisory], index: &Index) -> Matches {
    match_systems(inv, advisories, index, |_| true)
}

/// Match the subjects of the systems whose positions (in the inventory's id order) `keep`
/// accepts; positions in the result are still the whole inventory's, so the rating reads it
/// with the whole topology. What one system's exposures are depends on that system (and, for
/// compatibility statements, its partners' versions in `inv`) alone, so the exposures of a kept
/// system are exactly those [`match_inventory`] finds for it.
pub fn match_systems(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    keep: impl Fn(usize) -> bool,
) -> Matches {
    let mut m = Matcher::new(advisories, index);
    for (si, system) in inv.systems.values().enumerate() {
        if keep(si) {
            m.system(si, system);
        }
    }
    finish(inv, advisories, m.out)
}

/// Systems matched as one piece of work by [`match_beside`].
const MATCH_BLOCK: usize = 32;

/// [`match_inventory`], with `beside` run on a second thread that then matches too: the systems
/// are taken in blocks by both threads, each with its own memo, and their exposures put back in
/// the order of the systems. `beside` is work the caller needs next to the match (the rating's
/// topology), so the second core has work from the start and shares the match once it is done.
/// The result holds the same exposures and decisions as [`match_inventory`]'s; the decisions
/// are numbered in another order, and a decision the two threads both met is held twice.
pub fn match_beside<T: Send>(
    inv: &Inventory,
    advisories: &[Advisory],
    index: &Index,
    beside: impl FnOnce() -> T + Send,
) -> (Matches, T) {
    let systems: Vec<&System> = inv.systems.values().collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || systems.len() < 2 * MATCH_BLOCK {
        let matches = match_inventory(inv, advisories, index);
        return (matches, beside());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Blocks taken in turn until none is left: each block's number and its exposures' range in
    // the thread's own list.
    let run = || {
        let mut m = Matcher::new(advisories, index);
        let mut blocks = Vec::new();
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let from = b * MATCH_BLOCK;
            if from >= systems.len() {
                break;
            }
            let start = m.out.exposures.len();
            let to = (from + MATCH_BLOCK).min(systems.len());
            for (si, system) in systems.iter().enumerate().take(to).skip(from) {
                m.system(si, system);
            }
            blocks.push((b, start..m.out.exposures.len()));
        }
        (m.out, blocks)
    };
    let ((mine, my_blocks), (theirs, their_blocks), t) = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let t = beside();
            (run(), t)
        });
        let mine = run();
        let (theirs, t) = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (mine, theirs, t)
    });
    // The other thread's decisions follow this one's.
    let offset = mine.decisions.len() as u32;
    let mut blocks: Vec<(usize, bool, std::ops::Range<usize>)> = my_blocks
        .into_iter()
        .map(|(b, r)| (b, false, r))
        .chain(their_blocks.into_iter().map(|(b, r)| (b, true, r)))
        .collect();
    blocks.sort_unstable_by_key(|(b, ..)| *b);
    let mut exposures = Vec::with_capacity(mine.exposures.len() + theirs.exposures.len());
    for (_, other, range) in blocks {
        if other {
            exposures.extend(theirs.exposures[range].iter().map(|e| Exposure {
                decision: e.decision + offset,
                ..*e
            }));
        } else {
            exposures.extend_from_slice(&mine.exposures[range]);
        }
    }
    let mut decisions = mine.decisions;
    decisions.extend(theirs.decisions);
    let matches = Matches {
        exposures,
        decisions,
    };
    (finish(inv, advisories, matches), t)
}

/// The exposures of subjects visited in (system, component) order put in the order of
/// [`Matches`], and those of compatibility statements no partner breaks dropped.
fn finish(inv: &Inventory, advisories: &[Advisory], mut out: Matches) -> Matches {
    // A stable sort by advisory keeps the rest of the order.
    let order = counting_order(out.exposures.len(), advisories.len(), |i| {
        out.exposures[i].advisory as usize
    });
    out.exposures = order.into_iter().map(|i| out.exposures[i]).collect();
    // A compatibility statement concerns a part only where a partner breaks it.
    if advisories.iter().any(|a| !a.requires.is_empty()) {
        let relations = crate::compat::Relations::new(inv);
        let systems: Vec<&System> = inv.systems.values().collect();
        out.exposures.retain(|e| {
            let adv = &advisories[e.advisory as usize];
            let system = systems[e.system as usize];
            let component = system.components.get(e.component as usize);
            crate::compat::keeps(inv, &relations, adv, system, component)
        });
    }
    out
}

/// What one matching thread knows: each subject shape met, the decisions made, and the
/// exposures found so far.
struct Matcher<'i> {
    advisories: &'i [Advisory],
    index: &'i Index,
    memo: HashMap<SubjectKey<'i>, Shape<'i>>,
    /// Per (subject shape, firmware string): the decision of each of the shape's advisories that
    /// no setting decides, by its place in `Shape::advisories`, as it is made. A decision
    /// depends on nothing else, so a million drives of a few models and versions cost a few
    /// decisions, and a subject like one before it costs one lookup here (after its shape's).
    by_firmware: HashMap<(u32, &'i str), Vec<Option<Option<u32>>>>,
    /// (subject shape, advisory, trigger settings, firmware string) → decision, for advisories
    /// whose triggers name settings.
    decided: HashMap<(u32, u32, u32, &'i str), Option<u32>>,
    /// One text per firmware string, shared by every decision on it ([`Decision::firmware`]).
    firmware_texts: HashMap<&'i str, Arc<str>>,
    out: Matches,
}

impl<'i> Matcher<'i> {
    fn new(advisories: &'i [Advisory], index: &'i Index) -> Self {
        Matcher {
            advisories,
            index,
            memo: HashMap::default(),
            by_firmware: HashMap::default(),
            decided: HashMap::default(),
            firmware_texts: HashMap::default(),
            out: Matches::default(),
        }
    }

    /// Match the system at position `si` and its components.
    fn system(&mut self, si: usize, system: &'i System) {
        let Matcher {
            advisories,
            index,
            memo,
            by_firmware,
            decided,
            firmware_texts,
            out,
        } = self;
        let (advisories, index) = (*advisories, *index);
        let subjects = std::iter::once((
            Exposure::SYSTEM,
            Subject {
                system,
                component: None,
            },
        ))
        .chain(system.components.iter().enumerate().map(move |(ci, c)| {
            (
                ci as u32,
                Subject {
                    system,
                    component: Some(c),
                },
            )
        }));
        for (ci, subject) in subjects {
            let key = subject.key();
            let next_id = memo.len() as u32;
            let shape = memo
                .entry(key)
                .or_insert_with_key(|key| Shape::new(next_id, key, advisories, index));
            if !shape.doubts.is_empty() {
                doubtful(
                    out,
                    firmware_texts,
                    advisories,
                    &shape.advisories,
                    &shape.doubts,
                    subject.firmware(),
                    (si as u32, ci),
                );
            }
            if shape.advisories.is_empty() {
                continue;
            }
            let fw = subject.firmware();
            let known = by_firmware
                .entry((shape.id, fw.raw()))
                .or_insert_with(|| vec![None; shape.advisories.len()]);
            for (k, (a, stmts, by_setting)) in shape.advisories.iter().enumerate() {
                let adv = &advisories[*a as usize];
                let mut decide_now = || -> Option<u32> {
                    let (state, evidence) = match decide(adv, stmts, fw, system) {
                        Verdict::NotAffected => return None,
                        Verdict::Affected(e) => (MatchState::Confirmed, e),
                        Verdict::Unknown(e) => (MatchState::Unknown, e),
                    };
                    // A withdrawn advisory is not evidence of "not affected" (a document that left
                    // its feed, a retracted note): what still matches is unknown, with why.
                    let (state, evidence) = match adv.withdrawn {
                        Some(when) => (
                            MatchState::Unknown,
                            format!(
                                "the advisory was withdrawn by its source on {} ({evidence}); confirm with the vendor, then triage it",
                                when.date_naive()
                            ),
                        ),
                        None => (state, evidence),
                    };
                    let mut fixed_in: Vec<String> = stmts
                        .iter()
                        .flat_map(|s| s.fixed_in.iter().cloned())
                        .chain(adv.remediations.iter().filter_map(|r| r.version.clone()))
                        .collect();
                    fixed_in.sort();
                    fixed_in.dedup();
                    out.decisions.push(Decision {
                        state,
                        evidence: evidence.into(),
                        firmware: firmware_text(firmware_texts, fw.raw()),
                        fixed_in: fixed_in.into(),
                    });
                    Some(out.decisions.len() as u32 - 1)
                };
                let decision = if !by_setting {
                    *known[k].get_or_insert_with(decide_now)
                } else {
                    match settings_signature(adv, system) {
                        Some(sig) => *decided
                            .entry((shape.id, *a, sig, fw.raw()))
                            .or_insert_with(decide_now),
                        None => decide_now(),
                    }
                };
                let Some(decision) = decision else { continue };
                out.exposures.push(Exposure {
                    advisory: *a,
                    system: si as u32,
                    component: ci,
                    decision,
                });
            }
        }
    }
}

/// The positions `0..n` in the order of their `key` (below `keys`), equal keys in position order:
/// a stable counting sort, for many items over few keys (a million exposures over a few thousand
/// advisories, findings over their scores), where a comparison sort costs several times more.
pub fn counting_order(n: usize, keys: usize, key: impl Fn(usize) -> usize) -> Vec<usize> {
    // The start of each key's positions in the result.
    let mut at = vec![0usize; keys + 1];
    for i in 0..n {
        at[key(i) + 1] += 1;
    }
    for k in 1..at.len() {
        at[k] += at[k - 1];
    }
    let mut order = vec![0usize; n];
    for i in 0..n {
        let next = &mut at[key(i)];
        order[*next] = i;
        *next += 1;
    }
    order
}

/// The shared text of the firmware string `raw` ([`Decision::firmware`]).
fn firmware_text<'i>(texts: &mut HashMap<&'i str, Arc<str>>, raw: &'i str) -> Arc<str> {
    texts.entry(raw).or_insert_with(|| raw.into()).clone()
}

/// The statements that may name the subject (`resembles`) but do not: where one would affect
/// the installed version and no statement of its advisory names the subject, the subject is
/// listed UNKNOWN ("product `FAS` may be model `FAS8300`") — a doubtful product is never a
/// silent "not affected". A version outside the statement is not affected either way.
fn doubtful<'i>(
    out: &mut Matches,
    firmware_texts: &mut HashMap<&'i str, Arc<str>>,
    advisories: &[Advisory],
    named: &[(u32, Vec<&AffectedProduct>, bool)],
    doubts: &[(u32, u32, String)],
    fw: &'i FwVersion,
    (system, component): (u32, u32),
) {
    let mut last = None;
    for (a, s, model) in doubts {
        if last == Some(*a) || named.iter().any(|(x, ..)| x == a) {
            continue;
        }
        let adv = &advisories[*a as usize];
        let st = &adv.affected[*s as usize];
        if st.status != ProductStatus::Affected
            || adv.withdrawn.is_some()
            || spec_contains(&st.versions, fw) != Containment::Affected
        {
            continue;
        }
        last = Some(*a);
        out.decisions.push(Decision {
            state: MatchState::Unknown,
            evidence: format!(
                "product `{}` may be model `{model}`: {} is in {} if it is — review, then \
                 annotate or triage",
                st.product,
                fw.raw(),
                describe(st)
            )
            .into(),
            firmware: firmware_text(firmware_texts, fw.raw()),
            fixed_in: st.fixed_in.clone().into(),
        });
        out.exposures.push(Exposure {
            advisory: *a,
            system,
            component,
            decision: out.decisions.len() as u32 - 1,
        });
    }
}

/// Keep one advisory per id: the same CVE can arrive from NVD, CVE 5 and a vendor CSAF feed. The
/// richer source wins (native, then CSAF, CVE 5, NVD, OSV, scraped), then the most recently modified.
pub fn dedup_advisories(mut advisories: Vec<Advisory>) -> Vec<Advisory> {
    use crate::model::SourceFormat::*;
    let rank = |a: &Advisory| match a.source.format {
        Native => 0,
        Csaf => 1,
        Cve5 => 2,
        Nvd => 3,
        Osv => 4,
        Rss | Html => 5,
        Kev | Epss => 6,
    };
    advisories.sort_by(|a, b| {
        a.id.cmp(&b.id)
            .then(rank(a).cmp(&rank(b)))
            .then(b.modified.cmp(&a.modified))
    });
    advisories.dedup_by(|later, first| later.id == first.id);
    advisories
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;
    use crate::version::Scheme;

    proptest::proptest! {
        #[test]
        fn the_counting_order_is_a_stable_sort_by_key(
            keys in proptest::collection::vec(0usize..40, 0..300)
        ) {
            let mut expected: Vec<usize> = (0..keys.len()).collect();
            expected.sort_by_key(|&i| keys[i]);
            proptest::prop_assert_eq!(counting_order(keys.len(), 40, |i| keys[i]), expected);
        }
    }

    fn matched(e: &Estate, adv: Advisory) -> Vec<(MatchState, String)> {
        let advisories = [adv];
        let index = Index::build(&advisories);
        let m = match_inventory(&e.0, &advisories, &index);
        m.exposures
            .iter()
            .map(|x| {
                let d = m.decision(x);
                (d.state, d.evidence.to_string())
            })
            .collect()
    }

    fn arrays() -> Estate {
        Estate::new()
            .system(
                "de",
                "Lenovo",
                "ThinkSystem DE4000H",
                Scheme::Intdot,
                "11.70.2",
            )
            .system("fas", "NetApp", "FAS8300", Scheme::Ontap, "9.12.1P2")
            .system("unity", "Dell EMC", "Unity 480F", Scheme::Intdot, "5.1.2")
            .system("aff", "NetApp", "AFF A400", Scheme::Ontap, "9.12.1P2")
    }

    #[test]
    fn subjects_of_one_shape_and_firmware_share_decisions_and_settings_still_decide() {
        // Four Unity arrays of one model: three on 5.1.2 (one with dedup on, one off, one
        // unrecorded), one on 5.3.0.
        let mut e = Estate::new();
        for (id, fw) in [
            ("u1", "5.1.2"),
            ("u2", "5.1.2"),
            ("u3", "5.1.2"),
            ("u4", "5.3.0"),
        ] {
            e = e.system(id, "Dell EMC", "Unity 480F", Scheme::Intdot, fw);
        }
        let e = e.setting("u1", "dedup", true).setting("u2", "dedup", false);
        let plain = advisory_for("A-PLAIN", "Dell", "Unity 480F", "vers:intdot/<5.2");
        let dedup = advisory_for("A-DEDUP", "Dell", "Unity 480F", "vers:intdot/<5.2").triggers(&[
            Trigger::Setting {
                name: "dedup".into(),
                value: true,
            },
        ]);
        let newer = advisory_for("A-NEWER", "Dell", "Unity 480F", "vers:intdot/<5.4");
        let advisories = [plain, dedup, newer];
        let index = Index::build(&advisories);
        let m = match_inventory(&e.0, &advisories, &index);
        let of = |a: u32| -> Vec<(u32, MatchState, u32)> {
            m.exposures
                .iter()
                .filter(|x| x.advisory == a)
                .map(|x| (x.system, m.decision(x).state, x.decision))
                .collect()
        };
        // One decision for every 5.1.2 array; 5.3.0 is outside the range.
        let plain = of(0);
        assert_eq!(plain.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(plain
            .iter()
            .all(|p| p.1 == MatchState::Confirmed && p.2 == plain[0].2));
        // The setting decides: on is confirmed, off is not affected, unrecorded is unknown.
        let dedup = of(1);
        assert_eq!(
            dedup.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
            [(0, MatchState::Confirmed), (2, MatchState::Unknown)]
        );
        // Another firmware is its own decision.
        let newer = of(2);
        assert_eq!(newer.len(), 4);
        assert_eq!(newer[0].2, newer[2].2);
        assert_ne!(newer[0].2, newer[3].2);
        assert_eq!(
            m.decision(&m.exposures[m.exposures.len() - 1])
                .firmware
                .as_ref(),
            "5.3.0"
        );
        // Made once each: plain, dedup on u1 and u3, newer on 5.1.2 and on 5.3.0.
        assert_eq!(m.decisions.len(), 5);
        // One firmware text per firmware string.
        let texts = |d: u32| m.decisions[d as usize].firmware.clone();
        assert!(Arc::ptr_eq(&texts(plain[0].2), &texts(newer[0].2)));
        assert!(!Arc::ptr_eq(&texts(newer[0].2), &texts(newer[3].2)));
    }

    #[test]
    fn a_vendor_prefix_spacing_and_punctuation_do_not_hide_a_product() {
        for product in ["Dell EMC Unity 480F", "Unity480F", "DELL EMC unity-480f"] {
            let a = advisory_for("A", "Dell", product, "vers:intdot/<5.2");
            let m = matched(&arrays(), a);
            assert_eq!(m.len(), 1, "{product}: {m:?}");
            assert_eq!(m[0].0, MatchState::Confirmed, "{product}");
        }
        let a = advisory_for("A", "NetApp", "AFF-A400", "vers:ontap/<9.13");
        assert_eq!(matched(&arrays(), a)[0].0, MatchState::Confirmed);
        let a = advisory_for("A", "NetApp", "AFFA400", "vers:ontap/<9.13");
        assert_eq!(matched(&arrays(), a)[0].0, MatchState::Confirmed);
    }

    #[test]
    fn model_patterns_take_a_wildcard_anywhere_and_compare_like_models() {
        let m = |p: &str, model: &str| ModelPattern::new(p).matches(&normalize_model(model));
        assert!(m("PM1643a MZILT3T8HBLS-000H9", "pm1643amziLT3T8HBLS000H9"));
        assert!(m("PM1643*", "PM1643a MZILT3T8HBLS-000H9"));
        assert!(m("ST*NM0055", "ST8000NM0055"));
        assert!(!m("ST*NM0055", "ST8000NM0045"));
        assert!(m("ST????NM0055", "ST8000NM0055"));
        assert!(!m("ST???NM0055", "ST8000NM0055"));
        assert!(m("AFF-A*", "AFF A400"));
        assert!(m("*", "FAS8300"));
        // A CSAF 2.0 document may use two stars; each is any run, also an empty one.
        assert!(m("*A4*", "AFF A400"));
        assert!(m("FAS*8300*", "FAS8300"));
        // `\*` is a star in the model number itself, not a wildcard.
        assert!(!m("FAS\\*", "FAS8300"));
        assert!(m("FAS\\*", "FAS*"));
        assert!(!m("", "FAS8300"));
        assert!(!m("-", "FAS8300"));
    }

    #[test]
    fn a_product_that_may_be_a_deployed_model_is_unknown_never_silently_not_affected() {
        let a = advisory_for("A", "Lenovo", "ThinkSystem DE Series", "vers:intdot/<11.80");
        let m = matched(&arrays(), a);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].0, MatchState::Unknown);
        assert_eq!(
            m[0].1,
            "product `ThinkSystem DE Series` may be model `ThinkSystem DE4000H`: 11.70.2 is in \
             vers:intdot/<11.80 if it is — review, then annotate or triage"
        );
        let fas = advisory_for("B", "NetApp", "FAS", "vers:ontap/<9.13");
        let m = matched(&arrays(), fas);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].1.starts_with("product `FAS` may be model `FAS8300`"),
            "{m:?}"
        );
        // Outside the range: not affected whichever it is.
        let later = advisory_for("C", "Lenovo", "ThinkSystem DE Series", "vers:intdot/<11.5");
        assert!(matched(&arrays(), later).is_empty());
        // Nothing in common but a generic word, or another vendor: nothing.
        let generic = advisory_for("D", "Dell", "Storage Manager", "vers:intdot/<9");
        assert!(matched(&arrays(), generic).is_empty());
        let other = advisory_for("E", "HPE", "ThinkSystem DE Series", "vers:intdot/<99");
        assert!(matched(&arrays(), other).is_empty());
    }
}
