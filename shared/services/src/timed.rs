//! Timed jobs: what the scheduler fires (EventBridge Scheduler on AWS, durable timers locally),
//! read from the schedule's payload and handed to the use case it belongs to: an auto-reply
//! ([`crate::answering`]), an answer wait ([`crate::assignment`]) or a retried enrichment
//! ([`crate::enrichment`]).

use crate::answering::{AutoReplies, AutoReplyJob};
use crate::assignment::AnswerWaitJob;
use crate::enrichment::EnrichJob;
use crate::error::ServiceResult;
use crate::ports::Ports;
use serde::Deserialize;

/// Every job the scheduler's target receives.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TimedJob {
    AnswerWait(AnswerWaitJob),
    AutoReply(AutoReplyJob),
    Enrich(EnrichJob),
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
            TimedJob::Enrich(job) => job.fire(ports).await.map(|e| format!("{e:?}")),
        }
    }
}
