//! Lenient parsing of the range text that real advisories carry.
//!
//! CSAF `product_version_range`, CVE `version` fields and vendor HTML pages do not stick to canonical
//! `vers:`. In the real corpus we see invalid vers (`vers:all/<V7.0.3`), vls with stray spaces
//! (`>= 6.02 | <= 6.05`), two bounds without a pipe (`>=V2022.4<V2023.1`), prose (`All versions <
//! V4.33`, `Versions prior to 5.3.0.0.5.120`, `9.8 through 9.8P3`, `7.2 and later`) and text that is
//! not a version range at all (`<June/20/2023`, `<= the_first_5_digits_of_serial_number_24031`).
//!
//! [`parse_loose`] turns the first kinds into a canonical [`VersRange`] under the scheme the caller
//! chose for the product, and answers an error for everything else. It never returns a partial
//! range: when any part of the text is left over (`… and Function State (FS) <= 9`, `< V15 Update
//! 2`) the whole text is rejected, so the caller keeps it as `VersionSpec::Unparsed` and the match
//! becomes "needs review" instead of a silently narrower range. Opaque schemes have no order, so only
//! an exact version is accepted for them.
//!
//! Accepted forms (case-insensitive words, surrounding whitespace ignored):
//! - `vers:…` canonical strings (delegated to [`VersRange::parse`], returned with their own type
//!   even when it is not `scheme`: containment then answers Unknown for a version of another
//!   scheme); `vers:all/<vls>` is not valid vers and is read as vls under `scheme`;
//! - vls: one or more `OP VERSION` with `OP` in `< <= > >= = != ==`, separated by `|`, `, ` or
//!   nothing (`>=A <B`), optionally after `All versions` / `All BIOS versions`;
//! - `prior to X`, `before X`, `earlier than X` (`< X`); `up to X` (`<= X`);
//! - `X and earlier` / `X or earlier` (also `older`, `lower`, `below`, `prior`) (`<= X`);
//! - `X and later` / `X or later` (also `newer`, `higher`, `above`) (`>= X`);
//! - `from X through Y`, `X through Y`, `from X to Y`, `X to Y` (both ends inclusive);
//! - `X` alone (exactly `X`); `All versions` alone (`vers:<scheme>/*`).
//!
//! A leading `V`/`v` on a version is stripped only when the scheme rejects the version with it.

use super::range::{Comparator, VersRange};
use super::scheme::{Cmp, FwVersion, Scheme, VersionError};

fn err(text: &str, why: impl Into<String>) -> VersionError {
    VersionError::InvalidRange {
        raw: text.to_string(),
        why: why.into(),
    }
}

/// Turn vls / free-text version constraints into a canonical range under `scheme`.
pub fn parse_loose(text: &str, scheme: Scheme) -> Result<VersRange, VersionError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(err(text, "empty version range"));
    }
    if strip_ci(t, "vers:").is_some() {
        if let Some(vls) = strip_ci(t, "vers:all/") {
            if vls != "*" {
                // CISA writes `vers:all/<V7.0.3`: `all` only permits `*`, so read the rest as vls.
                return parse_body(text, vls.trim(), scheme);
            }
        }
        return VersRange::parse(t);
    }
    parse_body(text, t, scheme)
}

/// Everything after an optional `vers:all/`.
fn parse_body(text: &str, t: &str, scheme: Scheme) -> Result<VersRange, VersionError> {
    let (body, all_prefix) = strip_lead_words(t);
    if body.is_empty() {
        return if all_prefix {
            Ok(VersRange::all(scheme))
        } else {
            Err(err(text, "no version given"))
        };
    }
    let constraints = if body.starts_with(['<', '>', '=', '!']) {
        parse_vls(text, body, scheme)?
    } else {
        parse_phrase(text, body, scheme)?
    };
    build(text, scheme, constraints)
}

/// Strip `All versions`, `All BIOS versions`, `Versions`, `Version` at the start. Returns the rest
/// and whether an "all versions" prefix was present.
fn strip_lead_words(t: &str) -> (&str, bool) {
    for (prefix, all) in [
        ("all bios versions", true),
        ("all versions", true),
        ("versions", false),
        ("version", false),
    ] {
        if let Some(rest) = strip_word_ci(t, prefix) {
            return (rest.trim_start(), all);
        }
    }
    (t, false)
}

/// `OP VERSION` list: `>= 6.02 | <= 6.05`, `>=A <B`, `>= 1.7.0, < 1.18.4`, `>=V2022.4<V2023.1`.
fn parse_vls(
    text: &str,
    body: &str,
    scheme: Scheme,
) -> Result<Vec<(Comparator, FwVersion)>, VersionError> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        rest = rest.trim_start();
        if !out.is_empty() {
            if let Some(r) = rest.strip_prefix(['|', ',']) {
                rest = r.trim_start();
                if rest.is_empty() {
                    return Err(err(text, "trailing separator without a constraint"));
                }
            }
        }
        if rest.is_empty() {
            break;
        }
        let (op, r) = split_op(rest).ok_or_else(|| {
            err(
                text,
                format!("`{rest}` is not understood (expected a comparator such as `<` or `>=`)"),
            )
        })?;
        let r = r.trim_start();
        let end = version_token_end(r);
        if end == 0 {
            return Err(err(
                text,
                format!("comparator `{}` has no version", op_str(op)),
            ));
        }
        let (token, r) = r.split_at(end);
        out.push((op, version(text, token, scheme)?));
        rest = r;
    }
    if out.is_empty() {
        return Err(err(text, "no constraint found"));
    }
    Ok(out)
}

fn op_str(op: Comparator) -> &'static str {
    match op {
        Comparator::Eq => "=",
        other => other.as_str(),
    }
}

fn split_op(s: &str) -> Option<(Comparator, &str)> {
    for (prefix, c) in [
        ("!=", Comparator::Ne),
        ("<=", Comparator::Le),
        (">=", Comparator::Ge),
        ("==", Comparator::Eq),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
        ("=", Comparator::Eq),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return Some((c, rest));
        }
    }
    None
}

/// A version token in a vls list ends at whitespace, a pipe, a comparator, or a comma that is
/// followed by whitespace or the end (`P126,P132` stays one token).
fn version_token_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'|' | b'<' | b'>' | b'=' | b'!' => return i,
            b',' if bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()) => return i,
            b if b.is_ascii_whitespace() => return i,
            _ => {}
        }
    }
    s.len()
}

/// Prose forms. Each captured version must parse completely under the scheme.
fn parse_phrase(
    text: &str,
    body: &str,
    scheme: Scheme,
) -> Result<Vec<(Comparator, FwVersion)>, VersionError> {
    for prefix in ["prior to", "before", "earlier than"] {
        if let Some(x) = strip_word_ci(body, prefix) {
            return Ok(vec![(Comparator::Lt, version(text, x, scheme)?)]);
        }
    }
    if let Some(x) = strip_word_ci(body, "up to") {
        let x = strip_word_ci(x, "and including").unwrap_or(x);
        return Ok(vec![(Comparator::Le, version(text, x, scheme)?)]);
    }
    let lower = body.to_ascii_lowercase();
    for suffix in [
        "and earlier",
        "or earlier",
        "and older",
        "or older",
        "and lower",
        "or lower",
        "and below",
        "or below",
        "and prior",
        "or prior",
    ] {
        if let Some(x) = strip_suffix_word(body, &lower, suffix) {
            return Ok(vec![(Comparator::Le, version(text, x, scheme)?)]);
        }
    }
    for suffix in [
        "and later",
        "or later",
        "and newer",
        "or newer",
        "and higher",
        "or higher",
        "and above",
        "or above",
    ] {
        if let Some(x) = strip_suffix_word(body, &lower, suffix) {
            return Ok(vec![(Comparator::Ge, version(text, x, scheme)?)]);
        }
    }
    let span = strip_word_ci(body, "from").unwrap_or(body);
    let span_lower = span.to_ascii_lowercase();
    for sep in [" through ", " thru ", " to "] {
        if let Some(i) = span_lower.find(sep) {
            let lo = version(text, &span[..i], scheme)?;
            let hi = version(text, &span[i + sep.len()..], scheme)?;
            return match lo.compare(&hi) {
                Cmp::Less => Ok(vec![(Comparator::Ge, lo), (Comparator::Le, hi)]),
                Cmp::Equal => Ok(vec![(Comparator::Eq, lo)]),
                Cmp::Greater => Err(err(text, format!("`{lo}` is above `{hi}`: not a range"))),
                Cmp::Incomparable(why) => Err(err(text, why)),
            };
        }
    }
    // A lone version: exactly that version.
    Ok(vec![(Comparator::Eq, version(text, body, scheme)?)])
}

/// Parse one version, stripping a leading `V`/`v` only when the scheme rejects it with the `V`.
fn version(text: &str, token: &str, scheme: Scheme) -> Result<FwVersion, VersionError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(err(text, "missing version"));
    }
    match FwVersion::parse(scheme, token) {
        Ok(v) => Ok(v),
        Err(first) => {
            let stripped = token
                .strip_prefix(['V', 'v'])
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()));
            match stripped.map(|r| FwVersion::parse(scheme, r)) {
                Some(Ok(v)) => Ok(v),
                _ => Err(err(text, first.to_string())),
            }
        }
    }
}

/// Check order, build the canonical range, and report failures against the original text.
fn build(
    text: &str,
    scheme: Scheme,
    constraints: Vec<(Comparator, FwVersion)>,
) -> Result<VersRange, VersionError> {
    if scheme == Scheme::Opaque
        && constraints
            .iter()
            .any(|(c, _)| !matches!(c, Comparator::Eq | Comparator::Ne))
    {
        return Err(err(
            text,
            "opaque firmware ids have no order: only exact versions can be matched",
        ));
    }
    // The text must already be in ascending order; a reordered list would mean something else.
    for pair in constraints.windows(2) {
        match pair[0].1.compare(&pair[1].1) {
            Cmp::Less => {}
            Cmp::Equal => return Err(err(text, format!("version `{}` appears twice", pair[1].1))),
            Cmp::Greater => {
                return Err(err(
                    text,
                    format!(
                        "`{}` comes after `{}`: bounds are out of order",
                        pair[1].1, pair[0].1
                    ),
                ))
            }
            Cmp::Incomparable(why) => return Err(err(text, why)),
        }
    }
    VersRange::from_constraints(scheme, constraints).map_err(|e| match e {
        VersionError::InvalidRange { why, .. } => err(text, why),
        other => err(text, other.to_string()),
    })
}

/// `s` without a case-insensitive ASCII `prefix`.
fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Like [`strip_ci`], but the prefix must end at a word boundary (whitespace or the end).
fn strip_word_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = strip_ci(s, prefix)?;
    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        Some(rest.trim_start())
    } else {
        None
    }
}

/// `X <suffix>` → `X`, when `suffix` is preceded by whitespace. `lower` is `s` ASCII-lowercased.
fn strip_suffix_word<'a>(s: &'a str, lower: &str, suffix: &str) -> Option<&'a str> {
    let head = lower.strip_suffix(suffix)?;
    if !head.ends_with(char::is_whitespace) {
        return None;
    }
    Some(s[..head.len()].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, scheme: Scheme) -> String {
        match parse_loose(text, scheme) {
            Ok(r) => r.to_string(),
            Err(e) => panic!("`{text}` should parse under {scheme}: {e}"),
        }
    }

    fn bad(text: &str, scheme: Scheme) -> String {
        match parse_loose(text, scheme) {
            Ok(r) => panic!("`{text}` should be rejected under {scheme}, got {r}"),
            Err(e) => e.to_string(),
        }
    }

    const I: Scheme = Scheme::Intdot;
    const O: Scheme = Scheme::Ontap;

    #[test]
    fn canonical_vers_is_delegated() {
        assert_eq!(ok("vers:intdot/>=1.2|<2.0", I), "vers:intdot/>=1.2|<2.0");
        assert_eq!(ok(" vers:ontap/<9.8P16 ", I), "vers:ontap/<9.8P16");
        assert_eq!(ok("vers:all/*", I), "vers:all/*");
        // Non-canonical vers stays an error: the spec forbids fixing it up.
        assert!(bad("vers:intdot/<2.0|>=1.2", I).contains("sorted"));
    }

    #[test]
    fn cisa_vers_all_is_read_as_vls() {
        assert_eq!(ok("vers:all/<V7.0.3", I), "vers:intdot/<7.0.3");
        assert_eq!(ok("vers:all/<V08.00.00.00", I), "vers:intdot/<08.00.00.00");
        assert_eq!(ok("vers:all/>=V5.1.1", I), "vers:intdot/>=5.1.1");
        assert_eq!(
            ok("vers:all/>=V2022.4<V2023.1", I),
            "vers:intdot/>=2022.4|<2023.1"
        );
        bad("vers:all/<June/20/2023", I);
    }

    #[test]
    fn vls_forms() {
        assert_eq!(ok("<2.0", I), "vers:intdot/<2.0");
        assert_eq!(ok("<=V2.5.0", I), "vers:intdot/<=2.5.0");
        assert_eq!(ok(">=8.1.5", I), "vers:intdot/>=8.1.5");
        assert_eq!(ok(">= 6.02 | <= 6.05", I), "vers:intdot/>=6.02|<=6.05");
        assert_eq!(ok(">=5.3 <6.0", I), "vers:intdot/>=5.3|<6.0");
        assert_eq!(ok(">=5.3|<=6.4", I), "vers:intdot/>=5.3|<=6.4");
        assert_eq!(ok("  <2.420  ", I), "vers:intdot/<2.420");
        assert_eq!(ok(">= 1.7.0, < 1.18.4", I), "vers:intdot/>=1.7.0|<1.18.4");
        assert_eq!(ok("=2.1", I), "vers:intdot/2.1");
        assert_eq!(ok(">=9.8|<9.8P16", O), "vers:ontap/>=9.8|<9.8P16");
    }

    #[test]
    fn all_versions_prefixes() {
        assert_eq!(ok("All versions < V4.33", I), "vers:intdot/<4.33");
        assert_eq!(
            ok("All BIOS versions < V22.01.08", I),
            "vers:intdot/<22.01.08"
        );
        assert_eq!(ok("all versions", I), "vers:intdot/*");
        assert_eq!(ok("All versions prior to 3.1", I), "vers:intdot/<3.1");
    }

    #[test]
    fn v_is_stripped_only_when_needed() {
        assert_eq!(ok("< v4.33", I), "vers:intdot/<4.33");
        // Opaque ids accept a `V`, so it is kept.
        assert_eq!(ok("V4.33", Scheme::Opaque), "vers:opaque/V4.33");
        // Only before a digit.
        bad("<Version4", I);
    }

    #[test]
    fn phrases() {
        assert_eq!(
            ok("Versions prior to 5.3.0.0.5.120", I),
            "vers:intdot/<5.3.0.0.5.120"
        );
        assert_eq!(ok("prior to 9.8P3", O), "vers:ontap/<9.8P3");
        assert_eq!(ok("before 2.0", I), "vers:intdot/<2.0");
        assert_eq!(ok("earlier than V2.0", I), "vers:intdot/<2.0");
        assert_eq!(ok("9.8P3 and earlier", O), "vers:ontap/<=9.8P3");
        assert_eq!(ok("9.8P3 or earlier", O), "vers:ontap/<=9.8P3");
        assert_eq!(ok("9.9.1 and later", O), "vers:ontap/>=9.9.1");
        assert_eq!(ok("9.9.1 or later", O), "vers:ontap/>=9.9.1");
        assert_eq!(ok("from 9.8 through 9.8P3", O), "vers:ontap/>=9.8|<=9.8P3");
        assert_eq!(ok("9.8 through 9.8P3", O), "vers:ontap/>=9.8|<=9.8P3");
        assert_eq!(ok("9.8 to 9.8P3", O), "vers:ontap/>=9.8|<=9.8P3");
        assert_eq!(ok("From 9.8 To 9.8P3", O), "vers:ontap/>=9.8|<=9.8P3");
        assert_eq!(ok("up to 6.4", I), "vers:intdot/<=6.4");
        assert_eq!(ok("9.8P3", O), "vers:ontap/9.8P3");
        assert_eq!(ok("HPD8", Scheme::Opaque), "vers:opaque/HPD8");
        assert_eq!(ok("9.8 through 9.8.0", O), "vers:ontap/9.8");
    }

    #[test]
    fn leftovers_are_errors() {
        for text in [
            "All versions <= V2.5.0 and Function State (FS) <= 9",
            "<June/20/2023",
            "<= the_first_5_digits_of_serial_number_24031",
            "< V15 Update 2",
            "< V3.14 P021",
            "< V4.5 HF1",
            ">= V5.2.0 < V5.3 only when running on ROX II V2.14.0",
            "NMC2 <= 6.9.6",
            "prior to 5.3 on some models",
            "2.0.x",
            "unspecified",
            "",
            "   ",
            "<",
            ">= 1.0 |",
            "all versions except 2.0",
            "9.8P3 and earlier releases",
        ] {
            bad(text, I);
        }
    }

    #[test]
    fn out_of_order_or_incomparable_bounds_are_errors() {
        assert!(bad("<6.0 >=5.3", I).contains("out of order"));
        assert!(bad("from 6.0 through 5.0", I).contains("not a range"));
        bad(">=9.8P1X1 <9.9", O);
        bad(">=2.0 <=2.0", I);
    }

    #[test]
    fn opaque_has_no_order() {
        for text in [
            "<= the_first_5_digits_of_serial_number_24031",
            "<June/20/2023",
            "prior to SD1A",
            "SD15 through SD19",
            "CC4H and later",
        ] {
            assert!(bad(text, Scheme::Opaque).contains("no order"), "{text}");
        }
    }
}
