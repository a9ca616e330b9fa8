//! Shared test pieces: a scratch folder with a config, a runner that shows everything on failure,
//! and the two store backends (`backend`) the store's scenarios run on.

#![allow(dead_code)]

pub mod backend;
pub mod hostile;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The binary under test, with a clean environment for seatwarden's own variables.
pub fn seatwarden() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("seatwarden"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SEATWARDEN") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// The result of one run, with helpers that print everything when an assertion fails.
pub struct Run {
    pub output: Output,
    pub what: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// Panic with the whole story unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "{} exited {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.what,
            self.code(),
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// A scratch folder holding a config file and whatever files a test writes.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    /// Set for every command run here (the PostgreSQL backend's `SEATWARDEN__STORE__URL`).
    pub env: Vec<(String, String)>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
    pub fn config(&self) -> PathBuf {
        self.path("seatwarden.toml")
    }
    /// Run seatwarden with `--config seatwarden.toml` (when it exists) in this folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().expect("run seatwarden");
        Run {
            output,
            what: format!(
                "seatwarden {} (in {})",
                args.join(" "),
                self.dir.path().display()
            ),
        }
    }
}

impl Scratch {
    /// Write `rows` as `table.csv` and import it (exit 0 expected).
    pub fn import_table(&self, rows: &[(&str, &str)]) {
        self.write("table.csv", &sei_csv(rows));
        self.run(&["developers", "import", "table.csv"])
            .expect_code(0);
    }

    /// Start `seatwarden ARGS` in the background, its output piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start seatwarden")
    }

    /// The command `run` would run, to spawn it instead.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = seatwarden();
        cmd.current_dir(self.dir.path());
        if self.config().exists() {
            cmd.arg("--config").arg(self.config());
        }
        cmd.args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// The bytes of a file, for byte-for-byte comparisons.
pub fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A minimal config with one store and the given sources (TOML text appended).
pub fn config_with(sources: &str) -> String {
    format!(
        "[subscription]\nlicenses = 10\n\n[store]\nurl = \"sqlite://seatwarden.db\"\n\n[policy]\ninactive_after_days = 90\n\n{sources}"
    )
}

/// The two people most scenarios start from.
pub const ADA_AND_BOB: [(&str, &str); 2] = [
    ("ada@acme.example", "Ada Lovelace"),
    ("bob@acme.example", "Bob Stone"),
];

/// SEI developer CSV text from rows of (email, name).
pub fn sei_csv(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    for (email, name) in rows {
        s.push_str(&format!("{email},,{name},Engineer,,,,Engineering\n"));
    }
    s
}

/// The one file part of a `multipart/form-data` request: (form field, file name, content type,
/// content). Panics, naming what is wrong, when the request is not exactly one file part.
pub fn multipart_file(r: &wiremock::Request) -> (String, String, String, String) {
    let content_type = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart/form-data: {content_type:?}"));
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    let part = body
        .strip_prefix(&open)
        .and_then(|b| b.strip_suffix(&close))
        .unwrap_or_else(|| panic!("not one part between the boundaries: {body:?}"));
    let (head, content) = part
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("a part without headers: {part:?}"));
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(": ")?;
                k.eq_ignore_ascii_case(name).then(|| v.to_string())
            })
            .unwrap_or_else(|| panic!("no {name} in {head:?}"))
    };
    let disposition = header("content-disposition");
    let param = |key: &str| {
        disposition
            .split("; ")
            .find_map(|p| p.strip_prefix(&format!("{key}=\"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no {key} in {disposition:?}"))
            .to_string()
    };
    (
        param("name"),
        param("filename"),
        header("content-type"),
        content.to_string(),
    )
}

/// `seatwarden [--config DIR/seatwarden.toml] ARGS` in `dir` with `env` set, off the async runtime
/// (so the mock servers of the calling test keep answering); `--config` when that file exists.
pub async fn run_async(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = seatwarden();
        cmd.current_dir(&dir);
        if dir.join("seatwarden.toml").exists() {
            cmd.arg("--config").arg(dir.join("seatwarden.toml"));
        }
        cmd.args(&args).envs(env);
        Run {
            output: cmd.output().expect("run seatwarden"),
            what: format!("seatwarden {} (in {})", args.join(" "), dir.display()),
        }
    })
    .await
    .expect("the run's thread")
}

pub mod smtp;

impl Scratch {
    /// [`Scratch::run_env`] off the async runtime, so loopback servers of the test keep serving.
    pub async fn run_async(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_async(self.dir.path(), args, env).await
    }
}
