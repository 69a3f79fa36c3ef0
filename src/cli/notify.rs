//! `firmwatch notify`: compute findings exactly as `exposure` does, plan the digests, commit them to
//! the outbox, deliver everything pending, print a summary.

use std::io::Write;

use anyhow::Result;
use chrono::Utc;
use clap::ValueEnum;

use firmwatch::notify::{self, email, outbox, DeliverOptions, Outbox, Status};
use firmwatch::pipeline;
use firmwatch::store::{HistoryStore, NotifyStore, Store};

use super::estate::{
    load_feeds, load_inventory, load_overrides, sync_due, EstateArgs, RatedEstate,
};
use super::{Exit, Global};

/// TLS mode of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// Upgrade with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP settings shared by `notify` and `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmtpArgs {
    /// SMTP server, `smtp://host[:port]` (without it, e-mail deliveries wait in the outbox).
    #[arg(
        long,
        env = "FIRMWATCH_SMTP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// Connection security.
    #[arg(
        long,
        value_enum,
        env = "FIRMWATCH_SMTP_TLS",
        hide_env_values = true,
        default_value = "starttls"
    )]
    pub smtp_tls: SmtpTls,
    /// Name of the environment variable holding the SMTP user name.
    #[arg(long, value_name = "VAR")]
    pub smtp_user_env: Option<String>,
    /// Name of the environment variable holding the SMTP password.
    #[arg(long, value_name = "VAR")]
    pub smtp_password_env: Option<String>,
    /// Sender address of the digests.
    #[arg(
        long,
        env = "FIRMWATCH_MAIL_FROM",
        hide_env_values = true,
        default_value = "firmwatch <firmwatch@localhost>",
        value_name = "ADDRESS"
    )]
    pub mail_from: String,
}

impl SmtpArgs {
    fn config(&self) -> Result<Option<email::SmtpConfig>> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        let tls = match self.smtp_tls {
            SmtpTls::None => email::Tls::None,
            SmtpTls::Starttls => email::Tls::StartTls,
            SmtpTls::Tls => email::Tls::Tls,
        };
        Ok(Some(email::SmtpConfig::from_url(
            url,
            tls,
            self.mail_from.clone(),
            self.smtp_user_env.clone(),
            self.smtp_password_env.clone(),
        )?))
    }
}

/// Arguments of `firmwatch notify`.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// Print what would be sent; send nothing and leave the outbox as it is (due feeds still sync).
    #[arg(long, conflicts_with = "status")]
    pub dry_run: bool,
    /// Show the outbox (pending deliveries, their attempts and last error); send nothing.
    #[arg(long)]
    pub status: bool,
    /// Retry every pending delivery now, ignoring its backoff.
    #[arg(long)]
    pub retry_now: bool,
    /// Send RESOLVED for the findings of systems that left the inventory even when more than
    /// half of the systems owners were told about left it in one run (otherwise that stops the
    /// run: an empty or truncated inventory export looks the same).
    #[arg(long)]
    pub accept_inventory_shrink: bool,
    #[command(flatten)]
    pub estate: EstateArgs,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

pub fn run(args: &NotifyArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let rt = super::runtime()?;
    if args.status {
        return status(&global.open_store()?, out);
    }
    // Held only while worked on: a slow feed, mail server or webhook keeps no other command out.
    rt.block_on(step(args, global, &global.on_demand_store(), out))
        .map(|s| s.exit)
}

/// How a notify step ended, and what it rated (for `serve` to show).
pub struct Stepped {
    pub exit: Exit,
    /// `None` when the step stopped before rating (an invalid inventory, a shrink refused) or
    /// was a dry run.
    pub rated: Option<RatedEstate>,
}

impl From<Exit> for Stepped {
    fn from(exit: Exit) -> Stepped {
        Stepped { exit, rated: None }
    }
}

/// One notify step: (sync) → findings → plan → commit → deliver → summary.
pub async fn step<S>(
    args: &NotifyArgs,
    global: &Global,
    store: &S,
    out: &mut impl Write,
) -> Result<Stepped>
where
    S: Store + NotifyStore + HistoryStore + Clone + Send + Sync + 'static,
{
    let Some(inv) = load_inventory(global)? else {
        return Ok(Exit::Error.into());
    };
    let Some(feeds) = load_feeds(global)? else {
        return Ok(Exit::Error.into());
    };
    let overrides = load_overrides(args.estate.annotations.as_deref(), &global.feeds)?;
    let smtp = args.smtp.config()?;
    if !args.estate.no_sync {
        for w in sync_due(store, &feeds).await {
            tracing::warn!("{w}");
        }
    }
    let (gone, known) = notify::plan::vanished_systems(&Outbox::new(store).state()?, &inv);
    if notify::plan::shrink_over_limit(gone.len(), known) {
        let what = format!(
            "the inventory no longer holds {} of the {known} systems owners were told about ({})",
            gone.len(),
            gone.join(", ")
        );
        if args.dry_run || args.accept_inventory_shrink {
            tracing::warn!("{what}: their findings are announced as resolved");
        } else {
            tracing::error!(
                "{what}; nothing was sent. If they really left, run again with \
                 --accept-inventory-shrink; otherwise check the inventory at {}",
                global.inventory.display()
            );
            return Ok(Exit::Error.into());
        }
    }
    let now = Utc::now();
    let today = args.estate.today.unwrap_or_else(|| now.date_naive());
    let advisories = pipeline::prepare(pipeline::load_advisories(store, &inv)?, &overrides);
    let findings = pipeline::findings(&inv, &advisories, &overrides, today);
    let statuses = pipeline::feed_statuses(store, &feeds, now, args.estate.max_data_age)?;
    for w in firmwatch::report::feed_warnings(&statuses) {
        tracing::warn!("{w}");
    }
    for w in firmwatch::discover::drift::warnings(&inv, now, args.estate.max_discovered_age) {
        tracing::warn!("{w}");
    }
    let stale = statuses.iter().any(|f| f.stale);
    let data_note = stale.then(|| {
        format!(
            "the advisory data behind this digest is stale: {}; findings may be missing",
            firmwatch::report::stale_feeds(&statuses)
        )
    });
    // With --max-data-age, stale data fails the run (exit 3) — after the digests went out, and
    // over exit 5, which schedulers may treat as success.
    let stale_fails = stale && args.estate.max_data_age.is_some();

    if args.dry_run {
        let (plan, deliveries) =
            notify::plan_run(store, &findings, &inv, today, now, data_note.as_deref())?;
        writeln!(
            out,
            "dry run: {} digest(s), {} delivery(ies) would be sent; nothing written to the outbox",
            plan.messages.len(),
            deliveries.len()
        )?;
        for (_, d) in &deliveries {
            writeln!(
                out,
                "\n=== to {} by {} ({}), key {} ===",
                d.message.owner,
                d.channel.as_str(),
                d.target,
                d.message.key
            )?;
            write!(out, "{}", notify::render::text(&d.message))?;
        }
        let pending = Outbox::new(store)
            .all()?
            .iter()
            .filter(|(_, d)| d.status == Status::Pending)
            .count();
        if pending > 0 {
            writeln!(
                out,
                "\n{pending} earlier delivery(ies) pending in the outbox"
            )?;
        }
        return Ok(if stale_fails {
            Exit::Findings
        } else {
            Exit::Ok
        }
        .into());
    }

    let plan = notify::plan_and_commit(store, &findings, &inv, today, now, data_note.as_deref())?;
    // The history records what was rated, whatever the deliveries do; it never holds them up.
    match pipeline::record_history(store, &inv, &findings, today) {
        Ok(Ok(r)) => tracing::info!(
            "history: recorded {}, {} record(s) changed",
            r.day,
            r.changed
        ),
        Ok(Err(e)) => tracing::warn!("history: {e}"),
        Err(e) => tracing::error!("history: not recorded: {e}"),
    }
    tracing::info!(
        "planned {} digest(s) from {} finding(s)",
        plan.messages.len(),
        findings.len()
    );
    let opts = DeliverOptions {
        smtp,
        ignore_backoff: args.retry_now,
    };
    let summary = notify::deliver(store, &opts, now).await?;
    let pruned = Outbox::new(store).prune(now, chrono::Duration::days(30))?;
    if pruned > 0 {
        tracing::info!("pruned {pruned} delivered message(s) older than 30 days");
    }
    for o in &summary.outcomes {
        match &o.error {
            None => writeln!(
                out,
                "sent    {} {} → {} (key {})",
                o.owner,
                o.channel.as_str(),
                o.target,
                o.key
            )?,
            Some(e) => writeln!(
                out,
                "FAILED  {} {} → {}: {e} (will retry)",
                o.owner,
                o.channel.as_str(),
                o.target
            )?,
        }
    }
    writeln!(
        out,
        "notify: {} new digest(s); {} delivered, {} failed, {} waiting for backoff",
        plan.messages.len(),
        summary.sent(),
        summary.failed(),
        summary.waiting
    )?;
    if let Some(note) = &data_note {
        writeln!(out, "warning: {note}")?;
    }
    let exit = if stale_fails {
        Exit::Findings
    } else if summary.failed() > 0 || summary.waiting > 0 {
        Exit::PartialSync
    } else {
        Exit::Ok
    };
    Ok(Stepped {
        exit,
        rated: Some(RatedEstate {
            inv,
            advisories,
            overrides,
            findings,
            statuses,
            now,
            today,
        }),
    })
}

fn status(store: &impl NotifyStore, out: &mut impl Write) -> Result<Exit> {
    let all = Outbox::new(store).all()?;
    let pending: Vec<_> = all
        .iter()
        .filter(|(_, d)| d.status == Status::Pending)
        .collect();
    let sent = all.len() - pending.len();
    writeln!(
        out,
        "outbox: {} pending, {} delivered (kept 30 days)",
        pending.len(),
        sent
    )?;
    for (k, d) in &pending {
        writeln!(
            out,
            "pending {} → {} attempts={} next={} key={}{}",
            outbox::display_key(k),
            d.target,
            d.attempts,
            d.next_attempt.format("%Y-%m-%dT%H:%M:%SZ"),
            d.message.key,
            d.last_error
                .as_ref()
                .map(|e| format!(" last_error: {e}"))
                .unwrap_or_default()
        )?;
    }
    Ok(if pending.is_empty() {
        Exit::Ok
    } else {
        Exit::PartialSync
    })
}
