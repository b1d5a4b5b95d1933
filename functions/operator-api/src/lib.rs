//! The operators' API (R-OP): "My conversations" and the queues, a conversation with its messages
//! (and, for Avito Jobs, the candidate card), replies and resends, taking and returning, completing
//! (R-CL1: the closing message goes out once), client cards, presence, the notification feed, and
//! the chatbot API ([`bot`]). An axum router: `lambda_http::run` on AWS, mounted by the local
//! server. Each handler parses the request, calls one [`services::desk::Desk`] use case and maps
//! its result; the rules (who may act, what a command changes) live there and in the domain.

pub mod bot;
pub mod cards;
pub mod ignored;
pub mod live;
pub mod notifications;
pub mod presence;
pub mod records;
pub mod reply;
pub mod take;

use axum::extract::{FromRef, Path, State};
use axum::{Json, Router};
use domain::conversation::{Conversation, Message};
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{ApiError, Authenticator, Caller, PageView, Query, TimePageQuery};
use serde::Serialize;
use services::desk::{ClosingMessage, Desk, ListFilter, View};
use std::sync::Arc;

/// What the handlers share: the desk's use cases and who may call.
#[derive(Clone)]
pub struct OperatorState {
    pub desk: Desk,
    pub auth: Arc<Authenticator>,
}

impl FromRef<OperatorState> for Arc<Authenticator> {
    fn from_ref(state: &OperatorState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// Which list (paged by [`TimePageQuery`]).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `mine` (assigned to me, the default), `queue` (waiting in my groups' queues and the
    /// general queue) or `closed` (the archive: closed conversations, the most recently closed
    /// first).
    #[param(schema_with = view_schema)]
    pub view: Option<String>,
    /// Only this channel's conversations.
    pub channel_id: Option<String>,
    /// `waiting` (the client waits for an answer) or `answered`.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
}

fn view_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::one_of_strings(&["mine", "queue", "closed"]).into()
}

fn status_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::one_of_strings(&["waiting", "answered"]).into()
}

/// `GET /v1/conversations?view=mine|queue|closed`: open conversations, the most recent activity
/// first, or the archive.
#[utoipa::path(get, path = "/v1/conversations", operation_id = "list_conversations", tag = "conversations", params(ListQuery, TimePageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, most recent activity first", body = PageView<Conversation>),
        (status = 400, description = "Bad view, status or paging", body = http_api::ErrorBody)
    ))]
pub async fn list(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
    Query(page): Query<TimePageQuery>,
) -> ApiResult<Json<PageView<Conversation>>> {
    let (limit, after) = page.parse()?;
    let waiting = match q.status.as_deref() {
        None => None,
        Some("waiting") => Some(true),
        Some("answered") => Some(false),
        Some(_) => return Err(ApiError::BadRequest("status must be waiting or answered".into())),
    };
    let view = match q.view.as_deref().unwrap_or("mine") {
        "mine" => View::Mine,
        "queue" => View::Queue,
        "closed" => View::Closed,
        _ => return Err(ApiError::BadRequest("view must be mine, queue or closed".into())),
    };
    let filter = ListFilter {
        channel_id: q.channel_id.clone(),
        waiting,
    };
    let page = s.desk.list(&caller.person(), view, &filter, after, limit).await?;
    Ok(Json(PageView::from_time_page(page)))
}

/// How many open conversations each list holds, for badges.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Assigned to the caller.
    pub mine: u64,
    /// Waiting in the caller's groups' queues and the general queue.
    pub queue: u64,
    /// Unread notifications (counted up to 99).
    pub unread_notifications: u32,
}

/// `GET /v1/conversations/counts`: the badges of "My conversations" and "Queue".
#[utoipa::path(get, path = "/v1/conversations/counts", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts", body = Counts)
    ))]
pub async fn counts(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<Counts>> {
    let counts = s.desk.counts(&caller.person()).await?;
    Ok(Json(Counts {
        mine: counts.mine,
        queue: counts.queue,
        unread_notifications: counts.unread_notifications,
    }))
}

/// `GET /v1/conversations/{id}`: opening an open conversation marks its Avito chat read.
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn conversation(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(s.desk.open(&caller.person(), &id).await?))
}

/// `GET /v1/conversations/{id}/messages`: in Avito's order, paged.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "conversations", params(IdPath, TimePageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of messages, in Avito's order", body = PageView<Message>),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn messages(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<TimePageQuery>,
) -> ApiResult<Json<PageView<Message>>> {
    let (limit, after) = q.parse()?;
    let page = s.desk.messages(&caller.person(), &id, after.as_ref(), limit).await?;
    Ok(Json(PageView::from_time_page(page)))
}

/// The closing message as the API says it: `sent`, `failed: <reason>` or `off`.
pub(crate) fn closing_message_view(closing: ClosingMessage) -> String {
    match closing {
        ClosingMessage::Sent => "sent".to_owned(),
        ClosingMessage::Failed(reason) => format!("failed: {reason}"),
        ClosingMessage::Off => "off".to_owned(),
    }
}

/// What completing did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompleteView {
    pub status: &'static str,
    /// `sent`, `failed: <reason>` or `off`.
    pub closing_message: String,
}

/// `POST /v1/conversations/{id}/complete`: closes it; the closing message goes out once.
#[utoipa::path(post, path = "/v1/conversations/{id}/complete", tag = "conversations", params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = CompleteView),
        (status = 403, description = "Not the caller's conversation to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Already closed", body = http_api::ErrorBody)
    ))]
pub async fn complete(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CompleteView>> {
    let closing = s.desk.complete(&caller.person(), &id).await?;
    Ok(Json(CompleteView {
        status: "closed",
        closing_message: closing_message_view(closing),
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Avito contact center: operator and chatbot API"),
    tags(
        (name = "conversations", description = "Operators working conversations"),
        (name = "records", description = "Client cards, deals, organizations, topics and comments"),
        (name = "chatbot", description = "Chatbots answering with their own token")
    )
)]
struct ApiDoc;

fn api() -> (Router<OperatorState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    use utoipa_axum::routes;
    // Images may be as large as Avito takes (plus the request's own bytes); other bodies keep
    // axum's default limit.
    let (schemas, paths, images) = routes!(reply::image);
    let images = images.layer(axum::extract::DefaultBodyLimit::max(
        domain::attachment::MAX_IMAGE_BYTES + 64 * 1024,
    ));
    utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list))
        .routes(routes!(counts))
        .routes((schemas, paths, images))
        .routes(routes!(conversation, records::patch_conversation))
        .routes(routes!(messages, reply::reply))
        .routes(routes!(reply::resend))
        .routes(routes!(reply::delete))
        .routes(routes!(reply::voice))
        .routes(routes!(ignored::list))
        .routes(routes!(ignored::replay))
        .routes(routes!(complete))
        .routes(routes!(take::take))
        .routes(routes!(take::return_to_queue))
        .routes(routes!(cards::create_card, cards::search_cards))
        .routes(routes!(cards::client_card, cards::edit_card))
        .routes(routes!(cards::history))
        .routes(routes!(cards::message_from_card))
        .routes(routes!(records::create_deal, records::list_deals))
        .routes(routes!(records::create_organization, records::list_organizations))
        .routes(routes!(records::comment))
        .routes(routes!(notifications::notifications))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(presence::me))
        .routes(routes!(presence::team))
        .routes(routes!(presence::get_presence, presence::put_presence))
        .routes(routes!(bot::send))
        .routes(routes!(bot::handover))
        .routes(routes!(bot::finish))
        .split_for_parts()
}

/// The OpenAPI document of the operator and chatbot API (the admin API serves it merged into its
/// own at `/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The operator API's routes.
pub fn router(state: OperatorState) -> Router {
    http_api::secured(api().0.with_state(state))
}
