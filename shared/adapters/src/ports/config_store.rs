//! The configuration store port: a tenant's directory and settings as versioned JSON documents,
//! addressed by (tenant, kind, id). Shaped after DynamoDB's access patterns: every operation is a
//! key lookup, a key-range query within the tenant, or a conditional write; nothing scans.

use async_trait::async_trait;
use domain::ids::TenantId;

/// What a configuration document is. Each kind has its own key prefix in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigKind {
    Employee,
    Group,
    Chatbot,
    ChannelGroup,
    Channel,
    ChannelSettings,
    /// One per tenant; its id is [`ConfigKind::SINGLETON_ID`].
    Schedule,
    /// One per tenant; its id is [`ConfigKind::SINGLETON_ID`].
    Distribution,
    /// A channel's Avito tokens, encrypted; its id is the channel's.
    Credentials,
    /// A pending authorization (the `state` of the OAuth flow), single-use.
    OAuthState,
    /// An operator's presence (online or not); its id is the employee's.
    Presence,
    /// A client card.
    ClientCard,
    /// Which card an Avito user has; its id is Avito's user id.
    AvitoUser,
    /// An Avito Jobs response; its id is Avito's `applyId`.
    JobResponse,
    /// Which response an Avito chat belongs to; its id is the chat's.
    JobChat,
    /// A notification for the operators; its id orders the newest first.
    Notification,
    /// A deal conversations may be linked to.
    Deal,
    /// An organization conversations may be linked to.
    Organization,
    /// A delivery from Avito that changed nothing, kept for administrators; its id orders the
    /// newest first.
    IgnoredDelivery,
    /// A person's own sign-in account (password hash, failures); its id is the employee's.
    Account,
    /// A pending invitation link; its id is the digest of the link's secret.
    Invitation,
    /// A signed-in browser; its id is the digest of the cookie's secret.
    Session,
    /// An entry of the audit log; its id orders the newest first.
    AuditEntry,
    /// A script's API token (its digest); its id is the token's.
    ApiToken,
    /// A search term of an entity (`<term>#<its kind's prefix><its id>`), for finding it by the
    /// start of a word of its name or of its phone.
    SearchTerm,
    /// Which tenant and employee an e-mail signs in to; kept in the installation's own partition
    /// (`domain::identity::INSTALLATION`), its id the digest of the e-mail.
    SignInName,
}

impl ConfigKind {
    /// The id of the one document of a per-tenant kind.
    pub const SINGLETON_ID: &'static str = "tenant";

    /// The sort-key prefix of this kind (see `TABLE_DESIGN.md`).
    pub fn prefix(self) -> &'static str {
        match self {
            ConfigKind::Employee => "EMP#",
            ConfigKind::Group => "GRP#",
            ConfigKind::Chatbot => "BOT#",
            ConfigKind::ChannelGroup => "CHG#",
            ConfigKind::Channel => "CH#",
            ConfigKind::ChannelSettings => "CHSET#",
            ConfigKind::Schedule => "SCHEDULE#",
            ConfigKind::Distribution => "DISTRIBUTION#",
            ConfigKind::Credentials => "CRED#",
            ConfigKind::OAuthState => "OAUTH#",
            ConfigKind::Presence => "PRES#",
            ConfigKind::ClientCard => "CARD#",
            ConfigKind::AvitoUser => "AVUSER#",
            ConfigKind::JobResponse => "JOB#",
            ConfigKind::JobChat => "JOBCHAT#",
            ConfigKind::Notification => "NOTE#",
            ConfigKind::Deal => "DEAL#",
            ConfigKind::Organization => "ORG#",
            ConfigKind::IgnoredDelivery => "IGNORED#",
            ConfigKind::Account => "ACCOUNT#",
            ConfigKind::Invitation => "INVITE#",
            ConfigKind::Session => "SESSION#",
            ConfigKind::AuditEntry => "AUDIT#",
            ConfigKind::ApiToken => "APITOKEN#",
            ConfigKind::SearchTerm => "TERM#",
            ConfigKind::SignInName => "SIGNIN#",
        }
    }
}

/// A stored document with its version (1 on insert, +1 on every write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDoc {
    pub id: String,
    /// JSON text.
    pub doc: String,
    pub version: u64,
}

/// One page of a listing, in id order. `next` is the cursor for the following page, present only
/// when more documents follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T, C = String> {
    pub items: Vec<T>,
    /// Where the next page starts, when more follow.
    pub next: Option<C>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the id is taken, or the version is not the expected one.
    #[error("the document was changed or already exists")]
    Conflict,
    /// The document to change does not exist.
    #[error("no such document")]
    NotFound,
    /// The store could not be reached or refused for now; retrying may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds something this code cannot read.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The configuration store.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// Inserts a new document at version 1; [`StoreError::Conflict`] if the id is taken.
    async fn insert(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<(), StoreError>;

    /// The document, or `None`.
    async fn get(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<Option<StoredDoc>, StoreError>;

    /// Up to `limit` documents of a kind with ids after `after`, in id order.
    async fn list(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredDoc>, StoreError>;

    /// Replaces a document only if it is at `expected_version`; returns the new version.
    /// [`StoreError::NotFound`] if it does not exist, [`StoreError::Conflict`] if someone wrote it
    /// since.
    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ConfigKind,
        id: &str,
        doc: &str,
        expected_version: u64,
    ) -> Result<u64, StoreError>;

    /// Writes a document whatever its state (creating it if missing); returns the new version.
    /// For whole-document settings where the last writer wins.
    async fn put(&self, tenant: &TenantId, kind: ConfigKind, id: &str, doc: &str) -> Result<u64, StoreError>;

    /// Deletes a document; `false` if there was none.
    async fn delete(&self, tenant: &TenantId, kind: ConfigKind, id: &str) -> Result<bool, StoreError>;
}
