//! The queue contract on SQS, against moto on 127.0.0.1 (started by `make test`).

use adapters::aws::{SqsQueue, create_queues, sqs_client_from_env};
use adapters::ports::Queue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

async fn sqs_queue() -> Arc<dyn Queue> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "the SQS contract tests need moto on loopback: run `make test`, or set AWS_ENDPOINT_URL to a moto server"
    );
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("inbound-{nanos}-{}", N.fetch_add(1, Ordering::Relaxed));
    let client = sqs_client_from_env().await;
    let (url, dlq) = create_queues(&client, &name, 2).await.expect("create queues in moto");
    Arc::new(SqsQueue::new(client, url, dlq))
}

adapters::queue_contract!(sqs_queue());
