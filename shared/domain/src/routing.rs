//! Where a new conversation goes (R-IN4, R-CS1, R-CS2, R-CS5, R-BOT2), decided from the channel's
//! settings, whether it is working time, whether the chatbot is available, the distribution
//! settings and the operators' availability. Also who gets a conversation that its assigned
//! operator left unanswered past the answer wait.

use crate::distribution::{DistributionMode, DistributionSettings};
use crate::ids::{ChatbotId, EmployeeId, GroupId};
use crate::settings::{AutoReplies, ChannelSettings, Fallback, NonWorkingTime, Receiver};
use chrono::{DateTime, Utc};

/// An operator as auto-assignment sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorLoad {
    pub employee: EmployeeId,
    pub online: bool,
    pub open_conversations: u32,
    /// When they were last given a conversation; `None` if never.
    pub last_assigned_at: Option<DateTime<Utc>>,
}

/// Where the conversation goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutingTarget {
    /// Assigned to this operator.
    Operator(EmployeeId),
    /// Waiting in this group's queue.
    GroupQueue(GroupId),
    /// Waiting in the general queue (no receiver configured).
    GeneralQueue,
    /// Handed to the chatbot; on failure or timeout it goes to `fallback` (call [`route_fallback`]).
    Chatbot { chatbot: ChatbotId, fallback: Fallback },
}

/// Which auto-reply list applies while the conversation waits for an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoReplySet {
    None,
    WorkingTime,
    NonWorkingTime,
}

/// The decision for a new conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingDecision {
    pub target: RoutingTarget,
    pub auto_replies: AutoReplySet,
}

/// What the decision needs to know.
#[derive(Clone, Copy, Debug)]
pub struct RoutingInput<'a> {
    pub settings: &'a ChannelSettings,
    pub working_time: bool,
    /// False when the chatbot is known to be unavailable before trying it.
    pub chatbot_available: bool,
    pub distribution: &'a DistributionSettings,
    /// The members of the group the decision may assign within ([`group_to_consult`]).
    pub operators: &'a [OperatorLoad],
}

/// The group whose operators the decision may need, so the caller loads only those.
pub fn group_to_consult(settings: &ChannelSettings, working_time: bool, chatbot_available: bool) -> Option<GroupId> {
    let fallback_group = |f: &Fallback| match f {
        Fallback::Group(g) if !chatbot_available => Some(g.clone()),
        _ => None,
    };
    if let (false, NonWorkingTime::Chatbot { fallback, .. }) = (working_time, &settings.non_working_time) {
        return fallback_group(fallback);
    }
    match &settings.receiver {
        Some(Receiver::Group(g)) => Some(g.clone()),
        Some(Receiver::Chatbot { fallback, .. }) => fallback_group(fallback),
        _ => None,
    }
}

/// Routes a new conversation.
pub fn route_new_conversation(input: RoutingInput<'_>) -> RoutingDecision {
    let s = input.settings;
    if let (false, NonWorkingTime::Chatbot { chatbot, fallback }) = (input.working_time, &s.non_working_time) {
        let target = if input.chatbot_available {
            RoutingTarget::Chatbot {
                chatbot: chatbot.clone(),
                fallback: fallback.clone(),
            }
        } else {
            route_fallback(fallback, input.distribution, input.operators)
        };
        return RoutingDecision {
            target,
            auto_replies: AutoReplySet::None,
        };
    }
    let auto_replies = match (&s.non_working_time, input.working_time) {
        (_, true) if !s.working_auto_replies.is_empty() => AutoReplySet::WorkingTime,
        (NonWorkingTime::AutoReplies(list), false) if !list.is_empty() => AutoReplySet::NonWorkingTime,
        _ => AutoReplySet::None,
    };
    let target = match &s.receiver {
        None => RoutingTarget::GeneralQueue,
        Some(Receiver::Employee(e)) => RoutingTarget::Operator(e.clone()),
        Some(Receiver::Group(g)) => to_group(g, input.distribution, input.operators),
        Some(Receiver::Chatbot { chatbot, fallback }) => {
            if input.chatbot_available {
                // The bot answers; auto-replies start only if it hands over.
                return RoutingDecision {
                    target: RoutingTarget::Chatbot {
                        chatbot: chatbot.clone(),
                        fallback: fallback.clone(),
                    },
                    auto_replies: AutoReplySet::None,
                };
            }
            route_fallback(fallback, input.distribution, input.operators)
        }
    };
    RoutingDecision { target, auto_replies }
}

/// Where a conversation goes when its chatbot fails, times out or hands over (R-BOT2).
pub fn route_fallback(
    fallback: &Fallback,
    distribution: &DistributionSettings,
    operators: &[OperatorLoad],
) -> RoutingTarget {
    match fallback {
        Fallback::Employee(e) => RoutingTarget::Operator(e.clone()),
        Fallback::Group(g) => to_group(g, distribution, operators),
    }
}

fn to_group(group: &GroupId, distribution: &DistributionSettings, operators: &[OperatorLoad]) -> RoutingTarget {
    match distribution.mode {
        DistributionMode::Queue => RoutingTarget::GroupQueue(group.clone()),
        DistributionMode::AutoAssign => pick_operator(distribution, operators, &[])
            .map(RoutingTarget::Operator)
            .unwrap_or_else(|| RoutingTarget::GroupQueue(group.clone())),
    }
}

/// The available operator to assign to, fairly: online, under capacity, not in `excluded`; the
/// fewest open conversations first, then the longest since their last assignment, then by id.
pub fn pick_operator(
    distribution: &DistributionSettings,
    operators: &[OperatorLoad],
    excluded: &[EmployeeId],
) -> Option<EmployeeId> {
    operators
        .iter()
        .filter(|o| {
            o.online && o.open_conversations < distribution.capacity_per_operator && !excluded.contains(&o.employee)
        })
        .min_by(|a, b| {
            a.open_conversations
                .cmp(&b.open_conversations)
                .then(a.last_assigned_at.cmp(&b.last_assigned_at))
                .then(a.employee.cmp(&b.employee))
        })
        .map(|o| o.employee.clone())
}

/// When an auto-assigned conversation passes on if its operator has not answered.
pub fn answer_deadline(assigned_at: DateTime<Utc>, distribution: &DistributionSettings) -> Option<DateTime<Utc>> {
    distribution.answer_wait.map(|w| assigned_at + w)
}

/// Who gets a conversation whose operator let the answer wait pass: the next available member
/// not yet tried, else the group's queue.
pub fn reassign_after_answer_wait(
    group: &GroupId,
    distribution: &DistributionSettings,
    operators: &[OperatorLoad],
    already_tried: &[EmployeeId],
) -> RoutingTarget {
    pick_operator(distribution, operators, already_tried)
        .map(RoutingTarget::Operator)
        .unwrap_or_else(|| RoutingTarget::GroupQueue(group.clone()))
}

/// The auto-reply list for a waiting period that starts now: working-time replies in working time,
/// non-working-time replies in non-working time, none while a chatbot has the conversation.
pub fn auto_reply_set_for_waiting(settings: &ChannelSettings, working_time: bool, with_chatbot: bool) -> AutoReplySet {
    match (&settings.non_working_time, working_time) {
        _ if with_chatbot => AutoReplySet::None,
        (_, true) if !settings.working_auto_replies.is_empty() => AutoReplySet::WorkingTime,
        (NonWorkingTime::AutoReplies(list), false) if !list.is_empty() => AutoReplySet::NonWorkingTime,
        _ => AutoReplySet::None,
    }
}

/// The auto-reply list a set names in these settings.
pub fn auto_replies_for(settings: &ChannelSettings, set: AutoReplySet) -> Option<&AutoReplies> {
    match (set, &settings.non_working_time) {
        (AutoReplySet::WorkingTime, _) => Some(&settings.working_auto_replies),
        (AutoReplySet::NonWorkingTime, NonWorkingTime::AutoReplies(list)) => Some(list),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
