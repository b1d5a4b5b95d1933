//! The audit log for administrators (R-X2): who signed in, who changed the team, the settings,
//! the schedule and the channels, newest first. Recorded by the use cases and this API's writes
//! (`services::audit`).

use crate::state::AdminState;
use axum::Json;
use axum::extract::State;
use domain::audit::AuditEntry;
use http_api::error::ApiResult;
use http_api::{Admin, PageQuery, PageView, Query};

/// The tenant's audit log, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "settings", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries, newest first", body = PageView<AuditEntry>),
        (status = 400, description = "A malformed cursor or limit", body = http_api::ErrorBody),
        (status = 401, description = "Not signed in", body = http_api::ErrorBody),
        (status = 403, description = "Only administrators read the audit log", body = http_api::ErrorBody)
    ))]
pub async fn list(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<AuditEntry>>> {
    let (limit, after) = q.parse()?;
    let page = s.audit.log(&caller.person(), after.as_deref(), limit).await?;
    Ok(Json(PageView::from_page(page, |e| e)))
}
