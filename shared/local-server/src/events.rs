//! The workspace's live updates on the local server: `GET /v1/events`, a server-sent event stream
//! of what changes in the caller's tenant (`{"conversation_id", "change"}`: `opened`, `message`,
//! `updated`, `closed`), so an open conversation, the lists and the badges update at once. A
//! comment every 15 seconds keeps proxies from closing it; a listener that fell behind is told
//! `resync` and reads the current state again. The caller is checked again every few seconds: the
//! stream ends when their session does (signed out, disabled, expired), as any request would.

use adapters::changes::{ChangeFeed, ConversationChanged};
use axum::Router;
use axum::extract::{FromRef, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream};
use http_api::{Authenticator, Caller};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// What the route needs.
#[derive(Clone)]
pub struct EventsState {
    pub feed: ChangeFeed,
    pub auth: Arc<Authenticator>,
}

impl FromRef<EventsState> for Arc<Authenticator> {
    fn from_ref(state: &EventsState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// `GET /v1/events`.
pub fn router(state: EventsState) -> Router {
    Router::new().route("/v1/events", get(events)).with_state(state)
}

/// How often a listening caller is checked again.
const RECHECK: Duration = Duration::from_secs(2);

/// The listener: the feed, whose it is, and how to check them again.
struct Listener {
    receiver: tokio::sync::broadcast::Receiver<ConversationChanged>,
    caller: Caller,
    auth: Arc<Authenticator>,
    /// The request's head without its body, to authenticate again.
    head: axum::http::request::Parts,
}

impl Listener {
    async fn still_signed_in(&self) -> bool {
        self.auth
            .authenticate(&self.head)
            .await
            .is_ok_and(|c| c.tenant == self.caller.tenant && c.user == self.caller.user)
    }
}

async fn events(
    State(s): State<EventsState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut request = axum::http::Request::new(());
    *request.headers_mut() = headers;
    let listener = Listener {
        receiver: s.feed.subscribe(),
        caller,
        auth: s.auth,
        head: request.into_parts().0,
    };
    let changes = stream::unfold(listener, |mut l| async move {
        loop {
            let next = tokio::time::timeout(RECHECK, l.receiver.recv()).await;
            match next {
                Err(_elapsed) => {
                    if !l.still_signed_in().await {
                        return None;
                    }
                }
                Ok(Ok(changed)) if changed.tenant == l.caller.tenant => {
                    if !l.still_signed_in().await {
                        return None;
                    }
                    let event = Event::default().event("conversation").data(changed.to_json());
                    return Some((Ok(event), l));
                }
                Ok(Ok(_)) => continue,
                Ok(Err(RecvError::Lagged(_))) => {
                    return Some((Ok(Event::default().event("resync").data("{}")), l));
                }
                Ok(Err(RecvError::Closed)) => return None,
            }
        }
    });
    Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
