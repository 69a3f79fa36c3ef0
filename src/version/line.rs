//! Release lines: `9.8` (ONTAP), `5.1` (Unity OE), `6.5` (semver) as the range of every release
//! of that line, for lifecycle documents.
//!
//! A line is a numeric prefix: a release belongs to it when its numbers start with the line's
//! (trailing zeros insignificant, as in the schemes). It is read into a canonical `vers:` range so
//! that matching it is the matcher's ordinary range check, with the scheme's own order:
//!
//! | scheme | line | range |
//! |---|---|---|
//! | `ontap` | `9.8` | `vers:ontap/>=9.8RC0\|<9.9` — every RC, GA and P-release of 9.8 (`9.8P16` in, `9.9.1` out) |
//! | `ontap` | `9.12.1` | `vers:ontap/>=9.12.1RC0\|<9.12.2` |
//! | `intdot` | `5.1` | `vers:intdot/>=5.1\|<5.2` — `5.1.2.0.5.007` in, `5.2.0.0.5.001` out |
//! | `semver` | `6.5` | `vers:semver/>=6.5.0-0\|<6.6.0-0` |
//!
//! Other schemes have no numeric prefix that names a line (Dot Hill trains, Hitachi families,
//! opaque drive firmware): their lines are written as a vers range or list instead.

use super::{Scheme, VersRange, VersionError};

/// The range of every release of `line` under `scheme`; `line` is numbers separated by dots.
pub fn line_range(scheme: Scheme, line: &str) -> Result<VersRange, VersionError> {
    let line = line.trim();
    let bad = |why: &str| VersionError::InvalidRange {
        raw: line.to_string(),
        why: why.to_string(),
    };
    if !matches!(scheme, Scheme::Intdot | Scheme::Ontap | Scheme::Semver) {
        return Err(bad(&format!(
            "{scheme} versions have no numeric release line: write the line as a vers range \
             (vers:{}/…)",
            scheme.vers_type()
        )));
    }
    let nums: Vec<u64> = line
        .split('.')
        .map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        })
        .collect::<Option<_>>()
        .ok_or_else(|| bad("a release line is numbers separated by dots, such as 9.8 or 5.1"))?;
    let mut next = nums.clone();
    let last = next.last_mut().expect("split yields at least one part");
    *last += 1;
    let next: Vec<String> = next.iter().map(u64::to_string).collect();
    let next = next.join(".");
    // The line's own numbers as written (leading zeros kept: they are insignificant anyway).
    let (low, high) = match scheme {
        Scheme::Intdot => (line.to_string(), next),
        Scheme::Ontap => (format!("{line}RC0"), next),
        Scheme::Semver => {
            if nums.len() > 2 {
                return Err(bad(
                    "a semver release line is MAJOR or MAJOR.MINOR (6 or 6.5)",
                ));
            }
            let pad = |v: &str, n: usize| {
                let mut s = v.to_string();
                for _ in n..3 {
                    s.push_str(".0");
                }
                s + "-0"
            };
            (pad(line, nums.len()), pad(&next, nums.len()))
        }
        _ => unreachable!("checked above"),
    };
    VersRange::parse(&format!("vers:{}/>={low}|<{high}", scheme.vers_type()))
        .map_err(|e| bad(&format!("not a {scheme} release line: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{Containment, FwVersion};

    fn inside(scheme: Scheme, line: &str, v: &str) -> Containment {
        line_range(scheme, line)
            .unwrap()
            .contains(&FwVersion::parse(scheme, v).unwrap())
    }

    #[test]
    fn an_ontap_line_holds_its_rcs_ga_and_p_releases_and_nothing_of_the_next() {
        assert_eq!(
            line_range(Scheme::Ontap, "9.8").unwrap().to_string(),
            "vers:ontap/>=9.8RC0|<9.9"
        );
        for v in ["9.8RC1", "9.8", "9.8P3", "9.8P16", "9.8P20"] {
            assert_eq!(
                inside(Scheme::Ontap, "9.8", v),
                Containment::Affected,
                "{v}"
            );
        }
        for v in ["9.7P12", "9.9.1", "9.9.1RC1", "9.12.1P2", "9.10.1"] {
            assert_eq!(
                inside(Scheme::Ontap, "9.8", v),
                Containment::NotAffected,
                "{v}"
            );
        }
        // 9.12.1P10 is in the line of 9.12.1 (P10 after P2, never read as text), 9.13.1 is not.
        for v in ["9.12.1P2", "9.12.1P10", "9.12.1"] {
            assert_eq!(
                inside(Scheme::Ontap, "9.12.1", v),
                Containment::Affected,
                "{v}"
            );
        }
        for v in ["9.13.1", "9.12.0P9", "9.2.1"] {
            assert_eq!(
                inside(Scheme::Ontap, "9.12.1", v),
                Containment::NotAffected,
                "{v}"
            );
        }
        // An engineering build has no published order: unknown, never "not in the line".
        assert!(matches!(
            inside(Scheme::Ontap, "9.8", "9.8P9X3"),
            Containment::Unknown(_)
        ));
    }

    #[test]
    fn a_unity_line_holds_its_six_part_releases() {
        assert_eq!(
            line_range(Scheme::Intdot, "5.1").unwrap().to_string(),
            "vers:intdot/>=5.1|<5.2"
        );
        for v in ["5.1", "5.1.0.0.5.001", "5.1.2.0.5.007", "5.1.10"] {
            assert_eq!(
                inside(Scheme::Intdot, "5.1", v),
                Containment::Affected,
                "{v}"
            );
        }
        for v in ["5.0.6.0.5.008", "5.2.0.0.5.001", "51.0"] {
            assert_eq!(
                inside(Scheme::Intdot, "5.1", v),
                Containment::NotAffected,
                "{v}"
            );
        }
    }

    #[test]
    fn a_semver_line_holds_its_pre_releases() {
        assert_eq!(
            line_range(Scheme::Semver, "6.5").unwrap().to_string(),
            "vers:semver/>=6.5.0-0|<6.6.0-0"
        );
        for v in ["6.5.0-rc.1", "6.5.0", "6.5.8"] {
            assert_eq!(
                inside(Scheme::Semver, "6.5", v),
                Containment::Affected,
                "{v}"
            );
        }
        for v in ["6.4.10", "6.6.0", "6.6.0-rc.1"] {
            assert_eq!(
                inside(Scheme::Semver, "6.5", v),
                Containment::NotAffected,
                "{v}"
            );
        }
    }

    #[test]
    fn what_is_not_a_line_is_an_error_that_says_why() {
        for (scheme, line) in [
            (Scheme::Ontap, "9.8P3"),
            (Scheme::Ontap, "9"),
            (Scheme::Intdot, "5.x"),
            (Scheme::Intdot, ""),
            (Scheme::Intdot, "5..1"),
            (Scheme::Semver, "6.5.1"),
        ] {
            assert!(line_range(scheme, line).is_err(), "{scheme} {line}");
        }
        let e = line_range(Scheme::Opaque, "HPD").unwrap_err().to_string();
        assert!(e.contains("write the line as a vers range"), "{e}");
    }
}
