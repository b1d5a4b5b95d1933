//! The operators' notification feed (R-J2: «Отклик на вакансию: …»), newest first. A client polls
//! the first page and stops at the first notification it has seen.

use crate::OperatorState;
use axum::Json;
use axum::extract::{Query, State};
use domain::notification::Notification;
use http_api::error::ApiResult;
use http_api::{Caller, PageQuery, PageView};

/// `GET /v1/notifications`: the tenant's notifications, newest first, paged.
#[utoipa::path(get, path = "/v1/notifications", tag = "conversations", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, newest first", body = PageView<Notification>),
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn notifications(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Notification>>> {
    let (limit, after) = q.parse()?;
    let page = s.config.notifications(&caller.tenant, after.as_deref(), limit).await?;
    Ok(Json(PageView::from_page(page, |n| n)))
}
