//! `firmwatch triage`: record a decision about a finding by appending a `[[triage]]` entry to the
//! operator file (`<feeds>/annotations.toml`, or `--annotations`). Entries are only appended, so
//! the file is the audit trail; the latest entry of a finding is its state (`firmwatch::triage`).
//!
//! The new entry is checked alone (what its state requires) and with the whole file (the file
//! with it must parse) before anything is written, and the file is replaced whole (a temporary
//! file renamed over it), so a refused entry or a crash leaves the file as it was.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, Utc};

use firmwatch::classify::Overrides;
use firmwatch::collect;
use firmwatch::triage::{Entry, Setting, TriageState};

use super::{Exit, Global};

#[derive(Debug, clap::Args)]
pub struct TriageArgs {
    /// The finding, `ADVISORY@system` as `exposure` shows it (or `ADVISORY` for every system).
    #[arg(value_name = "FINDING")]
    pub finding: String,
    /// new | acknowledged | in-progress | accepted-risk | false-positive | mitigated.
    #[arg(long, value_parser = parse_state)]
    pub state: TriageState,
    /// Why (every state but `new`); for `mitigated`, what was done.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Who decides (default: $FIRMWATCH_USER, else $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// Who approved an accepted risk (required for `accepted-risk`).
    #[arg(long)]
    pub approver: Option<String>,
    /// The last day the decision holds (required for `accepted-risk`).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<NaiveDate>,
    /// For `mitigated`: the setting it set, `NAME=true|false`, checked against the inventory.
    #[arg(long, value_name = "NAME=BOOL", value_parser = parse_setting)]
    pub setting: Option<Setting>,
    /// The operator file (default: `<feeds>/annotations.toml`, created when missing).
    #[arg(long, value_name = "FILE")]
    pub annotations: Option<PathBuf>,
    /// The date of the decision (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

fn parse_state(s: &str) -> Result<TriageState, String> {
    s.parse()
}

fn parse_setting(s: &str) -> Result<Setting, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=true|false"))?;
    let value = value
        .trim()
        .parse::<bool>()
        .map_err(|_| format!("`{value}` is not true or false"))?;
    Ok(Setting {
        name: name.trim().to_string(),
        value,
    })
}

pub fn run(args: &TriageArgs, global: &Global, out: &mut impl Write) -> Result<Exit> {
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("FIRMWATCH_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|b| !b.trim().is_empty());
    let Some(by) = by else {
        bail!("who decides? give --by NAME (or set FIRMWATCH_USER)");
    };
    let entry = Entry {
        finding: args.finding.trim().to_string(),
        state: args.state,
        reason: args.reason.trim().to_string(),
        by,
        on: Some(args.today.unwrap_or_else(|| Utc::now().date_naive())),
        approver: args.approver.clone(),
        expires: args.expires,
        setting: args.setting.clone(),
    };
    entry.check().map_err(anyhow::Error::msg)?;
    // A system that is not in the inventory is a typo, not a decision.
    if let Some((_, system)) = entry.finding.rsplit_once('@') {
        if let Some(inv) = super::estate::load_inventory(global)? {
            if !inv.systems.keys().any(|k| k.as_str() == system) {
                bail!("no system `{system}` in the inventory");
            }
        } else {
            return Ok(Exit::Error);
        }
    }
    let path = args
        .annotations
        .clone()
        .unwrap_or_else(|| global.feeds.join(collect::ANNOTATIONS_FILE));
    let before = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.annotations.is_none() => {
            String::new()
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut text = before.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&to_toml(&entry));
    Overrides::parse(&path.display().to_string(), &text)
        .context("the file would not parse with the new entry; nothing was written")?;
    write_whole(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    writeln!(
        out,
        "{}: {} (recorded in {})",
        entry.finding,
        entry.state,
        path.display()
    )?;
    Ok(Exit::Ok)
}

/// The entry as a `[[triage]]` block, dates as TOML dates.
fn to_toml(e: &Entry) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut o = String::from("[[triage]]\n");
    o.push_str(&format!("finding = {}\n", q(&e.finding)));
    o.push_str(&format!("state = {}\n", q(e.state.as_str())));
    if !e.reason.is_empty() {
        o.push_str(&format!("reason = {}\n", q(&e.reason)));
    }
    o.push_str(&format!("by = {}\n", q(&e.by)));
    if let Some(on) = e.on {
        o.push_str(&format!("on = {on}\n"));
    }
    if let Some(a) = &e.approver {
        o.push_str(&format!("approver = {}\n", q(a)));
    }
    if let Some(x) = e.expires {
        o.push_str(&format!("expires = {x}\n"));
    }
    if let Some(s) = &e.setting {
        o.push_str(&format!(
            "setting = {{ name = {}, value = {} }}\n",
            q(&s.name),
            s.value
        ));
    }
    o
}

/// Replace `path` whole: a temporary file beside it, flushed, renamed over it.
fn write_whole(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".annotations.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
