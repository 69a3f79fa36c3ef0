//! `firmwatch store check --repair`: rebuild what the store derives from its records.
//!
//! The records are the advisories and each feed's document records; everything else is derived
//! from them and can be computed again: the vendor index and its per-vendor counts (from the
//! advisories), each feed head's per-listing counts and advisory count, and each listing's index
//! (from the document records). A repair computes all of them from the records, compares with
//! what is stored, and writes only the differences — in **one** transaction
//! ([`RawRecords::rewrite`]), flushed — so a repair cut short leaves the store as it was.
//!
//! One thing is not derived but is repaired: a document record naming an advisory that is not
//! stored (the advisory is lost, the feed state says it was read). The record is dropped so that
//! the document counts as never read; `sync --force` then fetches and parses it again. Values
//! that do not decode are left alone: nothing can be computed from them, and `store check` keeps
//! naming them.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::{
    count_key, decode, decode_count, doc_key, encode_count, encode_feed_state, encode_index,
    index_key, listing_key, vendor_keys, COUNT_PREFIX, LIST_TAG,
};
use super::{RawRecords, RawWrite, Store, StoreError, Tree};
use crate::model::{Advisory, FeedId};

/// What a repair changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repaired {
    /// Vendor index entries written (an advisory lacked them) and removed (they named no
    /// advisory, or a vendor it does not name).
    pub index_added: usize,
    pub index_removed: usize,
    /// Per-vendor counts of the index rewritten.
    pub counts: usize,
    /// Feed heads whose per-listing counts or advisory count were rewritten.
    pub feed_heads: usize,
    /// Listing indexes rewritten or removed.
    pub listing_indexes: usize,
    /// Document records dropped because an advisory they name is not stored: `(feed, location)`.
    pub documents_dropped: Vec<(FeedId, String)>,
}

impl Repaired {
    pub fn is_empty(&self) -> bool {
        *self == Repaired::default()
    }
}

/// The writes that make the vendor index and its counts agree with the advisories, and how many
/// entries they add and remove. Index entries of an advisory that does not decode are kept.
pub(super) fn vendor_index<S: RawRecords + ?Sized>(
    store: &S,
    out: &mut Vec<RawWrite>,
    repaired: &mut Repaired,
) -> Result<(), StoreError> {
    let mut expected: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut unreadable: BTreeSet<Vec<u8>> = BTreeSet::new();
    for kv in store.records(Tree::Advisories)? {
        let (k, v) = kv?;
        let key = String::from_utf8_lossy(&k).into_owned();
        match decode::<Advisory>(&key, &v) {
            Ok(a) => expected.extend(vendor_keys(&a).iter().map(|vk| index_key(vk, &key))),
            Err(_) => {
                unreadable.insert(k);
            }
        }
    }
    let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut present: BTreeSet<Vec<u8>> = BTreeSet::new();
    for kv in store.records(Tree::IndexVendor)? {
        let (k, _) = kv?;
        let split = k.iter().position(|b| *b == 0);
        let keep = expected.contains(&k) || split.is_some_and(|s| unreadable.contains(&k[s + 1..]));
        match (keep, split) {
            (true, Some(s)) => *counts.entry(k[..s].to_vec()).or_default() += 1,
            (true, None) => {}
            (false, _) => {
                out.push((Tree::IndexVendor, k.clone(), None));
                repaired.index_removed += 1;
            }
        }
        present.insert(k);
    }
    for k in expected.difference(&present) {
        out.push((Tree::IndexVendor, k.clone(), Some(Vec::new())));
        repaired.index_added += 1;
        let split = k.iter().position(|b| *b == 0).unwrap_or(k.len());
        *counts.entry(k[..split].to_vec()).or_default() += 1;
    }
    // The counts: one per vendor with entries, equal to them; no other.
    let mut stored: BTreeMap<Vec<u8>, Option<u64>> = BTreeMap::new();
    for kv in store.records(Tree::Meta)? {
        let (k, v) = kv?;
        if let Some(vendor) = k.strip_prefix(COUNT_PREFIX) {
            stored.insert(vendor.to_vec(), decode_count(&k, &v).ok());
        }
    }
    for (vendor, n) in &counts {
        if stored.remove(vendor) != Some(Some(*n)) {
            let key = count_key(&String::from_utf8_lossy(vendor));
            out.push((Tree::Meta, key, Some(encode_count(*n).to_vec())));
            repaired.counts += 1;
        }
    }
    for vendor in stored.into_keys() {
        out.push((
            Tree::Meta,
            count_key(&String::from_utf8_lossy(&vendor)),
            None,
        ));
        repaired.counts += 1;
    }
    Ok(())
}

/// Rebuild everything derived (see the module documentation) and write the differences in one
/// transaction. Feeds whose state does not decode are left for `store check` to name.
pub fn repair<S: Store + RawRecords + ?Sized>(store: &S) -> Result<Repaired, StoreError> {
    let mut r = Repaired::default();
    let mut writes = Vec::new();
    vendor_index(store, &mut writes, &mut r)?;

    let mut stored_adv: BTreeSet<Vec<u8>> = BTreeSet::new();
    for kv in store.records(Tree::Advisories)? {
        stored_adv.insert(kv?.0);
    }
    // Every `l` record by feed, to drop those no document calls for.
    let mut listing_records: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for kv in store.records(Tree::FeedDocs)? {
        let (k, _) = kv?;
        if let Some(split) = k.iter().position(|b| *b == 0) {
            if k.get(split + 1) == Some(&LIST_TAG) {
                listing_records
                    .entry(k[..split].to_vec())
                    .or_default()
                    .push(k);
            }
        }
    }
    let mut heads = Vec::new();
    for kv in store.records(Tree::Feeds)? {
        let (k, v) = kv?;
        if !k.contains(&0) {
            heads.push((k, v));
        }
    }
    for (k, head_bytes) in heads {
        let Ok(feed) = String::from_utf8_lossy(&k).parse::<FeedId>() else {
            continue;
        };
        let Ok(Some(mut state)) = store.feed_state(&feed) else {
            continue;
        };
        let lost: Vec<String> = state
            .documents
            .iter()
            .filter(|(_, d)| {
                d.advisories
                    .iter()
                    .any(|id| !stored_adv.contains(format!("{feed}/{id}").as_bytes()))
            })
            .map(|(loc, _)| loc.clone())
            .collect();
        for loc in lost {
            state.documents.remove(&loc);
            writes.push((Tree::FeedDocs, doc_key(&feed, &loc), None));
            r.documents_dropped.push((feed.clone(), loc));
        }
        state.listed_by = state.count_listings();
        state.advisory_count = state
            .documents
            .values()
            .flat_map(|d| &d.advisories)
            .collect::<BTreeSet<_>>()
            .len();
        let (head, _) = encode_feed_state(&feed, &state)?;
        if head != head_bytes.as_slice() {
            writes.push((Tree::Feeds, k.clone(), Some(head)));
            r.feed_heads += 1;
        }
        let wanted = state.listing_indexes();
        for (listing, index) in &wanted {
            if store.listing_index(&feed, listing).ok().as_ref() != Some(index) {
                let key = listing_key(&feed, listing);
                let value = encode_index(&format!("{feed}/{listing}"), index)?;
                writes.push((Tree::FeedDocs, key, Some(value)));
                r.listing_indexes += 1;
            }
        }
        let wanted: BTreeSet<Vec<u8>> = wanted.keys().map(|l| listing_key(&feed, l)).collect();
        for key in listing_records.remove(k.as_slice()).unwrap_or_default() {
            if !wanted.contains(&key) {
                writes.push((Tree::FeedDocs, key, None));
                r.listing_indexes += 1;
            }
        }
    }
    if !writes.is_empty() {
        store.rewrite(&writes)?;
    }
    Ok(r)
}
