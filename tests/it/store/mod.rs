//! The store: `store check` on a real store, a full disk under it, `store migrate` between the
//! engines, and each engine kept to one file.

mod check;
mod disk_full;
mod engine_confined;
mod lock;
mod migrate;
