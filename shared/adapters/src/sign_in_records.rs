//! The records of the product's own sign-in (`domain::identity`) in the configuration store:
//! accounts, invitations, sessions and the e-mail index. Each is read and written by key only,
//! with conditional writes where two requests may race (see `TABLE_DESIGN.md`).

use crate::configuration::{Configuration, decode, decode_page, encode};
use crate::ports::{ConfigKind, StoreError, Versioned};
use domain::identity::{Account, ApiToken, Invitation, Session, SignInName};
use domain::ids::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A sign-in record kept under a key of its own kind.
pub trait SignInRecord: Serialize + DeserializeOwned + Send + Sync {
    const KIND: ConfigKind;
}

impl SignInRecord for Account {
    const KIND: ConfigKind = ConfigKind::Account;
}
impl SignInRecord for Invitation {
    const KIND: ConfigKind = ConfigKind::Invitation;
}
impl SignInRecord for Session {
    const KIND: ConfigKind = ConfigKind::Session;
}
impl SignInRecord for SignInName {
    const KIND: ConfigKind = ConfigKind::SignInName;
}
impl SignInRecord for ApiToken {
    const KIND: ConfigKind = ConfigKind::ApiToken;
}

impl Configuration {
    /// The record under `key`, with its version.
    pub async fn sign_in_record<T: SignInRecord>(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> Result<Option<Versioned<T>>, StoreError> {
        match self.store.get(tenant, T::KIND, key).await? {
            Some(stored) => Ok(Some(Versioned {
                value: decode(T::KIND, &stored)?,
                version: stored.version,
            })),
            None => Ok(None),
        }
    }

    /// Inserts a record; [`StoreError::Conflict`] if `key` is taken.
    pub async fn insert_sign_in_record<T: SignInRecord>(
        &self,
        tenant: &TenantId,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        self.store.insert(tenant, T::KIND, key, &encode(value)?).await
    }

    /// Replaces a record read at `version`; [`StoreError::Conflict`] if it changed since.
    pub async fn replace_sign_in_record<T: SignInRecord>(
        &self,
        tenant: &TenantId,
        key: &str,
        value: &T,
        version: u64,
    ) -> Result<u64, StoreError> {
        self.store.replace(tenant, T::KIND, key, &encode(value)?, version).await
    }

    /// Up to `limit` records of a kind after `after`, in key order.
    pub async fn sign_in_records<T: SignInRecord>(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<crate::ports::Page<T>, StoreError> {
        decode_page(T::KIND, self.store.list(tenant, T::KIND, after, limit).await?)
    }

    /// Deletes a record; `false` if there was none (someone else deleted it first).
    pub async fn delete_sign_in_record<T: SignInRecord>(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> Result<bool, StoreError> {
        self.store.delete(tenant, T::KIND, key).await
    }
}
