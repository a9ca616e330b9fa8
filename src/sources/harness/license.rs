//! Which Harness module license counts: `GET {url}/ng/api/licenses/modules/{account}?moduleType=SEI`
//! answers a `ResponseDTO` whose `data` lists the account's SEI module licenses — past, current and
//! future ones, each with its `status` (ACTIVE, EXPIRED, DELETED) and its window (`startTime`,
//! `expiryTime`, epoch milliseconds). The one that counts is ACTIVE with a window that holds `now`.
//!
//! The fields are those of Harness's `ModuleLicenseDTO` / `SEIModuleLicenseDTO` (platform source,
//! `io.harness.licensing.beans.modules`): licenses purchased are `numberOfContributors`; newer
//! accounts on developer licensing send `developerLicenseCount` instead, which Harness's own
//! `SEILicenseObjectMapper` turns into `numberOfContributors` one for one.
//!
//! Pure: the licenses and `now` in, a choice out; it reads no clock.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::model::{LicenseUsed, Subscription};
use crate::sources::common::epoch_time;

/// One module license as the licensing API answers it (the fields seatwarden reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModuleLicense {
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub module_type: Option<String>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub status: Option<LicenseStatus>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub number_of_contributors: Option<u64>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub developer_license_count: Option<u64>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub start_time: Option<i64>,
    #[serde(default, deserialize_with = "crate::sources::common::lenient")]
    pub expiry_time: Option<i64>,
}

/// Harness's `LicenseStatus`; a word it adds later reads as `Other` and never counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LicenseStatus {
    Active,
    Expired,
    Deleted,
    #[serde(other)]
    Other,
}

impl ModuleLicense {
    /// Licenses purchased: `numberOfContributors`, else `developerLicenseCount`.
    pub fn seats(&self) -> Option<u64> {
        self.number_of_contributors.or(self.developer_license_count)
    }

    fn is_sei(&self) -> bool {
        self.module_type
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("SEI"))
    }

    fn starts(&self) -> Option<DateTime<Utc>> {
        self.start_time.and_then(|ms| epoch_time(ms as f64))
    }

    fn expires(&self) -> Option<DateTime<Utc>> {
        self.expiry_time.and_then(|ms| epoch_time(ms as f64))
    }

    /// Whether the window holds `now` (an open end holds everything on that side).
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        self.starts().is_none_or(|s| s <= now) && self.expires().is_none_or(|e| now <= e)
    }

    /// Whether this license counts at `now`: an SEI license, ACTIVE, a seat count, a window
    /// holding `now`.
    pub fn counts_at(&self, now: DateTime<Utc>) -> bool {
        self.is_sei()
            && self.status == Some(LicenseStatus::Active)
            && self.seats().is_some()
            && self.holds(now)
    }

    /// The subscription this license stands for, naming it.
    pub fn subscription(&self) -> Subscription {
        let (starts, expires) = (self.starts(), self.expires());
        Subscription {
            licenses_purchased: self.seats().unwrap_or(0),
            period_start: starts.map(|t| t.date_naive()),
            period_end: expires.map(|t| t.date_naive()),
            license: Some(LicenseUsed {
                id: self.id.clone().unwrap_or_default(),
                starts,
                expires,
            }),
        }
    }
}

/// The license that counts at `now`: of those that count (see [`ModuleLicense::counts_at`]), the
/// one that started last — a renewal overlapping the old term replaces it — and, when two started
/// together, the larger one.
pub(crate) fn current_license(
    licenses: &[ModuleLicense],
    now: DateTime<Utc>,
) -> Option<&ModuleLicense> {
    licenses
        .iter()
        .filter(|l| l.counts_at(now))
        .max_by_key(|l| (l.start_time.unwrap_or(i64::MIN), l.seats()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const DAY: i64 = 86_400_000;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn ms(days_from_now: i64) -> i64 {
        now().timestamp_millis() + days_from_now * DAY
    }

    fn lic(id: &str, status: LicenseStatus, seats: u64, from: i64, to: i64) -> ModuleLicense {
        ModuleLicense {
            id: Some(id.into()),
            module_type: Some("SEI".into()),
            status: Some(status),
            number_of_contributors: Some(seats),
            developer_license_count: None,
            start_time: Some(ms(from)),
            expiry_time: Some(ms(to)),
        }
    }

    use LicenseStatus::{Active, Deleted, Expired};

    /// (case, licenses, the id that counts)
    fn cases() -> Vec<(&'static str, Vec<ModuleLicense>, Option<&'static str>)> {
        vec![
            (
                "the active one whose window holds today, among past and future ones",
                vec![
                    lic("last-year", Active, 300, -700, -335),
                    lic("this-year", Active, 500, -334, 31),
                    lic("next-year", Active, 900, 32, 397),
                ],
                Some("this-year"),
            ),
            (
                "expired and deleted licenses never count, even when their window holds today",
                vec![
                    lic("expired", Expired, 800, -10, 10),
                    lic("deleted", Deleted, 700, -10, 10),
                    lic("active", Active, 50, -10, 10),
                ],
                Some("active"),
            ),
            (
                "an overlapping renewal replaces the term it renews",
                vec![
                    lic("old-term", Active, 400, -360, 5),
                    lic("renewal", Active, 450, -2, 363),
                ],
                Some("renewal"),
            ),
            (
                "two that started together: the larger",
                vec![
                    lic("small", Active, 10, -5, 5),
                    lic("large", Active, 20, -5, 5),
                ],
                Some("large"),
            ),
            (
                "none holds today: nothing counts",
                vec![
                    lic("ended", Active, 500, -400, -1),
                    lic("future", Active, 500, 1, 400),
                ],
                None,
            ),
            (
                "another module's license does not count",
                vec![ModuleLicense {
                    module_type: Some("CD".into()),
                    ..lic("cd", Active, 5, -5, 5)
                }],
                None,
            ),
            (
                "a license with no seat count does not count",
                vec![ModuleLicense {
                    number_of_contributors: None,
                    ..lic("empty", Active, 0, -5, 5)
                }],
                None,
            ),
        ]
    }

    #[test]
    fn the_license_that_counts_is_the_active_one_whose_window_holds_now() {
        for (case, licenses, expected) in cases() {
            let chosen = current_license(&licenses, now()).and_then(|l| l.id.as_deref());
            assert_eq!(chosen, expected, "{case}");
        }
    }

    #[test]
    fn developer_license_count_stands_in_for_a_missing_number_of_contributors() {
        let newer = ModuleLicense {
            number_of_contributors: None,
            developer_license_count: Some(120),
            ..lic("dev", Active, 0, -5, 5)
        };
        assert_eq!(newer.seats(), Some(120));
        let both = ModuleLicense {
            developer_license_count: Some(1),
            ..lic("both", Active, 75, -5, 5)
        };
        assert_eq!(both.seats(), Some(75), "numberOfContributors wins");
    }

    #[test]
    fn the_subscription_names_the_license_and_its_window() {
        let chosen = lic("this-year", Active, 500, -334, 31);
        let s = chosen.subscription();
        assert_eq!(s.licenses_purchased, 500);
        let used = s.license.expect("the license is named");
        assert_eq!(used.id, "this-year");
        assert_eq!(used.starts.map(|t| t.timestamp_millis()), Some(ms(-334)));
        assert_eq!(s.period_end, used.expires.map(|t| t.date_naive()));
    }

    #[test]
    fn the_documented_fields_and_an_unknown_status_deserialize() {
        let v = serde_json::json!({"id": "x", "accountIdentifier": "a", "moduleType": "SEI",
            "edition": "ENTERPRISE", "licenseType": "PAID", "status": "SUSPENDED_SOMEDAY",
            "developerLicenseCount": 9, "startTime": 1, "expiryTime": 2, "premiumSupport": false});
        let l: ModuleLicense = serde_json::from_value(v).unwrap();
        assert_eq!(l.status, Some(LicenseStatus::Other));
        assert_eq!(l.seats(), Some(9));
        assert!(!l.counts_at(now()));
    }
}
