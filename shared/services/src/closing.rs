//! Closing conversations (R-CL1, R-CL2): an operator completes one, a chatbot finishes one, or the
//! sweep closes those inactive past the channel's auto-close time. Every kind of close sends the
//! channel's closing message, if it is on, exactly once: the message is claimed in the store (a
//! message with the conversation's closing id) before the close is saved, and only the caller that
//! claimed it sends it. It is sent after the close, so Avito's echo of it finds no open
//! conversation and opens none.

use crate::answering::AutoReplies;
use crate::error::{ServiceError, ServiceResult};
use crate::outbox;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::Versioned;
use chrono::{DateTime, Utc};
use domain::auto_close::is_auto_close_due;
use domain::conversation::{Author, ClosingReason, Content, ConversationStatus, Delivery, Message};
use domain::ids::{ConversationId, TenantId};

/// What a close did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closed {
    /// Closed now; whether the closing message went out (`None`: it is off).
    Closed {
        closing_message: Option<Result<(), String>>,
    },
    AlreadyClosed,
    /// The sweep found it active again.
    NotDue,
}

/// The closing use cases.
#[derive(Clone)]
pub struct Closing {
    pub ports: Ports,
}

impl Closing {
    /// Closes a conversation for `reason`; `only_if_due`: the sweep's check against the current
    /// activity and settings, made on the conversation as read.
    pub async fn close(
        &self,
        tenant: &TenantId,
        id: &ConversationId,
        reason: ClosingReason,
        only_if_due: bool,
    ) -> ServiceResult<Closed> {
        let p = &self.ports;
        let claim_id = format!("close-{id}");
        let mut claimed: Option<Message> = None;
        let closed = until_settled!("the conversation", {
            let Some(current) = p.conversations.get(tenant, id).await? else {
                return Err(ServiceError::NotFound("conversation"));
            };
            if current.value.status == ConversationStatus::Closed {
                return Ok(Some(None));
            }
            let settings = p.settings(tenant, &current.value.channel_id).await?;
            let now = p.clock.now();
            if only_if_due && !is_auto_close_due(current.value.last_activity_at, settings.auto_close_after, now) {
                // Active since its stored time (or the setting grew): it moves to its real time,
                // so the sweep's next page reaches past it.
                let rescheduled = current.value.clone().with_auto_close(settings.auto_close_after);
                if rescheduled.auto_close_due_at == current.value.auto_close_due_at {
                    return Ok(Some(Some(Err(Closed::NotDue))));
                }
                let saved = p.conversations.save(tenant, &current, &rescheduled).await;
                return Ok(settled(saved)?.map(|()| Some(Err(Closed::NotDue))));
            }
            let mut current = current;
            // A response by phone has no Avito chat to say goodbye in.
            let closing_text = settings
                .closing_message
                .to_send()
                .filter(|_| current.value.has_avito_chat());
            if let (None, Some(text)) = (&claimed, closing_text) {
                let message = Message {
                    id: claim_id.clone(),
                    conversation_id: id.clone(),
                    author: Author::System,
                    content: Content::Text { text: text.to_owned() },
                    created_at: now,
                    delivery: Some(Delivery::Pending),
                };
                let next = current.value.clone().with_message(&message);
                match settled(p.conversations.add_message(tenant, &current, &next, &message).await)? {
                    Some(true) => {
                        claimed = Some(message);
                        current = Versioned {
                            value: next,
                            version: current.version + 1,
                        };
                    }
                    // Claimed by an earlier attempt: that attempt sends it (or did).
                    Some(false) => {}
                    None => return Ok(None),
                }
            }
            let waited = current.value.waiting_since;
            let closed = current.value.clone().closed(now, reason.clone());
            Ok(settled(p.conversations.close(tenant, &current, &closed).await)?.map(|()| Some(Ok((closed, waited)))))
        });
        let (closed, waited) = match closed {
            None => return Ok(Closed::AlreadyClosed),
            Some(Err(not_due)) => return Ok(not_due),
            Some(Ok(closed)) => closed,
        };
        if let Some(w) = waited {
            AutoReplies { ports: p.clone() }.cancel(tenant, id, w).await;
        }
        let sent = match claimed {
            Some(message) => Some(
                outbox::send_claimed(p, tenant, &closed.channel_id, &closed.chat_id, message)
                    .await?
                    .map(drop)
                    .map_err(|f| f.reason),
            ),
            None => None,
        };
        Ok(Closed::Closed { closing_message: sent })
    }

    /// The auto-close sweep: closes every conversation due at `now`, a page at a time, while
    /// `more_time()` says another page fits. Each conversation is read again before it closes; one
    /// found active since its stored time moves to its real time, so every page makes way for the
    /// next and the sweep reaches every truly due conversation however many are open. It ends
    /// when a page is empty or changed nothing (what failed is tried by the next sweep).
    pub async fn sweep(&self, now: DateTime<Utc>, more_time: impl Fn() -> bool) -> ServiceResult<Swept> {
        let mut swept = Swept::default();
        loop {
            let due = self.ports.conversations.due_for_auto_close(now, SWEEP_PAGE).await?;
            let mut progress = false;
            for (tenant, id) in &due {
                match self.close(tenant, id, ClosingReason::Inactive, true).await {
                    Ok(Closed::Closed { .. }) => {
                        swept.closed += 1;
                        progress = true;
                    }
                    Ok(Closed::NotDue) => {
                        swept.rescheduled += 1;
                        progress = true;
                    }
                    // Closed meanwhile by someone else: it left the index.
                    Ok(Closed::AlreadyClosed) | Err(ServiceError::NotFound(_)) => progress = true,
                    Err(e) => {
                        swept.failed += 1;
                        tracing::warn!(conversation = %id, error = %e, "auto-close failed; the next sweep tries again");
                    }
                }
            }
            if due.len() < SWEEP_PAGE as usize || !progress || !more_time() {
                return Ok(swept);
            }
        }
    }
}

/// How many due conversations the sweep reads at a time.
pub const SWEEP_PAGE: u32 = 100;

/// What a sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Closed for inactivity.
    pub closed: usize,
    /// Found active since their stored time, and moved to their real time.
    pub rescheduled: usize,
    /// Not closed for an error (logged); the next sweep tries again.
    pub failed: usize,
}
