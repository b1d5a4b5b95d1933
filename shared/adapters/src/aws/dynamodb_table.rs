//! The single DynamoDB table: its key schema, and the client every DynamoDB adapter shares.

use crate::ports::StoreError;
use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use std::time::Duration;

/// A DynamoDB call that failed for a reason other than its condition: worth retrying later.
pub(crate) fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

/// Whether a conditional `PutItem` failed because its condition did not hold.
pub(crate) fn lost_condition<R>(e: &SdkError<PutItemError, R>) -> bool {
    e.as_service_error()
        .is_some_and(|s| s.is_conditional_check_failed_exception())
}

/// Partition key attribute.
pub(crate) const PK: &str = "PK";
/// Sort key attribute.
pub(crate) const SK: &str = "SK";
/// The first global secondary index and its keys (see `TABLE_DESIGN.md`).
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1PK: &str = "GSI1PK";
pub(crate) const GSI1SK: &str = "GSI1SK";
/// The second global secondary index and its keys (open conversations by who has them).
pub(crate) const GSI2: &str = "GSI2";
pub(crate) const GSI2PK: &str = "GSI2PK";
pub(crate) const GSI2SK: &str = "GSI2SK";
pub(crate) const GSI3: &str = "GSI3";
pub(crate) const GSI3PK: &str = "GSI3PK";
pub(crate) const GSI3SK: &str = "GSI3SK";

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

/// Creates the table as the SAM template declares it (on-demand, PK/SK, GSI1–GSI3), for tests
/// and for running against a local endpoint. Does nothing if it exists.
pub async fn create_table(client: &Client, table: &str) -> Result<(), String> {
    let index = |name: &str, pk: &str, sk: &str| -> Result<GlobalSecondaryIndex, aws_sdk_dynamodb::error::BuildError> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
    };
    let build = || -> Result<_, aws_sdk_dynamodb::error::BuildError> {
        let attributes = [PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK]
            .into_iter()
            .map(string_attribute)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            attributes,
            vec![key(PK, KeyType::Hash)?, key(SK, KeyType::Range)?],
            vec![
                index(GSI1, GSI1PK, GSI1SK)?,
                index(GSI2, GSI2PK, GSI2SK)?,
                index(GSI3, GSI3PK, GSI3SK)?,
            ],
        ))
    };
    let (attributes, keys, indexes) = build().map_err(|e| e.to_string())?;
    let result = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(keys))
        .set_global_secondary_indexes(Some(indexes))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(()),
        Err(e) => Err(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()),
    }
}
