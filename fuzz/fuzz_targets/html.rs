//! `formats::html::parse_page`, what `sync` runs on every page of an `html`, `rss` or `atom` feed, under two
//! feed definitions (item selectors with a scheme, whole-page selectors without one): no panic,
//! errors name the page, every advisory survives the store round trip and every range is canonical.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::OnceLock;

use firmwatch::collect::feed::{parse_feed, FeedDef};
use firmwatch::collect::formats::html::parse_page;
use firmwatch::collect::formats::PageError;
use libfuzzer_sys::fuzz_target;

const ITEMS: &str = "kind = \"html\"\nurl = \"https://fuzz.example/adv\"\nvendor = \"ACME\"\nscheme = \"intdot\"\n[html]\nitem = \"article, .adv, tr\"\ntitle = \"h1, h2, .title\"\nid = \".id, .adv-id, td:first-child\"\ndate = \"time, .published\"\nproducts = \".products li, .p li\"\nversions = \".versions, .v, td:nth-child(3)\"\n";
const PAGE: &str = "kind = \"html\"\nurl = \"https://fuzz.example/adv\"\n[html]\ntitle = \"h1.title\"\nid = \".adv-id\"\ndate = \".published\"\nproducts = \".products li\"\nversions = \".versions\"\n";

fn feeds() -> &'static [FeedDef; 2] {
    static FEEDS: OnceLock<[FeedDef; 2]> = OnceLock::new();
    FEEDS.get_or_init(|| {
        let dir = Path::new("/feeds");
        let f = |text: &str| parse_feed(text, &dir.join("fuzz.toml"), dir).expect("valid feed");
        [f(ITEMS), f(PAGE)]
    })
}

fuzz_target!(|data: &[u8]| {
    for feed in feeds() {
        match parse_page(feed, common::LOCATION, data) {
            Ok(advisories) => common::check_advisories(&advisories),
            Err(PageError { url, reason }) => {
                assert_eq!(url, common::LOCATION);
                assert!(!reason.is_empty());
            }
        }
    }
});
