//! The inbound use cases: what the router does with one accepted webhook delivery (R-IN2–R-IN5,
//! R-J1–R-J3). A messenger message ([`messenger`]) joins the open conversation of its chat or
//! opens one; an Avito Jobs response ([`avito_jobs`]) is read from Avito and becomes a
//! conversation with the candidate card. Both store a chat's message the same way ([`chat`]).
//!
//! Idempotent: processing the same event again changes nothing (the store refuses the second copy
//! of a message atomically), so the queue may deliver it any number of times.
//!
//! Inside: `messenger` and `avito_jobs` → `chat` (storing a chat's message) → `opening` (the one
//! place each kind of conversation opens) and `content`; nothing points back up.

mod avito_jobs;
mod chat;
mod content;
mod event;
mod messenger;
mod opening;

pub use content::content_of;
pub use event::InboundEvent;

use crate::error::{ServiceError, ServiceResult};
use crate::ports::Ports;
use avito_model::messenger::WebhookEnvelope;
use domain::ids::ConversationId;

/// What processing an event did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The message is stored in this conversation (`opened`: it opened it).
    Stored { conversation: ConversationId, opened: bool },
    /// This message was stored before: nothing changed.
    Duplicate,
    /// An Avito Jobs response is recorded but held until the candidate writes (R-CS7).
    Held,
    /// Nothing to do, and why (a verification, a disconnected channel, an event we do not handle).
    Ignored(&'static str),
}

/// Processes inbound events on the ports.
#[derive(Clone)]
pub struct InboundProcessor {
    pub ports: Ports,
}

impl InboundProcessor {
    /// Processes one event.
    pub async fn process(&self, event: &InboundEvent) -> ServiceResult<Outcome> {
        match event {
            InboundEvent::Messenger {
                tenant,
                channel,
                webhook,
                ..
            } => {
                let Ok(envelope) = serde_json::from_value::<WebhookEnvelope>(webhook.clone()) else {
                    return Err(ServiceError::Permanent("not a messenger webhook".into()));
                };
                let Some(value) = envelope.payload.and_then(|p| p.value) else {
                    return Ok(Outcome::Ignored("no message in the webhook"));
                };
                messenger::message(&self.ports, tenant, channel, &value).await
            }
            InboundEvent::Application {
                tenant,
                channel,
                apply_id,
                ..
            } => avito_jobs::application(&self.ports, tenant, channel, apply_id).await,
        }
    }
}
