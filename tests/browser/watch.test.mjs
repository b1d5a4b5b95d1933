// The web interface against `make watch`: the template played on moto (tests/scripts/aws-local.sh,
// started here on a free port), the page served by the web-interface function through the local
// HTTP API, people signing in on Cognito's hosted page (played locally) with the authorization
// code and PKCE, every API call through the JWT authorizer. Run under tests/scripts/with-moto.sh
// (`make browser-test` does). Screenshots land in tests/browser/screenshots/watch-*.png.
//
// Environment: AWS_ENDPOINT_URL (moto), VENV (the Python environment of with-moto.sh),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const shots = join(here, "screenshots");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let stack;
let base;
let sandboxBase;
let admin;
let browser;
let page;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startStack() {
  assert.ok(process.env.AWS_ENDPOINT_URL, "run under tests/scripts/with-moto.sh");
  const port = await freePort();
  stack = spawn(join(root, "tests/scripts/aws-local.sh"), [process.env.VENV || ".venv", String(port)], {
    cwd: root,
    env: { ...process.env, AWS_LOCAL_DEMO_ADMIN: "demo:admin@example.com", AWS_LOCAL_LOG: "warn", RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  createInterface({ input: stack.stderr }).on("line", (line) => {
    const m = /Avito sandbox on (http:\/\/\S+)/.exec(line);
    if (m) sandboxBase = m[1];
    process.stderr.write(`${line}\n`);
  });
  base = await new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error("the stack did not get ready")), 600000);
    createInterface({ input: stack.stdout }).on("line", (line) => {
      const a = /^admin (\S+) (\S+)$/.exec(line);
      if (a) admin = { email: a[1], password: a[2] };
      const r = /^ready (\S+)$/.exec(line);
      if (r) {
        clearTimeout(timeout);
        resolve(r[1]);
      }
    });
    stack.on("exit", (code) => reject(new Error(`the stack exited (${code})`)));
  });
}

/** Signs in on the hosted page as a script would (for set-up through the API): the ID token. */
async function token(who) {
  const config = await (await fetch(`${base}/v1/sign-in`)).json();
  const verifier = randomBytes(32).toString("base64url");
  const params = {
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scope,
    state: "s",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  };
  const login = await fetch(`${config.domain_url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...params, username: who.email, password: who.password }),
  });
  assert.ok(login.status >= 300 && login.status < 400, `signed in: ${login.status}`);
  const code = new URL(login.headers.get("location")).searchParams.get("code");
  const tokens = await (
    await fetch(config.token_url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: config.client_id, code, redirect_uri: config.redirect_uri, code_verifier: verifier }),
    })
  ).json();
  return tokens.id_token;
}

async function api(bearer, method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function sandbox(path, body) {
  const r = await fetch(`${sandboxBase}/_sandbox${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.json();
}

async function accessible(name) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(`${axeSource}\n;0`);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
  });
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  await startStack();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
  });
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
});

after(async () => {
  await browser?.close();
  if (stack?.pid) {
    try {
      process.kill(-stack.pid, "SIGTERM");
    } catch {}
  }
});

test("on the AWS wiring: sign in on the hosted page, a client's message reaches the workspace, the reply reaches the client, sign out", async () => {
  // Set-up as a script would do it: the channel connected with the account's keys, open round the clock.
  const bearer = await token(admin);
  const group = await api(bearer, "POST", "/v1/channel-groups", { name: "Москва" });
  const channel = await api(bearer, "POST", "/v1/channels", { name: "Авито", kind: "avito", channel_group_id: group.id });
  await api(bearer, "POST", `/v1/channels/${channel.id}/connect`, { client_id: "personal-1001", client_secret: "personal-secret-1001" });
  const day = [{ start: "00:00", end: "24:00" }];
  await api(bearer, "PUT", "/v1/schedule", {
    time_zone: "Europe/Moscow",
    weekly: { monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day },
  });

  // The page sends the browser to the hosted sign-in page, which sends it back with a code.
  await page.goto(`${base}/`);
  await page.waitForURL(/\/_cognito\/oauth2\/authorize/);
  await page.getByLabel("Электронная почта").fill(admin.email);
  await page.getByLabel("Пароль").fill(admin.password);
  await page.screenshot({ path: join(shots, "watch-hosted-sign-in.png"), fullPage: true });
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("button", { name: "Выйти" }).waitFor();
  assert.ok(!/code=/.test(page.url()), `the code left the address bar: ${page.url()}`);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!/eyJ/.test(stored), `no token in the browser's storage: ${stored}`);

  // The workspace listens on the WebSocket API (a ticket from the operator API, the authorizer,
  // the push function reading the table's stream): a client's message shows without a poll.
  await page.evaluate(() => {
    location.hash = "#/work/queue";
  });
  await page.getByRole("link", { name: /Очередь/ }).waitFor();
  await page.waitForFunction(() => document.querySelector(".live-down")?.hidden === true, null, { timeout: 20000 });
  const sent = await sandbox("/accounts/1001/client-messages", { client: { name: "Мария" }, text: "Здравствуйте, вопрос по заказу" });
  const item = page.locator(`a[data-chat="${sent.chat_id}"]`);
  // While the live channel works the page reads the lists once a minute: 15 seconds is a push.
  await item.waitFor({ timeout: 15000 });
  await item.getByText("Мария").waitFor();
  await page.locator('.badge[data-count="Очередь"]').filter({ hasText: "1" }).waitFor();
  await page.screenshot({ path: join(shots, "watch-workspace.png"), fullPage: true });
  await accessible("watch-workspace");

  // The reply from the queue takes the conversation and reaches the client's chat.
  await item.click();
  await page.locator(".messages").getByText("Здравствуйте, вопрос по заказу").waitFor();
  await page.getByText("Ответ возьмёт обращение на вас").waitFor();
  await page.getByPlaceholder("Ответ клиенту").fill("Здравствуйте, Мария! Заказ уже в пути.");
  await page.getByRole("button", { name: "Отправить" }).click();
  await page.locator(".messages").getByText("Здравствуйте, Мария! Заказ уже в пути.").waitFor();
  let texts = [];
  for (let i = 0; i < 50; i++) {
    const messages = await (await fetch(`${sandboxBase}/_sandbox/accounts/1001/chats/${sent.chat_id}/messages`)).json();
    texts = messages.map((m) => m.content?.text);
    if (texts.includes("Здравствуйте, Мария! Заказ уже в пути.")) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(texts.includes("Здравствуйте, Мария! Заказ уже в пути."), `the client's chat: ${texts}`);

  // The client writes again: the open conversation shows it at once, pushed.
  await sandbox("/accounts/1001/client-messages", { chat_id: sent.chat_id, text: "Можно забрать сегодня?" });
  await page.locator(".messages").getByText("Можно забрать сегодня?").waitFor({ timeout: 15000 });
  assert.equal(await page.locator(".live-down").isVisible(), false, "the live channel stayed up");

  // The sign-in on the hosted page is in the administrators' audit log, by name (the user pool's
  // post-authentication trigger).
  await page.getByRole("link", { name: "Журнал" }).click();
  await page.getByRole("heading", { name: "Журнал действий" }).waitFor();
  await page.locator('tr[data-action="signed_in"]').first().getByText("Вход в систему").waitFor();
  await page.locator('tr[data-action="signed_in"]').first().getByText("Администратор").waitFor();
  await page.screenshot({ path: join(shots, "watch-audit.png"), fullPage: true });
  await accessible("watch-audit");

  // Signing out ends the hosted page's part too: the next visit asks for the password again.
  const logout = page.waitForRequest((r) => new URL(r.url()).pathname === "/_cognito/logout");
  await page.getByRole("button", { name: "Выйти" }).click();
  const asked = new URL((await logout).url());
  assert.equal(asked.searchParams.get("logout_uri"), `${base}/`);
  assert.ok(asked.searchParams.get("client_id"), "the hosted page is told which client signs out");
  await page.waitForURL(/\/_cognito\/oauth2\/authorize/);
  await page.getByLabel("Пароль").waitFor();
});
