//! The hostile-server suite (issue 15): the real binary against `support::hostile`, one case at a
//! time. Every case ends in a clear source error — the source `failed`, the run `degraded`, exit 3,
//! nothing inferred from that source (no removal: it is the only directory) — or in a successful
//! retry; never a panic (exit 101), never a half-read source taken as whole.

use serde_json::Value;

use crate::support::hostile::{Case, Hostile, PEOPLE};
use crate::support::*;

const TOKEN: &str = "hostile-token-7c1e9a4f2b";
const CLIENT_SECRET: &str = "hostile~secret~Q8.x_y";

/// The config: the seeded table (the two people) and the hostile server as the only directory.
fn config(case: Case, base: &str) -> String {
    let kind = case.kind();
    let (url, extra) = match kind {
        "github" => (base.to_string(), "org = \"acme\"\ngraphql = true\n".to_string()),
        "jira" => (base.to_string(), "user = \"bot@acme.example\"\n".to_string()),
        "json" => (
            format!("{base}/people.json"),
            "records = \"/people\"\nnext = \"/next\"\n[sources.fields]\nid = \"/id\"\nemail = \"/email\"\n".to_string(),
        ),
        "msgraph" => (
            base.to_string(),
            format!("authority = \"{base}\"\ntenant = \"acme.onmicrosoft.com\"\nclient_id = \"cid\"\nclient_secret_env = \"HOSTILE_SECRET\"\n"),
        ),
        _ => (base.to_string(), String::new()),
    };
    let token = if kind == "msgraph" {
        ""
    } else {
        "token_env = \"HOSTILE_TOKEN\"\n"
    };
    format!(
        "[subscription]\nlicenses = 10\n\n[store]\nurl = \"sqlite://seatwarden.db\"\nseed = \"seed.csv\"\n\n\
         [[sources]]\nname = \"hostile\"\nkind = \"{kind}\"\nurl = \"{url}\"\n{token}directory = true\n\
         read_timeout_secs = 1\ntotal_timeout_secs = 10\nmax_retry_wait_secs = 2\nmax_pages = 50\n{extra}"
    )
}

/// One dry run of `reconcile` against `case`: the run, its JSON report, the server.
async fn run_case(case: Case, extra_args: &[&str]) -> (Run, Value, Hostile) {
    let server = Hostile::start(case).await;
    let scratch = Scratch::new();
    scratch.write("seatwarden.toml", &config(case, &server.base));
    let rows: Vec<(&str, &str)> = PEOPLE
        .iter()
        .map(|(_, name, email)| (*email, *name))
        .collect();
    scratch.write("seed.csv", &sei_csv(&rows));
    let args: Vec<String> = ["reconcile", "--dry-run", "--json", "report.json"]
        .iter()
        .chain(extra_args)
        .map(|a| a.to_string())
        .collect();
    let run = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = scratch.run_env(
            &args,
            &[
                ("HOSTILE_TOKEN", TOKEN),
                ("HOSTILE_SECRET", CLIENT_SECRET),
                ("RUST_BACKTRACE", "0"),
            ],
        );
        let report = std::fs::read_to_string(scratch.path("report.json")).unwrap_or_default();
        (run, report)
    })
    .await
    .expect("the run finishes");
    let (run, report) = run;
    assert_ne!(run.code(), 101, "{case:?} panicked:\n{}", run.stderr());
    assert!(
        !run.stderr().contains("panicked"),
        "{case:?}:\n{}",
        run.stderr()
    );
    let report: Value = serde_json::from_str(&report)
        .unwrap_or_else(|e| panic!("{case:?}: no JSON report ({e})\n{}", run.stderr()));
    (run, report, server)
}

fn source(report: &Value) -> &Value {
    &report["sources"][0]
}

/// The case ends in a clear error of the source, with nothing inferred from it.
async fn refused(case: Case, expected: &[&str]) -> Value {
    let (run, report, _) = run_case(case, &[]).await;
    run.expect_code(3);
    let src = source(&report);
    assert_eq!(src["status"], "failed", "{case:?}: {src}");
    assert_eq!(
        src["records"], 0,
        "{case:?}: a half-read source is not whole: {src}"
    );
    assert_eq!(report["run"]["status"], "degraded", "{case:?}");
    let error = src["error"].as_str().unwrap_or_default();
    for fragment in expected {
        assert!(
            error.contains(fragment),
            "{case:?}: `{fragment}` not in {error}"
        );
    }
    assert!(
        error.starts_with("hostile: "),
        "{case:?}: the error names the source: {error}"
    );
    for secret in [TOKEN, CLIENT_SECRET] {
        assert!(
            !error.contains(secret) && !run.stderr().contains(secret),
            "{case:?}"
        );
    }
    let removals: Vec<&Value> = report["recommendations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "remove")
        .collect();
    assert!(
        removals.is_empty(),
        "{case:?}: removals inferred from a failed directory: {removals:?}"
    );
    report
}

/// The case is survived by a retry: the source is read whole.
async fn retried(case: Case) {
    let (run, report, server) = run_case(case, &[]).await;
    run.expect_code(0);
    let src = source(&report);
    assert_eq!(src["status"], "ok", "{case:?}: {src}");
    assert_eq!(src["records"], 2, "{case:?}: {src}");
    let first_page = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && !r.target.contains("filter"))
        .count();
    assert!(
        first_page >= 2,
        "{case:?}: the first page was not asked again ({first_page})"
    );
}

#[tokio::test]
async fn truncated_json_is_a_data_error() {
    refused(Case::TruncatedJson, &["unexpected JSON"]).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_data_error() {
    refused(Case::NotJson, &["unexpected JSON"]).await;
}

#[tokio::test]
async fn a_login_page_instead_of_json_is_a_data_error() {
    refused(Case::WrongContentType, &["unexpected JSON"]).await;
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_once_is_retried() {
    retried(Case::SlowOnce).await;
}

#[tokio::test]
async fn a_server_always_slower_than_the_timeout_gives_up_clearly() {
    refused(Case::SlowAlways, &["gave up after", "timed out"]).await;
}

#[tokio::test]
async fn a_body_cut_short_once_is_retried() {
    retried(Case::CutShortOnce).await;
}

#[tokio::test]
async fn a_reset_mid_body_once_is_retried() {
    retried(Case::ResetOnce).await;
}

#[tokio::test]
async fn a_reset_mid_body_every_time_gives_up_clearly() {
    refused(
        Case::ResetAlways,
        &["gave up after", "the answer broke off"],
    )
    .await;
}

#[tokio::test]
async fn endless_distinct_next_links_stop_at_the_page_cap() {
    refused(Case::EndlessLinks, &["after 50 pages (max_pages)"]).await;
}

#[tokio::test]
async fn a_repeated_next_link_is_refused() {
    refused(Case::RepeatedLink, &["already fetched"]).await;
}

#[tokio::test]
async fn endless_graphql_cursors_stop_at_the_page_cap() {
    refused(Case::EndlessCursors, &["after 50 pages (max_pages)"]).await;
}

#[tokio::test]
async fn a_repeated_graphql_cursor_is_refused() {
    refused(Case::RepeatedCursor, &["endCursor already read"]).await;
}

#[tokio::test]
async fn endless_gitlab_next_pages_stop_at_the_page_cap() {
    refused(Case::EndlessNextPage, &["after 50 pages (max_pages)"]).await;
}

#[tokio::test]
async fn a_json_next_naming_its_own_page_is_refused() {
    refused(Case::RepeatedJsonNext, &["already fetched"]).await;
}

#[tokio::test]
async fn jira_pages_that_ignore_start_at_are_refused() {
    refused(Case::JiraIgnoresStartAt, &["already read"]).await;
}

#[tokio::test]
async fn a_one_gib_body_is_refused_at_the_response_cap() {
    refused(Case::Oversize, &["larger than 32 MiB (max_response_mb)"]).await;
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_response_cap() {
    let bomb = crate::support::hostile::gzip_bomb().len();
    assert!(bomb < 2 << 20, "the bomb is {bomb} bytes, not about 1 MB");
    refused(Case::GzipBomb, &["larger than 32 MiB (max_response_mb)"]).await;
}

#[tokio::test]
async fn vendor_error_bodies_of_401_403_404_are_quoted_in_the_error() {
    refused(
        Case::Unauthorized,
        &[
            "rejected the credentials (HTTP 401)",
            "Invalid token provided",
        ],
    )
    .await;
    refused(
        Case::Forbidden,
        &["rejected the credentials (HTTP 403)", "E0000006"],
    )
    .await;
    refused(Case::NotFound, &["HTTP 404", "E0000007"]).await;
}

#[tokio::test]
async fn an_absurd_retry_after_gives_up_instead_of_panicking() {
    refused(
        Case::AbsurdRetryAfter,
        &["gave up after 1 attempts", "86400.0s"],
    )
    .await;
}

#[tokio::test]
async fn an_absurd_rate_limit_reset_gives_up_instead_of_panicking() {
    refused(
        Case::AbsurdRateLimitReset,
        &["rate limit exhausted", "86400s"],
    )
    .await;
}

#[tokio::test]
async fn an_absurd_token_lifetime_is_clamped_and_the_source_read() {
    let (run, report, _) = run_case(Case::AbsurdExpiresIn, &[]).await;
    run.expect_code(0);
    assert_eq!(source(&report)["records"], 2, "{report}");
}

#[tokio::test]
async fn an_error_body_that_echoes_the_request_shows_no_secret() {
    let report = refused(Case::EchoUnauthorized, &["HTTP 401", "SSWS ***"]).await;
    let text = report.to_string();
    assert!(!text.contains(TOKEN), "{text}");
}

/// The peak memory of a run that meets a 1 GiB body, against a run that meets a normal one
/// (`-v` logs the process's peak RSS after the fetch): under 100 MB more.
#[tokio::test]
async fn a_one_gib_body_costs_under_100_mb_more_than_a_normal_run() {
    let peak = |run: &Run| -> u64 {
        run.stderr()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["message"] == "sources fetched")
            .and_then(|l| l["peak_rss_mb"].as_u64())
            .unwrap_or_else(|| panic!("no peak in\n{}", run.stderr()))
    };
    let args = ["-v", "--log-format", "json"];
    let (normal, _, _) = run_case(Case::Fine, &args).await;
    let (oversize, _, _) = run_case(Case::Oversize, &args).await;
    let (bomb, _, _) = run_case(Case::GzipBomb, &args).await;
    let (normal, oversize, bomb) = (peak(&normal), peak(&oversize), peak(&bomb));
    eprintln!("peak RSS: normal {normal} MB, 1 GiB body {oversize} MB, 1 GiB gzip bomb {bomb} MB");
    assert!(
        oversize < normal + 100,
        "normal {normal} MB, 1 GiB body {oversize} MB"
    );
    assert!(
        bomb < normal + 100,
        "normal {normal} MB, gzip bomb {bomb} MB"
    );
}
