//! Every Avito answer we model reads the documents Avito's OpenAPI files describe: once with every
//! field (the schema's own examples), once with only the required fields (so nothing optional to
//! Avito is required by us). Plus surprises: unknown enum values and unknown fields.

use avito_model::auth::TokenResponse;
use avito_model::jobs::{ApplicationIds, Applications, JobWebhook, JobWebhooks, Resume, ResumeContacts, Vacancy};
use avito_model::messenger::{
    Chat, MessageType, Messages, SentMessage, Subscriptions, UploadedImages, VoiceFiles, WebhookEnvelope,
};
use avito_model::openapi::{example, schema, spec};
use avito_model::user::AccountSelf;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Sets `pointer` in `doc` to its value in `full`, creating the containers on the way.
fn copy_field(doc: &mut Value, full: &Value, pointer: &str) {
    let mut target = doc;
    let mut source = full;
    for segment in pointer.split('/').skip(1) {
        source = match source {
            Value::Array(a) => &a[segment.parse::<usize>().expect("array index")],
            other => &other[segment],
        };
        target = match target {
            Value::Array(a) => {
                let i: usize = segment.parse().expect("array index");
                while a.len() <= i {
                    a.push(json!({}));
                }
                &mut a[i]
            }
            Value::Object(o) => o.entry(segment).or_insert_with(|| match source {
                Value::Array(_) => json!([]),
                Value::Object(_) => json!({}),
                other => other.clone(),
            }),
            other => panic!("cannot descend into {other}"),
        };
    }
    *target = source.clone();
}

/// The answer reads with every field, and with only the schema's required fields plus the ones we
/// choose to need (`needed`, JSON pointers): without them the answer is useless to us, so a missing
/// one is an error (never a panic).
fn reads<T: DeserializeOwned + std::fmt::Debug>(spec_name: &str, path: &str, method: &str, needed: &[&str]) {
    let s = spec(spec_name);
    let sch = schema(&s, path, method, "200");
    let full = example(&s, sch, true);
    let mut minimal = example(&s, sch, false);
    for pointer in needed {
        copy_field(&mut minimal, &full, pointer);
    }
    for (name, doc) in [("every field", full), ("required fields only", minimal)] {
        if let Err(e) = serde_json::from_value::<T>(doc.clone()) {
            panic!("{method} {path} ({name}) does not read: {e}\n{doc:#}");
        }
    }
}

#[test]
fn messenger_answers_read() {
    reads::<Chat>(
        "messenger",
        "/messenger/v2/accounts/{user_id}/chats/{chat_id}",
        "get",
        &["/id"],
    );
    reads::<Messages>(
        "messenger",
        "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
        "get",
        &["/0/id", "/0/type"],
    );
    reads::<SentMessage>(
        "messenger",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages",
        "post",
        &["/id"],
    );
    reads::<SentMessage>(
        "messenger",
        "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image",
        "post",
        &["/id"],
    );
    reads::<UploadedImages>(
        "messenger",
        "/messenger/v1/accounts/{user_id}/uploadImages",
        "post",
        &[],
    );
    reads::<VoiceFiles>(
        "messenger",
        "/messenger/v1/accounts/{user_id}/getVoiceFiles",
        "get",
        &[],
    );
    reads::<Subscriptions>(
        "messenger",
        "/messenger/v1/subscriptions",
        "post",
        &["/subscriptions/0/url"],
    );
    reads::<avito_model::OkResponse>("messenger", "/messenger/v3/webhook", "post", &[]);
}

#[test]
fn jobs_answers_read() {
    reads::<JobWebhook>("job", "/job/v1/applications/webhook", "put", &[]);
    reads::<JobWebhook>("job", "/job/v1/applications/webhook", "get", &[]);
    reads::<JobWebhooks>("job", "/job/v1/applications/webhooks", "get", &[]);
    reads::<ApplicationIds>("job", "/job/v1/applications/get_ids", "get", &["/applies/0/id"]);
    reads::<Applications>("job", "/job/v1/applications/get_by_ids", "post", &["/applies/0/id"]);
    reads::<Resume>("job", "/job/v2/resumes/{resume_id}", "get", &[]);
    reads::<ResumeContacts>("job", "/job/v1/resumes/{resume_id}/contacts/", "get", &[]);
    reads::<Vacancy>("job", "/job/v2/vacancies/{vacancy_id}", "get", &[]);
}

#[test]
fn token_and_account_answers_read() {
    reads::<TokenResponse>("authorization", "/token", "post", &["/access_token"]);
    reads::<AccountSelf>("user", "/core/v1/accounts/self", "get", &["/id"]);
}

#[test]
fn the_webhook_schema_reads_and_the_verification_request_is_recognised() {
    let s = spec("messenger");
    let payload = example(&s, &s["components"]["schemas"]["PayloadStruct"], true);
    let envelope = json!({"id": "w1", "version": "v3.0.0", "timestamp": 1754916287, "payload": payload});
    let parsed: WebhookEnvelope = serde_json::from_value(envelope).expect("reads");
    assert!(!parsed.is_verification());
    assert!(parsed.payload.and_then(|p| p.value).is_some());
    let ping: WebhookEnvelope = serde_json::from_str("{}").expect("reads");
    assert!(ping.is_verification());
}

#[test]
fn unknown_enum_values_and_fields_are_kept_or_ignored_never_fatal() {
    let doc = json!({"id": "m1", "type": "hologram", "direction": "sideways", "content": {"hologram": {"x": 1}},
        "brand_new_field": [1, 2, 3]});
    let m: avito_model::messenger::Message = serde_json::from_value(doc).expect("reads");
    assert_eq!(m.kind, MessageType::Other("hologram".into()));
    assert_eq!(serde_json::to_value(&m.kind).expect("writes"), json!("hologram"));
    let empty_content: avito_model::messenger::Message =
        serde_json::from_value(json!({"id": "m2", "type": "video", "content": {}})).expect("reads");
    assert_eq!(empty_content.kind, MessageType::Video);
}

#[test]
fn tokens_and_secrets_never_show_in_debug_output() {
    let t: TokenResponse =
        serde_json::from_value(json!({"access_token": "AT-secret", "refresh_token": "RT-secret", "expires_in": 86400}))
            .expect("reads");
    let w = JobWebhook {
        url: "https://x".into(),
        secret: "hook-secret".into(),
    };
    let shown = format!("{t:?} {w:?}");
    for secret in ["AT-secret", "RT-secret", "hook-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
