//! Firmware version semantics.
//!
//! Storage firmware strings are not semver. `9.8P3` (ONTAP) is a patch *after* `9.8`, `24.21.0-0148`
//! (MegaRAID) carries a build number that semver would read as a pre-release, `GL225P002-02` (HPE MSA)
//! is only comparable with other `GL…` builds, and drive firmware such as `SD19`/`SD1A` has no order
//! at all that a program may assume. Generic comparators get every one of these wrong *silently*
//! (see `reference/versions.md` §1.2), and a silent wrong order is exactly a false "not affected".
//!
//! So this module follows three rules:
//! 1. Every version is parsed under an explicit [`Scheme`] with a strict grammar. Anything outside the
//!    grammar is an error at parse time, never a best guess.
//! 2. Comparison is [`FwVersion::compare`] returning [`Cmp`], which has an `Incomparable` case (other
//!    scheme, other family, unordered tokens). There is deliberately no `Ord` on [`FwVersion`].
//! 3. Range containment ([`VersRange::contains`]) answers [`Containment::Affected`],
//!    [`Containment::NotAffected`] or [`Containment::Unknown`] with a reason. `NotAffected` needs
//!    positive evidence: a range that is decidable for this version.
//!
//! Ranges are kept as `vers:` strings (package-url vers spec): the standard types `semver`, `intdot`,
//! `all`, `none`, plus one type per firmware scheme (`vers:ontap/…`, `vers:hitachi/…`, …), which the
//! spec allows. A vers type must start with a letter, so 3PAR ranges are `vers:threepar/…`
//! ([`Scheme::vers_type`]). The vendor grammars (E-Series, Dot Hill, Hitachi, 3PAR, MegaRAID) live in
//! `vendor.rs`; where a vendor publishes no order between two forms they are incomparable.
//!
//! Advisories rarely carry canonical vers: [`parse_loose`] reads the vls and prose forms found in real
//! documents (`All versions < V4.33`, `prior to 5.3.0.0.5.120`, `9.8 through 9.8P3`) into a canonical
//! range, and rejects any text with a part it does not understand, so the caller keeps it unparsed.

mod line;
mod loose;
mod range;
mod scheme;
mod vendor;

pub use line::line_range;
pub use loose::parse_loose;
pub(crate) use range::percent_encode;
pub use range::{Comparator, Constraint, Containment, VersRange};
pub use scheme::{scheme_for, Cmp, FwVersion, Scheme, VersionError};
