//! Notifications: the pure plan, and `notify` / `run` end to end against loopback peers.

mod delivery;
mod hostile;
mod kill;
mod plan;
mod run;
mod triage;

use crate::support::fixture::{Fixture, Inventory, Native};
use crate::support::http::Server;

/// The date the end-to-end notify tests run on.
const TODAY: &str = "2026-11-22";

/// `n` teams, each `team-<i>` owning one array `arr-<i>` and reached by a webhook at `/team-<i>`
/// of `hook`, and a feed `feed` whose one advisory `advisory` affects every array: one digest per
/// team.
fn teams(n: usize, hook: &Server, feed: &str, advisory: &str) -> Fixture {
    let fx = Fixture::new();
    fx.native_feed(feed, &[Native::takeover(advisory)]);
    let inventory = (0..n).fold(Inventory::new(), |inv, i| {
        inv.owner(
            &format!("team-{i}"),
            &format!("Team {i}"),
            &format!(
                "webhook = {{ url = \"{}\" }}",
                hook.url(&format!("/team-{i}"))
            ),
        )
        .aff(
            &format!("arr-{i}"),
            &format!("Array {i}"),
            &format!("team-{i}"),
        )
    });
    fx.inventory_file("estate.toml", inventory);
    fx
}
