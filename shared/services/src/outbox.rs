//! What we send to a client's Avito chat, and what we do to it: a message of ours that is already
//! stored (claimed) is sent once and its outcome recorded on it; an operator's opening of a
//! conversation marks the chat read; a sent message can be deleted within Avito's hour. Never
//! repeated here: Avito has no idempotency key, so a claimed message is sent by its claimer only.

use crate::error::{ServiceError, ServiceResult};
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::avito::AvitoError;
use domain::conversation::{Content, Conversation, Delivery, Message, SendFailure as FailureCode};
use domain::directory::Channel;
use domain::ids::{ChannelId, TenantId};

/// Why Avito did not take a message of ours, as recorded on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    pub reason: String,
    /// Sending it again cannot duplicate it (see [`Delivery::Failed`]).
    pub resendable: bool,
    pub code: FailureCode,
}

impl SendFailure {
    /// The delivery state this failure leaves on the message.
    pub fn delivery(&self) -> Delivery {
        Delivery::Failed {
            reason: self.reason.clone(),
            resendable: self.resendable,
            code: self.code,
        }
    }
}

/// The stable code of an Avito failure.
fn code_of(e: &AvitoError) -> FailureCode {
    match e {
        AvitoError::Unauthorized
        | AvitoError::Forbidden(_)
        | AvitoError::InvalidGrant
        | AvitoError::InvalidClient
        | AvitoError::Credentials(_) => FailureCode::AccessRefused,
        AvitoError::SubscriptionRequired => FailureCode::SubscriptionRequired,
        AvitoError::NotFound => FailureCode::ChatNotFound,
        AvitoError::Rejected(_) => FailureCode::Rejected,
        AvitoError::RateLimited => FailureCode::RateLimited,
        AvitoError::Unavailable(_) => FailureCode::AvitoUnavailable,
        AvitoError::Malformed(_) => FailureCode::UnreadableAnswer,
    }
}

/// How a send went: Avito's id of the message, or why it did not take it.
pub type Sent = Result<String, SendFailure>;

/// The message with the delivery state a send left on it.
pub fn with_delivery(message: Message, sent: &Sent) -> Message {
    let delivery = match sent {
        Ok(avito_message_id) => Delivery::Sent {
            avito_message_id: avito_message_id.clone(),
        },
        Err(failure) => failure.delivery(),
    };
    Message {
        delivery: Some(delivery),
        ..message
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

/// Sends a text message of ours that is already stored (claimed) in the conversation, and records
/// the outcome on it: `Ok(Ok(avito id))` when Avito took it, `Ok(Err(failure))` when not (the
/// failure is on the message).
pub async fn send_claimed(
    ports: &Ports,
    tenant: &TenantId,
    channel_id: &ChannelId,
    chat_id: &str,
    message: Message,
) -> ServiceResult<Sent> {
    let text = match &message.content {
        Content::Text { text } => text.clone(),
        _ => return Err(ServiceError::Permanent("only text is sent this way".into())),
    };
    deliver(ports, tenant, channel_id, chat_id, message, Outgoing::Text(text)).await
}

/// Sends an image of ours that is already stored (claimed) as [`Content::Image`]: uploads it to
/// Avito, sends it, and records the outcome with the image's link, as [`send_claimed`] does. An
/// image that failed is not resendable (its bytes are not kept): the operator sends it again.
pub async fn send_claimed_image(
    ports: &Ports,
    tenant: &TenantId,
    channel_id: &ChannelId,
    chat_id: &str,
    message: Message,
    image: OutgoingImage,
) -> ServiceResult<Sent> {
    deliver(ports, tenant, channel_id, chat_id, message, Outgoing::Image(image)).await
}

async fn deliver(
    ports: &Ports,
    tenant: &TenantId,
    channel_id: &ChannelId,
    chat_id: &str,
    mut message: Message,
    outgoing: Outgoing,
) -> ServiceResult<Sent> {
    let account = ports.connected_account(tenant, channel_id).await?;
    // Avito refusing the channel's grant is noted on the channel after the send.
    let grant_refused = std::sync::Mutex::new(None);
    let failure = |e: AvitoError, resendable: bool| {
        let failure = SendFailure {
            reason: e.to_string(),
            resendable: resendable && e.proves_not_processed(),
            code: code_of(&e),
        };
        if matches!(e, AvitoError::InvalidGrant | AvitoError::InvalidClient)
            && let Ok(mut refused) = grant_refused.lock()
        {
            *refused = Some(e);
        }
        failure
    };
    let outcome = match account {
        _ if !domain::candidate::is_avito_chat(chat_id) => Err(SendFailure {
            reason: "no Avito chat: the candidate responded by phone".to_owned(),
            resendable: false,
            code: FailureCode::NoAvitoChat,
        }),
        None => Err(SendFailure {
            reason: "the channel is not connected".to_owned(),
            resendable: matches!(outgoing, Outgoing::Text(_)),
            code: FailureCode::ChannelNotConnected,
        }),
        Some(account) => {
            let vault = ports.vaults.channel(tenant, channel_id);
            match outgoing {
                Outgoing::Text(text) => ports
                    .avito
                    .send_text(&vault, account, chat_id, &text)
                    .await
                    .map(|sent| sent.id)
                    .map_err(|e| failure(e, true)),
                Outgoing::Image(image) => {
                    let uploaded = ports
                        .avito
                        .upload_image(&vault, account, image.file_name, image.content_type, image.bytes)
                        .await
                        .map_err(|e| failure(e, false))
                        .and_then(|images| {
                            images.into_iter().next().ok_or_else(|| SendFailure {
                                reason: "Avito took no image from the upload".to_owned(),
                                resendable: false,
                                code: FailureCode::ImageNotTaken,
                            })
                        });
                    match uploaded {
                        Ok((image_id, sizes)) => {
                            message.content = Content::Image {
                                url: avito_model::messenger::ImageContent { sizes }
                                    .largest()
                                    .map(str::to_owned),
                            };
                            ports
                                .avito
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
    ports
        .conversations
        .record_delivery(tenant, channel_id, &with_delivery(message, &outcome))
        .await?;
    let refused = grant_refused.into_inner().ok().flatten();
    if let Some(e) = refused {
        note_refused_authorization(ports, tenant, channel_id, &e).await;
    }
    Ok(outcome)
}

/// Notes on the channel that Avito refuses its authorization when `e` says so (the token
/// endpoint refused the grant or the app): an administrator sees it must be connected again.
/// Best effort: a failure to note it is logged.
pub async fn note_refused_authorization(ports: &Ports, tenant: &TenantId, channel_id: &ChannelId, e: &AvitoError) {
    if !matches!(e, AvitoError::InvalidGrant | AvitoError::InvalidClient) {
        return;
    }
    let noted: ServiceResult<()> = async {
        until_settled!("the channel", {
            let Some(current) = ports.config.get::<Channel>(tenant, channel_id.as_str()).await? else {
                return Ok(Some(()));
            };
            if current.value.authorization_refused_at.is_some() || !current.value.is_receiving() {
                return Ok(Some(()));
            }
            let next = Channel {
                authorization_refused_at: Some(ports.clock.now()),
                ..current.value
            };
            Ok(settled(ports.config.replace(tenant, &next, current.version).await)?.map(drop))
        });
        Ok(())
    }
    .await;
    if let Err(e) = noted {
        tracing::warn!(channel = %channel_id, error = %e, "could not note the refused authorization");
    }
}

/// Marks the conversation's Avito chat read (an operator opened it), so the client sees their
/// messages were read. Best effort: a failure is logged and changes nothing else.
pub async fn mark_read(ports: &Ports, tenant: &TenantId, conversation: &Conversation) {
    if !conversation.has_avito_chat() {
        return;
    }
    let Ok(Some(account)) = ports.connected_account(tenant, &conversation.channel_id).await else {
        return;
    };
    let vault = ports.vaults.channel(tenant, &conversation.channel_id);
    if let Err(e) = ports.avito.mark_read(&vault, account, &conversation.chat_id).await {
        tracing::warn!(conversation = %conversation.id, error = %e, "could not mark the chat read");
    }
}

/// The Avito account and the token vault to act in the conversation's chat with; refused when the
/// channel is not connected.
async fn chat_access(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
) -> Result<(i64, adapters::credentials::TokenVault), AvitoError> {
    let account = ports
        .connected_account(tenant, &conversation.channel_id)
        .await
        .map_err(|e| AvitoError::Unavailable(e.to_string()))?
        .ok_or_else(|| AvitoError::Credentials("the channel is not connected".into()))?;
    Ok((account, ports.vaults.channel(tenant, &conversation.channel_id)))
}

/// A link that plays a voice message of the conversation's Avito chat. Avito's links last an
/// hour, so one is asked for each time someone plays it.
pub async fn voice_link(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    voice_id: &str,
) -> Result<Option<String>, AvitoError> {
    let (account, vault) = chat_access(ports, tenant, conversation).await?;
    let files = ports.avito.voice_files(&vault, account, &[voice_id]).await?;
    Ok(files.voices_urls.get(voice_id).cloned())
}

/// Deletes a message of ours in the client's Avito chat (Avito allows it within an hour).
pub async fn delete_sent(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    avito_message_id: &str,
) -> Result<(), AvitoError> {
    let (account, vault) = chat_access(ports, tenant, conversation).await?;
    ports
        .avito
        .delete_message(&vault, account, &conversation.chat_id, avito_message_id)
        .await
}
