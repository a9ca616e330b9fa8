//! The `[report]` section (the weekly report and where it is delivered: `[report.email]`,
//! `[report.webhook]`) and the price keys of `[subscription]`, validated into typed values.
//!
//! Never reads a secret: `username_env`, `password_env` and `url_env` are variable *names*, read
//! later through `sources::Secrets`. A cleartext SMTP connection (`tls = "none"`) is refused here
//! unless the server is on loopback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::sources::Seconds;
use super::{ConfigError, Word};

/// How many weeks the chart and the forecast look back by default (`report.weeks`).
pub const DEFAULT_WEEKS: u32 = 12;
/// The default for `report.email.timeout_secs` and `report.webhook.timeout_secs`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    timezone: Option<String>,
    weeks: Option<u32>,
    email: Option<RawEmail>,
    webhook: Option<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    smtp_url: String,
    tls: Option<Word<SmtpTls>>,
    username_env: Option<String>,
    password_env: Option<String>,
    from: String,
    to: Vec<String>,
    timeout_secs: Option<Seconds>,
    ca_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url_env: String,
    format: Option<Word<WebhookFormat>>,
    timeout_secs: Option<Seconds>,
}

/// TLS policy for SMTP (`required | opportunistic | none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    Required,
    Opportunistic,
    None,
}

/// `[report.email]`: the SMTP server and the message's addresses.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `smtps://host[:port]` (TLS from the start) or `smtp://host[:port]` (STARTTLS per `tls`).
    pub smtp_url: Url,
    pub tls: SmtpTls,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    /// For connecting and for each SMTP command.
    pub timeout: Duration,
    /// PEM certificates to trust besides the public roots (a private CA, a test server).
    pub ca_file: Option<PathBuf>,
}

impl EmailConfig {
    /// The server's host name as written in the URL.
    pub fn host(&self) -> &str {
        self.smtp_url.host_str().unwrap_or("")
    }

    /// The port: the URL's, else 465 for `smtps://` and 587 (submission) for `smtp://`.
    pub fn port(&self) -> u16 {
        self.smtp_url
            .port()
            .unwrap_or(if self.implicit_tls() { 465 } else { 587 })
    }

    /// True for `smtps://`: TLS from the first byte.
    pub fn implicit_tls(&self) -> bool {
        self.smtp_url.scheme() == "smtps"
    }
}

/// What a webhook receives (`slack | teams | json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    Slack,
    Teams,
    Json,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
            WebhookFormat::Json => "json",
        }
    }
}

/// `[report.webhook]`: a chat or JSON receiver whose URL is a secret.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url_env: String,
    pub format: WebhookFormat,
    /// For each POST, all bytes.
    pub timeout: Duration,
}

/// `[report]`.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub timezone: String,
    /// Weeks of history the chart and the forecast use.
    pub weeks: u32,
    pub email: Option<EmailConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            timezone: "UTC".into(),
            weeks: DEFAULT_WEEKS,
            email: None,
            webhook: None,
        }
    }
}

/// What one license costs a year (`subscription.price_per_license`, `subscription.currency`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub price_per_license: f64,
    /// An ISO 4217 code as written (`USD` when unset).
    pub currency: String,
}

/// True for a host that names this machine: `localhost`, 127.0.0.0/8, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn validate_pricing(
    price: Option<f64>,
    currency: Option<&str>,
    file: &Path,
) -> Result<Option<Pricing>, ConfigError> {
    let Some(price) = price else {
        if currency.is_some() {
            return Err(ConfigError::new(
                file,
                "subscription.currency",
                "is only used with subscription.price_per_license",
            ));
        }
        return Ok(None);
    };
    if !price.is_finite() || price < 0.0 {
        return Err(ConfigError::new(
            file,
            "subscription.price_per_license",
            "must be a price of zero or more (per license and year)",
        ));
    }
    let currency = currency.unwrap_or("USD").trim();
    if currency.is_empty() || currency.len() > 8 {
        return Err(ConfigError::new(
            file,
            "subscription.currency",
            "must be a currency code such as USD or EUR",
        ));
    }
    Ok(Some(Pricing {
        price_per_license: price,
        currency: currency.to_string(),
    }))
}

pub(super) fn validate_report(
    r: RawReport,
    file: &Path,
    base: &Path,
) -> Result<ReportConfig, ConfigError> {
    let weeks = r.weeks.unwrap_or(DEFAULT_WEEKS);
    if !(1..=520).contains(&weeks) {
        return Err(ConfigError::new(
            file,
            "report.weeks",
            "must be from 1 to 520",
        ));
    }
    let email = r.email.map(|e| validate_email(e, file, base)).transpose()?;
    let webhook = match r.webhook {
        None => None,
        Some(w) => Some(WebhookConfig {
            url_env: w.url_env,
            format: w.format.map_or(WebhookFormat::Slack, |w| w.0),
            timeout: timeout(w.timeout_secs, "report.webhook.timeout_secs", file)?,
        }),
    };
    Ok(ReportConfig {
        timezone: r.timezone.unwrap_or_else(|| "UTC".into()),
        weeks,
        email,
        webhook,
    })
}

fn timeout(v: Option<Seconds>, key: &str, file: &Path) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(DEFAULT_TIMEOUT),
        Some(Seconds(d)) if !d.is_zero() => Ok(d),
        Some(_) => Err(ConfigError::new(
            file,
            key,
            "must be a positive number of seconds",
        )),
    }
}

fn validate_email(e: RawEmail, file: &Path, base: &Path) -> Result<EmailConfig, ConfigError> {
    let err = |key: &str, m: &str| ConfigError::new(file, format!("report.email.{key}"), m);
    let smtp_url =
        Url::parse(&e.smtp_url).map_err(|x| err("smtp_url", &format!("invalid URL: {x}")))?;
    if smtp_url.scheme() != "smtp" && smtp_url.scheme() != "smtps" {
        return Err(err("smtp_url", "must start with smtp:// or smtps://"));
    }
    if smtp_url.host_str().is_none_or(str::is_empty) {
        return Err(err("smtp_url", "names no host"));
    }
    if !smtp_url.username().is_empty() || smtp_url.password().is_some() {
        return Err(err(
            "smtp_url",
            "must not hold credentials: name their variables in username_env / password_env",
        ));
    }
    let tls = e.tls.map_or(SmtpTls::Required, |w| w.0);
    check_tls(&smtp_url, tls).map_err(|m| err("tls", m))?;
    if e.to.is_empty() {
        return Err(err("to", "needs at least one recipient"));
    }
    check_address(&e.from).map_err(|m| err("from", &m))?;
    for (i, to) in e.to.iter().enumerate() {
        check_address(to).map_err(|m| err(&format!("to[{i}]"), &m))?;
    }
    Ok(EmailConfig {
        tls,
        username_env: e.username_env,
        password_env: e.password_env,
        from: e.from,
        to: e.to,
        timeout: timeout(e.timeout_secs, "report.email.timeout_secs", file)?,
        ca_file: e.ca_file.map(|p| base.join(p)),
        smtp_url,
    })
}

/// An address as a mail header takes it: `name <addr@host>` or `addr@host`.
fn check_address(text: &str) -> Result<(), String> {
    text.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("`{text}` is not an email address ({e})"))
}

/// `none` sends the report (and any password) in clear text: only to a relay on this machine;
/// `smtps://` is TLS whatever `tls` says, so `none` there is a contradiction.
fn check_tls(url: &Url, tls: SmtpTls) -> Result<(), &'static str> {
    if tls != SmtpTls::None {
        return Ok(());
    }
    if url.scheme() == "smtps" {
        return Err(
            "`none` contradicts smtps:// (TLS from the start); use smtp:// for a plain relay",
        );
    }
    if !is_loopback_host(url.host_str().unwrap_or("")) {
        return Err(
            "`none` (no TLS) is only allowed for a relay on loopback (localhost, 127.0.0.1, ::1)",
        );
    }
    Ok(())
}
