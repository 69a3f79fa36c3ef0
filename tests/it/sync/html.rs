//! `html` and `rss` feeds on 127.0.0.1 with the fixture pages in `tests/fixtures/sync/` (no real
//! vendor RSS/HTML advisory file is in the corpus; see corpus/feeds/README.md).

use super::{prepare, report_of};
use crate::support::http::Server;
use firmwatch::collect::{self, SyncStatus};
use firmwatch::model::VersionSpec;
use firmwatch::store::Store;

const SELECTORS: &str = "[html]\ntitle = \"h1.title\"\nid = \".adv-id\"\ndate = \".published\"\nproducts = \".products li\"\nversions = \".versions\"\n";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sync")
            .join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn html_page_and_rss_listing() {
    let server = Server::start();
    server.set_ok(
        "/advisories/acme-sa-2026-0042.html",
        fixture("vendor-advisory.html"),
    );
    server.set_ok("/advisories/feed.rss", fixture("vendor-feed.rss"));
    let (_dirs, defs, store, opts) = prepare(&[
        (
            "acme-html",
            format!(
                "kind = \"html\"\nurl = \"{}\"\nvendor = \"ACME\"\nscheme = \"intdot\"\n{SELECTORS}",
                server.url("/advisories/acme-sa-2026-0042.html")
            ),
        ),
        (
            "acme-rss",
            format!(
                "kind = \"rss\"\nurl = \"{}\"\nvendor = \"ACME\"\nscheme = \"intdot\"\n{SELECTORS}",
                server.url("/advisories/feed.rss")
            ),
        ),
    ]);
    let r1 = collect::sync(&store, &defs, &opts).await;
    for id in ["acme-html", "acme-rss"] {
        let f = report_of(&r1, id);
        assert_eq!((f.status.clone(), f.new), (SyncStatus::Ok, 1), "{f:?}");
        let a = store
            .advisory(&id.parse().unwrap(), &"ACME-SA-2026-0042".parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(a.affected[0].product, "ACME Array 5000");
        assert!(
            matches!(a.affected[0].versions, VersionSpec::Range(_)),
            "{:?}",
            a.affected[0].versions
        );
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2026-03-03T00:00:00+00:00"
        );
    }
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    for id in ["acme-html", "acme-rss"] {
        assert_eq!(report_of(&r2, id).unchanged, 1);
    }
    // The RSS item's page is not fetched again: the listing is unchanged (304).
    let page_hits = server
        .requests()
        .iter()
        .filter(|p| p.ends_with(".html"))
        .count();
    assert_eq!(
        page_hits,
        1,
        "only the html feed revalidates its page: {:?}",
        server.requests()
    );
}
