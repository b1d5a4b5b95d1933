//! Creates, on the AWS endpoint the environment names (moto locally), what the SAM template would:
//! the table, the inbound queue with its dead-letter queue, and the auto-reply schedule group; then
//! prints the environment the Lambda functions read, as `NAME=value` lines, for
//! `cargo lambda watch --env-file`. Idempotent: what exists is kept.
//!
//! usage: avito-cc-aws-setup <name prefix>

use adapters::aws::{
    create_queues, create_schedule_group, create_table, dynamodb_client_from_env, scheduler_client_from_env,
    sqs_client_from_env,
};

#[tokio::main]
async fn main() {
    let prefix = std::env::args().nth(1).unwrap_or_else(|| "avito-cc".to_owned());
    if let Err(e) = setup(&prefix).await {
        eprintln!("avito-cc-aws-setup: {e}");
        std::process::exit(1);
    }
}

async fn setup(prefix: &str) -> Result<(), String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "set AWS_ENDPOINT_URL (moto's address)")?;
    let table = format!("{prefix}-table");
    create_table(&dynamodb_client_from_env().await, &table).await?;
    let (queue, dead_letters) = create_queues(&sqs_client_from_env().await, &format!("{prefix}-inbound"), 5).await?;
    let group = format!("{prefix}-autoreplies");
    create_schedule_group(&scheduler_client_from_env().await, &group).await?;
    for (name, value) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("TABLE_NAME", table.as_str()),
        ("INBOUND_QUEUE_URL", queue.as_str()),
        ("INBOUND_DEAD_LETTER_QUEUE_URL", dead_letters.as_str()),
        ("SCHEDULER_GROUP", group.as_str()),
        (
            "AUTOREPLY_TARGET_ARN",
            "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
        ),
        ("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler-invoke"),
    ] {
        println!("{name}={value}");
    }
    Ok(())
}
