//! FIRST's EPSS scores as an `epss` feed, served gzipped on 127.0.0.1 like the real
//! `epss_scores-YYYY-MM-DD.csv.gz`: a row from 10 % on joins the advisory of the same CVE, which
//! can then fire at any time; a lower row is not kept.
//!
//! `tests/fixtures/sync/epss/epss_scores-2026-12-05.csv` has the real file's layout (comment line,
//! header, rows); its scores are written for the test, not copied from a scoring run.

use std::io::Write;

use crate::support::fixture::{Fixture, Inventory};
use crate::support::http::Server;

#[test]
fn a_likely_exploited_cve_can_fire_any_time_with_its_score_in_the_reasons() {
    let corpus = corpus_or_skip!();
    let csv = std::fs::read(
        crate::support::project().join("tests/fixtures/sync/epss/epss_scores-2026-12-05.csv"),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let server = Server::start();
    server.set_ok("/epss/epss_scores-current.csv.gz", gz.finish().unwrap());
    let fx = Fixture::new();
    fx.feed(
        "epss",
        &format!(
            "kind = \"epss\"\nurl = \"{}\"\n",
            server.url("/epss/epss_scores-current.csv.gz")
        ),
    );
    fx.feed(
        "cve",
        &format!(
            "kind = \"cve5-dir\"\npath = \"{}\"\n",
            corpus.join("cve5").display()
        ),
    );
    fx.inventory_file(
        "estate.toml",
        Inventory::new()
            .owner("ops", "Ops", "email = \"ops@example.net\"")
            .line(
                "\n[[systems]]\nid = \"unity\"\nvendor = \"Dell EMC\"\nmodel = \"Unity 480F\"\n\
                 owner = \"ops\"\nfirmware = \"5.1.2.0.5.007\"\n\
                 \n[[systems]]\nid = \"fas\"\nvendor = \"NetApp\"\nmodel = \"FAS8300\"\n\
                 owner = \"ops\"\nfirmware = \"9.12.1P8\"",
            ),
    );
    let out = fx
        .fw()
        .run_with(&["exposure", "--format", "json", "--today", "2026-12-06"]);
    let j = out.json();
    let finding = |adv: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["advisory"] == adv)
            .unwrap_or_else(|| panic!("{adv}: {}", out.show()))
            .clone()
    };
    let unity = finding("CVE-2023-43074");
    assert_eq!(unity["rating"]["urgency"]["kind"], "anytime", "{unity:#}");
    assert!(
        unity["rating"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r
                == "likely to be exploited: EPSS 21 % chance within 30 days (percentile 95.5, \
                scored 2026-12-05); attackers are likely to bring the condition"),
        "{unity:#}"
    );
    // Under 10 %: not kept, so the weakness still needs its condition.
    let fas = finding("CVE-2023-27317");
    assert_eq!(
        fas["rating"]["urgency"]["kind"], "needs-condition",
        "{fas:#}"
    );
    assert!(!fas.to_string().contains("EPSS"), "{fas:#}");
    // The rows are signals, not findings, and no warning says they match nothing.
    let v = fx.fw().run_with(&["sync", "--json", "--force"]).json();
    let epss = v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == "epss")
        .unwrap();
    assert_eq!(epss["status"], "ok", "{epss:#}");
    assert!(
        epss["warnings"].as_array().is_none_or(|w| w.is_empty()),
        "{epss:#}"
    );
    // A broken file is rejected naming its line; the other feed still lands.
    server.set_ok(
        "/epss/epss_scores-current.csv.gz",
        "cve,epss,percentile\nCVE-2023-43074,lots,0.9\n",
    );
    let sync = fx.fw().run_with(&["sync", "--json"]);
    assert!(
        sync.all().contains("line 2") && sync.all().contains("`lots`"),
        "{}",
        sync.show()
    );
}
