//! `firmwatch exposure`: what in the inventory is hit by a known bug, how badly here, and why.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context as _, Result};
use chrono::{Timelike, Utc};
use clap::ValueEnum;

use firmwatch::blast::Severity;
use firmwatch::pipeline;
use firmwatch::report::{self, Report};

use super::estate::{load_feeds, load_overrides, sync_due, EstateArgs};
use super::{Exit, Global};

/// Output formats of `exposure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExposureFormat {
    Table,
    Json,
    Csv,
    Markdown,
    Html,
    /// A CSAF 2.0 VEX document (`csaf_vex`) of the findings and decisions.
    CsafVex,
    /// An OpenVEX 0.2.0 document of the findings and decisions.
    Openvex,
    /// A picture (SVG): with `--explain ADVISORY@system`, that finding's blast radius; with
    /// `--timeline`, the dated triggers ahead.
    Svg,
}

/// Arguments of `firmwatch exposure`.
#[derive(Debug, clap::Args)]
pub struct ExposureArgs {
    /// Only findings of systems owned by, or services owned by, this owner (repeatable).
    #[arg(long, value_name = "OWNER")]
    pub owner: Vec<String>,
    /// Only findings on this system (repeatable).
    #[arg(long, value_name = "SYSTEM")]
    pub system: Vec<String>,
    /// Hide findings below this severity (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<Severity>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ExposureFormat,
    /// Print the full reasoning of one finding (`ADVISORY@system`, or an advisory id); with
    /// `--format svg`, draw its blast radius (one finding: `ADVISORY@system`).
    #[arg(long, value_name = "ID", conflicts_with = "timeline")]
    pub explain: Option<String>,
    /// The time bombs ahead: findings rated with a date (power-on hours, uptime clocks), by RAID
    /// group, redundancy group or system (`--format table`, `json` or `svg`).
    #[arg(long)]
    pub timeline: bool,
    /// `--timeline`: how many months ahead of today (1 to 120).
    #[arg(long, value_name = "N", default_value_t = report::timeline::DEFAULT_MONTHS, requires = "timeline", value_parser = clap::value_parser!(u32).range(1..=i64::from(report::timeline::MAX_MONTHS)))]
    pub months: u32,
    /// `--timeline`: mark the steps of this rollout plan (the `check-update --plan` file).
    #[arg(long, value_name = "FILE", requires = "timeline")]
    pub plan: Option<std::path::PathBuf>,
    /// Table only: show the N highest-scored findings, then how many more there are (0: all).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub rows: usize,
    /// Exit with code 3 when a shown finding reaches this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// VEX formats: who issues the statements (CSAF `publisher.name`, OpenVEX `author`).
    #[arg(long, value_name = "NAME", env = "FIRMWATCH_VEX_AUTHOR", hide_env_values = true, default_value = report::vex::DEFAULT_AUTHOR)]
    pub vex_author: String,
    /// csaf-vex: the publisher's namespace, a URI under the issuer's control.
    #[arg(long, value_name = "URI", env = "FIRMWATCH_VEX_NAMESPACE", hide_env_values = true, default_value = report::vex::DEFAULT_NAMESPACE)]
    pub vex_namespace: String,
    #[command(flatten)]
    pub estate: EstateArgs,
}

pub fn run(args: &ExposureArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    // The inventory files are read first; they are checked after the due feeds are synced, while
    // their vendors' advisories are read (`pipeline::load_estate`).
    let parsed = firmwatch::inventory::parse_path(&global.inventory)?;
    let Some(feeds) = load_feeds(global)? else {
        return Ok(Exit::Error);
    };
    let overrides = load_overrides(args.estate.annotations.as_deref(), &global.feeds)?;
    let mut warnings = Vec::new();
    if !args.estate.no_sync {
        // Held only while worked on, so a slow feed keeps no other command out.
        let syncing = global.on_demand_store();
        warnings = super::runtime()?.block_on(sync_due(&syncing, &feeds));
    }
    let store = global.open_store()?;
    let (inv, advisories) = pipeline::load_estate(parsed, &store);
    let Some(inv) = super::inventory::report_invalid(inv, global.color)? else {
        return Ok(Exit::Error);
    };
    let now = Utc::now();
    let today = args.estate.today.unwrap_or_else(|| now.date_naive());
    let advisories = pipeline::prepare(advisories?, &overrides);
    let statuses = pipeline::feed_statuses(&store, &feeds, now, args.estate.max_data_age)?;
    let mut report = pipeline::exposure_report(&inv, &advisories, &overrides, statuses, now, today);
    report.warnings.splice(0..0, warnings);
    // After the feeds' warnings: the findings of these systems rest on facts of that age.
    report.warnings.extend(firmwatch::discover::drift::warnings(
        &inv,
        now,
        args.estate.max_discovered_age,
    ));

    if !args.system.is_empty() {
        for s in &args.system {
            if !inv.systems.keys().any(|k| k.as_str() == s) {
                bail!("no system `{s}` in the inventory");
            }
        }
        report.retain(|f| args.system.iter().any(|s| s == f.system.as_str()));
    }
    if !args.owner.is_empty() {
        for o in &args.owner {
            if !inv.owners.keys().any(|k| k.as_str() == o) {
                bail!("no owner `{o}` in the inventory");
            }
        }
        // One rule with the notifications: an owner sees the findings on their systems in full,
        // and those on systems their services depend on cut to what is theirs.
        let owners: Vec<&str> = args.owner.iter().map(String::as_str).collect();
        let audience = firmwatch::notify::plan::Audience::new(&inv);
        report.retain_map(|f| audience.view_for(f, &owners));
    }
    if let Some(min) = args.min_severity {
        report.retain(|f| f.rating.severity >= min);
    }

    if args.timeline {
        return timeline(args, global, &report, &inv, today, out);
    }
    if args.format == ExposureFormat::Svg && args.explain.is_none() {
        bail!(
            "`--format svg` draws one finding (`--explain ADVISORY@system`) or the time bombs \
             ahead (`--timeline`)"
        );
    }

    if let Some(id) = &args.explain {
        let found: Vec<_> = report
            .findings
            .iter()
            .chain(report.triaged.iter())
            .filter(|f| &f.id == id || &*f.advisory.id == id.as_str())
            .collect();
        if found.is_empty() {
            bail!("no finding `{id}` (use ADVISORY@system as shown by `exposure`)");
        }
        if args.format == ExposureFormat::Svg {
            let [f] = found[..] else {
                bail!(
                    "`{id}` is {} findings and a picture is of one: use one of {}",
                    found.len(),
                    found
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            // A service owner's view is cut to their services; the picture draws the system's
            // topology, backups and loads, which are for the system's owner.
            if !args.owner.is_empty() && !args.owner.iter().any(|o| o == f.owner.as_str()) {
                bail!(
                    "the picture of {} shows the topology of {}, which is for its owner ({}); \
                     `--explain` without `--format svg` shows what concerns you",
                    f.id,
                    f.system,
                    f.owner
                );
            }
            let advisory = advisories
                .iter()
                .find(|a| *a.id.to_string() == *f.advisory.id);
            out.write_all(report::svg::blast_radius(f, &inv, advisory).as_bytes())?;
            return Ok(Exit::Ok);
        }
        for f in found {
            writeln!(out, "{}", report::render_explain(f))?;
        }
        return Ok(Exit::Ok);
    }

    if matches!(
        args.format,
        ExposureFormat::CsafVex | ExposureFormat::Openvex
    ) {
        // Deterministic given --today: the issue time is that day at 00:00 UTC.
        let issued = match args.estate.today {
            Some(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            None => now.with_nanosecond(0).unwrap_or(now),
        };
        let scope = vex_scope(args, &inv);
        let issuer = report::vex::Issuer {
            author: args.vex_author.clone(),
            namespace: args.vex_namespace.clone(),
            issued,
        };
        for w in &report.warnings {
            tracing::warn!("{w}");
        }
        let vex = report::vex::build(&report, &inv, &advisories, &scope, issuer);
        let mut out = std::io::BufWriter::new(&mut *out);
        if args.format == ExposureFormat::CsafVex {
            report::vex::write_csaf(&vex, &mut out)?;
        } else {
            report::vex::write_openvex(&vex, &mut out)?;
        }
        out.flush()?;
        return Ok(exit_for(&report, args));
    }

    if args.format == ExposureFormat::Csv {
        // CSV has no place for them: stale or failing feeds go to stderr.
        for w in &report.warnings {
            tracing::warn!("{w}");
        }
    }
    render(
        &report,
        args.format,
        (args.rows > 0).then_some(args.rows),
        out,
    )?;
    let exit = exit_for(&report, args);
    // The process ends next: the estate, its advisories and the findings (a large estate's
    // millions of small allocations, each freed one by one for nothing) are left to the exit.
    std::mem::forget((report, inv, advisories));
    Ok(exit)
}

fn render(
    report: &Report,
    format: ExposureFormat,
    rows: Option<usize>,
    out: &mut impl Write,
) -> Result<()> {
    match format {
        ExposureFormat::Table => {
            let width = if std::io::stdout().is_terminal() {
                terminal_width().unwrap_or(100)
            } else {
                100
            };
            report::write_table_rows(report, width, rows, &mut *out)?;
        }
        ExposureFormat::Json => report::write_json(report, &mut *out)?,
        ExposureFormat::Csv => report::write_csv(report, &mut *out)?,
        ExposureFormat::Markdown => report::write_markdown(report, &mut *out)?,
        ExposureFormat::Html => report::write_html(report, &mut *out)?,
        // Written by `run`, which has the inventory and advisories they need.
        ExposureFormat::CsafVex | ExposureFormat::Openvex | ExposureFormat::Svg => {}
    }
    Ok(())
}

/// The systems whose vendor statements (fixed / not affected) a VEX covers: `--system`, the
/// systems the `--owner`s own, else all; none under `--min-severity` (they have no severity).
fn vex_scope(args: &ExposureArgs, inv: &firmwatch::inventory::Inventory) -> report::vex::Scope {
    let mut systems: Option<std::collections::BTreeSet<String>> = None;
    if !args.system.is_empty() {
        systems = Some(args.system.iter().cloned().collect());
    }
    if !args.owner.is_empty() {
        let owned = inv
            .systems
            .values()
            .filter(|s| args.owner.iter().any(|o| o == s.owner.as_str()))
            .map(|s| s.id.to_string());
        systems = Some(match systems {
            Some(sel) => owned.filter(|s| sel.contains(s)).collect(),
            None => owned.collect(),
        });
    }
    report::vex::Scope {
        systems,
        vendor_statements: args.min_severity.is_none(),
    }
}

/// `--timeline`: the findings rated with a date, as text, JSON or a picture, with the steps of
/// `--plan` marked.
fn timeline(
    args: &ExposureArgs,
    global: &Global,
    report: &Report,
    inv: &firmwatch::inventory::Inventory,
    today: chrono::NaiveDate,
    out: &mut impl Write,
) -> Result<Exit> {
    let plan = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            match firmwatch::check::parse_plan(&text, inv) {
                Ok(p) => Some(p),
                Err(diags) => {
                    super::check_update::emit_plan_diagnostics(path, &text, &diags, global)?;
                    return Ok(Exit::Error);
                }
            }
        }
        None => None,
    };
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    let t = report::timeline::build(&report.findings, inv, today, args.months, plan.as_ref());
    match args.format {
        ExposureFormat::Svg => out.write_all(report::svg::timeline_svg(&t).as_bytes())?,
        ExposureFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &t)?;
            out.write_all(b"\n")?;
        }
        ExposureFormat::Table => report::timeline::write_text(&t, out)?,
        other => bail!(
            "`--timeline` is drawn as `svg`, listed as `table` or `json`, not as `{}`",
            other
                .to_possible_value()
                .map_or(String::new(), |v| v.get_name().to_string())
        ),
    }
    Ok(exit_for(report, args))
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok()?.parse().ok()
}

fn exit_for(report: &Report, args: &ExposureArgs) -> Exit {
    let Some(threshold) = args.fail_on else {
        return Exit::Ok;
    };
    let too_old = args.estate.max_data_age.is_some() && report.feeds.iter().any(|f| f.stale);
    if report.max_severity().is_some_and(|s| s >= threshold) || too_old {
        return Exit::Findings;
    }
    // A gate does not pass on no data.
    if let Some(why) = report::missing_data(&report.feeds) {
        tracing::error!("--fail-on cannot pass: {why}");
        return Exit::Findings;
    }
    Exit::Ok
}
