//! The operators' notification feed: what they are told about their conversations (one was
//! assigned to them, a client wrote and waits), and how much of it is unread. Each notification has a deterministic id, so telling twice
//! stores one.

use crate::error::ServiceResult;
use crate::ports::Ports;
use chrono::{DateTime, Utc};
use domain::conversation::{Conversation, Handler};
use domain::ids::{EmployeeId, TenantId};
use domain::notification::{Notification, NotificationKind};

/// Tells the operator who has `conversation` (when an operator has it) that it was assigned to
/// them at `at`; once per assignment.
pub async fn assigned(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    at: DateTime<Utc>,
) -> ServiceResult<()> {
    let text = format!("Вам назначено обращение: {}", who(conversation));
    tell(ports, tenant, conversation, NotificationKind::Assigned, at, text).await
}

/// Tells the operator who has `conversation` that the client wrote and waits (since
/// `waiting_since`); once per waiting period, not per message.
pub async fn client_wrote(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    waiting_since: DateTime<Utc>,
) -> ServiceResult<()> {
    let text = format!("Новое сообщение: {}", who(conversation));
    tell(
        ports,
        tenant,
        conversation,
        NotificationKind::Message,
        waiting_since,
        text,
    )
    .await
}

/// A notification to the operator who has `conversation`, if one has it; its id names what
/// happened and when, so telling twice stores one.
async fn tell(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    kind: NotificationKind,
    at: DateTime<Utc>,
    text: String,
) -> ServiceResult<()> {
    let Handler::Operator { employee_id } = &conversation.handler else {
        return Ok(());
    };
    let id = match kind {
        NotificationKind::Assigned => format!("assigned-{}-{employee_id}-{}", conversation.id, at.timestamp_millis()),
        _ => format!("message-{}-{}", conversation.id, at.timestamp_millis()),
    };
    let notification = Notification {
        id,
        kind,
        at,
        text,
        channel_id: conversation.channel_id.clone(),
        conversation_id: Some(conversation.id.clone()),
        employee_id: Some(employee_id.clone()),
    };
    Ok(ports.config.notify(tenant, &notification).await?)
}

fn who(conversation: &Conversation) -> &str {
    conversation.client.name.as_deref().unwrap_or("клиент")
}

/// How many of `me`'s notifications are unread, counted up to `cap`.
pub async fn unread_count(ports: &Ports, tenant: &TenantId, me: &EmployeeId, cap: u32) -> ServiceResult<u32> {
    let read_until = ports.config.presence(tenant, me).await?.notifications_read_until;
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let page = ports.config.notifications(tenant, after.as_deref(), 100).await?;
        for n in &page.items {
            if read_until.is_some_and(|r| n.at <= r) || count >= cap {
                return Ok(count);
            }
            if n.is_for(me) {
                count += 1;
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(count),
        }
    }
}
