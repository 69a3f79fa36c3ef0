//! Which URLs a feed may follow: one pure rule, checked before anything found in a remote document
//! is fetched.
//!
//! A feed's own `url` is the operator's choice (feed definitions accept only `http`/`https`). Every
//! other URL firmwatch fetches was *read from a remote document*: ROLIE feed entries and their
//! `.sha256`/`.sha512`/`.asc` links, `changes.csv`/`index.txt` entries, a provider-metadata's
//! `directory_url` and distribution URLs, RSS/Atom item links, HTML listing links. A compromised or
//! hostile document could point those at `file:///etc/passwd`, `gopher://`, a cloud metadata
//! endpoint or an internal admin page. So a followed URL must
//! 1. use `http` or `https` — nothing else, ever;
//! 2. not downgrade: from an `https` feed, only `https`;
//! 3. stay on the feed's own host (the host of its configured `url`, same port), unless the feed
//!    file lists the target host in `allow_hosts = ["csaf.vendor.example", "*.vendor.example"]`
//!    (`*.` allows the subdomains of a domain, not the domain itself).
//!
//! **CSAF decision.** A CSAF provider-metadata may legitimately point to another host of the same
//! publisher (documents on `csaf.vendor.example`, metadata on `www.vendor.example`). firmwatch
//! cannot tell "another host of the same publisher" from "a host an attacker chose" without a
//! public-suffix list and an ownership check, and the cost of guessing wrong is a request to any
//! host the metadata names. So CSAF gets no automatic exception: the operator lists the
//! publisher's other hosts in `allow_hosts` once, and the feed error names the host to add.
//! A violation fails the feed (its previous data and checkpoint stay), naming the URL; nothing is
//! fetched from it.

use url::Url;

/// Why a URL may not be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("refusing to follow `{url}`: only http and https URLs are fetched, not `{scheme}:`")]
    Scheme { url: String, scheme: String },
    #[error("refusing to follow `{url}`: an https feed does not follow plain http links")]
    Downgrade { url: String },
    #[error("refusing to follow `{url}`: host `{host}` is not the feed's host `{feed_host}`; add it to the feed's `allow_hosts` if it belongs to the publisher")]
    OtherHost {
        url: String,
        host: String,
        feed_host: String,
    },
}

/// Decide whether a URL read from a remote document of the feed at `feed_url` may be fetched.
/// `allow_hosts` are the feed file's extra hosts (`host` or `*.domain`, lower case).
pub fn check_follow(
    feed_url: &Url,
    allow_hosts: &[String],
    target: &Url,
) -> Result<(), UrlRefused> {
    // Checked for every document a feed fetches: nothing is allocated unless it is refused.
    let url = || target.to_string();
    if !matches!(target.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme {
            url: url(),
            scheme: target.scheme().to_string(),
        });
    }
    if feed_url.scheme() == "https" && target.scheme() != "https" {
        return Err(UrlRefused::Downgrade { url: url() });
    }
    let host = target.host_str().unwrap_or_default();
    let feed_host = feed_url.host_str().unwrap_or_default();
    let same_origin = host.eq_ignore_ascii_case(feed_host)
        && target.port_or_known_default() == feed_url.port_or_known_default();
    let allowed = || {
        let host = host.to_ascii_lowercase();
        allow_hosts.iter().any(|a| match a.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => *a == host,
        })
    };
    if same_origin || allowed() {
        Ok(())
    } else {
        Err(UrlRefused::OtherHost {
            url: url(),
            host: host.to_ascii_lowercase(),
            feed_host: feed_host.to_ascii_lowercase(),
        })
    }
}

/// Check a URL string (as the collectors keep them); an unparsable one is refused as a bad link.
pub fn check_follow_str(
    feed_url: &Url,
    allow_hosts: &[String],
    target: &str,
) -> Result<(), UrlRefused> {
    match Url::parse(target) {
        Ok(u) => check_follow(feed_url, allow_hosts, &u),
        Err(_) => Err(UrlRefused::Scheme {
            url: target.to_string(),
            scheme: "(unparsable)".to_string(),
        }),
    }
}

/// The collectors' call: may this feed fetch `url` (read from one of its remote documents)? Local
/// directory feeds follow no URLs, so only URL feeds are checked.
pub fn follow(ctx: &super::ctx::CollectCtx<'_>, url: &str) -> Result<(), super::ctx::FeedError> {
    match &ctx.feed.location {
        super::feed::FeedLocation::Url(feed_url) => {
            Ok(check_follow_str(feed_url, &ctx.feed.allow_hosts, url)?)
        }
        super::feed::FeedLocation::Path(_) => Ok(()),
    }
}

/// [`follow`] for a URL already parsed.
pub fn follow_url(
    ctx: &super::ctx::CollectCtx<'_>,
    url: &Url,
) -> Result<(), super::ctx::FeedError> {
    match &ctx.feed.location {
        super::feed::FeedLocation::Url(feed_url) => {
            Ok(check_follow(feed_url, &ctx.feed.allow_hosts, url)?)
        }
        super::feed::FeedLocation::Path(_) => Ok(()),
    }
}

/// Validate an `allow_hosts` entry of a feed file: a bare host name or `*.domain`.
pub fn valid_allow_host(s: &str) -> Result<String, String> {
    let h = s.trim().to_ascii_lowercase();
    let bare = h.strip_prefix("*.").unwrap_or(&h);
    if bare.is_empty()
        || bare.contains(['/', ':', '@', '*', ' '])
        || url::Host::parse(bare).is_err()
    {
        return Err(format!(
            "`{s}` is not a host name (write `host.example` or `*.example`, no scheme, port or path)"
        ));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn same_host_http_and_https_only() {
        let feed = u("https://csaf.vendor.example/.well-known/csaf/provider-metadata.json");
        assert!(check_follow(&feed, &[], &u("https://csaf.vendor.example/white/a.json")).is_ok());
        assert!(matches!(
            check_follow(&feed, &[], &u("file:///etc/passwd")),
            Err(UrlRefused::Scheme { .. })
        ));
        assert!(matches!(
            check_follow(&feed, &[], &u("gopher://csaf.vendor.example/x")),
            Err(UrlRefused::Scheme { .. })
        ));
        assert!(matches!(
            check_follow(&feed, &[], &u("http://csaf.vendor.example/a.json")),
            Err(UrlRefused::Downgrade { .. })
        ));
        let e =
            check_follow(&feed, &[], &u("https://169.254.169.254/latest/meta-data/")).unwrap_err();
        assert!(e.to_string().contains("169.254.169.254"), "{e}");
        assert!(e.to_string().contains("allow_hosts"), "{e}");
    }

    #[test]
    fn port_and_host_spelling_matter() {
        let feed = u("http://127.0.0.1:8080/feed/");
        assert!(check_follow(&feed, &[], &u("http://127.0.0.1:8080/doc")).is_ok());
        assert!(check_follow(&feed, &[], &u("http://127.0.0.1:9090/doc")).is_err());
        assert!(check_follow(&feed, &[], &u("http://localhost:8080/doc")).is_err());
    }

    #[test]
    fn allow_hosts_exact_and_wildcard() {
        let feed = u("https://www.vendor.example/provider-metadata.json");
        let allow = vec![
            "csaf.vendor.example".to_string(),
            "*.cdn.example".to_string(),
        ];
        assert!(check_follow(&feed, &allow, &u("https://csaf.vendor.example/a")).is_ok());
        assert!(check_follow(&feed, &allow, &u("https://x.cdn.example/a")).is_ok());
        assert!(check_follow(&feed, &allow, &u("https://cdn.example/a")).is_err());
        assert!(check_follow(&feed, &allow, &u("https://evilcdn.example/a")).is_err());
        assert!(check_follow(&feed, &allow, &u("https://csaf.vendor.example.evil/a")).is_err());
    }

    #[test]
    fn allow_host_entries_are_validated() {
        assert_eq!(
            valid_allow_host("CSAF.Vendor.Example").unwrap(),
            "csaf.vendor.example"
        );
        assert!(valid_allow_host("*.vendor.example").is_ok());
        assert!(valid_allow_host("https://vendor.example").is_err());
        assert!(valid_allow_host("vendor.example/path").is_err());
        assert!(valid_allow_host("").is_err());
        assert!(valid_allow_host("*.").is_err());
    }
}
