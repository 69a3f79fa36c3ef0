//! SMTP delivery with lettre: one multipart/alternative mail (text + HTML) per digest, the
//! idempotency key as `Message-ID`. The server is global configuration ([`SmtpConfig`]); credentials
//! are read from environment variables whose *names* are configured, never logged.

use std::time::Duration;

use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::plan::Message;
use super::render;
use super::DeliveryError;

/// How to talk to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP (a local relay or tests).
    None,
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// The global SMTP settings.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    /// Environment variable names holding the user name and password.
    pub user_env: Option<String>,
    pub password_env: Option<String>,
    pub from: String,
}

impl SmtpConfig {
    /// Parse `smtp://host[:port]` (the port defaults by TLS mode: 25, 587, 465).
    pub fn from_url(
        url: &str,
        tls: Tls,
        from: String,
        user_env: Option<String>,
        password_env: Option<String>,
    ) -> Result<SmtpConfig, DeliveryError> {
        // Never echo credentials someone put in the URL.
        let shown = match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
            _ => url.to_string(),
        };
        let bad = |why: &str| DeliveryError::Config(format!("SMTP URL `{shown}`: {why}"));
        let u = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(u.scheme(), "smtp" | "smtps") {
            return Err(bad("expected smtp://host:port"));
        }
        if u.password().is_some() {
            return Err(bad(
                "credentials in the URL; use --smtp-user-env/--smtp-password-env",
            ));
        }
        let host = u.host_str().ok_or_else(|| bad("no host"))?.to_string();
        let port = u.port().unwrap_or(match tls {
            Tls::None => 25,
            Tls::StartTls => 587,
            Tls::Tls => 465,
        });
        Ok(SmtpConfig {
            host,
            port,
            tls,
            user_env,
            password_env,
            from,
        })
    }

    /// Build the transport (reads the credentials' environment variables).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
        let smtp = |e: lettre::transport::smtp::Error| DeliveryError::Smtp {
            server: format!("{}:{}", self.host, self.port),
            reason: e.to_string(),
        };
        let mut b = match self.tls {
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            Tls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host).map_err(smtp)?
            }
            Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host).map_err(smtp)?,
        }
        .port(self.port)
        .timeout(Some(Duration::from_secs(30)));
        let read = |var: &String| {
            std::env::var(var).map_err(|_| DeliveryError::MissingSecret(var.clone()))
        };
        match (&self.user_env, &self.password_env) {
            (Some(u), Some(p)) => b = b.credentials(Credentials::new(read(u)?, read(p)?)),
            (None, None) => {}
            _ => {
                return Err(DeliveryError::Config(
                    "set both --smtp-user-env and --smtp-password-env, or neither".into(),
                ))
            }
        }
        Ok(b.build())
    }
}

/// Build the mail for one digest.
pub fn build(cfg: &SmtpConfig, to: &str, m: &Message) -> Result<lettre::Message, DeliveryError> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| DeliveryError::Config(format!("--mail-from `{}`: {e}", cfg.from)))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| DeliveryError::Config(format!("owner address `{to}`: {e}")))?;
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(render::subject(m))
        .message_id(Some(format!("<{}@firmwatch>", m.key)))
        .header(header::MIME_VERSION_1_0)
        // Quoted-printable keeps both parts readable in raw form whatever the characters.
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(header::ContentType::TEXT_PLAIN)
                        .header(header::ContentTransferEncoding::QuotedPrintable)
                        .body(render::text(m)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(header::ContentType::TEXT_HTML)
                        .header(header::ContentTransferEncoding::QuotedPrintable)
                        .body(render::html(m)),
                ),
        )
        .map_err(|e| DeliveryError::Render(e.to_string()))
}

/// Send one digest; `Err` when the server did not accept it.
pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    cfg: &SmtpConfig,
    to: &str,
    m: &Message,
) -> Result<(), DeliveryError> {
    let mail = build(cfg, to, m)?;
    transport
        .send(mail)
        .await
        .map(|_| ())
        .map_err(|e| DeliveryError::Smtp {
            server: format!("{}:{}", cfg.host, cfg.port),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_url_ports_modes_and_credentials() {
        let cfg =
            |url: &str, tls| SmtpConfig::from_url(url, tls, "fw@example.net".into(), None, None);
        assert_eq!(
            cfg("smtp://mail.example.net", Tls::StartTls).unwrap().port,
            587
        );
        assert_eq!(cfg("smtp://mail.example.net", Tls::Tls).unwrap().port, 465);
        assert_eq!(cfg("smtp://mail.example.net", Tls::None).unwrap().port, 25);
        assert_eq!(cfg("smtp://127.0.0.1:2525", Tls::None).unwrap().port, 2525);
        assert!(cfg("smtp://u:secret@mail.example.net", Tls::Tls).is_err());
        assert!(cfg("http://mail.example.net", Tls::Tls).is_err());
        for tls in [Tls::None, Tls::StartTls, Tls::Tls] {
            assert!(cfg("smtp://mail.example.net", tls)
                .unwrap()
                .transport()
                .is_ok());
        }
        // Credentials come from the named variables; a missing one is an error naming the variable.
        let mut c = cfg("smtp://mail.example.net", Tls::StartTls).unwrap();
        c.user_env = Some("FIRMWATCH_TEST_SURELY_UNSET_USER".into());
        c.password_env = Some("FIRMWATCH_TEST_SURELY_UNSET_PASS".into());
        let err = c.transport().err().unwrap().to_string();
        assert!(err.contains("FIRMWATCH_TEST_SURELY_UNSET_USER"), "{err}");
        c.password_env = None;
        assert!(c.transport().is_err());
    }

    #[test]
    fn message_id_is_the_idempotency_key_and_both_parts_are_present() {
        let cfg = SmtpConfig::from_url(
            "smtp://localhost",
            Tls::None,
            "fw@example.net".into(),
            None,
            None,
        )
        .unwrap();
        let m = Message {
            owner: "o".into(),
            owner_name: "O".into(),
            generation: "g".into(),
            key: "0123456789abcdef0123456789abcdef".into(),
            items: vec![],
            data_note: None,
        };
        let raw = String::from_utf8(build(&cfg, "o@example.net", &m).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <0123456789abcdef0123456789abcdef@firmwatch>"),
            "{raw}"
        );
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
    }
}
