//! `developers export --push` and `developers identities --push`: read what SEI holds now, show
//! what the push would change, hold it to `policy.max_apply_percent`, then send it through
//! `deliver::sei` (or, with `--dry-run`, send nothing).
//!
//! Never sends a push that takes away more of SEI's table, or reassigns more of SEI's identities,
//! than the cap allows without `--force` (a wrong or empty store must not wipe SEI): it exits 3
//! with the numbers instead.

use std::fmt::Write as _;

use anyhow::anyhow;

use crate::cli::{Exit, Failure, Output};
use crate::config::Config;
use crate::deliver::sei::{SeiError, patch_identities, upload_developers};
use crate::model::{Developer, SeiIntegration, SeiRow};
use crate::reconcile::drift::{Drift, upload_drift};
use crate::reconcile::identities::{IdentityDrift, identity_drift};
use crate::reconcile::policy::within_apply_cap;
use crate::sources::harness::SeiApi;
use crate::sources::{Secrets, SourceConfig, SourceContext, SourceKind, VendorConfig};

/// How many emails or accounts a plan lists before "… and N more".
const LISTED: usize = 50;

/// The switches of a push.
#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// Send it to SEI through the `harness` source
    #[arg(long)]
    pub push: bool,
    /// With --push: show what would be sent (and the diff against SEI) and send nothing
    #[arg(long, requires = "push")]
    pub dry_run: bool,
    /// With --push: send even when it changes more of SEI than policy.max_apply_percent allows
    #[arg(long, requires = "push")]
    pub force: bool,
}

/// The one `harness` source of the config.
pub fn harness_source(cfg: &Config) -> Result<&SourceConfig, Failure> {
    let mut found = cfg
        .sources
        .iter()
        .filter(|s| s.kind() == SourceKind::Harness);
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(Failure::usage(anyhow!(
            "this needs a source of kind `harness` in {}",
            cfg.file.display()
        ))),
        (Some(_), Some(_)) => Err(Failure::usage(anyhow!(
            "found several `harness` sources; keep one"
        ))),
    }
}

/// The source's SEI integrations, or a usage error saying how to configure them.
pub fn integrations_of(source: &SourceConfig) -> Result<&[SeiIntegration], Failure> {
    match &source.vendor {
        VendorConfig::Harness(h) if !h.integrations.is_empty() => Ok(&h.integrations),
        _ => Err(Failure::usage(anyhow!(
            "{}: no [sources.sei_integrations]: map seatwarden source names to SEI integration ids \
             (github = 101) to say whose accounts SEI should know",
            source.name
        ))),
    }
}

fn sei_api(cfg: &Config, source: &SourceConfig) -> Result<SeiApi, Failure> {
    let ctx = SourceContext {
        secrets: Secrets::from_env(cfg.secret_vars()),
        ..SourceContext::default()
    };
    SeiApi::of(source, &ctx).map_err(Failure::usage)
}

fn sent(e: SeiError) -> Failure {
    Failure::runtime(e)
}

/// What a refused push prints, and its exit code.
fn refuse(what: &str, out: Output) -> Exit {
    if !out.quiet {
        eprintln!("{what}; nothing was sent (--force to send it anyway)");
    }
    Exit::Degraded
}

/// Prints a plan: to stdout for `--dry-run` (it is the command's output), else to stderr.
fn show(plan: &str, push: &PushArgs, out: Output) {
    if push.dry_run {
        print!("{plan}");
    } else if !out.quiet {
        eprint!("{plan}");
    }
}

/// `developers export --push`: SEI's table now, the diff, the cap, the upload.
pub async fn upload(
    cfg: &Config,
    source: &SourceConfig,
    rows: &[SeiRow],
    csv: &str,
    push: &PushArgs,
    out: Output,
) -> Result<Exit, Failure> {
    let api = sei_api(cfg, source)?;
    let current = api.read_table().await.map_err(Failure::runtime)?;
    let diff = upload_drift(&source.name, &current, rows);
    show(
        &upload_plan(&api, rows.len(), csv, current.rows.len(), &diff),
        push,
        out,
    );
    let lost = diff.only_in_sei.len();
    let cap = cfg.policy.max_apply_percent;
    if !push.force && !within_apply_cap(lost, current.rows.len(), cap) {
        return Ok(refuse(
            &format!(
                "refused: the upload would take {lost} of the {} rows SEI holds off its table \
                 ({:.1}%, more than policy.max_apply_percent = {cap}%); the upload has {} rows",
                current.rows.len(),
                percent(lost, current.rows.len()),
                rows.len()
            ),
            out,
        ));
    }
    if push.dry_run {
        println!("dry run: nothing was sent");
        return Ok(Exit::Success);
    }
    let version = upload_developers(&api, csv).await.map_err(sent)?;
    if !out.quiet {
        eprintln!(
            "{}: uploaded {} developers to SEI and activated version {version}",
            source.name,
            rows.len()
        );
    }
    Ok(Exit::Success)
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn upload_plan(api: &SeiApi, rows: usize, csv: &str, held: usize, diff: &Drift) -> String {
    const ACTIVATE: &str = r#"{"active": true}"#;
    let mut plan = String::new();
    let _ = writeln!(
        plan,
        "upload: PUT {} (multipart/form-data, part `file`: developers.csv, text/csv, {} bytes, {rows} rows), \
         then PATCH {}/VERSION_ID {ACTIVATE}",
        api.url("/v2/developers"),
        csv.len(),
        api.url("/v2/developers/versions"),
    );
    let _ = writeln!(
        plan,
        "SEI holds {held} rows: the upload adds {}, takes off {}",
        diff.only_in_table.len(),
        diff.only_in_sei.len()
    );
    list(&mut plan, "added", &diff.only_in_table);
    list(&mut plan, "taken off", &diff.only_in_sei);
    plan
}

fn list(plan: &mut String, label: &str, items: &[String]) {
    for item in items.iter().take(LISTED) {
        let _ = writeln!(plan, "  {label:<9} {item}");
    }
    if items.len() > LISTED {
        let _ = writeln!(plan, "  … and {} more {label}", items.len() - LISTED);
    }
}

/// `developers identities --push`: what SEI holds now, the diff, the cap, the PATCH.
pub async fn identities(
    cfg: &Config,
    source: &SourceConfig,
    table: &[Developer],
    integrations: &[SeiIntegration],
    push: &PushArgs,
    out: Output,
) -> Result<Exit, Failure> {
    let api = sei_api(cfg, source)?;
    let held = api
        .read_identities(integrations)
        .await
        .map_err(Failure::runtime)?;
    let drift = identity_drift(&source.name, table, &held);
    show(&identities_plan(&api, &drift), push, out);
    let moved = drift.misattributed.len();
    let cap = cfg.policy.max_apply_percent;
    if !push.force && !within_apply_cap(moved, drift.held, cap) {
        return Ok(refuse(
            &format!(
                "refused: the push would move {moved} of the {} identities SEI holds to another \
                 developer ({:.1}%, more than policy.max_apply_percent = {cap}%)",
                drift.held,
                percent(moved, drift.held)
            ),
            out,
        ));
    }
    if push.dry_run || drift.is_empty() {
        if push.dry_run {
            println!("dry run: nothing was sent");
        }
        return Ok(Exit::Success);
    }
    let to_send = drift.to_send();
    patch_identities(&api, &to_send).await.map_err(sent)?;
    if !out.quiet {
        eprintln!(
            "{}: sent {} developer identities to SEI",
            source.name,
            to_send.len()
        );
    }
    Ok(Exit::Success)
}

fn identities_plan(api: &SeiApi, drift: &IdentityDrift) -> String {
    let mut plan = String::new();
    let _ = writeln!(
        plan,
        "SEI holds {} identities: {} as the table has them, {} accounts attributed to nobody, {} to another developer",
        drift.held,
        drift.agreed,
        drift.unattributed.len(),
        drift.misattributed.len()
    );
    if drift.is_empty() {
        let _ = writeln!(plan, "nothing to send");
        return plan;
    }
    let _ = writeln!(
        plan,
        "push: PATCH {} (application/json, {} identities)",
        api.url("/v2/developers/identities"),
        drift.unattributed.len() + drift.misattributed.len()
    );
    let unattributed: Vec<String> = drift
        .unattributed
        .iter()
        .map(|i| format!("{} {} → {}", i.integration_id, i.identity, i.email))
        .collect();
    let misattributed: Vec<String> = drift
        .misattributed
        .iter()
        .map(|m| {
            let e = &m.expected;
            format!(
                "{} {} → {} (SEI: {})",
                e.integration_id, e.identity, e.email, m.sei_email
            )
        })
        .collect();
    list(&mut plan, "add", &unattributed);
    list(&mut plan, "move", &misattributed);
    plan
}
