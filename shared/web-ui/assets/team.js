// The team: employees (invite, role, disable; who is online and how many conversations each
// holds), groups, distribution settings and chatbots. Everyone is shown by name.
import { all, del, get, post, put, randomHex } from "./api.js";
import { confirmDialog, h, plural, show, submitting, toast, when } from "./view.js";

const ROLE = { admin: "Администратор", operator: "Оператор" };

/** A box showing a secret or a link once, with a copy button. */
function onceBox(title, value, ...note) {
  const field = h("input", { readonly: true, value, class: "secret", "aria-label": title });
  return h(
    "div",
    { class: "once", role: "status" },
    h("strong", {}, title),
    h(
      "div",
      { class: "actions" },
      field,
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            field.select();
            try {
              await navigator.clipboard.writeText(value);
              toast("Скопировано");
            } catch {
              document.execCommand("copy");
            }
          },
        },
        "Копировать",
      ),
    ),
    h("p", { class: "muted small" }, ...note),
  );
}

function employeeDraft(e, change) {
  return { name: e.name, email: e.email, user_id: e.user_id, role: e.role, disabled: e.disabled, ...change };
}

async function inviteLink(employee) {
  const invitation = await post(`/v1/employees/${encodeURIComponent(employee.id)}/invitation`);
  if (invitation.delivery === "email") {
    return h("p", { role: "status" }, `Приглашение отправлено на ${employee.email}: в письме временный пароль для первого входа.`);
  }
  return onceBox(
    `Ссылка для входа: ${employee.name}`,
    invitation.link,
    `Передайте ссылку сотруднику: по ней он один раз задаст пароль. Действует до ${when(invitation.expires_at)}.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Employees

export async function teamScreen(main, isAdmin, notice) {
  const team = (await get("/v1/team")).items;
  const refresh = (box) => teamScreen(main, isAdmin, box);
  const rows = team.map(({ employee: e, online, open_conversations }) => {
    const state = e.disabled
      ? h("span", { class: "status disconnected" }, "Отключён")
      : online
        ? h("span", { class: "status connected" }, "На линии")
        : h("span", { class: "status" }, "Не на линии");
    const change = async (patch, done) => {
      try {
        await put(`/v1/employees/${encodeURIComponent(e.id)}`, employeeDraft(e, patch));
        toast(done);
        await refresh();
      } catch (err) {
        toast(err.message, "error");
      }
    };
    const actions = isAdmin
      ? h(
          "td",
          { class: "actions" },
          e.disabled
            ? null
            : h(
                "button",
                {
                  type: "button",
                  onclick: async () => {
                    try {
                      await refresh(await inviteLink(e));
                    } catch (err) {
                      toast(err.message, "error");
                    }
                  },
                },
                "Ссылка для входа",
              ),
          h(
            "button",
            {
              type: "button",
              onclick: () =>
                change(
                  { role: e.role === "admin" ? "operator" : "admin" },
                  e.role === "admin" ? `${e.name} теперь оператор` : `${e.name} теперь администратор`,
                ),
            },
            e.role === "admin" ? "Сделать оператором" : "Сделать администратором",
          ),
          e.disabled
            ? h("button", { type: "button", onclick: () => change({ disabled: false }, `${e.name} снова может входить`) }, "Включить")
            : h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  onclick: async () => {
                    const sure = await confirmDialog(
                      "Отключить сотрудника?",
                      `${e.name} больше не сможет войти, а открытые сеансы завершатся при следующем действии. Назначенные обращения останутся за ним: передайте их другим.`,
                      "Отключить",
                    );
                    if (sure) await change({ disabled: true }, `${e.name} отключён`);
                  },
                },
                "Отключить",
              ),
        )
      : null;
    return h(
      "tr",
      { "data-employee": e.name },
      h("td", {}, e.name),
      h("td", {}, e.email || h("span", { class: "muted" }, "—")),
      h("td", {}, ROLE[e.role] || "—"),
      h("td", {}, state),
      h("td", { class: "number" }, String(open_conversations)),
      actions,
    );
  });

  let invite = null;
  if (isAdmin) {
    const name = h("input", { name: "name", "data-field": "name", placeholder: "Имя и фамилия", required: true });
    const email = h("input", { name: "email", "data-field": "email", type: "email", placeholder: "E-mail для входа", required: true });
    const role = h(
      "select",
      { name: "role", "data-field": "role", "aria-label": "Роль" },
      h("option", { value: "operator" }, ROLE.operator),
      h("option", { value: "admin" }, ROLE.admin),
    );
    const summary = h("div", { class: "form-summary" });
    invite = h(
      "form",
      {
        class: "inline",
        onsubmit: submitting(summary, async () => {
          const created = await post("/v1/employees", { name: name.value.trim(), email: email.value.trim(), role: role.value });
          toast(`${created.name} добавлен`);
          await refresh(await inviteLink(created));
        }),
      },
      h("strong", {}, "Пригласить сотрудника"),
      name,
      email,
      role,
      h("button", { type: "submit", class: "primary" }, "Пригласить"),
      summary,
    );
  }

  show(
    main,
    h("h1", {}, "Сотрудники"),
    notice ? h("section", { class: "card" }, notice) : null,
    h(
      "section",
      { class: "card" },
      team.length
        ? h(
            "table",
            { class: "team" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "Сотрудник"),
                h("th", {}, "E-mail"),
                h("th", {}, "Роль"),
                h("th", {}, "Сейчас"),
                h("th", {}, "Обращений в работе"),
                isAdmin ? h("th", {}, "") : null,
              ),
            ),
            h("tbody", {}, rows),
          )
        : h("p", { class: "muted" }, "Сотрудников пока нет."),
      invite,
    ),
    isAdmin ? await apiTokensCard(refresh) : null,
  );
}

/** Administrators' tokens for scripts (the local server's own accounts; absent on AWS). */
async function apiTokensCard(refresh) {
  let tokens;
  try {
    tokens = (await get("/v1/api-tokens")).items;
  } catch {
    return null;
  }
  const name = h("input", { name: "name", "data-field": "name", placeholder: "Для чего, например «Выгрузка в CRM»", required: true, "aria-label": "Название токена" });
  const role = h(
    "select",
    { name: "role", "aria-label": "Права токена" },
    h("option", { value: "operator" }, "Как у оператора"),
    h("option", { value: "admin" }, "Как у администратора"),
  );
  const summary = h("div", { class: "form-summary" });
  const issue = h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(summary, async () => {
        const issued = await post("/v1/api-tokens", { name: name.value.trim(), role: role.value });
        await refresh(
          onceBox(
            `Токен API: ${issued.name}`,
            issued.token,
            "Показывается один раз. Скрипт передаёт его в заголовке ", h("code", {}, "Authorization: Bearer <токен>"), ".",
          ),
        );
      }),
    },
    name,
    role,
    h("button", { type: "submit" }, "Выпустить токен"),
    summary,
  );
  return h(
    "section",
    { class: "card", "aria-label": "Токены API" },
    h("h2", {}, "Токены API для скриптов"),
    tokens.length
      ? h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", {}, "Название"), h("th", {}, "Права"), h("th", {}, "Выпустил"), h("th", {}, ""))),
          h(
            "tbody",
            {},
            tokens.map((t) =>
              h(
                "tr",
                { "data-token": t.name },
                h("td", {}, t.name),
                h("td", {}, ROLE[t.role] || t.role),
                h("td", { class: "small" }, `${t.created_by}, ${when(t.created_at)}`),
                h(
                  "td",
                  { class: "actions" },
                  h(
                    "button",
                    {
                      type: "button",
                      class: "danger",
                      onclick: async () => {
                        if (!(await confirmDialog("Отозвать токен?", `Скрипты с токеном «${t.name}» перестанут работать.`, "Отозвать"))) return;
                        try {
                          await del(`/v1/api-tokens/${encodeURIComponent(t.id)}`);
                          toast("Токен отозван");
                          await refresh();
                        } catch (e) {
                          toast(e.message, "error");
                        }
                      },
                    },
                    "Отозвать",
                  ),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "Токенов пока нет."),
    issue,
  );
}

// ---------------------------------------------------------------------------------------------
// Groups

function memberPicker(employees, selected) {
  return h(
    "fieldset",
    { class: "members", "data-field": "members" },
    h("legend", {}, "Участники"),
    employees.length
      ? employees.map((e) =>
          h(
            "label",
            { class: "check" },
            h("input", { type: "checkbox", value: e.id, checked: selected.includes(e.id) }),
            e.name,
            e.disabled ? h("span", { class: "muted" }, " (отключён)") : null,
          ),
        )
      : h("p", { class: "muted" }, "Сначала добавьте сотрудников."),
  );
}

const checked = (fieldset) => [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);

export async function groupsScreen(main) {
  const [groups, employees] = await Promise.all([all("/v1/groups"), all("/v1/employees")]);
  employees.sort((a, b) => a.name.localeCompare(b.name, "ru"));
  const nameOf = new Map(employees.map((e) => [e.id, e.name]));
  const refresh = () => groupsScreen(main);

  const cards = groups.map((g) => {
    const name = h("input", { name: "name", "data-field": "name", value: g.name, required: true, "aria-label": "Название группы" });
    const members = memberPicker(employees, g.members);
    const summary = h("div", { class: "form-summary" });
    return h(
      "form",
      {
        class: "card",
        "data-group": g.name,
        onsubmit: submitting(summary, async () => {
          await put(`/v1/groups/${encodeURIComponent(g.id)}`, { name: name.value.trim(), members: checked(members) });
          toast("Группа сохранена");
          await refresh();
        }),
      },
      h("h2", {}, g.name),
      h("p", { class: "muted" }, g.members.length ? `Сейчас: ${g.members.map((m) => nameOf.get(m) || "удалённый сотрудник").join(", ")}` : "В группе пока никого."),
      h("label", {}, "Название", name),
      members,
      summary,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "Сохранить"),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            onclick: async () => {
              if (!(await confirmDialog("Удалить группу?", `Группа «${g.name}» будет удалена.`, "Удалить"))) return;
              try {
                await del(`/v1/groups/${encodeURIComponent(g.id)}`);
                toast("Группа удалена");
                await refresh();
              } catch (e) {
                show(summary, h("div", { class: "field-error", role: "alert" }, e.message));
              }
            },
          },
          "Удалить",
        ),
      ),
    );
  });

  const name = h("input", { name: "name", "data-field": "name", placeholder: "Например, Продажи", required: true, "aria-label": "Название новой группы" });
  const members = memberPicker(employees, []);
  const summary = h("div", { class: "form-summary" });
  const create = h(
    "form",
    {
      class: "card",
      onsubmit: submitting(summary, async () => {
        await post("/v1/groups", { name: name.value.trim(), members: checked(members) });
        toast("Группа создана");
        await refresh();
      }),
    },
    h("h2", {}, "Новая группа"),
    h("label", {}, "Название", name),
    members,
    summary,
    h("button", { type: "submit", class: "primary" }, "Создать группу"),
  );

  show(
    main,
    h("h1", {}, "Группы"),
    h("p", { class: "muted" }, "Обращения канала можно направлять в очередь группы: их видят и берут её участники."),
    cards,
    create,
  );
}

// ---------------------------------------------------------------------------------------------
// Distribution

export async function distributionScreen(main) {
  const current = await get("/v1/distribution");
  const mode = (value, label, hint) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "radio", name: "mode", value, checked: current.mode === value }),
      h("span", {}, h("strong", {}, label), h("br"), h("span", { class: "muted small" }, hint)),
    );
  const capacity = h("input", {
    type: "number",
    name: "capacity_per_operator",
    "data-field": "capacity_per_operator",
    min: 1,
    max: 1000,
    value: current.capacity_per_operator,
    required: true,
  });
  const waitOn = h("input", { type: "checkbox", checked: current.answer_wait_seconds != null });
  const wait = h("input", {
    type: "number",
    name: "answer_wait_seconds",
    "data-field": "answer_wait_seconds",
    min: 30,
    max: 86400,
    value: current.answer_wait_seconds ?? 300,
  });
  // «30 секунд», «21 секунду»: the word agrees with the number as it is typed.
  const seconds = h("span", {});
  const agree = () => (seconds.textContent = plural(Number(wait.value) || 0, "секунду", "секунды", "секунд"));
  wait.addEventListener("input", agree);
  agree();
  const summary = h("div", { class: "form-summary" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: submitting(summary, async (f) => {
        await put("/v1/distribution", {
          mode: f.querySelector("input[name=mode]:checked")?.value || "queue",
          capacity_per_operator: Number(capacity.value),
          answer_wait_seconds: waitOn.checked ? Number(wait.value) : null,
        });
        toast("Настройки распределения сохранены");
        show(summary, h("div", { class: "saved" }, "Сохранено"));
      }),
    },
    h("fieldset", {}, h("legend", {}, "Как обращения попадают к операторам"),
      mode("queue", "Очередь", "Обращения ждут в очереди; операторы берут их сами."),
      mode("auto_assign", "Автоназначение", "Обращение сразу получает оператор на линии с наименьшей нагрузкой."),
    ),
    h("label", { class: "field" }, h("span", {}, "Обращений на оператора, не больше"), capacity),
    h("label", { class: "check" }, waitOn, "Передавать обращение другому оператору, если назначенный не ответил за"),
    h("label", { class: "field nested" }, wait, seconds),
    summary,
    h("button", { type: "submit", class: "primary" }, "Сохранить"),
  );
  show(main, h("h1", {}, "Распределение"), form);
}

// ---------------------------------------------------------------------------------------------
// Chatbots

export async function chatbotsScreen(main, notice) {
  const bots = await all("/v1/chatbots");
  const refresh = (box) => chatbotsScreen(main, box);
  const rows = bots.map((b) =>
    h(
      "tr",
      { "data-chatbot": b.name },
      h("td", {}, b.name),
      h("td", { class: "small" }, b.url),
      h("td", {}, b.has_api_token ? "Выдан" : h("span", { class: "muted" }, "Нет")),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              if (b.has_api_token && !(await confirmDialog("Выдать новый токен?", "Прежний токен бота перестанет работать.", "Выдать")))
                return;
              try {
                const issued = await post(`/v1/chatbots/${encodeURIComponent(b.id)}/api-token`);
                await refresh(onceBox(`Токен API: ${b.name}`, issued.api_token, "Показывается один раз: сохраните его в настройках бота."));
              } catch (e) {
                toast(e.message, "error");
              }
            },
          },
          b.has_api_token ? "Новый токен API" : "Выдать токен API",
        ),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            onclick: async () => {
              if (!(await confirmDialog("Удалить чат-бота?", `«${b.name}» больше не будет получать обращения.`, "Удалить"))) return;
              try {
                await del(`/v1/chatbots/${encodeURIComponent(b.id)}`);
                toast("Чат-бот удалён");
                await refresh();
              } catch (e) {
                toast(e.message, "error");
              }
            },
          },
          "Удалить",
        ),
      ),
    ),
  );
  const name = h("input", { name: "name", "data-field": "name", placeholder: "Название", required: true });
  const url = h("input", { name: "url", "data-field": "url", type: "url", placeholder: "https://bot.example.ru/events", required: true });
  const summary = h("div", { class: "form-summary" });
  const register = h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(summary, async () => {
        // A chatbot's signing secret: 24 random bytes, made here and shown once.
        const secret = randomHex(24);
        const bot = await post("/v1/chatbots", { name: name.value.trim(), url: url.value.trim(), signing_secret: secret });
        await refresh(
          onceBox(
            `Секрет подписи: ${bot.name}`,
            secret,
            "Показывается один раз. Бот проверяет им подпись событий, которые мы ему отправляем.",
          ),
        );
      }),
    },
    h("strong", {}, "Подключить чат-бота"),
    name,
    url,
    h("button", { type: "submit", class: "primary" }, "Подключить"),
    summary,
  );
  show(
    main,
    h("h1", {}, "Чат-боты"),
    notice ? h("section", { class: "card" }, notice) : null,
    h(
      "section",
      { class: "card" },
      bots.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "Чат-бот"), h("th", {}, "Адрес событий"), h("th", {}, "Токен API"), h("th", {}, ""))),
            h("tbody", {}, rows),
          )
        : h("p", { class: "muted" }, "Чат-ботов пока нет."),
      register,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Audit log

const ACTION = {
  signed_in: "Вход в систему",
  signed_out: "Выход из системы",
  sign_in_locked: "Вход заблокирован: несколько неверных паролей подряд",
  invitation_accepted: "Пароль задан по приглашению",
  employee_invited: "Приглашение для входа",
  created: "Создание",
  changed: "Изменение",
  deleted: "Удаление",
  channel_settings_changed: "Изменены настройки канала",
  schedule_changed: "Изменено расписание работы",
  distribution_changed: "Изменены настройки распределения",
  channel_connected: "Канал подключён",
  channel_disconnected: "Канал отключён",
  chatbot_token_issued: "Выдан новый токен API чат-бота",
  api_token_issued: "Выпущен токен API",
  api_token_revoked: "Отозван токен API",
  dead_letters_replayed: "Необработанные сообщения от Avito отправлены на обработку снова",
};
const SUBJECT = {
  employee: "сотрудник",
  group: "группа",
  chatbot: "чат-бот",
  channel_group: "группа каналов",
  channel: "канал",
  schedule: "расписание",
  distribution: "распределение",
  api_token: "токен",
};

export async function auditScreen(main) {
  const body = h("tbody");
  const more = h("button", { type: "button" }, "Показать ещё");
  let cursor = null;
  const load = async () => {
    const page = await get(`/v1/audit?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const e of page.items) {
      body.append(
        h(
          "tr",
          { "data-action": e.action },
          h("td", { class: "small" }, when(e.at)),
          h(
            "td",
            {},
            e.actor.user.startsWith("token:")
              ? h("span", {}, `скрипт (токен «${e.actor.name || "отозван"}»)`)
              : e.actor.name || h("span", { class: "muted" }, "скрипт (токен API)"),
          ),
          h("td", {}, ACTION[e.action] || h("span", { title: e.action }, "Другое действие")),
          h("td", {}, e.subject ? `${SUBJECT[e.subject.kind] || ""} «${e.subject.name}»` : ""),
        ),
      );
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load().catch((e) => toast(e.message, "error")));
  await load();
  show(
    main,
    h("h1", {}, "Журнал действий"),
    h("p", { class: "muted" }, "Кто входил в систему и кто менял сотрудников, группы, каналы, настройки и расписание. Новые записи сверху."),
    h(
      "section",
      { class: "card" },
      body.childElementCount
        ? h("table", { class: "audit" }, h("thead", {}, h("tr", {}, h("th", {}, "Когда"), h("th", {}, "Кто"), h("th", {}, "Действие"), h("th", {}, "Что"))), body)
        : h("p", { class: "muted" }, "Записей пока нет."),
      more,
    ),
  );
}
