//! The package-url vers-spec conformance files in `corpus/vers/` that apply to this crate.
//!
//! Applied:
//! - `vers_canonical_parse_test.json`: every parse success (scheme and constraint list) and every
//!   expected failure (whitespace, stray pipes, unsorted, bad or non-canonical percent-encoding,
//!   non-canonical datetimes).
//! - `npm_range_containment_test.json`: npm versions are semver, so containment is decided.
//! - `pypi_range_containment_test.json`: PEP 440 is not implemented, so the honest answer for every
//!   case is `Unknown`; the test checks that we never answer a definite yes/no there.
//!
//! Skipped, and why:
//! - `lexicographic-test.json`: lexicographic order is exactly the string comparison that makes
//!   `SD19` look newer than `SD1A` (reference/versions.md §1.2); firmware matching must never fall
//!   back to it, so the crate deliberately has no lexicographic scheme.
//! - `datetime_version_cmp_test.json`: advisories date firmware by version, not by timestamp; the
//!   canonical *form* of datetime ranges is still checked through the parse file above.
//! - `openssl_version_cmp_test.json`, `openssl_range_from_native_test.json`,
//!   `nginx_range_from_native_test.json`: software ecosystems and native-range conversions that
//!   storage firmware never uses.

use std::path::Path;

use firmwatch::version::{Comparator, Containment, FwVersion, Scheme, VersRange};
use serde_json::Value;

fn tests_of(dir: &Path, file: &str) -> Vec<Value> {
    let path = dir.join("vers").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    doc["tests"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: no `tests` array"))
        .clone()
}

fn op(c: Comparator) -> &'static str {
    match c {
        Comparator::Eq => "=",
        other => other.as_str(),
    }
}

#[test]
fn canonical_parse() {
    let dir = corpus_or_skip!();
    let tests = tests_of(&dir, "vers_canonical_parse_test.json");
    assert!(tests.len() >= 10, "expected the full conformance file");
    let (mut ok, mut fail) = (0, 0);
    for t in &tests {
        let input = t["input"].as_str().expect("string input");
        let got = VersRange::parse(input);
        if t["expected_failure"].as_bool() == Some(true) {
            assert!(
                got.is_err(),
                "`{input}` must fail ({}), got {:?}",
                t["expected_message"],
                got.map(|r| r.to_string())
            );
            fail += 1;
            continue;
        }
        let range = got.unwrap_or_else(|e| panic!("`{input}` must parse: {e}"));
        let want = &t["expected_output"];
        assert_eq!(
            range.kind(),
            want["scheme"].as_str().expect("scheme"),
            "{input}"
        );
        let got_list: Vec<(String, String)> = range
            .constraints()
            .iter()
            .map(|c| (op(c.comparator).to_string(), c.raw.clone()))
            .collect();
        let want_list: Vec<(String, String)> = want["version_constraints"]
            .as_array()
            .expect("constraint list")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("op").to_string(),
                    pair[1].as_str().expect("version").to_string(),
                )
            })
            .collect();
        assert_eq!(got_list, want_list, "{input}");
        // Canonical input prints back unchanged.
        assert_eq!(range.to_string(), input);
        ok += 1;
    }
    assert!(ok >= 2 && fail >= 8, "ok {ok}, fail {fail}");
}

#[test]
fn npm_containment() {
    let dir = corpus_or_skip!();
    let tests = tests_of(&dir, "npm_range_containment_test.json");
    assert!(!tests.is_empty());
    for t in &tests {
        let vers = t["input"]["vers"].as_str().expect("vers");
        let version = t["input"]["version"].as_str().expect("version");
        let want = t["expected_output"].as_bool().expect("bool");
        let range = VersRange::parse(vers).unwrap_or_else(|e| panic!("{vers}: {e}"));
        let v = FwVersion::parse(Scheme::Semver, version).unwrap_or_else(|e| panic!("{e}"));
        let expected = if want {
            Containment::Affected
        } else {
            Containment::NotAffected
        };
        assert_eq!(range.contains(&v), expected, "{version} in {vers}");
    }
}

#[test]
fn npm_bounded_ranges_decide() {
    // The npm file has only a `*` case; these check real bounds with semver precedence.
    let r = VersRange::parse("vers:npm/>=1.0.0|<2.0.0").unwrap();
    let c = |v: &str| r.contains(&FwVersion::parse(Scheme::Semver, v).unwrap());
    assert_eq!(c("1.0.0"), Containment::Affected);
    assert_eq!(c("1.9.9"), Containment::Affected);
    assert_eq!(c("2.0.0-rc.1"), Containment::Affected);
    assert_eq!(c("2.0.0"), Containment::NotAffected);
    assert_eq!(c("0.9.0"), Containment::NotAffected);
}

#[test]
fn pypi_containment_is_unknown_not_guessed() {
    let dir = corpus_or_skip!();
    let tests = tests_of(&dir, "pypi_range_containment_test.json");
    let mut checked = 0;
    for t in &tests {
        let vers = t["input"]["vers"].as_str().expect("vers");
        let version = t["input"]["version"].as_str().expect("version");
        let Ok(range) = VersRange::parse(vers) else {
            continue;
        };
        // Whatever scheme the caller picks for the installed version, a pypi range never decides.
        if let Ok(v) = FwVersion::parse(Scheme::Semver, version)
            .or_else(|_| FwVersion::parse(Scheme::Opaque, version))
        {
            assert!(
                matches!(range.contains(&v), Containment::Unknown(_)),
                "{version} in {vers} must be Unknown"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no pypi case was checked");
}
