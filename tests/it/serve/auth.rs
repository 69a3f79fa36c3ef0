//! Who may see what: tokens for the whole estate or one owner, the refusals, and the no-leak
//! rule an owner's token shares with `exposure --owner` and the notifications.

use std::os::unix::fs::PermissionsExt;

use super::{get, get_with, request, start, START};
use crate::security::leaks::{setup, OF_C};
use crate::support::http::Server;
use crate::support::listen::Listening;

const ESTATE: &str = "estate-token-2f9c1e7a55";
const OWNER_A: &str = "owner-a-token-8b0d3c4f19";

fn token_file(dir: &std::path::Path, mode: u32) -> std::path::PathBuf {
    let path = dir.join("tokens.toml");
    std::fs::write(
        &path,
        format!(
            "[[token]]\nname = \"review\"\ntoken = \"{ESTATE}\"\n\n\
             [[token]]\nname = \"team-a\"\ntoken = \"{OWNER_A}\"\nowner = \"owner-a\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn an_owner_token_sees_what_exposure_owner_shows_and_nothing_of_others() {
    let hook = Server::start();
    let fx = setup(&hook, None);
    let tokens = token_file(fx.path(), 0o600);
    let server = start(fx.fw(), &["--token-file", tokens.to_str().unwrap()]);

    // No token, a wrong one, a malformed header: 401 with a challenge a browser answers.
    for auth in [None, Some("Bearer not-a-token-at-all-000"), Some("Token x")] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let a = request(&server, "GET", "/", &headers, b"");
        assert_eq!(a.status, 401, "{auth:?}: {a:#?}");
        assert!(a
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm="));
        assert!(!a.body.contains("arr-"), "a refusal shows nothing");
    }
    request(&server, "GET", "/api/v1/exposure", &[], b"").expect(401);
    request(&server, "GET", "/metrics", &[], b"").expect(401);
    // Health and the stylesheet show nothing of the estate.
    get(&server, "/healthz").expect(200);
    get(&server, "/assets/style.css").expect(200);
    // HTTP Basic (a browser's prompt) carries the token as the password.
    let basic = format!("Basic {}", b64(&format!("anyone:{ESTATE}")));
    request(&server, "GET", "/", &[("Authorization", &basic)], b"").expect(200);

    // The whole estate's token sees every owner's findings.
    let all = get_with(&server, "/api/v1/exposure", ESTATE)
        .expect(200)
        .json();
    let systems = |v: &serde_json::Value| -> Vec<String> {
        let mut s: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["system"].as_str().unwrap().to_string())
            .collect();
        s.sort();
        s
    };
    assert_eq!(systems(&all), ["arr-a", "arr-b", "arr-c", "arr-shared"]);

    // Owner A's token: exactly `exposure --owner owner-a`, byte for byte in its findings.
    let a = get_with(&server, "/api/v1/exposure", OWNER_A)
        .expect(200)
        .json();
    let cli = fx
        .fw()
        .args([
            "exposure",
            "--no-sync",
            "--owner",
            "owner-a",
            "--format",
            "json",
        ])
        .args(["--today", super::TODAY])
        .run()
        .expect(0)
        .json();
    assert_eq!(a["findings"], cli["findings"]);
    assert_eq!(a["counts"], cli["counts"]);
    assert_eq!(systems(&a), ["arr-a", "arr-shared"]);
    for path in [
        "/",
        "/findings",
        "/findings?state=all",
        "/findings/LEAK-1@arr-shared",
        "/api/v1/findings/LEAK-1@arr-shared",
        "/timeline",
        "/api/v1/timeline",
        "/notifications",
        "/api/v1/outbox",
    ] {
        let body = get_with(&server, path, OWNER_A).expect(200).body;
        for c in OF_C {
            assert!(!body.contains(c), "{path} shows `{c}` to owner A");
        }
    }
    // Another owner's finding does not exist for A; the shared array's picture is its owner's.
    get_with(&server, "/findings/LEAK-1@arr-c", OWNER_A).expect(404);
    get_with(&server, "/api/v1/findings/LEAK-1@arr-b", OWNER_A).expect(404);
    let shared = get_with(&server, "/findings/LEAK-1@arr-shared", OWNER_A)
        .expect(200)
        .body;
    assert!(
        !shared.contains("<svg"),
        "A sees the topology of B's array:\n{shared}"
    );
    assert!(
        shared.contains("which is for its owner (owner-b)"),
        "{shared}"
    );
    get_with(&server, "/findings/LEAK-1@arr-shared/blast.svg", OWNER_A).expect(403);
    get_with(&server, "/findings/LEAK-1@arr-a/blast.svg", OWNER_A).expect(200);
    // The metrics are the estate's; a plan on another owner's system is not checked for A.
    get_with(&server, "/metrics", OWNER_A).expect(403);
    get_with(&server, "/metrics", ESTATE).expect(200);
    let plan = b"[[step]]\nname = \"b's\"\nupdate = [\"arr-b\"]\nto = \"9.14.1\"\n";
    let a_plan = request(
        &server,
        "POST",
        "/api/v1/check-update",
        &[("Authorization", &format!("Bearer {OWNER_A}"))],
        plan,
    )
    .expect(403);
    assert!(
        a_plan.body.contains("not owned by owner-a"),
        "{}",
        a_plan.body
    );
}

#[test]
fn a_public_address_without_tokens_and_a_readable_token_file_are_refused() {
    let hook = Server::start();
    let fx = setup(&hook, None);
    let run = fx
        .fw()
        .args(["serve", "--no-sync", "--listen", "0.0.0.0:0"])
        .run();
    run.expect(1);
    assert!(
        run.stderr()
            .contains("not a loopback address) needs a token"),
        "{}",
        run.show()
    );
    let readable = token_file(fx.path(), 0o644);
    let run = fx
        .fw()
        .args([
            "serve",
            "--no-sync",
            "--token-file",
            readable.to_str().unwrap(),
        ])
        .run();
    run.expect(1);
    assert!(run.stderr().contains("chmod 600"), "{}", run.show());
    let run = fx
        .fw()
        .env("FIRMWATCH_SERVE_TOKEN", "short")
        .args(["serve", "--no-sync", "--listen", "0.0.0.0:0"])
        .run();
    run.expect(1);
    assert!(
        run.stderr().contains("at least 16 characters"),
        "{}",
        run.show()
    );
    // With a token from the environment, any address is allowed; the token is required.
    let server = Listening::start(
        fx.fw()
            .env("FIRMWATCH_SERVE_TOKEN", ESTATE)
            .args(["serve", "--no-sync", "--listen", "0.0.0.0:0"])
            .command(),
        START,
    );
    assert!(
        server.base.starts_with("http://0.0.0.0:"),
        "{}",
        server.base
    );
    request(&server, "GET", "/", &[], b"").expect(401);
    get_with(&server, "/", ESTATE).expect(200);
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
