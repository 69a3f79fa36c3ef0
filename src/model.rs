//! The advisory model: what every feed is normalized into, and what matching and rating read.
//!
//! An [`Advisory`] is a set of **statements** about products ([`AffectedProduct`]: this vendor's
//! product, these models, this component kind, these versions, in this status) plus what the bug
//! **does** ([`Effect`]) and what **sets it off** ([`Trigger`]). Effects and triggers come from the
//! source where it states them (the native format, CSAF threats, CVSS) and from `classify`; they are
//! what the blast-radius rating reasons about, so they are closed enums, not strings.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::version::{Scheme, VersRange};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        string_id!($(#[$doc])* $name, $what, |_: char| true, "");
    };
    ($(#[$doc:meta])* $name:ident, $what:literal, $allowed:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        /// Written as its text, without a copy.
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

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let t = s.trim();
                if t.is_empty() {
                    return Err(IdError { what: $what, raw: s.to_string(), why: "is empty" });
                }
                if t.len() > 256 {
                    return Err(IdError { what: $what, raw: s.chars().take(40).collect(), why: "is longer than 256 characters" });
                }
                if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(IdError { what: $what, raw: s.to_string(), why: "contains whitespace" });
                }
                if !t.chars().all($allowed) {
                    return Err(IdError { what: $what, raw: s.to_string(), why: $rule });
                }
                Ok($name(t.to_string()))
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
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// An identifier that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} `{raw}`: {why}")]
pub struct IdError {
    pub what: &'static str,
    pub raw: String,
    pub why: &'static str,
}

string_id!(
    /// An advisory id as its publisher writes it: `CVE-2023-43074`, `ICSA-24-235-03`, `FW-NTAP-2020-0007`.
    AdvisoryId,
    "advisory id"
);
string_id!(
    /// The id of a feed definition (`feeds/<id>.toml`): lower-case letters, digits, `-`, `_` and
    /// `.`, so that it is a file name everywhere and no two ids meet in a store key
    /// (`feed/advisory-id`: an id with a `/` could collide with another feed's advisory).
    FeedId,
    "feed id",
    |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'),
    "may hold only lower-case letters, digits, `-`, `_` and `.`"
);

impl AdvisoryId {
    /// `true` for CVE ids (`CVE-YYYY-NNNN…`).
    pub fn is_cve(&self) -> bool {
        let s = self.0.as_bytes();
        s.len() >= 13 && s[..4].eq_ignore_ascii_case(b"CVE-")
    }
}

/// The kind of part a firmware runs on. `System` is the array's own OS (ONTAP, Unity OE …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    System,
    Controller,
    Enclosure,
    Drive,
    Hba,
    Bmc,
    Psu,
    Switch,
    Other,
}

impl ComponentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::System => "system",
            ComponentKind::Controller => "controller",
            ComponentKind::Enclosure => "enclosure",
            ComponentKind::Drive => "drive",
            ComponentKind::Hba => "hba",
            ComponentKind::Bmc => "bmc",
            ComponentKind::Psu => "psu",
            ComponentKind::Switch => "switch",
            ComponentKind::Other => "other",
        }
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a product statement says about the listed versions (CSAF `product_status` groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Affected,
    NotAffected,
    Fixed,
    UnderInvestigation,
    /// The source says it does not know (CSAF 2.1 `product_status.unknown`): never "not
    /// affected".
    Unknown,
}

/// Which versions a statement covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum VersionSpec {
    /// A canonical vers range (including exact lists `vers:opaque/HPD5|HPD6`).
    Range(VersRange),
    /// One exact version string, compared under the product's scheme.
    Exact(String),
    /// Every version of the product (CSAF `vers:all/*`, a product named without version).
    All,
    /// Text that could not be turned into a range ("All versions <= V2.5.0 and FS <= 9"): matching it
    /// is always `Unknown`, and the text is shown for manual review.
    Unparsed(String),
}

impl fmt::Display for VersionSpec {
    /// The range, the exact version, "all versions", or the text in quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Range(r) => write!(f, "{r}"),
            VersionSpec::Exact(v) => f.write_str(v),
            VersionSpec::All => f.write_str("all versions"),
            VersionSpec::Unparsed(t) => write!(f, "\"{}\"", t.trim()),
        }
    }
}

/// One statement: these versions of this product (on these models) have this status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    /// Vendor as named by the source (matched case-insensitively after normalization).
    pub vendor: String,
    /// Product or product family (`Unity`, `ONTAP 9`, `MSA 2050`, `PM1643a`).
    pub product: String,
    /// Hardware model numbers the statement is limited to (firmware installed on hardware);
    /// empty means every model of the product. A trailing `*` is a prefix pattern.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// The kind of part whose firmware this is; `None` when the source does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentKind>,
    /// The scheme the versions are written in, when the source or feed says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    pub status: ProductStatus,
    pub versions: VersionSpec,
    /// Versions the vendor names as fixing this product, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_in: Vec<String>,
    /// CPE or purl identifiers carried by the source, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
    /// The vendor recommends the versions of this statement (CSAF `product_status.recommended`,
    /// native `recommended = true`): the release to go to, shown by `recommend`. Only a statement
    /// of exact versions carries it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recommended: bool,
}

/// What a bug does when it fires, ordered from least to most harmful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The release line reaches (or has passed) the end of its vendor support: no fault by
    /// itself, but no future fixes once passed. Only lifecycle documents ([`Lifecycle`]) state it.
    EndOfSupport,
    /// Management plane only (GUI, API, BMC web UI); data path unaffected.
    ManagementPlane,
    /// A security weakness; its CVSS says which of C/I/A it threatens.
    Security,
    /// Latency or throughput degradation.
    Performance,
    /// The component (controller, drive, HBA) crashes, panics, reboots or fails.
    ComponentCrash,
    /// Failover / takeover / giveback does not happen or fails: redundancy is defeated.
    FailoverFailure,
    /// The part cuts the power it supplies (a PDU's outlets, a UPS's output, a PSU): everything
    /// in the failure domains it feeds loses that feed.
    PowerLoss,
    /// The part drops the paths it carries (a switch's or an IOM's ports): everything in the
    /// failure domains it feeds loses that path.
    PathLoss,
    /// Data unavailable: system outage, LUNs offline.
    DataUnavailable,
    /// Data loss or corruption.
    DataLoss,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::EndOfSupport => "end-of-support",
            Effect::ManagementPlane => "management-plane",
            Effect::Security => "security",
            Effect::Performance => "performance",
            Effect::ComponentCrash => "component-crash",
            Effect::FailoverFailure => "failover-failure",
            Effect::PowerLoss => "power-loss",
            Effect::PathLoss => "path-loss",
            Effect::DataUnavailable => "data-unavailable",
            Effect::DataLoss => "data-loss",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sets a bug off. A bug with no trigger is assumed to be able to fire at any time under
/// normal operation (or on a hardware fault, for a failover-path bug).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// A configuration setting has this value (`inline-compression = true`).
    Setting { name: String, value: bool },
    /// The system runs degraded (one controller or path already down).
    DegradedMode,
    /// A hardware fault elsewhere (the failover-path case: the bug fires when failover is needed).
    HardwareFault,
    /// Power-on hours reach a threshold (SSD firmware failing at 32,768 h).
    PowerOnHours { hours: u64 },
    /// Uptime reaches a threshold in days (controller firmware rebooting after N days).
    UptimeDays { days: u64 },
    /// A workload pattern (small random writes, a specific protocol operation).
    Workload { pattern: String },
    /// A planned action such as a controller update, takeover or giveback.
    PlannedAction { action: String },
}

/// A CVSS score as given by the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `3.0`, `3.1`, `4.0`, `2.0`.
    pub version: String,
    pub vector: String,
    pub base_score: f64,
}

/// `CWE-79`, `cwe-79` or `79` → `CWE-79`; anything else (`NVD-CWE-noinfo`, `NVD-CWE-Other`) → None.
pub fn cwe_id(raw: &str) -> Option<String> {
    let t = raw.trim();
    let digits = t
        .strip_prefix("CWE-")
        .or_else(|| t.strip_prefix("cwe-"))
        .unwrap_or(t);
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("CWE-{digits}"))
}

/// CWE ids from raw strings: normalized, sorted, each once.
pub fn cwe_ids<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = raw.into_iter().filter_map(cwe_id).collect();
    v.sort_by_key(|c| c[4..].parse::<u32>().unwrap_or(u32::MAX));
    v.dedup();
    v
}

impl Cvss {
    /// The availability impact letter of the vector (`H`, `L`, `N`), if present.
    pub fn availability(&self) -> Option<char> {
        self.metric("A")
    }

    /// One metric of the vector (`AV`, `C`, `I`, `A`, `VA` …).
    pub fn metric(&self, name: &str) -> Option<char> {
        self.vector.split('/').find_map(|part| {
            let (k, v) = part.split_once(':')?;
            (k == name).then(|| v.chars().next()).flatten()
        })
    }
}

/// A remediation kind (CSAF categories plus the native format's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationKind {
    VendorFix,
    Workaround,
    Mitigation,
    NoFixPlanned,
    NoneAvailable,
}

/// What the vendor says to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    pub kind: RemediationKind,
    /// The fixed version for a vendor fix, when the source states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub details: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The document format an advisory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    Csaf,
    Osv,
    Cve5,
    Nvd,
    Rss,
    Html,
    Native,
    /// An entry of CISA's Known Exploited Vulnerabilities catalog: an exploitation signal for the
    /// advisories of the same id, not an advisory of its own.
    Kev,
    /// A row of FIRST's EPSS scores: an exploitation signal like `Kev`.
    Epss,
}

impl SourceFormat {
    /// A record that signals exploitation for the advisories of its id and names no product.
    pub fn is_signal(self) -> bool {
        matches!(self, SourceFormat::Kev | SourceFormat::Epss)
    }
}

/// Where an advisory was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub feed: FeedId,
    pub format: SourceFormat,
    /// URL or path of the document.
    pub location: String,
    /// SHA-256 of the document bytes, hex.
    pub sha256: String,
}

/// A normalized advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: AdvisoryId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<AdvisoryId>,
    pub vendor: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
    /// Set when the publisher withdrew or rejected the advisory; it then matches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<DateTime<Utc>>,
    pub affected: Vec<AffectedProduct>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<Remediation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// CWE ids the source names (`CWE-674`), sorted, each once: what kind of weakness it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// Why the effects were read as they were where the document's signals disagreed (CVSS
    /// against wording, say): shown with every finding of the advisory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effect_notes: Vec<String>,
    /// The vendor's own severity label, verbatim ("Critical", "rare case" …). An input, not the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    /// Traffic Light Protocol label of the source document (`WHITE`, `CLEAR`, `GREEN`, `AMBER` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
    /// Known exploitation in the wild (CISA's KEV catalog), joined in by advisory id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploited: Option<Exploited>,
    /// The chance of exploitation FIRST's EPSS gives, joined in by advisory id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// Partner compatibility: what the versions in `affected` require of their partners. An
    /// advisory with requirements is a compatibility statement: it concerns a part only where a
    /// partner breaks a requirement (see `compat`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<PartnerRequirement>,
    /// A lifecycle document (end of support of a release line) rather than a bug: its
    /// statements are the line, its effect [`Effect::EndOfSupport`], and these its dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    pub source: Source,
}

/// The support dates of one release line (a native `[[lifecycle]]` document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The line as written (`9.8`, `5.1`, or a vers range); the statement holds it as a range.
    pub line: String,
    /// The day standard support ends: from it on, no regular fixes.
    pub end_of_standard_support: chrono::NaiveDate,
    /// The day extended (paid, limited) support ends, when the vendor offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_extended_support: Option<chrono::NaiveDate>,
    /// Where the dates come from.
    pub source: String,
    /// Made-up dates for examples: every finding of it says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub illustrative: bool,
}

impl Lifecycle {
    /// The day all support ends: extended if offered, else standard.
    pub fn end_of_support(&self) -> chrono::NaiveDate {
        self.end_of_extended_support
            .unwrap_or(self.end_of_standard_support)
    }

    /// Standard support is over on `today` (on its end date or later).
    pub fn past_standard(&self, today: chrono::NaiveDate) -> bool {
        today >= self.end_of_standard_support
    }

    /// All support is over on `today`.
    pub fn past_all(&self, today: chrono::NaiveDate) -> bool {
        today >= self.end_of_support()
    }
}

/// A weakness known to be exploited in the wild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploited {
    /// The catalog that says so (`KEV`).
    pub source: String,
    /// When the catalog added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<chrono::NaiveDate>,
    /// The catalog knows it to be used in ransomware campaigns.
    #[serde(default)]
    pub ransomware: bool,
}

/// FIRST's Exploit Prediction Scoring System: the probability that a CVE is exploited in the wild
/// in the next 30 days, and where that stands among all scored CVEs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// 0..=1.
    pub score: f64,
    /// 0..=1: the share of scored CVEs with a lower score.
    pub percentile: f64,
    /// The day the scores were computed (the file's `score_date`), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_on: Option<chrono::NaiveDate>,
}

/// Who a part's partner is, for a compatibility requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Partner {
    /// The systems it replicates to or from (`backups` of kind `replica`, `replica-pair` groups).
    Replica,
    /// The systems it replicates to (`backups` of kind `replica` with it as `of`).
    ReplicaTarget,
    /// The systems that replicate to it (`backups` of kind `replica` with it as `to`).
    ReplicaSource,
    /// The other members of its `cluster` groups.
    Cluster,
    /// The parts of this kind in the same system (drives, shelves, HBAs of an array).
    Part(ComponentKind),
}

impl fmt::Display for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partner::Replica => f.write_str("replica"),
            Partner::ReplicaTarget => f.write_str("replica-target"),
            Partner::ReplicaSource => f.write_str("replica-source"),
            Partner::Cluster => f.write_str("cluster"),
            Partner::Part(k) => f.write_str(k.as_str()),
        }
    }
}

impl TryFrom<String> for Partner {
    type Error = String;
    fn try_from(s: String) -> Result<Partner, String> {
        match s.as_str() {
            "replica" => Ok(Partner::Replica),
            "replica-target" => Ok(Partner::ReplicaTarget),
            "replica-source" => Ok(Partner::ReplicaSource),
            "cluster" => Ok(Partner::Cluster),
            other => serde_json::from_value::<ComponentKind>(serde_json::Value::String(
                other.to_string(),
            ))
            .ok()
            .filter(|k| *k != ComponentKind::System)
            .map(Partner::Part)
            .ok_or_else(|| {
                format!(
                    "unknown partner `{other}` (expected replica, replica-target, replica-source, \
                     cluster, or a part kind: \
                     controller, enclosure, drive, hba, bmc, psu, switch, other)"
                )
            }),
        }
    }
}

/// Written as its text ([`fmt::Display`]), straight into the output.
impl Serialize for Partner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl From<Partner> for String {
    fn from(p: Partner) -> String {
        p.to_string()
    }
}

/// "A version in `affected` requires each `partner` that is `product` to run `versions`."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerRequirement {
    pub partner: Partner,
    /// The partner's vendor; empty: the advisory's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vendor: String,
    pub product: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// The versions the partner must run.
    pub versions: VersionSpec,
}

impl Advisory {
    /// An advisory with its identity, title and source only: no summary, dates, statements,
    /// remediations, references, effects, triggers or ratings yet. Readers of each format fill in
    /// what their document states (`Advisory { affected, ..Advisory::new(…) }`).
    pub fn new(id: AdvisoryId, vendor: String, title: String, source: Source) -> Advisory {
        Advisory {
            id,
            aliases: vec![],
            vendor,
            title,
            summary: String::new(),
            published: None,
            modified: None,
            withdrawn: None,
            affected: vec![],
            remediations: vec![],
            references: vec![],
            effects: vec![],
            triggers: vec![],
            cvss: None,
            cwes: vec![],
            effect_notes: vec![],
            vendor_severity: None,
            tlp: None,
            exploited: None,
            epss: None,
            requires: vec![],
            lifecycle: None,
            source,
        }
    }
}

/// Lower-case, collapse non-alphanumerics to single spaces: the key products and vendors are
/// matched and indexed by (`Dell EMC` → `dell emc`, `ONTAP-9` → `ontap 9`).
pub fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        // ASCII (nearly every name) without Unicode's case tables: the same result, cheaper.
        let alphanumeric = match c.is_ascii() {
            true => c.is_ascii_alphanumeric(),
            false => c.is_alphanumeric(),
        };
        if alphanumeric {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            match c.is_ascii() {
                true => out.push(c.to_ascii_lowercase()),
                false => out.extend(c.to_lowercase()),
            }
        } else {
            space = true;
        }
    }
    out
}

/// The canonical vendor key: normalized name with corporate suffixes and known aliases folded
/// (`Dell EMC`, `Dell Technologies` → `dell`; `Hewlett Packard Enterprise` → `hpe`). The table
/// and the rules are [`crate::vendor`]'s.
pub fn vendor_key(s: &str) -> String {
    crate::vendor::key(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_reject() {
        let id: AdvisoryId = " CVE-2023-43074 ".parse().unwrap();
        assert_eq!(id.as_str(), "CVE-2023-43074");
        assert!(id.is_cve());
        assert!("".parse::<AdvisoryId>().is_err());
        assert!("a b".parse::<FeedId>().is_err());
        for bad in ["vendor/csaf", "Vendor", "a:b", "ü"] {
            let e = bad.parse::<FeedId>().unwrap_err();
            assert!(e.to_string().contains("lower-case letters"), "{bad}: {e}");
        }
        for good in ["bundled-csaf", "nvd_2.0", "a1"] {
            assert_eq!(good.parse::<FeedId>().unwrap().as_str(), good);
        }
        // Advisory ids keep their publisher's spelling.
        assert!("RHSA-2024:1234/x".parse::<AdvisoryId>().is_ok());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"CVE-2023-43074\"");
        assert!(serde_json::from_str::<AdvisoryId>("\"\"").is_err());
    }

    #[test]
    fn vendors_fold() {
        assert_eq!(vendor_key("Dell EMC"), "dell");
        assert_eq!(vendor_key("Hewlett Packard Enterprise"), "hpe");
        assert_eq!(vendor_key("NetApp, Inc."), "netapp");
        assert_eq!(normalize_name("ONTAP-9"), "ontap 9");
    }

    #[test]
    fn cvss_metrics() {
        let c = Cvss {
            version: "3.1".into(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            base_score: 7.5,
        };
        assert_eq!(c.availability(), Some('H'));
        assert_eq!(c.metric("C"), Some('N'));
    }

    #[test]
    fn effects_order_by_harm() {
        assert!(Effect::EndOfSupport < Effect::ManagementPlane);
        assert!(Effect::DataLoss > Effect::DataUnavailable);
        assert!(Effect::FailoverFailure > Effect::ComponentCrash);
        assert!(Effect::Performance > Effect::Security);
    }

    /// The ASCII path gives what Unicode's rules give, also beside non-ASCII letters.
    #[test]
    fn names_normalize_as_unicode_lowercases_them() {
        let unicode = |s: &str| {
            let words: Vec<String> = s
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| w.chars().flat_map(char::to_lowercase).collect())
                .collect();
            words.join(" ")
        };
        for s in [
            "Dell EMC",
            "  ONTAP-9.12.1P3 ",
            "Ünity XT_480F",
            "İSTANBUL Σ-Series",
            "東芝 MG08ACA16TE",
            "PowerMax\u{a0}8000 / äÖü",
            "",
            "--",
        ] {
            assert_eq!(normalize_name(s), unicode(s), "{s:?}");
        }
    }
}
