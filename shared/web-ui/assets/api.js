// The documented API on this origin (`/v1/...`). On the local server a person signed in is known
// by the session cookie (HttpOnly: this code never sees it), and a request that changes something
// also carries the session's CSRF token; on AWS by Cognito's ID token as a bearer token. Both are
// kept in memory only (never in storage or a URL). An error answer becomes an ApiError whose message
// is Russian, by the API's error code.

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

/**
 * An answer other than 2xx: `status`, the API's `code`, failing `fields`, and `message` in Russian
 * for people (by code; the API's own English sentence is kept as `detail`, for logs and tooltips).
 */
export class ApiError extends Error {
  constructor(status, body) {
    const code = body?.code || body?.error || "";
    super(errorText(status, code, body?.message || "", body?.fields));
    this.status = status;
    this.code = code;
    this.detail = body?.message || "";
    this.fields = body?.fields || [];
    this.retryAfterSeconds = Number(/(\d+) seconds/.exec(this.detail)?.[1]) || null;
  }
}

/** Russian for the API's error codes (error.rs); `too_large` and `bad_gateway` are aliases. */
const ERROR_TEXTS = {
  bad_request: "Сервер не понял запрос. Обновите страницу и повторите.",
  unauthorized: "Сеанс завершён. Войдите снова.",
  forbidden: "Недостаточно прав для этого действия.",
  not_found: "Не найдено: возможно, это уже удалили. Обновите страницу.",
  conflict: "Не получилось: данные уже изменились. Обновите страницу и повторите.",
  payload_too_large: "Слишком большой запрос или файл.",
  too_large: "Слишком большой запрос или файл.",
  validation_failed: "Проверьте заполнение полей.",
  avito_error: "Авито ответило ошибкой. Повторите позже.",
  bad_gateway: "Авито ответило ошибкой. Повторите позже.",
  unavailable: "Сервис временно недоступен. Повторите через минуту.",
  internal: "Внутренняя ошибка сервера. Повторите позже.",
  csrf_failed: "Страница устарела: обновите её и повторите.",
  too_many_attempts: "Слишком много неудачных попыток. Попробуйте позже.",
  network: "Сервер недоступен. Проверьте соединение и повторите.",
};

/** The situations an operator meets most, said more exactly than the code alone says. */
const REASONS = [
  [/assigned to another operator|someone else has it|already (taken|assigned)/i, "Обращение уже у другого оператора."],
  [/queue of a group you are not in/i, "Обращение в очереди группы, в которой вас нет."],
  [/a chatbot has the conversation/i, "Обращение у чат-бота: забрать его может администратор."],
  [/the conversation is closed|is closed/i, "Обращение уже закрыто."],
  [/no Avito chat|responded by phone/i, "У отклика нет чата в Авито: позвоните кандидату."],
  [/over an hour ago|within an hour/i, "Авито позволяет удалить сообщение только в течение часа после отправки."],
  [/may have delivered|could duplicate/i, "Авито могло получить это сообщение: повтор может его задвоить."],
];

function errorText(status, code, detail, fields) {
  if (code === "validation_failed" && fields?.length) return ERROR_TEXTS.validation_failed;
  if (code === "conflict" || code === "forbidden") {
    for (const [re, text] of REASONS) if (re.test(detail)) return text;
  }
  if (ERROR_TEXTS[code]) return ERROR_TEXTS[code];
  // Written here in Russian (no code): as it is.
  if (detail && !/[A-Za-z]/.test(detail)) return detail;
  return status >= 500 ? ERROR_TEXTS.internal : `Не получилось (ошибка ${status}). Обновите страницу и повторите.`;
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
    throw new ApiError(0, { code: "network" });
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 200) };
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
