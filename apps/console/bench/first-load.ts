/**
 * First load of the console's users page with 10,000 users in the tenant: bytes shipped and time
 * to interactive, in Debian's Chromium against the real API and the console serving its build.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:console
 *
 * Without DATABASE_URL the API runs on embedded Postgres. Each run is a cold browser profile (no
 * HTTP cache) that is already signed in; "interactive" is the moment the first page of users is
 * rendered and usable (the page's `console:users-ready` performance mark). BENCH_RUNS (default 5)
 * runs without throttling, then the same with Chromium's CPU slowed 4× (a modest laptop).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { runMigrations } from "@sesame/api";
import { startApi } from "@sesame/api/testing";
import { startTestBackends } from "@sesame/dev-services";
import { listen } from "@sesame/service-kit/node";
import { sql } from "drizzle-orm";
import type { Page } from "playwright-core";
import { launchBrowser } from "../e2e/harness.ts";
import { createConsoleApp } from "../src/server/app.ts";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../src/shared/protocol.ts";

const USERS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WEB_ROOT = fileURLToPath(new URL("../dist/web", import.meta.url));

interface LoadSample {
  interactiveMs: number;
  domContentLoadedMs: number;
  cls: number;
  /** Bytes on the wire (compressed) and decoded, per kind. */
  bytes: Record<"html" | "js" | "css", { wire: number; raw: number }>;
  encoding: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const backends = await startTestBackends();
  await runMigrations(backends.databaseUrl);
  const api = await startApi({ backends });
  const { tenant, key } = await api.root().tenants.create.mutate({ code: `BENCH${Date.now().toString(36).toUpperCase()}`.slice(0, 16), name: "Console bench" });
  const t0 = Date.now();
  await api.deps.db.execute(sql`
    insert into users (tenant_id, username, email, first_name, last_name, status, created_at, updated_at)
    select ${tenant.id}::uuid, 'user-' || g, 'user-' || g || '@bench.test', 'First' || g, 'Last' || g, 'active',
           now() - (${USERS} - g) * interval '1 second', now()
    from generate_series(1, ${USERS}) g`);
  // A third of the users have a device: the page shows enrolled badges and last-connected times.
  await api.deps.db.execute(sql`
    insert into sessions (tenant_id, user_id, state, provider, access_groups, expires_at, created_at, updated_at, last_authenticated_at, last_connected_at)
    select u.tenant_id, u.id, 'ENROLLED', 'admin', '{}', now() + interval '30 days', u.created_at, now(), now(), now()
    from users u where u.tenant_id = ${tenant.id} and right(u.username, 1) in ('0', '3', '6')`);
  await api.deps.db.execute(sql`analyze users`);
  await api.deps.db.execute(sql`analyze sessions`);
  console.log(`[bench:console] seeded ${USERS.toLocaleString("en")} users in ${Date.now() - t0} ms (postgres: ${backends.description.postgres})`);

  const { app } = createConsoleApp(
    { production: false, host: "127.0.0.1", port: 0, apiUrl: api.url, publicOrigin: null, sessionIdleSeconds: 1800, sessionMaxSeconds: 43_200 },
    { staticRoot: WEB_ROOT },
  );
  const server = await listen(app.fetch);

  try {
    const plain: LoadSample[] = [];
    const slow: LoadSample[] = [];
    await coldLoad(server.url, key, 1); // warm the API's and Postgres's caches; not counted
    for (let i = 0; i < RUNS; i++) plain.push(await coldLoad(server.url, key, 1));
    for (let i = 0; i < RUNS; i++) slow.push(await coldLoad(server.url, key, 4));
    const paging = await pagingTimes(server.url, key);

    const first = plain[0]!;
    console.log(`\nFirst load of /users, ${USERS.toLocaleString("en")} users, ${RUNS} cold runs each (median):`);
    console.log(`  served with Content-Encoding: ${first.encoding}`);
    for (const kind of ["html", "js", "css"] as const) {
      console.log(`  ${kind.padEnd(4)} on the wire ${kb(first.bytes[kind].wire).padStart(10)}   decoded ${kb(first.bytes[kind].raw).padStart(10)}`);
    }
    const total = (s: LoadSample) => s.bytes.html.wire + s.bytes.js.wire + s.bytes.css.wire;
    console.log(`  total on the wire ${kb(total(first))}`);
    console.log(`  time to interactive: ${median(plain.map((s) => s.interactiveMs)).toFixed(0)} ms (DOMContentLoaded ${median(plain.map((s) => s.domContentLoadedMs)).toFixed(0)} ms)`);
    console.log(`  time to interactive, CPU 4× slower: ${median(slow.map((s) => s.interactiveMs)).toFixed(0)} ms (DOMContentLoaded ${median(slow.map((s) => s.domContentLoadedMs)).toFixed(0)} ms)`);
    console.log(`  cumulative layout shift: max ${Math.max(...plain.map((s) => s.cls), ...slow.map((s) => s.cls)).toFixed(4)}`);
    console.log(`  next page: ${paging.nextMs.toFixed(0)} ms; jump to page 200 (users 9,951–10,000): ${paging.lastMs.toFixed(0)} ms; search "user-9999": ${paging.searchMs.toFixed(0)} ms`);

    console.log(`\nBuilt files (dist/web), raw / gzip -9 / brotli -11:`);
    for (const file of readdirSync(join(WEB_ROOT, "assets")).filter((f) => /\.(js|css)$/.test(f))) {
      const raw = readFileSync(join(WEB_ROOT, "assets", file));
      const lazy = file.startsWith("browser-") ? " (QR code, loaded only with an enrollment code)" : "";
      console.log(`  ${file.padEnd(28)} ${kb(raw.length).padStart(10)} ${kb(gzipSync(raw, { level: 9 }).length).padStart(10)} ${kb(brotliCompressSync(raw).length).padStart(10)}${lazy}`);
    }
  } finally {
    await server.close();
    await api.stop();
    await backends.stop();
  }
}

/** A signed-in, cold browser profile opening /users; returns what the page measured. */
async function coldLoad(consoleUrl: string, key: string, cpuSlowdown: number): Promise<LoadSample> {
  const browser = await launchBrowser({ width: 1280, height: 860 });
  try {
    const signIn = await browser.context.request.post(`${consoleUrl}/console/api/session`, {
      headers: { [CSRF_HEADER]: CSRF_HEADER_VALUE, origin: consoleUrl },
      data: { key },
    });
    if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()} ${await signIn.text()}`);
    const page = await browser.context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __cls: number };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) if (!e.hadRecentInput) w.__cls += e.value;
      }).observe({ type: "layout-shift", buffered: true });
    });
    if (cpuSlowdown > 1) {
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpuSlowdown });
    }
    let encoding = "identity";
    page.on("response", (res) => {
      if (/\/assets\/index-.*\.js$/.test(res.url())) encoding = res.headers()["content-encoding"] ?? "identity";
    });
    await page.goto(`${consoleUrl}/users`);
    await page.waitForFunction(() => document.documentElement.dataset.usersReady === "true", undefined, { timeout: 30_000 });
    // Let late shifts (if any) be observed before reading.
    await page.waitForTimeout(300);
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const ready = performance.getEntriesByName("console:users-ready")[0]!;
      const bytes = { html: { wire: nav.encodedBodySize, raw: nav.decodedBodySize }, js: { wire: 0, raw: 0 }, css: { wire: 0, raw: 0 } };
      for (const r of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
        const kind = r.name.endsWith(".js") ? "js" : r.name.endsWith(".css") ? "css" : null;
        if (!kind) continue;
        bytes[kind].wire += r.encodedBodySize;
        bytes[kind].raw += r.decodedBodySize;
      }
      return {
        interactiveMs: ready.startTime,
        domContentLoadedMs: nav.domContentLoadedEventEnd,
        cls: (window as unknown as { __cls: number }).__cls,
        bytes,
      };
    }).then((s) => ({ ...s, encoding }));
  } finally {
    await browser.close();
  }
}

/** Moving through 10,000 users: the next page, the last page, a search (each until the rows are on screen). */
async function pagingTimes(consoleUrl: string, key: string) {
  const browser = await launchBrowser();
  try {
    await browser.context.request.post(`${consoleUrl}/console/api/session`, { headers: { [CSRF_HEADER]: CSRF_HEADER_VALUE, origin: consoleUrl }, data: { key } });
    const page = await browser.context.newPage();
    await page.goto(`${consoleUrl}/users`);
    await page.waitForFunction(() => document.documentElement.dataset.usersReady === "true");
    const timed = async (act: (p: Page) => Promise<void>, summary: string) => {
      const start = performance.now();
      await act(page);
      await page.getByTestId("users-summary").getByText(summary).waitFor();
      await page.waitForFunction(() => !document.querySelector(".summary")?.textContent?.includes("updating"));
      return performance.now() - start;
    };
    const nextMs = await timed((p) => p.getByRole("button", { name: "Next →" }).click(), "51–100 of 10,000 users");
    const lastMs = await timed(async (p) => {
      await p.getByLabel("Page", { exact: true }).fill("200");
      await p.getByLabel("Page", { exact: true }).press("Enter");
    }, "9,951–10,000 of 10,000 users");
    // Includes the 300 ms the search box waits for typing to pause.
    const searchMs = await timed((p) => p.getByLabel("Search").fill("user-9999"), "1–1 of 1 users");
    return { nextMs, lastMs, searchMs };
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
