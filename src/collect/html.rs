//! `html`, `rss` and `atom` feeds: vendor advisory pages scraped with the CSS selectors of the
//! feed file (`[html]`), and RSS/Atom listings whose items point at such pages.
//!
//! Extraction is pure ([`extract`], [`to_advisories`]): each `item` element (or the whole page)
//! gives an id, a title, an optional date, product names and version phrases. Version phrases go
//! through the same text-to-range rules as the other parsers (`formats::spec_from_text`): "prior to
//! 5.3.0.0.5.120" becomes a range, anything it cannot read stays `Unparsed`, so matching reports
//! *unknown* instead of "not affected". A page without a version statement is also kept as
//! unparsed, never as "all versions". An RSS/Atom listing is only a change trigger (items drop off
//! the end of short feeds), so nothing is withdrawn because it left the listing.

use chrono::{DateTime, NaiveDate, Utc};
use scraper::{ElementRef, Html, Selector};

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::feed::{FeedDef, HtmlSelectors};
use super::formats::{choose_scheme, spec_from_text};
use super::http::{sha256_hex, Fetched};
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
                });
            }
        }
        out.push(Advisory {
            id,
            aliases: vec![],
            vendor: vendor.clone(),
            title: e.title.clone(),
            summary: String::new(),
            published: e.date,
            modified: None,
            withdrawn: None,
            affected,
            remediations: vec![],
            references: vec![location.to_string()],
            effects: vec![],
            triggers: vec![],
            cvss: None,
            vendor_severity: None,
            tlp: None,
            source: Source {
                feed: feed.id.clone(),
                format,
                location: location.to_string(),
                sha256: sha256.to_string(),
            },
        });
    }
    Ok(out)
}

/// Parse one fetched page of an html/rss/atom feed.
pub fn parse_page(
    feed: &FeedDef,
    location: &str,
    bytes: &[u8],
) -> Result<Vec<Advisory>, FeedError> {
    let bad = |reason: String| FeedError::Listing {
        url: location.to_string(),
        reason,
    };
    let selectors = feed
        .html
        .as_ref()
        .ok_or_else(|| bad("the feed has no [html] selectors".into()))?;
    let page = String::from_utf8_lossy(bytes);
    let items = extract(&page, selectors).map_err(bad)?;
    let format = if feed.kind == super::feed::FeedKind::Html {
        SourceFormat::Html
    } else {
        SourceFormat::Rss
    };
    to_advisories(&items, feed, location, &sha256_hex(bytes), format).map_err(bad)
}

/// An `html` feed: one page.
pub async fn collect_html(ctx: &CollectCtx<'_>, url: &url::Url) -> Result<Collected, FeedError> {
    let mut out = Collected::default();
    let u = url.to_string();
    out.listed.insert(u.clone());
    if let Fetched::Body { bytes, validators } =
        ctx.http.get(&u, ctx.validators(&u)?.as_ref()).await?
    {
        if !ctx.known_unchanged(&u, &sha256_hex(&bytes))? {
            out.changed.push(Doc {
                location: u.clone(),
                bytes,
                updated: None,
                tlp: None,
                validators: Some(validators),
                listing: None,
                per_advisory: false,
            });
        } else {
            out.validators.insert(u, validators);
        }
    }
    Ok(out)
}

/// One item of an RSS/Atom listing: the page it links to (absolute) and its update time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    pub page: String,
    pub updated: Option<DateTime<Utc>>,
}

/// Read an RSS/Atom listing fetched from `url` (feed-rs): each item's first link, resolved against
/// `url`, with its `updated` (else `published`) time. Items without a link are skipped; a link that
/// does not resolve fails the listing. Pure: the caller applies the URL policy and fetches.
pub fn parse_listing(url: &url::Url, bytes: &[u8]) -> Result<Vec<ListingItem>, FeedError> {
    let u = url.to_string();
    let parsed = feed_rs::parser::parse(bytes).map_err(|e| FeedError::Listing {
        url: u.clone(),
        reason: format!("not an RSS/Atom feed: {e}"),
    })?;
    let mut out = Vec::with_capacity(parsed.entries.len());
    for entry in parsed.entries {
        let Some(link) = entry.links.first() else {
            continue;
        };
        let page = url.join(&link.href).map_err(|e| FeedError::Listing {
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

/// An `rss` / `atom` feed: the listing, then each new or updated item's page.
pub async fn collect_syndication(
    ctx: &CollectCtx<'_>,
    url: &url::Url,
) -> Result<Collected, FeedError> {
    let mut out = Collected {
        listed: ctx.full_state()?.documents.keys().cloned().collect(),
        ..Collected::default()
    };
    let u = url.to_string();
    let bytes = match ctx.http.get(&u, ctx.validators(&u)?.as_ref()).await? {
        Fetched::NotModified => return Ok(out),
        Fetched::Body { bytes, validators } => {
            out.validators.insert(u.clone(), validators);
            bytes
        }
    };
    for ListingItem { page, updated } in parse_listing(url, &bytes)? {
        super::policy::follow(ctx, &page)?;
        out.listed.insert(page.clone());
        if let Some(t) = updated {
            out.checkpoint = Some(out.checkpoint.map_or(t, |c| c.max(t)));
        }
        let known = ctx.document(&page)?;
        if !ctx.opts.force && known.is_some_and(|d| d.updated == updated && updated.is_some()) {
            continue;
        }
        ctx.step(format!("GET {page}"));
        if let Fetched::Body { bytes, validators } =
            ctx.http.get(&page, ctx.validators(&page)?.as_ref()).await?
        {
            out.changed.push(Doc {
                location: page,
                bytes,
                updated,
                tlp: None,
                validators: Some(validators),
                listing: Some(u.clone()),
                per_advisory: false,
            });
        }
    }
    Ok(out)
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
        let feed = super::super::feed::parse_feed(
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
