//! No input makes a parser panic: arbitrary bytes and mangled real-looking documents end in `Ok`
//! or a `FormatError` that names the document.

use firmwatch::collect::formats::DocFormat;
use proptest::prelude::*;

use crate::formats::parse;

fn run(format: DocFormat, bytes: &[u8]) {
    if let Err(e) = parse(format, "fuzz", "fuzz-doc", bytes) {
        assert!(e.to_string().contains("fuzz-doc"), "{e}");
    }
}

const SEEDS: [&str; 4] = [
    r#"{"document":{"csaf_version":"2.0","title":"t","publisher":{"category":"vendor","name":"V"},"tracking":{"id":"X-1"}},"product_tree":{"branches":[{"category":"vendor","name":"V","branches":[{"category":"product_version_range","name":"<V7.0.3","product":{"name":"p","product_id":"A"}}]}]},"vulnerabilities":[{"product_status":{"known_affected":["A"]}}]}"#,
    r#"{"id":"OSV-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}]}"#,
    r#"{"cveMetadata":{"cveId":"CVE-2024-0001","state":"PUBLISHED"},"containers":{"cna":{"affected":[{"vendor":"Dell","product":"Unity","versions":[{"version":"0","lessThan":"5.3","status":"affected","changes":[{"at":"5.1","status":"unaffected"}]}]}]}}}"#,
    r#"{"vulnerabilities":[{"cve":{"id":"CVE-2024-0002","configurations":[{"operator":"AND","nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:v:x_firmware:*:*:*:*:*:*:*:*","versionEndExcluding":"2.0"}]},{"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:v:x:-:*:*:*:*:*:*:*"}]}]}]}}]}"#,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for f in DocFormat::ALL {
            run(f, &bytes);
        }
    }

    /// Replace one character of a valid seed document with an arbitrary one.
    #[test]
    fn mutated_documents_never_panic(seed in 0usize..4, at in 0usize..600, c in any::<char>()) {
        let doc = SEEDS[seed];
        let at = at % doc.len();
        let mut mutated: String = doc.chars().take(at).collect();
        mutated.push(c);
        mutated.extend(doc.chars().skip(at + 1));
        for f in DocFormat::ALL {
            run(f, mutated.as_bytes());
        }
    }
}

#[test]
fn seeds_are_valid_documents() {
    for (seed, format) in SEEDS.iter().zip([
        DocFormat::Csaf,
        DocFormat::Osv,
        DocFormat::Cve5,
        DocFormat::Nvd,
    ]) {
        let advs = parse(format, "seed", "seed", seed.as_bytes()).unwrap();
        assert!(!advs.is_empty() && !advs[0].affected.is_empty(), "{format}");
    }
}

/// Deep nesting is refused by the JSON/TOML readers' recursion limits instead of overflowing the
/// stack (OSV keeps `database_specific` as a free JSON value, the likeliest place for it).
#[test]
fn deep_nesting_is_an_error() {
    let deep = format!(
        r#"{{"id":"OSV-1","modified":"2024-01-01T00:00:00Z","database_specific":{}{}}}"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    for f in [
        DocFormat::Osv,
        DocFormat::Csaf,
        DocFormat::Cve5,
        DocFormat::Nvd,
        DocFormat::Native,
    ] {
        run(f, deep.as_bytes());
    }
    let toml = format!("a = {}{}", "[".repeat(50_000), "]".repeat(50_000));
    run(DocFormat::Native, toml.as_bytes());
    let err = parse(DocFormat::Osv, "deep", "deep", deep.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
}
