//! Golden tests over every real version string in `reference/versions.md` §1.1 (catalogue) and §1.2
//! (measured comparator failures): each parses under its scheme or is rejected for a stated reason,
//! and the orderings / incomparable cases of §1.2 hold. The full table is also an insta snapshot so a
//! grammar change shows up as a reviewable diff.

use std::fmt::Write;

use firmwatch::version::{parse_loose, Cmp, Containment, FwVersion, Scheme};

use Scheme::*;

/// `(scheme, raw, parses?)`. Rejections are commented with the reason.
const CATALOGUE: &[(Scheme, &str, bool)] = &[
    // NetApp ONTAP (clustered and 7-mode).
    (Ontap, "9.8P2", true),
    (Ontap, "9.8P16", true),
    (Ontap, "9.13.1P9", true),
    (Ontap, "9.9.1P9X3", true),
    (Ontap, "9.10.1X12", true),
    (Ontap, "9.7P12", true),
    (Ontap, "9.9.1P35", true),
    (Ontap, "7.3.5.1P5", true),
    (Ontap, "7.1.2.1R1", true),
    (Ontap, "7.2RC1", true),
    (Ontap, "8.0.2RC1", true),
    (Ontap, "9.8P16D1", true),
    (Ontap, "9.8P3", true),
    (Ontap, "9.8", true),
    (Ontap, "9.12.1", true),
    // The REST `full` field is a sentence, not a version.
    (Ontap, "NetApp Release 9.10.1X12", false),
    // NetApp E-Series SANtricity.
    (Eseries, "11.70.4R1", true),
    (Eseries, "11.50.3R1P4", true),
    (Eseries, "11.90.R4", true),
    (Eseries, "12.00GA", true),
    (Eseries, "12.00.00.9018", true),
    (Eseries, "08.74.02.00.005-LEN", true),
    // Dell Unity OE.
    (Intdot, "5.1.2", true),
    (Intdot, "5.1.2.0.5.007", true),
    // The support-page sentence, not a version.
    (
        Intdot,
        "Unity 5.1.2.0 (Release, Build 007, 2021-12-22)",
        false,
    ),
    // Dell PowerMax microcode; the `xxx` placeholder and the marketing name are not versions.
    (Intdot, "5978.711.711", true),
    (Intdot, "5978.714.714", true),
    (Intdot, "5978.479.479", true),
    (Intdot, "6079.xxx.xxx", false),
    (Intdot, "PowerMaxOS 10.1.0.0", false),
    (Intdot, "10.1.0.0", true),
    // Dell PowerStore.
    (Intdot, "3.0.0.0", true),
    (Intdot, "4.3.0.0", true),
    // Seagate / Dot Hill (Dell ME4, Lenovo DS, HPE MSA).
    (DotHill, "GT280R011-01", true),
    (DotHill, "GT280R010-01", true),
    (DotHill, "GT280R008-04", true),
    (DotHill, "GL225P002-02", true),
    (DotHill, "VE270P002-02", true),
    (DotHill, "VL270P002-02", true),
    (DotHill, "GL225P001", true),
    (DotHill, "VE270R001-01", true),
    // HPE 3PAR / Primera.
    (ThreePar, "Release version 3.3.1.648 (MU5)", true),
    (ThreePar, "3.3.1.648 (MU5)", true),
    (ThreePar, "3.3.1.652 (MU6)", true),
    (ThreePar, "3.3.1 (MU5)+P126,P132,P135,P140", true),
    (ThreePar, "4.0.0", true),
    (ThreePar, "4.2.0", true),
    // HPE Nimble / Alletra 6000: the `-x` build suffix is not confirmed as non-ordering, so the
    // strict intdot grammar rejects it (the inventory must give the numeric part).
    (Intdot, "5.0.10.0-x", false),
    (Intdot, "5.1.4.200-x", false),
    (Intdot, "5.2.1.0-x", false),
    (Intdot, "5.2.1.0", true),
    // Pure Purity//FA; `6.4.x` is a train, not a version.
    (Semver, "6.5.8", true),
    (Semver, "6.4.x", false),
    // IBM Spectrum Virtualize / FlashSystem / DS8000.
    (Intdot, "8.4.0.7", true),
    (Intdot, "8.6.0.2", true),
    (Intdot, "8.6.0.11", true),
    (Intdot, "8.7.0.13", true),
    (Intdot, "7.9", true),
    (Intdot, "7.9.1", true),
    // Hitachi VSP microcode.
    (Hitachi, "88-06-02/10", true),
    (Hitachi, "90-08-01", true),
    (Hitachi, "88-08-02-60/00", true),
    // Hitachi *software* (formats.md quirk 6) is not VSP microcode.
    (Hitachi, "8.8.5-02", false),
    // Broadcom MegaRAID / HBA, with and without the storcli axis label.
    (MegaRaid, "FW Package Build = 24.21.0-0014", true),
    (MegaRaid, "24.21.0-0014", true),
    (MegaRaid, "23.34.0-0014", true),
    (MegaRaid, "52.16.1-4405", true),
    (MegaRaid, "FW Version = 3.460.65-6268", true),
    (MegaRaid, "3.460.65-6268", true),
    (MegaRaid, "5.160.02-3552", true),
    (MegaRaid, "FW Package Build = 36.00.00.00", true),
    (MegaRaid, "NVDATA 36.00.00.14", true),
    // Three versions glued together (BIOS, UEFI driver, hex id): not one orderable version.
    (MegaRaid, "BIOS 5.50.03.0_4.17.08.00_0x06110200", false),
    // Drive firmware.
    (Opaque, "CC4G", true),
    (Opaque, "CC4H", true),
    (Opaque, "CC24", true),
    (Opaque, "CC38", true),
    (Opaque, "SD15", true),
    (Opaque, "SD19", true),
    (Opaque, "SD1A", true),
    (Opaque, "AD14", true),
    (Opaque, "HPD4", true),
    (Opaque, "HPD8", true),
    (Opaque, "GXA7602Q", true),
    (Opaque, "C8C0", true),
    // Dell iDRAC, HPE iLO.
    (Intdot, "6.10.30.00", true),
    (Intdot, "2.72", true),
    (Intdot, "1.50", true),
    // §1.2 strings.
    (MegaRaid, "24.21.0-0148", true),
    (MegaRaid, "5.230.00-3690", true),
    (Intdot, "08.70.01.00", true),
    (Intdot, "08.70.01.99", true),
    (Intdot, "3.3.1.648", true),
    (Intdot, "8.4.0.9", true),
    (Intdot, "8.4.0.10", true),
    // vers-rs truncates intdot at the first letter and so calls this 8.4.0.7; we refuse it.
    (Intdot, "8.4.0.7P1", false),
    // The semver crate fails loudly on firmware strings, which we keep.
    (Semver, "9.8P3", false),
    (Semver, "24.21.0-0148", false),
    (Semver, "5.230.00-3690", false),
    (Semver, "08.70.01.00", false),
    (Semver, "5978.711.711", true),
    (Semver, "3.3.1.648", false),
    (Semver, "88-08-02-60/00", false),
];

#[test]
fn every_catalogue_string_parses_or_is_rejected_as_documented() {
    let mut table = String::new();
    let mut wrong = Vec::new();
    for &(scheme, raw, want) in CATALOGUE {
        let got = FwVersion::parse(scheme, raw);
        if got.is_ok() != want {
            wrong.push(format!("{scheme} `{raw}`: {got:?}"));
        }
        let outcome = match &got {
            Ok(v) => match v.family() {
                Some(f) => format!("ok (family {f})"),
                None => "ok".to_string(),
            },
            Err(e) => format!("rejected: {e}"),
        };
        let _ = writeln!(table, "{raw:<40} | {scheme:<8} | {outcome}");
    }
    assert!(
        wrong.is_empty(),
        "unexpected parse results:\n{}",
        wrong.join("\n")
    );
    insta::assert_snapshot!("catalogue", table);
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Cmp {
    let pa = FwVersion::parse(scheme, a).unwrap_or_else(|e| panic!("{e}"));
    let pb = FwVersion::parse(scheme, b).unwrap_or_else(|e| panic!("{e}"));
    pa.compare(&pb)
}

/// `(scheme, a, b, expected)` where `None` means Incomparable.
const ORDERINGS: &[(Scheme, &str, &str, Option<Cmp>)] = &[
    (Ontap, "9.8P3", "9.8P16", Some(Cmp::Less)),
    (Ontap, "9.8", "9.8P3", Some(Cmp::Less)),
    (Ontap, "9.8P16", "9.9", Some(Cmp::Less)),
    (Ontap, "9.9", "9.9.1", Some(Cmp::Less)),
    (Ontap, "9.9.1", "9.12.1", Some(Cmp::Less)),
    (Ontap, "9.12.1", "9.8", Some(Cmp::Greater)),
    (Ontap, "9.8", "9.8.0", Some(Cmp::Equal)),
    (Ontap, "7.2RC1", "7.2", Some(Cmp::Less)),
    (Ontap, "9.9.1P9X3", "9.9.1P9", None),
    (Ontap, "9.10.1X12", "9.10.1", None),
    (Ontap, "9.8P16D1", "9.8P16", None),
    (Ontap, "9.9.1P9X3", "9.9.1P9X3", Some(Cmp::Equal)),
    (Intdot, "8.4.0.9", "8.4.0.10", Some(Cmp::Less)),
    (Intdot, "08.70.01.00", "08.70.01.99", Some(Cmp::Less)),
    (Intdot, "10.0", "9.0", Some(Cmp::Greater)),
    (Intdot, "5.1.2", "5.1.2.0.5.007", Some(Cmp::Less)),
    (Intdot, "8.6.0.2", "8.6.0.11", Some(Cmp::Less)),
    (
        ThreePar,
        "3.3.1.648 (MU5)",
        "3.3.1.652 (MU6)",
        Some(Cmp::Less),
    ),
    (
        ThreePar,
        "3.3.1 (MU5)+P126,P132",
        "3.3.1 (MU5)+P126,P132,P135,P140",
        Some(Cmp::Less),
    ),
    (ThreePar, "3.3.1+P126", "3.3.1+P132", None),
    (Hitachi, "88-08-02-60/00", "90-08-01", None),
    (Hitachi, "88-06-02/10", "88-08-02-60/00", Some(Cmp::Less)),
    (Opaque, "SD19", "SD1A", None),
    (Opaque, "CC4G", "CC4H", None),
    (Opaque, "HPD8", "HPD8", Some(Cmp::Equal)),
    (DotHill, "GL225P002-02", "VE270P002-02", None),
    (DotHill, "GT280R010-01", "GT280R011-01", Some(Cmp::Less)),
    (DotHill, "VE270R001-01", "VE270P002-02", Some(Cmp::Less)),
    (Eseries, "11.50.3R1P4", "11.70.4R1", Some(Cmp::Less)),
    (Eseries, "08.74.02.00.005-LEN", "11.70.4R1", None),
    // The `-NNNN` build orders after the release (semver would put it before).
    (MegaRaid, "24.21.0-0148", "24.21.0", Some(Cmp::Greater)),
    (MegaRaid, "23.34.0-0014", "24.21.0-0014", Some(Cmp::Less)),
    (
        MegaRaid,
        "5.230.00-3690",
        "5.160.02-3552",
        Some(Cmp::Greater),
    ),
    (
        MegaRaid,
        "FW Package Build = 36.00.00.00",
        "NVDATA 36.00.00.14",
        None,
    ),
    (Semver, "6.5.8", "6.5.10", Some(Cmp::Less)),
];

#[test]
fn orderings_of_section_1_2_hold() {
    let mut table = String::new();
    for (scheme, a, b, want) in ORDERINGS {
        let got = cmp(*scheme, a, b);
        match want {
            Some(w) => assert_eq!(&got, w, "{scheme}: {a} vs {b}"),
            None => assert!(
                matches!(got, Cmp::Incomparable(_)),
                "{scheme}: {a} vs {b} should be incomparable, got {got:?}"
            ),
        }
        // The reverse comparison agrees (an Incomparable reason names the operands in call order,
        // so only the variant is compared for it).
        let back = cmp(*scheme, b, a);
        match (&back, got.clone().reverse()) {
            (Cmp::Incomparable(_), Cmp::Incomparable(_)) => {}
            (back, rev) => assert_eq!(back, &rev, "{scheme}: {b} vs {a}"),
        }
        let _ = writeln!(table, "{scheme:<8} | {a} vs {b} | {got:?}");
    }
    insta::assert_snapshot!("orderings", table);
}

#[test]
fn schemes_and_families_never_cross() {
    let a = FwVersion::parse(Intdot, "9.8").unwrap();
    let b = FwVersion::parse(Ontap, "9.8").unwrap();
    assert!(matches!(a.compare(&b), Cmp::Incomparable(_)));
}

#[test]
fn intdot_range_does_not_swallow_ontap_patch() {
    // §1.2 last row: `8.4.0.7P1` must not be read as `8.4.0.7` inside an intdot range.
    let range = parse_loose(">=8.4.0.7 <8.4.0.10", Intdot).unwrap();
    assert!(FwVersion::parse(Intdot, "8.4.0.7P1").is_err());
    let inside = FwVersion::parse(Intdot, "8.4.0.9").unwrap();
    assert_eq!(range.contains(&inside), Containment::Affected);
}

#[test]
fn fixed_by_newer_base_or_patch_works_through_a_range() {
    // "Fixed in 3.3.1.652, or on 3.3.1.648 with P126 installed."
    let range = parse_loose("<3.3.1.648+P126", ThreePar).unwrap();
    // A vers type must start with a letter, hence `threepar`.
    assert_eq!(range.to_string(), "vers:threepar/<3.3.1.648+P126");
    assert_eq!(
        firmwatch::version::VersRange::parse("vers:threepar/<3.3.1.648+P126").unwrap(),
        range
    );
    let c = |raw: &str| range.contains(&FwVersion::parse(ThreePar, raw).unwrap());
    assert_eq!(c("3.3.1.648 (MU5)"), Containment::Affected);
    assert_eq!(c("3.3.1.648 (MU5)+P126,P132"), Containment::NotAffected);
    assert_eq!(c("3.3.1.652 (MU6)"), Containment::NotAffected);
    assert_eq!(c("3.3.1.600"), Containment::Affected);
    // Another patch only: whether it supersedes P126 is not known.
    assert!(matches!(c("3.3.1.648+P132"), Containment::Unknown(_)));
}
