//! `firmwatch check-update`: check a planned firmware update before rollout.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

use firmwatch::blast::Finding;
use firmwatch::check::{
    check, parse_plan, resolve_target, CheckReport, PlanDiagnostic, RolloutPlan, Step, Verdict,
};

use super::estate::{load_inventory, load_rated, EstateArgs, Rated};
use super::{Exit, Global};

/// Output formats of `check-update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    Markdown,
}

/// Arguments of `firmwatch check-update`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["plan", "system"])))]
pub struct CheckArgs {
    /// A plan file (TOML, ordered `[[step]]`s).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["system", "component", "to"])]
    pub plan: Option<PathBuf>,
    /// Quick form: the system to update (repeatable; each becomes one step, in order).
    #[arg(long, value_name = "SYSTEM", requires = "to")]
    pub system: Vec<String>,
    /// Quick form: update this component of the (single) --system instead of the system's OS.
    #[arg(long, value_name = "COMPONENT")]
    pub component: Option<String>,
    /// Quick form: the target version (one for all, or one per --system).
    #[arg(long, value_name = "VERSION")]
    pub to: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CheckFormat,
    #[command(flatten)]
    pub estate: EstateArgs,
}

/// The JSON output: the serialized [`CheckReport`] plus the data age of every feed it used.
#[derive(serde::Serialize)]
struct CheckOutput<'a> {
    #[serde(flatten)]
    report: &'a CheckReport,
    feeds: &'a [firmwatch::report::FeedFreshness],
    warnings: &'a [String],
}

fn quick_plan(args: &CheckArgs, inv: &firmwatch::inventory::Inventory) -> Result<RolloutPlan> {
    if args.to.len() != 1 && args.to.len() != args.system.len() {
        bail!("give one --to for all systems, or one --to per --system");
    }
    if args.component.is_some() && args.system.len() != 1 {
        bail!("--component needs exactly one --system");
    }
    let mut steps = Vec::new();
    for (i, sys) in args.system.iter().enumerate() {
        let to = args.to.get(i).unwrap_or(&args.to[0]);
        let reference = match &args.component {
            Some(c) => format!("{sys}/{c}"),
            None => sys.clone(),
        };
        let target = resolve_target(inv, &reference, to)
            .map_err(|(code, msg)| anyhow::anyhow!("{msg} [{code}]"))?;
        steps.push(Step {
            name: format!("step {} ({reference})", i + 1),
            window: None,
            date: None,
            targets: vec![target],
        });
    }
    Ok(RolloutPlan { steps })
}

pub fn run(args: &CheckArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let Some(inv) = load_inventory(global)? else {
        return Ok(Exit::Error);
    };
    let plan = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            match parse_plan(&text, &inv) {
                Ok(p) => p,
                Err(diags) => {
                    emit_plan_diagnostics(path, &text, &diags, global)?;
                    return Ok(Exit::Error);
                }
            }
        }
        None => quick_plan(args, &inv)?,
    };
    let Some(Rated {
        overrides,
        advisories,
        statuses,
        now,
        today,
    }) = load_rated(global, &args.estate, &inv)?
    else {
        return Ok(Exit::Error);
    };
    let mut warnings = firmwatch::report::feed_warnings(&statuses);
    warnings.extend(firmwatch::discover::drift::warnings(
        &inv,
        now,
        args.estate.max_discovered_age,
    ));
    let mut report = check(&inv, &advisories, &overrides, &plan, today);
    firmwatch::check::caution_on_data(&mut report, &statuses, args.estate.max_data_age);
    match args.format {
        CheckFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&CheckOutput {
                report: &report,
                feeds: &statuses,
                warnings: &warnings,
            })?
        )?,
        CheckFormat::Table | CheckFormat::Markdown => {
            let md = args.format == CheckFormat::Markdown;
            for w in &warnings {
                writeln!(
                    out,
                    "{}warning: {}",
                    if md { "> " } else { "" },
                    firmwatch::report::plain(w)
                )?;
            }
            write!(out, "{}", render_text(&report, md))?
        }
    }
    Ok(match report.verdict {
        Verdict::Go => Exit::Ok,
        Verdict::Caution => Exit::Findings,
        Verdict::Block => Exit::Block,
    })
}

pub(super) fn emit_plan_diagnostics(
    path: &Path,
    text: &str,
    diags: &[PlanDiagnostic],
    global: &Global,
) -> Result<()> {
    let diags = firmwatch::check::plan_diagnostics(&path.display().to_string(), text, diags);
    let summary = format!("{diags} in {}; nothing was checked", path.display());
    super::diagnostics::emit(&diags, global.color, summary)?;
    Ok(())
}

fn line(f: &Finding) -> String {
    let plain = firmwatch::report::plain;
    format!(
        "{} {} ({} {}): {}",
        plain(&f.advisory.id),
        plain(&f.advisory.title),
        f.rating.severity,
        f.rating.score,
        plain(&firmwatch::report::top_reason(f))
    )
}

/// The verdict first, then hazards, then the per-system diff. `md` adds Markdown headings.
fn render_text(r: &CheckReport, md: bool) -> String {
    let h = |s: &str| {
        if md {
            format!("\n## {s}\n\n")
        } else {
            format!("\n{s}\n")
        }
    };
    let bullet = if md { "- " } else { "  - " };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}verdict: {}",
        if md { "# " } else { "" },
        r.verdict.to_string().to_uppercase()
    );
    for d in &r.decided_by {
        let _ = writeln!(o, "{bullet}{d}");
    }
    if !r.hazards.is_empty() {
        o.push_str(&h("rollout hazards"));
        for z in &r.hazards {
            let _ = writeln!(
                o,
                "{bullet}[{}] {} (step `{}`): {}",
                z.level, z.code, z.step, z.reason
            );
        }
    }
    for d in &r.systems {
        o.push_str(&h(&format!("system {}", d.system)));
        for m in &d.moves {
            let _ = writeln!(o, "{bullet}move: {m}");
        }
        for (label, list) in [
            ("fixed", &d.fixed),
            ("still open", &d.still_open),
            ("introduced", &d.introduced),
            ("unknown", &d.unknown),
        ] {
            if list.is_empty() {
                let _ = writeln!(o, "{bullet}{label}: none");
            }
            for f in list {
                let _ = writeln!(o, "{bullet}{label}: {}", line(f));
            }
        }
    }
    if !r.recommendations.is_empty() {
        o.push_str(&h("recommended releases"));
        for p in &r.recommendations {
            let _ = writeln!(o, "{bullet}{}", p.recommendation.line());
            if p.target_is != firmwatch::check::TargetIs::None {
                let _ = writeln!(o, "{bullet}{}", p.note);
            }
        }
    }
    o
}
