//! The authorize page (`GET /oauth`, where Avito's consent page would be) and the decision that
//! redirects back with `code` and `state`, or with `error=access_denied`.

use crate::api::new_code;
use crate::state::Sandbox;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use html_page::escape;
use serde::Deserialize;

/// A sandbox page: `body` (markup) and the note that this is not Avito.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let body =
        format!("{body}<p style=\"color:#888\">Avito sandbox: a local stand-in for Avito's authorization page.</p>");
    html_page::page(status, title, &body)
}

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    state: Option<String>,
}

/// `GET /oauth`: lists the sandbox's accounts to authorize as.
pub async fn authorize_page(State(sb): State<Sandbox>, Query(q): Query<AuthorizeQuery>) -> Response {
    let client_id = q.client_id.unwrap_or_default();
    let known = sb.data().apps.get(&client_id).is_some_and(|a| a.redirect_uri.is_some());
    if q.response_type.as_deref() != Some("code") || !known {
        return page(
            StatusCode::BAD_REQUEST,
            "Ошибка авторизации",
            "<p>Неизвестное приложение или неверный запрос.</p>",
        );
    }
    let accounts: Vec<(i64, String)> = sb.data().accounts.values().map(|a| (a.id, a.name.clone())).collect();
    let choices: String = accounts
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            format!(
                "<p><label><input type=\"radio\" name=\"account_id\" value=\"{id}\"{}> {} (id {id})</label></p>",
                if i == 0 { " checked" } else { "" },
                escape(name)
            )
        })
        .collect();
    let scope = q.scope.unwrap_or_default();
    let body = format!(
        "<p>Приложение <b>{client}</b> запрашивает доступ: <code>{scope_html}</code></p>\
         <form method=\"post\" action=\"{base}/oauth/decision\">{choices}\
         <input type=\"hidden\" name=\"client_id\" value=\"{client}\">\
         <input type=\"hidden\" name=\"scope\" value=\"{scope_html}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <button name=\"decision\" value=\"allow\">Разрешить</button> \
         <button name=\"decision\" value=\"deny\">Отказать</button></form>",
        client = escape(&client_id),
        scope_html = escape(&scope),
        base = escape(&sb.config.public_base),
        state = escape(&q.state.unwrap_or_default()),
    );
    page(StatusCode::OK, "Доступ к аккаунту Авито", &body)
}

#[derive(Deserialize)]
pub struct Decision {
    client_id: String,
    scope: Option<String>,
    state: Option<String>,
    account_id: Option<i64>,
    decision: Option<String>,
}

/// `POST /oauth/decision`: redirects to the app's redirect URI.
pub async fn decide(State(sb): State<Sandbox>, axum::Form(d): axum::Form<Decision>) -> Response {
    let redirect = sb.data().apps.get(&d.client_id).and_then(|a| a.redirect_uri.clone());
    let Some(redirect) = redirect else {
        return page(
            StatusCode::BAD_REQUEST,
            "Ошибка авторизации",
            "<p>Неизвестное приложение.</p>",
        );
    };
    let state = d.state.unwrap_or_default();
    let account = d.account_id.filter(|id| sb.data().accounts.contains_key(id));
    let params: Vec<(&str, String)> = match (d.decision.as_deref(), account) {
        (Some("allow"), Some(account)) => {
            let scopes = d
                .scope
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            vec![("code", new_code(&sb, account, &d.client_id, scopes)), ("state", state)]
        }
        _ => vec![("error", "access_denied".to_owned()), ("state", state)],
    };
    match reqwest::Url::parse_with_params(&redirect, &params) {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Ошибка авторизации",
            "<p>Неверный адрес возврата приложения.</p>",
        ),
    }
}
