//! Deliver: the room that sends seatwarden's results out — today SEI's writes ([`sei`]): the
//! developer table upload of `developers export --push` and the identities of `developers
//! identities --push`; the report's SMTP mail and webhooks join it next.
//!
//! Besides `sources`, this is the only room that talks to the network, and it does so only through
//! `sources::http` (a token goes to its configured host and nowhere else, secrets stay out of
//! errors). Idempotence is this room's concern, not the HTTP layer's: each delivery says whether
//! its calls may be repeated, and one that changes state elsewhere (the SEI upload) is never
//! retried after a 5xx or a timeout that may have reached the server. Never decides what to send:
//! the caller hands it finished content, and nothing here reads or changes the store.

pub mod sei;
