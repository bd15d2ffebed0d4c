import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { INTROSPECTION_PATH, type IntrospectionResponse } from "@sesame/core";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { closedPort } from "@sesame/dev-services";
import { IntrospectionUnavailableError, createIntrospector } from "./introspect.ts";

const SECRET = "introspection-secret-for-tests";
const sid = "00000000-0000-4000-8000-00000000000a";
let server: HttpListener | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveIntrospection(answer: (sessionId: string) => Response | Promise<Response>) {
  const calls: { authorization: string | undefined; sessionId: string }[] = [];
  const app = new Hono().post(INTROSPECTION_PATH, async (c) => {
    const { sessionId } = await c.req.json<{ sessionId: string }>();
    calls.push({ authorization: c.req.header("authorization"), sessionId });
    return answer(sessionId);
  });
  server = await listen(app.fetch);
  return { url: `${server.url}${INTROSPECTION_PATH}`, calls };
}

const inactive: IntrospectionResponse = { active: false, reason: "session_revoked" };
const delayed = (ms: number, response: () => Response) => new Promise<Response>((resolve) => setTimeout(() => resolve(response()), ms));

describe("introspection client", () => {
  it("posts the session id with the bearer secret and parses the answer", async () => {
    const api = await serveIntrospection(() => Response.json(inactive));
    const introspect = createIntrospector({ url: api.url, secret: SECRET });
    expect(await introspect(sid)).toEqual(inactive);
    expect(api.calls).toEqual([{ authorization: `Bearer ${SECRET}`, sessionId: sid }]);
  });

  it("coalesces concurrent calls for one session into one request", async () => {
    const api = await serveIntrospection(() => delayed(50, () => Response.json(inactive)));
    const introspect = createIntrospector({ url: api.url, secret: SECRET });
    const answers = await Promise.all(Array.from({ length: 20 }, () => introspect(sid)));
    expect(answers).toEqual(Array(20).fill(inactive));
    expect(api.calls).toHaveLength(1);
    await introspect(sid);
    expect(api.calls).toHaveLength(2);
  });

  it("does not coalesce different sessions", async () => {
    const api = await serveIntrospection(() => delayed(20, () => Response.json(inactive)));
    const introspect = createIntrospector({ url: api.url, secret: SECRET });
    await Promise.all([introspect(sid), introspect("00000000-0000-4000-8000-00000000000b")]);
    expect(api.calls).toHaveLength(2);
  });

  it("gives up after its timeout", async () => {
    const api = await serveIntrospection(() => delayed(2_000, () => Response.json(inactive)));
    const introspect = createIntrospector({ url: api.url, secret: SECRET, timeoutMs: 200 });
    const started = performance.now();
    await expect(introspect(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("does not leave coalesced callers hanging when the shared call never settles", async () => {
    // A fetch that ignores its abort signal: what a cancelled request's fetch looks like on Workers.
    let fetches = 0;
    const hangingFetch = () => {
      fetches += 1;
      return new Promise<Response>(() => {});
    };
    const introspect = createIntrospector({ url: "http://127.0.0.1:1/introspect", secret: SECRET, timeoutMs: 100, fetch: hangingFetch });
    const started = performance.now();
    const results = await Promise.allSettled([introspect(sid), introspect(sid)]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(IntrospectionUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(fetches).toBe(1);
    // The abandoned call is not reused: the next request for the session tries again.
    await expect(introspect(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);
    expect(fetches).toBe(2);
  });

  it("treats refused connections, error statuses and unexpected bodies as unavailable", async () => {
    const down = createIntrospector({ url: `http://127.0.0.1:${await closedPort()}${INTROSPECTION_PATH}`, secret: SECRET });
    await expect(down(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);

    let answer: () => Response = () => Response.json({ error: "unauthorized" }, { status: 401 });
    const api = await serveIntrospection(() => answer());
    const introspect = createIntrospector({ url: api.url, secret: SECRET });
    await expect(introspect(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);
    answer = () => Response.json({ active: "yes" });
    await expect(introspect(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);
    answer = () => new Response("<html>", { status: 200 });
    await expect(introspect(sid)).rejects.toBeInstanceOf(IntrospectionUnavailableError);
  });
});
