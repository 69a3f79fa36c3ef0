//! Discovery: the firmware facts of the estate read from the estate itself (Redfish/Swordfish
//! services) or imported from where an operator already keeps them (CycloneDX, CSV), kept as
//! machine-owned snapshot files beside the hand-written inventory ([`snapshot`]). The inventory
//! loader merges each snapshot into the hand-written system it names ([`merge`], where the rule
//! is); [`import`] turns a CycloneDX BOM or the documented CSV into snapshots; [`drift`] reports
//! what differs and how old the facts are.

pub mod drift;
pub mod import;
pub mod merge;
pub mod snapshot;
