//! Firmware version schemes. The first byte picks the scheme; the rest is up to three version
//! strings separated by newlines, each parsed with `FwVersion::parse`.
//!
//! Laws checked on the versions that parse: parse/print round trip; reflexivity (`a == a`);
//! antisymmetry (`a < b` ⇔ `b > a`, incomparable both ways); transitivity of `<=`; equal versions
//! compare the same against a third; and containment agrees with comparison for the one-bound
//! ranges `vers:<scheme>/a`, `>=a` and `<a` built with `VersRange::from_constraints` (which also
//! print and parse back canonically).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use firmwatch::version::{Cmp, Comparator, Containment, FwVersion, Scheme, VersRange};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Lt,
    Eq,
    Gt,
    No,
}

fn k(c: Cmp) -> K {
    match c {
        Cmp::Less => K::Lt,
        Cmp::Equal => K::Eq,
        Cmp::Greater => K::Gt,
        Cmp::Incomparable(why) => {
            assert!(!why.is_empty(), "incomparable without a reason");
            K::No
        }
    }
}

fn rev(x: K) -> K {
    match x {
        K::Lt => K::Gt,
        K::Gt => K::Lt,
        o => o,
    }
}

fn one_bound(scheme: Scheme, op: Comparator, a: &FwVersion) -> VersRange {
    let r = VersRange::from_constraints(scheme, vec![(op, a.clone())])
        .unwrap_or_else(|e| panic!("one-bound range on `{a}` fails: {e}"));
    common::check_canonical(&r);
    r
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(first) % Scheme::ALL.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let vs: Vec<FwVersion> = text
        .splitn(3, '\n')
        .filter_map(|s| FwVersion::parse(scheme, s).ok())
        .collect();
    for v in &vs {
        assert_eq!(v.scheme(), scheme);
        let again = FwVersion::parse(scheme, &v.to_string())
            .unwrap_or_else(|e| panic!("`{v}` does not parse back: {e}"));
        assert_eq!(&again, v, "parse/print round trip");
        assert_eq!(k(v.compare(v)), K::Eq, "`{v}` is not equal to itself");
        let eq = one_bound(scheme, Comparator::Eq, v);
        assert_eq!(eq.contains(v), Containment::Affected, "`{v}` not in `{eq}`");
    }
    for a in &vs {
        for b in &vs {
            let ab = k(a.compare(b));
            assert_eq!(ab, rev(k(b.compare(a))), "antisymmetry: `{a}` vs `{b}`");
            // Containment agrees with comparison.
            let want_eq = if ab == K::Eq {
                Containment::Affected
            } else {
                Containment::NotAffected
            };
            assert_eq!(
                one_bound(scheme, Comparator::Eq, a).contains(b),
                want_eq,
                "`{b}` in =`{a}`"
            );
            let ge = one_bound(scheme, Comparator::Ge, a).contains(b);
            let lt = one_bound(scheme, Comparator::Lt, a).contains(b);
            match ab {
                // b < a
                K::Gt => {
                    assert_eq!(ge, Containment::NotAffected, "`{b}` in >=`{a}`");
                    assert_eq!(lt, Containment::Affected, "`{b}` in <`{a}`");
                }
                K::Eq | K::Lt => {
                    assert_eq!(ge, Containment::Affected, "`{b}` in >=`{a}`");
                    assert_eq!(lt, Containment::NotAffected, "`{b}` in <`{a}`");
                }
                K::No => {
                    assert!(
                        matches!(ge, Containment::Unknown(_)),
                        "`{b}` in >=`{a}`: {ge:?}"
                    );
                    assert!(
                        matches!(lt, Containment::Unknown(_)),
                        "`{b}` in <`{a}`: {lt:?}"
                    );
                }
            }
            for c in &vs {
                let (bc, ac) = (k(b.compare(c)), k(a.compare(c)));
                if ab == K::Eq {
                    assert_eq!(
                        ac, bc,
                        "`{a}` == `{b}` but they compare differently to `{c}`"
                    );
                }
                if matches!(ab, K::Lt | K::Eq) && matches!(bc, K::Lt | K::Eq) {
                    let want = if ab == K::Eq && bc == K::Eq {
                        K::Eq
                    } else {
                        K::Lt
                    };
                    assert_eq!(ac, want, "transitivity: `{a}` <= `{b}` <= `{c}`");
                }
            }
        }
    }
});
