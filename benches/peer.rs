//! Version containment beside a peer: firmwatch and univers (the Python reference implementation
//! of vers) check the same (range, version) cases, one core each, and must give the same answers.
//!
//! The cases are generated (fixed seed) in the two schemes both implement the same way: `semver`
//! (univers's `npm` scheme: semver 2.0 order; no pre-releases, whose range rules differ between
//! the two) and `intdot` with single-digit parts (univers 32.0.1 orders intdot versions as text,
//! `10.0` before `9.0`, where firmwatch compares numbers). Ranges have one to three intervals (`>=a|<b|>=c|<d`); versions are
//! drawn around their bounds, so about half are inside. Each side parses ranges and versions
//! once, outside its timed loop, and loops over every case `ROUNDS` times.
//!
//! univers is installed in a throwaway virtual environment under the target directory
//! (`peer-venv`, pinned to `UNIVERS`), or taken from `FIRMWATCH_PEER_PYTHON` (a Python with univers
//! installed). Without Python or the registry, the peer is skipped with a notice and only
//! firmwatch's figure is printed. A case on which the two disagree fails the benchmark.
//!
//! Run: `cargo bench --bench peer` (about a minute, most of it univers).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use firmwatch::version::{Containment, FwVersion, Scheme, VersRange};

/// The univers release the venv installs.
const UNIVERS: &str = "32.0.1";
/// Cases per scheme.
const CASES: usize = 2_000;
/// Times firmwatch loops over the cases (univers: `PEER_ROUNDS`, it is ~1,000× slower).
const ROUNDS: usize = 2_000;
const PEER_ROUNDS: usize = 5;

/// xorshift64*: the same cases on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One case: firmwatch's range text, univers's range text, the version.
struct Case {
    scheme: Scheme,
    ours: String,
    theirs: String,
    version: String,
}

fn dotted(parts: &[u64]) -> String {
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn cases(scheme: Scheme, width: usize, rng: &mut Rng) -> Vec<Case> {
    let (ours, theirs) = match scheme {
        Scheme::Semver => ("semver", "npm"),
        _ => ("intdot", "intdot"),
    };
    // univers 32.0.1 orders intdot as text (`10.0` < `9.0`), so intdot parts stay single digits:
    // the cases both implement alike.
    let top = match scheme {
        Scheme::Semver => 12,
        _ => 10,
    };
    let point = |rng: &mut Rng| -> Vec<u64> { (0..width).map(|_| rng.below(top)).collect() };
    (0..CASES)
        .map(|_| {
            let intervals = 1 + rng.below(3) as usize;
            let mut bounds: Vec<Vec<u64>> = (0..intervals * 2).map(|_| point(rng)).collect();
            bounds.sort();
            bounds.dedup();
            if bounds.len() % 2 == 1 {
                bounds.pop();
            }
            if bounds.is_empty() {
                bounds = vec![vec![0; width], vec![top - 1; width]];
            }
            let constraints: Vec<String> = bounds
                .chunks(2)
                .flat_map(|w| {
                    [
                        format!(">={}", dotted(&w[0])),
                        format!("<{}", dotted(&w[1])),
                    ]
                })
                .collect();
            // Half the versions near a bound (on it, or one step off), half anywhere.
            let version = if rng.below(2) == 0 {
                let mut v = bounds[rng.below(bounds.len() as u64) as usize].clone();
                let last = width - 1;
                match rng.below(3) {
                    0 => v[last] = v[last].saturating_sub(1),
                    1 => v[last] = (v[last] + 1).min(top - 1),
                    _ => {}
                }
                v
            } else {
                point(rng)
            };
            Case {
                scheme,
                ours: format!("vers:{ours}/{}", constraints.join("|")),
                theirs: format!("vers:{theirs}/{}", constraints.join("|")),
                version: dotted(&version),
            }
        })
        .collect()
}

/// A Python with univers: `FIRMWATCH_PEER_PYTHON`, or a venv made (once) under the target dir.
fn peer_python(target: &Path) -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("FIRMWATCH_PEER_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = target.join("peer-venv");
    let python = venv.join("bin/python");
    let has = |py: &Path| {
        Command::new(py)
            .args([
                "-c",
                &format!(
                    "import importlib.metadata as m; assert m.version('univers') == '{UNIVERS}'"
                ),
            ])
            .status()
            .is_ok_and(|s| s.success())
    };
    if python.exists() && has(&python) {
        return Ok(python);
    }
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        &format!("univers=={UNIVERS}"),
    ]))?;
    Ok(python)
}

fn main() {
    let mut rng = Rng(0x5EED_F1E1_D5A7_0001);
    let mut all = cases(Scheme::Semver, 3, &mut rng);
    all.extend(cases(Scheme::Intdot, 4, &mut rng));

    // firmwatch: parse once, then check every case ROUNDS times on this core.
    let parsed: Vec<(VersRange, FwVersion)> = all
        .iter()
        .map(|c| {
            let r = VersRange::parse(&c.ours).unwrap_or_else(|e| panic!("{}: {e}", c.ours));
            let v = FwVersion::parse(c.scheme, &c.version).unwrap_or_else(|e| panic!("{e}"));
            (r, v)
        })
        .collect();
    let ours: Vec<Option<bool>> = parsed
        .iter()
        .map(|(r, v)| match r.contains(v) {
            Containment::Affected => Some(true),
            Containment::NotAffected => Some(false),
            Containment::Unknown(_) => None,
        })
        .collect();
    let start = Instant::now();
    let mut hits = 0usize;
    for _ in 0..ROUNDS {
        for (r, v) in &parsed {
            hits += usize::from(matches!(
                black_box(r).contains(black_box(v)),
                Containment::Affected
            ));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let ours_rate = (ROUNDS * parsed.len()) as f64 / secs;
    black_box(hits);
    println!(
        "firmwatch: {} cases ({CASES} semver, {CASES} intdot) × {ROUNDS} rounds in {secs:.3} s: {:.1} M checks/s, one core",
        parsed.len(),
        ours_rate / 1e6
    );

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let python = match peer_python(&target) {
        Ok(p) => p,
        Err(why) => {
            println!("univers: skipped (no Python with univers {UNIVERS}: {why})");
            return;
        }
    };
    let input = target.join("peer-cases.json");
    let cases: Vec<[&str; 2]> = all
        .iter()
        .map(|c| [c.theirs.as_str(), c.version.as_str()])
        .collect();
    std::fs::write(
        &input,
        serde_json::to_vec(&serde_json::json!({"cases": cases, "rounds": PEER_ROUNDS})).unwrap(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer/univers_containment.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&input)
        .output()
        .expect("run the univers side");
    assert!(
        out.status.success(),
        "univers side failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout).expect("univers JSON");
    let theirs_rate = peer["checks_per_sec"].as_f64().unwrap();
    println!(
        "univers {}: {} checks in {:.3} s: {:.3} M checks/s, one core",
        peer["univers"].as_str().unwrap_or("?"),
        peer["checks"],
        peer["seconds"].as_f64().unwrap_or(0.0),
        theirs_rate / 1e6
    );
    println!(
        "ratio: firmwatch is {:.0}× univers on the same cases",
        ours_rate / theirs_rate
    );

    // The same answers, case by case.
    let theirs = peer["answers"].as_array().unwrap();
    let mut disagree = 0;
    for (i, (c, o)) in all.iter().zip(&ours).enumerate() {
        let t = theirs[i].as_bool();
        if *o != t {
            disagree += 1;
            if disagree <= 5 {
                println!(
                    "DISAGREE: {} in {}: firmwatch {o:?}, univers {t:?}",
                    c.version, c.ours
                );
            }
        }
    }
    println!("agreement: {} of {} cases", all.len() - disagree, all.len());
    assert_eq!(disagree, 0, "firmwatch and univers disagree");
}
