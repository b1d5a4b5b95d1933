//! The configuration store contract on DynamoDB, against moto in server mode on 127.0.0.1, on the
//! table `infra/template.yaml` declares (created from it by `aws-stack`).
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it these tests fail and say so,
//! rather than pass without having run.

use adapters::aws::{DynamoConfigStore, dynamodb_client_from_env};
use adapters::ports::ConfigStore;
use std::sync::{Arc, LazyLock};

static TABLE: LazyLock<String> = LazyLock::new(|| {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("config-contract-{nanos}")
});

async fn dynamodb_store() -> Arc<dyn ConfigStore> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "the DynamoDB contract tests need moto on loopback: run `make test`, or set AWS_ENDPOINT_URL \
         (and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) to a moto server"
    );
    let client = dynamodb_client_from_env().await;
    create_table(&client).await;
    Arc::new(DynamoConfigStore::new(client, TABLE.as_str()))
}

/// The template's table, as [`TABLE`].
async fn create_table(client: &aws_sdk_dynamodb::Client) {
    let template = aws_stack::StackTemplate::repository().expect("infra/template.yaml");
    aws_stack::create_table(client, template.table().expect("the table"), &TABLE)
        .await
        .expect("create the table in moto");
}

adapters::config_store_contract!(dynamodb_store());
adapters::credentials_contract!(dynamodb_store());

mod conversations {
    use adapters::aws::{DynamoConversationStore, dynamodb_client_from_env};
    use adapters::ports::ConversationStore;
    use std::sync::Arc;

    async fn dynamodb_conversations() -> Arc<dyn ConversationStore> {
        let _ = super::dynamodb_store().await;
        let client = dynamodb_client_from_env().await;
        super::create_table(&client).await;
        Arc::new(DynamoConversationStore::new(client, super::TABLE.as_str()))
    }

    adapters::conversation_store_contract!(dynamodb_conversations());

    /// On a table of its own, one conversation opened at a time, 10 against 300 (set
    /// `COST_CHECK_MANY` for more): moto deep-copies the whole table for every transaction (to
    /// restore it if one fails), so an open costs time in proportion to the table — about 50 ms
    /// at 500 items — and 10,000 transactional opens would take over an hour. The SQLite check
    /// runs 10 against 10,000; on DynamoDB a count is one `BatchGetItem` of a counter per list
    /// and a list head a `Query` with `Limit`, neither of which reads more as lists grow.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn counts_and_list_heads_cost_the_same_with_10_or_many_open() {
        let client = dynamodb_client_from_env().await;
        let table = format!("{}-cost", super::TABLE.as_str());
        let template = aws_stack::StackTemplate::repository().expect("infra/template.yaml");
        aws_stack::create_table(&client, template.table().expect("the table"), &table)
            .await
            .expect("create the table in moto");
        let store = Arc::new(DynamoConversationStore::new(client, table));
        let many: usize = std::env::var("COST_CHECK_MANY")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(300);
        adapters::contract::counts_and_list_heads_cost_the_same_with_few_or_many_open(store, 10, many, 1).await;
    }
}
