//! What a feed's sync warns about without failing the feed: each warning has a stable code
//! ([`SyncWarningCode`]) and, when it is about one document, that document.
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
            message: message.into(),
        }
    }

    /// A warning about the feed as a whole.
    pub fn feed(code: SyncWarningCode, message: impl Into<String>) -> SyncWarning {
        SyncWarning {
            code,
            document: None,
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
    }
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

/// One summary per code, in code order; documents counted once per code, the first one kept.
pub fn summarize(warnings: &[SyncWarning]) -> Vec<WarningSummary> {
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
        let s: Vec<String> = summarize(&w).iter().map(ToString::to_string).collect();
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
            summarize(&w)[0].to_string(),
            "1 document with a product_version_range without upper bound (CSAF 6.2.49) (first: a.json)"
        );
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
}
