//! `firmwatch run`: sync → exposure → notify as one pipeline, once or every DURATION.
//!
//! Each cycle syncs only the feeds whose own schedule is due, computes findings and runs the
//! notify step. SIGINT and SIGTERM are caught: the current step finishes (a half-sent outbox is
//! never abandoned mid-delivery), then the command exits 0. The sleep between cycles is cut short
//! by a signal. The store is open only while a cycle runs.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::watch;

use firmwatch::collect::feed::parse_schedule;

use super::notify::{self, NotifyArgs};
use super::{Exit, Global};

/// Arguments of `firmwatch run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run a cycle every DURATION (`30m`, `6h`, `1d`); without it, run once.
    #[arg(long, value_name = "DURATION", value_parser = parse_schedule, conflicts_with = "once")]
    pub every: Option<Duration>,
    /// Run one cycle and exit (the default without --every).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

/// Resolve when SIGINT or SIGTERM arrives.
pub(super) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub fn run(args: &RunArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let (tx, mut rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::warn!("signal received: finishing the current step, then exiting");
            let _ = tx.send(true);
        });
        let mut step_args: NotifyArgs = args.notify.clone();
        step_args.status = false;
        step_args.dry_run = false;
        let mut cycle = 0u64;
        loop {
            cycle += 1;
            let started = Instant::now();
            tracing::warn!("cycle {cycle}: sync due feeds → exposure → notify");
            // The store is held only while a cycle works on it (not while it waits on a feed,
            // a mail server or the next cycle), so other commands can use it meanwhile.
            let result = notify::step(&step_args, global, &global.on_demand_store(), out)
                .await
                .map(|s| s.exit);
            let exit = match result {
                Ok(e) => e,
                Err(e) => {
                    if args.every.is_none() {
                        return Err(e);
                    }
                    // On a loop, one bad cycle (an inventory being edited) must not end the service.
                    tracing::error!(
                        "cycle {cycle} failed: {}",
                        firmwatch::error::chain(e.as_ref())
                    );
                    Exit::Error
                }
            };
            out.flush()?;
            tracing::warn!(
                "cycle {cycle} done in {:.1}s (exit {})",
                started.elapsed().as_secs_f64(),
                exit as u8
            );
            let Some(every) = args.every else {
                return Ok(exit);
            };
            if *rx.borrow() {
                return Ok(Exit::Ok);
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = rx.changed() => {}
            }
            if *rx.borrow() {
                tracing::warn!("stopped after cycle {cycle}");
                return Ok(Exit::Ok);
            }
        }
    })
}
