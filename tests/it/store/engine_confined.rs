//! Each storage engine is named in one file: the `sled` crate in `src/store/sled.rs`, the `redb`
//! crate in `src/store/redb.rs`. Everything else persists through the store's traits, so an engine
//! is swapped without touching sync, the notifier or the CLI. This test reads every source file
//! under `src/` and fails with each line elsewhere that refers to an engine's crate (`use sled…`,
//! `sled::…`, `::redb::…`, `extern crate sled`). A path through the store's own module
//! (`self::sled::SledStore`) is not a reference to the crate.

use std::path::{Path, PathBuf};

/// Each engine's crate and the one file that may name it.
const ENGINES: [(&str, &str); 2] = [("sled", "src/store/sled.rs"), ("redb", "src/store/redb.rs")];

/// Whether `line` refers to the `sled` crate.
fn names_sled_crate(line: &str) -> bool {
    names_crate(line, "sled")
}

/// Whether `line` refers to the crate `krate`.
fn names_crate(line: &str, krate: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = line[from..].find(krate) {
        let at = from + i;
        from = at + krate.len();
        let (before, after) = (&line[..at], &line[from..]);
        if before.ends_with(ident) || after.starts_with(ident) {
            continue; // part of a longer identifier
        }
        let root = match before.strip_suffix("::") {
            // `self::sled`, `super::sled`, `store::sled`: the store's module.
            Some(rest) if rest.ends_with(ident) => continue,
            // `::sled`: the crate, from the root.
            Some(rest) => rest,
            None => before,
        };
        if after.starts_with("::") {
            return true;
        }
        let root = root.trim_end();
        let previous = root.rsplit(|c: char| !ident(c)).next().unwrap_or("");
        if previous == "use" || root.ends_with("extern crate") {
            return true;
        }
    }
    false
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `path:line: text` of every line of `files` that names the crate `krate`.
fn offenders(root: &Path, files: &[PathBuf], krate: &str) -> Vec<String> {
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        for (n, line) in text.lines().enumerate() {
            if names_crate(line, krate) {
                out.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn each_engine_is_named_only_in_its_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    assert!(files.len() > 20, "only {} source files found", files.len());
    for (krate, file) in ENGINES {
        let engine = root.join(file);
        assert!(files.contains(&engine), "{file} is gone: update this test");
        // The scan sees the engine where it is, so a clean result elsewhere means something.
        assert!(
            !offenders(root, std::slice::from_ref(&engine), krate).is_empty(),
            "{file} does not name {krate}: the scan is broken"
        );
        let elsewhere: Vec<PathBuf> = files.iter().filter(|f| **f != engine).cloned().collect();
        let found = offenders(root, &elsewhere, krate);
        assert!(
            found.is_empty(),
            "{krate} is named outside {file}; go through the store's traits instead:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_scan_tells_the_crate_from_the_stores_module() {
    for line in [
        "use sled::Transactional;",
        "use ::sled::transaction::TransactionError;",
        "    use sled;",
        "extern crate sled;",
        "fn io(e: sled::Error) -> StoreError {",
        "    db: ::sled::Db,",
        "let mut batch = sled::Batch::default();",
        "Result<Vec<(sled::IVec, sled::IVec)>, E>",
        "        match ev { sled::Event::Insert { key, .. } => key }",
    ] {
        assert!(names_sled_crate(line), "missed: {line}");
    }
    for line in [
        "mod sled;",
        "pub use self::sled::SledStore;",
        "use super::sled::SledStore;",
        "use crate::store::sled::SledStore;",
        "//! The sled-backed store, opened by `SledStore::open`.",
        "let unsled = 1; unsled::x();",
        "sleds::x",
    ] {
        assert!(!names_sled_crate(line), "flagged: {line}");
    }
}
