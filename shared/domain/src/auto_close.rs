//! Auto-close of inactive conversations (R-CS6, R-CL1): client and operator messages are activity;
//! auto-replies and system messages are not.

use crate::settings::AutoCloseAfter;
use chrono::{DateTime, Utc};

/// When a conversation whose last activity was at `last_activity` closes by itself.
pub fn auto_close_due_at(last_activity: DateTime<Utc>, after: AutoCloseAfter) -> DateTime<Utc> {
    last_activity + after.duration()
}

/// Whether the sweep running at `now` closes it.
pub fn is_auto_close_due(last_activity: DateTime<Utc>, after: AutoCloseAfter, now: DateTime<Utc>) -> bool {
    now >= auto_close_due_at(last_activity, after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::AutoCloseUnit;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("test instant parses")
    }

    #[test]
    fn auto_close_due_time_table() {
        let last = at("2026-11-25T10:00:00Z");
        let table = [
            (AutoCloseAfter::default(), "2026-11-29T10:00:00Z"),
            (
                AutoCloseAfter::new(1, AutoCloseUnit::Hours).expect("valid"),
                "2026-11-25T11:00:00Z",
            ),
            (
                AutoCloseAfter::new(36, AutoCloseUnit::Hours).expect("valid"),
                "2026-11-26T22:00:00Z",
            ),
            (
                AutoCloseAfter::new(40, AutoCloseUnit::Days).expect("valid"),
                "2027-01-04T10:00:00Z",
            ),
        ];
        for (after, due) in table {
            assert_eq!(auto_close_due_at(last, after), at(due), "{after:?}");
        }
    }

    #[test]
    fn the_sweep_closes_at_the_due_time_not_before() {
        let last = at("2026-11-25T10:00:00Z");
        let after = AutoCloseAfter::new(2, AutoCloseUnit::Hours).expect("valid");
        assert!(!is_auto_close_due(last, after, at("2026-11-25T11:59:59Z")));
        assert!(is_auto_close_due(last, after, at("2026-11-25T12:00:00Z")));
    }
}
