/** A real upstream server that records what the edge forwarded to it. */
import { Hono } from "hono";
import { listen, type Listening } from "./listen.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface RecordingUpstream extends Listening {
  requests: RecordedRequest[];
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const app = new Hono();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    requests.push({
      method: c.req.method,
      path: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(c.req.raw.headers),
      body: await c.req.text(),
    });
    if (url.pathname === "/redirect") return c.redirect("http://127.0.0.1:1/elsewhere", 302);
    return c.json({ upstream: true, path: url.pathname }, 200, { "x-upstream": "yes", "x-hop": "drop-me", connection: "x-hop" });
  });
  const server = await listen(app.fetch);
  return { ...server, requests };
}
