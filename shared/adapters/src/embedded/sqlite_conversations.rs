//! The conversation store in a SQLite file, with the same keys and conditions as the DynamoDB
//! design: each atomic write is one SQLite transaction.

use super::db::{CachedStatements, Db};
use crate::ports::{
    ConversationStore, Page, ReadMeter, StoreError, TimeCursor, Versioned, activity_sort_key, added_message_key,
    closed_sort_key, count_moves, created_sort_key, handler_key, list_of, message_sort_key, time_page,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::conversation::{Conversation, Delivery, Handler, Message};
use domain::ids::{ChannelId, ConversationId, TenantId};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A SQLite-backed [`ConversationStore`]. Cheap to clone.
#[derive(Clone)]
pub struct SqliteConversationStore {
    db: Db,
    /// SQLite virtual-machine steps of list heads and counts ([`ReadMeter`]).
    steps: Arc<AtomicU64>,
}

impl ReadMeter for SqliteConversationStore {
    fn read_work(&self) -> u64 {
        self.steps.load(Ordering::Relaxed)
    }
}

/// Adds the virtual-machine steps `stmt` took since it was last measured to `steps`.
fn measure(stmt: &rusqlite::Statement<'_>, steps: &AtomicU64) {
    let n = stmt.reset_status(rusqlite::StatementStatus::VmStep);
    steps.fetch_add(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS conversations (
        tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS open_chats (
        tenant TEXT NOT NULL, channel TEXT NOT NULL, chat_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
        PRIMARY KEY (tenant, channel, chat_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS messages (
        tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, sort_key TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (tenant, conversation_id, sort_key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS auto_close (
        tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, due_ms INTEGER NOT NULL,
        PRIMARY KEY (tenant, conversation_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS auto_close_due ON auto_close (due_ms);
    CREATE TABLE IF NOT EXISTS open_by_handler (
        tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, handler_key TEXT NOT NULL, sort_key TEXT NOT NULL,
        PRIMARY KEY (tenant, conversation_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS open_by_handler_activity ON open_by_handler (tenant, handler_key, sort_key);
    CREATE TABLE IF NOT EXISTS closed_by_time (
        tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, sort_key TEXT NOT NULL,
        PRIMARY KEY (tenant, conversation_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS closed_by_time_closed ON closed_by_time (tenant, sort_key);
    -- The archive of a data directory written before it existed (while it holds nothing).
    INSERT INTO closed_by_time (tenant, conversation_id, sort_key)
        SELECT tenant, id, printf('%015d#%s',
            CAST(round((julianday(json_extract(doc, '$.closed_at')) - 2440587.5) * 86400000) AS INTEGER), id)
        FROM conversations
        WHERE json_extract(doc, '$.status') = 'closed' AND json_extract(doc, '$.closed_at') IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM closed_by_time);
    CREATE TABLE IF NOT EXISTS open_counts (
        tenant TEXT NOT NULL, list TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (tenant, list)
    ) WITHOUT ROWID;
    -- Counts for a data directory written before the counters existed (once: rows are never deleted).
    INSERT INTO open_counts (tenant, list, n)
        SELECT tenant, handler_key, COUNT(*) FROM open_by_handler
        WHERE NOT EXISTS (SELECT 1 FROM open_counts) GROUP BY tenant, handler_key;
    CREATE TABLE IF NOT EXISTS by_client_card (
        tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, card_id TEXT NOT NULL, sort_key TEXT NOT NULL,
        PRIMARY KEY (tenant, conversation_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS by_client_card_created ON by_client_card (tenant, card_id, sort_key);
    CREATE TABLE IF NOT EXISTS message_ids (
        tenant TEXT NOT NULL, channel TEXT NOT NULL, message_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
        PRIMARY KEY (tenant, channel, message_id)
    ) WITHOUT ROWID;
";

/// One page from `limit + 1` rows of (sort key, document): the cursor is the last key shown, set
/// only when more follow.
fn page_of<T: serde::de::DeserializeOwned>(
    rows: Vec<(String, String)>,
    limit: u32,
) -> Result<Page<T, TimeCursor>, StoreError> {
    let more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = if more {
        rows.last().map(|(k, _)| k.clone())
    } else {
        None
    };
    let items = rows.iter().map(|(_, d)| decode(d)).collect::<Result<_, _>>()?;
    time_page(Page { items, next })
}

impl SqliteConversationStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::open(path, SCHEMA)?,
            steps: Arc::default(),
        })
    }
}

/// Keeps the indexes (client card, open by handler and its counts, auto-close) in step with a
/// conversation write (same transaction).
fn sync_indexes(c: &Connection, tenant: &str, conversation: &Conversation) -> Result<(), StoreError> {
    match &conversation.client.card_id {
        Some(card) => c.execute_cached(
            "INSERT INTO by_client_card (tenant, conversation_id, card_id, sort_key) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant, conversation_id) DO UPDATE SET card_id = excluded.card_id",
            params![
                tenant,
                conversation.id.as_str(),
                card.as_str(),
                created_sort_key(conversation)
            ],
        ),
        None => c.execute_cached(
            "DELETE FROM by_client_card WHERE tenant = ?1 AND conversation_id = ?2",
            params![tenant, conversation.id.as_str()],
        ),
    }
    .map_err(unavailable)?;
    let left: Option<String> = c
        .query_row_cached(
            "SELECT handler_key FROM open_by_handler WHERE tenant = ?1 AND conversation_id = ?2",
            params![tenant, conversation.id.as_str()],
            |r| r.get(0),
        )
        .optional()
        .map_err(unavailable)?;
    for (list, delta) in count_moves(left, list_of(conversation)) {
        c.execute_cached(
            "INSERT INTO open_counts (tenant, list, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant, list) DO UPDATE SET n = n + excluded.n",
            params![tenant, list, delta],
        )
        .map_err(unavailable)?;
    }
    if conversation.status == domain::conversation::ConversationStatus::Closed {
        c.execute_cached(
            "INSERT INTO closed_by_time (tenant, conversation_id, sort_key) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant, conversation_id) DO UPDATE SET sort_key = excluded.sort_key",
            params![tenant, conversation.id.as_str(), closed_sort_key(conversation)],
        )
        .map_err(unavailable)?;
    }
    if conversation.status == domain::conversation::ConversationStatus::Open {
        c.execute_cached(
            "INSERT INTO open_by_handler (tenant, conversation_id, handler_key, sort_key) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant, conversation_id) DO UPDATE SET handler_key = excluded.handler_key, sort_key = excluded.sort_key",
            params![tenant, conversation.id.as_str(), handler_key(&conversation.handler), activity_sort_key(conversation)],
        )
        .map_err(unavailable)?;
    } else {
        c.execute_cached(
            "DELETE FROM open_by_handler WHERE tenant = ?1 AND conversation_id = ?2",
            params![tenant, conversation.id.as_str()],
        )
        .map_err(unavailable)?;
    }
    match conversation
        .auto_close_due_at
        .filter(|_| conversation.status == domain::conversation::ConversationStatus::Open)
    {
        Some(due) => c
            .execute_cached(
                "INSERT INTO auto_close (tenant, conversation_id, due_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant, conversation_id) DO UPDATE SET due_ms = excluded.due_ms",
                params![tenant, conversation.id.as_str(), due.timestamp_millis()],
            )
            .map(drop),
        None => c
            .execute_cached(
                "DELETE FROM auto_close WHERE tenant = ?1 AND conversation_id = ?2",
                params![tenant, conversation.id.as_str()],
            )
            .map(drop),
    }
    .map_err(unavailable)
}

/// Writes a conversation's next version if it is still at `expected_version` (else
/// [`StoreError::Conflict`]), with its indexes, inside the caller's transaction.
fn update_versioned(
    tx: &Connection,
    tenant: &str,
    conversation: &Conversation,
    doc: &str,
    expected_version: u64,
) -> Result<(), StoreError> {
    let updated = tx
        .execute_cached(
            "UPDATE conversations SET doc = ?3, version = version + 1 WHERE tenant = ?1 AND id = ?2 AND version = ?4",
            params![tenant, conversation.id.as_str(), doc, expected_version],
        )
        .map_err(unavailable)?;
    if updated != 1 {
        return Err(StoreError::Conflict);
    }
    sync_indexes(tx, tenant, conversation)
}

fn read_conversation(c: &Connection, tenant: &str, id: &str) -> Result<Option<Versioned<Conversation>>, StoreError> {
    let row: Option<(String, u64)> = c
        .query_row_cached(
            "SELECT doc, version FROM conversations WHERE tenant = ?1 AND id = ?2",
            params![tenant, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(unavailable)?;
    row.map(|(doc, version)| {
        Ok(Versioned {
            value: decode(&doc)?,
            version,
        })
    })
    .transpose()
}

#[async_trait]
impl ConversationStore for SqliteConversationStore {
    async fn open_for_chat(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        chat_id: &str,
    ) -> Result<Option<Versioned<Conversation>>, StoreError> {
        let (t, ch, chat) = (tenant.to_string(), channel.to_string(), chat_id.to_owned());
        self.db
            .run(move |c| {
                let id: Option<String> = c
                    .query_row_cached(
                        "SELECT conversation_id FROM open_chats WHERE tenant = ?1 AND channel = ?2 AND chat_id = ?3",
                        params![t, ch, chat],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?;
                match id {
                    Some(id) => read_conversation(c, &t, &id),
                    None => Ok(None),
                }
            })
            .await
    }

    async fn open(&self, tenant: &TenantId, conversation: &Conversation) -> Result<(), StoreError> {
        let (t, doc, conv) = (tenant.to_string(), encode(conversation)?, conversation.clone());
        self.db.run(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            let pointer = tx
                .execute_cached(
                    "INSERT INTO open_chats (tenant, channel, chat_id, conversation_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![t, conv.channel_id.as_str(), conv.chat_id, conv.id.as_str()],
                )
                .map_err(unavailable)?;
            let row = tx
                .execute_cached(
                    "INSERT INTO conversations (tenant, id, doc, version) VALUES (?1, ?2, ?3, 1) ON CONFLICT DO NOTHING",
                    params![t, conv.id.as_str(), doc],
                )
                .map_err(unavailable)?;
            if pointer != 1 || row != 1 {
                return Err(StoreError::Conflict);
            }
            sync_indexes(&tx, &t, &conv)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn get(&self, tenant: &TenantId, id: &ConversationId) -> Result<Option<Versioned<Conversation>>, StoreError> {
        let (t, id) = (tenant.to_string(), id.to_string());
        self.db.run(move |c| read_conversation(c, &t, &id)).await
    }

    async fn add_message(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<bool, StoreError> {
        let expected_version = current.version;
        let (t, conv_doc, msg_doc) = (tenant.to_string(), encode(conversation)?, encode(message)?);
        let whole = conversation.clone();
        let (conv_id, channel, msg_id, sort_key) = (
            conversation.id.to_string(),
            conversation.channel_id.to_string(),
            message.id.clone(),
            added_message_key(message, expected_version + 1),
        );
        self.db.run(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            let first = tx
                .execute_cached(
                    "INSERT INTO message_ids (tenant, channel, message_id, conversation_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![t, channel, msg_id, conv_id],
                )
                .map_err(unavailable)?;
            if first == 0 {
                return Ok(false);
            }
            update_versioned(&tx, &t, &whole, &conv_doc, expected_version)?;
            tx.execute_cached(
                "INSERT INTO messages (tenant, conversation_id, sort_key, doc) VALUES (?1, ?2, ?3, ?4)",
                params![t, conv_id, sort_key, msg_doc],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Message, TimeCursor>, StoreError> {
        let (t, id, after) = (
            tenant.to_string(),
            conversation.to_string(),
            after.map(TimeCursor::sort_key).unwrap_or_default(),
        );
        let limit = limit.max(1);
        self.db
            .run(move |c| {
                let mut stmt = c
                .prepare_cached(
                    "SELECT sort_key, doc FROM messages WHERE tenant = ?1 AND conversation_id = ?2 AND sort_key > ?3
                     ORDER BY sort_key LIMIT ?4",
                )
                .map_err(unavailable)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(params![t, id, after, i64::from(limit) + 1], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                page_of(rows, limit)
            })
            .await
    }

    async fn record_delivery(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        message: &Message,
    ) -> Result<(), StoreError> {
        let (t, ch, doc, conv, key) = (
            tenant.to_string(),
            channel.to_string(),
            encode(message)?,
            message.conversation_id.to_string(),
            message_sort_key(message),
        );
        let avito_id = match &message.delivery {
            Some(Delivery::Sent { avito_message_id }) => Some(avito_message_id.clone()),
            _ => None,
        };
        self.db.run(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            if let Some(id) = avito_id {
                tx.execute_cached(
                    "INSERT INTO message_ids (tenant, channel, message_id, conversation_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![t, ch, id, conv],
                )
                .map_err(unavailable)?;
            }
            let n = tx
                .execute_cached("UPDATE messages SET doc = ?4 WHERE tenant = ?1 AND conversation_id = ?2 AND sort_key = ?3", params![t, conv, key, doc])
                .map_err(unavailable)?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn replace_message(&self, tenant: &TenantId, expected: &Message, next: &Message) -> Result<bool, StoreError> {
        let (t, conv, key, old, new) = (
            tenant.to_string(),
            next.conversation_id.to_string(),
            message_sort_key(next),
            encode(expected)?,
            encode(next)?,
        );
        self.db
            .run(move |c| {
                c.execute_cached(
                    "UPDATE messages SET doc = ?5 WHERE tenant = ?1 AND conversation_id = ?2 AND sort_key = ?3 AND doc = ?4",
                    params![t, conv, key, old, new],
                )
                .map(|n| n == 1)
                .map_err(unavailable)
            })
            .await
    }

    async fn open_by_handler(
        &self,
        tenant: &TenantId,
        handlers: &[Handler],
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        if handlers.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let mut keys: Vec<String> = handlers.iter().map(handler_key).collect();
        keys.sort();
        keys.dedup();
        let (t, after) = (tenant.to_string(), after.map(TimeCursor::sort_key));
        let limit = limit.max(1);
        let steps = Arc::clone(&self.steps);
        self.db
            .run(move |c| {
                // Each list's head on its own (the index gives it in order, `limit + 1` rows at
                // most), then the heads merged: the cost does not grow with the lists' length.
                let heads = (0..keys.len())
                    .map(|i| {
                        format!(
                            "SELECT * FROM (SELECT sort_key, conversation_id FROM open_by_handler
                             WHERE tenant = ?1 AND handler_key = ?{} AND sort_key < ?2 ORDER BY sort_key DESC LIMIT ?3)",
                            i + 4
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ");
                let sql = format!(
                    "SELECT h.sort_key, c.doc FROM ({heads}) h JOIN conversations c ON c.tenant = ?1 AND c.id = h.conversation_id
                     ORDER BY h.sort_key DESC LIMIT ?3"
                );
                let mut values: Vec<rusqlite::types::Value> = vec![t.into(), after.unwrap_or_else(|| "~".into()).into(), i64::from(limit + 1).into()];
                values.extend(keys.into_iter().map(rusqlite::types::Value::from));
                let mut stmt = c.prepare_cached(&sql).map_err(unavailable)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(rusqlite::params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                measure(&stmt, &steps);
                page_of(rows, limit)
            })
            .await
    }

    async fn count_open_by_handler(&self, tenant: &TenantId, handlers: &[Handler]) -> Result<u64, StoreError> {
        if handlers.is_empty() {
            return Ok(0);
        }
        let mut keys: Vec<String> = handlers.iter().map(handler_key).collect();
        keys.sort();
        keys.dedup();
        let (t, steps) = (tenant.to_string(), Arc::clone(&self.steps));
        self.db
            .run(move |c| {
                let marks = (0..keys.len())
                    .map(|i| format!("?{}", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "SELECT COALESCE(SUM(MAX(n, 0)), 0) FROM open_counts WHERE tenant = ?1 AND list IN ({marks})"
                );
                let mut values: Vec<rusqlite::types::Value> = vec![t.into()];
                values.extend(keys.into_iter().map(rusqlite::types::Value::from));
                let mut stmt = c.prepare_cached(&sql).map_err(unavailable)?;
                let n: i64 = stmt
                    .query_row(rusqlite::params_from_iter(values), |r| r.get(0))
                    .map_err(unavailable)?;
                measure(&stmt, &steps);
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    async fn closed(
        &self,
        tenant: &TenantId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        let t = tenant.to_string();
        let after = after.map_or_else(|| "~".to_owned(), TimeCursor::sort_key);
        let limit = limit.max(1);
        self.db
            .run(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT b.sort_key, c.doc FROM closed_by_time b JOIN conversations c ON c.tenant = b.tenant AND c.id = b.conversation_id
                         WHERE b.tenant = ?1 AND b.sort_key < ?2 ORDER BY b.sort_key DESC LIMIT ?3",
                    )
                    .map_err(unavailable)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(params![t, after, i64::from(limit) + 1], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                page_of(rows, limit)
            })
            .await
    }

    async fn by_client_card(
        &self,
        tenant: &TenantId,
        card: &domain::ids::ClientCardId,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> Result<Page<Conversation, TimeCursor>, StoreError> {
        let (t, card) = (tenant.to_string(), card.to_string());
        let after = after.map_or_else(|| "~".to_owned(), TimeCursor::sort_key);
        let limit = limit.max(1);
        self.db
            .run(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT b.sort_key, c.doc FROM by_client_card b JOIN conversations c ON c.tenant = b.tenant AND c.id = b.conversation_id
                         WHERE b.tenant = ?1 AND b.card_id = ?2 AND b.sort_key < ?3 ORDER BY b.sort_key DESC LIMIT ?4",
                    )
                    .map_err(unavailable)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(params![t, card, after, i64::from(limit) + 1], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                page_of(rows, limit)
            })
            .await
    }

    async fn due_for_auto_close(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(TenantId, ConversationId)>, StoreError> {
        let now = now.timestamp_millis();
        self.db
            .run(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT tenant, conversation_id FROM auto_close WHERE due_ms <= ?1 ORDER BY due_ms LIMIT ?2",
                    )
                    .map_err(unavailable)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(params![now, limit], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                rows.into_iter()
                    .map(|(t, id)| {
                        let corrupt = |e: domain::ids::InvalidId| StoreError::Corrupt(e.to_string());
                        Ok((
                            TenantId::parse(t).map_err(corrupt)?,
                            ConversationId::parse(id).map_err(corrupt)?,
                        ))
                    })
                    .collect()
            })
            .await
    }

    async fn save(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        conversation: &Conversation,
    ) -> Result<(), StoreError> {
        let expected_version = current.version;
        let (t, doc, conv) = (tenant.to_string(), encode(conversation)?, conversation.clone());
        self.db
            .run(move |c| {
                let tx = c.transaction().map_err(unavailable)?;
                update_versioned(&tx, &t, &conv, &doc, expected_version)?;
                tx.commit().map_err(unavailable)
            })
            .await
    }

    async fn close(
        &self,
        tenant: &TenantId,
        current: &Versioned<Conversation>,
        conversation: &Conversation,
    ) -> Result<(), StoreError> {
        let expected_version = current.version;
        let (t, doc, conv) = (tenant.to_string(), encode(conversation)?, conversation.clone());
        self.db
            .run(move |c| {
                let tx = c.transaction().map_err(unavailable)?;
                update_versioned(&tx, &t, &conv, &doc, expected_version)?;
                tx.execute_cached(
                "DELETE FROM open_chats WHERE tenant = ?1 AND channel = ?2 AND chat_id = ?3 AND conversation_id = ?4",
                params![t, conv.channel_id.as_str(), conv.chat_id, conv.id.as_str()],
            )
            .map_err(unavailable)?;
                tx.commit().map_err(unavailable)
            })
            .await
    }
}
