//! Identifiers of the tenant and of its configuration entities. Each is a newtype that validates on
//! construction: 1 to 64 characters of `[A-Za-z0-9_-]`, so an id is safe inside a store key (which
//! uses `#` as a separator), a URL path and a schedule name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id we accept.
pub const MAX_ID_LEN: usize = 64;

/// What an id is, as a pattern (the OpenAPI document's): 1 to 64 of `[A-Za-z0-9_-]`.
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// Why a string is not an id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidId {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_ID_LEN} characters")]
    TooLong,
    #[error("may contain only latin letters, digits, '-' and '_'")]
    BadCharacter,
}

/// Whether `s` has the form of an id, and if not why.
pub fn check_id(s: &str) -> Result<(), InvalidId> {
    if s.is_empty() {
        return Err(InvalidId::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(InvalidId::TooLong);
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(InvalidId::BadCharacter);
    }
    Ok(())
}

/// Whether `s` has the form of an id (of any kind), for opaque values such as paging cursors.
pub fn is_valid_id(s: &str) -> bool {
    check_id(s).is_ok()
}

macro_rules! entity_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::id(false).description(Some($doc)).into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// Accepts 1 to 64 characters of `[A-Za-z0-9_-]`.
            pub fn parse(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                check_id(&s)?;
                Ok(Self(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

entity_id!(
    TenantId,
    "The contact-center account. Every record belongs to exactly one tenant."
);
entity_id!(EmployeeId, "An employee (operator) of the tenant.");
entity_id!(GroupId, "A group of employees.");
entity_id!(ChatbotId, "An external chatbot service registered by the tenant.");
entity_id!(ChannelGroupId, "A named set of channels.");
entity_id!(ChannelId, "One Avito or Avito Jobs channel.");
entity_id!(ConversationId, "A conversation (обращение).");
entity_id!(
    ClientCardId,
    "A client card (a guest card until an operator makes it a client)."
);
entity_id!(DealId, "A deal a conversation may be linked to.");
entity_id!(OrganizationId, "An organization a conversation may be linked to.");

impl TenantId {
    /// The partition of what belongs to the installation rather than to one tenant (which tenant
    /// an e-mail signs in to). No tenant is given an id starting with `_`.
    pub fn installation() -> Self {
        Self("_installation".to_owned())
    }

    /// Whether a tenant may have this id: not the installation's reserved ones.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with('_')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_latin_letters_digits_dash_and_underscore() {
        assert!(EmployeeId::parse("emp_01-ABC").is_ok());
        assert_eq!(EmployeeId::parse("x".repeat(64)).map(|i| i.as_str().len()), Ok(64));
    }

    #[test]
    fn ids_reject_empty_long_and_separator_characters() {
        assert_eq!(GroupId::parse(""), Err(InvalidId::Empty));
        assert_eq!(GroupId::parse("x".repeat(65)), Err(InvalidId::TooLong));
        for bad in ["a#b", "a b", "a/b", "иван", "a.b"] {
            assert_eq!(GroupId::parse(bad), Err(InvalidId::BadCharacter), "{bad}");
        }
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let ok: Result<ChannelId, _> = serde_json::from_str("\"ch-1\"");
        assert!(ok.is_ok());
        let bad: Result<ChannelId, _> = serde_json::from_str("\"ch#1\"");
        assert!(bad.is_err());
    }
}
