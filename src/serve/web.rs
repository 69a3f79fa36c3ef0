//! The routes: the pages (server-rendered, no script), the REST API under `/api/v1/`, `/healthz`
//! and `/metrics`.
//!
//! Every response carries a strict Content-Security-Policy (nothing but the stylesheet and the
//! pages' own forms; no script at all, inline or not), `nosniff` and `no-referrer`. Every string
//! from an advisory, the inventory or a plan is escaped: askama escapes what the templates print,
//! and the pictures escape their own text ([`crate::report::svg`]). A plan upload is limited to
//! [`PLAN_LIMIT`] bytes. The static files are two fixed routes compiled into the binary, so no
//! request path ever reaches the file system.

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::auth::{Scope, Tokens};
use super::{count_slot, Counts, Shared, Snapshot, SEVERITIES};
use crate::blast::{Finding, Severity};
use crate::check::{self, CheckReport, RolloutPlan};
use crate::notify::outbox::{display_key, Status};
use crate::report::{self, svg, timeline};
use crate::triage::TriageState;

/// The largest plan accepted (form or API), in bytes.
pub const PLAN_LIMIT: usize = 256 * 1024;
/// Findings per page of the list.
pub const PAGE_SIZE: usize = 50;

/// The Content-Security-Policy of every page: the stylesheet and inline SVG pictures (which
/// carry presentation attributes only), forms posting back here, nothing else.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = include_str!("../../assets/serve/style.css");

/// The routes of the API, for the README and the OpenAPI file's test.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/exposure"),
    ("GET", "/api/v1/findings/{id}"),
    ("GET", "/api/v1/feeds"),
    ("POST", "/api/v1/check-update"),
    ("GET", "/api/v1/outbox"),
    ("GET", "/api/v1/timeline"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
];

#[derive(Clone)]
struct App {
    shared: Shared,
    tokens: Arc<Tokens>,
}

/// The router over the snapshots in `shared`, guarded by `tokens`.
pub fn router(shared: Shared, tokens: Tokens) -> Router {
    let app = App {
        shared,
        tokens: Arc::new(tokens),
    };
    Router::new()
        .route("/", get(overview))
        .route("/findings", get(findings))
        .route("/findings/{id}", get(finding))
        .route("/findings/{id}/blast.svg", get(finding_svg))
        .route("/timeline", get(timeline_page))
        .route("/timeline.svg", get(timeline_svg))
        .route("/feeds", get(feeds))
        .route("/check-update", get(check_form).post(check_page))
        .route("/notifications", get(notifications))
        .route("/assets/style.css", get(style))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/v1/exposure", get(api_exposure))
        .route("/api/v1/findings/{id}", get(api_finding))
        .route("/api/v1/feeds", get(api_feeds))
        .route("/api/v1/check-update", axum::routing::post(api_check))
        .route("/api/v1/outbox", get(api_outbox))
        .route("/api/v1/timeline", get(api_timeline))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { not_found("no such page") })
        .layer(DefaultBodyLimit::max(PLAN_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Routes anyone may ask for: they show nothing of the estate.
fn public(path: &str) -> bool {
    matches!(path, "/healthz" | "/assets/style.css" | "/favicon.ico")
}

/// Authentication (when tokens are configured) and the security headers of every response.
async fn guard(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let scope = if app.tokens.is_empty() || public(req.uri().path()) {
        Some(Scope::Estate)
    } else {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        app.tokens.check(auth).map(|(_, scope)| scope.clone())
    };
    let mut response = match scope {
        Some(scope) => {
            req.extensions_mut().insert(scope);
            next.run(req).await
        }
        None => {
            let mut r = (StatusCode::UNAUTHORIZED, "a token is required\n").into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"firmwatch\", charset=\"UTF-8\""),
            );
            r
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// The characters a finding id keeps in a path segment (`ADVISORY@system`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The page of a finding.
pub fn finding_href(id: &str) -> String {
    format!("/findings/{}", utf8_percent_encode(id, SEGMENT))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("{what}\n")).into_response()
}

fn bad_request(what: String) -> Response {
    (StatusCode::BAD_REQUEST, format!("{what}\n")).into_response()
}

fn forbidden(what: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("{what}\n")).into_response()
}

fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render\n",
            )
                .into_response()
        }
    }
}

fn svg_response(svg: String) -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response()
}

fn json_response(value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec_pretty(value) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// What every page shows in its frame.
struct Frame {
    title: String,
    scope: String,
    generated: String,
    today: String,
    cycle: String,
    error: Option<String>,
}

impl Frame {
    fn new(app: &App, snap: &Snapshot, scope: &Scope, title: impl Into<String>) -> Frame {
        let status = app.shared.status_now();
        Frame {
            title: title.into(),
            scope: match scope {
                Scope::Estate => "the whole estate".to_string(),
                Scope::Owner(o) => format!("owner {o}"),
            },
            generated: snap
                .report
                .generated_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            today: snap.today().to_string(),
            cycle: format!(
                "cycle {} took {:.1} s",
                snap.cycle.number, snap.cycle.seconds
            ),
            error: status.last_error.map(|e| {
                format!(
                    "the last cycle failed{}: {e} — these pages show the cycle before",
                    status
                        .last_error_at
                        .map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default()
                )
            }),
        }
    }
}

/// One severity count with its list link.
struct SevCount {
    name: &'static str,
    count: usize,
    href: String,
}

fn sev_counts(counts: &Counts, base: &[(&str, &str)]) -> Vec<SevCount> {
    SEVERITIES
        .iter()
        .map(|s| {
            let mut q: Vec<(&str, &str)> = base.to_vec();
            q.push(("severity", s.as_str()));
            SevCount {
                name: s.as_str(),
                count: counts[count_slot(*s)],
                href: list_href(&q),
            }
        })
        .collect()
}

fn list_href(query: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        "/findings".to_string()
    } else {
        format!("/findings?{q}")
    }
}

// ---------------------------------------------------------------------------------------------
// Overview

#[derive(Template)]
#[template(path = "serve/overview.html")]
struct OverviewPage {
    frame: Frame,
    total: usize,
    unknown: usize,
    closed: usize,
    severities: Vec<SevCount>,
    owners: Vec<(String, Vec<SevCount>, usize)>,
    sites: Vec<(String, Vec<SevCount>, usize)>,
    stale: Vec<String>,
    triggers: Vec<TriggerRow>,
    warnings: Vec<String>,
    systems: usize,
    components: u64,
    advisories: usize,
}

struct TriggerRow {
    date: String,
    when: &'static str,
    href: String,
    finding: String,
    severity: &'static str,
    title: String,
}

async fn overview(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| {
        let r = v.report(&snap);
        let mut counts: Counts = [0; 5];
        for (s, n) in &r.counts {
            counts[count_slot(*s)] = *n;
        }
        let rows = |list: &[(String, Counts)], key: &'static str| {
            list.iter()
                .map(|(name, c)| {
                    (
                        name.clone(),
                        sev_counts(c, &[(key, name.as_str())]),
                        c.iter().sum(),
                    )
                })
                .collect()
        };
        page(&OverviewPage {
            frame: Frame::new(&app, &snap, &scope, "Overview"),
            total: r.findings.len(),
            unknown: r.unknown,
            closed: r.triaged.len(),
            severities: sev_counts(&counts, &[]),
            owners: rows(&v.by_owner, "owner"),
            // Sites are no filter of the list: their rows link to the severities of the estate.
            sites: v
                .by_site
                .iter()
                .map(|(name, c)| (name.clone(), sev_counts(c, &[]), c.iter().sum()))
                .collect(),
            stale: r
                .feeds
                .iter()
                .filter(|f| f.stale || f.failing)
                .map(|f| {
                    let age = f
                        .age_days
                        .map_or("never synced".to_string(), |d| format!("{d} days old"));
                    match &f.last_error {
                        Some(e) if f.failing => format!("{} ({age}): {e}", f.feed),
                        _ => format!("{} ({age})", f.feed),
                    }
                })
                .collect(),
            triggers: v
                .next_triggers
                .iter()
                .map(|t| TriggerRow {
                    date: t.date.to_string(),
                    when: if t.past { "passed" } else { "ahead" },
                    href: finding_href(&t.finding),
                    finding: t.finding.clone(),
                    severity: t.severity.as_str(),
                    title: t.title.clone(),
                })
                .collect(),
            warnings: r.warnings.clone(),
            systems: r.inventory.systems,
            components: r.inventory.components,
            advisories: r.advisories,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Findings list

/// The list's filters, as in its URL.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub owner: Option<String>,
    pub system: Option<String>,
    pub severity: Option<String>,
    /// A triage state (`new`, `acknowledged`, … `mitigated`), `open` (the default: every finding
    /// no decision closed) or `all`.
    pub state: Option<String>,
    pub page: Option<usize>,
}

#[derive(Template)]
#[template(path = "serve/findings.html")]
struct FindingsPage {
    frame: Frame,
    rows: Vec<Row>,
    matched: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    owner: String,
    system: String,
    severity: String,
    state: String,
    severities: Vec<&'static str>,
    states: Vec<&'static str>,
}

struct Row {
    href: String,
    id: String,
    severity: &'static str,
    score: u32,
    title: String,
    owner: String,
    parts: u64,
    reason: String,
    triage: &'static str,
    unknown: bool,
}

fn row(f: &Finding) -> Row {
    Row {
        href: finding_href(&f.id),
        id: f.id.clone(),
        severity: f.rating.severity.as_str(),
        score: u32::from(f.rating.score),
        title: f.advisory.title.to_string(),
        owner: f.owner.to_string(),
        parts: f.part_count,
        reason: report::plain(&report::top_reason(f)),
        triage: f.triage.state.as_str(),
        unknown: f.state == crate::matcher::MatchState::Unknown,
    }
}

/// The findings `q` selects from `r`, in the report's order.
fn select<'a>(r: &'a report::Report, q: &ListQuery) -> Result<Vec<&'a Finding>, String> {
    let severity =
        match q.severity.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<Severity>().map_err(|_| {
                format!("unknown severity `{s}` (critical, high, medium, low, info)")
            })?),
            None => None,
        };
    let state = q
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("open");
    let (from_open, from_closed, triage) = match state {
        "open" => (true, false, None),
        "all" => (true, true, None),
        s => {
            let t: TriageState = s.parse().map_err(|_| {
                format!(
                    "unknown state `{s}` (open, all, {})",
                    TriageState::ALL.map(TriageState::as_str).join(", ")
                )
            })?;
            (true, true, Some(t))
        }
    };
    let owner = q.owner.as_deref().filter(|s| !s.is_empty());
    let system = q.system.as_deref().filter(|s| !s.is_empty());
    let open = r.findings.iter().filter(|_| from_open);
    let closed = r.triaged.iter().filter(|_| from_closed);
    Ok(open
        .chain(closed)
        .filter(|f| severity.is_none_or(|s| f.rating.severity == s))
        .filter(|f| triage.is_none_or(|t| f.triage.state == t))
        .filter(|f| owner.is_none_or(|o| f.owner.as_str() == o))
        .filter(|f| system.is_none_or(|s| f.system.as_str() == s))
        .collect())
}

async fn findings(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    Query(q): Query<ListQuery>,
) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| {
        let r = v.report(&snap);
        let selected = match select(r, &q) {
            Ok(s) => s,
            Err(e) => return bad_request(e),
        };
        let matched = selected.len();
        let pages = matched.div_ceil(PAGE_SIZE).max(1);
        let page_no = q.page.unwrap_or(1).clamp(1, pages);
        let rows = selected
            .iter()
            .skip((page_no - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|f| row(f))
            .collect();
        let filters: Vec<(&str, &str)> = [
            ("owner", q.owner.as_deref()),
            ("system", q.system.as_deref()),
            ("severity", q.severity.as_deref()),
            ("state", q.state.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        let at = |n: usize| {
            let n = n.to_string();
            let mut q = filters.clone();
            q.push(("page", &n));
            list_href(&q)
        };
        page(&FindingsPage {
            frame: Frame::new(&app, &snap, &scope, "Findings"),
            rows,
            matched,
            page: page_no,
            pages,
            prev: (page_no > 1).then(|| at(page_no - 1)),
            next: (page_no < pages).then(|| at(page_no + 1)),
            owner: q.owner.clone().unwrap_or_default(),
            system: q.system.clone().unwrap_or_default(),
            severity: q.severity.clone().unwrap_or_default(),
            state: q.state.clone().unwrap_or_default(),
            severities: SEVERITIES.iter().map(|s| s.as_str()).collect(),
            states: ["open", "all"]
                .into_iter()
                .chain(TriageState::ALL.map(TriageState::as_str))
                .collect(),
        })
    })
}

// ---------------------------------------------------------------------------------------------
// One finding

#[derive(Template)]
#[template(path = "serve/finding.html")]
struct FindingPage {
    frame: Frame,
    title: String,
    severity: &'static str,
    score: u32,
    closed: bool,
    explain: String,
    svg: Option<String>,
    svg_href: String,
    why_no_picture: Option<String>,
    references: Vec<String>,
}

async fn finding(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Response {
    let snap = app.shared.snapshot();
    let Some((f, closed)) = snap.finding(&scope, &id) else {
        return not_found(&format!("no finding `{id}`"));
    };
    let drawn = snap.may_draw(&scope, &f);
    let svg = drawn.then(|| svg::blast_radius(&f, &snap.inv, snap.advisory(&f.advisory.id)));
    page(&FindingPage {
        frame: Frame::new(&app, &snap, &scope, f.id.clone()),
        title: f.advisory.title.to_string(),
        severity: f.rating.severity.as_str(),
        score: u32::from(f.rating.score),
        closed,
        explain: report::render_explain(&f),
        svg,
        svg_href: format!("{}/blast.svg", finding_href(&f.id)),
        why_no_picture: (!drawn).then(|| {
            format!(
                "The picture draws the topology of {}, which is for its owner ({}).",
                f.system, f.owner
            )
        }),
        references: f.advisory.references.to_vec(),
    })
}

async fn finding_svg(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Response {
    let snap = app.shared.snapshot();
    let Some((f, _)) = snap.finding(&scope, &id) else {
        return not_found(&format!("no finding `{id}`"));
    };
    if !snap.may_draw(&scope, &f) {
        return forbidden("the picture draws a system's topology, which is for its owner");
    }
    svg_response(svg::blast_radius(
        &f,
        &snap.inv,
        snap.advisory(&f.advisory.id),
    ))
}

// ---------------------------------------------------------------------------------------------
// Timeline

#[derive(Template)]
#[template(path = "serve/timeline.html")]
struct TimelinePage {
    frame: Frame,
    svg: String,
    text: String,
    rows: usize,
    listed: usize,
}

/// Rows the timeline page lists as text (the picture draws its own first rows; the API has all).
pub const TIMELINE_LISTED: usize = 200;

fn timeline_text(t: &timeline::Timeline) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = timeline::write_text(t, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

async fn timeline_page(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| {
        let t = &v.timeline;
        // The first rows only: a large estate has hundreds of thousands.
        let listed = timeline::Timeline {
            rows: t.rows.iter().take(TIMELINE_LISTED).cloned().collect(),
            steps: t.steps.clone(),
            ..*t
        };
        page(&TimelinePage {
            frame: Frame::new(&app, &snap, &scope, "Time bombs ahead"),
            svg: svg::timeline_svg(t),
            text: timeline_text(&listed),
            rows: t.rows.len(),
            listed: listed.rows.len(),
        })
    })
}

async fn timeline_svg(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| svg_response(svg::timeline_svg(&v.timeline)))
}

// ---------------------------------------------------------------------------------------------
// Feeds

#[derive(Template)]
#[template(path = "serve/feeds.html")]
struct FeedsPage {
    frame: Frame,
    feeds: Vec<FeedRow>,
}

struct FeedRow {
    feed: String,
    last_success: String,
    age: String,
    state: &'static str,
    last_error: String,
    rejected: Vec<(String, String)>,
    rejected_count: usize,
}

/// Rejected documents listed per feed (the count is always given).
const REJECTED_SHOWN: usize = 20;

async fn feeds(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    let rows = snap
        .report
        .feeds
        .iter()
        .map(|f| {
            let rejected = snap.rejected.get(&f.feed);
            FeedRow {
                feed: f.feed.clone(),
                last_success: f.last_success.map_or("never".to_string(), |t| {
                    t.format("%Y-%m-%d %H:%M UTC").to_string()
                }),
                age: f.age_days.map_or("—".to_string(), |d| format!("{d} days")),
                state: if f.failing {
                    "failing"
                } else if f.stale {
                    "stale"
                } else {
                    "fresh"
                },
                last_error: f.last_error.clone().unwrap_or_default(),
                rejected: rejected
                    .map(|r| {
                        r.iter()
                            .take(REJECTED_SHOWN)
                            .map(|(loc, why)| (loc.clone(), why.reason.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                rejected_count: f.rejected,
            }
        })
        .collect();
    page(&FeedsPage {
        frame: Frame::new(&app, &snap, &scope, "Feeds"),
        feeds: rows,
    })
}

// ---------------------------------------------------------------------------------------------
// Check a planned update

#[derive(Template)]
#[template(path = "serve/check.html")]
struct CheckPage {
    frame: Frame,
    plan: String,
    errors: Option<String>,
    result: Option<CheckView>,
}

struct CheckView {
    verdict: String,
    verdict_class: &'static str,
    decided_by: Vec<String>,
    hazards: Vec<(String, String, String, String)>,
    systems: Vec<SystemView>,
    recommendations: Vec<String>,
    timeline_svg: String,
}

/// One system of a check: its moves, then its findings by how the plan leaves them (`fixed`,
/// `still open`, `introduced`, `unknown`).
struct SystemView {
    system: String,
    moves: Vec<String>,
    lists: Vec<(&'static str, Vec<Row>)>,
}

/// Check `text` as a plan against the snapshot: the report, or the plan's diagnostics as text.
/// An owner's token may only check plans on their own systems.
fn check_plan(
    snap: &Snapshot,
    scope: &Scope,
    text: &str,
) -> Result<(CheckReport, RolloutPlan), (StatusCode, String)> {
    let plan = check::parse_plan(text, &snap.inv).map_err(|diags| {
        let d = check::plan_diagnostics("plan", text, &diags);
        (StatusCode::UNPROCESSABLE_ENTITY, d.render_plain())
    })?;
    if let Scope::Owner(o) = scope {
        for step in &plan.steps {
            for t in &step.targets {
                let owner = snap
                    .inv
                    .systems
                    .get(&t.subject.system)
                    .map(|s| s.owner.as_str());
                if owner != Some(o.as_str()) {
                    return Err((
                        StatusCode::FORBIDDEN,
                        format!(
                            "step `{}` updates {}, which is not owned by {o}",
                            step.name, t.subject.system
                        ),
                    ));
                }
            }
        }
    }
    let mut report = check::check(
        &snap.inv,
        &snap.advisories,
        &snap.overrides,
        &plan,
        snap.today(),
    );
    check::caution_on_data(&mut report, &snap.report.feeds, None);
    Ok((report, plan))
}

async fn check_form(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    page(&CheckPage {
        frame: Frame::new(&app, &snap, &scope, "Check a planned update"),
        plan: String::new(),
        errors: None,
        result: None,
    })
}

async fn check_page(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    mut form: Multipart,
) -> Response {
    let mut pasted = String::new();
    let mut uploaded = String::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let text = match field.text().await {
                    Ok(t) => t,
                    // 413 past the size limit, 400 for a malformed form.
                    Err(e) => {
                        return (e.status(), format!("reading the form: {e}\n")).into_response()
                    }
                };
                match name.as_str() {
                    "plan" => pasted = text,
                    "file" => uploaded = text,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => return (e.status(), format!("reading the form: {e}\n")).into_response(),
        }
    }
    let text = if uploaded.trim().is_empty() {
        pasted
    } else {
        uploaded
    };
    let snap = app.shared.snapshot();
    let frame = Frame::new(&app, &snap, &scope, "Check a planned update");
    if text.trim().is_empty() {
        return page(&CheckPage {
            frame,
            plan: text,
            errors: Some("paste a plan or choose a file".to_string()),
            result: None,
        });
    }
    let (report, plan) = match check_plan(&snap, &scope, &text) {
        Ok(r) => r,
        Err((status, errors)) => {
            let mut r = page(&CheckPage {
                frame,
                plan: text,
                errors: Some(errors),
                result: None,
            });
            *r.status_mut() = status;
            return r;
        }
    };
    let timeline_svg = snap.with_view(&scope, |v| {
        let t = timeline::build(
            &v.report(&snap).findings,
            &snap.inv,
            snap.today(),
            super::HORIZON_MONTHS,
            Some(&plan),
        );
        svg::timeline_svg(&t)
    });
    let result = CheckView {
        verdict: report.verdict.to_string().to_uppercase(),
        verdict_class: match report.verdict {
            check::Verdict::Go => "go",
            check::Verdict::Caution => "caution",
            check::Verdict::Block => "block",
        },
        decided_by: report.decided_by.clone(),
        hazards: report
            .hazards
            .iter()
            .map(|z| {
                (
                    z.level.to_string(),
                    z.code.to_string(),
                    z.step.clone(),
                    z.reason.clone(),
                )
            })
            .collect(),
        systems: report
            .systems
            .iter()
            .map(|d| SystemView {
                system: d.system.to_string(),
                moves: d.moves.clone(),
                lists: vec![
                    ("fixed", d.fixed.iter().map(row).collect()),
                    ("still open", d.still_open.iter().map(row).collect()),
                    ("introduced", d.introduced.iter().map(row).collect()),
                    ("unknown", d.unknown.iter().map(row).collect()),
                ],
            })
            .collect(),
        recommendations: report
            .recommendations
            .iter()
            .map(|p| p.recommendation.line())
            .collect(),
        timeline_svg,
    };
    page(&CheckPage {
        frame,
        plan: text,
        errors: None,
        result: Some(result),
    })
}

// ---------------------------------------------------------------------------------------------
// Notifications

#[derive(Template)]
#[template(path = "serve/notifications.html")]
struct NotificationsPage {
    frame: Frame,
    pending: usize,
    failed: usize,
    delivered: usize,
    rows: Vec<OutboxRow>,
}

/// One outbox entry as the page and the API show it (never the message's body).
#[derive(serde::Serialize)]
pub struct OutboxRow {
    pub key: String,
    pub owner: String,
    pub channel: &'static str,
    pub target: String,
    /// `pending`, `failed` (pending, its last attempt failed) or `delivered`.
    pub status: &'static str,
    pub attempts: u32,
    pub created: String,
    pub next_attempt: Option<String>,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    pub subject: String,
}

fn outbox_rows(snap: &Snapshot, scope: &Scope) -> Vec<OutboxRow> {
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut rows: Vec<OutboxRow> = snap
        .outbox(scope)
        .map(|(k, d)| {
            let status = match (d.status, &d.last_error) {
                (Status::Sent, _) => "delivered",
                (Status::Pending, Some(_)) => "failed",
                (Status::Pending, None) => "pending",
            };
            OutboxRow {
                key: display_key(k),
                owner: d.message.owner.to_string(),
                channel: d.channel.as_str(),
                target: d.target.clone(),
                status,
                attempts: d.attempts,
                created: time(d.created),
                next_attempt: (d.status == Status::Pending).then(|| time(d.next_attempt)),
                sent_at: d.sent_at.map(time),
                last_error: d.last_error.clone(),
                subject: crate::notify::render::subject(&d.message),
            }
        })
        .collect();
    // Failed first, then pending, then delivered; newest first within each.
    let rank = |s: &str| match s {
        "failed" => 0,
        "pending" => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then_with(|| b.created.cmp(&a.created))
    });
    rows
}

async fn notifications(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    let rows = outbox_rows(&snap, &scope);
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    page(&NotificationsPage {
        frame: Frame::new(&app, &snap, &scope, "Notifications"),
        pending: count("pending"),
        failed: count("failed"),
        delivered: count("delivered"),
        rows,
    })
}

// ---------------------------------------------------------------------------------------------
// Static

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// API

async fn api_exposure(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| {
        let mut out = Vec::new();
        match report::write_json(v.report(&snap), &mut out) {
            Ok(()) => ([(header::CONTENT_TYPE, "application/json")], out).into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        }
    })
}

async fn api_finding(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Response {
    let snap = app.shared.snapshot();
    match snap.finding(&scope, &id) {
        Some((f, _)) => json_response(&f),
        None => not_found(&format!("no finding `{id}`")),
    }
}

async fn api_feeds(State(app): State<App>) -> Response {
    json_response(&app.shared.snapshot().report.feeds)
}

/// `POST /api/v1/check-update`: the body is the plan (TOML); the answer is `check-update
/// --format json`'s.
async fn api_check(
    State(app): State<App>,
    Extension(scope): Extension<Scope>,
    body: Body,
) -> Response {
    let bytes = match axum::body::to_bytes(body, PLAN_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a plan is at most {PLAN_LIMIT} bytes\n"),
            )
                .into_response()
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bad_request("the plan is not UTF-8".to_string());
    };
    let snap = app.shared.snapshot();
    match check_plan(&snap, &scope, text) {
        // `check-update --format json`'s layout: the report, the feeds' data age, the warnings.
        Ok((report, _)) => match serde_json::to_value(&report) {
            Ok(mut v) => {
                v["feeds"] = serde_json::json!(snap.report.feeds);
                v["warnings"] = serde_json::json!(report::feed_warnings(&snap.report.feeds));
                json_response(&v)
            }
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        },
        Err((status, text)) => (status, text).into_response(),
    }
}

async fn api_outbox(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    json_response(&outbox_rows(&snap, &scope))
}

async fn api_timeline(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    let snap = app.shared.snapshot();
    snap.with_view(&scope, |v| json_response(&v.timeline))
}

async fn healthz(State(app): State<App>) -> Response {
    let snap = app.shared.snapshot();
    let status = app.shared.status_now();
    json_response(&serde_json::json!({
        "status": if status.last_error.is_some() { "degraded" } else { "ok" },
        "snapshot": snap.report.generated_at,
        "cycles": status.cycles,
        "last_error": status.last_error,
    }))
}

async fn metrics(State(app): State<App>, Extension(scope): Extension<Scope>) -> Response {
    if scope != Scope::Estate {
        return forbidden("the metrics are of the whole estate: use an estate token");
    }
    let snap = app.shared.snapshot();
    let body = super::metrics::render(&snap, &app.shared.status_now(), chrono::Utc::now());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
