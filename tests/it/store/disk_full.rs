//! A full disk under the store, through the real binary: each test mounts a small tmpfs of its
//! own ([`SmallDisk`]) holding the store, fills it with a filler file until only so many bytes are
//! free, runs a command that writes (a sync's commit, a notification plan's outbox commit) or one
//! that only reads, then deletes the filler and checks what is left:
//!
//! - the store opens and `store check` finds nothing;
//! - nothing committed before is lost (advisories, outbox entries, the notified state);
//! - nothing half-written is visible: `exposure --format json` gives exactly the findings of the
//!   revision before the failed command, or exactly those of the complete new one; the notified
//!   state says "told" only for findings whose digest is in the outbox;
//! - the next run with space completes the work.
//!
//! Each scenario runs at several fill levels spread over the space the command needs (measured
//! first on the same disk without a filler), so the failure lands at a different point of the
//! write each time and a half-commit cannot hide between two levels. Each asserts that at least
//! one level really failed, so a level list that no longer reaches the write shows up.
//!
//! Mounting needs root (or the permission to mount); without it a test prints a notice and
//! passes — unless `FIRMWATCH_REQUIRE_DISKFULL=1` (set by `.ci/run`, which runs as root), when it
//! fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use firmwatch::notify::Status;
use firmwatch::store::{Engine, NotifyStore};

use crate::support::cmd::{Fw, Run};
use crate::support::fixture::{Fixture, Native};
use crate::support::project;

const TODAY: &str = "2026-11-22";
/// Size of each test's disk: the example data, a store of it and a few MiB of room.
const DISK: &str = "6m";
/// Advisories the second revision of the feed adds, each a finding on the two ONTAP arrays of the
/// example estate: a commit of some size, so the disk can run out in the middle of it.
const EXTRA: usize = 60;

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    mnt: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A tmpfs of `size` (`mount -o size=…`), or `None` after a notice when this machine does not
    /// let the test mount one (and `FIRMWATCH_REQUIRE_DISKFULL` is not `1`).
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mnt = dir.path().join("disk");
        std::fs::create_dir(&mnt).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&mnt)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Some(SmallDisk { mnt, _dir: dir }),
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => e.to_string(),
        };
        if std::env::var("FIRMWATCH_REQUIRE_DISKFULL").is_ok_and(|v| v == "1") {
            panic!("FIRMWATCH_REQUIRE_DISKFULL=1 but a tmpfs cannot be mounted: {why}");
        }
        eprintln!("notice: cannot mount a tmpfs ({why}); skipping the disk-full test");
        None
    }

    fn store(&self) -> PathBuf {
        self.mnt.join("store")
    }

    fn filler(&self) -> PathBuf {
        self.mnt.join("filler")
    }

    /// Bytes free on the disk.
    fn available(&self) -> u64 {
        fs2::available_space(&self.mnt).unwrap()
    }

    /// Write the filler until the disk is full, then give back `free` bytes (rounded to pages
    /// by tmpfs).
    fn fill_leaving(&self, free: u64) {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(self.filler())
            .unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(n) => len += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("writing the filler: {e}"),
            }
        }
        f.set_len(len.saturating_sub(free)).unwrap();
        drop(f);
        let got = self.available();
        assert!(
            got <= free + 8192 && got + 8192 >= free.min(len),
            "asked for {free} bytes free, the disk has {got}"
        );
    }

    /// Delete the filler.
    fn make_room(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }

    /// Remove the store from the disk (and the filler, if any), for the next level to start
    /// afresh.
    fn clear(&self) {
        let _ = std::fs::remove_dir_all(self.store());
        let _ = std::fs::remove_file(self.filler());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.mnt)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Still busy (a child that has not exited yet): detach it, the kernel frees it later.
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The fill levels for a command that fails with less than `need` bytes free: none free, one
/// page, and every eighth of the need up to a quarter beyond it, so the failure lands at a
/// different point of the write each time.
fn levels(need: u64) -> Vec<u64> {
    let mut out: BTreeSet<u64> = [0, 4096].into();
    out.extend((1..=10).map(|i| need * i / 8));
    out.into_iter().collect()
}

/// The least free space (to a page) with which `command` succeeds on a store made by `prepare`,
/// found by bisection over the disk's room; 0 when it succeeds on a full disk.
fn need_of(disk: &SmallDisk, prepare: impl Fn(), command: impl Fn() -> bool) -> u64 {
    prepare();
    let (mut lo, mut hi) = (0, disk.available());
    while hi - lo > 4096 {
        let mid = (lo + hi) / 2;
        prepare();
        disk.fill_leaving(mid);
        let ok = command();
        disk.make_room();
        if ok {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    prepare();
    disk.fill_leaving(0);
    let ok = command();
    disk.make_room();
    if ok {
        0
    } else {
        hi
    }
}

/// The example estate and a copy of the bundled feeds in a fixture: revision A is the bundled
/// data; [`revision_b`] adds [`EXTRA`] advisories to it.
fn example() -> Fixture {
    let fx = Fixture::new();
    copy_dir(&project().join("feeds"), &fx.feeds());
    copy_dir(&project().join("inventory"), &fx.inventory());
    fx
}

/// The feed's second revision: [`EXTRA`] more advisories, each affecting the ONTAP arrays.
fn revision_b(fx: &Fixture) {
    let text: Vec<String> = (0..EXTRA)
        .map(|i| {
            Native::takeover(&format!("FWX-{i:04}"))
                .title(&format!("Takeover can fail, case {i}"))
                .summary(&"Takeover can fail on a hardware fault. ".repeat(8))
                .toml()
        })
        .collect();
    fx.file("feeds/native/fwx-extra.toml", text.join("\n"));
}

/// Back to the feed's first revision (the bundled data).
fn revision_a(fx: &Fixture) {
    let _ = std::fs::remove_file(fx.feeds().join("native/fwx-extra.toml"));
}

/// `FIRMWATCH_STORE_MIN_FREE` for the runs: 0 (measure the engine itself) unless the test runs
/// with another value.
fn min_free() -> String {
    std::env::var("FIRMWATCH_STORE_MIN_FREE").unwrap_or_else(|_| "0".into())
}

/// The command on the fixture's feeds and inventory with the store at `store`.
fn fw(fx: &Fixture, store: &Path, engine: Engine) -> Fw {
    Fw::new()
        .env("FIRMWATCH_STORE_ENGINE", engine.name())
        .env("FIRMWATCH_STORE_MIN_FREE", min_free())
        .store(store)
        .feeds(fx.feeds())
        .inventory(fx.inventory())
}

/// The ids of the findings `exposure` gives from the store alone, or the run when it failed.
fn findings(fx: &Fixture, store: &Path, engine: Engine) -> Result<BTreeSet<String>, String> {
    let run = fw(fx, store, engine).run_with(&[
        "exposure",
        "--no-sync",
        "--today",
        TODAY,
        "--format",
        "json",
    ]);
    if run.code() != Some(0) {
        return Err(run.show());
    }
    Ok(run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect())
}

/// A run on a full disk: it may succeed or fail, but a failure is an orderly error (exit 1, or
/// 5 for a sync whose feeds failed), never a panic or a signal.
#[track_caller]
fn orderly(run: &Run, ok: &[i32]) -> bool {
    let code = run.code();
    assert!(
        code.is_some_and(|c| ok.contains(&c) || c == 1 || c == 5),
        "a full disk must give an orderly error:\n{}",
        run.show()
    );
    ok.contains(&code.unwrap())
}

/// After space came back: the store opens and `store check` finds nothing.
#[track_caller]
fn store_checks(fx: &Fixture, store: &Path, engine: Engine, what: &str) {
    let run = fw(fx, store, engine).run_with(&["store", "check"]);
    assert_eq!(
        run.code(),
        Some(0),
        "{what}: the store must open and check clean once space is back:\n{}",
        run.show()
    );
}

/// The same scenarios on the sled engine, which loses stores in them (see the README's
/// Reliability section): `cargo test --test it disk_full_on_sled -- --ignored`.
#[test]
#[ignore = "sled 0.34.7 fails these (the measurement behind the default engine)"]
fn disk_full_on_sled_sync_commit() {
    sync_commit(Engine::Sled)
}

#[test]
#[ignore = "sled 0.34.7 fails these (the measurement behind the default engine)"]
fn disk_full_on_sled_notify_commit() {
    notify_commit(Engine::Sled)
}

#[test]
#[ignore = "sled 0.34.7 fails these (the measurement behind the default engine)"]
fn disk_full_on_sled_reads() {
    reads(Engine::Sled)
}

#[test]
fn a_sync_commit_that_hits_a_full_disk_leaves_the_previous_revision_whole() {
    sync_commit(Engine::DEFAULT)
}

fn sync_commit(engine: Engine) {
    let Some(disk) = SmallDisk::mount(DISK) else {
        return;
    };
    let fx = example();
    let store = disk.store();
    // Revision A synced into a fresh store on the disk, as a user's store got there.
    let prepare = || {
        disk.clear();
        revision_a(&fx);
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
        revision_b(&fx);
    };
    prepare();
    revision_a(&fx);
    let before = findings(&fx, &store, engine).unwrap();
    assert_eq!(before.len(), 19, "the example estate's findings");
    revision_b(&fx);
    fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
    let after = findings(&fx, &store, engine).unwrap();
    assert_eq!(
        after.len(),
        before.len() + 2 * EXTRA,
        "revision B's findings"
    );
    let need = need_of(&disk, prepare, || {
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).code() == Some(0)
    });

    let mut failed = Vec::new();
    for free in levels(need) {
        let what = format!("sync with {free} of {need} bytes free");
        prepare();
        disk.fill_leaving(free);
        let sync = fw(&fx, &store, engine).run_with(&["sync", "-q"]);
        if !orderly(&sync, &[0]) {
            failed.push(free);
        }
        disk.make_room();
        store_checks(&fx, &store, engine, &what);
        let got = findings(&fx, &store, engine).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            got == before || got == after,
            "{what}: a half-written revision is visible: {} findings (before {}, after {})\n{}",
            got.len(),
            before.len(),
            after.len(),
            sync.show()
        );
        // The next sync with room completes revision B.
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
        assert_eq!(
            findings(&fx, &store, engine).unwrap(),
            after,
            "{what}: the next sync must complete revision B"
        );
        store_checks(&fx, &store, engine, &what);
    }
    assert!(
        !failed.is_empty(),
        "no level made the sync fail (need {need} bytes): the test no longer reaches the commit"
    );
    eprintln!("sync failed at {failed:?} bytes free of {need} needed");
}

/// What the notifier stores: each delivery's key with its message (owner, idempotency key,
/// findings), and the `(owner, finding)` entries of the notified state.
type NotifierState = (BTreeMap<String, Digest>, BTreeSet<(String, String)>);

/// A message as the tests compare it: owner, idempotency key, findings.
type Digest = (String, String, BTreeSet<String>);

fn notifier_state(store: &Path) -> NotifierState {
    let store = firmwatch::store::AnyStore::open(store, None).expect("the store opens");
    let outbox = store
        .deliveries()
        .unwrap()
        .into_iter()
        .map(|(k, d)| {
            assert_eq!(d.status, Status::Pending, "nothing can have been sent");
            let items = d.message.items.iter().map(|i| i.finding.clone()).collect();
            (k, (d.message.owner.clone(), d.message.key.clone(), items))
        })
        .collect();
    let notified = store.notified().unwrap().into_keys().collect();
    (outbox, notified)
}

#[test]
fn a_notification_plan_that_hits_a_full_disk_is_committed_whole_or_not_at_all() {
    notify_commit(Engine::DEFAULT)
}

fn notify_commit(engine: Engine) {
    let Some(disk) = SmallDisk::mount(DISK) else {
        return;
    };
    let fx = example();
    let store = disk.store();
    // Nothing listens on this port: every e-mail delivery fails and stays pending.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let notify = || {
        fw(&fx, &store, engine).run_with(&[
            "notify",
            "--no-sync",
            "--today",
            TODAY,
            "--smtp-url",
            &smtp,
            "--smtp-tls",
            "none",
        ])
    };
    // Revision A synced and notified (digests pending), then revision B synced: the next notify
    // plans and commits the digests of B's new findings.
    let prepare = || {
        disk.clear();
        revision_a(&fx);
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
        notify().expect(5);
        let state = notifier_state(&store);
        revision_b(&fx);
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
        state
    };
    let (outbox_a, notified_a) = prepare();
    assert!(!outbox_a.is_empty() && !notified_a.is_empty());
    let after = findings(&fx, &store, engine).unwrap();
    let need = need_of(
        &disk,
        || {
            prepare();
        },
        || notify().code() == Some(5),
    );

    let mut failed = Vec::new();
    for free in levels(need) {
        let what = format!("notify with {free} of {need} bytes free");
        // Each preparation plans anew (its outbox keys carry the time of the plan).
        let (outbox_a, notified_a) = prepare();
        disk.fill_leaving(free);
        let run = notify();
        if !orderly(&run, &[5]) {
            failed.push(free);
        }
        disk.make_room();
        store_checks(&fx, &store, engine, &what);
        let (outbox, notified) = notifier_state(&store);
        for (k, v) in &outbox_a {
            assert_eq!(outbox.get(k), Some(v), "{what}: outbox entry {k} lost");
        }
        assert!(
            notified.is_superset(&notified_a),
            "{what}: notified state lost"
        );
        // "Told" only with the message that tells it in the outbox.
        for (owner, finding) in &notified {
            assert!(
                outbox
                    .values()
                    .any(|(o, _, items)| o == owner && items.contains(finding)),
                "{what}: {owner} is recorded as told about {finding}, but no digest in the \
                 outbox says so\n{}",
                run.show()
            );
        }
        // The next notify with room plans whatever is left, each finding once.
        notify().expect(5);
        store_checks(&fx, &store, engine, &what);
        let (outbox, notified) = notifier_state(&store);
        let told: BTreeSet<&String> = notified.iter().map(|(_, f)| f).collect();
        for f in &after {
            assert!(told.contains(f), "{what}: finding {f} never planned");
        }
        // One message may go out on several channels: count messages, not deliveries.
        let messages: BTreeSet<&Digest> = outbox.values().collect();
        let mut seen = BTreeSet::new();
        for (owner, _, items) in messages {
            for i in items {
                assert!(
                    seen.insert((owner.clone(), i.clone())),
                    "{what}: {owner} is told about {i} twice"
                );
            }
        }
    }
    assert!(
        !failed.is_empty(),
        "no level made notify fail (need {need} bytes): the test no longer reaches the commit"
    );
    eprintln!("notify failed at {failed:?} bytes free of {need} needed");
}

#[test]
fn commands_that_read_a_store_on_a_full_disk_leave_it_as_it_was() {
    reads(Engine::DEFAULT)
}

fn reads(engine: Engine) {
    let Some(disk) = SmallDisk::mount(DISK) else {
        return;
    };
    let fx = example();
    let store = disk.store();
    // The bundled data synced and digests pending in the outbox (no SMTP server configured).
    let prepare = || {
        disk.clear();
        fw(&fx, &store, engine).run_with(&["sync", "-q"]).expect(0);
        fw(&fx, &store, engine)
            .run_with(&["notify", "--no-sync", "--today", TODAY])
            .expect(5);
    };
    prepare();
    let before = findings(&fx, &store, engine).unwrap();
    let reads: [(&[&str], i32); 3] = [
        (
            &[
                "exposure",
                "--no-sync",
                "--today",
                TODAY,
                "--format",
                "json",
            ],
            0,
        ),
        (&["store", "check"], 0),
        (&["notify", "--status"], 5),
    ];
    let need = need_of(&disk, prepare, || {
        reads
            .iter()
            .all(|(args, code)| fw(&fx, &store, engine).run_with(args).code() == Some(*code))
    });

    for free in levels(need) {
        for (args, code) in &reads {
            let what = format!("`{}` with {free} of {need} bytes free", args.join(" "));
            prepare();
            let notifier = notifier_state(&store);
            disk.fill_leaving(free);
            let run = fw(&fx, &store, engine).run_with(args);
            if orderly(&run, &[*code]) && args[0] == "exposure" {
                let got: BTreeSet<String> = run.json()["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["id"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(got, before, "{what}: wrong findings");
            }
            disk.make_room();
            store_checks(&fx, &store, engine, &what);
            assert_eq!(
                findings(&fx, &store, engine).unwrap_or_else(|e| panic!("{what}: {e}")),
                before,
                "{what}"
            );
            assert_eq!(
                notifier_state(&store),
                notifier,
                "{what}: the notifier's state changed"
            );
        }
    }
}
