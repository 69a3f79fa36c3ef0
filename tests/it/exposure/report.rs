//! Report renderers: the table fits 100 columns, JSON carries the schema version and every field,
//! HTML and Markdown escape advisory-derived text.

use firmwatch::blast::Severity;
use firmwatch::inventory::Criticality;
use firmwatch::model::{ComponentKind, Effect, Trigger};
use firmwatch::report::{self, InventorySummary, Report};
use firmwatch::testkit::*;

fn sample(title: &str) -> Report {
    let e = Estate::new()
        .unity_pair("arr-1", "Unity 480F", "5.1.2.0.5.007", 0.6)
        .service("mail", 50_511, &["t1", "t2"], Criticality::High, &["arr-1"]);
    let mut a = advisory_for(
        "FWN-2",
        "Dell",
        "Unity",
        "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
    )
    .on(ComponentKind::Controller)
    .effects(&[Effect::ComponentCrash]);
    a.title = title.to_string();
    let mut b = advisory_for("FWN-9", "Dell", "Unity", "vers:intdot/<6.0")
        .any_part()
        .effects(&[Effect::Performance])
        .triggers(&[Trigger::Workload {
            pattern: "small random writes".into(),
        }]);
    b.title = "Latency spikes".into();
    let findings = run(&e, &[a, b]);
    Report::new(
        "2026-11-22T00:00:00Z".parse().unwrap(),
        today(),
        InventorySummary {
            systems: 1,
            components: 2,
            services: 1,
            owners: 1,
        },
        2,
        vec![],
        findings,
    )
}

#[test]
fn table_fits_100_columns_and_has_one_line_per_finding() {
    let r = sample("Storage processor panics under replication load");
    let t = report::render_table(&r, 100);
    for line in t.lines() {
        assert!(
            line.chars().count() <= 100,
            "line too wide ({}): {line}",
            line.chars().count()
        );
    }
    assert!(t.contains("FWN-2"));
    assert!(t.contains("spb would carry 120"), "{t}");
    assert!(t.contains("2 findings"), "{t}");
}

#[test]
fn json_carries_schema_version_and_fields() {
    let r = sample("x");
    let v: serde_json::Value = serde_json::from_str(&report::render_json(&r).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 2);
    let f = &v["findings"][0];
    for key in [
        "id",
        "advisory",
        "system",
        "owner",
        "state",
        "evidence",
        "parts",
        "part_count",
        "fixed_in",
        "rating",
        "triage",
        "source",
    ] {
        assert!(f.get(key).is_some(), "missing {key}: {f}");
    }
    assert_eq!(f["rating"]["code"], "survivor-overload");
    assert_eq!(f["rating"]["severity"], "critical");
    // The report round-trips through its own type.
    let back: Report = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn hostile_titles_are_escaped() {
    let evil = "<script>alert('pwn')</script> | <img src=x onerror=alert(1)>";
    let r = sample(evil);
    let html = report::render_html(&r);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    let md = report::render_markdown(&r);
    assert!(
        md.contains("\\|"),
        "pipes in titles must not break the table: {md}"
    );
    let csv = report::render_csv(&r).unwrap();
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let titles: Vec<String> = rd.records().map(|r| r.unwrap()[15].to_string()).collect();
    assert!(
        titles.contains(&evil.to_string()),
        "CSV keeps the text intact, quoted"
    );
}

/// Control characters from advisory text (a newline that would fake a row, an ANSI escape that
/// would drive a terminal, a NUL) never reach CSV or HTML as such.
#[test]
fn control_characters_are_inert_in_csv_and_html() {
    let evil = "Panic\r\nFAKE-1,critical,100\u{1b}[31m red\u{0}";
    let r = sample(evil);
    let csv = report::render_csv(&r).unwrap();
    assert!(!csv.contains('\u{1b}') && !csv.contains('\u{0}'), "{csv:?}");
    assert!(
        !csv.lines().any(|l| l.starts_with("FAKE-1")),
        "no row of its own: {csv}"
    );
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let titles: Vec<String> = rd.records().map(|r| r.unwrap()[15].to_string()).collect();
    assert!(
        titles.contains(&"Panic  FAKE-1,critical,100 [31m red ".to_string()),
        "{titles:?}"
    );
    let html = report::render_html(&r);
    assert!(
        !html.contains('\u{1b}') && !html.contains('\u{0}'),
        "{html:?}"
    );
}

#[test]
fn retain_recounts() {
    let mut r = sample("x");
    assert_eq!(r.findings.len(), 2);
    r.retain(|f| f.rating.severity >= Severity::High);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.counts.values().sum::<usize>(), 1);
    assert_eq!(r.max_severity(), Some(Severity::Critical));
}

#[test]
fn explain_names_the_facts() {
    let r = sample("x");
    let text = report::render_explain(&r.findings[0]);
    assert!(text.contains("spb would carry 120 %"), "{text}");
    assert!(text.contains("arr-1/spa"), "{text}");
}

/// `n` findings: copies of one finding under distinct ids (more than one block of the table and
/// of the JSON writer).
fn large(n: usize) -> Report {
    let base = sample("Storage processor panics under replication load");
    let one = base.findings[0].clone();
    let mut all = Vec::new();
    for i in 0..n {
        let mut f = one.clone();
        f.id = format!("FWN-{i:04}@arr-1");
        std::sync::Arc::make_mut(&mut f.advisory).id = format!("FWN-{i:04}").into();
        all.push(f);
    }
    Report::new(
        base.generated_at,
        base.today,
        base.inventory.clone(),
        n,
        vec![],
        all,
    )
}

#[test]
fn streamed_json_is_the_serialized_report() {
    // Findings serialized in blocks on all cores, triaged ones empty and not.
    let mut r = large(1_200);
    r.warnings
        .push("a \"quoted\" warning\nover two lines".into());
    for r in [sample("x"), r.clone(), {
        r.triaged = r.findings.split_off(700);
        r
    }] {
        let mut out = Vec::new();
        report::write_json(&r, &mut out).unwrap();
        let expected = report::render_json(&r).unwrap() + "\n";
        assert!(
            String::from_utf8(out).unwrap() == expected,
            "write_json differs from render_json ({} findings, {} triaged)",
            r.findings.len(),
            r.triaged.len()
        );
    }
}

#[test]
fn a_large_table_is_drawn_in_blocks_that_join_seamlessly() {
    let r = large(1_200);
    let t = report::render_table(&r, 100);
    assert_eq!(t.matches("severity").count(), 1, "one header");
    // Every finding, in the report's order (the blocks are drawn in parallel, written in order).
    let mut at = 0;
    for i in 0..1_200 {
        let id = format!("FWN-{i:04}");
        let pos = t[at..]
            .find(&id)
            .unwrap_or_else(|| panic!("{id} missing or out of order"));
        at += pos + id.len();
    }
    let lines: Vec<&str> = t.lines().collect();
    let rules = |l: &str| !l.is_empty() && l.chars().all(|c| c == '─');
    for pair in lines.windows(2) {
        assert!(
            !(rules(pair[0]) && rules(pair[1])),
            "two rules in a row where blocks join"
        );
    }
    // Every row line and every rule of every block has the same width (fixed columns).
    let row_width = lines
        .iter()
        .find(|l| l.contains("FWN-"))
        .map(|l| l.chars().count())
        .unwrap();
    let rule_width = lines[0].chars().count();
    assert!(row_width <= 100 && rule_width <= 100);
    for l in &lines {
        if l.contains("FWN-") {
            assert_eq!(l.chars().count(), row_width, "{l}");
        } else if rules(l) {
            assert_eq!(l.chars().count(), rule_width, "{l}");
        }
    }
    assert!(t.contains("1200 findings"), "{}", lines[lines.len() - 2]);
}

#[test]
fn a_table_of_many_findings_shows_the_highest_scored_and_says_how_to_see_the_rest() {
    let r = large(1_200);
    let mut out = Vec::new();
    report::write_table_rows(&r, 100, Some(200), &mut out).unwrap();
    let t = String::from_utf8(out).unwrap();
    assert!(
        t.contains("FWN-0000") && t.contains("FWN-0199"),
        "the first 200"
    );
    assert!(!t.contains("FWN-0200"), "not the 201st");
    assert!(
        t.contains(
            "… 1,000 more findings below these 200 by score: `--rows 0` shows every one, \
             `--format csv` or `json` serve tools, `--min-severity`, `--owner` and `--system` \
             narrow the list"
        ),
        "{}",
        &t[t.len() - 600..]
    );
    assert!(
        t.contains("1200 findings") || t.contains("1,200 findings"),
        "the summary counts all"
    );
    // At or above the report's size: the whole table, no line.
    let mut all = Vec::new();
    report::write_table_rows(&r, 100, Some(5_000), &mut all).unwrap();
    assert_eq!(
        String::from_utf8(all).unwrap(),
        report::render_table(&r, 100)
    );
}
