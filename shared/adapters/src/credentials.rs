//! A channel's Avito credentials (R-C3): stored encrypted, refreshed before expiry, and refreshed by
//! one caller at a time.
//!
//! Avito rotates refresh tokens: a refresh returns a new pair and the old refresh token stops
//! working. If two Lambda instances refreshed at once, one of them would spend a refresh token the
//! other had already spent, or write an older pair over a newer one. So a refresh first takes a
//! lease on the record with a conditional write (compare-and-swap on its version); only the lease
//! holder calls Avito, then writes the new pair with another conditional write. Everyone else waits
//! and reads the new pair. A lease that its holder abandoned (a crash) expires after
//! [`LEASE_SECONDS`].

use crate::avito::{AccessTokenSource, AvitoClient, AvitoError};
use crate::ports::{Clock, ConfigKind, ConfigStore, StoreError};
use crate::secrets::{Sealed, TokenCipher};
use domain::ids::{ChannelId, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Refresh when the access token has less than this left.
pub const REFRESH_MARGIN_SECONDS: i64 = 600;
/// How long a refresh lease holds.
pub const LEASE_SECONDS: i64 = 60;
/// How long a caller waits for someone else's refresh before giving up.
pub const MAX_WAIT: Duration = Duration::from_secs(70);

/// How the channel obtains new access tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "grant", rename_all = "snake_case")]
pub enum Grant {
    /// Connected through Avito's authorize page: refresh with the (rotating) refresh token.
    AuthorizationCode { refresh_token: String },
    /// Connected with the account's own key pair: ask again with it.
    ClientCredentials { client_id: String, client_secret: String },
}

/// What is sealed in the store for a channel.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCredentials {
    pub grant: Grant,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
}

impl fmt::Debug for ChannelCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grant = match self.grant {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::ClientCredentials { .. } => "client_credentials",
        };
        write!(
            f,
            "ChannelCredentials {{ grant: {grant}, access_expires_at: {} }}",
            self.access_expires_at
        )
    }
}

/// The stored record: the sealed credentials and the refresh lease.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    sealed: Sealed,
    /// Unix seconds until which someone holds the refresh lease.
    #[serde(default)]
    lease_until: Option<i64>,
}

/// The partner app's credentials (for authorization_code refreshes).
#[derive(Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AppCredentials {{ client_id: {}, client_secret: *** }}",
            self.client_id
        )
    }
}

/// What every channel's vault shares.
#[derive(Clone)]
pub struct Vaults {
    pub store: Arc<dyn ConfigStore>,
    pub cipher: Arc<TokenCipher>,
    pub avito: AvitoClient,
    pub app: AppCredentials,
    pub clock: Arc<dyn Clock>,
}

impl Vaults {
    /// The vault of one channel.
    pub fn channel(&self, tenant: &TenantId, channel: &ChannelId) -> TokenVault {
        TokenVault {
            shared: self.clone(),
            tenant: tenant.clone(),
            channel: channel.clone(),
        }
    }
}

/// One channel's credentials; an [`AccessTokenSource`] for the Avito client.
#[derive(Clone)]
pub struct TokenVault {
    shared: Vaults,
    tenant: TenantId,
    channel: ChannelId,
}

fn store_err(e: StoreError) -> AvitoError {
    AvitoError::Credentials(format!("credential store: {e}"))
}

impl TokenVault {
    fn record_id(&self) -> String {
        format!("{}/{}", self.tenant, self.channel)
    }

    fn now(&self) -> i64 {
        self.shared.clock.now().timestamp()
    }

    fn seal(&self, creds: &ChannelCredentials, lease_until: Option<i64>) -> Result<String, AvitoError> {
        let plain = serde_json::to_vec(creds).map_err(|e| AvitoError::Credentials(e.to_string()))?;
        let sealed = self
            .shared
            .cipher
            .seal(&plain, &self.record_id())
            .map_err(|e| AvitoError::Credentials(e.to_string()))?;
        serde_json::to_string(&Record { sealed, lease_until }).map_err(|e| AvitoError::Credentials(e.to_string()))
    }

    /// The stored credentials with the record's version and lease; `None` if there are none.
    async fn load(&self) -> Result<Option<(ChannelCredentials, u64, Option<i64>)>, AvitoError> {
        let Some(stored) = self
            .shared
            .store
            .get(&self.tenant, ConfigKind::Credentials, self.channel.as_str())
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        let record: Record = serde_json::from_str(&stored.doc)
            .map_err(|_| AvitoError::Credentials("unreadable credential record".into()))?;
        let plain = self
            .shared
            .cipher
            .open(&record.sealed, &self.record_id())
            .map_err(|e| AvitoError::Credentials(e.to_string()))?;
        let creds =
            serde_json::from_slice(&plain).map_err(|_| AvitoError::Credentials("unreadable credentials".into()))?;
        Ok(Some((creds, stored.version, record.lease_until)))
    }

    /// The credentials a fresh token makes under `grant`: the token expires after Avito's
    /// `expires_in` (a day when Avito does not say).
    fn credentials_of(&self, grant: Grant, token: avito_model::auth::TokenResponse) -> ChannelCredentials {
        let expires_in = token.expires_in.map(|s| s as i64).unwrap_or(86_400);
        ChannelCredentials {
            grant,
            access_token: token.access_token,
            access_expires_at: self.now() + expires_in,
        }
    }

    /// Stores the credentials of a fresh token (on connect), replacing any.
    pub async fn save_token(&self, grant: Grant, token: avito_model::auth::TokenResponse) -> Result<(), AvitoError> {
        self.save(&self.credentials_of(grant, token)).await
    }

    /// Takes a token with an account's own key pair (client_credentials) and stores it.
    pub async fn save_client_credentials(&self, client_id: &str, client_secret: &str) -> Result<(), AvitoError> {
        let token = self
            .shared
            .avito
            .token_client_credentials(client_id, client_secret)
            .await?;
        let grant = Grant::ClientCredentials {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        };
        self.save_token(grant, token).await
    }

    /// Stores new credentials (on connect), replacing any.
    pub async fn save(&self, creds: &ChannelCredentials) -> Result<(), AvitoError> {
        let doc = self.seal(creds, None)?;
        self.shared
            .store
            .put(&self.tenant, ConfigKind::Credentials, self.channel.as_str(), &doc)
            .await
            .map(drop)
            .map_err(store_err)
    }

    /// Deletes the credentials (on disconnect); `false` if there were none.
    pub async fn delete(&self) -> Result<bool, AvitoError> {
        self.shared
            .store
            .delete(&self.tenant, ConfigKind::Credentials, self.channel.as_str())
            .await
            .map_err(store_err)
    }

    /// Whether credentials are stored.
    pub async fn exists(&self) -> Result<bool, AvitoError> {
        Ok(self
            .shared
            .store
            .get(&self.tenant, ConfigKind::Credentials, self.channel.as_str())
            .await
            .map_err(store_err)?
            .is_some())
    }

    /// A valid access token: the stored one while it has more than the margin left, else a new
    /// one. `rejected`: Avito refused this token, so refresh unless someone already replaced it.
    async fn obtain(&self, rejected: Option<&str>) -> Result<String, AvitoError> {
        let started = std::time::Instant::now();
        loop {
            let (creds, version, lease) = self
                .load()
                .await?
                .ok_or_else(|| AvitoError::Credentials("the channel is not connected".into()))?;
            let now = self.now();
            let stale = match rejected {
                Some(r) => creds.access_token == r,
                None => creds.access_expires_at - now <= REFRESH_MARGIN_SECONDS,
            };
            if !stale {
                return Ok(creds.access_token);
            }
            if lease.is_some_and(|until| until > now) {
                if started.elapsed() > MAX_WAIT {
                    return Err(AvitoError::Credentials("another refresh did not finish in time".into()));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            // Take the lease; losing the race means someone else refreshes: wait for them.
            let leased = self.seal(&creds, Some(now + LEASE_SECONDS))?;
            match self.replace_sealed(&leased, version).await {
                Ok(leased_version) => return self.refresh_holding_lease(creds, leased_version).await,
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(store_err(e)),
            }
        }
    }

    /// Replaces the sealed credentials if they are still at `version`; the new version.
    async fn replace_sealed(&self, sealed: &str, version: u64) -> Result<u64, StoreError> {
        self.shared
            .store
            .replace(
                &self.tenant,
                ConfigKind::Credentials,
                self.channel.as_str(),
                sealed,
                version,
            )
            .await
    }

    async fn refresh_holding_lease(&self, creds: ChannelCredentials, version: u64) -> Result<String, AvitoError> {
        let app = &self.shared.app;
        let result = match &creds.grant {
            Grant::AuthorizationCode { refresh_token } => {
                self.shared
                    .avito
                    .token_refresh(&app.client_id, &app.client_secret, refresh_token)
                    .await
            }
            Grant::ClientCredentials {
                client_id,
                client_secret,
            } => {
                self.shared
                    .avito
                    .token_client_credentials(client_id, client_secret)
                    .await
            }
        };
        let (next, outcome) = match result {
            Ok(mut token) => {
                let grant = match (&creds.grant, token.refresh_token.take()) {
                    (Grant::AuthorizationCode { .. }, Some(refresh_token)) => {
                        Grant::AuthorizationCode { refresh_token }
                    }
                    (grant, _) => grant.clone(),
                };
                let next = self.credentials_of(grant, token);
                let access_token = next.access_token.clone();
                (next, Ok(access_token))
            }
            // Release the lease with the credentials unchanged.
            Err(e) => (creds, Err(e)),
        };
        let doc = self.seal(&next, None)?;
        match self.replace_sealed(&doc, version).await {
            Ok(_) => outcome,
            // The lease expired and someone else moved on, or the channel was disconnected
            // meanwhile: what we obtained is not the newest pair, so do not use it.
            Err(StoreError::Conflict | StoreError::NotFound) => Err(AvitoError::Credentials(
                "the credentials changed during the refresh; try again".into(),
            )),
            Err(e) => Err(store_err(e)),
        }
    }
}

#[async_trait::async_trait]
impl AccessTokenSource for TokenVault {
    async fn access_token(&self) -> Result<String, AvitoError> {
        self.obtain(None).await
    }

    async fn refreshed_token(&self, rejected: &str) -> Result<String, AvitoError> {
        self.obtain(Some(rejected)).await
    }
}
