//! Csaf parser (in progress on this branch).

use super::{DocContext, DocFormat, FormatError};
use crate::model::{Advisory, Source};

pub(super) fn parse(
    _bytes: &[u8],
    ctx: &DocContext<'_>,
    _source: Source,
) -> Result<Advisory, FormatError> {
    Err(FormatError::Unsupported {
        location: ctx.location.to_string(),
        format: DocFormat::Csaf,
        why: "parser not written yet".into(),
    })
}
