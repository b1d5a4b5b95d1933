//! The router's work on one inbound event (R-IN2–R-IN5, R-IN4): a messenger message joins the
//! open conversation of its chat or opens one (enriched from Avito's chat info and routed by the
//! schedule and the channel's settings); the account's own messages are operator replies; a
//! message is stored once however often it is delivered; messages keep Avito's order.
//!
//! Idempotent: processing the same event again changes nothing (the store refuses the second copy
//! of a message atomically), so the queue may deliver it any number of times.
//!
//! A client message that starts a waiting period plans its auto-replies; an answer cancels them.
//!
//! A conversation whose receiver is a chatbot has its client messages delivered to the bot
//! (signed, with a timeout); a bot that fails or times out hands it to its fallback (R-BOT2).
//!
//! With auto-assignment on, a group's conversation goes to its online member under capacity with
//! the fewest open conversations (then the longest since their last assignment).
//!
//! An auto-assigned conversation its operator leaves unanswered past the answer wait passes on
//! ([`crate::answer_wait`]).
//!
//! Avito Jobs responses are in [`crate::jobs`]; their chats' messages come through here, to the
//! Jobs channel's conversation whichever of the account's channels the webhook reached (R-J3).

use crate::answer_wait::AnswerWaitJob;
use crate::auto_replies::AutoReplies;
use crate::inbound::InboundEvent;
use crate::ports::Ports;
use adapters::ports::{StoreError, Versioned};
use avito_model::messenger::{MessageType, WebhookEnvelope, WebhookMessage};
use chrono::{DateTime, TimeZone, Utc};
use domain::candidate::JobResponse;
use domain::conversation::{
    Author, CardKind, ClientCard, ClientRef, Content, Conversation, ConversationStatus, Delivery, Handler, Listing,
    Message,
};
use domain::directory::{Channel, ChannelKind};
use domain::ids::{ChannelId, ClientCardId, ConversationId, TenantId};
use domain::routing::{RoutingInput, RoutingTarget, route_new_conversation};
use domain::settings::ChannelSettings;

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

/// Why processing failed; the event stays on the queue (and reaches the dead letters if it keeps
/// failing).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("try again: {0}")]
    Transient(String),
    #[error("cannot process: {0}")]
    Permanent(String),
}

impl From<StoreError> for ProcessError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(m) => ProcessError::Permanent(m),
            other => ProcessError::Transient(other.to_string()),
        }
    }
}

/// Where routing sent a conversation, and (when it auto-assigned it within a group that has an
/// answer wait) the group and the wait.
pub(crate) struct Routed {
    pub handler: Handler,
    pub auto_assigned: Option<(domain::ids::GroupId, chrono::TimeDelta)>,
}

/// What opening a conversation for a chat came to.
enum Opening {
    Opened(Box<Versioned<Conversation>>),
    /// Another worker opened one first (the caller reads it and joins it).
    Raced,
    /// The chat is about one of the account's vacancies and the account is also connected as an
    /// Avito Jobs channel: the chat belongs to a response Avito has not reported yet, whose
    /// conversation reads the chat's messages when it opens (R-J3).
    VacancyChat,
}

/// Whether a listing is a vacancy: Avito's vacancies live under its `/vakansii/` category.
fn is_vacancy(listing: &Listing) -> bool {
    listing.url.as_deref().is_some_and(|u| u.contains("/vakansii/"))
}

/// How many times a write that lost a race is tried again before the event goes back to the queue.
pub(crate) const WRITE_ATTEMPTS: usize = 8;

/// Processes inbound events.
#[derive(Clone)]
pub struct InboundProcessor {
    pub ports: Ports,
}

fn random_hex() -> Result<String, ProcessError> {
    crate::random_hex(16).map_err(ProcessError::Transient)
}

pub(crate) fn new_id() -> Result<ConversationId, ProcessError> {
    ConversationId::parse(random_hex()?).map_err(|e| ProcessError::Permanent(e.to_string()))
}

fn instant(seconds: Option<i64>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    seconds
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .unwrap_or(fallback)
}

/// Avito's message content as ours: every type kept, unknown ones as a visible placeholder.
pub fn content_of(kind: &MessageType, c: &avito_model::messenger::MessageContent) -> Content {
    match kind {
        MessageType::Text => Content::Text {
            text: c.text.clone().unwrap_or_default(),
        },
        MessageType::Image => Content::Image {
            url: c.image.as_ref().and_then(|i| i.largest()).map(str::to_owned),
        },
        MessageType::Voice => Content::Voice {
            voice_id: c.voice.as_ref().and_then(|v| v.voice_id.clone()),
        },
        MessageType::Link => Content::Link {
            text: c.link.as_ref().and_then(|l| l.text.clone()),
            url: c.link.as_ref().and_then(|l| l.url.clone()),
        },
        MessageType::Item => Content::Item {
            title: c.item.as_ref().and_then(|i| i.title.clone()),
            url: c.item.as_ref().and_then(|i| i.item_url.clone()),
            price: c.item.as_ref().and_then(|i| i.price_string.clone()),
        },
        MessageType::Location => Content::Location {
            lat: c.location.as_ref().and_then(|l| l.lat),
            lon: c.location.as_ref().and_then(|l| l.lon),
            text: c
                .location
                .as_ref()
                .and_then(|l| l.text.clone().or_else(|| l.title.clone())),
        },
        MessageType::Call => Content::Call {
            status: c.call.as_ref().and_then(|c| c.status.clone()),
        },
        MessageType::System => Content::System {
            text: c.text.clone(),
            flow_id: c.flow_id.clone(),
        },
        MessageType::Deleted => Content::Deleted,
        other => Content::Unsupported {
            avito_type: other.as_str().to_owned(),
        },
    }
}

impl InboundProcessor {
    /// The auto-reply use cases on the same ports.
    pub fn auto_replies(&self) -> AutoReplies {
        AutoReplies {
            ports: self.ports.clone(),
        }
    }

    /// Processes one event.
    pub async fn process(&self, event: &InboundEvent) -> Result<Outcome, ProcessError> {
        match event {
            InboundEvent::Messenger {
                tenant,
                channel,
                webhook,
                ..
            } => {
                let Ok(envelope) = serde_json::from_value::<WebhookEnvelope>(webhook.clone()) else {
                    return Err(ProcessError::Permanent("not a messenger webhook".into()));
                };
                let Some(value) = envelope.payload.and_then(|p| p.value) else {
                    return Ok(Outcome::Ignored("no message in the webhook"));
                };
                self.messenger_message(tenant, channel, &value).await
            }
            InboundEvent::Application {
                tenant,
                channel,
                apply_id,
                ..
            } => self.application(tenant, channel, apply_id).await,
        }
    }

    async fn messenger_message(
        &self,
        tenant: &TenantId,
        channel_id: &ChannelId,
        value: &WebhookMessage,
    ) -> Result<Outcome, ProcessError> {
        let Some(receiving) = self.ports.channel(tenant, channel_id).await? else {
            return Ok(Outcome::Ignored("the channel no longer exists"));
        };
        if !receiving.is_receiving() {
            return Ok(Outcome::Ignored("the channel is not connected"));
        }
        if receiving.account.as_ref().map(|a| a.id) != Some(value.user_id) {
            return Ok(Outcome::Ignored("the webhook is for another Avito account"));
        }
        // An Avito channel's chat with an open conversation stays where it is: that conversation,
        // read once here, is the one the message joins (no need to ask whose chat it is).
        let open_here = match receiving.kind {
            ChannelKind::Avito => Some(
                self.ports
                    .conversations
                    .open_for_chat(tenant, &receiving.id, &value.chat_id)
                    .await?,
            ),
            ChannelKind::AvitoJobs => None,
        };
        let (channel, response) = match &open_here {
            Some(Some(_)) => (receiving.clone(), None),
            _ => match self.chat_owner(tenant, &receiving, &value.chat_id).await? {
                Some(owner) => owner,
                None => {
                    return Ok(Outcome::Ignored(
                        "not a chat of this channel (read with its response when that arrives)",
                    ));
                }
            },
        };
        // What was read about the receiving channel's chat holds for it, found or not.
        let known = open_here.filter(|_| channel.id == receiving.id);
        let settings = self
            .ports
            .config
            .channel_settings(tenant, &channel.id)
            .await?
            .unwrap_or_default();
        self.chat_message(tenant, &channel, &settings, value, response.as_ref(), known)
            .await
    }

    /// R-J3: the channel whose conversations a chat's messages join, whichever of the account's
    /// channels the webhook came to (Avito may deliver once per account or once per URL): a chat
    /// of a known response belongs to its Jobs channel (with the response); any other chat to the
    /// account's Avito channel. `None`: to none that is connected.
    async fn chat_owner(
        &self,
        tenant: &TenantId,
        receiving: &Channel,
        chat_id: &str,
    ) -> Result<Option<(Channel, Option<JobResponse>)>, ProcessError> {
        let account = receiving.account.as_ref().map(|a| a.id);
        let same_account = |c: &Channel| c.account.as_ref().map(|a| a.id) == account;
        if let Some(pointer) = self.ports.config.job_chat(tenant, chat_id).await? {
            let jobs = self
                .ports
                .channel(tenant, &pointer.channel_id)
                .await?
                .filter(same_account);
            if let Some(jobs) = jobs {
                if !jobs.is_receiving() {
                    return Ok(None);
                }
                let response = self
                    .ports
                    .config
                    .get::<JobResponse>(tenant, &pointer.apply_id)
                    .await?
                    .map(|v| v.value);
                return Ok(response.map(|r| (jobs, Some(r))));
            }
        }
        match receiving.kind {
            ChannelKind::Avito => Ok(Some((receiving.clone(), None))),
            ChannelKind::AvitoJobs => {
                let avito = self
                    .ports
                    .config
                    .list_all::<Channel>(tenant)
                    .await?
                    .into_iter()
                    .find(|c| c.kind == ChannelKind::Avito && c.is_receiving() && same_account(c));
                Ok(avito.map(|c| (c, None)))
            }
        }
    }

    /// Stores one message of a chat in `channel`'s conversation of it, opening one for a client
    /// message when none is open (for a Jobs chat, the conversation of its `response`).
    /// `known`: the chat's open conversation (or that it has none) when the caller just read it,
    /// so it is not read again.
    pub(crate) async fn chat_message(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        settings: &ChannelSettings,
        value: &WebhookMessage,
        response: Option<&JobResponse>,
        mut known: Option<Option<Versioned<Conversation>>>,
    ) -> Result<Outcome, ProcessError> {
        let channel_id = &channel.id;
        let account = channel.account.as_ref().map(|a| a.id);
        let now = self.ports.clock.now();
        let author = match (&value.kind, value.author_id) {
            (MessageType::System, _) => Author::System,
            (_, Some(a)) if Some(a) == account => Author::Account,
            _ => Author::Client,
        };
        let message_template = |conversation: &ConversationId| Message {
            id: value.id.clone(),
            conversation_id: conversation.clone(),
            author: author.clone(),
            content: content_of(&value.kind, &value.content),
            created_at: instant(value.created, now),
            delivery: None,
        };
        for _ in 0..WRITE_ATTEMPTS {
            let open = match known.take() {
                Some(read) => read,
                None => {
                    self.ports
                        .conversations
                        .open_for_chat(tenant, channel_id, &value.chat_id)
                        .await?
                }
            };
            let (current, opened) = match open {
                Some(c) => (c, false),
                None if author != Author::Client => {
                    // The account's own message (an auto-reply or closing message coming back, or an
                    // operator writing first in the Avito app) does not open a conversation.
                    return Ok(Outcome::Ignored("not a client message and no open conversation"));
                }
                None => {
                    let opened = match response {
                        Some(r) => self.open_for_response(tenant, channel, settings, r, None, now).await?,
                        None => match self.open_conversation(tenant, channel, settings, value, now).await? {
                            Opening::Opened(c) => Some(*c),
                            Opening::Raced => None,
                            Opening::VacancyChat => {
                                return Ok(Outcome::Ignored(
                                    "a vacancy's chat: it joins its response's conversation when the response arrives",
                                ));
                            }
                        },
                    };
                    match opened {
                        Some(c) => (c, true),
                        None => continue,
                    }
                }
            };
            let message = message_template(&current.value.id);
            if message.author == Author::Account && self.claim_echo(tenant, &current.value, &message).await? {
                return Ok(Outcome::Duplicate);
            }
            let mut next = current
                .value
                .clone()
                .with_message(&message)
                .with_auto_close(settings.auto_close_after);
            if let (Handler::Chatbot { chatbot_id }, Author::Client) = (&next.handler, &message.author)
                && !self.deliver_to_bot(tenant, chatbot_id, &next, &message).await?
            {
                // R-BOT2: a bot that fails or times out hands the conversation to its fallback.
                next.handler = self.fallback_handler(tenant, &next).await?;
            }
            // Planned before the message is stored, so that a failure leaves the event to be
            // retried whole; planning twice schedules once. A waiting client handed over by a bot
            // now waits for an operator, so the auto-replies apply from then on too.
            let starts_waiting = current.value.waiting_since.is_none() && next.waiting_since.is_some();
            let handed_over = matches!(current.value.handler, Handler::Chatbot { .. })
                && !matches!(next.handler, Handler::Chatbot { .. });
            if starts_waiting || (handed_over && next.waiting_since.is_some()) {
                self.auto_replies().plan(tenant, &next).await?;
            }
            match self
                .ports
                .conversations
                .add_message(tenant, &next, current.version, &message)
                .await
            {
                Ok(true) => {
                    if let (Some(waited), None) = (current.value.waiting_since, next.waiting_since) {
                        self.auto_replies().cancel(tenant, &next.id, waited).await;
                    }
                    if handed_over {
                        self.ports.notify_assigned(tenant, &next, message.created_at).await?;
                    }
                    if let (true, false, Some(since)) = (starts_waiting, opened, next.waiting_since) {
                        self.ports.notify_message(tenant, &next, since).await?;
                    }
                    return Ok(Outcome::Stored {
                        conversation: next.id,
                        opened,
                    });
                }
                Ok(false) => return Ok(Outcome::Duplicate),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ProcessError::Transient(
            "the conversation kept changing; will retry".into(),
        ))
    }

    /// Delivers a client message to the conversation's chatbot; `false` when the bot is unavailable
    /// (unknown, failing, or slower than the timeout). Events carry the message id, so a bot sees a
    /// repeat of one it got before when a write is retried.
    async fn deliver_to_bot(
        &self,
        tenant: &TenantId,
        chatbot: &domain::ids::ChatbotId,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<bool, ProcessError> {
        let Some(bot) = self
            .ports
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
        match self.ports.chatbots.deliver(&bot, &event).await {
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
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        echo: &Message,
    ) -> Result<bool, ProcessError> {
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
        let since = (echo.created_at - chrono::TimeDelta::minutes(10))
            .timestamp_millis()
            .max(0);
        let cursor = format!("{since:015}#");
        let page = self
            .ports
            .conversations
            .messages(tenant, &conversation.id, Some(&cursor), 100)
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
        self.ports
            .conversations
            .record_delivery(tenant, &conversation.channel_id, &confirmed)
            .await?;
        Ok(true)
    }

    /// Opens a conversation for the chat: enriched from Avito's chat info, routed.
    async fn open_conversation(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        settings: &ChannelSettings,
        value: &WebhookMessage,
        now: DateTime<Utc>,
    ) -> Result<Opening, ProcessError> {
        let (mut client, listing) = self.chat_details(tenant, channel, value).await;
        if listing.as_ref().is_some_and(is_vacancy) && self.has_jobs_channel(tenant, channel).await? {
            return Ok(Opening::VacancyChat);
        }
        client.card_id = self.client_card(tenant, &client, now).await?;
        let routed = self.route(tenant, settings, now, true).await?;
        let handler = routed.handler.clone();
        let conversation = Conversation {
            id: new_id()?,
            channel_id: channel.id.clone(),
            chat_id: value.chat_id.clone(),
            status: ConversationStatus::Open,
            handler,
            client,
            listing,
            created_at: now,
            last_activity_at: instant(value.created, now),
            waiting_since: None,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            candidate: None,
            topic: None,
            deal_id: None,
            organization_id: None,
        };
        match self.ports.conversations.open(tenant, &conversation).await {
            Ok(()) => {
                self.start_answer_wait(tenant, &conversation.id, &routed, now).await?;
                self.ports
                    .notify_assigned(tenant, &conversation, conversation.created_at)
                    .await?;
                Ok(Opening::Opened(Box::new(Versioned {
                    value: conversation,
                    version: 1,
                })))
            }
            Err(StoreError::Conflict) => Ok(Opening::Raced),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the tenant has a connected Avito Jobs channel on `channel`'s Avito account.
    async fn has_jobs_channel(&self, tenant: &TenantId, channel: &Channel) -> Result<bool, ProcessError> {
        let account = channel.account.as_ref().map(|a| a.id);
        Ok(self.ports.config.list_all::<Channel>(tenant).await?.iter().any(|c| {
            c.kind == ChannelKind::AvitoJobs && c.is_receiving() && c.account.as_ref().map(|a| a.id) == account
        }))
    }

    /// The card of the conversation's client (PRODUCT.md's glossary): a known Avito user keeps
    /// their card across conversations and channels; an unknown one gets a guest card. A client
    /// Avito does not identify gets none.
    async fn client_card(
        &self,
        tenant: &TenantId,
        client: &ClientRef,
        now: DateTime<Utc>,
    ) -> Result<Option<ClientCardId>, ProcessError> {
        let Some(avito_user_id) = client.avito_user_id else {
            return Ok(None);
        };
        // Only stored if the client has no card yet.
        let guest = ClientCard {
            id: ClientCardId::parse(random_hex()?).map_err(|e| ProcessError::Permanent(e.to_string()))?,
            kind: CardKind::Guest,
            name: client.name.clone(),
            avito_user_ids: vec![avito_user_id],
            phones: Vec::new(),
            emails: Vec::new(),
            created_at: now,
        };
        Ok(Some(self.ports.config.link_card(tenant, avito_user_id, &guest).await?))
    }

    /// The client's name and the listing from Avito's chat info (R-IN3). Avito being unavailable
    /// does not hold the conversation back: it opens with what the webhook says.
    async fn chat_details(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        value: &WebhookMessage,
    ) -> (ClientRef, Option<Listing>) {
        let fallback = (
            ClientRef {
                avito_user_id: value.author_id,
                name: None,
                card_id: None,
            },
            value.item_id.map(|id| Listing {
                item_id: Some(id),
                ..Default::default()
            }),
        );
        let vault = self.ports.vaults.channel(tenant, &channel.id);
        match self.ports.avito.chat(&vault, value.user_id, &value.chat_id).await {
            Ok(chat) => {
                let client = chat
                    .users
                    .iter()
                    .find(|u| u.id != Some(value.user_id))
                    .map(|u| ClientRef {
                        avito_user_id: u.id,
                        name: u.name.clone(),
                        card_id: None,
                    });
                let listing = chat.context.and_then(|c| c.value).map(|item| Listing {
                    item_id: item.id.or(value.item_id),
                    title: item.title,
                    price: item.price_string,
                    url: item.url,
                });
                (client.unwrap_or(fallback.0), listing.or(fallback.1))
            }
            Err(e) => {
                tracing::warn!(error = %e, channel = %channel.id, "chat info unavailable; the conversation opens without it");
                fallback
            }
        }
    }

    /// Where a chatbot's conversation goes when the bot hands it over or is unavailable: the
    /// fallback of the channel's settings, distributed as any new conversation (an auto-assignment
    /// starts its answer wait).
    pub async fn fallback_handler(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
    ) -> Result<Handler, ProcessError> {
        let settings = self
            .ports
            .config
            .channel_settings(tenant, &conversation.channel_id)
            .await?
            .unwrap_or_default();
        let now = self.ports.clock.now();
        let routed = self.route(tenant, &settings, now, false).await?;
        self.start_answer_wait(tenant, &conversation.id, &routed, now).await?;
        Ok(routed.handler)
    }

    /// Schedules the answer wait of an auto-assignment.
    pub(crate) async fn start_answer_wait(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        routed: &Routed,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        if let (Some((group, wait)), Handler::Operator { employee_id }) = (&routed.auto_assigned, &routed.handler) {
            let job = AnswerWaitJob {
                tenant: tenant.clone(),
                conversation: conversation.clone(),
                group: group.clone(),
                assigned_to: employee_id.clone(),
                assigned_at: now.timestamp(),
                tried: Vec::new(),
            };
            job.schedule(&self.ports, now + *wait).await?;
        }
        Ok(())
    }

    /// The members of `group` as auto-assignment sees them: online or not, how many open
    /// conversations they have (counted up to the capacity), when they last got one.
    pub(crate) async fn operator_loads(
        &self,
        tenant: &TenantId,
        group: &domain::ids::GroupId,
        capacity: u32,
    ) -> Result<Vec<domain::routing::OperatorLoad>, ProcessError> {
        let Some(group) = self
            .ports
            .config
            .get::<domain::directory::Group>(tenant, group.as_str())
            .await?
            .map(|g| g.value)
        else {
            return Ok(Vec::new());
        };
        let mut loads = Vec::with_capacity(group.members.len());
        for employee in group.members {
            let presence = self.ports.config.presence(tenant, &employee).await?;
            let key = adapters::ports::handler_key(&Handler::Operator {
                employee_id: employee.clone(),
            });
            let open = self
                .ports
                .conversations
                .open_by_handler(tenant, &[key], None, capacity)
                .await?;
            let open_conversations =
                u32::try_from(open.items.len()).unwrap_or(u32::MAX) + u32::from(open.next.is_some());
            loads.push(domain::routing::OperatorLoad {
                employee,
                online: presence.online,
                open_conversations,
                last_assigned_at: presence.last_assigned_at,
            });
        }
        Ok(loads)
    }

    /// Where a new conversation goes, by the schedule and the channel's settings.
    pub(crate) async fn route(
        &self,
        tenant: &TenantId,
        settings: &ChannelSettings,
        now: DateTime<Utc>,
        chatbot_available: bool,
    ) -> Result<Routed, ProcessError> {
        let schedule = self.ports.config.schedule(tenant).await?;
        let distribution = self.ports.config.distribution(tenant).await?;
        let working_time = schedule.is_working_at(now);
        let group = domain::routing::group_to_consult(settings, working_time, chatbot_available)
            .filter(|_| distribution.mode == domain::distribution::DistributionMode::AutoAssign);
        let operators = match &group {
            Some(group) => {
                self.operator_loads(tenant, group, distribution.capacity_per_operator)
                    .await?
            }
            None => Vec::new(),
        };
        let decision = route_new_conversation(RoutingInput {
            settings,
            working_time,
            chatbot_available,
            distribution: &distribution,
            operators: &operators,
        });
        let mut auto_assigned = None;
        let handler = match decision.target {
            RoutingTarget::Operator(employee_id) => {
                if operators.iter().any(|o| o.employee == employee_id) {
                    // Auto-assigned: remember when, for fairness (best effort).
                    let mut presence = self.ports.config.presence(tenant, &employee_id).await?;
                    presence.last_assigned_at = Some(now);
                    self.ports.config.put_presence(tenant, &employee_id, &presence).await?;
                    auto_assigned = group.zip(distribution.answer_wait);
                }
                Handler::Operator { employee_id }
            }
            RoutingTarget::GroupQueue(group_id) => Handler::GroupQueue { group_id },
            RoutingTarget::GeneralQueue => Handler::GeneralQueue,
            RoutingTarget::Chatbot { chatbot, .. } => Handler::Chatbot { chatbot_id: chatbot },
        };
        Ok(Routed { handler, auto_assigned })
    }
}
