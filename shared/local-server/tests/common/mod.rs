//! Starting the real `avito-cc-local` binary for a test: a free loopback port, a fresh data
//! directory, its output captured.
#![allow(dead_code)]

use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const ADMIN: &str = "admin-token-acme";
pub const OPERATOR: &str = "operator-token-acme";
pub const OTHER_ADMIN: &str = "admin-token-other";

/// Tokens for tenant `acme` (an administrator and an operator) and tenant `other`.
pub fn two_tenants() -> String {
    format!("{ADMIN}:acme:anna:admin,{OPERATOR}:acme:boris:operator,{OTHER_ADMIN}:other:olga:admin")
}

/// The running server; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub banner: Vec<String>,
    pub data: tempfile::TempDir,
    /// Everything the server printed (stdout after the banner, and stderr).
    output: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut out) = into.lock() {
                out.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
}

/// Starts the server with `tokens` (`None`: the development tokens) and extra environment.
pub fn start(tokens: Option<&str>, env: &[(&str, &str)]) -> Server {
    start_in(tempfile::tempdir().expect("temporary data directory"), tokens, env)
}

impl Server {
    /// Stops the server (as Ctrl-C or a crash would) and starts it again on the same data
    /// directory, with `tokens`.
    pub fn restart(mut self, tokens: Option<&str>) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().expect("placeholder"));
        start_in(data, tokens, &[])
    }
}

/// Starts the server on the data directory `data`.
pub fn start_in(data: tempfile::TempDir, tokens: Option<&str>, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avito-cc-local"));
    cmd.env("LOCAL_ADDR", "127.0.0.1:0").env("LOCAL_DATA_DIR", data.path());
    for var in [
        "LOCAL_API_TOKENS",
        "AVITO_CLIENT_ID",
        "AVITO_CLIENT_SECRET",
        "PUBLIC_BASE_URL",
        "TOKEN_ENCRYPTION_KEYS",
        "TOKEN_ENCRYPTION_KEY_ID",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    if let Some(t) = tokens {
        cmd.env("LOCAL_API_TOKENS", t);
    }
    // The tests' chatbots listen on loopback.
    cmd.env("CHATBOT_ALLOW_LOOPBACK", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let output = Arc::new(Mutex::new(String::new()));
    drain(child.stderr.take().expect("stderr piped"), Arc::clone(&output));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped"));
    let mut banner = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut base = None;
    while Instant::now() < deadline {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end().to_owned();
        if let Some(url) = line.split("listening on ").nth(1) {
            base = Some(url.trim().to_owned());
        }
        let last = line.contains("token");
        banner.push(line);
        if last {
            break;
        }
    }
    drain(lines, Arc::clone(&output));
    let base = base.unwrap_or_else(|| panic!("the server printed no URL: {banner:?}"));
    Server {
        child,
        base,
        banner,
        data,
        output,
    }
}

impl Server {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
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

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// Makes every hour of every day working time, in `time_zone`.
    pub async fn work_round_the_clock(&self, time_zone: &str) {
        let all_day = serde_json::json!([{"start": "00:00", "end": "24:00"}]);
        let (status, body) = self
            .put(
                "/v1/schedule",
                ADMIN,
                serde_json::json!({"time_zone": time_zone, "weekly": {"monday": all_day, "tuesday": all_day,
                "wednesday": all_day, "thursday": all_day, "friday": all_day, "saturday": all_day, "sunday": all_day}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The Avito API calls the sandbox has answered, oldest first (each with its `operation`
    /// and `status`).
    pub async fn sandbox_calls(&self) -> Vec<Value> {
        reqwest::get(format!("{}/sandbox/_sandbox/calls", self.base))
            .await
            .expect("calls")
            .json()
            .await
            .expect("JSON")
    }

    /// An Avito Jobs channel connected to the sandbox's account 1001 (its personal key pair);
    /// returns the channel's id.
    pub async fn connected_jobs_channel(&self) -> String {
        let (_, cg) = self
            .post("/v1/channel-groups", ADMIN, serde_json::json!({"name": "Кадры"}))
            .await;
        let (_, ch) = self
            .post(
                "/v1/channels",
                ADMIN,
                serde_json::json!({"name": "Вакансии", "kind": "avito_jobs", "channel_group_id": cg["id"]}),
            )
            .await;
        let ch = ch["id"].as_str().expect("channel").to_owned();
        let body = serde_json::json!({"client_id": "personal-1001", "client_secret": "personal-secret-1001"});
        let (status, connected) = self.post(&format!("/v1/channels/{ch}/connect"), ADMIN, body).await;
        assert_eq!(status, StatusCode::OK, "{connected}");
        ch
    }

    /// Waits until `check` gives `Some` (looking every 100 ms); fails after `within`, saying
    /// `what` and what the server printed.
    pub async fn eventually<T>(&self, what: &str, within: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = check().await {
                return found;
            }
            assert!(Instant::now() < deadline, "{what}: {}", self.output());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An Avito channel connected to the sandbox's account 1001 with its personal key pair;
    /// returns the channel's id.
    pub async fn connected_avito_channel(&self) -> String {
        let (_, cg) = self
            .post("/v1/channel-groups", ADMIN, serde_json::json!({"name": "Москва"}))
            .await;
        let (_, ch) = self
            .post(
                "/v1/channels",
                ADMIN,
                serde_json::json!({"name": "Авито", "kind": "avito", "channel_group_id": cg["id"]}),
            )
            .await;
        let ch = ch["id"].as_str().expect("channel").to_owned();
        let body = serde_json::json!({"client_id": "personal-1001", "client_secret": "personal-secret-1001"});
        let (status, connected) = self.post(&format!("/v1/channels/{ch}/connect"), ADMIN, body).await;
        assert_eq!(status, StatusCode::OK, "{connected}");
        ch
    }

    /// A call to the sandbox's control API (`/_sandbox...`); its JSON answer.
    pub async fn sandbox(&self, path: &str, body: Value) -> Value {
        reqwest::Client::new()
            .post(format!("{}/sandbox/_sandbox{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("JSON")
    }

    /// A sandbox client writes to account 1001 (`body` as the control API takes it); the
    /// conversation it lands in, once the administrator's queue or own list (after a reply of
    /// theirs took it) lists it.
    pub async fn client_writes(&self, body: Value) -> Value {
        let sent = self.sandbox("/accounts/1001/client-messages", body).await;
        let chat = sent["chat_id"].as_str().expect("chat").to_owned();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut found = None;
            for view in ["queue", "mine"] {
                let (_, page) = self
                    .get(&format!("/v1/conversations?view={view}&limit=200"), ADMIN)
                    .await;
                found = found.or_else(|| {
                    page["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["chat_id"] == chat.as_str())
                        .cloned()
                });
            }
            if let Some(c) = found {
                return c;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no conversation: {}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}
