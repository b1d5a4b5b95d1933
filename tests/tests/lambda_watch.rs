//! `cargo lambda watch` (what `make watch` runs) against moto: the functions start with the
//! environment they read on AWS; an HTTP function answers through its function URL and an event
//! function through the Lambda invoke API, with the event files kept in `infra/events/`.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The watch process group; stopped when dropped.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        // The script, cargo lambda and the functions it started: the whole process group.
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Retries `call` until it answers 2xx or the deadline (the first call builds the function);
/// fails at once if the watch process ended.
async fn eventually(watch: &mut Watch, what: &str, call: impl Fn() -> reqwest::RequestBuilder) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok(Some(status)) = watch.0.try_wait() {
            panic!("{what}: the watch script ended ({status})");
        }
        if let Ok(resp) = call().send().await {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            if status.is_success() {
                return serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            }
            assert!(
                status.is_server_error() || status == reqwest::StatusCode::NOT_FOUND,
                "{what}: {status} {text}"
            );
        }
        assert!(Instant::now() < deadline, "{what}: no answer in time");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn cargo_lambda_watch_serves_an_http_function_and_an_event_function_on_moto() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    let port = free_port();
    let mut child = Command::new("tests/scripts/lambda-watch.sh")
        .args([".venv", &port.to_string()])
        .current_dir(root())
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the watch script starts");
    let mut stderr = child.stderr.take();
    let mut watch = Watch(child);
    let log = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        out
    });

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let health = eventually(&mut watch, "admin-api /health", || {
        http.get(format!("{base}/lambda-url/admin-api/health"))
    })
    .await;
    assert_eq!(health, serde_json::json!({"status": "ok"}));

    let event = std::fs::read_to_string(root().join("infra/events/router-sqs.json")).expect("event file");
    let answer = eventually(&mut watch, "router invoke", || {
        http.post(format!("{base}/2015-03-31/functions/router/invocations"))
            .body(event.clone())
    })
    .await;
    assert_eq!(
        answer,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "bad-1"}]}),
        "the unreadable message is reported for a retry; the other is done"
    );
    drop(watch);
    let printed = log.join().unwrap_or_default();
    assert!(!printed.contains("sandbox-app-secret"), "no secret in the output");
}
