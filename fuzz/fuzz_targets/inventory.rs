//! Inventory files through `inventory::load_sources`, the pure core of `load_path`. The input is
//! up to three files separated by NUL bytes; a file whose first non-blank byte is `{` is JSON, the
//! others TOML (so cross-file references get exercised).
//!
//! Checks: no panic; a failed load has at least one diagnostic and renders (codespan, with carets
//! on the resolved spans) without panicking; every resolved span lies inside its file on character
//! boundaries.
#![no_main]

use firmwatch::inventory::{load_sources, LoadError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files: Vec<(String, String)> = data
        .splitn(3, |&b| b == 0)
        .enumerate()
        .map(|(i, bytes)| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let ext = if text.trim_start().starts_with('{') {
                "json"
            } else {
                "toml"
            };
            (format!("inv-{i}.{ext}"), text)
        })
        .collect();
    match load_sources(&files) {
        Ok(inv) => {
            let _ = inv.component_count();
        }
        Err(LoadError::Invalid(report)) => {
            assert!(
                !report.diagnostics.is_empty(),
                "invalid without a diagnostic"
            );
            for d in &report.diagnostics {
                for p in std::iter::once(&d.primary).chain(d.secondary.iter().map(|(p, _)| p)) {
                    let Some(span) = &p.span else { continue };
                    let text = &report.files[p.file].text;
                    assert!(
                        span.start <= span.end && span.end <= text.len(),
                        "span {span:?} outside file {} of {} bytes",
                        p.file,
                        text.len()
                    );
                    assert!(
                        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                        "span {span:?} not on char boundaries"
                    );
                }
            }
            let rendered = report.render_plain();
            assert!(!rendered.is_empty());
        }
        // Files that parse but define no system: refused as a whole, nothing to render.
        Err(LoadError::NoSystems { .. }) => {}
        Err(e) => panic!("load_sources does no I/O, yet: {e}"),
    }
});
