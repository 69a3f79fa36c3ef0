//! kill -9 during delivery, until 22 runs were killed mid-flight: after every kill the store opens,
//! `store check` finds nothing, no planned message is lost, nothing is marked sent that did not
//! arrive, and the only repeats are in-flight messages carrying the same idempotency key (at most
//! one per interrupted run); a last run delivers everything that is left.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use firmwatch::notify::{Outbox, Status};
use firmwatch::store::{AnyStore, Engine};

use super::{teams, TODAY};
use crate::support::cmd::{KillTrials, Killed};
use crate::support::fixture::Fixture;
use crate::support::http::Server;

const OWNERS: usize = 40;
/// Runs that must be killed mid-flight. Each delivery takes 200 ms at the receiver and a run is
/// killed within 380 ms of its start, so a run completes at most one delivery and 40 owners leave
/// work for every one of them.
const KILLS: usize = 22;
/// Runs that may be started to get there.
const MAX_RUNS: usize = 100;

/// Planned digests in the outbox: idempotency key → owner, the keys marked sent, and how many
/// deliveries are not.
///
/// Opened with the engine under test: a run killed before it created the store leaves none, and
/// opening with the default engine would create a store of the other engine.
fn outbox(fx: &Fixture, engine: Engine) -> (BTreeMap<String, String>, BTreeSet<String>, usize) {
    let store = AnyStore::open(fx.store(), Some(engine)).expect("the store opens after kill -9");
    let problems = firmwatch::store::check::check(&store).unwrap().problems;
    assert!(
        problems.is_empty(),
        "store check after a kill: {problems:?}"
    );
    let entries = Outbox::new(&store).all().unwrap();
    let planned = entries
        .iter()
        .map(|(_, d)| (d.message.key.clone(), d.message.owner.clone()))
        .collect();
    let sent = entries
        .iter()
        .filter(|(_, d)| d.status == Status::Sent)
        .map(|(_, d)| d.message.key.clone())
        .collect();
    let unsent = entries
        .iter()
        .filter(|(_, d)| d.status != Status::Sent)
        .count();
    (planned, sent, unsent)
}

/// What the receiver took: (owner, idempotency key) per request, in order.
fn received(hook: &Server) -> Vec<(String, String)> {
    hook.delivered()
        .iter()
        .map(|r| {
            (
                r.path.trim_start_matches('/').to_string(),
                r.headers["idempotency-key"].clone(),
            )
        })
        .collect()
}

/// Everything that must hold after any run, killed or not, given the digests planned before it
/// and the runs interrupted so far.
fn check_after_run(
    fx: &Fixture,
    engine: Engine,
    hook: &Server,
    before: &BTreeMap<String, String>,
    interrupted: usize,
) -> BTreeMap<String, String> {
    let (planned, sent, _) = outbox(fx, engine);
    // Nothing planned is lost, and one digest per owner is planned over all runs (a run killed
    // before its commit planned nothing).
    for (key, owner) in before {
        assert_eq!(planned.get(key), Some(owner), "planned digest {key} lost");
    }
    let owners: BTreeSet<&String> = planned.values().collect();
    assert_eq!(owners.len(), planned.len(), "a finding was planned twice");
    // Every request carries a planned key for its own owner; nothing is marked sent that did not
    // arrive.
    let got = received(hook);
    for (owner, key) in &got {
        assert_eq!(
            planned.get(key),
            Some(owner),
            "unplanned or misrouted {key}"
        );
    }
    let arrived: BTreeSet<&String> = got.iter().map(|(_, k)| k).collect();
    for key in &sent {
        assert!(
            arrived.contains(key),
            "{key} marked sent but never received"
        );
    }
    // At most one delivery is in flight per killed run: only those arrive twice.
    let repeats = got.len() - arrived.len();
    assert!(
        repeats <= interrupted,
        "{repeats} repeated deliveries after {interrupted} interrupted runs"
    );
    planned
}

#[test]
fn kill_9_during_delivery_loses_nothing_and_repeats_only_in_flight() {
    kill_9_during_delivery(Engine::DEFAULT)
}

#[test]
fn kill_9_during_delivery_on_sled() {
    kill_9_during_delivery(Engine::Sled)
}

fn kill_9_during_delivery(engine: Engine) {
    let hook = Server::receiver(Duration::from_millis(200));
    let fx = teams(OWNERS, &hook, "k", "KILL-1");
    let notify = fx.fw().env("FIRMWATCH_STORE_ENGINE", engine.name()).args([
        "notify",
        "--today",
        TODAY,
        "--retry-now",
    ]);
    let mut trials = KillTrials::new(KILLS, MAX_RUNS);
    let mut planned = BTreeMap::new();
    while trials.next_run().is_some() {
        let at = trials.moment(Duration::from_millis(30), Duration::from_millis(380));
        if let Killed::Finished(code) = trials.kill(&notify, at) {
            assert_eq!(code, Some(0), "a run that was not killed failed");
        }
        planned = check_after_run(&fx, engine, &hook, &planned, trials.interrupted());
    }
    let received_while_killing = hook.delivered().len();
    eprintln!(
        "{KILLS} of {} runs killed mid-flight; {received_while_killing} requests before the final run",
        trials.runs()
    );

    // The final run delivers the rest: every planned delivery is marked sent, each owner's digest
    // arrived, and repeats of an owner's digest carry the same key.
    let o = notify.run();
    o.expect(0);
    assert_eq!(
        AnyStore::open(fx.store(), None).unwrap().engine(),
        engine,
        "the runs made a store of the engine asked for"
    );
    let (planned, sent, unsent) = outbox(&fx, engine);
    assert_eq!(planned.len(), OWNERS);
    assert_eq!(
        (sent.len(), unsent),
        (OWNERS, 0),
        "every planned delivery is marked sent"
    );
    let planned = check_after_run(&fx, engine, &hook, &planned, KILLS);
    let mut per_owner: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (owner, key) in received(&hook) {
        per_owner.entry(owner).or_default().insert(key);
    }
    for (key, owner) in &planned {
        let keys = per_owner
            .get(owner)
            .unwrap_or_else(|| panic!("{owner} lost its digest"));
        assert_eq!(
            keys,
            &BTreeSet::from([key.clone()]),
            "{owner}: different keys"
        );
    }
    let total = hook.delivered().len();
    eprintln!(
        "{total} deliveries, {} repeated in-flight message(s)",
        total - OWNERS
    );
}
