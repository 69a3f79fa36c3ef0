//! Migrations of older store layouts, run when a store is opened.
//!
//! A migration reads the old records and returns the records of the new layout
//! ([`Migration`]); the engine writes them together with the new schema version in **one**
//! transaction and flushes, so a crash during a migration leaves the old layout under the old
//! version, and the next open migrates again. The functions here compute and do not write: the
//! records come in as iterators and reads of the engine, so every engine runs the same
//! migrations.
//!
//! - Schema 1 → 3: every feed's documents and validators move out of its head into `feed_docs`
//!   ([`from_v1`]). The records are built by the code that writes a sync's changes, which keeps
//!   each listing's index too, so the store goes straight to schema 3.
//! - Schema 2 → 3: every listing's index (`l` record) is built from the document records
//!   ([`from_v2`]).
//! - Schema 3 → 4: the vendor index is rebuilt from the advisories and each vendor's count of
//!   entries recorded in `meta` ([`repair::vendor_index`](super::repair::vendor_index), what
//!   `store check --repair` runs), so a store whose index lost entries on a full disk under
//!   sled comes out whole.
//! - Schema 4 → 5: values of 512 bytes or more are written compressed ([`VALUE_LZ4`]). Nothing
//!   is rewritten: a plain value still reads, counts as unchanged beside the same advisory
//!   compressed, and is compressed when its record next changes. The version goes up so that
//!   an earlier firmwatch refuses the store as newer, instead of reading every compressed value
//!   as damaged (which `store check --repair` would then remove).
//!
//! A record that does not decode is left as it is: `store check` and the next sync of its feed
//! report it, and a migration that refused to open the store would leave nothing to repair it with.

use std::collections::BTreeMap;

use super::layout::{
    decode, encode_feed_state, encode_index, io, store_changes, DocEntry, DOC_TAG, LIST_TAG,
};
#[cfg(doc)]
use super::VALUE_LZ4;
use super::{EngineError, FeedState, ListingIndex, RawWrite, StateChanges, StoreError, Tree};
use crate::model::FeedId;

/// The records a migration writes, in the order given.
#[derive(Debug, Default)]
pub(super) struct Migration {
    pub(super) writes: Vec<RawWrite>,
}

/// Schema 1 → 3, from the records of `feeds` and reads of `feed_docs`: each feed's head without
/// its documents and validators, and their `feed_docs` records (with the listing indexes).
pub(super) fn from_v1<K, V, D>(
    feeds: impl Iterator<Item = Result<(K, V), EngineError>>,
    mut get_doc: impl FnMut(&[u8]) -> Result<Option<D>, EngineError>,
) -> Result<Migration, StoreError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    D: AsRef<[u8]>,
{
    let mut out = Migration::default();
    for kv in feeds {
        let (k, v) = kv.map_err(io(Tree::Feeds.name()))?;
        let k = k.as_ref();
        if k.contains(&0) {
            continue; // a `seen` record
        }
        let name = String::from_utf8_lossy(k).into_owned();
        let (Ok(feed), Ok(state)) = (
            name.parse::<FeedId>(),
            decode::<FeedState>(&name, v.as_ref()),
        ) else {
            continue;
        };
        let mut state = state;
        state.listed_by = state.count_listings();
        let (head, _) = encode_feed_state(&feed, &state)?;
        let writes = store_changes(
            &mut get_doc,
            &feed,
            &StateChanges::between(&FeedState::default(), &state),
        )?;
        // Schema 1 had no `feed_docs` records, so there is nothing to remove.
        out.writes.extend(
            writes
                .into_iter()
                .filter_map(|(k, v)| Some((Tree::FeedDocs, k, Some(v?)))),
        );
        out.writes.push((Tree::Feeds, k.to_vec(), Some(head)));
    }
    Ok(out)
}

/// Schema 2 → 3, from the records of `feed_docs`: each listing's index, built from the
/// documents that name that listing.
pub(super) fn from_v2<K, V>(
    docs: impl Iterator<Item = Result<(K, V), EngineError>>,
) -> Result<Migration, StoreError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let mut indexes: BTreeMap<Vec<u8>, ListingIndex> = BTreeMap::new();
    for kv in docs {
        let (k, v) = kv.map_err(io(Tree::FeedDocs.name()))?;
        let k = k.as_ref();
        let Some(split) = k.iter().position(|b| *b == 0) else {
            continue;
        };
        if k.get(split + 1) != Some(&DOC_TAG) {
            continue;
        }
        let Ok(DocEntry { doc: Some(d), .. }) = decode::<DocEntry>("", v.as_ref()) else {
            continue;
        };
        let Some(listing) = &d.listing else {
            continue;
        };
        let mut key = k[..=split].to_vec();
        key.push(LIST_TAG);
        key.extend_from_slice(listing.as_bytes());
        let loc = String::from_utf8_lossy(&k[split + 2..]).into_owned();
        indexes.entry(key).or_default().insert(loc, d.updated);
    }
    let mut out = Migration::default();
    for (k, index) in indexes {
        let v = encode_index("listing index", &index)?;
        out.writes.push((Tree::FeedDocs, k, Some(v)));
    }
    Ok(out)
}
