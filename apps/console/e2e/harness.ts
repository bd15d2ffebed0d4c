/**
 * The whole system for the browser tests: the real API and edge over the run's Postgres and cache
 * (test/src/stack.ts), the console server serving the built SPA on a random port, and Debian's
 * Chromium driven by playwright-core. Each test gets a fresh page and saves a screenshot when it fails.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen } from "@sesame/service-kit/node";
import { startStack, type Stack } from "@sesame/test/stack";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { inject, it } from "vitest";
import { createConsoleApp } from "../src/server/app.ts";
import type { ConsoleConfig } from "../src/env.ts";

const APP_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ARTIFACTS = join(APP_ROOT, "test-results");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium with a fresh profile directory of its own (playwright passes it as --user-data-dir). */
export async function launchBrowser(viewport = { width: 1280, height: 860 }) {
  const profile = mkdtempSync(join(tmpdir(), "sesame-console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface ConsoleStack {
  stack: Stack;
  /** The API as it runs now (the API-down test replaces it with a restarted one on the same port). */
  api: Stack["api"];
  consoleUrl: string;
  /** Moves the console server's clock (session expiry) without waiting. */
  advanceConsoleClock: (seconds: number) => void;
  /** Stops the API, as a crash would. */
  stopApi: () => Promise<void>;
  /** Starts the API again on the same port with the same secrets and storage. */
  restartApi: () => Promise<void>;
  stop: () => Promise<void>;
}

export const CONSOLE_IDLE_SECONDS = 1800;

export async function startConsoleStack(): Promise<ConsoleStack> {
  const backends = inject("sesameBackends");
  const stack = await startStack({ backends });
  let offsetMs = 0;
  const config: ConsoleConfig = {
    production: false,
    host: "127.0.0.1",
    port: 0,
    apiUrl: stack.api.url,
    publicOrigin: null,
    sessionIdleSeconds: CONSOLE_IDLE_SECONDS,
    sessionMaxSeconds: 12 * 3600,
  };
  const { app } = createConsoleApp(config, { staticRoot: join(APP_ROOT, "dist", "web"), now: () => new Date(Date.now() + offsetMs) });
  const server = await listen(app.fetch);
  return {
    stack,
    get api() {
      return stack.api;
    },
    consoleUrl: server.url,
    advanceConsoleClock: (seconds) => {
      offsetMs += seconds * 1000;
    },
    stopApi: () => stack.stopApi(),
    restartApi: () => stack.startApi(),
    async stop() {
      await server.close();
      await stack.stop();
    },
  };
}

/** A test with a fresh page (no cookies); on failure the page is saved as test-results/<name>.png. */
export function browserTest(name: string, getContext: () => BrowserContext, body: (page: Page) => Promise<void>, timeout = 60_000) {
  it(
    name,
    async () => {
      const context = getContext();
      await context.clearCookies();
      const page = await context.newPage();
      try {
        await body(page);
      } catch (error) {
        mkdirSync(ARTIFACTS, { recursive: true });
        const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        console.error(`[console e2e] screenshot of the failure: ${file}`);
        throw error;
      } finally {
        await page.close();
      }
    },
    timeout,
  );
}

/** With CONSOLE_SCREENSHOTS=1, saves the viewport as docs/<name>.png for the README. */
export async function readmeScreenshot(page: Page, name: string) {
  if (process.env.CONSOLE_SCREENSHOTS !== "1") return;
  const docs = join(APP_ROOT, "..", "..", "docs");
  mkdirSync(docs, { recursive: true });
  await page.screenshot({ path: join(docs, `${name}.png`) });
}

export async function signInWithKey(page: Page, consoleUrl: string, key: string, path = "/") {
  await page.goto(`${consoleUrl}${path}`);
  await page.getByLabel("API key or root key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}
