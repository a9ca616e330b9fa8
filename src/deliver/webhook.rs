//! The weekly report to a webhook (`[report.webhook]`): the finished messages (Slack Block Kit,
//! Teams Workflows envelopes, or the SPEC §4 JSON) POSTed in order through `sources::http`.
//!
//! A POST that may have been received is not repeated: the HTTP layer retries it on 429 (the
//! receiver says it did not take it, and names the wait), never after a 5xx or a timeout — a chat
//! message posted twice is noise, so a failure is recorded instead and the next `report --send`
//! tries again. The URL is a secret (the path holds the token): no error, log line or receipt
//! shows more of it than its scheme and host.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::config::{HttpSettings, WebhookConfig};
use crate::deliver::DeliverError;
use crate::sources::http::{Auth, HttpClient, Request};
use crate::sources::{Secret, Secrets, SourceError};

/// Slack accepts about one message a second per webhook.
const BETWEEN_MESSAGES: Duration = Duration::from_millis(1100);

fn settings(cfg: &WebhookConfig) -> HttpSettings {
    HttpSettings {
        connect_timeout: cfg.timeout.min(Duration::from_secs(10)),
        read_timeout: cfg.timeout,
        total_timeout: cfg.timeout,
        max_retry_wait: Duration::from_secs(60),
        concurrency: 1,
        ..HttpSettings::default()
    }
}

/// What errors may show of the URL: `https://hooks.slack.com`.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

fn error(cfg: &WebhookConfig, url: &Url, e: SourceError) -> DeliverError {
    // The layer's message names the URL: keep only its own words and its cause's.
    let message = match e {
        SourceError::Http { message, cause, .. } => match cause {
            Some(c) => format!("{message}: {}", crate::errors::chain(c.as_ref())),
            None => message,
        },
        SourceError::Config { message, .. } | SourceError::Data { message, .. } => message,
    };
    DeliverError::Webhook {
        format: cfg.format.as_str(),
        host: origin(url),
        message: message.replace(url.as_str(), &origin(url)),
    }
}

/// The webhook URL from its variable.
fn url(cfg: &WebhookConfig, secrets: &Secrets) -> Result<(Url, Secret), DeliverError> {
    let secret = secrets
        .get(&cfg.url_env)
        .ok_or_else(|| DeliverError::MissingSecret {
            var: cfg.url_env.clone(),
        })?;
    let url = Url::parse(secret.expose().trim()).map_err(|e| DeliverError::Webhook {
        format: cfg.format.as_str(),
        host: format!("${}", cfg.url_env),
        message: format!("not a URL ({e})"),
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(DeliverError::Webhook {
            format: cfg.format.as_str(),
            host: format!("${}", cfg.url_env),
            message: "must be an https:// URL".into(),
        });
    }
    Ok((url, secret))
}

/// POST every message in order; returns what was sent.
pub async fn send(
    cfg: &WebhookConfig,
    secrets: &Secrets,
    messages: &[Value],
) -> Result<String, DeliverError> {
    let (url, secret) = url(cfg, secrets)?;
    let client = HttpClient::new("webhook", &url, settings(cfg), Auth::None, None)
        .map_err(|e| error(cfg, &url, e))?
        .with_body_secret(secret)
        .with_secret_url(&url);
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(BETWEEN_MESSAGES).await;
        }
        let request = Request::post(url.clone()).not_idempotent().json(message);
        client.send(request).await.map_err(|e| {
            let mut err = error(cfg, &url, e);
            if let DeliverError::Webhook { message, .. } = &mut err
                && i > 0
            {
                message.push_str(&format!(
                    " (message {} of {}; the {i} before it were posted)",
                    i + 1,
                    messages.len()
                ));
            }
            err
        })?;
    }
    Ok(format!(
        "{} {} {} to {}",
        messages.len(),
        cfg.format.as_str(),
        if messages.len() == 1 {
            "message"
        } else {
            "messages"
        },
        origin(&url)
    ))
}
