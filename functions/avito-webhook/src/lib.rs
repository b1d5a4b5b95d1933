//! Avito's webhooks arrive here (R-IN1, R-J1): `POST /avito/messenger/{tenant}/{channel}/{secret}`
//! (messenger v3; the secret is in the path) and `POST /avito/jobs/{tenant}/{channel}` (Jobs; the
//! secret is in `X-Secret`). Secrets are compared in constant time against the digests stored at
//! connection. Unknown, disconnected and superseded channels are refused (403) and nothing is
//! queued.
//!
//! Avito's verification requests (`{}` for the messenger, an empty body for Jobs) are answered 200.
//! A delivery is answered 200 only after it is durably on the queue; if the queue cannot take it the
//! answer is 503, so that Avito delivers it again. Malformed or oversized bodies, and a messenger
//! body that is neither the verification nor an envelope carrying a message, are answered 400 and
//! nothing is queued. No Avito call and no routing happen here: that is the router's work.

use adapters::configuration::Configuration;
use adapters::ports::{Clock, Queue};
use avito_model::jobs::ApplicationNotice;
use avito_model::messenger::WebhookEnvelope;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use domain::directory::Channel;
use domain::ids::{TenantId, is_valid_id};
use serde_json::json;
use services::connection::secret_matches;
use services::inbound::InboundEvent;
use std::sync::Arc;

/// Bodies larger than this are refused (Avito's messages are a few kilobytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the receiver needs.
#[derive(Clone)]
pub struct WebhookState {
    pub config: Configuration,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
}

fn answer(status: StatusCode, reason: &str) -> Response {
    (status, axum::Json(json!({"ok": status.is_success(), "reason": reason}))).into_response()
}

/// The channel, if it receives and `matches` accepts its secret digests.
async fn receiving_channel(
    config: &Configuration,
    tenant: &str,
    channel: &str,
    matches: impl Fn(&Channel) -> bool,
) -> Result<(TenantId, Channel), Response> {
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
        Some(c) if c.value.is_receiving() && matches(&c.value) => Ok((tenant, c.value)),
        _ => Err(refused()),
    }
}

/// A delivery to a receiving channel whose secret `matches`: the tenant, the channel and the
/// body (403 before the body is read when the channel or secret is wrong; 400 for a body larger
/// than [`MAX_BODY_BYTES`]).
async fn delivery(
    config: &Configuration,
    tenant: &str,
    channel: &str,
    matches: impl Fn(&Channel) -> bool,
    body: Body,
) -> Result<(TenantId, Channel, Bytes), Response> {
    let (tenant, channel) = receiving_channel(config, tenant, channel, matches).await?;
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| answer(StatusCode::BAD_REQUEST, "the body is too large or unreadable"))?;
    Ok((tenant, channel, bytes))
}

async fn accept(state: &WebhookState, event: InboundEvent) -> Response {
    let body = match event.to_json() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode an inbound event");
            return answer(StatusCode::INTERNAL_SERVER_ERROR, "cannot accept the delivery");
        }
    };
    match state.queue.send(&body).await {
        Ok(()) => answer(StatusCode::OK, "accepted"),
        Err(e) => {
            tracing::warn!(error = %e, "queue unavailable; Avito will deliver again");
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

/// The webhook function's view of the configuration on Lambda: channels kept for
/// `CONFIG_CACHE_SECONDS` (default 5). A disconnect may still let a webhook into the queue in that
/// window; the router, which reads the channel fresh, drops it (R-C5).
pub fn webhook_configuration(store: std::sync::Arc<dyn adapters::ports::ConfigStore>) -> Configuration {
    use adapters::cached_config::{self, CachedConfigStore};
    let ttl = cached_config::ttl_from(std::env::var(cached_config::TTL_VARIABLE).ok().as_deref());
    Configuration::new(std::sync::Arc::new(CachedConfigStore::new(
        store,
        ttl,
        &[adapters::ports::ConfigKind::Channel],
    )))
}

/// `POST /avito/messenger/{tenant}/{channel}/{secret}`.
pub async fn messenger(
    State(state): State<WebhookState>,
    Path((tenant, channel, secret)): Path<(String, String, String)>,
    body: Body,
) -> Response {
    let matches = |c: &Channel| {
        c.webhook_secrets
            .as_ref()
            .is_some_and(|s| secret_matches(&secret, &s.messenger))
    };
    let (tenant, channel, bytes) = match delivery(&state.config, &tenant, &channel, matches, body).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (Ok(envelope), Ok(raw)) = (
        serde_json::from_slice::<WebhookEnvelope>(&bytes),
        serde_json::from_slice::<serde_json::Value>(&bytes),
    ) else {
        return answer(StatusCode::BAD_REQUEST, "the body is not a messenger webhook");
    };
    match raw.as_object() {
        None => return answer(StatusCode::BAD_REQUEST, "the body is not a messenger webhook"),
        // Avito's verification request is an empty object.
        Some(fields) if fields.is_empty() => return answer(StatusCode::OK, "verified"),
        Some(_) => {}
    }
    if envelope.payload.and_then(|p| p.value).is_none() {
        return answer(
            StatusCode::BAD_REQUEST,
            "the body is not a messenger webhook: it carries no message (payload.value)",
        );
    }
    let received_at_ms = state.clock.now().timestamp_millis();
    accept(
        &state,
        InboundEvent::Messenger {
            tenant,
            channel: channel.id,
            received_at_ms,
            webhook: raw,
        },
    )
    .await
}

/// `POST /avito/jobs/{tenant}/{channel}` with `X-Secret`.
pub async fn jobs(
    State(state): State<WebhookState>,
    Path((tenant, channel)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let presented = headers.get("x-secret").and_then(|v| v.to_str().ok()).unwrap_or("");
    let matches = |c: &Channel| {
        c.webhook_secrets
            .as_ref()
            .and_then(|s| s.jobs.as_ref())
            .is_some_and(|d| secret_matches(presented, d))
    };
    let (tenant, channel, bytes) = match delivery(&state.config, &tenant, &channel, matches, body).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return answer(StatusCode::OK, "verified");
    }
    let notice = match serde_json::from_slice::<ApplicationNotice>(&bytes) {
        Ok(n) if is_valid_id(&n.apply_id) => n,
        _ => return answer(StatusCode::BAD_REQUEST, "the body is not an applications webhook"),
    };
    let received_at_ms = state.clock.now().timestamp_millis();
    accept(
        &state,
        InboundEvent::Application {
            tenant,
            channel: channel.id,
            received_at_ms,
            apply_id: notice.apply_id,
        },
    )
    .await
}

/// The webhook router.
pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route("/avito/messenger/{tenant}/{channel}/{secret}", post(messenger))
        .route("/avito/jobs/{tenant}/{channel}", post(jobs))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}
