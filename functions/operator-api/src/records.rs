//! What operators record about a conversation (R-OP2, R-OP3): its topic and its links to one client
//! card, one deal and one organization, saved together in one request; internal comments; and the
//! deals and organizations to link to (create or pick). The HTTP edge of [`services::desk::records`].

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::clients::{Deal, DealDraft, Organization, OrganizationDraft};
use domain::conversation::{Conversation, Message};
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{Caller, JsonBody, PageQuery, PageView, Query};
use serde::Deserialize;
use services::desk::records::{ConversationEdit, Link as EditLink};

/// `POST /v1/deals`: a new deal to link conversations to.
#[utoipa::path(post, path = "/v1/deals", tag = "records", request_body = DealDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Deal),
        (status = 422, description = "The title is missing or too long", body = http_api::ErrorBody)
    ))]
pub async fn create_deal(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<DealDraft>,
) -> ApiResult<(StatusCode, Json<Deal>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.desk.create_deal(&caller.person(), draft).await?),
    ))
}

/// `GET /v1/deals`: the tenant's deals, in id order, paged.
#[utoipa::path(get, path = "/v1/deals", tag = "records", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = PageView<Deal>)
    ))]
pub async fn list_deals(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Deal>>> {
    let (limit, after) = q.parse()?;
    let page = s.desk.deals(&caller.person(), after.as_deref(), limit).await?;
    Ok(Json(PageView::from_page(page, |d| d)))
}

/// `POST /v1/organizations`: a new organization to link conversations to.
#[utoipa::path(post, path = "/v1/organizations", tag = "records", request_body = OrganizationDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Organization),
        (status = 422, description = "The name is missing or too long", body = http_api::ErrorBody)
    ))]
pub async fn create_organization(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<OrganizationDraft>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let organization = s.desk.create_organization(&caller.person(), draft).await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

/// `GET /v1/organizations`: the tenant's organizations, in id order, paged.
#[utoipa::path(get, path = "/v1/organizations", tag = "records", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = PageView<Organization>)
    ))]
pub async fn list_organizations(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Organization>>> {
    let (limit, after) = q.parse()?;
    let page = s.desk.organizations(&caller.person(), after.as_deref(), limit).await?;
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
    /// Up to 200 characters; blank removes it, `null` leaves it.
    #[serde(default)]
    #[schema(schema_with = domain::clients::topic_schema)]
    pub topic: Option<String>,
    /// A client card of the tenant (404 naming the field for one it does not have); `null`
    /// unlinks.
    #[serde(default)]
    #[schema(schema_with = link_schema)]
    pub client_card_id: Link,
    /// A deal of the tenant; `null` unlinks.
    #[serde(default)]
    #[schema(schema_with = link_schema)]
    pub deal_id: Link,
    /// An organization of the tenant; `null` unlinks.
    #[serde(default)]
    #[schema(schema_with = link_schema)]
    pub organization_id: Link,
}

fn link_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::id(true).into()
}

impl From<Link> for EditLink {
    fn from(link: Link) -> Self {
        match link {
            Link::Keep => EditLink::Keep,
            Link::Clear => EditLink::Clear,
            Link::Set(id) => EditLink::Set(id),
        }
    }
}

/// `PATCH /v1/conversations/{id}`: sets the topic and links the conversation to a client card, a
/// deal and an organization, in one request; each change is a visible note. Linking a client card
/// also makes it the card of the conversation's Avito user from now on, so their next
/// conversations open with it.
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "records", params(IdPath),
    request_body = ConversationPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Conversation),
        (status = 403, description = "Not the caller's conversation to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant, or a link to a record your tenant does not have (each named in `fields`)", body = http_api::ErrorBody),
        (status = 422, description = "A topic too long or a link that is not an id; links to nothing are named beside them", body = http_api::ErrorBody)
    ))]
pub async fn patch_conversation(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<ConversationPatch>,
) -> ApiResult<Json<Conversation>> {
    let edit = ConversationEdit {
        topic: patch.topic,
        client_card: patch.client_card_id.into(),
        deal: patch.deal_id.into(),
        organization: patch.organization_id.into(),
    };
    Ok(Json(s.desk.edit(&caller.person(), &id, &edit).await?))
}

/// An internal comment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1 to 4000 characters, not blank; never sent to the client.
    #[schema(schema_with = domain::clients::comment_schema)]
    pub text: String,
}

/// `POST /v1/conversations/{id}/comments`: an internal comment, kept among the messages (content
/// type `comment`); it is never sent to the client and does not answer them.
#[utoipa::path(post, path = "/v1/conversations/{id}/comments", tag = "records", params(IdPath),
    request_body = CommentBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = Message),
        (status = 403, description = "The caller is not an employee, or not theirs to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 422, description = "Empty or too long", body = http_api::ErrorBody)
    ))]
pub async fn comment(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CommentBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.desk.comment(&caller.person(), &id, &body.text).await?),
    ))
}
