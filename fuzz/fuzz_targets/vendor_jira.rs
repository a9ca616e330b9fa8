//! Any answer to the jira users call, through the mapping `fetch` uses: an error or identities,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, jira};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cfg = common::source(SourceKind::Jira);
    let _ = jira::map_page(&cfg, &common::answer(&cfg, data));
});
