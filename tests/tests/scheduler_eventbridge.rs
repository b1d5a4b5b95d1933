//! The scheduler contract on EventBridge Scheduler, against moto on 127.0.0.1 (moto never fires
//! schedules: the contract checks what is created and deleted).

use adapters::aws::{EventBridgeScheduler, create_schedule_group, scheduler_client_from_env};
use adapters::ports::Scheduler;
use std::sync::Arc;

async fn eventbridge_scheduler() -> Arc<dyn Scheduler> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    let client = scheduler_client_from_env().await;
    create_schedule_group(&client, "autoreplies").await.expect("group");
    Arc::new(EventBridgeScheduler::new(
        client,
        "autoreplies",
        "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
        "arn:aws:iam::123456789012:role/scheduler-invoke",
    ))
}

adapters::scheduler_contract!(eventbridge_scheduler());
