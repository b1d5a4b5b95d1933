//! Who the caller is (`GET /v1/me`, for an interface to show the right screens), and an
//! operator's presence: online operators under capacity get auto-assigned conversations (R-CS2);
//! offline ones get none.

use crate::OperatorState;
use crate::take::caller_employee;
use axum::Json;
use axum::extract::State;
use domain::directory::Presence;
use http_api::error::ApiResult;
use http_api::{Caller, JsonBody};
use serde::{Deserialize, Serialize};

/// The presence to set.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    pub online: bool,
}

/// The caller as the API sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    /// The identity provider's subject.
    pub user: String,
    /// `admin` or `operator`.
    pub role: String,
    pub tenant: String,
    /// The employee the caller works conversations as.
    pub employee_id: Option<String>,
    /// That employee's name, when the directory has them.
    pub name: Option<String>,
}

/// `GET /v1/me`: who the caller is.
#[utoipa::path(get, path = "/v1/me", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeView),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn me(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<MeView>> {
    let employee = caller_employee(&s, &caller).await.ok();
    let name = match &employee {
        Some(id) => s
            .config
            .get::<domain::directory::Employee>(&caller.tenant, id.as_str())
            .await?
            .map(|e| e.value.name.as_str().to_owned()),
        None => None,
    };
    Ok(Json(MeView {
        user: caller.user.clone(),
        role: match caller.role {
            http_api::Role::Admin => "admin",
            http_api::Role::Operator => "operator",
        }
        .to_owned(),
        tenant: caller.tenant.as_str().to_owned(),
        employee_id: employee.map(|e| e.as_str().to_owned()),
        name,
    }))
}

/// `GET /v1/me/presence`.
#[utoipa::path(get, path = "/v1/me/presence", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's presence", body = Presence),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn get_presence(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<Presence>> {
    let me = caller_employee(&s, &caller).await?;
    Ok(Json(s.config.presence(&caller.tenant, &me).await?))
}

/// `PUT /v1/me/presence`: online or offline.
#[utoipa::path(put, path = "/v1/me/presence", tag = "conversations", request_body = PresenceBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Presence),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn put_presence(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(body): JsonBody<PresenceBody>,
) -> ApiResult<Json<Presence>> {
    let me = caller_employee(&s, &caller).await?;
    let mut presence = s.config.presence(&caller.tenant, &me).await?;
    presence.online = body.online;
    s.config.put_presence(&caller.tenant, &me, &presence).await?;
    Ok(Json(presence))
}
