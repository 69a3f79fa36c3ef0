//! Every advisory document of the real corpus goes through its parser without panicking; valid
//! documents yield advisories, the known-invalid ones are rejected with a message naming the rule.
//!
//! Non-advisory files are identified by path and content and skipped: signatures and hashes
//! (`.asc`, `.sha256`, `.sha512`), non-JSON files (`index.txt`, `changes.csv`, HTML, Go
//! templates), and JSON that is not an advisory — ROLIE feeds/services/categories (`feed`,
//! `service`, `categories` at the top), provider metadata (`canonical_url`), aggregators
//! (`aggregator`), the OASIS `testcases.json` index (`tests`).

use std::path::{Path, PathBuf};

use firmwatch::collect::formats::{DocFormat, FormatError};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `Some(reason)` when the file is not an advisory document.
fn not_an_advisory(path: &Path, bytes: &[u8]) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().to_string();
    if [".asc", ".sha256", ".sha512"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return Some("signature / hash");
    }
    if !name.ends_with(".json") {
        return Some("not JSON");
    }
    // gocsaf's test providers are Go templates (`{{.URL}}`), not documents, until rendered.
    if bytes.windows(2).any(|w| w == b"{{") && path.to_string_lossy().contains("gocsaf-simple") {
        return Some("Go template");
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let obj = value.as_object()?;
    for (key, why) in [
        ("feed", "ROLIE feed"),
        ("service", "ROLIE service document"),
        ("categories", "ROLIE category document"),
        ("canonical_url", "provider metadata"),
        ("aggregator", "aggregator"),
        ("tests", "OASIS testcases index"),
        ("testschema_version", "OASIS testcases index"),
    ] {
        if obj.contains_key(key) {
            return Some(why);
        }
    }
    None
}

fn parse(format: DocFormat, path: &Path, bytes: &[u8]) -> Result<usize, FormatError> {
    super::parse(format, "corpus", &path.display().to_string(), bytes).map(|a| a.len())
}

/// The CSAF files that must be rejected, and the rule their message must name.
fn expected_rejection(path: &Path) -> Option<&'static str> {
    let s = path.to_string_lossy();
    if s.contains("trailing-garbage-data") {
        return Some("trailing characters");
    }
    let name = path.file_name()?.to_string_lossy();
    // OASIS testcases: `-0x` must fail, `-1x` must pass. Optional/recommended (6.2.x) tests only
    // warn (see the csaf module doc), so their `-0x` files are accepted and checked in formats_csaf.
    for (rule, tag) in [
        ("6.1.1", "6-1-01-0"),
        ("6.1.6", "6-1-06-0"),
        ("6.1.31", "6-1-31-0"),
        ("6.1.50", "6-1-50-0"),
    ] {
        if name.contains(tag) {
            return Some(rule);
        }
    }
    None
}

#[test]
fn every_corpus_document_parses_or_is_rejected_for_a_reason() {
    let corpus = corpus_or_skip!();
    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for (sub, format) in [
        ("csaf", DocFormat::Csaf),
        ("osv", DocFormat::Osv),
        ("cve5", DocFormat::Cve5),
        ("nvd", DocFormat::Nvd),
    ] {
        let mut files = Vec::new();
        walk(&corpus.join(sub), &mut files);
        files.sort();
        let (mut parsed, mut skipped, mut rejected) = (0, 0, 0);
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            if let Some(why) = not_an_advisory(&path, &bytes) {
                let _ = why;
                skipped += 1;
                continue;
            }
            let expected = expected_rejection(&path);
            let derived_invalid = path.to_string_lossy().contains("/invalid/");
            match (parse(format, &path, &bytes), expected) {
                (Ok(n), None) => {
                    assert!(n >= 1, "{}: no advisories", path.display());
                    parsed += 1;
                }
                (Ok(_), Some(rule)) if !derived_invalid => {
                    failures.push(format!("{} must be rejected ({rule})", path.display()))
                }
                (Ok(_), Some(_)) => parsed += 1,
                (Err(e), Some(rule)) => {
                    let msg = e.to_string();
                    if !msg.contains(rule) {
                        failures.push(format!("{}: `{msg}` does not name {rule}", path.display()));
                    }
                    rejected += 1;
                }
                (Err(e), None) if derived_invalid => {
                    let _ = e;
                    rejected += 1;
                }
                (Err(e), None) => failures.push(format!("{}: {e}", path.display())),
            }
        }
        summary.push(format!(
            "{sub}: {parsed} parsed, {rejected} rejected, {skipped} skipped"
        ));
        if parsed == 0 {
            failures.push(format!("{sub}: nothing parsed"));
        }
    }
    eprintln!("{}", summary.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
