//! `sync`: every feed kind against loopback servers and local directories, hostile servers,
//! incremental rounds, kill -9, and the command's exit codes.

mod cli;
mod hostile;
mod html;
mod incremental;
mod kill;
mod local;
mod nvd;
mod provider;
mod served;
