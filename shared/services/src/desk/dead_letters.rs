//! The inbound messages that failed too often (R-X1: what is accepted is processed, or recorded
//! where an administrator sees it), for administrators: how many wait in the dead-letter queue,
//! and replaying them (back onto the inbound queue, where the router processes them again). Beside
//! the ignored deliveries ([`super::Desk::ignored_deliveries`]), which were processed and changed
//! nothing; these were never processed.
//!
//! The queue is the installation's, shared by its tenants: an administrator counts and replays
//! their own tenant's messages only (the tenant each message names); a message no tenant can be
//! read from stays, for whoever runs the installation.

use super::Person;
use crate::audit::Audit;
use crate::error::{ServiceError, ServiceResult};
use crate::inbound::InboundEvent;
use adapters::ports::{DeadLetterFilter, Queue, QueueError};
use async_trait::async_trait;
use domain::audit::AuditAction;
use domain::ids::TenantId;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One replay moves dead letters in pages of this many.
pub const REPLAY_PAGE: u32 = 100;
/// One replay moves at most this many; the rest wait for the next one.
pub const REPLAY_AT_MOST: u32 = 1_000;
/// No page is started once a replay has taken this long (an admin function has 10 s).
pub const REPLAY_BUDGET: Duration = Duration::from_secs(4);

const ONLY_ADMINISTRATORS: &str = "only administrators see and replay the messages that could not be processed";

/// The dead letters of the inbound queue, and who replays them (the audit log).
#[derive(Clone)]
pub struct DeadLetters {
    /// The inbound queue, with its dead-letter queue.
    pub queue: Arc<dyn Queue>,
    /// Where a replay is recorded.
    pub audit: Audit,
}

impl DeadLetters {
    /// Where no inbound queue is configured: every call answers "unavailable" (503).
    pub fn unconfigured(audit: Audit) -> Self {
        Self {
            queue: Arc::new(NoQueue),
            audit,
        }
    }

    /// How many inbound messages wait in the dead-letter queue (administrators).
    pub async fn waiting(&self, person: &Person) -> ServiceResult<u64> {
        person.require_admin(ONLY_ADMINISTRATORS)?;
        self.queue
            .dead_letter_count(&of_tenant(&person.tenant))
            .await
            .map_err(unavailable)
    }

    /// Moves the dead letters back onto the inbound queue, in pages of [`REPLAY_PAGE`], at most
    /// [`REPLAY_AT_MOST`] and no page started after [`REPLAY_BUDGET`] (administrators); how many
    /// moved. A replay that moved some is recorded in the audit log; when a later page fails, what
    /// moved is answered (the count shows what still waits), else the failure.
    pub async fn replay(&self, person: &Person) -> ServiceResult<u32> {
        person.require_admin(ONLY_ADMINISTRATORS)?;
        let started = Instant::now();
        let mut moved = 0;
        let ours = of_tenant(&person.tenant);
        while moved < REPLAY_AT_MOST && started.elapsed() < REPLAY_BUDGET {
            let page = REPLAY_PAGE.min(REPLAY_AT_MOST - moved);
            match self.queue.replay_dead_letters(&ours, page).await {
                Ok(n) => {
                    moved += n;
                    if n < page {
                        break;
                    }
                }
                Err(e) if moved == 0 => return Err(unavailable(e)),
                Err(e) => {
                    tracing::warn!(error = %e, moved, "a replay of dead letters stopped part way");
                    break;
                }
            }
        }
        if moved > 0 {
            tracing::info!(moved, tenant = %person.tenant, "dead letters replayed");
            self.audit.record(person, AuditAction::DeadLettersReplayed, None).await;
        }
        Ok(moved)
    }
}

/// Whether a queued message is `tenant`'s.
fn of_tenant(tenant: &TenantId) -> impl Fn(&str) -> bool + Send + Sync + use<> {
    let tenant = tenant.clone();
    move |body: &str| InboundEvent::from_json(body).is_ok_and(|e| *e.tenant() == tenant)
}

fn unavailable(e: QueueError) -> ServiceError {
    ServiceError::Transient(e.to_string())
}

/// The queue of a deployment that configured none.
struct NoQueue;

#[async_trait]
impl Queue for NoQueue {
    async fn send(&self, _: &str) -> Result<(), QueueError> {
        Err(not_configured())
    }

    async fn receive(&self, _: u32, _: Duration) -> Result<Vec<adapters::ports::QueuedMessage>, QueueError> {
        Err(not_configured())
    }

    async fn delete(&self, _: &str) -> Result<(), QueueError> {
        Err(not_configured())
    }

    async fn dead_letter_count(&self, _: DeadLetterFilter<'_>) -> Result<u64, QueueError> {
        Err(not_configured())
    }

    async fn replay_dead_letters(&self, _: DeadLetterFilter<'_>, _: u32) -> Result<u32, QueueError> {
        Err(not_configured())
    }
}

fn not_configured() -> QueueError {
    QueueError::Unavailable("no inbound queue is configured".into())
}
