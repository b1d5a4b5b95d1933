//! An operator's day through the running local server: list badges, filters by channel and by
//! whether the client waits, opening a conversation marks the Avito chat read, and deleting a
//! sent message.

mod common;

use common::{ADMIN, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A sandbox client writes in a new chat; the conversation once it is listed.
async fn client_writes(server: &Server, name: &str) -> Value {
    server
        .client_writes(json!({"client": {"name": name}, "text": format!("Здравствуйте, это {name}")}))
        .await
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["client"]["name"].as_str().map(str::to_owned))
        .collect()
}

fn calls_of(calls: &[Value], operation: &str) -> usize {
    calls.iter().filter(|c| c["operation"] == operation).count()
}

#[tokio::test]
async fn badges_count_the_lists_and_filters_page_without_gaps() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let mut ids = Vec::new();
    for name in ["Аня", "Борис", "Вера", "Глеб", "Дина"] {
        ids.push(
            client_writes(&server, name).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    // Anna (the admin) takes two and answers one of them.
    for id in &ids[..2] {
        let (status, _) = server
            .post(&format!("/v1/conversations/{id}/take"), ADMIN, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = server
        .post(
            &format!("/v1/conversations/{}/messages", ids[0]),
            ADMIN,
            json!({"text": "Добрый день!", "idempotency_key": "a1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, counts) = server.get("/v1/conversations/counts", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&counts["mine"], &counts["queue"]), (&json!(2), &json!(3)), "{counts}");

    let (_, waiting) = server.get("/v1/conversations?view=mine&status=waiting", ADMIN).await;
    assert_eq!(names(&waiting), vec!["Борис"]);
    let (_, answered) = server.get("/v1/conversations?view=mine&status=answered", ADMIN).await;
    assert_eq!(names(&answered), vec!["Аня"]);

    // The queue filtered by channel, one at a time: every conversation once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/conversations?view=queue&channel_id={ch}&limit=1&cursor={c}"),
            None => format!("/v1/conversations?view=queue&channel_id={ch}&limit=1"),
        };
        let (status, page) = server.get(&path, ADMIN).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // (They wrote within the same second, so their order among themselves is not asserted.)
    seen.sort();
    assert_eq!(seen, vec!["Вера", "Глеб", "Дина"], "each once, none skipped");
    let (_, other) = server
        .get("/v1/conversations?view=queue&channel_id=another-channel", ADMIN)
        .await;
    assert_eq!(names(&other), Vec::<String>::new());
    let (status, _) = server.get("/v1/conversations?view=queue&status=sleeping", ADMIN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn opening_marks_the_chat_read_and_a_sent_message_can_be_deleted_within_the_hour() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let c = client_writes(&server, "Елена").await;
    let id = c["id"].as_str().expect("id");

    let before = calls_of(&server.sandbox_calls().await, "chatRead");
    let (status, _) = server.get(&format!("/v1/conversations/{id}"), ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls_of(&server.sandbox_calls().await, "chatRead"), before + 1);

    let (_, sent) = server
        .post(
            &format!("/v1/conversations/{id}/messages"),
            ADMIN,
            json!({"text": "Ой, не тот чат", "idempotency_key": "oops"}),
        )
        .await;
    let message = sent["id"].as_str().expect("message id");
    let path = format!("/v1/conversations/{id}/messages/{message}");
    for _ in 0..2 {
        let (status, deleted) = server.call(reqwest::Method::DELETE, &path, ADMIN, None).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted["content"]["type"], "deleted");
    }
    let calls = server.sandbox_calls().await;
    assert_eq!(
        calls
            .iter()
            .filter(|c| c["operation"] == "deleteMessage" && c["status"] == 200)
            .count(),
        1,
        "deleted in the chat once: {calls:?}"
    );

    let (_, page) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    let clients = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["author"]["type"] == "client")
        .and_then(|m| m["id"].as_str())
        .expect("the client's message")
        .to_owned();
    let (status, refused) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/conversations/{id}/messages/{clients}"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
}
