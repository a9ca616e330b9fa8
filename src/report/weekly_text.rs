//! The weekly report as plain text: the email's text part, and what `seatwarden report` prints in
//! the terminal. It reads on its own: the headline first, then the licenses, what changed, the
//! sources and what to do.
//!
//! Pure: lays out a [`Weekly`] and nothing else.

use std::fmt::Write;

use crate::model::{RunStatus, SourceStatus};
use crate::report::weekly::{Changes, Group, TOP_CHANGES, Weekly, reason_title, thousands};

/// Where the text is read: it decides where "the rest" of a long list is said to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// The email's text part: the CSV is attached.
    Email,
    /// The terminal: `--json` has every row.
    Terminal,
}

impl Medium {
    fn rest_is_in(self) -> &'static str {
        match self {
            Medium::Email => "all of them are in the attached recommendations.csv",
            Medium::Terminal => "`seatwarden report --json -` lists all of them",
        }
    }
}

/// Render the text.
pub fn render(w: &Weekly, medium: Medium) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", w.subject());
    let _ = writeln!(out);
    licenses(&mut out, w);
    changes(&mut out, &w.changes);
    sources(&mut out, w);
    todo(&mut out, w, medium);
    let _ = writeln!(
        out,
        "Run {} · finished {} · status {}",
        w.run_id,
        w.finished_at,
        match w.status {
            RunStatus::Ok => "ok",
            RunStatus::Degraded => "degraded",
        }
    );
    out
}

fn licenses(out: &mut String, w: &Weekly) {
    let _ = writeln!(out, "Licenses");
    for (label, value) in w.license_box() {
        let _ = writeln!(out, "  {label:<12} {value}");
    }
    if let Some(f) = w.forecast_phrase() {
        let _ = writeln!(out, "  {f}");
    } else if w.period.1.is_some() {
        let _ = writeln!(
            out,
            "  No forecast yet: it needs at least two runs on different days in the last {} weeks.",
            w.weeks
        );
    }
    for line in w.money_phrases().unwrap_or_default() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out);
}

fn names(out: &mut String, label: &str, list: &[String]) {
    let _ = writeln!(out, "  {} {label}", thousands(list.len() as u64));
    for n in list.iter().take(TOP_CHANGES) {
        let _ = writeln!(out, "    {n}");
    }
    if list.len() > TOP_CHANGES {
        let _ = writeln!(out, "    … and {} more", list.len() - TOP_CHANGES);
    }
}

fn changes(out: &mut String, c: &Changes) {
    match &c.previous_at {
        Some(at) => {
            let _ = writeln!(out, "Since the previous run ({at})");
            names(out, "added", &c.added);
            names(out, "removed or merged as recommended", &c.applied);
            names(out, "newly recommended", &c.newly_recommended);
        }
        None => {
            let _ = writeln!(
                out,
                "Changes (the first stored run: nothing to compare with)"
            );
            names(out, "added", &c.added);
        }
    }
    let _ = writeln!(out);
}

fn sources(out: &mut String, w: &Weekly) {
    let _ = writeln!(out, "Sources");
    for s in &w.sources {
        let mark = match s.status {
            SourceStatus::Ok => "ok     ",
            SourceStatus::Failed => "FAILED ",
            SourceStatus::Guarded => "GUARDED",
        };
        let _ = writeln!(
            out,
            "  {mark} {} ({}): {} records",
            s.name,
            s.kind,
            thousands(s.records)
        );
        if let Some(e) = &s.error {
            let _ = writeln!(out, "          {e}");
        }
    }
    if w.unhealthy_sources() > 0 {
        let _ = writeln!(
            out,
            "  Removals that depend on a failed or guarded source were withheld this run."
        );
    }
    let _ = writeln!(out);
}

fn todo(out: &mut String, w: &Weekly, medium: Medium) {
    if w.groups.is_empty() {
        let _ = writeln!(out, "Nothing to do: the table matches the sources.");
        let _ = writeln!(out);
        return;
    }
    let _ = writeln!(
        out,
        "What to do: {} {} would free {} licenses; {} to review",
        thousands(w.removals as u64),
        if w.removals == 1 {
            "removal"
        } else {
            "removals"
        },
        thousands(w.freed),
        thousands(w.reviews as u64)
    );
    for g in &w.groups {
        group(out, g, medium);
    }
    let _ = writeln!(out);
}

fn group(out: &mut String, g: &Group, medium: Medium) {
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} ({})",
        reason_title(g.reason),
        thousands(g.total as u64)
    );
    for r in &g.rows {
        let into = r
            .into
            .as_deref()
            .map(|i| format!("\n         → {i}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<6} {}{into}  [{:.2}]",
            r.action.as_str(),
            r.who,
            r.confidence
        );
        for e in &r.evidence {
            let _ = writeln!(out, "         · {e}");
        }
    }
    if g.total > g.rows.len() {
        let _ = writeln!(
            out,
            "  … and {} more: {}",
            thousands((g.total - g.rows.len()) as u64),
            medium.rest_is_in()
        );
    }
}
