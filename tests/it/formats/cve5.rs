//! CVE JSON 5 parser against real records.

use std::path::Path;

use firmwatch::collect::formats::DocFormat;
use firmwatch::model::{Advisory, AffectedProduct, ProductStatus, VersionSpec};

use super::{parse_file, parse_with};
use firmwatch::version::{Containment, FwVersion, Scheme};

fn parse(path: &Path) -> Advisory {
    let mut v = parse_file(DocFormat::Cve5, "cve", path).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn contains(st: &AffectedProduct, version: &str) -> Containment {
    let v = FwVersion::parse(st.scheme.unwrap(), version).unwrap();
    match &st.versions {
        VersionSpec::Range(r) => r.contains(&v),
        VersionSpec::All => Containment::Affected,
        other => panic!("not a range: {other:?}"),
    }
}

#[test]
fn unity_prose_becomes_a_range() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("cve5/CVE-2023-43074.json"));
    assert_eq!(a.id.as_str(), "CVE-2023-43074");
    assert_eq!(a.vendor, "Dell");
    assert_eq!(a.cvss.as_ref().map(|c| c.base_score), Some(5.2));
    // defaultStatus "unaffected": only the affected entry is a statement.
    assert_eq!(a.affected.len(), 1);
    let st = &a.affected[0];
    assert_eq!(st.product, "Unity");
    assert_eq!(st.scheme, Some(Scheme::Intdot));
    match &st.versions {
        VersionSpec::Range(r) => assert_eq!(r.to_string(), "vers:intdot/<5.3.0.0.5.120"),
        other => panic!("{other:?}"),
    }
    assert_eq!(contains(st, "5.2.0.0.5.173"), Containment::Affected);
    assert_eq!(contains(st, "5.3.0.0.5.120"), Containment::NotAffected);
}

#[test]
fn ontap_enumerated_patch_versions() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("cve5/CVE-2023-27317.json"));
    let exact: Vec<&str> = a
        .affected
        .iter()
        .filter_map(|s| match &s.versions {
            VersionSpec::Exact(v) if s.status == ProductStatus::Affected => Some(v.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(exact, ["9.12.1P8", "9.13.1P4", "9.13.1P5"]);
    assert!(a
        .affected
        .iter()
        .all(|s| s.scheme == Some(Scheme::Ontap) && s.product == "ONTAP 9"));
}

#[test]
fn default_status_affected_adds_an_all_statement() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("cve5/CVE-2024-10443.json"));
    // Literal reading: every version of BeePhotos / Synology Photos is affected (formats.md quirk 10).
    for product in ["BeePhotos", "Synology Photos"] {
        assert!(a.affected.iter().any(|s| s.product == product
            && s.status == ProductStatus::Affected
            && s.versions == VersionSpec::All));
    }
    // The ADP container's own affected[] (synology:photo_station) is ignored.
    assert!(a
        .affected
        .iter()
        .all(|s| !s.product.contains("photo_station")));
    // `1.1.0-10053` is not SemVer despite versionType: no ordered range is claimed.
    assert!(a
        .affected
        .iter()
        .all(|s| !matches!(&s.versions, VersionSpec::Range(r) if r.kind() == "semver")));
}

#[test]
fn missing_default_status_is_unknown_not_unaffected() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("cve5/CVE-2023-4344.json"));
    assert!(a
        .affected
        .iter()
        .any(|s| s.status == ProductStatus::Affected
            && s.versions == VersionSpec::Exact("51.12.0-2779".into())));
    // Versions other than the listed one are undecidable, so a statement keeps them unknown.
    assert!(a.affected.iter().any(|s| s.status == ProductStatus::Affected
        && matches!(&s.versions, VersionSpec::Unparsed(t) if t.contains("defaultStatus unknown"))));
}

#[test]
fn zero_lower_bound_and_less_than_as_fixed() {
    let corpus = corpus_or_skip!();
    let path = corpus.join("cve5/CVE-2023-22815.json");
    // The built-in table files Western Digital under drive vendors (opaque), so without a feed
    // default the range stays unparsed; a feed that says `scheme = "intdot"` makes it decidable.
    let a = parse(&path);
    assert!(
        matches!(&a.affected[0].versions, VersionSpec::Unparsed(t) if t == "version 0 lessThan 5.26.300")
    );
    let bytes = std::fs::read(&path).unwrap();
    let a = parse_with(
        DocFormat::Cve5,
        "wd",
        "wd",
        &bytes,
        None,
        Some(Scheme::Intdot),
    )
    .unwrap()
    .remove(0);
    let st = a
        .affected
        .iter()
        .find(|s| matches!(s.versions, VersionSpec::Range(_)))
        .unwrap();
    assert_eq!(st.fixed_in, ["5.26.300"]);
    assert_eq!(contains(st, "5.25.132"), Containment::Affected);
    assert_eq!(contains(st, "5.26.300"), Containment::NotAffected);
}

#[test]
fn git_stays_unparsed_and_series_wildcards_become_ranges() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("cve5/CVE-2025-21631.json"));
    assert!(a
        .affected
        .iter()
        .any(|s| matches!(&s.versions, VersionSpec::Unparsed(t) if t.starts_with("git commit"))));
    // `version 5.15.177, lessThanOrEqual 5.15.*, unaffected`: the rest of the 5.15 series.
    let stable = a
        .affected
        .iter()
        .find(|s| {
            s.status == ProductStatus::NotAffected
                && matches!(&s.versions, VersionSpec::Range(r) if r.to_string() == "vers:intdot/>=5.15.177|<5.16")
        })
        .expect("5.15 series statement");
    assert_eq!(contains(stable, "5.15.180"), Containment::Affected);
    assert_eq!(contains(stable, "5.16.1"), Containment::NotAffected);
    let log4j = parse(&corpus.join("cve5/CVE-2021-44228.json"));
    assert!(log4j
        .affected
        .iter()
        .any(|s| matches!(&s.versions, VersionSpec::Unparsed(t) if t.contains("log4j-core*"))));
}

#[test]
fn rejected_records_are_withdrawn() {
    let json = br#"{"dataType":"CVE_RECORD","dataVersion":"5.1",
        "cveMetadata":{"cveId":"CVE-2099-0001","state":"REJECTED","dateUpdated":"2099-01-02T00:00:00Z"},
        "containers":{"cna":{"rejectedReasons":[{"lang":"en","value":"Duplicate of CVE-2099-0002."}]}}}"#;
    let a = parse_with(DocFormat::Cve5, "cve", "inline", json, Some("Dell"), None)
        .unwrap()
        .remove(0);
    assert!(a.withdrawn.is_some());
    assert!(a.affected.is_empty());
    assert_eq!(a.summary, "Duplicate of CVE-2099-0002.");
    assert_eq!(a.vendor, "Dell");
}

/// Real records whose vendor is spelled otherwise than an inventory would, through parsing and
/// matching: "PureStorage" is Pure Storage, "QNAP Systems Inc." is QNAP, "Dell" is Dell EMC, and a
/// record with vendor "n/a" from a CNA that is not a vendor (snyk) stays unresolved instead of
/// being given a guessed vendor.
#[test]
fn real_vendor_spellings_reach_the_inventory_and_n_a_is_not_guessed() {
    use firmwatch::testkit::{run, Estate};
    let corpus = corpus_or_skip!();
    let read = |name: &str| {
        let mut a = parse(&corpus.join("cve5").join(name));
        firmwatch::classify::classify(&mut a);
        a
    };
    let keys = |a: &Advisory| -> Vec<String> {
        a.affected
            .iter()
            .map(|s| firmwatch::model::vendor_key(&s.vendor))
            .collect()
    };
    let pure = read("CVE-2024-0002.json");
    assert!(
        keys(&pure).iter().all(|k| k == "pure storage"),
        "{:?}",
        keys(&pure)
    );
    let qnap = read("CVE-2023-23368.json");
    assert!(keys(&qnap).iter().all(|k| k == "qnap"), "{:?}", keys(&qnap));
    let smoothie = read("CVE-2022-25929.json");
    assert!(smoothie.affected.iter().all(|s| s.vendor == "n/a"));

    // Matched against systems named as an operator names them.
    let estate = Estate::new()
        .system(
            "fa",
            "Pure Storage",
            "FlashArray//X70",
            Scheme::Semver,
            "6.1.10",
        )
        .system(
            "unity",
            "Dell EMC",
            "Unity 480F",
            Scheme::Intdot,
            "5.2.1.0.5.012",
        );
    let f = run(&estate, &[pure, read("CVE-2023-43074.json")]);
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"CVE-2024-0002@fa"), "{ids:?}");
    assert!(ids.contains(&"CVE-2023-43074@unity"), "{ids:?}");

    // The vendor's name in front of the product: "Hitachi Device Manager" (vendor "Hitachi")
    // for a management server recorded as vendor "Hitachi Vantara", model "Device Manager".
    let hitachi = Estate::new().system(
        "hdvm",
        "Hitachi Vantara",
        "Device Manager",
        Scheme::Intdot,
        "8.8.1",
    );
    let f = run(&hitachi, &[read("CVE-2023-34143.json")]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].id, "CVE-2023-34143@hdvm");
}
