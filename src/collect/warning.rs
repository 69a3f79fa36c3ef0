//! What a feed's sync warns about without failing the feed: each warning has a stable code
//! ([`SyncWarningCode`]) and, when it is about one document, that document and, where the parser
//! knows it, the JSON path in it.
//!
//! Most are the document's *problems*: what changes what its advisories can match — a CSAF test
//! that only warns, versions kept as text (every match on them is unknown), a product named
//! without versions (every version matches), a statement naming no product, an advisory without
//! any affected product (an NVD entry without configurations: it matches nothing). They are found
//! over the parsed advisories ([`document_problems`]), so every format gets the same checks.
//!
//! A feed of 10,000 documents that all lack a hash file would otherwise say so 10,000 times. The
//! report keeps every warning with its document (`sync --json`, and each is logged at info level,
//! `-v`), while what a person reads is [`summarize`]: one line per feed per code, with how many
//! documents it concerns and the first of them.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::formats::CsafWarning;
use crate::diag::codes;
use crate::model::{Advisory, ProductStatus, SourceFormat, VersionSpec};

codes! {
    /// The kinds of sync warning, each with its stable kebab-case text.
    pub enum SyncWarningCode {
        /// A CSAF document served without a `.sha512` / `.sha256` file: its integrity was not checked.
        NoHashFile = "no-hash-file",
        /// CSAF 6.1.31, tolerated: a `product_version` that is a `vers:` range, read as a range.
        CsafVersAsVersion = "csaf-vers-as-version",
        /// CSAF 6.2.18: a `product_version_range` not in vers form.
        CsafRangeNotVers = "csaf-range-not-vers",
        /// CSAF 6.2.49: a `product_version_range` without an upper bound.
        CsafUpperOpenRange = "csaf-upper-open-range",
        /// Another CSAF test that only warns.
        CsafWarning = "csaf-warning",
        /// An affected product's versions kept as text (`VersionSpec::Unparsed`): matching it is
        /// unknown.
        RangeAsText = "range-as-text",
        /// An affected product without a version bound (named without a version, or all
        /// versions): every version of it matches.
        ProductWithoutVersions = "product-without-versions",
        /// A statement naming no product: unknown for every part of its vendor.
        NoProduct = "no-product",
        /// An NVD entry without configurations (not analysed yet): it matches nothing.
        NvdNoConfigurations = "nvd-no-configurations",
        /// An advisory (not withdrawn) that names no affected product: it matches nothing.
        NoAffectedProduct = "no-affected-product",
        /// The feed failed, and its failure could not be written to the store.
        FailureNotRecorded = "failure-not-recorded",
    }
}

impl SyncWarningCode {
    /// The problem as it follows "N documents" in a summary line.
    pub fn problem(self) -> &'static str {
        match self {
            SyncWarningCode::NoHashFile => "without a hash file (integrity not checked)",
            SyncWarningCode::CsafVersAsVersion => {
                "with a vers range as product_version, read as a range (CSAF 6.1.31)"
            }
            SyncWarningCode::CsafRangeNotVers => {
                "with a product_version_range not in vers form (CSAF 6.2.18)"
            }
            SyncWarningCode::CsafUpperOpenRange => {
                "with a product_version_range without upper bound (CSAF 6.2.49)"
            }
            SyncWarningCode::CsafWarning => "with CSAF warnings",
            SyncWarningCode::RangeAsText => "with versions kept as text (matching them is unknown)",
            SyncWarningCode::ProductWithoutVersions => {
                "with a product without a version bound (every version matches)"
            }
            SyncWarningCode::NoProduct => "with a statement naming no product",
            SyncWarningCode::NvdNoConfigurations => {
                "with an NVD entry without configurations (it matches nothing)"
            }
            SyncWarningCode::NoAffectedProduct => {
                "with an advisory naming no affected product (it matches nothing)"
            }
            SyncWarningCode::FailureNotRecorded => "where the failure could not be recorded",
        }
    }

    /// The code of a CSAF test that failed only as a warning.
    pub fn of_csaf_rule(rule: &str) -> SyncWarningCode {
        match rule {
            "6.1.31" => SyncWarningCode::CsafVersAsVersion,
            "6.2.18" => SyncWarningCode::CsafRangeNotVers,
            "6.2.49" => SyncWarningCode::CsafUpperOpenRange,
            _ => SyncWarningCode::CsafWarning,
        }
    }
}

/// One warning of a feed's sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncWarning {
    pub code: SyncWarningCode,
    /// The document it is about (URL, or path relative to the feed root); none for the feed as a
    /// whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Where in the document, as a JSON path (`$.product_tree.branches[0].name`), when the
    /// parser knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The details (which path in the document, which value).
    pub message: String,
}

impl SyncWarning {
    /// A warning about one document.
    pub fn document(
        code: SyncWarningCode,
        document: impl Into<String>,
        message: impl Into<String>,
    ) -> SyncWarning {
        SyncWarning {
            code,
            document: Some(document.into()),
            path: None,
            message: message.into(),
        }
    }

    /// The same, at `path` in the document.
    pub fn at(mut self, path: impl Into<String>) -> SyncWarning {
        self.path = Some(path.into());
        self
    }

    /// A warning about the feed as a whole.
    pub fn feed(code: SyncWarningCode, message: impl Into<String>) -> SyncWarning {
        SyncWarning {
            code,
            document: None,
            path: None,
            message: message.into(),
        }
    }

    /// A CSAF test that failed only as a warning, in `document`.
    pub fn csaf(document: &str, w: &CsafWarning) -> SyncWarning {
        SyncWarning::document(
            SyncWarningCode::of_csaf_rule(w.rule),
            document,
            format!("{} (CSAF {}): {}", w.path, w.rule, w.message),
        )
        .at(&w.path)
    }
}

/// The problems of one parsed document that change what its advisories can match, each with its
/// code ([`SyncWarningCode`]) and, for an NVD page (one advisory per `vulnerabilities[]` entry,
/// in order), the entry's JSON path. Withdrawn advisories match nothing by design and are skipped.
pub fn document_problems(document: &str, advisories: &[Advisory]) -> Vec<SyncWarning> {
    let mut out = Vec::new();
    for (i, a) in advisories.iter().enumerate() {
        // A withdrawn advisory matches nothing on purpose; an exploitation signal (KEV, EPSS) names
        // no products by design.
        if a.withdrawn.is_some() || a.source.format.is_signal() {
            continue;
        }
        let nvd = a.source.format == SourceFormat::Nvd;
        let at = |w: SyncWarning, field: &str| match nvd {
            true => w.at(format!("$.vulnerabilities[{i}].cve{field}")),
            false => w,
        };
        if a.affected.is_empty() {
            let (code, message) = match nvd {
                true => (
                    SyncWarningCode::NvdNoConfigurations,
                    format!(
                        "{}: no configurations (not analysed yet): it matches nothing",
                        a.id
                    ),
                ),
                false => (
                    SyncWarningCode::NoAffectedProduct,
                    format!("{}: names no affected product: it matches nothing", a.id),
                ),
            };
            out.push(at(
                SyncWarning::document(code, document, message),
                ".configurations",
            ));
            continue;
        }
        for p in &a.affected {
            // Worded only for a statement with a problem: most have none.
            let product = || format!("{} {}", p.vendor, p.product);
            let problem = if !names_something(&p.product) && p.models.is_empty() {
                Some((
                    SyncWarningCode::NoProduct,
                    format!("{}: a statement of {} names no product", a.id, p.vendor),
                ))
            } else {
                match &p.versions {
                    VersionSpec::Unparsed(text) => Some((
                        SyncWarningCode::RangeAsText,
                        format!(
                            "{}: {}: versions kept as text: \"{}\"",
                            a.id,
                            product(),
                            text.trim()
                        ),
                    )),
                    VersionSpec::All if p.status == ProductStatus::Affected => Some((
                        SyncWarningCode::ProductWithoutVersions,
                        format!(
                            "{}: {}: no version bound, every version matches",
                            a.id,
                            product()
                        ),
                    )),
                    _ => None,
                }
            };
            if let Some((code, message)) = problem {
                out.push(at(
                    SyncWarning::document(code, document, message),
                    ".configurations",
                ));
            }
        }
    }
    out
}

/// Whether a product name names anything: [`crate::model::normalize_name`] would keep a
/// character of it.
fn names_something(name: &str) -> bool {
    name.chars().any(char::is_alphanumeric)
}

impl fmt::Display for SyncWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.document {
            Some(d) => write!(f, "[{}] {d}: {}", self.code, self.message),
            None => write!(f, "[{}] {}", self.code, self.message),
        }
    }
}

/// The warnings of one code, for a person to read: how many documents, and the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningSummary {
    pub code: SyncWarningCode,
    /// Distinct documents with this warning (a document with several counts once).
    pub documents: usize,
    /// The first document, in the order the feed lists them.
    pub first: Option<String>,
    /// The first warning's message when no document is concerned (a warning about the feed).
    pub message: Option<String>,
}

impl fmt::Display for WarningSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.first, &self.message) {
            (Some(first), _) => {
                let s = if self.documents == 1 { "" } else { "s" };
                write!(
                    f,
                    "{} document{s} {} (first: {first})",
                    self.documents,
                    self.code.problem()
                )
            }
            (None, Some(m)) => f.write_str(m),
            (None, None) => f.write_str(self.code.as_str()),
        }
    }
}

/// How many documents' warnings of one code a feed's report lists in full; the documents past
/// that are counted ([`NotListed`]). A real CSAF document carries several warnings of a few
/// kilobytes each: a provider of 100,000 documents would otherwise hold hundreds of megabytes of
/// them through the sync, and a report of that many lines is read per code anyway.
pub const LISTED_DOCUMENTS_PER_CODE: usize = 100;

/// The warnings of one code past [`LISTED_DOCUMENTS_PER_CODE`] documents: counted, not kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NotListed {
    pub documents: usize,
    pub warnings: usize,
}

/// The warnings of a sync's documents as they are parsed: each document's warnings of a code are
/// kept while fewer than [`LISTED_DOCUMENTS_PER_CODE`] documents have that code, and counted after.
#[derive(Debug, Default)]
pub struct DocumentWarnings {
    pub listed: Vec<SyncWarning>,
    listed_documents: BTreeMap<SyncWarningCode, usize>,
    pub not_listed: BTreeMap<SyncWarningCode, NotListed>,
}

impl DocumentWarnings {
    /// Add the warnings of one document.
    pub fn add(&mut self, warnings: Vec<SyncWarning>) {
        let mut codes: Vec<SyncWarningCode> = warnings.iter().map(|w| w.code).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut counted = Vec::new();
        for code in codes {
            let listed = self.listed_documents.entry(code).or_default();
            if *listed < LISTED_DOCUMENTS_PER_CODE {
                *listed += 1;
            } else {
                let over = self.not_listed.entry(code).or_default();
                over.documents += 1;
                over.warnings += warnings.iter().filter(|w| w.code == code).count();
                counted.push(code);
            }
        }
        self.listed
            .extend(warnings.into_iter().filter(|w| !counted.contains(&w.code)));
    }
}

/// One summary per code, in code order; documents counted once per code, the first one kept,
/// with the documents whose warnings were counted and not listed ([`NotListed`]).
pub fn summarize(
    warnings: &[SyncWarning],
    not_listed: &BTreeMap<SyncWarningCode, NotListed>,
) -> Vec<WarningSummary> {
    let mut by: BTreeMap<SyncWarningCode, (WarningSummary, std::collections::HashSet<&str>)> =
        BTreeMap::new();
    for w in warnings {
        let (s, seen) = by.entry(w.code).or_insert_with(|| {
            (
                WarningSummary {
                    code: w.code,
                    documents: 0,
                    first: None,
                    message: None,
                },
                Default::default(),
            )
        });
        match &w.document {
            Some(d) => {
                if seen.insert(d) {
                    s.documents += 1;
                }
                if s.first.is_none() {
                    s.first = Some(d.clone());
                }
            }
            None => {
                if s.message.is_none() {
                    s.message = Some(w.message.clone());
                }
            }
        }
    }
    for (code, n) in not_listed {
        if let Some((s, _)) = by.get_mut(code) {
            s.documents += n.documents;
        }
    }
    by.into_values().map(|(s, _)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_summary_per_code_counting_each_document_once() {
        let mut w: Vec<SyncWarning> = (0..50)
            .map(|i| {
                SyncWarning::document(
                    SyncWarningCode::NoHashFile,
                    format!("https://x/{i}.json"),
                    "no hash file",
                )
            })
            .collect();
        // Two 6.2.18 warnings in one document, one in another.
        for (doc, path) in [("a.json", "p1"), ("a.json", "p2"), ("b.json", "p1")] {
            w.push(SyncWarning::document(
                SyncWarningCode::CsafRangeNotVers,
                doc,
                path,
            ));
        }
        w.push(SyncWarning::feed(
            SyncWarningCode::FailureNotRecorded,
            "could not record the failure: disk full",
        ));
        let s: Vec<String> = summarize(&w, &BTreeMap::new())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            s,
            [
                "50 documents without a hash file (integrity not checked) (first: https://x/0.json)",
                "2 documents with a product_version_range not in vers form (CSAF 6.2.18) (first: a.json)",
                "could not record the failure: disk full",
            ]
        );
    }

    #[test]
    fn one_document_is_singular() {
        let w = [SyncWarning::document(
            SyncWarningCode::CsafUpperOpenRange,
            "a.json",
            "x",
        )];
        assert_eq!(
            summarize(&w, &BTreeMap::new())[0].to_string(),
            "1 document with a product_version_range without upper bound (CSAF 6.2.49) (first: a.json)"
        );
    }

    fn advisory(format: SourceFormat, affected: Vec<crate::model::AffectedProduct>) -> Advisory {
        Advisory {
            affected,
            ..Advisory::new(
                "ADV-1".parse().unwrap(),
                "Acme".into(),
                "t".into(),
                crate::model::Source {
                    feed: "f".parse().unwrap(),
                    format,
                    location: "d".into(),
                    sha256: String::new(),
                },
            )
        }
    }

    fn statement(product: &str, versions: VersionSpec) -> crate::model::AffectedProduct {
        crate::model::AffectedProduct {
            vendor: "Acme".into(),
            product: product.into(),
            models: vec![],
            component: None,
            scheme: None,
            status: ProductStatus::Affected,
            versions,
            fixed_in: vec![],
            identifiers: vec![],
            recommended: false,
        }
    }

    #[test]
    fn problems_that_change_what_can_be_matched_are_found_in_every_format() {
        let a = advisory(
            SourceFormat::Csaf,
            vec![
                statement("Array", VersionSpec::Unparsed(" all before 5.x ".into())),
                statement("Shelf", VersionSpec::All),
                statement("", VersionSpec::All),
                statement("Fine", VersionSpec::Exact("1.0".into())),
            ],
        );
        let p = document_problems("a.json", &[a]);
        let codes: Vec<_> = p.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                SyncWarningCode::RangeAsText,
                SyncWarningCode::ProductWithoutVersions,
                SyncWarningCode::NoProduct,
            ]
        );
        assert!(p.iter().all(|w| w.document.as_deref() == Some("a.json")));
        assert!(p.iter().all(|w| w.path.is_none()), "no path known: {p:?}");
        assert_eq!(
            p[0].message,
            "ADV-1: Acme Array: versions kept as text: \"all before 5.x\""
        );

        // An NVD page: each entry's problems at its JSON path; a withdrawn entry has none.
        let mut withdrawn = advisory(SourceFormat::Nvd, vec![]);
        withdrawn.withdrawn = Some(chrono::Utc::now());
        let nvd = [
            advisory(SourceFormat::Nvd, vec![statement("x", VersionSpec::All)]),
            withdrawn,
            advisory(SourceFormat::Nvd, vec![]),
        ];
        let p = document_problems("https://nvd/page", &nvd);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[1].code, SyncWarningCode::NvdNoConfigurations);
        assert_eq!(
            p[1].path.as_deref(),
            Some("$.vulnerabilities[2].cve.configurations")
        );
        let json = serde_json::to_value(&p[1]).unwrap();
        assert_eq!(json["path"], "$.vulnerabilities[2].cve.configurations");
        // Another format without statements.
        let p = document_problems("o.json", &[advisory(SourceFormat::Osv, vec![])]);
        assert_eq!(p[0].code, SyncWarningCode::NoAffectedProduct);
    }

    #[test]
    fn csaf_warnings_keep_their_path() {
        let w = SyncWarning::csaf(
            "a.json",
            &CsafWarning {
                rule: "6.2.18",
                path: "$.product_tree.branches[0].name".into(),
                message: "m".into(),
            },
        );
        assert_eq!(w.path.as_deref(), Some("$.product_tree.branches[0].name"));
        assert_eq!(w.code, SyncWarningCode::CsafRangeNotVers);
    }

    #[test]
    fn csaf_rules_have_their_codes() {
        assert_eq!(
            SyncWarningCode::of_csaf_rule("6.2.18"),
            SyncWarningCode::CsafRangeNotVers
        );
        assert_eq!(
            SyncWarningCode::of_csaf_rule("6.9.99"),
            SyncWarningCode::CsafWarning
        );
    }

    #[test]
    fn past_the_listed_documents_of_a_code_warnings_are_counted_not_kept() {
        let mut kept = DocumentWarnings::default();
        for i in 0..LISTED_DOCUMENTS_PER_CODE + 50 {
            let doc = format!("https://x/{i}.json");
            let mut w = vec![
                SyncWarning::document(SyncWarningCode::CsafRangeNotVers, &doc, "p1"),
                SyncWarning::document(SyncWarningCode::CsafRangeNotVers, &doc, "p2"),
            ];
            // A rarer code on every tenth document stays listed in full.
            if i % 10 == 0 {
                w.push(SyncWarning::document(
                    SyncWarningCode::NoHashFile,
                    &doc,
                    "no hash",
                ));
            }
            kept.add(w);
        }
        let listed = |code| kept.listed.iter().filter(|w| w.code == code).count();
        assert_eq!(
            listed(SyncWarningCode::CsafRangeNotVers),
            2 * LISTED_DOCUMENTS_PER_CODE
        );
        assert_eq!(listed(SyncWarningCode::NoHashFile), 15);
        assert_eq!(
            kept.not_listed[&SyncWarningCode::CsafRangeNotVers],
            NotListed {
                documents: 50,
                warnings: 100
            }
        );
        assert!(!kept.not_listed.contains_key(&SyncWarningCode::NoHashFile));
        let s = summarize(&kept.listed, &kept.not_listed);
        let range = s
            .iter()
            .find(|s| s.code == SyncWarningCode::CsafRangeNotVers)
            .unwrap();
        assert_eq!(range.documents, LISTED_DOCUMENTS_PER_CODE + 50);
        assert_eq!(range.first.as_deref(), Some("https://x/0.json"));
    }
}
