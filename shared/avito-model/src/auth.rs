//! `POST /token` (authorization.json): form requests for the three grants, and the token answer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The token answer. `refresh_token` and `scope` come only with authorization_code and
/// refresh_token grants; client_credentials tokens are simply requested again.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds; the spec types it as a number (int32 format), so accept a float too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &crate::redacted(&self.refresh_token))
            .field("scope", &self.scope)
            .finish()
    }
}

/// Avito's OAuth error answer (`{"error": "invalid_grant", "error_description": ...}`), as far as
/// it is known; every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
