//! The operator's notification feed, newest first: responses to vacancies (R-J2: «Отклик на
//! вакансию: …», for everyone), conversations assigned to them, and clients writing again in their
//! conversations. Each shows whether it is unread; marking the feed read up to a time is one
//! request. A client polls the first page and stops at the first notification it has seen.

use crate::OperatorState;
use crate::take::caller_employee;
use adapters::configuration::Configuration;
use axum::Json;
use axum::extract::{Query, State};
use domain::notification::Notification;
use domain::{DateTime, Utc};
use http_api::error::ApiResult;
use http_api::{Caller, JsonBody, PageQuery, PageView};
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
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn notifications(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<NotificationView>>> {
    let me = caller_employee(&s, &caller).await?;
    let (limit, mut after) = q.parse()?;
    let read_until = s.config.presence(&caller.tenant, &me).await?.notifications_read_until;
    // Others' notifications are skipped; the cursor is the last one looked at, so paging goes on
    // from there without gaps.
    let mut items = Vec::new();
    let next = loop {
        let page = s.config.notifications(&caller.tenant, after.as_deref(), limit).await?;
        let mut seen = None;
        for n in page.items {
            seen = Some(Configuration::notification_key(&n));
            if n.is_for(&me) {
                items.push(NotificationView {
                    unread: read_until.is_none_or(|r| n.at > r),
                    notification: n,
                });
                if items.len() == limit as usize {
                    break;
                }
            }
        }
        let full = items.len() == limit as usize;
        match (page.next, full) {
            (Some(_), false) => after = seen,
            (_, true) => break seen,
            (None, false) => break None,
        }
    };
    Ok(Json(PageView {
        items,
        next_cursor: next,
    }))
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
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody)
    ))]
pub async fn mark_read(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(body): JsonBody<ReadUntil>,
) -> ApiResult<Json<ReadUntil>> {
    let me = caller_employee(&s, &caller).await?;
    let until = body.read_until.unwrap_or_else(|| s.closing.ports.clock.now());
    let mut presence = s.config.presence(&caller.tenant, &me).await?;
    let read_until = presence.notifications_read_until.max(Some(until));
    presence.notifications_read_until = read_until;
    s.config.put_presence(&caller.tenant, &me, &presence).await?;
    Ok(Json(ReadUntil { read_until }))
}

/// How many of the caller's notifications are unread, counted up to `cap`.
pub(crate) async fn unread_count(s: &OperatorState, caller: &Caller, cap: u32) -> ApiResult<u32> {
    let Ok(me) = caller_employee(s, caller).await else {
        return Ok(0);
    };
    let read_until = s.config.presence(&caller.tenant, &me).await?.notifications_read_until;
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let page = s.config.notifications(&caller.tenant, after.as_deref(), 100).await?;
        for n in &page.items {
            if read_until.is_some_and(|r| n.at <= r) || count >= cap {
                return Ok(count);
            }
            if n.is_for(&me) {
                count += 1;
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(count),
        }
    }
}
