//! FIRST's EPSS scores (`epss_scores-YYYY-MM-DD.csv.gz`, or the CSV inside it).
//!
//! The file gives every published CVE the probability that it is exploited in the wild in the
//! next 30 days (`epss`) and its rank among all scored CVEs (`percentile`), under a comment line
//! naming the model and the day of scoring:
//!
//! ```text
//! #model_version:v2025.03.14,score_date:2026-12-05T12:55:00Z
//! cve,epss,percentile
//! CVE-2021-44228,0.94358,0.99957
//! ```
//!
//! Like the KEV catalog it is a signal, not an advisory: a row becomes a record of source format
//! `epss` with that CVE id, its [`Epss`] and no product statements, joined by
//! `pipeline::prepare` into the advisories of the same id from the other feeds.
//!
//! Only rows at or above [`KEEP_FROM`] are kept. The file has ~300,000 rows and almost all of them
//! score well under 1 %: they would not change a rating (the security rule raises urgency from
//! [`KEEP_FROM`] on) and would cost every `exposure` a read of them. A kept CVE whose score later
//! drops below it leaves the file's records on the next sync, like a withdrawn entry of any feed.

use std::io::Read;

use chrono::NaiveDate;

use super::util::invalid;
use super::{DocContext, FormatError, MAX_DOCUMENT_BYTES};
use crate::model::{Advisory, AdvisoryId, Epss, Source};

/// The lowest score kept: a 10 % chance of exploitation within 30 days.
pub const KEEP_FROM: f64 = 0.1;

/// A gzip file's first bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest text a `.csv.gz` may unpack to (the real file unpacks to ~10 MiB).
const MAX_UNPACKED_BYTES: u64 = 4 * MAX_DOCUMENT_BYTES as u64;

pub(crate) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Vec<Advisory>, FormatError> {
    let location = ctx.location;
    let unpacked;
    let text: &[u8] = if bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_UNPACKED_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| invalid(location, "gzip", format!("does not unpack: {e}")))?;
        if out.len() as u64 > MAX_UNPACKED_BYTES {
            return Err(invalid(
                location,
                "gzip",
                format!("unpacks to more than {MAX_UNPACKED_BYTES} bytes"),
            ));
        }
        unpacked = out;
        &unpacked
    } else {
        bytes
    };
    let text = std::str::from_utf8(text)
        .map_err(|e| invalid(location, "text", format!("is not UTF-8: {e}")))?;

    // The comment line, then the header, then the rows.
    let mut scored_on = None;
    let mut first = 1;
    let mut body = text;
    if let Some(rest) = text.strip_prefix('#') {
        let (comment, after) = rest.split_once('\n').unwrap_or((rest, ""));
        scored_on = comment
            .split(',')
            .find_map(|kv| kv.trim().strip_prefix("score_date:"))
            .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok());
        body = after;
        first = 2;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let line = |n: usize| format!("line {n}");
    let headers = reader
        .headers()
        .map_err(|e| invalid(location, line(first), e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(cve), Some(score), Some(pct)) = (col("cve"), col("epss"), col("percentile")) else {
        return Err(invalid(
            location,
            line(first),
            format!(
                "the header is `{}`, not `cve,epss,percentile`",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let at = line(first + 1 + i);
        let row = row.map_err(|e| invalid(location, at.clone(), e.to_string()))?;
        let field = |c: usize| row.get(c).map(str::trim).unwrap_or("");
        let number = |c: usize, what: &str| -> Result<f64, FormatError> {
            field(c)
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| {
                    invalid(
                        location,
                        at.clone(),
                        format!("{what} `{}` is not a number from 0 to 1", field(c)),
                    )
                })
        };
        let (score, percentile) = (number(score, "epss")?, number(pct, "percentile")?);
        let id: AdvisoryId = field(cve)
            .parse()
            .ok()
            .filter(AdvisoryId::is_cve)
            .ok_or_else(|| {
                invalid(
                    location,
                    at.clone(),
                    format!("`{}` is not a CVE id", field(cve)),
                )
            })?;
        if score < KEEP_FROM {
            continue;
        }
        let title = id.to_string();
        let mut a = Advisory::new(id, String::new(), title, source.clone());
        a.epss = Some(Epss {
            score,
            percentile,
            scored_on,
        });
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::model::{FeedId, SourceFormat};

    fn parse_bytes(bytes: &[u8]) -> Result<Vec<Advisory>, FormatError> {
        let feed: FeedId = "epss".parse().unwrap();
        let ctx = DocContext {
            feed: &feed,
            location: "epss_scores.csv",
            default_vendor: None,
            default_scheme: None,
        };
        let source = Source {
            feed: feed.clone(),
            format: SourceFormat::Epss,
            location: "epss_scores.csv".into(),
            sha256: String::new(),
        };
        parse(bytes, &ctx, source)
    }

    const FILE: &str = "#model_version:v2025.03.14,score_date:2026-12-05T12:55:00Z\n\
                        cve,epss,percentile\n\
                        CVE-2021-44228,0.94358,0.99957\n\
                        CVE-2020-0001,0.00043,0.11872\n\
                        CVE-2023-4863,0.1,0.9\n";

    #[test]
    fn rows_from_the_threshold_become_signals_with_the_scoring_day() {
        let a = parse_bytes(FILE.as_bytes()).unwrap();
        let ids: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2021-44228", "CVE-2023-4863"]);
        let e = a[0].epss.unwrap();
        assert_eq!((e.score, e.percentile), (0.94358, 0.99957));
        assert_eq!(e.scored_on, Some("2026-12-05".parse().unwrap()));
        assert!(a[0].affected.is_empty(), "a signal names no products");
        // Without the comment line there is no scoring day, and the rows are the same.
        let bare = FILE.split_once('\n').unwrap().1;
        let b = parse_bytes(bare.as_bytes()).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].epss.unwrap().scored_on, None);
    }

    #[test]
    fn a_gzipped_file_reads_the_same() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(FILE.as_bytes()).unwrap();
        let a = parse_bytes(&gz.finish().unwrap()).unwrap();
        assert_eq!(a, parse_bytes(FILE.as_bytes()).unwrap());
    }

    #[test]
    fn a_bad_row_or_header_is_named_by_its_line() {
        let bad = FILE.replace("0.1,0.9", "high,0.9");
        let e = parse_bytes(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("`high`"), "{e}");
        let bad = FILE.replace("CVE-2023-4863", "GHSA-xxxx");
        let e = parse_bytes(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("not a CVE id"), "{e}");
        let e = parse_bytes(b"id,score\nCVE-2021-44228,0.9\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 1") && e.contains("cve,epss,percentile"),
            "{e}"
        );
        let e = parse_bytes(&[0x1f, 0x8b, 0, 1, 2]).unwrap_err().to_string();
        assert!(e.contains("does not unpack"), "{e}");
    }
}
