//! The configuration store on DynamoDB. Items: `PK = T#<tenant>`, `SK = <KIND#><id>`, with the
//! document in `doc` (JSON text) and `version` (number). Every write is conditional or an upsert;
//! listings are `Query` on the tenant's partition with `begins_with(SK, <KIND#>)`.

use super::dynamodb_table::{PK, SK, lost_condition, prefix_query, unavailable};
use crate::ports::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use domain::ids::TenantId;
use std::collections::HashMap;

/// A DynamoDB-backed [`ConfigStore`].
#[derive(Clone)]
pub struct DynamoConfigStore {
    client: Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn tenant_pk(tenant: &TenantId) -> AttributeValue {
    AttributeValue::S(format!("T#{tenant}"))
}

fn sort_key(kind: ConfigKind, id: &str) -> AttributeValue {
    AttributeValue::S(format!("{}{id}", kind.prefix()))
}

fn stored_doc(kind: ConfigKind, item: &Item) -> Result<StoredDoc, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("{kind:?} item without {what}"));
    let id = match item.get(SK) {
        Some(AttributeValue::S(sk)) => sk
            .strip_prefix(kind.prefix())
            .ok_or_else(|| corrupt("its kind prefix"))?,
        _ => return Err(corrupt("SK")),
    };
    let doc = match item.get("doc") {
        Some(AttributeValue::S(doc)) => doc.clone(),
        _ => return Err(corrupt("doc")),
    };
    let version = match item.get("version") {
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| corrupt("a numeric version"))?,
        _ => return Err(corrupt("version")),
    };
    Ok(StoredDoc {
        id: id.to_owned(),
        doc,
        version,
    })
}

impl DynamoConfigStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl DynamoConfigStore {
    /// Puts a document at version 1 if it does not exist (`expected: None`), or at the next
    /// version if it is still at `expected`.
    async fn put_doc(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        id: &str,
        doc: &str,
        expected: Option<u64>,
    ) -> Result<
        aws_sdk_dynamodb::operation::put_item::PutItemOutput,
        aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError>,
    > {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, tenant_pk(tenant))
            .item(SK, sort_key(kind, id))
            .item("doc", AttributeValue::S(doc.to_owned()))
            .item("version", AttributeValue::N(expected.map_or(1, |v| v + 1).to_string()));
        match expected {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK),
            Some(v) => put
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", AttributeValue::N(v.to_string())),
        }
        .send()
        .await
    }
}

#[async_trait]
impl ConfigStore for DynamoConfigStore {
    async fn insert(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<(), StoreError> {
        match self.put_doc(tenant, kind, id, doc, None).await {
            Ok(_) => Ok(()),
            Err(e) if lost_condition(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<Option<StoredDoc>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, tenant_pk(tenant))
            .key(SK, sort_key(kind, id))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.as_ref().map(|item| stored_doc(kind, item)).transpose()
    }

    async fn list(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredDoc>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let start_key =
            after.map(|a| HashMap::from([(PK.to_owned(), tenant_pk(tenant)), (SK.to_owned(), sort_key(kind, a))]));
        let mut items: Vec<StoredDoc> = Vec::new();
        let mut exclusive_start = start_key;
        // One extra item tells whether another page follows; DynamoDB may also stop early at 1 MB,
        // so keep querying until enough items or the end.
        while items.len() <= limit as usize {
            let out = prefix_query(&self.client, &self.table, tenant_pk(tenant), kind.prefix())
                .consistent_read(true)
                .limit(i32::try_from(limit + 1 - items.len() as u32).unwrap_or(1))
                .set_exclusive_start_key(exclusive_start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                items.push(stored_doc(kind, item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => exclusive_start = Some(k),
                _ => break,
            }
        }
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = if more { items.last().map(|d| d.id.clone()) } else { None };
        Ok(Page { items, next })
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        id: &str,
        doc: &str,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let new_version = expected_version + 1;
        let result = self.put_doc(tenant, kind, id, doc, Some(expected_version)).await;
        match result {
            Ok(_) => Ok(new_version),
            Err(e) if lost_condition(&e) => {
                // The condition fails both when the item is missing and when it moved on.
                match self.get(tenant, kind, id).await? {
                    Some(_) => Err(StoreError::Conflict),
                    None => Err(StoreError::NotFound),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn put(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, tenant_pk(tenant))
            .key(SK, sort_key(kind, id))
            .update_expression("SET #doc = :doc ADD #version :one")
            .expression_attribute_names("#doc", "doc")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":doc", AttributeValue::S(doc.to_owned()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        match out.attributes.as_ref().and_then(|a| a.get("version")) {
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| StoreError::Corrupt("non-numeric version".into())),
            _ => Err(StoreError::Corrupt("update returned no version".into())),
        }
    }

    async fn delete(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, tenant_pk(tenant))
            .key(SK, sort_key(kind, id))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
