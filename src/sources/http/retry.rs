//! The retry decision: from what one attempt got back, how many attempts and how much waiting came
//! before it, and the wait budget, whether to take the answer, wait and try again (for how long),
//! or give up (and why). Also reads the servers' wait hints: `Retry-After` (seconds or an HTTP
//! date) and the rate-limit headers of GitHub (`X-RateLimit-*`), Okta (`X-Rate-Limit-*`) and the
//! IETF draft GitLab sends (`RateLimit-*`).
//!
//! Pure: plain values in, a [`Decision`] out. It never sleeps, never reads a clock and never draws
//! a random number (`now` and the jitter are arguments), so every rule is a unit test; the
//! client's attempt loop does the waiting.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

/// First backoff step; doubled per attempt, capped at [`BACKOFF_CAP`], full jitter applied.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Attempts per request at most, whatever the wait budget says (guards against `Retry-After: 0`).
const MAX_ATTEMPTS: u32 = 10;
/// The longest wait a server can name: a longer `Retry-After` or reset (`1e300`, a reset in the
/// year 3000) is taken as this, which is longer than any wait budget the config accepts, so the
/// request gives up with the server's wait in its message instead of overflowing a clock.
pub(super) const LONGEST_WAIT: Duration = Duration::from_secs(86_400);

const REMAINING_HEADERS: [&str; 3] = [
    "x-ratelimit-remaining",
    "x-rate-limit-remaining",
    "ratelimit-remaining",
];
const RESET_HEADERS: [&str; 3] = ["x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"];

/// Where one request stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Attempt {
    /// Attempts made so far, the one just answered included (1 after the first).
    pub number: u32,
    /// False for a request that changes state: retried only when the server answers 429.
    pub idempotent: bool,
    /// Time already spent waiting between attempts of this request.
    pub waited: Duration,
    /// The most waiting allowed for this request (`http.max_retry_wait`).
    pub budget: Duration,
}

/// What an attempt got back.
#[derive(Debug, Clone, Copy)]
pub(super) enum Outcome<'a> {
    /// The server answered with this status and these headers.
    Answered {
        status: StatusCode,
        headers: &'a HeaderMap,
    },
    /// No complete answer arrived.
    Failed(Failure),
}

/// Why no complete answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// Connect, read or total timeout.
    Timeout,
    /// The connection could not be made (refused, reset, DNS, TLS).
    Connect,
    /// Sending the request failed.
    Request,
    /// The body broke off while it was read.
    Body,
    /// Anything else: not a transient fault, so another attempt would fail the same way.
    Other,
}

/// What the attempt loop does next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Decision {
    /// The answer is final (a success, or an error no retry can mend): hand it on.
    Accept,
    /// Wait this long, then try again.
    Retry { after: Duration },
    /// Stop and report.
    GiveUp { why: GiveUp },
}

/// Why the loop stops retrying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum GiveUp {
    /// A failure that is not transient.
    NotTransient,
    /// The request changes state and may have been received (a 5xx or a failure other than 429).
    ChangesState,
    /// [`MAX_ATTEMPTS`] reached; `server_asked` is the wait the server named, if it did.
    TooManyAttempts { server_asked: Option<Duration> },
    /// The next wait would pass the budget.
    OverBudget { server_asked: Option<Duration> },
}

/// Decides what follows an attempt. `jitter` is a uniform draw from `[0, 1)`: the fraction of the
/// backoff ceiling to wait when the server names no wait (full jitter).
pub(super) fn decide(
    attempt: &Attempt,
    outcome: &Outcome<'_>,
    now: SystemTime,
    jitter: f64,
) -> Decision {
    let (server_asked, throttled) = match *outcome {
        Outcome::Answered { status, headers } => {
            if !is_retryable(status, headers) {
                return Decision::Accept;
            }
            (
                server_wait(headers, status, now),
                status == StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Outcome::Failed(Failure::Other) => return give_up(GiveUp::NotTransient),
        Outcome::Failed(_) => (None, false),
    };
    if !attempt.idempotent && !throttled {
        return give_up(GiveUp::ChangesState);
    }
    let wait = server_asked.unwrap_or_else(|| backoff(attempt.number, jitter));
    if attempt.number >= MAX_ATTEMPTS {
        return give_up(GiveUp::TooManyAttempts { server_asked });
    }
    if attempt.waited.saturating_add(wait) > attempt.budget {
        return give_up(GiveUp::OverBudget { server_asked });
    }
    Decision::Retry { after: wait }
}

fn give_up(why: GiveUp) -> Decision {
    Decision::GiveUp { why }
}

impl GiveUp {
    /// The error message, given the last error's text (`HTTP 503 …`, a transport error chain).
    pub(super) fn message(&self, attempt: &Attempt, last_error: &str) -> String {
        let server_asked = match *self {
            GiveUp::NotTransient => return last_error.to_string(),
            GiveUp::ChangesState => {
                return format!(
                    "{last_error}; not retried because the request changes state and may have been received"
                );
            }
            GiveUp::TooManyAttempts { server_asked } | GiveUp::OverBudget { server_asked } => {
                server_asked
            }
        };
        let asked = match server_asked {
            Some(w) => format!("; the server asked to wait {:.1}s more", w.as_secs_f64()),
            None => String::new(),
        };
        format!(
            "gave up after {} attempts and {:.1}s of waiting (http.max_retry_wait {:.1}s): last error {last_error}{asked}",
            attempt.number,
            attempt.waited.as_secs_f64(),
            attempt.budget.as_secs_f64()
        )
    }
}

/// 429 and the 5xx that mean "try later"; a 403 only with a rate-limit sign on it.
fn is_retryable(status: StatusCode, headers: &HeaderMap) -> bool {
    match status.as_u16() {
        429 | 500 | 502 | 503 | 504 => true,
        // GitHub answers a spent rate limit (primary or secondary) with 403 and these headers.
        403 => headers.contains_key(header::RETRY_AFTER) || remaining_is_zero(headers),
        _ => false,
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn remaining_is_zero(headers: &HeaderMap) -> bool {
    REMAINING_HEADERS
        .iter()
        .any(|h| header_str(headers, h).is_some_and(|v| v.parse::<f64>().is_ok_and(|n| n <= 0.0)))
}

/// A reset header as a wait from `now`: large values are epoch seconds (GitHub, Okta, GitLab),
/// small ones delta seconds (IETF `RateLimit-Reset`).
fn reset_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for h in RESET_HEADERS {
        if let Some(n) = header_str(headers, h).and_then(|v| v.parse::<f64>().ok()) {
            if !n.is_finite() || n < 0.0 {
                continue;
            }
            if n > 1_000_000_000.0 {
                let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
                return Some(clamped_seconds((n - now_secs).max(0.0)));
            }
            return Some(clamped_seconds(n));
        }
    }
    None
}

/// How long the server asks us to wait before retrying: `Retry-After` (seconds or an HTTP date),
/// else the rate-limit reset when the budget is spent (or the answer is 429).
pub fn server_wait(headers: &HeaderMap, status: StatusCode, now: SystemTime) -> Option<Duration> {
    if let Some(v) = header_str(headers, "retry-after") {
        if let Ok(secs) = v.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(clamped_seconds(secs));
        }
        if let Ok(date) = httpdate::parse_http_date(v) {
            let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
            return Some(wait.min(LONGEST_WAIT));
        }
    }
    if remaining_is_zero(headers) || status == StatusCode::TOO_MANY_REQUESTS {
        return reset_wait(headers, now);
    }
    None
}

/// On a successful response: when the budget is spent, how long until it resets.
pub(super) fn exhausted_budget_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if remaining_is_zero(headers) {
        reset_wait(headers, now).filter(|w| !w.is_zero())
    } else {
        None
    }
}

/// A finite, non-negative number of seconds a server named, as a wait of at most [`LONGEST_WAIT`]
/// (`Duration::from_secs_f64` panics past `u64::MAX` seconds; this never does).
fn clamped_seconds(secs: f64) -> Duration {
    let longest = LONGEST_WAIT.as_secs_f64();
    Duration::try_from_secs_f64(secs.clamp(0.0, longest)).unwrap_or(LONGEST_WAIT)
}

/// Exponential backoff with full jitter: `jitter` (in `[0, 1)`) of the way into
/// `[0, min(cap, base * 2^(attempt-1))]`, whole milliseconds, each equally likely for a uniform
/// `jitter`.
fn backoff(attempt: u32, jitter: f64) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let ceiling = exp.min(BACKOFF_CAP).as_millis() as u64;
    let millis = ((ceiling + 1) as f64 * jitter.clamp(0.0, 1.0)) as u64;
    Duration::from_millis(millis.min(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const NOW_SECS: u64 = 1_700_000_000;
    const BUDGET: Duration = Duration::from_secs(120);
    const TRANSIENT: [Failure; 4] = [
        Failure::Timeout,
        Failure::Connect,
        Failure::Request,
        Failure::Body,
    ];

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECS)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut hm = HeaderMap::new();
        for (name, value) in pairs {
            hm.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        hm
    }

    fn first(idempotent: bool) -> Attempt {
        Attempt {
            number: 1,
            idempotent,
            waited: Duration::ZERO,
            budget: BUDGET,
        }
    }

    fn answered(attempt: &Attempt, status: u16, pairs: &[(&'static str, &str)]) -> Decision {
        let hm = headers(pairs);
        let outcome = Outcome::Answered {
            status: StatusCode::from_u16(status).unwrap(),
            headers: &hm,
        };
        decide(attempt, &outcome, now(), 0.5)
    }

    fn retry_after_secs(secs: u64) -> Decision {
        Decision::Retry {
            after: Duration::from_secs(secs),
        }
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut hm = HeaderMap::new();
        hm.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        hm.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(
            server_wait(&hm, StatusCode::SERVICE_UNAVAILABLE, now),
            Some(Duration::from_secs(42))
        );
    }

    #[test]
    fn github_and_okta_reset_headers_are_epoch_seconds() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (rem, reset) in [
            ("x-ratelimit-remaining", "x-ratelimit-reset"),
            ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ] {
            let mut hm = HeaderMap::new();
            hm.insert(rem, HeaderValue::from_static("0"));
            hm.insert(reset, HeaderValue::from_static("1700000030"));
            assert_eq!(
                server_wait(&hm, StatusCode::FORBIDDEN, now),
                Some(Duration::from_secs(30))
            );
        }
        let mut hm = HeaderMap::new();
        hm.insert("ratelimit-remaining", HeaderValue::from_static("0"));
        hm.insert("ratelimit-reset", HeaderValue::from_static("12"));
        assert_eq!(
            server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now),
            Some(Duration::from_secs(12))
        );
    }

    #[test]
    fn absurd_waits_are_clamped_to_the_longest_wait_not_panicked_on() {
        let huge_reset = ["1e300", "18446744073709551616", "inf", "1e19"];
        for value in huge_reset {
            for (remaining, reset) in [
                ("x-ratelimit-remaining", "x-ratelimit-reset"),
                ("x-rate-limit-remaining", "x-rate-limit-reset"),
                ("ratelimit-remaining", "ratelimit-reset"),
            ] {
                let hm = headers(&[(remaining, "0"), (reset, value)]);
                let wait = server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now());
                assert!(
                    wait.is_none_or(|w| w <= LONGEST_WAIT),
                    "{reset}: {value} gave {wait:?}"
                );
                assert!(exhausted_budget_wait(&hm, now()).is_none_or(|w| w <= LONGEST_WAIT));
            }
            let hm = headers(&[("retry-after", value)]);
            let wait = server_wait(&hm, StatusCode::SERVICE_UNAVAILABLE, now());
            assert!(wait.is_none_or(|w| w <= LONGEST_WAIT), "{value}: {wait:?}");
        }
        let far = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(253_402_300_799));
        let hm = headers(&[("retry-after", far.as_str())]);
        assert_eq!(
            server_wait(&hm, StatusCode::TOO_MANY_REQUESTS, now()),
            Some(LONGEST_WAIT)
        );
        let spent = Attempt {
            waited: Duration::MAX,
            ..first(true)
        };
        assert_eq!(
            answered(&spent, 429, &[("retry-after", "1e300")]),
            Decision::GiveUp {
                why: GiveUp::OverBudget {
                    server_asked: Some(LONGEST_WAIT)
                }
            },
            "the budget check saturates instead of overflowing"
        );
    }

    #[test]
    fn backoff_grows_but_is_capped() {
        for attempt in 1..40 {
            for jitter in [0.0, 0.5, 0.999_999] {
                assert!(backoff(attempt, jitter) <= BACKOFF_CAP);
            }
        }
    }

    #[test]
    fn backoff_is_the_jitter_fraction_of_a_doubling_ceiling() {
        let ms = Duration::from_millis;
        let cases = [
            (1, 0.0, ms(0)),
            (1, 0.5, ms(125)),
            (1, 0.999_999, ms(250)),
            (2, 0.999_999, ms(500)),
            (3, 0.5, ms(500)),
            (8, 0.999_999, ms(30_000)),
            (40, 0.999_999, ms(30_000)),
        ];
        for (attempt, jitter, expected) in cases {
            assert_eq!(
                backoff(attempt, jitter),
                expected,
                "attempt {attempt}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn a_429_waits_what_retry_after_says_in_seconds_or_as_a_date() {
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(42));
        let cases: [(&[(&'static str, &str)], Decision); 3] = [
            (&[("retry-after", "7")], retry_after_secs(7)),
            (&[("retry-after", date.as_str())], retry_after_secs(42)),
            (&[("retry-after", "0")], retry_after_secs(0)),
        ];
        for (pairs, expected) in cases {
            assert_eq!(answered(&first(true), 429, pairs), expected, "{pairs:?}");
        }
    }

    #[test]
    fn a_5xx_without_a_hint_backs_off_with_the_given_jitter() {
        for status in [500, 502, 503, 504] {
            assert_eq!(
                answered(&first(true), status, &[]),
                Decision::Retry {
                    after: Duration::from_millis(125)
                },
                "HTTP {status}"
            );
        }
    }

    #[test]
    fn a_spent_github_or_okta_budget_waits_for_the_reset() {
        let reset = (NOW_SECS + 30).to_string();
        for (remaining, reset_name) in [
            ("x-ratelimit-remaining", "x-ratelimit-reset"),
            ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ] {
            let pairs = [(remaining, "0"), (reset_name, reset.as_str())];
            for status in [403, 429] {
                assert_eq!(
                    answered(&first(true), status, &pairs),
                    retry_after_secs(30),
                    "{remaining} on HTTP {status}"
                );
            }
        }
    }

    #[test]
    fn a_403_with_budget_left_is_final() {
        let reset = (NOW_SECS + 30).to_string();
        let pairs = [
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", reset.as_str()),
        ];
        assert_eq!(answered(&first(true), 403, &pairs), Decision::Accept);
    }

    #[test]
    fn auth_failures_not_found_and_successes_are_never_retried() {
        for status in [200, 201, 304, 400, 401, 403, 404, 410, 422] {
            assert_eq!(
                answered(&first(true), status, &[]),
                Decision::Accept,
                "HTTP {status}"
            );
            assert_eq!(
                answered(&first(false), status, &[]),
                Decision::Accept,
                "HTTP {status}, not idempotent"
            );
        }
    }

    #[test]
    fn the_budget_caps_the_wait() {
        let spent = Attempt {
            number: 3,
            idempotent: true,
            waited: Duration::from_secs(100),
            budget: BUDGET,
        };
        assert_eq!(
            answered(&spent, 503, &[("retry-after", "20")]),
            retry_after_secs(20),
            "exactly at the budget is still allowed"
        );
        assert_eq!(
            answered(&spent, 503, &[("retry-after", "21")]),
            Decision::GiveUp {
                why: GiveUp::OverBudget {
                    server_asked: Some(Duration::from_secs(21))
                }
            }
        );
        let none_left = Attempt {
            budget: Duration::ZERO,
            waited: Duration::ZERO,
            ..spent
        };
        let outcome = Outcome::Failed(Failure::Timeout);
        assert_eq!(
            decide(&none_left, &outcome, now(), 0.5),
            Decision::GiveUp {
                why: GiveUp::OverBudget { server_asked: None }
            }
        );
        assert_eq!(
            decide(&none_left, &outcome, now(), 0.0),
            Decision::Retry {
                after: Duration::ZERO
            },
            "a zero wait fits a zero budget"
        );
    }

    #[test]
    fn the_attempt_cap_holds_even_when_the_server_asks_for_no_wait() {
        let at = |number| Attempt {
            number,
            ..first(true)
        };
        assert_eq!(
            answered(&at(MAX_ATTEMPTS - 1), 429, &[("retry-after", "0")]),
            retry_after_secs(0)
        );
        assert_eq!(
            answered(&at(MAX_ATTEMPTS), 429, &[("retry-after", "0")]),
            Decision::GiveUp {
                why: GiveUp::TooManyAttempts {
                    server_asked: Some(Duration::ZERO)
                }
            }
        );
    }

    #[test]
    fn a_request_that_changes_state_is_retried_only_after_a_429() {
        let upload = first(false);
        for status in [500, 502, 503, 504] {
            assert_eq!(
                answered(&upload, status, &[("retry-after", "1")]),
                Decision::GiveUp {
                    why: GiveUp::ChangesState
                },
                "HTTP {status}"
            );
        }
        for failure in TRANSIENT {
            assert_eq!(
                decide(&upload, &Outcome::Failed(failure), now(), 0.5),
                Decision::GiveUp {
                    why: GiveUp::ChangesState
                },
                "{failure:?}"
            );
        }
        assert_eq!(
            answered(&upload, 429, &[("retry-after", "1")]),
            retry_after_secs(1)
        );
    }

    #[test]
    fn transient_transport_failures_back_off_and_others_give_up() {
        for failure in TRANSIENT {
            assert_eq!(
                decide(&first(true), &Outcome::Failed(failure), now(), 0.5),
                Decision::Retry {
                    after: Duration::from_millis(125)
                },
                "{failure:?}"
            );
        }
        assert_eq!(
            decide(&first(true), &Outcome::Failed(Failure::Other), now(), 0.5),
            Decision::GiveUp {
                why: GiveUp::NotTransient
            }
        );
    }

    #[test]
    fn give_up_messages_name_the_attempts_the_waiting_and_the_last_error() {
        let attempt = Attempt {
            number: 4,
            idempotent: true,
            waited: Duration::from_millis(2_500),
            budget: Duration::from_secs(3),
        };
        let over = GiveUp::OverBudget {
            server_asked: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            over.message(&attempt, "HTTP 503 Service Unavailable"),
            "gave up after 4 attempts and 2.5s of waiting (http.max_retry_wait 3.0s): last error HTTP 503 Service Unavailable; the server asked to wait 60.0s more"
        );
        let cap = GiveUp::TooManyAttempts { server_asked: None };
        assert_eq!(
            cap.message(&attempt, "timed out"),
            "gave up after 4 attempts and 2.5s of waiting (http.max_retry_wait 3.0s): last error timed out"
        );
        assert_eq!(
            GiveUp::ChangesState.message(&attempt, "HTTP 502 Bad Gateway"),
            "HTTP 502 Bad Gateway; not retried because the request changes state and may have been received"
        );
        assert_eq!(
            GiveUp::NotTransient.message(&attempt, "builder error"),
            "builder error"
        );
    }
}
