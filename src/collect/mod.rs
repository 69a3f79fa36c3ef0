//! placeholder
pub mod feed;
pub mod formats;
pub mod http;
