//! Vendor identity: the many spellings of one vendor folded to one key.
//!
//! Real records name one vendor many ways: "Hewlett Packard Enterprise (HPE)", "HPE", "Hewlett-
//! Packard Enterprise"; "Dell", "Dell EMC", "EMC", "Dell Technologies"; "NetApp, Inc."; a CVE
//! record from some CNAs says "n/a". Matching, the store's vendor index and `exposure`'s reading of
//! it all compare [`key`]s, so every spelling in [`BUILTIN`] (or in the operator's
//! `feeds/vendors.toml`, [`add_spellings`]) reads as its vendor.
//!
//! A key is the vendor's name normalized (lower case, words of letters and digits), without a
//! parenthesized part ("(HPE)") or a corporate suffix ("Inc.", "Corporation", "Ltd", "LLC",
//! "Co., Ltd."), then looked up among the aliases. A name no table knows is its own key, so an
//! unknown vendor still matches itself.
//!
//! The store indexes each advisory under the keys of its day; an alias added later would leave
//! older records under the alias's own spelling, so the index is read under every spelling of a
//! vendor ([`spellings`]), never only under its key.
//!
//! Where a record names no vendor ("n/a", "unknown"), the vendor is taken from its CPE
//! ([`from_cpe`]), from the first words of its product name when they are a known vendor
//! ([`in_product`]), or from the CNA that published it when that is a known vendor.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use serde::Deserialize;

use crate::model::normalize_name;

/// The vendor index key of exploitation signals (KEV entries): they concern any vendor, so they
/// are indexed under this key, which no vendor name folds to ([`normalize_name`] keeps only
/// letters, digits and spaces), and read beside every estate's vendors.
pub const SIGNALS: &str = "#exploited";

/// The built-in table: each vendor's key and the spellings that fold to it (normalized, as
/// [`normalize_name`] writes them).
pub const BUILTIN: &[(&str, &[&str])] = &[
    (
        "dell",
        &[
            "dell emc",
            "dellemc",
            "emc",
            "dell technologies",
            "dell computer",
            "compellent",
            "equallogic",
            "isilon",
        ],
    ),
    (
        "hpe",
        &[
            "hewlett packard enterprise",
            "hewlett packard",
            "hp enterprise",
            "hpe aruba networking",
            "3par",
            "nimble storage",
        ],
    ),
    ("netapp", &["network appliance"]),
    (
        "hitachi",
        &["hitachi vantara", "hds", "hitachi data systems"],
    ),
    ("ibm", &["international business machines"]),
    ("lenovo", &["lenovo group"]),
    (
        "fujitsu",
        &["fujitsu limited", "fujitsu technology solutions"],
    ),
    ("huawei", &["huawei technologies"]),
    ("pure storage", &["purestorage", "pure"]),
    (
        "broadcom",
        &[
            "lsi",
            "lsi logic",
            "avago",
            "avago technologies",
            "brocade",
            "brocade communications systems",
            "emulex",
        ],
    ),
    ("seagate", &["seagate technology"]),
    (
        "western digital",
        &[
            "wdc",
            "wd",
            "western digital technologies",
            "hgst",
            "hitachi global storage technologies",
            "sandisk",
        ],
    ),
    ("kioxia", &["toshiba", "toshiba memory"]),
    ("micron", &["micron technology", "crucial"]),
    ("samsung", &["samsung electronics", "samsung semiconductor"]),
    ("cisco", &["cisco systems"]),
    ("supermicro", &["super micro computer", "super micro"]),
    ("intel", &[]),
    ("solidigm", &[]),
    ("quantum", &[]),
    ("oracle", &["sun microsystems"]),
    ("infinidat", &[]),
    ("nutanix", &[]),
    ("vmware", &["broadcom vmware"]),
    ("red hat", &["redhat"]),
    (
        "schneider electric",
        &[
            "apc",
            "american power conversion",
            "apc by schneider electric",
        ],
    ),
    ("eaton", &[]),
    ("qnap", &["qnap systems"]),
    ("synology", &[]),
    ("vertiv", &["emerson network power", "liebert"]),
    ("marvell", &["qlogic", "cavium"]),
    ("nvidia", &["mellanox", "mellanox technologies"]),
    ("juniper", &["juniper networks"]),
    ("arista", &["arista networks"]),
    ("ami", &["american megatrends"]),
    ("insyde", &["insyde software"]),
];

/// Spellings an operator added (normalized spelling → key), from `feeds/vendors.toml`.
static EXTRA: RwLock<BTreeMap<String, String>> = RwLock::new(BTreeMap::new());

/// Words a record uses for "no vendor".
pub fn is_unknown(name: &str) -> bool {
    matches!(
        normalize_name(name).as_str(),
        "" | "n a" | "na" | "unknown" | "none" | "unspecified" | "not applicable"
    )
}

/// The normalized name without parenthesized parts and corporate suffixes.
fn fold(name: &str) -> String {
    let mut plain = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let n = normalize_name(&plain);
    let mut s = n.as_str();
    for suffix in [
        " development lp",
        " lp",
        " inc",
        " incorporated",
        " corporation",
        " corp",
        " co ltd",
        " ltd",
        " limited",
        " llc",
        " gmbh",
        " ag",
        " sa",
        " plc",
        " co",
    ] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
        }
    }
    s.to_string()
}

/// The vendor's key: its normalized name, folded to the vendor it is an alias of.
pub fn key(name: &str) -> String {
    let folded = fold(name);
    known_key(&folded).unwrap_or(folded)
}

/// Whether `name` is a vendor the tables know (as a key or an alias).
pub fn is_known(name: &str) -> bool {
    let folded = fold(name);
    !folded.is_empty() && known_key(&folded).is_some()
}

/// The key a folded name is an alias (or the key) of, in the operator's table or the built-in
/// one. The built-in table is indexed once: matching folds every statement's and subject's vendor.
fn known_key(folded: &str) -> Option<String> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&str, &str>> =
        std::sync::OnceLock::new();
    if let Some(k) = EXTRA.read().ok().and_then(|m| m.get(folded).cloned()) {
        return Some(k);
    }
    INDEX
        .get_or_init(|| {
            BUILTIN
                .iter()
                .flat_map(|(k, aliases)| {
                    std::iter::once((*k, *k)).chain(aliases.iter().map(|a| (*a, *k)))
                })
                .collect()
        })
        .get(folded)
        .map(|k| (*k).to_string())
}

/// Every spelling that folds to `key` (the key itself first): what the store's vendor index is
/// read under.
pub fn spellings(key: &str) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for (k, aliases) in BUILTIN {
        if *k == key {
            out.extend(aliases.iter().map(|a| a.to_string()));
        }
    }
    if let Ok(m) = EXTRA.read() {
        out.extend(m.iter().filter(|(_, k)| *k == key).map(|(a, _)| a.clone()));
    }
    out.remove(key);
    std::iter::once(key.to_string()).chain(out).collect()
}

/// The vendor named by the first words of a product name ("Dell EMC Unity OE" → `dell`), if
/// they are a known vendor: the longest known spelling wins.
pub fn in_product(product: &str) -> Option<String> {
    let words: Vec<&str> = product
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    (1..=words.len().min(4))
        .rev()
        .map(|n| words[..n].join(" "))
        .find(|lead| is_known(lead))
        .map(|lead| key(&lead))
}

/// The vendor field of a CPE (`cpe:2.3:o:dell:unity_operating_environment:…` or the 2.2 URI
/// `cpe:/o:dell:…`), with `_` read as a space.
pub fn from_cpe(cpe: &str) -> Option<String> {
    let rest = cpe
        .strip_prefix("cpe:2.3:")
        .or_else(|| cpe.strip_prefix("cpe:/"))?;
    let vendor = rest.split(':').nth(1)?;
    (!vendor.is_empty() && vendor != "*" && vendor != "-").then(|| vendor.replace('_', " "))
}

/// The vendor of a record that names none: from its CPEs, the first words of its product, or
/// the CNA that published it — each only when it names a vendor (`None` otherwise).
pub fn resolve(product: &str, cpes: &[String], cna: Option<&str>) -> Option<String> {
    cpes.iter()
        .filter_map(|c| from_cpe(c))
        .find(|v| !is_unknown(v))
        .or_else(|| in_product(product))
        .or_else(|| cna.filter(|c| is_known(c)).map(key))
}

/// `feeds/vendors.toml`: spellings an operator adds to the built-in table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    #[serde(default)]
    vendor: Vec<VendorEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorEntry {
    /// The vendor (a built-in key or alias, or a new vendor).
    name: String,
    aliases: Vec<String>,
}

/// The operator's vendor file beside the feed definitions; not a feed definition.
pub const VENDORS_FILE: &str = "vendors.toml";

/// Add the spellings of an operator's vendor file, read from `text`; `file` names it in errors
/// (a file that does not parse is an error with line and column). The CLI reads the file.
pub fn add_spellings(file: &str, text: &str) -> anyhow::Result<usize> {
    use anyhow::Context;
    let file_text: VendorFile =
        toml::from_str(text).with_context(|| format!("{file} is not a vendor file"))?;
    // Keys first: `key` reads the table, which must not be held for writing meanwhile.
    let mut pairs = Vec::new();
    for v in file_text.vendor {
        let k = key(&v.name);
        anyhow::ensure!(
            !k.is_empty(),
            "{file}: a vendor name must have letters or digits"
        );
        for a in v.aliases {
            let folded = fold(&a);
            if !folded.is_empty() && folded != k {
                pairs.push((folded, k.clone()));
            }
        }
    }
    let added = pairs.len();
    EXTRA
        .write()
        .map_err(|_| anyhow::anyhow!("vendor table poisoned"))?
        .extend(pairs);
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_vendor_is_one_key() {
        for (names, k) in [
            (
                &[
                    "HPE",
                    "Hewlett Packard Enterprise",
                    "Hewlett-Packard Enterprise",
                    "Hewlett Packard Enterprise (HPE)",
                    "Hewlett Packard Enterprise Development LP (HPE)",
                ][..],
                "hpe",
            ),
            (
                &["Dell", "Dell EMC", "EMC", "Dell Technologies", "Dell Inc."],
                "dell",
            ),
            (&["NetApp", "NetApp, Inc.", "NETAPP INC"], "netapp"),
            (
                &["Hitachi", "Hitachi Vantara", "HDS", "Hitachi, Ltd."],
                "hitachi",
            ),
            (
                &["Broadcom", "LSI", "Avago Technologies", "Brocade"],
                "broadcom",
            ),
            (&["Western Digital", "HGST", "WDC"], "western digital"),
            (&["Kioxia", "Toshiba"], "kioxia"),
            (
                &["Pure Storage", "PureStorage", "Pure Storage, Inc."],
                "pure storage",
            ),
            (&["APC", "Schneider Electric"], "schneider electric"),
        ] {
            for n in names {
                assert_eq!(key(n), k, "{n}");
            }
        }
        // Not in the tables: its own key.
        assert_eq!(key("Acme Storage Corp."), "acme storage");
        assert_eq!(key("Snyk"), "snyk");
    }

    #[test]
    fn the_index_is_read_under_every_spelling() {
        let s = spellings("western digital");
        assert_eq!(s[0], "western digital");
        assert!(s.contains(&"hgst".to_string()));
        assert_eq!(spellings("acme"), ["acme"]);
    }

    #[test]
    fn a_record_without_a_vendor_takes_it_from_its_cpe_product_or_cna() {
        assert!(is_unknown("n/a") && is_unknown("N/A") && is_unknown(" unknown "));
        assert_eq!(
            from_cpe("cpe:2.3:o:dell:unity_operating_environment:*:*:*:*:*:*:*:*").as_deref(),
            Some("dell")
        );
        assert_eq!(
            from_cpe("cpe:/h:netapp:aff_a400:-").as_deref(),
            Some("netapp")
        );
        assert_eq!(from_cpe("cpe:2.3:a:*:x:*"), None);
        assert_eq!(in_product("Dell EMC Unity OE").as_deref(), Some("dell"));
        assert_eq!(
            in_product("Hewlett Packard Enterprise MSA 2050").as_deref(),
            Some("hpe")
        );
        assert_eq!(in_product("smoothie"), None);
        let cpes = vec!["cpe:2.3:a:netapp:ontap:9.8:*:*:*:*:*:*:*".to_string()];
        assert_eq!(resolve("x", &cpes, None).as_deref(), Some("netapp"));
        assert_eq!(
            resolve("Dell EMC Unity", &[], Some("mitre")).as_deref(),
            Some("dell")
        );
        assert_eq!(
            resolve("smoothie", &[], Some("dell")).as_deref(),
            Some("dell")
        );
        // A CNA that is not a vendor names nothing.
        assert_eq!(resolve("smoothie", &[], Some("snyk")), None);
    }
}
