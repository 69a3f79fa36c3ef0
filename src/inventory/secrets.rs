//! The checks of inventory keys that point at a remote service with credentials — an owner's
//! webhook and a system's `[systems.discover]` — shared so both refuse a secret written into the
//! file the same way: no password or token in a URL, and a credential key holding the *name* of an
//! environment variable, never the value.

use std::path::Path;

use super::diag::{Diagnostic, InventoryCode};
use super::raw::RawDiscover;
use super::{DiscoverAuth, DiscoverSource, DiscoverTrust};
use crate::diag::{DocPath, Place};

/// Whether `u` carries a credential: a password, or a query key that names a token, secret,
/// password, key or signature.
pub(super) fn credential_in_url(u: &url::Url) -> bool {
    let secret_query = u.query_pairs().any(|(k, _)| {
        let k = k.to_ascii_lowercase();
        ["token", "secret", "password", "key", "sig"]
            .iter()
            .any(|w| k.contains(w))
    });
    u.password().is_some() || secret_query
}

/// Whether `s` is an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub(super) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `secret-inline` at `at` (the key `key`) unless `value` is an environment variable name.
/// `what` names the secret in the note (`token`, `password`).
pub(super) fn check_env_name(
    file: usize,
    at: DocPath,
    (key, what): (&str, &str),
    value: &str,
    example: &str,
    d: &mut Vec<Diagnostic>,
) {
    if !is_env_name(value) {
        d.push(
            Diagnostic::new(
                InventoryCode::SecretInline,
                Place::at(file, at),
                format!("`{key}` must name an environment variable, not hold the secret"),
            )
            .label("not an environment variable name")
            .note(format!(
                "write e.g. `{key} = \"{example}\"` and export the {what} in that variable"
            )),
        );
    }
}

/// Whether the URL's host is this machine (credentials may go there over plain http).
fn loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `sha256:` and 64 hex digits (pairs may be separated by `:`, as `openssl x509 -fingerprint`
/// prints them), as the 32 bytes.
pub fn parse_fingerprint(s: &str) -> Option<[u8; 32]> {
    let hex: String = s
        .strip_prefix("sha256:")
        .or_else(|| s.strip_prefix("SHA256:"))?
        .chars()
        .filter(|&c| c != ':')
        .collect();
    let bytes = hex::decode(hex).ok()?;
    bytes.try_into().ok()
}

/// Check a system's `[systems.discover]` at `p` (the `discover` key) in file `file`, whose
/// directory is `dir` (a relative `ca_file` is read from there).
pub(super) fn discover(
    file: usize,
    dir: &Path,
    p: DocPath,
    raw: RawDiscover,
    d: &mut Vec<Diagnostic>,
) -> Option<DiscoverSource> {
    let before = d.len();
    let invalid = |key: &str, message: String, label: &str| {
        Diagnostic::new(
            InventoryCode::InvalidValue,
            Place::at(file, p.key(key)),
            message,
        )
        .label(label.to_string())
    };
    let url = match url::Url::parse(&raw.redfish) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        _ => {
            d.push(invalid(
                "redfish",
                format!("`{}` is not an http(s) URL", raw.redfish),
                "expected the service root, e.g. https://bmc1.example/redfish/v1",
            ));
            None
        }
    };
    if let Some(u) = &url {
        if credential_in_url(u) || !u.username().is_empty() {
            d.push(
                Diagnostic::new(
                    InventoryCode::SecretInline,
                    Place::at(file, p.key("redfish")),
                    "the Redfish URL carries a credential",
                )
                .label("user, password or token in the URL")
                .note("keep the URL free of credentials and name the variables holding them in `user_env` and `password_env`"),
            );
        }
    }
    for (key, what, value, example) in [
        ("user_env", "user name", &raw.user_env, "BMC1_USER"),
        (
            "password_env",
            "password",
            &raw.password_env,
            "BMC1_PASSWORD",
        ),
    ] {
        if let Some(v) = value {
            check_env_name(file, p.key(key), (key, what), v, example, d);
        }
    }
    let credentials = raw.user_env.is_some() || raw.password_env.is_some();
    if raw.user_env.is_some() != raw.password_env.is_some() {
        let missing = if raw.user_env.is_none() {
            "user_env"
        } else {
            "password_env"
        };
        d.push(
            Diagnostic::new(
                InventoryCode::InvalidValue,
                Place::at(file, p.key("redfish")),
                format!("`{missing}` is missing: a login needs a user and a password"),
            )
            .label("`user_env` and `password_env` go together"),
        );
    }
    if raw.auth.is_some() && !credentials {
        d.push(invalid(
            "auth",
            "`auth` without `user_env` and `password_env`: there is nothing to log in with".into(),
            "remove it, or name the credential variables",
        ));
    }
    if let Some(u) = &url {
        if credentials && u.scheme() == "http" && !loopback(u) {
            d.push(invalid(
                "redfish",
                "credentials would cross the network in clear over http".into(),
                "use https (with `ca_file` or `fingerprint` for a self-signed certificate)",
            ));
        }
        if u.scheme() == "http" {
            for (key, set) in [
                ("ca_file", raw.ca_file.is_some()),
                ("fingerprint", raw.fingerprint.is_some()),
            ] {
                if set {
                    d.push(invalid(
                        key,
                        format!("`{key}` on an http URL: there is no certificate to check"),
                        "use an https URL, or remove the key",
                    ));
                }
            }
        }
    }
    let trust = match (&raw.ca_file, &raw.fingerprint) {
        (Some(_), Some(_)) => {
            d.push(invalid(
                "fingerprint",
                "both `ca_file` and `fingerprint`: a service is trusted one way".into(),
                "keep one of them",
            ));
            None
        }
        (Some(f), None) if f.trim().is_empty() => {
            d.push(invalid(
                "ca_file",
                "`ca_file` is empty".into(),
                "a PEM file",
            ));
            None
        }
        (Some(f), None) => Some(DiscoverTrust::CaFile(dir.join(f))),
        (None, Some(fp)) => match parse_fingerprint(fp) {
            Some(bytes) => Some(DiscoverTrust::Fingerprint(bytes)),
            None => {
                d.push(
                    invalid(
                        "fingerprint",
                        format!("`{fp}` is not a SHA-256 certificate fingerprint"),
                        "expected sha256: and 64 hex digits",
                    )
                    .note("print it with `openssl x509 -in cert.pem -noout -fingerprint -sha256`"),
                );
                None
            }
        },
        (None, None) => Some(DiscoverTrust::WebRoots),
    };
    if d.len() > before {
        return None;
    }
    Some(DiscoverSource {
        redfish: url?,
        user_env: raw.user_env,
        password_env: raw.password_env,
        auth: raw.auth.unwrap_or(DiscoverAuth::Session),
        trust: trust?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons() {
        let hex = "ab".repeat(32);
        assert_eq!(
            parse_fingerprint(&format!("sha256:{hex}")),
            Some([0xab; 32])
        );
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(
            parse_fingerprint(&format!("sha256:{colons}")),
            Some([0xab; 32])
        );
        assert_eq!(parse_fingerprint(&hex), None, "the algorithm is named");
        assert_eq!(parse_fingerprint("sha256:abcd"), None, "32 bytes");
        assert_eq!(parse_fingerprint(&format!("sha1:{hex}")), None);
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("BMC1_PASSWORD") && is_env_name("_x1"));
        assert!(!is_env_name("hunter2!") && !is_env_name("1A") && !is_env_name(""));
    }
}
