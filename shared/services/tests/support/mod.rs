//! A connected Avito channel on the embedded stores, with the sandbox as Avito, for the
//! processing and auto-reply tests.
#![allow(dead_code)]

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::{SqliteConfigStore, SqliteConversationStore, SqliteScheduler};
use adapters::ports::{ConfigStore, ConversationStore, SystemClock};
use adapters::secrets::TokenCipher;
use domain::directory::{AvitoAccount, ChannelDraft, ChannelStatus};
use domain::ids::{ChannelId, TenantId};
use serde_json::{Value, json};
use services::inbound::InboundEvent;
use services::inbound::{InboundProcessor, Outcome};
use std::sync::Arc;

pub const ACCOUNT: i64 = 1001;
pub const CLIENT: i64 = 5001;

pub struct Env {
    pub processor: InboundProcessor,
    pub conversations: Arc<dyn ConversationStore>,
    pub config: Configuration,
    pub tenant: TenantId,
    pub channel: ChannelId,
    pub sandbox_base: String,
    pub sandbox: avito_sandbox::Sandbox,
    pub timers: Arc<SqliteScheduler>,
    _dir: tempfile::TempDir,
}

/// Creates a channel of `kind` connected to account 1001, with working credentials (its
/// personal key pair).
async fn connected_channel(
    config: &Configuration,
    vaults: &Vaults,
    tenant: &TenantId,
    id: &str,
    kind: &str,
    name: &str,
) -> ChannelId {
    let channel_id = ChannelId::parse(id).expect("id");
    let mut channel = ChannelDraft {
        name: name.into(),
        kind: kind.into(),
        channel_group_id: "cg".into(),
    }
    .validate_new(channel_id.clone())
    .expect("channel");
    channel.status = ChannelStatus::Connected;
    channel.account = Some(AvitoAccount {
        id: ACCOUNT,
        name: "Магазин".into(),
        profile_url: None,
    });
    config.create(tenant, &channel).await.expect("channel");
    vaults
        .channel(tenant, &channel_id)
        .save_client_credentials("personal-1001", "personal-secret-1001")
        .await
        .expect("credentials");
    channel_id
}

pub async fn env() -> Env {
    let (sb, base) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig {
        verify_subscriptions: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    avito_sandbox::seed_demo(&sb, "http://127.0.0.1:1/cb");
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn ConfigStore> = Arc::new(SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
    let conversations: Arc<dyn ConversationStore> =
        Arc::new(SqliteConversationStore::open(&dir.path().join("v.sqlite3")).expect("store"));
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
    let config = Configuration::new(Arc::clone(&store));
    let tenant = TenantId::parse("acme").expect("tenant");
    let channel_id = connected_channel(&config, &vaults, &tenant, "ch", "avito", "Авито").await;
    let timers = Arc::new(SqliteScheduler::open(&dir.path().join("t.sqlite3")).expect("timers"));
    let processor = InboundProcessor {
        ports: services::ports::Ports {
            config: config.clone(),
            conversations: Arc::clone(&conversations),
            scheduler: timers.clone(),
            chatbots: Arc::new(
                adapters::chatbot_http::HttpChatbotGateway::new(
                    services::environment::CHATBOT_TIMEOUT,
                    true,
                    Arc::clone(&vaults.cipher),
                )
                .expect("chatbot client"),
            ),
            vaults,
            avito,
            clock: Arc::new(SystemClock),
        },
    };
    Env {
        processor,
        conversations,
        config,
        tenant,
        channel: channel_id,
        sandbox_base: base,
        sandbox: sb,
        timers,
        _dir: dir,
    }
}

impl Env {
    /// An Avito Jobs channel `id` on the same account, connected; with `settings` (a settings
    /// document) if given.
    pub async fn jobs_channel(&self, id: &str, settings: Option<Value>) -> ChannelId {
        let vaults = &self.processor.ports.vaults;
        let channel_id = connected_channel(&self.config, vaults, &self.tenant, id, "avito_jobs", "Вакансии").await;
        if let Some(doc) = settings {
            let doc: domain::settings::ChannelSettingsDoc = serde_json::from_value(doc).expect("settings document");
            let settings = doc
                .validate(domain::directory::ChannelKind::AvitoJobs)
                .expect("valid settings");
            self.config
                .put_channel_settings(&self.tenant, &channel_id, &settings)
                .await
                .expect("saved");
        }
        channel_id
    }

    /// A call to the sandbox's control API; its JSON answer (`null` when it has none).
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let answer = reqwest::Client::new()
            .post(format!("{}/_sandbox{path}", self.sandbox_base))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        let text = answer.text().await.expect("body");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON")
        }
    }

    /// Saves the channel's settings from a settings document.
    pub async fn settings(&self, doc: Value) {
        let doc: domain::settings::ChannelSettingsDoc = serde_json::from_value(doc).expect("settings document");
        let settings = doc
            .validate(domain::directory::ChannelKind::Avito)
            .expect("valid settings");
        self.config
            .put_channel_settings(&self.tenant, &self.channel, &settings)
            .await
            .expect("saved");
    }

    /// Saves a schedule (UTC) that works round the clock, or never.
    pub async fn schedule(&self, round_the_clock: bool) {
        let day = if round_the_clock {
            json!([{"start": "00:00", "end": "24:00"}])
        } else {
            json!([])
        };
        let schedule: domain::schedule::WorkingSchedule = serde_json::from_value(json!({"time_zone": "UTC", "weekly": {
            "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day, "saturday": day, "sunday": day}}))
        .expect("schedule");
        self.config.put_schedule(&self.tenant, &schedule).await.expect("saved");
    }

    /// A chat in the sandbox (a client wrote about a bicycle); returns its id.
    pub async fn sandbox_chat(&self) -> String {
        self.sandbox_chat_of(CLIENT, "Иван").await
    }

    /// A chat in the sandbox started by the given client.
    pub async fn sandbox_chat_of(&self, client: i64, name: &str) -> String {
        let r: Value = reqwest::Client::new()
            .post(format!("{}/_sandbox/accounts/{ACCOUNT}/client-messages", self.sandbox_base))
            .json(&json!({"client": {"id": client, "name": name}, "item": {"title": "Велосипед", "price_string": "15 000 ₽"}, "text": "Здравствуйте"}))
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("JSON");
        r["chat_id"].as_str().expect("chat").to_owned()
    }

    pub fn event(&self, chat: &str, id: &str, author: i64, created: i64, kind: &str, content: Value) -> InboundEvent {
        let webhook = json!({"id": format!("w-{id}"), "version": "v3.0.0", "timestamp": created + 1, "payload": {"type": "message", "value": {
            "id": id, "chat_id": chat, "user_id": ACCOUNT, "author_id": author, "created": created, "type": kind,
            "chat_type": "u2i", "content": content}}});
        InboundEvent::Messenger {
            tenant: self.tenant.clone(),
            channel: self.channel.clone(),
            received_at_ms: 0,
            webhook,
        }
    }

    pub fn text(&self, chat: &str, id: &str, author: i64, created: i64, text: &str) -> InboundEvent {
        self.event(chat, id, author, created, "text", json!({"text": text}))
    }

    pub async fn process(&self, e: &InboundEvent) -> Outcome {
        self.processor.process(e).await.expect("processed")
    }

    pub async fn open(&self, chat: &str) -> domain::conversation::Conversation {
        self.conversations
            .open_for_chat(&self.tenant, &self.channel, chat)
            .await
            .expect("read")
            .expect("open conversation")
            .value
    }

    /// The conversation's messages, oldest first (the tests' conversations hold fewer than 100).
    pub async fn messages(&self, c: &domain::conversation::Conversation) -> Vec<domain::conversation::Message> {
        self.conversations
            .messages(&self.tenant, &c.id, None, 100)
            .await
            .expect("list")
            .items
    }

    pub async fn ids(&self, c: &domain::conversation::Conversation) -> Vec<String> {
        self.messages(c).await.into_iter().map(|m| m.id).collect()
    }
}

pub const T: i64 = 1_764_064_800; // 2025-11-25 10:00:00 UTC
