//! The command line: parse, wire the rooms together, map errors to exit codes (SPEC §1). Each command
//! lives in its own file.
//!
//! Never decides anything the rooms decide, and never prints a secret: errors are printed once, at the
//! top, with their chain.

pub mod apply;
pub mod check;
pub mod demo;
pub mod developers;
pub mod reconcile;
pub mod report;
pub mod resolve;
pub mod schedule;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};

/// Exit codes of SPEC §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    Runtime = 1,
    Usage = 2,
    Degraded = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error with the exit code it maps to. Printed once, at the top, with its chain.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(e: impl Into<anyhow::Error>) -> Failure {
        Failure {
            exit: Exit::Usage,
            error: e.into(),
        }
    }
    pub fn runtime(e: impl Into<anyhow::Error>) -> Failure {
        Failure {
            exit: Exit::Runtime,
            error: e.into(),
        }
    }
    /// `apply` over `policy.max_apply_percent` without `--force`: exit 3, as the issue that added
    /// the cap asks (the code SPEC §1 gives a degraded run: "done, but not all of it").
    pub fn over_cap(e: crate::apply::OverCap) -> Failure {
        Failure {
            exit: Exit::Degraded,
            error: e.into(),
        }
    }
}

impl From<crate::job::JobError> for Failure {
    fn from(e: crate::job::JobError) -> Failure {
        use crate::job::JobError;
        match e {
            // Bad input the user must fix; nothing was changed.
            JobError::Overrides(_) | JobError::Seed(_) => Failure::usage(e),
            JobError::Store(_) | JobError::Summary(_) => Failure::runtime(e),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        Failure::runtime(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// seatwarden keeps a Harness SEI developer table honest: it reconciles the directory, the code hosts
/// and the SEI subscription into one developer table and recommends removals with their evidence.
#[derive(Debug, Parser)]
#[command(name = "seatwarden", version, about, max_term_width = 100)]
pub struct Cli {
    /// Config file [default: $SEATWARDEN_CONFIG, then ./seatwarden.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format [default: json when stdout is not a terminal]
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Less output: warnings and errors only, no summary
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More output (-v: debug logs and every recommendation in the summary, -vv: trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Who signs the audit entries of this command [default: $SEATWARDEN_ACTOR, then the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// Accept plain http:// source URLs to hosts that are not loopback (a lab only: tokens and
    /// people's data then cross the network unencrypted)
    #[arg(long, global = true)]
    pub allow_http: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every source, reconcile into the table, recommend, store the run, write the report
    Reconcile(reconcile::Args),
    /// Carry out a reviewed recommendations CSV (`reconcile --csv`): removals and merges, audited
    Apply(apply::Args),
    /// The weekly usage report from the stored runs (no source is fetched); --send delivers it
    Report(report::Args),
    /// Import, export, list and correct the developer table; a row's history; undo a removal
    #[command(subcommand)]
    Developers(developers::Command),
    /// Validate the config and reach every source and the store, changing nothing
    Check,
    /// Reconcile the bundled demo organisation (dates moved to today) in a scratch folder; no network
    Demo(demo::DemoArgs),
    /// Resolve a flat CSV of identities (id,name,email[,login,source]) into people; needs no config
    Resolve(resolve::Args),
    /// Stay up and run `reconcile` and `report --send` on the cron expressions of [schedule]
    Schedule,
}

/// Output switches every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub quiet: bool,
    pub verbose: u8,
}

impl Cli {
    fn output(&self) -> Output {
        Output {
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }

    /// The config file to use.
    pub fn config_path(&self) -> PathBuf {
        let env = std::env::var("SEATWARDEN_CONFIG").ok();
        config::config_path(self.config.as_deref(), env.as_deref())
    }

    /// The config file, loaded and validated; plain http off loopback is refused unless
    /// `--allow-http` (exit 2).
    pub fn load_config(&self) -> Result<Config, Failure> {
        let cfg = config::load(&self.config_path()).map_err(Failure::usage)?;
        if !self.allow_http {
            config::refuse_plain_http(&cfg).map_err(Failure::usage)?;
        }
        Ok(cfg)
    }
}

/// Who signs a command's audit entries: `--actor`, else `$SEATWARDEN_ACTOR`, else the OS user.
pub fn actor_name(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> String {
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    given(flag.map(str::to_string))
        .or_else(|| given(env("SEATWARDEN_ACTOR")))
        .or_else(|| given(env("USER")))
        .or_else(|| given(env("LOGNAME")))
        .or_else(|| given(env("USERNAME")))
        .unwrap_or_else(|| "an unknown user".into())
}

/// The store lock for a writing command, waiting up to `store.lock_timeout_secs`.
pub async fn lock_store(cfg: &Config, command: &str) -> Result<crate::store::LockGuard, Failure> {
    crate::store::Store::lock(&cfg.store.url, command, cfg.store.lock_timeout)
        .await
        .map_err(Failure::from)
}

/// Load the config or fail with exit 2; plain http off loopback is refused (see
/// [`Cli::load_config`], which honours `--allow-http`).
pub fn load_config(path: &Path) -> Result<Config, Failure> {
    let cfg = config::load(path).map_err(Failure::usage)?;
    config::refuse_plain_http(&cfg).map_err(Failure::usage)?;
    Ok(cfg)
}

static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether stderr carries JSON log lines only (`--log-format json`, or stdout not a terminal):
/// then nothing else may be written there.
pub fn logs_are_json() -> bool {
    JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed)
}

/// The log format: `--log-format`, else json when stdout is not a terminal (SPEC §1).
pub fn log_format(cli: &Cli) -> LogFormat {
    cli.log_format
        .unwrap_or(if std::io::stdout().is_terminal() {
            LogFormat::Text
        } else {
            LogFormat::Json
        })
}

/// Set up logging on stderr (stdout carries reports), and progress bars when stderr is a terminal,
/// without `-q` and with text logs.
pub fn init_logging(cli: &Cli) {
    let format = log_format(cli);
    JSON_LOGS.store(
        format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    if format == LogFormat::Text && !cli.quiet && std::io::stderr().is_terminal() {
        crate::progress::enable();
    }
    let default_level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    // A non-empty RUST_LOG wins (for debugging dependencies); otherwise -q / -v decide.
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => tracing_subscriber::EnvFilter::new(v),
        _ => tracing_subscriber::EnvFilter::new(format!(
            "seatwarden={default_level},sqlx=error,warn"
        )),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::progress::StderrWriter);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// Run the parsed command. Every command but `schedule` (whose runs have their own) is one run: its
/// log lines carry its `run_id` (a tracing span), and with JSON logs its error is a log line too.
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    if let Command::Schedule = &cli.command {
        let actor = actor_name(cli.actor.as_deref(), |k| std::env::var(k).ok());
        return schedule::run(&cli.load_config()?, cli.output(), &actor).await;
    }
    let id = crate::telemetry::new_run_id(chrono::Utc::now());
    let result = crate::telemetry::in_run(id, async {
        let result = run_command(&cli).await;
        if let (Err(f), true) = (&result, logs_are_json()) {
            let message = crate::visible::visible_lines(&format!("{:#}", f.error));
            tracing::error!(exit = f.exit as u8, error = %message, "failed");
        }
        result
    })
    .await;
    crate::progress::clear();
    result
}

async fn run_command(cli: &Cli) -> Result<Exit, Failure> {
    let out = cli.output();
    let actor = actor_name(cli.actor.as_deref(), |k| std::env::var(k).ok());
    match &cli.command {
        Command::Resolve(args) => resolve::run(args, out),
        Command::Demo(args) => demo::run(args, out, &actor).await,
        Command::Reconcile(args) => reconcile::run(&cli.load_config()?, args, out, &actor).await,
        Command::Apply(args) => apply::run(&cli.load_config()?, args, out, &actor).await,
        Command::Report(args) => report::run(&cli.load_config()?, args, out).await,
        Command::Developers(cmd) => developers::run(&cli.load_config()?, cmd, out, &actor).await,
        Command::Check => check::run(&cli.load_config()?, out).await,
        Command::Schedule => schedule::run(&cli.load_config()?, out, &actor).await,
    }
}

/// Write `text` to `path`, or to stdout for `-`.
pub fn write_output(path: &Path, text: &str) -> Result<(), Failure> {
    if path.as_os_str() == "-" {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| {
                if text.ends_with('\n') {
                    Ok(())
                } else {
                    stdout.write_all(b"\n")
                }
            })
            .map_err(|e| Failure::runtime(anyhow::anyhow!("cannot write to stdout: {e}")))
    } else {
        std::fs::write(path, text)
            .map_err(|e| Failure::runtime(anyhow::anyhow!("{}: cannot write: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_is_the_flag_then_seatwarden_actor_then_the_os_user() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let all: &[(&str, &str)] = &[("SEATWARDEN_ACTOR", "ci-bot"), ("USER", "root")];
        assert_eq!(actor_name(Some("alice"), env(all)), "alice");
        assert_eq!(actor_name(None, env(all)), "ci-bot");
        assert_eq!(actor_name(Some(" "), env(&[("USER", "root")])), "root");
        assert_eq!(actor_name(None, env(&[])), "an unknown user");
    }

    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
