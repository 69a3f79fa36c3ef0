//! Reading listings: what a source says it holds, before anything it names is fetched.
//!
//! A CSAF directory's `changes.csv` (`"<path>","<time>"`, quoted or not, any order) or
//! `index.txt` (one path a line); OSV's `modified_id.csv` (`<time>,<id>`); a ROLIE feed (JSON);
//! a provider's `provider-metadata.json` (its distributions); a local folder's files. Each is
//! turned into entries — a location and, where the listing gives one, a time — and each entry
//! into the URL (or relative path) the collectors fetch and key their records by. No I/O: the
//! collectors ([`super::provider`], [`super::dir`]) fetch the listings, hand the bytes here, and
//! decide what to fetch from the entries.
//!
//! Real providers bend the standard, so reading is lenient where the reference (formats.md §8)
//! documents a quirk: ROLIE links with `ref` instead of `rel` (quirk 20); `changes.csv` entries
//! relative to the repository root rather than to the directory (21) — an entry that contains the
//! directory's own name is cut after it ([`resolve_entry`]); a ROLIE entry's `content.src` that
//! disagrees with its `self` link (23) — the `self` link wins, `content.src` is the fallback.
//!
//! A ROLIE feed runs to tens of megabytes, so it is deserialized straight into the few members
//! read here ([`RolieEntry`]), not into a `serde_json::Value`; and a listing entry already known
//! is matched by its URL string ([`known_location`]) so that only the entries fetched are parsed
//! as URLs.
//!
//! **What a listing may say.** A listing is read as the complete statement of what a directory
//! holds: an entry missing from it is withdrawn. So a listing is read whole or not at all: one
//! line that is not an entry ([`parse_index`]: longer than [`MAX_ENTRY_LEN`], whitespace or a
//! control character inside, `<`/`>` as in an HTML page, a `changes.csv` line without its time)
//! fails the feed with an error naming the listing and the line, and the feed keeps its previous
//! data. Skipping the line instead would withdraw the advisory it was meant to name, and an HTML
//! error page served with status 200 as `index.txt` would read as an empty listing that withdraws
//! everything.
//!
//! **Where an entry may point.** An entry names a file *inside* its directory, nothing else
//! ([`confine_entry`]): after the quirk-21 cut, an entry with a `..` or `.` segment (also spelled
//! `%2e%2e`), a backslash, or a leading `/` is refused with an error naming it. A served
//! directory's entry must resolve to a URL under the directory's URL ([`inside_dir`]) — the one
//! way out is an absolute URL on another host that the URL policy ([`super::policy`]) lets the
//! feed follow, i.e. one the operator listed in `allow_hosts`; on the feed's own host, outside the
//! directory is refused. A local folder's entry must be a relative path whose file, symbolic
//! links resolved, lies inside the folder (checked by the local collector, which canonicalizes
//! both). ROLIE feeds are not directories: their links are held by the URL policy alone.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use super::ctx::FeedError;
use super::feed::FeedKind;

/// One listing entry: a path (or URL) and its listed timestamp, if any.
pub type ListingEntry = (String, Option<DateTime<Utc>>);

/// The longest listing entry accepted, in bytes. Real entries are under 100; a longer "entry" is
/// a page or a binary served in the listing's place.
pub const MAX_ENTRY_LEN: usize = 2048;

/// Parse a listing into (entry, timestamp) pairs: `changes.csv` (`"<path>","<time>"`), OSV's
/// `modified_id.csv` (`<time>,<id>` → `<id>.json`) or `index.txt` (one path a line, no times).
/// Blank lines (and `#` comments in `index.txt`) are skipped; any other line that is not an entry
/// fails the whole listing, naming the line (the module documentation says why).
pub fn parse_index(name: &str, text: &str) -> Result<Vec<ListingEntry>, String> {
    let mut out = Vec::new();
    if name == "modified_id.csv" {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            let Some((time, id)) = l.split_once(',') else {
                check_entry(i + 1, l)?;
                return Err(format!("line {}: expected `<modified>,<id>`", i + 1));
            };
            let (time, id) = (time.trim(), id.trim());
            let Ok(when) = DateTime::parse_from_rfc3339(time) else {
                if i == 0 && !time.contains(['<', '>']) {
                    continue; // a header line (`modified,id`)
                }
                check_entry(i + 1, time)?;
                return Err(format!("line {}: `{time}` is not an RFC 3339 time", i + 1));
            };
            if id.is_empty() {
                return Err(format!("line {}: no id", i + 1));
            }
            check_entry(i + 1, id)?;
            out.push((format!("{id}.json"), Some(when.with_timezone(&Utc))));
        }
    } else if name.ends_with(".csv") {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        // The line a record starts on, counted from its byte offset (the reader's own line count
        // leaves out blank lines, and its offset is where the blank lines before it start).
        let bytes = text.as_bytes();
        let (mut line, mut counted) = (1, 0);
        for rec in rdr.records() {
            let rec = rec.map_err(|e| format!("line {line} or after: {e}"))?;
            let mut start = rec.position().map_or(counted, |p| p.byte() as usize);
            while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
                start += 1;
            }
            line += bytes[counted..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = start;
            let path = rec.get(0).unwrap_or("");
            if path.is_empty() && rec.iter().all(str::is_empty) {
                continue;
            }
            if path.is_empty() {
                return Err(format!("line {line}: no path"));
            }
            check_entry(line, path)?;
            let time = rec.get(1).unwrap_or("");
            let Ok(when) = DateTime::parse_from_rfc3339(time) else {
                return Err(if time.is_empty() {
                    format!("line {line}: no time after `{}`", preview(path))
                } else {
                    format!("line {line}: `{}` is not an RFC 3339 time", preview(time))
                });
            };
            out.push((path.to_string(), Some(when.with_timezone(&Utc))));
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if !l.is_empty() && !l.starts_with('#') {
                check_entry(i + 1, l)?;
                out.push((l.to_string(), None));
            }
        }
    }
    Ok(out)
}

/// Whether a listing line's entry can be a path or URL at all: not too long, no whitespace or
/// control characters inside (a sentence, a binary), no `<`/`>` (an HTML page).
fn check_entry(line: impl std::fmt::Display, entry: &str) -> Result<(), String> {
    let why = if entry.len() > MAX_ENTRY_LEN {
        format!(
            "an entry of {} bytes (at most {MAX_ENTRY_LEN})",
            entry.len()
        )
    } else if entry.contains(['<', '>']) {
        "HTML, not a listing entry (an error page served in the listing's place?)".to_string()
    } else if entry.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "whitespace or a control character inside, not a listing entry".to_string()
    } else {
        return Ok(());
    };
    Err(format!("line {line}: `{}`: {why}", preview(entry)))
}

/// The start of a suspicious entry as an error message shows it: at most 60 characters,
/// control characters escaped.
fn preview(s: &str) -> String {
    let mut p = String::new();
    for c in s.chars().take(60) {
        if c.is_control() {
            p.extend(c.escape_debug());
        } else {
            p.push(c);
        }
    }
    if s.chars().nth(60).is_some() {
        p.push('…');
    }
    p
}

/// Check that a listing entry, as [`resolve_entry`] gives it, names a file inside its directory:
/// a relative path without `.` or `..` segments (percent-encoded or not), backslashes or a
/// leading `/`. An absolute URL passes only where `urls` allows it (a served directory, which
/// then checks the joined URL with [`inside_dir`] and the URL policy); a local folder follows no
/// URL.
pub fn confine_entry(entry: &str, urls: bool) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("entry `{}` {why}", preview(entry)));
    if entry.contains("://") {
        return if urls {
            Ok(())
        } else {
            refuse("is a URL; a local folder's listing names files in the folder")
        };
    }
    // What a server (or a file system) may decode the entry to: `%2e` is a dot, `%2f` a slash.
    let decoded = if entry.contains('%') {
        entry
            .to_ascii_lowercase()
            .replace("%2e", ".")
            .replace("%2f", "/")
            .replace("%5c", "\\")
    } else {
        entry.to_string()
    };
    if decoded.contains('\\') {
        return refuse("holds a backslash; entries are `/`-separated paths inside the directory");
    }
    if decoded.starts_with('/') {
        return refuse("is an absolute path; entries are relative to their directory");
    }
    if decoded.split('/').any(|seg| seg == ".." || seg == ".") {
        return refuse("has a `.` or `..` segment; entries stay inside their directory");
    }
    Ok(())
}

/// Whether `url` (a listing entry joined to its directory) lies under the directory URL `base`:
/// same scheme, host and port, and a path below the directory's.
pub fn inside_dir(base: &Url, url: &Url) -> bool {
    url.origin() == base.origin() && url.path().starts_with(base.path())
}

/// Make a listing entry relative to its directory: `csaf_files/IT/white/2024/x.json` in the
/// directory `…/white/` becomes `2024/x.json` (quirk 21). Absolute URLs are kept.
pub fn resolve_entry(dir_name: &str, entry: &str) -> String {
    let e = entry.trim().trim_start_matches("./");
    if e.contains("://") || dir_name.is_empty() {
        return e.to_string();
    }
    let segs: Vec<&str> = e.split('/').collect();
    match segs.iter().rposition(|s| *s == dir_name) {
        Some(i) if i + 1 < segs.len() => segs[i + 1..].join("/"),
        _ => e.to_string(),
    }
}

/// Whether a listing file carries a time per entry (`changes.csv`, `modified_id.csv`) — only
/// then may an unchanged listing stand for unchanged documents.
pub fn has_times(name: &str) -> bool {
    name.ends_with(".csv")
}

/// The listing files a directory is read through, tried in order (the first one served wins).
#[derive(Debug, Clone, Copy)]
pub struct Listings(pub &'static [&'static str]);

impl Listings {
    /// A CSAF directory distribution (CSAF 2.0 §7.1.13 / §7.1.12).
    pub const CSAF: Listings = Listings(&["changes.csv", "index.txt"]);
}

/// `base` joined with a link read from it; a link that does not join fails the listing.
pub fn join(base: &Url, s: &str) -> Result<Url, FeedError> {
    base.join(s).map_err(|e| FeedError::Listing {
        url: base.to_string(),
        reason: format!("bad link `{s}`: {e}"),
    })
}

/// Join a listing entry to its directory. A relative entry is joined as `./entry`, so a first
/// segment with a colon (OSV's `Debian:11/…`) is a path, not a URL scheme.
pub fn join_entry(base: &Url, entry: &str) -> Result<Url, FeedError> {
    if entry.contains("://") || entry.starts_with('/') {
        join(base, entry)
    } else {
        join(base, &format!("./{entry}"))
    }
}

/// The URL string a relative entry of the directory `base` joins to, built without parsing a
/// URL: the key a known entry has in its listing's index. `None` for an absolute entry, or a base
/// that is not a directory (the caller joins those properly).
pub fn known_location(base: &Url, entry: &str) -> Option<String> {
    let relative = !entry.contains("://") && !entry.starts_with('/');
    (relative && base.as_str().ends_with('/')).then(|| format!("{}{entry}", base.as_str()))
}

/// A directory URL as a base to join entries to: with a trailing `/`.
pub fn dir_url(u: &Url) -> Url {
    let mut u = u.clone();
    if !u.path().ends_with('/') {
        u.set_path(&format!("{}/", u.path()));
    }
    u
}

/// The last non-empty path segment of a directory URL (`white` for `…/csaf/white/`): what
/// [`resolve_entry`] cuts entries after.
pub fn dir_name(base: &Url) -> &str {
    base.path_segments()
        .and_then(|mut s| s.rfind(|x| !x.is_empty()))
        .unwrap_or("")
}

/// The file next to a document that is named after it (`x.json` → `x.json.sha512`, `.asc`):
/// the same scheme, host and port. Joined as `./name`, so a name with a colon stays a path.
pub fn sibling(document: &Url, suffix: &str) -> Result<Url, FeedError> {
    let file = document.path().rsplit('/').next().unwrap_or("");
    join(document, &format!("./{file}{suffix}"))
}

/// The hash files to probe for a document listed without any (`changes.csv`, `index.txt`):
/// `.sha512` first, then `.sha256`.
pub fn hash_probes(document: &Url) -> Result<Vec<Url>, FeedError> {
    Ok(vec![
        sibling(document, ".sha512")?,
        sibling(document, ".sha256")?,
    ])
}

/// Whether a file of a local folder is a document of the feed: `.json` (but not a provider's
/// metadata or a ROLIE service document), `.toml` for native feeds; never a hidden file.
pub fn is_document_file(kind: FeedKind, path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') {
        return false;
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => !matches!(name, "provider-metadata.json" | "service.json"),
        Some("toml") => kind == FeedKind::NativeDir,
        Some("csv") => kind == FeedKind::Epss,
        Some("gz") => kind == FeedKind::Epss && name.ends_with(".csv.gz"),
        _ => false,
    }
}

/// A file's location in a local feed: its path relative to the feed root, `/`-separated on
/// every platform (the key of its record).
pub fn relative_location(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The distributions a `provider-metadata.json` names: ROLIE feeds (with their TLP label) and
/// directories, joined to the metadata's URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Distributions {
    pub rolie: Vec<(Url, Option<String>)>,
    pub directories: Vec<Url>,
}

/// Read a provider's `provider-metadata.json` (CSAF 2.0 §7.1.20). It must have a
/// `distributions` array; a distribution may name ROLIE feeds, a `directory_url`, both or
/// neither.
pub fn provider_distributions(meta_url: &Url, bytes: &[u8]) -> Result<Distributions, FeedError> {
    let bad = |reason: String| FeedError::Listing {
        url: meta_url.to_string(),
        reason,
    };
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| bad(format!("not a provider-metadata.json: {e}")))?;
    let dists = v
        .get("distributions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no distributions".into()))?;
    let mut out = Distributions::default();
    for d in dists {
        if let Some(feeds) = d.pointer("/rolie/feeds").and_then(Value::as_array) {
            for f in feeds {
                if let Some(u) = f.get("url").and_then(Value::as_str) {
                    let tlp = f
                        .get("tlp_label")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    out.rolie.push((join(meta_url, u)?, tlp));
                }
            }
        }
        if let Some(u) = d.get("directory_url").and_then(Value::as_str) {
            out.directories.push(join(meta_url, u)?);
        }
    }
    Ok(out)
}

/// A ROLIE feed, as much of it as the collector reads: deserialized straight into these types
/// (a provider's feed runs to tens of megabytes; a `serde_json::Value` of it cost more than the
/// rest of an incremental sync; [`rolie_entries`]). Unknown members are skipped. Inside an entry, a member of an
/// unexpected type counts as absent ([`Lenient`]), as providers bend the format; a feed without
/// an `entry` array, or an entry that is not an object, is an error.
#[derive(serde::Deserialize)]
struct RolieFile {
    feed: Option<RolieFeed>,
}

#[derive(serde::Deserialize)]
struct RolieFeed {
    entry: Option<Vec<RolieEntry>>,
}

/// One entry of a ROLIE feed: its links, its `content.src` and its `updated` time.
#[derive(serde::Deserialize)]
pub struct RolieEntry {
    link: Option<Lenient<Vec<Lenient<RolieLink>>>>,
    content: Option<Lenient<RolieContent>>,
    updated: Option<Lenient<String>>,
}

#[derive(serde::Deserialize)]
struct RolieLink {
    rel: Option<Lenient<String>>,
    /// Quirk 20: some providers write `ref` for `rel`.
    #[serde(rename = "ref")]
    ref_: Option<Lenient<String>>,
    href: Option<Lenient<String>>,
}

#[derive(serde::Deserialize)]
struct RolieContent {
    src: Option<Lenient<String>>,
}

/// A value of the expected type, or anything else (which the collector treats as absent).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Ok(T),
    Other(serde::de::IgnoredAny),
}

impl<T> Lenient<T> {
    fn get(&self) -> Option<&T> {
        match self {
            Lenient::Ok(v) => Some(v),
            Lenient::Other(_) => None,
        }
    }
}

fn lenient<T>(v: &Option<Lenient<T>>) -> Option<&T> {
    v.as_ref().and_then(Lenient::get)
}

impl RolieLink {
    fn rel(&self) -> Option<&str> {
        match &self.rel {
            Some(rel) => rel.get().map(String::as_str),
            None => lenient(&self.ref_).map(String::as_str),
        }
    }
}

fn parse_time(v: Option<&str>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl RolieEntry {
    /// The `href` of every link with relation `rel`, in feed order.
    pub fn hrefs<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let links: &[Lenient<RolieLink>] = lenient(&self.link).map_or(&[], Vec::as_slice);
        links
            .iter()
            .filter_map(Lenient::get)
            .filter(move |l| l.rel() == Some(rel))
            .filter_map(|l| lenient(&l.href).map(String::as_str))
    }

    /// The document the entry names: its first `self` link, else its `content.src` (quirk 23).
    pub fn document(&self) -> Option<&str> {
        self.hrefs("self").next().or_else(|| {
            lenient(&self.content)
                .and_then(|c| lenient(&c.src))
                .map(String::as_str)
        })
    }

    /// The entry's `updated` time, when it is an RFC 3339 time.
    pub fn updated(&self) -> Option<DateTime<Utc>> {
        parse_time(lenient(&self.updated).map(String::as_str))
    }
}

/// The entries of a ROLIE feed; the error is the reason it is not one.
pub fn rolie_entries(bytes: &[u8]) -> Result<Vec<RolieEntry>, String> {
    let file: RolieFile =
        serde_json::from_slice(bytes).map_err(|e| format!("not a ROLIE JSON feed: {e}"))?;
    file.feed
        .and_then(|f| f.entry)
        .ok_or_else(|| "no feed.entry array".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn changes_csv_quoted_and_unquoted() {
        let q = parse_index(
            "changes.csv",
            "\"a/b.json\",\"2020-01-01T00:00:00+00:00\"\n",
        )
        .unwrap();
        assert_eq!(q[0].0, "a/b.json");
        assert!(q[0].1.is_some());
        let u = parse_index(
            "changes.csv",
            "csaf_files/IT/white/2024/va-24-254-02.json,2024-10-03T16:03:00.000Z\n\n",
        )
        .unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].1.unwrap().to_rfc3339(), "2024-10-03T16:03:00+00:00");
        let i = parse_index("index.txt", "a.json\n# c\n\n b.json \n").unwrap();
        assert_eq!(
            i.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["a.json", "b.json"]
        );
    }

    #[test]
    fn a_line_that_is_not_an_entry_fails_the_listing_naming_it() {
        let html = "<!DOCTYPE html>\n<html><body>Service unavailable, retry</body></html>\n";
        for name in ["changes.csv", "index.txt", "modified_id.csv"] {
            let err = parse_index(name, html).unwrap_err();
            assert!(
                err.starts_with("line 1: `<!DOCTYPE html>`: HTML"),
                "{name}: {err}"
            );
        }
        let good = "\"2020/a.json\",\"2020-01-01T00:00:00Z\"\n";
        let cases = [
            (
                "changes.csv",
                format!("{good}\"2020/b\u{1b}[2J.json\",\"2020-01-01T00:00:00Z\"\n"),
                "line 2: `2020/b\\u{1b}[2J.json`: whitespace or a control character",
            ),
            (
                "changes.csv",
                format!("{good}\n\nNot Found\n"),
                "line 4: `Not Found`: whitespace",
            ),
            (
                "changes.csv",
                format!("{good}2020/b.json\n"),
                "line 2: no time after `2020/b.json`",
            ),
            (
                "changes.csv",
                format!("{good}2020/b.json,yesterday\n"),
                "line 2: `yesterday` is not an RFC 3339 time",
            ),
            (
                "changes.csv",
                ",2020-01-01T00:00:00Z\n".to_string(),
                "line 1: no path",
            ),
            (
                "index.txt",
                format!("a.json\n{}.json\n", "x".repeat(3000)),
                "line 2: `xxxx",
            ),
            (
                "index.txt",
                "a.json\nb.json\0\n".to_string(),
                "line 2: `b.json\\0`: whitespace or a control",
            ),
            (
                "modified_id.csv",
                "2024-05-20T16:03:47Z,GO 1\n".to_string(),
                "line 1: `GO 1`",
            ),
        ];
        for (name, text, want) in cases {
            let err = parse_index(name, &text).unwrap_err();
            assert!(err.starts_with(want), "{name}: {err}");
        }
        let long = parse_index("index.txt", &format!("{}\n", "x".repeat(3000))).unwrap_err();
        assert!(
            long.ends_with("…`: an entry of 3000 bytes (at most 2048)"),
            "{long}"
        );
        // Quoted fields spanning lines are counted by line, not by record.
        let err = parse_index(
            "changes.csv",
            "\"a.json\",\"2020-01-01T00:00:00Z\"\n\"b\nc.json\",\"x\"\n",
        )
        .unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
        // Blank lines and comments are no entries, and no errors.
        assert_eq!(
            parse_index("index.txt", "\n  \n# listing\na.json\r\n")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn entries_stay_inside_their_directory() {
        for entry in [
            "../x.json",
            "2024/../../x.json",
            "..",
            "%2e%2e/x.json",
            "2024/%2E%2E%2F%2E%2E%2Fx.json",
            "..\\x.json",
            "2024\\x.json",
            "%5c..%5cx.json",
            "/etc/passwd",
            "%2fetc/passwd",
            "2024/./x.json",
        ] {
            let err = confine_entry(entry, true).unwrap_err();
            assert!(err.starts_with(&format!("entry `{entry}` ")), "{err}");
        }
        for entry in [
            "2024/x.json",
            "Debian:11/DSA-1.json",
            "a..b.json",
            "x%20y.json",
        ] {
            assert_eq!(confine_entry(entry, false), Ok(()), "{entry}");
        }
        assert_eq!(confine_entry("https://h/white/x.json", true), Ok(()));
        let err = confine_entry("https://h/white/x.json", false).unwrap_err();
        assert!(err.contains("is a URL"), "{err}");
        let base = Url::parse("https://h.example/csaf/white/").unwrap();
        let inside = |s: &str| inside_dir(&base, &Url::parse(s).unwrap());
        assert!(inside("https://h.example/csaf/white/2024/x.json"));
        assert!(!inside("https://h.example/csaf/whitelist.json"));
        assert!(!inside("https://h.example/csaf/x.json"));
        assert!(!inside("http://h.example/csaf/white/x.json"));
        assert!(!inside("https://h.example:8443/csaf/white/x.json"));
        // What the URL parser makes of traversal spellings: all leave the directory.
        for entry in ["../x.json", "%2e%2e/x.json", "..\\x.json", "/x.json"] {
            assert!(
                !inside_dir(&base, &join_entry(&base, entry).unwrap()),
                "{entry}"
            );
        }
    }

    #[test]
    fn osv_modified_id_csv() {
        let m = parse_index(
            "modified_id.csv",
            "modified,id\n2024-05-20T16:03:47Z,GO-2020-0001\n\n2023-06-05T01:13:00.534973Z,PyPI/PYSEC-2023-74\n",
        )
        .unwrap();
        assert_eq!(
            m.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["GO-2020-0001.json", "PyPI/PYSEC-2023-74.json"]
        );
        assert_eq!(m[0].1.unwrap().to_rfc3339(), "2024-05-20T16:03:47+00:00");
        assert!(parse_index("modified_id.csv", "2024-05-20T16:03:47Z,A\nsoon,B\n").is_err());
        assert!(parse_index("modified_id.csv", "2024-05-20T16:03:47Z\n").is_err());
        assert!(has_times("modified_id.csv") && has_times("changes.csv"));
        assert!(!has_times("index.txt"));
    }

    #[test]
    fn entries_with_a_colon_are_paths() {
        let base = Url::parse("https://osv.example/all/").unwrap();
        assert_eq!(
            join_entry(&base, "Debian:11/DSA-1.json").unwrap().as_str(),
            "https://osv.example/all/Debian:11/DSA-1.json"
        );
        assert_eq!(
            join_entry(&base, "https://osv.example/x.json")
                .unwrap()
                .as_str(),
            "https://osv.example/x.json"
        );
    }

    #[test]
    fn entries_relative_to_repo_root_are_cut_at_the_directory() {
        assert_eq!(
            resolve_entry("white", "csaf_files/IT/white/2024/x.json"),
            "2024/x.json"
        );
        assert_eq!(resolve_entry("white", "2024/x.json"), "2024/x.json");
        assert_eq!(resolve_entry("white", "./x.json"), "x.json");
        assert_eq!(
            resolve_entry("white", "https://h/white/x.json"),
            "https://h/white/x.json"
        );
    }

    #[test]
    fn rolie_entries_read_leniently_inside_and_strictly_outside() {
        let feed = br#"{"feed": {"id": "x", "entry": [
            {"link": [{"ref": "self", "href": "a.json"}, "junk", {"rel": 7, "href": "b.json"}],
             "updated": "2024-01-02T03:04:05Z", "summary": {"content": "ignored"}},
            {"link": {"not": "an array"}, "content": {"src": "c.json"}, "updated": 12},
            {"content": "not an object"}
        ]}}"#;
        let file: RolieFile = serde_json::from_slice(feed).unwrap();
        let entries = file.feed.and_then(|f| f.entry).unwrap();
        let links: Vec<&RolieLink> = lenient(&entries[0].link)
            .unwrap()
            .iter()
            .filter_map(Lenient::get)
            .collect();
        // `ref` stands for `rel`; a `rel` of the wrong type is no relation (not a fallback).
        assert_eq!(
            links.iter().map(|l| l.rel()).collect::<Vec<_>>(),
            [Some("self"), None]
        );
        assert_eq!(lenient(&links[0].href).map(String::as_str), Some("a.json"));
        assert!(parse_time(lenient(&entries[0].updated).map(String::as_str)).is_some());
        assert!(lenient(&entries[1].link).is_none());
        let src = lenient(&entries[1].content).and_then(|c| lenient(&c.src));
        assert_eq!(src.map(String::as_str), Some("c.json"));
        assert!(lenient(&entries[1].updated).is_none());
        assert!(lenient(&entries[2].content).is_none());
        // No entry array, or an entry that is not an object: not a feed this collector reads.
        for bad in [
            &br#"{"feed": {"entry": {}}}"#[..],
            br#"{"feed": {"entry": [3]}}"#,
        ] {
            assert!(serde_json::from_slice::<RolieFile>(bad).is_err());
        }
        let none: RolieFile = serde_json::from_slice(br#"{"feed": {}}"#).unwrap();
        assert!(none.feed.and_then(|f| f.entry).is_none());
    }

    #[test]
    fn rolie_self_link_wins_over_content_src() {
        let entries = rolie_entries(
            br#"{"feed": {"entry": [
                {"link": [{"rel": "hash", "href": "a.json.sha256"}, {"rel": "self", "href": "a.json"},
                          {"rel": "hash", "href": "a.json.sha512"}, {"rel": "self", "href": "b.json"}],
                 "content": {"src": "other.json"}, "updated": "2024-01-02T03:04:05Z"},
                {"content": {"src": "c.json"}},
                {"link": [{"rel": "signature", "href": "d.json.asc"}]}
            ]}}"#,
        )
        .unwrap();
        assert_eq!(entries[0].document(), Some("a.json"));
        assert_eq!(
            entries[0].hrefs("hash").collect::<Vec<_>>(),
            ["a.json.sha256", "a.json.sha512"]
        );
        assert_eq!(
            entries[0].updated().unwrap().to_rfc3339(),
            "2024-01-02T03:04:05+00:00"
        );
        assert_eq!(entries[1].document(), Some("c.json"));
        assert_eq!(entries[1].updated(), None);
        assert_eq!(entries[2].document(), None);
        assert_eq!(entries[2].hrefs("signature").next(), Some("d.json.asc"));
        let err = rolie_entries(br#"{"feed": {"id": "x"}}"#).err().unwrap();
        assert_eq!(err, "no feed.entry array");
        let err = rolie_entries(b"<feed/>").err().unwrap();
        assert!(err.starts_with("not a ROLIE JSON feed: "), "{err}");
    }

    #[test]
    fn directory_urls_names_and_known_locations() {
        let dir = Url::parse("https://h.example/csaf/white").unwrap();
        let base = dir_url(&dir);
        assert_eq!(base.as_str(), "https://h.example/csaf/white/");
        assert_eq!(dir_url(&base), base);
        assert_eq!(dir_name(&base), "white");
        assert_eq!(dir_name(&Url::parse("https://h.example/").unwrap()), "");
        // A known entry's key is the string its join gives, for every relative entry.
        for entry in ["2024/x.json", "Debian:11/DSA-1.json"] {
            assert_eq!(
                known_location(&base, entry).unwrap(),
                join_entry(&base, entry).unwrap().as_str()
            );
        }
        assert_eq!(known_location(&base, "https://h.example/x.json"), None);
        assert_eq!(known_location(&base, "/x.json"), None);
        assert_eq!(known_location(&dir, "x.json"), None);
        let err = join(&base, "http://[::1").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("https://h.example/csaf/white/: bad link `http://[::1`"),
            "{err}"
        );
    }

    #[test]
    fn hash_and_signature_files_sit_next_to_the_document() {
        let doc = Url::parse("https://h.example/white/2024/x.json").unwrap();
        assert_eq!(
            hash_probes(&doc)
                .unwrap()
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            [
                "https://h.example/white/2024/x.json.sha512",
                "https://h.example/white/2024/x.json.sha256"
            ]
        );
        assert_eq!(
            sibling(&doc, ".asc").unwrap().as_str(),
            "https://h.example/white/2024/x.json.asc"
        );
        let colon = Url::parse("https://h.example/white/2024/x:1.json").unwrap();
        assert_eq!(
            sibling(&colon, ".asc").unwrap().as_str(),
            "https://h.example/white/2024/x:1.json.asc"
        );
    }

    #[test]
    fn local_folders_hold_json_documents_and_native_toml() {
        let p = Path::new;
        assert!(is_document_file(FeedKind::CsafDir, p("/f/2024/a.json")));
        assert!(!is_document_file(
            FeedKind::CsafDir,
            p("/f/provider-metadata.json")
        ));
        assert!(!is_document_file(FeedKind::CsafDir, p("/f/service.json")));
        assert!(!is_document_file(FeedKind::OsvDir, p("/f/.hidden.json")));
        assert!(!is_document_file(FeedKind::CsafDir, p("/f/a.json.sha256")));
        assert!(!is_document_file(FeedKind::OsvDir, p("/f/a.toml")));
        assert!(is_document_file(FeedKind::NativeDir, p("/f/a.toml")));
        assert_eq!(
            relative_location(p("/f"), p("/f/2024/sub/a.json")),
            "2024/sub/a.json"
        );
    }

    #[test]
    fn provider_metadata_names_rolie_feeds_and_directories() {
        let meta = Url::parse("https://h.example/.well-known/csaf/provider-metadata.json").unwrap();
        let d = provider_distributions(
            &meta,
            br#"{"distributions": [
                {"rolie": {"feeds": [{"url": "white/feed.json", "tlp_label": "WHITE"},
                                     {"url": "https://h.example/green/feed.json"}, {"no": "url"}]}},
                {"directory_url": "https://h.example/csaf/"},
                {"summary": "neither"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            d.rolie,
            [
                (
                    Url::parse("https://h.example/.well-known/csaf/white/feed.json").unwrap(),
                    Some("WHITE".to_string())
                ),
                (
                    Url::parse("https://h.example/green/feed.json").unwrap(),
                    None
                )
            ]
        );
        assert_eq!(
            d.directories,
            [Url::parse("https://h.example/csaf/").unwrap()]
        );
        let err = provider_distributions(&meta, br#"{"canonical_url": "x"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "https://h.example/.well-known/csaf/provider-metadata.json: no distributions"
        );
        assert!(provider_distributions(&meta, b"").is_err());
    }
}
