//! The Avito sandbox: a stand-in for Avito that serves the endpoints this product uses, in the
//! shapes of Avito's OpenAPI files, from memory; pushes messenger v3 and Jobs webhooks to
//! subscribed URLs (with Avito's verification requests on subscribe); and has a control API
//! (`/_sandbox/...`) for tests and demos: create accounts and apps, make a client write or a
//! candidate apply, repeat or reorder deliveries, fail or delay an operation (by Avito's
//! operationId), read the log of calls.
//!
//! `make run` mounts it under `/sandbox` of the local server when no Avito credentials are
//! configured; the binary `avito-sandbox` serves it alone.

pub mod api;
pub mod control;
pub mod oauth;
pub mod push;
pub mod state;

pub use state::{Sandbox, SandboxConfig};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use state::{Call, Fault};

/// The routes of Avito's endpoints with their operationIds from Avito's OpenAPI files.
const OPERATIONS: &[(&str, &str, &str)] = &[
    ("POST", "/token", "getAccessToken"),
    ("GET", "/core/v1/accounts/self", "getUserInfoSelf"),
    ("POST", "/messenger/v3/webhook", "postWebhookV3"),
    ("POST", "/messenger/v1/webhook/unsubscribe", "postWebhookUnsubscribe"),
    ("POST", "/messenger/v1/subscriptions", "getSubscriptions"),
    (
        "GET",
        "/messenger/v2/accounts/{user_id}/chats/{chat_id}",
        "getChatByIdV2",
    ),
    (
        "GET",
        "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
        "getMessagesV3",
    ),
    (
        "POST",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages",
        "postSendMessage",
    ),
    (
        "POST",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image",
        "postSendImageMessage",
    ),
    (
        "POST",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/{message_id}",
        "deleteMessage",
    ),
    (
        "POST",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/read",
        "chatRead",
    ),
    ("POST", "/messenger/v1/accounts/{user_id}/uploadImages", "uploadImages"),
    ("GET", "/messenger/v1/accounts/{user_id}/getVoiceFiles", "getVoiceFiles"),
    ("PUT", "/job/v1/applications/webhook", "applicationsWebhookPut"),
    ("GET", "/job/v1/applications/webhook", "applicationsWebhookGet"),
    ("DELETE", "/job/v1/applications/webhook", "applicationsWebhookDelete"),
    ("GET", "/job/v1/applications/webhooks", "applicationsWebhooksGet"),
    ("GET", "/job/v1/applications/get_ids", "applicationsGetIds"),
    ("POST", "/job/v1/applications/get_by_ids", "applicationsGetByIds"),
    ("GET", "/job/v2/resumes/{resume_id}", "resumeGetItem"),
    ("GET", "/job/v1/resumes/{resume_id}/contacts/", "resumeGetContacts"),
    ("GET", "/job/v2/vacancies/{vacancy_id}", "vacancyGetItem"),
];

/// The operationId of Avito's OpenAPI files for a matched route (also when the sandbox is mounted
/// under a prefix), which names it for faults and the log.
pub fn operation_id(method: &Method, matched_path: &str) -> Option<&'static str> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && matched_path.ends_with(p))
        .map(|(_, _, op)| *op)
}

/// Applies injected delays and faults, and logs each call with its answer.
async fn faults_and_log(State(sb): State<Sandbox>, matched: MatchedPath, req: Request, next: Next) -> Response {
    let Some(op) = operation_id(req.method(), matched.as_str()) else {
        return next.run(req).await;
    };
    let delay = sb.data().delays.get(op).copied();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    // The grant type of /token calls is in the form body: read it, then hand the body on.
    let (req, grant_type) = if op == "getAccessToken" {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 1024 * 1024).await.unwrap_or_default();
        let grant = form_value(&bytes, "grant_type");
        (Request::from_parts(parts, Body::from(bytes)), grant)
    } else {
        (req, None)
    };
    let fault: Option<Fault> = {
        let mut data = sb.data();
        let hit = data.faults.iter_mut().find(|f| f.operation == op && f.times > 0);
        hit.map(|f| {
            f.times -= 1;
            f.clone()
        })
    };
    let response = match fault {
        Some(f) => {
            let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = api::avito_error(status, "injected by the sandbox").into_response();
            if let Some(secs) = f.retry_after {
                r.headers_mut().insert("retry-after", HeaderValue::from(secs));
            }
            r
        }
        None => next.run(req).await,
    };
    sb.data().calls.push(Call {
        operation: op.to_owned(),
        status: response.status().as_u16(),
        grant_type,
    });
    response
}

/// A request that may change something marks the sandbox's state to be written to its state file
/// (when it has one: [`Sandbox::keep_saving`]), so a restart of the local server changes nothing.
async fn keep_state(State(sb): State<Sandbox>, req: Request, next: Next) -> Response {
    let changes = req.method() != Method::GET;
    let response = next.run(req).await;
    if changes {
        sb.changed();
    }
    response
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.replace('+', " "))
    })
}

/// Every route: Avito's endpoints, the authorize page and the control API.
pub fn router(sb: Sandbox) -> Router {
    let avito = Router::new()
        .route("/token", post(api::token))
        .route("/core/v1/accounts/self", get(api::account_self))
        .route("/messenger/v3/webhook", post(api::subscribe))
        .route("/messenger/v1/webhook/unsubscribe", post(api::unsubscribe))
        .route("/messenger/v1/subscriptions", post(api::subscriptions))
        .route("/messenger/v2/accounts/{user_id}/chats/{chat_id}", get(api::chat_info))
        .route(
            "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
            get(api::messages),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages",
            post(api::send_text),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image",
            post(api::send_image),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/{message_id}",
            post(api::delete_message),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/read",
            post(api::mark_read),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/uploadImages",
            // Avito takes images up to 24 MB; the multipart framing adds a little.
            post(api::upload_images).layer(axum::extract::DefaultBodyLimit::max(24 * 1024 * 1024 + 64 * 1024)),
        )
        .route("/messenger/v1/accounts/{user_id}/getVoiceFiles", get(api::voice_files))
        .route(
            "/job/v1/applications/webhook",
            put(api::put_job_webhook)
                .get(api::get_job_webhook)
                .delete(api::delete_job_webhook),
        )
        .route("/job/v1/applications/webhooks", get(api::list_job_webhooks))
        .route("/job/v1/applications/get_ids", get(api::application_ids))
        .route("/job/v1/applications/get_by_ids", post(api::applications_by_ids))
        .route("/job/v2/resumes/{resume_id}", get(api::resume))
        .route("/job/v1/resumes/{resume_id}/contacts/", get(api::resume_contacts))
        .route("/job/v2/vacancies/{vacancy_id}", get(api::vacancy))
        .route_layer(middleware::from_fn_with_state(sb.clone(), faults_and_log))
        // Avito's image limit is 24 MB.
        .layer(axum::extract::DefaultBodyLimit::max(25 * 1024 * 1024));
    let control = Router::new()
        .route("/_sandbox/accounts", post(control::create_account))
        .route("/_sandbox/accounts/{id}", get(control::account))
        .route("/_sandbox/accounts/{id}/expire-tokens", post(control::expire_tokens))
        .route("/_sandbox/accounts/{id}/revoke-tokens", post(control::revoke_tokens))
        .route(
            "/_sandbox/accounts/{id}/chats/{chat_id}/messages",
            get(control::chat_messages),
        )
        .route("/_sandbox/accounts/{id}/client-messages", post(control::client_message))
        .route("/_sandbox/accounts/{id}/applications", post(control::apply))
        .route(
            "/_sandbox/accounts/{id}/applications/{apply_id}/touch",
            post(control::touch_application),
        )
        .route("/_sandbox/apps", post(control::create_app))
        .route("/_sandbox/deliveries/flush", post(control::flush))
        .route(
            "/_sandbox/faults",
            post(control::add_fault).delete(control::clear_faults),
        )
        .route("/_sandbox/delays", post(control::add_delay))
        .route("/_sandbox/calls", get(control::calls).delete(control::clear_calls))
        .route("/_sandbox/images/{size}/{file}", get(control::media))
        .route("/_sandbox/voice/{file}", get(control::media))
        .route("/_sandbox/profile/{id}", get(control::profile))
        .route("/oauth", get(oauth::authorize_page))
        .route("/oauth/decision", post(oauth::decide));
    avito
        .merge(control)
        .layer(middleware::from_fn_with_state(sb.clone(), keep_state))
        .with_state(sb)
}

/// The demo data `make run` starts with: two accounts (a shop and a recruiting agency), a partner
/// app whose redirect URI is `redirect_uri`, and each account's personal key pair.
pub fn seed_demo(sb: &Sandbox, redirect_uri: &str) {
    use control::{NewAccount, NewApp, add_account, add_app};
    let shop = add_account(
        sb,
        NewAccount {
            id: Some(1001),
            name: "Магазин «Ромашка»".into(),
            email: None,
        },
    );
    let agency = add_account(
        sb,
        NewAccount {
            id: Some(1002),
            name: "Кадровое агентство «Старт»".into(),
            email: None,
        },
    );
    add_app(
        sb,
        NewApp {
            client_id: SANDBOX_CLIENT_ID.into(),
            client_secret: SANDBOX_CLIENT_SECRET.into(),
            redirect_uri: Some(redirect_uri.into()),
            account_id: None,
        },
    );
    for account in [shop, agency] {
        add_app(
            sb,
            NewApp {
                client_id: format!("personal-{account}"),
                client_secret: format!("personal-secret-{account}"),
                redirect_uri: None,
                account_id: Some(account),
            },
        );
    }
}

/// The partner app `seed_demo` registers (sandbox values, not secrets).
pub const SANDBOX_CLIENT_ID: &str = "sandbox-app";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-app-secret";

/// Serves a sandbox on a free loopback port (its public base set to that address) in the
/// background, for tests and tools; returns it with its base URL.
pub async fn serve_on_loopback(mut config: SandboxConfig) -> std::io::Result<(Sandbox, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    config.public_base = base.clone();
    let sb = Sandbox::new(config);
    let app = router(sb.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((sb, base))
}
