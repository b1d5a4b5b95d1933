//! The configuration store in a SQLite file. One table keyed like the DynamoDB table
//! (tenant, kind, id); conditional writes are single statements whose `WHERE` carries the
//! condition, so they are atomic under SQLite's write lock.

use super::db::{CachedStatements, Db};
use crate::ports::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
use async_trait::async_trait;
use domain::ids::TenantId;
use rusqlite::{OptionalExtension, params};
use std::path::Path;

/// A SQLite-backed [`ConfigStore`]. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct SqliteConfigStore {
    db: Db,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS config (
        tenant  TEXT NOT NULL,
        kind    TEXT NOT NULL,
        id      TEXT NOT NULL,
        doc     TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant, kind, id)
    ) WITHOUT ROWID;
";

impl SqliteConfigStore {
    /// Opens (creating if needed) the store in the file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::open(path, SCHEMA)?,
        })
    }
}

#[async_trait]
impl ConfigStore for SqliteConfigStore {
    async fn insert(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<(), StoreError> {
        let (t, i, d) = (tenant.to_string(), id.to_owned(), doc.to_owned());
        self.db
            .run(move |c| {
                let n = c
                    .execute_cached(
                        "INSERT INTO config (tenant, kind, id, doc, version) VALUES (?1, ?2, ?3, ?4, 1)
                     ON CONFLICT DO NOTHING",
                        params![t, kind.prefix(), i, d],
                    )
                    .map_err(unavailable)?;
                if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<Option<StoredDoc>, StoreError> {
        let (t, i) = (tenant.to_string(), id.to_owned());
        self.db
            .run(move |c| {
                c.query_row_cached(
                    "SELECT id, doc, version FROM config WHERE tenant = ?1 AND kind = ?2 AND id = ?3",
                    params![t, kind.prefix(), i],
                    |r| {
                        Ok(StoredDoc {
                            id: r.get(0)?,
                            doc: r.get(1)?,
                            version: r.get(2)?,
                        })
                    },
                )
                .optional()
                .map_err(unavailable)
            })
            .await
    }

    async fn list(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredDoc>, StoreError> {
        let (t, a) = (tenant.to_string(), after.unwrap_or("").to_owned());
        let limit = limit.max(1);
        self.db
            .run(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT id, doc, version FROM config WHERE tenant = ?1 AND kind = ?2 AND id > ?3
                     ORDER BY id LIMIT ?4",
                    )
                    .map_err(unavailable)?;
                let rows = stmt
                    .query_map(params![t, kind.prefix(), a, i64::from(limit) + 1], |r| {
                        Ok(StoredDoc {
                            id: r.get(0)?,
                            doc: r.get(1)?,
                            version: r.get(2)?,
                        })
                    })
                    .map_err(unavailable)?;
                let mut items = rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)?;
                let more = items.len() > limit as usize;
                items.truncate(limit as usize);
                let next = if more { items.last().map(|d| d.id.clone()) } else { None };
                Ok(Page { items, next })
            })
            .await
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        id: &str,
        doc: &str,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let (t, i, d) = (tenant.to_string(), id.to_owned(), doc.to_owned());
        self.db
            .run(move |c| {
                let n = c
                    .execute_cached(
                        "UPDATE config SET doc = ?4, version = version + 1
                     WHERE tenant = ?1 AND kind = ?2 AND id = ?3 AND version = ?5",
                        params![t, kind.prefix(), i, d, expected_version],
                    )
                    .map_err(unavailable)?;
                if n == 1 {
                    return Ok(expected_version + 1);
                }
                let exists: bool = c
                    .query_row_cached(
                        "SELECT EXISTS (SELECT 1 FROM config WHERE tenant = ?1 AND kind = ?2 AND id = ?3)",
                        params![t, kind.prefix(), i],
                        |r| r.get(0),
                    )
                    .map_err(unavailable)?;
                Err(if exists {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                })
            })
            .await
    }

    async fn put(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<u64, StoreError> {
        let (t, i, d) = (tenant.to_string(), id.to_owned(), doc.to_owned());
        self.db
            .run(move |c| {
                c.query_row_cached(
                    "INSERT INTO config (tenant, kind, id, doc, version) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (tenant, kind, id) DO UPDATE SET doc = excluded.doc, version = version + 1
                 RETURNING version",
                    params![t, kind.prefix(), i, d],
                    |r| r.get(0),
                )
                .map_err(unavailable)
            })
            .await
    }

    async fn delete(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<bool, StoreError> {
        let (t, i) = (tenant.to_string(), id.to_owned());
        self.db
            .run(move |c| {
                c.execute_cached(
                    "DELETE FROM config WHERE tenant = ?1 AND kind = ?2 AND id = ?3",
                    params![t, kind.prefix(), i],
                )
                .map(|n| n == 1)
                .map_err(unavailable)
            })
            .await
    }
}
