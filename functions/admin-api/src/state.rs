//! What the admin API's handlers share.

use adapters::configuration::Configuration;
use axum::extract::FromRef;
use http_api::Authenticator;
use std::sync::Arc;

/// The configuration store and the way callers are recognised.
#[derive(Clone)]
pub struct AdminState {
    pub config: Configuration,
    pub auth: Arc<Authenticator>,
}

impl AdminState {
    pub fn new(config: Configuration, auth: Authenticator) -> Self {
        Self {
            config,
            auth: Arc::new(auth),
        }
    }
}

impl FromRef<AdminState> for Arc<Authenticator> {
    fn from_ref(state: &AdminState) -> Self {
        Arc::clone(&state.auth)
    }
}
