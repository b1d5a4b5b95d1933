// The documented API on this origin (`/v1/...`). On the local server a person signed in is known
// by the session cookie (HttpOnly: this code never sees it), and a request that changes something
// also carries the session's CSRF token; on AWS by Cognito's ID token as a bearer token. Both are
// kept in memory only (never in storage or a URL).

export const session = {
  csrf: null,
  bearer: null,
  set(csrf) {
    this.csrf = csrf;
  },
  setBearer(token) {
    this.bearer = token;
  },
  clear() {
    this.csrf = null;
    this.bearer = null;
  },
};

/** An answer other than 2xx: `status`, the API's `code` and `message`, and failing `fields`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `Сервер ответил ${status}`);
    this.status = status;
    this.code = body?.error || "";
    this.fields = body?.fields || [];
  }
}

/** One request; the JSON answer (or null). `raw` sends a Blob/File as the body as it is. */
export async function api(method, path, body, raw) {
  const headers = {};
  if (session.bearer) headers.authorization = `Bearer ${session.bearer}`;
  else if (method !== "GET" && session.csrf) headers["x-csrf-token"] = session.csrf;
  let payload;
  if (raw) {
    payload = raw;
    headers["content-type"] = raw.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, { message: "Сервер недоступен. Проверьте соединение и повторите." });
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

/** Every item of a paged list (`items`, `next_cursor`). */
export async function all(path) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 50; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const data = await get(url);
    items.push(...(data.items || []));
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** `count` random bytes from the browser's generator, as hex. */
export function randomHex(count) {
  const bytes = new Uint8Array(count);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A key for a retried request to be recognised as the same one. */
export const idempotencyKey = () => randomHex(12);
