#![allow(dead_code)]
//! What every vendor target shares: a source of a kind with that kind's defaults, and a body
//! handed to its mapping as if the vendor had answered it.

use seatwarden::sources::http::Response;
use seatwarden::sources::{Location, SourceConfig, SourceKind, VendorConfig};

pub fn source(kind: SourceKind) -> SourceConfig {
    let url = url::Url::parse("https://vendor.example/api").expect("static URL");
    let mut cfg = SourceConfig::new("fuzz", VendorConfig::default_for(kind), Location::Http(url));
    cfg.directory = true;
    cfg.links.insert("github".into(), "githubUsername".into());
    cfg
}

pub fn answer(cfg: &SourceConfig, data: &[u8]) -> Response {
    let url = cfg.http_url().cloned().expect("an HTTP source");
    Response::from_body(url, data.to_vec())
}
