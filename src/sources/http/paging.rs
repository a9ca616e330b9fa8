//! Paging: the next page's URL from an RFC 8288 `Link` header or from a JSON body,
//! [`HttpClient::get_pages`], which fetches a first page and every page after it, and the two
//! guards every paging style uses, links or not: the page cap ([`HttpClient::refuse_too_many_pages`],
//! `max_pages`) and the repeated-cursor check ([`Cursors`]: GraphQL `endCursor`s, Jira pages).
//!
//! Never follows a next link to another origin, never fetches a page twice (a next link or cursor
//! already seen is an error, not a loop), never pages on past `max_pages` (a server that hands out
//! a new link forever is an error, not a memory leak), and knows no vendor's own paging headers: a
//! vendor with its own style (GitLab's `X-Next-Page`) reads it in its file and names the headers
//! to keep.

use std::collections::HashSet;

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::client::{HttpClient, Request, Response};
use crate::sources::SourceError;

impl HttpClient {
    /// GET `first` and every following page; `next_of` reads the next link from a page. A next
    /// URL seen twice is an error (not a loop); one on another host is refused.
    pub async fn get_pages<F>(&self, first: Url, next_of: F) -> Result<Vec<Response>, SourceError>
    where
        F: FnMut(&Response) -> Result<Option<String>, SourceError>,
    {
        self.get_pages_keeping(first, &[], next_of).await
    }

    /// [`HttpClient::get_pages`] for a paging style that reads response headers of its own:
    /// `paging_headers` are kept with a cached page, so a 304 page still knows its next page.
    pub async fn get_pages_keeping<F>(
        &self,
        first: Url,
        paging_headers: &'static [&'static str],
        mut next_of: F,
    ) -> Result<Vec<Response>, SourceError>
    where
        F: FnMut(&Response) -> Result<Option<String>, SourceError>,
    {
        let mut seen = HashSet::new();
        let mut pages = Vec::new();
        let mut url = first;
        loop {
            self.refuse_too_many_pages(&url, pages.len())?;
            self.refuse_repeated_page(&mut seen, &url)?;
            let page = Request::get(url.clone()).keeping_headers(paging_headers);
            let resp = self.send(page).await?;
            let next = next_of(&resp)?;
            let base = resp.url.clone();
            pages.push(resp);
            match next {
                None => return Ok(pages),
                Some(raw) => url = self.next_page_url(&base, &raw)?,
            }
        }
    }

    /// An error when a listing that has `pages` pages already would fetch another past
    /// `max_pages`; `url` is the page it would fetch.
    pub fn refuse_too_many_pages(&self, url: &Url, pages: usize) -> Result<(), SourceError> {
        let max = self.settings.max_pages;
        if pages < max {
            crate::progress::page_fetched(&self.source);
            return Ok(());
        }
        Err(self.http_error(
            url,
            format!(
                "still another page after {max} pages (max_pages); stopping instead of paging on"
            ),
        ))
    }

    /// Records `url` as fetched; an error when it was fetched before.
    fn refuse_repeated_page(
        &self,
        seen: &mut HashSet<String>,
        url: &Url,
    ) -> Result<(), SourceError> {
        if seen.insert(url.to_string()) {
            return Ok(());
        }
        Err(self.http_error(
            url,
            "the next-page link points to a page already fetched; stopping instead of looping",
        ))
    }

    /// A next link relative to the page it came from, refused when it leaves the origin.
    fn next_page_url(&self, base: &Url, raw: &str) -> Result<Url, SourceError> {
        let url = base
            .join(raw)
            .map_err(|e| self.http_error(base, format!("bad next-page link `{raw}`: {e}")))?;
        self.check_origin(&url, "next-page link")?;
        Ok(url)
    }
}

/// The cursors (or page keys) a listing has handed out, to refuse one handed out twice.
#[derive(Debug, Default)]
pub struct Cursors(HashSet<String>);

impl Cursors {
    /// Records `cursor`; false when it was handed out before.
    pub fn first_time(&mut self, cursor: &str) -> bool {
        self.0.insert(cursor.to_string())
    }
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
            if params_name_next(params) {
                return Some(target.to_string());
            }
            rest = params_all;
        }
    }
    None
}

/// Whether a link's parameters (`; rel="prev next"`) include `rel=next`.
fn params_name_next(params: &str) -> bool {
    params.split(';').any(|p| {
        let p = p.trim().trim_end_matches(',').trim();
        let Some(v) = p.strip_prefix("rel=") else {
            return false;
        };
        v.trim_matches('"')
            .split_whitespace()
            .any(|r| r.eq_ignore_ascii_case("next"))
    })
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
    use crate::sources::http::Auth;
    use crate::sources::testutil::fast;
    use reqwest::header::HeaderValue;
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};

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

    #[tokio::test]
    async fn a_next_link_seen_twice_is_an_error() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).insert_header("link", "</same>; rel=\"next\""))
            .mount(&server)
            .await;
        let base = Url::parse(&server.uri()).unwrap();
        let c = HttpClient::new("t", &base, fast(), Auth::None, None).unwrap();
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
    async fn a_new_next_link_every_time_stops_at_the_page_cap() {
        let server = MockServer::start().await;
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = counter.clone();
        Mock::given(method("GET"))
            .respond_with(move |_: &wiremock::Request| {
                let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ResponseTemplate::new(200)
                    .insert_header("link", format!("</p?page={}>; rel=\"next\"", n + 2))
            })
            .mount(&server)
            .await;
        let base = Url::parse(&server.uri()).unwrap();
        let mut settings = fast();
        settings.max_pages = 7;
        let c = HttpClient::new("t", &base, settings, Auth::None, None).unwrap();
        let e = c
            .get_pages(base.join("/p").unwrap(), |r| Ok(link_next(&r.headers)))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("after 7 pages (max_pages)"), "{e}");
        assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 7);
    }

    #[test]
    fn a_cursor_is_new_only_once() {
        let mut cursors = Cursors::default();
        assert!(cursors.first_time("c1"));
        assert!(cursors.first_time("c2"));
        assert!(!cursors.first_time("c1"));
    }
}
