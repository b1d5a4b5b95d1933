//! The conversation store on DynamoDB (keys in `TABLE_DESIGN.md`): every write that must be
//! atomic is one `TransactWriteItems`; its cancellation reasons tell a duplicate message from a
//! conversation that moved on.

use super::dynamodb_table::{
    GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, GSI3, GSI3PK, GSI3SK, MESSAGE_AUTHOR, PK, SK, lost_condition,
    prefix_query, unavailable,
};
use crate::ports::{
    ConversationStore, Page, ReadMeter, StoreError, TimeCursor, Versioned, activity_sort_key, added_message_key,
    closed_sort_key, count_moves, created_sort_key, handler_key, list_of, message_sort_key, time_page,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use domain::conversation::{Author, Conversation, ConversationStatus, Delivery, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A DynamoDB-backed [`ConversationStore`].
#[derive(Clone, Debug)]
pub struct DynamoConversationStore {
    client: Client,
    table: String,
    /// Items DynamoDB reports read by list heads and counts ([`ReadMeter`]).
    items_read: Arc<AtomicU64>,
}

type TransactError = SdkError<TransactWriteItemsError, HttpResponse>;

/// How often a transaction that met another one on the same item (a list count that many
/// conversations move) is tried before the caller is told the store is unavailable.
const TRANSACT_ATTEMPTS: u32 = 5;

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

/// The counter of open conversations in one list (a handler's: see `handler_key`).
fn count_key(tenant: &TenantId, list: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), tenant_pk(tenant)),
        (SK.to_owned(), s(format!("OPENCOUNT#{list}"))),
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

/// Whether a transaction was cancelled only because another one held one of its items (no
/// condition failed): trying it again is right.
fn only_met_another_transaction(err: &TransactError) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            let codes = e
                .cancellation_reasons()
                .iter()
                .filter_map(|r| r.code())
                .collect::<Vec<_>>();
            codes.contains(&"TransactionConflict") && !codes.contains(&"ConditionalCheckFailed")
        }
        _ => false,
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
            items_read: Arc::default(),
        }
    }

    fn metered(&self, items: i32) {
        self.items_read
            .fetch_add(u64::try_from(items).unwrap_or(0), Ordering::Relaxed);
    }

    /// The counter items a write from `before` (none for a new conversation) to `after` moves, as
    /// updates for the same transaction: `ADD n -1` on the list it leaves, `+1` on the one it
    /// enters (see `TABLE_DESIGN.md`, "List counts").
    fn count_updates(
        &self,
        tenant: &TenantId,
        before: Option<&Conversation>,
        after: &Conversation,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        count_moves(before.and_then(list_of), list_of(after))
            .into_iter()
            .map(|(list, delta)| {
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(count_key(tenant, &list)))
                    .update_expression("ADD #n :delta")
                    .expression_attribute_names("#n", "n")
                    .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
                    .build();
                Ok(TransactWriteItem::builder().update(build(update)?).build())
            })
            .collect()
    }

    /// Runs one transaction, again (a few times, after a short pause) when it was cancelled only
    /// because another transaction held one of its items at the same moment: list counters are
    /// shared by every conversation of a list. Each attempt carries its own client request
    /// token, so that the SDK's retry of an attempt that timed out after DynamoDB committed it is
    /// answered as that success rather than failing its own conditions.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        let mut attempt = 1;
        loop {
            let mut token = [0u8; 16];
            // Without randomness the attempt goes without a token (a retry may then report a
            // conflict that the caller's re-read resolves).
            let token = getrandom::getrandom(&mut token)
                .ok()
                .map(|()| token.iter().map(|b| format!("{b:02x}")).collect::<String>());
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .set_client_request_token(token)
                .send()
                .await;
            match result {
                Err(e) if attempt < TRANSACT_ATTEMPTS && only_met_another_transaction(&e) => {
                    let jitter = u64::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.subsec_nanos() % 20),
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(attempt) + jitter)).await;
                    attempt += 1;
                }
                other => return other.map(drop),
            }
        }
    }

    /// The put of `conversation` at `expected_version` (none: new); `message_author` when the
    /// same transaction adds a message (for the stream's reader: see `dynamodb_stream`).
    fn conversation_put(
        &self,
        tenant: &TenantId,
        conversation: &Conversation,
        expected_version: Option<u64>,
        message_author: Option<&Author>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = conversation_key(tenant, conversation.id.as_str());
        item.insert("doc".into(), s(encode(conversation)?));
        if let Some(author) = message_author {
            item.insert(MESSAGE_AUTHOR.into(), s(encode(author)?));
        }
        // Open conversations by who has them (GSI2), most recent activity last in key order;
        // closed ones in the tenant's archive partition of the same index, by when they closed.
        if conversation.status == ConversationStatus::Open {
            item.insert(
                GSI2PK.into(),
                s(format!("T#{tenant}#H#{}", handler_key(&conversation.handler))),
            );
            item.insert(GSI2SK.into(), s(activity_sort_key(conversation)));
        } else {
            item.insert(GSI2PK.into(), s(format!("T#{tenant}#CLOSED")));
            item.insert(GSI2SK.into(), s(closed_sort_key(conversation)));
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

    /// Up to `limit + 1` items of partition `pk` of `index` (keyed `pk_attr`, `sk_attr`), newest
    /// first below the sort key `bound`, each with its sort key.
    async fn newest_below(
        &self,
        index: &str,
        pk_attr: &str,
        sk_attr: &str,
        pk: String,
        bound: &str,
        limit: u32,
    ) -> Result<Vec<(String, Item)>, StoreError> {
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
        self.metered(out.scanned_count());
        Ok(out
            .items()
            .iter()
            .filter_map(|item| match item.get(sk_attr) {
                Some(AttributeValue::S(key)) => Some((key.clone(), item.clone())),
                _ => None,
            })
            .collect())
    }

    /// The conversations of index entries that project only keys, read from the table in one
    /// `BatchGetItem` per 100, in the entries' order; an entry whose conversation is gone is
    /// skipped.
    async fn conversations_of(&self, entries: Vec<(String, Item)>) -> Result<Vec<(String, Conversation)>, StoreError> {
        let mut docs: HashMap<String, Conversation> = HashMap::new();
        let keys: Vec<Item> = entries
            .iter()
            .filter_map(|(_, item)| {
                Some(HashMap::from([
                    (PK.to_owned(), item.get(PK)?.clone()),
                    (SK.to_owned(), item.get(SK)?.clone()),
                ]))
            })
            .collect();
        for item in self.batch_get(keys, true).await? {
            if let Some(AttributeValue::S(sk)) = item.get(SK) {
                docs.insert(sk.clone(), doc_of(&item)?);
            }
        }
        Ok(entries
            .into_iter()
            .filter_map(|(key, item)| match item.get(SK) {
                Some(AttributeValue::S(sk)) => docs.remove(sk).map(|c| (key, c)),
                _ => None,
            })
            .collect())
    }

    /// The items of `keys` that exist, by `BatchGetItem` (100 keys a request; keys DynamoDB
    /// leaves unprocessed asked again, five rounds at most), in no particular order.
    async fn batch_get(&self, keys: Vec<Item>, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending = Some(build(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(consistent)
                    .build(),
            )?);
            let mut rounds = 0;
            while let Some(request) = pending.take() {
                rounds += 1;
                if rounds > 5 {
                    return Err(StoreError::Unavailable("BatchGetItem: keys left unprocessed".into()));
                }
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.table))
                    .filter(|k| !k.keys().is_empty())
                    .cloned();
                if let Some(items) = out.responses.and_then(|mut r| r.remove(&self.table)) {
                    found.extend(items);
                }
            }
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

impl ReadMeter for DynamoConversationStore {
    fn read_work(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
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
        let mut items = vec![
            TransactWriteItem::builder().put(pointer_put).build(),
            self.conversation_put(tenant, conversation, None, None)?,
        ];
        items.extend(self.count_updates(tenant, None, conversation)?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
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
        current: &Versioned<Conversation>,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<bool, StoreError> {
        let expected_version = current.version;
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
        let mut items = vec![
            TransactWriteItem::builder().put(dedupe_put).build(),
            self.conversation_put(tenant, conversation, Some(expected_version), Some(&message.author))?,
            TransactWriteItem::builder().put(message_put).build(),
        ];
        items.extend(self.count_updates(tenant, Some(&current.value), conversation)?);
        match self.transact(items).await {
            Ok(()) => Ok(true),
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
            let out = prefix_query(&self.client, &self.table, pk.clone(), "MSG#")
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
            for (key, item) in self.newest_below(GSI2, GSI2PK, GSI2SK, pk, &bound, limit).await? {
                found.push((key, doc_of(&item)?));
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0));
        page_of(found, limit)
    }

    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[Handler]) -> Result<u64, StoreError> {
        let mut lists: Vec<String> = handlers.iter().map(handler_key).collect();
        lists.sort();
        lists.dedup();
        let keys = lists.iter().map(|l| count_key(tenant, l)).collect::<Vec<_>>();
        let found = self.batch_get(keys, false).await?;
        self.metered(i32::try_from(found.len()).unwrap_or(i32::MAX));
        let mut total = 0i64;
        for item in found {
            // A counter is never below zero unless data written before counters existed is
            // closed: read as zero, as the SQLite store does.
            total += match item.get("n") {
                Some(AttributeValue::N(n)) => n
                    .parse::<i64>()
                    .map_err(|_| StoreError::Corrupt("non-numeric count".into()))?
                    .max(0),
                _ => 0,
            };
        }
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn closed(
        &self,
        tenant: &TenantId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let bound = after.map_or_else(|| "~".to_owned(), TimeCursor::sort_key);
        let pk = format!("T#{tenant}#CLOSED");
        let mut found = Vec::new();
        for (key, item) in self.newest_below(GSI2, GSI2PK, GSI2SK, pk, &bound, limit).await? {
            found.push((key, doc_of(&item)?));
        }
        page_of(found, limit)
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
        // The index projects only keys: a message, which changes no key of it, writes nothing there.
        let mut entries = self.newest_below(GSI3, GSI3PK, GSI3SK, pk, &bound, limit).await?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        // The cursor is the last entry looked at, whether or not its conversation is still
        // there (one gone between the index and the read is skipped, the paging goes on).
        let next = if more {
            entries.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        let found = self.conversations_of(entries).await?;
        time_page(Page {
            items: found.into_iter().map(|(_, c)| c).collect(),
            next,
        })
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
        current: &Versioned<Conversation>,
        conversation: &Conversation,
    ) -> Result<(), StoreError> {
        let mut items = vec![self.conversation_put(tenant, conversation, Some(current.version), None)?];
        items.extend(self.count_updates(tenant, Some(&current.value), conversation)?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if failed_conditions(&e).is_some_and(|f| f.first() == Some(&true)) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn close(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        conversation: &Conversation,
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
        let mut items = vec![
            self.conversation_put(tenant, conversation, Some(current.version), None)?,
            TransactWriteItem::builder().delete(pointer_delete).build(),
        ];
        items.extend(self.count_updates(tenant, Some(&current.value), conversation)?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if failed_conditions(&e).is_some_and(|f| f.first() == Some(&true)) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }
}
