//! Discovery: the firmware facts of the estate read from the estate itself (Redfish/Swordfish
//! services) or imported from where an operator already keeps them (CycloneDX, CSV), kept as
//! machine-owned snapshot files beside the hand-written inventory ([`snapshot`]).

pub mod drift;
pub mod import;
pub mod merge;
pub mod snapshot;
