//! The identity provider on AWS: an Amazon Cognito user pool (`infra/template.yaml`'s `UserPool`).
//!
//! An employee's account is a pool user whose username is their e-mail (the pool signs in by
//! e-mail, case-insensitively), with two attributes only administrators write (the web client may
//! read but not change them): `custom:tenant_id`, the tenant the account belongs to, and
//! `custom:role`, `admin` or `operator`. Both reach the API as claims of the ID token. An e-mail
//! signs in to one tenant: the pool is shared by every tenant of the deployment, and an account
//! of another tenant is never read back, changed or disabled from this one.
//!
//! Cognito generates the temporary password and e-mails it with the pool's invitation message;
//! no password or token ever passes through here, and nothing here logs an e-mail.

use crate::ports::{IdentityError, IdentityProvider, InvitationSent};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType, MessageActionType, UserStatusType};
use domain::directory::Employee;
use domain::identity::EmailAddress;
use domain::ids::TenantId;

/// The user attribute naming the tenant an account signs in to (the ID token's claim of the same
/// name; `JWT_TENANT_CLAIM` on AWS).
pub const TENANT_ATTRIBUTE: &str = "custom:tenant_id";
/// The user attribute holding `admin` or `operator` (the ID token's claim; `JWT_ROLE_CLAIM`).
pub const ROLE_ATTRIBUTE: &str = "custom:role";

/// Error codes that mean Cognito refused the values (422 on `email`), not that it failed.
const REFUSALS: [&str; 3] = [
    "InvalidParameterException",
    "CodeDeliveryFailureException",
    "UnsupportedUserStateException",
];

/// A Cognito client from the Lambda environment (region, credentials, and `AWS_ENDPOINT_URL` for a
/// local endpoint such as moto), configured as every other client of the adapters.
pub async fn cognito_client_from_env() -> Client {
    Client::new(&super::sdk_config_from_env().await)
}

/// People's sign-in accounts in a Cognito user pool.
#[derive(Clone, Debug)]
pub struct CognitoIdentityProvider {
    client: Client,
    user_pool_id: String,
}

/// An existing account, as far as we use it.
struct PoolUser {
    /// The username Cognito keys it by (the `sub`, in a pool that signs in by e-mail).
    username: String,
    sub: String,
    tenant: Option<String>,
    role: Option<String>,
    enabled: bool,
    status: Option<UserStatusType>,
}

impl PoolUser {
    fn from(user: AdminGetUserOutput) -> Self {
        let attribute = |name: &str| {
            user.user_attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
                .map(str::to_owned)
        };
        PoolUser {
            sub: attribute("sub").unwrap_or_else(|| user.username().to_owned()),
            tenant: attribute(TENANT_ATTRIBUTE),
            role: attribute(ROLE_ATTRIBUTE),
            username: user.username().to_owned(),
            enabled: user.enabled(),
            status: user.user_status().cloned(),
        }
    }

    fn belongs_to(&self, tenant: &TenantId) -> bool {
        self.tenant.as_deref() == Some(tenant.as_str())
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, IdentityError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| IdentityError::Unavailable(e.to_string()))
}

/// What an SDK error means for the caller: a refusal of the values, or Cognito being unavailable
/// (throttling, 5xx, timeouts, and anything that retrying or fixing the deployment may cure).
fn failed<E>(what: &str, e: SdkError<E, HttpResponse>) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = e.code().map(str::to_owned);
    match code.as_deref() {
        Some(c) if REFUSALS.contains(&c) && status.is_none_or(|s| s < 500) => {
            IdentityError::Refused(e.message().unwrap_or(c).to_owned())
        }
        Some("AliasExistsException" | "UsernameExistsException") => {
            IdentityError::Taken("another account already signs in with this e-mail".into())
        }
        _ => IdentityError::Unavailable(format!("Cognito {what}: {}", DisplayErrorContext(e))),
    }
}

impl CognitoIdentityProvider {
    pub fn new(client: Client, user_pool_id: impl Into<String>) -> Self {
        Self {
            client,
            user_pool_id: user_pool_id.into(),
        }
    }

    pub fn user_pool_id(&self) -> &str {
        &self.user_pool_id
    }

    /// The account `username` (a username, or an e-mail) names, if there is one.
    async fn user(&self, username: &str) -> Result<Option<PoolUser>, IdentityError> {
        let got = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await;
        match got {
            Ok(user) => Ok(Some(PoolUser::from(user))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_user_not_found_exception()) => Ok(None),
            Err(e) => Err(failed("AdminGetUser", e)),
        }
    }

    /// The employee's account: the one they were linked to (`user_id`, the subject they signed in
    /// as), else the one their e-mail names.
    async fn account_of(&self, employee: &Employee) -> Result<Option<PoolUser>, IdentityError> {
        if let Some(subject) = employee.user_id.as_deref().filter(|s| !s.is_empty())
            && let Some(user) = self.user(subject).await?
        {
            return Ok(Some(user));
        }
        match employee.email.as_deref().map(EmailAddress::parse) {
            Some(Ok(email)) => self.user(email.as_str()).await,
            _ => Ok(None),
        }
    }

    /// Brings the account in line with the employee: their role, and whether they may sign in
    /// (disabling also signs them out everywhere: their refresh tokens stop working, so no new
    /// ID token is issued; one already issued works until it expires).
    async fn align(&self, user: &PoolUser, employee: &Employee) -> Result<(), IdentityError> {
        let role = employee.role.as_str();
        if user.role.as_deref() != Some(role) {
            self.client
                .admin_update_user_attributes()
                .user_pool_id(&self.user_pool_id)
                .username(&user.username)
                .user_attributes(attribute(ROLE_ATTRIBUTE, role)?)
                .send()
                .await
                .map_err(|e| failed("AdminUpdateUserAttributes", e))?;
        }
        if employee.disabled {
            if user.enabled {
                self.client
                    .admin_disable_user()
                    .user_pool_id(&self.user_pool_id)
                    .username(&user.username)
                    .send()
                    .await
                    .map_err(|e| failed("AdminDisableUser", e))?;
            }
            // Every time, so a sign-out that failed after the account was disabled is made up for.
            self.client
                .admin_user_global_sign_out()
                .user_pool_id(&self.user_pool_id)
                .username(&user.username)
                .send()
                .await
                .map_err(|e| failed("AdminUserGlobalSignOut", e))?;
        } else if !user.enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.user_pool_id)
                .username(&user.username)
                .send()
                .await
                .map_err(|e| failed("AdminEnableUser", e))?;
        }
        Ok(())
    }

    /// Invites an existing account of the tenant again: a new temporary password by e-mail while
    /// the first was never used; once a password was set, a reset (Cognito e-mails a code, and
    /// the sign-in page asks for it and a new password; the old password stops working).
    async fn invite_again(&self, user: &PoolUser, email: &EmailAddress) -> Result<(), IdentityError> {
        match user.status {
            Some(UserStatusType::ForceChangePassword) => self
                .client
                .admin_create_user()
                .user_pool_id(&self.user_pool_id)
                .username(email.as_str())
                .message_action(MessageActionType::Resend)
                .desired_delivery_mediums(DeliveryMediumType::Email)
                .send()
                .await
                .map(drop)
                .map_err(|e| failed("AdminCreateUser (resend)", e)),
            _ => self
                .client
                .admin_reset_user_password()
                .user_pool_id(&self.user_pool_id)
                .username(&user.username)
                .send()
                .await
                .map(drop)
                .map_err(|e| failed("AdminResetUserPassword", e)),
        }
    }
}

#[async_trait]
impl IdentityProvider for CognitoIdentityProvider {
    /// Creates the account (username: the e-mail, verified; the tenant and the role as
    /// attributes) and lets Cognito e-mail the invitation with a temporary password. An account
    /// of the tenant with this e-mail already is invited again; one of another tenant is 409.
    async fn invite(&self, tenant: &TenantId, employee: &Employee) -> Result<InvitationSent, IdentityError> {
        let email = employee
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .and_then(Result::ok)
            .ok_or_else(|| IdentityError::Refused("the employee has no e-mail".into()))?;
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .user_attributes(attribute("email", email.as_str())?)
            .user_attributes(attribute("email_verified", "true")?)
            .user_attributes(attribute(TENANT_ATTRIBUTE, tenant.as_str())?)
            .user_attributes(attribute(ROLE_ATTRIBUTE, employee.role.as_str())?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await;
        match created {
            Ok(out) => {
                let user = out
                    .user()
                    .ok_or_else(|| IdentityError::Unavailable("Cognito created no user".into()))?;
                let sub = user
                    .attributes()
                    .iter()
                    .find(|a| a.name() == "sub")
                    .and_then(|a| a.value())
                    .or(user.username())
                    .ok_or_else(|| IdentityError::Unavailable("Cognito named no subject".into()))?;
                tracing::info!(%tenant, employee = %employee.id, "Cognito account created and invitation e-mailed");
                Ok(InvitationSent::Emailed {
                    subject: sub.to_owned(),
                })
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_username_exists_exception()) => {
                let user = self
                    .user(email.as_str())
                    .await?
                    .ok_or_else(|| IdentityError::Unavailable("the account was deleted meanwhile; try again".into()))?;
                if !user.belongs_to(tenant) {
                    return Err(IdentityError::Taken(
                        "another account already signs in with this e-mail".into(),
                    ));
                }
                self.align(&user, employee).await?;
                self.invite_again(&user, &email).await?;
                tracing::info!(%tenant, employee = %employee.id, "Cognito invitation sent again");
                Ok(InvitationSent::Emailed { subject: user.sub })
            }
            Err(e) => Err(failed("AdminCreateUser", e)),
        }
    }

    /// Follows the employee's role and whether they may sign in. Nothing for one never invited,
    /// nor for an account that belongs to another tenant.
    async fn follow(&self, tenant: &TenantId, employee: &Employee) -> Result<(), IdentityError> {
        let Some(user) = self.account_of(employee).await? else {
            return Ok(());
        };
        if !user.belongs_to(tenant) {
            tracing::warn!(%tenant, employee = %employee.id, "the employee's sign-in account belongs to another tenant: left alone");
            return Ok(());
        }
        self.align(&user, employee).await
    }
}
