//! `firmwatch store check`: read every value of every tree and cross-check what must agree.
//!
//! The store is opened the normal way (`SledStore::open`), so a store locked by another process or
//! written by a newer schema is refused exactly as for any command. Then, read-only, through
//! [`Store`] and the raw records ([`RawRecords`]) of whatever engine holds them:
//! - every advisory decodes, and its key is `feed/id` of the advisory it holds;
//! - the vendor index and the advisories agree both ways: each index entry names an advisory that
//!   exists and is indexed under that vendor, and each advisory has an entry for each of its vendors;
//!   each vendor's count (`meta`) equals its entries;
//! - every feed state (head, per-document records and `seen` record) decodes through
//!   [`Store::feed_state`], and every document it remembers names advisories that exist in that
//!   feed; the head's per-listing counts and advisory count agree with those records, and so
//!   does each listing's index (`l` record); every per-document record decodes and belongs to a
//!   feed that has a head;
//! - the notifier's trees: every notified-state entry has an `owner \0 finding` key and decodes;
//!   every delivery decodes, and its key (built by [`delivery_key`](outbox::delivery_key)) names the owner and channel
//!   of the delivery it holds.
//!
//! Every problem is reported with its tree and key; nothing is repaired here (`--repair` runs
//! [`repair`](super::repair::repair) first). A damaged value makes the commands that read it fail
//! loudly (never skip it silently); this check finds all of them at once.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::{
    count_key, decode, decode_count, listing_key, printable, vendor_keys, DocEntry, COUNT_PREFIX,
};
use super::{RawRecords, Store, StoreError, Tree, Validators};
use crate::history::{Day, FindingRecord};
use crate::model::{Advisory, FeedId};
use crate::notify::outbox::{self, Delivery};
use crate::notify::plan::Notified;

/// One problem found, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    pub tree: String,
    /// The key, printable (`\0` shown as `/`).
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`: {}", self.tree, self.key, self.message)
    }
}

/// The outcome: values read per tree, and every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHealth {
    pub counts: BTreeMap<String, usize>,
    pub problems: Vec<Inconsistency>,
}

impl StoreHealth {
    fn problem(&mut self, tree: Tree, key: &[u8], message: impl Into<String>) {
        self.problems.push(Inconsistency {
            tree: tree.name().to_string(),
            key: printable(key),
            message: message.into(),
        });
    }
}

/// Check the whole store. `Err` only when the store cannot be read at all; everything found inside
/// is in the report.
pub fn check<S: Store + RawRecords + ?Sized>(store: &S) -> Result<StoreHealth, StoreError> {
    let mut r = StoreHealth::default();

    // Advisories: decode, key agrees; remember each one's vendor keys.
    let mut vendors_of: BTreeMap<Vec<u8>, BTreeSet<String>> = BTreeMap::new();
    let mut n = 0;
    for kv in store.records(Tree::Advisories)? {
        let (k, v) = kv?;
        n += 1;
        match decode::<Advisory>(&printable(&k), &v) {
            Ok(a) => {
                let expected = format!("{}/{}", a.source.feed, a.id);
                if k != expected.as_bytes() {
                    r.problem(
                        Tree::Advisories,
                        &k,
                        format!("holds advisory `{expected}` under another key"),
                    );
                }
                vendors_of.insert(k, vendor_keys(&a));
            }
            Err(e) => r.problem(Tree::Advisories, &k, e.to_string()),
        }
    }
    r.counts.insert(Tree::Advisories.name().into(), n);

    // Vendor index → advisories.
    let mut indexed: BTreeSet<(String, Vec<u8>)> = BTreeSet::new();
    let mut n = 0;
    for kv in store.records(Tree::IndexVendor)? {
        let (k, _) = kv?;
        n += 1;
        let Some(split) = k.iter().position(|b| *b == 0) else {
            r.problem(
                Tree::IndexVendor,
                &k,
                "malformed key (no `vendor \\0 advisory` separator)",
            );
            continue;
        };
        let vendor = String::from_utf8_lossy(&k[..split]).into_owned();
        let adv_key = k[split + 1..].to_vec();
        match vendors_of.get(&adv_key) {
            None if store.contains(Tree::Advisories, &adv_key)? => {} // unreadable: reported above
            None => r.problem(
                Tree::IndexVendor,
                &k,
                format!(
                    "names advisory `{}`, which is not stored",
                    printable(&adv_key)
                ),
            ),
            Some(vs) if !vs.contains(&vendor) => r.problem(
                Tree::IndexVendor,
                &k,
                format!(
                    "advisory `{}` does not name vendor `{vendor}`",
                    printable(&adv_key)
                ),
            ),
            Some(_) => {}
        }
        indexed.insert((vendor, adv_key));
    }
    r.counts.insert(Tree::IndexVendor.name().into(), n);
    // The vendor index's counts (`meta`) agree with its entries: a reader trusts them.
    let mut per_vendor: BTreeMap<&str, u64> = BTreeMap::new();
    for (vendor, _) in &indexed {
        *per_vendor.entry(vendor.as_str()).or_default() += 1;
    }
    for kv in store.records(Tree::Meta)? {
        let (k, v) = kv?;
        let Some(vendor) = k.strip_prefix(COUNT_PREFIX) else {
            continue;
        };
        let vendor = String::from_utf8_lossy(vendor).into_owned();
        let entries = per_vendor.remove(vendor.as_str()).unwrap_or(0);
        match decode_count(&k, &v) {
            Ok(n) if n == entries => {}
            Ok(n) => r.problem(
                Tree::Meta,
                &k,
                format!("counts {n} index entries for `{vendor}`, the index holds {entries}: exposure refuses to read it"),
            ),
            Err(e) => r.problem(Tree::Meta, &k, e.to_string()),
        }
    }
    for (vendor, entries) in per_vendor {
        r.problem(
            Tree::Meta,
            &count_key(vendor),
            format!(
                "no count for `{vendor}`, the index holds {entries}: exposure refuses to read it"
            ),
        );
    }
    // Advisories → vendor index.
    for (adv_key, vendors) in &vendors_of {
        for v in vendors {
            if !indexed.contains(&(v.clone(), adv_key.clone())) {
                r.problem(
                    Tree::Advisories,
                    adv_key,
                    format!("missing from the vendor index under `{v}`: exposure would not see it"),
                );
            }
        }
    }

    // Feed states → advisories, through the Store API.
    let mut n = 0;
    // `l` records the documents call for; any other is reported below.
    let mut expected_indexes: BTreeSet<Vec<u8>> = BTreeSet::new();
    for kv in store.records(Tree::Feeds)? {
        let (k, _) = kv?;
        if k.contains(&0) {
            continue; // a `seen` record: read with its feed below
        }
        n += 1;
        let name = String::from_utf8_lossy(&k).into_owned();
        let feed: FeedId = match name.parse() {
            Ok(f) => f,
            Err(e) => {
                r.problem(Tree::Feeds, &k, format!("not a feed id: {e}"));
                continue;
            }
        };
        let state = match store.feed_state(&feed) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) => {
                r.problem(Tree::Feeds, &k, e.to_string());
                continue;
            }
        };
        if state.listed_by != state.count_listings() {
            r.problem(
                Tree::Feeds,
                &k,
                "the head's per-listing counts disagree with the document records",
            );
        }
        let ids: BTreeSet<_> = state
            .documents
            .values()
            .flat_map(|d| &d.advisories)
            .collect();
        if ids.len() != state.advisory_count {
            r.problem(
                Tree::Feeds,
                &k,
                format!(
                    "the head counts {} advisories, the document records name {}",
                    state.advisory_count,
                    ids.len()
                ),
            );
        }
        for (listing, want) in &state.listing_indexes() {
            let key = listing_key(&feed, listing);
            match store.listing_index(&feed, listing) {
                Ok(got) if &got == want => {}
                Ok(_) => r.problem(
                    Tree::FeedDocs,
                    &key,
                    "the listing index disagrees with the document records",
                ),
                Err(e) => r.problem(Tree::FeedDocs, &key, e.to_string()),
            }
            expected_indexes.insert(key);
        }
        for (location, doc) in &state.documents {
            for id in &doc.advisories {
                let key = format!("{feed}/{id}");
                if !vendors_of.contains_key(key.as_bytes())
                    && !store.contains(Tree::Advisories, key.as_bytes())?
                {
                    r.problem(
                        Tree::Feeds,
                        &k,
                        format!("document `{location}` lists advisory `{id}`, which is not stored"),
                    );
                }
            }
        }
    }
    r.counts.insert(Tree::Feeds.name().into(), n);

    // Per-document records: each decodes and belongs to a feed with a head.
    let mut n = 0;
    for kv in store.records(Tree::FeedDocs)? {
        let (k, v) = kv?;
        n += 1;
        let Some(split) = k.iter().position(|b| *b == 0) else {
            r.problem(
                Tree::FeedDocs,
                &k,
                "malformed key (no `feed \\0 location` separator)",
            );
            continue;
        };
        if !store.contains(Tree::Feeds, &k[..split])? {
            r.problem(
                Tree::FeedDocs,
                &k,
                format!(
                    "record of feed `{}`, which has no state",
                    printable(&k[..split])
                ),
            );
        }
        let decoded = match k.get(split + 1) {
            Some(b'd') => decode::<DocEntry>(&printable(&k), &v).map(|_| ()),
            Some(b'v') => decode::<Validators>(&printable(&k), &v).map(|_| ()),
            Some(b'l') if !expected_indexes.contains(&k) => {
                r.problem(
                    Tree::FeedDocs,
                    &k,
                    "index of a listing that names no document",
                );
                continue;
            }
            Some(b'l') => continue, // compared with the documents above
            _ => {
                r.problem(
                    Tree::FeedDocs,
                    &k,
                    "malformed key (not a `d`, `v` or `l` record)",
                );
                continue;
            }
        };
        if let Err(e) = decoded {
            r.problem(Tree::FeedDocs, &k, e.to_string());
        }
    }
    r.counts.insert(Tree::FeedDocs.name().into(), n);

    // The notifier's trees.
    let mut n = 0;
    for kv in store.records(Tree::Findings)? {
        let (k, v) = kv?;
        n += 1;
        let key = String::from_utf8_lossy(&k);
        if key
            .split_once('\0')
            .is_none_or(|(o, f)| o.is_empty() || f.is_empty())
        {
            r.problem(
                Tree::Findings,
                &k,
                "malformed key (expected `owner \\0 finding`)",
            );
            continue;
        }
        if let Err(e) = decode::<Notified>(&printable(&k), &v) {
            r.problem(Tree::Findings, &k, e.to_string());
        }
    }
    r.counts.insert(Tree::Findings.name().into(), n);
    let mut n = 0;
    for kv in store.records(Tree::Outbox)? {
        let (k, v) = kv?;
        n += 1;
        let key = String::from_utf8_lossy(&k);
        let Some((owner, channel)) = outbox::key_owner_channel(&key) else {
            r.problem(
                Tree::Outbox,
                &k,
                "malformed key (expected `generation \\0 owner \\0 channel`)",
            );
            continue;
        };
        match decode::<Delivery>(&printable(&k), &v) {
            Ok(d) if d.message.owner != owner || d.channel.as_str() != channel => r.problem(
                Tree::Outbox,
                &k,
                format!(
                    "holds a {} delivery for `{}` under another key",
                    d.channel.as_str(),
                    d.message.owner
                ),
            ),
            Ok(_) => {}
            Err(e) => r.problem(Tree::Outbox, &k, e.to_string()),
        }
    }
    r.counts.insert(Tree::Outbox.name().into(), n);

    // The findings' history: each record decodes under its kind of key.
    let mut n = 0;
    for kv in store.records(Tree::History)? {
        let (k, v) = kv?;
        n += 1;
        let decoded = match k.get(..2) {
            Some(b"f\0") => decode::<FindingRecord>(&printable(&k), &v).map(|rec| {
                let ordered = rec.events.windows(2).all(|w| w[0].on <= w[1].on);
                (rec.events.is_empty() || !ordered)
                    .then(|| "its events are empty or out of date order".to_string())
            }),
            Some(b"d\0") => decode::<Day>(&printable(&k), &v).map(|d| {
                (k[2..] != *d.day.to_string().as_bytes())
                    .then(|| format!("holds the summary of {} under another key", d.day))
            }),
            _ => {
                r.problem(
                    Tree::History,
                    &k,
                    "malformed key (not an `f` or `d` record)",
                );
                continue;
            }
        };
        match decoded {
            Ok(None) => {}
            Ok(Some(problem)) => r.problem(Tree::History, &k, problem),
            Err(e) => r.problem(Tree::History, &k, e.to_string()),
        }
    }
    r.counts.insert(Tree::History.name().into(), n);
    Ok(r)
}
