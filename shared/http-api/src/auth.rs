//! Who is calling. On AWS, API Gateway's JWT authorizer has verified the token before the request
//! reaches us, and we read its claims (tenant, subject, role). Locally, a person signed in sends
//! the session cookie (and, on a request that changes something, the session's CSRF token in the
//! `X-CSRF-Token` header); scripts and bots send a bearer token from configuration, bound to a
//! tenant, a user and a role, compared in constant time.

use crate::error::ApiError;
use axum::extract::{FromRef, FromRequestParts};
use domain::ids::TenantId;
use http::request::Parts;
use lambda_http::request::RequestContext;
use services::identity::Identity;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub use domain::access::Role;

/// The authenticated caller. Every handler works in `tenant` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    /// The identity provider's subject.
    pub user: String,
    pub role: Role,
}

impl Caller {
    /// 403 unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Operator => Err(ApiError::Forbidden("only administrators can change the configuration")),
        }
    }

    /// The caller as the use cases know them.
    pub fn person(&self) -> services::desk::Person {
        services::desk::Person {
            tenant: self.tenant.clone(),
            user: self.user.clone(),
            role: self.role,
        }
    }
}

/// An administrator calling: extracted from the request's head, so a handler taking it refuses
/// an operator with 403 before its body is read (permission is checked before parsing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin(pub Caller);

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_admin()?;
        Ok(Admin(caller))
    }
}

/// The shortest local token accepted.
pub const MIN_LOCAL_TOKEN_LEN: usize = 12;
/// The cookie holding a signed-in browser's session (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "cc_session";
/// The header a session's state-changing request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How callers are recognised.
pub enum Authenticator {
    /// The local server: bearer tokens from configuration, and (when `accounts` is set) the
    /// sessions of people signed in and the API tokens administrators issued.
    Local {
        tokens: Vec<(String, Caller)>,
        accounts: Option<Identity>,
    },
    /// The claims of API Gateway's JWT authorizer (on AWS).
    ApiGatewayJwt {
        /// The claim holding the tenant id.
        tenant_claim: String,
        /// The claim holding `admin` or `operator`.
        role_claim: String,
    },
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authenticator::Local { tokens, accounts } => write!(
                f,
                "Local({} tokens, own accounts {})",
                tokens.len(),
                if accounts.is_some() { "on" } else { "off" }
            ),
            Authenticator::ApiGatewayJwt {
                tenant_claim,
                role_claim,
            } => {
                write!(
                    f,
                    "ApiGatewayJwt {{ tenant_claim: {tenant_claim}, role_claim: {role_claim} }}"
                )
            }
        }
    }
}

impl Authenticator {
    /// Parses `TOKEN:TENANT:USER:ROLE` entries separated by commas. Errors name the entry by
    /// position, never by its token.
    pub fn from_token_list(spec: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for (i, entry) in spec.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let n = i + 1;
            let parts: Vec<&str> = entry.split(':').collect();
            let [token, tenant, user, role] = parts[..] else {
                return Err(format!("token entry {n} is not TOKEN:TENANT:USER:ROLE"));
            };
            if token.len() < MIN_LOCAL_TOKEN_LEN {
                return Err(format!(
                    "token entry {n}: the token must be at least {MIN_LOCAL_TOKEN_LEN} characters"
                ));
            }
            let tenant = TenantId::parse(tenant).map_err(|e| format!("token entry {n}: tenant {e}"))?;
            let role = Role::parse(role).ok_or_else(|| format!("token entry {n}: role must be admin or operator"))?;
            if user.is_empty() {
                return Err(format!("token entry {n}: user must not be empty"));
            }
            out.push((
                token.to_owned(),
                Caller {
                    tenant,
                    user: user.to_owned(),
                    role,
                },
            ));
        }
        if out.is_empty() {
            return Err("no tokens configured".into());
        }
        Ok(Authenticator::Local {
            tokens: out,
            accounts: None,
        })
    }

    /// Also recognises people signed in with a session cookie and the API tokens administrators
    /// issued (the local server's own accounts).
    pub fn with_accounts(self, identity: Identity) -> Self {
        match self {
            Authenticator::Local { tokens, .. } => Authenticator::Local {
                tokens,
                accounts: Some(identity),
            },
            other => other,
        }
    }

    /// The caller of a request, or 401 (403 `csrf_failed` for a session's state-changing request
    /// without its CSRF token).
    pub async fn authenticate(&self, parts: &Parts) -> Result<Caller, ApiError> {
        match self {
            Authenticator::Local { tokens, accounts } => {
                let presented = match (bearer_token(parts), accounts, session_cookie(&parts.headers)) {
                    (Some(token), _, _) => token,
                    (None, Some(identity), Some(cookie)) => return session_caller(identity, parts, cookie).await,
                    _ => return Err(ApiError::Unauthorized("sign in, or send a bearer token")),
                };
                let mut found = None;
                // Compare against every token, without stopping early.
                for (token, caller) in tokens {
                    if bool::from(token.as_bytes().ct_eq(presented.as_bytes())) {
                        found = Some(caller);
                    }
                }
                if let Some(caller) = found {
                    return Ok(caller.clone());
                }
                // A token an administrator issued in the interface.
                let issued = match accounts {
                    Some(identity) => identity.api_token_caller(presented).await?,
                    None => None,
                };
                issued
                    .map(|person| Caller {
                        tenant: person.tenant,
                        user: person.user,
                        role: person.role,
                    })
                    .ok_or(ApiError::Unauthorized("the bearer token is not valid"))
            }
            Authenticator::ApiGatewayJwt {
                tenant_claim,
                role_claim,
            } => {
                let claims = match parts.extensions.get::<RequestContext>() {
                    Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                        .authorizer
                        .as_ref()
                        .and_then(|a| a.jwt.as_ref())
                        .map(|jwt| &jwt.claims),
                    _ => None,
                }
                .ok_or(ApiError::Unauthorized("the request carries no verified token"))?;
                let tenant = claims
                    .get(tenant_claim)
                    .and_then(|t| TenantId::parse(t.as_str()).ok())
                    .ok_or(ApiError::Unauthorized("the token names no valid tenant"))?;
                let role = claims
                    .get(role_claim)
                    .and_then(|r| Role::parse(r))
                    .ok_or(ApiError::Unauthorized("the token names no valid role"))?;
                let user = claims
                    .get("sub")
                    .cloned()
                    .ok_or(ApiError::Unauthorized("the token has no subject"))?;
                Ok(Caller { tenant, user, role })
            }
        }
    }
}

async fn session_caller(identity: &Identity, parts: &Parts, cookie: &str) -> Result<Caller, ApiError> {
    let signed_in = identity
        .session(cookie)
        .await?
        .ok_or(ApiError::Unauthorized("the session has ended; sign in again"))?;
    if !parts.method.is_safe() {
        let proof = parts.headers.get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
        if !bool::from(proof.ct_eq(signed_in.csrf_token.as_bytes())) {
            return Err(ApiError::CsrfRejected);
        }
    }
    let person = signed_in.person;
    Ok(Caller {
        tenant: person.tenant,
        user: person.user,
        role: person.role,
    })
}

/// The value of the session cookie, if the request has one.
pub fn session_cookie(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Arc::<Authenticator>::from_ref(state).authenticate(parts).await
    }
}

/// When the caller's session ends, when the request says: on AWS the verified ID token's `exp`
/// (API Gateway's JWT authorizer checked it); `None` elsewhere (a cookie session or an API token,
/// which the server checks at each request). Read after [`Caller`], never instead of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionEnds(pub Option<domain::DateTime<domain::Utc>>);

impl<S: Send + Sync> FromRequestParts<S> for SessionEnds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let exp = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .and_then(|jwt| jwt.claims.get("exp"))
                .and_then(|e| e.parse::<i64>().ok())
                .and_then(|e| domain::DateTime::from_timestamp(e, 0)),
            _ => None,
        };
        Ok(SessionEnds(exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
    };
    use std::collections::HashMap;

    fn parts(auth: Option<&str>) -> Parts {
        let mut b = http::Request::builder().uri("/v1/employees");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(()).expect("request builds").into_parts().0
    }

    fn local() -> Authenticator {
        Authenticator::from_token_list("admin-token-123:acme:anna:admin, oper-token-4567:acme:boris:operator")
            .expect("valid token list")
    }

    #[tokio::test]
    async fn a_configured_token_names_its_tenant_user_and_role() {
        let caller = local()
            .authenticate(&parts(Some("Bearer oper-token-4567")))
            .await
            .expect("authenticated");
        assert_eq!(
            (caller.tenant.as_str(), caller.user.as_str(), caller.role),
            ("acme", "boris", Role::Operator)
        );
        assert!(caller.require_admin().is_err());
    }

    #[tokio::test]
    async fn missing_or_unknown_tokens_are_401() {
        for auth in [
            None,
            Some("Bearer nope-nope-nope"),
            Some("Basic admin-token-123"),
            Some("Bearer "),
        ] {
            let err = local().authenticate(&parts(auth)).await.expect_err("rejected");
            assert_eq!(err.status(), http::StatusCode::UNAUTHORIZED, "{auth:?}");
        }
    }

    #[test]
    fn token_list_errors_never_echo_the_token() {
        let err = Authenticator::from_token_list("short:acme:anna:admin").expect_err("too short");
        assert!(!err.contains("short:"), "{err}");
        let err = Authenticator::from_token_list("long-enough-token:acme:anna:root").expect_err("bad role");
        assert!(!err.contains("long-enough-token"), "{err}");
    }

    /// A request as API Gateway's JWT authorizer hands it on, with the token's `claims`.
    fn verified(claims: HashMap<String, String>) -> Parts {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        ctx.authorizer = Some(authorizer);
        let mut p = parts(None);
        p.extensions.insert(RequestContext::ApiGatewayV2(ctx));
        p
    }

    #[tokio::test]
    async fn api_gateway_jwt_claims_name_the_caller() {
        let claims = HashMap::from([
            ("sub".to_owned(), "user-1".to_owned()),
            ("tenant_id".to_owned(), "acme".to_owned()),
            ("role".to_owned(), "admin".to_owned()),
        ]);
        let p = verified(claims);
        let auth = Authenticator::ApiGatewayJwt {
            tenant_claim: "tenant_id".into(),
            role_claim: "role".into(),
        };
        let caller = auth.authenticate(&p).await.expect("authenticated");
        assert_eq!((caller.tenant.as_str(), caller.role), ("acme", Role::Admin));
        // Without the authorizer's context nothing is trusted.
        assert!(auth.authenticate(&parts(Some("Bearer x"))).await.is_err());
    }

    #[tokio::test]
    async fn the_session_ends_when_the_verified_token_expires() {
        let mut p = verified(HashMap::from([("exp".to_owned(), "1800000000".to_owned())]));
        let ends = SessionEnds::from_request_parts(&mut p, &()).await.expect("read");
        assert_eq!(ends.0.map(|e| e.timestamp()), Some(1_800_000_000));
        // A cookie session or an API token: the server checks it at each request.
        let mut local = parts(Some("Bearer x"));
        assert_eq!(
            SessionEnds::from_request_parts(&mut local, &()).await.expect("read"),
            SessionEnds(None)
        );
    }
}
