//! `GET /core/v1/accounts/self` (user.json).

use serde::{Deserialize, Serialize};

/// The authorized account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSelf {
    /// The `user_id` of every messenger path.
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Typed as a string, but its example is a number: both are read.
    #[serde(default, deserialize_with = "crate::de::opt_string_or_number")]
    pub phone: Option<String>,
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    #[serde(default)]
    pub profile_url: Option<String>,
}
