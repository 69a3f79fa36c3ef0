//! Statements → affected products: each (product id, status) statement becomes an
//! [`AffectedProduct`] of the product it names, with its version read as a range under the
//! product's scheme.
//!
//! The scheme is chosen per (vendor, product) from every version string the tree gives that
//! product ([`choose_scheme`]), so all statements of one product compare alike. A version is an
//! exact version, unless it has an `x` / `*` wildcard segment (then `Unparsed`: nothing is
//! guessed); a range goes through [`spec_from_text`], and a `vers:` range names its own scheme.
//! Fixed versions — a vendor fix's version, a recommended product's version — are written as the
//! scheme reads them, so they compare with installed versions. Identical statements that differ
//! only in models are merged, so Mobotix' 644 "firmware on camera" ids become a handful.

use std::collections::HashMap;
use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::product_tree::{Product, Tree, Ver};
use super::status::Statements;
use crate::collect::formats::util::{
    named_scheme, normalize_version, versions_in_text, versions_scheme,
};
use crate::collect::formats::{choose_scheme, spec_from_text};
use crate::model::{normalize_name, AffectedProduct, ProductStatus, VersionSpec};
use crate::version::Scheme;

/// A product's (vendor, product) as the tree spells them; no vendor: the fallback vendor.
type Spelled<'t> = (Option<&'t str>, &'t str);

/// Who makes a product and which version scheme reads it.
pub(super) struct Naming<'t> {
    /// The vendor of a product no vendor branch names: the feed's default, else a vendor
    /// publisher, else the publisher.
    pub(super) fallback_vendor: String,
    default_scheme: Option<Scheme>,
    /// Every version string the tree gives each (vendor, product) family, normalized names as key.
    product_versions: FxHashMap<(String, String), Vec<&'t str>>,
    /// The scheme of each (vendor, product) of the tree as spelled there, chosen once: a
    /// product family's statements are many and its versions too, so choosing per statement
    /// parsed every version of the family again for each. Looked up with the product's own
    /// strings, so a statement's lookup allocates nothing.
    schemes: FxHashMap<Spelled<'t>, Scheme>,
}

impl<'t> Naming<'t> {
    pub(super) fn new(
        tree: &'t Tree<'_>,
        fallback_vendor: String,
        default_scheme: Option<Scheme>,
    ) -> Naming<'t> {
        // Each spelling's family (its names normalized, worked out once per spelling), and
        // every version string the tree gives each family.
        let mut family_of: FxHashMap<Spelled<'t>, usize> = FxHashMap::default();
        let mut families: FxHashMap<(String, String), usize> = FxHashMap::default();
        let mut versions: Vec<Vec<&'t str>> = Vec::new();
        for p in tree.products.values() {
            let i = *family_of.entry(spelled(p)).or_insert_with(|| {
                let vendor = p.vendor.unwrap_or(&fallback_vendor);
                let family = (normalize_name(vendor), normalize_name(&p.product));
                *families.entry(family).or_insert_with(|| {
                    versions.push(Vec::new());
                    versions.len() - 1
                })
            });
            match p.version {
                Ver::Version(v) => versions[i].push(v),
                Ver::Range(r) => versions[i].extend(versions_in_text(r)),
                Ver::None => {}
            }
        }
        // A family's versions are read only when no name decides its scheme, once per family.
        let mut by_versions: Vec<Option<Scheme>> = vec![None; versions.len()];
        let schemes = family_of
            .into_iter()
            .map(|(key, i)| {
                let vendor = key.0.unwrap_or(&fallback_vendor);
                let scheme = named_scheme(default_scheme, vendor, key.1).unwrap_or_else(|| {
                    *by_versions[i].get_or_insert_with(|| versions_scheme(&versions[i]))
                });
                (key, scheme)
            })
            .collect();
        let product_versions = families
            .into_iter()
            .map(|(family, i)| (family, std::mem::take(&mut versions[i])))
            .collect();
        Naming {
            fallback_vendor,
            default_scheme,
            product_versions,
            schemes,
        }
    }

    pub(super) fn vendor_of(&self, p: &Product) -> String {
        self.vendor_str(p).to_string()
    }

    fn vendor_str<'p>(&'p self, p: &'p Product) -> &'p str {
        p.vendor.unwrap_or(&self.fallback_vendor)
    }

    pub(super) fn scheme_of(&self, p: &Product) -> Scheme {
        if let Some(&scheme) = self.schemes.get(&spelled(p)) {
            return scheme;
        }
        // Every product of the tree was given its scheme in `new`; one from elsewhere is chosen
        // the same way.
        let (vendor, product) = (self.vendor_str(p), &*p.product);
        let family = (normalize_name(vendor), normalize_name(product));
        let versions = self
            .product_versions
            .get(&family)
            .map_or(&[][..], Vec::as_slice);
        choose_scheme(self.default_scheme, vendor, product, versions)
    }
}

/// A product's (vendor, product) as spelled.
fn spelled<'t>(p: &'t Product) -> Spelled<'t> {
    (p.vendor, &p.product)
}

/// The affected products of the advisory: one per statement (merged where only models differ),
/// then the recommended versions added as fixed versions.
pub(super) fn affected(
    tree: &Tree,
    naming: &Naming,
    statements: &Statements<'_>,
    fix_for: &HashMap<&str, Vec<String>>,
) -> Vec<AffectedProduct> {
    let mut affected = Merged::default();
    for &(pid, status) in &statements.list {
        // Every id was checked by `resolve` (6.1.1); `get` only avoids an index panic.
        let Some(p) = tree.products.get(pid) else {
            continue;
        };
        let (versions, scheme) = versions(p, naming.scheme_of(p));
        let exact = matches!(versions, VersionSpec::Exact(_));
        let mut models: Vec<String> = p.models.iter().map(|m| m.to_string()).collect();
        models.extend(p.on.iter().map(|m| m.to_string()));
        let fixed_in = if status == ProductStatus::Affected {
            fix_for
                .get(pid)
                .map(|v| v.iter().map(|f| normalize_version(scheme, f)).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        affected.push(AffectedProduct {
            vendor: naming.vendor_of(p),
            product: p.product.to_string(),
            models,
            component: None,
            scheme: Some(scheme),
            status,
            versions,
            fixed_in,
            identifiers: p.identifiers.iter().map(|i| i.to_string()).collect(),
            // A recommended product is a fixed statement of its exact version; it is also
            // kept as the vendor's recommendation (`recommend`).
            recommended: status == ProductStatus::Fixed
                && statements.recommended.contains(&pid)
                && exact,
        });
    }
    let mut affected = affected.list;
    add_recommended(&mut affected, tree, naming, &statements.recommended);
    affected
}

/// A product's version as a statement's versions, and the scheme the statement is read in: the
/// product's, unless a `vers:` range names another (the statement must agree with its range).
fn versions(p: &Product, scheme: Scheme) -> (VersionSpec, Scheme) {
    let versions = match &p.version {
        Ver::None => VersionSpec::All,
        Ver::Version(v) if wildcard_version(v) => VersionSpec::Unparsed(v.to_string()),
        Ver::Version(v) => VersionSpec::Exact(normalize_version(scheme, v)),
        Ver::Range(r) => spec_from_text(r, scheme),
    };
    let scheme = match &versions {
        VersionSpec::Range(r) => r.scheme().unwrap_or(scheme),
        _ => scheme,
    };
    (versions, scheme)
}

/// A recommended product's version is a fixed version for the same product's affected
/// statements.
fn add_recommended(
    affected: &mut [AffectedProduct],
    tree: &Tree,
    naming: &Naming,
    recommended: &[&str],
) {
    for pid in recommended {
        let Some(p) = tree.products.get(*pid) else {
            continue;
        };
        let Ver::Version(raw) = &p.version else {
            continue;
        };
        let v = &normalize_version(naming.scheme_of(p), raw);
        let (vk, pk) = (
            normalize_name(naming.vendor_str(p)),
            normalize_name(&p.product),
        );
        for st in affected.iter_mut().filter(|s| {
            s.status == ProductStatus::Affected
                && normalize_name(&s.vendor) == vk
                && normalize_name(&s.product) == pk
        }) {
            if !st.fixed_in.contains(v) {
                st.fixed_in.push(v.clone());
            }
        }
    }
}

fn wildcard_version(v: &str) -> bool {
    v.contains('*') || v.split('.').any(|seg| seg.eq_ignore_ascii_case("x"))
}

/// An advisory's statements, a statement that differs from an earlier one only in models merged
/// into it.
#[derive(Default)]
struct Merged {
    list: Vec<AffectedProduct>,
    /// Indexes into `list` by a hash of what must be the same (but a range's versions): a
    /// statement is compared with those alone (a tree of a thousand products, or of one product
    /// in a thousand versions, made this quadratic).
    by_key: FxHashMap<u64, Vec<usize>>,
}

impl Merged {
    /// Add a statement, or merge its models into an identical one (same everything but models).
    fn push(&mut self, st: AffectedProduct) {
        // The versions first: the rest is (nearly always) the same within a slot.
        let same = |a: &AffectedProduct| {
            a.versions == st.versions
                && a.vendor == st.vendor
                && a.product == st.product
                && a.status == st.status
                && a.scheme == st.scheme
                && a.fixed_in == st.fixed_in
                && a.identifiers == st.identifiers
                && a.recommended == st.recommended
                && a.models.is_empty() == st.models.is_empty()
        };
        // A range is left out of the key (it is compared in the slot), an exact version is not.
        let version = match &st.versions {
            VersionSpec::Exact(v) | VersionSpec::Unparsed(v) => Some(v),
            VersionSpec::Range(_) | VersionSpec::All => None,
        };
        let key = (
            (&st.vendor, &st.product, st.status, st.scheme),
            (std::mem::discriminant(&st.versions), version),
            (&st.fixed_in, &st.identifiers, st.recommended),
            st.models.is_empty(),
        );
        let slot = self.by_key.entry(FxBuildHasher.hash_one(key)).or_default();
        match slot.iter().find(|&&i| same(&self.list[i])) {
            Some(&i) => {
                let existing = &mut self.list[i];
                for m in st.models {
                    if !existing.models.contains(&m) {
                        existing.models.push(m);
                    }
                }
            }
            None => {
                slot.push(self.list.len());
                self.list.push(st);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_not_exact_versions() {
        assert!(wildcard_version("2.0.x"));
        assert!(wildcard_version("5.*"));
        assert!(!wildcard_version("MX-V4.0.1.15"));
    }

    fn statement(product: &str, models: &[&str], status: ProductStatus) -> AffectedProduct {
        AffectedProduct {
            vendor: "Mobotix".into(),
            product: product.into(),
            models: models.iter().map(|m| m.to_string()).collect(),
            component: None,
            scheme: Some(Scheme::Intdot),
            status,
            versions: VersionSpec::Exact("4.7.2".into()),
            fixed_in: vec![],
            identifiers: vec![],
            recommended: false,
        }
    }

    #[test]
    fn statements_that_differ_only_in_models_merge() {
        let mut merged = Merged::default();
        merged.push(statement("fw", &["M16"], ProductStatus::Affected));
        merged.push(statement("other", &["M16"], ProductStatus::Affected));
        merged.push(statement("fw", &["M26", "M16"], ProductStatus::Affected));
        merged.push(statement("fw", &["M16"], ProductStatus::Fixed));
        // A statement without models (every model) stays apart from one with models.
        merged.push(statement("fw", &[], ProductStatus::Affected));
        let out = merged.list;
        assert_eq!(out.len(), 4);
        assert_eq!(out[1].product, "other");
        let out: Vec<_> = out.into_iter().filter(|s| s.product == "fw").collect();
        assert_eq!(out[0].models, ["M16", "M26"]);
        assert_eq!(out[1].status, ProductStatus::Fixed);
        assert!(out[2].models.is_empty());
    }

    #[test]
    fn a_vers_range_names_the_scheme_of_its_statement() {
        let product = |version: Ver<'static>| Product {
            vendor: None,
            product: "p".into(),
            version,
            models: vec![],
            identifiers: vec![],
            on: vec![],
        };
        let (spec, scheme) = versions(&product(Ver::Range("vers:semver/<2.0.0")), Scheme::Intdot);
        assert!(matches!(spec, VersionSpec::Range(_)), "{spec:?}");
        assert_eq!(scheme, Scheme::Semver);
        let (spec, scheme) = versions(&product(Ver::Version("5.x")), Scheme::Intdot);
        assert_eq!(spec, VersionSpec::Unparsed("5.x".into()));
        assert_eq!(scheme, Scheme::Intdot);
        let (spec, _) = versions(&product(Ver::None), Scheme::Intdot);
        assert_eq!(spec, VersionSpec::All);
    }
}
