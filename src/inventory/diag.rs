//! Inventory diagnostics: a stable code, a message, and the place of the offending text.
//!
//! Validation knows *where* a problem is only as a path into the document
//! (`systems[2].components[0].firmware`), the same for TOML and JSON. Before rendering, [`Report`]
//! resolves each path to a byte span in TOML files by walking a `toml_edit` parse of the file (which
//! keeps spans for every key, value, array element and table), so the message shows
//! `file:line:col` and underlines the offending text. serde_json keeps no positions, so in JSON files
//! a semantic problem is shown with the file name and the path; JSON syntax and type errors do carry
//! serde_json's line and column and are underlined like TOML ones.
//!
//! Codes are kebab-case and stable: scripts, suppressions and tests rely on them.

use std::fmt;
use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};

/// Stable diagnostic codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// TOML/JSON syntax, an unknown key, a wrong type, a missing required key.
    ParseError,
    /// Two items of one kind with the same id (anywhere in the inventory), or two components with
    /// the same id in one system.
    DuplicateId,
    /// A reference to a system, component, owner or site that does not exist.
    UnknownReference,
    /// A firmware string that does not parse under the item's version scheme.
    BadFirmware,
    /// A `scheme` that is not one of the known version schemes.
    UnknownScheme,
    /// A group's per-member load outside `0..=1`.
    LoadOutOfRange,
    /// A RAID group that claims to survive as many failures as it has drives (or more).
    RaidToleranceTooLarge,
    /// A RAID group without `tolerance`, or `tolerance` on a group that is not a RAID group.
    RaidToleranceMisplaced,
    /// A RAID group member that is not a drive component, or a group with too few members.
    BadGroupMember,
    /// A backup or replica whose source and target are the same system.
    BackupToItself,
    /// An owner with neither an email address nor a webhook: nobody would be told.
    OwnerWithoutChannel,
    /// A webhook secret that is not an environment variable *name* (probably the secret itself), or
    /// a credential inside the webhook URL.
    SecretInline,
    /// A value of the right type but not acceptable: a malformed id, date, email or URL, a count
    /// of zero.
    InvalidValue,
}

impl Code {
    pub const ALL: [Code; 13] = [
        Code::ParseError,
        Code::DuplicateId,
        Code::UnknownReference,
        Code::BadFirmware,
        Code::UnknownScheme,
        Code::LoadOutOfRange,
        Code::RaidToleranceTooLarge,
        Code::RaidToleranceMisplaced,
        Code::BadGroupMember,
        Code::BackupToItself,
        Code::OwnerWithoutChannel,
        Code::SecretInline,
        Code::InvalidValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::ParseError => "parse-error",
            Code::DuplicateId => "duplicate-id",
            Code::UnknownReference => "unknown-reference",
            Code::BadFirmware => "bad-firmware",
            Code::UnknownScheme => "unknown-scheme",
            Code::LoadOutOfRange => "load-out-of-range",
            Code::RaidToleranceTooLarge => "raid-tolerance-too-large",
            Code::RaidToleranceMisplaced => "raid-tolerance-misplaced",
            Code::BadGroupMember => "bad-group-member",
            Code::BackupToItself => "backup-to-itself",
            Code::OwnerWithoutChannel => "owner-without-channel",
            Code::SecretInline => "secret-inline",
            Code::InvalidValue => "invalid-value",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where in a document an item is: `systems[2].components[0].firmware`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocPath(pub Vec<Seg>);

impl DocPath {
    pub fn key(&self, k: &str) -> DocPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> DocPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A place in one of the loaded files: a path (from validation) and, once resolved, a byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Index into [`Report::files`].
    pub file: usize,
    pub path: Option<DocPath>,
    pub span: Option<Range<usize>>,
}

impl Place {
    pub fn at(file: usize, path: DocPath) -> Place {
        Place {
            file,
            path: Some(path),
            span: None,
        }
    }
}

/// One problem found while loading.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub primary: Place,
    /// Text under the underline.
    pub label: String,
    /// Related places (e.g. where a duplicate id was first defined).
    pub secondary: Vec<(Place, String)>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: Code, place: Place, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: place,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn label(mut self, text: impl Into<String>) -> Diagnostic {
        self.label = text.into();
        self
    }

    pub fn also(mut self, place: Place, text: impl Into<String>) -> Diagnostic {
        self.secondary.push((place, text.into()));
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Diagnostic {
        self.notes.push(text.into());
        self
    }
}

/// Which syntax a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// By extension: `.json` is JSON, anything else TOML.
    pub fn of(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// A loaded file, kept so diagnostics can show its text.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub format: Format,
}

/// Every problem of a failed load, with the files they point into.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Fill in spans from paths (TOML files) and sort by file and position.
    pub(crate) fn resolve(&mut self) {
        let mut docs: Vec<Option<toml_edit::ImDocument<&str>>> = Vec::new();
        for f in &self.files {
            docs.push(match f.format {
                Format::Toml => toml_edit::ImDocument::parse(f.text.as_str()).ok(),
                Format::Json => None,
            });
        }
        let fix = |p: &mut Place| {
            if p.span.is_none() {
                if let (Some(path), Some(Some(doc))) = (&p.path, docs.get(p.file)) {
                    p.span = span_of(doc, path);
                }
            }
        };
        for d in &mut self.diagnostics {
            fix(&mut d.primary);
            for (p, _) in &mut d.secondary {
                fix(p);
            }
        }
        self.diagnostics.sort_by_key(|d| {
            (
                d.primary.file,
                d.primary.span.as_ref().map_or(usize::MAX, |s| s.start),
            )
        });
    }

    /// Render every diagnostic (codespan-reporting's rich format) to `out`, colour as `out` allows.
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
        let mut buf = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.emit(&mut buf);
        String::from_utf8_lossy(&buf.into_inner()).into_owned()
    }

    fn to_codespan(&self, d: &Diagnostic) -> CsDiagnostic<usize> {
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
                let path = p.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
                let sep = if text.is_empty() { "" } else { ": " };
                notes.push(format!("at {name}: {path}{sep}{text}"));
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

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        write!(
            f,
            "{n} problem{} in the inventory",
            if n == 1 { "" } else { "s" }
        )
    }
}

enum Node<'a> {
    Item(&'a toml_edit::Item),
    Table(&'a toml_edit::Table),
    Value(&'a toml_edit::Value),
}

impl Node<'_> {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Table(t) => t.span(),
            Node::Value(v) => v.span(),
        }
    }
}

/// The span of the deepest node on `path` that has one (the offending value when it exists).
fn span_of(doc: &toml_edit::ImDocument<&str>, path: &DocPath) -> Option<Range<usize>> {
    let mut node = Node::Table(doc.as_table());
    let mut best = None;
    for seg in &path.0 {
        let next = match (node, seg) {
            (Node::Table(t), Seg::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(toml_edit::Item::Table(t)), Seg::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(toml_edit::Item::ArrayOfTables(a)), Seg::Index(i)) => {
                a.get(*i).map(Node::Table)
            }
            (Node::Item(toml_edit::Item::Value(v)), seg) => value_step(v, seg),
            (Node::Value(v), seg) => value_step(v, seg),
            _ => None,
        };
        let Some(n) = next else { break };
        if let Some(s) = n.span() {
            best = Some(s);
        }
        node = n;
    }
    best
}

fn value_step<'a>(v: &'a toml_edit::Value, seg: &Seg) -> Option<Node<'a>> {
    match (v, seg) {
        (toml_edit::Value::InlineTable(t), Seg::Key(k)) => t.get(k).map(Node::Value),
        (toml_edit::Value::Array(a), Seg::Index(i)) => a.get(*i).map(Node::Value),
        _ => None,
    }
}

/// Byte offset of a 1-based line and column (serde_json's positions), clamped to the text.
/// The span of the character at byte offset `at` (moved back to a character boundary), for a
/// caret under a parser's error position: serde_json counts columns in bytes, so its position can
/// fall inside a multi-byte character. A [`Place::span`] must lie on character boundaries: callers
/// slice the text with it (`&text[span]` panics otherwise) and the caret must cover the character.
pub(crate) fn char_span_at(text: &str, at: usize) -> Range<usize> {
    let mut start = at.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    start..end
}

pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(n) => start += n + 1,
            None => return text.len(),
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
        }
    }

    #[test]
    fn paths_print_like_accessors() {
        let p = DocPath::default()
            .key("systems")
            .index(2)
            .key("settings")
            .key("inline-compression");
        assert_eq!(p.to_string(), "systems[2].settings.\"inline-compression\"");
    }

    #[test]
    fn paths_resolve_to_value_spans_in_toml() {
        let text =
            "[[systems]]\nid = \"a\"\n[[systems.components]]\nid = \"c\"\nfirmware = \"x y\"\n";
        let doc = toml_edit::ImDocument::parse(text).unwrap();
        let p = DocPath::default()
            .key("systems")
            .index(0)
            .key("components")
            .index(0)
            .key("firmware");
        let span = span_of(&doc, &p).unwrap();
        assert_eq!(&text[span], "\"x y\"");
    }

    #[test]
    fn json_offsets() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab", 9, 1), 2);
    }
}
