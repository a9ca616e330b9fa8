//! The shared, read-only facts of one run that every rule reads: the run's `now`, the policy, the
//! table as it was, the directories and the tools' health, and whether absence from the directories
//! is trusted this run; plus who `policy.protect` shields.
//!
//! Architecture invariant: built once, after resolution, and never changed; it holds facts, not
//! decisions, and reads no clock (`now` is given).

use chrono::{DateTime, Utc};

use crate::model::Developer;

use super::employment::Directories;
use super::guard::SourceHealth;
use super::people::Person;
use super::policy::{self, Policy};

/// The shared, read-only facts of one run.
pub(super) struct Context<'a> {
    pub now: DateTime<Utc>,
    pub policy: &'a Policy,
    /// The stored table, before this run's additions and updates.
    pub table: &'a [Developer],
    pub directories: Directories,
    /// Tool sources that failed or were guarded this run.
    pub unhealthy_tools: Vec<String>,
    /// Set when absence from the directories is not trusted to remove anyone this run: the reason.
    pub absence_withheld: Option<String>,
    /// Per table row: strong evidence alone joins it to a directory record (empty: none known).
    pub tied_strongly: Vec<bool>,
}

impl<'a> Context<'a> {
    pub fn new(
        now: DateTime<Utc>,
        policy: &'a Policy,
        table: &'a [Developer],
        health: SourceHealth,
        absence_withheld: Option<String>,
    ) -> Context<'a> {
        Context {
            now,
            policy,
            table,
            directories: health.directories,
            unhealthy_tools: health.unhealthy_tools,
            absence_withheld,
            tied_strongly: Vec::new(),
        }
    }

    /// Whether strong evidence alone joins row `r` to a directory record.
    pub fn row_tied_strongly(&self, r: usize) -> bool {
        self.tied_strongly.get(r).copied().unwrap_or(false)
    }

    /// Whether row `r`'s email or any of its other emails is protected.
    pub fn row_is_protected(&self, r: usize) -> bool {
        let d = &self.table[r];
        policy::is_protected(
            std::iter::once(d.email.as_str()).chain(d.emails.iter().map(String::as_str)),
            self.policy,
        )
    }

    /// Whether any of the person's rows or source identities is protected.
    pub fn is_protected_person(&self, p: &Person<'_>) -> bool {
        p.rows.iter().any(|&r| self.row_is_protected(r))
            || policy::is_protected(
                p.identities
                    .iter()
                    .flat_map(|i| i.emails.iter().map(String::as_str)),
                self.policy,
            )
    }
}
