//! What invokes functions besides HTTP, played here as AWS does it:
//! - the SQS event source mapping: batches of up to the template's `BatchSize`, the event Lambda
//!   builds, partial batch failures (`ReportBatchItemFailures`: only the failed messages stay),
//!   a failed invocation leaving the whole batch; a message that stays becomes visible again after
//!   the queue's visibility timeout and, past the redrive policy's receive count, moves to the
//!   dead-letter queue (moto's SQS does that on receive, as SQS does);
//! - EventBridge Scheduler's one-time schedules (`at(...)`) in the template's schedule groups:
//!   each fires its target function with its input once its time has come, and is deleted after
//!   completion when it says `ActionAfterCompletion: DELETE`. Scheduler invokes Lambda
//!   asynchronously: a function that fails is tried twice more by Lambda, then the event is
//!   dropped (no dead-letter queue is configured);
//! - the template's `rate(...)` schedules, invoked the same way (a shorter period may be given
//!   for tests).
//!
//! Not played: the mapping's concurrency scaling (one batch at a time), maximum batching window,
//! Scheduler's flexible time windows and its own retry policy (for failed calls of Lambda's
//! invoke API, which do not fail here), `cron(...)` expressions.

use super::lambda::{Invoked, LocalFunction};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use axum::body::Bytes;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// An SQS event source mapping.
pub struct SqsSource {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub region: String,
    pub batch_size: u32,
    pub report_batch_item_failures: bool,
    pub function: Arc<LocalFunction>,
    /// When set, a message that stays becomes visible again after this instead of the queue's
    /// visibility timeout (tests).
    pub retry_after: Option<Duration>,
}

impl SqsSource {
    /// Polls forever.
    pub async fn run(self) {
        loop {
            match self.once().await {
                Ok(0) => tokio::time::sleep(Duration::from_millis(200)).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(queue = %self.queue_url, error = %e, "the SQS event source could not poll");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// One batch: received, handed to the function, what succeeded deleted. Returns how many
    /// messages the batch had.
    pub async fn once(&self) -> Result<usize, String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size.clamp(1, 10) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        let messages = received.messages();
        if messages.is_empty() {
            return Ok(0);
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .map(|a| {
                        a.iter()
                            .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                            .collect()
                    })
                    .unwrap_or_default();
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": attributes,
                    "messageAttributes": message_attributes(m),
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": self.region,
                })
            })
            .collect();
        let event = json!({ "Records": records });
        let failed: HashSet<String> = match self.function.invoke(Bytes::from(event.to_string())).await {
            Invoked::Response(payload) if self.report_batch_item_failures => {
                failures(&payload, messages).unwrap_or_else(|| all_ids(messages))
            }
            Invoked::Response(_) => HashSet::new(),
            Invoked::FunctionError(e) => {
                tracing::warn!(error = %String::from_utf8_lossy(&e), "the batch failed");
                all_ids(messages)
            }
            Invoked::Failed(e) => {
                tracing::warn!(error = %e, "the batch was not processed");
                all_ids(messages)
            }
        };
        for m in messages {
            let (Some(id), Some(receipt)) = (m.message_id(), m.receipt_handle()) else {
                continue;
            };
            if failed.contains(id) {
                if let Some(after) = self.retry_after {
                    let _ = self
                        .sqs
                        .change_message_visibility()
                        .queue_url(&self.queue_url)
                        .receipt_handle(receipt)
                        .visibility_timeout(after.as_secs() as i32)
                        .send()
                        .await;
                }
                continue;
            }
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        }
        Ok(messages.len())
    }
}

/// The messages a `ReportBatchItemFailures` answer names as failed, or `None` when the answer
/// fails the whole batch, as Lambda reads it: an answer that is not JSON, a failure list that is
/// not a list, or an identifier that is empty or names no message of the batch.
pub fn failures(payload: &[u8], messages: &[aws_sdk_sqs::types::Message]) -> Option<HashSet<String>> {
    let answer: Value = serde_json::from_slice(payload).ok()?;
    let items = match answer.get("batchItemFailures") {
        None | Some(Value::Null) => return Some(HashSet::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return None,
    };
    let ids = all_ids(messages);
    items
        .iter()
        .map(|i| {
            i.get("itemIdentifier")
                .and_then(Value::as_str)
                .filter(|id| ids.contains(*id))
                .map(str::to_owned)
        })
        .collect()
}

fn all_ids(messages: &[aws_sdk_sqs::types::Message]) -> HashSet<String> {
    messages
        .iter()
        .filter_map(|m| m.message_id().map(str::to_owned))
        .collect()
}

/// A message's attributes as Lambda's SQS event gives them.
fn message_attributes(m: &aws_sdk_sqs::types::Message) -> Value {
    let mut out = serde_json::Map::new();
    for (name, a) in m.message_attributes().into_iter().flatten() {
        out.insert(
            name.clone(),
            json!({
                "stringValue": a.string_value(),
                "binaryValue": a.binary_value().map(|b| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b.as_ref())),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": a.data_type(),
            }),
        );
    }
    Value::Object(out)
}

/// The ARN of `queue_url`'s queue.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<String, String> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| format!("{queue_url}: no ARN"))
}

/// EventBridge Scheduler for the template's schedule groups.
pub struct Scheduler {
    pub client: aws_sdk_scheduler::Client,
    pub groups: Vec<String>,
    /// Every function, to find a schedule's target by its ARN.
    pub functions: Vec<Arc<LocalFunction>>,
    pub account: String,
    pub region: String,
}

impl Scheduler {
    /// Looks for due schedules every `tick`, forever.
    pub async fn run(self, tick: Duration) {
        let mut fired: HashSet<(String, String, String)> = HashSet::new();
        loop {
            if let Err(e) = self.once(&mut fired).await {
                tracing::warn!(error = %e, "the scheduler could not read the schedules");
            }
            tokio::time::sleep(tick).await;
        }
    }

    fn target(&self, arn: &str) -> Option<&Arc<LocalFunction>> {
        let name = arn.strip_prefix(&format!("arn:aws:lambda:{}:{}:function:", self.region, self.account))?;
        self.functions.iter().find(|f| f.name == name)
    }

    /// Fires what is due; `fired` remembers the one-time schedules already fired (by group, name
    /// and creation time), so a schedule kept after completion fires once, and one created again
    /// under the same name fires again.
    pub async fn once(&self, fired: &mut HashSet<(String, String, String)>) -> Result<(), String> {
        let now = chrono::Utc::now().naive_utc();
        let mut listed_now = HashSet::new();
        for group in &self.groups {
            let mut names = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .client
                    .list_schedules()
                    .group_name(group)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| aws_sdk_scheduler::error::DisplayErrorContext(e).to_string())?;
                names.extend(page.schedules().iter().filter_map(|s| s.name().map(str::to_owned)));
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            for name in names {
                let Ok(schedule) = self.client.get_schedule().group_name(group).name(&name).send().await else {
                    continue;
                };
                let created = schedule.creation_date().map(|d| d.to_string()).unwrap_or_default();
                let key = (group.clone(), name.clone(), created);
                listed_now.insert(key.clone());
                if fired.contains(&key) || schedule.state().map(|s| s.as_str()) == Some("DISABLED") {
                    continue;
                }
                let expression = schedule.schedule_expression().unwrap_or_default();
                let Some(at) = expression
                    .strip_prefix("at(")
                    .and_then(|e| e.strip_suffix(')'))
                    .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").ok())
                else {
                    continue;
                };
                // Only UTC is played; the product schedules in UTC.
                if schedule.schedule_expression_timezone().is_some_and(|z| z != "UTC") || at > now {
                    continue;
                }
                let Some(target) = schedule.target() else { continue };
                let Some(function) = self.target(target.arn()) else {
                    tracing::warn!(schedule = %name, arn = target.arn(), "a schedule's target is no function of the template");
                    continue;
                };
                function.invoke_async(Bytes::from(target.input().unwrap_or("{}").to_owned()));
                fired.insert(key);
                if schedule.action_after_completion().map(|a| a.as_str()) == Some("DELETE") {
                    let _ = self.client.delete_schedule().group_name(group).name(&name).send().await;
                }
            }
        }
        // What is no longer listed cannot fire again.
        fired.retain(|k| listed_now.contains(k));
        Ok(())
    }
}

/// A `rate(...)` schedule: invokes `function` with `input` every `every` (asynchronously, as
/// Scheduler does), the first time one period after the start.
pub async fn run_rate(function: Arc<LocalFunction>, every: Duration, input: String) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        function.invoke_async(Bytes::from(input.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch() -> Vec<aws_sdk_sqs::types::Message> {
        ["m1", "m2"]
            .into_iter()
            .map(|id| aws_sdk_sqs::types::Message::builder().message_id(id).build())
            .collect()
    }

    #[test]
    fn a_partial_batch_answer_is_read_as_lambda_reads_it() {
        let b = batch();
        let ids = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<HashSet<_>>());
        assert_eq!(failures(br#"{"batchItemFailures":[]}"#, &b), ids(&[]));
        assert_eq!(failures(br#"{}"#, &b), ids(&[]));
        assert_eq!(
            failures(br#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#, &b),
            ids(&["m2"])
        );
        // What fails the whole batch on AWS.
        assert_eq!(failures(b"not json", &b), None);
        assert_eq!(failures(br#"{"batchItemFailures":[{"itemIdentifier":""}]}"#, &b), None);
        assert_eq!(
            failures(br#"{"batchItemFailures":[{"itemIdentifier":"m9"}]}"#, &b),
            None
        );
        assert_eq!(failures(br#"{"batchItemFailures":{"itemIdentifier":"m1"}}"#, &b), None);
    }
}
