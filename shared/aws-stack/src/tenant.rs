//! A tenant and its first administrator on AWS (`avito-cc-tenant`, `make tenant`): the employee
//! record (an administrator with the e-mail) in the table, and their sign-in account invited
//! through the identity provider (Cognito e-mails a temporary password). There is no tenant
//! record beside it: a tenant exists through what is stored under its id.
//!
//! Running it again for the same tenant and e-mail creates nothing new: the employee is kept
//! (made an enabled administrator if they were not) and invited again.

use adapters::configuration::Configuration;
use adapters::ports::{IdentityProvider, InvitationSent};
use domain::access::Role;
use domain::directory::{Employee, EmployeeDraft};
use domain::ids::{EmployeeId, TenantId};
use services::ServiceError;
use services::desk::Person;
use services::identity::SignInAccounts;
use std::sync::Arc;

/// Who acts, in what the use cases record.
const ACTOR: &str = "avito-cc-tenant";

/// What was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstAdministrator {
    pub tenant: TenantId,
    pub employee: EmployeeId,
    /// The e-mail as stored (trimmed, lowercase).
    pub email: String,
    /// Whether the employee record was created now (else it existed with this e-mail).
    pub created: bool,
    /// Whether an existing employee was made an enabled administrator.
    pub promoted: bool,
    pub invitation: InvitationSent,
}

/// A tenant id a tenant may have: an id (`[A-Za-z0-9_-]`, 1 to 64) not starting with `_`, which
/// is reserved for the installation's own records.
pub fn tenant_id(s: &str) -> Result<TenantId, String> {
    let tenant = TenantId::parse(s.trim()).map_err(|e| format!("the tenant id {e}"))?;
    if tenant.is_reserved() {
        return Err("tenant ids starting with `_` are reserved".into());
    }
    Ok(tenant)
}

fn failed(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(errors) => errors
            .0
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Creates (or keeps) the tenant's administrator `name` with `email` and invites them.
pub async fn create_first_administrator(
    config: &Configuration,
    provider: Arc<dyn IdentityProvider>,
    tenant: &str,
    email: &str,
    name: &str,
) -> Result<FirstAdministrator, String> {
    let tenant = tenant_id(tenant)?;
    // Arguments as typed on a command line: surrounding spaces are not part of them.
    let draft = EmployeeDraft {
        name: name.trim().to_owned(),
        email: Some(email.trim().to_owned()),
        role: Role::Admin,
        ..EmployeeDraft::default()
    };
    let new_id = services::new_id(EmployeeId::parse).map_err(failed)?;
    let wanted = draft.validate(new_id).map_err(|e| failed(ServiceError::Invalid(e)))?;
    let email = wanted.email.clone().ok_or("an e-mail is needed")?;
    let accounts = SignInAccounts {
        config: config.clone(),
        provider,
    };
    let store = |e: adapters::ports::StoreError| failed(e.into());
    let existing = config
        .list_all::<Employee>(&tenant)
        .await
        .map_err(store)?
        .into_iter()
        .find(|e| e.email.as_deref() == Some(email.as_str()));
    let (employee, created, promoted) = match existing {
        None => {
            config.create(&tenant, &wanted).await.map_err(store)?;
            (wanted, true, false)
        }
        Some(found) if found.role == Role::Admin && !found.disabled => (found, false, false),
        Some(found) => {
            let current = config
                .get::<Employee>(&tenant, found.id.as_str())
                .await
                .map_err(store)?
                .ok_or("the employee was deleted meanwhile; run again")?;
            let admin = Employee {
                role: Role::Admin,
                disabled: false,
                ..current.value
            };
            config
                .replace(&tenant, &admin, current.version)
                .await
                .map_err(|e| format!("{}; run again", store(e)))?;
            // As after every employee write: sign-in follows the record.
            accounts.follow(&tenant, &admin).await.map_err(failed)?;
            (admin, false, true)
        }
    };
    let actor = Person {
        tenant: tenant.clone(),
        user: ACTOR.to_owned(),
        role: Role::Admin,
    };
    let (_, invitation) = accounts.invite(&actor, &employee.id).await.map_err(failed)?;
    Ok(FirstAdministrator {
        tenant,
        employee: employee.id,
        email,
        created,
        promoted,
        invitation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_starting_with_an_underscore_are_reserved() {
        assert_eq!(tenant_id(" acme ").map(|t| t.to_string()), Ok("acme".to_owned()));
        assert!(tenant_id("_installation").expect_err("reserved").contains("reserved"));
        assert!(tenant_id("has space").is_err());
        assert!(tenant_id("").is_err());
    }
}
