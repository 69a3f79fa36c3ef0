//! Helpers shared by the format parsers: hashing, JSON entry, dates, scheme choice and the
//! conversion of version text / version lists into a [`VersionSpec`].

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use super::FormatError;
use crate::model::VersionSpec;
use crate::version::{percent_encode, scheme_for, Comparator, FwVersion, Scheme, VersRange};

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deserialize a whole JSON document. `serde_json` rejects trailing garbage after the value
/// (gocsaf's `trailing-garbage-data` fixture), reports line and column, and caps nesting at 128.
pub(crate) fn parse_json<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    location: &str,
) -> Result<T, FormatError> {
    serde_json::from_slice(bytes).map_err(|e| FormatError::Json {
        location: location.to_string(),
        message: e.to_string(),
    })
}

/// A JSON string of the document being parsed: borrowed from the document's bytes, or owned
/// when the JSON wrote it with escapes. The CSAF raw structs hold their strings as these, so
/// reading a large product tree does not allocate every id, name and list entry it passes.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

#[cfg(test)]
impl From<&'static str> for Text<'static> {
    fn from(s: &'static str) -> Text<'static> {
        Text(Cow::Borrowed(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

pub(crate) fn invalid(
    location: &str,
    path: impl Into<String>,
    message: impl Into<String>,
) -> FormatError {
    FormatError::Invalid {
        location: location.to_string(),
        path: path.into(),
        message: message.into(),
    }
}

/// RFC 3339 timestamps (any fraction digits, `Z` or offset), or a bare `YYYY-MM-DD` (midnight UTC).
/// Unreadable dates are `None`: a date is informative, never a reason to drop a document.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    // NVD writes `2023-09-12T15:15:24.327` without an offset: it is UTC.
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(d.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

fn strip_v(s: &str) -> &str {
    s.strip_prefix(['V', 'v'])
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(s)
}

/// A version string as it should be compared under `scheme`: trimmed, and without a leading
/// `V`/`v` when the scheme's grammar only accepts it without (`V7.0.3` under intdot).
pub(crate) fn normalize_version(scheme: Scheme, raw: &str) -> String {
    let t = raw.trim();
    if FwVersion::parse(scheme, t).is_ok() {
        return t.to_string();
    }
    let s = strip_v(t);
    if s != t && FwVersion::parse(scheme, s).is_ok() {
        return s.to_string();
    }
    t.to_string()
}

/// The scheme for one product statement: the feed's default, else the built-in vendor/product table,
/// else `intdot` when every version string of the product parses as intdot (after stripping a
/// leading `V`), else `opaque`.
pub fn choose_scheme(
    default: Option<Scheme>,
    vendor: &str,
    product: &str,
    versions: &[&str],
) -> Scheme {
    named_scheme(default, vendor, product).unwrap_or_else(|| versions_scheme(versions))
}

/// The first two steps of [`choose_scheme`]: the feed's default, else the vendor's scheme for
/// the product.
pub(crate) fn named_scheme(default: Option<Scheme>, vendor: &str, product: &str) -> Option<Scheme> {
    default.or_else(|| scheme_for(vendor, product))
}

/// The last step of [`choose_scheme`]: intdot when every version reads as one, else opaque.
pub(crate) fn versions_scheme(versions: &[&str]) -> Scheme {
    let all_intdot = !versions.is_empty()
        && versions
            .iter()
            .all(|v| FwVersion::parse(Scheme::Intdot, strip_v(v.trim())).is_ok());
    if all_intdot {
        Scheme::Intdot
    } else {
        Scheme::Opaque
    }
}

/// The bare version strings inside range text (`>=6.02 | <=V6.05` → `6.02`, `V6.05`), used to
/// choose a scheme before the text is parsed. Best effort: only for the intdot check.
pub(crate) fn versions_in_text(text: &str) -> Vec<&str> {
    let t = text.trim();
    let t = t
        .strip_prefix("vers:")
        .and_then(|r| r.split_once('/').map(|(_, c)| c))
        .unwrap_or(t);
    t.split(['|', ' ', ',', '(', ')'])
        .map(|p| p.trim_start_matches(['<', '>', '=', '!']).trim())
        .filter(|p| {
            // Version-looking tokens only: words of prose ("All versions prior to") are skipped.
            let rest = p.strip_prefix(['V', 'v']).unwrap_or(p);
            rest.starts_with(|c: char| c.is_ascii_digit())
        })
        .collect()
}

/// Range text (canonical vers, the invalid `vers:all/<X` CISA form, vls, free text) → spec.
/// `*` and `vers:all/*` are [`VersionSpec::All`]; anything that does not become a canonical range
/// stays [`VersionSpec::Unparsed`] with the original text.
pub fn spec_from_text(text: &str, scheme: Scheme) -> VersionSpec {
    let t = text.trim();
    if t.is_empty() {
        return VersionSpec::Unparsed(text.to_string());
    }
    if t == "*" || t == "vers:all/*" {
        return VersionSpec::All;
    }
    if let Some(rest) = t.strip_prefix("vers:generic/") {
        // `generic` has no comparison defined by the vers spec; under the product's own ordered
        // scheme the same constraints become decidable. Opaque keeps it generic (unknown).
        if scheme != Scheme::Opaque {
            if let Ok(r) = VersRange::parse(&format!("vers:{}/{rest}", scheme.vers_type())) {
                return VersionSpec::Range(r);
            }
        }
    }
    if t.starts_with("vers:") {
        if let Ok(r) = VersRange::parse(t) {
            if r.is_star() && r.kind() != "none" {
                return VersionSpec::All;
            }
            return VersionSpec::Range(r);
        }
    }
    match loose(t, scheme) {
        Some(r) if r.is_star() && r.kind() != "none" => VersionSpec::All,
        Some(r) => VersionSpec::Range(r),
        None => VersionSpec::Unparsed(t.to_string()),
    }
}

/// Lenient range parsing (vls, CISA's `vers:all/<X`, prose) through `version::parse_loose`.
fn loose(text: &str, scheme: Scheme) -> Option<VersRange> {
    crate::version::parse_loose(text, scheme).ok()
}

/// An explicit list of versions → one exact version, or a `vers:` range of `=` constraints
/// (`vers:opaque/HPD1|HPD2`). Versions that do not parse under `scheme` keep the list `Unparsed`.
pub fn spec_from_list(versions: &[String], scheme: Scheme) -> VersionSpec {
    let normalized: Vec<String> = versions
        .iter()
        .map(|v| normalize_version(scheme, v))
        .filter(|v| !v.is_empty())
        .collect();
    match normalized.as_slice() {
        [] => VersionSpec::Unparsed(String::new()),
        [one] => VersionSpec::Exact(one.clone()),
        many => match exact_list_range(scheme, many) {
            Some(r) => VersionSpec::Range(r),
            None => VersionSpec::Unparsed(many.join(", ")),
        },
    }
}

fn exact_list_range(scheme: Scheme, versions: &[String]) -> Option<VersRange> {
    let mut unique: Vec<&String> = Vec::new();
    for v in versions {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    let parsed: Vec<FwVersion> = unique
        .iter()
        .map(|v| FwVersion::parse(scheme, v))
        .collect::<Result<_, _>>()
        .ok()?;
    // Ordered schemes: let the range sort them. Opaque tokens have no order: keep the given order.
    if let Ok(r) = VersRange::from_constraints(
        scheme,
        parsed.iter().map(|v| (Comparator::Eq, v.clone())).collect(),
    ) {
        return Some(r);
    }
    let body: Vec<String> = unique.iter().map(|v| percent_encode(v)).collect();
    VersRange::parse(&format!("vers:{}/{}", scheme.vers_type(), body.join("|"))).ok()
}

/// Build `>=lo|<hi`-style ranges from bounds; `None` when a bound does not parse or the bounds are
/// out of order (the caller then keeps the text unparsed).
pub(crate) fn range_from_bounds(
    scheme: Scheme,
    bounds: &[(Comparator, &str)],
) -> Option<VersRange> {
    // Opaque tokens have no order: `<HPD8` under opaque would be a guess, so it is not a range.
    if bounds.is_empty()
        || (scheme == Scheme::Opaque && bounds.iter().any(|(c, _)| *c != Comparator::Eq))
    {
        return None;
    }
    let parsed = bounds
        .iter()
        .map(|(c, v)| FwVersion::parse(scheme, &normalize_version(scheme, v)).map(|p| (*c, p)))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    VersRange::from_constraints(scheme, parsed).ok()
}

/// A title for formats that have none (NVD, OSV without summary): the description's first sentence,
/// cut at a word boundary near 120 characters, else the id.
pub(crate) fn title_from(description: &str, id: &str) -> String {
    let d = description.split_whitespace().collect::<Vec<_>>().join(" ");
    if d.is_empty() {
        return id.to_string();
    }
    let sentence = d.split(". ").next().unwrap_or(&d);
    if sentence.chars().count() <= 120 {
        return sentence.trim_end_matches('.').to_string();
    }
    let mut out = String::new();
    for w in sentence.split(' ') {
        if out.chars().count() + w.chars().count() + 1 > 117 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_choice_prefers_feed_then_table_then_intdot() {
        assert_eq!(
            choose_scheme(Some(Scheme::Opaque), "Dell", "Unity", &["5.1"]),
            Scheme::Opaque
        );
        assert_eq!(choose_scheme(None, "NetApp", "ONTAP 9", &[]), Scheme::Ontap);
        assert_eq!(
            choose_scheme(None, "Siemens", "SCALANCE", &["V7.0.3", "6.2"]),
            Scheme::Intdot
        );
        assert_eq!(
            choose_scheme(None, "Mobotix", "P3", &["MX-V4.0.1.15"]),
            Scheme::Opaque
        );
        assert_eq!(choose_scheme(None, "X", "Y", &[]), Scheme::Opaque);
    }

    #[test]
    fn lists_become_exact_ranges() {
        let hpd: Vec<String> = ["HPD1", "HPD2", "HPD3"].map(String::from).to_vec();
        match spec_from_list(&hpd, Scheme::Opaque) {
            VersionSpec::Range(r) => assert_eq!(r.to_string(), "vers:opaque/HPD1|HPD2|HPD3"),
            other => panic!("{other:?}"),
        }
        let unsorted: Vec<String> = ["5.2", "5.10", "5.2"].map(String::from).to_vec();
        match spec_from_list(&unsorted, Scheme::Intdot) {
            VersionSpec::Range(r) => assert_eq!(r.to_string(), "vers:intdot/5.2|5.10"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            spec_from_list(&["V7.0".to_string()], Scheme::Intdot),
            VersionSpec::Exact("7.0".into())
        );
    }

    #[test]
    fn text_specs() {
        assert_eq!(
            spec_from_text(" vers:all/* ", Scheme::Intdot),
            VersionSpec::All
        );
        match spec_from_text("vers:intdot/>=1.0|<2.0", Scheme::Opaque) {
            VersionSpec::Range(r) => assert_eq!(r.to_string(), "vers:intdot/>=1.0|<2.0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            spec_from_text(
                "All versions <= V2.5.0 and Function State (FS) <= 9",
                Scheme::Intdot
            ),
            VersionSpec::Unparsed("All versions <= V2.5.0 and Function State (FS) <= 9".into())
        );
    }

    #[test]
    fn titles_from_descriptions() {
        assert_eq!(title_from("", "CVE-1"), "CVE-1");
        assert_eq!(
            title_from("A short bug. More text.", "CVE-1"),
            "A short bug"
        );
        let long = "word ".repeat(60);
        let t = title_from(&long, "CVE-1");
        assert!(t.ends_with('…') && t.chars().count() <= 120, "{t}");
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-08-22T06:00:00.000000Z").is_some());
        assert!(parse_date("2023-09-12T15:15:24.327").is_some());
        assert!(parse_date("2026-01-15").is_some());
        assert!(parse_date("soon").is_none());
    }
}

/// A `{lang, value}` text as CVE 5 and NVD carry descriptions.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct LangText {
    pub(super) lang: String,
    pub(super) value: String,
}

/// A `{url}` reference as CVE 5 and NVD carry them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct UrlRef {
    pub(super) url: String,
}

/// The English texts (`en`, `en-US` …), or all of them when none is English; trimmed, empties dropped.
pub(super) fn english(texts: &[LangText]) -> Vec<String> {
    let is_en = |t: &&LangText| t.lang.to_ascii_lowercase().starts_with("en");
    let any_en = texts.iter().any(|t| is_en(&t));
    texts
        .iter()
        .filter(|t| !any_en || is_en(t))
        .map(|t| t.value.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}
