//! The conversation store on DynamoDB (keys in `TABLE_DESIGN.md`): every write that must be
//! atomic is one `TransactWriteItems`; its cancellation reasons tell a duplicate message from a
//! conversation that moved on.

use super::dynamodb_table::{
    GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, GSI3, GSI3PK, GSI3SK, PK, SK, lost_condition, unavailable,
};
use crate::ports::{
    ConversationStore, Page, StoreError, TimeCursor, Versioned, activity_sort_key, added_message_key, created_sort_key,
    handler_key, message_sort_key, time_page,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use domain::conversation::{Conversation, ConversationStatus, Delivery, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};
use std::collections::HashMap;

/// A DynamoDB-backed [`ConversationStore`].
#[derive(Clone, Debug)]
pub struct DynamoConversationStore {
    client: Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

/// The auto-close index is spread over this many partitions, so that no single partition holds
/// every open conversation.
const AUTO_CLOSE_SHARDS: u32 = 4;

fn shard(id: &str) -> u32 {
    id.bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % AUTO_CLOSE_SHARDS
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn tenant_pk(tenant: &TenantId) -> AttributeValue {
    s(format!("T#{tenant}"))
}

fn conversation_key(tenant: &TenantId, id: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), tenant_pk(tenant)),
        (SK.to_owned(), s(format!("CONV#{id}"))),
    ])
}

fn open_chat_key(tenant: &TenantId, channel: &str, chat_id: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), tenant_pk(tenant)),
        (SK.to_owned(), s(format!("OPENCHAT#{channel}#{chat_id}"))),
    ])
}

fn messages_pk(tenant: &TenantId, conversation: &str) -> AttributeValue {
    s(format!("T#{tenant}#CONV#{conversation}"))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn doc_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get("doc") {
        Some(AttributeValue::S(doc)) => serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string())),
        _ => Err(StoreError::Corrupt("item without doc".into())),
    }
}

fn version_of(item: &Item) -> Result<u64, StoreError> {
    match item.get("version") {
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| StoreError::Corrupt("non-numeric version".into())),
        _ => Err(StoreError::Corrupt("item without version".into())),
    }
}

fn build<T>(r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Which items of a cancelled transaction failed their condition.
fn failed_conditions(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Option<Vec<bool>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(e) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

/// One page from up to `limit + 1` (sort key, conversation) pairs in listing order: the cursor is
/// the last key shown, set only when more follow.
fn page_of<T>(mut found: Vec<(String, T)>, limit: u32) -> Result<Page<T, TimeCursor>, StoreError> {
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next = if more {
        found.last().map(|(k, _)| k.clone())
    } else {
        None
    };
    time_page(Page {
        items: found.into_iter().map(|(_, c)| c).collect(),
        next,
    })
}

impl DynamoConversationStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn conversation_put(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = conversation_key(tenant, conversation.id.as_str());
        item.insert("doc".into(), s(encode(conversation)?));
        // Open conversations by who has them (GSI2), most recent activity last in key order.
        if conversation.status == ConversationStatus::Open {
            item.insert(
                GSI2PK.into(),
                s(format!("T#{tenant}#H#{}", handler_key(&conversation.handler))),
            );
            item.insert(GSI2SK.into(), s(activity_sort_key(conversation)));
        }
        // Conversations by client card (GSI3), open and closed, newest last in key order.
        if let Some(card) = &conversation.client.card_id {
            item.insert(GSI3PK.into(), s(format!("T#{tenant}#CARD#{card}")));
            item.insert(GSI3SK.into(), s(created_sort_key(conversation)));
        }
        // The auto-close index (GSI1): only open conversations with a due time are in it.
        if let (Some(due), ConversationStatus::Open) = (conversation.auto_close_due_at, conversation.status) {
            item.insert(
                GSI1PK.into(),
                s(format!("AUTOCLOSE#{}", shard(conversation.id.as_str()))),
            );
            item.insert(
                GSI1SK.into(),
                s(format!(
                    "{:015}#{tenant}#{}",
                    due.timestamp_millis().max(0),
                    conversation.id
                )),
            );
        }
        item.insert(
            "version".into(),
            AttributeValue::N(expected_version.map_or(1, |v| v + 1).to_string()),
        );
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        put = match expected_version {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK),
            Some(v) => put
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", AttributeValue::N(v.to_string())),
        };
        Ok(TransactWriteItem::builder().put(build(put.build())?).build())
    }

    /// Up to `limit + 1` conversations of partition `pk` of `index` (keyed `pk_attr`, `sk_attr`),
    /// newest first below the sort key `bound`, each with its sort key.
    async fn newest_below(
        &self,
        index: &str,
        pk_attr: &str,
        sk_attr: &str,
        pk: String,
        bound: &str,
        limit: u32,
    ) -> Result<Vec<(String, Conversation)>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk < :bound")
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_names("#sk", sk_attr)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":bound", s(bound.to_owned()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(1001))
            .send()
            .await
            .map_err(unavailable)?;
        let mut found = Vec::new();
        for item in out.items() {
            let Some(AttributeValue::S(key)) = item.get(sk_attr) else {
                continue;
            };
            found.push((key.clone(), doc_of(item)?));
        }
        Ok(found)
    }

    async fn read(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }
}

#[async_trait]
impl ConversationStore for DynamoConversationStore {
    async fn open_for_chat(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        chat_id: &str,
    ) -> Result<Option<Versioned<Conversation>>, StoreError> {
        let Some(pointer) = self.read(open_chat_key(tenant, channel.as_str(), chat_id)).await? else {
            return Ok(None);
        };
        let Some(AttributeValue::S(id)) = pointer.get("conversation_id") else {
            return Err(StoreError::Corrupt("open chat pointer without conversation".into()));
        };
        let id = ConversationId::parse(id.as_str()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.get(tenant, &id).await
    }

    async fn open(&self, tenant: &TenantId, conversation: &Conversation) -> Result<(), StoreError> {
        let mut pointer = open_chat_key(tenant, conversation.channel_id.as_str(), &conversation.chat_id);
        pointer.insert("conversation_id".into(), s(conversation.id.as_str()));
        let pointer_put = build(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(pointer))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(pointer_put).build())
            .transact_items(self.conversation_put(tenant, conversation, None)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if failed_conditions(&e).is_some_and(|f| f.contains(&true)) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get(&self, tenant: &TenantId, id: &ConversationId) -> Result<Option<Versioned<Conversation>>, StoreError> {
        let Some(item) = self.read(conversation_key(tenant, id.as_str())).await? else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            value: doc_of(&item)?,
            version: version_of(&item)?,
        }))
    }

    async fn add_message(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: u64,
        message: &Message,
    ) -> Result<bool, StoreError> {
        let dedupe = HashMap::from([
            (PK.to_owned(), tenant_pk(tenant)),
            (
                SK.to_owned(),
                s(format!("AVMSG#{}#{}", conversation.channel_id, message.id)),
            ),
            ("conversation_id".to_owned(), s(conversation.id.as_str())),
        ]);
        let dedupe_put = build(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(dedupe))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build(),
        )?;
        let message_item = HashMap::from([
            (PK.to_owned(), messages_pk(tenant, conversation.id.as_str())),
            (
                SK.to_owned(),
                s(format!("MSG#{}", added_message_key(message, expected_version + 1))),
            ),
            ("doc".to_owned(), s(encode(message)?)),
        ]);
        let message_put = build(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(message_item))
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(dedupe_put).build())
            .transact_items(self.conversation_put(tenant, conversation, Some(expected_version))?)
            .transact_items(TransactWriteItem::builder().put(message_put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match failed_conditions(&e) {
                Some(failed) if failed.first() == Some(&true) => Ok(false),
                Some(failed) if failed.get(1) == Some(&true) => Err(StoreError::Conflict),
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Message, TimeCursor>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let pk = messages_pk(tenant, conversation.as_str());
        let mut start = after.map(|a| {
            HashMap::from([
                (PK.to_owned(), pk.clone()),
                (SK.to_owned(), s(format!("MSG#{}", a.sort_key()))),
            ])
        });
        let mut items: Vec<(String, Message)> = Vec::new();
        while items.len() <= limit as usize {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", pk.clone())
                .expression_attribute_values(":prefix", s("MSG#"))
                .consistent_read(true)
                .limit(i32::try_from(limit as usize + 1 - items.len()).unwrap_or(1))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let key = match item.get(SK) {
                    Some(AttributeValue::S(k)) => k.trim_start_matches("MSG#").to_owned(),
                    _ => return Err(StoreError::Corrupt("message without sort key".into())),
                };
                items.push((key, doc_of(item)?));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        page_of(items, limit)
    }

    async fn record_delivery(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        message: &Message,
    ) -> Result<(), StoreError> {
        if let Some(Delivery::Sent { avito_message_id }) = &message.delivery {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(PK, tenant_pk(tenant))
                .item(SK, s(format!("AVMSG#{channel}#{avito_message_id}")))
                .item("conversation_id", s(message.conversation_id.as_str()))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .send()
                .await;
            // Already there means Avito's echo arrived first and was stored under this id.
            if let Err(e) = result
                && !lost_condition(&e)
            {
                return Err(unavailable(e));
            }
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, messages_pk(tenant, message.conversation_id.as_str()))
            .item(SK, s(format!("MSG#{}", message_sort_key(message))))
            .item("doc", s(encode(message)?))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if lost_condition(&e) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn replace_message(&self, tenant: &TenantId, expected: &Message, next: &Message) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, messages_pk(tenant, next.conversation_id.as_str()))
            .item(SK, s(format!("MSG#{}", message_sort_key(next))))
            .item("doc", s(encode(next)?))
            .condition_expression("#doc = :expected")
            .expression_attribute_names("#doc", "doc")
            .expression_attribute_values(":expected", s(encode(expected)?))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if lost_condition(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn open_by_handler(
        &self,
        tenant: &TenantId,
        handlers: &[Handler],
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let bound = after.map_or_else(|| "~".to_owned(), TimeCursor::sort_key);
        let mut found: Vec<(String, Conversation)> = Vec::new();
        // One query per handler, each newest first from the cursor; merged, the first `limit` win.
        for handler in handlers {
            let pk = format!("T#{tenant}#H#{}", handler_key(handler));
            found.extend(self.newest_below(GSI2, GSI2PK, GSI2SK, pk, &bound, limit).await?);
        }
        found.sort_by(|a, b| b.0.cmp(&a.0));
        page_of(found, limit)
    }

    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[Handler]) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for handler in handlers {
            let mut start: Option<HashMap<String, AttributeValue>> = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI2)
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", GSI2PK)
                    .expression_attribute_values(":pk", s(format!("T#{tenant}#H#{}", handler_key(handler))))
                    .select(aws_sdk_dynamodb::types::Select::Count)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(unavailable)?;
                total += u64::try_from(out.count()).unwrap_or(0);
                match out.last_evaluated_key() {
                    Some(k) if !k.is_empty() => start = Some(k.clone()),
                    _ => break,
                }
            }
        }
        Ok(total)
    }

    async fn by_client_card(
        &self,
        tenant: &TenantId,
        card: &domain::ids::ClientCardId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let bound = after.map_or_else(|| "~".to_owned(), TimeCursor::sort_key);
        let pk = format!("T#{tenant}#CARD#{card}");
        let found = self.newest_below(GSI3, GSI3PK, GSI3SK, pk, &bound, limit).await?;
        page_of(found, limit)
    }

    async fn due_for_auto_close(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(TenantId, ConversationId)>, StoreError> {
        let mut due: Vec<(String, TenantId, ConversationId)> = Vec::new();
        // "~" sorts after every id character, so the bound includes everything due at `now`.
        let bound = format!("{:015}#~", now.timestamp_millis().max(0));
        for shard in 0..AUTO_CLOSE_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :pk AND #sk <= :bound")
                .expression_attribute_names("#pk", GSI1PK)
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":pk", s(format!("AUTOCLOSE#{shard}")))
                .expression_attribute_values(":bound", s(bound.clone()))
                .limit(i32::try_from(limit).unwrap_or(100))
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let Some(AttributeValue::S(key)) = item.get(GSI1SK) else {
                    continue;
                };
                let mut parts = key.splitn(3, '#');
                let (Some(when), Some(t), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let corrupt = |e: domain::ids::InvalidId| StoreError::Corrupt(e.to_string());
                due.push((
                    when.to_owned(),
                    TenantId::parse(t).map_err(corrupt)?,
                    ConversationId::parse(id).map_err(corrupt)?,
                ));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(due.into_iter().take(limit as usize).map(|(_, t, c)| (t, c)).collect())
    }

    async fn save(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.conversation_put(tenant, conversation, Some(expected_version))?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if failed_conditions(&e).is_some_and(|f| f.first() == Some(&true)) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn close(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let pointer_delete = build(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(open_chat_key(
                    tenant,
                    conversation.channel_id.as_str(),
                    &conversation.chat_id,
                )))
                .condition_expression("attribute_not_exists(#pk) OR conversation_id = :id")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":id", s(conversation.id.as_str()))
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.conversation_put(tenant, conversation, Some(expected_version))?)
            .transact_items(TransactWriteItem::builder().delete(pointer_delete).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if failed_conditions(&e).is_some_and(|f| f.first() == Some(&true)) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }
}
