//! The operators' desk (R-OP): what people and chatbots do to conversations. Each command reads
//! the conversation, asks the domain whether the person may act ([`domain::access`]), and changes
//! it in one conditional write with a visible note where the change is not a message itself.
//!
//! Inside: [`reply`] (replies, images, resends, deletes, writing from a client card), [`bot`] (the
//! chatbot API's commands), [`records`] (client cards, deals, organizations, and linking them),
//! [`team`] (who the caller is, presence, the notification feed, the ignored deliveries),
//! [`dead_letters`] (the inbound messages that failed too often, for administrators); this module
//! holds taking, returning, editing, commenting and completing, and what they share.

pub mod bot;
pub mod dead_letters;
pub mod records;
pub mod reply;
pub mod team;

use crate::closing::{Closed, Closing};
use crate::error::{ServiceError, ServiceResult};
use crate::notify;
use crate::outbox;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::{Page, TimeCursor};
use domain::access::{Role, Staff};
use domain::conversation::{Author, ClosingReason, Content, Conversation, ConversationStatus, Handler, Message};
use domain::directory::{Employee, Group};
use domain::ids::{ConversationId, EmployeeId, GroupId, TenantId};
use domain::validation::{Conflict, ConflictCode, Problem, ValidationErrors};

/// Someone signed in to a tenant: the identity provider's subject and their role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub tenant: TenantId,
    pub user: String,
    pub role: Role,
}

impl Person {
    /// Refused (403, saying `what`) unless this person is an administrator.
    pub fn require_admin(&self, what: &'static str) -> ServiceResult<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Operator => Err(ServiceError::Forbidden(what)),
        }
    }
}

/// The employee a signed-in subject works as: the one whose `user_id` (or id) is `user`.
pub(crate) async fn employee_of_subject(
    config: &adapters::configuration::Configuration,
    tenant: &TenantId,
    user: &str,
) -> ServiceResult<Option<Employee>> {
    Ok(config
        .list_all::<Employee>(tenant)
        .await?
        .into_iter()
        .find(|e| e.user_id.as_deref() == Some(user) || e.id.as_str() == user))
}

/// The desk's commands on the ports.
#[derive(Clone)]
pub struct Desk {
    pub ports: Ports,
}

/// Which list of open conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Assigned to the caller.
    Mine,
    /// Waiting in the general queue and the queues of the caller's groups (all groups for an
    /// administrator).
    Queue,
    /// The archive: the tenant's closed conversations, the most recently closed first (everyone
    /// in the tenant reads it, as they read a client card's history).
    Closed,
}

/// A filter on a list: only one channel's conversations, only those waiting (or answered).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub channel_id: Option<String>,
    pub waiting: Option<bool>,
}

/// How many open conversations each list holds, and the unread notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub mine: u64,
    pub queue: u64,
    pub unread_notifications: u32,
}

/// What completing or finishing did with the closing message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClosingMessage {
    Sent,
    Failed(String),
    Off,
}

impl Desk {
    /// The employee `person` works as: the one whose `user_id` (or id) is their subject; else
    /// their subject itself, when it has the form of an id.
    pub(crate) async fn employee_of(&self, person: &Person) -> ServiceResult<Option<Employee>> {
        employee_of_subject(&self.ports.config, &person.tenant, &person.user).await
    }

    /// The id of the employee `person` works as (see [`Desk::employee_of`]).
    pub(crate) async fn employee_id(&self, person: &Person) -> ServiceResult<Option<EmployeeId>> {
        Ok(self
            .employee_of(person)
            .await?
            .map(|e| e.id)
            .or_else(|| EmployeeId::parse(person.user.as_str()).ok()))
    }

    /// `person` as the domain's access rules see them: role, employee, groups.
    pub async fn staff(&self, person: &Person) -> ServiceResult<Staff> {
        let employee_id = self.employee_id(person).await?;
        let groups = match &employee_id {
            Some(me) => self
                .ports
                .config
                .list_all::<Group>(&person.tenant)
                .await?
                .into_iter()
                .filter(|g| g.members.contains(me))
                .map(|g| g.id)
                .collect(),
            None => Vec::new(),
        };
        Ok(Staff {
            role: person.role,
            employee_id,
            groups,
        })
    }

    /// An employee's name for notes, or their id when the directory does not know them.
    pub(crate) async fn employee_name(&self, tenant: &TenantId, id: &EmployeeId) -> ServiceResult<String> {
        Ok(self.ports.employee_name(tenant, id).await?)
    }

    /// A conversation of the tenant; 404 for an id that is not one.
    pub async fn conversation(&self, tenant: &TenantId, id: &str) -> ServiceResult<Conversation> {
        let id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        Ok(self
            .ports
            .conversations
            .get(tenant, &id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))?
            .value)
    }

    /// Opens a conversation to read it: an open one marks its Avito chat read (best effort).
    pub async fn open(&self, person: &Person, id: &str) -> ServiceResult<Conversation> {
        let conversation = self.conversation(&person.tenant, id).await?;
        if conversation.status == ConversationStatus::Open {
            outbox::mark_read(&self.ports, &person.tenant, &conversation).await;
        }
        Ok(conversation)
    }

    /// A page of a conversation's messages, in Avito's order.
    pub async fn messages(
        &self,
        person: &Person,
        id: &str,
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> ServiceResult<Page<Message, TimeCursor>> {
        let conversation = self.conversation(&person.tenant, id).await?;
        Ok(self
            .ports
            .conversations
            .messages(&person.tenant, &conversation.id, after, limit)
            .await?)
    }

    /// `current` after an answer of ours (`message`): activity moves on, the waiting period ends,
    /// and the auto-close time follows the activity.
    async fn answered(
        &self,
        tenant: &TenantId,
        current: &Conversation,
        message: &Message,
    ) -> ServiceResult<Conversation> {
        let settings = self.ports.settings(tenant, &current.channel_id).await?;
        Ok(current
            .clone()
            .with_message(message)
            .with_auto_close(settings.auto_close_after))
    }

    /// A link that plays a voice message (Avito's, valid for an hour: asked for at each play).
    pub async fn voice_link(&self, person: &Person, id: &str, message_id: &str) -> ServiceResult<String> {
        let conversation = self.conversation(&person.tenant, id).await?;
        let message = reply::find(&self.ports, &person.tenant, &conversation.id, message_id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        let Content::Voice {
            voice_id: Some(voice_id),
        } = &message.content
        else {
            return Err(ServiceError::NotFound("voice message"));
        };
        outbox::voice_link(&self.ports, &person.tenant, &conversation, voice_id)
            .await
            .map_err(|e| ServiceError::Avito(e.to_string()))?
            .ok_or_else(|| ServiceError::Avito("Avito has no file for this voice message".into()))
    }

    /// The handlers a list covers for `staff`.
    async fn handlers_of(&self, tenant: &TenantId, staff: &Staff, view: View) -> ServiceResult<Vec<Handler>> {
        Ok(match view {
            View::Mine => staff
                .employee_id
                .iter()
                .map(|employee_id| Handler::Operator {
                    employee_id: employee_id.clone(),
                })
                .collect(),
            View::Closed => Vec::new(),
            View::Queue => {
                let groups: Vec<GroupId> = match staff.role {
                    Role::Admin => self
                        .ports
                        .config
                        .list_all::<Group>(tenant)
                        .await?
                        .into_iter()
                        .map(|g| g.id)
                        .collect(),
                    Role::Operator => staff.groups.clone(),
                };
                let mut handlers: Vec<Handler> = groups
                    .into_iter()
                    .map(|group_id| Handler::GroupQueue { group_id })
                    .collect();
                handlers.push(Handler::GeneralQueue);
                handlers
            }
        })
    }

    /// One page of a list straight from its index.
    async fn list_page(
        &self,
        tenant: &TenantId,
        view: View,
        handlers: &[Handler],
        after: Option<&TimeCursor>,
        limit: u32,
    ) -> ServiceResult<Page<Conversation, TimeCursor>> {
        let store = &self.ports.conversations;
        Ok(match view {
            View::Closed => store.closed(tenant, after, limit).await?,
            View::Mine | View::Queue => store.open_by_handler(tenant, handlers, after, limit).await?,
        })
    }

    /// A page of a list: open conversations, the most recent activity first, or the archive, the
    /// most recently closed first. With a filter the index is read on until a page is full; the
    /// cursor is the last conversation looked at, so the next page goes on from there and nothing
    /// is skipped or repeated.
    pub async fn list(
        &self,
        person: &Person,
        view: View,
        filter: &ListFilter,
        after: Option<TimeCursor>,
        limit: u32,
    ) -> ServiceResult<Page<Conversation, TimeCursor>> {
        let staff = self.staff(person).await?;
        let handlers = self.handlers_of(&person.tenant, &staff, view).await?;
        let tenant = &person.tenant;
        if filter.channel_id.is_none() && filter.waiting.is_none() {
            return self.list_page(tenant, view, &handlers, after.as_ref(), limit).await;
        }
        let wanted = |c: &Conversation| {
            filter
                .channel_id
                .as_deref()
                .is_none_or(|ch| c.channel_id.as_str() == ch)
                && filter.waiting.is_none_or(|w| c.waiting_since.is_some() == w)
        };
        let position = |c: &Conversation| match view {
            View::Closed => TimeCursor::closed_of(c),
            View::Mine | View::Queue => TimeCursor::activity_of(c),
        };
        let mut items = Vec::new();
        let mut after = after;
        let next = loop {
            let page = self.list_page(tenant, view, &handlers, after.as_ref(), limit).await?;
            let mut seen = None;
            for c in page.items {
                seen = Some(position(&c));
                if wanted(&c) {
                    items.push(c);
                    if items.len() == limit as usize {
                        break;
                    }
                }
            }
            match page.next {
                Some(_) if items.len() < limit as usize => after = seen,
                Some(_) => break seen,
                None if items.len() == limit as usize => break seen,
                None => break None,
            }
        };
        Ok(Page { items, next })
    }

    /// The badges: how many open conversations are mine and in my queues; unread notifications
    /// (counted up to 99).
    pub async fn counts(&self, person: &Person) -> ServiceResult<Counts> {
        let staff = self.staff(person).await?;
        let store = &self.ports.conversations;
        let mine = self.handlers_of(&person.tenant, &staff, View::Mine).await?;
        let queue = self.handlers_of(&person.tenant, &staff, View::Queue).await?;
        Ok(Counts {
            mine: store.count_open_by_handler(&person.tenant, &mine).await?,
            queue: store.count_open_by_handler(&person.tenant, &queue).await?,
            unread_notifications: match &staff.employee_id {
                Some(me) => notify::unread_count(&self.ports, &person.tenant, me, 99).await?,
                None => 0,
            },
        })
    }

    /// Changes an open (or, with `open_only` false, any) conversation as `decide` says, with a
    /// visible note, in one conditional write; `decide` answering `None` leaves it as it is.
    /// Re-decides on a lost race. The note's id names the version changed from, so two edits of
    /// one version write one note.
    async fn change(
        &self,
        tenant: &TenantId,
        id: &str,
        what: &str,
        open_only: bool,
        decide: impl Fn(&Conversation) -> ServiceResult<Option<(Conversation, String)>>,
    ) -> ServiceResult<Conversation> {
        let id = ConversationId::parse(id).map_err(|_| ServiceError::NotFound("conversation"))?;
        let ports = &self.ports;
        Ok(until_settled!("the conversation", {
            let current = ports
                .conversations
                .get(tenant, &id)
                .await?
                .ok_or(ServiceError::NotFound("conversation"))?;
            if open_only && current.value.status != ConversationStatus::Open {
                return Err(ServiceError::Conflict(Conflict::conversation_closed()));
            }
            let Some((changed, text)) = decide(&current.value)? else {
                return Ok(Some(current.value));
            };
            let note = Message {
                id: format!("{what}-{}-{}", current.value.id, current.version),
                conversation_id: current.value.id.clone(),
                author: Author::System,
                content: Content::System {
                    text: Some(text),
                    flow_id: None,
                },
                created_at: ports.clock.now(),
                delivery: None,
            };
            let next = changed.with_message(&note);
            // `false`: this version's note is stored, so someone changed it from here first.
            let added = settled(ports.conversations.add_message(tenant, &current, &next, &note).await)?;
            Ok(added.and_then(|added| added.then_some(next)))
        }))
    }

    /// Takes a conversation from a queue (R-OP1): atomic; of two operators taking it at once
    /// exactly one gets it, the other is told who has it (409). A visible note says who took it.
    pub async fn take(&self, person: &Person, id: &str) -> ServiceResult<Conversation> {
        let staff = self.staff(person).await?;
        let me = staff.employee()?.clone();
        let my_name = self.employee_name(&person.tenant, &me).await?;
        // Who has it now, named for a refusal (read again in the write; an id if it changed).
        let owner = match self.conversation(&person.tenant, id).await?.handler {
            Handler::Operator { employee_id } => {
                Some((self.employee_name(&person.tenant, &employee_id).await?, employee_id))
            }
            _ => None,
        };
        self.change(&person.tenant, id, "take", true, |current| {
            let owner_name = match (&current.handler, &owner) {
                (Handler::Operator { employee_id }, Some((name, named))) if employee_id == named => name.as_str(),
                (Handler::Operator { employee_id }, _) => employee_id.as_str(),
                _ => "",
            };
            Ok(staff.take(current, owner_name)?.map(|handler| {
                let mut next = current.clone();
                next.handler = handler;
                (next, format!("Обращение взял оператор {my_name}"))
            }))
        })
        .await
    }

    /// Returns a conversation to the general queue or a group's (`group_id`), for any operator of
    /// that queue to take; only its operator or an administrator does (403 otherwise).
    pub async fn return_to_queue(
        &self,
        person: &Person,
        id: &str,
        group_id: Option<&str>,
    ) -> ServiceResult<Conversation> {
        let staff = self.staff(person).await?;
        let me = staff.employee()?.clone();
        let queue = match group_id {
            None => Handler::GeneralQueue,
            Some(group) => {
                let id = GroupId::parse(group)
                    .map_err(|e| ServiceError::Invalid(ValidationErrors::single("group_id", Problem::NotAnId(e))))?;
                let known = self
                    .ports
                    .config
                    .get::<Group>(&person.tenant, id.as_str())
                    .await?
                    .map(|g| g.value.id);
                let group_id = known.ok_or_else(|| {
                    ServiceError::UnknownReferences(ValidationErrors::single("group_id", Problem::NotFound("group")))
                })?;
                Handler::GroupQueue { group_id }
            }
        };
        let my_name = self.employee_name(&person.tenant, &me).await?;
        self.change(&person.tenant, id, "return", true, |current| {
            let handler = staff.return_to(current, queue.clone())?;
            let mut next = current.clone();
            next.handler = handler;
            Ok(Some((next, format!("Оператор {my_name} вернул обращение в очередь"))))
        })
        .await
    }

    /// Completes a conversation: it closes and the closing message goes out once (R-CL1); 409 when
    /// it is closed already. The closing reason names the employee who completed it.
    pub async fn complete(&self, person: &Person, id: &str) -> ServiceResult<ClosingMessage> {
        let conversation = self.conversation(&person.tenant, id).await?;
        let staff = self.staff(person).await?;
        staff.may_act(&conversation)?;
        let reason = ClosingReason::Completed {
            employee_id: staff.employee_id.clone(),
        };
        let closed = Closing {
            ports: self.ports.clone(),
        }
        .close(&person.tenant, &conversation.id, reason, false)
        .await?;
        closing_message(closed)
    }

    /// An internal comment among the messages: never sent to the client, not an answer.
    pub async fn comment(&self, person: &Person, id: &str, text: &str) -> ServiceResult<Message> {
        let text = domain::clients::comment(text)?;
        let conversation = self.conversation(&person.tenant, id).await?;
        let staff = self.staff(person).await?;
        let employee_id = staff.employee()?.clone();
        staff.may_act(&conversation)?;
        let message = Message {
            id: format!("comment-{}", crate::random_hex(16).map_err(ServiceError::Transient)?),
            conversation_id: conversation.id.clone(),
            author: Author::Operator { employee_id },
            content: Content::Comment { text },
            created_at: self.ports.clock.now(),
            delivery: None,
        };
        let ports = &self.ports;
        until_settled!("the conversation", {
            let current = ports
                .conversations
                .get(&person.tenant, &conversation.id)
                .await?
                .ok_or(ServiceError::NotFound("conversation"))?;
            let next = current.value.clone().with_message(&message);
            let added = ports
                .conversations
                .add_message(&person.tenant, &current, &next, &message)
                .await;
            Ok(settled(added)?.map(drop))
        });
        Ok(message)
    }
}

/// How a close went for the closing message; 409 when the conversation was closed already.
pub(crate) fn closing_message(closed: Closed) -> ServiceResult<ClosingMessage> {
    match closed {
        Closed::Closed {
            closing_message: Some(Ok(())),
        } => Ok(ClosingMessage::Sent),
        Closed::Closed {
            closing_message: Some(Err(reason)),
        } => Ok(ClosingMessage::Failed(reason)),
        Closed::Closed { closing_message: None } => Ok(ClosingMessage::Off),
        Closed::AlreadyClosed | Closed::NotDue => Err(ServiceError::Conflict(Conflict::new(
            ConflictCode::ConversationClosed,
            "the conversation is already closed",
        ))),
    }
}
