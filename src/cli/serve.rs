//! `firmwatch serve`: the dashboard and the REST API ([`firmwatch::serve`]), and the cycles that
//! feed them.
//!
//! Without `--every`, the estate is rated once at start (due feeds synced first unless
//! `--no-sync`, as `exposure` does) and that is served; nothing is sent. With `--every`, each
//! cycle is `run`'s (sync the due feeds, rate, notify, record the history) and ends by swapping
//! in a new snapshot; a failed cycle keeps the previous snapshot and says so on every page and in
//! `/healthz`. Cycles run on a thread of their own, so pages answer while one runs, and the store
//! is held only while a cycle works on it. SIGINT or SIGTERM stops the server, lets a running
//! cycle finish (a half-sent outbox is never abandoned), then exits 0.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use chrono::Utc;

use firmwatch::collect::feed::parse_schedule;
use firmwatch::history::{summarise, Query};
use firmwatch::notify::Outbox;
use firmwatch::serve::{self, auth, Cycle, Parts, Shared, Snapshot, Tokens};
use firmwatch::store::{HistoryStore, Store};

use super::estate::{load_inventory, load_rated, EstateArgs, Rated, RatedEstate};
use super::notify::{self, NotifyArgs, SmtpArgs};
use super::{Exit, Global};

/// Arguments of `firmwatch serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Any address but a loopback one needs a token
    /// (`FIRMWATCH_SERVE_TOKEN` or --token-file).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Run the sync → exposure → notify cycle every DURATION (`90s`, `30m`, `6h`, `1d`), as
    /// `run --every` does; without it, rate once at start and serve that (nothing is sent).
    #[arg(long, value_name = "DURATION", value_parser = parse_every)]
    pub every: Option<Duration>,
    /// Tokens, each for the whole estate or one owner (TOML; must not be readable by group or
    /// others). Tokens are never taken from the command line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Mark the steps of this rollout plan (the `check-update --plan` file) on the timeline; read
    /// again on every cycle.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// As `notify --accept-inventory-shrink`, for every cycle.
    #[arg(long)]
    pub accept_inventory_shrink: bool,
    #[command(flatten)]
    pub estate: EstateArgs,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// `--every`: a schedule as feeds have (`30m`, `6h`, `1d`), or seconds (`90s`).
fn parse_every(s: &str) -> Result<Duration, String> {
    match s.trim().strip_suffix('s').map(str::parse::<u64>) {
        Some(Ok(0)) => Err("an interval of zero would cycle continuously".into()),
        Some(Ok(n)) => Ok(Duration::from_secs(n)),
        _ => parse_schedule(s),
    }
}

fn tokens(args: &ServeArgs) -> Result<Tokens> {
    let mut tokens = Tokens::default();
    if let Ok(value) = std::env::var(auth::TOKEN_ENV) {
        tokens.add_env(&value)?;
    }
    if let Some(path) = &args.token_file {
        tokens.add_file(path)?;
    }
    if tokens.is_empty() && !args.listen.ip().is_loopback() {
        bail!(
            "listening on {} (not a loopback address) needs a token: set {} or give --token-file",
            args.listen,
            auth::TOKEN_ENV
        );
    }
    Ok(tokens)
}

pub fn run(args: &ServeArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let tokens = tokens(args)?;
    let started = Instant::now();
    let first = match cycle(args, global, 1) {
        Ok(s) => s,
        Err(CycleError::Reported) => return Ok(Exit::Error),
        Err(CycleError::Other(e)) => return Err(e),
    };
    for (name, owner) in tokens.owners() {
        if !first.inv.owners.keys().any(|o| o.as_str() == owner) {
            tracing::warn!("token `{name}` is scoped to owner `{owner}`, who is not in the inventory: it sees nothing");
        }
    }
    tracing::info!(
        "first snapshot in {:.1}s; {} token(s)",
        started.elapsed().as_secs_f64(),
        tokens.len()
    );
    let shared = Shared::new(first);
    let app = serve::web::router(shared.clone(), tokens);
    let rt = super::runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;

        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let cycles = args.every.map(|every| {
            let (args, global, shared) = (args.clone(), global.clone(), shared.clone());
            std::thread::spawn(move || cycles(&args, &global, &shared, every, &stopped))
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(super::run::shutdown_signal())
            .await
            .context("serving")?;
        tracing::warn!("signal received: stopping");
        drop(stop);
        if let Some(thread) = cycles {
            // A cycle that is running finishes first: its deliveries are not abandoned.
            let _ = thread.join();
        }
        Ok(Exit::Ok)
    })
}

/// Every `every` until `stop` closes: a cycle, then its snapshot served.
fn cycles(
    args: &ServeArgs,
    global: &Global,
    shared: &Shared,
    every: Duration,
    stop: &std::sync::mpsc::Receiver<()>,
) {
    let mut number = 1;
    loop {
        match stop.recv_timeout(every) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        number += 1;
        match cycle(args, global, number) {
            Ok(s) => shared.replace(s),
            Err(e) => {
                let why = match e {
                    CycleError::Reported => "the cycle stopped before rating: the inventory or \
                                             the feed definitions are invalid, or an inventory \
                                             shrink was refused (the log says which)"
                        .to_string(),
                    CycleError::Other(e) => firmwatch::error::chain(e.as_ref()),
                };
                tracing::error!("cycle {number} failed: {why}");
                shared.failed(why, Utc::now());
            }
        }
    }
}

enum CycleError {
    /// The problems are printed (an invalid inventory or feed definitions, a refused inventory
    /// shrink).
    Reported,
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for CycleError {
    fn from(e: E) -> CycleError {
        CycleError::Other(e.into())
    }
}

/// One cycle: rate (and with `--every`, sync, notify and record as `run` does), then the
/// snapshot of what it rated.
fn cycle(args: &ServeArgs, global: &Global, number: u64) -> Result<Snapshot, CycleError> {
    let started = Instant::now();
    let (rated, said) = if args.every.is_some() {
        let step_args = NotifyArgs {
            dry_run: false,
            status: false,
            retry_now: false,
            accept_inventory_shrink: args.accept_inventory_shrink,
            estate: args.estate.clone(),
            smtp: args.smtp.clone(),
        };
        let mut said = Vec::new();
        let stepped = super::runtime()?.block_on(notify::step(
            &step_args,
            global,
            &global.on_demand_store(),
            &mut said,
        ))?;
        let said = String::from_utf8_lossy(&said).into_owned();
        for line in said.lines() {
            tracing::info!("cycle {number}: {line}");
        }
        let Some(rated) = stepped.rated else {
            return Err(CycleError::Reported);
        };
        (rated, said.lines().last().map(str::to_string))
    } else {
        (rate_once(global, &args.estate)?, None)
    };
    let store = global.open_store()?;
    let outbox = Outbox::new(&store).all()?;
    let mut rejected = std::collections::BTreeMap::new();
    for f in &rated.statuses {
        if f.rejected > 0 {
            let Ok(id) = f.feed.parse::<firmwatch::model::FeedId>() else {
                continue;
            };
            let head = store.feed_head(&id)?.unwrap_or_default();
            rejected.insert(f.feed.clone(), head.rejected.into_iter().collect());
        }
    }
    let history = store.history()?;
    let history = (!history.days.is_empty()).then(|| summarise(&history, &Query::default()));
    drop(store);

    let mut warnings = Vec::new();
    let RatedEstate {
        inv,
        advisories,
        overrides,
        findings,
        statuses,
        now,
        today,
    } = rated;
    let plan = match &args.plan {
        Some(path) => match plan_of(path, &inv) {
            Ok(p) => Some(p),
            Err(why) => {
                // A plan being edited does not stop the cycle: the timeline shows no plan.
                tracing::warn!("{why}");
                warnings.push(why);
                None
            }
        },
        None => None,
    };
    let mut report = firmwatch::report::Report::new(
        now,
        today,
        firmwatch::report::InventorySummary {
            systems: inv.systems.len(),
            components: inv.component_count(),
            services: inv.services.len(),
            owners: inv.owners.len(),
        },
        advisories.len(),
        statuses,
        findings,
    );
    report.warnings.extend(warnings);
    let unused = firmwatch::pipeline::unused_triage(&overrides, &report.findings);
    report.warnings.extend(unused);
    report.warnings.extend(firmwatch::discover::drift::warnings(
        &inv,
        now,
        args.estate.max_discovered_age,
    ));
    Ok(Snapshot::new(Parts {
        report,
        inv,
        advisories,
        overrides,
        outbox,
        rejected,
        history,
        plan,
        cycle: Cycle {
            number,
            finished: Utc::now(),
            seconds: started.elapsed().as_secs_f64(),
            notify: said,
        },
    }))
}

/// The plan in `path`, checked against `inv`; the problems as one line otherwise.
fn plan_of(
    path: &std::path::Path,
    inv: &firmwatch::inventory::Inventory,
) -> Result<firmwatch::check::RolloutPlan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("the plan {} cannot be read: {e}", path.display()))?;
    firmwatch::check::parse_plan(&text, inv).map_err(|diags| {
        let d = firmwatch::check::plan_diagnostics(&path.display().to_string(), &text, &diags);
        format!(
            "the plan {} does not check, the timeline shows no plan: {}",
            path.display(),
            d.render_plain().lines().next().unwrap_or_default()
        )
    })
}

/// Rate the estate as `exposure` does (due feeds synced first unless `--no-sync`).
fn rate_once(global: &Global, estate: &EstateArgs) -> Result<RatedEstate, CycleError> {
    let Some(inv) = load_inventory(global)? else {
        return Err(CycleError::Reported);
    };
    let Some(Rated {
        overrides,
        advisories,
        statuses,
        now,
        today,
    }) = load_rated(global, estate, &inv)?
    else {
        return Err(CycleError::Reported);
    };
    let findings = firmwatch::pipeline::findings(&inv, &advisories, &overrides, today);
    Ok(RatedEstate {
        inv,
        advisories,
        overrides,
        findings,
        statuses,
        now,
        today,
    })
}
