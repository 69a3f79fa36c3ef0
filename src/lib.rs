//! firmwatch: tracks vendor firmware and bug advisories against the storage estate an operator runs,
//! rates each match by its blast radius in that deployment, tells the owners, and checks planned
//! firmware updates before rollout.
//!
//! Data flows one way (see `README.md` and the module docs):
//! feeds → `collect` → `store`; the estate or an import → `discover` → snapshot files; inventory
//! files and snapshots → `inventory`; store + inventory → `matcher` →
//! `blast` → `report` / `notify`; a planned update → `check`; the release to go to → `recommend`. Problems in the files an operator
//! writes (inventory, feed definitions, plans) are `diag` diagnostics, all rendered the same way.
//!
//! The pure modules (`version`, `model`, `inventory`'s domain types, `classify`, `matcher`, `blast`,
//! `check`, `report`) do no I/O. The library never prints and never exits: the `firmwatch` binary
//! owns the terminal and the exit code.

#![cfg_attr(
    not(test),
    warn(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)
)]

pub mod allocator;
pub mod blast;
pub mod check;
pub mod classify;
pub mod collect;
pub mod compat;
pub mod diag;
pub mod discover;
pub mod error;
pub mod history;
pub mod inventory;
pub mod matcher;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod recommend;
pub mod report;
pub mod serve;
pub mod store;
/// Generators for scale benchmarks; see the `testkit` feature.
#[cfg(feature = "testkit")]
pub mod synth;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod triage;
pub mod vendor;
pub mod version;
