//! The example estate's report and pictures in a real browser (`support::browser`): the HTML
//! report, and a page embedding the SVG pictures served under the strict
//! Content-Security-Policy the dashboard will send. A person would see no console error, no
//! blocked content, pictures that are drawn, and labels that name the systems, parts and dates.
//! Screenshots land in `target/browser-artifacts/` (or `$FIRMWATCH_ARTIFACTS`).

use super::{exposure, PLAN, TODAY};
use crate::support::browser::{check_page, PageCheck};
use crate::support::fixture::Fixture;
use crate::support::http::{Reply, Server};

/// What the dashboard will send with every page: nothing inline, nothing from elsewhere.
const CSP: &str = "default-src 'self'";

/// `body` as a 200 of `content_type`, with the strict CSP when `csp`.
fn page(content_type: &str, csp: bool, body: impl Into<Vec<u8>>) -> Vec<Reply> {
    let mut headers = vec![("content-type".to_string(), content_type.to_string())];
    if csp {
        headers.push(("content-security-policy".to_string(), CSP.to_string()));
    }
    vec![Reply::Status(200, headers, body.into())]
}

/// A loopback server standing in for the dashboard. Browsers ask every site for
/// `/favicon.ico` and log a 404 for it as a console error, so a site without an icon answers
/// 204 (the dashboard has to do the same, or serve an icon).
fn site() -> Server {
    let server = Server::start();
    server.set("/favicon.ico", vec![Reply::status(204)]);
    server
}

/// The screenshot was written and is a PNG.
fn screenshot_written(check: &PageCheck) {
    let png = std::fs::read(&check.screenshot)
        .unwrap_or_else(|e| panic!("{}: {e}", check.screenshot.display()));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000,
        "{} is not a screenshot",
        check.screenshot.display()
    );
}

#[test]
fn the_html_report_shows_without_errors() {
    browser_or_skip!();
    let fx = Fixture::new();
    let out = exposure(&fx, &["--format", "html"]);
    let html = out.stdout();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", out.show());

    // The report is a file people open or mail around, with its style inline: served as it is,
    // without the dashboard's CSP.
    let server = site();
    server.set(
        "/report.html",
        page("text/html; charset=utf-8", false, html),
    );
    let check = check_page(&server.url("/report.html"), "exposure-report");
    check.assert_clean();
    screenshot_written(&check);
    assert_eq!(check.title, format!("firmwatch exposure {TODAY}"));
    for shown in [
        "firmwatch exposure report",
        "mail-unity",
        "subscriber-db-1",
        "FWN-2026-0002",
    ] {
        assert!(
            check.text.contains(shown),
            "{shown:?} not shown:\n{}",
            check.text
        );
    }
}

#[test]
fn the_pictures_draw_under_a_strict_csp() {
    browser_or_skip!();
    let fx = Fixture::new();
    let svg = |args: &[&str]| {
        let out = exposure(&fx, args);
        out.expect(0);
        out.stdout()
    };
    let controllers = svg(&["--explain", "FWN-2026-0002@mail-unity", "--format", "svg"]);
    let raid = svg(&[
        "--explain",
        "FWN-2019-0032768@subscriber-db-1",
        "--format",
        "svg",
    ]);
    let timeline = svg(&["--timeline", "--format", "svg", "--plan", PLAN]);

    // The pictures inline in a page, as the dashboard shows them, and one on its own as the
    // dashboard's SVG routes will serve it; every byte under `default-src 'self'`.
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pictures</title>\
         <link rel=\"stylesheet\" href=\"/page.css\"></head><body>\n\
         <h1>Blast radius</h1>\n{controllers}\n{raid}\n<h1>Time bombs</h1>\n{timeline}\n</body></html>\n"
    );
    let server = site();
    server.set(
        "/pictures.html",
        page("text/html; charset=utf-8", true, html),
    );
    server.set(
        "/page.css",
        page(
            "text/css",
            true,
            "body { font-family: sans-serif; margin: 1em; }",
        ),
    );
    server.set(
        "/timeline.svg",
        page("image/svg+xml", true, timeline.clone()),
    );

    let check = check_page(&server.url("/pictures.html"), "exposure-pictures");
    check.assert_clean();
    check.assert_svgs_drawn();
    screenshot_written(&check);
    assert_eq!(check.svgs.len(), 3, "{:?}", check.svgs);
    let [controllers, raid, timeline] = [0, 1, 2].map(|i| &check.svgs[i]);

    assert_eq!(
        controllers.title.as_deref(),
        Some("Blast radius of FWN-2026-0002@mail-unity: critical (score 83), service-outage")
    );
    for label in [
        "System mail-unity — Shared mail array",
        "spa",
        "spb",
        "load 60 %",
    ] {
        assert!(controllers.has_label(label), "{label:?}: {controllers:?}");
    }
    assert!(raid.has_label("fails 2026-11-22"), "{raid:?}");
    assert!(raid.has_label_containing("subscriber-db-1"), "{raid:?}");
    for label in [
        "today 2026-11-22",
        "FWN-2026-0006 · 2 × controller · 2026-12-24",
        "step primary · 2026-12-05",
    ] {
        assert!(timeline.has_label(label), "{label:?}: {timeline:?}");
    }
    // The pictures are stacked, not drawn over each other.
    assert!(controllers.rect.y + controllers.rect.height <= raid.rect.y + 0.5);
    assert!(raid.rect.y + raid.rect.height <= timeline.rect.y + 0.5);

    let alone = check_page(&server.url("/timeline.svg"), "exposure-timeline-svg");
    alone.assert_clean();
    alone.assert_svgs_drawn();
    screenshot_written(&alone);
    assert!(
        alone.svgs[0].has_label("today 2026-11-22"),
        "{:?}",
        alone.svgs
    );
}
