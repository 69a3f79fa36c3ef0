//! Property tests for the comparator laws of every scheme (reference/versions.md §1.3 rule 8).
//!
//! Generators produce valid strings of each scheme from small value spaces (so that equal and
//! comparable pairs are frequent), and the laws are checked within one scheme:
//! - antisymmetry: `a.compare(b)` is `b.compare(a).reverse()`; `Incomparable` is symmetric (its
//!   reason names the operands in call order, so only the variant is compared);
//! - transitivity of `<=` (with `Less` winning over `Equal`);
//! - parse → `raw()` → parse is the identity;
//! - canonical `VersRange` → `Display` → parse is the identity;
//! - containment agrees with the plain interval definition.

use firmwatch::version::{Cmp, Comparator, FwVersion, Scheme, VersRange};
use proptest::prelude::*;

fn nums(min: usize, max: usize, hi: u32) -> impl Strategy<Value = String> {
    prop::collection::vec((0..hi, prop::bool::weighted(0.15)), min..=max).prop_map(|parts| {
        parts
            .iter()
            .map(|(n, zero_pad)| {
                if *zero_pad {
                    format!("{n:02}")
                } else {
                    n.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    })
}

fn opt_num(p: f64, hi: u32) -> impl Strategy<Value = Option<u32>> {
    prop::option::weighted(p, 0..hi)
}

/// A valid version string of `scheme`.
fn version(scheme: Scheme) -> BoxedStrategy<String> {
    match scheme {
        Scheme::Semver => (0..3u32, 0..3u32, 0..3u32, opt_num(0.3, 3))
            .prop_map(|(a, b, c, pre)| match pre {
                Some(p) => format!("{a}.{b}.{c}-rc.{p}"),
                None => format!("{a}.{b}.{c}"),
            })
            .boxed(),
        Scheme::Intdot => nums(1, 4, 3).boxed(),
        Scheme::Ontap => (
            nums(2, 3, 3),
            prop_oneof![
                Just(String::new()),
                (0..3u32).prop_map(|n| format!("RC{n}")),
                (0..4u32).prop_map(|n| format!("P{n}"))
            ],
            prop::option::weighted(0.1, 1..3u32),
        )
            .prop_map(|(n, level, x)| match x {
                Some(x) => format!("{n}{level}X{x}"),
                None => format!("{n}{level}"),
            })
            .boxed(),
        Scheme::Eseries => (
            nums(2, 3, 3),
            opt_num(0.3, 3),
            opt_num(0.3, 3),
            prop::option::weighted(0.2, prop::sample::select(vec!["LEN", "IBM"])),
        )
            .prop_map(|(n, r, p, oem)| {
                let mut s = n;
                if let Some(r) = r {
                    s.push_str(&format!("R{r}"));
                }
                if let Some(p) = p {
                    s.push_str(&format!("P{p}"));
                }
                if let Some(oem) = oem {
                    s.push_str(&format!("-{oem}"));
                }
                s
            })
            .boxed(),
        Scheme::DotHill => (
            prop::sample::select(vec!["GL", "VE"]),
            prop::sample::select(vec![225u32, 270]),
            prop::sample::select(vec!['R', 'P']),
            0..4u32,
            opt_num(0.8, 3),
        )
            .prop_map(|(pre, train, letter, build, variant)| match variant {
                Some(v) => format!("{pre}{train}{letter}{build:03}-{v:02}"),
                None => format!("{pre}{train}{letter}{build:03}"),
            })
            .boxed(),
        Scheme::Hitachi => (
            prop::sample::select(vec![88u32, 90]),
            0..3u32,
            0..3u32,
            opt_num(0.5, 3),
            opt_num(0.5, 3),
        )
            .prop_map(|(f, a, b, bb, ss)| {
                let mut s = format!("{f:02}-{a:02}-{b:02}");
                if let Some(bb) = bb {
                    s.push_str(&format!("-{bb:02}"));
                }
                if let Some(ss) = ss {
                    s.push_str(&format!("/{ss:02}"));
                }
                s
            })
            .boxed(),
        Scheme::ThreePar => (
            nums(3, 4, 3),
            opt_num(0.3, 7),
            prop::collection::btree_set(120..124u32, 0..3),
        )
            .prop_map(|(base, mu, patches)| {
                let mut s = base;
                if let Some(mu) = mu {
                    s.push_str(&format!(" (MU{mu})"));
                }
                if !patches.is_empty() {
                    let list: Vec<String> = patches.iter().map(|p| format!("P{p}")).collect();
                    s.push('+');
                    s.push_str(&list.join(","));
                }
                s
            })
            .boxed(),
        Scheme::MegaRaid => (
            prop::option::weighted(
                0.2,
                prop::sample::select(vec!["FW Package Build = ", "FW Version = ", "NVDATA "]),
            ),
            0..3u32,
            0..3u32,
            0..3u32,
            opt_num(0.7, 3),
        )
            .prop_map(|(label, a, b, c, build)| {
                let mut s = label.unwrap_or("").to_string();
                s.push_str(&format!("{a}.{b:02}.{c}"));
                if let Some(build) = build {
                    s.push_str(&format!("-{build:04}"));
                }
                s
            })
            .boxed(),
        Scheme::Opaque => "[A-D][A-D0-2]{1,3}".boxed(),
    }
}

fn same_scheme_triple() -> impl Strategy<Value = (Scheme, String, String, String)> {
    prop::sample::select(Scheme::ALL.to_vec())
        .prop_flat_map(|s| (Just(s), version(s), version(s), version(s)))
}

fn parse(s: Scheme, raw: &str) -> FwVersion {
    FwVersion::parse(s, raw).unwrap_or_else(|e| panic!("generator produced an invalid string: {e}"))
}

/// `Some(true)` for Less, `Some(false)` for Equal, `None` otherwise (Greater or Incomparable).
fn le(c: &Cmp) -> Option<bool> {
    match c {
        Cmp::Less => Some(true),
        Cmp::Equal => Some(false),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn antisymmetric_and_incomparable_symmetric((s, a, b, _c) in same_scheme_triple()) {
        let (va, vb) = (parse(s, &a), parse(s, &b));
        let ab = va.compare(&vb);
        let ba = vb.compare(&va);
        match (&ab, &ba) {
            (Cmp::Incomparable(_), Cmp::Incomparable(_)) => {}
            _ => prop_assert_eq!(ab, ba.reverse(), "{} {} vs {}", s, a, b),
        }
        // Reflexive.
        prop_assert_eq!(va.compare(&va), Cmp::Equal);
    }

    #[test]
    fn transitive((s, a, b, c) in same_scheme_triple()) {
        let (va, vb, vc) = (parse(s, &a), parse(s, &b), parse(s, &c));
        if let (Some(strict_ab), Some(strict_bc)) = (le(&va.compare(&vb)), le(&vb.compare(&vc))) {
            let ac = va.compare(&vc);
            let want = if strict_ab || strict_bc { Cmp::Less } else { Cmp::Equal };
            prop_assert_eq!(ac, want, "{}: {} <= {} <= {}", s, a, b, c);
        }
    }

    #[test]
    fn parse_raw_parse_identity((s, a, _b, _c) in same_scheme_triple()) {
        let v = parse(s, &a);
        let again = parse(s, v.raw());
        prop_assert_eq!(&v, &again);
        prop_assert_eq!(v.raw(), a.as_str());
    }

    #[test]
    fn canonical_range_round_trip(
        (s, vs) in prop::sample::select(Scheme::ALL.to_vec())
            .prop_flat_map(|s| (Just(s), prop::collection::vec(version(s), 1..5)))
    ) {
        let mut parsed: Vec<FwVersion> = vs.iter().map(|raw| parse(s, raw)).collect();
        let range = if s == Scheme::Opaque {
            // Opaque ranges are explicit lists.
            parsed.sort_by(|a, b| a.raw().cmp(b.raw()));
            parsed.dedup_by(|a, b| a.raw() == b.raw());
            VersRange::from_constraints(s, parsed.into_iter().map(|v| (Comparator::Eq, v)).collect())
        } else {
            // Keep a strictly increasing chain, then alternate lower / upper bounds.
            let mut chain: Vec<FwVersion> = Vec::new();
            for v in parsed {
                if chain.iter().all(|c| matches!(c.compare(&v), Cmp::Less | Cmp::Greater)) {
                    chain.push(v);
                }
            }
            let mut ok = true;
            chain.sort_by(|a, b| match a.compare(b) {
                Cmp::Less => std::cmp::Ordering::Less,
                Cmp::Greater => std::cmp::Ordering::Greater,
                _ => { ok = false; std::cmp::Ordering::Equal }
            });
            prop_assume!(ok);
            let ops = [Comparator::Ge, Comparator::Lt];
            VersRange::from_constraints(
                s,
                chain.into_iter().enumerate().map(|(i, v)| (ops[i % 2], v)).collect(),
            )
        };
        // Chains that are only partially ordered (e.g. patch sets) may be rejected; that is fine.
        if let Ok(range) = range {
            let text = range.to_string();
            let back = VersRange::parse(&text)
                .unwrap_or_else(|e| panic!("`{text}` does not parse back: {e}"));
            prop_assert_eq!(&back, &range);
            prop_assert_eq!(back.to_string(), text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Containment agrees with the plain definition of an interval list, for every totally ordered
    /// scheme value space used above: `v` is in `>=a|<b|>=c` iff `a <= v < b` or `v >= c`.
    #[test]
    fn containment_matches_interval_definition(
        (s, a, b, c, v) in prop::sample::select(vec![Scheme::Intdot, Scheme::Ontap, Scheme::Semver, Scheme::MegaRaid])
            .prop_flat_map(|s| (Just(s), version(s), version(s), version(s), version(s)))
    ) {
        use std::cmp::Ordering;
        let mut bounds: Vec<FwVersion> = [a, b, c].iter().map(|r| parse(s, r)).collect();
        let ord = |x: &FwVersion, y: &FwVersion| match x.compare(y) {
            Cmp::Less => Some(Ordering::Less),
            Cmp::Equal => Some(Ordering::Equal),
            Cmp::Greater => Some(Ordering::Greater),
            Cmp::Incomparable(_) => None,
        };
        let v = parse(s, &v);
        // Only totally ordered, distinct bounds (ONTAP X builds and MegaRAID axes are skipped).
        prop_assume!(bounds.iter().all(|x| ord(x, &v).is_some()));
        prop_assume!(bounds.iter().all(|x| bounds.iter().all(|y| ord(x, y).is_some())));
        bounds.sort_by(|x, y| ord(x, y).unwrap_or(Ordering::Equal));
        prop_assume!(bounds.windows(2).all(|w| ord(&w[0], &w[1]) == Some(Ordering::Less)));
        let [lo, hi, again] = [&bounds[0], &bounds[1], &bounds[2]];
        let want = (ord(&v, lo) != Some(Ordering::Less) && ord(&v, hi) == Some(Ordering::Less))
            || ord(&v, again) != Some(Ordering::Less);
        let range = VersRange::from_constraints(
            s,
            vec![
                (Comparator::Ge, lo.clone()),
                (Comparator::Lt, hi.clone()),
                (Comparator::Ge, again.clone()),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got = range.contains(&v);
        let expected = if want {
            firmwatch::version::Containment::Affected
        } else {
            firmwatch::version::Containment::NotAffected
        };
        prop_assert_eq!(got, expected, "{} in {}", v, range);
    }
}
