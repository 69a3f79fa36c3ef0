//! `firmwatch inventory`: validate the inventory files and look at what they describe.
//!
//! Diagnostics go to stderr like a compiler's (rich `file:line:col` text, coloured per `--color`);
//! summaries and tables are data and go to stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{ColorChoice, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
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
            Ok(Exit::Ok)
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
