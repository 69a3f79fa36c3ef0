//! Hostile servers: every misbehaviour gives a clear feed error naming the URL, the store keeps
//! the previous good data, and the other feeds of the same sync complete.
//!
//! Each case is its own `csaf-dir` feed served on 127.0.0.1 (`changes.csv` + one document + its
//! `.sha512`). A first sync ingests the good document everywhere; then each case's document turns
//! hostile (and its `changes.csv` date moves, so it is fetched again) and a second sync runs all
//! cases together.

use std::time::{Duration, Instant};

use super::{feed_state, prepare, report_of, retitle, sha512_file, stored, url_feed};
use crate::support::http::{Reply, Server};
use firmwatch::collect::{self, SyncStatus};
use firmwatch::model::Advisory;

const DOC: &str = "csaf/provider/gocsaf-csaf-documents/valid/avendor-advisory-0004.json";

fn changes(date: &str) -> String {
    format!("\"2020/doc.json\",\"{date}\"\n")
}

fn serve_good(server: &Server, case: &str, doc: &[u8]) {
    server.set_ok(
        &format!("/{case}/changes.csv"),
        changes("2020-01-01T00:00:00Z"),
    );
    server.set_ok(&format!("/{case}/2020/doc.json"), doc.to_vec());
    server.set_ok(
        &format!("/{case}/2020/doc.json.sha512"),
        sha512_file(doc, "doc.json"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_fail_their_feed_only() {
    let corpus = corpus_or_skip!();
    let good = std::fs::read(corpus.join(DOC)).unwrap();
    let changed = retitle(&good, "A real update");
    let server = Server::start();
    let cases = [
        "oversize",
        "slow",
        "redirect-loop",
        "redirect-file",
        "redirect-ftp",
        "redirect-other-host",
        "redirect-other-port",
        "flaky-500",
        "always-500",
        "rate-limited",
        "hash-mismatch",
        "invalid-json",
        "truncated",
        "gzip-bomb",
        "healthy",
    ];
    for c in cases {
        serve_good(&server, c, &good);
    }
    let defs: Vec<(&str, String)> = cases
        .iter()
        .map(|c| (*c, url_feed("csaf-dir", &server.url(&format!("/{c}/")))))
        .collect();
    let (_dirs, defs, store, opts) = prepare(&defs);

    let r1 = collect::sync(&store, &defs, &opts).await;
    assert!(!r1.any_failed(), "{:#?}", r1.feeds);
    let before: Vec<(String, Vec<Advisory>)> = cases
        .iter()
        .map(|c| (c.to_string(), stored(&store, c)))
        .collect();
    assert!(before.iter().all(|(_, a)| a.len() == 1));

    // Turn hostile. Every case announces a newer document.
    for c in cases {
        server.set_ok(
            &format!("/{c}/changes.csv"),
            changes("2020-02-01T00:00:00Z"),
        );
    }
    let doc = |c: &str| format!("/{c}/2020/doc.json");
    let hash = |c: &str| format!("/{c}/2020/doc.json.sha512");
    let ok_hash = sha512_file(&changed, "doc.json");
    server.set(
        "/oversize/2020/doc.json",
        vec![Reply::Huge(3 * 1024 * 1024)],
    );
    server.set("/slow/2020/doc.json", vec![Reply::Slow]);
    let loc = |to: &str| vec![("location".to_string(), to.to_string())];
    server.set(
        &doc("redirect-loop"),
        vec![Reply::Status(
            302,
            loc("/redirect-loop/2020/doc.json"),
            vec![],
        )],
    );
    server.set(
        &doc("redirect-file"),
        vec![Reply::Status(302, loc("file:///etc/passwd"), vec![])],
    );
    server.set(
        &doc("redirect-ftp"),
        vec![Reply::Status(301, loc("ftp://127.0.0.1/doc.json"), vec![])],
    );
    // A redirect goes only where the feed may go itself: `localhost` is not the feed's host
    // `127.0.0.1`, and another port is another service (both serve the document, so following
    // them would succeed).
    let elsewhere = server
        .url("/elsewhere/doc.json")
        .replace("127.0.0.1", "localhost");
    server.set_ok("/elsewhere/doc.json", changed.clone());
    server.set(
        &doc("redirect-other-host"),
        vec![Reply::Status(302, loc(&elsewhere), vec![])],
    );
    let other = Server::start();
    other.set_ok("/doc.json", changed.clone());
    server.set(
        &doc("redirect-other-port"),
        vec![Reply::Status(302, loc(&other.url("/doc.json")), vec![])],
    );
    for c in ["redirect-other-host", "redirect-other-port"] {
        server.set_ok(&hash(c), ok_hash.clone());
    }
    server.set(
        &doc("flaky-500"),
        vec![
            Reply::Status(500, vec![], vec![]),
            Reply::Ok(changed.clone()),
        ],
    );
    server.set_ok(&hash("flaky-500"), ok_hash.clone());
    server.set(&doc("always-500"), vec![Reply::Status(503, vec![], vec![])]);
    let ra = vec![("retry-after".to_string(), "1".to_string())];
    server.set(
        &doc("rate-limited"),
        vec![Reply::Status(429, ra, vec![]), Reply::Ok(changed.clone())],
    );
    server.set_ok(&hash("rate-limited"), ok_hash.clone());
    server.set_ok(&doc("hash-mismatch"), changed.clone()); // hash file still the old one
    let junk = b"{\"document\": {\"title\": ".to_vec();
    server.set_ok(&doc("invalid-json"), junk.clone());
    server.set_ok(&hash("invalid-json"), sha512_file(&junk, "doc.json"));
    server.set(
        &doc("truncated"),
        vec![Reply::Truncated {
            declared: changed.len(),
            body: changed[..100].to_vec(),
        }],
    );
    // 64 KiB on the wire, 8 MiB once decoded: the cap applies to the decoded body.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![b' '; 8 * 1024 * 1024]).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 64 * 1024);
    let enc = vec![("content-encoding".to_string(), "gzip".to_string())];
    server.set(&doc("gzip-bomb"), vec![Reply::Status(200, enc, gz)]);
    server.set_ok(&doc("healthy"), changed.clone());
    server.set_ok(&hash("healthy"), ok_hash.clone());

    let t0 = Instant::now();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let elapsed = t0.elapsed();
    assert!(r2.any_failed());
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");

    let expect_fail = [
        ("oversize", "body larger than"),
        ("slow", "timed out"),
        ("redirect-loop", "redirect"),
        ("redirect-file", "redirect"),
        ("redirect-ftp", "redirect"),
        ("redirect-other-host", "is not the feed's host"),
        ("redirect-other-port", "is not the feed's host"),
        ("always-500", "HTTP status 503"),
        ("hash-mismatch", "sha512 mismatch"),
        ("invalid-json", "not valid JSON"),
        ("truncated", "truncated"),
        ("gzip-bomb", "body larger than"),
    ];
    for (case, what) in expect_fail {
        let f = report_of(&r2, case);
        let err = f.error.clone().unwrap_or_default();
        assert_eq!(f.status, SyncStatus::Failed, "{case}: {f:?}");
        assert!(err.contains(what), "{case}: `{err}` lacks `{what}`");
        assert!(
            err.contains(&server.url(&doc(case))),
            "{case}: `{err}` does not name the URL"
        );
        // Previous good data and checkpoint kept; failure recorded.
        let old = &before.iter().find(|(c, _)| c == case).unwrap().1;
        assert_eq!(&stored(&store, case), old, "{case}: store changed");
        let st = feed_state(&store, case);
        assert_eq!(
            st.checkpoint.unwrap().to_rfc3339(),
            "2020-01-01T00:00:00+00:00",
            "{case}"
        );
        assert!(st.last_error.is_some());
    }
    // The recoverable ones and the healthy feed completed in the same sync.
    for case in ["flaky-500", "rate-limited", "healthy"] {
        let f = report_of(&r2, case);
        assert_eq!(
            (f.status.clone(), f.updated),
            (SyncStatus::Ok, 1),
            "{case}: {f:?}"
        );
        assert_eq!(stored(&store, case)[0].title, "A real update");
    }
    let reqs = server.requests();
    let n = |p: &str| reqs.iter().filter(|r| *r == p).count();
    assert_eq!(n(&doc("flaky-500")), 3, "first sync + 500 + retry");
    assert_eq!(
        n(&doc("always-500")),
        1 + 3,
        "first sync + 1 try + 2 retries"
    );
    // 429 with Retry-After: 1 was honoured (the whole sync waited at least that long).
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
}
