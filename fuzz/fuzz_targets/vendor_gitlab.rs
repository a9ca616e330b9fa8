//! Any answer to the gitlab users call, through the mapping `fetch` uses: an error or identities,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, gitlab};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cfg = common::source(SourceKind::Gitlab);
    let _ = gitlab::map_page(&cfg, &common::answer(&cfg, data));
});
