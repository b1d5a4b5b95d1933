//! The caller as the desk knows them: who they are, whether they are online (online operators
//! under capacity get auto-assigned conversations, R-CS2), and their notification feed (responses
//! to vacancies for everyone; assignments and clients writing again for them), newest first, with
//! what is unread.

use super::{Desk, Person};
use crate::error::{ServiceError, ServiceResult};
use adapters::configuration::Configuration;
use adapters::ports::Page;
use chrono::{DateTime, Utc};
use domain::directory::Presence;
use domain::ids::EmployeeId;
use domain::notification::Notification;

/// Who the caller is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Me {
    /// The employee they work conversations as.
    pub employee_id: Option<EmployeeId>,
    /// That employee's name, when the directory has them.
    pub name: Option<String>,
}

/// An employee as the team screen shows them: whether they are online and how many open
/// conversations they hold now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub employee: domain::directory::Employee,
    pub online: bool,
    pub open_conversations: u64,
}

/// A notification in a feed, and whether it is newer than the caller's "read until".
#[derive(Clone, Debug, PartialEq)]
pub struct FeedItem {
    pub notification: Notification,
    pub unread: bool,
}

const NOT_AN_EMPLOYEE: ServiceError = ServiceError::Forbidden("only employees work conversations");

const ONLY_ADMINISTRATORS: &str = "only administrators see and replay ignored deliveries";

impl Desk {
    /// The deliveries from Avito that changed nothing, newest first, each with its channel's name
    /// (empty when the channel was deleted) (administrators).
    pub async fn ignored_deliveries(
        &self,
        person: &Person,
        after: Option<&str>,
        limit: u32,
    ) -> ServiceResult<Page<(adapters::configuration::IgnoredDelivery, String)>> {
        person.require_admin(ONLY_ADMINISTRATORS)?;
        let page = self
            .ports
            .config
            .ignored_deliveries(&person.tenant, after, limit)
            .await?;
        let channels = self
            .ports
            .config
            .list_all::<domain::directory::Channel>(&person.tenant)
            .await?;
        let named = page
            .items
            .into_iter()
            .map(|d| {
                let name = channels
                    .iter()
                    .find(|c| c.id == d.channel_id)
                    .map(|c| c.name.as_str().to_owned())
                    .unwrap_or_default();
                (d, name)
            })
            .collect();
        Ok(Page {
            items: named,
            next: page.next,
        })
    }

    /// Processes a kept delivery again (administrators); what it did now.
    pub async fn replay_ignored(&self, person: &Person, key: &str) -> ServiceResult<crate::inbound::Outcome> {
        person.require_admin(ONLY_ADMINISTRATORS)?;
        crate::inbound::InboundProcessor {
            ports: self.ports.clone(),
        }
        .replay(&person.tenant, key)
        .await
    }

    /// The employee the caller works as, or 403.
    async fn me(&self, person: &Person) -> ServiceResult<EmployeeId> {
        self.employee_id(person).await?.ok_or(NOT_AN_EMPLOYEE)
    }

    /// Who the caller is: their employee and its name.
    pub async fn whoami(&self, person: &Person) -> ServiceResult<Me> {
        let found = self.employee_of(person).await?;
        Ok(match found {
            Some(e) => Me {
                employee_id: Some(e.id),
                name: Some(e.name.as_str().to_owned()),
            },
            None => Me {
                employee_id: EmployeeId::parse(person.user.as_str()).ok(),
                name: None,
            },
        })
    }

    /// Every employee of the tenant by name, each with their presence and the open conversations
    /// assigned to them (every employee of the tenant may see this: it is the directory).
    pub async fn team(&self, person: &Person) -> ServiceResult<Vec<TeamMember>> {
        let tenant = &person.tenant;
        let mut employees = self
            .ports
            .config
            .list_all::<domain::directory::Employee>(tenant)
            .await?;
        employees.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        let mut team = Vec::with_capacity(employees.len());
        for employee in employees {
            let online = self.ports.config.presence(tenant, &employee.id).await?.online;
            let mine = [domain::conversation::Handler::Operator {
                employee_id: employee.id.clone(),
            }];
            let open_conversations = self.ports.conversations.count_open_by_handler(tenant, &mine).await?;
            team.push(TeamMember {
                employee,
                online,
                open_conversations,
            });
        }
        Ok(team)
    }

    /// The caller's presence.
    pub async fn presence(&self, person: &Person) -> ServiceResult<Presence> {
        let me = self.me(person).await?;
        Ok(self.ports.config.presence(&person.tenant, &me).await?)
    }

    /// Sets the caller online or offline.
    pub async fn set_online(&self, person: &Person, online: bool) -> ServiceResult<Presence> {
        let me = self.me(person).await?;
        let mut presence = self.ports.config.presence(&person.tenant, &me).await?;
        presence.online = online;
        self.ports.config.put_presence(&person.tenant, &me, &presence).await?;
        Ok(presence)
    }

    /// The caller's notifications, newest first. Others' are skipped; the cursor is the last one
    /// looked at, so paging goes on from there without gaps.
    pub async fn notifications(
        &self,
        person: &Person,
        after: Option<String>,
        limit: u32,
    ) -> ServiceResult<Page<FeedItem>> {
        let me = self.me(person).await?;
        let config = &self.ports.config;
        let read_until = config.presence(&person.tenant, &me).await?.notifications_read_until;
        let mut items = Vec::new();
        let mut after = after;
        let next = loop {
            let page = config.notifications(&person.tenant, after.as_deref(), limit).await?;
            let mut seen = None;
            for n in page.items {
                seen = Some(Configuration::notification_key(&n));
                if n.is_for(&me) {
                    items.push(FeedItem {
                        unread: read_until.is_none_or(|r| n.at > r),
                        notification: n,
                    });
                    if items.len() == limit as usize {
                        break;
                    }
                }
            }
            let full = items.len() == limit as usize;
            match (page.next, full) {
                (Some(_), false) => after = seen,
                (_, true) => break seen,
                (None, false) => break None,
            }
        };
        Ok(Page { items, next })
    }

    /// Marks the caller's notifications read up to `until` (now by default). A later time than
    /// the one saved moves it on; an earlier one changes nothing. Returns the time saved.
    pub async fn read_notifications(
        &self,
        person: &Person,
        until: Option<DateTime<Utc>>,
    ) -> ServiceResult<Option<DateTime<Utc>>> {
        let me = self.me(person).await?;
        let until = until.unwrap_or_else(|| self.ports.clock.now());
        let config = &self.ports.config;
        let mut presence = config.presence(&person.tenant, &me).await?;
        let read_until = presence.notifications_read_until.max(Some(until));
        presence.notifications_read_until = read_until;
        config.put_presence(&person.tenant, &me, &presence).await?;
        Ok(read_until)
    }
}
