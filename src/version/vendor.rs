//! Grammars and orders of the vendor-specific schemes: E-Series, Dot Hill, Hitachi, 3PAR, MegaRAID.
//!
//! Each parser is strict (see `reference/versions.md` §1.1, §1.3) and returns the *family* that a
//! version must share with another before an order is claimed: the Dot Hill platform prefix (`GL`,
//! `VE`), the Hitachi hardware family (`88`, `90`), the E-Series OEM suffix (`LEN`), the MegaRAID
//! axis (`package`, `fw`, `nvdata`) when the storcli label is part of the string. Where the vendor
//! publishes no order between two forms (an E-Series `R` label against none, a Dot Hill `R` build
//! against a `P` build of the same number, two 3PAR patch sets neither of which contains the
//! other), the comparison is `None` (incomparable), never a guess.

use std::cmp::Ordering;

use super::scheme::{parse_nums, take_digits, Level, Nums, Parsed, Patches, Scheme};

/// `(family, parsed)` of a vendor version.
type Out = (Option<String>, Parsed);

/// E-Series SANtricity: `08.74.02.00`, `11.70.4R1`, `11.50.3R1P4`, `11.90.R4`, `12.00GA`,
/// `12.00.00.9018`, `08.74.02.00.005-LEN` (OEM suffix = family).
pub(crate) fn parse_eseries(raw: &str) -> Option<Out> {
    let (body, family) = match raw.rsplit_once('-') {
        Some((body, oem)) => {
            if !(2..=8).contains(&oem.len()) || !oem.bytes().all(|b| b.is_ascii_uppercase()) {
                return None;
            }
            (body, Some(oem.to_string()))
        }
        None => (raw, None),
    };
    let num_end = body
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(body.len());
    let (numbers, mut rest) = body.split_at(num_end);
    // `11.90.R4`: a dot may separate the numbers from the release label.
    let numbers = if rest.is_empty() {
        numbers
    } else {
        numbers.strip_suffix('.').unwrap_or(numbers)
    };
    let nums = parse_nums(numbers, '.')?;
    if nums.len() < 2 {
        return None;
    }
    let mut rel = None;
    let mut patch = 0;
    if rest == "GA" {
        rest = "";
    }
    if let Some(r) = rest.strip_prefix('R') {
        let (d, r) = take_digits(r);
        rel = Some(d.parse().ok()?);
        rest = r;
    }
    if let Some(r) = rest.strip_prefix('P') {
        let (d, r) = take_digits(r);
        patch = d.parse().ok()?;
        rest = r;
    }
    if !rest.is_empty() {
        return None;
    }
    Some((family, Parsed::Eseries { nums, rel, patch }))
}

/// Dot Hill / Seagate controllers (HPE MSA, Dell ME4, Lenovo DS): `GL225P002-02`, `GT280R011-01`,
/// `GL225P001`. The Tenable grammar `^[A-Z]{2}(\d{3})[A-Z](\d{3})-?(\d\d)?$`, restricted to the
/// letters `R`/`P` seen in real strings and to the `-NN` form.
pub(crate) fn parse_dothill(raw: &str) -> Option<Out> {
    let b = raw.as_bytes();
    let (main, variant) = match raw.split_once('-') {
        Some((main, v)) => {
            if v.len() != 2 || !v.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (main, Some(v.parse().ok()?))
        }
        None => (raw, None),
    };
    let m = main.as_bytes();
    if m.len() != 9
        || !m[..2].iter().all(u8::is_ascii_uppercase)
        || !m[2..5].iter().all(u8::is_ascii_digit)
        || !matches!(m[5], b'R' | b'P')
        || !m[6..9].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    Some((
        Some(raw.get(..2)?.to_string()),
        Parsed::DotHill {
            train: main.get(2..5)?.parse().ok()?,
            letter: b[5],
            build: main.get(6..9)?.parse().ok()?,
            variant,
        },
    ))
}

/// Hitachi VSP microcode `FF-MM-mm[-bb][/ss]`: `88-06-02/10`, `90-08-01`, `88-08-02-60/00`.
/// The first field is the hardware family; missing `bb` / `ss` count as `00`.
pub(crate) fn parse_hitachi(raw: &str) -> Option<Out> {
    let (main, sub) = match raw.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (raw, None),
    };
    let two = |s: &str| -> Option<u32> {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let fields: Vec<&str> = main.split('-').collect();
    if !(3..=4).contains(&fields.len()) || fields.iter().any(|f| two(f).is_none()) {
        return None;
    }
    let mut nums = Nums::new();
    for f in &fields[1..] {
        nums.push(two(f)?);
    }
    if fields.len() == 3 {
        nums.push(0);
    }
    match sub {
        Some(s) => nums.push(two(s)?),
        None => nums.push(0),
    }
    Some((
        Some(fields[0].to_string()),
        Parsed::Dotted {
            nums,
            level: Level::Ga,
            unordered: false,
        },
    ))
}

/// 3PAR / Primera: `3.3.1.648 (MU5)`, `Release version 3.3.1.648 (MU5)`,
/// `3.3.1 (MU5)+P126,P132,P135`, `4.2.0`. The `(MUn)` label is cosmetic.
pub(crate) fn parse_threepar(raw: &str) -> Option<Parsed> {
    let s = raw.strip_prefix("Release version ").unwrap_or(raw);
    let (head, patches_text) = match s.split_once('+') {
        Some((h, p)) => (h.trim_end(), Some(p.trim_start())),
        None => (s, None),
    };
    let base_text = match head.split_once(' ') {
        Some((base, label)) => {
            let mu = label.strip_prefix("(MU")?.strip_suffix(')')?;
            if mu.is_empty() || !mu.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            base
        }
        None => head,
    };
    let base = parse_nums(base_text, '.')?;
    if base.len() < 2 {
        return None;
    }
    let mut patches = Patches::new();
    if let Some(list) = patches_text {
        for p in list.split(',') {
            let n = p.trim().strip_prefix('P')?;
            if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            patches.push(n.parse().ok()?);
        }
    }
    patches.sort_unstable();
    patches.dedup();
    Some(Parsed::ThreePar { base, patches })
}

/// Broadcom MegaRAID / HBA: numbers over `.` and `-` (`24.21.0-0014`, `5.230.00-3690`,
/// `36.00.00.00`); the `-NNNN` is a build number, so it orders numerically after the release.
/// An optional storcli label names the axis, which becomes the family: `FW Package Build =`,
/// `FW Version =`, `NVDATA` (package builds and controller firmware are independent numbers).
pub(crate) fn parse_megaraid(raw: &str) -> Option<Out> {
    let mut family = None;
    let mut body = raw;
    for (label, axis) in [
        ("FW Package Build", "package"),
        ("FW Version", "fw"),
        ("NVDATA Version", "nvdata"),
        ("NVDATA", "nvdata"),
    ] {
        if let Some(rest) = raw.strip_prefix(label) {
            let rest = rest.trim_start();
            body = rest.strip_prefix('=').unwrap_or(rest).trim_start();
            family = Some(axis.to_string());
            break;
        }
    }
    if body.is_empty() || body.starts_with('-') || body.ends_with('-') {
        return None;
    }
    let mut nums = Nums::new();
    for part in body.split(['.', '-']) {
        nums.extend(parse_nums(part, '.')?);
    }
    if nums.len() < 2 {
        return None;
    }
    Some((
        family,
        Parsed::Dotted {
            nums,
            level: Level::Ga,
            unordered: false,
        },
    ))
}

/// Order two parsed versions of the same scheme and family; `None` when no order is published.
pub(crate) fn compare(a: &Parsed, b: &Parsed) -> Option<Ordering> {
    match (a, b) {
        (
            Parsed::Eseries {
                nums: na,
                rel: ra,
                patch: pa,
            },
            Parsed::Eseries {
                nums: nb,
                rel: rb,
                patch: pb,
            },
        ) => {
            let o = super::scheme::cmp_nums(na, nb);
            if o != Ordering::Equal {
                return Some(o);
            }
            match (ra, rb) {
                (Some(x), Some(y)) if x != y => Some(x.cmp(y)),
                (Some(_), Some(_)) | (None, None) => Some(pa.cmp(pb)),
                // `11.70.4` against `11.70.4R1`: no published order between a plain release and
                // its `R` label.
                _ => None,
            }
        }
        (
            Parsed::DotHill {
                train: ta,
                letter: la,
                build: ba,
                variant: va,
            },
            Parsed::DotHill {
                train: tb,
                letter: lb,
                build: bb,
                variant: vb,
            },
        ) => {
            let o = ta.cmp(tb).then(ba.cmp(bb));
            if o != Ordering::Equal {
                return Some(o);
            }
            if la != lb {
                // `R011` against `P011`: same build number, different kind of build.
                return None;
            }
            match (va, vb) {
                (Some(x), Some(y)) => Some(x.cmp(y)),
                (None, None) => Some(Ordering::Equal),
                _ => None,
            }
        }
        (
            Parsed::ThreePar {
                base: ba,
                patches: pa,
            },
            Parsed::ThreePar {
                base: bb,
                patches: pb,
            },
        ) => {
            let o = super::scheme::cmp_nums(ba, bb);
            if o != Ordering::Equal {
                return Some(o);
            }
            let a_in_b = is_subset(pa, pb);
            let b_in_a = is_subset(pb, pa);
            match (a_in_b, b_in_a) {
                (true, true) => Some(Ordering::Equal),
                (true, false) => Some(Ordering::Less),
                (false, true) => Some(Ordering::Greater),
                (false, false) => None,
            }
        }
        _ => None,
    }
}

/// Both slices sorted and unique.
fn is_subset(small: &[u32], big: &[u32]) -> bool {
    let mut it = big.iter();
    small.iter().all(|x| it.any(|y| y == x))
}

pub(crate) fn why_incomparable(scheme: Scheme, a: &str, b: &str) -> String {
    let why = match scheme {
        Scheme::Eseries => "no published order between a release with and without an `R` label",
        Scheme::DotHill => "release (`R`) and patch (`P`) builds of the same number, or a build with and without its variant, have no published order",
        Scheme::ThreePar => "same base build with patch sets neither of which contains the other",
        _ => "no published order",
    };
    format!("`{a}` / `{b}`: {why}")
}

#[cfg(test)]
mod tests {
    use crate::version::{Cmp, FwVersion, Scheme};

    fn cmp(s: Scheme, a: &str, b: &str) -> Cmp {
        let pa = FwVersion::parse(s, a).unwrap_or_else(|e| panic!("{e}"));
        let pb = FwVersion::parse(s, b).unwrap_or_else(|e| panic!("{e}"));
        pa.compare(&pb)
    }

    fn incomparable(s: Scheme, a: &str, b: &str) -> bool {
        matches!(cmp(s, a, b), Cmp::Incomparable(_))
    }

    #[test]
    fn eseries() {
        let e = Scheme::Eseries;
        assert_eq!(cmp(e, "08.74.02.00", "8.74.2"), Cmp::Equal);
        assert_eq!(cmp(e, "11.50.3R1", "11.50.3R1P4"), Cmp::Less);
        assert_eq!(cmp(e, "11.50.3R1P4", "11.50.3R2"), Cmp::Less);
        assert_eq!(cmp(e, "11.90.R4", "11.90R4"), Cmp::Equal);
        assert_eq!(cmp(e, "12.00GA", "12.00"), Cmp::Equal);
        assert_eq!(cmp(e, "11.70.4R1", "12.00.00.9018"), Cmp::Less);
        assert!(incomparable(e, "11.70.4", "11.70.4R1"));
        assert!(incomparable(e, "08.74.02.00.005-LEN", "08.74.02.00.005"));
        assert_eq!(
            cmp(e, "08.74.02.00.005-LEN", "08.74.02.00.006-LEN"),
            Cmp::Less
        );
        for bad in ["11", "11.70.4X1", "11.70.4R", "08.74-len", "11.70.4-", "R4"] {
            assert!(FwVersion::parse(e, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dothill() {
        let d = Scheme::DotHill;
        assert_eq!(cmp(d, "GT280R010-01", "GT280R011-01"), Cmp::Less);
        assert_eq!(cmp(d, "GL225P001-01", "GL225P002-02"), Cmp::Less);
        assert_eq!(cmp(d, "VE270R001-01", "VE270P002-02"), Cmp::Less);
        assert!(incomparable(d, "GL225P002-02", "VE270P002-02"));
        assert!(incomparable(d, "VE270R002-01", "VE270P002-01"));
        assert!(incomparable(d, "GL225P001", "GL225P001-01"));
        for bad in [
            "GL225X002-02",
            "gl225P002",
            "GL225P02",
            "GL225P002-2",
            "G225P002",
        ] {
            assert!(FwVersion::parse(d, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hitachi() {
        let h = Scheme::Hitachi;
        assert_eq!(cmp(h, "88-06-02/10", "88-08-02-60/00"), Cmp::Less);
        assert_eq!(cmp(h, "88-08-02-60/00", "88-08-02-60/01"), Cmp::Less);
        assert_eq!(cmp(h, "90-08-01", "90-08-01-00/00"), Cmp::Equal);
        assert!(incomparable(h, "88-08-02-60/00", "90-08-01"));
        for bad in [
            "8.8.5-02",
            "88-08",
            "88-8-02",
            "88-08-02-60-01",
            "88-08-02/1",
        ] {
            assert!(FwVersion::parse(h, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn threepar_patch_sets() {
        let t = Scheme::ThreePar;
        assert_eq!(cmp(t, "3.3.1.648 (MU5)", "3.3.1.652 (MU6)"), Cmp::Less);
        assert_eq!(
            cmp(t, "Release version 3.3.1.648 (MU5)", "3.3.1.648"),
            Cmp::Equal
        );
        assert_eq!(cmp(t, "3.3.1 (MU5)+P126", "3.3.1+P126,P132"), Cmp::Less);
        assert_eq!(cmp(t, "3.3.1+P132,P126", "3.3.1+P126,P132"), Cmp::Equal);
        assert_eq!(cmp(t, "3.3.1+P126,P132", "3.3.1"), Cmp::Greater);
        assert!(incomparable(t, "3.3.1+P126", "3.3.1+P132"));
        assert_eq!(cmp(t, "3.3.1+P126,P132", "3.3.2"), Cmp::Less);
        for bad in [
            "3.3.1 MU5",
            "3.3.1 (MU)",
            "3.3.1+126",
            "3.3.1+",
            "3",
            "3.3.1 (MU5) x",
        ] {
            assert!(FwVersion::parse(t, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn megaraid_build_is_a_number() {
        let m = Scheme::MegaRaid;
        assert_eq!(cmp(m, "24.21.0-0014", "24.21.0"), Cmp::Greater);
        assert_eq!(cmp(m, "24.21.0-0014", "24.21.0-0148"), Cmp::Less);
        assert_eq!(cmp(m, "5.230.00-3690", "5.230.0-3690"), Cmp::Equal);
        assert_eq!(
            cmp(
                m,
                "FW Package Build = 24.21.0-0014",
                "FW Package Build = 23.34.0-0014"
            ),
            Cmp::Greater
        );
        assert!(incomparable(
            m,
            "FW Package Build = 24.21.0-0014",
            "FW Version = 3.460.65-6268"
        ));
        for bad in [
            "24.21.0--0014",
            "-24.21",
            "24.21.0-",
            "BIOS 5.50.03.0_4.17.08.00_0x06110200",
            "24",
            "24.21.0-RC1",
        ] {
            assert!(FwVersion::parse(m, bad).is_err(), "{bad}");
        }
    }
}
