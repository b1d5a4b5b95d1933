//! The audit log (R-X2): who signed in, who changed the team, the settings, the schedule, the
//! channels, who replayed the inbound messages that could not be processed, and when. An entry names the person and what they acted on as they were named then,
//! so it still reads right after a rename or a deletion.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuditAction {
    SignedIn,
    SignedOut,
    /// Sign-in locked after repeated wrong passwords.
    SignInLocked,
    /// An invitation link was used to set a password.
    InvitationAccepted,
    EmployeeInvited,
    Created,
    Changed,
    Deleted,
    ChannelSettingsChanged,
    ScheduleChanged,
    DistributionChanged,
    ChannelConnected,
    ChannelDisconnected,
    ChatbotTokenIssued,
    ApiTokenIssued,
    ApiTokenRevoked,
    /// The inbound messages that failed too often were sent back to be processed again.
    DeadLettersReplayed,
}

/// What kind of thing an entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuditSubjectKind {
    Employee,
    Group,
    Chatbot,
    ChannelGroup,
    Channel,
    Schedule,
    Distribution,
    ApiToken,
}

/// What an entry is about, as it was named then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditSubject {
    pub kind: AuditSubjectKind,
    pub id: String,
    pub name: String,
}

/// Who acted: the signed-in subject and their employee's name then (none for a script's token
/// that names no employee).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditActor {
    pub user: String,
    pub name: Option<String>,
}

/// One entry of a tenant's audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Unique; orders the log newest first.
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: AuditAction,
    #[serde(default)]
    pub subject: Option<AuditSubject>,
}

/// The log's order: a key that sorts the newest first (`<inverted µs, 18 digits>-<unique>`;
/// microseconds, so that one person's quick successive changes keep their order).
pub fn audit_key(at: DateTime<Utc>, unique: &str) -> String {
    const CLOCK: i64 = 999_999_999_999_999_999;
    format!("{:018}-{unique}", CLOCK - at.timestamp_micros().clamp(0, CLOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_entries_sort_first() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
        let earlier = audit_key(t, "b");
        let later = audit_key(t + chrono::Duration::microseconds(1), "a");
        assert!(later < earlier);
    }
}
