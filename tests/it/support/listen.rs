//! A server process under test: started from a command line that binds a port of its own choosing
//! (`--listen 127.0.0.1:0`) and prints `listening on http://ADDR` on stdout once it accepts
//! connections. [`Listening::start`] waits for that line — never for a fixed time, which is
//! either too short on a loaded machine or wasted on an idle one — and gives the address; the
//! process is killed when the handle is dropped, a panicking test included.
//!
//! Both of its streams are read to the end on threads of their own, so a chatty server never
//! blocks on a full pipe, and what it printed is in the failure message when it does not start.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The line a server prints once bound, before the address.
pub const READY: &str = "listening on ";

/// A running server, killed when dropped.
pub struct Listening {
    child: Child,
    /// `http://ADDR` as the server printed it.
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Listening {
    /// Start `command` and wait up to `limit` for its `listening on http://ADDR` line; panics
    /// (with what it printed on stderr) when it exits first or stays silent.
    pub fn start(mut command: Command, limit: Duration) -> Listening {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix(READY) {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let kept = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                kept.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let mut server = Listening {
            child,
            base: String::new(),
            stderr,
        };
        let how = match rx.recv_timeout(limit) {
            Ok(base) => {
                server.base = base;
                return server;
            }
            // The reader ended without the line: the process closed its stdout, as it does when
            // it exits.
            Err(RecvTimeoutError::Disconnected) => {
                let mut status = None;
                for _ in 0..100 {
                    status = server.child.try_wait().ok().flatten();
                    if status.is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                match status {
                    Some(status) => format!("exited ({status}) without a `{READY}…` line"),
                    None => format!("closed its stdout without a `{READY}…` line"),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                format!("printed no `{READY}…` line within {limit:?}")
            }
        };
        // Let the stderr reader take the last of what it wrote.
        std::thread::sleep(Duration::from_millis(50));
        panic!("{command:?} {how}; stderr:\n{}", server.stderr());
    }

    /// `base` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// What the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn waits_for_the_line_and_kills_on_drop() {
        let server = Listening::start(
            sh("echo starting; sleep 0.2; echo 'listening on http://127.0.0.1:9'; exec sleep 60"),
            Duration::from_secs(10),
        );
        assert_eq!(server.base, "http://127.0.0.1:9");
        assert_eq!(
            server.url("/api/v1/feeds"),
            "http://127.0.0.1:9/api/v1/feeds"
        );
        let proc = std::path::PathBuf::from(format!("/proc/{}", server.id()));
        assert!(proc.exists());
        drop(server);
        assert!(!proc.exists(), "the server outlived its handle");
    }

    #[test]
    fn a_server_that_exits_or_stays_silent_fails_with_its_stderr() {
        let exited = std::panic::catch_unwind(|| {
            Listening::start(
                sh("echo 'bind: address in use' >&2; exit 1"),
                Duration::from_secs(10),
            )
        });
        let message = *exited.err().unwrap().downcast::<String>().unwrap();
        assert!(message.contains("exited"), "{message}");
        assert!(message.contains("bind: address in use"), "{message}");

        let silent = std::panic::catch_unwind(|| {
            Listening::start(sh("exec sleep 60"), Duration::from_millis(300))
        });
        let message = *silent.err().unwrap().downcast::<String>().unwrap();
        assert!(
            message.contains("printed no `listening on …` line"),
            "{message}"
        );
    }
}
