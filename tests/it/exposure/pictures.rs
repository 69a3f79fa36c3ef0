//! `exposure --explain ID --format svg` and `exposure --timeline`: the pictures of the example
//! estate, through the binary, as of the README's day. The SVG text is snapshotted (it is
//! deterministic given `--today`), parsed as XML, and held to the copies under `docs/pictures/`.

use super::{exposure, PLAN};
use crate::support::fixture::Fixture;
use crate::support::project;

fn picture(fx: &Fixture, id: &str) -> String {
    let out = exposure(fx, &["--explain", id, "--format", "svg"]);
    out.expect(0);
    let svg = out.stdout();
    well_formed(&svg);
    svg
}

fn timeline(fx: &Fixture) -> String {
    let out = exposure(fx, &["--timeline", "--format", "svg", "--plan", PLAN]);
    out.expect(0);
    let svg = out.stdout();
    well_formed(&svg);
    svg
}

/// Parses as XML, an `<svg>` root with a title and a description, no script.
fn well_formed(svg: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    assert_eq!(root.attribute("role"), Some("img"));
    assert!(root.children().any(|n| n.has_tag_name("title")));
    assert!(root.children().any(|n| n.has_tag_name("desc")));
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_example_estates_pictures() {
    let fx = Fixture::new();

    // CTY: each storage processor at 60 %; the survivor would carry 120 %.
    let mail = picture(&fx, "FWN-2026-0002@mail-unity");
    let t = texts(&mail);
    assert!(t.iter().any(|t| t
        == "if spa fails, spb would carry 120 % of its capacity — over 100 %: an outage, not a slowdown"));
    insta::assert_snapshot!("blast_radius_controller_pair", mail);

    // The 32,768-hour SSDs: 8 drives of one RAID group that tolerates 1, no backup.
    let raid = picture(&fx, "FWN-2019-0032768@subscriber-db-1");
    let t = texts(&raid);
    assert!(t.iter().any(|t| t == "fails 2026-11-22"), "{t:?}");
    assert!(t.iter().any(|t| t
        == "8 of 8 drives run the affected firmware; the group tolerates 1: more can fail together than it survives"));
    insta::assert_snapshot!("blast_radius_raid_time_bomb", raid);

    // SoftEther: the VPN server's one PSU trips the breaker of the router and the mail server.
    let breaker = picture(&fx, "FWN-2026-0005@vpn-gw-1");
    let t = texts(&breaker);
    assert_eq!(t.iter().filter(|t| *t == "DOWN").count(), 3, "{t:?}");
    assert!(t.iter().any(|t| t == "carries notifications"), "{t:?}");
    insta::assert_snapshot!("blast_radius_domain_down", breaker);

    // Jip-Base: the backup array shares the rack and the feed: not independent.
    let iaas = picture(&fx, "FWN-2026-0003@iaas-unity");
    let t = texts(&iaas);
    assert!(t.iter().any(|t| t == "NOT INDEPENDENT"), "{t:?}");
    assert!(t
        .iter()
        .any(|t| t == "NO independent copy: the data can be lost"));
    insta::assert_snapshot!("blast_radius_data_loss", iaas);

    let tl = timeline(&fx);
    let t = texts(&tl);
    assert!(t.iter().any(|t| t == "today 2026-11-22"), "{t:?}");
    assert!(
        t.iter()
            .any(|t| t == "FWN-2026-0006 · 2 × controller · 2026-12-24"),
        "{t:?}"
    );
    assert!(
        t.iter()
            .any(|t| t == "FWN-2019-0032768 · 8 × drive · PAST DUE"),
        "{t:?}"
    );
    assert!(t.iter().any(|t| t == "step primary · 2026-12-05"), "{t:?}");
    insta::assert_snapshot!("timeline_with_plan", tl);

    // Two runs, the same bytes.
    assert_eq!(picture(&fx, "FWN-2026-0002@mail-unity"), mail);
    assert_eq!(timeline(&fx), tl);

    // The README's examples are these pictures.
    for (file, svg) in [
        ("docs/pictures/blast-radius-mail-unity.svg", &mail),
        ("docs/pictures/timeline.svg", &tl),
    ] {
        let kept = std::fs::read_to_string(project().join(file)).unwrap_or_default();
        assert!(
            kept == *svg,
            "{file} is out of date: regenerate it with the command in the README (Pictures)"
        );
    }
}

#[test]
fn the_timeline_as_text_and_json() {
    let fx = Fixture::new();
    let out = exposure(&fx, &["--timeline", "--months", "12", "--plan", PLAN]);
    out.expect(0);
    let text = out.stdout();
    assert!(
        text.starts_with(
            "dated triggers from 2026-11-22 to 2027-11-22 (12 months): 10 in 10 rows\n"
        ),
        "{text}"
    );
    assert!(text.contains(
        "  2026-12-24  in 32 days   FWN-2026-0006  2 × controller  critical [common-mode-outage]"
    ), "{text}");
    assert!(
        text.contains("  2026-12-05  primary: iaas-unity → 5.0.6.0.5.008"),
        "{text}"
    );

    let j = exposure(&fx, &["--timeline", "--format", "json"]).json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["months"], 24);
    let rows: Vec<&str> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "subscriber-db-1-data",
            "subscriber-log-1-archive",
            // The illustrative lifecycle documents: end-of-support dates are dated triggers too.
            "iaas-unity",
            "iaas-unity-backup",
            "hosting-fas-controllers",
            "vpn-gw-1",
            "hosting-fas",
            "carrier-aff",
            "carrier-aff-dr",
            "mail-unity"
        ]
    );
    assert_eq!(j["rows"][0]["marks"][0]["past_due"], true);
    assert!(j.get("steps").is_none(), "no plan, no steps: {j:#}");
}

#[test]
fn what_the_pictures_refuse() {
    let fx = Fixture::new();
    // One finding per picture: an advisory on two systems is two.
    let out = exposure(&fx, &["--explain", "FWN-2026-0001", "--format", "svg"]);
    out.expect(1);
    assert!(
        out.stderr().contains(
            "`FWN-2026-0001` is 2 findings and a picture is of one: use one of \
         FWN-2026-0001@carrier-aff, FWN-2026-0001@carrier-aff-dr"
        ),
        "{}",
        out.show()
    );
    // The text reasoning still takes an advisory id.
    exposure(&fx, &["--explain", "FWN-2026-0001"]).expect(0);

    let out = exposure(&fx, &["--format", "svg"]);
    out.expect(1);
    assert!(
        out.stderr().contains("`--format svg` draws one finding"),
        "{}",
        out.show()
    );

    let out = exposure(&fx, &["--timeline", "--format", "csv"]);
    out.expect(1);
    assert!(out.stderr().contains("not as `csv`"), "{}", out.show());

    // Usage errors: the timeline's options without it, and with --explain.
    exposure(&fx, &["--plan", PLAN]).expect(2);
    exposure(&fx, &["--months", "6"]).expect(2);
    exposure(
        &fx,
        &["--timeline", "--explain", "FWN-2026-0001@carrier-aff"],
    )
    .expect(2);
    exposure(&fx, &["--timeline", "--months", "0"]).expect(2);

    // A service owner sees the finding cut to their services, not the system's topology.
    let out = exposure(
        &fx,
        &[
            "--owner",
            "hosting-ops",
            "--explain",
            "FWN-2026-0002@mail-unity",
            "--format",
            "svg",
        ],
    );
    out.expect(1);
    assert!(
        out.stderr()
            .contains("which is for its owner (storage-team)"),
        "{}",
        out.show()
    );
    let out = exposure(
        &fx,
        &[
            "--owner",
            "storage-team",
            "--explain",
            "FWN-2026-0002@mail-unity",
            "--format",
            "svg",
        ],
    );
    out.expect(0);

    // A broken plan is reported like check-update's.
    let plan = fx.file(
        "plan.toml",
        "[[step]]\nname = \"x\"\nupdate = [\"nowhere\"]\nto = \"1\"\n",
    );
    let out = exposure(&fx, &["--timeline", "--plan", plan.to_str().unwrap()]);
    out.expect(1);
    assert!(out.stderr().contains("unknown-reference"), "{}", out.show());
}
