//! Feed collection: fetching advisory documents and turning them into [`crate::model::Advisory`] values.
pub mod formats;
