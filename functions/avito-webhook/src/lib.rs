//! Avito's webhooks arrive here: `POST /avito/messenger/{tenant}/{channel}/{secret}` (messenger v3;
//! the secret is in the path) and `POST /avito/jobs/{tenant}/{channel}` (Jobs; the secret is in
//! `X-Secret`). Secrets are compared in constant time against the digests stored at connection.
//! Unknown, disconnected and superseded channels are refused (403) and nothing happens.
//!
//! Avito's verification requests (`{}` for the messenger, an empty body for Jobs) are answered 200,
//! which is what subscribing needs. Accepting deliveries durably (the queue) is the inbound
//! pipeline's work (issue 4): until it is in place a delivery is answered 503, so that Avito keeps
//! it for a later retry rather than it being acknowledged and lost.

use adapters::configuration::Configuration;
use avito_model::messenger::WebhookEnvelope;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use domain::directory::Channel;
use domain::ids::{TenantId, is_valid_id};
use serde_json::json;
use services::connection::secret_matches;

/// Bodies larger than this are refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn answer(status: StatusCode, reason: &str) -> Response {
    (status, axum::Json(json!({"ok": status.is_success(), "reason": reason}))).into_response()
}

/// The channel, if it receives and `matches` accepts its secret digests.
async fn receiving_channel(
    config: &Configuration,
    tenant: &str,
    channel: &str,
    matches: impl Fn(&Channel) -> bool,
) -> Result<Channel, Response> {
    let refused = || answer(StatusCode::FORBIDDEN, "unknown channel or wrong secret");
    let tenant = TenantId::parse(tenant).map_err(|_| refused())?;
    if !is_valid_id(channel) {
        return Err(refused());
    }
    let found = config.get::<Channel>(&tenant, channel).await.map_err(|e| {
        tracing::warn!(error = %e, "channel lookup failed");
        answer(StatusCode::SERVICE_UNAVAILABLE, "try again")
    })?;
    match found {
        Some(c) if c.value.is_receiving() && matches(&c.value) => Ok(c.value),
        _ => Err(refused()),
    }
}

/// `POST /avito/messenger/{tenant}/{channel}/{secret}`.
pub async fn messenger(
    State(config): State<Configuration>,
    Path((tenant, channel, secret)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let matches = |c: &Channel| {
        c.webhook_secrets
            .as_ref()
            .is_some_and(|s| secret_matches(&secret, &s.messenger))
    };
    let channel = match receiving_channel(&config, &tenant, &channel, matches).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let envelope: WebhookEnvelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(_) => return answer(StatusCode::BAD_REQUEST, "the body is not a messenger webhook"),
    };
    if envelope.is_verification() {
        return answer(StatusCode::OK, "verified");
    }
    tracing::warn!(channel = %channel.id, "messenger delivery refused: the inbound pipeline is not enabled");
    answer(StatusCode::SERVICE_UNAVAILABLE, "deliveries cannot be accepted yet")
}

/// `POST /avito/jobs/{tenant}/{channel}` with `X-Secret`.
pub async fn jobs(
    State(config): State<Configuration>,
    Path((tenant, channel)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let presented = headers.get("x-secret").and_then(|v| v.to_str().ok()).unwrap_or("");
    let matches = |c: &Channel| {
        c.webhook_secrets
            .as_ref()
            .and_then(|s| s.jobs.as_ref())
            .is_some_and(|d| secret_matches(presented, d))
    };
    let channel = match receiving_channel(&config, &tenant, &channel, matches).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return answer(StatusCode::OK, "verified");
    }
    if serde_json::from_slice::<avito_model::jobs::ApplicationNotice>(&body).is_err() {
        return answer(StatusCode::BAD_REQUEST, "the body is not an applications webhook");
    }
    tracing::warn!(channel = %channel.id, "applications delivery refused: the inbound pipeline is not enabled");
    answer(StatusCode::SERVICE_UNAVAILABLE, "deliveries cannot be accepted yet")
}

/// The webhook router.
pub fn router(config: Configuration) -> Router {
    Router::new()
        .route("/avito/messenger/{tenant}/{channel}/{secret}", post(messenger))
        .route("/avito/jobs/{tenant}/{channel}", post(jobs))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(config)
}
