//! The template played on this machine (`make watch`): what AWS does for `infra/template.yaml`,
//! on moto and the functions' own binaries. It creates the stack's resources (as the rest of this
//! crate does), resolves every function's environment from the template exactly as
//! CloudFormation would (nothing is added but the machine's own: the AWS endpoint and credentials,
//! and the Avito sandbox's address), starts each function under a local Lambda service and checks
//! it initialises, and then plays what invokes them: the HTTP API's routes with their JWT
//! authorizer ([`gateway`]), Cognito's hosted sign-in page ([`sign_in`]), the SQS event source,
//! EventBridge Scheduler and the rate schedules ([`sources`]), the DynamoDB stream's event source
//! ([`stream`]) and the WebSocket API with its Management API ([`websocket`]).
//!
//! Where it cannot be faithful, it says so in the module that plays it. Beyond those: IAM is not
//! checked (every function may call everything moto holds), there is no throttling or real
//! latency, and one instance per function serves its invocations one at a time.

pub mod gateway;
pub mod lambda;
pub mod resolve;
pub mod sign_in;
pub mod sources;
pub mod stream;
pub mod websocket;

use crate::template::wiring::{EventSpec, RouteAuth, Wiring};
use crate::{Created, StackTemplate, resource_name};
use adapters::aws::{cognito_client_from_env, scheduler_client_from_env, sqs_client_from_env};
use gateway::{HttpApi, HttpRoute, JwtAuthorizer};
use lambda::LocalFunction;
use resolve::Resolver;
use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The account moto uses.
pub const ACCOUNT: &str = "123456789012";

/// How the stack is played.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Resources are named `<prefix>-...`; also the stack's name.
    pub prefix: String,
    /// The HTTP API's port on 127.0.0.1 (0: a free one).
    pub port: u16,
    /// The template (`None`: the repository's, as built in).
    pub template: Option<PathBuf>,
    /// Where the functions' binaries are (`target/debug`).
    pub binaries: PathBuf,
    /// Parameter values (others keep their defaults; `PublicBaseUrl` defaults to the HTTP API's
    /// address here).
    pub parameters: Vec<(String, String)>,
    /// The Secrets Manager secrets the template's dynamic references read: name → JSON.
    pub secrets: HashMap<String, serde_json::Value>,
    /// Variables of this machine every function gets besides the template's.
    pub machine_environment: Vec<(String, String)>,
    /// Run `rate(...)` schedules this often instead (tests).
    pub rate: Option<Duration>,
    /// A failed SQS message is visible again after this instead of the queue's visibility
    /// timeout (tests).
    pub sqs_retry_after: Option<Duration>,
}

/// The stack, playing.
pub struct LocalStack {
    /// The HTTP API's base URL (`http://127.0.0.1:<port>`).
    pub base_url: String,
    pub functions: Vec<Arc<LocalFunction>>,
    /// What `!Ref` gives for each created resource.
    pub created: Created,
    /// The HTTP API's route keys, each with its function's logical id.
    pub routes: Vec<(String, String)>,
}

fn region() -> String {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into())
}

fn kind_of(wiring: &Wiring, id: &str) -> String {
    wiring
        .resources
        .get(id)
        .and_then(|r| r.get("Type"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Starts playing the template; returns once every function has initialised and the HTTP API
/// listens.
pub async fn start(settings: Settings) -> Result<LocalStack, String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", settings.port))
        .await
        .map_err(|e| format!("the HTTP API's port {}: {e}", settings.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let (stack, wiring) = match &settings.template {
        Some(path) => (StackTemplate::load(path)?, Wiring::load(path)?),
        None => (StackTemplate::repository()?, Wiring::repository()?),
    };
    let region = region();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL is not set (moto's address)")?;
    let created = stack.create_resources(&settings.prefix).await?;

    let mut r = Resolver {
        secrets: settings.secrets.clone(),
        ..Resolver::default()
    };
    for (name, value) in [
        ("AWS::Region", region.as_str()),
        ("AWS::AccountId", ACCOUNT),
        ("AWS::StackName", settings.prefix.as_str()),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
    ] {
        r.parameters.insert(name.into(), value.into());
    }
    for (name, default) in &wiring.parameters {
        if let Some(d) = default {
            r.parameters.insert(name.clone(), d.clone());
        }
    }
    r.parameters.insert("PublicBaseUrl".into(), base_url.clone());
    r.parameters
        .entry("CognitoDomainPrefix".into())
        .or_insert_with(|| format!("{}-sign-in", settings.prefix));
    for (name, value) in &settings.parameters {
        r.parameters.insert(name.clone(), value.clone());
    }
    for (name, default) in &wiring.parameters {
        if default.is_none() && !r.parameters.contains_key(name) {
            return Err(format!("the parameter {name} has no default: give it a value"));
        }
    }

    // What `!Ref` and `!GetAtt` give for every resource.
    let sqs = sqs_client_from_env().await;
    for (id, _) in wiring.resources.iter().filter_map(|(k, v)| Some((k.as_str()?, v))) {
        let kind = kind_of(&wiring, id);
        let value = match created.get(id) {
            Some(v) => v.to_owned(),
            None => match wiring.function(id) {
                Some(f) => match &f.function_name {
                    Some(name) => r.resolve(name)?,
                    None => resource_name(&settings.prefix, id),
                },
                None => resource_name(&settings.prefix, id),
            },
        };
        let arn = match kind.as_str() {
            "AWS::SQS::Queue" => {
                r.attributes.insert(
                    format!("{id}.QueueName"),
                    value.rsplit('/').next().unwrap_or_default().to_owned(),
                );
                sources::queue_arn(&sqs, &value).await?
            }
            "AWS::DynamoDB::Table" => {
                r.attributes.insert(
                    format!("{id}.StreamArn"),
                    format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{value}/stream/local"),
                );
                format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{value}")
            }
            "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role/{value}"),
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{value}")
            }
            "AWS::Cognito::UserPool" => format!("arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{value}"),
            "AWS::Scheduler::ScheduleGroup" => format!("arn:aws:scheduler:{region}:{ACCOUNT}:schedule-group/{value}"),
            _ => format!("arn:aws:local:{region}:{ACCOUNT}:{value}"),
        };
        r.attributes.insert(format!("{id}.Arn"), arn);
        r.refs.insert(id.to_owned(), value);
    }

    // The addresses AWS hosts, here.
    let host = |id: &str| {
        format!(
            "{}.execute-api.{region}.amazonaws.com",
            r.refs.get(id).cloned().unwrap_or_default()
        )
    };
    let mut rewrites = Vec::new();
    for (id, _) in wiring.resources.iter().filter_map(|(k, v)| Some((k.as_str()?, v))) {
        match kind_of(&wiring, id).as_str() {
            "AWS::Serverless::HttpApi" => rewrites.push((format!("https://{}", host(id)), base_url.clone())),
            "AWS::ApiGatewayV2::Api" => {
                rewrites.push((format!("wss://{}", host(id)), format!("ws://127.0.0.1:{port}/_live")));
                rewrites.push((format!("https://{}", host(id)), format!("{base_url}/_live")));
            }
            "AWS::Cognito::UserPoolDomain" => {
                let domain = wiring
                    .resources
                    .get(id)
                    .and_then(|d| d.get("Properties"))
                    .and_then(|p| p.get("Domain"))
                    .map(|d| r.resolve(d))
                    .transpose()?
                    .unwrap_or_default();
                rewrites.push((
                    format!("https://{domain}.auth.{region}.amazoncognito.com"),
                    format!("{base_url}/_cognito"),
                ));
            }
            _ => {}
        }
    }
    r.rewrites = rewrites;

    // The functions, each with its environment, started and initialised.
    let mut functions = Vec::new();
    let mut failures = Vec::new();
    for spec in &wiring.functions {
        let mut environment: Vec<(String, String)> = Vec::new();
        for (name, value) in wiring.global_environment.iter().chain(&spec.environment) {
            let value = r
                .resolve(value)
                .map_err(|e| format!("{}: {name}: {e}", spec.logical_id))?;
            environment.retain(|(n, _)| n != name);
            environment.push((name.clone(), value));
        }
        for (name, value) in &settings.machine_environment {
            environment.retain(|(n, _)| n != name);
            environment.push((name.clone(), value.clone()));
        }
        for (name, value) in [("AWS_REGION", region.as_str()), ("AWS_DEFAULT_REGION", region.as_str())] {
            environment.retain(|(n, _)| n != name);
            environment.push((name.into(), value.into()));
        }
        let name = r.refs.get(&spec.logical_id).cloned().unwrap_or_default();
        let arn = r
            .attributes
            .get(&format!("{}.Arn", spec.logical_id))
            .cloned()
            .unwrap_or_default();
        let function = LocalFunction::new(
            spec.logical_id.clone(),
            name,
            arn,
            settings.binaries.join(&spec.binary),
            environment,
            Duration::from_secs(spec.timeout_seconds),
        );
        functions.push(function);
    }
    for function in &functions {
        if let Err(e) = function.start(Duration::from_secs(30)).await {
            failures.push(e);
        }
    }
    if !failures.is_empty() {
        return Err(format!(
            "functions that do not start with the environment the template gives them:\n{}",
            failures.join("\n")
        ));
    }
    let function_of = |id: &str| functions.iter().find(|f| f.logical_id == id).cloned();

    // The HTTP API.
    let mut authorizers: HashMap<(String, String), Arc<JwtAuthorizer>> = HashMap::new();
    for (api, name, spec) in &wiring.authorizers {
        let issuer = r.resolve(&spec.issuer)?;
        let audience = spec
            .audience
            .iter()
            .map(|a| r.resolve(a))
            .collect::<Result<Vec<_>, _>>()?;
        let cognito_prefix = format!("https://cognito-idp.{region}.amazonaws.com/");
        let jwks_url = match issuer.strip_prefix(&cognito_prefix) {
            Some(pool) => format!("{}/{pool}/.well-known/jwks.json", endpoint.trim_end_matches('/')),
            None => format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
        };
        authorizers.insert(
            (api.clone(), name.clone()),
            Arc::new(JwtAuthorizer::new(issuer, audience, jwks_url)),
        );
    }
    let mut routes = Vec::new();
    let mut api_id = String::new();
    for spec in &wiring.functions {
        for event in &spec.events {
            let EventSpec::HttpApi {
                api,
                path,
                method,
                authorizer,
                name,
            } = event
            else {
                continue;
            };
            api_id = r.refs.get(api).cloned().unwrap_or_default();
            let authorizer_name = match authorizer {
                RouteAuth::Open => None,
                RouteAuth::Named(n) => Some(n.clone()),
                RouteAuth::Default => wiring
                    .default_authorizers
                    .iter()
                    .find(|(a, _)| a == api)
                    .map(|(_, n)| n.clone()),
            };
            let authorizer = match authorizer_name {
                None => None,
                Some(n) => Some(Arc::clone(authorizers.get(&(api.clone(), n.clone())).ok_or_else(
                    || format!("{}: event {name}: the authorizer {n} is not declared", spec.logical_id),
                )?)),
            };
            let route_key = format!("{method} {path}");
            if routes.iter().any(|r: &HttpRoute| r.route_key == route_key) {
                return Err(format!("the route {route_key} is declared twice"));
            }
            let function = function_of(&spec.logical_id).ok_or("a function was not started")?;
            routes.push(HttpRoute {
                route_key,
                method: (method != "ANY").then(|| method.clone()),
                path: path.clone(),
                function,
                authorizer,
            });
        }
    }
    let route_list = routes
        .iter()
        .map(|r| (r.route_key.clone(), r.function.logical_id.clone()))
        .collect();
    let api = Arc::new(HttpApi {
        api_id,
        account: ACCOUNT.into(),
        routes,
    });

    for (pool, trigger, _) in &wiring.user_pool_triggers {
        if trigger != "PostAuthentication" {
            tracing::warn!(pool = %pool, trigger = %trigger, "a user pool trigger other than PostAuthentication is not played");
        }
    }
    // Cognito's hosted page, for the template's app client with the authorization code flow.
    let mut app = axum::Router::new();
    let client = wiring.resources.iter().find(|(_, v)| {
        v.get("Type").and_then(Value::as_str) == Some("AWS::Cognito::UserPoolClient")
            && v.get("Properties")
                .and_then(|p| p.get("AllowedOAuthFlows"))
                .and_then(Value::as_sequence)
                .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("code")))
    });
    if let Some((id, resource)) = client {
        let id = id.as_str().unwrap_or_default();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let urls = |key: &str| -> Result<Vec<String>, String> {
            properties
                .get(key)
                .and_then(Value::as_sequence)
                .map(|items| items.iter().map(|u| r.resolve(u)).collect())
                .unwrap_or(Ok(Vec::new()))
        };
        let pool_id = properties
            .get("UserPoolId")
            .and_then(|p| match crate::template::intrinsic(p) {
                Some(("Ref", Value::String(id))) => Some(id.clone()),
                _ => None,
            });
        let post_authentication = wiring
            .user_pool_triggers
            .iter()
            .find(|(pool, trigger, _)| Some(pool) == pool_id.as_ref() && trigger == "PostAuthentication")
            .map(|(_, _, f)| function_of(f).ok_or_else(|| format!("the trigger function {f} was not started")))
            .transpose()?;
        let pool = properties
            .get("UserPoolId")
            .map(|p| r.resolve(p))
            .transpose()?
            .unwrap_or_default();
        let hosted = sign_in::HostedSignIn::new(
            cognito_client_from_env().await,
            sign_in::AppClient {
                user_pool_id: pool,
                client_id: r.refs.get(id).cloned().unwrap_or_default(),
                callback_urls: urls("CallbackURLs")?,
                logout_urls: urls("LogoutURLs")?,
            },
            format!("{base_url}/_cognito"),
            post_authentication,
            region.clone(),
        );
        app = app.nest("/_cognito", hosted.router());
    }
    // The WebSocket API (one is played), where its address points here.
    match wiring.websocket_apis.as_slice() {
        [] => {}
        [spec] => {
            let mut routes = Vec::new();
            for route in &spec.routes {
                let function = function_of(&route.function).ok_or_else(|| {
                    format!(
                        "{}: route {}: no function {}",
                        spec.logical_id, route.key, route.function
                    )
                })?;
                let authorizer = match &route.authorizer {
                    None => None,
                    Some((f, sources)) => Some((
                        function_of(f).ok_or_else(|| format!("{}: no authorizer function {f}", spec.logical_id))?,
                        sources.clone(),
                    )),
                };
                routes.push(websocket::LiveRoute {
                    key: route.key.clone(),
                    function,
                    authorizer,
                    answers: route.answers,
                });
            }
            let live = websocket::WebSocketApi::new(
                r.refs.get(&spec.logical_id).cloned().unwrap_or_default(),
                spec.stage.clone(),
                region.clone(),
                ACCOUNT.into(),
                &spec.route_selection_expression,
                routes,
            )?;
            app = app.nest("/_live", live.router());
        }
        _ => return Err("only one WebSocket API is played".into()),
    }
    let gateway = Arc::clone(&api);
    app = app.fallback(move |request: axum::extract::Request| {
        let gateway = Arc::clone(&gateway);
        async move { gateway.handle(request).await }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // What invokes the functions besides HTTP.
    for spec in &wiring.functions {
        let function = function_of(&spec.logical_id).ok_or("a function was not started")?;
        for event in &spec.events {
            match event {
                EventSpec::Sqs {
                    queue,
                    batch_size,
                    report_batch_item_failures,
                    ..
                } => {
                    let url = created
                        .get(queue)
                        .ok_or_else(|| format!("{}: the queue {queue} was not created", spec.logical_id))?;
                    let source = sources::SqsSource {
                        sqs: sqs.clone(),
                        queue_url: url.to_owned(),
                        queue_arn: r.attributes.get(&format!("{queue}.Arn")).cloned().unwrap_or_default(),
                        region: region.clone(),
                        batch_size: *batch_size,
                        report_batch_item_failures: *report_batch_item_failures,
                        function: Arc::clone(&function),
                        retry_after: settings.sqs_retry_after,
                    };
                    tokio::spawn(source.run());
                }
                EventSpec::Rate {
                    every_seconds, input, ..
                } => {
                    let every = settings.rate.unwrap_or(Duration::from_secs(*every_seconds));
                    tokio::spawn(sources::run_rate(Arc::clone(&function), every, input.clone()));
                }
                EventSpec::DynamoDbStream {
                    table,
                    batch_size,
                    starting_position,
                    maximum_retry_attempts,
                    filters,
                    ..
                } => {
                    let name = created
                        .get(table)
                        .ok_or_else(|| format!("{}: the table {table} was not created", spec.logical_id))?;
                    let described = adapters::aws::dynamodb_client_from_env()
                        .await
                        .describe_table()
                        .table_name(name)
                        .send()
                        .await
                        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
                    let stream_arn = described
                        .table()
                        .and_then(|t| t.latest_stream_arn())
                        .ok_or_else(|| format!("the table {table} has no stream"))?
                        .to_owned();
                    let filters = filters
                        .iter()
                        .map(|f| {
                            serde_json::from_str(f).map_err(|e| format!("{}: a filter pattern: {e}", spec.logical_id))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let source = stream::StreamSource {
                        http: reqwest::Client::new(),
                        endpoint: endpoint.clone(),
                        region: region.clone(),
                        stream_arn,
                        starting_position: starting_position.clone(),
                        batch_size: *batch_size as usize,
                        maximum_retry_attempts: *maximum_retry_attempts,
                        filters,
                        function: Arc::clone(&function),
                    };
                    source.check().map_err(|e| format!("{}: {e}", spec.logical_id))?;
                    tokio::spawn(source.run());
                }
                EventSpec::HttpApi { .. } => {}
            }
        }
    }
    if !stack.schedule_groups.is_empty() {
        let scheduler = sources::Scheduler {
            client: scheduler_client_from_env().await,
            groups: stack
                .schedule_groups
                .iter()
                .filter_map(|g| created.get(g).map(str::to_owned))
                .collect(),
            functions: functions.clone(),
            account: ACCOUNT.into(),
            region: region.clone(),
        };
        tokio::spawn(scheduler.run(Duration::from_millis(500)));
    }
    Ok(LocalStack {
        base_url,
        functions,
        created,
        routes: route_list,
    })
}

/// A tenant and its first administrator on the played stack, with a password set (the demo of
/// `make watch`): returns the password, made here from random bytes.
pub async fn demo_administrator(stack: &LocalStack, tenant: &str, email: &str) -> Result<String, String> {
    use adapters::aws::{CognitoApi, CognitoIdentityProvider, DynamoConfigStore, dynamodb_client_from_env};
    let table = stack.created.get("Table").ok_or("the stack has no table")?;
    let pool = stack.created.get("UserPool").ok_or("the stack has no user pool")?;
    let config = adapters::configuration::Configuration::new(Arc::new(DynamoConfigStore::new(
        dynamodb_client_from_env().await,
        table.to_owned(),
    )));
    let provider = Arc::new(CognitoIdentityProvider::new(CognitoApi::from_env()?, pool.to_owned()));
    crate::tenant::create_first_administrator(&config, provider, tenant, email, "Администратор").await?;
    let mut bytes = [0u8; 9];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    let password = format!("Demo{}7", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    cognito_client_from_env()
        .await
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(email)
        .password(&password)
        .permanent(true)
        .send()
        .await
        .map_err(|e| aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string())?;
    Ok(password)
}
