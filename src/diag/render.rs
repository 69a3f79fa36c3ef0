//! The one renderer: codespan-reporting's rich format, the way rustc and cargo-deny print.
//!
//! A place with a span becomes a label (`file:line:col`, the text underlined: `^` for the primary
//! place, `-` for related ones); a place without one becomes a note naming the file and, when
//! known, the path, so a problem in a JSON file or about a missing key still says where to look.

use std::fmt::Write as _;
use std::io;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};

use super::{Code, Diagnostic, Diagnostics, Place};

impl<C: Code> Diagnostics<C> {
    /// Render every diagnostic to `out`, in colour if `out` takes colour.
    pub fn emit(&self, out: &mut dyn WriteColor) -> io::Result<()> {
        let mut files = SimpleFiles::new();
        for f in &self.files {
            files.add(f.name.as_str(), f.text.as_str());
        }
        let config = term::Config::default();
        for d in &self.diagnostics {
            let cs = self.to_codespan(d);
            term::emit(out, &config, &files, &cs).map_err(|e| match e {
                codespan_reporting::files::Error::Io(io) => io,
                other => io::Error::other(other.to_string()),
            })?;
        }
        Ok(())
    }

    /// The rendered text without colour (tests, logs).
    pub fn render_plain(&self) -> String {
        let mut buf = term::termcolor::NoColor::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.emit(&mut buf);
        String::from_utf8_lossy(&buf.into_inner()).into_owned()
    }

    fn to_codespan(&self, d: &Diagnostic<C>) -> CsDiagnostic<usize> {
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        let mut place = |p: &Place, primary: bool, text: &str| match &p.span {
            Some(span) => {
                let l = if primary {
                    Label::primary(p.file, span.clone())
                } else {
                    Label::secondary(p.file, span.clone())
                };
                labels.push(l.with_message(text));
            }
            None => {
                let name = self.files.get(p.file).map_or("?", |f| f.name.as_str());
                let mut note = format!("at {name}");
                if let Some(path) = p.path.as_ref().filter(|p| !p.0.is_empty()) {
                    let _ = write!(note, ": {path}");
                }
                if !text.is_empty() {
                    let _ = write!(note, ": {text}");
                }
                notes.push(note);
            }
        };
        place(&d.primary, true, &d.label);
        for (p, text) in &d.secondary {
            place(p, false, text);
        }
        notes.extend(d.notes.iter().cloned());
        CsDiagnostic::error()
            .with_code(d.code.as_str())
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(notes)
    }
}
