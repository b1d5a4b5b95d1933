//! The identity provider port: where people's sign-in accounts live. On AWS, Amazon Cognito (its
//! user pool holds the accounts; the invitation is its e-mail, the tenant and role are attributes
//! that reach the API as token claims); on the local server, the product's own accounts
//! (`services::identity`: the invitation is a one-time link an administrator hands over).
//! Either way the employee record is the source of truth for the role and whether they may sign
//! in; the provider follows it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::directory::Employee;
use domain::ids::TenantId;

/// How an invitation reaches the employee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvitationSent {
    /// A one-time link's token for the administrator to hand over (the page `/#/invite/<token>`).
    Link { token: String, expires_at: DateTime<Utc> },
    /// The provider e-mailed the employee; `subject` is who they will sign in as (the `sub`
    /// claim), to be kept as the employee's `user_id`.
    Emailed { subject: String },
}

/// Why the provider did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Another account signs in with this e-mail (409).
    #[error("{0}")]
    Taken(String),
    /// The provider refused the values (422 on `email`): its reason.
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached or refused for now; retrying may succeed.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
}

/// The identity provider.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Lets `employee` (who has an e-mail) sign in to `tenant` with their role: creates their
    /// account and invites them, or invites them again.
    async fn invite(&self, tenant: &TenantId, employee: &Employee) -> Result<InvitationSent, IdentityError>;

    /// Makes sign-in follow the employee record after a change: their role, and whether they may
    /// sign in (disabling one ends their sessions). Nothing to do for one never invited.
    async fn follow(&self, tenant: &TenantId, employee: &Employee) -> Result<(), IdentityError>;
}
