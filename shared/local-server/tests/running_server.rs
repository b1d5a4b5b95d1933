//! The local server as `make run` starts it: the real binary on a free loopback port with a
//! fresh data directory, driven over HTTP the way the README's curl examples do.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin-token-acme";
const OPERATOR: &str = "operator-token-acme";
const OTHER_ADMIN: &str = "admin-token-other";

/// The running server; killed when dropped.
struct Server {
    child: Child,
    base: String,
    banner: Vec<String>,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(tokens: Option<&str>) -> Server {
    let data = tempfile::tempdir().expect("temporary data directory");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avito-cc-local"));
    cmd.env("LOCAL_ADDR", "127.0.0.1:0")
        .env("LOCAL_DATA_DIR", data.path())
        .env_remove("LOCAL_API_TOKENS");
    if let Some(t) = tokens {
        cmd.env("LOCAL_API_TOKENS", t);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut base = None;
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(url) = line.split("listening on ").nth(1) {
            base = Some(url.trim().to_owned());
        }
        let last = line.contains("token");
        banner.push(line);
        if last {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("the server printed no URL: {banner:?}"));
    Server {
        child,
        base,
        banner,
        _data: data,
    }
}

impl Server {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("server answers");
        let status = resp.status();
        let text = resp.text().await.expect("body reads");
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).expect("JSON body")
            },
        )
    }

    async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body)).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }
}

fn fields(body: &Value) -> Vec<&str> {
    body["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn make_run_prints_its_url_and_a_development_admin_token_that_works() {
    let server = start(None);
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
    let (status, body) = server
        .post("/v1/channel-groups", "dev-admin-token", json!({"name": "Демо"}))
        .await;
    assert_eq!((status, body["name"].as_str()), (StatusCode::CREATED, Some("Демо")));
}

#[tokio::test]
async fn channel_settings_through_the_running_server() {
    let server = start(Some(&format!(
        "{ADMIN}:acme:anna:admin,{OPERATOR}:acme:boris:operator,{OTHER_ADMIN}:other:olga:admin"
    )));
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
