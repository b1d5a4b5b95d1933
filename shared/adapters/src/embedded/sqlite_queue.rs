//! The queue in a SQLite file: one table of messages with a visibility deadline, one of dead
//! letters. Receiving is one transaction (select the visible, hide them), so two receivers never
//! get the same delivery while it is hidden.

use super::db::{CachedStatements, Db};
use crate::ports::{DeadLetterFilter, Queue, QueueError, QueuedMessage};
use async_trait::async_trait;
use rusqlite::params;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// A SQLite-backed [`Queue`]. Cheap to clone.
#[derive(Clone)]
pub struct SqliteQueue {
    db: Db,
    max_receives: u32,
    arrivals: Arc<Notify>,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS queue (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        body          TEXT NOT NULL,
        visible_at    INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt       TEXT
    );
    CREATE INDEX IF NOT EXISTS queue_visible ON queue (visible_at);
    CREATE INDEX IF NOT EXISTS queue_receives ON queue (receive_count, visible_at);
    CREATE TABLE IF NOT EXISTS dead_letters (
        id            INTEGER PRIMARY KEY,
        body          TEXT NOT NULL,
        receive_count INTEGER NOT NULL
    );
";

impl SqliteQueue {
    /// Opens (creating if needed) the queue in the file at `path`; a message received
    /// `max_receives` times without being deleted becomes a dead letter.
    pub fn open(path: &Path, max_receives: u32) -> Result<Self, QueueError> {
        Ok(Self {
            db: Db::open(path, SCHEMA)?,
            max_receives: max_receives.max(1),
            arrivals: Arc::new(Notify::new()),
        })
    }

    /// Returns when a message is sent through this queue (or a clone) or `within` has passed,
    /// whichever is first; a send while nobody waits wakes the next wait at once. For a consumer
    /// in this process, instead of polling.
    pub async fn arrival(&self, within: Duration) {
        let _ = tokio::time::timeout(within, self.arrivals.notified()).await;
    }
}

#[async_trait]
impl Queue for SqliteQueue {
    async fn send(&self, body: &str) -> Result<(), QueueError> {
        let body = body.to_owned();
        self.db
            .run(move |c| {
                c.execute_cached(
                    "INSERT INTO queue (body, visible_at) VALUES (?1, ?2)",
                    params![body, now_ms()],
                )
                .map(drop)
                .map_err(unavailable)
            })
            .await?;
        self.arrivals.notify_one();
        Ok(())
    }

    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<QueuedMessage>, QueueError> {
        let max_receives = self.max_receives;
        self.db
            .run(move |c| {
                let tx = c.transaction().map_err(unavailable)?;
                let now = now_ms();
                // Messages received too often move to the dead letters first, as SQS's redrive does.
                tx.execute_cached(
                    "INSERT INTO dead_letters (id, body, receive_count)
                 SELECT id, body, receive_count FROM queue WHERE visible_at <= ?1 AND receive_count >= ?2",
                    params![now, max_receives],
                )
                .map_err(unavailable)?;
                tx.execute_cached(
                    "DELETE FROM queue WHERE visible_at <= ?1 AND receive_count >= ?2",
                    params![now, max_receives],
                )
                .map_err(unavailable)?;
                let rows: Vec<(i64, String, u32)> = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT id, body, receive_count FROM queue WHERE visible_at <= ?1 ORDER BY id LIMIT ?2",
                        )
                        .map_err(unavailable)?;
                    let mapped = stmt
                        .query_map(params![now, max.max(1)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .map_err(unavailable)?;
                    mapped.collect::<Result<_, _>>().map_err(unavailable)?
                };
                let hidden_until = now + visibility.as_millis() as i64;
                let mut out = Vec::with_capacity(rows.len());
                for (id, body, count) in rows {
                    let receipt = format!("{id}:{}:{}", count + 1, now);
                    tx.execute_cached(
                    "UPDATE queue SET visible_at = ?2, receive_count = receive_count + 1, receipt = ?3 WHERE id = ?1",
                    params![id, hidden_until, receipt],
                )
                .map_err(unavailable)?;
                    out.push(QueuedMessage {
                        id: id.to_string(),
                        receipt,
                        body,
                        receive_count: count + 1,
                    });
                }
                tx.commit().map_err(unavailable)?;
                Ok(out)
            })
            .await
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        let receipt = receipt.to_owned();
        // A receipt starts with its message's id (see `receive`): the delete is a key lookup.
        let Some(id) = receipt.split(':').next().and_then(|id| id.parse::<i64>().ok()) else {
            return Ok(());
        };
        self.db
            .run(move |c| {
                c.execute_cached("DELETE FROM queue WHERE id = ?1 AND receipt = ?2", params![id, receipt])
                    .map(drop)
                    .map_err(unavailable)
            })
            .await
    }

    async fn dead_letter_count(&self, of: DeadLetterFilter<'_>) -> Result<u64, QueueError> {
        let letters = self.dead_letters().await?;
        Ok(letters.iter().filter(|(_, body)| of(body)).count() as u64)
    }

    async fn replay_dead_letters(&self, of: DeadLetterFilter<'_>, max: u32) -> Result<u32, QueueError> {
        let chosen: Vec<i64> = self
            .dead_letters()
            .await?
            .into_iter()
            .filter(|(_, body)| of(body))
            .take(max as usize)
            .map(|(id, _)| id)
            .collect();
        if chosen.is_empty() {
            return Ok(0);
        }
        self.db
            .run(move |c| {
                let tx = c.transaction().map_err(unavailable)?;
                let now = now_ms();
                let mut moved = 0;
                for id in chosen {
                    // A letter another replay moved meanwhile is no longer there: nothing moves.
                    moved += tx
                        .execute_cached(
                            "INSERT INTO queue (body, visible_at) SELECT body, ?1 FROM dead_letters WHERE id = ?2",
                            params![now, id],
                        )
                        .map_err(unavailable)?;
                    tx.execute_cached("DELETE FROM dead_letters WHERE id = ?1", params![id])
                        .map_err(unavailable)?;
                }
                tx.commit().map_err(unavailable)?;
                Ok(moved as u32)
            })
            .await
    }
}

impl SqliteQueue {
    /// Every dead letter (id, body), oldest first.
    async fn dead_letters(&self) -> Result<Vec<(i64, String)>, QueueError> {
        self.db
            .run(|c| {
                let mut statement = c
                    .prepare_cached("SELECT id, body FROM dead_letters ORDER BY id")
                    .map_err(unavailable)?;
                let rows = statement
                    .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                    .map_err(unavailable)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
            })
            .await
    }
}
