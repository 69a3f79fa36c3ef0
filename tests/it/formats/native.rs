//! The bundled native advisories (`feeds/native/*.toml`) parse and say exactly what the example
//! estate pairing (estate.md) needs; a snapshot keeps the whole normalized form under review.

use std::path::PathBuf;

use firmwatch::collect::formats::DocFormat;
use firmwatch::model::{Advisory, ComponentKind, Effect, ProductStatus, Trigger, VersionSpec};
use firmwatch::version::{Containment, FwVersion, Scheme};

use crate::support::project;

fn bundled() -> Vec<Advisory> {
    let dir = project().join("feeds/native");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let location = format!("feeds/native/{}", f.file_name().unwrap().to_string_lossy());
        out.extend(super::parse(DocFormat::Native, "native", &location, &bytes).unwrap());
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn find<'a>(advs: &'a [Advisory], id: &str) -> &'a Advisory {
    advs.iter().find(|a| a.id.as_str() == id).unwrap()
}

fn contains(a: &Advisory, version: &str) -> Containment {
    let st = &a.affected[0];
    let v = FwVersion::parse(st.scheme.unwrap(), version).unwrap();
    match &st.versions {
        VersionSpec::Range(r) => r.contains(&v),
        other => panic!("{}: expected a range, got {other:?}", a.id),
    }
}

#[test]
fn bundled_advisories_match_the_estate_pairing() {
    let advs = bundled();
    let ids: Vec<&str> = advs.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "FWL-IDRAC9-6",
            "FWL-ONTAP-9.12.1",
            "FWL-ONTAP-9.13.1",
            "FWL-ONTAP-9.8",
            "FWL-UNITY-5.0",
            "FWL-UNITY-5.1",
            "FWN-2019-0032768",
            "FWN-2020-0040000",
            "FWN-2026-0001",
            "FWN-2026-0002",
            "FWN-2026-0003",
            "FWN-2026-0004",
            "FWN-2026-0005",
            "FWN-2026-0006",
            "FWN-2026-0007",
            "FWN-2026-0008",
        ]
    );

    // The bundled lifecycle documents are illustrative, say so, and are of the estate's lines.
    let lines: Vec<&Advisory> = advs.iter().filter(|a| a.lifecycle.is_some()).collect();
    assert_eq!(lines.len(), 6);
    for a in &lines {
        let lc = a.lifecycle.as_ref().unwrap();
        assert!(lc.illustrative, "{}", a.id);
        assert!(a.summary.contains("Illustrative data"), "{}", a.id);
        assert_eq!(a.effects, [Effect::EndOfSupport]);
    }
    let ontap98 = find(&advs, "FWL-ONTAP-9.8");
    assert_eq!(contains(ontap98, "9.8P3"), Containment::Affected);
    assert_eq!(contains(ontap98, "9.9.1"), Containment::NotAffected);
    let unity50 = find(&advs, "FWL-UNITY-5.0");
    assert_eq!(contains(unity50, "5.0.3.0.5.011"), Containment::Affected);
    assert_eq!(contains(unity50, "5.1.2.0.5.007"), Containment::NotAffected);

    // SoftEther: a PSU that trips its breaker; a controller uptime clock; two partner requirements.
    let psu = find(&advs, "FWN-2026-0005");
    assert_eq!(psu.effects, [Effect::PowerLoss]);
    assert_eq!(psu.affected[0].component, Some(ComponentKind::Psu));
    let uptime = find(&advs, "FWN-2026-0006");
    assert_eq!(uptime.triggers, [Trigger::UptimeDays { days: 248 }]);
    assert_eq!(contains(uptime, "9.12.1P2"), Containment::Affected);
    let shelf = find(&advs, "FWN-2026-0007");
    assert_eq!(
        shelf.requires[0].partner,
        firmwatch::model::Partner::Part(ComponentKind::Enclosure)
    );
    assert_eq!(shelf.requires[0].versions.to_string(), "vers:intdot/>=0240");
    let snapmirror = find(&advs, "FWN-2026-0008");
    assert_eq!(
        snapmirror.requires[0].partner,
        firmwatch::model::Partner::ReplicaTarget
    );
    assert!(snapmirror.effects.is_empty());

    let docomo = find(&advs, "FWN-2026-0001");
    assert_eq!(docomo.vendor_severity.as_deref(), Some("rare case"));
    assert_eq!(docomo.effects, [Effect::FailoverFailure]);
    assert_eq!(docomo.triggers, [Trigger::HardwareFault]);
    assert_eq!(docomo.affected[0].component, Some(ComponentKind::System));
    assert_eq!(contains(docomo, "9.8P3"), Containment::Affected);
    assert_eq!(contains(docomo, "9.8P6"), Containment::NotAffected);

    let cty = find(&advs, "FWN-2026-0002");
    assert_eq!(
        cty.triggers,
        [Trigger::Setting {
            name: "async-replication-compression".into(),
            value: true
        }]
    );
    assert_eq!(contains(cty, "5.1.2.0.5.007"), Containment::Affected);
    assert_eq!(contains(cty, "5.1.2.0.5.009"), Containment::NotAffected);

    let jip = find(&advs, "FWN-2026-0003");
    assert_eq!(jip.effects, [Effect::DataUnavailable, Effect::DataLoss]);
    assert_eq!(contains(jip, "5.0.3.0.5.011"), Containment::Affected);

    let canon = find(&advs, "FWN-2026-0004");
    assert_eq!(canon.affected[0].component, Some(ComponentKind::Enclosure));
    assert_eq!(contains(canon, "0230"), Containment::Affected);
    assert_eq!(contains(canon, "0240"), Containment::NotAffected);

    let ssd32 = find(&advs, "FWN-2019-0032768");
    assert_eq!(ssd32.triggers, [Trigger::PowerOnHours { hours: 32768 }]);
    assert_eq!(ssd32.affected[0].models.len(), 8);
    assert!(ssd32.affected[0].models.iter().any(|m| m == "VO1920JFDGV"));
    assert_eq!(ssd32.affected[0].scheme, Some(Scheme::Opaque));
    assert_eq!(contains(ssd32, "HPD7"), Containment::Affected);
    assert_eq!(ssd32.affected[0].fixed_in, ["HPD8"]);

    let ssd40 = find(&advs, "FWN-2020-0040000");
    assert_eq!(ssd40.triggers, [Trigger::PowerOnHours { hours: 40000 }]);
    assert!(ssd40.affected[0].models.iter().any(|m| m == "MO1600JVYPR"));
    assert_eq!(contains(ssd40, "HPD6"), Containment::Affected);
    assert_eq!(ssd40.affected[0].fixed_in, ["HPD7"]);

    for a in &advs {
        assert!(!a.summary.is_empty(), "{}", a.id);
        assert_eq!(a.affected[0].status, ProductStatus::Affected);
        assert_eq!(a.source.sha256.len(), 64);
    }
}

#[test]
fn bundled_advisories_snapshot() {
    insta::assert_json_snapshot!(bundled());
}

/// The full example in the README's "The native format" section parses as documented.
#[test]
fn readme_example_parses() {
    let readme = std::fs::read_to_string(project().join("README.md")).unwrap();
    let section = readme
        .split("### The native format")
        .nth(1)
        .expect("README has a native format section");
    let toml = section
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the section has a toml example");
    let advs = super::parse(DocFormat::Native, "readme", "README.md", toml.as_bytes()).unwrap();
    assert_eq!(advs[0].id.as_str(), "FWN-2026-0002");
    assert_eq!(
        advs[0].affected[0].component,
        Some(ComponentKind::Controller)
    );
    assert_eq!(advs[0].remediations.len(), 1);
}
