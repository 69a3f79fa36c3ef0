//! `parse_document(DocFormat::Csaf, …)`, the entry point `sync` uses for CSAF documents: no panic,
//! errors name the document, every advisory survives the store's JSON round trip, every range it
//! produced is canonical, and `validate_csaf` agrees with the parser on accept / reject.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use firmwatch::collect::formats::{parse_document, validate_csaf, DocContext, DocFormat};
use firmwatch::model::FeedId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::run_document(DocFormat::Csaf, data);
    let feed: FeedId = "fuzz".parse().expect("valid feed id");
    let ctx = DocContext {
        feed: &feed,
        location: common::LOCATION,
        default_vendor: None,
        default_scheme: None,
    };
    let parsed = parse_document(DocFormat::Csaf, data, &ctx);
    if data.len() <= firmwatch::collect::formats::MAX_DOCUMENT_BYTES {
        match (&parsed, validate_csaf(data, common::LOCATION)) {
            (Ok(_), Err(e)) => panic!("parsed, but validate rejects it: {e}"),
            (Err(e), Ok(_)) => {
                // Validation only covers the tree and the mandatory tests; mapping may still fail.
                common::check_error(e);
            }
            _ => {}
        }
    }
});
