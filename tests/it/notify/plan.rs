//! The pure notification plan: routing with entitlement, sent-once, escalation, material change,
//! warning windows and resolved notices — on findings rated by the real pipeline.

use chrono::Duration;
use firmwatch::blast::{Finding, Severity, Urgency};
use firmwatch::inventory::{Criticality, Owner};
use firmwatch::matcher::MatchState;
use firmwatch::model::{Effect, Trigger};
use firmwatch::notify::plan::{plan, Audience, DigestPlan, EventKind, State};
use firmwatch::testkit::*;
use firmwatch::triage::{Entry, Triage, TriageState};
use firmwatch::version::Scheme;

fn owner(e: &mut Estate, id: &str) {
    let o = Owner {
        id: id.parse().unwrap(),
        name: id.into(),
        email: Some(format!("{id}@example.net")),
        webhook: None,
    };
    e.0.owners.insert(o.id.clone(), o);
}

/// `arr` (storage-team) serves `app` (app-team); `other` belongs to other-team.
fn estate() -> Estate {
    let mut e = Estate::new()
        .system("arr", "NetApp", "AFF A400", Scheme::Ontap, "9.8P3")
        .system("other", "NetApp", "AFF A400", Scheme::Ontap, "9.8P3")
        .service("app", 50_000, &[], Criticality::High, &["arr"]);
    owner(&mut e, "app-team");
    owner(&mut e, "other-team");
    e.sys("other").owner = "other-team".parse().unwrap();
    e.0.services.values_mut().next().unwrap().owner = "app-team".parse().unwrap();
    e
}

fn findings(e: &Estate) -> Vec<Finding> {
    let a = advisory_for("FWN-1", "NetApp", "ONTAP", "vers:ontap/>=9.8|<9.8P6")
        .effects(&[Effect::FailoverFailure])
        .triggers(&[Trigger::HardwareFault]);
    let f = run(e, &[a]);
    assert_eq!(f.len(), 2, "{f:#?}");
    f
}

fn apply(state: &mut State, p: &DigestPlan) {
    for k in &p.removals {
        state.remove(k);
    }
    for (k, v) in &p.upserts {
        state.insert(k.clone(), v.clone());
    }
}

fn items<'a>(p: &'a DigestPlan, owner: &str) -> Vec<(EventKind, &'a str)> {
    p.messages
        .iter()
        .filter(|m| m.owner == owner)
        .flat_map(|m| m.items.iter().map(|i| (i.event, i.finding.as_str())))
        .collect()
}

#[test]
fn routing_gives_each_owner_only_what_is_theirs() {
    let e = estate();
    let f = findings(&e);
    let p = plan(&f, &e.0, &State::new(), today(), "g1");
    assert_eq!(p.messages.len(), 3);
    assert_eq!(
        items(&p, "storage-team"),
        vec![(EventKind::New, "FWN-1@arr")]
    );
    assert_eq!(
        items(&p, "other-team"),
        vec![(EventKind::New, "FWN-1@other")]
    );
    assert_eq!(items(&p, "app-team"), vec![(EventKind::New, "FWN-1@arr")]);
    let app = p.messages.iter().find(|m| m.owner == "app-team").unwrap();
    assert_eq!(app.items[0].services, vec!["app".to_string()]);
    assert!(
        app.items[0].reasons.is_empty(),
        "reasons name other teams' reach"
    );
    let storage = p
        .messages
        .iter()
        .find(|m| m.owner == "storage-team")
        .unwrap();
    assert!(!storage.items[0].reasons.is_empty());
    assert!(storage.items[0].undecided.is_none());
    // A match that could not be decided is said so, with the reason.
    let mut g = f.clone();
    for x in &mut g {
        x.state = MatchState::Unknown;
        x.evidence = "firmware `X` is opaque".into();
    }
    let u = plan(&g, &e.0, &State::new(), today(), "g1");
    assert!(u
        .messages
        .iter()
        .flat_map(|m| &m.items)
        .all(|i| i.undecided.as_deref() == Some("firmware `X` is opaque")));
    let text = firmwatch::notify::render::text(&u.messages[0]);
    assert!(text.contains("Match UNKNOWN"), "{text}");
    // Keys differ per owner and are stable for the same plan.
    let again = plan(&f, &e.0, &State::new(), today(), "g1");
    assert_eq!(p.messages[0].key, again.messages[0].key);
    assert_ne!(p.messages[0].key, p.messages[1].key);
}

#[test]
fn sent_once_then_only_rises_changes_windows_and_resolutions() {
    let e = estate();
    let mut f = findings(&e);
    let mut state = State::new();
    let p = plan(&f, &e.0, &state, today(), "g1");
    apply(&mut state, &p);
    assert_eq!(state.len(), 3);

    // Nothing changed: nothing to send.
    let p = plan(&f, &e.0, &state, today(), "g2");
    assert!(p.messages.is_empty() && p.upserts.is_empty() && p.removals.is_empty());

    // Severity falls: not news. Severity rises above what was sent: escalated, to both recipients.
    let arr = f.iter().position(|x| x.id == "FWN-1@arr").unwrap();
    let sent = f[arr].rating.severity;
    f[arr].rating.severity = Severity::Info;
    assert!(plan(&f, &e.0, &state, today(), "g3").messages.is_empty());
    assert!(sent < Severity::Critical, "test needs room to rise");
    f[arr].rating.severity = Severity::Critical;
    let p = plan(&f, &e.0, &state, today(), "g4");
    assert_eq!(
        items(&p, "storage-team"),
        vec![(EventKind::Escalated, "FWN-1@arr")]
    );
    assert_eq!(
        items(&p, "app-team"),
        vec![(EventKind::Escalated, "FWN-1@arr")]
    );
    assert!(items(&p, "other-team").is_empty());
    assert_eq!(p.messages[0].items[0].previous_severity, Some(sent));
    apply(&mut state, &p);

    // A new fixed version is a material change.
    let other = f.iter().position(|x| x.id == "FWN-1@other").unwrap();
    f[other].fixed_in = vec!["9.8P7".into()];
    let p = plan(&f, &e.0, &state, today(), "g5");
    assert_eq!(
        items(&p, "other-team"),
        vec![(EventKind::Changed, "FWN-1@other")]
    );
    apply(&mut state, &p);

    // A dated trigger: announced when it enters 90, 30 and 7 days, once per window.
    let mut seen = vec![];
    for days in [200, 120, 80, 60, 25, 20, 5, 1, -3] {
        f[other].rating.urgency = Urgency::ByDate(today() + Duration::days(days));
        let p = plan(&f, &e.0, &state, today(), &format!("w{days}"));
        if !p.messages.is_empty() {
            assert_eq!(
                items(&p, "other-team"),
                vec![(EventKind::Warning, "FWN-1@other")]
            );
            seen.push(days);
        }
        apply(&mut state, &p);
    }
    assert_eq!(seen, vec![80, 25, 5, -3]);

    // An accepted risk: announced once as ACCEPTED — never as resolved — to both recipients,
    // the full decision to the system's owner and the state alone to the service's; then silence.
    let entry = Entry {
        finding: "FWN-1@arr".into(),
        state: TriageState::AcceptedRisk,
        reason: "replacement shelf on order".into(),
        by: "kato".into(),
        on: Some(today()),
        approver: Some("tanaka".into()),
        expires: Some(today() + Duration::days(30)),
        setting: None,
    };
    f[arr].triage = Triage {
        state: TriageState::AcceptedRisk,
        entry: Some(std::sync::Arc::new(entry)),
        expired: None,
        contradicted: None,
    };
    let p = plan(&f, &e.0, &state, today(), "g6");
    assert_eq!(
        items(&p, "storage-team"),
        vec![(EventKind::Accepted, "FWN-1@arr")]
    );
    assert_eq!(
        items(&p, "app-team"),
        vec![(EventKind::Accepted, "FWN-1@arr")]
    );
    let of = |owner: &str| p.messages.iter().find(|m| m.owner == owner).unwrap().items[0].clone();
    let told = of("storage-team").triage.unwrap();
    assert!(
        told.starts_with("accepted-risk by kato") && told.contains("approved by tanaka"),
        "{told}"
    );
    assert_eq!(of("app-team").triage.as_deref(), Some("accepted-risk"));
    assert_eq!(of("storage-team").title, "FWN-1 test advisory");
    apply(&mut state, &p);
    assert!(plan(&f, &e.0, &state, today(), "g7").messages.is_empty());

    // The acceptance expires: the finding is open again, announced once as REOPENED.
    f[arr].triage.expired = Some(today());
    let p = plan(&f, &e.0, &state, today(), "g7b");
    assert_eq!(
        items(&p, "storage-team"),
        vec![(EventKind::Reopened, "FWN-1@arr")]
    );
    apply(&mut state, &p);
    assert!(plan(&f, &e.0, &state, today(), "g7c").messages.is_empty());

    // Fixed (finding gone entirely): resolved.
    f.remove(other);
    let p = plan(&f, &e.0, &state, today(), "g8");
    assert_eq!(
        items(&p, "other-team"),
        vec![(EventKind::Resolved, "FWN-1@other")]
    );
}

/// Each closing decision is its own event, told once to whoever was told of the finding; a
/// decision about a finding nobody was told of is not news; a later open state reopens it.
#[test]
fn each_closing_decision_is_told_once_as_itself() {
    let e = estate();
    for (state, event) in [
        (TriageState::AcceptedRisk, EventKind::Accepted),
        (TriageState::FalsePositive, EventKind::FalsePositive),
        (TriageState::Mitigated, EventKind::Mitigated),
    ] {
        let mut f = findings(&e);
        let mut told = State::new();
        // Never told: closing it is not news.
        let other = f.iter().position(|x| x.id == "FWN-1@other").unwrap();
        f[other].triage = Triage {
            state,
            entry: Some(std::sync::Arc::new(Entry {
                finding: "FWN-1@other".into(),
                state,
                reason: "r".into(),
                by: "kato".into(),
                on: Some(today()),
                approver: Some("tanaka".into()),
                expires: Some(today() + Duration::days(30)),
                setting: None,
            })),
            expired: None,
            contradicted: None,
        };
        let p = plan(&f, &e.0, &told, today(), "g1");
        assert!(items(&p, "other-team").is_empty(), "{state}");
        apply(&mut told, &p);
        // Told of it, then closed: once as the decision, then silence.
        let closing = f[other].triage.clone();
        f[other].triage = Triage::default();
        let p = plan(&f, &e.0, &told, today(), "g2");
        assert_eq!(items(&p, "other-team"), [(EventKind::New, "FWN-1@other")]);
        apply(&mut told, &p);
        f[other].triage = closing;
        let p = plan(&f, &e.0, &told, today(), "g3");
        assert_eq!(items(&p, "other-team"), [(event, "FWN-1@other")], "{state}");
        apply(&mut told, &p);
        assert!(plan(&f, &e.0, &told, today(), "g4").messages.is_empty());
        // Someone sets it in progress again: reopened, once.
        f[other].triage = Triage {
            state: TriageState::InProgress,
            ..Triage::default()
        };
        let p = plan(&f, &e.0, &told, today(), "g5");
        assert_eq!(
            items(&p, "other-team"),
            [(EventKind::Reopened, "FWN-1@other")]
        );
        apply(&mut told, &p);
        assert!(plan(&f, &e.0, &told, today(), "g6").messages.is_empty());
    }
}

/// A service owner's view drops the backup reasoning: it names the system's backup targets and
/// what they share, which are the system owner's affairs; the system owner keeps it.
#[test]
fn a_service_owner_does_not_see_the_backup_reasoning() {
    let e = estate();
    let mut f = findings(&e);
    let arr = f.iter().position(|x| x.id == "FWN-1@arr").unwrap();
    f[arr].rating.backup =
        Some("backup target arr-vault shares failure domain rack-7 with arr".into());
    let audience = Audience::new(&e.0);
    let theirs = audience
        .view_for(&f[arr], &["app-team"])
        .expect("app-team depends on arr");
    assert_eq!(theirs.rating.backup, None);
    assert!(!serde_json::to_string(&theirs)
        .unwrap()
        .contains("arr-vault"));
    let own = audience.view_for(&f[arr], &["storage-team"]).unwrap();
    assert!(own.rating.backup.is_some());
}
