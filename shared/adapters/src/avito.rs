//! The Avito API client (reqwest with rustls) for exactly the endpoints this product uses, each as
//! Avito's OpenAPI files define it. The same client talks to real Avito or to the sandbox: only the
//! base URL differs (`AVITO_API_BASE_URL`).
//!
//! Failure policy, per call:
//! - 401 or 403: the access token is refreshed once through the [`AccessTokenSource`] and the call
//!   repeated; a second refusal is an error ([`AvitoError::Unauthorized`] / [`AvitoError::Forbidden`]).
//! - 402: [`AvitoError::SubscriptionRequired`] (the account lacks Avito's paid subscription).
//! - 429: waits for `Retry-After` (up to [`RetryPolicy::max_retry_after`]), else backs off with
//!   jitter, up to the attempt limit.
//! - 5xx and timeouts: bounded retries with backoff, but only for calls that are safe to repeat.
//!   Sending a message is not: a timeout may mean it was sent, and Avito has no idempotency key, so
//!   a send is never repeated after the request reached Avito (only after a refused connection or a
//!   429, which mean it was not processed).
//! - Every request has a timeout.

use avito_model::OkResponse;
use avito_model::auth::TokenResponse;
use avito_model::error::ErrorBody;
use avito_model::jobs::{
    ApplicationIds, ApplicationIdsRequest, Applications, JobWebhook, JobWebhooks, Resume, ResumeContacts, Vacancy,
};
use avito_model::messenger::{
    Chat, Messages, SendImageRequest, SendTextRequest, SentMessage, Subscriptions, UploadedImages, VoiceFiles,
    WebhookUrl,
};
use avito_model::user::AccountSelf;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Avito's API, the default base URL.
pub const AVITO_API_BASE_URL: &str = "https://api.avito.ru";
/// Avito's authorize page, the default for `AVITO_OAUTH_URL`.
pub const AVITO_OAUTH_URL: &str = "https://avito.ru/oauth";

/// Why an Avito call failed.
#[derive(Debug, thiserror::Error)]
pub enum AvitoError {
    /// The token was refused again after a refresh.
    #[error("Avito refused the credentials")]
    Unauthorized,
    /// Refused after a refresh: missing rights or scope, or data the other side hides.
    #[error("Avito refused access: {0}")]
    Forbidden(String),
    /// 402: the account needs Avito's paid subscription for this.
    #[error("Avito requires a paid subscription for this")]
    SubscriptionRequired,
    #[error("not found at Avito")]
    NotFound,
    /// 400 (or another 4xx) with Avito's reason.
    #[error("Avito rejected the request: {0}")]
    Rejected(String),
    /// The token endpoint refused the code or refresh token (used, expired or revoked).
    #[error("the authorization grant is invalid or was already used")]
    InvalidGrant,
    /// The token endpoint refused the app's client id or secret.
    #[error("the Avito client id or secret is wrong")]
    InvalidClient,
    /// 429 beyond the retries.
    #[error("Avito rate limit reached")]
    RateLimited,
    /// 5xx or no answer in time, beyond the retries (or a send that must not be repeated).
    #[error("Avito is unavailable: {0}")]
    Unavailable(String),
    /// Avito answered something this client cannot read.
    #[error("unexpected answer from Avito: {0}")]
    Malformed(String),
    /// The access token could not be obtained.
    #[error("no access token: {0}")]
    Credentials(String),
}

impl AvitoError {
    /// Whether the failure proves Avito did not carry out the request: it refused it, or the
    /// request never left here (no token). A 5xx, a timeout or an unreadable success may hide a
    /// request Avito carried out.
    pub fn proves_not_processed(&self) -> bool {
        !matches!(self, AvitoError::Unavailable(_) | AvitoError::Malformed(_))
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AvitoError::RateLimited | AvitoError::Unavailable(_))
    }
}

/// A failure to obtain an access token, as the failure of the call that needed it: the call was
/// never carried out (it was not sent, or Avito refused it for its token), so even a 5xx from the
/// token endpoint proves it ([`AvitoError::proves_not_processed`]).
fn not_sent(e: AvitoError) -> AvitoError {
    match e {
        AvitoError::Unavailable(m) | AvitoError::Malformed(m) => {
            AvitoError::Credentials(format!("no valid access token could be obtained ({m})"))
        }
        other => other,
    }
}

/// Where a call's access token comes from.
#[async_trait::async_trait]
pub trait AccessTokenSource: Send + Sync {
    /// A token believed valid (refreshed ahead of expiry by the implementation).
    async fn access_token(&self) -> Result<String, AvitoError>;
    /// Avito refused `rejected`: a new token (refreshed, or a newer one someone else obtained).
    async fn refreshed_token(&self, rejected: &str) -> Result<String, AvitoError>;
}

/// Retry and timeout settings.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The first backoff; doubled per attempt, with up to 50 % jitter added.
    pub base_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one fails the call as rate limited.
    pub max_retry_after: Duration,
    /// Timeout of one request.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_backoff: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Whether a call may be repeated after it may have reached Avito.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    Safe,
    OnlyIfNotProcessed,
}

/// The client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AvitoClient {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
}

fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    max.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

async fn reason(response: reqwest::Response) -> String {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&body)
        .ok()
        .and_then(|b| b.error)
        .and_then(|e| e.message);
    match message {
        Some(m) => format!("{status}: {m}"),
        None => status.to_string(),
    }
}

impl AvitoClient {
    /// A client for `base` (e.g. [`AVITO_API_BASE_URL`], or the sandbox's URL).
    pub fn new(base: impl Into<String>, policy: RetryPolicy) -> Result<Self, AvitoError> {
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| AvitoError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: base.into().trim_end_matches('/').to_owned(),
            policy,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.policy.base_backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
        base + jitter(base / 2)
    }

    /// Runs one call with the failure policy of this module.
    async fn call<T: DeserializeOwned>(
        &self,
        tokens: Option<&dyn AccessTokenSource>,
        repeat: Repeat,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<T, AvitoError> {
        let mut token = match tokens {
            Some(t) => Some(t.access_token().await.map_err(not_sent)?),
            None => None,
        };
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let attempts_left = attempt < self.policy.max_attempts;
            let mut request = build(&self.http);
            if let Some(t) = &token {
                request = request.bearer_auth(t);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    let not_processed = e.is_connect();
                    if attempts_left && (repeat == Repeat::Safe || not_processed) {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    let what = if e.is_timeout() {
                        "no answer in time"
                    } else {
                        "connection failed"
                    };
                    return Err(AvitoError::Unavailable(what.into()));
                }
            };
            let status = response.status();
            match status {
                s if s.is_success() => {
                    let bytes = response
                        .bytes()
                        .await
                        .map_err(|e| AvitoError::Unavailable(format!("reading the answer: {e}")))?;
                    let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                        b"{}"
                    } else {
                        &bytes
                    };
                    return serde_json::from_slice(body).map_err(|e| AvitoError::Malformed(e.to_string()));
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN if tokens.is_some() && !refreshed => {
                    refreshed = true;
                    attempt -= 1;
                    if let Some(source) = tokens {
                        let rejected = token.take().unwrap_or_default();
                        // Avito refused the request with the old token; a failure to get a new
                        // one leaves it refused, so the request was not carried out.
                        token = Some(source.refreshed_token(&rejected).await.map_err(not_sent)?);
                    }
                }
                StatusCode::UNAUTHORIZED => return Err(AvitoError::Unauthorized),
                StatusCode::FORBIDDEN => return Err(AvitoError::Forbidden(reason(response).await)),
                StatusCode::PAYMENT_REQUIRED => return Err(AvitoError::SubscriptionRequired),
                StatusCode::NOT_FOUND => return Err(AvitoError::NotFound),
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after(response.headers());
                    if !attempts_left || wait.is_some_and(|w| w > self.policy.max_retry_after) {
                        return Err(AvitoError::RateLimited);
                    }
                    tokio::time::sleep(wait.unwrap_or_else(|| self.backoff(attempt))).await;
                }
                s if s.is_server_error() => {
                    if attempts_left && repeat == Repeat::Safe {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(AvitoError::Unavailable(reason(response).await));
                }
                _ => return Err(AvitoError::Rejected(reason(response).await)),
            }
        }
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenResponse, AvitoError> {
        let url = self.url("/token");
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let result = self
            .call::<TokenResponse>(None, Repeat::OnlyIfNotProcessed, |c| {
                c.post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone())
            })
            .await;
        match result {
            Err(AvitoError::Rejected(m)) if m.contains("invalid_grant") || m.starts_with("400") => {
                Err(AvitoError::InvalidGrant)
            }
            Err(AvitoError::Unauthorized) => Err(AvitoError::InvalidClient),
            other => other,
        }
    }

    /// `POST /token` with `client_credentials`: the account's own key pair.
    pub async fn token_client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<TokenResponse, AvitoError> {
        self.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .await
    }

    /// `POST /token` with `authorization_code`.
    pub async fn token_authorization_code(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
    ) -> Result<TokenResponse, AvitoError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("code", code),
        ])
        .await
    }

    /// `POST /token` with `refresh_token`. Avito rotates refresh tokens: store the new pair.
    pub async fn token_refresh(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
    ) -> Result<TokenResponse, AvitoError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        tokens: &dyn AccessTokenSource,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, AvitoError> {
        let url = self.url(path);
        self.call(Some(tokens), Repeat::Safe, |c| c.get(&url).query(query))
            .await
    }

    async fn send_json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        tokens: &dyn AccessTokenSource,
        method: Method,
        path: &str,
        body: Option<&B>,
        repeat: Repeat,
    ) -> Result<T, AvitoError> {
        let url = self.url(path);
        self.call(Some(tokens), repeat, |c| {
            let r = c.request(method.clone(), &url);
            match body {
                Some(b) => r.json(b),
                None => r,
            }
        })
        .await
    }

    /// `GET /core/v1/accounts/self`.
    pub async fn account_self(&self, tokens: &dyn AccessTokenSource) -> Result<AccountSelf, AvitoError> {
        self.get(tokens, "/core/v1/accounts/self", &[]).await
    }

    /// `POST /messenger/v3/webhook`.
    pub async fn subscribe_messenger(&self, tokens: &dyn AccessTokenSource, url: &str) -> Result<(), AvitoError> {
        let body = WebhookUrl { url: url.to_owned() };
        self.send_json::<OkResponse, _>(tokens, Method::POST, "/messenger/v3/webhook", Some(&body), Repeat::Safe)
            .await
            .map(drop)
    }

    /// `POST /messenger/v1/webhook/unsubscribe`.
    pub async fn unsubscribe_messenger(&self, tokens: &dyn AccessTokenSource, url: &str) -> Result<(), AvitoError> {
        let body = WebhookUrl { url: url.to_owned() };
        self.send_json::<OkResponse, _>(
            tokens,
            Method::POST,
            "/messenger/v1/webhook/unsubscribe",
            Some(&body),
            Repeat::Safe,
        )
        .await
        .map(drop)
    }

    /// `POST /messenger/v1/subscriptions`.
    pub async fn messenger_subscriptions(&self, tokens: &dyn AccessTokenSource) -> Result<Subscriptions, AvitoError> {
        self.send_json::<Subscriptions, ()>(tokens, Method::POST, "/messenger/v1/subscriptions", None, Repeat::Safe)
            .await
    }

    /// `GET /messenger/v2/accounts/{user_id}/chats/{chat_id}`: the client and the listing.
    pub async fn chat(&self, tokens: &dyn AccessTokenSource, user_id: i64, chat_id: &str) -> Result<Chat, AvitoError> {
        self.get(
            tokens,
            &format!("/messenger/v2/accounts/{user_id}/chats/{}", path_segment(chat_id)),
            &[],
        )
        .await
    }

    /// `GET /messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/`: newest first.
    pub async fn messages(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        chat_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Messages, AvitoError> {
        let path = format!(
            "/messenger/v3/accounts/{user_id}/chats/{}/messages/",
            path_segment(chat_id)
        );
        self.get(
            tokens,
            &path,
            &[("limit", limit.to_string()), ("offset", offset.to_string())],
        )
        .await
    }

    /// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages`: text, at most 1000
    /// characters. Never repeated once it may have reached Avito.
    pub async fn send_text(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        chat_id: &str,
        text: &str,
    ) -> Result<SentMessage, AvitoError> {
        let path = format!(
            "/messenger/v1/accounts/{user_id}/chats/{}/messages",
            path_segment(chat_id)
        );
        self.send_json(
            tokens,
            Method::POST,
            &path,
            Some(&SendTextRequest::text(text)),
            Repeat::OnlyIfNotProcessed,
        )
        .await
    }

    /// `POST /messenger/v1/accounts/{user_id}/uploadImages`: one image as `uploadfile[]`.
    pub async fn upload_image(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedImages, AvitoError> {
        let url = self.url(&format!("/messenger/v1/accounts/{user_id}/uploadImages"));
        let part = |bytes: Vec<u8>| -> Result<reqwest::multipart::Part, AvitoError> {
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str(content_type)
                .map_err(|_| AvitoError::Rejected(format!("not a content type: {content_type}")))
        };
        part(Vec::new())?;
        self.call(Some(tokens), Repeat::Safe, |c| {
            let form = match part(bytes.clone()) {
                Ok(p) => reqwest::multipart::Form::new().part("uploadfile[]", p),
                Err(_) => reqwest::multipart::Form::new(),
            };
            c.post(&url).multipart(form)
        })
        .await
    }

    /// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image`. Never repeated once
    /// it may have reached Avito.
    pub async fn send_image(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        chat_id: &str,
        image_id: &str,
    ) -> Result<SentMessage, AvitoError> {
        let path = format!(
            "/messenger/v1/accounts/{user_id}/chats/{}/messages/image",
            path_segment(chat_id)
        );
        let body = SendImageRequest {
            image_id: image_id.to_owned(),
        };
        self.send_json(tokens, Method::POST, &path, Some(&body), Repeat::OnlyIfNotProcessed)
            .await
    }

    /// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/{message_id}`: deletes one
    /// of the account's messages (Avito allows it within an hour).
    pub async fn delete_message(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        chat_id: &str,
        message_id: &str,
    ) -> Result<(), AvitoError> {
        let path = format!(
            "/messenger/v1/accounts/{user_id}/chats/{}/messages/{}",
            path_segment(chat_id),
            path_segment(message_id)
        );
        self.send_json::<serde_json::Value, ()>(tokens, Method::POST, &path, None, Repeat::Safe)
            .await
            .map(drop)
    }

    /// `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/read`.
    pub async fn mark_read(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        chat_id: &str,
    ) -> Result<(), AvitoError> {
        let path = format!("/messenger/v1/accounts/{user_id}/chats/{}/read", path_segment(chat_id));
        self.send_json::<OkResponse, ()>(tokens, Method::POST, &path, None, Repeat::Safe)
            .await
            .map(drop)
    }

    /// `GET /messenger/v1/accounts/{user_id}/getVoiceFiles`: download links, valid for an hour.
    pub async fn voice_files(
        &self,
        tokens: &dyn AccessTokenSource,
        user_id: i64,
        voice_ids: &[&str],
    ) -> Result<VoiceFiles, AvitoError> {
        let path = format!("/messenger/v1/accounts/{user_id}/getVoiceFiles");
        // An array parameter: repeated, as Avito's OpenAPI file describes it.
        let query: Vec<(&str, String)> = voice_ids.iter().map(|id| ("voice_ids", (*id).to_owned())).collect();
        self.get(tokens, &path, &query).await
    }

    /// `PUT /job/v1/applications/webhook`: Avito checks the URL with an empty POST first.
    pub async fn put_applications_webhook(
        &self,
        tokens: &dyn AccessTokenSource,
        url: &str,
        secret: &str,
    ) -> Result<JobWebhook, AvitoError> {
        let body = JobWebhook {
            url: url.to_owned(),
            secret: secret.to_owned(),
        };
        self.send_json(
            tokens,
            Method::PUT,
            "/job/v1/applications/webhook",
            Some(&body),
            Repeat::Safe,
        )
        .await
    }

    /// `GET /job/v1/applications/webhook`: the oldest active one.
    pub async fn applications_webhook(&self, tokens: &dyn AccessTokenSource) -> Result<JobWebhook, AvitoError> {
        self.get(tokens, "/job/v1/applications/webhook", &[]).await
    }

    /// `GET /job/v1/applications/webhooks`.
    pub async fn applications_webhooks(&self, tokens: &dyn AccessTokenSource) -> Result<JobWebhooks, AvitoError> {
        self.get(tokens, "/job/v1/applications/webhooks", &[]).await
    }

    /// `DELETE /job/v1/applications/webhook?url=`: only that URL.
    pub async fn delete_applications_webhook(
        &self,
        tokens: &dyn AccessTokenSource,
        url: &str,
    ) -> Result<(), AvitoError> {
        let full = self.url("/job/v1/applications/webhook");
        self.call::<OkResponse>(Some(tokens), Repeat::Safe, |c| c.delete(&full).query(&[("url", url)]))
            .await
            .map(drop)
    }

    /// `GET /job/v1/applications/get_ids`: ids updated since `updated_from` (YYYY-MM-DD).
    pub async fn application_ids(
        &self,
        tokens: &dyn AccessTokenSource,
        updated_from: &str,
        cursor: Option<&str>,
    ) -> Result<ApplicationIds, AvitoError> {
        let mut query = vec![("updatedAtFrom", updated_from.to_owned())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_owned()));
        }
        self.get(tokens, "/job/v1/applications/get_ids", &query).await
    }

    /// `POST /job/v1/applications/get_by_ids` (at most 100 ids).
    pub async fn applications_by_ids(
        &self,
        tokens: &dyn AccessTokenSource,
        ids: &[String],
    ) -> Result<Applications, AvitoError> {
        let body = ApplicationIdsRequest { ids: ids.to_vec() };
        self.send_json(
            tokens,
            Method::POST,
            "/job/v1/applications/get_by_ids",
            Some(&body),
            Repeat::Safe,
        )
        .await
    }

    /// `GET /job/v2/resumes/{resume_id}` with the fields a contact center shows.
    pub async fn resume(&self, tokens: &dyn AccessTokenSource, resume_id: &str) -> Result<Resume, AvitoError> {
        // Every parameter Avito documents for a resume, shown on the candidate card.
        const RESUME_PARAMS: &str = "ability_to_business_trip,address,age,business_area,driver_licence,\
             driver_licence_category,education,education_list,experience,experience_list,language_list,moving,\
             nationality,pol,razreshenie_na_rabotu_v_rossii,schedule";
        let path = format!("/job/v2/resumes/{}", path_segment(resume_id));
        let query = [
            (
                "fields",
                "title,url,description,salary,address_details,is_active".to_owned(),
            ),
            ("params", RESUME_PARAMS.to_owned()),
        ];
        self.get(tokens, &path, &query).await
    }

    /// `GET /job/v1/resumes/{resume_id}/contacts/` (free for a resume that came with a response).
    pub async fn resume_contacts(
        &self,
        tokens: &dyn AccessTokenSource,
        resume_id: &str,
    ) -> Result<ResumeContacts, AvitoError> {
        self.get(
            tokens,
            &format!("/job/v1/resumes/{}/contacts/", path_segment(resume_id)),
            &[],
        )
        .await
    }

    /// `GET /job/v2/vacancies/{vacancy_id}` with its title and link.
    pub async fn vacancy(&self, tokens: &dyn AccessTokenSource, vacancy_id: i64) -> Result<Vacancy, AvitoError> {
        self.get(
            tokens,
            &format!("/job/v2/vacancies/{vacancy_id}"),
            &[("fields", "title,url,is_active".to_owned())],
        )
        .await
    }
}

/// Percent-encodes everything but unreserved characters.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An id placed in a URL path: encoded so that a surprising id cannot change the path.
fn path_segment(s: &str) -> String {
    urlencode(s)
}
