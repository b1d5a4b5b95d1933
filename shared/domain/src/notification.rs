//! Notifications for the tenant's operators: events worth a look outside any one list: a new
//! response to a vacancy («Отклик на вакансию: …», R-J2, for everyone), a conversation assigned to
//! an operator, and a client writing again in an operator's conversation (for that operator).

use crate::ids::{ChannelId, ConversationId, EmployeeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a notification reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationKind {
    /// A response to a vacancy reached operators.
    #[default]
    Response,
    /// A conversation was assigned to the operator.
    Assigned,
    /// The client wrote in the operator's conversation and waits for an answer.
    Message,
}

/// One notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Stable for the event it reports, so reporting it twice keeps one.
    pub id: String,
    #[serde(default)]
    pub kind: NotificationKind,
    pub at: DateTime<Utc>,
    pub text: String,
    pub channel_id: ChannelId,
    /// The conversation it is about, if any.
    pub conversation_id: Option<ConversationId>,
    /// Whose it is; `None`: every operator's.
    #[serde(default)]
    pub employee_id: Option<EmployeeId>,
}

impl Notification {
    /// Whether `employee` sees it in their feed.
    pub fn is_for(&self, employee: &EmployeeId) -> bool {
        self.employee_id.as_ref().is_none_or(|e| e == employee)
    }
}
