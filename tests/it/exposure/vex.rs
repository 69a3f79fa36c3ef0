//! `exposure --format csaf-vex` / `--format openvex` on the example estate with a triage file:
//! the CSAF document validates against the official CSAF 2.0 schema (`tests/fixtures/schemas/`,
//! see its `SOURCES.md`) and parses back through firmwatch's own CSAF reader with the statuses it
//! states; the OpenVEX document meets the OpenVEX 0.2.0 specification's requirements, checked one
//! by one (no OpenVEX schema file ships in a registry package); both are byte-identical across runs
//! with `--today`; hostile advisory text stays valid JSON, verbatim.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use crate::support::cmd::{Fw, Run};
use crate::support::project;

/// A false positive, an accepted risk, a mitigation, and a setting the inventory does not record
/// (FWN-2026-0001 then needs it: its match on the AFF arrays becomes unknown).
const TRIAGE: &str = r#"
[[annotation]]
advisory = "FWN-2026-0001"
triggers = [{ kind = "setting", name = "metrocluster-unrecorded", value = true }]
note = "only with the setting on"

[[triage]]
finding = "FWN-2026-0005@vpn-gw-1"
state = "false-positive"
reason = "psu-1 is the 1100 W unit; the inventory model is stale"
by = "k.sato"
on = 2026-11-20

[[triage]]
finding = "FWN-2026-0004@hosting-fas"
state = "accepted-risk"
reason = "shelf-1 is replaced in the January window"
by = "k.sato"
on = 2026-11-20
approver = "m.tanaka"
expires = 2027-01-31

[[triage]]
finding = "FWN-2026-0002@mail-unity"
state = "mitigated"
reason = "giveback set to manual until the update"
by = "k.sato"
on = 2026-11-21
"#;

fn firmwatch(store: &Path, args: &[&str]) -> Run {
    Fw::new().in_project().store(store).run_with(args)
}

/// `exposure --format <format>` on the example estate with [`TRIAGE`], as of 2026-11-22.
fn vex(dir: &Path, format: &str) -> (Value, Vec<u8>) {
    let triage = dir.join("triage.toml");
    std::fs::write(&triage, TRIAGE).unwrap();
    let out = firmwatch(
        &dir.join("store"),
        &[
            "exposure",
            "--annotations",
            triage.to_str().unwrap(),
            "--format",
            format,
            "--today",
            "2026-11-22",
        ],
    );
    out.expect(0);
    (out.json(), out.0.stdout.clone())
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The official CSAF 2.0 schema with the CVSS schemas it references registered under their URLs:
/// nothing is fetched (the crate is built without its HTTP resolver, so an unregistered `$ref`
/// fails the build of the validator).
fn csaf_validator() -> jsonschema::Validator {
    let dir = project().join("tests/fixtures/schemas/csaf-2.0");
    let schema = read_json(&dir.join("csaf_json_schema.json"));
    let mut registry = jsonschema::Registry::new();
    for v in ["2.0", "3.0", "3.1"] {
        registry = registry
            .add(
                format!("https://www.first.org/cvss/cvss-v{v}.json"),
                read_json(&dir.join(format!("referenced/cvss-v{v}.json"))),
            )
            .unwrap();
    }
    let registry = registry.prepare().unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(doc: &Value) -> Vec<String> {
    csaf_validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Status group → product ids, per vulnerability name (CSAF `cve` or `ids[0].text`).
fn csaf_statuses(doc: &Value) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    for v in doc["vulnerabilities"].as_array().unwrap() {
        let name = v["ids"][0]["text"]
            .as_str()
            .or(v["cve"].as_str())
            .unwrap()
            .to_string();
        let mut groups = BTreeMap::new();
        for (group, ids) in v["product_status"].as_object().unwrap() {
            groups.insert(
                group.clone(),
                ids.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect(),
            );
        }
        out.insert(name, groups);
    }
    out
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn csaf_vex_of_the_example_estate_validates_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, _) = vex(dir.path(), "csaf-vex");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator bites: a status list that is not a list of ids, a publisher category outside
    // the enum, and a namespace that is no URI are each an error.
    for (pointer, bad) in [
        (
            "/vulnerabilities/0/product_status/known_affected",
            json!("carrier-aff"),
        ),
        ("/document/publisher/category", json!("operator")),
        ("/document/publisher/namespace", json!("not a uri")),
    ] {
        let mut broken = doc.clone();
        *broken.pointer_mut(pointer).unwrap() = bad;
        assert!(!schema_errors(&broken).is_empty(), "{pointer} accepted");
    }
    assert_eq!(doc["document"]["category"], "csaf_vex");
    assert_eq!(doc["document"]["tracking"]["status"], "final");
    assert_eq!(
        doc["document"]["tracking"]["current_release_date"],
        "2026-11-22T00:00:00Z"
    );

    let s = csaf_statuses(&doc);
    let group = |adv: &str, g: &str| s[adv].get(g).cloned().unwrap_or_default();
    // Open and confirmed.
    assert_eq!(
        group("FWN-2026-0006", "known_affected"),
        set(&["hosting-fas/ctl-a", "hosting-fas/ctl-b"])
    );
    // Accepted risk and mitigated: still affected.
    assert_eq!(
        group("FWN-2026-0004", "known_affected"),
        set(&["hosting-fas/shelf-1"])
    );
    assert_eq!(
        group("FWN-2026-0002", "known_affected"),
        set(&["mail-unity/spa", "mail-unity/spb"])
    );
    // The false positive.
    assert_eq!(
        group("FWN-2026-0005", "known_not_affected"),
        set(&["vpn-gw-1/psu-1"])
    );
    // The unrecorded setting: undecided, never not affected.
    assert_eq!(
        group("FWN-2026-0001", "under_investigation"),
        set(&["carrier-aff", "carrier-aff-dr"])
    );
    assert!(!s["FWN-2026-0001"].contains_key("known_not_affected"));

    let vuln = |adv: &str| {
        doc["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["ids"][0]["text"] == adv)
            .unwrap()
            .clone()
    };
    let fp = vuln("FWN-2026-0005");
    assert_eq!(fp["threats"][0]["category"], "impact");
    assert!(
        fp["threats"][0]["details"]
            .as_str()
            .unwrap()
            .contains("the inventory model is stale"),
        "{fp}"
    );
    assert!(
        fp.get("flags").is_none(),
        "no justification label is invented: {fp}"
    );
    let mitigated = vuln("FWN-2026-0002");
    let categories: Vec<&str> = mitigated["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"mitigation"), "{categories:?}");
    assert!(categories.contains(&"vendor_fix"), "{categories:?}");
    let risk = vuln("FWN-2026-0004").to_string();
    assert!(risk.contains("accepted-risk by k.sato"), "{risk}");
    assert!(risk.contains("m.tanaka"), "{risk}");
}

/// firmwatch's own CSAF reader (with the mandatory tests it enforces: 6.1.1 product ids defined,
/// 6.1.2 defined once, 6.1.6 no contradicting groups, 6.1.31 no range as a version) reads each
/// vulnerability back with the status the document gave each product.
#[test]
fn csaf_vex_parses_back_with_its_statuses() {
    use firmwatch::collect::formats::{parse_document, DocContext, DocFormat};
    use firmwatch::model::{FeedId, ProductStatus, VersionSpec};

    let dir = tempfile::tempdir().unwrap();
    let (doc, bytes) = vex(dir.path(), "csaf-vex");
    let feed: FeedId = "vex-roundtrip".parse().unwrap();
    let ctx = DocContext {
        feed: &feed,
        location: "vex.json",
        default_vendor: None,
        default_scheme: None,
    };
    // The whole document reads.
    let whole = parse_document(DocFormat::Csaf, &bytes, &ctx).unwrap();
    assert_eq!(whole.len(), 1);

    let want = csaf_statuses(&doc);
    let as_status = |group: &str| match group {
        "known_affected" => ProductStatus::Affected,
        "known_not_affected" => ProductStatus::NotAffected,
        "fixed" => ProductStatus::Fixed,
        "under_investigation" => ProductStatus::UnderInvestigation,
        other => panic!("unexpected group {other}"),
    };
    // One vulnerability at a time: the reader merges a document's vulnerabilities into one
    // advisory, keeping a product's most severe status.
    for (i, v) in doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let mut one = doc.clone();
        one["vulnerabilities"] = json!([v]);
        let name = v["ids"][0]["text"].as_str().or(v["cve"].as_str()).unwrap();
        let advisories = parse_document(DocFormat::Csaf, &serde_json::to_vec(&one).unwrap(), &ctx)
            .unwrap_or_else(|e| panic!("vulnerability {i} ({name}): {e}"));
        let adv = &advisories[0];
        let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for st in &adv.affected {
            // The product name ends with the host_name branch: the deployed product's id.
            let host = st.product.rsplit(' ').next().unwrap().to_string();
            assert!(
                matches!(st.versions, VersionSpec::Exact(_)),
                "{name}: {:?}",
                st.versions
            );
            got.entry(format!("{:?}", st.status))
                .or_default()
                .insert(host);
        }
        let expected: BTreeMap<String, BTreeSet<String>> = want[name]
            .iter()
            .map(|(g, ids)| (format!("{:?}", as_status(g)), ids.clone()))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

/// The OpenVEX 0.2.0 specification's requirements, one by one.
#[test]
fn openvex_of_the_example_estate_meets_the_specification() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, _) = vex(dir.path(), "openvex");
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    // The example estate has end-of-support findings (illustrative lifecycle data): they are no
    // vulnerability and get no statement.
    assert!(!doc.to_string().contains("FWL-"), "{doc}");
    let id = doc["@id"].as_str().unwrap();
    assert!(
        id.starts_with("urn:firmwatch:vex:firmwatch-vex-2026-11-22-"),
        "{id}"
    );
    assert!(!doc["author"].as_str().unwrap().is_empty());
    assert_eq!(doc["timestamp"], "2026-11-22T00:00:00Z");
    assert!(doc["version"].as_u64().unwrap() >= 1);
    const STATUSES: [&str; 4] = ["not_affected", "affected", "fixed", "under_investigation"];
    const JUSTIFICATIONS: [&str; 5] = [
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    ];
    let mut by: BTreeMap<(String, String), String> = BTreeMap::new();
    for s in doc["statements"].as_array().unwrap() {
        let name = s["vulnerability"]["name"].as_str().unwrap();
        assert!(!name.is_empty());
        let status = s["status"].as_str().unwrap();
        assert!(STATUSES.contains(&status), "{s}");
        if let Some(j) = s.get("justification") {
            assert!(JUSTIFICATIONS.contains(&j.as_str().unwrap()), "{s}");
        }
        if status == "not_affected" {
            assert!(
                s.get("justification").is_some()
                    || s["impact_statement"]
                        .as_str()
                        .is_some_and(|t| !t.is_empty()),
                "not_affected needs a justification or an impact statement: {s}"
            );
        }
        if status == "affected" {
            assert!(
                s["action_statement"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "affected needs an action statement: {s}"
            );
        }
        let products = s["products"].as_array().unwrap();
        assert!(!products.is_empty(), "{s}");
        for p in products {
            let iri = p["@id"].as_str().unwrap();
            assert!(iri.starts_with("urn:firmwatch:deployed:"), "{iri}");
            assert!(!iri.contains(' '), "an IRI has no spaces: {iri}");
            assert!(p["identifiers"]["purl"]
                .as_str()
                .unwrap()
                .starts_with("pkg:generic/"));
            let product = iri
                .trim_start_matches("urn:firmwatch:deployed:")
                .to_string();
            let old = by.insert((name.to_string(), product), status.to_string());
            assert!(old.is_none(), "one status per vulnerability and product");
        }
    }
    let status = |adv: &str, p: &str| by.get(&(adv.to_string(), p.to_string())).cloned();
    assert_eq!(
        status("FWN-2026-0005", "vpn-gw-1/psu-1").as_deref(),
        Some("not_affected")
    );
    assert_eq!(
        status("FWN-2026-0004", "hosting-fas/shelf-1").as_deref(),
        Some("affected")
    );
    assert_eq!(
        status("FWN-2026-0001", "carrier-aff").as_deref(),
        Some("under_investigation")
    );
    assert_eq!(
        status("FWN-2019-0032768", "subscriber-db-1/ssd-data").as_deref(),
        Some("affected")
    );
    let shelf = doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["vulnerability"]["name"] == "FWN-2026-0004")
        .unwrap();
    let action = shelf["action_statement"].as_str().unwrap();
    assert!(action.contains("0240"), "the fixed version: {action}");
    assert!(action.contains("Risk accepted, not fixed"), "{action}");
}

#[test]
fn both_formats_are_byte_identical_across_runs_with_today() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["csaf-vex", "openvex"] {
        let (_, first) = vex(dir.path(), format);
        let (_, second) = vex(dir.path(), format);
        assert!(!first.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "{format}"
        );
    }
}

/// Titles, summaries and remediation text with quotes, backslashes, newlines, NUL, escape
/// sequences and markup: the documents stay valid JSON (and valid CSAF), and the text comes back
/// exactly as the advisory has it.
#[test]
fn hostile_advisory_text_stays_valid_json_verbatim() {
    use firmwatch::model::{Remediation, RemediationKind};
    use firmwatch::report::vex::{self, Issuer, Scope};
    use firmwatch::testkit::{advisory_for, today, Estate};
    use firmwatch::version::Scheme;

    let hostile = "\"}, {\"status\": \"not_affected\"} \\ </script><script>alert(1)</script>\n\r\u{0}\u{1b}[31m ☃ \u{202e}";
    let estate = Estate::new().system("arr", "Dell", "Unity 480F", Scheme::Intdot, "5.0.3");
    let mut adv = advisory_for("FWN-HOSTILE", "Dell", "Unity", "vers:intdot/<5.0.6");
    adv.title = hostile.to_string();
    adv.summary = hostile.to_string();
    adv.remediations = vec![Remediation {
        kind: RemediationKind::Workaround,
        version: None,
        details: hostile.to_string(),
        url: None,
    }];
    let advisories = vec![adv];
    let issued = today().and_time(chrono::NaiveTime::MIN).and_utc();
    let report = firmwatch::pipeline::exposure_report(
        &estate.0,
        &advisories,
        &Default::default(),
        vec![],
        issued,
        today(),
    );
    let v = vex::build(
        &report,
        &estate.0,
        &advisories,
        &Scope::all(),
        Issuer::new(issued),
    );

    let mut csaf = Vec::new();
    vex::write_csaf(&v, &mut csaf).unwrap();
    let csaf: Value = serde_json::from_slice(&csaf).unwrap();
    let errors = schema_errors(&csaf);
    assert!(errors.is_empty(), "{errors:#?}");
    let vu = &csaf["vulnerabilities"][0];
    assert_eq!(vu["title"], hostile);
    assert_eq!(vu["product_status"]["known_affected"], json!(["arr"]));
    assert!(vu["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["details"] == hostile));

    let mut open = Vec::new();
    vex::write_openvex(&v, &mut open).unwrap();
    let open: Value = serde_json::from_slice(&open).unwrap();
    let statements = open["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "the title forged no statement");
    assert_eq!(statements[0]["vulnerability"]["description"], hostile);
    assert_eq!(statements[0]["status"], "affected");
}

/// A CSAF VEX document needs a vulnerability: with nothing to state the command fails saying so;
/// OpenVEX is an empty document.
#[test]
fn nothing_in_scope_is_an_error_for_csaf_and_an_empty_openvex() {
    let dir = tempfile::tempdir().unwrap();
    let args = |format: &'static str| {
        vec![
            "exposure",
            "--system",
            "office-router",
            "--format",
            format,
            "--today",
            "2026-11-22",
        ]
    };
    let csaf = firmwatch(dir.path(), &args("csaf-vex"));
    assert_eq!(csaf.code(), Some(1), "{}", csaf.show());
    assert!(
        csaf.stderr().contains("nothing to state"),
        "{}",
        csaf.show()
    );
    let open = firmwatch(dir.path(), &args("openvex"));
    open.expect(0);
    assert_eq!(open.json()["statements"], json!([]));
}
