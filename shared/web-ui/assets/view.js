// Small helpers for building the screens: elements, messages, dates in the tenant's time zone, Russian
// plural forms and durations, and the API's field errors in Russian.

/** An element: `h("button", {class: "x", onclick}, "Текст", child...)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces what `parent` shows. */
export function show(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** The tenant's time zone (from the working schedule), for every date shown. */
let timeZone = "Europe/Moscow";
export function setTimeZone(tz) {
  if (tz) timeZone = tz;
}
export function getTimeZone() {
  return timeZone;
}

/** A date and time as people in the tenant read it: «25.11.2026, 10:05». */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(d);
}

/** A passing message at the top of the screen. */
export function toast(text, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(el);
  setTimeout(() => el.remove(), 6000);
}

/**
 * A modal confirmation; resolves true when confirmed. Focus starts on «Отмена», or on the
 * confirming button with `focusConfirm` (Enter confirms: for an action asked for by a key).
 */
export function confirmDialog(title, text, confirmLabel, { focusConfirm = false } = {}) {
  return new Promise((resolve) => {
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-label": title },
      h("h3", {}, title),
      h("p", {}, text),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => close(false) }, "Отмена"),
        h("button", { type: "button", class: "danger", autofocus: focusConfirm, onclick: () => close(true) }, confirmLabel),
      ),
    );
    dialog.addEventListener("cancel", () => close(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Shows the API's field errors next to the inputs whose `data-field` names them (the same path
 * the API reports: `closing_message.text`, `working_time.auto_replies[1].delay_seconds`); those
 * without an input go into `summary`.
 */
export function showFieldErrors(form, error, summary) {
  clearFieldErrors(form);
  const unplaced = [];
  for (const f of error.fields || []) {
    // The field itself, or the first input inside it (`weekly.monday[1]` → its start).
    const input =
      form.querySelector(`[data-field="${CSS.escape(f.field)}"]`) ||
      form.querySelector(`[data-field^="${CSS.escape(f.field)}."], [data-field^="${CSS.escape(f.field)}["]`);
    if (input) {
      input.classList.add("invalid");
      input.setAttribute("aria-invalid", "true");
      const note = h("div", { class: "field-error", role: "alert", title: f.message }, fieldText(f));
      input.closest("label, .field")?.append(note) ?? input.after(note);
    } else {
      unplaced.push(fieldText(f));
    }
  }
  // An ApiError's message is Russian already; another error's (a fault here) is said generally.
  const said = /[A-Za-z]/.test(error.message || "") ? "Не получилось. Обновите страницу и повторите." : error.message;
  const lines = unplaced.length ? unplaced : error.fields?.length ? [] : [said];
  show(summary, ...lines.map((l) => h("div", { class: "field-error", role: "alert" }, l)));
}

/**
 * A form's submit handler: clears the last attempt's errors, runs `action(form)`, and shows the
 * API's field errors (and any other error) if it fails.
 */
export function submitting(summary, action) {
  return async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    clearFieldErrors(form);
    show(summary);
    try {
      await action(form);
    } catch (e) {
      showFieldErrors(form, e, summary);
    }
  };
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll(".invalid").forEach((e) => {
    e.classList.remove("invalid");
    e.removeAttribute("aria-invalid");
  });
}

/** «N символов» after «не больше», «до»: the genitive («1 символа», «5 символов»). */
const chars = (n) => count(n, "символа", "символов", "символов");

/** What a list holds, by the last part of its path, for `too_many` and `too_few` (genitive). */
const LIST_NOUNS = [
  [/auto_replies$/, ["автоответа", "автоответов", "автоответов"]],
  [/^weekly\.\w+$|intervals$/, ["интервала", "интервалов", "интервалов"]],
  [/members$/, ["участника", "участников", "участников"]],
  [/holidays$|extra_working_dates$/, ["даты", "дат", "дат"]],
  [/phones$/, ["телефона", "телефонов", "телефонов"]],
  [/emails$/, ["адреса", "адресов", "адресов"]],
];

function listCount(field, n) {
  const forms = LIST_NOUNS.find(([re]) => re.test(field || ""))?.[1];
  return forms ? count(n, ...forms) : String(n);
}

/** A number's unit, by the field's name, for `out_of_range` («до 86400 секунд»). */
const rangeEnd = (field, n) => (/seconds$/.test(field || "") ? count(n, "секунды", "секунд", "секунд") : String(n));

/** Field errors said more exactly for one field than the code says in general: `field:code`. */
const FIELD_OVERRIDES = {
  "closing_message.text:required": () => "Введите текст: сообщение при закрытии включено",
  "email:required": () => "Укажите e-mail сотрудника: с ним он будет входить",
  "working_time.only_responses_with_message:not_applicable": () => "Только для каналов Авито Работа",
  "non_working_time:mutually_exclusive": () => "Выберите что-то одно: чат-бот или автоответы",
};

/**
 * Russian for the API's field error codes (`FieldError.code` in the API's schema), with the
 * numbers the error carries (`min`, `max`).
 */
const FIELD_TEXTS = {
  required: () => "Заполните поле",
  blank: () => "Заполните поле",
  too_short: (f) => `Не короче ${chars(f.min)}`,
  too_long: (f) => `Не больше ${chars(f.max)}`,
  length_out_of_range: (f) => `Введите от ${f.min} до ${chars(f.max)}`,
  invalid_text: (f) => `Не больше ${chars(f.max)}, без служебных знаков`,
  too_many: (f) => `Не больше ${listCount(f.field, f.max)}`,
  too_few: (f) => (/intervals$/.test(f.field || "") ? `Добавьте хотя бы ${count(f.min, "интервал", "интервала", "интервалов")}` : `Нужно хотя бы ${f.min}`),
  out_of_range: (f) => `Число от ${f.min} до ${rangeEnd(f.field, f.max)}`,
  not_an_id: () => "Выберите значение из списка",
  not_found: () => "Такого больше нет: выберите значение из списка",
  not_allowed: () => "Выберите значение из списка",
  invalid_email: () => "Введите e-mail, например operator@example.ru",
  invalid_phone: () => "Введите номер телефона",
  invalid_time: (f) => (/\.end$/.test(f.field || "") ? "Время ЧЧ:ММ от 00:01 до 24:00" : "Время ЧЧ:ММ от 00:00 до 23:59"),
  invalid_date: () => "Дата вида ГГГГ-ММ-ДД",
  invalid_time_zone: () => "Выберите часовой пояс из списка",
  invalid_url: () => "Адрес вида https://bot.example.ru/events",
  private_address: () => "Нужен публичный адрес: внутренние и локальные адреса запрещены",
  duplicate: () => "Указано дважды",
  not_in_order: () => "Не меньше задержки предыдущего автоответа: они отправляются по порядку",
  overlaps: () => "Пересекается с другим интервалом этого дня",
  empty_interval: () => "Начало и конец должны различаться (00:00–24:00 — весь день)",
  also_a_holiday: () => "Эта дата уже выходная; выберите одно",
  mutually_exclusive: () => "Выберите что-то одно",
  not_applicable: () => "Здесь это не применяется: уберите значение",
  stays_client: () => "Клиент не может снова стать гостем",
  invalid_secret: (f) => `От ${f.min} до ${chars(f.max)} без пробелов`,
  reserved_prefix: () => "Такое начало зарезервировано: измените значение",
  empty_file: () => "Файл пустой",
  file_too_large: () => "Изображение больше 24 МБ — это предел Авито",
  not_an_image: () => "Авито отправляет только изображения (JPEG, PNG, GIF, BMP, HEIC): поделитесь ссылкой в сообщении",
  confirmation_required: () => "Подтвердите действие",
  credentials_rejected: () => "Авито не приняло эти ключи приложения",
  refused: () => "Значение не принято: проверьте его",
};

/**
 * A field error (`{field, code, message, min, max}`) in Russian, by its code; a code not known
 * here is said generally (the English `message` stays in a tooltip).
 */
export function fieldText(f) {
  const say = FIELD_OVERRIDES[`${f.field}:${f.code}`] || FIELD_TEXTS[f.code];
  return say ? say(f) : "Неверное значение";
}

/**
 * The Russian word form for `n`: `plural(n, "час", "часа", "часов")` → «час» for 1, 21, «часа»
 * for 2–4, 22–24, «часов» for 0, 5–20, 25… (11–14 are «many»).
 */
export function plural(n, one, few, many) {
  const abs = Math.abs(Math.trunc(n));
  const ten = abs % 10;
  const hundred = abs % 100;
  if (ten === 1 && hundred !== 11) return one;
  if (ten >= 2 && ten <= 4 && (hundred < 12 || hundred > 14)) return few;
  return many;
}

/** `n` and its word: «21 минута», «3 обращения». */
export const count = (n, one, few, many) => `${n} ${plural(n, one, few, many)}`;

/** A duration in words, the largest unit only: «меньше минуты», «5 минут», «2 часа», «3 дня». */
export function duration(ms) {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return "меньше минуты";
  if (minutes < 60) return count(minutes, "минуту", "минуты", "минут");
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return count(hours, "час", "часа", "часов");
  return count(Math.floor(hours / 24), "день", "дня", "дней");
}
