//! `seatwarden report`: the weekly usage report from the stored runs (no source is fetched) — to
//! the terminal, `--json`, `--html`, `--text` — and, with `--send`, to the configured email and
//! webhook once per run and channel (`--force` resends; `--to` is a test send to other addresses).
//! `reconcile --send` delivers its fresh run through [`send_run`].
//!
//! Never prints a secret, and never writes to the store without `--send` (it is opened read-only).

use std::path::PathBuf;

use anyhow::anyhow;
use chrono::Utc;

use crate::cli::{Exit, Failure, Output, write_output};
use crate::config::{Config, WebhookFormat};
use crate::deliver::receipts::{self, Channel, Delivery};
use crate::deliver::smtp::{self, CHART_CID, Email};
use crate::deliver::{DeliverError, webhook};
use crate::model::Developer;
use crate::report::json::Report;
use crate::report::weekly::{self, HistoryEntry, Inputs, Weekly, WeeklyJson};
use crate::report::weekly_text::{self, Medium};
use crate::report::{chart, chat, email};
use crate::sources::Secrets;
use crate::store::{LockGuard, RunFigures, Store};
use crate::telemetry::Phase;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write SPEC §4's report of the latest stored run plus `history` to FILE, or stdout with `-`
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<PathBuf>,
    /// Write the email's HTML to FILE (the chart inlined as a data: URL, so it opens in a browser)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print the email's plain-text part
    #[arg(long)]
    pub text: bool,
    /// Deliver the report (email, webhook), once per run and channel
    #[arg(long)]
    pub send: bool,
    /// Send the email to these addresses instead of `report.email.to` (a test send: no webhook, no receipt)
    #[arg(long, value_name = "ADDR", requires = "send")]
    pub to: Vec<String>,
    /// Weeks of history for the chart and the forecast [default: report.weeks, 12]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=520))]
    pub weeks: Option<u32>,
    /// Send even when a receipt says this run was already sent
    #[arg(long, requires = "send")]
    pub force: bool,
}

/// What the report is rendered from, read from the store.
pub struct Stored {
    pub latest: Report,
    pub previous: Option<Report>,
    pub history: Vec<HistoryEntry>,
    pub table: Vec<Developer>,
}

fn history_entry(f: &RunFigures) -> HistoryEntry {
    HistoryEntry {
        run_id: f.id.clone(),
        finished_at: crate::report::json::timestamp(f.finished_at),
        consumed: f.consumed,
        licenses_purchased: f.licenses_purchased,
        overage: f.overage,
        duplicates: f.duplicates,
        recommendations: f.recommendations,
    }
}

async fn summary(store: &Store, id: &str) -> Result<Report, Failure> {
    let text = store.run_summary(id).await?.ok_or_else(|| {
        Failure::runtime(anyhow!(
            "store {}: run {id} has no summary",
            store.display_url()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::runtime(anyhow!(
            "store {}: run {id}: the stored summary is not a report: {e}",
            store.display_url()
        ))
    })
}

/// The rows a report names besides the recommended rows themselves (whose names the summaries
/// carry): the rows merges fold into, the rows added, and last run's recommended rows (has each
/// stopped consuming a license?).
fn named_rows<'a>(latest: &'a Report, previous: Option<&'a Report>) -> Vec<&'a str> {
    let mut ids: Vec<&str> = latest
        .recommendations
        .iter()
        .filter_map(|r| r.into.as_deref())
        .chain(latest.changes.added.iter().map(String::as_str))
        .chain(
            previous
                .into_iter()
                .flat_map(|p| p.recommendations.iter().map(|r| r.developer.as_str())),
        )
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The stored runs up to `run_id` (default: the latest), the summaries of it and the one before,
/// and the table's names.
pub async fn load(store: &Store, run_id: Option<&str>) -> Result<Stored, Failure> {
    let timer = Phase::start();
    let mut figures = store.run_figures().await?;
    timer.done("run figures read");
    if let Some(id) = run_id
        && let Some(i) = figures.iter().position(|f| f.id == id)
    {
        figures.truncate(i + 1);
    }
    let Some(last) = figures.last() else {
        return Err(Failure::runtime(anyhow!(
            "store {}: no stored run yet; `seatwarden reconcile` stores one",
            store.display_url()
        )));
    };
    let timer = Phase::start();
    let latest = summary(store, &last.id).await?;
    let previous = match figures.len().checked_sub(2).map(|i| &figures[i]) {
        Some(p) => Some(summary(store, &p.id).await?),
        None => None,
    };
    timer.done("two summaries read");
    let timer = Phase::start();
    let ids = named_rows(&latest, previous.as_ref());
    let table = store.names_of(&ids).await?;
    timer.done("row names read");
    Ok(Stored {
        latest,
        previous,
        history: figures.iter().map(history_entry).collect(),
        table,
    })
}

/// The weekly report of what was loaded, as of today.
pub fn weekly_of(cfg: &Config, stored: &Stored, weeks: Option<u32>) -> Weekly {
    weekly::build(&Inputs {
        latest: &stored.latest,
        previous: stored.previous.as_ref(),
        history: &stored.history,
        table: &stored.table,
        today: Utc::now().date_naive(),
        weeks: weeks.unwrap_or(cfg.report.weeks),
        pricing: cfg.pricing.as_ref(),
    })
}

fn chart_png(w: &Weekly) -> Result<Vec<u8>, Failure> {
    chart::png(&w.chart).map_err(Failure::runtime)
}

/// Every part of the email, rendered.
pub fn email_of(w: &Weekly, stored: &Stored) -> Result<Email, Failure> {
    let timer = Phase::start();
    let email = Email {
        subject: w.subject(),
        text: weekly_text::render(w, Medium::Email),
        html: email::render(w, &format!("cid:{CHART_CID}")),
        chart_png: chart_png(w)?,
        csv: crate::report::csv::render(&stored.latest.recommendations, &stored.table),
    };
    timer.done("email rendered");
    Ok(email)
}

fn json_text(stored: &Stored) -> Result<String, Failure> {
    let out = WeeklyJson {
        report: &stored.latest,
        history: &stored.history,
    };
    serde_json::to_string_pretty(&out)
        .map_err(|e| Failure::runtime(anyhow!("cannot write the report: {e}")))
}

/// The webhook's messages in its format.
fn webhook_messages(
    format: WebhookFormat,
    w: &Weekly,
    stored: &Stored,
) -> Result<Vec<serde_json::Value>, Failure> {
    Ok(match format {
        WebhookFormat::Slack => chat::slack(w),
        WebhookFormat::Teams => chat::teams(w),
        WebhookFormat::Json => {
            let value = serde_json::from_str(&json_text(stored)?)
                .map_err(|e| Failure::runtime(anyhow!("cannot write the report: {e}")))?;
            vec![value]
        }
    })
}

/// Render (and with `--send` deliver, then record the send's metrics) the weekly report.
pub async fn run(cfg: &Config, args: &Args, out: Output) -> Result<Exit, Failure> {
    let started = std::time::Instant::now();
    let result = render_and_send(cfg, args, out).await;
    if args.send && args.to.is_empty() {
        let run = crate::metrics::Run {
            command: crate::metrics::Command::Report,
            finished_at: Utc::now(),
            duration: started.elapsed(),
            exit_code: result.as_ref().map_or_else(|f| f.exit, |e| *e) as u8,
            figures: None,
        };
        crate::metrics::record(&cfg.metrics, &run).await;
    }
    result
}

async fn render_and_send(cfg: &Config, args: &Args, out: Output) -> Result<Exit, Failure> {
    if !args.to.is_empty() && cfg.report.email.is_none() {
        return Err(Failure::usage(anyhow!(
            "{}: --to needs a [report.email] section (the SMTP server to send through)",
            cfg.file.display()
        )));
    }
    let (store, _lock) = open(cfg, args.send).await?;
    let stored = load(&store, None).await?;
    let w = weekly_of(cfg, &stored, args.weeks);
    if let Some(path) = &args.json {
        write_output(path, &json_text(&stored)?)?;
    }
    if let Some(path) = &args.html {
        write_output(path, &email::render(&w, &email::data_url(&chart_png(&w)?)))?;
    }
    if args.text {
        print!("{}", weekly_text::render(&w, Medium::Email));
    }
    let wrote = args.json.is_some() || args.html.is_some() || args.text;
    if !wrote && !args.send && !out.quiet {
        print!("{}", weekly_text::render(&w, Medium::Terminal));
    }
    let exit = if args.send {
        let opts = SendOptions {
            force: args.force,
            to: &args.to,
            say: !out.quiet && args.json.as_deref().is_none_or(|p| p.as_os_str() != "-"),
        };
        send_loaded(cfg, &store, &stored, &w, &opts).await?
    } else {
        Exit::Success
    };
    store.close().await;
    Ok(exit)
}

/// The store to render from; a send records receipts, so it writes: under the store lock, held
/// until the guard drops.
async fn open(cfg: &Config, send: bool) -> Result<(Store, Option<LockGuard>), Failure> {
    if send {
        let lock = crate::cli::lock_store(cfg, "report --send").await?;
        let store = Store::open(&cfg.store.url, &lock).await?;
        return Ok((store, Some(lock)));
    }
    let store = Store::open_read_only(&cfg.store.url)
        .await?
        .ok_or_else(|| {
            Failure::runtime(anyhow!(
                "store {}: no stored run yet; `seatwarden reconcile` stores one",
                crate::store::redact_url(&cfg.store.url)
            ))
        })?;
    Ok((store, None))
}

/// How a send goes.
pub struct SendOptions<'a> {
    pub force: bool,
    /// Test recipients: only the email goes, to them, with no receipt.
    pub to: &'a [String],
    /// Print a line per channel on stdout.
    pub say: bool,
}

/// Deliver run `run_id`'s report (reconcile --send): exit 0 when every channel was sent or had
/// been, 1 when one failed.
pub async fn send_run(cfg: &Config, run_id: &str, opts: &SendOptions<'_>) -> Result<Exit, Failure> {
    let (store, _lock) = open(cfg, true).await?;
    let stored = load(&store, Some(run_id)).await?;
    let w = weekly_of(cfg, &stored, None);
    let exit = send_loaded(cfg, &store, &stored, &w, opts).await?;
    store.close().await;
    Ok(exit)
}

async fn send_loaded(
    cfg: &Config,
    store: &Store,
    stored: &Stored,
    w: &Weekly,
    opts: &SendOptions<'_>,
) -> Result<Exit, Failure> {
    let secrets = Secrets::from_env(cfg.secret_vars());
    if cfg.report.email.is_none() && cfg.report.webhook.is_none() {
        return Err(Failure::usage(anyhow!(
            "{}: --send needs [report.email] or [report.webhook]",
            cfg.file.display()
        )));
    }
    if let (Some(email_cfg), false) = (&cfg.report.email, opts.to.is_empty()) {
        let result = smtp::send(email_cfg, opts.to, &secrets, &email_of(w, stored)?).await;
        return Ok(report_test_send(result, opts.say));
    }
    let run_id = stored.latest.run.id.as_str();
    let mut failed = 0;
    if let Some(email_cfg) = &cfg.report.email {
        let email = email_of(w, stored)?;
        let send = smtp::send(email_cfg, &email_cfg.to, &secrets, &email);
        let d = receipts::once(store, run_id, Channel::Email, opts.force, send).await?;
        failed += usize::from(say(Channel::Email, run_id, &d, opts.say));
    }
    if let Some(hook) = &cfg.report.webhook {
        let messages = webhook_messages(hook.format, w, stored)?;
        let send = webhook::send(hook, &secrets, &messages);
        let d = receipts::once(store, run_id, Channel::Webhook, opts.force, send).await?;
        failed += usize::from(say(Channel::Webhook, run_id, &d, opts.say));
    }
    Ok(if failed == 0 {
        Exit::Success
    } else {
        Exit::Runtime
    })
}

fn report_test_send(result: Result<String, DeliverError>, print: bool) -> Exit {
    match result {
        Ok(detail) => {
            tracing::info!(channel = "email", %detail, "test send");
            if print {
                println!("email    test send {detail} (no receipt recorded, no webhook)");
            }
            Exit::Success
        }
        Err(e) => {
            tracing::error!(channel = "email", error = %e, "test send failed");
            if !crate::cli::logs_are_json() {
                eprintln!("error: {e}");
            }
            Exit::Runtime
        }
    }
}

/// Say how a channel went (a line on stdout and a log event); true when it failed.
fn say(channel: Channel, run_id: &str, d: &Delivery, print: bool) -> bool {
    let name = channel.as_str();
    let line = match d {
        Delivery::Sent { detail } => {
            tracing::info!(channel = name, run = run_id, %detail, "report sent");
            format!("{name:<8} sent {detail}")
        }
        Delivery::AlreadySent { receipt } => {
            tracing::info!(channel = name, run = run_id, sent_at = %receipt.at, "already sent: nothing sent");
            format!(
                "{name:<8} already sent for run {run_id} at {} ({}); nothing sent (--force resends)",
                crate::report::json::timestamp(receipt.at),
                receipt.detail
            )
        }
        Delivery::Failed { error } => {
            tracing::error!(channel = name, run = run_id, error = %error, "report not sent");
            if !crate::cli::logs_are_json() {
                eprintln!("error: {error}");
            }
            format!("{name:<8} FAILED: {error}")
        }
    };
    if print {
        println!("{line}");
    }
    d.failed()
}
