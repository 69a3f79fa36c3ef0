//! `[systems.discover]` in the inventory: what loads (and how a relative `ca_file` resolves), and
//! a diagnostic with its stable code for every bad key — a credential in the URL or where a
//! variable name belongs, credentials over plain http to another host, a bad fingerprint, two
//! trust rules, half a login.

use std::path::Path;

use firmwatch::inventory::{
    load_sources, Diagnostics, DiscoverAuth, DiscoverTrust, LoadError, SystemId,
};

fn estate(discover: &str) -> String {
    format!(
        r#"
[[owners]]
id = "ops"
email = "ops@example.net"

[[systems]]
id = "bmc1"
vendor = "Dell"
model = "PowerEdge R640"
owner = "ops"
firmware = "2.3.10"

[systems.discover]
{discover}
"#
    )
}

fn problems(discover: &str) -> Diagnostics {
    match load_sources(&[("site/estate.toml", estate(discover))]) {
        Ok(_) => panic!("expected problems with:\n{discover}"),
        Err(LoadError::Invalid(d)) => *d,
        Err(e) => panic!("{e}"),
    }
}

/// `(code, message)` of every problem.
fn said(d: &Diagnostics) -> Vec<(&'static str, String)> {
    d.diagnostics
        .iter()
        .map(|x| (x.code.as_str(), x.message.clone()))
        .collect()
}

#[test]
fn a_discover_source_loads_with_its_defaults_and_a_relative_ca_file() {
    let inv = load_sources(&[(
        "site/estate.toml",
        estate(
            r#"redfish = "https://bmc1.example/redfish/v1"
user_env = "BMC1_USER"
password_env = "BMC1_PASSWORD"
ca_file = "certs/bmc-ca.pem""#,
        ),
    )])
    .unwrap_or_else(|e| panic!("{e}"));
    let sys = &inv.systems[&"bmc1".parse::<SystemId>().unwrap()];
    let d = sys.discover.as_ref().unwrap();
    assert_eq!(d.redfish.as_str(), "https://bmc1.example/redfish/v1");
    assert_eq!(d.auth, DiscoverAuth::Session, "the default");
    assert_eq!(d.user_env.as_deref(), Some("BMC1_USER"));
    assert_eq!(
        d.trust,
        DiscoverTrust::CaFile(Path::new("site/certs/bmc-ca.pem").to_path_buf()),
        "relative to the inventory file's directory"
    );
    let hex = "0f".repeat(32);
    let inv = load_sources(&[(
        "estate.toml",
        estate(&format!(
            "redfish = \"https://10.0.0.5/redfish/v1\"\nauth = \"basic\"\nuser_env = \"U\"\npassword_env = \"P\"\nfingerprint = \"sha256:{hex}\""
        )),
    )])
    .unwrap();
    let d = inv
        .systems
        .values()
        .next()
        .unwrap()
        .discover
        .clone()
        .unwrap();
    assert_eq!(
        (d.auth, d.trust),
        (DiscoverAuth::Basic, DiscoverTrust::Fingerprint([0x0f; 32]))
    );
    // JSON carries the same key.
    let json = r#"{"owners":[{"id":"ops","email":"ops@example.net"}],"systems":[{"id":"j","vendor":"Dell","model":"R640","owner":"ops","firmware":"1","discover":{"redfish":"http://127.0.0.1:8000/redfish/v1","user_env":"U","password_env":"P"}}]}"#;
    let inv = load_sources(&[("cmdb.json", json)]).unwrap();
    assert!(inv.systems.values().next().unwrap().discover.is_some());
}

#[test]
fn credentials_in_the_url_are_secret_inline() {
    for url in [
        "https://root:calvin@bmc1.example/redfish/v1",
        "https://root@bmc1.example/redfish/v1",
        "https://bmc1.example/redfish/v1?token=abc",
    ] {
        let d = problems(&format!("redfish = \"{url}\""));
        let s = said(&d);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].0, "secret-inline", "{url}: {s:?}");
        assert!(s[0].1.contains("Redfish URL carries a credential"), "{s:?}");
        // The rendered diagnostic points at the key, not at the secret's value alone.
        let text = d.render_plain();
        assert!(text.contains("site/estate.toml:"), "{text}");
        assert!(text.contains("redfish ="), "the key is shown: {text}");
    }
}

#[test]
fn a_password_where_a_variable_name_belongs_is_secret_inline() {
    let d = problems(
        r#"redfish = "https://bmc1.example/redfish/v1"
user_env = "root"
password_env = "calvin!"
"#,
    );
    let s = said(&d);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].0, "secret-inline");
    assert!(
        s[0].1
            .contains("`password_env` must name an environment variable"),
        "{s:?}"
    );
}

#[test]
fn bad_values_are_invalid_value_each_saying_why() {
    let hex = "ab".repeat(32);
    for (discover, says) in [
        (r#"redfish = "ftp://bmc1.example/redfish/v1""#.to_string(), "is not an http(s) URL"),
        (r#"redfish = "bmc1.example""#.to_string(), "is not an http(s) URL"),
        (
            "redfish = \"http://bmc1.example/redfish/v1\"\nuser_env = \"U\"\npassword_env = \"P\"".to_string(),
            "cross the network in clear",
        ),
        (
            "redfish = \"https://bmc1.example/redfish/v1\"\nuser_env = \"U\"".to_string(),
            "`password_env` is missing",
        ),
        (
            "redfish = \"https://bmc1.example/redfish/v1\"\nauth = \"basic\"".to_string(),
            "nothing to log in with",
        ),
        (
            "redfish = \"https://bmc1.example/redfish/v1\"\nfingerprint = \"sha1:abcd\"".to_string(),
            "is not a SHA-256 certificate fingerprint",
        ),
        (
            format!("redfish = \"https://bmc1.example/redfish/v1\"\nca_file = \"ca.pem\"\nfingerprint = \"sha256:{hex}\""),
            "a service is trusted one way",
        ),
        (
            "redfish = \"http://127.0.0.1:8000/redfish/v1\"\nca_file = \"ca.pem\"".to_string(),
            "on an http URL",
        ),
    ] {
        let s = said(&problems(&discover));
        assert_eq!(s.len(), 1, "{discover}: {s:?}");
        assert_eq!(s[0].0, "invalid-value", "{discover}: {s:?}");
        assert!(s[0].1.contains(says), "{discover}: {s:?}");
    }
    // An unknown auth mode or key is a parse error.
    let d = problems("redfish = \"https://b/redfish/v1\"\nauth = \"digest\"");
    assert_eq!(said(&d)[0].0, "parse-error");
    let d = problems("redfish = \"https://b/redfish/v1\"\npassword = \"calvin\"");
    assert_eq!(said(&d)[0].0, "parse-error");
}
