//! `seatwarden schedule`: stays up and runs `reconcile` and `report --send` on the cron expressions
//! of `[schedule]`, read in `report.timezone`, until SIGTERM or SIGINT; with `[schedule] listen`
//! it serves `/metrics` and `/healthz`.
//!
//! The jobs live in tokio-cron-scheduler as one-shot jobs at UTC instants: the next local fire time
//! is computed by [`Cron::next_after`] (pure, tested across DST changes) each time a job fires,
//! because the scheduler's own zone support freezes the offset of the day a job was made.
//! Never runs two runs at once: a fire time that comes while a run is going is skipped, and a run
//! takes the store lock without waiting (another process holding it skips the run); both are
//! logged. A failed run is logged and the daemon goes on.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::cli::{Exit, Failure, Output};
use crate::config::{Config, Cron, MetricsConfig, ScheduleConfig};
use crate::store::StoreError;

/// What a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reconcile,
    Report,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Reconcile => "reconcile",
            Kind::Report => "report --send",
        }
    }
}

/// A fire: which job, at which scheduled instant.
type Fire = (Kind, DateTime<Utc>);

pub async fn run(cfg: &Config, out: Output, actor: &str) -> Result<Exit, Failure> {
    let sched = checked(cfg)?;
    let jobs: Vec<(Kind, Cron)> = [
        (Kind::Reconcile, sched.reconcile.clone()),
        (Kind::Report, sched.report.clone()),
    ]
    .into_iter()
    .filter_map(|(k, c)| c.map(|c| (k, c)))
    .collect();
    let server = match sched.listen {
        Some(addr) => Some(serve(addr, cfg.metrics.clone()).await?),
        None => None,
    };
    let scheduler = JobScheduler::new().await.map_err(scheduler_error)?;
    scheduler.start().await.map_err(scheduler_error)?;
    let (tx, rx) = mpsc::unbounded_channel::<Fire>();
    for (kind, cron) in &jobs {
        arm(&scheduler, *kind, cron, Utc::now(), &tx).await?;
    }
    // A run takes the store lock without waiting: one that finds it held is skipped.
    let mut run_cfg = cfg.clone();
    run_cfg.store.lock_timeout = Duration::ZERO;
    let runner = Runner {
        cfg: Arc::new(run_cfg),
        out,
        actor: actor.to_string(),
    };
    let running = dispatch(&scheduler, &jobs, &tx, rx, &runner).await?;
    let mut scheduler = scheduler;
    let _ = scheduler.shutdown().await;
    finish_or_abandon(running, sched.stop_grace).await;
    if let Some(server) = server {
        server.abort();
    }
    tracing::info!("schedule stopped");
    Ok(Exit::Success)
}

/// The `[schedule]` section, with at least one job and what `report` needs.
fn checked(cfg: &Config) -> Result<&ScheduleConfig, Failure> {
    let file = cfg.file.display();
    let sched = cfg.schedule.as_ref().ok_or_else(|| {
        Failure::usage(anyhow!(
            "{file}: schedule: no [schedule] section (reconcile = \"0 0 5 * * *\", report = \"0 0 8 * * Mon\")"
        ))
    })?;
    if sched.reconcile.is_none() && sched.report.is_none() {
        return Err(Failure::usage(anyhow!(
            "{file}: schedule: neither schedule.reconcile nor schedule.report is set"
        )));
    }
    if sched.report.is_some() && cfg.report.email.is_none() && cfg.report.webhook.is_none() {
        return Err(Failure::usage(anyhow!(
            "{file}: schedule.report: sending the report needs [report.email] or [report.webhook]"
        )));
    }
    Ok(sched)
}

fn scheduler_error(e: tokio_cron_scheduler::JobSchedulerError) -> Failure {
    Failure::runtime(anyhow!("the scheduler failed: {e}"))
}

/// Add a one-shot job at `cron`'s next fire time after `after`, and log it.
async fn arm(
    scheduler: &JobScheduler,
    kind: Kind,
    cron: &Cron,
    after: DateTime<Utc>,
    tx: &mpsc::UnboundedSender<Fire>,
) -> Result<(), Failure> {
    let Some(at) = cron.next_after(after.max(Utc::now())) else {
        tracing::warn!(job = kind.as_str(), cron = %cron.expr, "no fire time left: not scheduled again");
        return Ok(());
    };
    tracing::info!(
        job = kind.as_str(),
        cron = %cron.expr,
        next_local = %at.with_timezone(&cron.timezone()).to_rfc3339(),
        next_utc = %at.to_rfc3339(),
        "next run"
    );
    let tx = tx.clone();
    let job = Job::new_one_shot_at_instant_async(instant_for(at), move |_, _| {
        let tx = tx.clone();
        Box::pin(async move {
            let _ = tx.send((kind, at));
        })
    })
    .map_err(scheduler_error)?;
    scheduler.add(job).await.map_err(scheduler_error)?;
    Ok(())
}

/// A run in progress (not `Send`: the store's connections are not, so it runs on this task).
type Running<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

/// The `Instant` that makes tokio-cron-scheduler 0.15 fire at `at`: it sets a one-shot's tick to
/// `Utc::now()` plus the *whole* seconds until the instant and fires once that second has begun, so
/// the whole seconds between now's second and `at` are what must reach it (a fractional wait would
/// fire up to a second early). 50 ms keeps the truncation on the right side.
fn instant_for(at: DateTime<Utc>) -> std::time::Instant {
    let secs = (at.timestamp() - Utc::now().timestamp()).max(0) as u64;
    std::time::Instant::now() + Duration::from_secs(secs) + Duration::from_millis(50)
}

/// Wait for fires and signals: re-arm each job as it fires and start its run unless one is going.
/// Returns the run in progress when a signal came.
async fn dispatch<'a>(
    scheduler: &JobScheduler,
    jobs: &[(Kind, Cron)],
    tx: &mpsc::UnboundedSender<Fire>,
    mut rx: mpsc::UnboundedReceiver<Fire>,
    runner: &'a Runner,
) -> Result<Option<Running<'a>>, Failure> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::runtime(anyhow!("cannot listen for SIGTERM: {e}")))?;
    let mut running: Option<Running<'a>> = None;
    loop {
        tokio::select! {
            _ = terminate.recv() => { tracing::info!(signal = "SIGTERM", "stopping"); break; }
            _ = tokio::signal::ctrl_c() => { tracing::info!(signal = "SIGINT", "stopping"); break; }
            _ = async { if let Some(r) = running.as_mut() { r.await } }, if running.is_some() => {
                running = None;
            }
            Some((kind, at)) = rx.recv() => {
                if let Some((_, cron)) = jobs.iter().find(|(k, _)| *k == kind) {
                    arm(scheduler, kind, cron, at, tx).await?;
                }
                if running.is_some() {
                    tracing::warn!(job = kind.as_str(), "skipped: the previous run is still going");
                    continue;
                }
                running = Some(Box::pin(runner.run(kind)));
            }
        }
    }
    Ok(running)
}

/// Give a run in progress `grace` to finish; past that it is abandoned (dropped: its store
/// transaction rolls back and its lock is released).
async fn finish_or_abandon(running: Option<Running<'_>>, grace: Duration) {
    let Some(run) = running else { return };
    tracing::info!(
        grace_secs = grace.as_secs(),
        "waiting for the run in progress"
    );
    if tokio::time::timeout(grace, run).await.is_err() {
        tracing::warn!("the run in progress was abandoned: nothing of it was stored");
    }
}

/// Runs one job as its own run (a `run_id` span).
struct Runner {
    cfg: Arc<Config>,
    out: Output,
    actor: String,
}

impl Runner {
    async fn run(&self, kind: Kind) {
        let id = crate::telemetry::new_run_id(Utc::now());
        crate::telemetry::in_run(id, async move {
            tracing::info!(job = kind.as_str(), "run started");
            let result = self.execute(kind).await;
            log_outcome(kind, result);
        })
        .await;
    }

    async fn execute(&self, kind: Kind) -> Result<Exit, Failure> {
        // The daemon prints no summaries: its logs and metrics say how each run went.
        let out = Output {
            quiet: true,
            ..self.out
        };
        match kind {
            Kind::Reconcile => {
                let args = crate::cli::reconcile::Args {
                    dry_run: false,
                    json: None,
                    csv: None,
                    send: false,
                };
                crate::cli::reconcile::run(&self.cfg, &args, out, &self.actor).await
            }
            Kind::Report => {
                let args = crate::cli::report::Args {
                    json: None,
                    html: None,
                    text: false,
                    send: true,
                    to: Vec::new(),
                    weeks: None,
                    force: false,
                };
                crate::cli::report::run(&self.cfg, &args, out).await
            }
        }
    }
}

/// Whether a failure is the store lock held by another command.
fn lock_held(f: &Failure) -> bool {
    let busy = |e: &StoreError| matches!(e, StoreError::Busy { .. });
    f.error.downcast_ref::<StoreError>().is_some_and(busy)
        || f.error
            .downcast_ref::<crate::job::JobError>()
            .is_some_and(|e| matches!(e, crate::job::JobError::Store(s) if busy(s)))
}

fn log_outcome(kind: Kind, result: Result<Exit, Failure>) {
    let job = kind.as_str();
    match result {
        Ok(exit) => tracing::info!(job, exit = exit as u8, "run finished"),
        Err(f) if lock_held(&f) => {
            tracing::warn!(job, reason = %format!("{:#}", f.error), "skipped: the store lock is held")
        }
        Err(f) => {
            let message = crate::visible::visible_lines(&format!("{:#}", f.error));
            tracing::error!(job, exit = f.exit as u8, error = %message, "run failed; the schedule goes on");
        }
    }
}

/// Serve `/metrics` and `/healthz` on `addr` (a plain HTTP/1.1 responder: one request per
/// connection, nothing else).
async fn serve(
    addr: std::net::SocketAddr,
    metrics: MetricsConfig,
) -> Result<JoinHandle<()>, Failure> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::runtime(anyhow!("schedule.listen: cannot listen on {addr}: {e}")))?;
    tracing::info!(address = %addr, "serving /metrics and /healthz");
    let metrics = Arc::new(metrics);
    Ok(tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let metrics = Arc::clone(&metrics);
            tokio::spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), answer(socket, &metrics)).await;
            });
        }
    }))
}

/// The path of an HTTP request's first line (`GET /metrics HTTP/1.1`), without its query.
fn request_path(head: &str) -> Option<(&str, &str)> {
    let mut parts = head.lines().next()?.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    Some((method, target.split('?').next().unwrap_or(target)))
}

async fn answer(mut socket: TcpStream, metrics: &MetricsConfig) -> std::io::Result<()> {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    while len < buf.len() {
        let n = socket.read(&mut buf[len..]).await?;
        len += n;
        if n == 0 || buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let (status, ctype, body) = match request_path(&head) {
        Some(("GET" | "HEAD", "/metrics")) => (
            "200 OK",
            crate::metrics::CONTENT_TYPE,
            crate::metrics::latest(metrics),
        ),
        Some(("GET" | "HEAD", "/healthz")) => ("200 OK", "text/plain", "ok\n".to_string()),
        Some(_) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        None => ("400 Bad Request", "text/plain", "bad request\n".to_string()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(reply.as_bytes()).await?;
    socket.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_path_drops_the_query() {
        assert_eq!(
            request_path("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(request_path(""), None);
    }
}
