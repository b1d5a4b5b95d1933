//! Who has a conversation, and how it passes on (R-CS1, R-CS2). A new conversation goes where
//! the working schedule, the channel's settings and the distribution settings say ([`route`]): an
//! employee, a group's queue (or, with auto-assignment, the group's online member under capacity
//! with the fewest open conversations, then the longest since their last assignment), the general
//! queue, or a chatbot. A chatbot's conversation goes to the channel's fallback when the bot hands
//! over or fails ([`fallback_handler`]).
//!
//! The answer wait: an auto-assigned conversation whose operator has not answered within the
//! distribution settings' answer wait passes to the next available member of its group (one not
//! tried yet), or back to the group's queue ([`AnswerWaitJob`]). Scheduled with the assignment;
//! when it fires it acts only if the conversation is still open, still with that operator, and the
//! client still waits; the pass-on is a visible note written with the new assignee in one
//! conditional write, so a second firing changes nothing. Every assignment to an operator
//! notifies them.

use crate::error::{ServiceError, ServiceResult};
use crate::notify;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::ScheduledJob;
use chrono::{DateTime, TimeDelta, Utc};
use domain::auto_reply::schedule_name;
use domain::conversation::{Author, Content, Conversation, ConversationStatus, Handler, Message};
use domain::directory::Group;
use domain::distribution::DistributionMode;
use domain::ids::{ConversationId, EmployeeId, GroupId, TenantId};
use domain::routing::{OperatorLoad, RoutingInput, RoutingTarget, reassign_after_answer_wait, route_new_conversation};
use domain::settings::ChannelSettings;
use serde::{Deserialize, Serialize};

/// Where routing sent a conversation, and (when it auto-assigned it within a group that has an
/// answer wait) the group and the wait.
pub struct Routed {
    pub handler: Handler,
    pub auto_assigned: Option<(GroupId, TimeDelta)>,
}

/// Where a new conversation goes, by the schedule and the channel's settings.
/// `chatbot_available`: `false` when the conversation comes from a chatbot (its fallback).
pub async fn route(
    ports: &Ports,
    tenant: &TenantId,
    settings: &ChannelSettings,
    now: DateTime<Utc>,
    chatbot_available: bool,
) -> ServiceResult<Routed> {
    let schedule = ports.config.schedule(tenant).await?;
    let distribution = ports.config.distribution(tenant).await?;
    let working_time = schedule.is_working_at(now);
    let group = domain::routing::group_to_consult(settings, working_time, chatbot_available)
        .filter(|_| distribution.mode == DistributionMode::AutoAssign);
    let operators = match &group {
        Some(group) => operator_loads(ports, tenant, group, distribution.capacity_per_operator).await?,
        None => Vec::new(),
    };
    let decision = route_new_conversation(RoutingInput {
        settings,
        working_time,
        chatbot_available,
        distribution: &distribution,
        operators: &operators,
    });
    let mut auto_assigned = None;
    let handler = match decision.target {
        RoutingTarget::Operator(employee_id) => {
            if operators.iter().any(|o| o.employee == employee_id) {
                // Auto-assigned: remember when, for fairness (best effort).
                let mut presence = ports.config.presence(tenant, &employee_id).await?;
                presence.last_assigned_at = Some(now);
                ports.config.put_presence(tenant, &employee_id, &presence).await?;
                auto_assigned = group.zip(distribution.answer_wait);
            }
            Handler::Operator { employee_id }
        }
        RoutingTarget::GroupQueue(group_id) => Handler::GroupQueue { group_id },
        RoutingTarget::GeneralQueue => Handler::GeneralQueue,
        RoutingTarget::Chatbot { chatbot, .. } => Handler::Chatbot { chatbot_id: chatbot },
    };
    Ok(Routed { handler, auto_assigned })
}

/// After a new conversation with `routed`'s handler is stored: its answer wait starts (for an
/// auto-assignment) and its operator is notified.
pub async fn assigned(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    routed: &Routed,
) -> ServiceResult<()> {
    start_answer_wait(ports, tenant, &conversation.id, routed, conversation.created_at).await?;
    notify::assigned(ports, tenant, conversation, conversation.created_at).await
}

/// Where a chatbot's conversation goes when the bot hands it over or is unavailable: the
/// fallback of the channel's settings, distributed as any new conversation (an auto-assignment
/// starts its answer wait). The caller stores it, then notifies with [`notify::assigned`].
pub async fn fallback_handler(ports: &Ports, tenant: &TenantId, conversation: &Conversation) -> ServiceResult<Handler> {
    let settings = ports.settings(tenant, &conversation.channel_id).await?;
    let now = ports.clock.now();
    let routed = route(ports, tenant, &settings, now, false).await?;
    start_answer_wait(ports, tenant, &conversation.id, &routed, now).await?;
    Ok(routed.handler)
}

/// Schedules the answer wait of an auto-assignment.
async fn start_answer_wait(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &ConversationId,
    routed: &Routed,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if let (Some((group, wait)), Handler::Operator { employee_id }) = (&routed.auto_assigned, &routed.handler) {
        let job = AnswerWaitJob {
            tenant: tenant.clone(),
            conversation: conversation.clone(),
            group: group.clone(),
            assigned_to: employee_id.clone(),
            assigned_at: now.timestamp(),
            tried: Vec::new(),
        };
        job.schedule(ports, now + *wait).await?;
    }
    Ok(())
}

/// The members of `group` as auto-assignment sees them: online or not, how many open
/// conversations they have (counted up to the capacity), when they last got one.
async fn operator_loads(
    ports: &Ports,
    tenant: &TenantId,
    group: &GroupId,
    capacity: u32,
) -> ServiceResult<Vec<OperatorLoad>> {
    let Some(group) = ports
        .config
        .get::<Group>(tenant, group.as_str())
        .await?
        .map(|g| g.value)
    else {
        return Ok(Vec::new());
    };
    let mut loads = Vec::with_capacity(group.members.len());
    for employee in group.members {
        let presence = ports.config.presence(tenant, &employee).await?;
        let mine = [Handler::Operator {
            employee_id: employee.clone(),
        }];
        let open = ports
            .conversations
            .open_by_handler(tenant, &mine, None, capacity)
            .await?;
        let open_conversations = u32::try_from(open.items.len()).unwrap_or(u32::MAX) + u32::from(open.next.is_some());
        loads.push(OperatorLoad {
            employee,
            online: presence.online,
            open_conversations,
            last_assigned_at: presence.last_assigned_at,
        });
    }
    Ok(loads)
}

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
    pub async fn schedule(&self, ports: &Ports, at: DateTime<Utc>) -> ServiceResult<()> {
        let payload = serde_json::to_string(self).map_err(|e| ServiceError::Permanent(e.to_string()))?;
        ports
            .scheduler
            .schedule(&ScheduledJob {
                name: self.name(),
                due_at: at,
                payload,
            })
            .await
            .map(drop)
            .map_err(|e| ServiceError::Transient(e.to_string()))
    }

    /// Fires: passes the conversation on if its operator let the wait pass.
    pub async fn fire(&self, ports: &Ports) -> ServiceResult<Passed> {
        let passed = until_settled!("the conversation", {
            let Some(current) = ports.conversations.get(&self.tenant, &self.conversation).await? else {
                return Ok(Some(Err("the conversation no longer exists")));
            };
            let still_theirs =
                matches!(&current.value.handler, Handler::Operator { employee_id } if *employee_id == self.assigned_to);
            if current.value.status != ConversationStatus::Open
                || !still_theirs
                || current.value.waiting_since.is_none()
            {
                return Ok(Some(Err("answered, closed or reassigned since")));
            }
            let distribution = ports.config.distribution(&self.tenant).await?;
            let operators =
                operator_loads(ports, &self.tenant, &self.group, distribution.capacity_per_operator).await?;
            let mut tried = self.tried.clone();
            tried.push(self.assigned_to.clone());
            let target = reassign_after_answer_wait(&self.group, &distribution, &operators, &tried);
            let late = ports.employee_name(&self.tenant, &self.assigned_to).await?;
            let (handler, passed, note) = match target {
                RoutingTarget::Operator(next) => (
                    Handler::Operator {
                        employee_id: next.clone(),
                    },
                    Passed::ToOperator(next.clone()),
                    format!(
                        "Оператор {late} не ответил вовремя: обращение передано оператору {}",
                        ports.employee_name(&self.tenant, &next).await?
                    ),
                ),
                _ => (
                    Handler::GroupQueue {
                        group_id: self.group.clone(),
                    },
                    Passed::ToQueue,
                    format!("Оператор {late} не ответил вовремя: обращение вернулось в очередь"),
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
            let added = ports
                .conversations
                .add_message(&self.tenant, &current, &next, &message)
                .await;
            Ok(settled(added)?.map(|added| {
                if added {
                    Ok((next, passed, tried, distribution.answer_wait, now))
                } else {
                    Err("already passed on")
                }
            }))
        });
        let (next, passed, tried, answer_wait, now) = match passed {
            Ok(done) => done,
            Err(why) => return Ok(Passed::Skipped(why)),
        };
        notify::assigned(ports, &self.tenant, &next, now).await?;
        if let (Passed::ToOperator(to), Some(wait)) = (&passed, answer_wait) {
            let job = AnswerWaitJob {
                assigned_to: to.clone(),
                assigned_at: now.timestamp(),
                tried,
                ..self.clone()
            };
            job.schedule(ports, now + wait).await?;
        }
        Ok(passed)
    }
}
