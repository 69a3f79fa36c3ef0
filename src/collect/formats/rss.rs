//! RSS 2.0 and Atom listings (feed-rs) of `rss` / `atom` feeds: which advisory pages a vendor's
//! feed points at, and when each last changed.
//!
//! A listing is only a change trigger: its items point at pages, which are read like an `html`
//! feed's page ([`super::html`]). Short feeds drop old items off the end, so nothing is withdrawn
//! because it left the listing — that is the collector's decision; this module only reads.

use chrono::{DateTime, Utc};
use url::Url;

use super::PageError;

/// One item of an RSS/Atom listing: the page it links to (absolute) and its update time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    pub page: String,
    pub updated: Option<DateTime<Utc>>,
}

/// Read an RSS/Atom listing fetched from `url` (feed-rs): each item's first link, resolved against
/// `url`, with its `updated` (else `published`) time. Items without a link are skipped; a link that
/// does not resolve fails the listing. Pure: the caller applies the URL policy and fetches.
pub fn parse_listing(url: &Url, bytes: &[u8]) -> Result<Vec<ListingItem>, PageError> {
    let u = url.to_string();
    let parsed = feed_rs::parser::parse(bytes).map_err(|e| PageError {
        url: u.clone(),
        reason: format!("not an RSS/Atom feed: {e}"),
    })?;
    let mut out = Vec::with_capacity(parsed.entries.len());
    for entry in parsed.entries {
        let Some(link) = entry.links.first() else {
            continue;
        };
        let page = url.join(&link.href).map_err(|e| PageError {
            url: u.clone(),
            reason: format!("bad item link `{}`: {e}", link.href),
        })?;
        out.push(ListingItem {
            page: page.to_string(),
            updated: entry.updated.or(entry.published),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://v.example/advisories/feed.xml").unwrap()
    }

    #[test]
    fn rss_items_resolve_against_the_listing_and_skip_linkless_ones() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><title>a</title><link>adv/1.html</link><pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item>
            <item><title>no link</title><description>x</description></item>
            <item><title>b</title><link>https://v.example/other/2.html</link></item>
            </channel></rss>"#;
        let items = parse_listing(&base(), rss).unwrap();
        assert_eq!(
            items.iter().map(|i| i.page.as_str()).collect::<Vec<_>>(),
            [
                "https://v.example/advisories/adv/1.html",
                "https://v.example/other/2.html"
            ]
        );
        assert_eq!(
            items[0].updated.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(items[1].updated, None);
    }

    #[test]
    fn atom_entries_take_updated_time() {
        let atom = br#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
            <title>t</title><id>urn:x</id><updated>2024-05-03T00:00:00Z</updated>
            <entry><id>urn:1</id><title>a</title><updated>2024-05-02T00:00:00Z</updated>
              <published>2024-04-01T00:00:00Z</published><link href="https://v.example/a.html"/></entry>
            </feed>"#;
        let items = parse_listing(&base(), atom).unwrap();
        assert_eq!(
            items,
            [ListingItem {
                page: "https://v.example/a.html".into(),
                updated: Some("2024-05-02T00:00:00Z".parse().unwrap()),
            }]
        );
    }

    #[test]
    fn a_non_feed_fails_naming_the_listing() {
        let err = parse_listing(&base(), b"<html><body>moved</body></html>").unwrap_err();
        assert_eq!(err.url, base().as_str());
        assert!(err.reason.starts_with("not an RSS/Atom feed"), "{err}");
    }
}
