//! Timed jobs: what the scheduler fires (EventBridge Scheduler on AWS, durable timers locally),
//! read from the schedule's payload and handed to the use case it belongs to: an auto-reply
//! ([`crate::answering`]) or an answer wait ([`crate::assignment`]).

use crate::answering::{AutoReplies, AutoReplyJob};
use crate::assignment::AnswerWaitJob;
use crate::error::ServiceResult;
use crate::ports::Ports;
use serde::Deserialize;

/// Every job the scheduler's target receives.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TimedJob {
    AnswerWait(AnswerWaitJob),
    AutoReply(AutoReplyJob),
}

impl TimedJob {
    /// Fires the job; a description of what happened, for the log.
    pub async fn fire(&self, ports: &Ports) -> ServiceResult<String> {
        match self {
            TimedJob::AnswerWait(job) => job.fire(ports).await.map(|p| format!("{p:?}")),
            TimedJob::AutoReply(job) => AutoReplies { ports: ports.clone() }
                .fire(job)
                .await
                .map(|f| format!("{f:?}")),
        }
    }
}
