//! Pure document parsers: one advisory document's bytes in, normalized [`Advisory`] values out.
//!
//! Every supported format (CSAF 2.0/2.1, OSV, CVE JSON 5, NVD API 2.0 responses and firmwatch's own
//! native TOML/JSON format) goes through [`parse_document`], which does the work common to all of
//! them: it enforces the size cap ([`MAX_DOCUMENT_BYTES`]), computes the SHA-256 that goes into
//! [`Source::sha256`], and hands the bytes to the format's parser together with a [`DocContext`]
//! (feed id, location, feed-level vendor/scheme defaults).
//!
//! The parsers share three rules. **Nothing is guessed**: version text that cannot be turned into a
//! canonical range stays [`VersionSpec::Unparsed`](crate::model::VersionSpec::Unparsed), so matching reports it as unknown instead of
//! "not affected". **Nothing panics**: every input, however malformed, ends in an `Ok` or a
//! [`FormatError`] naming the location and the line / JSON path. **No I/O**: the collectors fetch,
//! these functions only read bytes. Effects and triggers stay empty for CVE-style formats (the
//! `classify` module derives them later); only the native format states them.
//!
//! Each format's mapping decisions are documented at the top of its module (`csaf`, `osv`, `cve5`,
//! `nvd`, `native`); [`validate_csaf`] exposes the CSAF checks on their own, including the
//! warnings (optional / recommended tests) that do not reject a document.
//!
//! Scraped pages and RSS/Atom listings are read here too, by the same rules (bytes and a base
//! URL in, no I/O), but they are not document formats: a page means what the feed's CSS
//! selectors pick out of it ([`html`]), a listing only names pages ([`rss`]). So they take the
//! feed definition or the listing's URL instead of a [`DocContext`], and fail with a
//! [`PageError`] naming the page.

mod csaf;
mod cve5;
mod epss;
pub mod html;
pub(crate) mod kev;
mod native;
mod nvd;
mod osv;
pub mod rss;
mod util;

use std::fmt;
use std::str::FromStr;

use crate::model::{Advisory, FeedId, Source, SourceFormat};
use crate::version::Scheme;

pub use csaf::{validate as validate_csaf, CsafWarning};
pub use util::{choose_scheme, spec_from_list, spec_from_text};

/// Documents larger than this are rejected before parsing (16 MiB). The largest real CSAF document
/// seen (Mobotix, 1283 relationships) is 541 KB; NVD pages of 2000 CVEs stay well below the cap.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// How deep CSAF `branches` may nest before the document is rejected. Real trees are 3–5 deep.
pub const MAX_BRANCH_DEPTH: usize = 32;

/// The format of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    Csaf,
    Osv,
    Cve5,
    Nvd,
    Native,
    Kev,
    Epss,
}

impl DocFormat {
    pub const ALL: [DocFormat; 7] = [
        DocFormat::Csaf,
        DocFormat::Osv,
        DocFormat::Cve5,
        DocFormat::Nvd,
        DocFormat::Native,
        DocFormat::Kev,
        DocFormat::Epss,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocFormat::Csaf => "csaf",
            DocFormat::Osv => "osv",
            DocFormat::Cve5 => "cve5",
            DocFormat::Nvd => "nvd",
            DocFormat::Native => "native",
            DocFormat::Kev => "kev",
            DocFormat::Epss => "epss",
        }
    }

    fn source_format(self) -> SourceFormat {
        match self {
            DocFormat::Csaf => SourceFormat::Csaf,
            DocFormat::Osv => SourceFormat::Osv,
            DocFormat::Cve5 => SourceFormat::Cve5,
            DocFormat::Nvd => SourceFormat::Nvd,
            DocFormat::Native => SourceFormat::Native,
            DocFormat::Kev => SourceFormat::Kev,
            DocFormat::Epss => SourceFormat::Epss,
        }
    }
}

impl fmt::Display for DocFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document format name that is not one of `csaf`, `osv`, `cve5`, `nvd`, `native`, `kev`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document format `{0}` (known: csaf, osv, cve5, nvd, native, kev)")]
pub struct UnknownFormat(pub String);

impl FromStr for DocFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// What the caller knows about the document besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct DocContext<'a> {
    pub feed: &'a FeedId,
    /// URL or path of the document (goes into Source.location and into error messages).
    pub location: &'a str,
    /// Feed-level defaults from the feed definition file.
    pub default_vendor: Option<&'a str>,
    pub default_scheme: Option<Scheme>,
}

/// Why a document could not be turned into advisories. Every variant names the document.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{location}: document is {size} bytes, over the {limit}-byte cap")]
    TooLarge {
        location: String,
        size: usize,
        limit: usize,
    },
    #[error("{location}: not valid JSON: {message}")]
    Json { location: String, message: String },
    #[error("{location}: not valid TOML: {message}")]
    Toml { location: String, message: String },
    /// A field is missing or has a value the format does not allow.
    #[error("{location}: at {path}: {message}")]
    Invalid {
        location: String,
        /// JSON path / TOML key path of the offending value (`$.document.tracking.id`).
        path: String,
        message: String,
    },
    /// A CSAF mandatory test (`6.1.1` …) failed.
    #[error("{location}: CSAF test {rule} failed: {message}")]
    CsafRule {
        location: String,
        rule: &'static str,
        message: String,
    },
    #[error("{location}: product tree nests deeper than {limit} levels at {path}")]
    TooDeep {
        location: String,
        path: String,
        limit: usize,
    },
}

/// Why a scraped page or an RSS/Atom listing could not be read. Names the page or listing URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct PageError {
    pub url: String,
    pub reason: String,
}

impl FormatError {
    /// The document the error is about.
    pub fn location(&self) -> &str {
        match self {
            FormatError::TooLarge { location, .. }
            | FormatError::Json { location, .. }
            | FormatError::Toml { location, .. }
            | FormatError::Invalid { location, .. }
            | FormatError::CsafRule { location, .. }
            | FormatError::TooDeep { location, .. } => location,
        }
    }
}

/// Parse one document. CSAF/OSV/CVE5 → one advisory; an NVD API response → one per CVE; a native
/// file → one or more. Errors name the location and the JSON path / line.
pub fn parse_document(
    format: DocFormat,
    bytes: &[u8],
    ctx: &DocContext<'_>,
) -> Result<Vec<Advisory>, FormatError> {
    parse_document_hashed(format, bytes, util::sha256_hex(bytes), ctx)
        .map(|(advisories, _)| advisories)
}

/// [`parse_document`], given the bytes' hex SHA-256 (the advisories' `source.sha256`), and with
/// the warnings of the CSAF tests that only warn (none for the other formats): what a sync
/// counts per feed.
pub fn parse_document_hashed(
    format: DocFormat,
    bytes: &[u8],
    sha256: String,
    ctx: &DocContext<'_>,
) -> Result<(Vec<Advisory>, Vec<CsafWarning>), FormatError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(FormatError::TooLarge {
            location: ctx.location.to_string(),
            size: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let source = Source {
        feed: ctx.feed.clone(),
        format: format.source_format(),
        location: ctx.location.to_string(),
        sha256,
    };
    match format {
        DocFormat::Csaf => csaf::parse(bytes, ctx, source).map(|(a, w)| (vec![a], w)),
        DocFormat::Osv => osv::parse(bytes, ctx, source).map(|a| (vec![a], Vec::new())),
        DocFormat::Cve5 => cve5::parse(bytes, ctx, source).map(|a| (vec![a], Vec::new())),
        DocFormat::Nvd => nvd::parse(bytes, ctx, source).map(|a| (a, Vec::new())),
        DocFormat::Native => native::parse(bytes, ctx, source).map(|a| (a, Vec::new())),
        DocFormat::Kev => kev::parse(bytes, ctx, source).map(|a| (a, Vec::new())),
        DocFormat::Epss => epss::parse(bytes, ctx, source).map(|a| (a, Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in DocFormat::ALL {
            assert_eq!(f.to_string().parse::<DocFormat>().unwrap(), f);
        }
        assert!("rss".parse::<DocFormat>().is_err());
    }

    #[test]
    fn oversized_documents_are_rejected_before_parsing() {
        let feed: FeedId = "t".parse().unwrap();
        let ctx = DocContext {
            feed: &feed,
            location: "big.json",
            default_vendor: None,
            default_scheme: None,
        };
        let bytes = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        let err = parse_document(DocFormat::Csaf, &bytes, &ctx).unwrap_err();
        assert!(matches!(err, FormatError::TooLarge { .. }), "{err}");
        assert_eq!(err.location(), "big.json");
    }
}
