//! Data loss (Jip-Base 2019, First Server 2012): recoverable only from an independent copy.
//!
//! A backup or replica counts only when it is on another system, shares no failure domain with the
//! source (a rack, a breaker, a site), and is not itself exposed to the same advisory — the same
//! bug would take the copy with the original. Otherwise the loss is *without an independent
//! backup*, the worst consequence, and the reasons say which copy failed which test.

use rustc_hash::FxHashSet as HashSet;

use crate::blast::rating::{Consequence, FindingCode, Reading, Urgency};
use crate::blast::topology::Context;
use crate::inventory::BackupKind;

pub(super) fn data_loss(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
    base: Urgency,
    what: &str,
) -> Reading {
    let system = ctx.topo.systems[sys_idx as usize];
    let (consequence, mut reasons) = backup_verdict(ctx, adv_idx, sys_idx);
    let backup = reasons.join("; ");
    let code = if consequence == Consequence::DataLossNoBackup {
        FindingCode::DataLossNoBackup
    } else {
        FindingCode::DataLossWithBackup
    };
    reasons.insert(
        0,
        format!("the bug can lose or corrupt data on {} ({what})", system.id),
    );
    let mut r = Reading::with_reasons(code, consequence, base, reasons);
    r.backup = Some(backup);
    r
}

/// Is there an independent, unexposed backup of `system`? Returns the consequence and reasons:
/// the first independent copy alone, or why each recorded copy does not count.
pub(super) fn backup_verdict(
    ctx: &Context<'_>,
    adv_idx: usize,
    sys_idx: u32,
) -> (Consequence, Vec<String>) {
    let system = ctx.topo.systems[sys_idx as usize];
    let my_domains: HashSet<_> = ctx.topo.domains[sys_idx as usize]
        .iter()
        .map(|d| &d.id)
        .collect();
    let mut reasons = Vec::new();
    let backups = &ctx.topo.backups[sys_idx as usize];
    if backups.is_empty() {
        reasons.push(format!("no backup or replica of {} is recorded", system.id));
        return (Consequence::DataLossNoBackup, reasons);
    }
    for &(b, to) in backups {
        let kind = match b.kind {
            BackupKind::Backup => "backup",
            BackupKind::Replica => "replica",
        };
        if b.to == system.id {
            reasons.push(format!("the {kind} of {} is on the same system", system.id));
            continue;
        }
        // The domains that hold the target system as a whole (what `Inventory::domains_of` answers
        // for a system-level ref), read from the per-system index in inventory order instead of
        // scanning every domain.
        let shared: Vec<String> = to
            .map_or(&[][..], |t| ctx.topo.domains[t as usize].as_slice())
            .iter()
            .filter(|d| {
                d.members
                    .iter()
                    .any(|m| m.component.is_none() && m.system == b.to)
            })
            .filter(|d| my_domains.contains(&d.id))
            .map(|d| d.id.to_string())
            .collect();
        if !shared.is_empty() {
            reasons.push(format!(
                "{kind} target {} shares failure domain {} with {}",
                b.to,
                shared.join(", "),
                system.id
            ));
            continue;
        }
        if to.is_some_and(|t| ctx.system_exposed(adv_idx, t)) {
            reasons.push(format!(
                "{kind} target {} is exposed to the same advisory",
                b.to
            ));
            continue;
        }
        return (
            Consequence::DataLossWithBackup,
            vec![format!("recoverable from {kind} on {} (another system and failure domain, not exposed to this advisory)", b.to)],
        );
    }
    (Consequence::DataLossNoBackup, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blast::testing::*;
    use crate::inventory::DomainKind;
    use crate::model::{Advisory, ComponentKind, Effect};
    use crate::testkit::*;
    use crate::version::Scheme;

    /// `src` on the affected Unity firmware, `bk` on a Data Domain the advisory does not cover.
    fn estate() -> Estate {
        Estate::new()
            .system("src", "Dell EMC", "Unity 680F", Scheme::Intdot, "5.0.3")
            .system("bk", "Dell EMC", "Data Domain", Scheme::Intdot, "7.10.1.0")
    }

    fn bug() -> Advisory {
        advisory_for("FWN-3", "Dell", "Unity", "vers:intdot/>=5.0.0|<5.0.6")
            .effects(&[Effect::DataLoss])
    }

    fn loss(e: &Estate) -> Reading {
        on_run(e, &[bug()], "src", |ctx, a, s, _| {
            data_loss(ctx, a, s, Urgency::Anytime, "data-loss")
        })
    }

    #[test]
    fn no_recorded_copy_is_loss_without_backup() {
        let r = loss(&estate());
        assert_eq!(r.code, FindingCode::DataLossNoBackup);
        assert_eq!(r.consequence, Consequence::DataLossNoBackup);
        assert_eq!(r.urgency, Urgency::Anytime);
        assert_eq!(
            r.reasons,
            [
                "the bug can lose or corrupt data on src (data-loss)",
                "no backup or replica of src is recorded",
            ]
        );
    }

    #[test]
    fn a_backup_on_the_same_system_does_not_count() {
        let r = loss(&estate().backup("src", "src"));
        assert_eq!(r.code, FindingCode::DataLossNoBackup);
        assert_eq!(r.reasons[1], "the backup of src is on the same system");
    }

    #[test]
    fn a_copy_in_the_same_failure_domain_does_not_count() {
        let e = estate()
            .replica("src", "bk")
            .domain("rack-a", DomainKind::Rack, &["src", "bk"])
            .domain("site-1", DomainKind::Site, &["src", "bk"]);
        let r = loss(&e);
        assert_eq!(r.code, FindingCode::DataLossNoBackup);
        assert_eq!(
            r.reasons[1],
            "replica target bk shares failure domain rack-a, site-1 with src"
        );
    }

    #[test]
    fn a_copy_exposed_to_the_same_advisory_does_not_count() {
        let e = estate()
            .system("bk2", "Dell EMC", "Unity 380", Scheme::Intdot, "5.0.3")
            .backup("src", "bk2");
        let r = loss(&e);
        assert_eq!(r.code, FindingCode::DataLossNoBackup);
        assert_eq!(
            r.reasons[1],
            "backup target bk2 is exposed to the same advisory"
        );
    }

    #[test]
    fn an_independent_unexposed_copy_makes_it_loss_with_backup() {
        let e = estate()
            .backup("src", "src")
            .backup("src", "bk")
            .domain("rack-a", DomainKind::Rack, &["src"])
            .domain("rack-z", DomainKind::Rack, &["bk"]);
        let r = loss(&e);
        assert_eq!(r.code, FindingCode::DataLossWithBackup);
        assert_eq!(r.consequence, Consequence::DataLossWithBackup);
        // The copy that counts is the whole answer; the one that does not is not listed.
        assert_eq!(
            r.reasons,
            [
                "the bug can lose or corrupt data on src (data-loss)",
                "recoverable from backup on bk (another system and failure domain, not exposed \
                 to this advisory)",
            ]
        );
    }

    #[test]
    fn a_domain_holding_only_a_part_of_the_target_is_not_shared() {
        let e = estate()
            .component(
                "bk",
                "psu-1",
                ComponentKind::Psu,
                "Dell EMC",
                "PSU",
                Scheme::Intdot,
                "1.0",
                1,
            )
            .backup("src", "bk")
            .domain("breaker-1", DomainKind::Breaker, &["src", "bk/psu-1"]);
        assert_eq!(loss(&e).code, FindingCode::DataLossWithBackup);
    }
}
