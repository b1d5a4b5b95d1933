//! The workspace's WebSocket API (R-UI1, issue 17). API Gateway calls this one function in two
//! roles:
//!
//! - **the `$connect` authorizer** (a Lambda REQUEST authorizer: a browser cannot send headers on
//!   a WebSocket, and WebSocket APIs take no JWT authorizer). Its identity source is the query
//!   parameter `ticket`, a single-use ticket from `POST /v1/live/ticket`
//!   ([`services::live::Live::admit`]). It answers an IAM policy allowing the connection, with
//!   the tenant and the employee as the authorizer's context, or denying it (API Gateway then
//!   refuses the handshake with 403). WebSocket authorizers cache nothing, which a single-use
//!   ticket needs.
//! - **the routes' integration** (Lambda proxy): `$connect` remembers the connection for the
//!   tenant and employee of the authorizer's context, `$disconnect` forgets it, `$default`
//!   answers `{"action":"ping"}` with `{"type":"pong"}` (the browser pings every few minutes:
//!   API Gateway closes a connection idle for 10 minutes) and anything else with a 400 and a
//!   reason. Every route checks the authorizer's context before reading a body.
//!
//! The events are read with the few fields used, as API Gateway documents them ("Lambda
//! authorizer input format" for WebSocket APIs; the proxy integration's `requestContext`).
//! Nothing from outside is unwrapped: a malformed event is an error, a malformed ticket a deny.

use serde::Deserialize;
use serde_json::{Value, json};
use services::live::Live;
use std::collections::HashMap;

/// The authorizer's context keys, as the routes read them.
pub const TENANT: &str = "tenant";
pub const EMPLOYEE: &str = "employee";
/// When the session that asked for the ticket ends (epoch seconds; absent when unknown): the
/// connection ends then too.
pub const SESSION_ENDS_AT: &str = "session_ends_at";

/// What the `$connect` authorizer receives.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizerRequest {
    method_arn: String,
    #[serde(default)]
    query_string_parameters: Option<HashMap<String, String>>,
}

/// What a route's integration receives.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteRequest {
    request_context: RouteContext,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteContext {
    route_key: String,
    connection_id: String,
    /// The authorizer's context (and `principalId`), on every route of an authorized connection.
    #[serde(default)]
    authorizer: Option<HashMap<String, Value>>,
}

/// A message from the browser on `$default`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inbound {
    action: String,
}

/// An answer to a route (a proxy integration's response).
fn answer(status: u16, body: Option<Value>) -> Value {
    match body {
        Some(body) => json!({ "statusCode": status, "body": body.to_string() }),
        None => json!({ "statusCode": status }),
    }
}

fn refused(status: u16, code: &str, message: &str) -> Value {
    answer(status, Some(json!({ "error": code, "message": message })))
}

/// The authorizer's IAM policy for `resource`.
fn policy(allow: bool, principal: &str, resource: &str, context: Option<Value>) -> Value {
    let mut out = json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": if allow { "Allow" } else { "Deny" },
                "Resource": resource,
            }],
        },
    });
    if let (Some(context), Some(map)) = (context, out.as_object_mut()) {
        map.insert("context".into(), context);
    }
    out
}

/// One event from API Gateway: an authorizer request (`"type": "REQUEST"` with a `methodArn`)
/// or a route's.
pub async fn handle(live: &Live, event: Value) -> Result<Value, lambda_runtime::Error> {
    if event.get("type").and_then(Value::as_str) == Some("REQUEST") && event.get("methodArn").is_some() {
        let request: AuthorizerRequest =
            serde_json::from_value(event).map_err(|e| format!("unreadable authorizer request: {e}"))?;
        return authorize(live, request).await;
    }
    let request: RouteRequest = serde_json::from_value(event).map_err(|e| format!("unreadable route event: {e}"))?;
    route(live, request).await
}

async fn authorize(live: &Live, request: AuthorizerRequest) -> Result<Value, lambda_runtime::Error> {
    let ticket = request
        .query_string_parameters
        .as_ref()
        .and_then(|q| q.get("ticket"))
        .map(String::as_str)
        .unwrap_or_default();
    match live.admit(ticket).await.map_err(|e| e.to_string())? {
        Some(admitted) => {
            let (tenant, employee) = (&admitted.tenant, &admitted.employee);
            tracing::info!(tenant = %tenant, employee = %employee, "live connection admitted");
            let mut context = json!({ TENANT: tenant.as_str(), EMPLOYEE: employee.as_str() });
            if let Some(ends) = admitted.session_ends_at {
                context[SESSION_ENDS_AT] = json!(ends.timestamp());
            }
            Ok(policy(
                true,
                &format!("{tenant}/{employee}"),
                &request.method_arn,
                Some(context),
            ))
        }
        None => {
            tracing::info!("live connection refused: no valid ticket");
            Ok(policy(false, "anonymous", &request.method_arn, None))
        }
    }
}

/// Whom the authorizer admitted the connection for, and until when (API Gateway passes a
/// context number as a number or a string).
fn admitted(context: &RouteContext) -> Option<services::live::Admitted> {
    let authorizer = context.authorizer.as_ref()?;
    let field = |name: &str| authorizer.get(name).and_then(Value::as_str).map(str::to_owned);
    let session_ends_at = match authorizer.get(SESSION_ENDS_AT) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .and_then(|n| domain::DateTime::from_timestamp(n, 0))?,
        ),
    };
    Some(services::live::Admitted {
        tenant: domain::ids::TenantId::parse(field(TENANT)?).ok()?,
        employee: domain::ids::EmployeeId::parse(field(EMPLOYEE)?).ok()?,
        session_ends_at,
    })
}

async fn route(live: &Live, request: RouteRequest) -> Result<Value, lambda_runtime::Error> {
    let context = &request.request_context;
    let Some(services::live::Admitted {
        tenant,
        employee,
        session_ends_at,
    }) = admitted(context)
    else {
        return Ok(refused(403, "forbidden", "the connection was not admitted by a ticket"));
    };
    let id = context.connection_id.as_str();
    match context.route_key.as_str() {
        "$connect" => {
            live.connected(&tenant, &employee, id, session_ends_at)
                .await
                .map_err(|e| e.to_string())?;
            Ok(answer(200, None))
        }
        "$disconnect" => {
            live.disconnected(&tenant, id).await.map_err(|e| e.to_string())?;
            Ok(answer(200, None))
        }
        _ => {
            let body = request.body.as_deref().unwrap_or_default();
            match serde_json::from_str::<Inbound>(body) {
                Ok(Inbound { action }) if action == "ping" => Ok(answer(200, Some(json!({ "type": "pong" })))),
                Ok(_) => Ok(refused(400, "bad_request", "the only action is \"ping\"")),
                Err(_) => Ok(refused(400, "bad_request", "send {\"action\":\"ping\"}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::configuration::Configuration;
    use adapters::ports::{ConfigKind, ConfigStore, LiveConnections, MemoryLive, SystemClock};
    use std::sync::Arc;

    async fn live() -> (Live, Arc<MemoryLive>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("dir");
        let config: Arc<dyn ConfigStore> =
            Arc::new(adapters::embedded::SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
        let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
        let doc = json!({"id": "anna", "name": "Анна", "user_id": "sub-anna"});
        config
            .insert(&tenant, ConfigKind::Employee, "anna", &doc.to_string())
            .await
            .expect("employee");
        let memory = Arc::new(MemoryLive::default());
        let live = Live {
            connections: memory.clone(),
            config: Configuration::new(config),
            clock: Arc::new(SystemClock),
        };
        (live, memory, dir)
    }

    const METHOD_ARN: &str = "arn:aws:execute-api:eu-central-1:123456789012:abcdef1234/production/$connect";

    /// A WebSocket `$connect` authorizer request as API Gateway sends it (abridged).
    fn authorizer_request(ticket: Option<&str>) -> Value {
        let mut event = json!({
            "type": "REQUEST",
            "methodArn": METHOD_ARN,
            "headers": {"Host": "abcdef1234.execute-api.eu-central-1.amazonaws.com", "Sec-WebSocket-Version": "13"},
            "multiValueHeaders": {},
            "stageVariables": {},
            "requestContext": {
                "routeKey": "$connect", "eventType": "CONNECT", "extendedRequestId": "x", "requestTime": "29/Nov/2026:12:00:00 +0000",
                "messageDirection": "IN", "stage": "production", "connectedAt": 1764417600000_i64, "requestTimeEpoch": 1764417600000_i64,
                "requestId": "r1", "domainName": "abcdef1234.execute-api.eu-central-1.amazonaws.com",
                "connectionId": "L0SM9cOFvHcCIhw=", "apiId": "abcdef1234"
            }
        });
        if let Some(ticket) = ticket {
            event["queryStringParameters"] = json!({ "ticket": ticket });
        }
        event
    }

    /// A route's proxy event, with the authorizer's context when `admitted`.
    fn route_event(route_key: &str, body: Option<&str>, admitted: bool) -> Value {
        let mut event = json!({
            "requestContext": {
                "routeKey": route_key, "eventType": "MESSAGE", "messageDirection": "IN", "stage": "production",
                "connectedAt": 1764417600000_i64, "requestTimeEpoch": 1764417600000_i64, "requestId": "r2",
                "domainName": "abcdef1234.execute-api.eu-central-1.amazonaws.com",
                "connectionId": "L0SM9cOFvHcCIhw=", "apiId": "abcdef1234"
            },
            "isBase64Encoded": false
        });
        if admitted {
            event["requestContext"]["authorizer"] =
                json!({"principalId": "acme/anna", "tenant": "acme", "employee": "anna", "integrationLatency": 12});
        }
        if let Some(body) = body {
            event["body"] = json!(body);
        }
        event
    }

    #[tokio::test]
    async fn the_authorizer_admits_a_ticket_once_with_tenant_and_employee_as_context() {
        let (live, _, _dir) = live().await;
        let person = services::desk::Person {
            tenant: domain::ids::TenantId::parse("acme").expect("tenant"),
            user: "sub-anna".into(),
            role: domain::access::Role::Operator,
        };
        let ticket = live.issue_ticket(&person, None).await.expect("ticket");
        let allowed = handle(&live, authorizer_request(Some(&ticket))).await.expect("answer");
        assert_eq!(allowed["principalId"], "acme/anna");
        assert_eq!(allowed["context"], json!({"tenant": "acme", "employee": "anna"}));
        assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(allowed["policyDocument"]["Statement"][0]["Resource"], METHOD_ARN);
        for event in [
            authorizer_request(Some(&ticket)),
            authorizer_request(None),
            authorizer_request(Some("garbage")),
        ] {
            let denied = handle(&live, event).await.expect("answer");
            assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
            assert!(denied.get("context").is_none());
        }
    }

    #[tokio::test]
    async fn a_connection_lasts_as_long_as_the_session_of_its_ticket() {
        let (live, memory, _dir) = live().await;
        let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
        let person = services::desk::Person {
            tenant: tenant.clone(),
            user: "sub-anna".into(),
            role: domain::access::Role::Operator,
        };
        let ends = domain::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 900, 0).expect("instant");
        let ticket = live.issue_ticket(&person, Some(ends)).await.expect("ticket");
        let request = json!({"type": "REQUEST", "methodArn": "arn:aws:execute-api:eu-central-1:1:api/live/$connect",
            "queryStringParameters": {"ticket": ticket}});
        let policy = handle(&live, request).await.expect("policy");
        assert_eq!(policy["context"][SESSION_ENDS_AT], json!(ends.timestamp()));
        // API Gateway hands the context to the route (a number may come as a string).
        let mut connect = route_event("$connect", None, true);
        connect["requestContext"]["authorizer"][SESSION_ENDS_AT] = json!(ends.timestamp().to_string());
        assert_eq!(
            handle(&live, connect).await.expect("answer"),
            json!({"statusCode": 200})
        );
        let listed = memory.of_tenant(&tenant).await.expect("list");
        assert_eq!(listed.iter().map(|c| c.expires_at).collect::<Vec<_>>(), [ends]);
    }

    #[tokio::test]
    async fn connect_and_disconnect_keep_the_connection_of_the_admitted_tenant() {
        let (live, memory, _dir) = live().await;
        let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
        assert_eq!(
            handle(&live, route_event("$connect", None, true))
                .await
                .expect("answer"),
            json!({"statusCode": 200})
        );
        let listed = memory.of_tenant(&tenant).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].id.as_str(), listed[0].employee.as_str()),
            ("L0SM9cOFvHcCIhw=", "anna")
        );
        handle(&live, route_event("$disconnect", None, true))
            .await
            .expect("answer");
        assert!(memory.of_tenant(&tenant).await.expect("list").is_empty());
        let refused = handle(&live, route_event("$connect", None, false))
            .await
            .expect("answer");
        assert_eq!(refused["statusCode"], 403);
        assert!(memory.of_tenant(&tenant).await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn default_answers_a_ping_and_explains_anything_else() {
        let (live, _, _dir) = live().await;
        let pong = handle(&live, route_event("$default", Some(r#"{"action":"ping"}"#), true))
            .await
            .expect("answer");
        assert_eq!(pong, json!({"statusCode": 200, "body": r#"{"type":"pong"}"#}));
        for body in [
            Some(r#"{"action":"dance"}"#),
            Some("not json"),
            None,
            Some(r#"{"action":"ping","x":1}"#),
        ] {
            let bad = handle(&live, route_event("$default", body, true))
                .await
                .expect("answer");
            assert_eq!(bad["statusCode"], 400, "{body:?}");
            let said: Value = serde_json::from_str(bad["body"].as_str().expect("body")).expect("json");
            assert_eq!(said["error"], "bad_request");
        }
        // Not admitted: refused before the body is read.
        let refused = handle(&live, route_event("$default", Some(r#"{"action":"ping"}"#), false))
            .await
            .expect("answer");
        assert_eq!(refused["statusCode"], 403);
        // Not an event of API Gateway at all.
        assert!(handle(&live, json!({"hello": 1})).await.is_err());
    }
}
