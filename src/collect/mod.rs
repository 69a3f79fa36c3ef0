//! placeholder
pub mod feed;
pub mod http;
