//! Report: turn a decision into views — the SPEC §4 JSON, the terminal summary, the reviewed
//! recommendations CSV, and the weekly usage report (`weekly`: one value the email's HTML and
//! text parts, the trend chart and the Slack / Teams messages all lay out).
//!
//! Architecture invariant: pure rendering. Reads no clock, no file, no socket; everything it shows is
//! in its arguments (`today` included).

pub mod chart;
pub mod chat;
pub mod csv;
pub mod email;
pub mod json;
pub mod text;
pub mod weekly;
pub mod weekly_text;

#[cfg(test)]
mod tests;
