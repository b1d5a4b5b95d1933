//! The answer wait (R-CS2): an auto-assigned conversation whose operator has not answered within
//! the distribution settings' answer wait passes to the next available member of its group (one not
//! tried yet), or back to the group's queue. Scheduled with the assignment; when it fires it acts only
//! if the conversation is still open, still with that operator, and the client still waits; the
//! pass-on is a visible note written with the new assignee in one conditional write, so a second
//! firing changes nothing.

use crate::auto_replies::AutoReplies;
use crate::ports::Ports;
use crate::processing::{InboundProcessor, ProcessError};
use adapters::ports::{ScheduledJob, StoreError};
use chrono::{DateTime, Utc};
use domain::auto_reply::schedule_name;
use domain::conversation::{Author, Content, ConversationStatus, Handler, Message};
use domain::ids::{ConversationId, EmployeeId, GroupId, TenantId};
use domain::routing::{RoutingTarget, reassign_after_answer_wait};
use serde::{Deserialize, Serialize};

/// What the schedule carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerWaitJob {
    pub tenant: TenantId,
    pub conversation: ConversationId,
    pub group: GroupId,
    pub assigned_to: EmployeeId,
    /// Unix seconds.
    pub assigned_at: i64,
    /// Operators who had it before and let the wait pass.
    pub tried: Vec<EmployeeId>,
}

/// What firing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Passed {
    ToOperator(EmployeeId),
    ToQueue,
    Skipped(&'static str),
}

impl AnswerWaitJob {
    pub fn name(&self) -> String {
        schedule_name(&[
            "aw",
            self.tenant.as_str(),
            self.conversation.as_str(),
            self.assigned_to.as_str(),
            &self.assigned_at.to_string(),
        ])
    }

    /// Schedules this wait to fire at `at`.
    pub async fn schedule(&self, ports: &Ports, at: DateTime<Utc>) -> Result<(), ProcessError> {
        let payload = serde_json::to_string(self).map_err(|e| ProcessError::Permanent(e.to_string()))?;
        ports
            .scheduler
            .schedule(&ScheduledJob {
                name: self.name(),
                due_at: at,
                payload,
            })
            .await
            .map(drop)
            .map_err(|e| ProcessError::Transient(e.to_string()))
    }

    /// Fires: passes the conversation on if its operator let the wait pass.
    pub async fn fire(&self, ports: &Ports) -> Result<Passed, ProcessError> {
        let processor = InboundProcessor { ports: ports.clone() };
        loop {
            let Some(current) = ports.conversations.get(&self.tenant, &self.conversation).await? else {
                return Ok(Passed::Skipped("the conversation no longer exists"));
            };
            let still_theirs =
                matches!(&current.value.handler, Handler::Operator { employee_id } if *employee_id == self.assigned_to);
            if current.value.status != ConversationStatus::Open
                || !still_theirs
                || current.value.waiting_since.is_none()
            {
                return Ok(Passed::Skipped("answered, closed or reassigned since"));
            }
            let distribution = ports.config.distribution(&self.tenant).await?;
            let operators = processor
                .operator_loads(&self.tenant, &self.group, distribution.capacity_per_operator)
                .await?;
            let mut tried = self.tried.clone();
            tried.push(self.assigned_to.clone());
            let target = reassign_after_answer_wait(&self.group, &distribution, &operators, &tried);
            let (handler, passed, note) = match target {
                RoutingTarget::Operator(next) => (
                    Handler::Operator {
                        employee_id: next.clone(),
                    },
                    Passed::ToOperator(next.clone()),
                    format!(
                        "Оператор {} не ответил вовремя: обращение передано оператору {next}",
                        self.assigned_to
                    ),
                ),
                _ => (
                    Handler::GroupQueue {
                        group_id: self.group.clone(),
                    },
                    Passed::ToQueue,
                    format!(
                        "Оператор {} не ответил вовремя: обращение вернулось в очередь",
                        self.assigned_to
                    ),
                ),
            };
            let now = ports.clock.now();
            let message = Message {
                id: format!("aw-{}", self.name()),
                conversation_id: current.value.id.clone(),
                author: Author::System,
                content: Content::System {
                    text: Some(note),
                    flow_id: None,
                },
                created_at: now,
                delivery: None,
            };
            let mut next = current.value.clone().with_message(&message);
            next.handler = handler;
            match ports
                .conversations
                .add_message(&self.tenant, &next, current.version, &message)
                .await
            {
                Ok(true) => {
                    ports.notify_assigned(&self.tenant, &next, now).await?;
                    if let (Passed::ToOperator(to), Some(wait)) = (&passed, distribution.answer_wait) {
                        let job = AnswerWaitJob {
                            assigned_to: to.clone(),
                            assigned_at: now.timestamp(),
                            tried,
                            ..self.clone()
                        };
                        job.schedule(ports, now + wait).await?;
                    }
                    return Ok(passed);
                }
                Ok(false) => return Ok(Passed::Skipped("already passed on")),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Every job the scheduler's target receives.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TimedJob {
    AnswerWait(AnswerWaitJob),
    AutoReply(crate::auto_replies::AutoReplyJob),
}

impl TimedJob {
    /// Fires the job; a description of what happened, for the log.
    pub async fn fire(&self, ports: &Ports) -> Result<String, ProcessError> {
        match self {
            TimedJob::AnswerWait(job) => job.fire(ports).await.map(|p| format!("{p:?}")),
            TimedJob::AutoReply(job) => AutoReplies { ports: ports.clone() }
                .fire(job)
                .await
                .map(|f| format!("{f:?}")),
        }
    }
}
