//! The single DynamoDB table: its key schema, and the client every DynamoDB adapter shares.

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use std::time::Duration;

/// Partition key attribute.
pub(crate) const PK: &str = "PK";
/// Sort key attribute.
pub(crate) const SK: &str = "SK";
/// The first global secondary index and its keys (see `TABLE_DESIGN.md`).
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1PK: &str = "GSI1PK";
pub(crate) const GSI1SK: &str = "GSI1SK";

/// A DynamoDB client from the standard AWS environment (region, credentials, and
/// `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_DYNAMODB` for a local endpoint), with timeouts set: the SDK
/// sets none by default.
pub async fn dynamodb_client_from_env() -> Client {
    Client::new(&sdk_config_from_env().await)
}

/// The AWS configuration every client shares, with timeouts.
pub(crate) async fn sdk_config_from_env() -> aws_config::SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(10))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, aws_sdk_dynamodb::error::BuildError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, aws_sdk_dynamodb::error::BuildError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
}

/// Creates the table as the SAM template declares it (on-demand, PK/SK, GSI1), for tests and for
/// running against a local endpoint. Does nothing if it exists.
pub async fn create_table(client: &Client, table: &str) -> Result<(), String> {
    let build = || -> Result<_, aws_sdk_dynamodb::error::BuildError> {
        Ok((
            vec![
                string_attribute(PK)?,
                string_attribute(SK)?,
                string_attribute(GSI1PK)?,
                string_attribute(GSI1SK)?,
            ],
            vec![key(PK, KeyType::Hash)?, key(SK, KeyType::Range)?],
            GlobalSecondaryIndex::builder()
                .index_name(GSI1)
                .key_schema(key(GSI1PK, KeyType::Hash)?)
                .key_schema(key(GSI1SK, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()?,
        ))
    };
    let (attributes, keys, gsi1) = build().map_err(|e| e.to_string())?;
    let result = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(keys))
        .global_secondary_indexes(gsi1)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(()),
        Err(e) => Err(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()),
    }
}
