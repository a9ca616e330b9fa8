//! Microsoft Teams and Slack: the weekly report of a large organisation (every reason, hundreds
//! of recommendations, names full of markup, two display names of 4,000 characters) posted through
//! both webhooks. Every Adaptive Card must validate against the official Adaptive Card 1.4 JSON
//! schema (`adaptivecards/adaptive-card-1.4.json`), every Slack message keep the limits of Block
//! Kit's reference pages (`slack/block-kit-limits.json`).

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const PEOPLE: usize = 700;

/// A display name with every character either platform treats as markup, and the title and
/// office some directories append to it.
fn display_name(i: usize) -> String {
    format!(
        "Zoë *{i:04}* <b>Ñúñez</b> & [Ü](x) `sh` _Lovelace_ ~Montgomery~ #{i} (Staff Software \
         Engineer · Platform Infrastructure and Developer Experience · Lisbon office · on loan \
         to Payments and Risk Engineering until the end of the quarter · cost centre 4711 Engineering \
         Productivity)"
    )
}

/// Seed rows, a directory and a code host for `PEOPLE` people, one reason in six each:
/// departed, excluded department, duplicate, bot, unseen (a review), or fine; seven are inactive,
/// among them two whose display names are 4,000 characters long.
fn large_org(webhook: &str) -> Scratch {
    let today = chrono::Utc::now().date_naive();
    let recent = today - chrono::Duration::days(3);
    let old = today - chrono::Duration::days(400);
    let mut seed =
        String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    let mut directory =
        String::from("ID,Name,Email,Secondary Email,Title,Department,Status,Hired\n");
    let mut users = Vec::new();
    let row = |email: &str, name: &str| format!("{email},,{name},Engineer,,,,Engineering\n");
    for i in 0..PEOPLE {
        let email = format!("person{i:04}@acme.example");
        let mut name = display_name(i);
        let inactive = i == 0 || i % 120 == 5;
        if i == 0 || i == 5 {
            // A directory that pastes a biography into the name field.
            name.push_str(&" Engineer since the punched-card days".repeat(110));
        }
        let (status, department) = match i % 6 {
            0 if !inactive => ("Deprovisioned", "Engineering"),
            1 => ("Active", "Sales"),
            3 => {
                let bot = format!("ci-runner{i}");
                seed.push_str(&row(
                    &format!("{bot}@acme.example"),
                    &format!("CI Runner {i}"),
                ));
                users.push(
                    json!({"id": 90000 + i, "username": bot, "name": format!("CI Runner {i}"),
                                  "email": format!("{bot}@acme.example"), "bot": true,
                                  "last_activity_on": recent.to_string()}),
                );
                continue;
            }
            4 => {
                seed.push_str(&row(&email, &name));
                continue;
            }
            _ => ("Active", "Engineering"),
        };
        seed.push_str(&row(&email, &name));
        let mut secondary = String::new();
        if i % 6 == 2 {
            secondary = format!("alias{i:04}@acme.example");
            seed.push_str(&row(
                &secondary,
                &format!("{} (old account)", display_name(i)),
            ));
        }
        directory.push_str(&format!(
            "E{i},{name},{email},{secondary},Engineer,{department},{status},2020-01-06\n"
        ));
        let last = if inactive { old } else { recent };
        users.push(json!({"id": 10000 + i, "username": format!("user{i}"), "name": name, "email": email,
                          "bot": false, "last_activity_on": last.to_string(), "created_at": "2020-01-06"}));
    }
    let s = Scratch::new();
    s.write("developers.csv", &seed);
    s.write("directory.csv", &directory);
    s.write("codehost.json", &json!({"users": users}).to_string());
    s.write(
        "seatwarden.toml",
        &format!(
            "[subscription]\nlicenses = 100\nprice_per_license = 480\ncurrency = \"EUR\"\n\n\
             [store]\nurl = \"sqlite://seatwarden.db\"\nseed = \"developers.csv\"\n\n\
             [policy]\ninactive_after_days = 90\nexclude_departments = [\"Sales\"]\n\n\
             [[sources]]\nname = \"directory\"\nkind = \"csv\"\nurl = \"directory.csv\"\ndirectory = true\n\
             [sources.columns]\nid = \"ID\"\nname = \"Name\"\nemail = \"Email\"\nemails = \"Secondary Email\"\n\
             title = \"Title\"\ndepartment = \"Department\"\nstatus = \"Status\"\ncreated_at = \"Hired\"\n\
             [sources.status]\nactive = [\"Active\"]\ndeparted = [\"Deprovisioned\"]\n\n\
             [[sources]]\nname = \"codehost\"\nkind = \"json\"\nurl = \"codehost.json\"\nrecords = \"/users\"\n\
             [sources.fields]\nid = \"/id\"\nlogin = \"/username\"\nname = \"/name\"\nemail = \"/email\"\n\
             last_activity = \"/last_activity_on\"\ncreated_at = \"/created_at\"\nbot = \"/bot\"\n\n\
             [report.webhook]\nurl_env = \"CHAT_WEBHOOK_URL\"\nformat = \"{webhook}\"\ntimeout_secs = 10\n"
        ),
    );
    s
}

/// Reconcile the large organisation and send its report to a webhook in `format`: the bodies
/// posted, in order.
async fn posted(format: &str) -> Vec<Value> {
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("1"))
        .mount(&hook)
        .await;
    let s = large_org(format);
    s.run_async(&["reconcile", "-q"], &[]).await.expect_code(0);
    let url = format!("{}/webhook", hook.uri());
    s.run_async(&["report", "--send"], &[("CHAT_WEBHOOK_URL", url.as_str())])
        .await
        .expect_code(0);
    let bodies: Vec<Value> = hook
        .received_requests()
        .await
        .expect("recording")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect();
    assert!(!bodies.is_empty(), "nothing posted");
    bodies
}

/// The one property Teams reads outside the Adaptive Card schema: `msteams.width = "Full"`
/// ("Format cards in Microsoft Teams", "Full width Adaptive Card",
/// learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format). It must
/// be exactly that, and comes off before the card meets the schema; nothing else is allowed.
fn without_teams_width(mut card: Value) -> Value {
    if let Some(extension) = card.as_object_mut().and_then(|c| c.remove("msteams")) {
        assert_eq!(extension, json!({"width": "Full"}), "msteams holds more");
    }
    card
}

/// Every way `card` departs from the Adaptive Card 1.4 schema, each cut to a readable length.
fn schema_departures(validator: &jsonschema::Validator, card: &Value) -> Vec<String> {
    validator
        .iter_errors(card)
        .map(|e| {
            let message: String = e.to_string().chars().take(300).collect();
            format!("at `{}`: {message}", e.instance_path())
        })
        .collect()
}

fn adaptive_card_validator() -> jsonschema::Validator {
    let mut schema = fixture_json("adaptivecards/adaptive-card-1.4.json");
    // The root is `anyOf: [{allOf: [{$ref: AdaptiveCard}]}]`: the same as the `$ref` alone, which
    // lets a failure name the element it is in instead of the whole card.
    assert_eq!(
        schema["anyOf"],
        json!([{"allOf": [{"$ref": "#/definitions/AdaptiveCard"}]}])
    );
    let root = schema.as_object_mut().expect("an object");
    root.remove("anyOf");
    root.insert("$ref".into(), json!("#/definitions/AdaptiveCard"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft6)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the Adaptive Card schema compiles")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_teams_card_of_a_large_report_validates_against_the_adaptive_card_1_4_schema() {
    let validator = adaptive_card_validator();
    let messages = posted("teams").await;
    assert!(
        messages.len() > 1,
        "the large report fit one card of {} bytes: the split is not exercised\n{:#}",
        messages[0].to_string().len(),
        messages[0]
    );
    let mut all = String::new();
    for (n, message) in messages.iter().enumerate() {
        let size = message.to_string().len();
        assert!(size <= 28 * 1024, "message {n}: {size} bytes");
        assert_eq!(message["type"], "message");
        let attachments = message["attachments"].as_array().expect("attachments");
        assert_eq!(attachments.len(), 1);
        assert_eq!(
            attachments[0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = without_teams_width(attachments[0]["content"].clone());
        assert_eq!(card["version"], "1.4");
        let departures = schema_departures(&validator, &card);
        assert!(
            departures.is_empty(),
            "card {n} departs from the schema:\n{}",
            departures.join("\n")
        );
        all.push_str(&card.to_string());
    }
    // Markdown in names is escaped, and what does not fit is counted, not dropped.
    assert!(
        all.contains("Zoë \\\\*0") && !all.contains("Zoë *0"),
        "unescaped name"
    );
    assert!(all.contains("… and "), "no count of the rows left out");
}

/// The mutation the schema must catch: a misspelt property, a wrong enum value.
#[test]
fn the_adaptive_card_schema_refuses_what_teams_would_not_read() {
    let validator = adaptive_card_validator();
    let good = json!({"type": "AdaptiveCard", "version": "1.4",
                      "body": [{"type": "TextBlock", "text": "hi", "wrap": true, "weight": "Bolder"}]});
    assert!(schema_departures(&validator, &good).is_empty());
    for bad in [
        json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "hi", "wrapp": true}]}),
        json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "hi", "weight": "Heavy"}]}),
        json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "FactSet", "facts": [{"title": "a"}]}]}),
        json!({"type": "AdaptiveCard", "version": "1.4", "msteams": {"width": "Full"}, "body": []}),
    ] {
        assert!(
            !schema_departures(&validator, &bad).is_empty(),
            "accepted: {bad}"
        );
    }
}

fn limit(limits: &Value, object: &str, key: &str) -> usize {
    limits[object][key].as_u64().expect("a limit") as usize
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |t| t.chars().count())
}

/// How a text object departs from its type and length limits (`max`: the field's own).
fn text_departures(limits: &Value, what: &str, t: &Value, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let known = limits["text_object"]["types"].as_array().expect("types");
    if !known.contains(&t["type"]) {
        out.push(format!("{what}: text type {}", t["type"]));
    }
    let n = chars(&t["text"]);
    if n < limit(limits, "text_object", "text_min") || n > max {
        out.push(format!("{what}: {n} characters (limit {max})"));
    }
    out
}

/// How one block departs from the limits of its type.
fn block_departures(limits: &Value, i: usize, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let items = |key: &str| b[key].as_array().cloned().unwrap_or_default();
    match b["type"].as_str() {
        Some("header") => {
            if b["text"]["type"] != limits["header"]["text_type"] {
                out.push(format!("block {i}: header text is {}", b["text"]["type"]));
            }
            let max = limit(limits, "header", "text_max");
            out.extend(text_departures(
                limits,
                &format!("block {i} header"),
                &b["text"],
                max,
            ));
        }
        Some("section") => {
            let fields = items("fields");
            if !b["text"].is_null() {
                let max = limit(limits, "section", "text_max");
                out.extend(text_departures(
                    limits,
                    &format!("block {i} section"),
                    &b["text"],
                    max,
                ));
            } else if fields.is_empty() {
                out.push(format!("block {i}: a section with neither text nor fields"));
            }
            if fields.len() > limit(limits, "section", "fields_max") {
                out.push(format!("block {i}: {} fields", fields.len()));
            }
            let max = limit(limits, "section", "field_text_max");
            for (j, f) in fields.iter().enumerate() {
                out.extend(text_departures(
                    limits,
                    &format!("block {i} field {j}"),
                    f,
                    max,
                ));
            }
        }
        Some("context") => {
            let elements = items("elements");
            if elements.is_empty() || elements.len() > limit(limits, "context", "elements_max") {
                out.push(format!("block {i}: {} context elements", elements.len()));
            }
            let max = limit(limits, "text_object", "text_max");
            for (j, e) in elements.iter().enumerate() {
                out.extend(text_departures(
                    limits,
                    &format!("block {i} element {j}"),
                    e,
                    max,
                ));
            }
        }
        other => out.push(format!(
            "block {i}: a block of type {other:?} this check does not know"
        )),
    }
    out
}

/// Every way one Slack message departs from Block Kit's documented limits.
fn block_kit_departures(limits: &Value, message: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if chars(&message["text"]) > limit(limits, "message", "text_max") {
        out.push(format!("text: {} characters", chars(&message["text"])));
    }
    let blocks = message["blocks"].as_array().cloned().unwrap_or_default();
    if blocks.len() > limit(limits, "message", "blocks_max") {
        out.push(format!("{} blocks", blocks.len()));
    }
    for (i, b) in blocks.iter().enumerate() {
        out.extend(block_departures(limits, i, b));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slack_message_of_a_large_report_keeps_block_kits_limits() {
    let limits = fixture_json("slack/block-kit-limits.json");
    let messages = posted("slack").await;
    assert!(
        messages.len() > 1,
        "the large report fit one message: the 50 blocks are not exercised"
    );
    let mut all = String::new();
    let mut longest_section = 0;
    for (n, message) in messages.iter().enumerate() {
        let departures = block_kit_departures(&limits, message);
        assert!(
            departures.is_empty(),
            "message {n}:\n{}",
            departures.join("\n")
        );
        assert_eq!(
            message["blocks"][0]["type"], "header",
            "message {n} opens without its header"
        );
        for b in message["blocks"].as_array().expect("blocks") {
            longest_section =
                longest_section.max(b["text"]["text"].as_str().map_or(0, |t| t.chars().count()));
        }
        all.push_str(&message.to_string());
    }
    // The 4,000-character name was cut at the section limit, not dropped or sent whole.
    assert_eq!(longest_section, 3000, "the section limit was not reached");
    assert!(
        all.contains("&lt;b&gt;Ñúñez&lt;/b&gt; &amp;"),
        "unescaped name"
    );
    assert!(!all.contains("<b>"), "raw markup reached Slack");
    assert!(all.contains("… and "), "no count of the rows left out");
}

#[test]
fn a_message_past_block_kits_limits_is_a_departure() {
    let limits = fixture_json("slack/block-kit-limits.json");
    let section = |t: &str| json!({"type": "section", "text": {"type": "mrkdwn", "text": t}});
    let mut blocks =
        vec![json!({"type": "header", "text": {"type": "mrkdwn", "text": "x".repeat(151)}})];
    blocks.push(section(&"y".repeat(3001)));
    blocks.push(section(""));
    blocks.extend((0..48).map(|_| section("ok")));
    let found = block_kit_departures(&limits, &json!({"text": "t", "blocks": blocks}));
    for want in [
        "51 blocks",
        "header text is \"mrkdwn\"",
        "block 0 header: 151 characters",
        "block 1 section: 3001",
        "block 2 section: 0",
    ] {
        assert!(
            found.iter().any(|f| f.contains(want)),
            "{want} not found in {found:#?}"
        );
    }
}
