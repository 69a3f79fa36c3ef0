//! Logging in and trusting: a Redfish session (one POST, the token on every GET, one DELETE),
//! HTTP Basic, a refused login; TLS with a CA file, with a pinned fingerprint, and refused without
//! either, with the wrong one, or with a CA file for a certificate that does not name the host.
//! Certificates are made by rcgen; the service is the loopback mock over tokio-rustls.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use super::{corpus_tree, endpoint, quick, walk, with_login, Login, RedfishMock, Setup, Tree};
use crate::bench_support::redfish_mock::base64;
use firmwatch::discover::redfish::Endpoint;
use firmwatch::inventory::{DiscoverAuth, DiscoverTrust};

const USER: &str = "fw-reader";
const PASSWORD: &str = "pa55-w0rd:with colon";

fn localstorage(login: Login) -> Option<RedfishMock> {
    let dir = corpus_tree("dmtf-public-localstorage")?;
    let mut setup = Setup::new(Tree::load(&dir));
    setup.login = login;
    Some(RedfishMock::start(setup))
}

fn session() -> Login {
    Login::Session {
        user: USER.into(),
        password: PASSWORD.into(),
    }
}

#[tokio::test]
async fn a_session_logs_in_once_reads_with_its_token_and_logs_out() {
    let Some(mock) = localstorage(session()) else {
        return;
    };
    let crawl = walk(
        &with_login(&mock.root(), DiscoverAuth::Session, USER, PASSWORD),
        &quick(),
    )
    .await
    .unwrap();
    assert_eq!(
        crawl.snapshot.components.len(),
        8,
        "the whole tree was read"
    );
    let log = mock.log();
    let posts: Vec<_> = log.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "{log:?}");
    assert_eq!(posts[0].target, "/redfish/v1/SessionService/Sessions");
    let body: serde_json::Value = serde_json::from_str(&posts[0].body).unwrap();
    assert_eq!(
        (body["UserName"].as_str(), body["Password"].as_str()),
        (Some(USER), Some(PASSWORD))
    );
    // Every GET after the login carries the token; none carries the password.
    let login_at = log.iter().position(|r| r.method == "POST").unwrap();
    for r in &log[login_at + 1..] {
        assert!(
            r.token.as_deref().is_some_and(|t| t.starts_with("tok-")),
            "{r:?}"
        );
        assert_eq!(r.authorization, None, "{r:?}");
    }
    // The last request is the logout, of the session the login created.
    let last = log.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.target.as_str()),
        ("DELETE", "/redfish/v1/SessionService/Sessions/1")
    );
    assert_eq!(last.status, 204);
    assert_eq!(mock.open_sessions(), 0);
    // Read-only: nothing but GETs, the login and the logout.
    assert!(log
        .iter()
        .all(|r| r.method == "GET" || r.target.starts_with("/redfish/v1/SessionService/Sessions")));
    assert_eq!(crawl.requests, log.len());
}

#[tokio::test]
async fn a_session_is_logged_out_after_a_failed_walk() {
    let Some(dir) = corpus_tree("dmtf-public-localstorage") else {
        return;
    };
    let mut setup =
        Setup::new(Tree::load(&dir)).route("/redfish/v1/Managers/BMC", super::Route::Status(500));
    setup.login = session();
    let mock = RedfishMock::start(setup);
    let err = walk(
        &with_login(&mock.root(), DiscoverAuth::Session, USER, PASSWORD),
        &quick(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("/redfish/v1/Managers/BMC: HTTP 500"),
        "{err}"
    );
    assert_eq!(mock.open_sessions(), 0, "logged out all the same");
}

#[tokio::test]
async fn a_root_that_wants_a_login_is_asked_again_after_it() {
    let Some(dir) = corpus_tree("dmtf-public-localstorage") else {
        return;
    };
    let mut setup = Setup::new(Tree::load(&dir));
    setup.login = session();
    setup.root_needs_login = true;
    let mock = RedfishMock::start(setup);
    let crawl = walk(
        &with_login(&mock.root(), DiscoverAuth::Session, USER, PASSWORD),
        &quick(),
    )
    .await
    .unwrap();
    assert_eq!(crawl.snapshot.components.len(), 8);
    let first: Vec<String> = mock
        .log()
        .iter()
        .take(3)
        .map(|r| format!("{} {} {}", r.method, r.target, r.status))
        .collect();
    assert_eq!(
        first,
        [
            "GET /redfish/v1 401",
            // The root said nothing: the Sessions collection at its standard place.
            "POST /redfish/v1/SessionService/Sessions 201",
            "GET /redfish/v1 200"
        ]
    );
}

#[tokio::test]
async fn basic_auth_goes_on_every_request_and_nothing_else_is_sent() {
    let Some(mock) = localstorage(Login::Basic {
        user: USER.into(),
        password: PASSWORD.into(),
    }) else {
        return;
    };
    let crawl = walk(
        &with_login(&mock.root(), DiscoverAuth::Basic, USER, PASSWORD),
        &quick(),
    )
    .await
    .unwrap();
    assert_eq!(crawl.snapshot.components.len(), 8);
    let expected = format!("Basic {}", base64(&format!("{USER}:{PASSWORD}")));
    for r in mock.log() {
        assert_eq!(r.method, "GET", "{r:?}");
        assert_eq!(r.authorization.as_deref(), Some(expected.as_str()), "{r:?}");
    }
}

#[tokio::test]
async fn refused_logins_fail_with_the_url_and_status() {
    let Some(mock) = localstorage(session()) else {
        return;
    };
    let err = walk(
        &with_login(&mock.root(), DiscoverAuth::Session, USER, "wrong"),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!("{}/redfish/v1/SessionService/Sessions", mock.base))
            && err.contains("login refused: HTTP 401"),
        "{err}"
    );
    assert!(
        !err.contains("wrong"),
        "the password is not in the error: {err}"
    );
    // Basic with the wrong password: the first resource behind the login answers 401.
    let Some(mock) = localstorage(Login::Basic {
        user: USER.into(),
        password: PASSWORD.into(),
    }) else {
        return;
    };
    let err = walk(
        &with_login(&mock.root(), DiscoverAuth::Basic, USER, "wrong"),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("HTTP 401 (credentials refused)"), "{err}");
    // Anonymous against a service that wants a login: the same.
    let err = walk(&endpoint(&mock.root()), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 401"), "{err}");
}

/// A CA and a leaf it signed for `names`, or a self-signed leaf: (chain PEM of the CA or leaf,
/// leaf DER, server config).
struct Certs {
    ca_pem: String,
    leaf_der: Vec<u8>,
    server: Arc<rustls::ServerConfig>,
}

fn certs(names: &[&str], self_signed: bool) -> Certs {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(names).unwrap();
    let (ca_pem, leaf) = if self_signed {
        let leaf = leaf_params.self_signed(&leaf_key).unwrap();
        (leaf.pem(), leaf)
    } else {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "firmwatch test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        (ca.pem(), leaf)
    };
    let leaf_der = leaf.der().to_vec();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    Certs {
        ca_pem,
        leaf_der,
        server: Arc::new(server),
    }
}

fn tls_mock(c: &Certs) -> Option<RedfishMock> {
    let dir = corpus_tree("dmtf-public-rackmount1")?;
    let mut setup = Setup::new(Tree::load(&dir));
    setup.tls = Some(c.server.clone());
    Some(RedfishMock::start(setup))
}

fn trusting(mock: &RedfishMock, trust: DiscoverTrust) -> Endpoint {
    Endpoint {
        trust,
        ..endpoint(&mock.root())
    }
}

fn sha256(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

#[tokio::test]
async fn a_ca_file_trusts_its_certificates_and_the_public_roots_do_not() {
    let c = certs(&["127.0.0.1"], false);
    let Some(mock) = tls_mock(&c) else {
        return;
    };
    assert!(mock.base.starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("bmc-ca.pem");
    std::fs::write(&ca, &c.ca_pem).unwrap();
    let crawl = walk(&trusting(&mock, DiscoverTrust::CaFile(ca)), &quick())
        .await
        .unwrap();
    assert_eq!(crawl.snapshot.components.len(), 4);
    // Without it: the web roots do not know this CA.
    let err = walk(&trusting(&mock, DiscoverTrust::WebRoots), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&mock.root()) && err.to_lowercase().contains("certificate"),
        "{err}"
    );
    // Another CA's file: refused too.
    let other = certs(&["127.0.0.1"], false);
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, &other.ca_pem).unwrap();
    let err = walk(&trusting(&mock, DiscoverTrust::CaFile(other_ca)), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // A CA file that is not there: the endpoint fails naming it.
    let missing = dir.path().join("missing.pem");
    let err = walk(&trusting(&mock, DiscoverTrust::CaFile(missing)), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.pem"), "{err}");
}

#[tokio::test]
async fn a_ca_file_still_checks_the_name() {
    // Self-signed for another name, trusted as its own CA: the name does not match 127.0.0.1.
    let c = certs(&["bmc.invalid"], true);
    let Some(mock) = tls_mock(&c) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("self.pem");
    std::fs::write(&ca, &c.ca_pem).unwrap();
    let err = walk(&trusting(&mock, DiscoverTrust::CaFile(ca)), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}

#[tokio::test]
async fn a_pinned_fingerprint_accepts_exactly_that_certificate() {
    // Self-signed, for a name that is not the address: pinning ignores chain and names.
    let c = certs(&["bmc.invalid"], true);
    let Some(mock) = tls_mock(&c) else {
        return;
    };
    let crawl = walk(
        &trusting(&mock, DiscoverTrust::Fingerprint(sha256(&c.leaf_der))),
        &quick(),
    )
    .await
    .unwrap();
    assert_eq!(crawl.snapshot.components.len(), 4);
    // Another certificate's fingerprint: refused, saying so.
    let other = certs(&["bmc.invalid"], true);
    let err = walk(
        &trusting(&mock, DiscoverTrust::Fingerprint(sha256(&other.leaf_der))),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("not the pinned one"), "{err}");
}
