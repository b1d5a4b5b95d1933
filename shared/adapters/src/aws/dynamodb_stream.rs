//! The table's DynamoDB stream read as the change feed (R-UI1, issue 17): on AWS the workspace's
//! live channel learns of changes from the stream (`NEW_AND_OLD_IMAGES`), so no writer makes an
//! extra call to push. Each record becomes the same [`ConversationChanged`] the local server's
//! in-process feed publishes (`crate::changes::ObservedConversations`):
//!
//! | record | change |
//! |---|---|
//! | `INSERT` of `CONV#<id>` | `opened` |
//! | `MODIFY` of `CONV#<id>` carrying `message_author` | `message` (that author) |
//! | `MODIFY` of `CONV#<id>` from open to closed | `closed` |
//! | any other `MODIFY` of `CONV#<id>` | `updated` |
//! | `MODIFY` of `MSG#…` (a delivery recorded, a failed message claimed) | `message`, nothing else known |
//! | `INSERT` of `MSG#…`, `REMOVE`, every other item | nothing |
//!
//! `handler` is who has the conversation in the new image; `previous_handler` who had it in the
//! old one, when that differs.
//!
//! Why the conversation item says who wrote a message: adding a message writes the conversation
//! and the message in one transaction, which the stream delivers as two records of different
//! partitions (possibly in different batches, or shards). The message's record knows the author
//! but not who has the conversation; the conversation's record knows who has it but could not
//! tell a message from a hand-over. So the store writes the author beside the conversation in
//! that transaction (`message_author`, the author's JSON; a later write replaces the whole item
//! and drops it), and the message's own insert is not told again: one write, one change, as
//! locally.

use super::dynamodb_table::{MESSAGE_AUTHOR, PK, SK};
use crate::changes::{Change, ConversationChanged};
use aws_lambda_events::event::dynamodb::EventRecord;
use domain::conversation::{Author, ConversationStatus, Handler};
use domain::ids::{ConversationId, TenantId};
use serde_dynamo::{AttributeValue, Item};

/// The changes of a batch of stream records, in the batch's order; records that tell nothing to
/// a workspace (other items, unreadable ones: logged) are left out.
pub fn changes_of_records(records: &[EventRecord]) -> Vec<ConversationChanged> {
    records.iter().filter_map(change_of_record).collect()
}

/// What a conversation's image says, as far as a workspace needs it.
#[derive(serde::Deserialize)]
struct ConversationDoc {
    handler: Handler,
    status: ConversationStatus,
    #[serde(default)]
    client: Option<ClientDoc>,
}

#[derive(serde::Deserialize)]
struct ClientDoc {
    #[serde(default)]
    name: Option<String>,
}

fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn doc(image: &Item) -> Option<ConversationDoc> {
    let text = string(image, "doc")?;
    match serde_json::from_str(text) {
        Ok(doc) => Some(doc),
        Err(e) => {
            tracing::warn!(error = %e, "a conversation in the stream could not be read");
            None
        }
    }
}

/// The change one stream record tells, if any.
pub fn change_of_record(record: &EventRecord) -> Option<ConversationChanged> {
    let keys = &record.change.keys;
    let (pk, sk) = (string(keys, PK)?, string(keys, SK)?);
    let rest = pk.strip_prefix("T#")?;
    if let Some(id) = sk.strip_prefix("CONV#") {
        // A conversation item: `T#<tenant>` (ids never hold `#`).
        if rest.contains('#') {
            return None;
        }
        let tenant = TenantId::parse(rest).ok()?;
        let conversation = ConversationId::parse(id).ok()?;
        return conversation_change(record, tenant, conversation);
    }
    if sk.starts_with("MSG#") && record.event_name == "MODIFY" {
        // A message item: `T#<tenant>#CONV#<conversation>`.
        let (tenant, conversation) = rest.split_once("#CONV#")?;
        return Some(ConversationChanged {
            tenant: TenantId::parse(tenant).ok()?,
            conversation: ConversationId::parse(conversation).ok()?,
            change: Change::Message,
            handler: None,
            previous_handler: None,
            message_author: None,
            client_name: None,
        });
    }
    None
}

fn conversation_change(
    record: &EventRecord,
    tenant: TenantId,
    conversation: ConversationId,
) -> Option<ConversationChanged> {
    let new_image = &record.change.new_image;
    let after = doc(new_image)?;
    let before = doc(&record.change.old_image);
    let mut message_author = None;
    let change = match record.event_name.as_str() {
        "INSERT" => Change::Opened,
        "MODIFY" => {
            if let Some(author) = string(new_image, MESSAGE_AUTHOR) {
                match serde_json::from_str::<Author>(author) {
                    Ok(author) => message_author = Some(author),
                    Err(e) => tracing::warn!(error = %e, "a message author in the stream could not be read"),
                }
                Change::Message
            } else if after.status == ConversationStatus::Closed
                && before.as_ref().is_some_and(|b| b.status != ConversationStatus::Closed)
            {
                Change::Closed
            } else {
                Change::Updated
            }
        }
        _ => return None,
    };
    let previous_handler = before.map(|b| b.handler).filter(|h| *h != after.handler);
    Some(ConversationChanged {
        tenant,
        conversation,
        change,
        handler: Some(after.handler),
        previous_handler,
        message_author,
        client_name: after.client.and_then(|c| c.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;

    /// One record to make: event name, PK, SK, new image, old image (attributes, as JSON).
    type Written<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

    /// A stream batch as Lambda delivers it (the shape of AWS's sample DynamoDB event), one record
    /// per (event, keys, new image, old image).
    fn batch(records: &[Written]) -> Vec<EventRecord> {
        let records: Vec<String> = records
            .iter()
            .enumerate()
            .map(|(i, (event, pk, sk, new, old))| {
                let image = |name: &str, attrs: Option<&str>| {
                    attrs.map_or_else(String::new, |a| format!(r#","{name}": {{ {a} }}"#))
                };
                format!(
                    r#"{{
                      "eventID": "e{i}",
                      "eventName": "{event}",
                      "eventVersion": "1.1",
                      "eventSource": "aws:dynamodb",
                      "awsRegion": "eu-central-1",
                      "dynamodb": {{
                        "ApproximateCreationDateTime": 1764410000,
                        "Keys": {{ "PK": {{ "S": "{pk}" }}, "SK": {{ "S": "{sk}" }} }}
                        {new_image}{old_image},
                        "SequenceNumber": "11100000000000000000{i}",
                        "SizeBytes": 512,
                        "StreamViewType": "NEW_AND_OLD_IMAGES"
                      }},
                      "eventSourceARN": "arn:aws:dynamodb:eu-central-1:123456789012:table/t/stream/2026-11-29T00:00:00.000"
                    }}"#,
                    new_image = image("NewImage", *new),
                    old_image = image("OldImage", *old),
                )
            })
            .collect();
        let event: Event = serde_json::from_str(&format!(r#"{{"Records": [{}]}}"#, records.join(",")))
            .expect("a stream event as Lambda sends it");
        event.records
    }

    fn conversation_image(status: &str, handler: &str, author: Option<&str>) -> String {
        let doc = format!(
            r#"{{"id":"c1","status":"{status}","handler":{handler},"chat_id":"u2i-1","client":{{"avito_user_id":7,"name":"Мария"}}}}"#
        );
        let mut attrs = format!(
            r#""PK": {{"S": "T#acme"}}, "SK": {{"S": "CONV#c1"}}, "doc": {{"S": {}}}, "version": {{"N": "2"}}"#,
            serde_json::to_string(&doc).expect("json")
        );
        if let Some(author) = author {
            attrs.push_str(&format!(
                r#", "message_author": {{"S": {}}}"#,
                serde_json::to_string(author).expect("json")
            ));
        }
        attrs
    }

    const GENERAL: &str = r#"{"type":"general_queue"}"#;
    const ANNA: &str = r#"{"type":"operator","employee_id":"anna"}"#;

    #[test]
    fn a_new_conversation_is_opened_in_its_list() {
        let new = conversation_image("open", GENERAL, None);
        let changes = changes_of_records(&batch(&[("INSERT", "T#acme", "CONV#c1", Some(&new), None)]));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].tenant.as_str(), "acme");
        assert_eq!(
            changes[0].to_json(),
            r#"{"conversation_id":"c1","change":"opened","handler":{"type":"general_queue"},"client_name":"Мария"}"#
        );
    }

    #[test]
    fn a_message_says_its_author_and_who_had_the_conversation() {
        let old = conversation_image("open", GENERAL, None);
        let new = conversation_image("open", ANNA, Some(r#"{"type":"client"}"#));
        let changes = changes_of_records(&batch(&[
            ("MODIFY", "T#acme", "CONV#c1", Some(&new), Some(&old)),
            // The message itself, from the same transaction: not told twice.
            (
                "INSERT",
                "T#acme#CONV#c1",
                "MSG#001764410000000#m1",
                Some(r#""doc": {"S": "{}"}"#),
                None,
            ),
        ]));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].to_json(),
            r#"{"conversation_id":"c1","change":"message","handler":{"type":"operator","employee_id":"anna"},"previous_handler":{"type":"general_queue"},"message_author":{"type":"client"},"client_name":"Мария"}"#
        );
    }

    #[test]
    fn taking_updates_and_completing_closes() {
        let queued = conversation_image("open", GENERAL, None);
        let taken = conversation_image("open", ANNA, None);
        let closed = conversation_image("closed", ANNA, None);
        let changes = changes_of_records(&batch(&[
            ("MODIFY", "T#acme", "CONV#c1", Some(&taken), Some(&queued)),
            ("MODIFY", "T#acme", "CONV#c1", Some(&closed), Some(&taken)),
        ]));
        let json: Vec<String> = changes.iter().map(ConversationChanged::to_json).collect();
        assert_eq!(
            json,
            [
                r#"{"conversation_id":"c1","change":"updated","handler":{"type":"operator","employee_id":"anna"},"previous_handler":{"type":"general_queue"},"client_name":"Мария"}"#,
                r#"{"conversation_id":"c1","change":"closed","handler":{"type":"operator","employee_id":"anna"},"client_name":"Мария"}"#,
            ]
        );
    }

    #[test]
    fn a_delivery_recorded_on_a_message_is_a_message_change() {
        let changes = changes_of_records(&batch(&[(
            "MODIFY",
            "T#acme#CONV#c1",
            "MSG#001764410000000#m1",
            Some(r#""doc": {"S": "{}"}"#),
            Some(r#""doc": {"S": "{}"}"#),
        )]));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].tenant.as_str(), "acme");
        assert_eq!(changes[0].to_json(), r#"{"conversation_id":"c1","change":"message"}"#);
    }

    #[test]
    fn other_items_removals_and_unreadable_records_tell_nothing() {
        let good = conversation_image("open", GENERAL, None);
        let changes = changes_of_records(&batch(&[
            (
                "INSERT",
                "T#acme",
                "OPENCOUNT#GENERAL",
                Some(r#""n": {"N": "1"}"#),
                None,
            ),
            (
                "INSERT",
                "T#acme",
                "LIVE#abc=",
                Some(r#""employee_id": {"S": "anna"}"#),
                None,
            ),
            ("REMOVE", "T#acme", "CONV#c1", None, Some(&good)),
            ("INSERT", "T#acme", "CONV#c1", Some(r#""doc": {"S": "not json"}"#), None),
            ("INSERT", "T#acme#x", "CONV#c1", Some(&good), None),
            ("INSERT", "T#bad id", "CONV#c1", Some(&good), None),
        ]));
        assert!(changes.is_empty(), "{changes:?}");
    }
}
