//! The ports the inbound use cases share (routing, auto-replies, closing), and the one way they send
//! a message of ours to Avito and record how it went.

use crate::processing::ProcessError;
use adapters::avito::AvitoClient;
use adapters::configuration::Configuration;
use adapters::credentials::Vaults;
use adapters::ports::{ChatbotGateway, Clock, ConversationStore, Scheduler};
use chrono::{DateTime, Utc};
use domain::conversation::{Content, Conversation, Delivery, Message};
use domain::directory::Channel;
use domain::ids::{ChannelId, TenantId};
use std::sync::Arc;

/// Everything outside that the inbound use cases need.
#[derive(Clone)]
pub struct Ports {
    pub config: Configuration,
    pub conversations: Arc<dyn ConversationStore>,
    pub scheduler: Arc<dyn Scheduler>,
    pub chatbots: Arc<dyn ChatbotGateway>,
    pub vaults: Vaults,
    pub avito: AvitoClient,
    pub clock: Arc<dyn Clock>,
}

/// Why Avito did not take a message of ours, as recorded on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    pub reason: String,
    /// Sending it again cannot duplicate it (see [`Delivery::Failed`]).
    pub resendable: bool,
}

impl SendFailure {
    /// The delivery state this failure leaves on the message.
    pub fn delivery(&self) -> Delivery {
        Delivery::Failed {
            reason: self.reason.clone(),
            resendable: self.resendable,
        }
    }
}

impl Ports {
    /// Sends an answer (an operator's or a bot's message, already stored as claimed) as
    /// [`Ports::send_claimed`] does, after cancelling the pending auto-replies of the waiting
    /// period it ends (`waited`, the period's start, if the client was waiting).
    pub async fn send_answer(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        message: Message,
        waited: Option<DateTime<Utc>>,
    ) -> Result<Result<String, SendFailure>, ProcessError> {
        if let Some(w) = waited {
            crate::auto_replies::AutoReplies { ports: self.clone() }
                .cancel(tenant, &conversation.id, w)
                .await;
        }
        self.send_claimed(tenant, &conversation.channel_id, &conversation.chat_id, message)
            .await
    }

    /// Sends a text message of ours that is already stored (claimed) in the conversation, and
    /// records the outcome on it: `Ok(Ok(avito id))` when Avito took it, `Ok(Err(failure))` when
    /// not (the failure is on the message). Never repeated here: Avito has no idempotency key.
    pub async fn send_claimed(
        &self,
        tenant: &TenantId,
        channel_id: &ChannelId,
        chat_id: &str,
        message: Message,
    ) -> Result<Result<String, SendFailure>, ProcessError> {
        let text = match &message.content {
            Content::Text { text } => text.clone(),
            _ => return Err(ProcessError::Permanent("only text is sent this way".into())),
        };
        let channel = self
            .config
            .get::<Channel>(tenant, channel_id.as_str())
            .await?
            .map(|c| c.value);
        let account = channel
            .as_ref()
            .filter(|c| c.is_receiving())
            .and_then(|c| c.account.as_ref())
            .map(|a| a.id);
        let outcome = match account {
            _ if !domain::candidate::is_avito_chat(chat_id) => Err(SendFailure {
                reason: "no Avito chat: the candidate responded by phone".to_owned(),
                resendable: false,
            }),
            None => Err(SendFailure {
                reason: "the channel is not connected".to_owned(),
                resendable: true,
            }),
            Some(account) => {
                let vault = self.vaults.channel(tenant, channel_id);
                self.avito
                    .send_text(&vault, account, chat_id, &text)
                    .await
                    .map(|sent| sent.id)
                    .map_err(|e| SendFailure {
                        reason: e.to_string(),
                        resendable: e.proves_not_processed(),
                    })
            }
        };
        let delivery = match &outcome {
            Ok(avito_message_id) => Delivery::Sent {
                avito_message_id: avito_message_id.clone(),
            },
            Err(failure) => failure.delivery(),
        };
        self.conversations
            .record_delivery(
                tenant,
                channel_id,
                &Message {
                    delivery: Some(delivery),
                    ..message
                },
            )
            .await?;
        Ok(outcome)
    }
}
