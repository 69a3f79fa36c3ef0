//! `formats::rss::parse_listing`, the RSS/Atom reading (feed-rs) of `rss` / `atom` feeds: no panic, errors
//! name the listing, and every item's page is an absolute URL that parses back to itself.
#![no_main]

use std::sync::OnceLock;

use firmwatch::collect::formats::rss::parse_listing;
use firmwatch::collect::formats::PageError;
use libfuzzer_sys::fuzz_target;

fn base() -> &'static url::Url {
    static BASE: OnceLock<url::Url> = OnceLock::new();
    BASE.get_or_init(|| url::Url::parse("https://fuzz.example/advisories/feed.rss").expect("url"))
}

fuzz_target!(|data: &[u8]| {
    match parse_listing(base(), data) {
        Ok(items) => {
            for item in items {
                let u = url::Url::parse(&item.page)
                    .unwrap_or_else(|e| panic!("item page `{}` is not a URL: {e}", item.page));
                assert_eq!(u.as_str(), item.page);
            }
        }
        Err(PageError { url, reason }) => {
            assert_eq!(url, base().as_str());
            assert!(!reason.is_empty());
        }
    }
});
