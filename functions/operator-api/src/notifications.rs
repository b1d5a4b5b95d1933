//! The operator's notification feed, newest first: responses to vacancies (R-J2: «Отклик на
//! вакансию: …», for everyone), conversations assigned to them, and clients writing again in their
//! conversations. Each shows whether it is unread; marking the feed read up to a time is one
//! request. A client polls the first page and stops at the first notification it has seen. The
//! HTTP edge of [`services::desk::team`].

use crate::OperatorState;
use axum::Json;
use axum::extract::State;
use domain::notification::Notification;
use domain::{DateTime, Utc};
use http_api::error::ApiResult;
use http_api::{Caller, JsonBody, PageQuery, PageView, Query};
use serde::{Deserialize, Serialize};

/// A notification in a feed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    #[serde(flatten)]
    pub notification: Notification,
    /// Newer than the caller's "read until".
    pub unread: bool,
}

/// `GET /v1/notifications`: the caller's notifications, newest first, paged.
#[utoipa::path(get, path = "/v1/notifications", tag = "conversations", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, newest first", body = PageView<NotificationView>),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn notifications(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<NotificationView>>> {
    let (limit, after) = q.parse()?;
    let page = s.desk.notifications(&caller.person(), after, limit).await?;
    Ok(Json(PageView::from_page(page, |item| NotificationView {
        notification: item.notification,
        unread: item.unread,
    })))
}

/// How far the feed is read.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUntil {
    /// Notifications at or before this time are read; now when absent.
    #[serde(default)]
    pub read_until: Option<DateTime<Utc>>,
}

/// `POST /v1/notifications/read`: marks the caller's notifications read up to a time (now by
/// default). A later time than the one saved moves it on; an earlier one changes nothing.
#[utoipa::path(post, path = "/v1/notifications/read", tag = "conversations", request_body = ReadUntil,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Read up to this time", body = ReadUntil),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn mark_read(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(body): JsonBody<ReadUntil>,
) -> ApiResult<Json<ReadUntil>> {
    let read_until = s.desk.read_notifications(&caller.person(), body.read_until).await?;
    Ok(Json(ReadUntil { read_until }))
}
