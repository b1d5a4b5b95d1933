//! The Lambda service for one function on this machine: the function's binary runs as on Lambda,
//! with exactly the environment the template gives it (plus what Lambda itself sets), and asks for
//! its invocations through the Lambda Runtime API, served to each instance on a port of its own
//! (an instance being replaced cannot take its successor's invocations). One instance at a time
//! (invocations wait their turn); an instance that exits, or outlives the function's timeout, is
//! replaced at the next invocation; a rebuilt binary is picked up at the next invocation (as a
//! deployment would). As on Lambda, initialisation has its own 10 seconds and the function's
//! timeout counts from the invocation.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc, oneshot, watch};

/// What an invocation gave back.
#[derive(Debug)]
pub enum Invoked {
    /// The function's response payload.
    Response(Bytes),
    /// The function reported an error (its error payload).
    FunctionError(Bytes),
    /// The instance did not answer: it failed to start, exited or timed out.
    Failed(String),
}

/// Lambda's limit on a function's initialisation.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A function played locally.
pub struct LocalFunction {
    /// Its logical id in the template.
    pub logical_id: String,
    /// Its name on AWS (what an ARN names).
    pub name: String,
    function_arn: String,
    binary: PathBuf,
    environment: Vec<(String, String)>,
    timeout: Duration,
    instance: Mutex<Option<Instance>>,
}

/// A running instance with its own Runtime API; dropping it stops both.
struct Instance {
    child: Child,
    built: Option<SystemTime>,
    invocations: mpsc::Sender<Invocation>,
    ready: watch::Receiver<bool>,
    runtime: Arc<RuntimeState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Invocation {
    id: String,
    payload: Bytes,
    deadline_ms: u128,
}

/// One instance's Runtime API.
struct RuntimeState {
    function_arn: String,
    next: Mutex<mpsc::Receiver<Invocation>>,
    ready: watch::Sender<bool>,
    waiting: std::sync::Mutex<HashMap<String, oneshot::Sender<Invoked>>>,
}

impl LocalFunction {
    /// The function; its binary starts at the first invocation (or [`LocalFunction::start`]).
    pub fn new(
        logical_id: String,
        name: String,
        function_arn: String,
        binary: PathBuf,
        environment: Vec<(String, String)>,
        timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            logical_id,
            name,
            function_arn,
            binary,
            environment,
            timeout,
            instance: Mutex::new(None),
        })
    }

    /// Starts an instance and waits until it asks for its first invocation (its initialisation
    /// done): an error names what it printed when it exits first.
    pub async fn start(&self, within: Duration) -> Result<(), String> {
        let mut slot = self.instance.lock().await;
        let instance = self.running(&mut slot).await?;
        let mut ready = instance.ready.clone();
        let outcome = tokio::select! {
            r = ready.wait_for(|r| *r) => r.map(drop).map_err(|_| "the runtime API stopped".to_owned()),
            status = instance.child.wait() => Err(format!("exited during initialisation ({})",
                status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()))),
            _ = tokio::time::sleep(within) => Err(format!("not initialised within {within:?}")),
        };
        if outcome.is_err() {
            *slot = None;
        }
        outcome.map_err(|e| format!("{}: {e}", self.logical_id))
    }

    /// Invokes the function with `payload` (synchronously, as `Invoke` with `RequestResponse`).
    pub async fn invoke(&self, payload: Bytes) -> Invoked {
        let mut slot = self.instance.lock().await;
        let instance = match self.running(&mut slot).await {
            Ok(i) => i,
            Err(e) => return Invoked::Failed(e),
        };
        // Initialisation first, within its own limit.
        let mut ready = instance.ready.clone();
        let initialised = tokio::select! {
            r = ready.wait_for(|r| *r) => r.is_ok(),
            _ = instance.child.wait() => false,
            _ = tokio::time::sleep(INIT_TIMEOUT) => false,
        };
        if !initialised {
            *slot = None;
            return Invoked::Failed("the instance did not initialise".into());
        }
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut waiting) = instance.runtime.waiting.lock() {
            waiting.insert(id.clone(), tx);
        }
        let deadline_ms = (SystemTime::now() + self.timeout)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let invocation = Invocation {
            id: id.clone(),
            payload,
            deadline_ms,
        };
        if instance.invocations.send(invocation).await.is_err() {
            *slot = None;
            return Invoked::Failed("the instance stopped taking invocations".into());
        }
        let outcome = tokio::select! {
            r = rx => r.unwrap_or_else(|_| Invoked::Failed("no answer".into())),
            status = instance.child.wait() => Invoked::Failed(format!("the instance exited ({})",
                status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()))),
            _ = tokio::time::sleep(self.timeout) => Invoked::Failed(format!("Task timed out after {:?}", self.timeout)),
        };
        if matches!(outcome, Invoked::Failed(_)) {
            // Lambda replaces an instance that timed out or crashed.
            *slot = None;
        }
        outcome
    }

    /// Invokes the function asynchronously (as `Invoke` with `InvocationType: Event`, how
    /// EventBridge Scheduler invokes it): accepted at once; a failed invocation is tried twice
    /// more, about one and two minutes later (Lambda's defaults), then dropped.
    pub fn invoke_async(self: &Arc<Self>, payload: Bytes) {
        let function = Arc::clone(self);
        tokio::spawn(async move {
            for (attempt, wait) in [0u64, 60, 120].into_iter().enumerate() {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                match function.invoke(payload.clone()).await {
                    Invoked::Response(_) => return,
                    Invoked::FunctionError(e) => tracing::warn!(function = %function.logical_id, attempt,
                        error = %String::from_utf8_lossy(&e), "an asynchronous invocation failed"),
                    Invoked::Failed(e) => tracing::warn!(function = %function.logical_id, attempt,
                        error = %e, "an asynchronous invocation was not processed"),
                }
            }
            tracing::warn!(function = %function.logical_id, "an asynchronous invocation is dropped after two retries");
        });
    }

    /// The running instance, started (or restarted after a rebuild or an exit) when needed.
    async fn running<'a>(&self, slot: &'a mut Option<Instance>) -> Result<&'a mut Instance, String> {
        let built = std::fs::metadata(&self.binary).and_then(|m| m.modified()).ok();
        let stale = match slot.as_mut() {
            None => true,
            Some(i) => i.built != built || !matches!(i.child.try_wait(), Ok(None)),
        };
        if stale {
            *slot = None;
            *slot = Some(self.spawn(built).await?);
        }
        slot.as_mut().ok_or_else(|| "no instance".to_owned())
    }

    async fn spawn(&self, built: Option<SystemTime>) -> Result<Instance, String> {
        let (tx, rx) = mpsc::channel(1);
        let (ready_tx, ready_rx) = watch::channel(false);
        let runtime = Arc::new(RuntimeState {
            function_arn: self.function_arn.clone(),
            next: Mutex::new(rx),
            ready: ready_tx,
            waiting: std::sync::Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("{}: the runtime API's port: {e}", self.logical_id))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?.to_string();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(report_error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&runtime));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .envs(self.environment.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", &address)
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", self.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
            .env("_HANDLER", "bootstrap")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|e| format!("{}: {} does not start: {e}", self.logical_id, self.binary.display()))?;
        Ok(Instance {
            child,
            built,
            invocations: tx,
            ready: ready_rx,
            runtime,
            server,
        })
    }
}

async fn next(State(rt): State<Arc<RuntimeState>>) -> Response {
    let _ = rt.ready.send(true);
    let Some(invocation) = rt.next.lock().await.recv().await else {
        // The instance is being replaced; it will not be invoked again.
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", invocation.id);
    set("lambda-runtime-deadline-ms", invocation.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", rt.function_arn.clone());
    set("content-type", "application/json".into());
    (headers, invocation.payload).into_response()
}

fn answer(rt: &RuntimeState, id: &str, outcome: Invoked) -> StatusCode {
    let waiting = rt.waiting.lock().ok().and_then(|mut w| w.remove(id));
    match waiting {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(State(rt): State<Arc<RuntimeState>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&rt, &id, Invoked::Response(body))
}

async fn report_error(State(rt): State<Arc<RuntimeState>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&rt, &id, Invoked::FunctionError(body))
}

async fn init_error(body: Bytes) -> StatusCode {
    tracing::error!(error = %String::from_utf8_lossy(&body), "a function failed to initialise");
    StatusCode::ACCEPTED
}
