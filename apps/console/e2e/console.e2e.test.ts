/**
 * The console in real Chromium against the real API and edge over the run's Postgres and Redis.
 * Setup that is not under test (users, sessions) goes through the typed API client; everything the
 * test claims about the console goes through the page.
 */
import { randomBytes } from "node:crypto";
import { uniqueTenantCode } from "@sesame/api/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { browserTest, CONSOLE_IDLE_SECONDS, launchBrowser, readmeScreenshot, signInWithKey, startConsoleStack, type ConsoleStack } from "./harness.ts";

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
const MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

let env: ConsoleStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
/** The tenant's first API key, as an operator would paste it. */
let key: string;
const context = () => browser.context;
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  env = await startConsoleStack();
  browser = await launchBrowser();
  const created = await env.stack.api.root().tenants.create.mutate({ code: uniqueTenantCode("C"), name: "Console e2e" });
  key = created.key;
});
afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

const admin = () => env.api.admin(key);
/** The text of the message a field shows under itself (its aria-describedby error). */
async function fieldError(page: Page, label: string): Promise<string | null> {
  const input = page.getByLabel(label, { exact: true });
  await page.waitForFunction((el) => el?.getAttribute("aria-invalid") === "true", await input.elementHandle());
  const ids = ((await input.getAttribute("aria-describedby")) ?? "").split(" ");
  return page.locator(`[id="${ids.find((id) => id.endsWith("-error"))}"]`).textContent();
}
const sessionCard = (page: Page, sessionId: string) => page.getByTestId("session").filter({ hasText: `#${sessionId.slice(0, 8)}` });

describe("operator console in Chromium", () => {
  browserTest("finds a user, locks them with a wipe: the session turns RESET and the edge refuses its token; then unlocks", context, async (page) => {
    const username = unique("lost-phone");
    const user = await admin().users.create.mutate({ username, email: `${username}@example.test`, firstName: "Lost", lastName: "Phone" });
    const started = await admin().sessions.create.mutate({ userId: user.id, client: { userAgent: IPHONE }, accessGroups: ["staff"] });
    expect((await env.stack.get("/orders", started.accessToken)).status).toBe(200);

    await signInWithKey(page, env.consoleUrl, key);
    await page.getByLabel("Search").fill(username);
    await page.getByRole("link", { name: username }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(username) }).waitFor();
    const card = sessionCard(page, started.session.id);
    await card.getByText("ENROLLED", { exact: true }).waitFor();
    expect(await card.textContent()).toMatch(/Mobile Safari|Safari/);

    await page.getByRole("button", { name: "Lock…", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Lock ${username}` });
    expect(await dialog.textContent()).toMatch(/signs .* out of 1 active session/);
    // No choice is made for the operator: the button waits for one.
    expect(await dialog.getByRole("button", { name: "Choose an option" }).isDisabled()).toBe(true);
    await dialog.getByRole("radio", { name: /Wipe devices/ }).check();
    await dialog.getByRole("button", { name: "Lock and wipe" }).click();

    const receipt = page.getByRole("status").filter({ hasText: `Locked ${username} and wiped their devices` });
    await receipt.waitFor();
    expect(await receipt.textContent()).toMatch(/Committed at/);
    expect(await page.getByTestId("receipt-effective").textContent()).not.toMatch(/pending/);
    await card.getByText("RESET", { exact: true }).waitFor();
    await readmeScreenshot(page, "console-user-locked");

    // The very next request with the user's token is refused at the edge.
    const refused = await env.stack.get("/orders", started.accessToken);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe("session_reset");

    await page.getByRole("button", { name: "Unlock…" }).click();
    await page.getByRole("dialog", { name: `Unlock ${username}` }).getByRole("button", { name: "Unlock" }).click();
    await page.getByRole("button", { name: "Lock…", exact: true }).waitFor();
    expect((await admin().users.get.query({ userId: user.id })).locked).toBe(false);
  });

  browserTest("lock dialogs work from the keyboard, and Esc leaves the user as they were", context, async (page) => {
    const username = unique("keyboard");
    const user = await admin().users.create.mutate({ username });
    await signInWithKey(page, env.consoleUrl, key, `/users/${user.id}`);
    const lock = page.getByRole("button", { name: "Lock…", exact: true });
    await lock.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Lock ${username}` });
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog"))).toBe(true);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect((await admin().users.get.query({ userId: user.id })).locked).toBe(false);
  });

  browserTest("sets the enrollment URL and idle timeout, then shows a code with its link, a QR code and a live countdown; the code redeems through auth.enroll", context, async (page) => {
    await signInWithKey(page, env.consoleUrl, key, "/tenant");
    // An invalid setting is explained under its own field, and what was typed stays.
    await page.getByLabel("Access token lifetime (seconds)").fill("5");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await fieldError(page, "Access token lifetime (seconds)")).toMatch(/30|>=|too small/i);
    expect(await page.getByLabel("Access token lifetime (seconds)").inputValue()).toBe("5");
    await page.getByLabel("Access token lifetime (seconds)").fill("900");
    await page.getByLabel("Enrollment URL").fill("https://app.example.test/enroll");
    await page.getByLabel("Idle timeout (seconds)").fill("3600");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await admin().tenants.get.query()).settings).toMatchObject({ enrollmentUrl: "https://app.example.test/enroll", sessionIdleTimeoutSeconds: 3600, accessTokenTtlSeconds: 900 });

    const username = unique("new-phone");
    const user = await admin().users.create.mutate({ username });
    await page.goto(`${env.consoleUrl}/users/${user.id}`);
    await page.getByRole("button", { name: "Enrollment code" }).click();
    const dialog = page.getByRole("dialog", { name: `Enrollment code for ${username}` });
    const code = ((await dialog.getByTestId("enrollment-code").textContent()) ?? "").replace(/\D/g, "");
    expect(code).toMatch(/^\d{8}$/);
    const link = new URL((await dialog.getByTestId("enrollment-link").getAttribute("href"))!);
    expect(link.origin + link.pathname).toBe("https://app.example.test/enroll");
    expect(link.searchParams.get("enrollment")).toMatch(/^[0-9a-f-]{36}$/);
    expect(link.toString()).not.toContain(code);
    const qr = dialog.getByRole("img", { name: /QR code of the enrollment link/ });
    await qr.waitFor();
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const countdown = dialog.locator(".countdown time");
    const first = await countdown.textContent();
    expect(first).toMatch(/^[45]:\d\d$/);
    await page.waitForFunction((before) => document.querySelector("dialog .countdown time")?.textContent !== before, first);

    const enrolled = await env.api.anonymous().auth.enroll.mutate({ token: code, enrollmentId: link.searchParams.get("enrollment")!, client: { userAgent: ANDROID } });
    expect(enrolled.session.userId).toBe(user.id);
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.reload();
    await sessionCard(page, enrolled.session.id).getByText("ENROLLED", { exact: true }).waitFor();
  });

  browserTest("session actions: re-authenticate, delete one, keep only one, access groups — each with its receipt", context, async (page) => {
    const username = unique("devices");
    const user = await admin().users.create.mutate({ username });
    const [phone, tablet, laptop] = [
      await admin().sessions.create.mutate({ userId: user.id, client: { userAgent: IPHONE } }),
      await admin().sessions.create.mutate({ userId: user.id, client: { userAgent: ANDROID } }),
      await admin().sessions.create.mutate({ userId: user.id, client: { userAgent: MAC } }),
    ];
    await signInWithKey(page, env.consoleUrl, key, `/users/${user.id}`);
    await page.getByRole("heading", { name: "Sessions (3)" }).waitFor();

    await page.getByRole("button", { name: `Re-authenticate session ${phone.session.id.slice(0, 8)}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Sign out session" }).click();
    await sessionCard(page, phone.session.id).getByText("LOCKED", { exact: true }).waitFor();
    await page.getByRole("status").filter({ hasText: `Signed out session #${phone.session.id.slice(0, 8)}` }).waitFor();

    await page.getByRole("button", { name: `Delete session ${tablet.session.id.slice(0, 8)}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete session" }).click();
    await page.getByRole("heading", { name: "Sessions (2)" }).waitFor();

    await page.getByLabel("Access groups on every active session").fill("beta, support");
    await page.getByRole("button", { name: "Add to active sessions" }).click();
    await page.getByRole("status").filter({ hasText: "Added beta, support on 1 active session(s)" }).waitFor();
    await sessionCard(page, laptop.session.id).getByText("beta, support").waitFor();

    await page.getByRole("button", { name: `Delete every session but ${laptop.session.id.slice(0, 8)}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: `Keep only #${laptop.session.id.slice(0, 8)}` }).click();
    await page.getByRole("heading", { name: "Sessions (1)" }).waitFor();
    const left = await admin().sessions.list.query({ userId: user.id, includeInactive: true });
    expect(left.map((s) => s.id)).toEqual([laptop.session.id]);
    expect(left[0]!.accessGroups).toEqual(["beta", "support"]);
  });

  browserTest("profile and default groups: a taken username is named under its field, the rest kept; then delete the user", context, async (page) => {
    const taken = unique("taken");
    await admin().users.create.mutate({ username: taken });
    const username = unique("profile");
    const user = await admin().users.create.mutate({ username });
    await signInWithKey(page, env.consoleUrl, key, `/users/${user.id}`);
    await page.getByLabel("First name").fill("Ada");
    await page.getByLabel("Username").fill(taken);
    await page.getByRole("button", { name: "Save profile" }).click();
    expect(await fieldError(page, "Username")).toMatch(/already|taken|exists/i);
    expect(await page.getByLabel("First name").inputValue()).toBe("Ada");
    await page.getByLabel("Username").fill(username);
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await admin().users.get.query({ userId: user.id })).firstName).toBe("Ada");

    await page.getByLabel("Add groups").fill("sales, ops");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByRole("button", { name: "Remove group ops" }).click();
    await page.getByRole("list", { name: "Default groups" }).getByText("sales").waitFor();
    await page.getByRole("button", { name: "Remove group ops" }).waitFor({ state: "detached" });
    expect((await admin().users.get.query({ userId: user.id })).groups).toEqual(["sales"]);

    await page.getByRole("button", { name: "Delete…", exact: true }).click();
    await page.getByRole("dialog", { name: `Delete ${username}` }).getByRole("button", { name: "Delete user" }).click();
    await page.getByRole("heading", { name: "User deleted" }).waitFor();
    await page.getByRole("status").filter({ hasText: `Deleted ${username}` }).waitFor();
    await expect(admin().users.get.query({ userId: user.id })).rejects.toThrow(/not found/i);
  });

  browserTest("batch: selects users and locks them without a wipe, with a result per user; the locked filter finds them", context, async (page) => {
    const prefix = unique("batch");
    const made = [];
    for (const n of [1, 2, 3]) made.push(await admin().users.create.mutate({ username: `${prefix}-${n}` }));
    await signInWithKey(page, env.consoleUrl, key, "/users");
    await page.getByLabel("Search").fill(prefix);
    await page.getByTestId("users-summary").getByText("1–3 of 3 users").waitFor();
    await page.getByLabel("Select every user on this page").check();
    await page.getByRole("region", { name: "Selected users" }).getByText("3 users selected").waitFor();
    await page.getByRole("button", { name: "Lock…", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Lock 3 users" });
    await dialog.getByRole("radio", { name: /Sign out only/ }).check();
    await dialog.getByRole("button", { name: "Lock without wipe" }).click();
    await page.getByRole("heading", { name: "Lock: 3 done" }).waitFor();
    const rows = await page.getByTestId("batch-row").allTextContents();
    expect(rows.map((r) => r.replace(/\s+/g, " "))).toEqual(made.map((u) => expect.stringMatching(new RegExp(`^${u.username}Done`))));

    await page.getByLabel("Locked", { exact: true }).selectOption("yes");
    await page.getByTestId("users-summary").getByText("1–3 of 3 users").waitFor();
    await page.getByLabel("Locked", { exact: true }).selectOption("no");
    await page.getByTestId("users-summary").getByText("No users match.").waitFor();
    const listed = await admin().users.list.query({ query: prefix, locked: true });
    expect(listed.total).toBe(3);
  });

  browserTest("audit: a user's events newest first, paged by cursor, filtered by type; a bad id is named under its field", context, async (page) => {
    const username = unique("audited");
    const user = await admin().users.create.mutate({ username });
    for (let i = 0; i < 30; i++) {
      await admin().users.addToGroups.mutate({ userId: user.id, groups: [`g${i}`] });
      await admin().users.removeFromGroups.mutate({ userId: user.id, groups: [`g${i}`] });
    }
    await signInWithKey(page, env.consoleUrl, key, `/users/${user.id}`);
    await page.getByRole("link", { name: "Audit events" }).click();
    await page.getByRole("heading", { name: "Audit" }).waitFor();
    const rows = page.locator("table.events tbody tr");
    await page.getByText("Page 1").waitFor();
    await page.waitForFunction(() => document.querySelectorAll("table.events tbody tr").length === 50);
    await page.getByRole("button", { name: "Older →" }).click();
    await page.getByText("Page 2").waitFor();
    await page.waitForFunction(() => document.querySelectorAll("table.events tbody tr").length === 11);
    expect(await rows.last().textContent()).toMatch(/user\.created/);
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.getByText("Page 1").waitFor();

    await page.getByLabel("Type").fill("user.created");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.events tbody tr").length === 1);
    await page.getByLabel("User id").fill("not-a-uuid");
    await page.getByRole("button", { name: "Apply filters" }).click();
    expect(await fieldError(page, "User id")).toMatch(/UUID/);
    expect(await page.getByLabel("User id").inputValue()).toBe("not-a-uuid");
  });

  browserTest("users page is readable at 360 px: no sideways scrolling, every row labelled", context, async (page) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await admin().users.create.mutate({ username: unique("narrow") });
    await signInWithKey(page, env.consoleUrl, key, "/users");
    await page.waitForFunction(() => document.documentElement.dataset.usersReady === "true");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    // Rows are cards; each cell carries its column's name.
    const labels = await page.locator("table.users tbody tr").first().locator("td[data-label]").evaluateAll((cells) =>
      cells.map((td) => getComputedStyle(td, "::before").content),
    );
    expect(labels).toEqual(['"Username"', '"Name"', '"Email"', '"State"', '"Last connected"']);
  });

  browserTest("a bad key: the sign-in page says the API refused it and what to do, and keeps it in the field", context, async (page) => {
    await page.goto(env.consoleUrl);
    const typed = `sk_${"A".repeat(43)}`;
    await page.getByLabel("API key or root key").fill(typed);
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await fieldError(page, "API key or root key")).toMatch(/does not accept this key.*sk_/);
    expect(await page.getByLabel("API key or root key").inputValue()).toBe(typed);
    expect(await page.context().cookies()).toEqual([]);
  });

  browserTest("root key: lists tenants and creates one, showing its first key once", context, async (page) => {
    await signInWithKey(page, env.consoleUrl, env.api.config.rootKey);
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
    await page.getByLabel("Code").fill("bad code");
    await page.getByRole("button", { name: "Create tenant" }).click();
    expect(await fieldError(page, "Code")).toMatch(/A–Z/);
    const code = uniqueTenantCode("R");
    await page.getByLabel("Code").fill(code);
    await page.getByLabel("Name", { exact: true }).fill("Made in the console");
    await page.getByRole("button", { name: "Create tenant" }).click();
    const secret = await page.getByTestId("once-key").textContent();
    expect(secret).toMatch(/^sk_/);
    await page.getByRole("cell", { name: code }).waitFor();
    expect((await env.api.admin(secret!).tenants.get.query()).code).toBe(code);
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.getByTestId("once-key").count()).toBe(0);
  });

  browserTest("revoking the API key the console signed in with ends the console session and says why", context, async (page) => {
    const name = unique("console-key");
    const { key: second } = await admin().apiKeys.create.mutate({ name });
    await signInWithKey(page, env.consoleUrl, second, "/tenant");
    await page.getByRole("button", { name: `Revoke key ${name}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    const again = page.getByRole("dialog", { name: "Sign in again" });
    await again.waitFor();
    expect(await again.textContent()).toMatch(/no longer accepts the key/);
    // Signing in with a valid key returns to the same page.
    await again.getByLabel("API key or root key").fill(key);
    await again.getByRole("button", { name: "Sign in" }).click();
    await again.waitFor({ state: "detached" });
    await page.getByRole("row").filter({ hasText: name }).getByText("Revoked").waitFor();
  });

  browserTest("an expired console session: the page asks to sign in again, keeps what was typed, and the action then succeeds", context, async (page) => {
    await signInWithKey(page, env.consoleUrl, key, "/users");
    await page.getByRole("button", { name: "New user" }).click();
    const username = unique("typed-before-expiry");
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Email").fill(`${username}@example.test`);
    env.advanceConsoleClock(CONSOLE_IDLE_SECONDS + 1);
    await page.getByRole("button", { name: "Create user" }).click();
    const again = page.getByRole("dialog", { name: "Sign in again" });
    await again.waitFor();
    expect(await again.textContent()).toMatch(/expired.*what you typed on the page is kept/);
    await again.getByLabel("API key or root key").fill(key);
    await again.getByRole("button", { name: "Sign in" }).click();
    await again.waitFor({ state: "detached" });
    expect(await page.getByLabel("Username").inputValue()).toBe(username);
    expect(await page.getByLabel("Email").inputValue()).toBe(`${username}@example.test`);
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText(`Created ${username}`).waitFor();
  });

  // Last: it stops and restarts the API.
  browserTest("the API down: the console says so beside the action, keeps the input, and the action works once the API is back", context, async (page) => {
    await signInWithKey(page, env.consoleUrl, key, "/users");
    await page.getByRole("button", { name: "New user" }).click();
    const username = unique("typed-while-down");
    await page.getByLabel("Username").fill(username);
    await env.stopApi();
    await page.getByRole("button", { name: "Create user" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "cannot reach the Sesame API" });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Check that it is running, then try again/);
    expect(await page.getByLabel("Username").inputValue()).toBe(username);
    await env.restartApi();
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText(`Created ${username}`).waitFor();
  });
});
