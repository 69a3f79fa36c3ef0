//! Who may see what: the dashboard's tokens.
//!
//! Tokens come from the environment (`FIRMWATCH_SERVE_TOKEN`: one token for the whole estate) or
//! from a token file (`--token-file`), never from the command line, where `ps` shows them. The
//! file must not be readable by group or others (like an SSH key), and each token is at least
//! [`MIN_LEN`] characters:
//!
//! ```toml
//! [[token]]
//! name = "risk-review"         # shown in the log, never the token itself
//! token = "…"                  # the whole estate
//!
//! [[token]]
//! name = "storage-team"
//! token = "…"
//! owner = "storage-team"       # sees exactly what `exposure --owner storage-team` shows
//! ```
//!
//! A request carries its token as `Authorization: Bearer TOKEN`, or as the password of HTTP Basic
//! authentication (any user name), which lets a browser ask for it with its own prompt. With no
//! token configured the server only listens on a loopback address and everyone who can reach it
//! sees the whole estate; with any token configured, every route but `/healthz` and the static
//! assets needs one.

use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The environment variable holding a whole-estate token.
pub const TOKEN_ENV: &str = "FIRMWATCH_SERVE_TOKEN";
/// The shortest token accepted: a guessable token is no protection.
pub const MIN_LEN: usize = 16;

/// What a request may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole estate.
    Estate,
    /// What this owner sees with `--owner`.
    Owner(String),
}

/// The configured tokens, kept as SHA-256 digests.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    digest: [u8; 32],
    scope: Scope,
}

/// A bad token file or variable.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the token file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the token file {path} is readable by group or others (mode {mode:o}): \
         `chmod 600 {path}`"
    )]
    Mode { path: String, mode: u32 },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    token: Vec<FileToken>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    name: String,
    token: String,
    owner: Option<String>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// No tokens: loopback only, everyone sees the estate.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The owners the tokens are scoped to.
    pub fn owners(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().filter_map(|e| match &e.scope {
            Scope::Owner(o) => Some((e.name.as_str(), o.as_str())),
            Scope::Estate => None,
        })
    }

    /// Add a whole-estate token from the environment variable's value.
    pub fn add_env(&mut self, value: &str) -> Result<(), TokenError> {
        let value = value.trim();
        if value.len() < MIN_LEN {
            return Err(TokenError::Invalid {
                path: TOKEN_ENV.to_string(),
                message: format!("a token needs at least {MIN_LEN} characters"),
            });
        }
        self.entries.push(Entry {
            name: TOKEN_ENV.to_string(),
            digest: digest(value),
            scope: Scope::Estate,
        });
        Ok(())
    }

    /// Add the tokens of a token file, after checking its mode.
    pub fn add_file(&mut self, path: &Path) -> Result<(), TokenError> {
        let shown = path.display().to_string();
        let read = |source| TokenError::Read {
            path: shown.clone(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(read)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(TokenError::Mode {
                    path: shown,
                    mode: mode & 0o777,
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let file: File = toml::from_str(&text).map_err(|e| TokenError::Invalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        for t in file.token {
            let t_token = t.token.trim();
            if t_token.len() < MIN_LEN {
                return Err(TokenError::Invalid {
                    path: shown,
                    message: format!("token `{}` is shorter than {MIN_LEN} characters", t.name),
                });
            }
            let d = digest(t_token);
            if self.entries.iter().any(|e| e.digest == d) {
                return Err(TokenError::Invalid {
                    path: shown,
                    message: format!("token `{}` is given twice", t.name),
                });
            }
            self.entries.push(Entry {
                name: t.name,
                digest: d,
                scope: t.owner.map_or(Scope::Estate, Scope::Owner),
            });
        }
        Ok(())
    }

    /// The scope of the request's `Authorization` header value, if it carries a known token.
    /// Every configured digest is compared, in constant time, whichever matches.
    pub fn check(&self, authorization: Option<&str>) -> Option<(&str, &Scope)> {
        let token = presented(authorization?)?;
        let d = digest(&token);
        let mut found = None;
        for e in &self.entries {
            let diff = e
                .digest
                .iter()
                .zip(&d)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some((e.name.as_str(), &e.scope));
            }
        }
        found
    }
}

/// The token in an `Authorization` value: `Bearer TOKEN`, or `Basic base64(user:TOKEN)`.
fn presented(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, password) = text.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(mode: u32, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    const FILE: &str = r#"
[[token]]
name = "review"
token = "estate-token-0123456789"

[[token]]
name = "storage"
token = "storage-token-0123456789"
owner = "storage-team"
"#;

    #[test]
    fn bearer_and_basic_carry_a_token_to_its_scope() {
        let (_d, path) = file(0o600, FILE);
        let mut t = Tokens::default();
        t.add_file(&path).unwrap();
        assert_eq!(
            t.check(Some("Bearer estate-token-0123456789")),
            Some(("review", &Scope::Estate))
        );
        let basic =
            base64::engine::general_purpose::STANDARD.encode("anyone:storage-token-0123456789");
        assert_eq!(
            t.check(Some(&format!("Basic {basic}"))),
            Some(("storage", &Scope::Owner("storage-team".into())))
        );
        assert_eq!(t.check(Some("Bearer estate-token-012345678")), None);
        assert_eq!(t.check(Some("estate-token-0123456789")), None);
        assert_eq!(t.check(None), None);
        assert_eq!(
            t.owners().collect::<Vec<_>>(),
            [("storage", "storage-team")]
        );
    }

    #[test]
    fn a_readable_file_a_short_token_and_a_repeated_one_are_refused() {
        let (_d, path) = file(0o644, FILE);
        let e = Tokens::default().add_file(&path).unwrap_err().to_string();
        assert!(e.contains("readable by group or others (mode 644)"), "{e}");

        let (_d, path) = file(0o600, "[[token]]\nname = \"x\"\ntoken = \"short\"\n");
        let e = Tokens::default().add_file(&path).unwrap_err().to_string();
        assert!(e.contains("token `x` is shorter than 16"), "{e}");

        let twice = "[[token]]\nname = \"a\"\ntoken = \"same-token-0123456789\"\n\
                     [[token]]\nname = \"b\"\ntoken = \"same-token-0123456789\"\n";
        let (_d, path) = file(0o600, twice);
        let e = Tokens::default().add_file(&path).unwrap_err().to_string();
        assert!(e.contains("token `b` is given twice"), "{e}");

        let e = Tokens::default().add_env("short").unwrap_err().to_string();
        assert!(e.contains(TOKEN_ENV), "{e}");
    }
}
