//! The operator API driven through its router, without a network, on the embedded store: bodies
//! that are not the documented document are refused, and an id the caller's tenant does not have,
//! in the path or named in the body, is 404 naming it and changes nothing.

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::chatbot_http::HttpChatbotGateway;
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::{SqliteConfigStore, SqliteConversationStore, SqliteScheduler};
use adapters::ports::{Clock, ConfigStore, SystemClock};
use adapters::secrets::TokenCipher;
use axum::Router;
use axum::body::Body;
use domain::conversation::{ClientRef, Conversation, Handler, Opening};
use domain::ids::{ChannelId, ConversationId, TenantId};
use http::{Request, StatusCode};
use http_api::Authenticator;
use http_body_util::BodyExt;
use operator_api::OperatorState;
use serde_json::{Value, json};
use services::desk::Desk;
use services::ports::Ports;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const ADMIN: &str = "admin-token-acme";
const OPERATOR: &str = "operator-token-acme";

struct Api {
    router: Router,
    ports: Ports,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
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

    fn error(&self) -> (StatusCode, Option<&str>) {
        (self.status, self.body["error"].as_str())
    }
}

fn api() -> Api {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn ConfigStore> =
        Arc::new(SqliteConfigStore::open(&dir.path().join("config.sqlite3")).expect("open store"));
    let cipher = Arc::new(
        TokenCipher::from_config(
            "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "k1",
        )
        .expect("keys"),
    );
    // These tests never reach Avito.
    let avito = AvitoClient::new("http://127.0.0.1:9", RetryPolicy::default()).expect("client");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = Ports {
        config: Configuration::new(Arc::clone(&store)),
        conversations: Arc::new(
            SqliteConversationStore::open(&dir.path().join("conversations.sqlite3")).expect("conversations"),
        ),
        scheduler: Arc::new(SqliteScheduler::open(&dir.path().join("timers.sqlite3")).expect("timers")),
        chatbots: Arc::new(
            HttpChatbotGateway::new(Duration::from_secs(1), false, Arc::clone(&cipher)).expect("gateway"),
        ),
        vaults: Vaults {
            store,
            cipher,
            avito: avito.clone(),
            app: AppCredentials {
                client_id: "app".into(),
                client_secret: "app-secret".into(),
            },
            clock: Arc::clone(&clock),
        },
        avito,
        clock,
    };
    let auth = Authenticator::from_token_list(&format!("{ADMIN}:acme:anna:admin,{OPERATOR}:acme:boris:operator"))
        .expect("valid tokens");
    let state = OperatorState {
        desk: Desk { ports: ports.clone() },
        auth: Arc::new(auth),
    };
    Api {
        router: operator_api::router(state),
        ports,
        _dir: dir,
    }
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(body.map(|b| Body::from(b.to_owned())).unwrap_or_else(Body::empty))
            .expect("request builds");
        let resp = self.router.clone().oneshot(req).await.expect("router answers");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body reads").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Reply { status, body }
    }

    async fn send(&self, method: &str, path: &str, body: Value) -> Reply {
        self.call(method, path, Some(&body.to_string())).await
    }

    /// An open conversation of tenant `acme` waiting in the general queue.
    async fn conversation(&self) -> String {
        let now = self.ports.clock.now();
        let conversation = Conversation::open(Opening {
            id: ConversationId::parse("c1").expect("id"),
            channel_id: ChannelId::parse("ch1").expect("id"),
            chat_id: "u2i-chat".into(),
            handler: Handler::GeneralQueue,
            client: ClientRef {
                avito_user_id: Some(5001),
                name: Some("Мария".into()),
                card_id: None,
            },
            listing: None,
            at: now,
            last_activity_at: now,
            waiting_since: Some(now),
            candidate: None,
            auto_close_after: Default::default(),
        });
        self.ports
            .conversations
            .open(&TenantId::parse("acme").expect("tenant"), &conversation)
            .await
            .expect("opens");
        conversation.id.to_string()
    }
}

#[tokio::test]
async fn marking_notifications_read_takes_an_object_and_nothing_else() {
    let api = api();
    for body in [
        "[null]",
        "[]",
        "null",
        "\"2026-11-29T10:00:00Z\"",
        "{\"read_until\": \"soon\"}",
        "",
    ] {
        let r = api.call("POST", "/v1/notifications/read", Some(body)).await;
        assert_eq!(r.error(), (StatusCode::BAD_REQUEST, Some("bad_request")), "{body}");
    }
    let r = api.call("POST", "/v1/notifications/read", Some("{}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn an_unknown_group_to_return_to_is_404_naming_it_and_the_conversation_stays() {
    let api = api();
    let id = api.conversation().await;
    assert_eq!(
        api.call("POST", &format!("/v1/conversations/{id}/take"), None)
            .await
            .status,
        StatusCode::OK
    );
    let back = format!("/v1/conversations/{id}/return");
    let r = api.send("POST", &back, json!({"group_id": "ghost"})).await;
    assert_eq!(r.error(), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(r.fields(), ["group_id"]);
    let r = api.send("POST", &back, json!({"group_id": "not an id"})).await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["group_id".to_owned()])
    );
    let kept = api.call("GET", &format!("/v1/conversations/{id}"), None).await;
    assert_eq!(kept.body["handler"], json!({"type": "operator", "employee_id": "anna"}));
    // An array where the object is declared is refused, not read as `{}`.
    let r = api.call("POST", &back, Some("[null]")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.send("POST", &back, json!({})).await.status, StatusCode::OK);
}

#[tokio::test]
async fn links_to_records_the_tenant_lacks_are_404_naming_them_and_change_nothing() {
    let api = api();
    let id = api.conversation().await;
    let path = format!("/v1/conversations/{id}");
    let r = api
        .send(
            "PATCH",
            &path,
            json!({"topic": "Доставка", "deal_id": "ghost-deal", "organization_id": "ghost-org"}),
        )
        .await;
    assert_eq!(r.error(), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(r.fields(), ["deal_id", "organization_id"]);
    assert_eq!(api.call("GET", &path, None).await.body["topic"], Value::Null);
    // Beside an invalid value they are among the failing fields of a 422.
    let r = api
        .send(
            "PATCH",
            &path,
            json!({"topic": "я".repeat(201), "deal_id": "ghost-deal"}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["topic".to_owned(), "deal_id".to_owned()]
        )
    );
    let r = api.send("PATCH", &path, json!({"deal_id": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_image_for_an_unknown_conversation_is_404_whatever_its_bytes() {
    let api = api();
    let pdf = "%PDF-1.7\n";
    let r = api
        .call("POST", "/v1/conversations/ghost/images?idempotency_key=k1", Some(pdf))
        .await;
    assert_eq!(r.error(), (StatusCode::NOT_FOUND, Some("not_found")));
    let id = api.conversation().await;
    let r = api
        .call(
            "POST",
            &format!("/v1/conversations/{id}/images?idempotency_key=k1"),
            Some(pdf),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["body".to_owned()])
    );
}

#[tokio::test]
async fn a_client_made_a_guest_again_is_409_when_nothing_else_is_wrong() {
    let api = api();
    let created = api.send("POST", "/v1/client-cards", json!({"name": "Ольга"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let card = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/client-cards/{card}");
    let r = api.send("PUT", &path, json!({"kind": "guest", "name": "Ольга"})).await;
    assert_eq!(r.error(), (StatusCode::CONFLICT, Some("stays_client")));
    let r = api.send("PUT", &path, json!({"kind": "guest", "name": ""})).await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["kind".to_owned(), "name".to_owned()]
        )
    );
    // A kind that is neither is refused when creating too (it used to be ignored).
    let r = api
        .send("POST", "/v1/client-cards", json!({"name": "Ольга", "kind": "vip"}))
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["kind".to_owned()])
    );
    assert_eq!(api.call("GET", &path, None).await.body["kind"], "client");
}

#[tokio::test]
async fn paging_takes_a_limit_from_1_to_200_and_a_cursor_this_api_returned() {
    let api = api();
    assert_eq!(
        api.call("GET", "/v1/client-cards", None).await.error(),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    for query in [
        "limit=",
        "limit=0",
        "limit=201",
        "limit=%2B5",
        "limit=5.0",
        "cursor=",
        "cursor=a%23b",
    ] {
        let r = api.call("GET", &format!("/v1/deals?{query}"), None).await;
        assert_eq!(r.error(), (StatusCode::BAD_REQUEST, Some("bad_request")), "{query}");
    }
    assert_eq!(
        api.call("GET", "/v1/client-cards", None).await.error(),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    for query in ["cursor=", "cursor=123.x", "limit=abc"] {
        let r = api.call("GET", &format!("/v1/conversations?{query}"), None).await;
        assert_eq!(r.error(), (StatusCode::BAD_REQUEST, Some("bad_request")), "{query}");
    }
    let r = api
        .call("GET", "/v1/conversations?limit=200&cursor=000000000000001.x", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_card_search_the_document_allows_is_searched_and_one_it_refuses_is_refused() {
    let api = api();
    let doc = serde_json::to_value(operator_api::openapi()).expect("the document serializes");
    let parameter = &doc["paths"]["/v1/client-cards"]["get"]["parameters"][0];
    assert_eq!(
        (&parameter["name"], &parameter["required"]),
        (&json!("query"), &json!(true))
    );
    let schema = parameter["schema"].clone();
    let valid = jsonschema::validator_for(&schema).expect("the schema compiles");
    assert_eq!(
        api.call("GET", "/v1/client-cards", None).await.error(),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    for query in [
        "",
        "a",
        "İ",
        "ab",
        "Пё",
        " ab",
        "5",
        "5-",
        "55",
        "+7 900",
        "8 (900) 1",
        "a b",
        "5\t5",
        "--",
        "\u{a0}5\u{a0}5",
    ] {
        let path = format!("/v1/client-cards?query={}", percent(query));
        let r = api.call("GET", &path, None).await;
        let refused = matches!(r.status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            !refused,
            valid.is_valid(&json!(query)),
            "{query:?}: {} {}",
            r.status,
            r.body
        );
    }
}

/// `s` as a query parameter's value: every byte but letters and digits percent-encoded.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
