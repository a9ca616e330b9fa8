//! The SEI developer CSV through the binary: import, export, round trip, every refusal of SPEC §5
//! (exit 2, the line named, the table unchanged), and manual merges / splits.

use crate::support::*;

fn scratch_with_table(rows: &[(&str, &str)]) -> Scratch {
    let s = Scratch::new();
    s.write("seatwarden.toml", &config_with(""));
    s.write("table.csv", &sei_csv(rows));
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    s
}

fn list_emails(s: &Scratch) -> Vec<String> {
    let run = s.run(&["developers", "list", "--json"]);
    run.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["email"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn import_then_export_round_trips_the_file() {
    let s = Scratch::new();
    s.write("seatwarden.toml", &config_with(""));
    let text = "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n\
                ada@acme.example,,Ada Lovelace,Engineer,London,Core,Lead,Engineering\n\
                bob@acme.example,ada@acme.example,\"Bob, Jr.\",Engineer,,Core,,Engineering\n\
                cy@acme.example,ada@acme.example,'=Cy,QA,,,,Quality\n";
    s.write("in.csv", text);
    s.run(&["developers", "import", "in.csv"]).expect_code(0);
    s.run(&["developers", "export", "--out", "out.csv"])
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(s.path("out.csv")).unwrap(), text);
    // The export goes to stdout without --out, identical.
    let run = s.run(&["developers", "export"]);
    run.expect_code(0);
    assert_eq!(run.stdout(), text);
}

#[test]
fn import_accepts_common_variants() {
    let s = Scratch::new();
    s.write("seatwarden.toml", &config_with(""));
    let text = "\u{feff}department,EMAIL,Display Name\r\nEngineering,ada@acme.example,Ada\r\n";
    s.write("in.csv", text);
    s.run(&["developers", "import", "in.csv"]).expect_code(0);
    assert_eq!(list_emails(&s), ["ada@acme.example"]);
}

#[test]
fn each_bad_csv_exits_2_names_its_line_and_changes_nothing() {
    let header = "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("missing email column", b"Name,Role\nAda,Engineer\n".to_vec(), ":1:"),
        ("empty email", format!("{header}ok@acme.example,,Ok,,,,,\n,,Nobody,,,,,\n").into_bytes(), ":3:"),
        ("malformed email", format!("{header}ok@acme.example,,Ok,,,,,\nnot-an-email,,Bad,,,,,\n").into_bytes(), ":3:"),
        (
            "duplicate email",
            format!("{header}ok@acme.example,,Ok,,,,,\nx@acme.example,,X,,,,,\nOK@acme.example,,Again,,,,,\n").into_bytes(),
            ":4:",
        ),
        ("ragged row", format!("{header}ok@acme.example,,Ok,,,,,\nx@acme.example,,X\n").into_bytes(), ":3:"),
        ("not utf-8", [header.as_bytes(), b"ok@acme.example,,Ok,,,,,\nx@acme.example,,Jos\xe9,,,,,\n"].concat(), ":3:"),
        (
            "manager cycle",
            format!("{header}a@acme.example,b@acme.example,A,,,,,\nb@acme.example,a@acme.example,B,,,,,\n").into_bytes(),
            ":2:",
        ),
    ];
    for (what, body, line) in cases {
        let s = scratch_with_table(&[("keep@acme.example", "Keep Me")]);
        let db = s.path("seatwarden.db");
        let before = bytes(&db);
        std::fs::write(s.path("bad.csv"), &body).unwrap();
        let run = s.run(&["developers", "import", "bad.csv", "--replace"]);
        run.expect_code(2);
        assert!(
            run.stderr().contains(&format!("bad.csv{line}")),
            "{what}: {}",
            run.stderr()
        );
        assert_eq!(bytes(&db), before, "{what}: the store changed");
        assert_eq!(list_emails(&s), ["keep@acme.example"], "{what}");
    }
}

#[test]
fn import_merges_by_email_and_replace_makes_the_file_the_table() {
    let s = scratch_with_table(&[("ada@acme.example", "Ada"), ("bob@acme.example", "Bob")]);
    s.write(
        "more.csv",
        &sei_csv(&[("BOB@acme.example", "Robert"), ("cy@acme.example", "Cy")]),
    );
    let run = s.run(&["developers", "import", "more.csv"]);
    run.expect_code(0);
    assert!(
        run.stdout().contains("1 added, 1 updated"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        list_emails(&s),
        ["ada@acme.example", "BOB@acme.example", "cy@acme.example"]
    );
    s.run(&["developers", "import", "more.csv", "--replace"])
        .expect_code(0);
    assert_eq!(list_emails(&s), ["BOB@acme.example", "cy@acme.example"]);
}

#[test]
fn export_never_writes_what_sei_rejects() {
    let s = Scratch::new();
    s.write("seatwarden.toml", &config_with(""));
    s.write(
        "in.csv",
        "Email,Manager Email,Full Name\nada@acme.example,gone@acme.example,=HYPERLINK(\"x\")\nbob@acme.example,ada@acme.example,Bob\n",
    );
    s.run(&["developers", "import", "in.csv"]).expect_code(0);
    let run = s.run(&["developers", "export"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("ada@acme.example,,\"'=HYPERLINK(\"\"x\"\")\""),
        "unknown manager blanked, formula neutralised: {out}"
    );
    assert!(
        out.contains("bob@acme.example,ada@acme.example,Bob"),
        "{out}"
    );
}

#[test]
fn split_override_keeps_two_rows_apart_in_later_runs() {
    // Two rows with the same normalised email (a +tag) are one person…
    let s = Scratch::new();
    s.write(
        "people.csv",
        "id,name,email\n1,Ada Lovelace,ada@acme.example\n",
    );
    s.write(
        "seatwarden.toml",
        &config_with("[[sources]]\nname = \"people\"\nkind = \"csv\"\nurl = \"people.csv\"\n"),
    );
    s.write(
        "table.csv",
        &sei_csv(&[
            ("ada@acme.example", "Ada Lovelace"),
            ("ada+sei@acme.example", "Ada L"),
        ]),
    );
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    let first = s.run(&["reconcile", "--dry-run", "--json", "-"]);
    first.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&first.stdout()).unwrap();
    assert_eq!(v["recommendations"][0]["action"], "merge", "{v:#}");
    // …until someone who knows better says they are not.
    s.run(&[
        "developers",
        "split",
        "ada@acme.example",
        "ada+sei@acme.example",
        "--note",
        "twins",
    ])
    .expect_code(0);
    let second = s.run(&["reconcile", "--dry-run", "--json", "-"]);
    second.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&second.stdout()).unwrap();
    let dup = v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["reason"] == "duplicate");
    assert!(!dup, "{v:#}");
    // And a merge override joins rows no evidence links.
    s.write(
        "table2.csv",
        &sei_csv(&[
            ("zed@acme.example", "Zed"),
            ("zorro@other.example", "Zorro"),
        ]),
    );
    s.run(&["developers", "import", "table2.csv"])
        .expect_code(0);
    s.run(&[
        "developers",
        "merge",
        "zed@acme.example",
        "zorro@other.example",
    ])
    .expect_code(0);
    let third = s.run(&["reconcile", "--dry-run", "--json", "-"]);
    let v: serde_json::Value = serde_json::from_str(&third.stdout()).unwrap();
    let merged = v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["action"] == "merge");
    assert!(merged, "{v:#}");
}

#[test]
fn merge_with_an_unknown_row_exits_2() {
    let s = scratch_with_table(&[("ada@acme.example", "Ada")]);
    let run = s.run(&[
        "developers",
        "merge",
        "ada@acme.example",
        "nobody@acme.example",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("nobody@acme.example"),
        "{}",
        run.stderr()
    );
}
