//! The exposure report and its renderers: table (people), JSON (tools), CSV, Markdown, HTML, the
//! VEX documents of [`vex`] (CSAF VEX, OpenVEX), and the pictures of [`svg`] (a finding's blast
//! radius, the [`timeline`] of time bombs ahead).
//!
//! The JSON form is the serialized [`Report`] itself, with `schema_version` and a deterministic
//! order (findings by score, then advisory id and system id). The table is meant for a 100-column terminal: one row per
//! finding (an advisory on a system, with a part count, never one row per drive), the deciding reason
//! under the title. HTML is one self-contained page; every advisory-derived string is escaped.
//! Renderers are pure. Each format has a `write_*` form that streams to a writer (what the command
//! uses: a report of a few hundred thousand findings is never held whole as text) and a
//! `render_*` form that returns the same text as a string.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table, Width};
use serde::{Deserialize, Serialize};

use crate::blast::{Finding, Severity};
use crate::matcher::MatchState;

pub mod svg;
pub mod timeline;
pub mod vex;

/// Version of the JSON report layout. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// What the inventory held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventorySummary {
    pub systems: usize,
    pub components: u64,
    pub services: usize,
    pub owners: usize,
}

/// Freshness of one feed's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedFreshness {
    pub feed: String,
    pub last_success: Option<DateTime<Utc>>,
    /// Whole days since the last successful sync.
    pub age_days: Option<i64>,
    /// Older than the allowed data age (or never synced).
    pub stale: bool,
    pub last_error: Option<String>,
    /// The last sync attempt failed (an error newer than the last success).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failing: bool,
    /// Documents the feed lists that its last successful sync rejected (did not parse or verify):
    /// their newer content is missing, so the feed's data is partially stale.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One warning per stale, never-synced, failing or partially stale feed (one with rejected
/// documents): the data age every command answering from feed data shows (`exposure`,
/// `check-update`, `notify`, `run`).
pub fn feed_warnings(feeds: &[FeedFreshness]) -> Vec<String> {
    let mut warnings = Vec::new();
    for f in feeds {
        match (&f.last_success, f.age_days) {
            (None, _) => warnings.push(format!(
                "feed {} has never synced successfully: its advisories are missing",
                f.feed
            )),
            (Some(_), Some(age)) if f.stale => {
                warnings.push(format!("data for feed {} is {age} days old", f.feed))
            }
            _ => {}
        }
        if let Some(e) = &f.last_error {
            warnings.push(format!("feed {}: last sync failed: {e}", f.feed));
        }
        if f.rejected > 0 {
            let (n, s) = (f.rejected, if f.rejected == 1 { "" } else { "s" });
            warnings.push(format!(
                "feed {} is partially stale: {n} document{s} rejected at its last sync (not parsed \
                 or not verified; a known one keeps its previous advisories, a new one is missing) \
                 — `firmwatch sync` lists them",
                f.feed
            ));
        }
    }
    warnings
}

/// Why the feed data cannot back a clean answer, if it cannot: no feed is configured, a feed has
/// never synced (its advisories are not in the store at all), or every feed's last sync failed.
/// A gate (`exposure --fail-on`, `check-update`) then fails closed — "nothing found" on no data
/// would read as "not exposed".
pub fn missing_data(feeds: &[FeedFreshness]) -> Option<String> {
    if feeds.is_empty() {
        return Some("no feed is configured: there is nothing to check against".to_string());
    }
    let never: Vec<&str> = feeds
        .iter()
        .filter(|f| f.last_success.is_none())
        .map(|f| f.feed.as_str())
        .collect();
    if !never.is_empty() {
        return Some(format!(
            "never synced, so their advisories are not checked: {}",
            never.join(", ")
        ));
    }
    if feeds.iter().all(|f| f.failing) {
        return Some(format!(
            "every feed's last sync failed ({}): the data may be out of date",
            feeds
                .iter()
                .map(|f| f.feed.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    None
}

/// "feed-a (12 days old), feed-b (never synced)" for the stale feeds.
pub fn stale_feeds(statuses: &[FeedFreshness]) -> String {
    statuses
        .iter()
        .filter(|f| f.stale)
        .map(|f| match f.age_days {
            Some(d) => format!("{} ({d} days old)", f.feed),
            None => format!("{} (never synced)", f.feed),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The exposure report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    /// The date time-triggered bugs are measured from.
    pub today: NaiveDate,
    pub inventory: InventorySummary,
    pub advisories: usize,
    pub feeds: Vec<FeedFreshness>,
    /// Things the reader must know (stale feeds, failed syncs, decisions that no longer hold,
    /// triage entries that name no finding).
    pub warnings: Vec<String>,
    /// Findings by severity (shown ones only).
    pub counts: BTreeMap<Severity, usize>,
    pub unknown: usize,
    pub findings: Vec<Finding>,
    /// Findings closed by a triage decision (accepted risk, false positive, mitigated), kept for
    /// audit.
    pub triaged: Vec<Finding>,
}

impl Report {
    /// Build a report: split the findings closed by triage off, count, and add a warning per
    /// closing decision that no longer holds and per stale or failing feed.
    pub fn new(
        generated_at: DateTime<Utc>,
        today: NaiveDate,
        inventory: InventorySummary,
        advisories: usize,
        feeds: Vec<FeedFreshness>,
        all: Vec<Finding>,
    ) -> Report {
        let mut warnings = feed_warnings(&feeds);
        // In place: a large estate's findings are not copied into a second vector.
        let mut findings = all;
        let triaged: Vec<Finding> = findings.extract_if(.., |f| f.triage.closed()).collect();
        for f in &findings {
            if f.triage.reopened() {
                if let Some(d) = f.triage.describe() {
                    warnings.push(format!("{}: {}", f.id, d));
                }
            }
        }
        let mut counts = BTreeMap::new();
        for f in &findings {
            *counts.entry(f.rating.severity).or_insert(0) += 1;
        }
        let unknown = findings
            .iter()
            .filter(|f| f.state == MatchState::Unknown)
            .count();
        Report {
            schema_version: SCHEMA_VERSION,
            generated_at,
            today,
            inventory,
            advisories,
            feeds,
            warnings,
            counts,
            unknown,
            findings,
            triaged,
        }
    }

    /// Keep only findings matching the predicate (filters such as `--owner`), recounting.
    pub fn retain(&mut self, keep: impl Fn(&Finding) -> bool) {
        self.findings.retain(&keep);
        self.triaged.retain(&keep);
        self.counts.clear();
        for f in &self.findings {
            *self.counts.entry(f.rating.severity).or_insert(0) += 1;
        }
        self.unknown = self
            .findings
            .iter()
            .filter(|f| f.state == MatchState::Unknown)
            .count();
    }

    /// Replace each finding by what `view` makes of it, dropping those it returns `None` for
    /// (`--owner`: an owner's view of each finding), recounting.
    pub fn retain_map(&mut self, view: impl Fn(&Finding) -> Option<Finding>) {
        *self = self.mapped(view);
    }

    /// A copy holding what `view` makes of each finding, as [`Report::retain_map`] leaves it,
    /// without copying the findings `view` drops first (a dashboard's owner view of a large
    /// estate).
    pub fn mapped(&self, view: impl Fn(&Finding) -> Option<Finding>) -> Report {
        let mut r = Report {
            schema_version: self.schema_version,
            generated_at: self.generated_at,
            today: self.today,
            inventory: self.inventory.clone(),
            advisories: self.advisories,
            feeds: self.feeds.clone(),
            warnings: self.warnings.clone(),
            counts: BTreeMap::new(),
            unknown: 0,
            findings: self.findings.iter().filter_map(&view).collect(),
            triaged: self.triaged.iter().filter_map(&view).collect(),
        };
        let kept: BTreeSet<&str> = r
            .findings
            .iter()
            .chain(&r.triaged)
            .map(|f| f.id.as_str())
            .collect();
        let gone: Vec<&str> = self
            .findings
            .iter()
            .chain(&self.triaged)
            .map(|f| f.id.as_str())
            .filter(|id| !kept.contains(id))
            .collect();
        // Warnings naming a finding that is no longer shown (a decision that expired) go too.
        r.warnings.retain(|w| !gone.iter().any(|id| w.contains(id)));
        r.retain(|_| true);
        r
    }

    /// The highest severity among shown findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.rating.severity).max()
    }
}

fn parts_label(f: &Finding) -> String {
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &f.parts {
        *kinds.entry(p.kind.as_str()).or_insert(0) += u64::from(p.count);
    }
    kinds
        .iter()
        .map(|(k, n)| {
            if *n == 1 {
                (*k).to_string()
            } else {
                format!("{n} × {k}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn state_label(f: &Finding) -> &'static str {
    match f.state {
        MatchState::Confirmed => "",
        MatchState::Unknown => " (UNKNOWN)",
    }
}

/// The deciding reason (the first reason is the match evidence). For an unknown match it is why
/// the match could not be decided: that is what the reader must review.
pub fn top_reason(f: &Finding) -> String {
    if f.state == MatchState::Unknown {
        return format!("UNKNOWN: {}", f.evidence);
    }
    f.rating
        .reasons
        .get(1)
        .or(f.rating.reasons.first())
        .map_or(String::new(), |r| r.to_string())
}

/// Text for a terminal: control characters (escape sequences, CR/LF from a hostile title) become
/// spaces, so advisory text cannot move the cursor, recolour or forge lines.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A CSV cell that a spreadsheet will not run and a line-based tool will not split: a cell
/// starting with `=`, `+`, `-`, `@`, tab or CR is a formula to Excel/LibreOffice
/// (`=cmd|' /C calc'!A0`), so it is prefixed with `'`; control characters (newlines, escape
/// sequences from advisory text) become spaces, as in the table.
pub fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{}", plain(s)),
        _ => plain(s),
    }
}

fn summary_line(r: &Report) -> String {
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .filter_map(|s| r.counts.get(s).map(|n| format!("{n} {s}")))
    .collect();
    format!(
        "{} finding{} ({}), {} unknown, {} closed by triage\nchecked {} systems, {} components against {} advisories",
        r.findings.len(),
        if r.findings.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        r.unknown,
        r.triaged.len(),
        r.inventory.systems,
        r.inventory.components,
        r.advisories
    )
}

/// Findings per table block: a report larger than this is drawn block by block with fixed
/// column widths (see [`write_table`]).
const TABLE_BLOCK: usize = 1_000;

/// A table for a terminal of `width` columns.
pub fn render_table(r: &Report, width: u16) -> String {
    to_text(|o| write_table(r, width, o))
}

/// The table, written to `w`. Up to [`TABLE_BLOCK`] findings are one table whose columns fit their
/// content; a larger report (an estate with thousands of findings) is drawn in blocks of that many
/// rows with fixed column widths, joined seamlessly, so neither time nor memory grows with the
/// square of the row count and the output is never held whole ([`write_in_blocks`]).
pub fn write_table(r: &Report, width: u16, w: impl std::io::Write) -> std::io::Result<()> {
    write_table_rows(r, width, None, w)
}

/// [`write_table`] showing only the `rows` highest-scored findings (`None`: all), then a line
/// saying how many more there are and how to see them; the summary counts every finding. A
/// terminal table of hundreds of thousands of rows is read by nobody: tools take CSV or JSON.
pub fn write_table_rows(
    r: &Report,
    width: u16,
    rows: Option<usize>,
    w: impl std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    for warning in &r.warnings {
        writeln!(w, "warning: {}", plain(warning))?;
    }
    let shown = &r.findings[..rows.map_or(r.findings.len(), |n| n.min(r.findings.len()))];
    let blocked = shown.len() > TABLE_BLOCK;
    write_in_blocks(
        shown,
        TABLE_BLOCK,
        |b, block| {
            let mut text = table_block(block, b == 0, blocked, width);
            // A block's top border is the previous block's bottom border.
            let from = match b {
                0 => 0,
                _ => text.find('\n').map_or(text.len(), |i| i + 1),
            };
            text.push('\n');
            Ok(Cut {
                bytes: text.into_bytes(),
                from,
            })
        },
        &mut w,
    )?;
    let hidden = r.findings.len() - shown.len();
    if hidden > 0 {
        writeln!(
            w,
            "… {} more finding{} below these {} by score: `--rows 0` shows every one, `--format \
             csv` or `json` serve tools, `--min-severity`, `--owner` and `--system` narrow the list",
            crate::blast::thousands(hidden as u64),
            if hidden == 1 { "" } else { "s" },
            shown.len()
        )?;
    }
    writeln!(w, "{}", summary_line(r))?;
    w.flush()
}

/// Render `items` in blocks of `block` on all cores and write the blocks' texts to `w` in
/// order: the output is what rendering them one after the other gives. `render` gets the block's
/// number (0 for the first) and its items; the first error in block order is returned.
///
/// Each core's thread renders every n-th block for the whole output and hands each to the writer
/// (the calling thread) through its own channel of [`BLOCKS_AHEAD`], so the cores never wait for
/// the writer or for each other between blocks, and at most a few blocks per core are held.
fn write_in_blocks<T: Sync, B: AsRef<[u8]> + Send>(
    items: &[T],
    block: usize,
    render: impl Fn(usize, &[T]) -> std::io::Result<B> + Sync,
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let blocks: Vec<&[T]> = items.chunks(block).collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(blocks.len());
    if threads < 2 {
        for (b, items) in blocks.iter().enumerate() {
            w.write_all(render(b, items)?.as_ref())?;
        }
        return Ok(());
    }
    let (render, blocks) = (&render, &blocks);
    std::thread::scope(|scope| {
        let rendered: Vec<std::sync::mpsc::Receiver<std::io::Result<B>>> = (0..threads)
            .map(|t| {
                let (tx, rx) = std::sync::mpsc::sync_channel(BLOCKS_AHEAD);
                scope.spawn(move || {
                    for b in (t..blocks.len()).step_by(threads) {
                        // The writer stopped (an error): nothing more is wanted.
                        if tx.send(render(b, blocks[b])).is_err() {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for b in 0..blocks.len() {
            // A closed channel is a thread that panicked: the scope raises its panic.
            let Ok(text) = rendered[b % threads].recv() else {
                break;
            };
            w.write_all(text?.as_ref())?;
        }
        Ok(())
    })
}

/// Blocks a rendering thread of [`write_in_blocks`] may hold rendered before the writer takes
/// them.
const BLOCKS_AHEAD: usize = 2;

/// The bytes of a buffer from an offset on: what is written of a rendered block (a table block
/// without its top border, a [`json_block`] without its wrapping).
struct Cut {
    bytes: Vec<u8>,
    from: usize,
}

impl AsRef<[u8]> for Cut {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[self.from..]
    }
}

/// One block of the table (with the header when it is the first).
fn table_block(block: &[Finding], first: bool, blocked: bool, width: u16) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if first {
        t.set_header(vec!["severity", "finding", "parts", "why"]);
    }
    for f in block {
        t.add_row(vec![
            format!(
                "{}\n{}{}",
                f.rating.severity,
                f.rating.score,
                state_label(f)
            ),
            format!(
                "{}\n{}\n{}",
                plain(&f.advisory.id),
                f.system,
                plain(&f.advisory.title)
            ),
            parts_label(f),
            why_cell(f),
        ]);
    }
    // After the rows: a table has no columns to constrain before its header or first row.
    if blocked {
        // Every block the same widths: 10, 28, 14 and the rest (each column has one space of
        // padding on either side).
        let why = width.saturating_sub(10 + 28 + 14 + 8).max(20);
        t.set_constraints([10, 28, 14, why].map(|n| ColumnConstraint::Absolute(Width::Fixed(n))));
    } else {
        t.set_constraints(vec![
            ColumnConstraint::UpperBoundary(Width::Fixed(10)),
            ColumnConstraint::UpperBoundary(Width::Fixed(28)),
            ColumnConstraint::UpperBoundary(Width::Fixed(14)),
        ]);
    }
    t.to_string()
}

/// The table's "why": consequence and urgency, the deciding reason, what it reaches and, for
/// data loss, the backup reasoning.
fn why_cell(f: &Finding) -> String {
    let top = top_reason(f);
    let mut cell = format!(
        "{} · {}\n{}",
        f.rating.consequence,
        f.rating.urgency,
        plain(&top)
    );
    if let Some(reach) = f.rating.reach.line() {
        cell.push('\n');
        cell.push_str(&reach);
    }
    if let Some(b) = f.rating.backup.as_deref().filter(|b| **b != *top) {
        cell.push('\n');
        cell.push_str(&plain(b));
    }
    cell
}

/// The full reasoning of one finding.
pub fn render_explain(f: &Finding) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} — {}", plain(&f.id), plain(&f.advisory.title));
    let _ = writeln!(
        o,
        "  advisory:    {}{}",
        plain(&f.advisory.id),
        if f.advisory.aliases.is_empty() {
            String::new()
        } else {
            format!(" (aliases: {})", plain(&f.advisory.aliases.join(", ")))
        }
    );
    let _ = writeln!(o, "  vendor:      {}", plain(&f.advisory.vendor));
    let _ = writeln!(
        o,
        "  system:      {} ({}), owner {}",
        f.system, f.system_name, f.owner
    );
    let _ = writeln!(
        o,
        "  match:       {}{}",
        if f.state == MatchState::Confirmed {
            "confirmed"
        } else {
            "UNKNOWN"
        },
        if f.evidence.is_empty() {
            String::new()
        } else {
            format!(" — {}", plain(&f.evidence))
        }
    );
    let _ = writeln!(
        o,
        "  effects:     {}",
        f.advisory
            .effects
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "  rating:      {} (score {}), {} · {} [{}]",
        f.rating.severity, f.rating.score, f.rating.consequence, f.rating.urgency, f.rating.code
    );
    if let Some(vs) = &f.advisory.vendor_severity {
        let _ = writeln!(o, "  vendor says: {}", plain(vs));
    }
    if let Some(c) = f.cvss {
        let _ = writeln!(o, "  cvss:        {c}");
    }
    let _ = writeln!(o, "  parts:");
    for p in &f.parts {
        let _ = writeln!(
            o,
            "    - {} ({}, ×{}) on {}",
            p.subject,
            p.kind,
            p.count,
            plain(&p.firmware)
        );
    }
    let _ = writeln!(o, "  why:");
    for r in &f.rating.reasons {
        let _ = writeln!(o, "    - {}", plain(r));
    }
    let reach = &f.rating.reach;
    let _ = writeln!(
        o,
        "  reach:       {} users; services: {}; tenants: {}",
        reach.users,
        if reach.services.is_empty() {
            "none recorded".to_string()
        } else {
            reach
                .services
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        reach.tenants.len()
    );
    let _ = writeln!(
        o,
        "  fixed in:    {}",
        if f.fixed_in.is_empty() {
            "no fixed version stated".to_string()
        } else {
            plain(&f.fixed_in.join(", "))
        }
    );
    if let Some(t) = f.triage.describe() {
        let _ = writeln!(o, "  triage:      {}", plain(&t));
    }
    let _ = writeln!(o, "  source:      {}", plain(&f.advisory.source));
    for r in f.advisory.references.iter() {
        let _ = writeln!(o, "  reference:   {}", plain(r));
    }
    o
}

/// The report as JSON (the serialized [`Report`]).
pub fn render_json(r: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(r)
}

/// Findings per block of [`write_json`].
const JSON_BLOCK: usize = 500;

/// The report as JSON, streamed to `w`: the same text as [`render_json`] plus a newline, so a
/// report of a few hundred thousand findings is never held as one string. The findings are
/// serialized in blocks on all cores ([`write_in_blocks`], [`json_block`]); the fields before
/// them go through [`JsonHead`].
pub fn write_json(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    let head = serde_json::to_string_pretty(&JsonHead::of(r))?;
    // `{ …fields… \n}`: the findings and the triaged ones go before the closing brace.
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    w.write_all(head.as_bytes())?;
    for (name, findings) in [("findings", &r.findings), ("triaged", &r.triaged)] {
        write!(w, ",\n  \"{name}\": [")?;
        if findings.is_empty() {
            w.write_all(b"]")?;
            continue;
        }
        write_in_blocks(findings, JSON_BLOCK, json_block, &mut w)?;
        w.write_all(b"\n  ]")?;
    }
    w.write_all(b"\n}\n")?;
    w.flush()
}

/// The fields of [`Report`] before its findings, in the same order (a test holds
/// [`write_json`] to [`render_json`]).
#[derive(Serialize)]
struct JsonHead<'a> {
    schema_version: u32,
    generated_at: &'a DateTime<Utc>,
    today: &'a NaiveDate,
    inventory: &'a InventorySummary,
    advisories: usize,
    feeds: &'a [FeedFreshness],
    warnings: &'a [String],
    counts: &'a BTreeMap<Severity, usize>,
    unknown: usize,
}

impl<'a> JsonHead<'a> {
    fn of(r: &'a Report) -> Self {
        JsonHead {
            schema_version: r.schema_version,
            generated_at: &r.generated_at,
            today: &r.today,
            inventory: &r.inventory,
            advisories: r.advisories,
            feeds: &r.feeds,
            warnings: &r.warnings,
            counts: &r.counts,
            unknown: r.unknown,
        }
    }
}

/// Block `b` of a findings array, as it stands inside the report: the findings serialized by
/// serde at the depth they have there (inside a one-field object, whose wrapping is cut off),
/// after a `,` unless the block is the array's first.
fn json_block(b: usize, findings: &[Finding]) -> std::io::Result<Cut> {
    const OPEN: &[u8] = b"{\n  \"findings\": [";
    const CLOSE: &[u8] = b"\n  ]\n}";
    #[derive(Serialize)]
    struct Wrap<'a> {
        findings: &'a [Finding],
    }
    // Room for the usual finding (~2 KiB pretty-printed) without growing the buffer.
    let mut bytes = Vec::with_capacity(findings.len() * 3072);
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Pretty::default());
    Wrap { findings }.serialize(&mut ser)?;
    debug_assert!(bytes.starts_with(OPEN) && bytes.ends_with(CLOSE));
    bytes.truncate(bytes.len() - CLOSE.len());
    let mut from = OPEN.len();
    if b > 0 {
        // The `[` becomes the `,` after the previous block.
        from -= 1;
        bytes[from] = b',';
    }
    Ok(Cut { bytes, from })
}

/// serde_json's `PrettyFormatter` with two spaces, writing each line break and its indentation
/// as one slice: the same text (a test holds [`write_json`] to [`render_json`]), where serde's
/// writes the indentation two bytes at a time — a third of a large report's bytes, one call each.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// `,`, a line break and the indentation of 32 levels: a line's start is a slice of it.
    const BREAK: &'static [u8] =
        b",\n                                                                ";

    /// A line break (after a `,` unless `first`) and the indentation of `self.depth`.
    fn new_line<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        let from = usize::from(first);
        let spaces = 2 * self.depth;
        if let Some(line) = Self::BREAK.get(from..2 + spaces) {
            return w.write_all(line);
        }
        w.write_all(&Self::BREAK[from..2])?;
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    /// An array or object opens: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// An array or object closes: on a line of its own unless it is empty.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// One CSV row per finding.
pub fn render_csv(r: &Report) -> Result<String, csv::Error> {
    let mut out = Vec::new();
    write_csv(r, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// One CSV row per finding, streamed to `w` (a large report is never held whole).
pub fn write_csv(r: &Report, w: impl std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(w);
    w.write_record([
        "id",
        "severity",
        "score",
        "state",
        "advisory",
        "system",
        "owner",
        "parts",
        "consequence",
        "urgency",
        "code",
        "users",
        "tenants",
        "fixed_in",
        "reason",
        "title",
    ])?;
    for f in &r.findings {
        let cells = [
            f.id.clone(),
            f.rating.severity.as_str().to_string(),
            f.rating.score.to_string(),
            if f.state == MatchState::Confirmed {
                "confirmed"
            } else {
                "unknown"
            }
            .to_string(),
            f.advisory.id.to_string(),
            f.system.to_string(),
            f.owner.to_string(),
            parts_label(f),
            f.rating.consequence.as_str().to_string(),
            f.rating.urgency.to_string(),
            f.rating.code.as_str().to_string(),
            f.rating.reach.users.to_string(),
            f.rating.reach.tenants.len().to_string(),
            f.fixed_in.join(" "),
            top_reason(f),
            f.advisory.title.to_string(),
        ];
        w.write_record(cells.iter().map(|c| csv_cell(c)))?;
    }
    w.flush()?;
    Ok(())
}

/// Markdown text: no table breaks (`|`), no line breaks, no raw HTML (`<script>`), no links or
/// images (`[x](javascript:…)`), no code spans; control characters become spaces.
fn md_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '[' | ']' | '`' | '*' | '_' | '!' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Markdown: a summary table and a section per finding.
pub fn render_markdown(r: &Report) -> String {
    to_text(|o| write_markdown(r, o))
}

/// [`render_markdown`], streamed to `w`.
pub fn write_markdown(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::io::BufWriter::with_capacity(1 << 16, w);
    writeln!(o, "# firmwatch exposure report ({})\n", r.today)?;
    writeln!(o, "{}\n", summary_line(r))?;
    for w in &r.warnings {
        writeln!(o, "> **warning:** {}", md_escape(w))?;
    }
    if !r.warnings.is_empty() {
        o.write_all(b"\n")?;
    }
    if r.findings.is_empty() {
        return o.flush();
    }
    writeln!(
        o,
        "| severity | score | advisory | system | parts | consequence | why |"
    )?;
    writeln!(o, "|---|---|---|---|---|---|---|")?;
    for f in &r.findings {
        writeln!(
            o,
            "| {}{} | {} | {} | {} | {} | {} | {} |",
            f.rating.severity,
            state_label(f),
            f.rating.score,
            md_escape(&f.advisory.id),
            md_escape(f.system.as_str()),
            md_escape(&parts_label(f)),
            f.rating.consequence,
            md_escape(&top_reason(f))
        )?;
    }
    for f in &r.findings {
        writeln!(
            o,
            "\n## {} — {}\n",
            md_escape(&f.id),
            md_escape(&f.advisory.title)
        )?;
        for reason in &f.rating.reasons {
            writeln!(o, "- {}", md_escape(reason))?;
        }
        if !f.fixed_in.is_empty() {
            writeln!(o, "- fixed in: {}", md_escape(&f.fixed_in.join(", ")))?;
        }
    }
    o.flush()
}

/// Escape text for HTML element content and attribute values. Control characters other than
/// newline and tab (white space to HTML) become spaces: an escape sequence or a NUL from advisory
/// text has no business in a page or a mail.
pub fn html_escape(s: &str) -> String {
    escape_markup(s, Markup::Html)
}

/// Which markup [`escape_markup`] writes for.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Markup {
    /// HTML: newlines and tabs are kept (white space).
    Html,
    /// SVG text, single lines: every control character and the XML non-characters U+FFFE and
    /// U+FFFF become spaces.
    Svg,
}

/// The one escape of advisory and inventory text for markup: `&`, `<`, `>`, both quotes, and
/// control characters as spaces (see [`Markup`] for what each kind keeps).
pub(crate) fn escape_markup(s: &str, markup: Markup) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' if markup == Markup::Html => o.push(c),
            '\u{FFFE}' | '\u{FFFF}' if markup == Markup::Svg => o.push(' '),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// One self-contained HTML page (inline CSS, no scripts, everything escaped).
pub fn render_html(r: &Report) -> String {
    to_text(|o| write_html(r, o))
}

/// [`render_html`], streamed to `w`.
pub fn write_html(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let e = html_escape;
    let mut o = std::io::BufWriter::with_capacity(1 << 16, w);
    write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>firmwatch exposure {}</title>\n<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}.critical{{background:#f8d7da}}.high{{background:#fde2c8}}.medium{{background:#fff3cd}}.warn{{color:#8a4b00}}</style></head><body>\n",
        e(&r.today.to_string())
    )?;
    writeln!(
        o,
        "<h1>firmwatch exposure report</h1>\n<p>{}</p>",
        e(&summary_line(r))
    )?;
    for w in &r.warnings {
        writeln!(o, "<p class=\"warn\">warning: {}</p>", e(w))?;
    }
    writeln!(o, "<table><tr><th>severity</th><th>score</th><th>advisory</th><th>system</th><th>parts</th><th>consequence</th><th>reasons</th></tr>")?;
    for f in &r.findings {
        let reasons: String = f
            .rating
            .reasons
            .iter()
            .map(|x| format!("<li>{}</li>", e(x)))
            .collect();
        writeln!(
            o,
            "<tr class=\"{}\"><td>{}{}</td><td>{}</td><td>{}<br>{}</td><td>{}</td><td>{}</td><td>{} · {}</td><td><ul>{}</ul></td></tr>",
            f.rating.severity,
            f.rating.severity,
            e(state_label(f)),
            f.rating.score,
            e(&f.advisory.id),
            e(&f.advisory.title),
            e(f.system.as_str()),
            e(&parts_label(f)),
            f.rating.consequence,
            e(&f.rating.urgency.to_string()),
            reasons
        )?;
    }
    writeln!(o, "</table>\n</body></html>")?;
    o.flush()
}

/// The text a streaming writer writes (the `render_*` forms, for tests and small reports).
fn to_text(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pretty_formatter_writes_what_serdes_writes() {
        // Empty and nested containers, and a nesting deeper than one slice of indentation.
        let mut deep = serde_json::json!({"leaf": [1, {"a": "x\"y"}], "empty": [], "none": {}});
        for level in 0..40 {
            deep = serde_json::json!({ "level": level, "inner": [deep, []] });
        }
        let mut ours = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut ours, super::Pretty::default());
        serde::Serialize::serialize(&deep, &mut ser).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string_pretty(&deep).unwrap()
        );
    }

    fn feed(name: &str, synced: bool, failing: bool) -> FeedFreshness {
        FeedFreshness {
            feed: name.into(),
            last_success: synced.then(|| "2026-12-01T00:00:00Z".parse().unwrap()),
            age_days: synced.then_some(4),
            stale: !synced,
            last_error: failing.then(|| "refused".into()),
            failing,
            rejected: 0,
        }
    }

    /// Blocks of 7 numbers, each written as `b:n,n,…;`.
    fn numbered(b: usize, items: &[u32]) -> std::io::Result<String> {
        let nums: Vec<String> = items.iter().map(u32::to_string).collect();
        Ok(format!("{b}:{};", nums.join(",")))
    }

    #[test]
    fn blocks_rendered_on_all_cores_are_written_in_order() {
        let items: Vec<u32> = (0..1_000).collect();
        let mut out = Vec::new();
        write_in_blocks(&items, 7, numbered, &mut out).unwrap();
        let expected: String = items
            .chunks(7)
            .enumerate()
            .map(|(b, c)| numbered(b, c).unwrap())
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn the_first_failing_block_stops_the_output_with_its_error() {
        let items: Vec<u32> = (0..1_000).collect();
        let mut out = Vec::new();
        let err = write_in_blocks(
            &items,
            7,
            |b, c| match b {
                40 | 41 | 90 => Err(std::io::Error::other(format!("block {b}"))),
                _ => numbered(b, c),
            },
            &mut out,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "block 40");
        let expected: String = items
            .chunks(7)
            .take(40)
            .enumerate()
            .map(|(b, c)| numbered(b, c).unwrap())
            .collect();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "blocks 0–39 only"
        );
    }

    #[test]
    fn a_writer_that_fails_stops_the_rendering_threads() {
        struct Full(usize);
        impl std::io::Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let items: Vec<u32> = (0..100_000).collect();
        let err = write_in_blocks(&items, 7, numbered, &mut Full(3)).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn a_feed_with_rejected_documents_is_partially_stale() {
        let mut f = feed("acme", true, false);
        assert!(feed_warnings(std::slice::from_ref(&f)).is_empty());
        let json = serde_json::to_value(&f).unwrap();
        assert!(json.get("rejected").is_none(), "{json}");
        f.rejected = 3;
        let w = feed_warnings(std::slice::from_ref(&f));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("feed acme is partially stale: 3 documents rejected"),
            "{w:?}"
        );
        assert_eq!(serde_json::to_value(&f).unwrap()["rejected"], 3);
        // Not missing data: the feed's other advisories are there.
        assert_eq!(missing_data(&[f]), None);
    }

    #[test]
    fn data_is_missing_without_feeds_with_one_never_synced_or_with_all_failing() {
        assert!(missing_data(&[]).unwrap().contains("no feed is configured"));
        let never = missing_data(&[feed("a", true, false), feed("b", false, true)]).unwrap();
        assert!(never.ends_with("not checked: b"), "{never}");
        let all = missing_data(&[feed("a", true, true), feed("b", true, true)]).unwrap();
        assert!(
            all.contains("every feed's last sync failed (a, b)"),
            "{all}"
        );
        // One feed failing among healthy ones is a warning, not missing data.
        assert_eq!(
            missing_data(&[feed("a", true, true), feed("b", true, false)]),
            None
        );
        assert_eq!(missing_data(&[feed("a", true, false)]), None);
    }

    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
