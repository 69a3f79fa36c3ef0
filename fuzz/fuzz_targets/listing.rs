//! `listing::parse_index` on CSAF `changes.csv` and `index.txt` listings, then `resolve_entry` and
//! the URL join the collectors do for each entry: no panic; every entry is a non-empty, trimmed path
//! and an `index.txt` entry is never a comment.
#![no_main]

use std::sync::OnceLock;

use firmwatch::collect::listing::{parse_index, resolve_entry};
use libfuzzer_sys::fuzz_target;

fn base() -> &'static url::Url {
    static BASE: OnceLock<url::Url> = OnceLock::new();
    BASE.get_or_init(|| url::Url::parse("https://fuzz.example/csaf/white/").expect("url"))
}

fuzz_target!(|data: &[u8]| {
    // The collectors read listings with `String::from_utf8_lossy`.
    let text = String::from_utf8_lossy(data);
    for name in ["changes.csv", "index.txt"] {
        let Ok(entries) = parse_index(name, &text) else {
            continue;
        };
        for (entry, _) in &entries {
            assert!(!entry.is_empty(), "{name}: empty entry");
            if name == "index.txt" {
                assert_eq!(entry.trim(), entry, "{name}: untrimmed entry");
                assert!(!entry.starts_with('#'), "{name}: comment read as entry");
            }
            let resolved = resolve_entry("white", entry);
            let _ = base().join(&resolved);
        }
    }
});
