//! Durable local timers: jobs in a SQLite table; [`SqliteScheduler::take_due`] hands the due ones
//! to the local pump, which fires them at their targets.

use super::db::{CachedStatements, Db};
use crate::ports::{ScheduledJob, Scheduler, SchedulerError};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use std::path::Path;

/// A SQLite-backed [`Scheduler`]. Cheap to clone.
#[derive(Clone)]
pub struct SqliteScheduler {
    db: Db,
}

fn unavailable(e: impl std::fmt::Display) -> SchedulerError {
    SchedulerError::Unavailable(e.to_string())
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, due INTEGER NOT NULL, payload TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due);
";

fn job(name: String, due: i64, payload: String) -> Result<ScheduledJob, SchedulerError> {
    let due_at = Utc
        .timestamp_opt(due, 0)
        .single()
        .ok_or_else(|| SchedulerError::Invalid("stored time out of range".into()))?;
    Ok(ScheduledJob { name, due_at, payload })
}

impl SqliteScheduler {
    pub fn open(path: &Path) -> Result<Self, SchedulerError> {
        Ok(Self {
            db: Db::open(path, SCHEMA)?,
        })
    }

    /// Removes and returns up to `max` jobs due at `now`, earliest first. A job is handed out once:
    /// firing it is the taker's work (the targets are idempotent, so a crash before firing loses
    /// only that firing, as a lost EventBridge invocation would).
    pub async fn take_due(&self, now: DateTime<Utc>, max: u32) -> Result<Vec<ScheduledJob>, SchedulerError> {
        let now = now.timestamp();
        self.db
            .run(move |c| {
                let tx = c.transaction().map_err(unavailable)?;
                let rows: Vec<(String, i64, String)> = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT name, due, payload FROM jobs WHERE due <= ?1 ORDER BY due, name LIMIT ?2",
                        )
                        .map_err(unavailable)?;
                    let mapped = stmt
                        .query_map(params![now, max], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .map_err(unavailable)?;
                    mapped.collect::<Result<_, _>>().map_err(unavailable)?
                };
                for (name, _, _) in &rows {
                    tx.execute_cached("DELETE FROM jobs WHERE name = ?1", params![name])
                        .map_err(unavailable)?;
                }
                tx.commit().map_err(unavailable)?;
                rows.into_iter().map(|(n, d, p)| job(n, d, p)).collect()
            })
            .await
    }
}

#[async_trait]
impl Scheduler for SqliteScheduler {
    async fn schedule(&self, job: &ScheduledJob) -> Result<bool, SchedulerError> {
        let (name, due, payload) = (job.name.clone(), job.due_at.timestamp(), job.payload.clone());
        self.db
            .run(move |c| {
                c.execute_cached(
                    "INSERT INTO jobs (name, due, payload) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                    params![name, due, payload],
                )
                .map(|n| n == 1)
                .map_err(unavailable)
            })
            .await
    }

    async fn cancel(&self, name: &str) -> Result<bool, SchedulerError> {
        let name = name.to_owned();
        self.db
            .run(move |c| {
                c.execute_cached("DELETE FROM jobs WHERE name = ?1", params![name])
                    .map(|n| n == 1)
                    .map_err(unavailable)
            })
            .await
    }

    async fn get(&self, name: &str) -> Result<Option<ScheduledJob>, SchedulerError> {
        let name = name.to_owned();
        self.db
            .run(move |c| {
                let row: Option<(String, i64, String)> = c
                    .query_row_cached(
                        "SELECT name, due, payload FROM jobs WHERE name = ?1",
                        params![name],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                row.map(|(n, d, p)| job(n, d, p)).transpose()
            })
            .await
    }
}
