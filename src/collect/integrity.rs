//! Integrity of fetched documents: hash files and detached OpenPGP signatures.
//!
//! A CSAF document's `.sha512` / `.sha256` file is checked before the document is parsed, and
//! when the feed names a `key_file` its `.asc` signature must verify; either failure rejects that
//! document, not its feed ([`super::ctx`] has the rule) (formats.md §8 quirk 22: hash files
//! written as `<hex>  <name>`). The key is the
//! operator's trust decision: keys a provider's metadata lists are not trusted by themselves.
//! Checking is pure (bytes in, verdict out; rPGP, verification only); only [`load_key`] reads a
//! file, once per sync of the feed.

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use sha2::{Digest, Sha256, Sha512};

use super::ctx::FeedError;

/// Check `bytes` against a `.sha256` / `.sha512` file's text (`<hex>[  <name>]`, quirk 22).
/// `sha256` is the bytes' hex SHA-256 when the caller has it already.
pub fn verify_hash_text(
    url: &str,
    text: &str,
    bytes: &[u8],
    sha256: Option<&str>,
) -> Result<(), FeedError> {
    let expected = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let (algo, actual) = match expected.len() {
        64 => (
            "sha256",
            sha256.map_or_else(|| hex::encode(Sha256::digest(bytes)), str::to_string),
        ),
        128 => ("sha512", hex::encode(Sha512::digest(bytes))),
        _ => {
            return Err(FeedError::HashFile {
                url: url.to_string(),
                reason: "hash file holds no SHA-256 or SHA-512 hex digest".into(),
            })
        }
    };
    if actual != expected {
        return Err(FeedError::HashMismatch {
            url: url.to_string(),
            algo,
            expected,
            actual,
        });
    }
    Ok(())
}

/// Read an armored OpenPGP public key (the feed's `key_file`).
pub fn load_key(path: &std::path::Path) -> Result<SignedPublicKey, FeedError> {
    let text = std::fs::read_to_string(path).map_err(|source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (key, _) = SignedPublicKey::from_string(&text).map_err(|e| FeedError::Signature {
        url: path.display().to_string(),
        reason: format!("not an armored OpenPGP public key: {e}"),
    })?;
    Ok(key)
}

/// Verify an armored detached signature over `data` with the key or one of its subkeys.
pub fn verify_signature(key: &SignedPublicKey, armored: &str, data: &[u8]) -> Result<(), String> {
    let (sig, _) = DetachedSignature::from_string(armored)
        .map_err(|e| format!("not an armored OpenPGP signature: {e}"))?;
    if sig.verify(key, data).is_ok() {
        return Ok(());
    }
    for sub in &key.public_subkeys {
        if sig.verify(sub, data).is_ok() {
            return Ok(());
        }
    }
    Err("signature does not verify with the configured key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_files_with_trailing_name() {
        let body = b"hello";
        let h256 = hex::encode(Sha256::digest(body));
        let h512 = hex::encode(Sha512::digest(body));
        verify_hash_text("u", &format!("{h256}  x.json\n"), body, None).unwrap();
        verify_hash_text("u", &h256, body, Some(&h256)).unwrap();
        verify_hash_text("u", &h512.to_uppercase(), body, Some(&h256)).unwrap();
        let err = verify_hash_text("http://h/x.json", &h256, b"other", None).unwrap_err();
        assert!(
            err.to_string().contains("http://h/x.json: sha256 mismatch"),
            "{err}"
        );
        assert!(matches!(
            verify_hash_text("u", "zz", body, None),
            Err(FeedError::HashFile { .. })
        ));
        assert!(err.rejects_document());
    }

    #[test]
    fn a_key_file_must_be_an_armored_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.asc");
        assert!(matches!(load_key(&missing), Err(FeedError::Io { path, .. }) if path == missing));
        let junk = dir.path().join("junk.asc");
        std::fs::write(&junk, "not a key").unwrap();
        let err = load_key(&junk).unwrap_err();
        assert!(matches!(err, FeedError::Signature { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("not an armored OpenPGP public key"),
            "{err}"
        );
    }
}
