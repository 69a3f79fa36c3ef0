//! Webhook delivery with reqwest: one POST per digest, `Idempotency-Key` header, an optional bearer
//! token read from the environment variable the owner names. Any 2xx is "accepted".

use std::time::Duration;

use crate::inventory::{Webhook, WebhookFormat};

use super::plan::Message;
use super::render;
use super::DeliveryError;

/// An HTTP client for webhooks (15 s timeout).
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("firmwatch/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The body for the owner's chosen format.
pub fn body(hook: &Webhook, m: &Message) -> Result<String, serde_json::Error> {
    match hook.format {
        WebhookFormat::Generic => render::generic_json(m),
        WebhookFormat::Slack => render::slack_json(m),
    }
}

/// POST the digest; `Err` when it was not accepted.
pub async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    m: &Message,
) -> Result<(), DeliveryError> {
    let body = body(hook, m).map_err(|e| DeliveryError::Render(e.to_string()))?;
    let mut req = client
        .post(&hook.url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &m.key)
        .body(body);
    if let Some(var) = &hook.secret_env {
        let token = std::env::var(var).map_err(|_| DeliveryError::MissingSecret(var.clone()))?;
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.map_err(|e| DeliveryError::Http {
        url: hook.url.clone(),
        reason: e.without_url().to_string(),
    })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Http {
            url: hook.url.clone(),
            reason: format!("HTTP {status}"),
        })
    }
}
