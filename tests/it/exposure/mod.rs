//! `firmwatch exposure`: the binary end to end, and the report renderers.

mod cli;
mod pictures;
mod report;
mod vex;
