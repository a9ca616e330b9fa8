//! Configuration errors: exit 2, the file and the key named, nothing changed.

use crate::support::*;

#[test]
fn unknown_config_key_exits_2_naming_the_key() {
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with(
            "[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"hr.csv\"\ntoken_envv = \"X\"\n",
        ),
    );
    let run = s.run(&["check"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("sources[0].token_envv"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("seatwarden.toml"), "{}", run.stderr());
}

#[test]
fn relative_url_for_a_vendor_kind_names_the_source_index() {
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with("[[sources]]\nname = \"a\"\nkind = \"csv\"\nurl = \"a.csv\"\n[[sources]]\nname = \"gl\"\nkind = \"gitlab\"\nurl = \"gitlab.acme.example\"\n"),
    );
    let run = s.run(&["reconcile", "--dry-run"]);
    run.expect_code(2);
    assert!(
        run.stderr()
            .contains("sources[1].url: relative URL without a base"),
        "{}",
        run.stderr()
    );
}

#[test]
fn missing_config_file_exits_2() {
    let s = Scratch::new();
    let run = s.run(&["--config", "nope.toml", "check"]);
    run.expect_code(2);
    assert!(run.stderr().contains("nope.toml"), "{}", run.stderr());
}

#[test]
fn environment_overrides_a_config_key() {
    let s = Scratch::new();
    s.write(
        "hr.csv",
        "id,name,email,status\n1,Ada,ada@acme.example,Active\n",
    );
    s.write(
        "seatwarden.toml",
        &config_with("[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"hr.csv\"\n"),
    );
    let run = s.run_env(
        &["check"],
        &[("SEATWARDEN__POLICY__INACTIVE_AFTER_DAYS", "soon")],
    );
    run.expect_code(2);
    assert!(
        run.stderr().contains("policy.inactive_after_days"),
        "{}",
        run.stderr()
    );
}

#[test]
fn config_path_comes_from_the_environment_variable() {
    let s = Scratch::new();
    s.write("elsewhere.toml", "[polcy]\n");
    let mut cmd = seatwarden();
    cmd.current_dir(s.dir.path())
        .env("SEATWARDEN_CONFIG", s.path("elsewhere.toml"))
        .arg("check");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("elsewhere.toml"));
}

#[test]
fn check_reports_each_source_and_fails_on_an_unreachable_one() {
    let s = Scratch::new();
    s.write("hr.csv", "id,name,email\n1,Ada,ada@acme.example\n");
    s.write(
        "seatwarden.toml",
        &config_with("[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"hr.csv\"\n[[sources]]\nname = \"gone\"\nkind = \"csv\"\nurl = \"missing.csv\"\n"),
    );
    let run = s.run(&["check"]);
    run.expect_code(1);
    let out = run.stdout();
    assert!(
        out.lines()
            .any(|l| l.starts_with("ok") && l.contains("source hr")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("source gone")),
        "{out}"
    );
    assert!(
        !s.path("seatwarden.db").exists(),
        "check must not create the store"
    );
}
