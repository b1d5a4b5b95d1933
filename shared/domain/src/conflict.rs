//! Why a request conflicts with the current state (HTTP 409): a stable machine code the web UI
//! words in Russian, and an English sentence for scripts and logs.

use std::borrow::Cow;

/// The stable codes of conflicts, one for each reason a request can conflict with the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConflictCode {
    /// `conversation_closed`: the conversation is closed.
    ConversationClosed,
    /// `already_taken`: another operator has the conversation.
    AlreadyTaken,
    /// `with_chatbot`: a chatbot has the conversation.
    WithChatbot,
    /// `not_with_operator`: no operator has the conversation.
    NotWithOperator,
    /// `not_with_this_chatbot`: the conversation is not open with the calling chatbot.
    NotWithThisChatbot,
    /// `idempotency_key_reused`: the idempotency key was used for another message.
    IdempotencyKeyReused,
    /// `responded_by_phone`: a candidate who responded by phone has no Avito chat to write to.
    RespondedByPhone,
    /// `no_avito_chat`: the client has not opened an Avito chat with the business.
    NoAvitoChat,
    /// `may_have_been_delivered`: a failed message Avito may have delivered; sending it again
    /// could duplicate it.
    MayHaveBeenDelivered,
    /// `message_being_sent`: the message is being sent.
    MessageBeingSent,
    /// `message_already_sent`: the message was sent.
    MessageAlreadySent,
    /// `not_our_message`: only our own messages are sent or deleted.
    NotOurMessage,
    /// `delete_window_passed`: Avito deletes a message only within an hour of sending.
    DeleteWindowPassed,
    /// `channel_not_connected`: the channel is not connected to an Avito account.
    ChannelNotConnected,
    /// `channel_connected`: the channel is connected to an Avito account; disconnect it first.
    ChannelConnected,
    /// `changed_meanwhile`: someone else changed it meanwhile; reload and try again.
    ChangedMeanwhile,
    /// `still_in_use`: other records still use it.
    StillInUse,
    /// `last_administrator`: the last administrator who can sign in.
    LastAdministrator,
    /// `email_taken`: another account signs in with this e-mail.
    EmailTaken,
    /// `too_many_api_tokens`: the limit of API tokens is reached.
    TooManyApiTokens,
    /// `employee_disabled`: the employee is disabled.
    EmployeeDisabled,
    /// `stays_client`: a client card cannot become a guest again.
    StaysClient,
    /// `kind_never_changes`: a channel's kind never changes.
    KindNeverChanges,
    /// `jobs_only`: a setting of Avito Jobs channels only.
    JobsOnly,
}

impl ConflictCode {
    /// Every code, for documentation and the web UI's translations.
    pub const ALL: [ConflictCode; 24] = [
        ConflictCode::ConversationClosed,
        ConflictCode::AlreadyTaken,
        ConflictCode::WithChatbot,
        ConflictCode::NotWithOperator,
        ConflictCode::NotWithThisChatbot,
        ConflictCode::IdempotencyKeyReused,
        ConflictCode::RespondedByPhone,
        ConflictCode::NoAvitoChat,
        ConflictCode::MayHaveBeenDelivered,
        ConflictCode::MessageBeingSent,
        ConflictCode::MessageAlreadySent,
        ConflictCode::NotOurMessage,
        ConflictCode::DeleteWindowPassed,
        ConflictCode::ChannelNotConnected,
        ConflictCode::ChannelConnected,
        ConflictCode::ChangedMeanwhile,
        ConflictCode::StillInUse,
        ConflictCode::LastAdministrator,
        ConflictCode::EmailTaken,
        ConflictCode::TooManyApiTokens,
        ConflictCode::EmployeeDisabled,
        ConflictCode::StaysClient,
        ConflictCode::KindNeverChanges,
        ConflictCode::JobsOnly,
    ];

    /// The code as it appears in an answer's `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::ConversationClosed => "conversation_closed",
            ConflictCode::AlreadyTaken => "already_taken",
            ConflictCode::WithChatbot => "with_chatbot",
            ConflictCode::NotWithOperator => "not_with_operator",
            ConflictCode::NotWithThisChatbot => "not_with_this_chatbot",
            ConflictCode::IdempotencyKeyReused => "idempotency_key_reused",
            ConflictCode::RespondedByPhone => "responded_by_phone",
            ConflictCode::NoAvitoChat => "no_avito_chat",
            ConflictCode::MayHaveBeenDelivered => "may_have_been_delivered",
            ConflictCode::MessageBeingSent => "message_being_sent",
            ConflictCode::MessageAlreadySent => "message_already_sent",
            ConflictCode::NotOurMessage => "not_our_message",
            ConflictCode::DeleteWindowPassed => "delete_window_passed",
            ConflictCode::ChannelNotConnected => "channel_not_connected",
            ConflictCode::ChannelConnected => "channel_connected",
            ConflictCode::ChangedMeanwhile => "changed_meanwhile",
            ConflictCode::StillInUse => "still_in_use",
            ConflictCode::LastAdministrator => "last_administrator",
            ConflictCode::EmailTaken => "email_taken",
            ConflictCode::TooManyApiTokens => "too_many_api_tokens",
            ConflictCode::EmployeeDisabled => "employee_disabled",
            ConflictCode::StaysClient => "stays_client",
            ConflictCode::KindNeverChanges => "kind_never_changes",
            ConflictCode::JobsOnly => "jobs_only",
        }
    }
}

/// A conflict with the current state: its code and an English sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Conflict {
    /// What conflicts, as a stable code.
    pub code: ConflictCode,
    /// Why, in English, for scripts and logs.
    pub message: Cow<'static, str>,
}

impl Conflict {
    /// A conflict of `code`, saying `message`.
    pub fn new(code: ConflictCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The conversation is closed.
    pub fn conversation_closed() -> Self {
        Self::new(ConflictCode::ConversationClosed, "the conversation is closed")
    }

    /// Someone else changed the record meanwhile.
    pub fn changed_meanwhile() -> Self {
        Self::new(
            ConflictCode::ChangedMeanwhile,
            "it was changed by someone else meanwhile; reload it and try again",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_is_distinct_snake_case_and_listed() {
        let codes: BTreeSet<&str> = ConflictCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), ConflictCode::ALL.len());
        for code in codes {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
            assert_ne!(code, "conflict");
        }
        assert_eq!(Conflict::conversation_closed().code.as_str(), "conversation_closed");
        assert_eq!(Conflict::changed_meanwhile().code.as_str(), "changed_meanwhile");
    }
}
