//! Notifications: the pure plan, and `notify` / `run` end to end against loopback peers.

mod delivery;
mod hostile;
mod kill;
mod plan;
mod run;
