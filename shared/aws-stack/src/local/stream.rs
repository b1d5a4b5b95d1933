//! A DynamoDB stream event source mapping on this machine: the table's stream read from moto
//! (DynamoDB Streams' `DescribeStream`, `GetShardIterator`, `GetRecords`), from the template's
//! starting position, each record given the `eventSourceARN` Lambda adds, kept when one of the
//! template's filter patterns matches it, handed to the function in batches of up to the
//! template's `BatchSize`; a failed batch is tried again up to `MaximumRetryAttempts` times, then
//! dropped (the template sends no failure destination).
//!
//! Filter patterns play literal values and `{"prefix": ...}` (what the template uses); another
//! operator fails the start. Shards are listed again every few seconds (a new one is read from
//! its start); an iterator that stops working is taken again after the last record read. Not
//! played: parallelization, tumbling windows, batching windows, bisecting a failed batch,
//! `MaximumRecordAgeInSeconds` (records are read as they come).

use super::lambda::{Invoked, LocalFunction};
use axum::body::Bytes;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// One DynamoDB Streams call on moto (moto reads the service from the credential scope and does
/// not check signatures).
async fn streams(
    http: &reqwest::Client,
    endpoint: &str,
    region: &str,
    action: &str,
    body: Value,
) -> Result<Value, String> {
    let response = http
        .post(endpoint)
        .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=test/20260101/{region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("{action}: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("{action}: {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{action}: {e}"))
}

/// Whether `value` matches an EventBridge-style `pattern` (the subset filter criteria use here).
pub fn matches(pattern: &Value, value: &Value) -> Result<bool, String> {
    match pattern {
        Value::Object(fields) => {
            for (key, expected) in fields {
                let actual = value.get(key).unwrap_or(&Value::Null);
                if !matches(expected, actual)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Array(alternatives) => {
            for alternative in alternatives {
                let hit = match alternative {
                    Value::Object(op) => match op.get("prefix") {
                        Some(Value::String(prefix)) if op.len() == 1 => {
                            value.as_str().is_some_and(|v| v.starts_with(prefix.as_str()))
                        }
                        _ => return Err(format!("the filter operator {alternative} is not played locally")),
                    },
                    literal => literal == value,
                };
                if hit {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(format!("a filter pattern's leaf must be a list: {pattern}")),
    }
}

/// Fails on a pattern [`matches`] cannot play.
pub fn validate(pattern: &Value) -> Result<(), String> {
    match pattern {
        Value::Object(fields) => fields.values().try_for_each(validate),
        Value::Array(alternatives) => alternatives.iter().try_for_each(|a| match a {
            Value::Object(op) if !(op.len() == 1 && op.get("prefix").is_some_and(Value::is_string)) => {
                Err(format!("the filter operator {a} is not played locally"))
            }
            _ => Ok(()),
        }),
        _ => Err(format!("a filter pattern's leaf must be a list: {pattern}")),
    }
}

/// A DynamoDB stream event source.
pub struct StreamSource {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub region: String,
    pub stream_arn: String,
    pub starting_position: String,
    pub batch_size: usize,
    /// `-1`: until the records expire (here: forever).
    pub maximum_retry_attempts: i64,
    pub filters: Vec<Value>,
    pub function: Arc<LocalFunction>,
}

impl StreamSource {
    /// Checks the filters; an operator not played fails here, at start.
    pub fn check(&self) -> Result<(), String> {
        self.filters.iter().try_for_each(validate)
    }

    async fn call(&self, action: &str, body: Value) -> Result<Value, String> {
        streams(&self.http, &self.endpoint, &self.region, action, body).await
    }

    /// Reads the stream forever.
    pub async fn run(self) {
        // Shard → (iterator, the last sequence number read).
        let mut shards: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
        let mut listed_at: Option<std::time::Instant> = None;
        loop {
            if listed_at.is_none_or(|at| at.elapsed() > Duration::from_secs(5)) {
                match self.list(&mut shards, listed_at.is_none()).await {
                    Ok(()) => listed_at = Some(std::time::Instant::now()),
                    Err(e) => tracing::warn!(error = %e, "the DynamoDB stream event source could not list the shards"),
                }
            }
            for (shard, (iterator, last)) in shards.iter_mut() {
                if let Err(e) = self.read(shard, iterator, last).await {
                    tracing::warn!(error = %e, shard = %shard, "the DynamoDB stream event source could not read a shard");
                    *iterator = None;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Adds the shards not known yet: at the starting position on the first listing, from their
    /// start after it (a shard that appears later holds only records written since).
    async fn list(
        &self,
        shards: &mut HashMap<String, (Option<String>, Option<String>)>,
        first: bool,
    ) -> Result<(), String> {
        let described = self
            .call("DescribeStream", json!({"StreamArn": self.stream_arn}))
            .await?;
        for shard in described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(id) = shard["ShardId"].as_str() else { continue };
            if shards.contains_key(id) {
                continue;
            }
            let position = if first {
                self.starting_position.as_str()
            } else {
                "TRIM_HORIZON"
            };
            let it = self
                .call(
                    "GetShardIterator",
                    json!({"StreamArn": self.stream_arn, "ShardId": id, "ShardIteratorType": position}),
                )
                .await?;
            shards.insert(id.to_owned(), (it["ShardIterator"].as_str().map(str::to_owned), None));
        }
        Ok(())
    }

    async fn read(&self, shard: &str, iterator: &mut Option<String>, last: &mut Option<String>) -> Result<(), String> {
        if iterator.is_none() {
            let request = match last {
                Some(sequence) => json!({"StreamArn": self.stream_arn, "ShardId": shard,
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence}),
                None => json!({"StreamArn": self.stream_arn, "ShardId": shard, "ShardIteratorType": "LATEST"}),
            };
            *iterator = self.call("GetShardIterator", request).await?["ShardIterator"]
                .as_str()
                .map(str::to_owned);
        }
        let Some(current) = iterator.clone() else { return Ok(()) };
        let out = self.call("GetRecords", json!({"ShardIterator": current})).await?;
        *iterator = out["NextShardIterator"].as_str().map(str::to_owned);
        let mut records = Vec::new();
        for mut record in out["Records"].as_array().cloned().unwrap_or_default() {
            if let Some(sequence) = record["dynamodb"]["SequenceNumber"].as_str() {
                *last = Some(sequence.to_owned());
            }
            record["eventSourceARN"] = json!(self.stream_arn);
            let mut kept = self.filters.is_empty();
            for f in &self.filters {
                kept = kept || matches(f, &record)?;
            }
            if kept {
                records.push(record);
            }
        }
        for batch in records.chunks(self.batch_size.max(1)) {
            self.deliver(batch).await;
        }
        Ok(())
    }

    async fn deliver(&self, batch: &[Value]) {
        let event = Bytes::from(json!({"Records": batch}).to_string());
        let mut attempt = 0;
        loop {
            match self.function.invoke(event.clone()).await {
                Invoked::Response(_) => return,
                Invoked::FunctionError(e) => {
                    tracing::warn!(function = %self.function.logical_id, error = %String::from_utf8_lossy(&e), "a stream batch failed")
                }
                Invoked::Failed(e) => {
                    tracing::warn!(function = %self.function.logical_id, error = %e, "a stream batch was not processed")
                }
            }
            if self.maximum_retry_attempts >= 0 && attempt >= self.maximum_retry_attempts {
                tracing::warn!(function = %self.function.logical_id, records = batch.len(), "a stream batch is dropped after its retries");
                return;
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_filters_keep_conversations_and_changed_messages() {
        let conversation: Value =
            serde_json::from_str(r#"{"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "CONV#"}]}}}}"#).expect("json");
        let changed: Value = serde_json::from_str(
            r#"{"eventName": ["MODIFY"], "dynamodb": {"Keys": {"SK": {"S": [{"prefix": "MSG#"}]}}}}"#,
        )
        .expect("json");
        let record = |event: &str, sk: &str| json!({"eventName": event, "dynamodb": {"Keys": {"SK": {"S": sk}}}});
        assert_eq!(matches(&conversation, &record("INSERT", "CONV#1")), Ok(true));
        assert_eq!(matches(&changed, &record("INSERT", "MSG#1")), Ok(false));
        assert_eq!(matches(&changed, &record("MODIFY", "MSG#1")), Ok(true));
        assert_eq!(matches(&conversation, &record("MODIFY", "CFG#1")), Ok(false));
        assert!(matches(&json!({"a": [{"anything-but": "x"}]}), &json!({})).is_err());
        assert!(validate(&conversation).is_ok() && validate(&changed).is_ok());
        assert!(validate(&json!({"eventName": ["MODIFY"], "b": {"c": [{"numeric": [">", 1]}]}})).is_err());
    }
}
