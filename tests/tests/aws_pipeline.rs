//! AWS mode on moto: a webhook delivery → the receiver (DynamoDB config) → SQS → the router's
//! Lambda handler → a conversation in DynamoDB; the auto-replies it plans are EventBridge schedules
//! with the right name, time and input, an answer deletes them, and the auto-reply function invoked
//! with a schedule's input sends once. The sandbox stands in for Avito. The table, the queues and
//! the schedule group are the template's (`aws-stack` creates them from `infra/template.yaml`).

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, SqsQueue, dynamodb_client_from_env,
    scheduler_client_from_env, sqs_client_from_env,
};
use adapters::chatbot_http::HttpChatbotGateway;
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::ports::{ConfigStore, ConversationStore, Queue, Scheduler, SystemClock};
use adapters::secrets::TokenCipher;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use axum::body::Body;
use domain::directory::{AvitoAccount, ChannelDraft, ChannelStatus, WebhookSecretDigests};
use domain::ids::{ChannelId, TenantId};
use serde_json::{Value, json};
use services::answering::{AutoReplies, AutoReplyJob, Fired};
use services::inbound::InboundProcessor;
use services::ports::Ports;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

struct Aws {
    queue: Arc<dyn Queue>,
    scheduler: Arc<dyn Scheduler>,
    processor: InboundProcessor,
    tenant: TenantId,
    channel: ChannelId,
    sandbox: avito_sandbox::Sandbox,
    sandbox_base: String,
}

async fn aws() -> Aws {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let unique = format!("{nanos}-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    // Its own stack: moto replaces a group (losing its schedules) when it is created again.
    let env: std::collections::HashMap<String, String> =
        aws_stack::create_stack_resources(&format!("pipeline-{unique}"))
            .await
            .expect("the template's resources")
            .into_iter()
            .collect();
    let var = |name: &str| env.get(name).cloned().expect(name);
    let table = var("TABLE_NAME");
    let dynamodb = dynamodb_client_from_env().await;
    let sqs = sqs_client_from_env().await;
    let (url, dlq) = (var("INBOUND_QUEUE_URL"), var("INBOUND_DEAD_LETTER_QUEUE_URL"));
    let scheduler: Arc<dyn Scheduler> = Arc::new(EventBridgeScheduler::new(
        scheduler_client_from_env().await,
        var("SCHEDULER_GROUP"),
        var("AUTOREPLY_TARGET_ARN"),
        var("SCHEDULER_ROLE_ARN"),
    ));
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
    vaults
        .channel(&tenant, &channel_id)
        .save_client_credentials("personal-1001", "personal-secret-1001")
        .await
        .expect("credentials");
    let processor = InboundProcessor {
        ports: Ports {
            config,
            conversations,
            scheduler: Arc::clone(&scheduler),
            chatbots: Arc::new(
                HttpChatbotGateway::new(Duration::from_secs(1), true, Arc::clone(&vaults.cipher))
                    .expect("chatbot client"),
            ),
            avito,
            vaults,
            clock: Arc::new(SystemClock),
        },
    };
    Aws {
        queue: Arc::new(SqsQueue::new(sqs, url, dlq)),
        scheduler,
        processor,
        tenant,
        channel: channel_id,
        sandbox: sb,
        sandbox_base: base,
    }
}

impl Aws {
    /// A client writes in the sandbox; returns the chat and the message id.
    async fn client_writes(&self, text: &str) -> (String, String) {
        let sent: Value = reqwest::Client::new()
            .post(format!("{}/_sandbox/accounts/1001/client-messages", self.sandbox_base))
            .json(&json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед"}, "text": text}))
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("JSON");
        (
            sent["chat_id"].as_str().expect("chat").to_owned(),
            sent["message_id"].as_str().expect("id").to_owned(),
        )
    }

    /// Avito's webhook for a message reaches the receiver `times` times.
    async fn deliver(&self, chat: &str, id: &str, author: i64, created: i64, text: &str, times: usize) {
        let webhook = json!({"id": format!("w-{id}"), "version": "v3.0.0", "timestamp": created + 1, "payload": {"type": "message", "value": {
            "id": id, "chat_id": chat, "user_id": 1001, "author_id": author, "created": created, "type": "text",
            "content": {"text": text}}}});
        let receiver = avito_webhook::router(avito_webhook::WebhookState {
            config: self.processor.ports.config.clone(),
            queue: Arc::clone(&self.queue),
            clock: Arc::new(SystemClock),
        });
        for _ in 0..times {
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
    }

    /// The router's Lambda handler gets what is on the queue, as one SQS batch.
    async fn route(&self) -> Vec<String> {
        let received = self.queue.receive(10, Duration::from_secs(30)).await.expect("receive");
        let event = router::sqs_event(&received);
        let response = router::handle_batch(&self.processor, event).await;
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }
}

#[tokio::test]
async fn a_webhook_goes_through_sqs_and_the_router_into_dynamodb_once() {
    let e = aws().await;
    let (chat, id) = e.client_writes("Здравствуйте").await;
    e.deliver(&chat, &id, 5001, 1_764_064_800, "Здравствуйте", 2).await;
    assert_eq!(e.route().await, Vec::<String>::new());
    let conversations = &e.processor.ports.conversations;
    let conversation = conversations
        .open_for_chat(&e.tenant, &e.channel, &chat)
        .await
        .expect("read")
        .expect("a conversation in DynamoDB");
    assert_eq!(conversation.value.client.name.as_deref(), Some("Иван"));
    let messages = conversations
        .messages(&e.tenant, &conversation.value.id, None, 10)
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
    let response = router::handle_batch(&e.processor, bad).await;
    assert_eq!(
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect::<Vec<_>>(),
        ["bad-1"]
    );
}

#[tokio::test]
async fn auto_replies_are_eventbridge_schedules_that_an_answer_deletes_and_that_send_once() {
    let e = aws().await;
    let config = &e.processor.ports.config;
    let doc: domain::settings::ChannelSettingsDoc = serde_json::from_value(json!({"working_time": {"auto_replies": [
        {"text": "Здравствуйте! Скоро ответим.", "delay_seconds": 0}, {"text": "Извините за ожидание.", "delay_seconds": 600}]}}))
    .expect("settings");
    config
        .put_channel_settings(
            &e.tenant,
            &e.channel,
            &doc.validate(domain::directory::ChannelKind::Avito).expect("valid"),
        )
        .await
        .expect("saved");
    let all_day = json!([{"start": "00:00", "end": "24:00"}]);
    let schedule: domain::schedule::WorkingSchedule = serde_json::from_value(json!({"time_zone": "UTC", "weekly": {
        "monday": all_day, "tuesday": all_day, "wednesday": all_day, "thursday": all_day, "friday": all_day,
        "saturday": all_day, "sunday": all_day}}))
    .expect("schedule");
    config.put_schedule(&e.tenant, &schedule).await.expect("saved");

    let created = chrono::Utc::now().timestamp();
    let (chat, id) = e.client_writes("Есть в наличии?").await;
    e.deliver(&chat, &id, 5001, created, "Есть в наличии?", 1).await;
    assert!(e.route().await.is_empty());
    let conversation = e
        .processor
        .ports
        .conversations
        .open_for_chat(&e.tenant, &e.channel, &chat)
        .await
        .expect("read")
        .expect("open");
    let job = |index: usize, text: &str| AutoReplyJob {
        tenant: e.tenant.clone(),
        channel: e.channel.clone(),
        conversation: conversation.value.id.clone(),
        waiting_since: created,
        index,
        text: text.into(),
    };
    let (first, second) = (job(0, "Здравствуйте! Скоро ответим."), job(1, "Извините за ожидание."));
    // The schedules: deterministic names, message time + delay, the job as input.
    for (j, delay) in [(&first, 0), (&second, 600)] {
        let scheduled = e.scheduler.get(&j.name()).await.expect("get").expect("scheduled");
        assert_eq!(scheduled.due_at.timestamp(), created + delay);
        assert_eq!(
            serde_json::from_str::<AutoReplyJob>(&scheduled.payload).expect("input"),
            *j
        );
    }

    // EventBridge fires the first (twice): the function sends it once.
    let auto = AutoReplies {
        ports: e.processor.ports.clone(),
    };
    let input = serde_json::to_value(&first).expect("input");
    let fired = autoreply::handle(&e.processor.ports, input.clone())
        .await
        .expect("fired");
    assert_eq!(fired, format!("{:?}", Fired::Sent));
    let again = autoreply::handle(&e.processor.ports, input).await.expect("fired again");
    assert_eq!(again, format!("{:?}", Fired::Skipped("already sent")));
    assert_eq!(
        e.sandbox
            .data()
            .calls
            .iter()
            .filter(|c| c.operation == "postSendMessage")
            .count(),
        1
    );

    // An operator answers from the Avito app: the pending schedule is deleted.
    e.deliver(&chat, "answer-1", 1001, created + 60, "Да, есть", 1).await;
    assert!(e.route().await.is_empty());
    assert!(
        e.scheduler.get(&second.name()).await.expect("get").is_none(),
        "cancelled"
    );
    assert_eq!(
        auto.fire(&second).await.expect("fired"),
        Fired::Skipped("answered or closed since")
    );
}
