//! Who the caller is (`GET /v1/me`, for an interface to show the right screens), and an
//! operator's presence: online operators under capacity get auto-assigned conversations (R-CS2);
//! offline ones get none. The HTTP edge of [`services::desk::team`].

use crate::OperatorState;
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
        (status = 200, description = "The caller", body = MeView)
    ))]
pub async fn me(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<MeView>> {
    let me = s.desk.whoami(&caller.person()).await?;
    Ok(Json(MeView {
        user: caller.user.clone(),
        role: caller.role.as_str().to_owned(),
        tenant: caller.tenant.as_str().to_owned(),
        employee_id: me.employee_id.map(|e| e.as_str().to_owned()),
        name: me.name,
    }))
}

/// An employee on the team screen.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamMemberView {
    pub employee: domain::directory::Employee,
    /// Whether they said they are at work (auto-assignment gives them conversations).
    pub online: bool,
    /// Open conversations assigned to them now.
    pub open_conversations: u64,
}

/// The team.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamView {
    /// By name.
    pub items: Vec<TeamMemberView>,
}

/// `GET /v1/team`: every employee by name, who is online and how many conversations each holds.
#[utoipa::path(get, path = "/v1/team", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The team", body = TeamView),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn team(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<TeamView>> {
    let team = s.desk.team(&caller.person()).await?;
    Ok(Json(TeamView {
        items: team
            .into_iter()
            .map(|m| TeamMemberView {
                employee: m.employee,
                online: m.online,
                open_conversations: m.open_conversations,
            })
            .collect(),
    }))
}

/// `GET /v1/me/presence`.
#[utoipa::path(get, path = "/v1/me/presence", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's presence", body = Presence),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn get_presence(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<Presence>> {
    Ok(Json(s.desk.presence(&caller.person()).await?))
}

/// `PUT /v1/me/presence`: online or offline.
#[utoipa::path(put, path = "/v1/me/presence", tag = "conversations", request_body = PresenceBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Presence),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn put_presence(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(body): JsonBody<PresenceBody>,
) -> ApiResult<Json<Presence>> {
    Ok(Json(s.desk.set_online(&caller.person(), body.online).await?))
}
