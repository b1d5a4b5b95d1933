//! The resources created on moto are the ones `infra/template.yaml` declares: the table's keys,
//! attributes, indexes with their projections, billing mode and time to live; each queue's
//! attributes and redrive policy; the schedule group. Fails if what gets created drifts from the
//! template. Needs moto at `AWS_ENDPOINT_URL` (`tests/scripts/with-moto.sh`, as `make test` runs).

use adapters::aws::{dynamodb_client_from_env, scheduler_client_from_env, sqs_client_from_env};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_stack::{StackTemplate, resource_name};
use std::collections::HashMap;

/// An index as compared: name, key schema, projection type, projected non-key attributes.
type Index = (String, Vec<(String, String)>, String, Vec<String>);

fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items.map(|(a, b)| (a.to_owned(), b.to_owned())).collect();
    v.sort();
    v
}

fn sorted(v: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[tokio::test]
async fn what_gets_created_on_moto_is_what_the_template_declares() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run under tests/scripts/with-moto.sh"
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let prefix = format!("drift-{nanos}");
    let template = StackTemplate::repository().expect("infra/template.yaml");
    let env: HashMap<String, String> = template.create(&prefix).await.expect("created").into_iter().collect();
    // Idempotent: a second run keeps what exists and names the same resources.
    let again: HashMap<String, String> = template
        .create(&prefix)
        .await
        .expect("created again")
        .into_iter()
        .collect();
    assert_eq!(env, again);

    // The table.
    let spec = template.table().expect("one table");
    let table_name = resource_name(&prefix, &spec.logical_id);
    assert_eq!(env.get("TABLE_NAME"), Some(&table_name));
    let dynamodb = dynamodb_client_from_env().await;
    let described = dynamodb
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .expect("describe table");
    let table = described.table().expect("table");
    assert_eq!(
        pairs(
            table
                .attribute_definitions()
                .iter()
                .map(|a| (a.attribute_name(), a.attribute_type().as_str()))
        ),
        sorted(&spec.attributes),
        "attribute definitions"
    );
    let keys = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        k.iter()
            .map(|e| (e.attribute_name().to_owned(), e.key_type().as_str().to_owned()))
            .collect()
    };
    assert_eq!(keys(table.key_schema()), spec.key_schema, "key schema");
    if let Some(mode) = &spec.billing_mode {
        assert_eq!(
            table
                .billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|b| b.as_str()),
            Some(mode.as_str()),
            "billing mode"
        );
    }
    let mut indexes: Vec<Index> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let projection = i.projection();
            (
                i.index_name().unwrap_or_default().to_owned(),
                keys(i.key_schema()),
                projection
                    .and_then(|p| p.projection_type())
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                projection.map(|p| p.non_key_attributes().to_vec()).unwrap_or_default(),
            )
        })
        .collect();
    indexes.sort();
    let mut declared: Vec<Index> = spec
        .global_secondary_indexes
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                i.key_schema.clone(),
                i.projection_type.clone(),
                i.non_key_attributes.clone(),
            )
        })
        .collect();
    declared.sort();
    assert_eq!(indexes, declared, "global secondary indexes and their projections");
    if let Some((attribute, enabled)) = &spec.time_to_live {
        let ttl = dynamodb
            .describe_time_to_live()
            .table_name(&table_name)
            .send()
            .await
            .expect("describe time to live");
        let description = ttl.time_to_live_description().expect("time to live");
        assert_eq!(description.attribute_name(), Some(attribute.as_str()), "time to live");
        let status = description
            .time_to_live_status()
            .map(|s| s.as_str())
            .unwrap_or_default();
        assert_eq!(
            matches!(status, "ENABLED" | "ENABLING"),
            *enabled,
            "time to live {status}"
        );
    }

    // The queues.
    let sqs = sqs_client_from_env().await;
    let mut arns = HashMap::new();
    let mut attributes = HashMap::new();
    for queue in &template.queues {
        let url = sqs
            .get_queue_url()
            .queue_name(resource_name(&prefix, &queue.logical_id))
            .send()
            .await
            .expect("queue exists")
            .queue_url()
            .expect("url")
            .to_owned();
        let got = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .expect("queue attributes");
        let got: HashMap<String, String> = got
            .attributes()
            .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
            .unwrap_or_default();
        arns.insert(queue.logical_id.clone(), got.get("QueueArn").cloned().expect("arn"));
        attributes.insert(queue.logical_id.clone(), (url, got));
    }
    for queue in &template.queues {
        let (url, got) = &attributes[&queue.logical_id];
        for (name, value) in &queue.attributes {
            assert_eq!(got.get(name), Some(value), "{} {name}", queue.logical_id);
        }
        let redrive = got
            .get("RedrivePolicy")
            .map(|p| serde_json::from_str::<serde_json::Value>(p).expect("redrive policy is JSON"));
        match &queue.redrive {
            None => assert!(redrive.is_none(), "{} has no redrive policy", queue.logical_id),
            Some(declared) => {
                let redrive = redrive.expect("redrive policy");
                assert_eq!(
                    redrive["deadLetterTargetArn"].as_str(),
                    arns.get(&declared.dead_letter_queue).map(String::as_str),
                    "{} dead-letter queue",
                    queue.logical_id
                );
                let count = match &redrive["maxReceiveCount"] {
                    serde_json::Value::String(s) => s.parse::<u32>().ok(),
                    other => other.as_u64().and_then(|n| u32::try_from(n).ok()),
                };
                assert_eq!(
                    count,
                    Some(declared.max_receive_count),
                    "{} maxReceiveCount",
                    queue.logical_id
                );
            }
        }
        let referenced: Vec<&String> = template
            .references
            .iter()
            .filter(|(_, id)| *id == queue.logical_id)
            .map(|(variable, _)| variable)
            .collect();
        for variable in referenced {
            assert_eq!(env.get(variable), Some(url), "{variable}");
        }
    }

    // The schedule groups.
    let scheduler = scheduler_client_from_env().await;
    for group in &template.schedule_groups {
        let name = resource_name(&prefix, group);
        let got = scheduler
            .get_schedule_group()
            .name(&name)
            .send()
            .await
            .expect("schedule group exists");
        assert_eq!(got.name(), Some(name.as_str()));
    }
    assert_eq!(
        env.get("SCHEDULER_GROUP"),
        Some(&resource_name(&prefix, "AutoReplyScheduleGroup"))
    );
}
