//! Feed collection: fetching advisory documents and turning them into
//! [`crate::model::Advisory`] values in the store.
//!
//! Design. A feed is a file in `feeds/` ([`feed`]); `sync` ([`sync::sync`]) runs each selected
//! feed's collector — a local or served directory ([`dir`]), a CSAF provider ([`provider`]), the
//! NVD API ([`nvd`]), scraped pages and RSS/Atom listings ([`pages`]) — through one HTTP client
//! with timeouts, size caps, bounded redirects, retries and conditional GET ([`http`]), following
//! only the URLs the feed's policy allows ([`policy`]). A failing feed keeps its previous data and
//! checkpoint and does not stop the others.
//!
//! The code is split by what may do I/O, because that is what decides how it can be tested and
//! how cheap an incremental sync stays:
//! * **Vocabulary** — [`ctx`]: what a collector is given (the feed, its saved head, the HTTP
//!   client, the options, lazy access to its saved records) and what it returns (the changed
//!   documents, everything the source names, the listings it found unchanged). Collectors import
//!   this, never the orchestrator.
//! * **Collectors** — [`dir`], [`provider`], [`nvd`], [`pages`]: async, they fetch and decide
//!   *what changed*; nothing else in this module touches the network.
//! * **Pure readers** — [`listing`] (`changes.csv`, `index.txt`, ROLIE feeds, provider
//!   metadata, entries to URLs), [`integrity`] (hash files, OpenPGP signatures), [`formats`]
//!   (advisory documents, scraped pages, RSS/Atom listings): bytes and a base URL in, values
//!   out, unit-tested on real quirks.
//! * **Commit** — `commit`: the pure diff of a sync — which document records are new, changed,
//!   touched or gone, what is withdrawn, the feed's new head — read from the saved state only
//!   record by record, as a decision needs it.
//! * **Orchestration** — [`sync`](mod@sync): runs collect → parse → commit per feed,
//!   concurrently, and writes each feed's result in one store transaction, flushes, and only then
//!   moves the feed's checkpoint.

mod commit;
pub mod ctx;
pub mod dir;
pub mod feed;
pub mod formats;
pub mod http;
pub mod integrity;
pub mod listing;
pub mod nvd;
pub mod pages;
pub mod policy;
pub mod provider;
pub mod sync;
pub mod warning;

pub use ctx::{FeedError, SyncOptions};
pub use feed::{load_feeds, FeedDef, FeedDefError, FeedFileCode, FeedKind, ANNOTATIONS_FILE};
pub use sync::{sync, FeedReport, SyncReport, SyncStatus};
pub use warning::{summarize, SyncWarning, SyncWarningCode, WarningSummary};
