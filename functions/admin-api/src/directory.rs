//! The directory entities of the admin API and their documented handlers: employees, groups,
//! chatbots, channel groups and channels.
//!
//! Integrity, checked on every write: a group's members must exist, a channel's channel group must
//! exist; an employee, group or chatbot that a group or a channel's settings still names cannot be
//! deleted (409 naming what refers to it), nor a channel group that still has channels, nor a
//! connected channel (disconnect it first). Deleting a channel deletes its settings.

use crate::crud::{AdminEntity, crud_handlers};
use crate::state::AdminState;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use domain::access::Role;
use domain::audit::AuditSubjectKind;
use domain::directory::{
    AvitoAccount, Channel, ChannelDraft, ChannelGroup, ChannelGroupDraft, ChannelKind, ChannelStatus, Chatbot,
    ChatbotDraft, Employee, EmployeeDraft, Group, GroupDraft,
};
use domain::ids::{ChannelGroupId, ChannelId, ChatbotId, EmployeeId, TenantId};
use domain::settings::References;
use domain::validation::{Conflict, ConflictCode, Problem, ValidationErrors};
use http_api::ApiError;
use http_api::error::ApiResult;
use serde::Serialize;

fn server_id<T: TryFrom<String>>(id: String) -> Result<T, ApiError> {
    T::try_from(id).map_err(|_| ApiError::Internal("generated or stored id is not valid".into()))
}

/// The channels whose settings name something `refers` picks out.
async fn channels_whose_settings(
    state: &AdminState,
    tenant: &TenantId,
    refers: impl Fn(&References<'_>) -> bool,
) -> ApiResult<Vec<String>> {
    let all = state.config.all_channel_settings(tenant).await?;
    Ok(all
        .into_iter()
        .filter(|(_, s)| refers(&s.references()))
        .map(|(channel, _)| channel)
        .collect())
}

/// 404 naming each field in `unknown` (ids the tenant does not have), if any.
pub(crate) fn unknown_references(unknown: ValidationErrors) -> ApiResult<()> {
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::UnknownReferences(unknown))
    }
}

fn still_referenced(noun: &str, by: &[(&str, Vec<String>)]) -> ApiResult<()> {
    let named: Vec<String> = by
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(what, ids)| format!("{what} {}", ids.join(", ")))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    Err(ApiError::Conflict(Conflict::new(
        ConflictCode::StillInUse,
        format!(
            "this {noun} is still used by {}; change those first",
            named.join(" and ")
        ),
    )))
}

/// 409 when `employee` is the tenant's last enabled administrator (demoting, disabling or
/// deleting them would leave nobody to administer the tenant).
async fn keeps_an_administrator(state: &AdminState, tenant: &TenantId, employee: &EmployeeId) -> ApiResult<()> {
    let admins: Vec<Employee> = state
        .config
        .list_all::<Employee>(tenant)
        .await?
        .into_iter()
        .filter(|e| e.role == Role::Admin && !e.disabled)
        .collect();
    if admins.len() == 1 && admins.iter().any(|e| &e.id == employee) {
        return Err(ApiError::Conflict(Conflict::new(
            ConflictCode::LastAdministrator,
            "this is the last administrator who can sign in; make someone else an administrator first",
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl AdminEntity for Employee {
    type Draft = EmployeeDraft;
    type View = Employee;
    const NOUN: &'static str = "employee";
    const AUDITED_AS: AuditSubjectKind = AuditSubjectKind::Employee;
    const COLLECTION: &'static str = "/v1/employees";

    fn build(draft: EmployeeDraft, id: String, _: Option<&Self>) -> Result<Self, ApiError> {
        Ok(draft.validate(server_id(id)?)?)
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn view(self) -> Employee {
        self
    }

    async fn check_references(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        if value.role == Role::Admin && !value.disabled {
            return Ok(());
        }
        keeps_an_administrator(state, tenant, &value.id).await
    }

    async fn after_write(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        Ok(state.accounts.follow(tenant, value).await?)
    }

    async fn check_deletable(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        keeps_an_administrator(state, tenant, &value.id).await?;
        let groups: Vec<String> = state
            .config
            .list_all::<Group>(tenant)
            .await?
            .into_iter()
            .filter(|g| g.members.contains(&value.id))
            .map(|g| g.id.to_string())
            .collect();
        let channels =
            channels_whose_settings(state, tenant, |r| r.employees.iter().any(|(_, id)| **id == value.id)).await?;
        still_referenced(
            Self::NOUN,
            &[("groups", groups), ("the settings of channels", channels)],
        )?;
        // Sign-in follows before the record goes: if the identity provider cannot be told, nothing
        // is deleted (503), so a deleted employee never keeps an account that still signs in.
        let gone = Employee {
            disabled: true,
            ..value.clone()
        };
        Ok(state.accounts.follow(tenant, &gone).await?)
    }
}

#[async_trait::async_trait]
impl AdminEntity for Group {
    type Draft = GroupDraft;
    type View = Group;
    const NOUN: &'static str = "group";
    const AUDITED_AS: AuditSubjectKind = AuditSubjectKind::Group;
    const COLLECTION: &'static str = "/v1/groups";

    fn build(draft: GroupDraft, id: String, _: Option<&Self>) -> Result<Self, ApiError> {
        Ok(draft.validate(server_id(id)?)?)
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn view(self) -> Group {
        self
    }

    async fn check_references(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        let mut unknown = ValidationErrors::new();
        for (i, member) in value.members.iter().enumerate() {
            if state.config.get::<Employee>(tenant, member.as_str()).await?.is_none() {
                unknown.add(format!("members[{i}]"), Problem::NotFound("employee"));
            }
        }
        unknown_references(unknown)
    }

    async fn check_deletable(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        let channels =
            channels_whose_settings(state, tenant, |r| r.groups.iter().any(|(_, id)| **id == value.id)).await?;
        still_referenced(Self::NOUN, &[("the settings of channels", channels)])
    }
}

/// A chatbot as the API shows it: the signing secret is never returned.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatbotView {
    #[schema(value_type = String)]
    pub id: ChatbotId,
    pub name: String,
    pub url: String,
    /// Always true: a chatbot cannot be registered without one.
    pub has_signing_secret: bool,
    /// Whether the bot has a token for the chatbot API (issued by `POST /v1/chatbots/{id}/api-token`).
    pub has_api_token: bool,
}

#[async_trait::async_trait]
impl AdminEntity for Chatbot {
    type Draft = ChatbotDraft;
    type View = ChatbotView;
    const NOUN: &'static str = "chatbot";
    const AUDITED_AS: AuditSubjectKind = AuditSubjectKind::Chatbot;
    const COLLECTION: &'static str = "/v1/chatbots";

    fn build(draft: ChatbotDraft, id: String, current: Option<&Self>) -> Result<Self, ApiError> {
        let mut bot = draft.validate(server_id(id)?, current.map(|c| c.signing_secret.clone()))?;
        bot.api_token_digest = current.and_then(|c| c.api_token_digest.clone());
        Ok(bot)
    }

    /// Its signing secret rests sealed (only the gateway that signs opens it).
    fn sealed(self, state: &AdminState) -> Result<Self, ApiError> {
        adapters::chatbot_http::seal_signing_secret(state.connections.cipher(), self)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// A bot's URL must not point at our own network (SSRF): refused at registration as well as
    /// at every call.
    async fn check_references(state: &AdminState, _tenant: &TenantId, value: &Self) -> ApiResult<()> {
        match domain::network::refused_destination(&value.url, state.chatbots_on_loopback) {
            Some(_) => Err(ValidationErrors::single("url", Problem::PrivateAddress).into()),
            None => Ok(()),
        }
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn view(self) -> ChatbotView {
        ChatbotView {
            has_api_token: self.api_token_digest.is_some(),
            id: self.id,
            name: self.name.into(),
            url: self.url,
            has_signing_secret: true,
        }
    }

    async fn check_deletable(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        let channels =
            channels_whose_settings(state, tenant, |r| r.chatbots.iter().any(|(_, id)| **id == value.id)).await?;
        still_referenced(Self::NOUN, &[("the settings of channels", channels)])
    }
}

#[async_trait::async_trait]
impl AdminEntity for ChannelGroup {
    type Draft = ChannelGroupDraft;
    type View = ChannelGroup;
    const NOUN: &'static str = "channel group";
    const AUDITED_AS: AuditSubjectKind = AuditSubjectKind::ChannelGroup;
    const COLLECTION: &'static str = "/v1/channel-groups";

    fn build(draft: ChannelGroupDraft, id: String, _: Option<&Self>) -> Result<Self, ApiError> {
        Ok(draft.validate(server_id(id)?)?)
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn view(self) -> ChannelGroup {
        self
    }

    async fn check_deletable(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        let channels: Vec<String> = state
            .config
            .list_all::<Channel>(tenant)
            .await?
            .into_iter()
            .filter(|c| c.channel_group_id == value.id)
            .map(|c| c.id.to_string())
            .collect();
        still_referenced(Self::NOUN, &[("channels", channels)])
    }
}

/// A channel as the API shows it (its webhook secrets' digests left out).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    #[schema(value_type = String)]
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
    #[schema(value_type = String)]
    pub channel_group_id: ChannelGroupId,
    pub status: ChannelStatus,
    /// The connected Avito account; empty until connected.
    pub account: Option<AvitoAccount>,
    /// Whether new conversations arrive through this channel (connected, not superseded).
    pub receiving: bool,
    /// When superseded: the channel (in another channel group) that took the account over.
    #[schema(value_type = Option<String>)]
    pub superseded_by: Option<ChannelId>,
    /// Avito refuses the channel's authorization (the grant was revoked or expired): it still
    /// receives, but nothing can be sent until it is connected again.
    pub needs_reauthorization: bool,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        ChannelView {
            receiving: c.is_receiving(),
            needs_reauthorization: c.is_receiving() && c.authorization_refused_at.is_some(),
            id: c.id,
            name: c.name.into(),
            kind: c.kind,
            channel_group_id: c.channel_group_id,
            status: c.status,
            account: c.account,
            superseded_by: c.superseded_by,
        }
    }
}

#[async_trait::async_trait]
impl AdminEntity for Channel {
    type Draft = ChannelDraft;
    type View = ChannelView;
    const NOUN: &'static str = "channel";
    const AUDITED_AS: AuditSubjectKind = AuditSubjectKind::Channel;
    const COLLECTION: &'static str = "/v1/channels";

    fn build(draft: ChannelDraft, id: String, current: Option<&Self>) -> Result<Self, ApiError> {
        Ok(match current {
            None => draft.validate_new(server_id::<ChannelId>(id)?)?,
            Some(current) => draft.validate_update(current)?,
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn view(self) -> ChannelView {
        self.into()
    }

    async fn check_references(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        if state
            .config
            .get::<ChannelGroup>(tenant, value.channel_group_id.as_str())
            .await?
            .is_none()
        {
            return unknown_references(ValidationErrors::single(
                "channel_group_id",
                Problem::NotFound("channel group"),
            ));
        }
        Ok(())
    }

    async fn check_deletable(_: &AdminState, _: &TenantId, value: &Self) -> ApiResult<()> {
        if value.status == ChannelStatus::Connected {
            return Err(ApiError::Conflict(Conflict::new(
                ConflictCode::ChannelConnected,
                "the channel is connected to an Avito account; disconnect it first",
            )));
        }
        Ok(())
    }

    async fn after_delete(state: &AdminState, tenant: &TenantId, value: &Self) -> ApiResult<()> {
        state.config.delete_channel_settings(tenant, &value.id).await?;
        Ok(())
    }
}

crud_handlers!(
    employees,
    Employee,
    EmployeeDraft,
    Employee,
    "/v1/employees",
    "/v1/employees/{id}",
    not_found = "No such employee in your tenant",
    create_body = EmployeeDraft,
    create = [(
        status = 409,
        description = "Another account signs in with this e-mail",
        body = http_api::ErrorBody
    )],
    replace = [
        (
            status = 404,
            description = "No such employee in your tenant",
            body = http_api::ErrorBody
        ),
        (
            status = 409,
            description = "It would leave no administrator who can sign in, another account signs in with this e-mail, or it changed meanwhile",
            body = http_api::ErrorBody
        )
    ],
    delete = [(
        status = 409,
        description =
            "The last administrator who can sign in, or a group or a channel's settings still name this employee",
        body = http_api::ErrorBody
    )]
);
crud_handlers!(
    groups,
    Group,
    GroupDraft,
    Group,
    "/v1/groups",
    "/v1/groups/{id}",
    not_found = "No such group in your tenant",
    create_body = GroupDraft,
    create = [(
        status = 404,
        description = "A member is not an employee of your tenant (each named in `fields`)",
        body = http_api::ErrorBody
    )],
    replace = [
        (
            status = 404,
            description =
                "No such group in your tenant, or a member is not one of its employees (each named in `fields`)",
            body = http_api::ErrorBody
        ),
        (
            status = 409,
            description = "Changed by someone else meanwhile; reload it",
            body = http_api::ErrorBody
        )
    ],
    delete = [(
        status = 409,
        description = "A channel's settings still name this group",
        body = http_api::ErrorBody
    )]
);
crud_handlers!(
    chatbots,
    Chatbot,
    ChatbotDraft,
    ChatbotView,
    "/v1/chatbots",
    "/v1/chatbots/{id}",
    not_found = "No such chatbot in your tenant",
    create_body = domain::directory::ChatbotRegistration,
    create = [],
    replace = [
        (
            status = 404,
            description = "No such chatbot in your tenant",
            body = http_api::ErrorBody
        ),
        (
            status = 409,
            description = "Changed by someone else meanwhile; reload it",
            body = http_api::ErrorBody
        )
    ],
    delete = [(
        status = 409,
        description = "A channel's settings still name this chatbot",
        body = http_api::ErrorBody
    )]
);
crud_handlers!(
    channel_groups,
    ChannelGroup,
    ChannelGroupDraft,
    ChannelGroup,
    "/v1/channel-groups",
    "/v1/channel-groups/{id}",
    not_found = "No such channel group in your tenant",
    create_body = ChannelGroupDraft,
    create = [],
    replace = [
        (
            status = 404,
            description = "No such channel group in your tenant",
            body = http_api::ErrorBody
        ),
        (
            status = 409,
            description = "Changed by someone else meanwhile; reload it",
            body = http_api::ErrorBody
        )
    ],
    delete = [(
        status = 409,
        description = "The channel group still has channels",
        body = http_api::ErrorBody
    )]
);
crud_handlers!(
    channels,
    Channel,
    ChannelDraft,
    ChannelView,
    "/v1/channels",
    "/v1/channels/{id}",
    not_found = "No such channel in your tenant",
    create_body = ChannelDraft,
    create = [(
        status = 404,
        description = "The channel group is not one of your tenant's (named in `fields`)",
        body = http_api::ErrorBody
    )],
    replace = [
        (
            status = 404,
            description = "No such channel, or the channel group is not one of your tenant's (named in `fields`)",
            body = http_api::ErrorBody
        ),
        (
            status = 409,
            description = "The kind would change (it never does), or changed by someone else meanwhile",
            body = http_api::ErrorBody
        )
    ],
    delete = [(
        status = 409,
        description = "The channel is connected; disconnect it first",
        body = http_api::ErrorBody
    )]
);
