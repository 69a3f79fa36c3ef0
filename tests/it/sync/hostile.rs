//! Hostile servers: every misbehaviour gives a clear feed error naming the URL (or, when only the
//! document's bytes are at fault, rejects that document naming it), the store keeps the previous
//! good data, and the other feeds of the same sync complete.
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
    // A document whose bytes are at fault is rejected alone: the feed completes, names it, and
    // keeps its previous advisory (the document is still listed) for the next sync to retry.
    for (case, what) in [
        ("hash-mismatch", "sha512 mismatch"),
        ("invalid-json", "not valid JSON"),
    ] {
        let f = report_of(&r2, case);
        assert_eq!(f.status, SyncStatus::Ok, "{case}: {f:?}");
        assert_eq!(f.rejected.len(), 1, "{case}: {f:?}");
        assert_eq!(f.rejected[0].location, server.url(&doc(case)), "{case}");
        assert!(f.rejected[0].reason.contains(what), "{case}: {f:?}");
        assert_eq!((f.updated, f.withdrawn), (0, 0), "{case}: {f:?}");
        let old = &before.iter().find(|(c, _)| c == case).unwrap().1;
        assert_eq!(&stored(&store, case), old, "{case}: store changed");
        let st = feed_state(&store, case);
        assert!(st.rejected.contains_key(&server.url(&doc(case))), "{case}");
        assert!(st.last_error.is_none(), "{case}");
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

/// A listing that is not one fails its feed naming the listing and the line: an HTML error page
/// served with status 200 as `changes.csv` or `index.txt` (which must not read as an empty listing
/// that withdraws everything), a line with an escape sequence, an absurdly long line, a sentence.
/// Nothing such a listing "names" is requested, and the feed keeps its documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_listings_fail_their_feed_naming_the_line() {
    let corpus = corpus_or_skip!();
    let good = std::fs::read(corpus.join(DOC)).unwrap();
    let server = Server::start();
    let cases = [
        "html-changes",
        "html-index",
        "escape",
        "long",
        "sentence",
        "healthy",
    ];
    for c in cases {
        serve_good(&server, c, &good);
    }
    // `html-index` is read through its `index.txt`.
    server.set("/html-index/changes.csv", vec![Reply::status(404)]);
    server.set_ok("/html-index/index.txt", "2020/doc.json\n");
    let defs: Vec<(&str, String)> = cases
        .iter()
        .map(|c| (*c, url_feed("csaf-dir", &server.url(&format!("/{c}/")))))
        .collect();
    let (_dirs, defs, store, opts) = prepare(&defs);
    let r1 = collect::sync(&store, &defs, &opts).await;
    assert!(!r1.any_failed(), "{:#?}", r1.feeds);

    let page = "<!DOCTYPE html>\n<html><head><title>Error</title></head>\n\
                <body>Service temporarily unavailable, please retry</body></html>\n";
    let first = changes("2020-01-01T00:00:00Z");
    server.set_ok("/html-changes/changes.csv", page);
    server.set_ok("/html-index/index.txt", page);
    server.set_ok(
        "/escape/changes.csv",
        format!("{first}\"2020/x\u{1b}[2J.json\",\"2020-02-01T00:00:00Z\"\n"),
    );
    server.set_ok(
        "/long/changes.csv",
        format!("{first}{}.json,2020-02-01T00:00:00Z\n", "a/".repeat(1500)),
    );
    server.set_ok("/sentence/changes.csv", "Service Unavailable\n");
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;

    for (case, listing, what) in [
        (
            "html-changes",
            "changes.csv",
            "line 1: `<!DOCTYPE html>`: HTML",
        ),
        ("html-index", "index.txt", "line 1: `<!DOCTYPE html>`: HTML"),
        (
            "escape",
            "changes.csv",
            "line 2: `2020/x\\u{1b}[2J.json`: whitespace or a control",
        ),
        ("long", "changes.csv", "line 2: `a/a/"),
        (
            "sentence",
            "changes.csv",
            "line 1: `Service Unavailable`: whitespace",
        ),
    ] {
        let f = report_of(&r2, case);
        assert_eq!(f.status, SyncStatus::Failed, "{case}: {f:?}");
        let err = f.error.clone().unwrap_or_default();
        let url = server.url(&format!("/{case}/{listing}"));
        assert!(err.starts_with(&format!("{url}: {what}")), "{case}: {err}");
        assert_eq!(stored(&store, case).len(), 1, "{case}: withdrawn");
        assert!(stored(&store, case).iter().all(|a| a.withdrawn.is_none()));
        let requested = server.requested(|p| p.starts_with(&format!("/{case}/")));
        assert!(
            requested
                .iter()
                .all(|p| p.ends_with(".csv") || p.ends_with(".txt")),
            "{case}: fetched what the garbage named: {requested:?}"
        );
    }
    assert!(report_of(&r2, "long")
        .error
        .as_deref()
        .is_some_and(|e| e.contains("an entry of 3005 bytes (at most 2048)")));
    assert_eq!(report_of(&r2, "healthy").status, SyncStatus::Ok);
}

/// An entry of a served directory's listing never leaves the directory: `../`, its
/// percent-encoded and backslash spellings, an absolute path and an absolute URL on the same host
/// are refused with an error naming the entry, before anything is fetched. The file they point at
/// exists, so following any of them would have succeeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_listing_entries_stay_in_their_directory() {
    let corpus = corpus_or_skip!();
    let good = std::fs::read(corpus.join(DOC)).unwrap();
    let server = Server::start();
    server.set_ok("/secret/doc.json", good.clone());
    server.set_ok("/secret/doc.json.sha512", sha512_file(&good, "doc.json"));
    let same_host = server.url("/secret/doc.json");
    let cases = [
        ("dotdot", "../secret/doc.json"),
        ("deep", "2020/../../secret/doc.json"),
        ("encoded", "%2e%2e/secret/doc.json"),
        ("encoded-slash", "2020%2F%2E%2E%2F..%2Fsecret/doc.json"),
        ("backslash", "..\\secret\\doc.json"),
        ("absolute-path", "/secret/doc.json"),
        ("absolute-url", same_host.as_str()),
        ("healthy", "2020/doc.json"),
    ];
    for (case, entry) in cases {
        serve_good(&server, case, &good);
        server.set_ok(
            &format!("/{case}/changes.csv"),
            format!("\"{entry}\",\"2020-01-01T00:00:00Z\"\n"),
        );
    }
    let defs: Vec<(&str, String)> = cases
        .iter()
        .map(|(c, _)| (*c, url_feed("csaf-dir", &server.url(&format!("/{c}/")))))
        .collect();
    let (_dirs, defs, store, opts) = prepare(&defs);
    let r = collect::sync(&store, &defs, &opts).await;

    for (case, entry) in &cases[..cases.len() - 1] {
        let f = report_of(&r, case);
        assert_eq!(f.status, SyncStatus::Failed, "{case}: {f:?}");
        let err = f.error.clone().unwrap_or_default();
        let listing = server.url(&format!("/{case}/changes.csv"));
        assert!(
            err.starts_with(&format!("{listing}: entry `{entry}` ")),
            "{case}: {err}"
        );
        assert!(stored(&store, case).is_empty(), "{case}");
    }
    let secret = server.requested(|p| p.starts_with("/secret"));
    assert!(secret.is_empty(), "left the directory: {secret:?}");
    assert_eq!(report_of(&r, "healthy").status, SyncStatus::Ok);
    assert_eq!(stored(&store, "healthy").len(), 1);
}

/// A local folder's listing names files inside the folder only: `../`, an absolute path, a URL,
/// and a symbolic link (a listed document, or its hash file) that resolves outside are refused
/// with an error naming the listing and the entry; nothing outside is read into the store.
#[cfg(unix)]
#[tokio::test]
async fn local_listing_entries_stay_in_their_folder() {
    use std::os::unix::fs::symlink;

    let corpus = corpus_or_skip!();
    let good = std::fs::read(corpus.join(DOC)).unwrap();
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("doc.json"), &good).unwrap();
    std::fs::write(
        outside.join("doc.json.sha512"),
        sha512_file(&good, "doc.json"),
    )
    .unwrap();
    let folder = |case: &str, index: &str| {
        let dir = root.path().join(case);
        std::fs::create_dir_all(dir.join("2020")).unwrap();
        std::fs::write(dir.join("index.txt"), format!("{index}\n")).unwrap();
        dir
    };
    let abs = outside.join("doc.json").display().to_string();
    folder("dotdot", "../outside/doc.json");
    folder("absolute", &abs);
    folder("url", "http://127.0.0.1:9/doc.json");
    let link = folder("link", "2020/doc.json");
    symlink(outside.join("doc.json"), link.join("2020/doc.json")).unwrap();
    let hash_link = folder("hash-link", "2020/doc.json");
    std::fs::write(hash_link.join("2020/doc.json"), &good).unwrap();
    symlink(
        outside.join("doc.json.sha512"),
        hash_link.join("2020/doc.json.sha512"),
    )
    .unwrap();
    let healthy = folder("healthy", "2020/doc.json");
    std::fs::write(healthy.join("2020/doc.json"), &good).unwrap();
    // A link inside the folder is followed.
    symlink(healthy.join("2020"), healthy.join("year")).unwrap();
    std::fs::write(healthy.join("index.txt"), "year/doc.json\n").unwrap();

    let cases = ["dotdot", "absolute", "url", "link", "hash-link", "healthy"];
    let defs: Vec<(&str, String)> = cases
        .iter()
        .map(|c| {
            let path = root.path().join(c).display().to_string();
            (*c, format!("kind = \"csaf-dir\"\npath = {path:?}\n"))
        })
        .collect();
    let (_dirs, defs, store, opts) = prepare(&defs);
    let r = collect::sync(&store, &defs, &opts).await;
    let dir = |c: &str| root.path().join(c).display().to_string();
    for (case, named, what) in [
        (
            "dotdot",
            format!("{}/index.txt: entry `../outside/doc.json`", dir("dotdot")),
            "`.` or `..` segment",
        ),
        (
            "absolute",
            format!("{}/index.txt: entry `{abs}`", dir("absolute")),
            "absolute path",
        ),
        (
            "url",
            format!(
                "{}/index.txt: entry `http://127.0.0.1:9/doc.json`",
                dir("url")
            ),
            "is a URL",
        ),
        (
            "link",
            format!("{}/index.txt: entry `2020/doc.json`", dir("link")),
            "outside the feed folder",
        ),
        (
            "hash-link",
            format!("{}/2020/doc.json.sha512:", dir("hash-link")),
            "outside the feed folder",
        ),
    ] {
        let f = report_of(&r, case);
        assert_eq!(f.status, SyncStatus::Failed, "{case}: {f:?}");
        let err = f.error.clone().unwrap_or_default();
        assert!(err.starts_with(&named), "{case}: {err}");
        assert!(err.contains(what), "{case}: {err}");
        assert!(stored(&store, case).is_empty(), "{case}");
    }
    assert_eq!(
        report_of(&r, "healthy").status,
        SyncStatus::Ok,
        "{:?}",
        report_of(&r, "healthy")
    );
    assert_eq!(stored(&store, "healthy").len(), 1);
}
