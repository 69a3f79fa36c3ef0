//! NVD CVE API 2.0 responses.

use std::path::Path;

use firmwatch::collect::formats::DocFormat;
use firmwatch::model::Advisory;

use super::range_text as range;

fn parse(path: &Path) -> Vec<Advisory> {
    super::parse_file(DocFormat::Nvd, "nvd", path).unwrap()
}

#[test]
fn firmware_on_hardware_and_configs() {
    let corpus = corpus_or_skip!();
    let esp = parse(&corpus.join("nvd/CVE-2020-13595.json")).remove(0);
    assert_eq!(
        esp.affected.len(),
        1,
        "the h: node is not a statement of its own"
    );
    let st = &esp.affected[0];
    assert_eq!(
        (st.vendor.as_str(), st.product.as_str()),
        ("espressif", "esp-idf")
    );
    assert_eq!(st.models, ["esp32"]);
    assert_eq!(range(&st.versions), "vers:intdot/>=4.0.0|<=4.2");
    assert_eq!(esp.cvss.as_ref().map(|c| c.version.as_str()), Some("3.1"));

    let nio = parse(&corpus.join("nvd/CVE-2023-24256.json")).remove(0);
    let st = &nio.affected[0];
    assert_eq!((st.vendor.as_str(), st.product.as_str()), ("nio", "aspen"));
    assert_eq!(st.models, ["ec6"]);
    assert_eq!(range(&st.versions), "vers:intdot/<3.3.0");
    assert_eq!(st.fixed_in, ["3.3.0"]);
}

#[test]
fn counters_are_not_trusted() {
    let corpus = corpus_or_skip!();
    let advs = parse(&corpus.join("nvd/multi-cve-response.json"));
    assert_eq!(advs.len(), 13);
    let ids: std::collections::BTreeSet<&str> = advs.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.contains("CVE-2023-22466"));
    assert!(advs
        .iter()
        .all(|a| a.source.format == firmwatch::model::SourceFormat::Nvd));
}

#[test]
fn rejected_items_are_withdrawn_and_non_responses_fail() {
    let json =
        br#"{"resultsPerPage":5,"totalResults":99,"vulnerabilities":[{"cve":{"id":"CVE-2099-0003",
        "vulnStatus":"Rejected","lastModified":"2099-02-03T04:05:06.007",
        "descriptions":[{"lang":"en","value":"Rejected reason: not a vulnerability."}]}}]}"#;
    let parse = |bytes: &[u8]| super::parse(DocFormat::Nvd, "nvd", "inline", bytes);
    let advs = parse(json).unwrap();
    assert_eq!(advs.len(), 1);
    assert!(advs[0].withdrawn.is_some());
    let err = parse(br#"{"feed": {}}"#).unwrap_err();
    assert!(err.to_string().contains("vulnerabilities"), "{err}");
}

/// A record that names its vendor only in its CPEs (`cpe:2.3:a:canonical:apparmor`) reaches a
/// system whose vendor the inventory spells with its corporate suffix, and its version ranges
/// decide which one is affected.
#[test]
fn a_cpe_only_vendor_reaches_the_inventory_under_its_full_name() {
    use firmwatch::testkit::{run, Estate};
    use firmwatch::version::Scheme;
    let corpus = corpus_or_skip!();
    let mut a = parse(&corpus.join("nvd/CVE-2016-1585.json"));
    a.iter_mut().for_each(|a| {
        firmwatch::classify::classify(a);
    });
    assert!(a[0].affected.iter().all(|s| s.vendor == "canonical"));
    let estate = Estate::new()
        .system("old", "Canonical Ltd.", "AppArmor", Scheme::Intdot, "3.0.4")
        .system(
            "new",
            "Canonical Ltd.",
            "AppArmor",
            Scheme::Intdot,
            "3.0.12",
        );
    let f = run(&estate, &a);
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2016-1585@old"], "{f:?}");
}
