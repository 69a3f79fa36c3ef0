//! `listing::parse_index` on CSAF `changes.csv` and `index.txt` listings, then `resolve_entry` and
//! the URL join the collectors do for each entry: no panic; every entry is a non-empty, trimmed path
//! of at most `MAX_ENTRY_LEN` bytes without whitespace or control characters, an `index.txt` entry is
//! never a comment, and an entry `confine_entry` accepts joins to a URL inside the directory (or is
//! an absolute URL, which the collector checks after joining).
#![no_main]

use std::sync::OnceLock;

use firmwatch::collect::listing::{
    confine_entry, inside_dir, join_entry, parse_index, resolve_entry, MAX_ENTRY_LEN,
};
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
            assert!(entry.len() <= MAX_ENTRY_LEN, "{name}: entry too long");
            assert!(
                !entry.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{name}: whitespace or control character in {entry:?}"
            );
            let resolved = resolve_entry("white", entry);
            if confine_entry(&resolved, true).is_ok() && !resolved.contains("://") {
                if let Ok(url) = join_entry(base(), &resolved) {
                    assert!(
                        inside_dir(base(), &url),
                        "{resolved:?} left the directory: {url}"
                    );
                }
            }
        }
    }
});
