//! firmwatch's native advisory format: vendor bug notes that are not CVEs, written by hand.
//!
//! A file (TOML, or the same schema as JSON — chosen by the first non-blank byte being `{`) holds one
//! or more `[[advisory]]` tables. Unlike the CVE-style formats, a native advisory states what the
//! bug **does** (`effects`, the kebab-case [`Effect`] names) and what **sets it off** (`triggers`),
//! because those are exactly what a vendor bug note says in prose and what the blast rating needs.
//!
//! The format is ours, so it is strict: `deny_unknown_fields` everywhere, `versions` must be a
//! canonical `vers:` string, `*`, one exact version or an explicit list, and every version must parse
//! under the statement's scheme. Syntax and field errors carry line and column (toml / serde_json
//! put them in the message); errors found after deserialization name the key path
//! (`advisory[1].affected[0].versions`). The README section "Advisory formats" is the reference.

use std::fmt;

use serde::Deserialize;

use super::util::{choose_scheme, invalid, parse_date, spec_from_list};
use super::{DocContext, FormatError};
use crate::model::{
    Advisory, AdvisoryId, AffectedProduct, ComponentKind, Cvss, Effect, Lifecycle, Partner,
    PartnerRequirement, ProductStatus, Remediation, RemediationKind, Source, Trigger, VersionSpec,
};
use crate::version::{FwVersion, Scheme, VersRange};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    advisory: Vec<RawAdvisory>,
    #[serde(default)]
    lifecycle: Vec<RawLifecycle>,
}

/// `[[lifecycle]]`: the end of support of one release line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    id: AdvisoryId,
    vendor: String,
    product: String,
    #[serde(default)]
    models: Vec<String>,
    /// Defaults to `system`: the OS of a system.
    component: Option<ComponentKind>,
    scheme: Option<Scheme>,
    /// A release line (`9.8`) or a vers range.
    line: String,
    title: Option<String>,
    #[serde(default)]
    summary: String,
    /// `YYYY-MM-DD`, checked with its key path in [`convert_lifecycle`].
    end_of_standard_support: String,
    end_of_extended_support: Option<String>,
    source: String,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdvisory {
    id: AdvisoryId,
    #[serde(default)]
    aliases: Vec<AdvisoryId>,
    vendor: String,
    title: String,
    #[serde(default)]
    summary: String,
    published: Option<Date>,
    modified: Option<Date>,
    withdrawn: Option<Date>,
    vendor_severity: Option<String>,
    tlp: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    effects: Vec<Effect>,
    #[serde(default)]
    triggers: Vec<TriggerText>,
    cvss: Option<RawCvss>,
    affected: Vec<RawAffected>,
    #[serde(default)]
    remediations: Vec<RawRemediation>,
    #[serde(default)]
    requires: Vec<RawRequirement>,
}

/// `[[advisory.requires]]`: what the affected versions require of their partners.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    partner: Partner,
    /// Defaults to the advisory's vendor.
    vendor: Option<String>,
    product: String,
    #[serde(default)]
    models: Vec<String>,
    scheme: Option<Scheme>,
    versions: RawVersions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCvss {
    version: String,
    vector: String,
    base_score: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAffected {
    /// Defaults to the advisory's vendor.
    vendor: Option<String>,
    product: String,
    #[serde(default)]
    models: Vec<String>,
    component: Option<ComponentKind>,
    scheme: Option<Scheme>,
    #[serde(default = "default_status")]
    status: ProductStatus,
    versions: RawVersions,
    #[serde(default)]
    fixed_in: Vec<String>,
    #[serde(default)]
    identifiers: Vec<String>,
    /// The vendor recommends these (exact) versions.
    #[serde(default)]
    recommended: bool,
}

fn default_status() -> ProductStatus {
    ProductStatus::Affected
}

#[derive(Debug)]
enum RawVersions {
    One(String),
    List(Vec<String>),
}

/// Hand-written so that a wrong type says what is expected (an untagged enum would only say
/// "data did not match any variant").
impl<'de> Deserialize<'de> for RawVersions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawVersions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a vers range, \"*\", one version string, or a list of version strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawVersions, E> {
                Ok(RawVersions::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawVersions, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    out.push(v);
                }
                Ok(RawVersions::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemediation {
    kind: RemediationKind,
    version: Option<String>,
    details: String,
    url: Option<String>,
}

/// A date field: RFC 3339 or `YYYY-MM-DD`, written as a string.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
struct Date(chrono::DateTime<chrono::Utc>);

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_date(&s)
            .map(Date)
            .ok_or_else(|| format!("`{s}` is not a date (use RFC 3339 or YYYY-MM-DD)"))
    }
}

/// A trigger written as text: `hardware-fault`, `degraded-mode`, `setting NAME=true|false`,
/// `power-on-hours N`, `uptime-days N`, `workload TEXT`, `planned-action TEXT`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct TriggerText(Trigger);

impl TryFrom<String> for TriggerText {
    type Error = TriggerError;
    fn try_from(s: String) -> Result<Self, TriggerError> {
        parse_trigger(&s).map(TriggerText)
    }
}

#[derive(Debug)]
struct TriggerError(String);

impl fmt::Display for TriggerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse one trigger string (see [`TriggerText`]).
fn parse_trigger(s: &str) -> Result<Trigger, TriggerError> {
    let t = s.trim();
    let (word, rest) = match t.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (t, ""),
    };
    let err = |why: &str| {
        TriggerError(format!(
            "invalid trigger `{s}`: {why} (expected hardware-fault, degraded-mode, setting NAME=true|false, \
             power-on-hours N, uptime-days N, workload TEXT, planned-action TEXT)"
        ))
    };
    let number = |rest: &str| -> Result<u64, TriggerError> {
        rest.replace(['_', ','], "")
            .parse::<u64>()
            .map_err(|_| err("expected a whole number"))
    };
    match word {
        "hardware-fault" if rest.is_empty() => Ok(Trigger::HardwareFault),
        "degraded-mode" if rest.is_empty() => Ok(Trigger::DegradedMode),
        "power-on-hours" => Ok(Trigger::PowerOnHours {
            hours: number(rest)?,
        }),
        "uptime-days" => Ok(Trigger::UptimeDays {
            days: number(rest)?,
        }),
        "workload" if !rest.is_empty() => Ok(Trigger::Workload {
            pattern: rest.to_string(),
        }),
        "planned-action" if !rest.is_empty() => Ok(Trigger::PlannedAction {
            action: rest.to_string(),
        }),
        "setting" => {
            let (name, value) = match rest.split_once('=') {
                Some((n, v)) => (n.trim(), v.trim()),
                None => (rest, "true"),
            };
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(err("a setting name is one word"));
            }
            let value = match value {
                "true" => true,
                "false" => false,
                _ => return Err(err("a setting value is true or false")),
            };
            Ok(Trigger::Setting {
                name: name.to_string(),
                value,
            })
        }
        _ => Err(err("unknown trigger")),
    }
}

pub(super) fn parse(
    bytes: &[u8],
    ctx: &DocContext<'_>,
    source: Source,
) -> Result<Vec<Advisory>, FormatError> {
    let location = ctx.location;
    let text = std::str::from_utf8(bytes)
        .map_err(|e| invalid(location, "$", format!("not UTF-8: {e}")))?;
    let raw: RawFile = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| FormatError::Json {
            location: location.to_string(),
            message: e.to_string(),
        })?
    } else {
        toml::from_str(text).map_err(|e| FormatError::Toml {
            location: location.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?
    };
    if raw.advisory.is_empty() && raw.lifecycle.is_empty() {
        return Err(invalid(
            location,
            "advisory",
            "no [[advisory]] or [[lifecycle]] tables",
        ));
    }
    let mut out = Vec::with_capacity(raw.advisory.len() + raw.lifecycle.len());
    let duplicate = |out: &[Advisory], id: &AdvisoryId, path: &str| {
        out.iter()
            .any(|a| a.id == *id)
            .then(|| invalid(location, path, format!("duplicate id `{id}`")))
    };
    for (i, adv) in raw.advisory.into_iter().enumerate() {
        let path = format!("advisory[{i}]");
        if let Some(e) = duplicate(&out, &adv.id, &path) {
            return Err(e);
        }
        out.push(convert(adv, ctx, &path, source.clone())?);
    }
    for (i, lc) in raw.lifecycle.into_iter().enumerate() {
        let path = format!("lifecycle[{i}]");
        if let Some(e) = duplicate(&out, &lc.id, &path) {
            return Err(e);
        }
        out.push(convert_lifecycle(lc, ctx, &path, source.clone())?);
    }
    Ok(out)
}

/// A `YYYY-MM-DD` day of a lifecycle document.
fn day(location: &str, path: String, raw: &str) -> Result<chrono::NaiveDate, FormatError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        invalid(
            location,
            path,
            format!("`{raw}` is not a date (use YYYY-MM-DD, quoted)"),
        )
    })
}

/// A lifecycle document becomes an advisory whose one statement is the line (as a range), whose
/// effect is `end-of-support` and which carries the dates ([`Lifecycle`]): stored, indexed,
/// matched and notified like any advisory, and rated by the lifecycle rule.
fn convert_lifecycle(
    raw: RawLifecycle,
    ctx: &DocContext<'_>,
    path: &str,
    source: Source,
) -> Result<Advisory, FormatError> {
    let location = ctx.location;
    let key = |k: &str| format!("{path}.{k}");
    let standard = day(
        location,
        key("end_of_standard_support"),
        &raw.end_of_standard_support,
    )?;
    let extended = raw
        .end_of_extended_support
        .as_deref()
        .map(|d| day(location, key("end_of_extended_support"), d))
        .transpose()?;
    if let Some(ext) = extended {
        if ext < standard {
            return Err(invalid(
                location,
                key("end_of_extended_support"),
                format!("extended support ({ext}) cannot end before standard support ({standard})"),
            ));
        }
    }
    let src = raw.source.trim();
    if src.is_empty() {
        return Err(invalid(
            location,
            key("source"),
            "empty: say where the dates come from",
        ));
    }
    let is_url = src.starts_with("https://") || src.starts_with("http://");
    if !(raw.illustrative || is_url) {
        return Err(invalid(
            location,
            key("source"),
            format!("`{src}` is not a URL: give the vendor's lifecycle page (only illustrative = true data may name no URL)"),
        ));
    }
    if raw.product.trim().is_empty() {
        return Err(invalid(location, key("product"), "empty"));
    }
    let line = raw.line.trim();
    let (scheme, range) = if line.starts_with("vers:") {
        match versions_spec(
            &RawVersions::One(line.to_string()),
            raw.scheme,
            &raw.vendor,
            &raw.product,
            ctx,
        ) {
            Ok((scheme, VersionSpec::Range(r))) => (scheme, r),
            Ok(_) => unreachable!("a vers string is a range"),
            Err(why) => return Err(invalid(location, key("line"), why)),
        }
    } else {
        let scheme = raw
            .scheme
            .unwrap_or_else(|| choose_scheme(ctx.default_scheme, &raw.vendor, &raw.product, &[]));
        let r = crate::version::line_range(scheme, line)
            .map_err(|e| invalid(location, key("line"), e.to_string()))?;
        (scheme, r)
    };
    let extended_text = match extended {
        Some(e) => format!("extended support ends {e}"),
        None => "no extended support is stated".to_string(),
    };
    let mut summary = raw.summary.trim().to_string();
    if summary.is_empty() {
        summary = format!(
            "{} {line}: standard support ends {standard}; {extended_text}. After the end of \
             support the vendor publishes no fixes for this line.",
            raw.product
        );
    }
    if raw.illustrative {
        summary.push_str(
            " Illustrative data: these dates are made up for the example estate, not the vendor's.",
        );
    }
    let title = raw
        .title
        .unwrap_or_else(|| format!("{} {line} end of support", raw.product));
    let mut references = Vec::new();
    if is_url {
        references.push(src.to_string());
    }
    references.extend(raw.references);
    Ok(Advisory {
        summary,
        affected: vec![AffectedProduct {
            vendor: raw.vendor.clone(),
            product: raw.product,
            models: raw.models,
            component: Some(raw.component.unwrap_or(ComponentKind::System)),
            scheme: Some(scheme),
            status: ProductStatus::Affected,
            versions: VersionSpec::Range(range),
            fixed_in: vec![],
            identifiers: vec![],
            recommended: false,
        }],
        references,
        effects: vec![Effect::EndOfSupport],
        lifecycle: Some(Lifecycle {
            line: line.to_string(),
            end_of_standard_support: standard,
            end_of_extended_support: extended,
            source: src.to_string(),
            illustrative: raw.illustrative,
        }),
        ..Advisory::new(raw.id, raw.vendor, title, source)
    })
}

fn convert(
    raw: RawAdvisory,
    ctx: &DocContext<'_>,
    path: &str,
    source: Source,
) -> Result<Advisory, FormatError> {
    let location = ctx.location;
    if raw.effects.contains(&Effect::EndOfSupport) {
        return Err(invalid(
            location,
            format!("{path}.effects"),
            "`end-of-support` is stated by a [[lifecycle]] document (with its dates), not by an advisory",
        ));
    }
    if raw.affected.is_empty() {
        return Err(invalid(
            location,
            format!("{path}.affected"),
            "an advisory needs at least one [[advisory.affected]] statement",
        ));
    }
    let mut affected = Vec::with_capacity(raw.affected.len());
    for (j, a) in raw.affected.into_iter().enumerate() {
        let apath = format!("{path}.affected[{j}]");
        let vendor = a.vendor.unwrap_or_else(|| raw.vendor.clone());
        let (scheme, versions) = versions_spec(&a.versions, a.scheme, &vendor, &a.product, ctx)
            .map_err(|why| invalid(location, format!("{apath}.versions"), why))?;
        for f in &a.fixed_in {
            FwVersion::parse(scheme, f)
                .map_err(|e| invalid(location, format!("{apath}.fixed_in"), e.to_string()))?;
        }
        if a.recommended {
            let exact = match &versions {
                VersionSpec::Exact(_) => true,
                VersionSpec::Range(r) => r.exact_versions().is_some(),
                _ => false,
            };
            if !exact || !matches!(a.status, ProductStatus::Fixed | ProductStatus::NotAffected) {
                return Err(invalid(
                    location,
                    format!("{apath}.recommended"),
                    "recommended = true is for a fixed or not_affected statement of exact releases \
                     (versions = \"9.12.1P10\" or a list)",
                ));
            }
        }
        affected.push(AffectedProduct {
            vendor,
            product: a.product,
            models: a.models,
            component: a.component,
            scheme: Some(scheme),
            status: a.status,
            versions,
            fixed_in: a.fixed_in,
            identifiers: a.identifiers,
            recommended: a.recommended,
        });
    }
    let mut requires = Vec::with_capacity(raw.requires.len());
    for (j, r) in raw.requires.into_iter().enumerate() {
        let rpath = format!("{path}.requires[{j}]");
        let vendor = r.vendor.unwrap_or_else(|| raw.vendor.clone());
        let (scheme, versions) = versions_spec(&r.versions, r.scheme, &vendor, &r.product, ctx)
            .map_err(|why| invalid(location, format!("{rpath}.versions"), why))?;
        requires.push(PartnerRequirement {
            partner: r.partner,
            vendor,
            product: r.product,
            models: r.models,
            scheme: Some(scheme),
            versions,
        });
    }
    let cvss = raw.cvss.map(|c| Cvss {
        version: c.version,
        vector: c.vector,
        base_score: c.base_score,
    });
    let remediations = raw
        .remediations
        .into_iter()
        .map(|r| Remediation {
            kind: r.kind,
            version: r.version,
            details: r.details,
            url: r.url,
        })
        .collect();
    Ok(Advisory {
        aliases: raw.aliases,
        summary: raw.summary.trim().to_string(),
        published: raw.published.map(|d| d.0),
        modified: raw.modified.map(|d| d.0),
        withdrawn: raw.withdrawn.map(|d| d.0),
        affected,
        remediations,
        references: raw.references,
        effects: raw.effects,
        triggers: raw.triggers.into_iter().map(|t| t.0).collect(),
        cvss,
        vendor_severity: raw.vendor_severity,
        tlp: raw.tlp,
        requires,
        ..Advisory::new(raw.id, raw.vendor, raw.title, source)
    })
}

/// The statement's scheme and versions. An explicit `scheme` wins; else the scheme of a `vers:`
/// string; else [`choose_scheme`]. Strict: every version must parse under that scheme.
fn versions_spec(
    raw: &RawVersions,
    scheme: Option<Scheme>,
    vendor: &str,
    product: &str,
    ctx: &DocContext<'_>,
) -> Result<(Scheme, VersionSpec), String> {
    match raw {
        RawVersions::One(s) if s.trim() == "*" => {
            let scheme =
                scheme.unwrap_or_else(|| choose_scheme(ctx.default_scheme, vendor, product, &[]));
            Ok((scheme, VersionSpec::All))
        }
        RawVersions::One(s) if s.trim_start().starts_with("vers:") => {
            let range = VersRange::parse(s.trim()).map_err(|e| e.to_string())?;
            let scheme = match (scheme, range.scheme()) {
                (Some(a), Some(b)) if a != b => {
                    return Err(format!(
                        "range is vers:{b} but the statement says scheme {a}"
                    ))
                }
                (Some(a), _) => a,
                (None, Some(b)) => b,
                (None, None) => {
                    return Err(format!(
                        "vers type `{}` is not a firmware scheme firmwatch can order",
                        range.kind()
                    ))
                }
            };
            Ok((scheme, VersionSpec::Range(range)))
        }
        RawVersions::One(s) => {
            let scheme =
                scheme.unwrap_or_else(|| choose_scheme(ctx.default_scheme, vendor, product, &[s]));
            FwVersion::parse(scheme, s.trim()).map_err(|e| e.to_string())?;
            Ok((scheme, VersionSpec::Exact(s.trim().to_string())))
        }
        RawVersions::List(list) => {
            if list.is_empty() {
                return Err("empty version list".into());
            }
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let scheme =
                scheme.unwrap_or_else(|| choose_scheme(ctx.default_scheme, vendor, product, &refs));
            for v in list {
                FwVersion::parse(scheme, v.trim()).map_err(|e| e.to_string())?;
            }
            match spec_from_list(list, scheme) {
                VersionSpec::Unparsed(_) => Err(format!(
                    "the list {list:?} does not form a {scheme} range (duplicates?)"
                )),
                spec => Ok((scheme, spec)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedId;

    fn parse_str(text: &str) -> Result<Vec<Advisory>, FormatError> {
        let feed: FeedId = "native".parse().unwrap();
        let ctx = DocContext {
            feed: &feed,
            location: "test.toml",
            default_vendor: None,
            default_scheme: None,
        };
        let source = Source {
            feed: feed.clone(),
            format: crate::model::SourceFormat::Native,
            location: "test.toml".into(),
            sha256: String::new(),
        };
        parse(text.as_bytes(), &ctx, source)
    }

    #[test]
    fn triggers_parse() {
        assert_eq!(
            parse_trigger("hardware-fault").unwrap(),
            Trigger::HardwareFault
        );
        assert_eq!(
            parse_trigger("power-on-hours 32_768").unwrap(),
            Trigger::PowerOnHours { hours: 32768 }
        );
        assert_eq!(
            parse_trigger("setting inline-compression = false").unwrap(),
            Trigger::Setting {
                name: "inline-compression".into(),
                value: false
            }
        );
        assert_eq!(
            parse_trigger("workload small random writes").unwrap(),
            Trigger::Workload {
                pattern: "small random writes".into()
            }
        );
        for bad in [
            "",
            "sometimes",
            "uptime-days many",
            "setting a b=true",
            "setting x=maybe",
            "hardware-fault now",
        ] {
            assert!(parse_trigger(bad).is_err(), "{bad}");
        }
    }

    const MINIMAL: &str = r#"
[[advisory]]
id = "FWN-1"
vendor = "Dell"
title = "t"
published = "2026-01-02"
effects = ["component-crash"]
triggers = ["uptime-days 248"]

[[advisory.affected]]
product = "Unity"
versions = "vers:intdot/>=5.1.0|<5.1.2"
fixed_in = ["5.1.2"]
"#;

    #[test]
    fn minimal_file() {
        let advs = parse_str(MINIMAL).unwrap();
        assert_eq!(advs.len(), 1);
        let a = &advs[0];
        assert_eq!(a.affected[0].vendor, "Dell");
        assert_eq!(a.affected[0].scheme, Some(Scheme::Intdot));
        assert_eq!(a.affected[0].status, ProductStatus::Affected);
        assert_eq!(a.triggers, vec![Trigger::UptimeDays { days: 248 }]);
        assert!(a.published.is_some());
    }

    #[test]
    fn errors_carry_line_and_path() {
        let unknown = MINIMAL.replace("title = \"t\"", "title = \"t\"\ncolour = \"red\"");
        let e = parse_str(&unknown).unwrap_err().to_string();
        assert!(e.contains("line 6") && e.contains("colour"), "{e}");

        let bad_trigger = MINIMAL.replace("uptime-days 248", "uptime-days soon");
        let e = parse_str(&bad_trigger).unwrap_err().to_string();
        assert!(e.contains("line 8") && e.contains("whole number"), "{e}");

        let bad_effect = MINIMAL.replace("component-crash", "meltdown");
        let e = parse_str(&bad_effect).unwrap_err().to_string();
        assert!(e.contains("meltdown"), "{e}");

        let bad_range = MINIMAL.replace(">=5.1.0|<5.1.2", "<5.1.2|>=5.1.0");
        let e = parse_str(&bad_range).unwrap_err().to_string();
        assert!(e.contains("advisory[0].affected[0].versions"), "{e}");

        let wrong_scheme = MINIMAL.replace(
            "product = \"Unity\"",
            "product = \"Unity\"\nscheme = \"ontap\"",
        );
        let e = parse_str(&wrong_scheme).unwrap_err().to_string();
        assert!(e.contains("scheme ontap"), "{e}");

        let bad_type = MINIMAL.replace("versions = \"vers:intdot/>=5.1.0|<5.1.2\"", "versions = 5");
        let e = parse_str(&bad_type).unwrap_err().to_string();
        assert!(
            e.contains("line 12") && e.contains("list of version strings"),
            "{e}"
        );

        let bad_fix = MINIMAL.replace("[\"5.1.2\"]", "[\"5.1.x\"]");
        let e = parse_str(&bad_fix).unwrap_err().to_string();
        assert!(e.contains("fixed_in"), "{e}");
    }

    #[test]
    fn requirements_and_feed_effects_parse_and_are_checked() {
        let text = format!(
            "{MINIMAL}\n[[advisory.requires]]\npartner = \"replica-target\"\nproduct = \"Unity\"\n\
             versions = \"vers:intdot/>=5.1.2\"\n"
        )
        .replace("component-crash", "power-loss\", \"path-loss");
        let a = &parse_str(&text).unwrap()[0];
        assert_eq!(a.effects, [Effect::PowerLoss, Effect::PathLoss]);
        assert_eq!(a.requires.len(), 1);
        let r = &a.requires[0];
        assert_eq!(r.partner, Partner::ReplicaTarget);
        assert_eq!(r.vendor, "Dell", "the advisory's vendor");
        assert_eq!(r.scheme, Some(Scheme::Intdot));
        assert_eq!(r.versions.to_string(), "vers:intdot/>=5.1.2");

        let bad_partner = text.replace("replica-target", "neighbour");
        let e = parse_str(&bad_partner).unwrap_err().to_string();
        assert!(
            e.contains("unknown partner `neighbour`") && e.contains("line 16"),
            "{e}"
        );
        let bad_range = text.replace("vers:intdot/>=5.1.2\"\n", "vers:intdot/>=5.x\"\n");
        let e = parse_str(&bad_range).unwrap_err().to_string();
        assert!(e.contains("advisory[0].requires[0].versions"), "{e}");
        let system = text.replace("replica-target", "system");
        let e = parse_str(&system).unwrap_err().to_string();
        assert!(e.contains("unknown partner `system`"), "{e}");
    }

    #[test]
    fn json_form_is_the_same_schema() {
        let json = r#"{"advisory": [{"id": "FWN-J", "vendor": "HPE", "title": "t",
            "affected": [{"product": "SAS SSD", "component": "drive", "scheme": "opaque",
                          "versions": ["HPD1", "HPD2"], "fixed_in": ["HPD3"]}]}]}"#;
        let advs = parse_str(json).unwrap();
        match &advs[0].affected[0].versions {
            VersionSpec::Range(r) => assert_eq!(r.to_string(), "vers:opaque/HPD1|HPD2"),
            other => panic!("{other:?}"),
        }
        let e = parse_str(r#"{"advisory": [{"id": "x", "vendor": "v", "title": "t", "affected": [], "extra": 1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("extra") && e.contains("column"), "{e}");
    }

    const LIFECYCLE: &str = r#"
[[lifecycle]]
id = "FWL-1"
vendor = "NetApp"
product = "ONTAP"
line = "9.8"
end_of_standard_support = "2025-07-31"
end_of_extended_support = "2027-07-31"
source = "https://vendor.example/lifecycle"
"#;

    #[test]
    fn a_lifecycle_document_is_an_end_of_support_advisory_of_its_line() {
        let a = &parse_str(LIFECYCLE).unwrap()[0];
        assert_eq!(a.effects, [Effect::EndOfSupport]);
        assert_eq!(a.title, "ONTAP 9.8 end of support");
        assert_eq!(a.affected[0].component, Some(ComponentKind::System));
        assert_eq!(
            a.affected[0].scheme,
            Some(Scheme::Ontap),
            "from the product table"
        );
        assert_eq!(
            a.affected[0].versions.to_string(),
            "vers:ontap/>=9.8RC0|<9.9"
        );
        let lc = a.lifecycle.as_ref().unwrap();
        assert_eq!(lc.end_of_standard_support.to_string(), "2025-07-31");
        assert_eq!(
            lc.end_of_extended_support.map(|d| d.to_string()).as_deref(),
            Some("2027-07-31")
        );
        assert!(!lc.illustrative);
        assert_eq!(a.references, ["https://vendor.example/lifecycle"]);
        // A vers range is a line too; advisories and lifecycle documents share a file.
        let both = format!(
            "{MINIMAL}\n{}",
            LIFECYCLE.replace("line = \"9.8\"", "line = \"vers:ontap/>=9.8|<9.9\"")
        );
        let advs = parse_str(&both).unwrap();
        assert_eq!(advs.len(), 2);
        assert_eq!(
            advs[1].affected[0].versions.to_string(),
            "vers:ontap/>=9.8|<9.9"
        );
    }

    #[test]
    fn lifecycle_errors_name_the_file_and_the_key() {
        let cases = [
            (
                LIFECYCLE.replace("2025-07-31", "2025-13-01"),
                "lifecycle[0].end_of_standard_support",
                "not a date",
            ),
            (
                LIFECYCLE.replace("2027-07-31", "31.07.2027"),
                "lifecycle[0].end_of_extended_support",
                "not a date",
            ),
            (
                LIFECYCLE.replace("2027-07-31", "2024-01-01"),
                "lifecycle[0].end_of_extended_support",
                "cannot end before",
            ),
            (
                LIFECYCLE.replace("https://vendor.example/lifecycle", "the vendor said so"),
                "lifecycle[0].source",
                "not a URL",
            ),
            (
                LIFECYCLE.replace("line = \"9.8\"", "line = \"9.8P3\""),
                "lifecycle[0].line",
                "release line",
            ),
            (
                LIFECYCLE.replace(
                    "product = \"ONTAP\"",
                    "product = \"SAS SSD\"\nscheme = \"opaque\"",
                ),
                "lifecycle[0].line",
                "write the line as a vers range",
            ),
        ];
        for (text, key, why) in cases {
            let e = parse_str(&text).unwrap_err().to_string();
            assert!(
                e.contains("test.toml") && e.contains(key) && e.contains(why),
                "{key}: {e}"
            );
        }
        // A missing key is named with its line (toml's error) in the file.
        let e = parse_str(&LIFECYCLE.replace("end_of_standard_support = \"2025-07-31\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("test.toml") && e.contains("end_of_standard_support") && e.contains("line"),
            "{e}"
        );
        let e =
            parse_str(&LIFECYCLE.replace("source = \"https://vendor.example/lifecycle\"\n", ""))
                .unwrap_err()
                .to_string();
        assert!(e.contains("missing field `source`"), "{e}");
        // Illustrative data may say what it is instead of a URL.
        let ill = LIFECYCLE.replace("https://vendor.example/lifecycle", "made up")
            + "illustrative = true\n";
        let a = &parse_str(&ill).unwrap()[0];
        assert!(a.summary.contains("Illustrative data"), "{}", a.summary);
        // end-of-support belongs to lifecycle documents only.
        let e = parse_str(&MINIMAL.replace("component-crash", "end-of-support"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("advisory[0].effects") && e.contains("[[lifecycle]]"),
            "{e}"
        );
    }

    #[test]
    fn recommended_is_for_fixed_statements_of_exact_releases() {
        let text = format!(
            "{MINIMAL}\n[[advisory.affected]]\nproduct = \"Unity\"\nstatus = \"fixed\"\n\
             versions = \"5.1.2\"\nrecommended = true\n"
        );
        let a = &parse_str(&text).unwrap()[0];
        assert!(a.affected[1].recommended);
        assert!(!a.affected[0].recommended);
        let ranged = text.replace(
            "versions = \"5.1.2\"\nrecommended",
            "versions = \"vers:intdot/>=5.1.2\"\nrecommended",
        );
        let e = parse_str(&ranged).unwrap_err().to_string();
        assert!(e.contains("advisory[0].affected[1].recommended"), "{e}");
        let affected = text.replace("status = \"fixed\"", "status = \"affected\"");
        assert!(parse_str(&affected)
            .unwrap_err()
            .to_string()
            .contains("recommended = true"));
    }

    #[test]
    fn empty_and_duplicate_files_are_errors() {
        assert!(parse_str("").is_err());
        let twice = format!("{MINIMAL}\n{}", MINIMAL);
        let e = parse_str(&twice).unwrap_err().to_string();
        assert!(e.contains("duplicate id"), "{e}");
    }
}
