//! The router's work on an Avito Jobs response (R-J1–R-J3, R-CS7).
//!
//! A delivery carries only the `applyId`; the response, its vacancy, the resume and the resume's
//! contacts (free for applicants) are read from Avito and kept as the response's candidate card.
//! Avito notifies on every change of a response and retries for about 31 hours, so the first
//! delivery records the response and later ones update it: one response, one conversation. A
//! delivery whose response has not changed since (same `updated_at`) reads nothing more.
//!
//! A response reaches operators as a conversation in its Avito chat, routed like any new
//! conversation by the Jobs channel's own settings, with the notification «Отклик на вакансию: …».
//! With "only responses with a message" on, a response by chat is held until the candidate writes
//! in the chat; the messenger path ([`crate::processing`]) then opens it. The chat's earlier
//! messages are read from Avito when the response reaches operators, so messages the candidate
//! wrote before the response was known (or whose webhooks were missed) are not lost.
//!
//! What Avito refuses (402: no Jobs subscription; 403: the candidate hides data from unverified
//! employers) leaves a note on the card and the response goes on with what is known. What may
//! pass (Avito unavailable, rate limits, credentials) is retried through the queue.

use crate::processing::{InboundProcessor, Outcome, ProcessError, WRITE_ATTEMPTS};
use adapters::avito::AvitoError;
use adapters::configuration::JobChat;
use adapters::credentials::TokenVault;
use adapters::ports::{StoreError, Versioned};
use avito_model::jobs::{Application, Resume};
use avito_model::messenger::{MessageType, WebhookMessage};
use chrono::{DateTime, Utc};
use domain::candidate::{Candidate, JobResponse, LabeledValue, ResumeSummary};
use domain::conversation::{Author, ClientRef, Content, Conversation, ConversationStatus, Listing, Message};
use domain::directory::{Channel, ChannelKind};
use domain::ids::{ChannelId, ConversationId, TenantId};
use domain::notification::Notification;
use domain::settings::ChannelSettings;

/// How many of a chat's messages are read when its response reaches operators.
const HISTORY_LIMIT: u32 = 100;

/// A note on what Avito would not give, or `Err` when the failure may pass and the delivery is
/// better retried.
fn refusal_note(what: &str, e: &AvitoError) -> Result<String, ProcessError> {
    match e {
        AvitoError::Unavailable(_)
        | AvitoError::RateLimited
        | AvitoError::Credentials(_)
        | AvitoError::Unauthorized => Err(ProcessError::Transient(format!("{what}: {e}"))),
        AvitoError::SubscriptionRequired => Ok(format!(
            "{what}: недоступно без подписки Avito Работа (Avito ответил 402)"
        )),
        AvitoError::Forbidden(_) => Ok(format!(
            "{what}: кандидат скрыл данные от непроверенных работодателей (Avito ответил 403)"
        )),
        AvitoError::NotFound => Ok(format!("{what}: не найдено в Avito")),
        other => Ok(format!("{what}: Avito не отдал данные ({other})")),
    }
}

/// A resume parameter's label for operators.
fn param_label(key: &str) -> String {
    match key {
        "experience" => "Опыт работы",
        "education" => "Образование",
        "age" => "Возраст",
        "address" => "Адрес",
        "schedule" => "График работы",
        "salary" => "Желаемая зарплата",
        "nationality" => "Гражданство",
        "business_area" => "Сфера деятельности",
        "moving" => "Переезд",
        "driver_licence_category" => "Права категории",
        other => other,
    }
    .to_owned()
}

/// A JSON value as text for a card: strings, numbers, flags and lists of them; nested documents
/// are left out (their shape is not documented).
fn plain_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "да" } else { "нет" }.to_owned()),
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(plain_text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    }
}

fn resume_summary(id: &str, resume: Resume) -> ResumeSummary {
    let mut details = Vec::new();
    if let Some(serde_json::Value::Object(params)) = &resume.params {
        for (key, value) in params {
            if let Some(value) = plain_text(value) {
                details.push(LabeledValue {
                    label: param_label(key),
                    value,
                });
            }
        }
    }
    if let Some(salary) = resume.other.get("salary").and_then(plain_text) {
        details.push(LabeledValue {
            label: param_label("salary"),
            value: salary,
        });
    }
    ResumeSummary {
        id: id.to_owned(),
        title: resume.title,
        url: resume.url,
        description: resume.description,
        details,
    }
}

fn push_new(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && !list.contains(&value) {
        list.push(value);
    }
}

/// Whether a chat message is the candidate's own (not the account's, not Avito's).
fn is_candidates(message: &WebhookMessage) -> bool {
    message.kind != MessageType::System && message.author_id != Some(message.user_id)
}

/// What the response itself says of the candidate (no further reads).
fn response_data(a: &Application) -> Candidate {
    let data = a.applicant.as_ref().and_then(|p| p.data.as_ref());
    let mut c = Candidate {
        apply_id: a.id.clone(),
        full_name: data.and_then(|d| d.name.clone()).or_else(|| {
            let f = data?.full_name.as_ref()?;
            let parts: Vec<&str> = [&f.last_name, &f.first_name, &f.patronymic]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }),
        has_chat: a.chat_id().is_some(),
        updated_at: a.updated_at.clone(),
        ..Default::default()
    };
    for phone in a.contacts.iter().flat_map(|k| k.phones.iter().flatten()) {
        if let Some(v) = &phone.value {
            push_new(&mut c.phones, v.clone());
        }
    }
    for answer in a
        .prevalidation
        .iter()
        .flat_map(|p| p.summary.iter().flatten())
        .flatten()
    {
        if let (Some(label), Some(value)) = (answer.label.clone().or(answer.variable.clone()), &answer.value) {
            c.questionnaire.push(LabeledValue {
                label,
                value: value.clone(),
            });
        }
    }
    c
}

impl InboundProcessor {
    /// Processes one delivery of the applications webhook.
    pub(crate) async fn application(
        &self,
        tenant: &TenantId,
        channel_id: &ChannelId,
        apply_id: &str,
    ) -> Result<Outcome, ProcessError> {
        let Some(channel) = self.ports.channel(tenant, channel_id).await? else {
            return Ok(Outcome::Ignored("the channel no longer exists"));
        };
        if channel.kind != ChannelKind::AvitoJobs {
            return Ok(Outcome::Ignored("not an Avito Jobs channel"));
        }
        let Some(account) = channel
            .account
            .as_ref()
            .map(|a| a.id)
            .filter(|_| channel.is_receiving())
        else {
            return Ok(Outcome::Ignored("the channel is not connected"));
        };
        let vault = self.ports.vaults.channel(tenant, &channel.id);
        let stored = self.ports.config.get::<JobResponse>(tenant, apply_id).await?;
        let application = match self
            .ports
            .avito
            .applications_by_ids(&vault, &[apply_id.to_owned()])
            .await
        {
            Ok(found) => match found.applies.into_iter().find(|a| a.id == apply_id) {
                Some(a) => Ok(a),
                None if stored.is_none() => return Ok(Outcome::Ignored("Avito does not know this response")),
                None => Err("Отклик: не найдено в Avito".to_owned()),
            },
            Err(e) => Err(refusal_note("Отклик", &e)?),
        };
        let known = stored.as_ref().map(|s| &s.value.candidate);
        let candidate = match (&application, known) {
            // Avito's time of the change is unchanged: its vacancy and resume are not read again
            // (a change within the same second still shows in the response's own data).
            (Ok(a), Some(k)) if k.updated_at.is_some() && k.updated_at == a.updated_at => {
                let base = response_data(a);
                let mut phones = base.phones.clone();
                for p in &k.phones {
                    push_new(&mut phones, p.clone());
                }
                Candidate {
                    full_name: base.full_name.or(k.full_name.clone()),
                    questionnaire: base.questionnaire,
                    has_chat: base.has_chat,
                    phones,
                    ..k.clone()
                }
            }
            (Ok(a), _) => self.candidate(&vault, a).await?,
            // What was learned before stays; Avito's refusal now does not erase it.
            (Err(_), Some(k)) => k.clone(),
            (Err(note), None) => Candidate {
                apply_id: apply_id.to_owned(),
                notes: vec![note.clone()],
                ..Default::default()
            },
        };
        let chat_id = match &application {
            Ok(a) => a.chat_id().map(str::to_owned),
            Err(_) => stored.as_ref().and_then(|s| s.value.chat_id.clone()),
        };
        let (response, changed) = self
            .save_response(tenant, &channel.id, apply_id, chat_id, candidate, stored)
            .await?;
        if response.reached_operators {
            return self.update_response_conversation(tenant, &response, changed).await;
        }
        let settings = self
            .ports
            .config
            .channel_settings(tenant, &channel.id)
            .await?
            .unwrap_or_default();
        let history = match &response.chat_id {
            Some(chat) => self.chat_history(&vault, account, chat).await?,
            None => Vec::new(),
        };
        let written = history.iter().any(is_candidates);
        if !response.routes_now(settings.only_responses_with_message, written) {
            return Ok(Outcome::Held);
        }
        let now = self.ports.clock.now();
        // A response by chat waits for an answer from the moment it reaches operators.
        let waiting = response.chat_id.as_ref().map(|_| now);
        let opened = self
            .open_for_response(tenant, &channel, &settings, &response, waiting, now)
            .await?;
        if let Some(conversation) = &opened {
            self.auto_replies().plan(tenant, &conversation.value).await?;
        }
        for message in &history {
            self.chat_message(tenant, &channel, &settings, message, Some(&response), None)
                .await?;
        }
        let conversation = self
            .response_conversation(tenant, &channel.id, &response, &opened)
            .await?;
        Ok(match conversation {
            Some(conversation) => Outcome::Stored {
                conversation,
                opened: opened.is_some(),
            },
            None => Outcome::Duplicate,
        })
    }

    /// The candidate card from the response, its vacancy, resume and the resume's contacts.
    async fn candidate(&self, vault: &TokenVault, a: &Application) -> Result<Candidate, ProcessError> {
        let avito = &self.ports.avito;
        let mut c = response_data(a);
        if let Some(vacancy_id) = a.vacancy_id {
            c.vacancy.id = Some(vacancy_id);
            match avito.vacancy(vault, vacancy_id).await {
                Ok(v) => {
                    c.vacancy.title = v.title;
                    c.vacancy.url = v.url;
                }
                Err(e) => c.notes.push(refusal_note("Вакансия", &e)?),
            }
        }
        let resume_id = a.applicant.as_ref().and_then(|p| p.resume_id.clone());
        if let Some(resume_id) = resume_id {
            match avito.resume(vault, &resume_id).await {
                Ok(r) => c.resume = Some(resume_summary(&resume_id, r)),
                Err(e) => c.notes.push(refusal_note("Резюме", &e)?),
            }
            match avito.resume_contacts(vault, &resume_id).await {
                Ok(k) => {
                    if c.full_name.is_none() {
                        c.full_name = k.name;
                    }
                    for contact in k.contacts {
                        match contact.kind.as_str() {
                            "phone" => push_new(&mut c.phones, contact.value),
                            "e-mail" => push_new(&mut c.emails, contact.value),
                            _ => {}
                        }
                    }
                }
                Err(e) => c.notes.push(refusal_note("Контакты кандидата", &e)?),
            }
        }
        Ok(c)
    }

    /// Records the response (or its new data); `true` when something changed. The chat points at
    /// it, so the candidate's messages find it.
    async fn save_response(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        apply_id: &str,
        chat_id: Option<String>,
        candidate: Candidate,
        mut stored: Option<Versioned<JobResponse>>,
    ) -> Result<(JobResponse, bool), ProcessError> {
        let config = &self.ports.config;
        for _ in 0..WRITE_ATTEMPTS {
            let written = match &stored {
                None => {
                    let new = JobResponse {
                        id: apply_id.to_owned(),
                        channel_id: channel.clone(),
                        chat_id: chat_id.clone(),
                        candidate: candidate.clone(),
                        received_at: self.ports.clock.now(),
                        reached_operators: false,
                    };
                    config.create(tenant, &new).await.map(|()| (new, true))
                }
                Some(current) if current.value.candidate == candidate && current.value.chat_id == chat_id => {
                    Ok((current.value.clone(), false))
                }
                Some(current) => {
                    let next = JobResponse {
                        candidate: candidate.clone(),
                        chat_id: chat_id.clone(),
                        ..current.value.clone()
                    };
                    config
                        .replace(tenant, &next, current.version)
                        .await
                        .map(|_| (next, true))
                }
            };
            match written {
                Ok((response, changed)) => {
                    if let Some(chat) = &response.chat_id {
                        let pointer = JobChat {
                            apply_id: response.id.clone(),
                            channel_id: response.channel_id.clone(),
                        };
                        config.put_job_chat(tenant, chat, &pointer).await?;
                    }
                    return Ok((response, changed));
                }
                Err(StoreError::Conflict) => stored = config.get::<JobResponse>(tenant, apply_id).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ProcessError::Transient("the response kept changing; will retry".into()))
    }

    /// A changed response updates the card of its open conversation, with a visible note.
    async fn update_response_conversation(
        &self,
        tenant: &TenantId,
        response: &JobResponse,
        changed: bool,
    ) -> Result<Outcome, ProcessError> {
        if !changed {
            return Ok(Outcome::Duplicate);
        }
        let key = response.conversation_key();
        for _ in 0..WRITE_ATTEMPTS {
            let Some(current) = self
                .ports
                .conversations
                .open_for_chat(tenant, &response.channel_id, &key)
                .await?
            else {
                return Ok(Outcome::Ignored("the response changed; its conversation is closed"));
            };
            let note = Message {
                id: format!(
                    "response-update-{}-{}",
                    response.id,
                    response.candidate.updated_at.as_deref().unwrap_or("unknown")
                ),
                conversation_id: current.value.id.clone(),
                author: Author::System,
                content: Content::System {
                    text: Some("Отклик обновлён в Avito: данные кандидата обновлены".to_owned()),
                    flow_id: None,
                },
                created_at: self.ports.clock.now(),
                delivery: None,
            };
            let mut next = current.value.clone().with_message(&note);
            next.candidate = Some(response.candidate.clone());
            if next.client.name.is_none() {
                next.client.name = response.candidate.full_name.clone();
            }
            match self
                .ports
                .conversations
                .add_message(tenant, &next, current.version, &note)
                .await
            {
                Ok(true) => {
                    return Ok(Outcome::Stored {
                        conversation: next.id,
                        opened: false,
                    });
                }
                Ok(false) => return Ok(Outcome::Duplicate),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ProcessError::Transient(
            "the conversation kept changing; will retry".into(),
        ))
    }

    /// The chat's messages so far, oldest first, as the messenger webhook would carry them.
    async fn chat_history(
        &self,
        vault: &TokenVault,
        account: i64,
        chat_id: &str,
    ) -> Result<Vec<WebhookMessage>, ProcessError> {
        let messages = match self
            .ports
            .avito
            .messages(vault, account, chat_id, HISTORY_LIMIT, 0)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                let note = refusal_note("История чата", &e)?;
                tracing::warn!(%note, "the chat's history is unavailable");
                Vec::new()
            }
        };
        let mut history: Vec<WebhookMessage> = messages
            .into_iter()
            .map(|m| WebhookMessage {
                id: m.id,
                chat_id: chat_id.to_owned(),
                user_id: account,
                author_id: m.author_id,
                created: m.created,
                kind: m.kind,
                chat_type: None,
                content: m.content,
                item_id: None,
                published_at: None,
                read: None,
            })
            .collect();
        history.sort_by_key(|m| m.created);
        Ok(history)
    }

    /// Opens the conversation of a response: the candidate card, the vacancy as its listing, routed
    /// by the channel's settings; the operators are notified once. `None` when its chat already
    /// has an open conversation.
    pub(crate) async fn open_for_response(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        settings: &ChannelSettings,
        response: &JobResponse,
        waiting_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Option<Versioned<Conversation>>, ProcessError> {
        let candidate = &response.candidate;
        let routed = self.route(tenant, settings, now, true).await?;
        let conversation = Conversation {
            id: crate::processing::new_id()?,
            channel_id: channel.id.clone(),
            chat_id: response.conversation_key(),
            status: ConversationStatus::Open,
            handler: routed.handler.clone(),
            client: ClientRef {
                avito_user_id: None,
                name: candidate.full_name.clone(),
                card_id: None,
            },
            listing: Some(Listing {
                item_id: candidate.vacancy.id,
                title: candidate.vacancy.title.clone(),
                price: None,
                url: candidate.vacancy.url.clone(),
            }),
            created_at: now,
            last_activity_at: now,
            waiting_since,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            candidate: Some(candidate.clone()),
            topic: None,
            deal_id: None,
            organization_id: None,
        }
        .with_auto_close(settings.auto_close_after);
        let opened = match self.ports.conversations.open(tenant, &conversation).await {
            Ok(()) => {
                self.start_answer_wait(tenant, &conversation.id, &routed, now).await?;
                self.ports
                    .notify_assigned(tenant, &conversation, conversation.created_at)
                    .await?;
                Some(Versioned {
                    value: conversation,
                    version: 1,
                })
            }
            Err(StoreError::Conflict) => None,
            Err(e) => return Err(e.into()),
        };
        if !response.reached_operators {
            // Also when an earlier attempt opened it and stopped before this point.
            let conversation_id = self
                .response_conversation(tenant, &channel.id, response, &opened)
                .await?;
            self.ports
                .config
                .notify(
                    tenant,
                    &Notification {
                        id: format!("response-{}", response.id),
                        at: response.received_at,
                        text: candidate.notification_text(),
                        channel_id: channel.id.clone(),
                        conversation_id,
                        kind: domain::notification::NotificationKind::Response,
                        employee_id: None,
                    },
                )
                .await?;
            self.mark_reached(tenant, &response.id).await?;
        }
        Ok(opened)
    }

    /// The response's open conversation: the one just `opened` here (its id is known), else the
    /// one whoever opened it left open.
    async fn response_conversation(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        response: &JobResponse,
        opened: &Option<Versioned<Conversation>>,
    ) -> Result<Option<ConversationId>, ProcessError> {
        Ok(match opened {
            Some(c) => Some(c.value.id.clone()),
            None => self
                .ports
                .conversations
                .open_for_chat(tenant, channel, &response.conversation_key())
                .await?
                .map(|c| c.value.id),
        })
    }

    /// Remembers that a response reached operators, so later updates do not open it again.
    async fn mark_reached(&self, tenant: &TenantId, apply_id: &str) -> Result<(), ProcessError> {
        let config = &self.ports.config;
        for _ in 0..WRITE_ATTEMPTS {
            let Some(current) = config.get::<JobResponse>(tenant, apply_id).await? else {
                return Ok(());
            };
            if current.value.reached_operators {
                return Ok(());
            }
            let next = JobResponse {
                reached_operators: true,
                ..current.value
            };
            match config.replace(tenant, &next, current.version).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ProcessError::Transient("the response kept changing; will retry".into()))
    }
}
