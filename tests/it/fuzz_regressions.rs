//! Regression tests for the bugs the fuzz targets in `fuzz/` found (see `fuzz/README.md`). Each
//! feeds the minimized input through the same entry point as its target and asserts the correct
//! answer, so the normal `cargo test` keeps them fixed without libFuzzer.

use firmwatch::collect::formats::{spec_from_list, spec_from_text};
use firmwatch::inventory::{load_sources, LoadError};
use firmwatch::model::VersionSpec;
use firmwatch::version::{parse_loose, Comparator, Containment, FwVersion, Scheme, VersRange};

/// fuzz target `vers`: the canonical parser took `ver/>=0.0.0-rc.1` as one version of an unknown
/// type (and `HPD>=5` as an opaque id), so a range printed differently from what it was read from.
/// Characters of the vers syntax inside a version must be percent-encoded.
#[test]
fn vers_rejects_unencoded_comparators_inside_a_version() {
    for raw in [
        "vers:se/ver/>=0.0.0-rc.1|<2.0.0",
        "vers:opaque/HPD>=5",
        "vers:intdot/1.0<2",
        "vers:generic/a!b",
    ] {
        let err = VersRange::parse(raw).unwrap_err().to_string();
        assert!(err.contains("must be percent-encoded"), "{raw}: {err}");
    }
    // The encoded forms are fine and print as read.
    let ok = VersRange::parse("vers:opaque/HPD%3E%3D5").unwrap();
    assert_eq!(ok.to_string(), "vers:opaque/HPD%3E%3D5");
    assert_eq!(ok.constraints()[0].raw, "HPD>=5");
}

/// fuzz target `inventory`: a JSON syntax error at a multi-byte character gave a one-byte span
/// inside that character (serde_json counts columns in bytes), which the renderer cannot slice.
#[test]
fn json_syntax_error_at_a_multibyte_character_renders() {
    for text in [
        "{\"systems\": é}",
        "{\"systems\": [\n  {\"id\": \"a\"} €]}",
        "{\"x\": \u{fffd}\u{fffd}}",
    ] {
        let Err(LoadError::Invalid(report)) = load_sources(&[("inv.json", text)]) else {
            panic!("{text:?} loaded");
        };
        let d = &report.diagnostics[0];
        let span = d.primary.span.clone().expect("a parse error has a span");
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{span:?}"
        );
        assert!(span.end > span.start, "the caret covers the character");
        let rendered = report.render_plain();
        assert!(rendered.contains("inv.json:"), "{rendered}");
    }
}

/// `vers` target invariant (a version equal to a `!=` bound is never affected): the canonical
/// check compared only neighbours, so an unordered ONTAP build between two bounds hid that they
/// were out of order, and `9.8` was affected by a range that excludes it (or that is empty).
#[test]
fn vers_bounds_out_of_order_around_an_unordered_build_are_rejected() {
    for raw in [
        "vers:ontap/<9.9|9.8X1|!=9.8",
        "vers:ontap/>=9.8|9.8X1|<9.7",
        "vers:ontap/<9.9|9.8X1|>=9.0",
        "vers:ontap/<9.9|9.8X1|9.9",
    ] {
        let err = VersRange::parse(raw).unwrap_err().to_string();
        assert!(
            err.contains("not sorted") || err.contains("appears twice"),
            "{raw}: {err}"
        );
    }
    // Sorted ranges with an unordered build in between, and `=` lists in any order, still parse.
    let r = VersRange::parse("vers:ontap/>=9.8|9.8X1|<9.8P16").unwrap();
    let v = FwVersion::parse(Scheme::Ontap, "9.8P3").unwrap();
    assert_eq!(r.contains(&v), Containment::Affected);
    let x = FwVersion::parse(Scheme::Ontap, "9.8X1").unwrap();
    assert!(matches!(r.contains(&x), Containment::Unknown(_)));
    assert!(VersRange::parse("vers:ontap/9.9|9.8X1|9.8").is_ok());
}

/// Found next to the above: `vers:generic/…` text and unsortable version lists were rewritten to
/// `vers:3par/…`, which is not a vers type (`vers:threepar/…` is), so 3PAR statements stayed
/// unparsed (unknown) instead of decidable.
#[test]
fn threepar_statements_use_the_threepar_vers_type() {
    let spec = spec_from_text("vers:generic/>=3.3.1.648|<3.3.1.652", Scheme::ThreePar);
    let VersionSpec::Range(r) = spec else {
        panic!("{spec:?}")
    };
    assert_eq!(r.to_string(), "vers:threepar/>=3.3.1.648|<3.3.1.652");
    // Patch sets that do not contain each other have no order: the list keeps the given order.
    let list = spec_from_list(
        &["3.3.1.648+P126".to_string(), "3.3.1.648+P132".to_string()],
        Scheme::ThreePar,
    );
    let VersionSpec::Range(r) = list else {
        panic!("{list:?}")
    };
    assert_eq!(r.kind(), "threepar");
    let v = FwVersion::parse(Scheme::ThreePar, "3.3.1.648+P132").unwrap();
    assert_eq!(r.contains(&v), Containment::Affected);
}

/// fuzz targets `vers` (`NVDATA Version\n3.0` under megaraid) and `versions` (3PAR
/// `3.3.1 (MU5)\r+P926,P26,P132`): versions may hold whitespace other than a space, which the
/// printer left unencoded, so the printed range did not parse ("whitespace is not permitted") —
/// an advisory stored with it could not be read back as the same range.
#[test]
fn versions_with_any_whitespace_print_as_parseable_vers() {
    let r = parse_loose("NVDATA Version\n3.0", Scheme::MegaRaid).unwrap();
    let printed = r.to_string();
    assert_eq!(printed, "vers:megaraid/NVDATA%20Version%0A3.0");
    assert_eq!(VersRange::parse(&printed).unwrap(), r);

    let v = FwVersion::parse(Scheme::ThreePar, "3.3.1 (MU5)\r+P926,P26,P132").unwrap();
    let r =
        VersRange::from_constraints(Scheme::ThreePar, vec![(Comparator::Eq, v.clone())]).unwrap();
    let printed = r.to_string();
    assert_eq!(printed, "vers:threepar/3.3.1%20(MU5)%0D+P926,P26,P132");
    let back = VersRange::parse(&printed).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.contains(&v), Containment::Affected);

    // Non-ASCII whitespace is encoded byte by byte and decodes back (opaque allows none, so use
    // an unknown vers type, whose versions are kept verbatim).
    let r = VersRange::parse("vers:generic/a%C2%A0b").unwrap();
    assert_eq!(r.constraints()[0].raw, "a\u{a0}b");
    assert_eq!(r.to_string(), "vers:generic/a%C2%A0b");

    // Unsortable 3PAR lists with the usual `(MUn)` label keep their range too.
    let list = spec_from_list(
        &[
            "3.3.1.648 (MU5)+P126".to_string(),
            "3.3.1.648 (MU5)+P132".to_string(),
        ],
        Scheme::ThreePar,
    );
    assert!(matches!(list, VersionSpec::Range(_)), "{list:?}");
}

/// Found by the `vers` target (its corpus, first run after facbc08): `vers:npm/>=2.0|<1.0.\x10`
/// was accepted with a raw control character, then printed with it encoded (`%10`), so the range
/// did not print as it was read. The parser now refuses unencoded whitespace and control
/// characters of every kind — exactly the set the printer encodes.
#[test]
fn vers_rejects_unencoded_control_and_unicode_whitespace() {
    for raw in [
        "vers:npm/>=2.0|<1.0.\u{10}",
        "vers:generic/a\u{a0}b",
        "vers:intdot/<1.2\u{7f}",
        "vers:intdot/<1.2\u{2003}",
    ] {
        let err = VersRange::parse(raw).expect_err(raw).to_string();
        assert!(err.contains("percent-encode"), "{raw:?}: {err}");
    }
    let r = VersRange::parse("vers:npm/>=2.0|<1.0.%10").unwrap();
    assert_eq!(r.to_string(), "vers:npm/>=2.0|<1.0.%10");
}

/// Found by the `vers` target (428,521 executions on 05c4920): in an unordered opaque list a
/// version could appear twice if not next to itself — `vers:opaque/HPD5|HPD9|!=HPD5` — and
/// containment answered the first (`HPD5` affected although the range also excludes it). Versions
/// are now unique across the whole range, as the vers spec requires.
#[test]
fn vers_versions_are_unique_across_an_unordered_list() {
    for raw in [
        "vers:opaque/HPD5|HPD9|!=HPD5",
        "vers:opaque/HPD5|HPD6|HPD5",
        "vers:generic/a|b|!=a",
    ] {
        let err = VersRange::parse(raw).expect_err(raw).to_string();
        assert!(err.contains("appears twice"), "{raw}: {err}");
    }
    assert!(VersRange::parse("vers:opaque/HPD5|HPD9|!=HPD6").is_ok());
}
