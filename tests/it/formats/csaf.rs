//! CSAF parser against real documents (CISA, OASIS examples and test cases) and the bundled
//! `feeds/csaf/` directory.

use std::path::{Path, PathBuf};

use firmwatch::collect::formats::{validate_csaf, DocFormat, FormatError};
use firmwatch::model::{Advisory, AffectedProduct, ProductStatus, VersionSpec};
use firmwatch::version::{Containment, FwVersion, Scheme};

use crate::support::project;

fn parse_bytes(bytes: &[u8], location: &str) -> Result<Advisory, FormatError> {
    super::parse(DocFormat::Csaf, "csaf", location, bytes).map(|mut v| {
        assert_eq!(v.len(), 1);
        v.remove(0)
    })
}

fn parse(path: &Path) -> Result<Advisory, FormatError> {
    parse_bytes(&std::fs::read(path).unwrap(), &path.display().to_string())
}

fn range_text(st: &AffectedProduct) -> String {
    super::range_text(&st.versions)
}

fn bundled(rel: &str) -> PathBuf {
    project().join("feeds/csaf").join(rel)
}

#[test]
fn mobotix_relationships_resolve_to_firmware_on_camera() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("csaf/cisa/icsa-24-235-03.json")).unwrap();
    assert_eq!(a.id.as_str(), "ICSA-24-235-03");
    assert_eq!(a.vendor, "Mobotix");
    assert_eq!(a.tlp.as_deref(), Some("WHITE"));
    assert_eq!(a.vendor_severity.as_deref(), Some("High"));
    assert_eq!(a.cvss.as_ref().map(|c| c.base_score), Some(8.8));
    assert!(a.aliases.iter().any(|x| x.as_str() == "CVE-2023-34873"));
    assert!(a.effects.is_empty() && a.triggers.is_empty());
    // 1283 relationship ids collapse into per-version statements carrying the camera models.
    assert!(a.affected.len() < 100, "{}", a.affected.len());

    let find = |status: ProductStatus, version: &str| {
        a.affected
            .iter()
            .find(|s| s.status == status && s.versions == VersionSpec::Exact(version.into()))
            .unwrap_or_else(|| panic!("no {status:?} statement for {version}"))
    };
    let affected = find(ProductStatus::Affected, "MX-V4.1.4.11");
    assert_eq!(affected.product, "P3 Firmware");
    assert!(affected.models.iter().any(|m| m == "D24M"));
    assert_eq!(affected.scheme, Some(Scheme::Opaque));
    // vendor_fix "Update P3 cameras to firmware version MX-V4.7.2.18 or later" and the
    // `recommended` products both land in fixed_in.
    assert!(affected.fixed_in.iter().any(|v| v == "MX-V4.7.2.18"));
    assert!(affected.fixed_in.iter().any(|v| v == "MX-V4.7.3.11-r6"));

    let not_affected = find(ProductStatus::NotAffected, "MX-V4.0.1.15");
    assert!(not_affected.models.iter().any(|m| m == "D24M"));
    let fixed = find(ProductStatus::Fixed, "MX-V4.7.2.18");
    assert!(fixed.models.iter().any(|m| m == "M24M"));
    // The recommended version is a Fixed statement too.
    find(ProductStatus::Fixed, "MX-V4.7.3.11-r6");
    // Mx6 firmware runs on other cameras than P3 firmware.
    let mx6 = a
        .affected
        .iter()
        .find(|s| s.product == "Mx6 Firmware" && s.status == ProductStatus::Affected)
        .unwrap();
    assert!(mx6.models.iter().any(|m| m == "D16"));
    assert!(!mx6.models.iter().any(|m| m == "D24M"));
}

#[test]
fn cisa_invalid_vers_all_becomes_a_range_with_models() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("csaf/cisa/icsa-18-079-02.json")).unwrap();
    let st = a
        .affected
        .iter()
        .find(|s| s.models.iter().any(|m| m == "6ES7414-3EM07-0AB0"))
        .unwrap();
    assert_eq!(range_text(st), "vers:intdot/<7.0.3");
    assert_eq!(st.status, ProductStatus::Affected);
    assert_eq!(st.fixed_in, ["7.0.3"]);
    let v = FwVersion::parse(Scheme::Intdot, "7.0.2").unwrap();
    match &st.versions {
        VersionSpec::Range(r) => assert_eq!(r.contains(&v), Containment::Affected),
        _ => unreachable!(),
    }
}

#[test]
fn spaces_around_pipes_and_vers_in_product_version() {
    let corpus = corpus_or_skip!();
    let path = corpus.join("csaf/cisa/icsa-17-117-01b.json");
    let a = parse(&path).unwrap();
    let ur: Vec<&AffectedProduct> = a
        .affected
        .iter()
        .filter(|s| s.product == "Universal Relay firmware")
        .collect();
    assert!(ur
        .iter()
        .any(|s| range_text(s) == "vers:intdot/>=6.02|<=6.05"));
    // The prose variant in the same product stays for manual review.
    assert!(ur
        .iter()
        .any(|s| matches!(&s.versions, VersionSpec::Unparsed(t) if t.contains("excluding"))));
    // `product_version: "vers:all/*"` (forbidden by 6.1.31) is read as every version, with a warning.
    assert!(a.affected.iter().any(|s| s.versions == VersionSpec::All));
    let warnings = validate_csaf(&std::fs::read(&path).unwrap(), "ge").unwrap();
    assert!(warnings.iter().any(|w| w.rule == "6.1.31"), "{warnings:?}");
}

#[test]
fn function_state_text_stays_unparsed() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("csaf/cisa/icsa-19-318-02.json")).unwrap();
    assert!(a.affected.iter().any(|s| s.versions
        == VersionSpec::Unparsed("All versions <= V2.5.0 and Function State (FS) <= 9".into())));
}

#[test]
fn oasis_testcases_fail_and_pass_as_indexed() {
    let corpus = corpus_or_skip!();
    let dir = corpus.join("csaf/oasis/testcases");
    let cases = [
        (
            "2.0/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json",
            Some("6.1.1"),
        ),
        (
            "2.0/oasis_csaf_tc-csaf_2_0-2021-6-1-06-01.json",
            Some("6.1.6"),
        ),
        (
            "2.0/oasis_csaf_tc-csaf_2_0-2021-6-1-31-01.json",
            Some("6.1.31"),
        ),
        (
            "2.1/oasis_csaf_tc-csaf_2_1-2024-6-1-50-01.json",
            Some("6.1.50"),
        ),
        ("2.0/oasis_csaf_tc-csaf_2_0-2021-6-1-01-11.json", None),
        ("2.0/oasis_csaf_tc-csaf_2_0-2021-6-1-31-11.json", None),
        ("2.0/oasis_csaf_tc-csaf_2_0-2021-6-2-18-11.json", None),
        ("2.1/oasis_csaf_tc-csaf_2_1-2024-6-1-50-11.json", None),
    ];
    for (file, rule) in cases {
        let result = parse(&dir.join(file));
        match (rule, result) {
            (
                Some(rule),
                Err(FormatError::CsafRule {
                    rule: got, message, ..
                }),
            ) => {
                assert_eq!(got, rule, "{file}: {message}")
            }
            (Some(rule), other) => panic!("{file}: expected rule {rule}, got {other:?}"),
            (None, Ok(_)) => {}
            (None, Err(e)) => panic!("{file}: {e}"),
        }
    }
    // Optional / recommended tests only warn: the document is accepted, the warning names the rule.
    for (file, rule) in [
        ("2.0/oasis_csaf_tc-csaf_2_0-2021-6-2-18-01.json", "6.2.18"),
        ("2.1/oasis_csaf_tc-csaf_2_1-2024-6-2-49-01.json", "6.2.49"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let warnings = validate_csaf(&bytes, file).unwrap();
        assert!(
            warnings.iter().any(|w| w.rule == rule),
            "{file}: {warnings:?}"
        );
        parse_bytes(&bytes, file).unwrap();
    }
    let ok = std::fs::read(dir.join("2.0/oasis_csaf_tc-csaf_2_0-2021-6-2-18-11.json")).unwrap();
    assert!(validate_csaf(&ok, "ok").unwrap().is_empty());
}

#[test]
fn trailing_garbage_is_rejected() {
    let corpus = corpus_or_skip!();
    let dir = corpus.join("csaf/provider/gocsaf-csaf-documents");
    let err = parse(&dir.join("trailing-garbage-data/avendor-advisory-0004.json")).unwrap_err();
    assert!(matches!(err, FormatError::Json { .. }), "{err}");
    assert!(err.to_string().contains("trailing characters"), "{err}");
    parse(&dir.join("valid/avendor-advisory-0004.json")).unwrap();
}

#[test]
fn csaf_21_documents() {
    let corpus = corpus_or_skip!();
    let dir = corpus.join("csaf/oasis/2.1");
    let paths = parse(&dir.join("oasis_csaf_tc-csaf_2_1-2024-d-14.json")).unwrap();
    assert_eq!(paths.tlp.as_deref(), Some("CLEAR"));
    // product_paths: "Product A 1.0.0 installed on Product B 2023/2024" → Product A with models.
    let st = &paths.affected[0];
    assert_eq!(st.product, "Product A");
    assert_eq!(st.versions, VersionSpec::Exact("1.0.0".into()));
    assert!(!st.models.is_empty());

    let vex = parse(&dir.join("2022-evd-uc-08-001.json")).unwrap();
    assert_eq!(vex.cvss.as_ref().map(|c| c.version.as_str()), Some("3.1"));
    // vers:generic becomes decidable under the product's own scheme.
    assert!(vex
        .affected
        .iter()
        .any(|s| range_text(s) == "vers:intdot/>=2.9|<=4.1"));
    // JKL 5.1 is fixed for one vulnerability but affected by the other: it stays affected.
    let jkl51: Vec<_> = vex
        .affected
        .iter()
        .filter(|s| s.product == "JKL" && s.versions == VersionSpec::Exact("5.1".into()))
        .collect();
    assert_eq!(jkl51.len(), 1);
    assert_eq!(jkl51[0].status, ProductStatus::Affected);
    parse(&dir.join("bsi-2022-0001.json")).unwrap();
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    assert!(matches!(
        parse_bytes(b"\x00\xff garbage", "garbage"),
        Err(FormatError::Json { .. })
    ));
    assert!(matches!(
        parse_bytes(b"{}", "empty"),
        Err(FormatError::Invalid { .. })
    ));
    // Branches nested deeper than the cap.
    let mut branch =
        r#"{"category":"product_version","name":"1.0","product":{"name":"x","product_id":"P"}}"#
            .to_string();
    for _ in 0..40 {
        branch = format!(r#"{{"category":"product_family","name":"f","branches":[{branch}]}}"#);
    }
    let doc = format!(
        r#"{{"document":{{"csaf_version":"2.0","title":"t","publisher":{{"category":"vendor","name":"v"}},"tracking":{{"id":"X-1"}}}},"product_tree":{{"branches":[{branch}]}}}}"#
    );
    let err = parse_bytes(doc.as_bytes(), "deep").unwrap_err();
    assert!(matches!(err, FormatError::TooDeep { .. }), "{err}");
    assert!(err.to_string().contains("deep"), "{err}");
}

#[test]
fn bundled_idrac_advisory_targets_poweredge_r650() {
    let bytes = std::fs::read(bundled("2026/fwc-2026-0007.json")).unwrap();
    let a = parse_bytes(&bytes, "feeds/csaf/2026/fwc-2026-0007.json").unwrap();
    assert_eq!(a.id.as_str(), "FWC-2026-0007");
    assert_eq!(a.vendor, "Dell");
    let cvss = a.cvss.as_ref().unwrap();
    assert_eq!(cvss.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    let st = a
        .affected
        .iter()
        .find(|s| s.status == ProductStatus::Affected)
        .unwrap();
    assert_eq!(st.product, "iDRAC9");
    assert_eq!(st.models, ["PowerEdge R650"]);
    assert_eq!(st.scheme, Some(Scheme::Intdot));
    assert_eq!(st.fixed_in, ["6.10.30.00"]);
    let installed = FwVersion::parse(Scheme::Intdot, "6.00.30.00").unwrap();
    match &st.versions {
        VersionSpec::Range(r) => assert_eq!(r.contains(&installed), Containment::Affected),
        other => panic!("{other:?}"),
    }
    insta::assert_json_snapshot!(a);
}

#[test]
fn bundled_csaf_directory_is_consistent() {
    let root = bundled("");
    let index = std::fs::read_to_string(root.join("index.txt")).unwrap();
    let listed: Vec<&str> = index.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(listed.len() >= 2);
    let changes = std::fs::read_to_string(root.join("changes.csv")).unwrap();
    let mut last_date = String::from("9999");
    for line in changes.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        assert_eq!(fields.len(), 2, "{line}");
        assert!(listed.contains(&fields[0]), "{line}");
        assert!(
            fields[1] <= last_date.as_str(),
            "changes.csv must be newest first"
        );
        last_date = fields[1].to_string();
    }
    for rel in listed {
        let path = root.join(rel);
        let bytes = std::fs::read(&path).unwrap();
        let a = parse(&path).unwrap();
        // CSAF §5.1 file name rule: lowercase tracking id + .json, in the year folder.
        let expected = format!("{}.json", a.id.as_str().to_lowercase());
        assert!(rel.ends_with(&expected), "{rel} vs {expected}");
        let year = a.published.unwrap().format("%Y").to_string();
        assert!(rel.starts_with(&year), "{rel} not in {year}/");
        assert!(validate_csaf(&bytes, rel).unwrap().is_empty(), "{rel}");
        // The .sha256 file names the document's digest.
        let sha = std::fs::read_to_string(format!("{}.sha256", path.display())).unwrap();
        assert_eq!(
            sha.split_whitespace().next(),
            Some(a.source.sha256.as_str()),
            "{rel}"
        );
    }
}

/// A CSAF 2.1 document of `category` in which product `P1` (Example Storage OS 2.3) has the
/// status `status` for one vulnerability, written after the spec's examples.
fn csaf_21(category: &str, status: &str, version_name: &str) -> String {
    format!(
        r#"{{
  "$schema": "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/csaf.json",
  "document": {{
    "category": "{category}",
    "csaf_version": "2.1",
    "title": "Example Storage OS issue",
    "publisher": {{"category": "vendor", "name": "Example Company", "namespace": "https://example.com"}},
    "distribution": {{"tlp": {{"label": "CLEAR"}}}},
    "tracking": {{
      "id": "EXAMPLE-2026-0001",
      "initial_release_date": "2026-01-10T00:00:00Z",
      "current_release_date": "2026-03-01T00:00:00Z",
      "status": "final",
      "version": "2",
      "revision_history": [{{"date": "2026-01-10T00:00:00Z", "number": "1", "summary": "first"}}]
    }}
  }},
  "product_tree": {{
    "branches": [{{"category": "vendor", "name": "Example Company", "branches": [
      {{"category": "product_name", "name": "Example Storage OS", "branches": [
        {{"category": "product_version", "name": "{version_name}",
          "product": {{"name": "Example Storage OS {version_name}", "product_id": "P1"}}}}
      ]}}
    ]}}]
  }},
  "vulnerabilities": [{{
    "cve": "CVE-2026-0001",
    "notes": [{{"category": "description", "text": "A crafted request stops the service."}}],
    "product_status": {{"{status}": ["P1"]}}
  }}]
}}"#
    )
}

#[test]
fn csaf_21_unknown_status_is_an_unknown_statement() {
    let a = parse_bytes(
        csaf_21("csaf_security_advisory", "unknown", "2.3").as_bytes(),
        "u",
    )
    .unwrap();
    assert_eq!(a.affected.len(), 1);
    assert_eq!(a.affected[0].status, ProductStatus::Unknown);
    assert!(a.withdrawn.is_none());
    // Matched against a system on that version: listed UNKNOWN, with the vendor's word.
    use firmwatch::matcher::MatchState;
    use firmwatch::testkit::{run, Estate};
    let e = Estate::new().system(
        "arr",
        "Example Company",
        "Example Storage OS",
        Scheme::Intdot,
        "2.3",
    );
    let f = run(&e, &[a]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].state, MatchState::Unknown);
    assert!(f[0].evidence.contains("unknown"), "{}", f[0].evidence);
    // The same product in two status groups of one vulnerability (6.1.6, with 2.1's unknown).
    let both = csaf_21("csaf_security_advisory", "unknown", "2.3").replace(
        r#""product_status": {"unknown": ["P1"]}"#,
        r#""product_status": {"unknown": ["P1"], "fixed": ["P1"]}"#,
    );
    let err = parse_bytes(both.as_bytes(), "both").unwrap_err();
    assert!(err.to_string().contains("6.1.6"), "{err}");
}

#[test]
fn csaf_21_withdrawn_and_superseded_documents_are_withdrawn_by_their_source() {
    for category in ["csaf_withdrawn", "csaf_superseded"] {
        let a = parse_bytes(
            csaf_21(category, "known_affected", "2.3").as_bytes(),
            category,
        )
        .unwrap();
        assert_eq!(
            a.withdrawn.map(|d| d.date_naive().to_string()).as_deref(),
            Some("2026-03-01"),
            "{category}"
        );
        use firmwatch::testkit::{run, Estate};
        let e = Estate::new().system(
            "arr",
            "Example Company",
            "Example Storage OS",
            Scheme::Intdot,
            "2.3",
        );
        let f = run(&e, &[a]);
        assert_eq!(f.len(), 1, "never a silent disappearance");
        assert!(
            f[0].evidence.contains("withdrawn by its source"),
            "{}",
            f[0].evidence
        );
    }
}

#[test]
fn a_version_name_with_words_or_hyphens_is_a_version_not_a_range() {
    let a = parse_bytes(
        csaf_21("csaf_security_advisory", "known_affected", "after-eight").as_bytes(),
        "after-eight",
    )
    .unwrap();
    assert_eq!(
        a.affected[0].versions,
        VersionSpec::Exact("after-eight".into())
    );
    // Range words standing alone still are 6.1.31.
    for range in ["prior to 2.4", "2.3 and later", "all versions", "(all)"] {
        let err = parse_bytes(
            csaf_21("csaf_security_advisory", "known_affected", range).as_bytes(),
            range,
        )
        .unwrap_err();
        assert!(err.to_string().contains("6.1.31"), "{range}: {err}");
    }
}

#[test]
fn a_product_id_defined_twice_is_rejected_not_last_one_wins() {
    let doc = csaf_21("csaf_security_advisory", "known_affected", "2.3").replace(
        r#""product_tree": {"#,
        r#""product_tree": {
    "full_product_names": [{"name": "Example Storage OS 9.9", "product_id": "P1"}],"#,
    );
    let err = parse_bytes(doc.as_bytes(), "dup").unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, FormatError::CsafRule { rule: "6.1.2", .. }),
        "{text}"
    );
    assert!(
        text.contains("`P1`") && text.contains("full_product_names[0]"),
        "{text}"
    );
}

#[test]
fn stacked_categories_and_a_version_under_a_range_are_rejected() {
    let base: serde_json::Value =
        serde_json::from_str(&csaf_21("csaf_security_advisory", "known_affected", "2.3")).unwrap();
    // vendor → product_name → [inserted] → product_version "2.3"
    let with = |inserted: serde_json::Value| {
        let mut doc = base.clone();
        let name = &mut doc["product_tree"]["branches"][0]["branches"][0];
        let version = name["branches"][0].clone();
        let mut mid = inserted;
        mid["branches"] = serde_json::json!([version]);
        name["branches"] = serde_json::json!([mid]);
        serde_json::to_vec(&doc).unwrap()
    };
    for (inserted, rule) in [
        (
            serde_json::json!({"category": "product_name", "name": "Example Storage OS Pro"}),
            "6.1.57",
        ),
        (
            serde_json::json!({"category": "product_version_range", "name": "vers:intdot/<3"}),
            "6.1.58",
        ),
    ] {
        let err = parse_bytes(&with(inserted), rule).unwrap_err();
        assert!(
            matches!(&err, FormatError::CsafRule { rule: r, .. } if *r == rule),
            "{rule}: {err}"
        );
    }
    // product_family may repeat (a family within a family).
    let family = with(serde_json::json!({"category": "product_family", "name": "Storage"}));
    let mut doc: serde_json::Value = serde_json::from_slice(&family).unwrap();
    let name = doc["product_tree"]["branches"][0]["branches"][0].clone();
    doc["product_tree"]["branches"][0]["branches"][0] = serde_json::json!(
        {"category": "product_family", "name": "Arrays", "branches": [name]}
    );
    parse_bytes(&serde_json::to_vec(&doc).unwrap(), "families").unwrap();
}

#[test]
fn a_single_version_written_as_a_range_is_rejected_in_2_1() {
    let doc = csaf_21("csaf_security_advisory", "known_affected", "2.3").replace(
        r#"{"category": "product_version", "name": "2.3","#,
        r#"{"category": "product_version_range", "name": "vers:intdot/2.3","#,
    );
    assert!(doc.contains("vers:intdot/2.3"));
    let err = parse_bytes(doc.as_bytes(), "single").unwrap_err();
    assert!(
        matches!(err, FormatError::CsafRule { rule: "6.1.59", .. }),
        "{err}"
    );
    // A real range is fine.
    let range = doc.replace("vers:intdot/2.3", "vers:intdot/>=2.0|<2.4");
    parse_bytes(range.as_bytes(), "range").unwrap();
}

#[test]
fn several_unescaped_stars_in_a_model_number_or_sku_are_rejected_one_is_a_wildcard() {
    let with_helper = |helper: &str| {
        csaf_21("csaf_security_advisory", "known_affected", "2.3").replace(
            r#""product_id": "P1"}"#,
            &format!(r#""product_id": "P1", "product_identification_helper": {helper}}}"#),
        )
    };
    for (helper, rule, key) in [
        (r#"{"model_numbers": ["ES*-*"]}"#, "6.1.43", "model_numbers"),
        (r#"{"skus": ["ok", "*ES-*"]}"#, "6.1.61", "skus[1]"),
    ] {
        let doc = with_helper(helper);
        assert!(doc.contains(helper), "the helper is in the document");
        let err = parse_bytes(doc.as_bytes(), rule).unwrap_err();
        assert!(
            matches!(&err, FormatError::CsafRule { rule: r, .. } if *r == rule),
            "{rule}: {err}"
        );
        assert!(err.to_string().contains(key), "{err}");
    }
    // One unescaped star beside an escaped one is a pattern the matcher reads: the star is any
    // run of characters, the escaped one the model's own `*` (dropped when comparing, like `-`).
    let a = parse_bytes(
        with_helper(r#"{"model_numbers": ["ES-48\\*0*"]}"#).as_bytes(),
        "one",
    )
    .unwrap();
    assert_eq!(a.affected[0].models, vec!["ES-48\\*0*".to_string()]);
    use firmwatch::testkit::{run, Estate};
    let e = Estate::new()
        .system("a", "Example Company", "ES-48*0", Scheme::Intdot, "2.3")
        .system("b", "Example Company", "ES-4801", Scheme::Intdot, "2.3")
        .system("c", "Example Company", "ES-4900", Scheme::Intdot, "2.3");
    let f = run(&e, &[a]);
    let hit: Vec<&str> = f.iter().map(|f| f.system.as_str()).collect();
    assert_eq!(hit, ["a", "b"], "{f:?}");
}
