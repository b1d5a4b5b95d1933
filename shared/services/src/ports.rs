//! The ports the inbound use cases share (routing, auto-replies, closing), and the one way they send
//! a message of ours to Avito and record how it went.

use crate::processing::ProcessError;
use adapters::avito::AvitoClient;
use adapters::configuration::Configuration;
use adapters::credentials::Vaults;
use adapters::ports::{ChatbotGateway, Clock, ConversationStore, Scheduler, StoreError};
use chrono::{DateTime, Utc};
use domain::conversation::{Content, Conversation, Delivery, Message};
use domain::directory::Channel;
use domain::ids::{ChannelId, TenantId};
use domain::notification::{Notification, NotificationKind};
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
        self.end_waiting(tenant, conversation, waited).await;
        self.send_claimed(tenant, &conversation.channel_id, &conversation.chat_id, message)
            .await
    }

    /// Sends an image answer as [`Ports::send_claimed_image`] does, after cancelling the pending
    /// auto-replies of the waiting period it ends.
    pub async fn send_image_answer(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        message: Message,
        waited: Option<DateTime<Utc>>,
        image: OutgoingImage,
    ) -> Result<Result<String, SendFailure>, ProcessError> {
        self.end_waiting(tenant, conversation, waited).await;
        self.send_claimed_image(tenant, &conversation.channel_id, &conversation.chat_id, message, image)
            .await
    }

    /// Tells the operator who has `conversation` (when an operator has it) that it was assigned to
    /// them at `at`; once per assignment.
    pub async fn notify_assigned(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        at: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let domain::conversation::Handler::Operator { employee_id } = &conversation.handler else {
            return Ok(());
        };
        let who = conversation.client.name.as_deref().unwrap_or("клиент");
        let notification = Notification {
            id: format!("assigned-{}-{employee_id}-{}", conversation.id, at.timestamp_millis()),
            kind: NotificationKind::Assigned,
            at,
            text: format!("Вам назначено обращение: {who}"),
            channel_id: conversation.channel_id.clone(),
            conversation_id: Some(conversation.id.clone()),
            employee_id: Some(employee_id.clone()),
        };
        Ok(self.config.notify(tenant, &notification).await?)
    }

    /// Tells the operator who has `conversation` that the client wrote and waits (since
    /// `waiting_since`); once per waiting period, not per message.
    pub async fn notify_message(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        waiting_since: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let domain::conversation::Handler::Operator { employee_id } = &conversation.handler else {
            return Ok(());
        };
        let who = conversation.client.name.as_deref().unwrap_or("клиент");
        let notification = Notification {
            id: format!("message-{}-{}", conversation.id, waiting_since.timestamp_millis()),
            kind: NotificationKind::Message,
            at: waiting_since,
            text: format!("Новое сообщение: {who}"),
            channel_id: conversation.channel_id.clone(),
            conversation_id: Some(conversation.id.clone()),
            employee_id: Some(employee_id.clone()),
        };
        Ok(self.config.notify(tenant, &notification).await?)
    }

    /// A channel of the tenant, if it exists.
    pub async fn channel(&self, tenant: &TenantId, id: &ChannelId) -> Result<Option<Channel>, StoreError> {
        Ok(self.config.get::<Channel>(tenant, id.as_str()).await?.map(|v| v.value))
    }

    /// The Avito account of a channel that is connected (receiving webhooks), if it is.
    async fn connected_account(&self, tenant: &TenantId, id: &ChannelId) -> Result<Option<i64>, StoreError> {
        Ok(self
            .channel(tenant, id)
            .await?
            .filter(Channel::is_receiving)
            .and_then(|c| c.account.map(|a| a.id)))
    }

    /// Marks the conversation's Avito chat read (an operator opened it), so the client sees their
    /// messages were read. Best effort: a failure is logged and changes nothing else.
    pub async fn mark_read(&self, tenant: &TenantId, conversation: &Conversation) {
        if !conversation.has_avito_chat() {
            return;
        }
        let Ok(Some(account)) = self.connected_account(tenant, &conversation.channel_id).await else {
            return;
        };
        let vault = self.vaults.channel(tenant, &conversation.channel_id);
        if let Err(e) = self.avito.mark_read(&vault, account, &conversation.chat_id).await {
            tracing::warn!(conversation = %conversation.id, error = %e, "could not mark the chat read");
        }
    }

    /// Deletes a message of ours in the client's Avito chat (Avito allows it within an hour).
    pub async fn delete_sent(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        avito_message_id: &str,
    ) -> Result<(), adapters::avito::AvitoError> {
        let account = self
            .connected_account(tenant, &conversation.channel_id)
            .await
            .map_err(|e| adapters::avito::AvitoError::Unavailable(e.to_string()))?
            .ok_or_else(|| adapters::avito::AvitoError::Credentials("the channel is not connected".into()))?;
        let vault = self.vaults.channel(tenant, &conversation.channel_id);
        self.avito
            .delete_message(&vault, account, &conversation.chat_id, avito_message_id)
            .await
    }

    async fn end_waiting(&self, tenant: &TenantId, conversation: &Conversation, waited: Option<DateTime<Utc>>) {
        if let Some(w) = waited {
            crate::auto_replies::AutoReplies { ports: self.clone() }
                .cancel(tenant, &conversation.id, w)
                .await;
        }
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
        self.deliver(tenant, channel_id, chat_id, message, Outgoing::Text(text))
            .await
    }

    /// Sends an image of ours that is already stored (claimed) as [`Content::Image`]: uploads it to
    /// Avito, sends it, and records the outcome with the image's link, as
    /// [`Ports::send_claimed`] does. An image that failed is not resendable (its bytes are not
    /// kept): the operator sends it again.
    pub async fn send_claimed_image(
        &self,
        tenant: &TenantId,
        channel_id: &ChannelId,
        chat_id: &str,
        message: Message,
        image: OutgoingImage,
    ) -> Result<Result<String, SendFailure>, ProcessError> {
        self.deliver(tenant, channel_id, chat_id, message, Outgoing::Image(image))
            .await
    }

    async fn deliver(
        &self,
        tenant: &TenantId,
        channel_id: &ChannelId,
        chat_id: &str,
        mut message: Message,
        outgoing: Outgoing,
    ) -> Result<Result<String, SendFailure>, ProcessError> {
        let account = self.connected_account(tenant, channel_id).await?;
        let failure = |e: adapters::avito::AvitoError, resendable: bool| SendFailure {
            reason: e.to_string(),
            resendable: resendable && e.proves_not_processed(),
        };
        let outcome = match account {
            _ if !domain::candidate::is_avito_chat(chat_id) => Err(SendFailure {
                reason: "no Avito chat: the candidate responded by phone".to_owned(),
                resendable: false,
            }),
            None => Err(SendFailure {
                reason: "the channel is not connected".to_owned(),
                resendable: matches!(outgoing, Outgoing::Text(_)),
            }),
            Some(account) => {
                let vault = self.vaults.channel(tenant, channel_id);
                match outgoing {
                    Outgoing::Text(text) => self
                        .avito
                        .send_text(&vault, account, chat_id, &text)
                        .await
                        .map(|sent| sent.id)
                        .map_err(|e| failure(e, true)),
                    Outgoing::Image(image) => {
                        let uploaded = self
                            .avito
                            .upload_image(&vault, account, image.file_name, image.content_type, image.bytes)
                            .await
                            .map_err(|e| failure(e, false))
                            .and_then(|images| {
                                images.into_iter().next().ok_or_else(|| SendFailure {
                                    reason: "Avito took no image from the upload".to_owned(),
                                    resendable: false,
                                })
                            });
                        match uploaded {
                            Ok((image_id, sizes)) => {
                                message.content = Content::Image {
                                    url: avito_model::messenger::ImageContent { sizes }
                                        .largest()
                                        .map(str::to_owned),
                                };
                                self.avito
                                    .send_image(&vault, account, chat_id, &image_id)
                                    .await
                                    .map(|sent| sent.id)
                                    .map_err(|e| failure(e, false))
                            }
                            Err(f) => Err(f),
                        }
                    }
                }
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

/// An image to send: its bytes and what they are.
pub struct OutgoingImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: &'static str,
}

/// What a claimed message carries to Avito.
enum Outgoing {
    Text(String),
    Image(OutgoingImage),
}
