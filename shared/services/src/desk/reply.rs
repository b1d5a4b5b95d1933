//! An operator's messages to the client (R-OP4, R-OP5): text or an image, sent again when Avito
//! provably did not take it, deleted within Avito's hour, and written from a client card. Every
//! reply carries a client-chosen idempotency key: it is claimed in the store (the message stored
//! as pending under the key, with the conversation as it is after it) before anything is sent, so
//! the same key again returns the first reply and sends nothing. A reply ends the client's waiting
//! period and cancels the pending auto-replies.

use super::{Desk, Person};
use crate::answering::AutoReplies;
use crate::error::{ServiceError, ServiceResult};
use crate::outbox::{self, OutgoingImage, with_delivery};
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::{StoreError, TimeCursor, Versioned};
use chrono::{DateTime, Utc};
use domain::attachment::ImageKind;
use domain::conversation::{
    Author, ClientCard, Content, Conversation, ConversationStatus, Delivery, Handler, Message, Opening,
};
use domain::ids::{ClientCardId, ConversationId, TenantId};
use domain::validation::{Conflict, ConflictCode, Problem, ValidationErrors, char_len};

/// Avito's limit of a text message, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;

/// What a reply came to: a new message (sent, or failed with Avito's reason on it), or the first
/// message of a key used before.
#[derive(Clone, Debug, PartialEq)]
pub enum Replied {
    New(Message),
    Repeated(Message),
}

/// Checks a reply's text and idempotency key, naming each bad field.
pub fn check_reply(text: &str, key: &str) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    check_text(text, &mut errors);
    check_key(key, &mut errors);
    errors.into_result(())
}

fn check_text(text: &str, errors: &mut ValidationErrors) {
    if text.trim().is_empty() || char_len(text) > MAX_TEXT_CHARS {
        errors.add(
            "text",
            Problem::Length {
                min: 1,
                max: MAX_TEXT_CHARS as u64,
            },
        );
    }
}

/// The message is being sent (a conflict).
fn being_sent() -> ServiceError {
    ServiceError::Conflict(Conflict::new(
        ConflictCode::MessageBeingSent,
        "the message is being sent",
    ))
}

fn check_key(key: &str, errors: &mut ValidationErrors) {
    if let Err(e) = domain::ids::check_id(key) {
        errors.add("idempotency_key", Problem::NotAnId(e));
    }
}

/// An outgoing message stored as pending: the conversation as it is after it, and the waiting
/// period it ended.
struct Claimed {
    conversation: Conversation,
    message: Message,
    waited: Option<DateTime<Utc>>,
}

/// The stored message with `id` in a conversation (a reply made before with the same key).
pub(crate) async fn find(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &ConversationId,
    id: &str,
) -> ServiceResult<Option<Message>> {
    let mut after: Option<TimeCursor> = None;
    loop {
        let page = ports
            .conversations
            .messages(tenant, conversation, after.as_ref(), 200)
            .await?;
        if let Some(m) = page.items.into_iter().find(|m| m.id == id) {
            return Ok(Some(m));
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(None),
        }
    }
}

/// The first message sent under a reused idempotency key, when the retry asks for the same
/// message (the same text; an image for an image, whose bytes are not kept); 409 when the key
/// was used for another message, so a different reply is never silently dropped.
fn repeated(first: Message, asked: &Content) -> ServiceResult<Message> {
    let same = match (&first.content, asked) {
        (Content::Text { text: a }, Content::Text { text: b }) => a == b,
        (Content::Image { .. }, Content::Image { .. }) => true,
        // Deleted since: the key's message was this one.
        (Content::Deleted, _) => true,
        _ => false,
    };
    if same {
        Ok(first)
    } else {
        Err(ServiceError::Conflict(Conflict::new(
            ConflictCode::IdempotencyKeyReused,
            "this idempotency key was used for another message; choose a new key for a new reply",
        )))
    }
}

/// Ends the waiting period `waited` began (its pending auto-replies are cancelled), then sends.
pub(crate) async fn end_waiting(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &ConversationId,
    waited: Option<DateTime<Utc>>,
) {
    if let Some(w) = waited {
        AutoReplies { ports: ports.clone() }
            .cancel(tenant, conversation, w)
            .await;
    }
}

impl Desk {
    /// Stores the operator's outgoing message as pending under its idempotency key, in one
    /// conditional write with the conversation as it is after it. `Err(first)`: the key was used
    /// before, with the first message.
    async fn claim(
        &self,
        person: &Person,
        id: &str,
        key: &str,
        content: Content,
    ) -> ServiceResult<Result<Claimed, Message>> {
        let staff = self.staff(person).await?;
        let employee = staff.employee()?.clone();
        let conversation_id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        let ports = &self.ports;
        let tenant = &person.tenant;
        let message_id = format!("op-{key}");
        Ok(until_settled!("the conversation", {
            let current = ports
                .conversations
                .get(tenant, &conversation_id)
                .await?
                .ok_or(ServiceError::NotFound("conversation"))?;
            if current.value.status != ConversationStatus::Open {
                // A retry of a reply that was sent before the conversation closed still finds it.
                if let Some(first) = find(ports, tenant, &current.value.id, &message_id).await? {
                    return repeated(first, &content).map(|first| Some(Err(first)));
                }
                return Err(ServiceError::Conflict(Conflict::conversation_closed()));
            }
            let taken = staff.reply_takes(&current.value)?;
            if !current.value.has_avito_chat() {
                return Err(ServiceError::Conflict(Conflict::new(
                    ConflictCode::RespondedByPhone,
                    "the candidate responded by phone: there is no Avito chat to write to; call them",
                )));
            }
            let message = Message {
                id: message_id.clone(),
                conversation_id: current.value.id.clone(),
                author: Author::Operator {
                    employee_id: employee.clone(),
                },
                content: content.clone(),
                created_at: ports.clock.now(),
                delivery: Some(Delivery::Pending),
            };
            let mut next = self.answered(tenant, &current.value, &message).await?;
            if let Some(replier) = taken {
                next.handler = replier;
            }
            let added = ports.conversations.add_message(tenant, &current, &next, &message).await;
            match settled(added)? {
                None => Ok(None),
                Some(true) => Ok(Some(Ok(Claimed {
                    conversation: next,
                    message,
                    waited: current.value.waiting_since,
                }))),
                Some(false) => match find(ports, tenant, &current.value.id, &message_id).await? {
                    Some(first) => repeated(first, &content).map(|first| Some(Err(first))),
                    None => Err(ServiceError::Conflict(Conflict::new(
                        ConflictCode::IdempotencyKeyReused,
                        "this idempotency key was used in another conversation",
                    ))),
                },
            }
        }))
    }

    /// Sends an operator's text into conversation `id`: claimed once per idempotency key, then
    /// sent; a text over Avito's 1000 characters is refused rather than split, so the operator
    /// decides where a message ends. A conversation waiting in a queue becomes the replier's with
    /// the reply, in the same write.
    pub async fn reply(&self, person: &Person, id: &str, text: &str, key: &str) -> ServiceResult<Replied> {
        check_reply(text, key)?;
        let content = Content::Text { text: text.to_owned() };
        let Claimed {
            conversation,
            message,
            waited,
        } = match self.claim(person, id, key, content).await? {
            Ok(claimed) => claimed,
            Err(first) => return Ok(Replied::Repeated(first)),
        };
        end_waiting(&self.ports, &person.tenant, &conversation.id, waited).await;
        let sent = outbox::send_claimed(
            &self.ports,
            &person.tenant,
            &conversation.channel_id,
            &conversation.chat_id,
            message.clone(),
        )
        .await?;
        Ok(Replied::New(with_delivery(message, &sent)))
    }

    /// Sends an image (its bytes; the kind read from them) into conversation `id`, as
    /// [`Desk::reply`] sends text. Avito sends only images (JPEG, PNG, GIF, BMP, HEIC up to 24 MB):
    /// anything else is refused, saying so.
    pub async fn reply_image(&self, person: &Person, id: &str, key: &str, bytes: Vec<u8>) -> ServiceResult<Replied> {
        // An unknown conversation is 404 whatever the bytes are.
        self.conversation(&person.tenant, id).await?;
        let mut errors = ValidationErrors::new();
        check_key(key, &mut errors);
        let kind = domain::attachment::image_kind(&bytes).map_err(|e| errors.add("body", Problem::Attachment(e)));
        errors.into_result(())?;
        let Ok(kind): Result<ImageKind, ()> = kind else {
            return Err(ServiceError::Permanent("the image kind was checked above".into()));
        };
        let Claimed {
            conversation,
            message,
            waited,
        } = match self.claim(person, id, key, Content::Image { url: None }).await? {
            Ok(claimed) => claimed,
            Err(first) => return Ok(Replied::Repeated(first)),
        };
        let image = OutgoingImage {
            bytes,
            content_type: kind.content_type(),
            file_name: kind.file_name(),
        };
        end_waiting(&self.ports, &person.tenant, &conversation.id, waited).await;
        let sent = outbox::send_claimed_image(
            &self.ports,
            &person.tenant,
            &conversation.channel_id,
            &conversation.chat_id,
            message.clone(),
            image,
        )
        .await?;
        // The stored message now has the image's link; answer with what is stored.
        let stored = find(&self.ports, &person.tenant, &conversation.id, &message.id).await?;
        Ok(Replied::New(stored.unwrap_or_else(|| with_delivery(message, &sent))))
    }

    /// Sends a failed message again. Only a failure that proves Avito did not take the message
    /// (`resendable`) allows it, so the client never gets it twice; of two resends at once one
    /// sends and the other gets 409.
    pub async fn resend(&self, person: &Person, id: &str, message_id: &str) -> ServiceResult<Message> {
        let staff = self.staff(person).await?;
        staff.employee()?;
        let conversation = self.conversation(&person.tenant, id).await?;
        staff.may_act(&conversation)?;
        let ports = &self.ports;
        let message = find(ports, &person.tenant, &conversation.id, message_id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        match &message.delivery {
            Some(Delivery::Failed { resendable: true, .. }) => {}
            Some(Delivery::Failed { .. }) => {
                return Err(ServiceError::Conflict(Conflict::new(
                    ConflictCode::MayHaveBeenDelivered,
                    "Avito may have delivered this message before it failed; sending it again could duplicate it",
                )));
            }
            Some(Delivery::Pending) => return Err(being_sent()),
            Some(Delivery::Sent { .. }) => {
                return Err(ServiceError::Conflict(Conflict::new(
                    ConflictCode::MessageAlreadySent,
                    "the message was sent",
                )));
            }
            None => {
                return Err(ServiceError::Conflict(Conflict::new(
                    ConflictCode::NotOurMessage,
                    "only our own messages are sent",
                )));
            }
        }
        if conversation.status != ConversationStatus::Open {
            return Err(ServiceError::Conflict(Conflict::conversation_closed()));
        }
        let claimed = Message {
            delivery: Some(Delivery::Pending),
            ..message.clone()
        };
        if !ports
            .conversations
            .replace_message(&person.tenant, &message, &claimed)
            .await?
        {
            return Err(being_sent());
        }
        let sent = outbox::send_claimed(
            ports,
            &person.tenant,
            &conversation.channel_id,
            &conversation.chat_id,
            claimed.clone(),
        )
        .await?;
        Ok(with_delivery(claimed, &sent))
    }

    /// Deletes a message of ours from the client's Avito chat. Avito allows it within an hour of
    /// sending; later is 409 with the reason. The message stays in the conversation as deleted;
    /// deleting it again changes nothing.
    pub async fn delete(&self, person: &Person, id: &str, message_id: &str) -> ServiceResult<Message> {
        let conversation = self.conversation(&person.tenant, id).await?;
        self.staff(person).await?.may_act(&conversation)?;
        let ports = &self.ports;
        let message = find(ports, &person.tenant, &conversation.id, message_id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if message.content == Content::Deleted {
            return Ok(message);
        }
        let Some(Delivery::Sent { avito_message_id }) = &message.delivery else {
            return Err(ServiceError::Conflict(Conflict::new(
                ConflictCode::NotOurMessage,
                "only a message of ours that Avito took can be deleted",
            )));
        };
        if !domain::conversation::deletable_at(message.created_at, ports.clock.now()) {
            return Err(ServiceError::Conflict(Conflict::new(
                ConflictCode::DeleteWindowPassed,
                format!(
                    "Avito deletes a message only within an hour of sending; this one was sent at {}",
                    message.created_at.format("%Y-%m-%d %H:%M UTC")
                ),
            )));
        }
        outbox::delete_sent(ports, &person.tenant, &conversation, avito_message_id)
            .await
            .map_err(|e| ServiceError::Avito(e.to_string()))?;
        let deleted = Message {
            content: Content::Deleted,
            ..message.clone()
        };
        if ports
            .conversations
            .replace_message(&person.tenant, &message, &deleted)
            .await?
        {
            return Ok(deleted);
        }
        // Changed meanwhile (deleted by a second request): answer with what is stored.
        find(ports, &person.tenant, &conversation.id, message_id)
            .await?
            .ok_or(ServiceError::NotFound("message"))
    }

    /// Writes to the client from their card (R-OP5): into their open conversation with an Avito
    /// chat, or else a new conversation (assigned to the caller) in the chat of their latest one.
    /// Avito lets a business write only into an existing chat, so a client with none gets 409
    /// saying so.
    pub async fn reply_from_card(
        &self,
        person: &Person,
        card_id: &str,
        text: &str,
        key: &str,
    ) -> ServiceResult<Replied> {
        check_reply(text, key)?;
        let card = self.card(&person.tenant, card_id).await?;
        let me = self.staff(person).await?.employee()?.clone();
        let recent = self
            .ports
            .conversations
            .by_client_card(&person.tenant, &card.id, None, 50)
            .await?
            .items;
        let with_chat: Vec<&Conversation> = recent.iter().filter(|c| c.has_avito_chat()).collect();
        let target = match with_chat.iter().find(|c| c.status == ConversationStatus::Open) {
            Some(open) => open.id.clone(),
            None => match with_chat.first() {
                Some(latest) => self.reopen(&person.tenant, latest, &card, me).await?,
                None => {
                    return Err(ServiceError::Conflict(Conflict::new(
                        ConflictCode::NoAvitoChat,
                        "Avito cannot start a chat: a business writes only into a chat the client opened, and this client has none with you yet",
                    )));
                }
            },
        };
        self.reply(person, target.as_str(), text, key).await
    }

    /// A new conversation, assigned to `me`, in the chat of the client's `latest` one; the open
    /// one of that chat if someone opened it meanwhile.
    async fn reopen(
        &self,
        tenant: &TenantId,
        latest: &Conversation,
        card: &ClientCard,
        me: domain::ids::EmployeeId,
    ) -> ServiceResult<ConversationId> {
        let ports = &self.ports;
        let channel = ports
            .receiving_channel(tenant, &latest.channel_id)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict(Conflict::new(
                    ConflictCode::ChannelNotConnected,
                    "the channel of this client's chat is not connected",
                ))
            })?;
        let settings = ports.settings(tenant, &channel.id).await?;
        let now = ports.clock.now();
        let mut client = latest.client.clone();
        client.card_id = Some(card.id.clone());
        let mut conversation = Conversation::open(Opening {
            id: crate::new_id(ConversationId::parse)?,
            channel_id: latest.channel_id.clone(),
            chat_id: latest.chat_id.clone(),
            handler: Handler::Operator { employee_id: me },
            client,
            listing: latest.listing.clone(),
            at: now,
            last_activity_at: now,
            waiting_since: None,
            candidate: latest.candidate.clone(),
            auto_close_after: settings.auto_close_after,
        });
        conversation.deal_id = latest.deal_id.clone();
        conversation.organization_id = latest.organization_id.clone();
        match ports.conversations.open(tenant, &conversation).await {
            Ok(()) => Ok(conversation.id),
            Err(StoreError::Conflict) => ports
                .conversations
                .open_for_chat(tenant, &channel.id, &conversation.chat_id)
                .await?
                .map(|c: Versioned<Conversation>| c.value.id)
                .ok_or_else(|| {
                    ServiceError::Conflict(Conflict::new(
                        ConflictCode::ChangedMeanwhile,
                        "the chat changed meanwhile; try again",
                    ))
                }),
            Err(e) => Err(e.into()),
        }
    }

    /// A client card of the tenant; 404 for an id that is not one.
    pub async fn card(&self, tenant: &TenantId, id: &str) -> ServiceResult<ClientCard> {
        if ClientCardId::parse(id).is_err() {
            return Err(ServiceError::NotFound("client card"));
        }
        self.ports
            .config
            .get::<ClientCard>(tenant, id)
            .await?
            .map(|c| c.value)
            .ok_or(ServiceError::NotFound("client card"))
    }
}
