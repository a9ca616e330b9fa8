//! What a run says about itself while it runs: each phase's wall time and the process's peak memory,
//! as debug log lines (`seatwarden -v`).
//!
//! Never changes what a run does; reads only the process's own status (`/proc/self/status`).

/// A phase's wall time, logged with the peak memory so far when the phase is done.
pub struct Phase(std::time::Instant);

impl Phase {
    pub fn start() -> Phase {
        Phase(std::time::Instant::now())
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
