//! Version schemes: parsing one vendor string under one scheme, and comparing two parsed versions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// A firmware versioning scheme. Each has a strict grammar; see the module docs of [`crate::version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scheme {
    /// Strict SemVer 2.0 through the `semver` crate (Pure Purity, software that really is semver).
    Semver,
    /// Dot-separated non-negative integers, leading zeros allowed, trailing zeros insignificant
    /// (Unity, PowerStore, Spectrum Virtualize, iDRAC, iLO, PowerMax).
    Intdot,
    /// NetApp ONTAP: `9.8`, `9.8P3`, `9.12.1P2`, `9.10.1RC1`; `X`/`D` builds are unordered.
    Ontap,
    /// NetApp E-Series SANtricity: `08.74.02.00`, `11.50.3R1P4`; an OEM suffix is another line.
    Eseries,
    /// Seagate/Dot Hill controller family (HPE MSA, Dell ME, Lenovo DS): `GL225P002-02`.
    DotHill,
    /// Hitachi VSP microcode `88-08-02-60/00`: the first field is the hardware family.
    Hitachi,
    /// HPE 3PAR / Primera: an intdot base build plus a set of installed patches.
    ThreePar,
    /// Broadcom MegaRAID / HBA: `24.21.0-0148`, `5.230.00-3690` (the `-NNNN` is a build, not a pre-release).
    MegaRaid,
    /// Opaque tokens (drive firmware `HPD8`, `SD1A`): equality and explicit lists only.
    Opaque,
}

impl Scheme {
    /// Every scheme, for tests and help texts.
    pub const ALL: [Scheme; 9] = [
        Scheme::Semver,
        Scheme::Intdot,
        Scheme::Ontap,
        Scheme::Eseries,
        Scheme::DotHill,
        Scheme::Hitachi,
        Scheme::ThreePar,
        Scheme::MegaRaid,
        Scheme::Opaque,
    ];

    /// The name used in files and as the `vers:` type.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Intdot => "intdot",
            Scheme::Ontap => "ontap",
            Scheme::Eseries => "eseries",
            Scheme::DotHill => "dothill",
            Scheme::Hitachi => "hitachi",
            Scheme::ThreePar => "3par",
            Scheme::MegaRaid => "megaraid",
            Scheme::Opaque => "opaque",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == s)
            .ok_or_else(|| VersionError::UnknownScheme(s.to_string()))
    }
}

impl TryFrom<String> for Scheme {
    type Error = VersionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Scheme> for String {
    fn from(s: Scheme) -> String {
        s.as_str().to_string()
    }
}

/// Why a version string or range could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("unknown version scheme `{0}` (known: semver, intdot, ontap, eseries, dothill, hitachi, 3par, megaraid, opaque)")]
    UnknownScheme(String),
    #[error("`{raw}` is not a valid {scheme} version: {why}")]
    Invalid {
        scheme: Scheme,
        raw: String,
        why: String,
    },
    #[error("invalid vers range `{raw}`: {why}")]
    InvalidRange { raw: String, why: String },
}

/// The result of comparing two firmware versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmp {
    Less,
    Equal,
    Greater,
    /// No order can be claimed; the string says why (another scheme, another family, unordered token).
    Incomparable(String),
}

impl Cmp {
    fn from_ordering(o: Ordering) -> Cmp {
        match o {
            Ordering::Less => Cmp::Less,
            Ordering::Equal => Cmp::Equal,
            Ordering::Greater => Cmp::Greater,
        }
    }

    /// The reverse comparison (`a.compare(b).reverse() == b.compare(a)`).
    pub fn reverse(self) -> Cmp {
        match self {
            Cmp::Less => Cmp::Greater,
            Cmp::Greater => Cmp::Less,
            other => other,
        }
    }
}

/// Numbers of a dotted version; six inline slots cover every real scheme without allocating.
pub(crate) type Nums = SmallVec<[u32; 6]>;

/// Release level after the numbers, ordered `Rc < Ga < Patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Level {
    Rc(u32),
    Ga,
    Patch(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Parsed {
    Semver(semver::Version),
    /// Numbers plus a release level; `unordered` marks builds (ONTAP `X3`) that only equal themselves.
    Dotted {
        nums: Nums,
        level: Level,
        unordered: bool,
    },
    Opaque,
}

/// One vendor version string parsed under a scheme. The raw string is always kept verbatim.
///
/// There is no `Ord`: use [`FwVersion::compare`], which can answer [`Cmp::Incomparable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FwVersion {
    scheme: Scheme,
    family: Option<String>,
    raw: String,
    parsed: Parsed,
}

impl FwVersion {
    /// Parse `raw` (trimmed) under `scheme`.
    pub fn parse(scheme: Scheme, raw: &str) -> Result<FwVersion, VersionError> {
        let raw = raw.trim();
        let invalid = |why: &str| VersionError::Invalid {
            scheme,
            raw: raw.to_string(),
            why: why.to_string(),
        };
        if raw.is_empty() {
            return Err(invalid("empty version"));
        }
        let (family, parsed) = match scheme {
            Scheme::Semver => {
                let v = semver::Version::parse(raw).map_err(|e| invalid(&e.to_string()))?;
                (None, Parsed::Semver(v))
            }
            Scheme::Intdot => (
                None,
                Parsed::Dotted {
                    nums: parse_nums(raw, '.').ok_or_else(|| {
                        invalid("expected dot-separated numbers such as 5.1.2.0.5.007")
                    })?,
                    level: Level::Ga,
                    unordered: false,
                },
            ),
            Scheme::Ontap => (None, parse_ontap(raw).ok_or_else(|| invalid("expected an ONTAP release such as 9.8, 9.8P3, 9.12.1P2, 9.10.1RC1 or 9.9.1P9X3"))?),
            Scheme::Opaque => {
                if raw.chars().any(char::is_whitespace) {
                    return Err(invalid("opaque firmware ids contain no whitespace"));
                }
                (None, Parsed::Opaque)
            }
            Scheme::Eseries
            | Scheme::DotHill
            | Scheme::Hitachi
            | Scheme::ThreePar
            | Scheme::MegaRaid => return Err(invalid("scheme not implemented yet")),
        };
        Ok(FwVersion {
            scheme,
            family,
            raw: raw.to_string(),
            parsed,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The product line this version belongs to (`GL`, `88`, an OEM suffix …); versions of two
    /// different families never compare.
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }

    /// The vendor string, verbatim (trimmed).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Compare two versions. Different schemes or families are [`Cmp::Incomparable`].
    pub fn compare(&self, other: &FwVersion) -> Cmp {
        if self.scheme != other.scheme {
            return Cmp::Incomparable(format!(
                "`{}` is {} and `{}` is {}",
                self.raw, self.scheme, other.raw, other.scheme
            ));
        }
        if self.family != other.family {
            return Cmp::Incomparable(format!(
                "`{}` and `{}` belong to different product lines",
                self.raw, other.raw
            ));
        }
        match (&self.parsed, &other.parsed) {
            (Parsed::Semver(a), Parsed::Semver(b)) => Cmp::from_ordering(a.cmp(b)),
            (
                Parsed::Dotted {
                    nums: a,
                    level: la,
                    unordered: ua,
                },
                Parsed::Dotted {
                    nums: b,
                    level: lb,
                    unordered: ub,
                },
            ) => {
                if *ua || *ub {
                    return if self.raw == other.raw {
                        Cmp::Equal
                    } else {
                        Cmp::Incomparable(format!(
                            "`{}` / `{}`: engineering builds have no published order",
                            self.raw, other.raw
                        ))
                    };
                }
                Cmp::from_ordering(cmp_nums(a, b).then(la.cmp(lb)))
            }
            (Parsed::Opaque, Parsed::Opaque) => {
                if self.raw == other.raw {
                    Cmp::Equal
                } else {
                    Cmp::Incomparable(format!(
                        "`{}` / `{}`: opaque firmware ids have no order",
                        self.raw, other.raw
                    ))
                }
            }
            _ => Cmp::Incomparable("different internal forms".to_string()),
        }
    }
}

impl fmt::Display for FwVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Compare number lists where missing trailing parts count as zero (`9.8 == 9.8.0`).
pub(crate) fn cmp_nums(a: &[u32], b: &[u32]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// `1.02.003` → `[1, 2, 3]`; `None` on anything but digits and single separators.
pub(crate) fn parse_nums(s: &str, sep: char) -> Option<Nums> {
    let mut out = Nums::new();
    for part in s.split(sep) {
        if part.is_empty() || part.len() > 9 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push(part.parse().ok()?);
    }
    Some(out)
}

/// Split a leading run of ASCII digits from `s`.
fn take_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn parse_ontap(raw: &str) -> Option<Parsed> {
    // Numbers: up to the first letter.
    let num_end = raw
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(raw.len());
    let (numbers, mut rest) = raw.split_at(num_end);
    let nums = parse_nums(numbers, '.')?;
    if !(2..=3).contains(&nums.len()) {
        return None;
    }
    let mut level = Level::Ga;
    if let Some(r) = rest.strip_prefix("RC") {
        let (d, r) = take_digits(r);
        level = Level::Rc(d.parse().ok()?);
        rest = r;
    } else if let Some(r) = rest.strip_prefix('P') {
        let (d, r) = take_digits(r);
        level = Level::Patch(d.parse().ok()?);
        rest = r;
    }
    let unordered = if rest.is_empty() {
        false
    } else {
        let tag = rest.strip_prefix('X').or_else(|| rest.strip_prefix('D'))?;
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        true
    };
    Some(Parsed::Dotted {
        nums,
        level,
        unordered,
    })
}

/// The default scheme for a vendor and product family, from the built-in table. Inventory and
/// feed files can override it; `None` means "no known scheme": versions are then compared as
/// [`Scheme::Opaque`] (equality only) by callers.
pub fn scheme_for(vendor: &str, product: &str) -> Option<Scheme> {
    let vendor = vendor.to_ascii_lowercase();
    let product = product.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| product.contains(w));
    if vendor.contains("netapp") {
        if has(&["e-series", "eseries", "santricity", "ef"]) {
            return Some(Scheme::Eseries);
        }
        if has(&["ontap", "aff", "fas"]) {
            return Some(Scheme::Ontap);
        }
    }
    if vendor.contains("hitachi") && has(&["vsp", "microcode", "g350", "g370", "g700", "g900"]) {
        return Some(Scheme::Hitachi);
    }
    if (vendor.contains("hpe") || vendor.contains("hewlett")) && has(&["3par", "primera"]) {
        return Some(Scheme::ThreePar);
    }
    if has(&[
        "msa",
        "powervault me",
        "me4",
        "me5",
        "ds2200",
        "ds4200",
        "ds6200",
    ]) {
        return Some(Scheme::DotHill);
    }
    if has(&["megaraid", "perc", "9500", "9400", "9600"]) && vendor.contains("broadcom") {
        return Some(Scheme::MegaRaid);
    }
    if vendor.contains("pure") {
        return Some(Scheme::Semver);
    }
    if has(&[
        "unity",
        "powerstore",
        "powermax",
        "spectrum virtualize",
        "storage virtualize",
        "flashsystem",
        "idrac",
        "ilo",
        "nimble",
        "alletra",
        "vnx",
        "isilon",
        "powerscale",
    ]) {
        return Some(Scheme::Intdot);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: Scheme, raw: &str) -> FwVersion {
        FwVersion::parse(s, raw).unwrap()
    }

    #[test]
    fn ontap_orders_patches_after_ga() {
        let o = |r| v(Scheme::Ontap, r);
        assert_eq!(o("9.8").compare(&o("9.8P3")), Cmp::Less);
        assert_eq!(o("9.8P3").compare(&o("9.8P16")), Cmp::Less);
        assert_eq!(o("9.8P16").compare(&o("9.9")), Cmp::Less);
        assert_eq!(o("9.8").compare(&o("9.8.0")), Cmp::Equal);
        assert_eq!(o("9.12.1").compare(&o("9.8")), Cmp::Greater);
        assert_eq!(o("9.10.1RC1").compare(&o("9.10.1")), Cmp::Less);
        assert!(matches!(
            o("9.9.1P9X3").compare(&o("9.9.1P9")),
            Cmp::Incomparable(_)
        ));
    }

    #[test]
    fn intdot_is_numeric_not_textual() {
        let i = |r| v(Scheme::Intdot, r);
        assert_eq!(i("8.4.0.9").compare(&i("8.4.0.10")), Cmp::Less);
        assert_eq!(i("08.70.01.00").compare(&i("8.70.1")), Cmp::Equal);
    }

    #[test]
    fn opaque_only_equals() {
        let d = |r| v(Scheme::Opaque, r);
        assert_eq!(d("HPD8").compare(&d("HPD8")), Cmp::Equal);
        assert!(matches!(
            d("SD19").compare(&d("SD1A")),
            Cmp::Incomparable(_)
        ));
    }

    #[test]
    fn schemes_never_cross() {
        assert!(matches!(
            v(Scheme::Intdot, "9.8").compare(&v(Scheme::Ontap, "9.8")),
            Cmp::Incomparable(_)
        ));
    }
}
