//! Typed access to the configuration store: domain entities in, domain entities out. Documents
//! are stored as the domain's own serde form, so what the store holds is what the API shows.

use crate::ports::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
use domain::candidate::JobResponse;
use domain::clients::{Deal, Organization};
use domain::conversation::ClientCard;
use domain::directory::{Channel, ChannelGroup, Chatbot, Employee, Group};
use domain::distribution::DistributionSettings;
use domain::ids::{ChannelId, ClientCardId, TenantId};
use domain::notification::Notification;
use domain::schedule::WorkingSchedule;
use domain::settings::ChannelSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// An entity kept in the configuration store under its own id.
pub trait ConfigEntity: Serialize + DeserializeOwned + Send + Sync {
    const KIND: ConfigKind;
    fn entity_id(&self) -> &str;

    /// What it is found by ([`Configuration::search`]); nothing unless the kind says.
    fn search_terms(&self) -> Vec<String> {
        Vec::new()
    }
}

macro_rules! config_entity {
    ($t:ty, $kind:expr) => {
        impl ConfigEntity for $t {
            const KIND: ConfigKind = $kind;
            fn entity_id(&self) -> &str {
                self.id.as_str()
            }
        }
    };
}

config_entity!(Employee, ConfigKind::Employee);
config_entity!(Group, ConfigKind::Group);
config_entity!(Chatbot, ConfigKind::Chatbot);
config_entity!(ChannelGroup, ConfigKind::ChannelGroup);
config_entity!(Channel, ConfigKind::Channel);
impl ConfigEntity for ClientCard {
    const KIND: ConfigKind = ConfigKind::ClientCard;
    fn entity_id(&self) -> &str {
        self.id.as_str()
    }
    fn search_terms(&self) -> Vec<String> {
        domain::clients::search::terms(self)
    }
}
config_entity!(JobResponse, ConfigKind::JobResponse);
config_entity!(Deal, ConfigKind::Deal);
config_entity!(Organization, ConfigKind::Organization);

/// Which response an Avito chat belongs to (the `JobChat` pointer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct JobChat {
    pub apply_id: String,
    pub channel_id: ChannelId,
}

/// The largest number of 15 digits, from which notification times count down so that the
/// store's id order is newest first.
const NOTIFICATION_CLOCK: i64 = 999_999_999_999_999;

pub use crate::ports::Versioned;

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(kind: ConfigKind, stored: &StoredDoc) -> Result<T, StoreError> {
    serde_json::from_str(&stored.doc).map_err(|e| StoreError::Corrupt(format!("{kind:?} {}: {e}", stored.id)))
}

pub(crate) fn decode_page<T: DeserializeOwned>(kind: ConfigKind, page: Page<StoredDoc>) -> Result<Page<T>, StoreError> {
    let items = page.items.iter().map(|d| decode(kind, d)).collect::<Result<_, _>>()?;
    Ok(Page { items, next: page.next })
}

/// A delivery from Avito that was well-formed but changed nothing (R-X1), kept where an
/// administrator sees why and can replay it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IgnoredDelivery {
    /// Its place in the newest-first list: `<inverted receive time>-<digest of the delivery>`, so
    /// the same delivery processed again is one record.
    pub key: String,
    /// When it was received.
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub channel_id: ChannelId,
    /// A stable code of why.
    pub code: String,
    /// Why, for administrators.
    pub reason: String,
    /// The delivery as it was queued (JSON), to replay it.
    pub event: String,
}

impl IgnoredDelivery {
    /// The key of a delivery received at `received_at` whose content digests to `digest`.
    pub fn key_of(received_at: chrono::DateTime<chrono::Utc>, digest: &str) -> String {
        format!(
            "{:015}-{digest}",
            NOTIFICATION_CLOCK - received_at.timestamp_millis().clamp(0, NOTIFICATION_CLOCK)
        )
    }
}

/// The tenant's configuration, typed.
#[derive(Clone)]
pub struct Configuration {
    pub(crate) store: Arc<dyn ConfigStore>,
}

impl Configuration {
    pub fn new(store: Arc<dyn ConfigStore>) -> Self {
        Self { store }
    }

    /// Creates an entity; [`StoreError::Conflict`] if its id is taken.
    pub async fn create<T: ConfigEntity>(&self, tenant: &TenantId, value: &T) -> Result<(), StoreError> {
        self.store
            .insert(tenant, T::KIND, value.entity_id(), &encode(value)?)
            .await?;
        self.index(tenant, value).await
    }

    /// Files the entity under its search terms. Terms it no longer has stay behind: a search
    /// re-reads what it finds and checks it still answers.
    async fn index<T: ConfigEntity>(&self, tenant: &TenantId, value: &T) -> Result<(), StoreError> {
        for term in value.search_terms() {
            let term: String = term.chars().filter(|c| *c != '#').collect();
            let key = format!("{term}#{}{}", T::KIND.prefix(), value.entity_id());
            self.store.put(tenant, ConfigKind::SearchTerm, &key, "{}").await?;
        }
        Ok(())
    }

    /// The ids of entities of kind `T` with a search term starting with `start`, up to `limit`
    /// distinct ones, in term order: one key-range query over the terms (at most ten pages).
    pub async fn search<T: ConfigEntity>(
        &self,
        tenant: &TenantId,
        start: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let start: String = start.chars().filter(|c| *c != '#').collect();
        let marker = format!("#{}", T::KIND.prefix());
        let mut ids: Vec<String> = Vec::new();
        // Every key starting with `start` sorts after `start` itself.
        let mut after = start.clone();
        for _ in 0..10 {
            let page = self
                .store
                .list(tenant, ConfigKind::SearchTerm, Some(&after), 100)
                .await?;
            for doc in &page.items {
                if !doc.id.starts_with(&start) {
                    return Ok(ids);
                }
                if let Some((_, id)) = doc.id.rsplit_once(&marker)
                    && !ids.iter().any(|known| known == id)
                {
                    ids.push(id.to_owned());
                    if ids.len() >= limit {
                        return Ok(ids);
                    }
                }
            }
            match page.next {
                Some(next) => after = next,
                None => break,
            }
        }
        Ok(ids)
    }

    pub async fn get<T: ConfigEntity>(&self, tenant: &TenantId, id: &str) -> Result<Option<Versioned<T>>, StoreError> {
        match self.store.get(tenant, T::KIND, id).await? {
            Some(stored) => Ok(Some(Versioned {
                value: decode(T::KIND, &stored)?,
                version: stored.version,
            })),
            None => Ok(None),
        }
    }

    /// One page of entities in id order.
    pub async fn list<T: ConfigEntity>(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        decode_page(T::KIND, self.store.list(tenant, T::KIND, after, limit).await?)
    }

    /// Every entity of a kind (configuration is small: tens to hundreds).
    pub async fn list_all<T: ConfigEntity>(&self, tenant: &TenantId) -> Result<Vec<T>, StoreError> {
        self.all_docs(tenant, T::KIND)
            .await?
            .iter()
            .map(|d| decode(T::KIND, d))
            .collect()
    }

    async fn all_docs(&self, tenant: &TenantId, kind: ConfigKind) -> Result<Vec<StoredDoc>, StoreError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list(tenant, kind, after.as_deref(), 100).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Replaces an entity read at `expected_version`; returns the new version.
    pub async fn replace<T: ConfigEntity>(
        &self,
        tenant: &TenantId,
        value: &T,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let version = self
            .store
            .replace(tenant, T::KIND, value.entity_id(), &encode(value)?, expected_version)
            .await?;
        self.index(tenant, value).await?;
        Ok(version)
    }

    /// Deletes an entity; `false` if there was none.
    pub async fn delete<T: ConfigEntity>(&self, tenant: &TenantId, id: &str) -> Result<bool, StoreError> {
        self.store.delete(tenant, T::KIND, id).await
    }

    /// The channel's settings, or `None` if never saved.
    pub async fn channel_settings(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
    ) -> Result<Option<ChannelSettings>, StoreError> {
        let stored = self
            .store
            .get(tenant, ConfigKind::ChannelSettings, channel.as_str())
            .await?;
        stored.map(|s| decode(ConfigKind::ChannelSettings, &s)).transpose()
    }

    pub async fn put_channel_settings(
        &self,
        tenant: &TenantId,
        channel: &ChannelId,
        settings: &ChannelSettings,
    ) -> Result<(), StoreError> {
        self.store
            .put(
                tenant,
                ConfigKind::ChannelSettings,
                channel.as_str(),
                &encode(settings)?,
            )
            .await
            .map(drop)
    }

    /// Deletes a channel's settings with the channel; `false` if there were none.
    pub async fn delete_channel_settings(&self, tenant: &TenantId, channel: &ChannelId) -> Result<bool, StoreError> {
        self.store
            .delete(tenant, ConfigKind::ChannelSettings, channel.as_str())
            .await
    }

    /// Every channel's settings by channel id, for checking what refers to an entity before it
    /// is deleted.
    pub async fn all_channel_settings(&self, tenant: &TenantId) -> Result<Vec<(String, ChannelSettings)>, StoreError> {
        let kind = ConfigKind::ChannelSettings;
        self.all_docs(tenant, kind)
            .await?
            .iter()
            .map(|d| Ok((d.id.clone(), decode(kind, d)?)))
            .collect()
    }

    /// An operator's presence; offline until they say otherwise.
    pub async fn presence(
        &self,
        tenant: &TenantId,
        employee: &domain::ids::EmployeeId,
    ) -> Result<domain::directory::Presence, StoreError> {
        match self.store.get(tenant, ConfigKind::Presence, employee.as_str()).await? {
            Some(stored) => decode(ConfigKind::Presence, &stored),
            None => Ok(domain::directory::Presence::default()),
        }
    }

    pub async fn put_presence(
        &self,
        tenant: &TenantId,
        employee: &domain::ids::EmployeeId,
        presence: &domain::directory::Presence,
    ) -> Result<(), StoreError> {
        self.store
            .put(tenant, ConfigKind::Presence, employee.as_str(), &encode(presence)?)
            .await
            .map(drop)
    }

    /// The tenant's schedule; the default (Moscow, weekdays 09–18) until one is saved.
    pub async fn schedule(&self, tenant: &TenantId) -> Result<WorkingSchedule, StoreError> {
        self.singleton(tenant, ConfigKind::Schedule).await
    }

    pub async fn put_schedule(&self, tenant: &TenantId, schedule: &WorkingSchedule) -> Result<(), StoreError> {
        self.put_singleton(tenant, ConfigKind::Schedule, schedule).await
    }

    /// The tenant's default distribution settings; the default (queue) until saved.
    pub async fn distribution(&self, tenant: &TenantId) -> Result<DistributionSettings, StoreError> {
        self.singleton(tenant, ConfigKind::Distribution).await
    }

    pub async fn put_distribution(&self, tenant: &TenantId, settings: &DistributionSettings) -> Result<(), StoreError> {
        self.put_singleton(tenant, ConfigKind::Distribution, settings).await
    }

    /// The card of an Avito user, if they have one.
    pub async fn card_of_avito_user(
        &self,
        tenant: &TenantId,
        avito_user_id: i64,
    ) -> Result<Option<ClientCardId>, StoreError> {
        match self
            .store
            .get(tenant, ConfigKind::AvitoUser, &avito_user_id.to_string())
            .await?
        {
            Some(stored) => Ok(Some(decode(ConfigKind::AvitoUser, &stored)?)),
            None => Ok(None),
        }
    }

    /// Gives an Avito user the card `candidate` unless they already have one; returns the card
    /// they have. `candidate` is stored first, so a card is never pointed at before it exists; when
    /// two workers race, one pointer wins and the loser's card is deleted again.
    pub async fn link_card(
        &self,
        tenant: &TenantId,
        avito_user_id: i64,
        candidate: &ClientCard,
    ) -> Result<ClientCardId, StoreError> {
        if let Some(existing) = self.card_of_avito_user(tenant, avito_user_id).await? {
            return Ok(existing);
        }
        self.create(tenant, candidate).await?;
        let pointer = encode(&candidate.id)?;
        match self
            .store
            .insert(tenant, ConfigKind::AvitoUser, &avito_user_id.to_string(), &pointer)
            .await
        {
            Ok(()) => Ok(candidate.id.clone()),
            Err(StoreError::Conflict) => {
                self.store
                    .delete(tenant, ConfigKind::ClientCard, candidate.id.as_str())
                    .await?;
                self.card_of_avito_user(tenant, avito_user_id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("the card of Avito user {avito_user_id} vanished")))
            }
            Err(e) => Err(e),
        }
    }

    /// From now on the Avito user's conversations belong to `card` (an operator linked one of
    /// theirs to it).
    pub async fn point_avito_user(
        &self,
        tenant: &TenantId,
        avito_user_id: i64,
        card: &ClientCardId,
    ) -> Result<(), StoreError> {
        self.store
            .put(
                tenant,
                ConfigKind::AvitoUser,
                &avito_user_id.to_string(),
                &encode(card)?,
            )
            .await
            .map(drop)
    }

    /// Which response a chat belongs to, if it is an Avito Jobs chat we know of.
    pub async fn job_chat(&self, tenant: &TenantId, chat_id: &str) -> Result<Option<JobChat>, StoreError> {
        match self.store.get(tenant, ConfigKind::JobChat, chat_id).await? {
            Some(stored) => Ok(Some(decode(ConfigKind::JobChat, &stored)?)),
            None => Ok(None),
        }
    }

    /// Points a chat at its (newest) response.
    pub async fn put_job_chat(&self, tenant: &TenantId, chat_id: &str, pointer: &JobChat) -> Result<(), StoreError> {
        self.store
            .put(tenant, ConfigKind::JobChat, chat_id, &encode(pointer)?)
            .await
            .map(drop)
    }

    /// The store id of a notification (its place in the newest-first feed), as `next` cursors name
    /// them.
    pub fn notification_key(notification: &Notification) -> String {
        format!(
            "{:015}-{}",
            NOTIFICATION_CLOCK - notification.at.timestamp_millis().clamp(0, NOTIFICATION_CLOCK),
            notification.id
        )
    }

    /// Stores a notification once: a second one with the same id and time is ignored.
    pub async fn notify(&self, tenant: &TenantId, notification: &Notification) -> Result<(), StoreError> {
        let key = Self::notification_key(notification);
        match self
            .store
            .insert(tenant, ConfigKind::Notification, &key, &encode(notification)?)
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The notifications, newest first, `limit` at a time after the cursor `after`.
    pub async fn notifications(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Notification>, StoreError> {
        let kind = ConfigKind::Notification;
        decode_page(kind, self.store.list(tenant, kind, after, limit).await?)
    }

    /// Adds an entry to the audit log (once: the same id again is ignored).
    pub async fn record_audit(&self, tenant: &TenantId, entry: &domain::audit::AuditEntry) -> Result<(), StoreError> {
        match self
            .store
            .insert(tenant, ConfigKind::AuditEntry, &entry.id, &encode(entry)?)
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The audit log, newest first, `limit` at a time after `after`.
    pub async fn audit_log(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<domain::audit::AuditEntry>, StoreError> {
        let kind = ConfigKind::AuditEntry;
        decode_page(kind, self.store.list(tenant, kind, after, limit).await?)
    }

    /// Keeps a delivery that changed nothing, once (the same delivery again is one record); its id
    /// (`IgnoredDelivery::key`) orders the newest first.
    pub async fn record_ignored(&self, tenant: &TenantId, delivery: &IgnoredDelivery) -> Result<(), StoreError> {
        match self
            .store
            .insert(tenant, ConfigKind::IgnoredDelivery, &delivery.key, &encode(delivery)?)
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The deliveries that changed nothing, newest first, `limit` at a time after `after`.
    pub async fn ignored_deliveries(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<IgnoredDelivery>, StoreError> {
        let kind = ConfigKind::IgnoredDelivery;
        decode_page(kind, self.store.list(tenant, kind, after, limit).await?)
    }

    /// One delivery that changed nothing, by its key.
    pub async fn ignored_delivery(&self, tenant: &TenantId, key: &str) -> Result<Option<IgnoredDelivery>, StoreError> {
        let kind = ConfigKind::IgnoredDelivery;
        self.store
            .get(tenant, kind, key)
            .await?
            .map(|d| decode(kind, &d))
            .transpose()
    }

    /// Forgets a delivery that changed nothing (it was replayed); `false` when it was not kept.
    pub async fn forget_ignored(&self, tenant: &TenantId, key: &str) -> Result<bool, StoreError> {
        self.store.delete(tenant, ConfigKind::IgnoredDelivery, key).await
    }

    async fn singleton<T: DeserializeOwned + Default>(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
    ) -> Result<T, StoreError> {
        match self.store.get(tenant, kind, ConfigKind::SINGLETON_ID).await? {
            Some(stored) => decode(kind, &stored),
            None => Ok(T::default()),
        }
    }

    async fn put_singleton<T: Serialize>(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        value: &T,
    ) -> Result<(), StoreError> {
        self.store
            .put(tenant, kind, ConfigKind::SINGLETON_ID, &encode(value)?)
            .await
            .map(drop)
    }
}
