//! Update-plan files through `check::parse_plan` against the example estate in `inventory/`, then
//! `check::apply`. Checks: no panic; a rejected plan has at least one diagnostic (its code is a
//! `PlanCode`, known by construction), each with a span inside the text on character boundaries,
//! and renders the way `check-update` renders it (codespan with a caret); an accepted plan has
//! steps.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::NoColor};
use firmwatch::check::{apply, parse_plan};
use firmwatch::inventory::{load_path, Inventory};
use libfuzzer_sys::fuzz_target;

fn inventory() -> &'static Inventory {
    static INV: OnceLock<Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        load_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory"))
            .expect("the example estate loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let inv = inventory();
    match parse_plan(text, inv) {
        Ok(plan) => {
            assert!(!plan.steps.is_empty(), "a plan without steps was accepted");
            let _ = apply(inv, &plan);
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "rejected without a diagnostic");
            let file = SimpleFile::new("plan.toml", text);
            let mut out = NoColor::new(Vec::new());
            for d in &diags {
                let mut diag = Diagnostic::error()
                    .with_code(d.code.as_str())
                    .with_message(d.message.clone());
                if let Some(span) = &d.span {
                    assert!(
                        span.start <= span.end && span.end <= text.len(),
                        "span {span:?} outside the {}-byte plan",
                        text.len()
                    );
                    assert!(
                        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                        "span {span:?} not on char boundaries"
                    );
                    diag = diag.with_labels(vec![Label::primary((), span.clone())]);
                }
                term::emit(&mut out, &term::Config::default(), &file, &diag)
                    .expect("renders into a Vec");
            }
        }
    }
});
