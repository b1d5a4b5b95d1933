// The page: sign-in, the sections a role may open, and hash routing between screens.
import { ApiError, get, session } from "./api.js";
import { h, setTimeZone, show, toast } from "./view.js";
import { channelsScreen, ignoredScreen, scheduleScreen, settingsScreen } from "./admin.js";
import { workspaceScreen, stopPolling } from "./workspace.js";

const main = document.getElementById("main");
let role = null;
let whoami = "";

/** Who the token is: the API says (`GET /v1/me`). */
async function learnRole() {
  const me = await get("/v1/me");
  whoami = me.name || me.user;
  return me.role === "admin" ? "admin" : "operator";
}

async function loadTimeZone() {
  try {
    const schedule = await get("/v1/schedule");
    setTimeZone(schedule?.time_zone);
  } catch {
    // No schedule yet: Moscow time, the default of a new tenant.
  }
}

function signIn(message) {
  stopPolling();
  role = null;
  show(document.getElementById("nav"));
  show(document.getElementById("who"));
  const token = h("input", {
    id: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    placeholder: "Токен доступа",
  });
  const error = h("div", { class: "form-summary" }, message ? h("div", { class: "field-error", role: "alert" }, message) : null);
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (ev) => {
        ev.preventDefault();
        session.set(token.value.trim());
        await start();
      },
    },
    h("h1", {}, "Вход"),
    h("label", {}, "Токен доступа", token),
    h(
      "p",
      { class: "muted" },
      "Локальный сервер печатает токены разработки при запуске (make run): администратор и оператор.",
    ),
    error,
    h("button", { type: "submit", class: "primary" }, "Войти"),
  );
  show(main, form);
  token.focus();
}

function navigation() {
  const links =
    role === "admin"
      ? [
          ["#/channels", "Каналы"],
          ["#/schedule", "Расписание"],
          ["#/ignored", "Необработанные доставки"],
          ["#/work/mine", "Рабочее место"],
        ]
      : [["#/work/mine", "Рабочее место"]];
  show(
    document.getElementById("nav"),
    links.map(([href, label]) => h("a", { href, "data-section": href.split("/")[1] }, label)),
  );
  show(
    document.getElementById("who"),
    h("span", { class: "muted" }, `${whoami} · ${role === "admin" ? "администратор" : "оператор"}`),
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: () => {
          session.clear();
          location.hash = "";
          signIn();
        },
      },
      "Выйти",
    ),
  );
}

async function route() {
  if (!role) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const section = parts[0] || (role === "admin" ? "channels" : "work");
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.section === section));
  if (section !== "work") stopPolling();
  try {
    if (role === "admin" && section === "channels" && parts[1] && parts[2] === "settings") {
      await settingsScreen(main, decodeURIComponent(parts[1]));
    } else if (role === "admin" && section === "channels") {
      await channelsScreen(main);
    } else if (role === "admin" && section === "schedule") {
      await scheduleScreen(main);
    } else if (role === "admin" && section === "ignored") {
      await ignoredScreen(main);
    } else {
      await workspaceScreen(main, parts.slice(1));
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signIn("Токен не подошёл или истёк. Войдите снова.");
    show(main, h("div", { class: "card" }, h("h2", {}, "Не удалось открыть раздел"), h("p", {}, e.message)));
  }
}

async function start() {
  if (!session.token) return signIn();
  try {
    role = await learnRole();
  } catch (e) {
    session.clear();
    return signIn(e instanceof ApiError && e.status === 401 ? "Токен не подошёл." : e.message);
  }
  await loadTimeZone();
  navigation();
  if (!location.hash) {
    // Setting the hash routes (hashchange).
    location.hash = role === "admin" ? "#/channels" : "#/work/mine";
    return;
  }
  await route();
}

window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (ev) => toast(ev.reason?.message || "Ошибка", "error"));
start();
