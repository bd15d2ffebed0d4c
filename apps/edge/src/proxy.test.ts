/** The forwarding rules read Node's raw header list and Fetch's `Headers` alike. */
import { describe, expect, it } from "vitest";
import { forwardableHeaders, isIdentityHeaderName } from "./proxy.ts";

/** As a Node server receives them: names as sent, repeats kept apart, in order. */
const rawHeaders = [
  "Host", "edge.example",
  "Accept", "text/html",
  "X-Trace", "a",
  "x-trace", "b",
  "Cookie", "a=1",
  "Cookie", "b=2",
  "Connection", "keep-alive, X-Private-Hop",
  "X-Private-Hop", "secret",
  "Keep-Alive", "timeout=5",
  "Expect", "100-continue",
  "X-Sesame-User-Id", "forged",
  "x.sesame.groups", "admin",
  "X-Sesame_Tenant_Id", "forged",
  "Transfer-Encoding", "chunked",
  "Authorization", "Bearer t",
];

function asFetchHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

describe("forwardableHeaders", () => {
  it("gives the same headers from Node's raw list as from Fetch's Headers", () => {
    const fromRaw = forwardableHeaders(rawHeaders);
    expect(fromRaw).toEqual({ accept: "text/html", "x-trace": "a, b", cookie: "a=1; b=2", authorization: "Bearer t" });
    expect(fromRaw).toEqual(forwardableHeaders(asFetchHeaders(rawHeaders)));
  });

  it("drops what every Connection header names, and HTTP/2 pseudo-headers", () => {
    const raw = [":method", "GET", ":path", "/", "connection", "x-a", "Connection", "X-B", "x-a", "1", "x-b", "2", "x-c", "3"];
    expect(forwardableHeaders(raw)).toEqual({ "x-c": "3" });
  });

  it("treats any spelling that folds to x-sesame- as an identity header", () => {
    for (const name of ["X-Sesame-User-Id", "x_sesame_groups", "X.SESAME.anything", "x sesame-"]) expect(isIdentityHeaderName(name)).toBe(true);
    for (const name of ["x-sesam", "accept", "y-sesame-user-id", "x-sesamex"]) expect(isIdentityHeaderName(name)).toBe(false);
  });
});
