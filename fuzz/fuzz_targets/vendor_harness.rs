//! Any licensing answer and any SEI developer table, through the mappings `fetch` uses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, harness};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cfg = common::source(SourceKind::Harness);
    let _ = harness::map_license(&cfg, &common::answer(&cfg, data), chrono::Utc::now());
    let _ = seatwarden::sei_csv::parse_live(data);
});
