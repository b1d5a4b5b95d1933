//! The operators' API (R-OP): "My conversations" and the queues, a conversation with its messages
//! (and, for Avito Jobs, the candidate card), replies and resends, taking and returning, completing
//! (R-CL1: the closing message goes out once), client cards, presence, the notification feed, and
//! the chatbot API ([`bot`]). An axum router: `lambda_http::run` on AWS, mounted by the local
//! server.

pub mod bot;
pub mod cards;
pub mod notifications;
pub mod presence;
pub mod records;
pub mod reply;
pub mod take;

use adapters::configuration::Configuration;
use adapters::ports::ConversationStore;
use axum::extract::{FromRef, Path, Query, State};
use axum::{Json, Router};
use domain::conversation::{ClosingReason, Conversation, Message};
use domain::ids::{ConversationId, EmployeeId, TenantId, is_valid_id};
use http_api::error::ApiResult;
use http_api::{ApiError, Authenticator, Caller, PageQuery, PageView};
use serde::Serialize;
use services::closing::{Closed, Closing};
use services::processing::ProcessError;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone)]
pub struct OperatorState {
    pub config: Configuration,
    pub conversations: Arc<dyn ConversationStore>,
    pub closing: Closing,
    pub auth: Arc<Authenticator>,
}

impl FromRef<OperatorState> for Arc<Authenticator> {
    fn from_ref(state: &OperatorState) -> Self {
        Arc::clone(&state.auth)
    }
}

pub(crate) fn process_error(e: ProcessError) -> ApiError {
    match e {
        ProcessError::Transient(m) => ApiError::Unavailable(m),
        ProcessError::Permanent(m) => ApiError::Internal(m),
    }
}

async fn load(state: &OperatorState, tenant: &TenantId, id: &str) -> ApiResult<Conversation> {
    let not_found = || ApiError::not_found("conversation");
    let id = ConversationId::parse(id).map_err(|_| not_found())?;
    Ok(state.conversations.get(tenant, &id).await?.ok_or_else(not_found)?.value)
}

/// Whether the caller may act on a conversation (reply, send, complete, edit, comment): an
/// administrator on any of the tenant's; an operator on their own and on those waiting in the
/// general queue or in their groups' queues (403 otherwise). Reading stays open to the tenant's
/// employees, so a client's history can be read whoever served them.
pub(crate) async fn may_act(s: &OperatorState, caller: &Caller, conversation: &Conversation) -> ApiResult<()> {
    use domain::conversation::Handler;
    if caller.role == http_api::Role::Admin {
        return Ok(());
    }
    let me = take::caller_employee(s, caller).await?;
    match &conversation.handler {
        Handler::Operator { employee_id } if *employee_id == me => Ok(()),
        Handler::Operator { .. } => Err(ApiError::Forbidden("the conversation is assigned to another operator")),
        Handler::GeneralQueue => Ok(()),
        Handler::GroupQueue { group_id } => {
            let member = s
                .config
                .get::<domain::directory::Group>(&caller.tenant, group_id.as_str())
                .await?
                .is_some_and(|g| g.value.members.contains(&me));
            if member {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "the conversation waits in the queue of a group you are not in",
                ))
            }
        }
        Handler::Chatbot { .. } => Err(ApiError::Forbidden(
            "a chatbot has the conversation; an administrator can take it over",
        )),
    }
}

/// Paging over a list ordered by time: the limit, and the position to continue after. Cursors
/// are the store's sort keys (`<ms, 15 digits>#<id>`) with the `#` written as `.`, so that they
/// travel in a URL as they are; 400 for anything else.
pub(crate) fn time_paging(q: &PageQuery) -> ApiResult<(u32, Option<String>)> {
    let (limit, _) = PageQuery {
        limit: q.limit.clone(),
        cursor: None,
    }
    .parse()?;
    let Some(c) = q.cursor.as_deref() else {
        return Ok((limit, None));
    };
    let valid = c.len() > 16
        && c.len() <= 200
        && c.as_bytes()[..15].iter().all(u8::is_ascii_digit)
        && c.as_bytes()[15] == b'.'
        && !c[16..].contains(['#', '/'])
        && !c.chars().any(char::is_control);
    if !valid {
        return Err(ApiError::BadRequest("cursor is not one this API returned".into()));
    }
    Ok((limit, Some(format!("{}#{}", &c[..15], &c[16..]))))
}

/// One page of a list ordered by time, its cursor written for a URL (see [`time_paging`]).
pub(crate) fn time_page<T>(page: adapters::ports::Page<T>) -> PageView<T> {
    let next = page.next.map(|k| k.replacen('#', ".", 1));
    PageView {
        items: page.items,
        next_cursor: next,
    }
}

/// Which list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `mine` (assigned to me) or `queue` (waiting in my groups' queues and the general queue).
    pub view: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this channel's conversations.
    pub channel_id: Option<String>,
    /// `waiting` (the client waits for an answer) or `answered`.
    pub status: Option<String>,
}

/// The handler keys a caller's list covers.
async fn handlers_of(s: &OperatorState, caller: &Caller, view: &str) -> ApiResult<Vec<String>> {
    use adapters::ports::handler_key;
    use domain::conversation::Handler;
    use domain::directory::Group;
    let me = take::caller_employee(s, caller).await.ok();
    match view {
        "mine" => Ok(me
            .map(|employee_id| vec![handler_key(&Handler::Operator { employee_id })])
            .unwrap_or_default()),
        "queue" => {
            let groups = s.config.list_all::<Group>(&caller.tenant).await?;
            let is_admin = caller.role == http_api::Role::Admin;
            let mut keys: Vec<String> = groups
                .into_iter()
                .filter(|g| is_admin || me.as_ref().is_some_and(|e| g.members.contains(e)))
                .map(|g| handler_key(&Handler::GroupQueue { group_id: g.id }))
                .collect();
            keys.push(handler_key(&Handler::GeneralQueue));
            Ok(keys)
        }
        _ => Err(ApiError::BadRequest("view must be mine or queue".into())),
    }
}

/// `GET /v1/conversations?view=mine|queue`: open conversations, the most recent activity first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, most recent activity first", body = PageView<Conversation>),
        (status = 400, description = "Bad view or paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn list(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PageView<Conversation>>> {
    let (limit, cursor) = time_paging(&PageQuery {
        limit: q.limit.clone(),
        cursor: q.cursor.clone(),
    })?;
    let waiting = match q.status.as_deref() {
        None => None,
        Some("waiting") => Some(true),
        Some("answered") => Some(false),
        Some(_) => return Err(ApiError::BadRequest("status must be waiting or answered".into())),
    };
    let channel = q.channel_id.as_deref();
    let handlers = handlers_of(&s, &caller, q.view.as_deref().unwrap_or("mine")).await?;
    let wanted = |c: &Conversation| {
        channel.is_none_or(|ch| c.channel_id.as_str() == ch) && waiting.is_none_or(|w| c.waiting_since.is_some() == w)
    };
    if channel.is_none() && waiting.is_none() {
        let page = s
            .conversations
            .open_by_handler(&caller.tenant, &handlers, cursor.as_deref(), limit)
            .await?;
        return Ok(Json(time_page(page)));
    }
    // Filtered: read the index on until a page is full; the cursor is the last one looked at,
    // so the next page goes on from there and nothing is skipped or repeated.
    let mut items = Vec::new();
    let mut after = cursor;
    let next = loop {
        let page = s
            .conversations
            .open_by_handler(&caller.tenant, &handlers, after.as_deref(), limit)
            .await?;
        let mut seen = None;
        for c in page.items {
            seen = Some(adapters::ports::activity_sort_key(&c));
            if wanted(&c) {
                items.push(c);
                if items.len() == limit as usize {
                    break;
                }
            }
        }
        match page.next {
            Some(_) if items.len() < limit as usize => after = seen,
            Some(_) => break seen,
            None if items.len() == limit as usize => break seen,
            None => break None,
        }
    };
    Ok(Json(time_page(adapters::ports::Page { items, next })))
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
        (status = 200, description = "The counts", body = Counts),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn counts(State(s): State<OperatorState>, caller: Caller) -> ApiResult<Json<Counts>> {
    let mine = handlers_of(&s, &caller, "mine").await?;
    let queue = handlers_of(&s, &caller, "queue").await?;
    Ok(Json(Counts {
        mine: s.conversations.count_open_by_handler(&caller.tenant, &mine).await?,
        queue: s.conversations.count_open_by_handler(&caller.tenant, &queue).await?,
        unread_notifications: notifications::unread_count(&s, &caller, 99).await?,
    }))
}

/// `GET /v1/conversations/{id}`: opening an open conversation marks its Avito chat read.
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn conversation(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    let conversation = load(&s, &caller.tenant, &id).await?;
    if conversation.status == domain::conversation::ConversationStatus::Open {
        s.closing.ports.mark_read(&caller.tenant, &conversation).await;
    }
    Ok(Json(conversation))
}

/// `GET /v1/conversations/{id}/messages`: in Avito's order, paged.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "conversations", params(("id" = String, Path), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of messages, in Avito's order", body = PageView<Message>),
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn messages(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Message>>> {
    let conversation = load(&s, &caller.tenant, &id).await?;
    let (limit, after) = time_paging(&q)?;
    let page = s
        .conversations
        .messages(&caller.tenant, &conversation.id, after.as_deref(), limit)
        .await?;
    Ok(Json(time_page(page)))
}

/// How a close went for the closing message: `sent`, `failed: <reason>` or `off`; 409 when the
/// conversation was closed already.
pub(crate) fn closing_message_outcome(closed: Closed) -> ApiResult<String> {
    match closed {
        Closed::Closed {
            closing_message: Some(Ok(())),
        } => Ok("sent".to_owned()),
        Closed::Closed {
            closing_message: Some(Err(reason)),
        } => Ok(format!("failed: {reason}")),
        Closed::Closed { closing_message: None } => Ok("off".to_owned()),
        Closed::AlreadyClosed | Closed::NotDue => Err(ApiError::Conflict("the conversation is already closed".into())),
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
#[utoipa::path(post, path = "/v1/conversations/{id}/complete", tag = "conversations", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = CompleteView),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Already closed", body = http_api::ErrorBody)
    ))]
pub async fn complete(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CompleteView>> {
    let conversation = load(&s, &caller.tenant, &id).await?;
    may_act(&s, &caller, &conversation).await?;
    let employee_id = is_valid_id(&caller.user)
        .then(|| EmployeeId::parse(caller.user.as_str()).ok())
        .flatten();
    let closed = s
        .closing
        .close(
            &caller.tenant,
            &conversation.id,
            ClosingReason::Completed { employee_id },
            false,
        )
        .await
        .map_err(process_error)?;
    let closing_message = closing_message_outcome(closed)?;
    Ok(Json(CompleteView {
        status: "closed",
        closing_message,
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
        .routes(routes!(complete))
        .routes(routes!(take::take))
        .routes(routes!(take::return_to_queue))
        .routes(routes!(cards::create_card))
        .routes(routes!(cards::client_card, cards::edit_card))
        .routes(routes!(cards::history))
        .routes(routes!(cards::message_from_card))
        .routes(routes!(records::create_deal, records::list_deals))
        .routes(routes!(records::create_organization, records::list_organizations))
        .routes(routes!(records::comment))
        .routes(routes!(notifications::notifications))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(presence::me))
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
    api().0.with_state(state)
}

/// Changes a conversation as `decide` says, with a visible note, in one conditional write;
/// `decide` answering `None` leaves it as it is. Re-decides on a lost race. `open_only`: a closed
/// conversation is 409. The note's id names the version changed from, so two edits of one version
/// write one note.
pub(crate) async fn edit(
    s: &OperatorState,
    caller: &Caller,
    id: &str,
    what: &str,
    open_only: bool,
    decide: impl Fn(&Conversation) -> ApiResult<Option<(Conversation, String)>>,
) -> ApiResult<Conversation> {
    use adapters::ports::StoreError;
    use domain::conversation::{Author, Content, ConversationStatus};
    let id = ConversationId::parse(id).map_err(|_| ApiError::not_found("conversation"))?;
    let ports = &s.closing.ports;
    loop {
        let current = ports
            .conversations
            .get(&caller.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        if open_only && current.value.status != ConversationStatus::Open {
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        let Some((changed, text)) = decide(&current.value)? else {
            return Ok(current.value);
        };
        let note = Message {
            id: format!("{what}-{}-{}", current.value.id, current.version),
            conversation_id: current.value.id.clone(),
            author: Author::System,
            content: Content::System {
                text: Some(text),
                flow_id: None,
            },
            created_at: ports.clock.now(),
            delivery: None,
        };
        let next = changed.with_message(&note);
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &note)
            .await
        {
            Ok(true) => return Ok(next),
            // Someone changed it from this version first: read again and decide again.
            Ok(false) | Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
