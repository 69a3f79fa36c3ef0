//! The `firmwatch` command. The only place that prints or chooses an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
