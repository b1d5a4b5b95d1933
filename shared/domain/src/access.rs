//! Who may act on a conversation, and how taking and returning move it (R-OP1): the rules, pure.
//! Reading stays open to every employee of the tenant (a client's history can be read whoever
//! served them); acting (replying, editing, commenting, completing, taking, returning) is limited
//! here. The caller of these functions has read the employee and the groups they are in.

use crate::conflict::{Conflict, ConflictCode};
use crate::conversation::{Conversation, ConversationStatus, Handler};
use crate::ids::{EmployeeId, GroupId};

/// What a person signed in may do: administrators change configuration and act on any
/// conversation of the tenant; operators read configuration and work conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    #[default]
    Operator,
}

impl Role {
    /// `admin` or `operator`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }
}

/// A person acting on conversations: their role, the employee they work as (when the directory
/// knows them), and the groups that employee is a member of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    pub role: Role,
    pub employee_id: Option<EmployeeId>,
    pub groups: Vec<GroupId>,
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The person may not do this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The conversation's state does not allow it (409).
    #[error("{0}")]
    Conflict(Conflict),
}

const NOT_AN_EMPLOYEE: Refusal = Refusal::Forbidden("only employees work conversations");

impl Staff {
    fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The employee this person works as; refused when the directory does not know them.
    pub fn employee(&self) -> Result<&EmployeeId, Refusal> {
        self.employee_id.as_ref().ok_or(NOT_AN_EMPLOYEE)
    }

    fn in_group(&self, group: &GroupId) -> bool {
        self.groups.contains(group)
    }

    /// Whether this person may act on `conversation` (reply, send, complete, edit, comment): an
    /// administrator on any of the tenant's; an operator on their own and on those waiting in the
    /// general queue or in their groups' queues.
    pub fn may_act(&self, conversation: &Conversation) -> Result<(), Refusal> {
        if self.is_admin() {
            return Ok(());
        }
        let me = self.employee()?;
        match &conversation.handler {
            Handler::Operator { employee_id } if employee_id == me => Ok(()),
            Handler::Operator { .. } => Err(Refusal::Forbidden("the conversation is assigned to another operator")),
            Handler::GeneralQueue => Ok(()),
            Handler::GroupQueue { group_id } if self.in_group(group_id) => Ok(()),
            Handler::GroupQueue { .. } => Err(Refusal::Forbidden(
                "the conversation waits in the queue of a group you are not in",
            )),
            Handler::Chatbot { .. } => Err(Refusal::Forbidden(
                "a chatbot has the conversation; an administrator can take it over",
            )),
        }
    }

    /// Answering `conversation` (as [`Staff::may_act`] allows): one waiting in a queue becomes the
    /// replier's, the handler it gets with the reply, in the same write (a reply from the queue
    /// takes it, as in Jivo); `None` when it stays with whoever has it.
    pub fn reply_takes(&self, conversation: &Conversation) -> Result<Option<Handler>, Refusal> {
        self.may_act(conversation)?;
        match (&conversation.handler, &self.employee_id) {
            (Handler::GeneralQueue | Handler::GroupQueue { .. }, Some(me)) => Ok(Some(Handler::Operator {
                employee_id: me.clone(),
            })),
            _ => Ok(None),
        }
    }

    /// Taking `conversation` from a queue: the handler it gets (this person), or `None` when it is
    /// theirs already. An operator takes from the general queue and their groups' queues, an
    /// administrator from any queue; nobody takes what another operator or a chatbot has.
    /// `owner_name`: how the current operator is named when refusing.
    pub fn take(&self, conversation: &Conversation, owner_name: &str) -> Result<Option<Handler>, Refusal> {
        let me = self.employee()?;
        open(conversation)?;
        match &conversation.handler {
            Handler::Operator { employee_id } if employee_id == me => Ok(None),
            Handler::GroupQueue { group_id } if !self.is_admin() && !self.in_group(group_id) => Err(
                Refusal::Forbidden("the conversation waits in the queue of a group you are not in"),
            ),
            Handler::Operator { .. } => Err(Refusal::Conflict(Conflict::new(
                ConflictCode::AlreadyTaken,
                format!("the conversation is already with operator {owner_name}"),
            ))),
            Handler::Chatbot { .. } => Err(Refusal::Conflict(Conflict::new(
                ConflictCode::WithChatbot,
                "the conversation is with a chatbot",
            ))),
            Handler::GroupQueue { .. } | Handler::GeneralQueue => Ok(Some(Handler::Operator {
                employee_id: me.clone(),
            })),
        }
    }

    /// Returning `conversation` to `queue` (the general queue or a group's): only its operator or
    /// an administrator returns it, and only while an operator has it.
    pub fn return_to(&self, conversation: &Conversation, queue: Handler) -> Result<Handler, Refusal> {
        let me = self.employee()?;
        open(conversation)?;
        match &conversation.handler {
            Handler::Operator { employee_id } if employee_id == me || self.is_admin() => Ok(queue),
            Handler::Operator { .. } => Err(Refusal::Forbidden(
                "only the assigned operator or an administrator returns a conversation",
            )),
            _ => Err(Refusal::Conflict(Conflict::new(
                ConflictCode::NotWithOperator,
                "the conversation is not with an operator",
            ))),
        }
    }
}

fn open(conversation: &Conversation) -> Result<(), Refusal> {
    match conversation.status {
        ConversationStatus::Open => Ok(()),
        ConversationStatus::Closed => Err(Refusal::Conflict(Conflict::conversation_closed())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{ClientRef, Opening};
    use crate::ids::{ChannelId, ChatbotId, ConversationId};
    use crate::settings::AutoCloseAfter;

    fn id<T>(parse: fn(String) -> Result<T, crate::ids::InvalidId>, s: &str) -> T {
        parse(s.to_owned()).expect("valid id")
    }

    fn conversation(handler: Handler) -> Conversation {
        let at = chrono::DateTime::UNIX_EPOCH;
        Conversation::open(Opening {
            id: id(ConversationId::parse, "c1"),
            channel_id: id(ChannelId::parse, "ch"),
            chat_id: "chat".into(),
            handler,
            client: ClientRef::default(),
            listing: None,
            at,
            last_activity_at: at,
            waiting_since: None,
            candidate: None,
            auto_close_after: AutoCloseAfter::default(),
        })
    }

    fn op(e: &str) -> Handler {
        Handler::Operator {
            employee_id: id(EmployeeId::parse, e),
        }
    }

    fn group(g: &str) -> Handler {
        Handler::GroupQueue {
            group_id: id(GroupId::parse, g),
        }
    }

    fn bot() -> Handler {
        Handler::Chatbot {
            chatbot_id: id(ChatbotId::parse, "b"),
        }
    }

    fn staff(role: Role, employee: Option<&str>, groups: &[&str]) -> Staff {
        Staff {
            role,
            employee_id: employee.map(|e| id(EmployeeId::parse, e)),
            groups: groups.iter().map(|g| id(GroupId::parse, g)).collect(),
        }
    }

    const FORBIDDEN: &str = "403";
    const CONFLICT: &str = "409";

    fn outcome<T>(r: Result<T, Refusal>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(Refusal::Forbidden(_)) => FORBIDDEN,
            Err(Refusal::Conflict(_)) => CONFLICT,
        }
    }

    #[test]
    fn who_may_act_on_a_conversation() {
        let anna = staff(Role::Operator, Some("anna"), &["sales"]);
        let admin = staff(Role::Admin, None, &[]);
        let stranger = staff(Role::Operator, None, &[]);
        let table = [
            (&anna, op("anna"), "ok"),
            (&anna, op("boris"), FORBIDDEN),
            (&anna, Handler::GeneralQueue, "ok"),
            (&anna, group("sales"), "ok"),
            (&anna, group("support"), FORBIDDEN),
            (&anna, bot(), FORBIDDEN),
            (&admin, op("boris"), "ok"),
            (&admin, group("support"), "ok"),
            (&admin, bot(), "ok"),
            (&stranger, Handler::GeneralQueue, FORBIDDEN),
        ];
        for (who, handler, expected) in table {
            assert_eq!(
                outcome(who.may_act(&conversation(handler.clone()))),
                expected,
                "{who:?} on {handler:?}"
            );
        }
    }

    #[test]
    fn taking_moves_a_queued_conversation_to_the_taker_only() {
        let anna = staff(Role::Operator, Some("anna"), &["sales"]);
        let admin = staff(Role::Admin, Some("ivan"), &[]);
        let table = [
            (&anna, Handler::GeneralQueue, Ok(Some(op("anna")))),
            (&anna, group("sales"), Ok(Some(op("anna")))),
            (&anna, group("support"), Err(FORBIDDEN)),
            (&anna, op("anna"), Ok(None)),
            (&anna, op("boris"), Err(CONFLICT)),
            (&anna, bot(), Err(CONFLICT)),
            (&admin, group("support"), Ok(Some(op("ivan")))),
            (&admin, op("boris"), Err(CONFLICT)),
        ];
        for (who, handler, expected) in table {
            let got = who.take(&conversation(handler.clone()), "Борис");
            match expected {
                Ok(h) => assert_eq!(got, Ok(h), "{who:?} takes {handler:?}"),
                Err(code) => assert_eq!(outcome(got), code, "{who:?} takes {handler:?}"),
            }
        }
        let mut closed = conversation(Handler::GeneralQueue);
        closed.status = ConversationStatus::Closed;
        assert_eq!(outcome(anna.take(&closed, "")), CONFLICT);
        let refused = anna.take(&conversation(op("boris")), "Борис Смирнов");
        assert_eq!(
            refused,
            Err(Refusal::Conflict(Conflict::new(
                ConflictCode::AlreadyTaken,
                "the conversation is already with operator Борис Смирнов"
            )))
        );
    }

    #[test]
    fn a_reply_from_the_queue_takes_the_conversation_and_one_elsewhere_leaves_it() {
        let anna = staff(Role::Operator, Some("anna"), &["sales"]);
        let admin = staff(Role::Admin, Some("ivan"), &[]);
        let script = staff(Role::Admin, None, &[]);
        let table = [
            (&anna, Handler::GeneralQueue, Ok(Some(op("anna")))),
            (&anna, group("sales"), Ok(Some(op("anna")))),
            (&anna, group("support"), Err(FORBIDDEN)),
            (&anna, op("anna"), Ok(None)),
            (&anna, op("boris"), Err(FORBIDDEN)),
            (&admin, group("support"), Ok(Some(op("ivan")))),
            // An administrator may answer in another's conversation without taking it.
            (&admin, op("boris"), Ok(None)),
            (&script, Handler::GeneralQueue, Ok(None)),
        ];
        for (who, handler, expected) in table {
            let got = who.reply_takes(&conversation(handler.clone()));
            match expected {
                Ok(h) => assert_eq!(got, Ok(h), "{who:?} replies in {handler:?}"),
                Err(code) => assert_eq!(outcome(got), code, "{who:?} replies in {handler:?}"),
            }
        }
    }

    #[test]
    fn only_the_assignee_or_an_administrator_returns_a_conversation() {
        let anna = staff(Role::Operator, Some("anna"), &["sales"]);
        let admin = staff(Role::Admin, Some("ivan"), &[]);
        let table = [
            (&anna, op("anna"), "ok"),
            (&anna, op("boris"), FORBIDDEN),
            (&admin, op("boris"), "ok"),
            (&anna, Handler::GeneralQueue, CONFLICT),
            (&admin, group("sales"), CONFLICT),
            (&anna, bot(), CONFLICT),
        ];
        for (who, handler, expected) in table {
            let got = who.return_to(&conversation(handler.clone()), group("sales"));
            assert_eq!(outcome(got.clone()), expected, "{who:?} returns {handler:?}");
            if expected == "ok" {
                assert_eq!(got, Ok(group("sales")));
            }
        }
    }
}
