/**
 * Serves the built SPA (production, e2e, bench): hashed assets cached for a year, precompressed
 * .br/.gz files chosen by Accept-Encoding, and index.html for every other page path so client-side
 * routes survive a reload.
 */
import { serveStatic } from "@hono/node-server/serve-static";
import type { Hono } from "hono";

export function serveWeb(app: Hono, root: string) {
  app.use(
    "/assets/*",
    serveStatic({
      root,
      precompressed: true,
      onFound: (_path, c) => {
        c.header("Cache-Control", "public, max-age=31536000, immutable");
      },
    }),
  );
  app.use("*", serveStatic({ root, precompressed: true, onFound: (_path, c) => void c.header("Cache-Control", "no-cache") }));
  app.get(
    "*",
    serveStatic({ root, path: "index.html", precompressed: true, onFound: (_path, c) => void c.header("Cache-Control", "no-cache") }),
  );
}

/** The SPA loads only from its own origin; the QR code is a data: image. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};
