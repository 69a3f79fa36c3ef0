//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod http;
pub mod smtp;

use std::path::PathBuf;

/// The real advisory corpus (`../shared/corpus`, or `FIRMWATCH_CORPUS`).
///
/// Returns `None` (after printing a notice) when it is missing, so the suite passes on a clone
/// without it; with `FIRMWATCH_REQUIRE_CORPUS=1` (set by `.ci/run`) a missing corpus fails instead.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("FIRMWATCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("FIRMWATCH_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!(
            "FIRMWATCH_REQUIRE_CORPUS=1 but the corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "notice: corpus not found at {} (set FIRMWATCH_CORPUS); skipping corpus tests",
        dir.display()
    );
    None
}

/// `corpus()` joined with a relative path, or return from the test when the corpus is absent.
macro_rules! corpus_or_skip {
    () => {
        match $crate::support::corpus() {
            Some(dir) => dir,
            None => return,
        }
    };
}
