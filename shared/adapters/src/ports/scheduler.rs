//! The scheduler port: one-time jobs at an instant (delayed auto-replies). On AWS, EventBridge
//! Scheduler `at()` schedules that invoke the auto-reply function and delete themselves; locally,
//! durable timers in a SQLite table that a pump fires. Jobs may fire more than once (EventBridge
//! delivers at least once), so targets are idempotent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A one-time job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledJob {
    /// Unique and deterministic (see `domain::auto_reply::schedule_name`): at most 64 characters of
    /// `[0-9A-Za-z-_.]`.
    pub name: String,
    /// When it fires (whole seconds).
    pub due_at: DateTime<Utc>,
    /// What the target receives (JSON).
    pub payload: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("scheduler unavailable: {0}")]
    Unavailable(String),
    #[error("invalid job: {0}")]
    Invalid(String),
}

#[async_trait]
pub trait Scheduler: Send + Sync {
    /// Creates the job; `Ok(false)` if a job of that name exists (it is left as it is).
    async fn schedule(&self, job: &ScheduledJob) -> Result<bool, SchedulerError>;

    /// Deletes the job; `Ok(false)` if there was none (already fired, or never made).
    async fn cancel(&self, name: &str) -> Result<bool, SchedulerError>;

    /// The job, if it is still scheduled.
    async fn get(&self, name: &str) -> Result<Option<ScheduledJob>, SchedulerError>;
}
