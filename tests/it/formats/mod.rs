//! The document parsers against the real corpus and the bundled feeds.

mod corpus;
mod csaf;
mod cve5;
mod native;
mod nvd;
mod osv;
