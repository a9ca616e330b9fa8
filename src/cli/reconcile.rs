//! `seatwarden reconcile`: the whole job, then the report to a file, stdout or the terminal.
//!
//! Never writes the summary to stdout when the JSON report goes there (`--json -`).

use std::path::PathBuf;

use crate::cli::{Exit, Failure, Output, write_output};
use crate::model::Developer;
use crate::report::json::Report;

/// Write the JSON report (with the table as `developers`) to FILE or stdout, streaming.
fn write_json(path: &std::path::Path, report: &Report, table: &[Developer]) -> Result<(), Failure> {
    use std::io::Write;
    let result = if path.as_os_str() == "-" {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        report
            .write_with_developers(table, &mut w)
            .map_err(std::io::Error::from)
            .and_then(|_| {
                w.write_all(b"\n")?;
                w.flush()
            })
    } else {
        std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            report
                .write_with_developers(table, &mut w)
                .map_err(std::io::Error::from)?;
            w.write_all(b"\n")?;
            w.flush()
        })
    };
    result.map_err(|e| {
        Failure::runtime(anyhow::anyhow!(
            "{}: cannot write the report: {e}",
            path.display()
        ))
    })
}
use crate::config::Config;
use crate::model::RunStatus;
use crate::report;
use crate::sources::Secrets;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fetch and decide, but store nothing (the database file is left byte-for-byte unchanged)
    #[arg(long)]
    pub dry_run: bool,
    /// Write the JSON report (SPEC §4) to FILE, or to stdout with `-`
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<PathBuf>,
    /// Write the recommendations as CSV, ready to review and hand to `apply`
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Deliver the fresh run's weekly report (email, webhook), as `report --send` does
    #[arg(long, conflicts_with = "dry_run")]
    pub send: bool,
}

/// Run the job, then (not for a dry run) record its metrics, a failed run's included.
pub async fn run(cfg: &Config, args: &Args, out: Output, actor: &str) -> Result<Exit, Failure> {
    let started = std::time::Instant::now();
    let mut figures = None;
    let result = reconcile_and_report(cfg, args, out, actor, &mut figures).await;
    if !args.dry_run {
        let run = crate::metrics::Run {
            command: crate::metrics::Command::Reconcile,
            finished_at: chrono::Utc::now(),
            duration: started.elapsed(),
            exit_code: result.as_ref().map_or_else(|f| f.exit, |e| *e) as u8,
            figures,
        };
        crate::metrics::record(&cfg.metrics, &run).await;
    }
    result
}

async fn reconcile_and_report(
    cfg: &Config,
    args: &Args,
    out: Output,
    actor: &str,
    figures: &mut Option<crate::metrics::Figures>,
) -> Result<Exit, Failure> {
    if args.send && cfg.report.email.is_none() && cfg.report.webhook.is_none() {
        return Err(Failure::usage(anyhow::anyhow!(
            "{}: --send needs [report.email] or [report.webhook]",
            cfg.file.display()
        )));
    }
    let secrets = Secrets::from_env(cfg.secret_vars());
    let now = chrono::Utc::now();
    let result = crate::job::reconcile(cfg, &secrets, args.dry_run, now, actor).await?;
    let report = &result.report;
    *figures = Some(crate::metrics::Figures::of(report));

    if let Some(path) = &args.json {
        write_json(path, report, &result.outcome.table)?;
    }
    if let Some(path) = &args.csv {
        write_output(
            path,
            &report::csv::render(&report.recommendations, &result.outcome.table),
        )?;
    }
    let json_on_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if !out.quiet && !json_on_stdout {
        print!(
            "{}",
            report::text::render(report, &result.outcome.table, out.verbose > 0)
        );
    }
    tracing::info!(
        run = %report.run.id,
        status = ?report.run.status,
        consumed = report.usage.consumed_after,
        overage = report.usage.overage,
        recommendations = report.recommendations.len(),
        dry_run = args.dry_run,
        "reconcile finished"
    );
    let delivered = if args.send {
        let opts = crate::cli::report::SendOptions {
            force: false,
            to: &[],
            say: !out.quiet && !json_on_stdout,
        };
        crate::cli::report::send_run(cfg, &report.run.id, &opts).await?
    } else {
        Exit::Success
    };
    // A report that did not reach its readers is a runtime failure, whatever the run's status.
    Ok(match (delivered, report.run.status) {
        (Exit::Success, RunStatus::Ok) => Exit::Success,
        (Exit::Success, RunStatus::Degraded) => Exit::Degraded,
        (failed, _) => failed,
    })
}
