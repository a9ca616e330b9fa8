//! The clock the pure rooms never read: a [`PhaseObserver`] that times each phase of a resolution
//! and logs how long it took (a debug event, shown with `-v`): where a slow run spends its time.
//!
//! Architecture invariant: resolve stays pure; whoever calls it and wants timings passes this
//! observer in its options, and the time is read here.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::resolve::{PhaseEvent, PhaseObserver};

/// An observer that logs each resolution phase's duration in milliseconds, as the resolver's own
/// event (target `seatwarden::resolve`, so `RUST_LOG=seatwarden::resolve=debug` selects them).
pub fn logged_resolve_phases() -> PhaseObserver {
    let started: Mutex<Option<Instant>> = Mutex::new(None);
    PhaseObserver::new(move |event| {
        let mut started = started.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            PhaseEvent::Started(_) => *started = Some(Instant::now()),
            PhaseEvent::Finished(phase) => {
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
