//! The Cognito user pool's post-authentication trigger (R-X2, issue 16): on AWS people sign in on
//! Cognito's hosted page, which the product never sees, so Cognito tells this function after each
//! successful sign-in and it records «вошёл» in the tenant's audit log, as the local server does
//! for its own sign-ins. The person is read from the user's attributes as the API reads them from
//! the ID token: the subject, the tenant and the role.
//!
//! Cognito waits for the answer (the event, unchanged) before it hands out the tokens, and fails
//! the sign-in when the function fails; recording never fails (an entry that cannot be written is
//! logged, see [`services::audit`]), so only an event that is not a sign-in's is an error.

use domain::access::Role;
use domain::audit::AuditAction;
use domain::ids::TenantId;
use serde_json::Value;
use services::audit::Audit;
use services::desk::Person;

/// The user attributes that hold the tenant and the role (the template's custom attributes).
pub const TENANT_ATTRIBUTE: &str = "custom:tenant_id";
pub const ROLE_ATTRIBUTE: &str = "custom:role";

/// Why an event was not handled.
#[derive(Debug, PartialEq, Eq)]
pub struct NotASignIn(pub String);

impl std::fmt::Display for NotASignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a post-authentication event: {}", self.0)
    }
}

impl std::error::Error for NotASignIn {}

/// The person who signed in, from a post-authentication event; `Ok(None)` for a user outside any
/// tenant (no tenant or role attribute: nothing to record).
pub fn person_of(event: &Value) -> Result<Option<Person>, NotASignIn> {
    let source = event.get("triggerSource").and_then(Value::as_str).unwrap_or_default();
    if !source.starts_with("PostAuthentication_") {
        return Err(NotASignIn(format!("triggerSource {source:?}")));
    }
    let attributes = event
        .get("request")
        .and_then(|r| r.get("userAttributes"))
        .ok_or_else(|| NotASignIn("no request.userAttributes".into()))?;
    let text = |name: &str| attributes.get(name).and_then(Value::as_str);
    let Some(user) = text("sub").filter(|s| !s.is_empty()) else {
        return Err(NotASignIn("no sub".into()));
    };
    let tenant = text(TENANT_ATTRIBUTE).and_then(|t| TenantId::parse(t).ok());
    let role = text(ROLE_ATTRIBUTE).and_then(Role::parse);
    Ok(match (tenant, role) {
        (Some(tenant), Some(role)) => Some(Person {
            tenant,
            user: user.to_owned(),
            role,
        }),
        _ => None,
    })
}

/// Records the sign-in of a post-authentication event; answers the event, as Cognito expects.
pub async fn handle(audit: &Audit, event: Value) -> Result<Value, NotASignIn> {
    match person_of(&event)? {
        Some(person) => {
            audit.record(&person, AuditAction::SignedIn, None).await;
            tracing::info!(tenant = %person.tenant, "sign-in recorded");
        }
        None => tracing::warn!("a sign-in of a user without a tenant or a role: not recorded"),
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::configuration::Configuration;
    use adapters::embedded::SqliteConfigStore;
    use adapters::ports::{ConfigKind, ConfigStore, SystemClock};
    use serde_json::json;
    use std::sync::Arc;

    /// A post-authentication event as Cognito sends it.
    fn event(attributes: Value) -> Value {
        json!({
            "version": "1",
            "triggerSource": "PostAuthentication_Authentication",
            "region": "eu-central-1",
            "userPoolId": "eu-central-1_Abc",
            "userName": "0f1e2d3c-sub",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client123"},
            "request": {"userAttributes": attributes, "newDeviceUsed": false},
            "response": {}
        })
    }

    #[tokio::test]
    async fn a_sign_in_goes_into_its_tenants_audit_log_by_name() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(SqliteConfigStore::open(&dir.path().join("config.sqlite3")).expect("store"));
        let tenant = TenantId::parse("acme").expect("tenant");
        let employee = json!({"id": "e1", "name": "Ольга Смирнова", "user_id": "0f1e2d3c-sub", "role": "operator"});
        store
            .insert(&tenant, ConfigKind::Employee, "e1", &employee.to_string())
            .await
            .expect("employee");
        let audit = Audit {
            config: Configuration::new(store),
            clock: Arc::new(SystemClock),
        };
        let signed_in = event(
            json!({"sub": "0f1e2d3c-sub", "email": "olga@acme.test", "custom:tenant_id": "acme",
            "custom:role": "operator", "cognito:user_status": "CONFIRMED"}),
        );
        assert_eq!(handle(&audit, signed_in.clone()).await, Ok(signed_in));
        let log_of = |tenant: &str| {
            let administrator = Person {
                tenant: TenantId::parse(tenant).expect("tenant"),
                user: "admin".into(),
                role: Role::Admin,
            };
            let audit = audit.clone();
            async move { audit.log(&administrator, None, 10).await.expect("entries").items }
        };
        let entries: Vec<_> = log_of("acme")
            .await
            .iter()
            .map(|e| (e.action, e.actor.name.clone()))
            .collect();
        assert_eq!(entries, [(AuditAction::SignedIn, Some("Ольга Смирнова".to_owned()))]);
        // Another tenant's log has nothing of it.
        assert!(log_of("other").await.is_empty());
    }

    #[test]
    fn only_a_sign_ins_event_is_read() {
        let no_tenant = event(json!({"sub": "s", "email": "x@y.z"}));
        assert_eq!(person_of(&no_tenant), Ok(None));
        let mut pre = event(json!({"sub": "s"}));
        pre["triggerSource"] = json!("PreSignUp_SignUp");
        assert!(person_of(&pre).is_err());
        assert!(person_of(&json!({"triggerSource": "PostAuthentication_Authentication"})).is_err());
        let bad_tenant = event(json!({"sub": "s", "custom:tenant_id": "../x", "custom:role": "admin"}));
        assert_eq!(person_of(&bad_tenant), Ok(None));
    }
}
