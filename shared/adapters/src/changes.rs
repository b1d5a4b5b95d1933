//! What changed in the conversations, for the workspace to show at once instead of polling
//! (R-UI, issue 17). Changes are observed where they are written — the conversation store — not
//! at each writer: [`ObservedConversations`] wraps any store and tells the [`ChangeFeed`] after
//! every successful write. On the local server the feed is in-process; on AWS the table's
//! DynamoDB stream plays this part: `crate::aws::dynamodb_stream` reads its records as the same
//! [`ConversationChanged`], which the live-push function sends over the WebSocket API.

use crate::ports::{ConversationStore, Page, StoreError, TimeCursor, Versioned};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::conversation::{Author, Conversation, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};
use std::sync::Arc;
use tokio::sync::broadcast;

/// What happened to a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Opened,
    /// A message was added, or one's delivery changed.
    Message,
    /// Its own fields changed (who has it, topic, links, waiting state).
    Updated,
    Closed,
}

/// One change, for the tenant's workspaces: enough for a workspace to decide what to refresh and
/// whom to alert (a conversation assigned to me, a client writing in mine, a new one in a queue I
/// see) without reading anything first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationChanged {
    pub tenant: TenantId,
    pub conversation: ConversationId,
    pub change: Change,
    /// Who has it after the change; `None` when only a message's delivery changed.
    pub handler: Option<Handler>,
    /// Who had it before, when that changed.
    pub previous_handler: Option<Handler>,
    /// The author of the message added, when one was.
    pub message_author: Option<Author>,
    /// The client's name, when the change is the conversation's own (an alert can say who).
    pub client_name: Option<String>,
}

impl ConversationChanged {
    /// What a workspace is sent (the local server's event stream, the WebSocket on AWS):
    /// `{"conversation_id", "change", "handler"?, "previous_handler"?, "message_author"?,
    /// "client_name"?}`, the
    /// objects shaped as in the API's conversations and messages. The tenant is the listener's.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Sent<'a> {
            conversation_id: &'a str,
            change: Change,
            #[serde(skip_serializing_if = "Option::is_none")]
            handler: Option<&'a Handler>,
            #[serde(skip_serializing_if = "Option::is_none")]
            previous_handler: Option<&'a Handler>,
            #[serde(skip_serializing_if = "Option::is_none")]
            message_author: Option<&'a Author>,
            #[serde(skip_serializing_if = "Option::is_none")]
            client_name: Option<&'a str>,
        }
        serde_json::to_string(&Sent {
            conversation_id: self.conversation.as_str(),
            change: self.change,
            handler: self.handler.as_ref(),
            previous_handler: self.previous_handler.as_ref(),
            message_author: self.message_author.as_ref(),
            client_name: self.client_name.as_deref(),
        })
        // Plain strings and enums: serializing cannot fail.
        .unwrap_or_default()
    }
}

/// Changes as they happen, to whoever listens now (nothing is kept for those who do not: a
/// workspace that (re)connects reads the current state first).
#[derive(Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<ConversationChanged>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangeFeed {
    /// A feed keeping up to 1024 changes for a slow listener (who then hears it lagged).
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
        }
    }

    pub fn publish(&self, change: ConversationChanged) {
        // No listener is not an error.
        let _ = self.sender.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ConversationChanged> {
        self.sender.subscribe()
    }
}

/// A conversation store that tells `feed` about every write that succeeded.
pub struct ObservedConversations {
    pub inner: Arc<dyn ConversationStore>,
    pub feed: ChangeFeed,
}

impl ObservedConversations {
    /// Tells the feed that `after` was written over `before` (none: it is new).
    fn tell(
        &self,
        tenant: &TenantId,
        before: Option<&Conversation>,
        after: &Conversation,
        change: Change,
        message: Option<&Message>,
    ) {
        self.feed.publish(ConversationChanged {
            tenant: tenant.clone(),
            conversation: after.id.clone(),
            change,
            handler: Some(after.handler.clone()),
            previous_handler: before.map(|b| &b.handler).filter(|h| **h != after.handler).cloned(),
            message_author: message.map(|m| m.author.clone()),
            client_name: after.client.name.clone(),
        });
    }
}

#[async_trait]
impl ConversationStore for ObservedConversations {
    async fn open_for_chat(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        chat_id: &str,
    ) -> Result<Option<Versioned<Conversation>>, StoreError> {
        self.inner.open_for_chat(tenant, channel, chat_id).await
    }

    async fn open(&self, tenant: &TenantId, conversation: &Conversation) -> Result<(), StoreError> {
        self.inner.open(tenant, conversation).await?;
        self.tell(tenant, None, conversation, Change::Opened, None);
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, id: &ConversationId) -> Result<Option<Versioned<Conversation>>, StoreError> {
        self.inner.get(tenant, id).await
    }

    async fn add_message(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
        message: &Message,
    ) -> Result<bool, StoreError> {
        let added = self.inner.add_message(tenant, current, next, message).await?;
        if added {
            self.tell(tenant, Some(&current.value), next, Change::Message, Some(message));
        }
        Ok(added)
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Message, TimeCursor>, StoreError> {
        self.inner.messages(tenant, conversation, after, limit).await
    }

    async fn record_delivery(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        message: &Message,
    ) -> Result<(), StoreError> {
        self.inner.record_delivery(tenant, channel, message).await
    }

    async fn replace_message(&self, tenant: &TenantId, expected: &Message, next: &Message) -> Result<bool, StoreError> {
        let replaced = self.inner.replace_message(tenant, expected, next).await?;
        if replaced {
            self.feed.publish(ConversationChanged {
                tenant: tenant.clone(),
                conversation: next.conversation_id.clone(),
                change: Change::Message,
                handler: None,
                previous_handler: None,
                message_author: None,
                client_name: None,
            });
        }
        Ok(replaced)
    }

    async fn open_by_handler(
        &self,
        tenant: &TenantId,
        handlers: &[Handler],
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        self.inner.open_by_handler(tenant, handlers, after, limit).await
    }

    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[Handler]) -> Result<u64, StoreError> {
        self.inner.count_open_by_handler(tenant, handlers).await
    }

    async fn closed(
        &self,
        tenant: &TenantId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        self.inner.closed(tenant, after, limit).await
    }

    async fn by_client_card(
        &self,
        tenant: &TenantId,
        card: &domain::ids::ClientCardId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        self.inner.by_client_card(tenant, card, after, limit).await
    }

    async fn due_for_auto_close(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(TenantId, ConversationId)>, StoreError> {
        self.inner.due_for_auto_close(now, limit).await
    }

    async fn save(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
    ) -> Result<(), StoreError> {
        self.inner.save(tenant, current, next).await?;
        self.tell(tenant, Some(&current.value), next, Change::Updated, None);
        Ok(())
    }

    async fn close(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        next: &Conversation,
    ) -> Result<(), StoreError> {
        self.inner.close(tenant, current, next).await?;
        self.tell(tenant, Some(&current.value), next, Change::Closed, None);
        Ok(())
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::embedded::SqliteConversationStore;
    use domain::conversation::{Author, ClientRef, Content, ConversationStatus};
    use domain::ids::EmployeeId;

    fn conversation() -> Conversation {
        let at = "2026-11-29T10:00:00Z".parse().expect("instant");
        Conversation {
            id: ConversationId::parse("c1").expect("id"),
            channel_id: ChannelId::parse("ch").expect("id"),
            chat_id: "u2i-1".into(),
            status: ConversationStatus::Open,
            handler: Handler::GeneralQueue,
            client: ClientRef::default(),
            listing: None,
            created_at: at,
            last_activity_at: at,
            waiting_since: None,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            candidate: None,
            topic: None,
            deal_id: None,
            organization_id: None,
            last_message: None,
        }
    }

    /// The event payload a workspace reads to decide its alerts: who has the conversation now,
    /// who had it when that changed, and who wrote the message added; a write that failed tells
    /// nothing.
    #[tokio::test]
    async fn the_event_payload_says_who_has_it_who_had_it_and_who_wrote() {
        let dir = tempfile::tempdir().expect("dir");
        let feed = ChangeFeed::new();
        let mut heard = feed.subscribe();
        let store = ObservedConversations {
            inner: Arc::new(SqliteConversationStore::open(&dir.path().join("c.sqlite3")).expect("store")),
            feed,
        };
        let tenant = TenantId::parse("t1").expect("tenant");
        let c = conversation();
        store.open(&tenant, &c).await.expect("open");
        assert_eq!(
            heard.try_recv().expect("opened").to_json(),
            r#"{"conversation_id":"c1","change":"opened","handler":{"type":"general_queue"}}"#
        );

        let current = store.get(&tenant, &c.id).await.expect("read").expect("there");
        let message = Message {
            id: "m1".into(),
            conversation_id: c.id.clone(),
            author: Author::Client,
            content: Content::Text {
                text: "Здравствуйте".into(),
            },
            created_at: c.created_at,
            delivery: None,
        };
        let mut next = current.value.clone().with_message(&message);
        next.handler = Handler::Operator {
            employee_id: EmployeeId::parse("anna").expect("id"),
        };
        assert!(
            store
                .add_message(&tenant, &current, &next, &message)
                .await
                .expect("add")
        );
        assert_eq!(
            heard.try_recv().expect("message").to_json(),
            r#"{"conversation_id":"c1","change":"message","handler":{"type":"operator","employee_id":"anna"},"previous_handler":{"type":"general_queue"},"message_author":{"type":"client"}}"#
        );

        // Stale: nothing written, nothing told.
        assert!(store.save(&tenant, &current, &next).await.is_err());
        assert!(heard.try_recv().is_err());
    }
}
