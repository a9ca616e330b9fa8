//! Resolution quality and speed on the real identity sets (and a large synthetic one when present):
//! pairwise precision / recall / F1 against `truth_id_union`, wall time with and without CSV
//! parsing, peak RSS, the RSS of the parsed input, and the resolver's own bytes per identity (peak
//! minus input). Run with `cargo bench --bench resolve`.
//!
//! `SEATWARDEN_BENCH_PHASES=1` also prints how long each phase of the resolver took.
//!
//! The 1M case runs when `/tmp/ids-1m.csv` exists, or when `SEATWARDEN_BENCH_FILE` names a file.
//! Truth pairs are counted by cluster-size arithmetic, never by enumerating pairs.
//!
//! Beside each set the bench prints the baseline the resolver must beat: union-find over the
//! exact email (trimmed, lowercased) and the exact name (trimmed), scored the same way.

/// The allocator the seatwarden binary uses, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::time::Instant;

use seatwarden::model::Identity;
use seatwarden::resolve::{ResolveOptions, resolve};

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

struct Loaded {
    identities: Vec<Identity>,
    truth: Vec<u32>,
}

fn load(path: &str) -> Result<Loaded, Box<dyn std::error::Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(format!("{path}: no column {name}"))
    };
    let (c_id, c_name, c_email, c_truth) = (
        col("record_id")?,
        col("name")?,
        col("email")?,
        col("truth_id_union")?,
    );
    let mut identities = Vec::new();
    let mut truth = Vec::new();
    let mut truth_ids: HashMap<String, u32> = HashMap::new();
    for record in reader.records() {
        let record = record?;
        let email = record.get(c_email).unwrap_or("");
        let name = record.get(c_name).unwrap_or("");
        identities.push(Identity {
            source: "input".to_string(),
            id: record.get(c_id).unwrap_or("").to_string(),
            emails: if email.is_empty() {
                Vec::new()
            } else {
                vec![email.to_string()]
            },
            name: if name.is_empty() {
                None
            } else {
                Some(name.to_string())
            },
            ..Identity::default()
        });
        let t = record.get(c_truth).unwrap_or("");
        // A record without truth is its own person.
        let key = if t.is_empty() {
            format!("\u{0}{}", identities.len())
        } else {
            t.to_string()
        };
        let next = truth_ids.len() as u32;
        truth.push(*truth_ids.entry(key).or_insert(next));
    }
    Ok(Loaded { identities, truth })
}

fn score(predicted: &[usize], truth: &[u32]) -> (f64, f64, f64) {
    let mut pred_sizes: HashMap<usize, u64> = HashMap::new();
    let mut truth_sizes: HashMap<u32, u64> = HashMap::new();
    let mut both: HashMap<(usize, u32), u64> = HashMap::new();
    for (i, &p) in predicted.iter().enumerate() {
        *pred_sizes.entry(p).or_insert(0) += 1;
        *truth_sizes.entry(truth[i]).or_insert(0) += 1;
        *both.entry((p, truth[i])).or_insert(0) += 1;
    }
    let predicted_pairs: u64 = pred_sizes.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = truth_sizes.values().map(|&n| pairs(n)).sum();
    let correct: u64 = both.values().map(|&n| pairs(n)).sum();
    let precision = if predicted_pairs == 0 {
        1.0
    } else {
        correct as f64 / predicted_pairs as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        correct as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

/// The baseline: records with the same email (trimmed, lowercased) or the same name (trimmed,
/// as written) are one person, joined transitively. Each record's cluster, as a representative.
fn exact_email_and_name(identities: &[Identity]) -> Vec<usize> {
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..identities.len()).collect();
    let mut first: HashMap<(u8, String), usize> = HashMap::new();
    for (i, identity) in identities.iter().enumerate() {
        let email = identity.emails.first().map(|e| e.trim().to_lowercase());
        let name = identity.name.as_deref().map(|n| n.trim().to_string());
        let keys = [(0u8, email), (1u8, name)];
        for (kind, value) in keys {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            let j = *first.entry((kind, value)).or_insert(i);
            let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
            parent[ri] = rj;
        }
    }
    (0..identities.len())
        .map(|i| find(&mut parent, i))
        .collect()
}

fn peak_rss_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

/// Resident now (`VmRSS`) or at peak (`VmHWM`), in MB.
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The default options; with `SEATWARDEN_BENCH_PHASES`, phases timed and logged.
fn options() -> ResolveOptions {
    if std::env::var_os("SEATWARDEN_BENCH_PHASES").is_some() {
        ResolveOptions {
            on_phase: seatwarden::telemetry::logged_resolve_phases(),
            ..ResolveOptions::default()
        }
    } else {
        ResolveOptions::default()
    }
}

fn run(label: &str, path: &str) {
    let started = Instant::now();
    let loaded = match load(path) {
        Ok(l) => l,
        Err(e) => {
            println!("{label:<8} skipped: {e}");
            return;
        }
    };
    // What the parsed input holds before resolving: the baseline the resolver's own memory is
    // measured against (peak minus this, per identity).
    let loaded_mb = status_mb("VmRSS:").unwrap_or(0.0);
    let resolving = Instant::now();
    let res = resolve(&loaded.identities, &options());
    let resolve_secs = resolving.elapsed().as_secs_f64();
    let total_secs = started.elapsed().as_secs_f64();
    let (p, r, f1) = score(&res.cluster_of, &loaded.truth);
    if std::env::var_os("SEATWARDEN_BENCH_DEBUG").is_some() {
        // Show a sample of wrong merges with their evidence, for tuning.
        let mut shown = 0;
        for m in &res.merges {
            if loaded.truth[m.a] != loaded.truth[m.b] && shown < 40 {
                shown += 1;
                let (a, b) = (&loaded.identities[m.a], &loaded.identities[m.b]);
                println!(
                    "  wrong {:.3} {:?} {:?} | {:?} {:?} :: {}",
                    m.confidence,
                    a.name,
                    a.emails,
                    b.name,
                    b.emails,
                    m.evidence.join("; ")
                );
            }
        }
        // And a sample of missed pairs (same truth, different clusters), with how weak evidence
        // scores them.
        let mut first_of: HashMap<u32, usize> = HashMap::new();
        let mut missed: Vec<(usize, usize)> = Vec::new();
        let limit: usize = std::env::var("SEATWARDEN_BENCH_DEBUG")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40);
        for (i, &t) in loaded.truth.iter().enumerate() {
            let f = *first_of.entry(t).or_insert(i);
            if res.cluster_of[f] != res.cluster_of[i] && missed.len() < limit {
                missed.push((f, i));
            }
        }
        let explained = resolve(
            &loaded.identities,
            &ResolveOptions {
                explain: missed,
                ..ResolveOptions::default()
            },
        );
        for e in &explained.explanations {
            let (a, b) = (&loaded.identities[e.a], &loaded.identities[e.b]);
            println!(
                "  missed {:?} {:?} | {:?} {:?} :: {} {:?} {}",
                a.name,
                a.emails,
                b.name,
                b.emails,
                if e.candidates {
                    "candidates"
                } else {
                    "unblocked"
                },
                e.confidence,
                e.evidence.join("; ")
            );
        }
    }
    if let Some(dir) = std::env::var_os("SEATWARDEN_BENCH_DUMP") {
        // Cluster of each record and every merge with its evidence, for offline analysis.
        let dir = std::path::PathBuf::from(dir);
        let clusters: String = res.cluster_of.iter().map(|c| format!("{c}\n")).collect();
        let tsv = |links: &[seatwarden::resolve::MatchLink]| -> String {
            links
                .iter()
                .map(|m| {
                    let evidence = m.evidence.join("; ");
                    format!("{}\t{}\t{:.3}\t{evidence}\n", m.a, m.b, m.confidence)
                })
                .collect()
        };
        let (merges, reviews) = (tsv(&res.merges), tsv(&res.reviews));
        let written = std::fs::write(dir.join(format!("{label}.clusters")), clusters)
            .and_then(|()| std::fs::write(dir.join(format!("{label}.merges")), merges))
            .and_then(|()| std::fs::write(dir.join(format!("{label}.reviews")), reviews));
        if let Err(e) = written {
            println!("{label:<8} dump failed: {e}");
        }
    }
    let rss = peak_rss_mb()
        .map(|m| format!("{m:.0}"))
        .unwrap_or_else(|| "?".to_string());
    let per_identity = peak_rss_mb()
        .map(|m| {
            format!(
                "{:.0}",
                (m - loaded_mb) * 1048576.0 / loaded.identities.len().max(1) as f64
            )
        })
        .unwrap_or_else(|| "?".to_string());
    println!(
        "{label:<8} {:>9} {:>9} {:>7} {p:>9.4} {r:>9.4} {f1:>9.4} {resolve_secs:>9.2} {total_secs:>9.2} {rss:>9} {loaded_mb:>9.0} {per_identity:>9}",
        loaded.identities.len(),
        res.clusters.len(),
        res.reviews.len(),
    );
    // After the peak was read: the baseline's own maps are not the resolver's memory.
    let (bp, br, bf1) = score(&exact_email_and_name(&loaded.identities), &loaded.truth);
    println!(
        "{:<8} {:>9} {:>9} {:>7} {bp:>9.4} {br:>9.4} {bf1:>9.4}  (exact email + exact name union-find){}",
        "baseline",
        "",
        "",
        "",
        if f1 > bf1 {
            ""
        } else {
            "  RESOLVER NOT ABOVE BASELINE"
        }
    );
}

fn main() {
    if std::env::var_os("SEATWARDEN_BENCH_PHASES").is_some() {
        // The resolver's phase timings (debug events, see `options`), on stderr.
        tracing_subscriber::fmt()
            .with_env_filter("seatwarden::resolve=debug")
            .with_writer(std::io::stderr)
            .init();
    }
    let data = std::env::var("SEATWARDEN_DATA")
        .unwrap_or_else(|_| "/work/shared/data/identities".to_string());
    println!(
        "{:<8} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "set",
        "records",
        "clusters",
        "reviews",
        "precision",
        "recall",
        "f1",
        "resolve_s",
        "total_s",
        "peak_MB",
        "input_MB",
        "B/ident"
    );
    run("git", &format!("{data}/git.csv"));
    run("sympy", &format!("{data}/sympy.csv"));
    let big =
        std::env::var("SEATWARDEN_BENCH_FILE").unwrap_or_else(|_| "/tmp/ids-1m.csv".to_string());
    if std::path::Path::new(&big).exists() {
        run("large", &big);
    }
}
