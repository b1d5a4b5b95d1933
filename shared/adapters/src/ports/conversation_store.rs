//! The conversation store port: conversations and their messages, with the guarantees the router
//! builds on (see `TABLE_DESIGN.md` for the keys):
//! - at most one open conversation per (channel, chat);
//! - a message is stored once per (channel, Avito message id), however often it is delivered, and
//!   atomically with the conversation as it is after that message;
//! - messages list in Avito's order (`created`), whatever order they arrived in.

// The key helpers below serve the store implementations, absent without a store feature.
#![cfg_attr(not(any(feature = "aws-dynamodb", feature = "embedded")), allow(dead_code))]

use super::{Page, StoreError, Versioned};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::conversation::{Conversation, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};

#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The open conversation of a chat, if any.
    async fn open_for_chat(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        chat_id: &str,
    ) -> Result<Option<Versioned<Conversation>>, StoreError>;

    /// Stores a new open conversation at version 1; [`StoreError::Conflict`] if its chat already
    /// has an open one (or the id is taken).
    async fn open(&self, tenant: &TenantId, conversation: &Conversation) -> Result<(), StoreError>;

    async fn get(&self, tenant: &TenantId, id: &ConversationId) -> Result<Option<Versioned<Conversation>>, StoreError>;

    /// Adds `message` and saves `next` (the conversation as it is after the message) in one atomic
    /// write, if the conversation is still `current` (as read, at its version). `Ok(true)`: added.
    /// `Ok(false)`: this message id was already stored for the channel, nothing written.
    /// [`StoreError::Conflict`]: the conversation moved past `current.version`, nothing written
    /// (read it again and retry). Like every conversation write, it moves the conversation between
    /// lists and their counts by what changed from `current` to `next`.
    async fn add_message(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
        message: &Message,
    ) -> Result<bool, StoreError>;

    /// Messages of a conversation in Avito's order, `limit` at a time after the cursor `after`.
    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Message, TimeCursor>, StoreError>;

    /// Saves the delivery state of one of our stored messages. With `Delivery::Sent` it also
    /// records Avito's id of the message for the channel, so that Avito's echo of it is recognised
    /// as this message (a duplicate), not as a new one.
    async fn record_delivery(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        message: &Message,
    ) -> Result<(), StoreError>;

    /// Replaces one of our stored messages with `next` (same id and time) only if it is still
    /// exactly `expected`: `false` when it changed since it was read. One of two racers claiming
    /// a message wins.
    async fn replace_message(&self, tenant: &TenantId, expected: &Message, next: &Message) -> Result<bool, StoreError>;

    /// Open conversations that one of `handlers` has, the most recent activity first, `limit` at a
    /// time, after the cursor `after` (the `next` of the previous page, or
    /// [`TimeCursor::activity_of`] a conversation listed). An index kept with every conversation
    /// write; never a scan.
    async fn open_by_handler(
        &self,
        tenant: &TenantId,
        handlers: &[Handler],
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError>;

    /// How many open conversations `handlers` have (the badges of "My conversations" and
    /// "Queue"): counters kept in the same atomic write as every change that moves a conversation
    /// between lists, so a count reads one counter per handler however many conversations are
    /// open (R-UI3).
    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[Handler]) -> Result<u64, StoreError>;

    /// Closed conversations of the tenant, the most recently closed first (the archive), `limit`
    /// at a time after the cursor `after` ([`TimeCursor::closed_of`] a conversation listed). An
    /// index kept with every conversation write; never a scan.
    async fn closed(
        &self,
        tenant: &TenantId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError>;

    /// The conversations of a client card, open and closed, the newest first (by when they
    /// opened), `limit` at a time after the cursor `after`. An index kept with every conversation
    /// write; moving a conversation to another card moves it in the index.
    async fn by_client_card(
        &self,
        tenant: &TenantId,
        card: &domain::ids::ClientCardId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError>;

    /// Open conversations whose auto-close time is at or before `now`, across tenants, earliest
    /// first (an index kept with every conversation write; never a scan). The caller re-reads
    /// each before closing it: the index may lag a little.
    async fn due_for_auto_close(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(TenantId, ConversationId)>, StoreError>;

    /// Saves an open conversation's own fields (no message: e.g. a new auto-close time or
    /// handler) as `next` in one conditional write; [`StoreError::Conflict`] if it moved past
    /// `current.version`. Its indexes and list counts follow it, as with every conversation write.
    async fn save(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
    ) -> Result<(), StoreError>;

    /// Saves `next`, the closed conversation, and frees its chat for a new one, atomically;
    /// [`StoreError::Conflict`] if it moved past `current.version`.
    async fn close(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
    ) -> Result<(), StoreError>;
}

/// A position in a list ordered by time (messages in Avito's order, conversations by activity or
/// by when they opened): an instant in milliseconds and the id of the item there, so two items of
/// one millisecond still differ. Written for a URL as `<15 digits>.<id>` ([`TimeCursor::parse`]
/// reads it back); how a store keys it is the store's own business.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeCursor {
    millis: i64,
    id: String,
}

impl TimeCursor {
    fn new(at: DateTime<Utc>, id: &str) -> Self {
        TimeCursor {
            millis: at.timestamp_millis().max(0),
            id: id.to_owned(),
        }
    }

    /// Before every item at `at` or later (in ascending lists: the items from `at` on follow).
    pub fn at(at: DateTime<Utc>) -> Self {
        Self::new(at, "")
    }

    /// The position of a message.
    pub fn message(message: &Message) -> Self {
        Self::new(message.created_at, &message.id)
    }

    /// The position of an open conversation in the lists by activity.
    pub fn activity_of(conversation: &Conversation) -> Self {
        Self::new(conversation.last_activity_at, conversation.id.as_str())
    }

    /// The position of a closed conversation in the archive (by when it closed).
    pub fn closed_of(conversation: &Conversation) -> Self {
        Self::new(
            conversation.closed_at.unwrap_or(conversation.last_activity_at),
            conversation.id.as_str(),
        )
    }

    /// The position of a conversation in its client card's history.
    pub fn created_of(conversation: &Conversation) -> Self {
        Self::new(conversation.created_at, conversation.id.as_str())
    }

    /// What [`TimeCursor::parse`] reads, as a pattern (the OpenAPI document's): 15 digits, a
    /// dot, and an id of 1 to 184 characters without `#`, `/` or control characters.
    pub const PATTERN: &'static str = r"^[0-9]{15}\.[^#/\u0000-\u001f\u007f-\u009f]{1,184}$";

    /// A cursor as [`TimeCursor`]'s `Display` writes it; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (millis, id) = s.split_at_checked(15)?;
        let id = id.strip_prefix('.')?;
        let valid = millis.bytes().all(|b| b.is_ascii_digit())
            && !id.is_empty()
            && id.chars().count() <= 184
            && !id.contains(['#', '/'])
            && !id.chars().any(char::is_control);
        valid.then(|| TimeCursor {
            millis: millis.parse().unwrap_or(0),
            id: id.to_owned(),
        })
    }

    /// The store's sort key of this position: `<ms, 15 digits>#<id>`.
    pub(crate) fn sort_key(&self) -> String {
        format!("{:015}#{}", self.millis, self.id)
    }

    /// The position a store's sort key names.
    pub(crate) fn from_sort_key(key: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt(format!("not a time sort key: {key}"));
        let (millis, id) = key.split_once('#').ok_or_else(bad)?;
        Ok(TimeCursor {
            millis: millis.parse().map_err(|_| bad())?,
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for TimeCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:015}.{}", self.millis, self.id)
    }
}

/// A page whose cursor is a store's sort key, as one whose cursor is a [`TimeCursor`].
pub(crate) fn time_page<T>(page: Page<T>) -> Result<Page<T, TimeCursor>, StoreError> {
    Ok(Page {
        items: page.items,
        next: page.next.as_deref().map(TimeCursor::from_sort_key).transpose()?,
    })
}

/// The sort key of a message: Avito's `created` in milliseconds (zero-padded), then its id, so that
/// listings are in Avito's order and two messages of one millisecond still differ.
pub(crate) fn message_sort_key(message: &Message) -> String {
    TimeCursor::message(message).sort_key()
}

/// The sort key a message is stored under when it is added with the conversation at `version`
/// (its new version). A message from Avito (no delivery state of ours) is never addressed again,
/// so its key carries the version between its time and its id: two messages of one second (Avito
/// gives seconds) list in the order they arrived. Ours keep [`message_sort_key`], by which their
/// delivery is recorded later.
pub(crate) fn added_message_key(message: &Message, version: u64) -> String {
    if message.delivery.is_some() {
        return message_sort_key(message);
    }
    format!(
        "{:015}#{version:010}.{}",
        message.created_at.timestamp_millis().max(0),
        message.id
    )
}

/// The index key of who has a conversation: an operator, a group's queue, the general queue or a
/// chatbot.
pub(crate) fn handler_key(handler: &Handler) -> String {
    match handler {
        Handler::Operator { employee_id } => format!("OP#{employee_id}"),
        Handler::GroupQueue { group_id } => format!("GQ#{group_id}"),
        Handler::GeneralQueue => "GENERAL".to_owned(),
        Handler::Chatbot { chatbot_id } => format!("BOT#{chatbot_id}"),
    }
}

/// The activity sort key of a conversation in the handler index: its last activity in milliseconds
/// (zero-padded), then its id; listings run from the greatest down.
pub(crate) fn activity_sort_key(conversation: &Conversation) -> String {
    TimeCursor::activity_of(conversation).sort_key()
}

/// The sort key of a closed conversation in the archive: when it closed in milliseconds
/// (zero-padded), then its id; listings run from the greatest down.
pub(crate) fn closed_sort_key(conversation: &Conversation) -> String {
    TimeCursor::closed_of(conversation).sort_key()
}

/// The sort key of a conversation in its client card's history: when it opened, in milliseconds
/// (zero-padded), then its id; listings run from the greatest down.
pub(crate) fn created_sort_key(conversation: &Conversation) -> String {
    TimeCursor::created_of(conversation).sort_key()
}

/// The list an open conversation is in and counted in: its handler's (see [`handler_key`]);
/// none once it is closed.
pub(crate) fn list_of(conversation: &Conversation) -> Option<String> {
    (conversation.status == domain::conversation::ConversationStatus::Open).then(|| handler_key(&conversation.handler))
}

/// How a write that takes a conversation from list `from` to list `to` (each [`list_of`] it:
/// none for a new or a closed one) moves the list counts: one down for the list it leaves, one up
/// for the list it enters; nothing when it stays in one list.
pub(crate) fn count_moves(from: Option<String>, to: Option<String>) -> Vec<(String, i64)> {
    if from == to {
        return Vec::new();
    }
    from.map(|l| (l, -1)).into_iter().chain(to.map(|l| (l, 1))).collect()
}

/// Measured read work of a store, for checks that a read's cost does not grow with the data (the
/// contract's `counts_and_list_heads_cost_the_same_with_10_or_10000_open`). What a unit is is the
/// store's own: items DynamoDB reports it read; SQLite virtual-machine steps.
pub trait ReadMeter {
    /// Read work done so far by the measured reads (counts and list heads).
    fn read_work(&self) -> u64;
}
