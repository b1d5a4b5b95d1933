//! What an operator sends (R-OP4) through the running local server to the sandbox's chat: images
//! go through Avito's upload and arrive once per idempotency key; files Avito cannot send are
//! refused with the reason, and nothing is stored or sent.

mod common;

use common::{ADMIN, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A conversation opened by a sandbox client's message; its id.
async fn conversation(server: &Server) -> String {
    let c = server
        .client_writes(json!({"client": {"name": "Ирина"}, "text": "Пришлите фото, пожалуйста"}))
        .await;
    c["id"].as_str().expect("id").to_owned()
}

async fn upload(server: &Server, id: &str, key: &str, bytes: Vec<u8>, content_type: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/v1/conversations/{id}/images?idempotency_key={key}",
            server.base
        ))
        .bearer_auth(ADMIN)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("answer");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.resize(2048, 0);
    bytes
}

fn operations(calls: &[Value], name: &str) -> usize {
    calls.iter().filter(|c| c["operation"] == name).count()
}

#[tokio::test]
async fn a_png_arrives_in_the_chat_once_however_often_the_upload_is_retried() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let id = conversation(&server).await;

    let (status, first) = upload(&server, &id, "photo-1", png(), "image/png").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["delivery"]["state"], "sent", "{first}");
    assert_eq!(first["content"]["type"], "image");
    assert!(
        first["content"]["url"].as_str().is_some_and(|u| u.contains("1280x960")),
        "the largest size Avito made: {first}"
    );
    for _ in 0..2 {
        let (status, again) = upload(&server, &id, "photo-1", png(), "image/png").await;
        assert_eq!((status, &again["id"]), (StatusCode::OK, &first["id"]), "{again}");
    }
    let calls = server.sandbox_calls().await;
    assert_eq!(
        (
            operations(&calls, "uploadImages"),
            operations(&calls, "postSendImageMessage")
        ),
        (1, 1),
        "one image in the chat"
    );
    let (_, page) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    let images = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["content"]["type"] == "image")
        .count();
    assert_eq!(images, 1, "{page}");
}

#[tokio::test]
async fn a_pdf_is_refused_with_the_reason_and_nothing_is_sent() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let id = conversation(&server).await;

    let (status, body) = upload(
        &server,
        &id,
        "doc-1",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let reason = body["fields"][0]["message"].as_str().unwrap_or_default();
    assert!(reason.contains("only images") && reason.contains("PDF"), "{body}");
    let (status, body) = upload(&server, &id, "bad key!", png(), "image/png").await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key"))
    );
    let calls = server.sandbox_calls().await;
    assert_eq!(operations(&calls, "uploadImages"), 0);
    let (_, page) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(1),
        "only the client's message: {page}"
    );
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_text_is_refused_and_sends_nothing() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let id = conversation(&server).await;
    let path = format!("/v1/conversations/{id}/messages");
    let (status, first) = server
        .post(&path, ADMIN, json!({"text": "Сейчас пришлю", "idempotency_key": "k1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = server
        .post(&path, ADMIN, json!({"text": "Сейчас пришлю", "idempotency_key": "k1"}))
        .await;
    assert_eq!(
        (status, &again["id"]),
        (StatusCode::OK, &first["id"]),
        "a retry: {again}"
    );
    let (status, other) = server
        .post(
            &path,
            ADMIN,
            json!({"text": "Фото будет завтра", "idempotency_key": "k1"}),
        )
        .await;
    assert_eq!(
        (status, other["error"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_key_reused")),
        "another message under a used key: {other}"
    );
    assert!(
        other["message"].as_str().is_some_and(|m| m.contains("another message")),
        "{other}"
    );
    let calls = server.sandbox_calls().await;
    assert_eq!(operations(&calls, "postSendMessage"), 1, "one message reached the chat");
    let (_, messages) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    let texts: Vec<&str> = messages["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["author"]["type"] == "operator")
        .filter_map(|m| m["content"]["text"].as_str())
        .collect();
    assert_eq!(texts, ["Сейчас пришлю"]);
}

#[tokio::test]
async fn an_operator_plays_a_clients_voice_message_through_a_fresh_link() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_avito_channel().await;
    let c = server
        .client_writes(
            json!({"client": {"name": "Олег"}, "type": "voice", "content": {"voice": {"voice_id": "vc-42"}}}),
        )
        .await;
    let id = c["id"].as_str().expect("id");
    let (_, messages) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
    let voice = messages["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["content"]["type"] == "voice")
        .expect("the voice message")
        .clone();
    let message_id = voice["id"].as_str().expect("message id");
    let (status, link) = server
        .get(&format!("/v1/conversations/{id}/messages/{message_id}/voice"), ADMIN)
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let url = link["url"].as_str().expect("url");
    let file = reqwest::get(url).await.expect("the file answers");
    assert_eq!(file.status(), StatusCode::OK, "{url}");
    // Avito's array parameter goes repeated, not comma-joined.
    let calls = server.sandbox_calls().await;
    assert_eq!(operations(&calls, "getVoiceFiles"), 1, "{calls:?}");
    // Not a voice message: 404.
    let (status, _) = server
        .get(&format!("/v1/conversations/{id}/messages/nope/voice"), ADMIN)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
