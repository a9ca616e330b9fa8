//! The guard (SPEC §3.6): a source that failed, or returned far fewer records than its last good run,
//! is not trusted to say who is missing.
//!
//! Architecture invariant: pure; the baseline comes in as a number.

use crate::model::SourceStatus;

/// The status of a source that returned `records` this run, given its last good count.
pub fn status_for(records: usize, last_good: Option<u64>, max_drop_percent: f64) -> SourceStatus {
    let Some(baseline) = last_good.filter(|&b| b > 0) else {
        return SourceStatus::Ok;
    };
    let records = records as f64;
    let baseline = baseline as f64;
    let drop_percent = (baseline - records) / baseline * 100.0;
    if drop_percent > max_drop_percent {
        SourceStatus::Guarded
    } else {
        SourceStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_without_a_baseline_is_ok() {
        assert_eq!(status_for(0, None, 10.0), SourceStatus::Ok);
    }

    #[test]
    fn drop_within_the_limit_is_ok() {
        assert_eq!(status_for(90, Some(100), 10.0), SourceStatus::Ok);
    }

    #[test]
    fn drop_beyond_the_limit_is_guarded() {
        assert_eq!(status_for(89, Some(100), 10.0), SourceStatus::Guarded);
    }

    #[test]
    fn empty_answer_after_a_full_one_is_guarded() {
        assert_eq!(status_for(0, Some(3), 10.0), SourceStatus::Guarded);
    }

    #[test]
    fn growth_is_ok() {
        assert_eq!(status_for(500, Some(100), 10.0), SourceStatus::Ok);
    }
}
