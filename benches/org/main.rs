//! Organisation benchmark: simulated companies, built independently of seatwarden's rules, served
//! over loopback in the vendors' real shapes, reconciled by the release binary, and scored against
//! a truth file.
//!
//! With no arguments it runs two organisations and a variant:
//! - **3,000 people, GitHub REST**: Okta (users, DEPROVISIONED listed apart, `githubUsername`
//!   links), a contractor agency CSV, GitHub REST members + profiles + Copilot seats, the GitLab of
//!   an acquired company, Jira Cloud, Harness (SEI license and the SEI developer table);
//! - the same organisation **after a stored run** (`reconcile` stores, then `reconcile --dry-run`
//!   is scored: rows now carry last run's accounts, the guard has a baseline);
//! - **30,000 people, GitHub GraphQL + SAML, faults**: Microsoft Entra through Graph (client
//!   credentials, `@odata.nextLink`, `otherMails`, `extensionAttribute1` links, guests, rooms),
//!   the contractor CSV, GitHub GraphQL members and SAML identities + Copilot, GitLab, Jira,
//!   Harness; every server injects transient faults on first attempts (429 / GitHub's 403 with
//!   `Retry-After: 1`, 502, 503, connections closed, bodies cut short, slow pages).
//!
//! Every run starts from an empty store: the table is seeded from SEI's `GET /v2/developers`
//! ("as last uploaded, with its mess"). The organisation — who is who, every phenomenon, every
//! account — is drawn from `SEATWARDEN_ORG_SEED` (default 1) with proportions drawn from ranges
//! (`sim/params.rs`) and names from the real distributions in `../shared/data/identities/*.csv`.
//! Phenomena: employees and contractors, leavers (deprovisioned or deleted from the directory,
//! their GitHub membership, Copilot seat and Jira user often left behind), suspended accounts,
//! people starting soon, converted contractors (agency row ended, now an employee at a new
//! address), renamed people whose row keeps the old address, homonym pairs (one sometimes a
//! leaver), second rows under initials aliases / personal / acquired-company / GitHub noreply
//! addresses, nicknames, "Last, First" and all-caps names, tool accounts with only a name or only
//! a login, GitHub accounts with a personal email, Copilot seats idle for months or never used,
//! Jira with hidden emails, bots in every tool, Jira customers and meeting rooms, people hired
//! since the upload, people outside engineering (some with rows).
//!
//! ## The figures (per scored report)
//!
//! A row's truth has an `expected` outcome and `alternatives` (together: its acceptable outcomes).
//! An outcome fits a verdict when the action matches; for `remove` the reason too; for `merge`
//! the target row is one the verdict lists or a row of the same true person.
//! - **rows wrongly recommended for removal** = rows none of whose acceptable outcomes takes the
//!   license (truth keep or review) that got `remove` or `merge` — a row the directory knows
//!   merged into its own duplicate included (SPEC §3.5 keeps that row) — plus rows merged into a
//!   row of another person that no acceptable outcome lists;
//! - **rows that should go, proposed** = rows whose expected outcome is `remove` or `merge` that
//!   got `remove` or `merge`, over those rows;
//! - **reason right** = of those proposed, the share whose reason (a merge's is `duplicate`) is the
//!   reason of an acceptable `remove`/`merge` (a duplicate called a leaver is wrong unless the
//!   truth says the data cannot tell them apart);
//! - **reviews** = `review` recommendations over the table's rows (as seeded; in the stored
//!   variant plus the rows the first run added);
//! - **identity F1** = pairwise precision / recall over the source accounts (directory and agency
//!   records, GitHub, GitLab, Jira accounts) of the people the table holds or should hold (a row
//!   in it, or eligible and seen in a tool) — SPEC §4's `developers` is the table, so nobody
//!   else's accounts can ever be shown together; the figure over every account is printed
//!   beside it. Predicted clusters are the rows' `identities`, joined along `merge`
//!   recommendations (the report's claim that two rows are one person) and where one account sits
//!   on two rows; an account on no row is a singleton; true clusters are the true persons. The
//!   "evidence ceiling" is the F1 of attaching every account exactly where its evidence points
//!   (derivable or misleading) and nothing else;
//! - **additions precision / recall** = `changes.added` judged by the true person most of the added
//!   row's accounts belong to: right for a should-add person (first addition only), neutral for an
//!   either-way person whose rows all go, false otherwise (already covered by a row, not eligible,
//!   a leaver, a bot, nobody); precision = right / (added − neutral), recall = should-add people
//!   added / should-add people. In the stored variant, the should-add people the first run
//!   already added have a row: recall counts only those it missed, and a second addition of
//!   anyone is false.
//!
//! In the stored variant the rows the first run added are scored too: keep when their person was
//! an addition, a duplicate of the person's row when they had one, else a row that should go.
//!
//! ## The truth file (`truth.json`)
//!
//! `rows[]`: `email`, `name`, `person` (P… people, B… bots), `phenomena`, `expected` and
//! `alternatives` (`{action: keep|remove|merge|review, reason, into: [row emails]}`), `evidence`
//! (why it is derivable); `accounts[]`: `source`, `id` (as the report's identities name them),
//! `person`, `evidence` (directory record, profile link, SAML NameID, address, name, login,
//! misleading, none) and `points_at` for misleading evidence; `people[]`: `employed`,
//! `engineering`, `eligible`, `seen_in_tool`, `in_table`, `addition` (yes / no / either), `rows`;
//! `homonym_pairs`; `bots`; `company`; `params` (the drawn proportions). Labels are what a careful
//! admin holding SPEC.md and the served data would conclude (`sim/truth/`); where the data cannot
//! tell, the label says which outcomes are acceptable rather than demanding the true one.
//!
//! ## Running
//!
//! `cargo bench --bench org`. `SEATWARDEN_ORG_SEED=N` (default 1); `SEATWARDEN_ORG_PEOPLE=N` and
//! `SEATWARDEN_ORG_SCENARIO=rest|graphql` run one organisation (size defaults 3,000 / 30,000);
//! `SEATWARDEN_ORG_STORED=0` skips the stored variant; `SEATWARDEN_ORG_TRUNCATED=1` adds bodies
//! cut short to the faults (left out by default: seatwarden fails the source instead of retrying); `SEATWARDEN_ORG_DIR=PATH` keeps everything
//! there (default: a new temporary folder, printed); `SEATWARDEN_ORG_DEBUG=N` prints up to N
//! examples of each kind of error. Each organisation's folder holds `data/` (every vendor's
//! records as served), `truth.json`, `seatwarden.toml`, `report.json`, `report.csv`, the run's log
//! and `score.txt`.

mod sim;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use sim::names::Pools;
use sim::score::print::{Figures, thousands};
use sim::world::{Scenario, World};
use sim::{run, score, truth, vendors};

struct Plan {
    scenario: Scenario,
    people: usize,
}

struct Settings {
    seed: u64,
    plans: Vec<Plan>,
    stored: bool,
    truncated: bool,
    debug: usize,
    dir: PathBuf,
}

fn env_number(key: &str) -> Option<u64> {
    let value = std::env::var(key).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{key}={value}: not a number"),
    }
}

fn settings() -> Settings {
    let seed = env_number("SEATWARDEN_ORG_SEED").unwrap_or(1);
    let people = env_number("SEATWARDEN_ORG_PEOPLE").map(|n| n as usize);
    let scenario = std::env::var("SEATWARDEN_ORG_SCENARIO")
        .ok()
        .map(|s| match s.as_str() {
            "rest" => Scenario::Rest,
            "graphql" => Scenario::Graphql,
            other => panic!("SEATWARDEN_ORG_SCENARIO={other}: rest or graphql"),
        });
    let default_size = |s: Scenario| if s == Scenario::Rest { 3_000 } else { 30_000 };
    let plans = match (scenario, people) {
        (None, None) => vec![
            Plan {
                scenario: Scenario::Rest,
                people: 3_000,
            },
            Plan {
                scenario: Scenario::Graphql,
                people: 30_000,
            },
        ],
        (Some(s), n) => vec![Plan {
            scenario: s,
            people: n.unwrap_or(default_size(s)),
        }],
        (None, Some(n)) => vec![Plan {
            scenario: Scenario::Rest,
            people: n,
        }],
    };
    let dir = match std::env::var_os("SEATWARDEN_ORG_DIR") {
        Some(d) => PathBuf::from(d),
        None => tempfile::Builder::new()
            .prefix("seatwarden-org-")
            .tempdir()
            .expect("temp dir")
            .keep(),
    };
    Settings {
        seed,
        plans,
        stored: env_number("SEATWARDEN_ORG_STORED") != Some(0),
        truncated: env_number("SEATWARDEN_ORG_TRUNCATED") == Some(1),
        debug: env_number("SEATWARDEN_ORG_DEBUG").unwrap_or(0) as usize,
        dir,
    }
}

fn label(plan: &Plan) -> String {
    match plan.scenario {
        Scenario::Rest => format!("{} people, GitHub REST", thousands(plan.people)),
        Scenario::Graphql => format!(
            "{} people, GitHub GraphQL + SAML, faults",
            thousands(plan.people)
        ),
    }
}

fn main() {
    let settings = settings();
    let identities = sim::identities_dir();
    let pools = Pools::load(&identities);
    let (firsts, lasts) = pools.distinct();
    println!(
        "org bench: seed {}, data in {} (names: {} first and {} last names from {})",
        settings.seed,
        settings.dir.display(),
        thousands(firsts),
        thousands(lasts),
        identities.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let mut columns = Vec::new();
    let mut walls = Vec::new();
    for plan in &settings.plans {
        let t = Instant::now();
        runtime.block_on(run_plan(plan, &settings, &pools, &mut columns));
        walls.push(format!(
            "{} {:.1} s",
            label(plan),
            t.elapsed().as_secs_f64()
        ));
    }
    println!("\n{}", score::print::table(&columns));
    println!(
        "wall time: {}; total {:.1} s",
        walls.join(", "),
        started.elapsed().as_secs_f64()
    );
}

/// One organisation: generate, serve, reconcile (and the stored variant), score.
async fn run_plan(
    plan: &Plan,
    settings: &Settings,
    pools: &Pools,
    columns: &mut Vec<(String, Figures)>,
) {
    let t = Instant::now();
    let dir = settings.dir.join(format!(
        "{}-{}-seed{}",
        plan.scenario.as_str(),
        plan.people,
        settings.seed
    ));
    let (params, world, truth) = sim::build(settings.seed, plan.scenario, plan.people, pools);
    let faults = vendors::Faults {
        rate: params.faults,
        truncated: settings.truncated,
    };
    let serving = vendors::serve(&world, &dir.join("data"), faults).await;
    write_truth(&dir, &world, &truth, &params);
    std::fs::write(dir.join("seatwarden.toml"), run::config(&serving.sources)).expect("config");
    println!(
        "\n== {} (seed {}) — {}",
        label(plan),
        settings.seed,
        dir.display()
    );
    println!(
        "   {} — generated in {:.1} s",
        summary(&world),
        t.elapsed().as_secs_f64()
    );
    let column = score_run(&dir, "report", true, &truth, settings).await;
    columns.push((label(plan), column));
    print_served(&serving);
    if settings.stored && plan.scenario == Scenario::Rest {
        let stored = dir.join("stored");
        std::fs::create_dir_all(&stored).expect("stored folder");
        std::fs::write(
            stored.join("seatwarden.toml"),
            run::config(&serving.sources),
        )
        .expect("config");
        println!(
            "\n== {} after a stored run (seed {}) — {}",
            label(plan),
            settings.seed,
            stored.display()
        );
        let first = blocking_reconcile(&stored, "first-run", false).await;
        println!(
            "   seatwarden reconcile (stored): exit {:?}, {:.1} s",
            first.exit,
            first.wall.as_secs_f64()
        );
        let column = score_run(&stored, "report", true, &truth, settings).await;
        columns.push((format!("{}, stored run", label(plan)), column));
    }
}

async fn blocking_reconcile(dir: &Path, stem: &'static str, dry_run: bool) -> run::Outcome {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || run::reconcile(&dir, stem, dry_run))
        .await
        .expect("join")
}

/// Runs the binary and scores its report; prints the run, the phenomena and (with debug) the
/// examples, and keeps them in `score.txt`.
async fn score_run(
    dir: &Path,
    stem: &'static str,
    dry_run: bool,
    truth: &truth::Truth,
    settings: &Settings,
) -> Figures {
    let outcome = blocking_reconcile(dir, stem, dry_run).await;
    let mut text = format!(
        "   seatwarden reconcile{}: exit {}, {:.1} s\n",
        if dry_run { " --dry-run" } else { "" },
        outcome.exit.map_or("killed".into(), |c| c.to_string()),
        outcome.wall.as_secs_f64()
    );
    let Some(report) = &outcome.report else {
        text.push_str(&format!(
            "   NO REPORT — seatwarden failed; its log: {}\n",
            outcome.stderr.display()
        ));
        print!("{text}");
        return failed_figures(truth);
    };
    text.push_str(&sources_line(report));
    let scored = score::score(truth, report);
    text.push_str(&score::print::phenomena(&scored));
    if scored.stray_recommendations > 0 {
        text.push_str(&format!(
            "   {} recommendations name no row of the table\n",
            scored.stray_recommendations
        ));
    }
    if settings.debug > 0 {
        text.push_str(&score::print::debug(&scored, settings.debug));
    }
    let figures = Figures::of(&scored);
    text.push_str(&score::print::table(&[(
        "this run".into(),
        figures.clone(),
    )]));
    print!("{text}");
    std::fs::write(dir.join("score.txt"), &text).expect("score.txt");
    figures
}

fn failed_figures(truth: &truth::Truth) -> Figures {
    Figures {
        rows: truth.rows.len(),
        keep_rows: 0,
        wrong_removals: 0,
        wrong_merges: 0,
        should_go: 0,
        proposed: 0,
        reason_right: 0,
        reviews: 0,
        identity: score::Pairwise::default(),
        identity_all: score::Pairwise::default(),
        ceiling: score::Pairwise::default(),
        added: 0,
        added_right: 0,
        added_neutral: 0,
        should_add: 0,
        found: 0,
    }
}

fn sources_line(report: &run::Report) -> String {
    let parts: Vec<String> = report
        .sources
        .iter()
        .map(|s| {
            let error = s
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            format!(
                "{} {} {}{error}",
                s.name,
                s.status,
                thousands(s.records as usize)
            )
        })
        .collect();
    let mut line = format!(
        "   run {}; sources: {}\n",
        report.run.status,
        parts.join(" · ")
    );
    for s in report.sources.iter().filter(|s| s.status != "ok") {
        line.push_str(&format!(
            "   SOURCE {} IS {}: {}\n",
            s.name,
            s.status.to_uppercase(),
            s.error.as_deref().unwrap_or("")
        ));
    }
    line
}

fn summary(world: &World) -> String {
    let seats = world.github.iter().filter(|a| a.seat.is_some()).count();
    format!(
        "{} people, {} bots, {} SEI rows ({} licenses), {} directory users, {} contractor records, {} GitHub members ({} Copilot seats), {} GitLab users, {} Jira users",
        thousands(world.people.len()),
        thousands(world.bots.len()),
        thousands(world.rows.len()),
        thousands(world.licenses as usize),
        thousands(world.directory.len()),
        thousands(world.vms.len()),
        thousands(world.github.len()),
        thousands(seats),
        thousands(world.gitlab.len()),
        thousands(world.jira.len()),
    )
}

fn print_served(serving: &vendors::Serving) {
    let parts: Vec<String> = serving
        .servers
        .iter()
        .map(|(name, server)| {
            let requests = server.stats.requests.load(Ordering::Relaxed);
            let faults = server
                .stats
                .faults
                .lock()
                .map(|f| f.clone())
                .unwrap_or_default();
            let mut counts: std::collections::BTreeMap<&str, usize> =
                std::collections::BTreeMap::new();
            for f in &faults {
                *counts.entry(f.as_str()).or_default() += 1;
            }
            let faults: Vec<String> = counts.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
            if faults.is_empty() {
                format!("{name} {requests}")
            } else {
                format!("{name} {requests} ({})", faults.join(", "))
            }
        })
        .collect();
    println!("   requests served: {}", parts.join(" · "));
}

fn write_truth(dir: &Path, world: &World, truth: &truth::Truth, params: &sim::params::Params) {
    let doc = serde_json::json!({
        "seed": world.seed,
        "scenario": world.scenario.as_str(),
        "company": {"name": world.company.name, "domain": world.company.domain,
                    "acquired": {"name": world.company.acquired_name, "domain": world.company.acquired_domain},
                    "vendors": world.company.vendors.iter().map(|(_, d)| d).collect::<Vec<_>>()},
        "upload_days_ago": world.upload_days_ago,
        "params": params,
        "rows": truth.rows,
        "accounts": truth.accounts,
        "people": truth.people,
        "homonym_pairs": truth.homonym_pairs,
        "bots": world.bots.iter().map(|b| serde_json::json!({"id": b.id, "name": b.name})).collect::<Vec<_>>(),
    });
    let file = std::fs::File::create(dir.join("truth.json")).expect("truth.json");
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &doc).expect("write truth.json");
}
