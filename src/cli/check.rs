//! `seatwarden check`: the config is valid (it loaded), and every source, the store and the SMTP
//! server answer. Changes nothing: the store is opened read-only, sources get one cheap call each.

use std::time::Duration;

use crate::cli::{Exit, Failure, Output};
use crate::config::Config;
use crate::sources::{self, Secrets, SourceContext};
use crate::store::Store;
use crate::visible::visible;

pub async fn run(cfg: &Config, out: Output) -> Result<Exit, Failure> {
    let mut lines = Lines {
        quiet: out.quiet,
        failures: 0,
    };
    lines.say(true, "config", cfg.file.display().to_string());
    let (ok, detail) = check_store(cfg).await;
    lines.say(ok, "store", detail);
    for (label, ok, detail) in check_sources(cfg).await {
        lines.say(ok, &label, detail);
    }
    if let Some(email) = &cfg.report.email {
        let (host, port) = (email.host().to_string(), email.port());
        match smtp_greeting(&host, port, email.implicit_tls()).await {
            Ok(detail) => lines.say(true, "smtp", format!("{host}:{port} {detail}")),
            Err(e) => lines.say(false, "smtp", format!("{host}:{port}: {e}")),
        }
    }
    if let Some(hook) = &cfg.report.webhook {
        let set = std::env::var(&hook.url_env).is_ok_and(|v| !v.is_empty());
        let detail = if set {
            format!("${} is set (nothing sent)", hook.url_env)
        } else {
            format!("${} is not set", hook.url_env)
        };
        lines.say(set, "webhook", detail);
    }
    Ok(if lines.failures == 0 {
        Exit::Success
    } else {
        Exit::Runtime
    })
}

/// The check lines on stdout (failures only with `-q`), and how many failed.
struct Lines {
    quiet: bool,
    failures: usize,
}

impl Lines {
    fn say(&mut self, ok: bool, what: &str, detail: String) {
        if !ok {
            self.failures += 1;
        }
        if !self.quiet || !ok {
            let (what, detail) = (visible(what), visible(&detail));
            println!("{} {what:<22} {detail}", if ok { "ok  " } else { "FAIL" });
        }
    }
}

/// The store: opened read-only and its rows counted, or why that is fine (not created yet).
async fn check_store(cfg: &Config) -> (bool, String) {
    if let Some(path) = cfg.store.sqlite_path()
        && !path.exists()
    {
        let detail = format!(
            "{} does not exist yet; the first reconcile creates it",
            path.display()
        );
        return (true, detail);
    }
    match Store::open_read_only(&cfg.store.url).await {
        Ok(Some(store)) => {
            let rows = store.load_table().await.map(|t| t.len());
            let line = match rows {
                Ok(n) => (true, format!("{} ({n} rows)", store.display_url())),
                Err(e) => (false, crate::errors::chain(&e)),
            };
            store.close().await;
            line
        }
        Ok(None) => {
            let detail = format!(
                "{} has no schema yet; the first reconcile creates it",
                crate::store::redact_url(&cfg.store.url)
            );
            (true, detail)
        }
        Err(e) => (false, crate::errors::chain(&e)),
    }
}

/// One cheap call to every source, all at once: `(label, ok, detail)` in config order.
async fn check_sources(cfg: &Config) -> Vec<(String, bool, String)> {
    let ctx = SourceContext {
        secrets: Secrets::from_env(cfg.secret_vars()),
        ..SourceContext::default()
    };
    let checks = cfg.sources.iter().map(|src| {
        let ctx = &ctx;
        async move {
            let result = match sources::build(src, ctx) {
                Ok(source) => source.check().await,
                Err(e) => Err(e),
            };
            (src, result)
        }
    });
    let mut lines = Vec::new();
    for (src, result) in futures::future::join_all(checks).await {
        let label = format!("source {}", src.name);
        lines.push(match result {
            Ok(detail) => (label, true, format!("({}) {detail}", src.kind())),
            Err(e) => (label, false, crate::errors::chain(&e)),
        });
    }
    lines
}

/// Connect and read the server's greeting; for implicit TLS, a TCP connect is all we try.
async fn smtp_greeting(host: &str, port: u16, implicit_tls: bool) -> Result<String, String> {
    use tokio::io::AsyncBufReadExt;
    let connect = tokio::net::TcpStream::connect((host, port));
    let stream = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .map_err(|_| "no answer within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    if implicit_tls {
        return Ok("accepts connections (TLS)".into());
    }
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(stream);
    tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line))
        .await
        .map_err(|_| "no greeting within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    if line.starts_with("220") {
        Ok(format!("answers: {}", line.trim()))
    } else {
        Err(format!("unexpected greeting: {}", line.trim()))
    }
}
