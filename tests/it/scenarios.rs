//! One scenario per incident in `incidents.md`, with the contrasts that show the rating comes from
//! the topology: the same bug rated differently in different deployments.

use chrono::NaiveDate;
use firmwatch::blast::{Consequence, Finding, FindingCode, Severity, Urgency};
use firmwatch::inventory::*;
use firmwatch::matcher::MatchState;
use firmwatch::model::*;
use firmwatch::testkit::*;
use firmwatch::version::Scheme;

fn reasons(f: &Finding) -> String {
    f.rating.reasons.join("\n")
}

/// The rating's reasons say `what`.
#[track_caller]
fn assert_says(f: &Finding, what: &str) {
    let text = reasons(f);
    assert!(text.contains(what), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 1. Docomo 2020: a failover-path bug behind 2.2 million users.

fn docomo_estate() -> Estate {
    Estate::new()
        .system("ntap-dns", "NetApp", "AFF A400", Scheme::Ontap, "9.8P3")
        .component(
            "ntap-dns",
            "ctl-a",
            ComponentKind::Controller,
            "NetApp",
            "AFF A400 controller",
            Scheme::Ontap,
            "9.8P3",
            1,
        )
        .component(
            "ntap-dns",
            "ctl-b",
            ComponentKind::Controller,
            "NetApp",
            "AFF A400 controller",
            Scheme::Ontap,
            "9.8P3",
            1,
        )
        .group(
            "ntap-dns-ha",
            GroupKind::ControllerPair,
            &["ntap-dns/ctl-a", "ntap-dns/ctl-b"],
            Some(0.45),
        )
        .service(
            "sp-auth",
            2_200_000,
            &[],
            Criticality::Critical,
            &["ntap-dns"],
        )
}

fn failover_bug() -> Advisory {
    let mut a = advisory_for("FWN-1", "NetApp", "ONTAP", "vers:ontap/>=9.8|<9.8P6")
        .effects(&[Effect::FailoverFailure])
        .triggers(&[Trigger::HardwareFault]);
    a.vendor_severity = Some("rare case".into());
    a
}

#[test]
fn docomo_failover_bug_makes_the_pair_a_single_point_of_failure() {
    let f = run(&docomo_estate(), &[failover_bug()]);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.state, MatchState::Confirmed);
    assert_eq!(f.rating.code, FindingCode::FailoverSpof);
    assert_eq!(f.rating.consequence, Consequence::ServiceOutage);
    assert_eq!(f.rating.urgency, Urgency::NeedsFault);
    assert_eq!(f.rating.severity, Severity::Critical, "{}", reasons(f));
    assert_eq!(f.rating.reach.users, 2_200_000);
    let text = reasons(f);
    assert!(text.contains("single point of failure"), "{text}");
    assert!(text.contains("ctl-a and ctl-b"), "{text}");
    assert!(text.contains("rare case"), "{text}");
}

#[test]
fn docomo_fixed_version_is_not_a_finding() {
    let mut e = docomo_estate();
    e.sys("ntap-dns").firmware = fw(Scheme::Ontap, "9.8P6");
    assert!(run(&e, &[failover_bug()]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. CTY 2017: a controller crash under a setting; 60 % per controller → the survivor at 120 %.

fn cty_estate(load: f64, setting: Option<bool>) -> Estate {
    let mut e = Estate::new()
        .system(
            "unity-mail",
            "Dell EMC",
            "Unity 480F",
            Scheme::Intdot,
            "5.1.2.0.5.007",
        )
        .component(
            "unity-mail",
            "spa",
            ComponentKind::Controller,
            "Dell EMC",
            "Unity 480F SP",
            Scheme::Intdot,
            "5.1.2.0.5.007",
            1,
        )
        .component(
            "unity-mail",
            "spb",
            ComponentKind::Controller,
            "Dell EMC",
            "Unity 480F SP",
            Scheme::Intdot,
            "5.1.2.0.5.007",
            1,
        )
        .group(
            "unity-mail-sp",
            GroupKind::ControllerPair,
            &["unity-mail/spa", "unity-mail/spb"],
            Some(load),
        )
        .service("mail", 50_511, &["cty"], Criticality::High, &["unity-mail"])
        .service(
            "web-hosting",
            3_000,
            &["isp-b", "isp-c"],
            Criticality::Medium,
            &["unity-mail"],
        );
    if let Some(on) = setting {
        e = e.setting("unity-mail", "async-replication-compression", on);
    }
    e
}

fn crash_bug() -> Advisory {
    advisory_for(
        "FWN-2",
        "Dell",
        "Unity",
        "vers:intdot/>=5.1.0|<5.1.2.0.5.009",
    )
    .on(ComponentKind::Controller)
    .effects(&[Effect::ComponentCrash])
    .triggers(&[Trigger::Setting {
        name: "async-replication-compression".into(),
        value: true,
    }])
}

#[test]
fn cty_survivor_at_120_percent_is_an_outage() {
    let f = run(&cty_estate(0.6, Some(true)), &[crash_bug()]);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.rating.code, FindingCode::SurvivorOverload);
    assert_eq!(f.rating.consequence, Consequence::ServiceOutage);
    assert!(f.rating.severity >= Severity::High, "{}", reasons(f));
    let text = reasons(f);
    assert!(text.contains("would carry 120 %"), "{text}");
    assert!(text.contains("common mode"), "{text}");
    assert!(
        f.evidence
            .contains("setting `async-replication-compression` is on"),
        "{}",
        f.evidence
    );
    // Every tenant of the shared array counts.
    assert_eq!(f.rating.reach.tenants.len(), 3);
    assert_eq!(f.rating.reach.users, 53_511);
    assert_eq!(f.part_count, 2, "both controllers in one finding");
}

#[test]
fn cty_contrast_same_bug_at_40_percent_is_not_an_outage() {
    let f = run(&cty_estate(0.4, Some(true)), &[crash_bug()]);
    let f = &f[0];
    assert_eq!(f.rating.consequence, Consequence::RedundancyLost);
    assert_says(f, "would carry 80 %");
    let outage = run(&cty_estate(0.6, Some(true)), &[crash_bug()]);
    assert!(f.rating.score < outage[0].rating.score);
    assert!(f.rating.severity < outage[0].rating.severity);
}

#[test]
fn cty_contrast_setting_off_is_no_finding_and_unrecorded_is_unknown() {
    assert!(run(&cty_estate(0.6, Some(false)), &[crash_bug()]).is_empty());
    let f = run(&cty_estate(0.6, None), &[crash_bug()]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].state, MatchState::Unknown);
    assert!(
        f[0].evidence.contains("does not record that setting"),
        "{}",
        f[0].evidence
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Jip-Base 2019: LUNs offline + data loss on a shared array with ~70 tenants.

fn iaas_estate(independent_backup: bool) -> Estate {
    let mut e = Estate::new()
        .system(
            "unity-iaas",
            "Dell EMC",
            "Unity 680F",
            Scheme::Intdot,
            "5.0.3.0.5.011",
        )
        .tenants("unity-iaas", 70)
        .service(
            "municipal-vms",
            0,
            &[],
            Criticality::Critical,
            &["unity-iaas"],
        );
    if independent_backup {
        e = e
            .system(
                "dd-backup",
                "Dell EMC",
                "Data Domain DD6900",
                Scheme::Intdot,
                "7.10.1.0",
            )
            .backup("unity-iaas", "dd-backup")
            .domain("rack-a", DomainKind::Rack, &["unity-iaas"])
            .domain("rack-z", DomainKind::Rack, &["dd-backup"]);
    } else {
        e = e.backup("unity-iaas", "unity-iaas");
    }
    e
}

fn lun_offline_bug() -> Advisory {
    advisory_for("FWN-3", "Dell", "Unity", "vers:intdot/>=5.0.0|<5.0.6")
        .effects(&[Effect::DataUnavailable, Effect::DataLoss])
}

#[test]
fn jip_base_backup_on_the_same_array_is_no_backup() {
    let f = run(&iaas_estate(false), &[lun_offline_bug()]);
    let f = &f[0];
    assert_eq!(f.rating.consequence, Consequence::DataLossNoBackup);
    assert_eq!(f.rating.code, FindingCode::DataLossNoBackup);
    assert_eq!(f.rating.severity, Severity::Critical, "{}", reasons(f));
    assert_eq!(f.rating.reach.tenants.len(), 70);
    assert_says(f, "on the same system");
}

#[test]
fn jip_base_contrast_independent_unexposed_backup_is_less_severe() {
    let with = run(&iaas_estate(true), &[lun_offline_bug()]);
    let without = run(&iaas_estate(false), &[lun_offline_bug()]);
    let f = with
        .iter()
        .find(|f| f.system.as_str() == "unity-iaas")
        .unwrap();
    assert_eq!(f.rating.consequence, Consequence::DataLossWithBackup);
    assert_says(f, "recoverable from backup on dd-backup");
    assert!(f.rating.score < without[0].rating.score);
}

#[test]
fn jip_base_backup_running_the_same_firmware_does_not_count() {
    // The backup target is another Unity on the same affected firmware, in another rack.
    let e = Estate::new()
        .system(
            "unity-iaas",
            "Dell EMC",
            "Unity 680F",
            Scheme::Intdot,
            "5.0.3.0.5.011",
        )
        .system(
            "unity-bk",
            "Dell EMC",
            "Unity 380",
            Scheme::Intdot,
            "5.0.3.0.5.011",
        )
        .backup("unity-iaas", "unity-bk")
        .domain("rack-a", DomainKind::Rack, &["unity-iaas"])
        .domain("rack-b", DomainKind::Rack, &["unity-bk"]);
    let f = run(&e, &[lun_offline_bug()]);
    let f = f
        .iter()
        .find(|f| f.system.as_str() == "unity-iaas")
        .unwrap();
    assert_eq!(f.rating.consequence, Consequence::DataLossNoBackup);
    assert_says(f, "backup target unity-bk is exposed to the same advisory");
}

// ---------------------------------------------------------------------------------------------
// 4. Canon 2020: an enclosure goes down; only what is placed on it stops.

#[test]
fn canon_enclosure_bug_reaches_only_services_on_that_shelf() {
    let e = Estate::new()
        .system("fas-mail", "NetApp", "FAS8300", Scheme::Ontap, "9.12.1P2")
        .netapp_shelf("fas-mail", "shelf-1", "0230")
        .netapp_shelf("fas-mail", "shelf-2", "0240")
        .service(
            "mailboxes",
            166_803,
            &[],
            Criticality::High,
            &["fas-mail/shelf-1"],
        )
        .service(
            "archive",
            1_000,
            &[],
            Criticality::Low,
            &["fas-mail/shelf-2"],
        );
    let adv = advisory_for("FWN-4", "NetApp", "DS224C", "vers:intdot/>=0200|<0240")
        .on(ComponentKind::Enclosure)
        .effects(&[Effect::DataUnavailable])
        .triggers(&[Trigger::HardwareFault]);
    let f = run(&e, &[adv]);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.parts.len(), 1, "only shelf-1 runs the affected firmware");
    assert_eq!(f.rating.consequence, Consequence::ServiceOutage);
    assert_eq!(
        f.rating.reach.users, 166_803,
        "the archive on shelf-2 is not reached"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. SSDs failing at 32,768 power-on hours: all drives of a RAID group on the same day.

fn ssd_estate(tolerance: u32, backup: bool) -> Estate {
    let mut e = Estate::new()
        .system(
            "dl380-db",
            "HPE",
            "ProLiant DL380 Gen10",
            Scheme::Intdot,
            "2.72",
        )
        .hpe_ssds("dl380-db", "ssd-a", "HPD7", 8)
        .hours("dl380-db", "ssd-a", 31_500, "2026-10-01")
        .hpe_ssds("dl380-db", "ssd-b", "HPD8", 4)
        .hours("dl380-db", "ssd-b", 31_500, "2026-10-01")
        .group(
            "rg-1",
            GroupKind::RaidGroup { tolerance },
            &["dl380-db/ssd-a"],
            None,
        )
        .service("erp", 900, &[], Criticality::High, &["dl380-db"]);
    if backup {
        e = e
            .system("bk", "HPE", "StoreOnce 5660", Scheme::Intdot, "4.3.2")
            .backup("dl380-db", "bk");
    }
    e
}

fn ssd_bug() -> Advisory {
    let mut a = advisory_for(
        "FWN-32768",
        "HPE",
        "SAS SSD",
        "vers:opaque/HPD1|HPD2|HPD3|HPD4|HPD5|HPD6|HPD7",
    )
    .on(ComponentKind::Drive)
    .effects(&[Effect::ComponentCrash, Effect::DataLoss])
    .triggers(&[Trigger::PowerOnHours { hours: 32_768 }]);
    a.affected[0].models = vec!["VO1920JFDGV".into(), "VO3840JFDHA".into()];
    a.affected[0].product = "SAS SSD".into();
    a
}

#[test]
fn ssd_32768_hours_whole_raid_group_fails_on_one_day() {
    let f = run(&ssd_estate(1, false), &[ssd_bug()]);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.parts.len(), 1, "the HPD8 set is fixed");
    assert_eq!(f.part_count, 8, "one line with a count, not 8 lines");
    assert_eq!(f.rating.code, FindingCode::RaidTimeBomb);
    assert_eq!(f.rating.consequence, Consequence::DataLossNoBackup);
    // 31,500 h on 2026-10-01 + 1,268 h = 2026-11-22 20:00 → date 2026-11-22 (today): triggering.
    let expected: NaiveDate = "2026-11-22".parse().unwrap();
    assert_says(f, &format!("reach it today ({expected})"));
    assert_eq!(f.rating.urgency, Urgency::Triggering);
    assert_says(f, "8 drives of rg-1");
    assert_eq!(f.rating.severity, Severity::Critical);
}

#[test]
fn ssd_contrast_dates_in_the_future_and_backups() {
    let mut e = ssd_estate(1, true);
    // Readings that put the threshold in 2027.
    let c = e
        .sys("dl380-db")
        .components
        .iter_mut()
        .find(|c| &*c.id == "ssd-a")
        .unwrap();
    c.power_on_hours = Some(PowerOnHours {
        hours: 30_000,
        read_on: "2026-10-01".parse().unwrap(),
    });
    let f = run(&e, &[ssd_bug()]);
    let f = f.iter().find(|f| f.system.as_str() == "dl380-db").unwrap();
    assert_eq!(f.rating.consequence, Consequence::DataLossWithBackup);
    match f.rating.urgency {
        Urgency::ByDate(d) => assert_eq!(d, "2027-01-24".parse::<NaiveDate>().unwrap()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ssd_unknown_firmware_is_unknown_not_clean() {
    // A firmware id the advisory neither lists as affected nor as fixed: explicit list says no.
    let mut e = ssd_estate(1, false);
    e.sys("dl380-db").components[0].firmware = fw(Scheme::Opaque, "HPD9");
    let f = run(&e, &[ssd_bug()]);
    assert!(
        f.is_empty(),
        "an explicit affected list not containing HPD9 is evidence"
    );
    // But a range the drive's opaque firmware cannot be ordered in is unknown.
    let mut a = ssd_bug();
    a.affected[0].versions = VersionSpec::Unparsed("firmware prior to HPD8".into());
    let f = run(&ssd_estate(1, false), &[a]);
    assert_eq!(f.len(), 1);
    assert!(f.iter().all(|f| f.state == MatchState::Unknown));
    assert!(f[0].evidence.contains("prior to HPD8"));
}

// ---------------------------------------------------------------------------------------------
// 6. SoftEther 2013: shared failure domains decide whether a backup is independent.

#[test]
fn softether_shared_breaker_defeats_the_standby() {
    let e = Estate::new()
        .system("vpn-1", "Dell", "PowerEdge R650", Scheme::Intdot, "2.19.1")
        .system(
            "vpn-standby",
            "Dell",
            "PowerEdge R650",
            Scheme::Intdot,
            "2.19.1",
        )
        .system("mail", "Dell", "PowerEdge R640", Scheme::Intdot, "2.19.1")
        .backup("vpn-1", "vpn-standby")
        .domain(
            "breaker-2",
            DomainKind::Breaker,
            &["vpn-1", "vpn-standby", "mail"],
        );
    let mut adv =
        advisory_for("FWN-7", "Dell", "BIOS", "vers:intdot/<2.20.0").effects(&[Effect::DataLoss]);
    adv.affected[0].models = vec!["PowerEdge R640".into()];
    // Only the mail server's model is affected: the standby is not exposed, but it shares the breaker.
    let f = run(&e, &[adv]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].system.as_str(), "mail");
    let mut adv2 =
        advisory_for("FWN-8", "Dell", "BIOS", "vers:intdot/<2.20.0").effects(&[Effect::DataLoss]);
    adv2.affected[0].models = vec!["PowerEdge R650".into()];
    let e2 = Estate::new()
        .system("vpn-1", "Dell", "PowerEdge R650", Scheme::Intdot, "2.19.1")
        .system(
            "vpn-standby",
            "Dell",
            "PowerEdge R750",
            Scheme::Intdot,
            "2.19.1",
        )
        .backup("vpn-1", "vpn-standby")
        .domain("breaker-2", DomainKind::Breaker, &["vpn-1", "vpn-standby"]);
    let f = run(&e2, &[adv2]);
    let f = &f[0];
    assert_eq!(f.rating.consequence, Consequence::DataLossNoBackup);
    assert_says(f, "shares failure domain breaker-2");
}

// ---------------------------------------------------------------------------------------------
// Matching details that keep "not affected" honest.

#[test]
fn other_vendors_and_products_do_not_match() {
    let f = run(
        &docomo_estate(),
        &[
            advisory_for("X", "Dell", "ONTAP", "vers:ontap/>=9.8|<9.8P6")
                .any_part()
                .effects(&[Effect::DataLoss]),
        ],
    );
    assert!(f.is_empty());
    let f = run(
        &docomo_estate(),
        &[
            advisory_for("X", "NetApp", "StorageGRID", "vers:intdot/<11.8")
                .any_part()
                .effects(&[Effect::DataLoss]),
        ],
    );
    assert!(f.is_empty());
}

#[test]
fn range_in_another_scheme_is_reread_or_unknown() {
    // The source guessed intdot for an ONTAP range; it is re-read under the installed scheme.
    let a = advisory_for("X", "NetApp", "ONTAP", "vers:intdot/>=9.8|<9.9")
        .any_part()
        .effects(&[Effect::FailoverFailure]);
    let f = run(&docomo_estate(), &[a]);
    assert_eq!(f[0].state, MatchState::Confirmed, "{}", f[0].evidence);
    // A bound that is not an ONTAP version at all cannot be decided.
    let mut a = advisory_for("X", "NetApp", "ONTAP", "vers:intdot/<9.8.0.5.1")
        .any_part()
        .effects(&[Effect::FailoverFailure]);
    a.affected[0].component = None;
    let f = run(&docomo_estate(), &[a]);
    assert!(!f.is_empty());
    assert!(f.iter().all(|f| f.state == MatchState::Unknown), "{f:?}");
}

#[test]
fn a_drive_crash_bug_names_the_raid_group_and_what_it_tolerates() {
    // Not time-triggered: drives fail one by one, so the RAID group's tolerance is the story
    // (and the rating must not claim the drives have no RAID group).
    let mut bug = advisory_for("FWN-DRV", "HPE", "SAS SSD", "vers:opaque/HPD7")
        .on(ComponentKind::Drive)
        .effects(&[Effect::ComponentCrash]);
    bug.affected[0].models = vec!["VO1920JFDGV".into()];
    let f = run(&ssd_estate(1, false), std::slice::from_ref(&bug));
    assert_eq!(f.len(), 1);
    let text = reasons(&f[0]);
    assert_eq!(f[0].rating.consequence, Consequence::RedundancyLost);
    assert!(
        text.contains("8 of 8 drives of rg-1 run HPD7 and can fail the same way"),
        "{text}"
    );
    assert!(text.contains("the RAID group tolerates 1"), "{text}");
    assert!(!text.contains("no RAID group"), "{text}");

    // Drives outside any RAID group keep saying so.
    let mut loose = advisory_for("FWN-DRV", "HPE", "SAS SSD", "vers:opaque/HPD8")
        .on(ComponentKind::Drive)
        .effects(&[Effect::ComponentCrash]);
    loose.affected[0].models = vec!["VO1920JFDGV".into()];
    let f = run(&ssd_estate(1, false), &[loose]);
    assert_eq!(f.len(), 1);
    assert_says(&f[0], "no RAID group is recorded");
}
