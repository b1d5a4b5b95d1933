//! Notifications for the tenant's operators: events worth a look outside any one list, such as
//! a new response to a vacancy («Отклик на вакансию: …», R-J2).

use crate::ids::{ChannelId, ConversationId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Stable for the event it reports, so reporting it twice keeps one.
    pub id: String,
    pub at: DateTime<Utc>,
    pub text: String,
    pub channel_id: ChannelId,
    /// The conversation it is about, if any.
    pub conversation_id: Option<ConversationId>,
}
