//! Pictures as SVG text: a finding's blast radius ([`blast_radius`]) and the time bombs ahead
//! ([`timeline`]), drawn in Rust with no renderer, font or script behind them.
//!
//! Both are pure functions of their inputs, deterministic to the byte: a fixed grid, no
//! randomness, inputs in a stable order (the inventory's maps are sorted, the findings come
//! sorted). Both are meant to be read by people who cannot see colour and by screen readers: the
//! root is `role="img"` with a `<title>` and a `<desc>` that say in words what the picture shows,
//! every element group has its own `<title>`, and every highlighted part says so in text
//! (`EXPOSED`, `DOWN`, `PAST DUE`) as well as by a hatched fill. Styling is by presentation
//! attributes only (`fill=`, `stroke=`): no `<style>`, no `style=` attribute, no script, no
//! event handler and no external reference, so a picture works offline and inside a page whose
//! CSP forbids inline styles and scripts. The only references are to the picture's own hatch
//! pattern (`url(#…)`); ids carry a prefix derived from what is drawn, so several pictures can sit
//! in one page.
//!
//! Every string from an advisory or the inventory goes through [`xml_escape`]. What is drawn is
//! capped ([`MAX_MEMBERS`] parts of a group, and so on) with a "+N more" box that still counts the
//! exposed parts it hides, so a RAID group of 240 drives is a picture of a few kilobytes.
//!
//! The blast radius draws the rating's own figures: the load survivors carry comes from
//! [`survivor_load`] (the rule that rated the finding), drive dates from [`threshold_date`], the
//! systems a failure domain takes down from the rating's reach, and the backups' independence
//! from the rating's backup reasoning (`rating.backup`), never a second opinion.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::timeline::{self, RowKind, Timeline};
use super::top_reason;
use crate::blast::{pct, survivor_load, thousands, threshold_date, Dating, Finding, Severity};
use crate::check::RolloutPlan;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::inventory::{
    Component, ComponentRef, FailureDomain, GroupKind, Inventory, RedundancyGroup, System,
};
use crate::matcher::MatchState;
use crate::model::{Advisory, ComponentKind, Effect, Trigger};

/// Width of every picture, in pixels.
pub const WIDTH: i64 = 900;
/// Parts of one group (or of one list) drawn before the rest are counted in a "+N more" box.
pub const MAX_MEMBERS: usize = 8;
/// Redundancy groups drawn per system.
pub const MAX_GROUPS: usize = 6;
/// Services, backups and failure domains drawn.
pub const MAX_ITEMS: usize = 6;
/// Timeline rows drawn.
pub const MAX_ROWS: usize = 30;
/// Triggers drawn in one timeline row.
pub const MAX_MARKS: usize = 10;

const MARGIN: i64 = 16;
const INK: &str = "#1f2328";
const MUTED: &str = "#57606a";
const LINE: &str = "#8c959f";
const PANEL: &str = "#f6f8fa";
const RED: &str = "#b00020";
const RED_FILL: &str = "#fde8ea";
const GREEN: &str = "#1a7f37";
const AMBER: &str = "#8a5a00";
const BLUE: &str = "#0b5cad";

/// Escape text for SVG (XML) content and attribute values. Control characters, which XML 1.0
/// does not allow (or which would only forge line breaks), become spaces — as [`super::html_escape`]
/// does for HTML, without keeping newlines and tabs: a picture's text is single lines.
pub fn xml_escape(s: &str) -> String {
    super::escape_markup(s, super::Markup::Svg)
}

/// At most `max` characters of `s`, the last one `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut o: String = s.chars().take(max.saturating_sub(1)).collect();
    o.push('…');
    o
}

/// `s` in lines of at most `width` characters, broken at spaces (a longer word is cut), at most
/// `max_lines` of them, the last ending in `…` when text was left out.
fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
            if need <= width {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if cur.is_empty() {
                // A word longer than a line: cut it.
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
                if word.is_empty() {
                    break;
                }
            } else {
                lines.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = clip(&format!("{last} …"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
}

/// An XML id for `key` (any text): a readable part of it and a hash of all of it, so two keys
/// never share an id however they are cut, and the id is a valid name whatever the key holds.
fn dom_id(kind: &str, key: &str) -> String {
    let readable: String = key
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // FNV-1a: stable across runs and platforms (unlike the std hasher's seed).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fw-{kind}-{readable}-{:08x}", h as u32)
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => RED,
        Severity::High => "#bc4c00",
        Severity::Medium => AMBER,
        Severity::Low => BLUE,
        Severity::Info => MUTED,
    }
}

/// How a piece of text is drawn.
#[derive(Clone, Copy)]
struct Font {
    size: u8,
    bold: bool,
    fill: &'static str,
    /// `text-anchor="end"`: `x` is where the text ends.
    end: bool,
}

const BODY: Font = Font {
    size: 12,
    bold: false,
    fill: INK,
    end: false,
};

impl Font {
    fn size(self, size: u8) -> Font {
        Font { size, ..self }
    }
    fn bold(self) -> Font {
        Font { bold: true, ..self }
    }
    fn fill(self, fill: &'static str) -> Font {
        Font { fill, ..self }
    }
    fn end(self) -> Font {
        Font { end: true, ..self }
    }
}

/// The picture's elements as they are written, and the ids they refer to.
struct Canvas {
    body: String,
    /// The id prefix of this picture (`…-title`, `…-desc`, `…-hatch`).
    id: String,
}

impl Canvas {
    fn new(id: String) -> Canvas {
        Canvas {
            body: String::new(),
            id,
        }
    }

    fn text(&mut self, x: i64, y: i64, font: Font, s: &str) {
        let _ = writeln!(
            self.body,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{}\"{}{} fill=\"{}\">{}</text>",
            font.size,
            if font.bold {
                " font-weight=\"bold\""
            } else {
                ""
            },
            if font.end { " text-anchor=\"end\"" } else { "" },
            font.fill,
            xml_escape(s)
        );
    }

    /// A box; `hatched` fills it with the picture's hatch (exposed, down), `dashed` outlines it
    /// dashed (another system's part).
    #[allow(clippy::too_many_arguments)]
    fn rect(
        &mut self,
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        fill: &str,
        stroke: &str,
        hatched: bool,
        dashed: bool,
    ) {
        let fill = if hatched {
            format!("url(#{}-hatch)", self.id)
        } else {
            fill.to_string()
        };
        let _ = writeln!(
            self.body,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"{}/>",
            if hatched { 2 } else { 1 },
            if dashed {
                " stroke-dasharray=\"4 3\""
            } else {
                ""
            }
        );
    }

    fn line(
        &mut self,
        (x1, y1): (i64, i64),
        (x2, y2): (i64, i64),
        stroke: &str,
        dash: Option<&str>,
    ) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{stroke}\" stroke-width=\"1\"{}/>",
            dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""))
        );
    }

    /// Open a group of elements with its own title.
    fn group(&mut self, title: &str) {
        let _ = writeln!(self.body, "<g><title>{}</title>", xml_escape(title));
    }

    fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// The whole document: the root with its title and description, the hatch, then the body.
    fn finish(self, height: i64, title: &str, desc: &str) -> String {
        let id = &self.id;
        let mut o = String::with_capacity(self.body.len() + 1024);
        let _ = writeln!(
            o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"sans-serif\">"
        );
        let _ = writeln!(o, "<title id=\"{id}-title\">{}</title>", xml_escape(title));
        let _ = writeln!(o, "<desc id=\"{id}-desc\">{}</desc>", xml_escape(desc));
        let _ = writeln!(
            o,
            "<defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{RED_FILL}\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{RED}\" stroke-width=\"1.5\" stroke-opacity=\"0.3\"/></pattern></defs>"
        );
        let _ = writeln!(
            o,
            "<rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
        );
        o.push_str(&self.body);
        o.push_str("</svg>\n");
        o
    }

    /// The legend: what a hatched box and a plain one mean.
    fn legend(&mut self, y: i64, entries: &[(bool, &str)]) {
        self.group("Legend");
        let mut x = MARGIN;
        for (hatched, label) in entries {
            self.rect(
                x,
                y - 11,
                22,
                14,
                PANEL,
                if *hatched { RED } else { LINE },
                *hatched,
                false,
            );
            self.text(x + 28, y, BODY.size(11), label);
            x += 28 + (label.chars().count() as i64) * 6 + 24;
        }
        self.end_group();
    }
}

// ------------------------------------------------------------------------------------------------
// Blast radius
// ------------------------------------------------------------------------------------------------

const BOX_W: i64 = 96;
const BOX_H: i64 = 70;
const BOX_GAP: i64 = 8;

/// One box of a row of parts.
struct PartBox {
    /// Lines of text, the first bold.
    lines: Vec<String>,
    /// The marker line (`EXPOSED`, `DOWN`), drawn bold in red; `None` for a plain box.
    marker: Option<&'static str>,
    /// Drawn dashed: another system's part (its own findings apply to it).
    other: bool,
    title: String,
}

/// Draw `entries` in one row of boxes from `x`, at most [`MAX_MEMBERS`]: when there are more,
/// the last box says how many are left out and how many of those carry a marker. Returns the
/// row's height.
/// `draw` makes the box of an item (only for those drawn); `marked` says whether a left-out one
/// would carry a marker.
fn part_row<T>(
    c: &mut Canvas,
    x: i64,
    y: i64,
    items: &[T],
    draw: impl Fn(&T) -> PartBox,
    marked: impl Fn(&T) -> bool,
    word: &str,
) -> i64 {
    let total = items.len();
    let shown = if total > MAX_MEMBERS {
        MAX_MEMBERS - 1
    } else {
        total
    };
    let hidden_marked = items[shown..].iter().filter(|t| marked(t)).count();
    for (i, item) in items[..shown].iter().enumerate() {
        let b = draw(item);
        let bx = x + i as i64 * (BOX_W + BOX_GAP);
        c.group(&b.title);
        c.rect(
            bx,
            y,
            BOX_W,
            BOX_H,
            if b.other { "#ffffff" } else { PANEL },
            if b.marker.is_some() { RED } else { LINE },
            b.marker.is_some(),
            b.other,
        );
        for (k, line) in b.lines.iter().take(4).enumerate() {
            let font = if k == 0 {
                BODY.size(11).bold()
            } else {
                BODY.size(10)
            };
            c.text(bx + 6, y + 14 + k as i64 * 13, font, &clip(line, 16));
        }
        if let Some(m) = b.marker {
            c.text(bx + 6, y + BOX_H - 6, BODY.size(10).bold().fill(RED), m);
        }
        c.end_group();
    }
    if total > shown {
        let rest = total - shown;
        let bx = x + shown as i64 * (BOX_W + BOX_GAP);
        let title = format!("{rest} more not drawn, {hidden_marked} of them {word}");
        c.group(&title);
        c.rect(
            bx,
            y,
            BOX_W,
            BOX_H,
            "#ffffff",
            if hidden_marked > 0 { RED } else { LINE },
            hidden_marked > 0,
            true,
        );
        c.text(
            bx + 6,
            y + 18,
            BODY.size(11).bold(),
            &format!("+{rest} more"),
        );
        c.text(bx + 6, y + 32, BODY.size(10), "not drawn");
        if hidden_marked > 0 {
            c.text(
                bx + 6,
                y + BOX_H - 6,
                BODY.size(10).bold().fill(RED),
                &format!("{hidden_marked} {word}"),
            );
        }
        c.end_group();
    }
    if total == 0 {
        0
    } else {
        BOX_H
    }
}

/// What the finding exposes: its parts, and (a system-level part) the system's controllers, which
/// run its OS — the rating's rule (`Context::member_exposed`).
/// Parts are looked up by id through an index of the finding's system (a system may hold
/// thousands of drives).
struct Exposed<'a> {
    f: &'a Finding,
    inv: &'a Inventory,
    system_level: bool,
    subjects: HashSet<&'a ComponentRef>,
    /// The finding's system's components by id.
    comps: HashMap<&'a str, &'a Component>,
}

impl<'a> Exposed<'a> {
    fn new(f: &'a Finding, inv: &'a Inventory) -> Exposed<'a> {
        Exposed {
            f,
            inv,
            system_level: f
                .parts
                .iter()
                .any(|p| p.subject.system == f.system && p.subject.component.is_none()),
            subjects: f.parts.iter().map(|p| &p.subject).collect(),
            comps: inv
                .systems
                .get(&f.system)
                .map_or_else(HashMap::default, |s| {
                    s.components.iter().map(|c| (&*c.id, c)).collect()
                }),
        }
    }

    /// The system of `r` and its component (`None` for the system itself); `None` when either is
    /// not in the inventory.
    fn lookup(&self, r: &ComponentRef) -> Option<(&'a System, Option<&'a Component>)> {
        let s = self.inv.systems.get(&r.system)?;
        let Some(id) = r.component.as_deref() else {
            return Some((s, None));
        };
        let c = if r.system == self.f.system {
            self.comps.get(id).copied()
        } else {
            s.component(id)
        };
        c.map(|c| (s, Some(c)))
    }

    fn kind(&self, r: &ComponentRef) -> ComponentKind {
        self.lookup(r)
            .and_then(|(_, c)| c)
            .map_or(ComponentKind::System, |c| c.kind)
    }

    /// Does the finding expose `r`: one of its parts, or a controller of its system when the
    /// system's own firmware is exposed.
    fn hit(&self, r: &ComponentRef) -> bool {
        r.system == self.f.system
            && (self.subjects.contains(r)
                || (self.system_level && self.kind(r) == ComponentKind::Controller))
    }
}

/// The dates the advisory's clocks give a part, as the rating computes them: a power-on-hours
/// threshold for drives ([`threshold_date`]), boot + uptime days for the rest.
fn part_date(
    advisory: Option<&Advisory>,
    system: &System,
    c: Option<&crate::inventory::Component>,
) -> Option<String> {
    let adv = advisory?;
    for t in &adv.triggers {
        match (t, c) {
            (Trigger::PowerOnHours { hours }, Some(c)) if c.kind == ComponentKind::Drive => {
                return Some(match threshold_date(c, *hours) {
                    Dating::On(d) => format!("fails {d}"),
                    Dating::Unrecorded => "date unknown".to_string(),
                    Dating::OutOfRange => "no date".to_string(),
                });
            }
            (Trigger::UptimeDays { days }, _) => {
                let out = system.booted(c).and_then(|b| {
                    i64::try_from(*days)
                        .ok()
                        .and_then(chrono::Duration::try_days)
                        .and_then(|d| b.checked_add_signed(d))
                });
                return Some(match (system.booted(c), out) {
                    (Some(_), Some(d)) => format!("fails {d}"),
                    (None, _) => "boot unknown".to_string(),
                    (Some(_), None) => "no date".to_string(),
                });
            }
            _ => {}
        }
    }
    None
}

fn kind_words(kind: &GroupKind) -> String {
    match kind {
        GroupKind::ControllerPair => "controller pair".into(),
        GroupKind::RaidGroup { tolerance } => format!("RAID group (tolerates {tolerance})"),
        GroupKind::Multipath => "multipath".into(),
        GroupKind::ReplicaPair => "replica pair".into(),
        GroupKind::PowerSupplies => "power supplies".into(),
        GroupKind::Cluster => "cluster".into(),
    }
}

/// The box of one group member (or of a part in no group).
fn member_box(
    exposed: &Exposed<'_>,
    advisory: Option<&Advisory>,
    r: &ComponentRef,
    load: Option<f64>,
) -> PartBox {
    let other = r.system != exposed.f.system;
    let Some((system, comp)) = exposed.lookup(r) else {
        return PartBox {
            lines: vec![r.to_string(), "not in inventory".into()],
            marker: None,
            other: true,
            title: format!("{r}: not in the inventory"),
        };
    };
    let (name, kind, count, firmware) = match comp {
        Some(c) => (
            c.id.to_string(),
            c.kind,
            c.count,
            c.firmware.raw().to_string(),
        ),
        None => (
            system.id.to_string(),
            ComponentKind::System,
            1,
            system.firmware.raw().to_string(),
        ),
    };
    let is_exposed = exposed.hit(r);
    let mut lines = vec![
        name.clone(),
        if count > 1 {
            format!("{kind} × {count}")
        } else {
            kind.to_string()
        },
        firmware.clone(),
    ];
    if other {
        lines.push("other system".into());
    } else if let Some(d) = is_exposed
        .then(|| part_date(advisory, system, comp))
        .flatten()
    {
        lines.push(d);
    } else if let Some(l) = load {
        lines.push(format!("load {}", pct(l)));
    }
    let title = format!(
        "{}: {kind}{}, firmware {firmware}{}{}",
        r,
        if count > 1 {
            format!(" × {count}")
        } else {
            String::new()
        },
        load.map_or(String::new(), |l| format!(", load {}", pct(l))),
        if is_exposed {
            ", EXPOSED: runs the affected firmware"
        } else if other {
            ", another system (its own findings apply to it)"
        } else {
            ", not exposed"
        }
    );
    PartBox {
        lines,
        marker: is_exposed.then_some("EXPOSED"),
        other,
        title,
    }
}

/// What a crash of one member does to the group: the survivors' load, as the rating computes
/// it. `None` for groups without a load figure that matters (RAID, paths, replicas).
fn group_consequence(g: &RedundancyGroup, exposed: &Exposed<'_>) -> Vec<(String, &'static str)> {
    let is_exposed = |m: &ComponentRef| exposed.hit(m);
    match g.kind {
        GroupKind::RaidGroup { tolerance } => {
            let (mut size, mut hit) = (0u64, 0u64);
            for m in &g.members {
                let n = exposed
                    .lookup(m)
                    .and_then(|(_, c)| c)
                    .map_or(1, |c| u64::from(c.count));
                size += n;
                if is_exposed(m) {
                    hit += n;
                }
            }
            let over = hit > u64::from(tolerance);
            vec![(
                format!(
                    "{hit} of {size} drives run the affected firmware; the group tolerates {tolerance}{}",
                    if over {
                        ": more can fail together than it survives"
                    } else {
                        ""
                    }
                ),
                if over { RED } else { INK },
            )]
        }
        GroupKind::ControllerPair | GroupKind::Cluster => {
            let n = g.members.len();
            if n < 2 {
                return vec![(
                    format!("{} is the only member: its crash is an outage", g.id),
                    RED,
                )];
            }
            let crashed = g
                .members
                .iter()
                .find(|m| is_exposed(m))
                .unwrap_or(&g.members[0]);
            let all = g.members.iter().all(is_exposed);
            let others: Vec<&str> = g
                .members
                .iter()
                .filter(|m| *m != crashed)
                .map(short)
                .collect();
            let mut lines = Vec::new();
            match g.load {
                None => lines.push((
                    "load per member not recorded: whether the survivors can carry a failure is unknown".to_string(),
                    AMBER,
                )),
                Some(load) => {
            let survivor = survivor_load(load, n);
            let over = survivor > 1.0;
            lines.push((
                format!(
                    "if {} fails, {} would {}carry {} of {} capacity{}",
                    short(crashed),
                    and_list(&others),
                    if others.len() > 1 { "each " } else { "" },
                    pct(survivor),
                    if others.len() > 1 { "their" } else { "its" },
                    if over {
                        " — over 100 %: an outage, not a slowdown"
                    } else {
                        " — degraded but running"
                    }
                ),
                if over { RED } else { GREEN },
            ));
                }
            }
            if all {
                lines.push((
                    "all members run the affected firmware (common mode): the survivor can fail the same way".to_string(),
                    RED,
                ));
            }
            lines
        }
        _ => Vec::new(),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == items.len() { " and " } else { ", " });
        }
        out.push_str(name);
    }
    out
}

fn short(r: &ComponentRef) -> &str {
    r.component.as_deref().unwrap_or(r.system.as_str())
}

/// The blast radius of one finding: its system with the parts grouped by redundancy group (kind,
/// load per member, the exposed parts hatched and marked `EXPOSED`, the survivors' load if one
/// fails), the failure domains it is in (for a bug that drops a domain's feed: the systems that
/// go down, marked `DOWN`), the services, users and tenants it reaches, and its backups with
/// whether the rating counts them as independent. `advisory` (the finding's, if at hand) dates
/// the exposed parts by its clock (power-on hours, uptime).
pub fn blast_radius(f: &Finding, inv: &Inventory, advisory: Option<&Advisory>) -> String {
    let mut c = Canvas::new(dom_id("blast", &f.id));
    let exposed = Exposed::new(f, inv);
    let sev = severity_colour(f.rating.severity);
    let mut y = 28;
    c.group(&format!("Finding {}", f.id));
    c.text(
        MARGIN,
        y,
        BODY.size(16).bold(),
        &clip(
            &format!("{} on {} ({})", f.advisory.id, f.system, f.system_name),
            100,
        ),
    );
    y += 20;
    c.text(MARGIN, y, BODY.size(12), &clip(&f.advisory.title, 130));
    y += 20;
    let state = if f.state == MatchState::Unknown {
        " · UNKNOWN match: review it"
    } else {
        ""
    };
    c.text(
        MARGIN,
        y,
        BODY.size(13).bold().fill(sev),
        &format!(
            "{} · score {} · {} · {} · {}{state}",
            f.rating.severity.as_str().to_uppercase(),
            f.rating.score,
            f.rating.consequence,
            f.rating.urgency,
            f.rating.code
        ),
    );
    for line in wrap(&top_reason(f), 128, 3) {
        y += 16;
        c.text(MARGIN, y, BODY, &line);
    }
    c.end_group();
    y += 26;
    let domain_down = f
        .advisory
        .effects
        .iter()
        .any(|e| matches!(e, Effect::PowerLoss | Effect::PathLoss));
    let mut legend = vec![
        (true, "EXPOSED: runs the affected firmware"),
        (false, "not exposed"),
    ];
    if domain_down {
        legend.push((true, "DOWN: goes down with the failure domain"));
    }
    c.legend(y, &legend);
    y += 18;

    match inv.systems.get(&f.system) {
        Some(system) => y = system_panel(&mut c, y, system, inv, &exposed, advisory),
        None => {
            c.text(
                MARGIN,
                y + 14,
                BODY.fill(AMBER),
                &format!(
                    "system {} is not in the inventory: its topology cannot be drawn",
                    f.system
                ),
            );
            y += 24;
        }
    }
    y = domains_panel(&mut c, y, f, inv, &exposed, domain_down);
    y = reach_panel(&mut c, y, f, inv);
    y = backups_panel(&mut c, y, f, inv);

    y += 18;
    c.group("Fix and match");
    c.text(
        MARGIN,
        y,
        BODY.size(11).fill(MUTED),
        &clip(
            &format!(
                "fixed in: {} · match: {}",
                if f.fixed_in.is_empty() {
                    "no fixed version stated".to_string()
                } else {
                    f.fixed_in.join(", ")
                },
                if f.state == MatchState::Confirmed {
                    "confirmed".to_string()
                } else {
                    format!("UNKNOWN — {}", f.evidence)
                }
            ),
            140,
        ),
    );
    c.end_group();
    y += 14;

    let title = format!(
        "Blast radius of {}: {} (score {}), {}",
        f.id, f.rating.severity, f.rating.score, f.rating.consequence
    );
    let mut desc = format!(
        "{} on {} ({}): {}. Rated {} (score {}), {}, {}, code {}.",
        f.advisory.id,
        f.system,
        f.system_name,
        f.advisory.title,
        f.rating.severity,
        f.rating.score,
        f.rating.consequence,
        f.rating.urgency,
        f.rating.code
    );
    for r in f.rating.reasons.iter().take(12) {
        desc.push(' ');
        desc.push_str(&clip(r, 400));
        if !desc.ends_with('.') {
            desc.push('.');
        }
    }
    c.finish(y, &clip(&title, 300), &desc)
}

/// The system's box: its header line, one row of parts per redundancy group holding any of them
/// (the groups with exposed parts first), then the parts in no group. Returns the next y.
fn system_panel(
    c: &mut Canvas,
    y0: i64,
    system: &System,
    inv: &Inventory,
    exposed: &Exposed<'_>,
    advisory: Option<&Advisory>,
) -> i64 {
    let mut body = Canvas::new(c.id.clone());
    let inner = MARGIN + 12;
    let mut y = y0 + 22;
    body.text(
        inner,
        y,
        BODY.size(13).bold(),
        &clip(&format!("System {} — {}", system.id, system.name), 100),
    );
    y += 16;
    let own = exposed.system_level;
    body.text(
        inner,
        y,
        BODY.size(11).fill(MUTED),
        &clip(
            &format!(
                "{} {} · firmware {}{} · site {} · owner {}",
                system.vendor,
                system.model,
                system.firmware.raw(),
                if own { " (EXPOSED)" } else { "" },
                system.site.as_ref().map_or("not recorded", |s| s.as_str()),
                system.owner
            ),
            140,
        ),
    );
    y += 10;

    // The groups with a member on this system, those with an exposed member first.
    let mut groups: Vec<(&RedundancyGroup, bool)> = inv
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m.system == system.id))
        .map(|g| {
            let hit = g.members.iter().any(|m| exposed.hit(m));
            (g, hit)
        })
        .collect();
    groups.sort_by_key(|(_, hit)| !hit);
    let hidden_groups = groups.len().saturating_sub(MAX_GROUPS);
    for (g, _) in groups.iter().take(MAX_GROUPS) {
        y += 22;
        let head = format!(
            "{} {}{}",
            kind_words(&g.kind),
            g.id,
            g.load.map_or(String::new(), |l| format!(
                " · each member carries {} of its capacity",
                pct(l)
            ))
        );
        let consequence = group_consequence(g, exposed);
        body.group(&format!(
            "{head}{}",
            consequence
                .iter()
                .map(|(line, _)| format!(". {line}"))
                .collect::<String>()
        ));
        body.text(inner, y, BODY.bold(), &clip(&head, 130));
        y += 8;
        y += part_row(
            &mut body,
            inner,
            y,
            &g.members,
            |m| member_box(exposed, advisory, m, g.load),
            |m| exposed.hit(m),
            "EXPOSED",
        );
        for (line, colour) in consequence {
            y += 16;
            body.text(inner, y, BODY.bold().fill(colour), &clip(&line, 118));
        }
        body.end_group();
    }
    if hidden_groups > 0 {
        y += 18;
        body.text(
            inner,
            y,
            BODY.fill(MUTED),
            &format!("+{hidden_groups} more redundancy groups not drawn"),
        );
    }
    // Parts in no group.
    let grouped: std::collections::BTreeSet<&str> = inv
        .groups
        .values()
        .flat_map(|g| &g.members)
        .filter(|m| m.system == system.id)
        .filter_map(|m| m.component.as_deref())
        .collect();
    let loose: Vec<ComponentRef> = system
        .components
        .iter()
        .filter(|comp| !grouped.contains(&*comp.id))
        .map(|comp| ComponentRef {
            system: system.id.clone(),
            component: Some(comp.id.clone()),
        })
        .collect();
    if !loose.is_empty() {
        y += 22;
        let n = loose.len();
        body.group(&format!(
            "{n} part{} in no redundancy group",
            if n == 1 { "" } else { "s" }
        ));
        body.text(
            inner,
            y,
            BODY.bold(),
            "in no redundancy group (nothing takes over)",
        );
        y += 8;
        y += part_row(
            &mut body,
            inner,
            y,
            &loose,
            |r| member_box(exposed, advisory, r, None),
            |r| exposed.hit(r),
            "EXPOSED",
        );
        body.end_group();
    }
    if groups.is_empty() && system.components.is_empty() {
        y += 18;
        body.text(
            inner,
            y,
            BODY.fill(MUTED),
            "no parts or redundancy groups recorded",
        );
    }
    y += 14;
    c.group(&format!("System {} ({})", system.id, system.name));
    c.rect(
        MARGIN,
        y0,
        WIDTH - 2 * MARGIN,
        y - y0,
        "#ffffff",
        INK,
        false,
        false,
    );
    c.body.push_str(&body.body);
    c.end_group();
    y + 8
}

/// The failure domains the system is in, and for a bug that drops a feed (`domain_down`) the
/// domains its exposed parts feed, with every member marked `DOWN` (the rating's reach names the
/// systems that go down) or as keeping a second feed. Returns the next y.
fn domains_panel(
    c: &mut Canvas,
    mut y: i64,
    f: &Finding,
    inv: &Inventory,
    exposed: &Exposed<'_>,
    domain_down: bool,
) -> i64 {
    let feeds = |d: &FailureDomain| d.fed_by.iter().any(|r| exposed.hit(r));
    let down = |s: &crate::inventory::SystemId| f.rating.reach.systems.binary_search(s).is_ok();
    let fed: Vec<&FailureDomain> = if domain_down {
        inv.domains.values().filter(|d| feeds(d)).collect()
    } else {
        Vec::new()
    };
    let member_of: Vec<&FailureDomain> = inv
        .domains
        .values()
        .filter(|d| !fed.iter().any(|x| x.id == d.id))
        .filter(|d| d.members.iter().any(|m| m.system == f.system))
        .collect();
    if fed.is_empty() && member_of.is_empty() {
        return y;
    }
    y += 20;
    c.group("Failure domains");
    c.text(MARGIN, y, BODY.size(13).bold(), "Failure domains");
    for d in fed.iter().take(MAX_ITEMS) {
        y += 20;
        let feeders: Vec<String> = d.fed_by.iter().map(|r| r.to_string()).collect();
        let head = format!(
            "{} {} — fed by {} (EXPOSED): the bug can drop it",
            d.kind.as_str(),
            d.id,
            feeders.join(", ")
        );
        let gone: Vec<&str> = d
            .members
            .iter()
            .filter(|m| down(&m.system))
            .take(20)
            .map(|m| m.system.as_str())
            .collect();
        c.group(&format!(
            "{head}. Down with it: {}",
            if gone.is_empty() {
                "none (every member keeps a second feed)".to_string()
            } else {
                gone.join(", ")
            }
        ));
        c.text(MARGIN, y, BODY.bold().fill(RED), &clip(&head, 130));
        y += 8;
        let draw = |m: &ComponentRef| {
            let is_down = down(&m.system);
            let name = inv
                .systems
                .get(&m.system)
                .map_or(String::new(), |s| s.name.clone());
            PartBox {
                lines: vec![
                    short(m).to_string(),
                    if m.component.is_some() {
                        format!("on {}", m.system)
                    } else {
                        name.clone()
                    },
                    if is_down {
                        String::new()
                    } else {
                        "second feed".into()
                    },
                ],
                marker: is_down.then_some("DOWN"),
                other: false,
                title: format!(
                    "{m} ({name}): {}",
                    if is_down {
                        "DOWN: goes down with the domain"
                    } else {
                        "keeps running on a second feed"
                    }
                ),
            }
        };
        y += part_row(c, MARGIN, y, &d.members, draw, |m| down(&m.system), "DOWN");
        c.end_group();
    }
    for d in member_of.iter().take(MAX_ITEMS) {
        y += 18;
        let mut members: Vec<String> = d.members.iter().take(12).map(|m| m.to_string()).collect();
        if d.members.len() > members.len() {
            members.push(format!("+{} more", d.members.len() - members.len()));
        }
        let line = format!(
            "{} {}{}: {}",
            d.kind.as_str(),
            d.id,
            if d.fed_by.is_empty() {
                String::new()
            } else {
                format!(
                    " (fed by {})",
                    d.fed_by
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            members.join(", ")
        );
        let line = clip(&line, 130);
        c.group(&line);
        c.text(MARGIN, y, BODY, &clip(&line, 130));
        c.end_group();
    }
    let hidden = fed.len().saturating_sub(MAX_ITEMS) + member_of.len().saturating_sub(MAX_ITEMS);
    if hidden > 0 {
        y += 18;
        c.text(
            MARGIN,
            y,
            BODY.fill(MUTED),
            &format!("+{hidden} more failure domains not drawn"),
        );
    }
    c.end_group();
    y + 6
}

/// The services reached, with users, tenants and criticality, and the rating's reach line.
fn reach_panel(c: &mut Canvas, mut y: i64, f: &Finding, inv: &Inventory) -> i64 {
    let reach = &f.rating.reach;
    y += 24;
    let line = reach
        .line()
        .unwrap_or_else(|| "no service, user or tenant is recorded as depending on it".into());
    c.group(&format!("Reached: {line}"));
    c.text(MARGIN, y, BODY.size(13).bold(), "Reached");
    c.text(
        MARGIN + 70,
        y,
        BODY.bold().fill(severity_colour(f.rating.severity)),
        &clip(&line, 110),
    );
    const SVC_W: i64 = 204;
    let shown = reach
        .services
        .len()
        .min(if reach.services.len() > 4 { 3 } else { 4 });
    if !reach.services.is_empty() {
        y += 10;
        for (i, id) in reach.services.iter().take(shown).enumerate() {
            let x = MARGIN + i as i64 * (SVC_W + BOX_GAP);
            let svc = inv.services.get(id);
            let name = svc.map_or(id.to_string(), |s| s.name.clone());
            let users = svc.map_or(0, |s| s.users);
            let tenants = svc.map_or(0, |s| s.tenants.len());
            let crit = svc.map_or("?", |s| match s.criticality {
                crate::inventory::Criticality::Low => "low",
                crate::inventory::Criticality::Medium => "medium",
                crate::inventory::Criticality::High => "high",
                crate::inventory::Criticality::Critical => "critical",
            });
            let channel = svc.is_some_and(|s| s.notification_channel);
            c.group(&format!(
                "Service {id} ({name}): {} users, {tenants} tenants, criticality {crit}{}",
                thousands(users),
                if channel {
                    ", carries notifications"
                } else {
                    ""
                }
            ));
            c.rect(x, y, SVC_W, 62, PANEL, LINE, false, false);
            c.text(x + 6, y + 15, BODY.size(11).bold(), &clip(&name, 32));
            c.text(
                x + 6,
                y + 29,
                BODY.size(10).fill(MUTED),
                &clip(id.as_str(), 34),
            );
            c.text(
                x + 6,
                y + 43,
                BODY.size(10),
                &format!("{} users · {tenants} tenants · {crit}", thousands(users)),
            );
            if channel {
                c.text(
                    x + 6,
                    y + 56,
                    BODY.size(10).bold().fill(RED),
                    "carries notifications",
                );
            }
            c.end_group();
        }
        if reach.services.len() > shown {
            let x = MARGIN + shown as i64 * (SVC_W + BOX_GAP);
            let rest = reach.services.len() - shown;
            c.rect(x, y, SVC_W, 62, "#ffffff", LINE, false, true);
            c.text(
                x + 6,
                y + 20,
                BODY.size(11).bold(),
                &format!("+{rest} more services"),
            );
            c.text(x + 6, y + 36, BODY.size(10), "counted above, not drawn");
        }
        y += 62;
    }
    if !reach.tenants.is_empty() {
        y += 16;
        let n = reach.tenants.len();
        let list: Vec<&str> = reach.tenants.iter().take(12).map(String::as_str).collect();
        c.text(
            MARGIN,
            y,
            BODY.size(11),
            &clip(
                &format!(
                    "{n} tenant{}: {}{}",
                    if n == 1 { "" } else { "s" },
                    list.join(", "),
                    if n > list.len() {
                        format!(" (+{} more)", n - list.len())
                    } else {
                        String::new()
                    }
                ),
                140,
            ),
        );
    }
    c.end_group();
    y + 6
}

/// The system's backups and replicas, each with the rating's verdict on it: the line of
/// `rating.backup` that names its target (independent, or why not), else not checked.
fn backups_panel(c: &mut Canvas, mut y: i64, f: &Finding, inv: &Inventory) -> i64 {
    let backups: Vec<&crate::inventory::Backup> = inv.backups_of(&f.system).collect();
    let verdict_lines: Vec<&str> = f
        .rating
        .backup
        .as_deref()
        .map_or(Vec::new(), |b| b.split("; ").collect());
    y += 24;
    c.group("Backups and replicas");
    c.text(MARGIN, y, BODY.size(13).bold(), "Backups and replicas");
    match &f.rating.backup {
        Some(b) => {
            let independent = b.starts_with("recoverable from");
            c.text(
                MARGIN + 170,
                y,
                BODY.bold().fill(if independent { GREEN } else { RED }),
                if independent {
                    "an independent copy exists"
                } else {
                    "NO independent copy: the data can be lost"
                },
            );
        }
        None => c.text(
            MARGIN + 170,
            y,
            BODY.fill(MUTED),
            "independence is rated for data-loss findings; this one loses no data",
        ),
    }
    if backups.is_empty() {
        y += 18;
        c.text(
            MARGIN,
            y,
            BODY,
            &format!("no backup or replica of {} is recorded", f.system),
        );
    }
    for b in backups.iter().take(MAX_ITEMS) {
        y += 10;
        let kind = match b.kind {
            crate::inventory::BackupKind::Backup => "backup",
            crate::inventory::BackupKind::Replica => "replica",
        };
        let line = verdict_lines
            .iter()
            .find(|l| names(l, b.to.as_str()))
            .copied();
        let (status, colour, hatched) = match line {
            Some(l) if l.starts_with("recoverable from") => ("INDEPENDENT", GREEN, false),
            Some(_) => ("NOT INDEPENDENT", RED, true),
            None if f.rating.backup.is_some() => ("NOT COUNTED", MUTED, false),
            None => ("not rated", MUTED, false),
        };
        let to = inv.systems.get(&b.to);
        let title = format!(
            "{kind} of {} on {}: {status}{}",
            f.system,
            b.to,
            line.map_or(String::new(), |l| format!(" — {l}"))
        );
        c.group(&title);
        c.rect(
            MARGIN,
            y,
            WIDTH - 2 * MARGIN,
            40,
            PANEL,
            if hatched { RED } else { LINE },
            hatched,
            false,
        );
        c.text(
            MARGIN + 8,
            y + 16,
            BODY.size(12).bold(),
            &clip(
                &format!(
                    "{kind} → {}{}",
                    b.to,
                    to.map_or(String::new(), |s| format!(
                        " ({}, site {})",
                        s.name,
                        s.site.as_ref().map_or("not recorded", |x| x.as_str())
                    ))
                ),
                80,
            ),
        );
        c.text(
            WIDTH - MARGIN - 8,
            y + 16,
            BODY.size(11).bold().fill(colour).end(),
            status,
        );
        c.text(
            MARGIN + 8,
            y + 32,
            BODY.size(10),
            &clip(
                line.unwrap_or(if f.rating.backup.is_some() {
                    "the rating counts another copy as the independent one and says nothing of this one"
                } else {
                    "its independence matters for bugs that lose data"
                }),
                150,
            ),
        );
        c.end_group();
        y += 40;
    }
    if backups.len() > MAX_ITEMS {
        y += 16;
        c.text(
            MARGIN,
            y,
            BODY.fill(MUTED),
            &format!("+{} more backups not drawn", backups.len() - MAX_ITEMS),
        );
    }
    c.end_group();
    y + 6
}

/// Does the rating's line name the id as a whole word? Ids are made of letters, digits, `-`, `_`
/// and `.`, so `iaas-unity` is not found in `iaas-unity-backup`.
fn names(line: &str, id: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    line.split(|c: char| !word(c))
        .any(|w| w == id || w.strip_suffix('.') == Some(id))
}

// ------------------------------------------------------------------------------------------------
// Timeline
// ------------------------------------------------------------------------------------------------

const LABEL_X: i64 = MARGIN;
const CHART_X0: i64 = 258;
const CHART_X1: i64 = WIDTH - 40;
const LANE_H: i64 = 16;

/// The time bombs of `findings` over `months` from `today` (see [`timeline::build`]), with the
/// steps of `plan` marked.
pub fn timeline(
    findings: &[Finding],
    inv: &Inventory,
    today: NaiveDate,
    months: u32,
    plan: Option<&RolloutPlan>,
) -> String {
    timeline_svg(&timeline::build(findings, inv, today, months, plan))
}

/// Lanes of labels in one band: each label goes in the first lane where it does not overlap the
/// previous one.
#[derive(Default)]
struct Lanes {
    ends: Vec<i64>,
}

impl Lanes {
    fn place(&mut self, from: i64, to: i64) -> usize {
        for (k, end) in self.ends.iter_mut().enumerate() {
            if from > *end + 6 {
                *end = to;
                return k;
            }
        }
        self.ends.push(to);
        self.ends.len() - 1
    }
}

/// Where a label of `text` next to a marker at `x` goes: after the marker, or before it when it
/// would run off the chart. Returns (x of the text, whether it ends there, its span).
fn label_at(x: i64, text: &str, size: i64) -> (i64, bool, (i64, i64)) {
    let w = text.chars().count() as i64 * size * 58 / 100;
    if x + 8 + w <= WIDTH - 4 {
        (x + 8, false, (x - 5, x + 8 + w))
    } else {
        (x - 8, true, (x - 8 - w, x + 5))
    }
}

/// The timeline picture of `t`.
pub fn timeline_svg(t: &Timeline) -> String {
    let mut c = Canvas::new(dom_id(
        "timeline",
        &format!("{}-{}-{}", t.today, t.months, t.marks()),
    ));
    let span = (t.until - t.today).num_days().max(1);
    let x_of = |d: NaiveDate| {
        CHART_X0 + (d - t.today).num_days().clamp(0, span) * (CHART_X1 - CHART_X0) / span
    };

    let mut y = 28;
    c.group("Heading");
    c.text(
        MARGIN,
        y,
        BODY.size(16).bold(),
        &format!("Time bombs: dated triggers from {} to {}", t.today, t.until),
    );
    y += 18;
    c.text(
        MARGIN,
        y,
        BODY.size(11).fill(MUTED),
        &format!(
            "{} trigger{} in {} row{} (RAID group, redundancy group or system) · a diamond is a finding's date, PAST DUE ones sit on today{}",
            t.marks(),
            if t.marks() == 1 { "" } else { "s" },
            t.rows.len(),
            if t.rows.len() == 1 { "" } else { "s" },
            if t.steps.is_some() {
                " · blue: planned update steps"
            } else {
                ""
            }
        ),
    );
    c.end_group();

    // The axis: month ticks, a label every 1, 3 or 12 months as space allows.
    y += 22;
    let axis_y = y + 16;
    let per_month = (CHART_X1 - CHART_X0) / i64::from(t.months.max(1));
    let every: u32 = if per_month >= 44 {
        1
    } else if per_month >= 15 {
        3
    } else {
        12
    };
    c.group(&format!("Months from {} to {}", t.today, t.until));
    c.line((CHART_X0, axis_y), (CHART_X1, axis_y), INK, None);
    let mut m = first_of_next_month(t.today);
    while let Some(d) = m.filter(|d| *d <= t.until) {
        let x = x_of(d);
        let january = d.month() == 1;
        c.line(
            (x, axis_y - if january { 8 } else { 4 }),
            (x, axis_y),
            INK,
            None,
        );
        if (d.month() - 1) % every == 0 {
            c.text(
                x - 18,
                axis_y - 10,
                BODY.size(10).fill(if january { INK } else { MUTED }),
                &d.format("%Y-%m").to_string(),
            );
        }
        m = first_of_next_month(d);
    }
    c.end_group();

    let rows_top = axis_y + 6;
    let mut y = rows_top;
    let mut desc = format!(
        "Dated triggers of the findings from {} to {}: {} in {} rows.",
        t.today,
        t.until,
        t.marks(),
        t.rows.len()
    );
    if t.rows.is_empty() {
        y += 24;
        c.text(
            CHART_X0,
            y,
            BODY.fill(MUTED),
            "no dated trigger in this span",
        );
        desc.push_str(" No dated trigger in this span.");
    }
    for (i, row) in t.rows.iter().take(MAX_ROWS).enumerate() {
        let mut lanes = Lanes::default();
        let mut items = String::new();
        let mut placed: Vec<(i64, usize, String, bool, &'static str, bool)> = Vec::new();
        let shown = row.marks.len().min(MAX_MARKS);
        for mk in &row.marks[..shown] {
            let x = x_of(mk.date);
            let text = format!(
                "{} · {} · {}",
                clip(&mk.advisory, 24),
                mk.parts,
                if mk.past_due {
                    "PAST DUE".to_string()
                } else {
                    mk.date.to_string()
                }
            );
            let (_, _, (from, to)) = label_at(x, &text, 11);
            let lane = lanes.place(from, to);
            let _ = write!(
                items,
                " {} ({}, {} [{}]);",
                mk.advisory,
                mk.parts,
                if mk.past_due {
                    format!("PAST DUE: due on or before {}", t.today)
                } else {
                    format!("fires {}", mk.date)
                },
                mk.severity,
            );
            placed.push((
                x,
                lane,
                text,
                mk.past_due,
                severity_colour(mk.severity),
                false,
            ));
        }
        for u in &row.updates {
            let x = x_of(u.date);
            let text = format!("update: {} · {}", clip(&u.step, 24), u.date);
            let (_, _, (from, to)) = label_at(x, &text, 11);
            let lane = lanes.place(from, to);
            let _ = write!(items, " plan step {} updates it on {};", u.step, u.date);
            placed.push((x, lane, text, false, BLUE, true));
        }
        let height = (lanes.ends.len() as i64 * LANE_H + 14).max(40);
        let label = format!(
            "{} {}{}",
            row.kind.label(),
            row.id,
            if row.kind == RowKind::System {
                String::new()
            } else {
                format!(" on {}", row.system)
            }
        );
        let _ = write!(desc, " {label}:{items}");
        c.group(&format!("{label}:{items}"));
        if i % 2 == 0 {
            c.rect(
                MARGIN - 4,
                y,
                WIDTH - 2 * MARGIN + 8,
                height,
                PANEL,
                PANEL,
                false,
                false,
            );
        }
        c.text(LABEL_X, y + 16, BODY.size(11).bold(), &clip(&row.id, 32));
        c.text(
            LABEL_X,
            y + 30,
            BODY.size(10).fill(MUTED),
            &clip(
                &if row.kind == RowKind::System {
                    "system".to_string()
                } else {
                    format!("{} on {}", row.kind.label(), row.system)
                },
                38,
            ),
        );
        for (x, lane, text, past_due, colour, update) in placed {
            let my = y + 14 + lane as i64 * LANE_H;
            let (tx, end, _) = label_at(x, &text, 11);
            if update {
                c.rect(x - 4, my - 8, 8, 8, "#ffffff", BLUE, false, false);
            } else {
                let _ = writeln!(
                    c.body,
                    "<path d=\"M{x} {} l5 5 l-5 5 l-5 -5 z\" fill=\"{colour}\" stroke=\"{}\" stroke-width=\"{}\"/>",
                    my - 9,
                    if past_due { RED } else { INK },
                    if past_due { 2 } else { 1 }
                );
            }
            let font = BODY.size(11).fill(if update { BLUE } else { INK });
            let font = if past_due {
                font.bold().fill(RED)
            } else {
                font
            };
            c.text(tx, my, if end { font.end() } else { font }, &text);
        }
        if row.marks.len() > shown {
            c.text(
                LABEL_X,
                y + height - 4,
                BODY.size(10).fill(MUTED),
                &format!("+{} more triggers in this row", row.marks.len() - shown),
            );
        }
        c.end_group();
        y += height;
    }
    let rows_bottom = y;
    if t.rows.len() > MAX_ROWS {
        y += 16;
        c.text(
            LABEL_X,
            y,
            BODY.fill(MUTED),
            &format!("+{} more rows not drawn", t.rows.len() - MAX_ROWS),
        );
        let _ = write!(desc, " {} more rows not drawn.", t.rows.len() - MAX_ROWS);
    }

    // Today, and the plan's steps across every row.
    c.group(&format!("Today: {}", t.today));
    c.line(
        (CHART_X0, axis_y - 2),
        (CHART_X0, rows_bottom),
        RED,
        Some("4 3"),
    );
    c.text(
        CHART_X0,
        axis_y - 24,
        BODY.size(11).bold().fill(RED),
        &format!("today {}", t.today),
    );
    c.end_group();
    let mut lanes = Lanes::default();
    let steps: Vec<_> = t.steps_in_span().collect();
    let mut step_labels = Vec::new();
    for (s, d) in &steps {
        let x = x_of(*d);
        let text = format!("step {} · {}", clip(&s.name, 30), d);
        let (tx, end, (from, to)) = label_at(x, &text, 10);
        let lane = lanes.place(from, to);
        step_labels.push((s, x, tx, end, lane, text));
    }
    if !steps.is_empty() {
        y += 6;
    }
    for (s, x, tx, end, lane, text) in step_labels {
        let ly = y + 14 + lane as i64 * 14;
        c.group(&format!("Plan step {}: {}", s.name, s.targets.join(", ")));
        c.line((x, axis_y), (x, ly - 10), BLUE, Some("2 3"));
        let font = BODY.size(10).fill(BLUE);
        c.text(tx, ly, if end { font.end() } else { font }, &text);
        c.end_group();
        let _ = write!(
            desc,
            " Plan step {} on {}: {}.",
            s.name,
            d_or(s.date),
            s.targets.join(", ")
        );
    }
    y += lanes.ends.len() as i64 * 14;

    // What is not drawn.
    let mut notes = Vec::new();
    if t.later > 0 {
        notes.push(format!(
            "{} more dated trigger{} after {} (not drawn)",
            t.later,
            if t.later == 1 { "" } else { "s" },
            t.until
        ));
    }
    if let Some(all) = &t.steps {
        let undated: Vec<&str> = all
            .iter()
            .filter(|s| s.date.is_none())
            .map(|s| s.name.as_str())
            .collect();
        if !undated.is_empty() {
            notes.push(format!(
                "plan steps without a date (not placed): {}",
                undated.join(", ")
            ));
        }
        let outside: Vec<String> = all
            .iter()
            .filter_map(|s| {
                s.date
                    .filter(|d| *d < t.today || *d > t.until)
                    .map(|d| format!("{} ({d})", s.name))
            })
            .collect();
        if !outside.is_empty() {
            notes.push(format!(
                "plan steps outside this span: {}",
                outside.join(", ")
            ));
        }
    }
    if !notes.is_empty() {
        c.group("Not drawn");
        for n in &notes {
            y += 16;
            c.text(LABEL_X, y, BODY.size(11).fill(MUTED), &clip(n, 140));
            let _ = write!(desc, " {n}.");
        }
        c.end_group();
    }
    y += 16;
    c.finish(
        y,
        &format!("Time bombs from {} to {}", t.today, t.until),
        &desc,
    )
}

fn d_or(d: Option<NaiveDate>) -> String {
    d.map_or("no date".into(), |d| d.to_string())
}

/// The first day of the month after `d`.
fn first_of_next_month(d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::Part;
    use crate::check::{Step, Target};
    use crate::inventory::{Criticality, DomainKind};
    use crate::testkit::*;
    use crate::version::Scheme;

    const HOSTILE: &str = "</text><script>alert(1)</script> \"q\" 'a' & \u{1b}[31m\u{0}\r\nend";

    /// The shared mail array of the CTY incident: two storage processors at 60 %, a crash bug on
    /// both, a service with users and a tenant, a backup on another array.
    fn cty() -> (Estate, Advisory) {
        let e = Estate::new()
            .unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", 0.6)
            .system("bk", "Dell EMC", "Data Domain", Scheme::Intdot, "7.10.1.0")
            .service("mail", 50_511, &["catv"], Criticality::High, &["arr"])
            .backup("arr", "bk");
        let a = advisory_for(
            "FWN-2",
            "Dell",
            "Unity",
            "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
        )
        .on(ComponentKind::Controller)
        .effects(&[Effect::ComponentCrash]);
        (e, a)
    }

    fn one(e: &Estate, a: &Advisory, id: &str) -> Finding {
        run(e, std::slice::from_ref(a))
            .into_iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("no finding {id}"))
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"))
    }

    fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect()
    }

    /// Root `role="img"`, labelled by its own title and desc; a title first in every group; every
    /// hatched box says in text why it is hatched.
    fn assert_accessible(svg: &str) {
        let doc = parse(svg);
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        let labels: Vec<&str> = root
            .attribute("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        assert_eq!(labels.len(), 2);
        let by_id = |id: &str| doc.descendants().find(|n| n.attribute("id") == Some(id));
        assert!(by_id(labels[0]).unwrap().has_tag_name("title"));
        assert!(by_id(labels[1]).unwrap().has_tag_name("desc"));
        assert!(!by_id(labels[0])
            .unwrap()
            .text()
            .unwrap_or("")
            .trim()
            .is_empty());
        assert!(!by_id(labels[1])
            .unwrap()
            .text()
            .unwrap_or("")
            .trim()
            .is_empty());
        for g in doc.descendants().filter(|n| n.has_tag_name("g")) {
            let first = g.children().find(|n| n.is_element()).unwrap();
            assert!(first.has_tag_name("title"), "a group without a title");
            assert!(!first.text().unwrap_or("").trim().is_empty());
        }
        for rect in doc.descendants().filter(|n| {
            n.has_tag_name("rect")
                && n.attribute("fill").is_some_and(|f| f.starts_with("url(#"))
                && n.parent().is_some_and(|p| p.has_tag_name("g"))
        }) {
            let g = rect.parent().unwrap();
            let said: Vec<&str> = g
                .children()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .collect();
            assert!(
                said.iter().any(|t| t.contains("EXPOSED")
                    || t.contains("DOWN")
                    || t.contains("NOT INDEPENDENT")
                    || t.contains("not exposed")),
                "a hatched box without a text marker: {said:?}"
            );
        }
        // Nothing that runs, styles or fetches.
        for n in doc.descendants().filter(|n| n.is_element()) {
            let tag = n.tag_name().name();
            assert!(
                !["script", "style", "foreignObject", "image", "a", "use"].contains(&tag),
                "<{tag}> in a picture"
            );
            for a in n.attributes() {
                assert!(
                    !a.name().starts_with("on"),
                    "handler {} in a picture",
                    a.name()
                );
                assert_ne!(a.name(), "style");
                assert!(!a.value().contains("http") || a.name() == "xmlns");
            }
        }
    }

    #[test]
    fn the_survivors_load_is_the_ratings_and_over_100_percent_is_red() {
        let (e, a) = cty();
        let f = one(&e, &a, "FWN-2@arr");
        let svg = blast_radius(&f, &e.0, Some(&a));
        let doc = parse(&svg);
        let line = doc
            .descendants()
            .find(|n| n.text().is_some_and(|t| t.starts_with("if spa fails")))
            .unwrap();
        assert_eq!(
            line.text().unwrap(),
            "if spa fails, spb would carry 120 % of its capacity — over 100 %: an outage, not a slowdown"
        );
        assert_eq!(line.attribute("fill"), Some(RED));
        // Both storage processors are exposed and say so.
        let t = texts(&doc);
        assert_eq!(t.iter().filter(|t| *t == "EXPOSED").count(), 2, "{t:?}");
        assert!(t.iter().any(|t| t == "load 60 %"));
        assert!(t
            .iter()
            .any(|t| t.contains("reaches 1 service, 50,511 users, 1 tenant")));

        let e = Estate::new()
            .unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", 0.4)
            .service("mail", 10, &[], Criticality::High, &["arr"]);
        let f = one(&e, &a, "FWN-2@arr");
        let svg = blast_radius(&f, &e.0, Some(&a));
        let doc = parse(&svg);
        let line = doc
            .descendants()
            .find(|n| n.text().is_some_and(|t| t.starts_with("if spa fails")))
            .unwrap();
        assert!(line
            .text()
            .unwrap()
            .contains("80 % of its capacity — degraded but running"));
        assert_eq!(line.attribute("fill"), Some(GREEN));
    }

    #[test]
    fn every_string_from_advisories_and_the_inventory_is_escaped() {
        let (mut e, a) = cty();
        e.sys("arr").name = HOSTILE.into();
        e.sys("arr").tenants = vec![HOSTILE.into()];
        let svc: crate::inventory::ServiceId = "mail".parse().unwrap();
        e.0.services.get_mut(&svc).unwrap().name = HOSTILE.into();
        let mut f = one(&e, &a, "FWN-2@arr");
        f.id = format!("{HOSTILE}@arr");
        std::sync::Arc::make_mut(&mut f.advisory).id = HOSTILE.into();
        std::sync::Arc::make_mut(&mut f.advisory).title = HOSTILE.into();
        f.system_name = HOSTILE.into();
        f.evidence = HOSTILE.into();
        f.fixed_in = vec![HOSTILE.into()];
        f.rating.reasons.insert(1, HOSTILE.into());
        f.parts.push(Part {
            subject: r("arr/spa"),
            kind: ComponentKind::Controller,
            count: 1,
            firmware: HOSTILE.into(),
        });
        let svg = blast_radius(&f, &e.0, Some(&a));
        let doc = parse(&svg);
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        assert!(!svg.contains("<script"), "unescaped");
        assert!(!svg.contains('\u{1b}') && !svg.contains('\u{0}') && !svg.contains('\r'));
        // The text survives, as text.
        let t = texts(&doc);
        assert!(
            t.iter()
                .any(|t| t.contains("</text><script>alert(1)</script> \"q\" 'a' &")),
            "{t:?}"
        );
        let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
        assert!(title.text().unwrap().contains("<script>alert(1)</script>"));
        assert_accessible(&svg);

        // The timeline too: advisory ids and titles, plan step names, row ids.
        let mut f = f.clone();
        f.rating.urgency = crate::blast::Urgency::ByDate("2027-03-01".parse().unwrap());
        let plan = RolloutPlan {
            steps: vec![Step {
                name: HOSTILE.into(),
                window: None,
                date: Some("2027-01-10".parse().unwrap()),
                targets: vec![Target {
                    subject: r("arr"),
                    to: HOSTILE.into(),
                }],
            }],
        };
        let svg = timeline(&[f], &e.0, today(), 24, Some(&plan));
        let doc = parse(&svg);
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        assert!(texts(&doc).iter().any(|t| t.contains("<script>")));
        assert_accessible(&svg);
    }

    #[test]
    fn a_picture_is_the_same_bytes_every_time() {
        let (e, a) = cty();
        let draw = || blast_radius(&one(&e, &a, "FWN-2@arr"), &e.0, Some(&a));
        let first = draw();
        assert_eq!(first, draw());
        let timeline_of = || {
            let mut f = one(&e, &a, "FWN-2@arr");
            f.rating.urgency = crate::blast::Urgency::ByDate("2027-03-01".parse().unwrap());
            timeline(&[f], &e.0, today(), 24, None)
        };
        assert_eq!(timeline_of(), timeline_of());
    }

    #[test]
    fn the_picture_is_accessible_and_marks_exposed_parts_in_text() {
        let (e, a) = cty();
        let f = one(&e, &a, "FWN-2@arr");
        let svg = blast_radius(&f, &e.0, Some(&a));
        assert_accessible(&svg);
        let doc = parse(&svg);
        // Each exposed part's group names it exposed in its title and its text.
        let exposed: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g"))
            .filter(|g| {
                g.children()
                    .any(|n| n.has_tag_name("text") && n.text() == Some("EXPOSED"))
            })
            .collect();
        assert_eq!(exposed.len(), 2);
        for g in exposed {
            let title = g.children().find(|n| n.has_tag_name("title")).unwrap();
            assert!(title
                .text()
                .unwrap()
                .contains("EXPOSED: runs the affected firmware"));
        }
    }

    #[test]
    fn a_raid_group_of_240_drives_is_drawn_capped_with_the_rest_counted() {
        let mut e = Estate::new().system("srv", "HPE", "ProLiant DL380", Scheme::Intdot, "2.90");
        let mut members = Vec::new();
        for i in 0..240 {
            let id = format!("d{i:03}");
            e = e.hpe_ssds("srv", &id, "HPD7", 1);
            e = e.hours("srv", &id, 31_500, "2026-10-01");
            members.push(format!("srv/{id}"));
        }
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        let e = e.group(
            "srv-raid",
            GroupKind::RaidGroup { tolerance: 2 },
            &refs,
            None,
        );
        let mut a = advisory_for("FWN-32768", "HPE", "SAS SSD", "vers:opaque/HPD7")
            .on(ComponentKind::Drive)
            .effects(&[Effect::DataLoss])
            .triggers(&[Trigger::PowerOnHours { hours: 32_768 }]);
        a.affected[0].models = vec!["VO1920JFDGV".into()];
        let f = one(&e, &a, "FWN-32768@srv");
        assert_eq!(f.part_count, 240);
        let svg = blast_radius(&f, &e.0, Some(&a));
        assert!(svg.len() < 20_000, "{} bytes", svg.len());
        let doc = parse(&svg);
        let t = texts(&doc);
        assert!(t.iter().any(|t| t == "+233 more"), "{t:?}");
        assert!(t.iter().any(|t| t == "233 EXPOSED"), "{t:?}");
        assert_eq!(t.iter().filter(|t| *t == "EXPOSED").count(), 7);
        assert!(t.iter().any(
            |t| t.starts_with("240 of 240 drives run the affected firmware; the group tolerates 2")
        ));
        assert!(t.iter().any(|t| t == "fails 2026-11-22"), "{t:?}");
        assert_accessible(&svg);
    }

    #[test]
    fn a_domain_down_finding_marks_what_goes_down_and_what_keeps_a_second_feed() {
        let psu = |e: Estate, sys: &str| {
            e.component(
                sys,
                "psu-1",
                ComponentKind::Psu,
                "Dell",
                "800W Platinum PSU",
                Scheme::Opaque,
                "00.1D.7D",
                1,
            )
        };
        let e = psu(
            Estate::new().system("gw", "Dell", "PowerEdge R650", Scheme::Intdot, "2.19.1"),
            "gw",
        )
        .system("mail", "Dell", "PowerEdge R640", Scheme::Intdot, "2.19.1")
        .system("dual", "Dell", "PowerEdge R640", Scheme::Intdot, "2.19.1")
        .fed_domain(
            "breaker-2",
            DomainKind::Breaker,
            &["gw", "mail", "dual"],
            &["gw/psu-1"],
        )
        .domain("breaker-3", DomainKind::Breaker, &["dual"])
        .service("mail-svc", 120, &[], Criticality::Medium, &["mail"]);
        let a = advisory_for("FWN-5", "Dell", "Platinum PSU", "vers:opaque/00.1D.7D")
            .on(ComponentKind::Psu)
            .effects(&[Effect::PowerLoss])
            .triggers(&[Trigger::HardwareFault]);
        let f = one(&e, &a, "FWN-5@gw");
        assert_eq!(f.rating.code, crate::blast::FindingCode::DomainDown);
        assert_eq!(
            f.rating
                .reach
                .systems
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["gw", "mail"]
        );
        let svg = blast_radius(&f, &e.0, Some(&a));
        assert_accessible(&svg);
        let doc = parse(&svg);
        let t = texts(&doc);
        assert!(
            t.iter()
                .any(|t| t.starts_with("breaker breaker-2 — fed by gw/psu-1 (EXPOSED)")),
            "{t:?}"
        );
        assert_eq!(t.iter().filter(|t| *t == "DOWN").count(), 2, "{t:?}");
        assert!(
            t.iter().any(|t| t == "second feed"),
            "dual keeps breaker-3: {t:?}"
        );
    }

    #[test]
    fn backups_carry_the_ratings_verdict() {
        // A backup target that shares the source's rack is not independent.
        let e = Estate::new()
            .system("src", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3")
            .system("bk", "Dell EMC", "Data Domain", Scheme::Intdot, "7.10.1.0")
            .system("far", "Dell EMC", "Data Domain", Scheme::Intdot, "7.10.1.0")
            .domain("rack", DomainKind::Rack, &["src", "bk"])
            .backup("src", "bk")
            .replica("src", "far");
        let a = advisory_for("FWN-3", "Dell", "Unity", "vers:intdot/>=5.0.0|<5.0.6")
            .effects(&[Effect::DataLoss]);
        let f = one(&e, &a, "FWN-3@src");
        assert!(f
            .rating
            .backup
            .as_deref()
            .unwrap()
            .contains("recoverable from replica on far"));
        let svg = blast_radius(&f, &e.0, Some(&a));
        assert_accessible(&svg);
        let doc = parse(&svg);
        let t = texts(&doc);
        // `far` is the copy the rating counts; of `bk` it states nothing once one is found.
        assert!(t.iter().any(|t| t == "an independent copy exists"), "{t:?}");
        assert!(t.iter().any(|t| t == "INDEPENDENT"), "{t:?}");
        assert!(t.iter().any(|t| t == "NOT COUNTED"), "{t:?}");
        assert!(!t.iter().any(|t| t == "NOT INDEPENDENT"), "{t:?}");

        // Without `far`, the rating's reason against `bk` is drawn with it.
        let mut e = e;
        e.0.backups.retain(|b| b.to.as_str() == "bk");
        let f = one(&e, &a, "FWN-3@src");
        let svg = blast_radius(&f, &e.0, Some(&a));
        assert_accessible(&svg);
        let t = texts(&parse(&svg));
        assert!(
            t.iter()
                .any(|t| t == "NO independent copy: the data can be lost"),
            "{t:?}"
        );
        assert!(t.iter().any(|t| t == "NOT INDEPENDENT"), "{t:?}");
        assert!(
            t.iter()
                .any(|t| t == "backup target bk shares failure domain rack with src"),
            "{t:?}"
        );
    }

    #[test]
    fn ids_are_valid_names_and_differ_for_different_keys() {
        let a = dom_id("blast", "FWN-1@a.b");
        let b = dom_id("blast", "FWN-1@a_b");
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
            "{a}"
        );
        assert!(dom_id("x", HOSTILE)
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)));
    }

    #[test]
    fn text_is_escaped_clipped_and_wrapped() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'\u{7}\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;  "
        );
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(
            wrap("one two three four", 9, 5),
            ["one two", "three", "four"]
        );
        assert_eq!(wrap("one two three four", 9, 2), ["one two", "three …"]);
        assert_eq!(wrap("abcdefghij", 4, 5), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn the_timeline_marks_today_the_months_and_the_plan() {
        let (e, a) = cty();
        let mut f = one(&e, &a, "FWN-2@arr");
        f.rating.urgency = crate::blast::Urgency::ByDate("2027-03-01".parse().unwrap());
        let plan = RolloutPlan {
            steps: vec![
                Step {
                    name: "first".into(),
                    window: None,
                    date: Some("2027-01-10".parse().unwrap()),
                    targets: vec![Target {
                        subject: r("arr"),
                        to: "5.1.2.0.5.009".into(),
                    }],
                },
                Step {
                    name: "undated".into(),
                    window: None,
                    date: None,
                    targets: vec![Target {
                        subject: r("arr"),
                        to: "5.1.2.0.5.009".into(),
                    }],
                },
            ],
        };
        let svg = timeline(&[f], &e.0, today(), 24, Some(&plan));
        assert_accessible(&svg);
        let doc = parse(&svg);
        let t = texts(&doc);
        assert!(t.iter().any(|t| t == "today 2026-11-22"), "{t:?}");
        assert!(t.iter().any(|t| t == "2027-01"), "{t:?}");
        assert!(
            t.iter().any(|t| t == "FWN-2 · 2 × controller · 2027-03-01"),
            "{t:?}"
        );
        assert!(t.iter().any(|t| t == "update: first · 2027-01-10"), "{t:?}");
        assert!(t.iter().any(|t| t == "step first · 2027-01-10"), "{t:?}");
        assert!(
            t.iter()
                .any(|t| t == "plan steps without a date (not placed): undated"),
            "{t:?}"
        );
        assert!(
            t.iter().any(|t| t == "arr-sp"),
            "the row is the controller pair: {t:?}"
        );
    }
}
