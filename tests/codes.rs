//! Every stable code the crate writes — finding codes, rollout hazards, plan file and inventory
//! diagnostics — in one snapshot, so adding, renaming or removing one is a reviewed change, and
//! unique across all of them, so a code in JSON, a notification or a diagnostic means one thing.

use std::collections::BTreeMap;

use firmwatch::blast::FindingCode;
use firmwatch::check::{HazardCode, PlanCode};
use firmwatch::inventory::Code;

/// Plan files and inventory files report the same three problems under the same codes: a
/// diagnostic code names a kind of problem, whichever file it is found in.
const SHARED_BY_FILE_DIAGNOSTICS: [&str; 3] = ["parse-error", "unknown-reference", "bad-firmware"];

fn all_codes() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    all.extend(FindingCode::ALL.map(|c| ("finding", c.as_str())));
    all.extend(HazardCode::ALL.map(|c| ("hazard", c.as_str())));
    all.extend(PlanCode::ALL.map(|c| ("plan", c.as_str())));
    all.extend(Code::ALL.map(|c| ("inventory", c.as_str())));
    all
}

#[test]
fn every_code_of_the_crate() {
    let listing: String = all_codes()
        .iter()
        .map(|(kind, code)| format!("{kind:<10} {code}\n"))
        .collect();
    insta::assert_snapshot!(listing);
}

#[test]
fn codes_are_kebab_case_and_unique_across_all_kinds() {
    let mut kinds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (kind, code) in all_codes() {
        assert!(
            !code.is_empty()
                && code
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
            "{kind} code `{code}` is not kebab-case"
        );
        kinds.entry(code).or_default().push(kind);
    }
    let repeated: Vec<(&str, &Vec<&str>)> = kinds
        .iter()
        .filter(|(_, k)| k.len() > 1)
        .map(|(c, k)| (*c, k))
        .collect();
    for (code, k) in &repeated {
        assert!(
            SHARED_BY_FILE_DIAGNOSTICS.contains(code) && **k == ["plan", "inventory"],
            "code `{code}` is used by {k:?}"
        );
    }
    assert_eq!(
        repeated.len(),
        SHARED_BY_FILE_DIAGNOSTICS.len(),
        "{repeated:?}"
    );
    // The finding and the hazard about an overloaded survivor have their own codes.
    assert_eq!(kinds["survivor-overload"], ["finding"]);
    assert_eq!(kinds["rollout-overload"], ["hazard"]);
}
