//! Deterministic generator of a large JSON inventory, shared by the `inventory_load` bench and the
//! smoke test in `tests/it/inventory.rs` (mounted in `tests/it/main.rs` with `#[path]`).
//!
//! Shape: `systems` arrays (Unity-like, intdot firmware), each with 2 controllers, 8 enclosures and
//! `entries_per_system - 10` drive entries (one drive each, opaque firmware, power-on hours); one
//! controller pair and one RAID 6 group per 12 drives per system; a rack domain per 10 systems; a
//! service per system; a backup from each system to the next. Every entry is a separate component,
//! so `entries = systems * entries_per_system`.

#![allow(dead_code)]

use std::fmt::Write;

pub struct Shape {
    pub systems: usize,
    pub entries_per_system: usize,
}

impl Shape {
    pub fn entries(&self) -> usize {
        self.systems * self.entries_per_system
    }
}

pub fn generate(shape: &Shape) -> String {
    assert!(
        shape.entries_per_system >= 10 + 12,
        "need room for the fixed parts"
    );
    let drives = shape.entries_per_system - 10;
    let mut s = String::with_capacity(shape.entries() * 170);
    s.push_str("{\"owners\":[");
    for o in 0..50 {
        if o > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"team-{o}","email":"team-{o}@example.net"}}"#);
    }
    s.push_str("],\"sites\":[");
    for site in 0..10 {
        if site > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"site-{site}","name":"Site {site}"}}"#);
    }
    s.push_str("],\"systems\":[\n");
    for n in 0..shape.systems {
        if n > 0 {
            s.push_str(",\n");
        }
        let fw = format!("5.{}.{}.0.5.{:03}", n % 3, n % 7, n % 100);
        let _ = write!(
            s,
            r#"{{"id":"array-{n}","vendor":"Dell EMC","model":"Unity 480F","site":"site-{}","owner":"team-{}","firmware":"{fw}","settings":{{"inline-compression":{}}},"tenants":["tenant-{}"],"components":["#,
            n % 10,
            n % 50,
            n % 2 == 0,
            n % 70
        );
        for c in ["spa", "spb"] {
            let _ = write!(
                s,
                r#"{{"id":"{c}","kind":"controller","model":"Unity 480F","firmware":"{fw}"}},"#
            );
        }
        for e in 0..8 {
            let _ = write!(
                s,
                r#"{{"id":"dae-{e}","kind":"enclosure","model":"DAE 25","firmware":"2.{e}.{}","scheme":"intdot"}},"#,
                n % 9
            );
        }
        for d in 0..drives {
            if d > 0 {
                s.push(',');
            }
            let hours = 20_000 + (n * 7 + d * 13) % 15_000;
            let _ = write!(
                s,
                r#"{{"id":"d{d}","kind":"drive","vendor":"HPE","model":"VO1920JFDGV","firmware":"HPD{}","count":1,"power_on_hours":{{"hours":{hours},"read_on":"2026-10-01"}}}}"#,
                6 + d % 3
            );
        }
        s.push_str("]}");
    }
    s.push_str("\n],\"groups\":[\n");
    let mut first = true;
    for n in 0..shape.systems {
        if !first {
            s.push_str(",\n");
        }
        first = false;
        let _ = write!(
            s,
            r#"{{"id":"array-{n}-sps","kind":"controller-pair","members":["array-{n}/spa","array-{n}/spb"],"load":0.{}}}"#,
            3 + n % 6
        );
        for g in 0..drives / 12 {
            let members: Vec<String> = (g * 12..g * 12 + 12)
                .map(|d| format!("\"array-{n}/d{d}\""))
                .collect();
            let _ = write!(
                s,
                r#",{{"id":"array-{n}-rg{g}","kind":"raid-group","tolerance":2,"members":[{}]}}"#,
                members.join(",")
            );
        }
    }
    s.push_str("\n],\"domains\":[");
    for r in 0..shape.systems.div_ceil(10) {
        if r > 0 {
            s.push(',');
        }
        let members: Vec<String> = (r * 10..(r * 10 + 10).min(shape.systems))
            .map(|n| format!("\"array-{n}\""))
            .collect();
        let _ = write!(
            s,
            r#"{{"id":"rack-{r}","kind":"rack","members":[{}]}}"#,
            members.join(",")
        );
    }
    s.push_str("],\"services\":[");
    for n in 0..shape.systems {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"svc-{n}","owner":"team-{}","users":{},"tenants":["tenant-{}"],"criticality":"high","depends_on":["array-{n}","array-{n}/dae-{}"]}}"#,
            n % 50,
            1000 + n * 37 % 100_000,
            n % 70,
            n % 8
        );
    }
    s.push_str("],\"backups\":[");
    for n in 0..shape.systems {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"of":"array-{n}","to":"array-{}"}}"#,
            (n + 1) % shape.systems
        );
    }
    s.push_str("]}\n");
    s
}
