//! The dashboard in headless Chromium: the overview, a finding page and the timeline load with
//! no console error or blocked content under the served policy, and their pictures are drawn
//! with their labels. Screenshots land in `target/browser-artifacts/` (or `$FIRMWATCH_ARTIFACTS`).

use super::start;
use crate::support::browser::{check_page, PageCheck};
use crate::support::cmd::Fw;
use crate::support::fixture::Fixture;

#[test]
fn the_dashboard_pages_show_without_errors_and_draw_their_pictures() {
    browser_or_skip!();
    let fx = Fixture::new();
    let server = start(Fw::new().in_project().store(fx.store()), &[]);

    let overview = check_page(&server.url("/"), "serve-overview");
    overview.assert_clean();
    assert!(
        overview.text.contains("Open findings: 19"),
        "{}",
        overview.text
    );

    let finding = check_page(
        &server.url("/findings/FWN-2026-0006@hosting-fas"),
        "serve-finding",
    );
    finding.assert_clean();
    finding.assert_svgs_drawn();
    for label in ["ctl-a", "ctl-b"] {
        assert!(drawn(&finding, label), "no `{label}` drawn: {finding:#?}");
    }

    let timeline = check_page(&server.url("/timeline"), "serve-timeline");
    timeline.assert_clean();
    timeline.assert_svgs_drawn();
    assert!(drawn(&timeline, "2026-12-24"), "{timeline:#?}");

    let list = check_page(&server.url("/findings?severity=critical"), "serve-findings");
    list.assert_clean();
}

/// Whether a picture on the page drew a label containing `part`.
fn drawn(page: &PageCheck, part: &str) -> bool {
    page.svgs.iter().any(|s| s.has_label_containing(part))
}
