//! The state the store persists and hands back, as plain data: a feed's sync state
//! ([`FeedState`], [`DocState`], [`Validators`], [`ListingIndex`]), what one write changes
//! ([`FeedCommit`], [`StateChanges`], [`NotifyCommit`]) and what it did ([`PutSummary`]).
//!
//! These types are the contract between the store and its callers; how an engine lays them out
//! in its trees is its own business (see the store's module documentation). Nothing here does I/O,
//! so the diffing a sync relies on ([`StateChanges::between`]) is tested without a store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::EncodedAdvisory;
use crate::model::{AdvisoryId, FeedId};
use crate::notify::outbox::Delivery;
use crate::notify::plan::Notified;

/// Counts of one [`Store::put_advisories`](super::Store::put_advisories) call, decided by content (encoded bytes) comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSummary {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl PutSummary {
    /// Add another summary's counts to this one.
    pub fn add(&mut self, other: PutSummary) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// Validators kept per URL for conditional GET and change detection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// SHA-256 of the last body, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What the store remembers about one document of a feed (a file or a URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocState {
    /// SHA-256 of the document bytes, hex.
    pub sha256: String,
    /// The listing's timestamp for this document (ROLIE `updated`, `changes.csv` date), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// The advisories this document produced.
    #[serde(default)]
    pub advisories: Vec<AdvisoryId>,
    /// The listing (ROLIE feed, `changes.csv`, `index.txt` URL) that named it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
}

/// Per-feed sync state: checkpoint, validators, last error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// When the feed last synced completely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Newest listing timestamp seen (ROLIE `updated`, `changes.csv`, OSV `modified`, NVD last-modified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<DateTime<Utc>>,
    /// Conditional-GET validators by URL (listings and documents).
    #[serde(default)]
    pub validators: BTreeMap<String, Validators>,
    /// Documents by location (URL or path relative to the feed root).
    #[serde(default)]
    pub documents: BTreeMap<String, DocState>,
    /// Last failure message and when it happened (kept across successes for history; cleared on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<DateTime<Utc>>,
    /// Number of advisories the feed held after its last successful sync.
    #[serde(default)]
    pub advisory_count: usize,
    /// How many documents each listing (URL) named after the last successful sync, and how many
    /// advisory records they gave; documents without a listing are counted under `""`. Kept in
    /// the head, so a sync whose listings are all unchanged can finish without reading the
    /// per-document records ([`Store::feed_head`](super::Store::feed_head)).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub listed_by: BTreeMap<String, ListingCount>,
    /// Documents the last successful sync rejected, by location ([`Rejected`]): listed by the
    /// source, but their bytes did not parse or verify. Kept in the head, so every sync, `exposure`
    /// and `store check` see them without reading a document record; absent in a store written
    /// before firmwatch quarantined documents (read as none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected: BTreeMap<String, Rejected>,
}

/// A document of a feed that its source lists but that did not parse, did not match its listed
/// hash or whose signature did not verify ([`FeedState::rejected`]). A document known before keeps
/// its previous record and advisories, a new one has none; either way its record is not moved to
/// the rejected bytes, so the next sync fetches and reads it again. It leaves the list when it
/// parses or when the source no longer lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Why, naming the document (the parse error, the hash mismatch, the signature failure).
    pub reason: String,
    /// The first sync that rejected it (of an unbroken run of rejections).
    pub since: DateTime<Utc>,
    /// The last sync that fetched and rejected it.
    pub last_tried: DateTime<Utc>,
    /// The listing that named it (ROLIE feed, `changes.csv`, `index.txt`), if any: a sync reads
    /// that listing in full, even when unchanged, so the document is retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
}

/// Documents of one listing and the advisory records they gave ([`FeedState::listed_by`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingCount {
    pub documents: usize,
    pub advisories: usize,
}

impl FeedState {
    /// Each listing's index ([`ListingIndex`]) computed from `documents` — what the store's `l`
    /// records must hold.
    pub fn listing_indexes(&self) -> BTreeMap<&str, ListingIndex> {
        let mut out: BTreeMap<&str, ListingIndex> = Default::default();
        for (location, d) in &self.documents {
            if let Some(l) = &d.listing {
                out.entry(l)
                    .or_default()
                    .insert(location.clone(), d.updated);
            }
        }
        out
    }

    /// Whether a document the last sync rejected was named by `listing` (which must then be
    /// read again, even unchanged, to retry it).
    pub fn rejected_from(&self, listing: &str) -> bool {
        self.rejected
            .values()
            .any(|r| r.listing.as_deref() == Some(listing))
    }

    /// [`FeedState::listed_by`] computed from `documents`.
    pub fn count_listings(&self) -> BTreeMap<String, ListingCount> {
        let mut out: BTreeMap<String, ListingCount> = Default::default();
        for d in self.documents.values() {
            let c = out
                .entry(d.listing.clone().unwrap_or_default())
                .or_default();
            c.documents += 1;
            c.advisories += d.advisories.len();
        }
        out
    }
}

/// What one listing named after the last successful sync: location → the listing's time for it
/// (the documents whose [`DocState::listing`] is that listing, with their [`DocState::updated`]).
pub type ListingIndex = BTreeMap<String, Option<DateTime<Utc>>>;

/// What the store holds for one location of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationState {
    pub document: Option<DocState>,
    /// The URL's validators (a document's, or a listing's or page's).
    pub validators: Option<Validators>,
}

/// Everything one successful sync of a feed writes ([`Store::commit_feed`](super::Store::commit_feed)).
#[derive(Debug, Clone, Copy)]
pub struct FeedCommit<'a> {
    pub feed: &'a FeedId,
    /// Advisories of the feed to put, encoded ([`EncodedAdvisory::new`]).
    pub advisories: &'a [EncodedAdvisory],
    /// Advisories of this feed to mark withdrawn at `when` (unknown ids are skipped).
    pub withdrawn: &'a [AdvisoryId],
    pub when: DateTime<Utc>,
    /// The feed's new head: checkpoint, advisory count, last success / error. Its `documents`
    /// and `validators` are not read; what changes in them is in `changes`.
    pub state: &'a FeedState,
    /// The per-location changes to the stored documents and validators. Locations not named
    /// keep their records untouched, so a sync that changed k documents writes k records.
    pub changes: &'a StateChanges,
    /// This sync staged advisories ([`Store::stage_advisories`](super::Store::stage_advisories)):
    /// they are moved into `advisories` in this transaction, before `advisories`, and the stage
    /// is emptied.
    pub staged: bool,
}

/// Per-location changes of a feed's [`FeedState::documents`] and [`FeedState::validators`],
/// relative to what the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// The new record of each changed document (`None`: the document is gone).
    pub documents: BTreeMap<String, Option<DocState>>,
    /// The new validators of each changed URL (`None`: forget them).
    pub validators: BTreeMap<String, Option<Validators>>,
}

impl StateChanges {
    /// The changes that turn `from` into `to` (one merge walk over each map).
    pub fn between(from: &FeedState, to: &FeedState) -> StateChanges {
        let mut keys = BTreeSet::new();
        differing_keys(&from.documents, &to.documents, &mut keys);
        let documents = keys
            .into_iter()
            .map(|k| (k.to_string(), to.documents.get(k).cloned()))
            .collect();
        let mut keys = BTreeSet::new();
        differing_keys(&from.validators, &to.validators, &mut keys);
        let validators = keys
            .into_iter()
            .map(|k| (k.to_string(), to.validators.get(k).cloned()))
            .collect();
        StateChanges {
            documents,
            validators,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty() && self.validators.is_empty()
    }
}

/// Add to `out` every key whose value differs between two maps (present in one only, or unequal),
/// in one merge walk over both (they are sorted the same way).
fn differing_keys<'a, V: PartialEq>(
    a: &'a BTreeMap<String, V>,
    b: &'a BTreeMap<String, V>,
    out: &mut BTreeSet<&'a str>,
) {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return,
            (Some((k, _)), None) => {
                out.insert(k.as_str());
                a.next();
            }
            (None, Some((k, _))) => {
                out.insert(k.as_str());
                b.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    out.insert(ka.as_str());
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    out.insert(kb.as_str());
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    if va != vb {
                        out.insert(ka.as_str());
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
}

/// Everything one notification plan writes ([`NotifyStore::commit_notifications`](super::NotifyStore::commit_notifications)): the
/// notified-state changes and the deliveries that tell the owners about them.
#[derive(Debug, Clone, Copy)]
pub struct NotifyCommit<'a> {
    /// `(owner, finding id)` entries to write (insert or replace).
    pub upserts: &'a [((String, String), Notified)],
    /// `(owner, finding id)` entries to delete.
    pub removals: &'a [(String, String)],
    /// New deliveries by outbox key.
    pub deliveries: &'a [(String, Delivery)],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(sha: &str, listing: Option<&str>, advisories: usize) -> DocState {
        DocState {
            sha256: sha.into(),
            updated: None,
            advisories: (0..advisories)
                .map(|i| format!("A-{sha}-{i}").parse().unwrap())
                .collect(),
            listing: listing.map(str::to_string),
        }
    }

    fn validators(etag: &str) -> Validators {
        Validators {
            etag: Some(etag.into()),
            ..Validators::default()
        }
    }

    #[test]
    fn changes_between_two_states_name_only_what_differs() {
        let mut from = FeedState::default();
        for loc in ["a", "b", "c"] {
            from.documents.insert(loc.into(), doc("1", None, 1));
            from.validators.insert(loc.into(), validators("1"));
        }
        let mut to = from.clone();
        to.documents.insert("b".into(), doc("2", None, 1)); // changed
        to.documents.remove("c"); // gone
        to.documents.insert("d".into(), doc("1", None, 1)); // new
        to.validators.insert("a".into(), validators("2"));
        to.validators.remove("c");
        // Head fields are not per-location changes.
        to.advisory_count = 7;

        let changes = StateChanges::between(&from, &to);
        assert_eq!(
            changes.documents,
            BTreeMap::from([
                ("b".to_string(), Some(doc("2", None, 1))),
                ("c".to_string(), None),
                ("d".to_string(), Some(doc("1", None, 1))),
            ])
        );
        assert_eq!(
            changes.validators,
            BTreeMap::from([
                ("a".to_string(), Some(validators("2"))),
                ("c".to_string(), None),
            ])
        );
        assert!(!changes.is_empty());
        assert!(StateChanges::between(&to, &to).is_empty());
        // From nothing: every location, each with its value.
        let all = StateChanges::between(&FeedState::default(), &to);
        assert_eq!(all.documents.len(), to.documents.len());
        assert!(all.documents.values().all(Option::is_some));
    }

    #[test]
    fn listings_are_counted_and_indexed_from_the_documents() {
        let t = DateTime::from_timestamp(1_700_000_000, 0);
        let mut st = FeedState::default();
        st.documents
            .insert("x".into(), doc("1", Some("http://h/changes.csv"), 2));
        let mut y = doc("2", Some("http://h/changes.csv"), 1);
        y.updated = t;
        st.documents.insert("y".into(), y);
        st.documents.insert("z".into(), doc("3", None, 0));

        let counts = st.count_listings();
        assert_eq!(
            counts["http://h/changes.csv"],
            ListingCount {
                documents: 2,
                advisories: 3
            }
        );
        assert_eq!(
            counts[""],
            ListingCount {
                documents: 1,
                advisories: 0
            }
        );
        let indexes = st.listing_indexes();
        assert_eq!(
            indexes.len(),
            1,
            "a document without a listing is in no index"
        );
        assert_eq!(
            indexes["http://h/changes.csv"],
            ListingIndex::from([("x".to_string(), None), ("y".to_string(), t)])
        );
    }
}
