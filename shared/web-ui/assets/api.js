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

/** Russian for the codes of a 409 (`ConflictCode` in shared/domain/src/conflict.rs). */
const CONFLICT_TEXTS = {
  conversation_closed: "Обращение уже закрыто.",
  already_taken: "Обращение уже у другого оператора.",
  with_chatbot: "Обращение сейчас у чат-бота.",
  not_with_operator: "Обращение не у оператора: возвращать в очередь нечего.",
  not_with_this_chatbot: "Обращение не открыто с этим чат-ботом.",
  idempotency_key_reused: "Этот ключ повтора уже использован для другого сообщения. Обновите страницу и повторите.",
  responded_by_phone: "У отклика нет чата в Авито: позвоните кандидату.",
  no_avito_chat: "Написать нельзя: клиент ещё не открывал с вами чат в Авито.",
  may_have_been_delivered: "Авито могло получить это сообщение: повтор может его задвоить.",
  message_being_sent: "Сообщение уже отправляется.",
  message_already_sent: "Сообщение уже отправлено.",
  not_our_message: "Это не наше сообщение: повторить или удалить его нельзя.",
  delete_window_passed: "Авито позволяет удалить сообщение только в течение часа после отправки.",
  channel_not_connected: "Канал не подключён к Авито.",
  channel_connected: "Канал подключён к аккаунту Авито: сначала отключите его.",
  changed_meanwhile: "Не получилось: данные уже изменились. Обновите страницу и повторите.",
  still_in_use: "Это ещё указано в группах или настройках каналов: сначала измените их.",
  last_administrator: "Это последний администратор: сначала назначьте администратором кого-то ещё.",
  email_taken: "С этим e-mail уже входит другой сотрудник.",
  too_many_api_tokens: "Слишком много токенов доступа: сначала отзовите один.",
  employee_disabled: "Сотрудник отключён: включите его, чтобы пригласить.",
  stays_client: "Клиент не может снова стать гостем.",
  kind_never_changes: "Тип канала не меняется: создайте новый канал другого типа.",
  jobs_only: "«Только отклики с сообщением» — настройка каналов Авито Работа.",
};

/** A 403 has no finer code: the refusals an operator meets most, said more exactly. */
const FORBIDDEN_REASONS = [
  [/queue of a group you are not in/i, "Обращение в очереди группы, в которой вас нет."],
  [/a chatbot has the conversation/i, "Обращение у чат-бота: забрать его может администратор."],
];

function errorText(status, code, detail, fields) {
  if (code === "validation_failed" && fields?.length) return ERROR_TEXTS.validation_failed;
  if (code === "forbidden") {
    for (const [re, text] of FORBIDDEN_REASONS) if (re.test(detail)) return text;
  }
  if (CONFLICT_TEXTS[code]) return CONFLICT_TEXTS[code];
  if (ERROR_TEXTS[code]) return ERROR_TEXTS[code];
  // Written here in Russian (no code): as it is.
  if (detail && !/[A-Za-z]/.test(detail)) return detail;
  if (status === 409) return ERROR_TEXTS.conflict;
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
