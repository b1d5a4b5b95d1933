//! Avito Jobs responses (отклики, R-J1–R-J3, R-CS7): who the candidate is, what they responded
//! to, and the rule that decides when a response reaches operators.
//!
//! A response by chat is served in its Avito chat like any conversation; a response by phone only
//! has no chat, so its conversation is keyed by the response and nothing can be sent to it
//! through Avito ([`Candidate::has_chat`]).

use crate::ids::ChannelId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The vacancy a candidate responded to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VacancyRef {
    pub id: Option<i64>,
    /// The position (shown to operators as the candidate's position).
    pub title: Option<String>,
    pub url: Option<String>,
}

/// One named fact of a resume or questionnaire, as Avito labels it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabeledValue {
    pub label: String,
    pub value: String,
}

/// What a contact center shows of a resume.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumeSummary {
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    /// Experience, education, age, address, schedule, salary... as Avito returns them.
    #[serde(default)]
    pub details: Vec<LabeledValue>,
}

/// The candidate card of a Jobs conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Candidate {
    /// Avito's id of the response (`applyId`).
    pub apply_id: String,
    pub full_name: Option<String>,
    pub vacancy: VacancyRef,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    pub resume: Option<ResumeSummary>,
    /// The answers to the vacancy's chat-bot questionnaire, when there was one.
    #[serde(default)]
    pub questionnaire: Vec<LabeledValue>,
    /// Whether the response has an Avito chat (by chat); a response by phone has none.
    pub has_chat: bool,
    /// What could not be learned, and why (no Jobs subscription, hidden contacts...).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Avito's `updated_at` of the response.
    pub updated_at: Option<String>,
}

impl Candidate {
    /// The heading of the operators' notification about this response (R-J2).
    pub fn notification_text(&self) -> String {
        match &self.vacancy.title {
            Some(title) => format!("Отклик на вакансию: {title}"),
            None => "Отклик на вакансию".to_owned(),
        }
    }

    /// The key of the response's conversation among the channel's chats: its Avito chat, or for
    /// a response by phone a key of its own that is not an Avito chat.
    pub fn conversation_key(&self, chat_id: Option<&str>) -> String {
        match chat_id {
            Some(chat) => chat.to_owned(),
            None => format!("{PHONE_ONLY_PREFIX}{}", self.apply_id),
        }
    }
}

const PHONE_ONLY_PREFIX: &str = "job-response:";

/// Whether a conversation's chat key is an Avito chat one can send to (a response by phone has
/// none).
pub fn is_avito_chat(chat_key: &str) -> bool {
    !chat_key.starts_with(PHONE_ONLY_PREFIX)
}

/// A response as the product keeps it, whether or not it reached operators yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResponse {
    /// Avito's `applyId`.
    pub id: String,
    pub channel_id: ChannelId,
    /// The Avito chat, for a response by chat.
    pub chat_id: Option<String>,
    pub candidate: Candidate,
    /// When the product first learned of it.
    pub received_at: DateTime<Utc>,
    /// Whether a conversation was opened for it (it may be closed by now).
    pub reached_operators: bool,
}

impl JobResponse {
    /// The key of its conversation (see [`Candidate::conversation_key`]).
    pub fn conversation_key(&self) -> String {
        self.candidate.conversation_key(self.chat_id.as_deref())
    }

    /// R-CS7: whether the response goes to operators now, or waits for the candidate's first
    /// message. A response by phone has no chat to write in, so it is never held.
    pub fn routes_now(&self, only_responses_with_message: bool, candidate_has_written: bool) -> bool {
        !only_responses_with_message || candidate_has_written || self.chat_id.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(chat: Option<&str>) -> JobResponse {
        JobResponse {
            id: "a1".into(),
            channel_id: ChannelId::parse("jobs").expect("id"),
            chat_id: chat.map(str::to_owned),
            candidate: Candidate {
                apply_id: "a1".into(),
                has_chat: chat.is_some(),
                ..Default::default()
            },
            received_at: "2026-11-25T10:00:00Z".parse().expect("instant"),
            reached_operators: false,
        }
    }

    #[test]
    fn only_responses_with_a_message_holds_a_chat_response_until_the_candidate_writes() {
        let r = response(Some("u2i-1"));
        assert!(r.routes_now(false, false), "switch off: at once");
        assert!(!r.routes_now(true, false), "switch on, nothing written: held");
        assert!(r.routes_now(true, true), "switch on, the candidate wrote: routed");
    }

    #[test]
    fn a_phone_response_is_never_held_and_has_no_avito_chat() {
        let r = response(None);
        assert!(r.routes_now(true, false));
        assert_eq!(r.conversation_key(), "job-response:a1");
        assert!(!is_avito_chat(&r.conversation_key()));
        assert!(is_avito_chat(&response(Some("u2i-1")).conversation_key()));
    }

    #[test]
    fn the_notification_names_the_vacancy() {
        let mut c = Candidate::default();
        assert_eq!(c.notification_text(), "Отклик на вакансию");
        c.vacancy.title = Some("Курьер".into());
        assert_eq!(c.notification_text(), "Отклик на вакансию: Курьер");
    }
}
