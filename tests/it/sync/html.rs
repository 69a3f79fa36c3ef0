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

    // The page loses its advisory id (and the RSS item moves): each feed rejects the page, which
    // keeps its advisory; the RSS listing is then read in full and the page retried even though
    // the listing no longer changes, and once fixed it leaves the list.
    let page = fixture("vendor-advisory.html");
    let broken = String::from_utf8(page.clone())
        .unwrap()
        .replace("adv-id", "no-id");
    server.set_ok("/advisories/acme-sa-2026-0042.html", broken);
    let rss = String::from_utf8(fixture("vendor-feed.rss"))
        .unwrap()
        .replace("09:00:00 GMT", "10:00:00 GMT");
    server.set_ok("/advisories/feed.rss", rss);
    for round in 0..2 {
        let r = collect::sync(&store, &defs, &opts).await;
        for id in ["acme-html", "acme-rss"] {
            let f = report_of(&r, id);
            assert_eq!(f.status, SyncStatus::Ok, "{round} {f:?}");
            assert_eq!(f.rejected.len(), 1, "{round} {f:?}");
            assert!(f.rejected[0].reason.contains("has no id"), "{f:?}");
            assert_eq!(f.withdrawn, 0, "{f:?}");
            let a = store.advisory(&id.parse().unwrap(), &"ACME-SA-2026-0042".parse().unwrap());
            assert!(a.unwrap().unwrap().withdrawn.is_none());
        }
    }
    server.set_ok("/advisories/acme-sa-2026-0042.html", page);
    let r = collect::sync(&store, &defs, &opts).await;
    for id in ["acme-html", "acme-rss"] {
        let f = report_of(&r, id);
        assert!(f.rejected.is_empty(), "{f:?}");
    }
}
