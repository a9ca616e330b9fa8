//! `reconcile` end to end: sources over loopback HTTP, failures and the guard (exit 3, no removals
//! inferred), secrets kept out of every output, and the PostgreSQL store.

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const DIRECTORY: &str = "id,name,email,status\n1,Ada Lovelace,ada@acme.example,Active\n2,Bob Stone,bob@acme.example,Terminated\n";

fn directory_source(url: &str) -> String {
    format!(
        "[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"{url}\"\ntoken_env = \"HR_TOKEN\"\ndirectory = true\n[sources.status]\nactive = [\"Active\"]\ndeparted = [\"Terminated\"]\n"
    )
}

async fn run_blocking(s: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let dir = s.dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = seatwarden();
        cmd.current_dir(&dir)
            .arg("--config")
            .arg(dir.join("seatwarden.toml"))
            .args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        Run {
            output: cmd.output().unwrap(),
            what: format!("seatwarden {}", args.join(" ")),
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_source_over_http_sends_the_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/export/people.csv"))
        .and(header("authorization", "Bearer hr-token-123"))
        .respond_with(ResponseTemplate::new(200).set_body_string(DIRECTORY))
        .expect(1)
        .mount(&server)
        .await;
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with(&directory_source(&format!(
            "{}/export/people.csv",
            server.uri()
        ))),
    );
    s.write(
        "table.csv",
        &sei_csv(&[
            ("ada@acme.example", "Ada Lovelace"),
            ("bob@acme.example", "Bob Stone"),
        ]),
    );
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    let run = run_blocking(
        &s,
        &["reconcile", "--json", "report.json", "-q"],
        &[("HR_TOKEN", "hr-token-123")],
    )
    .await;
    run.expect_code(0);
    server.verify().await;
    let v: serde_json::Value = serde_json::from_slice(&bytes(&s.path("report.json"))).unwrap();
    assert_eq!(v["sources"][0]["status"], "ok");
    assert_eq!(v["sources"][0]["records"], 2);
    let recs = v["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{v:#}");
    assert_eq!(
        (recs[0]["email"].as_str(), recs[0]["reason"].as_str()),
        (Some("bob@acme.example"), Some("departed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_fails_the_source_without_leaking_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad token"))
        .mount(&server)
        .await;
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with(&directory_source(&format!("{}/people.csv", server.uri()))),
    );
    s.write(
        "table.csv",
        &sei_csv(&[("ada@acme.example", "Ada Lovelace")]),
    );
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    let secret = "sup3r-s3cret-value";
    let run = run_blocking(
        &s,
        &[
            "reconcile",
            "--json",
            "report.json",
            "--csv",
            "recs.csv",
            "-v",
        ],
        &[("HR_TOKEN", secret)],
    )
    .await;
    run.expect_code(3);
    let report = String::from_utf8(bytes(&s.path("report.json"))).unwrap();
    for (what, text) in [
        ("stdout", run.stdout()),
        ("stderr", run.stderr()),
        ("report", report.clone()),
    ] {
        assert!(!text.contains(secret), "{what} leaks the token:\n{text}");
    }
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["run"]["status"], "degraded");
    assert_eq!(v["sources"][0]["status"], "failed");
    assert!(
        v["sources"][0]["error"].as_str().unwrap().contains("401"),
        "{v:#}"
    );
    assert!(
        v["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] != "remove"),
        "{v:#}"
    );
}

#[test]
fn a_failed_directory_never_turns_into_mass_removals() {
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with(&directory_source("missing-export.csv")),
    );
    let rows: Vec<(String, String)> = (0..50)
        .map(|i| (format!("dev{i}@acme.example"), format!("Dev {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    s.write("table.csv", &sei_csv(&refs));
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    let run = s.run(&["reconcile", "--json", "-"]);
    run.expect_code(3);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert!(
        v["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] != "remove"),
        "{v:#}"
    );
    assert!(
        v["sources"][0]["error"]
            .as_str()
            .unwrap()
            .contains("missing-export.csv")
    );
}

#[test]
fn a_source_that_shrinks_past_the_guard_is_guarded_and_exits_3() {
    let s = Scratch::new();
    let full: String = (0..20).fold(String::from("id,name,email,status\n"), |mut t, i| {
        t.push_str(&format!("{i},Dev {i},dev{i}@acme.example,Active\n"));
        t
    });
    s.write("hr.csv", &full);
    s.write("seatwarden.toml", &config_with(&directory_source("hr.csv")));
    let rows: Vec<(String, String)> = (0..20)
        .map(|i| (format!("dev{i}@acme.example"), format!("Dev {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    s.write("table.csv", &sei_csv(&refs));
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    s.run(&["reconcile", "-q"]).expect_code(0);
    // The export comes back with only two people: guarded, nothing inferred from the absences.
    s.write("hr.csv", "id,name,email,status\n0,Dev 0,dev0@acme.example,Active\n1,Dev 1,dev1@acme.example,Active\n");
    let run = s.run(&["reconcile", "--json", "-"]);
    run.expect_code(3);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["sources"][0]["status"], "guarded");
    assert!(
        v["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] != "remove"),
        "{v:#}"
    );
}

#[test]
fn reconcile_writes_the_recommendations_csv_and_stores_the_run() {
    let s = Scratch::new();
    s.write("hr.csv", DIRECTORY);
    s.write("seatwarden.toml", &config_with(&directory_source("hr.csv")));
    s.write(
        "table.csv",
        &sei_csv(&[
            ("ada@acme.example", "Ada Lovelace"),
            ("bob@acme.example", "Bob Stone"),
        ]),
    );
    s.run(&["developers", "import", "table.csv"]).expect_code(0);
    let run = s.run(&["reconcile", "--csv", "recs.csv"]);
    run.expect_code(0);
    assert!(run.stdout().contains("Departed"), "{}", run.stdout());
    let csv = std::fs::read_to_string(s.path("recs.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("developer,email,name,action,reason,into,into_email,confidence,evidence,applied")
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(",bob@acme.example,Bob Stone,remove,departed,"),
        "{row}"
    );
    // The run was stored: the developers have their directory identities attached now.
    let list = s.run(&["developers", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    assert_eq!(v[0]["identities"][0]["source"], "hr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_through_the_environment_override() {
    let Some(pg) = seatwarden::store::testing::TempPostgres::create().await else {
        return;
    };
    let url = pg.url.clone();

    let s = Scratch::new();
    s.write("hr.csv", DIRECTORY);
    s.write("seatwarden.toml", &config_with(&directory_source("hr.csv")));
    s.write(
        "table.csv",
        &sei_csv(&[
            ("ada@acme.example", "Ada Lovelace"),
            ("bob@acme.example", "Bob Stone"),
        ]),
    );
    let env = [("SEATWARDEN__STORE__URL", url.as_str())];
    run_blocking(&s, &["developers", "import", "table.csv"], &env)
        .await
        .expect_code(0);
    run_blocking(&s, &["reconcile", "-q"], &env)
        .await
        .expect_code(0);
    let list = run_blocking(&s, &["developers", "list", "--json"], &env).await;
    list.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(
        !s.path("seatwarden.db").exists(),
        "the SQLite default was not used"
    );

    pg.drop_db().await;
}
