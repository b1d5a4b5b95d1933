//! A chatbot through the running local server: it receives the client's messages, answers through
//! the chatbot API with its own token, hands over to a human, and finishes a conversation.

mod common;

use adapters::embedded::SqliteConversationStore;
use adapters::ports::ConversationStore;
use common::{ADMIN, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bot on loopback that accepts every event and remembers the conversation ids.
async fn bot() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |body: axum::Json<Value>| {
            let log = Arc::clone(&log);
            async move {
                if let (Ok(mut l), Some(id)) = (log.lock(), body.0["conversation_id"].as_str()) {
                    l.push(id.to_owned());
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/events", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

async fn as_bot(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("answer");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_bot_answers_hands_over_and_finishes_through_its_api() {
    let server = start(Some(&two_tenants()), &[]);
    let (url, seen) = bot().await;
    let ch = server.connected_avito_channel().await;
    let (_, group) = server.post("/v1/groups", ADMIN, json!({"name": "Поддержка"})).await;
    let (_, chatbot) = server
        .post(
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Бот", "url": url, "signing_secret": "bot-signing-secret-0123"}),
        )
        .await;
    let bot_id = chatbot["id"].as_str().expect("bot").to_owned();
    let (status, token) = server
        .post(&format!("/v1/chatbots/{bot_id}/api-token"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = token["api_token"].as_str().expect("token").to_owned();
    assert_eq!(
        server.get(&format!("/v1/chatbots/{bot_id}"), ADMIN).await.1["has_api_token"],
        true
    );
    assert!(
        !server
            .get(&format!("/v1/chatbots/{bot_id}"), ADMIN)
            .await
            .1
            .to_string()
            .contains(&token),
        "shown once"
    );
    server.work_round_the_clock("UTC").await;
    let (status, _) = server
        .put(&format!("/v1/channels/{ch}/settings"), ADMIN, json!({
            "working_time": {"receiver": {"type": "chatbot", "chatbot_id": bot_id, "fallback": {"type": "group", "group_id": group["id"]}}},
            "closing_message": {"enabled": true, "text": "До свидания!"}}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let store = SqliteConversationStore::open(&server.data.path().join("conversations.sqlite3")).expect("store");
    let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
    let channel = domain::ids::ChannelId::parse(ch.as_str()).expect("channel");
    let mut conversations = Vec::new();
    for client in ["Иван", "Олег"] {
        let sent: Value = reqwest::Client::new()
            .post(format!(
                "{}/sandbox/_sandbox/accounts/1001/client-messages",
                server.base
            ))
            .json(&json!({"client": {"name": client}, "text": "Здравствуйте"}))
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("JSON");
        let chat = sent["chat_id"].as_str().expect("chat").to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        let id = loop {
            if let Some(c) = store.open_for_chat(&tenant, &channel, &chat).await.expect("read") {
                break c.value.id.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no conversation; output:\n{}",
                server.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        conversations.push(id);
    }
    // The conversation is stored when it opens; its message reaches the bot just after.
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().map(|s| s.len()).unwrap_or_default() < conversations.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen.lock().map(|s| s.clone()).unwrap_or_default(),
        conversations,
        "the bot got both"
    );
    let (first, second) = (&conversations[0], &conversations[1]);

    // Wrong tokens are refused.
    assert_eq!(
        as_bot(
            &server,
            "acme.nope.nope",
            &format!("/v1/bot/conversations/{first}/messages"),
            json!({"text": "x"})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        as_bot(
            &server,
            &format!("{token}x"),
            &format!("/v1/bot/conversations/{first}/messages"),
            json!({"text": "x"})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );

    let (status, sent) = as_bot(
        &server,
        &token,
        &format!("/v1/bot/conversations/{first}/messages"),
        json!({"text": "Чем могу помочь?"}),
    )
    .await;
    assert_eq!(
        (status, sent["delivery"].as_str()),
        (StatusCode::CREATED, Some("sent")),
        "{sent}"
    );
    let (status, handed) = as_bot(
        &server,
        &token,
        &format!("/v1/bot/conversations/{first}/handover"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, handed["handler"]["type"].as_str()),
        (StatusCode::OK, Some("group_queue")),
        "{handed}"
    );
    // Once handed over, it is no longer the bot's.
    assert_eq!(
        as_bot(
            &server,
            &token,
            &format!("/v1/bot/conversations/{first}/messages"),
            json!({"text": "ещё"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let (status, finished) = as_bot(
        &server,
        &token,
        &format!("/v1/bot/conversations/{second}/finish"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, finished["closing_message"].as_str()),
        (StatusCode::OK, Some("sent")),
        "{finished}"
    );
    let (_, closed) = server.get(&format!("/v1/conversations/{second}"), ADMIN).await;
    assert_eq!(
        (closed["status"].as_str(), closed["closing_reason"]["type"].as_str()),
        (Some("closed"), Some("bot_finished"))
    );
}

#[tokio::test]
async fn a_bot_handing_over_notifies_the_operator_who_gets_the_conversation() {
    let server = start(Some(&two_tenants()), &[]);
    let (url, seen) = bot().await;
    let ch = server.connected_avito_channel().await;
    // Boris (the operator token's user) is the bot's fallback.
    let (_, boris) = server
        .post("/v1/employees", ADMIN, json!({"name": "Борис", "user_id": "boris"}))
        .await;
    let boris = boris["id"].as_str().expect("employee").to_owned();
    let (_, chatbot) = server
        .post(
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Бот", "url": url, "signing_secret": "bot-signing-secret-0123"}),
        )
        .await;
    let bot_id = chatbot["id"].as_str().expect("bot").to_owned();
    let (_, token) = server
        .post(&format!("/v1/chatbots/{bot_id}/api-token"), ADMIN, json!({}))
        .await;
    let token = token["api_token"].as_str().expect("token").to_owned();
    server.work_round_the_clock("UTC").await;
    let (status, body) = server
        .put(
            &format!("/v1/channels/{ch}/settings"),
            ADMIN,
            json!({
            "working_time": {"receiver": {"type": "chatbot", "chatbot_id": bot_id,
                                          "fallback": {"type": "employee", "employee_id": boris}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Иван"}, "text": "Позовите человека"}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        if let Some(id) = seen.lock().ok().and_then(|s| s.first().cloned()) {
            break id;
        }
        assert!(Instant::now() < deadline, "the bot got nothing: {}", server.output());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (_, feed) = server.get("/v1/notifications", common::OPERATOR).await;
    assert_eq!(feed["items"], json!([]), "nothing for Boris while the bot has it");

    let (status, handed) = as_bot(
        &server,
        &token,
        &format!("/v1/bot/conversations/{id}/handover"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, handed["handler"]["employee_id"].as_str()),
        (StatusCode::OK, Some(boris.as_str())),
        "{handed}"
    );
    let (_, feed) = server.get("/v1/notifications", common::OPERATOR).await;
    let assigned: Vec<&Value> = feed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "assigned" && n["conversation_id"] == id.as_str())
        .collect();
    assert_eq!(assigned.len(), 1, "Boris is told once: {feed}");
    assert_eq!(assigned[0]["text"], "Вам назначено обращение: Иван");
    // A repeated hand-over finds the conversation no longer the bot's, and tells no one again.
    let (status, _) = as_bot(
        &server,
        &token,
        &format!("/v1/bot/conversations/{id}/handover"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, feed) = server.get("/v1/notifications", common::OPERATOR).await;
    assert_eq!(feed["items"].as_array().map(Vec::len), Some(1), "{feed}");
}

#[tokio::test]
async fn a_chatbots_signing_secret_rests_sealed_and_still_signs_its_events() {
    const SECRET: &str = "bot-signing-secret-sealed-0123";
    let server = start(Some(&two_tenants()), &[]);
    // A bot that checks the signature of what it gets.
    let verified = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&verified);
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let log = Arc::clone(&log);
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let timestamp: i64 = header("x-timestamp").parse().unwrap_or_default();
                let expected = format!("sha256={}", adapters::chatbot_http::signature(SECRET, timestamp, &body));
                if let Ok(mut l) = log.lock() {
                    l.push(header("x-signature") == expected);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/events", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let ch = server.connected_avito_channel().await;
    let (_, group) = server.post("/v1/groups", ADMIN, json!({"name": "Поддержка"})).await;
    let (status, chatbot) = server
        .post(
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Бот", "url": url, "signing_secret": SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chatbot}");
    server.work_round_the_clock("UTC").await;
    server
        .put(
            &format!("/v1/channels/{ch}/settings"),
            ADMIN,
            json!({
            "working_time": {"receiver": {"type": "chatbot", "chatbot_id": chatbot["id"],
                                          "fallback": {"type": "group", "group_id": group["id"]}}}}),
        )
        .await;
    server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Иван"}, "text": "Здравствуйте"}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while verified.lock().map(|v| v.is_empty()).unwrap_or(true) {
        assert!(Instant::now() < deadline, "the bot got nothing: {}", server.output());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        verified.lock().map(|v| v.clone()).unwrap_or_default(),
        [true],
        "signed with the secret"
    );
    // Nothing the store wrote holds the secret in plain text.
    for entry in std::fs::read_dir(server.data.path()).expect("data directory") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }
}
