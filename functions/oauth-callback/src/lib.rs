//! The OAuth callback (R-C1): Avito sends the administrator's browser to
//! `GET /avito/oauth/callback?code=...&state=...` (or `?error=access_denied&state=...`). The state is
//! consumed (single use, expiring, bound to its tenant and channel), the code exchanged, the channel
//! connected; the administrator sees a page that says what happened, never a bare error.

use adapters::avito::AvitoError;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use html_page::escape;
use serde::Deserialize;
use services::connection::{ConnectionError, Connections};

/// The callback's path.
pub const CALLBACK_PATH: &str = "/avito/oauth/callback";

/// What Avito puts in the redirect.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The outcome page: `text` (escaped) and the way back to the channels.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<p>{}</p><p><a href=\"/#/channels\">Вернуться к каналам</a></p>",
        escape(text)
    );
    html_page::page(status, title, &body)
}

/// `GET /avito/oauth/callback`.
pub async fn callback(State(connections): State<Connections>, Query(q): Query<CallbackQuery>) -> Response {
    if q.error.is_some() {
        return page(
            StatusCode::BAD_REQUEST,
            "Доступ не предоставлен",
            "В Авито отказались предоставить доступ к аккаунту. Канал не подключён.",
        );
    }
    let (Some(code), Some(state)) = (q.code.as_deref(), q.state.as_deref()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Неверная ссылка",
            "В ссылке нет кода авторизации или параметра state. Начните подключение канала заново.",
        );
    };
    match connections.complete_authorization(state, code).await {
        Ok(channel) => {
            let account = channel
                .account
                .map(|a| format!("«{}» (id {})", a.name, a.id))
                .unwrap_or_default();
            tracing::info!(channel = %channel.id, "channel connected through Avito authorization");
            page(
                StatusCode::OK,
                "Канал подключён",
                &format!(
                    "Канал «{}» подключён к аккаунту Авито {account}.",
                    channel.name.as_str()
                ),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "authorization callback failed");
            let (status, text) = match &e {
                ConnectionError::InvalidState => (
                    StatusCode::BAD_REQUEST,
                    "Ссылка авторизации недействительна: она уже использована, устарела или выдана для другого канала. Начните подключение заново.".to_owned(),
                ),
                ConnectionError::NotFound(_) => (StatusCode::NOT_FOUND, "Канал не найден: возможно, его удалили. Начните подключение заново.".to_owned()),
                ConnectionError::Avito(AvitoError::InvalidGrant) => {
                    (StatusCode::BAD_REQUEST, "Авито не принял код авторизации (он одноразовый и действует недолго). Начните подключение заново.".to_owned())
                }
                ConnectionError::Avito(AvitoError::InvalidClient) => {
                    (StatusCode::BAD_GATEWAY, "Авито не принял ключи приложения. Обратитесь к администратору сервиса.".to_owned())
                }
                ConnectionError::Avito(a) if a.is_transient() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "Авито временно недоступен. Попробуйте подключить канал ещё раз через несколько минут.".to_owned())
                }
                ConnectionError::Avito(a) => (StatusCode::BAD_GATEWAY, format!("Авито ответил ошибкой: {a}. Канал не подключён.")),
                ConnectionError::Conflict(c) => (StatusCode::CONFLICT, c.message.to_string()),
                ConnectionError::Invalid { problem, .. } => (StatusCode::CONFLICT, problem.to_string()),
                ConnectionError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "Хранилище временно недоступно. Попробуйте ещё раз.".to_owned()),
            };
            page(status, "Канал не подключён", &text)
        }
    }
}

/// The callback's router.
pub fn router(connections: Connections) -> Router {
    http_api::secured(
        Router::new()
            .route(CALLBACK_PATH, get(callback))
            .with_state(connections),
    )
}
