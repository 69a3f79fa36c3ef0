//! The `firmwatch` binary as the CLI tests run it: [`Fw`] collects the global paths (store, feeds,
//! inventory), arguments and environment, and each [`Fw::run`] starts a fresh process and gives a
//! [`Run`] with the exit code and both streams. [`KillTrials`] runs it under `kill -9` for the
//! crash-safety tests.
//!
//! A run starts from a clean environment as far as the binary is concerned: the variables it reads
//! for its paths and mail settings (and `COLUMNS`, which sets the table width) are removed unless
//! the test sets them, so what the developer's shell exports cannot change a result.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use firmwatch::synth::Rng;

/// Variables the binary reads that a test must not inherit.
const INHERITED: [&str; 10] = [
    "FIRMWATCH_STORE",
    "FIRMWATCH_LOCK_WAIT",
    "FIRMWATCH_STORE_ENGINE",
    "FIRMWATCH_STORE_MIN_FREE",
    "FIRMWATCH_FEEDS",
    "FIRMWATCH_INVENTORY",
    "FIRMWATCH_SMTP_URL",
    "FIRMWATCH_SMTP_TLS",
    "FIRMWATCH_MAIL_FROM",
    "COLUMNS",
];

/// A `firmwatch` command line, reusable: every [`Fw::run`] or [`Fw::spawn`] is a new process.
#[derive(Clone, Debug, Default)]
pub struct Fw {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    dir: Option<PathBuf>,
}

impl Fw {
    pub fn new() -> Fw {
        Fw::default()
    }

    /// `--store <path>`.
    pub fn store(self, path: impl AsRef<Path>) -> Fw {
        self.arg("--store").arg(path.as_ref())
    }

    /// `--feeds <path>`.
    pub fn feeds(self, path: impl AsRef<Path>) -> Fw {
        self.arg("--feeds").arg(path.as_ref())
    }

    /// `--inventory <path>`.
    pub fn inventory(self, path: impl AsRef<Path>) -> Fw {
        self.arg("--inventory").arg(path.as_ref())
    }

    /// Run in the project root, where the default feed and inventory paths point at the bundled
    /// feeds and the example estate (and the fixtures' relative paths resolve).
    pub fn in_project(mut self) -> Fw {
        self.dir = Some(super::project().to_path_buf());
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Fw {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(self, args: I) -> Fw
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Fw::arg)
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Fw {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// The process to start, for a test that needs its own stdio.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_firmwatch"));
        for k in INHERITED {
            c.env_remove(k);
        }
        c.args(&self.args);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(d) = &self.dir {
            c.current_dir(d);
        }
        c
    }

    /// Run to the end, capturing both streams.
    pub fn run(&self) -> Run {
        Run(self.command().output().expect("run firmwatch"))
    }

    /// This command with `args` added, run to the end.
    pub fn run_with<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        self.clone().args(args).run()
    }

    /// Start in the background with both streams discarded (to be killed, or waited for).
    pub fn spawn(&self) -> Child {
        self.command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start firmwatch")
    }
}

/// What a run gave.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Both streams, stdout first: for a check that the text appears (or not) anywhere.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout(), self.stderr())
    }

    /// Exit code and both streams, labelled: the message of a failed assertion.
    pub fn show(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Assert the exit code, showing the run when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code(), Some(code), "{}", self.show());
        self
    }

    /// Stdout as JSON, showing the run when it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.show()))
    }
}

/// How a run that was sent SIGKILL ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Killed {
    /// The signal ended it while it ran.
    MidRun,
    /// It had exited before the signal came, with this code.
    Finished(Option<i32>),
}

/// Runs killed with SIGKILL at random moments until a number of them were interrupted mid-run.
///
/// Whether a kill interrupted a run is read from how the process died (by the signal, or by
/// exiting before it came), not guessed from timing, so a test can demand an exact number of
/// interrupted runs and check the state after every one; only how many runs that takes depends on
/// timing, and a run cap turns a machine where the kills keep missing into a clear failure.
pub struct KillTrials {
    wanted: usize,
    max_runs: usize,
    runs: usize,
    interrupted: usize,
    rng: Rng,
}

impl KillTrials {
    /// Until `wanted` runs were killed mid-run, starting at most `max_runs`. The seed of the
    /// random moments is printed (a failure reproduces with it through [`KillTrials::seeded`]).
    pub fn new(wanted: usize, max_runs: usize) -> KillTrials {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        KillTrials::seeded(wanted, max_runs, seed)
    }

    pub fn seeded(wanted: usize, max_runs: usize, seed: u64) -> KillTrials {
        eprintln!("kill trials: seed {seed}");
        KillTrials {
            wanted,
            max_runs,
            runs: 0,
            interrupted: 0,
            rng: Rng::new(seed),
        }
    }

    /// The number of the next run (from 0), or `None` once `wanted` runs were interrupted.
    /// Fails when the cap is reached first.
    pub fn next_run(&mut self) -> Option<usize> {
        if self.interrupted == self.wanted {
            return None;
        }
        assert!(
            self.runs < self.max_runs,
            "only {} of {} runs were still running when killed (wanted {}): the kills land too \
             late on this machine",
            self.interrupted,
            self.runs,
            self.wanted
        );
        self.runs += 1;
        Some(self.runs - 1)
    }

    /// A random moment from `from` to `to` (both included), to the millisecond.
    pub fn moment(&mut self, from: Duration, to: Duration) -> Duration {
        let span = (to - from).as_millis() as u64;
        from + Duration::from_millis(self.rng.below(span + 1))
    }

    /// Start `fw`, send SIGKILL `after` later, and say how the run ended.
    pub fn kill(&mut self, fw: &Fw, after: Duration) -> Killed {
        // Its output goes to files, printed when a run that was not killed fails: that is the
        // failure a test reports, and the output says why.
        let out = tempfile::NamedTempFile::new().unwrap();
        let err = tempfile::NamedTempFile::new().unwrap();
        let mut child = fw
            .command()
            .stdout(out.reopen().unwrap())
            .stderr(err.reopen().unwrap())
            .spawn()
            .expect("start firmwatch");
        std::thread::sleep(after);
        // A run that already exited is a zombie until waited for: the signal is harmless then.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(9) {
            self.interrupted += 1;
            Killed::MidRun
        } else {
            if status.code() != Some(0) {
                let read = |f: &tempfile::NamedTempFile| std::fs::read_to_string(f.path()).unwrap();
                eprintln!(
                    "a run that was not killed exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
                    status.code(),
                    read(&out),
                    read(&err)
                );
            }
            Killed::Finished(status.code())
        }
    }

    /// Runs interrupted so far.
    pub fn interrupted(&self) -> usize {
        self.interrupted
    }

    /// Runs started so far.
    pub fn runs(&self) -> usize {
        self.runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_paths_come_first_in_the_order_given_and_variables_are_not_inherited() {
        let fw = Fw::new()
            .store("/s")
            .feeds("/f")
            .args(["sync", "--json"])
            .env("FIRMWATCH_LOG", "trace");
        let c = fw.command();
        let args: Vec<&OsStr> = c.get_args().collect();
        assert_eq!(args, ["--store", "/s", "--feeds", "/f", "sync", "--json"]);
        let envs: Vec<(&OsStr, Option<&OsStr>)> = c.get_envs().collect();
        assert!(envs.contains(&(OsStr::new("FIRMWATCH_SMTP_URL"), None)));
        assert!(envs.contains(&(OsStr::new("FIRMWATCH_LOG"), Some(OsStr::new("trace")))));
        // A base command is reused: adding arguments for one run leaves it as it was.
        let _ = fw.clone().arg("--feed");
        assert_eq!(fw.command().get_args().count(), 6);
    }

    #[test]
    fn a_run_reports_code_and_streams() {
        let r = Fw::new().arg("--version").run();
        r.expect(0);
        assert!(r.stdout().starts_with("firmwatch "), "{}", r.show());
        let bad = Fw::new().arg("--no-such-flag").run();
        assert_eq!(bad.code(), Some(2), "{}", bad.show());
        assert!(bad.show().contains("--no-such-flag"));
    }

    #[test]
    fn kill_trials_tell_a_run_killed_mid_run_from_one_that_had_finished() {
        let mut trials = KillTrials::seeded(1, 3, 7);
        // `--help` exits at once; `sync` of a feed whose server never answers waits until killed.
        let quick = Fw::new().arg("--help");
        assert_eq!(trials.next_run(), Some(0));
        assert_eq!(
            trials.kill(&quick, Duration::from_millis(500)),
            Killed::Finished(Some(0))
        );
        // Bound, never accepted: the connection waits in the backlog and no reply ever comes.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fx = crate::support::fixture::Fixture::new();
        let url = format!("http://{}/rest/json/cves/2.0", silent.local_addr().unwrap());
        fx.feed("silent", &format!("kind = \"nvd\"\nurl = \"{url}\"\n"));
        let stuck = fx.fw().arg("sync");
        assert_eq!(trials.next_run(), Some(1));
        assert_eq!(
            trials.kill(&stuck, Duration::from_millis(200)),
            Killed::MidRun
        );
        assert_eq!((trials.interrupted(), trials.runs()), (1, 2));
        assert_eq!(trials.next_run(), None, "the wanted kill landed");
        let m = trials.moment(Duration::from_millis(10), Duration::from_millis(20));
        assert!((10..=20).contains(&m.as_millis()), "{m:?}");
    }
}
