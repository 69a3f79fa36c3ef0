//! The `firmwatch` command. The only place that prints or chooses an exit code.

mod cli;

use std::process::ExitCode;

/// The command (and every benchmark binary, which sets the same allocator) allocates through mimalloc: an
/// estate is millions of small values (ids, parts, reason lines) built by two rating threads and
/// freed together, where glibc's per-thread arenas keep freed memory resident and fragment. Built
/// with `no_thp`: mimalloc does not ask for transparent huge pages, so on a host whose THP
/// setting is `madvise` (the common default) a run does not stall compacting memory into 2 MiB
/// pages when few are free (over a second of a 1,000,000-component exposure run) and peaks ~50 MiB
/// lower. How soon it returns freed memory is set by `firmwatch::allocator::configure`. See
/// `BENCHMARKS.md` for the measured differences.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    firmwatch::allocator::configure();
    cli::main()
}
