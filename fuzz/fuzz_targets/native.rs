//! `parse_document(DocFormat::Native, …)`, the entry point `sync` uses for native documents: no panic,
//! errors name the document, every advisory survives the store's JSON round trip, and every range
//! it produced is canonical.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use firmwatch::collect::formats::DocFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::run_document(DocFormat::Native, data);
});
