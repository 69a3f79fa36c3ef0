//! The CSAF document as this parser reads it: lenient serde structs, every member optional or
//! defaulted, unknown members ignored, key order irrelevant. Real provider data breaks the strict
//! schema (see the parent module), so nothing is rejected here; the stages that read these
//! structs decide what a missing or odd value means. Strings are [`Text`]: borrowed from the
//! document's bytes, so reading a large product tree does not allocate each id and name.

use serde::Deserialize;

use crate::collect::formats::util::Text;

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawCsaf<'a> {
    pub(super) document: Option<RawDocument<'a>>,
    pub(super) product_tree: RawTree<'a>,
    pub(super) vulnerabilities: Vec<RawVuln<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawDocument<'a> {
    /// `csaf_base`, `csaf_security_advisory`, `csaf_informational_advisory`, `csaf_vex`, and in
    /// 2.1 `csaf_withdrawn` and `csaf_superseded`.
    pub(super) category: Text<'a>,
    pub(super) csaf_version: Text<'a>,
    pub(super) title: Text<'a>,
    pub(super) notes: Vec<RawNote<'a>>,
    pub(super) references: Vec<RawRef<'a>>,
    pub(super) aggregate_severity: Option<RawText<'a>>,
    pub(super) publisher: RawPublisher<'a>,
    pub(super) distribution: RawDistribution<'a>,
    pub(super) tracking: Option<RawTracking<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawNote<'a> {
    pub(super) category: Text<'a>,
    pub(super) text: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawRef<'a> {
    pub(super) url: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawText<'a> {
    pub(super) text: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawPublisher<'a> {
    pub(super) category: Text<'a>,
    pub(super) name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawDistribution<'a> {
    pub(super) tlp: Option<RawTlp<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawTlp<'a> {
    pub(super) label: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawTracking<'a> {
    pub(super) id: Text<'a>,
    pub(super) initial_release_date: Text<'a>,
    pub(super) current_release_date: Text<'a>,
    pub(super) aliases: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawTree<'a> {
    pub(super) branches: Vec<RawBranch<'a>>,
    pub(super) full_product_names: Vec<RawFpn<'a>>,
    pub(super) product_groups: Vec<RawGroup<'a>>,
    pub(super) relationships: Vec<RawRelationship<'a>>,
    pub(super) product_paths: Vec<RawPath<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawBranch<'a> {
    pub(super) category: Text<'a>,
    pub(super) name: Text<'a>,
    pub(super) branches: Vec<RawBranch<'a>>,
    pub(super) product: Option<RawFpn<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawFpn<'a> {
    pub(super) name: Text<'a>,
    pub(super) product_id: Text<'a>,
    pub(super) product_identification_helper: Option<RawHelper<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawHelper<'a> {
    pub(super) cpe: Option<Text<'a>>,
    pub(super) purl: Option<Text<'a>>,
    pub(super) purls: Vec<Text<'a>>,
    pub(super) model_numbers: Vec<Text<'a>>,
    pub(super) skus: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawGroup<'a> {
    pub(super) group_id: Text<'a>,
    pub(super) product_ids: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawRelationship<'a> {
    pub(super) product_reference: Text<'a>,
    pub(super) relates_to_product_reference: Text<'a>,
    pub(super) full_product_name: Option<RawFpn<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawPath<'a> {
    pub(super) beginning_product_reference: Text<'a>,
    pub(super) subpaths: Vec<RawSubpath<'a>>,
    pub(super) full_product_name: Option<RawFpn<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawSubpath<'a> {
    pub(super) next_product_reference: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawVuln<'a> {
    pub(super) cve: Option<Text<'a>>,
    /// CSAF 2.0: one weakness.
    pub(super) cwe: Option<RawCwe<'a>>,
    /// CSAF 2.1: a list.
    pub(super) cwes: Vec<RawCwe<'a>>,
    pub(super) notes: Vec<RawNote<'a>>,
    pub(super) product_status: RawStatus<'a>,
    pub(super) remediations: Vec<RawRemediation<'a>>,
    pub(super) scores: Vec<RawScore<'a>>,
    pub(super) metrics: Vec<RawMetric<'a>>,
    pub(super) references: Vec<RawRef<'a>>,
    pub(super) threats: Vec<RawIds<'a>>,
    pub(super) flags: Vec<RawIds<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawCwe<'a> {
    pub(super) id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawStatus<'a> {
    pub(super) first_affected: Vec<Text<'a>>,
    pub(super) known_affected: Vec<Text<'a>>,
    pub(super) last_affected: Vec<Text<'a>>,
    pub(super) known_not_affected: Vec<Text<'a>>,
    pub(super) first_fixed: Vec<Text<'a>>,
    pub(super) fixed: Vec<Text<'a>>,
    pub(super) recommended: Vec<Text<'a>>,
    pub(super) under_investigation: Vec<Text<'a>>,
    /// CSAF 2.1.
    pub(super) unknown: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawRemediation<'a> {
    pub(super) category: Text<'a>,
    pub(super) details: Text<'a>,
    pub(super) product_ids: Vec<Text<'a>>,
    pub(super) group_ids: Vec<Text<'a>>,
    pub(super) url: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawIds<'a> {
    pub(super) product_ids: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawScore<'a> {
    pub(super) products: Vec<Text<'a>>,
    pub(super) cvss_v2: Option<RawCvss<'a>>,
    pub(super) cvss_v3: Option<RawCvss<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawMetric<'a> {
    pub(super) products: Vec<Text<'a>>,
    pub(super) content: RawMetricContent<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct RawMetricContent<'a> {
    pub(super) cvss_v2: Option<RawCvss<'a>>,
    pub(super) cvss_v3: Option<RawCvss<'a>>,
    pub(super) cvss_v4: Option<RawCvss<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
pub(super) struct RawCvss<'a> {
    pub(super) version: Option<Text<'a>>,
    pub(super) vector_string: Option<Text<'a>>,
    pub(super) base_score: Option<f64>,
}
