//! The store's layout, whatever the engine under it: the keys of each tree, the value encoding,
//! and how a feed's state changes become per-record writes.
//!
//! It is kept apart from the engine (`sled.rs`) because none of it depends on one: any
//! ordered key-value engine with multi-tree transactions stores the same keys and bytes, so a
//! second engine reuses this file and writes only the reads, writes and transactions. The trees
//! and their keys are described in the store's module documentation; each function here builds
//! or reads one of them. Reads an engine performs for these functions come in as closures that
//! return the engine's error, which gets the key it concerns attached here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DocState, EngineError, FeedState, ListingIndex, RawWrite, StateChanges, StoreError, Tree,
    Validators, VALUE_LZ4, VALUE_VERSION,
};
use crate::history::{Commit as HistoryCommit, Day, FindingRecord, History};
use crate::model::{vendor_key, Advisory, AdvisoryId, FeedId};

/// The key of the schema version in the `meta` tree.
pub(super) const SCHEMA_KEY: &[u8] = b"schema_version";

/// Tags after `feed \0` in `feed_docs`: a document's record, a URL's validators, a listing's index.
pub(super) const DOC_TAG: u8 = b'd';
pub(super) const VAL_TAG: u8 = b'v';
pub(super) const LIST_TAG: u8 = b'l';

/// An engine failure on `what` (a key, a tree, an operation) as a [`StoreError`].
pub(super) fn io(what: impl Into<String>) -> impl FnOnce(EngineError) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

/// A key as shown in messages: `\0` separators as `/`.
pub(super) fn printable(key: &[u8]) -> String {
    String::from_utf8_lossy(key).replace('\0', "/")
}

/// The frequently rewritten part of a [`FeedState`], stored apart from the bulky part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct FeedSeen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_success: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_error_at: Option<DateTime<Utc>>,
}

/// One location's record in `feed_docs`: what [`FeedState::documents`] and
/// [`FeedState::validators`] hold for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct DocEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) doc: Option<DocState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) validators: Option<Validators>,
}

/// A [`DocEntry`] as written from borrowed parts: the same JSON, without copying a document's
/// record to encode it.
#[derive(Serialize)]
struct DocEntryRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a DocState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validators: Option<&'a Validators>,
}

/// A feed's documents (with their validators) and the validators of its other URLs, read from
/// its `d` records (`docs`, when the documents are wanted) and its `v` records (`vals`), each
/// `(key, value)` in key order. Validators come back sorted by URL.
#[allow(clippy::type_complexity)]
pub(super) fn read_doc_records<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    feed: &FeedId,
    docs: impl IntoIterator<Item = Result<(K, V), StoreError>>,
    vals: impl IntoIterator<Item = Result<(K, V), StoreError>>,
) -> Result<(Vec<(String, DocState)>, Vec<(String, Validators)>), StoreError> {
    let location = |k: &[u8]| {
        // `docs_prefix` and the one-byte tag.
        let skip = docs_prefix(feed).len() + 1;
        String::from_utf8_lossy(&k[skip.min(k.len())..]).into_owned()
    };
    let mut documents = Vec::new();
    let mut validators = Vec::new();
    for kv in docs {
        let (k, v) = kv?;
        let loc = location(k.as_ref());
        let entry: DocEntry = decode(&format!("{feed}/{loc}"), v.as_ref())?;
        if let Some(v) = entry.validators {
            validators.push((loc.clone(), v));
        }
        if let Some(d) = entry.doc {
            documents.push((loc, d));
        }
    }
    let mut others = Vec::new();
    for kv in vals {
        let (k, v) = kv?;
        let url = location(k.as_ref());
        others.push((url.clone(), decode(&format!("{feed}/{url}"), v.as_ref())?));
    }
    // Each list is in key order already; only a merge of the two needs sorting.
    if validators.is_empty() {
        validators = others;
    } else if !others.is_empty() {
        validators.extend(others);
        validators.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok((documents, validators))
}

/// The advisory stored as `value` under `key`, marked withdrawn at `when` and encoded again;
/// `None` when it is withdrawn already (its first withdrawal date stays).
pub(super) fn withdrawn_value(
    key: &str,
    value: &[u8],
    when: DateTime<Utc>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut a: Advisory = decode(key, value)?;
    if a.withdrawn.is_some() {
        return Ok(None);
    }
    a.withdrawn = Some(when);
    encode(key, &a).map(Some)
}

/// `feed/advisory-id`: an advisory's key in `advisories`.
pub(super) fn advisory_key(feed: &FeedId, id: &AdvisoryId) -> String {
    format!("{feed}/{id}")
}

/// `vendor_key \0 feed/advisory-id`: an entry of the vendor index.
pub(super) fn index_key(vendor: &str, adv_key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(vendor.len() + 1 + adv_key.len());
    k.extend_from_slice(vendor.as_bytes());
    k.push(0);
    k.extend_from_slice(adv_key.as_bytes());
    k
}

/// The vendor keys an advisory is indexed under: its own vendor and every statement's vendor;
/// an exploitation signal under [`crate::vendor::SIGNALS`] alone.
pub(super) fn vendor_keys(a: &Advisory) -> BTreeSet<String> {
    if a.source.format.is_signal() {
        return BTreeSet::from([crate::vendor::SIGNALS.to_string()]);
    }
    // A statement's vendor is usually the one before it: each spelling is keyed once.
    let mut names: Vec<&str> = a.affected.iter().map(|p| p.vendor.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut keys: BTreeSet<String> = names.into_iter().map(vendor_key).collect();
    if keys.is_empty() {
        keys.insert(vendor_key(&a.vendor));
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// JSON of at least this many bytes is stored compressed ([`VALUE_LZ4`]); smaller values stay
/// plain JSON ([`VALUE_VERSION`]), where compression would gain a few bytes for its header.
const COMPRESS_FROM: usize = 512;

/// Encode a value: version byte + serde_json, compressed with LZ4 from [`COMPRESS_FROM`] bytes
/// (version byte, the JSON's length as `u32` LE, the LZ4 block; a value too long for that
/// length stays plain).
pub(super) fn encode<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    encode_seen(|| key.to_string(), value, |_| ())
}

/// [`encode`], naming the value only if it cannot be encoded: a commit encodes one record per
/// document, and naming each one first would format as many keys for nothing.
pub(super) fn encode_named<T: Serialize>(
    name: impl FnOnce() -> String,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    encode_seen(name, value, |_| ())
}

/// [`encode`], handing the value's JSON to `seen` before it is compressed.
fn encode_seen<T: Serialize>(
    name: impl FnOnce() -> String,
    value: &T,
    seen: impl FnOnce(&[u8]),
) -> Result<Vec<u8>, StoreError> {
    // The JSON is written into this thread's buffer, which keeps its size from value to value,
    // and copied out once (compressed, or as it is).
    thread_local! {
        static JSON: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    JSON.with_borrow_mut(|json| {
        json.clear();
        serde_json::to_writer(&mut *json, value).map_err(|source| StoreError::Encode {
            key: name(),
            source,
        })?;
        seen(json);
        let out = match u32::try_from(json.len()) {
            Ok(len) if json.len() >= COMPRESS_FROM => {
                let mut z = vec![0; 5 + lz4_flex::block::get_maximum_output_size(json.len())];
                z[0] = VALUE_LZ4;
                z[1..5].copy_from_slice(&len.to_le_bytes());
                let n = lz4_flex::block::compress_into(json, &mut z[5..])
                    .expect("the buffer holds the worst case");
                z.truncate(5 + n);
                z
            }
            _ => [&[VALUE_VERSION][..], json].concat(),
        };
        // A value of megabytes does not keep its buffer.
        if json.capacity() > 1 << 20 {
            *json = Vec::new();
        }
        Ok(out)
    })
}

/// Decode a value written by [`encode`]; `key` names it in the error.
pub(super) fn decode<T: for<'de> Deserialize<'de>>(
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    let err = |reason: String| StoreError::Decode {
        key: key.to_string(),
        reason,
    };
    serde_json::from_slice(&json_of(bytes).map_err(err)?).map_err(|e| err(e.to_string()))
}

/// Whether two encoded values hold the same JSON, however each is encoded: a plain value of an
/// earlier firmwatch is the same as its compressed encoding now. Equal bytes are the same
/// without decoding; a value that does not decode is the same as nothing.
pub(super) fn same_value(a: &[u8], b: &[u8]) -> bool {
    a == b || matches!((json_of(a), json_of(b)), (Ok(x), Ok(y)) if x == y)
}

/// The JSON a value holds, after its encoding-version byte: as stored, or decompressed.
fn json_of(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    match bytes.split_first() {
        Some((&VALUE_VERSION, rest)) => Ok(rest.into()),
        Some((&VALUE_LZ4, rest)) => decompress(rest).map(Into::into),
        Some((v, _)) => Err(format!("unknown value encoding version {v}")),
        None => Err("empty value".into()),
    }
}

/// The JSON of a [`VALUE_LZ4`] value (after its version byte). The length it claims is checked
/// against LZ4's largest ratio before anything is allocated, so a damaged record fails instead
/// of asking for gigabytes.
fn decompress(rest: &[u8]) -> Result<Vec<u8>, String> {
    let (len, block) = rest
        .split_first_chunk::<4>()
        .ok_or("compressed value shorter than its header")?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > block.len().saturating_mul(255) + 16 {
        return Err(format!(
            "compressed value of {} bytes claims {len} bytes of JSON",
            block.len()
        ));
    }
    lz4_flex::block::decompress(block, len).map_err(|e| format!("compressed value: {e}"))
}

/// An advisory as a feed's `advisories` keep it: its key, its value ([`encode`]) and the vendor
/// keys it is indexed under. A sync encodes each advisory where it parses it, on the parse
/// threads, so that staging and committing it only write bytes ([`Store::stage_advisories`],
/// [`FeedCommit::advisories`]).
///
/// [`Store::stage_advisories`]: super::Store::stage_advisories
/// [`FeedCommit::advisories`]: super::FeedCommit::advisories
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedAdvisory {
    pub(super) key: String,
    pub(super) value: Vec<u8>,
    pub(super) vendors: BTreeSet<String>,
}

impl EncodedAdvisory {
    /// Advisory `a` of feed `feed`, encoded (outside any transaction: a transaction's closure may
    /// be retried and must stay cheap).
    pub fn new(feed: &FeedId, a: &Advisory) -> Result<EncodedAdvisory, StoreError> {
        Self::with_json(feed, a, |_| ())
    }

    /// The same, handing the advisory's JSON to `json` before it is compressed, so what else
    /// needs that JSON (an NVD record's hash) does not serialize the advisory again.
    pub fn with_json(
        feed: &FeedId,
        a: &Advisory,
        json: impl FnOnce(&[u8]),
    ) -> Result<EncodedAdvisory, StoreError> {
        let key = advisory_key(feed, &a.id);
        let value = encode_seen(|| key.clone(), a, json)?;
        Ok(EncodedAdvisory {
            key,
            value,
            vendors: vendor_keys(a),
        })
    }

    /// The advisory it holds, decoded again.
    pub fn decode(&self) -> Result<Advisory, StoreError> {
        decode(&self.key, &self.value)
    }

    /// Whether it is an advisory of `feed` (its key is `feed/id`).
    fn is_of(&self, feed: &FeedId) -> bool {
        self.key
            .strip_prefix(feed.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Encoded advisories handed in for `feed` (staged or committed) must be keyed for it: one of
/// another feed would be written under that feed's key and counted for this one. `what` names
/// the write in the error.
pub(super) fn check_of_feed(
    feed: &FeedId,
    items: &[EncodedAdvisory],
    what: &str,
) -> Result<(), StoreError> {
    match items.iter().find(|i| !i.is_of(feed)) {
        None => Ok(()),
        Some(other) => Err(StoreError::Io {
            what: what.to_string(),
            source: EngineError::new(std::io::Error::other(format!(
                "advisory `{}` is not of feed {feed}",
                other.key
            ))),
        }),
    }
}

/// Advisories encoded for a write.
pub(super) type Encoded = Vec<EncodedAdvisory>;

/// Encode advisories outside the transaction.
pub(super) fn encode_advisories(
    feed: &FeedId,
    advisories: &[Advisory],
) -> Result<Encoded, StoreError> {
    advisories
        .iter()
        .map(|a| EncodedAdvisory::new(feed, a))
        .collect()
}

/// The prefix of a feed's records in the `stage` tree of older stores (their keys are those of
/// `advisories`).
pub(super) fn stage_prefix(feed: &FeedId) -> String {
    format!("{}/", feed.as_str())
}

/// `feed \0seen`: a feed's last success and error ([`FeedSeen`]) in `feeds`.
pub(super) fn seen_key(feed: &FeedId) -> String {
    format!("{}\0seen", feed.as_str())
}

/// A feed state's head (checkpoint, advisory count; its documents and validators go to
/// `feed_docs`) and its small `seen` record (last success / error), both encoded.
pub(super) fn encode_feed_state(
    feed: &FeedId,
    state: &FeedState,
) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    let bulk = FeedState {
        last_success: None,
        checkpoint: state.checkpoint,
        validators: Default::default(),
        documents: Default::default(),
        last_error: None,
        last_error_at: None,
        advisory_count: state.advisory_count,
        listed_by: state.listed_by.clone(),
        rejected: state.rejected.clone(),
    };
    let seen = FeedSeen {
        last_success: state.last_success,
        last_error: state.last_error.clone(),
        last_error_at: state.last_error_at,
    };
    Ok((
        encode(feed.as_str(), &bulk)?,
        encode(&seen_key(feed), &seen)?,
    ))
}

/// `feed \0` — the prefix of a feed's records in `feed_docs`.
pub(super) fn docs_prefix(feed: &FeedId) -> Vec<u8> {
    let mut k = feed.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

/// `feed \0 d location`: a document's record (with its URL's validators).
pub(super) fn doc_key(feed: &FeedId, location: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(DOC_TAG);
    k.extend_from_slice(location.as_bytes());
    k
}

/// `feed \0 v url`: validators of a URL that is not a document (a listing, a page).
pub(super) fn val_key(feed: &FeedId, url: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(VAL_TAG);
    k.extend_from_slice(url.as_bytes());
    k
}

/// `feed \0 l listing`: what a listing named ([`ListingIndex`]).
pub(super) fn listing_key(feed: &FeedId, listing: &str) -> Vec<u8> {
    let mut k = docs_prefix(feed);
    k.push(LIST_TAG);
    k.extend_from_slice(listing.as_bytes());
    k
}

/// One edit of a listing's index: a location set to its listed time (`Some`), or dropped.
type IndexEdit<'a> = (&'a str, Option<Option<DateTime<Utc>>>);

/// Writes to `feed_docs` (key, `Some(value)` to insert / `None` to remove).
pub(super) type DocWrites = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The `feed_docs` writes that apply `changes`. A location's final document and validators
/// decide where they live: with a document, one `d` record holds both; validators alone go to a
/// `v` record (so [`Store::feed_head`](super::Store::feed_head) finds listing validators without reading documents). The
/// stored records are read and the changes merged in here, outside any transaction (the caller
/// holds the store alone); unchanged records are not rewritten.
///
/// `get` reads one record of `feed_docs` from the engine.
pub(super) fn store_changes<B: AsRef<[u8]>>(
    get: impl FnMut(&[u8]) -> Result<Option<B>, EngineError>,
    feed: &FeedId,
    changes: &StateChanges,
) -> Result<DocWrites, StoreError> {
    let mut out = Vec::new();
    apply_changes(
        get,
        |key, value| {
            out.push((key, value));
            Ok(())
        },
        feed,
        changes,
    )?;
    Ok(out)
}

/// The same writes, each handed to `put` as it is decided — so an engine that reads and writes
/// in one transaction never holds them all (a first sync of a large NVD feed changes hundreds of
/// thousands of records). Each key is read before it is written, and never again.
pub(super) fn apply_changes<B: AsRef<[u8]>>(
    mut get: impl FnMut(&[u8]) -> Result<Option<B>, EngineError>,
    mut put: impl FnMut(Vec<u8>, Option<Vec<u8>>) -> Result<(), StoreError>,
    feed: &FeedId,
    changes: &StateChanges,
) -> Result<(), StoreError> {
    let mut locs: BTreeSet<&str> = changes.documents.keys().map(String::as_str).collect();
    locs.extend(changes.validators.keys().map(String::as_str));
    let mut listed: BTreeMap<String, Vec<IndexEdit<'_>>> = Default::default();
    for loc in locs {
        // Named for an error, or to decode a stored record: a feed's first sync, which has none,
        // writes a record for each of its documents without naming one.
        let what = || format!("{feed}/{loc}");
        let (dk, vk) = (doc_key(feed, loc), val_key(feed, loc));
        let old_d = get(&dk).map_err(|e| io(what())(e))?;
        let old_v = get(&vk).map_err(|e| io(what())(e))?;
        let mut stored: DocEntry = match &old_d {
            Some(v) => decode(&what(), v.as_ref())?,
            None => DocEntry::default(),
        };
        if stored.validators.is_none() {
            if let Some(v) = &old_v {
                stored.validators = Some(decode(&what(), v.as_ref())?);
            }
        }
        let changed_doc = changes.documents.get(loc);
        if let Some(d) = changed_doc {
            let old = stored
                .doc
                .as_ref()
                .and_then(|o| Some((o.listing.as_deref()?, o.updated)));
            let new = d
                .as_ref()
                .and_then(|n| Some((n.listing.as_deref()?, n.updated)));
            if old != new {
                if let Some((l, _)) = old.filter(|(l, _)| new.map(|n| n.0) != Some(*l)) {
                    listed.entry(l.to_string()).or_default().push((loc, None));
                }
                if let Some((l, t)) = new {
                    listed
                        .entry(l.to_string())
                        .or_default()
                        .push((loc, Some(t)));
                }
            }
        }
        // The new record: each part as changed, else as stored (borrowed, not copied).
        let doc = changed_doc.map_or(stored.doc.as_ref(), Option::as_ref);
        let validators = changes
            .validators
            .get(loc)
            .map_or(stored.validators.as_ref(), Option::as_ref);
        let (new_d, new_v) = match (doc, validators) {
            (Some(doc), validators) => {
                let entry = DocEntryRef {
                    doc: Some(doc),
                    validators,
                };
                (Some(encode_named(what, &entry)?), None)
            }
            (None, Some(v)) => (None, Some(encode_named(what, v)?)),
            (None, None) => (None, None),
        };
        for (key, old, new) in [(dk, old_d, new_d), (vk, old_v, new_v)] {
            if old.as_ref().map(AsRef::as_ref) != new.as_deref() {
                put(key, new)?;
            }
        }
    }
    for (listing, edits) in listed {
        let key = listing_key(feed, &listing);
        let what = || format!("{feed}/{listing} (listing index)");
        let mut index: ListingIndex = match get(&key).map_err(io(what()))? {
            Some(v) => decode_index(&what(), v.as_ref())?,
            None => ListingIndex::new(),
        };
        for (loc, time) in edits {
            match time {
                Some(t) => index.insert(loc.to_string(), t),
                None => index.remove(loc),
            };
        }
        put(
            key,
            (!index.is_empty())
                .then(|| encode_index(&what(), &index))
                .transpose()?,
        )?;
    }
    Ok(())
}

/// A listing index as stored: `[[location, [seconds, nanoseconds] | null], …]` in location
/// order — exact, and several times cheaper to read and write than RFC 3339 strings (a large
/// provider's index holds tens of thousands of entries and is read and rewritten whenever its
/// listing changes).
pub(super) fn encode_index(key: &str, index: &ListingIndex) -> Result<Vec<u8>, StoreError> {
    let entries: Vec<(&str, Option<(i64, u32)>)> = index
        .iter()
        .map(|(loc, t)| {
            (
                loc.as_str(),
                t.map(|t| (t.timestamp(), t.timestamp_subsec_nanos())),
            )
        })
        .collect();
    encode(key, &entries)
}

pub(super) fn decode_index(key: &str, bytes: &[u8]) -> Result<ListingIndex, StoreError> {
    let entries: Vec<(String, Option<(i64, u32)>)> = decode(key, bytes)?;
    entries
        .into_iter()
        .map(|(loc, t)| match t {
            None => Ok((loc, None)),
            Some((secs, nanos)) => match DateTime::from_timestamp(secs, nanos) {
                Some(t) => Ok((loc, Some(t))),
                None => Err(StoreError::Decode {
                    key: key.to_string(),
                    reason: format!("time of {loc} out of range"),
                }),
            },
        })
        .collect()
}

/// `owner \0 finding id`: an entry of the notified state in `findings`.
pub(super) fn state_key(owner: &str, finding: &str) -> Vec<u8> {
    let mut k = owner.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(finding.as_bytes());
    k
}

/// `f \0`: the prefix of a finding's record in `history`.
const HISTORY_FINDING: &[u8] = b"f\0";
/// `d \0`: the prefix of an observation day's summary in `history` (ISO dates sort by date).
const HISTORY_DAY: &[u8] = b"d\0";

fn history_key(prefix: &[u8], name: &str) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// The `history` tree read whole: finding records and day summaries, in key (= date) order.
pub(super) fn read_history(records: super::Records<'_>) -> Result<History, StoreError> {
    let mut out = History::default();
    for kv in records {
        let (k, v) = kv?;
        let key = printable(&k);
        if let Some(id) = k.strip_prefix(HISTORY_FINDING) {
            let rec: FindingRecord = decode(&key, &v)?;
            out.findings
                .insert(String::from_utf8_lossy(id).into_owned(), rec);
        } else if k.starts_with(HISTORY_DAY) {
            out.days.push(decode::<Day>(&key, &v)?);
        } else {
            return Err(StoreError::Decode {
                key,
                reason: "not a history key (`f\\0…` or `d\\0…`)".into(),
            });
        }
    }
    Ok(out)
}

/// An observation's writes: its changed finding records and its day summary.
pub(super) fn history_writes(c: &HistoryCommit) -> Result<Vec<RawWrite>, StoreError> {
    let mut writes = Vec::with_capacity(c.records.len() + 1);
    for (id, rec) in &c.records {
        let key = history_key(HISTORY_FINDING, id);
        writes.push((
            Tree::History,
            key.clone(),
            Some(encode(&printable(&key), rec)?),
        ));
    }
    let key = history_key(HISTORY_DAY, &c.day.day.to_string());
    writes.push((
        Tree::History,
        key.clone(),
        Some(encode(&printable(&key), &c.day)?),
    ));
    Ok(writes)
}

/// The prefix of the vendor index's counts in `meta`.
pub(super) const COUNT_PREFIX: &[u8] = b"index_count\0";

/// `index_count \0 vendor` in `meta`: how many entries the vendor index holds for `vendor`.
/// Written in the same transaction as the entries, so a reader that counts a different number
/// under the vendor's prefix knows the index is not what was committed
/// ([`StoreError::Inconsistent`]) instead of answering from it.
pub(super) fn count_key(vendor: &str) -> Vec<u8> {
    let mut k = COUNT_PREFIX.to_vec();
    k.extend_from_slice(vendor.as_bytes());
    k
}

/// A count as stored: `u64` big-endian.
pub(super) fn encode_count(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(super) fn decode_count(key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    let b: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Decode {
        key: printable(key),
        reason: format!("a count is 8 bytes, this value has {}", bytes.len()),
    })?;
    Ok(u64::from_be_bytes(b))
}

/// Index entries added (+1) and removed (−1) per vendor by one write.
pub(super) type CountDeltas = BTreeMap<String, i64>;

/// Move `vendor`'s delta by `by` (its key is copied only the first time).
pub(super) fn count_delta(deltas: &mut CountDeltas, vendor: &str, by: i64) {
    match deltas.get_mut(vendor) {
        Some(d) => *d += by,
        None => {
            deltas.insert(vendor.to_string(), by);
        }
    }
}

/// A count moved by `delta`; `None` when it falls to zero (the record is removed).
pub(super) fn moved_count(
    key: &[u8],
    stored: Option<&[u8]>,
    delta: i64,
) -> Result<Option<[u8; 8]>, StoreError> {
    let old = stored
        .map(|v| decode_count(key, v))
        .transpose()?
        .unwrap_or(0);
    let new = (old as i64 + delta).max(0) as u64;
    Ok((new > 0).then(|| encode_count(new)))
}

/// The store's verdict on one vendor's index read: `entries` found under its prefix, `count`
/// stored for it.
pub(super) fn check_count(vendor: &str, entries: u64, count: u64) -> Result<(), StoreError> {
    if entries == count {
        return Ok(());
    }
    Err(StoreError::Inconsistent {
        what: format!("the vendor index of `{vendor}`"),
        detail: format!("holds {entries} entries, {count} were committed"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record written from borrowed parts reads back as the record it stands for, byte for
    /// byte the same encoding.
    #[test]
    fn a_borrowed_record_encodes_as_the_record() {
        let doc = DocState {
            sha256: "ab".repeat(32),
            updated: Some("2026-11-22T10:00:00Z".parse().expect("time")),
            advisories: vec![
                "SYN-0001".parse().expect("id"),
                "SYN-0002".parse().expect("id"),
            ],
            listing: Some("https://example.net/feed.json".into()),
        };
        let validators = Validators {
            etag: Some("\"t1\"".into()),
            last_modified: None,
            sha256: Some("cd".repeat(32)),
        };
        for (doc, validators) in [
            (Some(&doc), Some(&validators)),
            (Some(&doc), None),
            (None, Some(&validators)),
            (None, None),
        ] {
            let owned = DocEntry {
                doc: doc.cloned(),
                validators: validators.cloned(),
            };
            let borrowed = encode_named(|| "k".into(), &DocEntryRef { doc, validators });
            let written = borrowed.expect("encodes");
            assert_eq!(written, encode("k", &owned).expect("encodes"));
            let back: DocEntry = decode("k", &written).expect("decodes");
            assert_eq!(back, owned);
        }
    }
}
