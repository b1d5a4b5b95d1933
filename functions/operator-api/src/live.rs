//! `POST /v1/live/ticket` (AWS only): a single-use ticket for the workspace's WebSocket API and
//! the address to open it at ([`services::live`] says why and how). The local server does not
//! mount this: its workspaces listen on `GET /v1/events`. Not in the OpenAPI document, which
//! describes what both servers answer; `tests/tests/template_routes.rs` checks it reaches this
//! function on AWS.

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::{Json, Router};
use http_api::error::ApiResult;
use http_api::{Authenticator, Caller, SessionEnds};
use serde::Serialize;
use services::live::Live;
use std::sync::Arc;

/// What the route needs: the live channel's use cases, who may call, and the WebSocket API's
/// address (`wss://<api>.execute-api.<region>.amazonaws.com/<stage>`).
#[derive(Clone)]
pub struct LiveState {
    pub live: Live,
    pub auth: Arc<Authenticator>,
    pub url: String,
}

impl FromRef<LiveState> for Arc<Authenticator> {
    fn from_ref(state: &LiveState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// A ticket: open `url` with `?ticket=<ticket>` within 60 seconds, once.
#[derive(Debug, Serialize)]
pub struct TicketView {
    pub ticket: String,
    pub url: String,
}

/// `POST /v1/live/ticket`: authenticated like every operator route (the caller is checked
/// before anything else; no body is read); 403 unless the caller works as an enabled employee.
/// The connection the ticket opens ends when the caller's session (their ID token) does.
pub async fn ticket(
    State(s): State<LiveState>,
    caller: Caller,
    SessionEnds(ends): SessionEnds,
) -> ApiResult<Json<TicketView>> {
    let ticket = s.live.issue_ticket(&caller.person(), ends).await?;
    Ok(Json(TicketView { ticket, url: s.url }))
}

/// The route, to merge beside [`crate::router`] on AWS.
pub fn router(state: LiveState) -> Router {
    http_api::secured(Router::new().route("/v1/live/ticket", post(ticket)).with_state(state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::configuration::Configuration;
    use adapters::ports::{ConfigKind, ConfigStore, MemoryLive, SystemClock};
    use axum::body::Body;
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn call(router: &Router, token: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder().method("POST").uri("/v1/live/ticket");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        // A body is not read, whatever it is.
        let request = request.body(Body::from("{not json")).expect("request");
        let response = router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn a_ticket_is_issued_to_an_enabled_employee_with_the_sockets_address() {
        let dir = tempfile::tempdir().expect("dir");
        let config: Arc<dyn ConfigStore> =
            Arc::new(adapters::embedded::SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
        let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
        for (id, disabled) in [("boris", false), ("vera", true)] {
            let doc = serde_json::json!({"id": id, "name": id, "user_id": id, "disabled": disabled});
            config
                .insert(&tenant, ConfigKind::Employee, id, &doc.to_string())
                .await
                .expect("employee");
        }
        let auth =
            Authenticator::from_token_list("operator-token-1:acme:boris:operator,disabled-token-1:acme:vera:operator")
                .expect("tokens");
        let router = router(LiveState {
            live: Live {
                connections: Arc::new(MemoryLive::default()),
                config: Configuration::new(config),
                clock: Arc::new(SystemClock),
            },
            auth: Arc::new(auth),
            url: "wss://abc.execute-api.eu-central-1.amazonaws.com/live".into(),
        });
        let (status, body) = call(&router, Some("operator-token-1")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body["ticket"].as_str().is_some_and(|t| t.starts_with("acme.")),
            "{body}"
        );
        assert_eq!(body["url"], "wss://abc.execute-api.eu-central-1.amazonaws.com/live");
        assert_eq!(call(&router, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(call(&router, Some("disabled-token-1")).await.0, StatusCode::FORBIDDEN);
    }
}
