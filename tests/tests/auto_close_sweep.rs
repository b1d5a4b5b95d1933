//! The auto-close sweep, as the scheduled function runs it, reaches every truly inactive
//! conversation in one run however many are open: thousands of open conversations, most of them
//! answered since their stored auto-close time (which is long past), a few truly inactive behind
//! them in the index. One run closes exactly the inactive ones and moves the others to their real
//! time; a second run finds nothing to do. On SQLite and on DynamoDB (moto).

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::{SqliteConfigStore, SqliteConversationStore, SqliteScheduler};
use adapters::ports::{ConfigStore, ConversationStore, SystemClock};
use adapters::secrets::TokenCipher;
use chrono::{TimeDelta, Utc};
use domain::conversation::{ClientRef, ClosingReason, Conversation, ConversationStatus, Handler, Opening};
use domain::ids::{ChannelId, ConversationId, TenantId};
use domain::settings::AutoCloseAfter;
use services::closing::Closing;
use services::ports::Ports;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How many conversations are open.
const OPEN: usize = 2000;
/// How many of them are truly inactive.
const INACTIVE: usize = 5;

fn ports(
    config: Arc<dyn ConfigStore>,
    conversations: Arc<dyn ConversationStore>,
    scheduler_file: &std::path::Path,
) -> Ports {
    // Nothing here reaches Avito: the closing message is off.
    let avito = AvitoClient::new("http://127.0.0.1:9", RetryPolicy::default()).expect("client");
    let vaults = Vaults {
        store: Arc::clone(&config),
        cipher: Arc::new(
            TokenCipher::from_config(
                "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "k1",
            )
            .expect("keys"),
        ),
        avito: avito.clone(),
        app: AppCredentials {
            client_id: "app".into(),
            client_secret: "app-secret".into(),
        },
        clock: Arc::new(SystemClock),
    };
    Ports {
        config: Configuration::new(config),
        conversations,
        scheduler: Arc::new(SqliteScheduler::open(scheduler_file).expect("timers")),
        chatbots: Arc::new(
            adapters::chatbot_http::HttpChatbotGateway::new(Duration::from_secs(1), false, Arc::clone(&vaults.cipher))
                .expect("chatbots"),
        ),
        avito,
        vaults,
        clock: Arc::new(SystemClock),
    }
}

async fn one_run_closes_exactly_the_inactive_ones(ports: Ports) {
    let tenant = TenantId::parse(format!("t{}", uuid::Uuid::new_v4().simple())).expect("tenant");
    let channel = ChannelId::parse("ch").expect("channel");
    let now = Utc::now();
    let after = AutoCloseAfter::default();
    let store = Arc::clone(&ports.conversations);
    let mut inactive = Vec::new();
    for i in 0..OPEN {
        let truly_inactive = i >= OPEN - INACTIVE;
        let last_activity = if truly_inactive {
            now - after.duration() - TimeDelta::hours(1)
        } else {
            now - TimeDelta::minutes(30)
        };
        let mut c = Conversation::open(Opening {
            id: ConversationId::parse(format!("c{i:05}")).expect("id"),
            channel_id: channel.clone(),
            chat_id: format!("u2i-{i}"),
            handler: Handler::GeneralQueue,
            client: ClientRef::default(),
            listing: None,
            at: now - TimeDelta::days(10),
            last_activity_at: last_activity,
            waiting_since: None,
            candidate: None,
            auto_close_after: after,
        });
        // The stored times: every answered one's long past (its answer did not move it), earlier
        // than the inactive ones', so they stand first in the index.
        c.auto_close_due_at = Some(if truly_inactive {
            now - TimeDelta::minutes(10)
        } else {
            now - TimeDelta::days(2) + TimeDelta::seconds(i as i64)
        });
        store.open(&tenant, &c).await.expect("open");
        if truly_inactive {
            inactive.push(c.id.clone());
        }
    }

    let closing = Closing { ports };
    let deadline = SystemTime::now() + Duration::from_secs(15 * 60);
    let swept = auto_close::handle(&closing, now, deadline).await.expect("sweep");
    assert_eq!(
        (swept.closed, swept.rescheduled, swept.failed),
        (INACTIVE, OPEN - INACTIVE, 0),
        "one run: the inactive closed, the others moved to their real time"
    );
    for id in &inactive {
        let c = store.get(&tenant, id).await.expect("read").expect("exists").value;
        assert_eq!(
            (c.status, c.closing_reason),
            (ConversationStatus::Closed, Some(ClosingReason::Inactive))
        );
    }
    for i in [0, OPEN / 2, OPEN - INACTIVE - 1] {
        let id = ConversationId::parse(format!("c{i:05}")).expect("id");
        let c = store.get(&tenant, &id).await.expect("read").expect("exists").value;
        assert_eq!(c.status, ConversationStatus::Open, "c{i:05}");
        assert_eq!(
            c.auto_close_due_at,
            Some(c.last_activity_at + after.duration()),
            "moved to its real time"
        );
    }
    let again = auto_close::handle(&closing, now, deadline).await.expect("sweep");
    assert_eq!((again.closed, again.rescheduled), (0, 0), "nothing is due any more");
}

#[tokio::test]
async fn on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let config: Arc<dyn ConfigStore> =
        Arc::new(SqliteConfigStore::open(&dir.path().join("config.sqlite3")).expect("config"));
    let conversations: Arc<dyn ConversationStore> =
        Arc::new(SqliteConversationStore::open(&dir.path().join("conversations.sqlite3")).expect("store"));
    one_run_closes_exactly_the_inactive_ones(ports(config, conversations, &dir.path().join("timers.sqlite3"))).await;
}

#[tokio::test]
async fn on_dynamodb() {
    use adapters::aws::{DynamoConfigStore, DynamoConversationStore, dynamodb_client_from_env};
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    let table = format!("sweep-{}", uuid::Uuid::new_v4().simple());
    let client = dynamodb_client_from_env().await;
    let template = aws_stack::StackTemplate::repository().expect("infra/template.yaml");
    aws_stack::create_table(&client, template.table().expect("the table"), &table)
        .await
        .expect("table");
    let dir = tempfile::tempdir().expect("dir");
    let config: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(client.clone(), table.clone()));
    let conversations: Arc<dyn ConversationStore> = Arc::new(DynamoConversationStore::new(client, table));
    one_run_closes_exactly_the_inactive_ones(ports(config, conversations, &dir.path().join("timers.sqlite3"))).await;
}
