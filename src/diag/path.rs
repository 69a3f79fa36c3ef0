//! Paths into a document and the spans they lead to.
//!
//! Validation works on deserialized values, which remember no positions; it names an item by its
//! path instead, and the path is turned into a span only when a problem is rendered, against a
//! `toml_edit` parse of the same text. JSON files are located by serde_json's line and column
//! for syntax errors only, which [`offset_of`] and [`char_span_at`] turn into a span.

use std::fmt;
use std::ops::Range;

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
pub(super) fn span_of(doc: &toml_edit::ImDocument<&str>, path: &DocPath) -> Option<Range<usize>> {
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

/// The span of the character at byte offset `at` (moved back to a character boundary), for a
/// caret under a parser's error position: serde_json counts columns in bytes, so its position can
/// fall inside a multi-byte character. A [`super::Place::span`] must lie on character boundaries:
/// callers slice the text with it (`&text[span]` panics otherwise) and the caret must cover the
/// character.
pub fn char_span_at(text: &str, at: usize) -> Range<usize> {
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

/// Byte offset of a 1-based line and column (serde_json's positions), clamped to the text.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
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
