//! Cognito's hosted sign-in page, played here (moto holds the user pool and signs the tokens but
//! serves no hosted page): the OAuth 2.0 endpoints the web interface uses on AWS, under the
//! address that stands for `https://<domain>.auth.<region>.amazoncognito.com`:
//! `GET /oauth2/authorize` (the sign-in form, for the template's app client and its callback
//! URLs, authorization code with PKCE S256 only), `POST /login` (the password, then a new one when
//! the account still has its temporary password), `POST /oauth2/token` (the code with its PKCE
//! verifier, or a refresh token, for the pool's tokens) and `GET /logout`.
//!
//! The passwords are checked by moto's Cognito (`AdminInitiateAuth` with
//! `ADMIN_USER_PASSWORD_AUTH`, which the web client's `ExplicitAuthFlows` does not list and moto
//! does not enforce; the hosted page itself needs no such flow); codes live in memory for five
//! minutes and work once. The tokens are moto's: its access tokens carry the scope
//! `aws.cognito.signin.user.admin` rather than the scopes asked for (the product reads ID tokens
//! only). Not played: MFA, "forgot password", federated identity providers, the hosted page's
//! own session (every authorize asks for the password). The pool's post-authentication trigger
//! runs after each successful sign-in, with Cognito's event, before the code is given; its
//! failure fails the sign-in, as Cognito does. Other triggers are not played.

use super::lambda::{Invoked, LocalFunction};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use html_page::escape;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a code may be exchanged.
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// The app client the page signs people in for.
pub struct HostedSignIn {
    pub cognito: Client,
    pub user_pool_id: String,
    pub client_id: String,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    /// Where this page is served (`http://127.0.0.1:<port>/_cognito`).
    pub base: String,
    /// The pool's post-authentication trigger.
    pub post_authentication: Option<Arc<LocalFunction>>,
    pub region: String,
    codes: Mutex<HashMap<String, Issued>>,
}

struct Issued {
    at: Instant,
    redirect_uri: String,
    challenge: String,
    tokens: serde_json::Value,
}

/// The app client the page signs people in for, as the template declares it.
pub struct AppClient {
    pub user_pool_id: String,
    pub client_id: String,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
}

impl HostedSignIn {
    /// The page at `base` for `app`, on moto's Cognito, running `post_authentication` after each
    /// sign-in.
    pub fn new(
        cognito: Client,
        app: AppClient,
        base: String,
        post_authentication: Option<Arc<LocalFunction>>,
        region: String,
    ) -> Arc<Self> {
        Arc::new(Self {
            cognito,
            user_pool_id: app.user_pool_id,
            client_id: app.client_id,
            callback_urls: app.callback_urls,
            logout_urls: app.logout_urls,
            base,
            post_authentication,
            region,
            codes: Mutex::new(HashMap::new()),
        })
    }

    /// The page's routes (mounted at the address that stands for the hosted domain).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/oauth2/authorize", get(authorize))
            .route("/login", post(login))
            .route("/oauth2/token", post(token))
            .route("/logout", get(logout))
            .with_state(self)
    }
}

#[derive(Deserialize, Default, Clone)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

fn bad(text: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(html_page::render("Ошибка входа", &format!("<p>{}</p>", escape(text)))),
    )
        .into_response()
}

fn with_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl HostedSignIn {
    fn check(&self, p: &AuthorizeParams) -> Result<(), &'static str> {
        if p.client_id != self.client_id {
            return Err("Неизвестное приложение.");
        }
        if !self.callback_urls.contains(&p.redirect_uri) {
            return Err("Адрес возврата не разрешён для этого приложения.");
        }
        if p.response_type != "code" || p.code_challenge_method != "S256" || p.code_challenge.is_empty() {
            return Err("Нужен код авторизации с PKCE (S256).");
        }
        Ok(())
    }

    fn form(&self, p: &AuthorizeParams, error: Option<&str>, challenge: Option<(&str, &str)>) -> Response {
        let hidden: String = [
            ("response_type", &p.response_type),
            ("client_id", &p.client_id),
            ("redirect_uri", &p.redirect_uri),
            ("state", &p.state),
            ("scope", &p.scope),
            ("code_challenge", &p.code_challenge),
            ("code_challenge_method", &p.code_challenge_method),
        ]
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", escape(v)))
        .collect();
        let error = error
            .map(|e| format!("<p role=\"alert\" style=\"color:#a00\">{}</p>", escape(e)))
            .unwrap_or_default();
        let fields = match challenge {
            None => "<p><label>Электронная почта<br><input name=\"username\" type=\"email\" autocomplete=\"username\" required></label></p>\
                     <p><label>Пароль<br><input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>"
                .to_owned(),
            Some((username, session)) => format!(
                "<p>Задайте свой пароль вместо временного: не короче 10 символов, с заглавными и строчными буквами и цифрами.</p>\
                 <input type=\"hidden\" name=\"username\" value=\"{}\"><input type=\"hidden\" name=\"session\" value=\"{}\">\
                 <p><label>Новый пароль<br><input name=\"new_password\" type=\"password\" autocomplete=\"new-password\" required></label></p>",
                escape(username),
                escape(session)
            ),
        };
        let body = format!(
            "{error}<form method=\"post\" action=\"{}/login\">{hidden}{fields}<p><button type=\"submit\">Войти</button></p></form>\
             <p><small>Страница входа Cognito, воспроизведённая на этом компьютере.</small></p>",
            escape(&self.base)
        );
        with_headers(Html(html_page::render("Вход в контакт-центр", &body)).into_response())
    }

    /// Runs the post-authentication trigger for `username`: `Err` with what to tell the person
    /// when it fails.
    async fn after_sign_in(&self, username: &str) -> Result<(), String> {
        let Some(function) = &self.post_authentication else {
            return Ok(());
        };
        let user = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string())?;
        let mut attributes = serde_json::Map::new();
        for a in user.user_attributes() {
            attributes.insert(a.name().to_owned(), json!(a.value()));
        }
        if let Some(status) = user.user_status() {
            attributes.insert("cognito:user_status".into(), json!(status.as_str()));
        }
        let event = json!({
            "version": "1",
            "triggerSource": "PostAuthentication_Authentication",
            "region": self.region,
            "userPoolId": self.user_pool_id,
            "userName": user.username(),
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": self.client_id},
            "request": {"userAttributes": attributes, "newDeviceUsed": false},
            "response": {},
        });
        match function.invoke(axum::body::Bytes::from(event.to_string())).await {
            Invoked::Response(_) => Ok(()),
            Invoked::FunctionError(e) => Err(format!(
                "PostAuthentication failed with error {}",
                String::from_utf8_lossy(&e)
            )),
            Invoked::Failed(e) => Err(format!("PostAuthentication failed with error {e}")),
        }
    }

    async fn issue(&self, p: &AuthorizeParams, username: &str, tokens: serde_json::Value) -> Response {
        if let Err(e) = self.after_sign_in(username).await {
            tracing::warn!(error = %e, "the post-authentication trigger failed; the sign-in fails");
            return self.form(p, Some("Вход не удался. Попробуйте ещё раз."), None);
        }
        let mut bytes = [0u8; 24];
        if getrandom::getrandom(&mut bytes).is_err() {
            return bad("Не удалось выдать код.");
        }
        let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if let Ok(mut codes) = self.codes.lock() {
            codes.retain(|_, c| c.at.elapsed() < CODE_LIFETIME);
            codes.insert(
                code.clone(),
                Issued {
                    at: Instant::now(),
                    redirect_uri: p.redirect_uri.clone(),
                    challenge: p.code_challenge.clone(),
                    tokens,
                },
            );
        }
        let mut url = match reqwest::Url::parse(&p.redirect_uri) {
            Ok(u) => u,
            Err(_) => return bad("Адрес возврата не разрешён для этого приложения."),
        };
        url.query_pairs_mut().append_pair("code", &code);
        if !p.state.is_empty() {
            url.query_pairs_mut().append_pair("state", &p.state);
        }
        with_headers(Redirect::to(url.as_str()).into_response())
    }
}

async fn authorize(State(s): State<Arc<HostedSignIn>>, Query(p): Query<AuthorizeParams>) -> Response {
    match s.check(&p) {
        Ok(()) => s.form(&p, None, None),
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(flatten)]
    authorize: AuthorizeParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    session: String,
}

fn tokens_of(
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
) -> Option<serde_json::Value> {
    let r = result?;
    Some(json!({
        "id_token": r.id_token()?,
        "access_token": r.access_token()?,
        "refresh_token": r.refresh_token(),
        "expires_in": r.expires_in(),
        "token_type": "Bearer",
    }))
}

async fn login(State(s): State<Arc<HostedSignIn>>, axum::Form(f): axum::Form<LoginForm>) -> Response {
    let p = f.authorize.clone();
    if let Err(e) = s.check(&p) {
        return bad(e);
    }
    let refused = "Неверный адрес почты или пароль.";
    if !f.session.is_empty() {
        let answered = s
            .cognito
            .admin_respond_to_auth_challenge()
            .user_pool_id(&s.user_pool_id)
            .client_id(&s.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session(&f.session)
            .challenge_responses("USERNAME", &f.username)
            .challenge_responses("NEW_PASSWORD", &f.new_password)
            .send()
            .await;
        return match answered.ok().and_then(|a| tokens_of(a.authentication_result())) {
            Some(tokens) => s.issue(&p, &f.username, tokens).await,
            None => s.form(
                &p,
                Some("Пароль не подходит: не короче 10 символов, с заглавными и строчными буквами и цифрами."),
                Some((&f.username, &f.session)),
            ),
        };
    }
    let auth = s
        .cognito
        .admin_initiate_auth()
        .user_pool_id(&s.user_pool_id)
        .client_id(&s.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", f.username.trim())
        .auth_parameters("PASSWORD", &f.password)
        .send()
        .await;
    let Ok(auth) = auth else {
        return s.form(&p, Some(refused), None);
    };
    if auth.challenge_name() == Some(&ChallengeNameType::NewPasswordRequired) {
        return s.form(&p, None, Some((f.username.trim(), auth.session().unwrap_or_default())));
    }
    match tokens_of(auth.authentication_result()) {
        Some(tokens) => s.issue(&p, f.username.trim(), tokens).await,
        None => s.form(&p, Some(refused), None),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    refresh_token: String,
}

fn oauth_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": code}))).into_response()
}

async fn token(State(s): State<Arc<HostedSignIn>>, axum::Form(f): axum::Form<TokenForm>) -> Response {
    if f.client_id != s.client_id {
        return oauth_error("invalid_client");
    }
    match f.grant_type.as_str() {
        "authorization_code" => {
            let issued = s.codes.lock().ok().and_then(|mut c| c.remove(&f.code));
            let Some(issued) = issued.filter(|i| i.at.elapsed() < CODE_LIFETIME) else {
                return oauth_error("invalid_grant");
            };
            let challenge =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(f.code_verifier.as_bytes()));
            if issued.redirect_uri != f.redirect_uri || challenge != issued.challenge {
                return oauth_error("invalid_grant");
            }
            axum::Json(issued.tokens).into_response()
        }
        "refresh_token" => {
            let refreshed = s
                .cognito
                .admin_initiate_auth()
                .user_pool_id(&s.user_pool_id)
                .client_id(&s.client_id)
                .auth_flow(AuthFlowType::RefreshTokenAuth)
                .auth_parameters("REFRESH_TOKEN", &f.refresh_token)
                .send()
                .await;
            match refreshed.ok().and_then(|r| tokens_of(r.authentication_result())) {
                Some(mut tokens) => {
                    // Cognito does not hand out a new refresh token on refresh.
                    if let Some(map) = tokens.as_object_mut() {
                        map.remove("refresh_token");
                    }
                    axum::Json(tokens).into_response()
                }
                None => oauth_error("invalid_grant"),
            }
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}

#[derive(Deserialize)]
struct LogoutParams {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    logout_uri: String,
}

async fn logout(State(s): State<Arc<HostedSignIn>>, Query(p): Query<LogoutParams>) -> Response {
    if p.client_id != s.client_id || !s.logout_urls.contains(&p.logout_uri) {
        return bad("Адрес выхода не разрешён для этого приложения.");
    }
    with_headers(Redirect::to(&p.logout_uri).into_response())
}
