//! What a bug does, read from the document's three signals together: its CVSS impact split, its
//! CWE ids and its wording.
//!
//! - **CVSS** (3.x `C/I/A`, 4.0 `VC/VI/VA` with `SC/SI/SA`, 2.0 `C/I/A` with `P` read as low and
//!   `C` as high) states what a weakness can touch. Availability high is a denial of service
//!   (`data-unavailable`). It **outranks a keyword**: with no integrity impact (`I:N`) no wording
//!   makes the document data loss, and with no availability impact (`A:N`) no wording makes it an
//!   outage or a crash. Where the wording said otherwise the reading says so ([`Reading::notes`]).
//! - **CWE** ids name the kind of weakness: resource exhaustion, uncontrolled recursion, infinite
//!   loops are denials of service; a NULL dereference or reachable assertion is a crash.
//! - **Wording**, with subject and negation: "corrupted", "malformed", "crafted" describe the
//!   attacker's *input* and are not data loss; data loss is said of stored data ("data
//!   corruption", "corrupt the database", "arbitrary file deletion", "cannot be recovered"), and
//!   a phrase preceded by "no", "not", "without" or "never" does not count. Writing or deleting
//!   files or changing the stored configuration is data loss only when CVSS gives integrity high;
//!   "execute arbitrary code" alone is not.
//!
//! Where the signals disagree and no vector settles it (a CWE of exhaustion beside wording that
//! names none) the more cautious reading is kept. The rules are plain lists so an operator can
//! see why a document was read as it was, and correct it with an annotation.
//!
//! Measured against 90 hand-labelled real documents: `tests/it/formats/effects_eval.rs`
//! (`cargo test --test it effects_eval -- --nocapture` prints precision and recall per effect).

use crate::model::{Advisory, AdvisoryId, Cvss, Effect};

/// The effects of one document and why, where its signals disagreed.
pub(super) struct Reading {
    pub(super) effects: Vec<Effect>,
    pub(super) notes: Vec<String>,
}

pub(super) fn has_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_word(text, w))
}

/// `word` occurs in `text` delimited by non-alphanumerics (so "du" does not match "during").
fn contains_word(text: &str, word: &str) -> bool {
    occurrences(text, word).next().is_some()
}

/// Where `word` occurs in `text` as whole words.
fn occurrences<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = usize> + 't {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < text.len() {
            let pos = text[start..].find(word)?;
            let at = start + pos;
            start = at + word.len().max(1);
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            if edge(before) && edge(after) {
                return Some(at);
            }
        }
        None
    })
}

/// `word` occurs somewhere not negated by "no", "not", "without" or "never" just before it.
fn stated(text: &str, word: &str) -> bool {
    occurrences(text, word).any(|at| {
        let before = &text[text[..at]
            .char_indices()
            .rev()
            .nth(14)
            .map_or(0, |(i, _)| i)..at];
        !["no ", "not ", "without ", "never ", "nor "]
            .iter()
            .any(|n| before.contains(n))
    })
}

fn states_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| stated(text, w))
}

/// Impact on confidentiality, integrity and availability: `N`, `L` or `H`.
#[derive(Debug, Clone, Copy)]
struct Impact {
    i: char,
    a: char,
}

fn impact(cvss: &Cvss) -> Option<Impact> {
    let high = |a: Option<char>, b: Option<char>| -> Option<char> {
        let rank = |c: char| match c {
            'H' | 'C' => 2,
            'L' | 'P' => 1,
            _ => 0,
        };
        let r = a.map(rank).max(b.map(rank))?;
        Some(['N', 'L', 'H'][r])
    };
    if cvss.version.starts_with('4') {
        return Some(Impact {
            i: high(cvss.metric("VI"), cvss.metric("SI"))?,
            a: high(cvss.metric("VA"), cvss.metric("SA"))?,
        });
    }
    Some(Impact {
        i: high(cvss.metric("I"), None)?,
        a: high(cvss.metric("A"), None)?,
    })
}

/// CWEs of resource exhaustion, recursion and endless loops: a denial of service.
const DOS_CWES: &[&str] = &[
    "CWE-400", "CWE-401", "CWE-404", "CWE-407", "CWE-674", "CWE-770", "CWE-772", "CWE-789",
    "CWE-834", "CWE-835", "CWE-920", "CWE-1333",
];
/// CWEs whose weakness ends in a crash.
const CRASH_CWES: &[&str] = &["CWE-476", "CWE-617"];

const LOSS: &[&str] = &[
    "data loss",
    "dl",
    "loss of data",
    "lose data",
    "lost data",
    "data corruption",
    "corrupts data",
    "corrupt data",
    "corruption of data",
    "corrupt the database",
    "database corruption",
    "corrupts the database",
    "file system corruption",
    "filesystem corruption",
    "metadata corruption",
    "metadata may be damaged",
    "metadata can be damaged",
    "pool metadata",
    "data cannot be recovered",
    "cannot be recovered",
    "unrecoverable",
    "silent data corruption",
    "destroy data",
    "data destruction",
];

/// Deleting or overwriting stored data: data loss unless CVSS gives no integrity impact.
const DELETES: &[&str] = &[
    "delete arbitrary files",
    "arbitrary file deletion",
    "delete files",
    "deletion of files",
    "delete any file",
    "delete data",
    "deletion of data",
    "wipe",
    "erase data",
    "overwrite arbitrary files",
    "overwrite files",
];

/// Writing stored files and settings: data loss when CVSS gives integrity high.
const WRITES: &[&str] = &[
    "arbitrary file write",
    "write arbitrary files",
    "arbitrary file creation",
    "create arbitrary files",
    "arbitrary file upload",
    "upload arbitrary files",
    "modify the configuration",
    "modify configuration",
    "modify the device configuration",
    "configuration change",
    "configuration changes",
    "change the configuration",
    "change configuration",
    "modify settings",
    "modify the settings",
    "settings modified",
    "configuration variables",
    "modify data",
    "modify files",
    "tamper with data",
];

const DOS: &[&str] = &[
    "denial of service",
    "denial-of-service",
    "dos",
    "data unavailable",
    "data unavailability",
    "du",
    "lun offline",
    "luns offline",
    "luns go offline",
    "taken offline",
    "go offline",
    "goes offline",
    "loss of access",
    "inaccessible",
    "outage",
    "service interruption",
    "unavailable",
    "unavailability",
    "loss of device functionality",
    "loss of functionality",
    "unresponsive",
    "resource exhaustion",
    "exhaust",
    "exhaustion",
];

const CRASH: &[&str] = &[
    "panic",
    "panics",
    "crash",
    "crashes",
    "crashed",
    "reboot",
    "reboots",
    "unexpected reboot",
    "restart unexpectedly",
    "watchdog",
    "hang",
    "hangs",
    "drive failure",
    "ssd failure",
    "fails at",
    "stops responding",
    "bricked",
    "segmentation fault",
    "segfault",
    "assertion failure",
    "reachable assertion",
    "null pointer dereference",
    "abort",
];

/// "modify the NTP settings", "change these variables": a verb of change followed within three
/// words by something stored.
fn changes_stored(text: &str) -> bool {
    const VERBS: &[&str] = &["modify", "change", "alter", "overwrite", "tamper"];
    const STORED: &[&str] = &[
        "settings",
        "configuration",
        "config",
        "variables",
        "files",
        "data",
        "database",
    ];
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        VERBS.contains(w) && words[i + 1..].iter().take(4).any(|x| STORED.contains(x))
    })
}

/// Read the effects of `adv` (whose title and summary, lower-cased, are `text`).
pub(super) fn read(adv: &Advisory, text: &str) -> Reading {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let impact = adv.cvss.as_ref().and_then(impact);
    let cwe = |set: &[&str]| adv.cwes.iter().any(|c| set.contains(&c.as_str()));

    let failover = has_any(
        text,
        &[
            "failover",
            "fail over",
            "fail-over",
            "takeover",
            "take over",
            "giveback",
            "switchover",
        ],
    );
    let failing = has_any(
        text,
        &[
            "fail",
            "fails",
            "failed",
            "not",
            "unable",
            "prevent",
            "prevents",
            "hang",
            "hangs",
            "stall",
            "stalls",
            "does not occur",
            "doesn't",
        ],
    );
    if failover && failing {
        out.push(Effect::FailoverFailure);
    }

    // Availability: CVSS first, then CWE and wording unless CVSS says none.
    let said_dos = states_any(text, DOS) || cwe(DOS_CWES);
    let said_crash = states_any(text, CRASH) || cwe(CRASH_CWES);
    match impact.map(|i| i.a) {
        Some('N') => {
            if said_dos || said_crash {
                notes.push(
                    "the text or CWE speaks of an outage or crash, but CVSS gives no \
                     availability impact (A:N): not read as one"
                        .to_string(),
                );
            }
        }
        Some(a) => {
            if a == 'H' || said_dos {
                out.push(Effect::DataUnavailable);
            }
            if said_crash {
                out.push(Effect::ComponentCrash);
            }
        }
        None => {
            if said_dos {
                out.push(Effect::DataUnavailable);
            }
            if said_crash {
                out.push(Effect::ComponentCrash);
            }
        }
    }

    for (effect, words) in [
        (
            Effect::PowerLoss,
            &[
                "outlets turn off",
                "outlets to turn off",
                "outlets power off",
                "outlets to power off",
                "outlets are switched off",
                "cuts power to",
                "shuts off power to",
                "loss of output power",
                "output power is lost",
                "drops the load",
                "transfers the load to battery and shuts down",
            ][..],
        ),
        (
            Effect::PathLoss,
            &[
                "all ports go down",
                "ports go down",
                "links go down",
                "all links down",
                "stops forwarding",
                "all paths are lost",
                "loss of all paths",
                "path loss",
            ][..],
        ),
        (
            Effect::Performance,
            &[
                "latency",
                "performance degradation",
                "degraded performance",
                "slow",
                "throughput",
            ][..],
        ),
    ] {
        if states_any(text, words) {
            out.push(effect);
        }
    }

    // Data loss: stored data, not the attacker's input; CVSS integrity outranks the wording.
    let said_loss = states_any(text, LOSS) || states_any(text, DELETES);
    let said_writes = states_any(text, WRITES) || changes_stored(text);
    match impact.map(|i| i.i) {
        Some('N') => {
            if said_loss || said_writes {
                notes.push(
                    "the text speaks of lost, corrupted or written data, but CVSS gives no \
                     integrity impact (I:N): not read as data loss"
                        .to_string(),
                );
            }
        }
        Some(i) => {
            if said_loss || (said_writes && i == 'H') {
                out.push(Effect::DataLoss);
            }
        }
        None => {
            if said_loss {
                out.push(Effect::DataLoss);
            }
        }
    }

    let security = adv.cvss.is_some()
        || adv.id.is_cve()
        || adv.aliases.iter().any(AdvisoryId::is_cve)
        || !adv.cwes.is_empty()
        || has_any(
            text,
            &[
                "vulnerability",
                "vulnerabilities",
                "malicious",
                "security update",
                "security fix",
                "security advisory",
            ],
        );
    if security {
        out.push(Effect::Security);
    }
    let management = has_any(
        text,
        &[
            "web interface",
            "management interface",
            "gui",
            "web ui",
            "rest api",
            "management console",
            "bmc",
            "idrac",
            "ilo",
            "web-based management",
            "management software",
            "device manager",
        ],
    );
    let data_path = out.iter().any(|e| {
        matches!(
            e,
            Effect::FailoverFailure | Effect::DataLoss | Effect::PowerLoss | Effect::PathLoss
        )
    });
    if management && !data_path {
        out.push(Effect::ManagementPlane);
    }
    out.sort();
    out.dedup();
    Reading {
        effects: out,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedId, Source, SourceFormat};

    fn adv(title: &str, summary: &str, vector: Option<&str>, cwes: &[&str]) -> Advisory {
        let mut a = Advisory::new(
            "X-1".parse().unwrap(),
            "v".into(),
            title.into(),
            Source {
                feed: "t".parse::<FeedId>().unwrap(),
                format: SourceFormat::Native,
                location: "t".into(),
                sha256: String::new(),
            },
        );
        a.summary = summary.into();
        a.cvss = vector.map(|v| Cvss {
            version: v[5..8].to_string(),
            vector: v.into(),
            base_score: 7.5,
        });
        a.cwes = cwes.iter().map(|c| c.to_string()).collect();
        a
    }

    fn read_of(a: &Advisory) -> Reading {
        let text = format!("{}\n{}", a.title, a.summary).to_lowercase();
        read(a, &text)
    }

    #[test]
    fn corrupted_input_to_a_recursion_bug_is_a_denial_of_service_not_data_loss() {
        let a = adv(
            "Uncontrolled recursion in message parsing",
            "A corrupted message can exhaust the stack and crash the service.",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
            &["CWE-674"],
        );
        let r = read_of(&a);
        assert_eq!(
            r.effects,
            [
                Effect::Security,
                Effect::ComponentCrash,
                Effect::DataUnavailable
            ]
        );
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn the_cvss_vector_outranks_a_keyword_and_says_so() {
        let a = adv(
            "Data corruption in the replication engine",
            "The bug can corrupt data on the destination.",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            &[],
        );
        let r = read_of(&a);
        assert!(!r.effects.contains(&Effect::DataLoss));
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("I:N"), "{:?}", r.notes);
        // The same wording with integrity impact, or without a vector, is data loss.
        for v in [Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N"), None] {
            let mut b = a.clone();
            b.cvss = adv("", "", v, &[]).cvss;
            assert!(read_of(&b).effects.contains(&Effect::DataLoss), "{v:?}");
        }
    }

    #[test]
    fn deletion_is_data_loss_writes_need_integrity_high_and_code_execution_alone_is_not() {
        let read = |text: &str, vector| {
            read_of(&adv("Path traversal", text, Some(vector), &["CWE-22"])).effects
        };
        let (high, low, none) = (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        );
        let delete = "An attacker can delete arbitrary files on the system.";
        assert!(read(delete, high).contains(&Effect::DataLoss));
        assert!(read(delete, low).contains(&Effect::DataLoss));
        assert!(!read(delete, none).contains(&Effect::DataLoss));
        let settings = "An attacker may modify the NTP settings of the device.";
        assert!(read(settings, high).contains(&Effect::DataLoss));
        assert!(!read(settings, low).contains(&Effect::DataLoss));
        let rce = adv(
            "Remote code execution",
            "An attacker can execute arbitrary code.",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            &[],
        );
        assert!(!read_of(&rce).effects.contains(&Effect::DataLoss));
    }

    #[test]
    fn negated_phrases_do_not_count() {
        let a = adv(
            "Controller reboot",
            "The controller reboots; there is no data loss and no data corruption.",
            None,
            &[],
        );
        assert_eq!(read_of(&a).effects, [Effect::ComponentCrash]);
    }

    #[test]
    fn cvss_4_and_2_are_read_too() {
        let v4 = adv(
            "x",
            "",
            Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N"),
            &[],
        );
        assert!(read_of(&v4).effects.contains(&Effect::DataUnavailable));
        let mut v2 = adv("x", "", None, &[]);
        v2.cvss = Some(Cvss {
            version: "2.0".into(),
            vector: "AV:N/AC:L/Au:N/C:N/I:N/A:C".into(),
            base_score: 7.8,
        });
        assert!(read_of(&v2).effects.contains(&Effect::DataUnavailable));
    }
}
