//! The create/read/replace/delete flow every directory entity shares. An entity says how a draft
//! becomes a value, how it is shown, which other entities must exist for it to be valid, and what
//! must not refer to it when it is deleted; the flow does the rest the same way for all.

use crate::state::AdminState;
use adapters::configuration::ConfigEntity;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use domain::audit::{AuditAction, AuditSubjectKind};
use domain::ids::{TenantId, is_valid_id};
use http_api::error::ApiResult;
use http_api::{Admin, ApiError, Caller, PageQuery, PageView};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A directory entity managed through the admin API.
#[async_trait::async_trait]
pub(crate) trait AdminEntity: ConfigEntity + Clone + Sized + 'static {
    /// What the API takes to create or replace one.
    type Draft: DeserializeOwned + Send + 'static;
    /// What the API returns (secrets left out).
    type View: Serialize + Send + 'static;
    /// For messages: "employee", "channel group".
    const NOUN: &'static str;
    /// What the audit log calls it.
    const AUDITED_AS: AuditSubjectKind;
    /// The collection's path, for `Location` headers.
    const COLLECTION: &'static str;

    /// Validates a draft into the entity with `id`; `current` is the stored value on replace.
    fn build(draft: Self::Draft, id: String, current: Option<&Self>) -> Result<Self, ApiError>;

    fn view(self) -> Self::View;

    /// Its name, as people know it.
    fn name(&self) -> &str;

    /// The value as stored: what must not rest in plain text is sealed (default: as it is).
    fn sealed(self, _state: &AdminState) -> ApiResult<Self> {
        Ok(self)
    }

    /// 404 naming each field that refers to something the tenant does not have (422 for a value
    /// refused by policy, such as a chatbot's address).
    async fn check_references(_state: &AdminState, _tenant: &TenantId, _value: &Self) -> ApiResult<()> {
        Ok(())
    }

    /// 409 saying what still refers to it, before it is deleted.
    async fn check_deletable(_state: &AdminState, _tenant: &TenantId, _value: &Self) -> ApiResult<()> {
        Ok(())
    }

    /// Work to do after it was created or replaced (e.g. sign-in follows an employee's role).
    async fn after_write(_state: &AdminState, _tenant: &TenantId, _value: &Self) -> ApiResult<()> {
        Ok(())
    }

    /// Work to do after it was deleted (its dependent documents).
    async fn after_delete(_state: &AdminState, _tenant: &TenantId, _value: &Self) -> ApiResult<()> {
        Ok(())
    }
}

/// A fresh id: time-ordered, so listings come out roughly in creation order.
fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

async fn load<T: AdminEntity>(
    state: &AdminState,
    tenant: &TenantId,
    id: &str,
) -> ApiResult<adapters::configuration::Versioned<T>> {
    if !is_valid_id(id) {
        return Err(ApiError::not_found(T::NOUN));
    }
    state
        .config
        .get::<T>(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(T::NOUN))
}

pub(crate) async fn list<T: AdminEntity>(
    state: &AdminState,
    caller: &Caller,
    query: &PageQuery,
) -> ApiResult<Json<PageView<T::View>>> {
    let (limit, after) = query.parse()?;
    let page = state.config.list::<T>(&caller.tenant, after.as_deref(), limit).await?;
    Ok(Json(PageView::from_page(page, T::view)))
}

pub(crate) async fn create<T: AdminEntity>(
    state: &AdminState,
    Admin(caller): &Admin,
    draft: T::Draft,
) -> ApiResult<(StatusCode, HeaderMap, Json<T::View>)> {
    let value = T::build(draft, new_id(), None)?;
    T::check_references(state, &caller.tenant, &value).await?;
    let value = value.sealed(state)?;
    state.config.create(&caller.tenant, &value).await?;
    T::after_write(state, &caller.tenant, &value).await?;
    audit(state, caller, AuditAction::Created, &value).await;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("{}/{}", T::COLLECTION, value.entity_id())) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(value.view())))
}

pub(crate) async fn get<T: AdminEntity>(state: &AdminState, caller: &Caller, id: &str) -> ApiResult<Json<T::View>> {
    Ok(Json(load::<T>(state, &caller.tenant, id).await?.value.view()))
}

pub(crate) async fn replace<T: AdminEntity>(
    state: &AdminState,
    Admin(caller): &Admin,
    id: &str,
    draft: T::Draft,
) -> ApiResult<Json<T::View>> {
    let current = load::<T>(state, &caller.tenant, id).await?;
    let value = T::build(draft, id.to_owned(), Some(&current.value))?;
    T::check_references(state, &caller.tenant, &value).await?;
    let value = value.sealed(state)?;
    state.config.replace(&caller.tenant, &value, current.version).await?;
    T::after_write(state, &caller.tenant, &value).await?;
    audit(state, caller, AuditAction::Changed, &value).await;
    Ok(Json(value.view()))
}

pub(crate) async fn delete<T: AdminEntity>(
    state: &AdminState,
    Admin(caller): &Admin,
    id: &str,
) -> ApiResult<StatusCode> {
    let current = load::<T>(state, &caller.tenant, id).await?;
    T::check_deletable(state, &caller.tenant, &current.value).await?;
    if !state.config.delete::<T>(&caller.tenant, id).await? {
        return Err(ApiError::not_found(T::NOUN));
    }
    T::after_delete(state, &caller.tenant, &current.value).await?;
    audit(state, caller, AuditAction::Deleted, &current.value).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit<T: AdminEntity>(state: &AdminState, caller: &Caller, action: AuditAction, value: &T) {
    let subject = services::audit::subject(T::AUDITED_AS, value.entity_id(), value.name());
    state.audit.record(&caller.person(), action, subject).await;
}

/// Generates the five documented handlers of one directory entity in a module of its own. Each
/// lists the responses particular to it (`create`, `replace`, `delete`: beyond the success, 403
/// and 422); 401, 400 and 413 for bodies, 500 and 503 are every operation's
/// ([`http_api::openapi::StandardResponses`]).
macro_rules! crud_handlers {
    (
        $module:ident, $entity:ty, $draft:ty, $view:ty, $collection:tt, $item:tt,
        not_found = $not_found:literal,
        create_body = $create_body:ty,
        create = [$($create:tt),*],
        replace = [$($replace:tt),*],
        delete = [$($delete:tt),*]
    ) => {
        pub mod $module {
            use super::*;
            use axum::extract::{Path, State};
            use http_api::error::ApiResult;
            use http_api::{Admin, Caller, JsonBody, PageQuery, PageView, Query};

            #[utoipa::path(get, path = $collection, operation_id = concat!(stringify!($module), "_list"), tag = "directory", params(PageQuery),
                security(("bearer" = [])),
                responses((status = 200, description = "One page, in id order", body = PageView<$view>)))]
            pub async fn list(State(s): State<AdminState>, caller: Caller, Query(q): Query<PageQuery>) -> ApiResult<Json<PageView<$view>>> {
                crate::crud::list::<$entity>(&s, &caller, &q).await
            }

            #[utoipa::path(post, path = $collection, operation_id = concat!(stringify!($module), "_create"), tag = "directory", request_body = $create_body,
                security(("bearer" = [])),
                responses(
                    (status = 201, description = "Created", body = $view,
                        headers(("Location" = String, description = "The new item's path"))),
                    (status = 403, description = "Operators cannot change configuration", body = http_api::ErrorBody),
                    (status = 422, description = "Invalid values; every failing field is named", body = http_api::ErrorBody)
                    $(, $create)*
                ))]
            pub async fn create(State(s): State<AdminState>, admin: Admin, JsonBody(draft): JsonBody<$draft>) -> ApiResult<(StatusCode, HeaderMap, Json<$view>)> {
                crate::crud::create::<$entity>(&s, &admin, draft).await
            }

            #[utoipa::path(get, path = $item, operation_id = concat!(stringify!($module), "_get"), tag = "directory", params(http_api::openapi::IdPath),
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "Found", body = $view),
                    (status = 404, description = $not_found, body = http_api::ErrorBody)
                ))]
            pub async fn get(State(s): State<AdminState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<$view>> {
                crate::crud::get::<$entity>(&s, &caller, &id).await
            }

            #[utoipa::path(put, path = $item, operation_id = concat!(stringify!($module), "_replace"), tag = "directory", params(http_api::openapi::IdPath), request_body = $draft,
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "Replaced", body = $view),
                    (status = 403, description = "Operators cannot change configuration", body = http_api::ErrorBody),
                    (status = 422, description = "Invalid values; every failing field is named", body = http_api::ErrorBody)
                    $(, $replace)*
                ))]
            pub async fn replace(State(s): State<AdminState>, admin: Admin, Path(id): Path<String>, JsonBody(draft): JsonBody<$draft>) -> ApiResult<Json<$view>> {
                crate::crud::replace::<$entity>(&s, &admin, &id, draft).await
            }

            #[utoipa::path(delete, path = $item, operation_id = concat!(stringify!($module), "_delete"), tag = "directory", params(http_api::openapi::IdPath),
                security(("bearer" = [])),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 403, description = "Operators cannot change configuration", body = http_api::ErrorBody),
                    (status = 404, description = $not_found, body = http_api::ErrorBody)
                    $(, $delete)*
                ))]
            pub async fn delete(State(s): State<AdminState>, admin: Admin, Path(id): Path<String>) -> ApiResult<StatusCode> {
                crate::crud::delete::<$entity>(&s, &admin, &id).await
            }
        }
    };
}
pub(crate) use crud_handlers;
