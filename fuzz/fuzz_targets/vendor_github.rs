//! Any answer read as every GitHub shape: members page, user profile, Copilot seats, GraphQL
//! members page. Errors or identities, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, github};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cfg = common::source(SourceKind::Github);
    let _ = github::map_answer(&cfg, &common::answer(&cfg, data));
});
