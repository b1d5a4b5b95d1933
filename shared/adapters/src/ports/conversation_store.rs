//! The conversation store port: conversations and their messages, with the guarantees the router
//! builds on (see `TABLE_DESIGN.md` for the keys):
//! - at most one open conversation per (channel, chat);
//! - a message is stored once per (channel, Avito message id), however often it is delivered, and
//!   atomically with the conversation as it is after that message;
//! - messages list in Avito's order (`created`), whatever order they arrived in.

use super::{Page, StoreError, Versioned};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::conversation::{Conversation, Message};
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

    /// Adds `message` and saves `conversation` (as it is after the message) in one atomic write.
    /// `Ok(true)`: added. `Ok(false)`: this message id was already stored for the channel, nothing
    /// written. [`StoreError::Conflict`]: the conversation moved past `expected_version`, nothing
    /// written (read it again and retry).
    async fn add_message(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: u64,
        message: &Message,
    ) -> Result<bool, StoreError>;

    /// Messages of a conversation in Avito's order, `limit` at a time after the cursor `after`.
    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Message>, StoreError>;

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

    /// Open conversations that one of `handlers` has (keys from [`handler_key`]), the most recent
    /// activity first, `limit` at a time, after the cursor `after` (the `next` of the previous
    /// page). An index kept with every conversation write; never a scan.
    async fn open_by_handler(
        &self,
        tenant: &TenantId,
        handlers: &[String],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Conversation>, StoreError>;

    /// How many open conversations `handlers` have (the badges of "My conversations" and
    /// "Queue"); counted on the same index as [`ConversationStore::open_by_handler`].
    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[String]) -> Result<u64, StoreError>;

    /// The conversations of a client card, open and closed, the newest first (by when they
    /// opened), `limit` at a time after the cursor `after`. An index kept with every conversation
    /// write; moving a conversation to another card moves it in the index.
    async fn by_client_card(
        &self,
        tenant: &TenantId,
        card: &domain::ids::ClientCardId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Conversation>, StoreError>;

    /// Open conversations whose auto-close time is at or before `now`, across tenants, earliest
    /// first (an index kept with every conversation write; never a scan). The caller re-reads
    /// each before closing it: the index may lag a little.
    async fn due_for_auto_close(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(TenantId, ConversationId)>, StoreError>;

    /// Saves a closed conversation and frees its chat for a new one, atomically;
    /// [`StoreError::Conflict`] if it moved past `expected_version`.
    async fn close(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: u64,
    ) -> Result<(), StoreError>;
}

/// The sort key of a message: Avito's `created` in milliseconds (zero-padded), then its id, so that
/// listings are in Avito's order and two messages of one millisecond still differ.
pub fn message_sort_key(message: &Message) -> String {
    format!("{:015}#{}", message.created_at.timestamp_millis().max(0), message.id)
}

/// The index key of who has a conversation: an operator, a group's queue, the general queue or a
/// chatbot.
pub fn handler_key(handler: &domain::conversation::Handler) -> String {
    use domain::conversation::Handler;
    match handler {
        Handler::Operator { employee_id } => format!("OP#{employee_id}"),
        Handler::GroupQueue { group_id } => format!("GQ#{group_id}"),
        Handler::GeneralQueue => "GENERAL".to_owned(),
        Handler::Chatbot { chatbot_id } => format!("BOT#{chatbot_id}"),
    }
}

/// The activity sort key of a conversation in the handler index: its last activity in milliseconds
/// (zero-padded), then its id; listings run from the greatest down.
pub fn activity_sort_key(conversation: &Conversation) -> String {
    format!(
        "{:015}#{}",
        conversation.last_activity_at.timestamp_millis().max(0),
        conversation.id
    )
}

/// The sort key of a conversation in its client card's history: when it opened, in milliseconds
/// (zero-padded), then its id; listings run from the greatest down.
pub fn created_sort_key(conversation: &Conversation) -> String {
    format!(
        "{:015}#{}",
        conversation.created_at.timestamp_millis().max(0),
        conversation.id
    )
}
