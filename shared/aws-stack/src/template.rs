//! Reading the SAM template: the resources a local endpoint must hold (every DynamoDB table, SQS
//! queue, EventBridge Scheduler schedule group, Cognito user pool with its app clients and
//! domains), with the properties that shape them, and the functions' environment variables that
//! name them. CloudFormation's short-form tags (`!Ref`,
//! `!GetAtt`, `!Sub`, ...) and their long forms (`Ref:`, `Fn::GetAtt:`) both parse.
//!
//! A property this module does not know fails the reading, rather than being left out of what
//! gets created: the local resources cannot silently drift from the template. Properties that
//! change nothing a local run can observe (backups, encryption, tags) are accepted and not applied.

mod cognito;
pub mod wiring;

pub use cognito::{
    AttributeSpec, LOCAL_PARAMETERS, PasswordPolicySpec, UserPoolClientSpec, UserPoolDomainSpec, UserPoolSpec,
};

use serde_yaml_ng::{Mapping, Value};
use std::path::Path;

/// `infra/template.yaml`, as it was when this crate was built.
const REPOSITORY_TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// The resource types that are created locally.
const TABLE: &str = "AWS::DynamoDB::Table";
const QUEUE: &str = "AWS::SQS::Queue";
const SCHEDULE_GROUP: &str = "AWS::Scheduler::ScheduleGroup";
const USER_POOL: &str = "AWS::Cognito::UserPool";
const USER_POOL_CLIENT: &str = "AWS::Cognito::UserPoolClient";
const USER_POOL_DOMAIN: &str = "AWS::Cognito::UserPoolDomain";
/// The function types whose `Environment.Variables` are read.
const FUNCTIONS: [&str; 2] = ["AWS::Serverless::Function", "AWS::Lambda::Function"];

/// Properties accepted and not applied: locally they change nothing observable, or the name is
/// the caller's (resources are named after a prefix).
const TABLE_NOT_APPLIED: [&str; 6] = [
    "TableName",
    "PointInTimeRecoverySpecification",
    "SSESpecification",
    "DeletionProtectionEnabled",
    "ContributorInsightsSpecification",
    "Tags",
];
const QUEUE_NOT_APPLIED: [&str; 5] = [
    "QueueName",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "Tags",
];
const GROUP_NOT_APPLIED: [&str; 2] = ["Name", "Tags"];
/// Queue properties that are SQS attributes of the same name, with a number for a value.
const QUEUE_ATTRIBUTES: [&str; 5] = [
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
];

/// The stateful part of a SAM template.
#[derive(Clone, Debug, PartialEq)]
pub struct StackTemplate {
    /// The DynamoDB tables, in template order.
    pub tables: Vec<TableSpec>,
    /// The SQS queues, in template order.
    pub queues: Vec<QueueSpec>,
    /// The logical ids of the schedule groups, in template order.
    pub schedule_groups: Vec<String>,
    /// The Cognito user pools, their app clients and their domains, in template order.
    pub user_pools: Vec<UserPoolSpec>,
    pub user_pool_clients: Vec<UserPoolClientSpec>,
    pub user_pool_domains: Vec<UserPoolDomainSpec>,
    /// Every function environment variable whose value is `!Ref` of another resource: (variable,
    /// logical id), Globals first, then each function's, each variable once.
    pub references: Vec<(String, String)>,
    /// Every environment variable the functions read, in the same order.
    pub variables: Vec<String>,
}

/// A DynamoDB table as the template declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    /// `PAY_PER_REQUEST` or `PROVISIONED` (DynamoDB's default when absent).
    pub billing_mode: Option<String>,
    /// (attribute name, `S`/`N`/`B`).
    pub attributes: Vec<(String, String)>,
    /// (attribute name, `HASH`/`RANGE`).
    pub key_schema: Vec<(String, String)>,
    pub global_secondary_indexes: Vec<IndexSpec>,
    /// (read, write) capacity units, for a provisioned table.
    pub throughput: Option<(i64, i64)>,
    /// The time-to-live attribute and whether it is enabled.
    pub time_to_live: Option<(String, bool)>,
    /// The stream's view type (`NEW_AND_OLD_IMAGES`, ...), when the table has a stream.
    pub stream_view_type: Option<String>,
}

/// A global secondary index.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// The attributes an `INCLUDE` projection adds.
    pub non_key_attributes: Vec<String>,
    pub throughput: Option<(i64, i64)>,
}

/// An SQS queue as the template declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    /// SQS attributes (name, value), e.g. `VisibilityTimeout`.
    pub attributes: Vec<(String, String)>,
    pub redrive: Option<Redrive>,
}

/// Where a queue's messages go after too many receives.
#[derive(Clone, Debug, PartialEq)]
pub struct Redrive {
    /// The logical id of the dead-letter queue.
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

impl StackTemplate {
    /// The repository's `infra/template.yaml` (embedded at build time).
    pub fn repository() -> Result<Self, String> {
        Self::parse(REPOSITORY_TEMPLATE).map_err(|e| format!("infra/template.yaml: {e}"))
    }

    /// The template at `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A template's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        let resources = doc.get("Resources").and_then(Value::as_mapping).ok_or("no Resources")?;
        let mut template = StackTemplate {
            tables: Vec::new(),
            queues: Vec::new(),
            schedule_groups: Vec::new(),
            user_pools: Vec::new(),
            user_pool_clients: Vec::new(),
            user_pool_domains: Vec::new(),
            references: Vec::new(),
            variables: Vec::new(),
        };
        let empty = Value::Mapping(Mapping::new());
        let mut environments = Vec::new();
        if let Some(globals) = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
        {
            environments.push(globals);
        }
        for (id, resource) in resources {
            let id = id.as_str().ok_or("a resource id is not a string")?;
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{id}: no Type"))?;
            let properties = resource.get("Properties").unwrap_or(&empty);
            let at = |e: String| format!("{id}: {e}");
            match kind {
                TABLE => template.tables.push(table(id, properties).map_err(at)?),
                QUEUE => template.queues.push(queue(id, properties).map_err(at)?),
                SCHEDULE_GROUP => {
                    only_known(properties, &[], &GROUP_NOT_APPLIED).map_err(at)?;
                    template.schedule_groups.push(id.to_owned());
                }
                USER_POOL => template
                    .user_pools
                    .push(cognito::user_pool(id, properties).map_err(at)?),
                USER_POOL_CLIENT => template
                    .user_pool_clients
                    .push(cognito::user_pool_client(id, properties).map_err(at)?),
                USER_POOL_DOMAIN => template
                    .user_pool_domains
                    .push(cognito::user_pool_domain(id, properties).map_err(at)?),
                kind if FUNCTIONS.contains(&kind) => {
                    if let Some(environment) = properties.get("Environment") {
                        environments.push(environment);
                    }
                }
                _ => {}
            }
        }
        for environment in environments {
            let Some(variables) = environment.get("Variables").and_then(Value::as_mapping) else {
                continue;
            };
            for (name, value) in variables {
                let name = name.as_str().ok_or("a variable name is not a string")?;
                if template.variables.iter().any(|v| v == name) {
                    continue;
                }
                template.variables.push(name.to_owned());
                if let Some(("Ref", Value::String(target))) = intrinsic(value)
                    && resources.contains_key(target.as_str())
                {
                    template.references.push((name.to_owned(), target.clone()));
                }
            }
        }
        let is_queue = |id: &str| template.queues.iter().any(|q| q.logical_id == id);
        if let Some((queue, redrive)) = template.queues.iter().find_map(|q| {
            q.redrive
                .as_ref()
                .map(|r| (q, r))
                .filter(|(_, r)| !is_queue(&r.dead_letter_queue))
        }) {
            return Err(format!(
                "{}: the dead-letter queue {} is not a queue of the template",
                queue.logical_id, redrive.dead_letter_queue
            ));
        }
        let is_pool = |id: &str| template.user_pools.iter().any(|p| p.logical_id == id);
        let pools_of = template
            .user_pool_clients
            .iter()
            .map(|c| (&c.logical_id, &c.user_pool))
            .chain(template.user_pool_domains.iter().map(|d| (&d.logical_id, &d.user_pool)));
        for (id, pool) in pools_of {
            if !is_pool(pool) {
                return Err(format!("{id}: the user pool {pool} is not a user pool of the template"));
            }
        }
        Ok(template)
    }

    /// The one table, for a template that declares exactly one.
    pub fn table(&self) -> Result<&TableSpec, String> {
        match self.tables.as_slice() {
            [table] => Ok(table),
            tables => Err(format!("the template declares {} tables, not one", tables.len())),
        }
    }

    /// The queue `logical_id`.
    pub fn queue(&self, logical_id: &str) -> Result<&QueueSpec, String> {
        self.queues
            .iter()
            .find(|q| q.logical_id == logical_id)
            .ok_or_else(|| format!("the template declares no queue {logical_id}"))
    }

    /// The same template with every redrive policy's `maxReceiveCount` set to `count` (tests that
    /// need dead letters sooner).
    pub fn with_max_receive_count(mut self, count: u32) -> Self {
        for redrive in self.queues.iter_mut().filter_map(|q| q.redrive.as_mut()) {
            redrive.max_receive_count = count;
        }
        self
    }
}

/// A CloudFormation intrinsic function: its name without `Fn::` and its argument, in either form
/// (`!GetAtt X.Arn` or `Fn::GetAtt: [X, Arn]`).
pub(crate) fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let name = [
                "Ref",
                "GetAtt",
                "Sub",
                "Join",
                "Select",
                "If",
                "ImportValue",
                "FindInMap",
            ]
            .into_iter()
            .find(|n| *n == name)?;
            Some((name, &tagged.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (key, argument) = m.iter().next()?;
            let key = key.as_str()?;
            let name = key.strip_prefix("Fn::").unwrap_or(key);
            (key == "Ref" || key.starts_with("Fn::")).then_some((name, argument))
        }
        _ => None,
    }
}

/// Fails on a property that is neither applied nor known to be safe to leave out.
fn only_known(properties: &Value, applied: &[&str], not_applied: &[&str]) -> Result<(), String> {
    let Some(properties) = properties.as_mapping() else {
        return Err("Properties is not a mapping".into());
    };
    for key in properties.keys() {
        let key = key.as_str().unwrap_or_default();
        if !applied.contains(&key) && !not_applied.contains(&key) {
            return Err(format!("property {key} is not supported locally"));
        }
    }
    Ok(())
}

fn string(value: &Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!("{what} is not a literal value")),
    }
}

fn field(value: &Value, name: &str) -> Result<String, String> {
    string(value.get(name).ok_or_else(|| format!("no {name}"))?, name)
}

fn list<'a>(value: &'a Value, name: &str) -> Result<&'a [Value], String> {
    match value.get(name) {
        None => Ok(&[]),
        Some(Value::Sequence(items)) => Ok(items),
        Some(_) => Err(format!("{name} is not a list")),
    }
}

fn pairs(value: &Value, list_name: &str, first: &str, second: &str) -> Result<Vec<(String, String)>, String> {
    list(value, list_name)?
        .iter()
        .map(|item| Ok((field(item, first)?, field(item, second)?)))
        .collect()
}

fn integer(value: &Value, what: &str) -> Result<i64, String> {
    string(value, what)?
        .parse()
        .map_err(|_| format!("{what} is not an integer"))
}

fn throughput(value: &Value) -> Result<Option<(i64, i64)>, String> {
    let Some(t) = value.get("ProvisionedThroughput") else {
        return Ok(None);
    };
    let units = |name: &str| integer(t.get(name).ok_or_else(|| format!("no {name}"))?, name);
    Ok(Some((units("ReadCapacityUnits")?, units("WriteCapacityUnits")?)))
}

fn table(id: &str, p: &Value) -> Result<TableSpec, String> {
    only_known(
        p,
        &[
            "BillingMode",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "ProvisionedThroughput",
            "TimeToLiveSpecification",
            "StreamSpecification",
        ],
        &TABLE_NOT_APPLIED,
    )?;
    let global_secondary_indexes = list(p, "GlobalSecondaryIndexes")?
        .iter()
        .map(|index| {
            let name = field(index, "IndexName")?;
            let at = |e: String| format!("index {name}: {e}");
            let projection = index
                .get("Projection")
                .ok_or("no Projection")
                .map_err(|e| at(e.into()))?;
            let non_key_attributes = list(projection, "NonKeyAttributes")
                .map_err(at)?
                .iter()
                .map(|a| string(a, "NonKeyAttributes"))
                .collect::<Result<_, _>>()
                .map_err(at)?;
            Ok(IndexSpec {
                key_schema: pairs(index, "KeySchema", "AttributeName", "KeyType").map_err(at)?,
                projection_type: field(projection, "ProjectionType").map_err(at)?,
                non_key_attributes,
                throughput: throughput(index).map_err(at)?,
                name,
            })
        })
        .collect::<Result<_, String>>()?;
    let time_to_live = match p.get("TimeToLiveSpecification") {
        None => None,
        Some(ttl) => Some((field(ttl, "AttributeName")?, field(ttl, "Enabled")? == "true")),
    };
    let stream_view_type = match p.get("StreamSpecification") {
        None => None,
        Some(stream) => {
            only_known(stream, &["StreamViewType"], &[]).map_err(|e| format!("StreamSpecification: {e}"))?;
            Some(field(stream, "StreamViewType").map_err(|e| format!("StreamSpecification: {e}"))?)
        }
    };
    Ok(TableSpec {
        logical_id: id.to_owned(),
        billing_mode: p.get("BillingMode").map(|b| string(b, "BillingMode")).transpose()?,
        attributes: pairs(p, "AttributeDefinitions", "AttributeName", "AttributeType")?,
        key_schema: pairs(p, "KeySchema", "AttributeName", "KeyType")?,
        global_secondary_indexes,
        throughput: throughput(p)?,
        time_to_live,
        stream_view_type,
    })
}

fn queue(id: &str, p: &Value) -> Result<QueueSpec, String> {
    let mut applied = QUEUE_ATTRIBUTES.to_vec();
    applied.push("RedrivePolicy");
    only_known(p, &applied, &QUEUE_NOT_APPLIED)?;
    let attributes = QUEUE_ATTRIBUTES
        .iter()
        .filter_map(|name| {
            p.get(*name)
                .map(|v| Ok(((*name).to_owned(), integer(v, name)?.to_string())))
        })
        .collect::<Result<_, String>>()?;
    let redrive = match p.get("RedrivePolicy") {
        None => None,
        Some(policy) => {
            only_known(policy, &["deadLetterTargetArn", "maxReceiveCount"], &[])
                .map_err(|e| format!("RedrivePolicy: {e}"))?;
            let target = policy
                .get("deadLetterTargetArn")
                .ok_or("RedrivePolicy: no deadLetterTargetArn")?;
            let dead_letter_queue = match intrinsic(target) {
                Some(("GetAtt", Value::String(s))) => s.strip_suffix(".Arn").map(str::to_owned),
                Some(("GetAtt", Value::Sequence(parts))) => match parts.as_slice() {
                    [Value::String(queue), Value::String(attribute)] if attribute == "Arn" => Some(queue.clone()),
                    _ => None,
                },
                _ => None,
            }
            .ok_or("RedrivePolicy: deadLetterTargetArn is not !GetAtt <queue>.Arn")?;
            let count = policy
                .get("maxReceiveCount")
                .ok_or("RedrivePolicy: no maxReceiveCount")?;
            Some(Redrive {
                dead_letter_queue,
                max_receive_count: u32::try_from(integer(count, "maxReceiveCount")?)
                    .map_err(|_| "maxReceiveCount is out of range")?,
            })
        }
    };
    Ok(QueueSpec {
        logical_id: id.to_owned(),
        attributes,
        redrive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
Globals:
  Function:
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        ROLE: !GetAtt Role.Arn
        TARGET: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: PK, AttributeType: S }
        - { AttributeName: G, AttributeType: N }
      KeySchema:
        - { AttributeName: PK, KeyType: HASH }
      GlobalSecondaryIndexes:
        - IndexName: ByG
          KeySchema:
            - { AttributeName: G, KeyType: HASH }
          Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [doc] }
      TimeToLiveSpecification: { AttributeName: expires_at, Enabled: true }
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }
  Dead:
    Type: AWS::SQS::Queue
  Main:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn:
          Fn::GetAtt: [Dead, Arn]
        maxReceiveCount: 3
  Group:
    Type: AWS::Scheduler::ScheduleGroup
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          QUEUE_URL: { Ref: Main }
          TABLE_NAME: !Ref Other
"#;

    #[test]
    fn reads_tables_queues_groups_and_references_in_both_tag_forms() {
        let t = StackTemplate::parse(SMALL).expect("parses");
        let table = t.table().expect("one table");
        assert_eq!(table.billing_mode.as_deref(), Some("PAY_PER_REQUEST"));
        assert_eq!(table.key_schema, [("PK".to_owned(), "HASH".to_owned())]);
        assert_eq!(table.attributes[1], ("G".to_owned(), "N".to_owned()));
        assert_eq!(table.global_secondary_indexes[0].projection_type, "INCLUDE");
        assert_eq!(table.global_secondary_indexes[0].non_key_attributes, ["doc"]);
        assert_eq!(table.time_to_live, Some(("expires_at".to_owned(), true)));
        let main = t.queue("Main").expect("queue");
        assert_eq!(main.attributes, [("VisibilityTimeout".to_owned(), "60".to_owned())]);
        assert_eq!(
            main.redrive,
            Some(Redrive {
                dead_letter_queue: "Dead".into(),
                max_receive_count: 3
            })
        );
        assert_eq!(t.schedule_groups, ["Group"]);
        // Globals first; a variable set twice keeps its first value.
        assert_eq!(
            t.references,
            [
                ("TABLE_NAME".to_owned(), "Table".to_owned()),
                ("QUEUE_URL".to_owned(), "Main".to_owned())
            ]
        );
        assert_eq!(t.variables, ["TABLE_NAME", "ROLE", "TARGET", "QUEUE_URL"]);
        let sooner = t.with_max_receive_count(1);
        assert_eq!(
            sooner
                .queue("Main")
                .ok()
                .and_then(|q| q.redrive.clone())
                .map(|r| r.max_receive_count),
            Some(1)
        );
    }

    #[test]
    fn an_unknown_property_fails_rather_than_being_left_out() {
        let text = SMALL.replace("      VisibilityTimeout: 60", "      FifoQueue: true");
        let e = StackTemplate::parse(&text).expect_err("FIFO is not supported");
        assert!(e.contains("Main") && e.contains("FifoQueue"), "{e}");
        let text = SMALL.replace(
            "      BillingMode: PAY_PER_REQUEST",
            "      KinesisStreamSpecification: {}",
        );
        assert!(StackTemplate::parse(&text).is_err());
    }

    #[test]
    fn a_redrive_to_something_else_than_a_queue_fails() {
        let text = SMALL.replace("Fn::GetAtt: [Dead, Arn]", "Fn::GetAtt: [Table, Arn]");
        assert!(StackTemplate::parse(&text).is_err());
    }

    #[test]
    fn the_repository_template_declares_the_table_the_queues_and_the_group() {
        let t = StackTemplate::repository().expect("infra/template.yaml parses");
        let table = t.table().expect("one table");
        assert_eq!(table.global_secondary_indexes.len(), 3);
        let inbound = t.queue("InboundQueue").expect("inbound queue");
        assert_eq!(
            inbound.redrive.as_ref().map(|r| r.dead_letter_queue.as_str()),
            Some("InboundDeadLetterQueue")
        );
        assert_eq!(t.schedule_groups, ["AutoReplyScheduleGroup"]);
        let referenced: Vec<&str> = t.references.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(
            referenced,
            [
                "TABLE_NAME",
                "SCHEDULER_GROUP",
                "COGNITO_USER_POOL_ID",
                "COGNITO_CLIENT_ID",
                "INBOUND_QUEUE_URL",
                "INBOUND_DEAD_LETTER_QUEUE_URL"
            ]
        );
    }
}
