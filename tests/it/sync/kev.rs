//! CISA's Known Exploited Vulnerabilities catalog as a `kev` feed, served on 127.0.0.1: its
//! entries join the advisories of the same CVE from the other feeds, and a known-exploited
//! weakness is rated as firing now, with the catalog's date in its reasons.
//!
//! `tests/fixtures/sync/kev/known_exploited_vulnerabilities.json` has the catalog's shape (every
//! field of CISA's JSON schema) with two entries written after the real ones (Log4Shell, the
//! libwebp overflow).

use crate::support::fixture::{Fixture, Inventory};
use crate::support::http::Server;

#[test]
fn a_known_exploited_cve_is_rated_as_firing_now_with_the_catalogs_date() {
    let corpus = corpus_or_skip!();
    let catalog = std::fs::read(
        crate::support::project()
            .join("tests/fixtures/sync/kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    let server = Server::start();
    server.set_ok("/kev/known_exploited_vulnerabilities.json", catalog);
    let fx = Fixture::new();
    fx.feed(
        "kev",
        &format!(
            "kind = \"kev\"\nurl = \"{}\"\n",
            server.url("/kev/known_exploited_vulnerabilities.json")
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
                "\n[[systems]]\nid = \"app\"\nvendor = \"Apache Software Foundation\"\n\
                 model = \"Apache Log4j2\"\nowner = \"ops\"\nfirmware = \"2.14.1\"\n\
                 scheme = \"intdot\"",
            ),
    );
    let out = fx
        .fw()
        .run_with(&["exposure", "--format", "json", "--today", "2026-12-06"]);
    let j = out.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"] == "CVE-2021-44228")
        .unwrap_or_else(|| panic!("{}", out.show()));
    assert_eq!(f["rating"]["urgency"]["kind"], "triggering", "{f:#}");
    let reasons: Vec<&str> = f["rating"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(
            &"known exploited (KEV, added 2021-12-10, used in ransomware campaigns): attackers \
              use it now"
        ),
        "{reasons:#?}"
    );
    // The catalog's entries are signals, not findings of their own.
    assert!(j["findings"].as_array().unwrap().iter().all(|f| f["source"]
        .as_str()
        .is_none_or(|s| !s.contains("known_exploited"))));
    // Entries name no products by design: no warning says they match nothing.
    let v = fx.fw().run_with(&["sync", "--json", "--force"]).json();
    let kev = v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == "kev")
        .unwrap();
    assert!(
        kev["warnings"].as_array().is_none_or(|w| w.is_empty()),
        "{kev:#}"
    );
    assert_eq!(kev["documents_fetched"], 1, "the catalog was read again");
    // A broken catalog is rejected, naming where; the other feed lands.
    server.set_ok(
        "/kev/known_exploited_vulnerabilities.json",
        "{\"vulnerabilities\": [{\"cveID\": \"nope\"}]}",
    );
    let sync = fx.fw().run_with(&["sync", "--json"]);
    assert!(
        sync.all().contains("$.vulnerabilities[0].cveID"),
        "{}",
        sync.show()
    );
}
