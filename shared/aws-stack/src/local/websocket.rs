//! API Gateway's WebSocket API on this machine, from the template's `AWS::ApiGatewayV2::*`
//! resources: `GET /<stage>` opens a connection as API Gateway does (the REQUEST authorizer of
//! `$connect` with its identity source, then the `$connect` route; a refusal answers the
//! handshake with 401, 403 or the route's status), each message picks its route by the route
//! selection expression (`$request.body.action`, else `$default`) and a route with a route
//! response sends its integration's answer back, and a closed socket calls `$disconnect`. The
//! Management API (`POST`, `GET`, `DELETE /<stage>/@connections/{id}`) posts to, describes and
//! closes connections; an unknown connection is `410 GoneException`.
//!
//! Not played: the 2-hour connection limit and the 10-minute idle timeout, the 128 KB frame
//! limit, route request validation, binary frames (text only), throttling.

use super::lambda::{Invoked, LocalFunction};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// A route of the API, with the functions behind it.
pub struct LiveRoute {
    pub key: String,
    pub function: Arc<LocalFunction>,
    /// The REQUEST authorizer and the query parameters its identity source names.
    pub authorizer: Option<(Arc<LocalFunction>, Vec<String>)>,
    pub answers: bool,
}

/// A WebSocket API.
pub struct WebSocketApi {
    pub api_id: String,
    pub stage: String,
    pub region: String,
    pub account: String,
    /// The JSON field of a message that names its route (`action` for `$request.body.action`).
    pub selection_field: String,
    pub routes: Vec<LiveRoute>,
    connections: Mutex<HashMap<String, Connection>>,
}

struct Connection {
    to_client: mpsc::UnboundedSender<Message>,
    connected_at: chrono::DateTime<chrono::Utc>,
    last_active_at: chrono::DateTime<chrono::Utc>,
    user_agent: String,
}

fn context(
    api: &WebSocketApi,
    route_key: &str,
    event_type: &str,
    id: &str,
    authorizer: &Value,
    connected_at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let now = chrono::Utc::now();
    let mut c = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid::Uuid::new_v4().to_string(),
        "requestTime": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": connected_at.timestamp_millis(),
        "requestTimeEpoch": now.timestamp_millis(),
        "identity": {"sourceIp": "127.0.0.1"},
        "requestId": uuid::Uuid::new_v4().to_string(),
        "domainName": "127.0.0.1",
        "connectionId": id,
        "apiId": api.api_id,
    });
    if !authorizer.is_null() {
        c["authorizer"] = authorizer.clone();
    }
    c
}

/// Whether an IAM policy document allows `execute-api:Invoke` on `arn`, as API Gateway reads an
/// authorizer's policy: an explicit `Deny` wins, else an `Allow` must match (`*` and `?` as
/// wildcards in actions and resources).
pub fn allows(document: &Value, arn: &str) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    let applies = |st: &Value| {
        list(&st["Action"]).iter().any(|a| glob(a, "execute-api:Invoke"))
            && list(&st["Resource"]).iter().any(|r| glob(r, arn))
    };
    let denied = statements.iter().any(|st| st["Effect"] == "Deny" && applies(st));
    let allowed = statements.iter().any(|st| st["Effect"] == "Allow" && applies(st));
    allowed && !denied
}

/// IAM's wildcard match: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn status_of(payload: &[u8]) -> (u16, Option<String>) {
    match serde_json::from_slice::<Value>(payload) {
        Ok(v) => (
            v.get("statusCode").and_then(Value::as_u64).unwrap_or(200) as u16,
            v.get("body").and_then(Value::as_str).map(str::to_owned),
        ),
        Err(_) => (200, None),
    }
}

impl WebSocketApi {
    pub fn new(
        api_id: String,
        stage: String,
        region: String,
        account: String,
        selection_expression: &str,
        routes: Vec<LiveRoute>,
    ) -> Result<Arc<Self>, String> {
        let selection_field = selection_expression
            .strip_prefix("$request.body.")
            .ok_or_else(|| format!("{selection_expression}: only $request.body.<field> is played"))?
            .to_owned();
        Ok(Arc::new(Self {
            api_id,
            stage,
            region,
            account,
            selection_field,
            routes,
            connections: Mutex::new(HashMap::new()),
        }))
    }

    /// The connections' and the Management API's routes (mounted where the API's address
    /// points).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{stage}", get(connect))
            .route(
                "/{stage}/@connections/{id}",
                post(post_to).get(describe).delete(disconnect_by_api),
            )
            .with_state(self)
    }

    fn route(&self, key: &str) -> Option<&LiveRoute> {
        self.routes.iter().find(|r| r.key == key)
    }

    async fn invoke_route(&self, key: &str, event: Value) -> Option<(u16, Option<String>)> {
        let route = self.route(key)?;
        match route.function.invoke(Bytes::from(event.to_string())).await {
            Invoked::Response(p) => Some(status_of(&p)),
            Invoked::FunctionError(e) => {
                tracing::warn!(route = key, error = %String::from_utf8_lossy(&e), "a WebSocket route failed");
                Some((500, None))
            }
            Invoked::Failed(e) => {
                tracing::warn!(route = key, error = %e, "a WebSocket route did not answer");
                Some((500, None))
            }
        }
    }

    /// Where to send to connection `id`, while it is open.
    fn sender(&self, id: &str) -> Option<mpsc::UnboundedSender<Message>> {
        self.connections
            .lock()
            .ok()
            .and_then(|c| c.get(id).map(|c| c.to_client.clone()))
    }

    fn forget(&self, id: &str) -> bool {
        self.connections
            .lock()
            .map(|mut c| c.remove(id).is_some())
            .unwrap_or(false)
    }
}

async fn connect(
    State(api): State<Arc<WebSocketApi>>,
    Path(stage): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if stage != api.stage {
        return (StatusCode::FORBIDDEN, "Forbidden").into_response();
    }
    let mut raw = [0u8; 12];
    if getrandom::getrandom(&mut raw).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id = base64::engine::general_purpose::STANDARD.encode(raw);
    let connected_at = chrono::Utc::now();
    let header_map: HashMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let multi = |m: &HashMap<String, String>| -> HashMap<String, Vec<String>> {
        m.iter().map(|(k, v)| (k.clone(), vec![v.clone()])).collect()
    };
    let mut authorizer = Value::Null;
    if let Some((function, sources)) = api.route("$connect").and_then(|r| r.authorizer.clone()) {
        // API Gateway refuses a handshake missing the identity source without asking.
        let present = sources
            .iter()
            .all(|s| match s.strip_prefix("route.request.querystring.") {
                Some(name) => query.get(name).is_some_and(|v| !v.is_empty()),
                None => match s.strip_prefix("route.request.header.") {
                    Some(name) => headers.contains_key(name),
                    None => true,
                },
            });
        if !present {
            return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        }
        let event = json!({
            "type": "REQUEST",
            "methodArn": format!("arn:aws:execute-api:{}:{}:{}/{}/$connect", api.region, api.account, api.api_id, api.stage),
            "headers": header_map,
            "multiValueHeaders": multi(&header_map),
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi(&query),
            "stageVariables": {},
            "requestContext": context(&api, "$connect", "CONNECT", &id, &Value::Null, connected_at),
        });
        let policy = match function.invoke(Bytes::from(event.to_string())).await {
            Invoked::Response(p) => serde_json::from_slice::<Value>(&p).unwrap_or(Value::Null),
            Invoked::FunctionError(e) if String::from_utf8_lossy(&e).contains("Unauthorized") => {
                return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
            }
            _ => return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
        };
        let method_arn = format!(
            "arn:aws:execute-api:{}:{}:{}/{}/$connect",
            api.region, api.account, api.api_id, api.stage
        );
        let allowed = allows(&policy["policyDocument"], &method_arn);
        if !allowed {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
        let mut ctx = policy.get("context").cloned().unwrap_or_else(|| json!({}));
        if let Some(map) = ctx.as_object_mut() {
            map.insert("principalId".into(), policy["principalId"].clone());
        }
        authorizer = ctx;
    }
    if api.route("$connect").is_some() {
        let mut event = json!({
            "headers": header_map,
            "multiValueHeaders": multi(&header_map),
            "requestContext": context(&api, "$connect", "CONNECT", &id, &authorizer, connected_at),
            "isBase64Encoded": false,
        });
        if !query.is_empty() {
            event["queryStringParameters"] = json!(query);
            event["multiValueQueryStringParameters"] = json!(multi(&query));
        }
        match api.invoke_route("$connect", event).await {
            Some((status, _)) if (200..300).contains(&status) => {}
            Some((status, _)) => {
                return StatusCode::from_u16(status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response();
            }
            None => {}
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let now = connected_at;
    if let Ok(mut c) = api.connections.lock() {
        c.insert(
            id.clone(),
            Connection {
                to_client: tx,
                connected_at: now,
                last_active_at: now,
                user_agent: header_map.get("user-agent").cloned().unwrap_or_default(),
            },
        );
    }
    upgrade.on_upgrade(move |socket| serve(api, id, authorizer, connected_at, socket, rx))
}

async fn serve(
    api: Arc<WebSocketApi>,
    id: String,
    authorizer: Value,
    connected_at: chrono::DateTime<chrono::Utc>,
    socket: WebSocket,
    mut to_client: mpsc::UnboundedReceiver<Message>,
) {
    let (mut sink, mut stream) = socket.split();
    let writer = tokio::spawn(async move {
        while let Some(m) = to_client.recv().await {
            let closing = matches!(m, Message::Close(_));
            if sink.send(m).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(t) => t.to_string(),
            Message::Close(_) => break,
            _ => continue,
        };
        if let Ok(mut c) = api.connections.lock()
            && let Some(conn) = c.get_mut(&id)
        {
            conn.last_active_at = chrono::Utc::now();
        }
        let selected = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get(&api.selection_field).and_then(Value::as_str).map(str::to_owned))
            .filter(|k| api.route(k).is_some())
            .unwrap_or_else(|| "$default".to_owned());
        let Some(route) = api.route(&selected) else {
            continue;
        };
        let answers = route.answers;
        let mut ctx = context(&api, &selected, "MESSAGE", &id, &authorizer, connected_at);
        ctx["messageId"] = json!(uuid::Uuid::new_v4().to_string());
        let event = json!({"requestContext": ctx, "body": text, "isBase64Encoded": false});
        if let Some((_, Some(body))) = api.invoke_route(&selected, event).await
            && answers
            && let Some(s) = api.sender(&id)
        {
            let _ = s.send(Message::Text(body.into()));
        }
    }
    api.forget(&id);
    writer.abort();
    let event = json!({"requestContext": context(&api, "$disconnect", "DISCONNECT", &id, &authorizer, connected_at), "isBase64Encoded": false});
    let _ = api.invoke_route("$disconnect", event).await;
}

fn gone() -> Response {
    (
        StatusCode::GONE,
        [
            ("x-amzn-errortype", "GoneException"),
            ("content-type", "application/json"),
        ],
        json!({"message": "the connection is gone"}).to_string(),
    )
        .into_response()
}

async fn post_to(State(api): State<Arc<WebSocketApi>>, Path((_, id)): Path<(String, String)>, body: Bytes) -> Response {
    let sender = api.sender(&id);
    match sender {
        Some(s)
            if s.send(Message::Text(String::from_utf8_lossy(&body).into_owned().into()))
                .is_ok() =>
        {
            StatusCode::OK.into_response()
        }
        _ => gone(),
    }
}

async fn describe(State(api): State<Arc<WebSocketApi>>, Path((_, id)): Path<(String, String)>) -> Response {
    let described = api.connections.lock().ok().and_then(|c| {
        c.get(&id).map(|c| {
            json!({
                "connectedAt": c.connected_at.to_rfc3339(),
                "lastActiveAt": c.last_active_at.to_rfc3339(),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": c.user_agent},
            })
        })
    });
    match described {
        Some(d) => axum::Json(d).into_response(),
        None => gone(),
    }
}

async fn disconnect_by_api(State(api): State<Arc<WebSocketApi>>, Path((_, id)): Path<(String, String)>) -> Response {
    let sender = api.sender(&id);
    match sender {
        Some(s) => {
            let _ = s.send(Message::Close(None));
            StatusCode::NO_CONTENT.into_response()
        }
        None => gone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorizers_policy_allows_as_api_gateway_reads_it() {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:api/live/$connect";
        let policy = |effect: &str, resource: &str| json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]});
        assert!(allows(&policy("Allow", arn), arn));
        assert!(allows(
            &policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:api/*"),
            arn
        ));
        assert!(!allows(
            &policy(
                "Allow",
                "arn:aws:execute-api:us-east-1:123456789012:other/live/$connect"
            ),
            arn
        ));
        assert!(!allows(&policy("Deny", arn), arn));
        let both = json!({"Statement": [
            {"Action": "execute-api:*", "Effect": "Allow", "Resource": "*"},
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": arn}]});
        assert!(!allows(&both, arn));
        assert!(!allows(
            &json!({"Statement": [{"Action": "s3:GetObject", "Effect": "Allow", "Resource": "*"}]}),
            arn
        ));
        assert!(!allows(&json!({}), arn));
    }
}
