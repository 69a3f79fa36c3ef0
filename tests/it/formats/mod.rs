//! The document parsers against the real corpus and the bundled feeds.
//!
//! [`parse`] calls a parser the way a feed does; the feed id given is kept in each advisory's
//! source (and so in the snapshots), the location is what errors name.

mod corpus;
mod csaf;
mod cve5;
mod effects_eval;
mod native;
mod nvd;
mod osv;

use std::path::Path;

use firmwatch::collect::formats::{parse_document, DocContext, DocFormat, FormatError};
use firmwatch::model::{Advisory, FeedId, VersionSpec};
use firmwatch::version::Scheme;

/// Parse `bytes` as `format`, as feed `feed` reads a document at `location` (no defaults).
pub fn parse(
    format: DocFormat,
    feed: &str,
    location: &str,
    bytes: &[u8],
) -> Result<Vec<Advisory>, FormatError> {
    parse_with(format, feed, location, bytes, None, None)
}

/// [`parse`] for a feed that sets a default vendor and scheme.
pub fn parse_with(
    format: DocFormat,
    feed: &str,
    location: &str,
    bytes: &[u8],
    default_vendor: Option<&str>,
    default_scheme: Option<Scheme>,
) -> Result<Vec<Advisory>, FormatError> {
    let feed: FeedId = feed.parse().unwrap();
    let ctx = DocContext {
        feed: &feed,
        location,
        default_vendor,
        default_scheme,
    };
    parse_document(format, bytes, &ctx)
}

/// [`parse`] of the file at `path`, which is its location.
pub fn parse_file(
    format: DocFormat,
    feed: &str,
    path: &Path,
) -> Result<Vec<Advisory>, FormatError> {
    let bytes = std::fs::read(path).unwrap();
    parse(format, feed, &path.display().to_string(), &bytes)
}

/// A version statement as text: the `vers:` range, or the other kinds as debug output.
pub fn range_text(v: &VersionSpec) -> String {
    match v {
        VersionSpec::Range(r) => r.to_string(),
        other => format!("{other:?}"),
    }
}
