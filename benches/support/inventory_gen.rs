//! Deterministic generator of a large JSON inventory, shared by the `inventory_load` bench and the
//! smoke test in `tests/it/inventory.rs` (mounted in `tests/it/main.rs` with `#[path]`).
//!
//! Shape: `systems` arrays (Unity-like, intdot firmware), each with 2 controllers, 8 enclosures and
//! `entries_per_system - 10` drive entries (one drive each, opaque firmware, power-on hours); one
//! controller pair and one RAID 6 group per 12 drives per system; a rack domain per 10 systems
//! with two power feeds, each fed by its own PDU system (APC, one of two firmware versions), the
//! last array of a rack on feed A alone; a boot date per system and, on odd systems, another for
//! `spb`; a serial number per controller (drives have none, so the scale figures stay comparable
//! with earlier runs); a service per system (the first carries notifications); a backup from each system to
//! the next, a replica on odd systems. Every array entry is a separate component, so
//! `entries = systems * entries_per_system` (the PDUs have none).

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
            r#"{{"id":"array-{n}","vendor":"Dell EMC","model":"Unity 480F","site":"site-{}","owner":"team-{}","firmware":"{fw}","booted":"2026-{:02}-{:02}","settings":{{"inline-compression":{}}},"tenants":["tenant-{}"],"components":["#,
            n % 10,
            n % 50,
            1 + n % 9,
            1 + n % 28,
            n % 2 == 0,
            n % 70
        );
        for c in ["spa", "spb"] {
            let booted = if c == "spb" && n % 2 == 1 {
                format!(
                    r#","booted":"2026-{:02}-{:02}""#,
                    1 + (n + 3) % 9,
                    1 + n % 28
                )
            } else {
                String::new()
            };
            let _ = write!(
                s,
                r#"{{"id":"{c}","kind":"controller","model":"Unity 480F","firmware":"{fw}","serial":"CKM{n:06}{c}"{booted}}},"#
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
    for r in 0..shape.systems.div_ceil(10) {
        for side in ["a", "b"] {
            let _ = write!(
                s,
                r#",
{{"id":"pdu-{r}-{side}","vendor":"APC","model":"AP8959","owner":"team-{}","firmware":"{}"}}"#,
                r % 50,
                if r % 3 == 0 { "7.0.4" } else { "7.1.2" }
            );
        }
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
        let _ = write!(
            s,
            r#",{{"id":"feed-{r}-a","kind":"power-feed","members":[{}],"fed_by":["pdu-{r}-a"]}}"#,
            members.join(",")
        );
        if members.len() > 1 {
            let _ = write!(
                s,
                r#",{{"id":"feed-{r}-b","kind":"power-feed","members":[{}],"fed_by":["pdu-{r}-b"]}}"#,
                members[..members.len() - 1].join(",")
            );
        }
    }
    s.push_str("],\"services\":[");
    for n in 0..shape.systems {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"svc-{n}","owner":"team-{}","users":{},"tenants":["tenant-{}"],"criticality":"high","depends_on":["array-{n}","array-{n}/dae-{}"],"notification_channel":{}}}"#,
            n % 50,
            1000 + n * 37 % 100_000,
            n % 70,
            n % 8,
            n == 0
        );
    }
    s.push_str("],\"backups\":[");
    for n in 0..shape.systems {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"of":"array-{n}","to":"array-{}","kind":"{}"}}"#,
            (n + 1) % shape.systems,
            if n % 2 == 1 { "replica" } else { "backup" }
        );
    }
    s.push_str("]}\n");
    s
}
