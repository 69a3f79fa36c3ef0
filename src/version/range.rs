//! `vers:` version ranges: strict canonical parsing, canonical printing, and three-valued containment.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::scheme::{Cmp, FwVersion, Scheme, VersionError};

/// A vers comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    fn split(s: &str) -> (Comparator, &str) {
        for (prefix, c) in [
            ("!=", Comparator::Ne),
            ("<=", Comparator::Le),
            (">=", Comparator::Ge),
            ("<", Comparator::Lt),
            (">", Comparator::Gt),
            ("=", Comparator::Eq),
        ] {
            if let Some(rest) = s.strip_prefix(prefix) {
                return (c, rest);
            }
        }
        (Comparator::Eq, s)
    }
}

/// One constraint of a range. `version` is `None` for vers types this crate cannot order
/// (`generic`, ecosystems other than semver): containment is then `Unknown`, never a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub comparator: Comparator,
    pub raw: String,
    pub version: Option<FwVersion>,
}

/// The answer to "is this version in this range?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Containment {
    Affected,
    NotAffected,
    /// Not decidable; the reason is shown to the user.
    Unknown(String),
}

/// A parsed `vers:` range in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersRange {
    /// The vers type as written (`intdot`, `ontap`, `npm`, `all` …).
    kind: String,
    /// The firmware scheme of the type, when it is one of ours.
    scheme: Option<Scheme>,
    /// `*`: every version (or, for `vers:none/*`, none).
    star: bool,
    constraints: Vec<Constraint>,
}

fn range_err(raw: &str, why: impl Into<String>) -> VersionError {
    VersionError::InvalidRange {
        raw: raw.to_string(),
        why: why.into(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            // Canonical percent-encoding uses two upper-case hex digits.
            if !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encode a version for printing: the characters that would be read as vers syntax, and
/// every whitespace or control character (the parser rejects unencoded whitespace, and versions
/// such as 3PAR `3.3.1 (MU5)` or a storcli line may hold some), as upper-case `%XX` of each UTF-8
/// byte. [`VersRange::parse`] decodes it back to the same string.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '>' | '<' | '=' | '!' | '*' | '|' | '%')
            || c.is_whitespace()
            || c.is_control()
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The vers `datetime` type: RFC 3339 with upper-case `T`/`Z` and unencoded colons. Only the
/// canonical form is checked here; datetime ranges are never ordered by this crate.
fn check_datetime(raw: &str, encoded: &str, decoded: &str) -> Result<(), VersionError> {
    if encoded.contains('%') {
        return Err(range_err(
            raw,
            "datetime versions must not be percent-encoded",
        ));
    }
    if decoded.contains(['t', 'z']) {
        return Err(range_err(raw, "datetime must use upper-case `T` and `Z`"));
    }
    if chrono::DateTime::parse_from_rfc3339(decoded).is_err() {
        return Err(range_err(
            raw,
            format!("`{decoded}` is not an RFC 3339 timestamp"),
        ));
    }
    Ok(())
}

impl VersRange {
    /// Parse a canonical vers string. Non-canonical input is an error (the spec forbids fixing it up).
    pub fn parse(raw: &str) -> Result<VersRange, VersionError> {
        // Exactly what the printer encodes, so a parsed range prints back as it was read.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(range_err(
                raw,
                "whitespace and control characters are not permitted (percent-encode them)",
            ));
        }
        let rest = raw
            .strip_prefix("vers:")
            .ok_or_else(|| range_err(raw, "must start with `vers:`"))?;
        let (kind, constraints) = rest
            .split_once('/')
            .ok_or_else(|| range_err(raw, "missing `/` after the versioning scheme"))?;
        if kind.is_empty()
            || !kind.starts_with(|c: char| c.is_ascii_lowercase())
            || !kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-+".contains(c))
        {
            return Err(range_err(
                raw,
                format!("invalid versioning scheme `{kind}`"),
            ));
        }
        if constraints.is_empty() {
            return Err(range_err(raw, "no constraints"));
        }
        let scheme = Scheme::from_str(kind).ok();
        if constraints == "*" {
            return Ok(VersRange {
                kind: kind.to_string(),
                scheme,
                star: true,
                constraints: Vec::new(),
            });
        }
        if kind == "all" || kind == "none" {
            return Err(range_err(raw, format!("vers:{kind} only permits `*`")));
        }
        let mut out = Vec::new();
        for part in constraints.split('|') {
            if part.is_empty() {
                return Err(range_err(
                    raw,
                    "empty constraint (leading, trailing or double pipe)",
                ));
            }
            let (comparator, version) = Comparator::split(part);
            if version.is_empty() {
                return Err(range_err(
                    raw,
                    format!("constraint `{part}` has no version"),
                ));
            }
            if version.contains('*') {
                return Err(range_err(raw, "`*` is only allowed alone"));
            }
            // `vers:x/ver/>=1` would otherwise be the version `ver/>=1`: characters of the vers
            // syntax inside a version must be percent-encoded (as the printer does).
            if let Some(c) = version.chars().find(|c| matches!(c, '<' | '>' | '=' | '!')) {
                return Err(range_err(
                    raw,
                    format!("`{c}` inside the version `{version}` must be percent-encoded"),
                ));
            }
            let decoded = percent_decode(version).ok_or_else(|| {
                range_err(
                    raw,
                    format!("invalid or non-canonical percent-encoding in `{version}`"),
                )
            })?;
            if kind == "datetime" {
                check_datetime(raw, version, &decoded)?;
            }
            let parsed = match scheme {
                // Our firmware types: the version must be valid under the scheme.
                Some(s) => {
                    Some(FwVersion::parse(s, &decoded).map_err(|e| range_err(raw, e.to_string()))?)
                }
                // npm versions are semver; one that is not stays unordered (containment Unknown),
                // since npm's own loose forms are not ours to validate.
                None if kind == "npm" => FwVersion::parse(Scheme::Semver, &decoded).ok(),
                None => None,
            };
            out.push(Constraint {
                comparator,
                raw: decoded,
                version: parsed,
            });
        }
        let range = VersRange {
            kind: kind.to_string(),
            scheme: if kind == "npm" {
                Some(Scheme::Semver)
            } else {
                scheme
            },
            star: false,
            constraints: out,
        };
        range.check_canonical(raw)?;
        Ok(range)
    }

    /// Build a canonical range from constraints (sorted, de-duplicated by the caller's scheme order).
    /// Fails when two bounds are incomparable or the comparators do not alternate.
    pub fn from_constraints(
        scheme: Scheme,
        mut constraints: Vec<(Comparator, FwVersion)>,
    ) -> Result<VersRange, VersionError> {
        let mut err = None;
        constraints.sort_by(|a, b| match a.1.compare(&b.1) {
            Cmp::Less => std::cmp::Ordering::Less,
            Cmp::Greater => std::cmp::Ordering::Greater,
            Cmp::Equal => std::cmp::Ordering::Equal,
            Cmp::Incomparable(why) => {
                err.get_or_insert(why);
                std::cmp::Ordering::Equal
            }
        });
        if let Some(why) = err {
            return Err(range_err("<built range>", why));
        }
        let range = VersRange {
            kind: scheme.vers_type().to_string(),
            scheme: Some(scheme),
            star: false,
            constraints: constraints
                .into_iter()
                .map(|(comparator, v)| Constraint {
                    comparator,
                    raw: v.raw().to_string(),
                    version: Some(v),
                })
                .collect(),
        };
        range.check_canonical(&range.to_string())?;
        Ok(range)
    }

    /// `vers:<scheme>/*`: every version.
    pub fn all(scheme: Scheme) -> VersRange {
        VersRange {
            kind: scheme.vers_type().to_string(),
            scheme: Some(scheme),
            star: true,
            constraints: Vec::new(),
        }
    }

    /// The vers type as written.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The firmware scheme, when the type is one this crate can order.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    pub fn is_star(&self) -> bool {
        self.star
    }

    /// The versions of a range that is a plain list (`vers:opaque/HPD5|HPD6`, only `=`
    /// constraints), as written; `None` for anything with a bound, an exclusion or `*`.
    pub fn exact_versions(&self) -> Option<Vec<&str>> {
        (!self.star
            && !self.constraints.is_empty()
            && self
                .constraints
                .iter()
                .all(|c| c.comparator == Comparator::Eq))
        .then(|| self.constraints.iter().map(|c| c.raw.as_str()).collect())
    }

    fn check_canonical(&self, raw: &str) -> Result<(), VersionError> {
        // Versions unique anywhere in the range, not only between neighbours: an unordered list
        // (opaque ids) can hold `=X` and, further on, `!=X`, and containment would answer
        // whichever comes first.
        let mut versions = std::collections::HashSet::with_capacity(self.constraints.len());
        if let Some(c) = self.constraints.iter().find(|c| !versions.insert(&c.raw)) {
            return Err(range_err(raw, format!("version `{}` appears twice", c.raw)));
        }
        // Sorted (only checkable where we can order them).
        let mut gap = false;
        for pair in self.constraints.windows(2) {
            if let (Some(a), Some(b)) = (&pair[0].version, &pair[1].version) {
                match a.compare(b) {
                    Cmp::Less => {}
                    Cmp::Equal => {
                        return Err(range_err(
                            raw,
                            format!("version `{}` appears twice", a.raw()),
                        ))
                    }
                    Cmp::Greater => {
                        return Err(range_err(raw, "constraints are not sorted by version"))
                    }
                    // Opaque tokens have no order; a list of `=`/`!=` of them is still valid.
                    Cmp::Incomparable(_) => gap = true,
                }
            } else {
                gap = true;
            }
        }
        // Sorted neighbours are sorted throughout only when every neighbour pair is ordered: in
        // `<9.9|9.8X1|!=9.8` (an unordered ONTAP build in between) `9.9` and `9.8` are out of
        // order, and containment would read `9.8` as affected. So across a gap every pair that
        // can be ordered must be in order (quadratic, but only for such mixed ranges). Lists of
        // `=` / `!=` alone are decided by equality, so their order does not change an answer.
        let bounded = self.constraints.iter().any(|c| {
            matches!(
                c.comparator,
                Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge
            )
        });
        if gap && bounded {
            for (i, a) in self.constraints.iter().enumerate() {
                let Some(va) = &a.version else { continue };
                for b in &self.constraints[i + 1..] {
                    let Some(vb) = &b.version else { continue };
                    match va.order(vb) {
                        Some(Ordering::Greater) => {
                            return Err(range_err(raw, "constraints are not sorted by version"))
                        }
                        Some(Ordering::Equal) => {
                            return Err(range_err(
                                raw,
                                format!("version `{}` appears twice", va.raw()),
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
        // After dropping = and !=, comparators alternate lower / upper bounds.
        let mut prev_lower: Option<bool> = None;
        for c in &self.constraints {
            let lower = match c.comparator {
                Comparator::Gt | Comparator::Ge => true,
                Comparator::Lt | Comparator::Le => false,
                Comparator::Eq | Comparator::Ne => continue,
            };
            if prev_lower == Some(lower) {
                return Err(range_err(
                    raw,
                    "comparators must alternate between lower (>, >=) and upper (<, <=) bounds",
                ));
            }
            prev_lower = Some(lower);
        }
        Ok(())
    }

    /// Is `v` in this range? `Unknown` when the scheme differs, a bound is incomparable with `v`,
    /// or the vers type has no defined order here.
    pub fn contains(&self, v: &FwVersion) -> Containment {
        if self.star {
            return if self.kind == "none" {
                Containment::NotAffected
            } else {
                Containment::Affected
            };
        }
        match self.scheme {
            Some(s) if s == v.scheme() => {}
            Some(s) => {
                return Containment::Unknown(format!(
                    "range is {s}, installed version `{}` is {}",
                    v.raw(),
                    v.scheme()
                ))
            }
            None => {
                return Containment::Unknown(format!(
                    "vers type `{}` has no defined order for firmware",
                    self.kind
                ))
            }
        }
        // The vers containment algorithm, one pass, no allocation unless the answer is Unknown:
        // equality with an `=`/`<=`/`>=` bound is in, with a `!=` bound is out; otherwise `v` is
        // in when it lies below a leading upper bound, between a lower and the next upper bound,
        // or above a trailing lower bound.
        let mut any_ne = false;
        let mut prev: Option<(Comparator, Ordering)> = None;
        let mut any_range = false;
        for c in &self.constraints {
            let Some(bound) = &c.version else {
                return Containment::Unknown(format!("bound `{}` could not be parsed", c.raw));
            };
            let order = v.order(bound);
            match c.comparator {
                // An explicit `=`/`!=` list decides by equality: incomparable means "not this one".
                Comparator::Eq | Comparator::Ne => {
                    if order == Some(Ordering::Equal) {
                        return if c.comparator == Comparator::Eq {
                            Containment::Affected
                        } else {
                            Containment::NotAffected
                        };
                    }
                    any_ne |= c.comparator == Comparator::Ne;
                    continue;
                }
                _ => {}
            }
            let Some(order) = order else {
                return match v.compare(bound) {
                    Cmp::Incomparable(why) => Containment::Unknown(why),
                    _ => Containment::Unknown(format!("`{}` / `{}`", v.raw(), c.raw)),
                };
            };
            let upper = matches!(c.comparator, Comparator::Lt | Comparator::Le);
            if order == Ordering::Equal && matches!(c.comparator, Comparator::Le | Comparator::Ge) {
                return Containment::Affected;
            }
            if upper && order == Ordering::Less {
                match prev {
                    // An upper bound with no lower bound before it: open below.
                    None => return Containment::Affected,
                    Some((pc, po)) => {
                        if matches!(pc, Comparator::Gt | Comparator::Ge) && po == Ordering::Greater
                        {
                            return Containment::Affected;
                        }
                    }
                }
            }
            prev = Some((c.comparator, order));
            any_range = true;
        }
        // A trailing lower bound with no upper bound: open above.
        if let Some((pc, Ordering::Greater)) = prev {
            if matches!(pc, Comparator::Gt | Comparator::Ge) {
                return Containment::Affected;
            }
        }
        if !any_range && any_ne {
            // Only `!=` (and unmatched `=`) constraints: every other version is in.
            return Containment::Affected;
        }
        Containment::NotAffected
    }
}

impl fmt::Display for VersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.kind)?;
        if self.star {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            write!(f, "{}{}", c.comparator.as_str(), percent_encode(&c.raw))?;
        }
        Ok(())
    }
}

impl FromStr for VersRange {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersRange::parse(s)
    }
}

impl Serialize for VersRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VersRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        VersRange::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(range: &str, s: Scheme, v: &str) -> Containment {
        VersRange::parse(range)
            .unwrap()
            .contains(&FwVersion::parse(s, v).unwrap())
    }

    #[test]
    fn ontap_range() {
        let r = "vers:ontap/>=9.8|<9.8P16";
        assert_eq!(c(r, Scheme::Ontap, "9.8P3"), Containment::Affected);
        assert_eq!(c(r, Scheme::Ontap, "9.8P16"), Containment::NotAffected);
        assert_eq!(c(r, Scheme::Ontap, "9.7P12"), Containment::NotAffected);
        assert!(matches!(
            c(r, Scheme::Ontap, "9.8P3X1"),
            Containment::Unknown(_)
        ));
        assert!(matches!(
            c(r, Scheme::Intdot, "9.8"),
            Containment::Unknown(_)
        ));
    }

    #[test]
    fn single_upper_bound() {
        assert_eq!(
            c(
                "vers:intdot/<5.3.0.0.5.120",
                Scheme::Intdot,
                "5.1.2.0.5.007"
            ),
            Containment::Affected
        );
        assert_eq!(
            c(
                "vers:intdot/<5.3.0.0.5.120",
                Scheme::Intdot,
                "5.3.0.0.5.120"
            ),
            Containment::NotAffected
        );
    }

    #[test]
    fn opaque_lists() {
        let r = "vers:opaque/HPD5|HPD6|HPD7";
        assert_eq!(c(r, Scheme::Opaque, "HPD7"), Containment::Affected);
        // An opaque id not in the list: NotAffected would be a guess only if the list were not
        // exhaustive; equality lists are explicit, so this is evidence.
        assert_eq!(c(r, Scheme::Opaque, "HPD8"), Containment::NotAffected);
    }

    #[test]
    fn canonical_round_trip_and_errors() {
        let r = VersRange::parse("vers:intdot/>=1.2|!=1.1|<2.0").unwrap_err();
        assert!(r.to_string().contains("sorted"), "{r}");
        assert!(VersRange::parse("vers:intdot/>=1.2| <2.0").is_err());
        let ok = "vers:ontap/>=9.8|<9.8P16|>=9.9.1|<9.9.1P9";
        assert_eq!(VersRange::parse(ok).unwrap().to_string(), ok);
    }

    #[test]
    fn not_equal_and_multiple_intervals() {
        let r = "vers:intdot/!=1.5";
        assert_eq!(c(r, Scheme::Intdot, "2.0"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "1.5"), Containment::NotAffected);
        let r = "vers:intdot/>=1.0|!=1.5|<2.0|>=3.0";
        assert_eq!(c(r, Scheme::Intdot, "1.2"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "1.5"), Containment::NotAffected);
        assert_eq!(c(r, Scheme::Intdot, "2.5"), Containment::NotAffected);
        assert_eq!(c(r, Scheme::Intdot, "3.0"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "9.0"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "0.9"), Containment::NotAffected);
        let r = "vers:intdot/<=1.0|>2.0|<3.0";
        assert_eq!(c(r, Scheme::Intdot, "1.0"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "2.0"), Containment::NotAffected);
        assert_eq!(c(r, Scheme::Intdot, "2.5"), Containment::Affected);
        assert_eq!(c(r, Scheme::Intdot, "3.0"), Containment::NotAffected);
    }
}
