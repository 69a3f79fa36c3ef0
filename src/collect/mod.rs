//! Feed collection: fetching advisory documents and turning them into
//! [`crate::model::Advisory`] values in the store.
//!
//! Design. A feed is a file in `feeds/` ([`feed`]); `sync` ([`sync::sync`]) runs each selected feed's
//! collector — a local or served directory ([`dir`]), a CSAF provider ([`provider`]), the NVD API
//! ([`nvd`]), scraped pages and RSS/Atom listings ([`html`]) — through one
//! HTTP client with timeouts, size caps, bounded redirects, retries and conditional GET ([`http`]).
//! Collectors only fetch and decide *what changed*; the pure parsers in [`formats`] turn bytes into
//! advisories; the sync writes a feed's advisories in one store transaction, flushes, and only then
//! moves the feed's checkpoint. A failing feed keeps its previous data and checkpoint and does not
//! stop the others.

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

pub use ctx::{FeedError, SyncOptions};
pub use feed::{load_feeds, FeedDef, FeedDefError, FeedKind, ANNOTATIONS_FILE};
pub use sync::{sync, FeedReport, FeedStatus, SyncReport};
