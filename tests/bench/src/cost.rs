//! What one inbound text message costs on AWS: the DynamoDB requests the webhook and the router
//! make for it, counted by moto (our launcher counts them by operation), and the Lambda
//! invocations; for a message that opens a conversation and for one that joins it.

use adapters::configuration::Configuration;
use adapters::ports::{Queue, SystemClock};
use avito_webhook::WebhookState;
use domain::directory::{AvitoAccount, ChannelDraft, ChannelStatus, WebhookSecretDigests};
use domain::ids::{ChannelId, TenantId};
use serde_json::{Value, json};
use services::inbound::InboundProcessor;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tower::ServiceExt;

const SECRET: &str = "bench-secret-0123456789abcdef";
const ACCOUNT: i64 = 1001;

/// The requests one message made, by DynamoDB operation.
#[derive(Debug, Default, Clone)]
pub struct MessageCost {
    pub operations: BTreeMap<String, u64>,
    pub lambda_invocations: u64,
}

impl MessageCost {
    /// Read requests (GetItem, Query).
    pub fn reads(&self) -> u64 {
        ["GetItem", "Query", "BatchGetItem", "Scan"]
            .iter()
            .map(|o| self.operations.get(*o).copied().unwrap_or(0))
            .sum()
    }

    /// Items written (a transaction counts each item it writes).
    pub fn writes(&self) -> u64 {
        ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems.items"]
            .iter()
            .map(|o| self.operations.get(*o).copied().unwrap_or(0))
            .sum()
    }

    /// Write request units: an item in a transaction costs two.
    pub fn write_units(&self) -> u64 {
        self.writes() + self.operations.get("TransactWriteItems.items").copied().unwrap_or(0)
    }
}

/// The two messages measured.
pub struct CostReport {
    pub new_conversation: MessageCost,
    pub existing_conversation: MessageCost,
}

async fn moto(method: reqwest::Method, endpoint: &str) -> Result<BTreeMap<String, u64>, String> {
    reqwest::Client::new()
        .request(method, format!("{endpoint}/_counts"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

/// Measures both messages; needs moto (our launcher) at `AWS_ENDPOINT_URL`.
pub async fn measure() -> Result<CostReport, String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "run under tests/scripts/with-moto.sh")?;
    let (sandbox, sandbox_base) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig {
        verify_subscriptions: false,
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    avito_sandbox::seed_demo(&sandbox, "http://127.0.0.1:1/cb");
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let mut vars: HashMap<String, String> = aws_stack::create_stack_resources(&format!("bench-{nanos}"))
        .await?
        .into_iter()
        .collect();
    vars.insert("AVITO_API_BASE_URL".into(), sandbox_base.clone());
    vars.insert("AVITO_CLIENT_ID".into(), avito_sandbox::SANDBOX_CLIENT_ID.into());
    vars.insert(
        "AVITO_CLIENT_SECRET".into(),
        avito_sandbox::SANDBOX_CLIENT_SECRET.into(),
    );
    vars.insert(
        "TOKEN_ENCRYPTION_KEYS".into(),
        "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".into(),
    );
    vars.insert("TOKEN_ENCRYPTION_KEY_ID".into(), "k1".into());
    let lookup = |name: &str| vars.get(name).cloned();
    let ports = services::environment::ports_from(&lookup).await?;
    let queue: Arc<dyn Queue> = Arc::new(adapters::aws::SqsQueue::new(
        adapters::aws::sqs_client_from_env().await,
        vars.get("INBOUND_QUEUE_URL").cloned().unwrap_or_default(),
        vars.get("INBOUND_DEAD_LETTER_QUEUE_URL").cloned().unwrap_or_default(),
    ));

    let tenant = TenantId::parse("bench").map_err(|e| e.to_string())?;
    let channel_id = ChannelId::parse("ch").map_err(|e| e.to_string())?;
    connect(&ports.config, &ports.vaults, &tenant, &channel_id).await?;
    // As the webhook function builds it (its own cache of channels).
    let webhook = avito_webhook::router(WebhookState {
        config: avito_webhook::webhook_configuration(Arc::new(adapters::aws::DynamoConfigStore::new(
            adapters::aws::dynamodb_client_from_env().await,
            vars.get("TABLE_NAME").cloned().unwrap_or_default(),
        ))),
        queue: Arc::clone(&queue),
        clock: Arc::new(SystemClock),
    });
    let processor = InboundProcessor { ports };

    // A first client warms the functions up (their configuration caches fill, as in a function
    // that has handled a message before); then a second client writes twice in one chat. Each
    // message goes webhook → queue → router.
    let mut chats = Vec::new();
    for (client, name) in [(5000, "Анна"), (5001, "Иван")] {
        let sent: Value = reqwest::Client::new()
            .post(format!("{sandbox_base}/_sandbox/accounts/{ACCOUNT}/client-messages"))
            .json(&json!({"client": {"id": client, "name": name}, "item": {"title": "Велосипед"}, "text": "Здравствуйте"}))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        chats.push((client, sent["chat_id"].as_str().unwrap_or_default().to_owned()));
    }
    let mut costs = Vec::new();
    let messages = [
        (&chats[0], "Здравствуйте"),
        (&chats[1], "Здравствуйте"),
        (&chats[1], "Ещё продаёте?"),
    ];
    for (i, ((client, chat), text)) in messages.into_iter().enumerate() {
        let delivery = json!({"id": format!("w-{i}"), "version": "v3.0.0", "timestamp": 1_764_064_800 + i,
            "payload": {"type": "message", "value": {"id": format!("bench-m{i}"), "chat_id": chat, "user_id": ACCOUNT,
            "author_id": client, "created": 1_764_064_800 + i, "type": "text", "chat_type": "u2i", "content": {"text": text}}}});
        moto(reqwest::Method::DELETE, &endpoint).await?;
        let request = axum::http::Request::post(format!("/avito/messenger/{tenant}/{channel_id}/{SECRET}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(delivery.to_string()))
            .map_err(|e| e.to_string())?;
        let answer = webhook.clone().oneshot(request).await.map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("the webhook answered {}", answer.status()));
        }
        let received = queue
            .receive(10, std::time::Duration::from_secs(30))
            .await
            .map_err(|e| e.to_string())?;
        let event = router::sqs_event(&received);
        let response = router::handle_batch(&processor, event).await;
        if !response.batch_item_failures.is_empty() {
            return Err("the router failed the message".into());
        }
        for m in &received {
            queue.delete(&m.receipt).await.map_err(|e| e.to_string())?;
        }
        costs.push(MessageCost {
            operations: moto(reqwest::Method::GET, &endpoint).await?,
            // The webhook function, then the router (one invocation per batch; one message here).
            lambda_invocations: 2,
        });
    }
    let existing_conversation = costs.pop().unwrap_or_default();
    let new_conversation = costs.pop().unwrap_or_default();
    // costs[0], the warm-up, is left out.
    Ok(CostReport {
        new_conversation,
        existing_conversation,
    })
}

/// A channel connected to the sandbox's account, with working credentials.
async fn connect(
    config: &Configuration,
    vaults: &adapters::credentials::Vaults,
    tenant: &TenantId,
    channel_id: &ChannelId,
) -> Result<(), String> {
    let mut channel = ChannelDraft {
        name: "Авито".into(),
        kind: "avito".into(),
        channel_group_id: "cg".into(),
    }
    .validate_new(channel_id.clone())
    .map_err(|e| format!("{e:?}"))?;
    channel.status = ChannelStatus::Connected;
    channel.account = Some(AvitoAccount {
        id: ACCOUNT,
        name: "Магазин".into(),
        profile_url: None,
    });
    channel.webhook_secrets = Some(WebhookSecretDigests {
        messenger: services::connection::digest(SECRET),
        jobs: None,
    });
    config.create(tenant, &channel).await.map_err(|e| e.to_string())?;
    vaults
        .channel(tenant, channel_id)
        .save_client_credentials("personal-1001", "personal-secret-1001")
        .await
        .map_err(|e| e.to_string())
}
