//! Conditional requests (ETags): the lookup before a GET (its `If-None-Match`), a 304 answered
//! from the stored body and headers, storing a fresh answer under its ETag, and the stored form —
//! the kept response headers as a JSON object, a newline, the body.
//!
//! Never stores or reuses anything but a conditional GET of the client's own source, never stores
//! an answer without an ETag or one that is not a success, and keeps no header beyond the generic
//! ones and the paging headers the request names.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use super::client::{HttpClient, Request, Response, redact_url};
use crate::sources::{CachedResponse, SourceError};

/// Response headers every cached body keeps (next links, how to read the body).
const CACHED_HEADERS: [&str; 2] = ["link", "content-type"];

/// A stored answer: the ETag to send, and the headers and body it stood for.
pub(super) struct Stored {
    pub(super) etag: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl HttpClient {
    /// The key a URL is stored under: its redacted form, so a token in a configured URL's query
    /// never reaches the store.
    fn cache_key(&self, url: &Url) -> String {
        format!("{}|{}", self.source, redact_url(url))
    }

    /// The stored answer for `req`, when it is a conditional GET and one is stored.
    pub(super) async fn cache_lookup(&self, req: &Request) -> Option<Stored> {
        let cache = self.cache.as_ref().filter(|_| uses_cache(req))?;
        let cached = cache.get(&self.cache_key(&req.url)).await?;
        let (headers, body) = decode(&cached.body)?;
        Some(Stored {
            etag: cached.etag,
            headers,
            body,
        })
    }

    /// A 304: the stored body as a 200, or an error when nothing was stored.
    pub(super) fn reuse_stored(
        &self,
        url: Url,
        stored: Option<Stored>,
    ) -> Result<Response, SourceError> {
        let Some(stored) = stored else {
            return Err(self.http_error(&url, "HTTP 304 Not Modified without a stored body"));
        };
        tracing::debug!(source = %self.source, url = %redact_url(&url), "304: reusing the stored body");
        Ok(Response {
            status: StatusCode::OK,
            headers: stored.headers,
            body: stored.body,
            url,
            from_cache: true,
        })
    }

    /// Keeps a successful answer to a conditional GET under its ETag.
    pub(super) async fn cache_store(&self, req: &Request, resp: &Response) {
        let Some(cache) = self.cache.as_ref().filter(|_| uses_cache(req)) else {
            return;
        };
        if !resp.status.is_success() {
            return;
        }
        let Some(etag) = resp.header("etag") else {
            return;
        };
        let kept = CACHED_HEADERS.iter().chain(req.paging_headers);
        let cached = CachedResponse {
            etag: etag.to_string(),
            body: encode(&resp.headers, kept, &resp.body),
        };
        cache.put(&self.cache_key(&req.url), cached).await;
    }
}

fn uses_cache(req: &Request) -> bool {
    req.conditional && req.method == Method::GET
}

fn encode<'a>(
    headers: &HeaderMap,
    names: impl Iterator<Item = &'a &'static str>,
    body: &[u8],
) -> Vec<u8> {
    let mut kept = BTreeMap::new();
    for name in names {
        if let Some(v) = headers.get(*name).and_then(|v| v.to_str().ok()) {
            kept.insert(name.to_string(), v.to_string());
        }
    }
    let mut out = serde_json::to_vec(&kept).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn decode(stored: &[u8]) -> Option<(HeaderMap, Vec<u8>)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::sources::http::{Auth, link_next};
    use crate::sources::testutil::fast;
    use crate::sources::{HttpCache, MemoryHttpCache};
    use wiremock::matchers::{header as h, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn the_stored_form_keeps_the_named_headers_and_the_body() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("link", "</p2>; rel=\"next\""),
            ("content-type", "application/json"),
            ("x-next-page", "2"),
            ("x-request-id", "abc"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let stored = encode(&headers, CACHED_HEADERS.iter(), b"[1,\n2]");
        let (kept, body) = decode(&stored).unwrap();
        assert_eq!(body, b"[1,\n2]");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept["link"], "</p2>; rel=\"next\"");
        assert_eq!(kept["content-type"], "application/json");

        let paging = ["x-next-page"];
        let stored = encode(&headers, CACHED_HEADERS.iter().chain(&paging), b"[]");
        let (kept, _) = decode(&stored).unwrap();
        assert_eq!(kept.len(), 3);
        assert_eq!(kept["x-next-page"], "2");
        assert!(decode(b"no newline").is_none());
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
}
