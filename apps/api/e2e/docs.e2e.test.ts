/**
 * `/docs` renders in a real browser (Debian's Chromium through playwright-core) from the API
 * alone: every request outside the API is refused, as on an air-gapped install, and the reference
 * still shows the API's operations.
 */
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type ApiHarness } from "../test/harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let api: ApiHarness;
let browser: Browser;
beforeAll(async () => {
  api = await startApi();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
});
afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe("GET /docs in Chromium", () => {
  it("renders the API reference with nothing fetched from elsewhere", async () => {
    const page = await browser.newPage();
    const apiOrigin = new URL(api.url).origin;
    const elsewhere: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(apiOrigin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${api.url}/docs`);
    await expect(page.getByText("Sesame API").first().waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    await expect(page.getByText("Lock a user: sessions → LOCKED, or RESET with `wipe: true`").first().waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    await expect(page.getByText("Create a user").first().waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    if (process.env.DOCS_SCREENSHOT) await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  });
});
