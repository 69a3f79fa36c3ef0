//! `firmwatch store check`: read every value of every tree and cross-check what must agree.
//!
//! The store is opened the normal way ([`SledStore::open`]), so a store locked by another process or
//! written by a newer schema is refused exactly as for any command. Then, read-only:
//! - every advisory decodes, and its key is `feed/id` of the advisory it holds;
//! - the vendor index and the advisories agree both ways: each index entry names an advisory that
//!   exists and is indexed under that vendor, and each advisory has an entry for each of its vendors;
//! - every feed state (head, per-document records and `seen` record) decodes through
//!   [`Store::feed_state`], and every document it remembers names advisories that exist in that
//!   feed; the head's per-listing counts and advisory count agree with those records, and so
//!   does each listing's index (`l` record); every per-document record decodes and belongs to a
//!   feed that has a head;
//! - the trees other modules own (the notifier's `findings` and `outbox`) decode with the decoders
//!   those modules hand in ([`TreeCheck`]), so this module does not depend on their types.
//!
//! Every problem is reported with its tree and key; nothing is repaired. A damaged value makes the
//! commands that read it fail loudly (never skip it silently); this check finds all of them at once.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    decode, listing_key, vendor_keys, DocEntry, SledStore, Store, StoreError, ADVISORIES_TREE,
    DOCS_TREE, FEEDS_TREE, INDEX_TREE,
};
use crate::model::{Advisory, FeedId};

/// A decoder for a tree another module owns: `(key, value)` → `Err(reason)` when unreadable.
pub struct TreeCheck {
    pub tree: &'static str,
    pub check: fn(&[u8], &[u8]) -> Result<(), String>,
}

/// One problem found, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub tree: String,
    /// The key, printable (`\0` shown as `/`).
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`: {}", self.tree, self.key, self.message)
    }
}

/// The outcome: values read per tree, and every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub counts: BTreeMap<String, usize>,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    fn problem(&mut self, tree: &str, key: &[u8], message: impl Into<String>) {
        self.problems.push(Problem {
            tree: tree.to_string(),
            key: printable(key),
            message: message.into(),
        });
    }
}

fn printable(key: &[u8]) -> String {
    String::from_utf8_lossy(key).replace('\0', "/")
}

fn io(tree: &str) -> impl FnOnce(sled::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        what: format!("tree {tree}"),
        source,
    }
}

/// Check the whole store. `Err` only when the store cannot be read at all; everything found inside
/// is in the report.
pub fn check(store: &SledStore, others: &[TreeCheck]) -> Result<CheckReport, StoreError> {
    let mut r = CheckReport::default();

    // Advisories: decode, key agrees; remember each one's vendor keys.
    let advisories = store.tree(ADVISORIES_TREE)?;
    let mut vendors_of: BTreeMap<Vec<u8>, BTreeSet<String>> = BTreeMap::new();
    let mut n = 0;
    for kv in advisories.iter() {
        let (k, v) = kv.map_err(io(ADVISORIES_TREE))?;
        n += 1;
        match decode::<Advisory>(&printable(&k), &v) {
            Ok(a) => {
                let expected = format!("{}/{}", a.source.feed, a.id);
                if k.as_ref() != expected.as_bytes() {
                    r.problem(
                        ADVISORIES_TREE,
                        &k,
                        format!("holds advisory `{expected}` under another key"),
                    );
                }
                vendors_of.insert(k.to_vec(), vendor_keys(&a));
            }
            Err(e) => r.problem(ADVISORIES_TREE, &k, e.to_string()),
        }
    }
    r.counts.insert(ADVISORIES_TREE.into(), n);

    // Vendor index → advisories.
    let index = store.tree(INDEX_TREE)?;
    let mut indexed: BTreeSet<(String, Vec<u8>)> = BTreeSet::new();
    let mut n = 0;
    for kv in index.iter() {
        let (k, _) = kv.map_err(io(INDEX_TREE))?;
        n += 1;
        let Some(split) = k.iter().position(|b| *b == 0) else {
            r.problem(
                INDEX_TREE,
                &k,
                "malformed key (no `vendor \\0 advisory` separator)",
            );
            continue;
        };
        let vendor = String::from_utf8_lossy(&k[..split]).into_owned();
        let adv_key = k[split + 1..].to_vec();
        match vendors_of.get(&adv_key) {
            None if advisories
                .contains_key(&adv_key)
                .map_err(io(ADVISORIES_TREE))? => {} // unreadable: reported above
            None => r.problem(
                INDEX_TREE,
                &k,
                format!(
                    "names advisory `{}`, which is not stored",
                    printable(&adv_key)
                ),
            ),
            Some(vs) if !vs.contains(&vendor) => r.problem(
                INDEX_TREE,
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
    r.counts.insert(INDEX_TREE.into(), n);
    // Advisories → vendor index.
    for (adv_key, vendors) in &vendors_of {
        for v in vendors {
            if !indexed.contains(&(v.clone(), adv_key.clone())) {
                r.problem(
                    ADVISORIES_TREE,
                    adv_key,
                    format!("missing from the vendor index under `{v}`: exposure would not see it"),
                );
            }
        }
    }

    // Feed states → advisories, through the Store API.
    let feeds = store.tree(FEEDS_TREE)?;
    let mut n = 0;
    // `l` records the documents call for; any other is reported below.
    let mut expected_indexes: BTreeSet<Vec<u8>> = BTreeSet::new();
    for kv in feeds.iter() {
        let (k, _) = kv.map_err(io(FEEDS_TREE))?;
        if k.contains(&0) {
            continue; // a `seen` record: read with its feed below
        }
        n += 1;
        let name = String::from_utf8_lossy(&k).into_owned();
        let feed: FeedId = match name.parse() {
            Ok(f) => f,
            Err(e) => {
                r.problem(FEEDS_TREE, &k, format!("not a feed id: {e}"));
                continue;
            }
        };
        let state = match store.feed_state(&feed) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) => {
                r.problem(FEEDS_TREE, &k, e.to_string());
                continue;
            }
        };
        if state.listed_by != state.count_listings() {
            r.problem(
                FEEDS_TREE,
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
                FEEDS_TREE,
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
                    DOCS_TREE,
                    &key,
                    "the listing index disagrees with the document records",
                ),
                Err(e) => r.problem(DOCS_TREE, &key, e.to_string()),
            }
            expected_indexes.insert(key);
        }
        for (location, doc) in &state.documents {
            for id in &doc.advisories {
                let key = format!("{feed}/{id}");
                if !vendors_of.contains_key(key.as_bytes())
                    && !advisories
                        .contains_key(key.as_bytes())
                        .map_err(io(ADVISORIES_TREE))?
                {
                    r.problem(
                        FEEDS_TREE,
                        &k,
                        format!("document `{location}` lists advisory `{id}`, which is not stored"),
                    );
                }
            }
        }
    }
    r.counts.insert(FEEDS_TREE.into(), n);

    // Per-document records: each decodes and belongs to a feed with a head.
    let docs = store.tree(DOCS_TREE)?;
    let mut n = 0;
    for kv in docs.iter() {
        let (k, v) = kv.map_err(io(DOCS_TREE))?;
        n += 1;
        let Some(split) = k.iter().position(|b| *b == 0) else {
            r.problem(
                DOCS_TREE,
                &k,
                "malformed key (no `feed \\0 location` separator)",
            );
            continue;
        };
        if !feeds.contains_key(&k[..split]).map_err(io(FEEDS_TREE))? {
            r.problem(
                DOCS_TREE,
                &k,
                format!(
                    "record of feed `{}`, which has no state",
                    printable(&k[..split])
                ),
            );
        }
        let decoded = match k.get(split + 1) {
            Some(b'd') => decode::<DocEntry>(&printable(&k), &v).map(|_| ()),
            Some(b'v') => decode::<super::Validators>(&printable(&k), &v).map(|_| ()),
            Some(b'l') if !expected_indexes.contains(k.as_ref()) => {
                r.problem(DOCS_TREE, &k, "index of a listing that names no document");
                continue;
            }
            Some(b'l') => continue, // compared with the documents above
            _ => {
                r.problem(
                    DOCS_TREE,
                    &k,
                    "malformed key (not a `d`, `v` or `l` record)",
                );
                continue;
            }
        };
        if let Err(e) = decoded {
            r.problem(DOCS_TREE, &k, e.to_string());
        }
    }
    r.counts.insert(DOCS_TREE.into(), n);

    // Trees owned by other modules.
    for t in others {
        let tree = store.tree(t.tree)?;
        let mut n = 0;
        for kv in tree.iter() {
            let (k, v) = kv.map_err(io(t.tree))?;
            n += 1;
            if let Err(e) = (t.check)(&k, &v) {
                r.problem(t.tree, &k, e);
            }
        }
        r.counts.insert(t.tree.to_string(), n);
    }
    Ok(r)
}
