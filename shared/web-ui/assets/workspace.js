// The operator workspace: «Мои обращения» and «Очередь» with counts, «Архив» (closed ones), the
// conversation (messages, reply with text or an image, topic, comments, take, complete), the client
// card, the candidate card, the listing, and notifications. Lists, counts and the open conversation
// update at once when the server says something changed (live.js: `/v1/events` locally, the
// WebSocket API on AWS); while that channel is down the screen says so and polls every few seconds. Keys for the day's work (KEYS; «?» lists them). Alerts (sound, desktop
// notification, the count in the tab's title) for what the operator should see (alertsFor).
import { all, api, get, idempotencyKey, patch, post, put } from "./api.js";
import { openLive } from "./live.js";
import { clearFieldErrors, confirmDialog, duration, h, show, showFieldErrors, submitting, toast, when } from "./view.js";

const POLL_MS = 3000;
/** A safety net while the live channel works: it alone keeps the screen current. */
const LIVE_POLL_MS = 60000;
const MAX_REPLY_CHARS = 1000;
const MAX_IMAGE_BYTES = 24 * 1024 * 1024;
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/heic", "image/heif"];
/** A client waiting longer than this for an answer is shown in red in the lists: 5 minutes. */
const LATE_MS = 5 * 60 * 1000;
/** Avito deletes a message of ours only within an hour of sending. */
const DELETE_WITHIN_MS = 60 * 60 * 1000;

let timer = null;
let events = null;
/** Which list and conversation the screen is on. */
const state = { view: "mine", conversationId: null };
/**
 * What each element shows now (keys of its content), so a refresh changes only what changed. Kept
 * per element: a late refresh of a screen already left cannot mark the new screen's as shown.
 */
const shown = new WeakMap();
const keyOf = (el, name) => shown.get(el)?.[name] ?? "";
const setKey = (el, name, value) => shown.set(el, { ...(shown.get(el) || {}), [name]: value });
/** The list of the screen now (an action in the conversation refreshes it too). */
let currentList = null;
/** Conversations this page changed itself lately (id → when): their take or return alerts no one. */
const actedOn = new Map();
const ACTED_MS = 10000;
/** Clients' names from the lists, for a desktop notification (reading the conversation would mark it read on Avito). */
const titles = new Map();

/** Names of the tenant's people, groups, bots and channels, so the screens never show an id. */
const names = { employees: new Map(), groups: new Map(), chatbots: new Map(), channels: new Map() };
/** Who works here: their employee id, whether an administrator, the groups they are in. */
const me = { employeeId: null, admin: false, groups: [] };

async function loadNames() {
  const [who, employees, groups, chatbots, channels] = await Promise.all([
    get("/v1/me"),
    all("/v1/employees"),
    all("/v1/groups"),
    all("/v1/chatbots").catch(() => []),
    all("/v1/channels").catch(() => []),
  ]);
  names.employees = new Map(employees.map((e) => [e.id, e.name]));
  names.groups = new Map(groups.map((g) => [g.id, g.name]));
  names.chatbots = new Map(chatbots.map((b) => [b.id, b.name]));
  names.channels = new Map(channels.map((c) => [c.id, c.name]));
  me.employeeId = who.employee_id || null;
  me.admin = who.role === "admin";
  // An administrator sees every queue.
  me.groups = groups.filter((g) => me.admin || (g.members || []).includes(me.employeeId)).map((g) => g.id);
}

const employeeName = (id) => names.employees.get(id) || "сотрудник не найден";
const groupName = (id) => names.groups.get(id) || "удалённой группы";

export function stopPolling() {
  clearInterval(timer);
  timer = null;
  events?.close();
  events = null;
  document.removeEventListener("keydown", onKey);
  document.removeEventListener("keydown", onGesture);
  document.removeEventListener("pointerdown", onGesture);
  document.title = "Авито — контакт-центр";
}

/**
 * The workspace's keys, by physical key (`event.code`) so they work in the Russian layout too (R is
 * К there). Single keys act only outside a field; Ctrl+Enter sends from the reply field.
 */
const KEYS = [
  { key: "R", code: "KeyR", what: "Ответить: перейти к полю ответа" },
  { key: "Ctrl+Enter", what: "Отправить ответ (из поля ответа)" },
  { key: "Esc", what: "Выйти из поля ответа" },
  { key: "T", code: "KeyT", what: "Взять в работу" },
  { key: "E", code: "KeyE", what: "Завершить обращение (клавиша ввода подтверждает)" },
  { key: "J", code: "KeyJ", what: "Следующее обращение в списке" },
  { key: "K", code: "KeyK", what: "Предыдущее обращение в списке" },
  { key: "?", what: "Эта подсказка" },
];
const keyOfAction = (code) => KEYS.find((k) => k.code === code).key;

function onKey(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.altKey || ev.metaKey) return;
  if (ev.target.closest?.("input, textarea, select, [contenteditable]") || document.querySelector("dialog[open]")) return;
  const click = (action) => document.querySelector(`.conversation-head button[data-action="${action}"]`)?.click();
  if (ev.key === "?") showKeys();
  else if (ev.code === "KeyR") document.querySelector("textarea.reply:not([disabled])")?.focus();
  else if (ev.code === "KeyT") click("take");
  else if (ev.code === "KeyE") click("complete-asking");
  else if (ev.code === "KeyJ") moveInList(1);
  else if (ev.code === "KeyK") moveInList(-1);
  else return;
  ev.preventDefault();
}

/** Opens the next (`step` 1) or previous (-1) conversation of the list. */
function moveInList(step) {
  const links = [...document.querySelectorAll("ul.conversations a")];
  if (!links.length) return;
  const at = links.findIndex((a) => a.parentElement.classList.contains("selected"));
  const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
  if (next !== at) location.hash = links[next].getAttribute("href");
}

function showKeys() {
  const dialog = h(
    "dialog",
    { class: "keys", "aria-label": "Клавиши" },
    h("h3", {}, "Клавиши"),
    h("table", {}, h("tbody", {}, KEYS.map((k) => h("tr", {}, h("td", {}, h("kbd", {}, k.key)), h("td", {}, k.what))))),
    h("p", { class: "muted small" }, "Буквы работают в любой раскладке и не срабатывают, пока вы печатаете в поле."),
    h("div", { class: "actions" }, h("button", { type: "button", autofocus: true, onclick: () => dialog.close() }, "Закрыть")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// ---------------------------------------------------------------------------------------------
// Alerts

/** What an operator may be alerted about; each can be switched off. */
const ALERT_KINDS = {
  assigned: { label: "Обращение назначено мне", title: "Вам назначено обращение" },
  client_message: { label: "Клиент написал в моём обращении", title: "Клиент написал" },
  queued: { label: "Новое обращение в очереди", title: "Новое обращение в очереди" },
};
const ALERTS_KEY = "avito-cc.alerts";
const isOperator = (hd, employeeId) => hd?.type === "operator" && !!employeeId && hd.employee_id === employeeId;
const sameHandler = (a, b) =>
  a?.type === b?.type && a?.employee_id === b?.employee_id && a?.group_id === b?.group_id && a?.chatbot_id === b?.chatbot_id;

/**
 * The alerts a live `conversation` event means for employee `me` in groups `myGroups`: assigned
 * (it came to me), client_message (a client wrote in one of mine), queued (it entered a queue I
 * see: the general one or my groups'). Needs the event's `handler`, `previous_handler` (when the
 * handler changed) and `message_author`; an event without them alerts nothing.
 */
export function alertsFor(event, me, myGroups = []) {
  const { change, handler, previous_handler: before, message_author: author } = event || {};
  if (!handler || change === "closed") return [];
  const entered = change === "opened" || (!!before && !sameHandler(before, handler));
  const kinds = [];
  if (entered && isOperator(handler, me)) kinds.push("assigned");
  if (change === "message" && author?.type === "client" && isOperator(handler, me)) kinds.push("client_message");
  const seen = handler.type === "general_queue" || (handler.type === "group_queue" && myGroups.includes(handler.group_id));
  if (entered && seen) kinds.push("queued");
  return kinds;
}

/** The operator's choice, kept in this browser: sound, desktop notifications, and each kind. */
function alertSettings() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(ALERTS_KEY) || "{}") || {};
  } catch {
    // Unreadable: the defaults.
  }
  const kinds = Object.fromEntries(Object.keys(ALERT_KINDS).map((k) => [k, saved.kinds?.[k] !== false]));
  return { sound: saved.sound !== false, desktop: saved.desktop !== false, kinds };
}

function saveAlertSettings(settings) {
  localStorage.setItem(ALERTS_KEY, JSON.stringify(settings));
}

/** Alerts not seen yet: in the tab's title until the operator clicks or types on the page. */
let unseen = 0;
const BASE_TITLE = "Обращения — Авито · контакт-центр";
function paintTitle() {
  document.title = unseen ? `(${unseen}) ${BASE_TITLE}` : BASE_TITLE;
}
/** A click or a key on the page: the alerts are seen, and sound may play (browsers allow it after one). */
function onGesture() {
  if (audio?.state === "suspended") audio.resume().catch(() => {});
  if (!unseen) return;
  unseen = 0;
  paintTitle();
}

let audio = null;
/** Two short tones, made by the Web Audio API (no sound file). */
function chime() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const start = audio.currentTime + 0.01;
  [880, 1320].forEach((frequency, i) => {
    const at = start + i * 0.16;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
    tone.connect(gain).connect(audio.destination);
    tone.start(at);
    tone.stop(at + 0.16);
  });
}

/** Alerts the operator about one live event, as they chose. */
function alertAbout(event) {
  const settings = alertSettings();
  const id = event.conversation_id;
  const mine = Date.now() - (actedOn.get(id) || 0) < ACTED_MS;
  const kinds = alertsFor(event, me.employeeId, me.groups).filter((k) => settings.kinds[k] && !(mine && k !== "client_message"));
  if (!kinds.length) return;
  unseen += 1;
  paintTitle();
  if (settings.sound) chime();
  if (settings.desktop && "Notification" in window && Notification.permission === "granted") {
    // Who: the event names the client (a new conversation is in no list yet), else the list's title.
    const who = event.client_name || titles.get(id) || "Авито · контакт-центр";
    const note = new Notification(ALERT_KINDS[kinds[0]].title, { body: who, tag: `conversation-${id}`, lang: "ru" });
    note.addEventListener("click", () => {
      window.focus();
      location.hash = `#/work/c/${encodeURIComponent(id)}`;
      note.close();
    });
  }
}

/** «Оповещения»: a popover with the switches. Permission for notifications is asked here, on a click. */
function alertsPopover() {
  const settings = alertSettings();
  const note = h("p", { class: "small muted", role: "status" });
  const permission = () => ("Notification" in window ? Notification.permission : "denied");
  const explain = () => {
    note.textContent =
      permission() === "denied" ? "Браузер не показывает уведомления этого сайта: разрешите их в настройках сайта." : permission() === "default" && settings.desktop ? "Браузер спросит разрешение, когда вы включите уведомления." : "";
  };
  const box = (label, checked, onchange) => h("label", { class: "check" }, h("input", { type: "checkbox", checked, onchange }), label);
  const desktop = box("Уведомления на рабочем столе", settings.desktop && permission() === "granted", async (ev) => {
    settings.desktop = ev.target.checked;
    if (settings.desktop && permission() === "default") await Notification.requestPermission();
    ev.target.checked = settings.desktop && permission() === "granted";
    saveAlertSettings(settings);
    explain();
  });
  explain();
  return h(
    "details",
    { class: "alerts" },
    h("summary", { title: "Звук и уведомления" }, "Оповещения"),
    h(
      "div",
      { class: "popover" },
      box("Звук", settings.sound, (ev) => {
        settings.sound = ev.target.checked;
        saveAlertSettings(settings);
        if (settings.sound) chime();
      }),
      desktop,
      note,
      h(
        "fieldset",
        {},
        h("legend", {}, "Когда"),
        Object.entries(ALERT_KINDS).map(([kind, { label }]) =>
          box(label, settings.kinds[kind], (ev) => {
            settings.kinds[kind] = ev.target.checked;
            saveAlertSettings(settings);
          }),
        ),
      ),
    ),
  );
}

function authorLabel(a, c) {
  switch (a?.type) {
    case "client":
      return c?.candidate?.full_name || c?.client?.name || "Клиент";
    case "operator":
      return employeeName(a.employee_id);
    case "account":
      return "Аккаунт (из приложения Авито)";
    case "bot":
      return names.chatbots.has(a.chatbot_id) ? `Чат-бот «${names.chatbots.get(a.chatbot_id)}»` : "Чат-бот";
    case "auto_reply":
      return "Автоответ";
    case "system":
      return "Система";
    default:
      return "";
  }
}

function handlerLabel(hd) {
  switch (hd?.type) {
    case "operator":
      return `у оператора ${employeeName(hd.employee_id)}`;
    case "group_queue":
      return `в очереди группы «${groupName(hd.group_id)}»`;
    case "general_queue":
      return "в общей очереди";
    case "chatbot":
      return names.chatbots.has(hd.chatbot_id) ? `у чат-бота «${names.chatbots.get(hd.chatbot_id)}»` : "у чат-бота";
    default:
      return "";
  }
}

/**
 * Why a message did not reach the client, by `delivery.code` (the API's `SendFailure`). Avito's
 * own English reason is kept for the tooltip only.
 */
const DELIVERY_TEXTS = {
  access_refused: "Авито отказало в доступе: переподключите канал",
  subscription_required: "Для этого Авито требует платную подписку",
  chat_not_found: "Авито не нашло этот чат",
  rejected: "Авито не приняло сообщение",
  rate_limited: "Слишком много запросов к Авито: отправьте позже",
  avito_unavailable: "Авито не ответило вовремя: сообщение могло дойти",
  unreadable_answer: "Непонятный ответ Авито: сообщение могло дойти",
  no_avito_chat: "Кандидат откликнулся по телефону: в Авито писать некуда, позвоните",
  channel_not_connected: "Канал не подключён к Авито",
  image_not_taken: "Авито не приняло изображение",
};
const deliveryText = (d) => DELIVERY_TEXTS[d.code] || "Авито не приняло сообщение";

function deliveryLabel(d) {
  if (!d) return null;
  if (d.state === "pending") return h("span", { class: "delivery pending" }, "отправляется…");
  if (d.state === "sent") return h("span", { class: "delivery sent", title: "Авито приняло сообщение" }, "✓ доставлено в Авито");
  return h("span", { class: "delivery failed", title: d.reason || null }, `✗ ${deliveryText(d)}${d.resendable ? "" : " (повтор может задвоить)"}`);
}

/** What to say when a sent message failed, from the message the API answers with; null when it did not. */
function failure(message) {
  const d = message?.delivery;
  return d?.state === "failed" ? deliveryText(d) : null;
}

/** A voice message: a button that asks for Avito's link (it lasts an hour) and plays it. */
function voiceView(m) {
  if (!m.content?.voice_id) return h("em", {}, "Голосовое сообщение");
  const box = h("span", { class: "voice" });
  const play = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: async () => {
        play.disabled = true;
        try {
          const link = await get(`/v1/conversations/${m.conversation_id}/messages/${m.id}/voice`);
          show(box, h("audio", { controls: true, autoplay: true, src: link.url, "aria-label": "Голосовое сообщение" }));
        } catch (e) {
          play.disabled = false;
          toast(e.message, "error");
        }
      },
    },
    "▶ Прослушать голосовое сообщение",
  );
  show(box, play);
  return box;
}

function contentView(m) {
  const c = m.content || {};
  switch (c.type) {
    case "text":
      return h("div", { class: "text" }, c.text);
    case "comment":
      return h("div", { class: "text" }, h("span", { class: "tag" }, "Комментарий"), " ", c.text);
    case "image":
      return c.url
        ? h("a", { href: c.url, target: "_blank", rel: "noopener", title: "Открыть в полном размере" }, h("img", { src: c.url, alt: "Изображение", class: "image", loading: "lazy" }))
        : h("em", {}, "Изображение");
    case "voice":
      return voiceView(m);
    case "link":
      return h("a", { href: c.url, target: "_blank", rel: "noopener" }, c.text || c.url || "Ссылка");
    case "item":
      return h("div", {}, "Объявление: ", c.url ? h("a", { href: c.url, target: "_blank", rel: "noopener" }, c.title || c.url) : c.title, c.price ? ` — ${c.price}` : "");
    case "location":
      return h("div", {}, "Геопозиция: ", c.text || `${c.lat}, ${c.lon}`);
    case "call":
      // Avito documents one status: "missed".
      return h("em", {}, c.status === "missed" ? "Пропущенный звонок" : "Звонок");
    case "system":
      return h("em", {}, c.text || "Системное сообщение Авито");
    case "deleted":
      return h("em", {}, "Сообщение удалено");
    case "unsupported":
      return h("em", {}, `Сообщение типа «${c.avito_type}»: откройте чат в Авито`);
    default:
      return h("em", {}, c.text || `Сообщение типа «${c.type}»`);
  }
}

/** A message's content in one short line, for a list row. */
function contentLine(content) {
  switch (content?.type) {
    case "text":
    case "system":
      return content.text || "";
    case "image":
      return "Изображение";
    case "voice":
      return "Голосовое сообщение";
    case "link":
      return `Ссылка: ${content.text || content.url || ""}`;
    case "item":
      return `Объявление: ${content.title || ""}`;
    case "location":
      return "Геопозиция";
    case "call":
      return content.status === "missed" ? "Пропущенный звонок" : "Звонок";
    case "deleted":
      return "Сообщение удалено";
    default:
      return "Сообщение";
  }
}

/** The conversation's last message (`last_message`, when the API gives it) as a preview line. */
function lastMessageLine(c) {
  const last = c.last_message;
  if (!last) return null;
  const a = last.author;
  const who = a?.type === "client" ? "" : a?.type === "operator" && a.employee_id === me.employeeId ? "Вы: " : `${authorLabel(a, c)}: `;
  return h("div", { class: "preview" }, who, contentLine(last.content));
}

/** «ждёт 5 минут»: red once over LATE_MS. `now` for a test. */
export function waitingBadge(since, now = Date.now()) {
  const waited = now - new Date(since).getTime();
  return h(
    "span",
    { class: `waiting${waited > LATE_MS ? " late" : ""}`, "data-since": since, title: `Клиент ждёт ответа с ${when(since)}` },
    `ждёт ${duration(waited)}`,
  );
}

/** Brings the waiting times in a list up to now, without drawing the list again. */
function repaintWaits(list) {
  for (const el of list.querySelectorAll(".waiting[data-since]")) el.replaceWith(waitingBadge(el.dataset.since));
}

function conversationTitle(c) {
  return c.candidate?.full_name || c.client?.name || "Клиент";
}

function conversationSubtitle(c) {
  if (c.candidate) return `Отклик: ${c.candidate.vacancy?.title || "вакансия"}`;
  return c.listing?.title || c.topic || "";
}

// ---------------------------------------------------------------------------------------------

export async function workspaceScreen(main, parts) {
  // The previous screen stops first: its late refreshes would mark this one's content as shown.
  stopPolling();
  paintTitle();
  const view = ["queue", "closed", "notifications"].includes(parts[0]) ? parts[0] : parts[0] === "c" ? state.view : "mine";
  state.view = view;
  state.conversationId = parts[0] === "c" ? decodeURIComponent(parts[1] || "") : null;

  const tabs = h("nav", { class: "tabs", "aria-label": "Списки" });
  const tools = h(
    "div",
    { class: "ws-tools" },
    alertsPopover(),
    h("button", { type: "button", class: "link", title: "Клавиши для работы (?)", "aria-keyshortcuts": "?", onclick: showKeys }, "⌨ Клавиши"),
  );
  const offline = h(
    "div",
    { class: "warning live-down", role: "status", hidden: true },
    "Нет мгновенных обновлений: экран обновляется раз в несколько секунд.",
  );
  const list = h("div", { class: "list", "aria-live": "polite" });
  currentList = list;
  const detail = h("div", { class: "detail" });
  show(main, h("div", { class: "workspace" }, h("aside", {}, offline, tools, tabs, list), detail));

  const refresh = async () => {
    const counts = await get("/v1/conversations/counts");
    show(
      tabs,
      tab("#/work/mine", "Мои обращения", counts.mine, view === "mine"),
      tab("#/work/queue", "Очередь", counts.queue, view === "queue"),
      tab("#/work/notifications", "Уведомления", counts.unread_notifications, view === "notifications"),
      h("a", { href: "#/work/closed", class: view === "closed" ? "active" : "" }, "Архив"),
    );
    if (view === "notifications") await notificationsList(list);
    else await conversationList(list, view);
    if (state.conversationId) await conversationView(detail, state.conversationId);
    else if (!detail.childElementCount) show(detail, h("p", { class: "muted empty" }, "Выберите обращение слева."));
  };
  await loadNames();
  await refresh();
  // Left meanwhile for another screen: that one listens.
  if (!main.isConnected) return;
  document.addEventListener("keydown", onKey);
  document.addEventListener("keydown", onGesture);
  document.addEventListener("pointerdown", onGesture);
  paintTitle();
  const tick = () =>
    refresh().catch((e) => {
      if (e.status === 401) {
        // The session ended (signed out elsewhere, disabled, expired): back to signing in.
        stopPolling();
        window.dispatchEvent(new CustomEvent("session-ended"));
      } else console.warn(e);
    });
  const every = (ms) => {
    clearInterval(timer);
    timer = setInterval(tick, ms);
  };
  every(POLL_MS);
  // Pushed changes: one refresh for a burst of them.
  let soon = null;
  const changed = () => {
    if (!soon) soon = setTimeout(() => ((soon = null), tick()), 50);
  };
  events = openLive({
    onUp: () => {
      offline.hidden = true;
      offline.dataset.live = "up";
      every(LIVE_POLL_MS);
      changed(); // What changed while the channel was down.
    },
    onDown: () => {
      offline.hidden = false;
      every(POLL_MS);
    },
    onEvent: (event) => {
      changed();
      if (event.change !== "resync") alertAbout(event);
    },
  });
}

function tab(href, label, count, active) {
  return h("a", { href, class: active ? "active" : "" }, label, " ", h("span", { class: "badge", "data-count": label }, String(count)));
}

async function conversationList(list, view) {
  const page = await get(`/v1/conversations?view=${view}&limit=100`);
  const items = page.items || [];
  for (const c of items) titles.set(c.id, conversationTitle(c));
  const key = JSON.stringify(items.map((c) => [c.id, c.last_activity_at, c.waiting_since, c.topic, c.last_message, c.closed_at, state.conversationId]));
  if (key === keyOf(list, "list")) return repaintWaits(list);
  setKey(list, "list", key);
  if (!items.length) {
    const empty = { queue: "В очереди никого нет.", closed: "Закрытых обращений пока нет." }[view] || "У вас нет открытых обращений.";
    show(list, h("p", { class: "muted empty" }, empty));
    return;
  }
  show(
    list,
    h(
      "ul",
      { class: "conversations" },
      items.map((c) =>
        h(
          "li",
          { class: c.id === state.conversationId ? "selected" : "" },
          h(
            "a",
            { href: `#/work/c/${encodeURIComponent(c.id)}`, "data-chat": c.chat_id },
            h("div", { class: "row-head" }, h("strong", {}, conversationTitle(c)), c.waiting_since && c.status === "open" ? waitingBadge(c.waiting_since) : null),
            lastMessageLine(c),
            h("div", { class: "muted small" }, [names.channels.get(c.channel_id), conversationSubtitle(c)].filter(Boolean).join(" · ")),
            h("div", { class: "muted small" }, c.closed_at ? `закрыто ${when(c.closed_at)}` : when(c.last_activity_at)),
          ),
        ),
      ),
    ),
  );
}

async function notificationsList(list) {
  const page = await get("/v1/notifications?limit=50");
  const items = page.items || [];
  const key = JSON.stringify(items.map((n) => [n.id, n.unread]));
  if (key === keyOf(list, "list")) return;
  setKey(list, "list", key);
  const newest = items[0];
  show(
    list,
    h(
      "div",
      { class: "list-actions" },
      newest && items.some((n) => n.unread)
        ? h(
            "button",
            {
              type: "button",
              onclick: async () => {
                await post("/v1/notifications/read", { read_until: newest.at });
                setKey(list, "list", "");
                await notificationsList(list);
              },
            },
            "Отметить прочитанными",
          )
        : null,
    ),
    items.length
      ? h(
          "ul",
          { class: "notifications" },
          items.map((n) =>
            h(
              "li",
              { class: n.unread ? "unread" : "" },
              n.conversation_id ? h("a", { href: `#/work/c/${encodeURIComponent(n.conversation_id)}` }, n.text) : n.text,
              h("div", { class: "muted small" }, when(n.at)),
            ),
          ),
        )
      : h("p", { class: "muted empty" }, "Уведомлений нет."),
  );
}

// ---------------------------------------------------------------------------------------------
// One conversation

async function conversationView(detail, id) {
  const path = `/v1/conversations/${encodeURIComponent(id)}`;
  // Polling reads the messages only: opening the conversation itself tells Avito the chat was
  // read, which is right when something new is shown, not every few seconds.
  const messages = await all(`${path}/messages`);
  const mKey = JSON.stringify(messages);
  if (keyOf(detail, "conversation") && mKey === keyOf(detail, "messages")) return;
  const c = await get(path);
  const firstShow = !keyOf(detail, "conversation");
  setKey(detail, "conversation", JSON.stringify(c));
  setKey(detail, "messages", mKey);
  const reload = async () => {
    setKey(detail, "conversation", "");
    if (currentList) setKey(currentList, "list", "");
    await conversationView(detail, id);
  };

  const open = c.status === "open";
  const inQueue = open && (c.handler?.type === "general_queue" || c.handler?.type === "group_queue");
  const canReturn = open && c.handler?.type === "operator" && (c.handler.employee_id === me.employeeId || me.admin);
  const header = h(
    "header",
    { class: "conversation-head" },
    h("h2", {}, conversationTitle(c)),
    h("div", { class: "muted" }, open ? `Открыто, ${handlerLabel(c.handler)}` : `Закрыто ${when(c.closed_at)}`),
    h(
      "div",
      { class: "actions" },
      inQueue
        ? h("button", { type: "button", class: "primary", "data-action": "take", title: `Клавиша ${keyOfAction("KeyT")}`, "aria-keyshortcuts": "T", onclick: () => take(id, reload) }, "Взять в работу")
        : null,
      canReturn ? returnControls(id, reload) : null,
      open ? h("button", { type: "button", "data-action": "complete", title: `Клавиша ${keyOfAction("KeyE")}`, "aria-keyshortcuts": "E", onclick: () => complete(id, reload) }, "Завершить") : null,
      // A single key is pressed by mistake more easily than a button: it asks first.
      open
        ? h("button", { type: "button", hidden: true, "data-action": "complete-asking", onclick: async () => {
            if (await confirmDialog("Завершить обращение?", "Клиенту уйдёт сообщение при закрытии, если оно включено в канале.", "Завершить", { focusConfirm: true })) await complete(id, reload);
          } })
        : null,
    ),
  );

  const thread = h(
    "ol",
    { class: "messages", "data-empty": messages.length ? null : "Сообщений пока нет" },
    messages.map((m) =>
      h(
        "li",
        { class: `message ${m.author?.type || ""} ${m.content?.type === "comment" ? "comment" : ""}`, "data-type": m.content?.type },
        h("div", { class: "meta" }, h("strong", {}, authorLabel(m.author, c)), " · ", when(m.created_at), " ", deliveryLabel(m.delivery)),
        contentView(m),
        messageActions(m, path, reload),
      ),
    ),
  );

  // Keep a half-written reply across refreshes, and the caret in it when it was there.
  const oldField = detail.querySelector("textarea.reply");
  const oldDraft = oldField?.value || "";
  const caret = oldField && document.activeElement === oldField ? [oldField.selectionStart, oldField.selectionEnd] : null;
  const composer = open ? replyComposer(id, oldDraft, reload, c, inQueue) : h("p", { class: "muted" }, "Обращение закрыто.");
  const side = h("div", { class: "side" }, topicBox(c, path, reload), listingBox(c), candidateBox(c), await clientCardBox(c, path, reload), await linksBox(c, path, reload), commentBox(path, reload));
  show(detail, header, h("div", { class: "conversation" }, h("div", { class: "thread" }, thread, composer), side));
  const field = detail.querySelector("textarea.reply");
  if (caret && field) {
    field.focus();
    field.setSelectionRange(...caret);
  }
  if (firstShow || messages.length) thread.lastElementChild?.scrollIntoView({ block: "nearest" });
}

/** Send again (a failure Avito proved it did not take) and delete (within Avito's hour). */
function messageActions(m, path, reload) {
  const d = m.delivery;
  const messagePath = `${path}/messages/${encodeURIComponent(m.id)}`;
  const resend =
    d?.state === "failed" && d.resendable
      ? h("button", { type: "button", class: "link", onclick: () => act(async () => {
          const sent = await post(`${messagePath}/resend`);
          toast(failure(sent) || "Отправлено снова", failure(sent) ? "error" : "info");
        }, reload) }, "Отправить снова")
      : null;
  const deletable = d?.state === "sent" && m.content?.type !== "deleted" && Date.now() - new Date(m.created_at).getTime() < DELETE_WITHIN_MS;
  const remove = deletable
    ? h("button", { type: "button", class: "link danger", onclick: async () => {
        if (!(await confirmDialog("Удалить сообщение?", "Сообщение исчезнет из чата клиента в Авито.", "Удалить"))) return;
        await act(async () => {
          await api("DELETE", messagePath);
          toast("Сообщение удалено");
        }, reload);
      } }, "Удалить")
    : null;
  return resend || remove ? h("div", { class: "message-actions" }, resend, remove) : null;
}

/** Runs `action`; an error goes to a toast; the conversation reloads either way. */
async function act(action, reload) {
  try {
    await action();
  } catch (e) {
    toast(e.message, "error");
  }
  await reload();
}

/** «Вернуть в очередь»: the general queue, or one of the caller's groups when they are in any. */
function returnControls(id, reload) {
  const groups = me.groups.filter((g) => names.groups.has(g));
  const where = groups.length
    ? h(
        "select",
        { "aria-label": "Куда вернуть" },
        h("option", { value: "" }, "в общую очередь"),
        groups.map((g) => h("option", { value: g }, `в очередь группы «${names.groups.get(g)}»`)),
      )
    : null;
  const send = async () => {
    actedOn.set(id, Date.now());
    const group = where?.value || null;
    await act(async () => {
      await post(`/v1/conversations/${encodeURIComponent(id)}/return`, group ? { group_id: group } : {});
      toast(group ? `Обращение возвращено в очередь группы «${names.groups.get(group)}»` : "Обращение возвращено в общую очередь");
    }, reload);
  };
  return [where, h("button", { type: "button", onclick: send }, "Вернуть в очередь")];
}

async function take(id, reload) {
  actedOn.set(id, Date.now());
  try {
    await post(`/v1/conversations/${encodeURIComponent(id)}/take`);
    toast("Обращение ваше");
  } catch (e) {
    toast(e.message, "error");
  }
  await reload();
}

async function complete(id, reload) {
  try {
    const done = await post(`/v1/conversations/${encodeURIComponent(id)}/complete`);
    const closing = done.closing_message === "sent" ? "сообщение при закрытии отправлено" : done.closing_message === "off" ? "без сообщения при закрытии" : "Авито не приняло сообщение при закрытии";
    toast(`Обращение завершено: ${closing}`);
  } catch (e) {
    toast(e.message, "error");
  }
  await reload();
}

function replyComposer(id, draft, reload, c, inQueue) {
  const path = `/v1/conversations/${encodeURIComponent(id)}`;
  const noChat = c.candidate && !c.candidate.has_chat;
  const text = h("textarea", { class: "reply", rows: 3, "aria-label": "Ответ клиенту", title: "Клавиша R — к полю ответа; Ctrl+Enter — отправить; Esc — выйти из поля", "aria-keyshortcuts": "R", placeholder: noChat ? "У отклика нет чата в Авито: позвоните кандидату" : "Ответ клиенту", disabled: noChat, "data-field": "text" }, draft);
  const counter = h("span", { class: "counter" });
  const count = () => {
    const n = [...text.value].length;
    counter.textContent = `${n} / ${MAX_REPLY_CHARS}`;
    counter.classList.toggle("over", n > MAX_REPLY_CHARS);
  };
  text.addEventListener("input", count);
  text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      text.form.requestSubmit();
    } else if (ev.key === "Escape") text.blur();
  });
  count();
  const summary = h("div", { class: "form-summary" });
  let key = idempotencyKey();
  return h(
    "form",
    {
      class: "composer",
      onsubmit: submitting(summary, async () => {
        if (!text.value.trim()) return;
        // A reply to a queued conversation takes it in the same write (the API does it).
        if (inQueue) actedOn.set(id, Date.now());
        const sent = await post(`${path}/messages`, { text: text.value, idempotency_key: key });
        text.value = "";
        key = idempotencyKey();
        const failed = failure(sent);
        if (failed) toast(failed, "error");
        await reload();
      }),
    },
    text,
    h(
      "div",
      { class: "composer-bar" },
      counter,
      h("label", { class: "button file" }, "Изображение…", h("input", { type: "file", accept: IMAGE_TYPES.join(","), hidden: true, disabled: noChat, onchange: (ev) => sendImage(path, ev.target, summary, reload) })),
      h("button", { type: "submit", class: "primary", disabled: noChat, title: "Ctrl+Enter в поле ответа", "aria-keyshortcuts": "Control+Enter" }, "Отправить"),
    ),
    inQueue ? h("p", { class: "takes-note" }, "Ответ возьмёт обращение на вас") : null,
    h("p", { class: "muted small" }, `Текст до ${MAX_REPLY_CHARS} символов. Авито принимает из файлов только изображения (JPEG, PNG, GIF, BMP, HEIC) до 24 МБ; документы отправить нельзя.`),
    summary,
  );
}

async function sendImage(path, input, summary, reload) {
  const file = input.files?.[0];
  input.value = "";
  if (!file) return;
  if (!IMAGE_TYPES.includes(file.type)) {
    show(summary, h("div", { class: "field-error", role: "alert" }, `«${file.name}» — не изображение. Авито принимает только JPEG, PNG, GIF, BMP и HEIC.`));
    return;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    show(summary, h("div", { class: "field-error", role: "alert" }, `«${file.name}» больше 24 МБ: Авито его не примет.`));
    return;
  }
  try {
    const sent = await api("POST", `${path}/images?idempotency_key=${idempotencyKey()}`, undefined, file);
    const failed = failure(sent);
    if (failed) toast(`Изображение не отправлено. ${failed}`, "error");
    await reload();
  } catch (e) {
    show(summary, h("div", { class: "field-error", role: "alert" }, e.message));
  }
}

/** A side box with one input: `send(value)` saves it, then the conversation reloads. */
function boxForm(title, input, label, send, reload) {
  const summary = h("div", { class: "form-summary" });
  return h(
    "form",
    {
      class: "box",
      onsubmit: submitting(summary, async () => {
        await send(input.value);
        await reload();
      }),
    },
    h("h3", {}, title),
    input,
    h("button", { type: "submit" }, label),
    summary,
  );
}

function topicBox(c, path, reload) {
  const topic = h("input", { value: c.topic || "", placeholder: "О чём обращение", "data-field": "topic", "aria-label": "Тема" });
  const save = async (value) => {
    await patch(path, { topic: value });
    toast("Тема сохранена");
  };
  return boxForm("Тема", topic, "Сохранить тему", save, reload);
}

function commentBox(path, reload) {
  const text = h("textarea", { rows: 2, placeholder: "Видят только сотрудники", "data-field": "text", "aria-label": "Комментарий" });
  return boxForm("Комментарий", text, "Добавить комментарий", (value) => post(`${path}/comments`, { text: value }), reload);
}

function listingBox(c) {
  if (!c.listing) return null;
  const l = c.listing;
  return h(
    "section",
    { class: "box listing" },
    h("h3", {}, "Объявление"),
    l.url ? h("a", { href: l.url, target: "_blank", rel: "noopener" }, l.title || `№${l.item_id}`) : h("span", {}, l.title || `№${l.item_id}`),
    l.price ? h("div", {}, l.price) : null,
  );
}

function candidateBox(c) {
  const k = c.candidate;
  if (!k) return null;
  const facts = (items) => h("dl", {}, items.flatMap((f) => [h("dt", {}, f.label), h("dd", {}, f.value)]));
  return h(
    "section",
    { class: "box candidate" },
    h("h3", {}, "Кандидат"),
    h("div", {}, h("strong", {}, k.full_name || "Имя не указано")),
    h("div", {}, "Вакансия: ", k.vacancy?.url ? h("a", { href: k.vacancy.url, target: "_blank", rel: "noopener" }, k.vacancy.title || "вакансия") : k.vacancy?.title || "—"),
    k.phones?.length ? h("div", {}, "Телефон: ", k.phones.join(", ")) : null,
    k.emails?.length ? h("div", {}, "Почта: ", k.emails.join(", ")) : null,
    k.has_chat ? null : h("div", { class: "warning" }, "Отклик без чата: свяжитесь по телефону."),
    k.resume
      ? h(
          "div",
          { class: "resume" },
          h("h4", {}, "Резюме: ", k.resume.url ? h("a", { href: k.resume.url, target: "_blank", rel: "noopener" }, k.resume.title || "открыть") : k.resume.title || ""),
          k.resume.description ? h("p", {}, k.resume.description) : null,
          k.resume.details?.length ? facts(k.resume.details) : null,
        )
      : null,
    k.questionnaire?.length ? h("div", {}, h("h4", {}, "Ответы на вопросы"), facts(k.questionnaire)) : null,
    k.notes?.length ? h("ul", { class: "notes" }, k.notes.map((n) => h("li", {}, n))) : null,
  );
}

async function clientCardBox(c, path, reload) {
  const cardId = c.client?.card_id;
  if (!cardId) return null;
  const cardPath = `/v1/client-cards/${encodeURIComponent(cardId)}`;
  let card;
  let history = [];
  try {
    [card, history] = await Promise.all([get(cardPath), all(`${cardPath}/conversations`)]);
  } catch (e) {
    return h("section", { class: "box" }, h("h3", {}, "Клиент"), h("p", { class: "muted" }, e.message));
  }
  const name = h("input", { value: card.name || "", "data-field": "name", "aria-label": "Имя" });
  const phones = h("input", { value: (card.phones || []).join(", "), "data-field": "phones", placeholder: "+7 900 000-00-00", "aria-label": "Телефоны" });
  const emails = h("input", { value: (card.emails || []).join(", "), "data-field": "emails", "aria-label": "Почта" });
  const split = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);
  const summary = h("div", { class: "form-summary" });
  const save = async (kind) => {
    clearFieldErrors(form);
    try {
      await put(cardPath, { name: name.value.trim(), phones: split(phones.value), emails: split(emails.value), ...(kind ? { kind } : {}) });
      toast(kind === "client" ? "Гость стал клиентом" : "Карточка сохранена");
      await reload();
    } catch (e) {
      showFieldErrors(form, e, summary);
    }
  };
  const form = h(
    "form",
    { class: "box client-card", onsubmit: (ev) => (ev.preventDefault(), save()) },
    h("h3", {}, card.kind === "guest" ? "Гость" : "Клиент"),
    h("label", {}, "Имя", name),
    h("label", {}, "Телефоны", phones),
    h("label", {}, "Почта", emails),
    summary,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Сохранить"),
      card.kind === "guest" ? h("button", { type: "button", class: "primary", onclick: () => save("client") }, "Сделать клиентом") : null,
    ),
    history.length > 1
      ? h(
          "div",
          { class: "history" },
          h("h4", {}, "История обращений"),
          h(
            "ul",
            {},
            history.map((hc) =>
              h("li", {}, hc.id === c.id ? h("strong", {}, "это обращение") : h("a", { href: `#/work/c/${encodeURIComponent(hc.id)}` }, conversationSubtitle(hc) || "обращение"), h("span", { class: "muted small" }, ` · ${when(hc.created_at)}${hc.status === "closed" ? " · закрыто" : ""}`)),
            ),
          ),
        )
      : null,
  );
  // Linking to another card: found by name or phone, never by typing an id.
  const query = h("input", { type: "search", placeholder: "Имя или телефон клиента", "aria-label": "Найти клиента" });
  const results = h("ul", { class: "found" });
  const link = h(
    "form",
    {
      class: "inline",
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const found = (await get(`/v1/client-cards?query=${encodeURIComponent(query.value.trim())}`)).items.filter((fc) => fc.id !== card.id);
          show(
            results,
            found.length
              ? found.map((fc) =>
                  h(
                    "li",
                    { "data-card": fc.name || "" },
                    h("strong", {}, fc.name || "Без имени"),
                    fc.phones?.length ? h("span", { class: "muted" }, ` · ${fc.phones.join(", ")}`) : null,
                    " ",
                    h(
                      "button",
                      {
                        type: "button",
                        onclick: async () => {
                          try {
                            await patch(path, { client_card_id: fc.id });
                            toast(`Обращение привязано к клиенту ${fc.name || ""}`);
                            await reload();
                          } catch (e) {
                            toast(e.message, "error");
                          }
                        },
                      },
                      "Привязать",
                    ),
                  ),
                )
              : h("li", { class: "muted" }, "Никого не нашлось"),
          );
        } catch (e) {
          show(results, h("li", { class: "field-error" }, e.status === 422 ? "Введите хотя бы 2 символа имени или телефона" : e.message));
        }
      },
    },
    query,
    h("button", { type: "submit" }, "Найти"),
  );
  form.append(h("details", {}, h("summary", {}, "Это другой клиент"), link, results));
  return form;
}

/** Links to a deal and an organization: choose one, create one, or unlink. */
async function linksBox(c, path, reload) {
  const [deals, orgs] = await Promise.all([all("/v1/deals"), all("/v1/organizations")]);
  const picker = (label, field, items, current, title, createPath, createField) => {
    const select = h("select", { "aria-label": label }, h("option", { value: "" }, "— нет —"), items.map((i) => h("option", { value: i.id, selected: i.id === current }, i[title])));
    const fresh = h("input", { placeholder: `Новая: название`, "aria-label": `Новая ${label.toLowerCase()}` });
    return h(
      "div",
      { class: "field" },
      h("span", {}, label),
      select,
      h("button", { type: "button", onclick: async () => { try { await patch(path, { [field]: select.value || null }); toast("Сохранено"); await reload(); } catch (e) { toast(e.message, "error"); } } }, "Привязать"),
      fresh,
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            if (!fresh.value.trim()) return;
            try {
              const made = await post(createPath, { [createField]: fresh.value.trim() });
              await patch(path, { [field]: made.id });
              toast("Создано и привязано");
              await reload();
            } catch (e) {
              toast(e.message, "error");
            }
          },
        },
        "Создать",
      ),
    );
  };
  return h(
    "section",
    { class: "box links" },
    h("h3", {}, "Сделка и организация"),
    picker("Сделка", "deal_id", deals, c.deal_id, "title", "/v1/deals", "title"),
    picker("Организация", "organization_id", orgs, c.organization_id, "name", "/v1/organizations", "name"),
  );
}
