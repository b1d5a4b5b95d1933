// Administrator screens: channel groups and channels (connect, disconnect), a channel's
// settings, the working schedule, the deliveries that changed nothing and the messages from Avito
// that could not be processed (replayed from the dead-letter queue).
import { all, get, post, put } from "./api.js";
import { confirmDialog, h, plural, setTimeZone, show, showFieldErrors, submitting, toast, when } from "./view.js";

const STATUS = {
  not_connected: "Не подключён",
  connected: "Подключён",
  superseded: "Вытеснен",
  disconnected: "Отключён",
};
const KIND = { avito: "Авито Мессенджер", avito_jobs: "Авито Работа" };
const MAX_AUTO_REPLIES = 10;
const MAX_CLOSING_CHARS = 250;
const MAX_AUTO_REPLY_DELAY = 86400;

/** A small form: inputs and a submit button; `onSubmit` gets the form and its summary box. */
function inlineForm(title, inputs, label, onSubmit) {
  const summary = h("div", { class: "form-summary" });
  return h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(summary, onSubmit),
    },
    title ? h("strong", {}, title) : null,
    ...inputs,
    h("button", { type: "submit" }, label),
    summary,
  );
}

// ---------------------------------------------------------------------------------------------
// Channels

export async function channelsScreen(main) {
  const [groups, channels] = await Promise.all([all("/v1/channel-groups"), all("/v1/channels")]);
  const byId = new Map(channels.map((c) => [c.id, c]));
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const refresh = () => channelsScreen(main);

  const newGroupName = h("input", { name: "name", "data-field": "name", placeholder: "Например, Москва", required: true });
  const newGroup = inlineForm("Новая группа каналов", [newGroupName], "Создать группу", async () => {
    await post("/v1/channel-groups", { name: newGroupName.value.trim() });
    toast("Группа каналов создана");
    await refresh();
  });

  const groupCards = groups.map((g) => {
    const mine = channels.filter((c) => c.channel_group_id === g.id);
    const name = h("input", { name: "name", "data-field": "name", placeholder: "Название канала", required: true });
    const kind = h(
      "select",
      { name: "kind", "data-field": "kind", "aria-label": "Вид канала" },
      h("option", { value: "avito" }, KIND.avito),
      h("option", { value: "avito_jobs" }, KIND.avito_jobs),
    );
    const add = inlineForm(null, [name, kind], "Добавить канал", async () => {
      await post("/v1/channels", { name: name.value.trim(), kind: kind.value, channel_group_id: g.id });
      toast("Канал добавлен");
      await refresh();
    });
    return h(
      "section",
      { class: "card", "data-group": g.name },
      h("h2", {}, g.name),
      mine.length
        ? h(
            "table",
            { class: "channels" },
            h("thead", {}, h("tr", {}, h("th", {}, "Канал"), h("th", {}, "Тип"), h("th", {}, "Состояние"), h("th", {}, "Аккаунт Авито"), h("th", {}, ""))),
            h("tbody", {}, mine.map((c) => channelRow(c, byId, groupName, refresh))),
          )
        : h("p", { class: "muted" }, "В группе пока нет каналов."),
      add,
    );
  });

  show(
    main,
    h("h1", {}, "Каналы"),
    h(
      "p",
      { class: "muted" },
      "Каналы собраны в группы. Один аккаунт Авито работает в одном канале: подключение его в другой группе вытесняет прежний канал.",
    ),
    groupCards,
    h("section", { class: "card" }, newGroup),
  );
}

function channelRow(c, byId, groupName, refresh) {
  const account = c.account
    ? h("span", {}, c.account.profile_url ? h("a", { href: c.account.profile_url, target: "_blank", rel: "noopener" }, c.account.name) : c.account.name, h("span", { class: "muted" }, ` · №${c.account.id}`))
    : h("span", { class: "muted" }, "—");
  let warning = null;
  if (c.status === "superseded") {
    const other = byId.get(c.superseded_by);
    warning = h(
      "div",
      { class: "warning", role: "alert" },
      `Аккаунт подключён в другой группе каналов${other ? ` («${groupName.get(other.channel_group_id) || ""}», канал «${other.name}»)` : ""}: этот канал больше не получает обращения.`,
    );
  }
  if (c.needs_reauthorization) {
    warning = h(
      "div",
      { class: "warning", role: "alert" },
      "Авито больше не принимает ключи этого канала: ответы не отправляются. Подключите канал заново.",
    );
  }
  const connected = c.status === "connected";
  return h(
    "tr",
    { "data-channel": c.name },
    h("td", {}, c.name, warning),
    h("td", {}, KIND[c.kind] || c.kind),
    h("td", {}, h("span", { class: `status ${c.status}` }, STATUS[c.status] || c.status)),
    h("td", {}, account),
    h(
      "td",
      { class: "actions" },
      h("a", { href: `#/channels/${encodeURIComponent(c.id)}/settings`, class: "button" }, "Настройки"),
      connected && c.needs_reauthorization
        ? h("button", { type: "button", class: "primary", onclick: () => connectDialog(c, refresh) }, "Подключить заново")
        : null,
      connected
        ? h("button", { type: "button", class: "danger", onclick: () => disconnect(c, refresh) }, "Отключить")
        : h("button", { type: "button", class: "primary", onclick: () => connectDialog(c, refresh) }, "Подключить"),
    ),
  );
}

async function disconnect(c, refresh) {
  const sure = await confirmDialog(
    "Отключить канал?",
    `Канал «${c.name}» перестанет получать сообщения, подписка на уведомления Авито будет снята, а ключи доступа удалены. Чтобы подключить его снова, понадобится новая авторизация.`,
    "Отключить",
  );
  if (!sure) return;
  await post(`/v1/channels/${encodeURIComponent(c.id)}/disconnect`, { confirm: true });
  toast(`Канал «${c.name}» отключён`);
  await refresh();
}

function connectDialog(c, refresh) {
  const clientId = h("input", { name: "client_id", "data-field": "client_id", autocomplete: "off", required: true });
  const clientSecret = h("input", { name: "client_secret", "data-field": "client_secret", type: "password", autocomplete: "off", required: true });
  const summary = h("div", { class: "form-summary" });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  const keys = h(
    "form",
    {
      onsubmit: submitting(summary, async () => {
        const view = await post(`/v1/channels/${encodeURIComponent(c.id)}/connect`, {
          client_id: clientId.value.trim(),
          client_secret: clientSecret.value.trim(),
        });
        close();
        toast(`Подключён аккаунт «${view?.account?.name || ""}»`);
        await refresh();
      }),
    },
    h("h4", {}, "По ключам аккаунта"),
    h("p", { class: "muted" }, h("code", {}, "client_id"), " и ", h("code", {}, "client_secret"), " из раздела «Интеграции» кабинета Авито Про."),
    h("label", {}, h("code", {}, "client_id"), clientId),
    h("label", {}, h("code", {}, "client_secret"), clientSecret),
    summary,
    h("button", { type: "submit", class: "primary" }, "Подключить по ключам"),
  );
  const viaAvito = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: async () => {
        try {
          const started = await post(`/v1/channels/${encodeURIComponent(c.id)}/authorization`);
          location.href = started.authorize_url;
        } catch (e) {
          show(summary, h("div", { class: "field-error", role: "alert" }, e.message));
        }
      },
    },
    "Войти через Авито",
  );
  const dialog = h(
    "dialog",
    { class: "connect", "aria-label": "Подключение канала" },
    h("h3", {}, `Подключить «${c.name}»`),
    h("h4", {}, "Через страницу Авито"),
    h("p", { class: "muted" }, "Откроется страница Авито: выберите аккаунт и нажмите «Разрешить». После этого вы вернётесь сюда."),
    viaAvito,
    h("hr"),
    keys,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Закрыть")),
  );
  dialog.addEventListener("cancel", close);
  document.body.append(dialog);
  dialog.showModal();
}

// ---------------------------------------------------------------------------------------------
// Channel settings

/** `[{id, name}]` as `<option>`s, with a first empty choice. */
function options(items, selected, empty = "— выберите —") {
  return [h("option", { value: "" }, empty), ...items.map((i) => h("option", { value: i.id, selected: i.id === selected }, i.name || i.id))];
}

/** A receiver (employee, group, chatbot with fallback) or a fallback (employee, group). */
function receiverPicker(path, value, dir, { allowQueue, allowChatbot }) {
  const type = h("select", { "data-field": `${path}.type`, "aria-label": "Кому" });
  const kinds = [
    ...(allowQueue ? [["", "Общая очередь"]] : []),
    ["employee", "Сотрудник"],
    ["group", "Группа"],
    ...(allowChatbot ? [["chatbot", "Чат-бот"]] : []),
  ];
  for (const [v, label] of kinds) type.append(h("option", { value: v, selected: (value?.type || "") === v }, label));
  const employee = h("select", { "data-field": `${path}.employee_id`, "aria-label": "Сотрудник" }, options(dir.employees, value?.employee_id));
  const group = h("select", { "data-field": `${path}.group_id`, "aria-label": "Группа" }, options(dir.groups, value?.group_id));
  const chatbot = h("select", { "data-field": `${path}.chatbot_id`, "aria-label": "Чат-бот" }, options(dir.chatbots, value?.chatbot_id));
  const fallback = allowChatbot ? receiverPicker(`${path}.fallback`, value?.fallback, dir, { allowQueue: false, allowChatbot: false }) : null;
  const fallbackBox = fallback ? h("div", { class: "field nested" }, h("span", {}, "Если чат-бот недоступен или передаёт разговор:"), fallback.element) : null;
  const sync = () => {
    employee.hidden = type.value !== "employee";
    group.hidden = type.value !== "group";
    chatbot.hidden = type.value !== "chatbot";
    if (fallbackBox) fallbackBox.hidden = type.value !== "chatbot";
  };
  type.addEventListener("change", sync);
  sync();
  return {
    element: h("div", { class: "field receiver" }, type, employee, group, chatbot, fallbackBox),
    value() {
      switch (type.value) {
        case "employee":
          return { type: "employee", employee_id: employee.value || null };
        case "group":
          return { type: "group", group_id: group.value || null };
        case "chatbot":
          return { type: "chatbot", chatbot_id: chatbot.value || null, fallback: fallback.value() };
        default:
          return null;
      }
    },
  };
}

/** The auto-replies editor: add, edit, remove, reorder; each with its delay. */
function autoRepliesEditor(path, initial) {
  const list = h("ol", { class: "auto-replies", "data-field": path });
  // What each row holds. (Not a property of the <li>: `li.value` is the item's number.)
  const readers = new WeakMap();
  const addButton = h("button", { type: "button", onclick: () => add({ text: "", delay_seconds: 0 }) }, "Добавить автоответ");
  const rows = () => Array.from(list.children);
  const renumber = () => {
    rows().forEach((row, i) => {
      row.querySelector("textarea").dataset.field = `${path}[${i}].text`;
      row.querySelector("input").dataset.field = `${path}[${i}].delay_seconds`;
    });
    addButton.disabled = rows().length >= MAX_AUTO_REPLIES;
  };
  const add = (reply) => {
    const seconds = reply.delay_seconds || 0;
    const unit = seconds && seconds % 3600 === 0 ? 3600 : seconds && seconds % 60 === 0 ? 60 : 1;
    const text = h("textarea", { rows: 2, "aria-label": "Текст автоответа" }, reply.text || "");
    const amount = h("input", { type: "number", min: 0, step: 1, value: String(seconds / unit), "aria-label": "Задержка" });
    const unitSelect = h(
      "select",
      { "aria-label": "Единица задержки" },
      [1, 60, 3600].map((u) => h("option", { value: String(u), selected: u === unit }, { 1: "сек.", 60: "мин.", 3600: "ч." }[u])),
    );
    const row = h(
      "li",
      { class: "auto-reply" },
      h("label", { class: "field" }, "Текст", text),
      h("div", { class: "field delay" }, h("span", {}, "Через"), amount, unitSelect, h("span", { class: "muted" }, "после сообщения клиента")),
      h(
        "div",
        { class: "row-actions" },
        h("button", { type: "button", title: "Выше", "aria-label": "Выше", onclick: () => row.previousElementSibling?.before(row) || renumber() }, "↑"),
        h("button", { type: "button", title: "Ниже", "aria-label": "Ниже", onclick: () => row.nextElementSibling?.after(row) || renumber() }, "↓"),
        h("button", { type: "button", class: "danger", "aria-label": "Удалить", onclick: () => (row.remove(), renumber()) }, "Удалить"),
      ),
    );
    readers.set(row, () => ({ text: text.value, delay_seconds: Math.round(Number(amount.value || 0) * Number(unitSelect.value)) }));
    list.append(row);
    renumber();
  };
  // Reordering moves rows; renumber after every click so field paths follow the order.
  list.addEventListener("click", () => setTimeout(renumber));
  (initial || []).forEach(add);
  renumber();
  return {
    element: h("div", { class: "field" }, list, addButton, h("p", { class: "muted" }, `До ${MAX_AUTO_REPLIES} автоответов, задержка до суток; отправляются по порядку, пока клиенту не ответили.`)),
    value: () => rows().map((r) => readers.get(r)()),
  };
}

export async function settingsScreen(main, channelId) {
  const id = encodeURIComponent(channelId);
  const [channel, doc, employees, groups, chatbots] = await Promise.all([
    get(`/v1/channels/${id}`),
    get(`/v1/channels/${id}/settings`),
    all("/v1/employees"),
    all("/v1/groups"),
    all("/v1/chatbots"),
  ]);
  const dir = { employees, groups, chatbots };
  const wt = doc.working_time || {};
  const receiver = receiverPicker("working_time.receiver", wt.receiver, dir, { allowQueue: true, allowChatbot: true });
  const onlyWithMessage = h("input", { type: "checkbox", checked: wt.only_responses_with_message, "data-field": "working_time.only_responses_with_message" });
  const workingReplies = autoRepliesEditor("working_time.auto_replies", wt.auto_replies);

  const closing = doc.closing_message || {};
  const closingOn = h("input", { type: "checkbox", checked: closing.enabled, "data-field": "closing_message.enabled" });
  const closingText = h("textarea", { rows: 3, "data-field": "closing_message.text", "aria-label": "Текст сообщения при закрытии" }, closing.text || "");
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const count = () => {
    const n = [...closingText.value].length;
    counter.textContent = `${n} / ${MAX_CLOSING_CHARS}`;
    counter.classList.toggle("over", n > MAX_CLOSING_CHARS);
    closingText.disabled = !closingOn.checked;
  };
  closingText.addEventListener("input", count);
  closingOn.addEventListener("change", count);
  count();

  const nwt = doc.non_working_time || {};
  const nwtChoice = nwt.chatbot ? "chatbot" : nwt.auto_replies?.length ? "auto_replies" : "none";
  const radios = ["none", "chatbot", "auto_replies"].map((v) =>
    h("input", { type: "radio", name: "non_working_time", value: v, checked: v === nwtChoice }),
  );
  const nwtBot = receiverPicker("non_working_time.chatbot", nwt.chatbot ? { type: "chatbot", ...nwt.chatbot } : { type: "chatbot" }, dir, { allowQueue: false, allowChatbot: true });
  // Only a chatbot here: its type is fixed.
  nwtBot.element.querySelector("select").hidden = true;
  const nwtReplies = autoRepliesEditor("non_working_time.auto_replies", nwt.auto_replies);
  const nwtBotBox = h("div", { class: "nested" }, nwtBot.element);
  const nwtRepliesBox = h("div", { class: "nested" }, nwtReplies.element);
  const syncNwt = () => {
    const v = radios.find((r) => r.checked)?.value;
    nwtBotBox.hidden = v !== "chatbot";
    nwtRepliesBox.hidden = v !== "auto_replies";
  };
  radios.forEach((r) => r.addEventListener("change", syncNwt));
  syncNwt();

  const ac = doc.auto_close_after;
  // Auto-close is always on (R-CS6: after N hours or days, N > 0; 4 days unless set): no switch
  // that would pretend otherwise.
  const acValue = h("input", { type: "number", min: 1, step: 1, value: String(ac?.value || 4), "data-field": "auto_close_after.value", "aria-label": "Через сколько" });
  const acUnit = h(
    "select",
    { "data-field": "auto_close_after.unit", "aria-label": "Единица" },
    h("option", { value: "hours", selected: ac?.unit === "hours" }),
    h("option", { value: "days", selected: ac?.unit !== "hours" }),
  );
  // «1 час», «2 дня», «36 часов»: the unit agrees with the number as it is typed.
  const agree = () => {
    const n = Number(acValue.value) || 0;
    acUnit.options[0].textContent = plural(n, "час", "часа", "часов");
    acUnit.options[1].textContent = plural(n, "день", "дня", "дней");
  };
  acValue.addEventListener("input", agree);
  agree();

  const summary = h("div", { class: "form-summary" });
  const form = h(
    "form",
    {
      class: "settings",
      onsubmit: submitting(summary, async () => {
        const choice = radios.find((r) => r.checked)?.value;
        const bot = nwtBot.value();
        const next = {
          working_time: {
            receiver: receiver.value(),
            auto_replies: workingReplies.value(),
            ...(channel.kind === "avito_jobs" ? { only_responses_with_message: onlyWithMessage.checked } : {}),
          },
          closing_message: { enabled: closingOn.checked, text: closingText.value },
          // The form sends one of the two, never both.
          non_working_time:
            choice === "chatbot"
              ? { chatbot: { chatbot_id: bot?.chatbot_id || "", fallback: bot?.fallback || null } }
              : choice === "auto_replies"
                ? { auto_replies: nwtReplies.value() }
                : {},
          auto_close_after: { value: Number(acValue.value), unit: acUnit.value },
        };
        try {
          await put(`/v1/channels/${id}/settings`, next);
        } catch (e) {
          toast("Настройки не сохранены: проверьте поля", "error");
          throw e;
        }
        toast("Настройки сохранены");
        show(summary, h("div", { class: "saved", role: "status" }, "Сохранено"));
      }),
    },
    h("fieldset", {}, h("legend", {}, "Рабочее время"),
      h("div", { class: "field" }, h("span", {}, "Кто получает новые обращения"), receiver.element),
      channel.kind === "avito_jobs"
        ? h("label", { class: "check" }, onlyWithMessage, "Только отклики с сообщением (без сообщения отклик ждёт, пока кандидат напишет)")
        : null,
      h("div", { class: "field" }, h("span", {}, "Автоответы в рабочее время"), workingReplies.element),
    ),
    h("fieldset", {}, h("legend", {}, "Закрытие обращения"),
      h("label", { class: "check" }, closingOn, "Показывать сообщение при закрытии обращения"),
      h("label", { class: "field" }, h("span", {}, "Текст "), closingText, counter),
    ),
    h("fieldset", {}, h("legend", {}, "Нерабочее время"),
      h("p", { class: "muted" }, "Либо чат-бот, либо автоответы — не то и другое вместе."),
      h("label", { class: "check" }, radios[0], "Ничего: обращения ждут рабочего времени"),
      h("label", { class: "check" }, radios[1], "Чат-бот"),
      nwtBotBox,
      h("label", { class: "check" }, radios[2], "Автоответы"),
      nwtRepliesBox,
    ),
    h("fieldset", {}, h("legend", {}, "Автозакрытие"),
      h("div", { class: "field delay" }, h("span", {}, "Обращение без активности закрывается через"), acValue, acUnit),
      h("p", { class: "muted" }, "Активность — сообщения клиента и операторов; автоответы не продлевают обращение."),
    ),
    summary,
    h("div", { class: "actions" }, h("a", { href: "#/channels", class: "button" }, "К каналам"), h("button", { type: "submit", class: "primary" }, "Сохранить")),
  );
  show(main, h("h1", {}, `Настройки канала «${channel.name}»`), h("p", { class: "muted" }, KIND[channel.kind] || channel.kind), form);
}

// ---------------------------------------------------------------------------------------------
// Working schedule

const WEEKDAYS = [
  ["monday", "Понедельник"],
  ["tuesday", "Вторник"],
  ["wednesday", "Среда"],
  ["thursday", "Четверг"],
  ["friday", "Пятница"],
  ["saturday", "Суббота"],
  ["sunday", "Воскресенье"],
];

/** A day's intervals: rows of start–end, add and remove. */
function intervalsEditor(path, initial) {
  const list = h("div", { class: "intervals", "data-field": path });
  const renumber = () =>
    Array.from(list.children).forEach((row, i) => {
      row.querySelector(".start").dataset.field = `${path}[${i}].start`;
      row.querySelector(".end").dataset.field = `${path}[${i}].end`;
    });
  const add = (iv) => {
    const start = h("input", { class: "start", value: iv.start, placeholder: "09:00", size: 5, "aria-label": "Начало" });
    const end = h("input", { class: "end", value: iv.end, placeholder: "18:00", size: 5, "aria-label": "Конец" });
    const row = h("div", { class: "interval field" }, start, "—", end, h("button", { type: "button", "aria-label": "Удалить интервал", onclick: () => (row.remove(), renumber()) }, "✕"));
    row.value = () => ({ start: start.value.trim(), end: end.value.trim() });
    list.append(row);
    renumber();
  };
  (initial || []).forEach(add);
  return {
    element: h("div", {}, list, h("button", { type: "button", class: "link", onclick: () => add({ start: "09:00", end: "18:00" }) }, "+ интервал")),
    value: () => Array.from(list.children).map((r) => r.value()),
  };
}

export async function scheduleScreen(main) {
  let doc;
  try {
    doc = await get("/v1/schedule");
  } catch (e) {
    if (e.status !== 404) throw e;
    doc = { time_zone: "Europe/Moscow", weekly: {} };
  }
  const tz = h("input", { value: doc.time_zone, "data-field": "time_zone", list: "zones", "aria-label": "Часовой пояс" });
  // Russia's zones first, then every IANA zone the browser knows: typing filters the list.
  const russian = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka"];
  const everyZone = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const zones = h("datalist", { id: "zones" }, [...new Set([...russian, ...everyZone])].map((z) => h("option", { value: z })));
  const days = WEEKDAYS.map(([key, label]) => {
    const editor = intervalsEditor(`weekly.${key}`, doc.weekly?.[key]);
    return { key, label, editor };
  });
  const holidays = h("div", { class: "dated" });
  const addHoliday = (hd) => {
    const date = h("input", { type: "date", value: hd.date || "", "aria-label": "Дата" });
    const name = h("input", { value: hd.name || "", placeholder: "Название (необязательно)", "aria-label": "Название" });
    const row = h("div", { class: "field" }, date, name, h("button", { type: "button", "aria-label": "Удалить", onclick: () => row.remove() }, "✕"));
    row.value = () => ({ date: date.value, name: name.value.trim() || null });
    holidays.append(row);
  };
  (doc.holidays || []).forEach(addHoliday);
  const extra = h("div", { class: "dated" });
  const addExtra = (ed) => {
    const date = h("input", { type: "date", value: ed.date || "", "aria-label": "Дата" });
    const row = h("div", { class: "field" }, date);
    const ivs = intervalsEditor(`extra_working_dates[${extra.children.length}].intervals`, ed.intervals || [{ start: "10:00", end: "16:00" }]);
    row.append(ivs.element, h("button", { type: "button", "aria-label": "Удалить", onclick: () => row.remove() }, "✕"));
    row.value = () => ({ date: date.value, intervals: ivs.value() });
    extra.append(row);
  };
  (doc.extra_working_dates || []).forEach(addExtra);
  const number = (box, field) =>
    Array.from(box.children).forEach((row, i) => {
      row.querySelector('input[type="date"]').dataset.field = `${field}[${i}].date`;
    });

  const summary = h("div", { class: "form-summary" });
  const form = h(
    "form",
    {
      class: "schedule",
      onsubmit: submitting(summary, async () => {
        number(holidays, "holidays");
        number(extra, "extra_working_dates");
        const next = {
          time_zone: tz.value.trim(),
          weekly: Object.fromEntries(days.map((d) => [d.key, d.editor.value()])),
          holidays: Array.from(holidays.children).map((r) => r.value()),
          extra_working_dates: Array.from(extra.children).map((r) => r.value()),
        };
        await put("/v1/schedule", next);
        // Dates on every screen follow the tenant's time zone.
        setTimeZone(next.time_zone);
        toast("Расписание сохранено");
        show(summary, h("div", { class: "saved", role: "status" }, "Сохранено"));
      }),
    },
    h("label", { class: "field" }, h("span", {}, "Часовой пояс"), tz, zones),
    h("fieldset", {}, h("legend", {}, "Неделя"), h("p", { class: "muted" }, "Интервалы по дням; «22:00 — 06:00» идёт через полночь, «24:00» — конец суток. День без интервалов — выходной."),
      h("table", { class: "week" }, h("tbody", {}, days.map((d) => h("tr", {}, h("th", {}, d.label), h("td", {}, d.editor.element)))))),
    h("fieldset", {}, h("legend", {}, "Праздники и выходные дни"), holidays, h("button", { type: "button", class: "link", onclick: () => addHoliday({}) }, "+ дата")),
    h("fieldset", {}, h("legend", {}, "Рабочие дни вне недели (перенесённые)"), extra, h("button", { type: "button", class: "link", onclick: () => addExtra({}) }, "+ дата")),
    summary,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Сохранить расписание")),
  );
  show(main, h("h1", {}, "Расписание работы"), form);
}

/** What a replay did, for a toast. */
function replayedText(r) {
  switch (r.outcome) {
    case "stored":
      return "Доставка обработана: сообщение в обращении";
    case "duplicate":
      return "Это сообщение уже было сохранено";
    case "held":
      return "Отклик ждёт сообщения кандидата";
    default:
      return `Снова не обработано: ${r.reason || ""}`;
  }
}

/**
 * The messages from Avito that failed too often (the inbound dead-letter queue): how many wait,
 * and «Обработать снова», which sends them back to be processed; `replayed` is the last replay's
 * result, shown until the screen is left.
 */
async function deadLettersCard(replayed) {
  const card = h("section", { class: "card dead-letters", "aria-label": "Сообщения от Avito, которые не удалось обработать" });
  const result = replayed === undefined ? null : h("p", { role: "status" }, `Отправлено на обработку: ${replayed}`);
  let waiting;
  try {
    waiting = (await get("/v1/dead-letters")).waiting;
  } catch (e) {
    show(card, result, h("p", { class: "muted" }, "Не удалось узнать, есть ли сообщения от Avito, которые не удалось обработать."));
    return card;
  }
  if (!waiting) {
    show(card, result, h("p", { class: "muted" }, "Необработанных сообщений нет."));
    return card;
  }
  const replay = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: async () => {
        replay.disabled = true;
        try {
          const r = await post("/v1/dead-letters/replay", {});
          card.replaceWith(await deadLettersCard(r.replayed));
        } catch (e) {
          toast(e.message, "error");
          replay.disabled = false;
        }
      },
    },
    "Обработать снова",
  );
  show(
    card,
    result,
    h("p", {}, `${waiting} ${plural(waiting, "сообщение", "сообщения", "сообщений")} от Avito не удалось обработать`),
    h("p", { class: "muted small" }, "Обработка не удалась несколько раз подряд. Когда причина устранена, отправьте на обработку снова."),
    h("div", { class: "actions" }, replay),
  );
  return card;
}

/** Deliveries from Avito that changed nothing: why, and a replay; and the messages that could not be processed. */
export async function ignoredScreen(main) {
  const [page, deadLetters] = await Promise.all([get("/v1/ignored-deliveries?limit=100"), deadLettersCard()]);
  const refresh = () => ignoredScreen(main);
  const rows = page.items.map((d) =>
    h(
      "tr",
      {},
      h("td", {}, when(d.received_at)),
      h("td", {}, d.channel_name || "канал удалён"),
      h("td", {}, d.reason),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: async (ev) => {
              ev.target.disabled = true;
              try {
                const r = await post(`/v1/ignored-deliveries/${encodeURIComponent(d.id)}/replay`, {});
                toast(replayedText(r), r.outcome === "ignored" ? "error" : "info");
              } catch (e) {
                toast(e.message, "error");
              }
              await refresh();
            },
          },
          "Повторить",
        ),
      ),
    ),
  );
  show(
    main,
    h("h1", {}, "Необработанные доставки"),
    h(
      "p",
      { class: "muted" },
      "Доставки Авито, которые ничего не изменили, с причиной. Повтор обрабатывает доставку заново, как если бы она пришла сейчас.",
    ),
    deadLetters,
    h(
      "section",
      { class: "card" },
      rows.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "Получена"), h("th", {}, "Канал"), h("th", {}, "Причина"), h("th", {}, ""))),
            h("tbody", {}, rows),
          )
        : h("p", { class: "muted" }, "Все доставки Авито обработаны."),
    ),
  );
}
