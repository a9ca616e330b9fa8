//! The weekly report of the demo organisation (`tests/fixtures/report/demo.json`) with `today`
//! fixed: snapshots of the text part and the Slack blocks, and what the HTML must and must not hold.

use chrono::NaiveDate;

use crate::config::Pricing;
use crate::model::Developer;
use crate::report::json::Report;
use crate::report::weekly::{self, HistoryEntry, Inputs, Weekly};
use crate::report::weekly_text::{self, Medium};
use crate::report::{chat, email};

const DEMO: &str = include_str!("../../tests/fixtures/report/demo.json");

fn demo() -> (Report, Vec<Developer>) {
    let value: serde_json::Value = serde_json::from_str(DEMO).unwrap();
    let report: Report = serde_json::from_value(value.clone()).unwrap();
    let table = value["developers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            Developer::named(
                d["id"].as_str().unwrap().into(),
                d["name"].as_str().unwrap().into(),
                d["email"].as_str().unwrap().into(),
                serde_json::from_value(d["status"].clone()).unwrap(),
            )
        })
        .collect();
    (report, table)
}

/// Eleven earlier weekly runs climbing to the demo's, then the demo's own run.
fn history(latest: &Report) -> Vec<HistoryEntry> {
    let consumed = [25, 26, 26, 27, 28, 28, 29, 30, 31, 31, 31];
    let mut out: Vec<HistoryEntry> = consumed
        .iter()
        .enumerate()
        .map(|(i, c)| HistoryEntry {
            run_id: format!("run-{i}"),
            finished_at: format!(
                "{}T05:00:00Z",
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
                    - chrono::Duration::days(7 * (11 - i as i64))
            ),
            consumed: *c,
            licenses_purchased: Some(28),
            overage: c.saturating_sub(28),
            duplicates: 4,
            recommendations: 12,
        })
        .collect();
    out.push(HistoryEntry {
        run_id: latest.run.id.clone(),
        finished_at: latest.run.finished_at.clone(),
        consumed: latest.usage.consumed_after,
        licenses_purchased: latest.subscription.licenses_purchased,
        overage: latest.usage.overage,
        duplicates: 4,
        recommendations: latest.recommendations.len() as u64,
    });
    out
}

fn weekly_of(report: &Report, previous: Option<&Report>, table: &[Developer]) -> Weekly {
    let pricing = Pricing {
        price_per_license: 480.0,
        currency: "USD".into(),
    };
    weekly::build(&Inputs {
        latest: report,
        previous,
        history: &history(report),
        table,
        today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        weeks: 12,
        pricing: Some(&pricing),
    })
}

/// The run before the demo's: two fewer recommendations.
fn previous(report: &Report) -> Report {
    let mut p = report.clone();
    p.run.id = "20261124T050000Z-demo00".into();
    p.run.finished_at = "2026-11-24T05:00:02Z".into();
    p.recommendations.truncate(p.recommendations.len() - 2);
    p
}

#[test]
fn demo_text_part() {
    let (report, table) = demo();
    let w = weekly_of(&report, Some(&previous(&report)), &table);
    insta::assert_snapshot!(weekly_text::render(&w, Medium::Email));
}

#[test]
fn demo_slack_blocks() {
    let (report, table) = demo();
    let w = weekly_of(&report, Some(&previous(&report)), &table);
    let messages = chat::slack(&w);
    assert_eq!(messages.len(), 1);
    insta::assert_snapshot!(serde_json::to_string_pretty(&messages[0]).unwrap());
}

#[test]
fn the_demo_forecast_is_the_least_squares_line_to_the_period_end() {
    let (report, table) = demo();
    let w = weekly_of(&report, None, &table);
    let f = w.forecast.clone().unwrap();
    // 12 weekly points from 25 to 34: slope ≈ 0.76 a week; 30 days to 2026-12-31 adds ≈ 3.3.
    assert_eq!(f.runs, 12);
    assert!((f.per_week - 0.76).abs() < 0.05, "{}", f.per_week);
    assert_eq!(f.end, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    assert!((35..=37).contains(&f.at_end), "{}", f.at_end);
    assert_eq!(
        w.subject(),
        "SEI licenses: 34 of 28 used (+6 over) · 12 removals would free 12 · 2 to review"
    );
}

#[test]
fn the_demo_html_is_small_scriptless_and_escapes_every_value() {
    let (mut report, table) = demo();
    report.recommendations[0].name = Some("<img src=x onerror=alert(1)>".into());
    report.sources[0].error = Some("boom & <b>bust</b>".into());
    let w = weekly_of(&report, None, &table);
    let html = email::render(&w, "cid:chart@seatwarden");
    assert!(html.len() < 100 * 1024);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("boom &amp; &lt;b&gt;bust&lt;/b&gt;"));
    let lower = html.to_lowercase();
    for banned in [
        "<script", "<link", "<style", "http://", "https://", "@import",
    ] {
        assert!(!lower.contains(banned), "{banned}");
    }
    assert_eq!(lower.matches("<img ").count(), 1);
}

#[test]
fn a_quiet_week_has_a_calm_subject() {
    let (mut report, table) = demo();
    report.recommendations.clear();
    report.usage.consumed_after = 20;
    report.usage.consumed_if_applied = 20;
    report.usage.overage = 0;
    let w = weekly_of(&report, None, &table);
    assert_eq!(
        w.subject(),
        "SEI licenses: 20 of 28 used · nothing to do this week"
    );
    assert!(
        w.license_box()
            .contains(&("Headroom", "8 free".to_string()))
    );
}

#[test]
fn a_long_list_is_split_over_slack_and_teams_messages_within_their_limits() {
    let (mut report, table) = demo();
    // Long evidence on every row: the top rows no longer fit one message.
    for r in &mut report.recommendations {
        r.evidence = (0..6)
            .map(|i| format!("{i}: {}", "evidence ".repeat(120)))
            .collect();
    }
    let w = weekly_of(&report, None, &table);
    let slack = chat::slack(&w);
    assert!(slack.len() > 1, "{} messages", slack.len());
    let mut text = String::new();
    for m in &slack {
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks.len() <= chat::SLACK_MAX_BLOCKS);
        for b in blocks {
            let t = b["text"]["text"].as_str().unwrap_or("");
            assert!(t.chars().count() <= chat::SLACK_MAX_SECTION);
            text.push_str(t);
        }
    }
    // Every row shown is there whole, across the messages.
    for g in &w.groups {
        for r in &g.rows {
            let who = r.who.replace('<', "&lt;").replace('>', "&gt;");
            assert!(text.contains(&who), "{who} missing");
        }
    }
    let teams = chat::teams(&w);
    assert!(teams.len() > 1);
    assert!(
        teams
            .iter()
            .all(|m| m.to_string().len() < chat::TEAMS_MAX_BYTES)
    );
}

#[test]
fn a_failed_source_comes_first_with_its_error_and_is_in_the_subject() {
    let (mut report, table) = demo();
    report.sources[2].status = crate::model::SourceStatus::Failed;
    report.sources[2].error = Some("codehost: HTTP 503".into());
    report.run.status = crate::model::RunStatus::Degraded;
    let w = weekly_of(&report, None, &table);
    assert_eq!(w.sources[0].name, "codehost");
    assert!(
        w.subject().ends_with(" · 1 source failed"),
        "{}",
        w.subject()
    );
    let text = weekly_text::render(&w, Medium::Email);
    assert!(
        text.contains("FAILED  codehost (json): 28 records\n          codehost: HTTP 503"),
        "{text}"
    );
    assert!(text.contains("status degraded"));
}

#[test]
fn the_license_box_shows_activity_coverage_and_withheld_additions() {
    let (mut report, table) = demo();
    report.usage.activity_unknown = 7;
    report.usage.withheld = 2;
    let w = weekly_of(&report, None, &table);
    let rows = w.license_box();
    let value = |label: &str| {
        rows.iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        value("Activity").as_deref(),
        Some(
            format!(
                "unknown for 7 of {} rows: no source reports their activity, so none is called inactive",
                report.usage.consumed_after
            )
            .as_str()
        )
    );
    assert_eq!(
        value("Withheld").as_deref(),
        Some(
            "2 people found in the tools not added: each may already have a row; a person decides"
        )
    );
    let text = weekly_text::render(&w, Medium::Email);
    assert!(text.contains("unknown for 7 of"), "{text}");
}

#[test]
fn a_run_stored_before_the_coverage_figures_shows_no_coverage_line() {
    let (report, table) = demo();
    let w = weekly_of(&report, None, &table);
    assert!(
        w.license_box()
            .iter()
            .all(|(l, _)| *l != "Activity" && *l != "Withheld")
    );
}
