//! Every stable code the crate writes — finding codes, rollout hazards, the diagnostics of every
//! kind of file the operator writes (inventory, feed definitions, rollout plans), the warnings
//! of a sync and the differences `inventory drift` reports — in one snapshot,
//! so adding, renaming or removing one is a reviewed change. Each is kebab-case. Finding and hazard
//! codes are unique across everything, so a code in JSON or a notification means one thing; file
//! diagnostics may share a code when it names the same problem in another kind of file
//! (`parse-error`).

use std::collections::BTreeMap;

use firmwatch::blast::FindingCode;
use firmwatch::check::{HazardCode, PlanCode};
use firmwatch::collect::{FeedFileCode, SyncWarningCode};
use firmwatch::discover::merge::DriftCode;
use firmwatch::inventory::InventoryCode;

/// The kinds of file diagnostics: a diagnostic code names a kind of problem, whichever file it is
/// found in, so these may share codes with each other (never with findings or hazards).
const FILE_DIAGNOSTICS: [&str; 3] = ["inventory", "feed-file", "plan"];

fn all_codes() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    all.extend(FindingCode::ALL.map(|c| ("finding", c.as_str())));
    all.extend(HazardCode::ALL.map(|c| ("hazard", c.as_str())));
    all.extend(PlanCode::ALL.map(|c| ("plan", c.as_str())));
    all.extend(InventoryCode::ALL.map(|c| ("inventory", c.as_str())));
    all.extend(FeedFileCode::ALL.map(|c| ("feed-file", c.as_str())));
    all.extend(SyncWarningCode::ALL.map(|c| ("sync", c.as_str())));
    all.extend(DriftCode::ALL.map(|c| ("drift", c.as_str())));
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
                && code.split('-').all(|w| {
                    !w.is_empty()
                        && w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                }),
            "{kind} code `{code}` is not kebab-case"
        );
        kinds.entry(code).or_default().push(kind);
    }
    for (code, k) in &kinds {
        if k.len() > 1 {
            assert!(
                k.iter().all(|kind| FILE_DIAGNOSTICS.contains(kind)),
                "code `{code}` is used by {k:?}: finding and hazard codes must be unique"
            );
            let mut distinct = k.clone();
            distinct.dedup();
            assert_eq!(&distinct, k, "code `{code}` is listed twice in one kind");
        }
    }
    // File diagnostics do share the codes of the same problem.
    assert_eq!(kinds["parse-error"], ["plan", "inventory", "feed-file"]);
    // The finding and the hazard about an overloaded survivor have their own codes.
    assert_eq!(kinds["survivor-overload"], ["finding"]);
    assert_eq!(kinds["rollout-overload"], ["hazard"]);
}
