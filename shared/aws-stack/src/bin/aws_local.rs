//! `infra/template.yaml` played on this machine, on moto (`make watch`): creates the stack's
//! resources, starts every function with the environment the template gives it, and plays the
//! HTTP API, Cognito's hosted sign-in page, the SQS event source, EventBridge Scheduler and the
//! rate schedules (see `aws_stack::local`). Prints `ready <base URL>` once every function has
//! initialised; exits non-zero when one does not.
//!
//! usage: avito-cc-aws-local
//! environment:
//!   AWS_ENDPOINT_URL (moto), AWS credentials and region;
//!   AWS_LOCAL_PREFIX (stack name, default `avito-cc`), AWS_LOCAL_PORT (default 9000),
//!   AWS_LOCAL_BINARIES (the functions' binaries, default `target/debug`),
//!   AWS_LOCAL_TEMPLATE (default: the repository's template as built in),
//!   AWS_LOCAL_SECRETS (JSON: secret name → its JSON; default: the sandbox app and a test key),
//!   AWS_LOCAL_RATE_SECONDS, AWS_LOCAL_SQS_RETRY_SECONDS (shorter periods for tests),
//!   AVITO_API_BASE_URL, AVITO_OAUTH_URL (the Avito sandbox, given to every function),
//!   AWS_LOCAL_DEMO_ADMIN (`tenant:e-mail`: a tenant and its administrator with a password printed).

use aws_stack::local::{Settings, start};
use std::collections::HashMap;
use std::time::Duration;

fn fail(message: &str) -> ! {
    eprintln!("avito-cc-aws-local: {message}");
    std::process::exit(1)
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn seconds(name: &str) -> Option<Duration> {
    var(name).map(|v| {
        v.parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or_else(|_| fail(&format!("{name} is not a number of seconds")))
    })
}

/// The secrets when none are given: the Avito sandbox's app and a key for local tokens only.
fn sandbox_secrets() -> HashMap<String, serde_json::Value> {
    HashMap::from([(
        "avito-cc".to_owned(),
        serde_json::json!({
            "avito_client_id": "sandbox-app",
            "avito_client_secret": "sandbox-app-secret",
            "token_encryption_keys": "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        }),
    )])
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            var("AWS_LOCAL_LOG").unwrap_or_else(|| "info".into()),
        ))
        .with_writer(std::io::stderr)
        .init();
    let secrets = match var("AWS_LOCAL_SECRETS") {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| fail(&format!("AWS_LOCAL_SECRETS: {e}"))),
        None => sandbox_secrets(),
    };
    let mut machine_environment: Vec<(String, String)> = Vec::new();
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AVITO_API_BASE_URL",
        "AVITO_OAUTH_URL",
        "RUST_LOG",
    ] {
        if let Some(v) = var(name) {
            machine_environment.push((name.into(), v));
        }
    }
    let prefix = var("AWS_LOCAL_PREFIX").unwrap_or_else(|| "avito-cc".into());
    let settings = Settings {
        prefix: prefix.clone(),
        port: var("AWS_LOCAL_PORT")
            .map(|p| p.parse().unwrap_or_else(|_| fail("AWS_LOCAL_PORT is not a port")))
            .unwrap_or(9000),
        template: var("AWS_LOCAL_TEMPLATE").map(Into::into),
        binaries: var("AWS_LOCAL_BINARIES")
            .unwrap_or_else(|| "target/debug".into())
            .into(),
        parameters: Vec::new(),
        secrets,
        machine_environment,
        rate: seconds("AWS_LOCAL_RATE_SECONDS"),
        sqs_retry_after: seconds("AWS_LOCAL_SQS_RETRY_SECONDS"),
    };
    let stack = start(settings).await.unwrap_or_else(|e| fail(&e));
    if let Some(demo) = var("AWS_LOCAL_DEMO_ADMIN") {
        let Some((tenant, email)) = demo.split_once(':') else {
            fail("AWS_LOCAL_DEMO_ADMIN is tenant:e-mail")
        };
        match aws_stack::local::demo_administrator(&stack, tenant, email).await {
            Ok(password) => {
                println!("admin {email} {password}");
                eprintln!(
                    "avito-cc-aws-local: sign in at {}/ as {email} with the password {password} (tenant {tenant})",
                    stack.base_url
                )
            }
            Err(e) => fail(&e),
        }
    }
    println!("ready {}", stack.base_url);
    eprintln!(
        "avito-cc-aws-local: the stack {prefix} plays on {} ({} functions, {} routes)",
        stack.base_url,
        stack.functions.len(),
        stack.routes.len()
    );
    let _ = tokio::signal::ctrl_c().await;
}
