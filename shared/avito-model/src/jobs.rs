//! Avito Jobs shapes (job.json): the applications webhook, applications, resumes and vacancies.
//! Resume and vacancy answers hold only the requested fields, so beside the typed ones every other
//! field is kept as raw JSON.

use crate::open_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `PUT /job/v1/applications/webhook` body and answer; also `GET .../webhook`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobWebhook {
    pub url: String,
    /// Sent back in `X-Secret` on every delivery; at most 100 characters.
    pub secret: String,
}

impl fmt::Debug for JobWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobWebhook")
            .field("url", &self.url)
            .field("secret", &"***")
            .finish()
    }
}

/// `GET /job/v1/applications/webhooks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobWebhooks {
    #[serde(default)]
    pub webhooks: Vec<JobWebhook>,
}

/// A Jobs webhook delivery: `{"applyId": ...}`; the verification request has an empty body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationNotice {
    #[serde(rename = "applyId")]
    pub apply_id: String,
}

/// One entry of `GET /job/v1/applications/get_ids`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationIds {
    #[serde(default)]
    pub applies: Vec<ApplicationRef>,
}

/// `POST /job/v1/applications/get_by_ids` body (at most 100 ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationIdsRequest {
    pub ids: Vec<String>,
}

open_enum!(
    /// `by_chat`: the candidate applied (a chat opens); `by_phone`: they viewed the phone.
    ApplicationType { ByChat = "by_chat", ByPhone = "by_phone" }
);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patronymic: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<FullName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizenship: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Typed as a string in the spec, but its example is a number: both are read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_string_or_number"
    )]
    pub resume_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ApplicantData>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// Typed as a string, but its example is a number: both are read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_string_or_number"
    )]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationContacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<Phone>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevalidationAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
}

/// The chat-bot questionnaire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prevalidation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Vec<Option<PrevalidationAnswer>>>,
}

/// A response (отклик) to a vacancy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiation_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vacancy_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_viewed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<ApplicationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant: Option<Applicant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<ApplicationContacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevalidation: Option<Prevalidation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enriched_properties: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<serde_json::Value>,
}

impl Application {
    /// The messenger chat of the response, if it has one: a `by_phone` response has none, even
    /// when its contacts name a chat.
    pub fn chat_id(&self) -> Option<&str> {
        if self.kind == Some(ApplicationType::ByPhone) {
            return None;
        }
        self.contacts.as_ref()?.chat.as_ref()?.value.as_deref()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Applications {
    #[serde(default)]
    pub applies: Vec<Application>,
}

/// `GET /job/v2/resumes/{resume_id}`: the requested fields, `params` and the rest as raw JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

open_enum!(
    /// The kind of a resume contact.
    ResumeContactType { Email = "e-mail", Phone = "phone", ChatId = "chat_id" }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeContact {
    #[serde(rename = "type")]
    pub kind: ResumeContactType,
    /// Phones may come as numbers.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub value: String,
}

/// `GET /job/v1/resumes/{resume_id}/contacts/` (free for a resume that came with a response).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeContacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<FullName>,
    #[serde(default)]
    pub contacts: Vec<ResumeContact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already_bought: Option<bool>,
}

/// `GET /job/v2/vacancies/{vacancy_id}`: the requested fields and the rest as raw JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vacancy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_by_phone_has_no_chat_even_when_its_contacts_name_one() {
        let with_chat = |kind: &str| -> Application {
            serde_json::from_value(serde_json::json!({
                "id": "a1", "type": kind, "contacts": {"chat": {"value": "u2i-1"}}
            }))
            .expect("an application")
        };
        assert_eq!(with_chat("by_chat").chat_id(), Some("u2i-1"));
        assert_eq!(with_chat("by_phone").chat_id(), None);
    }
}
