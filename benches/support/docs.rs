//! Serializers from synthetic [`Advisory`] values (`firmwatch::synth`) to the document formats
//! firmwatch ingests: native JSON, CSAF 2.0, OSV and CVE JSON 5. Shared by the `sync` and
//! `exposure_e2e` benches and by `tests/it/bench_smoke.rs` (mounted with `#[path]`).
//!
//! Each writer emits the smallest document its parser accepts plus the fields real documents carry
//! (title, dates, a summary), with the synthetic range expressed the way that format states
//! ranges: CSAF `product_version_range` with the vers string, OSV `introduced`/`fixed` events or a
//! `versions` list, CVE 5 `version`/`lessThan` entries. Only the native format can say what a bug
//! does (effects, triggers), so storage advisories that must rate like the real ones go there.
//! `revision` is folded into the modified date and the title, so changing a document between
//! sync rounds is a real content change.

#![allow(dead_code)]

use firmwatch::model::{Advisory, Trigger, VersionSpec};
use serde_json::{json, Value};

/// Lower bound, upper bound (exclusive) and exact list of a synthetic range.
struct Bounds {
    lo: Option<String>,
    hi: Option<String>,
    list: Vec<String>,
    scheme: String,
}

fn bounds(spec: &VersionSpec) -> Bounds {
    let text = match spec {
        VersionSpec::Range(r) => r.to_string(),
        _ => String::new(),
    };
    let body = text.strip_prefix("vers:").unwrap_or("");
    let (scheme, cons) = body.split_once('/').unwrap_or(("intdot", ""));
    let mut b = Bounds {
        lo: None,
        hi: None,
        list: Vec::new(),
        scheme: scheme.to_string(),
    };
    for c in cons.split('|').filter(|c| !c.is_empty()) {
        if let Some(v) = c.strip_prefix(">=") {
            b.lo = Some(v.to_string());
        } else if let Some(v) = c.strip_prefix('<') {
            b.hi = Some(v.trim_start_matches('=').to_string());
        } else {
            b.list.push(c.to_string());
        }
    }
    b
}

fn date(a: &Advisory, revision: u32) -> String {
    a.modified.or(a.published).map_or_else(
        || "2026-01-01T00:00:00Z".to_string(),
        |d| {
            (d + chrono::Duration::hours(i64::from(revision)))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        },
    )
}

fn title(a: &Advisory, revision: u32) -> String {
    if revision == 0 {
        a.title.clone()
    } else {
        format!("{} (revision {revision})", a.title)
    }
}

fn trigger_text(t: &Trigger) -> Option<String> {
    Some(match t {
        Trigger::PowerOnHours { hours } => format!("power-on-hours {hours}"),
        Trigger::UptimeDays { days } => format!("uptime-days {days}"),
        Trigger::HardwareFault => "hardware-fault".into(),
        Trigger::DegradedMode => "degraded-mode".into(),
        Trigger::Setting { name, value } => format!("setting {name}={value}"),
        _ => return None,
    })
}

/// firmwatch native JSON (the TOML schema written as JSON).
pub fn native(a: &Advisory, revision: u32) -> Value {
    let affected: Vec<Value> = a
        .affected
        .iter()
        .map(|p| {
            let versions = match &p.versions {
                VersionSpec::Range(r) => r.to_string(),
                _ => "*".to_string(),
            };
            let mut o = json!({
                "vendor": p.vendor,
                "product": p.product,
                "versions": versions,
            });
            if !p.models.is_empty() {
                o["models"] = json!(p.models);
            }
            if let Some(c) = p.component {
                o["component"] = json!(c);
            }
            o
        })
        .collect();
    let d = date(a, revision);
    json!({"advisory": [{
        "id": a.id.to_string(),
        "vendor": a.vendor,
        "title": title(a, revision),
        "summary": a.summary,
        "published": d,
        "modified": d,
        "effects": a.effects,
        "triggers": a.triggers.iter().filter_map(trigger_text).collect::<Vec<_>>(),
        "affected": affected,
    }]})
}

/// CSAF 2.0 security advisory with a vendor → product_name → product_version_range tree.
pub fn csaf(a: &Advisory, revision: u32) -> Value {
    let d = date(a, revision);
    let mut vendors: Vec<Value> = Vec::new();
    let mut ids = Vec::new();
    for (i, p) in a.affected.iter().enumerate() {
        let pid = format!("CSAFPID-{:04}", i + 1);
        let range = match &p.versions {
            VersionSpec::Range(r) => r.to_string(),
            _ => "vers:intdot/*".to_string(),
        };
        let names: Vec<String> = if p.models.is_empty() {
            vec![p.product.clone()]
        } else {
            p.models.clone()
        };
        let products: Vec<Value> = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let pid = format!("{pid}-{j}");
                ids.push(pid.clone());
                json!({
                    "category": "product_name",
                    "name": name,
                    "branches": [{
                        "category": "product_version_range",
                        "name": range,
                        "product": {"name": format!("{} {name} {range}", p.vendor), "product_id": pid}
                    }]
                })
            })
            .collect();
        vendors.push(json!({"category": "vendor", "name": p.vendor, "branches": products}));
    }
    let id = a.id.to_string();
    json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": title(a, revision),
            "lang": "en",
            "publisher": {"category": "vendor", "name": a.vendor, "namespace": "https://mirror.example"},
            "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
            "notes": [{"category": "summary", "title": "Summary", "text": format!("Synthetic advisory {id}.")}],
            "tracking": {
                "id": id,
                "status": "final",
                "version": (revision + 1).to_string(),
                "initial_release_date": date(a, 0),
                "current_release_date": d,
                "revision_history": [{"date": d, "number": (revision + 1).to_string(), "summary": "synthetic"}]
            }
        },
        "product_tree": {"branches": vendors},
        "vulnerabilities": [{
            "title": title(a, revision),
            "product_status": {"known_affected": ids},
            "notes": [{"category": "description", "text": "Synthetic vulnerability."}]
        }]
    })
}

/// OSV record: one `affected` entry per statement, `ECOSYSTEM` events or a versions list.
pub fn osv(a: &Advisory, revision: u32) -> Value {
    let affected: Vec<Value> = a
        .affected
        .iter()
        .map(|p| {
            let b = bounds(&p.versions);
            let mut o = json!({"package": {"ecosystem": p.vendor, "name": p.product}});
            if b.list.is_empty() {
                let mut events =
                    vec![json!({"introduced": b.lo.clone().unwrap_or_else(|| "0".into())})];
                if let Some(hi) = &b.hi {
                    events.push(json!({"fixed": hi}));
                }
                o["ranges"] = json!([{"type": "ECOSYSTEM", "events": events}]);
            } else {
                o["versions"] = json!(b.list);
            }
            o
        })
        .collect();
    json!({
        "schema_version": "1.6.0",
        "id": a.id.to_string(),
        "modified": date(a, revision),
        "published": date(a, 0),
        "summary": title(a, revision),
        "details": "Synthetic record.",
        "affected": affected,
    })
}

/// CVE JSON 5 record (CNA container only).
pub fn cve5(a: &Advisory, revision: u32) -> Value {
    let affected: Vec<Value> = a
        .affected
        .iter()
        .map(|p| {
            let b = bounds(&p.versions);
            let versions: Vec<Value> = if b.list.is_empty() {
                let mut v = json!({
                    "version": b.lo.clone().unwrap_or_else(|| "0".into()),
                    "status": "affected",
                    "versionType": "custom",
                });
                if let Some(hi) = &b.hi {
                    v["lessThan"] = json!(hi);
                }
                vec![v]
            } else {
                b.list
                    .iter()
                    .map(|x| json!({"version": x, "status": "affected"}))
                    .collect()
            };
            json!({"vendor": p.vendor, "product": p.product, "defaultStatus": "unaffected", "versions": versions})
        })
        .collect();
    json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": a.id.to_string(),
            "state": "PUBLISHED",
            "assignerShortName": "synthetic",
            "datePublished": date(a, 0),
            "dateUpdated": date(a, revision),
        },
        "containers": {"cna": {
            "title": title(a, revision),
            "descriptions": [{"lang": "en", "value": "Synthetic record."}],
            "affected": affected,
            "references": [{"url": "https://mirror.example/advisories"}],
        }}
    })
}
