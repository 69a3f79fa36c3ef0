//! `vers:` ranges: `VersRange::parse` (canonical vers, as in native advisories and CSAF
//! `product_version_range`) and `version::parse_loose` (the vls / prose range text of CSAF, CVE and
//! HTML advisories) under every scheme.
//!
//! Checks: a parsed range prints and parses back to itself (and, without percent escapes or an
//! explicit `=`, prints as the input); `parse_loose` only returns canonical ranges, of the scheme
//! asked for unless the text was a `vers:` string; and containment honours each bound: a version
//! equal to an `=`, `<=` or `>=` bound is never "not affected", one equal to a `!=` bound is never
//! "affected".
#![no_main]

#[path = "common/mod.rs"]
mod common;

use firmwatch::version::{parse_loose, Comparator, Containment, Scheme, VersRange};
use libfuzzer_sys::fuzz_target;

fn check_bounds(r: &VersRange, text: &str) {
    for c in r.constraints() {
        let Some(v) = &c.version else { continue };
        let got = r.contains(v);
        match c.comparator {
            Comparator::Eq | Comparator::Le | Comparator::Ge => assert_ne!(
                got,
                Containment::NotAffected,
                "`{text}` → `{r}`: bound `{}` itself is not affected",
                c.raw
            ),
            Comparator::Ne => assert_ne!(
                got,
                Containment::Affected,
                "`{text}` → `{r}`: excluded `{}` is affected",
                c.raw
            ),
            Comparator::Lt | Comparator::Gt => assert_ne!(
                got,
                Containment::Affected,
                "`{text}` → `{r}`: open bound `{}` itself is affected",
                c.raw
            ),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = VersRange::parse(text) {
        common::check_canonical(&r);
        let explicit_eq = text.contains("/=") || text.contains("|=");
        if !text.contains('%') && !explicit_eq {
            assert_eq!(r.to_string(), text, "canonical input prints differently");
        }
        check_bounds(&r, text);
    }
    let is_vers = text
        .trim()
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("vers:"))
        && !text
            .trim()
            .get(..9)
            .is_some_and(|p| p.eq_ignore_ascii_case("vers:all/"));
    for scheme in Scheme::ALL {
        if let Ok(r) = parse_loose(text, scheme) {
            common::check_canonical(&r);
            if !is_vers {
                assert_eq!(
                    r.scheme(),
                    Some(scheme),
                    "`{text}` under {scheme} gave `{r}`"
                );
            }
            check_bounds(&r, text);
        }
    }
});
