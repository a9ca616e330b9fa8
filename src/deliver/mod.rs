//! Deliver: the room that sends seatwarden's results out — SEI's writes ([`sei`]: the developer
//! table upload of `developers export --push` and the identities of `developers identities
//! --push`), the weekly report by email ([`smtp`]) and to a webhook ([`webhook`]), each report
//! channel once per run ([`receipts`]).
//!
//! Besides `sources`, this is the only room that talks to the network; HTTP goes only through
//! `sources::http` (a token goes to its configured host and nowhere else, secrets stay out of
//! errors). Idempotence is this room's concern, not the HTTP layer's: each delivery says whether
//! its calls may be repeated, and one that changes state elsewhere (the SEI upload, a chat
//! message) is never retried after a 5xx or a timeout that may have reached the server. Never
//! decides what to send: the caller hands it finished content; the store is touched only for the
//! report's delivery receipts.

pub mod receipts;
pub mod sei;
pub mod smtp;
pub mod webhook;

/// Why a report could not be delivered. Names the server and port, or the webhook's host; never a
/// password or a webhook URL's path.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("email: SMTP server {server}: {message}")]
    Smtp { server: String, message: String },
    #[error("email: {key}: {message}")]
    Address { key: String, message: String },
    #[error("email: report.email.ca_file {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("email: cannot build the message: {0}")]
    Build(String),
    #[error("webhook ({format}) {host}: {message}")]
    Webhook {
        format: &'static str,
        host: String,
        message: String,
    },
    #[error("${var} is not set (or empty)")]
    MissingSecret { var: String },
}
