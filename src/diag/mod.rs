//! Diagnostics for the files an operator writes (the inventory, feed definitions, rollout plans):
//! one shape and one renderer, after cargo-deny's `diag` module.
//!
//! One module because the operator reads these messages side by side: a problem in a feed file
//! should read, point and colour like one in the inventory. Each is `error[code]: message`, then
//! `file:line:col` with the offending text underlined, and every problem of every file is shown at
//! once. Each domain keeps its own closed code enum (inventory [`crate::inventory::InventoryCode`],
//! feed files [`crate::collect::feed::FeedFileCode`], plans [`crate::check::PlanCode`]), declared
//! with `codes!`; what they share is [`Code`], the stable kebab-case text that scripts, suppressions
//! and tests rely on. A code is unique within its domain, not across domains: `parse-error` means
//! the same thing in each. The finding and hazard codes ([`crate::blast::FindingCode`],
//! [`crate::check::HazardCode`]) are declared the same way, so every stable code of the crate has
//! one table of texts used by display, parsing and serde alike.
//!
//! A validator knows where a problem is either as a byte span (`toml::Spanned`, a parser's error
//! position) or only as a path into the document (`systems[2].components[0].firmware`), the same for
//! TOML and JSON. [`Diagnostics::new`] resolves paths to spans in TOML files by walking a
//! `toml_edit` parse of the file, which keeps spans for every key, value, array element and table.
//! serde_json keeps no positions, so in a JSON file a semantic problem is shown with the file name
//! and the path; JSON syntax and type errors do carry serde_json's line and column and are underlined
//! like TOML ones. A place with neither span nor path stands for the whole file (a missing key).

use std::fmt;
use std::ops::Range;

mod path;
mod render;

pub use path::{char_span_at, offset_of, DocPath, Seg};

/// What every domain's code enum offers the renderer: its stable kebab-case text.
pub trait Code {
    fn as_str(&self) -> &'static str;
}

/// Declares a domain's closed code enum. Each variant is written with its stable text
/// (`ParseError = "parse-error",`); the macro adds the derives, `ALL` (generated, so a new code
/// cannot be left out of the tests that list and check every code), `as_str`, `Display`,
/// `FromStr`, serde through the same text, and [`Code`].
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: [$name; [$($name::$variant),+].len()] = [$($name::$variant),+];

            /// The stable kebab-case text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl $crate::diag::Code for $name {
            fn as_str(&self) -> &'static str {
                $name::as_str(*self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                $name::ALL
                    .into_iter()
                    .find(|c| c.as_str() == s)
                    .ok_or_else(|| format!("unknown code `{s}`"))
            }
        }

        // On the wire a code is its text, through the same table as everywhere else.
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use codes;

/// A place in one of the files: a path (from validation) and, once known, a byte span. With
/// neither, the place is the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Index into [`Diagnostics::files`].
    pub file: usize,
    pub path: Option<DocPath>,
    /// Byte range on character boundaries (the renderer slices the text with it).
    pub span: Option<Range<usize>>,
}

impl Place {
    /// An item known by its path; [`Diagnostics::new`] finds its span in a TOML file.
    pub fn at(file: usize, path: DocPath) -> Place {
        Place {
            file,
            path: Some(path),
            span: None,
        }
    }

    /// Text whose byte range is already known.
    pub fn at_span(file: usize, span: Range<usize>) -> Place {
        Place {
            file,
            path: None,
            span: Some(span),
        }
    }

    /// The whole file, for what is missing from it rather than wrong in it.
    pub fn whole_file(file: usize) -> Place {
        Place {
            file,
            path: None,
            span: None,
        }
    }
}

/// One problem in one file, with a code of the domain's enum `C`.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic<C> {
    pub code: C,
    pub message: String,
    pub primary: Place,
    /// Text under the underline.
    pub label: String,
    /// Related places (e.g. where a duplicate id was first defined).
    pub secondary: Vec<(Place, String)>,
    pub notes: Vec<String>,
}

impl<C> Diagnostic<C> {
    pub fn new(code: C, place: Place, message: impl Into<String>) -> Diagnostic<C> {
        Diagnostic {
            code,
            message: message.into(),
            primary: place,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn label(mut self, text: impl Into<String>) -> Diagnostic<C> {
        self.label = text.into();
        self
    }

    pub fn also(mut self, place: Place, text: impl Into<String>) -> Diagnostic<C> {
        self.secondary.push((place, text.into()));
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Diagnostic<C> {
        self.notes.push(text.into());
        self
    }
}

/// Which syntax a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Json,
}

impl Syntax {
    /// By extension: `.json` is JSON, anything else TOML.
    pub fn of(name: &str) -> Syntax {
        if name.to_ascii_lowercase().ends_with(".json") {
            Syntax::Json
        } else {
            Syntax::Toml
        }
    }
}

/// A file that was read, kept so diagnostics can show its text.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub format: Syntax,
}

impl SourceFile {
    /// A file named `name`, its format by extension.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let name = name.into();
        SourceFile {
            format: Syntax::of(&name),
            name,
            text: text.into(),
        }
    }
}

/// Every problem of a failed load, with the files they point into. Its `Display` is the count
/// ("3 problems"); the caller says of what.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics<C> {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic<C>>,
}

impl<C> Diagnostics<C> {
    /// Resolve paths to spans (TOML files) and sort by file and position, the order a reader
    /// fixes them in; a problem without a span comes after the located ones of its file.
    pub fn new(files: Vec<SourceFile>, diagnostics: Vec<Diagnostic<C>>) -> Diagnostics<C> {
        let mut d = Diagnostics { files, diagnostics };
        d.resolve();
        d
    }

    fn resolve(&mut self) {
        let docs: Vec<Option<toml_edit::ImDocument<&str>>> = self
            .files
            .iter()
            .map(|f| match f.format {
                Syntax::Toml => toml_edit::ImDocument::parse(f.text.as_str()).ok(),
                Syntax::Json => None,
            })
            .collect();
        let fix = |p: &mut Place| {
            if p.span.is_none() {
                if let (Some(path), Some(Some(doc))) = (&p.path, docs.get(p.file)) {
                    p.span = path::span_of(doc, path);
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
}

impl<C> fmt::Display for Diagnostics<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    codes! {
        /// A domain for the tests.
        pub enum TestCode {
            /// First.
            Broken = "broken",
            /// Second.
            Missing = "missing-thing",
        }
    }

    fn diags(text: &str, d: Vec<Diagnostic<TestCode>>) -> Diagnostics<TestCode> {
        Diagnostics::new(vec![SourceFile::new("f.toml", text)], d)
    }

    #[test]
    fn declared_codes_list_themselves() {
        assert_eq!(TestCode::ALL, [TestCode::Broken, TestCode::Missing]);
        assert_eq!(TestCode::Missing.to_string(), "missing-thing");
        assert_eq!(Code::as_str(&TestCode::Broken), "broken");
    }

    #[test]
    fn paths_resolve_and_problems_sort_by_position() {
        let text = "a = 1\n[t]\nb = \"x\"\n";
        let d = diags(
            text,
            vec![
                Diagnostic::new(
                    TestCode::Broken,
                    Place::at(0, DocPath::default().key("t").key("b")),
                    "second",
                ),
                Diagnostic::new(TestCode::Missing, Place::whole_file(0), "last"),
                Diagnostic::new(TestCode::Broken, Place::at_span(0, 0..1), "first"),
            ],
        );
        let messages: Vec<&str> = d.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["first", "second", "last"]);
        let span = d.diagnostics[1].primary.span.clone().unwrap();
        assert_eq!(&text[span], "\"x\"");
        assert_eq!(d.to_string(), "3 problems");
    }

    #[test]
    fn a_place_without_span_is_named_in_a_note() {
        let d = diags(
            "a = 1\n",
            vec![
                Diagnostic::new(TestCode::Missing, Place::whole_file(0), "no `b`"),
                Diagnostic::new(TestCode::Missing, Place::whole_file(0), "no `c`").label("add it"),
            ],
        );
        assert_eq!(
            d.render_plain(),
            "error[missing-thing]: no `b`\n = at f.toml\n\nerror[missing-thing]: no `c`\n = at f.toml: add it\n\n"
        );
        assert_eq!(d.to_string(), "2 problems");
    }

    #[test]
    fn a_located_problem_shows_file_line_column_and_caret() {
        let d = diags(
            "a = 1\nb = 2\n",
            vec![Diagnostic::new(
                TestCode::Broken,
                Place::at(0, DocPath::default().key("b")),
                "bad b",
            )
            .label("this one")
            .note("why")],
        );
        let text = d.render_plain();
        assert!(text.starts_with("error[broken]: bad b\n"), "{text}");
        assert!(text.contains("┌─ f.toml:2:5"), "{text}");
        assert!(text.contains("^ this one"), "{text}");
        assert!(text.contains("= why"), "{text}");
        assert_eq!(
            Diagnostics::<TestCode>::new(Vec::new(), Vec::new()).to_string(),
            "0 problems"
        );
    }
}
