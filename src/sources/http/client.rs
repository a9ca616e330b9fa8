//! The client of one source for one origin: [`HttpSettings`], [`Request`], [`Response`] and
//! [`HttpClient::send`], which reads as its steps — the origin check, the cache lookup, the attempt
//! loop (each attempt under the host's concurrency limit, the wait between them chosen by
//! `retry::decide`), same-host redirects, a 304 answered from the stored body, the credentials
//! message for 401 / 403, and the cache store.
//!
//! Bodies are read as a stream, decompressed, against two caps: [`HttpSettings::max_response_bytes`]
//! per response and [`HttpSettings::max_source_bytes`] for everything this client reads; a body
//! that passes either is an error, never buffered whole. A body that breaks off is a transport
//! failure, retried like a reset. Every body and header value read is scrubbed of the client's
//! secrets in all their wire forms (`scrub`) before anything else sees it.
//!
//! Never sends anything outside the origin it was built for (a link or redirect elsewhere is
//! refused before it is sent), never puts a secret into an error, a log line or Debug output
//! (bodies are scrubbed, URLs redacted), never overflows a clock on a server's wait (waits are
//! clamped and added saturating), and never decides by itself whether to retry.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::auth::Auth;
use super::retry::{self, Attempt, Decision, Failure, Outcome};
use super::scrub::Scrubber;
use crate::sources::{HttpCache, Secret, SourceError};

const MAX_REDIRECTS: usize = 5;

/// HTTP behaviour of one source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Per request, all bytes.
    pub total_timeout: Duration,
    /// The most time spent waiting between retries of one request before giving up.
    pub max_retry_wait: Duration,
    /// Requests in flight to one host at most.
    pub concurrency: usize,
    /// The most bytes one response body may hold, after decompression.
    pub max_response_bytes: u64,
    /// The most body bytes (after decompression) one client reads in all: one source's run.
    pub max_source_bytes: u64,
    /// The most pages one listing may have, whatever its paging style.
    pub max_pages: usize,
}

/// One mebibyte, the unit of the `max_*_mb` keys.
pub const MIB: u64 = 1 << 20;

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
            max_retry_wait: Duration::from_secs(120),
            concurrency: 8,
            max_response_bytes: 32 * MIB,
            max_source_bytes: 1024 * MIB,
            max_pages: 5_000,
        }
    }
}

/// One request to send (method, URL, extra headers, body).
#[derive(Clone)]
pub struct Request {
    pub(super) method: Method,
    pub(super) url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Body>,
    pub(super) conditional: bool,
    /// False for requests that change state (an upload): retried only on 429, when the server says
    /// it did not process the request, never after a 5xx or a timeout that may have reached it.
    idempotent: bool,
    /// Response headers a vendor's paging style reads, kept with a cached body besides the
    /// generic ones, so that a 304 page still knows its next page.
    pub(super) paging_headers: &'static [&'static str],
    /// True when the caller reads a 4xx answer's body itself (other than 401 / 403): `send` hands
    /// it back instead of turning it into an error.
    keep_client_errors: bool,
}

/// A request body, kept as bytes so that a retry sends it again.
#[derive(Clone)]
enum Body {
    /// The bytes, sent with this content type.
    Bytes {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// `multipart/form-data` holding one file part.
    FilePart {
        part: &'static str,
        file_name: &'static str,
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies may hold a client secret (token requests): never shown.
        write!(f, "Request({} {})", self.method, redact_url(&self.url))
    }
}

impl Request {
    /// A GET, conditional (ETag) when the client has a cache.
    pub fn get(url: Url) -> Request {
        Request {
            conditional: true,
            ..Request::with_method(Method::GET, url)
        }
    }

    fn with_method(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
            conditional: false,
            idempotent: true,
            paging_headers: &[],
            keep_client_errors: false,
        }
    }

    pub fn post(url: Url) -> Request {
        Request::with_method(Method::POST, url)
    }

    pub fn put(url: Url) -> Request {
        Request::with_method(Method::PUT, url)
    }

    pub fn patch(url: Url) -> Request {
        Request::with_method(Method::PATCH, url)
    }

    /// Adds a header (static name, plain value).
    pub fn header(mut self, name: &'static str, value: &str) -> Request {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }

    pub fn json(mut self, body: &serde_json::Value) -> Request {
        self.body = Some(Body::Bytes {
            content_type: "application/json",
            bytes: body.to_string().into_bytes(),
        });
        self
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Request {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        self.body = Some(Body::Bytes {
            content_type: "application/x-www-form-urlencoded",
            bytes: s.finish().into_bytes(),
        });
        self
    }

    pub fn text(mut self, content_type: &'static str, body: &str) -> Request {
        self.body = Some(Body::Bytes {
            content_type,
            bytes: body.as_bytes().to_vec(),
        });
        self
    }

    /// A `multipart/form-data` body of one file: the form field `part`, its file name and the
    /// file's content type (curl's `-F "part=@file_name;type=content_type"`).
    pub fn file_part(
        mut self,
        part: &'static str,
        file_name: &'static str,
        content_type: &'static str,
        bytes: &[u8],
    ) -> Request {
        self.body = Some(Body::FilePart {
            part,
            file_name,
            content_type,
            bytes: bytes.to_vec(),
        });
        self
    }

    /// Hand 4xx answers (other than 401 / 403) back to the caller, which reads their bodies (a
    /// vendor's structured error), instead of failing with the status.
    pub fn keeping_client_errors(mut self) -> Request {
        self.keep_client_errors = true;
        self
    }

    /// Mark a request that changes state: no retry unless the server answers 429.
    pub fn not_idempotent(mut self) -> Request {
        self.idempotent = false;
        self
    }

    /// Turn ETag handling off for this request.
    pub fn unconditional(mut self) -> Request {
        self.conditional = false;
        self
    }

    /// Keep these response headers with a cached body (a vendor's paging headers).
    pub(super) fn keeping_headers(mut self, names: &'static [&'static str]) -> Request {
        self.paging_headers = names;
        self
    }
}

/// A complete response: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The URL that was asked for (before any same-host redirect).
    pub url: Url,
    /// True when the server answered 304 and this is the stored body.
    pub from_cache: bool,
}

impl Response {
    /// A 200 with this body and no headers, as if `url` had answered it (the fuzz targets feed
    /// the vendors' mappings this way).
    pub fn from_body(url: Url, body: Vec<u8>) -> Response {
        Response {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body,
            url,
            from_cache: false,
        }
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (a BOM is dropped).
    pub fn text(&self, source: &str) -> Result<&str, SourceError> {
        let body = self
            .body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.body);
        std::str::from_utf8(body).map_err(|e| SourceError::Data {
            source_name: source.to_string(),
            location: redact_url(&self.url),
            message: format!("the response is not UTF-8 text ({e})"),
        })
    }

    /// The body parsed as JSON into `T`, errors naming the URL and the path at fault.
    pub fn json<T: DeserializeOwned>(&self, source: &str) -> Result<T, SourceError> {
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| SourceError::Data {
            source_name: source.to_string(),
            location: redact_url(&self.url),
            message: format!("unexpected JSON at `{}`: {}", e.path(), e.inner()),
        })
    }
}

/// An attempt that got no complete answer: its kind and the error behind it (no URL in it).
struct Transport {
    failure: Failure,
    cause: reqwest::Error,
}

impl Transport {
    /// A body that broke off (reset, cut short, a stream that failed to decompress): transient,
    /// unless the clock ran out.
    fn body_broke_off(e: reqwest::Error) -> Transport {
        let e = e.without_url();
        let failure = if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Body
        };
        Transport { failure, cause: e }
    }

    fn from_reqwest(e: reqwest::Error) -> Transport {
        let e = e.without_url();
        let failure = if e.is_timeout() {
            Failure::Timeout
        } else if e.is_connect() {
            Failure::Connect
        } else if e.is_request() {
            Failure::Request
        } else if e.is_body() {
            Failure::Body
        } else {
            Failure::Other
        };
        Transport { failure, cause: e }
    }

    /// What went wrong, in a few words; the cause's own chain follows it in the error.
    fn summary(&self) -> &'static str {
        match self.failure {
            Failure::Timeout => "timed out",
            Failure::Connect => "could not connect",
            Failure::Request => "the request could not be sent",
            Failure::Body => "the answer broke off",
            Failure::Other => "the request failed",
        }
    }

    fn into_error(self, client: &HttpClient, url: &Url, message: String) -> SourceError {
        SourceError::Http {
            source_name: client.source.clone(),
            url: redact_url(url),
            message,
            cause: Some(Box::new(self.cause)),
        }
    }
}

/// The client of one source for one origin. Cheap to share behind an `Arc`.
pub struct HttpClient {
    pub(super) source: String,
    origin: url::Origin,
    origin_text: String,
    inner: reqwest::Client,
    pub(super) settings: HttpSettings,
    auth: Mutex<Auth>,
    limit: Semaphore,
    pub(super) cache: Option<Arc<dyn HttpCache>>,
    /// Set when a rate-limit header says the budget is spent: no request before this instant.
    paused_until: Mutex<Option<Instant>>,
    /// Headers sent with every request (vendor API version, Accept).
    default_headers: Vec<(HeaderName, HeaderValue)>,
    /// Secrets sent in bodies (a client secret) or in the configured URL (`?access_token=`),
    /// scrubbed from what servers send back like the auth token.
    other_secrets: Vec<Secret>,
    /// The scrubber for the current credentials; rebuilt when they change.
    scrubber: Mutex<Option<Arc<Scrubber>>>,
    /// Body bytes read so far, against `settings.max_source_bytes`.
    received: AtomicU64,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("source", &self.source)
            .field("origin", &self.origin_text)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client that may only talk to `base`'s origin, sending `auth` there.
    pub fn new(
        source: &str,
        base: &Url,
        settings: HttpSettings,
        auth: Auth,
        cache: Option<Arc<dyn HttpCache>>,
    ) -> Result<HttpClient, SourceError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let inner = reqwest::Client::builder()
            .user_agent(concat!("seatwarden/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .timeout(settings.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .build()
            .map_err(|e| SourceError::Http {
                source_name: source.to_string(),
                url: redact_url(base),
                message: "cannot build the HTTP client".into(),
                cause: Some(Box::new(e.without_url())),
            })?;
        Ok(HttpClient {
            source: source.to_string(),
            origin: base.origin(),
            origin_text: base.origin().ascii_serialization(),
            inner,
            settings,
            auth: Mutex::new(auth),
            limit: Semaphore::new(settings.concurrency.max(1)),
            cache,
            paused_until: Mutex::new(None),
            default_headers: Vec::new(),
            other_secrets: url_secrets(base),
            scrubber: Mutex::new(None),
            received: AtomicU64::new(0),
        })
    }

    /// Marks a secret this client sends in request bodies, so it is scrubbed from what servers
    /// send back.
    pub fn with_body_secret(mut self, secret: Secret) -> HttpClient {
        self.other_secrets.push(secret);
        self.scrubber = Mutex::new(None);
        self
    }

    /// Marks `url` as a secret as a whole (a webhook's: the path or query holds the token), so
    /// neither it nor its path and query, which a server may echo back without the origin, reach
    /// an error, a log line or a receipt.
    pub fn with_secret_url(mut self, url: &Url) -> HttpClient {
        self.other_secrets.extend(whole_url_secrets(url));
        self.scrubber = Mutex::new(None);
        self
    }

    /// The scrubber for this client's secrets as they are now (the auth token, Basic's
    /// `user:token`, body and URL secrets).
    pub(super) fn scrubber(&self) -> Arc<Scrubber> {
        let mut slot = match self.scrubber.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(s) = slot.as_ref() {
            return s.clone();
        }
        let mut secrets = self.current_auth().secrets();
        secrets.extend(self.other_secrets.iter().map(|s| s.expose().to_string()));
        let built = Arc::new(Scrubber::new(secrets.iter().map(String::as_str)));
        *slot = Some(built.clone());
        built
    }

    /// Sends `name: value` with every request of this client.
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> HttpClient {
        self.default_headers.push((
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
        self
    }

    /// Replace the credentials (msgraph refreshes its bearer token).
    pub fn set_auth(&self, auth: Auth) {
        if let Ok(mut a) = self.auth.lock() {
            *a = auth;
        }
        if let Ok(mut s) = self.scrubber.lock() {
            *s = None;
        }
    }

    fn current_auth(&self) -> Auth {
        // A poisoned lock still holds the last scheme set; never fall back to no auth silently.
        match self.auth.lock() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(super) fn http_error(&self, url: &Url, message: impl Into<String>) -> SourceError {
        SourceError::Http {
            source_name: self.source.clone(),
            url: redact_url(url),
            message: message.into(),
            cause: None,
        }
    }

    /// Refuses any URL outside this client's origin.
    pub(super) fn check_origin(&self, url: &Url, what: &str) -> Result<(), SourceError> {
        if url.origin() == self.origin {
            return Ok(());
        }
        Err(self.http_error(
            url,
            format!(
                "refused to follow a {what} to another host: this source's credentials are only sent to {}",
                self.origin_text
            ),
        ))
    }

    /// GET `url` and return the successful response.
    pub async fn get(&self, url: Url) -> Result<Response, SourceError> {
        self.send(Request::get(url)).await
    }

    /// Send a request: origin check, ETag, retries, same-host redirects. Any non-2xx outcome is an
    /// error naming the source and the URL, except a 4xx the request asked to read itself
    /// ([`Request::keeping_client_errors`]).
    pub async fn send(&self, req: Request) -> Result<Response, SourceError> {
        let url = req.url.clone();
        let keep = req.keep_client_errors;
        let resp = self.answer(req).await?;
        if !(keep && is_readable_client_error(resp.status)) {
            self.refuse_failure(&url, &resp)?;
        }
        Ok(resp)
    }

    /// GET `url`; None when the server answers 404 or 410 (the thing is gone, e.g. a member who
    /// left between two calls). Any other non-2xx outcome is an error, as with [`HttpClient::send`].
    pub async fn get_unless_gone(&self, url: Url) -> Result<Option<Response>, SourceError> {
        let resp = self.answer(Request::get(url.clone())).await?;
        if matches!(resp.status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Ok(None);
        }
        self.refuse_failure(&url, &resp)?;
        Ok(Some(resp))
    }

    /// The final answer to `req`, not yet judged: origin check, ETag, retries, same-host
    /// redirects, a 304 answered from the stored body; a fresh success is stored.
    async fn answer(&self, req: Request) -> Result<Response, SourceError> {
        self.check_origin(&req.url, "link")?;
        let stored = self.cache_lookup(&req).await;
        let etag = stored.as_ref().map(|s| s.etag.as_str());
        let resp = self.follow_redirects(&req, etag).await?;
        if resp.status == StatusCode::NOT_MODIFIED {
            return self.reuse_stored(req.url, stored);
        }
        self.cache_store(&req, &resp).await;
        Ok(Response {
            url: req.url,
            ..resp
        })
    }

    /// Sends `req` (with retries), following same-host redirects; returns the first answer that is
    /// not a redirect to follow.
    async fn follow_redirects(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<Response, SourceError> {
        let mut current = req.clone();
        let mut redirects = 0;
        loop {
            let resp = self.send_with_retries(&current, etag).await?;
            let Some(next) = self.redirect_target(&current, &resp)? else {
                return Ok(resp);
            };
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(self.http_error(&req.url, "too many redirects"));
            }
            current = redirected(current, resp.status, next);
        }
    }

    /// Where a redirect answer points, on this origin; `None` when `resp` is no redirect to follow
    /// (not a 3xx, a 304, or no `Location`).
    fn redirect_target(
        &self,
        current: &Request,
        resp: &Response,
    ) -> Result<Option<Url>, SourceError> {
        if !resp.status.is_redirection() || resp.status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let Some(location) = resp.header("location") else {
            return Ok(None);
        };
        let next = current
            .url
            .join(location)
            .map_err(|e| self.http_error(&current.url, format!("bad redirect location: {e}")))?;
        self.check_origin(&next, "redirect")?;
        Ok(Some(next))
    }

    /// 401 / 403 as "rejected the credentials", any other non-2xx as its status; both with a
    /// scrubbed excerpt of the body.
    pub fn refuse_failure(&self, url: &Url, resp: &Response) -> Result<(), SourceError> {
        if resp.status == StatusCode::UNAUTHORIZED || resp.status == StatusCode::FORBIDDEN {
            return Err(self.http_error(
                url,
                format!(
                    "{} rejected the credentials (HTTP {}){}",
                    self.origin_text,
                    resp.status.as_u16(),
                    self.body_hint(resp)
                ),
            ));
        }
        if !resp.status.is_success() {
            return Err(
                self.http_error(url, format!("HTTP {}{}", resp.status, self.body_hint(resp)))
            );
        }
        Ok(())
    }

    /// A short excerpt of an error body, to help the operator: scrubbed whole first, then cut,
    /// so that no part of a secret survives the cut.
    fn body_hint(&self, resp: &Response) -> String {
        let scrubbed = self.scrubber().bytes(&resp.body).into_owned();
        let text = String::from_utf8_lossy(&scrubbed);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text: String = text.chars().take(BODY_HINT_CHARS).collect();
        if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        }
    }

    async fn wait_for_pause(&self, url: &Url, waited: &mut Duration) -> Result<(), SourceError> {
        let until = self.paused_until.lock().ok().and_then(|p| *p);
        let Some(until) = until else { return Ok(()) };
        let now = Instant::now();
        if until <= now {
            return Ok(());
        }
        let wait = until - now;
        if waited.saturating_add(wait) > self.settings.max_retry_wait {
            return Err(self.http_error(
                url,
                format!(
                    "rate limit exhausted; the server resets it in {:.0}s, longer than http.max_retry_wait ({:.0}s)",
                    wait.as_secs_f64(),
                    self.settings.max_retry_wait.as_secs_f64()
                ),
            ));
        }
        tracing::info!(source = %self.source, wait_secs = wait.as_secs_f64(), "rate limit exhausted: pausing");
        tokio::time::sleep(wait).await;
        *waited = waited.saturating_add(wait);
        Ok(())
    }

    /// One request with retries, as `retry::decide` says; returns the first answer it accepts.
    async fn send_with_retries(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<Response, SourceError> {
        let mut attempt = Attempt {
            number: 0,
            idempotent: req.idempotent,
            waited: Duration::ZERO,
            budget: self.settings.max_retry_wait,
        };
        loop {
            self.wait_for_pause(&req.url, &mut attempt.waited).await?;
            let result = self.attempt(req, etag).await?;
            attempt.number += 1;
            let (outcome, last_error) = match &result {
                Ok(resp) => {
                    self.note_rate_limit(&resp.headers);
                    let outcome = Outcome::Answered {
                        status: resp.status,
                        headers: &resp.headers,
                    };
                    (outcome, format!("HTTP {}", resp.status))
                }
                Err(t) => (Outcome::Failed(t.failure), t.summary().to_string()),
            };
            let after = match retry::decide(&attempt, &outcome, SystemTime::now(), rand::random()) {
                Decision::Accept => {
                    return result
                        .map_err(|t| t.into_error(self, &req.url, last_error.to_string()));
                }
                Decision::GiveUp { why } => {
                    let message = why.message(&attempt, &last_error);
                    return Err(match result {
                        Err(t) => t.into_error(self, &req.url, message),
                        Ok(_) => self.http_error(&req.url, message),
                    });
                }
                Decision::Retry { after } => after,
            };
            tracing::warn!(
                source = %self.source,
                url = %redact_url(&req.url),
                attempt = attempt.number,
                wait_ms = after.as_millis() as u64,
                reason = %last_error,
                "retrying"
            );
            tokio::time::sleep(after).await;
            attempt.waited = attempt.waited.saturating_add(after);
        }
    }

    /// One attempt under the host's concurrency limit. Outer error: give up now (the client shut
    /// down, a token that cannot be a header). Inner error: no complete answer arrived.
    async fn attempt(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<Result<Response, Transport>, SourceError> {
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| self.http_error(&req.url, "the client was shut down"))?;
        let resp = match self.build(req, etag)?.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Err(Transport::from_reqwest(e))),
        };
        let status = resp.status();
        let headers = self.scrubbed_headers(resp.headers());
        let body = match self.read_body(&req.url, resp).await? {
            Ok(body) => body,
            Err(t) => return Ok(Err(t)),
        };
        let body = match self.scrubber().bytes(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(scrubbed) => scrubbed,
        };
        Ok(Ok(Response {
            status,
            headers,
            body,
            url: req.url.clone(),
            from_cache: false,
        }))
    }

    /// The body, read chunk by chunk (decompressed) against the per-response and per-source caps.
    /// Outer error: a cap was passed (not retried). Inner error: the body broke off.
    async fn read_body(
        &self,
        url: &Url,
        mut resp: reqwest::Response,
    ) -> Result<Result<Vec<u8>, Transport>, SourceError> {
        let limit = self.settings.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(self.too_large(url));
        }
        // The chunks are kept as they come and joined once at the end: a growing Vec would hold
        // its old and its doubled buffer at once, half again the cap at the worst moment.
        let mut chunks = Vec::new();
        let mut len: u64 = 0;
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(Ok(joined(chunks, len))),
                Err(e) => return Ok(Err(Transport::body_broke_off(e))),
            };
            len += chunk.len() as u64;
            if len > limit {
                return Err(self.too_large(url));
            }
            self.count_received(url, chunk.len())?;
            chunks.push(chunk);
        }
    }

    fn too_large(&self, url: &Url) -> SourceError {
        self.http_error(
            url,
            format!(
                "the answer is larger than {} (max_response_mb); stopped reading it",
                size(self.settings.max_response_bytes)
            ),
        )
    }

    /// Adds `n` body bytes to what this client has read; an error past `max_source_bytes`.
    fn count_received(&self, url: &Url, n: usize) -> Result<(), SourceError> {
        let before = self.received.fetch_add(n as u64, Ordering::Relaxed);
        if before.saturating_add(n as u64) <= self.settings.max_source_bytes {
            return Ok(());
        }
        Err(self.http_error(
            url,
            format!(
                "this source's answers add up to more than {} (max_source_mb); stopped reading",
                size(self.settings.max_source_bytes)
            ),
        ))
    }

    /// The response headers with any value that carries a secret masked.
    fn scrubbed_headers(&self, headers: &HeaderMap) -> HeaderMap {
        let scrubber = self.scrubber();
        let mut out = headers.clone();
        for value in out.values_mut() {
            if scrubber.finds(value.as_bytes())
                && let Ok(masked) = HeaderValue::from_bytes(&scrubber.bytes(value.as_bytes()))
            {
                *value = masked;
            }
        }
        out
    }

    /// The reqwest request: auth header, default and request headers, `If-None-Match`, body.
    fn build(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<reqwest::RequestBuilder, SourceError> {
        let mut builder = self.inner.request(req.method.clone(), req.url.clone());
        if let Some((name, value)) = self
            .current_auth()
            .header()
            .map_err(|m| self.http_error(&req.url, m))?
        {
            builder = builder.header(name, value);
        }
        for (name, value) in self.default_headers.iter().chain(&req.headers) {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(etag) = etag
            && let Ok(v) = HeaderValue::from_str(etag)
        {
            builder = builder.header(header::IF_NONE_MATCH, v);
        }
        match &req.body {
            None => {}
            Some(Body::Bytes {
                content_type,
                bytes,
            }) => {
                builder = builder
                    .header(header::CONTENT_TYPE, *content_type)
                    .body(bytes.clone());
            }
            Some(Body::FilePart {
                part,
                file_name,
                content_type,
                bytes,
            }) => {
                let file = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(*file_name)
                    .mime_str(content_type)
                    .map_err(|e| self.http_error(&req.url, format!("bad content type: {e}")))?;
                builder = builder.multipart(reqwest::multipart::Form::new().part(*part, file));
            }
        }
        Ok(builder)
    }

    /// A spent rate-limit budget on a successful response pauses the following requests.
    fn note_rate_limit(&self, headers: &HeaderMap) {
        if let Some(wait) = retry::exhausted_budget_wait(headers, SystemTime::now())
            && let Some(until) = Instant::now().checked_add(wait)
            && let Ok(mut p) = self.paused_until.lock()
        {
            *p = Some(until);
        }
    }
}

/// A 4xx a caller may read for itself: not 401 / 403 (the credentials message says more) and not
/// 429 (retried, or given up on with its wait).
fn is_readable_client_error(status: StatusCode) -> bool {
    status.is_client_error()
        && !matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        )
}

/// A byte cap as the config says it (`32 MiB`), or in bytes when it is no whole number of MiB.
fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The chunks of a body as one buffer of exactly `len` bytes.
fn joined<C: AsRef<[u8]>>(chunks: Vec<C>, len: u64) -> Vec<u8> {
    let mut body = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    for chunk in chunks {
        body.extend_from_slice(chunk.as_ref());
    }
    body
}

/// The request a redirect asks for: a 303, and a 301 / 302 after anything but a GET, turn into a
/// plain GET; any other redirect repeats the request at the new URL.
fn redirected(current: Request, status: StatusCode, next: Url) -> Request {
    let becomes_get = status == StatusCode::SEE_OTHER
        || (current.method != Method::GET
            && matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND));
    if becomes_get {
        Request::with_method(Method::GET, next)
    } else {
        Request {
            url: next,
            ..current
        }
    }
}

/// How many characters of an error body an error message quotes.
const BODY_HINT_CHARS: usize = 200;

/// Whether a query parameter's name says its value is a credential.
fn secretish(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "key",
        "secret",
        "password",
        "signature",
        "sig",
        "code",
        "auth",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// The credentials a configured URL carries itself: its password and secret-looking query values.
fn url_secrets(url: &Url) -> Vec<Secret> {
    let mut secrets: Vec<Secret> = url.password().map(Secret::new).into_iter().collect();
    for (k, v) in url.query_pairs() {
        if secretish(&k) && !v.is_empty() {
            secrets.push(Secret::new(v.into_owned()));
        }
    }
    secrets
}

/// A URL that is a secret as a whole, and its path and query (Slack's `/services/T…/B…/XXXX`, a
/// Workflows `?sig=`).
fn whole_url_secrets(url: &Url) -> Vec<Secret> {
    let mut secrets = vec![Secret::new(url.as_str())];
    if url.path().len() > 1 {
        secrets.push(Secret::new(url.path()));
    }
    if let Some(query) = url.query().filter(|q| !q.is_empty()) {
        secrets.push(Secret::new(query));
    }
    secrets
}

/// A URL fit for an error message or a log line: no user info, secret-looking query values masked.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query_pairs().any(|(k, _)| secretish(&k)) {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if secretish(&k) {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testutil::fast;
    use wiremock::matchers::{header as h, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(server: &MockServer, auth: Auth) -> HttpClient {
        let base = Url::parse(&server.uri()).unwrap();
        HttpClient::new("t", &base, fast(), auth, None).unwrap()
    }

    #[test]
    fn redacted_url_masks_secrets() {
        let u = Url::parse("https://user:pw@h.example/p?access_token=abc&page=2").unwrap();
        let r = redact_url(&u);
        assert!(
            !r.contains("abc") && !r.contains("pw") && r.contains("page=2"),
            "{r}"
        );
    }

    #[tokio::test]
    async fn a_502_then_success_is_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .expect(1)
            .mount(&server)
            .await;
        let c = client(&server, Auth::None);
        let r = c
            .get(Url::parse(&format!("{}/x", server.uri())).unwrap())
            .await
            .unwrap();
        assert_eq!(r.body, b"ok");
        server.verify().await;
    }

    #[tokio::test]
    async fn a_timeout_is_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("late but fine"))
            .expect(1)
            .mount(&server)
            .await;
        let mut s = fast();
        s.total_timeout = Duration::from_millis(300);
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, s, Auth::None, None).unwrap();
        assert_eq!(c.get(base).await.unwrap().body, b"late but fine");
        server.verify().await;
    }

    #[tokio::test]
    async fn a_transport_failure_keeps_its_cause() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let mut s = fast();
        s.total_timeout = Duration::from_millis(200);
        s.max_retry_wait = Duration::ZERO;
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, s, Auth::None, None).unwrap();
        let e = c.get(base).await.unwrap_err();
        assert!(e.to_string().contains("timed out"), "{e}");
        let cause = std::error::Error::source(&e).expect("the reqwest error is the cause");
        assert!(cause.is::<reqwest::Error>(), "{}", crate::errors::chain(&e));
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .expect(1)
            .mount(&server)
            .await;
        let c = client(&server, Auth::None);
        let t = Instant::now();
        c.get(Url::parse(&server.uri()).unwrap()).await.unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(950),
            "{:?}",
            t.elapsed()
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn retries_stop_at_the_wait_budget_with_a_clear_error() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "60"))
            .expect(1)
            .mount(&server)
            .await;
        let c = client(&server, Auth::Bearer(Secret::new("tok-123")));
        let e = c
            .get(Url::parse(&format!("{}/users?x=1", server.uri())).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t: http://127.0.0.1"), "{e}");
        assert!(e.contains("/users?x=1") && e.contains("gave up"), "{e}");
        assert!(!e.contains("tok-123"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn unauthorized_is_not_retried_and_says_so() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_string("bad token tok-xyz"))
            .expect(1)
            .mount(&server)
            .await;
        let c = client(&server, Auth::Ssws(Secret::new("tok-xyz")));
        let e = c
            .get(Url::parse(&server.uri()).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("rejected the credentials (HTTP 401)"), "{e}");
        assert!(!e.contains("tok-xyz"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn redirect_to_another_host_is_refused_and_same_host_followed() {
        let server = MockServer::start().await;
        let other = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/a"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "/b"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/b"))
            .and(h("authorization", "Bearer tok"))
            .respond_with(ResponseTemplate::new(200).set_body_string("b"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/c"))
            .respond_with(
                ResponseTemplate::new(302).insert_header("location", format!("{}/z", other.uri())),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&other)
            .await;
        let c = client(&server, Auth::Bearer(Secret::new("tok")));
        let r = c
            .get(Url::parse(&format!("{}/a", server.uri())).unwrap())
            .await
            .unwrap();
        assert_eq!(r.body, b"b");
        let e = c
            .get(Url::parse(&format!("{}/c", server.uri())).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("refused"), "{e}");
        other.verify().await;
    }

    #[tokio::test]
    async fn a_secret_straddling_the_cut_is_scrubbed_whole_before_the_body_is_cut() {
        let server = MockServer::start().await;
        let token = "tok-0123456789abcdefghij";
        let body = format!("{}{token} trailing", "x".repeat(190));
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_string(body))
            .mount(&server)
            .await;
        let c = client(&server, Auth::Bearer(Secret::new(token)));
        let e = c
            .get(Url::parse(&server.uri()).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("***"), "{e}");
        assert!(
            !e.contains("tok-0123"),
            "half a token survived the cut: {e}"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_response_cap_is_refused_and_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("y".repeat(4096)))
            .expect(1)
            .mount(&server)
            .await;
        let mut s = fast();
        s.max_response_bytes = 1024;
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, s, Auth::None, None).unwrap();
        let e = c.get(base).await.unwrap_err().to_string();
        assert!(
            e.contains("larger than 1024 bytes (max_response_mb)"),
            "{e}"
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn a_source_over_its_byte_budget_is_refused() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("z".repeat(600)))
            .mount(&server)
            .await;
        let mut s = fast();
        s.max_source_bytes = 1000;
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, s, Auth::None, None).unwrap();
        assert_eq!(
            c.get(base.join("/a").unwrap()).await.unwrap().body.len(),
            600
        );
        let e = c
            .get(base.join("/b").unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 1000 bytes (max_source_mb)"), "{e}");
    }

    #[tokio::test]
    async fn echoed_secrets_are_masked_in_bodies_and_headers_before_anyone_reads_them() {
        let server = MockServer::start().await;
        let token = "ghp_EchoedSecret42";
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", format!("</p?t={token}>; rel=\"next\"").as_str())
                    .set_body_string(format!("{{\"name\": \"Bearer {token}\"}}")),
            )
            .mount(&server)
            .await;
        let c = client(&server, Auth::Bearer(Secret::new(token)));
        let r = c.get(Url::parse(&server.uri()).unwrap()).await.unwrap();
        assert_eq!(r.body, b"{\"name\": \"Bearer ***\"}");
        assert_eq!(r.header("link"), Some("</p?t=***>; rel=\"next\""));
    }

    #[tokio::test]
    async fn gone_is_none_and_other_failures_stay_errors() {
        let server = MockServer::start().await;
        Mock::given(path("/gone"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(path("/broken"))
            .respond_with(ResponseTemplate::new(400))
            .mount(&server)
            .await;
        let c = client(&server, Auth::None);
        let base = Url::parse(&server.uri()).unwrap();
        assert!(
            c.get_unless_gone(base.join("/gone").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            c.get_unless_gone(base.join("/broken").unwrap())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn concurrency_limit_holds() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(100)))
            .mount(&server)
            .await;
        let mut s = fast();
        s.concurrency = 2;
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, s, Auth::None, None).unwrap();
        let t = Instant::now();
        let futs = (0..6).map(|i| c.get(base.join(&format!("/{i}")).unwrap()));
        for r in futures::future::join_all(futs).await {
            r.unwrap();
        }
        // 6 requests, 2 at a time, 100 ms each: at least 300 ms.
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
    }
}
