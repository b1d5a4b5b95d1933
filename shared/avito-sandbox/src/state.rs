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

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A registered client: a partner app (authorization_code, redirect URI) or an account's personal
/// key pair (client_credentials, `account` set).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct App {
    pub client_secret: String,
    pub redirect_uri: Option<String>,
    pub account: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AccessGrant {
    pub account: i64,
    pub expires_at: i64,
    /// `None`: every scope (client_credentials).
    pub scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RefreshGrant {
    pub account: i64,
    pub client_id: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CodeGrant {
    pub account: i64,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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

/// What the sandbox keeps across restarts when it has a state file: accounts, apps, tokens,
/// chats and Jobs data (not the injected faults, delays, the call log or held deliveries).
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Durable {
    accounts: BTreeMap<i64, Account>,
    apps: HashMap<String, App>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
    codes: HashMap<String, CodeGrant>,
    messenger_hooks: BTreeMap<i64, Vec<String>>,
    job_hooks: BTreeMap<i64, Vec<JobWebhook>>,
    chats: BTreeMap<i64, BTreeMap<String, ChatState>>,
    uploaded_images: HashMap<String, (i64, avito_model::messenger::ImageSizes)>,
    voices: HashMap<String, String>,
    applications: BTreeMap<i64, Vec<Application>>,
    vacancies: BTreeMap<i64, serde_json::Value>,
    resumes: BTreeMap<String, (serde_json::Value, avito_model::jobs::ResumeContacts)>,
    next_id: i64,
}

impl Data {
    fn durable(&self) -> Durable {
        Durable {
            accounts: self.accounts.clone(),
            apps: self.apps.clone(),
            access: self.access.clone(),
            refresh: self.refresh.clone(),
            codes: self.codes.clone(),
            messenger_hooks: self.messenger_hooks.clone(),
            job_hooks: self.job_hooks.clone(),
            chats: self.chats.clone(),
            uploaded_images: self.uploaded_images.clone(),
            voices: self.voices.clone(),
            applications: self.applications.clone(),
            vacancies: self.vacancies.clone(),
            resumes: self.resumes.clone(),
            next_id: self.next_id,
        }
    }

    fn from_durable(d: Durable) -> Self {
        Data {
            accounts: d.accounts,
            apps: d.apps,
            access: d.access,
            refresh: d.refresh,
            codes: d.codes,
            messenger_hooks: d.messenger_hooks,
            job_hooks: d.job_hooks,
            chats: d.chats,
            uploaded_images: d.uploaded_images,
            voices: d.voices,
            applications: d.applications,
            vacancies: d.vacancies,
            resumes: d.resumes,
            next_id: d.next_id,
            ..Data::default()
        }
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
    /// Where the sandbox keeps its accounts, tokens and chats across restarts (the local
    /// server's data directory); `None`: in memory only.
    pub state_file: Option<std::path::PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            public_base: "http://127.0.0.1:8090".into(),
            access_ttl: 86_400,
            verify_subscriptions: true,
            state_file: None,
        }
    }
}

/// Shared handle on the sandbox.
#[derive(Clone)]
pub struct Sandbox {
    pub config: Arc<SandboxConfig>,
    data: Arc<Mutex<Data>>,
    /// Changed since the state file was last written.
    unsaved: Arc<std::sync::atomic::AtomicBool>,
    pub http: reqwest::Client,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        let data = match &config.state_file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => match serde_json::from_slice::<Durable>(&bytes) {
                    Ok(durable) => Data::from_durable(durable),
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "the sandbox's state does not read; starting afresh");
                        Data::default()
                    }
                },
                Err(_) => Data::default(),
            },
            None => Data::default(),
        };
        Self {
            config: Arc::new(config),
            data: Arc::new(Mutex::new(data)),
            unsaved: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            http,
        }
    }

    /// Notes that something changed: the state file is written within a second
    /// ([`Sandbox::keep_saving`]), not on every request (it holds every chat).
    pub fn changed(&self) {
        self.unsaved.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Writes the state file every second while something changed, for as long as the process
    /// runs (a restart loses at most the last second). Call once, from the runtime.
    pub fn keep_saving(&self) {
        if self.config.state_file.is_none() {
            return;
        }
        let sb = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if sb.unsaved.swap(false, std::sync::atomic::Ordering::AcqRel) {
                    let saving = sb.clone();
                    // Serializing every chat is work for a blocking thread, not the runtime's.
                    let _ = tokio::task::spawn_blocking(move || saving.save()).await;
                }
            }
        });
    }

    /// Writes what the sandbox keeps across restarts to its state file, if it has one (whole, then
    /// renamed into place, so a crash leaves the previous state).
    pub fn save(&self) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        let bytes = match serde_json::to_vec(&self.data().durable()) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "the sandbox's state cannot be written");
                return;
            }
        };
        let temporary = path.with_extension("json.tmp");
        if let Err(e) = std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path)) {
            tracing::warn!(file = %path.display(), error = %e, "the sandbox's state cannot be written");
        }
    }

    /// The data, even if a panicking holder poisoned the lock (the sandbox keeps serving).
    pub fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}
