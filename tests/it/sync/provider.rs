//! CSAF providers served from the real corpus trees on 127.0.0.1: the first sync ingests every
//! document, a second sync requests no document, a changed document is picked up.

use super::{
    advisory, checkpoint, fast_options, prepare, report_of, retitle, sha512_file, temp_store,
    url_feed,
};
use crate::support::fixture::feeds;
use crate::support::http::Server;
use firmwatch::collect::{self, SyncStatus};
use firmwatch::store::Store;

const CISA_RAW: &str =
    "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/IT/white/";

fn is_document(path: &str) -> bool {
    path.ends_with(".json") && !path.contains("feed") && !path.contains("metadata")
}

/// Serve `csaf/provider/cisa-it` with its raw.githubusercontent hrefs pointed at the server, plus
/// a provider-metadata.json (the corpus tree has none) for ROLIE and one for the directory.
fn serve_cisa(server: &Server, corpus: &std::path::Path) {
    let base = server.url("/cisa-it/white/");
    server.serve_dir(
        "/cisa-it",
        &corpus.join("csaf/provider/cisa-it"),
        &|rel, b| {
            if rel.ends_with("feed-tlp-white.json") {
                String::from_utf8(b)
                    .unwrap()
                    .replace(CISA_RAW, &base)
                    .into_bytes()
            } else {
                b // documents and hash files are served byte for byte
            }
        },
    );
    let rolie = serde_json::json!({
        "canonical_url": server.url("/cisa-it/rolie-metadata.json"),
        "metadata_version": "2.0", "role": "csaf_provider", "last_updated": "2024-10-24T00:00:00Z",
        "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov"},
        "distributions": [{"rolie": {"feeds": [{"summary": "IT white", "tlp_label": "WHITE",
            "url": server.url("/cisa-it/white/cisa-csaf-it-feed-tlp-white.json")}]}}]
    });
    server.set_ok("/cisa-it/rolie-metadata.json", rolie.to_string());
    let dir = serde_json::json!({
        "canonical_url": server.url("/cisa-it/dir-metadata.json"),
        "metadata_version": "2.0", "role": "csaf_provider", "last_updated": "2024-10-24T00:00:00Z",
        "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov"},
        "distributions": [{"directory_url": server.url("/cisa-it/white/")}]
    });
    server.set_ok("/cisa-it/dir-metadata.json", dir.to_string());
}

#[tokio::test]
async fn cisa_it_rolie_first_second_and_changed() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    serve_cisa(&server, &corpus);
    let (_dirs, defs, store, opts) = prepare(&[(
        "cisa-it",
        url_feed("csaf-provider", &server.url("/cisa-it/rolie-metadata.json")),
    )]);

    let r1 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r1, "cisa-it");
    assert_eq!(f.status, SyncStatus::Ok, "{f:?}");
    assert_eq!((f.new, f.updated, f.documents_fetched), (4, 0, 4), "{f:?}");
    let all = store.all_advisories().unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|a| a.tlp.is_some()), "TLP kept");
    let ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.contains(&"VA-24-201-01"), "{ids:?}");
    // Every document's .sha512 was fetched (ref: "hash", quirk 20) and checked.
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|p| p.ends_with(".sha512"))
            .count(),
        4
    );

    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r2, "cisa-it");
    assert_eq!(
        (f.status.clone(), f.new, f.updated, f.unchanged),
        (SyncStatus::Ok, 0, 0, 4),
        "{f:?}"
    );
    let docs = server.requested(is_document);
    assert!(docs.is_empty(), "second sync requested documents: {docs:?}");
    assert_eq!(
        server.requests().len(),
        2,
        "metadata + feed only: {:?}",
        server.requests()
    );

    // Change one document, its hash file and its ROLIE `updated`.
    let doc_path = corpus.join("csaf/provider/cisa-it/white/2024/va-24-201-01.json");
    let changed = retitle(
        &std::fs::read(&doc_path).unwrap(),
        "Retitled by the provider",
    );
    server.set_ok("/cisa-it/white/2024/va-24-201-01.json", changed.clone());
    server.set_ok(
        "/cisa-it/white/2024/va-24-201-01.json.sha512",
        sha512_file(&changed, "va-24-201-01.json"),
    );
    let feed_text = std::fs::read_to_string(
        corpus.join("csaf/provider/cisa-it/white/cisa-csaf-it-feed-tlp-white.json"),
    )
    .unwrap()
    .replace(CISA_RAW, &server.url("/cisa-it/white/"));
    let mut feed: serde_json::Value = serde_json::from_str(&feed_text).unwrap();
    for e in feed["feed"]["entry"].as_array_mut().unwrap() {
        if e["id"] == "VA-24-201-01" {
            e["updated"] = "2024-11-01T00:00:00Z".into();
        }
    }
    server.set_ok(
        "/cisa-it/white/cisa-csaf-it-feed-tlp-white.json",
        feed.to_string(),
    );
    server.clear_log();
    let r3 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r3, "cisa-it");
    assert_eq!(
        (f.status.clone(), f.new, f.updated, f.unchanged),
        (SyncStatus::Ok, 0, 1, 3),
        "{f:?}"
    );
    // Only the changed document is downloaded. The listing changed, so the entry at the checkpoint
    // (within the overlap window) is revalidated too, and answered 304 without a body.
    let docs = server.requested(is_document);
    assert_eq!(
        server.downloaded(is_document),
        vec!["/cisa-it/white/2024/va-24-201-01.json"],
        "{docs:?}"
    );
    assert_eq!(
        server.not_modified(),
        vec!["/cisa-it/white/2024/va-24-254-02.json".to_string()]
    );
    let a = advisory(&store, "cisa-it", "VA-24-201-01");
    assert_eq!(a.title, "Retitled by the provider");
}

/// A listing may pass the document cap up to its own (`max_listing_body`): a large provider's
/// ROLIE feed is bigger than any of its documents. Past that cap the feed fails, naming it.
#[tokio::test]
async fn a_listing_may_pass_the_document_cap_up_to_its_own() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    serve_cisa(&server, &corpus);
    let (_dirs, defs, store, opts) = prepare(&[(
        "cisa-it",
        url_feed("csaf-provider", &server.url("/cisa-it/rolie-metadata.json")),
    )]);
    let feed_path = "/cisa-it/white/cisa-csaf-it-feed-tlp-white.json";
    let feed_text = std::fs::read_to_string(
        corpus.join("csaf/provider/cisa-it/white/cisa-csaf-it-feed-tlp-white.json"),
    )
    .unwrap()
    .replace(CISA_RAW, &server.url("/cisa-it/white/"));
    let padded = |bytes: usize| {
        let mut feed: serde_json::Value = serde_json::from_str(&feed_text).unwrap();
        feed["feed"]["x-padding"] = "x".repeat(bytes).into();
        feed.to_string()
    };
    // 1.5 MiB: over the 1 MiB document cap of these options, under the 2 MiB listing cap.
    assert!(opts.http.max_body < 1536 * 1024 && 1536 * 1024 < opts.http.max_listing_body);
    server.set_ok(feed_path, padded(1536 * 1024));
    let r = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r, "cisa-it");
    assert_eq!((f.status.clone(), f.new), (SyncStatus::Ok, 4), "{f:?}");

    server.set_ok(feed_path, padded(3 * 1024 * 1024));
    let r = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r, "cisa-it");
    assert!(matches!(f.status, SyncStatus::Failed), "{f:?}");
    let error = f.error.as_deref().unwrap_or_default();
    assert!(
        error.contains(feed_path) && error.contains("body larger than the 2097152-byte cap"),
        "{error}"
    );
    assert_eq!(store.all_advisories().unwrap().len(), 4, "nothing lost");
}

#[tokio::test]
async fn cisa_it_directory_with_repo_root_changes_csv() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    serve_cisa(&server, &corpus);
    let (_dirs, defs, store, opts) = prepare(&[(
        "cisa-dir",
        url_feed("csaf-provider", &server.url("/cisa-it/dir-metadata.json")),
    )]);
    let r1 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r1, "cisa-dir");
    assert_eq!((f.status.clone(), f.new), (SyncStatus::Ok, 4), "{f:?}");
    assert!(server
        .requests()
        .contains(&"/cisa-it/white/changes.csv".to_string()));
    // The checkpoint is the newest changes.csv time even though the file is not sorted (quirk 21).
    assert_eq!(checkpoint(&store, "cisa-dir"), "2024-10-03T16:03:00+00:00");
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r2, "cisa-dir").unchanged, 4);
    let docs = server.requested(is_document);
    assert!(docs.is_empty(), "{docs:?}");

    // A document removed from changes.csv is marked withdrawn, not silently kept.
    let csv =
        std::fs::read_to_string(corpus.join("csaf/provider/cisa-it/white/changes.csv")).unwrap();
    let kept: String = csv
        .lines()
        .filter(|l| !l.contains("va-24-262-01"))
        .map(|l| format!("{l}\n"))
        .collect();
    server.set_ok("/cisa-it/white/changes.csv", kept);
    let r3 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r3, "cisa-dir");
    assert_eq!((f.withdrawn, f.unchanged), (1, 3), "{f:?}");
    let a = advisory(&store, "cisa-dir", "VA-24-262-01");
    assert!(a.withdrawn.is_some());
}

fn gocsaf(text: Vec<u8>, base: &str) -> Vec<u8> {
    let t = String::from_utf8(text).unwrap();
    t.replace("{{.URL}}", base)
        .lines()
        .filter(|l| !l.trim_start().starts_with("{{"))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

#[tokio::test]
async fn gocsaf_rolie_and_directory_providers() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    for (prefix, dir) in [
        ("/gocsaf-rolie", "gocsaf-simple-rolie-provider"),
        ("/gocsaf-dir", "gocsaf-simple-directory-provider"),
    ] {
        let base = server.url(prefix);
        server.serve_dir(
            prefix,
            &corpus.join("csaf/provider").join(dir),
            &|rel, b| {
                if rel == "provider-metadata.json" || rel.ends_with("feed.json") {
                    gocsaf(b, &base)
                } else {
                    b
                }
            },
        );
    }
    let (_dirs, defs, store, opts) = prepare(&[
        (
            "go-rolie",
            url_feed(
                "csaf-provider",
                &server.url("/gocsaf-rolie/provider-metadata.json"),
            ),
        ),
        (
            "go-dir",
            url_feed(
                "csaf-provider",
                &server.url("/gocsaf-dir/provider-metadata.json"),
            ),
        ),
    ]);
    let r1 = collect::sync(&store, &defs, &opts).await;
    for id in ["go-rolie", "go-dir"] {
        let f = report_of(&r1, id);
        assert_eq!((f.status.clone(), f.new), (SyncStatus::Ok, 1), "{f:?}");
    }
    let reqs = server.requests();
    // The entry's self link wins over the broken content.src (quirk 23).
    assert!(
        reqs.contains(&"/gocsaf-rolie/white/avendor-advisory-0004.json".to_string()),
        "{reqs:?}"
    );
    assert!(!reqs.contains(&"/gocsaf-rolie/avendor-advisory-0004.json".to_string()));
    // The file missing from index.txt / changes.csv is not fetched.
    assert!(!reqs.iter().any(|p| p.contains("not-listed")), "{reqs:?}");
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    for id in ["go-rolie", "go-dir"] {
        assert_eq!(report_of(&r2, id).unchanged, 1);
    }
    let docs = server.requested(is_document);
    assert!(docs.is_empty(), "{docs:?}");
}

/// The OASIS provider-metadata and ROLIE feed examples, with their example.com / psirt.domain.tld
/// hosts pointed at the server. The feed's one entry (`2020-ESA-001.json`) has no document in the
/// spec, so a real OASIS example document (`csaf/oasis/2.0/bsi-2022-0001.json`) is served under
/// that name with a `.sha512` computed here.
#[tokio::test]
async fn oasis_example_provider() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let ex = corpus.join("csaf/provider/oasis-examples/2.0");
    let rewrite = |p: &str| {
        std::fs::read_to_string(ex.join(p))
            .unwrap()
            .replace(
                "https://www.example.com/.well-known/csaf/",
                &server.url("/oasis/"),
            )
            .replace(
                "https://psirt.domain.tld/advisories/csaf/",
                &server.url("/oasis/"),
            )
    };
    server.set_ok(
        "/oasis/provider-metadata.json",
        rewrite("provider-metadata/example-01-provider-metadata.json"),
    );
    server.set_ok(
        "/oasis/feed-tlp-white.json",
        rewrite("ROLIE/example-01-feed-tlp-white.json"),
    );
    let doc = std::fs::read(corpus.join("csaf/oasis/2.0/bsi-2022-0001.json")).unwrap();
    server.set_ok("/oasis/2020/2020-ESA-001.json", doc.clone());
    server.set_ok(
        "/oasis/2020/2020-ESA-001.json.sha512",
        sha512_file(&doc, "2020-ESA-001.json"),
    );
    let (_dirs, defs, store, opts) = prepare(&[(
        "oasis",
        url_feed(
            "csaf-provider",
            &server.url("/oasis/provider-metadata.json"),
        ),
    )]);
    let r1 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r1, "oasis");
    assert_eq!((f.status.clone(), f.new), (SyncStatus::Ok, 1), "{f:?}");
    let a = &store.all_advisories().unwrap()[0];
    assert_eq!(
        a.tlp.as_deref().map(str::to_ascii_uppercase).as_deref(),
        Some("WHITE")
    );
    assert!(server
        .requests()
        .contains(&"/oasis/2020/2020-ESA-001.json.sha512".to_string()));
    server.clear_log();
    let r2 = collect::sync(&store, &defs, &opts).await;
    assert_eq!(report_of(&r2, "oasis").unchanged, 1);
    assert!(
        !server.requests().iter().any(|p| p.contains("ESA")),
        "{:?}",
        server.requests()
    );
}

/// OpenPGP: with the provider's key configured, the gocsaf document's real `.asc` verifies; a
/// signature made by another key rejects the document (naming its URL), which contributes
/// nothing, and the feed completes.
#[tokio::test]
async fn openpgp_signatures_checked_when_a_key_is_configured() {
    let corpus = corpus_or_skip!();
    let server = Server::start();
    let tree = corpus.join("csaf/provider/gocsaf-simple-rolie-provider");
    for prefix in ["/signed", "/badsig"] {
        let base = server.url(prefix);
        server.serve_dir(prefix, &tree, &|rel, b| {
            if rel == "provider-metadata.json" || rel.ends_with("feed.json") {
                gocsaf(b, &base)
            } else {
                b
            }
        });
    }
    // A real detached signature, but by CISA's key over another document.
    let foreign =
        std::fs::read(corpus.join("csaf/provider/cisa-it/white/2024/va-24-201-01.json.asc"))
            .unwrap();
    server.set_ok("/badsig/white/avendor-advisory-0004.json.asc", foreign);
    let key = tree.join("openpgp/pubkey.asc");
    let def = |prefix: &str| {
        format!(
            "kind = \"csaf-provider\"\nurl = \"{}\"\nkey_file = \"{}\"\n",
            server.url(&format!("{prefix}/provider-metadata.json")),
            key.display()
        )
    };
    let (_d, defs) = feeds(&[("signed", def("/signed")), ("badsig", def("/badsig"))]);
    let (_store_dir, store) = temp_store();
    let r = collect::sync(&store, &defs, &fast_options()).await;
    let ok = report_of(&r, "signed");
    assert_eq!((ok.status.clone(), ok.new), (SyncStatus::Ok, 1), "{ok:?}");
    assert!(server
        .requests()
        .contains(&"/signed/white/avendor-advisory-0004.json.asc".to_string()));
    let bad = report_of(&r, "badsig");
    assert_eq!(
        (bad.status.clone(), bad.new),
        (SyncStatus::Ok, 0),
        "{bad:?}"
    );
    assert_eq!(bad.rejected.len(), 1, "{bad:?}");
    let url = server.url("/badsig/white/avendor-advisory-0004.json");
    assert_eq!(bad.rejected[0].location, url);
    let err = &bad.rejected[0].reason;
    assert!(err.contains("OpenPGP signature check failed"), "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(store
        .all_advisories()
        .unwrap()
        .iter()
        .all(|a| a.source.feed.as_str() == "signed"));
}
