//! The workspace's live channel on AWS (R-UI1, issue 17): changes reach open workspaces through
//! API Gateway's WebSocket API. Locally the server's own event stream does this (`/v1/events`).
//!
//! - A signed-in person asks the operator API for a **ticket** ([`Live::issue_ticket`]): a
//!   browser cannot send headers on a WebSocket, so the ticket goes in the URL's query. It is
//!   `<tenant>.<64 hex of randomness>`; only its SHA-256 is stored, for 60 seconds.
//! - API Gateway's Lambda authorizer **takes** it on `$connect` ([`Live::admit`]): single use (a
//!   conditional delete), in the tenant the ticket names only; it answers tenant and employee.
//! - `$connect` **remembers** the connection for that tenant and employee for 2 hours (API
//!   Gateway closes a WebSocket connection after 2 hours anyway); `$disconnect` forgets it.
//! - The table's stream, read as changes (`adapters::aws::dynamodb_stream`), is **pushed** to each
//!   of the tenant's connections ([`Live::push`]): one connections query and one employee list
//!   per tenant per stream batch, however many changes it holds. A connection API Gateway says is
//!   gone is forgotten. A connection whose employee is disabled or deleted is closed and
//!   forgotten (a ticket is also refused to them): checking at push time means the
//!   administrators' disabling path needs to know nothing about live connections, and a
//!   disabled person stops hearing at the next change.

use crate::desk::{Person, employee_of_subject};
use crate::error::{ServiceError, ServiceResult};
use adapters::changes::ConversationChanged;
use adapters::configuration::Configuration;
use adapters::ports::{Clock, LiveConnection, LiveConnections, LivePush, LiveTicket, PushError};
use chrono::{DateTime, TimeDelta, Utc};
use domain::directory::Employee;
use domain::ids::{EmployeeId, TenantId};
use futures_util::stream::{self, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How long a ticket opens a connection.
pub const TICKET_SECONDS: i64 = 60;
/// How long a connection lives at most (API Gateway's own limit); it ends sooner when the session
/// that asked for its ticket does.
pub const CONNECTION_SECONDS: i64 = 2 * 60 * 60;
/// Pushes in flight at once.
const PUSHES_AT_ONCE: usize = 16;

/// The live channel's use cases.
#[derive(Clone)]
pub struct Live {
    pub connections: Arc<dyn LiveConnections>,
    pub config: Configuration,
    pub clock: Arc<dyn Clock>,
}

/// A connection the `$connect` authorizer admitted: for whom, and until when its session lasts
/// (when known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub tenant: TenantId,
    pub employee: EmployeeId,
    pub session_ends_at: Option<DateTime<Utc>>,
}

/// What one push of a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Changes sent, counted per connection.
    pub sent: usize,
    /// Connections API Gateway said were gone, forgotten.
    pub gone: usize,
    /// Connections of disabled or deleted employees, or whose session ended, closed and forgotten.
    pub closed: usize,
    /// Sends that failed otherwise (each logged).
    pub failed: usize,
}

/// A ticket as presented: its tenant (in clear) and its digest; `None` unless it has the form
/// `<tenant id>.<64 lowercase hex>`.
fn read_ticket(presented: &str) -> Option<(TenantId, String)> {
    let (tenant, secret) = presented.split_once('.')?;
    let hex = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return None;
    }
    Some((TenantId::parse(tenant).ok()?, crate::connection::digest(presented)))
}

impl Live {
    /// A ticket for `person` to open one live connection within [`TICKET_SECONDS`], which ends
    /// when their session does (`session_ends_at`, the ID token's expiry, when known). Refused
    /// (403) unless they work as an employee of their tenant who is not disabled.
    pub async fn issue_ticket(&self, person: &Person, session_ends_at: Option<DateTime<Utc>>) -> ServiceResult<String> {
        let employee = employee_of_subject(&self.config, &person.tenant, &person.user)
            .await?
            .filter(|e| !e.disabled)
            .ok_or(ServiceError::Forbidden("live updates are for the tenant's employees"))?;
        let secret = crate::random_hex(32).map_err(ServiceError::Transient)?;
        let ticket = format!("{}.{secret}", person.tenant);
        self.connections
            .keep_ticket(
                &person.tenant,
                &LiveTicket {
                    digest: crate::connection::digest(&ticket),
                    employee: employee.id,
                    expires_at: self.clock.now() + TimeDelta::seconds(TICKET_SECONDS),
                    session_ends_at,
                },
            )
            .await?;
        Ok(ticket)
    }

    /// Takes a presented ticket (once): whom it opens a connection for, or `None` (malformed,
    /// unknown, used, expired, or its session already ended).
    pub async fn admit(&self, presented: &str) -> ServiceResult<Option<Admitted>> {
        let Some((tenant, digest)) = read_ticket(presented) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let ticket = self.connections.take_ticket(&tenant, &digest, now).await?;
        Ok(ticket
            .filter(|t| t.session_ends_at.is_none_or(|ends| ends > now))
            .map(|t| Admitted {
                tenant,
                employee: t.employee,
                session_ends_at: t.session_ends_at,
            }))
    }

    /// `$connect`, after the authorizer admitted it: the connection lasts until its session ends,
    /// at most [`CONNECTION_SECONDS`].
    pub async fn connected(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        id: &str,
        session_ends_at: Option<DateTime<Utc>>,
    ) -> ServiceResult<()> {
        let longest = self.clock.now() + TimeDelta::seconds(CONNECTION_SECONDS);
        let connection = LiveConnection {
            id: id.to_owned(),
            employee: employee.clone(),
            expires_at: session_ends_at.map_or(longest, |ends| ends.min(longest)),
        };
        Ok(self.connections.add(tenant, &connection).await?)
    }

    /// `$disconnect`.
    pub async fn disconnected(&self, tenant: &TenantId, id: &str) -> ServiceResult<()> {
        Ok(self.connections.remove(tenant, id).await?)
    }

    /// Sends each change to every live connection of its tenant whose employee may still see
    /// it. A store that cannot be read fails the whole push (after the other tenants' are
    /// done), so the batch is tried again; a send that fails is only counted.
    pub async fn push(&self, sender: &dyn LivePush, changes: &[ConversationChanged]) -> ServiceResult<PushReport> {
        let mut by_tenant: BTreeMap<&TenantId, Vec<String>> = BTreeMap::new();
        for change in changes {
            by_tenant.entry(&change.tenant).or_default().push(change.to_json());
        }
        let mut report = PushReport::default();
        let mut first_error = None;
        for (tenant, payloads) in by_tenant {
            if let Err(e) = self.push_to_tenant(sender, tenant, &payloads, &mut report).await {
                tracing::warn!(tenant = %tenant, error = %e, "live push: the tenant's connections could not be read");
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    async fn push_to_tenant(
        &self,
        sender: &dyn LivePush,
        tenant: &TenantId,
        payloads: &[String],
        report: &mut PushReport,
    ) -> ServiceResult<()> {
        let now = self.clock.now();
        let connections = self.connections.of_tenant(tenant).await?;
        if connections.is_empty() {
            return Ok(());
        }
        let enabled: HashMap<EmployeeId, bool> = self
            .config
            .list_all::<Employee>(tenant)
            .await?
            .into_iter()
            .map(|e| (e.id, !e.disabled))
            .collect();
        // A disabled or deleted employee's connection, or one whose session ended, is closed.
        let (listening, shut): (Vec<_>, Vec<_>) = connections
            .into_iter()
            .partition(|c| c.expires_at > now && enabled.get(&c.employee).copied().unwrap_or(false));
        for connection in shut {
            if let Err(PushError::Failed(e)) = sender.close(&connection.id).await {
                tracing::warn!(error = %e, "live push: a connection that ended could not be closed");
            }
            self.connections.remove(tenant, &connection.id).await?;
            report.closed += 1;
        }
        let outcomes: Vec<(String, Vec<Result<(), PushError>>)> = stream::iter(listening)
            .map(|connection| async move {
                let mut results = Vec::with_capacity(payloads.len());
                for payload in payloads {
                    let result = sender.post(&connection.id, payload).await;
                    let gone = result == Err(PushError::Gone);
                    results.push(result);
                    if gone {
                        break;
                    }
                }
                (connection.id, results)
            })
            .buffer_unordered(PUSHES_AT_ONCE)
            .collect()
            .await;
        for (id, results) in outcomes {
            for result in results {
                match result {
                    Ok(()) => report.sent += 1,
                    Err(PushError::Gone) => {
                        self.connections.remove(tenant, &id).await?;
                        report.gone += 1;
                    }
                    Err(PushError::Failed(e)) => {
                        tracing::warn!(error = %e, "live push: a change could not be sent");
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::changes::Change;
    use adapters::ports::{ConfigKind, ConfigStore, ManualClock, MemoryLive};
    use domain::access::Role;
    use domain::conversation::Handler;
    use domain::ids::ConversationId;

    fn id<T: TryFrom<String>>(s: &str) -> T
    where
        T::Error: std::fmt::Debug,
    {
        T::try_from(s.to_owned()).expect("id")
    }

    struct World {
        live: Live,
        memory: Arc<MemoryLive>,
        clock: Arc<ManualClock>,
        config: Arc<dyn ConfigStore>,
        _dir: tempfile::TempDir,
    }

    async fn world() -> World {
        let dir = tempfile::tempdir().expect("dir");
        let config: Arc<dyn ConfigStore> =
            Arc::new(adapters::embedded::SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
        let memory = Arc::new(MemoryLive::default());
        let clock = Arc::new(ManualClock::new("2026-11-29T12:00:00Z".parse().expect("instant")));
        for (tenant, employee, user, disabled) in [
            ("acme", "anna", "sub-anna", false),
            ("acme", "boris", "sub-boris", false),
            ("acme", "vera", "sub-vera", true),
            ("other", "oleg", "sub-oleg", false),
        ] {
            let doc = serde_json::json!({"id": employee, "name": employee, "user_id": user, "disabled": disabled});
            config
                .insert(&id(tenant), ConfigKind::Employee, employee, &doc.to_string())
                .await
                .expect("employee");
        }
        World {
            live: Live {
                connections: memory.clone(),
                config: Configuration::new(Arc::clone(&config)),
                clock: clock.clone(),
            },
            memory,
            clock,
            config,
            _dir: dir,
        }
    }

    fn person(tenant: &str, user: &str) -> Person {
        Person {
            tenant: id(tenant),
            user: user.to_owned(),
            role: Role::Operator,
        }
    }

    fn change(tenant: &str, conversation: &str) -> ConversationChanged {
        ConversationChanged {
            tenant: id(tenant),
            conversation: id::<ConversationId>(conversation),
            change: Change::Opened,
            handler: Some(Handler::GeneralQueue),
            previous_handler: None,
            message_author: None,
            client_name: None,
        }
    }

    #[tokio::test]
    async fn a_ticket_admits_its_employee_once_in_its_tenant_within_a_minute() {
        let w = world().await;
        let ticket = w
            .live
            .issue_ticket(&person("acme", "sub-anna"), None)
            .await
            .expect("ticket");
        assert!(ticket.starts_with("acme.") && ticket.len() == 5 + 64, "{ticket}");
        // Presented as another tenant's: not found there (and the real one stays usable).
        let forged = ticket.replacen("acme.", "other.", 1);
        assert_eq!(w.live.admit(&forged).await.expect("admit"), None);
        assert_eq!(
            w.live.admit(&ticket).await.expect("admit"),
            Some(Admitted {
                tenant: id("acme"),
                employee: id("anna"),
                session_ends_at: None
            })
        );
        assert_eq!(w.live.admit(&ticket).await.expect("admit"), None, "single use");
        let late = w
            .live
            .issue_ticket(&person("acme", "sub-anna"), None)
            .await
            .expect("ticket");
        w.clock.advance(TimeDelta::seconds(TICKET_SECONDS + 1));
        assert_eq!(w.live.admit(&late).await.expect("admit"), None, "expired");
        for bad in [
            "",
            "acme",
            "acme.",
            "acme.xyz",
            "../x.00",
            &format!("acme.{}", "A".repeat(64)),
        ] {
            assert_eq!(w.live.admit(bad).await.expect("admit"), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_connection_ends_with_the_session_that_asked_for_its_ticket() {
        let w = world().await;
        let ends = w.clock.now() + TimeDelta::seconds(600);
        let ticket = w
            .live
            .issue_ticket(&person("acme", "sub-anna"), Some(ends))
            .await
            .expect("ticket");
        let admitted = w.live.admit(&ticket).await.expect("admit").expect("admitted");
        assert_eq!(admitted.session_ends_at, Some(ends));
        w.live
            .connected(&id("acme"), &id("anna"), "A1", admitted.session_ends_at)
            .await
            .expect("connect");
        w.live
            .connected(&id("acme"), &id("anna"), "A2", None)
            .await
            .expect("connect");
        let report = w
            .live
            .push(w.memory.as_ref(), &[change("acme", "c1")])
            .await
            .expect("push");
        assert_eq!((report.sent, report.closed), (2, 0));
        // The session ends: at the next change its connection is closed and hears nothing more;
        // the one without a known session end lives on (at most two hours).
        w.clock.advance(TimeDelta::seconds(601));
        let report = w
            .live
            .push(w.memory.as_ref(), &[change("acme", "c2")])
            .await
            .expect("push");
        assert_eq!((report.sent, report.closed), (1, 1));
        assert_eq!(w.memory.closed(), ["A1"]);
        assert_eq!(w.memory.sent("A1").len(), 1);
        // A ticket presented after its session ended opens nothing.
        let stale = w
            .live
            .issue_ticket(&person("acme", "sub-anna"), Some(w.clock.now() + TimeDelta::seconds(1)))
            .await
            .expect("ticket");
        w.clock.advance(TimeDelta::seconds(2));
        assert_eq!(w.live.admit(&stale).await.expect("admit"), None);
        // Two hours on, the other one ends too.
        w.clock.advance(TimeDelta::seconds(CONNECTION_SECONDS));
        let report = w
            .live
            .push(w.memory.as_ref(), &[change("acme", "c3")])
            .await
            .expect("push");
        assert_eq!((report.sent, report.closed), (0, 1));
    }

    #[tokio::test]
    async fn only_enabled_employees_get_a_ticket() {
        let w = world().await;
        for (tenant, user) in [("acme", "sub-vera"), ("acme", "nobody"), ("acme", "sub-oleg")] {
            let refused = w.live.issue_ticket(&person(tenant, user), None).await;
            assert!(
                matches!(refused, Err(ServiceError::Forbidden(_))),
                "{user}: {refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn changes_reach_the_tenants_connections_only_and_gone_ones_are_forgotten() {
        let w = world().await;
        w.live
            .connected(&id("acme"), &id("anna"), "A1", None)
            .await
            .expect("connect");
        w.live
            .connected(&id("acme"), &id("boris"), "B1", None)
            .await
            .expect("connect");
        w.live
            .connected(&id("acme"), &id("boris"), "B2", None)
            .await
            .expect("connect");
        w.live
            .connected(&id("other"), &id("oleg"), "O1", None)
            .await
            .expect("connect");
        w.memory.mark_gone("B2");
        let batch = [change("acme", "c1"), change("acme", "c2")];
        let report = w.live.push(w.memory.as_ref(), &batch).await.expect("push");
        assert_eq!(
            report,
            PushReport {
                sent: 4,
                gone: 1,
                closed: 0,
                failed: 0
            }
        );
        let expected: Vec<String> = batch.iter().map(ConversationChanged::to_json).collect();
        assert_eq!(w.memory.sent("A1"), expected);
        assert_eq!(w.memory.sent("B1"), expected);
        assert!(
            w.memory.sent("O1").is_empty(),
            "another tenant's connection heard nothing"
        );
        let left: Vec<String> = w
            .live
            .connections
            .of_tenant(&id("acme"))
            .await
            .expect("list")
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(left, ["A1", "B1"]);
        w.live.disconnected(&id("acme"), "A1").await.expect("disconnect");
        let report = w.live.push(w.memory.as_ref(), &batch[..1]).await.expect("push");
        assert_eq!(report.sent, 1);
    }

    #[tokio::test]
    async fn a_disabled_or_deleted_employees_connection_is_closed_and_hears_nothing() {
        let w = world().await;
        w.live
            .connected(&id("acme"), &id("anna"), "A1", None)
            .await
            .expect("connect");
        w.live
            .connected(&id("acme"), &id("vera"), "V1", None)
            .await
            .expect("connect");
        w.live
            .connected(&id("acme"), &id("ghost"), "G1", None)
            .await
            .expect("connect");
        let report = w
            .live
            .push(w.memory.as_ref(), &[change("acme", "c1")])
            .await
            .expect("push");
        assert_eq!((report.sent, report.closed), (1, 2));
        assert!(w.memory.sent("V1").is_empty() && w.memory.sent("G1").is_empty());
        let mut closed = w.memory.closed();
        closed.sort();
        assert_eq!(closed, ["G1", "V1"]);
        // Anna is disabled after connecting: her connection goes at the next change.
        let doc = serde_json::json!({"id": "anna", "name": "anna", "user_id": "sub-anna", "disabled": true});
        w.config
            .put(&id("acme"), ConfigKind::Employee, "anna", &doc.to_string())
            .await
            .expect("disable");
        let report = w
            .live
            .push(w.memory.as_ref(), &[change("acme", "c2")])
            .await
            .expect("push");
        assert_eq!((report.sent, report.closed), (0, 1));
        assert_eq!(w.memory.sent("A1").len(), 1);
    }
}
