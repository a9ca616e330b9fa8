//! What a run says about itself while it runs: each phase's wall time and the process's peak memory,
//! as debug log lines (`seatwarden -v`). The clock the pure rooms never read: the resolver is told
//! about its phases through a [`PhaseObserver`] and the time is read here.
//!
//! Never changes what a run does; reads only the clock and the process's own status
//! (`/proc/self/status`).

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::Instrument;

use crate::resolve::{PhaseEvent, PhaseObserver};

tokio::task_local! {
    static RUN_ID: String;
}

/// A new run id: the start time to the second and six random hex digits.
pub fn new_run_id(t: DateTime<Utc>) -> String {
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", t.format("%Y%m%dT%H%M%SZ"), &rand[..6])
}

/// Run `f` as run `id`: every log line inside carries `run_id` (a `run` span), and a stored run
/// takes this id ([`current_run_id`]).
pub async fn in_run<F: std::future::Future>(id: String, f: F) -> F::Output {
    let span = tracing::info_span!("run", run_id = %id);
    RUN_ID.scope(id, f.instrument(span)).await
}

/// The id of the run this task is in, if any.
pub fn current_run_id() -> Option<String> {
    RUN_ID.try_with(Clone::clone).ok()
}

/// A phase's wall time, logged with the peak memory so far when the phase is done.
pub struct Phase(Instant);

impl Phase {
    pub fn start() -> Phase {
        Phase(Instant::now())
    }

    pub fn done(self, what: &str) {
        let ms = self.0.elapsed().as_millis() as u64;
        tracing::debug!(ms, peak_rss_mb = peak_rss_mb(), "{what}");
    }
}

/// The process's peak resident memory in MB (Linux `VmHWM`); None elsewhere.
pub fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// An observer that logs each resolution phase's duration in milliseconds, as the resolver's own
/// event (target `seatwarden::resolve`, so `RUST_LOG=seatwarden::resolve=debug` selects them).
pub fn logged_resolve_phases() -> PhaseObserver {
    let started: Mutex<Option<Instant>> = Mutex::new(None);
    PhaseObserver::new(move |event| {
        let mut started = started.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            PhaseEvent::Started(phase) => {
                crate::progress::phase_started(phase.name());
                *started = Some(Instant::now());
            }
            PhaseEvent::Finished(phase) => {
                crate::progress::phase_done(phase.name());
                let ms = started.map_or(0.0, |s| s.elapsed().as_secs_f64() * 1000.0);
                tracing::debug!(
                    target: "seatwarden::resolve",
                    phase = phase.name(),
                    ms = format!("{ms:.0}"),
                    "resolution phase done"
                );
            }
        }
    })
}
