import { Hono } from "hono";

/**
 * The upstream `npm run dev` uses when UPSTREAM_URL is unset: answers every request with what it
 * received, so the identity headers the edge adds can be seen with curl.
 */
export function createEchoUpstream(): Hono {
  const app = new Hono();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const headers = Object.fromEntries([...c.req.raw.headers].filter(([name]) => name.startsWith("x-sesame-") || name.startsWith("x-forwarded-")));
    return c.json({ upstream: "sesame dev echo", method: c.req.method, path: url.pathname, query: url.search, headers, body: await c.req.text() });
  });
  return app;
}
