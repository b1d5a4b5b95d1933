//! The admin API driven through its router, without a network: what an administrator and an
//! operator see for each kind of request, on the embedded store.

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::{SqliteConfigStore, SqliteQueue};
use adapters::ports::{ConfigStore, Queue, SystemClock};
use adapters::secrets::TokenCipher;
use admin_api::AdminState;
use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_api::Authenticator;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use services::connection::{ConnectionSettings, Connections};
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-token-acme";
const OPERATOR: &str = "operator-token-acme";
const OTHER_ADMIN: &str = "admin-token-other";

struct Api {
    router: Router,
    /// The inbound queue whose dead letters administrators count and replay.
    queue: Arc<SqliteQueue>,
    _dir: tempfile::TempDir,
}

/// An inbound message becomes a dead letter after this many receives.
const MAX_RECEIVES: u32 = 2;

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

impl Reply {
    fn fields(&self) -> Vec<String> {
        self.body["fields"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn api() -> Api {
    let dir = tempfile::tempdir().expect("temporary directory");
    let queue = Arc::new(SqliteQueue::open(&dir.path().join("queue.sqlite3"), MAX_RECEIVES).expect("open queue"));
    Api {
        router: admin_api::router(state(dir.path()).with_inbound_queue(queue.clone())),
        queue,
        _dir: dir,
    }
}

/// The admin API's state on a store in `dir`, without an inbound queue.
fn state(dir: &std::path::Path) -> AdminState {
    let store: Arc<dyn ConfigStore> =
        Arc::new(SqliteConfigStore::open(&dir.join("config.sqlite3")).expect("open store"));
    let auth = Authenticator::from_token_list(&format!(
        "{ADMIN}:acme:anna:admin,{OPERATOR}:acme:boris:operator,{OTHER_ADMIN}:other:olga:admin"
    ))
    .expect("valid tokens");
    // These tests never reach Avito: connecting is tested through the local server and the sandbox.
    let app = AppCredentials {
        client_id: "app".into(),
        client_secret: "app-secret".into(),
    };
    let vaults = Vaults {
        store: Arc::clone(&store),
        cipher: Arc::new(
            TokenCipher::from_config(
                "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "k1",
            )
            .expect("keys"),
        ),
        avito: AvitoClient::new("http://127.0.0.1:9", RetryPolicy::default()).expect("client"),
        app: app.clone(),
        clock: Arc::new(SystemClock),
    };
    let settings = ConnectionSettings {
        public_base_url: "http://127.0.0.1:9".into(),
        oauth_url: "http://127.0.0.1:9/oauth".into(),
        app,
    };
    let connections = Connections::new(Arc::clone(&store), vaults, settings);
    AdminState::new(
        Configuration::new(Arc::clone(&store)),
        connections,
        auth,
        Arc::new(services::identity::Identity {
            config: Configuration::new(store),
            clock: Arc::new(SystemClock),
        }),
    )
}

impl Api {
    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req
            .body(body.map(|b| Body::from(b.to_owned())).unwrap_or_else(Body::empty))
            .expect("request builds");
        let resp = self.router.clone().oneshot(req).await.expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body reads").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Reply { status, headers, body }
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None).await
    }

    async fn send(&self, method: &str, path: &str, token: &str, body: Value) -> Reply {
        self.call(method, path, Some(token), Some(&body.to_string())).await
    }

    /// Creates an entity as the administrator and returns its id.
    async fn create(&self, collection: &str, body: Value) -> String {
        let r = self.send("POST", collection, ADMIN, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{collection}: {}", r.body);
        r.body["id"].as_str().expect("an id").to_owned()
    }

    async fn channel(&self, kind: &str) -> String {
        let group = self.create("/v1/channel-groups", json!({"name": "Москва"})).await;
        self.create(
            "/v1/channels",
            json!({"name": "Авито", "kind": kind, "channel_group_id": group}),
        )
        .await
    }
}

#[tokio::test]
async fn health_and_the_openapi_document_need_no_token() {
    let api = api();
    let health = api.call("GET", "/health", None, None).await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let doc = api.call("GET", "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    for path in [
        "/v1/employees/{id}",
        "/v1/channels/{id}/settings",
        "/v1/schedule",
        "/v1/distribution",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn how_to_sign_in_needs_no_token() {
    let api = api();
    let local = api.call("GET", "/v1/sign-in", None, None).await;
    assert_eq!(
        (local.status, local.body),
        (StatusCode::OK, json!({"provider": "local"}))
    );
    let doc = api.call("GET", "/openapi.json", None, None).await;
    assert!(doc.body["paths"]["/v1/sign-in"]["get"].is_object(), "documented");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401_and_change_nothing() {
    let api = api();
    let none = api
        .call("POST", "/v1/employees", None, Some(r#"{"name":"Анна"}"#))
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers.get("www-authenticate").and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let wrong = api
        .call(
            "POST",
            "/v1/employees",
            Some("not-a-real-token"),
            Some(r#"{"name":"Анна"}"#),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(api.get("/v1/employees", ADMIN).await.body["items"], json!([]));
}

#[tokio::test]
async fn operators_read_configuration_but_cannot_change_it() {
    let api = api();
    let channel = api.channel("avito").await;
    let employee = api.create("/v1/employees", json!({"name": "Анна"})).await;
    for (method, path, body) in [
        ("POST", "/v1/employees".to_owned(), json!({"name": "Борис"})),
        ("PUT", format!("/v1/employees/{employee}"), json!({"name": "Борис"})),
        ("DELETE", format!("/v1/employees/{employee}"), json!({})),
        ("PUT", format!("/v1/channels/{channel}/settings"), json!({})),
        ("PUT", "/v1/schedule".to_owned(), json!({"time_zone": "UTC"})),
        (
            "PUT",
            "/v1/distribution".to_owned(),
            json!({"mode": "queue", "capacity_per_operator": 3, "answer_wait_seconds": null}),
        ),
    ] {
        let r = api.send(method, &path, OPERATOR, body).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{method} {path}"
        );
    }
    for path in [
        "/v1/employees".to_owned(),
        format!("/v1/employees/{employee}"),
        format!("/v1/channels/{channel}/settings"),
        "/v1/schedule".into(),
    ] {
        assert_eq!(api.get(&path, OPERATOR).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(
        api.get(&format!("/v1/employees/{employee}"), ADMIN).await.body["name"],
        "Анна"
    );
}

#[tokio::test]
async fn another_tenants_ids_answer_404() {
    let api = api();
    let channel = api.channel("avito").await;
    let employee = api.create("/v1/employees", json!({"name": "Анна"})).await;
    for path in [
        format!("/v1/channels/{channel}"),
        format!("/v1/channels/{channel}/settings"),
        format!("/v1/employees/{employee}"),
    ] {
        let r = api.get(&path, OTHER_ADMIN).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    let r = api
        .send(
            "PUT",
            &format!("/v1/employees/{employee}"),
            OTHER_ADMIN,
            json!({"name": "Захват"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .call("DELETE", &format!("/v1/channels/{channel}"), Some(OTHER_ADMIN), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/v1/channels", OTHER_ADMIN).await.body["items"], json!([]));
    assert_eq!(
        api.get(&format!("/v1/employees/{employee}"), ADMIN).await.body["name"],
        "Анна"
    );
}

#[tokio::test]
async fn an_employee_is_created_read_replaced_listed_and_deleted() {
    let api = api();
    let created = api
        .send(
            "POST",
            "/v1/employees",
            ADMIN,
            json!({"name": " Анна Петрова ", "email": "anna@shop.ru"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/v1/employees/{id}").as_str())
    );
    assert_eq!(created.body["name"], "Анна Петрова");

    let replaced = api
        .send(
            "PUT",
            &format!("/v1/employees/{id}"),
            ADMIN,
            json!({"name": "Анна Иванова", "user_id": "sso|anna"}),
        )
        .await;
    assert_eq!(
        (replaced.status, replaced.body["name"].as_str()),
        (StatusCode::OK, Some("Анна Иванова"))
    );
    assert_eq!(api.get(&format!("/v1/employees/{id}"), ADMIN).await.body, replaced.body);

    let deleted = api
        .call("DELETE", &format!("/v1/employees/{id}"), Some(ADMIN), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("/v1/employees/{id}"), ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/employees/{id}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn listings_page_with_a_cursor_and_reject_bad_paging() {
    let api = api();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            api.create("/v1/employees", json!({"name": format!("Оператор {i}")}))
                .await,
        );
    }
    ids.sort();
    let first = api.get("/v1/employees?limit=2", ADMIN).await;
    let cursor = first.body["next_cursor"].as_str().expect("more pages").to_owned();
    let second = api.get(&format!("/v1/employees?limit=2&cursor={cursor}"), ADMIN).await;
    let third = api
        .get(
            &format!(
                "/v1/employees?limit=2&cursor={}",
                second.body["next_cursor"].as_str().expect("more")
            ),
            ADMIN,
        )
        .await;
    assert_eq!(third.body["next_cursor"], Value::Null);
    let seen: Vec<String> = [first, second, third]
        .iter()
        .flat_map(|p| p.body["items"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(seen, ids);
    for bad in ["limit=0", "limit=201", "limit=ten", "cursor=a%23b"] {
        let r = api.get(&format!("/v1/employees?{bad}"), ADMIN).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn unreadable_bodies_are_400_and_invalid_values_422_and_neither_changes_anything() {
    let api = api();
    for body in [
        "{not json",
        "",
        r#"{"name": "Анна", "nmae": "typo"}"#,
        r#"{"name": 5}"#,
        "[]",
    ] {
        let r = api.call("POST", "/v1/employees", Some(ADMIN), Some(body)).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{body}"
        );
    }
    let r = api
        .send("POST", "/v1/employees", ADMIN, json!({"name": "   ", "email": "nope"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["name", "email"]);
    assert_eq!(api.get("/v1/employees", ADMIN).await.body["items"], json!([]));
}

#[tokio::test]
async fn a_group_needs_existing_members_and_a_member_cannot_be_deleted_while_in_it() {
    let api = api();
    let anna = api.create("/v1/employees", json!({"name": "Анна"})).await;
    let r = api
        .send(
            "POST",
            "/v1/groups",
            ADMIN,
            json!({"name": "Продажи", "members": [anna, "ghost"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str(), r.fields()),
        (StatusCode::NOT_FOUND, Some("not_found"), vec!["members[1]".to_owned()])
    );
    assert_eq!(api.get("/v1/groups", ADMIN).await.body["items"], json!([]));
    let group = api
        .create("/v1/groups", json!({"name": "Продажи", "members": [anna]}))
        .await;
    let r = api
        .call("DELETE", &format!("/v1/employees/{anna}"), Some(ADMIN), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["message"].as_str().unwrap_or_default().contains(&group),
        "{}",
        r.body
    );
    api.send(
        "PUT",
        &format!("/v1/groups/{group}"),
        ADMIN,
        json!({"name": "Продажи", "members": []}),
    )
    .await;
    assert_eq!(
        api.call("DELETE", &format!("/v1/employees/{anna}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_chatbots_signing_secret_is_never_returned() {
    let api = api();
    let secret = "bot-signing-secret-0123456789";
    let r = api
        .send(
            "POST",
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Бот", "url": "https://bot.example/events", "signing_secret": secret}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["has_signing_secret"], true);
    // Replacing without a secret keeps it; nothing returned ever contains it.
    let replaced = api
        .send(
            "PUT",
            &format!("/v1/chatbots/{id}"),
            ADMIN,
            json!({"name": "Бот 2", "url": "https://bot.example/v2"}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK);
    for body in [
        r.body,
        replaced.body,
        api.get(&format!("/v1/chatbots/{id}"), ADMIN).await.body,
        api.get("/v1/chatbots", ADMIN).await.body,
    ] {
        assert!(!body.to_string().contains(secret), "{body}");
    }
    let r = api
        .send(
            "POST",
            "/v1/chatbots",
            ADMIN,
            json!({"name": "Бот", "url": "https://bot.example/events"}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["signing_secret".to_owned()])
    );
}

#[tokio::test]
async fn channels_belong_to_an_existing_channel_group_which_cannot_be_deleted_while_it_has_channels() {
    let api = api();
    let r = api
        .send(
            "POST",
            "/v1/channels",
            ADMIN,
            json!({"name": "Авито", "kind": "avito", "channel_group_id": "nope"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str(), r.fields()),
        (
            StatusCode::NOT_FOUND,
            Some("not_found"),
            vec!["channel_group_id".to_owned()]
        )
    );
    assert_eq!(api.get("/v1/channels", ADMIN).await.body["items"], json!([]));
    let group = api.create("/v1/channel-groups", json!({"name": "Москва"})).await;
    let channel = api
        .create(
            "/v1/channels",
            json!({"name": "Авито", "kind": "avito_jobs", "channel_group_id": group}),
        )
        .await;
    let shown = api.get(&format!("/v1/channels/{channel}"), ADMIN).await.body;
    assert_eq!(
        (shown["status"].as_str(), &shown["account"]),
        (Some("not_connected"), &Value::Null)
    );
    let r = api
        .send(
            "PUT",
            &format!("/v1/channels/{channel}"),
            ADMIN,
            json!({"name": "Вакансии", "kind": "avito", "channel_group_id": group}),
        )
        .await;
    // Every value is valid; a channel's kind never changes: a conflict with the channel.
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some("kind_never_changes"))
    );
    assert_eq!(
        api.get(&format!("/v1/channels/{channel}"), ADMIN).await.body["kind"],
        "avito_jobs"
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/channel-groups/{group}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/channels/{channel}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/channel-groups/{group}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn each_failing_field_has_a_code_and_its_numbers_and_a_409_names_its_conflict() {
    let api = api();
    let channel = api.channel("avito").await;
    let path = format!("/v1/channels/{channel}/settings");
    let r = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({
                "closing_message": {"enabled": true, "text": "а".repeat(300)},
                "auto_close_after": {"value": 0, "unit": "days"},
                "working_time": {"receiver": {"type": "robot"}},
            }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let fields = r.body["fields"].as_array().cloned().unwrap_or_default();
    let by_field = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {}", r.body))
    };
    let receiver = by_field("working_time.receiver.type");
    assert_eq!(receiver["code"], "not_allowed");
    assert_eq!(receiver["allowed"], json!(["employee", "group", "chatbot"]));
    let closing = by_field("closing_message.text");
    assert_eq!(
        (&closing["code"], &closing["max"], closing.get("min")),
        (&json!("too_long"), &json!(250), None)
    );
    assert!(
        closing["message"].as_str().is_some_and(|m| m.contains("250")),
        "{closing}"
    );
    let auto_close = by_field("auto_close_after.value");
    assert_eq!(
        (&auto_close["code"], &auto_close["min"], &auto_close["max"]),
        (&json!("out_of_range"), &json!(1), &json!(365))
    );
    for f in &fields {
        assert!(f["code"].as_str().is_some_and(|c| !c.is_empty()), "{f}");
    }

    // Unknown ids (404) carry codes too.
    let ghost = json!({"working_time": {"receiver": {"type": "group", "group_id": "ghost-group"}}});
    let r = api.send("PUT", &path, ADMIN, ghost).await;
    assert_eq!(r.body["fields"][0]["code"], "not_found", "{}", r.body);

    // A 409 answers what conflicts, not a bare `conflict`.
    let group = api.create("/v1/groups", json!({"name": "Продажи"})).await;
    let ok = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({"working_time": {"receiver": {"type": "group", "group_id": group}}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let r = api
        .call("DELETE", &format!("/v1/groups/{group}"), Some(ADMIN), None)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some("still_in_use"))
    );
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
}

#[tokio::test]
async fn settings_must_name_existing_receivers_which_then_cannot_be_deleted() {
    let api = api();
    let channel = api.channel("avito").await;
    let path = format!("/v1/channels/{channel}/settings");
    let ghost = json!({"working_time": {"receiver": {"type": "chatbot", "chatbot_id": "ghost-bot", "fallback": {"type": "group", "group_id": "ghost-group"}}}});
    let r = api.send("PUT", &path, ADMIN, ghost).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        r.fields(),
        [
            "working_time.receiver.fallback.group_id",
            "working_time.receiver.chatbot_id"
        ]
    );

    let group = api.create("/v1/groups", json!({"name": "Продажи"})).await;
    let ok = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({"working_time": {"receiver": {"type": "group", "group_id": group}}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let r = api
        .call("DELETE", &format!("/v1/groups/{group}"), Some(ADMIN), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["message"].as_str().unwrap_or_default().contains(&channel),
        "{}",
        r.body
    );
    // Deleting the channel deletes its settings, which frees the group.
    assert_eq!(
        api.call("DELETE", &format!("/v1/channels/{channel}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/groups/{group}"), Some(ADMIN), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_jobs_only_switch_on_an_avito_channel_is_409_and_the_old_settings_stay() {
    let api = api();
    let channel = api.channel("avito").await;
    let path = format!("/v1/channels/{channel}/settings");
    let saved = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({"closing_message": {"enabled": true, "text": "До свидания!"}}),
        )
        .await
        .body;
    let r = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({"working_time": {"only_responses_with_message": true}}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some("jobs_only"))
    );
    assert_eq!(api.get(&path, ADMIN).await.body, saved);
    // Beside an invalid value it is one of the failing fields.
    let r = api
        .send(
            "PUT",
            &path,
            ADMIN,
            json!({"working_time": {"only_responses_with_message": true}, "auto_close_after": {"value": 0, "unit": "days"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![
                "auto_close_after.value".to_owned(),
                "working_time.only_responses_with_message".to_owned()
            ]
        )
    );
}

#[tokio::test]
async fn the_schedule_and_distribution_are_whole_documents_with_defaults() {
    let api = api();
    let default = api.get("/v1/schedule", ADMIN).await.body;
    assert_eq!(default["time_zone"], "Europe/Moscow");
    assert_eq!(default["weekly"]["monday"], json!([{"start": "09:00", "end": "18:00"}]));
    let schedule = json!({
        "time_zone": "Asia/Novosibirsk",
        "weekly": {"monday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "20:00"}],
            "tuesday": [], "wednesday": [], "thursday": [], "friday": [{"start": "22:00", "end": "06:00"}], "saturday": [], "sunday": []},
        "holidays": [{"date": "2027-01-01", "name": "Новый год"}],
        "extra_working_dates": [{"date": "2027-01-09", "intervals": [{"start": "10:00", "end": "14:00"}]}]
    });
    assert_eq!(
        api.send("PUT", "/v1/schedule", ADMIN, schedule.clone()).await.body,
        schedule
    );
    assert_eq!(api.get("/v1/schedule", ADMIN).await.body, schedule);
    let r = api
        .send(
            "PUT",
            "/v1/schedule",
            ADMIN,
            json!({"time_zone": "Moscow", "weekly": {"monday": [{"start": "9", "end": "18:00"}]}}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["time_zone".to_owned(), "weekly.monday[0].start".to_owned()]
        )
    );
    assert_eq!(api.get("/v1/schedule", ADMIN).await.body, schedule);

    assert_eq!(api.get("/v1/distribution", ADMIN).await.body["mode"], "queue");
    let dist = json!({"mode": "auto_assign", "capacity_per_operator": 8, "answer_wait_seconds": 120});
    assert_eq!(
        api.send("PUT", "/v1/distribution", ADMIN, dist.clone()).await.body,
        dist
    );
    assert_eq!(api.get("/v1/distribution", ADMIN).await.body, dist);
    let r = api
        .send(
            "PUT",
            "/v1/distribution",
            ADMIN,
            json!({"mode": "roulette", "capacity_per_operator": 0, "answer_wait_seconds": 5}),
        )
        .await;
    assert_eq!(r.fields(), ["mode", "capacity_per_operator", "answer_wait_seconds"]);
}

#[tokio::test]
async fn a_chatbot_url_inside_our_network_is_refused() {
    let api = api();
    for url in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://127.0.0.1:8080/events",
        "http://[::1]/events",
        "http://10.0.0.7/events",
        "http://localhost/events",
        "http://metadata.google.internal/",
    ] {
        let r = api
            .send(
                "POST",
                "/v1/chatbots",
                ADMIN,
                json!({"name": "Бот", "url": url, "signing_secret": "bot-signing-secret-0123"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
        assert_eq!(r.body["fields"][0]["field"], "url", "{url}: {}", r.body);
    }
    assert_eq!(api.get("/v1/chatbots", ADMIN).await.body["items"], json!([]));
}

#[tokio::test]
async fn the_audit_log_names_who_changed_what_newest_first_for_administrators_only() {
    let api = api();
    // The administrator's token names the employee they are.
    let anna = api
        .create("/v1/employees", json!({"name": "Анна Петрова", "role": "admin"}))
        .await;
    let r = api
        .send(
            "PUT",
            &format!("/v1/employees/{anna}"),
            ADMIN,
            json!({"name": "Анна Петрова", "role": "admin", "user_id": "anna"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let olga = api.create("/v1/employees", json!({"name": "Ольга"})).await;
    let r = api
        .send(
            "PUT",
            "/v1/distribution",
            ADMIN,
            json!({"mode": "auto_assign", "capacity_per_operator": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .call("DELETE", &format!("/v1/employees/{olga}"), Some(ADMIN), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    let log = api.get("/v1/audit", ADMIN).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries: Vec<(String, String, String)> = log.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["actor"]["name"].as_str().unwrap_or("").to_owned(),
                e["action"].as_str().unwrap_or("").to_owned(),
                e["subject"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let named = |who: &str, action: &str, what: &str| (who.to_owned(), action.to_owned(), what.to_owned());
    assert_eq!(
        entries,
        [
            named("Анна Петрова", "deleted", "Ольга"),
            named("Анна Петрова", "distribution_changed", ""),
            named("Анна Петрова", "created", "Ольга"),
            named("Анна Петрова", "changed", "Анна Петрова"),
            // Before the token named her employee, the script's token had no name.
            named("", "created", "Анна Петрова"),
        ],
        "newest first, as they were named: {entries:?}"
    );
    let forbidden = api.get("/v1/audit", OPERATOR).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let other = api.get("/v1/audit", OTHER_ADMIN).await;
    assert_eq!(other.body["items"], json!([]), "another tenant sees none of it");
}

/// The schema the served document gives the JSON body of `method path`, compiled as schemathesis
/// compiles it (JSON Schema 2020-12, formats checked).
fn body_schema(doc: &Value, method: &str, path: &str) -> jsonschema::Validator {
    // A JSON pointer in a URI fragment: `~` and `/` escaped, then the braces percent-encoded.
    let path = path
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D");
    let mut root = doc.clone();
    root["$ref"] = json!(format!(
        "#/paths/{path}/{method}/requestBody/content/application~1json/schema"
    ));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"))
}

#[tokio::test]
async fn the_document_states_each_values_bounds_and_each_operations_errors() {
    let api = api();
    let doc = api.call("GET", "/openapi.json", None, None).await.body;
    let schemas = &doc["components"]["schemas"];
    let name = &schemas["EmployeeDraft"]["properties"]["name"];
    assert_eq!(
        (name["minLength"].as_u64(), name["maxLength"].as_u64()),
        (Some(1), Some(200))
    );
    assert!(name["pattern"].as_str().is_some_and(|p| p.starts_with("[^")), "{name}");
    let capacity = &schemas["DistributionDoc"]["properties"]["capacity_per_operator"];
    assert_eq!(
        (capacity["minimum"].as_u64(), capacity["maximum"].as_u64()),
        (Some(1), Some(1000))
    );
    let members = &schemas["GroupDraft"]["properties"]["members"];
    assert_eq!(
        (members["uniqueItems"].as_bool(), members["maxItems"].as_u64()),
        (Some(true), Some(500))
    );
    assert_eq!(members["items"]["pattern"].as_str(), Some(domain::ids::ID_PATTERN));

    let parameters = |path: &str, method: &str| doc["paths"][path][method]["parameters"].clone();
    let limit = parameters("/v1/employees", "get")
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit").cloned())
        .expect("limit documented");
    assert_eq!(
        (
            limit["schema"]["type"].as_str(),
            limit["schema"]["minimum"].as_u64(),
            limit["schema"]["maximum"].as_u64()
        ),
        (Some("integer"), Some(1), Some(200))
    );
    let time_cursor = parameters("/v1/conversations/{id}/messages", "get")
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "cursor").cloned())
        .expect("cursor documented");
    assert_eq!(
        time_cursor["schema"]["pattern"].as_str(),
        Some(adapters::ports::TimeCursor::PATTERN)
    );

    // Every operation says what every operation of its shape answers, with the error body.
    let error_body = json!({"$ref": "#/components/schemas/ErrorBody"});
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let responses = &op["responses"];
            let label = format!("{method} {path}");
            assert!(
                operation_ids.insert(op["operationId"].to_string()),
                "{label}: operationId repeated"
            );
            let mut expected = vec!["500", "503"];
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                expected.push("401");
            }
            if op["requestBody"]["content"].get("application/json").is_some() {
                assert_eq!(op["requestBody"]["required"], true, "{label}");
                expected.extend(["400", "413"]);
            }
            for status in expected {
                assert_eq!(
                    responses[status]["content"]["application/json"]["schema"], error_body,
                    "{label} documents {status}"
                );
            }
        }
    }
    // The reply the issue names: a missing or unreadable body (400) and one too large (413).
    let reply = &doc["paths"]["/v1/conversations/{id}/messages"]["post"]["responses"];
    for status in ["200", "201", "400", "401", "403", "404", "409", "413", "422"] {
        assert!(
            reply.get(status).is_some(),
            "POST /v1/conversations/{{id}}/messages documents {status}"
        );
    }
    assert_eq!(
        doc["paths"]["/v1/bot/conversations/{id}/messages"]["post"]["security"],
        json!([{"chatbot": []}])
    );
    assert!(doc["components"]["securitySchemes"]["chatbot"].is_object());
}

#[tokio::test]
async fn a_body_the_document_allows_is_never_refused_as_invalid_and_one_it_refuses_always_is() {
    let api = api();
    let doc = api.call("GET", "/openapi.json", None, None).await.body;
    let channel = api.channel("avito").await;
    let group = api.create("/v1/channel-groups", json!({"name": "Казань"})).await;
    let anna = api.create("/v1/employees", json!({"name": "Анна"})).await;
    let name = |n: &str| json!({"name": n});
    let settings = format!("/v1/channels/{channel}/settings");
    let receiver = |r: Value| json!({"working_time": {"receiver": r}});
    let closing = |enabled: bool, text: &str| json!({"closing_message": {"enabled": enabled, "text": text}});
    let auto_close = |value: Value, unit: &str| json!({"auto_close_after": {"value": value, "unit": unit}});
    let day =
        |start: &str, end: &str| json!({"time_zone": "UTC", "weekly": {"monday": [{"start": start, "end": end}]}});
    let dist = |capacity: Value, wait: Value| json!({"mode": "queue", "capacity_per_operator": capacity, "answer_wait_seconds": wait});
    let cases: Vec<(&str, &str, String, Value)> = vec![
        // Names: 1 to 200 characters as sent, not blank.
        ("post", "/v1/employees", "/v1/employees".into(), name("")),
        ("post", "/v1/employees", "/v1/employees".into(), name(" \u{3000}\t")),
        ("post", "/v1/employees", "/v1/employees".into(), name("\u{1c}")),
        ("post", "/v1/employees", "/v1/employees".into(), name(&"я".repeat(200))),
        ("post", "/v1/employees", "/v1/employees".into(), name(&"я".repeat(201))),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            name(&format!(" {}", "я".repeat(200))),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "email": ""}),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "email": " anna@shop.ru"}),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "email": "anna@shop"}),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "user_id": "u".repeat(128)}),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "user_id": "u".repeat(129)}),
        ),
        (
            "post",
            "/v1/employees",
            "/v1/employees".into(),
            json!({"name": "Анна", "user_id": "a\u{7}b"}),
        ),
        ("post", "/v1/employees", "/v1/employees".into(), json!(["Анна"])),
        ("post", "/v1/channel-groups", "/v1/channel-groups".into(), json!([null])),
        // Members: ids of the tenant's employees (404 otherwise), each once.
        (
            "post",
            "/v1/groups",
            "/v1/groups".into(),
            json!({"name": "Продажи", "members": ["ghost"]}),
        ),
        (
            "post",
            "/v1/groups",
            "/v1/groups".into(),
            json!({"name": "Продажи", "members": [anna, anna]}),
        ),
        (
            "post",
            "/v1/groups",
            "/v1/groups".into(),
            json!({"name": "Продажи", "members": ["not an id"]}),
        ),
        (
            "post",
            "/v1/channels",
            "/v1/channels".into(),
            json!({"name": "Авито", "kind": "telegram", "channel_group_id": group}),
        ),
        (
            "post",
            "/v1/channels",
            "/v1/channels".into(),
            json!({"name": "Авито", "kind": "avito", "channel_group_id": ""}),
        ),
        // Integers: within their bounds, and `5.0` is the integer 5.
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(0), Value::Null),
        ),
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(1000), json!(30)),
        ),
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(1001), json!(30)),
        ),
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(5.0), json!(924.0)),
        ),
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(5.5), Value::Null),
        ),
        (
            "put",
            "/v1/distribution",
            "/v1/distribution".into(),
            dist(json!(5), json!(29)),
        ),
        // The schedule: times HH:MM, dates that exist, zones of the database.
        ("put", "/v1/schedule", "/v1/schedule".into(), day("09:00", "24:00")),
        ("put", "/v1/schedule", "/v1/schedule".into(), day("+9:30", "18:00")),
        ("put", "/v1/schedule", "/v1/schedule".into(), day("24:00", "18:00")),
        ("put", "/v1/schedule", "/v1/schedule".into(), day("09:00", "00:00")),
        (
            "put",
            "/v1/schedule",
            "/v1/schedule".into(),
            json!({"time_zone": "europe/moscow"}),
        ),
        (
            "put",
            "/v1/schedule",
            "/v1/schedule".into(),
            json!({"time_zone": "Europe/Moscow", "holidays": [{"date": "2027-02-30"}]}),
        ),
        (
            "put",
            "/v1/schedule",
            "/v1/schedule".into(),
            json!({"time_zone": "Europe/Moscow", "holidays": [{"date": "2027-02-28", "name": "я".repeat(101)}]}),
        ),
        (
            "put",
            "/v1/schedule",
            "/v1/schedule".into(),
            json!({"time_zone": "Europe/Moscow", "extra_working_dates": [{"date": "2027-01-09", "intervals": []}]}),
        ),
        // Settings: each receiver type with its own id only; a chatbot with a fallback.
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            receiver(json!({"type": "employee", "employee_id": "ghost"})),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            receiver(json!({"type": "employee", "employee_id": anna, "group_id": "g1"})),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            receiver(json!({"type": "employee", "employee_id": anna, "fallback": null})),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            receiver(json!({"type": "chatbot", "chatbot_id": "bot"})),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            receiver(json!({"type": "queue"})),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            json!({"working_time": {"auto_replies": [{"text": "Ждём", "delay_seconds": 924.0}]}}),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            json!({"working_time": {"auto_replies": [{"text": "Ждём", "delay_seconds": 86401}]}}),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            json!({"working_time": [null]}),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            json!({"non_working_time": {"chatbot": {"chatbot_id": "bot", "fallback": {"type": "employee", "employee_id": anna}}, "auto_replies": [{"text": "Ночь", "delay_seconds": 0}]}}),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            closing(false, ""),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            closing(true, " "),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            closing(true, &"я".repeat(251)),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            auto_close(json!(8760), "hours"),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            auto_close(json!(366), "days"),
        ),
        (
            "put",
            "/v1/channels/{id}/settings",
            settings.clone(),
            auto_close(json!(0), "hours"),
        ),
        // Disconnecting needs `"confirm": true`.
        (
            "post",
            "/v1/channels/{id}/disconnect",
            format!("/v1/channels/{channel}/disconnect"),
            json!({}),
        ),
        (
            "post",
            "/v1/channels/{id}/disconnect",
            format!("/v1/channels/{channel}/disconnect"),
            json!({"confirm": false}),
        ),
        (
            "post",
            "/v1/channels/{id}/disconnect",
            format!("/v1/channels/{channel}/disconnect"),
            json!({"confirm": true}),
        ),
    ];
    for (method, template, path, body) in cases {
        let valid = body_schema(&doc, method, template).is_valid(&body);
        let r = api.send(&method.to_uppercase(), &path, ADMIN, body.clone()).await;
        let refused = matches!(r.status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            !refused,
            valid,
            "{method} {path} {body}: the document says {}, the server {} {}",
            if valid { "valid" } else { "invalid" },
            r.status,
            r.body
        );
    }
}

/// Sends `n` Jobs deliveries of `tenant` to the inbound queue and receives them, never deleting,
/// until they are dead letters (as the router does with a message it cannot process).
async fn make_dead_letters(queue: &SqliteQueue, tenant: &str, n: u32) {
    for i in 0..n {
        let event = services::inbound::InboundEvent::Application {
            tenant: domain::ids::TenantId::parse(tenant).expect("tenant"),
            channel: domain::ids::ChannelId::parse("ch1").expect("channel"),
            received_at_ms: 1_800_000_000_000,
            apply_id: format!("apply-{i}"),
        };
        queue.send(&event.to_json().expect("json")).await.expect("send");
    }
    for _ in 0..=MAX_RECEIVES {
        queue.receive(n, std::time::Duration::ZERO).await.expect("receive");
    }
}

#[tokio::test]
async fn administrators_count_and_replay_the_dead_letters_and_operators_may_not() {
    let api = api();
    assert_eq!(api.get("/v1/dead-letters", ADMIN).await.body, json!({"waiting": 0}));
    make_dead_letters(&api.queue, "acme", 3).await;
    // Another tenant's letter in the same (installation's) queue: not counted, not replayed.
    make_dead_letters(&api.queue, "other", 1).await;
    assert_eq!(
        api.get("/v1/dead-letters", OTHER_ADMIN).await.body,
        json!({"waiting": 1})
    );

    for (method, path) in [("GET", "/v1/dead-letters"), ("POST", "/v1/dead-letters/replay")] {
        let r = api.call(method, path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let r = api.call(method, path, Some(OPERATOR), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(r.body["error"], "forbidden");
    }
    assert_eq!(
        api.queue.dead_letter_count(&|_| true).await.expect("count"),
        4,
        "nothing moved"
    );

    let waiting = api.get("/v1/dead-letters", ADMIN).await;
    assert_eq!(waiting.status, StatusCode::OK);
    assert_eq!(waiting.body, json!({"waiting": 3}));
    // No body is needed (and one is not read).
    let replayed = api.call("POST", "/v1/dead-letters/replay", Some(ADMIN), None).await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.body);
    assert_eq!(replayed.body, json!({"replayed": 3}));
    assert_eq!(api.get("/v1/dead-letters", ADMIN).await.body, json!({"waiting": 0}));
    let back = api
        .queue
        .receive(10, std::time::Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(back.len(), 3, "back on the inbound queue");
    assert_eq!(
        api.get("/v1/dead-letters", OTHER_ADMIN).await.body,
        json!({"waiting": 1}),
        "the other tenant's letter stays"
    );

    let log = api.get("/v1/audit", ADMIN).await;
    assert_eq!(log.body["items"][0]["action"], "dead_letters_replayed", "{}", log.body);
    assert_eq!(log.body["items"][0]["actor"]["user"], "anna");
    // Nothing to replay: nothing moved, nothing recorded.
    let again = api.send("POST", "/v1/dead-letters/replay", ADMIN, json!({})).await;
    assert_eq!(again.body, json!({"replayed": 0}));
    let log = api.get("/v1/audit", ADMIN).await;
    assert_eq!(log.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn without_an_inbound_queue_the_dead_letters_are_503() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let queue = Arc::new(SqliteQueue::open(&dir.path().join("queue.sqlite3"), MAX_RECEIVES).expect("open queue"));
    let api = Api {
        router: admin_api::router(state(dir.path())),
        queue,
        _dir: dir,
    };
    for (method, path) in [("GET", "/v1/dead-letters"), ("POST", "/v1/dead-letters/replay")] {
        let r = api.call(method, path, Some(ADMIN), None).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{method} {path}");
        assert_eq!(r.body["error"], "unavailable");
    }
}
