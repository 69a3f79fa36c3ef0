//! Smoke tests of the benchmark harnesses at tiny sizes: the generators produce documents the
//! parsers accept, the mirror serves the real sync path (full, no-change, incremental), and the
//! end-to-end exposure steps run on generated files. No timing assertions; the benches themselves
//! are in `benches/` and their figures in BENCHMARKS.md.

use firmwatch::collect::formats::DocFormat;

use crate::bench_support::{docs, exposure_run, sync_run};
use crate::formats::parse;

#[test]
fn every_serializer_writes_documents_its_parser_accepts() {
    let advisories = firmwatch::synth::advisories(3, 400);
    for a in &advisories {
        for (format, value) in [
            (DocFormat::Native, docs::native(a, 1)),
            (DocFormat::Csaf, docs::csaf(a, 1)),
            (DocFormat::Osv, docs::osv(a, 1)),
            (DocFormat::Cve5, docs::cve5(a, 1)),
        ] {
            let bytes = serde_json::to_vec(&value).unwrap();
            let parsed = parse(format, "smoke", "smoke", &bytes)
                .unwrap_or_else(|e| panic!("{format:?} of {}: {e}\n{value:#}", a.id));
            assert_eq!(parsed.len(), 1, "{format:?}");
            assert_eq!(parsed[0].id, a.id, "{format:?}");
            // A list of versions or of models may become one statement each.
            assert!(
                parsed[0].affected.len() >= a.affected.len(),
                "{format:?} of {}",
                a.id
            );
            assert!(parsed[0].title.contains("revision 1"), "{format:?}");
        }
        // The native format carries the effects and triggers the rating needs.
        let bytes = serde_json::to_vec(&docs::native(a, 0)).unwrap();
        let n = parse(DocFormat::Native, "smoke", "smoke", &bytes).unwrap();
        assert_eq!(n[0].effects, a.effects);
        assert_eq!(n[0].triggers, a.triggers);
        assert_eq!(n[0].affected[0].versions, a.affected[0].versions);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_harness_full_unchanged_and_incremental() {
    for listing in [sync_run::Listing::Timed, sync_run::Listing::IndexOnly] {
        let dir = tempfile::tempdir().unwrap();
        let f = sync_run::run(11, 300, 20, 2, listing, dir.path(), |_| {}).await;
        check_sync_phases(&f, listing);
    }
}

/// The mirror process's commands (`benches/sync.rs -- … mirror-apart`): counters reset and read,
/// a change round republishes documents and listings, unknown commands are answered, not fatal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_process_answers_its_commands() {
    let corpus = sync_run::Corpus::generate(5, 50, sync_run::Listing::Timed);
    let mirror = crate::mirror::Mirror::start().await;
    corpus.publish(&mirror);
    // One request the counters must show.
    {
        use std::io::{Read, Write};
        let addr = mirror.base.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /native/index.txt HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200"));
    }
    let input = "counts\nchange 5 1\nreset\ncounts\npeak\ncpu\nbogus\n";
    let mut output = Vec::new();
    let rng = firmwatch::synth::Rng::new(1);
    sync_run::answer(corpus, &mirror, rng, input.as_bytes(), &mut output);
    let output = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 7, "{output}");
    assert_eq!(lines[0], "counts 1 1 0 0 0");
    assert_eq!(lines[1], "ok");
    assert_eq!(lines[2], "ok");
    assert_eq!(lines[3], "counts 0 0 0 0 0");
    assert!(lines[4].starts_with("peak "), "{output}");
    let cpu = lines[5].strip_prefix("cpu ").map(str::parse::<f64>);
    assert!(matches!(cpu, Some(Ok(s)) if s >= 0.0), "{output}");
    assert!(lines[6].starts_with("error: "), "{output}");
}

fn check_sync_phases(f: &sync_run::Figures, listing: sync_run::Listing) {
    assert_eq!(f.phases.len(), 4);
    // The mirror runs in this process: its CPU time is not told apart from the client's.
    assert!(f.phases.iter().all(|p| p.mirror_cpu.is_none()));
    let full = &f.phases[0];
    assert!(full.failed.is_empty(), "{:?}", full.failed);
    assert_eq!(full.new, 300);
    assert_eq!(full.counts.document_downloads, 300);
    let again = &f.phases[1];
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!((again.new, again.updated), (0, 0));
    assert_eq!(again.counts.document_downloads, 0);
    match listing {
        // Only listings: two provider metadata (200), the ROLIE feed, the directory provider's
        // changes.csv, native and CVE 5 changes.csv, OSV modified_id.csv (304 each), and the
        // changes.csv the OSV directory is asked for first (404).
        sync_run::Listing::Timed => assert_eq!(
            (
                again.counts.requests,
                again.counts.ok,
                again.counts.not_modified,
                again.counts.not_found
            ),
            (8, 2, 5, 1),
            "{again:?}"
        ),
        // index.txt only: every served document is revalidated (304).
        sync_run::Listing::IndexOnly => assert!(again.counts.not_modified > 50, "{again:?}"),
    }
    for round in &f.phases[2..] {
        assert!(round.failed.is_empty(), "{:?}", round.failed);
        assert_eq!(round.new, 0);
        assert_eq!(round.updated, 20, "{round:?}");
        assert_eq!(round.counts.document_downloads, 20, "{round:?}");
        assert!(round.store_bytes > 0);
    }
}

#[test]
fn exposure_e2e_harness_runs_the_pipeline_on_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let (components, advisories) = exposure_run::prepare_files(dir.path(), 5_000, 20_000);
    assert_eq!((components, advisories), (5_000, 20_000));
    let m = exposure_run::measure(dir.path());
    assert_eq!(m.components, 5_000);
    // Only advisories naming a vendor in the estate are read; most synthetic ones do not.
    assert!(
        m.advisories_read > 0 && m.advisories_read < advisories / 10,
        "{m:?}"
    );
    assert!(m.findings_count > 0, "{m:?}");
}

/// `load_estate` reads, beside the checks, exactly the advisories `load_advisories` reads for the
/// checked inventory (the vendors named in the files are the inventory's vendors), and a
/// component's own vendor counts as well as its system's.
#[test]
fn load_estate_reads_what_load_advisories_reads() {
    use firmwatch::pipeline;
    use firmwatch::store::AnyStore;
    let dir = tempfile::tempdir().unwrap();
    exposure_run::prepare_files(dir.path(), 2_000, 20_000);
    let path = dir.path().join("inventory.json");
    let store = AnyStore::open(dir.path().join("store"), None).unwrap();
    let parsed = firmwatch::inventory::parse_path(&path).unwrap();
    let vendors: Vec<String> = parsed.vendors().iter().map(|v| v.to_string()).collect();
    // The generated estate has arrays of one vendor holding drives of another.
    assert!(vendors.len() >= 2, "{vendors:?}");
    let (inv, read) = pipeline::load_estate(parsed, &store);
    let inv = inv.unwrap();
    let keys: Vec<String> = vendors
        .iter()
        .map(|v| firmwatch::model::vendor_key(v))
        .collect();
    assert_eq!(
        pipeline::vendor_keys(&inv).into_iter().collect::<Vec<_>>(),
        {
            let mut k = keys;
            k.sort();
            k.dedup();
            k
        }
    );
    let ids = |v: Vec<firmwatch::model::Advisory>| {
        let mut ids: Vec<String> = v.iter().map(|a| a.id.to_string()).collect();
        ids.sort();
        ids
    };
    let read = ids(read.unwrap());
    assert!(!read.is_empty());
    assert_eq!(read, ids(pipeline::load_advisories(&store, &inv).unwrap()));
}

/// The discover bench at 5 endpoints: every prefix is its own service (links rewritten under
/// it), each walked to the localstorage tree's 8 parts, one file each.
#[test]
fn the_discover_bench_walks_every_prefixed_endpoint() {
    let Some(tree) = crate::discover::corpus_tree("dmtf-public-localstorage") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_firmwatch"));
    let f = crate::bench_support::discover_run::run(bin, &tree, 5, &["--jobs", "2"], dir.path());
    assert_eq!(
        (f.ok, f.failed, f.parts, f.exit),
        (5, 0, 40, Some(0)),
        "{f:?}"
    );
    let files = std::fs::read_dir(dir.path().join("inventory/discovered"))
        .unwrap()
        .count();
    assert_eq!(files, 5);
    let one: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("inventory/discovered/bmc0003.json")).unwrap(),
    )
    .unwrap();
    assert!(one["endpoint"]
        .as_str()
        .unwrap()
        .ends_with("/e0003/redfish/v1"));
    assert_eq!(
        one["raid_groups"][0]["location"],
        "/e0003/redfish/v1/Systems/437XR1138R2/Storage/1/Volumes/1"
    );
}

/// The real-sized sync bench (`benches/sync_real.rs`) at a tiny size, mirror in this process:
/// documents made from the corpus's real NVD records and CSAF documents are served as NVD API
/// pages and a ROLIE provider, and the client stores every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_sized_sync_harness_serves_and_stores_every_document() {
    use crate::bench_support::real_sync;
    use std::sync::atomic::Ordering;
    let Some(corpus) = real_sync::corpus_dir() else {
        eprintln!("no corpus (FIRMWATCH_CORPUS or ../shared/corpus): skipped");
        return;
    };
    // Two NVD pages (the second short) and 150 CSAF documents.
    let (n_nvd, n_csaf) = (real_sync::PAGE + 300, 150);
    let g = std::sync::Arc::new(real_sync::Generator::load(&corpus, 7, n_nvd, n_csaf));
    assert!(g.nvd.len() >= 5 && g.csaf.len() >= 10, "templates kept");
    // Ids are distinct and in the shapes the brief names.
    let ids: std::collections::HashSet<String> = (0..n_nvd).map(|i| g.nvd_id(i)).collect();
    assert_eq!(ids.len(), n_nvd);
    assert!(g.nvd_id(0).starts_with("CVE-") && g.nvd_id(0).len() == "CVE-2020-100000".len());
    let mirror = crate::mirror::Mirror::start().await;
    let (published, served) = real_sync::serve(g.clone(), &mirror);
    assert_eq!((published.nvd.count, published.csaf.count), (n_nvd, n_csaf));
    for s in [published.nvd, published.csaf] {
        assert!(
            s.min <= s.median && s.median <= s.max && s.min > 500,
            "{s:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let feeds = real_sync::feeds(&mirror.base, dir.path());
    let run = real_sync::sync_client(&feeds, dir.path(), None).await;
    let by_feed: Vec<(&str, usize, Option<&str>)> = run
        .feeds
        .iter()
        .map(|(f, new, _, e)| (f.as_str(), *new, e.as_deref()))
        .collect();
    assert!(
        by_feed.contains(&("nvd", n_nvd, None)) && by_feed.contains(&("csaf", n_csaf, None)),
        "{by_feed:?}"
    );
    assert_eq!(served.nvd_pages.load(Ordering::Relaxed), 2);
    assert_eq!(served.csaf_docs.load(Ordering::Relaxed) as usize, n_csaf);
    assert_eq!(
        served.csaf_bytes.load(Ordering::Relaxed),
        published.csaf.total
    );
    assert!(run.store_bytes > 0 && run.peak_rss_mib > 0.0, "{run:?}");
}
