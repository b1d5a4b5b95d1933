//! The Avito endpoints, served from memory in the shapes of Avito's OpenAPI files.

use crate::push::{deliver_all, message_webhook};
use crate::state::{AccessGrant, CodeGrant, RefreshGrant, Sandbox, now, random_hex};
use avito_model::OkResponse;
use avito_model::auth::TokenResponse;
use avito_model::error::ErrorBody;
use avito_model::jobs::{ApplicationIds, ApplicationIdsRequest, ApplicationRef, Applications, JobWebhook, JobWebhooks};
use avito_model::messenger::{
    Chat, Direction, ImageContent, LastMessage, Message, MessageContent, MessageType, SendImageRequest,
    SendTextRequest, SentMessage, Subscription, Subscriptions, VoiceFiles, WebhookUrl,
};
use avito_model::user::AccountSelf;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// An error answer in Avito's shape.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody::new(self.status.as_u16(), self.message))).into_response()
    }
}

/// Avito's error answer.
pub fn avito_error(status: StatusCode, message: &str) -> Failure {
    Failure {
        status,
        message: message.to_owned(),
    }
}

type ApiResult<T> = Result<T, Failure>;

/// The account a bearer token acts for, if it is valid and carries `scope`.
fn authorize(sb: &Sandbox, headers: &HeaderMap, scope: &str) -> ApiResult<i64> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| avito_error(StatusCode::UNAUTHORIZED, "authorization required"))?;
    let data = sb.data();
    let grant = data
        .access
        .get(token)
        .ok_or_else(|| avito_error(StatusCode::UNAUTHORIZED, "invalid access token"))?;
    // Avito's guide: an expired token answers 403.
    if grant.expires_at <= now() {
        return Err(avito_error(StatusCode::FORBIDDEN, "access token expired"));
    }
    if grant.scopes.as_ref().is_some_and(|s| !s.iter().any(|s| s == scope)) {
        return Err(avito_error(StatusCode::FORBIDDEN, "insufficient scope"));
    }
    Ok(grant.account)
}

/// The token's account, which must be the path's `user_id`.
fn authorize_user(sb: &Sandbox, headers: &HeaderMap, scope: &str, user_id: i64) -> ApiResult<i64> {
    let account = authorize(sb, headers, scope)?;
    if account != user_id {
        return Err(avito_error(
            StatusCode::FORBIDDEN,
            "the token belongs to another account",
        ));
    }
    Ok(account)
}

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({"error": error}))).into_response()
}

fn issue(
    sb: &Sandbox,
    account: i64,
    client_id: &str,
    scopes: Option<Vec<String>>,
    with_refresh: bool,
) -> TokenResponse {
    let access_token = format!("sbx-at-{}", random_hex());
    let mut data = sb.data();
    data.access.insert(
        access_token.clone(),
        AccessGrant {
            account,
            expires_at: now() + sb.config.access_ttl,
            scopes: scopes.clone(),
        },
    );
    let refresh_token = with_refresh.then(|| {
        let rt = format!("sbx-rt-{}", random_hex());
        data.refresh.insert(
            rt.clone(),
            RefreshGrant {
                account,
                client_id: client_id.to_owned(),
                scopes: scopes.clone().unwrap_or_default(),
            },
        );
        rt
    });
    TokenResponse {
        access_token,
        expires_in: Some(sb.config.access_ttl as f64),
        refresh_token,
        scope: scopes.map(|s| s.join(",")),
        token_type: Some("Bearer".into()),
    }
}

/// `POST /token`: client_credentials, authorization_code (single-use codes) and refresh_token
/// (rotating: a refresh token works once).
pub async fn token(State(sb): State<Sandbox>, axum::Form(form): axum::Form<TokenForm>) -> Response {
    let (Some(client_id), Some(secret)) = (form.client_id.as_deref(), form.client_secret.as_deref()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let app = sb.data().apps.get(client_id).cloned();
    let Some(app) = app.filter(|a| a.client_secret == secret) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => match app.account {
            Some(account) => Json(issue(&sb, account, client_id, None, false)).into_response(),
            None => oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client"),
        },
        Some("authorization_code") => {
            let grant = form.code.as_deref().and_then(|c| sb.data().codes.remove(c));
            match grant {
                Some(g) if g.client_id == client_id && g.expires_at > now() => {
                    Json(issue(&sb, g.account, client_id, Some(g.scopes), true)).into_response()
                }
                _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
            }
        }
        Some("refresh_token") => {
            let grant = form.refresh_token.as_deref().and_then(|r| sb.data().refresh.remove(r));
            match grant {
                Some(g) if g.client_id == client_id => {
                    Json(issue(&sb, g.account, client_id, Some(g.scopes), true)).into_response()
                }
                _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
            }
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

/// Records an authorization code for the authorize page.
pub fn new_code(sb: &Sandbox, account: i64, client_id: &str, scopes: Vec<String>) -> String {
    let code = format!("sbx-code-{}", random_hex());
    sb.data().codes.insert(
        code.clone(),
        CodeGrant {
            account,
            client_id: client_id.to_owned(),
            scopes,
            expires_at: now() + 600,
        },
    );
    code
}

/// `GET /core/v1/accounts/self`.
pub async fn account_self(State(sb): State<Sandbox>, headers: HeaderMap) -> ApiResult<Json<AccountSelf>> {
    let id = authorize(&sb, &headers, "user:read")?;
    let data = sb.data();
    let a = data
        .accounts
        .get(&id)
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "no such account"))?;
    Ok(Json(AccountSelf {
        id: a.id,
        name: Some(a.name.clone()),
        email: Some(a.email.clone()),
        phone: None,
        phones: Some(Vec::new()),
        profile_url: Some(format!("{}/_sandbox/profile/{}", sb.config.public_base, a.id)),
    }))
}

/// Sends `{}` (messenger) or an empty body with `X-Secret` (Jobs) and wants 2xx within 2 s.
async fn verify_url(sb: &Sandbox, url: &str, job_secret: Option<&str>) -> ApiResult<()> {
    if !sb.config.verify_subscriptions {
        return Ok(());
    }
    let mut req = sb.http.post(url).timeout(std::time::Duration::from_secs(2));
    req = match job_secret {
        Some(secret) => req.header("X-Secret", secret),
        None => req.json(&serde_json::json!({})),
    };
    match req.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(avito_error(
            StatusCode::BAD_REQUEST,
            &format!("webhook url answered {} to the verification request", r.status()),
        )),
        Err(_) => Err(avito_error(
            StatusCode::BAD_REQUEST,
            "webhook url is unreachable or slower than 2 s",
        )),
    }
}

/// `POST /messenger/v3/webhook`.
pub async fn subscribe(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Json(body): Json<WebhookUrl>,
) -> ApiResult<Json<OkResponse>> {
    let account = authorize(&sb, &headers, "messenger:read")?;
    verify_url(&sb, &body.url, None).await?;
    let mut data = sb.data();
    let hooks = data.messenger_hooks.entry(account).or_default();
    if !hooks.contains(&body.url) {
        hooks.push(body.url);
    }
    Ok(Json(OkResponse { ok: true }))
}

/// `POST /messenger/v1/webhook/unsubscribe`.
pub async fn unsubscribe(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Json(body): Json<WebhookUrl>,
) -> ApiResult<Json<OkResponse>> {
    let account = authorize(&sb, &headers, "messenger:read")?;
    sb.data()
        .messenger_hooks
        .entry(account)
        .or_default()
        .retain(|u| *u != body.url);
    Ok(Json(OkResponse { ok: true }))
}

/// `POST /messenger/v1/subscriptions`.
pub async fn subscriptions(State(sb): State<Sandbox>, headers: HeaderMap) -> ApiResult<Json<Subscriptions>> {
    let account = authorize(&sb, &headers, "messenger:read")?;
    let urls = sb.data().messenger_hooks.get(&account).cloned().unwrap_or_default();
    Ok(Json(Subscriptions {
        subscriptions: urls
            .into_iter()
            .map(|url| Subscription {
                url,
                version: Some("3".into()),
            })
            .collect(),
    }))
}

fn chat_of<'a>(
    data: &'a mut crate::state::Data,
    account: i64,
    chat_id: &str,
) -> ApiResult<&'a mut crate::state::ChatState> {
    data.chats
        .get_mut(&account)
        .and_then(|c| c.get_mut(chat_id))
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "chat not found"))
}

/// `GET /messenger/v2/accounts/{user_id}/chats/{chat_id}`.
pub async fn chat_info(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id)): Path<(i64, String)>,
) -> ApiResult<Json<Chat>> {
    let account = authorize_user(&sb, &headers, "messenger:read", user_id)?;
    let mut data = sb.data();
    let state = chat_of(&mut data, account, &chat_id)?;
    let mut chat = state.chat.clone();
    chat.last_message = state.messages.last().map(|m| LastMessage {
        id: Some(m.id.clone()),
        author_id: m.author_id,
        created: m.created,
        direction: m.direction.clone(),
        kind: Some(m.kind.clone()),
        content: Some(m.content.clone()),
    });
    Ok(Json(chat))
}

#[derive(Deserialize)]
pub struct Paging {
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `GET /messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/`: newest first.
pub async fn messages(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id)): Path<(i64, String)>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Vec<Message>>> {
    let account = authorize_user(&sb, &headers, "messenger:read", user_id)?;
    let (limit, offset) = (paging.limit.unwrap_or(100), paging.offset.unwrap_or(0));
    if !(1..=100).contains(&limit) || offset > 1000 {
        return Err(avito_error(
            StatusCode::BAD_REQUEST,
            "limit must be 1..100 and offset 0..1000",
        ));
    }
    let mut data = sb.data();
    let state = chat_of(&mut data, account, &chat_id)?;
    Ok(Json(
        state.messages.iter().rev().skip(offset).take(limit).cloned().collect(),
    ))
}

/// Appends the account's own message to a chat and echoes it to the subscribers, as Avito does.
async fn send_own(
    sb: &Sandbox,
    account: i64,
    chat_id: &str,
    kind: MessageType,
    content: MessageContent,
) -> ApiResult<SentMessage> {
    let message = Message {
        id: random_hex(),
        author_id: Some(account),
        created: Some(now()),
        direction: Some(Direction::Out),
        kind: kind.clone(),
        content: content.clone(),
        is_read: Some(true),
        read: None,
        quote: None,
    };
    let deliveries = {
        let mut data = sb.data();
        let state = chat_of(&mut data, account, chat_id)?;
        state.messages.push(message.clone());
        let chat = state.chat.clone();
        let urls = data.messenger_hooks.get(&account).cloned().unwrap_or_default();
        urls.into_iter()
            .map(|url| message_webhook(url, account, &chat, &message))
            .collect::<Vec<_>>()
    };
    // Avito's webhooks are asynchronous: the echo goes out after the answer.
    let pusher = sb.clone();
    tokio::spawn(async move {
        deliver_all(&pusher, deliveries).await;
    });
    Ok(SentMessage {
        id: message.id,
        author_id: Some(account),
        created: message.created,
        direction: Some(Direction::Out),
        kind: Some(kind),
        content: Some(content),
    })
}

/// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages`: text up to 1000 characters.
pub async fn send_text(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id)): Path<(i64, String)>,
    Json(body): Json<SendTextRequest>,
) -> ApiResult<Json<SentMessage>> {
    let account = authorize_user(&sb, &headers, "messenger:write", user_id)?;
    let length = body.message.text.chars().count();
    if body.kind != "text" || length == 0 || length > 1000 {
        return Err(avito_error(
            StatusCode::BAD_REQUEST,
            "text must be 1 to 1000 characters",
        ));
    }
    let content = MessageContent {
        text: Some(body.message.text),
        ..Default::default()
    };
    Ok(Json(
        send_own(&sb, account, &chat_id, MessageType::Text, content).await?,
    ))
}

/// `POST /messenger/v1/accounts/{user_id}/uploadImages`: one image in `uploadfile[]`, ≤ 24 MB.
pub async fn upload_images(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(user_id): Path<i64>,
    mut multipart: Multipart,
) -> ApiResult<Json<BTreeMap<String, BTreeMap<String, String>>>> {
    let account = authorize_user(&sb, &headers, "messenger:write", user_id)?;
    let bad = |m: &str| avito_error(StatusCode::BAD_REQUEST, m);
    let field = multipart
        .next_field()
        .await
        .map_err(|_| bad("malformed multipart body"))?
        .ok_or_else(|| bad("no file"))?;
    if field.name() != Some("uploadfile[]") {
        return Err(bad("the file must be in the field uploadfile[]"));
    }
    let content_type = field.content_type().unwrap_or("").to_owned();
    let allowed = ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/heic"];
    if !allowed.contains(&content_type.as_str()) {
        return Err(bad("only JPEG, PNG, GIF, BMP and HEIC images are accepted"));
    }
    let bytes = field.bytes().await.map_err(|_| bad("cannot read the file"))?;
    if bytes.is_empty() || bytes.len() > 24 * 1024 * 1024 {
        return Err(bad("the image must be at most 24 MB"));
    }
    let id = format!("{}.{}", sb.data().next_number(), random_hex());
    let sizes: BTreeMap<String, String> = ["1280x960", "640x480", "140x105", "32x32"]
        .iter()
        .map(|s| {
            (
                (*s).to_owned(),
                format!("{}/_sandbox/images/{s}/{id}.jpg", sb.config.public_base),
            )
        })
        .collect();
    sb.data().uploaded_images.insert(id.clone(), (account, sizes.clone()));
    Ok(Json(BTreeMap::from([(id, sizes)])))
}

/// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image`.
pub async fn send_image(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id)): Path<(i64, String)>,
    Json(body): Json<SendImageRequest>,
) -> ApiResult<Json<SentMessage>> {
    let account = authorize_user(&sb, &headers, "messenger:write", user_id)?;
    let sizes = match sb.data().uploaded_images.get(&body.image_id) {
        Some((owner, sizes)) if *owner == account => sizes.clone(),
        _ => return Err(avito_error(StatusCode::BAD_REQUEST, "unknown image_id")),
    };
    let content = MessageContent {
        image: Some(ImageContent { sizes }),
        ..Default::default()
    };
    Ok(Json(
        send_own(&sb, account, &chat_id, MessageType::Image, content).await?,
    ))
}

/// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/{message_id}`: deletes the
/// account's own message within an hour of sending.
pub async fn delete_message(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id, message_id)): Path<(i64, String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let account = authorize_user(&sb, &headers, "messenger:write", user_id)?;
    let mut data = sb.data();
    let state = chat_of(&mut data, account, &chat_id)?;
    let message = state
        .messages
        .iter_mut()
        .find(|m| m.id == message_id)
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "message not found"))?;
    if message.author_id != Some(account) {
        return Err(avito_error(
            StatusCode::FORBIDDEN,
            "only your own messages can be deleted",
        ));
    }
    if message.created.is_some_and(|c| now() - c > 3600) {
        return Err(avito_error(
            StatusCode::BAD_REQUEST,
            "a message can be deleted within 1 hour of sending",
        ));
    }
    message.kind = MessageType::Deleted;
    message.content = MessageContent::default();
    Ok(Json(serde_json::json!({})))
}

/// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/read`.
pub async fn mark_read(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((user_id, chat_id)): Path<(i64, String)>,
) -> ApiResult<Json<OkResponse>> {
    let account = authorize_user(&sb, &headers, "messenger:read", user_id)?;
    let mut data = sb.data();
    let state = chat_of(&mut data, account, &chat_id)?;
    for m in state.messages.iter_mut().filter(|m| m.direction == Some(Direction::In)) {
        m.is_read = Some(true);
    }
    Ok(Json(OkResponse { ok: true }))
}

/// `GET /messenger/v1/accounts/{user_id}/getVoiceFiles?voice_ids=a&voice_ids=b` (an array
/// parameter, repeated; a comma is part of an id, as at Avito).
pub async fn voice_files(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(user_id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Json<VoiceFiles>> {
    authorize_user(&sb, &headers, "messenger:read", user_id)?;
    let data = sb.data();
    let voices_urls = q
        .iter()
        .filter(|(key, _)| key == "voice_ids")
        .map(|(_, id)| id.as_str())
        .filter(|id| data.voices.contains_key(*id))
        .map(|id| {
            (
                id.to_owned(),
                format!("{}/_sandbox/voice/{id}.mp4", sb.config.public_base),
            )
        })
        .collect();
    Ok(Json(VoiceFiles { voices_urls }))
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// `PUT /job/v1/applications/webhook`: verifies the URL, then adds or replaces it.
pub async fn put_job_webhook(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Json(body): Json<JobWebhook>,
) -> ApiResult<Json<JobWebhook>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    if body.secret.chars().count() > 100 || body.url.is_empty() {
        return Err(avito_error(
            StatusCode::BAD_REQUEST,
            "url is required and the secret is at most 100 characters",
        ));
    }
    verify_url(&sb, &body.url, Some(&body.secret)).await?;
    let mut data = sb.data();
    let hooks = data.job_hooks.entry(account).or_default();
    hooks.retain(|h| h.url != body.url);
    hooks.push(body.clone());
    Ok(Json(body))
}

/// `GET /job/v1/applications/webhook`: the oldest active one.
pub async fn get_job_webhook(State(sb): State<Sandbox>, headers: HeaderMap) -> ApiResult<Json<JobWebhook>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    let first = sb.data().job_hooks.get(&account).and_then(|h| h.first().cloned());
    first
        .map(Json)
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "no webhook"))
}

/// `GET /job/v1/applications/webhooks`.
pub async fn list_job_webhooks(State(sb): State<Sandbox>, headers: HeaderMap) -> ApiResult<Json<JobWebhooks>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    Ok(Json(JobWebhooks {
        webhooks: sb.data().job_hooks.get(&account).cloned().unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
pub struct UrlQuery {
    url: Option<String>,
}

/// `DELETE /job/v1/applications/webhook?url=`: that URL, or all without one.
pub async fn delete_job_webhook(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<UrlQuery>,
) -> ApiResult<Json<OkResponse>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    let mut data = sb.data();
    let hooks = data.job_hooks.entry(account).or_default();
    match q.url {
        Some(url) => hooks.retain(|h| h.url != url),
        None => hooks.clear(),
    }
    Ok(Json(OkResponse { ok: true }))
}

/// `GET /job/v1/applications/get_ids`: newest first, 100 a page, `cursor` = last id seen.
pub async fn application_ids(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ApplicationIds>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    if !q.contains_key("updatedAtFrom") && !q.contains_key("createdAtFrom") {
        return Err(avito_error(
            StatusCode::BAD_REQUEST,
            "updatedAtFrom or createdAtFrom is required",
        ));
    }
    let data = sb.data();
    let all: Vec<_> = data
        .applications
        .get(&account)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .rev()
        .collect();
    let start = q
        .get("cursor")
        .and_then(|c| all.iter().position(|a| &a.id == c).map(|i| i + 1))
        .unwrap_or(0);
    let applies = all
        .iter()
        .skip(start)
        .take(100)
        .map(|a| ApplicationRef {
            id: a.id.clone(),
            created_at: a.created_at.clone(),
            updated_at: a.updated_at.clone(),
            state: a.state.clone(),
        })
        .collect();
    Ok(Json(ApplicationIds { applies }))
}

/// `POST /job/v1/applications/get_by_ids`: at most 100 ids.
pub async fn applications_by_ids(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Json(body): Json<ApplicationIdsRequest>,
) -> ApiResult<Json<Applications>> {
    let account = authorize(&sb, &headers, "job:applications")?;
    if body.ids.len() > 100 {
        return Err(avito_error(StatusCode::BAD_REQUEST, "at most 100 ids"));
    }
    let data = sb.data();
    let applies = data
        .applications
        .get(&account)
        .into_iter()
        .flatten()
        .filter(|a| body.ids.contains(&a.id))
        .cloned()
        .collect();
    Ok(Json(Applications { applies }))
}

/// `GET /job/v2/resumes/{resume_id}`.
pub async fn resume(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(resume_id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    authorize(&sb, &headers, "job:cv")?;
    let data = sb.data();
    data.resumes
        .get(&resume_id)
        .map(|(r, _)| Json(r.clone()))
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "resume not found"))
}

/// `GET /job/v1/resumes/{resume_id}/contacts/`.
pub async fn resume_contacts(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(resume_id): Path<String>,
) -> ApiResult<Json<avito_model::jobs::ResumeContacts>> {
    authorize(&sb, &headers, "job:cv")?;
    let data = sb.data();
    data.resumes
        .get(&resume_id)
        .map(|(_, c)| Json(c.clone()))
        .ok_or_else(|| avito_error(StatusCode::NOT_FOUND, "resume not found"))
}

/// `GET /job/v2/vacancies/{vacancy_id}`: only the owner may read it.
pub async fn vacancy(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(vacancy_id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let account = authorize(&sb, &headers, "job:vacancy")?;
    let data = sb.data();
    match data.vacancies.get(&vacancy_id) {
        Some(v) if v["owner"].as_i64() == Some(account) => {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("owner");
            }
            Ok(Json(v))
        }
        _ => Err(avito_error(StatusCode::NOT_FOUND, "vacancy not found")),
    }
}

/// The access grant of a token, for the control API's `expire-tokens`.
pub fn expire_account_tokens(sb: &Sandbox, account: i64) -> usize {
    let mut data = sb.data();
    let mut n = 0;
    for grant in data.access.values_mut().filter(|g| g.account == account) {
        grant.expires_at = 0;
        n += 1;
    }
    n
}

/// Forgets every token and refresh token of `account` and its personal key pairs (as when the
/// owner revokes the app's access or makes new keys): calls with them are refused, and so are
/// refreshes.
pub fn revoke_account_grants(sb: &Sandbox, account: i64) -> usize {
    let mut data = sb.data();
    let before = data.access.len() + data.refresh.len() + data.apps.len();
    data.access.retain(|_, g| g.account != account);
    data.refresh.retain(|_, g| g.account != account);
    data.apps.retain(|_, a| a.account != Some(account));
    before - data.access.len() - data.refresh.len() - data.apps.len()
}

/// Response helper for "no such thing".
pub fn not_found() -> Response {
    avito_error(StatusCode::NOT_FOUND, "not found").into_response()
}
