//! OSV records.

use std::path::Path;

use firmwatch::collect::formats::DocFormat;
use firmwatch::model::{Advisory, VersionSpec};

use super::range_text as range;

fn parse(path: &Path, default_vendor: Option<&str>) -> Advisory {
    let location = path.display().to_string();
    let bytes = std::fs::read(path).unwrap();
    super::parse_with(
        DocFormat::Osv,
        "osv",
        &location,
        &bytes,
        default_vendor,
        None,
    )
    .unwrap()
    .remove(0)
}

#[test]
fn withdrawn_record() {
    let corpus = corpus_or_skip!();
    let a = parse(&corpus.join("osv/ghsa-withdrawn.osv.json"), None);
    assert!(a.withdrawn.is_some());
    assert_eq!(a.vendor, "RubyGems");
    // Three introduced/fixed pairs in one range.
    assert_eq!(
        range(&a.affected[0].versions),
        "vers:intdot/>=3.2.0|<3.2.22|>=4.0.0|<4.1.11|>=4.2.0|<4.2.2"
    );
}

#[test]
fn last_affected_is_inclusive() {
    let corpus = corpus_or_skip!();
    let a = parse(
        &corpus.join("osv/GHSA-wcg3-cvx6-7396.extracted.json"),
        Some("Time"),
    );
    assert_eq!(a.vendor, "Time");
    let ranges: Vec<String> = a.affected.iter().map(|s| range(&s.versions)).collect();
    // "0.1" is not SemVer: the dotted-numbers fallback keeps the range decidable.
    assert!(
        ranges.contains(&"vers:intdot/>=0.1|<=0.2".to_string()),
        "{ranges:?}"
    );
    assert!(
        ranges.contains(&"vers:semver/>=0.2.7|<0.2.23".to_string()),
        "{ranges:?}"
    );
    assert!(a.affected.iter().any(|s| s.fixed_in == ["0.2.23"]));
    assert!(a.aliases.iter().any(|x| x.as_str() == "CVE-2020-26235"));
}

#[test]
fn git_ranges_versions_lists_and_no_affected() {
    let corpus = corpus_or_skip!();
    let git = parse(&corpus.join("osv/CVE-2023-41045.json"), None);
    assert!(!git.affected.is_empty());
    assert!(git
        .affected
        .iter()
        .all(|s| matches!(&s.versions, VersionSpec::Unparsed(t) if t.starts_with("GIT range"))));

    let gradio = parse(&corpus.join("osv/GHSA-9v2f-6vcg-3hgv.json"), None);
    // versions[] only, with the odd "4.36.-1": kept as an explicit list, never a range guess.
    assert!(gradio.affected.iter().all(|s| match &s.versions {
        VersionSpec::Range(r) => r
            .constraints()
            .iter()
            .all(|c| c.comparator.as_str().is_empty()),
        VersionSpec::Exact(_) | VersionSpec::Unparsed(_) => true,
        VersionSpec::All => false,
    }));

    let rhsa = parse(&corpus.join("osv/RHSA-2022_0216.json"), None);
    assert!(rhsa.affected.is_empty());

    let open = parse(
        &corpus.join("osv/ghsa-less_than_equals_no_patch.osv.json"),
        None,
    );
    assert_eq!(open.affected[0].versions, VersionSpec::All);
}
