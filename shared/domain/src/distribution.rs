//! Tenant-wide default distribution settings (R-CS2): whether a group's conversations wait in the
//! queue or go straight to an available operator, how many open conversations an operator may
//! hold, and how long an auto-assigned operator may leave a new conversation unanswered before it
//! passes on (the "answer wait").

use crate::validation::{Problem, ValidationErrors};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// Capacity per operator is 1 to this many open conversations.
pub const MAX_CAPACITY_PER_OPERATOR: u32 = 1000;
/// The answer wait is 30 seconds to one day.
pub const ANSWER_WAIT_SECONDS: std::ops::RangeInclusive<i64> = 30..=86_400;

/// How a group's new conversations are distributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistributionMode {
    /// They wait in the group's queue until an operator takes one.
    Queue,
    /// They go at once to an online member under capacity, the least loaded first.
    AutoAssign,
}

/// The validated settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DistributionDoc", into = "DistributionDoc")]
pub struct DistributionSettings {
    pub mode: DistributionMode,
    pub capacity_per_operator: u32,
    /// `None`: an assigned conversation stays with its operator however long they take.
    pub answer_wait: Option<TimeDelta>,
}

impl Default for DistributionSettings {
    /// Queue, 10 conversations per operator, 5 minutes to answer.
    fn default() -> Self {
        Self {
            mode: DistributionMode::Queue,
            capacity_per_operator: 10,
            answer_wait: Some(TimeDelta::minutes(5)),
        }
    }
}

/// The settings as a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistributionDoc {
    /// `queue` or `auto_assign`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::mode, example = "auto_assign"))]
    pub mode: String,
    /// 1 to 1000 open conversations per operator.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::capacity))]
    pub capacity_per_operator: i64,
    /// 30 to 86400 seconds, or `null` for never passing a conversation on.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::answer_wait))]
    pub answer_wait_seconds: Option<i64>,
}

/// The schemas of the document's fields (see [`crate::schema`]).
#[cfg(feature = "openapi")]
mod schemas {
    use super::*;
    use crate::schema::{integer, one_of_strings};
    use utoipa::openapi::{RefOr, Schema};

    pub fn mode() -> RefOr<Schema> {
        one_of_strings(&["queue", "auto_assign"]).into()
    }

    pub fn capacity() -> RefOr<Schema> {
        integer(1, MAX_CAPACITY_PER_OPERATOR.into(), false).into()
    }

    pub fn answer_wait() -> RefOr<Schema> {
        integer(*ANSWER_WAIT_SECONDS.start(), *ANSWER_WAIT_SECONDS.end(), true).into()
    }
}

impl TryFrom<DistributionDoc> for DistributionSettings {
    type Error = ValidationErrors;

    fn try_from(doc: DistributionDoc) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mode = match doc.mode.as_str() {
            "queue" => DistributionMode::Queue,
            "auto_assign" => DistributionMode::AutoAssign,
            _ => {
                errors.add("mode", Problem::OneOf(&["queue", "auto_assign"]));
                DistributionMode::Queue
            }
        };
        let capacity = u32::try_from(doc.capacity_per_operator)
            .ok()
            .filter(|c| (1..=MAX_CAPACITY_PER_OPERATOR).contains(c));
        if capacity.is_none() {
            errors.add(
                "capacity_per_operator",
                Problem::OutOfRange {
                    min: 1,
                    max: MAX_CAPACITY_PER_OPERATOR.into(),
                },
            );
        }
        if doc
            .answer_wait_seconds
            .is_some_and(|s| !ANSWER_WAIT_SECONDS.contains(&s))
        {
            errors.add(
                "answer_wait_seconds",
                Problem::OutOfRange {
                    min: ANSWER_WAIT_SECONDS.start().unsigned_abs(),
                    max: ANSWER_WAIT_SECONDS.end().unsigned_abs(),
                },
            );
        }
        errors.into_result(DistributionSettings {
            mode,
            capacity_per_operator: capacity.unwrap_or(1),
            answer_wait: doc.answer_wait_seconds.map(TimeDelta::seconds),
        })
    }
}

impl From<DistributionSettings> for DistributionDoc {
    fn from(s: DistributionSettings) -> Self {
        DistributionDoc {
            mode: match s.mode {
                DistributionMode::Queue => "queue",
                DistributionMode::AutoAssign => "auto_assign",
            }
            .into(),
            capacity_per_operator: s.capacity_per_operator.into(),
            answer_wait_seconds: s.answer_wait.map(|w| w.num_seconds()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(mode: &str, capacity: i64, wait: Option<i64>) -> Result<DistributionSettings, Vec<String>> {
        DistributionSettings::try_from(DistributionDoc {
            mode: mode.into(),
            capacity_per_operator: capacity,
            answer_wait_seconds: wait,
        })
        .map_err(|e| e.fields().into_iter().map(str::to_owned).collect())
    }

    #[test]
    fn distribution_settings_validation_table() {
        let table: [(&str, i64, Option<i64>, &[&str]); 8] = [
            ("queue", 10, Some(300), &[]),
            ("auto_assign", 1, None, &[]),
            ("auto_assign", 1000, Some(30), &[]),
            ("auto_assign", 1000, Some(86_400), &[]),
            ("round_robin", 10, None, &["mode"]),
            ("queue", 0, None, &["capacity_per_operator"]),
            (
                "queue",
                1001,
                Some(29),
                &["capacity_per_operator", "answer_wait_seconds"],
            ),
            (
                "queue",
                -1,
                Some(86_401),
                &["capacity_per_operator", "answer_wait_seconds"],
            ),
        ];
        for (mode, capacity, wait, expected) in table {
            let got = check(mode, capacity, wait).err().unwrap_or_default();
            assert_eq!(got, expected, "{mode} {capacity} {wait:?}");
        }
    }

    #[test]
    fn the_document_round_trips() {
        let doc = DistributionDoc {
            mode: "auto_assign".into(),
            capacity_per_operator: 7,
            answer_wait_seconds: Some(120),
        };
        let settings = DistributionSettings::try_from(doc.clone()).expect("valid");
        assert_eq!(DistributionDoc::from(settings), doc);
    }
}
