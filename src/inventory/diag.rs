//! Inventory diagnostic codes, and the inventory's instances of the shared [`crate::diag`] types.
//!
//! Validation names the offending item by its path in the document, the same for TOML and JSON;
//! [`crate::diag::Diagnostics::new`] turns paths into spans where the file format allows. Codes are
//! kebab-case and stable: scripts, suppressions and tests rely on them.

crate::diag::codes! {
    /// Stable diagnostic codes of inventory files.
    pub enum InventoryCode {
        /// TOML/JSON syntax, an unknown key, a wrong type, a missing required key.
        ParseError = "parse-error",
        /// Two items of one kind with the same id (anywhere in the inventory), or two components
        /// with the same id in one system; ids that differ only in ASCII case are the same id.
        DuplicateId = "duplicate-id",
        /// A reference to a system, component, owner or site that does not exist.
        UnknownReference = "unknown-reference",
        /// A firmware string that does not parse under the item's version scheme.
        BadFirmware = "bad-firmware",
        /// A `scheme` that is not one of the known version schemes.
        UnknownScheme = "unknown-scheme",
        /// A group's per-member load outside `0..=1`.
        LoadOutOfRange = "load-out-of-range",
        /// A RAID group that claims to survive as many failures as it has drives (or more).
        RaidToleranceTooLarge = "raid-tolerance-too-large",
        /// A RAID group without `tolerance`, or `tolerance` on a group that is not a RAID group.
        RaidToleranceMisplaced = "raid-tolerance-misplaced",
        /// A RAID group member that is not a drive component, or a group with too few members.
        BadGroupMember = "bad-group-member",
        /// A backup or replica whose source and target are the same system.
        BackupToItself = "backup-to-itself",
        /// An owner with neither an email address nor a webhook: nobody would be told.
        OwnerWithoutChannel = "owner-without-channel",
        /// A webhook secret that is not an environment variable *name* (probably the secret
        /// itself), or a credential inside the webhook URL.
        SecretInline = "secret-inline",
        /// A value of the right type but not acceptable: a malformed id, date, email or URL, a
        /// count of zero.
        InvalidValue = "invalid-value",
        /// A discovered snapshot (`discovered/*.json`) naming a system no hand-written file
        /// defines.
        DiscoveredUnknownSystem = "discovered-unknown-system",
        /// Discovered parts that could belong to several sets of one kind and model, running
        /// firmware those sets do not record: which set holds them cannot be told.
        DiscoveredAmbiguous = "discovered-ambiguous",
    }
}

/// One problem in the inventory files.
pub type Diagnostic = crate::diag::Diagnostic<InventoryCode>;

/// Every problem of a failed inventory load, with the files they point into.
pub type Diagnostics = crate::diag::Diagnostics<InventoryCode>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in InventoryCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
        }
    }
}
