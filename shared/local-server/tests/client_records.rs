//! Client cards and what operators record (R-OP2, R-OP3, R-OP5) through the running local server:
//! a guest made a client keeps its history; writing from a card goes into the client's Avito chat
//! or is refused when there is none; topic, links and internal comments are saved, never sent.

mod common;

use common::{ADMIN, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The sandbox client 5001 («Ольга») writes `text` in `chat` (a new chat when `None`); returns the
/// conversation it lands in, once it is there.
async fn client_writes(server: &Server, chat: Option<&str>, text: &str) -> Value {
    let mut body = json!({"client": {"id": 5001, "name": "Ольга"}, "text": text});
    if let Some(chat) = chat {
        body["chat_id"] = json!(chat);
    }
    server.client_writes(body).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

fn sends(calls: &[Value]) -> usize {
    calls.iter().filter(|c| c["operation"] == "postSendMessage").count()
}

#[tokio::test]
async fn a_guest_made_a_client_keeps_every_earlier_conversation_in_its_history() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let first = client_writes(&server, None, "Здравствуйте, про велосипед").await;
    let id = first["id"].as_str().expect("id");
    let (status, _) = server
        .post(&format!("/v1/conversations/{id}/complete"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = client_writes(&server, None, "А самокаты есть?").await;
    let card = first["client"]["card_id"].as_str().expect("a guest card");
    assert_eq!(second["client"]["card_id"], card, "one card for one Avito user");

    let (status, client) = server
        .put(
            &format!("/v1/client-cards/{card}"),
            ADMIN,
            json!({"kind": "client", "name": "Ольга Иванова", "phones": ["+7 900 111-22-33"], "emails": ["olga@example.ru"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(
        (client["kind"].as_str(), client["id"].as_str()),
        (Some("client"), Some(card))
    );
    let (status, history) = server
        .get(&format!("/v1/client-cards/{card}/conversations"), ADMIN)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(
        ids(&history),
        vec![second["id"].as_str().expect("id"), id],
        "newest first, the closed one included"
    );
    let (status, page) = server
        .get(&format!("/v1/client-cards/{card}/conversations?limit=1"), ADMIN)
        .await;
    let next = page["next_cursor"].as_str().expect("a second page");
    let (_, rest) = server
        .get(
            &format!("/v1/client-cards/{card}/conversations?limit=1&cursor={next}"),
            ADMIN,
        )
        .await;
    assert_eq!((status, ids(&rest)), (StatusCode::OK, vec![id.to_owned()]));

    let (status, bad) = server
        .put(
            &format!("/v1/client-cards/{card}"),
            ADMIN,
            json!({"kind": "guest", "name": "", "phones": ["12"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["kind", "name", "phones[0]"]);
    let (_, unchanged) = server.get(&format!("/v1/client-cards/{card}"), ADMIN).await;
    assert_eq!(unchanged["name"], "Ольга Иванова", "a refused edit changes nothing");
}

#[tokio::test]
async fn writing_from_a_card_goes_into_the_clients_chat_or_is_refused_when_there_is_none() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let first = client_writes(&server, None, "Добрый день").await;
    let id = first["id"].as_str().expect("id");
    let card = first["client"]["card_id"].as_str().expect("card");
    server
        .post(&format!("/v1/conversations/{id}/complete"), ADMIN, json!({}))
        .await;

    let before = sends(&server.sandbox_calls().await);
    let write = json!({"text": "Ольга, велосипед снова в наличии", "idempotency_key": "card-1"});
    let (status, sent) = server
        .post(&format!("/v1/client-cards/{card}/messages"), ADMIN, write.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["delivery"]["state"], "sent", "{sent}");
    let (status, again) = server
        .post(&format!("/v1/client-cards/{card}/messages"), ADMIN, write)
        .await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &sent["id"]), "{again}");
    assert_eq!(
        sends(&server.sandbox_calls().await),
        before + 1,
        "one message in the chat"
    );
    let (_, reopened) = server
        .get(
            &format!("/v1/conversations/{}", sent["conversation_id"].as_str().expect("id")),
            ADMIN,
        )
        .await;
    assert_eq!(reopened["chat_id"], first["chat_id"], "the client's existing chat");
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["handler"]["type"], "operator");

    let (status, phoned) = server
        .post(
            "/v1/client-cards",
            ADMIN,
            json!({"name": "Сергей", "phones": ["+7 900 000-00-01"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{phoned}");
    let (status, refused) = server
        .post(
            &format!("/v1/client-cards/{}/messages", phoned["id"].as_str().expect("id")),
            ADMIN,
            json!({"text": "Здравствуйте", "idempotency_key": "card-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Avito cannot start a chat"),
        "{refused}"
    );
}

#[tokio::test]
async fn topic_links_and_comments_are_saved_in_one_request_and_comments_are_never_sent() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let c = client_writes(&server, None, "Нужна доставка в Химки").await;
    let id = c["id"].as_str().expect("id");
    let (_, deal) = server
        .post("/v1/deals", ADMIN, json!({"title": "Велосипед для Ольги"}))
        .await;
    let (_, org) = server
        .post("/v1/organizations", ADMIN, json!({"name": "ООО Ромашка"}))
        .await;
    let (_, client) = server
        .post("/v1/client-cards", ADMIN, json!({"name": "Ольга Иванова"}))
        .await;

    let (status, bad) = server
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/conversations/{id}"),
            ADMIN,
            Some(json!({"topic": "я".repeat(201), "deal_id": "nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["fields"].as_array().map(Vec::len), Some(2), "{bad}");

    let (status, saved) = server
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/conversations/{id}"),
            ADMIN,
            Some(json!({"topic": "Доставка", "client_card_id": client["id"], "deal_id": deal["id"], "organization_id": org["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (
            &saved["topic"],
            &saved["client"]["card_id"],
            &saved["deal_id"],
            &saved["organization_id"]
        ),
        (&json!("Доставка"), &client["id"], &deal["id"], &org["id"])
    );
    let (_, history) = server
        .get(
            &format!("/v1/client-cards/{}/conversations", client["id"].as_str().expect("id")),
            ADMIN,
        )
        .await;
    assert_eq!(ids(&history), vec![id.to_owned()], "linked: in the client's history");
    let (_, card) = server
        .get(
            &format!("/v1/client-cards/{}", client["id"].as_str().expect("id")),
            ADMIN,
        )
        .await;
    assert_eq!(
        card["avito_user_ids"],
        json!([5001]),
        "their next conversations open with it"
    );

    let before = sends(&server.sandbox_calls().await);
    let (status, comment) = server
        .post(
            &format!("/v1/conversations/{id}/comments"),
            ADMIN,
            json!({"text": "Перезвонить после 18:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["content"]["type"], "comment");
    assert_eq!(sends(&server.sandbox_calls().await), before, "a comment is never sent");
    let (_, after) = server.get(&format!("/v1/conversations/{id}"), ADMIN).await;
    assert!(
        after["waiting_since"].is_string(),
        "a comment does not answer the client: {after}"
    );

    // Paging through the messages one at a time (cursors travel in the URL as they are).
    let mut kinds = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/conversations/{id}/messages?limit=1&cursor={c}"),
            None => format!("/v1/conversations/{id}/messages?limit=1"),
        };
        let (status, page) = server.get(&path, ADMIN).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        kinds.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["content"]["type"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(kinds, vec!["text", "system", "comment"]);
}

#[tokio::test]
async fn a_client_card_is_found_by_a_name_word_or_a_phone_and_only_in_its_tenant() {
    let server = start(Some(&two_tenants()), &[]);
    let (status, card) = server
        .post(
            "/v1/client-cards",
            ADMIN,
            json!({"name": "Пётр Ёлкин", "phones": ["+7 (900) 123-45-67"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    let (status, _) = server
        .post("/v1/client-cards", ADMIN, json!({"name": "Павел Смирнов"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let names = |found: &Value| -> Vec<String> {
        found["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    };
    for query in ["елк", "Пётр", "пет елк", "8%20900%20123", "9001234567"] {
        let (status, found) = server.get(&format!("/v1/client-cards?query={query}"), ADMIN).await;
        assert_eq!(
            (status, names(&found)),
            (StatusCode::OK, vec!["Пётр Ёлкин".to_owned()]),
            "{query}"
        );
    }
    let (_, found) = server.get("/v1/client-cards?query=%D0%BF", ADMIN).await;
    assert_eq!(found["error"], "validation_failed", "one letter is too short: {found}");
    // Renamed, it is found by its new name and no longer by the old one.
    let id = card["id"].as_str().expect("id");
    let (status, _) = server
        .put(&format!("/v1/client-cards/{id}"), ADMIN, json!({"name": "Пётр Иванов"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, found) = server.get("/v1/client-cards?query=елкин", ADMIN).await;
    assert_eq!(names(&found), Vec::<String>::new());
    let (_, found) = server.get("/v1/client-cards?query=иванов", ADMIN).await;
    assert_eq!(names(&found), ["Пётр Иванов"]);
    // Another tenant finds nothing of it.
    let (_, found) = server.get("/v1/client-cards?query=петр", common::OTHER_ADMIN).await;
    assert_eq!(names(&found), Vec::<String>::new());
}
