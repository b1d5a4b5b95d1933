//! The local server's own sign-in (on AWS, Cognito's hosted pages do this): signing in with an
//! e-mail and a password, the session cookie and its CSRF token, signing out, invitation links
//! (an administrator invites an employee; the first administrator of a new tenant), each handler
//! one call of `services::identity`.
//!
//! - `POST /v1/session` `{email, password}`: signs in; sets the session cookie (HttpOnly,
//!   SameSite=Strict, Secure when the server is reached over HTTPS) and answers the CSRF token.
//! - `GET /v1/session`: the CSRF token of the current session (the page keeps it in memory only).
//! - `DELETE /v1/session`: signs out (with the CSRF token).
//! - `POST /v1/invitation` `{token}`: what a link is for (whom it invites), without using it.
//! - `POST /v1/invitation/accept` `{token, password, name?, email?}`: sets the password, signs in.
//! - `GET /v1/api-tokens`, `POST /v1/api-tokens` `{name, role}` (the token is in this answer
//!   only), `DELETE /v1/api-tokens/{id}`: administrators' tokens for scripts.
//!
//! Tokens travel in bodies, never in a URL the server sees (the page reads the link's token from
//! the fragment).

use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use http_api::auth::{SESSION_COOKIE, session_cookie};
use http_api::error::ApiResult;
use http_api::{Admin, ApiError, Authenticator, Caller, JsonBody};
use serde::{Deserialize, Serialize};
use services::identity::{Identity, InvitationLink, NewAdministrator, SignedIn};
use std::sync::Arc;

/// What the sign-in routes need.
#[derive(Clone)]
pub struct SignInState {
    pub identity: Identity,
    pub auth: Arc<Authenticator>,
    /// Whether the cookie is marked `Secure` (the server is reached over HTTPS).
    pub secure_cookie: bool,
}

impl axum::extract::FromRef<SignInState> for Arc<Authenticator> {
    fn from_ref(state: &SignInState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// The routes above.
pub fn router(state: SignInState) -> Router {
    Router::new()
        .route("/v1/session", post(sign_in).get(current).delete(sign_out))
        .route("/v1/invitation", post(invitation))
        .route("/v1/invitation/accept", post(accept))
        .route("/v1/api-tokens", get(api_tokens).post(issue_api_token))
        .route("/v1/api-tokens/{id}", delete(revoke_api_token))
        .with_state(state)
}

/// The page that uses an invitation link's token.
pub fn invitation_url(base: &str, link: &InvitationLink) -> String {
    format!("{base}/#/invite/{}", link.token.reveal())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct SessionView {
    csrf_token: String,
    role: &'static str,
}

fn session_cookie_header(state: &SignInState, value: &str, max_age: i64) -> ApiResult<HeaderValue> {
    let secure = if state.secure_cookie { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(|_| ApiError::Internal("a session cookie that is not a header value".into()))
}

fn signed_in_response(state: &SignInState, signed_in: SignedIn) -> ApiResult<Response> {
    let max_age = (signed_in.expires_at - state.identity.clock.now()).num_seconds().max(0);
    let cookie = session_cookie_header(state, &signed_in.session.reveal(), max_age)?;
    let view = SessionView {
        csrf_token: signed_in.csrf_token,
        role: signed_in.person.role.as_str(),
    };
    let mut response = (StatusCode::OK, Json(view)).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// Sign-in and accepting an invitation take `application/json` only: a page on another site can
/// post a form (text/plain) without asking, but not JSON, so it cannot sign a visitor in to an
/// account of its own (login CSRF).
fn json_only(headers: &HeaderMap) -> ApiResult<()> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::BadRequest("send the body as application/json".into()))
    }
}

async fn sign_in(
    State(s): State<SignInState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignInBody>,
) -> ApiResult<Response> {
    json_only(&headers)?;
    let signed_in = s.identity.sign_in(&body.email, &body.password).await?;
    tracing::info!(tenant = %signed_in.person.tenant, employee = %signed_in.person.user, "signed in");
    signed_in_response(&s, signed_in)
}

async fn current(State(s): State<SignInState>, headers: HeaderMap) -> ApiResult<Json<SessionView>> {
    let cookie = cookie_of(&headers).ok_or(ApiError::Unauthorized("not signed in"))?;
    let caller = s
        .identity
        .session(&cookie)
        .await?
        .ok_or(ApiError::Unauthorized("the session has ended; sign in again"))?;
    Ok(Json(SessionView {
        csrf_token: caller.csrf_token,
        role: caller.person.role.as_str(),
    }))
}

async fn sign_out(State(s): State<SignInState>, caller: Caller, headers: HeaderMap) -> ApiResult<Response> {
    // `caller` proves the session and its CSRF token; a bearer token has no session to end.
    if let Some(cookie) = cookie_of(&headers) {
        s.identity.sign_out(&cookie).await?;
    }
    tracing::info!(tenant = %caller.tenant, user = %caller.user, "signed out");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, session_cookie_header(&s, "", 0)?);
    Ok(response)
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    session_cookie(headers).map(str::to_owned)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Serialize)]
struct InvitationView {
    /// `employee` (set a password) or `first_administrator` (also a name and an e-mail).
    kind: &'static str,
    name: Option<String>,
    email: Option<String>,
}

async fn invitation(
    State(s): State<SignInState>,
    JsonBody(body): JsonBody<TokenBody>,
) -> ApiResult<Json<InvitationView>> {
    Ok(Json(match s.identity.invitation(&body.token).await? {
        Some(employee) => InvitationView {
            kind: "employee",
            name: Some(employee.name.as_str().to_owned()),
            email: employee.email,
        },
        None => InvitationView {
            kind: "first_administrator",
            name: None,
            email: None,
        },
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    password: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

async fn accept(
    State(s): State<SignInState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AcceptBody>,
) -> ApiResult<Response> {
    json_only(&headers)?;
    let new_admin = NewAdministrator {
        name: body.name.unwrap_or_default(),
        email: body.email.unwrap_or_default(),
    };
    let signed_in = s
        .identity
        .accept_invitation(&body.token, &body.password, Some(new_admin))
        .await?;
    tracing::info!(tenant = %signed_in.person.tenant, employee = %signed_in.person.user, "invitation accepted");
    signed_in_response(&s, signed_in)
}

#[derive(Serialize)]
struct ApiTokenView {
    id: String,
    name: String,
    role: &'static str,
    created_at: chrono::DateTime<chrono::Utc>,
    created_by: String,
    /// Only in the answer that issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl ApiTokenView {
    fn of(t: domain::identity::ApiToken, token: Option<String>) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.as_str(),
            created_at: t.created_at,
            created_by: t.created_by,
            token,
        }
    }
}

#[derive(Serialize)]
struct ApiTokensView {
    items: Vec<ApiTokenView>,
}

async fn api_tokens(State(s): State<SignInState>, Admin(admin): Admin) -> ApiResult<Json<ApiTokensView>> {
    let tokens = s.identity.api_tokens(&admin.person()).await?;
    Ok(Json(ApiTokensView {
        items: tokens.into_iter().map(|t| ApiTokenView::of(t, None)).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApiToken {
    name: String,
    #[serde(default)]
    role: domain::access::Role,
}

async fn issue_api_token(
    State(s): State<SignInState>,
    Admin(admin): Admin,
    JsonBody(body): JsonBody<NewApiToken>,
) -> ApiResult<(StatusCode, Json<ApiTokenView>)> {
    let issued = s
        .identity
        .issue_api_token(&admin.person(), &body.name, body.role)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiTokenView::of(issued.record, Some(issued.token))),
    ))
}

async fn revoke_api_token(
    State(s): State<SignInState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.identity.revoke_api_token(&admin.person(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
