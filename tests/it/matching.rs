//! Matching real advisories (from `../shared/corpus`) against inventories that should and should not
//! match: CSAF firmware-installed-on-hardware, CVE 5 ranges for storage products, NVD `AND`
//! configurations (firmware running on a hardware model).

use firmwatch::classify::classify;
use firmwatch::collect::formats::DocFormat;
use firmwatch::matcher::MatchState;
use firmwatch::model::Advisory;
use firmwatch::testkit::*;
use firmwatch::version::Scheme;

use crate::formats::parse;
use crate::support::project;

fn load(format: DocFormat, rel: &str) -> Option<Vec<Advisory>> {
    let dir = crate::support::corpus()?;
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let mut advs = parse(format, "corpus", rel, &bytes).unwrap();
    for a in &mut advs {
        classify(a);
    }
    Some(advs)
}

fn states(e: &Estate, advs: &[Advisory]) -> Vec<(String, MatchState)> {
    run(e, advs).into_iter().map(|f| (f.id, f.state)).collect()
}

#[test]
fn csaf_mobotix_firmware_installed_on_camera_models() {
    let Some(advs) = load(DocFormat::Csaf, "csaf/cisa/icsa-24-235-03.json") else {
        return;
    };
    let cam =
        |model: &str, fw: &str| Estate::new().system("cam-1", "MOBOTIX", model, Scheme::Opaque, fw);
    // An affected firmware on a listed camera model.
    assert_eq!(
        states(&cam("D24M", "MX-V4.1.4.11"), &advs),
        vec![("ICSA-24-235-03@cam-1".into(), MatchState::Confirmed)]
    );
    // The fixed firmware on the same model, and the affected firmware on a model the advisory does not list.
    assert!(states(&cam("D24M", "MX-V4.7.2.18"), &advs).is_empty());
    assert!(states(&cam("S16", "MX-V4.1.4.11"), &advs).is_empty());
}

#[test]
fn csaf_bmc_firmware_on_server_hardware_hits_the_bmc_not_the_server_bios() {
    let bytes = std::fs::read(project().join("feeds/csaf/2026/fwc-2026-0007.json")).unwrap();
    let advs = parse(DocFormat::Csaf, "bundled", "fwc-2026-0007.json", &bytes).unwrap();
    let server = |bmc: &str| {
        Estate::new()
            .system("srv", "Dell", "PowerEdge R650", Scheme::Intdot, "2.19.1")
            .idrac("srv", "idrac", bmc)
    };
    let f = run(&server("6.00.30.00"), &advs);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].parts.len(), 1);
    assert_eq!(f[0].parts[0].subject.to_string(), "srv/idrac");
    assert!(run(&server("6.10.30.00"), &advs).is_empty());
    // The same BMC firmware in another server model is not listed.
    let other = Estate::new()
        .system("srv", "Dell", "PowerEdge R750", Scheme::Intdot, "2.19.1")
        .idrac("srv", "idrac", "6.00.30.00");
    assert!(run(&other, &advs).is_empty());
}

#[test]
fn cve5_unity_prior_to_free_text_and_ontap_enumerated_patches() {
    let Some(unity) = load(DocFormat::Cve5, "cve5/CVE-2023-43074.json") else {
        return;
    };
    let arr = |fw: &str| Estate::new().system("u1", "Dell EMC", "Unity 480F", Scheme::Intdot, fw);
    assert_eq!(
        states(&arr("5.1.2.0.5.007"), &unity),
        vec![("CVE-2023-43074@u1".into(), MatchState::Confirmed)]
    );
    assert!(states(&arr("5.3.0.0.5.120"), &unity).is_empty());

    let Some(ontap) = load(DocFormat::Cve5, "cve5/CVE-2023-27317.json") else {
        return;
    };
    let aff = |fw: &str| Estate::new().system("n1", "NetApp", "AFF A400", Scheme::Ontap, fw);
    assert_eq!(
        states(&aff("9.12.1P8"), &ontap),
        vec![("CVE-2023-27317@n1".into(), MatchState::Confirmed)]
    );
    assert!(
        states(&aff("9.12.1P9"), &ontap).is_empty(),
        "only the enumerated patch levels are affected"
    );
    // An engineering build of an affected release cannot be ordered: unknown, not clean.
    let s = states(&aff("9.12.1P8X3"), &ontap);
    assert!(
        s.is_empty() || s.iter().all(|(_, st)| *st == MatchState::Unknown),
        "{s:?}"
    );
}

#[test]
fn nvd_firmware_running_on_hardware() {
    let Some(nio) = load(DocFormat::Nvd, "nvd/CVE-2023-24256.json") else {
        return;
    };
    let car = |model: &str, fw: &str| Estate::new().system("car", "NIO", model, Scheme::Intdot, fw);
    assert_eq!(
        states(&car("EC6", "3.2.1"), &nio),
        vec![("CVE-2023-24256@car".into(), MatchState::Confirmed)]
    );
    assert!(
        states(&car("EC6", "3.3.0"), &nio).is_empty(),
        "fixed version"
    );
    assert!(
        states(&car("ES8", "3.2.1"), &nio).is_empty(),
        "other hardware"
    );

    let Some(esp) = load(DocFormat::Nvd, "nvd/CVE-2020-13595.json") else {
        return;
    };
    let board = |fw: &str| Estate::new().system("b", "Espressif", "ESP32", Scheme::Intdot, fw);
    assert_eq!(states(&board("4.1"), &esp).len(), 1);
    assert!(states(&board("4.3"), &esp).is_empty());
}
