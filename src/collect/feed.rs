//! Feed definitions: `feeds/*.toml`, one feed a file, validated with spans.
//!
//! A file is deserialized into a raw form that keeps `toml::Spanned` positions
//! (`deny_unknown_fields`), then validated into a [`FeedDef`]. Every problem in every file is
//! collected and rendered at once with `codespan-reporting` (file:line:column and a caret), the way
//! the inventory and cargo-deny report config errors. Relative `path`/`key_file` values resolve
//! against the feeds directory, so the bundled offline feeds work wherever the directory is.
//!
//! ```toml
//! id = "bundled-csaf"          # optional, defaults to the file stem
//! kind = "csaf-dir"            # csaf-provider | csaf-dir | osv-dir | cve5-dir | native-dir | nvd | rss | atom | html
//! path = "csaf"                # a local directory, or `url = "https://…"` (exactly one of them)
//! schedule = "6h"              # how often `sync` fetches it (m, h, d, w); default 6h
//! vendor = "NetApp"            # default vendor for documents that do not name one
//! scheme = "ontap"             # default version scheme for that vendor
//! key_file = "keys/x.asc"      # OpenPGP public key for `.asc` checks (csaf-provider)
//! enabled = true
//! allow_hosts = ["csaf.vendor.example"]  # other hosts its documents may link to (see `policy`)
//! [html]                       # CSS selectors for kind = "html"
//! item = "article"  title = "h1"  id = ".id"  date = "time"  products = ".products li"
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use serde::Deserialize;
use toml::Spanned;

use crate::model::FeedId;
use crate::store::FeedState;
use crate::version::Scheme;

/// The collector a feed uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedKind {
    CsafProvider,
    CsafDir,
    OsvDir,
    Cve5Dir,
    NativeDir,
    Nvd,
    Rss,
    Atom,
    Html,
}

impl FeedKind {
    const ALL: [(&'static str, FeedKind); 9] = [
        ("csaf-provider", FeedKind::CsafProvider),
        ("csaf-dir", FeedKind::CsafDir),
        ("osv-dir", FeedKind::OsvDir),
        ("cve5-dir", FeedKind::Cve5Dir),
        ("native-dir", FeedKind::NativeDir),
        ("nvd", FeedKind::Nvd),
        ("rss", FeedKind::Rss),
        ("atom", FeedKind::Atom),
        ("html", FeedKind::Html),
    ];

    /// The kebab-case name used in feed files.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    fn parse(s: &str) -> Option<FeedKind> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
    }
}

impl std::fmt::Display for FeedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a feed's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    /// An http(s) URL (for `csaf-provider`: the `provider-metadata.json`; for `*-dir`: the served directory).
    Url(url::Url),
    /// A local directory, already resolved against the feeds directory.
    Path(PathBuf),
}

impl std::fmt::Display for FeedLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeedLocation::Url(u) => write!(f, "{u}"),
            FeedLocation::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// CSS selectors for an `html` feed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlSelectors {
    /// One element per advisory on the page (default: the whole document is one advisory).
    #[serde(default)]
    pub item: Option<String>,
    pub title: String,
    pub id: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub products: Option<String>,
    #[serde(default)]
    pub versions: Option<String>,
}

/// A validated feed definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedDef {
    pub id: FeedId,
    pub kind: FeedKind,
    pub location: FeedLocation,
    pub schedule: Duration,
    pub vendor: Option<String>,
    pub scheme: Option<Scheme>,
    pub key_file: Option<PathBuf>,
    pub html: Option<HtmlSelectors>,
    pub enabled: bool,
    /// Hosts besides the feed's own that links in its documents may lead to (`host` or
    /// `*.domain`, lower case); see [`super::policy`].
    pub allow_hosts: Vec<String>,
    /// The file it was read from.
    pub file: PathBuf,
}

impl FeedDef {
    /// Whether the feed should be fetched now: never synced, or its schedule has elapsed since the
    /// last success. A feed whose last attempt failed is due again once the schedule elapses from its
    /// last success, so a broken feed is retried on every run until it succeeds.
    pub fn is_due(&self, state: &FeedState, now: DateTime<Utc>) -> bool {
        match state.last_success {
            None => true,
            Some(last) => {
                if state.last_error_at.is_some_and(|e| e > last) {
                    return true;
                }
                let sched = chrono::Duration::from_std(self.schedule)
                    .unwrap_or_else(|_| chrono::Duration::days(1));
                now >= last + sched
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    id: Option<Spanned<String>>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    vendor: Option<String>,
    scheme: Option<Spanned<String>>,
    key_file: Option<Spanned<String>>,
    html: Option<HtmlSelectors>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    allow_hosts: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

/// Feed definitions that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FeedDefError {
    #[error("cannot read feed definitions in {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One or more invalid files; `rendered` shows every problem with file:line:column.
    #[error("{count} problem(s) in feed definitions:\n{rendered}")]
    Invalid { count: usize, rendered: String },
}

/// Parse a schedule such as `30m`, `6h`, `1d`, `2w`.
pub fn parse_schedule(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{s}` has no unit (use m, h, d or w)"))?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` does not start with a number"))?;
    let secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("unknown unit `{unit}` in `{s}` (use m, h, d or w)")),
    };
    if n == 0 {
        return Err("a schedule of zero would fetch continuously".into());
    }
    Ok(Duration::from_secs(n * secs))
}

/// One validation problem: message and byte span in the file (if known).
pub type Problem = (String, Option<Range<usize>>);

/// Validate one feed file's text. `dir` resolves relative paths. Pure apart from nothing: no I/O.
pub fn parse_feed(text: &str, file: &Path, dir: &Path) -> Result<FeedDef, Vec<Problem>> {
    let raw: RawFeed =
        toml::from_str(text).map_err(|e| vec![(e.message().to_string(), e.span())])?;
    let mut problems: Vec<Problem> = Vec::new();
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = match &raw.id {
        Some(id) => id
            .get_ref()
            .parse::<FeedId>()
            .map_err(|e| (e.to_string(), Some(id.span()))),
        None => stem
            .parse::<FeedId>()
            .map_err(|e| (format!("no `id` and the file name is not one: {e}"), None)),
    };
    let kind = FeedKind::parse(raw.kind.get_ref());
    if kind.is_none() {
        let names: Vec<&str> = FeedKind::ALL.iter().map(|(n, _)| *n).collect();
        problems.push((
            format!(
                "unknown feed kind `{}` (expected one of {})",
                raw.kind.get_ref(),
                names.join(", ")
            ),
            Some(raw.kind.span()),
        ));
    }
    let location = match (&raw.url, &raw.path) {
        (Some(u), None) => match url::Url::parse(u.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(FeedLocation::Url(url)),
            Ok(url) => {
                problems.push((
                    format!(
                        "only http and https URLs are fetched, not `{}:`",
                        url.scheme()
                    ),
                    Some(u.span()),
                ));
                None
            }
            Err(e) => {
                problems.push((format!("invalid URL: {e}"), Some(u.span())));
                None
            }
        },
        (None, Some(p)) => {
            let p = Path::new(p.get_ref());
            Some(FeedLocation::Path(if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }))
        }
        (Some(_), Some(p)) => {
            problems.push((
                "give either `url` or `path`, not both".into(),
                Some(p.span()),
            ));
            None
        }
        (None, None) => {
            problems.push(("missing `url` or `path`".into(), None));
            None
        }
    };
    if let (Some(k), Some(FeedLocation::Path(_))) = (kind, &location) {
        if !matches!(
            k,
            FeedKind::CsafDir | FeedKind::OsvDir | FeedKind::Cve5Dir | FeedKind::NativeDir
        ) {
            problems.push((
                format!("a `{k}` feed needs a `url`, not a local `path`"),
                raw.path.as_ref().map(|p| p.span()),
            ));
        }
    }
    let schedule = match &raw.schedule {
        None => Duration::from_secs(6 * 3600),
        Some(s) => parse_schedule(s.get_ref()).unwrap_or_else(|e| {
            problems.push((e, Some(s.span())));
            Duration::from_secs(6 * 3600)
        }),
    };
    let scheme = raw
        .scheme
        .as_ref()
        .and_then(|s| match s.get_ref().parse::<Scheme>() {
            Ok(sc) => Some(sc),
            Err(e) => {
                problems.push((format!("unknown version scheme: {e}"), Some(s.span())));
                None
            }
        });
    if matches!(kind, Some(FeedKind::Html | FeedKind::Rss | FeedKind::Atom)) && raw.html.is_none() {
        problems.push((
            "an `html`, `rss` or `atom` feed needs an `[html]` table of CSS selectors for its pages".into(),
            Some(raw.kind.span()),
        ));
    }
    if let Some(h) = &raw.html {
        for (name, sel) in [
            ("title", Some(&h.title)),
            ("id", Some(&h.id)),
            ("item", h.item.as_ref()),
            ("date", h.date.as_ref()),
            ("products", h.products.as_ref()),
            ("versions", h.versions.as_ref()),
        ] {
            if let Some(sel) = sel {
                if let Err(e) = scraper::Selector::parse(sel) {
                    problems.push((format!("invalid CSS selector in html.{name}: {e}"), None));
                }
            }
        }
    }
    let key_file = raw.key_file.as_ref().map(|k| {
        let p = Path::new(k.get_ref());
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    });
    let mut allow_hosts = Vec::new();
    for h in &raw.allow_hosts {
        match super::policy::valid_allow_host(h.get_ref()) {
            Ok(h) => allow_hosts.push(h),
            Err(e) => problems.push((e, Some(h.span()))),
        }
    }
    let id = match id {
        Ok(id) => Some(id),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    match (id, kind, location) {
        (Some(id), Some(kind), Some(location)) if problems.is_empty() => Ok(FeedDef {
            id,
            kind,
            location,
            schedule,
            vendor: raw.vendor,
            scheme,
            key_file,
            html: raw.html,
            enabled: raw.enabled,
            allow_hosts,
            file: file.to_path_buf(),
        }),
        _ => Err(problems),
    }
}

/// The operator's annotations and suppressions live beside the feed definitions under this name
/// (see `classify`); it is not a feed definition.
pub const ANNOTATIONS_FILE: &str = "annotations.toml";

/// Load every `*.toml` in `dir` (sorted by name) except [`ANNOTATIONS_FILE`], reporting all problems
/// of all files at once. Duplicate feed ids are an error.
pub fn load_feeds(dir: &Path) -> Result<Vec<FeedDef>, FeedDefError> {
    let io = |source| FeedDefError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .filter(|p| p.file_name().is_none_or(|n| n != ANNOTATIONS_FILE))
        .collect();
    paths.sort();
    let mut files = SimpleFiles::new();
    let mut diags: Vec<Diagnostic<usize>> = Vec::new();
    let mut feeds: Vec<FeedDef> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| FeedDefError::Io {
            path: path.clone(),
            source,
        })?;
        let fid = files.add(path.display().to_string(), text.clone());
        match parse_feed(&text, &path, dir) {
            Ok(def) => {
                if let Some(prev) = feeds.iter().find(|f| f.id == def.id) {
                    diags.push(
                        Diagnostic::error()
                            .with_message(format!(
                                "feed id `{}` is defined twice (also in {})",
                                def.id,
                                prev.file.display()
                            ))
                            .with_labels(vec![Label::primary(fid, 0..0)]),
                    );
                } else {
                    feeds.push(def);
                }
            }
            Err(problems) => {
                for (msg, span) in problems {
                    let span = span.unwrap_or(0..0);
                    diags.push(
                        Diagnostic::error()
                            .with_message(msg.clone())
                            .with_labels(vec![Label::primary(fid, span).with_message(msg)]),
                    );
                }
            }
        }
    }
    if diags.is_empty() {
        return Ok(feeds);
    }
    let mut buf = term::termcolor::Buffer::no_color();
    let config = term::Config::default();
    for d in &diags {
        // Rendering into memory cannot fail except on a bad span; fall back to the message.
        if term::emit(&mut buf, &config, &files, d).is_err() {
            use std::io::Write;
            let _ = writeln!(buf, "error: {}", d.message);
        }
    }
    Err(FeedDefError::Invalid {
        count: diags.len(),
        rendered: String::from_utf8_lossy(buf.as_slice()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FeedDef, Vec<Problem>> {
        parse_feed(text, Path::new("/f/feeds/x.toml"), Path::new("/f/feeds"))
    }

    #[test]
    fn minimal_local_feed_resolves_against_dir() {
        let f = parse("kind = \"native-dir\"\npath = \"native\"\n").unwrap();
        assert_eq!(f.id.as_str(), "x");
        assert_eq!(
            f.location,
            FeedLocation::Path(PathBuf::from("/f/feeds/native"))
        );
        assert_eq!(f.schedule, Duration::from_secs(6 * 3600));
        assert!(f.enabled);
    }

    #[test]
    fn full_provider_feed() {
        let f = parse(
            "id = \"cisa\"\nkind = \"csaf-provider\"\nurl = \"https://example.org/.well-known/csaf/provider-metadata.json\"\nschedule = \"1d\"\nvendor = \"NetApp\"\nscheme = \"ontap\"\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(f.kind, FeedKind::CsafProvider);
        assert_eq!(f.schedule, Duration::from_secs(86_400));
        assert_eq!(f.scheme, Some(Scheme::Ontap));
        assert!(!f.enabled);
    }

    #[test]
    fn problems_are_collected_with_spans() {
        let text = "kind = \"ftp-dir\"\nurl = \"ftp://x/\"\nschedule = \"6 parsecs\"\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        for (msg, span) in &problems {
            let span = span.clone().unwrap();
            assert!(!text[span].is_empty(), "{msg}");
        }
        assert!(problems[0].0.contains("unknown feed kind `ftp-dir`"));
    }

    #[test]
    fn unknown_field_is_rejected() {
        let problems = parse("kind = \"nvd\"\nurl = \"https://x/\"\nrate = 5\n").unwrap_err();
        assert!(
            problems[0].0.contains("unknown field `rate`"),
            "{problems:?}"
        );
        assert!(problems[0].1.is_some());
    }

    #[test]
    fn schedules() {
        assert_eq!(parse_schedule("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_schedule("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_schedule("0h").is_err());
        assert!(parse_schedule("h").is_err());
        assert!(parse_schedule("6").is_err());
    }

    #[test]
    fn due_after_schedule_or_failure() {
        let f = parse("kind = \"native-dir\"\npath = \"n\"\nschedule = \"6h\"\n").unwrap();
        let now = Utc::now();
        let mut st = FeedState::default();
        assert!(f.is_due(&st, now));
        st.last_success = Some(now - chrono::Duration::hours(1));
        assert!(!f.is_due(&st, now));
        assert!(f.is_due(&st, now + chrono::Duration::hours(5)));
        st.last_error_at = Some(now);
        assert!(f.is_due(&st, now));
    }

    #[test]
    fn load_reports_every_file_and_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "id = \"same\"\nkind = \"native-dir\"\npath = \"n\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.toml"),
            "id = \"same\"\nkind = \"native-dir\"\npath = \"n\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("c.toml"), "kind = \"nvd\"\npath = \"n\"\n").unwrap();
        let err = load_feeds(dir.path()).unwrap_err();
        let FeedDefError::Invalid { count, rendered } = err else {
            panic!()
        };
        assert_eq!(count, 2, "{rendered}");
        assert!(rendered.contains("defined twice"), "{rendered}");
        assert!(rendered.contains("c.toml:2:8"), "{rendered}");
    }
}
