//! Live updates on AWS (R-UI1, issue 17), on moto: a conversation written through the DynamoDB
//! store becomes records of the table's stream (read from moto with `dynamodbstreams`
//! GetShardIterator/GetRecords and handed to the push function as Lambda would); the push
//! function sends the expected JSON to the tenant's connections and to no other tenant's, and
//! forgets a gone connection. Tickets (through the DynamoDB store and the authorizer function) are
//! single use, expire, and open nothing in another tenant; the authorizer's answer carries tenant
//! and employee, which `$connect` stores. The `LiveConnections` contract runs on DynamoDB.
//! Needs moto at `AWS_ENDPOINT_URL` (`tests/scripts/with-moto.sh`, as `make test` runs).
//!
//! What moto (5.2.5) does not emulate, and how these tests stand in for it:
//! - It does not run a Lambda event source mapping on the stream (no Docker), nor apply its filter
//!   criteria: the test reads the stream itself and calls the push function's handler with the
//!   records (every record, so the handler's own filtering is what is checked).
//! - Its `GetRecords` records lack `eventSourceARN` (Lambda adds it): the test adds it.
//! - Its Management API (`apigatewaymanagementapi`) accepts `PostToConnection` for any connection
//!   id, keeps the data where no API reads it back, never answers 410 `GoneException`, and is
//!   routed only without a stage in the path. So what is pushed is checked on a stand-in of the
//!   Management API on loopback (records each post, answers 410 for gone connections), and one
//!   post and one delete go to moto's own to check the requests' shape is accepted.
//! - It keeps API Gateway v2 (WebSocket) APIs, routes and authorizers as resources but runs no
//!   WebSocket connection and invokes no authorizer: the authorizer and the routes are invoked
//!   here with the events API Gateway documents.
//! - Time to live never deletes items: the stores skip expired tickets and connections themselves.

use adapters::aws::{
    ApiGatewayPush, DynamoConfigStore, DynamoConversationStore, DynamoLiveConnections, dynamodb_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::ports::{
    Clock, ConfigKind, ConfigStore, ConversationStore, LiveConnection, LiveConnections, LivePush, ManualClock,
    PushError,
};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use domain::conversation::{Author, ClientRef, ClosingReason, Content, Conversation, Handler, Message, Opening};
use domain::ids::{ChannelId, ConversationId, EmployeeId, TenantId};
use serde_json::{Value, json};
use services::live::Live;
use std::sync::{Arc, Mutex};

fn id<T: TryFrom<String>>(s: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(s.to_owned()).expect("id")
}

fn unique() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos}-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

fn endpoint() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run under tests/scripts/with-moto.sh"
    );
    endpoint
}

/// The template's table on moto (with its stream), in a stack of its own.
async fn table() -> String {
    let _ = endpoint();
    let env: std::collections::HashMap<String, String> =
        aws_stack::create_stack_resources(&format!("live-{}", unique()))
            .await
            .expect("the template's resources")
            .into_iter()
            .collect();
    env.get("TABLE_NAME").cloned().expect("TABLE_NAME")
}

async fn employees(config: &dyn ConfigStore, tenant: &TenantId, ids: &[(&str, bool)]) {
    for (employee, disabled) in ids {
        let doc = json!({"id": employee, "name": employee, "user_id": format!("sub-{employee}"), "disabled": disabled});
        config
            .insert(tenant, ConfigKind::Employee, employee, &doc.to_string())
            .await
            .expect("employee");
    }
}

/// One call of the DynamoDB Streams API on moto (no SDK client for it in the workspace; moto
/// reads the service from the credential scope and does not check signatures).
async fn streams(action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint())
        .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261129/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("moto answers");
    assert!(response.status().is_success(), "{action}: {}", response.status());
    response.json().await.expect("JSON")
}

/// Reads the table's stream from where it is now: `next()` gives the records written since, as
/// the batch Lambda would hand the push function.
struct StreamReader {
    arn: String,
    iterator: String,
}

impl StreamReader {
    async fn at_latest(table: &str) -> Self {
        let described = dynamodb_client_from_env()
            .await
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe");
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream, as the template says")
            .to_owned();
        let stream = streams("DescribeStream", json!({ "StreamArn": arn })).await;
        let shard = stream["StreamDescription"]["Shards"][0]["ShardId"]
            .as_str()
            .expect("a shard")
            .to_owned();
        let iterator = streams(
            "GetShardIterator",
            json!({ "StreamArn": arn, "ShardId": shard, "ShardIteratorType": "LATEST" }),
        )
        .await["ShardIterator"]
            .as_str()
            .expect("iterator")
            .to_owned();
        Self { arn, iterator }
    }

    async fn next(&mut self) -> aws_lambda_events::event::dynamodb::Event {
        let out = streams("GetRecords", json!({ "ShardIterator": self.iterator })).await;
        if let Some(next) = out["NextShardIterator"].as_str() {
            self.iterator = next.to_owned();
        }
        let mut records = out["Records"].as_array().cloned().unwrap_or_default();
        for record in &mut records {
            record["eventSourceARN"] = json!(self.arn);
        }
        serde_json::from_value(json!({ "Records": records })).expect("the records read as Lambda's stream event")
    }
}

/// A stand-in for API Gateway's Management API of one stage (`/live`): records each post, and
/// answers 410 `GoneException` for the connections in `gone`.
#[derive(Clone, Default)]
struct ManagementApi {
    posted: Arc<Mutex<Vec<(String, String)>>>,
    deleted: Arc<Mutex<Vec<String>>>,
    gone: Arc<Vec<String>>,
}

impl ManagementApi {
    fn posted_to(&self, connection: &str) -> Vec<String> {
        self.posted
            .lock()
            .expect("lock")
            .iter()
            .filter(|(c, _)| c == connection)
            .map(|(_, body)| body.clone())
            .collect()
    }
}

fn gone() -> Response {
    (
        http::StatusCode::GONE,
        [
            ("x-amzn-errortype", "GoneException"),
            ("content-type", "application/json"),
        ],
        r#"{"message":"The connection is gone"}"#,
    )
        .into_response()
}

async fn post_to_connection(State(api): State<ManagementApi>, Path(id): Path<String>, body: String) -> Response {
    if api.gone.contains(&id) {
        return gone();
    }
    api.posted.lock().expect("lock").push((id, body));
    http::StatusCode::OK.into_response()
}

async fn delete_connection(State(api): State<ManagementApi>, Path(id): Path<String>) -> Response {
    if api.gone.contains(&id) {
        return gone();
    }
    api.deleted.lock().expect("lock").push(id);
    http::StatusCode::NO_CONTENT.into_response()
}

/// Serves `api` on loopback; its stage endpoint.
async fn serve(api: ManagementApi) -> String {
    let app = axum::Router::new()
        .route(
            "/live/@connections/{id}",
            axum::routing::post(post_to_connection).delete(delete_connection),
        )
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/live")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn conversation(id: &str, channel: &str) -> Conversation {
    Conversation::open(Opening {
        id: ConversationId::parse(id).expect("id"),
        channel_id: ChannelId::parse(channel).expect("id"),
        chat_id: format!("u2i-{id}"),
        handler: Handler::GeneralQueue,
        client: ClientRef::default(),
        listing: None,
        at: at("2026-11-29T10:00:00Z"),
        last_activity_at: at("2026-11-29T10:00:00Z"),
        waiting_since: None,
        candidate: None,
        auto_close_after: Default::default(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_written_reaches_its_tenants_connections_through_the_stream() {
    // Arrange: two tenants, their employees and open connections; one of them gone.
    let table = table().await;
    let dynamodb = dynamodb_client_from_env().await;
    let config: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let connections = Arc::new(DynamoLiveConnections::new(dynamodb.clone(), table.clone()));
    let conversations = DynamoConversationStore::new(dynamodb.clone(), table.clone());
    let (acme, other): (TenantId, TenantId) = (id("acme"), id("other"));
    employees(config.as_ref(), &acme, &[("anna", false), ("boris", false)]).await;
    employees(config.as_ref(), &other, &[("oleg", false)]).await;
    let far = Utc::now() + TimeDelta::hours(2);
    for (tenant, connection, employee) in [
        (&acme, "Anna+1/x=", "anna"),
        (&acme, "Boris-gone=", "boris"),
        (&other, "Oleg=", "oleg"),
    ] {
        connections
            .add(
                tenant,
                &LiveConnection {
                    id: connection.to_owned(),
                    employee: id(employee),
                    expires_at: far,
                },
            )
            .await
            .expect("connection");
    }
    let api = ManagementApi {
        gone: Arc::new(vec!["Boris-gone=".to_owned()]),
        ..ManagementApi::default()
    };
    let sender = ApiGatewayPush::from_env(&serve(api.clone()).await).await;
    let live = Live {
        connections: connections.clone(),
        config: Configuration::new(Arc::clone(&config)),
        clock: Arc::new(adapters::ports::SystemClock),
    };
    let mut stream = StreamReader::at_latest(&table).await;

    // Act: the conversation's life, as the use cases write it: opened in the general queue, a
    // client's message that also gives it to Anna, a topic, closed.
    let opened = conversation("c1", "ch1");
    conversations.open(&acme, &opened).await.expect("open");
    let current = conversations
        .get(&acme, &opened.id)
        .await
        .expect("read")
        .expect("there");
    let message = Message {
        id: "m1".into(),
        conversation_id: opened.id.clone(),
        author: Author::Client,
        content: Content::Text {
            text: "Здравствуйте".into(),
        },
        created_at: at("2026-11-29T10:01:00Z"),
        delivery: None,
    };
    let mut next = current.value.clone().with_message(&message);
    next.handler = Handler::Operator {
        employee_id: id::<EmployeeId>("anna"),
    };
    assert!(
        conversations
            .add_message(&acme, &current, &next, &message)
            .await
            .expect("message")
    );
    let current = conversations
        .get(&acme, &opened.id)
        .await
        .expect("read")
        .expect("there");
    let mut topic = current.value.clone();
    topic.topic = Some("Доставка".into());
    conversations.save(&acme, &current, &topic).await.expect("save");
    let current = conversations
        .get(&acme, &opened.id)
        .await
        .expect("read")
        .expect("there");
    let closed = current.value.clone().closed(
        at("2026-11-29T10:05:00Z"),
        ClosingReason::Completed {
            employee_id: Some(id("anna")),
        },
    );
    conversations.close(&acme, &current, &closed).await.expect("close");
    let batch = stream.next().await;
    let report = live_push::handle(&live, &sender, &batch).await.expect("pushed");

    // Assert: the stream holds every item written (pointers, counters, the dedupe key, the
    // message); exactly the conversation's four changes reach Anna's connection, none the other
    // tenant's, and the gone connection is forgotten.
    assert!(batch.records.len() > 4, "{} records", batch.records.len());
    let expected = [
        r#"{"conversation_id":"c1","change":"opened","handler":{"type":"general_queue"}}"#,
        r#"{"conversation_id":"c1","change":"message","handler":{"type":"operator","employee_id":"anna"},"previous_handler":{"type":"general_queue"},"message_author":{"type":"client"}}"#,
        r#"{"conversation_id":"c1","change":"updated","handler":{"type":"operator","employee_id":"anna"}}"#,
        r#"{"conversation_id":"c1","change":"closed","handler":{"type":"operator","employee_id":"anna"}}"#,
    ];
    assert_eq!(api.posted_to("Anna+1/x="), expected);
    assert!(
        api.posted_to("Oleg=").is_empty(),
        "another tenant's connection heard nothing"
    );
    assert!(api.posted_to("Boris-gone=").is_empty());
    assert_eq!((report.sent, report.gone, report.closed, report.failed), (4, 1, 0, 0));
    let left: Vec<String> = connections
        .of_tenant(&acme)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left, ["Anna+1/x="]);
    // The push's own writes (a connection forgotten) are stream records that tell nothing.
    let after = stream.next().await;
    assert!(!after.records.is_empty());
    assert!(adapters::aws::dynamodb_stream::changes_of_records(&after.records).is_empty());
}

#[tokio::test]
async fn moto_accepts_the_management_apis_requests() {
    // moto serves the Management API only without a stage in the path.
    let sender = ApiGatewayPush::from_env(&endpoint()).await;
    sender.post("Abc=", r#"{"change":"opened"}"#).await.expect("posted");
    match sender.close("Abc=").await {
        Ok(()) | Err(PushError::Gone) => {}
        Err(e) => panic!("{e}"),
    }
}

/// The authorizer's answer to a `$connect` with `ticket`.
async fn authorize(live: &Live, ticket: &str) -> Value {
    let event = json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "queryStringParameters": {"ticket": ticket},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "Cn1=", "apiId": "abc123", "stage": "live"}
    });
    live_socket::handle(live, event).await.expect("the authorizer answers")
}

fn effect(answer: &Value) -> &str {
    answer["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_ticket_admits_once_within_a_minute_in_its_own_tenant_and_connect_keeps_the_connection() {
    let table = table().await;
    let dynamodb = dynamodb_client_from_env().await;
    let config: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let connections = Arc::new(DynamoLiveConnections::new(dynamodb.clone(), table.clone()));
    let (acme, other): (TenantId, TenantId) = (id("acme"), id("other"));
    employees(config.as_ref(), &acme, &[("anna", false)]).await;
    employees(config.as_ref(), &other, &[("anna", false)]).await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let live = Live {
        connections: connections.clone(),
        config: Configuration::new(Arc::clone(&config)),
        clock: clock.clone(),
    };
    let anna = |tenant: &TenantId| services::desk::Person {
        tenant: tenant.clone(),
        user: "sub-anna".into(),
        role: domain::access::Role::Operator,
    };

    // Only the digest is stored.
    let ticket = live.issue_ticket(&anna(&acme), None).await.expect("ticket");
    let (_, secret) = ticket.split_once('.').expect("tenant.secret");
    let stored = dynamodb
        .query()
        .table_name(&table)
        .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S("T#acme".into()))
        .expression_attribute_values(
            ":prefix",
            aws_sdk_dynamodb::types::AttributeValue::S("LIVETICKET#".into()),
        )
        .send()
        .await
        .expect("query");
    assert_eq!(stored.items().len(), 1);
    assert!(
        !format!("{:?}", stored.items()).contains(secret),
        "the secret itself is not stored"
    );

    // Presented as another tenant's (where the same employee id exists): refused.
    let forged = ticket.replacen("acme.", "other.", 1);
    assert_eq!(effect(&authorize(&live, &forged).await), "Deny");
    // Its own: admitted once, with tenant and employee as the context.
    let admitted = authorize(&live, &ticket).await;
    assert_eq!(effect(&admitted), "Allow");
    assert_eq!(admitted["context"], json!({"tenant": "acme", "employee": "anna"}));
    assert_eq!(effect(&authorize(&live, &ticket).await), "Deny", "single use");
    // Expired after 60 seconds.
    let late = live.issue_ticket(&anna(&acme), None).await.expect("ticket");
    clock.advance(TimeDelta::seconds(61));
    assert_eq!(effect(&authorize(&live, &late).await), "Deny", "expired");

    // `$connect` with the authorizer's context keeps the connection for 2 hours; `$disconnect`
    // forgets it.
    let route = |route_key: &str| {
        json!({
            "requestContext": {
                "routeKey": route_key, "connectionId": "Cn1=", "apiId": "abc123", "stage": "live",
                "authorizer": {"principalId": "acme/anna", "tenant": "acme", "employee": "anna"}
            }
        })
    };
    let connected = live_socket::handle(&live, route("$connect")).await.expect("answer");
    assert_eq!(connected, json!({"statusCode": 200}));
    let kept = connections.of_tenant(&acme).await.expect("list");
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].id.as_str(), kept[0].employee.as_str()), ("Cn1=", "anna"));
    assert_eq!(
        kept[0].expires_at.timestamp(),
        (clock.now() + TimeDelta::hours(2)).timestamp()
    );
    assert!(connections.of_tenant(&other).await.expect("list").is_empty());
    live_socket::handle(&live, route("$disconnect")).await.expect("answer");
    assert!(connections.of_tenant(&acme).await.expect("list").is_empty());
}

mod contract {
    use super::*;

    async fn dynamodb_live() -> Arc<dyn LiveConnections> {
        let table = table().await;
        Arc::new(DynamoLiveConnections::new(dynamodb_client_from_env().await, table))
    }

    adapters::live_connections_contract!(dynamodb_live());
}
