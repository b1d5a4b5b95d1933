//! What operators record about a conversation (R-OP2, R-OP3): its topic and its links to one client
//! card, one deal and one organization, saved together in one request; internal comments; and the
//! deals and organizations to link to (create or pick).

use crate::{OperatorState, edit, may_act};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::clients::{Deal, DealDraft, Organization, OrganizationDraft};
use domain::conversation::{Author, ClientCard, Content, Conversation, Delivery, Message};
use domain::ids::{ClientCardId, DealId, OrganizationId};
use domain::validation::ValidationErrors;
use http_api::error::ApiResult;
use http_api::{ApiError, Caller, JsonBody, PageQuery, PageView};
use serde::Deserialize;

fn new_id() -> ApiResult<String> {
    services::random_hex(16).map_err(ApiError::Unavailable)
}

/// `POST /v1/deals`: a new deal to link conversations to.
#[utoipa::path(post, path = "/v1/deals", tag = "records", request_body = DealDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Deal),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 422, description = "The title is missing or too long", body = http_api::ErrorBody)
    ))]
pub async fn create_deal(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<DealDraft>,
) -> ApiResult<(StatusCode, Json<Deal>)> {
    let id = DealId::parse(new_id()?).map_err(|e| ApiError::Internal(e.to_string()))?;
    let deal = draft.validate(id, s.closing.ports.clock.now())?;
    s.config.create(&caller.tenant, &deal).await?;
    Ok((StatusCode::CREATED, Json(deal)))
}

/// `GET /v1/deals`: the tenant's deals, in id order, paged.
#[utoipa::path(get, path = "/v1/deals", tag = "records", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = PageView<Deal>),
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn list_deals(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Deal>>> {
    let (limit, after) = q.parse()?;
    let page = s.config.list::<Deal>(&caller.tenant, after.as_deref(), limit).await?;
    Ok(Json(PageView::from_page(page, |d| d)))
}

/// `POST /v1/organizations`: a new organization to link conversations to.
#[utoipa::path(post, path = "/v1/organizations", tag = "records", request_body = OrganizationDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Organization),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 422, description = "The name is missing or too long", body = http_api::ErrorBody)
    ))]
pub async fn create_organization(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<OrganizationDraft>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let id = OrganizationId::parse(new_id()?).map_err(|e| ApiError::Internal(e.to_string()))?;
    let organization = draft.validate(id, s.closing.ports.clock.now())?;
    s.config.create(&caller.tenant, &organization).await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

/// `GET /v1/organizations`: the tenant's organizations, in id order, paged.
#[utoipa::path(get, path = "/v1/organizations", tag = "records", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = PageView<Organization>),
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody)
    ))]
pub async fn list_organizations(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Organization>>> {
    let (limit, after) = q.parse()?;
    let page = s
        .config
        .list::<Organization>(&caller.tenant, after.as_deref(), limit)
        .await?;
    Ok(Json(PageView::from_page(page, |o| o)))
}

/// A link field: absent leaves it, `null` removes it, an id sets it.
#[derive(Clone, Debug, Default)]
pub enum Link {
    #[default]
    Keep,
    Clear,
    Set(String),
}

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(d)? {
            None => Link::Clear,
            Some(id) => Link::Set(id),
        })
    }
}

/// What to save on a conversation; only the fields present change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    /// Up to 200 characters; blank removes it.
    #[serde(default)]
    pub topic: Option<String>,
    /// A client card of the tenant; `null` unlinks.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub client_card_id: Link,
    /// A deal of the tenant; `null` unlinks.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub deal_id: Link,
    /// An organization of the tenant; `null` unlinks.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub organization_id: Link,
}

/// Checks that a linked entity exists; `Ok(None)` for [`Link::Keep`].
async fn resolve<T: adapters::configuration::ConfigEntity, I>(
    s: &OperatorState,
    caller: &Caller,
    field: &str,
    link: &Link,
    parse: fn(String) -> Result<I, domain::ids::InvalidId>,
    errors: &mut ValidationErrors,
) -> ApiResult<Option<Option<I>>> {
    let id = match link {
        Link::Keep => return Ok(None),
        Link::Clear => return Ok(Some(None)),
        Link::Set(id) => id,
    };
    let found = match parse(id.clone()) {
        Ok(parsed) => s.config.get::<T>(&caller.tenant, id).await?.map(|_| parsed),
        Err(_) => None,
    };
    if found.is_none() {
        errors.add(field, "no such record in your tenant");
        return Ok(None);
    }
    Ok(Some(found))
}

/// `PATCH /v1/conversations/{id}`: sets the topic and links the conversation to a client card, a
/// deal and an organization, in one request; each change is a visible note. Linking a client card
/// also makes it the card of the conversation's Avito user from now on, so their next
/// conversations open with it.
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "records", params(("id" = String, Path)),
    request_body = ConversationPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Conversation),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 422, description = "A topic too long, or a link to nothing", body = http_api::ErrorBody)
    ))]
pub async fn patch_conversation(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<ConversationPatch>,
) -> ApiResult<Json<Conversation>> {
    let mut errors = ValidationErrors::new();
    let topic = match patch.topic.as_deref().map(domain::clients::topic) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            errors.0.extend(e.0);
            None
        }
        None => None,
    };
    let card = resolve::<ClientCard, _>(
        &s,
        &caller,
        "client_card_id",
        &patch.client_card_id,
        ClientCardId::parse,
        &mut errors,
    )
    .await?;
    let deal = resolve::<Deal, _>(&s, &caller, "deal_id", &patch.deal_id, DealId::parse, &mut errors).await?;
    let organization = resolve::<Organization, _>(
        &s,
        &caller,
        "organization_id",
        &patch.organization_id,
        OrganizationId::parse,
        &mut errors,
    )
    .await?;
    errors.into_result(())?;
    may_act(&s, &caller, &crate::load(&s, &caller.tenant, &id).await?).await?;
    let saved = edit(&s, &caller, &id, "edit", false, |current| {
        let mut next = current.clone();
        let mut notes = Vec::new();
        if let Some(t) = &topic
            && *t != current.topic
        {
            next.topic = t.clone();
            notes.push(match t {
                Some(t) => format!("Тема: {t}"),
                None => "Тема снята".to_owned(),
            });
        }
        if let Some(c) = &card
            && *c != current.client.card_id
        {
            next.client.card_id = c.clone();
            notes.push(match c {
                Some(c) => format!("Обращение связано с клиентом {c}"),
                None => "Обращение отвязано от клиента".to_owned(),
            });
        }
        if let Some(d) = &deal
            && *d != current.deal_id
        {
            next.deal_id = d.clone();
            notes.push(match d {
                Some(d) => format!("Обращение связано со сделкой {d}"),
                None => "Обращение отвязано от сделки".to_owned(),
            });
        }
        if let Some(o) = &organization
            && *o != current.organization_id
        {
            next.organization_id = o.clone();
            notes.push(match o {
                Some(o) => format!("Обращение связано с организацией {o}"),
                None => "Обращение отвязано от организации".to_owned(),
            });
        }
        Ok((!notes.is_empty()).then(|| (next, notes.join("; "))))
    })
    .await?;
    if let (Some(Some(card)), Some(user)) = (&card, saved.client.avito_user_id) {
        link_avito_user(&s, &caller, card, user).await?;
    }
    Ok(Json(saved))
}

/// The Avito user's future conversations open with `card`, which now lists them.
async fn link_avito_user(s: &OperatorState, caller: &Caller, card: &ClientCardId, user: i64) -> ApiResult<()> {
    loop {
        let Some(current) = s.config.get::<ClientCard>(&caller.tenant, card.as_str()).await? else {
            return Ok(());
        };
        if current.value.avito_user_ids.contains(&user) {
            break;
        }
        let mut next = current.value.clone();
        next.avito_user_ids.push(user);
        match s.config.replace(&caller.tenant, &next, current.version).await {
            Ok(_) => break,
            Err(adapters::ports::StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    s.config.point_avito_user(&caller.tenant, user, card).await?;
    Ok(())
}

/// An internal comment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1 to 4000 characters; never sent to the client.
    pub text: String,
}

/// `POST /v1/conversations/{id}/comments`: an internal comment, kept among the messages (content
/// type `comment`); it is never sent to the client and does not answer them.
#[utoipa::path(post, path = "/v1/conversations/{id}/comments", tag = "records", params(("id" = String, Path)),
    request_body = CommentBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = Message),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 422, description = "Empty or too long", body = http_api::ErrorBody)
    ))]
pub async fn comment(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CommentBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let text = domain::clients::comment(&body.text)?;
    let employee_id = crate::take::caller_employee(&s, &caller).await?;
    let conversation = crate::load(&s, &caller.tenant, &id).await?;
    crate::may_act(&s, &caller, &conversation).await?;
    let ports = &s.closing.ports;
    let message = Message {
        id: format!("comment-{}", new_id()?),
        conversation_id: conversation.id.clone(),
        author: Author::Operator { employee_id },
        content: Content::Comment { text },
        created_at: ports.clock.now(),
        delivery: None::<Delivery>,
    };
    loop {
        let current = ports
            .conversations
            .get(&caller.tenant, &conversation.id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        let next = current.value.clone().with_message(&message);
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &message)
            .await
        {
            Ok(_) => return Ok((StatusCode::CREATED, Json(message))),
            Err(adapters::ports::StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
