//! The sandbox answers in Avito's shapes: each answer of each endpoint we use is validated against
//! the JSON schema of that answer in Avito's OpenAPI files.

use avito_model::openapi::{json_schema, schema, spec};
use avito_sandbox::{SandboxConfig, seed_demo, serve_on_loopback};
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("sandbox answers");
        assert!(r.status().is_success(), "{method} {path}: {}", r.status());
        r.json().await.expect("JSON answer")
    }
}

fn conforms(spec_name: &str, path: &str, method: &str, answer: &Value) {
    let s = spec(spec_name);
    let sch = json_schema(&s, schema(&s, path, method, "200"));
    let validator =
        jsonschema::validator_for(&sch).unwrap_or_else(|e| panic!("{method} {path}: schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(answer)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answer does not match Avito's schema: {errors:#?}\n{answer:#}"
    );
}

#[tokio::test]
async fn every_answer_matches_avitos_schemas() {
    let (sb, base) = serve_on_loopback(SandboxConfig {
        verify_subscriptions: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    seed_demo(&sb, "http://127.0.0.1:1/callback");
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "personal-1001"),
            ("client_secret", "personal-secret-1001"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    conforms("authorization", "/token", "post", &token);
    let c = Client {
        http: http.clone(),
        base: base.clone(),
        token: token["access_token"].as_str().expect("token").to_owned(),
    };
    use reqwest::Method as M;

    conforms(
        "user",
        "/core/v1/accounts/self",
        "get",
        &c.call(M::GET, "/core/v1/accounts/self", None).await,
    );
    conforms(
        "messenger",
        "/messenger/v3/webhook",
        "post",
        &c.call(
            M::POST,
            "/messenger/v3/webhook",
            Some(json!({"url": "http://127.0.0.1:9/h"})),
        )
        .await,
    );
    conforms(
        "messenger",
        "/messenger/v1/subscriptions",
        "post",
        &c.call(M::POST, "/messenger/v1/subscriptions", None).await,
    );

    let sent: Value = http
        .post(format!("{base}/_sandbox/accounts/1001/client-messages"))
        .json(&json!({"client": {"name": "Иван"}, "item": {"title": "Велосипед", "price_string": "15 000 ₽"}, "text": "Здравствуйте"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("JSON");
    let chat = sent["chat_id"].as_str().expect("chat id");
    let chat_path = format!("/messenger/v2/accounts/1001/chats/{chat}");
    conforms(
        "messenger",
        "/messenger/v2/accounts/{user_id}/chats/{chat_id}",
        "get",
        &c.call(M::GET, &chat_path, None).await,
    );
    let text = c
        .call(
            M::POST,
            &format!("/messenger/v1/accounts/1001/chats/{chat}/messages"),
            Some(json!({"type": "text", "message": {"text": "Да"}})),
        )
        .await;
    conforms(
        "messenger",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages",
        "post",
        &text,
    );
    conforms(
        "messenger",
        "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
        "get",
        &c.call(
            M::GET,
            &format!("/messenger/v3/accounts/1001/chats/{chat}/messages/"),
            None,
        )
        .await,
    );
    conforms(
        "messenger",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/read",
        "post",
        &c.call(M::POST, &format!("/messenger/v1/accounts/1001/chats/{chat}/read"), None)
            .await,
    );
    let form = reqwest::multipart::Form::new().part(
        "uploadfile[]",
        reqwest::multipart::Part::bytes(vec![1, 2, 3])
            .file_name("a.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let uploaded: Value = http
        .post(format!("{base}/messenger/v1/accounts/1001/uploadImages"))
        .bearer_auth(&c.token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("JSON");
    conforms(
        "messenger",
        "/messenger/v1/accounts/{user_id}/uploadImages",
        "post",
        &uploaded,
    );
    let image_id = uploaded
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .expect("image id");
    let image = c
        .call(
            M::POST,
            &format!("/messenger/v1/accounts/1001/chats/{chat}/messages/image"),
            Some(json!({"image_id": image_id})),
        )
        .await;
    conforms(
        "messenger",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image",
        "post",
        &image,
    );
    conforms(
        "messenger",
        "/messenger/v1/accounts/{user_id}/getVoiceFiles",
        "get",
        &c.call(M::GET, "/messenger/v1/accounts/1001/getVoiceFiles?voice_ids=x", None)
            .await,
    );

    conforms(
        "job",
        "/job/v1/applications/webhook",
        "put",
        &c.call(
            M::PUT,
            "/job/v1/applications/webhook",
            Some(json!({"url": "http://127.0.0.1:9/j", "secret": "s"})),
        )
        .await,
    );
    conforms(
        "job",
        "/job/v1/applications/webhook",
        "get",
        &c.call(M::GET, "/job/v1/applications/webhook", None).await,
    );
    conforms(
        "job",
        "/job/v1/applications/webhooks",
        "get",
        &c.call(M::GET, "/job/v1/applications/webhooks", None).await,
    );
    let applied: Value = http
        .post(format!("{base}/_sandbox/accounts/1001/applications"))
        .json(&json!({"vacancy": {"title": "Курьер"}, "candidate": {"name": "Пётр", "phone": "79000000000"}, "resume": {"title": "Курьер"},
                      "questionnaire": [{"label": "Возраст", "value": "25", "variable": "job_age"}]}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("JSON");
    conforms(
        "job",
        "/job/v1/applications/get_ids",
        "get",
        &c.call(M::GET, "/job/v1/applications/get_ids?updatedAtFrom=2020-01-01", None)
            .await,
    );
    let by_ids = c
        .call(
            M::POST,
            "/job/v1/applications/get_by_ids",
            Some(json!({"ids": [applied["apply_id"]]})),
        )
        .await;
    conforms("job", "/job/v1/applications/get_by_ids", "post", &by_ids);
    let resume = applied["resume_id"].as_str().expect("resume id");
    conforms(
        "job",
        "/job/v2/resumes/{resume_id}",
        "get",
        &c.call(M::GET, &format!("/job/v2/resumes/{resume}"), None).await,
    );
    conforms(
        "job",
        "/job/v1/resumes/{resume_id}/contacts/",
        "get",
        &c.call(M::GET, &format!("/job/v1/resumes/{resume}/contacts/"), None)
            .await,
    );
    let vacancy = applied["vacancy_id"].as_i64().expect("vacancy id");
    conforms(
        "job",
        "/job/v2/vacancies/{vacancy_id}",
        "get",
        &c.call(M::GET, &format!("/job/v2/vacancies/{vacancy}"), None).await,
    );
    conforms(
        "job",
        "/job/v1/applications/webhook",
        "delete",
        &c.call(M::DELETE, "/job/v1/applications/webhook?url=http://127.0.0.1:9/j", None)
            .await,
    );
    conforms(
        "messenger",
        "/messenger/v1/webhook/unsubscribe",
        "post",
        &c.call(
            M::POST,
            "/messenger/v1/webhook/unsubscribe",
            Some(json!({"url": "http://127.0.0.1:9/h"})),
        )
        .await,
    );
}

#[tokio::test]
async fn pushed_webhooks_match_avitos_webhook_schema() {
    let (sb, base) = serve_on_loopback(SandboxConfig::default()).await.expect("sandbox");
    seed_demo(&sb, "http://127.0.0.1:1/callback");
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<Value>::new()));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<Value>| {
            let store = store.clone();
            async move {
                store.lock().await.push(body.0);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "personal-1001"),
            ("client_secret", "personal-secret-1001"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    let r = http
        .post(format!("{base}/messenger/v3/webhook"))
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .json(&json!({"url": hook}))
        .send()
        .await
        .expect("subscribe");
    assert!(r.status().is_success());
    http.post(format!("{base}/_sandbox/accounts/1001/client-messages"))
        .json(&json!({"text": "Добрый день", "copies": 2}))
        .send()
        .await
        .expect("control");
    let got = received.lock().await.clone();
    // The verification request `{}` first, then the message twice.
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0], json!({}));
    assert_eq!(got[1], got[2], "a repeated delivery is the same delivery");
    let s = spec("messenger");
    let payload = json_schema(&s, &s["components"]["schemas"]["PayloadStruct"]);
    let validator = jsonschema::validator_for(&payload).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&got[1]["payload"])
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
