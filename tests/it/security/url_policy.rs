//! URL policy: feed definitions take only http(s) URLs (a spanned error otherwise), and URLs read
//! from remote documents (changes.csv entries, provider-metadata `directory_url`, ROLIE entry and
//! hash links, RSS item links) are fetched only when they are http(s), do not downgrade, and stay
//! on the feed's host or a host its `allow_hosts` lists. Each violation is a feed error naming the
//! URL, and the server on 127.0.0.1 proves nothing was requested from it.

use crate::support::fixture::feeds;
use crate::support::http::Server;
use crate::sync::{fast_options, report_of, sha512_file, temp_store, url_feed};
use firmwatch::collect::{self, SyncStatus};
use firmwatch::store::Store;

const DOC: &str = "csaf/provider/gocsaf-csaf-documents/valid/avendor-advisory-0004.json";

fn changes(entry: &str) -> String {
    format!("\"{entry}\",\"2020-01-01T00:00:00Z\"\n")
}

fn rolie(doc: &str, hash: &str) -> String {
    serde_json::json!({"feed": {"id": "f", "title": "t", "entry": [{
        "id": "e1", "title": "e1", "updated": "2020-01-01T00:00:00Z",
        "link": [{"rel": "self", "href": doc}, {"rel": "hash", "href": hash}],
        "content": {"type": "application/json", "src": doc},
        "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"}
    }]}})
    .to_string()
}

fn metadata(dist: serde_json::Value) -> String {
    serde_json::json!({
        "canonical_url": "https://example/provider-metadata.json",
        "distributions": [dist],
        "last_updated": "2020-01-01T00:00:00Z",
        "list_on_CSAF_aggregators": false,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": false,
        "public_openpgp_keys": [],
        "publisher": {"category": "vendor", "name": "x", "namespace": "https://example"},
        "role": "csaf_provider"
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_remote_documents_follow_the_policy() {
    let corpus = corpus_or_skip!();
    let good = std::fs::read(corpus.join(DOC)).unwrap();
    let server = Server::start();
    let port = server.port().to_string();
    let localhost = |p: &str| format!("http://localhost:{port}{p}");
    let other_ip = |p: &str| format!("http://127.0.0.2:{port}{p}");

    // The documents every case could lead to, so a request for them would show in the log.
    for case in [
        "dir-file",
        "dir-gopher",
        "dir-other",
        "dir-allowed",
        "meta-dir",
        "rolie-file",
        "rolie-hash",
        "rss-file",
    ] {
        server.set_ok(&format!("/{case}/2020/doc.json"), good.clone());
        server.set_ok(
            &format!("/{case}/2020/doc.json.sha512"),
            sha512_file(&good, "doc.json"),
        );
        server.set_ok(
            &format!("/{case}/white/changes.csv"),
            changes("2020/doc.json"),
        );
    }
    server.set_ok("/dir-file/changes.csv", changes("file:///etc/passwd"));
    server.set_ok(
        "/dir-gopher/changes.csv",
        changes(&format!(
            "gopher://127.0.0.1:{port}/dir-gopher/2020/doc.json"
        )),
    );
    server.set_ok(
        "/dir-other/changes.csv",
        changes(&localhost("/dir-other/2020/doc.json")),
    );
    server.set_ok(
        "/dir-allowed/changes.csv",
        changes(&localhost("/dir-allowed/2020/doc.json")),
    );
    server.set_ok(
        "/meta-dir/provider-metadata.json",
        metadata(serde_json::json!({"directory_url": localhost("/meta-dir/white/")})),
    );
    server.set_ok(
        "/rolie-file/provider-metadata.json",
        metadata(serde_json::json!({"rolie": {"feeds": [
            {"tlp_label": "WHITE", "url": server.url("/rolie-file/feed.json")}
        ]}})),
    );
    server.set_ok(
        "/rolie-file/feed.json",
        rolie("file:///etc/passwd", "file:///etc/passwd.sha512"),
    );
    server.set_ok(
        "/rolie-hash/provider-metadata.json",
        metadata(serde_json::json!({"rolie": {"feeds": [
            {"tlp_label": "WHITE", "url": server.url("/rolie-hash/feed.json")}
        ]}})),
    );
    server.set_ok(
        "/rolie-hash/feed.json",
        rolie(
            &server.url("/rolie-hash/2020/doc.json"),
            &other_ip("/rolie-hash/2020/doc.json.sha512"),
        ),
    );
    server.set_ok(
        "/rss-file/feed.xml",
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x/</link><description>d</description>\
         <item><title>a</title><link>file:///etc/passwd</link><guid>a</guid><pubDate>Wed, 01 Jan 2020 00:00:00 GMT</pubDate></item>\
         </channel></rss>",
    );

    let dir_feed = |case: &str| url_feed("csaf-dir", &server.url(&format!("/{case}/")));
    let defs = vec![
        ("dir-file", dir_feed("dir-file")),
        ("dir-gopher", dir_feed("dir-gopher")),
        ("dir-other", dir_feed("dir-other")),
        (
            "dir-allowed",
            format!("{}allow_hosts = [\"localhost\"]\n", dir_feed("dir-allowed")),
        ),
        (
            "meta-dir",
            url_feed(
                "csaf-provider",
                &server.url("/meta-dir/provider-metadata.json"),
            ),
        ),
        (
            "rolie-file",
            url_feed(
                "csaf-provider",
                &server.url("/rolie-file/provider-metadata.json"),
            ),
        ),
        (
            "rolie-hash",
            url_feed(
                "csaf-provider",
                &server.url("/rolie-hash/provider-metadata.json"),
            ),
        ),
        (
            "rss-file",
            format!(
                "kind = \"rss\"\nurl = \"{}\"\n[html]\ntitle = \"h1\"\nid = \".id\"\n",
                server.url("/rss-file/feed.xml")
            ),
        ),
    ];
    let (_d, defs) = feeds(&defs);
    let (_store_dir, store) = temp_store();
    let report = collect::sync(&store, &defs, &fast_options()).await;

    let refused = [
        ("dir-file", "file:///etc/passwd", "only http and https"),
        ("dir-gopher", "gopher://127.0.0.1", "only http and https"),
        ("dir-other", "http://localhost:", "is not the feed's host"),
        ("meta-dir", "http://localhost:", "is not the feed's host"),
        ("rolie-file", "file:///etc/passwd", "only http and https"),
        ("rolie-hash", "http://127.0.0.2:", "is not the feed's host"),
        ("rss-file", "file:///etc/passwd", "only http and https"),
    ];
    for (case, url, why) in refused {
        let r = report_of(&report, case);
        assert_eq!(r.status, SyncStatus::Failed, "{case}: {r:?}");
        let err = r.error.as_deref().unwrap_or_default();
        assert!(err.contains(url), "{case}: the error names the URL: {err}");
        assert!(err.contains(why), "{case}: {err}");
        assert!(
            store
                .all_advisories()
                .unwrap()
                .iter()
                .all(|a| a.source.feed.as_str() != case),
            "{case}: nothing stored"
        );
    }
    let log = server.requests();
    for path in [
        "/dir-gopher/2020/doc.json",
        "/dir-other/2020/doc.json",
        "/meta-dir/white/changes.csv",
        "/rolie-hash/2020/doc.json",
        "/rolie-hash/2020/doc.json.sha512",
    ] {
        assert!(
            !log.iter().any(|l| l.starts_with(path)),
            "{path} must not be fetched: {log:?}"
        );
    }
    // The positive control: the same cross-host link is followed once the feed allows the host.
    let ok = report_of(&report, "dir-allowed");
    assert_ne!(ok.status, SyncStatus::Failed, "{ok:?}");
    assert!(log
        .iter()
        .any(|l| l.starts_with("/dir-allowed/2020/doc.json")));
    assert!(store
        .all_advisories()
        .unwrap()
        .iter()
        .any(|a| a.source.feed.as_str() == "dir-allowed"));
}

#[test]
fn feed_definitions_take_only_http_urls_and_host_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "kind = \"csaf-dir\"\nurl = \"file:///etc/passwd\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hosts.toml"),
        "kind = \"csaf-dir\"\nurl = \"https://a.example/\"\nallow_hosts = [\"https://b.example/x\"]\n",
    )
    .unwrap();
    let Err(collect::FeedDefError::Invalid(diags)) = collect::load_feeds(dir.path()) else {
        panic!("the feed definitions loaded")
    };
    let err = diags.render_plain();
    assert!(
        err.contains("only http and https URLs are fetched, not `file:`"),
        "{err}"
    );
    assert!(err.contains("bad.toml:2:7"), "span of the url: {err}");
    assert!(
        err.contains("`https://b.example/x` is not a host name"),
        "{err}"
    );
    assert!(err.contains("hosts.toml:3:"), "span of the host: {err}");
}
