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
//!
//! Cognito is called through its JSON protocol directly ([`CognitoApi`]: SigV4-signed `POST`s with
//! `X-Amz-Target`, on the reqwest client the adapters already link) rather than through
//! `aws-sdk-cognitoidentityprovider`, whose generated client added about 0.55 MB to the admin
//! function (over the 8 MB aim); the SDK stays for the tests and `aws-stack` (feature
//! `aws-cognito-sdk`).

use crate::ports::{IdentityError, IdentityProvider, InvitationSent};
use async_trait::async_trait;
use domain::directory::Employee;
use domain::identity::EmailAddress;
use domain::ids::TenantId;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

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

/// How long one call may take, and how many times a call that may pass is tried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPTS: u32 = 3;

/// Cognito's API (its JSON 1.1 protocol), signed with the Lambda's credentials.
#[derive(Clone, Debug)]
pub struct CognitoApi {
    http: reqwest::Client,
    endpoint: String,
    region: String,
}

/// A failed call: the HTTP status (none when no answer came), Cognito's error code and message.
#[derive(Debug)]
struct CallError {
    status: Option<u16>,
    code: Option<String>,
    message: String,
}

impl CognitoApi {
    /// From the Lambda environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`), and
    /// `AWS_ENDPOINT_URL` for a local endpoint (moto); credentials are read at each call from
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(&|name| std::env::var(name).ok())
    }

    /// As [`CognitoApi::from_env`], the region and endpoint from `vars`.
    pub fn from_vars(vars: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| vars(name).filter(|v| !v.trim().is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or("AWS_REGION is not set")?;
        let endpoint = var("AWS_ENDPOINT_URL")
            .map(|e| format!("{}/", e.trim_end_matches('/')))
            .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com/"));
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http, endpoint, region })
    }

    /// `action` with `body`; its answer. Throttling, 5xx and transport failures are tried again
    /// (up to three attempts, with a short backoff).
    async fn call(&self, action: &str, body: &Value) -> Result<Value, CallError> {
        let body = body.to_string();
        let mut attempt = 1;
        loop {
            match self.attempt(action, &body).await {
                Err(e) if attempt < ATTEMPTS && e.may_pass() => {
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn attempt(&self, action: &str, body: &str) -> Result<Value, CallError> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let failed = |message: String| CallError {
            status: None,
            code: None,
            message,
        };
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) else {
            return Err(failed("no AWS credentials in the environment".into()));
        };
        let identity =
            aws_credential_types::Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment").into();
        let target = format!("AWSCognitoIdentityProviderService.{action}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("cognito-idp")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| failed(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| failed(e.to_string()))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| failed(e.to_string()))?.into_parts();
        let mut request = self.http.post(&self.endpoint).body(body.to_owned());
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| failed(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(value);
        }
        // `__type` is `Code` or `namespace#Code`.
        let code = value["__type"]
            .as_str()
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
        let message = value["message"]
            .as_str()
            .or(value["Message"].as_str())
            .unwrap_or_default()
            .to_owned();
        Err(CallError {
            status: Some(status),
            code,
            message,
        })
    }
}

impl CallError {
    fn may_pass(&self) -> bool {
        self.status.is_none_or(|s| s >= 500)
            || matches!(
                self.code.as_deref(),
                Some("TooManyRequestsException" | "ThrottlingException" | "LimitExceededException")
            )
    }

    fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// People's sign-in accounts in a Cognito user pool.
#[derive(Clone, Debug)]
pub struct CognitoIdentityProvider {
    api: CognitoApi,
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
    /// `FORCE_CHANGE_PASSWORD`, `CONFIRMED`, `RESET_REQUIRED`...
    status: Option<String>,
}

/// The value of attribute `name` in a list of `{"Name", "Value"}`.
fn attribute_in(attributes: &Value, name: &str) -> Option<String> {
    attributes
        .as_array()?
        .iter()
        .find(|a| a["Name"].as_str() == Some(name))
        .and_then(|a| a["Value"].as_str())
        .map(str::to_owned)
}

impl PoolUser {
    fn from(user: &Value) -> Self {
        let username = user["Username"].as_str().unwrap_or_default().to_owned();
        let attributes = &user["UserAttributes"];
        PoolUser {
            sub: attribute_in(attributes, "sub").unwrap_or_else(|| username.clone()),
            tenant: attribute_in(attributes, TENANT_ATTRIBUTE),
            role: attribute_in(attributes, ROLE_ATTRIBUTE),
            enabled: user["Enabled"].as_bool().unwrap_or(true),
            status: user["UserStatus"].as_str().map(str::to_owned),
            username,
        }
    }

    fn belongs_to(&self, tenant: &TenantId) -> bool {
        self.tenant.as_deref() == Some(tenant.as_str())
    }
}

fn attribute(name: &str, value: &str) -> Value {
    json!({"Name": name, "Value": value})
}

/// What a failed call means for the caller: a refusal of the values, or Cognito being
/// unavailable (throttling, 5xx, timeouts, and anything that retrying or fixing the deployment
/// may cure).
fn failed(what: &str, e: CallError) -> IdentityError {
    match e.code.as_deref() {
        Some(c) if REFUSALS.contains(&c) && e.status.is_none_or(|s| s < 500) => {
            IdentityError::Refused(if e.message.is_empty() { c.to_owned() } else { e.message })
        }
        Some("AliasExistsException" | "UsernameExistsException") => {
            IdentityError::Taken("another account already signs in with this e-mail".into())
        }
        code => {
            let status = e.status.map(|s| s.to_string());
            let said: Vec<&str> = [status.as_deref(), code, Some(e.message.as_str())]
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .collect();
            IdentityError::Unavailable(format!("Cognito {what}: {}", said.join(" ")))
        }
    }
}

impl CognitoIdentityProvider {
    pub fn new(api: CognitoApi, user_pool_id: impl Into<String>) -> Self {
        Self {
            api,
            user_pool_id: user_pool_id.into(),
        }
    }

    /// Calls `action` on the pool with `body`'s other fields.
    async fn on_pool(&self, action: &str, mut body: Value) -> Result<Value, CallError> {
        body["UserPoolId"] = json!(self.user_pool_id);
        self.api.call(action, &body).await
    }

    pub fn user_pool_id(&self) -> &str {
        &self.user_pool_id
    }

    /// The account `username` (a username, or an e-mail) names, if there is one.
    async fn user(&self, username: &str) -> Result<Option<PoolUser>, IdentityError> {
        match self.on_pool("AdminGetUser", json!({"Username": username})).await {
            Ok(user) => Ok(Some(PoolUser::from(&user))),
            Err(e) if e.is("UserNotFoundException") => Ok(None),
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
        let username = json!({"Username": user.username});
        if user.role.as_deref() != Some(role) {
            let body = json!({"Username": user.username, "UserAttributes": [attribute(ROLE_ATTRIBUTE, role)]});
            self.on_pool("AdminUpdateUserAttributes", body)
                .await
                .map_err(|e| failed("AdminUpdateUserAttributes", e))?;
        }
        if employee.disabled {
            if user.enabled {
                self.on_pool("AdminDisableUser", username.clone())
                    .await
                    .map_err(|e| failed("AdminDisableUser", e))?;
            }
            // Every time, so a sign-out that failed after the account was disabled is made up for.
            self.on_pool("AdminUserGlobalSignOut", username)
                .await
                .map_err(|e| failed("AdminUserGlobalSignOut", e))?;
        } else if !user.enabled {
            self.on_pool("AdminEnableUser", username)
                .await
                .map_err(|e| failed("AdminEnableUser", e))?;
        }
        Ok(())
    }

    /// Invites an existing account of the tenant again: a new temporary password by e-mail while
    /// the first was never used; once a password was set, a reset (Cognito e-mails a code, and
    /// the sign-in page asks for it and a new password; the old password stops working).
    async fn invite_again(&self, user: &PoolUser, email: &EmailAddress) -> Result<(), IdentityError> {
        if user.status.as_deref() == Some("FORCE_CHANGE_PASSWORD") {
            let body =
                json!({"Username": email.as_str(), "MessageAction": "RESEND", "DesiredDeliveryMediums": ["EMAIL"]});
            self.on_pool("AdminCreateUser", body)
                .await
                .map(drop)
                .map_err(|e| failed("AdminCreateUser (resend)", e))
        } else {
            self.on_pool("AdminResetUserPassword", json!({"Username": user.username}))
                .await
                .map(drop)
                .map_err(|e| failed("AdminResetUserPassword", e))
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
        let body = json!({
            "Username": email.as_str(),
            "UserAttributes": [
                attribute("email", email.as_str()),
                attribute("email_verified", "true"),
                attribute(TENANT_ATTRIBUTE, tenant.as_str()),
                attribute(ROLE_ATTRIBUTE, employee.role.as_str()),
            ],
            "DesiredDeliveryMediums": ["EMAIL"],
        });
        match self.on_pool("AdminCreateUser", body).await {
            Ok(out) => {
                let user = &out["User"];
                let sub = attribute_in(&user["Attributes"], "sub")
                    .or_else(|| user["Username"].as_str().map(str::to_owned))
                    .ok_or_else(|| IdentityError::Unavailable("Cognito named no subject".into()))?;
                tracing::info!(%tenant, employee = %employee.id, "Cognito account created and invitation e-mailed");
                Ok(InvitationSent::Emailed { subject: sub })
            }
            Err(e) if e.is("UsernameExistsException") => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: Option<u16>, code: Option<&str>) -> CallError {
        CallError {
            status,
            code: code.map(str::to_owned),
            message: "said".into(),
        }
    }

    #[test]
    fn cognito_errors_map_to_what_the_caller_can_do() {
        let refused = failed("X", error(Some(400), Some("InvalidParameterException")));
        assert!(matches!(refused, IdentityError::Refused(m) if m == "said"));
        let taken = failed("X", error(Some(400), Some("UsernameExistsException")));
        assert!(matches!(taken, IdentityError::Taken(_)));
        for (status, code) in [
            (Some(400), Some("TooManyRequestsException")),
            (Some(500), Some("InternalErrorException")),
            (Some(400), Some("NotAuthorizedException")),
            (None, None),
        ] {
            let e = error(status, code);
            assert_eq!(
                e.may_pass(),
                code != Some("NotAuthorizedException"),
                "{status:?} {code:?}"
            );
            assert!(
                matches!(failed("X", e), IdentityError::Unavailable(_)),
                "{status:?} {code:?}"
            );
        }
        let unavailable = failed("AdminGetUser", error(Some(503), None));
        assert!(matches!(unavailable, IdentityError::Unavailable(m) if m == "Cognito AdminGetUser: 503 said"));
    }
}
