//! The process allocator's settings. The `firmwatch` binary and every benchmark allocate through
//! mimalloc (`src/main.rs` says why) and call [`configure`] first.
//!
//! **Freed memory goes back to the OS after [`PURGE_DELAY_MS`], not mimalloc 3's default of
//! 1,000 ms.** A sync passes gigabytes through memory (documents, their parse trees, encoded
//! advisories), each freed within milliseconds; mimalloc keeps what is freed for the delay
//! before returning it, so with the default a full sync of real-sized feeds held about a
//! second's worth of that churn — a third of its resident memory — on top of what it uses. At
//! 250 ms the real-sized sync at half scale peaked 340–355 MiB instead of 439–472 MiB, and at
//! full scale 457–481 MiB against 556 MiB with the default, for about 5 % more CPU (re-faulting
//! pages it uses again); at 0 ms it peaked 279–285 MiB at half scale but took 10–25 % more CPU
//! (`BENCHMARKS.md`). A process that allocates a large buffer per request pays more (the sync
//! bench's mirror: up to a third more CPU). The environment variable `MIMALLOC_PURGE_DELAY` still
//! overrides it (1000 for mimalloc's default).

#![allow(unsafe_code)] // the crate's only unsafe: the allocator's option API, below

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// Milliseconds mimalloc keeps freed memory before returning it to the OS.
pub const PURGE_DELAY_MS: i64 = 250;

/// `mi_option_purge_delay` in the option enum of mimalloc 3's `mimalloc.h` (the `libmimalloc-sys`
/// bindings do not name it).
const MI_OPTION_PURGE_DELAY: mi_option_t = 15;

/// The environment variable that sets the purge delay instead (mimalloc reads it at load).
const PURGE_DELAY_ENV: &str = "MIMALLOC_PURGE_DELAY";

/// Set the allocator's options; call it first in `main`. An option the environment sets
/// ([`PURGE_DELAY_ENV`]) keeps the environment's value.
pub fn configure() {
    if std::env::var_os(PURGE_DELAY_ENV).is_some() {
        return;
    }
    // SAFETY: mimalloc's option API takes any option index below its last and any value; it
    // stores the value, read when freed memory is next scheduled for purging.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS as _) }
}

/// The purge delay in effect (ms).
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reads the option (initialising it from the environment on first use).
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index names the purge delay: before `configure` it reads mimalloc 3's default of
    /// 1,000 ms (no other option of that enum defaults to 1,000), after it ours. No other test
    /// calls `configure`.
    #[test]
    fn configure_sets_the_purge_delay() {
        if std::env::var_os(PURGE_DELAY_ENV).is_some() {
            eprintln!("{PURGE_DELAY_ENV} is set: the allocator keeps it; not checked");
            return;
        }
        assert_eq!(purge_delay_ms(), 1_000, "mimalloc 3's default purge delay");
        configure();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
