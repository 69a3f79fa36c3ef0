//! The kit every area of the integration tests shares, so that a test says what it checks and not
//! how to stand up a peer or lay out files:
//!
//! - [`http`]: one loopback HTTP/1.1 server, scriptable per path (a CSAF provider, a mirror, the
//!   NVD API, a hostile server) and a webhook receiver at the same time;
//! - [`smtp`]: a loopback SMTP peer and the functions that read the mails it took;
//! - [`cmd`]: the command builder for the `firmwatch` binary and what a run gave;
//! - [`fixture`]: feed directories, native advisories and inventories on disk;
//! - [`browser`]: headless Chromium looking at a page (`check_page`, `browser_or_skip!`);
//! - [`listen`]: a server process (`firmwatch serve --listen 127.0.0.1:0`) started and waited for
//!   until it prints the address it bound;
//! - here: the project root and the real advisory corpus (`corpus_or_skip!`).
//!
//! In-memory estates come from the crate itself (`firmwatch::testkit`). The peers run on their own
//! thread and runtime, so a plain `#[test]` driving the binary uses them exactly as a
//! `#[tokio::test]` driving the library does; each shuts down when its last handle is dropped.

#[macro_use]
pub mod browser;
pub mod cmd;
pub mod fixture;
pub mod http;
pub mod listen;
pub mod smtp;

use std::future::Future;
use std::path::{Path, PathBuf};

/// The crate's root directory: the bundled feeds, the example inventory, the README.
pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the directory `from` into `to` (created), subdirectories included: the example estate
/// with its `discovered/` snapshots, to change one file of it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// The real advisory corpus (`../shared/corpus`, or `FIRMWATCH_CORPUS`).
///
/// Returns `None` (after printing a notice) when it is missing, so the suite passes on a clone
/// without it; with `FIRMWATCH_REQUIRE_CORPUS=1` (set by `.ci/run`) a missing corpus fails instead.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("FIRMWATCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| project().join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("FIRMWATCH_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!(
            "FIRMWATCH_REQUIRE_CORPUS=1 but the corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "notice: corpus not found at {} (set FIRMWATCH_CORPUS); skipping corpus tests",
        dir.display()
    );
    None
}

/// [`corpus()`], or return from the test when the corpus is absent.
macro_rules! corpus_or_skip {
    () => {
        match $crate::support::corpus() {
            Some(dir) => dir,
            None => return,
        }
    };
}

/// Keeps a loopback peer running; the peer's thread ends when the last clone is dropped.
pub type Running = std::sync::Arc<tokio::sync::oneshot::Sender<()>>;

/// Listen on a random port of 127.0.0.1 and serve each connection with `serve`, on a thread and
/// runtime of its own, until the returned [`Running`] and every clone of it are dropped (which
/// also ends the connections still being served).
pub fn serve_loopback<F, Fut>(serve: F) -> (u16, Running)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let accept = async {
                loop {
                    if let Ok((sock, _)) = listener.accept().await {
                        tokio::spawn(serve(sock));
                    }
                }
            };
            tokio::select! {
                _ = accept => {}
                _ = on_shutdown => {}
            }
        });
        // Dropping the runtime here cancels the connections still open (a slow body, say).
    });
    (port, std::sync::Arc::new(shutdown))
}
