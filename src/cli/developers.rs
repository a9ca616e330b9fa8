//! `seatwarden developers …`: import and export the SEI developer CSV, list the table, and record
//! manual merges and splits that every later run respects.
//!
//! Never changes the table from a file with any error in it: a bad import changes nothing (exit 2).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::anyhow;

use crate::cli::{Exit, Failure, Output, write_output};
use crate::config::Config;
use crate::model::{Developer, RowStatus};
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
        /// Upload it to SEI through the `harness` source (re-upload, then activate the version)
        #[arg(long)]
        push: bool,
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
}

pub async fn run(cfg: &Config, cmd: &Command, out: Output) -> Result<Exit, Failure> {
    match cmd {
        Command::Import { file, replace } => import(cfg, file, *replace, out).await,
        Command::Export { out: path, push } => export(cfg, path.as_ref(), *push, out).await,
        Command::List { json } => list(cfg, *json).await,
        Command::Merge { a, b } => record_override(cfg, OverrideKind::Merge, a, b, None, out).await,
        Command::Split { a, b, note } => {
            record_override(cfg, OverrideKind::Split, a, b, note.clone(), out).await
        }
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
        match old_by_id.get(d.id.as_str()) {
            None => summary.added += 1,
            Some(old) if sei_fields_equal(old, d) => summary.unchanged += 1,
            Some(_) => summary.updated += 1,
        }
    }
    if replace {
        let kept: std::collections::HashSet<&str> =
            imported.iter().map(|d| d.id.as_str()).collect();
        summary.dropped = existing
            .iter()
            .filter(|d| !kept.contains(d.id.as_str()))
            .count();
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

async fn import(
    cfg: &Config,
    file: &std::path::Path,
    replace: bool,
    out: Output,
) -> Result<Exit, Failure> {
    let name = file.display().to_string();
    let timer = Phase::start();
    let rows = sei_csv::read_file(file).map_err(Failure::usage)?;
    timer.done("parsed");
    let store = Store::open(&cfg.store.url).await?;
    let existing = store.load_table().await?;
    let timer = Phase::start();
    let (table, summary) = merge_import(&existing, &rows, replace, chrono::Utc::now());
    timer.done("merged into the table");
    let timer = Phase::start();
    store.replace_table(&table).await?;
    timer.done("stored");
    store.close().await;
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
    push: bool,
    out: Output,
) -> Result<Exit, Failure> {
    // Find the upload target before writing anything, so a misconfiguration changes nothing.
    let harness = if push {
        let mut found = cfg
            .sources
            .iter()
            .filter(|s| s.kind() == crate::sources::SourceKind::Harness);
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one),
            (None, _) => {
                return Err(Failure::usage(anyhow!(
                    "--push needs a source of kind `harness` in {}",
                    cfg.file.display()
                )));
            }
            (Some(_), Some(_)) => {
                return Err(Failure::usage(anyhow!(
                    "--push found several `harness` sources; keep one"
                )));
            }
        }
    } else {
        None
    };
    let table = read_table(cfg).await?;
    let rows = reconcile::table::developers_to_rows(&table);
    for problem in sei_csv::export_problems(&rows) {
        tracing::warn!(%problem, "export fixed a row SEI would reject");
    }
    let csv = sei_csv::write(&rows);
    if path.is_some() || !push {
        let target = path.cloned().unwrap_or_else(|| PathBuf::from("-"));
        write_output(&target, &csv)?;
        if !out.quiet && path.is_some() {
            eprintln!("{}: {} developers written", target.display(), rows.len());
        }
    }
    if let Some(source) = harness {
        let ctx = crate::sources::SourceContext {
            secrets: crate::sources::Secrets::from_env(cfg.secret_vars()),
            cache: None,
        };
        let version = crate::deliver::sei::push_developers(source, &ctx, &csv)
            .await
            .map_err(Failure::runtime)?;
        if !out.quiet {
            eprintln!(
                "{}: uploaded {} developers to SEI and activated version {version}",
                source.name,
                rows.len()
            );
        }
    }
    Ok(Exit::Success)
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

async fn record_override(
    cfg: &Config,
    kind: OverrideKind,
    a: &str,
    b: &str,
    note: Option<String>,
    out: Output,
) -> Result<Exit, Failure> {
    let store = Store::open(&cfg.store.url).await?;
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
    store
        .add_override(
            &StoredOverride {
                kind,
                a: ka.clone(),
                b: kb.clone(),
                note,
            },
            chrono::Utc::now(),
        )
        .await?;
    store.close().await;
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
