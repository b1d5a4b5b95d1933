//! The scheduler contract on EventBridge Scheduler, against moto on 127.0.0.1 (moto never fires
//! schedules: the contract checks what is created and deleted).

use adapters::aws::{EventBridgeScheduler, scheduler_client_from_env};
use adapters::ports::Scheduler;
use aws_stack::create_schedule_group;
use std::sync::Arc;

async fn eventbridge_scheduler() -> Arc<dyn Scheduler> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    // A group per test: moto replaces a group (and loses its schedules) when it is created again,
    // and these tests run concurrently.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let group = format!(
        "autoreplies-{nanos}-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let client = scheduler_client_from_env().await;
    create_schedule_group(&client, &group).await.expect("group");
    Arc::new(EventBridgeScheduler::new(
        client,
        group,
        "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
        "arn:aws:iam::123456789012:role/scheduler-invoke",
    ))
}

adapters::scheduler_contract!(eventbridge_scheduler());
