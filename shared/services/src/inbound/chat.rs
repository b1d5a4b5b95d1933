//! Storing one message of an Avito chat in the chat's open conversation, whichever way it came (a
//! messenger webhook, or a Jobs chat's history read when its response reaches operators): once per
//! message, in one conditional write with the conversation as it is after it. A client message
//! starts a waiting period (auto-replies planned, the operator told) and, once stored, goes to a
//! chatbot that has the conversation (once, whatever Avito repeats); a bot that fails or times out
//! hands it to its fallback with a visible note (R-BOT2). The
//! account's own message is an answer, unless it is Avito's echo of one of ours.

use super::content::content_of;
use super::opening::{self, Opened, instant};
use super::{Ignored, Outcome};
use crate::answering::AutoReplies;
use crate::assignment;
use crate::error::ServiceResult;
use crate::notify;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::{TimeCursor, Versioned};
use avito_model::messenger::{MessageType, WebhookMessage};
use chrono::{DateTime, Utc};
use domain::candidate::JobResponse;
use domain::conversation::{Author, Content, Conversation, ConversationStatus, Delivery, Handler, Message};
use domain::directory::Channel;
use domain::ids::TenantId;
use domain::settings::ChannelSettings;

/// What the stored write did, for the work after it.
struct Written {
    before: Conversation,
    after: Conversation,
    message: Message,
    opened: bool,
}

/// Stores one message of a chat in `channel`'s conversation of it. With no open conversation, a
/// client message opens one (for a Jobs chat, the conversation of its `response`); any other
/// message opens none. `known`: the chat's open conversation (or that it has none) when the
/// caller just read it, so it is not read again.
pub(super) async fn store_message(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    settings: &ChannelSettings,
    value: &WebhookMessage,
    response: Option<&JobResponse>,
    mut known: Option<Option<Versioned<Conversation>>>,
) -> ServiceResult<Outcome> {
    let now = ports.clock.now();
    let author = match (&value.kind, value.author_id) {
        (MessageType::System, _) => Author::System,
        (_, Some(a)) if Some(a) == channel.account_id() => Author::Account,
        _ => Author::Client,
    };
    let written = until_settled!("the conversation", {
        let read = match known.take() {
            Some(read) => read,
            None => {
                ports
                    .conversations
                    .open_for_chat(tenant, &channel.id, &value.chat_id)
                    .await?
            }
        };
        let (current, opened) = match read {
            Some(c) => (c, false),
            // The account's own message (a closing message coming back, or someone writing
            // from the Avito app after the conversation closed) opens none: it joins the chat's
            // latest conversation, the client's history.
            None if author != Author::Client => match latest_of_chat(ports, tenant, channel, value).await? {
                Some(latest) => (latest, false),
                None => {
                    return Ok(Some(Err(Outcome::Ignored(Ignored::AccountMessageWithoutConversation))));
                }
            },
            None => match open(ports, tenant, channel, settings, value, response, now).await? {
                Opened::New(c) => (*c, true),
                Opened::Raced => return Ok(None),
                Opened::Refused(why) => return Ok(Some(Err(Outcome::Ignored(why)))),
            },
        };
        let message = Message {
            id: value.id.clone(),
            conversation_id: current.value.id.clone(),
            author: author.clone(),
            content: content_of(&value.kind, &value.content),
            created_at: instant(value.created, now),
            delivery: None,
        };
        if message.author == Author::Account && claim_echo(ports, tenant, &current.value, &message).await? {
            return Ok(Some(Err(Outcome::Duplicate)));
        }
        let next = current
            .value
            .clone()
            .with_message(&message)
            .with_auto_close(settings.auto_close_after);
        // Planned before the message is stored, so that a failure leaves the event to be
        // retried whole; planning twice schedules once (none while a chatbot has it).
        if current.value.waiting_since.is_none() && next.waiting_since.is_some() {
            AutoReplies { ports: ports.clone() }.plan(tenant, &next).await?;
        }
        let added = ports.conversations.add_message(tenant, &current, &next, &message).await;
        Ok(settled(added)?.map(|added| {
            if added {
                Ok(Written {
                    before: current.value,
                    after: next,
                    message,
                    opened,
                })
            } else {
                Err(Outcome::Duplicate)
            }
        }))
    });
    let Written {
        before,
        after,
        message,
        opened,
    } = match written {
        Ok(written) => written,
        Err(outcome) => return Ok(outcome),
    };
    if let (Some(waited), None) = (before.waiting_since, after.waiting_since) {
        AutoReplies { ports: ports.clone() }
            .cancel(tenant, &after.id, waited)
            .await;
    }
    // A chatbot gets the client's message once: only the copy that was newly stored here, after
    // it is stored (a repeated or reordered delivery finds it stored and goes no further).
    let mut after = after;
    if let (Handler::Chatbot { chatbot_id }, Author::Client) = (&after.handler, &message.author) {
        let chatbot_id = chatbot_id.clone();
        if !deliver_to_bot(ports, tenant, &chatbot_id, &after, &message).await?
            && let Some(handed) = bot_unavailable(ports, tenant, &after.id, &chatbot_id, &message).await?
        {
            after = handed;
        }
    }
    let starts_waiting = before.waiting_since.is_none() && after.waiting_since.is_some();
    if let (true, false, Some(since)) = (starts_waiting, opened, after.waiting_since) {
        notify::client_wrote(ports, tenant, &after, since).await?;
    }
    Ok(Outcome::Stored {
        conversation: after.id,
        opened,
    })
}

/// The chat's latest conversation (closed, since none is open): found through the chat's client
/// (Avito's chat info) and their card's history.
async fn latest_of_chat(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    value: &WebhookMessage,
) -> ServiceResult<Option<Versioned<Conversation>>> {
    let details = crate::enrichment::chat_details(ports, tenant, &channel.id, value.user_id, &value.chat_id, None)
        .await
        .map_err(|e| crate::error::ServiceError::Transient(format!("the chat's client: {e}")))?;
    let Some(client) = details.client.and_then(|c| c.avito_user_id) else {
        return Ok(None);
    };
    let Some(card) = ports.config.card_of_avito_user(tenant, client).await? else {
        return Ok(None);
    };
    let history = ports.conversations.by_client_card(tenant, &card, None, 50).await?;
    let latest = history
        .items
        .into_iter()
        .find(|c| c.channel_id == channel.id && c.chat_id == value.chat_id);
    match latest {
        Some(c) => Ok(ports.conversations.get(tenant, &c.id).await?),
        None => Ok(None),
    }
}

/// Opens the chat's conversation for a client's message: its response's, or a messenger one.
async fn open(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    settings: &ChannelSettings,
    value: &WebhookMessage,
    response: Option<&JobResponse>,
    now: DateTime<Utc>,
) -> ServiceResult<Opened> {
    match response {
        Some(r) => Ok(
            match opening::open_for_response(ports, tenant, channel, settings, r, None, now).await? {
                Some(c) => Opened::New(Box::new(c)),
                None => Opened::Raced,
            },
        ),
        None => opening::open_conversation(ports, tenant, channel, settings, value, now).await,
    }
}

/// R-BOT2: the chatbot that has the conversation failed or timed out on `message`, so the
/// conversation goes to the bot's fallback, with a visible note, in one conditional write (once per
/// message: the note's id names it); a client still waiting now waits for a person, so the
/// auto-replies apply, and the operator who gets it is told. `None`: it is not with that bot any
/// more (handed over meanwhile).
async fn bot_unavailable(
    ports: &Ports,
    tenant: &TenantId,
    id: &domain::ids::ConversationId,
    chatbot: &domain::ids::ChatbotId,
    message: &Message,
) -> ServiceResult<Option<Conversation>> {
    let handed = until_settled!("the conversation", {
        let Some(current) = ports.conversations.get(tenant, id).await? else {
            return Ok(Some(None));
        };
        let still_the_bots = matches!(&current.value.handler, Handler::Chatbot { chatbot_id } if chatbot_id == chatbot);
        if current.value.status != ConversationStatus::Open || !still_the_bots {
            return Ok(Some(None));
        }
        let note = Message {
            id: format!("bot-unavailable-{}", message.id),
            conversation_id: current.value.id.clone(),
            author: Author::System,
            content: Content::System {
                text: Some("Чат-бот не ответил: обращение передано оператору".to_owned()),
                flow_id: None,
            },
            created_at: ports.clock.now(),
            delivery: None,
        };
        let mut next = current.value.clone().with_message(&note);
        next.handler = assignment::fallback_handler(ports, tenant, &next).await?;
        if next.waiting_since.is_some() {
            AutoReplies { ports: ports.clone() }.plan(tenant, &next).await?;
        }
        let added = ports.conversations.add_message(tenant, &current, &next, &note).await;
        Ok(settled(added)?.map(|added| added.then_some((next, note.created_at))))
    });
    match handed {
        Some((conversation, at)) => {
            notify::assigned(ports, tenant, &conversation, at).await?;
            Ok(Some(conversation))
        }
        None => Ok(None),
    }
}

/// Delivers a client message to the conversation's chatbot; `false` when the bot is unavailable
/// (unknown, failing, or slower than the timeout). Events carry the message id, so a bot sees a
/// repeat of one it got before when a write is retried.
async fn deliver_to_bot(
    ports: &Ports,
    tenant: &TenantId,
    chatbot: &domain::ids::ChatbotId,
    conversation: &Conversation,
    message: &Message,
) -> ServiceResult<bool> {
    let Some(bot) = ports
        .config
        .get::<domain::directory::Chatbot>(tenant, chatbot.as_str())
        .await?
        .map(|v| v.value)
    else {
        return Ok(false);
    };
    let event = serde_json::json!({
        "type": "message",
        "tenant": tenant,
        "conversation_id": conversation.id,
        "channel_id": conversation.channel_id,
        "client": conversation.client,
        "listing": conversation.listing,
        "message": message,
    });
    match ports.chatbots.deliver(&bot, &event).await {
        Ok(()) => Ok(true),
        Err(e) => {
            tracing::warn!(chatbot = %bot.id, error = %e, "chatbot unavailable; the conversation goes to its fallback");
            Ok(false)
        }
    }
}

/// Whether `echo` (the account's own message) is Avito's echo of a message we sent and whose
/// confirmation has not been recorded yet (the echo can overtake it). If so, it is recorded as
/// that message's delivery, so it is not taken for an operator's reply.
async fn claim_echo(
    ports: &Ports,
    tenant: &TenantId,
    conversation: &Conversation,
    echo: &Message,
) -> ServiceResult<bool> {
    // An image is matched by kind: its echo carries Avito's link, which ours learns only
    // from the echo or the send's answer, whichever comes first.
    let same_content = |ours: &Content| match (&echo.content, ours) {
        (Content::Text { text }, Content::Text { text: t }) => t == text,
        (Content::Image { .. }, Content::Image { .. }) => true,
        _ => false,
    };
    if !matches!(echo.content, Content::Text { .. } | Content::Image { .. }) {
        return Ok(false);
    }
    let since = TimeCursor::at(echo.created_at - chrono::TimeDelta::minutes(10));
    let page = ports
        .conversations
        .messages(tenant, &conversation.id, Some(&since), 100)
        .await?;
    let ours = page.items.into_iter().find(|m| {
        matches!(
            m.author,
            Author::AutoReply | Author::System | Author::Bot { .. } | Author::Operator { .. }
        ) && m.delivery == Some(Delivery::Pending)
            && same_content(&m.content)
    });
    let Some(ours) = ours else { return Ok(false) };
    let content = match ours.content {
        Content::Image { url: None } => echo.content.clone(),
        content => content,
    };
    let confirmed = Message {
        delivery: Some(Delivery::Sent {
            avito_message_id: echo.id.clone(),
        }),
        content,
        ..ours
    };
    ports
        .conversations
        .record_delivery(tenant, &conversation.channel_id, &confirmed)
        .await?;
    Ok(true)
}
