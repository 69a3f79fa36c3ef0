//! `firmwatch exposure`: the binary end to end, and the report renderers.

mod browser;
mod cli;
mod pictures;
mod report;
mod vex;
