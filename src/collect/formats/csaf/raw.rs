//! The CSAF document as this parser reads it: lenient serde structs, every member optional or
//! defaulted, unknown members ignored, key order irrelevant. Real provider data breaks the strict
//! schema (see the parent module), so nothing is rejected here; the stages that read these
//! structs decide what a missing or odd value means.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawCsaf {
    pub(super) document: Option<RawDocument>,
    pub(super) product_tree: RawTree,
    pub(super) vulnerabilities: Vec<RawVuln>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawDocument {
    /// `csaf_base`, `csaf_security_advisory`, `csaf_informational_advisory`, `csaf_vex`, and in
    /// 2.1 `csaf_withdrawn` and `csaf_superseded`.
    pub(super) category: String,
    pub(super) csaf_version: String,
    pub(super) title: String,
    pub(super) notes: Vec<RawNote>,
    pub(super) references: Vec<RawRef>,
    pub(super) aggregate_severity: Option<RawText>,
    pub(super) publisher: RawPublisher,
    pub(super) distribution: RawDistribution,
    pub(super) tracking: Option<RawTracking>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawNote {
    pub(super) category: String,
    pub(super) text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRef {
    pub(super) url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawText {
    pub(super) text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawPublisher {
    pub(super) category: String,
    pub(super) name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawDistribution {
    pub(super) tlp: Option<RawTlp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawTlp {
    pub(super) label: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawTracking {
    pub(super) id: String,
    pub(super) initial_release_date: String,
    pub(super) current_release_date: String,
    pub(super) aliases: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawTree {
    pub(super) branches: Vec<RawBranch>,
    pub(super) full_product_names: Vec<RawFpn>,
    pub(super) product_groups: Vec<RawGroup>,
    pub(super) relationships: Vec<RawRelationship>,
    pub(super) product_paths: Vec<RawPath>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawBranch {
    pub(super) category: String,
    pub(super) name: String,
    pub(super) branches: Vec<RawBranch>,
    pub(super) product: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawFpn {
    pub(super) name: String,
    pub(super) product_id: String,
    pub(super) product_identification_helper: Option<RawHelper>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawHelper {
    pub(super) cpe: Option<String>,
    pub(super) purl: Option<String>,
    pub(super) purls: Vec<String>,
    pub(super) model_numbers: Vec<String>,
    pub(super) skus: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawGroup {
    pub(super) group_id: String,
    pub(super) product_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRelationship {
    pub(super) product_reference: String,
    pub(super) relates_to_product_reference: String,
    pub(super) full_product_name: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawPath {
    pub(super) beginning_product_reference: String,
    pub(super) subpaths: Vec<RawSubpath>,
    pub(super) full_product_name: Option<RawFpn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawSubpath {
    pub(super) next_product_reference: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawVuln {
    pub(super) cve: Option<String>,
    /// CSAF 2.0: one weakness.
    pub(super) cwe: Option<RawCwe>,
    /// CSAF 2.1: a list.
    pub(super) cwes: Vec<RawCwe>,
    pub(super) notes: Vec<RawNote>,
    pub(super) product_status: RawStatus,
    pub(super) remediations: Vec<RawRemediation>,
    pub(super) scores: Vec<RawScore>,
    pub(super) metrics: Vec<RawMetric>,
    pub(super) references: Vec<RawRef>,
    pub(super) threats: Vec<RawIds>,
    pub(super) flags: Vec<RawIds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawCwe {
    pub(super) id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawStatus {
    pub(super) first_affected: Vec<String>,
    pub(super) known_affected: Vec<String>,
    pub(super) last_affected: Vec<String>,
    pub(super) known_not_affected: Vec<String>,
    pub(super) first_fixed: Vec<String>,
    pub(super) fixed: Vec<String>,
    pub(super) recommended: Vec<String>,
    pub(super) under_investigation: Vec<String>,
    /// CSAF 2.1.
    pub(super) unknown: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRemediation {
    pub(super) category: String,
    pub(super) details: String,
    pub(super) product_ids: Vec<String>,
    pub(super) group_ids: Vec<String>,
    pub(super) url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawIds {
    pub(super) product_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawScore {
    pub(super) products: Vec<String>,
    pub(super) cvss_v2: Option<RawCvss>,
    pub(super) cvss_v3: Option<RawCvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawMetric {
    pub(super) products: Vec<String>,
    pub(super) content: RawMetricContent,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawMetricContent {
    pub(super) cvss_v2: Option<RawCvss>,
    pub(super) cvss_v3: Option<RawCvss>,
    pub(super) cvss_v4: Option<RawCvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawCvss {
    pub(super) version: Option<String>,
    pub(super) vector_string: Option<String>,
    pub(super) base_score: Option<f64>,
}
