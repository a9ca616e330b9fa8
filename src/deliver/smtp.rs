//! The weekly report by email, through lettre: `multipart/mixed` [ `multipart/related` [
//! `multipart/alternative` [text, HTML], the chart as an inline PNG (`cid:`) ], the
//! recommendations CSV attached ]. `smtps://` is TLS from the first byte; `smtp://` upgrades with
//! STARTTLS as `tls` says (`none` only reaches a loopback relay: the config refuses it elsewhere).
//!
//! Never puts the password into an error, a log line or Debug output; errors name the server and
//! port. Trusts the public roots plus `report.email.ca_file`, never "any certificate".

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{EmailConfig, SmtpTls};
use crate::deliver::DeliverError;
use crate::sources::{Secret, Secrets};

/// The Content-ID of the chart part, referenced by the HTML as `cid:` + this.
pub const CHART_CID: &str = "chart@seatwarden";
/// The attachment's file name.
pub const CSV_NAME: &str = "recommendations.csv";

/// A finished email: every part already rendered.
#[derive(Debug, Clone)]
pub struct Email {
    pub subject: String,
    pub text: String,
    /// Refers to the chart as `cid:` + [`CHART_CID`].
    pub html: String,
    pub chart_png: Vec<u8>,
    pub csv: String,
}

/// Build the MIME message for `to`.
pub fn message(cfg: &EmailConfig, to: &[String], email: &Email) -> Result<Message, DeliverError> {
    let address = |key: &str, text: &str| {
        text.parse::<Mailbox>().map_err(|e| DeliverError::Address {
            key: key.to_string(),
            message: format!("`{text}` is not an email address: {e}"),
        })
    };
    let mut builder = Message::builder()
        .from(address("report.email.from", &cfg.from)?)
        .subject(email.subject.clone());
    for (i, t) in to.iter().enumerate() {
        builder = builder.to(address(&format!("report.email.to[{i}]"), t)?);
    }
    let png = ContentType::parse("image/png").map_err(|e| DeliverError::Build(e.to_string()))?;
    let csv = ContentType::parse("text/csv; charset=utf-8")
        .map_err(|e| DeliverError::Build(e.to_string()))?;
    let related = MultiPart::related()
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .singlepart(
            Attachment::new_inline(CHART_CID.to_string()).body(base64_body(&email.chart_png), png),
        );
    let attachment: SinglePart =
        Attachment::new(CSV_NAME.to_string()).body(base64_body(email.csv.as_bytes()), csv);
    builder
        .multipart(MultiPart::mixed().multipart(related).singlepart(attachment))
        .map_err(|e| DeliverError::Build(e.to_string()))
}

/// An attachment's bytes as base64 in 76-character lines. Encoded here because lettre, given text,
/// first turns each LF into CRLF with one `String::insert` per line (quadratic: 0.5 s for a 3.4 MB
/// recommendations CSV of 21,000 lines); base64 keeps the bytes exactly as `report::csv` wrote them.
fn base64_body(bytes: &[u8]) -> Body {
    let text = crate::sources::http::base64_encode(bytes);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38 + 2);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    // Base64 text in short lines is what this encoding promises; nothing else goes in.
    Body::dangerous_pre_encoded(out, ContentTransferEncoding::Base64)
}

/// The server as errors name it: `host:port`.
pub fn server(cfg: &EmailConfig) -> String {
    format!("{}:{}", cfg.host(), cfg.port())
}

fn tls(cfg: &EmailConfig) -> Result<Tls, DeliverError> {
    if cfg.tls == SmtpTls::None && !cfg.implicit_tls() {
        return Ok(Tls::None);
    }
    let mut params = TlsParameters::builder(cfg.host().to_string());
    if let Some(path) = &cfg.ca_file {
        let ca_err = |message: String| DeliverError::CaFile {
            path: path.display().to_string(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
        params = params
            .add_root_certificate(Certificate::from_pem(&pem).map_err(|e| ca_err(e.to_string()))?);
    }
    let params = params.build_rustls().map_err(|e| DeliverError::Smtp {
        server: server(cfg),
        message: format!("cannot set up TLS: {e}"),
    })?;
    Ok(match (cfg.implicit_tls(), cfg.tls) {
        (true, _) => Tls::Wrapper(params),
        (false, SmtpTls::Required) => Tls::Required(params),
        (false, _) => Tls::Opportunistic(params),
    })
}

/// The credentials from the named variables: both or neither.
fn credentials(
    cfg: &EmailConfig,
    secrets: &Secrets,
) -> Result<Option<(String, Secret)>, DeliverError> {
    fn read<'a>(var: &'a Option<String>, secrets: &Secrets) -> Option<(&'a str, Option<Secret>)> {
        var.as_deref().map(|v| (v, secrets.get(v)))
    }
    match (
        read(&cfg.username_env, secrets),
        read(&cfg.password_env, secrets),
    ) {
        (None, None) => Ok(None),
        (Some((_, Some(user))), Some((_, Some(password)))) => {
            Ok(Some((user.expose().to_string(), password)))
        }
        (Some((var, None)), _) | (_, Some((var, None))) => Err(DeliverError::MissingSecret {
            var: var.to_string(),
        }),
        _ => Err(DeliverError::Address {
            key: "report.email".into(),
            message: "username_env and password_env go together: set both or neither".into(),
        }),
    }
}

/// Send `email` to `to` (the configured recipients unless overridden); returns what was sent.
pub async fn send(
    cfg: &EmailConfig,
    to: &[String],
    secrets: &Secrets,
    email: &Email,
) -> Result<String, DeliverError> {
    let timer = crate::telemetry::Phase::start();
    let message = message(cfg, to, email)?;
    timer.done("email: MIME message built");
    let creds = credentials(cfg, secrets)?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host())
        .port(cfg.port())
        .tls(tls(cfg)?)
        .timeout(Some(cfg.timeout));
    if let Some((user, password)) = &creds {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    let transport = builder.build();
    let timer = crate::telemetry::Phase::start();
    let response = transport.send(message).await.map_err(|e| {
        let mut text = crate::errors::chain(&e);
        if let Some((_, password)) = &creds
            && !password.expose().is_empty()
        {
            text = text.replace(password.expose(), "***");
        }
        DeliverError::Smtp {
            server: server(cfg),
            message: text,
        }
    })?;
    timer.done("email: SMTP exchange done");
    let id = response.message().next().unwrap_or("").trim().to_string();
    Ok(format!(
        "to {} {} through {}{}",
        to.len(),
        if to.len() == 1 {
            "recipient"
        } else {
            "recipients"
        },
        server(cfg),
        if id.is_empty() {
            String::new()
        } else {
            format!(" ({id})")
        }
    ))
}
