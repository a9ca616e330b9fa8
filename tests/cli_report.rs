//! `report` and `reconcile --send` end to end: a real SMTP exchange over loopback (STARTTLS and
//! TLS from the start, with a certificate made for the test), the MIME structure, the chart and the
//! CSV as they arrive, escaping, once-per-run receipts, and the Slack / Teams webhooks with their
//! limits.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::smtp::{SmtpSink, Tls};
use crate::support::*;

const PASSWORD: &str = "s3cret-smtp-pass";
const HOOK_PATH: &str = "/services/T0001/B0001/SECRETPATHTOKEN";

/// An organisation whose table has `<script>` and `=cmd()` rows and `extra` more departed rows,
/// 10 licenses purchased.
fn org(extra: usize, report: &str) -> Scratch {
    let s = Scratch::new();
    let today = chrono::Utc::now().date_naive();
    let mut seed = vec![
        ("ada@acme.example".to_string(), "Ada Lovelace".to_string()),
        (
            "script@acme.example".into(),
            "<script>alert(1)</script>".into(),
        ),
        ("cmd@acme.example".into(), "=cmd()".into()),
    ];
    seed.extend((0..extra).map(|i| {
        (
            format!("dev{i:04}@acme.example"),
            format!("Dev Number{i:04}"),
        )
    }));
    let mut directory = String::from("id,name,email,status\n");
    for (i, (email, name)) in seed.iter().enumerate() {
        let status = if i == 0 { "Active" } else { "Terminated" };
        directory.push_str(&format!("{i},\"{name}\",{email},{status}\n"));
    }
    let rows: Vec<(&str, &str)> = seed.iter().map(|(e, n)| (e.as_str(), n.as_str())).collect();
    s.write(
        "developers.csv",
        &sei_csv(&rows).replace("=cmd()", "\"=cmd()\""),
    );
    s.write("directory.csv", &directory);
    s.write(
        "seatwarden.toml",
        &format!(
            "[subscription]\nlicenses = 10\nperiod_start = \"{}\"\nperiod_end = \"{}\"\nprice_per_license = 480\ncurrency = \"EUR\"\n\n\
             [store]\nurl = \"sqlite://seatwarden.db\"\nseed = \"developers.csv\"\n\n\
             [[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"directory.csv\"\ndirectory = true\n\
             [sources.status]\nactive = [\"Active\"]\ndeparted = [\"Terminated\"]\n\n{report}",
            today - chrono::Duration::days(300),
            today + chrono::Duration::days(65),
        ),
    );
    s
}

fn email_section(port: u16, scheme: &str) -> String {
    format!(
        "[report.email]\nsmtp_url = \"{scheme}://127.0.0.1:{port}\"\ntls = \"required\"\nca_file = \"ca.pem\"\n\
         username_env = \"TEST_SMTP_USER\"\npassword_env = \"TEST_SMTP_PASSWORD\"\n\
         from = \"seatwarden <seatwarden@acme.example>\"\nto = [\"leads@acme.example\", \"ops@acme.example\"]\ntimeout_secs = 10\n"
    )
}

fn webhook_section(format: &str) -> String {
    format!(
        "[report.webhook]\nurl_env = \"TEST_WEBHOOK_URL\"\nformat = \"{format}\"\ntimeout_secs = 10\n"
    )
}

const SMTP_ENV: [(&str, &str); 2] = [
    ("TEST_SMTP_USER", "mailer"),
    ("TEST_SMTP_PASSWORD", PASSWORD),
];

fn assert_no_secret(run: &Run) {
    for text in [run.stdout(), run.stderr()] {
        assert!(!text.contains(PASSWORD), "password shown:\n{text}");
        assert!(
            !text.contains("SECRETPATHTOKEN"),
            "webhook path shown:\n{text}"
        );
    }
}

/// The MIME tree as `type/subtype[children]`.
fn tree(message: &mail_parser::Message<'_>, id: usize) -> String {
    let part = &message.parts[id];
    let ct = part.content_type().map_or("text/plain".to_string(), |c| {
        format!("{}/{}", c.c_type, c.c_subtype.as_deref().unwrap_or(""))
    });
    match &part.body {
        PartType::Multipart(children) => {
            let inner: Vec<String> = children
                .iter()
                .map(|c| tree(message, *c as usize))
                .collect();
            format!("{ct}[{}]", inner.join(","))
        }
        _ => ct,
    }
}

fn part_of<'a>(
    message: &'a mail_parser::Message<'a>,
    content_type: &str,
) -> &'a mail_parser::MessagePart<'a> {
    message
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|c| {
                format!("{}/{}", c.c_type, c.c_subtype.as_deref().unwrap_or("")) == content_type
            })
        })
        .unwrap_or_else(|| panic!("no {content_type} part"))
}

/// The webhook answers POSTs to its path with `status` (the first `times` ones, or all).
async fn hook_answers(hook: &MockServer, status: u16, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path(HOOK_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_string("ok"));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(hook).await,
        None => mock.mount(hook).await,
    }
}

async fn reconcile_then_send(s: &Scratch, env: &[(&str, &str)]) -> Run {
    s.run_async(&["reconcile", "-q"], &[]).await.expect_code(0);
    s.run_async(&["report", "--send"], env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_arrives_over_starttls_with_its_parts_and_escaped_names() {
    let sink = SmtpSink::start(Tls::StartTls).await;
    let s = org(0, &email_section(sink.port, "smtp"));
    s.write("ca.pem", &sink.ca_pem);
    s.run_async(&["reconcile", "-q", "--csv", "run.csv"], &[])
        .await
        .expect_code(0);
    let run = s.run_async(&["report", "--send"], &SMTP_ENV).await;
    run.expect_code(0);
    assert_no_secret(&run);
    assert!(
        run.stdout().contains("sent to 2 recipients"),
        "{}",
        run.stdout()
    );

    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].over_tls, "DATA arrived before STARTTLS");
    assert_eq!(
        got[0].auth.as_deref(),
        Some(format!("\0mailer\0{PASSWORD}").as_str())
    );
    assert_eq!(got[0].to.len(), 2);
    let message = MessageParser::default().parse(&got[0].data).expect("MIME");
    assert_eq!(
        tree(&message, 0),
        "multipart/mixed[multipart/related[multipart/alternative[text/plain,text/html],image/png],text/csv]"
    );
    // 3 rows consume 3 of 10: no overage; the two departed rows are the removals.
    assert_eq!(
        message.subject(),
        Some("SEI licenses: 3 of 10 used · 2 removals would free 2")
    );

    let html = message.body_html(0).expect("html").into_owned();
    assert!(html.len() < 100 * 1024, "{} bytes of HTML", html.len());
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.to_lowercase().contains("<script"),
        "a raw script tag arrived"
    );
    assert!(html.contains("src=\"cid:chart@seatwarden\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "an external reference"
    );

    let image = part_of(&message, "image/png");
    assert_eq!(image.content_id(), Some("chart@seatwarden"));
    let png = image::load_from_memory(image.contents()).expect("the chart decodes");
    assert_eq!((png.width(), png.height()), (1104, 600));

    let text = message.body_text(0).expect("text").into_owned();
    assert!(text.starts_with("SEI licenses: 3 of 10 used"), "{text}");
    assert!(
        text.contains("Departed") && text.contains("<script>alert(1)</script>"),
        "{text}"
    );

    let csv = part_of(&message, "text/csv");
    assert_eq!(csv.attachment_name(), Some("recommendations.csv"));
    assert_eq!(
        csv.contents(),
        bytes(&s.path("run.csv")),
        "the attachment is not the run's --csv file"
    );
    let mut reader = csv::Reader::from_reader(csv.contents());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, seatwarden::report::csv::HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let names: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    assert!(names.contains(&"'=cmd()"), "{names:?}");
    assert!(
        rows.iter()
            .all(|r| &r[3] == "remove" && &r[4] == "departed")
    );

    // The attachment is what `apply` reads: its dry run plans exactly the two removals.
    s.write("attached.csv", std::str::from_utf8(csv.contents()).unwrap());
    let dry = s
        .run_async(&["apply", "attached.csv", "--dry-run", "--force"], &[])
        .await;
    dry.expect_code(0);
    assert!(
        dry.stdout().contains("attached.csv: 2 changes from run"),
        "{}",
        dry.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sends_make_one_email_and_force_resends() {
    let sink = SmtpSink::start(Tls::StartTls).await;
    let s = org(0, &email_section(sink.port, "smtp"));
    s.write("ca.pem", &sink.ca_pem);
    reconcile_then_send(&s, &SMTP_ENV).await.expect_code(0);
    let again = s.run_async(&["report", "--send"], &SMTP_ENV).await;
    again.expect_code(0);
    assert!(
        again.stdout().contains("already sent for run"),
        "{}",
        again.stdout()
    );
    assert_eq!(sink.received().len(), 1, "a second send mailed again");

    let test_send = s
        .run_async(&["report", "--send", "--to", "me@acme.example"], &SMTP_ENV)
        .await;
    test_send.expect_code(0);
    assert_eq!(sink.received()[1].to, ["<me@acme.example>"]);
    s.run_async(&["report", "--send", "--force"], &SMTP_ENV)
        .await
        .expect_code(0);
    assert_eq!(sink.received().len(), 3);

    // A fresh run is a new report: reconcile --send delivers it once.
    s.run_async(&["reconcile", "--send", "-q"], &SMTP_ENV)
        .await
        .expect_code(0);
    assert_eq!(sink.received().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtps_is_tls_from_the_first_byte() {
    let sink = SmtpSink::start(Tls::Implicit).await;
    let s = org(0, &email_section(sink.port, "smtps"));
    s.write("ca.pem", &sink.ca_pem);
    reconcile_then_send(&s, &SMTP_ENV).await.expect_code(0);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].over_tls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused() {
    let sink = SmtpSink::start(Tls::StartTls).await;
    let s = org(
        0,
        &email_section(sink.port, "smtp").replace("ca_file = \"ca.pem\"\n", ""),
    );
    let run = reconcile_then_send(&s, &SMTP_ENV).await;
    run.expect_code(1);
    assert!(sink.received().is_empty());
    assert!(
        run.stderr().contains(&format!("127.0.0.1:{}", sink.port)),
        "{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_channel_exits_1_naming_the_server_and_the_others_still_go() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&hook)
        .await;
    let email = email_section(port, "smtp").replace("ca_file = \"ca.pem\"\n", "");
    let s = org(0, &format!("{email}{}", webhook_section("slack")));
    let url = format!("{}{HOOK_PATH}", hook.uri());
    let env = [SMTP_ENV[0], SMTP_ENV[1], ("TEST_WEBHOOK_URL", url.as_str())];
    let run = reconcile_then_send(&s, &env).await;
    run.expect_code(1);
    assert_no_secret(&run);
    assert!(
        run.stderr().contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr()
    );
    assert!(
        run.stdout().contains("webhook  sent 1 slack message"),
        "{}",
        run.stdout()
    );
    // The retry sends only what failed.
    let retry = s.run_async(&["report", "--send"], &env).await;
    retry.expect_code(1);
    assert!(
        retry.stdout().contains("webhook  already sent"),
        "{}",
        retry.stdout()
    );
    hook.verify().await;
}

fn slack_limits(body: &Value) {
    let blocks = body["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= 50, "{} blocks", blocks.len());
    assert_eq!(blocks[0]["type"], "header");
    assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= 150);
    for b in blocks {
        if let Some(t) = b["text"]["text"].as_str() {
            assert!(
                t.chars().count() <= 3000,
                "a section of {} characters",
                t.chars().count()
            );
        }
    }
}

async fn posted(hook: &MockServer) -> Vec<Value> {
    let requests = hook.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_and_teams_messages_keep_their_limits_with_500_recommendations() {
    let hook = MockServer::start().await;
    hook_answers(&hook, 200, None).await;
    let s = org(498, &webhook_section("slack"));
    let url = format!("{}{HOOK_PATH}", hook.uri());
    let env = [("TEST_WEBHOOK_URL", url.as_str())];
    let run = reconcile_then_send(&s, &env).await;
    run.expect_code(0);
    assert_no_secret(&run);
    let slack = posted(&hook).await;
    assert!(!slack.is_empty());
    let mut all = String::new();
    for message in &slack {
        slack_limits(message);
        all.push_str(&message.to_string());
    }
    assert!(
        all.contains("500 removals would free 500") || all.contains("to review"),
        "{all}"
    );
    // The top rows only, each escaped; the rest is named, not dropped silently.
    assert!(
        all.contains("Dev Number0") && all.contains("&lt;dev0") && !all.contains("<dev0"),
        "unescaped row: {all}"
    );
    assert!(all.contains("… and 492 more"), "{all}");
    assert!(all.contains("more: every recommendation is in the recommendations.csv"));

    s.write(
        "seatwarden.toml",
        &std::fs::read_to_string(s.config())
            .unwrap()
            .replace("format = \"slack\"", "format = \"teams\""),
    );
    s.run_async(&["report", "--send", "--force"], &env)
        .await
        .expect_code(0);
    let teams: Vec<Value> = posted(&hook).await.split_off(slack.len());
    assert!(!teams.is_empty());
    for message in &teams {
        assert!(
            message.to_string().len() < 28 * 1024,
            "{} bytes",
            message.to_string().len()
        );
        assert_eq!(message["type"], "message");
        let card = &message["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(card["content"]["version"], "1.4");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_5xx_is_not_repeated_and_the_next_send_tries_again() {
    let hook = MockServer::start().await;
    hook_answers(&hook, 503, Some(1)).await;
    hook_answers(&hook, 200, None).await;
    let s = org(0, &webhook_section("json"));
    let url = format!("{}{HOOK_PATH}", hook.uri());
    let env = [("TEST_WEBHOOK_URL", url.as_str())];
    let first = reconcile_then_send(&s, &env).await;
    first.expect_code(1);
    assert_no_secret(&first);
    assert!(
        first.stderr().contains("503") && first.stderr().contains(&hook.uri()),
        "{}",
        first.stderr()
    );
    assert_eq!(posted(&hook).await.len(), 1, "the 503 was retried");
    s.run_async(&["report", "--send"], &env)
        .await
        .expect_code(0);
    let bodies = posted(&hook).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(bodies[1]["usage"]["consumed_after"], 3);
}

#[test]
fn report_json_has_one_history_entry_per_stored_run_oldest_first() {
    let s = org(2, "");
    s.run(&["reconcile", "-q"]).expect_code(0);
    s.run(&["reconcile", "-q"]).expect_code(0);
    let run = s.run(&["report", "--json", "-"]);
    run.expect_code(0);
    let v: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let history = v["history"].as_array().expect("history");
    assert_eq!(history.len(), 2);
    assert!(history[0]["finished_at"].as_str() <= history[1]["finished_at"].as_str());
    assert_eq!(history[1]["run_id"], v["run"]["id"]);
    for key in [
        "consumed",
        "licenses_purchased",
        "overage",
        "duplicates",
        "recommendations",
    ] {
        assert!(history[1][key].is_u64(), "{key}");
    }
    assert_eq!(history[1]["recommendations"], 4);
    assert!(v.get("developers").is_none());
    let text = s.run(&["report", "--text"]);
    text.expect_code(0);
    assert!(
        text.stdout()
            .starts_with("SEI licenses: 5 of 10 used · 4 removals would free 4\n"),
        "{}",
        text.stdout()
    );
    assert!(
        text.stdout().contains("attached recommendations.csv")
            || text.stdout().contains("Departed")
    );
    assert_eq!(v["usage"]["consumed_after"], 5);
}

#[test]
fn report_without_a_stored_run_says_so_and_tls_none_off_loopback_is_refused() {
    let s = org(0, "");
    let run = s.run(&["report"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("no stored run yet"),
        "{}",
        run.stderr()
    );
    let s = org(
        0,
        &email_section(25, "smtp")
            .replace("127.0.0.1", "smtp.acme.example")
            .replace("\"required\"", "\"none\""),
    );
    let run = s.run(&["report"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("report.email.tls"),
        "{}",
        run.stderr()
    );
}
