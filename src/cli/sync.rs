//! `firmwatch sync`: fetch the feeds in `--feeds` into the store at `--store`, then print a summary
//! per feed (table, or JSON with `--json`). Progress bars go to stderr, only when it is a terminal.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use firmwatch::collect::ctx::{ProgressEvent, ProgressFn};
use firmwatch::collect::{self, summarize, FeedReport, SyncOptions, SyncReport, SyncStatus};
use firmwatch::model::FeedId;

use super::estate::load_feeds;
use super::{Exit, Global};

/// Arguments of `firmwatch sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Only this feed (repeatable); default: every enabled feed.
    #[arg(long = "feed", value_name = "ID")]
    pub only: Vec<FeedId>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Ignore saved validators and hashes: fetch and parse every document again.
    #[arg(long)]
    pub force: bool,
    /// Commit a sync that withdraws more than a fifth of a feed's advisories at once (held back
    /// otherwise: a listing that suddenly shrinks is usually a broken source).
    #[arg(long)]
    pub accept_withdrawals: bool,
    /// Feeds fetched at the same time.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,
    /// Document requests in flight at the same time within one feed.
    #[arg(long, default_value_t = firmwatch::collect::ctx::DEFAULT_FETCH_CONCURRENCY, value_name = "N")]
    pub fetch_jobs: usize,
}

/// The environment variable holding the NVD API key (raises NVD's rate limit; requests are then
/// spaced 0.6 s instead of 6 s).
pub const NVD_API_KEY_ENV: &str = "FIRMWATCH_NVD_API_KEY";

fn progress() -> ProgressFn {
    let multi = MultiProgress::new();
    let bars: Mutex<HashMap<FeedId, ProgressBar>> = Mutex::new(HashMap::new());
    let style = ProgressStyle::with_template("{spinner} {prefix:.bold}: {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    Arc::new(move |ev: ProgressEvent| {
        let Ok(mut bars) = bars.lock() else { return };
        match ev {
            ProgressEvent::Started { feed } => {
                let pb = multi.add(ProgressBar::new_spinner());
                pb.set_style(style.clone());
                pb.set_prefix(feed.to_string());
                pb.enable_steady_tick(Duration::from_millis(120));
                bars.insert(feed, pb);
            }
            ProgressEvent::Step { feed, message } => {
                if let Some(pb) = bars.get(&feed) {
                    pb.set_message(message);
                }
            }
            ProgressEvent::Finished { feed, ok } => {
                if let Some(pb) = bars.remove(&feed) {
                    pb.finish_with_message(if ok { "done" } else { "failed" });
                }
            }
        }
    })
}

fn age(secs: Option<i64>) -> String {
    match secs {
        None => "never synced".into(),
        Some(s) if s < 60 => "fresh".into(),
        Some(s) if s < 3600 => format!("{}m", s / 60),
        Some(s) if s < 86_400 => format!("{}h", s / 3600),
        Some(s) => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// The widest a reason is shown in the table: a longer one, or a feed's second, is printed in full
/// below the table (`feed: reason`), so a long error chain never widens the table.
const REASON_CELL: usize = 32;

/// The width the summary is laid out for when stdout is not a terminal and `COLUMNS` is unset.
const DEFAULT_WIDTH: u16 = 100;

/// The terminal's width, else `COLUMNS`, else [`DEFAULT_WIDTH`].
fn layout_width(t: &comfy_table::Table) -> u16 {
    t.width()
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<u16>().ok())
        })
        .filter(|&w| w >= 40)
        .unwrap_or(DEFAULT_WIDTH)
}

/// What a feed's `reason` says: its error, its rejected documents (one line, however many), then
/// one line per kind of warning, each counting the documents concerned.
fn reasons(f: &FeedReport) -> Vec<String> {
    let mut v: Vec<String> = f.error.iter().cloned().collect();
    match f.rejected.as_slice() {
        [] => {}
        [one] => v.push(format!("rejected, retried next sync: {}", one.reason)),
        [first, ..] => v.push(format!(
            "{} documents rejected, retried next sync (first: {})",
            f.rejected.len(),
            first.reason
        )),
    }
    v.extend(
        summarize(&f.warnings, &f.warnings_not_listed)
            .iter()
            .map(|s| format!("warning: {s}")),
    );
    v
}

/// `text` cut to `max` columns, ending in `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `text` in lines of at most `width` columns, broken at spaces where it can be (anywhere in a
/// longer word: a URL), continuation lines indented by two spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    const INDENT: &str = "  ";
    let width = width.max(INDENT.len() + 8);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0;
    // Whether `line` holds only its indent (or nothing): a word goes on without a space.
    let mut fresh = true;
    for word in text.split_whitespace() {
        let ww = word.width();
        if !fresh && w + 1 + ww > width {
            lines.push(std::mem::replace(&mut line, INDENT.to_string()));
            w = INDENT.len();
            fresh = true;
        }
        if !fresh {
            line.push(' ');
            w += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if w + cw > width {
                lines.push(std::mem::replace(&mut line, INDENT.to_string()));
                w = INDENT.len();
            }
            line.push(c);
            w += cw;
        }
        fresh = false;
    }
    if !fresh {
        lines.push(line);
    }
    lines
}

/// The summary table, laid out for `width` columns, and the reasons it could not show in full.
fn table(report: &SyncReport, width: Option<u16>) -> (comfy_table::Table, Vec<String>) {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    let width = width.unwrap_or_else(|| layout_width(&t));
    t.set_width(width);
    t.set_header(vec![
        "feed",
        "kind",
        "status",
        "new",
        "updated",
        "unchanged",
        "withdrawn",
        "data age",
        "reason",
    ]);
    let mut below = Vec::new();
    for f in &report.feeds {
        let status = match f.status {
            SyncStatus::Ok if !f.rejected.is_empty() => {
                format!("ok, {} rejected", f.rejected.len())
            }
            SyncStatus::Ok => "ok".into(),
            SyncStatus::Failed => "FAILED".into(),
            SyncStatus::Disabled => "disabled (skipped)".into(),
            SyncStatus::NotDue => "not due".into(),
        };
        let reasons = reasons(f);
        let cell = match reasons.as_slice() {
            [] => String::new(),
            [one] if one.width() <= REASON_CELL => one.clone(),
            [first, ..] => {
                for r in &reasons {
                    below.extend(wrap(&format!("{}: {r}", f.feed), usize::from(width)));
                }
                match reasons.len() - 1 {
                    0 => cut(first, REASON_CELL),
                    more => format!("{}\n+{more} more below", cut(first, REASON_CELL)),
                }
            }
        };
        t.add_row(vec![
            f.feed.to_string(),
            f.kind.to_string(),
            status,
            f.new.to_string(),
            f.updated.to_string(),
            f.unchanged.to_string(),
            f.withdrawn.to_string(),
            age(f.data_age_secs),
            cell,
        ]);
    }
    // The status is read at a glance (`ok, 3 rejected`): never broken over lines.
    if let Some(c) = t.column_mut(2) {
        c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
    }
    (t, below)
}

pub fn run(args: &SyncArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let Some(feeds) = load_feeds(global)? else {
        return Ok(Exit::Error);
    };
    for id in &args.only {
        if !feeds.iter().any(|f| &f.id == id) {
            bail!("no feed `{id}` in {}", global.feeds.display());
        }
    }
    // Held only while worked on: other commands are not kept out while a feed is slow.
    let store = global.on_demand_store();
    // A credential comes only from the environment (a command-line value shows in `ps`).
    let nvd_api_key = std::env::var(NVD_API_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty());
    let opts = SyncOptions {
        only: args.only.clone(),
        force: args.force,
        accept_withdrawals: args.accept_withdrawals,
        concurrency: args.jobs.max(1),
        fetch_concurrency: args.fetch_jobs.max(1),
        progress: std::io::stderr().is_terminal().then(progress),
        nvd_delay: if nvd_api_key.is_some() {
            Duration::from_millis(600)
        } else {
            Duration::from_secs(6)
        },
        nvd_api_key,
        ..SyncOptions::default()
    };
    let rt = super::runtime()?;
    let report = rt.block_on(collect::sync(&store, &feeds, &opts));
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        let (table, below) = table(&report, None);
        writeln!(out, "{table}")?;
        for line in below {
            writeln!(out, "{line}")?;
        }
    }
    // Rejected documents are retried like failed feeds: the sync is partial.
    Ok(if report.any_failed() || report.any_rejected() {
        Exit::PartialSync
    } else {
        Exit::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmwatch::collect::sync::RejectedReport;
    use firmwatch::collect::{FeedKind, SyncWarning, SyncWarningCode};

    fn feed(id: &str, error: Option<String>, warnings: Vec<SyncWarning>) -> FeedReport {
        FeedReport {
            feed: id.parse().unwrap(),
            kind: FeedKind::CsafProvider,
            status: if error.is_some() {
                SyncStatus::Failed
            } else {
                SyncStatus::Ok
            },
            new: 123_456,
            updated: 0,
            unchanged: 99_999,
            withdrawn: 0,
            documents_fetched: 0,
            error,
            last_success: None,
            data_age_secs: None,
            warnings,
            warnings_not_listed: Default::default(),
            rejected: Vec::new(),
        }
    }

    fn render(report: &SyncReport, width: u16) -> String {
        let (t, below) = table(report, Some(width));
        let mut s = t.to_string();
        for l in below {
            s.push('\n');
            s.push_str(&l);
        }
        s
    }

    fn report() -> SyncReport {
        let chain = "https://csaf.example-vendor-with-a-long-name.com/.well-known/csaf/provider-metadata.json: \
            GET https://csaf.example-vendor-with-a-long-name.com/white/2024/esa-2024-0001.json: \
            error sending request for url: client error (Connect): tcp connect error: Connection refused (os error 111)";
        let no_hash = (0..300)
            .map(|i| {
                SyncWarning::document(
                    SyncWarningCode::NoHashFile,
                    format!("https://csaf.example.com/white/2024/esa-2024-{i:04}.json"),
                    "no hash file, integrity not checked",
                )
            })
            .collect();
        SyncReport {
            schema_version: 3,
            started: chrono::Utc::now(),
            feeds: vec![
                feed(
                    "a-vendor-csaf-provider-with-an-unusually-long-feed-identifier-2024",
                    Some(chain.into()),
                    Vec::new(),
                ),
                feed("short", None, no_hash),
                feed("ok", None, Vec::new()),
            ],
        }
    }

    #[test]
    fn the_summary_fits_the_width_and_keeps_every_reason_in_full() {
        let r = report();
        for width in [100, 80, 120] {
            let out = render(&r, width);
            for line in out.lines() {
                assert!(
                    line.width() <= usize::from(width),
                    "{} > {width}: {line}\n{out}",
                    line.width()
                );
            }
            // The error chain in full, below the table, however it was wrapped.
            let joined: String = out.split_whitespace().collect();
            assert!(
                joined.contains("tcpconnecterror:Connectionrefused(oserror111)"),
                "{out}"
            );
            // 300 documents without a hash file: one line, not 300.
            assert_eq!(out.matches("esa-2024-").count(), 2, "{out}");
            assert!(out.contains("300 documents without a hash file"), "{out}");
        }
    }

    #[test]
    fn rejected_documents_show_in_the_status_and_one_reason_line() {
        let mut r = report();
        let mut f = feed("quarantined-vendor-feed", None, Vec::new());
        let now = chrono::Utc::now();
        f.rejected = (0..3)
            .map(|i| RejectedReport {
                location: format!("https://q.example/doc-{i}.json"),
                reason: format!("https://q.example/doc-{i}.json: not valid JSON: EOF"),
                since: now,
                last_tried: now,
            })
            .collect();
        r.feeds.push(f);
        for width in [80, 100] {
            let out = render(&r, width);
            assert!(
                out.lines().all(|l| l.width() <= usize::from(width)),
                "{out}"
            );
            assert!(out.contains("ok, 3 rejected"), "{out}");
            let joined: String = out.split_whitespace().collect();
            assert!(
                joined
                    .contains("quarantined-vendor-feed:3documentsrejected,retriednextsync(first:"),
                "{out}"
            );
            // One line for the three, naming the first.
            assert!(
                joined.contains("(first:https://q.example/doc-0.json:notvalidJSON"),
                "{out}"
            );
            assert!(!out.contains("doc-1.json"), "{out}");
        }
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("feed: a bb ccc", 10), ["feed: a bb", "  ccc"]);
        let long = format!("f: {}", "x".repeat(25));
        for l in wrap(&long, 10) {
            assert!(l.width() <= 10, "{l}");
        }
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
