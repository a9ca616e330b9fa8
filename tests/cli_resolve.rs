//! `seatwarden resolve`: no config, a flat CSV in, `id,cluster` and a `.mailmap` out.

use crate::support::*;

#[test]
fn resolve_clusters_a_flat_csv_and_writes_a_mailmap() {
    let s = Scratch::new();
    s.write(
        "ids.csv",
        "id,name,email\n\
         1,Jane Doe,jane.doe@acme.example\n\
         2,Jane Doe,Jane.Doe+git@acme.example\n\
         3,John Smith,john@smith.example\n\
         4,jdoe,123456+jdoe@users.noreply.github.com\n\
         5,Other Person,other@else.example\n",
    );
    let run = s.run(&[
        "resolve",
        "ids.csv",
        "--out",
        "clusters.csv",
        "--mailmap",
        "mailmap",
    ]);
    run.expect_code(0);
    let out = std::fs::read_to_string(s.path("clusters.csv")).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("id,cluster"));
    let map: std::collections::HashMap<&str, &str> =
        lines.map(|l| l.split_once(',').unwrap()).collect();
    assert_eq!(map["1"], map["2"], "same address with a +tag and case");
    assert_ne!(map["1"], map["3"]);
    assert_ne!(map["3"], map["5"]);
    let mailmap = std::fs::read_to_string(s.path("mailmap")).unwrap();
    assert!(mailmap.contains("Jane.Doe+git@acme.example"), "{mailmap}");
}

#[test]
fn resolve_refuses_a_file_without_an_id_column() {
    let s = Scratch::new();
    s.write("ids.csv", "name,email\nJane,jane@acme.example\n");
    let run = s.run(&["resolve", "ids.csv"]);
    run.expect_code(2);
    assert!(run.stderr().contains("ids.csv:1"), "{}", run.stderr());
}

#[test]
fn resolve_names_the_line_of_a_duplicate_id() {
    let s = Scratch::new();
    s.write(
        "ids.csv",
        "id,name,email\n1,A,a@x.example\n1,B,b@x.example\n",
    );
    let run = s.run(&["resolve", "ids.csv"]);
    run.expect_code(2);
    assert!(run.stderr().contains("ids.csv:3"), "{}", run.stderr());
}

#[test]
fn resolve_explains_a_pair_and_writes_the_reviews() {
    let s = Scratch::new();
    // A name common in general: with no directory, a rare full name ("Chai Wah Wu") would merge.
    s.write(
        "ids.csv",
        "id,name,email\n\
         1,Wei Zhang,cwwuieee@gmail.com\n\
         2,Wei Zhang,postvakje@users.noreply.github.com\n\
         3,Other Person,other@else.example\n",
    );
    let run = s.run(&[
        "resolve",
        "ids.csv",
        "--reviews",
        "reviews.csv",
        "--explain",
        "1,2",
        "--explain",
        "1,3",
    ]);
    run.expect_code(0);
    let err = run.stderr();
    assert!(
        err.contains("1 ~ 2: different people, proposed for review; weak evidence 0.8"),
        "{err}"
    );
    assert!(err.contains("same name \"Wei Zhang\""), "{err}");
    assert!(
        err.contains("1 ~ 3: different people; no weak evidence"),
        "{err}"
    );
    let reviews = std::fs::read_to_string(s.path("reviews.csv")).unwrap();
    let mut lines = reviews.lines();
    assert_eq!(lines.next(), Some("a,b,confidence,evidence"));
    assert!(lines.next().unwrap().starts_with("1,2,0.8"), "{reviews}");

    let bad = s.run(&["resolve", "ids.csv", "--explain", "1,99"]);
    bad.expect_code(2);
    assert!(bad.stderr().contains("--explain 1,99"), "{}", bad.stderr());
}

#[test]
fn resolve_verbose_logs_how_long_each_phase_took() {
    // The resolver reads no clock: the command times the phases it is told of, and logs them.
    let s = Scratch::new();
    s.write(
        "ids.csv",
        "id,name,email\n1,Jane Doe,jane@acme.example\n2,Jane Doe,jane@acme.example\n",
    );
    let run = s.run(&[
        "-v",
        "--log-format",
        "text",
        "resolve",
        "ids.csv",
        "--out",
        "clusters.csv",
    ]);
    run.expect_code(0);
    let stderr = run.stderr();
    let phases = [
        "parsing",
        "strong evidence",
        "personal domains",
        "statistics and blocks",
        "scoring",
        "weak merges",
        "clusters, reviews and evidence words",
    ];
    for phase in phases {
        let logged = stderr.lines().any(|l| {
            l.contains("resolution phase done")
                && l.contains(&format!("phase=\"{phase}\""))
                && l.contains(" ms=")
        });
        assert!(logged, "{phase}: {stderr}");
    }
}
