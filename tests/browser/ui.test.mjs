// The web interface in a real browser: Debian's chromium driven by playwright-core, against the
// local server (embedded store, the Avito sandbox) started here on a free port with a fresh data
// directory. `make browser-test` runs it; screenshots of the main screens go to
// tests/browser/screenshots/, and each of those screens is checked with axe-core and for English
// words on screen.
//
// Environment: AVITO_CC_LOCAL (the local server binary), CHROMIUM (default /usr/bin/chromium).
// The server retries a delivery it could not process after 1 second instead of 30, so that one
// failing 5 times becomes a dead letter within the test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const shots = join(here, "screenshots");
// People sign in as themselves: the first administrator through the link the server prints, the
// operator through the invitation the administrator makes in the first test.
const ADMIN = { email: "anna@romashka.ru", password: "пароль-анны-2026", name: "Анна Петрова" };
const OPERATOR = { email: "olga@romashka.ru", password: "пароль-ольги-2026", name: "Ольга Смирнова" };
// The development token, for the few set-up steps made through the API as a script would.
const API_TOKEN = "dev-admin-token";
const CLOSING = "Спасибо за обращение! Хорошего дня.";

let server;
let base;
let firstAdminLink;
let context;
let dataDir;
let browser;
let page;

async function startServer() {
  const binary = process.env.AVITO_CC_LOCAL;
  assert.ok(binary, "AVITO_CC_LOCAL names the local server binary");
  dataDir = mkdtempSync(join(tmpdir(), "avito-cc-ui-"));
  const env = { ...process.env, LOCAL_ADDR: "127.0.0.1:0", LOCAL_DATA_DIR: dataDir, LOCAL_INBOUND_RETRY_SECONDS: "1" };
  for (const v of ["LOCAL_API_TOKENS", "AVITO_CLIENT_ID", "AVITO_CLIENT_SECRET", "PUBLIC_BASE_URL", "RUST_LOG"]) delete env[v];
  server = spawn(binary, [], { env, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: server.stdout });
  base = await new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error("the local server printed no address")), 30000);
    let address;
    lines.on("line", (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) address = m[1];
      const link = /first administrator: open (\S+)/.exec(line);
      if (link) firstAdminLink = link[1];
      if (address && /development admin token|tokens: from/.test(line)) {
        clearTimeout(timeout);
        resolve(address);
      }
    });
    server.on("exit", (code) => reject(new Error(`the local server exited (${code})`)));
  });
}

/** A call to the sandbox's control API, as a client on Avito would act. */
async function sandbox(method, path, body) {
  const resp = await fetch(`${base}/sandbox/_sandbox${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(resp.ok, `${path}: ${resp.status}`);
  return resp.status === 204 ? null : resp.json();
}

/**
 * A main screen as people see it: saved as a screenshot, checked by axe-core (no violation of
 * impact serious or critical) and for English words on screen.
 */
async function shot(name, on = page) {
  await on.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await accessible(on, name);
  await russian(on, name);
}

/** axe-core's rules on the screen now: 0 serious or critical violations. */
async function accessible(on, name) {
  // Evaluated through the debugging protocol, so no page policy can refuse the script.
  if (!(await on.evaluate(() => typeof window.axe === "object"))) await on.evaluate(`${axeSource}\n;0`);
  const violations = await on.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ") + (n.failureSummary ? ` — ${n.failureSummary.split("\n").slice(1).join(" ")}` : "")).join("; ")}`);
  });
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

/** Latin words people may read on a screen: product names, formats, and the test data's. */
const LATIN_ALLOWED = new Set(["avito", "jpeg", "png", "gif", "bmp", "heic", "api", "id", "url", "e-mail", "totp", "crm", "stels"]);

/** Every Latin word shown on the screen is in the allow-list. */
async function russian(on, name) {
  // E-mail addresses and links are data, not words; <code> is what is typed as it is (a header),
  // <kbd> a key's label.
  const text = (
    await on.evaluate(() => [...document.querySelectorAll("code, kbd")].reduce((t, c) => t.replace(c.innerText, " "), document.body.innerText))
  ).replace(/\S+@\S+|https?:\/\/\S+/g, " ");
  const words = [...new Set(text.match(/[A-Za-z][A-Za-z_-]*[A-Za-z]|[A-Za-z]/g) || [])];
  const english = words.filter((w) => !LATIN_ALLOWED.has(w.toLowerCase()));
  assert.deepEqual(english, [], `${name}: English on screen`);
}

/** Signs `who` in on `on` (the main page by default), from a fresh start (no session cookie). */
async function signIn(who, on = page) {
  await on.context().clearCookies();
  await on.goto(`${base}/`);
  await on.getByLabel("E-mail").fill(who.email);
  await on.getByLabel("Пароль").fill(who.password);
  await on.getByRole("button", { name: "Войти" }).click();
  await on.getByRole("button", { name: "Выйти" }).waitFor();
}

/** A call to our API with the development token, as a script would make it. */
async function api(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.status === 204 ? null : r.json();
}

/** Sets a password on an invitation page (`link`) in `on`. */
async function setPassword(on, link, password, extra = {}) {
  await on.goto(link);
  if (extra.name) await on.getByLabel("Имя").fill(extra.name);
  if (extra.email) await on.getByLabel("E-mail").fill(extra.email);
  await on.getByLabel(/^Пароль \(не короче/).fill(password);
  await on.getByLabel("Пароль ещё раз").fill(password);
  await on.getByRole("button", { name: "Сохранить и войти" }).click();
  await on.getByRole("button", { name: "Выйти" }).waitFor();
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test("the first administrator sets a password through the printed link and invites an operator, who sets theirs", async () => {
  assert.ok(firstAdminLink, "the server printed the first administrator's link");
  assert.ok(firstAdminLink.includes("#/invite/"), "the token travels in the fragment, not to the server");
  await setPassword(page, firstAdminLink, ADMIN.password, { name: ADMIN.name, email: ADMIN.email });
  await page.getByText(`${ADMIN.name} · администратор`).waitFor();
  // The link worked once.
  await page.context().clearCookies();
  await page.goto(firstAdminLink);
  await page.getByText(/Ссылка-приглашение уже использована или устарела/).waitFor();

  await signIn(ADMIN);
  await page.getByRole("link", { name: "Сотрудники" }).click();
  await page.getByPlaceholder("Имя и фамилия").fill(OPERATOR.name);
  await page.getByPlaceholder("E-mail для входа").fill(OPERATOR.email);
  await page.getByRole("button", { name: "Пригласить" }).click();
  const link = await page.locator(".once input.secret").inputValue();
  assert.match(link, /#\/invite\/demo\.[0-9a-f]{64}$/);
  await page.locator('tr[data-employee="Ольга Смирнова"]').getByText("Оператор").waitFor();
  await shot("admin-team-invited");

  // No session token where a script could read it.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!/cc_session|[0-9a-f]{64}/.test(stored), `nothing secret in storage: ${stored}`);
  const cookie = (await page.context().cookies()).find((c) => c.name === "cc_session");
  assert.ok(cookie?.httpOnly, "the session cookie is HttpOnly");
  assert.equal(cookie?.sameSite, "Strict");
  // A state-changing request with the cookie but without the CSRF token is refused.
  const forged = await page.evaluate(async () => {
    const r = await fetch("/v1/channel-groups", { method: "POST", body: JSON.stringify({ name: "Подделка" }) });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(forged.status, 403);
  assert.equal(forged.body.error, "csrf_failed");

  // A token for a script: issued in the interface, shown once, works as a bearer token until revoked.
  await page.getByLabel("Название токена").fill("Выгрузка в CRM");
  await page.getByRole("button", { name: "Выпустить токен" }).click();
  const token = await page.locator(".once", { hasText: "Токен API: Выгрузка в CRM" }).locator("input.secret").inputValue();
  const me = async () => (await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  assert.equal(await me(), 200);
  await shot("admin-api-tokens");
  await page.locator('tr[data-token="Выгрузка в CRM"]').getByRole("button", { name: "Отозвать" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Отозвать" }).click();
  await page.getByText("Токенов пока нет.").waitFor();
  assert.equal(await me(), 401);

  const other = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 } });
  const op = await other.newPage();
  await op.goto(link);
  await op.getByRole("heading", { name: `Здравствуйте, ${OPERATOR.name}!` }).waitFor();
  await op.getByLabel(/^Пароль \(не короче/).fill("короткий");
  await op.getByLabel("Пароль ещё раз").fill("короткий");
  await op.getByRole("button", { name: "Сохранить и войти" }).click();
  await op.getByText("Не короче 10 символов").waitFor();
  await shot("invitation-password", op);
  await setPassword(op, link, OPERATOR.password);
  await op.getByText(`${OPERATOR.name} · оператор`).waitFor();
  await other.close();
});

test("an administrator connects a channel through Avito's page, sets it up and sees a validation error", async () => {
  await signIn(ADMIN);
  await page.getByRole("heading", { name: "Каналы" }).waitFor();

  await page.getByPlaceholder("Например, Москва").fill("Москва");
  await page.getByRole("button", { name: "Создать группу" }).click();
  const group = page.locator('section[data-group="Москва"]');
  await group.getByPlaceholder("Название канала").fill("Авито Ромашка");
  await group.getByRole("button", { name: "Добавить канал" }).click();
  const row = page.locator('tr[data-channel="Авито Ромашка"]');
  await row.getByText("Не подключён").waitFor();

  // Connect: Avito's (the sandbox's) authorization page, pick the account, allow.
  await row.getByRole("button", { name: "Подключить" }).click();
  await page.getByRole("dialog").getByLabel("client_secret").waitFor();
  await shot("admin-connect");
  await page.getByRole("button", { name: "Войти через Авито" }).click();
  await page.getByRole("heading", { name: "Доступ к аккаунту Авито" }).waitFor();
  await page.getByLabel(/Магазин «Ромашка»/).check();
  await page.getByRole("button", { name: "Разрешить" }).click();
  await page.getByRole("heading", { name: "Канал подключён" }).waitFor();
  await page.getByRole("link", { name: "Вернуться к каналам" }).click();
  await row.getByText("Подключён", { exact: true }).waitFor();
  await row.getByText("Магазин «Ромашка»").waitFor();
  await shot("admin-channels");

  // Settings: a closing message over 250 characters is refused, next to its field.
  await row.getByRole("link", { name: "Настройки" }).click();
  await page.getByRole("heading", { name: /Настройки канала/ }).waitFor();
  await page.getByLabel("Показывать сообщение при закрытии обращения").check();
  const closing = page.getByLabel("Текст сообщения при закрытии");
  await closing.fill("а".repeat(260));
  await page.getByText("260 / 250").waitFor();
  await page.getByRole("button", { name: "Сохранить" }).click();
  const error = page.locator('[data-field="closing_message.text"]').locator("xpath=..").locator(".field-error");
  await error.waitFor();
  assert.match(await error.textContent(), /Не больше 250 символов/);
  await shot("admin-settings-error");

  // Non-working time is chatbot OR auto-replies: choosing one hides the other.
  await page.getByRole("radio", { name: "Автоответы" }).check();
  await page.getByRole("button", { name: "Добавить автоответ" }).last().click();
  assert.equal(await page.getByRole("radio", { name: "Чат-бот" }).isChecked(), false);
  assert.equal(await page.locator('select[data-field="non_working_time.chatbot.chatbot_id"]').isVisible(), false);

  await closing.fill(CLOSING);
  await page.getByLabel("Ничего: обращения ждут рабочего времени").check();
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Сохранено", { exact: true }).waitFor();
  await shot("admin-settings");

  // The schedule: round the clock, every day.
  await page.getByRole("link", { name: "Расписание" }).click();
  await page.getByRole("heading", { name: "Расписание работы" }).waitFor();
  for (const day of await page.locator("table.week tr").all()) {
    if ((await day.getByLabel("Начало").count()) === 0) await day.getByRole("button", { name: "+ интервал" }).click();
  }
  for (const input of await page.getByLabel("Начало").all()) await input.fill("00:00");
  for (const input of await page.getByLabel("Конец").all()) await input.fill("24:00");
  await page.getByRole("button", { name: "Сохранить расписание" }).click();
  await page.getByText("Сохранено", { exact: true }).waitFor();
  await shot("admin-schedule");
});

test("a client writes; the operator sees it in the queue, takes it, replies and completes", async () => {
  const sent = await sandbox("POST", "/accounts/1001/client-messages", {
    text: "Здравствуйте! Велосипед ещё продаётся?",
    client: { name: "Иван Петров" },
    item: { title: "Велосипед Stels", price_string: "12 000 ₽" },
  });
  const chat = sent.chat_id;

  await signIn(OPERATOR);
  await page.getByRole("link", { name: /Очередь/ }).click();
  // It arrives without reloading (pushed).
  const item = page.locator(`a[data-chat="${chat}"]`);
  await item.waitFor();
  await page.locator('.badge[data-count="Очередь"]').filter({ hasText: "1" }).waitFor();
  // The row says the channel by name and how long the client waits.
  await item.getByText(/Авито Ромашка/).waitFor();
  assert.match(await item.locator(".waiting").textContent(), /^ждёт (меньше минуты|\d+ минут[уы]?)$/);
  await item.click();
  await page.locator(".messages").getByText("Велосипед ещё продаётся?").waitFor();
  await page.getByText("Ответ возьмёт обращение на вас").waitFor();
  await page.locator(".listing").getByText("Велосипед Stels").waitFor();
  await shot("operator-queue");

  await page.getByRole("button", { name: "Взять в работу" }).click();
  await page.getByText(`у оператора ${OPERATOR.name}`).waitFor();
  await page.locator('.badge[data-count="Мои обращения"]').filter({ hasText: "1" }).waitFor();
  assert.equal(await page.getByText("Ответ возьмёт обращение на вас").count(), 0);
  // Back to the queue, and taken again.
  await page.getByRole("button", { name: "Вернуть в очередь" }).click();
  await page.getByText("Открыто, в общей очереди").waitFor();
  await page.locator('.badge[data-count="Очередь"]').filter({ hasText: "1" }).waitFor();
  await page.getByRole("button", { name: "Взять в работу" }).click();
  await page.getByText(`у оператора ${OPERATOR.name}`).waitFor();

  // The client writes again: the open conversation shows it at once, pushed (while the live
  // channel works the screen polls only once a minute, beyond this wait).
  assert.equal(await page.locator(".live-down").isVisible(), false, "the live channel is up");
  await sandbox("POST", "/accounts/1001/client-messages", { chat_id: chat, text: "Можно забрать сегодня?" });
  await page.locator(".messages").getByText("Можно забрать сегодня?").waitFor({ timeout: 10000 });

  await page.getByPlaceholder("Ответ клиенту").fill("Да, продаётся. Приезжайте!");
  await page.getByRole("button", { name: "Отправить" }).click();
  await page.locator("li.message.operator").getByText("доставлено в Авито").waitFor();
  assert.equal(await page.locator(".toast.error").count(), 0, "no error shown for a sent reply");
  // The list row previews the last message, the operator's own as «Вы: …».
  await page.getByRole("link", { name: /Мои обращения/ }).click();
  await item.locator(".preview").getByText("Вы: Да, продаётся. Приезжайте!").waitFor();
  await item.click();
  await page.getByPlaceholder("Ответ клиенту").waitFor();

  // Avito refuses the next reply: the operator reads why in Russian (Avito's English only in the
  // tooltip).
  await sandbox("POST", "/faults", { operation: "postSendMessage", status: 400, times: 1 });
  await page.getByPlaceholder("Ответ клиенту").fill("Отказ Авито");
  await page.getByRole("button", { name: "Отправить" }).click();
  const refused = page.locator("li.message.operator", { hasText: "Отказ Авито" }).locator(".delivery.failed");
  await refused.getByText("Авито не приняло сообщение").waitFor();
  assert.ok((await refused.getAttribute("title"))?.length > 0, "Avito's reason in the tooltip");
  await page.locator(".toast.error", { hasText: "Авито не приняло сообщение" }).waitFor();
  await shot("operator-delivery-failed");
  // Avito refused it, so it can go again; then it is deleted from the client's chat.
  const again = page.locator("li.message.operator", { hasText: "Отказ Авито" });
  await again.getByRole("button", { name: "Отправить снова" }).click();
  await again.getByText("доставлено в Авито").waitFor();
  await again.getByRole("button", { name: "Удалить" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Удалить" }).click();
  await page.locator("li.message.operator", { hasText: "Сообщение удалено" }).waitFor();

  // Waiting over 5 minutes is red.
  const badges = await page.evaluate(async () => {
    const { waitingBadge } = await import("/ui/workspace.js");
    const now = Date.parse("2026-11-25T10:00:00Z");
    return [waitingBadge("2026-11-25T09:57:00Z", now), waitingBadge("2026-11-25T09:39:00Z", now)].map((b) => [b.textContent, b.className]);
  });
  assert.deepEqual(badges, [["ждёт 3 минуты", "waiting"], ["ждёт 21 минуту", "waiting late"]]);

  await page.getByPlaceholder("Видят только сотрудники").fill("Клиент из Химок");
  await page.getByRole("button", { name: "Добавить комментарий" }).click();
  await page.locator("li.message.comment").getByText("Клиент из Химок").waitFor();
  await shot("operator-conversation");

  // The client had called before: their card is found by phone, not by typing an id.
  await api("POST", "/v1/client-cards", { name: "Иван Петров (звонил)", phones: ["+7 900 555-12-34"] });
  await page.getByText("Это другой клиент").click();
  await page.getByPlaceholder("Имя или телефон клиента").fill("8 900 555");
  await page.getByRole("button", { name: "Найти" }).click();
  const found = page.locator('li[data-card="Иван Петров (звонил)"]');
  await found.getByText("+7 900 555-12-34").waitFor();
  await shot("operator-card-search");
  await found.getByRole("button", { name: "Привязать" }).click();
  await page.getByText(/Обращение связано с клиентом/).first().waitFor();

  await page.getByRole("button", { name: "Завершить" }).click();
  await page.getByText(/Закрыто/).waitFor();

  // The archive lists it, closed, with its last message; opening it shows the conversation.
  await page.getByRole("link", { name: "Архив" }).click();
  const archived = page.locator(`ul.conversations a[data-chat="${chat}"]`);
  await archived.getByText(/^закрыто /).waitFor();
  await shot("operator-archive");
  await archived.click();
  await page.getByText(/Закрыто/).waitFor();

  // The reply and the closing message reached the client's chat on Avito (the sandbox).
  const messages = await sandbox("GET", `/accounts/1001/chats/${chat}/messages`);
  const texts = JSON.stringify(messages);
  assert.ok(texts.includes("Да, продаётся. Приезжайте!"), texts);
  assert.ok(texts.includes(CLOSING), texts);
  assert.ok(!texts.includes("Клиент из Химок"), "a comment is never sent");
});

test("an operator takes, answers and completes conversations from the keyboard only", async () => {
  const first = await sandbox("POST", "/accounts/1001/client-messages", { text: "Есть самовывоз?", client: { name: "Семён" } });
  await page.goto(`${base}/#/work/queue`);
  await page.locator(`a[data-chat="${first.chat_id}"]`).waitFor();
  // The keys are listed under «?».
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Клавиши" });
  await help.getByText("Следующее обращение в списке").waitFor();
  await shot("operator-keys");
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });

  await page.keyboard.press("j");
  await page.getByRole("heading", { name: "Семён" }).waitFor();
  assert.match(await page.getByRole("button", { name: "Взять в работу" }).getAttribute("title"), /Клавиша T/);
  await page.keyboard.press("t");
  await page.getByText(`у оператора ${OPERATOR.name}`).waitFor();
  await page.keyboard.press("r");
  assert.equal(await page.evaluate(() => document.activeElement?.className), "reply");
  await page.keyboard.type("Да, с 10 до 20.");
  await page.keyboard.press("Control+Enter");
  await page.locator("li.message.operator", { hasText: "Да, с 10 до 20." }).getByText("доставлено в Авито").waitFor();
  // Letters typed in the field stay text: «e» in the reply does not complete.
  await page.keyboard.type("e");
  assert.equal(await page.locator("textarea.reply").inputValue(), "e");
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  await page.keyboard.press("Escape");
  await page.keyboard.press("e");
  await page.getByRole("dialog", { name: "Завершить обращение?" }).waitFor();
  await page.keyboard.press("Enter");
  await page.getByText(/Закрыто/).waitFor();

  // A reply to a conversation in the queue takes it.
  const second = await sandbox("POST", "/accounts/1001/client-messages", { text: "А доставка есть?", client: { name: "Римма" } });
  await page.goto(`${base}/#/work/queue`);
  await page.locator(`a[data-chat="${second.chat_id}"]`).waitFor();
  await page.keyboard.press("j");
  await page.getByRole("heading", { name: "Римма" }).waitFor();
  await page.keyboard.press("r");
  await page.keyboard.type("Есть, по городу бесплатно.");
  await page.keyboard.press("Control+Enter");
  await page.getByText(`Открыто, у оператора ${OPERATOR.name}`).waitFor();
  await page.locator("li.message.operator", { hasText: "Есть, по городу бесплатно." }).getByText("доставлено в Авито").waitFor();
  await page.keyboard.press("Escape");
  await page.keyboard.press("e");
  await page.keyboard.press("Enter");
  await page.getByText(/Закрыто/).waitFor();
});

test("a candidate responds on Avito Jobs: the notification and the candidate card with the resume", async () => {
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Каналы" }).click();
  const group = page.locator('section[data-group="Москва"]');
  await group.getByPlaceholder("Название канала").fill("Вакансии");
  await group.locator('select[name="kind"]').selectOption("avito_jobs");
  await group.getByRole("button", { name: "Добавить канал" }).click();
  const row = page.locator('tr[data-channel="Вакансии"]');
  await row.getByRole("button", { name: "Подключить" }).click();
  await page.getByLabel("client_id").fill("personal-1002");
  await page.getByLabel("client_secret").fill("personal-secret-1002");
  await page.getByRole("button", { name: "Подключить по ключам" }).click();
  await row.getByText("Кадровое агентство «Старт»").waitFor();

  await sandbox("POST", "/accounts/1002/applications", {
    vacancy: { title: "Курьер" },
    candidate: { name: "Мария Иванова", phone: "+79001234567" },
    resume: { title: "Курьер на личном авто", experience: "3 года" },
  });

  await page.getByRole("link", { name: "Рабочее место" }).click();
  await page.getByRole("link", { name: /Уведомления/ }).click();
  const note = page.getByRole("link", { name: "Отклик на вакансию: Курьер" });
  await note.waitFor();
  await shot("operator-notifications");
  await note.click();
  const card = page.locator(".candidate");
  await card.getByText("Мария Иванова").waitFor();
  await card.getByText(/Курьер на личном авто/).waitFor();
  await card.getByText("+79001234567").waitFor();
  await shot("operator-candidate");
});

test("connecting the account in another group supersedes the first channel; disconnect asks first", async () => {
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Каналы" }).click();
  await page.getByPlaceholder("Например, Москва").fill("Казань");
  await page.getByRole("button", { name: "Создать группу" }).click();
  const kazan = page.locator('section[data-group="Казань"]');
  await kazan.getByPlaceholder("Название канала").fill("Авито Казань");
  await kazan.getByRole("button", { name: "Добавить канал" }).click();
  const row = page.locator('tr[data-channel="Авито Казань"]');
  await row.getByRole("button", { name: "Подключить" }).click();
  await page.getByLabel("client_id").fill("personal-1001");
  await page.getByLabel("client_secret").fill("personal-secret-1001");
  await page.getByRole("button", { name: "Подключить по ключам" }).click();
  await row.getByText("Подключён", { exact: true }).waitFor();

  const moscow = page.locator('tr[data-channel="Авито Ромашка"]');
  await moscow.getByText("Вытеснен").waitFor();
  await moscow.getByRole("alert").getByText(/«Казань», канал «Авито Казань»/).waitFor();
  await shot("admin-superseded");

  // Cancelling the confirmation changes nothing; confirming disconnects.
  await row.getByRole("button", { name: "Отключить" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Отмена" }).click();
  await row.getByText("Подключён", { exact: true }).waitFor();
  await row.getByRole("button", { name: "Отключить" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Отключить" }).click();
  await row.getByText("Отключён").waitFor();
  await row.getByRole("button", { name: "Подключить" }).waitFor();
});

test("an administrator sees a delivery that changed nothing, with why, and replays it", async () => {
  const group = await api("POST", "/v1/channel-groups", { name: "Самара" });
  const channel = await api("POST", "/v1/channels", { name: "Авито Самара", kind: "avito", channel_group_id: group.id });
  await api("POST", `/v1/channels/${channel.id}/connect`, { client_id: "personal-1001", client_secret: "personal-secret-1001" });
  // A message for another Avito account reaches the channel's webhook.
  const account = await (await fetch(`${base}/sandbox/_sandbox/accounts/1001`)).json();
  const hook = account.messenger_subscriptions.at(-1);
  const now = Math.floor(Date.now() / 1000);
  const delivered = await fetch(hook, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "env-ui",
      version: "v3.0.0",
      timestamp: now,
      payload: {
        type: "message",
        value: { id: "ui-other", chat_id: "u2i-ui", user_id: 999001, author_id: 999002, created: now, type: "text", content: { text: "Привет" } },
      },
    }),
  });
  assert.equal(delivered.status, 200);
  for (let i = 0; i < 100 && (await api("GET", "/v1/ignored-deliveries")).items.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Необработанные доставки" }).click();
  const row = page.locator("tr", { hasText: "Сообщение для другого аккаунта Авито" });
  await row.getByText("Авито Самара").waitFor();
  await shot("admin-ignored");
  await row.getByRole("button", { name: "Повторить" }).click();
  await page.getByText(/Снова не обработано: Сообщение для другого аккаунта Авито/).waitFor();
});

test("an administrator sees the messages from Avito that could not be processed and sends them to be processed again", async () => {
  // Avito does not give the response while the router reads it: tried 5 times, the delivery becomes
  // a dead letter (the Jobs channel "Вакансии" was connected by an earlier test).
  await sandbox("POST", "/faults", { operation: "applicationsGetByIds", status: 503, times: 1000 });
  await sandbox("POST", "/accounts/1002/applications", {
    vacancy: { title: "Повар" },
    candidate: { name: "Пётр Сидоров", phone: "+79007654321" },
    resume: { title: "Повар горячего цеха", experience: "5 лет" },
  });
  let waiting = 0;
  for (let i = 0; i < 600 && waiting === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    waiting = (await api("GET", "/v1/dead-letters")).waiting;
  }
  assert.equal(waiting, 1, "the delivery is a dead letter");
  // The cause is fixed.
  await sandbox("DELETE", "/faults");

  await signIn(ADMIN);
  await page.getByRole("link", { name: "Необработанные доставки" }).click();
  await page.getByText("1 сообщение от Avito не удалось обработать").waitFor();
  await shot("admin-dead-letters");
  await page.getByRole("button", { name: "Обработать снова" }).click();
  await page.getByText("Отправлено на обработку: 1").waitFor();
  await page.getByText("Необработанных сообщений нет.").waitFor();
  await shot("admin-dead-letters-replayed");

  // Processed this time: the response reaches the notifications.
  await page.getByRole("link", { name: "Рабочее место" }).click();
  await page.getByRole("link", { name: /Уведомления/ }).click();
  await page.getByRole("link", { name: "Отклик на вакансию: Повар" }).waitFor();
  // And the replay is in the audit log.
  await page.getByRole("link", { name: "Журнал" }).click();
  await page.locator('tr[data-action="dead_letters_replayed"]').getByText(ADMIN.name).waitFor();
});

test("an operator goes online, gets a conversation by auto-assignment, signs out; disabled, their session ends; wrong passwords lock", async () => {
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Группы" }).click();
  await page.getByLabel("Название новой группы").fill("Продажи");
  await page.locator("form", { hasText: "Новая группа" }).getByLabel(OPERATOR.name).check();
  await page.getByRole("button", { name: "Создать группу" }).click();
  await page.locator('form[data-group="Продажи"]').getByText(`Сейчас: ${OPERATOR.name}`).waitFor();
  await shot("admin-groups");

  await page.getByRole("link", { name: "Распределение" }).click();
  await page.getByText("Автоназначение").click();
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Сохранено", { exact: true }).waitFor();
  await shot("admin-distribution");
  const wait = page.locator('input[name="answer_wait_seconds"]');
  await wait.fill("21");
  assert.equal(await wait.locator("xpath=following-sibling::span").textContent(), "секунду");
  await wait.fill("300");
  assert.equal(await wait.locator("xpath=following-sibling::span").textContent(), "секунд");

  // Account 1001's channel now (the last connected, «Авито Самара») routes to the group.
  const groups = (await api("GET", "/v1/groups")).items;
  const sales = groups.find((g) => g.name === "Продажи");
  const channels = (await api("GET", "/v1/channels")).items;
  const samara = channels.find((c) => c.name === "Авито Самара");
  await api("PUT", `/v1/channels/${samara.id}/settings`, { working_time: { receiver: { type: "group", group_id: sales.id } } });

  const other = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 } });
  const op = await other.newPage();
  op.setDefaultTimeout(15000);
  await signIn(OPERATOR, op);
  await op.getByRole("button", { name: "○ Не на линии" }).click();
  await op.getByRole("button", { name: "● На линии" }).waitFor();

  const sent = await sandbox("POST", "/accounts/1001/client-messages", { text: "Есть доставка в Самару?", client: { name: "Пётр" } });
  await op.getByRole("link", { name: /Мои обращения/ }).click();
  await op.locator(`a[data-chat="${sent.chat_id}"]`).waitFor();
  await op.locator('.badge[data-count="Мои обращения"]').filter({ hasText: "1" }).waitFor();
  await shot("operator-online", op);

  // The administrator's team screen: who is online and how many conversations each holds.
  await page.getByRole("link", { name: "Сотрудники" }).click();
  const olga = page.locator(`tr[data-employee="${OPERATOR.name}"]`);
  await olga.getByText("На линии", { exact: true }).waitFor();
  assert.equal((await olga.locator("td.number").textContent()).trim(), "1");
  await shot("admin-team");

  // Signing out ends the session: the cookie no longer opens the API.
  await op.getByRole("button", { name: "Выйти" }).click();
  await op.getByRole("heading", { name: "Вход" }).waitFor();
  const after = await op.evaluate(async () => (await fetch("/v1/me")).status);
  assert.equal(after, 401);

  // Disabled: the open session stops at its next request.
  await signIn(OPERATOR, op);
  await olga.getByRole("button", { name: "Отключить" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Отключить" }).click();
  await olga.getByText("Отключён").waitFor();
  await op.getByRole("heading", { name: "Вход" }).waitFor({ timeout: 10000 });
  await op.getByText("Сеанс завершён. Войдите снова.").waitFor();

  // Five wrong passwords lock sign-in, even for the right one.
  for (let i = 0; i < 5; i++) {
    await op.getByLabel("E-mail").fill(OPERATOR.email);
    await op.getByLabel("Пароль").fill(`неверный-пароль-${i}`);
    await op.getByRole("button", { name: "Войти" }).click();
    await op.getByText("Неверный e-mail или пароль.").waitFor();
    // The form empties the password when the answer came: one attempt at a time.
    await op.waitForFunction(() => document.getElementById("password")?.value === "");
  }
  await op.getByLabel("E-mail").fill(OPERATOR.email);
  await op.getByLabel("Пароль").fill(OPERATOR.password);
  await op.getByRole("button", { name: "Войти" }).click();
  await op.getByText(/Слишком много неудачных попыток/).waitFor();
  await shot("sign-in-locked", op);
  await other.close();

  // The administrators' audit log: who signed in, who changed the team and the settings.
  await page.getByRole("link", { name: "Журнал" }).click();
  await page.getByRole("heading", { name: "Журнал действий" }).waitFor();
  await page.locator('tr[data-action="sign_in_locked"]').first().getByText(OPERATOR.name).waitFor();
  await page
    .locator('tr[data-action="changed"]', { hasText: `сотрудник «${OPERATOR.name}»` })
    .first()
    .getByText(ADMIN.name)
    .waitFor();
  await page.locator('tr[data-action="distribution_changed"]').first().getByText(ADMIN.name).waitFor();
  await page.locator('tr[data-action="signed_in"]', { hasText: OPERATOR.name }).first().waitFor();
  await shot("admin-audit");
});

test("the settings screen keeps auto-replies as edited and auto-close as set; a dialog closes with its screen; time zones come from a list", async () => {
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Каналы" }).click();
  const row = page.locator('tr[data-channel="Авито Ромашка"]');
  await row.getByRole("link", { name: "Настройки" }).click();
  await page.getByRole("heading", { name: /Настройки канала/ }).waitFor();
  const working = page.locator('ol[data-field="working_time.auto_replies"]');
  const add = page.getByRole("button", { name: "Добавить автоответ" }).first();
  // Later replies may not come sooner than earlier ones: equal delays can swap.
  for (const [text, delay] of [["Первый", "0"], ["Второй", "5"], ["Третий", "5"]]) {
    await add.click();
    const item = working.locator("li").last();
    await item.getByLabel("Текст автоответа").fill(text);
    await item.getByLabel("Задержка").fill(delay);
    await item.getByLabel("Единица задержки").selectOption("60");
  }
  // The third goes up one; the first is removed.
  await working.locator("li").nth(2).getByRole("button", { name: "Выше" }).click();
  await working.locator("li").nth(0).getByRole("button", { name: "Удалить" }).click();
  // Auto-close after 36 hours.
  await page.getByLabel("Через сколько").fill("36");
  await page.getByLabel("Единица", { exact: true }).selectOption("hours");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Сохранено", { exact: true }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: /Настройки канала/ }).waitFor();
  const texts = await working.getByLabel("Текст автоответа").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(texts, ["Третий", "Второй"]);
  const delays = await working.getByLabel("Задержка").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(delays, ["5", "5"]);
  assert.equal(await page.getByLabel("Через сколько").inputValue(), "36");
  assert.equal(await page.getByLabel("Единица", { exact: true }).inputValue(), "hours");
  // The unit agrees with the number.
  const units = () => page.getByLabel("Единица", { exact: true }).locator("option").allTextContents();
  assert.deepEqual(await units(), ["часов", "дней"]);
  await page.getByLabel("Через сколько").fill("21");
  assert.deepEqual(await units(), ["час", "день"]);
  await page.getByLabel("Через сколько").fill("3");
  assert.deepEqual(await units(), ["часа", "дня"]);
  await page.getByLabel("Через сколько").fill("36");
  await shot("admin-settings-auto-replies");

  // The connect dialog does not follow the administrator to another screen.
  await page.getByRole("link", { name: "Каналы" }).click();
  await row.getByRole("button", { name: /Подключить/ }).first().click();
  await page.getByRole("dialog").waitFor();
  // The browser's Back (the modal dialog keeps the page's links out of reach).
  await page.goBack();
  await page.getByRole("heading", { name: /Настройки канала/ }).waitFor();
  assert.equal(await page.locator("dialog").count(), 0);
  await page.getByRole("link", { name: "Расписание" }).click();
  await page.getByRole("heading", { name: "Расписание работы" }).waitFor();

  // Every IANA zone is offered; the one chosen is kept.
  const zones = await page.locator("datalist#zones option").evaluateAll((os) => os.map((o) => o.value));
  assert.ok(zones.includes("Europe/Samara") && zones.includes("America/New_York") && zones.length > 300, `${zones.length} zones`);
  await page.getByLabel("Часовой пояс").fill("Asia/Novosibirsk");
  await page.getByRole("button", { name: "Сохранить расписание" }).click();
  await page.getByText("Сохранено", { exact: true }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Расписание работы" }).waitFor();
  assert.equal(await page.getByLabel("Часовой пояс").inputValue(), "Asia/Novosibirsk");
});

test("numbers, durations and the API's errors are said in Russian", async () => {
  await signIn(ADMIN);
  await page.getByRole("link", { name: "Чат-боты" }).click();
  await page.getByRole("heading", { name: /Чат-боты/ }).first().waitFor();
  await shot("admin-chatbots");
  const said = await page.evaluate(async () => {
    const { count, duration } = await import("/ui/view.js");
    const hours = [1, 2, 5, 11, 21, 22, 111, 0].map((n) => count(n, "час", "часа", "часов"));
    const cases = [1, 3, 11, 12, 14, 21, 25, 101].map((n) => count(n, "обращение", "обращения", "обращений"));
    const waits = [30e3, 60e3, 21 * 60e3, 5 * 60e3, 2 * 3600e3, 26 * 3600e3].map(duration);
    return { hours, cases, waits };
  });
  assert.deepEqual(said.hours, ["1 час", "2 часа", "5 часов", "11 часов", "21 час", "22 часа", "111 часов", "0 часов"]);
  assert.deepEqual(said.cases, ["1 обращение", "3 обращения", "11 обращений", "12 обращений", "14 обращений", "21 обращение", "25 обращений", "101 обращение"]);
  assert.deepEqual(said.waits, ["меньше минуты", "1 минуту", "21 минуту", "5 минут", "2 часа", "1 день"]);

  // Whatever the API answers in English, people read Russian.
  const errors = await page.evaluate(async () => {
    const { api } = await import("/ui/api.js");
    const out = {};
    for (const [name, method, path, body] of [
      ["not_found", "POST", "/v1/conversations/nothing-here/take"],
      ["validation", "POST", "/v1/channel-groups", { name: "" }],
      ["bad_request", "POST", "/v1/channel-groups", { nonsense: 1 }],
      // A connected channel cannot be deleted: a conflict with its own code.
      ["conflict", "DELETE", `/v1/channels/${(await api("GET", "/v1/channels")).items.find((c) => c.status === "connected")?.id}`],
    ]) {
      try {
        await api(method, path, body);
        out[name] = "no error";
      } catch (e) {
        out[name] = { code: e.code, message: e.message, detail: e.detail, fields: e.fields };
      }
    }
    return out;
  });
  for (const [name, e] of Object.entries(errors)) {
    assert.ok(e.code, `${name}: ${JSON.stringify(e)}`);
    assert.doesNotMatch(e.message, /[A-Za-z]/, `${name} in Russian: ${JSON.stringify(e)}`);
  }
  assert.equal(errors.not_found.message, "Не найдено: возможно, это уже удалили. Обновите страницу.");
  assert.equal(errors.validation.message, "Проверьте заполнение полей.");
  assert.equal(errors.validation.fields[0].code, "blank");
  assert.equal(errors.conflict.code, "channel_connected");
  assert.equal(errors.conflict.message, "Канал подключён к аккаунту Авито: сначала отключите его.");
  // Each field error's code (with its numbers) in Russian.
  const fieldTexts = await page.evaluate(async () => {
    const { fieldText } = await import("/ui/view.js");
    return [
      { field: "closing_message.text", code: "too_long", max: 250 },
      { field: "name", code: "length_out_of_range", min: 1, max: 21 },
      { field: "working_time.auto_replies", code: "too_many", max: 5 },
      { field: "capacity_per_operator", code: "out_of_range", min: 1, max: 1000 },
      { field: "answer_wait_seconds", code: "out_of_range", min: 30, max: 86400 },
      { field: "password", code: "too_short", min: 10 },
      { field: "extra_working_dates[0].intervals", code: "too_few", min: 1 },
      { field: "x", code: "a_code_from_a_newer_server" },
    ].map(fieldText);
  });
  assert.deepEqual(fieldTexts, [
    "Не больше 250 символов",
    "Введите от 1 до 21 символа",
    "Не больше 5 автоответов",
    "Число от 1 до 1000",
    "Число от 30 до 86400 секунд",
    "Не короче 10 символов",
    "Добавьте хотя бы 1 интервал",
    "Неверное значение",
  ]);
});

test("a conversation goes back to the general queue or to a group's", async () => {
  // Account 1001's channel («Авито Самара») sends new conversations to the general queue now.
  const samara = (await api("GET", "/v1/channels")).items.find((c) => c.name === "Авито Самара");
  await api("PUT", `/v1/channels/${samara.id}/settings`, { working_time: { receiver: null } });
  const sent = await sandbox("POST", "/accounts/1001/client-messages", { text: "Можно оплатить картой?", client: { name: "Глеб" } });
  await signIn(ADMIN);
  await page.getByRole("heading", { name: "Каналы" }).waitFor();
  await page.goto(`${base}/#/work/queue`);
  await page.locator(`a[data-chat="${sent.chat_id}"]`).click();
  await page.getByRole("button", { name: "Взять в работу" }).click();
  await page.getByText(`у оператора ${ADMIN.name}`).waitFor();
  await page.getByLabel("Куда вернуть").selectOption({ label: "в очередь группы «Продажи»" });
  await page.getByRole("button", { name: "Вернуть в очередь" }).click();
  await page.getByText("Открыто, в очереди группы «Продажи»").waitFor();
  await page.getByRole("button", { name: "Взять в работу" }).click();
  await page.getByRole("button", { name: "Завершить" }).click();
  await page.getByText(/Закрыто/).waitFor();
});

test("alerts: what each live event means for whom, and the operator's switches kept in the browser", async () => {
  const alerts = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 }, permissions: ["notifications"] });
  // Desktop notifications and tones counted as the page makes them.
  await alerts.addInitScript(() => {
    window.notified = [];
    window.tones = 0;
    const Original = window.Notification;
    window.Notification = class extends Original {
      constructor(title, options) {
        super(title, options);
        window.notified.push([title, options?.body]);
      }
    };
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      window.tones += 1;
      return oscillator.call(this);
    };
  });
  const on = await alerts.newPage();
  on.setDefaultTimeout(15000);
  await signIn(ADMIN, on);
  await on.goto(`${base}/#/work/queue`);
  await on.getByText("Оповещения", { exact: true }).waitFor();
  const kinds = await on.evaluate(async () => {
    const { alertsFor } = await import("/ui/workspace.js");
    const me = { type: "operator", employee_id: "e1" };
    const other = { type: "operator", employee_id: "e2" };
    const general = { type: "general_queue" };
    const mine = { type: "group_queue", group_id: "g1" };
    const theirs = { type: "group_queue", group_id: "g2" };
    const client = { type: "client" };
    const cases = {
      openedForMe: { change: "opened", handler: me },
      takenFromQueue: { change: "updated", handler: me, previous_handler: general },
      passedToMe: { change: "updated", handler: me, previous_handler: other },
      clientWritesInMine: { change: "message", handler: me, message_author: client },
      iWrite: { change: "message", handler: me, message_author: me },
      clientWritesInTheirs: { change: "message", handler: other, message_author: client },
      newInGeneral: { change: "opened", handler: general },
      newInMyGroup: { change: "opened", handler: mine },
      newInOtherGroup: { change: "opened", handler: theirs },
      returnedToQueue: { change: "updated", handler: general, previous_handler: me },
      topicChanged: { change: "updated", handler: me },
      closed: { change: "closed", handler: me, previous_handler: general },
      todaysEvent: { conversation_id: "c1", change: "message" },
    };
    return Object.fromEntries(Object.entries(cases).map(([name, event]) => [name, alertsFor(event, "e1", ["g1"])]));
  });
  assert.deepEqual(kinds, {
    openedForMe: ["assigned"],
    takenFromQueue: ["assigned"],
    passedToMe: ["assigned"],
    clientWritesInMine: ["client_message"],
    iWrite: [],
    clientWritesInTheirs: [],
    newInGeneral: ["queued"],
    newInMyGroup: ["queued"],
    newInOtherGroup: [],
    returnedToQueue: ["queued"],
    topicChanged: [],
    closed: [],
    todaysEvent: [],
  });

  // The switches: one kind off, kept after a reload.
  await on.getByText("Оповещения", { exact: true }).click();
  assert.equal(await on.getByLabel("Уведомления на рабочем столе").isChecked(), true, "granted: on by default");
  assert.equal(await on.getByLabel("Звук").isChecked(), true);
  await on.getByLabel("Новое обращение в очереди").uncheck();
  await shot("operator-alert-settings", on);
  await on.reload();
  await on.getByText("Оповещения", { exact: true }).click();
  assert.equal(await on.getByLabel("Новое обращение в очереди").isChecked(), false);
  assert.equal(await on.getByLabel("Обращение назначено мне").isChecked(), true);
  assert.equal(await on.title(), "Обращения — Авито · контакт-центр");

  // The wiring, with the list and the live events answered here as the API describes them: the
  // list rows' last message, and an alert per event as switched (the queued one is off).
  const meId = await on.evaluate(async () => (await (await fetch("/v1/me")).json()).employee_id);
  const channelId = (await api("GET", "/v1/channels")).items.find((c) => c.name === "Авито Ромашка").id;
  const minutesAgo = (m) => new Date(Date.now() - m * 60000).toISOString();
  const conversation = (id, name, waited, last) => ({
    id,
    channel_id: channelId,
    chat_id: `u2i-${id}`,
    status: "open",
    handler: { type: "operator", employee_id: meId },
    client: { name },
    created_at: minutesAgo(30),
    last_activity_at: minutesAgo(waited ?? 1),
    waiting_since: waited === null ? null : minutesAgo(waited),
    ...(last ? { last_message: { ...last, at: minutesAgo(1) } } : {}),
  });
  const items = [
    conversation("c-own", "Зоя", null, { author: { type: "operator", employee_id: meId }, content: { type: "text", text: "Добрый день, всё в силе" } }),
    conversation("c-image", "Яков", 12, { author: { type: "client" }, content: { type: "image", url: null } }),
    conversation("c-none", "Юлия", 2),
  ];
  await on.route((url) => url.pathname === "/v1/conversations" && url.searchParams.has("view"), (route) =>
    route.fulfill({ json: { items, next_cursor: null } }),
  );
  const events = [
    { conversation_id: "c-new", change: "opened", handler: { type: "general_queue" } },
    { conversation_id: "c-image", change: "message", handler: { type: "operator", employee_id: meId }, message_author: { type: "client" } },
  ];
  let served = false;
  await on.route("**/v1/events", (route) => {
    // Once; then 204, which tells the browser not to reconnect.
    if (served) return route.fulfill({ status: 204 });
    served = true;
    return route.fulfill({
      headers: { "content-type": "text/event-stream" },
      body: events.map((e) => `event: conversation\ndata: ${JSON.stringify(e)}\n\n`).join(""),
    });
  });
  await on.goto(`${base}/#/work/mine`);
  const rows = on.locator("ul.conversations li");
  await rows.nth(0).locator(".preview").getByText("Вы: Добрый день, всё в силе").waitFor();
  assert.equal(await rows.nth(1).locator(".preview").textContent(), "Изображение");
  assert.equal(await rows.nth(2).locator(".preview").count(), 0, "no last message, no preview");
  assert.match(await rows.nth(1).textContent(), /Авито Ромашка/);
  assert.deepEqual(
    await rows.locator(".waiting").evaluateAll((els) => els.map((e) => [e.textContent, e.classList.contains("late")])),
    [["ждёт 12 минут", true], ["ждёт 2 минуты", false]],
  );
  await on.waitForFunction(() => window.notified.length > 0);
  await on.waitForTimeout(300);
  assert.deepEqual(await on.evaluate(() => window.notified), [["Клиент написал", "Яков"]], "one notification: the queued kind is off");
  assert.ok((await on.evaluate(() => window.tones)) > 0, "a sound played");
  assert.equal(await on.title(), "(1) Обращения — Авито · контакт-центр");
  await shot("operator-alerted", on);
  await on.locator("h2, p.empty").first().click();
  assert.equal(await on.title(), "Обращения — Авито · контакт-центр");
  await alerts.close();
});

test("alerts from the server's live events: a new conversation in a queue I see, a client writing in mine", async () => {
  const alerts = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 }, permissions: ["notifications"] });
  await alerts.addInitScript(() => {
    window.notified = [];
    const Original = window.Notification;
    window.Notification = class extends Original {
      constructor(title, options) {
        super(title, options);
        window.notified.push([title, options?.body]);
      }
    };
  });
  const on = await alerts.newPage();
  on.setDefaultTimeout(15000);
  await signIn(ADMIN, on);
  await on.getByRole("heading", { name: "Каналы" }).waitFor();
  await on.goto(`${base}/#/work/queue`);
  await on.getByText("Оповещения", { exact: true }).waitFor();
  await on.locator('.live-down[data-live="up"]').waitFor({ state: "attached" });

  // A client writes to account 1001: its channel («Авито Самара») sends it to the general queue.
  const sent = await sandbox("POST", "/accounts/1001/client-messages", { text: "Сколько стоит доставка?", client: { name: "Фёдор" } });
  await on.waitForFunction(() => window.notified.length === 1);
  // The event names the client: the new conversation is in no list yet.
  assert.deepEqual((await on.evaluate(() => window.notified))[0], ["Новое обращение в очереди", "Фёдор"]);
  assert.equal(await on.title(), "(1) Обращения — Авито · контакт-центр");

  // Taking it alerts no one (it was this page); the client writing in it does.
  await on.locator(`a[data-chat="${sent.chat_id}"]`).click();
  await on.waitForFunction(() => document.title === "Обращения — Авито · контакт-центр");
  await on.getByRole("button", { name: "Взять в работу" }).click();
  await on.getByText(`у оператора ${ADMIN.name}`).waitFor();
  await sandbox("POST", "/accounts/1001/client-messages", { chat_id: sent.chat_id, text: "Алло?" });
  await on.locator(".messages").getByText("Алло?").waitFor();
  await on.waitForFunction(() => window.notified.length === 2);
  await on.waitForTimeout(500);
  assert.deepEqual(await on.evaluate(() => window.notified), [
    ["Новое обращение в очереди", "Фёдор"],
    ["Клиент написал", "Фёдор"],
  ]);
  assert.equal(await on.title(), "(1) Обращения — Авито · контакт-центр");
  await alerts.close();
});
