//! Checks shared by the document targets: what must hold for every advisory a parser returns and
//! for every error it answers, beyond "did not panic".

#![allow(dead_code)]

use firmwatch::collect::formats::{parse_document, DocContext, DocFormat, FormatError};
use firmwatch::model::{Advisory, FeedId, VersionSpec};
use firmwatch::version::{Scheme, VersRange};

pub const LOCATION: &str = "https://fuzz.example/doc.json";

/// The feed-level scheme default for one run: derived from the input length so that seeds stay
/// plain documents while every scheme still gets exercised.
pub fn scheme_for_len(len: usize) -> Scheme {
    Scheme::ALL[len % Scheme::ALL.len()]
}

/// Parse `data` the way `sync` does, once without feed defaults and once with a vendor and a
/// scheme default, and check every result.
pub fn run_document(format: DocFormat, data: &[u8]) {
    let feed: FeedId = "fuzz".parse().expect("valid feed id");
    for (vendor, scheme) in [
        (None, None),
        (Some("Fuzz Vendor"), Some(scheme_for_len(data.len()))),
    ] {
        let ctx = DocContext {
            feed: &feed,
            location: LOCATION,
            default_vendor: vendor,
            default_scheme: scheme,
        };
        match parse_document(format, data, &ctx) {
            Ok(advisories) => check_advisories(&advisories),
            Err(e) => check_error(&e),
        }
    }
}

/// Every error names the document.
pub fn check_error(e: &FormatError) {
    assert_eq!(e.location(), LOCATION);
    let msg = e.to_string();
    assert!(
        msg.starts_with(LOCATION),
        "error does not name the document: {msg}"
    );
}

/// What the store and the matcher rely on for every advisory a parser returns.
pub fn check_advisories(advisories: &[Advisory]) {
    for a in advisories {
        // The store writes advisories as JSON and reads them back: that must give the same value.
        let json = serde_json::to_vec(a).expect("an advisory always serializes");
        let back: Advisory = serde_json::from_slice(&json).unwrap_or_else(|e| {
            panic!(
                "stored advisory does not read back: {e}\n{}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(&back, a, "store round trip changed the advisory");
        for p in &a.affected {
            check_spec(&p.versions);
        }
    }
}

/// A range the parser produced is canonical: it prints and parses back to itself.
pub fn check_spec(spec: &VersionSpec) {
    if let VersionSpec::Range(r) = spec {
        check_canonical(r);
    }
}

pub fn check_canonical(r: &VersRange) {
    let printed = r.to_string();
    let again = VersRange::parse(&printed)
        .unwrap_or_else(|e| panic!("printed range `{printed}` does not parse: {e}"));
    assert_eq!(&again, r, "`{printed}` parses to another range");
    assert_eq!(again.to_string(), printed, "printing is not stable");
}
