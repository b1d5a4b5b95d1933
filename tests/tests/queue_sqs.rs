//! The queue contract on SQS, against moto on 127.0.0.1 (started by `make test`), on the inbound
//! queue and its dead-letter queue as `infra/template.yaml` declares them, except that the contract
//! wants dead letters after 2 receives.

use adapters::aws::{SqsQueue, sqs_client_from_env};
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
    let prefix = format!("queue-{nanos}-{}", N.fetch_add(1, Ordering::Relaxed));
    let client = sqs_client_from_env().await;
    let queues = aws_stack::StackTemplate::repository()
        .expect("infra/template.yaml")
        .with_max_receive_count(2)
        .create_queues(&client, &prefix)
        .await
        .expect("create queues in moto");
    let url = |id: &str| queues.get(id).expect("the template's queue").to_owned();
    Arc::new(SqsQueue::new(
        client,
        url("InboundQueue"),
        url("InboundDeadLetterQueue"),
    ))
}

adapters::queue_contract!(sqs_queue());
