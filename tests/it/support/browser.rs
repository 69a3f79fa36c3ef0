//! A real browser for the tests that look at a page as a person would: Debian's headless
//! Chromium loads a URL from a loopback server and [`check_page`] reports what a person (and the
//! browser's console) would notice — console errors and warnings, Content-Security-Policy
//! violations, requests that failed, and for every `<svg>` whether it was drawn (its boxes) and
//! what it says (its `<title>` and `<text>` labels) — and saves a PNG screenshot as an artifact.
//!
//! Why it is shaped this way:
//!
//! - **The system's browser, installed where the machine allows.** The tests use
//!   `/usr/bin/chromium` (Debian package `chromium`), never a browser build fetched by a crate:
//!   the machines reach package registries only. When it is missing and the tests run as root
//!   with apt, the first test to need it installs it (one at a time, across processes, behind a
//!   file lock). Where that is impossible a test prints `SKIP: …` and passes — unless
//!   `FIRMWATCH_REQUIRE_BROWSER=1` (set by `.ci/run`), when it fails.
//! - **The harness starts Chromium itself**, with exactly the flags below and a fresh profile
//!   directory, and only then connects the DevTools client to it. Without the flags that turn off
//!   background networking, component updates and sync, Chromium on a machine with no outside
//!   network spends its time on requests that never answer. The process is killed when the
//!   [`Chromium`] handle is dropped, a panicking test included.
//! - **The DevTools protocol through `chromiumoxide`** (a dev-dependency): typed events for the
//!   console (`Log.entryAdded`, `Runtime.consoleAPICalled`, `Runtime.exceptionThrown`) and the
//!   network (`Network.loadingFailed`, `Network.responseReceived`), script evaluation for the
//!   SVG boxes and labels, and screenshots. CSP violations are also counted from the page's own
//!   `securitypolicyviolation` events (a listener installed before the page's first script),
//!   which do not depend on how a Chromium release words its console messages.
//! - **Everything is time-bound**: the launch waits at most [`LAUNCH_TIMEOUT`], the whole look at
//!   a page at most [`PAGE_TIMEOUT`]; a hung browser fails the test with what it printed, it
//!   never hangs the suite.
//!
//! Screenshots (and the check itself, as JSON) go to `target/browser-artifacts/<name>.png` under
//! the project root, or to `$FIRMWATCH_ARTIFACTS` when set — the same place whatever
//! `CARGO_TARGET_DIR` is, so CI can keep them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventRequestWillBeSent, EventResponseReceived,
};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown, RemoteObject,
};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Set to `1` to make a missing browser fail the tests instead of skipping them.
pub const REQUIRE: &str = "FIRMWATCH_REQUIRE_BROWSER";
/// How long Chromium may take to start and open its DevTools endpoint.
pub const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);
/// How long loading and inspecting one page may take, screenshot included.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags every launch gets: headless, no sandbox (the tests run as root, which the sandbox
/// refuses), and nothing that talks to the outside world on its own.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Viewport of every page; screenshots are of the whole page, whatever its height.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

/// Whether Chromium is here, installing it first where this machine allows. `false` (after a
/// `SKIP:` notice) when it cannot be had; with `FIRMWATCH_REQUIRE_BROWSER=1` that panics instead.
pub fn available() -> bool {
    // Every test thread asks; the first one looks (and installs), the others wait for its answer.
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let found = find_or_install();
        if let Err(why) = &found {
            if !required() {
                say(&format!(
                    "SKIP: {why}; the browser tests pass without looking ({REQUIRE}=1 fails them)"
                ));
            }
        }
        found
    });
    match found {
        Ok(()) => true,
        Err(why) if required() => panic!("{REQUIRE}=1 but {why}"),
        Err(_) => false,
    }
}

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| v == "1")
}

/// A line on the test process's stderr that the test harness does not capture: a skipped test or
/// a minute-long install shows in a plain `cargo test` run, not only under `--nocapture`.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// [`available()`], or return from the test when there is no browser.
macro_rules! browser_or_skip {
    () => {
        if !$crate::support::browser::available() {
            return;
        }
    };
}

fn find_or_install() -> Result<(), String> {
    let chromium = Path::new(CHROMIUM);
    if chromium.exists() {
        return Ok(());
    }
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root || !Path::new("/usr/bin/apt-get").exists() {
        return Err(format!(
            "{CHROMIUM} is missing and cannot be installed here (needs root and apt-get; \
             Debian package `chromium`)"
        ));
    }
    // Two test processes may get here at once; apt would refuse the second, so they take turns
    // and the second finds the browser installed.
    let lock_path = std::env::temp_dir().join("firmwatch-chromium-install.lock");
    let lock = File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    fs2::FileExt::lock_exclusive(&lock).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    if chromium.exists() {
        return Ok(());
    }
    say(&format!(
        "notice: {CHROMIUM} is missing; installing Debian's chromium with apt-get"
    ));
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
    };
    let mut last = String::new();
    // A fresh machine may have no package lists yet: update only when the install needs it.
    for step in [
        &["install", "-y", "-qq", "chromium"][..],
        &["update", "-qq"],
        &["install", "-y", "-qq", "chromium"],
    ] {
        if step[0] == "update" && chromium.exists() {
            break;
        }
        match apt(step) {
            Ok(out) if out.status.success() => {}
            Ok(out) => last = String::from_utf8_lossy(&out.stderr).trim().to_string(),
            Err(e) => last = e.to_string(),
        }
        if chromium.exists() {
            return Ok(());
        }
    }
    Err(format!(
        "{CHROMIUM} is missing and `apt-get install chromium` failed: {last}"
    ))
}

/// A console message at warning level or above, from the page's scripts or from the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleMessage {
    pub level: Level,
    /// Where it came from: the browser's log source (`security`, `network`, `javascript` …),
    /// `console` for the page's `console.*` calls, `exception` for an uncaught exception.
    pub source: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

/// A request that did not bring its resource: a network error, a block (CSP, mixed content …)
/// or an HTTP status of 400 and above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRequest {
    pub url: String,
    /// The network error (`net::ERR_…`) with the reason it was blocked, or `HTTP <status>`.
    pub reason: String,
}

/// A Content-Security-Policy violation as the page's `securitypolicyviolation` event told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CspViolation {
    pub directive: String,
    /// What was blocked: a URL, or `inline` / `eval`.
    pub blocked: String,
    pub sample: String,
}

/// A box in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn is_empty(&self) -> bool {
        !(self.width > 0.0 && self.height > 0.0)
    }
}

/// A `<text>` of an SVG and the width it was drawn at (0 when it was not drawn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub text: String,
    pub width: f64,
}

/// One `<svg>` element of the page as laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Svg {
    pub id: Option<String>,
    /// Its box on the page (`getBoundingClientRect`).
    pub rect: Rect,
    /// The box of what it draws, in its own units (`getBBox`): empty when nothing is drawn.
    pub bbox: Rect,
    /// Its own `<title>` (a direct child), the accessible name.
    pub title: Option<String>,
    pub labels: Vec<Label>,
}

impl Svg {
    /// Whether a drawn `<text>` says exactly `text`.
    pub fn has_label(&self, text: &str) -> bool {
        self.labels.iter().any(|l| l.text == text && l.width > 0.0)
    }

    /// Whether a drawn `<text>` contains `part`.
    pub fn has_label_containing(&self, part: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.text.contains(part) && l.width > 0.0)
    }
}

/// What loading one page showed.
#[derive(Debug, Clone, Serialize)]
pub struct PageCheck {
    pub url: String,
    /// `document.title` once loaded.
    pub title: String,
    /// The page's text as shown (`innerText` of the body; the text of an SVG document).
    pub text: String,
    pub console: Vec<ConsoleMessage>,
    pub csp_violations: Vec<CspViolation>,
    pub failed_requests: Vec<FailedRequest>,
    pub svgs: Vec<Svg>,
    /// The full-page PNG written for this check.
    pub screenshot: PathBuf,
}

impl PageCheck {
    pub fn errors(&self) -> impl Iterator<Item = &ConsoleMessage> {
        self.console.iter().filter(|m| m.level == Level::Error)
    }

    /// Panic with everything wrong unless the page had no console error or warning, no CSP
    /// violation and no failed request.
    pub fn assert_clean(&self) {
        let problems: Vec<String> = self
            .console
            .iter()
            .map(|m| format!("console {:?} ({}): {}", m.level, m.source, m.text))
            .chain(
                self.csp_violations
                    .iter()
                    .map(|v| format!("CSP {}: {} {}", v.directive, v.blocked, v.sample)),
            )
            .chain(
                self.failed_requests
                    .iter()
                    .map(|r| format!("request {}: {}", r.url, r.reason)),
            )
            .collect();
        assert!(
            problems.is_empty(),
            "{} (screenshot {}):\n{}",
            self.url,
            self.screenshot.display(),
            problems.join("\n")
        );
    }

    /// Panic unless every `<svg>` was laid out and drew something.
    pub fn assert_svgs_drawn(&self) {
        assert!(!self.svgs.is_empty(), "{}: no <svg> on the page", self.url);
        for svg in &self.svgs {
            assert!(
                !svg.rect.is_empty() && !svg.bbox.is_empty(),
                "{}: an <svg> ({:?}) was not drawn: {svg:?}",
                self.url,
                svg.title
            );
        }
    }
}

/// Where screenshots and checks are written: `$FIRMWATCH_ARTIFACTS`, or
/// `target/browser-artifacts/` under the project root.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("FIRMWATCH_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::project().join("target/browser-artifacts"))
}

/// Load `url` in a fresh headless Chromium and report what it showed; the screenshot goes to
/// `<artifacts>/<name>.png` and the check to `<artifacts>/<name>.json`.
///
/// Call [`available()`] (or `browser_or_skip!()`) first: without a browser this panics. Call
/// it from a plain `#[test]`: it runs its own runtime.
pub fn check_page(url: &str, name: &str) -> PageCheck {
    check_page_within(url, name, PAGE_TIMEOUT)
}

/// [`check_page`] with its own bound on loading and inspecting the page.
pub fn check_page_within(url: &str, name: &str, limit: Duration) -> PageCheck {
    assert!(
        available(),
        "check_page without a browser: start the test with browser_or_skip!()"
    );
    let chromium = Chromium::launch();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inspected = rt.block_on(async {
        tokio::time::timeout(limit, inspect(&chromium.endpoint, url, limit)).await
    });
    let (mut check, png) = match inspected {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => panic!("{url}: {e}\nchromium printed:\n{}", chromium.printed()),
        Err(_) => panic!(
            "{url}: chromium did not finish within {limit:?}\nchromium printed:\n{}",
            chromium.printed()
        ),
    };
    drop(rt);
    drop(chromium);
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    check.screenshot = dir.join(format!("{name}.png"));
    std::fs::write(&check.screenshot, png)
        .unwrap_or_else(|e| panic!("{}: {e}", check.screenshot.display()));
    let json = dir.join(format!("{name}.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(&check).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
    check
}

/// A running Chromium, killed when dropped.
struct Chromium {
    child: Child,
    /// The browser's DevTools WebSocket URL.
    endpoint: String,
    /// What it printed on stderr so far, for the failure message.
    stderr: Arc<Mutex<Vec<String>>>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    fn launch() -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(CHROMIUM)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--remote-debugging-port=0")
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMIUM}: {e}"));
        // It announces its endpoint on stderr; the reader keeps reading (and keeping) the rest,
        // so a chatty browser never blocks on a full pipe.
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(ws) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(ws.trim().to_string());
                }
                kept.lock().unwrap().push(line);
            }
        });
        let mut chromium = Chromium {
            child,
            endpoint: String::new(),
            stderr,
            _profile: profile,
        };
        match rx.recv_timeout(LAUNCH_TIMEOUT) {
            Ok(ws) => chromium.endpoint = ws,
            Err(_) => panic!(
                "{CHROMIUM} did not open its DevTools endpoint within {LAUNCH_TIMEOUT:?} ({}); it printed:\n{}",
                match chromium.child.try_wait() {
                    Ok(Some(status)) => format!("it exited: {status}"),
                    _ => "still running".to_string(),
                },
                chromium.printed()
            ),
        }
        chromium
    }

    /// Its last lines on stderr, less the complaints about a missing D-Bus (every line on a
    /// machine without a system bus, and never the reason a page failed).
    fn printed(&self) -> String {
        let lines = self.stderr.lock().unwrap();
        let kept: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !l.contains(":ERROR:dbus/"))
            .collect();
        kept[kept.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Its helper processes (renderer, GPU, zygote) end when the browser process does.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the event listeners gathered while the page loaded.
#[derive(Default)]
struct Gathered {
    console: Vec<ConsoleMessage>,
    /// Request URLs by request id, to name the ones that fail.
    requests: HashMap<String, String>,
    /// Requests that failed, by request id or (with an HTTP status) by URL, with the reason.
    /// Named only at the end: each event type has its own listener, so a failure can be
    /// recorded before the request it names.
    failed: Vec<(Failed, String)>,
}

enum Failed {
    Id(String),
    Url(String),
}

impl Gathered {
    fn failed_requests(&self) -> Vec<FailedRequest> {
        self.failed
            .iter()
            .map(|(which, reason)| FailedRequest {
                url: match which {
                    Failed::Url(url) => url.clone(),
                    Failed::Id(id) => self
                        .requests
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| format!("request {id}")),
                },
                reason: reason.clone(),
            })
            .collect()
    }
}

/// Installed before the page's first script: keeps the page's CSP violations where
/// [`SVGS_AND_VIOLATIONS`] reads them.
const CSP_LISTENER: &str = r#"
window.__firmwatchCsp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__firmwatchCsp.push({
    directive: e.effectiveDirective || e.violatedDirective || '',
    blocked: e.blockedURI || '',
    sample: e.sample || '',
  });
});
"#;

/// Resolves once two frames were laid out after the load: what a screenshot or a box reads then
/// is what a person sees.
const SETTLED: &str = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(document.readyState))))";

/// Every `<svg>` with its boxes and labels, the page's title and its CSP violations.
const SVGS_AND_VIOLATIONS: &str = r#"(() => {
  const rect = (r) => ({ x: r.x, y: r.y, width: r.width, height: r.height });
  const bbox = (el) => { try { return rect(el.getBBox()); } catch (_) { return rect({ x: 0, y: 0, width: 0, height: 0 }); } };
  const svgs = Array.from(document.querySelectorAll('svg')).map((svg) => {
    const title = Array.from(svg.children).find((c) => c.localName === 'title');
    return {
      id: svg.id || null,
      rect: rect(svg.getBoundingClientRect()),
      bbox: bbox(svg),
      title: title ? title.textContent : null,
      labels: Array.from(svg.querySelectorAll('text')).map((t) => ({
        text: t.textContent,
        width: bbox(t).width,
      })),
    };
  });
  const text = document.body ? document.body.innerText : document.documentElement.textContent;
  return { title: document.title, text, svgs, csp: window.__firmwatchCsp || [] };
})()"#;

#[derive(Deserialize)]
struct Inspected {
    title: String,
    text: String,
    svgs: Vec<Svg>,
    csp: Vec<CspViolation>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Connect to the browser at `endpoint`, load `url` in a new tab and read it; the check (with no
/// screenshot path yet) and the screenshot's PNG bytes.
async fn inspect(
    endpoint: &str,
    url: &str,
    limit: Duration,
) -> Result<(PageCheck, Vec<u8>), Failure> {
    let config = HandlerConfig {
        viewport: Some(Viewport {
            width: WIDTH,
            height: HEIGHT,
            ..Viewport::default()
        }),
        request_timeout: limit,
        ..HandlerConfig::default()
    };
    let (browser, mut handler) =
        chromiumoxide::Browser::connect_with_config(endpoint, config).await?;
    // The handler drives the connection: every command's answer and every event passes through it.
    let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });

    let page = browser.new_page("about:blank").await?;
    let gathered = Arc::new(Mutex::new(Gathered::default()));
    listen(&page, &gathered).await?;
    page.evaluate_on_new_document(CSP_LISTENER).await?;

    page.goto(url).await?;
    page.evaluate(SETTLED).await?;
    let inspected: Inspected = page.evaluate(SVGS_AND_VIOLATIONS).await?.into_value()?;
    let png = page
        .screenshot(
            ScreenshotParams::builder()
                .format(CaptureScreenshotFormat::Png)
                .full_page(true)
                .build(),
        )
        .await?;
    // One more round trip: every event the browser sent before its answer has been handed to the
    // listeners by then; a short wait lets their tasks record them.
    page.evaluate("0").await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    driver.abort();

    let gathered = std::mem::take(&mut *gathered.lock().unwrap());
    let failed_requests = gathered.failed_requests();
    Ok((
        PageCheck {
            url: url.to_string(),
            title: inspected.title,
            text: inspected.text,
            console: gathered.console,
            csp_violations: inspected.csp,
            failed_requests,
            svgs: inspected.svgs,
            screenshot: PathBuf::new(),
        },
        png,
    ))
}

/// Start the listeners that fill `gathered` (each on a task of its own, ended with the runtime).
async fn listen(page: &Page, gathered: &Arc<Mutex<Gathered>>) -> Result<(), Failure> {
    let mut log = page.event_listener::<EventEntryAdded>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = log.next().await {
            let level = match e.entry.level {
                LogEntryLevel::Error => Level::Error,
                LogEntryLevel::Warning => Level::Warning,
                _ => continue,
            };
            let mut text = e.entry.text.clone();
            if let Some(url) = &e.entry.url {
                text = format!("{text} ({url})");
            }
            g.lock().unwrap().console.push(ConsoleMessage {
                level,
                source: e.entry.source.as_ref().to_string(),
                text,
            });
        }
    });

    let mut calls = page.event_listener::<EventConsoleApiCalled>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = calls.next().await {
            let level = match e.r#type {
                ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert => Level::Error,
                ConsoleApiCalledType::Warning => Level::Warning,
                _ => continue,
            };
            let text = e.args.iter().map(shown).collect::<Vec<_>>().join(" ");
            g.lock().unwrap().console.push(ConsoleMessage {
                level,
                source: "console".to_string(),
                text,
            });
        }
    });

    let mut exceptions = page.event_listener::<EventExceptionThrown>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = exceptions.next().await {
            let d = &e.exception_details;
            let text = match d.exception.as_ref() {
                Some(ex) => format!("{} {}", d.text, shown(ex)),
                None => d.text.clone(),
            };
            g.lock().unwrap().console.push(ConsoleMessage {
                level: Level::Error,
                source: "exception".to_string(),
                text,
            });
        }
    });

    let mut sent = page.event_listener::<EventRequestWillBeSent>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = sent.next().await {
            g.lock()
                .unwrap()
                .requests
                .insert(e.request_id.inner().clone(), e.request.url.clone());
        }
    });

    let mut failed = page.event_listener::<EventLoadingFailed>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = failed.next().await {
            let reason = match (&e.blocked_reason, e.error_text.is_empty()) {
                (Some(why), true) => format!("blocked: {}", why.as_ref()),
                (Some(why), false) => format!("{} (blocked: {})", e.error_text, why.as_ref()),
                (None, _) => e.error_text.clone(),
            };
            g.lock()
                .unwrap()
                .failed
                .push((Failed::Id(e.request_id.inner().clone()), reason));
        }
    });

    let mut responses = page.event_listener::<EventResponseReceived>().await?;
    let g = gathered.clone();
    tokio::spawn(async move {
        while let Some(e) = responses.next().await {
            if e.response.status >= 400 {
                g.lock().unwrap().failed.push((
                    Failed::Url(e.response.url.clone()),
                    format!("HTTP {}", e.response.status),
                ));
            }
        }
    });
    Ok(())
}

/// A console argument as the console would show it.
fn shown(arg: &RemoteObject) -> String {
    match (&arg.value, &arg.description) {
        (Some(serde_json::Value::String(s)), _) => s.clone(),
        (Some(v), _) => v.to_string(),
        (None, Some(d)) => d.clone(),
        (None, None) => format!("{:?}", arg.r#type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::http::{Reply, Server};

    fn reply(content_type: &str, body: &str) -> Vec<Reply> {
        vec![Reply::Status(
            200,
            vec![
                ("content-type".to_string(), content_type.to_string()),
                (
                    "content-security-policy".to_string(),
                    "default-src 'self'".to_string(),
                ),
            ],
            body.as_bytes().to_vec(),
        )]
    }

    /// A page that breaks every rule the browser tests hold pages to: the check reports each
    /// break, and `assert_clean` refuses the page.
    #[test]
    fn the_check_catches_console_errors_csp_violations_and_failed_loads() {
        browser_or_skip!();
        let server = Server::start();
        // 127.0.0.2 is loopback too: were the CSP not enforced, nothing outside would be asked.
        let elsewhere = "http://127.0.0.2:9/elsewhere.png";
        server.set(
            "/bad.html",
            reply(
                "text/html; charset=utf-8",
                &format!(
                    "<!DOCTYPE html><html><head><title>bad</title></head><body>\
                     <script>document.title = 'inline script ran';</script>\
                     <script src=\"/app.js\"></script>\
                     <img src=\"/missing.png\" alt=\"\"><img src=\"{elsewhere}\" alt=\"\">\
                     </body></html>"
                ),
            ),
        );
        server.set(
            "/app.js",
            reply(
                "text/javascript",
                "console.error('firmwatch check: an error'); console.warn('firmwatch check: a warning');",
            ),
        );
        let check = check_page(&server.url("/bad.html"), "harness-negative");

        assert_eq!(check.title, "bad", "the inline script was blocked");
        assert!(
            check
                .csp_violations
                .iter()
                .any(|v| v.blocked == "inline" && v.directive.starts_with("script-src")),
            "{:?}",
            check.csp_violations
        );
        assert!(
            check
                .csp_violations
                .iter()
                .any(|v| v.blocked == elsewhere && v.directive.starts_with("img-src")),
            "{:?}",
            check.csp_violations
        );
        // The browser's console says so too.
        assert!(
            check
                .errors()
                .any(|m| m.text.contains("Content Security Policy")),
            "{:?}",
            check.console
        );
        assert!(
            check
                .errors()
                .any(|m| m.source == "console" && m.text == "firmwatch check: an error"),
            "{:?}",
            check.console
        );
        assert!(
            check
                .console
                .iter()
                .any(|m| m.level == Level::Warning && m.text == "firmwatch check: a warning"),
            "{:?}",
            check.console
        );
        assert!(
            check
                .failed_requests
                .iter()
                .any(|r| r.url == server.url("/missing.png") && r.reason == "HTTP 404"),
            "{:?}",
            check.failed_requests
        );
        assert!(
            check
                .failed_requests
                .iter()
                .any(|r| r.url == elsewhere && r.reason == "blocked: csp"),
            "{:?}",
            check.failed_requests
        );
        assert!(check.screenshot.is_file());
        let refused = std::panic::catch_unwind(|| check.assert_clean());
        assert!(refused.is_err(), "assert_clean let the page pass");
    }

    /// A page that never finishes loading fails the check at its time bound, with the browser
    /// killed, instead of hanging the suite.
    #[test]
    fn a_page_that_never_loads_fails_in_time() {
        browser_or_skip!();
        let server = Server::start();
        server.set("/slow.html", vec![Reply::Slow]);
        let started = std::time::Instant::now();
        let url = server.url("/slow.html");
        let failed = std::panic::catch_unwind(|| {
            check_page_within(&url, "harness-slow", Duration::from_secs(2))
        });
        let message = match failed {
            Ok(check) => panic!("a page that never loads passed: {check:?}"),
            Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
        };
        assert!(message.contains("did not finish within 2s"), "{message}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
    }
}
