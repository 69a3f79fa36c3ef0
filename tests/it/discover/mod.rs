//! `firmwatch discover` over Redfish / Swordfish: every mockup tree of the corpus served on
//! 127.0.0.1 gives its exact snapshot (`corpus`), every fault class fails its endpoint alone with
//! the URL and the reason (`faults`), sessions, basic auth and TLS trust (`auth_tls`), the
//! inventory's `[systems.discover]` diagnostics (`inventory`), and the command itself (`cli`).
//! The service is `benches/support/redfish_mock.rs`, which serves a tree the way the corpus's
//! `serve.py` does.

mod auth_tls;
mod cli;
mod corpus;
mod faults;
mod inventory;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use firmwatch::discover::redfish::{discover, Crawl, DiscoverError, Endpoint};
use firmwatch::discover::{Credentials, Limits};
use firmwatch::inventory::{DiscoverAuth, DiscoverTrust};
use tokio::sync::Semaphore;

pub use crate::bench_support::redfish_mock::{Login, RedfishMock, Route, Setup, Tree};

/// A tree of the corpus (`mockups/<name>` or `vendor-samples/<name>`), or `None` without the
/// corpus.
pub fn corpus_tree(name: &str) -> Option<PathBuf> {
    let dir = crate::support::corpus()?.join("redfish");
    ["mockups", "vendor-samples"]
        .iter()
        .map(|k| dir.join(k).join(name))
        .find(|p| p.is_dir())
        .or_else(|| panic!("no tree {name} under {}", dir.display()))
}

/// Limits that make a failing test fail fast.
pub fn quick() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        endpoint_deadline: Duration::from_secs(30),
        retries: 0,
        backoff: Duration::from_millis(10),
        ..Limits::default()
    }
}

/// An anonymous endpoint at `root`.
pub fn endpoint(root: &str) -> Endpoint {
    Endpoint {
        root: root.parse().unwrap(),
        auth: DiscoverAuth::Session,
        trust: DiscoverTrust::WebRoots,
        credentials: None,
    }
}

/// `endpoint` logging in with `auth` as `user` / `password`.
pub fn with_login(root: &str, auth: DiscoverAuth, user: &str, password: &str) -> Endpoint {
    Endpoint {
        auth,
        credentials: Some(Credentials::new(user.into(), password.into())),
        ..endpoint(root)
    }
}

pub async fn walk(ep: &Endpoint, limits: &Limits) -> Result<Crawl, DiscoverError> {
    discover("sys", ep, limits, Arc::new(Semaphore::new(16))).await
}
