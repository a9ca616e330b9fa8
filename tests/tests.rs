//! End-to-end tests: the real binary against real files, loopback HTTP servers, SQLite and
//! PostgreSQL. One test crate (see DESIGN.md); `support` holds the shared pieces.

mod support;

mod browser;
mod cli_apply;
mod cli_config;
mod cli_demo;
mod cli_developers;
mod cli_hostile;
mod cli_reconcile;
mod cli_report;
mod cli_resolve;
mod cli_secrets;
mod cli_sei;
mod cli_store;
mod cli_vendors;
mod contracts;
mod deploy;
mod exit_codes;
mod logs;
mod metrics;
mod schedule;

// The org bench's simulator and scorer, included by path so `crate::sim` means the same here as
// in the bench; the bench's driver uses parts these tests do not.
#[allow(dead_code)]
#[path = "../benches/org/sim/mod.rs"]
mod sim;

mod org_sim;
mod properties;
