//! `html`, `rss` and `atom` feeds: fetching a vendor's advisory page, or an RSS/Atom listing and
//! the pages its items point at.
//!
//! Reading what was fetched is pure and lives with the parsers: a page through the feed's CSS
//! selectors ([`formats::html`](super::formats::html)), a listing through feed-rs
//! ([`formats::rss`](super::formats::rss)). This module decides what to fetch. An `html` feed is
//! one page, fetched conditionally and parsed when its bytes changed. An RSS/Atom listing is only
//! a change trigger (items drop off the end of short feeds), so every page ever seen stays
//! listed — nothing is withdrawn because it left the listing — and an item's page is fetched when
//! it is new or its listed time moved. A page its selectors cannot read is rejected alone
//! ([`super::ctx`] has the rule): an `html` page keeps its previous advisories and is read again
//! at the next sync (its saved validators are those of the last page that was read); an RSS/Atom
//! listing that named a rejected page is fetched unconditionally and the page fetched again while
//! the listing names it.

use super::ctx::{CollectCtx, Collected, Doc, FeedError};
use super::formats::rss::{parse_listing, ListingItem};
use super::http::{body_sha256, Fetched};

/// An `html` feed: one page.
pub async fn collect_html(ctx: &CollectCtx<'_>, url: &url::Url) -> Result<Collected, FeedError> {
    let mut out = Collected::default();
    let u = url.to_string();
    out.listed.insert(u.clone());
    if let Fetched::Body { bytes, validators } =
        ctx.http.get(&u, ctx.validators(&u)?.as_ref()).await?
    {
        let sha = body_sha256(&validators, &bytes);
        if !ctx.known_unchanged(&u, &sha)? {
            out.add_document(
                ctx,
                Doc {
                    location: u.clone(),
                    bytes,
                    updated: None,
                    tlp: None,
                    validators: Some(validators),
                    listing: None,
                    per_advisory: false,
                    sha256: Some(sha),
                },
            )?;
        } else {
            out.validators.insert(u, validators);
        }
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
    // With a rejected page, the listing is read even unchanged, to retry the page.
    let saved = match ctx.state.rejected.is_empty() {
        true => ctx.validators(&u)?,
        false => None,
    };
    let bytes = match ctx.http.get(&u, saved.as_ref()).await? {
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
        let same = known.is_some_and(|d| d.updated == updated && updated.is_some());
        if !ctx.opts.force && same && !ctx.was_rejected(&page) {
            continue;
        }
        ctx.step(|| format!("GET {page}"));
        if let Fetched::Body { bytes, validators } =
            ctx.http.get(&page, ctx.validators(&page)?.as_ref()).await?
        {
            out.add_document(
                ctx,
                Doc {
                    location: page,
                    bytes,
                    updated,
                    tlp: None,
                    validators: Some(validators),
                    listing: Some(u.clone()),
                    per_advisory: false,
                    sha256: None,
                },
            )?;
        }
    }
    Ok(out)
}
