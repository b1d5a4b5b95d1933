//! The SAM template's stateful resources on a local AWS endpoint (moto): every DynamoDB table,
//! SQS queue, schedule group and Cognito user pool (with its app clients and domain)
//! `infra/template.yaml` declares, created from the template itself (keys, indexes and their
//! projections, billing mode, time to live, stream, queue attributes and redrive policies; the pool's
//! sign-in settings, password policy, MFA, invitation and custom attributes, the clients' flows,
//! scopes, URLs, token validity and attribute permissions), named after a prefix, so `make watch`, the AWS tests and the benchmarks run on what
//! a deployment would have. No Lambda function links this crate; the functions only use what the
//! stack holds.
//!
//! Names: the table is `<prefix>-table`, the inbound queue `<prefix>-inbound` with its dead-letter
//! queue `<prefix>-inbound-dlq`, the auto-reply group `<prefix>-autoreplies`; any other resource
//! `<prefix>-<logical id in kebab case>`. Creating is idempotent: what exists is kept.
//!
//! Beside it, [`tenant`]: creating a tenant and its first administrator on AWS (`avito-cc-tenant`,
//! `make tenant`).

pub mod cognito;
pub mod local;
pub mod template;
pub mod tenant;

pub use template::{
    IndexSpec, QueueSpec, Redrive, StackTemplate, TableSpec, UserPoolClientSpec, UserPoolDomainSpec, UserPoolSpec,
};

use adapters::aws::{
    cognito_client_from_env, dynamodb_client_from_env, scheduler_client_from_env, sqs_client_from_env,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

/// Values for the environment variables that name what a local endpoint does not hold (the
/// auto-reply function and the role the scheduler assumes: moto accepts any well-formed ARN; the
/// hosted sign-in page, which moto does not serve) or the region the tests use.
pub const LOCAL_STAND_INS: [(&str, &str); 4] = [
    (
        "AUTOREPLY_TARGET_ARN",
        "arn:aws:lambda:us-east-1:123456789012:function:autoreply",
    ),
    ("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler-invoke"),
    (
        "COGNITO_DOMAIN_URL",
        "https://avito-cc-local.auth.us-east-1.amazoncognito.com",
    ),
    ("COGNITO_REGION", "us-east-1"),
];

/// The short names the resources have always had locally.
const SHORT_NAMES: [(&str, &str); 4] = [
    ("Table", "table"),
    ("InboundQueue", "inbound"),
    ("InboundDeadLetterQueue", "inbound-dlq"),
    ("AutoReplyScheduleGroup", "autoreplies"),
];

/// The local name of the template's resource `logical_id` in a stack named `prefix`.
pub fn resource_name(prefix: &str, logical_id: &str) -> String {
    let short = SHORT_NAMES.iter().find(|(id, _)| *id == logical_id).map(|(_, s)| *s);
    let name = short.map(str::to_owned).unwrap_or_else(|| {
        let mut kebab = String::new();
        for (i, c) in logical_id.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        }
        kebab
    });
    format!("{prefix}-{name}")
}

/// What was created: each logical id with what `!Ref` gives for it on AWS (a table's or a
/// group's name, a queue's URL, a user pool's or an app client's id, a domain's name).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Created {
    pub refs: Vec<(String, String)>,
}

impl Created {
    /// What `!Ref logical_id` gives.
    pub fn get(&self, logical_id: &str) -> Option<&str> {
        self.refs
            .iter()
            .find(|(id, _)| id == logical_id)
            .map(|(_, value)| value.as_str())
    }
}

/// Creates, on the endpoint the environment names, what `infra/template.yaml` declares, named
/// after `prefix`; returns the environment the functions read to use it (`TABLE_NAME`,
/// `INBOUND_QUEUE_URL`, `INBOUND_DEAD_LETTER_QUEUE_URL`, `SCHEDULER_GROUP`,
/// `AUTOREPLY_TARGET_ARN`, `SCHEDULER_ROLE_ARN`, `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
/// `COGNITO_DOMAIN_URL`, `COGNITO_REGION`).
pub async fn create_stack_resources(prefix: &str) -> Result<Vec<(String, String)>, String> {
    StackTemplate::repository()?.create(prefix).await
}

impl StackTemplate {
    /// Creates every resource, named after `prefix`, and returns the functions' environment.
    pub async fn create(&self, prefix: &str) -> Result<Vec<(String, String)>, String> {
        let created = self.create_resources(prefix).await?;
        Ok(self.environment(&created))
    }

    /// Creates every resource, named after `prefix`, on the endpoint the environment names.
    pub async fn create_resources(&self, prefix: &str) -> Result<Created, String> {
        let mut created = Created::default();
        if !self.tables.is_empty() {
            let client = dynamodb_client_from_env().await;
            for table in &self.tables {
                let name = resource_name(prefix, &table.logical_id);
                create_table(&client, table, &name).await?;
                created.refs.push((table.logical_id.clone(), name));
            }
        }
        if !self.queues.is_empty() {
            let queues = self.create_queues(&sqs_client_from_env().await, prefix).await?;
            created.refs.extend(queues.refs);
        }
        if !self.schedule_groups.is_empty() {
            let client = scheduler_client_from_env().await;
            for group in &self.schedule_groups {
                let name = resource_name(prefix, group);
                create_schedule_group(&client, &name).await?;
                created.refs.push((group.clone(), name));
            }
        }
        if !self.user_pools.is_empty() {
            let client = cognito_client_from_env().await;
            for pool in &self.user_pools {
                let name = resource_name(prefix, &pool.logical_id);
                let id = cognito::create_user_pool(&client, pool, &name).await?;
                created.refs.push((pool.logical_id.clone(), id));
            }
            for app in &self.user_pool_clients {
                let pool = created
                    .get(&app.user_pool)
                    .ok_or("an app client's pool was not created")?;
                let name = resource_name(prefix, &app.logical_id);
                let id = cognito::create_user_pool_client(&client, app, pool, &name).await?;
                created.refs.push((app.logical_id.clone(), id));
            }
            for domain in &self.user_pool_domains {
                let pool = created
                    .get(&domain.user_pool)
                    .ok_or("a domain's pool was not created")?;
                let name = resource_name(prefix, &domain.logical_id);
                cognito::create_user_pool_domain(&client, pool, &name).await?;
                created.refs.push((domain.logical_id.clone(), name));
            }
        }
        Ok(created)
    }

    /// The variables the functions read that name a created resource (what `!Ref` gives), and the
    /// [`LOCAL_STAND_INS`] for the ones the template declares, in the template's order.
    pub fn environment(&self, created: &Created) -> Vec<(String, String)> {
        self.variables
            .iter()
            .filter_map(|variable| {
                let value = match self.references.iter().find(|(v, _)| v == variable) {
                    Some((_, id)) => created.get(id)?,
                    None => LOCAL_STAND_INS.iter().find(|(v, _)| v == variable)?.1,
                };
                Some((variable.clone(), value.to_owned()))
            })
            .collect()
    }

    /// Creates every queue, named after `prefix`, each dead-letter queue before the queues that
    /// redrive to it; returns each logical id with the queue's URL.
    pub async fn create_queues(&self, client: &aws_sdk_sqs::Client, prefix: &str) -> Result<Created, String> {
        let mut created = Created::default();
        let mut arns: Vec<(String, String)> = Vec::new();
        let mut pending: Vec<&QueueSpec> = self.queues.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut waiting = Vec::new();
            for queue in pending {
                let dead_letter_arn = match &queue.redrive {
                    None => None,
                    Some(r) => match arns.iter().find(|(id, _)| *id == r.dead_letter_queue) {
                        Some((_, arn)) => Some((arn.clone(), r.max_receive_count)),
                        None => {
                            waiting.push(queue);
                            continue;
                        }
                    },
                };
                let name = resource_name(prefix, &queue.logical_id);
                let (url, arn) = create_queue(client, queue, &name, dead_letter_arn).await?;
                created.refs.push((queue.logical_id.clone(), url));
                arns.push((queue.logical_id.clone(), arn));
            }
            if waiting.len() == before {
                return Err("the queues' redrive policies form a cycle".into());
            }
            pending = waiting;
        }
        Ok(created)
    }
}

fn key_schema(keys: &[(String, String)]) -> Result<Vec<KeySchemaElement>, String> {
    keys.iter()
        .map(|(name, key_type)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(key_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn throughput(units: Option<(i64, i64)>) -> Result<Option<ProvisionedThroughput>, String> {
    units
        .map(|(read, write)| {
            ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map_err(|e| e.to_string())
        })
        .transpose()
}

/// Creates the table `spec` as `name` (keeping it if it exists), then sets its time to live as
/// the template does.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, spec: &TableSpec, name: &str) -> Result<(), String> {
    let attributes = spec
        .attributes
        .iter()
        .map(|(attribute, kind)| {
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = spec
        .global_secondary_indexes
        .iter()
        .map(|index| {
            let projection = Projection::builder()
                .projection_type(ProjectionType::from(index.projection_type.as_str()))
                .set_non_key_attributes(
                    (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
                )
                .build();
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection)
                .set_provisioned_throughput(throughput(index.throughput)?)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let result = client
        .create_table()
        .table_name(name)
        .set_billing_mode(spec.billing_mode.as_deref().map(BillingMode::from))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&spec.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_provisioned_throughput(throughput(spec.throughput)?)
        .set_stream_specification(
            spec.stream_view_type
                .as_deref()
                .map(|view| {
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::from(view))
                        .build()
                        .map_err(|e| e.to_string())
                })
                .transpose()?,
        )
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => {
            return Err(format!(
                "table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ));
        }
    }
    let Some((attribute, enabled)) = &spec.time_to_live else {
        return Ok(());
    };
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| format!("table {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    let set = current.time_to_live_description().is_some_and(|d| {
        d.attribute_name() == Some(attribute.as_str())
            && matches!(
                d.time_to_live_status().map(|s| s.as_str()),
                Some("ENABLED" | "ENABLING")
            ) == *enabled
    });
    if set {
        return Ok(());
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(*enabled)
        .build()
        .map_err(|e| e.to_string())?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map(drop)
        .map_err(|e| format!("table {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))
}

/// Creates the queue `spec` as `name` with its attributes and, given its dead-letter queue's ARN
/// and the receive count, its redrive policy; returns its URL and ARN.
async fn create_queue(
    client: &aws_sdk_sqs::Client,
    spec: &QueueSpec,
    name: &str,
    dead_letters: Option<(String, u32)>,
) -> Result<(String, String), String> {
    let failed = |e: String| format!("queue {name}: {e}");
    let mut request = client.create_queue().queue_name(name);
    for (attribute, value) in &spec.attributes {
        request = request.attributes(QueueAttributeName::from(attribute.as_str()), value);
    }
    if let Some((arn, max_receive_count)) = dead_letters {
        let redrive = serde_json::json!({
            "deadLetterTargetArn": arn,
            "maxReceiveCount": max_receive_count.to_string(),
        });
        request = request.attributes(QueueAttributeName::RedrivePolicy, redrive.to_string());
    }
    let out = request
        .send()
        .await
        .map_err(|e| failed(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    let url = out.queue_url().ok_or_else(|| failed("no URL".into()))?.to_owned();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| failed(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed("no ARN".into()))?
        .clone();
    Ok((url, arn))
}

/// Creates the schedule group `name`, keeping it if it exists.
pub async fn create_schedule_group(client: &aws_sdk_scheduler::Client, name: &str) -> Result<(), String> {
    match client.create_schedule_group().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(()),
        Err(e) => Err(format!(
            "schedule group {name}: {}",
            aws_sdk_scheduler::error::DisplayErrorContext(e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_keep_their_local_names() {
        assert_eq!(resource_name("watch-9000", "Table"), "watch-9000-table");
        assert_eq!(resource_name("p", "InboundDeadLetterQueue"), "p-inbound-dlq");
        assert_eq!(resource_name("p", "AutoReplyScheduleGroup"), "p-autoreplies");
        assert_eq!(resource_name("p", "OutboundQueue"), "p-outbound-queue");
    }

    #[test]
    fn the_environment_is_the_one_the_functions_read() {
        let template = StackTemplate::repository().expect("template");
        let created = Created {
            refs: [
                "Table",
                "InboundQueue",
                "InboundDeadLetterQueue",
                "AutoReplyScheduleGroup",
                "UserPool",
                "WebUiClient",
            ]
            .into_iter()
            .map(|id| (id.to_owned(), resource_name("p", id)))
            .collect(),
        };
        let mut names: Vec<String> = template.environment(&created).into_iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "AUTOREPLY_TARGET_ARN",
                "COGNITO_CLIENT_ID",
                "COGNITO_DOMAIN_URL",
                "COGNITO_REGION",
                "COGNITO_USER_POOL_ID",
                "INBOUND_DEAD_LETTER_QUEUE_URL",
                "INBOUND_QUEUE_URL",
                "SCHEDULER_GROUP",
                "SCHEDULER_ROLE_ARN",
                "TABLE_NAME"
            ]
        );
    }
}
