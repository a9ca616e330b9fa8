//! Any answer to Graph's users call, through the mapping `fetch` uses: an error or identities,
//! never a panic. (The token answer's lifetime is a unit test: `token_lifetime`.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, msgraph};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut cfg = common::source(SourceKind::Msgraph);
    cfg.links.insert("github".into(), "onPremisesExtensionAttributes.extensionAttribute1".into());
    let _ = msgraph::map_page(&cfg, &common::answer(&cfg, data));
});
