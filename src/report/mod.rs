//! Report: turn a decision into views — the SPEC §4 JSON, the terminal summary, the reviewed
//! recommendations CSV.
//!
//! Architecture invariant: pure rendering. Reads no clock, no file, no socket; everything it shows is
//! in its arguments.

pub mod csv;
pub mod json;
pub mod text;
