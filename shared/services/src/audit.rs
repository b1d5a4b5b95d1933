//! The audit log (R-X2): the use cases and the admin API record who did what to the team, the
//! settings, the schedule and the channels, and who signed in; administrators read it newest
//! first. Recording never undoes or fails what was done: an entry that cannot be written is
//! logged as an error instead.

use crate::desk::Person;
use crate::error::ServiceResult;
use adapters::configuration::Configuration;
use adapters::ports::{Clock, Page};
use domain::audit::{AuditAction, AuditActor, AuditEntry, AuditSubject, AuditSubjectKind, audit_key};
use domain::ids::TenantId;
use std::sync::Arc;

/// The audit log of every tenant.
#[derive(Clone)]
pub struct Audit {
    pub config: Configuration,
    pub clock: Arc<dyn Clock>,
}

/// What an entry is about: its kind, id and name now.
pub fn subject(kind: AuditSubjectKind, id: impl Into<String>, name: impl Into<String>) -> Option<AuditSubject> {
    Some(AuditSubject {
        kind,
        id: id.into(),
        name: name.into(),
    })
}

impl Audit {
    /// Records that `person` did `action` (to `subject`), now.
    pub async fn record(&self, person: &Person, action: AuditAction, subject: Option<AuditSubject>) {
        let tenant = &person.tenant;
        let name = match self.employee_name(tenant, &person.user).await {
            Ok(name) => name,
            Err(e) => {
                tracing::warn!(error = %e, "the audit log could not name the actor");
                None
            }
        };
        let at = self.clock.now();
        let unique = match crate::random_hex(8) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, ?action, "an audit entry was not recorded");
                return;
            }
        };
        let entry = AuditEntry {
            id: audit_key(at, &unique),
            at,
            actor: AuditActor {
                user: person.user.clone(),
                name,
            },
            action,
            subject,
        };
        if let Err(e) = self.config.record_audit(tenant, &entry).await {
            tracing::error!(error = %e, tenant = %tenant, ?action, "an audit entry was not recorded");
        }
    }

    async fn employee_name(&self, tenant: &TenantId, user: &str) -> ServiceResult<Option<String>> {
        if let Some(token) = user.strip_prefix("token:") {
            // A script with a token an administrator issued: the token's name.
            return Ok(self
                .config
                .sign_in_record::<domain::identity::ApiToken>(tenant, token)
                .await?
                .map(|t| t.value.name));
        }
        Ok(crate::desk::employee_of_subject(&self.config, tenant, user)
            .await?
            .map(|e| e.name.as_str().to_owned()))
    }

    /// The tenant's log, newest first (administrators only).
    pub async fn log(&self, person: &Person, after: Option<&str>, limit: u32) -> ServiceResult<Page<AuditEntry>> {
        person.require_admin("only administrators read the audit log")?;
        Ok(self.config.audit_log(&person.tenant, after, limit).await?)
    }
}
