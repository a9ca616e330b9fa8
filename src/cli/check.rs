//! `seatwarden check`: the config is valid (it loaded), and every source, the store and the SMTP
//! server answer. Changes nothing: the store is opened read-only, sources get one cheap call each.

use std::time::Duration;

use crate::cli::{Exit, Failure, Output};
use crate::config::Config;
use crate::sources::{self, Secrets, SourceContext};
use crate::store::Store;
use crate::visible::visible;

pub async fn run(cfg: &Config, out: Output) -> Result<Exit, Failure> {
    let mut failures = 0;
    let mut say = |ok: bool, what: &str, detail: String| {
        if !ok {
            failures += 1;
        }
        if !out.quiet || !ok {
            let (what, detail) = (visible(what), visible(&detail));
            println!("{} {what:<22} {detail}", if ok { "ok  " } else { "FAIL" });
        }
    };
    say(true, "config", cfg.file.display().to_string());

    match cfg.store.sqlite_path() {
        Some(path) if !path.exists() => say(
            true,
            "store",
            format!(
                "{} does not exist yet; the first reconcile creates it",
                path.display()
            ),
        ),
        _ => match Store::open_read_only(&cfg.store.url).await {
            Ok(Some(store)) => {
                let rows = store.load_table().await.map(|t| t.len());
                match rows {
                    Ok(n) => say(true, "store", format!("{} ({n} rows)", store.display_url())),
                    Err(e) => say(false, "store", crate::errors::chain(&e)),
                }
                store.close().await;
            }
            Ok(None) => say(
                true,
                "store",
                format!(
                    "{} has no schema yet; the first reconcile creates it",
                    crate::store::redact_url(&cfg.store.url)
                ),
            ),
            Err(e) => say(false, "store", crate::errors::chain(&e)),
        },
    }

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
    for (src, result) in futures::future::join_all(checks).await {
        let label = format!("source {}", src.name);
        match result {
            Ok(detail) => say(true, &label, format!("({}) {detail}", src.kind())),
            Err(e) => say(false, &label, crate::errors::chain(&e)),
        }
    }

    if let Some(email) = &cfg.report.email {
        let (host, port) = (email.host().to_string(), email.port());
        match smtp_greeting(&host, port, email.implicit_tls()).await {
            Ok(detail) => say(true, "smtp", format!("{host}:{port} {detail}")),
            Err(e) => say(false, "smtp", format!("{host}:{port}: {e}")),
        }
    }
    if let Some(hook) = &cfg.report.webhook {
        let set = std::env::var(&hook.url_env).is_ok_and(|v| !v.is_empty());
        say(
            set,
            "webhook",
            if set {
                format!("${} is set (nothing sent)", hook.url_env)
            } else {
                format!("${} is not set", hook.url_env)
            },
        );
    }

    Ok(if failures == 0 {
        Exit::Success
    } else {
        Exit::Runtime
    })
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
