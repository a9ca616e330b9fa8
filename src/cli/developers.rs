//! `seatwarden developers …`: import and export the SEI developer CSV, list the table, write the
//! developers' integration accounts in SEI's terms, record manual merges and splits that every
//! later run respects, print a row's audit trail and undo a removal. The uploads to SEI (`--push`)
//! are in [`push`].
//!
//! Never changes the table from a file with any error in it: a bad import changes nothing (exit 2).
//! Every command that writes holds the store lock and records what it did in the audit trail;
//! `list`, `export` and `history` only read, and never wait for the lock.

mod push;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::anyhow;

use crate::cli::lock_store;
use crate::cli::{Exit, Failure, Output, write_output};
use crate::config::Config;
use crate::model::{AuditAction, AuditEntry, Developer, RowStatus};
use crate::overrides::resolve_reference;
use crate::reconcile;
use crate::report::json::developer_json;
use crate::sei_csv;
use crate::store::{OverrideKind, Store, StoredOverride};
use crate::telemetry::Phase;
use crate::visible::visible;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Load an SEI developer CSV into the table (a file with any error changes nothing)
    Import {
        file: PathBuf,
        /// Make the file the whole table: rows not in it are dropped
        #[arg(long)]
        replace: bool,
    },
    /// Write the active rows as an SEI developer CSV, ready to upload
    Export {
        /// Write here instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        push: push::PushArgs,
    },
    /// Write every active developer's integration accounts as SEI's `email,integrationId,identity`
    Identities {
        /// Write here instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        push: push::PushArgs,
    },
    /// Print the table
    List {
        /// As a JSON array (the `developers` of the SPEC §4 report)
        #[arg(long)]
        json: bool,
    },
    /// Record that two rows or identities are the same person (a row id, a row's email, or source:id)
    Merge { a: String, b: String },
    /// Record that two rows or identities are different people: never merged, never proposed again
    Split {
        a: String,
        b: String,
        /// Why, for whoever reads the overrides later
        #[arg(long)]
        note: Option<String>,
    },
    /// Print a row's audit trail: imports, applied removals and merges, overrides, restores
    History { email: String },
    /// Undo the removal (or merge) of the row with this email: it consumes a license again
    Restore { email: String },
}

pub async fn run(cfg: &Config, cmd: &Command, out: Output, actor: &str) -> Result<Exit, Failure> {
    match cmd {
        Command::Import { file, replace } => import(cfg, file, *replace, out, actor).await,
        Command::Export { out: path, push } => export(cfg, path.as_ref(), push, out).await,
        Command::Identities { out: path, push } => identities(cfg, path.as_ref(), push, out).await,
        Command::List { json } => list(cfg, *json).await,
        Command::Merge { a, b } => {
            let pair = Pair { a, b, note: None };
            record_override(cfg, OverrideKind::Merge, pair, out, actor).await
        }
        Command::Split { a, b, note } => {
            let pair = Pair {
                a,
                b,
                note: note.clone(),
            };
            record_override(cfg, OverrideKind::Split, pair, out, actor).await
        }
        Command::History { email } => history(cfg, email).await,
        Command::Restore { email } => restore(cfg, email, out, actor).await,
    }
}

async fn read_table(cfg: &Config) -> Result<Vec<Developer>, Failure> {
    match Store::open_read_only(&cfg.store.url).await? {
        Some(store) => {
            let table = store.load_table().await?;
            store.close().await;
            Ok(table)
        }
        None => Ok(Vec::new()),
    }
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dropped: usize,
    /// Each row added, updated or dropped: `(what, developer id, email)`, for the audit trail.
    pub changed: Vec<(&'static str, String, String)>,
}

/// The table after importing `rows` into `existing`.
pub fn merge_import(
    existing: &[Developer],
    rows: &[crate::model::SeiRow],
    replace: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<Developer>, ImportSummary) {
    let imported = reconcile::table::rows_to_developers(rows, existing, now);
    let mut summary = ImportSummary::default();
    let old_by_id: HashMap<&str, &Developer> =
        existing.iter().map(|d| (d.id.as_str(), d)).collect();
    for d in &imported {
        let what = match old_by_id.get(d.id.as_str()) {
            None => "added",
            Some(old) if sei_fields_equal(old, d) => "unchanged",
            Some(_) => "updated",
        };
        match what {
            "added" => summary.added += 1,
            "updated" => summary.updated += 1,
            _ => summary.unchanged += 1,
        }
        if what != "unchanged" {
            summary.changed.push((what, d.id.clone(), d.email.clone()));
        }
    }
    if replace {
        let kept: std::collections::HashSet<&str> =
            imported.iter().map(|d| d.id.as_str()).collect();
        for d in existing.iter().filter(|d| !kept.contains(d.id.as_str())) {
            summary.dropped += 1;
            summary
                .changed
                .push(("dropped (--replace)", d.id.clone(), d.email.clone()));
        }
        return (imported, summary);
    }
    // Keep every existing row in place, replacing the imported ones; new rows follow in file order.
    let position: HashMap<&str, usize> = existing
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut table: Vec<Developer> = existing.to_vec();
    let mut new_rows = Vec::new();
    for d in imported {
        match position.get(d.id.as_str()) {
            Some(&i) => table[i] = d,
            None => new_rows.push(d),
        }
    }
    table.extend(new_rows);
    (table, summary)
}

fn sei_fields_equal(a: &Developer, b: &Developer) -> bool {
    a.email == b.email
        && a.name == b.name
        && a.status == b.status
        && a.title == b.title
        && a.department == b.department
        && a.manager_email == b.manager_email
        && a.site == b.site
        && a.team == b.team
        && a.sub_role == b.sub_role
}

/// One audit entry per row an import added, updated or dropped.
fn import_audit(
    summary: &ImportSummary,
    file: &str,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<AuditEntry> {
    summary
        .changed
        .iter()
        .map(|(what, id, email)| AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: AuditAction::Imported,
            developer: Some(id.clone()),
            email: Some(email.clone()),
            into: None,
            reason: None,
            evidence: Vec::new(),
            run_id: None,
            origin: Some(file.to_string()),
            detail: Some((*what).to_string()),
        })
        .collect()
}

async fn import(
    cfg: &Config,
    file: &std::path::Path,
    replace: bool,
    out: Output,
    actor: &str,
) -> Result<Exit, Failure> {
    let name = file.display().to_string();
    let timer = Phase::start();
    let rows = sei_csv::read_file(file).map_err(Failure::usage)?;
    timer.done("parsed");
    let lock = lock_store(cfg, "developers import").await?;
    let store = Store::open(&cfg.store.url, &lock).await?;
    let existing = store.load_table().await?;
    let timer = Phase::start();
    let now = chrono::Utc::now();
    let (table, summary) = merge_import(&existing, &rows, replace, now);
    timer.done("merged into the table");
    let timer = Phase::start();
    let audit = import_audit(&summary, &name, actor, now);
    store.replace_table(&table, &audit).await?;
    timer.done("stored");
    store.close().await;
    lock.release().await;
    if !out.quiet {
        println!(
            "{name}: {} rows imported into {}: {} added, {} updated, {} unchanged{}",
            rows.len(),
            store.display_url(),
            summary.added,
            summary.updated,
            summary.unchanged,
            if replace {
                format!(", {} dropped (--replace)", summary.dropped)
            } else {
                String::new()
            }
        );
    }
    Ok(Exit::Success)
}

async fn export(
    cfg: &Config,
    path: Option<&PathBuf>,
    push: &push::PushArgs,
    out: Output,
) -> Result<Exit, Failure> {
    // Find the upload target before writing anything, so a misconfiguration changes nothing.
    let harness = if push.push {
        Some(push::harness_source(cfg)?)
    } else {
        None
    };
    let table = read_table(cfg).await?;
    let rows = reconcile::table::developers_to_rows(&table);
    for problem in sei_csv::export_problems(&rows) {
        tracing::warn!(%problem, "export fixed a row SEI would reject");
    }
    let csv = sei_csv::write(&rows);
    if path.is_some() || !push.push {
        let target = path.cloned().unwrap_or_else(|| PathBuf::from("-"));
        write_output(&target, &csv)?;
        if !out.quiet && path.is_some() {
            eprintln!("{}: {} developers written", target.display(), rows.len());
        }
    }
    match harness {
        Some(source) => push::upload(cfg, source, &rows, &csv, push, out).await,
        None => Ok(Exit::Success),
    }
}

/// `developers identities`: the accounts of every active row, in SEI's terms, to a file or stdout;
/// with `--push`, what SEI lacks or holds differently goes to SEI.
async fn identities(
    cfg: &Config,
    path: Option<&PathBuf>,
    push: &push::PushArgs,
    out: Output,
) -> Result<Exit, Failure> {
    let source = push::harness_source(cfg)?;
    let integrations = push::integrations_of(source)?;
    let table = read_table(cfg).await?;
    let expected = reconcile::identities::expected_identities(&table, integrations);
    if path.is_some() || !push.push {
        let target = path.cloned().unwrap_or_else(|| PathBuf::from("-"));
        write_output(&target, &sei_csv::identities::write(&expected))?;
        if !out.quiet && path.is_some() {
            eprintln!(
                "{}: {} identities written",
                target.display(),
                expected.len()
            );
        }
    }
    if !push.push {
        return Ok(Exit::Success);
    }
    push::identities(cfg, source, &table, integrations, push, out).await
}

async fn list(cfg: &Config, json: bool) -> Result<Exit, Failure> {
    let table = read_table(cfg).await?;
    if json {
        let rows: Vec<_> = table.iter().map(developer_json).collect();
        let text = serde_json::to_string_pretty(&rows).map_err(Failure::runtime)?;
        write_output(std::path::Path::new("-"), &text)?;
        return Ok(Exit::Success);
    }
    let active = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count();
    let mut text = format!("{} rows, {active} active (one license each)\n", table.len());
    text.push_str(&format!(
        "{:<15} {:<8} {:<34} {:<26} {:<11} {}\n",
        "ID", "STATUS", "EMAIL", "NAME", "ACTIVITY", "SOURCES"
    ));
    for d in &table {
        let mut sources: Vec<&str> = d.identities.iter().map(|i| i.source.as_str()).collect();
        sources.dedup();
        text.push_str(&format!(
            "{:<15} {:<8} {:<34} {:<26} {:<11} {}\n",
            visible(&d.id),
            d.status.as_str(),
            visible(&d.email),
            visible(&d.name),
            d.last_activity
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            visible(&sources.join(","))
        ));
    }
    write_output(std::path::Path::new("-"), &text)?;
    Ok(Exit::Success)
}

/// The two references of `developers merge` / `split`, and the split's note.
struct Pair<'a> {
    a: &'a str,
    b: &'a str,
    note: Option<String>,
}

async fn record_override(
    cfg: &Config,
    kind: OverrideKind,
    pair: Pair<'_>,
    out: Output,
    actor: &str,
) -> Result<Exit, Failure> {
    let Pair { a, b, note } = pair;
    let command = match kind {
        OverrideKind::Merge => "developers merge",
        OverrideKind::Split => "developers split",
    };
    let lock = lock_store(cfg, command).await?;
    let store = Store::open(&cfg.store.url, &lock).await?;
    let table = store.load_table().await?;
    let resolve = |r: &str| {
        resolve_reference(r, &table).ok_or_else(|| {
            Failure::usage(anyhow!(
                "`{r}` names no row of the table (use a developer id, a row's email, or source:id)"
            ))
        })
    };
    let (ka, kb) = (resolve(a)?, resolve(b)?);
    if ka == kb {
        return Err(Failure::usage(anyhow!("`{a}` and `{b}` are the same row")));
    }
    let now = chrono::Utc::now();
    let row_of = |k: &crate::resolve::IdentityKey| {
        table
            .iter()
            .find(|d| k.source == crate::model::TABLE_SOURCE && d.id == k.id)
    };
    let row = row_of(&ka).or_else(|| row_of(&kb));
    let entry = AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: match kind {
            OverrideKind::Merge => AuditAction::MergeOverride,
            OverrideKind::Split => AuditAction::SplitOverride,
        },
        developer: row.map(|d| d.id.clone()),
        email: row.map(|d| d.email.clone()),
        into: None,
        reason: note.clone(),
        evidence: Vec::new(),
        run_id: None,
        origin: Some(command.to_string()),
        detail: Some(format!(
            "{}:{} and {}:{}",
            ka.source, ka.id, kb.source, kb.id
        )),
    };
    let o = StoredOverride {
        kind,
        a: ka.clone(),
        b: kb.clone(),
        note,
    };
    store.add_override(&o, now, &entry).await?;
    store.close().await;
    lock.release().await;
    if !out.quiet {
        let verb = match kind {
            OverrideKind::Merge => "the same person",
            OverrideKind::Split => "different people",
        };
        println!(
            "recorded: {}:{} and {}:{} are {verb}; every later run respects it",
            ka.source, ka.id, kb.source, kb.id
        );
    }
    Ok(Exit::Success)
}

/// The rows whose email (primary or any other) is `email`, case-insensitively.
fn rows_with_email<'a>(table: &'a [Developer], email: &str) -> Vec<&'a Developer> {
    table
        .iter()
        .filter(|d| {
            d.email.eq_ignore_ascii_case(email)
                || d.emails.iter().any(|e| e.eq_ignore_ascii_case(email))
        })
        .collect()
}

async fn history(cfg: &Config, email: &str) -> Result<Exit, Failure> {
    let Some(store) = Store::open_read_only(&cfg.store.url).await? else {
        return Err(Failure::usage(anyhow!(
            "{email}: the store is empty: no history"
        )));
    };
    let table = store.load_table().await?;
    let rows = rows_with_email(&table, email);
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let entries = store.history(&ids, email).await?;
    store.close().await;
    if rows.is_empty() && entries.is_empty() {
        return Err(Failure::usage(anyhow!(
            "{email}: no row of the table and no history has this email"
        )));
    }
    write_output(
        std::path::Path::new("-"),
        &render_history(email, &rows, &entries),
    )?;
    Ok(Exit::Success)
}

/// A row's history as text: the rows with the email, then one block per audit entry.
fn render_history(email: &str, rows: &[&Developer], entries: &[AuditEntry]) -> String {
    let mut text = format!("history of {email}\n");
    for d in rows {
        text.push_str(&format!(
            "  row {} · {} · {} <{}>\n",
            d.id,
            d.status.as_str(),
            d.name,
            d.email
        ));
    }
    if entries.is_empty() {
        text.push_str("  no audit entries yet\n");
    }
    for e in entries {
        let mut line = format!(
            "{}  {:<14} by {}",
            crate::report::json::timestamp(e.at),
            e.action.as_str(),
            e.actor
        );
        for (label, value) in [
            ("row", e.developer.as_deref()),
            ("into", e.into.as_deref()),
            ("reason", e.reason.as_deref()),
            ("run", e.run_id.as_deref()),
            ("from", e.origin.as_deref()),
        ] {
            if let Some(v) = value {
                line.push_str(&format!(" · {label} {v}"));
            }
        }
        text.push_str(&line);
        text.push('\n');
        if let Some(d) = e
            .detail
            .as_deref()
            .filter(|_| e.action != AuditAction::Merged)
        {
            text.push_str(&format!("    {d}\n"));
        }
        for ev in &e.evidence {
            text.push_str(&format!("    · {ev}\n"));
        }
    }
    text
}

async fn restore(cfg: &Config, email: &str, out: Output, actor: &str) -> Result<Exit, Failure> {
    let lock = lock_store(cfg, "developers restore").await?;
    let store = Store::open(&cfg.store.url, &lock).await?;
    let table = store.load_table().await?;
    let ids: Vec<String> = rows_with_email(&table, email)
        .iter()
        .map(|d| d.id.clone())
        .collect();
    let history = store.history(&ids, email).await?;
    let acting = crate::apply::Acting {
        actor,
        now: chrono::Utc::now(),
        file: "developers restore",
    };
    let restored =
        crate::apply::restore(&table, email, &history, &acting).map_err(Failure::usage)?;
    store.update_rows(&restored.rows, &restored.audit).await?;
    store.close().await;
    lock.release().await;
    if !out.quiet {
        let row = &restored.rows[0];
        println!(
            "restored {} <{}> ({}): it consumes a license again; audited as {actor}",
            row.name, row.email, row.id
        );
    }
    Ok(Exit::Success)
}
