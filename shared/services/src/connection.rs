//! Connecting a channel to an Avito account (R-C1–R-C5).
//!
//! - Authorization code: [`Connections::start_authorization`] records a single-use `state` bound to
//!   the tenant and the channel, expiring after [`STATE_TTL_SECONDS`], and returns Avito's authorize
//!   URL; the OAuth callback calls [`Connections::complete_authorization`], which consumes the state
//!   (a conditional delete: only one use can win), exchanges the code and connects.
//! - Client credentials: [`Connections::connect_with_client_credentials`] does the same with the
//!   account's own key pair, without the redirect.
//! - Connecting stores the tokens (sealed), reads the account (`/core/v1/accounts/self`), marks the
//!   channel connected with the account's id, name and profile URL, subscribes the webhooks (the
//!   messenger webhook at a URL with an unguessable per-channel secret; for Avito Jobs also the
//!   applications webhook with its own secret) and supersedes (R-C4) any other channel of the tenant
//!   connected to the same account as the same kind: it stops receiving and names its successor.
//! - [`Connections::disconnect`] needs explicit confirmation; it unsubscribes the webhooks, deletes
//!   the tokens and marks the channel disconnected; connecting again needs a new authorization.
//!
//! Secrets are generated here, sent to Avito once, and only their SHA-256 digests are stored.

use adapters::avito::{AccessTokenSource, AvitoClient, AvitoError};
use adapters::configuration::{Configuration, Versioned};
use adapters::credentials::{AppCredentials, Grant, TokenVault, Vaults};
use adapters::ports::{Clock, ConfigKind, ConfigStore, StoreError};
use avito_model::auth::TokenResponse;
use domain::directory::{AvitoAccount, Channel, ChannelKind, ChannelStatus, WebhookSecretDigests};
use domain::ids::{ChannelId, TenantId, is_valid_id};
use domain::validation::{Conflict, ConflictCode, Problem};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// How long an authorization `state` stays usable.
pub const STATE_TTL_SECONDS: i64 = 600;

/// Scopes for an Avito channel.
pub const AVITO_SCOPES: &[&str] = &["messenger:read", "messenger:write", "user:read"];
/// Scopes for an Avito Jobs channel.
pub const AVITO_JOBS_SCOPES: &[&str] = &[
    "messenger:read",
    "messenger:write",
    "user:read",
    "job:applications",
    "job:cv",
    "job:vacancy",
];

/// Where this deployment is and which Avito app it is.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// The public base URL of the webhooks, e.g. `https://api.example.ru`.
    pub public_base_url: String,
    /// Avito's authorize page (`AVITO_OAUTH_URL`).
    pub oauth_url: String,
    /// The partner app registered with Avito.
    pub app: AppCredentials,
}

/// Why connecting or disconnecting failed. Messages never contain a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Unknown, already used, expired, or for another tenant.
    #[error(
        "this authorization link is not valid (already used, expired, or not issued for this channel); start the connection again"
    )]
    InvalidState,
    #[error("{0}")]
    Conflict(Conflict),
    /// A request value is missing or wrong.
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: Problem },
    #[error("Avito: {0}")]
    Avito(#[from] AvitoError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What starting an authorization gives the administrator.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizationStart {
    pub authorize_url: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The result of a disconnect: the channel, and what could not be undone at Avito.
#[derive(Clone, Debug)]
pub struct Disconnected {
    pub channel: Channel,
    pub warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct PendingAuthorization {
    channel: String,
    expires_at: i64,
    /// Who started it (their subject), for the audit log.
    #[serde(default)]
    started_by: Option<String>,
}

/// The connection use cases.
#[derive(Clone)]
pub struct Connections {
    config: Configuration,
    store: Arc<dyn ConfigStore>,
    vaults: Vaults,
    avito: AvitoClient,
    settings: ConnectionSettings,
    clock: Arc<dyn Clock>,
}

impl Connections {
    /// Where people and Avito reach the product (`https://…`, no trailing slash).
    pub fn public_base_url(&self) -> &str {
        self.settings.public_base_url.trim_end_matches('/')
    }

    /// The key ring secrets are sealed with at rest (tokens, chatbots' signing secrets).
    pub fn cipher(&self) -> &adapters::secrets::TokenCipher {
        &self.vaults.cipher
    }
}

fn random_hex(bytes: usize) -> Result<String, ConnectionError> {
    crate::random_hex(bytes).map_err(|e| ConnectionError::Store(StoreError::Unavailable(e)))
}

/// The SHA-256 digest of a secret, hex.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `presented` is the secret whose digest is `expected`, compared in constant time.
pub fn secret_matches(presented: &str, expected_digest: &str) -> bool {
    bool::from(digest(presented).as_bytes().ct_eq(expected_digest.as_bytes()))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Connections {
    pub fn new(store: Arc<dyn ConfigStore>, vaults: Vaults, settings: ConnectionSettings) -> Self {
        let clock = Arc::clone(&vaults.clock);
        Self {
            config: Configuration::new(Arc::clone(&store)),
            store,
            avito: vaults.avito.clone(),
            vaults,
            settings,
            clock,
        }
    }

    /// The messenger webhook URL of a channel (the secret is in the path).
    pub fn messenger_webhook_url(&self, tenant: &TenantId, channel: &ChannelId, secret: &str) -> String {
        format!(
            "{}{}{secret}",
            self.settings.public_base_url.trim_end_matches('/'),
            messenger_webhook_prefix(tenant, channel)
        )
    }

    /// The Avito Jobs applications webhook URL of a channel (the secret travels in `X-Secret`).
    pub fn jobs_webhook_url(&self, tenant: &TenantId, channel: &ChannelId) -> String {
        format!(
            "{}/avito/jobs/{tenant}/{channel}",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    /// The redirect URI to register with Avito for the OAuth callback.
    pub fn redirect_uri(&self) -> String {
        format!(
            "{}/avito/oauth/callback",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    async fn channel(&self, tenant: &TenantId, id: &str) -> Result<Versioned<Channel>, ConnectionError> {
        if !is_valid_id(id) {
            return Err(ConnectionError::NotFound("channel"));
        }
        self.config
            .get::<Channel>(tenant, id)
            .await?
            .ok_or(ConnectionError::NotFound("channel"))
    }

    /// Starts the authorization-code flow for a channel (`by`, an administrator, is remembered
    /// for the audit log when the flow completes).
    pub async fn start_authorization(
        &self,
        by: &crate::desk::Person,
        channel_id: &str,
    ) -> Result<AuthorizationStart, ConnectionError> {
        let tenant = &by.tenant;
        let channel = self.channel(tenant, channel_id).await?.value;
        let nonce = random_hex(24)?;
        let expires_at = self.clock.now().timestamp() + STATE_TTL_SECONDS;
        let pending = PendingAuthorization {
            channel: channel.id.to_string(),
            expires_at,
            started_by: Some(by.user.clone()),
        };
        let doc =
            serde_json::to_string(&pending).map_err(|e| ConnectionError::Store(StoreError::Corrupt(e.to_string())))?;
        self.store.insert(tenant, ConfigKind::OAuthState, &nonce, &doc).await?;
        let scopes = match channel.kind {
            ChannelKind::Avito => AVITO_SCOPES,
            ChannelKind::AvitoJobs => AVITO_JOBS_SCOPES,
        };
        let state = format!("{tenant}.{nonce}");
        let authorize_url = format!(
            "{}?response_type=code&pro_users_flow=true&client_id={}&scope={}&state={}",
            self.settings.oauth_url,
            urlencode(&self.settings.app.client_id),
            urlencode(&scopes.join(",")),
            urlencode(&state)
        );
        Ok(AuthorizationStart {
            authorize_url,
            expires_at,
        })
    }

    /// Finishes the authorization-code flow: consumes `state` (once), exchanges `code`, connects.
    pub async fn complete_authorization(&self, state: &str, code: &str) -> Result<Channel, ConnectionError> {
        let (tenant, nonce) = state.split_once('.').ok_or(ConnectionError::InvalidState)?;
        let tenant = TenantId::parse(tenant).map_err(|_| ConnectionError::InvalidState)?;
        if !is_valid_id(nonce) {
            return Err(ConnectionError::InvalidState);
        }
        let stored = self
            .store
            .get(&tenant, ConfigKind::OAuthState, nonce)
            .await?
            .ok_or(ConnectionError::InvalidState)?;
        // Deleting is the single use: of two callbacks with one state only one deletes it.
        if !self.store.delete(&tenant, ConfigKind::OAuthState, nonce).await? {
            return Err(ConnectionError::InvalidState);
        }
        let pending: PendingAuthorization =
            serde_json::from_str(&stored.doc).map_err(|_| ConnectionError::InvalidState)?;
        if pending.expires_at <= self.clock.now().timestamp() {
            return Err(ConnectionError::InvalidState);
        }
        let app = &self.settings.app;
        let token = self
            .avito
            .token_authorization_code(&app.client_id, &app.client_secret, code)
            .await?;
        let refresh_token = token
            .refresh_token
            .clone()
            .ok_or_else(|| AvitoError::Malformed("no refresh token in the answer".into()))?;
        let channel = self
            .connect(
                &tenant,
                &pending.channel,
                Grant::AuthorizationCode { refresh_token },
                token,
            )
            .await?;
        if let Some(user) = pending.started_by {
            let admin = crate::desk::Person {
                tenant: tenant.clone(),
                user,
                role: domain::access::Role::Admin,
            };
            let subject = crate::audit::subject(
                domain::audit::AuditSubjectKind::Channel,
                channel.id.as_str(),
                channel.name.as_str(),
            );
            crate::audit::Audit {
                config: self.config.clone(),
                clock: Arc::clone(&self.clock),
            }
            .record(&admin, domain::audit::AuditAction::ChannelConnected, subject)
            .await;
        }
        Ok(channel)
    }

    /// Connects with the account's own client id and secret (client_credentials).
    pub async fn connect_with_client_credentials(
        &self,
        tenant: &TenantId,
        channel_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Channel, ConnectionError> {
        self.channel(tenant, channel_id).await?;
        for (field, value) in [("client_id", client_id), ("client_secret", client_secret)] {
            if value.trim().is_empty() {
                return Err(ConnectionError::Invalid {
                    field,
                    problem: Problem::Required,
                });
            }
        }
        let token = self.avito.token_client_credentials(client_id, client_secret).await?;
        let grant = Grant::ClientCredentials {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        };
        self.connect(tenant, channel_id, grant, token).await
    }

    async fn connect(
        &self,
        tenant: &TenantId,
        channel_id: &str,
        grant: Grant,
        token: TokenResponse,
    ) -> Result<Channel, ConnectionError> {
        let current = self.channel(tenant, channel_id).await?;
        let vault = self.vaults.channel(tenant, &current.value.id);
        vault.save_token(grant, token).await?;
        let result = self.connect_with_tokens(tenant, current, &vault).await;
        if result.is_err() {
            // Leave nothing half-connected: no tokens for a channel that is not connected.
            let _ = vault.delete().await;
        }
        result
    }

    async fn connect_with_tokens(
        &self,
        tenant: &TenantId,
        current: Versioned<Channel>,
        vault: &TokenVault,
    ) -> Result<Channel, ConnectionError> {
        let me = self.avito.account_self(vault).await?;
        let messenger_secret = random_hex(32)?;
        let jobs_secret = match current.value.kind {
            ChannelKind::AvitoJobs => Some(random_hex(32)?),
            ChannelKind::Avito => None,
        };
        let previous = current.value.clone();
        let mut channel = current.value;
        channel.status = ChannelStatus::Connected;
        channel.superseded_by = None;
        channel.authorization_refused_at = None;
        channel.account = Some(AvitoAccount {
            id: me.id,
            name: me.name.unwrap_or_default(),
            profile_url: me.profile_url,
        });
        channel.webhook_secrets = Some(WebhookSecretDigests {
            messenger: digest(&messenger_secret),
            jobs: jobs_secret.as_deref().map(digest),
        });
        let version = self.config.replace(tenant, &channel, current.version).await?;

        // Avito checks each webhook URL when subscribing, so the channel must already accept them.
        let subscribed = self
            .subscribe(tenant, &channel, vault, &messenger_secret, jobs_secret.as_deref())
            .await;
        if let Err(e) = subscribed {
            let _ = self.config.replace(tenant, &previous, version).await;
            return Err(e);
        }
        self.supersede_others(tenant, &channel, vault).await?;
        Ok(channel)
    }

    async fn subscribe(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        vault: &TokenVault,
        messenger_secret: &str,
        jobs_secret: Option<&str>,
    ) -> Result<(), ConnectionError> {
        self.avito
            .subscribe_messenger(
                vault,
                &self.messenger_webhook_url(tenant, &channel.id, messenger_secret),
            )
            .await?;
        if let Some(secret) = jobs_secret {
            self.avito
                .put_applications_webhook(vault, &self.jobs_webhook_url(tenant, &channel.id), secret)
                .await?;
        }
        Ok(())
    }

    /// R-C4: other channels of the tenant on the same account and kind stop receiving.
    async fn supersede_others(
        &self,
        tenant: &TenantId,
        channel: &Channel,
        vault: &TokenVault,
    ) -> Result<(), ConnectionError> {
        let account = channel.account.as_ref().map(|a| a.id);
        for other in self.config.list_all::<Channel>(tenant).await? {
            let same_account = other.account.as_ref().map(|a| a.id) == account;
            if other.id == channel.id
                || other.kind != channel.kind
                || !same_account
                || other.status != ChannelStatus::Connected
            {
                continue;
            }
            // Their subscriptions belong to the same account: remove them with this channel's token.
            for warning in self.unsubscribe(tenant, &other, vault).await {
                tracing::warn!(channel = %other.id, %warning, "superseded channel");
            }
            let _ = self.vaults.channel(tenant, &other.id).delete().await;
            let mut superseded = other.clone();
            superseded.status = ChannelStatus::Superseded;
            superseded.superseded_by = Some(channel.id.clone());
            superseded.webhook_secrets = None;
            if let Some(v) = self.config.get::<Channel>(tenant, other.id.as_str()).await? {
                self.config.replace(tenant, &superseded, v.version).await?;
            }
        }
        Ok(())
    }

    /// Removes a channel's webhooks at Avito (matched by their URL, which embeds the channel);
    /// returns what could not be removed.
    async fn unsubscribe(&self, tenant: &TenantId, channel: &Channel, tokens: &dyn AccessTokenSource) -> Vec<String> {
        let mut warnings = Vec::new();
        let base = self.settings.public_base_url.trim_end_matches('/');
        let messenger_prefix = format!("{base}{}", messenger_webhook_prefix(tenant, &channel.id));
        match self.avito.messenger_subscriptions(tokens).await {
            Ok(subs) => {
                for s in subs
                    .subscriptions
                    .iter()
                    .filter(|s| s.url.starts_with(&messenger_prefix))
                {
                    if let Err(e) = self.avito.unsubscribe_messenger(tokens, &s.url).await {
                        warnings.push(format!("the messenger webhook could not be removed at Avito: {e}"));
                    }
                }
            }
            Err(e) => warnings.push(format!("the messenger webhooks could not be listed at Avito: {e}")),
        }
        if channel.kind == ChannelKind::AvitoJobs {
            let url = self.jobs_webhook_url(tenant, &channel.id);
            if let Err(e) = self.avito.delete_applications_webhook(tokens, &url).await {
                warnings.push(format!("the applications webhook could not be removed at Avito: {e}"));
            }
        }
        warnings
    }

    /// Disconnects a channel (R-C5); `confirmed` must be true.
    pub async fn disconnect(
        &self,
        tenant: &TenantId,
        channel_id: &str,
        confirmed: bool,
    ) -> Result<Disconnected, ConnectionError> {
        let current = self.channel(tenant, channel_id).await?;
        if !confirmed {
            return Err(ConnectionError::Invalid {
                field: "confirm",
                problem: Problem::ConfirmationRequired(
                    "disconnecting stops all new conversations from this channel (send \"confirm\": true)",
                ),
            });
        }
        if !matches!(
            current.value.status,
            ChannelStatus::Connected | ChannelStatus::Superseded
        ) {
            return Err(ConnectionError::Conflict(Conflict::new(
                ConflictCode::ChannelNotConnected,
                "the channel is not connected",
            )));
        }
        let vault = self.vaults.channel(tenant, &current.value.id);
        let warnings = if vault.exists().await? {
            self.unsubscribe(tenant, &current.value, &vault).await
        } else {
            Vec::new()
        };
        vault.delete().await?;
        let mut channel = current.value;
        channel.status = ChannelStatus::Disconnected;
        channel.webhook_secrets = None;
        self.config.replace(tenant, &channel, current.version).await?;
        Ok(Disconnected { channel, warnings })
    }
}

/// The path of a channel's messenger webhook, up to its secret.
pub fn messenger_webhook_prefix(tenant: &TenantId, channel: &ChannelId) -> String {
    format!("/avito/messenger/{tenant}/{channel}/")
}
