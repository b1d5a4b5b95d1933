//! Deliveries Avito makes that change nothing are never only a log line (R-X1): they are kept with
//! why, for administrators to see and replay; the business's own message in a chat whose
//! conversation closed joins that client's history.

mod common;

use common::{ADMIN, OPERATOR, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The messenger webhook URL the sandbox calls for account 1001.
async fn hook(server: &Server) -> String {
    let account: Value = reqwest::get(format!("{}/sandbox/_sandbox/accounts/1001", server.base))
        .await
        .expect("account")
        .json()
        .await
        .expect("JSON");
    account["messenger_subscriptions"][0]
        .as_str()
        .expect("subscribed")
        .to_owned()
}

/// Avito's messenger envelope around one message.
fn envelope(id: &str, chat: &str, user_id: i64, author_id: i64, text: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"id": format!("env-{id}"), "version": "v3.0.0", "timestamp": now,
           "payload": {"type": "message", "value": {"id": id, "chat_id": chat, "user_id": user_id,
           "author_id": author_id, "created": now, "type": "text", "chat_type": "u2i",
           "content": {"text": text}}}})
}

async fn deliver(url: &str, body: &Value) -> StatusCode {
    reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("webhook answers")
        .status()
}

#[tokio::test]
async fn an_ignored_delivery_is_kept_for_administrators_who_can_replay_it() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let url = hook(&server).await;
    // A message for another Avito account reaches this channel's URL: well-formed, not ours.
    assert_eq!(
        deliver(&url, &envelope("m-other", "u2i-elsewhere", 999_001, 999_002, "Привет")).await,
        StatusCode::OK
    );
    let list = server
        .eventually("the delivery is kept", Duration::from_secs(10), async || {
            let (_, page) = server.get("/v1/ignored-deliveries", ADMIN).await;
            page["items"].as_array().filter(|i| !i.is_empty()).cloned()
        })
        .await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["code"], "other_account");
    assert_eq!(list[0]["reason"], "Сообщение для другого аккаунта Авито");
    assert_eq!(list[0]["channel_name"], "Авито");
    let (status, _) = server.get("/v1/ignored-deliveries", OPERATOR).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "operators do not see them");

    let id = list[0]["id"].as_str().expect("id");
    let (status, _) = server
        .post(&format!("/v1/ignored-deliveries/{id}/replay"), OPERATOR, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, replayed) = server
        .post(&format!("/v1/ignored-deliveries/{id}/replay"), ADMIN, json!({}))
        .await;
    assert_eq!(
        (status, replayed["outcome"].as_str(), replayed["reason"].as_str()),
        (
            StatusCode::OK,
            Some("ignored"),
            Some("Сообщение для другого аккаунта Авито")
        ),
        "{replayed}"
    );
    let (_, page) = server.get("/v1/ignored-deliveries", ADMIN).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "kept anew, once: {page}");
    assert_ne!(items[0]["id"], list[0]["id"], "as received again now");
    let (status, _) = server
        .post(&format!("/v1/ignored-deliveries/{id}/replay"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the replayed record is gone");
}

#[tokio::test]
async fn the_businesss_own_message_after_a_conversation_closed_joins_the_clients_history() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let c = server
        .client_writes(json!({"client": {"name": "Вера"}, "text": "Добрый день"}))
        .await;
    let id = c["id"].as_str().expect("id").to_owned();
    let chat = c["chat_id"].as_str().expect("chat").to_owned();
    let (status, _) = server
        .post(&format!("/v1/conversations/{id}/complete"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Someone answers from the Avito app after it closed.
    let url = hook(&server).await;
    assert_eq!(
        deliver(
            &url,
            &envelope("from-app-1", &chat, 1001, 1001, "Ответил из приложения")
        )
        .await,
        StatusCode::OK
    );
    server
        .eventually(
            "the message joins the closed conversation",
            Duration::from_secs(10),
            async || {
                let (_, page) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
                page["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|m| m["id"] == "from-app-1" && m["author"]["type"] == "account")
                    .cloned()
            },
        )
        .await;
    let (_, kept) = server.get("/v1/ignored-deliveries", ADMIN).await;
    assert_eq!(kept["items"], json!([]), "nothing ignored: {kept}");
}
