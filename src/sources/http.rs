//! The one HTTP layer every source kind uses: a reqwest client with timeouts, retries (exponential
//! backoff with full jitter, `Retry-After` and the vendors' rate-limit headers, a bounded total
//! wait), a per-host concurrency limit, conditional requests (ETag), same-host redirects, paging
//! helpers and the auth schemes (Bearer, SSWS, PRIVATE-TOKEN, Basic, x-api-key).
//!
//! Architecture invariant: a request is only ever sent to the origin (scheme, host, port) the
//! client was built for; a next link or redirect elsewhere is refused before anything is sent, so
//! a token never leaves its host. Secrets never appear in an error, a log line or Debug output.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::{CachedResponse, HttpCache, Secret, SourceError};
use crate::config::HttpSettings;

/// First backoff step; doubled per attempt, capped at [`BACKOFF_CAP`], full jitter applied.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Attempts per request at most, whatever the wait budget says (guards against `Retry-After: 0`).
const MAX_ATTEMPTS: u32 = 10;
const MAX_REDIRECTS: usize = 5;
/// Response headers kept with a cached body, so a 304 page still knows its next page.
const CACHED_HEADERS: [&str; 4] = ["link", "x-next-page", "x-total-pages", "content-type"];

/// How a source authenticates. Debug shows the scheme only.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`
    Bearer(Secret),
    /// `Authorization: SSWS <token>` (Okta)
    Ssws(Secret),
    /// `PRIVATE-TOKEN: <token>` (GitLab)
    PrivateToken(Secret),
    /// `Authorization: Basic base64(user:token)` (Jira)
    Basic { user: String, token: Secret },
    /// `x-api-key: <token>` (Harness)
    ApiKey(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(***)",
            Auth::Ssws(_) => "Ssws(***)",
            Auth::PrivateToken(_) => "PrivateToken(***)",
            Auth::Basic { .. } => "Basic(***)",
            Auth::ApiKey(_) => "ApiKey(***)",
        };
        f.write_str(scheme)
    }
}

impl Auth {
    /// The header this scheme sends, marked sensitive.
    fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>, String> {
        let (name, value) = match self {
            Auth::None => return Ok(None),
            Auth::Bearer(t) => (header::AUTHORIZATION, format!("Bearer {}", t.expose())),
            Auth::Ssws(t) => (header::AUTHORIZATION, format!("SSWS {}", t.expose())),
            Auth::PrivateToken(t) => (
                HeaderName::from_static("private-token"),
                t.expose().to_string(),
            ),
            Auth::Basic { user, token } => (
                header::AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64_encode(format!("{user}:{}", token.expose()).as_bytes())
                ),
            ),
            Auth::ApiKey(t) => (HeaderName::from_static("x-api-key"), t.expose().to_string()),
        };
        // The message deliberately does not include the value.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            "the token contains characters not allowed in an HTTP header".to_string()
        })?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }

    /// The secret values this scheme carries, to scrub from any text we echo back.
    fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => Vec::new(),
            Auth::Bearer(t) | Auth::Ssws(t) | Auth::PrivateToken(t) | Auth::ApiKey(t) => {
                vec![t.expose().to_string()]
            }
            Auth::Basic { token, .. } => vec![token.expose().to_string()],
        }
    }
}

/// Standard base64 (RFC 4648, with padding); small enough not to need a crate.
fn base64_encode(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One request to send (method, URL, extra headers, body).
#[derive(Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(&'static str, Vec<u8>)>,
    conditional: bool,
    /// False for requests that change state (an upload): retried only on 429, when the server says
    /// it did not process the request, never after a 5xx or a timeout that may have reached it.
    idempotent: bool,
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
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
            conditional: true,
            idempotent: true,
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
        }
    }

    pub fn post(url: Url) -> Request {
        Request::with_method(Method::POST, url)
    }

    pub fn put(url: Url) -> Request {
        Request::with_method(Method::PUT, url)
    }

    /// Adds a header (static name, plain value).
    pub fn header(mut self, name: &'static str, value: &str) -> Request {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }

    pub fn json(mut self, body: &serde_json::Value) -> Request {
        self.body = Some(("application/json", body.to_string().into_bytes()));
        self
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Request {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        self.body = Some(("application/x-www-form-urlencoded", s.finish().into_bytes()));
        self
    }

    pub fn text(mut self, content_type: &'static str, body: &str) -> Request {
        self.body = Some((content_type, body.as_bytes().to_vec()));
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

/// The client of one source for one origin. Cheap to share behind an `Arc`.
pub struct HttpClient {
    source: String,
    origin: url::Origin,
    origin_text: String,
    inner: reqwest::Client,
    settings: HttpSettings,
    auth: Mutex<Auth>,
    limit: Semaphore,
    cache: Option<Arc<dyn HttpCache>>,
    /// Set when a rate-limit header says the budget is spent: no request before this instant.
    paused_until: Mutex<Option<Instant>>,
    /// Headers sent with every request (vendor API version, Accept).
    default_headers: Vec<(HeaderName, HeaderValue)>,
    /// Secrets sent in bodies (a client secret), scrubbed from echoed text like the auth token.
    body_secrets: Vec<Secret>,
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
                message: format!("cannot build the HTTP client: {}", error_chain(&e)),
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
            body_secrets: Vec::new(),
        })
    }

    /// Marks a secret this client sends in request bodies, so it is scrubbed from error text.
    pub fn with_body_secret(mut self, secret: Secret) -> HttpClient {
        self.body_secrets.push(secret);
        self
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
    }

    fn current_auth(&self) -> Auth {
        self.auth.lock().map(|a| a.clone()).unwrap_or_default()
    }

    fn http_error(&self, url: &Url, message: impl Into<String>) -> SourceError {
        SourceError::Http {
            source_name: self.source.clone(),
            url: redact_url(url),
            message: message.into(),
        }
    }

    /// Refuses any URL outside this client's origin.
    fn check_origin(&self, url: &Url, what: &str) -> Result<(), SourceError> {
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
    /// error naming the source and the URL.
    pub async fn send(&self, req: Request) -> Result<Response, SourceError> {
        self.check_origin(&req.url, "link")?;
        let cache_key = format!("{}|{}", self.source, req.url);
        let cached = match (&self.cache, req.conditional && req.method == Method::GET) {
            (Some(cache), true) => cache.get(&cache_key).await.and_then(|c| {
                let (headers, body) = decode_cached(&c.body)?;
                Some((c.etag, headers, body))
            }),
            _ => None,
        };
        let etag = cached.as_ref().map(|(e, _, _)| e.clone());

        let mut current = req.clone();
        let mut redirects = 0;
        let resp = loop {
            let resp = self.send_with_retries(&current, etag.as_deref()).await?;
            if !resp.status.is_redirection() || resp.status == StatusCode::NOT_MODIFIED {
                break resp;
            }
            let Some(location) = resp.header("location") else {
                break resp;
            };
            let next = current.url.join(location).map_err(|e| {
                self.http_error(&current.url, format!("bad redirect location: {e}"))
            })?;
            self.check_origin(&next, "redirect")?;
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(self.http_error(&req.url, "too many redirects"));
            }
            if resp.status == StatusCode::SEE_OTHER
                || (current.method != Method::GET
                    && matches!(
                        resp.status,
                        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND
                    ))
            {
                current = Request::with_method(Method::GET, next);
            } else {
                current.url = next;
            }
        };

        if resp.status == StatusCode::NOT_MODIFIED {
            if let Some((_, headers, body)) = cached {
                tracing::debug!(source = %self.source, url = %redact_url(&req.url), "304: reusing the stored body");
                return Ok(Response {
                    status: StatusCode::OK,
                    headers,
                    body,
                    url: req.url,
                    from_cache: true,
                });
            }
            return Err(self.http_error(&req.url, "HTTP 304 Not Modified without a stored body"));
        }
        if resp.status == StatusCode::UNAUTHORIZED || resp.status == StatusCode::FORBIDDEN {
            return Err(self.http_error(
                &req.url,
                format!(
                    "{} rejected the credentials (HTTP {}){}",
                    self.origin_text,
                    resp.status.as_u16(),
                    self.body_hint(&resp)
                ),
            ));
        }
        if !resp.status.is_success() {
            return Err(self.http_error(
                &req.url,
                format!("HTTP {}{}", resp.status, self.body_hint(&resp)),
            ));
        }
        if let (Some(cache), true) = (&self.cache, req.conditional && req.method == Method::GET)
            && let Some(etag) = resp.header("etag")
        {
            cache
                .put(
                    &cache_key,
                    CachedResponse {
                        etag: etag.to_string(),
                        body: encode_cached(&resp.headers, &resp.body),
                    },
                )
                .await;
        }
        Ok(Response {
            url: req.url,
            ..resp
        })
    }

    /// A short, scrubbed excerpt of an error body, to help the operator.
    fn body_hint(&self, resp: &Response) -> String {
        let text = String::from_utf8_lossy(&resp.body);
        let mut text: String = text.chars().take(200).collect();
        let mut secrets = self.current_auth().secrets();
        secrets.extend(self.body_secrets.iter().map(|s| s.expose().to_string()));
        for secret in secrets {
            if !secret.is_empty() {
                text = text.replace(&secret, "***");
            }
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
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
        if *waited + wait > self.settings.max_retry_wait {
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
        *waited += wait;
        Ok(())
    }

    /// One request with retries; returns the first non-retryable response.
    async fn send_with_retries(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<Response, SourceError> {
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            self.wait_for_pause(&req.url, &mut waited).await?;
            let outcome = {
                let _permit = self
                    .limit
                    .acquire()
                    .await
                    .map_err(|_| self.http_error(&req.url, "the client was shut down"))?;
                self.attempt(req, etag).await?
            };
            attempt += 1;
            let (reason, server_wait, throttled) = match outcome {
                Ok(resp) => {
                    self.note_rate_limit(&resp.headers);
                    if !is_retryable(&resp) {
                        return Ok(resp);
                    }
                    (
                        format!("HTTP {}", resp.status),
                        server_wait(&resp.headers, resp.status, SystemTime::now()),
                        resp.status == StatusCode::TOO_MANY_REQUESTS,
                    )
                }
                Err(reason) => (reason, None, false),
            };
            if !req.idempotent && !throttled {
                return Err(self.http_error(
                    &req.url,
                    format!("{reason}; not retried because the request changes state and may have been received"),
                ));
            }
            let wait = server_wait.unwrap_or_else(|| backoff(attempt));
            if attempt >= MAX_ATTEMPTS || waited + wait > self.settings.max_retry_wait {
                let asked = match server_wait {
                    Some(w) => format!("; the server asked to wait {:.1}s more", w.as_secs_f64()),
                    None => String::new(),
                };
                return Err(self.http_error(
                    &req.url,
                    format!(
                        "gave up after {attempt} attempts and {:.1}s of waiting (http.max_retry_wait {:.1}s): last error {reason}{asked}",
                        waited.as_secs_f64(),
                        self.settings.max_retry_wait.as_secs_f64()
                    ),
                ));
            }
            tracing::warn!(
                source = %self.source,
                url = %redact_url(&req.url),
                attempt,
                wait_ms = wait.as_millis() as u64,
                reason = %reason,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    /// One attempt. Outer error: give up now. Inner error: a transient failure worth a retry.
    async fn attempt(
        &self,
        req: &Request,
        etag: Option<&str>,
    ) -> Result<Result<Response, String>, SourceError> {
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
        if let Some((content_type, body)) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let resp = match builder.send().await {
            Ok(r) => r,
            Err(e) => return self.transport_failure(req, e),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        match resp.bytes().await {
            Ok(body) => Ok(Ok(Response {
                status,
                headers,
                body: body.to_vec(),
                url: req.url.clone(),
                from_cache: false,
            })),
            Err(e) => self.transport_failure(req, e),
        }
    }

    fn transport_failure(
        &self,
        req: &Request,
        e: reqwest::Error,
    ) -> Result<Result<Response, String>, SourceError> {
        let e = e.without_url();
        let text = error_chain(&e);
        if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() {
            Ok(Err(text))
        } else {
            Err(self.http_error(&req.url, text))
        }
    }

    /// A spent rate-limit budget on a successful response pauses the following requests.
    fn note_rate_limit(&self, headers: &HeaderMap) {
        if let Some(wait) = exhausted_budget_wait(headers, SystemTime::now())
            && let Ok(mut p) = self.paused_until.lock()
        {
            *p = Some(Instant::now() + wait);
        }
    }

    /// GET `first` and every following page; `next_of` reads the next link from a page. A next
    /// URL seen twice is an error (not a loop); one on another host is refused.
    pub async fn get_pages<F>(
        &self,
        first: Url,
        mut next_of: F,
    ) -> Result<Vec<Response>, SourceError>
    where
        F: FnMut(&Response) -> Result<Option<String>, SourceError>,
    {
        let mut seen = HashSet::new();
        let mut pages = Vec::new();
        let mut url = first;
        loop {
            if !seen.insert(url.to_string()) {
                return Err(self.http_error(
                    &url,
                    "the next-page link points to a page already fetched; stopping instead of looping",
                ));
            }
            let resp = self.get(url.clone()).await?;
            let next = next_of(&resp)?;
            let base = resp.url.clone();
            pages.push(resp);
            match next {
                None => return Ok(pages),
                Some(raw) => {
                    url = base.join(&raw).map_err(|e| {
                        self.http_error(&base, format!("bad next-page link `{raw}`: {e}"))
                    })?;
                    self.check_origin(&url, "next-page link")?;
                }
            }
        }
    }
}

fn is_retryable(resp: &Response) -> bool {
    match resp.status.as_u16() {
        429 | 500 | 502 | 503 | 504 => true,
        // GitHub answers a spent rate limit (primary or secondary) with 403 and these headers.
        403 => resp.headers.contains_key(header::RETRY_AFTER) || remaining_is_zero(&resp.headers),
        _ => false,
    }
}

const REMAINING_HEADERS: [&str; 3] = [
    "x-ratelimit-remaining",
    "x-rate-limit-remaining",
    "ratelimit-remaining",
];
const RESET_HEADERS: [&str; 3] = ["x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"];

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn remaining_is_zero(headers: &HeaderMap) -> bool {
    REMAINING_HEADERS
        .iter()
        .any(|h| header_str(headers, h).is_some_and(|v| v.parse::<f64>().is_ok_and(|n| n <= 0.0)))
}

/// A reset header as a wait from `now`: large values are epoch seconds (GitHub, Okta, GitLab),
/// small ones delta seconds (IETF `RateLimit-Reset`).
fn reset_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for h in RESET_HEADERS {
        if let Some(n) = header_str(headers, h).and_then(|v| v.parse::<f64>().ok()) {
            if !n.is_finite() || n < 0.0 {
                continue;
            }
            if n > 1_000_000_000.0 {
                let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
                return Some(Duration::from_secs_f64((n - now_secs).max(0.0)));
            }
            return Some(Duration::from_secs_f64(n));
        }
    }
    None
}

/// How long the server asks us to wait before retrying: `Retry-After` (seconds or an HTTP date),
/// else the rate-limit reset when the budget is spent (or the answer is 429).
pub fn server_wait(headers: &HeaderMap, status: StatusCode, now: SystemTime) -> Option<Duration> {
    if let Some(v) = header_str(headers, "retry-after") {
        if let Ok(secs) = v.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(Duration::from_secs_f64(secs));
        }
        if let Ok(date) = httpdate::parse_http_date(v) {
            return Some(date.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    if remaining_is_zero(headers) || status == StatusCode::TOO_MANY_REQUESTS {
        return reset_wait(headers, now);
    }
    None
}

/// On a successful response: when the budget is spent, how long until it resets.
fn exhausted_budget_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if remaining_is_zero(headers) {
        reset_wait(headers, now).filter(|w| !w.is_zero())
    } else {
        None
    }
}

/// Exponential backoff with full jitter: uniform in `[0, min(cap, base * 2^(attempt-1))]`.
fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let ceiling = exp.min(BACKOFF_CAP).as_millis() as u64;
    Duration::from_millis(rand::random_range(0..=ceiling))
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        cur = s.source();
    }
    text
}

/// A URL fit for an error message or a log line: no user info, secret-looking query values masked.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let secretish = |k: &str| {
        let k = k.to_ascii_lowercase();
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
    };
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

fn encode_cached(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut kept = BTreeMap::new();
    for name in CACHED_HEADERS {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            kept.insert(name.to_string(), v.to_string());
        }
    }
    let mut out = serde_json::to_vec(&kept).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn decode_cached(stored: &[u8]) -> Option<(HeaderMap, Vec<u8>)> {
    let split = stored.iter().position(|b| *b == b'\n')?;
    let kept: BTreeMap<String, String> = serde_json::from_slice(&stored[..split]).ok()?;
    let mut headers = HeaderMap::new();
    for (k, v) in kept {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            headers.insert(name, value);
        }
    }
    Some((headers, stored[split + 1..].to_vec()))
}

/// The `rel="next"` target of an RFC 8288 `Link` header.
pub fn link_next(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('>') else { break };
            let target = &after[..end];
            let params_all = &after[end + 1..];
            let params = match params_all.find('<') {
                Some(i) => &params_all[..i],
                None => params_all,
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                let Some(v) = p.strip_prefix("rel=") else {
                    return false;
                };
                v.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = params_all;
        }
    }
    None
}

/// GitLab: keyset `Link` first, else the offset `X-Next-Page` (empty on the last page).
pub fn gitlab_next(resp: &Response) -> Option<String> {
    if let Some(next) = link_next(&resp.headers) {
        return Some(next);
    }
    let page = resp.header("x-next-page")?.trim();
    if page.is_empty() {
        return None;
    }
    let mut url = resp.url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("page", page);
    Some(url.to_string())
}

/// A next URL held in a JSON body (Graph `@odata.nextLink` is `/@odata.nextLink`).
pub fn json_next(body: &serde_json::Value, pointer: &str) -> Option<String> {
    match body.pointer(pointer) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::MemoryHttpCache;
    use crate::sources::testutil::fast;
    use wiremock::matchers::{header as h, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(server: &MockServer, auth: Auth) -> HttpClient {
        let base = Url::parse(&server.uri()).unwrap();
        HttpClient::new("t", &base, fast(), auth, None).unwrap()
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut hm = HeaderMap::new();
        hm.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        hm.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(
            server_wait(&hm, StatusCode::SERVICE_UNAVAILABLE, now),
            Some(Duration::from_secs(42))
        );
    }

    #[test]
    fn github_and_okta_reset_headers_are_epoch_seconds() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (rem, reset) in [
            ("x-ratelimit-remaining", "x-ratelimit-reset"),
            ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ] {
            let mut hm = HeaderMap::new();
            hm.insert(rem, HeaderValue::from_static("0"));
            hm.insert(reset, HeaderValue::from_static("1700000030"));
            assert_eq!(
                server_wait(&hm, StatusCode::FORBIDDEN, now),
                Some(Duration::from_secs(30))
            );
        }
        let mut hm = HeaderMap::new();
        hm.insert("ratelimit-remaining", HeaderValue::from_static("0"));
        hm.insert("ratelimit-reset", HeaderValue::from_static("12"));
        assert_eq!(
            server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now),
            Some(Duration::from_secs(12))
        );
    }

    #[test]
    fn backoff_grows_but_is_capped() {
        for attempt in 1..40 {
            assert!(backoff(attempt) <= BACKOFF_CAP);
        }
    }

    #[test]
    fn link_header_next_is_found_among_others() {
        let mut hm = HeaderMap::new();
        hm.insert(
            header::LINK,
            HeaderValue::from_static(
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next", <https://api.github.com/x?page=9>; rel="last""#,
            ),
        );
        assert_eq!(
            link_next(&hm).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        hm.insert(
            header::LINK,
            HeaderValue::from_static(r#"<https://a/x?page=1>; rel="prev""#),
        );
        assert_eq!(link_next(&hm), None);
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

    #[test]
    fn auth_debug_hides_the_token() {
        let a = Auth::Bearer(Secret::new("s3cr3t"));
        assert!(!format!("{a:?}").contains("s3cr3t"));
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
    async fn etag_round_trip_reuses_the_body_and_the_link_header() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(h("if-none-match", "\"v1\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"v1\"")
                    .insert_header("link", "</p2>; rel=\"next\"")
                    .set_body_string("[1,2]"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let cache: Arc<dyn HttpCache> = Arc::new(MemoryHttpCache::default());
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, fast(), Auth::None, Some(cache)).unwrap();
        let first = c.get(base.clone()).await.unwrap();
        assert!(!first.from_cache);
        let second = c.get(base.clone()).await.unwrap();
        assert!(second.from_cache);
        assert_eq!(second.body, b"[1,2]");
        assert_eq!(link_next(&second.headers).as_deref(), Some("/p2"));
        server.verify().await;
    }

    #[tokio::test]
    async fn a_next_link_seen_twice_is_an_error() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).insert_header("link", "</same>; rel=\"next\""))
            .mount(&server)
            .await;
        let c = client(&server, Auth::None);
        let e = c
            .get_pages(
                Url::parse(&format!("{}/same", server.uri())).unwrap(),
                |r| Ok(link_next(&r.headers)),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("already fetched"), "{e}");
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
