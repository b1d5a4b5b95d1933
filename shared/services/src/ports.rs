//! Everything outside that the use cases need, in one value the functions build once at start
//! (from the environment on Lambda, from the data directory locally), and the lookups every use
//! case makes of it.

use crate::error::ServiceResult;
use adapters::avito::AvitoClient;
use adapters::configuration::Configuration;
use adapters::credentials::Vaults;
use adapters::ports::{ChatbotGateway, Clock, ConversationStore, Scheduler, StoreError};
use domain::directory::Channel;
use domain::ids::{ChannelId, TenantId};
use domain::settings::ChannelSettings;
use std::sync::Arc;

/// The ports: configuration, conversations, timers, chatbots, Avito's credentials and API, time.
#[derive(Clone)]
pub struct Ports {
    pub config: Configuration,
    pub conversations: Arc<dyn ConversationStore>,
    pub scheduler: Arc<dyn Scheduler>,
    pub chatbots: Arc<dyn ChatbotGateway>,
    pub vaults: Vaults,
    pub avito: AvitoClient,
    pub clock: Arc<dyn Clock>,
}

impl Ports {
    /// An employee's name for notes, or their id when the directory does not know them.
    pub async fn employee_name(&self, tenant: &TenantId, id: &domain::ids::EmployeeId) -> Result<String, StoreError> {
        Ok(self
            .config
            .get::<domain::directory::Employee>(tenant, id.as_str())
            .await?
            .map_or_else(|| id.as_str().to_owned(), |e| e.value.name.as_str().to_owned()))
    }

    /// A channel of the tenant, if it exists.
    pub async fn channel(&self, tenant: &TenantId, id: &ChannelId) -> Result<Option<Channel>, StoreError> {
        Ok(self.config.get::<Channel>(tenant, id.as_str()).await?.map(|v| v.value))
    }

    /// A channel of the tenant that exists and receives webhooks (connected).
    pub async fn receiving_channel(&self, tenant: &TenantId, id: &ChannelId) -> Result<Option<Channel>, StoreError> {
        Ok(self.channel(tenant, id).await?.filter(Channel::is_receiving))
    }

    /// The Avito account of a channel that is connected (receiving webhooks), if it is.
    pub async fn connected_account(&self, tenant: &TenantId, id: &ChannelId) -> Result<Option<i64>, StoreError> {
        Ok(self.receiving_channel(tenant, id).await?.and_then(|c| c.account_id()))
    }

    /// The tenant's connected channels on the Avito account `account`.
    pub async fn channels_of_account(&self, tenant: &TenantId, account: Option<i64>) -> ServiceResult<Vec<Channel>> {
        Ok(self
            .config
            .list_all::<Channel>(tenant)
            .await?
            .into_iter()
            .filter(|c| c.receives_for(account))
            .collect())
    }

    /// A channel's settings (the defaults when none are saved).
    pub async fn settings(&self, tenant: &TenantId, channel: &ChannelId) -> Result<ChannelSettings, StoreError> {
        Ok(self.config.channel_settings(tenant, channel).await?.unwrap_or_default())
    }
}
