//! What operators record about a conversation (R-OP2, R-OP3): its topic and its links to one
//! client card, one deal and one organization, saved together, each change a visible note; client
//! cards made and edited (a guest made a client keeps their card, so the history stays); deals and
//! organizations to link to.

use super::{Desk, Person};
use crate::error::{ServiceError, ServiceResult};
use crate::retry::{settled, until_settled};
use adapters::configuration::ConfigEntity;
use adapters::ports::Page;
use domain::clients::{ClientCardDraft, Deal, DealDraft, Organization, OrganizationDraft};
use domain::conversation::{CardKind, ClientCard, Conversation};
use domain::ids::{ClientCardId, DealId, InvalidId, OrganizationId, TenantId};
use domain::validation::{Problem, ValidationErrors};

/// The most client cards a search answers.
pub const MAX_FOUND_CARDS: usize = 20;

/// A link field of an edit: leave it, remove it, or set it to an id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Keep,
    Clear,
    Set(String),
}

/// What to save on a conversation; only what is given changes.
#[derive(Clone, Debug, Default)]
pub struct ConversationEdit {
    /// Up to 200 characters; blank removes it.
    pub topic: Option<String>,
    pub client_card: Link,
    pub deal: Link,
    pub organization: Link,
}

impl Desk {
    /// Checks that a linked record exists: `None` to keep the link, `Some(None)` to clear it,
    /// `Some(Some(id))` to set it. An id that is not one is an invalid value (`invalid`); one the
    /// tenant does not have is named in `unknown`.
    async fn resolve<T: ConfigEntity, I>(
        &self,
        tenant: &TenantId,
        field: &str,
        link: &Link,
        parse: fn(String) -> Result<I, InvalidId>,
        problems: &mut LinkProblems,
    ) -> ServiceResult<Option<Option<I>>> {
        let id = match link {
            Link::Keep => return Ok(None),
            Link::Clear => return Ok(Some(None)),
            Link::Set(id) => id,
        };
        let parsed = match parse(id.clone()) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.invalid.add(field, Problem::NotAnId(e));
                return Ok(None);
            }
        };
        if self.ports.config.get::<T>(tenant, id).await?.is_none() {
            problems.unknown.add(field, Problem::NotFound("record"));
            return Ok(None);
        }
        Ok(Some(Some(parsed)))
    }

    /// Sets the topic and links the conversation to a client card, a deal and an organization,
    /// in one write; each change is a visible note. Linking a client card also makes it the card
    /// of the conversation's Avito user from now on, so their next conversations open with it.
    pub async fn edit(&self, person: &Person, id: &str, edit: &ConversationEdit) -> ServiceResult<Conversation> {
        let tenant = &person.tenant;
        let mut problems = LinkProblems::default();
        let topic = match edit.topic.as_deref().map(domain::clients::topic) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                problems.invalid.0.extend(e.0);
                None
            }
            None => None,
        };
        let card = self
            .resolve::<ClientCard, _>(
                tenant,
                "client_card_id",
                &edit.client_card,
                ClientCardId::parse,
                &mut problems,
            )
            .await?;
        let deal = self
            .resolve::<Deal, _>(tenant, "deal_id", &edit.deal, DealId::parse, &mut problems)
            .await?;
        let organization = self
            .resolve::<Organization, _>(
                tenant,
                "organization_id",
                &edit.organization,
                OrganizationId::parse,
                &mut problems,
            )
            .await?;
        problems.into_result()?;
        let staff = self.staff(person).await?;
        staff.may_act(&self.conversation(tenant, id).await?)?;
        let names = self.link_names(tenant, &card, &deal, &organization).await?;
        let saved = self
            .change(tenant, id, "edit", false, |current| {
                let mut next = current.clone();
                let mut notes = Vec::new();
                if let Some(t) = &topic
                    && *t != current.topic
                {
                    next.topic = t.clone();
                    notes.push(match t {
                        Some(t) => format!("Тема: {t}"),
                        None => "Тема снята".to_owned(),
                    });
                }
                if let Some(c) = &card
                    && *c != current.client.card_id
                {
                    next.client.card_id = c.clone();
                    notes.push(match c {
                        Some(_) => format!("Обращение связано с клиентом {}", names.card),
                        None => "Обращение отвязано от клиента".to_owned(),
                    });
                }
                if let Some(d) = &deal
                    && *d != current.deal_id
                {
                    next.deal_id = d.clone();
                    notes.push(match d {
                        Some(_) => format!("Обращение связано со сделкой «{}»", names.deal),
                        None => "Обращение отвязано от сделки".to_owned(),
                    });
                }
                if let Some(o) = &organization
                    && *o != current.organization_id
                {
                    next.organization_id = o.clone();
                    notes.push(match o {
                        Some(_) => format!("Обращение связано с организацией «{}»", names.organization),
                        None => "Обращение отвязано от организации".to_owned(),
                    });
                }
                Ok((!notes.is_empty()).then(|| (next, notes.join("; "))))
            })
            .await?;
        if let (Some(Some(card)), Some(user)) = (&card, saved.client.avito_user_id) {
            self.link_avito_user(tenant, card, user).await?;
        }
        Ok(saved)
    }

    /// The names of the records an edit links to, for its notes.
    async fn link_names(
        &self,
        tenant: &TenantId,
        card: &Option<Option<ClientCardId>>,
        deal: &Option<Option<DealId>>,
        organization: &Option<Option<OrganizationId>>,
    ) -> ServiceResult<LinkNames> {
        let config = &self.ports.config;
        let mut names = LinkNames::default();
        if let Some(Some(id)) = card {
            let card = config.get::<ClientCard>(tenant, id.as_str()).await?.map(|c| c.value);
            names.card = card
                .and_then(|c| c.name.or_else(|| c.phones.first().cloned()))
                .unwrap_or_else(|| "без имени".to_owned());
        }
        if let Some(Some(id)) = deal {
            let deal = config.get::<Deal>(tenant, id.as_str()).await?.map(|d| d.value);
            names.deal = deal.map_or_else(|| id.to_string(), |d| d.title);
        }
        if let Some(Some(id)) = organization {
            let organization = config.get::<Organization>(tenant, id.as_str()).await?.map(|o| o.value);
            names.organization = organization.map_or_else(|| id.to_string(), |o| o.name);
        }
        Ok(names)
    }

    /// The Avito user's future conversations open with `card`, which now lists them.
    async fn link_avito_user(&self, tenant: &TenantId, card: &ClientCardId, user: i64) -> ServiceResult<()> {
        let config = &self.ports.config;
        until_settled!("the client card", {
            let Some(current) = config.get::<ClientCard>(tenant, card.as_str()).await? else {
                return Ok(Some(()));
            };
            if current.value.avito_user_ids.contains(&user) {
                return Ok(Some(()));
            }
            let mut next = current.value.clone();
            next.avito_user_ids.push(user);
            Ok(settled(config.replace(tenant, &next, current.version).await)?.map(drop))
        });
        config.point_avito_user(tenant, user, card).await?;
        Ok(())
    }

    /// Edits a client card; `"kind": "client"` makes a guest a client (R-OP3). The card keeps its
    /// id, so every earlier conversation stays in its history.
    pub async fn edit_card(&self, person: &Person, id: &str, draft: &ClientCardDraft) -> ServiceResult<ClientCard> {
        if ClientCardId::parse(id).is_err() {
            return Err(ServiceError::NotFound("client card"));
        }
        let config = &self.ports.config;
        Ok(until_settled!("the client card", {
            let current = config
                .get::<ClientCard>(&person.tenant, id)
                .await?
                .ok_or(ServiceError::NotFound("client card"))?;
            let next = draft.clone().apply_to(&current.value)?;
            Ok(settled(config.replace(&person.tenant, &next, current.version).await)?.map(|_| next))
        }))
    }

    /// Client cards by the start of a word of the name or by phone digits (at most
    /// [`MAX_FOUND_CARDS`], by name), for linking a conversation to another card.
    pub async fn search_cards(&self, person: &Person, query: &str) -> ServiceResult<Vec<ClientCard>> {
        let terms = domain::clients::search::lookup_terms(query);
        if terms.is_empty() {
            let mut errors = domain::validation::ValidationErrors::new();
            errors.add(
                "query",
                Problem::TooShort {
                    min: domain::clients::search::MIN_QUERY_CHARS as u64,
                },
            );
            return Err(errors.into());
        }
        let config = &self.ports.config;
        let mut found: Vec<ClientCard> = Vec::new();
        for term in terms {
            for id in config.search::<ClientCard>(&person.tenant, &term, 100).await? {
                if found.iter().any(|c| c.id.as_str() == id) {
                    continue;
                }
                if let Some(card) = config.get::<ClientCard>(&person.tenant, &id).await?
                    && domain::clients::search::matches(&card.value, query)
                {
                    found.push(card.value);
                }
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found.truncate(MAX_FOUND_CARDS);
        Ok(found)
    }

    /// A client card made by an operator (a client who has not written through Avito, e.g. one
    /// who called).
    /// The card is a client's, whatever `kind` says (it is validated all the same).
    pub async fn create_card(&self, person: &Person, draft: ClientCardDraft) -> ServiceResult<ClientCard> {
        let blank = ClientCard {
            id: crate::new_id(ClientCardId::parse)?,
            kind: CardKind::Guest,
            name: None,
            avito_user_ids: Vec::new(),
            phones: Vec::new(),
            emails: Vec::new(),
            created_at: self.ports.clock.now(),
        };
        let mut card = draft.apply_to(&blank)?;
        card.kind = CardKind::Client;
        self.ports.config.create(&person.tenant, &card).await?;
        Ok(card)
    }

    /// The card's history, open and closed, across every channel, the newest first.
    pub async fn history(
        &self,
        person: &Person,
        card_id: &str,
        after: Option<&adapters::ports::TimeCursor>,
        limit: u32,
    ) -> ServiceResult<Page<Conversation, adapters::ports::TimeCursor>> {
        let card = self.card(&person.tenant, card_id).await?;
        Ok(self
            .ports
            .conversations
            .by_client_card(&person.tenant, &card.id, after, limit)
            .await?)
    }

    /// A new deal to link conversations to.
    pub async fn create_deal(&self, person: &Person, draft: DealDraft) -> ServiceResult<Deal> {
        let deal = draft.validate(crate::new_id(DealId::parse)?, self.ports.clock.now())?;
        self.ports.config.create(&person.tenant, &deal).await?;
        Ok(deal)
    }

    /// The tenant's deals, in id order, a page at a time.
    pub async fn deals(&self, person: &Person, after: Option<&str>, limit: u32) -> ServiceResult<Page<Deal>> {
        Ok(self.ports.config.list::<Deal>(&person.tenant, after, limit).await?)
    }

    /// The tenant's organizations, in id order, a page at a time.
    pub async fn organizations(
        &self,
        person: &Person,
        after: Option<&str>,
        limit: u32,
    ) -> ServiceResult<Page<Organization>> {
        Ok(self
            .ports
            .config
            .list::<Organization>(&person.tenant, after, limit)
            .await?)
    }

    /// A new organization to link conversations to.
    pub async fn create_organization(&self, person: &Person, draft: OrganizationDraft) -> ServiceResult<Organization> {
        let organization = draft.validate(crate::new_id(OrganizationId::parse)?, self.ports.clock.now())?;
        self.ports.config.create(&person.tenant, &organization).await?;
        Ok(organization)
    }
}

/// What is wrong with an edit's values and links: invalid values are 422 (naming links to nothing
/// beside them); links to nothing alone are 404 naming their fields.
#[derive(Default)]
struct LinkProblems {
    invalid: ValidationErrors,
    unknown: ValidationErrors,
}

impl LinkProblems {
    fn into_result(self) -> ServiceResult<()> {
        if !self.invalid.is_empty() {
            let mut all = self.invalid;
            all.0.extend(self.unknown.0);
            return Err(ServiceError::Invalid(all));
        }
        if !self.unknown.is_empty() {
            return Err(ServiceError::UnknownReferences(self.unknown));
        }
        Ok(())
    }
}

/// How the records an edit links to are named in its notes.
#[derive(Default)]
struct LinkNames {
    card: String,
    deal: String,
    organization: String,
}
