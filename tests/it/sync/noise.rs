//! What `sync` says when many documents have the same problem, or a feed fails with a long
//! reason: one line per feed per kind of warning (every warning with its document in `--json`,
//! each document at `-v`), and a summary table no wider than 100 columns when stdout is not a
//! terminal and `COLUMNS` is unset.

use unicode_width::UnicodeWidthStr;

use super::url_feed;
use crate::support::fixture::Fixture;
use crate::support::http::Server;

/// Documents in the noisy directory.
const DOCS: usize = 20;

/// A served CSAF directory of [`DOCS`] documents, none with a hash file, each with a version
/// range not in vers form (CSAF 6.2.18, a warning).
fn noisy_directory(server: &Server) {
    let mut listing = String::new();
    for i in 0..DOCS {
        let name = format!("noisy-{i:03}.json");
        let doc = serde_json::json!({
            "document": {"csaf_version": "2.0", "title": format!("doc {i}"),
                "publisher": {"category": "vendor", "name": "V"},
                "tracking": {"id": format!("NOISY-{i:03}")}},
            "product_tree": {"branches": [{"category": "vendor", "name": "V", "branches": [
                {"category": "product_version_range", "name": "<V7.0.3",
                 "product": {"name": "p", "product_id": "A"}}]}]},
            "vulnerabilities": [{"product_status": {"known_affected": ["A"]}}]
        });
        server.set_ok(&format!("/csaf/{name}"), doc.to_string());
        listing.push_str(&format!("{name},2024-01-01T00:00:{i:02}Z\n"));
    }
    server.set_ok("/csaf/changes.csv", listing);
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn many_documents_with_one_problem_are_one_line_per_feed_and_kind() {
    let server = Server::start();
    noisy_directory(&server);
    let fx = Fixture::new();
    fx.feed("noisy", &url_feed("csaf-dir", &server.url("/csaf/")));

    let run = fx.fw().run_with(&["sync"]);
    run.expect(0);
    let err = run.stderr();
    // One line per kind, naming the feed, the count and the first document.
    let no_hash = lines_with(&err, "without a hash file");
    assert_eq!(no_hash.len(), 1, "{}", run.show());
    assert!(
        no_hash[0].contains("feed noisy: 20 documents without a hash file")
            && no_hash[0].contains("(first: http://127.0.0.1:")
            && no_hash[0].contains("noisy-000.json)"),
        "{}",
        run.show()
    );
    let not_vers = lines_with(&err, "6.2.18");
    assert_eq!(not_vers.len(), 1, "{}", run.show());
    assert!(
        not_vers[0]
            .contains("feed noisy: 20 documents with a product_version_range not in vers form"),
        "{}",
        run.show()
    );
    // No document but the first is named anywhere.
    assert!(!run.all().contains("noisy-001.json"), "{}", run.show());
    // The table shows the summary too, not a line per document.
    assert!(run.stdout().contains("noisy"), "{}", run.show());

    // --json keeps every warning with its document and code.
    let fx2 = Fixture::new();
    fx2.feed("noisy", &url_feed("csaf-dir", &server.url("/csaf/")));
    let v = fx2.fw().run_with(&["sync", "--json"]).expect(0).json();
    assert_eq!(v["schema_version"], 3);
    let warnings = v["feeds"][0]["warnings"].as_array().unwrap();
    let of = |code: &str| {
        warnings
            .iter()
            .filter(|w| w["code"] == code)
            .map(|w| w["document"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("no-hash-file").len(), DOCS, "{v:#}");
    assert_eq!(of("csaf-range-not-vers").len(), DOCS, "{v:#}");
    assert!(
        of("no-hash-file")[7].ends_with("/csaf/noisy-007.json"),
        "{v:#}"
    );
    assert!(warnings.iter().all(|w| w["message"].is_string()), "{v:#}");
    // A CSAF test's warning names the JSON path in its document.
    assert!(
        warnings
            .iter()
            .filter(|w| w["code"] == "csaf-range-not-vers")
            .all(|w| w["path"] == "$.product_tree.branches[0].branches[0].name"),
        "{v:#}"
    );

    // -v logs each document.
    let fx3 = Fixture::new();
    fx3.feed("noisy", &url_feed("csaf-dir", &server.url("/csaf/")));
    let run = fx3.fw().run_with(&["sync", "-v"]);
    run.expect(0);
    let err = run.stderr();
    for i in 0..DOCS {
        let doc = format!("noisy-{i:03}.json");
        assert!(
            lines_with(&err, &doc)
                .iter()
                .any(|l| l.contains("no hash file")),
            "{doc}: {}",
            run.show()
        );
    }
}

#[test]
fn the_summary_table_fits_100_columns_with_long_ids_and_reasons() {
    let server = Server::start();
    // Every path is 404: the feed fails naming its long URL.
    let long_path = format!("/{}/", "a-directory-with-a-rather-long-name".repeat(3));
    let fx = Fixture::new();
    let id = "an-unusually-long-feed-identifier-of-a-vendor-csaf-provider-with-many-products";
    fx.feed(
        id,
        &format!(
            "id = \"{id}\"\n{}",
            url_feed("csaf-dir", &server.url(&long_path))
        ),
    );
    fx.feed(
        "bundled",
        &format!(
            "kind = \"native-dir\"\npath = \"{}\"\n",
            crate::support::project().join("feeds/native").display()
        ),
    );
    let run = fx.fw().run_with(&["sync"]);
    run.expect(5);
    let out = run.stdout();
    for line in out.lines() {
        assert!(
            line.width() <= 100,
            "{} columns: {line}\n{out}",
            line.width()
        );
    }
    // The reason in full below the table, wrapped.
    let joined: String = out.split_whitespace().collect();
    assert!(
        joined.contains(&format!("{id}:")) && joined.contains(&long_path[1..]),
        "{out}"
    );
    assert!(joined.contains("neither"), "{out}");
}
