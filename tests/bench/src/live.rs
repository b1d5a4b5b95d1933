//! Webhook → the operator's screen (issue 17): a client's message sent as Avito's webhook to the
//! local server (`make run`'s release binary, the sandbox as Avito), timed until a headless
//! workspace subscribed like the UI (`GET /v1/events`, server-sent events) hears of it, and until
//! it has read the conversation's messages again and found it there, as the workspace does on
//! an event. One message at a time, so each latency is the path's own, not a queue's.

use crate::throughput::{LocalServer, webhook};
use reqwest::Method;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Chats the messages go round (the first message of each opens its conversation).
const CHATS: u64 = 20;
/// Messages timed.
pub const MESSAGES: u64 = 400;

/// Latencies, each sorted: until the event arrived; until the message was read back.
pub struct Figures {
    pub heard: Vec<Duration>,
    pub shown: Vec<Duration>,
}

/// One `conversation` event as the workspace reads it: when it arrived, and its data.
struct Heard {
    at: Instant,
    data: Value,
}

/// Reads the event stream, sending each `conversation` event on.
async fn listen(mut stream: reqwest::Response, events: mpsc::UnboundedSender<Heard>) {
    let mut pending = String::new();
    while let Ok(Some(chunk)) = stream.chunk().await {
        let at = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let frame: String = pending.drain(..end + 2).collect();
            let mut name = "";
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if name == "conversation"
                && let Ok(data) = serde_json::from_str(&data)
                && events.send(Heard { at, data }).is_err()
            {
                return;
            }
        }
    }
}

pub async fn measure(local_binary: &Path) -> Result<Figures, String> {
    let server = LocalServer::start(local_binary, "live").await?;
    let path = server.connected_channel().await?;
    server.make_chats(0, CHATS).await?;
    let stream = server
        .request(Method::GET, "/v1/events")
        .send()
        .await
        .map_err(|e| format!("events: {e}"))?;
    if !stream.status().is_success() {
        return Err(format!("events: {}", stream.status()));
    }
    let (tx, mut events) = mpsc::unbounded_channel();
    let listener = tokio::spawn(listen(stream, tx));
    let webhook_url = server.url(&path);
    let http = reqwest::Client::new();
    let (mut heard, mut shown) = (Vec::new(), Vec::new());
    for n in 0..MESSAGES {
        // What arrived before (a card named, a listing read) is not this message's.
        while events.try_recv().is_ok() {}
        let sent = Instant::now();
        let resp = http
            .post(&webhook_url)
            .json(&webhook(n, n % CHATS))
            .send()
            .await
            .map_err(|e| format!("webhook: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("webhook: {}", resp.status()));
        }
        let event = loop {
            let e = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .map_err(|_| format!("no event for message {n} in 10 s"))?
                .ok_or("the event stream ended")?;
            if e.data["change"] == "message" {
                break e;
            }
        };
        heard.push(event.at.duration_since(sent));
        let id = event.data["conversation_id"]
            .as_str()
            .ok_or("an event without a conversation")?;
        let page: Value = server
            .request(Method::GET, &format!("/v1/conversations/{id}/messages?limit=200"))
            .send()
            .await
            .map_err(|e| format!("messages: {e}"))?
            .json()
            .await
            .map_err(|e| format!("messages: {e}"))?;
        let wanted = format!("bench-message-{n}");
        let found = page["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|m| m["id"] == wanted.as_str()));
        if !found {
            return Err(format!("message {n} was not in its conversation after its event"));
        }
        shown.push(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    listener.abort();
    heard.sort();
    shown.sort();
    Ok(Figures { heard, shown })
}
