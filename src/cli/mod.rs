//! Command-line interface: argument parsing, logging set-up, dispatch, output and exit codes.
//!
//! Exit codes are a contract (documented in the README): see [`Exit`].

mod check_update;
mod diagnostics;
mod discover;
mod estate;
mod exposure;
mod history;
mod inventory;
mod notify;
mod recommend;
mod run;
mod serve;
mod store;
mod sync;
mod triage;
mod versions;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ColorChoice, Parser, Subcommand};

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Exit {
    /// Success, nothing at or above the failure threshold.
    Ok = 0,
    /// An error: bad input, I/O failure, an invalid inventory.
    Error = 1,
    /// Bad command-line usage (clap's own code).
    Usage = 2,
    /// Findings at or above `--fail-on`, or a `caution` verdict.
    Findings = 3,
    /// A `block` verdict from `check-update`.
    Block = 4,
    /// Partial, something will be retried: `sync` — some feeds failed or some documents were
    /// rejected, the rest landed; `notify`/`run` — some delivery failed or waits for its backoff.
    PartialSync = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Track vendor firmware advisories against your storage estate and rate each by its blast radius
/// in your deployment.
#[derive(Debug, Parser)]
#[command(name = "firmwatch", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Directory of the advisory store (created on first use).
    #[arg(
        long,
        global = true,
        env = "FIRMWATCH_STORE",
        hide_env_values = true,
        default_value = ".firmwatch/store",
        value_name = "DIR"
    )]
    pub store: PathBuf,
    /// Engine of a new store (an existing store is always opened with the engine that wrote it;
    /// `store migrate` moves it to the other).
    #[arg(
        long,
        global = true,
        env = "FIRMWATCH_STORE_ENGINE",
        hide_env_values = true,
        value_name = "ENGINE",
        value_parser = ["redb", "sled"]
    )]
    pub store_engine: Option<String>,
    /// Directory of feed definitions (`*.toml`, one feed a file).
    #[arg(
        long,
        global = true,
        env = "FIRMWATCH_FEEDS",
        hide_env_values = true,
        default_value = "feeds",
        value_name = "DIR"
    )]
    pub feeds: PathBuf,
    /// Inventory file or directory of `*.toml` / `*.json` files.
    #[arg(
        long,
        global = true,
        env = "FIRMWATCH_INVENTORY",
        hide_env_values = true,
        default_value = "inventory",
        value_name = "PATH"
    )]
    pub inventory: PathBuf,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour.
    #[arg(long, global = true, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
}

impl Global {
    /// The engine `--store-engine` names for a new store.
    fn engine(&self) -> Option<firmwatch::store::Engine> {
        self.store_engine
            .as_deref()
            .map(|e| e.parse().expect("clap admits only engine names"))
    }

    /// The store, opened with the engine that wrote it (a new one with `--store-engine`, or
    /// the default engine), waiting a while for another process that holds it
    /// ([`firmwatch::store::lock_wait`]).
    pub fn open_store(&self) -> Result<firmwatch::store::AnyStore, firmwatch::store::StoreError> {
        firmwatch::store::open_waiting(&self.store, self.engine(), firmwatch::store::lock_wait())
    }

    /// The store for a command that waits on the network between store operations (a sync,
    /// a notify step): held only while it is worked on ([`firmwatch::store::OnDemandStore`]).
    pub fn on_demand_store(&self) -> firmwatch::store::OnDemandStore {
        firmwatch::store::OnDemandStore::new(
            &self.store,
            self.engine(),
            firmwatch::store::lock_wait(),
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What in the inventory is hit by a known bug, how badly in this deployment, and why.
    Exposure(exposure::ExposureArgs),
    /// Check a planned firmware update before rollout: verdict go (0) / caution (3) / block (4).
    CheckUpdate(check_update::CheckArgs),
    /// Which release to go to: the lowest known release that fixes every open finding of a
    /// system (or one component) and introduces none known.
    Recommend(recommend::RecommendArgs),
    /// Tell owners about new, worsened and resolved findings (exit 5 if a delivery must be retried).
    Notify(notify::NotifyArgs),
    /// Sync due feeds, then notify; once, or every DURATION until SIGINT/SIGTERM.
    Run(run::RunArgs),
    /// The dashboard and REST API on 127.0.0.1:8080: overview, findings, each finding's blast
    /// radius, the time bombs ahead, feeds, check a plan, notifications; `/api/v1/`, `/metrics`
    /// (with --every, also runs the sync → exposure → notify cycle).
    Serve(serve::ServeArgs),
    /// Fetch the feeds into the store and print a summary per feed (exit 5 if any feed failed).
    Sync(sync::SyncArgs),
    /// Record a decision about a finding (acknowledged, in progress, accepted risk, false positive,
    /// mitigated) in the operator file, with who and when.
    Triage(triage::TriageArgs),
    /// The findings' history: open findings over time, exposure-days per severity, mean time to
    /// resolve, per owner (`--record` first rates the estate and records today's observation;
    /// `notify` and `run` record one on every cycle).
    History(history::HistoryArgs),
    /// Read firmware facts from the systems' Redfish / Swordfish services into
    /// `<inventory>/discovered/` (exit 5 if any endpoint failed).
    ///
    /// For every system with a `[systems.discover]` source (or those named with --system), walk
    /// its service — BMC and BIOS firmware, power supplies, storage controllers, drives with
    /// their power-on hours, the firmware inventory, RAID volumes and pools — and write the facts
    /// to `<inventory>/discovered/<system>.json`, whole or not at all.
    ///
    /// Credentials come only from the environment variables the source names (`user_env`,
    /// `password_env`); they are never printed or logged. TLS is always verified (`ca_file` or a
    /// pinned `fingerprint` for a self-signed BMC). Resources are only read (GET); `auth =
    /// "session"` also logs in (POST) and out (DELETE) on the SessionService.
    ///
    /// An endpoint that fails (unreachable, login refused, an error status, malformed JSON, a
    /// timeout, endless paging, a cap) keeps its last good file, marked stale with the URL and
    /// the reason; the other endpoints are still written. Exit 0 when every endpoint was read, 5
    /// when any failed, 1 on an invalid inventory.
    Discover(discover::DiscoverArgs),
    /// Validate the inventory files and show what they describe.
    #[command(subcommand)]
    Inventory(inventory::InventoryCmd),
    /// Check the store: every value readable, index and feed states consistent (exit 1 on problems).
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// Parse, compare and range-check firmware versions the way matching does.
    #[command(subcommand)]
    Versions(versions::VersionsCmd),
}

fn init_logging(g: &Global) {
    let level = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIRMWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("firmwatch={level}")));
    let ansi = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}

/// The async runtime of the commands that sync or deliver: multi-threaded, one worker per core,
/// so feeds sync in parallel ([`firmwatch::collect::sync`]).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The operator's vendor spellings (`<feeds>/vendors.toml`), if the file is there.
fn load_vendors(feeds: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = feeds.join(firmwatch::vendor::VENDORS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => firmwatch::vendor::add_spellings(&path.display().to_string(), &text).map(drop),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Parse arguments, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    init_logging(&cli.global);
    let mut out = io::stdout().lock();
    // The operator's vendor spellings, beside the feed definitions, before anything is matched.
    if let Err(e) = load_vendors(&cli.global.feeds) {
        eprintln!("error: {}", firmwatch::error::chain(e.as_ref()));
        return Exit::Error.into();
    }
    let result = match &cli.command {
        Command::Versions(cmd) => versions::run(cmd, &mut out),
        Command::Inventory(cmd) => inventory::run(cmd, &cli.global, &mut out),
        Command::Sync(args) => sync::run(args, &cli.global, &mut out),
        Command::Discover(args) => discover::run(args, &cli.global, &mut out),
        Command::Exposure(args) => exposure::run(args, &cli.global, &mut out),
        Command::CheckUpdate(args) => check_update::run(args, &cli.global, &mut out),
        Command::Recommend(args) => recommend::run(args, &cli.global, &mut out),
        Command::Notify(args) => notify::run(args, &cli.global, &mut out),
        Command::Run(args) => run::run(args, &cli.global, &mut out),
        Command::Serve(args) => serve::run(args, &cli.global, &mut out),
        Command::Store(cmd) => store::run(cmd, &cli.global, &mut out),
        Command::Triage(args) => triage::run(args, &cli.global, &mut out),
        Command::History(args) => history::run(args, &cli.global, &mut out),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            // A closed pipe (`firmwatch … | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return Exit::Ok.into();
            }
            let _ = out.flush();
            eprintln!("error: {}", firmwatch::error::chain(e.as_ref()));
            Exit::Error.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// `--help` shows an option's variable, never its value: `FIRMWATCH_SMTP_URL` may carry
    /// credentials, and the other values say where an operator keeps things.
    #[test]
    fn no_environment_value_is_shown_in_help() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                if let Some(var) = arg.get_env() {
                    assert!(
                        arg.is_hide_env_values_set(),
                        "{path} --{}: the value of {var:?} would be printed by --help",
                        arg.get_id()
                    );
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&super::Cli::command(), "firmwatch");
    }
}
