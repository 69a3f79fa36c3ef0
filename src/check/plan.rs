//! Plan files: an ordered list of steps, each moving systems or components to a target version.
//!
//! Parsed into raw types that keep spans, then validated against the inventory: every reference
//! must name a system or component it holds, every target must parse under that part's version
//! scheme. All problems are collected and returned together with the byte range of the offending
//! text (the CLI shows them like the inventory's diagnostics); nothing partial is returned.

use std::collections::HashSet;
use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics, Place, SourceFile};
use crate::inventory::{ComponentRef, Inventory};
use crate::version::FwVersion;

/// One thing a step updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub subject: ComponentRef,
    pub to: String,
}

/// One step of a rollout: everything in it happens at the same time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub window: Option<String>,
    pub date: Option<NaiveDate>,
    pub targets: Vec<Target>,
}

/// A validated plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RolloutPlan {
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: toml::Spanned<String>,
    #[serde(default)]
    window: Option<toml::Spanned<String>>,
    #[serde(default)]
    date: Option<toml::Spanned<toml::value::Datetime>>,
    update: Vec<toml::Spanned<String>>,
    to: toml::Spanned<String>,
}

/// A problem in a plan file, with the byte range of the offending text.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDiagnostic {
    pub code: PlanCode,
    pub message: String,
    pub span: Option<Range<usize>>,
}

crate::diag::codes! {
    /// Stable code of a plan file problem, shown with the diagnostic. The first three mean what the
    /// inventory's diagnostics of the same name mean (the same problem in another file); the codes
    /// test allows exactly those to be shared.
    pub enum PlanCode {
        /// TOML syntax, an unknown key, a wrong type, a missing required key.
        ParseError = "parse-error",
        /// A reference to a system or component the inventory does not hold, or a malformed one.
        UnknownReference = "unknown-reference",
        /// A target version that does not parse under the part's version scheme.
        BadFirmware = "bad-firmware",
        /// Two steps with the same name.
        DuplicateStep = "duplicate-step",
        /// A plan without steps.
        EmptyPlan = "empty-plan",
        /// A `date` that is not a plain date.
        BadDate = "bad-date",
        /// A step dated before an earlier step: the order and the dates disagree.
        DateOutOfOrder = "date-out-of-order",
        /// A step whose `update` list is empty.
        EmptyStep = "empty-step",
        /// The same system or component twice in one step.
        DuplicateTarget = "duplicate-target",
        /// A step name or window with control characters (it is shown in reports and mails).
        BadName = "bad-name",
    }
}

/// Parse and validate a plan file against the inventory; every problem is reported, nothing
/// partial is returned.
pub fn parse_plan(text: &str, inv: &Inventory) -> Result<RolloutPlan, Vec<PlanDiagnostic>> {
    let raw: RawPlan = toml::from_str(text).map_err(|e| {
        vec![PlanDiagnostic {
            code: PlanCode::ParseError,
            message: e.message().to_string(),
            span: e.span(),
        }]
    })?;
    let mut diags = Vec::new();
    let mut names = HashSet::new();
    let mut steps = Vec::new();
    if raw.step.is_empty() {
        diags.push(PlanDiagnostic {
            code: PlanCode::EmptyPlan,
            message: "the plan has no [[step]]".into(),
            span: None,
        });
    }
    let mut last_date: Option<(NaiveDate, String)> = None;
    for s in raw.step {
        let labels = [Some(&s.name), s.window.as_ref()];
        for l in labels.into_iter().flatten() {
            if l.get_ref().chars().any(char::is_control) {
                diags.push(PlanDiagnostic {
                    code: PlanCode::BadName,
                    message: "a step name or window may not hold control characters".into(),
                    span: Some(l.span()),
                });
            }
        }
        if s.update.is_empty() {
            diags.push(PlanDiagnostic {
                code: PlanCode::EmptyStep,
                message: format!(
                    "step `{}` updates nothing (`update = []`)",
                    s.name.get_ref()
                ),
                span: Some(s.name.span()),
            });
        }
        let mut seen = HashSet::new();
        for u in &s.update {
            if !seen.insert(u.get_ref().trim()) {
                diags.push(PlanDiagnostic {
                    code: PlanCode::DuplicateTarget,
                    message: format!("`{}` is listed twice in this step", u.get_ref().trim()),
                    span: Some(u.span()),
                });
            }
        }
        if !names.insert(s.name.get_ref().clone()) {
            diags.push(PlanDiagnostic {
                code: PlanCode::DuplicateStep,
                message: format!("step `{}` is defined twice", s.name.get_ref()),
                span: Some(s.name.span()),
            });
        }
        let date = match &s.date {
            None => None,
            Some(d) => match d.get_ref().date {
                Some(dd) if d.get_ref().time.is_none() => NaiveDate::from_ymd_opt(
                    i32::from(dd.year),
                    u32::from(dd.month),
                    u32::from(dd.day),
                ),
                _ => {
                    diags.push(PlanDiagnostic {
                        code: PlanCode::BadDate,
                        message: "`date` must be a plain date such as 2026-12-05".into(),
                        span: Some(d.span()),
                    });
                    None
                }
            },
        };
        if let (Some(d), Some(span)) = (date, s.date.as_ref().map(|d| d.span())) {
            if let Some((before, name)) = &last_date {
                if d < *before {
                    diags.push(PlanDiagnostic {
                        code: PlanCode::DateOutOfOrder,
                        message: format!(
                            "step `{}` is dated {d}, before the earlier step `{name}` ({before}): \
                             steps run in the order they are written",
                            s.name.get_ref()
                        ),
                        span: Some(span),
                    });
                }
            }
            last_date = Some((d, s.name.get_ref().clone()));
        }
        let mut targets = Vec::new();
        for u in &s.update {
            match resolve_target(inv, u.get_ref(), s.to.get_ref()) {
                Ok(t) => targets.push(t),
                Err((code, message)) => {
                    let span = if code == PlanCode::BadFirmware {
                        s.to.span()
                    } else {
                        u.span()
                    };
                    diags.push(PlanDiagnostic {
                        code,
                        message,
                        span: Some(span),
                    });
                }
            }
        }
        steps.push(Step {
            name: s.name.into_inner(),
            window: s.window.map(toml::Spanned::into_inner),
            date,
            targets,
        });
    }
    if diags.is_empty() {
        Ok(RolloutPlan { steps })
    } else {
        Err(diags)
    }
}

/// Validate one `system` or `system/component` reference and its target version.
pub fn resolve_target(
    inv: &Inventory,
    reference: &str,
    to: &str,
) -> Result<Target, (PlanCode, String)> {
    let subject: ComponentRef = reference
        .parse()
        .map_err(|e| (PlanCode::UnknownReference, format!("{e}")))?;
    let system = inv.systems.get(&subject.system).ok_or_else(|| {
        (
            PlanCode::UnknownReference,
            format!("no system `{}` in the inventory", subject.system),
        )
    })?;
    let current = match &subject.component {
        None => &system.firmware.version,
        Some(c) => {
            &system
                .component(c)
                .ok_or_else(|| {
                    (
                        PlanCode::UnknownReference,
                        format!("system `{}` has no component `{c}`", system.id),
                    )
                })?
                .firmware
                .version
        }
    };
    FwVersion::parse(current.scheme(), to)
        .map_err(|e| (PlanCode::BadFirmware, format!("target for {subject}: {e}")))?;
    Ok(Target {
        subject,
        to: to.trim().to_string(),
    })
}

/// A plan's problems as diagnostics of its one file (`file_name` as shown), rendered like the
/// inventory's and the feed files' ([`crate::diag`]).
pub fn plan_diagnostics(
    file_name: &str,
    text: &str,
    diags: &[PlanDiagnostic],
) -> Diagnostics<PlanCode> {
    let file = SourceFile::new(file_name.to_string(), text);
    let diags = diags
        .iter()
        .map(|d| {
            let place = match &d.span {
                Some(span) => Place::at_span(0, span.clone()),
                None => Place::whole_file(0),
            };
            Diagnostic::new(d.code, place, &d.message)
        })
        .collect();
    Diagnostics::new(vec![file], diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[test]
    fn codes_read_back_as_they_are_written() {
        for c in PlanCode::ALL {
            assert_eq!(c.as_str().parse::<PlanCode>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""), "serde writes the same code");
            assert_eq!(serde_json::from_str::<PlanCode>(&json).unwrap(), c);
        }
        assert!("Downgrade".parse::<PlanCode>().is_err());
    }

    fn inv() -> Inventory {
        Estate::new()
            .unity_pair("arr", "Unity 480F", "5.1.2.0.5.007", 0.3)
            .0
    }

    fn problems(text: &str) -> Vec<(&'static str, String, Option<String>)> {
        let diags = parse_plan(text, &inv()).expect_err("a problem");
        diags
            .into_iter()
            .map(|d| {
                (
                    d.code.as_str(),
                    d.message,
                    d.span.map(|s| text[s].to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn dates_against_order_empty_steps_repeated_targets_and_control_characters_are_diagnosed() {
        let text = "[[step]]\nname = \"first\"\ndate = 2026-12-12\nupdate = [\"arr\"]\nto = \"5.1.2.0.5.009\"\n\n\
                    [[step]]\nname = \"second\"\ndate = 2026-12-05\nupdate = []\nto = \"5.1.2.0.5.009\"\n\n\
                    [[step]]\nname = \"third\\u001b[2J\"\nwindow = \"w\\n\"\nupdate = [\"arr/spa\", \"arr/spa\"]\nto = \"5.1.2.0.5.009\"\n";
        let p = problems(text);
        let codes: Vec<&str> = p.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(
            codes,
            [
                "empty-step",
                "date-out-of-order",
                "bad-name",
                "bad-name",
                "duplicate-target"
            ],
            "{p:#?}"
        );
        assert!(p[1]
            .1
            .contains("dated 2026-12-05, before the earlier step `first` (2026-12-12)"));
        assert_eq!(p[1].2.as_deref(), Some("2026-12-05"));
        assert_eq!(p[4].2.as_deref(), Some("\"arr/spa\""));
        // Dates in order, or a step without a date between them, are fine.
        let ok = "[[step]]\nname = \"a\"\ndate = 2026-12-05\nupdate = [\"arr/spa\"]\nto = \"5.1.2.0.5.009\"\n\n\
                  [[step]]\nname = \"b\"\nupdate = [\"arr/spb\"]\nto = \"5.1.2.0.5.009\"\n\n\
                  [[step]]\nname = \"c\"\ndate = 2026-12-05\nupdate = [\"arr\"]\nto = \"5.1.2.0.5.009\"\n";
        parse_plan(ok, &inv()).unwrap();
    }

    #[test]
    fn a_valid_plan_resolves_every_target() {
        let plan = parse_plan(
            r#"
[[step]]
name = "canary"
window = "sat"
date = 2026-12-05
update = ["arr/spa", "arr"]
to = " 5.1.2.0.5.009 "
"#,
            &inv(),
        )
        .unwrap();
        assert_eq!(plan.steps.len(), 1);
        let s = &plan.steps[0];
        assert_eq!(
            (s.name.as_str(), s.window.as_deref()),
            ("canary", Some("sat"))
        );
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2026, 12, 5));
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|t| format!("{} {}", t.subject, t.to))
            .collect();
        assert_eq!(targets, ["arr/spa 5.1.2.0.5.009", "arr 5.1.2.0.5.009"]);
    }

    #[test]
    fn every_problem_is_reported_with_its_code_and_the_offending_text() {
        let text = r#"
[[step]]
name = "a"
date = 2026-12-05T10:00:00
update = ["nowhere", "arr/spz"]
to = "5.1.2.0.5.009"

[[step]]
name = "a"
update = ["arr"]
to = "not a version"
"#;
        let p = problems(text);
        let codes: Vec<&str> = p.iter().map(|p| p.0).collect();
        assert_eq!(
            codes,
            [
                "bad-date",
                "unknown-reference",
                "unknown-reference",
                "duplicate-step",
                "bad-firmware",
            ]
        );
        assert_eq!(p[0].2.as_deref(), Some("2026-12-05T10:00:00"));
        assert_eq!(p[1].1, "no system `nowhere` in the inventory");
        assert_eq!(p[1].2.as_deref(), Some("\"nowhere\""));
        assert_eq!(p[2].1, "system `arr` has no component `spz`");
        assert_eq!(p[3].1, "step `a` is defined twice");
        assert_eq!(p[3].2.as_deref(), Some("\"a\""));
        assert!(p[4].1.starts_with("target for arr: "), "{}", p[4].1);
        assert_eq!(
            p[4].2.as_deref(),
            Some("\"not a version\""),
            "the `to` value"
        );
    }

    #[test]
    fn a_syntax_error_or_unknown_key_is_a_parse_error_and_no_step_an_empty_plan() {
        let p = problems("[[step]]\nname = \"a\"\nupdate = [\"arr\"]\nto = \"5.1\"\nwhen = 1\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "parse-error");
        assert!(p[0].1.contains("unknown field `when`"), "{}", p[0].1);
        assert_eq!(problems("[[step]\n")[0].0, "parse-error");
        let p = problems("# nothing yet\n");
        assert_eq!(
            p,
            [("empty-plan", "the plan has no [[step]]".to_string(), None)]
        );
    }

    #[test]
    fn plan_problems_render_like_other_file_diagnostics() {
        let text = "[[step]]\nname = \"x\"\nupdate = [\"nope\"]\nto = \"1\"\n";
        let at = text.find("\"nope\"").unwrap();
        let diags = [
            PlanDiagnostic {
                code: PlanCode::EmptyPlan,
                message: "no span".into(),
                span: None,
            },
            PlanDiagnostic {
                code: PlanCode::UnknownReference,
                message: "no system `nope`".into(),
                span: Some(at..at + 6),
            },
        ];
        let r = plan_diagnostics("plan.toml", text, &diags);
        let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["unknown-reference", "empty-plan"], "by position");
        let text = r.render_plain();
        assert!(
            text.contains("error[unknown-reference]: no system `nope`"),
            "{text}"
        );
        assert!(text.contains("┌─ plan.toml:3:11"), "{text}");
        assert!(
            text.contains("error[empty-plan]: no span\n = at plan.toml\n"),
            "{text}"
        );
        assert_eq!(r.to_string(), "2 problems");
    }
}
