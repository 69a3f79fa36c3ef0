//! Regression tests for the bugs the fuzz targets in `fuzz/` found (see `fuzz/README.md`). Each
//! feeds the minimized input through the same entry point as its target and asserts the correct
//! answer, so the normal `cargo test` keeps them fixed without libFuzzer.

use firmwatch::inventory::{load_sources, LoadError};
use firmwatch::version::VersRange;

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
