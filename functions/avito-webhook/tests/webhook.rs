//! The webhook receiver through its router, on the embedded store and queue: what is accepted,
//! what is refused, and that nothing is queued unless the answer is 200.

use adapters::configuration::Configuration;
use adapters::embedded::{SqliteConfigStore, SqliteQueue};
use adapters::ports::{ConfigStore, Queue, QueueError, QueuedMessage, SystemClock};
use avito_webhook::{MAX_BODY_BYTES, WebhookState};
use axum::body::Body;
use domain::directory::{ChannelDraft, ChannelStatus, WebhookSecretDigests};
use domain::ids::{ChannelId, TenantId};
use http::{Request, StatusCode};
use serde_json::{Value, json};
use services::connection::digest;
use services::inbound::InboundEvent;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const MESSENGER_SECRET: &str = "m-secret-0123456789abcdef";
const JOBS_SECRET: &str = "j-secret-0123456789abcdef";

struct Env {
    state: WebhookState,
    queue: Arc<SqliteQueue>,
    _dir: tempfile::TempDir,
}

async fn env(status: ChannelStatus) -> Env {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn ConfigStore> = Arc::new(SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
    let queue = Arc::new(SqliteQueue::open(&dir.path().join("q.sqlite3"), 5).expect("queue"));
    let config = Configuration::new(store);
    let mut channel = ChannelDraft {
        name: "Вакансии".into(),
        kind: "avito_jobs".into(),
        channel_group_id: "cg".into(),
    }
    .validate_new(ChannelId::parse("ch").expect("id"))
    .expect("channel");
    channel.status = status;
    channel.webhook_secrets = Some(WebhookSecretDigests {
        messenger: digest(MESSENGER_SECRET),
        jobs: Some(digest(JOBS_SECRET)),
    });
    config
        .create(&TenantId::parse("acme").expect("tenant"), &channel)
        .await
        .expect("channel stored");
    let state = WebhookState {
        config: config.clone(),
        queue: queue.clone(),
        clock: Arc::new(SystemClock),
    };
    Env {
        state,
        queue,
        _dir: dir,
    }
}

async fn post(state: &WebhookState, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> StatusCode {
    let mut req = Request::builder().method("POST").uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Body::from(body)).expect("request");
    avito_webhook::router(state.clone())
        .oneshot(req)
        .await
        .expect("answer")
        .status()
}

async fn queued(queue: &SqliteQueue) -> Vec<QueuedMessage> {
    queue.receive(100, Duration::from_secs(60)).await.expect("receive")
}

fn delivery() -> Value {
    json!({"id": "w1", "version": "v3.0.0", "timestamp": 1754916287, "payload": {"type": "message", "value": {
        "id": "m1", "chat_id": "u2i-1", "user_id": 1001, "author_id": 5001, "created": 1754916284, "type": "text",
        "chat_type": "u2i", "content": {"text": "Здравствуйте"}, "item_id": 77, "brand_new_field": true}}})
}

const MESSENGER: &str = "/avito/messenger/acme/ch/m-secret-0123456789abcdef";

#[tokio::test]
async fn a_delivery_is_answered_200_only_once_it_is_on_the_queue_as_sent() {
    let e = env(ChannelStatus::Connected).await;
    assert_eq!(
        post(&e.state, MESSENGER, &[], delivery().to_string().into_bytes()).await,
        StatusCode::OK
    );
    let q = queued(&e.queue).await;
    assert_eq!(q.len(), 1);
    match InboundEvent::from_json(&q[0].body).expect("an inbound event") {
        InboundEvent::Messenger {
            tenant,
            channel,
            webhook,
            ..
        } => {
            assert_eq!((tenant.as_str(), channel.as_str()), ("acme", "ch"));
            assert_eq!(webhook, delivery(), "kept raw, unknown fields included");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn avitos_verification_requests_are_answered_and_queue_nothing() {
    let e = env(ChannelStatus::Connected).await;
    assert_eq!(post(&e.state, MESSENGER, &[], b"{}".to_vec()).await, StatusCode::OK);
    assert_eq!(
        post(
            &e.state,
            "/avito/jobs/acme/ch",
            &[("x-secret", JOBS_SECRET)],
            Vec::new()
        )
        .await,
        StatusCode::OK
    );
    assert!(queued(&e.queue).await.is_empty());
}

#[tokio::test]
async fn wrong_secrets_unknown_and_disconnected_channels_are_refused_and_queue_nothing() {
    let e = env(ChannelStatus::Connected).await;
    let body = delivery().to_string().into_bytes();
    for path in [
        "/avito/messenger/acme/ch/wrong-secret",
        "/avito/messenger/acme/other/m-secret-0123456789abcdef",
        "/avito/messenger/other/ch/m-secret-0123456789abcdef",
        "/avito/messenger/ac%23me/ch/m-secret-0123456789abcdef",
    ] {
        assert_eq!(
            post(&e.state, path, &[], body.clone()).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        post(
            &e.state,
            "/avito/jobs/acme/ch",
            &[("x-secret", "nope")],
            br#"{"applyId":"a1"}"#.to_vec()
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&e.state, "/avito/jobs/acme/ch", &[], br#"{"applyId":"a1"}"#.to_vec()).await,
        StatusCode::FORBIDDEN
    );
    assert!(queued(&e.queue).await.is_empty());

    for status in [
        ChannelStatus::Disconnected,
        ChannelStatus::Superseded,
        ChannelStatus::NotConnected,
    ] {
        let e = env(status).await;
        assert_eq!(
            post(&e.state, MESSENGER, &[], body.clone()).await,
            StatusCode::FORBIDDEN,
            "{status:?}"
        );
        assert_eq!(
            post(&e.state, MESSENGER, &[], b"{}".to_vec()).await,
            StatusCode::FORBIDDEN,
            "{status:?}"
        );
        assert!(queued(&e.queue).await.is_empty());
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_400_and_queue_nothing() {
    let e = env(ChannelStatus::Connected).await;
    let mut huge = delivery();
    huge["payload"]["value"]["content"]["text"] = json!("я".repeat(MAX_BODY_BYTES));
    for body in [
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        br#"{"payload": {"value": {"id": 5}}}"#.to_vec(),
        // Neither the verification `{}` nor an envelope carrying a message.
        br#"{"id": "x"}"#.to_vec(),
        br#"{"hello": "world"}"#.to_vec(),
        br#"{"id": "x", "payload": {"type": "message"}}"#.to_vec(),
        huge.to_string().into_bytes(),
    ] {
        assert_eq!(post(&e.state, MESSENGER, &[], body).await, StatusCode::BAD_REQUEST);
    }
    for body in [
        b"{oops".to_vec(),
        br#"{"apply":"x"}"#.to_vec(),
        br#"{"applyId":"a#b"}"#.to_vec(),
    ] {
        assert_eq!(
            post(&e.state, "/avito/jobs/acme/ch", &[("x-secret", JOBS_SECRET)], body).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert!(queued(&e.queue).await.is_empty());
}

#[tokio::test]
async fn an_application_notice_is_queued_with_its_apply_id() {
    let e = env(ChannelStatus::Connected).await;
    let status = post(
        &e.state,
        "/avito/jobs/acme/ch",
        &[("x-secret", JOBS_SECRET)],
        br#"{"applyId":"623850d1d3819d935dd02702"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let q = queued(&e.queue).await;
    assert!(
        matches!(InboundEvent::from_json(&q[0].body), Ok(InboundEvent::Application { apply_id, .. }) if apply_id == "623850d1d3819d935dd02702")
    );
}

/// A queue that cannot take anything.
struct BrokenQueue;

#[async_trait::async_trait]
impl Queue for BrokenQueue {
    async fn send(&self, _: &str) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("down".into()))
    }
    async fn receive(&self, _: u32, _: Duration) -> Result<Vec<QueuedMessage>, QueueError> {
        Err(QueueError::Unavailable("down".into()))
    }
    async fn delete(&self, _: &str) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("down".into()))
    }
    async fn dead_letter_count(&self, _: adapters::ports::DeadLetterFilter<'_>) -> Result<u64, QueueError> {
        Err(QueueError::Unavailable("down".into()))
    }
    async fn replay_dead_letters(&self, _: adapters::ports::DeadLetterFilter<'_>, _: u32) -> Result<u32, QueueError> {
        Err(QueueError::Unavailable("down".into()))
    }
}

#[tokio::test]
async fn when_the_queue_cannot_take_a_delivery_the_answer_is_503_so_avito_retries() {
    let e = env(ChannelStatus::Connected).await;
    let broken = WebhookState {
        queue: Arc::new(BrokenQueue),
        ..e.state.clone()
    };
    assert_eq!(
        post(&broken, MESSENGER, &[], delivery().to_string().into_bytes()).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        post(&broken, MESSENGER, &[], b"{}".to_vec()).await,
        StatusCode::OK,
        "verification needs no queue"
    );
}
