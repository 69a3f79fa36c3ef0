//! The durable outbox, on the store's reserved `findings` and `outbox` trees.
//!
//! `findings` holds the notified state (`owner \0 finding id` → [`Notified`]); `outbox` holds one
//! [`Delivery`] per (message, channel), keyed `generation \0 owner \0 channel` so they list in plan
//! order. A plan's deliveries and its state changes are written in **one** sled transaction and
//! flushed before anything is sent: after a crash the state says "told" only if the message to tell
//! it is in the outbox. A delivery is marked sent (and flushed) right after its channel accepted it,
//! so a crash repeats at most the delivery in flight, with the same idempotency key. A failed
//! delivery stays pending with a backoff ([`backoff`]) and its last error.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::plan::{Message, Notified, Plan, State};
use crate::store::{decode, encode, SledStore, Store, StoreError, FINDINGS_TREE, OUTBOX_TREE};

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

/// Wait before the next attempt after `attempts` failures: 1 min doubling, at most 6 h.
pub fn backoff(attempts: u32) -> Duration {
    let mins = 1i64 << attempts.saturating_sub(1).min(9);
    Duration::minutes(mins.min(360))
}

fn state_key(owner: &str, finding: &str) -> Vec<u8> {
    let mut k = owner.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(finding.as_bytes());
    k
}

/// The outbox key of a delivery.
pub fn delivery_key(m: &Message, channel: Channel) -> String {
    format!("{}\0{}\0{}", m.generation, m.owner, channel.as_str())
}

/// Printable form of a delivery key.
pub fn display_key(key: &str) -> String {
    key.replace('\0', "/")
}

/// How `firmwatch store check` reads the notifier's trees (their layout is this module's).
pub fn store_checks() -> [crate::store::check::TreeCheck; 2] {
    fn findings(k: &[u8], v: &[u8]) -> Result<(), String> {
        let key = String::from_utf8_lossy(k);
        if key
            .split_once('\0')
            .is_none_or(|(o, f)| o.is_empty() || f.is_empty())
        {
            return Err("malformed key (expected `owner \\0 finding`)".into());
        }
        decode::<Notified>(&display_key(&key), v)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn outbox(k: &[u8], v: &[u8]) -> Result<(), String> {
        let key = String::from_utf8_lossy(k);
        let parts: Vec<&str> = key.split('\0').collect();
        let [_, owner, channel] = parts[..] else {
            return Err("malformed key (expected `generation \\0 owner \\0 channel`)".into());
        };
        let d: Delivery = decode(&display_key(&key), v).map_err(|e| e.to_string())?;
        if d.message.owner != owner || d.channel.as_str() != channel {
            return Err(format!(
                "holds a {} delivery for `{}` under another key",
                d.channel.as_str(),
                d.message.owner
            ));
        }
        Ok(())
    }
    [
        crate::store::check::TreeCheck {
            tree: FINDINGS_TREE,
            check: findings,
        },
        crate::store::check::TreeCheck {
            tree: OUTBOX_TREE,
            check: outbox,
        },
    ]
}

/// The notifier's persistent side.
pub struct Outbox<'a> {
    store: &'a SledStore,
    findings: sled::Tree,
    outbox: sled::Tree,
}

fn io(what: impl Into<String>) -> impl FnOnce(sled::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

impl<'a> Outbox<'a> {
    pub fn open(store: &'a SledStore) -> Result<Outbox<'a>, StoreError> {
        Ok(Outbox {
            store,
            findings: store.tree(FINDINGS_TREE)?,
            outbox: store.tree(OUTBOX_TREE)?,
        })
    }

    /// The notified state.
    pub fn state(&self) -> Result<State, StoreError> {
        let mut out = State::new();
        for kv in self.findings.iter() {
            let (k, v) = kv.map_err(io(FINDINGS_TREE))?;
            let key = String::from_utf8_lossy(&k).to_string();
            let Some((owner, finding)) = key.split_once('\0') else {
                continue;
            };
            let n: Notified = decode(&display_key(&key), &v)?;
            out.insert((owner.to_string(), finding.to_string()), n);
        }
        Ok(out)
    }

    /// Write the plan's deliveries and its state changes in one transaction, then flush.
    pub fn commit(&self, plan: &Plan, deliveries: &[(String, Delivery)]) -> Result<(), StoreError> {
        let mut puts: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for ((owner, finding), n) in &plan.upserts {
            puts.push((state_key(owner, finding), encode(finding, n)?));
        }
        let dels: Vec<Vec<u8>> = plan.removals.iter().map(|(o, f)| state_key(o, f)).collect();
        let mut outs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for (key, d) in deliveries {
            outs.push((key.as_bytes().to_vec(), encode(&display_key(key), d)?));
        }
        let result = (&self.findings, &self.outbox).transaction(|(fnd, obx)| {
            for (k, v) in &puts {
                fnd.insert(k.as_slice(), v.as_slice())?;
            }
            for k in &dels {
                fnd.remove(k.as_slice())?;
            }
            for (k, v) in &outs {
                obx.insert(k.as_slice(), v.as_slice())?;
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(source)) => {
                return Err(StoreError::Io {
                    what: "notification plan".into(),
                    source,
                })
            }
        }
        self.store.flush()
    }

    /// Every delivery, in key order.
    pub fn all(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.outbox.iter() {
            let (k, v) = kv.map_err(io(OUTBOX_TREE))?;
            let key = String::from_utf8_lossy(&k).to_string();
            let d: Delivery = decode(&display_key(&key), &v)?;
            out.push((key, d));
        }
        Ok(out)
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

    fn put(&self, key: &str, d: &Delivery) -> Result<(), StoreError> {
        self.outbox
            .insert(key.as_bytes(), encode(&display_key(key), d)?)
            .map_err(io(display_key(key)))?;
        self.store.flush()
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
        self.put(key, d)
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
        self.put(key, d)
    }

    /// Drop sent deliveries older than `keep` (history for `--status`), returning how many.
    pub fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for (k, d) in self.all()? {
            if d.status == Status::Sent && d.sent_at.is_some_and(|t| now - t > keep) {
                batch.remove(k.as_bytes());
                n += 1;
            }
        }
        if n > 0 {
            self.outbox.apply_batch(batch).map_err(io(OUTBOX_TREE))?;
            self.store.flush()?;
        }
        Ok(n)
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
    use crate::notify::plan::Message;

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
        let store = SledStore::open(dir.path()).unwrap();
        let ob = Outbox::open(&store).unwrap();
        let now = Utc::now();
        let n = Notified {
            severity: Severity::High,
            title: "t".into(),
            fixed_in: vec!["2".into()],
            effects: vec![],
            window: None,
            undecided: None,
        };
        let plan = Plan {
            messages: vec![message("a")],
            upserts: vec![(("a".into(), "X@s".into()), n.clone())],
            removals: vec![],
        };
        let d = Delivery {
            channel: Channel::Webhook,
            target: "http://127.0.0.1:1/".into(),
            hook: None,
            status: Status::Pending,
            attempts: 0,
            created: now,
            next_attempt: now,
            last_error: None,
            sent_at: None,
            message: message("a"),
        };
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
        let plan = Plan {
            removals: vec![("a".into(), "X@s".into())],
            ..Plan::default()
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
