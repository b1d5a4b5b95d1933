// The page: signing in (e-mail and password; an invitation link sets the password), the sections
// a role may open, the online switch, and hash routing between screens.
import { ApiError, api, get, put, session } from "./api.js";
import { count, h, setTimeZone, show, submitting, toast } from "./view.js";
import { channelsScreen, ignoredScreen, scheduleScreen, settingsScreen } from "./admin.js";
import { auditScreen, chatbotsScreen, distributionScreen, groupsScreen, teamScreen } from "./team.js";
import { workspaceScreen, stopPolling } from "./workspace.js";
import { completeSignIn, redirectToSignIn, signOutEverywhere } from "./cognito.js";

const main = document.getElementById("main");
let role = null;
let whoami = "";
/** How people sign in here (`GET /v1/sign-in`): the product's own accounts, or Cognito on AWS. */
let signInConfig = { provider: "local" };

/** Who is signed in: the API says (`GET /v1/me`). */
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

function signedOutChrome() {
  stopPolling();
  role = null;
  session.clear();
  show(document.getElementById("nav"));
  show(document.getElementById("who"));
}

const TOO_MANY = (e) => {
  const minutes = Math.ceil((e.retryAfterSeconds || 60) / 60);
  return `Слишком много неудачных попыток. Вход заблокирован, попробуйте через ${count(minutes, "минуту", "минуты", "минут")}.`;
};

function signIn(message) {
  signedOutChrome();
  if (signInConfig.provider === "cognito") {
    // Cognito's hosted page signs people in (and back in at once while its own session lasts).
    show(main, h("div", { class: "card narrow" }, h("h1", {}, "Вход"), message ? h("p", { role: "alert" }, message) : null, h("p", { class: "muted" }, "Переходим на страницу входа…")));
    redirectToSignIn(signInConfig);
    return;
  }
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const summary = h("div", { class: "form-summary" }, message ? h("div", { class: "field-error", role: "alert" }, message) : null);
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (ev) => {
        ev.preventDefault();
        show(summary);
        try {
          const signed = await api("POST", "/v1/session", { email: email.value.trim(), password: password.value });
          session.set(signed.csrf_token);
          await start();
        } catch (e) {
          const text =
            e.status === 401
              ? "Неверный e-mail или пароль."
              : e.status === 429
                ? TOO_MANY(e)
                : e.status === 403
                  ? "Сотрудник отключён. Обратитесь к администратору."
                  : e.message;
          show(summary, h("div", { class: "field-error", role: "alert" }, text));
          password.value = "";
          password.focus();
        }
      },
    },
    h("h1", {}, "Вход"),
    h("label", {}, "E-mail", email),
    h("label", {}, "Пароль", password),
    summary,
    h("button", { type: "submit", class: "primary" }, "Войти"),
    h("p", { class: "muted small" }, "Нет пароля? Попросите администратора прислать приглашение."),
  );
  show(main, form);
  email.focus();
}

/** The page of an invitation link: the token stays in the fragment and goes only in a body. */
async function invitationPage(token) {
  signedOutChrome();
  let invitation;
  try {
    invitation = await api("POST", "/v1/invitation", { token });
  } catch (e) {
    history.replaceState(null, "", "/");
    return signIn(e.status === 404 ? "Ссылка-приглашение уже использована или устарела. Попросите новую." : e.message);
  }
  const first = invitation.kind === "first_administrator";
  const name = h("input", { name: "name", "data-field": "name", autocomplete: "name", required: true });
  const email = h("input", { name: "email", "data-field": "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    name: "password",
    "data-field": "password",
    type: "password",
    autocomplete: "new-password",
    minlength: 10,
    required: true,
  });
  const repeat = h("input", { name: "repeat", type: "password", autocomplete: "new-password", required: true });
  const summary = h("div", { class: "form-summary" });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: submitting(summary, async () => {
        if (password.value !== repeat.value) {
          throw new ApiError(422, { fields: [{ field: "password", message: "Пароли не совпадают" }] });
        }
        const body = { token, password: password.value };
        if (first) Object.assign(body, { name: name.value.trim(), email: email.value.trim() });
        const signed = await api("POST", "/v1/invitation/accept", body);
        session.set(signed.csrf_token);
        history.replaceState(null, "", "/");
        toast("Пароль сохранён. Добро пожаловать!");
        await start();
      }),
    },
    h("h1", {}, first ? "Первый администратор" : `Здравствуйте, ${invitation.name}!`),
    h(
      "p",
      { class: "muted" },
      first
        ? "Укажите своё имя, e-mail для входа и пароль. Потом вы пригласите сотрудников."
        : `Придумайте пароль для входа с e-mail ${invitation.email}.`,
    ),
    first ? h("label", {}, "Имя", name) : null,
    first ? h("label", {}, "E-mail", email) : null,
    h("label", {}, "Пароль (не короче 10 символов)", password),
    h("label", {}, "Пароль ещё раз", repeat),
    summary,
    h("button", { type: "submit", class: "primary" }, "Сохранить и войти"),
  );
  show(main, form);
  (first ? name : password).focus();
}

async function signOut() {
  if (signInConfig.provider === "cognito") return signOutEverywhere(signInConfig);
  try {
    await api("DELETE", "/v1/session");
  } catch {
    // Signed out already (or the server is away): the page forgets the session either way.
  }
  location.hash = "";
  signIn();
}

/** The operator's own switch: online (auto-assignment gives them conversations) or away. */
async function presenceSwitch() {
  let online = false;
  try {
    online = (await get("/v1/me/presence")).online;
  } catch {
    return null; // Not an employee (a script's token): no switch.
  }
  const button = h("button", { type: "button", class: "presence", "aria-pressed": String(online) });
  const paint = () => {
    button.textContent = online ? "● На линии" : "○ Не на линии";
    button.classList.toggle("online", online);
    button.setAttribute("aria-pressed", String(online));
    button.title = online ? "Новые обращения назначаются вам. Нажмите, чтобы отойти." : "Нажмите, чтобы получать обращения.";
  };
  button.addEventListener("click", async () => {
    try {
      online = (await put("/v1/me/presence", { online: !online })).online;
      paint();
      toast(online ? "Вы на линии" : "Вы не на линии");
    } catch (e) {
      toast(e.message, "error");
    }
  });
  paint();
  return button;
}

async function navigation() {
  const links =
    role === "admin"
      ? [
          ["#/work/mine", "Рабочее место"],
          ["#/channels", "Каналы"],
          ["#/team", "Сотрудники"],
          ["#/groups", "Группы"],
          ["#/distribution", "Распределение"],
          ["#/chatbots", "Чат-боты"],
          ["#/schedule", "Расписание"],
          ["#/ignored", "Необработанные доставки"],
          ["#/audit", "Журнал"],
        ]
      : [
          ["#/work/mine", "Рабочее место"],
          ["#/team", "Сотрудники"],
        ];
  show(
    document.getElementById("nav"),
    links.map(([href, label]) => h("a", { href, "data-section": href.split("/")[1] }, label)),
  );
  show(
    document.getElementById("who"),
    await presenceSwitch(),
    h("span", { class: "muted" }, `${whoami} · ${role === "admin" ? "администратор" : "оператор"}`),
    h("button", { type: "button", class: "link", onclick: signOut }, "Выйти"),
  );
}

const ADMIN_SCREENS = {
  channels: channelsScreen,
  schedule: scheduleScreen,
  ignored: ignoredScreen,
  groups: groupsScreen,
  distribution: distributionScreen,
  chatbots: chatbotsScreen,
  audit: auditScreen,
};

async function route() {
  // A dialog belongs to the screen it was opened on.
  document.querySelectorAll("dialog").forEach((d) => {
    d.close();
    d.remove();
  });
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "invite" && parts[1]) return invitationPage(decodeURIComponent(parts[1]));
  if (!role) return;
  const section = parts[0] || (role === "admin" ? "channels" : "work");
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.section === section));
  if (section !== "work") stopPolling();
  // Each screen draws into its own element: a slower screen asked for before cannot draw over this one.
  const main = h("div", { class: "screen" }, h("p", { class: "muted" }, "Загрузка…"));
  show(document.getElementById("main"), main);
  try {
    if (role === "admin" && section === "channels" && parts[1] && parts[2] === "settings") {
      await settingsScreen(main, decodeURIComponent(parts[1]));
    } else if (role === "admin" && ADMIN_SCREENS[section]) {
      await ADMIN_SCREENS[section](main);
    } else if (section === "team") {
      await teamScreen(main, role === "admin");
    } else {
      await workspaceScreen(main, parts.slice(1));
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signIn("Сеанс завершён. Войдите снова.");
    show(main, h("div", { class: "card" }, h("h2", {}, "Не удалось открыть раздел"), h("p", {}, e.message)));
  }
}

async function start() {
  const invite = /^#\/invite\/(.+)$/.exec(location.hash);
  if (invite) return invitationPage(decodeURIComponent(invite[1]));
  try {
    signInConfig = await get("/v1/sign-in");
  } catch {
    signInConfig = { provider: "local" };
  }
  try {
    if (signInConfig.provider === "cognito") {
      if (!session.bearer && !(await completeSignIn(signInConfig))) return signIn();
    } else if (!session.csrf) {
      session.set((await get("/v1/session")).csrf_token);
    }
    role = await learnRole();
  } catch (e) {
    return signIn(e instanceof ApiError && e.status !== 401 ? e.message : undefined);
  }
  await loadTimeZone();
  await navigation();
  if (!location.hash || location.hash === "#") {
    // Setting the hash routes (hashchange).
    location.hash = role === "admin" ? "#/channels" : "#/work/mine";
    return;
  }
  await route();
}

// A request refused because the session ended (disabled, expired, signed out elsewhere).
window.addEventListener("unhandledrejection", (ev) => {
  if (ev.reason instanceof ApiError && ev.reason.status === 401) return signIn("Сеанс завершён. Войдите снова.");
  if (ev.reason instanceof ApiError) toast(ev.reason.message, "error");
  else {
    console.error(ev.reason);
    toast("Что-то пошло не так. Обновите страницу.", "error");
  }
});
window.addEventListener("session-ended", () => signIn("Сеанс завершён. Войдите снова."));
window.addEventListener("hashchange", route);
start();
