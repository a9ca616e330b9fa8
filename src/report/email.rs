//! The weekly report as the email's HTML part: one 600-px column of tables with inline CSS, which
//! Gmail and Outlook render alike. The chart is an `<img>` whose `src` the caller names (`cid:…`
//! in the email, a `data:` URL for `report --html`).
//!
//! Never emits a script, an external image, font or stylesheet, or a source value that is not
//! HTML-escaped; stays far below Gmail's 102 KB clipping point (top rows only, the rest in the CSV).

use std::fmt::Write;

use crate::model::{Action, SourceStatus};
use crate::report::weekly::{Changes, Group, Row, TOP_CHANGES, Weekly, reason_title, thousands};

const RED: &str = "#b42318";
const AMBER: &str = "#9a6700";
const GREEN: &str = "#1a7f37";
const MUTED: &str = "#59636e";
const LINE: &str = "#d8dee4";
const FONT: &str = "font-family:Arial,Helvetica,sans-serif;";
/// The chart's width in the column, CSS pixels (the PNG has twice as many, for sharp screens).
pub const CHART_WIDTH: u32 = 552;
/// The chart's height in the column, CSS pixels.
pub const CHART_HEIGHT: u32 =
    CHART_WIDTH * crate::report::chart::HEIGHT / crate::report::chart::WIDTH;

/// HTML-escape text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Render the HTML; `chart_src` is the image's URL (`cid:chart` or a `data:` URL).
pub fn render(w: &Weekly, chart_src: &str) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\n<body style=\"margin:0;padding:0;background:#f3f4f6;\">\n\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"background:#f3f4f6;\">\
         <tr><td align=\"center\" style=\"padding:16px 8px;\">\n\
         <table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
         style=\"width:600px;max-width:600px;background:#ffffff;border:1px solid {LINE};{FONT}color:#1f2328;font-size:14px;line-height:20px;\">\n",
        escape(&w.subject())
    );
    headline(&mut out, w);
    license_box(&mut out, w);
    chart(&mut out, w, chart_src);
    changes(&mut out, &w.changes);
    sources(&mut out, w);
    for g in &w.groups {
        group(&mut out, g);
    }
    footer(&mut out, w);
    out.push_str("</table>\n</td></tr></table>\n</body></html>\n");
    out
}

/// One full-width cell of the column.
fn cell(out: &mut String, padding: &str, inner: &str) {
    let _ = writeln!(
        out,
        "<tr><td style=\"padding:{padding};\">{inner}</td></tr>"
    );
}

fn heading(text: &str) -> String {
    format!(
        "<div style=\"font-size:16px;line-height:22px;font-weight:bold;margin:0 0 6px;\">{}</div>",
        escape(text)
    )
}

fn headline(out: &mut String, w: &Weekly) {
    let consumed = thousands(w.usage.consumed_after);
    let (color, big) = match w.purchased {
        Some(p) if w.usage.overage > 0 => (
            RED,
            format!(
                "{consumed} of {} licenses used · {} over",
                thousands(p),
                thousands(w.usage.overage)
            ),
        ),
        Some(p) => (
            GREEN,
            format!("{consumed} of {} licenses used", thousands(p)),
        ),
        None => (MUTED, format!("{consumed} licenses used")),
    };
    let todo = if w.all_clear() {
        "Nothing needs doing this week: no recommendations, every source healthy.".to_string()
    } else {
        let mut parts = w.action_phrases();
        if w.removals > 0 {
            let p = w
                .purchased
                .map_or(String::new(), |p| format!(" of {}", thousands(p)));
            parts[0] = format!(
                "{} → {}{p} if applied",
                parts[0],
                thousands(w.usage.consumed_if_applied)
            );
        }
        parts.join(" · ")
    };
    let inner = format!(
        "<div style=\"font-size:22px;line-height:28px;font-weight:bold;color:{color};\">{}</div>\
         <div style=\"font-size:15px;line-height:22px;margin-top:4px;\">{}</div>",
        escape(&big),
        escape(&todo)
    );
    cell(out, "20px 24px 12px", &inner);
}

fn license_box(out: &mut String, w: &Weekly) {
    let mut rows = String::new();
    for (label, value) in w.license_box() {
        let color = if label == "Overage" { RED } else { "#1f2328" };
        let _ = write!(
            rows,
            "<tr><td style=\"padding:3px 12px;color:{MUTED};width:120px;\">{}</td>\
             <td style=\"padding:3px 12px;font-weight:bold;color:{color};\">{}</td></tr>",
            escape(label),
            escape(&value)
        );
    }
    let mut inner = format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
         style=\"background:#f6f8fa;border:1px solid {LINE};{FONT}font-size:14px;\">{rows}</table>"
    );
    let mut notes: Vec<String> = w.forecast_phrase().into_iter().collect();
    notes.extend(w.money_phrases().unwrap_or_default());
    for n in notes {
        let _ = write!(inner, "<p style=\"margin:8px 0 0;\">{}</p>", escape(&n));
    }
    cell(out, "4px 24px 12px", &inner);
}

fn chart(out: &mut String, w: &Weekly, src: &str) {
    let inner = format!(
        "{}<img src=\"{}\" width=\"{CHART_WIDTH}\" height=\"{CHART_HEIGHT}\" alt=\"{}\" \
         style=\"display:block;width:{CHART_WIDTH}px;max-width:100%;height:auto;border:0;\">",
        heading(&format!("Consumed and purchased, last {} weeks", w.weeks)),
        escape(src),
        escape(&w.chart_alt())
    );
    cell(out, "8px 24px 12px", &inner);
}

fn name_list(out: &mut String, label: &str, list: &[String]) {
    let _ = write!(
        out,
        "<p style=\"margin:4px 0;\"><b>{}</b> {}",
        thousands(list.len() as u64),
        escape(label)
    );
    let shown: Vec<String> = list.iter().take(TOP_CHANGES).map(|n| escape(n)).collect();
    if !shown.is_empty() {
        let _ = write!(out, ": <span style=\"color:{MUTED};\">{}", shown.join(", "));
        if list.len() > TOP_CHANGES {
            let _ = write!(out, " and {} more", list.len() - TOP_CHANGES);
        }
        out.push_str("</span>");
    }
    out.push_str("</p>");
}

fn changes(out: &mut String, c: &Changes) {
    let mut inner = String::new();
    match &c.previous_at {
        Some(at) => {
            inner.push_str(&heading(&format!("Since the previous run ({at})")));
            name_list(&mut inner, "added", &c.added);
            name_list(&mut inner, "removed or merged as recommended", &c.applied);
            name_list(&mut inner, "newly recommended", &c.newly_recommended);
        }
        None => {
            inner.push_str(&heading("Changes"));
            name_list(
                &mut inner,
                "added (the first stored run: nothing to compare with)",
                &c.added,
            );
        }
    }
    cell(out, "8px 24px 8px", &inner);
}

fn sources(out: &mut String, w: &Weekly) {
    let mut rows = String::new();
    for s in &w.sources {
        let (mark, color) = match s.status {
            SourceStatus::Ok => ("ok", GREEN),
            SourceStatus::Failed => ("FAILED", RED),
            SourceStatus::Guarded => ("GUARDED", AMBER),
        };
        let error = s.error.as_deref().map_or(String::new(), |e| {
            format!("<br><span style=\"color:{RED};\">{}</span>", escape(e))
        });
        let _ = write!(
            rows,
            "<tr><td style=\"padding:3px 8px 3px 0;color:{color};font-weight:bold;width:70px;vertical-align:top;\">{mark}</td>\
             <td style=\"padding:3px 0;\">{} <span style=\"color:{MUTED};\">({}) · {} records</span>{error}</td></tr>",
            escape(&s.name),
            escape(&s.kind),
            thousands(s.records)
        );
    }
    let mut inner = heading("Sources");
    let _ = write!(
        inner,
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"{FONT}font-size:14px;\">{rows}</table>"
    );
    if w.unhealthy_sources() > 0 {
        let _ = write!(
            inner,
            "<p style=\"margin:6px 0 0;color:{AMBER};\">Removals that depend on a failed or guarded source were withheld this run.</p>"
        );
    }
    cell(out, "8px 24px 8px", &inner);
}

fn row_cell(r: &Row) -> String {
    let evidence: Vec<String> = r.evidence.iter().map(|e| escape(e)).collect();
    format!(
        "{}<div style=\"color:{MUTED};font-size:12px;line-height:17px;\">{}</div>",
        escape(&r.who),
        evidence.join("<br>")
    )
}

fn group(out: &mut String, g: &Group) {
    let side_by_side = g.rows.iter().any(|r| r.into.is_some());
    let mut rows = String::new();
    for r in &g.rows {
        let color = if r.action == Action::Review {
            AMBER
        } else {
            RED
        };
        let into = match &r.into {
            Some(i) if side_by_side => format!(
                "<td style=\"padding:6px 0 6px 8px;border-top:1px solid {LINE};vertical-align:top;width:200px;\">→ keep {}</td>",
                escape(i)
            ),
            _ if side_by_side => format!("<td style=\"border-top:1px solid {LINE};\"></td>"),
            _ => String::new(),
        };
        let _ = write!(
            rows,
            "<tr><td style=\"padding:6px 8px 6px 0;border-top:1px solid {LINE};vertical-align:top;width:56px;color:{color};font-weight:bold;\">{}</td>\
             <td style=\"padding:6px 0;border-top:1px solid {LINE};vertical-align:top;\">{}</td>{into}\
             <td style=\"padding:6px 0 6px 8px;border-top:1px solid {LINE};vertical-align:top;width:36px;color:{MUTED};\">{:.2}</td></tr>",
            r.action.as_str(),
            row_cell(r),
            r.confidence
        );
    }
    let mut inner = heading(&format!(
        "{} ({})",
        reason_title(g.reason),
        thousands(g.total as u64)
    ));
    let _ = write!(
        inner,
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"{FONT}font-size:13px;line-height:18px;\">{rows}</table>"
    );
    if g.total > g.rows.len() {
        let _ = write!(
            inner,
            "<p style=\"margin:4px 0 0;color:{MUTED};\">… and {} more in the attached recommendations.csv</p>",
            thousands((g.total - g.rows.len()) as u64)
        );
    }
    cell(out, "8px 24px 8px", &inner);
}

fn footer(out: &mut String, w: &Weekly) {
    let csv = if w.groups.is_empty() {
        String::new()
    } else {
        "The attached recommendations.csv lists every recommendation: delete the rows you do not want \
         carried out and hand the file to <code>seatwarden apply</code>. Nothing is removed until then. "
            .to_string()
    };
    let inner = format!(
        "<div style=\"color:{MUTED};font-size:12px;line-height:17px;border-top:1px solid {LINE};padding-top:10px;\">\
         {csv}Run {} · finished {} · sent by seatwarden</div>",
        escape(&w.run_id),
        escape(&w.finished_at)
    );
    cell(out, "12px 24px 20px", &inner);
}

/// The chart as a `data:` URL, for an HTML file opened in a browser (`report --html`); the email
/// itself refers to its inline part by `cid:`, since mail clients block `data:` images.
pub fn data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        crate::sources::http::base64_encode(png)
    )
}
