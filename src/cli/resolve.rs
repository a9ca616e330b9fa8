//! `seatwarden resolve`: the resolver on a flat CSV of identities.
//!
//! Never reads a config file or opens a store: only the input file and the outputs it is told to write.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::anyhow;

use crate::cli::{Exit, Failure, Output, write_output};
use crate::model::Identity;
use crate::resolve::{self, ResolveOptions};
use crate::sei_csv::formula_safe;
use crate::visible::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV with columns id,name,email and optionally login,source (`record_id` is accepted for id)
    pub file: PathBuf,
    /// Write `id,cluster` here instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a git .mailmap for the clusters
    #[arg(long, value_name = "FILE")]
    pub mailmap: Option<PathBuf>,
    /// Links at or above this confidence merge
    #[arg(long, default_value_t = 0.9)]
    pub merge_threshold: f64,
    /// Also write the pairs worth a look (`a,b,confidence,evidence`) to this file
    #[arg(long, value_name = "FILE")]
    pub reviews: Option<PathBuf>,
    /// Explain how two ids relate (repeatable): `--explain 17,42`
    #[arg(long, value_name = "ID,ID")]
    pub explain: Vec<String>,
}

/// Read the flat CSV into identities. Errors name the file, line and column.
pub fn read_identities(path: &std::path::Path) -> Result<Vec<Identity>, Failure> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| Failure::usage(anyhow!("{name}: cannot read: {e}")))?;
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| Failure::usage(anyhow!("{name}:1: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let id_col = col(&["id", "record_id"])
        .ok_or_else(|| Failure::usage(anyhow!("{name}:1: no `id` column")))?;
    let name_col = col(&["name"]);
    let email_col = col(&["email"]);
    if name_col.is_none() && email_col.is_none() {
        return Err(Failure::usage(anyhow!(
            "{name}:1: needs a `name` or an `email` column"
        )));
    }
    let login_col = col(&["login"]);
    let source_col = col(&["source"]);
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Failure::usage(anyhow!("{name}:{line}: {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let id =
            get(Some(id_col)).ok_or_else(|| Failure::usage(anyhow!("{name}:{line}: id: empty")))?;
        let source = get(source_col).unwrap_or_else(|| "input".into());
        if let Some(first) = seen.insert((source.clone(), id.clone()), line) {
            return Err(Failure::usage(anyhow!(
                "{name}:{line}: id: `{id}` already used on line {first}"
            )));
        }
        out.push(Identity {
            source,
            id,
            emails: get(email_col).into_iter().collect(),
            name: get(name_col),
            login: get(login_col),
            ..Identity::default()
        });
    }
    Ok(out)
}

pub fn run(args: &Args, out: Output) -> Result<Exit, Failure> {
    if !(0.0..=1.0).contains(&args.merge_threshold) {
        return Err(Failure::usage(anyhow!(
            "--merge-threshold must be between 0 and 1"
        )));
    }
    let identities = read_identities(&args.file)?;
    let explain = explain_pairs(args, &identities)?;
    let started = std::time::Instant::now();
    let options = ResolveOptions {
        merge_threshold: args.merge_threshold,
        review_threshold: args
            .merge_threshold
            .min(ResolveOptions::default().review_threshold),
        explain,
        on_phase: crate::telemetry::logged_resolve_phases(),
        ..ResolveOptions::default()
    };
    let resolution = resolve::resolve(&identities, &options);
    let elapsed = started.elapsed();

    let clusters_to = args.out.as_deref().unwrap_or(std::path::Path::new("-"));
    write_output(clusters_to, &clusters_csv(&identities, &resolution))?;
    if let Some(path) = &args.mailmap {
        write_output(path, &resolve::mailmap(&identities, &resolution))?;
    }
    if let Some(path) = &args.reviews {
        write_output(path, &reviews_csv(&identities, &resolution))?;
    }
    for e in &resolution.explanations {
        eprintln!("{}", explanation_line(&identities, &resolution, e));
    }
    if !out.quiet {
        let people = resolution.clusters.len();
        eprintln!(
            "resolved {} identities into {people} people ({} merged, {} pairs to review) in {:.3} s",
            identities.len(),
            identities.len() - people,
            resolution.reviews.len(),
            elapsed.as_secs_f64()
        );
    }
    Ok(Exit::Success)
}

/// The `--explain ID,ID` pairs as indexes into `identities`. An id names one record, unless
/// several sources use it: then `source:id` does.
fn explain_pairs(args: &Args, identities: &[Identity]) -> Result<Vec<(usize, usize)>, Failure> {
    let mut index: HashMap<String, Option<usize>> = HashMap::new();
    for (i, x) in identities.iter().enumerate() {
        index
            .entry(x.id.clone())
            .and_modify(|slot| *slot = None)
            .or_insert(Some(i));
        index.insert(format!("{}:{}", x.source, x.id), Some(i));
    }
    let find = |key: &str| index.get(key.trim()).copied().flatten();
    let mut explain = Vec::new();
    for pair in &args.explain {
        let found = pair
            .split_once(',')
            .and_then(|(a, b)| Some((find(a)?, find(b)?)));
        match found {
            Some((a, b)) if a != b => explain.push((a, b)),
            _ => {
                return Err(Failure::usage(anyhow!(
                    "--explain {pair}: expected two different ids of {} as `ID,ID` (`source:id` where sources share an id)",
                    args.file.display()
                )));
            }
        }
    }
    Ok(explain)
}

/// `id,cluster`: a cluster is named by the id of its first identity in file order.
fn clusters_csv(identities: &[Identity], resolution: &resolve::Resolution) -> String {
    let mut text = String::with_capacity(identities.len() * 16);
    text.push_str("id,cluster\n");
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (i, ident) in identities.iter().enumerate() {
        let cluster = &resolution.clusters[resolution.cluster_of[i]];
        let _ = w.write_record([
            formula_safe(&ident.id).as_ref(),
            formula_safe(&identities[cluster[0]].id).as_ref(),
        ]);
    }
    text.push_str(&crate::sei_csv::written_text(w));
    text
}

/// `a,b,confidence,evidence`: the pairs worth a look.
fn reviews_csv(identities: &[Identity], resolution: &resolve::Resolution) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["a", "b", "confidence", "evidence"]);
    for r in &resolution.reviews {
        let evidence = r.evidence.join("; ");
        let _ = w.write_record([
            formula_safe(&identities[r.a].id).as_ref(),
            formula_safe(&identities[r.b].id).as_ref(),
            &format!("{:.2}", r.confidence),
            formula_safe(&evidence).as_ref(),
        ]);
    }
    crate::sei_csv::written_text(w)
}

/// How one `--explain` pair came out: merged, proposed for review or apart, and why.
fn explanation_line(
    identities: &[Identity],
    resolution: &resolve::Resolution,
    e: &resolve::Explanation,
) -> String {
    let (a, b) = (&identities[e.a], &identities[e.b]);
    let cluster = |i: usize| resolution.cluster_of[i];
    let pair_of = |x: usize, y: usize| [cluster(x).min(cluster(y)), cluster(x).max(cluster(y))];
    let pair = pair_of(e.a, e.b);
    let outcome = if pair[0] == pair[1] {
        "same person"
    } else if resolution.reviews.iter().any(|r| pair_of(r.a, r.b) == pair) {
        "different people, proposed for review"
    } else {
        "different people"
    };
    let score = match e.confidence {
        Some(c) => format!("weak evidence {c:.2}"),
        None => "no weak evidence".to_string(),
    };
    let blocked = if e.candidates {
        ""
    } else {
        " (never compared: no shared name or handle, or only ones too common to compare)"
    };
    format!(
        "{} ~ {}: {outcome}; {score}{blocked}{}{}",
        visible(&a.id),
        visible(&b.id),
        if e.evidence.is_empty() { "" } else { ": " },
        visible(&e.evidence.join("; "))
    )
}
