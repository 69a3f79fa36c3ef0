//! Loading: inventory files → raw documents → every check → a validated [`Inventory`], or a
//! [`Diagnostics`] with every problem and nothing loaded.
//!
//! All files of an inventory form one namespace: they are parsed separately, then merged, so a
//! service in `services.toml` may depend on a system in `site-tokyo.toml`. Checks run in dependency
//! order (owners and sites, then systems with their components, then the groups, domains, services
//! and backups that point at them), and keep going after a problem so one run shows them all. A
//! system whose firmware does not parse is still registered (with a placeholder version that never
//! leaves this module) so that references to it do not produce follow-on noise. For the same
//! reason the checks do not run at all when a file does not parse (it defines nothing, so every
//! reference into it would fail) or when no file defines a system: those are reported alone.
//!
//! Firmware schemes: a system uses its `scheme` override, else `version::scheme_for(vendor, model)`,
//! else `opaque` (equality only). A component the same with its own vendor and model, except that
//! drives are `opaque` unless overridden (drive firmware ids such as `HPD8` have no order).
//!
//! The only I/O is [`load_path`] reading the files; [`load_sources`] is pure but for reading the
//! clock, against which reading dates are checked ([`Parsed::check`]).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::value::RawValue;

use chrono::NaiveDate;

use super::diag::{Diagnostic, Diagnostics, InventoryCode};
use super::handoff::{self, Handed};
use super::raw::{RawDate, RawDoc, RawGroup, RawGroupKind, RawSystem};
use super::{
    Backup, BackupKind, Component, ComponentRef, DomainId, FailureDomain, Firmware, GroupId,
    GroupKind, Inventory, Owner, OwnerId, PowerOnHours, RedundancyGroup, Service, ServiceId, Site,
    SiteId, System, SystemId, Webhook, WebhookFormat,
};
use crate::diag::{char_span_at, offset_of, DocPath, Place, SourceFile, Syntax};
use crate::discover::merge::{self, Origin, Origins, PartOrigin};
use crate::discover::snapshot::{self, Snapshot, SnapshotError};
use crate::model::ComponentKind;
use crate::version::{scheme_for, FwVersion, Scheme};

/// Why an inventory did not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read inventory `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no inventory files (*.toml, *.json) in `{}`", .0.display())]
    NoFiles(PathBuf),
    /// An inventory path that is not a regular file (a directory named `*.toml`, a FIFO, a
    /// socket): it is reported, never skipped and never read (a FIFO would block).
    #[error("inventory `{}` is {what}, not a file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    /// Files that parse but define no system between them: an empty CMDB export, or an
    /// inventory path pointing at the wrong place. Refused for the inventory as a whole, not per
    /// file: a file of owners or services alone is normal, but an estate without systems is never
    /// one to rate, and an empty report (or a notification run resolving every finding) would be
    /// the silent result.
    #[error("the inventory defines no systems (files read: {})", files.join(", "))]
    NoSystems { files: Vec<String> },
    /// The files were read but have problems; [`Diagnostics::emit`] renders them.
    #[error("{0} in the inventory")]
    Invalid(Box<Diagnostics>),
}

/// Load a file, or every `*.toml` / `*.json` file of a directory (not recursive, sorted by name).
pub fn load_path(path: &Path) -> Result<Inventory, LoadError> {
    parse_path(path)?.check()
}

/// Inventory files read and parsed, not yet checked: [`Parsed::check`] makes the [`Inventory`].
/// The step between lets a caller start on what only needs the names the files give, such as
/// reading the advisories of the vendors they name while the references are checked.
pub struct Parsed {
    files: Vec<SourceFile>,
    docs: Vec<(usize, RawDoc)>,
    /// Discovered snapshots (`discovered/*.json`), by file.
    snapshots: Vec<(usize, Snapshot)>,
    /// Syntax errors: when there are any, [`Parsed::check`] reports them alone.
    diags: Vec<Diagnostic>,
}

impl Parsed {
    /// Parse `files`, of which the last `snapshots` are discovered snapshots.
    fn new(mut files: Vec<SourceFile>, snapshots: usize) -> Parsed {
        let mut diags = Vec::new();
        let written = files.len().saturating_sub(snapshots);
        let mut docs = Vec::with_capacity(written);
        let mut snaps = Vec::with_capacity(snapshots);
        for (i, f) in files.iter_mut().enumerate() {
            if i >= written {
                if let Some(snap) = parse_snapshot(i, f, &mut diags) {
                    snaps.push((i, snap));
                    f.text = String::new();
                }
                continue;
            }
            if let Some(doc) = parse_file(i, f, &mut diags) {
                docs.push((i, doc));
                // Semantic problems in JSON are shown by path, never by span, so a parsed JSON
                // file's text is not needed again; dropping it keeps a generated
                // million-component estate well under the memory budget.
                if f.format == Syntax::Json {
                    f.text = String::new();
                }
            }
        }
        Parsed {
            files,
            docs,
            snapshots: snaps,
            diags,
        }
    }

    /// Add (or replace, for the same system) a discovered snapshot not yet on disk, as the file
    /// `name`: an import is checked against the inventory before it is written.
    pub fn with_snapshot(mut self, name: &str, snap: Snapshot) -> Parsed {
        self.snapshots.retain(|(_, s)| s.system != snap.system);
        self.files.push(SourceFile::new(name, String::new()));
        self.snapshots.push((self.files.len() - 1, snap));
        self
    }

    /// The system ids the hand-written files define, as written.
    pub fn system_ids(&self) -> Vec<&str> {
        let systems = self.docs.iter().flat_map(|(_, doc)| &doc.systems);
        systems.map(|s| s.id.as_str()).collect()
    }

    /// Every vendor the files name for a system or a component (a component without one has its
    /// system's), as written. On an inventory that checks, these are exactly the vendors of its
    /// systems and components.
    pub fn vendors(&self) -> std::collections::BTreeSet<&str> {
        let mut out = std::collections::BTreeSet::new();
        for (_, doc) in &self.docs {
            for s in &doc.systems {
                out.insert(s.vendor.as_str());
                // A system's parts mostly name one vendor after another: each run looked up once.
                let mut last = None;
                for v in s.components.iter().filter_map(|c| c.vendor.as_deref()) {
                    if last != Some(v) {
                        out.insert(v);
                        last = Some(v);
                    }
                }
            }
        }
        // Discovered parts the files lack are added with their own vendor (a superset: a vendor
        // of a part tied to a written one reads advisories that cannot match).
        for (_, snap) in &self.snapshots {
            for p in &snap.components {
                if let Some(v) = &p.vendor {
                    out.insert(v.as_str());
                }
            }
        }
        out
    }

    /// Run every check: the inventory, or every problem of every file and nothing loaded.
    ///
    /// Readings are checked against the clock (UTC) at the time of the check, not against a
    /// command's `--today`: that option moves the date findings are rated on (ahead, to see what
    /// fires by then; back, to reproduce a report), while a reading's date is when someone read
    /// the part, which cannot be later than now whatever date is being rated.
    ///
    /// Syntax errors come first and alone: a file that does not parse defines nothing, so every
    /// reference into it from the other files would fail as well, and those follow-on errors
    /// (which fixing the syntax makes go away) would bury the one real problem.
    pub fn check(self) -> Result<Inventory, LoadError> {
        self.check_on(chrono::Utc::now().date_naive())
    }

    /// [`Parsed::check`] with `today` given.
    fn check_on(self, today: NaiveDate) -> Result<Inventory, LoadError> {
        let Parsed {
            files,
            docs,
            snapshots,
            mut diags,
        } = self;
        if !diags.is_empty() {
            return Err(LoadError::Invalid(Box::new(Diagnostics::new(files, diags))));
        }
        // Before the checks, for the same reason: without systems, every reference to one fails.
        if docs.iter().all(|(_, doc)| doc.systems.is_empty()) {
            let files = files.into_iter().map(|f| f.name).collect();
            return Err(LoadError::NoSystems { files });
        }
        let dirs = files
            .iter()
            .map(|f| {
                Path::new(&f.name)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            })
            .collect();
        let mut checker = Checker {
            today,
            dirs,
            ..Checker::default()
        };
        for (file, snap) in snapshots {
            checker.snapshot(file, &files, snap, &mut diags);
        }
        let inv = checker.run(docs, &files, &mut diags);
        if diags.is_empty() {
            return Ok(inv);
        }
        Err(LoadError::Invalid(Box::new(Diagnostics::new(files, diags))))
    }
}

/// Read and parse a file, or every `*.toml` / `*.json` file of a directory, as [`load_path`].
pub fn parse_path(path: &Path) -> Result<Parsed, LoadError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LoadError::Io { path, source }
    };
    let meta = fs::metadata(path).map_err(io_err(path))?;
    let mut paths = Vec::new();
    let mut snapshots = Vec::new();
    if meta.is_dir() {
        let mut discovered = None;
        for entry in fs::read_dir(path).map_err(io_err(path))? {
            let p = entry.map_err(io_err(path))?.path();
            if p.file_name() == Some(std::ffi::OsStr::new(snapshot::DIR)) {
                discovered = Some(p);
                continue;
            }
            if let Some(p) = inventory_file(&p)? {
                paths.push(p);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(LoadError::NoFiles(path.to_path_buf()));
        }
        // Found while listing the directory: an inventory without snapshots costs nothing more.
        if let Some(dir) = discovered.filter(|d| d.is_dir()) {
            for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
                let p = entry.map_err(io_err(&dir))?.path();
                let json = p
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json"));
                if json
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    let meta = fs::metadata(&p).map_err(io_err(&p))?;
                    regular_file(&p, &meta)?;
                    snapshots.push(p);
                }
            }
            snapshots.sort();
        }
    } else {
        regular_file(path, &meta)?;
        paths.push(path.to_path_buf());
    }
    let n_snapshots = snapshots.len();
    let mut files = Vec::with_capacity(paths.len() + n_snapshots);
    for p in paths.into_iter().chain(snapshots) {
        let text = read_text(&p).map_err(io_err(&p))?;
        let name = p.display().to_string();
        files.push(SourceFile {
            format: Syntax::of(&name),
            name,
            text,
        });
    }
    Ok(Parsed::new(files, n_snapshots))
}

/// A file's text. A large file (a generated estate) is read on all cores, each core reading
/// its own stretch of the file into its own stretch of the buffer: the kernel's copy and the
/// faulting-in of the buffer's fresh pages are most of the read. A file that grows while it is
/// read is read again whole; one that shrinks is an error.
#[cfg(unix)]
fn read_text(p: &Path) -> io::Result<String> {
    use std::os::unix::fs::FileExt;
    let file = fs::File::open(p)?;
    let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if len < PARALLEL_MIN_BYTES || cores < 2 {
        return fs::read_to_string(p);
    }
    let mut bytes = vec![0u8; len];
    let stretch = len.div_ceil(cores);
    std::thread::scope(|scope| {
        let reads: Vec<_> = bytes
            .chunks_mut(stretch)
            .enumerate()
            .map(|(i, part)| {
                let file = &file;
                scope.spawn(move || file.read_exact_at(part, (i * stretch) as u64))
            })
            .collect();
        reads
            .into_iter()
            .try_for_each(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
    .map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            io::Error::new(e.kind(), "the file became shorter while it was read")
        }
        _ => e,
    })?;
    if file.read_at(&mut [0u8], len as u64)? > 0 {
        return fs::read_to_string(p);
    }
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A file's text.
#[cfg(not(unix))]
fn read_text(p: &Path) -> io::Result<String> {
    fs::read_to_string(p)
}

/// `p` if it is named as an inventory file (`*.toml`, `*.json`) and is a regular file; an error
/// if it is named so but is not one.
fn inventory_file(p: &Path) -> Result<Option<PathBuf>, LoadError> {
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("toml" | "json")) {
        return Ok(None);
    }
    // Followed through symbolic links: a dangling link or a loop is an error with its path,
    // like any file that cannot be read.
    let meta = fs::metadata(p).map_err(|source| LoadError::Io {
        path: p.to_path_buf(),
        source,
    })?;
    regular_file(p, &meta)?;
    Ok(Some(p.to_path_buf()))
}

/// `Ok` for a regular file; what it is instead, otherwise.
fn regular_file(path: &Path, meta: &fs::Metadata) -> Result<(), LoadError> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        "a FIFO, socket or device"
    };
    Err(LoadError::NotAFile {
        path: path.to_path_buf(),
        what,
    })
}

/// Load from in-memory `(file name, text)` pairs; the name's extension picks TOML or JSON.
pub fn load_sources<N: AsRef<str>, T: AsRef<str>>(
    sources: &[(N, T)],
) -> Result<Inventory, LoadError> {
    let files = sources
        .iter()
        .map(|(n, t)| SourceFile {
            name: n.as_ref().to_string(),
            text: t.as_ref().to_string(),
            format: Syntax::of(n.as_ref()),
        })
        .collect();
    Parsed::new(files, 0).check()
}

/// Parse a discovered snapshot file; a problem is a `parse-error` at its place.
fn parse_snapshot(file: usize, f: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Snapshot> {
    let err = match Snapshot::parse(Path::new(&f.name), &f.text) {
        Ok(snap) => return Some(snap),
        Err(e) => e,
    };
    let diag = match &err {
        SnapshotError::Parse { source, .. } => {
            let at = offset_of(&f.text, source.line(), source.column());
            let msg = source.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Diagnostic::new(
                InventoryCode::ParseError,
                Place::at_span(file, char_span_at(&f.text, at)),
                format!("not a discovered snapshot: {msg}"),
            )
            .label("here")
        }
        SnapshotError::Layout { found, .. } => Diagnostic::new(
            InventoryCode::ParseError,
            Place::at(file, DocPath::default().key("firmwatch_discovered")),
            format!(
                "snapshot layout {found}; this build reads layout {}",
                snapshot::LAYOUT
            ),
        )
        .label("written by another version of firmwatch")
        .note("run the discovery or import again with this version to rewrite it"),
        SnapshotError::Read { .. } | SnapshotError::Write { .. } => Diagnostic::new(
            InventoryCode::ParseError,
            Place::whole_file(file),
            crate::error::chain(&err),
        ),
    };
    diags.push(diag.note(
        "discovered snapshots are written by `firmwatch discover` and `firmwatch inventory import`",
    ));
    None
}

fn parse_file(file: usize, f: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<RawDoc> {
    let (message, span, label) = match f.format {
        Syntax::Toml => match toml::from_str::<RawDoc>(&f.text) {
            Ok(doc) => return Some(doc),
            Err(e) => (e.message().trim().replace('\n', ": "), e.span(), "here"),
        },
        Syntax::Json => match json_top_level(&f.text) {
            Some((kind, at)) => (
                format!("the top level of an inventory file must be an object, not {kind}"),
                Some(char_span_at(&f.text, at)),
                "expected `{\"systems\": [...], ...}`",
            ),
            None => match parse_json(&f.text) {
                Ok(doc) => return Some(doc),
                Err((msg, at)) => (msg, Some(char_span_at(&f.text, at)), "here"),
            },
        },
    };
    let place = Place {
        file,
        path: None,
        span,
    };
    diags.push(Diagnostic::new(InventoryCode::ParseError, place, message).label(label));
    None
}

/// A JSON inventory file: read whole once, with its systems and groups kept as their text
/// (this pass checks the whole file's syntax and parses the other, small sections); the systems
/// parsed on the other cores as the pass reads them ([`handoff`]), the groups on all cores after
/// it ([`parse_raws`]). The result is the one parsing the file in one pass gives; the error (its
/// message and its byte offset in `text`) is the first in the file among those each part's parse
/// found (a syntax error anywhere is the first pass's).
fn parse_json(text: &str) -> Result<RawDoc, (String, usize)> {
    let at = |e: serde_json::Error, part: &str| {
        let from = part.as_ptr() as usize - text.as_ptr() as usize;
        let offset = from + offset_of(part, e.line(), e.column());
        // serde_json appends " at line L column C" (in `part`); the offset says where.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        (msg, offset)
    };
    let threads = if text.len() < PARALLEL_MIN_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    let (doc, systems) = handoff::parse_systems(text, threads, || {
        serde_json::from_str::<RawDoc<Handed, &RawValue>>(text)
    })
    .map_err(|e| at(e, text))?;
    let systems = systems.map_err(|(e, (from, to))| at(e, &text[from..to]));
    let groups = parse_raws(&doc.groups).map_err(|(k, e)| at(e, doc.groups[k].get()));
    match (systems, groups) {
        (Ok(systems), Ok(groups)) => Ok(RawDoc {
            owners: doc.owners,
            sites: doc.sites,
            systems,
            groups,
            domains: doc.domains,
            services: doc.services,
            backups: doc.backups,
        }),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(s), Err(g)) => Err(if s.1 <= g.1 { s } else { g }),
    }
}

/// Bytes below which a file is read, or a part of its JSON parsed, on the calling thread alone:
/// a thread is worth starting for a large estate's file, not for a hand-written one.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Raw JSON values parsed as `T`, in order, on up to all cores. The error is that of the first
/// value (in order) that does not parse, with its index.
fn parse_raws<T: serde::de::DeserializeOwned + Send>(
    raws: &[&RawValue],
) -> Result<Vec<T>, (usize, serde_json::Error)> {
    let (parsed, _) = map_in_blocks(
        raws.to_vec(),
        |r| r.get().len(),
        PARALLEL_MIN_BYTES,
        (),
        |_, _, r| serde_json::from_str::<T>(r.get()),
    );
    let parsed = parsed.into_iter().enumerate();
    parsed.map(|(k, r)| r.map_err(|e| (k, e))).collect()
}

/// `f(state, position, item)` of each item, in order, on up to all cores, with the state each
/// thread ended with: the calling thread's, which starts as `first`, then the others', which
/// start as `S::default()`. The items are cut into blocks of about equal total `weight`, a few
/// per core, and each thread takes the next block when it is done with one, so a thread that
/// drew cheap items does not wait for the others at the end. Below `apart` of weight in all (or
/// on one core) everything runs on the calling thread.
fn map_in_blocks<T: Send, R: Send, S: Default + Send>(
    items: Vec<T>,
    weight: impl Fn(&T) -> usize,
    apart: usize,
    first: S,
    f: impl Fn(&mut S, usize, T) -> R + Sync,
) -> (Vec<R>, Vec<S>) {
    const BLOCKS_PER_THREAD: usize = 8;
    let total: usize = items.iter().map(&weight).sum();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(total / apart.max(1));
    if threads < 2 {
        let mut state = first;
        let out = items.into_iter().enumerate();
        let out = out.map(|(k, t)| f(&mut state, k, t)).collect();
        return (out, vec![state]);
    }
    let per_block = total.div_ceil(threads * BLOCKS_PER_THREAD);
    let n = items.len();
    let mut blocks: Vec<(usize, Vec<T>)> = Vec::new();
    let (mut block, mut from, mut held) = (Vec::new(), 0, 0);
    for (k, item) in items.into_iter().enumerate() {
        held += weight(&item);
        block.push(item);
        if held >= per_block {
            blocks.push((from, std::mem::take(&mut block)));
            (from, held) = (k + 1, 0);
        }
    }
    blocks.push((from, block));
    let work = std::sync::Mutex::new(blocks.into_iter().enumerate());
    let next = || {
        work.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next()
    };
    let work = |mut state: S| {
        let mut done = Vec::new();
        while let Some((b, (from, block))) = next() {
            let block = block.into_iter().enumerate();
            let rs = block.map(|(k, t)| f(&mut state, from + k, t));
            done.push((b, rs.collect::<Vec<R>>()));
        }
        (done, state)
    };
    // The calling thread works too: what it makes is freed later on its own heap, which is
    // cheaper than freeing what a finished thread allocated.
    let (mut done, states) = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|_| scope.spawn(|| work(S::default())))
            .collect();
        let (mut done, state) = work(first);
        let mut states = vec![state];
        for t in others {
            let (more, state) = t.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            done.extend(more);
            states.push(state);
        }
        (done, states)
    });
    done.sort_unstable_by_key(|(b, _)| *b);
    let mut out = Vec::with_capacity(n);
    for (_, rs) in done {
        out.extend(rs);
    }
    (out, states)
}

/// What a JSON file holds at the top level when it is not an object, and where it starts. serde
/// reads a struct from a JSON array as well (its fields in order), so `[]` — an empty export —
/// would load as a file that defines nothing, and `null` or `42` would be reported as "expected
/// struct RawDoc". Text that is no JSON value at all is left to the parser's syntax error.
fn json_top_level(text: &str) -> Option<(&'static str, usize)> {
    let at = text.find(|c: char| !matches!(c, ' ' | '\t' | '\n' | '\r'))?;
    let rest = &text[at..];
    let kind = if rest.starts_with('[') {
        "an array"
    } else if rest.starts_with('"') {
        "a string"
    } else if rest.starts_with("null") {
        "null"
    } else if rest.starts_with("true") || rest.starts_with("false") {
        "a boolean"
    } else if rest.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        "a number"
    } else {
        return None;
    };
    Some((kind, at))
}

/// Where each item was first defined, by its id folded to lower case, with the id as written.
type Defs<K> = HashMap<Box<str>, (K, Place)>;

/// Parse an id and record its definition; a duplicate is reported against the first.
///
/// Ids that differ only in ASCII case (`arr1`, `ARR1`) are duplicates too: people, CMDBs,
/// spreadsheets and case-insensitive file systems take them for one name, so they are one item
/// exported twice, or two items that reports and notifications would mix up.
fn define<K>(
    defs: &mut Defs<K>,
    item: &DocPath,
    file: usize,
    raw: &str,
    what: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<K>
where
    K: FromStr<Err = crate::model::IdError> + Eq + Clone + std::fmt::Display,
{
    let place = Place::at(file, item.key("id"));
    let id = parse_id::<K>(raw, &place, d)?;
    match defs.entry(raw.to_ascii_lowercase().into()) {
        Entry::Vacant(v) => {
            v.insert((id.clone(), place));
            Some(id)
        }
        Entry::Occupied(first) => {
            let (first_id, first_place) = first.get();
            let message = if *first_id == id {
                format!("{what} id `{id}` is defined twice")
            } else {
                format!("{what} id `{id}` differs from `{first_id}` only in case")
            };
            d.push(
                Diagnostic::new(InventoryCode::DuplicateId, place, message)
                    .label("second definition")
                    .also(first_place.clone(), "first defined here"),
            );
            None
        }
    }
}

/// Component ids in the order of a system's lookup index: ignoring ASCII case, so that ids
/// differing only in case sit side by side when duplicates are looked for (see [`define`]).
fn fold_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let b = b.bytes().map(|c| c.to_ascii_lowercase());
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b)
}

#[derive(Default)]
struct Checker {
    owner_defs: Defs<OwnerId>,
    site_defs: Defs<SiteId>,
    system_defs: Defs<SystemId>,
    group_defs: Defs<GroupId>,
    domain_defs: Defs<DomainId>,
    service_defs: Defs<ServiceId>,
    /// Per large system: component positions sorted by id, for reference lookups.
    index: FxHashMap<SystemId, Vec<u32>>,
    /// Shared texts and parsed versions.
    interned: Interned,
    inv: Inventory,
    /// Today (UTC) as the check runs: no reading may be dated after it (see [`not_in_future`]).
    today: NaiveDate,
    /// The directory of each file, by file index (a relative `ca_file` is read from there).
    dirs: Vec<PathBuf>,
    /// Discovered snapshots by the system they name, with their file, until merged.
    snapshots: FxHashMap<Box<str>, (usize, Snapshot)>,
    /// Sets split by the merge: `system/set` → the references of the entries added for it.
    splits: FxHashMap<String, Vec<String>>,
}

/// A system as [`Checker::check_system`] leaves it, to be defined.
struct CheckedSystem {
    /// As written.
    id: String,
    name: Option<String>,
    vendor: String,
    model: String,
    site: Option<SiteId>,
    owner: Option<OwnerId>,
    firmware: Option<Firmware>,
    /// Those that checked.
    components: Vec<Component>,
    /// How many were written.
    written: usize,
    /// Component positions sorted by id ignoring case: the lookup index of a large system.
    order: Vec<u32>,
    settings: std::collections::BTreeMap<String, bool>,
    tenants: Vec<String>,
    booted: Option<NaiveDate>,
    discover: Option<super::DiscoverSource>,
}

/// Systems with at most this many components are searched linearly.
const SCAN_LIMIT: usize = 16;

/// Components below which a file's systems are checked on the calling thread alone.
const SYSTEMS_APART: usize = 20_000;

/// Group members below which a file's groups are checked on the calling thread alone.
const GROUPS_APART: usize = 20_000;

/// Find a component of `sys` by id, through its sorted index when it has one.
fn find<'a>(sys: &'a System, index: Option<&Vec<u32>>, id: &str) -> Option<&'a Component> {
    position(sys, index, id).map(|k| &sys.components[k])
}

/// The position of `sys`'s component `id`.
fn position(sys: &System, index: Option<&Vec<u32>>, id: &str) -> Option<usize> {
    let Some(order) = index else {
        return sys.components.iter().position(|c| &*c.id == id);
    };
    let at = |k: u32| sys.components.get(k as usize);
    let k = order
        .binary_search_by(|&k| fold_cmp(at(k).map_or("", |c| &*c.id), id))
        .ok()?;
    // The index has one id per spelling ignoring case; `id` may be another spelling of it.
    let k = *order.get(k)? as usize;
    (*sys.components.get(k)?.id == *id).then_some(k)
}

/// The system a run of references named last, with its lookup index and the position of the
/// component found last: references come in runs over one system, often in component order
/// (`a/d0`, `a/d1` …), so the next one is tried first, before any search.
#[derive(Clone, Copy)]
struct Near<'c> {
    id: &'c SystemId,
    system: &'c System,
    index: Option<&'c Vec<u32>>,
    last: usize,
}

impl<'c> Near<'c> {
    fn component(&mut self, id: &str) -> Option<&'c Component> {
        let comps = &self.system.components;
        let next = self.last.wrapping_add(1);
        let k = match comps.get(next) {
            Some(c) if &*c.id == id => next,
            _ => position(self.system, self.index, id)?,
        };
        self.last = k;
        comps.get(k)
    }
}

fn root(section: &str, i: usize) -> DocPath {
    DocPath::default().key(section).index(i)
}

/// One shared copy of each component id, vendor and model text, and each distinct (scheme,
/// firmware string) parsed once. The systems a large file has checked on another core have
/// their own (each core shares within what it checked), absorbed into the checker's afterwards.
#[derive(Default)]
struct Interned {
    strings: FxHashSet<Arc<str>>,
    versions: FxHashMap<Scheme, FxHashMap<Box<str>, Arc<FwVersion>>>,
}

impl Interned {
    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(a.clone());
        a
    }

    /// What `other` holds that this does not: later checks share it.
    fn absorb(&mut self, other: Interned) {
        // A set keeps the value it holds when an equal one is inserted.
        self.strings.extend(other.strings);
        for (scheme, versions) in other.versions {
            let mine = self.versions.entry(scheme).or_default();
            for (raw, v) in versions {
                mine.entry(raw).or_insert(v);
            }
        }
    }

    /// Parse a firmware string, or reuse the parse of the same string under the same scheme.
    #[allow(clippy::too_many_arguments)]
    fn firmware(
        &mut self,
        file: usize,
        item: &dyn Fn() -> DocPath,
        scheme: Option<Scheme>,
        raw: &str,
        vendor: &str,
        model: &str,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Firmware> {
        let scheme = scheme?;
        if let Some(v) = self.versions.get(&scheme).and_then(|m| m.get(raw)) {
            return Some(Firmware { version: v.clone() });
        }
        match FwVersion::parse(scheme, raw) {
            Ok(version) => {
                let fw = Firmware::new(version);
                self.versions
                    .entry(scheme)
                    .or_default()
                    .insert(Box::from(raw), fw.version.clone());
                Some(fw)
            }
            Err(e) => {
                d.push(
                    Diagnostic::new(
                        InventoryCode::BadFirmware,
                        Place::at(file, item().key("firmware")),
                        format!("firmware `{raw}` does not parse as `{scheme}`"),
                    )
                    .label(e.to_string())
                    .note(format!(
                        "`{vendor} {model}` uses scheme `{scheme}`; set `scheme = \"…\"` on the item if that is wrong"
                    )),
                );
                None
            }
        }
    }
}

impl Checker {
    /// Hold a snapshot until its system is checked; a second one for the same system is a
    /// duplicate.
    fn snapshot(
        &mut self,
        file: usize,
        files: &[SourceFile],
        snap: Snapshot,
        d: &mut Vec<Diagnostic>,
    ) {
        match self.snapshots.entry(snap.system.as_str().into()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((file, snap));
            }
            std::collections::hash_map::Entry::Occupied(first) => {
                let name = files.get(first.get().0).map_or("?", |f| f.name.as_str());
                d.push(
                    Diagnostic::new(
                        InventoryCode::DuplicateId,
                        Place::at(file, DocPath::default().key("system")),
                        format!(
                            "a second snapshot of system `{}` (the first is {name})",
                            snap.system
                        ),
                    )
                    .label("one snapshot per system")
                    .also(
                        Place::at(first.get().0, DocPath::default().key("system")),
                        "first snapshot",
                    )
                    .note(
                        "a system's snapshot is `discovered/<system>.json`; remove the other file",
                    ),
                );
            }
        }
    }

    /// Merge the snapshot of `s`, if there is one, into it before it is checked.
    fn merge(
        &mut self,
        file: usize,
        i: usize,
        s: &mut RawSystem,
        files: &[SourceFile],
        d: &mut Vec<Diagnostic>,
    ) -> Option<merge::Merged> {
        let (snap_file, snap) = self.snapshots.remove(s.id.as_str())?;
        let system = root("systems", i);
        let places = merge::Places {
            snapshot: snap_file,
            snapshot_name: files.get(snap_file).map_or("", |f| f.name.as_str()),
            written: file,
            system: &system,
        };
        let merged = merge::merge(s, &snap, &places, d);
        for (set, added) in &merged.splits {
            let refs = added.iter().map(|a| format!("{}/{a}", s.id)).collect();
            self.splits.insert(format!("{}/{set}", s.id), refs);
        }
        Some(merged)
    }

    /// Every list of references naming a split set also names the entries split from it.
    fn expand_splits(&self, doc: &mut RawDoc) {
        fn expand<S: AsRef<str> + From<String>>(
            splits: &FxHashMap<String, Vec<String>>,
            list: &mut Vec<S>,
        ) {
            if !list.iter().any(|m| splits.contains_key(m.as_ref())) {
                return;
            }
            let mut out = Vec::with_capacity(list.len() + 1);
            for m in list.drain(..) {
                let extra = splits.get(m.as_ref()).cloned();
                out.push(m);
                out.extend(extra.into_iter().flatten().map(S::from));
            }
            *list = out;
        }
        for g in &mut doc.groups {
            expand(&self.splits, &mut g.members);
        }
        for dom in &mut doc.domains {
            expand(&self.splits, &mut dom.members);
            expand(&self.splits, &mut dom.fed_by);
        }
        for svc in &mut doc.services {
            expand(&self.splits, &mut svc.depends_on);
        }
    }

    fn run(
        mut self,
        docs: Vec<(usize, RawDoc)>,
        files: &[SourceFile],
        d: &mut Vec<Diagnostic>,
    ) -> Inventory {
        // Owners and sites of every file first: systems and services anywhere may name them.
        let mut rest = Vec::with_capacity(docs.len());
        for (file, mut doc) in docs {
            for (i, o) in std::mem::take(&mut doc.owners).into_iter().enumerate() {
                self.owner(file, i, o, d);
            }
            for (i, s) in std::mem::take(&mut doc.sites).into_iter().enumerate() {
                let p = root("sites", i);
                if let Some(id) = define(&mut self.site_defs, &p, file, &s.id, "site", d) {
                    let name = s.name.unwrap_or_else(|| id.to_string());
                    self.inv.sites.insert(id.clone(), Site { id, name });
                }
            }
            rest.push((file, doc));
        }
        let mut later = Vec::with_capacity(rest.len());
        for (file, mut doc) in rest {
            let systems = std::mem::take(&mut doc.systems);
            // Without snapshots left to merge, a file's systems are checked on all cores; else
            // one by one, each merged with its snapshot first.
            if self.snapshots.is_empty() {
                self.systems(file, systems, d);
                later.push((file, doc));
                continue;
            }
            for (i, mut s) in systems.into_iter().enumerate() {
                let merged = self.merge(file, i, &mut s, files, d);
                let id = merged.as_ref().map(|_| s.id.clone());
                self.system(file, i, s, merged.as_ref().map(|m| &m.origins), d);
                if let (Some(m), Some(id)) = (merged, id) {
                    if let Some((id, _)) = self.inv.systems.get_key_value(id.as_str()) {
                        self.inv.discovered.insert(id.clone(), m.discovered);
                    }
                }
            }
            later.push((file, doc));
        }
        self.unknown_snapshots(files, d);
        if !self.splits.is_empty() {
            for (_, doc) in &mut later {
                self.expand_splits(doc);
            }
        }
        for (file, doc) in later {
            self.groups(file, doc.groups, d);
            for (i, dom) in doc.domains.into_iter().enumerate() {
                let p = root("domains", i);
                let members = self.refs(file, &p.key("members"), &dom.members, d);
                let fed_by = self.refs(file, &p.key("fed_by"), &dom.fed_by, d);
                if let Some(id) = define(
                    &mut self.domain_defs,
                    &p,
                    file,
                    &dom.id,
                    "failure domain",
                    d,
                ) {
                    self.inv.domains.insert(
                        id.clone(),
                        FailureDomain {
                            id,
                            kind: dom.kind,
                            members,
                            fed_by,
                        },
                    );
                }
            }
            for (i, s) in doc.services.into_iter().enumerate() {
                self.service(file, i, s, d);
            }
            for (i, b) in doc.backups.into_iter().enumerate() {
                let p = root("backups", i);
                let of = self.system_ref(file, &p.key("of"), &b.of, d);
                let to = self.system_ref(file, &p.key("to"), &b.to, d);
                if let (Some(of), Some(to)) = (of, to) {
                    if of == to {
                        d.push(
                            Diagnostic::new(
                                InventoryCode::BackupToItself,
                                Place::at(file, p.key("to")),
                                format!("`{of}` is backed up to itself"),
                            )
                            .label("the same system as `of`")
                            .note("a copy on the failing system is no recovery path; name the system that holds the copy"),
                        );
                        continue;
                    }
                    self.inv.backups.push(Backup {
                        of,
                        to,
                        kind: b.kind.unwrap_or(BackupKind::Backup),
                    });
                }
            }
        }
        self.inv
    }

    /// Snapshots left after every system was checked name systems no file defines.
    fn unknown_snapshots(&mut self, files: &[SourceFile], d: &mut Vec<Diagnostic>) {
        let mut left: Vec<(usize, Snapshot)> = self.snapshots.drain().map(|(_, v)| v).collect();
        left.sort_by_key(|(file, _)| *file);
        for (file, snap) in left {
            let same_but_case: Vec<&str> = self
                .inv
                .systems
                .keys()
                .map(SystemId::as_str)
                .filter(|id| id.eq_ignore_ascii_case(&snap.system))
                .collect();
            let name = files.get(file).map_or("?", |f| f.name.as_str());
            let mut diag = Diagnostic::new(
                InventoryCode::DiscoveredUnknownSystem,
                Place::at(file, DocPath::default().key("system")),
                format!(
                    "snapshot {name} is of system `{}`, which no hand-written inventory file defines",
                    snap.system
                ),
            )
            .label("discovered facts belong to a hand-written system");
            if let Some(id) = same_but_case.first() {
                diag = diag.note(format!("system ids are exact: did you mean `{id}`?"));
            }
            d.push(diag.note(
                "write the system (its topology, owner and services) in an inventory file, or remove the snapshot",
            ));
        }
    }

    fn owner(&mut self, file: usize, i: usize, o: super::raw::RawOwner, d: &mut Vec<Diagnostic>) {
        let p = root("owners", i);
        if let Some(email) = &o.email {
            let ok = email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.ends_with('.'))
                && !email.chars().any(char::is_whitespace);
            if !ok {
                d.push(
                    Diagnostic::new(
                        InventoryCode::InvalidValue,
                        Place::at(file, p.key("email")),
                        format!("`{email}` is not an email address"),
                    )
                    .label("expected name@domain"),
                );
            }
        }
        let mut webhook = None;
        if let Some(w) = o.webhook {
            let wp = p.key("webhook");
            match url::Url::parse(&w.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {
                    // A password or token in the URL is a secret written into the file.
                    if super::secrets::credential_in_url(&u) {
                        d.push(
                            Diagnostic::new(
                                InventoryCode::SecretInline,
                                Place::at(file, wp.key("url")),
                                "the webhook URL carries a credential",
                            )
                            .label("password or token in the URL")
                            .note("keep the URL free of credentials and put the token in the environment variable named by `secret_env`"),
                        );
                    }
                }
                _ => d.push(
                    Diagnostic::new(
                        InventoryCode::InvalidValue,
                        Place::at(file, wp.key("url")),
                        format!("`{}` is not an http(s) URL", w.url),
                    )
                    .label("expected https://…"),
                ),
            }
            if let Some(env) = &w.secret_env {
                super::secrets::check_env_name(
                    file,
                    wp.key("secret_env"),
                    ("secret_env", "token"),
                    env,
                    "FIRMWATCH_HOOK_TOKEN",
                    d,
                );
            }
            webhook = Some(Webhook {
                url: w.url,
                format: w.format.unwrap_or(WebhookFormat::Generic),
                secret_env: w.secret_env,
            });
        }
        let Some(id) = define(&mut self.owner_defs, &p, file, &o.id, "owner", d) else {
            return;
        };
        if o.email.is_none() && webhook.is_none() {
            d.push(
                Diagnostic::new(
                    InventoryCode::OwnerWithoutChannel,
                    Place::at(file, p.key("id")),
                    format!("owner `{id}` has no channel: nobody would be told"),
                )
                .label("no `email` and no `webhook`")
                .note("add `email = \"…\"` or a `webhook = { url = \"…\" }`"),
            );
        }
        let name = o.name.unwrap_or_else(|| id.to_string());
        self.inv.owners.insert(
            id.clone(),
            Owner {
                id,
                name,
                email: o.email,
                webhook,
            },
        );
    }

    /// Check one (merged) system and define it, on this thread; `origins` says which of its
    /// values came from a snapshot, so their problems are shown there.
    fn system(
        &mut self,
        file: usize,
        i: usize,
        s: RawSystem,
        origins: Option<&Origins>,
        d: &mut Vec<Diagnostic>,
    ) {
        let mut interned = std::mem::take(&mut self.interned);
        let checked = self.check_system(&mut interned, file, i, s, origins, d);
        self.interned = interned;
        self.add_system(file, i, checked, d);
    }

    /// Check and define one file's systems (none of them with a snapshot to merge). Each
    /// system's own checks read only the owners and sites, so they run on all cores
    /// ([`map_in_blocks`]): the calling thread with the checker's [`Interned`], each other core
    /// with its own, absorbed into it afterwards. The systems are then defined in order (a
    /// duplicate id is found there), each after its own diagnostics, as checking them one by one
    /// gives.
    fn systems(&mut self, file: usize, systems: Vec<RawSystem>, d: &mut Vec<Diagnostic>) {
        let weight = |s: &RawSystem| s.components.len() + 1;
        let mine = std::mem::take(&mut self.interned);
        let (checked, interned) =
            map_in_blocks(systems, weight, SYSTEMS_APART, mine, |interned, i, s| {
                let mut d = Vec::new();
                let checked = self.check_system(interned, file, i, s, None, &mut d);
                (checked, d)
            });
        let mut interned = interned.into_iter();
        self.interned = interned.next().unwrap_or_default();
        for other in interned {
            self.interned.absorb(other);
        }
        for (i, (checked, diags)) in checked.into_iter().enumerate() {
            d.extend(diags);
            self.add_system(file, i, checked, d);
        }
    }

    /// Define a checked system (its id must be new) and add it to the inventory, unless its
    /// owner or firmware did not check.
    fn add_system(&mut self, file: usize, i: usize, c: CheckedSystem, d: &mut Vec<Diagnostic>) {
        let p = root("systems", i);
        let Some(id) = define(&mut self.system_defs, &p, file, &c.id, "system", d) else {
            return;
        };
        // The index is valid only if no component was left out (always so on a clean load).
        if c.components.len() > SCAN_LIMIT && c.components.len() == c.written {
            self.index.insert(id.clone(), c.order);
        }
        let (Some(owner), Some(firmware)) = (c.owner, c.firmware.or_else(placeholder)) else {
            return;
        };
        let name = c.name.unwrap_or_else(|| id.to_string());
        self.inv.systems.insert(
            id.clone(),
            System {
                id,
                name,
                vendor: c.vendor,
                model: c.model,
                site: c.site,
                owner,
                firmware,
                components: c.components,
                settings: c.settings,
                tenants: c.tenants,
                booted: c.booted,
                discover: c.discover,
            },
        );
    }

    /// One system's checks: its owner, site, firmware, components (their ids, firmware,
    /// readings and dates), boot date and discovery settings.
    fn check_system(
        &self,
        interned: &mut Interned,
        file: usize,
        i: usize,
        s: RawSystem,
        origins: Option<&Origins>,
        d: &mut Vec<Diagnostic>,
    ) -> CheckedSystem {
        let p = root("systems", i);
        let owner = self.owner_ref(file, &p, &s.owner, d);
        let site = s.site.as_ref().and_then(|site| {
            self.known(
                file,
                &p.key("site"),
                site,
                "site",
                |c, id| c.inv.sites.contains_key(id),
                d,
            )
        });
        let scheme = resolve_scheme(
            file,
            &|| p.clone(),
            s.scheme.as_deref(),
            || scheme_for(&s.vendor, &s.model),
            d,
        );
        let fo = origins.and_then(|o| o.firmware.as_ref());
        let mark = d.len();
        let sys_fw = interned.firmware(
            fo.map_or(file, |o| o.file),
            &|| fo.map_or_else(|| p.clone(), |o| o.path.clone()),
            scheme,
            &s.firmware,
            &s.vendor,
            &s.model,
            d,
        );
        discovered_note(&mut d[mark..], fo);
        // Paths are built only when a problem is reported: this loop runs a million times.
        let cpath = |j: usize| p.key("components").index(j);
        // Duplicate ids, also those differing only in case: sort positions by id ignoring case
        // (ties by position) and compare neighbours. The same order is kept as the system's
        // lookup index for references (binary search; a load with duplicates keeps no index).
        let n = s.components.len();
        let mut skip = vec![false; n];
        let mut order: Vec<u32> = (0..u32::try_from(n).unwrap_or(u32::MAX)).collect();
        order.sort_unstable_by(|&a, &b| {
            let id = |k: u32| s.components.get(k as usize).map_or("", |c| c.id.as_str());
            fold_cmp(id(a), id(b)).then(a.cmp(&b))
        });
        for w in order.windows(2) {
            let (first, second) = (w[0] as usize, w[1] as usize);
            let (Some(a), Some(b)) = (s.components.get(first), s.components.get(second)) else {
                continue;
            };
            if fold_cmp(&a.id, &b.id).is_eq() {
                let message = if a.id == b.id {
                    format!("component id `{}` appears twice in system `{}`", b.id, s.id)
                } else {
                    format!(
                        "component id `{}` in system `{}` differs from `{}` only in case",
                        b.id, s.id, a.id
                    )
                };
                d.push(
                    Diagnostic::new(
                        InventoryCode::DuplicateId,
                        Place::at(file, cpath(second).key("id")),
                        message,
                    )
                    .label("second definition")
                    .also(
                        Place::at(file, cpath(first).key("id")),
                        "first defined here",
                    ),
                );
                skip[second] = true;
            }
        }
        for (j, c) in s.components.iter().enumerate() {
            if c.id.is_empty() || c.id.contains('/') || c.id.chars().any(char::is_whitespace) {
                d.push(
                    Diagnostic::new(
                        InventoryCode::InvalidValue,
                        Place::at(file, cpath(j).key("id")),
                        format!("component id `{}` is not usable in a reference", c.id),
                    )
                    .label("must be non-empty, without `/` or spaces"),
                );
                skip[j] = true;
            }
        }
        let today = self.today;
        let mut components: Vec<Component> = Vec::with_capacity(s.components.len());
        for (j, c) in s.components.into_iter().enumerate() {
            if skip[j] {
                continue;
            }
            let po: Option<&PartOrigin> = origins.and_then(|o| o.components.get(j));
            // An entry split from a set is shown at the set it was written as.
            let wj = po.and_then(|o| o.written).unwrap_or(j);
            let cp = || cpath(wj);
            let vendor: &str = c.vendor.as_deref().unwrap_or(&s.vendor);
            let scheme = resolve_scheme(
                file,
                &cp,
                c.scheme.as_deref(),
                || {
                    if c.kind == ComponentKind::Drive {
                        Some(Scheme::Opaque)
                    } else {
                        scheme_for(vendor, &c.model)
                    }
                },
                d,
            );
            let fo = po.and_then(|o| o.firmware.as_ref());
            let mark = d.len();
            let fw = interned.firmware(
                fo.map_or(file, |o| o.file),
                &|| fo.map_or_else(cp, |o| o.path.clone()),
                scheme,
                &c.firmware,
                vendor,
                &c.model,
                d,
            );
            discovered_note(&mut d[mark..], fo);
            let count = c.count.unwrap_or(1);
            if count == 0 {
                d.push(
                    Diagnostic::new(
                        InventoryCode::InvalidValue,
                        Place::at(file, cp().key("count")),
                        "a component count must be at least 1",
                    )
                    .label("zero"),
                );
            }
            let ho = po.and_then(|o| o.power_on_hours.as_ref());
            let mark = d.len();
            let power_on_hours = c.power_on_hours.as_ref().and_then(|h| {
                let hfile = ho.map_or(file, |o| o.file);
                let at = || match ho {
                    Some(o) => o.path.key("power_on_hours").key("read_at"),
                    None => cp().key("power_on_hours").key("read_on"),
                };
                let read_on = date(hfile, &at, &h.read_on, d)
                    .and_then(|on| not_in_future(hfile, &at, on, today, Dated::Reading, d));
                if h.hours > MAX_POWER_ON_HOURS {
                    let at = ho.map_or_else(cp, |o| o.path.clone());
                    d.push(
                        Diagnostic::new(
                            InventoryCode::InvalidValue,
                            Place::at(hfile, at.key("power_on_hours").key("hours")),
                            format!(
                                "{} power-on hours is over {} years of operation",
                                h.hours,
                                MAX_POWER_ON_HOURS / (24 * 365)
                            ),
                        )
                        .label("not a reading of a real part"),
                    );
                    return None;
                }
                Some(PowerOnHours {
                    hours: h.hours,
                    read_on: read_on?,
                })
            });
            discovered_note(&mut d[mark..], ho);
            let in_service = c
                .in_service
                .as_ref()
                .and_then(|r| date(file, &|| cp().key("in_service"), r, d));
            let bo = po.and_then(|o| o.booted.as_ref());
            let mark = d.len();
            let booted = c.booted.as_ref().and_then(|r| {
                let at = || bo.map_or_else(cp, |o| o.path.clone()).key("booted");
                boot_date(bo.map_or(file, |o| o.file), &at, r, today, d)
            });
            discovered_note(&mut d[mark..], bo);
            let serial = c.serial.as_deref().and_then(|raw| {
                let serial = raw.trim();
                let problem = if serial.is_empty() {
                    Some((
                        "an empty serial number",
                        "write the serial, or leave the key out",
                    ))
                } else if count > 1 {
                    Some((
                        "a serial number names one part, not a set",
                        "give each part its own entry (count 1) to record serials",
                    ))
                } else {
                    None
                };
                if let Some((message, label)) = problem {
                    d.push(
                        Diagnostic::new(
                            InventoryCode::InvalidValue,
                            Place::at(file, cp().key("serial")),
                            message,
                        )
                        .label(label),
                    );
                    return None;
                }
                Some(Arc::from(serial))
            });
            let Some(fw) = fw.or_else(placeholder) else {
                continue;
            };
            components.push(Component {
                id: interned.intern(&c.id),
                kind: c.kind,
                vendor: interned.intern(vendor),
                model: interned.intern(&c.model),
                firmware: fw,
                count,
                power_on_hours,
                in_service,
                booted,
                serial,
            });
        }
        let bo = origins.and_then(|o| o.booted.as_ref());
        let mark = d.len();
        let booted = s.booted.as_ref().and_then(|r| {
            let at = || {
                bo.map_or_else(|| p.clone(), |o| o.path.clone())
                    .key("booted")
            };
            boot_date(bo.map_or(file, |o| o.file), &at, r, today, d)
        });
        discovered_note(&mut d[mark..], bo);
        let discover = s.discover.and_then(|raw| {
            let dir = self.dirs.get(file).map_or(Path::new(""), PathBuf::as_path);
            super::secrets::discover(file, dir, p.key("discover"), raw, d)
        });
        CheckedSystem {
            id: s.id,
            name: s.name,
            vendor: s.vendor,
            model: s.model,
            site,
            owner,
            firmware: sys_fw,
            components,
            written: n,
            order,
            settings: s.settings,
            tenants: s.tenants,
            booted,
            discover,
        }
    }

    /// The `owner` of the item at `p`: an owner that must be defined.
    fn owner_ref(
        &self,
        file: usize,
        p: &DocPath,
        raw: &str,
        d: &mut Vec<Diagnostic>,
    ) -> Option<OwnerId> {
        let exists = |c: &Checker, id: &OwnerId| c.inv.owners.contains_key(id);
        self.known(file, &p.key("owner"), raw, "owner", exists, d)
    }

    /// An id that must already be defined (owners and sites).
    fn known<K>(
        &self,
        file: usize,
        at: &DocPath,
        raw: &str,
        what: &str,
        exists: impl Fn(&Checker, &K) -> bool,
        d: &mut Vec<Diagnostic>,
    ) -> Option<K>
    where
        K: FromStr<Err = crate::model::IdError>,
    {
        let place = Place::at(file, at.clone());
        let id = parse_id::<K>(raw, &place, d)?;
        if exists(self, &id) {
            Some(id)
        } else {
            d.push(
                Diagnostic::new(
                    InventoryCode::UnknownReference,
                    place,
                    format!("unknown {what} `{raw}`"),
                )
                .label(format!("no {what} with this id in any inventory file")),
            );
            None
        }
    }

    fn system_ref(
        &self,
        file: usize,
        at: &DocPath,
        raw: &str,
        d: &mut Vec<Diagnostic>,
    ) -> Option<SystemId> {
        if let Some((id, _)) = self.inv.systems.get_key_value(raw) {
            return Some(id.clone());
        }
        self.known(
            file,
            at,
            raw,
            "system",
            |c, id| c.inv.systems.contains_key(id),
            d,
        )
    }

    /// `system` or `system/component` references; unknown ones are reported and dropped.
    fn refs(
        &self,
        file: usize,
        at: &DocPath,
        raws: &[impl AsRef<str>],
        d: &mut Vec<Diagnostic>,
    ) -> Vec<ComponentRef> {
        let mut out = Vec::with_capacity(raws.len());
        let mut near = None;
        for (k, raw) in raws.iter().map(AsRef::as_ref).enumerate() {
            // The usual case, without parsing into new ids: a known system (and component) gets
            // the defining ids, shared. Anything else takes the path below, which says what is wrong.
            if let Some(r) = self.resolve(raw, &mut near) {
                out.push(r);
                continue;
            }
            let place = || Place::at(file, at.index(k));
            let r = match ComponentRef::from_str(raw) {
                Ok(r) => r,
                Err(e) => {
                    d.push(
                        Diagnostic::new(InventoryCode::InvalidValue, place(), e.to_string())
                            .label("expected `system` or `system/component`"),
                    );
                    continue;
                }
            };
            let Some(sys) = self.inv.systems.get(&r.system) else {
                d.push(
                    Diagnostic::new(
                        InventoryCode::UnknownReference,
                        place(),
                        format!("unknown system `{}`", r.system),
                    )
                    .label("no system with this id in any inventory file"),
                );
                continue;
            };
            if let Some(comp) = &r.component {
                if find(sys, self.index.get(&r.system), comp).is_none() {
                    let mut diag = Diagnostic::new(
                        InventoryCode::UnknownReference,
                        place(),
                        format!("system `{}` has no component `{comp}`", r.system),
                    )
                    .label("unknown component");
                    if (1..=12).contains(&sys.components.len()) {
                        let ids: Vec<&str> = sys.components.iter().map(|c| &*c.id).collect();
                        diag = diag.note(format!("its components: {}", ids.join(", ")));
                    }
                    d.push(diag);
                    continue;
                }
            }
            out.push(r);
        }
        out
    }

    /// `system` or `system/component` naming a defined item, as a reference sharing its ids.
    fn resolve<'c>(&'c self, raw: &str, near: &mut Option<Near<'c>>) -> Option<ComponentRef> {
        let (sys, comp) = match raw.split_once('/') {
            None => (raw, None),
            Some((_, c)) if c.is_empty() || c.contains('/') => return None,
            Some((s, c)) => (s, Some(c)),
        };
        let at = self.near(sys, near)?;
        let component = match comp {
            None => None,
            Some(c) => Some(at.component(c)?.id.clone()),
        };
        Some(ComponentRef {
            system: at.id.clone(),
            component,
        })
    }

    /// `near` moved to system `sys` (unchanged when it is there already).
    fn near<'c, 'n>(
        &'c self,
        sys: &str,
        near: &'n mut Option<Near<'c>>,
    ) -> Option<&'n mut Near<'c>> {
        if near.is_some_and(|n| n.id.as_str() == sys) {
            return near.as_mut();
        }
        let (id, system) = self.inv.systems.get_key_value(sys)?;
        *near = Some(Near {
            id,
            system,
            index: self.index.get(sys),
            last: usize::MAX,
        });
        near.as_mut()
    }

    /// Check and define one file's groups. Each group's own checks read only the systems, so they
    /// run on all cores ([`map_in_blocks`]); the groups are then defined in order (a duplicate id
    /// is found there), each after its own diagnostics, as checking them one by one gives.
    fn groups(&mut self, file: usize, groups: Vec<RawGroup>, d: &mut Vec<Diagnostic>) {
        let (checked, _) = map_in_blocks(
            groups,
            |g| g.members.len() + 1,
            GROUPS_APART,
            (),
            |_, i, g| {
                let mut d = Vec::new();
                let parts = self.group(file, i, &g, &mut d);
                (g.id, g.load, parts, d)
            },
        );
        for (i, (id, load, parts, diags)) in checked.into_iter().enumerate() {
            d.extend(diags);
            let Some((kind, members)) = parts else {
                continue;
            };
            let p = root("groups", i);
            if let Some(id) = define(&mut self.group_defs, &p, file, &id, "group", d) {
                self.inv.groups.insert(
                    id.clone(),
                    RedundancyGroup {
                        id,
                        kind,
                        members,
                        load,
                    },
                );
            }
        }
    }

    /// One group's checks: its members, their duplicates, its load, and its kind (a RAID group's
    /// tolerance against its drives). `None` for a group not to define (a RAID group without a
    /// tolerance).
    fn group(
        &self,
        file: usize,
        i: usize,
        g: &RawGroup,
        d: &mut Vec<Diagnostic>,
    ) -> Option<(GroupKind, Vec<ComponentRef>)> {
        let p = root("groups", i);
        let members = self.refs(file, &p.key("members"), &g.members, d);
        let mut ok = members.len() == g.members.len();
        let mut seen = HashSet::new();
        for (k, m) in members.iter().enumerate() {
            // Groups are small: a linear check avoids hashing a million members.
            let dup = if members.len() <= SCAN_LIMIT {
                members[..k].contains(m)
            } else {
                !seen.insert(m)
            };
            if dup {
                d.push(
                    Diagnostic::new(
                        InventoryCode::BadGroupMember,
                        Place::at(file, p.key("members").index(k)),
                        format!("`{m}` is listed twice in group `{}`", g.id),
                    )
                    .label("duplicate member"),
                );
                ok = false;
            }
        }
        if let Some(load) = g.load {
            if !(0.0..=1.0).contains(&load) {
                d.push(
                    Diagnostic::new(
                        InventoryCode::LoadOutOfRange,
                        Place::at(file, p.key("load")),
                        format!("load {load} is outside 0..=1"),
                    )
                    .label("a fraction of one member's capacity")
                    .note("write 60 % as `load = 0.6`"),
                );
            }
        }
        let simple = match g.kind {
            RawGroupKind::ControllerPair => Some(GroupKind::ControllerPair),
            RawGroupKind::Multipath => Some(GroupKind::Multipath),
            RawGroupKind::ReplicaPair => Some(GroupKind::ReplicaPair),
            RawGroupKind::PowerSupplies => Some(GroupKind::PowerSupplies),
            RawGroupKind::Cluster => Some(GroupKind::Cluster),
            RawGroupKind::RaidGroup => None,
        };
        let kind = match simple {
            None => {
                let Some(tolerance) = g.tolerance else {
                    d.push(
                        Diagnostic::new(
                            InventoryCode::RaidToleranceMisplaced,
                            Place::at(file, p.key("kind")),
                            format!("RAID group `{}` has no `tolerance`", g.id),
                        )
                        .label("say how many drives may fail (RAID 5: 1, RAID 6: 2)"),
                    );
                    return None;
                };
                let mut size: u64 = 0;
                let mut near = None;
                for (k, m) in members.iter().enumerate() {
                    let comp = m
                        .component
                        .as_deref()
                        .and_then(|c| self.near(m.system.as_str(), &mut near)?.component(c));
                    match comp {
                        Some(c) if c.kind == ComponentKind::Drive => size += u64::from(c.count),
                        _ => {
                            d.push(
                                Diagnostic::new(
                                    InventoryCode::BadGroupMember,
                                    Place::at(file, p.key("members").index(k)),
                                    format!("RAID group member `{m}` is not a drive set"),
                                )
                                .label("expected `system/drive-component`"),
                            );
                            ok = false;
                        }
                    }
                }
                if ok && u64::from(tolerance) >= size {
                    d.push(
                        Diagnostic::new(
                            InventoryCode::RaidToleranceTooLarge,
                            Place::at(file, p.key("tolerance")),
                            format!(
                                "RAID group `{}` tolerates {tolerance} failures but has {size} drive{}",
                                g.id,
                                if size == 1 { "" } else { "s" }
                            ),
                        )
                        .label(format!("at most {}", size.saturating_sub(1)))
                        .note("the drive count is the sum of the members' `count`s"),
                    );
                }
                GroupKind::RaidGroup { tolerance }
            }
            Some(kind) => {
                if g.tolerance.is_some() {
                    d.push(
                        Diagnostic::new(
                            InventoryCode::RaidToleranceMisplaced,
                            Place::at(file, p.key("tolerance")),
                            "`tolerance` applies to RAID groups only",
                        )
                        .label("remove, or use kind = \"raid-group\""),
                    );
                }
                if ok && members.len() < 2 {
                    d.push(
                        Diagnostic::new(
                            InventoryCode::BadGroupMember,
                            Place::at(file, p.key("members")),
                            format!("group `{}` needs at least two members", g.id),
                        )
                        .label("a single member protects nothing"),
                    );
                }
                kind
            }
        };
        Some((kind, members))
    }

    fn service(
        &mut self,
        file: usize,
        i: usize,
        s: super::raw::RawService,
        d: &mut Vec<Diagnostic>,
    ) {
        let p = root("services", i);
        let owner = self.owner_ref(file, &p, &s.owner, d);
        let depends_on = self.refs(file, &p.key("depends_on"), &s.depends_on, d);
        let Some(id) = define(&mut self.service_defs, &p, file, &s.id, "service", d) else {
            return;
        };
        let Some(owner) = owner else { return };
        let name = s.name.unwrap_or_else(|| id.to_string());
        self.inv.services.insert(
            id.clone(),
            Service {
                id,
                name,
                owner,
                users: s.users,
                tenants: s.tenants,
                criticality: s.criticality,
                depends_on,
                notification_channel: s.notification_channel,
            },
        );
    }
}

/// Problems pushed about a value that came from a snapshot say so, and where the source said it.
fn discovered_note(d: &mut [Diagnostic], origin: Option<&Origin>) {
    let Some(o) = origin else { return };
    for diag in d {
        diag.notes.push(format!(
            "this value was discovered (reported at {}), not written in the inventory: it replaces the written one",
            o.location
        ));
    }
}

fn parse_id<K: FromStr<Err = crate::model::IdError>>(
    raw: &str,
    place: &Place,
    d: &mut Vec<Diagnostic>,
) -> Option<K> {
    match raw.parse::<K>() {
        Ok(id) => Some(id),
        Err(e) => {
            d.push(
                Diagnostic::new(InventoryCode::InvalidValue, place.clone(), e.to_string())
                    .label("letters, digits, `-`, `_` and `.` only"),
            );
            None
        }
    }
}

fn resolve_scheme(
    file: usize,
    item: &dyn Fn() -> DocPath,
    over: Option<&str>,
    default: impl FnOnce() -> Option<Scheme>,
    d: &mut Vec<Diagnostic>,
) -> Option<Scheme> {
    match over {
        Some(raw) => match raw.parse::<Scheme>() {
            Ok(s) => Some(s),
            Err(_) => {
                let names: Vec<&str> = Scheme::ALL.iter().map(|s| s.as_str()).collect();
                d.push(
                    Diagnostic::new(
                        InventoryCode::UnknownScheme,
                        Place::at(file, item().key("scheme")),
                        format!("unknown version scheme `{raw}`"),
                    )
                    .label("not a version scheme")
                    .note(format!("known schemes: {}", names.join(", "))),
                );
                None
            }
        },
        None => Some(default().unwrap_or(Scheme::Opaque)),
    }
}

/// A stand-in version for an item whose firmware did not parse. Only ever placed in an inventory
/// that is thrown away (the load has diagnostics), so references to the item still resolve.
fn placeholder() -> Option<Firmware> {
    FwVersion::parse(Scheme::Opaque, "invalid")
        .ok()
        .map(Firmware::new)
}

/// The most power-on hours a reading may state: 100 years of 24/7 operation. Anything above is a
/// typo or a unit mix-up, and would put the part's threshold dates outside any calendar.
pub const MAX_POWER_ON_HOURS: u64 = 100 * 365 * 24;

fn date(
    file: usize,
    at: &dyn Fn() -> DocPath,
    raw: &RawDate,
    d: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    match parse_date(&raw.0) {
        Some(date) => Some(date),
        None => {
            d.push(
                Diagnostic::new(
                    InventoryCode::InvalidValue,
                    Place::at(file, at()),
                    format!("`{}` is not a date", raw.0),
                )
                .label("expected YYYY-MM-DD"),
            );
            None
        }
    }
}

/// When a system or part last started: `YYYY-MM-DD`, or an RFC 3339 timestamp (`2026-03-01T04:10:00Z`,
/// counted by its UTC date) or a local one (`2026-03-01T04:10:00`, taken as UTC). Uptime bugs
/// fire after whole days, so firmwatch keeps the date. Not after today: a boot in the future is a
/// typo or a clock gone wrong.
fn boot_date(
    file: usize,
    at: &dyn Fn() -> DocPath,
    raw: &RawDate,
    today: NaiveDate,
    d: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    let text = raw.0.trim();
    let parsed = parse_date(text)
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc).date_naive())
        })
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.date())
        });
    let Some(on) = parsed else {
        d.push(
            Diagnostic::new(
                InventoryCode::InvalidValue,
                Place::at(file, at()),
                format!("`{}` is not a date or timestamp", raw.0),
            )
            .label("expected YYYY-MM-DD or 2026-03-01T04:10:00Z"),
        );
        return None;
    };
    not_in_future(file, at, on, today, Dated::Boot, d)
}

/// Days a reading may be dated after today (UTC): where it was taken, the calendar may already be
/// on tomorrow.
const READING_SLACK_DAYS: i64 = 1;

/// What a date checked by [`not_in_future`] records.
#[derive(Clone, Copy)]
enum Dated {
    /// A power-on-hours reading.
    Reading,
    /// A system's or part's last start.
    Boot,
}

/// A reading's or boot's date, unless it is later than `today` (beyond the slack). A part cannot
/// be read or started in the future: such a date is a typo (`2062` for `2026`) or a clock gone
/// wrong, and it would shift every date computed from it by as much.
fn not_in_future(
    file: usize,
    at: &dyn Fn() -> DocPath,
    on: NaiveDate,
    today: NaiveDate,
    what: Dated,
    d: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    if on.signed_duration_since(today).num_days() <= READING_SLACK_DAYS {
        return Some(on);
    }
    let (message, label) = match what {
        Dated::Reading => (
            format!("power-on hours read on {on}, after today ({today})"),
            "a reading cannot be dated in the future",
        ),
        Dated::Boot => (
            format!("booted on {on}, after today ({today})"),
            "a boot cannot be dated in the future",
        ),
    };
    d.push(
        Diagnostic::new(InventoryCode::InvalidValue, Place::at(file, at()), message).label(label),
    );
    None
}

/// `YYYY-MM-DD` exactly (chrono's format-string parser is slow for a million drives).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(
            parse_date("2026-10-01"),
            NaiveDate::from_ymd_opt(2026, 10, 1)
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-1-01",
            "01.10.2026",
            "2026-10-0x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_reading_may_be_dated_one_day_after_today() {
        let doc = |read_on: &str| {
            format!(
                "[[owners]]\nid = \"a\"\nemail = \"a@example.net\"\n\
                 [[systems]]\nid = \"s\"\nvendor = \"v\"\nmodel = \"m\"\nowner = \"a\"\nfirmware = \"1\"\n\
                 [[systems.components]]\nid = \"d\"\nkind = \"drive\"\nmodel = \"m\"\nfirmware = \"1\"\n\
                 power_on_hours = {{ hours = 1, read_on = {read_on} }}\n"
            )
        };
        let check = |read_on: &str| {
            let files = vec![SourceFile::new("inv.toml", doc(read_on))];
            Parsed::new(files, 0).check_on(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
        };
        assert!(check("2026-12-31").is_ok());
        assert!(check("2027-01-01").is_ok());
        match check("2027-01-02") {
            Err(LoadError::Invalid(r)) => {
                assert_eq!(r.diagnostics.len(), 1);
                assert_eq!(r.diagnostics[0].code, InventoryCode::InvalidValue);
                assert!(r.diagnostics[0].message.contains("2027-01-02"));
            }
            other => panic!("expected the future reading refused, got {other:?}"),
        }
    }

    #[test]
    fn placeholder_exists() {
        assert!(placeholder().is_some());
    }

    #[test]
    fn nothing_partial_on_one_error() {
        let good = "[[owners]]\nid = \"a\"\nemail = \"a@example.net\"\n\
            [[systems]]\nid = \"s\"\nvendor = \"v\"\nmodel = \"m\"\nowner = \"a\"\nfirmware = \"1\"\n";
        let bad = "[[sites]]\nid = \"bad id\"\n";
        match load_sources(&[("good.toml", good), ("bad.toml", bad)]) {
            Err(LoadError::Invalid(r)) => {
                assert_eq!(r.diagnostics.len(), 1);
                assert_eq!(r.diagnostics[0].code, InventoryCode::InvalidValue);
            }
            other => panic!("expected diagnostics, got {other:?}"),
        }
    }

    /// A JSON estate large enough that its systems and groups are parsed and checked on all
    /// cores: `systems` systems of ten components each and `groups` controller pairs, with the
    /// groups' section first when `groups_first`. `extra` adds a field to system or group `k`.
    fn large_json(
        systems: usize,
        groups: usize,
        groups_first: bool,
        extra: &dyn Fn(&str, usize) -> &'static str,
    ) -> String {
        let system = |k: usize| {
            let comps: Vec<String> = (0..10)
                .map(|c| {
                    format!(
                        r#"{{"id":"c{c}","kind":"controller","model":"M","firmware":"1.{c}.{k}","serial":"SN-{k}-{c}"}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"id":"s{k}","vendor":"V","model":"M","owner":"a","firmware":"1.0"{},"components":[{}]}}"#,
                extra("system", k),
                comps.join(",")
            )
        };
        let group = |k: usize| {
            let s = k % systems;
            format!(
                r#"{{"id":"g{k}","kind":"controller-pair","members":["s{s}/c{}","s{s}/c{}"]{}}}"#,
                k % 5,
                k % 5 + 5,
                extra("group", k)
            )
        };
        let systems: Vec<String> = (0..systems).map(system).collect();
        let groups: Vec<String> = (0..groups).map(group).collect();
        let (systems, groups) = (systems.join(",\n"), groups.join(",\n"));
        let owners = r#""owners":[{"id":"a","email":"a@example.net"}]"#;
        if groups_first {
            format!("{{{owners},\n\"groups\":[{groups}],\n\"systems\":[{systems}]}}")
        } else {
            format!("{{{owners},\n\"systems\":[{systems}],\n\"groups\":[{groups}]}}")
        }
    }

    /// What parsing the file in one pass gives: the document, or the error's message (without
    /// its position) and offset.
    fn one_pass(text: &str) -> Result<RawDoc, (String, usize)> {
        serde_json::from_str::<RawDoc>(text).map_err(|e| {
            let at = offset_of(text, e.line(), e.column());
            let msg = e.to_string();
            (msg.split(" at line ").next().unwrap().to_string(), at)
        })
    }

    #[test]
    fn a_large_file_read_on_all_cores_is_the_file_and_bad_utf8_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("estate.json");
        // Multi-byte characters everywhere, so the cores' stretches start inside them.
        let text: String = (0..200_000).map(|i| format!("é{i}ü→")).collect();
        assert!(text.len() > 2 * PARALLEL_MIN_BYTES, "{} bytes", text.len());
        fs::write(&path, &text).unwrap();
        assert!(read_text(&path).unwrap() == text);
        let mut bytes = text.into_bytes();
        bytes[1_500_001] = 0xff;
        fs::write(&path, &bytes).unwrap();
        let err = read_text(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    }

    #[test]
    fn a_large_json_file_parses_on_all_cores_as_in_one_pass() {
        let none = |_: &str, _: usize| "";
        let text = large_json(3_000, 30_000, false, &none);
        assert!(text.len() > 4 * PARALLEL_MIN_BYTES, "{} bytes", text.len());
        let doc = parse_json(&text).unwrap();
        let whole = one_pass(&text).unwrap();
        assert_eq!((doc.systems.len(), doc.groups.len()), (3_000, 30_000));
        assert_eq!(format!("{doc:?}"), format!("{whole:?}"));
    }

    #[test]
    fn a_large_json_file_reports_its_first_error_where_one_pass_does() {
        // An unknown field late in the systems and early in the groups, each section first.
        let bad = |what: &str, k: usize| match (what, k) {
            ("system", 2_700) | ("group", 40) => r#","colour":"red""#,
            _ => "",
        };
        for groups_first in [false, true] {
            let text = large_json(3_000, 30_000, groups_first, &bad);
            let (message, at) = parse_json(&text).map(|_| ()).unwrap_err();
            let whole = one_pass(&text).map(|_| ()).unwrap_err();
            assert_eq!((&message, at), (&whole.0, whole.1), "{groups_first}");
            assert!(message.contains("unknown field `colour`"), "{message}");
            let expected = if groups_first { "\"g40\"" } else { "\"s2700\"" };
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            assert!(text[line_start..at].contains(expected), "{groups_first}");
        }
        // A syntax error: the whole file's first pass finds it. (Where a file has a semantic
        // error before a syntax error, that pass reports the syntax error, one pass the other.)
        let text = large_json(3_000, 100, false, &|what, k| {
            if (what, k) == ("system", 2_900) {
                r#","settings":{"x":tru}"#
            } else {
                ""
            }
        });
        let (message, at) = parse_json(&text).map(|_| ()).unwrap_err();
        assert_eq!((message, at), one_pass(&text).map(|_| ()).unwrap_err());
    }

    /// `text` loaded as the inventory file `inv.json`.
    fn load_json(text: &str) -> Result<Inventory, LoadError> {
        let files = vec![SourceFile::new("inv.json", text)];
        Parsed::new(files, 0).check_on(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
    }

    /// The code and the path of each problem `text` has, in the order they are reported.
    fn problems(text: &str) -> Vec<(InventoryCode, String)> {
        let Err(LoadError::Invalid(r)) = load_json(text) else {
            panic!("expected diagnostics");
        };
        let at = |d: &Diagnostic| d.primary.path.as_ref().map(|p| p.to_string());
        let seen = r
            .diagnostics
            .iter()
            .map(|d| (d.code, at(d).unwrap_or_default()));
        seen.collect()
    }

    #[test]
    fn systems_checked_on_all_cores_keep_their_order_and_duplicates() {
        let none = |_: &str, _: usize| "";
        let systems = 3 * SYSTEMS_APART / 11;
        let inv = load_json(&large_json(systems, 0, false, &none)).unwrap();
        assert_eq!(inv.systems.len(), systems);
        let s = inv.systems.get("s4321").unwrap();
        let firmware: Vec<&str> = s.components.iter().map(|c| c.firmware.raw()).collect();
        assert_eq!(firmware[..3], ["1.0.4321", "1.1.4321", "1.2.4321"]);
        // Systems checked on different cores share what they name all the same.
        let models = |id: &str| inv.systems.get(id).unwrap().components[0].model.clone();
        assert_eq!(models("s0"), models(&format!("s{}", systems - 1)));
        // System 5 names an unknown owner, system 3,000 a component twice, the last one repeats
        // the id of system 7.
        let text = large_json(systems, 0, false, &none)
            .replacen(
                r#""id":"s5","vendor":"V","model":"M","owner":"a""#,
                r#""id":"s5","vendor":"V","model":"M","owner":"nobody""#,
                1,
            )
            .replacen(
                r#""id":"c1","kind":"controller","model":"M","firmware":"1.1.3000""#,
                r#""id":"c0","kind":"controller","model":"M","firmware":"1.1.3000""#,
                1,
            )
            .replacen(&format!(r#""id":"s{}","#, systems - 1), r#""id":"s7","#, 1);
        let seen = problems(&text);
        let last = systems - 1;
        assert_eq!(
            seen,
            [
                (InventoryCode::UnknownReference, "systems[5].owner".into()),
                (
                    InventoryCode::DuplicateId,
                    "systems[3000].components[1].id".into()
                ),
                (InventoryCode::DuplicateId, format!("systems[{last}].id")),
            ]
        );
    }

    #[test]
    fn groups_checked_on_all_cores_keep_their_order_and_duplicates() {
        let none = |_: &str, _: usize| "";
        let groups = 3 * GROUPS_APART;
        let inv = load_json(&large_json(1_000, groups, false, &none)).unwrap();
        assert_eq!(inv.groups.len(), groups);
        let g = inv.groups.get("g12345").unwrap();
        let members: Vec<String> = g.members.iter().map(|m| m.to_string()).collect();
        assert_eq!(members, ["s345/c0", "s345/c5"]);
        // Group 3 names an unknown component, group 500 a member twice, group 59,000 repeats
        // the id of group 7.
        let text = large_json(1_000, groups, false, &none)
            .replacen(r#""s3/c3","s3/c8""#, r#""s3/c3","s3/nope""#, 1)
            .replacen(r#""s500/c0","s500/c5""#, r#""s500/c0","s500/c0""#, 1)
            .replacen(r#""id":"g59000""#, r#""id":"g7""#, 1);
        let seen = problems(&text);
        assert_eq!(
            seen,
            [
                (
                    InventoryCode::UnknownReference,
                    "groups[3].members[1]".into()
                ),
                (
                    InventoryCode::BadGroupMember,
                    "groups[500].members[1]".into()
                ),
                (InventoryCode::DuplicateId, "groups[59000].id".into()),
            ]
        );
    }
}
