//! The tenant's directory: employees, groups, chatbots, channel groups and channels. Each entity
//! has a draft (what the admin API accepts) that validates into the entity.

use crate::access::Role;
use crate::identity::EmailAddress;
use crate::ids::{ChannelGroupId, ChannelId, ChatbotId, EmployeeId, GroupId};
use crate::validation::{Conflict, ConflictCode, Problem, Rejection, ValidationErrors, char_len, is_blank, is_email};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Names are at most this many characters.
pub const MAX_NAME_CHARS: usize = 200;
/// A group has at most this many members.
pub const MAX_GROUP_MEMBERS: usize = 500;
/// A chatbot's signing secret is 16 to 256 characters.
pub const SIGNING_SECRET_CHARS: std::ops::RangeInclusive<usize> = 16..=256;
/// An employee's `user_id` is at most this many characters.
pub const MAX_USER_ID_CHARS: usize = 128;
/// A chatbot's URL is at most this many characters.
pub const MAX_URL_CHARS: usize = 2000;

/// A display name: 1 to 200 characters as given, not blank; kept trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DisplayName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::text(MAX_NAME_CHARS, false)
            .description(Some(
                "A name: 1 to 200 characters, not blank; kept without surrounding spaces.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DisplayName {}

impl DisplayName {
    pub fn parse(s: &str) -> Result<Self, Problem> {
        if is_blank(s) {
            return Err(Problem::Blank);
        }
        if char_len(s) > MAX_NAME_CHARS {
            return Err(Problem::TooLong {
                max: MAX_NAME_CHARS as u64,
            });
        }
        Ok(Self(s.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = Problem;
    fn try_from(s: String) -> Result<Self, Problem> {
        Self::parse(&s)
    }
}

impl From<DisplayName> for String {
    fn from(n: DisplayName) -> String {
        n.0
    }
}

fn name_field(field: &str, value: &str, errors: &mut ValidationErrors) -> Option<DisplayName> {
    DisplayName::parse(value).map_err(|m| errors.add(field, m)).ok()
}

/// An employee (operator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Employee {
    pub id: EmployeeId,
    pub name: DisplayName,
    pub email: Option<String>,
    /// The identity provider's subject (`sub`) this employee signs in as.
    pub user_id: Option<String>,
    /// What they may do when signed in; an operator unless made an administrator.
    #[serde(default)]
    pub role: Role,
    /// A disabled employee cannot sign in, and their sessions stop working at the next request.
    #[serde(default)]
    pub disabled: bool,
}

/// What the admin API takes to create or replace an employee.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmployeeDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::name))]
    pub name: String,
    /// An e-mail address; empty or `null` for none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::employee_email))]
    pub email: Option<String>,
    /// The identity provider's subject (`sub`) this employee signs in as: at most 128 characters,
    /// no control characters; empty or `null` for none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::user_id))]
    pub user_id: Option<String>,
    /// `operator` when absent.
    #[serde(default)]
    pub role: Role,
    #[serde(default)]
    pub disabled: bool,
}

impl EmployeeDraft {
    pub fn validate(self, id: EmployeeId) -> Result<Employee, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = name_field("name", &self.name, &mut errors);
        // Judged as sent (the documented pattern), kept as sign-in compares it (lower-case).
        let email = self.email.filter(|e| !e.is_empty());
        let email = match email.as_deref().map(|e| (is_email(e), EmailAddress::parse(e))) {
            None => None,
            Some((true, Ok(e))) => Some(String::from(e)),
            Some(_) => {
                errors.add("email", Problem::InvalidEmail);
                None
            }
        };
        let user_id = self.user_id.filter(|u| !u.is_empty());
        if user_id
            .as_ref()
            .is_some_and(|u| char_len(u) > MAX_USER_ID_CHARS || u.chars().any(char::is_control))
        {
            errors.add(
                "user_id",
                Problem::NotPrintable {
                    max: MAX_USER_ID_CHARS as u64,
                },
            );
        }
        match name {
            Some(name) if errors.is_empty() => Ok(Employee {
                id,
                name,
                email,
                user_id,
                role: self.role,
                disabled: self.disabled,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether an operator is at work now, for auto-assignment (R-CS2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    pub online: bool,
    /// When auto-assignment last gave them a conversation (fairness: the longest waiting first).
    #[serde(default)]
    pub last_assigned_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Notifications up to this time are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications_read_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A group of employees; conversations routed to it are queued or auto-assigned among its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: GroupId,
    pub name: DisplayName,
    /// Distinct employees, in the order given.
    pub members: Vec<EmployeeId>,
}

/// What the admin API takes to create or replace a group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::name))]
    pub name: String,
    /// Employees of the tenant (404 naming the item for one it does not have), each once, at
    /// most 500.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::members))]
    pub members: Vec<String>,
}

impl GroupDraft {
    /// Checks the shape; that each member exists is the caller's check (it needs the store).
    pub fn validate(self, id: GroupId) -> Result<Group, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = name_field("name", &self.name, &mut errors);
        if self.members.len() > MAX_GROUP_MEMBERS {
            errors.add(
                "members",
                Problem::TooMany {
                    max: MAX_GROUP_MEMBERS as u64,
                },
            );
        }
        let mut seen = BTreeSet::new();
        let mut members = Vec::with_capacity(self.members.len());
        for (i, m) in self.members.iter().enumerate() {
            match EmployeeId::parse(m.as_str()) {
                Err(e) => errors.add(format!("members[{i}]"), Problem::NotAnId(e)),
                Ok(id) if !seen.insert(id.clone()) => errors.add(format!("members[{i}]"), Problem::Duplicate),
                Ok(id) => members.push(id),
            }
        }
        match name {
            Some(name) if errors.is_empty() => Ok(Group { id, name, members }),
            _ => Err(errors),
        }
    }
}

/// The secret a chatbot's events are signed with. Never shown: `Debug` hides it and the admin API
/// returns only whether one is set. At rest it is sealed ([`SigningSecret::sealed`]): only the
/// code that signs opens it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// How a sealed secret's text begins; a secret as typed may not.
    pub const SEALED_PREFIX: &'static str = "sealed:";

    pub fn parse(s: &str) -> Result<Self, Problem> {
        if !SIGNING_SECRET_CHARS.contains(&char_len(s)) || s.chars().any(char::is_whitespace) {
            return Err(Problem::InvalidSecret {
                min: *SIGNING_SECRET_CHARS.start() as u64,
                max: *SIGNING_SECRET_CHARS.end() as u64,
            });
        }
        if s.starts_with(Self::SEALED_PREFIX) {
            return Err(Problem::ReservedPrefix(Self::SEALED_PREFIX));
        }
        Ok(Self(s.to_owned()))
    }

    /// A secret as its sealed text (beginning with [`SigningSecret::SEALED_PREFIX`]).
    pub fn sealed(text: String) -> Self {
        Self(text)
    }

    /// Whether it is sealed (else it is as typed: just validated, or stored before sealing).
    pub fn is_sealed(&self) -> bool {
        self.0.starts_with(Self::SEALED_PREFIX)
    }

    /// The secret as held: as typed, or its sealed text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(***)")
    }
}

/// An external chatbot service (R-BOT1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chatbot {
    pub id: ChatbotId,
    pub name: DisplayName,
    /// Where conversation events are POSTed, signed with the secret.
    pub url: String,
    pub signing_secret: SigningSecret,
    /// The SHA-256 digest (hex) of the token the bot calls the chatbot API with; the token itself
    /// is shown once, when the chatbot is registered.
    #[serde(default)]
    pub api_token_digest: Option<String>,
}

/// What the admin API takes to register or replace a chatbot. On replace, an omitted
/// `signing_secret` keeps the current one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatbotDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::name))]
    pub name: String,
    /// Where conversation events are POSTed: an absolute `http://` or `https://` URL of at most
    /// 2000 characters, without spaces, on a public address (a private, loopback, link-local or
    /// internal host is refused with 422).
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::url))]
    pub url: String,
    /// 16 to 256 characters without spaces, not beginning with `sealed:`. Required when
    /// registering; on replace, absent or `null` keeps the current one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::signing_secret))]
    pub signing_secret: Option<String>,
}

impl ChatbotDraft {
    /// `current` is the stored secret when replacing an existing chatbot.
    pub fn validate(self, id: ChatbotId, current: Option<SigningSecret>) -> Result<Chatbot, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = name_field("name", &self.name, &mut errors);
        let url = self.url;
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
        if char_len(&url) > MAX_URL_CHARS || url.contains(char::is_whitespace) || host.is_none_or(str::is_empty) {
            errors.add("url", Problem::InvalidUrl);
        }
        let secret = match self.signing_secret {
            Some(s) => SigningSecret::parse(&s)
                .map_err(|m| errors.add("signing_secret", m))
                .ok(),
            None if current.is_some() => current,
            None => {
                errors.add("signing_secret", Problem::RequiredFor("when registering a chatbot"));
                None
            }
        };
        match (name, secret) {
            (Some(name), Some(signing_secret)) if errors.is_empty() => Ok(Chatbot {
                id,
                name,
                url,
                signing_secret,
                api_token_digest: None,
            }),
            _ => Err(errors),
        }
    }
}

/// A named set of channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelGroup {
    pub id: ChannelGroupId,
    pub name: DisplayName,
}

/// What the admin API takes to create or rename a channel group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelGroupDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::name))]
    pub name: String,
}

impl ChannelGroupDraft {
    pub fn validate(self, id: ChannelGroupId) -> Result<ChannelGroup, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        match name_field("name", &self.name, &mut errors) {
            Some(name) => Ok(ChannelGroup { id, name }),
            None => Err(errors),
        }
    }
}

/// The two kinds of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChannelKind {
    /// Avito messenger: buyers writing about listings.
    Avito,
    /// Avito Jobs: responses to vacancies.
    AvitoJobs,
}

impl ChannelKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "avito" => Some(Self::Avito),
            "avito_jobs" => Some(Self::AvitoJobs),
            _ => None,
        }
    }
}

/// Where a channel stands with its Avito account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChannelStatus {
    /// Created, never connected to an Avito account.
    NotConnected,
    /// Connected and receiving.
    Connected,
    /// The same Avito account was connected as the same kind of channel in another channel group
    /// later; this one no longer receives (R-C4).
    Superseded,
    /// Disconnected by an administrator; connecting again needs a new authorization.
    Disconnected,
}

/// The Avito account a channel is connected to (R-C2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AvitoAccount {
    pub id: i64,
    pub name: String,
    pub profile_url: Option<String>,
}

/// The SHA-256 digests (hex) of a connected channel's webhook secrets: the secret in the messenger
/// webhook's path and, for Avito Jobs, the `X-Secret` of the applications webhook. Only digests are
/// kept: a presented secret is hashed and compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecretDigests {
    pub messenger: String,
    #[serde(default)]
    pub jobs: Option<String>,
}

/// An Avito or Avito Jobs channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub name: DisplayName,
    pub kind: ChannelKind,
    pub channel_group_id: ChannelGroupId,
    pub status: ChannelStatus,
    /// Empty until connected.
    pub account: Option<AvitoAccount>,
    /// When superseded (R-C4): the channel that took its Avito account over.
    #[serde(default)]
    pub superseded_by: Option<ChannelId>,
    /// Set while connected.
    #[serde(default)]
    pub webhook_secrets: Option<WebhookSecretDigests>,
    /// Since when Avito refuses the channel's authorization (its token cannot be refreshed: the
    /// grant was revoked or expired): it still receives, but nothing can be sent until an
    /// administrator connects it again. Cleared by connecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_refused_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Channel {
    /// Whether webhooks for this channel are accepted.
    pub fn is_receiving(&self) -> bool {
        self.status == ChannelStatus::Connected
    }

    /// The Avito account it is connected to, if any.
    pub fn account_id(&self) -> Option<i64> {
        self.account.as_ref().map(|a| a.id)
    }

    /// Whether it receives webhooks for the Avito account `account`.
    pub fn receives_for(&self, account: Option<i64>) -> bool {
        self.is_receiving() && account.is_some() && self.account_id() == account
    }
}

/// Why a channel cannot change to another kind.
pub const KIND_NEVER_CHANGES: &str = "a channel's kind never changes; create a new channel of the other kind";

/// What the admin API takes to create a channel; `kind` cannot change afterwards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::name))]
    pub name: String,
    /// `avito` or `avito_jobs`; a channel's kind never changes (409 on replace).
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::channel_kind))]
    pub kind: String,
    /// A channel group of the tenant (404 for one it does not have).
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::id))]
    pub channel_group_id: String,
}

impl ChannelDraft {
    /// A new channel, not yet connected.
    pub fn validate_new(self, id: ChannelId) -> Result<Channel, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = name_field("name", &self.name, &mut errors);
        let kind = ChannelKind::parse(&self.kind);
        if kind.is_none() {
            errors.add("kind", Problem::OneOf(&["avito", "avito_jobs"]));
        }
        let group = ChannelGroupId::parse(self.channel_group_id.as_str())
            .map_err(|e| errors.add("channel_group_id", Problem::NotAnId(e)))
            .ok();
        match (name, kind, group) {
            (Some(name), Some(kind), Some(channel_group_id)) => Ok(Channel {
                id,
                name,
                kind,
                channel_group_id,
                status: ChannelStatus::NotConnected,
                account: None,
                superseded_by: None,
                webhook_secrets: None,
                authorization_refused_at: None,
            }),
            _ => Err(errors),
        }
    }

    /// The same channel renamed or moved to another group; its kind and connection stay. Asking
    /// for the other kind is a conflict with the channel (when every value is valid).
    pub fn validate_update(self, current: &Channel) -> Result<Channel, Rejection> {
        let mut updated = self.validate_new(current.id.clone())?;
        if updated.kind != current.kind {
            return Err(Rejection::Conflict(Conflict::new(
                ConflictCode::KindNeverChanges,
                KIND_NEVER_CHANGES,
            )));
        }
        updated.status = current.status;
        updated.account = current.account.clone();
        updated.superseded_by = current.superseded_by.clone();
        updated.webhook_secrets = current.webhook_secrets.clone();
        Ok(updated)
    }
}

/// What registering a chatbot takes (the document of `POST /v1/chatbots`): a [`ChatbotDraft`]
/// whose `signing_secret` is given; replacing one may leave it out to keep the current one.
#[cfg(feature = "openapi")]
pub struct ChatbotRegistration;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ChatbotRegistration {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let secret = schemas::signing_secret_of(false);
        crate::schema::object(
            [
                ("name", schemas::name()),
                ("url", schemas::url()),
                ("signing_secret", secret),
            ],
            &["name", "url", "signing_secret"],
        )
        .description(Some(
            "What registering a chatbot takes: its name, URL and signing secret (see ChatbotDraft).",
        ))
        .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ChatbotRegistration {}

/// The schemas of the drafts' fields (see [`crate::schema`]).
#[cfg(feature = "openapi")]
mod schemas {
    use super::*;
    use crate::schema::{array, id as any_id, one_of_strings, string, text};
    use crate::validation::{no_control_pattern, optional_email_pattern, white_space_class};
    use utoipa::openapi::{RefOr, Schema};

    pub fn name() -> RefOr<Schema> {
        text(MAX_NAME_CHARS, false).into()
    }

    pub fn id() -> RefOr<Schema> {
        any_id(false).into()
    }

    pub fn employee_email() -> RefOr<Schema> {
        string(true)
            .max_length(Some(crate::validation::MAX_EMAIL_CHARS))
            .pattern(Some(optional_email_pattern()))
            .into()
    }

    pub fn user_id() -> RefOr<Schema> {
        string(true)
            .max_length(Some(MAX_USER_ID_CHARS))
            .pattern(Some(no_control_pattern()))
            .into()
    }

    pub fn members() -> RefOr<Schema> {
        array(any_id(false), 0, MAX_GROUP_MEMBERS).unique_items(true).into()
    }

    pub fn url() -> RefOr<Schema> {
        let ws = white_space_class();
        string(false)
            .max_length(Some(MAX_URL_CHARS))
            .pattern(Some(format!("^https?://[^/?#{ws}]+([/?#][^{ws}]*)?$")))
            .into()
    }

    pub fn signing_secret() -> RefOr<Schema> {
        signing_secret_of(true)
    }

    /// A signing secret; `nullable` where leaving it out keeps the current one.
    pub fn signing_secret_of(nullable: bool) -> RefOr<Schema> {
        let non_space = white_space_class();
        string(nullable)
            .min_length(Some(*SIGNING_SECRET_CHARS.start()))
            .max_length(Some(*SIGNING_SECRET_CHARS.end()))
            .pattern(Some(format!(
                "^(?!{})[^{non_space}]{{{},{}}}$",
                SigningSecret::SEALED_PREFIX,
                SIGNING_SECRET_CHARS.start(),
                SIGNING_SECRET_CHARS.end()
            )))
            .into()
    }

    pub fn channel_kind() -> RefOr<Schema> {
        one_of_strings(&["avito", "avito_jobs"]).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emp(name: &str) -> EmployeeDraft {
        EmployeeDraft {
            name: name.into(),
            ..Default::default()
        }
    }

    fn id<T: TryFrom<String>>(s: &str) -> T
    where
        T::Error: fmt::Debug,
    {
        T::try_from(s.to_owned()).expect("test id is valid")
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            emp("  Анна  ").validate(id("e1")).map(|e| e.name.as_str().to_owned()),
            Ok("Анна".into())
        );
        assert!(emp(&"я".repeat(200)).validate(id("e1")).is_ok());
        assert_eq!(
            emp(&"я".repeat(201))
                .validate(id("e1"))
                .map_err(|e| e.fields().join(",")),
            Err("name".into())
        );
        assert_eq!(
            emp("   ").validate(id("e1")).map_err(|e| e.fields().join(",")),
            Err("name".into())
        );
    }

    #[test]
    fn employee_email_must_look_like_an_address() {
        let d = EmployeeDraft {
            name: "Анна".into(),
            email: Some("anna".into()),
            ..Default::default()
        };
        assert_eq!(
            d.validate(id("e1")).map_err(|e| e.fields().join(",")),
            Err("email".into())
        );
        let d = EmployeeDraft {
            name: "Анна".into(),
            email: Some("anna@shop.ru".into()),
            user_id: Some("u-1".into()),
            ..Default::default()
        };
        assert!(d.validate(id("e1")).is_ok());
    }

    #[test]
    fn group_members_must_be_distinct_valid_ids() {
        let d = GroupDraft {
            name: "Продажи".into(),
            members: vec!["e1".into(), "e#2".into(), "e1".into()],
        };
        assert_eq!(
            d.validate(id("g1")).map_err(|e| e.fields().join(",")),
            Err("members[1],members[2]".into())
        );
    }

    #[test]
    fn a_chatbot_needs_a_url_and_a_secret_and_keeps_its_secret_on_replace() {
        let d = ChatbotDraft {
            name: "Бот".into(),
            url: "ftp://bot".into(),
            signing_secret: None,
        };
        assert_eq!(
            d.validate(id("b1"), None).map_err(|e| e.fields().join(",")),
            Err("url,signing_secret".into())
        );
        let d = ChatbotDraft {
            name: "Бот".into(),
            url: "https://bot.example/hook".into(),
            signing_secret: Some("short".into()),
        };
        assert_eq!(
            d.validate(id("b1"), None).map_err(|e| e.fields().join(",")),
            Err("signing_secret".into())
        );
        let kept = SigningSecret::parse("0123456789abcdef").expect("valid secret");
        let d = ChatbotDraft {
            name: "Бот".into(),
            url: "https://bot.example/hook".into(),
            signing_secret: None,
        };
        assert_eq!(
            d.validate(id("b1"), Some(kept.clone())).map(|b| b.signing_secret),
            Ok(kept)
        );
    }

    #[test]
    fn a_signing_secret_never_shows_in_debug_output() {
        let secret = SigningSecret::parse("super-secret-value-123").expect("valid secret");
        assert!(!format!("{secret:?}").contains("super-secret"));
    }

    #[test]
    fn a_channel_keeps_its_kind_and_connection_when_renamed() {
        let new = ChannelDraft {
            name: "Авито".into(),
            kind: "avito".into(),
            channel_group_id: "cg1".into(),
        };
        let mut ch = new.validate_new(id("c1")).expect("valid channel");
        assert_eq!(ch.status, ChannelStatus::NotConnected);
        ch.status = ChannelStatus::Connected;
        let rename = ChannelDraft {
            name: "Авито Москва".into(),
            kind: "avito".into(),
            channel_group_id: "cg2".into(),
        };
        let renamed = rename.validate_update(&ch).expect("valid rename");
        assert_eq!(
            (renamed.status, renamed.name.as_str()),
            (ChannelStatus::Connected, "Авито Москва")
        );
        let change_kind = ChannelDraft {
            name: "x".into(),
            kind: "avito_jobs".into(),
            channel_group_id: "cg1".into(),
        };
        assert_eq!(
            change_kind.validate_update(&ch).map(|_| ()),
            Err(Rejection::Conflict(Conflict::new(
                ConflictCode::KindNeverChanges,
                KIND_NEVER_CHANGES
            )))
        );
        let bad = ChannelDraft {
            name: "x".into(),
            kind: "telegram".into(),
            channel_group_id: "cg1".into(),
        };
        assert_eq!(
            bad.validate_new(id("c2")).map_err(|e| e.fields().join(",")),
            Err("kind".into())
        );
    }
}
