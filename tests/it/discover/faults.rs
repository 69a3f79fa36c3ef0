//! Every fault class of a real service fails its endpoint with the URL and the reason — a slow
//! member, 401, 403, 500, malformed JSON, a page linking back, endless paging, the resource cap,
//! the deadline, an unreachable root — while dead links (404) and link cycles are walked through.
//! Served on 127.0.0.1 from the DMTF rackmount1 tree (`shared/corpus`), with the fault scripted
//! on one path.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{corpus_tree, endpoint, quick, walk, RedfishMock, Route, Setup, Tree};
use firmwatch::discover::Limits;

const BMC: &str = "/redfish/v1/Managers/BMC";

fn rackmount(routes: Vec<(&str, Route)>) -> Option<RedfishMock> {
    let dir = corpus_tree("dmtf-public-rackmount1")?;
    let setup = routes
        .into_iter()
        .fold(Setup::new(Tree::load(&dir)), |s, (p, r)| s.route(p, r));
    Some(RedfishMock::start(setup))
}

/// The walk's error, which must name `path` of the service and say `reason`.
async fn fails(mock: &RedfishMock, limits: &Limits, path: &str, reason: &str) -> String {
    let err = match walk(&endpoint(&mock.root()), limits).await {
        Ok(c) => panic!(
            "expected a failure, got {} parts",
            c.snapshot.components.len()
        ),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(&format!("{}{path}", mock.base)),
        "the error names {path}: {err}"
    );
    assert!(err.contains(reason), "the error says `{reason}`: {err}");
    err
}

#[tokio::test]
async fn a_slow_member_times_out_naming_it() {
    let Some(mock) = rackmount(vec![(BMC, Route::Slow(Duration::from_secs(5)))]) else {
        return;
    };
    let limits = Limits {
        request_timeout: Duration::from_millis(400),
        ..quick()
    };
    let t = Instant::now();
    fails(&mock, &limits, BMC, "timed out").await;
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[tokio::test]
async fn status_401_403_and_500_fail_the_endpoint() {
    for (status, reason) in [
        (401, "HTTP 401 (credentials refused)"),
        (403, "HTTP 403 (credentials refused)"),
        (500, "HTTP 500"),
    ] {
        let Some(mock) = rackmount(vec![(BMC, Route::Status(status))]) else {
            return;
        };
        fails(&mock, &quick(), BMC, reason).await;
    }
}

#[tokio::test]
async fn a_503_is_retried_then_fails() {
    let Some(mock) = rackmount(vec![(BMC, Route::Status(503))]) else {
        return;
    };
    let limits = Limits {
        retries: 2,
        ..quick()
    };
    fails(&mock, &limits, BMC, "HTTP 503").await;
    let asked = mock.log().iter().filter(|r| r.target == BMC).count();
    assert_eq!(asked, 3, "once and two retries");
}

#[tokio::test]
async fn malformed_json_fails_naming_the_resource() {
    let bay1 = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay1";
    let Some(mock) = rackmount(vec![(
        bay1,
        Route::Raw(br#"{"Id": "Bay1", "Model": "#.to_vec()),
    )]) else {
        return;
    };
    fails(&mock, &quick(), bay1, "malformed JSON").await;
}

#[tokio::test]
async fn an_unreachable_root_fails_naming_it() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/redfish/v1", closed.local_addr().unwrap());
    drop(closed);
    let err = walk(&endpoint(&url), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&url), "{err}");
}

#[tokio::test]
async fn a_root_that_is_not_redfish_fails() {
    let Some(mock) = rackmount(vec![(
        "/redfish/v1",
        Route::Raw(b"<html>login</html>".to_vec()),
    )]) else {
        return;
    };
    fails(&mock, &quick(), "/redfish/v1", "malformed JSON").await;
}

#[tokio::test]
async fn link_cycles_and_dead_links_are_walked_through_once() {
    // Chassis/1U links its drives to the chassis collection itself, and a supply links back to
    // its chassis: a cycle; the Bay2 supply is a dead link.
    let Some(dir) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let mut chassis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("Chassis/1U/index.json")).unwrap()).unwrap();
    chassis["Drives"] = json!({"@odata.id": "/redfish/v1/Chassis"});
    chassis["Links"]["Drives"] = json!([{"@odata.id": "/redfish/v1/Chassis/1U"}]);
    let mock = RedfishMock::start(
        Setup::new(Tree::load(&dir))
            .route("/redfish/v1/Chassis/1U", Route::Json(chassis))
            .route(
                "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay2",
                Route::Status(404),
            ),
    );
    let crawl = walk(&endpoint(&mock.root()), &quick()).await.unwrap();
    let ids: Vec<&str> = crawl
        .snapshot
        .components
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["bios", "bmc", "fw-SS", "psu-Bay1"]);
    let log = mock.log();
    for r in &log {
        let path = r.target.split('?').next().unwrap();
        let n = log
            .iter()
            .filter(|x| x.target.split('?').next().unwrap() == path)
            .count();
        assert_eq!(n, 1, "{path} read {n} times");
    }
    assert!(
        crawl.notes.iter().any(|n| n.contains("Bay2 (404)")),
        "{:?}",
        crawl.notes
    );
}

#[tokio::test]
async fn a_page_linking_back_fails_as_a_loop() {
    let Some(mock) = rackmount(vec![(
        "/redfish/v1/Managers",
        Route::Json(json!({
            "Members": [{"@odata.id": BMC}],
            "Members@odata.nextLink": "/redfish/v1/Managers?$skip=1"
        })),
    )]) else {
        return;
    };
    // Page 2 (`?$skip=1`) is the same route: it links to itself.
    fails(
        &mock,
        &quick(),
        "/redfish/v1/Managers?$skip=1",
        "paging loops",
    )
    .await;
}

#[tokio::test]
async fn endless_paging_stops_at_the_page_cap() {
    let pages = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pages.clone();
    let Some(mock) = rackmount(vec![(
        "/redfish/v1/Managers",
        Route::Compute(Arc::new(move |query: &str| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let skip: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("$skip="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let body = json!({
                "Members": [],
                "Members@odata.nextLink": format!("/redfish/v1/Managers?$skip={}", skip + 1)
            });
            (200, body.to_string().into_bytes())
        })),
    )]) else {
        return;
    };
    let limits = Limits {
        max_pages: 5,
        ..quick()
    };
    fails(
        &mock,
        &limits,
        "/redfish/v1/Managers?$skip=5",
        "more than 5 pages",
    )
    .await;
    assert_eq!(pages.load(std::sync::atomic::Ordering::Relaxed), 5);
}

#[tokio::test]
async fn the_resource_cap_stops_the_walk() {
    let Some(mock) = rackmount(vec![]) else {
        return;
    };
    let limits = Limits {
        max_resources: 6,
        ..quick()
    };
    let err = fails(&mock, &limits, "/redfish/v1", "more than 6 resources").await;
    assert!(err.contains("per-endpoint cap"), "{err}");
    assert!(mock.log().len() <= 6, "{:?}", mock.log());
}

#[tokio::test]
async fn the_endpoint_deadline_stops_a_walk_of_slow_members() {
    let slow = Route::Slow(Duration::from_millis(700));
    let Some(mock) = rackmount(vec![
        (BMC, slow.clone()),
        ("/redfish/v1/Systems/437XR1138R2", slow.clone()),
        ("/redfish/v1/Chassis/1U", slow),
    ]) else {
        return;
    };
    let limits = Limits {
        endpoint_deadline: Duration::from_millis(500),
        per_endpoint: 1,
        ..quick()
    };
    let t = Instant::now();
    fails(&mock, &limits, "/redfish/v1", "deadline").await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_refused_expand_query_is_asked_again_without_it() {
    let Some(dir) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let systems = std::fs::read(dir.join("Systems/index.json")).unwrap();
    let mock = RedfishMock::start(Setup::new(Tree::load(&dir)).route(
        "/redfish/v1/Systems",
        Route::Compute(Arc::new(move |query: &str| {
            if query.contains("$expand") {
                (400, b"{}".to_vec())
            } else {
                (200, systems.clone())
            }
        })),
    ));
    let crawl = walk(&endpoint(&mock.root()), &quick()).await.unwrap();
    assert!(crawl.snapshot.components.iter().any(|c| c.id == "bios"));
    let asked: Vec<String> = mock
        .log()
        .iter()
        .filter(|r| {
            r.target.starts_with("/redfish/v1/Systems?") || r.target == "/redfish/v1/Systems"
        })
        .map(|r| format!("{} {}", r.target, r.status))
        .collect();
    assert_eq!(
        asked,
        [
            "/redfish/v1/Systems?$expand=.($levels=1) 400",
            "/redfish/v1/Systems 200"
        ]
    );
}

#[tokio::test]
async fn expanded_members_are_read_inline() {
    let Some(dir) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let bmc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("Managers/BMC/index.json")).unwrap())
            .unwrap();
    let mock = RedfishMock::start(Setup::new(Tree::load(&dir)).route(
        "/redfish/v1/Managers",
        Route::Json(json!({"Members": [bmc], "Members@odata.count": 1})),
    ));
    let crawl = walk(&endpoint(&mock.root()), &quick()).await.unwrap();
    let bmc = crawl
        .snapshot
        .components
        .iter()
        .find(|c| c.id == "bmc")
        .unwrap();
    assert_eq!(bmc.firmware.as_deref(), Some("1.45.455b66-rev4"));
    assert!(
        !mock.log().iter().any(|r| r.target == BMC),
        "not fetched again"
    );
}

/// Credentials and tokens go only to the service's origin: a member linked on another host is not
/// read, and a redirect to another origin is refused — the other server never hears from us.
#[tokio::test]
async fn links_and_redirects_off_the_service_are_not_followed() {
    let Some(dir) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let elsewhere = RedfishMock::start(Setup::new(Tree::load(&dir)));
    let off = format!("{}/redfish/v1/Managers/BMC", elsewhere.base);
    let mock = RedfishMock::start(Setup::new(Tree::load(&dir)).route(
        "/redfish/v1/Managers",
        Route::Json(json!({"Members": [{"@odata.id": off}]})),
    ));
    let crawl = walk(
        &super::with_login(
            &mock.root(),
            firmwatch::inventory::DiscoverAuth::Basic,
            "u",
            "p",
        ),
        &quick(),
    )
    .await;
    // The service wants no login, but the client sends Basic on every request it makes.
    let crawl = crawl.unwrap();
    assert!(crawl.snapshot.components.iter().all(|c| c.id != "bmc"));
    assert!(
        crawl
            .notes
            .iter()
            .any(|n| n.contains(&off) && n.contains("not followed")),
        "{:?}",
        crawl.notes
    );
    let redirecting =
        RedfishMock::start(Setup::new(Tree::load(&dir)).route(BMC, Route::Redirect(off.clone())));
    let err = walk(
        &super::with_login(
            &redirecting.root(),
            firmwatch::inventory::DiscoverAuth::Basic,
            "u",
            "p",
        ),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("redirect off the service's origin"), "{err}");
    assert!(elsewhere.log().is_empty(), "{:?}", elsewhere.log());
}

/// At most `per_endpoint` requests to one endpoint and `requests` in the whole run are in flight:
/// the server counts how many it answers at once, with its members slowed so that they overlap.
#[tokio::test]
async fn requests_in_flight_are_bounded_per_endpoint_and_overall() {
    use firmwatch::discover::{discover_all, RunOptions, Target};
    let Some(dir) = corpus_tree("dmtf-public-rackmount1") else {
        return;
    };
    let slow = Route::Slow(Duration::from_millis(300));
    let setup = |prefixes| {
        let mut s = [
            "/redfish/v1/Systems",
            "/redfish/v1/Chassis",
            "/redfish/v1/Managers",
            "/redfish/v1/UpdateService",
        ]
        .into_iter()
        .fold(Setup::new(Tree::load(&dir)), |s, p| {
            s.route(p, slow.clone())
        });
        s.prefixes = prefixes;
        s
    };
    // One endpoint, two at a time: the root's four links wait in pairs.
    let one = RedfishMock::start(setup(None));
    let limits = Limits {
        per_endpoint: 2,
        ..quick()
    };
    walk(&endpoint(&one.root()), &limits).await.unwrap();
    assert_eq!(one.max_in_flight(), 2);
    // Two endpoints of two each, three in the run.
    let two = RedfishMock::start(setup(Some(2)));
    let targets = (1..=2)
        .map(|n| Target {
            system: format!("s{n}"),
            endpoint: endpoint(&two.prefixed_root(n)),
            unusable: None,
        })
        .collect();
    let opts = RunOptions {
        limits,
        jobs: 2,
        requests: 3,
    };
    let outcomes = discover_all(targets, &opts).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(two.max_in_flight(), 3);
}
