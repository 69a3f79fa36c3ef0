//! The store: `store check` on a real store, and the storage engine kept to one file.

mod check;
mod engine_confined;
