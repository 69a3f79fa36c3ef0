//! CISA's Known Exploited Vulnerabilities catalog (`known_exploited_vulnerabilities.json`).
//!
//! The catalog is not a set of advisories: it names CVEs that attackers use, with the vendor
//! project, the product, the day CISA added each and whether it is known in ransomware campaigns,
//! but no versions. Each entry becomes a record of source format `kev` with that CVE id, its
//! texts and its [`Exploited`] signal and no product statements, so it matches nothing by itself;
//! `pipeline::prepare` joins the signal into the advisories of the same id (or alias) from the
//! other feeds, and the rating treats a known-exploited weakness as firing now.

use chrono::NaiveDate;
use serde::Deserialize;

use super::util::{invalid, parse_json};
use super::{DocContext, FormatError};
use crate::model::{Advisory, AdvisoryId, Exploited, Source};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    vulnerability_name: String,
    date_added: String,
    short_description: String,
    required_action: String,
    known_ransomware_campaign_use: String,
    cwes: Vec<String>,
}

pub(crate) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Vec<Advisory>, FormatError> {
    let location = ctx.location;
    let raw: RawCatalog = parse_json(bytes, location)?;
    let mut out = Vec::with_capacity(raw.vulnerabilities.len());
    for (i, e) in raw.vulnerabilities.into_iter().enumerate() {
        let path = format!("$.vulnerabilities[{i}]");
        let id: AdvisoryId = e.cve_id.parse().map_err(|err: crate::model::IdError| {
            invalid(location, format!("{path}.cveID"), err.to_string())
        })?;
        if !id.is_cve() {
            return Err(invalid(
                location,
                format!("{path}.cveID"),
                format!("`{id}` is not a CVE id"),
            ));
        }
        let added = match e.date_added.trim() {
            "" => None,
            d => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                invalid(
                    location,
                    format!("{path}.dateAdded"),
                    format!("`{d}` is not a date (YYYY-MM-DD)"),
                )
            })?),
        };
        let title = if e.vulnerability_name.trim().is_empty() {
            id.to_string()
        } else {
            e.vulnerability_name.trim().to_string()
        };
        let mut summary = e.short_description.trim().to_string();
        if !e.required_action.trim().is_empty() {
            summary.push_str("\n\nRequired action: ");
            summary.push_str(e.required_action.trim());
        }
        let vendor = ctx
            .default_vendor
            .map(str::to_string)
            .unwrap_or_else(|| e.vendor_project.trim().to_string());
        let mut a = Advisory::new(id, vendor, title, source.clone());
        a.summary = summary;
        a.cwes = crate::model::cwe_ids(e.cwes.iter().map(String::as_str));
        a.exploited = Some(Exploited {
            source: "KEV".to_string(),
            added,
            ransomware: e
                .known_ransomware_campaign_use
                .trim()
                .eq_ignore_ascii_case("known"),
        });
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedId, SourceFormat};

    fn parse_str(text: &str) -> Result<Vec<Advisory>, FormatError> {
        let feed: FeedId = "kev".parse().unwrap();
        let ctx = DocContext {
            feed: &feed,
            location: "kev.json",
            default_vendor: None,
            default_scheme: None,
        };
        let source = Source {
            feed: feed.clone(),
            format: SourceFormat::Kev,
            location: "kev.json".into(),
            sha256: String::new(),
        };
        parse(text.as_bytes(), &ctx, source)
    }

    #[test]
    fn entries_become_signals_with_their_date_and_ransomware_use() {
        let a = parse_str(
            r#"{"vulnerabilities": [
                {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
                 "vulnerabilityName": "Apache Log4j2 RCE", "dateAdded": "2021-12-10",
                 "shortDescription": "JNDI lookups.", "requiredAction": "Apply updates.",
                 "knownRansomwareCampaignUse": "Known", "cwes": ["CWE-502"]},
                {"cveID": "CVE-2023-4863", "dateAdded": "2023-09-13",
                 "knownRansomwareCampaignUse": "Unknown"}]}"#,
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        let e = a[0].exploited.as_ref().unwrap();
        assert_eq!((e.source.as_str(), e.ransomware), ("KEV", true));
        assert_eq!(e.added, Some("2021-12-10".parse().unwrap()));
        assert!(a[0].affected.is_empty(), "a signal names no products");
        assert_eq!(a[0].cwes, ["CWE-502"]);
        assert!(a[0].summary.ends_with("Required action: Apply updates."));
        assert!(!a[1].exploited.as_ref().unwrap().ransomware);
        assert_eq!(a[1].title, "CVE-2023-4863");
    }

    #[test]
    fn a_bad_entry_names_its_path() {
        let e =
            parse_str(r#"{"vulnerabilities": [{"cveID": "GHSA-1", "dateAdded": "2021-12-10"}]}"#)
                .unwrap_err()
                .to_string();
        assert!(e.contains("$.vulnerabilities[0].cveID"), "{e}");
        let e = parse_str(
            r#"{"vulnerabilities": [{"cveID": "CVE-2021-1234", "dateAdded": "12/10/2021"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("$.vulnerabilities[0].dateAdded"), "{e}");
        assert!(parse_str("{}").is_err());
    }
}
