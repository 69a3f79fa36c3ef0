//! Every route of the example estate's dashboard, and what a hostile or careless request gets.

use super::{get, multipart, request, start, TODAY};
use crate::support::cmd::Fw;
use crate::support::fixture::Fixture;
use crate::support::http::Server;

const PLAN: &str = "tests/fixtures/plans/iaas-staged.toml";
const SHELF: &str = "FWN-2026-0007@hosting-fas";

#[test]
fn every_page_and_api_route_answers_on_the_example_estate() {
    let fx = Fixture::new();
    let server = start(Fw::new().in_project().store(fx.store()), &[]);

    // The API's exposure is `exposure --format json` on the same data.
    let api = get(&server, "/api/v1/exposure").expect(200);
    assert_eq!(api.header("content-type"), Some("application/json"));
    let cli = Fw::new()
        .in_project()
        .store(fx.store())
        .args([
            "exposure",
            "--no-sync",
            "--today",
            TODAY,
            "--format",
            "json",
        ])
        .run()
        .expect(0)
        .json();
    let api = api.json();
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&api), ids(&cli));
    assert_eq!(api["findings"].as_array().unwrap().len(), 19);
    assert_eq!(api["schema_version"], cli["schema_version"]);
    assert_eq!(api["counts"], cli["counts"]);

    // Every page: HTML under the strict policy, the frame and its own content.
    for (path, says) in [
        ("/", "Open findings: 19"),
        ("/findings", "19 finding(s) · page 1 of 1"),
        ("/findings?severity=critical", "8 finding(s)"),
        ("/findings?owner=office-it&state=open", "subscriber"),
        ("/timeline", "Time bombs ahead"),
        ("/feeds", "bundled-native"),
        ("/check-update", "Paste a plan"),
        ("/notifications", "0 failed"),
    ] {
        let page = get(&server, path).expect(200);
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let csp = page.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        if path.contains("office-it") {
            assert!(
                !page.body.contains(says),
                "{path}: another owner's system listed"
            );
        } else {
            assert!(
                page.body.contains(says),
                "{path} lacks `{says}`:\n{}",
                page.body
            );
        }
        assert!(!page.body.contains("<script"), "{path} has a script");
    }

    // The overview: counts link to their list, the next triggers are dated.
    let overview = get(&server, "/").body;
    assert!(
        overview.contains("href=\"/findings?severity=critical\""),
        "{overview}"
    );
    assert!(
        overview.contains("2026-12-24"),
        "the uptime clocks ahead:\n{overview}"
    );

    // A finding: its reasoning and its blast radius, drawn inline and alone.
    let page = get(&server, &format!("/findings/{SHELF}")).expect(200).body;
    assert!(
        page.contains("<svg") && page.contains("role=\"img\""),
        "{page}"
    );
    assert!(page.contains("hosting-fas/shelf-1"), "{page}");
    let svg = get(&server, &format!("/findings/{SHELF}/blast.svg")).expect(200);
    assert_eq!(
        svg.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    roxmltree::Document::parse(&svg.body).expect("the picture is well-formed XML");
    // The id percent-encoded as a browser sends it.
    get(&server, "/findings/FWN-2026-0007%40hosting-fas").expect(200);
    let one = get(&server, &format!("/api/v1/findings/{SHELF}"))
        .expect(200)
        .json();
    assert_eq!(one["id"], SHELF);
    get(&server, "/findings/NOPE-1@hosting-fas").expect(404);
    get(&server, "/api/v1/findings/NOPE-1@hosting-fas").expect(404);

    // The list: filters, a bad filter named, pages.
    let bad = get(&server, "/findings?severity=urgent").expect(400);
    assert!(
        bad.body.contains("unknown severity `urgent`"),
        "{}",
        bad.body
    );
    get(&server, "/findings?state=sideways").expect(400);
    let accepted = get(&server, "/findings?state=accepted-risk")
        .expect(200)
        .body;
    assert!(accepted.contains("0 finding(s)"), "{accepted}");
    let last = get(&server, "/findings?page=99").expect(200).body;
    assert!(
        last.contains("page 1 of 1"),
        "a page past the end shows the last one"
    );

    // Timeline and feeds in the API.
    let t = get(&server, "/api/v1/timeline").expect(200).json();
    assert!(!t["rows"].as_array().unwrap().is_empty(), "{t}");
    roxmltree::Document::parse(&get(&server, "/timeline.svg").expect(200).body).unwrap();
    let feeds = get(&server, "/api/v1/feeds").expect(200).json();
    assert!(
        feeds
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["stale"] == false),
        "{feeds}"
    );
    assert_eq!(
        get(&server, "/api/v1/outbox").expect(200).json(),
        serde_json::json!([])
    );

    // Check a plan: pasted in the form, and POSTed to the API; no state changes.
    let plan = std::fs::read_to_string(crate::support::project().join(PLAN)).unwrap();
    let (ct, body) = multipart(&[("plan", &plan), ("file", "")]);
    let checked = request(
        &server,
        "POST",
        "/check-update",
        &[("Content-Type", &ct)],
        &body,
    )
    .expect(200)
    .body;
    assert!(checked.contains("Verdict: "), "{checked}");
    assert!(checked.contains("The plan on the timeline"), "{checked}");
    let api = request(
        &server,
        "POST",
        "/api/v1/check-update",
        &[],
        plan.as_bytes(),
    )
    .expect(200)
    .json();
    let cli = Fw::new()
        .in_project()
        .store(fx.store())
        .args([
            "check-update",
            "--no-sync",
            "--today",
            TODAY,
            "--format",
            "json",
            "--plan",
            PLAN,
        ])
        .run()
        .json();
    assert_eq!(api["verdict"], cli["verdict"]);
    assert_eq!(api["hazards"], cli["hazards"]);
    assert_eq!(api["systems"], cli["systems"]);
    // A bad plan is named by line, and not checked.
    let bad = request(
        &server,
        "POST",
        "/api/v1/check-update",
        &[],
        b"[[step]]\nname = \"s\"\nupdate = [\"no-such-system\"]\nto = \"1\"\n",
    )
    .expect(422);
    assert!(bad.body.contains("no-such-system"), "{}", bad.body);
    assert!(bad.body.contains("plan:3"), "named by line: {}", bad.body);
    let (ct, body) = multipart(&[("plan", "[[step]\n")]);
    let page = request(
        &server,
        "POST",
        "/check-update",
        &[("Content-Type", &ct)],
        &body,
    )
    .expect(422);
    assert!(
        page.body.contains("The plan was not checked"),
        "{}",
        page.body
    );

    // Every route of the API list (which the OpenAPI file is checked against) is served.
    for (method, path) in firmwatch::serve::web::API_ROUTES {
        let path = path.replace("{id}", SHELF);
        let plan = std::fs::read(crate::support::project().join(PLAN)).unwrap();
        let body: &[u8] = if *method == "POST" { &plan } else { b"" };
        let a = request(&server, method, &path, &[], body);
        assert_eq!(a.status, 200, "{method} {path}: {a:#?}");
    }

    // Health and metrics.
    let health = get(&server, "/healthz").expect(200).json();
    assert_eq!(health["status"], "ok");
    let metrics = get(&server, "/metrics").expect(200).body;
    for line in [
        "firmwatch_findings{severity=\"critical\",owner=\"storage-team\"} 3",
        "firmwatch_findings_unknown 0",
        "firmwatch_feed_stale{feed=\"bundled-native\"} 0",
        "firmwatch_outbox_deliveries{status=\"pending\"} 0",
        "# TYPE firmwatch_cycle_duration_seconds gauge",
    ] {
        assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
    }
    let total: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("firmwatch_findings{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 19);

    // Static files: the two there are, nothing else, no way out.
    let css = get(&server, "/assets/style.css").expect(200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    get(&server, "/favicon.ico").expect(204);
    for path in [
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/..%2fCargo.toml",
        "/assets/style.css/../../Cargo.toml",
        "/../../etc/passwd",
        "/nope",
    ] {
        let a = get(&server, path);
        assert!(
            a.status == 404 || a.status == 400,
            "{path}: {} {}",
            a.status,
            a.body
        );
        assert!(
            !a.body.contains("[package]") && !a.body.contains("root:"),
            "{path}"
        );
    }
}

#[test]
fn plan_uploads_are_limited_and_methods_checked() {
    let fx = Fixture::new();
    let server = start(Fw::new().in_project().store(fx.store()), &[]);
    let big = vec![b'#'; 300 * 1024];
    request(&server, "POST", "/api/v1/check-update", &[], &big).expect(413);
    let (ct, body) = multipart(&[("plan", &"#".repeat(300 * 1024))]);
    let a = request(
        &server,
        "POST",
        "/check-update",
        &[("Content-Type", &ct)],
        &body,
    );
    assert_eq!(a.status, 413, "{a:#?}");
    request(&server, "DELETE", "/api/v1/exposure", &[], b"").expect(405);
    request(&server, "GET", "/api/v1/check-update", &[], b"").expect(405);
}

#[test]
fn hostile_advisory_text_is_escaped_in_every_page_and_picture() {
    let hook = Server::start();
    let fx = crate::security::leaks::setup(&hook, None);
    let server = start(fx.fw(), &[]);
    let list = get(&server, "/findings").expect(200).body;
    assert!(list.contains("LEAK-1@arr-a"), "{list}");
    for path in [
        "/",
        "/findings",
        "/findings/LEAK-1@arr-a",
        "/findings/LEAK-1@arr-shared",
        "/timeline",
    ] {
        let body = get(&server, path).expect(200).body;
        for raw in ["<script", "<img", "<b ", "onerror=", "onmouseover=x>"] {
            assert!(!body.contains(raw), "{path} carries `{raw}` unescaped");
        }
    }
    let page = get(&server, "/findings/LEAK-1@arr-a").body;
    assert!(
        page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
        "{page}"
    );
    let svg = get(&server, "/findings/LEAK-1@arr-a/blast.svg")
        .expect(200)
        .body;
    let doc = roxmltree::Document::parse(&svg).expect("well-formed despite the title");
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    assert!(svg.contains("&lt;script&gt;"), "{svg}");
}

/// `docs/openapi.json` documents exactly the API the router serves.
#[test]
fn the_openapi_file_lists_exactly_the_served_api() {
    let text =
        std::fs::read_to_string(crate::support::project().join("docs/openapi.json")).unwrap();
    let spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut served: Vec<(String, String)> = firmwatch::serve::web::API_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    served.sort();
    assert_eq!(documented, served);
}

/// `--plan`: the timeline marks the plan's steps; a plan that does not check is a warning on the
/// pages, and the rest is served.
#[test]
fn the_timeline_marks_the_steps_of_the_plan_given() {
    let fx = Fixture::new();
    let server = start(Fw::new().in_project().store(fx.store()), &["--plan", PLAN]);
    let t = get(&server, "/api/v1/timeline").expect(200).json();
    let steps: Vec<&str> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["primary", "backup, one week later"], "{t}");
    let page = get(&server, "/timeline").expect(200).body;
    assert!(page.contains("step primary · 2026-12-05"), "{page}");
    drop(server);

    let broken = fx.file(
        "broken-plan.toml",
        "[[step]]\nname = \"s\"\nupdate = [\"no-such-system\"]\nto = \"1\"\n",
    );
    let server = start(
        Fw::new().in_project().store(fx.store()),
        &["--plan", broken.to_str().unwrap()],
    );
    let page = get(&server, "/").expect(200).body;
    assert!(
        page.contains("does not check, the timeline shows no plan"),
        "{page}"
    );
    let t = get(&server, "/api/v1/timeline").expect(200).json();
    assert!(t.get("steps").is_none(), "{t}");
}
