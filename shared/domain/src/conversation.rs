//! Conversations (обращения) and their messages, and what an inbound Avito message does to them
//! (R-IN2, R-IN5): a client message opens a conversation or joins the open one and starts a waiting
//! period; the account's own message (an operator answering from the Avito app, or our own send
//! coming back) is an operator reply that ends the waiting period.

use crate::ids::{ChannelId, ChatbotId, ConversationId, EmployeeId, GroupId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Open until completed, finished by a bot, or closed for inactivity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConversationStatus {
    Open,
    Closed,
}

/// Who has the conversation now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Handler {
    Operator { employee_id: EmployeeId },
    GroupQueue { group_id: GroupId },
    GeneralQueue,
    Chatbot { chatbot_id: ChatbotId },
}

/// The client as Avito shows them, and their card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientRef {
    /// Avito's user id of the client, when known.
    pub avito_user_id: Option<i64>,
    pub name: Option<String>,
    /// The client's card: a guest card made for an unknown sender, or the card of a known one.
    #[serde(default)]
    pub card_id: Option<crate::ids::ClientCardId>,
}

/// Whether a card is a guest's (made automatically) or a client's (made by an operator, R-OP3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CardKind {
    Guest,
    Client,
}

/// A client card: who the client is across conversations and channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientCard {
    pub id: crate::ids::ClientCardId,
    pub kind: CardKind,
    pub name: Option<String>,
    /// The Avito users this card is (one for a guest card).
    pub avito_user_ids: Vec<i64>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The listing a chat is about (R-IN3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listing {
    pub item_id: Option<i64>,
    pub title: Option<String>,
    pub price: Option<String>,
    pub url: Option<String>,
}

/// A conversation: one Avito chat while it is open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: ConversationId,
    pub channel_id: ChannelId,
    pub chat_id: String,
    pub status: ConversationStatus,
    pub handler: Handler,
    pub client: ClientRef,
    pub listing: Option<Listing>,
    pub created_at: DateTime<Utc>,
    /// The last client or operator message (auto-replies are not activity).
    pub last_activity_at: DateTime<Utc>,
    /// Since when a client message waits for an answer; `None` when answered.
    pub waiting_since: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When it closes by itself if nothing happens (R-CS6); `None` once closed.
    #[serde(default)]
    pub auto_close_due_at: Option<DateTime<Utc>>,
    /// Why it closed.
    #[serde(default)]
    pub closing_reason: Option<ClosingReason>,
    /// For an Avito Jobs response: the candidate card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<crate::candidate::Candidate>,
    /// What it is about, as an operator put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The deal it is linked to (at most one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<crate::ids::DealId>,
    /// The organization it is linked to (at most one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<crate::ids::OrganizationId>,
    /// What the lists show of it: its latest message from the client, an operator, a bot or an
    /// auto-reply (not comments or system notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<LastMessage>,
}

/// A conversation's latest message as a list row previews it: who wrote it, its content with a
/// text cut to [`LastMessage::TEXT_CHARS`] characters, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastMessage {
    pub author: Author,
    pub content: Content,
    pub at: DateTime<Utc>,
}

impl LastMessage {
    /// How much of a text a preview keeps.
    pub const TEXT_CHARS: usize = 200;

    /// The preview of `message`; `None` for what lists do not preview (comments, system notes).
    pub fn of(message: &Message) -> Option<Self> {
        if matches!(message.content, Content::Comment { .. }) || message.author == Author::System {
            return None;
        }
        let cut = |t: &str| t.chars().take(Self::TEXT_CHARS).collect::<String>();
        let content = match &message.content {
            Content::Text { text } => Content::Text { text: cut(text) },
            Content::Link { text, url } => Content::Link {
                text: text.as_deref().map(cut),
                url: url.clone(),
            },
            other => other.clone(),
        };
        Some(LastMessage {
            author: message.author.clone(),
            content,
            at: message.created_at,
        })
    }
}

/// How a conversation was closed (R-CL1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClosingReason {
    /// An operator completed it.
    Completed { employee_id: Option<EmployeeId> },
    /// Its chatbot finished it.
    BotFinished { chatbot_id: ChatbotId },
    /// Nothing happened for the channel's auto-close time.
    Inactive,
}

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Author {
    Client,
    /// An operator in this product.
    Operator {
        employee_id: EmployeeId,
    },
    /// The account itself outside this product (an operator answering in the Avito app).
    Account,
    Bot {
        chatbot_id: ChatbotId,
    },
    AutoReply,
    System,
}

/// A message's content, for every Avito message type (R-IN5); what we do not know is kept as a
/// visible placeholder with its type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Content {
    Text {
        text: String,
    },
    /// The largest size.
    Image {
        url: Option<String>,
    },
    /// Resolve the download link with the voice id (links expire after an hour).
    Voice {
        voice_id: Option<String>,
    },
    Link {
        text: Option<String>,
        url: Option<String>,
    },
    Item {
        title: Option<String>,
        url: Option<String>,
        price: Option<String>,
    },
    Location {
        lat: Option<f64>,
        lon: Option<f64>,
        text: Option<String>,
    },
    Call {
        status: Option<String>,
    },
    System {
        text: Option<String>,
        flow_id: Option<String>,
    },
    Deleted,
    Unsupported {
        avito_type: String,
    },
    /// An operator's internal comment: never sent to the client.
    Comment {
        text: String,
    },
}

/// Where an outgoing message stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Delivery {
    /// Claimed for sending; not confirmed by Avito yet.
    Pending,
    /// Avito accepted it under this id.
    Sent { avito_message_id: String },
    /// Avito did not take it, and why. `resendable` when the failure proves Avito did not process
    /// the message (it refused it, or it never left here), so sending it again cannot duplicate it;
    /// not after a timeout or an unreadable answer, when it may have reached the client.
    Failed {
        reason: String,
        #[serde(default)]
        resendable: bool,
        /// Why, as a stable code for the interface to say in the reader's language (`reason` is
        /// Avito's or our own English sentence).
        #[serde(default)]
        code: SendFailure,
    },
}

/// Why a message of ours did not reach the client, as a stable code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SendFailure {
    /// Avito refused the channel's access (the connection must be renewed).
    AccessRefused,
    /// The account needs Avito's paid subscription for this.
    SubscriptionRequired,
    /// Avito does not know the chat (deleted, or not this account's).
    ChatNotFound,
    /// Avito refused the message itself, with its reason.
    Rejected,
    /// Too many requests to Avito even after waiting.
    RateLimited,
    /// Avito did not answer in time or failed: the message may have reached the client.
    AvitoUnavailable,
    /// Avito's answer could not be read: the message may have reached the client.
    UnreadableAnswer,
    /// A response to a vacancy by phone: there is no Avito chat to write to.
    NoAvitoChat,
    /// The channel is not connected to an Avito account.
    ChannelNotConnected,
    /// Avito took the image upload but gave no image back.
    ImageNotTaken,
    /// Recorded before failures had codes.
    #[default]
    Unknown,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Avito's message id (unique per channel), or ours for messages Avito has not seen yet.
    pub id: String,
    pub conversation_id: ConversationId,
    pub author: Author,
    pub content: Content,
    /// Avito's `created` (messages are ordered by it, not by arrival).
    pub created_at: DateTime<Utc>,
    /// For messages we send: where the send stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// Whether Avito still deletes a message of ours sent at `sent_at` (it allows an hour).
pub fn deletable_at(sent_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - sent_at <= chrono::TimeDelta::hours(1)
}

impl Author {
    /// Client and operator messages are activity; auto-replies and system messages are not.
    pub fn is_activity(&self) -> bool {
        matches!(
            self,
            Author::Client | Author::Operator { .. } | Author::Account | Author::Bot { .. }
        )
    }

    /// Whether the message answers the client (ends a waiting period).
    pub fn answers_client(&self) -> bool {
        matches!(self, Author::Operator { .. } | Author::Account | Author::Bot { .. })
    }
}

/// What a new conversation starts from: the one constructor every opening path uses (a client
/// writing, a response to a vacancy, an operator writing from a client card).
#[derive(Clone, Debug)]
pub struct Opening {
    pub id: ConversationId,
    pub channel_id: ChannelId,
    /// The Avito chat, or the key of a response by phone.
    pub chat_id: String,
    pub handler: Handler,
    pub client: ClientRef,
    pub listing: Option<Listing>,
    /// When it opens.
    pub at: DateTime<Utc>,
    /// The time of the message that opens it (`at` when none does).
    pub last_activity_at: DateTime<Utc>,
    /// Since when the client waits, if they already do.
    pub waiting_since: Option<DateTime<Utc>>,
    pub candidate: Option<crate::candidate::Candidate>,
    /// The channel's auto-close setting, for the auto-close time.
    pub auto_close_after: crate::settings::AutoCloseAfter,
}

impl Conversation {
    /// A new open conversation: no topic, no links, not closed, auto-closing per the channel.
    pub fn open(o: Opening) -> Self {
        Conversation {
            id: o.id,
            channel_id: o.channel_id,
            chat_id: o.chat_id,
            status: ConversationStatus::Open,
            handler: o.handler,
            client: o.client,
            listing: o.listing,
            created_at: o.at,
            last_activity_at: o.last_activity_at,
            waiting_since: o.waiting_since,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            last_message: None,
            candidate: o.candidate,
            topic: None,
            deal_id: None,
            organization_id: None,
        }
        .with_auto_close(o.auto_close_after)
    }

    /// Whether messages can be sent to the client through Avito (a response to a vacancy by phone
    /// has no Avito chat).
    pub fn has_avito_chat(&self) -> bool {
        crate::candidate::is_avito_chat(&self.chat_id)
    }

    /// The auto-close time after the last activity, per the channel's setting.
    pub fn with_auto_close(mut self, after: crate::settings::AutoCloseAfter) -> Self {
        self.auto_close_due_at = (self.status == ConversationStatus::Open)
            .then(|| crate::auto_close::auto_close_due_at(self.last_activity_at, after));
        self
    }

    /// The conversation closed at `at` for `reason`.
    pub fn closed(mut self, at: DateTime<Utc>, reason: ClosingReason) -> Self {
        self.status = ConversationStatus::Closed;
        self.closed_at = Some(at);
        self.closing_reason = Some(reason);
        self.auto_close_due_at = None;
        self.waiting_since = None;
        self
    }

    /// The conversation after `message` joined it: activity moves on for client and operator
    /// messages (never backwards, since deliveries come out of order); a client message starts a
    /// waiting period unless one runs; an answer ends it.
    pub fn with_message(mut self, message: &Message) -> Self {
        if matches!(message.content, Content::Comment { .. }) {
            // Internal: the client sees nothing, so nothing is answered and nothing happens.
            return self;
        }
        if self.last_message.as_ref().is_none_or(|l| message.created_at >= l.at)
            && let Some(preview) = LastMessage::of(message)
        {
            self.last_message = Some(preview);
        }
        if message.author.is_activity() && message.created_at > self.last_activity_at {
            self.last_activity_at = message.created_at;
        }
        match &message.author {
            Author::Client if self.waiting_since.is_none() => self.waiting_since = Some(message.created_at),
            // An answer older than the waiting client message does not answer it.
            a if a.answers_client() && self.waiting_since.is_some_and(|w| message.created_at >= w) => {
                self.waiting_since = None;
            }
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn conversation() -> Conversation {
        Conversation {
            id: ConversationId::parse("c1").expect("id"),
            channel_id: ChannelId::parse("ch").expect("id"),
            chat_id: "u2i-1".into(),
            status: ConversationStatus::Open,
            handler: Handler::GeneralQueue,
            client: ClientRef::default(),
            listing: None,
            created_at: at("2026-11-25T10:00:00Z"),
            last_activity_at: at("2026-11-25T10:00:00Z"),
            waiting_since: None,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            last_message: None,
            candidate: None,
            topic: None,
            deal_id: None,
            organization_id: None,
        }
    }

    fn msg(author: Author, when: &str) -> Message {
        Message {
            id: when.into(),
            conversation_id: ConversationId::parse("c1").expect("id"),
            author,
            content: Content::Text { text: "x".into() },
            created_at: at(when),
            delivery: None,
        }
    }

    #[test]
    fn a_client_message_starts_one_waiting_period_and_an_answer_ends_it() {
        let c = conversation().with_message(&msg(Author::Client, "2026-11-25T10:01:00Z"));
        assert_eq!(c.waiting_since, Some(at("2026-11-25T10:01:00Z")));
        let c = c.with_message(&msg(Author::Client, "2026-11-25T10:02:00Z"));
        assert_eq!(
            c.waiting_since,
            Some(at("2026-11-25T10:01:00Z")),
            "more client messages do not restart it"
        );
        let c = c.with_message(&msg(Author::Account, "2026-11-25T10:03:00Z"));
        assert_eq!(
            (c.waiting_since, c.last_activity_at),
            (None, at("2026-11-25T10:03:00Z"))
        );
    }

    #[test]
    fn the_list_preview_is_the_latest_message_a_client_sees_cut_to_200_characters() {
        let mut long = msg(Author::Client, "2026-11-25T10:02:00Z");
        long.content = Content::Text { text: "я".repeat(300) };
        let c = conversation().with_message(&long);
        let preview = c.last_message.clone().expect("previewed");
        assert_eq!(
            (preview.author, preview.at, preview.content),
            (
                Author::Client,
                at("2026-11-25T10:02:00Z"),
                Content::Text { text: "я".repeat(200) }
            )
        );
        // An older message arriving late, a system note and an auto-reply's place.
        let c = c.with_message(&msg(Author::Account, "2026-11-25T10:01:00Z"));
        let c = c.with_message(&msg(Author::System, "2026-11-25T10:03:00Z"));
        assert_eq!(c.last_message.as_ref().map(|l| l.author.clone()), Some(Author::Client));
        let c = c.with_message(&msg(Author::AutoReply, "2026-11-25T10:04:00Z"));
        assert_eq!(c.last_message.map(|l| l.author), Some(Author::AutoReply));
    }

    #[test]
    fn auto_replies_are_not_activity_and_do_not_answer() {
        let c = conversation().with_message(&msg(Author::Client, "2026-11-25T10:01:00Z"));
        let c = c.with_message(&msg(Author::AutoReply, "2026-11-25T10:05:00Z"));
        assert_eq!(
            (c.waiting_since, c.last_activity_at),
            (Some(at("2026-11-25T10:01:00Z")), at("2026-11-25T10:01:00Z"))
        );
    }

    #[test]
    fn an_internal_comment_neither_answers_nor_counts_as_activity() {
        let c = conversation().with_message(&msg(Author::Client, "2026-11-25T10:01:00Z"));
        let mut comment = msg(
            Author::Operator {
                employee_id: EmployeeId::parse("anna").expect("id"),
            },
            "2026-11-25T10:05:00Z",
        );
        comment.content = Content::Comment {
            text: "перезвонить".into(),
        };
        let after = c.clone().with_message(&comment);
        assert_eq!(after, c);
    }

    #[test]
    fn avito_deletes_a_message_for_an_hour() {
        let sent = at("2026-11-25T10:00:00Z");
        assert!(deletable_at(sent, at("2026-11-25T11:00:00Z")));
        assert!(!deletable_at(sent, at("2026-11-25T11:00:01Z")));
    }

    #[test]
    fn late_deliveries_never_move_activity_back_nor_answer_a_newer_question() {
        let c = conversation().with_message(&msg(Author::Client, "2026-11-25T10:05:00Z"));
        let c = c.with_message(&msg(Author::Account, "2026-11-25T10:03:00Z"));
        assert_eq!(
            c.waiting_since,
            Some(at("2026-11-25T10:05:00Z")),
            "an older answer does not answer a newer question"
        );
        assert_eq!(c.last_activity_at, at("2026-11-25T10:05:00Z"));
    }
}
