//! `apply`: which rows of a reviewed recommendations CSV can be carried out against the current
//! table and the latest stored run ([`plan`]), whether they stay within the blast-radius cap
//! ([`check_cap`]), the rows they change and their audit entries ([`Plan::carry_out`]); and the undo
//! of one removal or merge ([`restore`]).
//!
//! Architecture invariant: pure. The rows, the table, the run and `now` come in as arguments; no
//! clock, file or store. All or nothing: a plan with any refusal is not carried out, and a merge
//! never folds a row into one the same file removes.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Action, AuditAction, AuditEntry, Developer, IdentityRef, Reason, RowStatus};
use crate::report::csv::ReviewedRow;
use crate::report::json::RecommendationJson;

/// The latest stored run: what a reviewed row is checked against.
#[derive(Debug, Clone, Copy)]
pub struct LatestRun<'a> {
    pub id: &'a str,
    pub recommendations: &'a [RecommendationJson],
}

/// One change to carry out: a row removed, or merged into another.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The file's line.
    pub line: usize,
    /// `Remove` or `Merge`.
    pub action: Action,
    /// Index of the row in the table.
    pub row: usize,
    /// Index of the merge target in the table.
    pub into: Option<usize>,
    /// The recommendation's reason and evidence, as the latest run stored them.
    pub reason: Reason,
    pub evidence: Vec<String>,
}

/// A row that cannot be applied, and why: the whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub developer: String,
    pub email: String,
    pub why: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}): {}",
            self.line, self.developer, self.email, self.why
        )
    }
}

/// Why a row of the file is left alone without refusing the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The reviewer marked it in the `applied` column.
    MarkedApplied,
    /// Still a `review` (no decision written in `action`).
    LeftForReview,
}

/// What [`plan`] decided for a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The run the recommendations came from.
    pub run_id: Option<String>,
    pub changes: Vec<Change>,
    pub skipped: Vec<(usize, Skip)>,
    pub refused: Vec<Refusal>,
}

/// One row's outcome.
enum Decision {
    Apply(Change),
    Skip(Skip),
    Refuse(String),
}

/// Check every row of the file against the table and the latest run.
pub fn plan(
    rows: &[ReviewedRow],
    table: &[Developer],
    latest: Option<LatestRun<'_>>,
    include_reviews: bool,
) -> Plan {
    let index: HashMap<&str, usize> = table
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let recommended: HashMap<&str, &RecommendationJson> = latest
        .map(|l| l.recommendations)
        .unwrap_or_default()
        .iter()
        .map(|r| (r.developer.as_str(), r))
        .collect();
    let check = Check {
        table,
        index: &index,
        latest,
        recommended: &recommended,
        include_reviews,
    };
    let mut plan = Plan {
        run_id: latest.map(|l| l.id.to_string()),
        changes: Vec::new(),
        skipped: Vec::new(),
        refused: Vec::new(),
    };
    for row in rows {
        match check.decide(row) {
            Decision::Apply(change) => plan.changes.push(change),
            Decision::Skip(why) => plan.skipped.push((row.line, why)),
            Decision::Refuse(why) => plan.refused.push(refusal(row, why)),
        }
    }
    refuse_conflicts(&mut plan, rows, table);
    plan
}

fn refusal(row: &ReviewedRow, why: String) -> Refusal {
    Refusal {
        line: row.line,
        developer: row.developer.clone(),
        email: row.email.clone(),
        why,
    }
}

/// What every row is checked against.
struct Check<'a> {
    table: &'a [Developer],
    index: &'a HashMap<&'a str, usize>,
    latest: Option<LatestRun<'a>>,
    recommended: &'a HashMap<&'a str, &'a RecommendationJson>,
    include_reviews: bool,
}

impl Check<'_> {
    fn decide(&self, row: &ReviewedRow) -> Decision {
        if !row.applied.trim().is_empty() {
            return Decision::Skip(Skip::MarkedApplied);
        }
        let Some(&r) = self.index.get(row.developer.as_str()) else {
            return Decision::Refuse("no longer in the table".into());
        };
        let current = &self.table[r];
        if current.status == RowStatus::Removed {
            return Decision::Refuse("already removed".into());
        }
        if !current.email.eq_ignore_ascii_case(&row.email) {
            return Decision::Refuse(format!(
                "its email changed since: the table has {}",
                current.email
            ));
        }
        let Some(latest) = self.latest else {
            return Decision::Refuse(
                "no stored run recommends it: run `seatwarden reconcile` (without --dry-run) first"
                    .into(),
            );
        };
        let Some(rec) = self.recommended.get(row.developer.as_str()) else {
            return Decision::Refuse(format!(
                "the latest run ({}) no longer recommends it",
                latest.id
            ));
        };
        let action = match self.action_of(row, rec) {
            Ok(Some(action)) => action,
            Ok(None) => return Decision::Skip(Skip::LeftForReview),
            Err(why) => return Decision::Refuse(why),
        };
        let into = match action {
            Action::Merge => match self.merge_target(row, rec, r) {
                Ok(t) => Some(t),
                Err(why) => return Decision::Refuse(why),
            },
            _ => None,
        };
        Decision::Apply(Change {
            line: row.line,
            action,
            row: r,
            into,
            reason: rec.reason,
            evidence: rec.evidence.clone(),
        })
    }

    /// The action to carry out: the recommendation's, or a reviewer's `remove` / `merge` on a
    /// `review` (only with `--include-reviews`). `None`: still a review, left alone.
    fn action_of(
        &self,
        row: &ReviewedRow,
        rec: &RecommendationJson,
    ) -> Result<Option<Action>, String> {
        match (rec.action, row.action) {
            (_, Action::Review) => Ok(None),
            (Action::Review, decided) if self.include_reviews => Ok(Some(decided)),
            (Action::Review, decided) => Err(format!(
                "a review: the reviewer's `{}` is applied only with --include-reviews",
                decided.as_str()
            )),
            (recommended, written) if recommended == written => Ok(Some(written)),
            (recommended, written) => Err(format!(
                "the latest run recommends `{}`, the file says `{}`",
                recommended.as_str(),
                written.as_str()
            )),
        }
    }

    /// The row a merge folds into: the file's `into`, still in the table, active, and the one the
    /// latest run names when it recommended a merge.
    fn merge_target(
        &self,
        row: &ReviewedRow,
        rec: &RecommendationJson,
        r: usize,
    ) -> Result<usize, String> {
        let Some(into) = row.into.as_deref() else {
            return Err("a merge needs `into`".into());
        };
        if rec.action == Action::Merge && rec.into.as_deref() != Some(into) {
            return Err(format!(
                "the latest run merges it into {}, the file into {into}",
                rec.into.as_deref().unwrap_or("nothing")
            ));
        }
        let Some(&t) = self.index.get(into) else {
            return Err(format!("its `into` target {into} is gone"));
        };
        if t == r {
            return Err("it cannot be merged into itself".into());
        }
        if self.table[t].status == RowStatus::Removed {
            return Err(format!("its `into` target {into} was removed"));
        }
        Ok(t)
    }
}

/// Refuse a second line for one row, and a merge into a row the same file removes or merges.
fn refuse_conflicts(plan: &mut Plan, rows: &[ReviewedRow], table: &[Developer]) {
    let mut first_line: HashMap<usize, usize> = HashMap::new();
    let mut conflicts: Vec<(usize, String)> = Vec::new();
    for c in &plan.changes {
        if let Some(&line) = first_line.get(&c.row) {
            conflicts.push((c.line, format!("line {line} already changes this row")));
        } else {
            first_line.insert(c.row, c.line);
        }
    }
    for c in &plan.changes {
        if let Some(t) = c.into
            && let Some(line) = first_line.get(&t)
        {
            conflicts.push((
                c.line,
                format!(
                    "its `into` target {} is itself changed by line {line}",
                    table[t].id
                ),
            ));
        }
    }
    let refused_lines: HashSet<usize> = conflicts.iter().map(|(l, _)| *l).collect();
    plan.changes.retain(|c| !refused_lines.contains(&c.line));
    for (line, why) in conflicts {
        if let Some(row) = rows.iter().find(|r| r.line == line) {
            plan.refused.push(refusal(row, why));
        }
    }
    plan.refused.sort_by_key(|r| r.line);
}

/// An apply larger than `policy.max_apply_percent` of the active rows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this file changes {changes} of {active} active rows ({share:.1}%), more than policy.max_apply_percent = {percent}% allows ({allowed} rows); nothing was changed: check the file, or pass --force"
)]
pub struct OverCap {
    pub changes: usize,
    pub active: usize,
    pub share: f64,
    pub percent: f64,
    pub allowed: usize,
}

/// Whether `changes` of `active` rows stay within `max_percent`.
pub fn check_cap(changes: usize, active: usize, max_percent: f64) -> Result<(), OverCap> {
    let allowed = (active as f64 * max_percent / 100.0).floor() as usize;
    if changes <= allowed {
        return Ok(());
    }
    Err(OverCap {
        changes,
        active,
        share: if active == 0 {
            100.0
        } else {
            changes as f64 * 100.0 / active as f64
        },
        percent: max_percent,
        allowed,
    })
}

/// What a merge added to its target, kept in the audit entry so `restore` can take it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    pub emails: Vec<String>,
    pub identities: Vec<(String, String)>,
}

/// The table rows a carried-out plan changed, and its audit entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The changed rows, in table order.
    pub rows: Vec<Developer>,
    pub audit: Vec<AuditEntry>,
}

/// Who did it, when, and from which file: what every audit entry of one command shares.
#[derive(Debug, Clone)]
pub struct Acting<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    /// The file name, for `origin` (`recs.csv:4`).
    pub file: &'a str,
}

impl Plan {
    /// The rows after the changes, and one audit entry per change.
    pub fn carry_out(&self, table: &[Developer], acting: &Acting<'_>) -> Applied {
        let mut changed: HashMap<usize, Developer> = HashMap::new();
        let mut audit = Vec::with_capacity(self.changes.len());
        for c in &self.changes {
            let mut row = changed
                .remove(&c.row)
                .unwrap_or_else(|| table[c.row].clone());
            row.status = RowStatus::Removed;
            let mut detail = None;
            if let Some(t) = c.into {
                let target = changed.entry(t).or_insert_with(|| table[t].clone());
                let carried = fold_into(target, &row);
                detail = Some(serde_json::to_string(&carried).expect("strings serialise"));
            }
            audit.push(AuditEntry {
                at: acting.now,
                actor: acting.actor.to_string(),
                action: match c.action {
                    Action::Merge => AuditAction::Merged,
                    _ => AuditAction::Removed,
                },
                developer: Some(row.id.clone()),
                email: Some(row.email.clone()),
                into: c.into.map(|t| table[t].id.clone()),
                reason: Some(c.reason.as_str().to_string()),
                evidence: c.evidence.clone(),
                run_id: self.run_id.clone(),
                origin: Some(format!("{}:{}", acting.file, c.line)),
                detail,
            });
            changed.insert(c.row, row);
        }
        let mut order: Vec<usize> = changed.keys().copied().collect();
        order.sort_unstable();
        let rows = order
            .into_iter()
            .filter_map(|i| changed.remove(&i))
            .collect();
        Applied { rows, audit }
    }
}

/// Carry `from`'s emails and identities over to `target`; returns what was new to it.
fn fold_into(target: &mut Developer, from: &Developer) -> Carried {
    let mut carried = Carried::default();
    for e in std::iter::once(&from.email).chain(&from.emails) {
        let known = target.email.eq_ignore_ascii_case(e)
            || target.emails.iter().any(|x| x.eq_ignore_ascii_case(e));
        if !known {
            target.emails.push(e.clone());
            carried.emails.push(e.clone());
        }
    }
    for i in &from.identities {
        let known = target
            .identities
            .iter()
            .any(|x| x.source == i.source && x.id == i.id);
        if !known {
            target.identities.push(i.clone());
            carried.identities.push((i.source.clone(), i.id.clone()));
        }
    }
    carried
}

/// Why a restore cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("{0}: no row of the table has this email")]
    NoRow(String),
    #[error("{0} is active: there is no removal to undo")]
    NotRemoved(String),
}

/// Undo the removal (or merge) of the removed row with `email`: the row is active again and a merge
/// takes back from its target what it carried there. `history` is the row's audit trail, oldest first.
pub fn restore(
    table: &[Developer],
    email: &str,
    history: &[AuditEntry],
    acting: &Acting<'_>,
) -> Result<Applied, RestoreError> {
    let has_email = |d: &&Developer| d.email.eq_ignore_ascii_case(email);
    if table
        .iter()
        .filter(has_email)
        .any(|d| d.status == RowStatus::Active)
    {
        return Err(RestoreError::NotRemoved(email.to_string()));
    }
    let Some(r) = table.iter().rposition(|d| has_email(&d)) else {
        return Err(RestoreError::NoRow(email.to_string()));
    };
    let mut row = table[r].clone();
    row.status = RowStatus::Active;
    let undone = history.iter().rev().find(|e| {
        e.developer.as_deref() == Some(row.id.as_str())
            && matches!(e.action, AuditAction::Removed | AuditAction::Merged)
    });
    let mut rows = vec![row.clone()];
    if let Some(entry) = undone.filter(|e| e.action == AuditAction::Merged)
        && let Some(target) = entry
            .into
            .as_deref()
            .and_then(|id| table.iter().find(|d| d.id == id))
    {
        let carried: Carried = entry
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        rows.push(take_back(target, &carried));
    }
    let evidence = match undone {
        Some(e) => vec![format!(
            "undoes `{}` of {} by {}",
            e.action.as_str(),
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.actor
        )],
        None => {
            vec!["no removal in the audit trail: the row was removed before it was kept".into()]
        }
    };
    let audit = vec![AuditEntry {
        at: acting.now,
        actor: acting.actor.to_string(),
        action: AuditAction::Restored,
        developer: Some(row.id.clone()),
        email: Some(row.email.clone()),
        into: undone.and_then(|e| e.into.clone()),
        reason: undone.and_then(|e| e.reason.clone()),
        evidence,
        run_id: undone.and_then(|e| e.run_id.clone()),
        origin: Some(acting.file.to_string()),
        detail: None,
    }];
    Ok(Applied { rows, audit })
}

/// The target without what a merge carried into it (its own primary email always stays).
fn take_back(target: &Developer, carried: &Carried) -> Developer {
    let mut t = target.clone();
    t.emails.retain(|e| {
        e.eq_ignore_ascii_case(&t.email)
            || !carried.emails.iter().any(|c| c.eq_ignore_ascii_case(e))
    });
    t.identities.retain(|i: &IdentityRef| {
        !carried
            .identities
            .iter()
            .any(|(s, id)| *s == i.source && *id == i.id)
    });
    t
}

#[cfg(test)]
mod tests;
