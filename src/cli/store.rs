//! `firmwatch store check`: verify the store (every value decodes, the vendor index and the feed
//! states agree with the advisories, the notifier's trees decode). Exit 0 clean, 1 on problems.

use std::io::Write;

use anyhow::Result;

use firmwatch::store::{check, SledStore};

use super::{Exit, Global};

/// `firmwatch store …`
#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
    /// Read every value of every tree and cross-check them; print each problem with its key
    /// (exit 1), or a summary (exit 0).
    Check,
}

pub fn run(cmd: &StoreCmd, global: &Global, out: &mut impl Write) -> Result<Exit> {
    match cmd {
        StoreCmd::Check => {
            // Opening refuses a locked store or a newer schema, as every command does.
            let store = SledStore::open(&global.store)?;
            let report = check::check(&store)?;
            for p in &report.problems {
                writeln!(out, "problem: {p}")?;
            }
            let counts: Vec<String> = report
                .counts
                .iter()
                .map(|(t, n)| format!("{n} {t}"))
                .collect();
            writeln!(
                out,
                "store {}: {} ({})",
                global.store.display(),
                match report.problems.len() {
                    0 => "ok".to_string(),
                    n => format!("{n} problem(s)"),
                },
                counts.join(", ")
            )?;
            Ok(if report.problems.is_empty() {
                Exit::Ok
            } else {
                Exit::Error
            })
        }
    }
}
