//! The seatwarden binary: parse, run, print the error once with its chain, exit with SPEC §1's code.
//!
//! Never prints an error anywhere but here: the rooms return errors, this prints each once.

use std::process::ExitCode;

use clap::Parser;

use seatwarden::cli::{self, Cli, Exit};

/// mimalloc keeps peak memory down for a run's many small strings (glibc's per-thread arenas
/// fragment them); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the sys crate declares no constant for it; mimalloc keeps
/// option numbers stable, deprecated ones included).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 keeps freed pages resident for a second before returning them (`purge_delay`, 1000
/// ms; mimalloc 2 used 10). A reconcile frees and reallocates hundreds of MB within that second, so
/// the freed pages pile up in the peak RSS: 10 ms gives them back while the next phase runs (peak
/// 430 -> 380 MB for 100,000 people, no measurable time; BENCHMARKS.md). Transparent huge pages
/// are off through the crate's `no_thp` feature for the same reason.
/// A `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option of the allocator; 10 is a valid purge delay.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
            let _ = e.print();
            return code.into();
        }
    };
    cli::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Runtime.into();
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            // Our messages may span lines; the source data they quote is shown, never obeyed.
            // With JSON logs the run already logged it: stderr carries JSON lines only.
            if !cli::logs_are_json() {
                let message = format!("{:#}", failure.error);
                eprintln!("error: {}", seatwarden::visible::visible_lines(&message));
            }
            failure.exit.into()
        }
    }
}

#[cfg(test)]
mod tests {
    /// Option 15 is `purge_delay`: the only option whose default is 1000 (ms, mimalloc 3).
    #[test]
    fn the_purge_delay_option_number_names_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one integer option of the allocator.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
