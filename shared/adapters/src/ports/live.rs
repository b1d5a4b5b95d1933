//! The workspace's live channel on AWS (R-UI1, issue 17): who listens ([`LiveConnections`]: the
//! open WebSocket connections of a tenant, and the single-use tickets that open them) and how a
//! change reaches one of them ([`LivePush`]: API Gateway's Management API). The local server
//! needs neither: its workspaces listen on its own event stream (`adapters::changes::ChangeFeed`).
//!
//! The in-memory [`MemoryLive`] implements both for tests of the use cases and passes the same
//! contract as the DynamoDB store (`live_connections_contract!`).

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::{EmployeeId, TenantId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// One open WebSocket connection of a tenant's workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConnection {
    /// API Gateway's connection id.
    pub id: String,
    /// Whose workspace it is.
    pub employee: EmployeeId,
    /// When it ends: when the session that asked for its ticket ends, at the latest 2 hours
    /// after it opened (API Gateway closes a WebSocket connection then anyway). The push closes
    /// it after; the store forgets it even if `$disconnect` never came.
    pub expires_at: DateTime<Utc>,
}

/// A ticket to open one connection, as stored: only the digest of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveTicket {
    /// SHA-256 of the ticket as the browser presents it, hex.
    pub digest: String,
    /// Whom it was issued to.
    pub employee: EmployeeId,
    /// After this it opens nothing.
    pub expires_at: DateTime<Utc>,
    /// When the session it was issued in ends (the ID token's expiry), when known: the
    /// connection it opens ends then too.
    pub session_ends_at: Option<DateTime<Utc>>,
}

/// The tenant's open connections and pending tickets. Every key starts with the tenant: a
/// ticket or a connection of one tenant is never found in another's.
#[async_trait]
pub trait LiveConnections: Send + Sync {
    /// Remembers `connection` (again: the same id replaces it).
    async fn add(&self, tenant: &TenantId, connection: &LiveConnection) -> Result<(), StoreError>;
    /// Forgets connection `id`; forgetting one that is not there is not an error.
    async fn remove(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError>;
    /// The tenant's connections, those past their `expires_at` too (until the store forgets
    /// them), in id order.
    async fn of_tenant(&self, tenant: &TenantId) -> Result<Vec<LiveConnection>, StoreError>;
    /// Keeps a ticket until it is taken or expires; [`StoreError::Conflict`] if its digest is taken.
    async fn keep_ticket(&self, tenant: &TenantId, ticket: &LiveTicket) -> Result<(), StoreError>;
    /// Takes the ticket with `digest` (single use: of two takers at once exactly one gets it):
    /// the ticket, or `None` when there is no such ticket in the tenant, it was taken already, or
    /// it expired before `now`.
    async fn take_ticket(
        &self,
        tenant: &TenantId,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveTicket>, StoreError>;
}

/// Why a push did not reach a connection.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    /// The connection is closed (API Gateway's 410 `GoneException`): forget it.
    #[error("the connection is gone")]
    Gone,
    /// Anything else (throttled, unreachable): this one push is lost.
    #[error("push failed: {0}")]
    Failed(String),
}

/// Sends to one open connection.
#[async_trait]
pub trait LivePush: Send + Sync {
    /// Sends `data` (a text frame) to connection `id`.
    async fn post(&self, id: &str, data: &str) -> Result<(), PushError>;
    /// Closes connection `id` from the server's side (a disabled employee's workspace).
    async fn close(&self, id: &str) -> Result<(), PushError>;
}

#[derive(Default)]
struct MemoryState {
    connections: BTreeMap<(String, String), LiveConnection>,
    tickets: HashMap<(String, String), LiveTicket>,
    /// What was sent, per connection, in order.
    sent: BTreeMap<String, Vec<String>>,
    /// Connections that answer "gone".
    gone: Vec<String>,
    closed: Vec<String>,
}

/// Both ports in memory: for the use cases' tests. Pushes are recorded ([`MemoryLive::sent`]);
/// a connection marked [`MemoryLive::mark_gone`] answers [`PushError::Gone`].
#[derive(Default)]
pub struct MemoryLive {
    state: Mutex<MemoryState>,
}

impl MemoryLive {
    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // A test that panicked while holding the lock leaves nothing half-written worth refusing.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What was sent to connection `id`, in order.
    pub fn sent(&self, id: &str) -> Vec<String> {
        self.state().sent.get(id).cloned().unwrap_or_default()
    }

    /// Connection `id` is closed: pushes to it answer [`PushError::Gone`].
    pub fn mark_gone(&self, id: &str) {
        self.state().gone.push(id.to_owned());
    }

    /// The connections closed by the server, in order.
    pub fn closed(&self) -> Vec<String> {
        self.state().closed.clone()
    }
}

#[async_trait]
impl LiveConnections for MemoryLive {
    async fn add(&self, tenant: &TenantId, connection: &LiveConnection) -> Result<(), StoreError> {
        self.state()
            .connections
            .insert((tenant.as_str().to_owned(), connection.id.clone()), connection.clone());
        Ok(())
    }

    async fn remove(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError> {
        self.state()
            .connections
            .remove(&(tenant.as_str().to_owned(), id.to_owned()));
        Ok(())
    }

    async fn of_tenant(&self, tenant: &TenantId) -> Result<Vec<LiveConnection>, StoreError> {
        Ok(self
            .state()
            .connections
            .iter()
            .filter(|((t, _), _)| t == tenant.as_str())
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn keep_ticket(&self, tenant: &TenantId, ticket: &LiveTicket) -> Result<(), StoreError> {
        let key = (tenant.as_str().to_owned(), ticket.digest.clone());
        let mut state = self.state();
        if state.tickets.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        state.tickets.insert(key, ticket.clone());
        Ok(())
    }

    async fn take_ticket(
        &self,
        tenant: &TenantId,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveTicket>, StoreError> {
        Ok(self
            .state()
            .tickets
            .remove(&(tenant.as_str().to_owned(), digest.to_owned()))
            .filter(|t| t.expires_at > now))
    }
}

#[async_trait]
impl LivePush for MemoryLive {
    async fn post(&self, id: &str, data: &str) -> Result<(), PushError> {
        let mut state = self.state();
        if state.gone.iter().any(|g| g == id) {
            return Err(PushError::Gone);
        }
        state.sent.entry(id.to_owned()).or_default().push(data.to_owned());
        Ok(())
    }

    async fn close(&self, id: &str) -> Result<(), PushError> {
        self.state().closed.push(id.to_owned());
        Ok(())
    }
}

#[cfg(all(test, feature = "contract"))]
mod contract {
    crate::live_connections_contract!(async { std::sync::Arc::new(super::MemoryLive::default()) });
}
