//! Where and how file diagnostics are printed: every command prints the inventory's, the feed
//! definitions' and a plan's problems through [`emit`], so they look alike and follow one colour
//! policy.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};

use clap::ColorChoice;
use codespan_reporting::term::termcolor::{self, StandardStream};
use firmwatch::diag::{Code, Diagnostics};

/// Stderr, coloured per `--color`. `auto` colours only when stderr is a terminal, so diagnostics
/// redirected to a file or piped to a pager carry no escape codes even when stdout is a terminal;
/// on a terminal termcolor still honours `TERM=dumb` and `NO_COLOR`.
pub fn stderr(color: ColorChoice) -> StandardStream {
    let choice = match color {
        ColorChoice::Always => termcolor::ColorChoice::Always,
        ColorChoice::Never => termcolor::ColorChoice::Never,
        ColorChoice::Auto if io::stderr().is_terminal() => termcolor::ColorChoice::Auto,
        ColorChoice::Auto => termcolor::ColorChoice::Never,
    };
    StandardStream::stderr(choice)
}

/// Print every diagnostic to stderr, then one `error: {summary}` line saying what was not done.
pub fn emit<C: Code>(
    diags: &Diagnostics<C>,
    color: ColorChoice,
    summary: impl Display,
) -> io::Result<()> {
    let stderr = stderr(color);
    let mut lock = stderr.lock();
    diags.emit(&mut lock)?;
    writeln!(lock, "error: {summary}")
}
