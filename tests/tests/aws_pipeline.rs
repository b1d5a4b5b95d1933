//! AWS mode on moto: a webhook delivery → the receiver (DynamoDB config) → SQS → the router's
//! Lambda handler → a conversation in DynamoDB. The sandbox stands in for Avito's chat info.

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, SqsQueue, create_queues, create_schedule_group,
    create_table, dynamodb_client_from_env, scheduler_client_from_env, sqs_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, ChannelCredentials, Grant, Vaults};
use adapters::ports::{ConfigStore, ConversationStore, Queue, SystemClock};
use adapters::secrets::TokenCipher;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use axum::body::Body;
use domain::directory::{AvitoAccount, ChannelDraft, ChannelStatus, WebhookSecretDigests};
use domain::ids::{ChannelId, TenantId};
use serde_json::json;
use services::processing::InboundProcessor;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

#[tokio::test]
async fn a_webhook_goes_through_sqs_and_the_router_into_dynamodb_once() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let (table, queue_name) = (format!("pipeline-{nanos}"), format!("inbound-{nanos}"));
    let dynamodb = dynamodb_client_from_env().await;
    create_table(&dynamodb, &table).await.expect("table");
    let sqs = sqs_client_from_env().await;
    let (url, dlq) = create_queues(&sqs, &queue_name, 5).await.expect("queues");
    let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(sqs, url, dlq));
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let conversations: Arc<dyn ConversationStore> = Arc::new(DynamoConversationStore::new(dynamodb, table));
    let config = Configuration::new(Arc::clone(&store));

    let (sb, base) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox");
    avito_sandbox::seed_demo(&sb, "http://127.0.0.1:1/cb");
    let avito = AvitoClient::new(&base, RetryPolicy::default()).expect("client");
    let vaults = Vaults {
        store: Arc::clone(&store),
        cipher: Arc::new(
            TokenCipher::from_config(
                "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "k1",
            )
            .expect("keys"),
        ),
        avito: avito.clone(),
        app: AppCredentials {
            client_id: "sandbox-app".into(),
            client_secret: "sandbox-app-secret".into(),
        },
        clock: Arc::new(SystemClock),
    };
    let (tenant, channel_id) = (
        TenantId::parse("acme").expect("tenant"),
        ChannelId::parse("ch").expect("id"),
    );
    let mut channel = ChannelDraft {
        name: "Авито".into(),
        kind: "avito".into(),
        channel_group_id: "cg".into(),
    }
    .validate_new(channel_id.clone())
    .expect("channel");
    channel.status = ChannelStatus::Connected;
    channel.account = Some(AvitoAccount {
        id: 1001,
        name: "Магазин".into(),
        profile_url: None,
    });
    channel.webhook_secrets = Some(WebhookSecretDigests {
        messenger: services::connection::digest("hook-secret"),
        jobs: None,
    });
    config.create(&tenant, &channel).await.expect("channel");
    let token = avito
        .token_client_credentials("personal-1001", "personal-secret-1001")
        .await
        .expect("token");
    vaults
        .channel(&tenant, &channel_id)
        .save(&ChannelCredentials {
            grant: Grant::ClientCredentials {
                client_id: "personal-1001".into(),
                client_secret: "personal-secret-1001".into(),
            },
            access_token: token.access_token,
            access_expires_at: chrono::Utc::now().timestamp() + 86_400,
        })
        .await
        .expect("credentials");

    // A client writes in the sandbox; Avito's webhook for it reaches the receiver twice.
    let sent: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/_sandbox/accounts/1001/client-messages"))
        .json(&json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед"}, "text": "Здравствуйте"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("JSON");
    let chat = sent["chat_id"].as_str().expect("chat").to_owned();
    let webhook = json!({"id": "w1", "version": "v3.0.0", "timestamp": 1764064801, "payload": {"type": "message", "value": {
        "id": sent["message_id"], "chat_id": chat, "user_id": 1001, "author_id": 5001, "created": 1764064800, "type": "text",
        "content": {"text": "Здравствуйте"}}}});
    let receiver = avito_webhook::router(avito_webhook::WebhookState {
        config: config.clone(),
        queue: Arc::clone(&queue),
        clock: Arc::new(SystemClock),
    });
    for _ in 0..2 {
        let req = http::Request::builder()
            .method("POST")
            .uri("/avito/messenger/acme/ch/hook-secret")
            .body(Body::from(webhook.to_string()))
            .expect("request");
        assert_eq!(
            receiver.clone().oneshot(req).await.expect("answer").status(),
            http::StatusCode::OK
        );
    }

    // The router's Lambda handler gets the SQS batch.
    let received = queue.receive(10, Duration::from_secs(30)).await.expect("receive");
    assert_eq!(received.len(), 2);
    let mut event = SqsEvent::default();
    event.records = received
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = Some(m.id.clone());
            record.body = Some(m.body.clone());
            record
        })
        .collect();
    let scheduler_client = scheduler_client_from_env().await;
    // Its own group: moto replaces a group (losing its schedules) when it is created again.
    let group = format!("autoreplies-{nanos}");
    create_schedule_group(&scheduler_client, &group).await.expect("group");
    let scheduler = Arc::new(EventBridgeScheduler::new(
        scheduler_client,
        group,
        "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
        "arn:aws:iam::123456789012:role/scheduler-invoke",
    ));
    let processor = InboundProcessor {
        ports: services::ports::Ports {
            config,
            conversations: Arc::clone(&conversations),
            scheduler,
            chatbots: Arc::new(
                adapters::chatbot_http::HttpChatbotGateway::new(services::environment::CHATBOT_TIMEOUT)
                    .expect("chatbot client"),
            ),
            avito,
            vaults,
            clock: Arc::new(SystemClock),
        },
    };
    let response = router::handle_batch(&processor, event).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );

    let conversation = conversations
        .open_for_chat(&tenant, &channel_id, &chat)
        .await
        .expect("read")
        .expect("a conversation in DynamoDB");
    assert_eq!(conversation.value.client.name.as_deref(), Some("Иван"));
    let messages = conversations
        .messages(&tenant, &conversation.value.id, None, 10)
        .await
        .expect("list")
        .items;
    assert_eq!(messages.len(), 1, "two deliveries, one message");

    // A body that is not an inbound event is reported as failed (it will reach the dead letters).
    let mut bad = SqsEvent::default();
    let mut record = SqsMessage::default();
    record.message_id = Some("bad-1".into());
    record.body = Some("not json".into());
    bad.records = vec![record];
    let response = router::handle_batch(&processor, bad).await;
    assert_eq!(
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect::<Vec<_>>(),
        ["bad-1"]
    );
}
