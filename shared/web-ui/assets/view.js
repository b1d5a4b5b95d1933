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
      const note = h("div", { class: "field-error", role: "alert", title: f.message }, ru(f.message, f.code));
      input.closest("label, .field")?.append(note) ?? input.after(note);
    } else {
      unplaced.push(ru(f.message, f.code));
    }
  }
  const lines = unplaced.length ? unplaced : error.fields?.length ? [] : [ru(error.message, error.code)];
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

/** The API's field messages in Russian (an unknown one is shown as the API wrote it). */
const MESSAGES = [
  [/^must not be empty$/, () => "Заполните поле"],
  [/^must be at most (\d+) characters \(it has (\d+)\)$/, (m) => `Не больше ${count(m[1], "символа", "символов", "символов")} (сейчас ${m[2]})`],
  [/^must be at most (\d+) characters$/, (m) => `Не больше ${count(m[1], "символа", "символов", "символов")}`],
  [/^must be greater than 0$/, () => "Должно быть больше нуля"],
  [/^must be at most (\d+) \(one year\)$/, (m) => `Не больше ${m[1]} (один год)`],
  [/^must be from 0 to (\d+) seconds \(one day\)$/, (m) => `От 0 до ${m[1]} секунд (одни сутки)`],
  [/^must not be shorter than the previous/, () => "Не меньше задержки предыдущего автоответа: они отправляются по порядку"],
  [/^at most (\d+) auto-replies$/, (m) => `Не больше ${count(m[1], "автоответа", "автоответов", "автоответов")}`],
  [/^is not a valid id/, () => "Выберите значение из списка"],
  [/^is required when the closing message is on$/, () => "Введите текст: сообщение при закрытии включено"],
  [/^must be a time HH:MM from 00:00 to 23:59$/, () => "Время ЧЧ:ММ от 00:00 до 23:59"],
  [/^must be a time HH:MM from 00:01 to 24:00$/, () => "Время ЧЧ:ММ от 00:01 до 24:00"],
  [/^overlaps another interval of the same day$/, () => "Пересекается с другим интервалом этого дня"],
  [/^must be an IANA time zone name/, () => "Часовой пояс вида Europe/Moscow"],
  [/^must be a date YYYY-MM-DD$/, () => "Дата вида ГГГГ-ММ-ДД"],
  [/^this date is listed twice$/, () => "Эта дата указана дважды"],
  [/^this date is also a holiday/, () => "Эта дата уже выходная; выберите одно"],
  [/^at most (\d+) intervals a day$/, (m) => `Не больше ${count(m[1], "интервала", "интервалов", "интервалов")} в день`],
  [/^must be at least (\d+) characters$/, (m) => `Не короче ${count(m[1], "символа", "символов", "символов")}`],
  [/^must not be only spaces$/, () => "Не только пробелы"],
  [/^must be an e-mail address/, () => "Введите e-mail, например operator@example.ru"],
  [/^the employee needs an e-mail to sign in/, () => "Укажите e-mail сотрудника: с ним он будет входить"],
  [/^another account already signs in with this e-mail$/, () => "С этим e-mail уже входит другой сотрудник"],
  [/^this is the last administrator who can sign in/, () => "Это последний администратор: сначала назначьте администратором кого-то ещё"],
  [/^this employee is disabled; enable them before inviting$/, () => "Сотрудник отключён: включите его, чтобы пригласить"],
  [/^this employee is still used by (.*)$/, () => "Сотрудник ещё указан в группах или настройках каналов: сначала уберите его оттуда"],
  [/^this group is still used by (.*)$/, () => "Группа ещё указана в настройках каналов: сначала измените их"],
  [/^this chatbot is still used by (.*)$/, () => "Чат-бот ещё указан в настройках каналов: сначала измените их"],
  [/^must be an absolute http:\/\/ or https:\/\/ URL$/, () => "Адрес вида https://bot.example.ru/events"],
  [/^no such (employee|group|chatbot)/, (m) => ({ employee: "Нет такого сотрудника", group: "Нет такой группы", chatbot: "Нет такого чат-бота" })[m[1]]],
];

/**
 * A field error in Russian: by its `code` when the API gives one (none does yet), else by the
 * English message; one not known here is said generally (the English stays in a tooltip).
 */
export function ru(message, code) {
  if (code && FIELD_CODES[code]) return FIELD_CODES[code];
  for (const [re, say] of MESSAGES) {
    const m = re.exec(message || "");
    if (m) return say(m);
  }
  return /[A-Za-z]/.test(message || "") ? "Неверное значение" : message;
}

const FIELD_CODES = {
  required: "Заполните поле",
  too_long: "Слишком длинно",
  too_short: "Слишком коротко",
  invalid: "Неверное значение",
  unknown_reference: "Выберите значение из списка",
};

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
