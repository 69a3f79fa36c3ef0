//! Every diagnostic code of every kind of file the operator writes, in one snapshot. Codes are a
//! contract (scripts, suppressions and tests match on them), so adding, renaming or removing one
//! shows up here for review. Each is kebab-case and unique within its domain; domains may share a
//! code when it means the same thing (`parse-error`).

use std::collections::HashSet;
use std::fmt::Write as _;

use firmwatch::check::PLAN_CODES;
use firmwatch::collect::FeedFileCode;
use firmwatch::inventory::Code;

fn is_kebab_case(s: &str) -> bool {
    s.split('-').all(|word| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

#[test]
fn every_code_is_listed_kebab_case_and_unique_in_its_domain() {
    let domains: [(&str, Vec<&str>); 3] = [
        ("inventory", Code::ALL.iter().map(|c| c.as_str()).collect()),
        (
            "feed-file",
            FeedFileCode::ALL.iter().map(|c| c.as_str()).collect(),
        ),
        ("plan", PLAN_CODES.to_vec()),
    ];
    let mut listing = String::new();
    for (domain, codes) in &domains {
        let mut seen = HashSet::new();
        for code in codes {
            assert!(is_kebab_case(code), "{domain}: `{code}` is not kebab-case");
            assert!(seen.insert(code), "{domain}: `{code}` is listed twice");
            let _ = writeln!(listing, "{domain:<10} {code}");
        }
    }
    insta::assert_snapshot!("codes", listing);
}

#[test]
fn kebab_case_means_lower_words_joined_by_single_dashes() {
    for good in ["parse-error", "bad-id", "raid-tolerance-too-large", "cve5"] {
        assert!(is_kebab_case(good), "{good}");
    }
    for bad in [
        "",
        "Parse-error",
        "parse_error",
        "-bad",
        "bad-",
        "bad--id",
        "bad id",
    ] {
        assert!(!is_kebab_case(bad), "{bad}");
    }
}
