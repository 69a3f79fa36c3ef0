//! The outbox: one [`Delivery`] per (message, channel), their keys, their backoff, and which
//! are due — over the store's [`NotifyStore`], which persists them with the notified state.
//!
//! A delivery's key is `generation \0 owner \0 channel` ([`delivery_key`]), so deliveries list in
//! plan order. A plan's deliveries and its state changes are committed in **one** store
//! transaction and flushed before anything is sent ([`Outbox::commit`]): after a crash the state
//! says "told" only if the message to tell it is in the outbox. A delivery is marked sent (and
//! flushed) right after its channel accepted it, so a crash repeats at most the delivery in
//! flight, with the same idempotency key. A failed delivery stays pending with a backoff
//! ([`backoff`]) and its last error. How the records are laid out is the store's business; this
//! module decides what they say.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::plan::{DigestPlan, Message, State};
use crate::store::{NotifyCommit, NotifyStore, StoreError};

/// A delivery channel of one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pending,
    Sent,
}

/// One message on one channel, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub channel: Channel,
    /// The address or URL it goes to (never a secret).
    pub target: String,
    /// The webhook's settings (URL, format, secret variable *name*) for webhook deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<crate::inventory::Webhook>,
    pub status: Status,
    pub attempts: u32,
    pub created: DateTime<Utc>,
    pub next_attempt: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    pub message: Message,
}

impl Delivery {
    /// A new delivery of `message` on `channel` to `target`, due now, never attempted.
    pub fn pending(
        channel: Channel,
        target: String,
        hook: Option<crate::inventory::Webhook>,
        message: Message,
        now: DateTime<Utc>,
    ) -> Delivery {
        Delivery {
            channel,
            target,
            hook,
            status: Status::Pending,
            attempts: 0,
            created: now,
            next_attempt: now,
            last_error: None,
            sent_at: None,
            message,
        }
    }
}

/// Wait before the next attempt after `attempts` failures: 1 min doubling, at most 6 h.
pub fn backoff(attempts: u32) -> Duration {
    let mins = 1i64 << attempts.saturating_sub(1).min(9);
    Duration::minutes(mins.min(360))
}

/// The outbox key of a delivery.
pub fn delivery_key(m: &Message, channel: Channel) -> String {
    format!("{}\0{}\0{}", m.generation, m.owner, channel.as_str())
}

/// Printable form of a delivery key.
pub fn display_key(key: &str) -> String {
    key.replace('\0', "/")
}

/// The owner and channel a delivery key names (the inverse of [`delivery_key`]); `None` when the
/// key does not have its three parts. `store check` compares them with the delivery stored
/// under the key.
pub fn key_owner_channel(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.split('\0');
    let (_generation, owner, channel) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some((owner, channel))
}

/// The notifier's persistent side: its pure decisions (which deliveries are due, how a delivery
/// changes when sent or failed, which are old enough to drop) over a [`NotifyStore`].
pub struct Outbox<'a, S: ?Sized> {
    store: &'a S,
}

impl<'a, S: NotifyStore + ?Sized> Outbox<'a, S> {
    pub fn new(store: &'a S) -> Outbox<'a, S> {
        Outbox { store }
    }

    /// The notified state.
    pub fn state(&self) -> Result<State, StoreError> {
        self.store.notified()
    }

    /// Write the plan's deliveries and its state changes in one transaction, then flush.
    pub fn commit(
        &self,
        plan: &DigestPlan,
        deliveries: &[(String, Delivery)],
    ) -> Result<(), StoreError> {
        self.store.commit_notifications(&NotifyCommit {
            upserts: &plan.upserts,
            removals: &plan.removals,
            deliveries,
        })
    }

    /// Every delivery, in key order.
    pub fn all(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        self.store.deliveries()
    }

    /// Pending deliveries; with `ignore_backoff` false, only those whose next attempt is due.
    pub fn due(
        &self,
        now: DateTime<Utc>,
        ignore_backoff: bool,
    ) -> Result<Vec<(String, Delivery)>, StoreError> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|(_, d)| {
                d.status == Status::Pending && (ignore_backoff || d.next_attempt <= now)
            })
            .collect())
    }

    /// The channel accepted it.
    pub fn mark_sent(
        &self,
        key: &str,
        d: &mut Delivery,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        d.status = Status::Sent;
        d.attempts += 1;
        d.sent_at = Some(now);
        d.last_error = None;
        self.store.put_delivery(key, d)
    }

    /// The channel refused or failed: keep it pending with a backoff.
    pub fn mark_failed(
        &self,
        key: &str,
        d: &mut Delivery,
        error: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        d.attempts += 1;
        d.next_attempt = now + backoff(d.attempts);
        d.last_error = Some(error);
        self.store.put_delivery(key, d)
    }

    /// Drop sent deliveries older than `keep` (history for `--status`), returning how many.
    pub fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, StoreError> {
        let old: Vec<String> = self
            .all()?
            .into_iter()
            .filter(|(_, d)| d.status == Status::Sent && d.sent_at.is_some_and(|t| now - t > keep))
            .map(|(k, _)| k)
            .collect();
        self.store.remove_deliveries(&old)?;
        Ok(old.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(30), Duration::minutes(360));
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::blast::Severity;
    use crate::notify::plan::{Message, Notified};

    fn message(owner: &str) -> Message {
        Message {
            owner: owner.into(),
            owner_name: owner.into(),
            generation: "g1".into(),
            key: format!("key-{owner}"),
            items: vec![],
            data_note: None,
        }
    }

    #[test]
    fn plan_state_and_deliveries_round_trip_with_backoff() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let ob = Outbox::new(&store);
        let now = Utc::now();
        let n = Notified {
            severity: Severity::High,
            title: "t".into(),
            fixed_in: vec!["2".into()],
            effects: vec![],
            window: None,
            undecided: None,
            triage: None,
        };
        let plan = DigestPlan {
            messages: vec![message("a")],
            upserts: vec![(("a".into(), "X@s".into()), n.clone())],
            removals: vec![],
        };
        let d = Delivery::pending(
            Channel::Webhook,
            "http://127.0.0.1:1/".into(),
            None,
            message("a"),
            now,
        );
        let key = delivery_key(&d.message, Channel::Webhook);
        ob.commit(&plan, &[(key.clone(), d)]).unwrap();
        assert_eq!(
            ob.state().unwrap()[&("a".to_string(), "X@s".to_string())],
            n
        );

        let (k, mut d) = ob.due(now, false).unwrap().remove(0);
        assert_eq!(k, key);
        ob.mark_failed(&k, &mut d, "HTTP 500".into(), now).unwrap();
        assert!(ob.due(now, false).unwrap().is_empty(), "backoff holds it");
        assert_eq!(ob.due(now + Duration::minutes(2), false).unwrap().len(), 1);
        let (k, mut d) = ob.due(now, true).unwrap().remove(0);
        assert_eq!(d.last_error.as_deref(), Some("HTTP 500"));
        ob.mark_sent(&k, &mut d, now).unwrap();
        assert!(ob.due(now, true).unwrap().is_empty());
        assert_eq!(ob.all().unwrap()[0].1.attempts, 2);

        // Removal in a later plan; sent history pruned after `keep`.
        let plan = DigestPlan {
            removals: vec![("a".into(), "X@s".into())],
            ..DigestPlan::default()
        };
        ob.commit(&plan, &[]).unwrap();
        assert!(ob.state().unwrap().is_empty());
        assert_eq!(
            ob.prune(now + Duration::days(31), Duration::days(30))
                .unwrap(),
            1
        );
        assert!(ob.all().unwrap().is_empty());
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn a_delivery_key_gives_back_its_owner_and_channel() {
        let m = Message {
            owner: "storage-team".into(),
            owner_name: "Storage".into(),
            generation: "20260101T000000.000000Z".into(),
            key: "k".into(),
            items: vec![],
            data_note: None,
        };
        let key = delivery_key(&m, Channel::Webhook);
        assert_eq!(
            display_key(&key),
            "20260101T000000.000000Z/storage-team/webhook"
        );
        assert_eq!(key_owner_channel(&key), Some(("storage-team", "webhook")));
        assert_eq!(key_owner_channel("g\0owner"), None);
        assert_eq!(key_owner_channel("g\0owner\0email\0extra"), None);
    }
}
