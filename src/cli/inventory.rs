//! `firmwatch inventory`: validate the inventory files and look at what they describe.
//!
//! Diagnostics go to stderr like a compiler's (rich `file:line:col` text, coloured per `--color`);
//! summaries and tables are data and go to stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{ColorChoice, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use firmwatch::collect::feed::parse_schedule;
use firmwatch::discover::drift::{age_text, duration_text, DriftReport};
use firmwatch::discover::merge::source_name;
use firmwatch::discover::snapshot::Snapshot;
use firmwatch::discover::{import, snapshot};
use firmwatch::inventory::{load_path, Component, Inventory, LoadError, System, SystemId};

use super::{Exit, Global};

#[derive(Debug, Subcommand)]
pub enum InventoryCmd {
    /// Load and validate the inventory: print every problem (exit 1), or a one-line summary (exit 0).
    Check {
        /// Inventory file or directory; defaults to `--inventory`.
        path: Option<PathBuf>,
    },
    /// A table of all systems, or what SYSTEM contains and what depends on it.
    Show {
        /// A system id.
        system: Option<String>,
    },
    /// Import firmware facts from a CycloneDX BOM or the documented CSV into
    /// `<inventory>/discovered/` (nothing is written when anything is wrong).
    Import {
        /// A CycloneDX 1.5/1.6 JSON BOM describing one system (give it with --system).
        #[arg(long, value_name = "FILE", conflicts_with = "csv", requires = "system")]
        cyclonedx: Option<PathBuf>,
        /// A CSV file, one row per component; its `system` column says whose.
        #[arg(long, value_name = "FILE", required_unless_present = "cyclonedx")]
        csv: Option<PathBuf>,
        /// The hand-written system the CycloneDX BOM describes.
        #[arg(long, value_name = "SYSTEM", conflicts_with = "csv")]
        system: Option<String>,
        /// When the facts were read (RFC 3339). Default: the BOM's `metadata.timestamp`, else the
        /// file's modification time.
        #[arg(long, value_name = "TIME")]
        read_at: Option<DateTime<Utc>>,
    },
    /// Where discovery and the hand-written files differ, and how old each system's discovered
    /// data is (exit 3 when anything differs or is stale or too old).
    Drift {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Discovered data older than this is reported as too old (`36h`, `7d`, `2w`).
        #[arg(long, value_name = "DURATION", value_parser = parse_schedule, default_value = "7d")]
        max_age: Duration,
    },
}

pub fn run(cmd: &InventoryCmd, global: &Global, out: &mut impl Write) -> Result<Exit> {
    match cmd {
        InventoryCmd::Check { path } => {
            let path = path.as_deref().unwrap_or(&global.inventory);
            let Some(inv) = load_or_report(path, global.color)? else {
                return Ok(Exit::Error);
            };
            writeln!(
                out,
                "{}: valid: {} systems, {} components ({} entries), {} services, {} owners",
                path.display(),
                inv.systems.len(),
                inv.component_count(),
                inv.systems
                    .values()
                    .map(|s| s.components.len())
                    .sum::<usize>(),
                inv.services.len(),
                inv.owners.len()
            )?;
            if !inv.discovered.is_empty() {
                let drift: usize = inv.discovered.values().map(|d| d.drift.len()).sum();
                writeln!(
                    out,
                    "discovered data merged for {} system(s), {drift} difference(s) from the files (`firmwatch inventory drift`)",
                    inv.discovered.len()
                )?;
            }
            Ok(Exit::Ok)
        }
        InventoryCmd::Import {
            cyclonedx,
            csv,
            system,
            read_at,
        } => run_import(
            global,
            cyclonedx.as_deref(),
            csv.as_deref(),
            system.as_deref(),
            *read_at,
            out,
        ),
        InventoryCmd::Drift { json, max_age } => {
            let Some(inv) = load_or_report(&global.inventory, global.color)? else {
                return Ok(Exit::Error);
            };
            let report = DriftReport::new(&inv, Utc::now(), *max_age);
            if *json {
                serde_json::to_writer_pretty(&mut *out, &report)?;
                writeln!(out)?;
            } else {
                write_drift(&report, out)?;
            }
            Ok(if report.clean() {
                Exit::Ok
            } else {
                Exit::Findings
            })
        }
        InventoryCmd::Show { system } => {
            let Some(inv) = load_or_report(&global.inventory, global.color)? else {
                return Ok(Exit::Error);
            };
            match system {
                None => show_all(&inv, out)?,
                Some(id) => {
                    let Some(sys) = id
                        .parse::<SystemId>()
                        .ok()
                        .and_then(|id| inv.systems.get(&id))
                    else {
                        bail!("no system `{id}` in the inventory");
                    };
                    show_system(&inv, sys, out)?;
                }
            }
            Ok(Exit::Ok)
        }
    }
}

/// `inventory import`: parse the file whole, check the inventory with the new snapshots merged,
/// and only then write them.
fn run_import(
    global: &Global,
    cyclonedx: Option<&Path>,
    csv: Option<&Path>,
    system: Option<&str>,
    read_at: Option<DateTime<Utc>>,
    out: &mut impl Write,
) -> Result<Exit> {
    let Some(file) = cyclonedx.or(csv) else {
        bail!("give --cyclonedx FILE --system ID or --csv FILE");
    };
    let inventory = &global.inventory;
    if !inventory.is_dir() {
        bail!(
            "`{}` is not an inventory directory: imported facts go to its `{}/` directory",
            inventory.display(),
            snapshot::DIR
        );
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let read_at = match read_at {
        Some(t) => t,
        None => std::fs::metadata(file)
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .with_context(|| format!("cannot read the modification time of {}", file.display()))?,
    };
    let name = file.display().to_string();
    let parsed = match (cyclonedx, system) {
        (Some(_), Some(system)) => {
            import::cyclonedx(&name, &text, system, read_at).map(|s| vec![s])
        }
        _ => import::csv(&name, &text, read_at),
    };
    let snaps = match parsed {
        Ok(snaps) => snaps,
        Err(e) => {
            // Like a compiler: every problem on its own line, then the one `error:` of main.
            for line in e.lines() {
                eprintln!("error: {line}");
            }
            bail!(e);
        }
    };
    // The inventory with the new snapshots merged must load: an import that would break it (a
    // system no file defines, a firmware that does not parse) writes nothing.
    let mut check = firmwatch::inventory::parse_path(inventory)?;
    for snap in &snaps {
        let path = Snapshot::path(inventory, &snap.system);
        check = check.with_snapshot(&path.display().to_string(), snap.clone());
    }
    let Some(inv) = report_invalid(check.check(), global.color)? else {
        eprintln!("error: nothing was imported from {name}");
        return Ok(Exit::Error);
    };
    for snap in &snaps {
        let path = Snapshot::path(inventory, &snap.system);
        snap.write(&path)?;
        let id: Option<SystemId> = snap.system.parse().ok();
        let drift = id
            .and_then(|id| inv.discovered.get(&id))
            .map_or(0, |d| d.drift.len());
        writeln!(
            out,
            "imported {} part(s) of system {} from {name} into {} ({drift} difference(s) from the files: `firmwatch inventory drift`)",
            snap.components.len(),
            snap.system,
            path.display()
        )?;
    }
    Ok(Exit::Ok)
}

/// The drift report for people: one table of the snapshots, one of the differences.
fn write_drift(r: &DriftReport, out: &mut impl Write) -> Result<()> {
    if r.systems.is_empty() {
        writeln!(
            out,
            "no discovered data (`{}/*.json`) in the inventory",
            snapshot::DIR
        )?;
        return Ok(());
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(["system", "source", "endpoint", "read at", "age", "state"]);
    for s in &r.systems {
        let mut state = Vec::new();
        if s.too_old {
            state.push(format!(
                "too old (over {})",
                age_text(r.max_age_hours as i64)
            ));
        }
        if let Some(st) = &s.stale {
            state.push(format!(
                "stale since {}: {}",
                st.since.format("%Y-%m-%d %H:%M"),
                st.error
            ));
        }
        if state.is_empty() {
            state.push("fresh".into());
        }
        t.add_row([
            s.system.clone(),
            source_name(s.source).to_string(),
            s.endpoint.clone(),
            s.read_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            age_text(s.age_hours),
            state.join("; "),
        ]);
    }
    writeln!(out, "{t}")?;
    if r.drift > 0 {
        let mut t = Table::new();
        // The detail is a sentence: wrapped to a 120-column page, not one line per difference.
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_width(120);
        t.load_preset(UTF8_FULL_CONDENSED).set_header([
            "system",
            "component",
            "drift",
            "written",
            "discovered",
            "detail",
        ]);
        for s in &r.systems {
            for d in &s.drift {
                t.add_row([
                    s.system.clone(),
                    d.component.clone().unwrap_or_else(|| {
                        if d.parts.is_empty() {
                            "(system)".into()
                        } else {
                            d.parts.join(", ")
                        }
                    }),
                    d.code.to_string(),
                    d.written.clone().unwrap_or_default(),
                    d.discovered.clone().unwrap_or_default(),
                    d.message.clone(),
                ]);
            }
        }
        writeln!(out, "{t}")?;
    }
    writeln!(
        out,
        "{} system(s) with discovered data: {} difference(s), {} stale, {} older than {}",
        r.systems.len(),
        r.drift,
        r.stale,
        r.too_old,
        duration_text(Duration::from_secs(r.max_age_hours * 3600))
    )?;
    Ok(())
}

/// Load; on invalid files print the diagnostics to stderr and return `None`.
pub fn load_or_report(path: &Path, color: ColorChoice) -> Result<Option<Inventory>> {
    report_invalid(load_path(path), color)
}

/// A load's result: the inventory, or `None` after printing the diagnostics to stderr.
pub fn report_invalid(
    loaded: Result<Inventory, LoadError>,
    color: ColorChoice,
) -> Result<Option<Inventory>> {
    match loaded {
        Ok(inv) => Ok(Some(inv)),
        Err(err) => match &err {
            LoadError::Invalid(diags) => {
                super::diagnostics::emit(diags, color, format!("{err}; nothing was loaded"))?;
                Ok(None)
            }
            _ => Err(err.into()),
        },
    }
}

fn show_all(inv: &Inventory, out: &mut impl Write) -> Result<()> {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header([
        "system",
        "vendor / model",
        "firmware",
        "site",
        "owner",
        "components",
        "services",
        "users",
        "tenants",
    ]);
    for s in inv.systems.values() {
        let services: Vec<_> = inv.services_of(&s.id).collect();
        let users: u64 = services.iter().map(|v| v.users).sum();
        t.add_row([
            s.id.to_string(),
            format!("{} {}", s.vendor, s.model),
            format!("{} ({})", s.firmware.raw(), s.firmware.version.scheme()),
            s.site.as_ref().map(|x| x.to_string()).unwrap_or_default(),
            s.owner.to_string(),
            component_count(s).to_string(),
            services.len().to_string(),
            users.to_string(),
            tenants_of(inv, s).len().to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

fn component_count(s: &System) -> u64 {
    s.components.iter().map(|c| u64::from(c.count)).sum()
}

/// Every tenant that shares the system: its own list plus those of services on it.
fn tenants_of<'a>(inv: &'a Inventory, s: &'a System) -> std::collections::BTreeSet<&'a str> {
    s.tenants
        .iter()
        .map(String::as_str)
        .chain(
            inv.services_of(&s.id)
                .flat_map(|v| v.tenants.iter().map(String::as_str)),
        )
        .collect()
}

fn hours(c: &Component) -> String {
    match (&c.power_on_hours, &c.in_service) {
        (Some(h), _) => format!("{} h on {}", h.hours, h.read_on),
        (None, Some(d)) => format!("in service since {d}"),
        (None, None) => String::new(),
    }
}

fn show_system(inv: &Inventory, s: &System, out: &mut impl Write) -> Result<()> {
    writeln!(out, "{} — {}", s.id, s.name)?;
    writeln!(
        out,
        "  {} {}, firmware {} ({}), site {}, owner {}",
        s.vendor,
        s.model,
        s.firmware.raw(),
        s.firmware.version.scheme(),
        s.site.as_ref().map_or("-".to_string(), |x| x.to_string()),
        s.owner
    )?;
    if !s.components.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header([
            "component",
            "kind",
            "vendor / model",
            "firmware",
            "count",
            "hours",
        ]);
        for c in &s.components {
            t.add_row([
                c.id.to_string(),
                c.kind.to_string(),
                format!("{} {}", c.vendor, c.model),
                format!("{} ({})", c.firmware.raw(), c.firmware.version.scheme()),
                c.count.to_string(),
                hours(c),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    let settings: Vec<String> = s
        .settings
        .iter()
        .map(|(k, v)| format!("{k} = {}", if *v { "on" } else { "off" }))
        .collect();
    writeln!(
        out,
        "Settings: {}",
        if settings.is_empty() {
            "none recorded (every setting is unknown)".to_string()
        } else {
            format!("{} (any other: unknown)", settings.join(", "))
        }
    )?;
    writeln!(out, "Redundancy groups:")?;
    let mut any = false;
    for g in inv
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m.system == s.id))
    {
        any = true;
        let members: Vec<String> = g.members.iter().map(|m| m.to_string()).collect();
        let load = g
            .load
            .map(|l| format!(", load {:.0} % each", l * 100.0))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} ({}{load}): {}",
            g.id,
            group_kind(&g.kind),
            members.join(", ")
        )?;
    }
    none_if(out, any)?;
    writeln!(out, "Failure domains:")?;
    let mut any = false;
    for d in inv
        .domains
        .values()
        .filter(|d| d.members.iter().any(|m| m.system == s.id))
    {
        any = true;
        let members: Vec<String> = d.members.iter().map(|m| m.to_string()).collect();
        writeln!(
            out,
            "  {} ({}): {}",
            d.id,
            serde_kind(&d.kind),
            members.join(", ")
        )?;
    }
    none_if(out, any)?;
    writeln!(out, "Services that depend on it:")?;
    let mut any = false;
    for v in inv.services_of(&s.id) {
        any = true;
        let via: Vec<String> = v
            .depends_on
            .iter()
            .filter(|d| d.system == s.id)
            .map(|d| d.to_string())
            .collect();
        let tenants = if v.tenants.is_empty() {
            String::new()
        } else {
            format!(", tenants {}", v.tenants.join(", "))
        };
        writeln!(
            out,
            "  {} ({}, {} users{tenants}) via {}",
            v.id,
            serde_kind(&v.criticality),
            v.users,
            via.join(", ")
        )?;
    }
    none_if(out, any)?;
    let tenants = tenants_of(inv, s);
    if !tenants.is_empty() {
        let list: Vec<&str> = tenants.iter().copied().collect();
        writeln!(out, "Tenants ({}): {}", list.len(), list.join(", "))?;
    }
    writeln!(out, "Backups of it:")?;
    let mut any = false;
    for b in inv.backups_of(&s.id) {
        any = true;
        writeln!(out, "  -> {} ({})", b.to, serde_kind(&b.kind))?;
    }
    none_if(out, any)?;
    let held: Vec<String> = inv
        .backups
        .iter()
        .filter(|b| b.to == s.id)
        .map(|b| format!("{} ({})", b.of, serde_kind(&b.kind)))
        .collect();
    if !held.is_empty() {
        writeln!(out, "Holds backups of: {}", held.join(", "))?;
    }
    Ok(())
}

fn none_if(out: &mut impl Write, any: bool) -> Result<()> {
    if !any {
        writeln!(out, "  none")?;
    }
    Ok(())
}

/// The kebab-case name a unit enum has in the files.
fn serde_kind<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn group_kind(k: &firmwatch::inventory::GroupKind) -> String {
    use firmwatch::inventory::GroupKind;
    match k {
        GroupKind::ControllerPair => "controller-pair".into(),
        GroupKind::RaidGroup { tolerance } => format!("raid-group, tolerates {tolerance}"),
        GroupKind::Multipath => "multipath".into(),
        GroupKind::ReplicaPair => "replica-pair".into(),
        GroupKind::PowerSupplies => "power-supplies".into(),
        GroupKind::Cluster => "cluster".into(),
    }
}
