//! Vendor advisory pages scraped with the CSS selectors of the feed file (`[html]`): the pages of
//! `html` feeds, and the pages the items of `rss` / `atom` listings point at.
//!
//! Each `item` element (or the whole page) gives an id, a title, an optional date, product names
//! and version phrases ([`extract`]), which become advisories ([`to_advisories`]). Version phrases
//! go through the same text-to-range rules as the other parsers ([`spec_from_text`]): "prior to
//! 5.3.0.0.5.120" becomes a range, anything it cannot read stays `Unparsed`, so matching reports
//! *unknown* instead of "not affected". A page without a version statement is also kept as
//! unparsed, never as "all versions". Unlike the document formats, a page has no format of its
//! own to validate: what it means is what the feed's selectors pick out, so the feed definition
//! goes in with the bytes and a failure is a [`PageError`] naming the page.

use chrono::{DateTime, NaiveDate, Utc};
use scraper::{ElementRef, Html, Selector};

use super::util::sha256_hex;
use super::{choose_scheme, spec_from_text, PageError};
use crate::collect::feed::{FeedDef, FeedKind, HtmlSelectors};
use crate::model::{
    Advisory, AdvisoryId, AffectedProduct, ProductStatus, Source, SourceFormat, VersionSpec,
};

/// What one advisory element of a page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub id: String,
    pub title: String,
    pub date: Option<DateTime<Utc>>,
    pub products: Vec<String>,
    pub versions: Vec<String>,
}

fn sel(s: &str) -> Result<Selector, String> {
    Selector::parse(s).map_err(|e| format!("invalid CSS selector `{s}`: {e}"))
}

fn text(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first(scope: ElementRef<'_>, s: &Selector) -> Option<String> {
    scope.select(s).next().map(text).filter(|t| !t.is_empty())
}

/// Dates as vendors write them: RFC 3339, RFC 2822, `2024-05-01`, `May 1, 2024`.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// The version part of a phrase such as "ACME OS versions prior to 5.3.0.0.5.120": from the first
/// range keyword, else from the first word with a digit. The caller keeps the whole text when the
/// cut phrase still does not read as a range.
pub fn version_phrase(text: &str) -> &str {
    const KEYWORDS: [&str; 8] = [
        "prior to",
        "before",
        "earlier than",
        "up to",
        "all versions",
        "<",
        ">",
        "=",
    ];
    let lower = text.to_ascii_lowercase();
    if let Some(i) = KEYWORDS.iter().filter_map(|k| lower.find(k)).min() {
        return text[i..].trim();
    }
    let mut pos = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        if word.chars().any(|c| c.is_ascii_digit()) {
            return text[pos..].trim();
        }
        pos += word.len();
    }
    text.trim()
}

/// Extract every advisory element of a page.
pub fn extract(page: &str, s: &HtmlSelectors) -> Result<Vec<Extracted>, String> {
    let doc = Html::parse_document(page);
    let (title, id) = (sel(&s.title)?, sel(&s.id)?);
    let date = s.date.as_deref().map(sel).transpose()?;
    let products = s.products.as_deref().map(sel).transpose()?;
    let versions = s.versions.as_deref().map(sel).transpose()?;
    let scopes: Vec<ElementRef<'_>> = match &s.item {
        Some(item) => doc.select(&sel(item)?).collect(),
        None => vec![doc.root_element()],
    };
    let mut out = Vec::new();
    for scope in scopes {
        let Some(id) = first(scope, &id) else {
            return Err(format!("an item has no id (selector `{}`)", s.id));
        };
        let all = |o: &Option<Selector>| -> Vec<String> {
            o.as_ref()
                .map(|x| {
                    scope
                        .select(x)
                        .map(text)
                        .filter(|t| !t.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        out.push(Extracted {
            title: first(scope, &title).unwrap_or_else(|| id.clone()),
            date: date
                .as_ref()
                .and_then(|d| first(scope, d))
                .and_then(|t| parse_date(&t)),
            products: all(&products),
            versions: all(&versions),
            id,
        });
    }
    Ok(out)
}

/// Turn extracted elements into advisories (one statement per product and version phrase).
pub fn to_advisories(
    items: &[Extracted],
    feed: &FeedDef,
    location: &str,
    sha256: &str,
    format: SourceFormat,
) -> Result<Vec<Advisory>, String> {
    let vendor = feed.vendor.clone().unwrap_or_else(|| "unknown".into());
    let mut out = Vec::new();
    for e in items {
        let id: AdvisoryId = e.id.parse().map_err(|x| format!("{x}"))?;
        let products = if e.products.is_empty() {
            vec![e.title.clone()]
        } else {
            e.products.clone()
        };
        let mut affected = Vec::new();
        for p in &products {
            let scheme = choose_scheme(feed.scheme, &vendor, p, &[]);
            let specs: Vec<VersionSpec> = if e.versions.is_empty() {
                vec![VersionSpec::Unparsed(
                    "no version statement on the page".into(),
                )]
            } else {
                e.versions
                    .iter()
                    .map(|v| match spec_from_text(version_phrase(v), scheme) {
                        VersionSpec::Unparsed(_) => VersionSpec::Unparsed(v.clone()),
                        spec => spec,
                    })
                    .collect()
            };
            for versions in specs {
                affected.push(AffectedProduct {
                    vendor: vendor.clone(),
                    product: p.clone(),
                    models: vec![],
                    component: None,
                    scheme: Some(scheme),
                    status: ProductStatus::Affected,
                    versions,
                    fixed_in: vec![],
                    identifiers: vec![],
                    recommended: false,
                });
            }
        }
        out.push(Advisory {
            published: e.date,
            affected,
            references: vec![location.to_string()],
            ..Advisory::new(
                id,
                vendor.clone(),
                e.title.clone(),
                Source {
                    feed: feed.id.clone(),
                    format,
                    location: location.to_string(),
                    sha256: sha256.to_string(),
                },
            )
        });
    }
    Ok(out)
}

/// Parse one fetched page of an html/rss/atom feed with the feed's selectors.
pub fn parse_page(
    feed: &FeedDef,
    location: &str,
    bytes: &[u8],
) -> Result<Vec<Advisory>, PageError> {
    let bad = |reason: String| PageError {
        url: location.to_string(),
        reason,
    };
    let selectors = feed
        .html
        .as_ref()
        .ok_or_else(|| bad("the feed has no [html] selectors".into()))?;
    let page = String::from_utf8_lossy(bytes);
    let items = extract(&page, selectors).map_err(bad)?;
    let format = if feed.kind == FeedKind::Html {
        SourceFormat::Html
    } else {
        SourceFormat::Rss
    };
    to_advisories(&items, feed, location, &sha256_hex(bytes), format).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body>
      <article class="adv"><h2>Controller panic on failover</h2><span class="id">VEND-2024-001</span>
        <time>2024-05-01</time><ul class="p"><li>Array X</li></ul>
        <p class="v">prior to 5.3.0.0.5.120</p></article>
      <article class="adv"><h2>Drive firmware issue</h2><span class="id">VEND-2024-002</span>
        <time>May 2, 2024</time></article>
    </body></html>"#;

    fn selectors() -> HtmlSelectors {
        HtmlSelectors {
            item: Some("article.adv".into()),
            title: "h2".into(),
            id: ".id".into(),
            date: Some("time".into()),
            products: Some(".p li".into()),
            versions: Some(".v".into()),
        }
    }

    #[test]
    fn version_phrases_are_cut_at_the_range() {
        assert_eq!(
            version_phrase("ACME OS versions prior to 5.3.0.0.5.120"),
            "prior to 5.3.0.0.5.120"
        );
        assert_eq!(
            version_phrase("Firmware 9.8 through 9.8P3"),
            "9.8 through 9.8P3"
        );
        assert_eq!(version_phrase("no numbers here"), "no numbers here");
    }

    #[test]
    fn extracts_items() {
        let items = extract(PAGE, &selectors()).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id, "VEND-2024-001");
        assert_eq!(items[0].products, vec!["Array X"]);
        assert_eq!(items[0].versions, vec!["prior to 5.3.0.0.5.120"]);
        assert_eq!(
            items[1].date.unwrap().to_rfc3339(),
            "2024-05-02T00:00:00+00:00"
        );
        assert!(items[1].versions.is_empty());
    }

    #[test]
    fn missing_versions_stay_unknown() {
        let dir = std::path::Path::new("/f");
        let feed = crate::collect::feed::parse_feed(
            "kind = \"html\"\nurl = \"https://v.example/adv\"\nvendor = \"Dell\"\nscheme = \"intdot\"\n[html]\ntitle = \"h2\"\nid = \".id\"\n",
            &dir.join("v.toml"),
            dir,
        )
        .unwrap();
        let items = extract(PAGE, &selectors()).unwrap();
        let advs = to_advisories(
            &items,
            &feed,
            "https://v.example/adv",
            "00",
            SourceFormat::Html,
        )
        .unwrap();
        assert!(
            matches!(advs[0].affected[0].versions, VersionSpec::Range(_)),
            "{:?}",
            advs[0].affected[0].versions
        );
        assert!(matches!(
            advs[1].affected[0].versions,
            VersionSpec::Unparsed(_)
        ));
    }
}
