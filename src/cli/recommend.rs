//! `firmwatch recommend`: the lowest known release that fixes every open finding of a system (or
//! one of its components) and introduces none known.

use std::io::Write;

use anyhow::Result;

use firmwatch::recommend::{recommend, Outcome, Recommendation};

use super::estate::{load_inventory, load_rated, EstateArgs, Rated};
use super::{Exit, Global};

/// Arguments of `firmwatch recommend`.
#[derive(Debug, clap::Args)]
pub struct RecommendArgs {
    /// The system: its OS (with the controllers running it), or with --component one part.
    #[arg(long, value_name = "SYSTEM")]
    pub system: String,
    /// A component of the system (drive set, shelf, BMC …) instead of the system's OS.
    #[arg(long, value_name = "COMPONENT")]
    pub component: Option<String>,
    /// Print the serialized recommendation as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub estate: EstateArgs,
}

/// The JSON output: the recommendation plus the data age of every feed it used.
#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    recommendation: &'a Recommendation,
    feeds: &'a [firmwatch::report::FeedFreshness],
    warnings: &'a [String],
}

pub fn run(args: &RecommendArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let Some(inv) = load_inventory(global)? else {
        return Ok(Exit::Error);
    };
    let Some(Rated {
        overrides,
        advisories,
        statuses,
        today,
        ..
    }) = load_rated(global, &args.estate, &inv)?
    else {
        return Ok(Exit::Error);
    };
    let warnings = firmwatch::report::feed_warnings(&statuses);
    let rec = recommend(
        &inv,
        &advisories,
        &overrides,
        &args.system,
        args.component.as_deref(),
        today,
    )?;
    // A recommendation from old or missing advisories may miss what newer ones say: exit 3.
    let stale = (args.estate.max_data_age.is_some() && statuses.iter().any(|f| f.stale))
        || firmwatch::report::missing_data(&statuses).is_some();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&Output {
                recommendation: &rec,
                feeds: &statuses,
                warnings: &warnings,
            })?
        )?;
    } else {
        for w in &warnings {
            writeln!(out, "warning: {}", firmwatch::report::plain(w))?;
        }
        // Advisory text is printed plain, line by line (no control characters reach the
        // terminal).
        for l in rec.render().lines() {
            writeln!(out, "{}", firmwatch::report::plain(l))?;
        }
    }
    Ok(match rec.outcome {
        // A recommendation from old advisories may miss what newer ones say.
        Outcome::Recommended | Outcome::Current if !stale => Exit::Ok,
        _ => Exit::Findings,
    })
}
