//! A sync holds the store only while it works on it: while it waits on a slow feed, another
//! command opens the store at once (`FIRMWATCH_LOCK_WAIT=0`: no waiting for it), and the sync
//! still commits when its feed answers. A command that finds the store held waits up to
//! `FIRMWATCH_LOCK_WAIT` seconds for the holder's store work before it fails.

use std::time::{Duration, Instant};

use firmwatch::store::{AnyStore, Store};

use crate::support::cmd::Fw;
use crate::support::fixture::{Fixture, Native};
use crate::support::http::Server;

#[test]
fn a_sync_waiting_on_a_slow_feed_keeps_no_other_command_out() {
    let server = Server::start();
    server.set_ok("/slow/index.txt", "fwx-1.toml\n");
    server.set_ok("/slow/fwx-1.toml", Native::takeover("FWX-1").toml());
    // Every reply takes 3 s: the sync spends its time waiting on the network.
    server.set_delay(Duration::from_secs(3));
    let fx = Fixture::new();
    fx.feed(
        "slow",
        &format!(
            "kind = \"native-dir\"\nurl = \"{}\"\n",
            server.url("/slow/")
        ),
    );
    let fw = Fw::new().store(fx.store()).feeds(fx.feeds());
    let started = Instant::now();
    let mut sync = fw.clone().args(["sync", "--quiet"]).spawn();
    // The sync has read the feed's state and is waiting for the listing.
    std::thread::sleep(Duration::from_millis(1500));
    let check = fw
        .clone()
        .env("FIRMWATCH_LOCK_WAIT", "0")
        .run_with(&["store", "check"]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the check ran after the first reply: the test proves nothing"
    );
    check.expect(0);
    let status = sync.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the sync commits once its feed answers"
    );
    let store = AnyStore::open(fx.store(), None).unwrap();
    assert_eq!(store.all_advisories().unwrap().len(), 1);
}

#[test]
fn a_held_store_is_waited_for_then_refused() {
    let fx = Fixture::new();
    let fw = Fw::new().store(fx.store()).feeds(fx.feeds());
    let held = AnyStore::open(fx.store(), None).unwrap();
    let started = Instant::now();
    let refused = fw
        .clone()
        .env("FIRMWATCH_LOCK_WAIT", "0.5")
        .run_with(&["store", "check"]);
    refused.expect(1);
    assert!(
        refused
            .stderr()
            .contains("is in use by another firmwatch process"),
        "{}",
        refused.show()
    );
    assert!(started.elapsed() >= Duration::from_millis(500), "it waited");
    // Released within the wait: the command goes on.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    fw.env("FIRMWATCH_LOCK_WAIT", "10")
        .run_with(&["store", "check"])
        .expect(0);
    releaser.join().unwrap();
}
