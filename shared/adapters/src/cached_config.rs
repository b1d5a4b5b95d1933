//! A per-process cache in front of a [`ConfigStore`], for the hot paths (the webhook, the router):
//! a document of a cached kind is read from the store at most once per `ttl`, and every write made
//! through this cache drops that document at once, so one process always reads its own writes.
//!
//! What it costs: a write made by *another* process (an administrator's change on another Lambda
//! instance) is seen here up to `ttl` late. Which kinds are cached, and for how long, is chosen
//! where the store is built (see the README's "Configuration cache").

use crate::ports::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
use async_trait::async_trait;
use domain::ids::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Key = (String, ConfigKind, String);

struct Entry {
    read_at: Instant,
    doc: Option<StoredDoc>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Entry>,
    /// Bumped by every write: a read that began before a write must not store what it read.
    writes: u64,
}

/// A [`ConfigStore`] that caches `get` of some kinds. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct CachedConfigStore {
    inner: Arc<dyn ConfigStore>,
    ttl: Duration,
    kinds: Arc<[ConfigKind]>,
    state: Arc<Mutex<State>>,
}

/// How long the Lambda functions keep configuration unless `CONFIG_CACHE_SECONDS` says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

/// The variable that sets the time to live in seconds (0 turns the cache off).
pub const TTL_VARIABLE: &str = "CONFIG_CACHE_SECONDS";

/// The time to live `setting` (the value of [`TTL_VARIABLE`]) asks for, or [`DEFAULT_TTL`] when it
/// is unset or not a number.
pub fn ttl_from(setting: Option<&str>) -> Duration {
    setting
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_TTL, Duration::from_secs)
}

/// The most documents kept; past it, the cache starts again empty (configuration is small: a
/// tenant has tens of channels).
const MAX_ENTRIES: usize = 10_000;

impl CachedConfigStore {
    /// Caches reads of `kinds` for `ttl`; every other kind goes straight to `inner`.
    pub fn new(inner: Arc<dyn ConfigStore>, ttl: Duration, kinds: &[ConfigKind]) -> Self {
        Self {
            inner,
            ttl,
            kinds: kinds.into(),
            state: Arc::default(),
        }
    }

    fn key(tenant: &TenantId, kind: ConfigKind, id: &str) -> Key {
        (tenant.as_str().to_owned(), kind, id.to_owned())
    }

    /// Forgets a document once a write through this cache is done. A read that began before it
    /// sees `writes` move and does not store what it read.
    fn forget(&self, tenant: &TenantId, kind: ConfigKind, id: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.writes += 1;
            s.entries.remove(&Self::key(tenant, kind, id));
        }
    }

    fn cached(&self, kind: ConfigKind) -> bool {
        !self.ttl.is_zero() && self.kinds.contains(&kind)
    }
}

#[async_trait]
impl ConfigStore for CachedConfigStore {
    async fn insert(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<(), StoreError> {
        let result = self.inner.insert(tenant, kind, id, doc).await;
        self.forget(tenant, kind, id);
        result
    }

    async fn get(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<Option<StoredDoc>, StoreError> {
        if !self.cached(kind) {
            return self.inner.get(tenant, kind, id).await;
        }
        let key = Self::key(tenant, kind, id);
        let writes_before = {
            let s = self
                .state
                .lock()
                .map_err(|_| StoreError::Unavailable("configuration cache lock poisoned".into()))?;
            if let Some(e) = s.entries.get(&key)
                && e.read_at.elapsed() < self.ttl
            {
                return Ok(e.doc.clone());
            }
            s.writes
        };
        let read_at = Instant::now();
        let doc = self.inner.get(tenant, kind, id).await?;
        if let Ok(mut s) = self.state.lock()
            && s.writes == writes_before
        {
            if s.entries.len() >= MAX_ENTRIES {
                s.entries.clear();
            }
            s.entries.insert(
                key,
                Entry {
                    read_at,
                    doc: doc.clone(),
                },
            );
        }
        Ok(doc)
    }

    async fn list(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredDoc>, StoreError> {
        self.inner.list(tenant, kind, after, limit).await
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        id: &str,
        doc: &str,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let result = self.inner.replace(tenant, kind, id, doc, expected_version).await;
        self.forget(tenant, kind, id);
        result
    }

    async fn put(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<u64, StoreError> {
        let result = self.inner.put(tenant, kind, id, doc).await;
        self.forget(tenant, kind, id);
        result
    }

    async fn delete(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<bool, StoreError> {
        let result = self.inner.delete(tenant, kind, id).await;
        self.forget(tenant, kind, id);
        result
    }
}
