//! `firmwatch versions`: the version semantics, exposed for operators who want to see why a match
//! was decided the way it was.

use std::io::Write;

use anyhow::{Context, Result};
use clap::Subcommand;

use firmwatch::version::{scheme_for, Cmp, Containment, FwVersion, Scheme, VersRange};

use super::Exit;

#[derive(Debug, Subcommand)]
pub enum VersionsCmd {
    /// Compare two versions under a scheme: prints less, equal, greater or incomparable (with why).
    Compare {
        /// Version scheme (semver, intdot, ontap, eseries, dothill, hitachi, 3par, megaraid, opaque).
        #[arg(long)]
        scheme: Scheme,
        a: String,
        b: String,
    },
    /// Is VERSION in the vers RANGE? Prints affected, not-affected or unknown (with why).
    Contains {
        /// A canonical vers range, e.g. `vers:ontap/>=9.8|<9.8P16`.
        range: VersRange,
        /// The installed version.
        #[arg(value_name = "VERSION")]
        installed: String,
        /// Scheme of VERSION; defaults to the range's own.
        #[arg(long)]
        scheme: Option<Scheme>,
    },
    /// Which scheme firmwatch uses by default for a vendor and product.
    Scheme { vendor: String, product: String },
}

pub fn run(cmd: &VersionsCmd, out: &mut impl Write) -> Result<Exit> {
    match cmd {
        VersionsCmd::Compare { scheme, a, b } => {
            let a = FwVersion::parse(*scheme, a)?;
            let b = FwVersion::parse(*scheme, b)?;
            match a.compare(&b) {
                Cmp::Less => writeln!(out, "{a} < {b}")?,
                Cmp::Equal => writeln!(out, "{a} = {b}")?,
                Cmp::Greater => writeln!(out, "{a} > {b}")?,
                Cmp::Incomparable(why) => writeln!(out, "incomparable: {why}")?,
            }
        }
        VersionsCmd::Contains {
            range,
            installed,
            scheme,
        } => {
            let scheme = scheme.or(range.scheme()).with_context(|| {
                format!(
                    "range type `{}` has no firmware scheme; pass --scheme",
                    range.kind()
                )
            })?;
            let v = FwVersion::parse(scheme, installed)?;
            match range.contains(&v) {
                Containment::Affected => writeln!(out, "affected: {v} is in {range}")?,
                Containment::NotAffected => writeln!(out, "not-affected: {v} is outside {range}")?,
                Containment::Unknown(why) => writeln!(out, "unknown: {why}")?,
            }
        }
        VersionsCmd::Scheme { vendor, product } => match scheme_for(vendor, product) {
            Some(s) => writeln!(out, "{s}")?,
            None => writeln!(
                out,
                "no known scheme: versions compare by equality only (opaque)"
            )?,
        },
    }
    Ok(Exit::Ok)
}
