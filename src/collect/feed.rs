//! Feed definitions: `feeds/*.toml`, one feed a file, validated with spans.
//!
//! A file is deserialized into a raw form that keeps `toml::Spanned` positions
//! (`deny_unknown_fields`), then validated into a [`FeedDef`]. Every problem in every file is
//! collected as a [`crate::diag`] diagnostic with a stable [`FeedFileCode`], so the caller shows
//! them all at once the way it shows the inventory's (file:line:column and a caret, after
//! cargo-deny). Relative `path`/`key_file` values resolve against the feeds directory, so the
//! bundled offline feeds work wherever the directory is.
//!
//! ```toml
//! id = "bundled-csaf"          # optional, defaults to the file stem
//! kind = "csaf-dir"            # csaf-provider | csaf-dir | osv-dir | cve5-dir | nvd-dir | native-dir | nvd | kev | epss | rss | atom | html
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

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, DocPath, Place, SourceFile, Syntax};
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
    NvdDir,
    NativeDir,
    Nvd,
    Kev,
    /// FIRST's EPSS scores, one CSV (or `.csv.gz`) at a URL or in a folder.
    Epss,
    Rss,
    Atom,
    Html,
}

impl FeedKind {
    const ALL: [(&'static str, FeedKind); 12] = [
        ("csaf-provider", FeedKind::CsafProvider),
        ("csaf-dir", FeedKind::CsafDir),
        ("osv-dir", FeedKind::OsvDir),
        ("cve5-dir", FeedKind::Cve5Dir),
        ("nvd-dir", FeedKind::NvdDir),
        ("native-dir", FeedKind::NativeDir),
        ("nvd", FeedKind::Nvd),
        ("kev", FeedKind::Kev),
        ("epss", FeedKind::Epss),
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

/// The wait before the automatic syncs retry a feed after its first failure ([`FeedDef::retry_wait`]).
pub const FIRST_RETRY: chrono::Duration = chrono::Duration::minutes(1);

impl FeedDef {
    /// The feed's schedule as a time span.
    fn schedule_span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.schedule).unwrap_or_else(|_| chrono::Duration::days(1))
    }

    /// Whether the automatic syncs (`exposure`, `check-update`, `notify`, `run`) should fetch the
    /// feed now: never synced; failing, and [`FeedDef::retry_wait`] has passed since the last
    /// failure; or its schedule has elapsed since the last success. An explicit `sync` does not
    /// ask: it always tries.
    pub fn is_due(&self, state: &FeedState, now: DateTime<Utc>) -> bool {
        match (state.last_success, state.last_error_at) {
            (last, Some(failed)) if last.is_none_or(|l| failed > l) => {
                now >= failed + self.retry_wait(state)
            }
            (None, _) => true,
            (Some(last), _) => now >= last + self.schedule_span(),
        }
    }

    /// How long after its last failure a failing feed is retried by the automatic syncs: as long
    /// as it has been failing plus [`FIRST_RETRY`], at most its schedule. A broken mirror is then
    /// asked 1, 2, 4, 8 … minutes apart rather than on every command, and a fixed one is back
    /// within a schedule.
    ///
    /// The store keeps the last success and the last failure, not how many failures came
    /// between, so the start of the streak is estimated: a failure before the schedule ran out
    /// began it (only an explicit `sync` tries that early), otherwise it began when the schedule
    /// ran out, since no automatic sync tried before. Retried as soon as allowed, the waits are
    /// exactly 1, 2, 4, 8 … minutes; the first wait is longer by the time between the schedule
    /// running out and the first automatic sync after it (never longer than the schedule). A
    /// feed that never succeeded has no such anchor and is retried every minute.
    pub fn retry_wait(&self, state: &FeedState) -> chrono::Duration {
        let Some(failed) = state.last_error_at else {
            return FIRST_RETRY;
        };
        let schedule = self.schedule_span();
        let began = match state.last_success {
            Some(last) => failed.min(last + schedule),
            None => failed,
        };
        (failed - began + FIRST_RETRY).min(schedule)
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

crate::diag::codes! {
    /// Stable diagnostic codes of feed definition files.
    pub enum FeedFileCode {
        /// TOML syntax, an unknown key, a wrong type, a missing `kind`.
        ParseError = "parse-error",
        /// An `id` that is not a feed id, or no `id` and a file name that is not one.
        BadId = "bad-id",
        /// A `kind` that is not one of the collectors.
        UnknownKind = "unknown-kind",
        /// A `url` that does not parse, or whose scheme is not http or https.
        BadUrl = "bad-url",
        /// Neither `url` nor `path`.
        MissingLocation = "missing-location",
        /// Both `url` and `path`.
        ConflictingLocation = "conflicting-location",
        /// A local `path` for a kind that is only fetched over HTTP.
        PathNotAllowed = "path-not-allowed",
        /// A `schedule` that is not a positive number of minutes, hours, days or weeks.
        BadSchedule = "bad-schedule",
        /// A `scheme` that is not a known version scheme.
        UnknownScheme = "unknown-scheme",
        /// An `html`, `rss` or `atom` feed without an `[html]` table of selectors.
        MissingSelectors = "missing-selectors",
        /// A CSS selector in `[html]` that does not parse.
        BadSelector = "bad-selector",
        /// An `allow_hosts` entry that is not `host` or `*.domain`.
        BadAllowHost = "bad-allow-host",
        /// Two feed files with the same feed id.
        DuplicateId = "duplicate-id",
    }
}

/// One problem in a feed definition file.
pub type FeedDiagnostic = Diagnostic<FeedFileCode>;

/// Feed definitions that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FeedDefError {
    #[error("cannot read feed definitions in {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One or more invalid files; [`Diagnostics::emit`] shows every problem with
    /// file:line:column.
    #[error("{0} in the feed definitions")]
    Invalid(Diagnostics<FeedFileCode>),
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

/// Validate one feed file's text. `dir` resolves relative paths. No I/O: the problems come back
/// as diagnostics of the one file, ready to render.
pub fn parse_feed(
    text: &str,
    file: &Path,
    dir: &Path,
) -> Result<FeedDef, Diagnostics<FeedFileCode>> {
    validate(text, file, dir, 0)
        .map(|(def, _)| def)
        .map_err(|d| Diagnostics::new(vec![source_file(file, text.to_string())], d))
}

/// Feed files are TOML whatever their name says.
fn source_file(file: &Path, text: String) -> SourceFile {
    SourceFile {
        name: file.display().to_string(),
        text,
        format: Syntax::Toml,
    }
}

/// [`parse_feed`] for file number `fid` of a set. With the definition comes the place of its id
/// (the `id` value, or the whole file when the id is the file name) to report a duplicate against.
fn validate(
    text: &str,
    file: &Path,
    dir: &Path,
    fid: usize,
) -> Result<(FeedDef, Place), Vec<FeedDiagnostic>> {
    use FeedFileCode as C;
    let raw: RawFeed = toml::from_str(text).map_err(|e| {
        let place = Place {
            file: fid,
            path: None,
            span: e.span(),
        };
        let message = e.message().trim().replace('\n', ": ");
        vec![Diagnostic::new(C::ParseError, place, message).label("here")]
    })?;
    let at = |span| Place::at_span(fid, span);
    let mut problems: Vec<FeedDiagnostic> = Vec::new();
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (id, id_place) = match &raw.id {
        Some(id) => (
            id.get_ref().parse::<FeedId>().map_err(|e| {
                Diagnostic::new(C::BadId, at(id.span()), e.to_string()).label("not a feed id")
            }),
            at(id.span()),
        ),
        None => (
            stem.parse::<FeedId>().map_err(|e| {
                Diagnostic::new(
                    C::BadId,
                    Place::whole_file(fid),
                    format!("no `id` and the file name is not one: {e}"),
                )
                .note("add `id = \"…\"` or rename the file")
            }),
            Place::whole_file(fid),
        ),
    };
    let kind = FeedKind::parse(raw.kind.get_ref());
    if kind.is_none() {
        let names: Vec<&str> = FeedKind::ALL.iter().map(|(n, _)| *n).collect();
        problems.push(
            Diagnostic::new(
                C::UnknownKind,
                at(raw.kind.span()),
                format!(
                    "unknown feed kind `{}` (expected one of {})",
                    raw.kind.get_ref(),
                    names.join(", ")
                ),
            )
            .label("not a feed kind"),
        );
    }
    let location = match (&raw.url, &raw.path) {
        (Some(u), None) => match url::Url::parse(u.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(FeedLocation::Url(url)),
            Ok(url) => {
                problems.push(
                    Diagnostic::new(
                        C::BadUrl,
                        at(u.span()),
                        format!(
                            "only http and https URLs are fetched, not `{}:`",
                            url.scheme()
                        ),
                    )
                    .label("not http or https"),
                );
                None
            }
            Err(e) => {
                problems.push(
                    Diagnostic::new(C::BadUrl, at(u.span()), format!("invalid URL: {e}"))
                        .label("not a URL"),
                );
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
        (Some(u), Some(p)) => {
            problems.push(
                Diagnostic::new(
                    C::ConflictingLocation,
                    at(p.span()),
                    "give either `url` or `path`, not both",
                )
                .label("a path")
                .also(at(u.span()), "and a URL"),
            );
            None
        }
        (None, None) => {
            problems.push(
                Diagnostic::new(
                    C::MissingLocation,
                    Place::whole_file(fid),
                    "missing `url` or `path`",
                )
                .note("a feed is fetched from `url = \"https://…\"` or read from `path = \"dir\"`"),
            );
            None
        }
    };
    if let (Some(k), Some(FeedLocation::Path(_)), Some(p)) = (kind, &location, &raw.path) {
        if !matches!(
            k,
            FeedKind::CsafDir
                | FeedKind::OsvDir
                | FeedKind::Cve5Dir
                | FeedKind::NvdDir
                | FeedKind::NativeDir
                | FeedKind::Kev
                | FeedKind::Epss
        ) {
            problems.push(
                Diagnostic::new(
                    C::PathNotAllowed,
                    at(p.span()),
                    format!("a `{k}` feed needs a `url`, not a local `path`"),
                )
                .label("a local path")
                .also(at(raw.kind.span()), "fetched over HTTP"),
            );
        }
    }
    let schedule = match &raw.schedule {
        None => Duration::from_secs(6 * 3600),
        Some(s) => parse_schedule(s.get_ref()).unwrap_or_else(|e| {
            problems.push(Diagnostic::new(C::BadSchedule, at(s.span()), e).label("not a schedule"));
            Duration::from_secs(6 * 3600)
        }),
    };
    let scheme = raw
        .scheme
        .as_ref()
        .and_then(|s| match s.get_ref().parse::<Scheme>() {
            Ok(sc) => Some(sc),
            Err(e) => {
                problems.push(
                    Diagnostic::new(
                        C::UnknownScheme,
                        at(s.span()),
                        format!("unknown version scheme: {e}"),
                    )
                    .label("not a version scheme"),
                );
                None
            }
        });
    if matches!(kind, Some(FeedKind::Html | FeedKind::Rss | FeedKind::Atom)) && raw.html.is_none() {
        problems.push(
            Diagnostic::new(
                C::MissingSelectors,
                at(raw.kind.span()),
                "an `html`, `rss` or `atom` feed needs an `[html]` table of CSS selectors for its pages",
            )
            .label("pages are scraped"),
        );
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
                    // `HtmlSelectors` keeps no spans; the path finds the value when rendering.
                    let path = DocPath::default().key("html").key(name);
                    problems.push(
                        Diagnostic::new(
                            C::BadSelector,
                            Place::at(fid, path),
                            format!("invalid CSS selector in html.{name}: {e}"),
                        )
                        .label("not a CSS selector"),
                    );
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
            Err(e) => problems
                .push(Diagnostic::new(C::BadAllowHost, at(h.span()), e).label("not a host name")),
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
        (Some(id), Some(kind), Some(location)) if problems.is_empty() => Ok((
            FeedDef {
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
            },
            id_place,
        )),
        _ => Err(problems),
    }
}

/// The operator's annotations and suppressions live beside the feed definitions under this name
/// (see `classify`); it is not a feed definition.
pub const ANNOTATIONS_FILE: &str = "annotations.toml";

/// Load every `*.toml` in `dir` (sorted by name) except [`ANNOTATIONS_FILE`] and the operator's
/// vendor aliases ([`crate::vendor::VENDORS_FILE`]), reporting all problems
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
        .filter(|p| {
            p.file_name()
                .is_none_or(|n| n != ANNOTATIONS_FILE && n != crate::vendor::VENDORS_FILE)
        })
        .collect();
    paths.sort();
    let mut files = Vec::new();
    let mut diags: Vec<FeedDiagnostic> = Vec::new();
    let mut feeds: Vec<(FeedDef, Place)> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| FeedDefError::Io {
            path: path.clone(),
            source,
        })?;
        let fid = files.len();
        match validate(&text, &path, dir, fid) {
            Ok((def, place)) => {
                if let Some((_, first)) = feeds.iter().find(|(f, _)| f.id == def.id) {
                    let mut d = Diagnostic::new(
                        FeedFileCode::DuplicateId,
                        place.clone(),
                        format!("feed id `{}` is defined twice", def.id),
                    )
                    .label("second definition")
                    .also(first.clone(), "first defined here");
                    if place.span.is_none() || first.span.is_none() {
                        d = d.note("a file without `id` is named by its file name");
                    }
                    diags.push(d);
                } else {
                    feeds.push((def, place));
                }
            }
            Err(problems) => diags.extend(problems),
        }
        files.push(source_file(&path, text));
    }
    if diags.is_empty() {
        return Ok(feeds.into_iter().map(|(def, _)| def).collect());
    }
    Err(FeedDefError::Invalid(Diagnostics::new(files, diags)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FeedDef, Diagnostics<FeedFileCode>> {
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
        let problems = parse(text).unwrap_err().diagnostics;
        assert_eq!(problems.len(), 3, "{problems:?}");
        for d in &problems {
            let span = d.primary.span.clone().unwrap();
            assert!(!text[span].is_empty(), "{}", d.message);
        }
        assert!(problems[0].message.contains("unknown feed kind `ftp-dir`"));
    }

    #[test]
    fn unknown_field_is_rejected() {
        let problems = parse("kind = \"nvd\"\nurl = \"https://x/\"\nrate = 5\n")
            .unwrap_err()
            .diagnostics;
        assert!(
            problems[0].message.contains("unknown field `rate`"),
            "{problems:?}"
        );
        assert!(problems[0].primary.span.is_some());
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
        // A failure (an explicit `sync` before the schedule ran out) is retried after a minute.
        st.last_error_at = Some(now);
        assert!(!f.is_due(&st, now));
        assert!(!f.is_due(&st, now + chrono::Duration::seconds(59)));
        assert!(f.is_due(&st, now + chrono::Duration::minutes(1)));
    }

    #[test]
    fn a_failing_feed_is_retried_after_doubling_waits_up_to_its_schedule() {
        let min = chrono::Duration::minutes;
        let f = parse("kind = \"native-dir\"\npath = \"n\"\nschedule = \"1h\"\n").unwrap();
        let last = Utc::now();
        // The schedule runs out; every automatic sync from then on fails, each as soon as due.
        let mut st = FeedState {
            last_success: Some(last),
            ..FeedState::default()
        };
        let mut at = last + min(60);
        let mut waits = Vec::new();
        for _ in 0..9 {
            assert!(f.is_due(&st, at));
            st.last_error_at = Some(at);
            let wait = f.retry_wait(&st);
            assert!(!f.is_due(&st, at + wait - chrono::Duration::seconds(1)));
            waits.push(wait.num_minutes());
            at += wait;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // Asked rarely, the wait grows with the time the feed has been failing, capped too.
        st.last_error_at = Some(last + min(60 + 20));
        assert_eq!(f.retry_wait(&st), min(21));
        // A feed that never succeeded: every minute.
        let never = FeedState {
            last_error_at: Some(last),
            ..FeedState::default()
        };
        assert_eq!(f.retry_wait(&never), min(1));
        assert!(!f.is_due(&never, last + chrono::Duration::seconds(30)));
        assert!(f.is_due(&never, last + min(1)));
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
        assert_eq!(err.to_string(), "2 problems in the feed definitions");
        let FeedDefError::Invalid(diags) = err else {
            panic!()
        };
        let count = diags.diagnostics.len();
        let rendered = diags.render_plain();
        assert_eq!(count, 2, "{rendered}");
        assert!(rendered.contains("defined twice"), "{rendered}");
        assert!(rendered.contains("c.toml:2:8"), "{rendered}");
    }

    /// The one problem of `text` as the feed file `name`: its code and the text it underlines
    /// (`None` when it points at the whole file).
    fn one_problem_in(name: &str, text: &str) -> (FeedFileCode, Option<String>) {
        let file = Path::new("/f/feeds").join(name);
        let diags = parse_feed(text, &file, Path::new("/f/feeds")).unwrap_err();
        let [d] = diags.diagnostics.as_slice() else {
            panic!("{}", diags.render_plain())
        };
        let under = d.primary.span.clone().map(|s| text[s].to_string());
        // Every problem renders, located ones with file:line:column.
        let rendered = diags.render_plain();
        assert!(
            rendered.contains(&format!("error[{}]", d.code)),
            "{rendered}"
        );
        if under.is_some() {
            assert!(
                rendered.contains(&format!("{}:", file.display())),
                "{rendered}"
            );
        } else {
            assert!(
                rendered.contains(&format!("= at {}", file.display())),
                "{rendered}"
            );
        }
        (d.code, under)
    }

    fn one_problem(text: &str) -> (FeedFileCode, Option<String>) {
        one_problem_in("x.toml", text)
    }

    fn spanned(code: FeedFileCode, text: &str) -> (FeedFileCode, Option<String>) {
        (code, Some(text.to_string()))
    }

    #[test]
    fn code_parse_error() {
        assert_eq!(
            one_problem("kind = \"nvd\"\nurl = \"https://x/\"\nrate = 5\n"),
            spanned(FeedFileCode::ParseError, "rate")
        );
        let (code, under) = one_problem("kind = \"nvd\nurl = 1\n");
        assert_eq!(code, FeedFileCode::ParseError);
        assert!(under.is_some());
    }

    #[test]
    fn code_bad_id() {
        assert_eq!(
            one_problem("id = \"a b\"\nkind = \"nvd\"\nurl = \"https://x/\"\n"),
            spanned(FeedFileCode::BadId, "\"a b\"")
        );
        assert_eq!(
            one_problem_in("a b.toml", "kind = \"nvd\"\nurl = \"https://x/\"\n"),
            (FeedFileCode::BadId, None),
            "an id from a file name has no span"
        );
    }

    #[test]
    fn code_unknown_kind() {
        assert_eq!(
            one_problem("kind = \"ftp-dir\"\npath = \"n\"\n"),
            spanned(FeedFileCode::UnknownKind, "\"ftp-dir\"")
        );
    }

    #[test]
    fn code_bad_url() {
        assert_eq!(
            one_problem("kind = \"nvd\"\nurl = \"ftp://x/\"\n"),
            spanned(FeedFileCode::BadUrl, "\"ftp://x/\"")
        );
        assert_eq!(
            one_problem("kind = \"nvd\"\nurl = \"not a url\"\n"),
            spanned(FeedFileCode::BadUrl, "\"not a url\"")
        );
    }

    #[test]
    fn code_missing_location() {
        assert_eq!(
            one_problem("kind = \"nvd\"\n"),
            (FeedFileCode::MissingLocation, None)
        );
    }

    #[test]
    fn code_conflicting_location() {
        assert_eq!(
            one_problem("kind = \"osv-dir\"\nurl = \"https://x/\"\npath = \"n\"\n"),
            spanned(FeedFileCode::ConflictingLocation, "\"n\"")
        );
    }

    #[test]
    fn code_path_not_allowed() {
        assert_eq!(
            one_problem("kind = \"nvd\"\npath = \"n\"\n"),
            spanned(FeedFileCode::PathNotAllowed, "\"n\"")
        );
    }

    #[test]
    fn code_bad_schedule() {
        assert_eq!(
            one_problem("kind = \"osv-dir\"\npath = \"n\"\nschedule = \"0h\"\n"),
            spanned(FeedFileCode::BadSchedule, "\"0h\"")
        );
    }

    #[test]
    fn code_unknown_scheme() {
        assert_eq!(
            one_problem("kind = \"osv-dir\"\npath = \"n\"\nscheme = \"roman\"\n"),
            spanned(FeedFileCode::UnknownScheme, "\"roman\"")
        );
    }

    #[test]
    fn code_missing_selectors() {
        assert_eq!(
            one_problem("kind = \"rss\"\nurl = \"https://x/feed.xml\"\n"),
            spanned(FeedFileCode::MissingSelectors, "\"rss\"")
        );
    }

    #[test]
    fn code_bad_selector() {
        // `[html]` keeps no spans of its own: the path finds the value.
        assert_eq!(
            one_problem(
                "kind = \"html\"\nurl = \"https://x/\"\n[html]\ntitle = \"h1\"\nid = \"..nope\"\n"
            ),
            spanned(FeedFileCode::BadSelector, "\"..nope\"")
        );
        assert_eq!(
            one_problem(
                "kind = \"html\"\nurl = \"https://x/\"\nhtml = { title = \"[[\", id = \".id\" }\n"
            ),
            spanned(FeedFileCode::BadSelector, "\"[[\""),
            "in an inline table too"
        );
    }

    #[test]
    fn code_bad_allow_host() {
        assert_eq!(
            one_problem(
                "kind = \"nvd\"\nurl = \"https://x/\"\nallow_hosts = [\"ok.example\", \"https://b/\"]\n"
            ),
            spanned(FeedFileCode::BadAllowHost, "\"https://b/\"")
        );
    }

    #[test]
    fn code_duplicate_id() {
        let dir = tempfile::tempdir().unwrap();
        let feed = "id = \"same\"\nkind = \"native-dir\"\npath = \"n\"\n";
        std::fs::write(dir.path().join("a.toml"), feed).unwrap();
        std::fs::write(dir.path().join("b.toml"), feed).unwrap();
        // Named by its file: no `id` to point at.
        std::fs::write(
            dir.path().join("same.toml"),
            "kind = \"osv-dir\"\npath = \"n\"\n",
        )
        .unwrap();
        let Err(FeedDefError::Invalid(diags)) = load_feeds(dir.path()) else {
            panic!("loaded")
        };
        let rendered = diags.render_plain();
        let [second, third] = diags.diagnostics.as_slice() else {
            panic!("{rendered}")
        };
        assert_eq!(second.code, FeedFileCode::DuplicateId);
        assert_eq!(second.primary.file, 1, "b.toml, the second definition");
        let span = second.primary.span.clone().unwrap();
        assert_eq!(&diags.files[1].text[span], "\"same\"");
        let (first, _) = &second.secondary[0];
        assert_eq!((first.file, first.span.is_some()), (0, true));
        assert_eq!(third.code, FeedFileCode::DuplicateId);
        assert_eq!(third.primary.span, None);
        assert!(rendered.contains("b.toml:1:6"), "{rendered}");
        assert!(rendered.contains("first defined here"), "{rendered}");
        assert!(rendered.contains("named by its file name"), "{rendered}");
    }

    #[test]
    fn every_code_has_a_test() {
        // The `code_*` tests above cover these; a new code needs a new test.
        use FeedFileCode as C;
        let covered = [
            C::ParseError,
            C::BadId,
            C::UnknownKind,
            C::BadUrl,
            C::MissingLocation,
            C::ConflictingLocation,
            C::PathNotAllowed,
            C::BadSchedule,
            C::UnknownScheme,
            C::MissingSelectors,
            C::BadSelector,
            C::BadAllowHost,
            C::DuplicateId,
        ];
        assert_eq!(covered.len(), C::ALL.len());
        for c in C::ALL {
            assert!(covered.contains(&c), "{c} has no test");
        }
    }
}
