//! The whole product on its AWS wiring (`make watch`): `avito-cc-aws-local` plays
//! `infra/template.yaml` on moto and every function's own binary, and each flow runs end to end
//! through what AWS would do: a sandbox client writes → the webhook function (through the HTTP
//! API) → SQS → the router function (the event source mapping) → DynamoDB → the operator API
//! function lists it through the HTTP API's JWT authorizer, with a token Cognito (moto) signed
//! after a sign-in on the hosted page → the operator's reply reaches the sandbox chat → the
//! delayed auto-reply fires through the scheduler once → the auto-close schedule closes an
//! inactive conversation and its closing message goes out once → a message the router keeps
//! failing moves to the dead-letter queue after the template's receive count, and the
//! administrator's replay brings it back.
//!
//! And the checks that keep the template honest: every route of the template reaches a function
//! that serves it, and a function the template does not give a variable it needs fails to start.

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin@acme.test";

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target_dir() -> std::path::PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target"))
}

/// The functions' binaries and the player, built once.
fn build() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        // Every function the template declares, by its binary's name.
        let wiring = aws_stack::template::wiring::Wiring::repository().expect("template");
        let mut args: Vec<String> = ["build", "-q", "-p", "aws-stack", "--bin", "avito-cc-aws-local"]
            .map(String::from)
            .to_vec();
        for f in &wiring.functions {
            args.extend(["-p".into(), f.binary.clone(), "--bin".into(), f.binary.clone()]);
        }
        let status = Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the functions build");
    });
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{name}-{}", nanos % 1_000_000_000_000)
}

/// The stack, playing; stopped (with its functions) when dropped.
struct Played {
    child: Child,
    base: String,
    prefix: String,
    /// What it printed: the functions' logs too.
    log: Arc<Mutex<String>>,
    /// The demo administrator's password.
    password: String,
}

impl Drop for Played {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Played {
    fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Starts the player on `template` (the repository's when `None`); `Err` with what it printed
/// when it exits instead of getting ready.
fn play(sandbox: &str, template: Option<&std::path::Path>) -> Result<Played, String> {
    build();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    let prefix = unique("played");
    let mut command = Command::new(target_dir().join("debug/avito-cc-aws-local"));
    command
        .current_dir(root())
        .env("AWS_LOCAL_PORT", "0")
        .env("AWS_LOCAL_PREFIX", &prefix)
        .env("AWS_LOCAL_BINARIES", target_dir().join("debug"))
        .env("AWS_LOCAL_RATE_SECONDS", "2")
        .env("AWS_LOCAL_SQS_RETRY_SECONDS", "1")
        .env("AWS_LOCAL_DEMO_ADMIN", format!("acme:{ADMIN}"))
        .env("AVITO_API_BASE_URL", sandbox)
        .env("AVITO_OAUTH_URL", format!("{sandbox}/oauth"))
        .env("RUST_LOG", "info")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = template {
        command.env("AWS_LOCAL_TEMPLATE", t);
    }
    let mut child = command.spawn().expect("the player starts");
    let log = Arc::new(Mutex::new(String::new()));
    if let Some(mut stderr) = child.stderr.take() {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut l) = log.lock() {
                    l.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let functions_log = Arc::clone(&log);
    std::thread::spawn(move || {
        // The player's lines, and the functions' logs (they write to the same output).
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(mut l) = functions_log.lock() {
                l.push_str(&line);
                l.push('\n');
            }
            let _ = tx.send(line);
        }
    });
    let mut played = Played {
        child,
        base: String::new(),
        prefix,
        log,
        password: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(p) = line.strip_prefix("admin ") {
                    played.password = p.split_whitespace().nth(1).unwrap_or_default().to_owned();
                }
                if let Some(base) = line.strip_prefix("ready ") {
                    played.base = base.trim().to_owned();
                    return Ok(played);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let _ = played.child.wait();
                std::thread::sleep(Duration::from_millis(200));
                return Err(played.log());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("not ready in time:\n{}", played.log()));
        }
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].replace("&amp;", "&").replace("&quot;", "\""))
}

/// Signs in as the web interface does on AWS: the hosted page (the password, then a new one when
/// the account has a temporary one), the code with its PKCE verifier for tokens. The ID token.
async fn sign_in(base: &str, email: &str, password: &str, new_password: Option<&str>) -> String {
    let http = no_redirects();
    let config: Value = http
        .get(format!("{base}/v1/sign-in"))
        .send()
        .await
        .expect("sign-in config")
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["provider"], "cognito", "{config}");
    let verifier = "a-verifier-long-enough-for-pkce-0123456789-abcdefghijklmnop";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let s = |k: &str| config[k].as_str().expect(k).to_owned();
    let params = [
        ("response_type", "code".to_owned()),
        ("client_id", s("client_id")),
        ("redirect_uri", s("redirect_uri")),
        ("scope", s("scope")),
        ("state", "st4te".to_owned()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let page = http
        .get(s("authorize_url"))
        .query(&params)
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains("Пароль"));
    let mut form: Vec<(&str, String)> = params.to_vec();
    form.push(("username", email.to_owned()));
    form.push(("password", password.to_owned()));
    let mut answer = http
        .post(format!("{}/login", s("domain_url")))
        .form(&form)
        .send()
        .await
        .expect("login");
    if answer.status() == 200 {
        let page = answer.text().await.unwrap_or_default();
        let session = hidden(&page, "session").unwrap_or_else(|| panic!("refused: {page}"));
        let mut form: Vec<(&str, String)> = params.to_vec();
        form.push(("username", email.to_owned()));
        form.push(("session", session));
        form.push((
            "new_password",
            new_password.expect("a new password is asked").to_owned(),
        ));
        answer = http
            .post(format!("{}/login", s("domain_url")))
            .form(&form)
            .send()
            .await
            .expect("new password");
    }
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let location = answer.headers()["location"].to_str().expect("location").to_owned();
    let url = reqwest::Url::parse(&location).expect("a URL");
    assert!(location.starts_with(&s("redirect_uri")));
    let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    assert_eq!(q("state").as_deref(), Some("st4te"));
    let code = q("code").expect("a code");
    let exchange = || {
        http.post(s("token_url")).form(&[
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", s("client_id")),
            ("code", code.clone()),
            ("redirect_uri", s("redirect_uri")),
            ("code_verifier", verifier.to_owned()),
        ])
    };
    let tokens: Value = exchange().send().await.expect("token").json().await.expect("JSON");
    // A code works once.
    assert_eq!(exchange().send().await.expect("token").status(), 400);
    tokens["id_token"].as_str().expect("an ID token").to_owned()
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("the HTTP API answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }
    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }
    async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body)).await
    }
    /// A channel of `kind` in `group`, connected with the sandbox account's personal key pair;
    /// its id.
    async fn connected_channel(&self, admin: &str, group: &Value, name: &str, kind: &str, account: u32) -> String {
        let (status, channel) = self
            .post(
                "/v1/channels",
                admin,
                json!({"name": name, "kind": kind, "channel_group_id": group}),
            )
            .await;
        assert_eq!(status, 201, "{channel}");
        let id = channel["id"].as_str().expect("channel").to_owned();
        let keys =
            json!({"client_id": format!("personal-{account}"), "client_secret": format!("personal-secret-{account}")});
        let (status, connected) = self.post(&format!("/v1/channels/{id}/connect"), admin, keys).await;
        assert_eq!(status, 200, "{connected}");
        id
    }
}

async fn sandbox_post(sandbox: &str, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{sandbox}/_sandbox{path}"))
        .json(&body)
        .send()
        .await
        .expect("control")
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// The texts of the messages in a sandbox chat of account 1001.
async fn chat_texts(sandbox: &str, chat: &str) -> Vec<String> {
    let messages: Value = reqwest::get(format!("{sandbox}/_sandbox/accounts/1001/chats/{chat}/messages"))
        .await
        .expect("chat")
        .json()
        .await
        .expect("JSON");
    messages
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until `check` gives `Some`, or fails with the player's log.
async fn eventually<T, F, Fut>(played: &Played, what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not in time; the player's log:\n{}",
            played.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn listed(api: &Api, token: &str, view: &str, chat: &str) -> Option<Value> {
    let (_, page) = api
        .get(&format!("/v1/conversations?view={view}&limit=200"), token)
        .await;
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["chat_id"] == chat)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_runs_end_to_end_on_the_templates_wiring() {
    let (sb, sandbox) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox");
    avito_sandbox::seed_demo(&sb, "http://127.0.0.1:1/avito/oauth/callback");
    let played = play(&sandbox, None).unwrap_or_else(|log| panic!("the player did not start:\n{log}"));
    let api = Api {
        base: played.base.clone(),
        http: reqwest::Client::new(),
    };
    let cognito = adapters::aws::cognito_client_from_env().await;

    // The administrator signs in on the hosted page and sets the tenant up.
    let admin = sign_in(&played.base, ADMIN, &played.password, None).await;
    let (status, me) = api.get("/v1/me", &admin).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("admin")), "{me}");
    let (_, group) = api.post("/v1/channel-groups", &admin, json!({"name": "Москва"})).await;
    let ch = api
        .connected_channel(&admin, &group["id"], "Авито", "avito", 1001)
        .await;
    let all_day = json!([{"start": "00:00", "end": "24:00"}]);
    let (status, body) = api
        .put(
            "/v1/schedule",
            &admin,
            json!({"time_zone": "Europe/Moscow", "weekly": {"monday": all_day, "tuesday": all_day,
                "wednesday": all_day, "thursday": all_day, "friday": all_day, "saturday": all_day, "sunday": all_day}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api
        .put(
            &format!("/v1/channels/{ch}/settings"),
            &admin,
            json!({
                "working_time": {"auto_replies": [{"text": "Оператор скоро ответит.", "delay_seconds": 3}]},
                "closing_message": {"enabled": true, "text": "Спасибо за обращение!"},
                "auto_close_after": {"value": 1, "unit": "hours"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // An operator is invited, sets their password on the hosted page and signs in.
    let (status, olga) = api
        .post(
            "/v1/employees",
            &admin,
            json!({"name": "Ольга", "email": "olga@acme.test", "role": "operator"}),
        )
        .await;
    assert_eq!(status, 201, "{olga}");
    let olga_id = olga["id"].as_str().expect("employee").to_owned();
    let (status, invited) = api
        .post(&format!("/v1/employees/{olga_id}/invitation"), &admin, json!({}))
        .await;
    assert!(status < 300, "{invited}");
    let (_, config) = api.get("/v1/sign-in", "").await;
    let pool = config["user_pool_id"].as_str().expect("pool").to_owned();
    // What Cognito's invitation e-mail would carry.
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username("olga@acme.test")
        .password("Temporary123")
        .permanent(false)
        .send()
        .await
        .expect("a temporary password");
    let operator = sign_in(
        &played.base,
        "olga@acme.test",
        "Temporary123",
        Some("Olga-Password-2026"),
    )
    .await;
    let (status, me) = api.get("/v1/me", &operator).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("operator")), "{me}");
    // Both sign-ins are in the tenant's audit log, by name (the pool's post-authentication
    // trigger: the product never sees the hosted page's sign-ins otherwise).
    let (status, log) = api.get("/v1/audit", &admin).await;
    assert_eq!(status, 200, "{log}");
    let signed_in: Vec<&str> = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "signed_in")
        .filter_map(|e| e["actor"]["name"].as_str())
        .collect();
    assert!(
        signed_in.contains(&"Ольга") && signed_in.contains(&"Администратор"),
        "{log}"
    );
    // A token is refused once altered.
    let mut forged = operator.clone();
    forged.pop();
    assert_eq!(api.get("/v1/me", &forged).await.0, 401);
    assert_eq!(api.get("/v1/me", "").await.0, 401);

    // A client writes: webhook → SQS → router → DynamoDB → the operator's queue.
    let sent = sandbox_post(
        &sandbox,
        "/accounts/1001/client-messages",
        json!({"client": {"name": "Мария"}, "text": "Здравствуйте, вопрос по заказу"}),
    )
    .await;
    let chat_a = sent["chat_id"].as_str().expect("chat").to_owned();
    let conversation = eventually(
        &played,
        "the conversation in the operator's queue",
        Duration::from_secs(60),
        || listed(&api, &operator, "queue", &chat_a),
    )
    .await;
    assert_eq!(conversation["client"]["name"], "Мария", "{conversation}");
    let id = conversation["id"].as_str().expect("id").to_owned();

    // The delayed auto-reply fires through the scheduler, once.
    eventually(
        &played,
        "the auto-reply in the client's chat",
        Duration::from_secs(60),
        || async {
            chat_texts(&sandbox, &chat_a)
                .await
                .iter()
                .any(|t| t == "Оператор скоро ответит.")
                .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let copies = |texts: Vec<String>, text: &str| texts.iter().filter(|t| *t == text).count();
    assert_eq!(
        copies(chat_texts(&sandbox, &chat_a).await, "Оператор скоро ответит."),
        1
    );
    let scheduler = adapters::aws::scheduler_client_from_env().await;
    let left = scheduler
        .list_schedules()
        .group_name(aws_stack::resource_name(&played.prefix, "AutoReplyScheduleGroup"))
        .send()
        .await
        .expect("schedules");
    assert!(left.schedules().is_empty(), "a fired schedule is deleted: {left:?}");

    // The operator replies from the queue (the reply takes it): it reaches the client's chat.
    let (status, reply) = api
        .post(
            &format!("/v1/conversations/{id}/messages"),
            &operator,
            json!({"text": "Здравствуйте, Мария! Заказ уже в пути.", "idempotency_key": "r1"}),
        )
        .await;
    assert_eq!(
        (status, reply["delivery"]["state"].as_str()),
        (201, Some("sent")),
        "{reply}"
    );
    assert_eq!(
        copies(
            chat_texts(&sandbox, &chat_a).await,
            "Здравствуйте, Мария! Заказ уже в пути."
        ),
        1
    );
    assert!(
        listed(&api, &operator, "mine", &chat_a).await.is_some(),
        "the reply took it"
    );

    // A client who wrote two hours ago (a late delivery): the auto-close schedule closes the
    // conversation and its closing message goes out once.
    let late = sandbox_post(
        &sandbox,
        "/accounts/1001/client-messages",
        json!({"client": {"name": "Пётр"}, "text": "Ещё актуально?", "written_seconds_ago": 7200}),
    )
    .await;
    let chat_b = late["chat_id"].as_str().expect("chat").to_owned();
    eventually(
        &played,
        "the inactive conversation closed",
        Duration::from_secs(60),
        || listed(&api, &operator, "closed", &chat_b),
    )
    .await;
    eventually(&played, "the closing message", Duration::from_secs(30), || async {
        (copies(chat_texts(&sandbox, &chat_b).await, "Спасибо за обращение!") > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(copies(chat_texts(&sandbox, &chat_b).await, "Спасибо за обращение!"), 1);
    assert!(
        listed(&api, &operator, "closed", &chat_a).await.is_none(),
        "the active one stays open"
    );

    // A candidate responds on Avito Jobs while Avito cannot give the response the router needs:
    // after the template's receive count the message is a dead letter; once Avito is back, the
    // administrator replays it and the response reaches the queue.
    api.connected_channel(&admin, &group["id"], "Вакансии", "avito_jobs", 1002)
        .await;
    assert_eq!(api.get("/v1/dead-letters", &admin).await, (200, json!({"waiting": 0})));
    sandbox_post(
        &sandbox,
        "/faults",
        json!({"operation": "applicationsGetByIds", "status": 503, "times": 100000}),
    )
    .await;
    let applied = sandbox_post(
        &sandbox,
        "/accounts/1002/applications",
        json!({"vacancy": {"title": "Повар"}, "candidate": {"name": "Пётр Сидоров", "phone": "79001234567"},
               "resume": {"title": "Повар", "experience": "5 лет"}}),
    )
    .await;
    assert_eq!(applied["deliveries"][0]["status"], 200, "{applied}");
    let apply_id = applied["apply_id"].as_str().expect("apply id").to_owned();
    eventually(&played, "the dead letter", Duration::from_secs(120), || async {
        let (status, body) = api.get("/v1/dead-letters", &admin).await;
        (status == 200 && body["waiting"] == 1).then_some(())
    })
    .await;
    let candidate_listed = || async {
        let (_, page) = api.get("/v1/conversations?view=queue&limit=200", &operator).await;
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["candidate"]["apply_id"] == apply_id.as_str())
            .cloned()
    };
    assert!(candidate_listed().await.is_none());
    reqwest::Client::new()
        .delete(format!("{sandbox}/_sandbox/faults"))
        .send()
        .await
        .expect("faults cleared");
    assert_eq!(api.post("/v1/dead-letters/replay", &operator, json!({})).await.0, 403);
    let (status, replayed) = api.post("/v1/dead-letters/replay", &admin, json!({})).await;
    assert_eq!((status, replayed["replayed"].as_u64()), (200, Some(1)), "{replayed}");
    eventually(
        &played,
        "the replayed response in the queue",
        Duration::from_secs(60),
        candidate_listed,
    )
    .await;
    assert_eq!(api.get("/v1/dead-letters", &admin).await, (200, json!({"waiting": 0})));

    // Every route of the template reaches a function that serves it.
    let unserved = unserved_routes(&api, &admin).await;
    assert!(
        unserved.is_empty(),
        "routes no function serves:\n{}",
        unserved.join("\n")
    );
}

/// The requests each function serves (from the APIs' documents, and the other functions' own
/// paths), for probing the template's routes.
fn served_requests() -> Vec<(String, String)> {
    let mut requests = Vec::new();
    for doc in [admin_api::openapi(), operator_api::openapi()] {
        for (path, item) in &doc.paths.paths {
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                if present {
                    requests.push((method.to_owned(), concrete.clone()));
                }
            }
        }
    }
    for (method, path) in [
        ("POST", "/avito/messenger/acme/x1/x1"),
        ("POST", "/avito/jobs/acme/x1"),
        ("GET", "/avito/oauth/callback"),
        ("GET", "/"),
        ("GET", "/ui/app.js"),
        ("POST", "/v1/live/ticket"),
        ("GET", "/openapi.json"),
    ] {
        requests.push((method.to_owned(), path.to_owned()));
    }
    requests
}

/// The template's routes for which no request a function serves is routed there, or where the
/// function answers such a request as a path it does not know (404 without a body).
async fn unserved_routes(api: &Api, token: &str) -> Vec<String> {
    let wiring = aws_stack::template::wiring::Wiring::repository().expect("template");
    let routes = route_keys(&wiring);
    let requests = served_requests();
    let mut unserved = Vec::new();
    for (method, path) in &routes {
        let probe = requests
            .iter()
            .find(|(m, p)| chosen(&routes, m, p).is_some_and(|(rm, rp)| rm == method && rp == path));
        let Some((m, p)) = probe else {
            unserved.push(format!(
                "{method} {path}: no request any function serves is routed here"
            ));
            continue;
        };
        let response = api
            .http
            .request(m.parse().expect("method"), format!("{}{p}", api.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("answers");
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        // axum's answers for a path or a method its router does not know carry no body.
        if (status == 404 || status == 405) && body.is_empty() {
            unserved.push(format!("{method} {path}: {m} {p} is not a path its function knows"));
        }
    }
    unserved
}

/// The template's routes: (method, path).
fn route_keys(wiring: &aws_stack::template::wiring::Wiring) -> Vec<(String, String)> {
    wiring
        .functions
        .iter()
        .flat_map(|f| f.events.iter())
        .filter_map(|e| match e {
            aws_stack::template::wiring::EventSpec::HttpApi { method, path, .. } => {
                Some((method.clone(), path.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The route API Gateway picks for `method path`, among `routes`.
fn chosen<'a>(routes: &'a [(String, String)], method: &str, path: &str) -> Option<(&'a str, &'a str)> {
    aws_stack::local::gateway::choose(routes, method, path, |(m, p)| {
        ((m != "ANY").then_some(m.as_str()), p.as_str())
    })
    .map(|(m, p)| (m.as_str(), p.as_str()))
}

#[test]
fn a_route_no_function_serves_is_found() {
    let wiring = aws_stack::template::wiring::Wiring::repository().expect("template");
    let mut routes = route_keys(&wiring);
    let requests = served_requests();
    let unrouted = |routes: &[(String, String)]| -> Vec<String> {
        routes
            .iter()
            .filter(|(method, path)| {
                !requests
                    .iter()
                    .any(|(m, p)| chosen(routes, m, p).is_some_and(|(rm, rp)| rm == method && rp == path))
            })
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    };
    assert!(unrouted(&routes).is_empty(), "{:?}", unrouted(&routes));
    // API Gateway's choices, said here rather than derived from the code that makes them.
    for (method, path, route) in [
        ("GET", "/v1/conversations", ("GET", "/v1/conversations")),
        ("POST", "/v1/conversations", ("ANY", "/v1/{proxy+}")),
        (
            "POST",
            "/v1/conversations/c1/messages",
            ("ANY", "/v1/conversations/{proxy+}"),
        ),
        ("GET", "/v1/me", ("GET", "/v1/me")),
        ("PUT", "/v1/me/presence", ("ANY", "/v1/me/{proxy+}")),
        ("GET", "/v1/channels", ("ANY", "/v1/{proxy+}")),
        ("POST", "/v1/bot/b1/messages", ("POST", "/v1/bot/{proxy+}")),
        ("GET", "/v1/bot/b1/messages", ("ANY", "/v1/{proxy+}")),
        ("GET", "/v1/sign-in", ("GET", "/v1/sign-in")),
        ("GET", "/ui/app.js", ("GET", "/ui/{file}")),
    ] {
        assert_eq!(chosen(&routes, method, path), Some(route), "{method} {path}");
    }
    assert_eq!(chosen(&routes, "GET", "/ui/a/b"), None);
    routes.push(("GET".into(), "/v1/reports/{proxy+}".into()));
    assert_eq!(unrouted(&routes), ["GET /v1/reports/{proxy+}"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_the_template_does_not_give_a_variable_it_needs_does_not_start() {
    let template = std::fs::read_to_string(root().join("infra/template.yaml")).expect("template");
    // The webhook function's queue, taken out of its own variables.
    let line = "          INBOUND_QUEUE_URL: !Ref InboundQueue\n";
    let function = template
        .find("  AvitoWebhookFunction:\n")
        .expect("the webhook function");
    let at = function + template[function..].find(line).expect("its queue variable");
    let without = format!("{}{}", &template[..at], &template[at + line.len()..]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, without).expect("written");
    let (_sb, sandbox) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox");
    match play(&sandbox, Some(&path)) {
        Ok(p) => panic!("started without INBOUND_QUEUE_URL:\n{}", p.log()),
        Err(log) => {
            assert!(
                log.contains("AvitoWebhookFunction: exited during initialisation"),
                "{log}"
            );
            assert!(log.contains("INBOUND_QUEUE_URL is not set"), "{log}");
            assert!(
                !log.contains("AdminApiFunction: exited"),
                "only the function without it: {log}"
            );
        }
    }
}
