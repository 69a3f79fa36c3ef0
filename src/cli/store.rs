//! `firmwatch store check` and `store migrate`. `check`: verify the store (every value decodes, the vendor index and the feed
//! states agree with the advisories, the notifier's trees decode). Exit 0 clean, 1 on problems.
//! With `--repair`, what is derived from the records is rebuilt first ([`repair`]). `migrate --to`
//! moves the store to the other engine ([`migrate_engine`]).

use std::io::Write;

use anyhow::Result;

use firmwatch::store::{check, migrate_engine, repair, Engine};

use super::{Exit, Global};

/// `firmwatch store …`
#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
    /// Read every value of every tree and cross-check them; print each problem with its key
    /// (exit 1), or a summary (exit 0).
    Check {
        /// First rebuild what is derived from the records (the vendor index and its counts, the
        /// feed heads' counts, the listing indexes) and drop document records whose advisories
        /// are lost (`sync --force` reads those documents again); then check.
        #[arg(long)]
        repair: bool,
    },
    /// Move the store to another engine: every record is copied into a new store beside it, the
    /// copy is checked, and only then swapped in; the old store is kept at `<DIR>.<engine>-old`.
    Migrate {
        /// The engine to move to.
        #[arg(long, value_parser = ["redb", "sled"])]
        to: String,
    },
}

pub fn run(cmd: &StoreCmd, global: &Global, out: &mut impl Write) -> Result<Exit> {
    match cmd {
        StoreCmd::Migrate { to } => {
            let to: Engine = to.parse().map_err(anyhow::Error::msg)?;
            let m = migrate_engine(&global.store, to)?;
            let counts: Vec<String> = m.records.iter().map(|(t, n)| format!("{n} {t}")).collect();
            writeln!(
                out,
                "store {}: moved from {} to {} ({}); the {} store is kept at {}",
                global.store.display(),
                m.from,
                m.to,
                counts.join(", "),
                m.from,
                m.kept_at.display()
            )?;
            Ok(Exit::Ok)
        }
        StoreCmd::Check { repair } => {
            // Opening refuses a locked store or a newer schema, as every command does.
            let store = global.open_store()?;
            if *repair {
                report_repair(&repair::repair(&store)?, out)?;
            }
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
                "store {} ({}): {} ({})",
                global.store.display(),
                store.engine(),
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

fn report_repair(r: &repair::Repaired, out: &mut impl Write) -> Result<()> {
    if r.is_empty() {
        writeln!(out, "repair: nothing to rebuild")?;
        return Ok(());
    }
    writeln!(
        out,
        "repair: vendor index {} entries added, {} removed, {} count(s) rewritten; {} feed head(s), {} listing index(es) rewritten",
        r.index_added, r.index_removed, r.counts, r.feed_heads, r.listing_indexes
    )?;
    for (feed, location) in &r.documents_dropped {
        writeln!(
            out,
            "repair: dropped the record of {feed} document `{location}` (its advisories are lost); `firmwatch sync --force --feed {feed}` reads it again"
        )?;
    }
    Ok(())
}
