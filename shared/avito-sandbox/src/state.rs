//! The sandbox's memory: accounts, registered apps, tokens, chats, Jobs data, subscriptions,
//! injected faults and the log of calls. One mutex: the sandbox serves tests and demos, not load.

use avito_model::jobs::{Application, JobWebhook};
use avito_model::messenger::{Chat, Message};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random identifier of 32 hex characters.
pub fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A registered client: a partner app (authorization_code, redirect URI) or an account's personal
/// key pair (client_credentials, `account` set).
#[derive(Clone, Debug)]
pub struct App {
    pub client_secret: String,
    pub redirect_uri: Option<String>,
    pub account: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct AccessGrant {
    pub account: i64,
    pub expires_at: i64,
    /// `None`: every scope (client_credentials).
    pub scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub account: i64,
    pub client_id: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub account: i64,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct ChatState {
    pub chat: Chat,
    pub messages: Vec<Message>,
}

/// An injected failure: the next `times` calls of `operation` answer `status`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub operation: String,
    pub status: u16,
    pub times: u32,
    pub retry_after: Option<u64>,
}

/// One API call as the sandbox saw it, for tests: the operation id from Avito's OpenAPI files and,
/// for `/token`, the grant type.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Call {
    pub operation: String,
    pub status: u16,
    pub grant_type: Option<String>,
}

/// A webhook waiting to be sent (held by the control API to reorder or duplicate deliveries).
#[derive(Clone, Debug)]
pub struct Delivery {
    pub url: String,
    pub body: serde_json::Value,
    /// The Jobs secret header, for Jobs deliveries.
    pub secret: Option<String>,
}

#[derive(Default)]
pub struct Data {
    pub accounts: BTreeMap<i64, Account>,
    pub apps: HashMap<String, App>,
    pub access: HashMap<String, AccessGrant>,
    pub refresh: HashMap<String, RefreshGrant>,
    pub codes: HashMap<String, CodeGrant>,
    pub messenger_hooks: BTreeMap<i64, Vec<String>>,
    pub job_hooks: BTreeMap<i64, Vec<JobWebhook>>,
    pub chats: BTreeMap<i64, BTreeMap<String, ChatState>>,
    pub uploaded_images: HashMap<String, (i64, avito_model::messenger::ImageSizes)>,
    pub voices: HashMap<String, String>,
    pub applications: BTreeMap<i64, Vec<Application>>,
    pub vacancies: BTreeMap<i64, serde_json::Value>,
    pub resumes: BTreeMap<String, (serde_json::Value, avito_model::jobs::ResumeContacts)>,
    pub faults: Vec<Fault>,
    pub delays: HashMap<String, Duration>,
    pub calls: Vec<Call>,
    pub held: VecDeque<Delivery>,
    pub next_id: i64,
}

impl Data {
    /// A fresh number for ids that Avito makes numeric.
    pub fn next_number(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The sandbox's configuration.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where the sandbox is reachable, for the links it hands out (authorize form, image and
    /// voice URLs), e.g. `http://127.0.0.1:8080/sandbox`.
    pub public_base: String,
    /// Access token lifetime in seconds (Avito: 86400).
    pub access_ttl: i64,
    /// Whether subscribing checks the URL with a verification request, as Avito does.
    pub verify_subscriptions: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            public_base: "http://127.0.0.1:8090".into(),
            access_ttl: 86_400,
            verify_subscriptions: true,
        }
    }
}

/// Shared handle on the sandbox.
#[derive(Clone)]
pub struct Sandbox {
    pub config: Arc<SandboxConfig>,
    data: Arc<Mutex<Data>>,
    pub http: reqwest::Client,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Self {
            config: Arc::new(config),
            data: Arc::new(Mutex::new(Data::default())),
            http,
        }
    }

    /// The data, even if a panicking holder poisoned the lock (the sandbox keeps serving).
    pub fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}
