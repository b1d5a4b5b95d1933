//! The control API (`/_sandbox/...`) that tests and demos drive: accounts and apps, "a client
//! writes", "a candidate applies", repeated and reordered deliveries, injected faults and delays,
//! the log of calls, and a look at an account's subscriptions.

use crate::api::{expire_account_tokens, not_found};
use crate::push::{DeliveryOutcome, application_webhook, deliver_all, message_webhook};
use crate::state::{Account, App, ChatState, Delivery, Fault, Sandbox, now, random_hex};
use avito_model::jobs::{
    Applicant, ApplicantData, Application, ApplicationContacts, ApplicationType, ChatRef, Phone, Prevalidation,
    PrevalidationAnswer, ResumeContact, ResumeContactType, ResumeContacts,
};
use avito_model::messenger::{
    Chat, ChatContext, ChatUser, Direction, ItemContext, Message, MessageContent, MessageType, PublicUserProfile,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

#[derive(Deserialize)]
pub struct NewAccount {
    pub id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
}

/// `POST /_sandbox/accounts`.
pub async fn create_account(State(sb): State<Sandbox>, Json(a): Json<NewAccount>) -> Json<serde_json::Value> {
    Json(json!({"id": add_account(&sb, a)}))
}

pub fn add_account(sb: &Sandbox, a: NewAccount) -> i64 {
    let mut data = sb.data();
    let id = a.id.unwrap_or_else(|| 100_000 + data.next_number());
    let email = a.email.unwrap_or_else(|| format!("account{id}@sandbox.local"));
    data.accounts.insert(
        id,
        Account {
            id,
            name: a.name,
            email,
        },
    );
    id
}

#[derive(Deserialize)]
pub struct NewApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: Option<String>,
    /// Set for an account's personal key pair (client_credentials).
    pub account_id: Option<i64>,
}

/// `POST /_sandbox/apps`.
pub async fn create_app(State(sb): State<Sandbox>, Json(a): Json<NewApp>) -> StatusCode {
    add_app(&sb, a);
    StatusCode::NO_CONTENT
}

pub fn add_app(sb: &Sandbox, a: NewApp) {
    sb.data().apps.insert(
        a.client_id,
        App {
            client_secret: a.client_secret,
            redirect_uri: a.redirect_uri,
            account: a.account_id,
        },
    );
}

/// What `GET /_sandbox/accounts/{id}` shows.
#[derive(Serialize)]
pub struct AccountView {
    id: i64,
    name: String,
    messenger_subscriptions: Vec<String>,
    job_webhooks: Vec<String>,
    chats: Vec<String>,
    live_access_tokens: usize,
    live_refresh_tokens: usize,
}

/// `GET /_sandbox/accounts/{id}`.
pub async fn account(State(sb): State<Sandbox>, Path(id): Path<i64>) -> Response {
    let data = sb.data();
    let Some(a) = data.accounts.get(&id) else {
        return not_found();
    };
    Json(AccountView {
        id,
        name: a.name.clone(),
        messenger_subscriptions: data.messenger_hooks.get(&id).cloned().unwrap_or_default(),
        job_webhooks: data
            .job_hooks
            .get(&id)
            .into_iter()
            .flatten()
            .map(|h| h.url.clone())
            .collect(),
        chats: data
            .chats
            .get(&id)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default(),
        live_access_tokens: data
            .access
            .values()
            .filter(|g| g.account == id && g.expires_at > now())
            .count(),
        live_refresh_tokens: data.refresh.values().filter(|g| g.account == id).count(),
    })
    .into_response()
}

/// `GET /_sandbox/accounts/{id}/chats/{chat_id}/messages`: everything in a chat, oldest first, as
/// the client sees it (for tests and demos: what reached the client, and how often).
pub async fn chat_messages(State(sb): State<Sandbox>, Path((id, chat_id)): Path<(i64, String)>) -> Response {
    let data = sb.data();
    match data.chats.get(&id).and_then(|chats| chats.get(&chat_id)) {
        Some(state) => Json(state.messages.clone()).into_response(),
        None => not_found(),
    }
}

/// `POST /_sandbox/accounts/{id}/revoke-tokens`: the account's tokens and refresh tokens are
/// forgotten (the owner revoked the app's access).
pub async fn revoke_tokens(State(sb): State<Sandbox>, Path(id): Path<i64>) -> Json<serde_json::Value> {
    Json(json!({"revoked": crate::api::revoke_account_grants(&sb, id)}))
}

/// `POST /_sandbox/accounts/{id}/expire-tokens`: every access token of the account expires now.
pub async fn expire_tokens(State(sb): State<Sandbox>, Path(id): Path<i64>) -> Json<serde_json::Value> {
    Json(json!({"expired": expire_account_tokens(&sb, id)}))
}

/// How deliveries of one event go out.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct DeliveryOptions {
    /// How many times each webhook is sent (Avito repeats deliveries); default 1.
    #[serde(default)]
    pub copies: Option<u32>,
    /// Keep them until `POST /_sandbox/deliveries/flush` (to deliver out of order).
    #[serde(default)]
    pub hold: bool,
}

async fn dispatch(sb: &Sandbox, deliveries: Vec<Delivery>, options: DeliveryOptions) -> Vec<DeliveryOutcome> {
    let copies = options.copies.unwrap_or(1).clamp(1, 20) as usize;
    let all: Vec<Delivery> = deliveries
        .iter()
        .flat_map(|d| std::iter::repeat_n(d.clone(), copies))
        .collect();
    if options.hold {
        sb.data().held.extend(all);
        return Vec::new();
    }
    deliver_all(sb, all).await
}

#[derive(Deserialize)]
pub struct ClientRef {
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Deserialize)]
pub struct ItemRef {
    pub id: Option<i64>,
    pub title: String,
    pub price_string: Option<String>,
    pub url: Option<String>,
}

/// "Client C writes text T in chat Z about item I".
#[derive(Deserialize)]
pub struct ClientMessage {
    pub chat_id: Option<String>,
    pub client: Option<ClientRef>,
    pub item: Option<ItemRef>,
    pub text: Option<String>,
    /// A message type other than text (`image`, `voice`, `location`, ...), with its `content`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub content: Option<MessageContent>,
    /// The message was written this many seconds ago: its webhook comes late (default 0).
    #[serde(default)]
    pub written_seconds_ago: u32,
    #[serde(flatten)]
    pub delivery: DeliveryOptions,
}

#[derive(Serialize)]
pub struct Delivered {
    chat_id: String,
    message_id: String,
    deliveries: Vec<DeliveryOutcome>,
}

/// `POST /_sandbox/accounts/{id}/client-messages`: a client writes to the account; the chat is
/// created on first use; the webhook goes to every subscribed URL.
pub async fn client_message(
    State(sb): State<Sandbox>,
    Path(account): Path<i64>,
    Json(m): Json<ClientMessage>,
) -> Response {
    if !sb.data().accounts.contains_key(&account) {
        return not_found();
    }
    let (chat_id, message_id, deliveries) = {
        let mut data = sb.data();
        let client_id = m
            .client
            .as_ref()
            .and_then(|c| c.id)
            .unwrap_or_else(|| 500_000 + data.next_number());
        let client_name = m
            .client
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("Покупатель {client_id}"));
        let chat_id = m.chat_id.clone().unwrap_or_else(|| format!("u2i-{}", random_hex()));
        let item = m.item.as_ref().map(|i| {
            let id = i.id.unwrap_or_else(|| 7_000_000_000 + data.next_number());
            ItemContext {
                id: Some(id),
                title: Some(i.title.clone()),
                price_string: i.price_string.clone(),
                status_id: Some(10),
                url: Some(
                    i.url
                        .clone()
                        .unwrap_or_else(|| format!("https://www.avito.ru/item/{id}")),
                ),
                user_id: Some(account),
                images: None,
            }
        });
        let created = now() - i64::from(m.written_seconds_ago);
        let chats = data.chats.entry(account).or_default();
        let state = chats.entry(chat_id.clone()).or_insert_with(|| ChatState {
            chat: Chat {
                id: chat_id.clone(),
                created: Some(created),
                updated: Some(created),
                context: item.map(|v| ChatContext {
                    kind: Some("item".into()),
                    value: Some(v),
                }),
                users: vec![ChatUser {
                    id: Some(client_id),
                    name: Some(client_name.clone()),
                    public_user_profile: Some(PublicUserProfile {
                        user_id: Some(client_id),
                        item_id: None,
                        url: Some(format!("https://www.avito.ru/user/{client_id}/profile")),
                        avatar: None,
                    }),
                }],
                last_message: None,
            },
            messages: Vec::new(),
        });
        state.chat.updated = Some(created);
        let author = state.chat.users.first().and_then(|u| u.id).unwrap_or(client_id);
        let kind = m.kind.as_deref().map(MessageType::from).unwrap_or(MessageType::Text);
        let content = match (&m.content, &m.text) {
            (Some(c), _) => c.clone(),
            (None, text) => MessageContent {
                text: Some(text.clone().unwrap_or_else(|| "Здравствуйте!".into())),
                ..Default::default()
            },
        };
        let message = Message {
            id: random_hex(),
            author_id: Some(author),
            created: Some(created),
            direction: Some(Direction::In),
            kind,
            content,
            is_read: Some(false),
            read: None,
            quote: None,
        };
        state.messages.push(message.clone());
        let chat = state.chat.clone();
        if let Some(voice_id) = message.content.voice.as_ref().and_then(|v| v.voice_id.clone()) {
            data.voices.insert(voice_id, chat.id.clone());
        }
        let urls = data.messenger_hooks.get(&account).cloned().unwrap_or_default();
        let deliveries: Vec<Delivery> = urls
            .into_iter()
            .map(|url| message_webhook(url, account, &chat, &message))
            .collect();
        (chat_id, message.id, deliveries)
    };
    let deliveries = dispatch(&sb, deliveries, m.delivery).await;
    Json(Delivered {
        chat_id,
        message_id,
        deliveries,
    })
    .into_response()
}

#[derive(Deserialize)]
pub struct VacancyRef {
    pub id: Option<i64>,
    pub title: String,
}

#[derive(Deserialize)]
pub struct Candidate {
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Deserialize)]
pub struct ResumeSpec {
    pub title: String,
    pub experience: Option<String>,
    /// More of the resume's `params` in Avito's shapes (`schedule`, `pol`, `experience_list`, ...).
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// "Candidate applies to vacancy V".
#[derive(Deserialize)]
pub struct NewApplication {
    pub vacancy: VacancyRef,
    pub candidate: Candidate,
    /// A response by chat (default) or by phone only.
    #[serde(default = "yes")]
    pub with_chat: bool,
    #[serde(default)]
    pub questionnaire: Vec<PrevalidationAnswer>,
    pub resume: Option<ResumeSpec>,
    #[serde(flatten)]
    pub delivery: DeliveryOptions,
}

fn yes() -> bool {
    true
}

#[derive(Serialize)]
pub struct Applied {
    apply_id: String,
    chat_id: Option<String>,
    resume_id: Option<String>,
    vacancy_id: i64,
    deliveries: Vec<DeliveryOutcome>,
}

fn job_deliveries(sb: &Sandbox, account: i64, apply_id: &str) -> Vec<Delivery> {
    let hooks = sb.data().job_hooks.get(&account).cloned().unwrap_or_default();
    hooks
        .into_iter()
        .map(|h| application_webhook(h.url, h.secret, apply_id))
        .collect()
}

/// A vacancy's page, under Avito's vacancies category as on avito.ru.
fn vacancy_url(vacancy_id: i64) -> String {
    format!("https://www.avito.ru/moskva/vakansii/vakansiya_{vacancy_id}")
}

fn rfc3339(secs: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm), to avoid a date crate.
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `POST /_sandbox/accounts/{id}/applications`: creates the vacancy (if new), the resume, the
/// response (with a chat unless `with_chat` is false) and pushes the Jobs webhook.
pub async fn apply(State(sb): State<Sandbox>, Path(account): Path<i64>, Json(a): Json<NewApplication>) -> Response {
    if !sb.data().accounts.contains_key(&account) {
        return not_found();
    }
    let (applied, deliveries) = {
        let mut data = sb.data();
        let vacancy_id = a.vacancy.id.unwrap_or_else(|| 3_000_000_000 + data.next_number());
        data.vacancies.insert(
            vacancy_id,
            json!({"id": vacancy_id, "title": a.vacancy.title, "url": vacancy_url(vacancy_id),
                   "is_active": true, "owner": account}),
        );
        let apply_id = random_hex()[..24].to_owned();
        let chat_id = a.with_chat.then(|| format!("u2i-{}", random_hex()));
        let resume_id = a
            .resume
            .as_ref()
            .map(|_| (4_000_000_000 + data.next_number()).to_string());
        if let (Some(rid), Some(spec)) = (&resume_id, &a.resume) {
            let mut params = spec.params.clone();
            params.insert("experience".into(), json!(spec.experience));
            let mut contacts = Vec::new();
            if let Some(phone) = &a.candidate.phone {
                contacts.push(ResumeContact {
                    kind: ResumeContactType::Phone,
                    value: phone.clone(),
                });
            }
            if let Some(chat) = &chat_id {
                contacts.push(ResumeContact {
                    kind: ResumeContactType::ChatId,
                    value: chat.clone(),
                });
            }
            data.resumes.insert(
                rid.clone(),
                (
                    json!({"id": rid.parse::<i64>().unwrap_or(0), "title": spec.title, "url": format!("https://www.avito.ru/rezume/{rid}"),
                           "params": params}),
                    ResumeContacts { name: Some(a.candidate.name.clone()), full_name: None, contacts, already_bought: Some(false) },
                ),
            );
        }
        if let Some(chat) = &chat_id {
            let created = now();
            let candidate_user = 600_000 + data.next_number();
            data.chats.entry(account).or_default().insert(
                chat.clone(),
                ChatState {
                    chat: Chat {
                        id: chat.clone(),
                        created: Some(created),
                        updated: Some(created),
                        context: Some(ChatContext {
                            kind: Some("item".into()),
                            value: Some(ItemContext {
                                id: Some(vacancy_id),
                                title: Some(a.vacancy.title.clone()),
                                url: Some(vacancy_url(vacancy_id)),
                                user_id: Some(account),
                                ..Default::default()
                            }),
                        }),
                        users: vec![ChatUser {
                            id: Some(candidate_user),
                            name: Some(a.candidate.name.clone()),
                            public_user_profile: None,
                        }],
                        last_message: None,
                    },
                    messages: Vec::new(),
                },
            );
        }
        let at = rfc3339(now());
        let application = Application {
            id: apply_id.clone(),
            negotiation_id: Some(data.next_number()),
            vacancy_id: Some(vacancy_id),
            created_at: Some(at.clone()),
            updated_at: Some(at),
            state: Some("new".into()),
            is_viewed: Some(false),
            kind: Some(if a.with_chat {
                ApplicationType::ByChat
            } else {
                ApplicationType::ByPhone
            }),
            source: None,
            employee_id: None,
            applicant: Some(Applicant {
                id: Some(random_hex()),
                resume_id: resume_id.clone(),
                data: Some(ApplicantData {
                    name: Some(a.candidate.name.clone()),
                    ..Default::default()
                }),
            }),
            contacts: Some(ApplicationContacts {
                chat: chat_id.clone().map(|c| ChatRef { value: Some(c) }),
                phones: a.candidate.phone.clone().map(|p| {
                    vec![Phone {
                        value: Some(p),
                        status: Some("received".into()),
                    }]
                }),
            }),
            prevalidation: (!a.questionnaire.is_empty()).then(|| Prevalidation {
                status: Some("success".into()),
                summary: Some(a.questionnaire.iter().cloned().map(Some).collect()),
            }),
            enriched_properties: None,
            price: None,
        };
        data.applications.entry(account).or_default().push(application);
        drop(data);
        let deliveries = job_deliveries(&sb, account, &apply_id);
        (
            Applied {
                apply_id,
                chat_id,
                resume_id,
                vacancy_id,
                deliveries: Vec::new(),
            },
            deliveries,
        )
    };
    let outcomes = dispatch(&sb, deliveries, a.delivery).await;
    Json(Applied {
        deliveries: outcomes,
        ..applied
    })
    .into_response()
}

/// What changes in a response when it is touched (nothing but its time, by default).
#[derive(Default, Deserialize)]
pub struct ApplicationChange {
    /// New questionnaire answers (as when the candidate finishes the chat-bot questionnaire).
    pub questionnaire: Option<Vec<PrevalidationAnswer>>,
    /// A phone the candidate shares now.
    pub phone: Option<String>,
    #[serde(flatten)]
    pub delivery: DeliveryOptions,
}

/// `POST /_sandbox/accounts/{id}/applications/{apply_id}/touch`: the response changes (as when the
/// questionnaire completes) and the webhook fires again.
pub async fn touch_application(
    State(sb): State<Sandbox>,
    Path((account, apply_id)): Path<(i64, String)>,
    body: Option<Json<ApplicationChange>>,
) -> Response {
    let change = body.map(|b| b.0).unwrap_or_default();
    let found = {
        let mut data = sb.data();
        let updated_at = rfc3339(now());
        let app = data
            .applications
            .get_mut(&account)
            .and_then(|apps| apps.iter_mut().find(|a| a.id == apply_id));
        match app {
            Some(app) => {
                app.updated_at = Some(updated_at);
                app.is_viewed = Some(false);
                if let Some(answers) = &change.questionnaire {
                    app.prevalidation = Some(Prevalidation {
                        status: Some("success".into()),
                        summary: Some(answers.iter().cloned().map(Some).collect()),
                    });
                }
                if let Some(phone) = &change.phone {
                    let contacts = app.contacts.get_or_insert_with(Default::default);
                    contacts.phones.get_or_insert_with(Vec::new).push(Phone {
                        value: Some(phone.clone()),
                        status: Some("received".into()),
                    });
                }
                true
            }
            None => false,
        }
    };
    if !found {
        return not_found();
    }
    let deliveries = job_deliveries(&sb, account, &apply_id);
    Json(json!({"deliveries": dispatch(&sb, deliveries, change.delivery).await})).into_response()
}

#[derive(Deserialize)]
pub struct Flush {
    /// `fifo` (default) or `reverse`.
    pub order: Option<String>,
}

/// `POST /_sandbox/deliveries/flush`: sends the held deliveries, in order or reversed.
pub async fn flush(State(sb): State<Sandbox>, body: Option<Json<Flush>>) -> Json<Vec<DeliveryOutcome>> {
    let mut held: Vec<Delivery> = sb.data().held.drain(..).collect();
    if body.and_then(|b| b.0.order).as_deref() == Some("reverse") {
        held.reverse();
    }
    Json(deliver_all(&sb, held).await)
}

/// `POST /_sandbox/faults`: the next `times` calls of `operation` (an operationId of Avito's
/// OpenAPI files, e.g. `getChatByIdV2`, `getAccessToken`) answer `status`.
pub async fn add_fault(State(sb): State<Sandbox>, Json(f): Json<FaultSpec>) -> StatusCode {
    sb.data().faults.push(Fault {
        operation: f.operation,
        status: f.status,
        times: f.times.unwrap_or(1),
        retry_after: f.retry_after,
    });
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct FaultSpec {
    pub operation: String,
    pub status: u16,
    pub times: Option<u32>,
    pub retry_after: Option<u64>,
}

/// `DELETE /_sandbox/faults`: no more injected faults or delays.
pub async fn clear_faults(State(sb): State<Sandbox>) -> StatusCode {
    let mut data = sb.data();
    data.faults.clear();
    data.delays.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct DelaySpec {
    pub operation: String,
    pub millis: u64,
}

/// `POST /_sandbox/delays`: every call of `operation` waits `millis` before answering.
pub async fn add_delay(State(sb): State<Sandbox>, Json(d): Json<DelaySpec>) -> StatusCode {
    sb.data().delays.insert(d.operation, Duration::from_millis(d.millis));
    StatusCode::NO_CONTENT
}

/// `GET /_sandbox/calls`: every API call so far.
pub async fn calls(State(sb): State<Sandbox>) -> Json<Vec<crate::state::Call>> {
    Json(sb.data().calls.clone())
}

/// `DELETE /_sandbox/calls`.
pub async fn clear_calls(State(sb): State<Sandbox>) -> StatusCode {
    sb.data().calls.clear();
    StatusCode::NO_CONTENT
}

/// Stand-in media (image and voice files), so that the links the sandbox hands out work.
pub async fn media() -> Response {
    ([("content-type", "application/octet-stream")], vec![0u8; 64]).into_response()
}

/// A public profile page stand-in.
pub async fn profile(Path(id): Path<i64>) -> Response {
    axum::response::Html(format!(
        "<!doctype html><title>Профиль {id}</title><p>Профиль пользователя {id} (песочница)</p>"
    ))
    .into_response()
}
