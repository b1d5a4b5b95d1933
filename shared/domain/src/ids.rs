//! Identifiers of the tenant and of its configuration entities. Each is a newtype that validates on
//! construction: 1 to 64 characters of `[A-Za-z0-9_-]`, so an id is safe inside a store key (which
//! uses `#` as a separator), a URL path and a schedule name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id we accept.
pub const MAX_ID_LEN: usize = 64;

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

fn check_id(s: &str) -> Result<(), InvalidId> {
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
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

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
    /// The contact-center account. Every record belongs to exactly one tenant.
    TenantId
);
entity_id!(
    /// An employee (operator) of the tenant.
    EmployeeId
);

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
entity_id!(
    /// A group of employees.
    GroupId
);
entity_id!(
    /// An external chatbot service registered by the tenant.
    ChatbotId
);
entity_id!(
    /// A named set of channels.
    ChannelGroupId
);
entity_id!(
    /// One Avito or Avito Jobs channel.
    ChannelId
);
entity_id!(
    /// A conversation (обращение).
    ConversationId
);
entity_id!(
    /// A client card (a guest card until an operator makes it a client).
    ClientCardId
);
entity_id!(
    /// A deal a conversation may be linked to.
    DealId
);
entity_id!(
    /// An organization a conversation may be linked to.
    OrganizationId
);

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
