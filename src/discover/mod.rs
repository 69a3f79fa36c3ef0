//! Discovery: the firmware facts of the estate read from the estate itself (Redfish/Swordfish
//! services) or imported from where an operator already keeps them (CycloneDX, CSV), kept as
//! machine-owned snapshot files beside the hand-written inventory ([`snapshot`]). The inventory
//! loader merges each snapshot into the hand-written system it names ([`merge`], where the rule
//! is); [`import`] turns a CycloneDX BOM or the documented CSV into snapshots; [`drift`] reports
//! what differs and how old the facts are.
//!
//! A Redfish walk ([`redfish`]) goes through the read-only client of [`client`]; [`discover_all`]
//! walks many endpoints at once, at most `jobs` endpoints and `requests` requests in flight in the
//! whole run, and gives one outcome per endpoint: one endpoint's failure never stops the others.

pub mod client;
pub mod drift;
pub mod import;
pub mod merge;
pub mod redfish;
pub mod snapshot;

use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use tokio::sync::Semaphore;

pub use client::{Credentials, Limits};
pub use redfish::{Crawl, DiscoverError, Endpoint};

/// One system's endpoint to walk.
#[derive(Debug, Clone)]
pub struct Target {
    pub system: String,
    pub endpoint: Endpoint,
    /// Why the walk cannot start (a credential variable unset), if it cannot.
    pub unusable: Option<String>,
}

/// How a run walks its endpoints.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub limits: Limits,
    /// Endpoints walked at the same time.
    pub jobs: usize,
    /// Requests in flight in the whole run.
    pub requests: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limits: Limits::default(),
            jobs: 16,
            requests: 64,
        }
    }
}

/// How one endpoint went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub system: String,
    /// The service root URL (never with credentials).
    pub endpoint: String,
    pub result: Result<Crawl, String>,
}

/// Walk every target, `jobs` at a time; outcomes in the targets' order.
pub async fn discover_all(targets: Vec<Target>, opts: &RunOptions) -> Vec<Outcome> {
    let overall = Arc::new(Semaphore::new(opts.requests.max(1)));
    let mut out: Vec<(usize, Outcome)> = stream::iter(targets.into_iter().enumerate())
        .map(|(i, t)| {
            let overall = overall.clone();
            async move {
                let endpoint = t.endpoint.root.to_string();
                let result = match t.unusable {
                    Some(why) => Err(format!("{endpoint}: {why}")),
                    None => redfish::discover(&t.system, &t.endpoint, &opts.limits, overall)
                        .await
                        .map_err(|e| e.to_string()),
                };
                if let Err(e) = &result {
                    tracing::info!(system = t.system.as_str(), "discovery failed: {e}");
                }
                (
                    i,
                    Outcome {
                        system: t.system,
                        endpoint,
                        result,
                    },
                )
            }
        })
        .buffer_unordered(opts.jobs.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}
