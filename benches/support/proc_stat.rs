//! The CPU time of a bench process, shared by the benches that report it (mounted with `#[path]`).

use std::time::Duration;

/// CPU time of this process (user + system, every thread, as `getrusage(RUSAGE_SELF)` counts it),
/// from `/proc/self/stat` (`utime` + `stime`, in clock ticks of 1/100 s): the crate forbids
/// `unsafe`, so the bench reads the kernel's same counters through procfs. On a shared machine
/// wall time includes waiting for a core; this does not.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}
