//! placeholder
pub mod feed;
