//! The local server as `make run` starts it: the real binary on a free loopback port with a
//! fresh data directory, driven over HTTP the way the README's curl examples do.

mod common;

use common::{ADMIN, OPERATOR, OTHER_ADMIN, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn fields(body: &Value) -> Vec<&str> {
    body["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn make_run_prints_its_url_and_a_development_admin_token_that_works() {
    let server = start(None, &[]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.contains("development admin token: dev-admin-token")),
        "{:?}",
        server.banner
    );
    let health = reqwest::get(format!("{}/health", server.base))
        .await
        .expect("health answers");
    assert_eq!(health.status(), StatusCode::OK);
    let doc: Value = reqwest::get(format!("{}/openapi.json", server.base))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert!(doc["paths"]["/v1/channels/{id}/settings"]["put"].is_object());
    // The operator API is in the same document, route by route.
    for (path, method) in [
        ("/v1/conversations", "get"),
        ("/v1/conversations/counts", "get"),
        ("/v1/conversations/{id}", "patch"),
        ("/v1/conversations/{id}/messages", "post"),
        ("/v1/conversations/{id}/images", "post"),
        ("/v1/conversations/{id}/messages/{message_id}", "delete"),
        ("/v1/conversations/{id}/comments", "post"),
        ("/v1/conversations/{id}/take", "post"),
        ("/v1/client-cards/{id}", "put"),
        ("/v1/client-cards/{id}/conversations", "get"),
        ("/v1/client-cards/{id}/messages", "post"),
        ("/v1/deals", "post"),
        ("/v1/organizations", "get"),
        ("/v1/notifications", "get"),
        ("/v1/notifications/read", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    let (status, body) = server
        .post("/v1/channel-groups", "dev-admin-token", json!({"name": "Демо"}))
        .await;
    assert_eq!((status, body["name"].as_str()), (StatusCode::CREATED, Some("Демо")));
}

#[tokio::test]
async fn channel_settings_through_the_running_server() {
    let server = start(Some(&two_tenants()), &[]);
    let (_, cg) = server
        .post("/v1/channel-groups", ADMIN, json!({"name": "Москва"}))
        .await;
    let (_, channel) = server
        .post(
            "/v1/channels",
            ADMIN,
            json!({"name": "Авито", "kind": "avito", "channel_group_id": cg["id"]}),
        )
        .await;
    let (_, group) = server.post("/v1/groups", ADMIN, json!({"name": "Продажи"})).await;
    let (_, bot) = server
        .post(
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Ночной бот", "url": "https://bot.example/events", "signing_secret": "0123456789abcdef"}),
        )
        .await;
    let path = format!("/v1/channels/{}/settings", channel["id"].as_str().expect("channel id"));

    // The closing message counts characters, not bytes: 250 Cyrillic letters pass, 251 do not.
    let (status, body) = server
        .put(
            &path,
            ADMIN,
            json!({"closing_message": {"enabled": true, "text": "я".repeat(251)}}),
        )
        .await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["closing_message.text"])
    );
    let (status, _) = server
        .put(
            &path,
            ADMIN,
            json!({"closing_message": {"enabled": true, "text": "я".repeat(250)}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let no_fallback = json!({"working_time": {"receiver": {"type": "chatbot", "chatbot_id": bot["id"]}}});
    let (status, body) = server.put(&path, ADMIN, no_fallback).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["working_time.receiver.fallback"])
    );

    let both = json!({"non_working_time": {
        "chatbot": {"chatbot_id": bot["id"], "fallback": {"type": "group", "group_id": group["id"]}},
        "auto_replies": [{"text": "Мы откроемся в 9:00", "delay_seconds": 0}]}});
    let (status, body) = server.put(&path, ADMIN, both).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["non_working_time"])
    );

    let (status, body) = server
        .put(&path, ADMIN, json!({"auto_close_after": {"value": 0, "unit": "days"}}))
        .await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["auto_close_after.value"])
    );

    let valid = json!({
        "working_time": {
            "receiver": {"type": "group", "group_id": group["id"]},
            "auto_replies": [{"text": "Здравствуйте! Оператор ответит в течение минуты.", "delay_seconds": 0},
                             {"text": "Извините за ожидание, мы скоро ответим.", "delay_seconds": 180}],
            "only_responses_with_message": false
        },
        "non_working_time": {"chatbot": {"chatbot_id": bot["id"], "fallback": {"type": "group", "group_id": group["id"]}}, "auto_replies": []},
        "closing_message": {"enabled": true, "text": "Спасибо за обращение! Хорошего дня."},
        "auto_close_after": {"value": 12, "unit": "hours"}
    });
    let (status, saved) = server.put(&path, ADMIN, valid.clone()).await;
    assert_eq!((status, &saved), (StatusCode::OK, &valid));
    let (status, read) = server.get(&path, ADMIN).await;
    assert_eq!((status, read), (StatusCode::OK, valid.clone()));

    let (status, body) = server.put(&path, OPERATOR, json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, body) = server.get(&path, OTHER_ADMIN).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = server.put(&path, OTHER_ADMIN, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // None of the refused requests changed what was saved.
    assert_eq!(server.get(&path, ADMIN).await.1, valid);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let server = start(Some(&two_tenants()), &[]);
    for path in [
        "/",
        "/ui/app.js",
        "/avito/oauth/callback?code=x&state=nope",
        "/sandbox/oauth?response_type=code&client_id=x&scope=messenger:read&state=s",
        "/v1/me",
        "/nowhere",
    ] {
        let r = reqwest::get(format!("{}{path}", server.base)).await.expect("answers");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{path}: {csp:?}"
        );
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_changes_nothing() {
    let server = start(Some(&two_tenants()), &[]);
    let padding = "x".repeat(300 * 1024);
    let body =
        format!(r#"{{"mode": "queue", "capacity_per_operator": 5, "answer_wait_seconds": 60, "pad": "{padding}"}}"#);
    let r = reqwest::Client::new()
        .put(format!("{}/v1/distribution", server.base))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let answer: Value = r.json().await.expect("JSON");
    assert_eq!(answer["error"], "payload_too_large", "{answer}");
    let (_, distribution) = server.get("/v1/distribution", ADMIN).await;
    assert_eq!(distribution["mode"], "queue", "nothing saved: {distribution}");
    assert_ne!(distribution["capacity_per_operator"], 5, "{distribution}");
}
