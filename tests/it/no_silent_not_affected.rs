//! Every path where a match cannot be decided ends as an **unknown** finding with its reason, and
//! that reason reaches every output: the exposure table, JSON, CSV, Markdown, HTML and `--explain`,
//! the check-update report, and the notification each entitled owner gets (text, HTML, generic
//! webhook JSON, Slack) — the system's owner and the owner of a service depending on it.
//!
//! The cases: an installed version that does not parse under the range's scheme (declared opaque),
//! an advisory range given only as text, a page with no version statement (through the real HTML
//! parser), a setting the inventory does not record, a statement naming no product, an
//! incomparable version (ONTAP engineering build), an advisory listing only fixed versions (ours not
//! among them), a product "under investigation", and a withdrawn advisory. A last test shows an
//! installed version that does not parse under its own scheme stops the run loudly (inventory
//! error, exit 1) instead of being rated.

use chrono::{TimeZone, Utc};
use firmwatch::blast::Finding;
use firmwatch::check::{check, resolve_target, RolloutPlan, Step};
use firmwatch::classify::Overrides;
use firmwatch::inventory::{Criticality, Owner};
use firmwatch::matcher::MatchState;
use firmwatch::model::{Advisory, Effect, ProductStatus, Trigger, VersionSpec};
use firmwatch::notify::{plan, render};
use firmwatch::report::{self, html_escape, Report};
use firmwatch::testkit::{advisory_for, today, BugExt, Estate};
use firmwatch::version::Scheme;

use crate::support::cmd::Fw;
use crate::support::fixture::{Fixture, Inventory as FileInventory, Native};
use crate::support::project;

struct Case {
    name: &'static str,
    system: &'static str,
    advisory: Advisory,
    /// Part of the reason the reader must see.
    why: &'static str,
    /// Where a planned update moves the system (the unknown must survive the move).
    to: &'static str,
}

fn html_advisory() -> Advisory {
    let fx = Fixture::new();
    fx.feed(
        "page",
        "kind = \"html\"\nurl = \"http://127.0.0.1:9/x\"\nvendor = \"Dell EMC\"\n[html]\nitem = \"article\"\ntitle = \"h1\"\nid = \".id\"\nproducts = \".product\"\n",
    );
    let feed = fx.load_feeds().remove(0);
    let page =
        "<html><body><article><h1>Controller may panic</h1><span class=\"id\">DSA-NOVER</span>\
                <span class=\"product\">Model-N</span></article></body></html>";
    let mut advs = firmwatch::collect::formats::html::parse_page(
        &feed,
        "http://127.0.0.1:9/x",
        page.as_bytes(),
    )
    .unwrap();
    let mut a = advs.remove(0);
    a.effects = vec![Effect::ComponentCrash];
    a
}

fn cases() -> Vec<Case> {
    let crash = [Effect::ComponentCrash];
    let adv = |id: &str, vendor: &str, product: &str, range: &str| {
        advisory_for(id, vendor, product, range)
            .any_part()
            .effects(&crash)
    };
    let mut text = adv("ADV-TEXT", "Dell EMC", "Model-T", "vers:intdot/<9");
    text.affected[0].versions = VersionSpec::Unparsed("All versions <= V2.5.0 and FS <= 9".into());
    let setting = advisory_for("ADV-SETTING", "Dell EMC", "Model-S", "vers:intdot/<9")
        .any_part()
        .effects(&crash)
        .triggers(&[Trigger::Setting {
            name: "dedup".into(),
            value: true,
        }]);
    let mut noproduct = adv("ADV-NOPRODUCT", "Acme", "Model-P", "vers:intdot/<9");
    noproduct.affected[0].product = "  ".into();
    let mut fixed_only = adv("ADV-FIXEDONLY", "Dell EMC", "Model-F", "vers:intdot/>=6.0");
    fixed_only.affected[0].status = ProductStatus::Fixed;
    let mut invest = adv("ADV-INVEST", "Dell EMC", "Model-I", "vers:intdot/<9");
    invest.affected[0].status = ProductStatus::UnderInvestigation;
    let mut withdrawn = adv("ADV-WITHDRAWN", "Dell EMC", "Model-W", "vers:intdot/<9");
    withdrawn.withdrawn = Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
    vec![
        Case {
            name: "installed version not readable in the range's scheme",
            system: "sys-opaque",
            advisory: adv(
                "ADV-OPAQUE",
                "Dell EMC",
                "Model-O",
                "vers:intdot/>=1.0|<2.0",
            ),
            why: "cannot be read as opaque versions",
            to: "XR8-build1",
        },
        Case {
            name: "range given only as text",
            system: "sys-text",
            advisory: text,
            why: "the advisory states versions only as text",
            to: "5.2.0",
        },
        Case {
            name: "no version data (HTML page)",
            system: "sys-nover",
            advisory: html_advisory(),
            why: "no version statement on the page",
            to: "5.2.0",
        },
        Case {
            name: "setting not recorded",
            system: "sys-setting",
            advisory: setting,
            why: "the inventory does not record that setting",
            to: "5.2.0",
        },
        Case {
            name: "no product named",
            system: "sys-noproduct",
            advisory: noproduct,
            why: "the advisory names no product of Acme",
            to: "5.2.0",
        },
        Case {
            name: "incomparable version",
            system: "sys-ontap",
            advisory: adv(
                "ADV-ONTAP",
                "NetApp",
                "AFF A400",
                "vers:ontap/>=9.8|<9.8P16",
            ),
            why: "engineering builds have no published order",
            to: "9.8X13",
        },
        Case {
            name: "only fixed versions listed, ours not among them",
            system: "sys-fixedonly",
            advisory: fixed_only,
            why: "lists only fixed or unaffected versions for this product",
            to: "5.2.0",
        },
        Case {
            name: "under investigation",
            system: "sys-invest",
            advisory: invest,
            why: "the vendor lists this product as under investigation",
            to: "5.2.0",
        },
        Case {
            name: "withdrawn advisory",
            system: "sys-withdrawn",
            advisory: withdrawn,
            why: "the advisory was withdrawn by its source on 2026-11-01",
            to: "5.2.0",
        },
    ]
}

/// Every case system belongs to storage-team; app-team owns a service depending on all of them.
fn estate() -> Estate {
    let mut e = Estate::new()
        .system(
            "sys-opaque",
            "Dell EMC",
            "Model-O",
            Scheme::Opaque,
            "XR7-build12",
        )
        .system("sys-text", "Dell EMC", "Model-T", Scheme::Intdot, "5.1.0")
        .system("sys-nover", "Dell EMC", "Model-N", Scheme::Intdot, "5.1.0")
        .system(
            "sys-fixedonly",
            "Dell EMC",
            "Model-F",
            Scheme::Intdot,
            "5.1.0",
        )
        .system("sys-invest", "Dell EMC", "Model-I", Scheme::Intdot, "5.1.0")
        .system(
            "sys-setting",
            "Dell EMC",
            "Model-S",
            Scheme::Intdot,
            "5.1.0",
        )
        .system("sys-noproduct", "Acme", "Model-P", Scheme::Intdot, "5.1.0")
        .system("sys-ontap", "NetApp", "AFF A400", Scheme::Ontap, "9.8X12")
        .system(
            "sys-withdrawn",
            "Dell EMC",
            "Model-W",
            Scheme::Intdot,
            "5.1.0",
        )
        .service(
            "app",
            5000,
            &["tenant-a"],
            Criticality::High,
            &[
                "sys-opaque",
                "sys-text",
                "sys-nover",
                "sys-setting",
                "sys-noproduct",
                "sys-ontap",
                "sys-withdrawn",
                "sys-fixedonly",
                "sys-invest",
            ],
        );
    let owner = Owner {
        id: "app-team".parse().unwrap(),
        name: "App team".into(),
        email: Some("app@example.net".into()),
        webhook: None,
    };
    e.0.owners.insert(owner.id.clone(), owner);
    e.0.services.get_mut("app").unwrap().owner = "app-team".parse().unwrap();
    e
}

fn the_finding<'a>(findings: &'a [Finding], c: &Case) -> &'a Finding {
    let id = format!("{}@{}", c.advisory.id, c.system);
    let f = findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{}: no finding {id} — silently dropped", c.name));
    assert_eq!(f.state, MatchState::Unknown, "{}: {f:?}", c.name);
    assert!(f.evidence.contains(c.why), "{}: {}", c.name, f.evidence);
    f
}

#[test]
fn every_undecidable_match_is_an_unknown_finding_in_every_output() {
    let e = estate();
    let cases = cases();
    let advisories: Vec<Advisory> = cases.iter().map(|c| c.advisory.clone()).collect();
    let overrides = Overrides::default();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
    let report: Report =
        firmwatch::pipeline::exposure_report(&e.0, &advisories, &overrides, vec![], now, today());
    assert_eq!(report.unknown, cases.len(), "{:#?}", report.findings);

    let table = report::render_table(&report, 1000);
    let json: serde_json::Value =
        serde_json::from_str(&report::render_json(&report).unwrap()).unwrap();
    let csv = report::render_csv(&report).unwrap();
    let md = report::render_markdown(&report);
    let html = report::render_html(&report);
    assert!(
        table.contains(&format!("{} unknown", cases.len())),
        "{table}"
    );

    for c in &cases {
        let f = the_finding(&report.findings, c);
        // Table: the line says UNKNOWN and gives the reason.
        assert!(table.contains(&*f.advisory.id), "{}: {table}", c.name);
        let line = table
            .lines()
            .find(|l| l.contains(c.why))
            .unwrap_or_else(|| panic!("{}: reason not in table:\n{table}", c.name));
        assert!(line.contains("UNKNOWN"), "{}: {line}", c.name);
        // JSON.
        let j = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == f.id.as_str())
            .unwrap();
        assert_eq!(j["state"], "unknown", "{}", c.name);
        assert!(
            j["evidence"].as_str().unwrap().contains(c.why),
            "{}",
            c.name
        );
        // CSV: the row is marked unknown and carries the reason.
        let row = csv
            .lines()
            .find(|l| l.starts_with(&f.id))
            .unwrap_or_else(|| panic!("{}: no CSV row", c.name));
        assert!(
            row.contains(",unknown,") && row.contains(c.why),
            "{}: {row}",
            c.name
        );
        // Markdown and HTML.
        let md_line = md
            .lines()
            .find(|l| l.starts_with('|') && l.contains(c.why))
            .unwrap_or_else(|| panic!("{}: reason not in markdown:\n{md}", c.name));
        assert!(md_line.contains("UNKNOWN"), "{}: {md_line}", c.name);
        assert!(html.contains(&html_escape(c.why)), "{}", c.name);
        assert!(html.contains("(UNKNOWN)"), "{}", c.name);
        // --explain.
        let ex = report::render_explain(f);
        assert!(ex.contains("match:       UNKNOWN"), "{}: {ex}", c.name);
        assert!(ex.contains(c.why), "{}: {ex}", c.name);
    }

    // check-update: after a planned move each stays unknown (not "fixed", not dropped).
    for c in &cases {
        let target = resolve_target(&e.0, c.system, c.to).unwrap();
        let p = RolloutPlan {
            steps: vec![Step {
                name: "move".into(),
                window: None,
                date: None,
                targets: vec![target],
            }],
        };
        let r = check(&e.0, &advisories, &overrides, &p, today());
        let diff = r
            .systems
            .iter()
            .find(|d| d.system.as_str() == c.system)
            .unwrap();
        assert!(
            diff.unknown.iter().any(|f| f.evidence.contains(c.why)),
            "{}: {:#?}",
            c.name,
            diff
        );
        assert!(
            !diff
                .fixed
                .iter()
                .any(|f| &*f.advisory.id == c.advisory.id.as_str()),
            "{}: an undecidable match is not 'fixed'",
            c.name
        );
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.contains(c.why), "{}", c.name);
    }

    // Notifications: the system owner and the service owner both get each unknown, with its reason.
    let findings: Vec<Finding> = report.findings.clone();
    let p = plan::plan(&findings, &e.0, &plan::State::new(), today(), "g1");
    for owner in ["storage-team", "app-team"] {
        let m = p
            .messages
            .iter()
            .find(|m| m.owner == owner)
            .unwrap_or_else(|| panic!("no digest for {owner}"));
        let text = render::text(m);
        let html = render::html(m);
        let generic = render::generic_json(m).unwrap();
        let slack = render::slack_json(m).unwrap();
        for c in &cases {
            let item = m
                .items
                .iter()
                .find(|i| i.finding == format!("{}@{}", c.advisory.id, c.system))
                .unwrap_or_else(|| panic!("{owner}: {} missing from the digest", c.name));
            assert!(
                item.undecided.as_deref().is_some_and(|w| w.contains(c.why)),
                "{owner}: {}",
                c.name
            );
            assert!(text.contains(c.why), "{owner} text: {}", c.name);
            assert!(
                html.contains(&html_escape(c.why)),
                "{owner} html: {}",
                c.name
            );
            assert!(generic.contains(c.why), "{owner} webhook: {}", c.name);
            assert!(slack.contains(c.why), "{owner} slack: {}", c.name);
        }
        assert!(text.contains("Match UNKNOWN"), "{text}");
    }
}

#[test]
fn an_installed_version_that_does_not_parse_stops_the_run() {
    let fx = Fixture::new();
    fx.inventory_file(
        "estate.toml",
        "[[owners]]\nid = \"o\"\nname = \"O\"\nemail = \"o@example.net\"\n\n\
         [[systems]]\nid = \"arr\"\nname = \"Arr\"\nvendor = \"Dell EMC\"\nmodel = \"Unity 480F\"\nowner = \"o\"\nfirmware = \"five point one\"\n",
    );
    let fw = Fw::new()
        .inventory(fx.inventory())
        .store(fx.store())
        .feeds(project().join("feeds"));
    for args in [
        vec!["inventory", "check"],
        vec!["exposure", "--no-sync", "--format", "json"],
    ] {
        let out = fw.run_with(&args);
        let err = out.stderr();
        assert_eq!(out.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("bad-firmware"), "{args:?}: {err}");
        assert!(err.contains("five point one"), "{args:?}: {err}");
        assert!(
            out.stdout().is_empty(),
            "{args:?}: nothing rated, nothing printed"
        );
    }
}

/// Stale feed data: `--max-data-age 0` makes the data just synced stale, so every command answering
/// from feed data must show it, and fail where documented (exit 3).
#[test]
fn stale_data_is_shown_everywhere_and_can_fail_the_run() {
    let fx = Fixture::new();
    fx.native_feed(
        "n",
        &[Native::takeover("STALE-1")
            .effects(&["performance"])
            .triggers(&["workload heavy small I/O"])],
    );
    fx.inventory_file(
        "estate.toml",
        FileInventory::new()
            .owner("o", "O", "email = \"o@example.net\"")
            .aff("arr", "Arr", "o"),
    );
    let fw = |args: &[&str]| {
        let o = fx.fw().run_with(args);
        (o.code(), o.all())
    };
    assert_eq!(fw(&["sync", "-q"]).0, Some(0));
    let stale = "data for feed n is 0 days old";

    // Fresh without the limit: no warning anywhere.
    let (code, out) = fw(&["exposure", "--no-sync"]);
    assert_eq!(code, Some(0));
    assert!(!out.contains("days old"), "{out}");

    for f in ["table", "json", "csv", "markdown", "html"] {
        let (code, out) = fw(&[
            "exposure",
            "--no-sync",
            "--max-data-age",
            "0",
            "--format",
            f,
        ]);
        assert_eq!(code, Some(0), "{f}: {out}");
        assert!(out.contains(stale), "{f}: {out}");
    }
    let (code, out) = fw(&[
        "exposure",
        "--no-sync",
        "--max-data-age",
        "0",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, Some(3), "stale data fails a gated run: {out}");
    let (code, _) = fw(&[
        "exposure",
        "--no-sync",
        "--max-data-age",
        "30",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, Some(0), "fresh data passes the same gate");

    // check-update: the move would be `go`; on stale data it is `caution` (exit 3), saying why.
    let check = [
        "check-update",
        "--no-sync",
        "--system",
        "arr",
        "--to",
        "9.8P6",
    ];
    let (code, out) = fw(&check);
    assert_eq!(code, Some(0), "{out}");
    let mut stale_check = check.to_vec();
    stale_check.extend(["--max-data-age", "0"]);
    let (code, out) = fw(&stale_check);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(stale) && out.contains("advisory data older than --max-data-age"),
        "{out}"
    );
    stale_check.extend(["--format", "json"]);
    let (_, out) = fw(&stale_check);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["feeds"][0]["stale"], true, "{j}");
    assert_eq!(j["verdict"], "caution");

    // notify: each digest says the data is stale; the run exits 3.
    let (code, out) = fw(&["notify", "--no-sync", "--dry-run", "--max-data-age", "0"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("WARNING: the advisory data behind this digest is stale: n (0 days old)"),
        "{out}"
    );
    let (code, out) = fw(&["run", "--once", "--no-sync", "--max-data-age", "0"]);
    assert_eq!(code, Some(3), "stale wins over 5 (mail waiting): {out}");
    assert!(
        out.contains("warning: the advisory data behind this digest is stale"),
        "{out}"
    );
}

/// No data is not "not exposed": a gate fails closed (exit 3, with the reason) when a feed has
/// never synced or every feed's last sync failed, and passes again once the data is there.
#[test]
fn gates_fail_closed_without_data() {
    let fx = Fixture::new();
    fx.native_feed(
        "n",
        &[Native::takeover("NODATA-1").effects(&["performance"])],
    );
    fx.inventory_file(
        "estate.toml",
        FileInventory::new()
            .owner("o", "O", "email = \"o@example.net\"")
            .aff("arr", "Arr", "o"),
    );
    let fw = |args: &[&str]| {
        let o = fx.fw().run_with(args);
        (o.code(), o.all())
    };
    let gate = ["exposure", "--no-sync", "--fail-on", "critical"];
    let check = [
        "check-update",
        "--no-sync",
        "--system",
        "arr",
        "--to",
        "9.8P6",
    ];

    // Never synced: the store holds none of the feed's advisories.
    let (code, out) = fw(&gate);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("never synced, so their advisories are not checked: n"),
        "{out}"
    );
    let (code, out) = fw(&check);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("verdict: CAUTION"), "{out}");
    assert!(out.contains("advisory data missing: never synced"), "{out}");
    // Without a gate the listing still answers (exit 0) and says why it is empty.
    let (code, out) = fw(&["exposure", "--no-sync"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("has never synced"), "{out}");

    // Synced: both gates pass.
    assert_eq!(fw(&["sync", "-q"]).0, Some(0));
    assert_eq!(fw(&gate).0, Some(0));
    assert_eq!(fw(&check).0, Some(0));

    // Every feed failing: its folder is gone, so its last sync failed after its last success.
    std::fs::remove_dir_all(fx.feeds().join("native")).unwrap();
    assert_eq!(fw(&["sync", "-q", "--force"]).0, Some(5));
    let (code, out) = fw(&gate);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("every feed's last sync failed (n)"), "{out}");
    let (code, out) = fw(&check);
    assert_eq!(code, Some(3), "{out}");
}

/// A confirmed match that turns unknown (here: its advisory is withdrawn, and the unknown rating is
/// lower) is announced again as CHANGED with the reason — a falling severity alone would not be.
#[test]
fn a_match_turning_unknown_is_announced() {
    let e = estate();
    let a = advisory_for(
        "ADV-LATER-WITHDRAWN",
        "Dell EMC",
        "Model-W",
        "vers:intdot/<9",
    )
    .any_part()
    .effects(&[Effect::ComponentCrash]);
    let first = firmwatch::testkit::run(&e, std::slice::from_ref(&a));
    assert_eq!(first[0].state, MatchState::Confirmed);
    let p1 = plan::plan(&first, &e.0, &plan::State::new(), today(), "g1");
    let state: plan::State = p1.upserts.iter().cloned().collect();

    let mut w = a.clone();
    w.withdrawn = Some(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap());
    let second = firmwatch::testkit::run(&e, &[w]);
    assert_eq!(second[0].state, MatchState::Unknown);
    assert!(second[0].rating.severity <= first[0].rating.severity);
    let p2 = plan::plan(&second, &e.0, &state, today(), "g2");
    for owner in ["storage-team", "app-team"] {
        let m = p2.messages.iter().find(|m| m.owner == owner).unwrap();
        assert_eq!(m.items.len(), 1);
        assert_eq!(m.items[0].event, plan::EventKind::Changed);
        assert!(render::text(m).contains("withdrawn by its source on 2026-11-20"));
    }
    // Nothing changed since: nothing is sent again.
    let state2: plan::State = state
        .into_iter()
        .chain(p2.upserts.iter().cloned())
        .collect();
    assert!(plan::plan(&second, &e.0, &state2, today(), "g3")
        .messages
        .is_empty());
}
