//! Connecting a channel to an Avito account from the admin API: start the authorization (Avito's
//! authorize page; the OAuth callback function finishes it), connect with the account's own key
//! pair, disconnect with confirmation.

use crate::directory::ChannelView;
use crate::state::AdminState;
use adapters::avito::AvitoError;
use axum::Json;
use axum::extract::{Path, State};
use domain::audit::{AuditAction, AuditSubjectKind};
use domain::validation::{Problem, ValidationErrors};
use http_api::error::ApiResult;
use http_api::{Admin, ApiError, JsonBody};
use serde::{Deserialize, Serialize};
use services::audit;
use services::connection::ConnectionError;

/// Maps a connection failure to the API's errors.
pub fn api_error(e: ConnectionError) -> ApiError {
    match e {
        ConnectionError::NotFound(what) => ApiError::not_found(what),
        ConnectionError::InvalidState => ApiError::BadRequest(e.to_string()),
        ConnectionError::Conflict(c) => ApiError::Conflict(c),
        ConnectionError::Invalid { field, problem } => ApiError::Validation(ValidationErrors::single(field, problem)),
        ConnectionError::Avito(AvitoError::InvalidClient) => {
            ApiError::Validation(ValidationErrors::single("client_secret", Problem::CredentialsRejected))
        }
        ConnectionError::Avito(a) if a.is_transient() => ApiError::Unavailable(a.to_string()),
        ConnectionError::Avito(AvitoError::SubscriptionRequired) => ApiError::BadGateway(
            "Avito requires the account's paid subscription (the «Максимальный» plan) for this API".into(),
        ),
        ConnectionError::Avito(a) => ApiError::BadGateway(format!("Avito: {a}")),
        ConnectionError::Store(s) => s.into(),
    }
}

/// Where to send the administrator to authorize the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthorizationView {
    /// Avito's authorize page, with a single-use `state` bound to this tenant and channel.
    pub authorize_url: String,
    /// Unix seconds after which the link no longer works.
    pub expires_at: i64,
}

/// Starts connecting a channel through Avito's authorize page.
#[utoipa::path(post, path = "/v1/channels/{id}/authorization", tag = "connection", params(http_api::openapi::IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open `authorize_url` in the browser", body = AuthorizationView),
        (status = 403, description = "Operators cannot connect channels", body = http_api::ErrorBody),
        (status = 404, description = "No such channel in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn start_authorization(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AuthorizationView>> {
    let start = s
        .connections
        .start_authorization(&caller.person(), &id)
        .await
        .map_err(api_error)?;
    Ok(Json(AuthorizationView {
        authorize_url: start.authorize_url,
        expires_at: start.expires_at,
    }))
}

/// The account's own key pair, from Avito's cabinet for professionals.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsBody {
    /// Not blank.
    #[schema(schema_with = not_blank)]
    pub client_id: String,
    /// Not blank.
    #[schema(schema_with = not_blank)]
    pub client_secret: String,
}

fn not_blank() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::not_blank().into()
}

/// Connects a channel with the account's own client_id and client_secret.
#[utoipa::path(post, path = "/v1/channels/{id}/connect", tag = "connection", params(http_api::openapi::IdPath),
    request_body = ClientCredentialsBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Connected; the channel shows the account", body = ChannelView),
        (status = 403, description = "Operators cannot connect channels", body = http_api::ErrorBody),
        (status = 404, description = "No such channel in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The channel changed meanwhile; try again", body = http_api::ErrorBody),
        (status = 422, description = "Avito did not accept the key pair (named in `fields`)", body = http_api::ErrorBody),
        (status = 502, description = "Avito answered with an error", body = http_api::ErrorBody)
    ))]
pub async fn connect(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ClientCredentialsBody>,
) -> ApiResult<Json<ChannelView>> {
    let channel = s
        .connections
        .connect_with_client_credentials(&caller.tenant, &id, &body.client_id, &body.client_secret)
        .await
        .map_err(api_error)?;
    let subject = audit::subject(AuditSubjectKind::Channel, channel.id.as_str(), channel.name.as_str());
    s.audit
        .record(&caller.person(), AuditAction::ChannelConnected, subject)
        .await;
    Ok(Json(channel.into()))
}

/// The explicit confirmation a disconnect needs.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisconnectBody {
    /// Must be `true` (422 otherwise, or when absent).
    #[serde(default)]
    #[schema(schema_with = confirmed, required = true)]
    pub confirm: bool,
}

fn confirmed() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::only_bool(true).into()
}

/// What a disconnect did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DisconnectView {
    pub channel: ChannelView,
    /// What could not be undone at Avito (the channel is disconnected all the same: its webhooks
    /// are refused from now on).
    pub warnings: Vec<String>,
}

/// Disconnects a channel: unsubscribes its webhooks and deletes its tokens (R-C5).
#[utoipa::path(post, path = "/v1/channels/{id}/disconnect", tag = "connection", params(http_api::openapi::IdPath),
    request_body = DisconnectBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disconnected", body = DisconnectView),
        (status = 403, description = "Operators cannot disconnect channels", body = http_api::ErrorBody),
        (status = 404, description = "No such channel in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The channel is not connected", body = http_api::ErrorBody),
        (status = 422, description = "Not confirmed", body = http_api::ErrorBody)
    ))]
pub async fn disconnect(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DisconnectBody>,
) -> ApiResult<Json<DisconnectView>> {
    let done = s
        .connections
        .disconnect(&caller.tenant, &id, body.confirm)
        .await
        .map_err(api_error)?;
    let channel = &done.channel;
    let subject = audit::subject(AuditSubjectKind::Channel, channel.id.as_str(), channel.name.as_str());
    s.audit
        .record(&caller.person(), AuditAction::ChannelDisconnected, subject)
        .await;
    Ok(Json(DisconnectView {
        channel: done.channel.into(),
        warnings: done.warnings,
    }))
}
