//! The inbound path in local mode: a sandbox client writes → Avito's webhook reaches the local
//! server → the embedded queue → the router → a conversation, once per message.

mod common;

use adapters::embedded::SqliteConversationStore;
use adapters::ports::ConversationStore;
use common::{ADMIN, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_client_message_becomes_a_conversation_once_however_often_it_is_delivered() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;

    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед"}, "text": "Ещё продаёте?"}),
        )
        .await;
    assert_eq!(sent["deliveries"][0]["status"], 200, "{sent}");
    let chat = sent["chat_id"].as_str().expect("chat").to_owned();
    let again = server
        .sandbox(
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

#[tokio::test]
async fn local_mode_shows_the_whole_flow_auto_replies_then_completion_with_the_closing_message() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    server.work_round_the_clock("Europe/Moscow").await;
    let (status, _) = server
        .put(
            &format!("/v1/channels/{ch}/settings"),
            ADMIN,
            json!({
            "working_time": {"auto_replies": [
                {"text": "Здравствуйте! Оператор скоро ответит.", "delay_seconds": 0},
                {"text": "Извините за ожидание.", "delay_seconds": 2}]},
            "closing_message": {"enabled": true, "text": "Спасибо за обращение!"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Мария"}, "text": "Здравствуйте, вопрос по заказу"}),
        )
        .await;
    let chat = sent["chat_id"].as_str().expect("chat").to_owned();
    let store =
        SqliteConversationStore::open(&server.data.path().join("conversations.sqlite3")).expect("the server's store");
    let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
    let channel = domain::ids::ChannelId::parse(ch.as_str()).expect("channel");

    // Both auto-replies reach the client, the second after its delay.
    let deadline = Instant::now() + Duration::from_secs(15);
    let conversation = loop {
        if let Some(c) = store.open_for_chat(&tenant, &channel, &chat).await.expect("read") {
            let (_, page) = server
                .get(&format!("/v1/conversations/{}/messages", c.value.id), ADMIN)
                .await;
            let sent_auto: Vec<String> = page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["author"]["type"] == "auto_reply" && m["delivery"]["state"] == "sent")
                .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
                .collect();
            if sent_auto.len() == 2 {
                assert_eq!(
                    sent_auto,
                    ["Здравствуйте! Оператор скоро ответит.", "Извините за ожидание."]
                );
                break c.value;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the auto-replies did not arrive; output:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (_, shown) = server
        .get(&format!("/v1/conversations/{}", conversation.id), ADMIN)
        .await;
    assert_eq!(
        (shown["status"].as_str(), shown["client"]["name"].as_str()),
        (Some("open"), Some("Мария"))
    );
    assert!(
        shown["waiting_since"].is_string(),
        "auto-replies do not answer the client: {shown}"
    );

    // The operator answers: once, however often the request is retried.
    let reply = json!({"text": "Здравствуйте, Мария! Заказ уже в пути.", "idempotency_key": "reply-1"});
    let path = format!("/v1/conversations/{}/messages", conversation.id);
    let (status, first) = server.post(&path, ADMIN, reply.clone()).await;
    assert_eq!(
        (status, first["delivery"]["state"].as_str()),
        (StatusCode::CREATED, Some("sent")),
        "{first}"
    );
    for _ in 0..2 {
        let (status, again) = server.post(&path, ADMIN, reply.clone()).await;
        assert_eq!((status, again["id"].as_str()), (StatusCode::OK, first["id"].as_str()));
    }
    let in_chat: Vec<Value> = reqwest::get(format!(
        "{}/sandbox/_sandbox/accounts/1001/chats/{chat}/messages",
        server.base
    ))
    .await
    .expect("chat")
    .json()
    .await
    .expect("JSON");
    let copies = in_chat
        .iter()
        .filter(|m| m["content"]["text"] == "Здравствуйте, Мария! Заказ уже в пути.")
        .count();
    assert_eq!(copies, 1, "three requests, one message in the client's chat");
    let too_long = json!({"text": "я".repeat(1001), "idempotency_key": "reply-2"});
    assert_eq!(
        server.post(&path, ADMIN, too_long).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(
        server
            .get(&format!("/v1/conversations/{}", conversation.id), ADMIN)
            .await
            .1["waiting_since"]
            .is_null(),
        "answered"
    );

    // The operator completes it: the closing message goes out once.
    let (status, done) = server
        .post(
            &format!("/v1/conversations/{}/complete", conversation.id),
            ADMIN,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, done["closing_message"].as_str()),
        (StatusCode::OK, Some("sent")),
        "{done}"
    );
    let (status, _) = server
        .post(
            &format!("/v1/conversations/{}/complete", conversation.id),
            ADMIN,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let calls = server.sandbox_calls().await;
    let sends = calls.iter().filter(|c| c["operation"] == "postSendMessage").count();
    assert_eq!(sends, 4, "two auto-replies, one reply and one closing message");
    // The echoes of our own messages open nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        store
            .open_for_chat(&tenant, &channel, &chat)
            .await
            .expect("read")
            .is_none()
    );
    // Another tenant cannot read or complete it.
    assert_eq!(
        server
            .get(&format!("/v1/conversations/{}", conversation.id), common::OTHER_ADMIN)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn of_two_operators_taking_one_conversation_at_once_exactly_one_gets_it() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Пётр"}, "text": "Добрый день"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let path = format!("/v1/conversations/{id}/take");
    let (a, b) = tokio::join!(
        server.post(&path, ADMIN, json!({})),
        server.post(&path, common::OPERATOR, json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let (winner, token) = if a.0 == StatusCode::OK {
        (a.1, ADMIN)
    } else {
        (b.1, common::OPERATOR)
    };
    let mine = server.get("/v1/conversations?view=mine", token).await.1;
    assert_eq!(mine["items"][0]["id"].as_str(), Some(id.as_str()));
    assert_eq!(winner["handler"]["type"], "operator");
    assert_eq!(
        server.get("/v1/conversations?view=queue", ADMIN).await.1["items"],
        json!([]),
        "no longer in the queue"
    );
}

/// The id of the conversation the router opened for a sandbox chat (waits up to 10 s).
async fn opened_conversation(server: &common::Server, channel: &str, sent: &Value) -> String {
    let chat = sent["chat_id"].as_str().expect("chat").to_owned();
    let store =
        SqliteConversationStore::open(&server.data.path().join("conversations.sqlite3")).expect("the server's store");
    let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
    let channel = domain::ids::ChannelId::parse(channel).expect("channel");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(c) = store.open_for_chat(&tenant, &channel, &chat).await.expect("read") {
            return c.value.id.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no conversation; output:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_operator_opens_the_guest_card_of_a_new_client() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Ольга"}, "text": "Здравствуйте"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let (status, conversation) = server.get(&format!("/v1/conversations/{id}"), common::OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "{conversation}");
    let card_id = conversation["client"]["card_id"].as_str().expect("a card").to_owned();
    let (status, card) = server
        .get(&format!("/v1/client-cards/{card_id}"), common::OPERATOR)
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(
        (card["kind"].as_str(), card["name"].as_str()),
        (Some("guest"), Some("Ольга"))
    );
    assert_eq!(card["avito_user_ids"], json!([conversation["client"]["avito_user_id"]]));
    for missing in ["0123456789abcdef", "not a card!"] {
        let (status, body) = server
            .get(&format!("/v1/client-cards/{missing}"), common::OPERATOR)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
    }
}

#[tokio::test]
async fn a_reply_avito_refused_is_sent_again_once_and_one_that_may_have_arrived_is_not() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Нина"}, "text": "Есть в наличии?"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let fault = |status: u16| {
        let base = server.base.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/sandbox/_sandbox/faults"))
                .json(&json!({"operation": "postSendMessage", "status": status, "times": 1}))
                .send()
                .await
                .expect("fault");
            assert!(r.status().is_success());
        }
    };
    let path = format!("/v1/conversations/{id}/messages");

    // A 500 may hide a message Avito sent: it is not sent again.
    fault(500).await;
    let (status, ambiguous) = server
        .post(&path, ADMIN, json!({"text": "Да, есть", "idempotency_key": "a"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ambiguous}");
    assert_eq!(
        ambiguous["delivery"],
        json!({"state": "failed", "reason": ambiguous["delivery"]["reason"], "resendable": false,
            "code": "avito_unavailable"})
    );
    let resend = |message: &str| format!("{path}/{message}/resend");
    let (status, body) = server.post(&resend("op-a"), ADMIN, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A refusal proves it was not sent: it can be sent again, once, however many resends race.
    fault(400).await;
    let (_, refused) = server
        .post(
            &path,
            ADMIN,
            json!({"text": "Да, есть, приезжайте", "idempotency_key": "b"}),
        )
        .await;
    assert_eq!(
        (&refused["delivery"]["resendable"], &refused["delivery"]["code"]),
        (&json!(true), &json!("rejected")),
        "{refused}"
    );
    // The first reply took the conversation for the administrator: two of their tabs race.
    let again = resend("op-b");
    let (a, b) = tokio::join!(
        server.post(&again, ADMIN, json!({})),
        server.post(&again, ADMIN, json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let won = if a.0 == StatusCode::OK { a.1 } else { b.1 };
    assert_eq!(won["delivery"]["state"], "sent", "{won}");
    assert_eq!(
        server.post(&resend("op-b"), ADMIN, json!({})).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        server.post(&resend("op-none"), ADMIN, json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    let calls = server.sandbox_calls().await;
    let delivered = calls
        .iter()
        .filter(|c| c["operation"] == "postSendMessage" && c["status"] == 200)
        .count();
    assert_eq!(delivered, 1, "the refused reply, sent again once: {calls:?}");
}

#[tokio::test]
async fn the_assignee_or_an_administrator_returns_a_conversation_to_the_queue() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Вера"}, "text": "Добрый вечер"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let take = format!("/v1/conversations/{id}/take");
    let back = format!("/v1/conversations/{id}/return");
    assert_eq!(server.post(&take, ADMIN, json!({})).await.0, StatusCode::OK);

    // Boris is not the assignee and not an administrator.
    let (status, body) = server.post(&back, common::OPERATOR, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server.post(&back, ADMIN, json!({"group_id": "nope"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        server.post(&back, common::OTHER_ADMIN, json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    let (status, returned) = server.post(&back, ADMIN, json!({})).await;
    assert_eq!(
        (status, returned["handler"]["type"].as_str()),
        (StatusCode::OK, Some("general_queue")),
        "{returned}"
    );
    let queue = server.get("/v1/conversations?view=queue", common::OPERATOR).await.1;
    assert_eq!(
        queue["items"][0]["id"].as_str(),
        Some(id.as_str()),
        "back in the queue: {queue}"
    );
    assert_eq!(
        server.post(&back, ADMIN, json!({})).await.0,
        StatusCode::CONFLICT,
        "already in the queue"
    );

    // Boris takes it; an administrator may return it for him.
    assert_eq!(server.post(&take, common::OPERATOR, json!({})).await.0, StatusCode::OK);
    let (status, returned) = server.post(&back, ADMIN, json!({})).await;
    assert_eq!(
        (status, returned["handler"]["type"].as_str()),
        (StatusCode::OK, Some("general_queue"))
    );
    let notes: Vec<String> = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await.1["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
        .filter(|t| t.contains("вернул"))
        .collect();
    assert_eq!(notes.len(), 2, "each return is a visible note: {notes:?}");
}

#[tokio::test]
async fn an_operator_cannot_take_from_the_queue_of_a_group_they_are_not_in() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let (_, group) = server.post("/v1/groups", ADMIN, json!({"name": "Продажи"})).await;
    server.work_round_the_clock("UTC").await;
    let (status, body) = server
        .put(
            &format!("/v1/channels/{ch}/settings"),
            ADMIN,
            json!({"working_time": {"receiver": {"type": "group", "group_id": group["id"]}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Глеб"}, "text": "Сколько стоит доставка?"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let take = format!("/v1/conversations/{id}/take");
    let (status, body) = server.post(&take, common::OPERATOR, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Boris is not in «Продажи»: {body}");
    let reply = format!("/v1/conversations/{id}/messages");
    let (status, body) = server
        .post(
            &reply,
            common::OPERATOR,
            json!({"text": "Здравствуйте", "idempotency_key": "b1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor answer in that queue: {body}");
    let (status, taken) = server.post(&take, ADMIN, json!({})).await;
    assert_eq!(
        (status, taken["handler"]["type"].as_str()),
        (StatusCode::OK, Some("operator")),
        "{taken}"
    );
    for (path, body) in [
        (reply.clone(), json!({"text": "Здравствуйте", "idempotency_key": "b2"})),
        (format!("/v1/conversations/{id}/comments"), json!({"text": "моё"})),
        (format!("/v1/conversations/{id}/complete"), json!({})),
    ] {
        let (status, answer) = server.post(&path, common::OPERATOR, body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{path}: another operator's conversation: {answer}"
        );
    }
    let (status, _) = server.get(&format!("/v1/conversations/{id}"), common::OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "reading stays open within the tenant");
    let (_, messages) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    let kinds: Vec<&str> = messages["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"]["type"].as_str())
        .collect();
    assert_eq!(kinds, vec!["text", "system"], "nothing refused was stored: {messages}");
}

#[tokio::test]
async fn completing_names_the_employee_the_caller_works_as_and_takes_show_names() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    // Anna (the administrator's token user) is the employee «Анна Петрова» in the directory.
    let (status, anna) = server
        .post(
            "/v1/employees",
            ADMIN,
            json!({"name": "Анна Петрова", "user_id": "anna"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{anna}");
    let anna_id = anna["id"].as_str().expect("employee id").to_owned();
    assert_ne!(anna_id, "anna");
    let (_, me) = server.get("/v1/me", ADMIN).await;
    assert_eq!(me["employee_id"].as_str(), Some(anna_id.as_str()), "{me}");
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Вера"}, "text": "Добрый день"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    let (status, taken) = server
        .post(&format!("/v1/conversations/{id}/take"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    // Another operator trying to take it is told who has it, by name.
    let (status, refused) = server
        .post(&format!("/v1/conversations/{id}/take"), common::OPERATOR, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("Анна Петрова")),
        "{refused}"
    );
    let (status, done) = server
        .post(&format!("/v1/conversations/{id}/complete"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, closed) = server.get(&format!("/v1/conversations/{id}"), ADMIN).await;
    assert_eq!(
        closed["closing_reason"],
        json!({"type": "completed", "employee_id": anna_id}),
        "the employee GET /v1/me names, not the token's user"
    );
    let notes: Vec<String> = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await.1["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
        .collect();
    assert!(
        notes.iter().any(|t| t == "Обращение взял оператор Анна Петрова"),
        "the take note names the person: {notes:?}"
    );
}

#[tokio::test]
async fn an_operator_is_refused_an_administrators_write_before_its_body_is_read() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    for (path, body) in [
        ("/v1/distribution".to_owned(), "{not json"),
        ("/v1/distribution".to_owned(), r#"{"mode": 7}"#),
        ("/v1/schedule".to_owned(), "[]"),
        (format!("/v1/channels/{ch}/settings"), "{"),
        ("/v1/employees/nobody".to_owned(), "null"),
    ] {
        let r = reqwest::Client::new()
            .put(format!("{}{path}", server.base))
            .bearer_auth(common::OPERATOR)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answer");
        let status = r.status();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "PUT {path} {body}: {answer}"
        );
    }
    let r = reqwest::Client::new()
        .post(format!("{}/v1/employees", server.base))
        .bearer_auth(common::OPERATOR)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reply_refused_for_its_token_whose_refresh_failed_can_be_sent_again() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let sent = server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"client": {"name": "Лев"}, "text": "Добрый день"}),
        )
        .await;
    let id = opened_conversation(&server, &ch, &sent).await;
    // The tokens expire at Avito, and the token endpoint answers 502 once: the send is refused
    // for its token (403) and no new token comes, so nothing reached the chat.
    server.sandbox("/accounts/1001/expire-tokens", json!({})).await;
    let r = reqwest::Client::new()
        .post(format!("{}/sandbox/_sandbox/faults", server.base))
        .json(&json!({"operation": "getAccessToken", "status": 502, "times": 1}))
        .send()
        .await
        .expect("fault");
    assert!(r.status().is_success());
    let path = format!("/v1/conversations/{id}/messages");
    let (status, failed) = server
        .post(&path, ADMIN, json!({"text": "Здравствуйте!", "idempotency_key": "t1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{failed}");
    assert_eq!(
        (
            failed["delivery"]["state"].as_str(),
            failed["delivery"]["resendable"].as_bool(),
            failed["delivery"]["code"].as_str()
        ),
        (Some("failed"), Some(true), Some("access_refused")),
        "it provably never left: {failed}"
    );
    let (status, resent) = server.post(&format!("{path}/op-t1/resend"), ADMIN, json!({})).await;
    assert_eq!(
        (status, resent["delivery"]["state"].as_str()),
        (StatusCode::OK, Some("sent")),
        "{resent}"
    );
    let calls = server.sandbox_calls().await;
    let delivered = calls
        .iter()
        .filter(|c| c["operation"] == "postSendMessage" && c["status"] == 200)
        .count();
    assert_eq!(delivered, 1, "{calls:?}");
}
