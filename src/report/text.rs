//! The terminal summary of a reconciliation: licenses, sources, changes, and the recommendations
//! grouped by reason with the top rows and their evidence.
//!
//! Never decides what to show by anything but its arguments (the report and the table), and never
//! prints source data raw: names, emails, evidence and errors go through [`visible`].

use std::fmt::Write;

use crate::model::{Action, Reason, RunStatus, SourceStatus};
use crate::report::json::{RecommendationJson, Report};
use crate::report::weekly::{activity_coverage_phrase, reason_title, withheld_phrase};
use crate::visible::visible;

/// How many rows each reason shows before "… and N more".
pub const TOP_ROWS: usize = 8;

/// What was applied since the last run, in one line: counts per kind and who did it.
fn applied_line(applied: &[crate::report::json::AppliedJson]) -> String {
    use crate::model::AuditAction;
    if applied.is_empty() {
        return "nothing since the last run".into();
    }
    let count = |a: AuditAction| applied.iter().filter(|e| e.action == a).count();
    let mut actors: Vec<&str> = applied.iter().map(|e| e.actor.as_str()).collect();
    actors.sort_unstable();
    actors.dedup();
    format!(
        "since the last run: {} removed · {} merged · {} restored (by {})",
        count(AuditAction::Removed),
        count(AuditAction::Merged),
        count(AuditAction::Restored),
        actors.join(", ")
    )
}

/// Licenses purchased, consumed, overage and the period, with the license record they came from.
fn licenses(out: &mut String, report: &Report) {
    let u = &report.usage;
    let purchased = report
        .subscription
        .licenses_purchased
        .map(|p| p.to_string())
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "Licenses   {purchased} purchased · {} consumed before · {} after this run",
        u.consumed_before, u.consumed_after
    );
    if u.overage > 0 {
        let _ = writeln!(out, "Overage    {} over the subscription", u.overage);
    } else {
        let _ = writeln!(out, "Overage    none");
    }
    let freed = u.consumed_after.saturating_sub(u.consumed_if_applied);
    let _ = writeln!(
        out,
        "If applied {} consumed ({freed} freed by the recommendations below)",
        u.consumed_if_applied
    );
    let _ = writeln!(out, "Activity   {}", activity_coverage_phrase(u));
    if u.withheld > 0 {
        let _ = writeln!(out, "Withheld   {}", withheld_phrase(u.withheld));
    }
    if let (Some(a), Some(b)) = (
        report.subscription.period_start,
        report.subscription.period_end,
    ) {
        let _ = writeln!(out, "Period     {a} to {b}");
    }
    if let Some(l) = &report.subscription.license {
        let _ = writeln!(
            out,
            "License    SEI module license {} ({} to {})",
            l.id,
            l.start_time.as_deref().unwrap_or("?"),
            l.expiry_time.as_deref().unwrap_or("?")
        );
    }
}

/// SEI's table and identities against ours: counts, the table's findings and (verbose, or the top
/// ones) the accounts SEI attributes wrongly.
fn drift(out: &mut String, report: &Report, verbose: bool) {
    let shown = |n: usize| if verbose { n } else { TOP_ROWS.min(n) };
    if let Some(d) = &report.drift {
        let _ = writeln!(
            out,
            "Drift      SEI ({}) holds {} rows the table does not; the table has {} active rows SEI does not",
            visible(&d.source),
            d.only_in_sei.len(),
            d.only_in_table.len()
        );
        if !d.findings.is_empty() {
            let _ = writeln!(
                out,
                "           SEI's table holds {} rows an import would refuse:",
                d.findings.len()
            );
            for f in &d.findings[..shown(d.findings.len())] {
                let _ = writeln!(out, "             · {}", visible(f));
            }
        }
    }
    let Some(i) = &report.identity_drift else {
        return;
    };
    let _ = writeln!(
        out,
        "Identities SEI ({}) attributes {} accounts to nobody and {} to the wrong developer ({} agree); `developers identities --push` sends them",
        visible(&i.source),
        i.unattributed.len(),
        i.misattributed.len(),
        i.agreed
    );
    for m in &i.misattributed[..shown(i.misattributed.len())] {
        let _ = writeln!(
            out,
            "             · {} {} is {}'s, SEI says {}",
            m.integration_id,
            visible(&m.identity),
            visible(&m.email),
            visible(&m.sei_email)
        );
    }
    for u in &i.unattributed[..shown(i.unattributed.len())] {
        let _ = writeln!(
            out,
            "             · {} {} is {}'s, SEI has no one",
            u.integration_id,
            visible(&u.identity),
            visible(&u.email)
        );
    }
}

/// Render the summary. `verbose` shows every row instead of the top ones.
pub fn render(report: &Report, table: &[crate::model::Developer], verbose: bool) -> String {
    let mut out = String::new();
    heading(&mut out, report);
    licenses(&mut out, report);
    let _ = writeln!(out);
    sources(&mut out, report);
    let _ = writeln!(
        out,
        "Changes    {} added · {} updated",
        report.changes.added.len(),
        report.changes.updated.len()
    );
    let _ = writeln!(out, "Applied    {}", applied_line(&report.applied));
    drift(&mut out, report, verbose);
    let _ = writeln!(out);
    recommendations(&mut out, report, table, verbose);
    out
}

/// The run's first line: dry run or stored, its status, when it finished.
fn heading(out: &mut String, report: &Report) {
    let run = &report.run;
    let mode = if run.dry_run {
        "dry run — nothing stored"
    } else {
        "stored"
    };
    let status = match run.status {
        RunStatus::Ok => "ok",
        RunStatus::Degraded => "DEGRADED",
    };
    let _ = writeln!(
        out,
        "seatwarden reconcile · {mode} · status {status} · {}",
        run.finished_at
    );
    let _ = writeln!(out);
}

/// Each source's health and records, the failed and guarded ones with their error.
fn sources(out: &mut String, report: &Report) {
    let _ = writeln!(out, "Sources");
    for s in &report.sources {
        let mark = match s.status {
            SourceStatus::Ok => "ok     ",
            SourceStatus::Failed => "FAILED ",
            SourceStatus::Guarded => "GUARDED",
        };
        let _ = write!(
            out,
            "  {mark} {:<16} {:>7} records  ({})",
            visible(&s.name),
            s.records,
            visible(&s.kind)
        );
        if let Some(e) = &s.error {
            let _ = write!(out, "\n          {}", visible(e));
        }
        let _ = writeln!(out);
    }
    if report.sources.iter().any(|s| s.status != SourceStatus::Ok) {
        let _ = writeln!(
            out,
            "  Removals that depend on a failed or guarded source were withheld (exit code 3)."
        );
    }
    let _ = writeln!(out);
}

/// The recommendations' counts, then each reason's group with its top rows and their evidence.
fn recommendations(
    out: &mut String,
    report: &Report,
    table: &[crate::model::Developer],
    verbose: bool,
) {
    let recs = &report.recommendations;
    let count = |a: Action| recs.iter().filter(|r| r.action == a).count();
    let _ = writeln!(
        out,
        "Recommendations  {} in all: {} remove · {} merge · {} review",
        recs.len(),
        count(Action::Remove),
        count(Action::Merge),
        count(Action::Review)
    );
    if recs.is_empty() {
        let _ = writeln!(out, "  Nothing to do: the table matches the sources.");
    }
    let names: std::collections::HashMap<&str, String> = table
        .iter()
        .map(|d| {
            let who = format!("{} <{}>", visible(&d.name), visible(&d.email));
            (d.id.as_str(), who)
        })
        .collect();
    for reason in Reason::ALL {
        let group: Vec<_> = recs.iter().filter(|r| r.reason == reason).collect();
        if !group.is_empty() {
            reason_group(out, reason, &group, &names, verbose);
        }
    }
}

/// One reason's recommendations: the top rows (all with `verbose`) and how many more.
fn reason_group(
    out: &mut String,
    reason: Reason,
    group: &[&RecommendationJson],
    names: &std::collections::HashMap<&str, String>,
    verbose: bool,
) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{} ({})", reason_title(reason), group.len());
    let shown = if verbose {
        group.len()
    } else {
        TOP_ROWS.min(group.len())
    };
    for r in &group[..shown] {
        let who = match (&r.name, &r.email) {
            (Some(n), Some(e)) => format!("{} <{}>", visible(n), visible(e)),
            _ => visible(&r.developer).into_owned(),
        };
        let into = r
            .into
            .as_deref()
            .map(|i| {
                let target = names.get(i).cloned();
                format!(" → {}", target.unwrap_or_else(|| visible(i).into_owned()))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<6} {who}{into}  [{:.2}]",
            r.action.as_str(),
            r.confidence
        );
        for e in &r.evidence {
            let _ = writeln!(out, "         · {}", visible(e));
        }
    }
    if group.len() > shown {
        let _ = writeln!(
            out,
            "  … and {} more (--json or --csv for all, -v to list all here)",
            group.len() - shown
        );
    }
}
