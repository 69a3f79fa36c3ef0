//! `firmwatch discover`: walk the Redfish / Swordfish service of every system with a
//! `[systems.discover]` source, write each one's facts to `<inventory>/discovered/<system>.json`,
//! and print a line per endpoint (table, or JSON with `--json`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Result};
use chrono::Utc;
use serde::Serialize;

use firmwatch::discover::snapshot::{self, Snapshot};
use firmwatch::discover::{self, Credentials, Endpoint, Limits, RunOptions, Target};
use firmwatch::inventory::{DiscoverSource, SystemId};

use super::{Exit, Global};

/// Arguments of `firmwatch discover` (its help is the `Command::Discover` doc).
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Only this system (repeatable); default: every system with a `discover` source.
    #[arg(long = "system", value_name = "ID")]
    pub only: Vec<SystemId>,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Endpoints walked at the same time.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub jobs: usize,
    /// Requests in flight in the whole run.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub requests: usize,
    /// Requests in flight to one endpoint.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub per_endpoint: usize,
    /// Time limit of one request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Time limit of one endpoint's whole walk, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub deadline: u64,
    /// Resources read from one endpoint before it fails.
    #[arg(long, default_value_t = 5_000, value_name = "N")]
    pub max_resources: usize,
    /// Pages of one collection before it fails.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_pages: usize,
}

/// The JSON of a run (`--json`).
#[derive(Debug, Serialize)]
struct Report {
    schema_version: u32,
    endpoints: Vec<EndpointReport>,
}

#[derive(Debug, Serialize)]
struct EndpointReport {
    system: String,
    endpoint: String,
    /// `ok` or `failed`.
    status: &'static str,
    /// The snapshot file written (ok) or kept and marked stale (failed), if any.
    file: Option<String>,
    parts: usize,
    raid_groups: usize,
    requests: usize,
    error: Option<String>,
    notes: Vec<String>,
}

/// The inventory directory: `--inventory` itself, or the directory of an inventory file.
fn inventory_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }
}

/// The credentials named by `source`, read from the environment; an error names the variable,
/// never its value.
fn credentials(source: &DiscoverSource) -> Result<Option<Credentials>, String> {
    let (Some(user_env), Some(password_env)) = (&source.user_env, &source.password_env) else {
        return Ok(None);
    };
    let read = |name: &str| match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("environment variable {name} is not set")),
    };
    Ok(Some(Credentials::new(read(user_env)?, read(password_env)?)))
}

pub fn run(args: &DiscoverArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let Some(inv) = super::estate::load_inventory(global)? else {
        return Ok(Exit::Error);
    };
    for id in &args.only {
        match inv.systems.get(id) {
            None => bail!("no system `{id}` in {}", global.inventory.display()),
            Some(s) if s.discover.is_none() => {
                bail!("system `{id}` has no [systems.discover] source")
            }
            Some(_) => {}
        }
    }
    let targets: Vec<Target> = inv
        .systems
        .values()
        .filter(|s| args.only.is_empty() || args.only.contains(&s.id))
        .filter_map(|s| {
            let source = s.discover.as_ref()?;
            let creds = credentials(source);
            Some(Target {
                system: s.id.to_string(),
                endpoint: Endpoint {
                    root: source.redfish.clone(),
                    auth: source.auth,
                    trust: source.trust.clone(),
                    credentials: creds.clone().ok().flatten(),
                },
                unusable: creds.err(),
            })
        })
        .collect();
    if targets.is_empty() {
        bail!(
            "no system in {} has a [systems.discover] source",
            global.inventory.display()
        );
    }
    let opts = RunOptions {
        limits: Limits {
            request_timeout: Duration::from_secs(args.timeout.max(1)),
            endpoint_deadline: Duration::from_secs(args.deadline.max(1)),
            max_resources: args.max_resources.max(1),
            max_pages: args.max_pages.max(1),
            per_endpoint: args.per_endpoint.max(1),
            ..Limits::default()
        },
        jobs: args.jobs.max(1),
        requests: args.requests.max(1),
    };
    let rt = super::runtime()?;
    let outcomes = rt.block_on(discover::discover_all(targets, &opts));
    let dir = inventory_dir(&global.inventory);
    let mut report = Report {
        schema_version: 1,
        endpoints: Vec::new(),
    };
    for o in outcomes {
        let path = Snapshot::path(&dir, &o.system);
        let shown = path.display().to_string();
        let row = match o.result {
            Ok(crawl) => match crawl.snapshot.write(&path) {
                Ok(()) => EndpointReport {
                    system: o.system,
                    endpoint: o.endpoint,
                    status: "ok",
                    file: Some(shown),
                    parts: crawl.snapshot.components.len(),
                    raid_groups: crawl.snapshot.raid_groups.len(),
                    requests: crawl.requests,
                    error: None,
                    notes: crawl.notes,
                },
                Err(e) => EndpointReport {
                    system: o.system,
                    endpoint: o.endpoint,
                    status: "failed",
                    file: None,
                    parts: 0,
                    raid_groups: 0,
                    requests: crawl.requests,
                    error: Some(firmwatch::error::chain(&e)),
                    notes: crawl.notes,
                },
            },
            Err(error) => {
                let (file, error) = match snapshot::mark_stale(&path, Utc::now(), &error) {
                    Ok(true) => (Some(shown), error),
                    Ok(false) => (None, error),
                    Err(e) => (
                        None,
                        format!(
                            "{error}; the previous file could not be marked stale: {}",
                            firmwatch::error::chain(&e)
                        ),
                    ),
                };
                EndpointReport {
                    system: o.system,
                    endpoint: o.endpoint,
                    status: "failed",
                    file,
                    parts: 0,
                    raid_groups: 0,
                    requests: 0,
                    error: Some(error),
                    notes: Vec::new(),
                }
            }
        };
        report.endpoints.push(row);
    }
    let failed = report.endpoints.iter().any(|e| e.status != "ok");
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_table(&report, out)?;
    }
    Ok(if failed { Exit::PartialSync } else { Exit::Ok })
}

fn write_table(report: &Report, out: &mut impl Write) -> Result<()> {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["system", "endpoint", "parts", "raid groups", "status"]);
    let mut below = Vec::new();
    for e in &report.endpoints {
        let status = match (e.status, &e.file) {
            ("ok", _) => "ok".to_string(),
            (_, Some(_)) => "FAILED, previous file kept (stale)".to_string(),
            (_, None) => "FAILED, no file".to_string(),
        };
        // A failed walk found nothing this time: its counts are not zeros.
        let count = |n: usize| {
            if e.status == "ok" {
                n.to_string()
            } else {
                "-".to_string()
            }
        };
        t.add_row(vec![
            e.system.clone(),
            e.endpoint.clone(),
            count(e.parts),
            count(e.raid_groups),
            status,
        ]);
        if let Some(err) = &e.error {
            below.push(format!("{}: error: {err}", e.system));
        }
        for n in &e.notes {
            below.push(format!("{}: note: {n}", e.system));
        }
    }
    writeln!(out, "{t}")?;
    for line in below {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
