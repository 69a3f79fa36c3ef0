//! Durable notifications: tell each owner, once, about the findings that concern them.
//!
//! Design. A run has three steps. **Plan** ([`plan`], pure): route every finding to the owner of the
//! affected system and the owners of dependent services, cut each item to what that owner may see,
//! and keep only what is new, escalated, materially changed, entering a closer warning window, or
//! resolved since the last run; the result is one digest per owner plus the new notified state.
//! **Commit** ([`outbox`]): write the digests (one delivery per owner channel: email, webhook) and
//! the new state into the store in one transaction and flush, *before* sending anything. The
//! notifier persists only through [`NotifyStore`], so it runs on any engine that implements it.
//! **Deliver** ([`deliver`]): send every pending delivery whose backoff has elapsed (this run's and
//! older ones), marking each sent as soon as its channel accepted it. A crash therefore loses
//! nothing and repeats at most the delivery in flight; every delivery carries the message's
//! idempotency key (`Idempotency-Key` header, e-mail `Message-ID`), so receivers can drop the repeat.
//! A failing channel stays pending with its error and is retried on a later run with backoff.
//!
//! Channels: [`email`] (SMTP through lettre, text + HTML) and [`webhook`] (reqwest; generic JSON
//! with `schema_version`, or a Slack-compatible payload). Bodies are built by [`render`], which
//! escapes every advisory-derived string.

pub mod email;
pub mod outbox;
pub mod plan;
pub mod render;
pub mod webhook;

use chrono::{DateTime, NaiveDate, Utc};

use crate::blast::Finding;
use crate::inventory::Inventory;
use crate::store::{NotifyStore, StoreError};

pub use outbox::{Channel, Delivery, Outbox, Status};
pub use plan::{DigestPlan, EventKind, Item, Message};

/// Why one delivery failed; stored as its `last_error` and retried later.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("webhook {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("SMTP server {server}: {reason}")]
    Smtp { server: String, reason: String },
    #[error("environment variable {0} is not set")]
    MissingSecret(String),
    #[error("{0}")]
    Config(String),
    #[error("cannot build the message: {0}")]
    Render(String),
    #[error("no SMTP server configured (--smtp-url / FIRMWATCH_SMTP_URL)")]
    NoSmtp,
}

/// A failure of the notifier as a whole (the store, the HTTP client).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The plan generation id of a run: its start time, to the microsecond (sorts in plan order).
pub fn generation(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%.6fZ").to_string()
}

/// The deliveries of a plan: one per channel the owner has.
pub fn deliveries(
    plan: &DigestPlan,
    inv: &Inventory,
    now: DateTime<Utc>,
) -> Vec<(String, Delivery)> {
    let mut out = Vec::new();
    for m in &plan.messages {
        let Some(owner) = inv.owners.values().find(|o| o.id.as_str() == m.owner) else {
            continue;
        };
        let mut push = |channel, target: String, hook| {
            out.push((
                outbox::delivery_key(m, channel),
                Delivery::pending(channel, target, hook, m.clone(), now),
            ));
        };
        if let Some(addr) = &owner.email {
            push(Channel::Email, addr.clone(), None);
        }
        if let Some(hook) = &owner.webhook {
            push(Channel::Webhook, hook.url.clone(), Some(hook.clone()));
        }
    }
    out
}

/// Plan a run from the stored state, without writing anything. `data_note` (stale advisory data)
/// goes into every digest.
pub fn plan_run<S: NotifyStore + ?Sized>(
    store: &S,
    findings: &[Finding],
    inv: &Inventory,
    today: NaiveDate,
    now: DateTime<Utc>,
    data_note: Option<&str>,
) -> Result<(DigestPlan, Vec<(String, Delivery)>), StoreError> {
    let state = Outbox::new(store).state()?;
    let mut plan = plan::plan(findings, inv, &state, today, &generation(now));
    for m in &mut plan.messages {
        m.data_note = data_note.map(str::to_string);
    }
    let deliveries = deliveries(&plan, inv, now);
    Ok((plan, deliveries))
}

/// Plan a run and commit it to the outbox (one transaction). Returns the plan.
pub fn plan_and_commit<S: NotifyStore + ?Sized>(
    store: &S,
    findings: &[Finding],
    inv: &Inventory,
    today: NaiveDate,
    now: DateTime<Utc>,
    data_note: Option<&str>,
) -> Result<DigestPlan, StoreError> {
    let (plan, deliveries) = plan_run(store, findings, inv, today, now, data_note)?;
    if !plan.upserts.is_empty() || !plan.removals.is_empty() || !deliveries.is_empty() {
        Outbox::new(store).commit(&plan, &deliveries)?;
    }
    Ok(plan)
}

/// Delivery settings.
#[derive(Debug, Clone, Default)]
pub struct DeliverOptions {
    pub smtp: Option<email::SmtpConfig>,
    /// Retry every pending delivery now, whatever its backoff.
    pub ignore_backoff: bool,
}

/// One delivery's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub key: String,
    pub owner: String,
    pub channel: Channel,
    pub target: String,
    pub error: Option<String>,
}

/// What [`deliver`] did.
#[derive(Debug, Clone, Default)]
pub struct DeliverySummary {
    pub outcomes: Vec<DeliveryOutcome>,
    /// Pending deliveries not attempted because their backoff has not elapsed.
    pub waiting: usize,
}

impl DeliverySummary {
    pub fn sent(&self) -> usize {
        self.outcomes.iter().filter(|o| o.error.is_none()).count()
    }
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.error.is_some()).count()
    }
}

/// Send every due pending delivery, marking each sent or failed as it completes.
pub async fn deliver<S: NotifyStore + ?Sized>(
    store: &S,
    opts: &DeliverOptions,
    now: DateTime<Utc>,
) -> Result<DeliverySummary, NotifyError> {
    let outbox = Outbox::new(store);
    let due = outbox.due(now, opts.ignore_backoff)?;
    let pending = outbox
        .all()?
        .iter()
        .filter(|(_, d)| d.status == Status::Pending)
        .count();
    let mut summary = DeliverySummary {
        waiting: pending.saturating_sub(due.len()),
        ..DeliverySummary::default()
    };
    if due.is_empty() {
        return Ok(summary);
    }
    let http = webhook::client()?;
    let mut smtp = None;
    for (key, mut d) in due {
        let result = match d.channel {
            Channel::Webhook => match &d.hook {
                Some(hook) => webhook::send(&http, hook, &d.message).await,
                None => Err(DeliveryError::Config(
                    "webhook delivery without a webhook".into(),
                )),
            },
            Channel::Email => match &opts.smtp {
                None => Err(DeliveryError::NoSmtp),
                Some(cfg) => {
                    if smtp.is_none() {
                        smtp = Some(cfg.transport());
                    }
                    match &smtp {
                        Some(Ok(t)) => email::send(t, cfg, &d.target, &d.message).await,
                        Some(Err(e)) => Err(DeliveryError::Config(e.to_string())),
                        None => Err(DeliveryError::NoSmtp),
                    }
                }
            },
        };
        let at = Utc::now().max(now);
        let error = match result {
            Ok(()) => {
                outbox.mark_sent(&key, &mut d, at)?;
                tracing::info!(owner = %d.message.owner, channel = d.channel.as_str(), key = %d.message.key, "delivered");
                None
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::warn!(owner = %d.message.owner, channel = d.channel.as_str(), "delivery failed, will retry: {msg}");
                outbox.mark_failed(&key, &mut d, msg.clone(), at)?;
                Some(msg)
            }
        };
        summary.outcomes.push(DeliveryOutcome {
            key: d.message.key.clone(),
            owner: d.message.owner.clone(),
            channel: d.channel,
            target: d.target.clone(),
            error,
        });
    }
    Ok(summary)
}
