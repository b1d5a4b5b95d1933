//! Delayed auto-replies (R-AR1–R-AR3). When a client message starts a waiting period, each
//! auto-reply of the list that applies (working or non-working time, none while a chatbot has the
//! conversation) is scheduled at that message's time plus its delay, under a deterministic name, so
//! planning twice schedules once. When a schedule fires, the reply is sent only if the conversation
//! is open and the same waiting period still runs (nobody answered since); it is claimed in the
//! store before sending (the claim is a message with the job's id: a second firing finds it and
//! sends nothing). An answer cancels what is pending (the firing would skip it anyway).

use crate::error::{ServiceError, ServiceResult};
use crate::outbox;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::ScheduledJob;
use chrono::{DateTime, TimeZone, Utc};
use domain::auto_reply::{AutoReplyCheck, plan_auto_replies, schedule_name, should_send_auto_reply};
use domain::conversation::{Author, Content, Conversation, ConversationStatus, Delivery, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};
use domain::routing::{auto_replies_for, auto_reply_set_for_waiting};
use domain::settings::MAX_AUTO_REPLIES;
use serde::{Deserialize, Serialize};

/// What a schedule carries to the auto-reply target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoReplyJob {
    pub tenant: TenantId,
    pub channel: ChannelId,
    pub conversation: ConversationId,
    /// The waiting period it belongs to (unix seconds of the client message that began it).
    pub waiting_since: i64,
    pub index: usize,
    /// The text as configured when planned.
    pub text: String,
}

impl AutoReplyJob {
    /// The schedule's name (deterministic: planning again finds it).
    pub fn name(&self) -> String {
        job_name(&self.tenant, &self.conversation, self.waiting_since, self.index)
    }
}

fn job_name(tenant: &TenantId, conversation: &ConversationId, waiting_since: i64, index: usize) -> String {
    schedule_name(&[
        "ar",
        tenant.as_str(),
        conversation.as_str(),
        &waiting_since.to_string(),
        &index.to_string(),
    ])
}

/// What firing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fired {
    Sent,
    /// Not sent, and why (answered, closed, already sent).
    Skipped(&'static str),
    /// Avito refused it; the message shows the reason.
    Failed(String),
}

/// The auto-reply use cases.
#[derive(Clone)]
pub struct AutoReplies {
    pub ports: Ports,
}

fn transient(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Transient(e.to_string())
}

impl AutoReplies {
    /// Schedules the auto-replies of the waiting period `conversation` is in; returns how many.
    pub async fn plan(&self, tenant: &TenantId, conversation: &Conversation) -> ServiceResult<usize> {
        let Some(waiting_since) = conversation.waiting_since else {
            return Ok(0);
        };
        let settings = self.ports.settings(tenant, &conversation.channel_id).await?;
        let schedule = self.ports.config.schedule(tenant).await?;
        let with_chatbot = matches!(conversation.handler, Handler::Chatbot { .. });
        let set = auto_reply_set_for_waiting(&settings, schedule.is_working_at(waiting_since), with_chatbot);
        let Some(list) = auto_replies_for(&settings, set).filter(|l| !l.is_empty()) else {
            return Ok(0);
        };
        // When the period ends is only needed with replies to plan, and is the dearer question.
        let period = schedule.period_at(waiting_since);
        let planned = plan_auto_replies(waiting_since, list, period.until());
        for p in &planned {
            let job = AutoReplyJob {
                tenant: tenant.clone(),
                channel: conversation.channel_id.clone(),
                conversation: conversation.id.clone(),
                waiting_since: waiting_since.timestamp(),
                index: p.index,
                text: p.text.as_str().to_owned(),
            };
            let payload = serde_json::to_string(&job).map_err(|e| ServiceError::Permanent(e.to_string()))?;
            self.ports
                .scheduler
                .schedule(&ScheduledJob {
                    name: job.name(),
                    due_at: p.due_at,
                    payload,
                })
                .await
                .map_err(transient)?;
        }
        Ok(planned.len())
    }

    /// Cancels the pending auto-replies of a waiting period (best effort: a firing would skip them).
    pub async fn cancel(&self, tenant: &TenantId, conversation: &ConversationId, waiting_since: DateTime<Utc>) {
        for index in 0..MAX_AUTO_REPLIES {
            if let Err(e) = self
                .ports
                .scheduler
                .cancel(&job_name(tenant, conversation, waiting_since.timestamp(), index))
                .await
            {
                tracing::warn!(error = %e, "an auto-reply could not be cancelled; it will skip itself");
            }
        }
    }

    /// The schedule's target: sends the auto-reply if it is still due, at most once.
    pub async fn fire(&self, job: &AutoReplyJob) -> ServiceResult<Fired> {
        let planned_for = Utc
            .timestamp_opt(job.waiting_since, 0)
            .single()
            .ok_or_else(|| ServiceError::Permanent("bad waiting time".into()))?;
        let message_id = format!("ar-{}", job.name());
        let claimed = until_settled!("the conversation", {
            let Some(current) = self.ports.conversations.get(&job.tenant, &job.conversation).await? else {
                return Ok(Some(Err("the conversation no longer exists")));
            };
            let check = AutoReplyCheck {
                conversation_open: current.value.status == ConversationStatus::Open,
                planned_for_waiting_since: planned_for,
                waiting_since: current.value.waiting_since,
                already_sent: false,
            };
            if !should_send_auto_reply(check) {
                return Ok(Some(Err("answered or closed since")));
            }
            let message = Message {
                id: message_id.clone(),
                conversation_id: job.conversation.clone(),
                author: Author::AutoReply,
                content: Content::Text { text: job.text.clone() },
                created_at: self.ports.clock.now(),
                delivery: Some(Delivery::Pending),
            };
            let next = current.value.clone().with_message(&message);
            // The claim: a second firing finds this message and sends nothing.
            let added = self
                .ports
                .conversations
                .add_message(&job.tenant, &current, &next, &message)
                .await;
            Ok(settled(added)?.map(|added| {
                if added {
                    Ok((next, message))
                } else {
                    Err("already sent")
                }
            }))
        });
        let (conversation, message) = match claimed {
            Ok(claimed) => claimed,
            Err(why) => return Ok(Fired::Skipped(why)),
        };
        let sent = outbox::send_claimed(&self.ports, &job.tenant, &job.channel, &conversation.chat_id, message).await?;
        let fired = match sent {
            Ok(_) => Fired::Sent,
            Err(failure) => Fired::Failed(failure.reason),
        };
        Ok(fired)
    }
}
