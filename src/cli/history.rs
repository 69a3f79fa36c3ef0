//! `firmwatch history`: the findings' history the store keeps ([`firmwatch::history`]) — open
//! findings over time, exposure-days per severity, mean time to resolve, per owner — and, with
//! `--record`, the observation of today's rating that adds to it.
//!
//! `notify` and `run` record an observation on every cycle; `--record` is for an estate rated
//! without notifications (a cron job of `firmwatch history --record`), and for replaying days with
//! `--today`.

use std::io::Write;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use clap::ValueEnum;

use firmwatch::history::{self, Query};
use firmwatch::pipeline;
use firmwatch::store::HistoryStore;

use super::estate::{load_inventory, load_rated, EstateArgs};
use super::{Exit, Global};

/// Output formats of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Table,
    Json,
}

/// Arguments of `firmwatch history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// First rate the estate (as `exposure` does, on the same options) and record the result as
    /// the observation of today (or of --today).
    #[arg(long)]
    pub record: bool,
    /// Only the findings of systems this owner owns.
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// Only the observations, exposure and resolutions from this day on.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<NaiveDate>,
    /// One finding's events instead (`ADVISORY@system`).
    #[arg(long, value_name = "ID", conflicts_with_all = ["owner", "since"])]
    pub finding: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: HistoryFormat,
    #[command(flatten)]
    pub estate: EstateArgs,
}

pub fn run(args: &HistoryArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    if args.record {
        let Some(inv) = load_inventory(global)? else {
            return Ok(Exit::Error);
        };
        let Some(rated) = load_rated(global, &args.estate, &inv)? else {
            return Ok(Exit::Error);
        };
        let findings = pipeline::findings(&inv, &rated.advisories, &rated.overrides, rated.today);
        let store = global.open_store()?;
        match pipeline::record_history(&store, &inv, &findings, rated.today)? {
            Ok(r) => tracing::warn!(
                "recorded the observation of {}: {} finding(s), {} record(s) changed",
                r.day,
                r.findings,
                r.changed
            ),
            Err(e) => {
                tracing::error!("{e}");
                return Ok(Exit::Error);
            }
        }
    }
    let store = global.open_store()?;
    let h = store.history()?;
    if let Some(id) = &args.finding {
        let Some(rec) = h.findings.get(id) else {
            bail!("no finding `{id}` in the history");
        };
        match args.format {
            HistoryFormat::Table => write!(out, "{}", history::render_finding(id, rec))?,
            HistoryFormat::Json => {
                serde_json::to_writer_pretty(
                    &mut *out,
                    &serde_json::json!({ "id": id, "record": rec }),
                )?;
                writeln!(out)?;
            }
        }
        return Ok(Exit::Ok);
    }
    if let Some(o) = &args.owner {
        if !h.findings.values().any(|r| r.owner == *o) {
            // Say so rather than print a table of zeros that reads like a measured trend.
            writeln!(
                out,
                "no finding of owner `{o}` has been recorded in {} observation(s)",
                h.days.len()
            )?;
            return Ok(Exit::Ok);
        }
    }
    let summary = history::summarise(
        &h,
        &Query {
            owner: args.owner.clone(),
            since: args.since,
        },
    );
    match args.format {
        HistoryFormat::Table => write!(out, "{}", history::render_text(&summary))?,
        HistoryFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            writeln!(out)?;
        }
    }
    Ok(Exit::Ok)
}
