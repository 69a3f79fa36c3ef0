//! Product tree flattening: every product id of `product_tree` becomes one [`Product`] — vendor,
//! product name, version or range, models, identifiers, and the hardware it sits on.
//!
//! Branches are walked depth-first (depth capped at [`MAX_BRANCH_DEPTH`]), each level adding
//! what its category says; relationships and product paths then combine defined products,
//! repeatedly, because they may reference each other in any order. The tests that concern the
//! tree alone run here: 6.1.1 for the tree's own references, 6.1.31 and 6.1.50 (rejecting) and
//! 6.2.18 / 6.2.49 (warnings) for version names.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::raw::{RawBranch, RawFpn, RawHelper, RawTree};
use super::CsafWarning;
use crate::collect::formats::{FormatError, MAX_BRANCH_DEPTH};
use crate::version::{Comparator, VersRange};

/// What the tree says about a product's version.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ver<'a> {
    None,
    Version(&'a str),
    Range(&'a str),
}

/// One product id of the tree, flattened: everything the branches above it said, borrowed from
/// the document (a product name with extra branch names is the one string written out).
#[derive(Debug, Clone)]
pub(super) struct Product<'a> {
    pub(super) vendor: Option<&'a str>,
    pub(super) product: Cow<'a, str>,
    pub(super) version: Ver<'a>,
    pub(super) models: Vec<&'a str>,
    pub(super) identifiers: Vec<&'a str>,
    /// Models (or names) of the hardware this product is installed on / a component of.
    pub(super) on: Vec<Cow<'a, str>>,
}

/// The product tree resolved: every product id, every group, and the warnings of the tests
/// that do not reject a document.
pub(super) struct Tree<'a> {
    pub(super) products: FxHashMap<&'a str, Product<'a>>,
    pub(super) groups: FxHashMap<&'a str, Vec<&'a str>>,
    pub(super) warnings: Vec<CsafWarning>,
}

const RANGE_WORDS: [&str; 7] = [
    "after", "all", "before", "earlier", "later", "prior", "versions",
];

/// Test 6.1.31's word list, matched on whole words separated by white space (a substring match
/// would flag names like "Install Base", and a release named "after-eight" is one word, a version
/// name, not a range); parentheses and commas around a word do not join it to another.
fn looks_like_range(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.contains('<')
        || lower.contains('>')
        || lower
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| "(),;:.".contains(c)))
            .any(|w| RANGE_WORDS.contains(&w))
}

/// vers (canonical) or vls (`<=2`, `>=5.3|<=6.4`: comparator + version, no spaces) — 6.1.50.
fn is_vers_or_vls(name: &str) -> bool {
    if name.starts_with("vers:") {
        return VersRange::parse(name).is_ok();
    }
    !name.is_empty()
        && name.split('|').all(|part| {
            let v = part.trim_start_matches(['<', '>', '=', '!']);
            !v.is_empty() && !v.contains(|c: char| c.is_whitespace() || "<>=!|".contains(c))
        })
}

/// What the branches above a point of the tree said, borrowed from the document.
#[derive(Clone, Default)]
struct Walk<'a> {
    vendor: Option<&'a str>,
    family: Option<&'a str>,
    name: Option<&'a str>,
    extras: Vec<&'a str>,
    version: Option<&'a str>,
    range: Option<&'a str>,
    /// The branch categories on the path so far (tests 6.1.57, 6.1.58).
    seen: Vec<&'a str>,
}

/// A JSON path into the product tree, written out only when a message needs it (walking a large
/// tree would otherwise format a path for every branch).
#[derive(Clone, Copy)]
enum At<'p> {
    Root(&'static str),
    Index(&'p At<'p>, usize),
    Field(&'p At<'p>, &'static str),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(s) => f.write_str(s),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
        }
    }
}

struct Walker<'l, 'a> {
    location: &'l str,
    is_21: bool,
    tree: Tree<'a>,
}

impl<'a> Walker<'_, 'a> {
    fn walk(
        &mut self,
        branches: &'a [RawBranch<'a>],
        state: &Walk<'a>,
        depth: usize,
        path: &At<'_>,
    ) -> Result<(), FormatError> {
        if depth > MAX_BRANCH_DEPTH {
            return Err(FormatError::TooDeep {
                location: self.location.to_string(),
                path: path.to_string(),
                limit: MAX_BRANCH_DEPTH,
            });
        }
        for (i, b) in branches.iter().enumerate() {
            let bpath = At::Index(path, i);
            let name = b.name.trim();
            let mut s = state.clone();
            self.one_category_per_path(&s, &b.category, &bpath)?;
            s.seen.push(b.category.as_str());
            match b.category.as_str() {
                "vendor" => s.vendor = Some(name),
                "product_family" => s.family = Some(name),
                "product_name" => s.name = Some(name),
                "product_version" => {
                    if name.starts_with("vers:") {
                        self.tree.warnings.push(CsafWarning {
                            rule: "6.1.31",
                            path: At::Field(&bpath, "name").to_string(),
                            message: format!(
                                "product_version `{name}` is a vers range; read as product_version_range"
                            ),
                        });
                        s.range = Some(name);
                    } else if looks_like_range(name) {
                        return Err(FormatError::CsafRule {
                            location: self.location.to_string(),
                            rule: "6.1.31",
                            message: format!(
                                "product_version `{name}` at {bpath}.name contains a version range"
                            ),
                        });
                    } else {
                        s.version = Some(name);
                    }
                }
                "product_version_range" => {
                    self.check_range_name(name, &At::Field(&bpath, "name"))?;
                    s.range = Some(name);
                }
                "service_pack" | "patch_level" if s.version.is_some() => s.version = Some(name),
                _ => {
                    if !name.is_empty() {
                        s.extras.push(name);
                    }
                }
            }
            if let Some(p) = &b.product {
                self.one_star(p, &At::Field(&bpath, "product"))?;
                let name = s.name.or(s.family).unwrap_or_else(|| p.name.trim());
                let product = match s.extras.is_empty() {
                    true => Cow::Borrowed(name),
                    false => Cow::Owned(
                        std::iter::once(name)
                            .chain(s.extras.iter().copied())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                };
                let version = match (s.version, s.range) {
                    (Some(v), _) => Ver::Version(v),
                    (None, Some(r)) => Ver::Range(r),
                    (None, None) => Ver::None,
                };
                define(&mut self.tree, p, s.vendor, product, version);
            }
            self.walk(&b.branches, &s, depth + 1, &At::Field(&bpath, "branches"))?;
        }
        Ok(())
    }

    /// Tests 6.1.57 and 6.1.58: along one path a branch category other than `product_family` is
    /// used once, and a version and a version range are not both given — otherwise which one a
    /// product has would be decided by whichever came last.
    fn one_category_per_path(
        &self,
        s: &Walk<'_>,
        category: &str,
        path: &At<'_>,
    ) -> Result<(), FormatError> {
        let rule = |rule: &'static str, message: String| FormatError::CsafRule {
            location: self.location.to_string(),
            rule,
            message,
        };
        if category != "product_family" && s.seen.contains(&category) {
            return Err(rule(
                "6.1.57",
                format!("branch category `{category}` at {path} is already used on its path"),
            ));
        }
        let other = match category {
            "product_version" => "product_version_range",
            "product_version_range" => "product_version",
            _ => return Ok(()),
        };
        if s.seen.contains(&other) {
            return Err(rule(
                "6.1.58",
                format!("{category} at {path} follows a {other} on the same path"),
            ));
        }
        Ok(())
    }

    /// Tests 6.1.43 and 6.1.61 (CSAF 2.1): a model number or SKU holds at most one unescaped `*`
    /// (its one wildcard); with two, which models it names is not defined.
    fn one_star(&self, p: &RawFpn<'_>, path: &At<'_>) -> Result<(), FormatError> {
        if !self.is_21 {
            return Ok(());
        }
        let Some(h) = &p.product_identification_helper else {
            return Ok(());
        };
        for (rule, key, values) in [
            ("6.1.43", "model_numbers", &h.model_numbers),
            ("6.1.61", "skus", &h.skus),
        ] {
            if let Some((i, v)) = values
                .iter()
                .enumerate()
                .find(|(_, v)| unescaped_stars(v) > 1)
            {
                return Err(FormatError::CsafRule {
                    location: self.location.to_string(),
                    rule,
                    message: format!(
                        "{key} `{v}` at {path}.product_identification_helper.{key}[{i}] has more than one unescaped `*`"
                    ),
                });
            }
        }
        Ok(())
    }

    fn check_range_name(&mut self, name: &str, path: &At<'_>) -> Result<(), FormatError> {
        if self.is_21 {
            if !is_vers_or_vls(name) {
                return Err(FormatError::CsafRule {
                    location: self.location.to_string(),
                    rule: "6.1.50",
                    message: format!(
                        "product_version_range `{name}` at {path} is neither a vers string nor vls"
                    ),
                });
            }
            // 6.1.59: one version written as a range (`vers:intdot/4.2.0`) belongs in
            // `product_version`.
            if let Ok(r) = VersRange::parse(name) {
                if !r.is_star()
                    && r.constraints().len() == 1
                    && r.constraints()[0].comparator == Comparator::Eq
                {
                    return Err(FormatError::CsafRule {
                        location: self.location.to_string(),
                        rule: "6.1.59",
                        message: format!(
                            "product_version_range `{name}` at {path} is a single version, not a range"
                        ),
                    });
                }
            }
            // 6.2.49: upper-open ranges (`vers:intdot/>=4.2.0`) are suspicious but precise.
            if let Ok(r) = VersRange::parse(name) {
                let open = !r.is_star()
                    && r.constraints()
                        .last()
                        .is_some_and(|c| matches!(c.comparator, Comparator::Gt | Comparator::Ge));
                if open {
                    self.tree.warnings.push(CsafWarning {
                        rule: "6.2.49",
                        path: path.to_string(),
                        message: format!("product_version_range `{name}` has no upper bound"),
                    });
                }
            }
        } else if !name.starts_with("vers:") {
            self.tree.warnings.push(CsafWarning {
                rule: "6.2.18",
                path: path.to_string(),
                message: format!("product_version_range `{name}` is not in vers form"),
            });
        }
        Ok(())
    }
}

/// `*` not preceded by a backslash (`\\*` is a literal star).
fn unescaped_stars(s: &str) -> usize {
    s.replace("\\*", "").matches('*').count()
}

fn helper_parts<'a>(h: Option<&'a RawHelper<'a>>) -> (Vec<&'a str>, Vec<&'a str>) {
    let Some(h) = h else {
        return (Vec::new(), Vec::new());
    };
    let models = h
        .model_numbers
        .iter()
        .chain(&h.skus)
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .collect();
    let identifiers = h
        .cpe
        .iter()
        .chain(&h.purl)
        .chain(&h.purls)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (models, identifiers)
}

fn define<'a>(
    tree: &mut Tree<'a>,
    p: &'a RawFpn<'a>,
    vendor: Option<&'a str>,
    product: Cow<'a, str>,
    version: Ver<'a>,
) {
    let (models, identifiers) = helper_parts(p.product_identification_helper.as_ref());
    tree.products.insert(
        p.product_id.as_str(),
        Product {
            vendor,
            product,
            version,
            models,
            identifiers,
            on: Vec::new(),
        },
    );
}

fn hardware_models<'a>(p: &Product<'a>) -> Vec<Cow<'a, str>> {
    if !p.models.is_empty() {
        p.models.iter().map(|&m| Cow::Borrowed(m)).collect()
    } else {
        vec![p.product.clone()]
    }
}

pub(super) fn rule_611(location: &str, id: &str, path: &str) -> FormatError {
    FormatError::CsafRule {
        location: location.to_string(),
        rule: "6.1.1",
        message: format!(
            "product id `{id}` referenced at {path} is not defined in the product tree"
        ),
    }
}

/// A relationship / product path waiting for its references to be defined.
struct Combination<'a> {
    component: &'a str,
    hosts: Vec<&'a str>,
    fpn: &'a RawFpn<'a>,
    path: String,
}

/// Flatten the product tree of a CSAF 2.0 or (`is_21`) 2.1 document: walk the branches, define
/// the full product names, resolve relationships and product paths, check the groups. A
/// reference to an id the tree does not define fails test 6.1.1.
/// Tests 6.1.2 and 6.1.5: every product id and every product group id is defined once. A second
/// definition would otherwise replace the first silently ("last one wins"), and what the first
/// named could no longer be matched. Returns how many product ids the tree defines.
fn unique_ids(pt: &RawTree<'_>, location: &str) -> Result<usize, FormatError> {
    // Nearly every tree passes: checked without the paths first, written only to say where.
    let unique = |list: Ids<'_>| {
        let mut seen = FxHashSet::with_capacity_and_hasher(list.len(), Default::default());
        list.into_iter().all(|(id, _)| seen.insert(id))
    };
    let products = product_ids(pt, false);
    let n = products.len();
    if unique(products) && unique(group_ids(pt, false)) {
        return Ok(n);
    }
    for (rule, what, list) in [
        ("6.1.2", "product id", product_ids(pt, true)),
        ("6.1.5", "product group id", group_ids(pt, true)),
    ] {
        let mut first: HashMap<&str, Option<String>> = HashMap::new();
        for (id, path) in list {
            if let Some(earlier) = first.insert(id, path.clone()) {
                let (earlier, path) = (earlier.unwrap_or_default(), path.unwrap_or_default());
                return Err(FormatError::CsafRule {
                    location: location.to_string(),
                    rule,
                    message: format!("{what} `{id}` is defined at {earlier} and again at {path}"),
                });
            }
        }
    }
    Ok(n)
}

/// Ids the tree defines, in document order, each with its JSON path when asked for.
type Ids<'a> = Vec<(&'a str, Option<String>)>;

/// Every product id the tree defines: in its branches, full product names, relationships and
/// product paths.
fn product_ids<'a>(pt: &'a RawTree<'_>, paths: bool) -> Ids<'a> {
    fn branches<'a>(bs: &'a [RawBranch<'_>], path: Option<&str>, out: &mut Ids<'a>) {
        for (i, b) in bs.iter().enumerate() {
            let p = path.map(|path| format!("{path}[{i}]"));
            if let Some(fpn) = &b.product {
                let at = p.as_ref().map(|p| format!("{p}.product.product_id"));
                out.push((&fpn.product_id, at));
            }
            let below = p.map(|p| format!("{p}.branches"));
            branches(&b.branches, below.as_deref(), out);
        }
    }
    let root = paths.then_some("$.product_tree.branches");
    let mut ids = Vec::new();
    branches(&pt.branches, root, &mut ids);
    for (i, f) in pt.full_product_names.iter().enumerate() {
        let at = paths.then(|| format!("$.product_tree.full_product_names[{i}].product_id"));
        ids.push((f.product_id.as_str(), at));
    }
    let combined = |list: &str, i: usize| {
        paths.then(|| format!("$.product_tree.{list}[{i}].full_product_name.product_id"))
    };
    for (i, r) in pt.relationships.iter().enumerate() {
        if let Some(f) = &r.full_product_name {
            ids.push((f.product_id.as_str(), combined("relationships", i)));
        }
    }
    for (i, p) in pt.product_paths.iter().enumerate() {
        if let Some(f) = &p.full_product_name {
            ids.push((f.product_id.as_str(), combined("product_paths", i)));
        }
    }
    ids
}

/// Every product group id the tree defines.
fn group_ids<'a>(pt: &'a RawTree<'_>, paths: bool) -> Ids<'a> {
    let groups = pt.product_groups.iter().enumerate();
    groups
        .map(|(i, g)| {
            let at = paths.then(|| format!("$.product_tree.product_groups[{i}].group_id"));
            (g.group_id.as_str(), at)
        })
        .collect()
}

pub(super) fn resolve<'a>(
    pt: &'a RawTree<'a>,
    is_21: bool,
    location: &str,
) -> Result<Tree<'a>, FormatError> {
    let n = unique_ids(pt, location)?;
    let mut walker = Walker {
        location,
        is_21,
        tree: Tree {
            products: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            groups: FxHashMap::with_capacity_and_hasher(
                pt.product_groups.len(),
                Default::default(),
            ),
            warnings: Vec::new(),
        },
    };
    let root = At::Root("$.product_tree");
    walker.walk(
        &pt.branches,
        &Walk::default(),
        1,
        &At::Field(&root, "branches"),
    )?;
    let names = At::Field(&root, "full_product_names");
    for (i, p) in pt.full_product_names.iter().enumerate() {
        walker.one_star(p, &At::Index(&names, i))?;
    }
    let relationships = At::Field(&root, "relationships");
    for (i, r) in pt.relationships.iter().enumerate() {
        if let Some(p) = &r.full_product_name {
            let at = At::Index(&relationships, i);
            walker.one_star(p, &At::Field(&at, "full_product_name"))?;
        }
    }
    let paths = At::Field(&root, "product_paths");
    for (i, r) in pt.product_paths.iter().enumerate() {
        if let Some(p) = &r.full_product_name {
            let at = At::Index(&paths, i);
            walker.one_star(p, &At::Field(&at, "full_product_name"))?;
        }
    }
    let mut tree = walker.tree;
    for p in &pt.full_product_names {
        define(&mut tree, p, None, Cow::Borrowed(p.name.trim()), Ver::None);
    }
    // Relationships and product paths may reference each other: resolve until no progress.
    let mut pending: Vec<Combination<'_>> = Vec::new();
    for (i, r) in pt.relationships.iter().enumerate() {
        if let Some(fpn) = &r.full_product_name {
            pending.push(Combination {
                component: &r.product_reference,
                hosts: vec![&r.relates_to_product_reference],
                fpn,
                path: format!("$.product_tree.relationships[{i}]"),
            });
        }
    }
    for (i, p) in pt.product_paths.iter().enumerate() {
        if let Some(fpn) = &p.full_product_name {
            pending.push(Combination {
                component: &p.beginning_product_reference,
                hosts: p
                    .subpaths
                    .iter()
                    .map(|s| s.next_product_reference.as_str())
                    .collect(),
                fpn,
                path: format!("$.product_tree.product_paths[{i}]"),
            });
        }
    }
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for c in pending {
            let ready = tree.products.contains_key(c.component)
                && c.hosts.iter().all(|h| tree.products.contains_key(*h));
            if !ready {
                rest.push(c);
                continue;
            }
            let Some(mut combined) = tree.products.get(c.component).cloned() else {
                continue;
            };
            for h in &c.hosts {
                if let Some(hw) = tree.products.get(*h) {
                    combined.on.extend(hardware_models(hw));
                }
            }
            let (models, identifiers) = helper_parts(c.fpn.product_identification_helper.as_ref());
            combined.on.extend(models.into_iter().map(Cow::Borrowed));
            combined.identifiers.extend(identifiers);
            tree.products.insert(c.fpn.product_id.as_str(), combined);
        }
        if rest.len() == before {
            let c = &rest[0];
            let missing = std::iter::once(&c.component)
                .chain(&c.hosts)
                .find(|id| !tree.products.contains_key(**id))
                .copied()
                .unwrap_or(c.component);
            return Err(rule_611(location, missing, &c.path));
        }
        pending = rest;
    }
    for (i, g) in pt.product_groups.iter().enumerate() {
        for id in &g.product_ids {
            if !tree.products.contains_key(id.as_str()) {
                return Err(rule_611(
                    location,
                    id,
                    &format!("$.product_tree.product_groups[{i}]"),
                ));
            }
        }
        let ids = g.product_ids.iter().map(|id| id.as_str()).collect();
        tree.groups.insert(g.group_id.as_str(), ids);
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_detection() {
        assert!(looks_like_range("prior to 4.2"));
        assert!(looks_like_range("<4.2"));
        assert!(!looks_like_range("MX-V4.0.1.15"));
        assert!(!looks_like_range("install base 2"));
        assert!(is_vers_or_vls("<=2"));
        assert!(is_vers_or_vls(">10.9a|!=10.9c|<=10.9k"));
        assert!(is_vers_or_vls("vers:intdot/>=4.2.0"));
        assert!(!is_vers_or_vls("all versions < 4.2.0"));
        assert!(!is_vers_or_vls("vers:all/<V7.0.3"));
    }

    /// The document and its raw tree are leaked: the resolved tree borrows them (a few hundred
    /// bytes per test).
    fn tree(json: &str) -> Result<Tree<'static>, FormatError> {
        let raw: &'static RawTree<'static> = Box::leak(Box::new(
            serde_json::from_str(json.to_string().leak()).unwrap(),
        ));
        resolve(raw, false, "t.json")
    }

    #[test]
    fn branches_flatten_into_one_product_per_id() {
        let t = tree(
            r#"{"branches": [{"category": "vendor", "name": "ACME", "branches": [
                {"category": "product_name", "name": "Array", "branches": [
                    {"category": "product_version", "name": "5.3", "branches": [
                        {"category": "patch_level", "name": "5.3P1",
                         "product": {"product_id": "P1", "name": "ACME Array 5.3P1"}}]},
                    {"category": "product_version_range", "name": "vers:intdot/<5.3",
                     "product": {"product_id": "P0", "name": "ACME Array < 5.3",
                                 "product_identification_helper": {"model_numbers": ["A1"]}}}]}]}]}"#,
        )
        .unwrap();
        let p1 = &t.products["P1"];
        assert_eq!(p1.vendor, Some("ACME"));
        assert_eq!(p1.product, "Array");
        assert_eq!(p1.version, Ver::Version("5.3P1"));
        let p0 = &t.products["P0"];
        assert_eq!(p0.version, Ver::Range("vers:intdot/<5.3"));
        assert_eq!(p0.models, ["A1"]);
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn messages_name_the_json_path_of_what_they_are_about() {
        let nested = r#"{"branches": [{"category": "vendor", "name": "ACME", "branches": [
            {"category": "product_name", "name": "A",
             "product": {"product_id": "P1", "name": "A"}},
            {"category": "product_name", "name": "B", "branches": [
                {"category": "product_name", "name": "C",
                 "product": {"product_id": "P2", "name": "C"}}]}]}],
            "full_product_names": [{"product_id": "P1", "name": "again"}]}"#;
        let err = tree(nested).err().unwrap().to_string();
        assert!(
            err.contains("`P1` is defined at $.product_tree.branches[0].branches[0].product.product_id and again at $.product_tree.full_product_names[0].product_id"),
            "{err}"
        );
        let err = tree(&nested.replace(
            r#""product_id": "P1", "name": "again""#,
            r#""product_id": "P3", "name": "x""#,
        ))
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("`product_name` at $.product_tree.branches[0].branches[1].branches[0] is already used"),
            "{err}"
        );
        let t = tree(
            r#"{"branches": [{"category": "product_version_range", "name": "<5",
            "product": {"product_id": "P1", "name": "x"}}]}"#,
        )
        .unwrap();
        assert_eq!(t.warnings[0].path, "$.product_tree.branches[0].name");
    }

    #[test]
    fn combinations_resolve_in_any_order_and_name_what_is_missing() {
        // The relationship names a product the product path defines after it.
        let combined = r#"{
            "full_product_names": [{"product_id": "FW", "name": "Firmware 4.7"},
                                   {"product_id": "CAM", "name": "Camera",
                                    "product_identification_helper": {"model_numbers": ["M16"]}}],
            "relationships": [{"product_reference": "FW-ON-CAM", "relates_to_product_reference": "CAM",
                               "full_product_name": {"product_id": "BOTH", "name": "x"}}],
            "product_paths": [{"beginning_product_reference": "FW",
                               "subpaths": [{"next_product_reference": "CAM"}],
                               "full_product_name": {"product_id": "FW-ON-CAM", "name": "y"}}]}"#;
        let t = tree(combined).unwrap();
        assert_eq!(t.products["FW-ON-CAM"].product, "Firmware 4.7");
        assert_eq!(t.products["FW-ON-CAM"].on, ["M16"]);
        assert_eq!(t.products["BOTH"].on, ["M16", "M16"]);
        let err = tree(&combined.replace(
            r#""relates_to_product_reference": "CAM""#,
            r#""relates_to_product_reference": "NONE""#,
        ))
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .contains("product id `NONE` referenced at $.product_tree.relationships[0]"),
            "{err}"
        );
    }
}
