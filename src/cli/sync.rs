//! `firmwatch sync`: fetch the feeds in `--feeds` into the store at `--store`, then print a summary
//! per feed (table, or JSON with `--json`). Progress bars go to stderr, only when it is a terminal.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use firmwatch::collect::ctx::{ProgressEvent, ProgressFn};
use firmwatch::collect::{self, summarize, SyncOptions, SyncReport, SyncStatus};
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

fn table(report: &SyncReport) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
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
    for f in &report.feeds {
        let status = match f.status {
            SyncStatus::Ok => "ok",
            SyncStatus::Failed => "FAILED",
            SyncStatus::Disabled => "disabled (skipped)",
            SyncStatus::NotDue => "not due",
        };
        let mut reason = f.error.clone().unwrap_or_default();
        // One line per kind of warning, however many documents it concerns.
        for w in summarize(&f.warnings) {
            if !reason.is_empty() {
                reason.push('\n');
            }
            reason.push_str(&format!("warning: {w}"));
        }
        t.add_row(vec![
            f.feed.to_string(),
            f.kind.to_string(),
            status.to_string(),
            f.new.to_string(),
            f.updated.to_string(),
            f.unchanged.to_string(),
            f.withdrawn.to_string(),
            age(f.data_age_secs),
            reason,
        ]);
    }
    t
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
    let store = global.open_store()?;
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
        writeln!(out, "{}", table(&report))?;
    }
    Ok(if report.any_failed() {
        Exit::PartialSync
    } else {
        Exit::Ok
    })
}
