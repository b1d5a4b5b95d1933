//! The single DynamoDB table as the adapters address it (its key and index attribute names, as
//! `infra/template.yaml` declares them), and the client every DynamoDB adapter shares.

use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;

/// A DynamoDB call that failed for a reason other than its condition: worth retrying later.
pub(crate) fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

/// Whether a conditional `PutItem` failed because its condition did not hold.
pub(crate) fn lost_condition<R>(e: &SdkError<PutItemError, R>) -> bool {
    e.as_service_error()
        .is_some_and(|s| s.is_conditional_check_failed_exception())
}

/// A query of partition `pk`'s items whose sort key starts with `prefix`: the key condition every
/// listing by kind uses (callers add paging, consistency and limits).
pub(crate) fn prefix_query(
    client: &Client,
    table: &str,
    pk: aws_sdk_dynamodb::types::AttributeValue,
    prefix: &str,
) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
    client
        .query()
        .table_name(table)
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":pk", pk)
        .expression_attribute_values(":prefix", aws_sdk_dynamodb::types::AttributeValue::S(prefix.to_owned()))
}

/// Partition key attribute.
pub(crate) const PK: &str = "PK";
/// Sort key attribute.
pub(crate) const SK: &str = "SK";
/// On a conversation written with a message: the message's author (JSON), for the stream's
/// reader (`dynamodb_stream`); a later write of the conversation replaces the item without it.
pub(crate) const MESSAGE_AUTHOR: &str = "message_author";
/// The time-to-live attribute (epoch seconds): DynamoDB deletes the item some time after.
pub(crate) const EXPIRES_AT: &str = "expires_at";
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

/// A DynamoDB client from the Lambda environment (region, credentials, and `AWS_ENDPOINT_URL` for a
/// local endpoint), with timeouts set: the SDK sets none by default.
pub async fn dynamodb_client_from_env() -> Client {
    Client::new(&super::sdk_config_from_env().await)
}
