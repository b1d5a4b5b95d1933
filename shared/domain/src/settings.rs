//! A channel's settings (R-CS1–R-CS7): who receives conversations in working time, auto-replies,
//! the closing message, what happens in non-working time, and auto-close.
//!
//! The admin API takes a [`ChannelSettingsDoc`] (every field plain, so a wrong value is a named
//! field error rather than a parse failure) and turns it into [`ChannelSettings`] with
//! [`ChannelSettingsDoc::validate`], which collects every failing field. `ChannelSettings`
//! serialises back to the same document.

use crate::directory::ChannelKind;
use crate::ids::{ChatbotId, EmployeeId, GroupId};
use crate::validation::{Conflict, ConflictCode, Problem, Rejection, ValidationErrors, char_len};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// Avito's limit for one text message, in characters.
pub const MAX_AUTO_REPLY_CHARS: usize = 1000;
/// At most this many auto-replies in one list.
pub const MAX_AUTO_REPLIES: usize = 10;
/// The longest delay of an auto-reply: one day.
pub const MAX_AUTO_REPLY_DELAY_SECONDS: u32 = 24 * 60 * 60;
/// The closing message's limit, in characters (R-CS4).
pub const MAX_CLOSING_MESSAGE_CHARS: usize = 250;
/// Auto-close may be set to at most a year.
pub const MAX_AUTO_CLOSE_DAYS: u32 = 365;
/// The default auto-close: after 4 days of inactivity (R-CS6).
pub const DEFAULT_AUTO_CLOSE_DAYS: u32 = 4;
/// Why "only responses with a message" cannot be on for a channel that is not an Avito Jobs one.
pub const JOBS_ONLY: &str =
    "working_time.only_responses_with_message applies to Avito Jobs channels only; leave it off for an Avito channel";

// ---------------------------------------------------------------------------------------------
// Validated settings.

/// Where a chatbot's conversations go when the bot fails or times out (R-BOT2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fallback {
    Employee(EmployeeId),
    Group(GroupId),
}

/// Who receives a channel's new conversations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receiver {
    Employee(EmployeeId),
    Group(GroupId),
    Chatbot { chatbot: ChatbotId, fallback: Fallback },
}

/// An auto-reply's text: 1 to 1000 characters, not blank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReplyText(String);

impl AutoReplyText {
    pub fn parse(s: &str) -> Result<Self, Problem> {
        if s.trim().is_empty() {
            return Err(Problem::Blank);
        }
        if char_len(s) > MAX_AUTO_REPLY_CHARS {
            return Err(Problem::TooLong {
                max: MAX_AUTO_REPLY_CHARS as u64,
            });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One auto-reply: sent `delay` after the client's message if nobody has answered by then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReply {
    pub text: AutoReplyText,
    pub delay: TimeDelta,
}

/// An ordered list of auto-replies with non-decreasing delays, at most [`MAX_AUTO_REPLIES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutoReplies(Vec<AutoReply>);

impl AutoReplies {
    pub fn as_slice(&self) -> &[AutoReply] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The closing message (R-CS4): sent on every kind of close when enabled. The text is kept when
/// disabled so that switching it back on does not lose it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClosingMessage {
    enabled: bool,
    text: String,
}

impl ClosingMessage {
    /// The text to send on close, if the message is on.
    pub fn to_send(&self) -> Option<&str> {
        self.enabled.then_some(self.text.as_str())
    }
}

/// The unit an administrator chose for auto-close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AutoCloseUnit {
    Hours,
    Days,
}

/// Close a conversation after this much inactivity (R-CS6): N > 0 hours or days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoCloseAfter {
    value: u32,
    unit: AutoCloseUnit,
}

impl AutoCloseAfter {
    pub fn new(value: u32, unit: AutoCloseUnit) -> Result<Self, Problem> {
        let max = match unit {
            AutoCloseUnit::Hours => MAX_AUTO_CLOSE_DAYS * 24,
            AutoCloseUnit::Days => MAX_AUTO_CLOSE_DAYS,
        };
        if value == 0 || value > max {
            return Err(Problem::OutOfRange {
                min: 1,
                max: max.into(),
            });
        }
        Ok(Self { value, unit })
    }

    pub fn duration(&self) -> TimeDelta {
        match self.unit {
            AutoCloseUnit::Hours => TimeDelta::hours(self.value.into()),
            AutoCloseUnit::Days => TimeDelta::days(self.value.into()),
        }
    }
}

impl Default for AutoCloseAfter {
    fn default() -> Self {
        Self {
            value: DEFAULT_AUTO_CLOSE_DAYS,
            unit: AutoCloseUnit::Days,
        }
    }
}

/// What happens to new conversations in non-working time (R-CS5): a chatbot, or auto-replies,
/// never both. With neither, they are routed as in working time and wait for an operator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NonWorkingTime {
    #[default]
    AsInWorkingTime,
    Chatbot {
        chatbot: ChatbotId,
        fallback: Fallback,
    },
    AutoReplies(AutoReplies),
}

/// A channel's validated settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ChannelSettingsDoc", into = "ChannelSettingsDoc")]
pub struct ChannelSettings {
    /// `None`: nobody chosen yet; conversations wait in the general queue that every operator sees.
    pub receiver: Option<Receiver>,
    pub working_auto_replies: AutoReplies,
    /// Avito Jobs only (R-CS7): a response reaches operators only once the candidate has written.
    pub only_responses_with_message: bool,
    pub non_working_time: NonWorkingTime,
    pub closing_message: ClosingMessage,
    pub auto_close_after: AutoCloseAfter,
}

// ---------------------------------------------------------------------------------------------
// The wire and stored document.

/// A receiver as written in the document: `type` is `employee`, `group` or `chatbot`, with the id
/// that type needs and no other (absent or `null`); a chatbot also needs a `fallback` (an employee
/// or a group). Its schema is [`schemas::receiver`]'s, which says which fields each type takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverDoc {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatbot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Box<ReceiverDoc>>,
}

/// An auto-reply as written in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoReplyDoc {
    /// 1 to 1000 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::auto_reply_text))]
    pub text: String,
    /// Seconds after the client's message, 0 to 86400; not shorter than the previous auto-reply's
    /// (they are sent in list order; 422 otherwise).
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::delay_seconds))]
    pub delay_seconds: i64,
}

/// Working-time settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkingTimeDoc {
    /// `null`: conversations wait in the general queue that every operator sees. The employee,
    /// group or chatbot named must be the tenant's (404 naming the field otherwise).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::working_receiver))]
    pub receiver: Option<ReceiverDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::auto_replies))]
    pub auto_replies: Vec<AutoReplyDoc>,
    /// Avito Jobs channels only (409 on an Avito channel).
    #[serde(default)]
    pub only_responses_with_message: bool,
}

/// A chatbot with its fallback, for non-working time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatbotChoiceDoc {
    pub chatbot_id: String,
    #[serde(default)]
    pub fallback: Option<ReceiverDoc>,
}

/// Non-working-time settings: `chatbot` or `auto_replies`, not both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonWorkingTimeDoc {
    #[serde(default)]
    pub chatbot: Option<ChatbotChoiceDoc>,
    #[serde(default)]
    pub auto_replies: Vec<AutoReplyDoc>,
}

/// The closing message as written in the document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingMessageDoc {
    #[serde(default)]
    pub enabled: bool,
    /// At most 250 characters; required when enabled.
    #[serde(default)]
    pub text: String,
}

/// Auto-close as written in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoCloseDoc {
    /// Greater than 0.
    pub value: i64,
    pub unit: AutoCloseUnit,
}

impl Default for AutoCloseDoc {
    fn default() -> Self {
        Self {
            value: DEFAULT_AUTO_CLOSE_DAYS.into(),
            unit: AutoCloseUnit::Days,
        }
    }
}

/// A channel's settings as one document: what `PUT /v1/channels/{id}/settings` takes and `GET`
/// returns. Missing sections take their defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSettingsDoc {
    #[serde(default)]
    pub working_time: WorkingTimeDoc,
    #[serde(default)]
    pub non_working_time: NonWorkingTimeDoc,
    #[serde(default)]
    pub closing_message: ClosingMessageDoc,
    #[serde(default)]
    pub auto_close_after: AutoCloseDoc,
}

fn parse_id<T: TryFrom<String, Error = crate::ids::InvalidId>>(
    path: &str,
    value: Option<&String>,
    errors: &mut ValidationErrors,
) -> Option<T> {
    match value {
        None => {
            errors.add(path, Problem::Required);
            None
        }
        Some(v) => T::try_from(v.clone())
            .map_err(|e| errors.add(path, Problem::NotAnId(e)))
            .ok(),
    }
}

/// A field error for each field of `doc` that its type does not take (`uses` names those it does).
fn refuse_unused(path: &str, doc: &ReceiverDoc, uses: &[&str], errors: &mut ValidationErrors) {
    let given = [
        ("employee_id", doc.employee_id.is_some()),
        ("group_id", doc.group_id.is_some()),
        ("chatbot_id", doc.chatbot_id.is_some()),
        ("fallback", doc.fallback.is_some()),
    ];
    for (field, _) in given.iter().filter(|(field, given)| *given && !uses.contains(field)) {
        errors.add(
            format!("{path}.{field}"),
            Problem::NotApplicable(format!("does not apply to a receiver of type {}; leave it out", doc.kind).into()),
        );
    }
}

fn parse_fallback(path: &str, doc: Option<&ReceiverDoc>, errors: &mut ValidationErrors) -> Option<Fallback> {
    let Some(doc) = doc else {
        errors.add(
            path,
            Problem::RequiredFor("a chatbot needs a fallback employee or group for when it is unavailable"),
        );
        return None;
    };
    match doc.kind.as_str() {
        "employee" => {
            refuse_unused(path, doc, &["employee_id"], errors);
            parse_id(&format!("{path}.employee_id"), doc.employee_id.as_ref(), errors).map(Fallback::Employee)
        }
        "group" => {
            refuse_unused(path, doc, &["group_id"], errors);
            parse_id(&format!("{path}.group_id"), doc.group_id.as_ref(), errors).map(Fallback::Group)
        }
        _ => {
            errors.add(format!("{path}.type"), Problem::OneOf(&["employee", "group"]));
            None
        }
    }
}

fn parse_receiver(path: &str, doc: &ReceiverDoc, errors: &mut ValidationErrors) -> Option<Receiver> {
    match doc.kind.as_str() {
        "employee" => {
            refuse_unused(path, doc, &["employee_id"], errors);
            parse_id(&format!("{path}.employee_id"), doc.employee_id.as_ref(), errors).map(Receiver::Employee)
        }
        "group" => {
            refuse_unused(path, doc, &["group_id"], errors);
            parse_id(&format!("{path}.group_id"), doc.group_id.as_ref(), errors).map(Receiver::Group)
        }
        "chatbot" => {
            refuse_unused(path, doc, &["chatbot_id", "fallback"], errors);
            let chatbot = parse_id(&format!("{path}.chatbot_id"), doc.chatbot_id.as_ref(), errors);
            let fallback = parse_fallback(&format!("{path}.fallback"), doc.fallback.as_deref(), errors);
            Some(Receiver::Chatbot {
                chatbot: chatbot?,
                fallback: fallback?,
            })
        }
        _ => {
            errors.add(
                format!("{path}.type"),
                Problem::OneOf(&["employee", "group", "chatbot"]),
            );
            None
        }
    }
}

fn parse_auto_replies(path: &str, docs: &[AutoReplyDoc], errors: &mut ValidationErrors) -> AutoReplies {
    if docs.len() > MAX_AUTO_REPLIES {
        errors.add(
            path,
            Problem::TooMany {
                max: MAX_AUTO_REPLIES as u64,
            },
        );
        return AutoReplies::default();
    }
    let mut out = Vec::with_capacity(docs.len());
    let mut previous_delay = 0i64;
    for (i, doc) in docs.iter().enumerate() {
        let text = AutoReplyText::parse(&doc.text)
            .map_err(|m| errors.add(format!("{path}[{i}].text"), m))
            .ok();
        let delay_ok = (0..=i64::from(MAX_AUTO_REPLY_DELAY_SECONDS)).contains(&doc.delay_seconds);
        if !delay_ok {
            errors.add(
                format!("{path}[{i}].delay_seconds"),
                Problem::OutOfRange {
                    min: 0,
                    max: MAX_AUTO_REPLY_DELAY_SECONDS.into(),
                },
            );
        } else if doc.delay_seconds < previous_delay {
            errors.add(format!("{path}[{i}].delay_seconds"), Problem::NotInOrder);
        }
        previous_delay = previous_delay.max(doc.delay_seconds);
        if let (Some(text), true) = (text, delay_ok) {
            out.push(AutoReply {
                text,
                delay: TimeDelta::seconds(doc.delay_seconds),
            });
        }
    }
    AutoReplies(out)
}

impl ChannelSettingsDoc {
    /// Validates the document for a channel of `kind`, naming every failing field. "Only
    /// responses with a message" on a channel that is not an Avito Jobs one is a conflict with
    /// the channel when every value is valid, and among the invalid fields otherwise.
    pub fn validate(self, kind: ChannelKind) -> Result<ChannelSettings, Rejection> {
        let only_responses = self.working_time.only_responses_with_message;
        let (settings, mut errors) = self.parse();
        if only_responses && kind != ChannelKind::AvitoJobs {
            if errors.is_empty() {
                return Err(Rejection::Conflict(Conflict::new(ConflictCode::JobsOnly, JOBS_ONLY)));
            }
            errors.add(
                "working_time.only_responses_with_message",
                Problem::NotApplicable("applies to Avito Jobs channels only; leave it off for an Avito channel".into()),
            );
        }
        Ok(errors.into_result(settings)?)
    }

    /// Validation that holds for every kind of channel; the settings are meaningful only when the
    /// errors are empty.
    fn parse(self) -> (ChannelSettings, ValidationErrors) {
        let mut errors = ValidationErrors::new();
        let receiver = self
            .working_time
            .receiver
            .as_ref()
            .and_then(|r| parse_receiver("working_time.receiver", r, &mut errors));
        let working_auto_replies = parse_auto_replies(
            "working_time.auto_replies",
            &self.working_time.auto_replies,
            &mut errors,
        );

        let nwt = &self.non_working_time;
        let non_working_time = match (&nwt.chatbot, nwt.auto_replies.is_empty()) {
            (Some(_), false) => {
                errors.add("non_working_time", Problem::MutuallyExclusive);
                NonWorkingTime::AsInWorkingTime
            }
            (Some(bot), true) => {
                let chatbot = parse_id(
                    "non_working_time.chatbot.chatbot_id",
                    Some(&bot.chatbot_id),
                    &mut errors,
                );
                let fallback = parse_fallback("non_working_time.chatbot.fallback", bot.fallback.as_ref(), &mut errors);
                match (chatbot, fallback) {
                    (Some(chatbot), Some(fallback)) => NonWorkingTime::Chatbot { chatbot, fallback },
                    _ => NonWorkingTime::AsInWorkingTime,
                }
            }
            (None, false) => NonWorkingTime::AutoReplies(parse_auto_replies(
                "non_working_time.auto_replies",
                &nwt.auto_replies,
                &mut errors,
            )),
            (None, true) => NonWorkingTime::AsInWorkingTime,
        };

        let closing = &self.closing_message;
        if char_len(&closing.text) > MAX_CLOSING_MESSAGE_CHARS {
            errors.add(
                "closing_message.text",
                Problem::TooLong {
                    max: MAX_CLOSING_MESSAGE_CHARS as u64,
                },
            );
        } else if closing.enabled && closing.text.trim().is_empty() {
            errors.add(
                "closing_message.text",
                Problem::RequiredFor("when the closing message is on"),
            );
        }

        // A value that is not a u32 (negative, huge) is out of range as 0 is.
        let value = u32::try_from(self.auto_close_after.value).unwrap_or(0);
        let auto_close_after = AutoCloseAfter::new(value, self.auto_close_after.unit)
            .map_err(|m| errors.add("auto_close_after.value", m))
            .unwrap_or_default();

        let settings = ChannelSettings {
            receiver,
            working_auto_replies,
            only_responses_with_message: self.working_time.only_responses_with_message,
            non_working_time,
            closing_message: ClosingMessage {
                enabled: closing.enabled,
                text: closing.text.clone(),
            },
            auto_close_after,
        };
        (settings, errors)
    }
}

impl TryFrom<ChannelSettingsDoc> for ChannelSettings {
    type Error = ValidationErrors;

    /// Kind-independent validation, for reading back what was stored after [`ChannelSettingsDoc::validate`].
    fn try_from(doc: ChannelSettingsDoc) -> Result<Self, ValidationErrors> {
        let (settings, errors) = doc.parse();
        errors.into_result(settings)
    }
}

fn fallback_doc(f: &Fallback) -> ReceiverDoc {
    match f {
        Fallback::Employee(id) => ReceiverDoc {
            kind: "employee".into(),
            employee_id: Some(id.to_string()),
            ..Default::default()
        },
        Fallback::Group(id) => ReceiverDoc {
            kind: "group".into(),
            group_id: Some(id.to_string()),
            ..Default::default()
        },
    }
}

fn auto_replies_doc(list: &AutoReplies) -> Vec<AutoReplyDoc> {
    list.0
        .iter()
        .map(|r| AutoReplyDoc {
            text: r.text.0.clone(),
            delay_seconds: r.delay.num_seconds(),
        })
        .collect()
}

impl From<ChannelSettings> for ChannelSettingsDoc {
    fn from(s: ChannelSettings) -> Self {
        let receiver = s.receiver.as_ref().map(|r| match r {
            Receiver::Employee(id) => fallback_doc(&Fallback::Employee(id.clone())),
            Receiver::Group(id) => fallback_doc(&Fallback::Group(id.clone())),
            Receiver::Chatbot { chatbot, fallback } => ReceiverDoc {
                kind: "chatbot".into(),
                chatbot_id: Some(chatbot.to_string()),
                fallback: Some(Box::new(fallback_doc(fallback))),
                ..Default::default()
            },
        });
        let non_working_time = match &s.non_working_time {
            NonWorkingTime::AsInWorkingTime => NonWorkingTimeDoc::default(),
            NonWorkingTime::Chatbot { chatbot, fallback } => NonWorkingTimeDoc {
                chatbot: Some(ChatbotChoiceDoc {
                    chatbot_id: chatbot.to_string(),
                    fallback: Some(fallback_doc(fallback)),
                }),
                auto_replies: Vec::new(),
            },
            NonWorkingTime::AutoReplies(list) => NonWorkingTimeDoc {
                chatbot: None,
                auto_replies: auto_replies_doc(list),
            },
        };
        ChannelSettingsDoc {
            working_time: WorkingTimeDoc {
                receiver,
                auto_replies: auto_replies_doc(&s.working_auto_replies),
                only_responses_with_message: s.only_responses_with_message,
            },
            non_working_time,
            closing_message: ClosingMessageDoc {
                enabled: s.closing_message.enabled,
                text: s.closing_message.text,
            },
            auto_close_after: AutoCloseDoc {
                value: s.auto_close_after.value.into(),
                unit: s.auto_close_after.unit,
            },
        }
    }
}

impl ChannelSettings {
    /// Every employee, group and chatbot these settings name, for checking that they exist.
    pub fn references(&self) -> References<'_> {
        let mut refs = References::default();
        let path = "working_time.receiver";
        match &self.receiver {
            Some(Receiver::Employee(id)) => refs.employees.push((format!("{path}.employee_id"), id)),
            Some(Receiver::Group(id)) => refs.groups.push((format!("{path}.group_id"), id)),
            Some(Receiver::Chatbot { chatbot, fallback }) => {
                refs.chatbots.push((format!("{path}.chatbot_id"), chatbot));
                refs.push_fallback(&format!("{path}.fallback"), fallback);
            }
            None => {}
        }
        if let NonWorkingTime::Chatbot { chatbot, fallback } = &self.non_working_time {
            refs.chatbots
                .push(("non_working_time.chatbot.chatbot_id".into(), chatbot));
            refs.push_fallback("non_working_time.chatbot.fallback", fallback);
        }
        refs
    }
}

/// The entities a settings document names, each with the field that names it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct References<'a> {
    pub employees: Vec<(String, &'a EmployeeId)>,
    pub groups: Vec<(String, &'a GroupId)>,
    pub chatbots: Vec<(String, &'a ChatbotId)>,
}

impl<'a> References<'a> {
    fn push_fallback(&mut self, path: &str, fallback: &'a Fallback) {
        match fallback {
            Fallback::Employee(id) => self.employees.push((format!("{path}.employee_id"), id)),
            Fallback::Group(id) => self.groups.push((format!("{path}.group_id"), id)),
        }
    }
}

/// The schemas of the settings document (see [`crate::schema`]): which fields each receiver type
/// takes, a chatbot or auto-replies in non-working time, the closing message's text when it is
/// on, auto-close's bounds per unit.
#[cfg(feature = "openapi")]
pub(crate) mod schemas {
    use super::*;
    use crate::schema::{array, id, integer, null, object, one_of, one_of_strings, only_bool, string, text};
    use utoipa::openapi::{RefOr, Schema};
    use utoipa::{PartialSchema, ToSchema};

    pub fn auto_reply_text() -> RefOr<Schema> {
        text(MAX_AUTO_REPLY_CHARS, false).into()
    }

    pub fn delay_seconds() -> RefOr<Schema> {
        integer(0, MAX_AUTO_REPLY_DELAY_SECONDS.into(), false).into()
    }

    pub fn auto_replies() -> RefOr<Schema> {
        array(AutoReplyDoc::schema(), 0, MAX_AUTO_REPLIES).into()
    }

    /// A receiver of `kind` naming its id in `field` (and, for a chatbot, its fallback); the
    /// other fields absent or `null`.
    fn variant(kind: &str, field: &'static str) -> RefOr<Schema> {
        let fields = ["employee_id", "group_id", "chatbot_id"];
        let mut properties: Vec<(&'static str, RefOr<Schema>)> = vec![("type", one_of_strings(&[kind]).into())];
        for f in fields {
            properties.push((f, if f == field { id(false).into() } else { null().into() }));
        }
        let chatbot = kind == "chatbot";
        properties.push(("fallback", if chatbot { fallback() } else { null().into() }));
        let required: &[&str] = if chatbot {
            &["type", field, "fallback"]
        } else {
            &["type", field]
        };
        object(properties, required).into()
    }

    /// Where a chatbot's conversations go when it fails: an employee or a group.
    pub fn fallback() -> RefOr<Schema> {
        one_of(
            [variant("employee", "employee_id"), variant("group", "group_id")],
            false,
        )
    }

    /// Who receives a channel's conversations in working time; `null` for the general queue.
    pub fn working_receiver() -> RefOr<Schema> {
        one_of(
            [
                variant("employee", "employee_id"),
                variant("group", "group_id"),
                variant("chatbot", "chatbot_id"),
            ],
            true,
        )
    }

    /// `chatbot` or `auto_replies`, not both.
    fn non_working_time() -> RefOr<Schema> {
        let chatbot = object(
            [("chatbot_id", id(false).into()), ("fallback", fallback())],
            &["chatbot_id", "fallback"],
        );
        let replies = object([("chatbot", null().into()), ("auto_replies", auto_replies())], &[]);
        let bot = object(
            [
                ("chatbot", RefOr::from(chatbot)),
                ("auto_replies", array(AutoReplyDoc::schema(), 0, 0).into()),
            ],
            &["chatbot"],
        );
        one_of([replies.into(), bot.into()], false)
    }

    /// Off (its text kept, at most 250 characters), or on with a text of 1 to 250 characters.
    fn closing_message() -> RefOr<Schema> {
        let off = object(
            [
                ("enabled", RefOr::from(only_bool(false))),
                ("text", string(false).max_length(Some(MAX_CLOSING_MESSAGE_CHARS)).into()),
            ],
            &[],
        );
        let on = object(
            [
                ("enabled", RefOr::from(only_bool(true))),
                ("text", text(MAX_CLOSING_MESSAGE_CHARS, false).into()),
            ],
            &["enabled", "text"],
        );
        one_of([off.into(), on.into()], false)
    }

    /// 1 to a year, in hours or days.
    fn auto_close() -> RefOr<Schema> {
        let unit = |name: &str, max: u32| {
            object(
                [
                    ("value", RefOr::from(integer(1, max.into(), false))),
                    ("unit", one_of_strings(&[name]).into()),
                ],
                &["value", "unit"],
            )
            .into()
        };
        one_of(
            [
                unit("hours", MAX_AUTO_CLOSE_DAYS * 24),
                unit("days", MAX_AUTO_CLOSE_DAYS),
            ],
            false,
        )
    }

    macro_rules! schema_of {
        ($type:ty, $build:expr, $doc:literal) => {
            impl PartialSchema for $type {
                fn schema() -> RefOr<Schema> {
                    match $build {
                        RefOr::T(Schema::OneOf(mut one)) => {
                            one.description = Some($doc.to_owned());
                            RefOr::T(Schema::OneOf(one))
                        }
                        other => other,
                    }
                }
            }

            impl ToSchema for $type {}
        };
    }

    schema_of!(
        NonWorkingTimeDoc,
        non_working_time(),
        "Non-working time: a chatbot (with its fallback) or auto-replies, not both; neither routes as in working time."
    );
    schema_of!(
        ClosingMessageDoc,
        closing_message(),
        "The closing message: its text (at most 250 characters) is kept while it is off, and required when it is on."
    );
    schema_of!(
        AutoCloseDoc,
        auto_close(),
        "Close a conversation after this much inactivity: 1 to 8760 hours or 1 to 365 days."
    );
}

#[cfg(test)]
mod tests;
