//! The integration tests: one test binary with one module per area, so the crate is linked once
//! for all of them instead of once per file.
//!
//! `support` is the kit every area shares (loopback HTTP and SMTP peers, the command builder for
//! the binary, fixtures on disk, the corpus lookup). Run one area with
//! `cargo test --test it sync::` (a filter on the module path).

#[macro_use]
mod support;

/// The benchmarks' harnesses (`benches/support/`), smoke-tested by `bench_smoke` at tiny sizes;
/// the inventory generator also feeds the inventory tests. They refer to each other from the crate
/// root (`crate::docs`), as in the bench binaries, hence the imports below.
#[path = "../../benches/support"]
mod bench_support {
    pub mod discover_run;
    pub mod docs;
    pub mod exposure_run;
    pub mod inventory_gen;
    pub mod mirror;
    pub mod real_sync;
    pub mod redfish_mock;
    pub mod sync_run;
}
use bench_support::{docs, inventory_gen, mirror, redfish_mock, sync_run};

mod bench_smoke;
mod blast_part_two;
mod check_update;
mod codes;
mod discover;
mod exposure;
mod formats;
mod fuzz_regressions;
mod history;
mod inventory;
mod matching;
mod no_silent_not_affected;
mod notify;
mod recommend;
mod scenarios;
pub(crate) mod security;
mod serve;
mod store;
mod sync;
mod versions;
