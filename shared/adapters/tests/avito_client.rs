//! The Avito client against the sandbox on loopback: every endpoint we use, and the failure
//! policy (refresh once on 401/403, 402, 429 with Retry-After, bounded retries only where safe).

use adapters::avito::{AccessTokenSource, AvitoClient, AvitoError, RetryPolicy};
use avito_sandbox::{Sandbox, SandboxConfig, serve_on_loopback};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Duration;

const ACCOUNT: i64 = 1001;

/// Personal (client_credentials) tokens, fetched again when refused.
struct PersonalTokens {
    client: AvitoClient,
    current: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl AccessTokenSource for PersonalTokens {
    async fn access_token(&self) -> Result<String, AvitoError> {
        let cached = self
            .current
            .lock()
            .map_err(|_| AvitoError::Credentials("poisoned".into()))?
            .clone();
        match cached {
            Some(t) => Ok(t),
            None => self.refreshed_token("").await,
        }
    }

    async fn refreshed_token(&self, _rejected: &str) -> Result<String, AvitoError> {
        let t = self
            .client
            .token_client_credentials("personal-1001", "personal-secret-1001")
            .await?
            .access_token;
        *self
            .current
            .lock()
            .map_err(|_| AvitoError::Credentials("poisoned".into()))? = Some(t.clone());
        Ok(t)
    }
}

struct Env {
    sandbox: Sandbox,
    base: String,
    client: AvitoClient,
    tokens: PersonalTokens,
    /// A receiver that answers 200 to everything (for subscriptions' verification requests).
    receiver: String,
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(5),
        request_timeout: Duration::from_secs(2),
        ..RetryPolicy::default()
    }
}

async fn env() -> Env {
    let (sandbox, base) = serve_on_loopback(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    avito_sandbox::seed_demo(&sandbox, "http://127.0.0.1:1/callback");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("receiver binds");
    let receiver = format!("http://{}/hook", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/hook", post(|| async { "ok" }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = AvitoClient::new(&base, fast_policy()).expect("client builds");
    let tokens = PersonalTokens {
        client: client.clone(),
        current: Mutex::new(None),
    };
    Env {
        sandbox,
        base,
        client,
        tokens,
        receiver,
    }
}

impl Env {
    async fn control(&self, path: &str, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control answers");
        r.json().await.unwrap_or(Value::Null)
    }

    fn calls(&self, operation: &str) -> usize {
        self.sandbox
            .data()
            .calls
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }
}

#[tokio::test]
async fn the_account_and_messenger_subscriptions_round_trip() {
    let e = env().await;
    let me = e.client.account_self(&e.tokens).await.expect("self");
    assert_eq!((me.id, me.name.as_deref()), (ACCOUNT, Some("Магазин «Ромашка»")));
    e.client
        .subscribe_messenger(&e.tokens, &e.receiver)
        .await
        .expect("subscribe");
    let subs = e.client.messenger_subscriptions(&e.tokens).await.expect("list");
    assert_eq!(
        subs.subscriptions.iter().map(|s| s.url.as_str()).collect::<Vec<_>>(),
        [e.receiver.as_str()]
    );
    e.client
        .unsubscribe_messenger(&e.tokens, &e.receiver)
        .await
        .expect("unsubscribe");
    assert!(
        e.client
            .messenger_subscriptions(&e.tokens)
            .await
            .expect("list")
            .subscriptions
            .is_empty()
    );
}

#[tokio::test]
async fn subscribing_an_unreachable_url_fails_with_avitos_reason() {
    let e = env().await;
    let err = e
        .client
        .subscribe_messenger(&e.tokens, "http://127.0.0.1:1/nowhere")
        .await
        .expect_err("refused");
    assert!(
        matches!(err, AvitoError::Rejected(ref m) if m.contains("unreachable")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_chat_is_read_answered_with_text_and_images_and_marked_read() {
    let e = env().await;
    let sent = e
        .control(
            &format!("/_sandbox/accounts/{ACCOUNT}/client-messages"),
            json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед", "price_string": "15 000 ₽"}, "text": "Ещё продаёте?"}),
        )
        .await;
    let chat_id = sent["chat_id"].as_str().expect("chat id").to_owned();

    let chat = e.client.chat(&e.tokens, ACCOUNT, &chat_id).await.expect("chat");
    assert_eq!(chat.users[0].name.as_deref(), Some("Иван"));
    let item = chat.context.and_then(|c| c.value).expect("listing");
    assert_eq!(
        (item.title.as_deref(), item.price_string.as_deref()),
        (Some("Велосипед"), Some("15 000 ₽"))
    );

    let reply = e
        .client
        .send_text(&e.tokens, ACCOUNT, &chat_id, "Да, продаём!")
        .await
        .expect("send");
    let uploaded = e
        .client
        .upload_image(
            &e.tokens,
            ACCOUNT,
            "bike.jpg",
            "image/jpeg",
            vec![0xFF, 0xD8, 0xFF, 0xE0],
        )
        .await
        .expect("upload");
    let image_id = uploaded.keys().next().expect("an image id").clone();
    e.client
        .send_image(&e.tokens, ACCOUNT, &chat_id, &image_id)
        .await
        .expect("send image");
    e.client.mark_read(&e.tokens, ACCOUNT, &chat_id).await.expect("read");

    let messages = e
        .client
        .messages(&e.tokens, ACCOUNT, &chat_id, 10, 0)
        .await
        .expect("messages");
    let texts: Vec<_> = messages
        .iter()
        .map(|m| (m.kind.as_str().to_owned(), m.content.text.clone()))
        .collect();
    assert_eq!(
        texts,
        [
            ("image".into(), None),
            ("text".into(), Some("Да, продаём!".into())),
            ("text".into(), Some("Ещё продаёте?".into()))
        ]
    );
    assert_eq!(messages[2].is_read, Some(true));
    e.client
        .delete_message(&e.tokens, ACCOUNT, &chat_id, &reply.id)
        .await
        .expect("delete");
    let after = e
        .client
        .messages(&e.tokens, ACCOUNT, &chat_id, 10, 0)
        .await
        .expect("messages");
    assert_eq!(after[1].kind.as_str(), "deleted");

    let bad = e
        .client
        .upload_image(&e.tokens, ACCOUNT, "doc.pdf", "application/pdf", vec![1, 2, 3])
        .await
        .expect_err("refused");
    assert!(matches!(bad, AvitoError::Rejected(_)), "{bad:?}");
    let long = "я".repeat(1001);
    assert!(matches!(
        e.client.send_text(&e.tokens, ACCOUNT, &chat_id, &long).await,
        Err(AvitoError::Rejected(_))
    ));
}

#[tokio::test]
async fn voice_messages_resolve_to_download_links() {
    let e = env().await;
    let sent = e
        .control(
            &format!("/_sandbox/accounts/{ACCOUNT}/client-messages"),
            json!({"type": "voice", "content": {"voice": {"voice_id": "v-1"}}}),
        )
        .await;
    assert!(sent["chat_id"].is_string());
    e.control(
        &format!("/_sandbox/accounts/{ACCOUNT}/client-messages"),
        json!({"type": "voice", "content": {"voice": {"voice_id": "v-2"}}}),
    )
    .await;
    // `voice_ids` is an array parameter: each id its own `voice_ids=` (joined with commas the
    // sandbox, like Avito, would look for one id "v-1,unknown,v-2").
    let files = e
        .client
        .voice_files(&e.tokens, ACCOUNT, &["v-1", "unknown", "v-2"])
        .await
        .expect("voice");
    assert!(
        files
            .voices_urls
            .get("v-1")
            .is_some_and(|u| u.ends_with("/_sandbox/voice/v-1.mp4"))
    );
    assert!(files.voices_urls.contains_key("v-2"), "{:?}", files.voices_urls);
    assert!(!files.voices_urls.contains_key("unknown"));
}

#[tokio::test]
async fn jobs_webhooks_applications_resumes_and_vacancies() {
    let e = env().await;
    e.client
        .put_applications_webhook(&e.tokens, &e.receiver, "s3cret-value")
        .await
        .expect("put webhook");
    assert_eq!(
        e.client.applications_webhook(&e.tokens).await.expect("get").url,
        e.receiver
    );
    assert_eq!(
        e.client
            .applications_webhooks(&e.tokens)
            .await
            .expect("list")
            .webhooks
            .len(),
        1
    );

    let applied = e
        .control(
            &format!("/_sandbox/accounts/{ACCOUNT}/applications"),
            json!({"vacancy": {"title": "Продавец-консультант"}, "candidate": {"name": "Мария Соколова", "phone": "79001234567"},
                   "resume": {"title": "Продавец", "experience": "3 года"},
                   "questionnaire": [{"label": "Город", "value": "Москва", "variable": "job_city"}]}),
        )
        .await;
    assert_eq!(applied["deliveries"][0]["status"], 200);
    let apply_id = applied["apply_id"].as_str().expect("apply id").to_owned();

    let ids = e
        .client
        .application_ids(&e.tokens, "2020-01-01", None)
        .await
        .expect("ids");
    assert_eq!(
        ids.applies.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [apply_id.as_str()]
    );
    let apps = e
        .client
        .applications_by_ids(&e.tokens, std::slice::from_ref(&apply_id))
        .await
        .expect("by ids");
    let app = &apps.applies[0];
    assert_eq!(app.chat_id(), applied["chat_id"].as_str());
    let resume_id = app
        .applicant
        .as_ref()
        .and_then(|a| a.resume_id.clone())
        .expect("resume id");
    assert_eq!(
        e.client
            .resume(&e.tokens, &resume_id)
            .await
            .expect("resume")
            .title
            .as_deref(),
        Some("Продавец")
    );
    let contacts = e.client.resume_contacts(&e.tokens, &resume_id).await.expect("contacts");
    assert!(contacts.contacts.iter().any(|c| c.value == "79001234567"));
    let vacancy_id = app.vacancy_id.expect("vacancy id");
    assert_eq!(
        e.client
            .vacancy(&e.tokens, vacancy_id)
            .await
            .expect("vacancy")
            .title
            .as_deref(),
        Some("Продавец-консультант")
    );

    e.client
        .delete_applications_webhook(&e.tokens, &e.receiver)
        .await
        .expect("delete webhook");
    assert!(
        e.client
            .applications_webhooks(&e.tokens)
            .await
            .expect("list")
            .webhooks
            .is_empty()
    );
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_repeated() {
    let e = env().await;
    e.client.account_self(&e.tokens).await.expect("first call");
    e.control(&format!("/_sandbox/accounts/{ACCOUNT}/expire-tokens"), json!({}))
        .await;
    let before = e.calls("getAccessToken");
    e.client.account_self(&e.tokens).await.expect("works after a refresh");
    assert_eq!(e.calls("getAccessToken") - before, 1);

    e.control(
        "/_sandbox/faults",
        json!({"operation": "getUserInfoSelf", "status": 401, "times": 5}),
    )
    .await;
    let before_self = e.calls("getUserInfoSelf");
    let err = e.client.account_self(&e.tokens).await.expect_err("refused twice");
    assert!(matches!(err, AvitoError::Unauthorized), "{err:?}");
    assert_eq!(
        e.calls("getUserInfoSelf") - before_self,
        2,
        "one refresh, one repeat, then stop"
    );
}

#[tokio::test]
async fn payment_required_is_a_typed_error() {
    let e = env().await;
    e.control(
        "/_sandbox/faults",
        json!({"operation": "applicationsGetByIds", "status": 402}),
    )
    .await;
    let err = e
        .client
        .applications_by_ids(&e.tokens, &["x".into()])
        .await
        .expect_err("402");
    assert!(matches!(err, AvitoError::SubscriptionRequired), "{err:?}");
}

#[tokio::test]
async fn rate_limits_honour_retry_after_or_give_up_when_it_is_too_long() {
    let e = env().await;
    e.control(
        "/_sandbox/faults",
        json!({"operation": "getSubscriptions", "status": 429, "times": 1, "retry_after": 1}),
    )
    .await;
    let started = std::time::Instant::now();
    e.client
        .messenger_subscriptions(&e.tokens)
        .await
        .expect("succeeds after waiting");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");

    e.control(
        "/_sandbox/faults",
        json!({"operation": "getSubscriptions", "status": 429, "times": 1, "retry_after": 3600}),
    )
    .await;
    assert!(matches!(
        e.client.messenger_subscriptions(&e.tokens).await,
        Err(AvitoError::RateLimited)
    ));
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_but_a_send_is_never_repeated() {
    let e = env().await;
    let chat = e
        .control(
            &format!("/_sandbox/accounts/{ACCOUNT}/client-messages"),
            json!({"text": "Алло"}),
        )
        .await;
    let chat_id = chat["chat_id"].as_str().expect("chat").to_owned();

    e.control(
        "/_sandbox/faults",
        json!({"operation": "getChatByIdV2", "status": 503, "times": 2}),
    )
    .await;
    e.client
        .chat(&e.tokens, ACCOUNT, &chat_id)
        .await
        .expect("third attempt succeeds");
    assert_eq!(e.calls("getChatByIdV2"), 3);

    e.control(
        "/_sandbox/faults",
        json!({"operation": "getChatByIdV2", "status": 500, "times": 5}),
    )
    .await;
    assert!(matches!(
        e.client.chat(&e.tokens, ACCOUNT, &chat_id).await,
        Err(AvitoError::Unavailable(_))
    ));
    assert_eq!(e.calls("getChatByIdV2"), 6, "bounded: three more attempts");

    e.control(
        "/_sandbox/faults",
        json!({"operation": "postSendMessage", "status": 502, "times": 1}),
    )
    .await;
    assert!(matches!(
        e.client.send_text(&e.tokens, ACCOUNT, &chat_id, "Ответ").await,
        Err(AvitoError::Unavailable(_))
    ));
    assert_eq!(
        e.calls("postSendMessage"),
        1,
        "a send that may have arrived is not repeated"
    );
}

#[tokio::test]
async fn every_call_has_a_timeout() {
    let e = env().await;
    let impatient = AvitoClient::new(
        &e.base,
        RetryPolicy {
            request_timeout: Duration::from_millis(200),
            max_attempts: 2,
            ..fast_policy()
        },
    )
    .expect("client");
    let tokens = PersonalTokens {
        client: impatient.clone(),
        current: Mutex::new(None),
    };
    impatient.account_self(&tokens).await.expect("fast enough at first");
    e.control(
        "/_sandbox/delays",
        json!({"operation": "getUserInfoSelf", "millis": 1000}),
    )
    .await;
    let started = std::time::Instant::now();
    assert!(matches!(
        impatient.account_self(&tokens).await,
        Err(AvitoError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "gave up on time: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn wrong_client_credentials_and_used_codes_are_typed_errors() {
    let e = env().await;
    assert!(matches!(
        e.client.token_client_credentials("personal-1001", "wrong").await,
        Err(AvitoError::InvalidClient)
    ));
    assert!(matches!(
        e.client
            .token_authorization_code("sandbox-app", "sandbox-app-secret", "no-such-code")
            .await,
        Err(AvitoError::InvalidGrant)
    ));
    assert!(matches!(
        e.client
            .token_refresh("sandbox-app", "sandbox-app-secret", "no-such-token")
            .await,
        Err(AvitoError::InvalidGrant)
    ));
}
