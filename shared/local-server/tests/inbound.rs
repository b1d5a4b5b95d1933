//! The inbound path in local mode: a sandbox client writes → Avito's webhook reaches the local
//! server → the embedded queue → the router → a conversation, once per message.

mod common;

use adapters::embedded::SqliteConversationStore;
use adapters::ports::ConversationStore;
use common::{ADMIN, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn control(base: &str, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/sandbox/_sandbox{path}"))
        .json(&body)
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_client_message_becomes_a_conversation_once_however_often_it_is_delivered() {
    let server = start(Some(&two_tenants()), &[]);
    let (_, cg) = server
        .post("/v1/channel-groups", ADMIN, json!({"name": "Москва"}))
        .await;
    let (_, ch) = server
        .post(
            "/v1/channels",
            ADMIN,
            json!({"name": "Авито", "kind": "avito", "channel_group_id": cg["id"]}),
        )
        .await;
    let ch = ch["id"].as_str().expect("channel").to_owned();
    let (status, _) = server
        .post(
            &format!("/v1/channels/{ch}/connect"),
            ADMIN,
            json!({"client_id": "personal-1001", "client_secret": "personal-secret-1001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let sent = control(
        &server.base,
        "/accounts/1001/client-messages",
        json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед"}, "text": "Ещё продаёте?"}),
    )
    .await;
    assert_eq!(sent["deliveries"][0]["status"], 200, "{sent}");
    let chat = sent["chat_id"].as_str().expect("chat").to_owned();
    let again = control(
        &server.base,
        "/accounts/1001/client-messages",
        json!({"chat_id": chat, "text": "Алло?", "copies": 5}),
    )
    .await;
    assert_eq!(again["deliveries"].as_array().map(Vec::len), Some(5));

    let store = SqliteConversationStore::open(&server.data.path().join("conversations.sqlite3"))
        .expect("open the server's store");
    let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
    let channel = domain::ids::ChannelId::parse(ch.as_str()).expect("channel");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(c) = store.open_for_chat(&tenant, &channel, &chat).await.expect("read") {
            let messages = store
                .messages(&tenant, &c.value.id, None, 10)
                .await
                .expect("list")
                .items;
            if messages.len() >= 2 {
                // Give the worker time to process every copy, then count again.
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let messages = store
                    .messages(&tenant, &c.value.id, None, 10)
                    .await
                    .expect("list")
                    .items;
                assert_eq!(messages.len(), 2, "five deliveries of one message are one message");
                assert_eq!(c.value.client.name.as_deref(), Some("Иван"));
                assert_eq!(c.value.listing.and_then(|l| l.title).as_deref(), Some("Велосипед"));
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no conversation appeared; server output:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
