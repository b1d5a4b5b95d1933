//! The chatbot API's commands (R-BOT1): a bot, recognised by its own token, sends a message to
//! the client, hands the conversation over to a person (its fallback), or finishes it (closing it
//! with the closing message). Only conversations its bot has may be touched. A hand-over is a
//! visible note, plans the auto-replies of a client still waiting, and notifies the operator who
//! gets the conversation, like every other assignment.

use super::reply::{MAX_TEXT_CHARS, end_waiting};
use super::{ClosingMessage, Desk, closing_message};
use crate::answering::AutoReplies;
use crate::assignment;
use crate::closing::Closing;
use crate::connection::secret_matches;
use crate::error::{ServiceError, ServiceResult};
use crate::notify;
use crate::outbox::{self, Sent};
use crate::retry::{settled, until_settled};
use adapters::ports::Versioned;
use domain::conversation::{
    Author, ClosingReason, Content, Conversation, ConversationStatus, Delivery, Handler, Message,
};
use domain::directory::Chatbot;
use domain::ids::{ConversationId, TenantId, is_valid_id};
use domain::validation::{Conflict, ConflictCode, Problem, ValidationErrors, char_len};

/// The bot calling, recognised by its token.
#[derive(Clone, Debug)]
pub struct BotCaller {
    pub tenant: TenantId,
    pub bot: Chatbot,
}

/// Why a bot's token is refused (the same answer whatever is wrong with it).
#[derive(Debug, thiserror::Error)]
pub enum BotAuthError {
    #[error("a valid chatbot token is required")]
    Refused,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// What a bot's message came to.
#[derive(Clone, Debug, PartialEq)]
pub struct BotSent {
    pub message_id: String,
    pub sent: Sent,
}

impl Desk {
    /// The bot whose API token `token` is (`<tenant>.<bot id>.<secret>`, as the admin API issued
    /// it; only its digest is stored).
    pub async fn bot_caller(&self, token: &str) -> Result<BotCaller, BotAuthError> {
        let mut parts = token.splitn(3, '.');
        let (Some(tenant), Some(id), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(BotAuthError::Refused);
        };
        let tenant = TenantId::parse(tenant).map_err(|_| BotAuthError::Refused)?;
        if !is_valid_id(id) {
            return Err(BotAuthError::Refused);
        }
        let bot = self
            .ports
            .config
            .get::<Chatbot>(&tenant, id)
            .await
            .map_err(ServiceError::from)?
            .map(|v| v.value)
            .ok_or(BotAuthError::Refused)?;
        match &bot.api_token_digest {
            Some(digest) if secret_matches(token, digest) => Ok(BotCaller { tenant, bot }),
            _ => Err(BotAuthError::Refused),
        }
    }

    /// The conversation, if it is open and with this bot (409 otherwise).
    async fn bot_conversation(
        &self,
        caller: &BotCaller,
        id: &ConversationId,
    ) -> ServiceResult<Versioned<Conversation>> {
        let current = self
            .ports
            .conversations
            .get(&caller.tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))?;
        let with_this_bot =
            matches!(&current.value.handler, Handler::Chatbot { chatbot_id } if *chatbot_id == caller.bot.id);
        if current.value.status != ConversationStatus::Open || !with_this_bot {
            return Err(ServiceError::Conflict(Conflict::new(
                ConflictCode::NotWithThisChatbot,
                "the conversation is not open with this chatbot",
            )));
        }
        Ok(current)
    }

    /// Sends the bot's text (1–1000 characters) to the client.
    pub async fn bot_send(&self, caller: &BotCaller, id: &str, text: &str) -> ServiceResult<BotSent> {
        if text.trim().is_empty() || char_len(text) > MAX_TEXT_CHARS {
            return Err(ValidationErrors::single(
                "text",
                Problem::Length {
                    min: 1,
                    max: MAX_TEXT_CHARS as u64,
                },
            )
            .into());
        }
        let id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        let message_id = format!("bot-{}", crate::random_hex(16).map_err(ServiceError::Transient)?);
        let ports = &self.ports;
        let (conversation, message, waited) = until_settled!("the conversation", {
            let current = self.bot_conversation(caller, &id).await?;
            let message = Message {
                id: message_id.clone(),
                conversation_id: current.value.id.clone(),
                author: Author::Bot {
                    chatbot_id: caller.bot.id.clone(),
                },
                content: Content::Text { text: text.to_owned() },
                created_at: ports.clock.now(),
                delivery: Some(Delivery::Pending),
            };
            let next = self.answered(&caller.tenant, &current.value, &message).await?;
            let added = ports
                .conversations
                .add_message(&caller.tenant, &current, &next, &message)
                .await;
            Ok(settled(added)?.map(|_| (next, message, current.value.waiting_since)))
        });
        end_waiting(ports, &caller.tenant, &conversation.id, waited).await;
        let sent = outbox::send_claimed(
            ports,
            &caller.tenant,
            &conversation.channel_id,
            &conversation.chat_id,
            message,
        )
        .await?;
        Ok(BotSent { message_id, sent })
    }

    /// Passes the conversation to the bot's fallback (the channel's settings), distributed as
    /// any new conversation; the operator who gets it is notified.
    pub async fn bot_handover(&self, caller: &BotCaller, id: &str) -> ServiceResult<Conversation> {
        let id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        let ports = &self.ports;
        let (handed, at) = until_settled!("the conversation", {
            let current = self.bot_conversation(caller, &id).await?;
            let handler = assignment::fallback_handler(ports, &caller.tenant, &current.value).await?;
            let note = Message {
                id: format!("handover-{}-{}", current.value.id, current.version),
                conversation_id: current.value.id.clone(),
                author: Author::System,
                content: Content::System {
                    text: Some("Чат-бот передал обращение оператору".into()),
                    flow_id: None,
                },
                created_at: ports.clock.now(),
                delivery: None,
            };
            let mut next = current.value.clone().with_message(&note);
            next.handler = handler;
            if next.waiting_since.is_some() {
                AutoReplies { ports: ports.clone() }.plan(&caller.tenant, &next).await?;
            }
            let added = ports
                .conversations
                .add_message(&caller.tenant, &current, &next, &note)
                .await;
            Ok(settled(added)?.map(|_| (next, note.created_at)))
        });
        notify::assigned(ports, &caller.tenant, &handed, at).await?;
        Ok(handed)
    }

    /// Closes the conversation; the closing message goes out once.
    pub async fn bot_finish(&self, caller: &BotCaller, id: &str) -> ServiceResult<ClosingMessage> {
        let id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        let current = self.bot_conversation(caller, &id).await?;
        let reason = ClosingReason::BotFinished {
            chatbot_id: caller.bot.id.clone(),
        };
        let closed = Closing {
            ports: self.ports.clone(),
        }
        .close(&caller.tenant, &current.value.id, reason, false)
        .await?;
        closing_message(closed)
    }
}
