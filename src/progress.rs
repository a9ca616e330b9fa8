//! Progress on a terminal: an indicatif bar per source (pages and records fetched) and one per
//! phase of the resolution, on stderr.
//!
//! Never draws anything unless [`enable`] was called, which the command line does only when stderr
//! is a terminal, without `-q` and without `--log-format json`; every function here is a no-op
//! otherwise. Never changes what a run does. Log lines written while bars are drawn go through
//! [`StderrWriter`], which lifts the bars out of the way first.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

struct Bars {
    multi: MultiProgress,
    by_name: Mutex<HashMap<String, (ProgressBar, u64)>>,
}

static BARS: OnceLock<Bars> = OnceLock::new();

/// Draw progress on stderr from now on.
pub fn enable() {
    let _ = BARS.set(Bars {
        multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        by_name: Mutex::new(HashMap::new()),
    });
}

/// Whether bars are drawn.
pub fn enabled() -> bool {
    BARS.get().is_some()
}

fn spinner(multi: &MultiProgress, prefix: String) -> ProgressBar {
    let bar = multi.add(ProgressBar::new_spinner());
    let style = ProgressStyle::with_template("{spinner} {prefix:<24} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn with_bar(key: &str, f: impl FnOnce(&ProgressBar, &mut u64)) {
    if let Some(bars) = BARS.get() {
        let mut map = bars.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((bar, count)) = map.get_mut(key) {
            f(bar, count);
        }
    }
}

fn start(key: String, prefix: String, message: &str) {
    if let Some(bars) = BARS.get() {
        let bar = spinner(&bars.multi, prefix);
        bar.set_message(message.to_string());
        let mut map = bars.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((old, _)) = map.insert(key, (bar, 0)) {
            old.finish_and_clear();
        }
    }
}

fn finish(key: &str, message: String) {
    with_bar(key, |bar, _| bar.finish_with_message(message));
}

/// A source's fetch began.
pub fn source_started(source: &str) {
    start(
        format!("source:{source}"),
        format!("source {source}"),
        "fetching",
    );
}

/// A source is about to fetch another page.
pub fn page_fetched(source: &str) {
    with_bar(&format!("source:{source}"), |bar, pages| {
        *pages += 1;
        bar.set_message(format!("{pages} pages"));
    });
}

/// A source's fetch ended, with its record count (None when it failed).
pub fn source_done(source: &str, records: Option<usize>) {
    let key = format!("source:{source}");
    let mut pages = 0;
    with_bar(&key, |_, p| pages = *p);
    let pages = match pages {
        0 => String::new(),
        n => format!(" in {n} pages"),
    };
    let message = match records {
        Some(n) => format!("{n} records fetched{pages}"),
        None => format!("failed{pages}"),
    };
    finish(&key, message);
}

/// A phase of the resolution began.
pub fn phase_started(phase: &str) {
    start(
        format!("phase:{phase}"),
        format!("resolve {phase}"),
        "running",
    );
}

/// A phase of the resolution ended.
pub fn phase_done(phase: &str) {
    finish(&format!("phase:{phase}"), "done".into());
}

/// Clear every bar (the run is over).
pub fn clear() {
    if let Some(bars) = BARS.get() {
        let mut map = bars.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        map.clear();
    }
}

/// Stderr for log lines: while bars are drawn, each write lifts them out of the way.
pub struct StderrWriter;

impl Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.get() {
            Some(bars) => bars.multi.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrWriter {
    type Writer = StderrWriter;
    fn make_writer(&'a self) -> StderrWriter {
        StderrWriter
    }
}
