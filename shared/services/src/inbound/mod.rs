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
    /// Well-formed, but it changes nothing here, and why.
    Ignored(Ignored),
}

/// Why a well-formed delivery changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// The channel it came to was deleted since.
    ChannelGone,
    /// The channel was disconnected or superseded since (R-C5).
    NotConnected,
    /// The message names another Avito account than the channel's.
    OtherAccount,
    /// A chat none of the account's connected channels has.
    NotThisAccountsChat,
    /// A vacancy's chat before its response: it is read with the response when that arrives.
    VacancyChat,
    /// The account's own message in a chat of which no conversation is known.
    AccountMessageWithoutConversation,
    /// A Jobs notice came to a channel that is not an Avito Jobs channel.
    NotJobsChannel,
    /// Avito does not know the response.
    UnknownResponse,
    /// A response changed after its conversation closed.
    ResponseConversationClosed,
}

impl Ignored {
    /// A stable code, for machines.
    pub fn code(self) -> &'static str {
        match self {
            Ignored::ChannelGone => "channel_gone",
            Ignored::NotConnected => "channel_not_connected",
            Ignored::OtherAccount => "other_account",
            Ignored::NotThisAccountsChat => "not_this_accounts_chat",
            Ignored::VacancyChat => "vacancy_chat_before_response",
            Ignored::AccountMessageWithoutConversation => "account_message_without_conversation",
            Ignored::NotJobsChannel => "not_a_jobs_channel",
            Ignored::UnknownResponse => "unknown_response",
            Ignored::ResponseConversationClosed => "response_conversation_closed",
        }
    }

    /// Why, for administrators (Russian).
    pub fn reason(self) -> &'static str {
        match self {
            Ignored::ChannelGone => "Канал удалён",
            Ignored::NotConnected => "Канал отключён или вытеснен",
            Ignored::OtherAccount => "Сообщение для другого аккаунта Авито",
            Ignored::NotThisAccountsChat => "Чат не принадлежит ни одному подключённому каналу аккаунта",
            Ignored::VacancyChat => "Чат вакансии до отклика: присоединится к отклику",
            Ignored::AccountMessageWithoutConversation => "Сообщение аккаунта в чате, по которому нет обращения",
            Ignored::NotJobsChannel => "Уведомление об отклике пришло не в канал Авито Работа",
            Ignored::UnknownResponse => "Авито не знает такого отклика",
            Ignored::ResponseConversationClosed => "Отклик изменился после закрытия обращения",
        }
    }

    /// Whether an administrator is shown it (to see and replay): not what comes back by itself
    /// (a vacancy's chat is read with its response).
    pub fn is_recorded(self) -> bool {
        !matches!(self, Ignored::VacancyChat)
    }
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Processes inbound events on the ports.
#[derive(Clone)]
pub struct InboundProcessor {
    pub ports: Ports,
}

impl InboundProcessor {
    /// Processes one event. A well-formed event that changes nothing is kept, with why, where an
    /// administrator sees and replays it ([`InboundProcessor::replay`]), unless it comes back by
    /// itself; processing it again keeps one record.
    pub async fn process(&self, event: &InboundEvent) -> ServiceResult<Outcome> {
        let outcome = self.outcome_of(event).await?;
        if let Outcome::Ignored(why) = &outcome
            && why.is_recorded()
        {
            self.record_ignored(event, *why).await?;
        }
        Ok(outcome)
    }

    async fn record_ignored(&self, event: &InboundEvent, why: Ignored) -> ServiceResult<()> {
        let json = event.to_json().map_err(|e| ServiceError::Permanent(e.to_string()))?;
        // 16 hex characters of the delivery's SHA-256: the same delivery, the same record.
        let digest = crate::connection::digest(&json)[..16].to_owned();
        let received_at =
            chrono::DateTime::from_timestamp_millis(event.received_at_ms()).unwrap_or_else(|| self.ports.clock.now());
        let delivery = adapters::configuration::IgnoredDelivery {
            key: adapters::configuration::IgnoredDelivery::key_of(received_at, &digest),
            received_at,
            channel_id: event.channel().clone(),
            code: why.code().to_owned(),
            reason: why.reason().to_owned(),
            event: json,
        };
        tracing::info!(code = why.code(), channel = %delivery.channel_id, "a delivery changed nothing; kept for administrators");
        Ok(self.ports.config.record_ignored(event.tenant(), &delivery).await?)
    }

    /// Processes a kept delivery again (an administrator asked to), as if it arrived now; the
    /// record is forgotten (kept anew, with the new reason, if it changes nothing again).
    pub async fn replay(&self, tenant: &domain::ids::TenantId, key: &str) -> ServiceResult<Outcome> {
        let kept = self
            .ports
            .config
            .ignored_delivery(tenant, key)
            .await?
            .ok_or(ServiceError::NotFound("ignored delivery"))?;
        let mut event = InboundEvent::from_json(&kept.event).map_err(|e| ServiceError::Permanent(e.to_string()))?;
        if event.tenant() != tenant {
            return Err(ServiceError::NotFound("ignored delivery"));
        }
        event.received_now(self.ports.clock.now().timestamp_millis());
        let outcome = self.process(&event).await?;
        self.ports.config.forget_ignored(tenant, key).await?;
        Ok(outcome)
    }

    async fn outcome_of(&self, event: &InboundEvent) -> ServiceResult<Outcome> {
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
                    // The webhook refuses these; one queued before it did cannot be processed.
                    return Err(ServiceError::Permanent("no message in the webhook".into()));
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
