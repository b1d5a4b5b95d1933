//! Cold start: each function's release binary, started as Lambda starts it, against a tiny
//! stand-in for the Lambda runtime API; the time from process start to its first request for an
//! event (`GET /2018-06-01/runtime/invocation/next`), which is when it is ready. The stand-in never
//! answers, so nothing is invoked; the process is stopped after.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// The functions, as `make build` names them.
pub const FUNCTIONS: [&str; 11] = [
    "admin-api",
    "operator-api",
    "avito-webhook",
    "oauth-callback",
    "router",
    "autoreply",
    "auto-close",
    "live-push",
    "live-socket",
    "web-interface",
    "sign-in-audit",
];

/// One function's figures.
pub struct ColdStart {
    pub function: &'static str,
    /// The x86_64 release binary measured here.
    pub bytes: u64,
    /// The arm64 Lambda binary (`make build`), when it was built.
    pub arm64_bytes: Option<u64>,
    /// Start to ready, over the runs, sorted.
    pub runs: Vec<Duration>,
}

/// The variables every function reads at start (values that need nothing to answer).
const ENVIRONMENT: [(&str, &str); 23] = [
    ("TABLE_NAME", "bench"),
    ("INBOUND_QUEUE_URL", "http://127.0.0.1:9/queue/inbound"),
    ("INBOUND_DEAD_LETTER_QUEUE_URL", "http://127.0.0.1:9/queue/dead"),
    ("SCHEDULER_GROUP", "bench"),
    (
        "AUTOREPLY_TARGET_ARN",
        "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
    ),
    ("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler-invoke"),
    ("PUBLIC_BASE_URL", "https://example.invalid"),
    ("LIVE_URL", "wss://example.invalid/live"),
    ("COGNITO_USER_POOL_ID", "us-east-1_bench"),
    ("COGNITO_CLIENT_ID", "bench"),
    ("COGNITO_DOMAIN_URL", "https://bench.auth.us-east-1.amazoncognito.com"),
    ("COGNITO_REGION", "us-east-1"),
    ("LIVE_API_ENDPOINT", "https://example.invalid/live"),
    ("AVITO_CLIENT_ID", "bench"),
    ("AVITO_CLIENT_SECRET", "bench"),
    (
        "TOKEN_ENCRYPTION_KEYS",
        "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ),
    ("TOKEN_ENCRYPTION_KEY_ID", "k1"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
    ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
    ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
    ("AWS_LAMBDA_LOG_GROUP_NAME", "bench"),
];

/// Measures every function `runs` times from `release_dir` (e.g. `target/release`).
pub async fn measure(
    release_dir: &std::path::Path,
    lambda_dir: &std::path::Path,
    runs: usize,
) -> Result<Vec<ColdStart>, String> {
    let mut all = Vec::new();
    for function in FUNCTIONS {
        let binary = release_dir.join(function);
        let bytes = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e} (build with cargo build --release)", binary.display()))?
            .len();
        let arm64_bytes = std::fs::metadata(lambda_dir.join(function).join("bootstrap"))
            .ok()
            .map(|m| m.len());
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            times.push(once(&binary).await?);
        }
        times.sort();
        all.push(ColdStart {
            function,
            bytes,
            arm64_bytes,
            runs: times,
        });
    }
    Ok(all)
}

async fn once(binary: &std::path::Path) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .envs(ENVIRONMENT)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("{}: {e}", binary.display()))?;
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; 256];
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        let request = String::from_utf8_lossy(&buf[..n]).to_string();
        if request.starts_with("GET /2018-06-01/runtime/invocation/next") {
            Ok(started.elapsed())
        } else {
            Err(format!("unexpected first request: {request}"))
        }
    })
    .await;
    let exited = child.try_wait().ok().flatten();
    let _ = child.kill();
    let _ = child.wait();
    waited.map_err(|_| match exited {
        Some(status) => format!("{} exited ({status}) before asking for an event", binary.display()),
        None => format!("{} did not ask for an event within 10 s", binary.display()),
    })?
}
