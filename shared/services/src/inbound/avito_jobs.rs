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
//! in the chat; the messenger path ([`super::messenger`]) then opens it. The chat's earlier
//! messages are read from Avito when the response reaches operators, so messages the candidate
//! wrote before the response was known (or whose webhooks were missed) are not lost.
//!
//! What Avito refuses (402: no Jobs subscription; 403: the candidate hides data from unverified
//! employers) leaves a note on the card and the response goes on with what is known. What may
//! pass (Avito unavailable, rate limits, credentials) is retried through the queue.

use super::chat;
use super::opening;
use super::{Ignored, Outcome};
use crate::answering::AutoReplies;
use crate::error::{ServiceError, ServiceResult};
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::avito::AvitoError;
use adapters::configuration::JobChat;
use adapters::credentials::TokenVault;
use adapters::ports::Versioned;
use avito_model::jobs::{Application, Resume};
use avito_model::messenger::{MessageType, WebhookMessage};
use domain::candidate::{Candidate, JobResponse, LabeledValue, ResumeSummary};
use domain::conversation::{Author, Content, Message};
use domain::directory::ChannelKind;
use domain::ids::{ChannelId, TenantId};

/// How many of a chat's messages are read when its response reaches operators.
const HISTORY_LIMIT: u32 = 100;

/// A note on what Avito would not give, or `Err` when the failure may pass and the delivery is
/// better retried.
fn refusal_note(what: &str, e: &AvitoError) -> Result<String, ServiceError> {
    match e {
        AvitoError::Unavailable(_)
        | AvitoError::RateLimited
        | AvitoError::Credentials(_)
        | AvitoError::Unauthorized => Err(ServiceError::Transient(format!("{what}: {e}"))),
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

/// A resume parameter's label for operators, in Russian: every parameter Avito documents for a
/// resume (`GET /job/v2/resumes/{id}`, `params`); an undocumented one keeps its name after «Другое».
fn param_label(key: &str) -> String {
    let label = match key {
        "ability_to_business_trip" => "Готовность к командировкам",
        "address" => "Где хочет работать",
        "age" => "Возраст",
        "business_area" => "Сфера деятельности",
        "driver_licence" => "Водительское удостоверение",
        "driver_licence_category" => "Категории прав",
        "education" => "Образование",
        "education_list" => "Учебное заведение",
        "experience" => "Опыт работы",
        "experience_list" => "Место работы",
        "language_list" => "Язык",
        "moving" => "Переезд",
        "nationality" => "Гражданство",
        "pol" => "Пол",
        "razreshenie_na_rabotu_v_rossii" => "Разрешение на работу в России",
        "schedule" => "График работы",
        "salary" => "Желаемая зарплата",
        other => return format!("Другое ({other})"),
    };
    label.to_owned()
}

/// A parameter's value in Russian where Avito gives a code (the schedule; yes and no).
fn param_value(key: &str, value: String) -> String {
    let russian = match (key, value.as_str()) {
        ("schedule", "flyInFlyOut") => "Вахта",
        ("schedule", "partTime") => "Неполный день",
        ("schedule", "fullDay") => "Полный день",
        ("schedule", "flexible") => "Плавающий",
        ("schedule", "shift") => "Сменный",
        ("schedule", "remote") => "Удалённая работа",
        ("schedule", "fiveDay") => "Пятидневная рабочая неделя",
        ("schedule", "sixDay") => "Шестидневная рабочая неделя",
        (_, "true") => "да",
        (_, "false") => "нет",
        _ => return value,
    };
    russian.to_owned()
}

/// A JSON value as text for a card: strings, numbers, flags and lists of them.
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

/// One entry of a documented list parameter (a job, a school, a language) as one line.
fn list_entry(key: &str, entry: &serde_json::Value) -> Option<String> {
    let field = |name: &str| entry.get(name).and_then(plain_text);
    let joined = |parts: Vec<Option<String>>, separator: &str| {
        let parts: Vec<String> = parts.into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(separator))
    };
    match key {
        "experience_list" => {
            let period = match (field("work_start"), field("work_finish")) {
                (Some(start), Some(finish)) => Some(format!("{start} — {finish}")),
                (Some(start), None) => Some(format!("с {start} по настоящее время")),
                (None, Some(finish)) => Some(format!("по {finish}")),
                (None, None) => None,
            };
            let head = joined(vec![field("position"), field("company"), period], ", ");
            joined(vec![head, field("responsibilities")], ". ")
        }
        "education_list" => joined(
            vec![field("institution"), field("specialty"), field("education_stop")],
            ", ",
        ),
        "language_list" => joined(vec![field("language"), field("language_level")], " — "),
        _ => plain_text(entry),
    }
}

fn resume_summary(id: &str, resume: Resume) -> ResumeSummary {
    let mut details = Vec::new();
    if let Some(serde_json::Value::Object(params)) = &resume.params {
        for (key, value) in params {
            match value {
                serde_json::Value::Array(entries) if entries.iter().any(serde_json::Value::is_object) => {
                    for entry in entries {
                        if let Some(value) = list_entry(key, entry) {
                            details.push(LabeledValue {
                                label: param_label(key),
                                value,
                            });
                        }
                    }
                }
                _ => {
                    if let Some(value) = plain_text(value) {
                        details.push(LabeledValue {
                            label: param_label(key),
                            value: param_value(key, value),
                        });
                    }
                }
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

/// Processes one delivery of the applications webhook.
pub(super) async fn application(
    ports: &Ports,
    tenant: &TenantId,
    channel_id: &ChannelId,
    apply_id: &str,
) -> ServiceResult<Outcome> {
    let Some(channel) = ports.channel(tenant, channel_id).await? else {
        return Ok(Outcome::Ignored(Ignored::ChannelGone));
    };
    if channel.kind != ChannelKind::AvitoJobs {
        return Ok(Outcome::Ignored(Ignored::NotJobsChannel));
    }
    let Some(account) = channel.account_id().filter(|_| channel.is_receiving()) else {
        return Ok(Outcome::Ignored(Ignored::NotConnected));
    };
    let vault = ports.vaults.channel(tenant, &channel.id);
    let stored = ports.config.get::<JobResponse>(tenant, apply_id).await?;
    let application = match ports.avito.applications_by_ids(&vault, &[apply_id.to_owned()]).await {
        Ok(found) => match found.applies.into_iter().find(|a| a.id == apply_id) {
            Some(a) => Ok(a),
            None if stored.is_none() => return Ok(Outcome::Ignored(Ignored::UnknownResponse)),
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
        (Ok(a), _) => read_candidate(ports, &vault, a).await?,
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
    let (response, changed) = save_response(ports, tenant, &channel.id, apply_id, chat_id, candidate, stored).await?;
    if response.reached_operators {
        return update_response_conversation(ports, tenant, &response, changed).await;
    }
    let settings = ports.settings(tenant, &channel.id).await?;
    let history = match &response.chat_id {
        Some(chat) => chat_history(ports, &vault, account, chat).await?,
        None => Vec::new(),
    };
    let written = history.iter().any(is_candidates);
    if !response.routes_now(settings.only_responses_with_message, written) {
        return Ok(Outcome::Held);
    }
    let now = ports.clock.now();
    // A response by chat waits for an answer from the moment it reaches operators.
    let waiting = response.chat_id.as_ref().map(|_| now);
    let opened = opening::open_for_response(ports, tenant, &channel, &settings, &response, waiting, now).await?;
    if let Some(conversation) = &opened {
        AutoReplies { ports: ports.clone() }
            .plan(tenant, &conversation.value)
            .await?;
    }
    for message in &history {
        chat::store_message(ports, tenant, &channel, &settings, message, Some(&response), None).await?;
    }
    let conversation = opening::response_conversation(ports, tenant, &channel.id, &response, &opened).await?;
    Ok(match conversation {
        Some(conversation) => Outcome::Stored {
            conversation,
            opened: opened.is_some(),
        },
        None => Outcome::Duplicate,
    })
}

/// The candidate card from the response, its vacancy, resume and the resume's contacts.
async fn read_candidate(ports: &Ports, vault: &TokenVault, a: &Application) -> ServiceResult<Candidate> {
    let avito = &ports.avito;
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
    ports: &Ports,
    tenant: &TenantId,
    channel: &ChannelId,
    apply_id: &str,
    chat_id: Option<String>,
    candidate: Candidate,
    mut stored: Option<Versioned<JobResponse>>,
) -> ServiceResult<(JobResponse, bool)> {
    let config = &ports.config;
    let (response, changed) = until_settled!("the response", {
        let written = match &stored {
            None => {
                let new = JobResponse {
                    id: apply_id.to_owned(),
                    channel_id: channel.clone(),
                    chat_id: chat_id.clone(),
                    candidate: candidate.clone(),
                    received_at: ports.clock.now(),
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
        let written = settled(written)?;
        if written.is_none() {
            stored = config.get::<JobResponse>(tenant, apply_id).await?;
        }
        Ok(written)
    });
    if let Some(chat) = &response.chat_id {
        let pointer = JobChat {
            apply_id: response.id.clone(),
            channel_id: response.channel_id.clone(),
        };
        config.put_job_chat(tenant, chat, &pointer).await?;
    }
    Ok((response, changed))
}

/// A changed response updates the card of its open conversation, with a visible note.
async fn update_response_conversation(
    ports: &Ports,
    tenant: &TenantId,
    response: &JobResponse,
    changed: bool,
) -> ServiceResult<Outcome> {
    if !changed {
        return Ok(Outcome::Duplicate);
    }
    let key = response.conversation_key();
    Ok(until_settled!("the conversation", {
        let Some(current) = ports
            .conversations
            .open_for_chat(tenant, &response.channel_id, &key)
            .await?
        else {
            return Ok(Some(Outcome::Ignored(Ignored::ResponseConversationClosed)));
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
            created_at: ports.clock.now(),
            delivery: None,
        };
        let mut next = current.value.clone().with_message(&note);
        next.candidate = Some(response.candidate.clone());
        if next.client.name.is_none() {
            next.client.name = response.candidate.full_name.clone();
        }
        // The vacancy learned since (it was unavailable at first) names the listing.
        let vacancy = &response.candidate.vacancy;
        let listing = next.listing.get_or_insert_with(Default::default);
        if listing.title.is_none() && vacancy.title.is_some() {
            listing.title = vacancy.title.clone();
            listing.url = listing.url.clone().or_else(|| vacancy.url.clone());
            listing.item_id = listing.item_id.or(vacancy.id);
        }
        let added = ports.conversations.add_message(tenant, &current, &next, &note).await;
        Ok(settled(added)?.map(|added| {
            if added {
                Outcome::Stored {
                    conversation: next.id,
                    opened: false,
                }
            } else {
                Outcome::Duplicate
            }
        }))
    }))
}

/// The chat's messages so far, oldest first, as the messenger webhook would carry them.
async fn chat_history(
    ports: &Ports,
    vault: &TokenVault,
    account: i64,
    chat_id: &str,
) -> ServiceResult<Vec<WebhookMessage>> {
    let messages = match ports.avito.messages(vault, account, chat_id, HISTORY_LIMIT, 0).await {
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
