//! The one HTTP layer every source kind (and `deliver`) uses: a reqwest client with timeouts,
//! retries (exponential backoff with full jitter, `Retry-After` and the vendors' rate-limit
//! headers, a bounded total wait), a per-host concurrency limit, conditional requests (ETag),
//! same-host redirects, paging helpers and the auth schemes (Bearer, SSWS, PRIVATE-TOKEN, Basic,
//! Harness's `ApiKey` and `x-api-key`).
//!
//! In parts: `client` (the client, its requests and responses, `send()` and the attempt loop,
//! the capped streaming read), `auth` (the schemes and their headers), `retry` (the retry
//! decision, a pure function), `paging` (next links, `get_pages`, the page cap), `scrub` (every
//! wire form of a secret masked in what servers send back) and `cache` (ETags and the 304 path). A vendor's own
//! paging style or header lives in the vendor's file, not here.
//!
//! Architecture invariant: a request is only ever sent to the origin (scheme, host, port) the
//! client was built for; a next link or redirect elsewhere is refused before anything is sent, so
//! a token never leaves its host. Secrets never appear in an error, a log line or Debug output.

mod auth;
mod cache;
mod client;
mod paging;
mod retry;
mod scrub;

pub use auth::{Auth, base64_encode};
pub use client::{HttpClient, HttpSettings, MIB, Request, Response, redact_url};
pub use paging::{Cursors, json_next, link_next};
pub use retry::server_wait;
pub use scrub::{Scrubber, wire_forms};
