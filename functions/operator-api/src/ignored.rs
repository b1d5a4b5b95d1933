//! The deliveries from Avito that changed nothing (R-X1), for administrators: why each was
//! ignored, and replaying one (processed again now, the outcome answered). The HTTP edge of
//! [`services::desk::Desk::ignored_deliveries`] and [`services::desk::Desk::replay_ignored`].

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use domain::{DateTime, Utc};
use http_api::error::ApiResult;
use http_api::{Admin, ApiError, PageQuery, PageView, Query};
use serde::Serialize;
use services::inbound::Outcome;

/// A delivery that changed nothing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IgnoredDeliveryView {
    /// Pass to `POST /v1/ignored-deliveries/{id}/replay`.
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub channel_id: String,
    /// The channel's name (empty when it was deleted).
    pub channel_name: String,
    /// A stable code: `channel_gone`, `channel_not_connected`, `other_account`,
    /// `not_this_accounts_chat`, `account_message_without_conversation`, `not_a_jobs_channel`,
    /// `unknown_response`, `response_conversation_closed`.
    pub code: String,
    /// Why, in Russian.
    pub reason: String,
}

/// `GET /v1/ignored-deliveries`: newest first (administrators).
#[utoipa::path(get, path = "/v1/ignored-deliveries", operation_id = "list_ignored_deliveries", tag = "conversations", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, newest first", body = PageView<IgnoredDeliveryView>),
        (status = 403, description = "Operators do not see them", body = http_api::ErrorBody)
    ))]
pub async fn list(
    State(s): State<OperatorState>,
    Admin(caller): Admin,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<IgnoredDeliveryView>>> {
    let (limit, after) = q.parse()?;
    let page = s
        .desk
        .ignored_deliveries(&caller.person(), after.as_deref(), limit)
        .await?;
    Ok(Json(PageView::from_page(page, |(d, channel_name)| {
        IgnoredDeliveryView {
            channel_name,
            id: d.key,
            received_at: d.received_at,
            channel_id: d.channel_id.as_str().to_owned(),
            code: d.code,
            reason: d.reason,
        }
    })))
}

/// What replaying did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplayView {
    /// `stored`, `duplicate` (it was stored before), `held` (a response waiting for a message)
    /// or `ignored` (again: see `reason`; it is kept anew).
    pub outcome: &'static str,
    pub conversation_id: Option<String>,
    /// Why it was ignored again, in Russian.
    pub reason: Option<&'static str>,
}

/// `POST /v1/ignored-deliveries/{id}/replay`: processes the delivery again now (administrators).
#[utoipa::path(post, path = "/v1/ignored-deliveries/{id}/replay", tag = "conversations", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Processed again", body = ReplayView),
        (status = 403, description = "Operators do not replay", body = http_api::ErrorBody),
        (status = 404, description = "No such ignored delivery in your tenant", body = http_api::ErrorBody),
        (status = 503, description = "A dependency is unavailable; try again", body = http_api::ErrorBody)
    ))]
pub async fn replay(
    State(s): State<OperatorState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ReplayView>> {
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::not_found("ignored delivery"));
    }
    let view = match s.desk.replay_ignored(&caller.person(), &id).await? {
        Outcome::Stored { conversation, .. } => ReplayView {
            outcome: "stored",
            conversation_id: Some(conversation.to_string()),
            reason: None,
        },
        Outcome::Duplicate => ReplayView {
            outcome: "duplicate",
            conversation_id: None,
            reason: None,
        },
        Outcome::Held => ReplayView {
            outcome: "held",
            conversation_id: None,
            reason: None,
        },
        Outcome::Ignored(why) => ReplayView {
            outcome: "ignored",
            conversation_id: None,
            reason: Some(why.reason()),
        },
    };
    Ok(Json(view))
}
