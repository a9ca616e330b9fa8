//! The weekly report as chat messages: Slack Block Kit and a Microsoft Teams Adaptive Card 1.4 in
//! the Workflows webhook envelope. Both lay out the same pieces (headline, license figures,
//! forecast and money, sources, changes, the top rows of each reason).
//!
//! Never breaks a platform limit and never drops text silently: Slack messages keep to 50 blocks,
//! section text to 3,000 characters and the header to 150; a Teams message stays under 28 KB.
//! What does not fit goes into the next message (marked "continued"). Source values are escaped
//! (`<`, `>`, `&` for Slack; markdown characters for Teams). Pure.

use serde_json::{Value, json};

use crate::report::weekly::{Group, TOP_CHANGES, Weekly, reason_title, thousands};

/// Slack's limits (Block Kit reference): blocks per message, section text, header text.
pub const SLACK_MAX_BLOCKS: usize = 50;
pub const SLACK_MAX_SECTION: usize = 3000;
pub const SLACK_MAX_HEADER: usize = 150;
/// Characters of text per Slack message we allow ourselves (Slack's own limit is far above).
const SLACK_MESSAGE_BUDGET: usize = 12_000;
/// Teams' Workflows webhook refuses messages over 28 KB; keep a margin for the envelope.
pub const TEAMS_MAX_BYTES: usize = 28 * 1024;
const TEAMS_BUDGET: usize = 26 * 1024;

/// One piece of the message, before a platform lays it out.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// A bold line that opens a part.
    Heading(String),
    /// Text (one paragraph or a list of lines), already escaped for the platform.
    Text(String),
    /// Label / value pairs.
    Facts(Vec<(String, String)>),
    /// Small print.
    Note(String),
}

/// How a platform escapes a source value and marks bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    Slack,
    Teams,
}

impl Markup {
    fn escape(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match (self, c) {
                (Markup::Slack, '&') => out.push_str("&amp;"),
                (Markup::Slack, '<') => out.push_str("&lt;"),
                (Markup::Slack, '>') => out.push_str("&gt;"),
                (Markup::Teams, '*' | '_' | '[' | ']' | '`' | '~' | '\\' | '#') => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out
    }

    fn bold(self, text: &str) -> String {
        match self {
            Markup::Slack => format!("*{text}*"),
            Markup::Teams => format!("**{text}**"),
        }
    }
}

fn pieces(w: &Weekly, m: Markup) -> Vec<Piece> {
    let mut out = vec![Piece::Text(m.escape(&headline_detail(w)))];
    out.push(Piece::Facts(
        w.license_box()
            .into_iter()
            .map(|(l, v)| (l.to_string(), v))
            .collect(),
    ));
    let mut notes: Vec<String> = w.forecast_phrase().into_iter().collect();
    notes.extend(w.money_phrases().unwrap_or_default());
    if !notes.is_empty() {
        out.push(Piece::Note(m.escape(&notes.join(" "))));
    }
    out.push(Piece::Heading("Sources".into()));
    out.push(Piece::Text(sources_text(w, m)));
    out.push(Piece::Heading(match &w.changes.previous_at {
        Some(at) => format!("Since the previous run ({at})"),
        None => "Changes (first stored run)".into(),
    }));
    out.push(Piece::Text(changes_text(w, m)));
    for g in &w.groups {
        out.extend(group_pieces(g, m));
    }
    out
}

fn headline_detail(w: &Weekly) -> String {
    if w.all_clear() {
        return "Nothing needs doing this week: no recommendations, every source healthy.".into();
    }
    w.action_phrases().join(" · ")
}

fn sources_text(w: &Weekly, m: Markup) -> String {
    let lines: Vec<String> = w
        .sources
        .iter()
        .map(|s| {
            let mut line = format!(
                "{} {} ({}): {} records",
                m.bold(s.status.as_str()),
                m.escape(&s.name),
                m.escape(&s.kind),
                thousands(s.records)
            );
            if let Some(e) = &s.error {
                line.push_str(" — ");
                line.push_str(&m.escape(e));
            }
            line
        })
        .collect();
    lines.join("\n")
}

fn changes_text(w: &Weekly, m: Markup) -> String {
    let c = &w.changes;
    let mut lists = vec![("added", &c.added)];
    if c.previous_at.is_some() {
        lists.push(("removed or merged as recommended", &c.applied));
        lists.push(("newly recommended", &c.newly_recommended));
    }
    let lines: Vec<String> = lists
        .into_iter()
        .map(|(label, list)| {
            let mut shown: Vec<String> =
                list.iter().take(TOP_CHANGES).map(|n| m.escape(n)).collect();
            if list.len() > TOP_CHANGES {
                shown.push(format!("and {} more", list.len() - TOP_CHANGES));
            }
            let names = if shown.is_empty() {
                String::new()
            } else {
                format!(": {}", shown.join(", "))
            };
            format!("{} {label}{names}", thousands(list.len() as u64))
        })
        .collect();
    lines.join("\n")
}

fn group_pieces(g: &Group, m: Markup) -> Vec<Piece> {
    let mut out = vec![Piece::Heading(format!(
        "{} ({})",
        reason_title(g.reason),
        thousands(g.total as u64)
    ))];
    for r in &g.rows {
        let mut line = format!("{} {}", m.bold(r.action.as_str()), m.escape(&r.who));
        if let Some(i) = &r.into {
            line.push_str(&format!(" → keep {}", m.escape(i)));
        }
        line.push_str(&format!(" [{:.2}]", r.confidence));
        for e in &r.evidence {
            line.push_str("\n    · ");
            line.push_str(&m.escape(e));
        }
        out.push(Piece::Text(line));
    }
    if g.total > g.rows.len() {
        out.push(Piece::Note(format!(
            "… and {} more: every recommendation is in the recommendations.csv attached to the email (or `seatwarden report --json`).",
            thousands((g.total - g.rows.len()) as u64)
        )));
    }
    out
}

/// Cut `text` into pieces of at most `max` characters, at line ends where possible.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let mut line = line.to_string();
        while line.chars().count() > max {
            let cut: String = line.chars().take(max).collect();
            line = line.chars().skip(max).collect();
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            out.push(cut);
        }
        let extra = if current.is_empty() { 0 } else { 1 };
        if current.chars().count() + extra + line.chars().count() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn slack_blocks(piece: &Piece) -> Vec<Value> {
    let section = |t: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": t}});
    match piece {
        Piece::Heading(h) => vec![section(format!("*{}*", Markup::Slack.escape(h)))],
        Piece::Text(t) => chunks(t, SLACK_MAX_SECTION)
            .into_iter()
            .map(section)
            .collect(),
        Piece::Note(t) => chunks(t, SLACK_MAX_SECTION)
            .into_iter()
            .map(|t| json!({"type": "context", "elements": [{"type": "mrkdwn", "text": t}]}))
            .collect(),
        Piece::Facts(facts) => {
            let fields: Vec<Value> = facts
                .iter()
                .map(|(l, v)| json!({"type": "mrkdwn", "text": format!("*{l}*\n{}", Markup::Slack.escape(v))}))
                .collect();
            // A section holds at most 10 fields.
            fields
                .chunks(10)
                .map(|f| json!({"type": "section", "fields": f}))
                .collect()
        }
    }
}

/// Each message's title: the subject, numbered `(2/3)` when there are several.
fn numbered(subject: &str, total: usize) -> Vec<String> {
    if total == 1 {
        return vec![subject.to_string()];
    }
    (1..=total)
        .map(|i| format!("({i}/{total}) {subject}"))
        .collect()
}

fn block_chars(b: &Value) -> usize {
    b.to_string().len()
}

/// The Slack messages (Block Kit payloads for an incoming webhook), in order.
pub fn slack(w: &Weekly) -> Vec<Value> {
    let subject = w.subject();
    let mut messages: Vec<Vec<Value>> = vec![Vec::new()];
    let mut used = 0;
    for piece in pieces(w, Markup::Slack) {
        for block in slack_blocks(&piece) {
            let current = messages.last().map_or(0, Vec::len);
            // One block stays free for the header every message starts with.
            if current + 1 >= SLACK_MAX_BLOCKS || used + block_chars(&block) > SLACK_MESSAGE_BUDGET
            {
                messages.push(Vec::new());
                used = 0;
            }
            used += block_chars(&block);
            if let Some(m) = messages.last_mut() {
                m.push(block);
            }
        }
    }
    let titles = numbered(&subject, messages.len());
    messages
        .into_iter()
        .zip(titles)
        .map(|(blocks, title)| {
            let mut all = vec![json!({"type": "header", "text": {"type": "plain_text", "text": clip(&title, SLACK_MAX_HEADER), "emoji": false}})];
            all.extend(blocks);
            json!({"text": title, "blocks": all})
        })
        .collect()
}

fn teams_elements(piece: &Piece) -> Vec<Value> {
    let text = |t: &str, extra: Value| {
        let mut v = json!({"type": "TextBlock", "text": t, "wrap": true});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    match piece {
        Piece::Heading(h) => vec![text(
            &Markup::Teams.escape(h),
            json!({"weight": "Bolder", "spacing": "Medium"}),
        )],
        Piece::Text(t) => chunks(t, 4000).iter().map(|c| text(c, json!({}))).collect(),
        Piece::Note(t) => vec![text(t, json!({"isSubtle": true, "size": "Small"}))],
        Piece::Facts(facts) => vec![json!({
            "type": "FactSet",
            "facts": facts.iter().map(|(l, v)| json!({"title": l, "value": Markup::Teams.escape(v)})).collect::<Vec<_>>()
        })],
    }
}

fn teams_message(title: &str, body: Vec<Value>) -> Value {
    let mut all = vec![
        json!({"type": "TextBlock", "text": Markup::Teams.escape(title), "size": "Large", "weight": "Bolder", "wrap": true}),
    ];
    all.extend(body);
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": all
            }
        }]
    })
}

/// The Teams messages (Workflows webhook envelopes, each under 28 KB), in order.
pub fn teams(w: &Weekly) -> Vec<Value> {
    let subject = w.subject();
    let mut bodies: Vec<Vec<Value>> = vec![Vec::new()];
    let mut used = 0;
    for piece in pieces(w, Markup::Teams) {
        for element in teams_elements(&piece) {
            let size = element.to_string().len();
            if used + size > TEAMS_BUDGET && bodies.last().is_some_and(|b| !b.is_empty()) {
                bodies.push(Vec::new());
                used = 0;
            }
            used += size;
            if let Some(b) = bodies.last_mut() {
                b.push(element);
            }
        }
    }
    let titles = numbered(&subject, bodies.len());
    bodies
        .into_iter()
        .zip(titles)
        .map(|(body, title)| teams_message(&title, body))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_every_character_and_the_limit() {
        let long = format!("{}\n{}\nshort", "a".repeat(7000), "b".repeat(10));
        let parts = chunks(&long, 3000);
        assert!(parts.iter().all(|p| p.chars().count() <= 3000));
        let joined: String = parts.concat();
        assert_eq!(joined.replace('\n', ""), long.replace('\n', ""));
    }

    #[test]
    fn slack_escapes_control_characters_and_teams_markdown() {
        assert_eq!(
            Markup::Slack.escape("<!channel> & <x>"),
            "&lt;!channel&gt; &amp; &lt;x&gt;"
        );
        assert_eq!(Markup::Teams.escape("[a](b) *c*"), "\\[a\\](b) \\*c\\*");
    }

    #[test]
    fn a_long_header_is_clipped_with_an_ellipsis() {
        let h = clip(&"x".repeat(400), SLACK_MAX_HEADER);
        assert_eq!(h.chars().count(), SLACK_MAX_HEADER);
        assert!(h.ends_with('…'));
    }
}
