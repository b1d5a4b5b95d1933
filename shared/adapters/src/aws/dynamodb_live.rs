//! The workspace's live connections and tickets on DynamoDB (keys in `TABLE_DESIGN.md`): a
//! connection is `LIVE#<connection id>`, a pending ticket `LIVETICKET#<SHA-256 of the ticket>`,
//! both in the tenant's partition with `expires_at` (the table's time to live). DynamoDB deletes
//! expired items only some time later (moto never does), so reads skip them.

use super::dynamodb_table::{EXPIRES_AT, PK, SK, prefix_query, unavailable};
use crate::ports::{LiveConnection, LiveConnections, LiveTicket, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use domain::ids::{EmployeeId, TenantId};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

const CONNECTION: &str = "LIVE#";
const TICKET: &str = "LIVETICKET#";
const EMPLOYEE: &str = "employee_id";
/// A ticket's session end (epoch seconds), when known.
const SESSION_ENDS_AT: &str = "session_ends_at";

/// A DynamoDB-backed [`LiveConnections`].
#[derive(Clone, Debug)]
pub struct DynamoLiveConnections {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn seconds(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp().to_string())
}

fn expiry_of(item: &Item) -> Result<DateTime<Utc>, StoreError> {
    match item.get(EXPIRES_AT) {
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .ok()
            .and_then(|n| DateTime::from_timestamp(n, 0))
            .ok_or_else(|| StoreError::Corrupt("unreadable expires_at".into())),
        _ => Err(StoreError::Corrupt("item without expires_at".into())),
    }
}

fn employee_of(item: &Item) -> Result<EmployeeId, StoreError> {
    match item.get(EMPLOYEE) {
        Some(AttributeValue::S(e)) => EmployeeId::parse(e.as_str()).map_err(|e| StoreError::Corrupt(e.to_string())),
        _ => Err(StoreError::Corrupt("item without employee_id".into())),
    }
}

impl DynamoLiveConnections {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(tenant: &TenantId, sort_key: String) -> Item {
        HashMap::from([(PK.to_owned(), s(format!("T#{tenant}"))), (SK.to_owned(), s(sort_key))])
    }
}

#[async_trait]
impl LiveConnections for DynamoLiveConnections {
    async fn add(&self, tenant: &TenantId, connection: &LiveConnection) -> Result<(), StoreError> {
        let mut item = Self::key(tenant, format!("{CONNECTION}{}", connection.id));
        item.insert(EMPLOYEE.into(), s(connection.employee.as_str()));
        item.insert(EXPIRES_AT.into(), seconds(connection.expires_at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn remove(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(tenant, format!("{CONNECTION}{id}"))))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn of_tenant(&self, tenant: &TenantId) -> Result<Vec<LiveConnection>, StoreError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        // Eventually consistent: a connection made a moment ago may miss one change, which its
        // workspace reads anyway when it connects.
        loop {
            let out = prefix_query(&self.client, &self.table, s(format!("T#{tenant}")), CONNECTION)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let Some(AttributeValue::S(sk)) = item.get(SK) else {
                    return Err(StoreError::Corrupt("connection without sort key".into()));
                };
                let expires_at = expiry_of(item)?;
                found.push(LiveConnection {
                    id: sk.trim_start_matches(CONNECTION).to_owned(),
                    employee: employee_of(item)?,
                    expires_at,
                });
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn keep_ticket(&self, tenant: &TenantId, ticket: &LiveTicket) -> Result<(), StoreError> {
        let mut item = Self::key(tenant, format!("{TICKET}{}", ticket.digest));
        item.insert(EMPLOYEE.into(), s(ticket.employee.as_str()));
        item.insert(EXPIRES_AT.into(), seconds(ticket.expires_at));
        if let Some(ends) = ticket.session_ends_at {
            item.insert(SESSION_ENDS_AT.into(), seconds(ends));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if super::dynamodb_table::lost_condition(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn take_ticket(
        &self,
        tenant: &TenantId,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveTicket>, StoreError> {
        // Single use: only the request whose conditional delete removed the item goes on.
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(tenant, format!("{TICKET}{digest}"))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(out) => out.attributes.unwrap_or_default(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(unavailable(e)),
        };
        let expires_at = expiry_of(&old)?;
        if expires_at <= now {
            return Ok(None);
        }
        let session_ends_at = match old.get(SESSION_ENDS_AT) {
            None => None,
            Some(AttributeValue::N(n)) => Some(
                n.parse::<i64>()
                    .ok()
                    .and_then(|n| DateTime::from_timestamp(n, 0))
                    .ok_or_else(|| StoreError::Corrupt("unreadable session_ends_at".into()))?,
            ),
            Some(_) => return Err(StoreError::Corrupt("unreadable session_ends_at".into())),
        };
        Ok(Some(LiveTicket {
            digest: digest.to_owned(),
            employee: employee_of(&old)?,
            expires_at,
            session_ends_at,
        }))
    }
}
