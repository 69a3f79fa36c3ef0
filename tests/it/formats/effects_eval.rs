//! The effect classifier (`classify`) against a hand-labelled set of real documents:
//! `tests/fixtures/effects-eval.toml`, 90 documents of the corpus (CSAF, CVE 5, NVD, OSV and the
//! HPE SSD news excerpts), each labelled by what the document itself states, with a one-line
//! justification (the labelling rules open the file).
//!
//! Each document is parsed by its format's parser (a `.txt` note is read as a title line and its
//! text), classified, and its effects compared with the labels: precision and recall per effect
//! are printed (`cargo test --test it effects_eval -- --nocapture`) and held to the targets:
//! data loss at precision ≥ 0.9 and recall ≥ 0.9, and no advisory whose CVSS says A:H with I:N
//! read as data loss.

use std::collections::BTreeMap;
use std::path::Path;

use firmwatch::classify::classify;
use firmwatch::collect::formats::DocFormat;
use firmwatch::model::{Advisory, Effect, FeedId, Source, SourceFormat};
use serde::Deserialize;

#[derive(Deserialize)]
struct EvalSet {
    doc: Vec<Labelled>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // `cvss`, `cwe` and `why` are for the reader; the test reads the documents.
struct Labelled {
    path: String,
    id: Option<String>,
    effects: Vec<String>,
    cvss: Option<String>,
    #[serde(default)]
    cwe: Vec<String>,
    why: String,
}

/// The document's advisory, as a feed would store it, classified.
fn classified(corpus: &Path, l: &Labelled) -> Advisory {
    let path = corpus.join(&l.path);
    let bytes = std::fs::read(&path).unwrap();
    let format = match l.path.split('/').next().unwrap() {
        "csaf" => Some(DocFormat::Csaf),
        "cve5" => Some(DocFormat::Cve5),
        "nvd" => Some(DocFormat::Nvd),
        "osv" => Some(DocFormat::Osv),
        _ => None,
    };
    let mut adv = match format {
        Some(f) => {
            let mut all = super::parse(f, "eval", &l.path, &bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", l.path));
            match &l.id {
                Some(id) => all
                    .into_iter()
                    .find(|a| a.id.as_str() == id)
                    .unwrap_or_else(|| panic!("{}: no advisory {id}", l.path)),
                None => {
                    assert_eq!(all.len(), 1, "{}: several advisories, give an id", l.path);
                    all.remove(0)
                }
            }
        }
        None => {
            // A vendor note kept as text: its first line is the title.
            let text = String::from_utf8(bytes).unwrap();
            let (title, rest) = text.split_once('\n').unwrap_or((&text, ""));
            Advisory {
                summary: rest.to_string(),
                ..Advisory::new(
                    "NOTE-1".parse().unwrap(),
                    "HPE".into(),
                    title.to_string(),
                    Source {
                        feed: "eval".parse::<FeedId>().unwrap(),
                        format: SourceFormat::Html,
                        location: l.path.clone(),
                        sha256: String::new(),
                    },
                )
            }
        }
    };
    classify(&mut adv);
    adv
}

#[derive(Default)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fp)
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fn_)
        }
    }
}

#[test]
fn effects_eval_precision_and_recall_per_effect() {
    let corpus = corpus_or_skip!();
    let text =
        std::fs::read_to_string(crate::support::project().join("tests/fixtures/effects-eval.toml"))
            .unwrap();
    let set: EvalSet = toml::from_str(&text).unwrap();
    assert!(
        set.doc.len() >= 80,
        "the evaluation set holds {} documents",
        set.doc.len()
    );
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut dos_as_loss: Vec<String> = Vec::new();
    for l in &set.doc {
        let adv = classified(&corpus, l);
        let got: Vec<String> = adv.effects.iter().map(|e| e.as_str().to_string()).collect();
        let mut seen: Vec<&String> = got.iter().chain(&l.effects).collect();
        seen.sort();
        seen.dedup();
        for e in seen {
            let t = tally.entry(e.clone()).or_default();
            let at = format!("{} {}", l.path, l.id.as_deref().unwrap_or(""));
            match (got.contains(e), l.effects.contains(e)) {
                (true, true) => t.tp += 1,
                (true, false) => {
                    t.fp += 1;
                    misses.push(format!("{at}: +{e}"));
                }
                (false, true) => {
                    t.fn_ += 1;
                    misses.push(format!("{at}: -{e}"));
                }
                (false, false) => {}
            }
        }
        let a_high_i_none = adv
            .cvss
            .as_ref()
            .is_some_and(|c| c.metric("A") == Some('H') && c.metric("I") == Some('N'));
        if a_high_i_none && adv.effects.contains(&Effect::DataLoss) {
            dos_as_loss.push(l.path.clone());
        }
    }
    println!(
        "effect              precision  recall   (tp fp fn) over {} documents",
        set.doc.len()
    );
    for (e, t) in &tally {
        println!(
            "{e:<19} {:>9.2}  {:>6.2}   ({} {} {})",
            t.precision(),
            t.recall(),
            t.tp,
            t.fp,
            t.fn_
        );
    }
    println!("differences from the labels:\n  {}", misses.join("\n  "));
    assert!(
        dos_as_loss.is_empty(),
        "A:H with I:N read as data loss: {dos_as_loss:?}"
    );
    let loss = &tally["data-loss"];
    assert!(
        loss.precision() >= 0.9 && loss.recall() >= 0.9,
        "data-loss precision {:.2}, recall {:.2}",
        loss.precision(),
        loss.recall()
    );
}
