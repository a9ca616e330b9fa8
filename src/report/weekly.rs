//! The weekly usage report as one value ([`Weekly`]): what the email, the terminal, the chart and
//! the chat messages all show, computed once from the latest stored run, the one before it, the
//! history of run figures and the table's names. The renderers only lay it out.
//!
//! Pure: `today` comes in as an argument; no clock, file or socket. Every figure is taken from
//! the stored runs or computed here from them, and says how (the forecast names its method).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Pricing;
use crate::model::{Action, Developer, Reason, RowStatus, RunStatus, SourceStatus, Usage};
use crate::report::json::{RecommendationJson, Report, SourceJson};

/// Rows each reason shows before "… and N more".
pub const TOP_ROWS: usize = 8;
/// Names each change list shows before "… and N more".
pub const TOP_CHANGES: usize = 5;

/// One stored run's figures: an entry of SPEC §4's `history` and a point of the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub run_id: String,
    /// RFC 3339.
    pub finished_at: String,
    pub consumed: u64,
    pub licenses_purchased: Option<u64>,
    pub overage: u64,
    pub duplicates: u64,
    pub recommendations: u64,
}

/// `report --json`: SPEC §4's report of the latest stored run plus `history`, oldest first.
#[derive(Debug, Serialize)]
pub struct WeeklyJson<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    pub history: &'a [HistoryEntry],
}

/// What the weekly report is made from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The latest stored run's summary.
    pub latest: &'a Report,
    /// The stored run before it, if any.
    pub previous: Option<&'a Report>,
    /// Every stored run's figures, oldest first.
    pub history: &'a [HistoryEntry],
    /// The table as stored now (names for `into` rows and the change lists).
    pub table: &'a [Developer],
    pub today: NaiveDate,
    /// Weeks of history the chart and the forecast use.
    pub weeks: u32,
    pub pricing: Option<&'a Pricing>,
}

/// One point of the trend chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub consumed: u64,
    pub purchased: Option<u64>,
}

/// Consumption projected to the end of the subscription period.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub at_end: u64,
    pub end: NaiveDate,
    /// The fitted slope, licenses per week.
    pub per_week: f64,
    /// Runs the line was fitted to.
    pub runs: usize,
}

/// The money lines (with `subscription.price_per_license`).
#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    pub currency: String,
    pub price_per_license: f64,
    /// Overage × price, per year.
    pub overage_cost: f64,
    /// Licenses the recommendations free × price, per year.
    pub savings: f64,
}

/// What changed since the previous stored run, as "Name <email>" lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    /// When the previous run finished; None for the first stored run.
    pub previous_at: Option<String>,
    pub added: Vec<String>,
    /// Rows recommended last time that no longer consume a license (applied).
    pub applied: Vec<String>,
    pub newly_recommended: Vec<String>,
}

/// One recommendation as shown: who, what, and for a merge the row it folds into.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub action: Action,
    pub who: String,
    pub into: Option<String>,
    pub confidence: f64,
    pub evidence: Vec<String>,
}

/// The recommendations of one reason: the top rows and how many there are.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub reason: Reason,
    pub total: usize,
    pub rows: Vec<Row>,
}

/// The weekly report, ready to lay out.
#[derive(Debug, Clone, PartialEq)]
pub struct Weekly {
    pub run_id: String,
    pub finished_at: String,
    pub status: RunStatus,
    pub purchased: Option<u64>,
    pub usage: Usage,
    /// Licenses the recommendations would free (`consumed_after − consumed_if_applied`).
    pub freed: u64,
    /// `remove` and `merge` recommendations.
    pub removals: usize,
    pub reviews: usize,
    pub period: (Option<NaiveDate>, Option<NaiveDate>),
    pub days_to_renewal: Option<i64>,
    pub forecast: Option<Forecast>,
    pub money: Option<Money>,
    pub changes: Changes,
    /// Failed and guarded sources first.
    pub sources: Vec<SourceJson>,
    pub groups: Vec<Group>,
    /// The runs of the last `weeks` weeks, oldest first.
    pub chart: Vec<Point>,
    pub weeks: u32,
}

/// A section heading for a reason.
pub fn reason_title(r: Reason) -> &'static str {
    match r {
        Reason::Duplicate => "Duplicates — the same person on several rows",
        Reason::Departed => "Departed — no longer employed per the directory",
        Reason::Bot => "Bots and service accounts",
        Reason::ExcludedRole => "Excluded roles — outside the SDLC by policy",
        Reason::Inactive => "Inactive — no engineering activity",
        Reason::Unseen => "Unseen — no source knows the row",
    }
}

/// Build the weekly report.
pub fn build(input: &Inputs<'_>) -> Weekly {
    let latest = input.latest;
    let usage = latest.usage;
    let recs = &latest.recommendations;
    let names = Names::new(input.table);
    let period = (
        latest.subscription.period_start,
        latest.subscription.period_end,
    );
    let chart = chart_points(input.history, input.today, input.weeks);
    let freed = usage
        .consumed_after
        .saturating_sub(usage.consumed_if_applied);
    Weekly {
        run_id: latest.run.id.clone(),
        finished_at: display_time(&latest.run.finished_at),
        status: latest.run.status,
        purchased: latest.subscription.licenses_purchased,
        usage,
        freed,
        removals: recs.iter().filter(|r| r.action != Action::Review).count(),
        reviews: recs.iter().filter(|r| r.action == Action::Review).count(),
        period,
        days_to_renewal: period.1.map(|end| (end - input.today).num_days()),
        forecast: period.1.and_then(|end| forecast(&chart, input.today, end)),
        money: input.pricing.map(|p| money(p, usage.overage, freed)),
        changes: changes(latest, input.previous, &names),
        sources: sources_worst_first(&latest.sources),
        groups: groups(recs, &names),
        chart,
        weeks: input.weeks,
    }
}

/// "Name <email>" by developer id, from the stored table.
struct Names<'a> {
    by_id: HashMap<&'a str, &'a Developer>,
}

impl<'a> Names<'a> {
    fn new(table: &'a [Developer]) -> Names<'a> {
        Names {
            by_id: table.iter().map(|d| (d.id.as_str(), d)).collect(),
        }
    }

    fn of(&self, id: &str) -> String {
        match self.by_id.get(id) {
            Some(d) => format!("{} <{}>", d.name, d.email),
            None => id.to_string(),
        }
    }

    fn consumes(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|d| d.status == RowStatus::Active)
    }
}

fn who(r: &RecommendationJson, names: &Names<'_>) -> String {
    match (&r.name, &r.email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        _ => names.of(&r.developer),
    }
}

fn groups(recs: &[RecommendationJson], names: &Names<'_>) -> Vec<Group> {
    let mut out = Vec::new();
    for reason in Reason::ALL {
        let all: Vec<&RecommendationJson> = recs.iter().filter(|r| r.reason == reason).collect();
        if all.is_empty() {
            continue;
        }
        let rows = all
            .iter()
            .take(TOP_ROWS)
            .map(|r| Row {
                action: r.action,
                who: who(r, names),
                into: r.into.as_deref().map(|i| names.of(i)),
                confidence: r.confidence,
                evidence: r.evidence.clone(),
            })
            .collect();
        out.push(Group {
            reason,
            total: all.len(),
            rows,
        });
    }
    out
}

fn sources_worst_first(sources: &[SourceJson]) -> Vec<SourceJson> {
    let mut out = sources.to_vec();
    // Stable: within each health, the configured order.
    out.sort_by_key(|s| s.status == SourceStatus::Ok);
    out
}

fn changes(latest: &Report, previous: Option<&Report>, names: &Names<'_>) -> Changes {
    let added = latest.changes.added.iter().map(|id| names.of(id)).collect();
    let Some(previous) = previous else {
        return Changes {
            added,
            ..Changes::default()
        };
    };
    let before: HashSet<&str> = previous
        .recommendations
        .iter()
        .map(|r| r.developer.as_str())
        .collect();
    let applied = previous
        .recommendations
        .iter()
        .filter(|r| r.action != Action::Review && !names.consumes(&r.developer))
        .map(|r| who(r, names))
        .collect();
    let newly_recommended = latest
        .recommendations
        .iter()
        .filter(|r| !before.contains(r.developer.as_str()))
        .map(|r| who(r, names))
        .collect();
    Changes {
        previous_at: Some(display_time(&previous.run.finished_at)),
        added,
        applied,
        newly_recommended,
    }
}

fn money(p: &Pricing, overage: u64, freed: u64) -> Money {
    Money {
        currency: p.currency.clone(),
        price_per_license: p.price_per_license,
        overage_cost: overage as f64 * p.price_per_license,
        savings: freed as f64 * p.price_per_license,
    }
}

/// The runs that finished within `weeks` weeks before `today` (and up to its end).
fn chart_points(history: &[HistoryEntry], today: NaiveDate, weeks: u32) -> Vec<Point> {
    let from = today - chrono::Duration::days(7 * i64::from(weeks));
    history
        .iter()
        .filter_map(|h| {
            let at = DateTime::parse_from_rfc3339(&h.finished_at)
                .ok()?
                .with_timezone(&Utc);
            (at.date_naive() > from && at.date_naive() <= today).then_some(Point {
                at,
                consumed: h.consumed,
                purchased: h.licenses_purchased,
            })
        })
        .collect()
}

/// Least squares over the points (consumed against days), projected to `end`. None with fewer
/// than two runs, all on one day, or a period that has ended.
fn forecast(points: &[Point], today: NaiveDate, end: NaiveDate) -> Option<Forecast> {
    if points.len() < 2 || end < today {
        return None;
    }
    let t0 = points[0].at;
    let xs: Vec<f64> = points
        .iter()
        .map(|p| (p.at - t0).num_seconds() as f64 / 86_400.0)
        .collect();
    let ys: Vec<f64> = points.iter().map(|p| p.consumed as f64).collect();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx < 1e-9 {
        return None;
    }
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let end_x = (end.and_hms_opt(23, 59, 59)?.and_utc() - t0).num_seconds() as f64 / 86_400.0;
    let at_end = (my + slope * (end_x - mx)).round().max(0.0) as u64;
    Some(Forecast {
        at_end,
        end,
        per_week: slope * 7.0,
        runs: points.len(),
    })
}

impl Weekly {
    /// True when nothing needs a person: no overage, no recommendation, every source healthy.
    pub fn all_clear(&self) -> bool {
        self.usage.overage == 0
            && self.removals == 0
            && self.reviews == 0
            && self.status == RunStatus::Ok
    }

    /// Sources that failed or tripped the guard this run.
    pub fn unhealthy_sources(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| s.status != SourceStatus::Ok)
            .count()
    }

    /// The subject line: the headline figures, or a calm line when nothing needs doing.
    pub fn subject(&self) -> String {
        let mut s = match self.purchased {
            Some(p) => format!(
                "SEI licenses: {} of {p} used",
                thousands(self.usage.consumed_after)
            ),
            None => format!(
                "SEI licenses: {} used (purchased unknown)",
                thousands(self.usage.consumed_after)
            ),
        };
        if self.usage.overage > 0 {
            s.push_str(&format!(" (+{} over)", thousands(self.usage.overage)));
        }
        if self.all_clear() {
            s.push_str(" · nothing to do this week");
            return s;
        }
        for part in self.action_phrases() {
            s.push_str(" · ");
            s.push_str(&part);
        }
        s
    }

    /// The things to act on, in a few words each ("81 removals would free 81", "3 to review").
    pub fn action_phrases(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.removals > 0 {
            out.push(format!(
                "{} {} would free {}",
                thousands(self.removals as u64),
                plural(self.removals, "removal", "removals"),
                thousands(self.freed)
            ));
        }
        if self.reviews > 0 {
            out.push(format!("{} to review", thousands(self.reviews as u64)));
        }
        let bad = self.unhealthy_sources();
        if bad > 0 {
            out.push(format!("{bad} {} failed", plural(bad, "source", "sources")));
        }
        out
    }

    /// The license box: (label, value) rows. A new usage figure is one line here.
    pub fn license_box(&self) -> Vec<(&'static str, String)> {
        let u = &self.usage;
        let mut rows = vec![
            (
                "Purchased",
                self.purchased.map_or("unknown".into(), thousands),
            ),
            ("Consumed", thousands(u.consumed_after)),
        ];
        match self.purchased {
            Some(_) if u.overage > 0 => {
                rows.push(("Overage", format!("{} over", thousands(u.overage))))
            }
            Some(p) => rows.push((
                "Headroom",
                format!("{} free", thousands(p - u.consumed_after)),
            )),
            None => {}
        }
        rows.push((
            "If applied",
            format!(
                "{} ({} freed)",
                thousands(u.consumed_if_applied),
                thousands(self.freed)
            ),
        ));
        // Runs stored before the figure existed read 0: the line shows only what a run counted.
        if u.activity_unknown > 0 {
            rows.push(("Activity", activity_coverage_phrase(u)));
        }
        if u.withheld > 0 {
            rows.push(("Withheld", withheld_phrase(u.withheld)));
        }
        if let (Some(a), Some(b)) = self.period {
            rows.push(("Period", format!("{a} to {b}")));
        }
        if let Some(days) = self.days_to_renewal {
            rows.push(("Renewal", renewal_phrase(days)));
        }
        rows
    }

    /// "At this rate 571 at renewal on 2026-12-31, 71 over (+1.6 a week: a least-squares line …)."
    pub fn forecast_phrase(&self) -> Option<String> {
        let f = self.forecast.as_ref()?;
        let over = match self.purchased {
            Some(p) if f.at_end > p => format!(", {} over", thousands(f.at_end - p)),
            Some(p) => format!(
                ", {} under the {} purchased",
                thousands(p - f.at_end),
                thousands(p)
            ),
            None => String::new(),
        };
        Some(format!(
            "At this rate {} at renewal on {}{over} ({:+.1} a week: a least-squares line through the {} runs of the last {} weeks).",
            thousands(f.at_end),
            f.end,
            f.per_week,
            f.runs,
            self.weeks
        ))
    }

    /// The money lines, or None without a price.
    pub fn money_phrases(&self) -> Option<Vec<String>> {
        let m = self.money.as_ref()?;
        let mut out = Vec::new();
        if self.usage.overage > 0 {
            out.push(format!(
                "The overage costs {} {} a year ({} × {} {}).",
                money_text(m.overage_cost),
                m.currency,
                thousands(self.usage.overage),
                money_text(m.price_per_license),
                m.currency
            ));
        }
        if self.freed > 0 {
            out.push(format!(
                "Applying the recommendations would save {} {} a year ({} licenses).",
                money_text(m.savings),
                m.currency,
                thousands(self.freed)
            ));
        }
        Some(out)
    }

    /// Alt text for the chart that states its numbers.
    pub fn chart_alt(&self) -> String {
        let (Some(first), Some(last)) = (self.chart.first(), self.chart.last()) else {
            return "No stored runs in the chart's window.".into();
        };
        let purchased = last.purchased.map_or(String::new(), |p| {
            format!(" against {} purchased", thousands(p))
        });
        format!(
            "Licenses consumed per run over the last {} weeks: {} on {} to {} on {}{purchased} ({} runs).",
            self.weeks,
            thousands(first.consumed),
            first.at.date_naive(),
            thousands(last.consumed),
            last.at.date_naive(),
            self.chart.len()
        )
    }
}

/// "unknown for 37 of 552 rows: no source reports their activity, so none is called inactive".
pub(crate) fn activity_coverage_phrase(u: &Usage) -> String {
    if u.activity_unknown == 0 {
        return format!("known for every row ({})", thousands(u.consumed_after));
    }
    format!(
        "unknown for {} of {} rows: no source reports their activity, so none is called inactive",
        thousands(u.activity_unknown),
        thousands(u.consumed_after)
    )
}

/// "4 people found in the tools not added: each may already have a row; a person decides".
pub(crate) fn withheld_phrase(withheld: u64) -> String {
    format!(
        "{} {} found in the tools not added: each may already have a row; a person decides",
        thousands(withheld),
        if withheld == 1 { "person" } else { "people" }
    )
}

fn renewal_phrase(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "in 1 day".into(),
        d if d > 0 => format!("in {d} days"),
        -1 => "the period ended 1 day ago".into(),
        d => format!("the period ended {} days ago", -d),
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// An RFC 3339 time as a reader wants it: `2026-11-24 05:00 UTC` (the text itself if it is none).
pub fn display_time(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// 12345 → "12,345".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount with thousands separators, cents only when there are any: "20,800", "1,234.50".
pub fn money_text(v: f64) -> String {
    let cents = (v * 100.0).round() as u64;
    let whole = thousands(cents / 100);
    match cents % 100 {
        0 => whole,
        c => format!("{whole}.{c:02}"),
    }
}
