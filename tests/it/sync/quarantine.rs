//! One bad document never hides the good ones: a document that does not parse, does not match
//! its listed hash or whose signature fails is rejected alone — the good documents of its feed
//! land, the report names it (`sync --json` `rejected[]`, the table's `ok, N rejected`), `sync`
//! exits 5 — and it is retried by every sync until it parses (then it lands and leaves the list,
//! exit 0). A rejected document that was good before keeps its advisories, which `exposure` still
//! shows with the feed marked partially stale. A broken listing still fails the whole feed.

use firmwatch::store::{AnyStore, Store};

use super::{feed_state, url_feed};
use crate::support::fixture::{Fixture, Inventory, Native};
use crate::support::http::Server;

/// The first half of a document: what a vendor's upload cut short looks like.
fn truncated(text: &str) -> String {
    text[..text.len() / 2].to_string()
}

/// The feed `feed`'s entry of a `sync --json` report.
fn feed_of<'a>(v: &'a serde_json::Value, feed: &str) -> &'a serde_json::Value {
    v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == feed)
        .unwrap()
}

/// The locations in a feed entry's `rejected[]`.
fn rejected(f: &serde_json::Value) -> Vec<String> {
    f["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location"].as_str().unwrap().to_string())
        .collect()
}

/// A local folder: a truncated file beside two valid ones is rejected naming it, the valid ones
/// land, exit 5; every later sync still reports it (since the same date) without confusing
/// `store check`; once the file is fixed it lands and leaves the list, exit 0.
#[test]
fn a_truncated_local_document_is_rejected_alone_until_it_parses() {
    let fx = Fixture::new();
    fx.feed("local", "kind = \"native-dir\"\npath = \"native\"\n");
    let good = Native::takeover("FIX-3").toml();
    fx.file("feeds/native/a.toml", Native::takeover("FIX-1").toml());
    fx.file("feeds/native/b.toml", Native::takeover("FIX-2").toml());
    fx.file("feeds/native/c.toml", truncated(&good));

    let run = fx.fw().run_with(&["sync", "--json"]);
    let v = run.expect(5).json();
    assert_eq!(v["schema_version"], 3);
    let f = feed_of(&v, "local");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &2.into()),
        "{v:#}"
    );
    assert_eq!(rejected(f), ["c.toml"], "{v:#}");
    let r = &f["rejected"][0];
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("c.toml: not valid TOML"),
        "{v:#}"
    );
    let since = r["since"].as_str().unwrap().to_string();
    assert!(f.get("error").is_none(), "{v:#}");

    // Every later sync reports it, from the same date, and retries it (exit 5 again).
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "local");
    assert_eq!(rejected(f), ["c.toml"], "{v:#}");
    assert_eq!(f["rejected"][0]["since"], since.as_str(), "{v:#}");
    assert_eq!(
        f["documents_fetched"], 1,
        "only the rejected file is read again"
    );
    let run = fx.fw().run_with(&["sync"]);
    run.expect(5);
    assert!(run.stdout().contains("ok, 1 rejected"), "{}", run.show());
    assert!(
        run.all().contains("c.toml: not valid TOML"),
        "{}",
        run.show()
    );
    fx.fw().run_with(&["store", "check"]).expect(0);

    // Fixed: it lands and leaves the list.
    fx.file("feeds/native/c.toml", &good);
    let v = fx.fw().run_with(&["sync", "--json"]).expect(0).json();
    let f = feed_of(&v, "local");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &1.into()),
        "{v:#}"
    );
    assert!(rejected(f).is_empty(), "{v:#}");
    let store = AnyStore::open(fx.store(), None).unwrap();
    assert!(feed_state(&store, "local").rejected.is_empty());
    assert_eq!(store.all_advisories().unwrap().len(), 3);
}

/// A document that was good and turns bad is listed rejected, is not withdrawn, keeps its stored
/// record (so the next sync reads it again) and its advisory; `exposure` still finds it, and
/// says the feed is partially stale in every format (a JSON `rejected` count on the feed).
#[test]
fn a_good_document_that_turns_bad_keeps_its_advisories() {
    let fx = Fixture::new();
    fx.feed(
        "local",
        "kind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n",
    );
    fx.file("feeds/native/a.toml", Native::takeover("FIX-1").toml());
    let b = Native::takeover("FIX-2").title("Second").toml();
    fx.file("feeds/native/b.toml", &b);
    fx.inventory_file(
        "estate.toml",
        Inventory::new()
            .owner("ops", "Ops", "email = \"ops@example.net\"")
            .aff("arr", "Array", "ops"),
    );
    fx.fw().run_with(&["sync"]).expect(0);
    let before = {
        let store = AnyStore::open(fx.store(), None).unwrap();
        feed_state(&store, "local").documents["b.toml"].clone()
    };

    fx.file("feeds/native/b.toml", truncated(&b));
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "local");
    assert_eq!(rejected(f), ["b.toml"], "{v:#}");
    assert_eq!(
        (&f["withdrawn"], &f["updated"]),
        (&0.into(), &0.into()),
        "{v:#}"
    );
    {
        let store = AnyStore::open(fx.store(), None).unwrap();
        let st = feed_state(&store, "local");
        assert_eq!(
            st.documents["b.toml"], before,
            "the record keeps the good hash"
        );
        assert!(st.rejected.contains_key("b.toml"));
        let a = super::advisory(&store, "local", "FIX-2");
        assert!(a.withdrawn.is_none());
        assert_eq!(a.title, "Second");
    }

    let run = fx.fw().run_with(&["exposure", "--format", "json"]);
    let v = run.expect(0).json();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"FIX-2@arr"), "{}", run.show());
    assert_eq!(v["feeds"][0]["rejected"], 1, "{v:#}");
    let warning = "feed local is partially stale: 1 document rejected";
    assert!(v["warnings"].to_string().contains(warning), "{v:#}");
    for format in ["table", "markdown", "html", "csv"] {
        let run = fx.fw().run_with(&["exposure", "--format", format]);
        run.expect(0);
        assert!(run.all().contains(warning), "{format}: {}", run.show());
    }
}

/// A served directory: a truncated document beside valid ones is rejected naming its URL, the
/// others land, exit 5. Fixed without its listing changing, it is fetched again (the listing
/// that named it is read in full) and lands, exit 0; after that an unchanged listing fetches
/// nothing. A listing that breaks still fails the whole feed, and the report still lists what
/// the store holds rejected.
#[test]
fn a_served_document_is_retried_until_it_parses_and_a_broken_listing_fails_the_feed() {
    let server = Server::start();
    let good = Native::takeover("FIX-3").toml();
    server.set_ok("/n/a.toml", Native::takeover("FIX-1").toml());
    server.set_ok("/n/b.toml", Native::takeover("FIX-2").toml());
    server.set_ok("/n/c.toml", truncated(&good));
    let listing = "a.toml,2024-01-01T00:00:00Z\nb.toml,2024-01-01T00:00:00Z\n\
                   c.toml,2024-01-01T00:00:00Z\n";
    server.set_ok("/n/changes.csv", listing);
    let fx = Fixture::new();
    fx.feed("served", &url_feed("native-dir", &server.url("/n/")));

    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "served");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &2.into()),
        "{v:#}"
    );
    let c = server.url("/n/c.toml");
    assert_eq!(rejected(f), [c.as_str()], "{v:#}");
    assert!(
        f["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{c}: not valid TOML")),
        "{v:#}"
    );

    // Fixed, the listing unchanged: fetched again, lands, leaves the list.
    server.set_ok("/n/c.toml", good.clone());
    server.clear_log();
    let v = fx.fw().run_with(&["sync", "--json"]).expect(0).json();
    let f = feed_of(&v, "served");
    assert_eq!(f["new"], 1, "{v:#}");
    assert!(rejected(f).is_empty(), "{v:#}");
    assert_eq!(
        server.downloaded(|p| p == "/n/c.toml").len(),
        1,
        "{:?}",
        server.requests()
    );
    // Nothing rejected any more: an unchanged listing fetches no document.
    server.clear_log();
    fx.fw().run_with(&["sync"]).expect(0);
    assert!(
        server.requested(|p| p.ends_with(".toml")).is_empty(),
        "{:?}",
        server.requests()
    );

    // Broken again, then the listing breaks: the feed fails, and still reports the rejected
    // document the store holds.
    server.set_ok("/n/c.toml", truncated(&good));
    server.set_ok(
        "/n/changes.csv",
        listing.replace("c.toml,2024-01-01", "c.toml,2024-02-01"),
    );
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    assert_eq!(rejected(feed_of(&v, "served")), [c.as_str()], "{v:#}");
    server.set_ok(
        "/n/changes.csv",
        "<!DOCTYPE html>\n<html>Service Unavailable</html>\n",
    );
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "served");
    assert_eq!(f["status"], "failed", "{v:#}");
    assert!(
        f["error"].as_str().unwrap().contains("changes.csv"),
        "{v:#}"
    );
    assert_eq!(rejected(f), [c], "{v:#}");
    let store = AnyStore::open(fx.store(), None).unwrap();
    assert_eq!(store.all_advisories().unwrap().len(), 3);
    assert!(store
        .all_advisories()
        .unwrap()
        .iter()
        .all(|a| a.withdrawn.is_none()));
}

/// A CSAF document.
fn csaf(id: &str, title: &str) -> Vec<u8> {
    serde_json::json!({
        "document": {"csaf_version": "2.0", "title": title,
            "publisher": {"category": "vendor", "name": "V"},
            "tracking": {"id": id}},
        "product_tree": {"branches": [{"category": "vendor", "name": "V", "branches": [
            {"category": "product_version_range", "name": "vers:intdot/<7.0.3",
             "product": {"name": "p", "product_id": "A"}}]}]},
        "vulnerabilities": [{"product_status": {"known_affected": ["A"]}}]
    })
    .to_string()
    .into_bytes()
}

/// A served CSAF directory whose one document does not match its `.sha512`: that document only
/// is rejected (naming the mismatch), the others land with their hashes checked.
#[test]
fn a_hash_mismatch_rejects_that_document_only() {
    let server = Server::start();
    let mut listing = String::new();
    for i in 0..4 {
        let name = format!("doc-{i}.json");
        let doc = csaf(&format!("DOC-{i}"), &format!("doc {i}"));
        let listed = if i == 2 {
            csaf("DOC-2", "tampered")
        } else {
            doc.clone()
        };
        server.set_ok(&format!("/csaf/{name}"), listed);
        server.set_ok(
            &format!("/csaf/{name}.sha512"),
            super::sha512_file(&doc, &name),
        );
        listing.push_str(&format!("{name},2024-01-01T00:00:00Z\n"));
    }
    server.set_ok("/csaf/changes.csv", listing);
    let fx = Fixture::new();
    fx.feed("csaf", &url_feed("csaf-dir", &server.url("/csaf/")));
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "csaf");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &3.into()),
        "{v:#}"
    );
    let bad = server.url("/csaf/doc-2.json");
    assert_eq!(rejected(f), [bad.as_str()], "{v:#}");
    assert!(
        f["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{bad}: sha512 mismatch")),
        "{v:#}"
    );
    let store = AnyStore::open(fx.store(), None).unwrap();
    let ids: Vec<String> = store
        .all_advisories()
        .unwrap()
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&"DOC-2".to_string()), "{ids:?}");
}

/// A listing that names a document its server no longer has (404): the others land and that one
/// is rejected, retried by every sync until it is served again or leaves the listing.
#[test]
fn a_listed_document_that_is_gone_is_rejected_alone() {
    let server = Server::start();
    let mut listing = String::new();
    for i in 0..3 {
        let name = format!("doc-{i}.json");
        let doc = csaf(&format!("DOC-{i}"), &format!("doc {i}"));
        if i != 1 {
            server.set_ok(&format!("/csaf/{name}"), doc.clone());
        }
        listing.push_str(&format!("{name},2024-01-01T00:00:00Z\n"));
    }
    server.set_ok("/csaf/changes.csv", listing);
    let fx = Fixture::new();
    fx.feed("csaf", &url_feed("csaf-dir", &server.url("/csaf/")));
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "csaf");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &2.into()),
        "{v:#}"
    );
    let gone = server.url("/csaf/doc-1.json");
    assert_eq!(rejected(f), [gone.as_str()], "{v:#}");
    assert!(
        f["rejected"][0]["reason"].as_str().unwrap().contains("404"),
        "{v:#}"
    );
    // Served again: it lands, and nothing is rejected any more.
    server.set_ok("/csaf/doc-1.json", csaf("DOC-1", "doc 1"));
    let v = fx.fw().run_with(&["sync", "--json"]).expect(0).json();
    let f = feed_of(&v, "csaf");
    assert_eq!(f["new"], 1, "{v:#}");
    assert!(rejected(f).is_empty(), "{v:#}");
}

/// Real CSAF documents from the corpus: one cut short beside two whole ones. The whole ones land
/// with their problems listed per document (stable code and JSON path), the cut one is rejected
/// naming it, and `sync` exits 5.
#[test]
fn a_truncated_real_document_beside_real_ones_is_rejected_alone() {
    let corpus = corpus_or_skip!();
    let fx = Fixture::new();
    fx.feed("cisa", "kind = \"csaf-dir\"\npath = \"cisa\"\n");
    let real = |name: &str| std::fs::read_to_string(corpus.join("csaf/cisa").join(name)).unwrap();
    fx.file(
        "feeds/cisa/icsa-17-117-01b.json",
        real("icsa-17-117-01b.json"),
    );
    fx.file(
        "feeds/cisa/icsa-18-079-02.json",
        real("icsa-18-079-02.json"),
    );
    fx.file(
        "feeds/cisa/icsa-19-211-01.json",
        truncated(&real("icsa-19-211-01.json")),
    );
    let v = fx.fw().run_with(&["sync", "--json"]).expect(5).json();
    let f = feed_of(&v, "cisa");
    assert_eq!(
        (&f["status"], &f["new"]),
        (&"ok".into(), &2.into()),
        "{v:#}"
    );
    assert_eq!(rejected(f), ["icsa-19-211-01.json"], "{v:#}");
    // The problems of the documents that landed, each with its code and place.
    let problems = f["warnings"].as_array().unwrap();
    let of_first: Vec<(&str, &str)> = problems
        .iter()
        .filter(|w| w["document"] == "icsa-17-117-01b.json")
        .map(|w| {
            (
                w["code"].as_str().unwrap(),
                w["path"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        of_first.contains(&(
            "csaf-vers-as-version",
            "$.product_tree.branches[0].branches[0].branches[0].name"
        )),
        "{of_first:#?}"
    );
    assert!(problems
        .iter()
        .all(|w| w["code"].is_string() && w["document"] != "icsa-19-211-01.json"));
}
