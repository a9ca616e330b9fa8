//! seatwarden: keeps a Harness SEI developer table honest.
//!
//! The rooms, left to right (DESIGN.md): [`sources`] → [`resolve`] → [`reconcile`] → [`report`] →
//! [`deliver`], with [`store`] beside them and [`cli`] wiring them together.

pub mod apply;
pub mod cli;
pub mod config;
pub mod deliver;
pub mod errors;
pub mod job;
pub mod metrics;
pub mod model;
pub mod overrides;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod resolve;
pub mod sei_csv;
pub mod sources;
pub mod store;
pub mod telemetry;
pub mod visible;
