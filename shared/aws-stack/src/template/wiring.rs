//! The template's wiring: its functions (binary, environment, timeout, name) and what invokes each
//! (HTTP API routes with their authorizer, an SQS event source, a schedule, a DynamoDB stream),
//! and the template's parameters with their defaults. What `aws-local` plays on this machine.
//!
//! An event type or an authorizer this module does not know fails the reading: a template that
//! wires a function in a way the local stand-in cannot play is told, not half-played.

use super::{intrinsic, string};
use serde_yaml_ng::{Mapping, Value};

const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";
const HTTP_API: &str = "AWS::Serverless::HttpApi";

/// The wiring of a SAM template.
#[derive(Clone, Debug)]
pub struct Wiring {
    /// Each parameter with its default, when it has one.
    pub parameters: Vec<(String, Option<String>)>,
    /// The functions, in template order.
    pub functions: Vec<FunctionSpec>,
    /// The HTTP APIs' JWT authorizers: (API logical id, authorizer name, authorizer).
    pub authorizers: Vec<(String, String, JwtAuthorizerSpec)>,
    /// The HTTP APIs' default authorizer: (API logical id, authorizer name).
    pub default_authorizers: Vec<(String, String)>,
    /// The template's resources, for resolving what the functions' settings refer to.
    pub resources: Mapping,
    /// `Globals.Function.Environment.Variables`.
    pub global_environment: Vec<(String, Value)>,
    /// The WebSocket APIs (`AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`).
    pub websocket_apis: Vec<WebSocketApiSpec>,
    /// The user pools' Lambda triggers: (pool's logical id, trigger, e.g. `PostAuthentication`,
    /// the function's logical id).
    pub user_pool_triggers: Vec<(String, String, String)>,
}

/// A WebSocket API: its routes, each with the function behind it and its authorizer.
#[derive(Clone, Debug, PartialEq)]
pub struct WebSocketApiSpec {
    pub logical_id: String,
    /// `$request.body.action`.
    pub route_selection_expression: String,
    /// The stage's name (the API's one stage).
    pub stage: String,
    pub routes: Vec<WebSocketRouteSpec>,
}

/// A route of a WebSocket API.
#[derive(Clone, Debug, PartialEq)]
pub struct WebSocketRouteSpec {
    /// `$connect`, `$disconnect`, `$default` or an action.
    pub key: String,
    /// The function behind the route's integration.
    pub function: String,
    /// The Lambda REQUEST authorizer's function and its identity sources
    /// (`route.request.querystring.ticket`), on `$connect`.
    pub authorizer: Option<(String, Vec<String>)>,
    /// Whether the integration's answer goes back on the socket (a route response exists).
    pub answers: bool,
}

/// A function as the template declares it.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// The binary: the last segment of `CodeUri` (`../target/lambda/<binary>/`).
    pub binary: String,
    /// `FunctionName`, unresolved, when the template names the function.
    pub function_name: Option<Value>,
    /// Seconds (`Timeout`, else the global one, else Lambda's 3).
    pub timeout_seconds: u64,
    /// Its own `Environment.Variables` (the global ones are in [`Wiring::global_environment`]).
    pub environment: Vec<(String, Value)>,
    pub events: Vec<EventSpec>,
}

/// What invokes a function.
#[derive(Clone, Debug, PartialEq)]
pub enum EventSpec {
    /// An HTTP API route.
    HttpApi {
        /// The event's name in the template.
        name: String,
        api: String,
        /// `/v1/{proxy+}`.
        path: String,
        /// Upper case; `ANY` for any method.
        method: String,
        authorizer: RouteAuth,
    },
    /// An SQS event source mapping.
    Sqs {
        name: String,
        /// The queue's logical id.
        queue: String,
        batch_size: u32,
        report_batch_item_failures: bool,
    },
    /// An EventBridge Scheduler schedule (`ScheduleV2`) at a fixed rate.
    Rate {
        name: String,
        /// `rate(5 minutes)` in seconds.
        every_seconds: u64,
        /// The schedule's input (JSON), `{}` when the template gives none.
        input: String,
    },
    /// A DynamoDB stream event source mapping.
    DynamoDbStream {
        name: String,
        /// The table's logical id.
        table: String,
        batch_size: u32,
        /// `LATEST` or `TRIM_HORIZON`.
        starting_position: String,
        /// How often a failed batch is tried again (`-1`: until the records expire).
        maximum_retry_attempts: i64,
        /// The filter patterns (JSON): a record goes to the function when one matches.
        filters: Vec<String>,
    },
}

/// Who may call an HTTP API route.
#[derive(Clone, Debug, PartialEq)]
pub enum RouteAuth {
    /// The API's default authorizer (the route says nothing).
    Default,
    /// Anyone (`Authorizer: NONE`).
    Open,
    /// The API's authorizer of this name.
    Named(String),
}

/// An HTTP API JWT authorizer.
#[derive(Clone, Debug, PartialEq)]
pub struct JwtAuthorizerSpec {
    /// `$request.header.Authorization`.
    pub identity_source: String,
    /// Unresolved (`!Sub https://cognito-idp...`).
    pub issuer: Value,
    /// Unresolved audiences.
    pub audience: Vec<Value>,
}

impl Wiring {
    /// The repository's `infra/template.yaml` (embedded at build time).
    pub fn repository() -> Result<Self, String> {
        Self::parse(super::REPOSITORY_TEMPLATE).map_err(|e| format!("infra/template.yaml: {e}"))
    }

    /// The template at `path`.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A template's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or("no Resources")?
            .clone();
        let parameters = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let default = v.get("Default").and_then(|d| string(d, "Default").ok());
                        Some((k.as_str()?.to_owned(), default))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let globals = doc.get("Globals").and_then(|g| g.get("Function"));
        let global_environment = variables(globals.and_then(|g| g.get("Environment")))?;
        let global_timeout = globals
            .and_then(|g| g.get("Timeout"))
            .map(|t| seconds(t, "Globals.Function.Timeout"))
            .transpose()?;
        let mut wiring = Wiring {
            parameters,
            functions: Vec::new(),
            authorizers: Vec::new(),
            default_authorizers: Vec::new(),
            resources: resources.clone(),
            global_environment,
            websocket_apis: Vec::new(),
            user_pool_triggers: Vec::new(),
        };
        let empty = Value::Mapping(Mapping::new());
        for (id, resource) in &resources {
            let id = id.as_str().ok_or("a resource id is not a string")?;
            let properties = resource.get("Properties").unwrap_or(&empty);
            let at = |e: String| format!("{id}: {e}");
            match resource.get("Type").and_then(Value::as_str) {
                Some(SERVERLESS_FUNCTION) => wiring
                    .functions
                    .push(function(id, properties, global_timeout).map_err(at)?),
                Some(HTTP_API) => http_api(&mut wiring, id, properties).map_err(at)?,
                Some("AWS::Cognito::UserPool") => {
                    for (trigger, function) in properties
                        .get("LambdaConfig")
                        .and_then(Value::as_mapping)
                        .into_iter()
                        .flatten()
                    {
                        let trigger = trigger
                            .as_str()
                            .ok_or_else(|| at("a trigger name is not a string".into()))?;
                        let function = target(function)
                            .ok_or_else(|| at(format!("LambdaConfig.{trigger}: not !GetAtt <function>.Arn")))?;
                        wiring
                            .user_pool_triggers
                            .push((id.to_owned(), trigger.to_owned(), function));
                    }
                }
                Some("AWS::Lambda::Function") => {
                    return Err(at("plain AWS::Lambda::Function is not played locally".into()));
                }
                _ => {}
            }
        }
        wiring.websocket_apis = websocket_apis(&resources)?;
        Ok(wiring)
    }

    /// The function `logical_id`.
    pub fn function(&self, logical_id: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }
}

fn variables(environment: Option<&Value>) -> Result<Vec<(String, Value)>, String> {
    let Some(map) = environment.and_then(|e| e.get("Variables")) else {
        return Ok(Vec::new());
    };
    let map = map.as_mapping().ok_or("Environment.Variables is not a mapping")?;
    map.iter()
        .map(|(k, v)| {
            let k = k.as_str().ok_or("a variable name is not a string")?;
            Ok((k.to_owned(), v.clone()))
        })
        .collect()
}

fn seconds(value: &Value, what: &str) -> Result<u64, String> {
    string(value, what)?
        .parse()
        .map_err(|_| format!("{what} is not a whole number of seconds"))
}

fn function(id: &str, p: &Value, global_timeout: Option<u64>) -> Result<FunctionSpec, String> {
    let code_uri = p
        .get("CodeUri")
        .and_then(Value::as_str)
        .ok_or("no CodeUri (a path to the built binary's directory)")?;
    let binary = code_uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty())
        .ok_or("CodeUri names no directory")?
        .to_owned();
    let timeout_seconds = match p.get("Timeout") {
        Some(t) => seconds(t, "Timeout")?,
        None => global_timeout.unwrap_or(3),
    };
    let mut events = Vec::new();
    if let Some(map) = p.get("Events").and_then(Value::as_mapping) {
        for (name, event) in map {
            let name = name.as_str().ok_or("an event name is not a string")?.to_owned();
            events.push(event_spec(&name, event).map_err(|e| format!("event {name}: {e}"))?);
        }
    }
    Ok(FunctionSpec {
        logical_id: id.to_owned(),
        binary,
        function_name: p.get("FunctionName").cloned(),
        timeout_seconds,
        environment: variables(p.get("Environment"))?,
        events,
    })
}

/// The logical id a `!Ref X` or `!GetAtt X.Attr` names.
fn target(value: &Value) -> Option<String> {
    match intrinsic(value)? {
        ("Ref", Value::String(id)) => Some(id.clone()),
        ("GetAtt", Value::String(s)) => s.split('.').next().map(str::to_owned),
        ("GetAtt", Value::Sequence(parts)) => parts.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

fn event_spec(name: &str, event: &Value) -> Result<EventSpec, String> {
    let kind = event.get("Type").and_then(Value::as_str).ok_or("no Type")?;
    let empty = Value::Mapping(Mapping::new());
    let p = event.get("Properties").unwrap_or(&empty);
    let text = |key: &str| -> Result<String, String> {
        p.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no {key}"))
    };
    match kind {
        "HttpApi" => {
            let api = p.get("ApiId").and_then(target).ok_or("no ApiId: !Ref <an HttpApi>")?;
            let authorizer = match p.get("Auth").and_then(|a| a.get("Authorizer")) {
                None => RouteAuth::Default,
                Some(Value::String(s)) if s == "NONE" => RouteAuth::Open,
                Some(Value::String(s)) => RouteAuth::Named(s.clone()),
                Some(_) => return Err("Auth.Authorizer is not a name".into()),
            };
            Ok(EventSpec::HttpApi {
                name: name.to_owned(),
                api,
                path: text("Path")?,
                method: text("Method")?.to_uppercase(),
                authorizer,
            })
        }
        "SQS" => {
            let queue = p.get("Queue").and_then(target).ok_or("no Queue: !GetAtt <queue>.Arn")?;
            let batch_size = match p.get("BatchSize") {
                Some(b) => seconds(b, "BatchSize")? as u32,
                None => 10,
            };
            let report = match p.get("FunctionResponseTypes") {
                None => false,
                Some(Value::Sequence(types)) => types.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")),
                Some(_) => return Err("FunctionResponseTypes is not a list".into()),
            };
            Ok(EventSpec::Sqs {
                name: name.to_owned(),
                queue,
                batch_size,
                report_batch_item_failures: report,
            })
        }
        "ScheduleV2" | "Schedule" => {
            let expression = text("ScheduleExpression")?;
            let every_seconds = rate_seconds(&expression)?;
            let input = p.get("Input").and_then(Value::as_str).unwrap_or("{}").to_owned();
            Ok(EventSpec::Rate {
                name: name.to_owned(),
                every_seconds,
                input,
            })
        }
        "DynamoDB" => {
            let table = p
                .get("Stream")
                .and_then(target)
                .ok_or("no Stream: !GetAtt <table>.StreamArn")?;
            let filters = p
                .get("FilterCriteria")
                .and_then(|f| f.get("Filters"))
                .and_then(Value::as_sequence)
                .map(|items| {
                    items
                        .iter()
                        .map(|f| {
                            f.get("Pattern")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .ok_or("a filter without a Pattern")
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default();
            Ok(EventSpec::DynamoDbStream {
                name: name.to_owned(),
                table,
                batch_size: match p.get("BatchSize") {
                    Some(b) => seconds(b, "BatchSize")? as u32,
                    None => 100,
                },
                starting_position: text("StartingPosition")?,
                maximum_retry_attempts: match p.get("MaximumRetryAttempts") {
                    Some(v) => string(v, "MaximumRetryAttempts")?
                        .parse()
                        .map_err(|_| "MaximumRetryAttempts is not a number")?,
                    None => -1,
                },
                filters,
            })
        }
        other => Err(format!("event type {other} is not played locally")),
    }
}

/// The function a `!Sub "...${Function.Arn}/invocations"` URI invokes.
fn function_of_uri(value: &Value) -> Option<String> {
    let text = match intrinsic(value)? {
        ("Sub", Value::String(s)) => s.clone(),
        ("Sub", Value::Sequence(args)) => args.first()?.as_str()?.to_owned(),
        _ => return None,
    };
    let start = text.find("functions/${")? + "functions/${".len();
    let end = text[start..].find(".Arn}")?;
    Some(text[start..start + end].to_owned())
}

/// The logical id a `!Sub integrations/${X}` target names.
fn integration_of_target(value: &Value) -> Option<String> {
    let text = match intrinsic(value)? {
        ("Sub", Value::String(s)) => s.clone(),
        _ => return None,
    };
    text.strip_prefix("integrations/${")?
        .strip_suffix('}')
        .map(str::to_owned)
}

fn websocket_apis(resources: &Mapping) -> Result<Vec<WebSocketApiSpec>, String> {
    let of_type = |kind: &'static str| -> Vec<(String, Value)> {
        resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .filter_map(|(id, r)| {
                Some((
                    id.as_str()?.to_owned(),
                    r.get("Properties").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect()
    };
    let api_of = |p: &Value| p.get("ApiId").and_then(target);
    let mut apis = Vec::new();
    for (id, p) in of_type("AWS::ApiGatewayV2::Api") {
        if p.get("ProtocolType").and_then(Value::as_str) != Some("WEBSOCKET") {
            return Err(format!(
                "{id}: only WebSocket APIs are played among AWS::ApiGatewayV2::Api"
            ));
        }
        let stage = of_type("AWS::ApiGatewayV2::Stage")
            .into_iter()
            .find(|(_, s)| api_of(s).as_deref() == Some(id.as_str()))
            .and_then(|(_, s)| s.get("StageName").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| format!("{id}: no stage"))?;
        let mut routes = Vec::new();
        for (route_id, r) in of_type("AWS::ApiGatewayV2::Route")
            .into_iter()
            .filter(|(_, r)| api_of(r).as_deref() == Some(id.as_str()))
        {
            let at = |e: &str| format!("{route_id}: {e}");
            let key = r
                .get("RouteKey")
                .and_then(Value::as_str)
                .ok_or_else(|| at("no RouteKey"))?
                .to_owned();
            let integration = r
                .get("Target")
                .and_then(integration_of_target)
                .ok_or_else(|| at("no Target: !Sub integrations/${<integration>}"))?;
            let function = resources
                .get(integration.as_str())
                .and_then(|i| i.get("Properties"))
                .and_then(|p| p.get("IntegrationUri"))
                .and_then(function_of_uri)
                .ok_or_else(|| at("its integration invokes no function of the template"))?;
            let authorizer = match r.get("AuthorizerId").and_then(target) {
                None => None,
                Some(a) => {
                    let props = resources
                        .get(a.as_str())
                        .and_then(|x| x.get("Properties"))
                        .ok_or_else(|| at("no such authorizer"))?;
                    if props.get("AuthorizerType").and_then(Value::as_str) != Some("REQUEST") {
                        return Err(at("only REQUEST authorizers are played"));
                    }
                    let function = props
                        .get("AuthorizerUri")
                        .and_then(function_of_uri)
                        .ok_or_else(|| at("its authorizer invokes no function of the template"))?;
                    let sources = props
                        .get("IdentitySource")
                        .and_then(Value::as_sequence)
                        .map(|s| s.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    Some((function, sources))
                }
            };
            let answers = of_type("AWS::ApiGatewayV2::RouteResponse")
                .iter()
                .any(|(_, rr)| rr.get("RouteId").and_then(target).as_deref() == Some(route_id.as_str()));
            routes.push(WebSocketRouteSpec {
                key,
                function,
                authorizer,
                answers,
            });
        }
        apis.push(WebSocketApiSpec {
            logical_id: id.clone(),
            route_selection_expression: p
                .get("RouteSelectionExpression")
                .and_then(Value::as_str)
                .unwrap_or("$request.body.action")
                .to_owned(),
            stage,
            routes,
        });
    }
    Ok(apis)
}

/// `rate(5 minutes)` → 300.
pub fn rate_seconds(expression: &str) -> Result<u64, String> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|e| e.strip_suffix(')'))
        .ok_or_else(|| format!("{expression}: only rate(...) schedules are played locally"))?;
    let (value, unit) = inner.trim().split_once(' ').ok_or("rate(<value> <unit>)")?;
    let value: u64 = value.parse().map_err(|_| format!("{expression}: not a number"))?;
    let unit = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => return Err(format!("{expression}: unit {other}")),
    };
    Ok(value * unit)
}

fn http_api(wiring: &mut Wiring, id: &str, p: &Value) -> Result<(), String> {
    let Some(auth) = p.get("Auth") else {
        return Ok(());
    };
    if let Some(default) = auth.get("DefaultAuthorizer").and_then(Value::as_str) {
        wiring.default_authorizers.push((id.to_owned(), default.to_owned()));
    }
    let Some(authorizers) = auth.get("Authorizers").and_then(Value::as_mapping) else {
        return Ok(());
    };
    for (name, a) in authorizers {
        let name = name.as_str().ok_or("an authorizer name is not a string")?;
        let config = a
            .get("JwtConfiguration")
            .ok_or_else(|| format!("authorizer {name}: only JWT authorizers are played locally"))?;
        let issuer = config
            .get("issuer")
            .cloned()
            .ok_or_else(|| format!("authorizer {name}: no issuer"))?;
        let audience = match config.get("audience") {
            Some(Value::Sequence(items)) => items.clone(),
            _ => return Err(format!("authorizer {name}: no audience list")),
        };
        let identity_source = a
            .get("IdentitySource")
            .and_then(Value::as_str)
            .unwrap_or("$request.header.Authorization")
            .to_owned();
        wiring.authorizers.push((
            id.to_owned(),
            name.to_owned(),
            JwtAuthorizerSpec {
                identity_source,
                issuer,
                audience,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_function_and_what_invokes_it() {
        let w = Wiring::repository().expect("template");
        let router = w.function("RouterFunction").expect("router");
        assert_eq!(router.binary, "router");
        assert_eq!(router.timeout_seconds, 30);
        assert!(matches!(
            router.events.as_slice(),
            [EventSpec::Sqs { queue, batch_size: 10, report_batch_item_failures: true, .. }] if queue == "InboundQueue"
        ));
        let close = w.function("AutoCloseFunction").expect("auto-close");
        assert!(matches!(
            close.events.as_slice(),
            [EventSpec::Rate { every_seconds: 300, .. }]
        ));
        let webhook = w.function("AvitoWebhookFunction").expect("webhook");
        assert!(webhook.events.iter().all(|e| matches!(
            e,
            EventSpec::HttpApi {
                authorizer: RouteAuth::Open,
                ..
            }
        )));
        let operator = w.function("OperatorApiFunction").expect("operator");
        assert!(operator.events.iter().any(|e| matches!(e,
            EventSpec::HttpApi { path, method, authorizer: RouteAuth::Default, .. } if path == "/v1/conversations" && method == "GET")));
        assert_eq!(w.default_authorizers, [("HttpApi".to_owned(), "Jwt".to_owned())]);
        assert_eq!(w.authorizers.len(), 1);
        assert_eq!(w.function("AdminApiFunction").map(|f| f.timeout_seconds), Some(10));
        let live = &w.websocket_apis[0];
        assert_eq!(
            (live.stage.as_str(), live.route_selection_expression.as_str()),
            ("live", "$request.body.action")
        );
        let connect = live.routes.iter().find(|r| r.key == "$connect").expect("$connect");
        assert_eq!(connect.function, "LiveSocketFunction");
        assert_eq!(
            connect.authorizer,
            Some((
                "LiveSocketFunction".to_owned(),
                vec!["route.request.querystring.ticket".to_owned()]
            ))
        );
        assert!(live.routes.iter().any(|r| r.key == "$default" && r.answers));
        assert_eq!(
            w.user_pool_triggers,
            [(
                "UserPool".to_owned(),
                "PostAuthentication".to_owned(),
                "SignInAuditFunction".to_owned()
            )]
        );
        let push = w.function("LivePushFunction").expect("push");
        assert!(
            matches!(&push.events[..], [EventSpec::DynamoDbStream { batch_size: 100, maximum_retry_attempts: 2, filters, .. }] if filters.len() == 2)
        );
    }

    #[test]
    fn rates_and_unknown_events() {
        assert_eq!(rate_seconds("rate(1 minute)"), Ok(60));
        assert_eq!(rate_seconds("rate(2 hours)"), Ok(7200));
        assert!(rate_seconds("cron(0 * * * ? *)").is_err());
        let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ../target/lambda/f/\n      Events:\n        E:\n          Type: S3\n          Properties: {}\n";
        assert!(Wiring::parse(text).unwrap_err().contains("S3"));
    }
}
