// The live channel: what changes in the tenant's conversations, pushed to this page (R-UI1).
//
//   import { openLive } from "./live.js";
//   const live = openLive({ onEvent, onUp, onDown });
//   ...
//   live.close();
//
// - onEvent(json): one change, the object the server sends: {"conversation_id", "change"
//   ("opened" | "message" | "updated" | "closed"), "handler"?, "previous_handler"?,
//   "message_author"?, "client_name"?}; or {"change": "resync"} when changes may have been
//   missed (read the current state again). The same objects on both servers.
// - onUp(): the channel works (again); what changed while it was down was not sent: read the
//   current state once.
// - onDown(): the channel is down; it reconnects by itself. Called when it goes down, not again
//   while it stays down.
// - close(): stops for good (no callback after it).
//
// Where it listens:
// - The local server (a person signed in with the session cookie): the server-sent event stream
//   `GET /v1/events` (events "conversation" and "resync"), as the workspace did before; the
//   browser's EventSource reconnects by itself.
// - AWS (a person signed in with Cognito: api.js holds a bearer token): API Gateway's WebSocket
//   API. A browser cannot send headers on a WebSocket, so each (re)connection first asks
//   `POST /v1/live/ticket` for a single-use ticket valid 60 seconds and the socket's address
//   (`{"ticket", "url"}`) and opens `url?ticket=…`. It reconnects after 1, 2, 4 … up to 30 seconds
//   (with jitter) and a fresh ticket: API Gateway closes every connection after 2 hours. It pings
//   every 5 minutes (`{"action":"ping"}`, answered `{"type":"pong"}`): API Gateway closes a
//   connection idle for 10. A ticket refused with 401 or 403 (the session ended, the employee
//   disabled) stops reconnecting: the page's own requests see the same answer.
import { post, session } from "./api.js";

const PING_MS = 5 * 60 * 1000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

/** The live channel; see the header for the contract. */
export function openLive({ onEvent, onUp, onDown }) {
  return session.bearer ? webSocket({ onEvent, onUp, onDown }) : eventStream({ onEvent, onUp, onDown });
}

function reader(onEvent) {
  return (text) => {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return;
    }
    if (data && typeof data === "object" && data.type !== "pong") onEvent(data);
  };
}

/** Calls `onUp`/`onDown` on changes of state only. */
function states(onUp, onDown) {
  let state = "starting";
  return {
    up() {
      state = "up";
      onUp();
    },
    down() {
      if (state !== "down") {
        state = "down";
        onDown();
      }
    },
  };
}

function eventStream({ onEvent, onUp, onDown }) {
  const read = reader(onEvent);
  const state = states(onUp, onDown);
  let closed = false;
  const events = new EventSource("/v1/events");
  events.addEventListener("open", () => closed || state.up());
  events.addEventListener("error", () => closed || state.down());
  events.addEventListener("conversation", (e) => closed || read(e.data));
  events.addEventListener("resync", () => closed || onEvent({ change: "resync" }));
  return {
    close() {
      closed = true;
      events.close();
    },
  };
}

function webSocket({ onEvent, onUp, onDown }) {
  const read = reader(onEvent);
  const state = states(onUp, onDown);
  let closed = false;
  let socket = null;
  let ping = null;
  let retry = null;
  let attempt = 0;

  const later = () => {
    if (closed) return;
    const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
    attempt += 1;
    retry = setTimeout(connect, wait / 2 + Math.random() * (wait / 2));
  };

  async function connect() {
    retry = null;
    let answer;
    try {
      answer = await post("/v1/live/ticket");
    } catch (e) {
      state.down();
      if (e.status !== 401 && e.status !== 403) later();
      return;
    }
    if (closed) return;
    let opened;
    try {
      opened = new WebSocket(`${answer.url}?ticket=${encodeURIComponent(answer.ticket)}`);
    } catch {
      state.down();
      later();
      return;
    }
    socket = opened;
    opened.addEventListener("open", () => {
      if (closed) return opened.close();
      attempt = 0;
      clearInterval(ping);
      ping = setInterval(() => opened.readyState === WebSocket.OPEN && opened.send('{"action":"ping"}'), PING_MS);
      state.up();
    });
    opened.addEventListener("message", (m) => closed || read(m.data));
    opened.addEventListener("close", () => {
      if (socket !== opened) return;
      clearInterval(ping);
      ping = null;
      socket = null;
      if (closed) return;
      state.down();
      later();
    });
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
      socket = null;
    },
  };
}
