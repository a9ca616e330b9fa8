//! Shared test pieces: a scratch folder with a config, a runner that shows everything on failure.

#![allow(dead_code)]

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
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
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
        let mut cmd = seatwarden();
        cmd.current_dir(self.dir.path());
        if self.config().exists() {
            cmd.arg("--config").arg(self.config());
        }
        cmd.args(args);
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

/// SEI developer CSV text from rows of (email, name).
pub fn sei_csv(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    for (email, name) in rows {
        s.push_str(&format!("{email},,{name},Engineer,,,,Engineering\n"));
    }
    s
}
