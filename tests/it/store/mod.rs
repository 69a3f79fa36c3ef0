//! The store: `store check` on a real store, a full disk under it, and the storage engine kept to
//! one file.

mod check;
mod disk_full;
mod engine_confined;
