//! The `[schedule]` section (`seatwarden schedule`): the cron expressions of `reconcile` and
//! `report`, with a seconds field, in `report.timezone`, and where `/metrics` and `/healthz` are
//! served. Validated into typed values: a parsed cron, a named zone, a socket address.
//!
//! Never schedules anything: the local fire times are computed by [`Cron::next_after`], a pure
//! function of the expression, the zone and an instant.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;

use super::ConfigError;

/// How long `schedule` lets a run in progress finish after SIGTERM / SIGINT by default.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(8);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    reconcile: Option<String>,
    report: Option<String>,
    listen: Option<String>,
    stop_grace_secs: Option<u64>,
}

/// A cron expression with a seconds field (6 or 7 fields; day-of-month and day-of-week combine with
/// AND, as tokio-cron-scheduler reads them), in a named time zone.
#[derive(Debug, Clone)]
pub struct Cron {
    /// The expression as written (for logs).
    pub expr: String,
    parsed: croner::Cron,
    tz: Tz,
}

impl Cron {
    /// Parse `expr` as tokio-cron-scheduler does (seconds required, dom AND dow).
    pub fn parse(expr: &str, tz: Tz) -> Result<Cron, String> {
        let fields = expr.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "`{expr}` has {fields} fields; a schedule needs 6 or 7 (seconds first: \"0 0 5 * * *\" is 05:00 every day)"
            ));
        }
        let parsed = CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expr)
            .map_err(|e| format!("`{expr}` is not a cron expression: {e}"))?;
        let cron = Cron {
            expr: expr.to_string(),
            parsed,
            tz,
        };
        // "0 0 0 30 2 *" parses but never fires: refuse it now rather than sleep forever.
        cron.next_after(Utc::now())
            .ok_or_else(|| format!("`{expr}` never fires"))?;
        Ok(cron)
    }

    /// The zone the expression is read in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first fire time strictly after `after`, as a UTC instant. The expression is matched
    /// against the wall clock of the zone at that instant (croner walks DST changes: a time that
    /// does not exist on the day clocks go forward is skipped to the next existing one, a time that
    /// exists twice fires once), so a named zone never drifts an hour after a change.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Cron has whole seconds: the search starts from the second `after` falls in.
        let local = after.trunc_subsecs(0).with_timezone(&self.tz);
        self.parsed
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
    }
}

/// The validated `[schedule]` section.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub reconcile: Option<Cron>,
    pub report: Option<Cron>,
    /// Serve `/metrics` and `/healthz` here while `schedule` runs.
    pub listen: Option<SocketAddr>,
    /// How long a run in progress may go on after SIGTERM / SIGINT before it is abandoned.
    pub stop_grace: Duration,
}

/// Validate `[schedule]`; `timezone` is `report.timezone` (its key is named when it is no zone).
pub(super) fn validate(
    raw: RawSchedule,
    timezone: &str,
    file: &Path,
) -> Result<ScheduleConfig, ConfigError> {
    let tz = parse_timezone(timezone).map_err(|m| ConfigError::new(file, "report.timezone", m))?;
    let cron = |v: Option<String>, key: &str| {
        v.map(|e| Cron::parse(&e, tz))
            .transpose()
            .map_err(|m| ConfigError::new(file, format!("schedule.{key}"), m))
    };
    let listen = raw
        .listen
        .map(|l| {
            l.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(
                    file,
                    "schedule.listen",
                    format!("`{l}` is not an address and port (\"0.0.0.0:9464\")"),
                )
            })
        })
        .transpose()?;
    let stop_grace = raw
        .stop_grace_secs
        .map_or(DEFAULT_STOP_GRACE, Duration::from_secs);
    if stop_grace > Duration::from_secs(9) {
        return Err(ConfigError::new(
            file,
            "schedule.stop_grace_secs",
            "must be at most 9 (schedule stops within 10 s of SIGTERM)",
        ));
    }
    Ok(ScheduleConfig {
        reconcile: cron(raw.reconcile, "reconcile")?,
        report: cron(raw.report, "report")?,
        listen,
        stop_grace,
    })
}

/// An IANA zone name ("Europe/Berlin", "UTC").
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!(
            "`{name}` is not an IANA time zone (\"Europe/Berlin\", \"America/New_York\", \"UTC\")"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn fires(expr: &str, zone: &str, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let cron = Cron::parse(expr, parse_timezone(zone).unwrap()).unwrap();
        let mut out = Vec::new();
        let mut t = from;
        for _ in 0..n {
            t = cron.next_after(t).unwrap();
            out.push(t);
        }
        out
    }

    #[test]
    fn berlin_05_00_stays_05_00_local_across_the_spring_change() {
        // Clocks go forward on 2026-03-29: 05:00 CET is 04:00 UTC, 05:00 CEST is 03:00 UTC.
        let got = fires("0 0 5 * * *", "Europe/Berlin", utc(2026, 3, 27, 12, 0), 3);
        assert_eq!(
            got,
            vec![
                utc(2026, 3, 28, 4, 0),
                utc(2026, 3, 29, 3, 0),
                utc(2026, 3, 30, 3, 0)
            ]
        );
    }

    #[test]
    fn berlin_05_00_stays_05_00_local_across_the_autumn_change() {
        // Clocks go back on 2026-10-25.
        let got = fires("0 0 5 * * *", "Europe/Berlin", utc(2026, 10, 23, 12, 0), 3);
        assert_eq!(
            got,
            vec![
                utc(2026, 10, 24, 3, 0),
                utc(2026, 10, 25, 4, 0),
                utc(2026, 10, 26, 4, 0)
            ]
        );
    }

    #[test]
    fn new_york_monday_08_00_follows_the_us_change_not_the_european_one() {
        // US clocks go forward on 2026-03-08: 08:00 EST is 13:00 UTC, 08:00 EDT is 12:00 UTC.
        let got = fires(
            "0 0 8 * * Mon",
            "America/New_York",
            utc(2026, 3, 1, 0, 0),
            3,
        );
        assert_eq!(
            got,
            vec![
                utc(2026, 3, 2, 13, 0),
                utc(2026, 3, 9, 12, 0),
                utc(2026, 3, 16, 12, 0)
            ]
        );
    }

    #[test]
    fn new_york_autumn_change_moves_the_utc_time_back_an_hour() {
        // US clocks go back on 2026-11-01.
        let got = fires(
            "0 30 6 * * *",
            "America/New_York",
            utc(2026, 10, 31, 0, 0),
            2,
        );
        assert_eq!(
            got,
            vec![utc(2026, 10, 31, 10, 30), utc(2026, 11, 1, 11, 30)]
        );
    }

    #[test]
    fn a_time_skipped_by_the_spring_change_fires_once_that_day() {
        // 02:30 does not exist in Berlin on 2026-03-29; it must still fire that day, once.
        let got = fires("0 30 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0), 2);
        assert_eq!(got.len(), 2);
        let day = |t: &DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Berlin).date_naive();
        assert_eq!(day(&got[0]).to_string(), "2026-03-29");
        assert_eq!(day(&got[1]).to_string(), "2026-03-30");
        assert_eq!(got[1], utc(2026, 3, 30, 0, 30));
    }

    #[test]
    fn a_time_that_happens_twice_in_the_autumn_change_fires_once() {
        // 02:30 happens twice in Berlin on 2026-10-25 (CEST, then CET): one run, not two.
        let got = fires("0 30 2 * * *", "Europe/Berlin", utc(2026, 10, 24, 12, 0), 2);
        assert_eq!(got[0], utc(2026, 10, 25, 0, 30));
        assert_eq!(got[1], utc(2026, 10, 26, 1, 30));
    }

    #[test]
    fn utc_is_plain_cron() {
        let got = fires("*/2 * * * * *", "UTC", utc(2026, 1, 1, 0, 0), 2);
        assert_eq!(got[1] - got[0], chrono::Duration::seconds(2));
    }

    #[test]
    fn impossible_expressions_and_zones_are_refused() {
        let tz = parse_timezone("UTC").unwrap();
        assert!(
            Cron::parse("0 5 * * *", tz)
                .unwrap_err()
                .contains("5 fields")
        );
        assert!(Cron::parse("0 0 25 * * *", tz).is_err());
        assert!(
            Cron::parse("0 0 0 30 2 *", tz)
                .unwrap_err()
                .contains("never fires")
        );
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
