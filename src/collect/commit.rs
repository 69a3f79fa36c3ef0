//! The commit of one feed's sync, decided before anything is written: from the feed's saved
//! head, what its collector found and the documents parsed, which document records are new,
//! changed, touched or gone, which advisories are withdrawn, and the new head — a [`CommitPlan`] the
//! orchestrator ([`super::sync`](mod@super::sync)) hands to the store as one `FeedCommit`.
//!
//! This is where a sync's correctness lives (a document that left its listing withdraws what no
//! other document still provides; a re-parsed document that gives the same advisories changes no
//! count) and where its cost is decided (a sync that changed k of n documents must touch k
//! records, not n). So it is kept apart from the fetching and the writing, as functions over
//! plain data, and tested on small hand-made states. It reads the store only through
//! [`SavedRecords`] — in a sync, the records the collector's context already read and cached —
//! because reading every record up front is exactly what an incremental sync avoids.
//!
//! Three ways to the plan, cheapest first:
//! 1. **Everything kept** ([`all_kept`], [`keep_all`]): every listing unchanged and nothing named,
//!    fetched or touched. The head's per-listing counts prove every known document still named;
//!    only the head and changed listing validators are written. O(listings).
//! 2. **Through the listings** (`compare_listed`): no document vanished from a changed listing
//!    (its index says what it named), every re-parsed document gives the same advisories as
//!    before, every new one gives advisories the store never held. Then the new counts follow
//!    from the head, and only the records of the documents parsed or touched are read.
//! 3. **Against everything** (`compare_all`): otherwise, or when the collector read the whole
//!    state anyway, one pass over every known document decides what is kept, re-parsed or gone.
//!
//! Way 2 is an optimisation of way 3: where it answers, it answers the same (a unit test holds
//! the two to that).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ctx::{Collected, Doc, FeedError, RejectedDoc};
use super::http::sha256_hex;
use super::warning::SyncWarning;
use crate::model::{Advisory, AdvisoryId, FeedId};
use crate::store::{
    DocState, EncodedAdvisory, FeedCommit, FeedState, ListingCount, ListingIndex, Rejected,
    StateChanges, StoreError, Validators,
};

/// What the commit may read of the feed's saved records besides its head — each record only
/// when a decision needs it (a sync's [`super::ctx::CollectCtx`] reads them from the store once
/// and remembers them).
pub(super) trait SavedRecords {
    /// The whole saved state, every document record included.
    fn full_state(&self) -> Result<&FeedState, FeedError>;
    /// Whether the whole state has been read already (then comparing all of it costs nothing more).
    fn full_loaded(&self) -> bool;
    /// What `listing` named at the last successful sync; `None` when that cannot be trusted (its
    /// index disagrees with the head's count for it).
    fn listing_index(&self, listing: &str) -> Result<Option<Arc<ListingIndex>>, FeedError>;
    /// The saved record of one document.
    fn document(&self, location: &str) -> Result<Option<DocState>, FeedError>;
    /// The saved validators of one URL (`--force` or not).
    fn validators_saved(&self, url: &str) -> Result<Option<Validators>, FeedError>;
    /// Whether the store holds this advisory for the feed.
    fn advisory_known(&self, id: &AdvisoryId) -> Result<bool, FeedError>;
}

/// A fetched document, parsed as it arrived: its advisories, encoded for the store, and what its
/// record needs. The bytes are gone — a feed's documents are never all in memory at once, only
/// their advisories.
#[derive(Debug)]
pub struct ParsedDoc {
    /// The document as delivered, its bytes emptied.
    doc: Doc,
    /// How many bytes it had.
    len: usize,
    sha256: String,
    advisories: Vec<ParsedAdvisory>,
    /// What fetching or parsing it warned about.
    warnings: Vec<SyncWarning>,
}

/// One advisory of a parsed document: encoded where it was parsed (off the feed's task), and
/// what a per-advisory record needs of it.
#[derive(Debug)]
struct ParsedAdvisory {
    id: AdvisoryId,
    modified: Option<DateTime<Utc>>,
    encoded: EncodedAdvisory,
    /// Of a per-advisory document (an NVD page): the hex SHA-256 of the advisory's JSON, its
    /// record's hash, from the serialization that encoded it.
    json_sha256: Option<String>,
}

impl ParsedDoc {
    /// The parse of `doc` (its `advisories`) for `feed`, keeping the SHA-256 of its bytes and
    /// dropping them.
    #[cfg(test)]
    pub fn new(feed: &FeedId, doc: Doc, advisories: Vec<Advisory>) -> ParsedDoc {
        let sha256 = doc.sha256();
        ParsedDoc::hashed(feed, doc, sha256, advisories).expect("advisories encode")
    }

    /// The same, with the bytes' hex SHA-256 already computed. An advisory without a TLP label
    /// takes the document's (the ROLIE feed's); each is then encoded for the store (an error
    /// only if one does not serialize).
    pub fn hashed(
        feed: &FeedId,
        mut doc: Doc,
        sha256: String,
        advisories: Vec<Advisory>,
    ) -> Result<ParsedDoc, StoreError> {
        let len = doc.bytes.len();
        doc.bytes = Vec::new();
        let advisories = advisories
            .into_iter()
            .map(|mut a| {
                if a.tlp.is_none() {
                    a.tlp.clone_from(&doc.tlp);
                }
                let mut json_sha256 = None;
                let encoded = EncodedAdvisory::with_json(feed, &a, |json| {
                    if doc.per_advisory {
                        json_sha256 = Some(sha256_hex(json));
                    }
                })?;
                Ok(ParsedAdvisory {
                    id: a.id,
                    modified: a.modified,
                    encoded,
                    json_sha256,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(ParsedDoc {
            doc,
            len,
            sha256,
            advisories,
            warnings: Vec::new(),
        })
    }

    /// The same, with warnings about the document (kept in the feed's report).
    pub fn with_warnings(mut self, warnings: impl IntoIterator<Item = SyncWarning>) -> ParsedDoc {
        self.warnings.extend(warnings);
        self
    }
}

/// The parse step's result: the advisories of the changed documents and the records to keep
/// for those documents.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Documents parsed.
    pub(super) documents: usize,
    /// Earlier advisories of this sync went to the store's stage (then `advisories` holds only
    /// those parsed since, which win over staged ones with the same id).
    pub(super) staged: bool,
    /// Bytes of the documents whose advisories are in `advisories` (a measure of their size).
    pub(super) held_bytes: usize,
    /// By id, encoded: a later document's advisory replaces an earlier one's (also a staged
    /// one: the commit writes the stage first).
    pub(super) advisories: BTreeMap<AdvisoryId, EncodedAdvisory>,
    /// The new record of each parsed document (of each advisory, for per-advisory documents).
    pub(super) docs: Vec<(String, DocState)>,
    /// Validators the documents were fetched with.
    pub(super) doc_validators: Vec<(String, Validators)>,
    /// The documents' warnings, in the order the documents were added (past
    /// [`super::warning::LISTED_DOCUMENTS_PER_CODE`] documents of a code, counted).
    pub(super) warnings: super::warning::DocumentWarnings,
}

impl Parsed {
    /// Add one document's advisories and its record. A per-advisory document (an NVD page) gets
    /// one record per advisory, keyed by id and hashed over the advisory, so a CVE seen again on a later page
    /// replaces its earlier record instead of adding one.
    pub(super) fn add(&mut self, parsed: ParsedDoc) {
        let ParsedDoc {
            doc,
            len,
            sha256,
            advisories,
            warnings,
        } = parsed;
        self.documents += 1;
        self.held_bytes += len;
        self.warnings.add(warnings);
        if let Some(v) = &doc.validators {
            self.doc_validators.push((doc.location.clone(), v.clone()));
        }
        if doc.per_advisory {
            // An id twice on one page: each record is of the advisory that won (the last).
            let won: HashMap<&AdvisoryId, &ParsedAdvisory> =
                advisories.iter().map(|a| (&a.id, a)).collect();
            for a in &advisories {
                let w = won[&a.id];
                self.docs.push((
                    a.id.to_string(),
                    DocState {
                        sha256: w.json_sha256.clone().unwrap_or_default(),
                        updated: w.modified,
                        advisories: vec![a.id.clone()],
                        listing: None,
                    },
                ));
            }
            for a in advisories {
                self.advisories.insert(a.id, a.encoded);
            }
            return;
        }
        let mut ids = Vec::with_capacity(advisories.len());
        for a in advisories {
            ids.push(a.id.clone());
            self.advisories.insert(a.id, a.encoded);
        }
        self.docs.push((
            doc.location,
            DocState {
                sha256,
                updated: doc.updated,
                advisories: ids,
                listing: doc.listing,
            },
        ));
    }
}

/// Everything one feed's commit writes.
#[derive(Debug)]
pub(super) struct CommitPlan {
    /// The new head: checkpoint, advisory count, per-listing counts, this success.
    pub(super) state: FeedState,
    /// Advisories of the parsed documents, to put (those not staged).
    pub(super) advisories: Vec<EncodedAdvisory>,
    /// Advisories of this sync wait in the store's stage, to be moved in by the commit.
    pub(super) staged: bool,
    /// Advisories the feed no longer provides, sorted.
    pub(super) withdrawn: Vec<AdvisoryId>,
    /// The document and validator records that change.
    pub(super) changes: StateChanges,
    /// Advisories of documents kept without parsing (the store counts those it puts itself).
    pub(super) unchanged: usize,
}

impl CommitPlan {
    /// The plan as the one store transaction that writes it.
    pub(super) fn commit<'a>(&'a self, feed: &'a FeedId, when: DateTime<Utc>) -> FeedCommit<'a> {
        FeedCommit {
            feed,
            advisories: &self.advisories,
            withdrawn: &self.withdrawn,
            when,
            state: &self.state,
            changes: &self.changes,
            staged: self.staged,
        }
    }
}

/// The newer of the saved checkpoint and the newest listing time seen.
fn checkpoint(head: &FeedState, collected: &Collected) -> Option<DateTime<Utc>> {
    match (head.checkpoint, collected.checkpoint) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The feed's rejected documents after this sync: exactly those it rejected ([`RejectedDoc`]),
/// each keeping the date the unbroken run of its rejections began. A document rejected before
/// and not now either parsed, was found unchanged from its stored record, or is no longer listed
/// — every collector retries the documents its head lists as rejected — so it leaves the list.
pub(super) fn rejected(
    head: &FeedState,
    rejections: Vec<RejectedDoc>,
    now: DateTime<Utc>,
) -> BTreeMap<String, Rejected> {
    rejections
        .into_iter()
        .map(|r| {
            let since = head.rejected.get(&r.location).map_or(now, |old| old.since);
            let record = Rejected {
                reason: r.reason,
                since,
                last_tried: now,
                listing: r.listing,
            };
            (r.location, record)
        })
        .collect()
}

/// Whether every listing is unchanged and nothing else was named, fetched or touched: then
/// every known document stays as it is, which the head's per-listing counts prove without
/// reading a document record ([`keep_all`]).
pub(super) fn all_kept(head: &FeedState, collected: &Collected) -> bool {
    collected.parsed.documents == 0
        && collected.rejected.is_empty()
        && collected.touched.is_empty()
        && collected.listed.is_empty()
        && head
            .listed_by
            .keys()
            .all(|l| collected.kept_listings.contains(l))
}

/// The plan when [`all_kept`] holds: the head's counts carried over, the listings' validators
/// saved where they changed, nothing else.
pub(super) fn keep_all(head: &FeedState, collected: Collected, now: DateTime<Utc>) -> CommitPlan {
    let checkpoint = checkpoint(head, &collected);
    let mut changes = StateChanges::default();
    for (url, v) in collected.validators {
        if head.validators.get(&url) != Some(&v) {
            changes.validators.insert(url, Some(v));
        }
    }
    CommitPlan {
        staged: false,
        state: FeedState {
            last_success: Some(now),
            checkpoint,
            advisory_count: head.advisory_count,
            listed_by: head.listed_by.clone(),
            ..FeedState::default()
        },
        advisories: Vec::new(),
        withdrawn: Vec::new(),
        changes,
        unchanged: head.listed_by.values().map(|c| c.advisories).sum(),
    }
}

/// The plan when something changed: through the listings when that decides everything
/// (`compare_listed`), else against the whole saved state (`compare_all`).
pub(super) fn diff<R: SavedRecords>(
    saved: &R,
    head: &FeedState,
    collected: &Collected,
    parsed: Parsed,
    now: DateTime<Utc>,
) -> Result<CommitPlan, FeedError> {
    let Parsed {
        advisories,
        docs,
        doc_validators,
        staged,
        ..
    } = parsed;
    let outcome = match compare_listed(saved, head, collected, &docs, &doc_validators)? {
        Some(o) => o,
        None => compare_all(saved.full_state()?, collected, docs, doc_validators),
    };
    Ok(CommitPlan {
        state: FeedState {
            last_success: Some(now),
            checkpoint: checkpoint(head, collected),
            advisory_count: outcome.advisory_count,
            listed_by: outcome.listed_by,
            ..FeedState::default()
        },
        advisories: advisories.into_values().collect(),
        staged,
        withdrawn: outcome.withdrawn,
        changes: outcome.changes,
        unchanged: outcome.unchanged,
    })
}

/// What comparing the parsed documents and the listings with the saved state gives: the record
/// changes, the withdrawals and the new head's counts.
#[derive(Debug, PartialEq, Eq)]
struct Comparison {
    changes: StateChanges,
    withdrawn: Vec<AdvisoryId>,
    advisory_count: usize,
    listed_by: BTreeMap<String, ListingCount>,
    /// Advisories of documents kept as they were.
    unchanged: usize,
}

/// Compare with the whole saved state: one pass over every known document — re-parsed ones,
/// ones the source no longer names, the rest kept as they are.
fn compare_all(
    prev: &FeedState,
    collected: &Collected,
    parsed_docs: Vec<(String, DocState)>,
    doc_validators: Vec<(String, Validators)>,
) -> Comparison {
    let mut changes = StateChanges::default();
    let mut unchanged = 0;
    // One pass over the known documents: re-parsed ones (`fresh`), ones the source no longer
    // names (`gone`), the rest kept as they are. The advisories of the first two may be withdrawn.
    let fresh: HashSet<&str> = parsed_docs.iter().map(|(l, _)| l.as_str()).collect();
    let listed = |loc: &str, d: &DocState| {
        collected.listed.contains(loc)
            || d.listing
                .as_ref()
                .is_some_and(|l| collected.kept_listings.contains(l))
    };
    let mut gone: HashSet<&str> = HashSet::new();
    let mut listed_by: BTreeMap<String, ListingCount> = BTreeMap::new();
    let mut candidates: HashSet<&AdvisoryId> = HashSet::new();
    for (loc, d) in &prev.documents {
        if fresh.contains(loc.as_str()) {
            candidates.extend(&d.advisories);
        } else if !listed(loc, d) {
            gone.insert(loc);
            candidates.extend(&d.advisories);
        } else {
            unchanged += d.advisories.len();
            count_listed(&mut listed_by, d);
        }
    }
    for (_, d) in &parsed_docs {
        count_listed(&mut listed_by, d);
    }
    let kept = |loc: &str| !fresh.contains(loc) && !gone.contains(loc);
    // Withdraw what the feed no longer provides anywhere: a candidate named by no re-parsed
    // document and no kept one.
    let mut provided: HashSet<&AdvisoryId> = parsed_docs
        .iter()
        .flat_map(|(_, d)| d.advisories.iter())
        .collect();
    if candidates.iter().any(|id| !provided.contains(id)) {
        for (loc, d) in &prev.documents {
            if kept(loc) {
                provided.extend(d.advisories.iter().filter(|id| candidates.contains(id)));
            }
        }
    }
    let mut withdrawn: Vec<AdvisoryId> = candidates
        .into_iter()
        .filter(|id| !provided.contains(id))
        .cloned()
        .collect();
    withdrawn.sort();
    // Distinct advisories the feed holds after this commit (counted again only if it changed).
    let advisory_count = if fresh.is_empty() && gone.is_empty() {
        prev.advisory_count
    } else {
        let mut all: HashSet<&AdvisoryId> = provided;
        for (loc, d) in &prev.documents {
            if kept(loc) {
                all.extend(&d.advisories);
            }
        }
        all.len()
    };
    // The state changes, written as records of their own.
    for loc in &gone {
        changes.documents.insert(loc.to_string(), None);
        if prev.validators.contains_key(*loc) {
            changes.validators.insert(loc.to_string(), None);
        }
    }
    for (loc, updated) in &collected.touched {
        if let Some(d) = prev.documents.get(loc).filter(|_| kept(loc)) {
            if d.updated != *updated {
                let mut d = d.clone();
                d.updated = *updated;
                changes.documents.insert(loc.clone(), Some(d));
            }
        }
    }
    for (loc, d) in parsed_docs {
        if prev.documents.get(&loc) != Some(&d) {
            changes.documents.insert(loc, Some(d));
        }
    }
    let validators = collected
        .validators
        .iter()
        .map(|(u, v)| (u.clone(), v.clone()));
    for (url, v) in validators.chain(doc_validators) {
        if !gone.contains(url.as_str()) && prev.validators.get(&url) != Some(&v) {
            changes.validators.insert(url, Some(v));
        }
    }
    Comparison {
        changes,
        withdrawn,
        advisory_count,
        listed_by,
        unchanged,
    }
}

/// Compare through the listing indexes and the records of the parsed documents only, when that
/// decides everything: no document vanished from a changed listing, every re-parsed document
/// gives the same advisories as before, and every new document gives advisories the store has
/// never held (so nothing is withdrawn, and the feed's count grows by exactly those). `None`
/// when any of that does not hold, or the documents have no listing, or the whole state is
/// read anyway: then [`compare_all`] decides.
fn compare_listed<R: SavedRecords>(
    saved: &R,
    head: &FeedState,
    collected: &Collected,
    parsed_docs: &[(String, DocState)],
    doc_validators: &[(String, Validators)],
) -> Result<Option<Comparison>, FeedError> {
    if saved.full_loaded() {
        return Ok(None);
    }
    for listing in head.listed_by.keys() {
        if collected.kept_listings.contains(listing) {
            continue;
        }
        if listing.is_empty() {
            return Ok(None);
        }
        let Some(index) = saved.listing_index(listing)? else {
            return Ok(None);
        };
        if index.keys().any(|loc| !collected.listed.contains(loc)) {
            return Ok(None); // something vanished
        }
    }
    let mut changes = StateChanges::default();
    let mut listed_by = head.listed_by.clone();
    let mut unchanged: usize = head.listed_by.values().map(|c| c.advisories).sum();
    // Sized once for every collected document: a feed's first sync puts tens of thousands of
    // them here, just before its commit, and each growth would hash them all again.
    let mut new_ids: HashSet<&AdvisoryId> = HashSet::with_capacity(parsed_docs.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(parsed_docs.len());
    for (loc, d) in parsed_docs {
        if d.listing.is_none() || !seen.insert(loc) {
            return Ok(None);
        }
        match saved.document(loc)? {
            Some(old) => {
                let same: BTreeSet<&AdvisoryId> = old.advisories.iter().collect();
                if same != d.advisories.iter().collect::<BTreeSet<_>>() {
                    return Ok(None);
                }
                // Counted in the head under its old listing (else the head disagrees).
                let n = old.advisories.len();
                let counted = listed_by
                    .get_mut(old.listing.as_deref().unwrap_or_default())
                    .filter(|c| c.documents > 0 && c.advisories >= n);
                let (Some(c), Some(rest)) = (counted, unchanged.checked_sub(n)) else {
                    return Ok(None);
                };
                c.documents -= 1;
                c.advisories -= n;
                unchanged = rest;
                if old != *d {
                    changes.documents.insert(loc.clone(), Some(d.clone()));
                }
            }
            None => {
                for id in &d.advisories {
                    // A feed without documents provides nothing yet; otherwise an id the store
                    // holds may be provided by a document not read here.
                    if !head.listed_by.is_empty() && saved.advisory_known(id)? {
                        return Ok(None);
                    }
                    new_ids.insert(id);
                }
                changes.documents.insert(loc.clone(), Some(d.clone()));
            }
        }
        count_listed(&mut listed_by, d);
    }
    listed_by.retain(|_, c| c.documents > 0);
    for (loc, updated) in &collected.touched {
        if seen.contains(loc.as_str()) {
            continue;
        }
        if let Some(mut d) = saved.document(loc)? {
            if d.updated != *updated {
                d.updated = *updated;
                changes.documents.insert(loc.clone(), Some(d));
            }
        }
    }
    for (url, v) in collected
        .validators
        .iter()
        .chain(doc_validators.iter().map(|(u, v)| (u, v)))
    {
        if saved.validators_saved(url)?.as_ref() != Some(v) {
            changes.validators.insert(url.clone(), Some(v.clone()));
        }
    }
    Ok(Some(Comparison {
        changes,
        withdrawn: Vec::new(),
        advisory_count: head.advisory_count + new_ids.len(),
        listed_by,
        unchanged,
    }))
}

/// Count a document (and its advisories) under the listing that named it, for the head's
/// per-listing counts.
fn count_listed(listed_by: &mut BTreeMap<String, ListingCount>, d: &DocState) {
    let c = listed_by
        .entry(d.listing.clone().unwrap_or_default())
        .or_default();
    c.documents += 1;
    c.advisories += d.advisories.len();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Source, SourceFormat};

    const L: &str = "https://v.example/white/changes.csv";
    const M: &str = "https://v.example/green/changes.csv";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn id(s: &str) -> AdvisoryId {
        s.parse().unwrap()
    }

    fn advisory(i: &str) -> Advisory {
        Advisory::new(
            id(i),
            "Acme".into(),
            i.into(),
            Source {
                feed: "f".parse().unwrap(),
                format: SourceFormat::Csaf,
                location: i.into(),
                sha256: String::new(),
            },
        )
    }

    fn feed() -> FeedId {
        "f".parse().unwrap()
    }

    fn loc(name: &str) -> String {
        format!("https://v.example/white/{name}")
    }

    fn record(sha: &str, listing: &str, updated: &str, ids: &[&str]) -> DocState {
        DocState {
            sha256: sha.into(),
            updated: Some(t(updated)),
            advisories: ids.iter().map(|s| id(s)).collect(),
            listing: Some(listing.into()),
        }
    }

    /// A feed's saved records as the store holds them, read back through [`SavedRecords`].
    struct Saved {
        full: FeedState,
        /// Whether the collector read the whole state (a folder, NVD, RSS).
        loaded: bool,
    }

    impl Saved {
        fn new(documents: &[(&str, DocState)]) -> Saved {
            let mut full = FeedState {
                checkpoint: Some(t("2024-01-01T00:00:00Z")),
                documents: documents.iter().map(|(l, d)| (loc(l), d.clone())).collect(),
                ..FeedState::default()
            };
            full.validators.insert(
                L.into(),
                Validators {
                    etag: Some("\"old\"".into()),
                    ..Validators::default()
                },
            );
            full.listed_by = full.count_listings();
            let ids: HashSet<&AdvisoryId> = full
                .documents
                .values()
                .flat_map(|d| &d.advisories)
                .collect();
            full.advisory_count = ids.len();
            Saved {
                full,
                loaded: false,
            }
        }

        /// The head: the state without its per-document records.
        fn head(&self) -> FeedState {
            FeedState {
                documents: BTreeMap::new(),
                ..self.full.clone()
            }
        }
    }

    impl SavedRecords for Saved {
        fn full_state(&self) -> Result<&FeedState, FeedError> {
            Ok(&self.full)
        }

        fn full_loaded(&self) -> bool {
            self.loaded
        }

        fn listing_index(&self, listing: &str) -> Result<Option<Arc<ListingIndex>>, FeedError> {
            let index = self.full.listing_indexes().remove(listing);
            Ok(Some(Arc::new(index.unwrap_or_default())))
        }

        fn document(&self, location: &str) -> Result<Option<DocState>, FeedError> {
            Ok(self.full.documents.get(location).cloned())
        }

        fn validators_saved(&self, url: &str) -> Result<Option<Validators>, FeedError> {
            Ok(self.full.validators.get(url).cloned())
        }

        fn advisory_known(&self, id: &AdvisoryId) -> Result<bool, FeedError> {
            Ok(self
                .full
                .documents
                .values()
                .any(|d| d.advisories.contains(id)))
        }
    }

    /// Two documents named by `L`, one by `M`.
    fn saved() -> Saved {
        Saved::new(&[
            ("a.json", record("aa", L, "2024-01-01T00:00:00Z", &["A-1"])),
            ("b.json", record("bb", L, "2024-01-01T00:00:00Z", &["B-1"])),
            (
                "c.json",
                record("cc", M, "2024-01-01T00:00:00Z", &["C-1", "C-2"]),
            ),
        ])
    }

    /// What a collector found when `L` changed and still names `listed`, and `M` is unchanged.
    fn collected(listed: &[&str]) -> Collected {
        let mut c = Collected {
            listed: listed.iter().map(|l| loc(l)).collect(),
            checkpoint: Some(t("2024-02-01T00:00:00Z")),
            ..Collected::default()
        };
        c.kept_listings.insert(M.into());
        c.validators.insert(
            L.into(),
            Validators {
                etag: Some("\"new\"".into()),
                ..Validators::default()
            },
        );
        c
    }

    /// The parse step's result for documents of `L` giving these advisory ids.
    fn parsed(docs: &[(&str, &str, &[&str])]) -> Parsed {
        let mut p = Parsed::default();
        for (name, sha, ids) in docs {
            let mut d = record(sha, L, "2024-02-01T00:00:00Z", ids);
            d.updated = Some(t("2024-02-01T00:00:00Z"));
            for i in &d.advisories {
                let a = EncodedAdvisory::new(&feed(), &advisory(i.as_str())).unwrap();
                p.advisories.insert(i.clone(), a);
            }
            p.docs.push((loc(name), d));
        }
        p
    }

    fn now() -> DateTime<Utc> {
        t("2024-03-01T00:00:00Z")
    }

    /// `compare_listed`, checked against `compare_all` on the same input: the shortcut, where it
    /// answers, answers what the full comparison would.
    fn listed_agrees_with_all(s: &Saved, c: &Collected, p: &Parsed) -> Comparison {
        let head = s.head();
        let listed = compare_listed(s, &head, c, &p.docs, &p.doc_validators)
            .unwrap()
            .expect("decided through the listings");
        let all = compare_all(&s.full, c, p.docs.clone(), p.doc_validators.clone());
        assert_eq!(listed, all);
        listed
    }

    #[test]
    fn a_new_document_on_a_first_sync() {
        let s = Saved::new(&[]);
        let mut c = collected(&["a.json"]);
        c.kept_listings.clear();
        let p = parsed(&[("a.json", "aa", &["A-1"])]);
        let plan = diff(&s, &s.head(), &c, p, now()).unwrap();
        assert_eq!(plan.changes.documents.len(), 1);
        assert_eq!(
            plan.changes.documents[&loc("a.json")]
                .as_ref()
                .unwrap()
                .advisories,
            [id("A-1")]
        );
        assert_eq!(plan.state.advisory_count, 1);
        assert_eq!(
            plan.state.listed_by[L],
            ListingCount {
                documents: 1,
                advisories: 1
            }
        );
        assert_eq!(plan.advisories.len(), 1);
        assert!(plan.withdrawn.is_empty());
        assert_eq!(plan.unchanged, 0);
        assert_eq!(plan.state.last_success, Some(now()));
        assert_eq!(plan.state.checkpoint, Some(t("2024-02-01T00:00:00Z")));
        assert!(
            plan.state.documents.is_empty(),
            "the head carries no records"
        );
    }

    #[test]
    fn a_changed_document_with_the_same_advisories_rewrites_only_its_record() {
        let s = saved();
        let c = collected(&["a.json", "b.json"]);
        let p = parsed(&[("a.json", "a2", &["A-1"])]);
        let o = listed_agrees_with_all(&s, &c, &p);
        assert_eq!(
            o.changes.documents.keys().collect::<Vec<_>>(),
            [&loc("a.json")]
        );
        assert_eq!(
            o.changes.documents[&loc("a.json")].as_ref().unwrap().sha256,
            "a2"
        );
        assert_eq!(o.changes.validators.keys().collect::<Vec<_>>(), [L]);
        assert!(o.withdrawn.is_empty());
        assert_eq!(o.advisory_count, 4);
        // b (1) and the documents of the kept listing (2) stay as they are.
        assert_eq!(o.unchanged, 3);
        assert_eq!(o.listed_by, s.full.listed_by);
        let plan = diff(&s, &s.head(), &c, p, now()).unwrap();
        assert_eq!(plan.changes, o.changes);
        assert_eq!(plan.state.checkpoint, Some(t("2024-02-01T00:00:00Z")));
    }

    #[test]
    fn an_unchanged_document_parsed_again_writes_no_record() {
        let s = saved();
        let c = collected(&["a.json", "b.json"]);
        let mut p = parsed(&[("a.json", "aa", &["A-1"])]);
        p.docs[0].1.updated = Some(t("2024-01-01T00:00:00Z"));
        let o = listed_agrees_with_all(&s, &c, &p);
        assert!(o.changes.documents.is_empty(), "{:?}", o.changes);
        assert!(o.withdrawn.is_empty());
        assert_eq!(o.advisory_count, 4);
        assert_eq!(o.unchanged, 3);
    }

    #[test]
    fn a_document_gone_from_its_listing_is_withdrawn() {
        let s = saved();
        let c = collected(&["a.json"]);
        let head = s.head();
        let p = parsed(&[]);
        assert!(compare_listed(&s, &head, &c, &p.docs, &p.doc_validators)
            .unwrap()
            .is_none());
        let plan = diff(&s, &head, &c, p, now()).unwrap();
        assert_eq!(plan.withdrawn, [id("B-1")]);
        assert_eq!(plan.changes.documents[&loc("b.json")], None);
        assert_eq!(plan.state.advisory_count, 3);
        assert_eq!(
            plan.state.listed_by[L],
            ListingCount {
                documents: 1,
                advisories: 1
            }
        );
        // a (1), and c of the kept listing (2), although `listed` does not name c.
        assert_eq!(plan.unchanged, 3);
    }

    #[test]
    fn an_advisory_another_document_still_provides_is_not_withdrawn() {
        let s = Saved::new(&[
            ("a.json", record("aa", L, "2024-01-01T00:00:00Z", &["A-1"])),
            (
                "b.json",
                record("bb", L, "2024-01-01T00:00:00Z", &["A-1", "B-1"]),
            ),
        ]);
        let mut c = collected(&["a.json"]);
        c.kept_listings.clear();
        let plan = diff(&s, &s.head(), &c, parsed(&[]), now()).unwrap();
        assert_eq!(plan.withdrawn, [id("B-1")]);
        assert_eq!(plan.state.advisory_count, 1);
    }

    #[test]
    fn a_document_that_drops_an_advisory_withdraws_it() {
        let s = saved();
        let c = collected(&["a.json", "b.json"]);
        let p = parsed(&[("a.json", "a2", &["A-2"])]);
        let head = s.head();
        assert!(compare_listed(&s, &head, &c, &p.docs, &p.doc_validators)
            .unwrap()
            .is_none());
        let plan = diff(&s, &head, &c, p, now()).unwrap();
        assert_eq!(plan.withdrawn, [id("A-1")]);
        assert_eq!(plan.state.advisory_count, 4);
        assert_eq!(plan.unchanged, 3);
    }

    #[test]
    fn a_new_document_with_an_advisory_the_store_holds_compares_everything() {
        let s = saved();
        let c = collected(&["a.json", "b.json", "d.json"]);
        // d gives B-1, which b gives too: the feed's count must not grow.
        let p = parsed(&[("d.json", "dd", &["B-1"])]);
        let head = s.head();
        assert!(compare_listed(&s, &head, &c, &p.docs, &p.doc_validators)
            .unwrap()
            .is_none());
        let plan = diff(&s, &head, &c, p, now()).unwrap();
        assert!(plan.withdrawn.is_empty());
        assert_eq!(plan.state.advisory_count, 4);
        assert_eq!(
            plan.state.listed_by[L],
            ListingCount {
                documents: 3,
                advisories: 3
            }
        );
    }

    #[test]
    fn the_rejected_list_is_this_syncs_rejections_each_keeping_its_first_date() {
        let mut head = saved().head();
        let before = t("2024-01-15T00:00:00Z");
        for loc in ["a.json", "gone.json"] {
            head.rejected.insert(
                loc.into(),
                Rejected {
                    reason: "old".into(),
                    since: before,
                    last_tried: before,
                    listing: Some(L.into()),
                },
            );
        }
        let rejection = |loc: &str| RejectedDoc {
            location: loc.into(),
            reason: format!("{loc}: not valid JSON"),
            listing: Some(L.into()),
        };
        let r = rejected(&head, vec![rejection("a.json"), rejection("d.json")], now());
        assert_eq!(r.keys().collect::<Vec<_>>(), ["a.json", "d.json"]);
        assert_eq!((r["a.json"].since, r["a.json"].last_tried), (before, now()));
        assert_eq!(r["a.json"].reason, "a.json: not valid JSON");
        assert_eq!(r["d.json"].since, now());
        assert_eq!(r["d.json"].listing.as_deref(), Some(L));
        // A rejected document, known or new, leaves nothing to the diff: a known one stays as
        // it was (still listed), a new one is not recorded.
        let mut c = collected(&["a.json", "b.json", "d.json"]);
        c.rejected = vec![rejection("a.json"), rejection("d.json")];
        assert!(!all_kept(&head, &c));
        let s = saved();
        let o = listed_agrees_with_all(&s, &c, &parsed(&[]));
        assert!(o.changes.documents.is_empty(), "{:?}", o.changes);
        assert!(o.withdrawn.is_empty());
        assert_eq!(o.advisory_count, 4);
    }

    #[test]
    fn kept_listings_keep_everything_without_reading_a_record() {
        let s = saved();
        let head = s.head();
        let mut c = Collected::default();
        c.kept_listings.extend([L.to_string(), M.to_string()]);
        c.validators.insert(L.into(), s.full.validators[L].clone());
        c.validators.insert(M.into(), Validators::default());
        assert!(all_kept(&head, &c));
        let plan = keep_all(&head, c, now());
        assert_eq!(plan.unchanged, 4);
        assert_eq!(plan.state.advisory_count, 4);
        assert_eq!(plan.state.listed_by, s.full.listed_by);
        assert_eq!(plan.state.checkpoint, head.checkpoint);
        assert_eq!(plan.state.last_success, Some(now()));
        assert!(plan.changes.documents.is_empty());
        // Only the listing whose validators changed is written.
        assert_eq!(plan.changes.validators.keys().collect::<Vec<_>>(), [M]);
        assert!(plan.advisories.is_empty() && plan.withdrawn.is_empty());
    }

    #[test]
    fn anything_named_fetched_or_touched_is_not_all_kept() {
        let head = saved().head();
        let kept = || {
            let mut c = Collected::default();
            c.kept_listings.extend([L.to_string(), M.to_string()]);
            c
        };
        assert!(all_kept(&head, &kept()));
        let mut c = kept();
        c.kept_listings.remove(M);
        assert!(!all_kept(&head, &c), "a listing that changed");
        let mut c = kept();
        c.listed.insert(loc("a.json"));
        assert!(!all_kept(&head, &c), "a document named");
        let mut c = kept();
        c.touched.push((loc("a.json"), None));
        assert!(!all_kept(&head, &c), "a document touched");
    }

    #[test]
    fn a_touched_time_is_saved_without_parsing() {
        let mut s = saved();
        let mut c = collected(&["a.json", "b.json"]);
        c.touched
            .push((loc("a.json"), Some(t("2024-02-15T00:00:00Z"))));
        // The same time again changes nothing.
        c.touched
            .push((loc("b.json"), Some(t("2024-01-01T00:00:00Z"))));
        let o = listed_agrees_with_all(&s, &c, &parsed(&[]));
        assert_eq!(
            o.changes.documents.keys().collect::<Vec<_>>(),
            [&loc("a.json")]
        );
        let a = o.changes.documents[&loc("a.json")].as_ref().unwrap();
        assert_eq!(a.updated, Some(t("2024-02-15T00:00:00Z")));
        assert_eq!(a.sha256, "aa");
        assert_eq!(o.unchanged, 4);
        // Read in full by the collector, the same answer.
        s.loaded = true;
        let plan = diff(&s, &s.head(), &c, parsed(&[]), now()).unwrap();
        assert_eq!(plan.changes, o.changes);
    }

    #[test]
    fn per_advisory_documents_keep_a_record_per_advisory() {
        let mut p = Parsed::default();
        let mut a = advisory("CVE-2024-0001");
        a.modified = Some(t("2024-02-01T00:00:00Z"));
        let b = advisory("CVE-2024-0002");
        let page = Doc {
            location: "https://nvd.example/page?startIndex=0".into(),
            bytes: b"{}".to_vec(),
            updated: None,
            tlp: Some("WHITE".into()),
            validators: Some(Validators::default()),
            listing: None,
            per_advisory: true,
            sha256: None,
        };
        p.add(ParsedDoc::new(&feed(), page.clone(), vec![a, b]));
        assert_eq!(
            p.docs.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
            ["CVE-2024-0001", "CVE-2024-0002"]
        );
        assert_eq!(p.docs[0].1.updated, Some(t("2024-02-01T00:00:00Z")));
        assert_eq!(p.docs[0].1.advisories, [id("CVE-2024-0001")]);
        let held = |i: &str| p.advisories[&id(i)].decode().unwrap();
        assert_eq!(
            p.docs[0].1.sha256,
            sha256_hex(&serde_json::to_vec(&held("CVE-2024-0001")).unwrap())
        );
        // The document's TLP label goes to advisories without one.
        assert!(p
            .advisories
            .values()
            .all(|a| a.decode().unwrap().tlp.as_deref() == Some("WHITE")));
        assert_eq!(p.doc_validators.len(), 1);
        let doc = Doc {
            location: loc("x.json"),
            per_advisory: false,
            sha256: None,
            listing: Some(L.into()),
            ..page.clone()
        };
        p.add(ParsedDoc::new(&feed(), doc, vec![advisory("X-1")]));
        let (l, d) = p.docs.last().unwrap();
        assert_eq!(l, &loc("x.json"));
        assert_eq!(d.sha256, sha256_hex(b"{}"));
        assert_eq!(d.listing.as_deref(), Some(L));
        assert_eq!(d.advisories, [id("X-1")]);
        // One CVE twice on a page: both records are of the advisory that won, the last.
        let mut first = advisory("CVE-2024-0003");
        first.title = "first".into();
        let mut last = first.clone();
        last.title = "last".into();
        p.add(ParsedDoc::new(&feed(), page, vec![first, last]));
        let won = p.advisories[&id("CVE-2024-0003")].decode().unwrap();
        assert_eq!(won.title, "last");
        let won = sha256_hex(&serde_json::to_vec(&won).unwrap());
        let records: Vec<&str> = p.docs[p.docs.len() - 2..]
            .iter()
            .map(|(_, d)| d.sha256.as_str())
            .collect();
        assert_eq!(records, [won.as_str(), won.as_str()]);
    }
}
