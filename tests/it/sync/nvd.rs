//! NVD API 2.0 collector against a fake API on 127.0.0.1 serving the corpus's real NVD records:
//! the first sync pages through everything, a later sync asks only for a last-modified window.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{prepare, report_of, url_feed};
use crate::support::http::{Reply, Server};
use chrono::{DateTime, Utc};
use firmwatch::collect::{self, SyncStatus};
use firmwatch::store::Store;
use serde_json::{json, Value};

fn query(q: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test]
async fn nvd_pages_then_windows() {
    let corpus = corpus_or_skip!();
    let mut vulns: Vec<Value> = Vec::new();
    for f in [
        "multi-cve-response.json",
        "CVE-2020-13595.json",
        "CVE-2023-24256.json",
    ] {
        let v: Value =
            serde_json::from_slice(&std::fs::read(corpus.join("nvd").join(f)).unwrap()).unwrap();
        vulns.extend(v["vulnerabilities"].as_array().unwrap().iter().cloned());
    }
    let total = vulns.len();
    assert!(total >= 10);
    let per_page = 5usize;
    let seen: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let server = Server::start();
    let (vs, log) = (vulns.clone(), seen.clone());
    server.set_fn(
        "/rest/json/cves/2.0",
        Arc::new(move |q| {
            let q = query(q);
            log.lock().unwrap().push(q.clone());
            // A window asks for recent changes: none here.
            let items: Vec<Value> = if q.contains_key("lastModStartDate") { vec![] } else { vs.clone() };
            let start: usize = q["startIndex"].parse().unwrap();
            let page: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
            Reply::Ok(
                json!({"resultsPerPage": per_page, "startIndex": start, "totalResults": items.len(),
                       "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-01-01T00:00:00.000",
                       "vulnerabilities": page})
                .to_string()
                .into_bytes(),
            )
        }),
    );
    let (_dirs, defs, store, mut opts) = prepare(&[(
        "nvd",
        url_feed("nvd", &server.url("/rest/json/cves/2.0?noRejected")),
    )]);
    opts.nvd_delay = std::time::Duration::ZERO;

    let r1 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r1, "nvd");
    assert_eq!(f.status, SyncStatus::Ok, "{f:?}");
    assert_eq!(f.new, total, "{f:?}");
    let pages: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|q| q["startIndex"].clone())
        .collect();
    let expected: Vec<String> = (0..total)
        .step_by(per_page)
        .map(|i| i.to_string())
        .collect();
    assert_eq!(pages, expected);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|q| q.contains_key("noRejected")),
        "feed filters kept"
    );
    assert_eq!(store.all_advisories().unwrap().len(), total);

    seen.lock().unwrap().clear();
    let r2 = collect::sync(&store, &defs, &opts).await;
    let f = report_of(&r2, "nvd");
    assert_eq!(
        (f.status.clone(), f.new, f.updated, f.unchanged, f.withdrawn),
        (SyncStatus::Ok, 0, 0, total, 0),
        "{f:?}"
    );
    let qs = seen.lock().unwrap().clone();
    assert_eq!(qs.len(), 1, "{qs:?}");
    let from = DateTime::parse_from_rfc3339(&qs[0]["lastModStartDate"])
        .unwrap()
        .with_timezone(&Utc);
    let to = DateTime::parse_from_rfc3339(&qs[0]["lastModEndDate"])
        .unwrap()
        .with_timezone(&Utc);
    assert!(to > from && to - from <= chrono::Duration::days(120));
    assert!(Utc::now() - to < chrono::Duration::minutes(1));
}
